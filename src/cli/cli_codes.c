/* Anti-counterfeit codes, counterfeit alerts and organisation registry
 * entries (SPEC C4, I7; docs/codes.md):
 *
 *   suyuan codes issue  --key K --gtin G --lot L (--serials A-B | --serials-file F) --out CSV
 *   suyuan codes revoke --key K --gtin G --lot L [--serials A-B]
 *   suyuan codes list   [--gtin G] [--lot L]                 (Bearer token)
 *   suyuan alerts       [--since T] [--limit N]              (Bearer token)
 *   suyuan org contact  --key ADMIN --org ID [--tel T] [--sms S] [--web URL]
 *   suyuan org show     ID
 *
 * Codes are made here, from getrandom(2), and leave this process only in
 * the CSV file (mode 0600); the chain gets their salted hash commitments. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ident/ident.h"
#include "ledger/ledger.h"

enum {
  OPT_GTIN = CLI_OPT_FIRST_LOCAL,
  OPT_LOT,
  OPT_SERIALS,
  OPT_SERIALS_FILE,
  OPT_OUT,
  OPT_CHUNK,
  OPT_FORCE,
  OPT_TOKEN_FILE,
  OPT_SINCE,
  OPT_LIMIT,
  OPT_ORG,
  OPT_TEL,
  OPT_SMS,
  OPT_WEB,
  OPT_NO_WAIT,
};

#define SERIALS_MAX 1000000u /* codes one 'codes issue' makes */
#define CHUNK_DEFAULT 1000u  /* codes per code.issue transaction */

/* ---- shared helpers ---------------------------------------------------------------- */

/* GTIN-8/12/13/14 with a valid check digit -> 14 digits (ident.h). */
static int gtin14(const char *in, char out[15]) {
  return in && sy_gtin_normalise(in, out, NULL, 0) == SY_OK ? 0 : -1;
}

/* A lot or serial: GS1 character set 82, 1..20 characters (AI 10 / AI 21). */
static int cset82(const char *s) { return s && sy_gs1_ai_validate("21", s, NULL, 0) == 0; }

/* "A-B" (decimal, A <= B) or "N". */
static int parse_range(const char *s, uint64_t *a, uint64_t *b) {
  char tmp[64];
  if (!s || strlen(s) >= sizeof tmp) return -1;
  snprintf(tmp, sizeof tmp, "%s", s);
  char *dash = strchr(tmp, '-');
  if (dash) *dash = 0;
  if (cli_parse_u64(tmp, a)) return -1;
  if (!dash) {
    *b = *a;
    return 0;
  }
  if (cli_parse_u64(dash + 1, b) || *b < *a || *b > 999999999999999ull) return -1;
  return 0;
}

/* Opens c->client with a Bearer token from --token-file F or SUYUAN_TOKEN. */
static int use_token(cli *c, const char *token_file) {
  char *buf = NULL;
  const char *tok = NULL;
  if (token_file) {
    uint8_t *text = NULL;
    size_t n = 0;
    if (cli_read_file(token_file, 4096, &text, &n)) {
      cli_err("cannot read the token file %s", token_file);
      return CLI_FAIL;
    }
    text[strcspn((const char *)text, "\r\n")] = 0;
    buf = (char *)text;
    tok = buf;
  } else {
    tok = getenv("SUYUAN_TOKEN");
  }
  if (!tok || !*tok) {
    free(buf);
    cli_err(
        "this needs a Bearer token of a member of the brand: --token-file FILE or "
        "SUYUAN_TOKEN (see 'suyuan token create')");
    return CLI_USAGE;
  }
  sy_client_free(c->client);
  c->client = NULL;
  sy_client_opts o = {.base_url = c->node, .timeout_ms = c->timeout_s * 1000, .bearer = tok};
  int rc = sy_client_new(&c->client, &o);
  if (buf) {
    explicit_bzero(buf, strlen(buf));
    free(buf);
  }
  if (rc) {
    c->client = NULL;
    cli_err("the token has a control character (or the node URL is bad)");
    return CLI_FAIL;
  }
  return CLI_OK;
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* GET path -> JSON (*out transferred); prints the body with --json. */
static int get_json(cli *c, const char *path, cJSON **out) {
  sy_http_resp r;
  memset(&r, 0, sizeof r);
  int rc = cli_get(c, path, &r);
  if (rc) return rc;
  *out = cJSON_ParseWithLength(r.body, r.len);
  if (c->json) printf("%s\n", r.body);
  sy_http_resp_free(&r);
  if (!*out) {
    cli_err("the node's answer is not JSON");
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* Appends "&k=escaped(v)" to path. */
static void add_param(char *path, size_t size, const char *k, const char *v) {
  if (!v) return;
  char *e = sy_client_escape(v);
  if (!e) return;
  size_t n = strlen(path);
  snprintf(path + n, size - n, "&%s=%s", k, e);
  free(e);
}

/* ---- codes issue ------------------------------------------------------------------ */

static const char ISSUE_USAGE[] =
    "suyuan codes issue --key MEMBER_KEYFILE --gtin GTIN --lot LOT\n"
    "                   (--serials A-B | --serials-file FILE) --out CODES.csv\n"
    "                   [--chunk N] [--force]";
static const char ISSUE_HELP[] =
    "usage: suyuan codes issue --key MEMBER_KEYFILE --gtin GTIN --lot LOT\n"
    "                          (--serials A-B | --serials-file FILE) --out CODES.csv\n"
    "\n"
    "Makes one random anti-counterfeit code per item (80 bits, printed as\n"
    "XXXX-XXXX-XXXX-XXXX for the scratch-off panel), writes them to CODES.csv as\n"
    "\"serial,code\" (mode 0600: keep it secret, hand it to the label printer\n"
    "only), and records their salted hash commitments on the chain in code.issue\n"
    "transactions. The signer must be a recorder or system_manager; its\n"
    "organisation is the brand the codes answer for.\n"
    "\n"
    "  -k, --key FILE          the member's keystore (signs the transactions)\n"
    "      --gtin GTIN         GTIN-8/12/13/14 of the trade item\n"
    "      --lot LOT           batch/lot (GS1 AI 10: 1-20 characters)\n"
    "      --serials A-B       serial numbers A to B (decimal)\n"
    "      --serials-file F    or one serial per line (GS1 AI 21: 1-20 characters)\n"
    "      --out FILE          the codes (refuses to overwrite without --force)\n"
    "      --chunk N           codes per transaction (default 1000)\n"
    "      --force             overwrite --out\n"
    "\n"
    "Exit status: 0 all recorded; 3 refused; 4 a transaction was recorded invalid\n"
    "(e.g. a serial that already has a live code); 5 node unavailable.\n";

typedef struct serials {
  char (*s)[21];
  size_t n;
} serials;

static int load_serials(const char *range, const char *file, serials *out) {
  memset(out, 0, sizeof *out);
  if (range) {
    uint64_t a, b;
    if (parse_range(range, &a, &b) || b - a + 1 > SERIALS_MAX) {
      cli_err("--serials wants A-B (decimal, at most %u serials), not '%s'", SERIALS_MAX, range);
      return CLI_USAGE;
    }
    out->n = (size_t)(b - a + 1);
    out->s = calloc(out->n, sizeof *out->s);
    if (!out->s) return CLI_FAIL;
    for (size_t i = 0; i < out->n; i++)
      snprintf(out->s[i], 21, "%llu", (unsigned long long)(a + i));
    return CLI_OK;
  }
  uint8_t *text = NULL;
  size_t len = 0;
  if (cli_read_file(file, (size_t)SERIALS_MAX * 22, &text, &len)) {
    cli_err("cannot read the serials file %s", file);
    return CLI_FAIL;
  }
  size_t cap = 0;
  char *save = NULL;
  int rc = CLI_OK;
  for (char *line = strtok_r((char *)text, "\r\n", &save); line;
       line = strtok_r(NULL, "\r\n", &save)) {
    if (!*line) continue;
    if (!cset82(line)) {
      cli_err("serial '%.40s' in %s is not 1-20 characters of the GS1 character set", line, file);
      rc = CLI_USAGE;
      break;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 1024;
      void *ns = realloc(out->s, cap * sizeof *out->s);
      if (!ns) {
        rc = CLI_FAIL;
        break;
      }
      out->s = ns;
    }
    snprintf(out->s[out->n++], 21, "%s", line);
  }
  free(text);
  if (rc == CLI_OK && out->n == 0) {
    cli_err("%s holds no serials", file);
    rc = CLI_USAGE;
  }
  return rc;
}

/* The chain's code salt: its genesis hash (GET /v1/status). */
static int chain_salt(cli *c, uint8_t salt[SY_HASH_LEN], char chain[SY_CHAIN_ID_MAX + 1]) {
  int json = c->json;
  c->json = 0;
  cJSON *j = NULL;
  int rc = get_json(c, "/v1/status", &j);
  c->json = json;
  if (rc) return rc;
  const char *g = jstr(j, "genesis_hash"), *id = jstr(j, "chain_id");
  if (!g || strlen(g) != 2 * SY_HASH_LEN || sy_hex_decode(salt, SY_HASH_LEN, g, strlen(g)) || !id ||
      strlen(id) > SY_CHAIN_ID_MAX) {
    cli_err("the node's status has no genesis hash or chain id");
    cJSON_Delete(j);
    return CLI_FAIL;
  }
  snprintf(chain, SY_CHAIN_ID_MAX + 1, "%s", id);
  cJSON_Delete(j);
  return CLI_OK;
}

static int codes_issue(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"gtin", required_argument, NULL, OPT_GTIN},
                                       {"lot", required_argument, NULL, OPT_LOT},
                                       {"serials", required_argument, NULL, OPT_SERIALS},
                                       {"serials-file", required_argument, NULL, OPT_SERIALS_FILE},
                                       {"out", required_argument, NULL, OPT_OUT},
                                       {"chunk", required_argument, NULL, OPT_CHUNK},
                                       {"force", no_argument, NULL, OPT_FORCE},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL, *gtin_in = NULL, *lot = NULL, *range = NULL, *sfile = NULL,
             *out = NULL;
  uint64_t chunk = CHUNK_DEFAULT;
  int force = 0, opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(ISSUE_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case OPT_GTIN:
        gtin_in = optarg;
        break;
      case OPT_LOT:
        lot = optarg;
        break;
      case OPT_SERIALS:
        range = optarg;
        break;
      case OPT_SERIALS_FILE:
        sfile = optarg;
        break;
      case OPT_OUT:
        out = optarg;
        break;
      case OPT_FORCE:
        force = 1;
        break;
      case OPT_CHUNK:
        if (cli_parse_u64(optarg, &chunk) || chunk < 1 || chunk > 10000) {
          cli_err("--chunk wants 1 to 10000");
          return cli_usage(c, ISSUE_USAGE);
        }
        break;
      default:
        return cli_usage(c, ISSUE_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, ISSUE_USAGE);
  }
  char gtin[15];
  if (!keyfile || !gtin_in || !lot || !out || !!range == !!sfile) {
    cli_err("need --key, --gtin, --lot, --out and one of --serials or --serials-file");
    return cli_usage(c, ISSUE_USAGE);
  }
  if (gtin14(gtin_in, gtin)) {
    cli_err("--gtin '%s' is not a GTIN-8/12/13/14 with a valid check digit", gtin_in);
    return cli_usage(c, ISSUE_USAGE);
  }
  if (!cset82(lot)) {
    cli_err("--lot must be 1-20 characters of the GS1 character set");
    return cli_usage(c, ISSUE_USAGE);
  }
  serials sv;
  int rc = load_serials(range, sfile, &sv);
  if (rc) {
    free(sv.s);
    return rc == CLI_USAGE ? cli_usage(c, ISSUE_USAGE) : rc;
  }
  uint8_t salt[SY_HASH_LEN];
  char chain[SY_CHAIN_ID_MAX + 1];
  char(*codes)[SY_CODE_TEXT] = NULL;
  uint8_t(*commits)[SY_HASH_LEN] = NULL;
  sy_key *key = NULL;
  FILE *f = NULL;
  int fd = -1;
  if ((rc = chain_salt(c, salt, chain))) goto done;
  codes = calloc(sv.n, sizeof *codes);
  commits = calloc(sv.n, sizeof *commits);
  if (!codes || !commits) {
    cli_err("out of memory");
    rc = CLI_FAIL;
    goto done;
  }
  for (size_t i = 0; i < sv.n; i++) {
    uint8_t rnd[10];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
      cli_err("cannot get random bytes: %s", strerror(errno));
      rc = CLI_FAIL;
      goto done;
    }
    sy_code_format(rnd, codes[i]);
    explicit_bzero(rnd, sizeof rnd);
    char norm[SY_CODE_CHARS + 1];
    sy_code_normalise(codes[i], norm);
    sy_code_commit(salt, norm, commits[i]);
  }
  /* The key before the file (a wrong passphrase leaves nothing behind);
   * then the codes file: codes on the chain without their text would be
   * useless, text without the chain is harmless (it verifies as unknown). */
  if ((rc = cli_load_key(c, keyfile, &key))) goto done;
  if (strcmp(out, "-") == 0) {
    f = stdout;
  } else {
    fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || !(f = fdopen(fd, "w"))) {
      cli_err("cannot create %s: %s%s", out, strerror(errno),
              errno == EEXIST ? " (use --force to overwrite)" : "");
      rc = CLI_FAIL;
      goto done;
    }
    fd = -1;
  }
  fprintf(f, "serial,code\n");
  for (size_t i = 0; i < sv.n; i++) {
    /* quote serials that need it in CSV */
    if (strpbrk(sv.s[i], ",\"")) {
      fputc('"', f);
      for (const char *p = sv.s[i]; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
      }
      fprintf(f, "\",%s\n", codes[i]);
    } else {
      fprintf(f, "%s,%s\n", sv.s[i], codes[i]);
    }
  }
  if (f != stdout) {
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad) {
      cli_err("cannot write %s: %s", out, strerror(errno));
      rc = CLI_FAIL;
      goto done;
    }
  } else {
    fflush(stdout);
    f = NULL;
  }
  size_t txs = 0;
  for (size_t at = 0; at < sv.n; at += chunk) {
    size_t end = at + chunk < sv.n ? at + chunk : sv.n;
    cJSON *p = cJSON_CreateObject(), *arr;
    cJSON_AddStringToObject(p, "gtin", gtin);
    cJSON_AddStringToObject(p, "lot", lot);
    arr = cJSON_AddArrayToObject(p, "codes");
    for (size_t i = at; i < end; i++) {
      char hex[2 * SY_HASH_LEN + 1];
      sy_hex_encode(hex, commits[i], SY_HASH_LEN);
      cJSON *pair = cJSON_CreateArray();
      cJSON_AddItemToArray(pair, cJSON_CreateString(sv.s[i]));
      cJSON_AddItemToArray(pair, cJSON_CreateString(hex));
      cJSON_AddItemToArray(arr, pair);
    }
    char *payload = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    if (!payload) {
      cli_err("out of memory");
      rc = CLI_FAIL;
      goto done;
    }
    cli_tx_opts o = {.type = SY_TX_CODE_ISSUE,
                     .payload = (const uint8_t *)payload,
                     .payload_len = strlen(payload),
                     .chain = chain};
    sy_buf tx = {0};
    char id[2 * SY_HASH_LEN + 1];
    rc = cli_sign_tx(c, key, &o, &tx, id);
    free(payload);
    if (!rc) rc = cli_send_tx(c, tx.p, tx.len, 1);
    sy_buf_free(&tx);
    if (rc) {
      cli_err(
          "codes for serials %s..%s were not recorded; %zu of %zu codes are on the chain "
          "(the codes file lists all; reissue the rest with --serials-file)",
          sv.s[at], sv.s[end - 1], at, sv.n);
      goto done;
    }
    txs++;
  }
  if (!c->json)
    printf("issued: %zu codes for %s lot %s in %zu transaction%s; codes in %s (keep it secret)\n",
           sv.n, gtin, lot, txs, txs == 1 ? "" : "s", strcmp(out, "-") ? out : "stdout");
  rc = CLI_OK;
done:
  if (f && f != stdout) fclose(f);
  if (fd >= 0) close(fd);
  if (codes) explicit_bzero(codes, sv.n * sizeof *codes);
  free(codes);
  free(commits);
  free(sv.s);
  sy_key_free(key);
  return rc;
}

/* ---- codes revoke / list ------------------------------------------------------------ */

static const char REVOKE_USAGE[] =
    "suyuan codes revoke --key MEMBER_KEYFILE --gtin GTIN --lot LOT [--serials A-B]";
static const char REVOKE_HELP[] =
    "usage: suyuan codes revoke --key MEMBER_KEYFILE --gtin GTIN --lot LOT [--serials A-B]\n"
    "\n"
    "Withdraws the brand's live codes of a lot (all, or the numeric serials A to B)\n"
    "in a code.revoke transaction: verifying one then answers \"revoked\" (e.g.\n"
    "labels stolen from the printer). Signed by a recorder or system_manager of the\n"
    "organisation that issued them. Exit status 4 when none matched (not_found).\n";

static int codes_revoke(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"gtin", required_argument, NULL, OPT_GTIN},
                                       {"lot", required_argument, NULL, OPT_LOT},
                                       {"serials", required_argument, NULL, OPT_SERIALS},
                                       {"no-wait", no_argument, NULL, OPT_NO_WAIT},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL, *gtin_in = NULL, *lot = NULL, *range = NULL;
  int opt, wait = 1;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(REVOKE_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case OPT_GTIN:
        gtin_in = optarg;
        break;
      case OPT_LOT:
        lot = optarg;
        break;
      case OPT_SERIALS:
        range = optarg;
        break;
      case OPT_NO_WAIT:
        wait = 0;
        break;
      default:
        return cli_usage(c, REVOKE_USAGE);
    }
  }
  char gtin[15];
  uint64_t a = 0, b = 0;
  if (optind < argc || !keyfile || !gtin_in || !lot) {
    cli_err("need --key, --gtin and --lot");
    return cli_usage(c, REVOKE_USAGE);
  }
  if (gtin14(gtin_in, gtin) || !cset82(lot) || (range && parse_range(range, &a, &b))) {
    cli_err("bad --gtin, --lot or --serials");
    return cli_usage(c, REVOKE_USAGE);
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "gtin", gtin);
  cJSON_AddStringToObject(p, "lot", lot);
  if (range) {
    cJSON_AddNumberToObject(p, "from", (double)a);
    cJSON_AddNumberToObject(p, "to", (double)b);
  }
  char *js = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  if (!js) return CLI_FAIL;
  cli_tx_opts o = {
      .type = SY_TX_CODE_REVOKE, .payload = (const uint8_t *)js, .payload_len = strlen(js)};
  int rc = cli_submit_tx(c, keyfile, &o, wait);
  free(js);
  return rc;
}

static const char LIST_USAGE[] = "suyuan codes list [--gtin GTIN] [--lot LOT] [--token-file F]";
static const char LIST_HELP[] =
    "usage: suyuan codes list [--gtin GTIN] [--lot LOT] [--token-file F]\n"
    "\n"
    "Counts the brand's codes: issued and revoked (on the chain), verified and\n"
    "alerts (this node's scan log). The brand is the organisation of the member\n"
    "whose Bearer token is given (--token-file F or SUYUAN_TOKEN).\n";

static int codes_list(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"gtin", required_argument, NULL, OPT_GTIN},
                                       {"lot", required_argument, NULL, OPT_LOT},
                                       {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                       CLI_COMMON_OPTIONS};
  const char *gtin_in = NULL, *lot = NULL, *tf = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(LIST_HELP);
      case OPT_GTIN:
        gtin_in = optarg;
        break;
      case OPT_LOT:
        lot = optarg;
        break;
      case OPT_TOKEN_FILE:
        tf = optarg;
        break;
      default:
        return cli_usage(c, LIST_USAGE);
    }
  }
  char gtin[15];
  if (optind < argc || (gtin_in && gtin14(gtin_in, gtin)) || (lot && !cset82(lot))) {
    cli_err("bad arguments");
    return cli_usage(c, LIST_USAGE);
  }
  int rc = use_token(c, tf);
  if (rc) return rc;
  char path[256] = "/v1/alerts?view=codes";
  add_param(path, sizeof path, "gtin", gtin_in ? gtin : NULL);
  add_param(path, sizeof path, "lot", lot);
  cJSON *j = NULL;
  if ((rc = get_json(c, path, &j))) return rc;
  if (!c->json) {
    const cJSON *v;
    printf("org:      %s\n", jstr(j, "org") ? jstr(j, "org") : "?");
    if (gtin_in) printf("gtin:     %s\n", gtin);
    if (lot) printf("lot:      %s\n", lot);
    static const char *const k[] = {"issued", "revoked", "verified", "alerts"};
    for (int i = 0; i < 4; i++) {
      v = cJSON_GetObjectItemCaseSensitive(j, k[i]);
      printf("%-9s %.0f\n", k[i], cJSON_IsNumber(v) ? v->valuedouble : 0.0);
    }
  }
  cJSON_Delete(j);
  return CLI_OK;
}

static const char CODES_HELP[] =
    "usage: suyuan codes <issue|revoke|list> ...\n"
    "\n"
    "  issue   make anti-counterfeit codes for a lot and record their commitments\n"
    "  revoke  withdraw codes (a lot, or a range of serials)\n"
    "  list    the brand's counts: issued, revoked, verified, alerts\n"
    "\n"
    "Consumers check a code with POST /v1/verify-code or by SMS (POST /v1/sms);\n"
    "see docs/codes.md.\n";

int cli_cmd_codes(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"issue", "codes issue", codes_issue},
                                 {"revoke", "codes revoke", codes_revoke},
                                 {"list", "codes list", codes_list}};
  return cli_subcommand(c, argc, argv, CODES_HELP, NULL, subs, 3);
}

/* ---- alerts ----------------------------------------------------------------------- */

static const char ALERTS_USAGE[] =
    "suyuan alerts [--since TIME] [--limit N] [--token-file F] [--json]";
static const char ALERTS_HELP[] =
    "usage: suyuan alerts [--since TIME] [--limit N] [--token-file F] [--json]\n"
    "\n"
    "Counterfeit alerts for the brand (the organisation of the member whose Bearer\n"
    "token is given: --token-file F or SUYUAN_TOKEN), newest first: a code scanned\n"
    "in two or more places within 72 hours (multiple_places), or five times or more\n"
    "(repeated_scans). Alerts come from this node's scan log.\n"
    "\n"
    "      --since TIME   only alerts raised or updated since (RFC 3339)\n"
    "      --limit N      at most N (default 100, at most 1000)\n";

int cli_cmd_alerts(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"since", required_argument, NULL, OPT_SINCE},
                                       {"limit", required_argument, NULL, OPT_LIMIT},
                                       {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                       CLI_COMMON_OPTIONS};
  const char *since = NULL, *limit = NULL, *tf = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(ALERTS_HELP);
      case OPT_SINCE:
        since = optarg;
        break;
      case OPT_LIMIT:
        limit = optarg;
        break;
      case OPT_TOKEN_FILE:
        tf = optarg;
        break;
      default:
        return cli_usage(c, ALERTS_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, ALERTS_USAGE);
  }
  int rc = use_token(c, tf);
  if (rc) return rc;
  char path[256] = "/v1/alerts?view=alerts";
  add_param(path, sizeof path, "since", since);
  add_param(path, sizeof path, "limit", limit);
  cJSON *j = NULL;
  if ((rc = get_json(c, path, &j))) return rc;
  if (!c->json) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "alerts"), *a;
    int n = 0;
    cJSON_ArrayForEach(a, arr) {
      const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(a, "count");
      printf("%s  %-16s gtin %s lot %s serial %s  scans %.0f  first %s", jstr(a, "updated"),
             jstr(a, "reason"), jstr(a, "gtin"), jstr(a, "lot"), jstr(a, "serial"),
             cJSON_IsNumber(cnt) ? cnt->valuedouble : 0.0, jstr(a, "first_verified"));
      const cJSON *pl = cJSON_GetObjectItemCaseSensitive(a, "places"), *p;
      int first = 1;
      cJSON_ArrayForEach(p, pl) {
        printf("%s%s", first ? "  places " : ", ", jstr(p, "place") ? jstr(p, "place") : "?");
        first = 0;
      }
      printf("\n");
      n++;
    }
    if (n == 0) printf("no alerts for %s\n", jstr(j, "org") ? jstr(j, "org") : "this brand");
  }
  cJSON_Delete(j);
  return CLI_OK;
}

/* ---- org contact / show ---------------------------------------------------------------- */

static const char CONTACT_USAGE[] =
    "suyuan org contact --key ADMIN_KEYFILE --org ID [--tel T] [--sms S] [--web URL]";
static const char CONTACT_HELP[] =
    "usage: suyuan org contact --key ADMIN_KEYFILE --org ID [--tel T] [--sms S] [--web URL]\n"
    "\n"
    "Sets the query channels printed on the organisation's labels (SPEC I7), in an\n"
    "org.contact transaction signed by a system_manager of that organisation. It\n"
    "replaces the whole contact: a channel not given is cleared.\n"
    "\n"
    "      --tel T    consumer hotline: digits, +, - and spaces (e.g. \"400-800-1234\")\n"
    "      --sms S    number consumers text a code or GTIN to\n"
    "      --web URL  http(s) address of the brand's query page\n";
static const char SHOW_USAGE[] = "suyuan org show ID";
static const char ORG_HELP[] =
    "usage: suyuan org <contact|show> ...\n"
    "\n"
    "  contact  set an organisation's query channels (telephone, SMS, web)\n"
    "  show     show an organisation's registry entry\n";

static int org_contact(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"org", required_argument, NULL, OPT_ORG},
                                       {"tel", required_argument, NULL, OPT_TEL},
                                       {"sms", required_argument, NULL, OPT_SMS},
                                       {"web", required_argument, NULL, OPT_WEB},
                                       {"no-wait", no_argument, NULL, OPT_NO_WAIT},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL, *org = NULL, *tel = NULL, *sms = NULL, *web = NULL;
  int opt, wait = 1;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(CONTACT_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case OPT_ORG:
        org = optarg;
        break;
      case OPT_TEL:
        tel = optarg;
        break;
      case OPT_SMS:
        sms = optarg;
        break;
      case OPT_WEB:
        web = optarg;
        break;
      case OPT_NO_WAIT:
        wait = 0;
        break;
      default:
        return cli_usage(c, CONTACT_USAGE);
    }
  }
  if (optind < argc || !keyfile || !org || (!tel && !sms && !web)) {
    cli_err("need --key, --org and at least one of --tel, --sms, --web");
    return cli_usage(c, CONTACT_USAGE);
  }
  if ((tel && !sy_contact_phone_ok(tel)) || (sms && !sy_contact_phone_ok(sms))) {
    cli_err("--tel and --sms take 3-32 characters of digits, +, - and spaces");
    return cli_usage(c, CONTACT_USAGE);
  }
  if (web && !sy_contact_web_ok(web)) {
    cli_err("--web takes an http:// or https:// URL (at most 256 characters, no spaces)");
    return cli_usage(c, CONTACT_USAGE);
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "org", org);
  if (tel) cJSON_AddStringToObject(p, "tel", tel);
  if (sms) cJSON_AddStringToObject(p, "sms", sms);
  if (web) cJSON_AddStringToObject(p, "web", web);
  char *js = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  if (!js) return CLI_FAIL;
  cli_tx_opts o = {
      .type = SY_TX_ORG_CONTACT, .payload = (const uint8_t *)js, .payload_len = strlen(js)};
  int rc = cli_submit_tx(c, keyfile, &o, wait);
  free(js);
  return rc;
}

static int org_show(cli *c, int argc, char **argv) {
  static const struct option opts[] = {CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    if (opt == 'h')
      return cli_help(
          "usage: suyuan org show ID\n\nShows an organisation's "
          "name and query channels (telephone, SMS, web).\n");
    return cli_usage(c, SHOW_USAGE);
  }
  if (optind != argc - 1) return cli_usage(c, SHOW_USAGE);
  char path[300] = "/v1/alerts?view=org";
  add_param(path, sizeof path, "id", argv[optind]);
  cJSON *j = NULL;
  int rc = get_json(c, path, &j);
  if (rc) return rc;
  if (!c->json) {
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(j, "contact");
    printf("id:    %s\nname:  %s\n", jstr(j, "id"), jstr(j, "name"));
    printf("tel:   %s\n", jstr(ct, "tel") ? jstr(ct, "tel") : "-");
    printf("sms:   %s\n", jstr(ct, "sms") ? jstr(ct, "sms") : "-");
    printf("web:   %s\n", jstr(ct, "web") ? jstr(ct, "web") : "-");
  }
  cJSON_Delete(j);
  return CLI_OK;
}

int cli_cmd_org(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"contact", "org contact", org_contact},
                                 {"show", "org show", org_show}};
  return cli_subcommand(c, argc, argv, ORG_HELP, NULL, subs, 2);
}
