/* HTTP route handlers (docs/http-api.md). No libmicrohttpd here: a request
 * comes in as an sy_api_req, a response goes out as an sy_api_resp.
 *
 * Every byte of a request is hostile. Ids and heights are checked before
 * they reach the ledger; anything we echo back (paths, chain ids, names) is
 * passed through utf8_clean so the JSON we emit is always valid UTF-8; u64
 * values are written as exact decimal text, never through a double. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"

/* Largest envelope a node may be configured to take: the format's payload
 * ceiling plus the envelope's fixed fields. */
#define MAX_TX_BYTES_CEIL ((size_t)SY_TX_PAYLOAD_MAX + 512)
/* JSON bodies carry base64 (4/3 of the envelope) plus the object around it. */
#define JSON_BODY_SLACK 1024
#define INSTANCE_MAX 200 /* bytes of the request path echoed in a problem */

/* Sent when even the problem document cannot be allocated. */
static const char OOM_BODY[] =
    "{\"type\":\"urn:suyuan:problem:out-of-memory\",\"title\":\"Out of memory\","
    "\"status\":503,\"detail\":\"the node could not allocate memory for this response\"}";

/* Upper bounds (microseconds) of the request latency histogram on /metrics. */
static const uint64_t latency_bounds[SY_API_LATENCY_BUCKETS] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000};

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- text hygiene ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
size_t sy_api_utf8_seq(const uint8_t *p, size_t n) {
  uint8_t c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min, cp;
  if ((c & 0xe0) == 0xc0)
    len = 2, min = 0x80, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    len = 3, min = 0x800, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    len = 4, min = 0x10000, cp = c & 0x07;
  else
    return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

/* 1 when p[0..n) is valid UTF-8 without NUL bytes. */
static int utf8_valid(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t k = sy_api_utf8_seq(p + i, n - i);
    if (k == 0 || p[i] == 0) return 0;
    i += k;
  }
  return 1;
}

/* Copies p[0..n) into out (size >= 4) as valid UTF-8 without NULs: every
 * invalid byte and every NUL becomes U+FFFD. Truncates on a character
 * boundary when out is too small. */
static void utf8_clean(char *out, size_t size, const uint8_t *p, size_t n) {
  static const char repl[] = "\xef\xbf\xbd";
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = sy_api_utf8_seq(p + i, n - i);
    const char *src = (const char *)p + i;
    size_t w = k;
    if (k == 0 || p[i] == 0) {
      src = repl;
      w = 3;
      k = 1;
    }
    if (o + w + 1 > size) break;
    memcpy(out + o, src, w);
    o += w;
    i += k;
  }
  out[o] = 0;
}

static void clean_cstr(char *out, size_t size, const char *s, size_t max) {
  utf8_clean(out, size, (const uint8_t *)s, s ? strnlen(s, max) : 0);
}

int sy_api_utf8_valid(const uint8_t *p, size_t n) { return utf8_valid(p, n); }

void sy_api_utf8_clean(char *out, size_t size, const char *s, size_t max) {
  clean_cstr(out, size, s, max);
}

/* Throttled: at most one line a second, so a failing disk or a flood of bad
 * connections under load does not turn stderr into the bottleneck. */
void sy_api_vlog(sy_api_router *r, const char *who, const char *fmt, va_list ap) {
  uint64_t now = mono_ms(), last = atomic_load(&r->last_log_ms);
  if ((last && now - last < 1000) || !atomic_compare_exchange_strong(&r->last_log_ms, &last, now)) {
    atomic_fetch_add(&r->log_suppressed, 1);
    return;
  }
  char line[768];
  vsnprintf(line, sizeof line, fmt, ap);
  /* One event, one line: no control characters from request data. */
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
  for (char *p = line; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  uint64_t dropped = atomic_exchange(&r->log_suppressed, 0);
  if (dropped)
    fprintf(stderr, "suyuand: %s: %s (%" PRIu64 " lines suppressed before this)\n", who, line,
            dropped);
  else
    fprintf(stderr, "suyuand: %s: %s\n", who, line);
}

void sy_api_log(sy_api_router *r, const char *who, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sy_api_vlog(r, who, fmt, ap);
  va_end(ap);
}

/* ---- JSON building with one out-of-memory flag --------------------------------
 * cJSON reports allocation failure by returning NULL from every call; these
 * helpers fold that into jb.oom so a handler checks once, at the end. Keys
 * are string literals (cJSON_AddItemToObjectCS does not copy them). */

typedef struct jb {
  int oom;
} jb;

static cJSON *j_put(jb *b, cJSON *parent, const char *key, cJSON *item) {
  if (!item || !parent) goto fail;
  cJSON_bool ok =
      key ? cJSON_AddItemToObjectCS(parent, key, item) : cJSON_AddItemToArray(parent, item);
  if (!ok) goto fail;
  return item;
fail:
  cJSON_Delete(item);
  b->oom = 1;
  return NULL;
}

static void j_str(jb *b, cJSON *o, const char *k, const char *s) {
  j_put(b, o, k, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static void j_u64(jb *b, cJSON *o, const char *k, uint64_t v) {
  char t[24];
  snprintf(t, sizeof t, "%" PRIu64, v);
  j_put(b, o, k, cJSON_CreateRaw(t));
}

static void j_bool(jb *b, cJSON *o, const char *k, int v) { j_put(b, o, k, cJSON_CreateBool(v)); }
static void j_null(jb *b, cJSON *o, const char *k) { j_put(b, o, k, cJSON_CreateNull()); }

static void j_hex(jb *b, cJSON *o, const char *k, const uint8_t *p, size_t n) {
  char t[2 * SY_SIG_MAX + 1];
  if (n > SY_SIG_MAX) {
    b->oom = 1; /* cannot happen with the header's sizes; refuse rather than overflow */
    return;
  }
  sy_hex_encode(t, p, n);
  j_put(b, o, k, cJSON_CreateString(t));
}

static void j_b64(jb *b, cJSON *o, const char *k, const uint8_t *p, size_t n) {
  char *t = malloc(sy_b64_encoded_len(n));
  if (!t) {
    b->oom = 1;
    return;
  }
  sy_b64_encode(t, p, n);
  j_put(b, o, k, cJSON_CreateString(t));
  free(t);
}

static void j_text(jb *b, cJSON *o, const char *k, const uint8_t *p, size_t n) {
  char t[3 * 256 + 1]; /* the longest text we echo is 256 bytes (verify's what) */
  utf8_clean(t, sizeof t, p, n);
  j_str(b, o, k, t);
}

static cJSON *j_obj(jb *b, cJSON *o, const char *k) { return j_put(b, o, k, cJSON_CreateObject()); }
static cJSON *j_arr(jb *b, cJSON *o, const char *k) { return j_put(b, o, k, cJSON_CreateArray()); }

static void resp_oom(sy_api_resp *rs) {
  free(rs->body);
  rs->body = NULL;
  rs->body_len = 0;
  rs->status = 503;
  rs->content_type = "application/problem+json";
  rs->static_body = OOM_BODY;
  rs->retry_after = 1;
}

void sy_api_resp_oom(sy_api_resp *rs) { resp_oom(rs); }

void sy_api_resp_header(sy_api_resp *rs, const char *name, const char *fmt, ...) {
  if (rs->nhdrs >= SY_API_MAX_HEADERS) return;
  char *v = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&v, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  /* A header value is one line: no CR, LF or other control characters. */
  for (char *p = v; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
  rs->hdrs[rs->nhdrs].name = name;
  rs->hdrs[rs->nhdrs].value = v;
  rs->nhdrs++;
}

void sy_api_resp_release(sy_api_resp *rs) {
  free(rs->body);
  for (size_t i = 0; i < rs->nhdrs && i < SY_API_MAX_HEADERS; i++) free(rs->hdrs[i].value);
  memset(rs, 0, sizeof *rs);
}

void sy_api_resp_json(sy_api_resp *rs, int status, cJSON *root, int oom, const char *ctype) {
  char *text = (root && !oom) ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) {
    resp_oom(rs);
    return;
  }
  free(rs->body);
  rs->status = status;
  rs->content_type = ctype ? ctype : "application/json";
  rs->body = text;
  rs->body_len = strlen(text);
}

/* Takes root (deleted here) and renders it as the response body. */
static void resp_json(sy_api_resp *rs, int status, cJSON *root, jb *b) {
  char *text = (root && !b->oom) ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (!text) {
    resp_oom(rs);
    return;
  }
  rs->status = status;
  rs->content_type = "application/json";
  rs->body = text;
  rs->body_len = strlen(text);
}

/* ---- problem details (RFC 9457) ------------------------------------------------ */

static const char *status_title(int status) {
  switch (status) {
    case 400: return "Bad request";
    case 404: return "Not found";
    case 405: return "Method not allowed";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 409: return "Conflict";
    case 413: return "Content too large";
    case 415: return "Unsupported media type";
    case 500: return "Internal error";
    case 501: return "Not implemented";
    case 503: return "Service unavailable";
    case 507: return "Insufficient storage";
    default: return "Error";
  }
}

/* Titles are per type token where the doc names one, so a client can show
 * them as they are. */
static const char *token_title(const char *token, int status) {
  static const struct {
    const char *token, *title;
  } t[] = {
      {"malformed-tx", "Malformed transaction"},
      {"wrong-chain", "Wrong chain"},
      {"bad-signature", "Bad signature"},
      {"duplicate-tx", "Duplicate transaction"},
      {"payload-too-large", "Payload too large"},
      {"unsupported-media-type", "Unsupported media type"},
      {"overloaded", "Overloaded"},
      {"storage-unavailable", "Storage unavailable"},
      {"insufficient-storage", "Insufficient storage"},
      {"invalid-id", "Invalid id"},
      {"invalid-height", "Invalid height"},
      {"invalid-parameter", "Invalid parameter"},
      {"not-found", "Not found"},
      {"method-not-allowed", "Method not allowed"},
      {"shutting-down", "Shutting down"},
      {"busy", "Busy"},
      {"verify-unavailable", "Verify unavailable"},
      {"verify-failed", "Verify failed"},
      {"ledger-corrupt", "Ledger corrupt"},
      {"internal-error", "Internal error"},
      {"unauthorized", "Unauthorized"},
      {"forbidden", "Forbidden"},
      {"malformed-json", "Malformed JSON"},
      {"invalid-epcis", "Invalid EPCIS document"},
      {"invalid-header", "Invalid header"},
      {"duplicate-event", "Duplicate event"},
      {"capture-limit-exceeded", "Capture payload too large"},
      {"transaction-invalid", "Transaction recorded invalid"},
      {"custody-unavailable", "Custody key unavailable"},
      {"not-committed", "Not committed"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].token, token) == 0) return t[i].title;
  return status_title(status);
}

static void problem_v(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                      const char *instance, cJSON *ext, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

void sy_api_problem(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                    const char *instance, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  problem_v(r, rs, status, token, instance, NULL, fmt, ap);
  va_end(ap);
}

void sy_api_problem_x(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                      const char *instance, cJSON *ext, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  problem_v(r, rs, status, token, instance, ext, fmt, ap);
  va_end(ap);
}

static void problem_v(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                      const char *instance, cJSON *ext, const char *fmt, va_list ap) {
  char raw[512], detail[768], inst[3 * INSTANCE_MAX + 1], type[96];
  vsnprintf(raw, sizeof raw, fmt, ap);
  clean_cstr(detail, sizeof detail, raw, sizeof raw);
  clean_cstr(inst, sizeof inst, instance ? instance : "", INSTANCE_MAX);
  snprintf(type, sizeof type, "urn:suyuan:problem:%s", token);

  if (status >= 500 && strcmp(token, "overloaded") != 0 && strcmp(token, "shutting-down") != 0 &&
      strcmp(token, "busy") != 0)
    sy_api_log(r, "api", "%d %s %s: %s", status, token, inst, detail);

  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  j_str(&b, o, "type", type);
  j_str(&b, o, "title", token_title(token, status));
  j_put(&b, o, "status", cJSON_CreateNumber(status));
  j_str(&b, o, "detail", detail);
  j_str(&b, o, "instance", inst);
  if (ext) { /* move the extension members over, after the standard ones */
    while (o && ext->child) {
      cJSON *m = cJSON_DetachItemViaPointer(ext, ext->child);
      if (!cJSON_AddItemToObject(o, m->string ? m->string : "", m)) {
        cJSON_Delete(m);
        b.oom = 1;
      }
    }
    cJSON_Delete(ext);
  }
  char *text = (o && !b.oom) ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  free(rs->body);
  rs->body = NULL;
  if (!text) {
    resp_oom(rs);
    return;
  }
  rs->status = status;
  rs->content_type = "application/problem+json";
  rs->body = text;
  rs->body_len = strlen(text);
}

/* Maps a ledger / pipeline error without a more specific meaning. */
static void problem_err(sy_api_router *r, sy_api_resp *rs, int err, const char *instance,
                        const char *what) {
  switch (err) {
    case SY_ENOTFOUND:
      sy_api_problem(r, rs, 404, "not-found", instance, "%s not found", what);
      return;
    case SY_ENOMEM:
    case SY_EBUSY:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "overloaded", instance, "%s: %s; retry", what, sy_strerror(err));
      return;
    case SY_EIO:
    case SY_ESTORAGE:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "storage-unavailable", instance, "%s: %s", what, sy_strerror(err));
      return;
    case SY_ENOSPC:
      sy_api_problem(r, rs, 507, "insufficient-storage", instance, "%s: %s", what,
                     sy_strerror(err));
      return;
    case SY_ESTOPPED:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "shutting-down", instance, "the node is shutting down");
      return;
    case SY_ECORRUPT:
    case SY_EDIVERGED:
      sy_api_problem(r, rs, 500, "ledger-corrupt", instance, "%s: %s", what, sy_strerror(err));
      return;
    default:
      sy_api_problem(r, rs, 500, "internal-error", instance, "%s: %s (%s)", what, sy_strerror(err),
                     sy_err_name(err));
      return;
  }
}

void sy_api_problem_err(sy_api_router *r, sy_api_resp *rs, int err, const char *instance,
                        const char *what) {
  problem_err(r, rs, err, instance, what);
}

/* ---- parsing of hostile input ---------------------------------------------------- */

/* Strict decimal u64: 1..20 digits, nothing else, no overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out) {
  if (!s || n == 0 || n > 20) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int sy_api_parse_u64(const char *s, size_t n, uint64_t *out) { return parse_u64(s, n, out); }

enum media { MEDIA_NONE, MEDIA_OCTET, MEDIA_JSON, MEDIA_OTHER };

/* The media type of a Content-Type value, parameters (charset=...) ignored. */
static enum media media_of(const char *ct) {
  if (!ct) return MEDIA_NONE;
  while (*ct == ' ' || *ct == '\t') ct++;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  if (n == 24 && strncasecmp(ct, "application/octet-stream", n) == 0) return MEDIA_OCTET;
  if (n == 16 && strncasecmp(ct, "application/json", n) == 0) return MEDIA_JSON;
  return n ? MEDIA_OTHER : MEDIA_NONE;
}

/* ---- routing ------------------------------------------------------------------------ */

enum route {
  R_NONE,
  R_TX,      /* POST /v1/tx */
  R_TX_ID,   /* GET /v1/tx/{id} */
  R_BLOCK,   /* GET /v1/blocks/{height|latest} */
  R_STATUS,  /* GET /v1/status */
  R_HEALTH,  /* GET /health */
  R_MEMBERS, /* GET /v1/members */
  R_NODES,   /* GET /v1/nodes */
  R_VERIFY,  /* GET /v1/verify */
  R_METRICS, /* GET /metrics */
  /* GS1 EPCIS 2.0 REST binding, also under /epcis/ (routes_epcis.c) */
  R_CAPTURE,    /* POST, OPTIONS /capture */
  R_CAPTURE_ID, /* GET /capture/{captureID} */
  R_EVENTS,     /* GET, POST, OPTIONS /events */
  R_EVENT_ID,   /* GET /events/{eventID} */
  /* trace and recall (routes_trace.c) */
  R_TRACE_FWD,  /* GET /v1/trace/forward */
  R_TRACE_BACK, /* GET /v1/trace/backward */
  R_HISTORY,    /* GET /v1/trace/history */
  R_RECALL,     /* GET /v1/recall */
  /* codes, labels, consumer queries (routes_dl.c, routes_label.c, routes_ac.c) */
  R_DL,          /* GET /{primary key AI}/{value}/... (GS1 Digital Link) */
  R_PRODUCT,     /* GET /v1/product */
  R_WEB,         /* GET / and /web/... */
  R_RESOLVER,    /* GET /.well-known/gs1resolver */
  R_LABEL,       /* GET /v1/label */
  R_VERIFY_CODE, /* POST /v1/verify-code */
  R_SMS,         /* POST /v1/sms */
  R_ALERTS,      /* GET /v1/alerts */
};

static const char ALLOW_GET[] = "GET, HEAD";
static const char ALLOW_POST[] = "POST";

/* Route of path; *arg points at the path's variable part (id, height). */
static enum route match(const char *path, const char **arg) {
  static const struct {
    const char *path;
    enum route r;
  } exact[] = {{"/v1/tx", R_TX},
               {"/v1/status", R_STATUS},
               {"/health", R_HEALTH},
               {"/v1/members", R_MEMBERS},
               {"/v1/nodes", R_NODES},
               {"/v1/verify", R_VERIFY},
               {"/metrics", R_METRICS},
               {"/v1/trace/forward", R_TRACE_FWD},
               {"/v1/trace/backward", R_TRACE_BACK},
               {"/v1/trace/history", R_HISTORY},
               {"/v1/recall", R_RECALL},
               {"/v1/product", R_PRODUCT},
               {"/", R_WEB},
               {"/.well-known/gs1resolver", R_RESOLVER},
               {"/v1/label", R_LABEL},
               {"/v1/verify-code", R_VERIFY_CODE},
               {"/v1/sms", R_SMS},
               {"/v1/alerts", R_ALERTS}};
  *arg = NULL;
  if (!path) return R_NONE;
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (strcmp(path, exact[i].path) == 0) return exact[i].r;
  /* The EPCIS REST binding, at the root and under /epcis/ (DESIGN.md). */
  const char *e = strncmp(path, "/epcis/", 7) == 0 ? path + 6 : path;
  if (strcmp(e, "/capture") == 0) return R_CAPTURE;
  if (strcmp(e, "/events") == 0) return R_EVENTS;
  if (strncmp(e, "/capture/", 9) == 0) {
    *arg = e + 9;
    return R_CAPTURE_ID;
  }
  if (strncmp(e, "/events/", 8) == 0) {
    *arg = e + 8;
    return R_EVENT_ID;
  }
  if (strncmp(path, "/v1/tx/", 7) == 0) {
    *arg = path + 7;
    return R_TX_ID;
  }
  if (strncmp(path, "/v1/blocks/", 11) == 0) {
    *arg = path + 11;
    return R_BLOCK;
  }
  if (strncmp(path, "/web/", 5) == 0) {
    *arg = path + 5;
    return R_WEB;
  }
  if (sy_api_dl_is_path(path)) return R_DL;
  return R_NONE;
}

static const char ALLOW_CAPTURE[] = "OPTIONS, POST";
static const char ALLOW_EVENTS[] = "OPTIONS, GET, HEAD, POST";
static const char ALLOW_EPCIS_GET[] = "OPTIONS, GET, HEAD";

static int is_epcis(enum route rt) {
  return rt == R_CAPTURE || rt == R_CAPTURE_ID || rt == R_EVENTS || rt == R_EVENT_ID;
}

static const char *allow_of(enum route rt) {
  switch (rt) {
    case R_TX:
    case R_VERIFY_CODE:
    case R_SMS: return ALLOW_POST;
    case R_CAPTURE: return ALLOW_CAPTURE;
    case R_EVENTS: return ALLOW_EVENTS;
    case R_CAPTURE_ID:
    case R_EVENT_ID: return ALLOW_EPCIS_GET;
    default: return ALLOW_GET;
  }
}

static int method_ok(enum route rt, const char *method) {
  if (!method) return 0;
  int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  int post = strcmp(method, "POST") == 0, options = strcmp(method, "OPTIONS") == 0;
  switch (rt) {
    case R_TX:
    case R_VERIFY_CODE:
    case R_SMS: return post;
    case R_CAPTURE: return post || options;
    case R_EVENTS: return get || post || options;
    case R_CAPTURE_ID:
    case R_EVENT_ID: return get || options;
    default: return get;
  }
}

/* Reads that --auth-reads puts behind a token. */
static int is_guarded_read(enum route rt) {
  return rt == R_CAPTURE_ID || rt == R_EVENTS || rt == R_EVENT_ID || rt == R_TRACE_FWD ||
         rt == R_TRACE_BACK || rt == R_HISTORY || rt == R_RECALL;
}

static size_t body_limit(const sy_api_router *r, enum media m) {
  if (m == MEDIA_JSON) return sy_b64_encoded_len(r->max_tx_bytes) + JSON_BODY_SLACK;
  return r->max_tx_bytes;
}

size_t sy_api_route_prepare(sy_api_router *r, const sy_api_req *rq, int *keep_body,
                            sy_api_resp *early) {
  const char *arg, *method = rq->method, *path = rq->path, *content_type = rq->content_type;
  enum route rt = match(path, &arg);
  *keep_body = 0;
  if ((rt == R_CAPTURE || rt == R_EVENTS) && method && strcmp(method, "POST") == 0)
    return sy_api_capture_prepare(r, rq, keep_body, early);
  if ((rt == R_VERIFY_CODE || rt == R_SMS) && method_ok(rt, method)) {
    *keep_body = 1; /* small consumer queries: JSON or plain text */
    return SY_API_SMALL_BODY;
  }
  if (rt == R_TX && method_ok(rt, method)) {
    enum media m = media_of(content_type);
    if (m != MEDIA_OCTET && m != MEDIA_JSON) {
      /* Refused before the body is read: the server drops the rest. */
      sy_api_problem(r, early, 415, "unsupported-media-type", path,
                     "POST /v1/tx takes application/octet-stream (the envelope) or "
                     "application/json ({\"tx\": \"<base64>\"})");
      return 0;
    }
    *keep_body = 1;
    return body_limit(r, m);
  }
  /* Other routes take no body; a small one is read and dropped so the
   * connection stays usable, a large one is refused. */
  return r->max_tx_bytes;
}

void sy_api_route_too_large(sy_api_router *r, const char *method, const char *path, size_t limit,
                            sy_api_resp *rs) {
  const char *arg;
  enum route rt = match(path, &arg);
  if ((rt == R_CAPTURE || rt == R_EVENTS) && method && strcmp(method, "POST") == 0) {
    char what[160];
    snprintf(what, sizeof what,
             "the document is past this node's capture file size limit of %zu bytes", limit);
    sy_api_capture_too_large(r, path, what, rs);
    return;
  }
  sy_api_problem(r, rs, 413, "payload-too-large", path,
                 "the request body is past this route's limit of %zu bytes (max_tx_bytes %zu)",
                 limit, r->max_tx_bytes);
}

/* ---- POST /v1/tx ---------------------------------------------------------------------- */

/* Extracts the envelope from {"tx": "<base64>"}; *raw is malloc'd. Returns
 * 0, or the HTTP status of the problem it already filled in. */
static int tx_from_json(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, uint8_t **raw,
                        size_t *len) {
  *raw = NULL;
  cJSON *doc = cJSON_ParseWithLength((const char *)rq->body, rq->body_len);
  if (!doc) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "the body is not valid JSON");
    return 400;
  }
  int st = 400;
  cJSON *tx = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "tx") : NULL;
  if (!cJSON_IsObject(doc)) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path,
                   "the body must be a JSON object {\"tx\": \"<base64 envelope>\"}");
    goto out;
  }
  if (!cJSON_IsString(tx) || !tx->valuestring) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path,
                   "the object has no \"tx\" string with the base64 envelope");
    goto out;
  }
  const char *s = tx->valuestring;
  size_t n = strlen(s);
  /* cJSON ends strings at an escaped NUL: "AAAA\u0000junk" would decode as
   * "AAAA". Base64 never needs that escape, so refuse it outright. */
  if (memmem(rq->body, rq->body_len, "\\u0000", 6)) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "\"tx\" is not valid base64");
    goto out;
  }
  if (n == 0 || n % 4 != 0) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "\"tx\" is not valid base64");
    goto out;
  }
  size_t dec = n / 4 * 3 - (s[n - 1] == '=') - (s[n - 2] == '=');
  if (dec > r->max_tx_bytes) {
    st = 413;
    sy_api_problem(r, rs, 413, "payload-too-large", rq->path,
                   "the transaction is %zu bytes; this node takes at most %zu", dec,
                   r->max_tx_bytes);
    goto out;
  }
  uint8_t *buf = malloc(dec ? dec : 1);
  if (!buf) {
    st = 503;
    resp_oom(rs);
    goto out;
  }
  long got = sy_b64_decode(buf, dec, s, n);
  if (got < 0 || (size_t)got != dec) {
    free(buf);
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "\"tx\" is not valid base64");
    goto out;
  }
  *raw = buf;
  *len = dec;
  st = 0;
out:
  cJSON_Delete(doc);
  return st;
}

static void tx_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  const char *v;
  size_t vl;
  unsigned wait_ms = 0;
  if (rq->query(rq->query_ctx, "wait", &v, &vl)) {
    if (!v || vl != 6 || memcmp(v, "commit", 6) != 0) {
      sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "wait takes one value: \"commit\"");
      return;
    }
    wait_ms = SY_API_WAIT_DEFAULT_MS;
  }
  if (rq->query(rq->query_ctx, "timeout_ms", &v, &vl)) {
    uint64_t t;
    if (parse_u64(v, vl, &t) != 0) {
      sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                     "timeout_ms must be a decimal number of milliseconds");
      return;
    }
    if (t > SY_API_WAIT_MAX_MS) t = SY_API_WAIT_MAX_MS;
    if (wait_ms) wait_ms = (unsigned)t; /* only meaningful with wait=commit */
  }

  enum media m = media_of(rq->content_type);
  const uint8_t *raw = rq->body;
  size_t len = rq->body_len;
  uint8_t *owned = NULL;
  if (m == MEDIA_JSON) {
    if (rq->body_len == 0) {
      sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "the body is empty");
      return;
    }
    if (tx_from_json(r, rq, rs, &owned, &len) != 0) return;
    raw = owned;
  } else if (m != MEDIA_OCTET) { /* prepare refuses these; kept for direct callers */
    sy_api_problem(r, rs, 415, "unsupported-media-type", rq->path,
                   "POST /v1/tx takes application/octet-stream or application/json");
    return;
  }
  if (len == 0) {
    sy_api_problem(r, rs, 400, "malformed-tx", rq->path, "the body is empty");
    goto out;
  }
  if (len > r->max_tx_bytes) {
    sy_api_problem(r, rs, 413, "payload-too-large", rq->path,
                   "the transaction is %zu bytes; this node takes at most %zu", len,
                   r->max_tx_bytes);
    goto out;
  }

  sy_submit_result res;
  memset(&res, 0, sizeof res);
  int rc = sy_pipeline_submit(r->pipe, raw, len, wait_ms, &res);
  char idhex[2 * SY_HASH_LEN + 1];
  sy_hex_encode(idhex, res.id, SY_HASH_LEN);

  if (rc == SY_OK || rc == SY_ETIMEDOUT) {
    jb b = {0};
    cJSON *o = cJSON_CreateObject();
    j_str(&b, o, "id", idhex);
    if (rc == SY_OK && res.committed) {
      j_str(&b, o, "status", "committed");
      j_u64(&b, o, "height", res.height);
      j_u64(&b, o, "index", res.index);
      j_bool(&b, o, "valid", res.reason == 0);
      j_str(&b, o, "reason", sy_reason_token(res.reason));
      j_str(&b, o, "reason_text", sy_reason_text(res.reason));
      resp_json(rs, 200, o, &b);
    } else {
      j_str(&b, o, "status", "pending");
      resp_json(rs, 202, o, &b);
    }
    if (rs->status == 202) snprintf(rs->location, sizeof rs->location, "/v1/tx/%s", idhex);
    goto out;
  }

  /* Refusals: decode the envelope ourselves for a useful detail. */
  sy_tx t;
  int decoded = sy_tx_decode(&t, raw, len) == SY_OK;
  switch (rc) {
    case SY_EMALFORMED:
      sy_api_problem(r, rs, 400, "malformed-tx", rq->path,
                     "the transaction bytes do not decode (truncated, trailing bytes or bad "
                     "magic)");
      break;
    case SY_ETOOBIG:
      /* len is within the limit here, so a decoder saying "too big" was
       * reading a length prefix that claims more bytes than were sent
       * ("garbage" starts with a huge u32): that is a malformed envelope. */
      if (!decoded)
        sy_api_problem(r, rs, 400, "malformed-tx", rq->path,
                       "the transaction bytes do not decode (a length field runs past the "
                       "end)");
      else
        sy_api_problem(r, rs, 413, "payload-too-large", rq->path,
                       "the transaction (%zu bytes) or its payload is past this node's limit "
                       "of %zu bytes",
                       len, r->max_tx_bytes);
      break;
    case SY_EWRONGCHAIN: {
      char theirs[4 * SY_CHAIN_ID_MAX + 4], ours[4 * SY_CHAIN_ID_MAX + 4];
      utf8_clean(theirs, sizeof theirs, decoded ? t.chain_id : NULL, decoded ? t.chain_id_len : 0);
      clean_cstr(ours, sizeof ours, sy_ledger_chain_id(r->ledger), SY_CHAIN_ID_MAX);
      sy_api_problem(r, rs, 400, "wrong-chain", rq->path,
                     "the transaction is for chain \"%s\"; this node serves \"%s\"", theirs, ours);
      break;
    }
    case SY_EBADSIG: {
      char signer[2 * SY_KEYID_LEN + 1] = "?";
      if (decoded) sy_hex_encode(signer, t.signer, SY_KEYID_LEN);
      sy_api_problem(r, rs, 400, "bad-signature", rq->path,
                     "signature does not verify for signer %s", signer);
      break;
    }
    case SY_EEXIST: {
      /* The pipeline may not fill r.id on refusal; the id is H(envelope). */
      uint8_t id[SY_HASH_LEN];
      const sy_suite *suite = sy_ledger_suite(r->ledger);
      if (decoded && suite) {
        sy_tx_id(&t, suite->hash, id);
        sy_hex_encode(idhex, id, SY_HASH_LEN);
        snprintf(rs->location, sizeof rs->location, "/v1/tx/%s", idhex);
      }
      sy_api_problem(r, rs, 409, "duplicate-tx", rq->path, "transaction %s is already in the chain",
                     idhex);
      break;
    }
    case SY_EBUSY: {
      rs->retry_after = 1;
      sy_orderer *ord = sy_pipeline_orderer(r->pipe);
      sy_etcd_status *es = sy_orderer_is_etcd(ord) ? malloc(sizeof *es) : NULL;
      if (es && sy_etcd_orderer_status(ord, es) == SY_OK && (es->put_failures || !es->available)) {
        char why[256];
        clean_cstr(why, sizeof why, es->last_error, 200);
        sy_api_problem(r, rs, 503, "ordering-unavailable", rq->path,
                       "the ordering service did not take the transaction (%s); nothing was "
                       "acknowledged; retry",
                       why);
      } else {
        sy_api_problem(r, rs, 503, "overloaded", rq->path,
                       "the ordering backlog is full; retry shortly");
      }
      free(es);
      break;
    }
    case SY_EDIVERGED: {
      sy_orderer *ord = sy_pipeline_orderer(r->pipe);
      sy_etcd_status *es = sy_orderer_is_etcd(ord) ? malloc(sizeof *es) : NULL;
      char why[256] = "this node's ledger diverges from the cluster";
      if (es && sy_etcd_orderer_status(ord, es) == SY_OK && es->alarm_msg[0])
        clean_cstr(why, sizeof why, es->alarm_msg, 250);
      free(es);
      rs->retry_after = 60;
      sy_api_problem(r, rs, 503, "diverged", rq->path, "writes refused: %s", why);
      break;
    }
    case SY_ESTORAGE:
    case SY_EIO:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "storage-unavailable", rq->path,
                     "the block could not be written; nothing was committed; retry");
      break;
    case SY_ENOSPC:
      sy_api_problem(r, rs, 507, "insufficient-storage", rq->path,
                     "the disk is full; nothing was committed; retry when space returns");
      break;
    default: problem_err(r, rs, rc, rq->path, "submit"); break;
  }
out:
  free(owned);
}

/* ---- GET /v1/tx/{id} ----------------------------------------------------------------- */

static const char *suite_hash_name(const sy_suite *s) {
  if (s && s->name) {
    size_t n = strlen(s->name);
    if (n >= 4 && strcmp(s->name + n - 4, "-sm3") == 0) return "sm3";
  }
  return "sha-256";
}

static void put_attestations(jb *b, cJSON *o, const sy_block_info *bi) {
  cJSON *arr = j_arr(b, o, "attestations");
  for (size_t i = 0; bi && arr && i < bi->natt; i++) {
    cJSON *a = j_obj(b, arr, NULL);
    j_hex(b, a, "node", bi->att[i].node, SY_KEYID_LEN);
    j_hex(b, a, "signature", bi->att[i].sig,
          bi->att[i].sig_len < SY_SIG_MAX ? bi->att[i].sig_len : SY_SIG_MAX);
  }
}

/* The payload as a JSON value when it is one: valid UTF-8, no NULs, one
 * complete document (trailing whitespace allowed). NULL otherwise. */
static cJSON *payload_json(const uint8_t *p, size_t n) {
  if (n == 0 || !utf8_valid(p, n)) return NULL;
  const char *end = NULL;
  cJSON *v = cJSON_ParseWithLengthOpts((const char *)p, n, &end, 0);
  if (!v) return NULL;
  const char *e = (const char *)p + n;
  while (end && end < e && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
  if (end != e) {
    cJSON_Delete(v);
    return NULL;
  }
  return v;
}

/* 1 when p[0..n) lies inside base[0..len) (n == 0 with p NULL is fine). */
static int inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n) {
  if (!p) return n == 0;
  uintptr_t b = (uintptr_t)base, q = (uintptr_t)p;
  return q >= b && q - b <= len && n <= len - (q - b);
}

static void tx_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *arg) {
  uint8_t id[SY_HASH_LEN];
  size_t n = strlen(arg);
  if (n != 2 * SY_HASH_LEN || sy_hex_decode(id, SY_HASH_LEN, arg, n) != SY_OK) {
    sy_api_problem(r, rs, 400, "invalid-id", rq->path,
                   "a transaction id is exactly 64 hexadecimal characters");
    return;
  }
  sy_tx_info info;
  memset(&info, 0, sizeof info);
  int rc = sy_ledger_get_tx(r->ledger, id, &info);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "transaction");
    return;
  }
  sy_block_info bi;
  memset(&bi, 0, sizeof bi);
  int brc = sy_ledger_get_block(r->ledger, info.height, &bi);

  jb b = {0};
  char hex[2 * SY_HASH_LEN + 1];
  cJSON *o = cJSON_CreateObject();
  j_hex(&b, o, "id", info.id, SY_HASH_LEN);
  j_u64(&b, o, "height", info.height);
  j_u64(&b, o, "index", info.index);
  j_bool(&b, o, "valid", info.reason == 0);
  j_str(&b, o, "reason", sy_reason_token(info.reason));
  j_str(&b, o, "reason_text", sy_reason_text(info.reason));

  /* Decode the stored bytes ourselves: a transaction recorded as
   * malformed has no fields to show. The unsigned genesis transaction does
   * not pass sy_tx_decode (no signature); for it we take the ledger's view,
   * once its pointers are seen to lie inside raw. */
  sy_tx t;
  int have_tx = info.raw && sy_tx_decode(&t, info.raw, info.raw_len) == SY_OK;
  if (!have_tx && info.raw && info.tx.chain_id &&
      inside(info.raw, info.raw_len, info.tx.chain_id, info.tx.chain_id_len) &&
      inside(info.raw, info.raw_len, info.tx.payload, info.tx.payload_len)) {
    t = info.tx;
    have_tx = 1;
  }
  if (have_tx) {
    const char *tn = sy_tx_type_name(t.type);
    j_str(&b, o, "type", tn);
    j_u64(&b, o, "type_code", t.type);
    j_text(&b, o, "chain_id", t.chain_id, t.chain_id_len);
    j_hex(&b, o, "signer", t.signer, SY_KEYID_LEN);
    j_u64(&b, o, "timestamp_ms", t.timestamp_ms);
    j_u64(&b, o, "nonce", t.nonce);
    cJSON *pj = payload_json(t.payload, t.payload_len);
    if (pj)
      j_put(&b, o, "payload", pj);
    else
      j_b64(&b, o, "payload_b64", t.payload, t.payload_len);
  } else {
    j_null(&b, o, "type");
  }
  j_b64(&b, o, "raw", info.raw, info.raw_len);

  cJSON *blk = j_obj(&b, o, "block");
  j_u64(&b, blk, "height", info.block.height);
  j_hex(&b, blk, "hash", info.block_hash, SY_HASH_LEN);
  j_hex(&b, blk, "tx_root", info.block.tx_root, SY_HASH_LEN);
  j_u64(&b, blk, "timestamp_ms", info.block.timestamp_ms);

  cJSON *pf = j_obj(&b, o, "proof");
  j_str(&b, pf, "algorithm", "rfc6962");
  j_str(&b, pf, "hash", suite_hash_name(sy_ledger_suite(r->ledger)));
  j_u64(&b, pf, "leaf_index", info.index);
  j_u64(&b, pf, "tree_size", info.block.tx_count);
  j_hex(&b, pf, "root", info.block.tx_root, SY_HASH_LEN);
  cJSON *path = j_arr(&b, pf, "path");
  for (size_t i = 0; path && i < info.proof_len; i++) {
    sy_hex_encode(hex, info.proof[i], SY_HASH_LEN);
    j_put(&b, path, NULL, cJSON_CreateString(hex));
  }
  put_attestations(&b, o, brc == SY_OK ? &bi : NULL);

  if (brc != SY_OK && brc != SY_ENOTFOUND) {
    cJSON_Delete(o);
    problem_err(r, rs, brc, rq->path, "block of the transaction");
  } else {
    resp_json(rs, 200, o, &b);
  }
  if (brc == SY_OK) sy_block_info_free(&bi);
  sy_tx_info_free(&info);
}

/* ---- GET /v1/blocks/{height|latest} ------------------------------------------------ */

/* GET /v1/blocks/{h}/raw: the whole block in the exchange format
 * (docs/format.md#raw-block) for peers that catch up. */
static void block_raw_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, uint64_t h) {
  sy_buf raw = {0};
  int rc = sy_ledger_block_raw(r->ledger, h, &raw);
  if (rc == SY_OK && raw.err) rc = raw.err;
  if (rc != SY_OK) {
    sy_buf_free(&raw);
    problem_err(r, rs, rc, rq->path, "block");
    return;
  }
  size_t len = 0;
  uint8_t *p = sy_buf_take(&raw, &len);
  if (!p) {
    resp_oom(rs);
    return;
  }
  free(rs->body);
  rs->status = 200;
  rs->content_type = "application/octet-stream";
  rs->body = (char *)p;
  rs->body_len = len;
}

/* GET /v1/blocks/{h}/attestations: every node's seal of the block we hold
 * (SPEC G2: a proof carries several organisations' signatures). */
static void block_att_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, uint64_t h) {
  sy_block_info bi;
  memset(&bi, 0, sizeof bi);
  int rc = sy_ledger_get_block(r->ledger, h, &bi);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "block");
    return;
  }
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  j_u64(&b, o, "height", bi.hdr.height);
  j_hex(&b, o, "hash", bi.hash, SY_HASH_LEN);
  j_hex(&b, o, "results_hash", bi.hdr.results_hash, SY_HASH_LEN);
  uint8_t msg[4 + 8 + 64];
  sy_attestation_msg(bi.hdr.height, bi.hash, bi.hdr.results_hash, msg);
  j_hex(&b, o, "message", msg, sizeof msg);
  put_attestations(&b, o, &bi);
  sy_block_info_free(&bi);
  resp_json(rs, 200, o, &b);
}

static void block_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *arg) {
  sy_tip tip;
  int rc = sy_ledger_tip(r->ledger, &tip);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "chain tip");
    return;
  }
  uint64_t h;
  /* {h}/raw and {h}/attestations */
  const char *slash = strchr(arg, '/');
  int sub = 0; /* 1 raw, 2 attestations */
  size_t hl = strlen(arg);
  if (slash) {
    hl = (size_t)(slash - arg);
    if (strcmp(slash, "/raw") == 0) {
      sub = 1;
    } else if (strcmp(slash, "/attestations") == 0) {
      sub = 2;
    } else {
      sy_api_problem(r, rs, 404, "not-found", rq->path, "no such route");
      return;
    }
  }
  if (hl == 6 && strncmp(arg, "latest", 6) == 0) {
    h = tip.height;
  } else if (parse_u64(arg, hl, &h) != 0) {
    sy_api_problem(r, rs, 400, "invalid-height", rq->path,
                   "a height is a decimal number from 0 to 18446744073709551615, or \"latest\"");
    return;
  }
  if (h > tip.height) { /* never ask the store about heights it cannot hold */
    sy_api_problem(r, rs, 404, "not-found", rq->path,
                   "no block at height %" PRIu64 "; the tip is at %" PRIu64, h, tip.height);
    return;
  }
  if (sub == 1) {
    block_raw_get(r, rq, rs, h);
    return;
  }
  if (sub == 2) {
    block_att_get(r, rq, rs, h);
    return;
  }
  sy_block_info bi;
  memset(&bi, 0, sizeof bi);
  rc = sy_ledger_get_block(r->ledger, h, &bi);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "block");
    return;
  }
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  j_u64(&b, o, "height", bi.hdr.height);
  j_hex(&b, o, "hash", bi.hash, SY_HASH_LEN);
  j_hex(&b, o, "prev_hash", bi.hdr.prev_hash, SY_HASH_LEN);
  j_hex(&b, o, "tx_root", bi.hdr.tx_root, SY_HASH_LEN);
  j_hex(&b, o, "flags_hash", bi.hdr.flags_hash, SY_HASH_LEN);
  j_hex(&b, o, "results_hash", bi.hdr.results_hash, SY_HASH_LEN);
  j_u64(&b, o, "timestamp_ms", bi.hdr.timestamp_ms);
  j_hex(&b, o, "proposer", bi.hdr.proposer, SY_KEYID_LEN);
  j_u64(&b, o, "tx_count", bi.hdr.tx_count);
  cJSON *txs = j_arr(&b, o, "txs");
  for (uint32_t i = 0; txs && !b.oom && i < bi.hdr.tx_count; i++) {
    cJSON *t = j_obj(&b, txs, NULL);
    if (bi.tx_ids) j_hex(&b, t, "id", bi.tx_ids[i], SY_HASH_LEN);
    if (bi.types) j_str(&b, t, "type", sy_tx_type_name(bi.types[i]));
    uint16_t f = bi.flags ? bi.flags[i] : 0;
    j_bool(&b, t, "valid", f == 0);
    j_str(&b, t, "reason", sy_reason_token(f));
  }
  put_attestations(&b, o, &bi);
  sy_block_info_free(&bi);
  resp_json(rs, 200, o, &b);
}

/* ---- node --------------------------------------------------------------------------- */

static void health_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_pipeline_stats st;
  memset(&st, 0, sizeof st);
  sy_pipeline_stats_get(r->pipe, &st);
  sy_tip tip;
  int trc = sy_ledger_tip(r->ledger, &tip);
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  if (st.last_error == SY_OK && trc == SY_OK) {
    j_str(&b, o, "status", "ok");
    resp_json(rs, 200, o, &b);
    return;
  }
  char detail[160];
  if (st.last_error != SY_OK)
    snprintf(detail, sizeof detail, "the last block could not be written: %s",
             sy_strerror(st.last_error));
  else
    snprintf(detail, sizeof detail, "the ledger cannot be read: %s", sy_strerror(trc));
  j_str(&b, o, "status", "degraded");
  j_str(&b, o, "detail", detail);
  rs->retry_after = 1;
  resp_json(rs, 503, o, &b);
  (void)rq;
}

static const char *alarm_name(int a) {
  switch (a) {
    case SY_ALARM_NONE: return NULL;
    case SY_ALARM_PEER_DIVERGED: return "peer_diverged";
    case SY_ALARM_SELF_DIVERGED: return "self_diverged";
    case SY_ALARM_ETCD_BEHIND: return "etcd_mismatch";
    default: return "unknown";
  }
}

/* The etcd ordering service's view (issue #4; SPEC M5a): nothing for solo. */
static void put_cluster(jb *b, cJSON *o, sy_pipeline *pipe) {
  sy_orderer *ord = sy_pipeline_orderer(pipe);
  if (!sy_orderer_is_etcd(ord)) return;
  sy_etcd_status *es = malloc(sizeof *es);
  if (!es || sy_etcd_orderer_status(ord, es) != SY_OK) {
    free(es);
    b->oom = 1;
    return;
  }
  char t[300];
  cJSON *c = j_obj(b, o, "cluster");
  j_bool(b, c, "connected", es->connected);
  j_bool(b, c, "ordering_available", es->available);
  j_u64(b, c, "unavailable_ms", es->unavailable_ms);
  clean_cstr(t, sizeof t, es->endpoint, 255);
  j_str(b, c, "etcd_endpoint", t);
  j_u64(b, c, "ordering_revision", es->ordering_revision);
  j_u64(b, c, "last_log_revision", es->last_log_revision);
  j_u64(b, c, "applied_revision", es->applied_revision);
  j_u64(b, c, "lag", es->last_log_revision > es->applied_revision
                         ? es->last_log_revision - es->applied_revision : 0);
  j_u64(b, c, "lag_batches", es->lag);
  j_u64(b, c, "compact_revision", es->compact_revision);
  j_str(b, c, "alarm", alarm_name(es->alarm));
  if (es->alarm) {
    clean_cstr(t, sizeof t, es->alarm_msg, 255);
    j_str(b, c, "alarm_detail", t);
    j_u64(b, c, "alarm_height", es->alarm_height);
  }
  j_bool(b, c, "accepting_writes",
         es->alarm != SY_ALARM_SELF_DIVERGED && es->alarm != SY_ALARM_ETCD_BEHIND);
  j_u64(b, c, "batches_proposed", es->batches_proposed);
  j_u64(b, c, "batches_applied", es->batches_applied);
  j_u64(b, c, "batches_rejected", es->batches_rejected);
  j_u64(b, c, "put_failures", es->put_failures);
  j_u64(b, c, "catchup_blocks", es->catchup_blocks);
  j_u64(b, c, "attestations_stored", es->attestations_stored);
  j_u64(b, c, "attestations_rejected", es->attestations_rejected);
  j_u64(b, c, "divergences", es->divergences);
  clean_cstr(t, sizeof t, es->last_error, 255);
  if (t[0]) j_str(b, c, "last_error", t);
  cJSON *peers = j_arr(b, c, "peers");
  for (size_t i = 0; peers && i < es->npeers; i++) {
    const sy_etcd_peer *p = &es->peers[i];
    cJSON *po = j_obj(b, peers, NULL);
    j_str(b, po, "node", p->node);
    clean_cstr(t, sizeof t, p->address, 256);
    j_str(b, po, "address", t[0] ? t : NULL);
    j_bool(b, po, "live", p->live);
    j_bool(b, po, "registered", p->registered);
    j_u64(b, po, "applied_revision", p->applied_revision);
    j_u64(b, po, "height", p->height);
    j_u64(b, po, "attested_height", p->attested_height);
    j_bool(b, po, "diverged", p->diverged);
  }
  free(es);
}

static void status_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_tip tip;
  int rc = sy_ledger_tip(r->ledger, &tip);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "chain tip");
    return;
  }
  sy_ledger_counts c;
  memset(&c, 0, sizeof c);
  rc = sy_ledger_counts_get(r->ledger, &c);
  if (rc != SY_OK) {
    problem_err(r, rs, rc, rq->path, "registry counts");
    return;
  }
  sy_pipeline_stats st;
  memset(&st, 0, sizeof st);
  sy_pipeline_stats_get(r->pipe, &st);
  const sy_suite *suite = sy_ledger_suite(r->ledger);
  const char *orderer = sy_pipeline_orderer_name(r->pipe);

  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  const char *cid = sy_ledger_chain_id(r->ledger);
  j_text(&b, o, "chain_id", (const uint8_t *)cid, cid ? strnlen(cid, SY_CHAIN_ID_MAX) : 0);
  j_hex(&b, o, "genesis_hash", tip.genesis_hash, SY_HASH_LEN);
  j_str(&b, o, "suite", suite ? suite->name : NULL);
  j_str(&b, o, "node_key_id", r->node_key_id_hex);
  j_str(&b, o, "consensus", orderer ? orderer : "solo");
  /* genesis feature epcis_extension_events, as of the next block */
  j_bool(&b, o, "records_extension_events", sy_ledger_records_extension_events(r->ledger));
  j_u64(&b, o, "height", tip.height);
  j_hex(&b, o, "tip_hash", tip.hash, SY_HASH_LEN);
  j_hex(&b, o, "results_hash", tip.results_hash, SY_HASH_LEN);
  j_u64(&b, o, "tx_count", tip.tx_count);
  j_u64(&b, o, "valid_tx_count", tip.valid_tx_count);
  j_u64(&b, o, "backlog", st.backlog);
  j_u64(&b, o, "orgs", c.orgs);
  j_u64(&b, o, "members", c.members);
  j_u64(&b, o, "active_members", c.active_members);
  j_u64(&b, o, "nodes", c.nodes);
  j_u64(&b, o, "uptime_s", (mono_ms() - r->started_ms) / 1000);
  j_str(&b, o, "version", r->version);
  j_str(&b, o, "last_error", st.last_error != SY_OK ? sy_err_name(st.last_error) : NULL);
  put_cluster(&b, o, r->pipe);
  resp_json(rs, 200, o, &b);
}

typedef struct members_ctx {
  jb *b;
  cJSON *arr;
} members_ctx;

static int member_cb(void *ctx, const sy_member *m) {
  members_ctx *mc = ctx;
  jb *b = mc->b;
  cJSON *o = j_obj(b, mc->arr, NULL);
  if (!o) return 1;
  j_hex(b, o, "key_id", m->key_id, SY_KEYID_LEN);
  j_text(b, o, "org", (const uint8_t *)m->org, strnlen(m->org, sizeof m->org));
  j_text(b, o, "name", (const uint8_t *)m->name, strnlen(m->name, sizeof m->name));
  cJSON *roles = j_arr(b, o, "roles");
#define SY_ROLE_JSON(name, bit, text) \
  if (m->roles & (bit)) j_put(b, roles, NULL, cJSON_CreateString(text));
  SY_ROLES(SY_ROLE_JSON)
#undef SY_ROLE_JSON
  j_bool(b, o, "revoked", m->revoked);
  j_u64(b, o, "added_height", m->added_height);
  if (m->revoked)
    j_u64(b, o, "revoked_height", m->revoked_height);
  else
    j_null(b, o, "revoked_height");
  j_hex(b, o, "public_key", m->pk, m->pk_len < SY_PK_MAX ? m->pk_len : SY_PK_MAX);
  return b->oom; /* stop the walk once memory runs out */
}

static void members_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  const char *v = NULL;
  size_t vl = 0;
  char org[65];
  const char *orgp = NULL;
  if (rq->query(rq->query_ctx, "org", &v, &vl)) {
    /* Organisation ids are at most 64 bytes of UTF-8 (sy_member.org); the
     * ledger binds the value as a parameter, never splices it into SQL. */
    if (!v || vl == 0 || vl >= sizeof org || strnlen(v, vl) != vl ||
        !utf8_valid((const uint8_t *)v, vl)) {
      sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                     "org must be 1 to 64 bytes of UTF-8 text");
      return;
    }
    memcpy(org, v, vl);
    org[vl] = 0;
    orgp = org;
  }
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  members_ctx mc = {&b, j_arr(&b, o, "members")};
  if (!mc.arr) {
    cJSON_Delete(o);
    resp_oom(rs);
    return;
  }
  int rc = sy_ledger_list_members(r->ledger, orgp, member_cb, &mc);
  if (rc != SY_OK && !b.oom) {
    cJSON_Delete(o);
    problem_err(r, rs, rc, rq->path, "members");
    return;
  }
  resp_json(rs, 200, o, &b);
}

static int node_cb(void *ctx, const sy_node_info *n) {
  members_ctx *mc = ctx;
  jb *b = mc->b;
  cJSON *o = j_obj(b, mc->arr, NULL);
  if (!o) return 1;
  j_hex(b, o, "key_id", n->key_id, SY_KEYID_LEN);
  j_text(b, o, "org", (const uint8_t *)n->org, strnlen(n->org, sizeof n->org));
  j_hex(b, o, "public_key", n->pk, n->pk_len < SY_PK_MAX ? n->pk_len : SY_PK_MAX);
  j_text(b, o, "address", (const uint8_t *)n->address, strnlen(n->address, sizeof n->address));
  j_bool(b, o, "removed", n->removed);
  j_u64(b, o, "added_height", n->added_height);
  if (n->removed)
    j_u64(b, o, "removed_height", n->removed_height);
  else
    j_null(b, o, "removed_height");
  return b->oom;
}

/* GET /v1/nodes: the node registry (SPEC M8). */
static void nodes_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  members_ctx mc = {&b, j_arr(&b, o, "nodes")};
  if (!mc.arr) {
    cJSON_Delete(o);
    resp_oom(rs);
    return;
  }
  int rc = sy_ledger_list_nodes(r->ledger, node_cb, &mc);
  if (rc != SY_OK && !b.oom) {
    cJSON_Delete(o);
    problem_err(r, rs, rc, rq->path, "nodes");
    return;
  }
  resp_json(rs, 200, o, &b);
}

static void verify_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  if (!r->ledger_path) {
    sy_api_problem(r, rs, 501, "verify-unavailable", rq->path,
                   "this node has no ledger file to verify");
    return;
  }
  /* A replay reads the whole chain: one at a time, the rest are told to
   * come back rather than queued behind it. */
  if (pthread_mutex_trylock(&r->verify_lock) != 0) {
    rs->retry_after = 5;
    sy_api_problem(r, rs, 503, "busy", rq->path, "a verify is already running; retry later");
    return;
  }
  sy_verify_report rep;
  memset(&rep, 0, sizeof rep);
  int rc = sy_ledger_verify(r->ledger_path, &rep, NULL, NULL);
  pthread_mutex_unlock(&r->verify_lock);
  if (rc != SY_OK) {
    sy_api_problem(r, rs, 500, "verify-failed", rq->path, "the verify could not run: %s",
                   sy_strerror(rc));
    return;
  }
  jb b = {0};
  cJSON *o = cJSON_CreateObject();
  j_bool(&b, o, "ok", rep.ok);
  if (!rep.ok) {
    j_u64(&b, o, "bad_height", rep.bad_height);
    j_text(&b, o, "what", (const uint8_t *)rep.what, strnlen(rep.what, sizeof rep.what));
  }
  j_u64(&b, o, "blocks", rep.blocks);
  j_u64(&b, o, "txs", rep.txs);
  resp_json(rs, 200, o, &b);
}

/* Prometheus text exposition format 0.0.4. */
static void metrics_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_tip tip;
  memset(&tip, 0, sizeof tip);
  int trc = sy_ledger_tip(r->ledger, &tip);
  sy_pipeline_stats st;
  memset(&st, 0, sizeof st);
  sy_pipeline_stats_get(r->pipe, &st);
  sy_ledger_counts c;
  memset(&c, 0, sizeof c);
  int crc = sy_ledger_counts_get(r->ledger, &c);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) {
    resp_oom(rs);
    return;
  }
#define GAUGE(name, help, val)                                                          \
  fprintf(f, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " %" PRIu64 "\n", \
          (uint64_t)(val))
#define COUNTER(name, help, val)                                                          \
  fprintf(f, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %" PRIu64 "\n", \
          (uint64_t)(val))
  if (trc == SY_OK) {
    GAUGE("suyuan_height", "Height of the last block (genesis is 0).", tip.height);
    COUNTER("suyuan_tx_total", "Transactions in the chain, valid or not.", tip.tx_count);
    COUNTER("suyuan_valid_tx_total", "Valid transactions in the chain.", tip.valid_tx_count);
  }
  COUNTER("suyuan_submitted_total", "Transactions admitted by this process.", st.submitted);
  COUNTER("suyuan_committed_txs_total", "Transactions committed by this process.",
          st.committed_txs);
  COUNTER("suyuan_blocks_committed_total", "Blocks committed by this process.", st.blocks);
  COUNTER("suyuan_blocks_failed_total", "Blocks that could not be written.", st.failed_blocks);
  GAUGE("suyuan_backlog", "Transactions waiting to be ordered.", st.backlog);
  GAUGE("suyuan_storage_degraded", "1 while the last block could not be written.",
        st.last_error != SY_OK);
  if (crc == SY_OK) {
    GAUGE("suyuan_orgs", "Organisations on the chain.", c.orgs);
    GAUGE("suyuan_members", "Members on the chain, revoked or not.", c.members);
    GAUGE("suyuan_active_members", "Members not revoked.", c.active_members);
    GAUGE("suyuan_nodes", "Nodes on the chain.", c.nodes);
  }
  {
    sy_orderer *ord = sy_pipeline_orderer(r->pipe);
    sy_etcd_status *es = sy_orderer_is_etcd(ord) ? malloc(sizeof *es) : NULL;
    if (es && sy_etcd_orderer_status(ord, es) == SY_OK) {
      GAUGE("suyuan_consensus_alarm",
            "0 none, 1 a peer diverges, 2 this node diverges (writes refused), 3 etcd mismatch.",
            es->alarm);
      GAUGE("suyuan_etcd_connected", "1 while the log watch is established and etcd answers.",
            es->connected);
      GAUGE("suyuan_etcd_available", "1 while etcd takes batches (quorum).", es->available);
      GAUGE("suyuan_etcd_ordering_revision", "etcd's revision at the last contact.",
            es->ordering_revision);
      GAUGE("suyuan_etcd_applied_revision", "Revision of the last applied batch.",
            es->applied_revision);
      GAUGE("suyuan_etcd_lag_batches", "Batches seen on the log, not yet applied.", es->lag);
      COUNTER("suyuan_etcd_batches_proposed_total", "Batches this node put on the log.",
              es->batches_proposed);
      COUNTER("suyuan_etcd_batches_rejected_total", "Log entries skipped (bad signature, "
              "malformed).", es->batches_rejected);
      COUNTER("suyuan_etcd_put_failures_total", "Batches etcd did not take.", es->put_failures);
      COUNTER("suyuan_catchup_blocks_total", "Blocks fetched from peers.", es->catchup_blocks);
      COUNTER("suyuan_attestations_stored_total", "Other nodes' attestations stored.",
              es->attestations_stored);
      COUNTER("suyuan_divergences_total", "Attestations signed over a different block.",
              es->divergences);
      size_t live = 0;
      for (size_t i = 0; i < es->npeers; i++) live += es->peers[i].live;
      GAUGE("suyuan_peers_live", "Peers announced under a live lease.", live);
    }
    free(es);
  }
  GAUGE("suyuan_uptime_seconds", "Seconds since the API started.",
        (mono_ms() - r->started_ms) / 1000);
  int64_t conns = atomic_load(&r->connections);
  GAUGE("suyuan_http_connections", "Open HTTP connections.", conns > 0 ? conns : 0);

  fputs(
      "# HELP suyuan_http_requests_total HTTP responses sent, by status code.\n"
      "# TYPE suyuan_http_requests_total counter\n",
      f);
  for (int code = 100; code < SY_API_HTTP_CODES; code++) {
    uint64_t n = atomic_load(&r->http_codes[code]);
    if (n) fprintf(f, "suyuan_http_requests_total{code=\"%d\"} %" PRIu64 "\n", code, n);
  }
  fputs(
      "# HELP suyuan_http_request_duration_seconds Time from request headers to response.\n"
      "# TYPE suyuan_http_request_duration_seconds histogram\n",
      f);
  uint64_t cum = 0;
  for (int i = 0; i < SY_API_LATENCY_BUCKETS; i++) {
    cum += atomic_load(&r->latency_buckets[i]);
    fprintf(f, "suyuan_http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
            (double)latency_bounds[i] / 1e6, cum);
  }
  uint64_t count = atomic_load(&r->latency_count);
  fprintf(f,
          "suyuan_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64
          "\n"
          "suyuan_http_request_duration_seconds_sum %.6f\n"
          "suyuan_http_request_duration_seconds_count %" PRIu64 "\n",
          count, (double)atomic_load(&r->latency_sum_us) / 1e6, count);
  char ver[64];
  clean_cstr(ver, sizeof ver, r->version, 32);
  for (char *p = ver; *p; p++) /* a label value: no quotes or backslashes */
    if (*p == '"' || *p == '\\') *p = '_';
  fprintf(f,
          "# HELP suyuan_build_info Build of this node.\n# TYPE suyuan_build_info gauge\n"
          "suyuan_build_info{version=\"%s\"} 1\n",
          ver);
#undef GAUGE
#undef COUNTER
  int bad = ferror(f);
  if (fclose(f) != 0 || bad || !text) {
    free(text);
    resp_oom(rs);
    return;
  }
  rs->status = 200;
  rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
  rs->body = text;
  rs->body_len = len;
  (void)rq;
}

/* ---- entry points ----------------------------------------------------------------- */

void sy_api_route(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  const char *arg;
  enum route rt = match(rq->path, &arg);
  if (rt == R_NONE) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no such route");
    return;
  }
  if (!method_ok(rt, rq->method)) {
    rs->allow = allow_of(rt);
    sy_api_problem(r, rs, 405, "method-not-allowed", rq->path, "this route takes %s", rs->allow);
    if (is_epcis(rt)) sy_api_epcis_headers(rs);
    return;
  }
  int options = strcmp(rq->method, "OPTIONS") == 0;
  int get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
  if (options && rt != R_CAPTURE) { /* discovery: what the route takes */
    rs->status = 204;
    rs->allow = allow_of(rt);
    sy_api_epcis_headers(rs);
    return;
  }
  if (get && r->auth_reads && is_guarded_read(rt)) {
    uint8_t kid[SY_KEYID_LEN];
    if (!sy_api_authorize(r, rq, rs, 0, kid, NULL)) {
      if (is_epcis(rt)) sy_api_epcis_headers(rs);
      return;
    }
  }
  switch (rt) {
    case R_TX: tx_post(r, rq, rs); break;
    case R_TX_ID: tx_get(r, rq, rs, arg); break;
    case R_BLOCK: block_get(r, rq, rs, arg); break;
    case R_STATUS: status_get(r, rq, rs); break;
    case R_HEALTH: health_get(r, rq, rs); break;
    case R_MEMBERS: members_get(r, rq, rs); break;
    case R_NODES: nodes_get(r, rq, rs); break;
    case R_VERIFY: verify_get(r, rq, rs); break;
    case R_METRICS: metrics_get(r, rq, rs); break;
    case R_CAPTURE:
      if (options)
        sy_api_capture_options(r, rq, rs);
      else
        sy_api_capture_post(r, rq, rs);
      break;
    case R_CAPTURE_ID: sy_api_capture_job_get(r, rq, rs, arg); break;
    case R_EVENTS:
      if (get)
        sy_api_events_get(r, rq, rs);
      else
        sy_api_events_post(r, rq, rs);
      break;
    case R_EVENT_ID: sy_api_event_get(r, rq, rs, arg); break;
    case R_TRACE_FWD: sy_api_trace_get(r, rq, rs, SY_TRACE_FORWARD); break;
    case R_TRACE_BACK: sy_api_trace_get(r, rq, rs, SY_TRACE_BACKWARD); break;
    case R_HISTORY: sy_api_history_get(r, rq, rs); break;
    case R_RECALL: sy_api_recall_get(r, rq, rs); break;
    case R_DL: sy_api_dl_get(r, rq, rs); break;
    case R_PRODUCT: sy_api_product_get(r, rq, rs); break;
    case R_WEB: sy_api_web_get(r, rq, rs); break;
    case R_RESOLVER: sy_api_gs1resolver_get(r, rq, rs); break;
    case R_LABEL: sy_api_label_get(r, rq, rs); break;
    case R_VERIFY_CODE: sy_api_verify_code_post(r, rq, rs); break;
    case R_SMS: sy_api_sms_post(r, rq, rs); break;
    case R_ALERTS: sy_api_alerts_get(r, rq, rs); break;
    case R_NONE: break;
  }
  if (is_epcis(rt)) sy_api_epcis_headers(rs);
}

void sy_api_metrics_record(sy_api_router *r, int status, uint64_t elapsed_us) {
  if (status >= 0 && status < SY_API_HTTP_CODES) atomic_fetch_add(&r->http_codes[status], 1);
  for (int i = 0; i < SY_API_LATENCY_BUCKETS; i++) {
    if (elapsed_us <= latency_bounds[i]) {
      atomic_fetch_add(&r->latency_buckets[i], 1);
      break;
    }
  }
  atomic_fetch_add(&r->latency_count, 1);
  atomic_fetch_add(&r->latency_sum_us, elapsed_us);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int sy_api_router_init(sy_api_router *r, const sy_api_opts *opts, sy_ledger *ledger,
                       sy_pipeline *pipe) {
  memset(r, 0, sizeof *r);
  if (!opts || !ledger || !pipe) return SY_EINVAL;
  size_t max = opts->max_tx_bytes ? opts->max_tx_bytes : SY_API_DEFAULT_MAX_TX_BYTES;
  if (max > MAX_TX_BYTES_CEIL) return SY_EINVAL;
  r->ledger = ledger;
  r->pipe = pipe;
  r->max_tx_bytes = max;
  r->ledger_path = dup_or_null(opts->ledger_path);
  r->node_key_id_hex = dup_or_null(opts->node_key_id_hex);
  r->version = strdup(opts->version ? opts->version : "unknown");
  r->public_url = dup_or_null(opts->public_url);
  if ((opts->ledger_path && !r->ledger_path) || (opts->node_key_id_hex && !r->node_key_id_hex) ||
      !r->version || (opts->public_url && !r->public_url))
    goto nomem;
  if (pthread_mutex_init(&r->verify_lock, NULL) != 0) goto nomem;
  int rc = sy_api_epcis_init(r, opts);
  if (rc == SY_OK) {
    rc = sy_api_ac_init(r, opts);
    if (rc != SY_OK) sy_api_epcis_close(r);
  }
  if (rc != SY_OK) {
    pthread_mutex_destroy(&r->verify_lock);
    free(r->ledger_path);
    free(r->node_key_id_hex);
    free(r->version);
    free(r->public_url);
    memset(r, 0, sizeof *r);
    return rc;
  }
  r->started_ms = mono_ms();
  return SY_OK;
nomem:
  free(r->ledger_path);
  free(r->node_key_id_hex);
  free(r->version);
  free(r->public_url);
  memset(r, 0, sizeof *r);
  return SY_ENOMEM;
}

void sy_api_router_close(sy_api_router *r) {
  if (!r || !r->version) return;
  sy_api_ac_close(r);
  sy_api_epcis_close(r);
  pthread_mutex_destroy(&r->verify_lock);
  free(r->ledger_path);
  free(r->node_key_id_hex);
  free(r->version);
  free(r->public_url);
  memset(r, 0, sizeof *r);
}
