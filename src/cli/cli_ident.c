/* `suyuan id ...`: GS1 keys, element strings, Digital Link URIs, EPC URNs and
 * RFID (EPC binary, every TDS 1.13 scheme) encodings, offline (docs/ident.md; SPEC C1-C3).
 * Everything here is a thin layer over src/ident/ident.h. An identifier the
 * library refuses is CLI_FAIL (1) with the library's sentence; a bad
 * command line is CLI_USAGE (2). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "ident/ident.h"

static const char ID_USAGE[] = "suyuan id parse|dl|urn|element|rfid ... (suyuan id --help)";
static const char ID_HELP[] =
    "usage: suyuan id parse X [--gcp-len N] [--base URL]\n"
    "       suyuan id dl X [--base URL]\n"
    "       suyuan id urn X [--gcp-len N]\n"
    "       suyuan id element X [--barcode]\n"
    "       suyuan id rfid encode URN|TAG-URI|X [--filter F] [--gcp-len N]\n"
    "       suyuan id rfid decode HEX\n"
    "\n"
    "GS1 identification keys offline (SPEC C1-C3; docs/ident.md). X is any form:\n"
    "an element string \"(01)09506000134352(10)LOT1\" or barcode data\n"
    "\"0109506000134352^10LOT1\" (FNC1 as ^ or GS, optional ]d2/]Q3/]C1 prefix),\n"
    "a GS1 Digital Link URI (any host), an EPC URN (urn:epc:id:sgtin:...), an\n"
    "EPC tag URI, or a bare GTIN-8/12/13/14.\n"
    "\n"
    "  parse     the AIs with their titles, the element string, barcode data,\n"
    "            Digital Link and, when the company prefix length is known\n"
    "            (--gcp-len, or X was a URN), the EPC URN\n"
    "  dl        the GS1 Digital Link URI (https://id.gs1.org unless --base)\n"
    "  urn       the EPC pure identity URN (needs --gcp-len unless X is a URN)\n"
    "  element   the bracketed element string (--barcode: barcode data, FNC1 as ^)\n"
    "  rfid      encode: the EPC binary (hex) and tag URI. A tag URI names its\n"
    "            scheme (urn:epc:tag:grai-170:...); a GS1 key gets the 96-bit\n"
    "            scheme when it fits, else the long one (sgtin-96/198, sscc-96,\n"
    "            sgln-96/195, grai-96/170, giai-96/202, gsrn-96, gsrnp-96,\n"
    "            gdti-96/174, sgcn-96, cpi-96/var, itip-110/212); also\n"
    "            urn:epc:id:gid|usdod|adi:... (gid-96, usdod-96, adi-var).\n"
    "            decode: the tag behind the hex of any of these schemes\n"
    "\n"
    "      --gcp-len N  GS1 Company Prefix length, 6 to 12\n"
    "      --base URL   Digital Link host and path stem, e.g. https://example.com/p\n"
    "      --filter F   RFID filter value, 0 to 7 (usdod-96: 15, adi-var: 63;\n"
    "                   default: the tag URI's, else 0)\n"
    "      --barcode    element: print barcode data instead of brackets\n"
    "      --json       machine-readable output\n"
    "\n"
    "Exit status: 0 ok; 1 the identifier is invalid (the message names the\n"
    "problem); 2 bad command line.\n";

enum { OPT_GCP = CLI_OPT_FIRST_LOCAL, OPT_BASE, OPT_FILTER, OPT_BARCODE };

typedef struct id_opts {
  int gcp_len; /* 0: not given */
  const char *base;
  int filter; /* -1: not given */
  int barcode;
} id_opts;

/* Parses options; *arg gets the one positional. CLI_OK or an exit code. */
static int id_getopts(cli *c, int argc, char **argv, id_opts *o, const char **arg) {
  static const struct option opts[] = {{"gcp-len", required_argument, NULL, OPT_GCP},
                                       {"base", required_argument, NULL, OPT_BASE},
                                       {"filter", required_argument, NULL, OPT_FILTER},
                                       {"barcode", no_argument, NULL, OPT_BARCODE},
                                       CLI_COMMON_OPTIONS};
  memset(o, 0, sizeof *o);
  o->filter = -1;
  int opt;
  uint64_t v;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        cli_help(ID_HELP);
        return -1;
      case OPT_GCP:
        if (cli_parse_u64(optarg, &v) || v < 6 || v > 12) {
          cli_err("--gcp-len wants 6 to 12, not '%s'", optarg);
          return cli_usage(c, ID_USAGE);
        }
        o->gcp_len = (int)v;
        break;
      case OPT_BASE:
        if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) {
          cli_err("--base wants an http:// or https:// URL, not '%s'", optarg);
          return cli_usage(c, ID_USAGE);
        }
        o->base = optarg;
        break;
      case OPT_FILTER:
        if (cli_parse_u64(optarg, &v) || v > 63) {
          cli_err("--filter wants 0 to 7 (adi-var: to 63), not '%s'", optarg);
          return cli_usage(c, ID_USAGE);
        }
        o->filter = (int)v;
        break;
      case OPT_BARCODE:
        o->barcode = 1;
        break;
      default:
        return cli_usage(c, ID_USAGE);
    }
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the identifier" : "too many arguments");
    return cli_usage(c, ID_USAGE);
  }
  *arg = argv[optind];
  return CLI_OK;
}

/* Parses x in any form; *cpl gets the company prefix length a URN carries
 * (or o->gcp_len when given). Prints why and returns CLI_FAIL on error. */
static int id_load(const char *x, const id_opts *o, sy_gs1 *g, int *cpl) {
  char err[256] = "";
  int rc, from_urn = strncasecmp(x, "urn:", 4) == 0;
  *cpl = 0;
  if (from_urn)
    rc = sy_gs1_from_epc_urn_gcp(x, g, cpl, err, sizeof err);
  else
    rc = sy_gs1_parse_any(x, g, err, sizeof err);
  if (rc) {
    cli_err("invalid identifier: %s", err);
    return CLI_FAIL;
  }
  if (o->gcp_len) *cpl = o->gcp_len;
  return CLI_OK;
}

static int print_json(cJSON *j) {
  char *s = j ? cJSON_Print(j) : NULL;
  cJSON_Delete(j);
  if (!s) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  puts(s);
  free(s);
  return CLI_OK;
}

static int cmd_parse(cli *c, int argc, char **argv) {
  id_opts o;
  const char *x;
  int rc = id_getopts(c, argc, argv, &o, &x);
  if (rc) return rc < 0 ? CLI_OK : rc;
  sy_gs1 g;
  int cpl;
  if ((rc = id_load(x, &o, &g, &cpl))) return rc;
  char es[2048], bc[2048], dl[4096], urn[512] = "", err[256] = "";
  int have_es = sy_gs1_to_element_string(&g, es, sizeof es) == SY_OK;
  int have_bc = sy_gs1_to_barcode_data(&g, '^', bc, sizeof bc) == SY_OK;
  int have_dl = sy_gs1_to_dl(&g, o.base, dl, sizeof dl) == SY_OK;
  int have_urn = 0;
  if (cpl) {
    have_urn = sy_gs1_to_epc_urn(&g, cpl, urn, sizeof urn, err, sizeof err) == SY_OK;
    if (!have_urn && o.gcp_len) {
      cli_err("no EPC URN: %s", err);
      return CLI_FAIL;
    }
  }
  if (c->json) {
    cJSON *j = cJSON_CreateObject(), *ais = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "primaryKey", g.ais[0].ai);
    cJSON_AddItemToObject(j, "ais", ais);
    for (size_t i = 0; i < g.n; i++) {
      cJSON *a = cJSON_CreateObject();
      cJSON_AddStringToObject(a, "ai", g.ais[i].ai);
      cJSON_AddStringToObject(a, "title", sy_gs1_ai_title(g.ais[i].ai));
      cJSON_AddStringToObject(a, "value", g.ais[i].value);
      cJSON_AddItemToArray(ais, a);
    }
    if (have_es) cJSON_AddStringToObject(j, "elementString", es);
    if (have_bc) cJSON_AddStringToObject(j, "barcodeData", bc);
    if (have_dl) cJSON_AddStringToObject(j, "digitalLink", dl);
    if (have_urn) cJSON_AddStringToObject(j, "epcUrn", urn);
    if (cpl) cJSON_AddNumberToObject(j, "gcpLength", cpl);
    return print_json(j);
  }
  for (size_t i = 0; i < g.n; i++)
    printf("(%s) %-28s %s\n", g.ais[i].ai, sy_gs1_ai_title(g.ais[i].ai), g.ais[i].value);
  if (have_es) printf("element string  %s\n", es);
  if (have_bc) printf("barcode data    %s\n", bc);
  printf("digital link    %s\n", have_dl ? dl : "- (an AI here cannot be a DL data attribute)");
  if (have_urn)
    printf("epc urn         %s\n", urn);
  else if (cpl)
    printf("epc urn         - (%s)\n", err);
  return CLI_OK;
}

static int cmd_one(cli *c, int argc, char **argv, char what) {
  id_opts o;
  const char *x;
  int rc = id_getopts(c, argc, argv, &o, &x);
  if (rc) return rc < 0 ? CLI_OK : rc;
  sy_gs1 g;
  int cpl;
  if ((rc = id_load(x, &o, &g, &cpl))) return rc;
  char out[4096], err[256] = "";
  const char *key = "digitalLink";
  switch (what) {
    case 'd':
      if (sy_gs1_to_dl(&g, o.base, out, sizeof out)) {
        cli_err(
            "no Digital Link: an application identifier here is not a key qualifier or DL "
            "data attribute");
        return CLI_FAIL;
      }
      break;
    case 'u':
      key = "epcUrn";
      if (!cpl) {
        cli_err("the GS1 Company Prefix length is needed for an EPC URN: give --gcp-len N");
        return cli_usage(c, ID_USAGE);
      }
      if (sy_gs1_to_epc_urn(&g, cpl, out, sizeof out, err, sizeof err)) {
        cli_err("no EPC URN: %s", err);
        return CLI_FAIL;
      }
      break;
    default:
      key = o.barcode ? "barcodeData" : "elementString";
      rc = o.barcode ? sy_gs1_to_barcode_data(&g, '^', out, sizeof out)
                     : sy_gs1_to_element_string(&g, out, sizeof out);
      if (rc) {
        cli_err("cannot write the element string: %s", sy_strerror(rc));
        return CLI_FAIL;
      }
  }
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, key, out);
    return print_json(j);
  }
  puts(out);
  return CLI_OK;
}

static int print_tag(cli *c, const sy_epc_tag *t) {
  char hex[SY_EPC_HEX_MAX + 1], tag[512], urn[512], es[2048], dl[4096], err[256] = "";
  int nbits = 0;
  if (sy_epc_encode(t, hex, sizeof hex, &nbits, err, sizeof err) ||
      sy_epc_to_tag_uri(t, tag, sizeof tag, err, sizeof err) ||
      (t->gs1.n &&
       sy_gs1_to_epc_urn(&t->gs1, t->company_prefix_len, urn, sizeof urn, err, sizeof err))) {
    cli_err("invalid tag: %s", err);
    return CLI_FAIL;
  }
  es[0] = dl[0] = 0;
  if (t->gs1.n) {
    if (sy_gs1_to_element_string(&t->gs1, es, sizeof es)) es[0] = 0;
    if (sy_gs1_to_dl(&t->gs1, NULL, dl, sizeof dl)) dl[0] = 0;
  } else {
    snprintf(urn, sizeof urn, "%s", t->urn);
  }
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "hex", hex);
    cJSON_AddStringToObject(j, "scheme", t->scheme);
    cJSON_AddNumberToObject(j, "bits", nbits);
    cJSON_AddNumberToObject(j, "filter", t->filter);
    if (t->gs1.n) cJSON_AddNumberToObject(j, "gcpLength", t->company_prefix_len);
    cJSON_AddStringToObject(j, "tagUri", tag);
    cJSON_AddStringToObject(j, "epcUrn", urn);
    if (t->gs1.n) {
      cJSON_AddStringToObject(j, "elementString", es);
      cJSON_AddStringToObject(j, "digitalLink", dl);
    }
    return print_json(j);
  }
  printf("hex             %s\n", hex);
  printf("scheme          %s (%d bits)\n", t->scheme, nbits);
  printf("tag uri         %s\n", tag);
  printf("epc urn         %s\n", urn);
  if (t->gs1.n) {
    printf("element string  %s\n", es);
    printf("digital link    %s\n", dl);
  }
  printf("filter          %d\n", t->filter);
  return CLI_OK;
}

/* Non-GS1 pure identity URNs and their one binary scheme each. */
static const char *non_gs1_scheme(const char *x) {
  if (strncasecmp(x, "urn:epc:id:gid:", 15) == 0) return "gid-96";
  if (strncasecmp(x, "urn:epc:id:usdod:", 17) == 0) return "usdod-96";
  if (strncasecmp(x, "urn:epc:id:adi:", 15) == 0) return "adi-var";
  return NULL;
}

static int cmd_rfid(cli *c, int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
      return cli_help(ID_HELP);
    cli_err("id rfid needs encode or decode");
    return cli_usage(c, ID_USAGE);
  }
  int enc = strcmp(argv[1], "encode") == 0;
  if (!enc && strcmp(argv[1], "decode") != 0) {
    cli_err("'id rfid %s' is not a command; use encode or decode", argv[1]);
    return cli_usage(c, ID_USAGE);
  }
  c->cmd = enc ? "id rfid encode" : "id rfid decode";
  id_opts o;
  const char *x;
  int rc = id_getopts(c, argc - 1, argv + 1, &o, &x);
  if (rc) return rc < 0 ? CLI_OK : rc;
  sy_epc_tag t;
  char err[256] = "";
  memset(&t, 0, sizeof t);
  if (!enc) {
    if (sy_epc_decode_hex(x, &t, err, sizeof err)) {
      cli_err("invalid EPC: %s", err);
      return CLI_FAIL;
    }
    return print_tag(c, &t);
  }
  const char *ng = non_gs1_scheme(x);
  if (strncasecmp(x, "urn:epc:tag:", 12) == 0) {
    if (sy_epc_from_tag_uri(x, &t, err, sizeof err)) {
      cli_err("invalid tag URI: %s", err);
      return CLI_FAIL;
    }
  } else if (ng) {
    snprintf(t.scheme, sizeof t.scheme, "%s", ng);
    if (strlen(x) >= sizeof t.urn) {
      cli_err("invalid EPC URN: too long");
      return CLI_FAIL;
    }
    snprintf(t.urn, sizeof t.urn, "%s", x);
  } else {
    int cpl;
    if ((rc = id_load(x, &o, &t.gs1, &cpl))) return rc;
    if (!cpl) {
      cli_err("the GS1 Company Prefix length is needed: give --gcp-len N or an EPC URN");
      return cli_usage(c, ID_USAGE);
    }
    t.company_prefix_len = cpl;
    /* a tag carries the key and its EPC qualifiers only (01 + 21, 414 + 254,
     * 8010 + 8011, ...): what the pure identity URN holds */
    char urn[512];
    if (sy_gs1_to_epc_urn(&t.gs1, cpl, urn, sizeof urn, err, sizeof err) ||
        sy_gs1_from_epc_urn(urn, &t.gs1, err, sizeof err) ||
        sy_epc_scheme_for(&t, err, sizeof err)) {
      cli_err("cannot encode as an EPC: %s", err);
      return CLI_FAIL;
    }
  }
  if (o.filter >= 0) t.filter = o.filter;
  return print_tag(c, &t);
}

static int cmd_dl(cli *c, int argc, char **argv) { return cmd_one(c, argc, argv, 'd'); }
static int cmd_urn(cli *c, int argc, char **argv) { return cmd_one(c, argc, argv, 'u'); }
static int cmd_element(cli *c, int argc, char **argv) { return cmd_one(c, argc, argv, 'e'); }

int cli_cmd_id(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"parse", "id parse", cmd_parse},
                                 {"dl", "id dl", cmd_dl},
                                 {"urn", "id urn", cmd_urn},
                                 {"element", "id element", cmd_element},
                                 {"rfid", "id rfid", cmd_rfid}};
  return cli_subcommand(c, argc, argv, ID_HELP, ID_USAGE, subs, 5);
}
