/* GS1 EPCIS 2.0 REST binding on suyuand (docs/http-api.md, "EPCIS 2.0"):
 * POST /capture, GET /capture/{id}, POST /events, GET /events,
 * GET /events/{eventID}, OPTIONS discovery; the same under /epcis/.
 *
 * A capture is signed by the node with the custody key of the member whose
 * bearer token came with it, and submitted as an `epcis.capture`
 * transaction (docs/trace.md); the answer comes once its block is durable.
 * `rollback` (the default) puts the whole document in one transaction:
 * the ledger takes all of it or none. `proceed` puts each event in a
 * single-event document of its own, so the valid ones are captured and the
 * invalid ones reported in the capture job.
 *
 * Capture jobs: a rollback job is one transaction, so its id is the
 * transaction id and the job is rebuilt from the ledger at any time (it
 * survives restarts). A proceed job spans many transactions; it lives in a
 * bounded in-memory table (JOBS_MAX, oldest dropped first) and is lost on
 * restart -- its events are not, they stay queryable.
 *
 * Every input is hostile: bodies are bounded before they are read
 * (sy_api_capture_prepare), must be one UTF-8 JSON document, are validated
 * with the EPCIS validator before anything is signed; query parameters are
 * checked one by one and unknown ones refused. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "api/api.h"
#include "core/sy_time.h"
#include "api/api_json.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"
#include "ledger/events.h"

#define EPCIS_CONTEXT "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#define EPCIS_VERSION "2.0.0"
#define CBV_VERSION "2.0.0"
#define MAX_REPORTED 20    /* errors listed in a problem or a job */
#define JOBS_MAX 256       /* capture jobs kept in memory */
#define EVENT_ID_MAX 2048  /* bytes of an eventID we look up */
#define ENVELOPE_SLACK 256 /* envelope bytes around a payload (chain id, sig, ...) */
#define PARAM_MAX 8192     /* bytes of one query parameter value */
#define DEFAULT_PER_PAGE 30
#define MAX_PER_PAGE 1000
/* A transaction not on the chain this long after submission never will be
 * (its block could not be written): the job reports it lost. */
#define GIVE_UP_MS (SY_API_WAIT_MAX_MS + 60000u)

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int random_bytes(void *p, size_t n) {
  uint8_t *b = p;
  while (n) {
    ssize_t r = getrandom(b, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return SY_ECRYPTO;
    }
    b += r;
    n -= (size_t)r;
  }
  return SY_OK;
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- time ------------------------------------------------------------------------ */

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) { /* H. Hinnant */
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int sy_api_parse_time(const char *s, int64_t *ms) {
  /* The calendar and clock ranges are the validator's (leap years, second
   * 60); here only the conversion. */
  if (!s || sy_epcis_check_time(s) != SY_OK) return -1;
  int y, mo, d, h, mi, se;
  if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
      !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
    return -1;
  const char *p = s + 19;
  int frac = 0, fd = 0;
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++, fd++)
      if (fd < 3) frac = frac * 10 + (*p - '0');
    for (int k = fd; k < 3; k++) frac *= 10;
  }
  int off = 0;
  if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om)) return -1;
    off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
  }
  int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                 (se == 60 ? 59 : se) - (int64_t)off * 60;
  *ms = secs * 1000 + frac;
  return 0;
}

void sy_api_format_time(int64_t ms, char out[32]) { sy_time_format_ms(ms, out); }

char *sy_api_url_encode(const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  char *out = malloc(3 * n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  *o = 0;
  return out;
}

/* ---- headers ---------------------------------------------------------------------- */

static int has_header(const sy_api_resp *rs, const char *name) {
  for (size_t i = 0; i < rs->nhdrs; i++)
    if (rs->hdrs[i].name && strcasecmp(rs->hdrs[i].name, name) == 0) return 1;
  return 0;
}

void sy_api_epcis_headers(sy_api_resp *rs) {
  if (!has_header(rs, "GS1-EPCIS-Version"))
    sy_api_resp_header(rs, "GS1-EPCIS-Version", "%s", EPCIS_VERSION);
  if (!has_header(rs, "GS1-CBV-Version"))
    sy_api_resp_header(rs, "GS1-CBV-Version", "%s", CBV_VERSION);
}

static void limit_headers(sy_api_router *r, sy_api_resp *rs) {
  sy_api_resp_header(rs, "GS1-EPCIS-Capture-Limit", "%zu", r->capture_limit);
  sy_api_resp_header(rs, "GS1-EPCIS-Capture-File-Size-Limit", "%zu", r->capture_bytes);
}

void sy_api_capture_too_large(sy_api_router *r, const char *path, const char *what,
                              sy_api_resp *rs) {
  sy_api_problem(r, rs, 413, "capture-limit-exceeded", path,
                 "%s (GS1-EPCIS-Capture-Limit %zu events, GS1-EPCIS-Capture-File-Size-Limit %zu "
                 "bytes)",
                 what, r->capture_limit, r->capture_bytes);
  limit_headers(r, rs);
  sy_api_epcis_headers(rs);
}

void sy_api_capture_options(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  (void)rq;
  rs->status = 204;
  rs->allow = "OPTIONS, POST";
  limit_headers(r, rs);
  sy_api_resp_header(rs, "GS1-Capture-Error-Behaviour", "all");
  sy_api_resp_header(rs, "GS1-EPCIS-Min", "%s", EPCIS_VERSION);
  sy_api_resp_header(rs, "GS1-EPCIS-Max", "%s", EPCIS_VERSION);
  sy_api_resp_header(rs, "GS1-CBV-Min", "%s", CBV_VERSION);
  sy_api_resp_header(rs, "GS1-CBV-Max", "%s", CBV_VERSION);
  sy_api_epcis_headers(rs);
}

/* ---- capture jobs ------------------------------------------------------------------ */

enum { TX_PENDING = 0, TX_DONE = 1, TX_LOST = 2 };

typedef struct job_tx {
  uint8_t id[SY_HASH_LEN];
  int event_index; /* the event it carries (proceed), -1 for the whole document */
  int state;
  uint16_t reason;
  uint64_t height, block_ms;
} job_tx;

typedef struct job_err {
  int event_index; /* -1: the document */
  int status;
  char token[32];
  char field[128];
  char detail[400];
} job_err;

typedef struct job {
  char id[2 * SY_HASH_LEN + 1];
  int proceed;
  uint64_t created_ms;     /* wall clock */
  uint64_t submitted_mono; /* for GIVE_UP_MS */
  size_t n_events;
  job_tx *txs;
  size_t ntx;
  job_err *errs;
  size_t nerr;
} job;

struct sy_api_jobs {
  pthread_mutex_t mu;
  job *slot[JOBS_MAX];
  size_t next; /* ring: the oldest job is replaced first */
};

static void job_free(job *j) {
  if (!j) return;
  free(j->txs);
  free(j->errs);
  free(j);
}

static job *job_copy(const job *j) {
  job *c = malloc(sizeof *c);
  if (!c) return NULL;
  *c = *j;
  c->txs = j->ntx ? malloc(j->ntx * sizeof *c->txs) : NULL;
  c->errs = j->nerr ? malloc(j->nerr * sizeof *c->errs) : NULL;
  if ((j->ntx && !c->txs) || (j->nerr && !c->errs)) {
    job_free(c);
    return NULL;
  }
  if (j->ntx) memcpy(c->txs, j->txs, j->ntx * sizeof *c->txs);
  if (j->nerr) memcpy(c->errs, j->errs, j->nerr * sizeof *c->errs);
  return c;
}

/* Copies src into dst[n], cut to fit. */
static void copy_trunc(char *dst, size_t n, const char *src) {
  size_t l = strlen(src);
  if (l >= n) l = n - 1;
  memcpy(dst, src, l);
  dst[l] = 0;
}

static int job_add_err(job *j, int index, int status, const char *token, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int job_add_err(job *j, int index, int status, const char *token, const char *field,
                       const char *fmt, ...) {
  job_err *ne = realloc(j->errs, (j->nerr + 1) * sizeof *ne);
  if (!ne) return SY_ENOMEM;
  j->errs = ne;
  job_err *e = &ne[j->nerr++];
  memset(e, 0, sizeof *e);
  e->event_index = index;
  e->status = status;
  snprintf(e->token, sizeof e->token, "%s", token);
  if (field) snprintf(e->field, sizeof e->field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  va_end(ap);
  return SY_OK;
}

/* Takes j. */
static void jobs_put(struct sy_api_jobs *t, job *j) {
  pthread_mutex_lock(&t->mu);
  job_free(t->slot[t->next]);
  t->slot[t->next] = j;
  t->next = (t->next + 1) % JOBS_MAX;
  pthread_mutex_unlock(&t->mu);
}

/* A copy of the job with this id, or NULL. */
static job *jobs_get(struct sy_api_jobs *t, const char *id) {
  job *c = NULL;
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < JOBS_MAX; i++) {
    if (t->slot[i] && strcmp(t->slot[i]->id, id) == 0) {
      c = job_copy(t->slot[i]);
      break;
    }
  }
  pthread_mutex_unlock(&t->mu);
  return c;
}

/* Remembers what the ledger said about the job's transactions (it never
 * changes once committed), so later looks are cheap. */
static void jobs_update(struct sy_api_jobs *t, const job *c) {
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < JOBS_MAX; i++) {
    job *j = t->slot[i];
    if (!j || strcmp(j->id, c->id) != 0 || j->ntx != c->ntx) continue;
    for (size_t k = 0; k < j->ntx; k++)
      if (j->txs[k].state == TX_PENDING && c->txs[k].state != TX_PENDING) j->txs[k] = c->txs[k];
    break;
  }
  pthread_mutex_unlock(&t->mu);
}

int sy_api_epcis_init(sy_api_router *r, const sy_api_opts *opts) {
  r->auth_reads = opts->auth_reads != 0;
  r->capture_limit = opts->capture_limit ? opts->capture_limit : SY_API_DEFAULT_CAPTURE_LIMIT;
  size_t bytes = opts->capture_bytes ? opts->capture_bytes : SY_API_DEFAULT_CAPTURE_BYTES;
  /* A document must fit one transaction with its envelope. */
  size_t room = r->max_tx_bytes > ENVELOPE_SLACK ? r->max_tx_bytes - ENVELOPE_SLACK : 0;
  if (bytes > room) bytes = room;
  if (bytes > SY_TX_PAYLOAD_MAX) bytes = SY_TX_PAYLOAD_MAX;
  r->capture_bytes = bytes;
  r->jobs = calloc(1, sizeof *r->jobs);
  if (!r->jobs) return SY_ENOMEM;
  if (pthread_mutex_init(&r->jobs->mu, NULL) != 0) {
    free(r->jobs);
    r->jobs = NULL;
    return SY_ENOMEM;
  }
  if (opts->data_dir) {
    int rc = sy_api_tokens_new(opts->data_dir, opts->passphrase, &r->tokens);
    if (rc != SY_OK) {
      pthread_mutex_destroy(&r->jobs->mu);
      free(r->jobs);
      r->jobs = NULL;
      return rc;
    }
  }
  return SY_OK;
}

void sy_api_epcis_close(sy_api_router *r) {
  if (r->jobs) {
    for (size_t i = 0; i < JOBS_MAX; i++) job_free(r->jobs->slot[i]);
    pthread_mutex_destroy(&r->jobs->mu);
    free(r->jobs);
    r->jobs = NULL;
  }
  sy_api_tokens_free(r->tokens);
  r->tokens = NULL;
}

/* ---- auth ------------------------------------------------------------------------- */

static const char *authz_of(const sy_api_req *rq) {
  return rq->header ? rq->header(rq->query_ctx, "Authorization") : NULL;
}

static void unauthorized(sy_api_router *r, sy_api_resp *rs, const char *path, int presented,
                         const char *why) {
  sy_api_problem(r, rs, 401, "unauthorized", path, "%s", why);
  /* RFC 6750: error="invalid_token" once a token was presented. */
  if (presented)
    sy_api_resp_header(rs, "WWW-Authenticate", "Bearer realm=\"suyuan\", error=\"invalid_token\"");
  else
    sy_api_resp_header(rs, "WWW-Authenticate", "Bearer realm=\"suyuan\"");
}

int sy_api_authorize(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, int want_key,
                     uint8_t key_id[SY_KEYID_LEN], const sy_key **key) {
  const char *h = authz_of(rq);
  if (!r->tokens) {
    unauthorized(r, rs, rq->path, h != NULL,
                 "this node keeps no tokens (it has no data directory)");
    return 0;
  }
  char why[160];
  if (sy_api_tokens_check(r->tokens, h, key_id, why, sizeof why) != SY_OK) {
    unauthorized(r, rs, rq->path, h != NULL, why);
    return 0;
  }
  char hex[2 * SY_KEYID_LEN + 1];
  sy_hex_encode(hex, key_id, SY_KEYID_LEN);
  if (!want_key) {
    /* Reads: any role, but an active member. (Writes go to the chain,
     * which records a revoked signer's transaction invalid, as evidence.) */
    sy_member m;
    memset(&m, 0, sizeof m);
    int rc = sy_ledger_get_member(r->ledger, key_id, &m);
    if (rc == SY_ENOTFOUND || (rc == SY_OK && m.revoked)) {
      sy_api_problem(r, rs, 403, "forbidden", rq->path, "the token's member %s is %s on the chain",
                     hex, rc == SY_OK ? "revoked" : "not a member");
      return 0;
    }
    if (rc != SY_OK) {
      sy_api_problem_err(r, rs, rc, rq->path, "member lookup");
      return 0;
    }
    return 1;
  }
  int rc = sy_api_tokens_key(r->tokens, key_id, key);
  if (rc != SY_OK) {
    const char *what = rc == SY_ENOTFOUND     ? "no custody key file"
                       : rc == SY_EPASSPHRASE ? "it does not open with the node's passphrase"
                       : rc == SY_EPERM       ? "its file is readable by group or others"
                       : rc == SY_EINVAL      ? "the file holds another key"
                                              : sy_strerror(rc);
    sy_api_problem(r, rs, 500, "custody-unavailable", rq->path,
                   "this node cannot sign for member %s: %s (custody/%s.key)", hex, what, hex);
    return 0;
  }
  return 1;
}

/* ---- bodies ------------------------------------------------------------------------ */

/* application/json or application/ld+json, parameters ignored. */
static int json_media(const char *ct) {
  if (!ct) return 0;
  while (*ct == ' ' || *ct == '\t') ct++;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
  return (n == 16 && strncasecmp(ct, "application/json", n) == 0) ||
         (n == 19 && strncasecmp(ct, "application/ld+json", n) == 0);
}

size_t sy_api_capture_prepare(sy_api_router *r, const sy_api_req *rq, int *keep_body,
                              sy_api_resp *early) {
  *keep_body = 0;
  if (!json_media(rq->content_type)) {
    sy_api_problem(r, early, 415, "unsupported-media-type", rq->path,
                   "EPCIS capture takes application/json or application/ld+json");
    sy_api_epcis_headers(early);
    return 0;
  }
  /* No credentials, no body: refused before a byte of it is buffered. */
  uint8_t kid[SY_KEYID_LEN];
  char why[160];
  const char *h = authz_of(rq);
  if (!r->tokens) {
    unauthorized(r, early, rq->path, h != NULL,
                 "this node keeps no tokens (it has no data directory)");
    sy_api_epcis_headers(early);
    return 0;
  }
  if (sy_api_tokens_check(r->tokens, h, kid, why, sizeof why) != SY_OK) {
    unauthorized(r, early, rq->path, h != NULL, why);
    sy_api_epcis_headers(early);
    return 0;
  }
  *keep_body = 1;
  return r->capture_bytes;
}

/* The body as one JSON document: valid UTF-8, no NUL, nothing after it but
 * whitespace. NULL with the problem filled in otherwise. */
static cJSON *parse_body(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  if (!rq->body || rq->body_len == 0) {
    sy_api_problem(r, rs, 400, "malformed-json", rq->path, "the body is empty");
    return NULL;
  }
  if (!sy_api_utf8_valid(rq->body, rq->body_len)) {
    sy_api_problem(r, rs, 400, "malformed-json", rq->path,
                   "the body is not UTF-8 text (or holds a NUL byte)");
    return NULL;
  }
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithLengthOpts((const char *)rq->body, rq->body_len, &end, 0);
  if (!doc) {
    /* cJSON sets end at the failure too; cJSON_GetErrorPtr reads a global
     * that other connection threads write. */
    const char *at = end;
    size_t off = (at && at >= (const char *)rq->body && at <= (const char *)rq->body + rq->body_len)
                     ? (size_t)(at - (const char *)rq->body)
                     : 0;
    sy_api_problem(r, rs, 400, "malformed-json", rq->path,
                   "the body is not valid JSON (near byte %zu)", off);
    return NULL;
  }
  const char *e = (const char *)rq->body + rq->body_len;
  while (end && end < e && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) end++;
  if (end != e) {
    cJSON_Delete(doc);
    sy_api_problem(r, rs, 400, "malformed-json", rq->path,
                   "the body holds more than one JSON value");
    return NULL;
  }
  /* cJSON ends a string at an escaped NUL ("a\u0000b" reads as "a"): what
   * we validate would not be what we sign. */
  if (memmem(rq->body, rq->body_len, "\\u0000", 6)) {
    cJSON_Delete(doc);
    sy_api_problem(r, rs, 400, "malformed-json", rq->path,
                   "the body holds an escaped NUL character (\\u0000)");
    return NULL;
  }
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    sy_api_problem(r, rs, 400, "invalid-epcis", rq->path, "the body is not a JSON object");
    return NULL;
  }
  return doc;
}

/* ---- validation problems ------------------------------------------------------------- */

static void clean(char *out, size_t size, const char *s) {
  sy_api_utf8_clean(out, size, s, 1024);
}

/* One error member: {"eventIndex", "field", "detail"} (eventIndex null for
 * the document itself). */
static cJSON *error_item(sy_jb *b, int index, const char *field, const char *detail) {
  char f[3 * 128 + 1], d[3 * 400 + 1];
  clean(f, sizeof f, field);
  clean(d, sizeof d, detail);
  cJSON *o = cJSON_CreateObject();
  if (!o) {
    b->oom = 1;
    return NULL;
  }
  if (index >= 0)
    jb_i64(b, o, "eventIndex", index);
  else
    jb_null(b, o, "eventIndex");
  jb_str(b, o, "field", f);
  jb_str(b, o, "detail", d);
  return o;
}

static void where(char *out, size_t size, int index, const char *field) {
  if (index >= 0)
    snprintf(out, size, "event %d, %s", index, field);
  else
    snprintf(out, size, "document, %s", field);
}

/* 400 invalid-epcis naming the first error, with "errors": [...]. */
static void validation_problem(sy_api_router *r, sy_api_resp *rs, const char *path,
                               const sy_epcis_error *errs, size_t n) {
  sy_jb b = {0};
  cJSON *ext = cJSON_CreateObject();
  cJSON *arr = jb_arr(&b, ext, "errors");
  for (size_t i = 0; i < n && i < MAX_REPORTED; i++)
    jb_put(&b, arr, NULL, error_item(&b, errs[i].event_index, errs[i].field, errs[i].detail));
  if (b.oom) {
    cJSON_Delete(ext);
    sy_api_resp_oom(rs);
    return;
  }
  char w[200];
  where(w, sizeof w, n ? errs[0].event_index : -1, n ? errs[0].field : "$");
  sy_api_problem_x(r, rs, 400, "invalid-epcis", path, ext, "%s: %s%s", w,
                   n ? errs[0].detail : "the document does not validate",
                   n > 1 ? " (and more; see errors)" : "");
}

/* ---- duplicates ---------------------------------------------------------------------- */

/* The id the ledger files an event under: its eventID, or (none given) its
 * CBV hash id, computed as the ledger computes it (with the document's
 * @context). alt, when the event has no eventID, receives the hash without
 * that context when it differs (what a ledger before that fix filed), so
 * both are looked for. */
static int event_keys(const cJSON *ev, const cJSON *doc_ctx, char *id, size_t idlen,
                      char alt[SY_EPCIS_HASH_ID_MAX]) {
  alt[0] = 0;
  const char *eid = str_of(ev, "eventID");
  if (eid) {
    if (strlen(eid) >= idlen || strlen(eid) >= EVENT_ID_MAX) return SY_ETOOBIG;
    snprintf(id, idlen, "%s", eid);
    return SY_OK;
  }
  char h[SY_EPCIS_HASH_ID_MAX];
  sy_epcis_hash_opts o;
  memset(&o, 0, sizeof o);
  o.context = doc_ctx;
  int rc = sy_epcis_event_hash_opts(ev, &o, h);
  if (rc != SY_OK) return rc;
  snprintf(id, idlen, "%s", h);
  if (doc_ctx && (sy_epcis_event_hash(ev, alt) != SY_OK || strcmp(alt, h) == 0)) alt[0] = 0;
  return SY_OK;
}

static const char *keys_failure(int rc) {
  return rc == SY_ETOOBIG ? "the eventID is longer than 2047 bytes"
                          : "the event cannot be hashed (CBV 2.0 event hash id)";
}

/* The ledger records the five EPCIS event types, and extension event types
 * (schema Extended-Event, "example:CustomEvent") only on a chain whose
 * genesis turns on the feature epcis_extension_events
 * (src/ledger/ledger_events.c): elsewhere their transaction would be
 * recorded invalid (invalid_epcis), so such an event is refused before
 * anything is signed, naming the member. 1 when ev's type is recorded;
 * otherwise 0 with *e filled in (field = prefix + "type"). */
static int recorded_type(sy_api_router *r, const cJSON *ev, int index, const char *prefix,
                         sy_epcis_error *e) {
  static const char *const types[] = {"ObjectEvent", "AggregationEvent", "TransactionEvent",
                                      "TransformationEvent", "AssociationEvent"};
  const char *t = str_of(ev, "type");
  for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0) return 1;
  if (t && sy_ledger_records_extension_events(r->ledger)) return 1;
  char tc[3 * 40 + 1];
  sy_api_utf8_clean(tc, sizeof tc, t ? t : "", 40);
  memset(e, 0, sizeof *e);
  e->event_index = index;
  snprintf(e->field, sizeof e->field, "%stype", prefix);
  snprintf(e->detail, sizeof e->detail,
           "'%s' is an extension event type: this chain records only the five EPCIS "
           "event types (genesis feature epcis_extension_events is off)",
           tc);
  return 0;
}

/* The ids of a document's events, one exact-size copy each. */
typedef struct idlist {
  char **v;
  size_t n;
} idlist;

static void idlist_free(idlist *l) {
  for (size_t i = 0; l->v && i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* event_keys into l->v[i] (i < the size l was made with). */
static int idlist_keys(idlist *l, size_t i, const cJSON *ev, const cJSON *ctx,
                       char alt[SY_EPCIS_HASH_ID_MAX]) {
  char buf[EVENT_ID_MAX + 1];
  int rc = event_keys(ev, ctx, buf, sizeof buf, alt);
  if (rc != SY_OK) return rc;
  if (!(l->v[i] = strdup(buf))) return SY_ENOMEM;
  return SY_OK;
}

/* 1 when an event is filed under id or alt already; 0 not; <0 error. */
static int on_chain(sy_api_router *r, const char *id, const char *alt) {
  const char *ids[2] = {id, alt};
  for (int i = 0; i < 2; i++) {
    if (!ids[i] || !ids[i][0]) continue;
    sy_event e;
    memset(&e, 0, sizeof e);
    int rc = sy_ledger_get_event(r->ledger, ids[i], &e);
    if (rc == SY_OK) {
      sy_event_free(&e);
      return 1;
    }
    if (rc != SY_ENOTFOUND) return rc;
  }
  return 0;
}

static void duplicate_problem(sy_api_router *r, sy_api_resp *rs, const char *path, int index,
                              const char *id) {
  char idc[3 * 256 + 1];
  sy_api_utf8_clean(idc, sizeof idc, id, 256);
  const char *evs = strncmp(path, "/epcis/", 7) == 0 ? "/epcis/events/" : "/events/";
  char *enc = sy_api_url_encode(id, strlen(id));
  sy_jb b = {0};
  cJSON *ext = cJSON_CreateObject();
  if (index >= 0) jb_i64(&b, ext, "eventIndex", index);
  jb_str(&b, ext, "eventID", idc);
  if (b.oom) {
    cJSON_Delete(ext);
    free(enc);
    sy_api_resp_oom(rs);
    return;
  }
  if (index >= 0)
    sy_api_problem_x(r, rs, 409, "duplicate-event", path, ext,
                     "event %d: an event with eventID %s is already on the chain", index, idc);
  else
    sy_api_problem_x(r, rs, 409, "duplicate-event", path, ext,
                     "an event with eventID %s is already on the chain", idc);
  if (enc) sy_api_resp_header(rs, "Location", "%s%s", evs, enc);
  free(enc);
}

/* ---- signing and submitting ------------------------------------------------------------ */

static int sign_submit(sy_api_router *r, const sy_key *key, const uint8_t *payload, size_t len,
                       unsigned wait_ms, sy_submit_result *res) {
  memset(res, 0, sizeof *res);
  uint64_t nonce;
  int rc = random_bytes(&nonce, sizeof nonce);
  if (rc != SY_OK) return rc;
  sy_buf b = {0};
  rc = sy_key_sign_tx(key, &b, SY_TX_EPCIS_CAPTURE, sy_ledger_chain_id(r->ledger), now_ms(), nonce,
                      payload, len);
  if (rc == SY_OK && b.err) rc = b.err;
  if (rc == SY_OK) rc = sy_pipeline_submit(r->pipe, b.p, b.len, wait_ms, res);
  sy_buf_free(&b);
  return rc;
}

/* The answer to a submission the node refused or could not commit. */
static void submit_problem(sy_api_router *r, sy_api_resp *rs, const char *path, int rc) {
  switch (rc) {
    case SY_ETOOBIG:
      sy_api_capture_too_large(r, path, "the transaction would be past this node's max_tx_bytes",
                               rs);
      return;
    case SY_EBUSY:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "overloaded", path, "the ordering backlog is full; retry shortly");
      return;
    case SY_ESTORAGE:
    case SY_EIO:
      rs->retry_after = 1;
      sy_api_problem(r, rs, 503, "storage-unavailable", path,
                     "the block could not be written; nothing was committed; retry");
      return;
    case SY_ENOSPC:
      sy_api_problem(r, rs, 507, "insufficient-storage", path,
                     "the disk is full; nothing was committed; retry when space returns");
      return;
    default:
      sy_api_problem_err(r, rs, rc, path, "capture");
      return;
  }
}

/* HTTP status that fits a reason a transaction was recorded invalid. */
static int reason_status(uint16_t reason) {
  switch (reason) {
    case SY_R_UNKNOWN_SIGNER:
    case SY_R_REVOKED_SIGNER:
    case SY_R_ROLE_DENIED:
    case SY_R_OTHER_ORG:
      return 403;
    case SY_R_DUPLICATE_EVENT:
    case SY_R_DUPLICATE_TX:
    case SY_R_REPLAYED_NONCE:
      return 409;
    case SY_R_INVALID_EPCIS:
    case SY_R_MALFORMED_PAYLOAD:
      return 400;
    default:
      return 422;
  }
}

/* ---- job documents ---------------------------------------------------------------------- */

static void put_time(sy_jb *b, cJSON *o, const char *k, int64_t ms) {
  char t[32];
  sy_api_format_time(ms, t);
  jb_str(b, o, k, t);
}

static cJSON *job_error_json(sy_jb *b, const job *j, const job_err *e) {
  char type[96], d[3 * 400 + 1], f[3 * 128 + 1];
  snprintf(type, sizeof type, "urn:suyuan:problem:%s", e->token);
  clean(d, sizeof d, e->detail);
  clean(f, sizeof f, e->field);
  cJSON *o = cJSON_CreateObject();
  if (!o) {
    b->oom = 1;
    return NULL;
  }
  jb_str(b, o, "type", type);
  jb_put(b, o, "status", cJSON_CreateNumber(e->status));
  jb_str(b, o, "detail", d);
  if (e->event_index >= 0 || !j->proceed) {
    if (e->event_index >= 0)
      jb_i64(b, o, "eventIndex", e->event_index);
    else
      jb_null(b, o, "eventIndex");
  }
  if (f[0]) jb_str(b, o, "field", f);
  return o;
}

/* Resolves the job's pending transactions against the ledger (c is a
 * private copy) and renders the job. *found_any is set when at least one
 * transaction is on the chain. */
static cJSON *job_json(sy_api_router *r, job *c, sy_jb *b, int *err) {
  *err = SY_OK;
  uint64_t mono = mono_ms();
  for (size_t i = 0; i < c->ntx; i++) {
    job_tx *t = &c->txs[i];
    if (t->state != TX_PENDING) continue;
    sy_tx_info info;
    memset(&info, 0, sizeof info);
    int rc = sy_ledger_get_tx(r->ledger, t->id, &info);
    if (rc == SY_OK) {
      t->state = TX_DONE;
      t->reason = info.reason;
      t->height = info.height;
      t->block_ms = info.block.timestamp_ms;
      sy_tx_info_free(&info);
    } else if (rc == SY_ENOTFOUND) {
      if (mono - c->submitted_mono > GIVE_UP_MS) t->state = TX_LOST;
    } else {
      *err = rc;
      return NULL;
    }
  }
  jobs_update(r->jobs, c);

  cJSON *o = cJSON_CreateObject();
  if (!o) {
    b->oom = 1;
    return NULL;
  }
  int running = 0, failed = c->nerr > 0;
  uint64_t height = 0, fin = 0;
  int have_height = 0;
  for (size_t i = 0; i < c->ntx; i++) {
    const job_tx *t = &c->txs[i];
    if (t->state == TX_PENDING) running = 1;
    if (t->state == TX_LOST || (t->state == TX_DONE && t->reason != SY_R_VALID)) failed = 1;
    if (t->state == TX_DONE) {
      if (!have_height || t->height > height) height = t->height;
      if (t->block_ms > fin) fin = t->block_ms;
      have_height = 1;
    }
  }
  jb_str(b, o, "captureID", c->id);
  put_time(b, o, "createdAt", (int64_t)c->created_ms);
  if (!running) put_time(b, o, "finishedAt", (int64_t)(fin ? fin : c->created_ms));
  jb_bool(b, o, "running", running);
  jb_bool(b, o, "success", !failed);
  jb_str(b, o, "captureErrorBehaviour", c->proceed ? "proceed" : "rollback");
  cJSON *errs = jb_arr(b, o, "errors");
  for (size_t i = 0; i < c->nerr; i++) jb_put(b, errs, NULL, job_error_json(b, c, &c->errs[i]));
  cJSON *ids = jb_arr(b, o, "eventIDs");
  cJSON *txids = jb_arr(b, o, "txIds");
  for (size_t i = 0; i < c->ntx; i++) {
    const job_tx *t = &c->txs[i];
    char hex[2 * SY_HASH_LEN + 1];
    sy_hex_encode(hex, t->id, SY_HASH_LEN);
    jb_str(b, txids, NULL, hex);
    if (t->state == TX_DONE && t->reason == SY_R_VALID) {
      sy_event_page pg;
      memset(&pg, 0, sizeof pg);
      int rc = sy_ledger_tx_events(r->ledger, t->id, &pg);
      if (rc != SY_OK) {
        cJSON_Delete(o);
        *err = rc;
        return NULL;
      }
      for (size_t k = 0; k < pg.n; k++) {
        char idc[3 * EVENT_ID_MAX + 1];
        sy_api_utf8_clean(idc, sizeof idc, pg.events[k].event_id, EVENT_ID_MAX);
        jb_str(b, ids, NULL, idc);
      }
      sy_event_page_free(&pg);
    } else if (t->state == TX_DONE || t->state == TX_LOST) {
      job_err e;
      memset(&e, 0, sizeof e);
      e.event_index = t->event_index;
      if (t->state == TX_LOST) {
        e.status = 503;
        snprintf(e.token, sizeof e.token, "not-committed");
        snprintf(e.detail, sizeof e.detail,
                 "transaction %s was not committed (its block could not be written); capture "
                 "%s again",
                 hex, t->event_index >= 0 ? "this event" : "the document");
      } else {
        e.status = reason_status(t->reason);
        snprintf(e.token, sizeof e.token, "transaction-invalid");
        snprintf(e.detail, sizeof e.detail, "transaction %s was recorded invalid: %s (%s)", hex,
                 sy_reason_token(t->reason), sy_reason_text(t->reason));
      }
      cJSON *eo = job_error_json(b, c, &e);
      if (eo) {
        jb_str(b, eo, "reason", t->state == TX_LOST ? "not_committed" : sy_reason_token(t->reason));
        jb_str(b, eo, "txId", hex);
      }
      jb_put(b, errs, NULL, eo);
    }
  }
  if (have_height)
    jb_u64(b, o, "blockHeight", height);
  else
    jb_null(b, o, "blockHeight");
  return o;
}

static void job_location(sy_api_resp *rs, const char *path, const char *id) {
  const char *pre = strncmp(path, "/epcis/", 7) == 0 ? "/epcis" : "";
  snprintf(rs->location, sizeof rs->location, "%s/capture/%s", pre, id);
}

/* Answers 202 with the job (taken) and its Location; keeps it in the table. */
static void answer_job(sy_api_router *r, sy_api_resp *rs, const char *path, job *j) {
  job *c = job_copy(j);
  jobs_put(r->jobs, j);
  if (!c) {
    sy_api_resp_oom(rs);
    return;
  }
  sy_jb b = {0};
  int err;
  cJSON *o = job_json(r, c, &b, &err);
  if (!o && err != SY_OK) {
    job_free(c);
    sy_api_problem_err(r, rs, err, path, "capture job");
    return;
  }
  job_location(rs, path, c->id);
  job_free(c);
  sy_api_resp_json(rs, 202, o, b.oom, NULL);
}

/* ---- POST /capture ------------------------------------------------------------------------ */

static const cJSON *event_list(const cJSON *doc) {
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(doc, "epcisBody");
  const cJSON *l =
      cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "eventList") : NULL;
  return cJSON_IsArray(l) ? l : NULL;
}

/* An EPCISQueryDocument's events as an EPCISDocument (the REST binding
 * lets a client capture what a query returned). Returns a new document, or
 * NULL when q has no event list (or memory ran out, *oom). */
static cJSON *query_to_capture(const cJSON *q, int *oom) {
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(q, "epcisBody");
  const cJSON *qr =
      cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "queryResults") : NULL;
  const cJSON *rb = cJSON_IsObject(qr) ? cJSON_GetObjectItemCaseSensitive(qr, "resultsBody") : NULL;
  const cJSON *l = cJSON_IsObject(rb) ? cJSON_GetObjectItemCaseSensitive(rb, "eventList") : NULL;
  if (!cJSON_IsArray(l)) return NULL;
  sy_jb b = {0};
  cJSON *d = cJSON_CreateObject();
  const char *keep[] = {"@context", "schemaVersion", "creationDate", "epcisHeader"};
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, keep[i]);
    if (v) jb_put(&b, d, keep[i], cJSON_Duplicate(v, 1));
  }
  jb_str(&b, d, "type", "EPCISDocument");
  cJSON *eb = jb_obj(&b, d, "epcisBody");
  jb_put(&b, eb, "eventList", cJSON_Duplicate(l, 1));
  if (b.oom || !d) {
    cJSON_Delete(d);
    *oom = 1;
    return NULL;
  }
  return d;
}

static int capture_behaviour(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs,
                             int *proceed) {
  const char *v = rq->header ? rq->header(rq->query_ctx, "GS1-Capture-Error-Behaviour") : NULL;
  *proceed = 0;
  if (!v) return 1;
  while (*v == ' ' || *v == '\t') v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n == 8 && strncasecmp(v, "rollback", 8) == 0) return 1;
  if (n == 7 && strncasecmp(v, "proceed", 7) == 0) {
    *proceed = 1;
    return 1;
  }
  sy_api_problem(r, rs, 400, "invalid-header", rq->path,
                 "GS1-Capture-Error-Behaviour takes rollback (the default) or proceed");
  return 0;
}

/* Rollback: the whole document, one transaction. */
static void capture_rollback(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs,
                             const sy_key *key, const cJSON *doc, const uint8_t *payload,
                             size_t len) {
  const cJSON *list = event_list(doc);
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(doc, "@context");
  size_t n = (size_t)cJSON_GetArraySize(list);
  /* eventIDs: unique in the document and new to the chain. */
  idlist ids = {calloc(n ? n : 1, sizeof(char *)), n};
  if (!ids.v) {
    sy_api_resp_oom(rs);
    return;
  }
  size_t i = 0;
  const cJSON *ev;
  {
    sy_epcis_error errs[MAX_REPORTED];
    size_t nerr = 0;
    cJSON_ArrayForEach(ev, list) {
      char prefix[64];
      snprintf(prefix, sizeof prefix, "epcisBody.eventList[%zu].", i);
      if (nerr < MAX_REPORTED && !recorded_type(r, ev, (int)i, prefix, &errs[nerr])) nerr++;
      i++;
    }
    if (nerr) {
      validation_problem(r, rs, rq->path, errs, nerr);
      goto out;
    }
    i = 0;
  }
  cJSON_ArrayForEach(ev, list) {
    char alt[SY_EPCIS_HASH_ID_MAX];
    int krc = idlist_keys(&ids, i, ev, ctx, alt);
    if (krc == SY_ENOMEM) {
      sy_api_resp_oom(rs);
      goto out;
    }
    if (krc != SY_OK) {
      sy_epcis_error e = {.event_index = (int)i};
      snprintf(e.field, sizeof e.field, "epcisBody.eventList[%zu]", i);
      snprintf(e.detail, sizeof e.detail, "%s", keys_failure(krc));
      validation_problem(r, rs, rq->path, &e, 1);
      goto out;
    }
    for (size_t k = 0; k < i; k++) {
      if (strcmp(ids.v[k], ids.v[i]) == 0) {
        sy_epcis_error e = {.event_index = (int)i};
        snprintf(e.field, sizeof e.field, "epcisBody.eventList[%zu].eventID", i);
        snprintf(e.detail, sizeof e.detail, "the same event (eventID or hash id) as event %zu", k);
        validation_problem(r, rs, rq->path, &e, 1);
        goto out;
      }
    }
    int dup = on_chain(r, ids.v[i], alt);
    if (dup < 0) {
      sy_api_problem_err(r, rs, dup, rq->path, "event lookup");
      goto out;
    }
    if (dup) {
      duplicate_problem(r, rs, rq->path, (int)i, ids.v[i]);
      goto out;
    }
    i++;
  }

  sy_submit_result res;
  uint64_t created = now_ms();
  int rc = sign_submit(r, key, payload, len, SY_API_WAIT_DEFAULT_MS, &res);
  if (rc != SY_OK && rc != SY_ETIMEDOUT) {
    submit_problem(r, rs, rq->path, rc);
    goto out;
  }
  job *j = calloc(1, sizeof *j);
  if (j) j->txs = calloc(1, sizeof *j->txs);
  if (!j || !j->txs) {
    job_free(j);
    sy_api_resp_oom(rs);
    goto out;
  }
  sy_hex_encode(j->id, res.id, SY_HASH_LEN);
  j->created_ms = created;
  j->submitted_mono = mono_ms();
  j->n_events = n;
  j->ntx = 1;
  memcpy(j->txs[0].id, res.id, SY_HASH_LEN);
  j->txs[0].event_index = -1;
  answer_job(r, rs, rq->path, j);
out:
  idlist_free(&ids);
}

/* Waits until the transaction id is on the chain or ms pass (for proceed
 * jobs whose last transaction could not be waited for in submit). */
static void wait_on_chain(sy_api_router *r, const uint8_t id[SY_HASH_LEN], unsigned ms) {
  uint64_t end = mono_ms() + ms;
  unsigned step = 2;
  while (mono_ms() < end) {
    sy_tx_info info;
    memset(&info, 0, sizeof info);
    int rc = sy_ledger_get_tx(r->ledger, id, &info);
    if (rc == SY_OK) sy_tx_info_free(&info);
    if (rc != SY_ENOTFOUND) return;
    struct timespec ts = {0, (long)step * 1000000L};
    nanosleep(&ts, NULL);
    if (step < 50) step *= 2;
  }
}

/* Proceed: every valid event in a single-event document of its own. */
static void capture_proceed(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs,
                            const sy_key *key, cJSON *doc) {
  const cJSON *list = event_list(doc);
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(doc, "@context");
  size_t n = (size_t)cJSON_GetArraySize(list);
  job *j = calloc(1, sizeof *j);
  int *ok = calloc(n ? n : 1, sizeof *ok);
  idlist ids = {calloc(n ? n : 1, sizeof(char *)), n};
  sy_epcis_error *first = calloc(MAX_REPORTED, sizeof *first);
  size_t nfirst = 0, ndup = 0, nvalid = 0;
  cJSON *wrap = NULL;
  if (!j || !ok || !ids.v || !first || !(j->txs = calloc(n ? n : 1, sizeof *j->txs))) goto oom;
  if (random_bytes(j->id, 16) != SY_OK) goto oom;
  {
    uint8_t rnd[16];
    memcpy(rnd, j->id, 16);
    j->id[0] = 'p'; /* "p" + 32 hex: never a transaction id (64 hex) */
    sy_hex_encode(j->id + 1, rnd, 16);
  }
  j->proceed = 1;
  j->created_ms = now_ms();
  j->submitted_mono = mono_ms();
  j->n_events = n;

  /* Which events can go: valid on their own, unique, new to the chain. */
  size_t i = 0;
  const cJSON *ev;
  cJSON_ArrayForEach(ev, list) {
    sy_epcis_error e[3];
    size_t ne = 0;
    char field[200];
    int vrc = sy_epcis_validate_event_in(ev, ctx, (int)i, e, 3, &ne);
    if (vrc == SY_ENOMEM) goto oom;
    if (vrc != SY_OK && ne == 0) { /* refused without a reason: say so */
      e[0].event_index = (int)i;
      snprintf(e[0].field, sizeof e[0].field, "$");
      snprintf(e[0].detail, sizeof e[0].detail, "the event does not validate (%s)",
               sy_err_name(vrc));
      ne = 1;
    }
    if (vrc != SY_OK) {
      for (size_t k = 0; k < ne; k++) {
        int root = strcmp(e[k].field, "$") == 0; /* paths are relative to the event */
        snprintf(field, sizeof field, "epcisBody.eventList[%zu]%s%s", i, root ? "" : ".",
                 root ? "" : e[k].field);
        if (job_add_err(j, (int)i, 400, "invalid-epcis", field, "event %zu, %s: %s", i, field,
                        e[k].detail) != SY_OK)
          goto oom;
        if (nfirst < MAX_REPORTED) {
          first[nfirst] = e[k];
          copy_trunc(first[nfirst].field, sizeof first[nfirst].field, field);
          nfirst++;
        }
      }
      i++;
      continue;
    }
    snprintf(field, sizeof field, "epcisBody.eventList[%zu].", i);
    if (!recorded_type(r, ev, (int)i, field, &e[0])) {
      if (job_add_err(j, (int)i, 400, "invalid-epcis", e[0].field, "event %zu, %s: %s", i,
                      e[0].field, e[0].detail) != SY_OK)
        goto oom;
      if (nfirst < MAX_REPORTED) first[nfirst++] = e[0];
      i++;
      continue;
    }
    char alt[SY_EPCIS_HASH_ID_MAX];
    int krc = idlist_keys(&ids, i, ev, ctx, alt);
    if (krc == SY_ENOMEM) goto oom;
    if (krc != SY_OK) {
      snprintf(field, sizeof field, "epcisBody.eventList[%zu]", i);
      if (job_add_err(j, (int)i, 400, "invalid-epcis", field, "event %zu: %s", i,
                      keys_failure(krc)) != SY_OK)
        goto oom;
      if (nfirst < MAX_REPORTED) {
        first[nfirst].event_index = (int)i;
        copy_trunc(first[nfirst].field, sizeof first[nfirst].field, field);
        copy_trunc(first[nfirst].detail, sizeof first[nfirst].detail, keys_failure(krc));
        nfirst++;
      }
      i++;
      continue;
    }
    int dup = 0;
    for (size_t k = 0; k < i && !dup; k++)
      if (ok[k] && strcmp(ids.v[k], ids.v[i]) == 0) dup = 1;
    if (!dup) {
      dup = on_chain(r, ids.v[i], alt);
      if (dup < 0) {
        sy_api_problem_err(r, rs, dup, rq->path, "event lookup");
        goto out;
      }
    }
    if (dup) {
      char idc[3 * 200 + 1];
      sy_api_utf8_clean(idc, sizeof idc, ids.v[i], 200);
      snprintf(field, sizeof field, "epcisBody.eventList[%zu].eventID", i);
      if (job_add_err(j, (int)i, 409, "duplicate-event", field,
                      "event %zu: an event with eventID %s is already on the chain or earlier in "
                      "the document",
                      i, idc) != SY_OK)
        goto oom;
      ndup++;
      i++;
      continue;
    }
    ok[i] = 1;
    nvalid++;
    i++;
  }
  if (nvalid == 0) {       /* nothing to capture: the request itself fails */
    if (ndup == j->nerr) { /* every event is already there */
      int k = j->errs[0].event_index;
      duplicate_problem(r, rs, rq->path, k, ids.v[k] ? ids.v[k] : "");
    } else {
      validation_problem(r, rs, rq->path, first, nfirst);
    }
    goto out;
  }

  /* A wrapper document borrowing the original's members (references). */
  wrap = cJSON_CreateObject();
  cJSON *wl = cJSON_CreateArray();
  cJSON *wb = cJSON_CreateObject();
  if (!wrap || !wl || !wb) {
    cJSON_Delete(wl);
    cJSON_Delete(wb);
    goto oom;
  }
  const char *keep[] = {"@context", "schemaVersion", "creationDate"};
  for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keep[k]);
    if (v && !cJSON_AddItemReferenceToObject(wrap, keep[k], v)) {
      cJSON_Delete(wl);
      cJSON_Delete(wb);
      goto oom;
    }
  }
  if (!cJSON_AddStringToObject(wrap, "type", "EPCISDocument") ||
      !cJSON_AddItemToObject(wrap, "epcisBody", wb)) {
    cJSON_Delete(wl);
    cJSON_Delete(wb);
    goto oom;
  }
  if (!cJSON_AddItemToObject(wb, "eventList", wl)) {
    cJSON_Delete(wl);
    goto oom;
  }
  size_t last = 0;
  for (size_t k = 0; k < n; k++)
    if (ok[k]) last = k;
  int have_last = 0;
  sy_submit_result last_res;
  memset(&last_res, 0, sizeof last_res);
  i = 0;
  cJSON_ArrayForEach(ev, list) {
    size_t k = i++;
    if (!ok[k]) continue;
    /* a reference: printed like ev, deleting it leaves ev alone */
    if (!cJSON_AddItemReferenceToArray(wl, (cJSON *)ev)) goto oom; /* not written to */
    char *text = cJSON_PrintUnformatted(wrap);
    cJSON_Delete(cJSON_DetachItemFromArray(wl, 0));
    if (!text) goto oom;
    sy_submit_result res;
    int rc = sign_submit(r, key, (const uint8_t *)text, strlen(text),
                         k == last ? SY_API_WAIT_DEFAULT_MS : 0, &res);
    free(text);
    if (rc == SY_OK || rc == SY_ETIMEDOUT) {
      job_tx *t = &j->txs[j->ntx++];
      memcpy(t->id, res.id, SY_HASH_LEN);
      t->event_index = (int)k;
      last_res = res;
      have_last = 1;
      continue;
    }
    char field[64];
    snprintf(field, sizeof field, "epcisBody.eventList[%zu]", k);
    int st = rc == SY_ETOOBIG ? 413 : rc == SY_ENOSPC ? 507 : 503;
    if (job_add_err(j, (int)k, st,
                    rc == SY_ETOOBIG  ? "capture-limit-exceeded"
                    : rc == SY_EBUSY  ? "overloaded"
                    : rc == SY_ENOSPC ? "insufficient-storage"
                                      : "not-committed",
                    field, "event %zu was not captured: %s", k, sy_strerror(rc)) != SY_OK)
      goto oom;
  }
  /* The orderer keeps submission order, so once the last admitted
   * transaction is on the chain the earlier ones are too. */
  if (have_last && !last_res.committed) wait_on_chain(r, last_res.id, SY_API_WAIT_DEFAULT_MS);
  cJSON_Delete(wrap);
  wrap = NULL;
  free(ok);
  idlist_free(&ids);
  free(first);
  answer_job(r, rs, rq->path, j);
  return;
oom:
  sy_api_resp_oom(rs);
out:
  cJSON_Delete(wrap);
  job_free(j);
  free(ok);
  idlist_free(&ids);
  free(first);
}

void sy_api_capture_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  int proceed;
  if (!capture_behaviour(r, rq, rs, &proceed)) return;
  if (!json_media(rq->content_type)) { /* prepare refuses these; kept for direct callers */
    sy_api_problem(r, rs, 415, "unsupported-media-type", rq->path,
                   "EPCIS capture takes application/json or application/ld+json");
    return;
  }
  if (rq->body_len > r->capture_bytes) {
    sy_api_capture_too_large(r, rq->path, "the document is past this node's capture limit", rs);
    return;
  }
  uint8_t kid[SY_KEYID_LEN];
  const sy_key *key = NULL;
  if (!sy_api_authorize(r, rq, rs, 1, kid, &key)) return;
  cJSON *doc = parse_body(r, rq, rs);
  if (!doc) return;
  const uint8_t *payload = rq->body;
  size_t len = rq->body_len;
  char *converted = NULL;
  const char *type = str_of(doc, "type");
  if (type && strcmp(type, "EPCISQueryDocument") == 0) {
    int oom = 0;
    cJSON *d = query_to_capture(doc, &oom);
    if (!d) {
      cJSON_Delete(doc);
      if (oom)
        sy_api_resp_oom(rs);
      else
        sy_api_problem(r, rs, 400, "invalid-epcis", rq->path,
                       "document, epcisBody.queryResults.resultsBody.eventList: an "
                       "EPCISQueryDocument needs an event list to capture");
      return;
    }
    cJSON_Delete(doc);
    doc = d;
    if (!(converted = cJSON_PrintUnformatted(doc))) {
      cJSON_Delete(doc);
      sy_api_resp_oom(rs);
      return;
    }
    payload = (const uint8_t *)converted;
    len = strlen(converted);
    type = "EPCISDocument";
  }
  if (!type || strcmp(type, "EPCISDocument") != 0) {
    sy_api_problem(r, rs, 400, "invalid-epcis", rq->path,
                   "document, type: a capture body is an EPCISDocument (or an EPCISQueryDocument); "
                   "POST a single event to /events");
    goto out;
  }
  const cJSON *list = event_list(doc);
  size_t n = list ? (size_t)cJSON_GetArraySize(list) : 0;
  if (n > r->capture_limit) {
    char what[96];
    snprintf(what, sizeof what, "the document has %zu events", n);
    sy_api_capture_too_large(r, rq->path, what, rs);
    goto out;
  }
  sy_epcis_error errs[MAX_REPORTED];
  size_t nerr = 0;
  int vrc = sy_epcis_validate_document(doc, errs, MAX_REPORTED, &nerr);
  if (vrc == SY_ENOMEM) {
    sy_api_resp_oom(rs);
    goto out;
  }
  if (vrc == SY_OK && n == 0) {
    sy_epcis_error e = {.event_index = -1};
    snprintf(e.field, sizeof e.field, "epcisBody.eventList");
    snprintf(e.detail, sizeof e.detail, "the document has no events to capture");
    validation_problem(r, rs, rq->path, &e, 1);
    goto out;
  }
  if (vrc != SY_OK) {
    int doc_level = 0;
    for (size_t i = 0; i < nerr; i++) doc_level |= errs[i].event_index < 0;
    /* proceed goes on past bad events, never past a bad document */
    if (!proceed || doc_level || !list || n == 0) {
      validation_problem(r, rs, rq->path, errs, nerr);
      goto out;
    }
  }
  if (proceed)
    capture_proceed(r, rq, rs, key, doc);
  else
    capture_rollback(r, rq, rs, key, doc, payload, len);
out:
  cJSON_Delete(doc);
  free(converted);
}

/* ---- GET /capture/{id} ---------------------------------------------------------------- */

void sy_api_capture_job_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs,
                            const char *id) {
  size_t n = strlen(id);
  uint8_t txid[SY_HASH_LEN];
  int is_tx = n == 2 * SY_HASH_LEN && sy_hex_decode(txid, SY_HASH_LEN, id, n) == SY_OK;
  int is_job = n == 33 && id[0] == 'p';
  for (size_t i = 1; is_job && i < n; i++)
    is_job = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
  if (!is_tx && !is_job) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no such capture job");
    return;
  }
  char lid[2 * SY_HASH_LEN + 1];
  if (is_tx)
    sy_hex_encode(lid, txid, SY_HASH_LEN);
  else
    snprintf(lid, sizeof lid, "%s", id);
  job *c = jobs_get(r->jobs, lid);
  if (is_tx) {
    /* Rollback jobs come from the ledger: they survive restarts. */
    sy_tx_info info;
    memset(&info, 0, sizeof info);
    int rc = sy_ledger_get_tx(r->ledger, txid, &info);
    if (rc == SY_OK) {
      int capture = info.tx.raw && info.tx.type == SY_TX_EPCIS_CAPTURE;
      uint64_t created = info.tx.timestamp_ms;
      sy_tx_info_free(&info);
      if (!capture) {
        job_free(c);
        sy_api_problem(r, rs, 404, "not-found", rq->path, "transaction %s is not an EPCIS capture",
                       lid);
        return;
      }
      if (!c) {
        c = calloc(1, sizeof *c);
        if (c) c->txs = calloc(1, sizeof *c->txs);
        if (!c || !c->txs) {
          job_free(c);
          sy_api_resp_oom(rs);
          return;
        }
        snprintf(c->id, sizeof c->id, "%s", lid);
        c->ntx = 1;
        memcpy(c->txs[0].id, txid, SY_HASH_LEN);
        c->txs[0].event_index = -1;
        c->submitted_mono = mono_ms();
      }
      c->created_ms = created;
    } else if (rc != SY_ENOTFOUND) {
      job_free(c);
      sy_api_problem_err(r, rs, rc, rq->path, "capture job");
      return;
    }
  }
  if (!c) {
    sy_api_problem(r, rs, 404, "not-found", rq->path,
                   is_job ? "no such capture job (proceed jobs are kept in memory: the last %d, "
                            "until the node restarts)"
                          : "no such capture job",
                   JOBS_MAX);
    return;
  }
  sy_jb b = {0};
  int err;
  cJSON *o = job_json(r, c, &b, &err);
  job_free(c);
  if (!o && err != SY_OK) {
    sy_api_problem_err(r, rs, err, rq->path, "capture job");
    return;
  }
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
}

/* ---- event output -------------------------------------------------------------------- */

/* 1 when a key somewhere in v names an extension ("prefix:name" or
 * "{namespace}name"), whose prefix the capturing document's @context
 * declared. */
static int has_ext_keys(const cJSON *v, int depth) {
  if (depth > 64) return 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, v) {
    if (it->string && it->string[0] != '@' && (strchr(it->string, ':') || it->string[0] == '{'))
      return 1;
    if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && has_ext_keys(it, depth + 1)) return 1;
  }
  return 0;
}

/* Drops the later occurrences of a member name repeated in one object,
 * everywhere in v (down to depth 64). JSON parsers differ on which one they
 * keep (RFC 8259 section 4: names SHOULD be unique); cJSON, which
 * validated, hashed, indexed and filed the event, kept the first. Without
 * this a client would read another eventID than the one the event is filed
 * under (the GS1 example AssociationEvent-h repeats eventID with two
 * values; jq, Python and JavaScript keep the last). SY_ENOMEM or SY_OK. */
typedef struct keyref {
  const char *k;
  size_t pos;
  cJSON *item;
  int drop;
} keyref;

static int keyref_cmp(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static int drop_repeated_keys(cJSON *v, int depth) {
  if (depth > 64 || !(cJSON_IsObject(v) || cJSON_IsArray(v))) return SY_OK;
  size_t n = 0;
  for (cJSON *it = v->child; it; it = it->next, n++) {
    int rc = drop_repeated_keys(it, depth + 1);
    if (rc != SY_OK) return rc;
  }
  if (!cJSON_IsObject(v) || n < 2) return SY_OK;
  if (n <= 16) { /* the usual case: no allocation */
    for (cJSON *it = v->child, *next; it; it = next) {
      next = it->next;
      for (cJSON *p = v->child; p != it; p = p->next) {
        if (p->string && it->string && strcmp(p->string, it->string) == 0) {
          cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
          break;
        }
      }
    }
    return SY_OK;
  }
  keyref *r = malloc(n * sizeof *r);
  if (!r) return SY_ENOMEM;
  size_t i = 0;
  for (cJSON *it = v->child; it; it = it->next, i++)
    r[i] = (keyref){.k = it->string ? it->string : "", .pos = i, .item = it, .drop = 0};
  qsort(r, n, sizeof *r, keyref_cmp);
  for (i = 1; i < n; i++) r[i].drop = strcmp(r[i].k, r[i - 1].k) == 0;
  for (i = 1; i < n; i++)
    if (r[i].drop) cJSON_Delete(cJSON_DetachItemViaPointer(v, r[i].item));
  free(r);
  return SY_OK;
}

/* The "@context" of the documents events came from, by transaction (a
 * page of events touches few transactions). */
typedef struct ctx_cache {
  struct {
    uint8_t tx[SY_HASH_LEN];
    cJSON *ctx; /* NULL: the document had none worth repeating */
  } e[64];
  size_t n;
} ctx_cache;

static void ctx_cache_free(ctx_cache *c) {
  for (size_t i = 0; i < c->n; i++) cJSON_Delete(c->e[i].ctx);
  c->n = 0;
}

static const cJSON *tx_context(sy_api_router *r, ctx_cache *c, const uint8_t tx[SY_HASH_LEN]) {
  for (size_t i = 0; i < c->n; i++)
    if (memcmp(c->e[i].tx, tx, SY_HASH_LEN) == 0) return c->e[i].ctx;
  cJSON *ctx = NULL;
  sy_tx_info info;
  memset(&info, 0, sizeof info);
  if (sy_ledger_get_tx(r->ledger, tx, &info) == SY_OK) {
    if (info.tx.payload && info.tx.payload_len) {
      cJSON *doc = cJSON_ParseWithLength((const char *)info.tx.payload, info.tx.payload_len);
      cJSON *v =
          cJSON_IsObject(doc) ? cJSON_DetachItemFromObjectCaseSensitive(doc, "@context") : NULL;
      /* The standard context alone adds nothing to the query document's. */
      if (v && !(cJSON_IsString(v) && strcmp(v->valuestring, EPCIS_CONTEXT) == 0))
        ctx = v;
      else
        cJSON_Delete(v);
      cJSON_Delete(doc);
    }
    sy_tx_info_free(&info);
  }
  if (c->n < sizeof c->e / sizeof c->e[0]) {
    memcpy(c->e[c->n].tx, tx, SY_HASH_LEN);
    c->e[c->n].ctx = ctx;
    c->n++;
    return ctx;
  }
  /* cache full: keep it alive until the cache goes, in the last slot */
  cJSON_Delete(c->e[c->n - 1].ctx);
  memcpy(c->e[c->n - 1].tx, tx, SY_HASH_LEN);
  c->e[c->n - 1].ctx = ctx;
  return ctx;
}

/* The stored event as JSON plus "recordTime" (and the capturing
 * document's "@context" when the event uses extension prefixes). NULL
 * when memory runs out (*oom) or the stored JSON is unusable. */
static cJSON *event_out(sy_api_router *r, const sy_event *e, ctx_cache *cc, int *oom) {
  cJSON *ev = e->json ? cJSON_Parse(e->json) : NULL;
  if (!cJSON_IsObject(ev)) {
    cJSON_Delete(ev);
    sy_api_log(r, "api", "event at seq %" PRIu64 " has unusable stored JSON", e->seq);
    return NULL;
  }
  if (drop_repeated_keys(ev, 0) != SY_OK) goto nomem;
  char t[32];
  sy_api_format_time((int64_t)e->record_time_ms, t);
  cJSON *rt = cJSON_CreateString(t);
  if (!rt) goto nomem;
  if (cJSON_GetObjectItemCaseSensitive(ev, "recordTime")) {
    if (!cJSON_ReplaceItemInObjectCaseSensitive(ev, "recordTime", rt)) {
      cJSON_Delete(rt);
      goto nomem;
    }
  } else if (!cJSON_AddItemToObject(ev, "recordTime", rt)) {
    cJSON_Delete(rt);
    goto nomem;
  }
  if (cc && !cJSON_GetObjectItemCaseSensitive(ev, "@context") && has_ext_keys(ev, 0)) {
    const cJSON *ctx = tx_context(r, cc, e->tx_id);
    if (ctx) {
      cJSON *dup = cJSON_Duplicate(ctx, 1);
      if (!dup) goto nomem;
      /* first member, as JSON-LD writers put it; ctx was detached from
       * "@context", and cJSON_Duplicate copies that key with it */
      if (!dup->string) dup->string = strdup("@context");
      if (!dup->string || !cJSON_InsertItemInArray(ev, 0, dup)) {
        cJSON_Delete(dup);
        goto nomem;
      }
    }
  }
  return ev;
nomem:
  cJSON_Delete(ev);
  *oom = 1;
  return NULL;
}

int sy_api_events_json(sy_api_router *r, const sy_event_page *pg, cJSON *arr, int provenance) {
  ctx_cache cc = {.n = 0};
  int oom = 0;
  for (size_t i = 0; i < pg->n && !oom; i++) {
    const sy_event *e = &pg->events[i];
    cJSON *ev = event_out(r, e, &cc, &oom);
    if (ev && provenance) {
      /* Who recorded it, where on the chain (SPEC D2): our own members,
       * namespaced so they never pass for EPCIS fields. */
      sy_jb b = {0};
      char hex[2 * SY_HASH_LEN + 1], org[3 * 64 + 1];
      sy_api_utf8_clean(org, sizeof org, e->org ? e->org : "", 64);
      if (e->org) jb_put_k(&b, ev, "suyuan:org", cJSON_CreateString(org));
      sy_hex_encode(hex, e->signer, SY_KEYID_LEN);
      jb_put_k(&b, ev, "suyuan:signer", cJSON_CreateString(hex));
      sy_hex_encode(hex, e->tx_id, SY_HASH_LEN);
      jb_put_k(&b, ev, "suyuan:txId", cJSON_CreateString(hex));
      char h[24];
      snprintf(h, sizeof h, "%" PRIu64, e->height);
      jb_put_k(&b, ev, "suyuan:blockHeight", cJSON_CreateRaw(h));
      oom |= b.oom;
    }
    if (ev && !cJSON_AddItemToArray(arr, ev)) {
      cJSON_Delete(ev);
      oom = 1;
    }
  }
  ctx_cache_free(&cc);
  return oom ? SY_ENOMEM : SY_OK;
}

/* {"@context", "type": "EPCISQueryDocument", ...}; *list receives the
 * event list to fill. */
static cJSON *query_document(sy_jb *b, cJSON **list) {
  cJSON *d = cJSON_CreateObject();
  if (!d) {
    b->oom = 1;
    return NULL;
  }
  cJSON *c = jb_arr(b, d, "@context");
  jb_str(b, c, NULL, EPCIS_CONTEXT);
  jb_str(b, d, "type", "EPCISQueryDocument");
  jb_str(b, d, "schemaVersion", "2.0");
  put_time(b, d, "creationDate", (int64_t)now_ms());
  cJSON *body = jb_obj(b, d, "epcisBody");
  cJSON *qr = jb_obj(b, body, "queryResults");
  jb_str(b, qr, "queryName", "SimpleEventQuery");
  cJSON *rb = jb_obj(b, qr, "resultsBody");
  *list = jb_arr(b, rb, "eventList");
  return d;
}

/* ---- GET /events/{eventID} --------------------------------------------------------------- */

void sy_api_event_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > EVENT_ID_MAX || !sy_api_utf8_valid((const uint8_t *)id, n)) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no such event");
    return;
  }
  sy_event e;
  memset(&e, 0, sizeof e);
  int rc = sy_ledger_get_event(r->ledger, id, &e);
  if (rc != SY_OK) {
    if (rc == SY_ENOTFOUND)
      sy_api_problem(r, rs, 404, "not-found", rq->path,
                     "no event with this eventID or hash id (percent-encode it in the path)");
    else
      sy_api_problem_err(r, rs, rc, rq->path, "event");
    return;
  }
  sy_jb b = {0};
  cJSON *list = NULL;
  cJSON *d = query_document(&b, &list);
  ctx_cache cc = {.n = 0};
  int oom = 0;
  cJSON *ev = event_out(r, &e, &cc, &oom);
  b.oom |= oom;
  if (ev) jb_put(&b, list, NULL, ev);
  ctx_cache_free(&cc);
  sy_event_free(&e);
  sy_api_resp_json(rs, 200, d, b.oom, NULL);
}

/* ---- GET /events: query parameters -------------------------------------------------------- */

enum qp {
  QP_EVENT_TYPE,
  QP_GE_EVENT_TIME,
  QP_LT_EVENT_TIME,
  QP_GE_RECORD_TIME,
  QP_LT_RECORD_TIME,
  QP_EQ_ACTION,
  QP_EQ_BIZ_STEP,
  QP_EQ_DISPOSITION,
  QP_EQ_READ_POINT,
  QP_EQ_BIZ_LOCATION,
  QP_MATCH_EPC,
  QP_MATCH_PARENT_ID,
  QP_MATCH_INPUT_EPC,
  QP_MATCH_OUTPUT_EPC,
  QP_MATCH_ANY_EPC,
  QP_MATCH_EPC_CLASS,
  QP_MATCH_INPUT_EPC_CLASS,
  QP_MATCH_OUTPUT_EPC_CLASS,
  QP_MATCH_ANY_EPC_CLASS,
  QP_EQ_EVENT_ID,
  QP_ORDER_BY,
  QP_ORDER_DIRECTION,
  QP_PER_PAGE,
  QP_NEXT_PAGE_TOKEN,
  QP_COUNT
};

static const char *const qp_names[QP_COUNT] = {
    "eventType",      "GE_eventTime",   "LT_eventTime",   "GE_recordTime",   "LT_recordTime",
    "EQ_action",      "EQ_bizStep",     "EQ_disposition", "EQ_readPoint",    "EQ_bizLocation",
    "MATCH_epc",      "MATCH_parentID", "MATCH_inputEPC", "MATCH_outputEPC", "MATCH_anyEPC",
    "MATCH_epcClass", "MATCH_inputEPCClass", "MATCH_outputEPCClass", "MATCH_anyEPCClass",
    "EQ_eventID",     "orderBy",        "orderDirection",  "perPage",        "nextPageToken"};

/* EPCIS query parameters this node knows but does not implement: refused
 * by name rather than silently ignored. */
static int epcis_param(const char *k, size_t n) {
  static const char *const pre[] = {"EQ_",       "GT_",       "GE_",       "LT_",
                                    "LE_",       "MATCH_",    "WD_",       "EXISTS_",
                                    "HASATTR_",  "EQATTR_",   "EQ_INNER_", "GT_INNER_",
                                    "GE_INNER_", "LT_INNER_", "LE_INNER_", "EXISTS_INNER_"};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
    if (n > strlen(pre[i]) && strncmp(k, pre[i], strlen(pre[i])) == 0) return 1;
  return (n == 15 && strncmp(k, "eventCountLimit", n) == 0) ||
         (n == 13 && strncmp(k, "maxEventCount", n) == 0);
}

typedef struct qp_ctx {
  const char *vals[QP_COUNT];
  size_t lens[QP_COUNT];
  char err[300];
} qp_ctx;

static int qp_each(void *arg, const char *key, size_t klen, const char *val, size_t vlen) {
  qp_ctx *c = arg;
  char kc[3 * 64 + 1];
  sy_api_utf8_clean(kc, sizeof kc, key, klen < 64 ? klen : 64);
  for (int i = 0; i < QP_COUNT; i++) {
    if (strlen(qp_names[i]) != klen || memcmp(qp_names[i], key, klen) != 0) continue;
    if (c->vals[i]) {
      snprintf(c->err, sizeof c->err, "%s is given more than once (join values with '|')", kc);
      return 1;
    }
    if (!val || vlen == 0) {
      snprintf(c->err, sizeof c->err, "%s needs a value", kc);
      return 1;
    }
    if (vlen > PARAM_MAX || strnlen(val, vlen) != vlen ||
        !sy_api_utf8_valid((const uint8_t *)val, vlen)) {
      snprintf(c->err, sizeof c->err, "%s must be UTF-8 text of at most %d bytes", kc, PARAM_MAX);
      return 1;
    }
    for (size_t k = 0; k < vlen; k++) {
      if ((unsigned char)val[k] < 0x20 || val[k] == 0x7f) {
        snprintf(c->err, sizeof c->err, "%s holds a control character", kc);
        return 1;
      }
    }
    c->vals[i] = val;
    c->lens[i] = vlen;
    return 0;
  }
  if (epcis_param(key, klen))
    snprintf(c->err, sizeof c->err,
             "query parameter %s is not supported by this node (QueryParameterException)", kc);
  else
    snprintf(c->err, sizeof c->err, "unknown query parameter %s (QueryParameterException)", kc);
  return 1;
}

static char *store_dup(sy_api_query_store *s, const char *v, size_t n) {
  if (s->n >= sizeof s->vals / sizeof s->vals[0]) return NULL;
  char *p = strndup(v, n);
  if (p) s->vals[s->n++] = p;
  return p;
}

void sy_api_query_store_free(sy_api_query_store *s) {
  for (size_t i = 0; i < s->n; i++) free(s->vals[i]);
  s->n = 0;
}

/* Checks a pipe-separated list: no empty element; each passes ok (may be
 * NULL). */
static int list_ok(const char *v, int (*ok)(const char *el, size_t n)) {
  for (const char *p = v;;) {
    const char *e = strchr(p, '|');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 0 || (ok && !ok(p, n))) return 0;
    if (!e) return 1;
    p = e + 1;
  }
}

static int action_ok(const char *s, size_t n) {
  return (n == 3 && !strncmp(s, "ADD", 3)) || (n == 7 && !strncmp(s, "OBSERVE", 7)) ||
         (n == 6 && !strncmp(s, "DELETE", 6));
}

static int time_param(const char *name, char *v, int64_t *ms, char *err, size_t errlen) {
  /* A '+' of an offset that came unencoded reads as a space
   * (form encoding): take it back. */
  size_t n = strlen(v);
  if (n >= 25 && v[n - 6] == ' ') v[n - 6] = '+';
  if (sy_api_parse_time(v, ms) != 0) {
    snprintf(err, errlen,
             "%s must be an RFC 3339 date-time with an offset, e.g. 2026-11-20T08:00:00Z "
             "(percent-encode '+' as %%2B)",
             name);
    return -1;
  }
  return 0;
}

/* "key.seq" as sy_ledger_query_events makes it: digits only. */
int sy_api_page_token_ok(const char *t) {
  const char *p = t;
  if (*p == '-') p++;
  size_t a = 0, b = 0;
  while (*p >= '0' && *p <= '9') p++, a++;
  if (*p++ != '.') return 0;
  while (*p >= '0' && *p <= '9') p++, b++;
  return !*p && a >= 1 && a <= 19 && b >= 1 && b <= 20;
}

int sy_api_event_query_parse(const sy_api_req *rq, sy_event_query *q, sy_api_query_store *store,
                             char *err, size_t errlen) {
  sy_event_query_init(q);
  q->limit = DEFAULT_PER_PAGE;
  qp_ctx c;
  memset(&c, 0, sizeof c);
  if (rq->query_each && rq->query_each(rq->query_ctx, qp_each, &c)) {
    snprintf(err, errlen, "%s", c.err);
    return -1;
  }
  char *v[QP_COUNT] = {0};
  for (int i = 0; i < QP_COUNT; i++) {
    if (!c.vals[i]) continue;
    if (!(v[i] = store_dup(store, c.vals[i], c.lens[i]))) {
      snprintf(err, errlen, "out of memory");
      return -1;
    }
  }
  if (v[QP_EVENT_TYPE]) {
    if (!list_ok(v[QP_EVENT_TYPE], NULL)) goto bad_list;
    q->event_types = v[QP_EVENT_TYPE];
  }
  struct {
    int i;
    int64_t *dst;
  } times[] = {{QP_GE_EVENT_TIME, &q->ge_event_time_ms},
               {QP_LT_EVENT_TIME, &q->lt_event_time_ms},
               {QP_GE_RECORD_TIME, &q->ge_record_time_ms},
               {QP_LT_RECORD_TIME, &q->lt_record_time_ms}};
  for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
    if (v[times[k].i] && time_param(qp_names[times[k].i], v[times[k].i], times[k].dst, err, errlen))
      return -1;
  if (v[QP_EQ_ACTION]) {
    if (!list_ok(v[QP_EQ_ACTION], action_ok)) {
      snprintf(err, errlen, "EQ_action takes ADD, OBSERVE or DELETE (several joined with '|')");
      return -1;
    }
    q->eq_action = v[QP_EQ_ACTION];
  }
  struct {
    int i;
    const char **dst;
  } lists[] = {{QP_EQ_BIZ_STEP, &q->eq_biz_step},
               {QP_EQ_DISPOSITION, &q->eq_disposition},
               {QP_EQ_READ_POINT, &q->eq_read_point},
               {QP_EQ_BIZ_LOCATION, &q->eq_biz_location},
               {QP_MATCH_EPC, &q->match_epc},
               {QP_MATCH_PARENT_ID, &q->match_parent_id},
               {QP_MATCH_INPUT_EPC, &q->match_input_epc},
               {QP_MATCH_OUTPUT_EPC, &q->match_output_epc},
               {QP_MATCH_ANY_EPC, &q->match_any_epc},
               {QP_MATCH_EPC_CLASS, &q->match_epc_class},
               {QP_MATCH_INPUT_EPC_CLASS, &q->match_input_epc_class},
               {QP_MATCH_OUTPUT_EPC_CLASS, &q->match_output_epc_class},
               {QP_MATCH_ANY_EPC_CLASS, &q->match_any_epc_class},
               {QP_EQ_EVENT_ID, &q->eq_event_id}};
  for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
    int i = lists[k].i;
    if (!v[i]) continue;
    if (!list_ok(v[i], NULL)) {
      snprintf(err, errlen, "%s has an empty value (values are joined with '|')", qp_names[i]);
      return -1;
    }
    *lists[k].dst = v[i];
  }
  if (v[QP_ORDER_BY]) {
    if (!strcmp(v[QP_ORDER_BY], "eventTime"))
      q->order_by_record_time = 0;
    else if (!strcmp(v[QP_ORDER_BY], "recordTime"))
      q->order_by_record_time = 1;
    else {
      snprintf(err, errlen, "orderBy takes eventTime or recordTime");
      return -1;
    }
    q->descending = 1; /* EPCIS: orderDirection defaults to DESC once orderBy is given */
  }
  if (v[QP_ORDER_DIRECTION]) {
    if (!strcmp(v[QP_ORDER_DIRECTION], "ASC"))
      q->descending = 0;
    else if (!strcmp(v[QP_ORDER_DIRECTION], "DESC"))
      q->descending = 1;
    else {
      snprintf(err, errlen, "orderDirection takes ASC or DESC");
      return -1;
    }
  }
  if (v[QP_PER_PAGE]) {
    uint64_t pp;
    if (sy_api_parse_u64(v[QP_PER_PAGE], strlen(v[QP_PER_PAGE]), &pp) != 0 || pp == 0) {
      snprintf(err, errlen, "perPage must be a whole number from 1 to %d", MAX_PER_PAGE);
      return -1;
    }
    q->limit = pp > MAX_PER_PAGE ? MAX_PER_PAGE : (size_t)pp; /* the node's ceiling */
  }
  if (v[QP_NEXT_PAGE_TOKEN]) {
    if (!sy_api_page_token_ok(v[QP_NEXT_PAGE_TOKEN]) ||
        sy_event_query_set_token(q, v[QP_NEXT_PAGE_TOKEN])) {
      snprintf(err, errlen, "nextPageToken is not a token this node gave out");
      return -1;
    }
  }
  return 0;
bad_list:
  snprintf(err, errlen, "eventType has an empty value (values are joined with '|')");
  return -1;
}

/* ---- GET /events ------------------------------------------------------------------------- */

typedef struct link_ctx {
  sy_buf b;
  int first;
} link_ctx;

static int link_each(void *arg, const char *key, size_t klen, const char *val, size_t vlen) {
  link_ctx *l = arg;
  if (klen == 13 && memcmp(key, "nextPageToken", 13) == 0) return 0;
  char *k = sy_api_url_encode(key, klen), *v = val ? sy_api_url_encode(val, vlen) : NULL;
  if (!k || (val && !v)) {
    free(k);
    free(v);
    l->b.err = SY_ENOMEM;
    return 1;
  }
  sy_buf_put(&l->b, l->first ? "?" : "&", 1);
  sy_buf_put(&l->b, k, strlen(k));
  if (v) {
    sy_buf_put(&l->b, "=", 1);
    sy_buf_put(&l->b, v, strlen(v));
  }
  l->first = 0;
  free(k);
  free(v);
  return 0;
}

/* Link: <path?same parameters&nextPageToken=T>; rel="next" */
void sy_api_next_link(const sy_api_req *rq, sy_api_resp *rs, const char *token) {
  link_ctx l = {.b = {0}, .first = 1};
  sy_buf_put(&l.b, "<", 1);
  sy_buf_put(&l.b, rq->path, strlen(rq->path));
  if (rq->query_each) rq->query_each(rq->query_ctx, link_each, &l);
  char *t = sy_api_url_encode(token, strlen(token));
  if (t) {
    sy_buf_put(&l.b, l.first ? "?nextPageToken=" : "&nextPageToken=", 15);
    sy_buf_put(&l.b, t, strlen(t));
    sy_buf_put(&l.b, ">; rel=\"next\"", 13);
    sy_buf_u8(&l.b, 0);
    if (!l.b.err) sy_api_resp_header(rs, "Link", "%s", (const char *)l.b.p);
  }
  free(t);
  sy_buf_free(&l.b);
}

void sy_api_events_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  sy_event_query q;
  sy_api_query_store st = {.n = 0};
  char err[400];
  if (sy_api_event_query_parse(rq, &q, &st, err, sizeof err) != 0) {
    sy_api_query_store_free(&st);
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "%s", err);
    return;
  }
  sy_event_page pg;
  memset(&pg, 0, sizeof pg);
  char lerr[200] = "";
  int rc = sy_ledger_query_events(r->ledger, &q, &pg, lerr, sizeof lerr);
  sy_api_query_store_free(&st);
  if (rc == SY_EINVAL) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "%s",
                   lerr[0] ? lerr : "the query is not valid");
    return;
  }
  if (rc != SY_OK) {
    sy_api_problem_err(r, rs, rc, rq->path, "event query");
    return;
  }
  sy_jb b = {0};
  cJSON *list = NULL;
  cJSON *d = query_document(&b, &list);
  if (list && sy_api_events_json(r, &pg, list, 0) != SY_OK) b.oom = 1;
  if (pg.more && !b.oom) sy_api_next_link(rq, rs, pg.next_token);
  sy_event_page_free(&pg);
  sy_api_resp_json(rs, 200, d, b.oom, NULL);
}

/* ---- POST /events ------------------------------------------------------------------------ */

void sy_api_events_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  if (!json_media(rq->content_type)) {
    sy_api_problem(r, rs, 415, "unsupported-media-type", rq->path,
                   "POST /events takes application/json or application/ld+json");
    return;
  }
  if (rq->body_len > r->capture_bytes) {
    sy_api_capture_too_large(r, rq->path, "the event is past this node's capture limit", rs);
    return;
  }
  uint8_t kid[SY_KEYID_LEN];
  const sy_key *key = NULL;
  if (!sy_api_authorize(r, rq, rs, 1, kid, &key)) return;
  cJSON *ev = parse_body(r, rq, rs);
  if (!ev) return;
  const char *type = str_of(ev, "type");
  if (type && (!strcmp(type, "EPCISDocument") || !strcmp(type, "EPCISQueryDocument"))) {
    sy_api_problem(r, rs, 400, "invalid-epcis", rq->path,
                   "event 0, type: POST /events takes one event; POST documents to /capture");
    goto out;
  }
  sy_epcis_error errs[MAX_REPORTED];
  size_t nerr = 0;
  int vrc = sy_epcis_validate_event(ev, 0, errs, MAX_REPORTED, &nerr);
  if (vrc == SY_ENOMEM) {
    sy_api_resp_oom(rs);
    goto out;
  }
  if (vrc != SY_OK) {
    validation_problem(r, rs, rq->path, errs, nerr);
    goto out;
  }
  if (!recorded_type(r, ev, 0, "", &errs[0])) {
    validation_problem(r, rs, rq->path, errs, 1);
    goto out;
  }
  char id[EVENT_ID_MAX + 1], alt[SY_EPCIS_HASH_ID_MAX];
  int krc = event_keys(ev, NULL, id, sizeof id, alt);
  if (krc != SY_OK) {
    sy_epcis_error e = {.event_index = 0};
    snprintf(e.field, sizeof e.field, "eventID");
    snprintf(e.detail, sizeof e.detail, "%s", keys_failure(krc));
    validation_problem(r, rs, rq->path, &e, 1);
    goto out;
  }
  int dup = on_chain(r, id, alt);
  if (dup < 0) {
    sy_api_problem_err(r, rs, dup, rq->path, "event lookup");
    goto out;
  }
  if (dup) {
    duplicate_problem(r, rs, rq->path, -1, id);
    goto out;
  }
  sy_submit_result res;
  int rc = sign_submit(r, key, rq->body, rq->body_len, SY_API_WAIT_DEFAULT_MS, &res);
  if (rc != SY_OK && rc != SY_ETIMEDOUT) {
    submit_problem(r, rs, rq->path, rc);
    goto out;
  }
  char hex[2 * SY_HASH_LEN + 1];
  sy_hex_encode(hex, res.id, SY_HASH_LEN);
  if (rc == SY_ETIMEDOUT) { /* not durable yet: the job says when it is */
    job *j = calloc(1, sizeof *j);
    if (j) j->txs = calloc(1, sizeof *j->txs);
    if (!j || !j->txs) {
      job_free(j);
      sy_api_resp_oom(rs);
      goto out;
    }
    snprintf(j->id, sizeof j->id, "%s", hex);
    j->created_ms = now_ms();
    j->submitted_mono = mono_ms();
    j->n_events = 1;
    j->ntx = 1;
    memcpy(j->txs[0].id, res.id, SY_HASH_LEN);
    j->txs[0].event_index = -1;
    answer_job(r, rs, rq->path, j);
    goto out;
  }
  if (res.reason != SY_R_VALID) {
    sy_jb b = {0};
    cJSON *ext = cJSON_CreateObject();
    jb_str(&b, ext, "captureID", hex);
    jb_str(&b, ext, "reason", sy_reason_token(res.reason));
    if (b.oom) {
      cJSON_Delete(ext);
      sy_api_resp_oom(rs);
      goto out;
    }
    int st = reason_status(res.reason);
    sy_api_problem_x(r, rs, st,
                     st == 403   ? "forbidden"
                     : st == 409 ? "duplicate-event"
                     : st == 400 ? "invalid-epcis"
                                 : "transaction-invalid",
                     rq->path, ext, "the capture transaction %s was recorded invalid: %s (%s)", hex,
                     sy_reason_token(res.reason), sy_reason_text(res.reason));
    job_location(rs, rq->path, hex);
    goto out;
  }
  sy_event_page pg;
  memset(&pg, 0, sizeof pg);
  rc = sy_ledger_tx_events(r->ledger, res.id, &pg);
  if (rc != SY_OK || pg.n == 0) {
    sy_event_page_free(&pg);
    sy_api_problem_err(r, rs, rc != SY_OK ? rc : SY_ENOTFOUND, rq->path, "captured event");
    goto out;
  }
  int oom = 0;
  cJSON *out = event_out(r, &pg.events[0], NULL, &oom);
  char *enc = sy_api_url_encode(pg.events[0].event_id, strlen(pg.events[0].event_id));
  if (enc)
    sy_api_resp_header(rs, "Location", "%s/events/%s",
                       strncmp(rq->path, "/epcis/", 7) == 0 ? "/epcis" : "", enc);
  free(enc);
  sy_event_page_free(&pg);
  sy_api_resp_json(rs, 201, out, oom || !out, NULL);
out:
  cJSON_Delete(ev);
}
