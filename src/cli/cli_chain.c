/* Talking to the node: tx sign|send|submit|show, block show, status, verify
 * (docs/cli.md, docs/http-api.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/block.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

#define TX_FILE_MAX (SY_TX_PAYLOAD_MAX + 4096)
#define PROBLEM_PREFIX "urn:suyuan:problem:"

/* ---- aligned "key: value" output ----------------------------------------------------- */

typedef struct kv {
  char *key;
  char *val;
} kv;

typedef struct kvlist {
  kv *items;
  size_t n, cap;
  int oom;
} kvlist;

static void kv_add(kvlist *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kv_add(kvlist *l, const char *key, const char *fmt, ...) {
  if (l->oom) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 32;
    kv *p = realloc(l->items, cap * sizeof *p);
    if (!p) {
      l->oom = 1;
      return;
    }
    l->items = p;
    l->cap = cap;
  }
  va_list ap;
  char *val = NULL;
  va_start(ap, fmt);
  int rc = vasprintf(&val, fmt, ap);
  va_end(ap);
  char *k = strdup(key);
  if (rc < 0 || !k) {
    free(k);
    if (rc >= 0) free(val);
    l->oom = 1;
    return;
  }
  l->items[l->n++] = (kv){k, val};
}

static void kv_print(const kvlist *l) {
  size_t w = 0;
  for (size_t i = 0; i < l->n; i++) {
    size_t n = strlen(l->items[i].key);
    if (n > w) w = n;
  }
  for (size_t i = 0; i < l->n; i++)
    printf("%s:%*s %s\n", l->items[i].key, (int)(w - strlen(l->items[i].key)), "", l->items[i].val);
  if (l->oom) cli_err("out of memory: output incomplete");
}

static void kv_free(kvlist *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->items[i].key);
    free(l->items[i].val);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Integral numbers print without exponent; cJSON keeps only a double, so
 * values above 2^53 may have lost precision on the way (see tx show). */
static void format_number(double v, char *out, size_t size) {
  if (v >= -9.2e18 && v <= 9.2e18 && (double)(long long)v == v)
    snprintf(out, size, "%lld", (long long)v);
  else
    snprintf(out, size, "%.17g", v);
}

static void format_time_ms(uint64_t ms, char *out, size_t size) {
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  if (!gmtime_r(&s, &tm)) {
    snprintf(out, size, "?");
    return;
  }
  char day[32];
  strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, size, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

static int is_scalar(const cJSON *v) { return !cJSON_IsObject(v) && !cJSON_IsArray(v); }

static void scalar_text(const cJSON *v, const char *key, char *out, size_t size) {
  if (cJSON_IsString(v)) {
    snprintf(out, size, "%s", v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    format_number(v->valuedouble, out, size);
    if ((ends_with(key, "timestamp_ms") || ends_with(key, "created_ms")) && v->valuedouble > 0) {
      char when[64];
      format_time_ms((uint64_t)v->valuedouble, when, sizeof when);
      size_t n = strlen(out);
      snprintf(out + n, size - n, " (%s)", when);
    }
  } else if (cJSON_IsBool(v)) {
    snprintf(out, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
  } else {
    snprintf(out, size, "-");
  }
}

/* Flattens JSON into dotted keys ("block.height", "attestations[0].node").
 * Keys named in compact are printed as one-line JSON; keys in skip are left
 * out (the caller adds them its own way). */
static void kv_flatten(kvlist *l, const char *prefix, const cJSON *v, const char *const *compact,
                       const char *const *skip) {
  char key[256], text[2048];
  if (cJSON_IsObject(v)) {
    for (const cJSON *ch = v->child; ch; ch = ch->next) {
      if (!ch->string) continue;
      snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", ch->string);
      int skipped = 0, as_json = 0;
      for (const char *const *s = skip; s && *s; s++) skipped |= strcmp(*s, key) == 0;
      for (const char *const *s = compact; s && *s; s++) as_json |= strcmp(*s, key) == 0;
      if (skipped) continue;
      if (as_json) {
        char *j = cJSON_PrintUnformatted(ch);
        kv_add(l, key, "%s", j ? j : "?");
        free(j);
      } else {
        kv_flatten(l, key, ch, compact, skip);
      }
    }
    return;
  }
  if (cJSON_IsArray(v)) {
    int n = cJSON_GetArraySize(v), all_scalar = 1;
    size_t total = 0;
    for (const cJSON *ch = v->child; ch; ch = ch->next) {
      if (!is_scalar(ch)) all_scalar = 0;
      if (cJSON_IsString(ch))
        total += strlen(ch->valuestring) + 2;
      else
        total += 12;
    }
    if (n == 0) {
      kv_add(l, prefix, "(none)");
    } else if (all_scalar && total <= 80) {
      char line[1024] = "";
      for (const cJSON *ch = v->child; ch; ch = ch->next) {
        scalar_text(ch, prefix, text, sizeof text);
        size_t m = strlen(line);
        int w = snprintf(line + m, sizeof line - m, "%s%s", m ? ", " : "", text);
        if (w < 0 || (size_t)w >= sizeof line - m) break;
      }
      kv_add(l, prefix, "%s", line);
    } else {
      int i = 0;
      for (const cJSON *ch = v->child; ch; ch = ch->next, i++) {
        snprintf(key, sizeof key, "%s[%d]", prefix, i);
        kv_flatten(l, key, ch, compact, skip);
      }
    }
    return;
  }
  scalar_text(v, prefix, text, sizeof text);
  kv_add(l, prefix, "%s", text);
}

static void print_body(const sy_http_resp *r) {
  fwrite(r->body, 1, r->len, stdout);
  if (r->len == 0 || r->body[r->len - 1] != '\n') fputc('\n', stdout);
}

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

sy_client *cli_client(cli *c) {
  if (c->client) return c->client;
  sy_client_opts o = {.base_url = c->node, .timeout_ms = c->timeout_s * 1000};
  int rc = sy_client_new(&c->client, &o);
  if (rc) {
    cli_err("cannot use node URL %s: %s", c->node, sy_strerror(rc));
    c->client = NULL;
  }
  return c->client;
}

/* Reports a request that got no answer. */
static int report_no_answer(cli *c, int rc) {
  if (rc == SY_ETIMEDOUT) {
    cli_err("the node at %s did not answer within %ld s", c->node, c->timeout_s);
    return CLI_UNAVAILABLE;
  }
  if (rc == SY_ETOOBIG || rc == SY_ENOMEM) {
    cli_err("%s", sy_client_errmsg(c->client));
    return CLI_FAIL;
  }
  cli_err("cannot reach the node at %s: %s", c->node, sy_client_errmsg(c->client));
  return CLI_UNAVAILABLE;
}

/* Reports a non-2xx answer from its problem document (RFC 9457). */
static int report_problem(cli *c, const sy_http_resp *r) {
  int code = r->status >= 500 ? CLI_UNAVAILABLE : r->status >= 400 ? CLI_REJECTED : CLI_FAIL;
  cJSON *j = cJSON_ParseWithLength(r->body, r->len);
  const char *title = jstr(j, "title"), *detail = jstr(j, "detail"), *type = jstr(j, "type");
  if (type && strncmp(type, PROBLEM_PREFIX, strlen(PROBLEM_PREFIX)) == 0)
    type += strlen(PROBLEM_PREFIX);
  if (c->json && j) print_body(r);
  char what[512];
  if (title || detail) {
    snprintf(what, sizeof what, "%s%s%s", title ? title : "", title && detail ? ": " : "",
             detail ? detail : "");
  } else {
    /* Not a problem document: show the start of the body if it is text. */
    size_t n = 0;
    while (n < r->len && n < 200 && (r->body[n] >= ' ' || r->body[n] == '\t')) n++;
    snprintf(what, sizeof what, "%.*s", (int)n, r->body);
  }
  const char *lead = code == CLI_REJECTED      ? "rejected by the node"
                     : code == CLI_UNAVAILABLE ? "the node is unavailable"
                                               : "unexpected answer from the node";
  cli_err("%s (HTTP %ld%s%s)%s%s", lead, r->status, type ? " " : "", type ? type : "",
          what[0] ? ": " : "", what);
  cJSON_Delete(j);
  return code;
}

int cli_get(cli *c, const char *path, sy_http_resp *resp) {
  sy_client *cl = cli_client(c);
  if (!cl) return CLI_FAIL;
  int rc = sy_client_get(cl, path, resp);
  if (rc) return report_no_answer(c, rc);
  if (resp->status >= 200 && resp->status < 300) return CLI_OK;
  rc = report_problem(c, resp);
  sy_http_resp_free(resp);
  return rc;
}

/* GETs path and parses the answer as JSON (*out transferred). */
static int get_json(cli *c, const char *path, sy_http_resp *resp, cJSON **out) {
  int rc = cli_get(c, path, resp);
  if (rc) return rc;
  *out = cJSON_ParseWithLength(resp->body, resp->len);
  if (!*out) {
    cli_err("the node's answer to %s is not JSON", path);
    sy_http_resp_free(resp);
    return CLI_FAIL;
  }
  return CLI_OK;
}

int cli_node_chain_id(cli *c, char *out) { return cli_node_chain_info(c, out, NULL); }

int cli_node_chain_info(cli *c, char *out, int *records_extension_events) {
  sy_http_resp r;
  cJSON *j = NULL;
  int rc = get_json(c, "/v1/status", &r, &j);
  if (rc) return rc;
  if (records_extension_events)
    *records_extension_events =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "records_extension_events"));
  const char *id = jstr(j, "chain_id");
  if (!id || !*id || strlen(id) > SY_CHAIN_ID_MAX) {
    cli_err("the node's status has no usable chain_id");
    rc = CLI_FAIL;
  } else {
    snprintf(out, SY_CHAIN_ID_MAX + 1, "%s", id);
  }
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}

/* ---- transactions ---------------------------------------------------------------------- */

int cli_load_payload(const char *inline_json, const char *file, uint8_t **out, size_t *len) {
  if (!!inline_json == !!file) {
    cli_err("give the payload with exactly one of --payload JSON or --payload-file FILE");
    return CLI_USAGE;
  }
  uint8_t *p = NULL;
  size_t n = 0;
  if (inline_json) {
    n = strlen(inline_json);
    if (n > SY_TX_PAYLOAD_MAX || !(p = (uint8_t *)strdup(inline_json))) {
      cli_err("payload too large");
      return CLI_USAGE;
    }
  } else {
    int rc = cli_read_file(file, SY_TX_PAYLOAD_MAX, &p, &n);
    if (rc) {
      cli_err("cannot read payload file %s: %s", file,
              rc == SY_ETOOBIG     ? "larger than the 1 MiB payload limit"
              : rc == SY_ENOTFOUND ? "no such file"
                                   : strerror(errno));
      return CLI_FAIL;
    }
  }
  /* Checked, never re-serialised: the exact bytes given are signed. */
  cJSON *j = cJSON_ParseWithLength((const char *)p, n);
  if (!j) {
    cli_err("the payload is not valid JSON%s%s", file ? ": " : "", file ? file : "");
    free(p);
    return inline_json ? CLI_USAGE : CLI_FAIL;
  }
  cJSON_Delete(j);
  *out = p;
  *len = n;
  return CLI_OK;
}

int cli_sign_tx(cli *c, const sy_key *key, const cli_tx_opts *o, sy_buf *out, char *id_hex) {
  char chain[SY_CHAIN_ID_MAX + 1];
  int rc;
  if (o->chain) {
    snprintf(chain, sizeof chain, "%s", o->chain);
  } else if ((rc = cli_node_chain_id(c, chain))) {
    return rc;
  }
  uint64_t nonce = o->nonce;
  if (!o->have_nonce && cli_random_u64(&nonce)) {
    cli_err("cannot get random bytes for the nonce: %s", strerror(errno));
    return CLI_FAIL;
  }
  size_t start = out->len;
  rc = sy_key_sign_tx(key, out, (uint8_t)o->type, chain, cli_now_ms(), nonce, o->payload,
                      o->payload_len);
  if (rc == SY_OK) rc = out->err;
  if (rc) {
    cli_err("cannot sign the transaction: %s", sy_strerror(rc));
    return CLI_FAIL;
  }
  sy_tx tx;
  uint8_t id[SY_HASH_LEN];
  if ((rc = sy_tx_decode(&tx, out->p + start, out->len - start))) {
    cli_err("the signed transaction does not decode: %s", sy_strerror(rc));
    return CLI_FAIL;
  }
  sy_tx_id(&tx, sy_key_suite(key)->hash, id);
  sy_hex_encode(id_hex, id, SY_HASH_LEN);
  return CLI_OK;
}

static long server_wait_ms(const cli *c) {
  /* Let the node answer "pending" a little before our own timeout fires. */
  long ms = c->timeout_s * 1000 - 2000;
  if (ms < 1000) ms = 1000;
  if (ms > 120000) ms = 120000;
  return ms;
}

int cli_send_tx(cli *c, const uint8_t *raw, size_t len, int wait) {
  sy_client *cl = cli_client(c);
  if (!cl) return CLI_FAIL;
  char path[128];
  if (wait)
    snprintf(path, sizeof path, "/v1/tx?wait=commit&timeout_ms=%ld", server_wait_ms(c));
  else
    snprintf(path, sizeof path, "/v1/tx");
  sy_http_resp r;
  int rc = sy_client_post(cl, path, "application/octet-stream", raw, len, 0, &r);
  if (rc) return report_no_answer(c, rc);
  if (r.status < 200 || r.status >= 300) {
    rc = report_problem(c, &r);
    sy_http_resp_free(&r);
    return rc;
  }
  cJSON *j = cJSON_ParseWithLength(r.body, r.len);
  const char *status = jstr(j, "status"), *id = jstr(j, "id");
  if (!j || !status || !id) {
    cli_err("the node accepted the transaction but its answer is not understood (HTTP %ld)",
            r.status);
    rc = CLI_FAIL;
    goto done;
  }
  if (c->json) print_body(&r);
  kvlist l = {0};
  if (strcmp(status, "committed") == 0) {
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(j, "valid");
    const char *reason = jstr(j, "reason"), *text = jstr(j, "reason_text");
    int ok = cJSON_IsTrue(valid);
    kv_flatten(&l, "", j, NULL, (const char *const[]){"reason_text", NULL});
    if (!ok && text) {
      /* Put the human text next to the token instead of on its own line. */
      for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.items[i].key, "reason") == 0) {
          char *v = NULL;
          if (asprintf(&v, "%s (%s)", l.items[i].val, text) >= 0) {
            free(l.items[i].val);
            l.items[i].val = v;
          }
        }
    }
    if (!c->json) kv_print(&l);
    if (ok) {
      rc = CLI_OK;
    } else {
      cli_err("transaction %s committed but recorded invalid: %s%s%s%s", id, reason ? reason : "?",
              text ? " (" : "", text ? text : "", text ? ")" : "");
      rc = CLI_INVALID;
    }
  } else {
    if (!c->json) {
      kv_flatten(&l, "", j, NULL, NULL);
      kv_print(&l);
    }
    if (wait) {
      cli_err(
          "transaction %s was accepted but not committed within %ld ms; check later "
          "with 'suyuan tx show %s'",
          id, server_wait_ms(c), id);
      rc = CLI_FAIL;
    } else {
      rc = CLI_OK;
    }
  }
  kv_free(&l);
done:
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}

int cli_submit_tx(cli *c, const char *keyfile, const cli_tx_opts *o, int wait) {
  /* Ask the node first: no point typing a passphrase for a node that is down. */
  char chain[SY_CHAIN_ID_MAX + 1];
  cli_tx_opts opts = *o;
  int rc;
  if (!opts.chain) {
    if ((rc = cli_node_chain_id(c, chain))) return rc;
    opts.chain = chain;
  }
  sy_key *key = NULL;
  if ((rc = cli_load_key(c, keyfile, &key))) return rc;
  sy_buf tx = {0};
  char id[2 * SY_HASH_LEN + 1];
  rc = cli_sign_tx(c, key, &opts, &tx, id);
  sy_key_free(key);
  if (rc == CLI_OK) rc = cli_send_tx(c, tx.p, tx.len, wait);
  sy_buf_free(&tx);
  return rc;
}

/* ---- tx sign | send | submit | show ------------------------------------------------------ */

static const char TX_SIGN_USAGE[] =
    "suyuan tx sign --key FILE --type TYPE (--payload JSON | --payload-file FILE)\n"
    "                      [--chain NAME] [--nonce N] --out FILE";
static const char TX_SEND_USAGE[] = "suyuan tx send FILE [--no-wait]";
static const char TX_SUBMIT_USAGE[] =
    "suyuan tx submit --key FILE --type TYPE (--payload JSON | --payload-file FILE)\n"
    "                        [--chain NAME] [--nonce N] [--no-wait]";
static const char TX_SHOW_USAGE[] = "suyuan tx show ID";

#define TX_TYPES_HELP                                                               \
  "Types: record, member.add, member.revoke, org.add, org.contact, node.add,\n"     \
  "node.remove, epcis.capture, code.issue, code.revoke (the payload is JSON; see\n" \
  "docs/format.md). Most are easier with their own command: 'suyuan member',\n"     \
  "'suyuan node', 'suyuan org contact', 'suyuan capture', 'suyuan codes'.\n"

static const char TX_HELP[] =
    "usage: suyuan tx <sign|send|submit|show> ...\n"
    "\n"
    "  sign    sign a transaction into a file, without sending it\n"
    "  send    send a signed transaction file to the node\n"
    "  submit  sign and send in one step\n"
    "  show    show a committed transaction\n"
    "\n"
    "Run 'suyuan tx <subcommand> --help' for details.\n";

static const char TX_SIGN_HELP[] =
    "usage: suyuan tx sign --key FILE --type TYPE (--payload JSON | --payload-file FILE)\n"
    "                      [--chain NAME] [--nonce N] --out FILE\n"
    "\n"
    "Signs a transaction with the key in FILE and writes the envelope bytes to the\n"
    "--out file ('-' for stdout) without sending it; send it later with 'suyuan tx\n"
    "send'. Prints the transaction id.\n"
    "\n"
    "  -k, --key FILE          signer's keystore (asks for its passphrase)\n"
    "  -t, --type TYPE         transaction type\n"
    "  -p, --payload JSON      payload, signed byte for byte as given\n"
    "      --payload-file FILE payload from a file ('-' for stdin)\n"
    "      --chain NAME        chain id to sign for (default: ask the node)\n"
    "      --nonce N           nonce (default: random 64-bit)\n"
    "  -o, --out FILE          where to write the envelope\n"
    "\n" TX_TYPES_HELP;

static const char TX_SEND_HELP[] =
    "usage: suyuan tx send FILE [--no-wait]\n"
    "\n"
    "Sends a signed transaction envelope (from 'suyuan tx sign'; '-' reads stdin)\n"
    "and waits until its block is durable. Prints the id, height and validity.\n"
    "\n"
    "      --no-wait   return once the node has admitted it (HTTP 202)\n"
    "\n"
    "Exit status 3 when the node refuses it (malformed, wrong chain, bad signature,\n"
    "duplicate), 4 when it was committed but recorded invalid.\n";

static const char TX_SUBMIT_HELP[] =
    "usage: suyuan tx submit --key FILE --type TYPE (--payload JSON | --payload-file FILE)\n"
    "                        [--chain NAME] [--nonce N] [--no-wait]\n"
    "\n"
    "Signs a transaction and sends it ('tx sign' then 'tx send'), waiting for its\n"
    "block. Prints the id, height, and whether it was recorded valid.\n"
    "\n"
    "  -k, --key FILE          signer's keystore (asks for its passphrase)\n"
    "  -t, --type TYPE         transaction type\n"
    "  -p, --payload JSON      payload, signed byte for byte as given\n"
    "      --payload-file FILE payload from a file ('-' for stdin)\n"
    "      --chain NAME        chain id to sign for (default: ask the node)\n"
    "      --nonce N           nonce (default: random 64-bit)\n"
    "      --no-wait           return once the node has admitted it\n"
    "\n"
    "Exit status 4 when committed but recorded invalid (the reason is printed).\n"
    "\n" TX_TYPES_HELP;

static const char TX_SHOW_HELP[] =
    "usage: suyuan tx show ID\n"
    "\n"
    "Shows a committed transaction: height, validity and reason, type, signer,\n"
    "payload, its block, the Merkle proof and the nodes' attestations. ID is the\n"
    "64-hex transaction id. --json prints the node's answer as is.\n";

enum {
  OPT_PAYLOAD_FILE = CLI_OPT_FIRST_LOCAL,
  OPT_CHAIN,
  OPT_NONCE,
  OPT_NO_WAIT,
  OPT_DATA,
};

static int valid_type_or_usage(const char *name, int *type) {
  int t = name ? sy_tx_type_parse(name) : -1;
  if (t >= 0 && t != SY_TX_GENESIS) {
    *type = t;
    return 0;
  }
  if (t == SY_TX_GENESIS) {
    cli_err("genesis transactions are made by the node from the genesis file, not signed");
    return -1;
  }
  char list[256] = "";
#define SY_TXT_APPEND(n, code, text)                                  \
  if (code != SY_TX_GENESIS) {                                        \
    size_t m = strlen(list);                                          \
    snprintf(list + m, sizeof list - m, "%s%s", m ? ", " : "", text); \
  }
  SY_TX_TYPES(SY_TXT_APPEND)
#undef SY_TXT_APPEND
  cli_err("unknown transaction type '%s'; one of: %s", name ? name : "", list);
  return -1;
}

/* sign and submit share their options; out == NULL means submit. */
static int tx_sign_or_submit(cli *c, int argc, char **argv, int submit) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"type", required_argument, NULL, 't'},
                                       {"payload", required_argument, NULL, 'p'},
                                       {"payload-file", required_argument, NULL, OPT_PAYLOAD_FILE},
                                       {"chain", required_argument, NULL, OPT_CHAIN},
                                       {"nonce", required_argument, NULL, OPT_NONCE},
                                       {"out", required_argument, NULL, 'o'},
                                       {"no-wait", no_argument, NULL, OPT_NO_WAIT},
                                       CLI_COMMON_OPTIONS};
  const char *usage = submit ? TX_SUBMIT_USAGE : TX_SIGN_USAGE;
  const char *keyfile = NULL, *type_name = NULL, *payload = NULL, *payload_file = NULL;
  const char *out = NULL;
  cli_tx_opts o = {0};
  int wait = 1, opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:t:p:o:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(submit ? TX_SUBMIT_HELP : TX_SIGN_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case 't':
        type_name = optarg;
        break;
      case 'p':
        payload = optarg;
        break;
      case OPT_PAYLOAD_FILE:
        payload_file = optarg;
        break;
      case OPT_CHAIN:
        if (!*optarg || strlen(optarg) > SY_CHAIN_ID_MAX) {
          cli_err("--chain wants 1 to %d bytes", SY_CHAIN_ID_MAX);
          return cli_usage(c, usage);
        }
        o.chain = optarg;
        break;
      case OPT_NONCE:
        if (cli_parse_u64(optarg, &o.nonce)) {
          cli_err("--nonce wants an unsigned 64-bit decimal number, not '%s'", optarg);
          return cli_usage(c, usage);
        }
        o.have_nonce = 1;
        break;
      case 'o':
        if (submit) goto bad;
        out = optarg;
        break;
      case OPT_NO_WAIT:
        if (!submit) goto bad;
        wait = 0;
        break;
      default:
        return cli_usage(c, usage);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, usage);
  }
  if (!keyfile || !type_name || (!submit && !out)) {
    cli_err("missing %s", !keyfile ? "--key FILE" : !type_name ? "--type TYPE" : "--out FILE");
    return cli_usage(c, usage);
  }
  if (valid_type_or_usage(type_name, &o.type)) return cli_usage(c, usage);
  if (out && strcmp(out, "-") == 0 && isatty(STDOUT_FILENO)) {
    cli_err("refusing to write a binary transaction to a terminal; redirect stdout");
    return cli_usage(c, usage);
  }
  uint8_t *pl = NULL;
  int rc = cli_load_payload(payload, payload_file, &pl, &o.payload_len);
  if (rc == CLI_USAGE) return cli_usage(c, usage);
  if (rc) return rc;
  o.payload = pl;

  if (submit) {
    rc = cli_submit_tx(c, keyfile, &o, wait);
    free(pl);
    return rc;
  }

  char chain[SY_CHAIN_ID_MAX + 1];
  sy_key *key = NULL;
  sy_buf tx = {0};
  char id[2 * SY_HASH_LEN + 1];
  if (!o.chain) {
    if ((rc = cli_node_chain_id(c, chain))) goto undo_payload;
    o.chain = chain;
  }
  if ((rc = cli_load_key(c, keyfile, &key))) goto undo_payload;
  if ((rc = cli_sign_tx(c, key, &o, &tx, id))) goto undo_key;
  if (cli_write_file(out, tx.p, tx.len)) {
    cli_err("cannot write %s: %s", out, strerror(errno));
    rc = CLI_FAIL;
    goto undo_tx;
  }
  sy_tx dec;
  sy_tx_decode(&dec, tx.p, tx.len);
  char signer[2 * SY_KEYID_LEN + 1];
  sy_hex_encode(signer, dec.signer, SY_KEYID_LEN);
  /* With --out - the envelope owns stdout; the summary goes to stderr. */
  FILE *info = strcmp(out, "-") == 0 ? stderr : stdout;
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "type", type_name);
    cJSON_AddStringToObject(j, "chain_id", o.chain);
    cJSON_AddStringToObject(j, "signer", signer);
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)dec.nonce);
    cJSON_AddRawToObject(j, "nonce", num);
    snprintf(num, sizeof num, "%llu", (unsigned long long)dec.timestamp_ms);
    cJSON_AddRawToObject(j, "timestamp_ms", num);
    cJSON_AddStringToObject(j, "file", out);
    cJSON_AddNumberToObject(j, "bytes", (double)tx.len);
    char *s = cJSON_Print(j);
    if (s) fprintf(info, "%s\n", s);
    free(s);
    cJSON_Delete(j);
  } else {
    fprintf(info,
            "id:     %s\ntype:   %s\nchain:  %s\nsigner: %s\nnonce:  %llu\nfile:   %s (%zu "
            "bytes)\n",
            id, type_name, o.chain, signer, (unsigned long long)dec.nonce, out, tx.len);
  }
  rc = CLI_OK;
undo_tx:
  sy_buf_free(&tx);
undo_key:
  sy_key_free(key);
undo_payload:
  free(pl);
  return rc;
bad:
  cli_err("unknown option '%s'", argv[optind - 1]);
  return cli_usage(c, usage);
}

static int tx_send(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"no-wait", no_argument, NULL, OPT_NO_WAIT},
                                       CLI_COMMON_OPTIONS};
  int wait = 1, opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(TX_SEND_HELP);
      case OPT_NO_WAIT:
        wait = 0;
        break;
      default:
        return cli_usage(c, TX_SEND_USAGE);
    }
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the transaction FILE" : "too many arguments");
    return cli_usage(c, TX_SEND_USAGE);
  }
  const char *file = argv[optind];
  uint8_t *raw = NULL;
  size_t len = 0;
  int rc = cli_read_file(file, TX_FILE_MAX, &raw, &len);
  if (rc) {
    cli_err("cannot read %s: %s", file,
            rc == SY_ETOOBIG     ? "too large for a transaction"
            : rc == SY_ENOTFOUND ? "no such file"
                                 : strerror(errno));
    return CLI_FAIL;
  }
  rc = cli_send_tx(c, raw, len, wait);
  free(raw);
  return rc;
}

static int is_hex(const char *s, size_t n) {
  if (strlen(s) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
          (s[i] >= 'A' && s[i] <= 'F')))
      return 0;
  return 1;
}

static int tx_show(cli *c, int argc, char **argv) {
  static const struct option opts[] = {CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    if (opt == 'h') return cli_help(TX_SHOW_HELP);
    return cli_usage(c, TX_SHOW_USAGE);
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the transaction ID" : "too many arguments");
    return cli_usage(c, TX_SHOW_USAGE);
  }
  const char *id = argv[optind];
  if (!is_hex(id, 2 * SY_HASH_LEN)) {
    cli_err("'%s' is not a transaction id (64 hex characters)", id);
    return cli_usage(c, TX_SHOW_USAGE);
  }
  char path[128];
  snprintf(path, sizeof path, "/v1/tx/%s", id);
  sy_http_resp r;
  cJSON *j = NULL;
  int rc = c->json ? cli_get(c, path, &r) : get_json(c, path, &r, &j);
  if (rc) return rc;
  if (c->json) {
    print_body(&r);
    sy_http_resp_free(&r);
    return CLI_OK;
  }
  kvlist l = {0};
  static const char *const compact[] = {"payload", NULL};
  static const char *const skip[] = {"raw", NULL};
  kv_flatten(&l, "", j, compact, skip);
  /* The envelope carries the exact nonce and timestamp; JSON numbers above
   * 2^53 may have been rounded on the way. */
  const char *b64 = jstr(j, "raw");
  if (b64) {
    size_t blen = strlen(b64);
    uint8_t *raw = malloc(blen);
    long n = raw ? sy_b64_decode(raw, blen, b64, blen) : -1;
    sy_tx tx;
    if (n >= 0 && sy_tx_decode(&tx, raw, (size_t)n) == SY_OK) {
      for (size_t i = 0; i < l.n; i++) {
        char *v = NULL;
        if (strcmp(l.items[i].key, "nonce") == 0 &&
            asprintf(&v, "%llu", (unsigned long long)tx.nonce) >= 0) {
          free(l.items[i].val);
          l.items[i].val = v;
        }
      }
      kv_add(&l, "raw", "%ld bytes (--json shows them, base64)", n);
    }
    free(raw);
  }
  kv_print(&l);
  kv_free(&l);
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return CLI_OK;
}

static int tx_sign(cli *c, int argc, char **argv) { return tx_sign_or_submit(c, argc, argv, 0); }
static int tx_submit(cli *c, int argc, char **argv) { return tx_sign_or_submit(c, argc, argv, 1); }

int cli_cmd_tx(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"sign", "tx sign", tx_sign},
                                 {"send", "tx send", tx_send},
                                 {"submit", "tx submit", tx_submit},
                                 {"show", "tx show", tx_show}};
  return cli_subcommand(c, argc, argv, TX_HELP, NULL, subs, 4);
}

/* ---- block show --------------------------------------------------------------------------- */

static const char BLOCK_USAGE[] = "suyuan block show HEIGHT|latest";
static const char BLOCK_HELP[] =
    "usage: suyuan block show HEIGHT|latest\n"
    "\n"
    "Shows a block's header (hash, previous hash, Merkle root, flags and results\n"
    "hashes, time, proposer), its transactions with their validity, and the\n"
    "nodes' attestations. --json prints the node's answer as is.\n";

static int block_show(cli *c, int argc, char **argv) {
  static const struct option opts[] = {CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    if (opt == 'h') return cli_help(BLOCK_HELP);
    return cli_usage(c, BLOCK_USAGE);
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the block HEIGHT (or 'latest')" : "too many arguments");
    return cli_usage(c, BLOCK_USAGE);
  }
  const char *h = argv[optind];
  uint64_t height;
  if (strcmp(h, "latest") != 0 && cli_parse_u64(h, &height)) {
    cli_err("'%s' is not a block height", h);
    return cli_usage(c, BLOCK_USAGE);
  }
  char path[64];
  snprintf(path, sizeof path, "/v1/blocks/%s", h);
  sy_http_resp r;
  cJSON *j = NULL;
  int rc = c->json ? cli_get(c, path, &r) : get_json(c, path, &r, &j);
  if (rc) return rc;
  if (c->json) {
    print_body(&r);
    sy_http_resp_free(&r);
    return CLI_OK;
  }
  kvlist l = {0};
  static const char *const skip[] = {"txs", NULL};
  kv_flatten(&l, "", j, NULL, skip);
  kv_print(&l);
  kv_free(&l);
  const cJSON *txs = cJSON_GetObjectItemCaseSensitive(j, "txs");
  if (cJSON_IsArray(txs) && cJSON_GetArraySize(txs) > 0) {
    printf("txs:\n");
    printf("  %-5s %-64s  %-14s %s\n", "INDEX", "ID", "TYPE", "VALID");
    int i = 0;
    for (const cJSON *t = txs->child; t; t = t->next, i++) {
      const char *id = jstr(t, "id"), *type = jstr(t, "type"), *reason = jstr(t, "reason");
      int valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "valid"));
      printf("  %-5d %-64s  %-14s %s%s%s\n", i, id ? id : "?", type ? type : "?",
             valid ? "yes" : "no", valid || !reason ? "" : " ", valid || !reason ? "" : reason);
    }
  }
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return CLI_OK;
}

int cli_cmd_block(cli *c, int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
    return cli_help(BLOCK_HELP);
  if (argc < 2 || strcmp(argv[1], "show") != 0) {
    cli_err("block needs a subcommand: show");
    return cli_usage(c, BLOCK_USAGE);
  }
  c->cmd = "block show";
  return block_show(c, argc - 1, argv + 1);
}

/* ---- status -------------------------------------------------------------------------------- */

static const char STATUS_HELP[] =
    "usage: suyuan status\n"
    "\n"
    "Shows the node's status: chain id, genesis hash, suite, consensus, height and\n"
    "tip hash, transaction counts, backlog, registry sizes, uptime and the last\n"
    "error. --json prints the node's answer as is.\n";

int cli_cmd_status(cli *c, int argc, char **argv) {
  static const struct option opts[] = {CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    if (opt == 'h') return cli_help(STATUS_HELP);
    return cli_usage(c, "suyuan status");
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, "suyuan status");
  }
  sy_http_resp r;
  cJSON *j = NULL;
  int rc = c->json ? cli_get(c, "/v1/status", &r) : get_json(c, "/v1/status", &r, &j);
  if (rc) return rc;
  if (c->json) {
    print_body(&r);
  } else {
    kvlist l = {0};
    kv_add(&l, "node", "%s", c->node);
    kv_flatten(&l, "", j, NULL, NULL);
    kv_print(&l);
    kv_free(&l);
  }
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return CLI_OK;
}

/* ---- verify --------------------------------------------------------------------------------- */

static const char VERIFY_USAGE[] = "suyuan verify [--data DIR]";
static const char VERIFY_HELP[] =
    "usage: suyuan verify [--data DIR]\n"
    "\n"
    "Re-checks the whole chain from genesis: header hashes and the hash chain,\n"
    "Merkle roots, signatures, block seals, then replays every block and compares\n"
    "validity flags and results hashes.\n"
    "\n"
    "  -d, --data DIR   check the ledger file DIR/ledger.db here, offline (a stopped\n"
    "                   node's directory, a backup, or a copy); without it the node\n"
    "                   checks its own ledger (GET /v1/verify)\n"
    "\n"
    "Prints 'verify: OK — N blocks, M transactions' and exits 0, or 'verify: FAILED\n"
    "at height H: what' and exits 1.\n";

static int g_progress_shown;

static void verify_progress(void *ctx, uint64_t done, uint64_t total) {
  (void)ctx;
  fprintf(stderr, "\rverify: %llu/%llu blocks", (unsigned long long)done,
          (unsigned long long)total);
  g_progress_shown = 1;
}

static int report_verify(const cli *c, int ok, uint64_t blocks, uint64_t txs, uint64_t bad,
                         const char *what) {
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", ok);
    cJSON_AddNumberToObject(j, "blocks", (double)blocks);
    cJSON_AddNumberToObject(j, "txs", (double)txs);
    if (!ok) {
      cJSON_AddNumberToObject(j, "bad_height", (double)bad);
      cJSON_AddStringToObject(j, "what", what ? what : "");
    }
    char *s = cJSON_Print(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
  } else if (ok) {
    printf("verify: OK — %llu blocks, %llu transactions\n", (unsigned long long)blocks,
           (unsigned long long)txs);
  } else {
    printf("verify: FAILED at height %llu: %s\n", (unsigned long long)bad, what ? what : "?");
  }
  return ok ? CLI_OK : CLI_FAIL;
}

static int verify_offline(const cli *c, const char *dir) {
  struct stat st;
  char path[4096];
  /* Accept the ledger file itself as well as its directory. */
  if (stat(dir, &st) == 0 && S_ISREG(st.st_mode))
    snprintf(path, sizeof path, "%s", dir);
  else
    snprintf(path, sizeof path, "%s/ledger.db", dir);
  if (stat(path, &st) != 0) {
    cli_err("no ledger at %s: %s", path, strerror(errno));
    return CLI_FAIL;
  }
  if (sy_crypto_init()) {
    cli_err("cannot initialise the crypto library");
    return CLI_FAIL;
  }
  sy_verify_report rep;
  memset(&rep, 0, sizeof rep);
  int tty = isatty(STDERR_FILENO);
  int rc = sy_ledger_verify(path, &rep, tty ? verify_progress : NULL, NULL);
  if (g_progress_shown) fprintf(stderr, "\r%40s\r", "");
  if (rc) {
    cli_err("cannot verify %s: %s", path, sy_strerror(rc));
    return CLI_FAIL;
  }
  return report_verify(c, rep.ok, rep.blocks, rep.txs, rep.bad_height, rep.what);
}

int cli_cmd_verify(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"data", required_argument, NULL, 'd'}, CLI_COMMON_OPTIONS};
  const char *data = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hd:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(VERIFY_HELP);
      case 'd':
        data = optarg;
        break;
      default:
        return cli_usage(c, VERIFY_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, VERIFY_USAGE);
  }
  if (data) return verify_offline(c, data);

  sy_http_resp r;
  cJSON *j = NULL;
  int rc = get_json(c, "/v1/verify", &r, &j);
  if (rc) return rc;
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
  const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(j, "blocks");
  const cJSON *txs = cJSON_GetObjectItemCaseSensitive(j, "txs");
  const cJSON *bad = cJSON_GetObjectItemCaseSensitive(j, "bad_height");
  if (!cJSON_IsBool(ok)) {
    cli_err("the node's verify answer has no 'ok'");
    rc = CLI_FAIL;
  } else if (c->json) {
    print_body(&r);
    rc = cJSON_IsTrue(ok) ? CLI_OK : CLI_FAIL;
  } else {
    rc = report_verify(c, cJSON_IsTrue(ok),
                       cJSON_IsNumber(blocks) ? (uint64_t)blocks->valuedouble : 0,
                       cJSON_IsNumber(txs) ? (uint64_t)txs->valuedouble : 0,
                       cJSON_IsNumber(bad) ? (uint64_t)bad->valuedouble : 0, jstr(j, "what"));
  }
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}
