/* Fuzz target: HTTP request routing and query-string parsing (issue #6
 * part 1; SPEC G2 "every network input is hostile"). Drives the router of
 * src/api directly, without sockets: sy_api_route_prepare (the decision
 * taken on the headers alone), then the 413 path or sy_api_route, exactly
 * in the order http_server.c calls them.
 *
 * Input: an HTTP/1.1-shaped text, so the seeds can be read and written by
 * hand (fuzz/corpus/http_route/):
 *
 *   METHOD SP TARGET [SP anything] LF      TARGET = path [ "?" query ]
 *   Name: value LF                         zero or more headers
 *   LF                                     then the body, raw bytes
 *
 * CR before LF is dropped. The path is percent-decoded and cut at a decoded
 * NUL, the query split on '&' and '=' with '+' read as a space and
 * percent-decoding (keys and values may hold NUL bytes: they are passed
 * with their length, as libmicrohttpd does); that is what libmicrohttpd
 * 0.9.75 hands the handlers.
 *
 * The node behind the router is real and built once per process: a ledger
 * on tmpfs (/dev/shm when there is one, so commits cost no disk flush), a
 * solo pipeline, one org whose admin is the corpus key of fuzz_common.h
 * (transactions of fuzz/corpus/tx_decode post valid), a recorder member
 * with a custody key and the bearer token FUZZ_TOKEN, and three EPCIS
 * events captured at start-up so that queries, trace and recall find
 * something. The directory is removed at exit (not after a crash: libFuzzer
 * then exits without atexit handlers; remove /dev/shm/sy-fuzz-http.* by hand).
 *
 * Invariants besides memory safety (FUZZ_CHECK aborts):
 *   - the status is one the API documents (docs/http-api.md), never 500
 *     (a healthy ledger has no internal error to report);
 *   - every answer of 400 or more is an RFC 9457 problem document:
 *     application/problem+json that parses as a JSON object with
 *     "type" = "urn:suyuan:problem:<token>", "status" equal to the HTTP
 *     status, "title" and "detail" strings (one documented exception: the
 *     429 SMS reply of POST /v1/sms, docs/codes.md);
 *   - a body always has a Content-Type;
 *   - every JSON answer parses and is valid UTF-8; 204 has no body;
 *     405 carries Allow;
 *   - response header values (Location, Link, WWW-Authenticate, ...) hold
 *     no control characters (no header injection from a reflected input);
 *   - a body past sy_api_route_prepare's limit gets 413.
 */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/key_internal.h"
#include "crypto/suite.h"
#include "fuzz_common.h"
#include "label/label.h"

/* The bearer token of the fuzz node's recorder (test material, published
 * on purpose like FUZZ_KEY_SEED; seeds use it). */
#define FUZZ_TOKEN        \
  "syt_0123456789abcdef_" \
  "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0"
#define FUZZ_PASS "fuzz-node-pass"
#define MAX_HEADERS 32
#define MAX_ARGS 64
/* /v1/verify replays the whole chain: skipped once fuzzing has grown the
 * chain past this many blocks, so that one input stays well under
 * libFuzzer's -timeout. */
#define VERIFY_MAX_HEIGHT 512

static struct {
  int ready;
  char dir[256];
  sy_key *admin, *node, *rec;
  sy_ledger *ledger;
  sy_orderer *ord;
  sy_pipeline *pipe;
  sy_secret *pass;
  sy_api_router *router;
  int verbose;
} g;

/* ---- set-up and tear-down ------------------------------------------------------------ */

static void die(const char *what, int rc) {
  fprintf(stderr, "fuzz_http_route: set-up failed: %s (%d)\n", what, rc);
  abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void teardown(void) {
  if (!g.ready) return;
  g.ready = 0;
  sy_api_router_close(g.router);
  free(g.router);
  sy_pipeline_free(g.pipe);
  g.ord->ops->destroy(g.ord);
  sy_ledger_close(g.ledger);
  sy_secret_free(g.pass);
  sy_key_free(g.admin);
  sy_key_free(g.node);
  sy_key_free(g.rec);
  if (g.dir[0]) nftw(g.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  sy_label_cleanup(); /* cairo's and fontconfig's caches (GET /v1/label) */
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) die(path, errno);
  fputs(text, f);
  if (fclose(f) != 0) die(path, errno);
  chmod(path, 0600);
}

static void key_of(uint8_t fill, sy_key **out) {
  uint8_t seed[32];
  memset(seed, fill, sizeof seed);
  int rc = sy_key_from_seed(sy_suite_default(), seed, sizeof seed, out);
  if (rc != SY_OK) die("key", rc);
}

static void pk_hex(const sy_key *k, char out[65]) {
  size_t n;
  const uint8_t *p = sy_key_public(k, &n);
  sy_hex_encode(out, p, n);
}

/* Events the queries can find; fixed, so the replay is deterministic. */
static const char SEED_DOC[] =
    "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"],"
    "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2026-11-20T08:00:"
    "00Z\","
    "\"epcisBody\":{\"eventList\":["
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\",\"eventTimeZoneOffset\":"
    "\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"commissioning\",\"quantityList\":[{\"epcClass\":"
    "\"urn:epc:class:lgtin:6901234.000001.L1\",\"quantity\":5,\"uom\":\"KGM\"}]},"
    "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-21T08:00:00Z\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"inputQuantityList\":[{\"epcClass\":"
    "\"urn:epc:class:lgtin:6901234.000001.L1\",\"quantity\":1,\"uom\":\"KGM\"}],"
    "\"outputEPCList\":[\"urn:epc:id:sgtin:6901234.000002.1001\"]},"
    "{\"type\":\"AggregationEvent\",\"eventTime\":\"2026-11-22T08:00:00Z\",\"eventTimeZoneOffset\":"
    "\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"packing\",\"parentID\":"
    "\"urn:epc:id:sscc:6901234.0000000001\",\"childEPCs\":[\"urn:epc:id:sgtin:6901234.000002."
    "1001\"],"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00002.0\"}}]}}";

static const char *seed_header(void *ctx, const char *name) {
  (void)ctx;
  return strcasecmp(name, "Authorization") == 0 ? "Bearer " FUZZ_TOKEN : NULL;
}

static void setup(void) {
  int rc = sy_crypto_init();
  if (rc != SY_OK) die("sy_crypto_init", rc);
  sy_keystore_set_strength(SY_PWHASH_FAST);
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
  snprintf(g.dir, sizeof g.dir, "%s/sy-fuzz-http.XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(g.dir)) die("mkdtemp", errno);
  atexit(teardown);

  if ((rc = sy_key_from_seed(sy_suite_default(), FUZZ_KEY_SEED, sizeof FUZZ_KEY_SEED, &g.admin)))
    die("admin key", rc);
  key_of(0x42, &g.node);
  key_of(0x43, &g.rec);
  char apk[65], npk[65], rpk[65], rid[2 * SY_KEYID_LEN + 1], nid[2 * SY_KEYID_LEN + 1];
  pk_hex(g.admin, apk);
  pk_hex(g.node, npk);
  pk_hex(g.rec, rpk);
  sy_hex_encode(rid, sy_key_id_of(g.rec), SY_KEYID_LEN);
  sy_hex_encode(nid, sy_key_id_of(g.node), SY_KEYID_LEN);

  char genesis[1024], path[512], text[1024];
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"" FUZZ_CHAIN_ID
           "\",\"suite\":\"ed25519-sha256\",\"created_ms\":"
           "1763600000000,\"orgs\":[{\"id\":\"fuzz\",\"name\":\"Fuzz\",\"admins\":[{\"public_key\":"
           "\"%s\"}]}],\"nodes\":[{\"org\":\"fuzz\",\"public_key\":\"%s\"}]}",
           apk, npk);
  char ledger_path[300];
  snprintf(ledger_path, sizeof ledger_path, "%s/ledger.db", g.dir);
  sy_ledger_opts lo = {.path = ledger_path,
                       .genesis = (const uint8_t *)genesis,
                       .genesis_len = strlen(genesis),
                       .node_key = g.node,
                       .readers = 2};
  char err[256] = "";
  if ((rc = sy_ledger_open(&g.ledger, &lo, err, sizeof err))) die(err, rc);
  sy_solo_opts so = {.max_block_txs = 64, .batch_wait_ms = 0, .proposer = sy_key_id_of(g.node)};
  if ((rc = sy_solo_new(&so, &g.ord))) die("solo", rc);
  if ((rc = sy_pipeline_new(g.ledger, g.ord, SY_API_DEFAULT_MAX_TX_BYTES, &g.pipe)))
    die("pipeline", rc);

  /* the recorder: a member, its custody key and its token */
  char payload[300];
  snprintf(payload, sizeof payload,
           "{\"org\":\"fuzz\",\"public_key\":\"%s\",\"roles\":[\"recorder\"],\"name\":\"rec\"}",
           rpk);
  sy_buf b = {0};
  rc = sy_key_sign_tx(g.admin, &b, SY_TX_MEMBER_ADD, FUZZ_CHAIN_ID, 1764000000000ull, 1,
                      (const uint8_t *)payload, strlen(payload));
  sy_submit_result sr;
  if (rc == SY_OK) rc = sy_pipeline_submit(g.pipe, b.p, b.len, 10000, &sr);
  sy_buf_free(&b);
  if (rc != SY_OK || sr.reason != SY_R_VALID) die("member.add", rc ? rc : sr.reason);
  snprintf(path, sizeof path, "%s/custody", g.dir);
  if (mkdir(path, 0700) != 0) die(path, errno);
  snprintf(path, sizeof path, "%s/custody/%s.key", g.dir, rid);
  if ((rc = sy_keystore_save(g.rec, path, FUZZ_PASS, strlen(FUZZ_PASS)))) die("custody", rc);
  uint8_t h[SY_HASH_LEN];
  char hh[2 * SY_HASH_LEN + 1];
  sy_slice sl = {FUZZ_TOKEN, strlen(FUZZ_TOKEN)};
  sy_suite_default()->hash(&sl, 1, h);
  sy_hex_encode(hh, h, SY_HASH_LEN);
  snprintf(text, sizeof text,
           "{\"tokens\": [{\"id\": \"0123456789abcdef\", \"hash\": \"%s\", \"key_id\": \"%s\", "
           "\"name\": \"fuzz\", \"created_ms\": 1, \"expires_ms\": 0, \"revoked\": false}]}",
           hh, rid);
  snprintf(path, sizeof path, "%s/tokens.json", g.dir);
  write_text(path, text);

  if ((rc = sy_secret_new(FUZZ_PASS, strlen(FUZZ_PASS), &g.pass))) die("secret", rc);
  sy_api_opts ao = {.data_dir = g.dir,
                    .passphrase = g.pass,
                    .ledger_path = ledger_path,
                    .node_key_id_hex = nid,
                    .version = "fuzz",
                    .public_url = "https://trace.example.com"};
  g.router = calloc(1, sizeof *g.router);
  if (!g.router) die("calloc", SY_ENOMEM);
  if ((rc = sy_api_router_init(g.router, &ao, g.ledger, g.pipe))) die("router", rc);
  snprintf(g.router->base_url, sizeof g.router->base_url, "http://127.0.0.1:7420");
  g.ready = 1;
  g.verbose = getenv("FUZZ_HTTP_VERBOSE") != NULL;

  /* three events on the chain, captured the way a client would */
  sy_api_req rq = {.method = "POST",
                   .path = "/capture",
                   .content_type = "application/json",
                   .body = (const uint8_t *)SEED_DOC,
                   .body_len = strlen(SEED_DOC),
                   .header = seed_header,
                   .remote_addr = "127.0.0.1"};
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  int keep = 0;
  sy_api_route_prepare(g.router, &rq, &keep, &rs);
  if (rs.status) die("capture refused early", rs.status);
  sy_api_route(g.router, &rq, &rs);
  if (rs.status != 202) {
    fprintf(stderr, "%.*s\n", (int)rs.body_len, rs.body ? rs.body : "");
    die("seed capture", rs.status);
  }
  sy_api_resp_release(&rs);

  /* Labels are drawn with cairo, whose font lookup (fontconfig) fills
   * process-wide caches on first use and keeps them until exit: draw one
   * label per format now, so libFuzzer's per-input leak check does not
   * take those caches for a leak of the input that happened to be first.
   * (teardown frees them with sy_label_cleanup.) */
  static const char *const warm[] = {
      "GET /v1/label?id=%2801%2906901234000023%2821%291001&format=svg&name=%E8%8C%B6",
      "GET /v1/label?id=%2801%2906901234000023%2821%291001&format=png&model=M1",
      "GET /v1/label?id=%2801%2906901234000023%2821%291001&format=pdf&customer=C"};
  for (size_t i = 0; i < sizeof warm / sizeof warm[0]; i++)
    LLVMFuzzerTestOneInput((const uint8_t *)warm[i], strlen(warm[i]));
}

/* LeakSanitizer's hook (used when the target is built with ASan or
 * libFuzzer): fontconfig, which cairo uses to find fonts for GET /v1/label,
 * keeps pattern caches that LeakSanitizer's per-input check in libFuzzer
 * sees as lost (they are freed by FcFini at exit: teardown). Not ours to
 * fix; everything else is still checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libfontconfig.so\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  setup();
  return 0;
}

/* ---- the request ------------------------------------------------------------------------ */

typedef struct arg {
  char *key, *val; /* decoded, NUL-terminated; val NULL for "key" without "=" */
  size_t klen, vlen;
} arg;

typedef struct req {
  char *hname[MAX_HEADERS], *hval[MAX_HEADERS];
  size_t nh;
  arg args[MAX_ARGS];
  size_t na;
} req;

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into a malloc'd NUL-terminated copy (libmicrohttpd
 * leaves a '%' not followed by two hex digits as it is); plus: '+' is a
 * space. *outlen excludes the terminator. */
static char *unescape(const char *s, size_t n, int plus, size_t *outlen) {
  char *o = malloc(n + 1);
  if (!o) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    int a, b;
    if (s[i] == '%' && i + 2 < n && (a = hexval((unsigned char)s[i + 1])) >= 0 &&
        (b = hexval((unsigned char)s[i + 2])) >= 0) {
      o[j++] = (char)(a * 16 + b);
      i += 2;
    } else if (plus && s[i] == '+') {
      o[j++] = ' ';
    } else {
      o[j++] = s[i];
    }
  }
  o[j] = '\0';
  if (outlen) *outlen = j;
  return o;
}

static int q_lookup(void *ctx, const char *key, const char **val, size_t *len) {
  req *r = ctx;
  for (size_t i = 0; i < r->na; i++)
    if (strcmp(r->args[i].key, key) == 0) { /* libmicrohttpd: the first one */
      *val = r->args[i].val;
      *len = r->args[i].val ? r->args[i].vlen : 0;
      return 1;
    }
  return 0;
}

static int q_each(void *ctx, int (*fn)(void *, const char *, size_t, const char *, size_t),
                  void *a) {
  req *r = ctx;
  for (size_t i = 0; i < r->na; i++) {
    int rc = fn(a, r->args[i].key, r->args[i].klen, r->args[i].val,
                r->args[i].val ? r->args[i].vlen : 0);
    if (rc) return rc;
  }
  return 0;
}

static const char *h_lookup(void *ctx, const char *name) {
  req *r = ctx;
  for (size_t i = 0; i < r->nh; i++)
    if (strcasecmp(r->hname[i], name) == 0) return r->hval[i];
  return NULL;
}

static void req_free(req *r) {
  for (size_t i = 0; i < r->nh; i++) {
    free(r->hname[i]);
    free(r->hval[i]);
  }
  for (size_t i = 0; i < r->na; i++) {
    free(r->args[i].key);
    free(r->args[i].val);
  }
}

/* Next line of data[*pos..size): [*ls, *le) without CR LF; 0 at the end. */
static int next_line(const uint8_t *data, size_t size, size_t *pos, size_t *ls, size_t *le) {
  if (*pos >= size) return 0;
  size_t s = *pos, e = s;
  while (e < size && data[e] != '\n') e++;
  *pos = e < size ? e + 1 : e;
  size_t t = e;
  if (t > s && data[t - 1] == '\r') t--;
  *ls = s;
  *le = t;
  return 1;
}

/* A C string of data[s..e) cut at the first NUL (header values are C strings). */
static char *cstr_of(const uint8_t *data, size_t s, size_t e) {
  const void *nul = memchr(data + s, 0, e - s);
  if (nul) e = (size_t)((const uint8_t *)nul - data);
  return fuzz_cstr(data + s, e - s);
}

/* ---- response checks ------------------------------------------------------------------- */

static int documented_status(int s) {
  static const int ok[] = {200, 201, 202, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404,
                           405, 406, 409, 410, 413, 414, 415, 416, 422, 429, 431, 501, 503, 507};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (ok[i] == s) return 1;
  return 0;
}

static int no_ctl(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
  return 1;
}

static void check_resp(const sy_api_resp *rs, const char *path) {
  if (!documented_status(rs->status) || rs->status == 500)
    fprintf(stderr, "status %d for %s: %.*s\n", rs->status, path,
            (int)(rs->body_len > 600 ? 600 : rs->body_len), rs->body ? rs->body : "");
  FUZZ_CHECK(documented_status(rs->status));
  FUZZ_CHECK(rs->nhdrs <= SY_API_MAX_HEADERS);
  for (size_t i = 0; i < rs->nhdrs; i++) {
    FUZZ_CHECK(rs->hdrs[i].name != NULL);
    if (rs->hdrs[i].value) FUZZ_CHECK(no_ctl(rs->hdrs[i].value));
  }
  FUZZ_CHECK(memchr(rs->location, 0, sizeof rs->location) != NULL);
  FUZZ_CHECK(no_ctl(rs->location));
  if (rs->status == 405) FUZZ_CHECK(rs->allow != NULL);
  if (rs->status == 204) FUZZ_CHECK(rs->body == NULL || rs->body_len == 0);
  if (!rs->body) {
    /* only the static out-of-memory answer has no malloc'd body */
    if (rs->status >= 400) FUZZ_CHECK(rs->static_body != NULL);
    return;
  }
  FUZZ_CHECK(rs->content_type != NULL); /* a body always says what it is */
  const char *ct = rs->content_type;
  int problem = strcmp(ct, "application/problem+json") == 0;
  /* The one documented exception (docs/codes.md): a rate-limited SMS sender
   * gets 429 with the SMS reply ({"reply", ...} or text/plain), which the
   * gateway forwards as it is. */
  int sms_reply = strcmp(path, "/v1/sms") == 0 && rs->status == 429 && !problem;
  if (sms_reply) {
    if (strncmp(ct, "text/plain", 10) == 0) {
      FUZZ_CHECK(sy_api_utf8_valid((const uint8_t *)rs->body, rs->body_len));
    } else {
      cJSON *doc = cJSON_ParseWithLength(rs->body, rs->body_len);
      FUZZ_CHECK(cJSON_IsObject(doc) &&
                 cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "reply")));
      cJSON_Delete(doc);
    }
    return;
  }
  int json = problem || strncmp(ct, "application/json", 16) == 0 ||
             strncmp(ct, "application/ld+json", 19) == 0 ||
             strncmp(ct, "application/linkset+json", 24) == 0;
  if (rs->status >= 400) FUZZ_CHECK(problem);
  if (json) {
    FUZZ_CHECK(sy_api_utf8_valid((const uint8_t *)rs->body, rs->body_len));
    cJSON *doc = cJSON_ParseWithLength(rs->body, rs->body_len);
    FUZZ_CHECK(doc != NULL);
    if (problem) {
      FUZZ_CHECK(cJSON_IsObject(doc));
      const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");
      const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
      const cJSON *title = cJSON_GetObjectItemCaseSensitive(doc, "title");
      const cJSON *detail = cJSON_GetObjectItemCaseSensitive(doc, "detail");
      FUZZ_CHECK(cJSON_IsString(type) &&
                 strncmp(type->valuestring, "urn:suyuan:problem:", 19) == 0 &&
                 type->valuestring[19] != '\0');
      FUZZ_CHECK(cJSON_IsNumber(st) && st->valueint == rs->status);
      FUZZ_CHECK(cJSON_IsString(title) && title->valuestring[0] != '\0');
      FUZZ_CHECK(cJSON_IsString(detail));
      /* a 500 would mean an internal error on a healthy ledger */
      if (rs->status == 500) fprintf(stderr, "500 %s\n", type->valuestring);
    }
    cJSON_Delete(doc);
  }
  FUZZ_CHECK(rs->status != 500);
}

/* ---- the target ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!g.ready) setup(); /* the replay runner calls LLVMFuzzerInitialize; be safe */
  size_t pos = 0, ls, le;
  if (!next_line(data, size, &pos, &ls, &le)) return -1;

  /* request line */
  size_t sp1 = ls;
  while (sp1 < le && data[sp1] != ' ') sp1++;
  if (sp1 == ls || sp1 - ls > 16) return -1;
  char *method = cstr_of(data, ls, sp1);
  size_t ts = sp1 < le ? sp1 + 1 : le, te = ts;
  while (te < le && data[te] != ' ') te++;
  size_t qm = ts;
  while (qm < te && data[qm] != '?') qm++;
  size_t plen;
  char *path = unescape((const char *)data + ts, qm - ts, 0, &plen);
  req r;
  memset(&r, 0, sizeof r);
  if (!method || !path) goto out;
  /* query: k=v&k&k=v... */
  for (size_t i = qm < te ? qm + 1 : te; i < te && r.na < MAX_ARGS;) {
    size_t e = i;
    while (e < te && data[e] != '&') e++;
    if (e > i) {
      size_t eq = i;
      while (eq < e && data[eq] != '=') eq++;
      arg *a = &r.args[r.na];
      a->key = unescape((const char *)data + i, eq - i, 1, &a->klen);
      if (eq < e) a->val = unescape((const char *)data + eq + 1, e - eq - 1, 1, &a->vlen);
      r.na++;
      if (!a->key || (eq < e && !a->val)) goto out;
    }
    i = e + 1;
  }
  /* headers */
  while (next_line(data, size, &pos, &ls, &le) && le > ls) {
    if (r.nh == MAX_HEADERS) continue;
    size_t c = ls;
    while (c < le && data[c] != ':') c++;
    if (c == le || c == ls) continue; /* libmicrohttpd drops such lines */
    size_t vs = c + 1;
    while (vs < le && (data[vs] == ' ' || data[vs] == '\t')) vs++;
    r.hname[r.nh] = cstr_of(data, ls, c);
    r.hval[r.nh] = cstr_of(data, vs, le);
    r.nh++;
    if (!r.hname[r.nh - 1] || !r.hval[r.nh - 1]) goto out;
  }
  const uint8_t *body = pos < size ? data + pos : NULL;
  size_t body_len = size - pos;

  if (strcmp(path, "/v1/verify") == 0) {
    sy_tip tip;
    if (sy_ledger_tip(g.ledger, &tip) == SY_OK && tip.height > VERIFY_MAX_HEIGHT) goto out;
  }

  /* The client address varies with the input, so that the per-address rate
   * limits of /v1/verify-code and /v1/sms do not answer 429 to everything
   * after the first few inputs (and their fixed-size table gets churned). */
  char remote[24];
  snprintf(remote, sizeof remote, "10.%u.%u.%u", (unsigned)(size >> 16) & 255u,
           (unsigned)(size >> 8) & 255u, (unsigned)size & 255u);
  sy_api_req rq = {.method = method,
                   .path = path,
                   .content_type = h_lookup(&r, "Content-Type"),
                   .query = q_lookup,
                   .query_ctx = &r,
                   .query_each = q_each,
                   .header = h_lookup,
                   .remote_addr = remote};
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  int keep = 0;
  size_t limit = sy_api_route_prepare(g.router, &rq, &keep, &rs);
  if (rs.status) {
    FUZZ_CHECK(rs.status >= 400);
    check_resp(&rs, path);
  } else if (body_len > limit) {
    sy_api_route_too_large(g.router, method, path, limit, &rs);
    FUZZ_CHECK(rs.status == 413);
    check_resp(&rs, path);
  } else {
    if (keep) {
      rq.body = body_len ? body : NULL;
      rq.body_len = body_len;
    }
    sy_api_route(g.router, &rq, &rs);
    check_resp(&rs, path);
  }
  if (g.verbose) /* FUZZ_HTTP_VERBOSE=1: what each input got (writing seeds) */
    fprintf(stderr, "fuzz_http_route: %d %s %s %.*s\n", rs.status, method, path,
            (int)(rs.status >= 400 && rs.body_len < 300 ? rs.body_len : 0), rs.body ? rs.body : "");
  sy_api_resp_release(&rs);
out:
  req_free(&r);
  free(method);
  free(path);
  return 0;
}
