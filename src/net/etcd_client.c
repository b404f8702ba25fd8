/* etcd v3 JSON-gateway client over libcurl (etcd_client.h).
 *
 * The gateway speaks protobuf JSON: 64-bit integers are decimal strings,
 * bytes are base64, fields holding their default value (0, false, PUT) are
 * omitted. Errors come back as {"error", "message", "code"} with a gRPC
 * status code; watch streams are a sequence of JSON objects
 * {"result": WatchResponse} or {"error": {...}}. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "net/etcd_client.h"

#define POOL_MAX 8
#define URL_MAX 256
/* An endpoint that timed out is tried last for this long (a stopped or
 * overloaded member holds every call for the whole timeout). */
#define QUARANTINE_MS 3000u

/* gRPC status codes the gateway returns. */
enum {
  GRPC_INVALID_ARGUMENT = 3,
  GRPC_DEADLINE_EXCEEDED = 4,
  GRPC_NOT_FOUND = 5,
  GRPC_RESOURCE_EXHAUSTED = 8,
  GRPC_FAILED_PRECONDITION = 9,
  GRPC_ABORTED = 10,
  GRPC_OUT_OF_RANGE = 11,
  GRPC_UNAVAILABLE = 14,
};

struct sy_etcd {
  char urls[SY_ETCD_MAX_ENDPOINTS][URL_MAX];
  int n;
  atomic_int current; /* endpoint preferred for the next call */
  /* monotonic ms until which an endpoint that timed out is tried last */
  _Atomic uint64_t bad_until[SY_ETCD_MAX_ENDPOINTS];
  unsigned timeout_ms;
  size_t max_response;
  pthread_mutex_t mu; /* guards the pool */
  CURL *pool[POOL_MAX];
  int npool;
  struct curl_slist *hdrs; /* shared, read-only after new */
};

static _Thread_local char tls_err[256];

const char *sy_etcd_errmsg(void) {
  return tls_err;
}

static void seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void seterr(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tls_err, sizeof tls_err, fmt, ap);
  va_end(ap);
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;
static void curl_init_once(void) {
  curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int sy_etcd_new(const sy_etcd_client_opts *o, sy_etcd **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!o || !o->endpoints || !*o->endpoints) {
    if (err) snprintf(err, errlen, "no etcd endpoint given");
    return SY_EINVAL;
  }
  pthread_once(&curl_once, curl_init_once);
  if (!curl_ok) return SY_ENOMEM;
  sy_etcd *e = calloc(1, sizeof *e);
  if (!e) return SY_ENOMEM;
  const char *p = o->endpoints;
  while (*p) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    while (len && (p[0] == ' ')) p++, len--;
    while (len && p[len - 1] == ' ') len--;
    while (len && p[len - 1] == '/') len--;
    if (len) {
      if (e->n == SY_ETCD_MAX_ENDPOINTS || len >= URL_MAX ||
          !((len > 7 && strncmp(p, "http://", 7) == 0) ||
            (len > 8 && strncmp(p, "https://", 8) == 0))) {
        if (err)
          snprintf(err, errlen, "bad etcd endpoint '%.*s' (want http://HOST:PORT, at most %d)",
                   (int)(len > 80 ? 80 : len), p, SY_ETCD_MAX_ENDPOINTS);
        free(e);
        return SY_EINVAL;
      }
      memcpy(e->urls[e->n], p, len);
      e->urls[e->n][len] = 0;
      e->n++;
    }
    p = c ? c + 1 : p + strlen(p);
  }
  if (!e->n) {
    if (err) snprintf(err, errlen, "no etcd endpoint given");
    free(e);
    return SY_EINVAL;
  }
  e->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
  e->max_response = o->max_response ? o->max_response : (size_t)64 << 20;
  atomic_init(&e->current, 0);
  for (int i = 0; i < SY_ETCD_MAX_ENDPOINTS; i++) atomic_init(&e->bad_until[i], 0);
  pthread_mutex_init(&e->mu, NULL);
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  /* gRPC metadata through the gateway: refuse to serve from a member that
   * has lost its leader (a partitioned minority) instead of waiting there. */
  struct curl_slist *h2 = h ? curl_slist_append(h, "Grpc-Metadata-hasleader: true") : NULL;
  struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
  if (!h3) {
    curl_slist_free_all(h2 ? h2 : h);
    pthread_mutex_destroy(&e->mu);
    free(e);
    return SY_ENOMEM;
  }
  e->hdrs = h3;
  *out = e;
  return SY_OK;
}

void sy_etcd_free(sy_etcd *e) {
  if (!e) return;
  for (int i = 0; i < e->npool; i++) curl_easy_cleanup(e->pool[i]);
  curl_slist_free_all(e->hdrs);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

const char *sy_etcd_endpoint(sy_etcd *e) {
  return e->urls[atomic_load(&e->current) % e->n];
}

static CURL *handle_get(sy_etcd *e) {
  CURL *h = NULL;
  pthread_mutex_lock(&e->mu);
  if (e->npool) h = e->pool[--e->npool];
  pthread_mutex_unlock(&e->mu);
  if (!h)
    h = curl_easy_init();
  else
    curl_easy_reset(h);
  return h;
}

static void handle_put(sy_etcd *e, CURL *h) {
  pthread_mutex_lock(&e->mu);
  if (e->npool < POOL_MAX) {
    e->pool[e->npool++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&e->mu);
  if (h) curl_easy_cleanup(h);
}

/* ---- small JSON helpers ----------------------------------------------------- */

/* An int64 field: a decimal string (protobuf JSON) or a number; absent = 0.
 * Returns -1 on a malformed value. */
static int get_i64(const cJSON *o, const char *name, int64_t *v) {
  *v = 0;
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!f || cJSON_IsNull(f)) return 0;
  if (cJSON_IsNumber(f)) {
    double d = f->valuedouble;
    if (d != d || d < -9.2e18 || d > 9.2e18) return -1;
    *v = (int64_t)d;
    return 0;
  }
  if (!cJSON_IsString(f) || !f->valuestring) return -1;
  const char *s = f->valuestring;
  size_t n = strlen(s);
  if (n == 0 || n > 20) return -1;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == n) return -1;
  for (size_t k = i; k < n; k++)
    if (s[k] < '0' || s[k] > '9') return -1;
  errno = 0;
  long long x = strtoll(s, NULL, 10);
  if (errno) return -1;
  *v = (int64_t)x;
  return 0;
}

static void add_i64(cJSON *o, const char *name, int64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%" PRId64, v);
  cJSON_AddStringToObject(o, name, b);
}

/* Adds name = base64(p[0..n)). Returns 0, or -1 when out of memory. */
static int add_b64(cJSON *o, const char *name, const void *p, size_t n) {
  char *b = malloc(sy_b64_encoded_len(n));
  if (!b) return -1;
  sy_b64_encode(b, p, n);
  cJSON *s = cJSON_AddStringToObject(o, name, b);
  free(b);
  return s ? 0 : -1;
}

/* Decodes a base64 string field into a fresh NUL-terminated buffer. An
 * absent field is an empty value. -1 when malformed or out of memory. */
static int get_b64(const cJSON *o, const char *name, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
  const char *s = "";
  if (f) {
    if (!cJSON_IsString(f) || !f->valuestring) return -1;
    s = f->valuestring;
  }
  size_t sl = strlen(s);
  size_t cap = sl / 4 * 3 + 1;
  uint8_t *b = malloc(cap);
  if (!b) return -1;
  long n = sy_b64_decode(b, cap, s, sl);
  if (n < 0) {
    free(b);
    return -1;
  }
  b[n] = 0;
  *out = b;
  *len = (size_t)n;
  return 0;
}

static void kv_free(sy_etcd_kv *kv) {
  free(kv->key);
  free(kv->value);
  memset(kv, 0, sizeof *kv);
}

static int kv_decode(const cJSON *o, sy_etcd_kv *kv) {
  memset(kv, 0, sizeof *kv);
  if (!cJSON_IsObject(o)) return -1;
  if (get_b64(o, "key", &kv->key, &kv->key_len) ||
      get_b64(o, "value", &kv->value, &kv->value_len) ||
      get_i64(o, "create_revision", &kv->create_revision) ||
      get_i64(o, "mod_revision", &kv->mod_revision) || get_i64(o, "version", &kv->version) ||
      get_i64(o, "lease", &kv->lease) || kv->mod_revision < 0 || kv->create_revision < 0) {
    kv_free(kv);
    return -1;
  }
  return 0;
}

void sy_etcd_result_free(sy_etcd_result *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) kv_free(&r->kvs[i]);
  free(r->kvs);
  memset(r, 0, sizeof *r);
}

static int kvs_decode(const cJSON *arr, sy_etcd_result *r) {
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return -1;
  int n = cJSON_GetArraySize(arr);
  if (n <= 0) return 0;
  r->kvs = calloc((size_t)n, sizeof *r->kvs);
  if (!r->kvs) return -1;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    if (kv_decode(it, &r->kvs[r->n])) return -1;
    r->n++;
  }
  return 0;
}

static int header_revision(const cJSON *root, int64_t *rev) {
  *rev = 0;
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "header");
  if (!h) return 0;
  if (!cJSON_IsObject(h)) return -1;
  return get_i64(h, "revision", rev);
}

/* ---- unary requests ------------------------------------------------------------ */

typedef struct sink {
  sy_buf b;
  size_t max;
  int too_big;
} sink;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
  sink *s = ud;
  size_t n = sz * nm;
  if (s->b.len + n > s->max) {
    s->too_big = 1;
    return 0;
  }
  sy_buf_put(&s->b, p, n);
  return s->b.err ? 0 : n;
}

/* Maps an error answer to a code; *retry says whether another endpoint may
 * do better. */
static int grpc_err(const cJSON *root, long http, int *retry) {
  int64_t code = 0;
  get_i64(root, "code", &code);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
  if (!cJSON_IsString(m)) m = cJSON_GetObjectItemCaseSensitive(root, "error");
  const char *msg = cJSON_IsString(m) && m->valuestring ? m->valuestring : "error";
  seterr("etcd: %.200s (code %" PRId64 ", HTTP %ld)", msg, code, http);
  *retry = 0;
  switch (code) {
    case GRPC_UNAVAILABLE:
    case GRPC_DEADLINE_EXCEEDED:
    case GRPC_ABORTED:
      *retry = 1;
      return SY_EBUSY;
    case GRPC_NOT_FOUND:
      return SY_ENOTFOUND;
    case GRPC_INVALID_ARGUMENT:
    case GRPC_FAILED_PRECONDITION:
    case GRPC_RESOURCE_EXHAUSTED:
    case GRPC_OUT_OF_RANGE:
      return SY_EINVAL;
    default:
      *retry = http >= 500;
      return http >= 500 ? SY_EBUSY : SY_EIO;
  }
}

/* POSTs body to path on each endpoint in turn until one answers; *out
 * receives the parsed answer (caller deletes it). */
static int request(sy_etcd *e, const char *path, const char *body, cJSON **out) {
  *out = NULL;
  int start = atomic_load(&e->current);
  int rc = SY_EIO;
  /* Endpoints in turn from the preferred one; those that timed out lately
   * last. When a member that answered said it cannot serve (no leader, no
   * quorum), the quarantined ones are skipped: a stopped member would hold
   * the call for the whole timeout to say nothing better (issue #4: writes
   * fail fast with 503 while the quorum is lost). */
  int order[SY_ETCD_MAX_ENDPOINTS], nord = 0, nfresh = 0;
  uint64_t now = mono_ms();
  for (int k = 0; k < e->n; k++) {
    int idx = (start + k) % e->n;
    if (atomic_load(&e->bad_until[idx]) <= now) order[nord++] = idx;
  }
  nfresh = nord;
  for (int k = 0; k < e->n; k++) {
    int idx = (start + k) % e->n;
    if (atomic_load(&e->bad_until[idx]) > now) order[nord++] = idx;
  }
  int refused_by_etcd = 0; /* a member answered "cannot serve now" */
  /* The whole call, failovers included, takes at most timeout_ms: a caller
   * that retries (the orderer's put) decides how long to keep trying. */
  for (int k = 0; k < nord; k++) {
    int idx = order[k];
    if (k >= nfresh && refused_by_etcd) break;
    uint64_t spent = mono_ms() - now;
    if (spent + 50 >= e->timeout_ms) break;
    char url[URL_MAX + 64];
    snprintf(url, sizeof url, "%s%s", e->urls[idx], path);
    CURL *h = handle_get(e);
    if (!h) return SY_ENOMEM;
    char cerr[CURL_ERROR_SIZE] = {0};
    sink s = {.max = e->max_response};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    long left = (long)(e->timeout_ms - spent);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, left < 1000 ? left : 1000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, left);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    CURLcode cc = curl_easy_perform(h);
    long http = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    handle_put(e, h);
    if (s.too_big) {
      sy_buf_free(&s.b);
      seterr("etcd %s: answer larger than %zu bytes", e->urls[idx], e->max_response);
      return SY_ETOOBIG;
    }
    if (cc != CURLE_OK) {
      int oom = s.b.err != 0;
      sy_buf_free(&s.b);
      if (oom) return SY_ENOMEM;
      seterr("etcd %s: %s", e->urls[idx], cerr[0] ? cerr : curl_easy_strerror(cc));
      rc = cc == CURLE_OPERATION_TIMEDOUT ? SY_EBUSY : SY_EIO;
      if (cc == CURLE_OPERATION_TIMEDOUT)
        atomic_store(&e->bad_until[idx], mono_ms() + QUARANTINE_MS);
      continue;
    }
    cJSON *root = s.b.len ? cJSON_ParseWithLength((const char *)s.b.p, s.b.len) : NULL;
    sy_buf_free(&s.b);
    if (!cJSON_IsObject(root)) {
      cJSON_Delete(root);
      seterr("etcd %s: HTTP %ld with an answer that is not a JSON object", e->urls[idx], http);
      rc = http >= 500 ? SY_EBUSY : SY_EMALFORMED;
      if (http >= 500) {
        refused_by_etcd = 1;
        continue;
      }
      return rc;
    }
    if (http != 200 || cJSON_GetObjectItemCaseSensitive(root, "code") ||
        cJSON_GetObjectItemCaseSensitive(root, "error")) {
      int retry = 0;
      rc = grpc_err(root, http, &retry);
      cJSON_Delete(root);
      if (retry) {
        refused_by_etcd = 1;
        continue;
      }
      return rc;
    }
    atomic_store(&e->bad_until[idx], 0);
    atomic_store(&e->current, idx);
    *out = root;
    return SY_OK;
  }
  /* Next call starts with the endpoint after the one that failed first. */
  atomic_store(&e->current, (start + 1) % e->n);
  return rc;
}

static int request_json(sy_etcd *e, const char *path, cJSON *req, cJSON **out) {
  *out = NULL;
  char *body = req ? cJSON_PrintUnformatted(req) : NULL;
  if (!body) return SY_ENOMEM;
  int rc = request(e, path, body, out);
  cJSON_free(body);
  return rc;
}

/* ---- KV ----------------------------------------------------------------------- */

static cJSON *put_req(const void *key, size_t key_len, const void *val, size_t val_len,
                      int64_t lease) {
  cJSON *r = cJSON_CreateObject();
  if (!r || add_b64(r, "key", key, key_len) || add_b64(r, "value", val, val_len)) {
    cJSON_Delete(r);
    return NULL;
  }
  if (lease) add_i64(r, "lease", lease);
  return r;
}

int sy_etcd_put(sy_etcd *e, const void *key, size_t key_len, const void *val, size_t val_len,
                int64_t lease, int64_t *revision) {
  cJSON *req = put_req(key, key_len, val, val_len, lease), *ans = NULL;
  if (!req) return SY_ENOMEM;
  int rc = request_json(e, "/v3/kv/put", req, &ans);
  cJSON_Delete(req);
  if (rc) return rc;
  int64_t rev;
  if (header_revision(ans, &rev) || rev <= 0)
    rc = SY_EMALFORMED;
  else if (revision)
    *revision = rev;
  if (rc) seterr("etcd: put answer without a revision");
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_create(sy_etcd *e, const void *key, size_t key_len, const void *val, size_t val_len,
                   int64_t lease, int64_t *revision, int *created) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  cJSON *cmp = cJSON_AddArrayToObject(req, "compare");
  cJSON *succ = cJSON_AddArrayToObject(req, "success");
  cJSON *fail = cJSON_AddArrayToObject(req, "failure");
  cJSON *c = cJSON_CreateObject(), *sp = cJSON_CreateObject(), *fr = cJSON_CreateObject();
  cJSON *rr = cJSON_CreateObject();
  cJSON *put = put_req(key, key_len, val, val_len, lease);
  int rc = SY_ENOMEM;
  if (!req || !cmp || !succ || !fail || !c || !sp || !fr || !rr || !put) {
    cJSON_Delete(c);
    cJSON_Delete(sp);
    cJSON_Delete(fr);
    cJSON_Delete(rr);
    cJSON_Delete(put);
    goto out;
  }
  add_b64(c, "key", key, key_len);
  cJSON_AddStringToObject(c, "result", "EQUAL");
  cJSON_AddStringToObject(c, "target", "CREATE");
  cJSON_AddStringToObject(c, "create_revision", "0");
  cJSON_AddItemToArray(cmp, c);
  cJSON_AddItemToObject(sp, "request_put", put);
  cJSON_AddItemToArray(succ, sp);
  add_b64(rr, "key", key, key_len);
  cJSON_AddItemToObject(fr, "request_range", rr);
  cJSON_AddItemToArray(fail, fr);
  if ((rc = request_json(e, "/v3/kv/txn", req, &ans))) goto out;
  int64_t rev = 0;
  rc = SY_EMALFORMED;
  if (header_revision(ans, &rev) || rev <= 0) goto out;
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(ans, "succeeded");
  int succeeded = cJSON_IsTrue(ok);
  if (succeeded) {
    *created = 1;
    *revision = rev;
  } else {
    /* failure branch: the range of the existing key gives its revision */
    const cJSON *resps = cJSON_GetObjectItemCaseSensitive(ans, "responses");
    const cJSON *r0 = cJSON_IsArray(resps) ? cJSON_GetArrayItem(resps, 0) : NULL;
    const cJSON *rng = r0 ? cJSON_GetObjectItemCaseSensitive(r0, "response_range") : NULL;
    sy_etcd_result tmp = {0};
    if (!cJSON_IsObject(rng) || kvs_decode(cJSON_GetObjectItemCaseSensitive(rng, "kvs"), &tmp) ||
        tmp.n != 1) {
      sy_etcd_result_free(&tmp);
      goto out;
    }
    *created = 0;
    *revision = tmp.kvs[0].mod_revision;
    sy_etcd_result_free(&tmp);
  }
  rc = SY_OK;
out:
  if (rc == SY_EMALFORMED) seterr("etcd: txn answer does not parse");
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_put_many(sy_etcd *e, size_t n, const uint8_t *const *keys, const size_t *key_lens,
                     const uint8_t *const *vals, const size_t *val_lens, int64_t lease,
                     int64_t *revision) {
  if (n == 0) return SY_OK;
  if (n == 1) return sy_etcd_put(e, keys[0], key_lens[0], vals[0], val_lens[0], lease, revision);
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  cJSON *succ = req ? cJSON_AddArrayToObject(req, "success") : NULL;
  int rc = SY_ENOMEM;
  if (!succ) goto out;
  for (size_t i = 0; i < n; i++) {
    cJSON *op = cJSON_CreateObject();
    cJSON *put = put_req(keys[i], key_lens[i], vals[i], val_lens[i], lease);
    if (!op || !put) {
      cJSON_Delete(op);
      cJSON_Delete(put);
      goto out;
    }
    cJSON_AddItemToObject(op, "request_put", put);
    cJSON_AddItemToArray(succ, op);
  }
  if ((rc = request_json(e, "/v3/kv/txn", req, &ans))) goto out;
  int64_t rev;
  if (header_revision(ans, &rev) || rev <= 0) {
    seterr("etcd: txn answer without a revision");
    rc = SY_EMALFORMED;
  } else if (revision) {
    *revision = rev;
  }
out:
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_delete_many(sy_etcd *e, size_t n, const uint8_t *const *keys, const size_t *key_lens,
                        int64_t *deleted) {
  if (deleted) *deleted = 0;
  if (n == 0) return SY_OK;
  if (n > SY_ETCD_TXN_OPS_MAX) return SY_EINVAL;
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  cJSON *succ = req ? cJSON_AddArrayToObject(req, "success") : NULL;
  int rc = SY_ENOMEM;
  if (!succ) goto out;
  for (size_t i = 0; i < n; i++) {
    cJSON *op = cJSON_CreateObject();
    cJSON *del = cJSON_CreateObject();
    if (!op || !del || add_b64(del, "key", keys[i], key_lens[i])) {
      cJSON_Delete(op);
      cJSON_Delete(del);
      goto out;
    }
    cJSON_AddItemToObject(op, "request_delete_range", del);
    cJSON_AddItemToArray(succ, op);
  }
  if ((rc = request_json(e, "/v3/kv/txn", req, &ans))) goto out;
  const cJSON *rs = cJSON_GetObjectItemCaseSensitive(ans, "responses"), *r;
  int64_t total = 0;
  cJSON_ArrayForEach(r, rs) {
    int64_t d = 0;
    const cJSON *dr = cJSON_GetObjectItemCaseSensitive(r, "response_delete_range");
    if (dr && get_i64(dr, "deleted", &d) == 0 && d > 0 && d <= 1) total += d;
  }
  if (deleted) *deleted = total;
out:
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

size_t sy_etcd_prefix_end(const void *prefix, size_t len, uint8_t *out) {
  memcpy(out, prefix, len);
  while (len > 0) {
    if (out[len - 1] != 0xff) {
      out[len - 1]++;
      return len;
    }
    len--;
  }
  return 0;
}

int sy_etcd_range(sy_etcd *e, const void *key, size_t key_len, const void *range_end,
                  size_t range_end_len, const sy_etcd_range_opts *o, sy_etcd_result *out) {
  memset(out, 0, sizeof *out);
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  int rc = SY_ENOMEM;
  if (!req || add_b64(req, "key", key, key_len)) goto out;
  if (range_end && add_b64(req, "range_end", range_end, range_end_len)) goto out;
  if (o) {
    if (o->limit > 0) add_i64(req, "limit", o->limit);
    if (o->keys_only) cJSON_AddTrueToObject(req, "keys_only");
    if (o->max_mod_revision > 0) add_i64(req, "max_mod_revision", o->max_mod_revision);
    if (o->min_mod_revision > 0) add_i64(req, "min_mod_revision", o->min_mod_revision);
    if (o->count_only) cJSON_AddTrueToObject(req, "count_only");
    if (o->revision > 0) add_i64(req, "revision", o->revision);
  }
  if ((rc = request_json(e, "/v3/kv/range", req, &ans))) goto out;
  const cJSON *more = cJSON_GetObjectItemCaseSensitive(ans, "more");
  out->more = cJSON_IsTrue(more);
  if (header_revision(ans, &out->revision) || get_i64(ans, "count", &out->count) ||
      kvs_decode(cJSON_GetObjectItemCaseSensitive(ans, "kvs"), out)) {
    sy_etcd_result_free(out);
    seterr("etcd: range answer does not parse");
    rc = SY_EMALFORMED;
  }
out:
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_delete_range(sy_etcd *e, const void *key, size_t key_len, const void *range_end,
                         size_t range_end_len, int64_t *deleted) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  int rc = SY_ENOMEM;
  if (!req || add_b64(req, "key", key, key_len)) goto out;
  if (range_end && add_b64(req, "range_end", range_end, range_end_len)) goto out;
  if ((rc = request_json(e, "/v3/kv/deleterange", req, &ans))) goto out;
  int64_t d = 0;
  if (get_i64(ans, "deleted", &d)) {
    seterr("etcd: deleterange answer does not parse");
    rc = SY_EMALFORMED;
  } else if (deleted) {
    *deleted = d;
  }
out:
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

/* ---- leases and compaction ----------------------------------------------------- */

int sy_etcd_lease_grant(sy_etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl_out) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  if (!req) return SY_ENOMEM;
  add_i64(req, "TTL", ttl_s);
  int rc = request_json(e, "/v3/lease/grant", req, &ans);
  cJSON_Delete(req);
  if (rc) return rc;
  int64_t lid = 0, ttl = 0;
  if (get_i64(ans, "ID", &lid) || get_i64(ans, "TTL", &ttl) || lid == 0 || ttl <= 0) {
    seterr("etcd: lease grant answer does not parse");
    rc = SY_EMALFORMED;
  } else {
    *id = lid;
    if (ttl_out) *ttl_out = ttl;
  }
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_lease_keepalive(sy_etcd *e, int64_t id, int64_t *ttl_s) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  if (!req) return SY_ENOMEM;
  add_i64(req, "ID", id);
  /* A streaming RPC on the gateway: one request, one {"result": ...}. */
  int rc = request_json(e, "/v3/lease/keepalive", req, &ans);
  cJSON_Delete(req);
  if (rc) return rc;
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(ans, "result");
  int64_t ttl = 0;
  if (!cJSON_IsObject(res) || get_i64(res, "TTL", &ttl)) {
    seterr("etcd: keepalive answer does not parse");
    rc = SY_EMALFORMED;
  } else if (ttl <= 0) {
    seterr("etcd: lease %" PRId64 " expired", id);
    rc = SY_ENOTFOUND;
  } else if (ttl_s) {
    *ttl_s = ttl;
  }
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_lease_revoke(sy_etcd *e, int64_t id) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  if (!req) return SY_ENOMEM;
  add_i64(req, "ID", id);
  int rc = request_json(e, "/v3/lease/revoke", req, &ans);
  cJSON_Delete(req);
  cJSON_Delete(ans);
  return rc;
}

int sy_etcd_compact(sy_etcd *e, int64_t revision) {
  cJSON *req = cJSON_CreateObject(), *ans = NULL;
  if (!req) return SY_ENOMEM;
  add_i64(req, "revision", revision);
  int rc = request_json(e, "/v3/kv/compaction", req, &ans);
  cJSON_Delete(req);
  cJSON_Delete(ans);
  if (rc == SY_EINVAL && strstr(tls_err, "compacted")) rc = SY_OK; /* already done */
  return rc;
}

/* ---- watch -------------------------------------------------------------------------- */

struct sy_etcd_watch {
  sy_etcd *e;
  uint8_t *prefix, *end;
  size_t plen, elen;
  sy_etcd_watch_cbs cbs;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_int stop;
  atomic_int ended;
  _Atomic int64_t last; /* last revision delivered */
  int from_now;         /* started with start_revision 0 */
  /* stream state, owned by the thread */
  sy_buf buf;
  size_t scan, msg_start;
  int depth, in_str, esc;
  int got_message; /* this connection produced a complete message */
  int connected;
  char why[200]; /* why the connection ended */
};

/* Handles one complete message; returns 0 to go on, -1 to drop the
 * connection (why says why), 1 when the watch ended. */
static int watch_message(sy_etcd_watch *w, const char *p, size_t n) {
  cJSON *root = cJSON_ParseWithLength(p, n);
  int rc = -1;
  if (!cJSON_IsObject(root)) {
    snprintf(w->why, sizeof w->why, "watch message is not a JSON object");
    goto out;
  }
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
  if (err) {
    const cJSON *m = cJSON_IsObject(err) ? cJSON_GetObjectItemCaseSensitive(err, "message") : err;
    snprintf(w->why, sizeof w->why, "watch error: %.150s",
             cJSON_IsString(m) && m->valuestring ? m->valuestring : "?");
    goto out;
  }
  const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
  if (!cJSON_IsObject(res)) {
    snprintf(w->why, sizeof w->why, "watch message without a result");
    goto out;
  }
  int64_t compact = 0;
  if (get_i64(res, "compact_revision", &compact)) {
    snprintf(w->why, sizeof w->why, "watch message does not parse");
    goto out;
  }
  if (compact > 0) {
    if (w->cbs.on_compacted) w->cbs.on_compacted(w->cbs.ctx, compact);
    atomic_store(&w->ended, 1);
    rc = 1;
    goto out;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "canceled"))) {
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(res, "cancel_reason");
    snprintf(w->why, sizeof w->why, "watch canceled by etcd: %.150s",
             cJSON_IsString(why) && why->valuestring ? why->valuestring : "no reason given");
    goto out;
  }
  w->got_message = 1;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "created")) && w->from_now &&
      atomic_load(&w->last) == 0) {
    /* "From now" means from this revision on, across reconnections too. */
    int64_t hr = 0;
    if (header_revision(res, &hr) || hr <= 0) {
      snprintf(w->why, sizeof w->why, "watch created without a revision");
      goto out;
    }
    atomic_store(&w->last, hr);
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "created")) && !w->connected) {
    w->connected = 1;
    if (w->cbs.on_state) w->cbs.on_state(w->cbs.ctx, 1, "watching");
  }
  const cJSON *evs = cJSON_GetObjectItemCaseSensitive(res, "events");
  if (!evs || (cJSON_IsArray(evs) && cJSON_GetArraySize(evs) == 0)) {
    /* No events and not the creation: a progress notification. */
    /* Only reported, never used to skip events: etcd before 3.4.25 can send
     * a progress notification ahead of events it has not sent yet
     * (etcd-io/etcd#15220), so it is a hint the caller must check. */
    int64_t hr = 0;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "created")) &&
        !header_revision(res, &hr) && hr > atomic_load(&w->last) && w->cbs.on_progress)
      w->cbs.on_progress(w->cbs.ctx, hr);
    rc = 0;
    goto out;
  }
  if (!cJSON_IsArray(evs)) {
    snprintf(w->why, sizeof w->why, "watch events are not an array");
    goto out;
  }
  int cnt = cJSON_GetArraySize(evs);
  sy_etcd_event *ev = cnt > 0 ? calloc((size_t)cnt, sizeof *ev) : NULL;
  if (cnt > 0 && !ev) {
    snprintf(w->why, sizeof w->why, "out of memory");
    goto out;
  }
  size_t k = 0;
  int bad = 0;
  int64_t last = atomic_load(&w->last), prev = last;
  const cJSON *it;
  cJSON_ArrayForEach(it, evs) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "type");
    int type = SY_ETCD_PUT;
    if (t) {
      if (cJSON_IsString(t) && t->valuestring && strcmp(t->valuestring, "DELETE") == 0)
        type = SY_ETCD_DELETE;
      else if (!(cJSON_IsString(t) && t->valuestring && strcmp(t->valuestring, "PUT") == 0))
        bad = 1;
    }
    sy_etcd_kv kv;
    if (bad || kv_decode(cJSON_GetObjectItemCaseSensitive(it, "kv"), &kv)) {
      bad = 1;
      break;
    }
    /* Revision order is etcd's promise; check it rather than trust it. A
     * revision at or below the last delivered one is a replay after a
     * reconnection: skip it. */
    if (kv.mod_revision < prev) {
      kv_free(&kv);
      bad = 1;
      break;
    }
    prev = kv.mod_revision;
    if (kv.mod_revision <= last) {
      kv_free(&kv);
      continue;
    }
    ev[k].type = type;
    ev[k].kv = kv;
    k++;
  }
  if (bad) {
    snprintf(w->why, sizeof w->why, "watch event does not parse or is out of order");
  } else if (k) {
    int stop = w->cbs.on_events(w->cbs.ctx, ev, k);
    atomic_store(&w->last, ev[k - 1].kv.mod_revision);
    if (stop) {
      atomic_store(&w->ended, 1);
      rc = 1;
    } else {
      rc = 0;
    }
  } else {
    rc = 0;
  }
  for (size_t i = 0; i < k; i++) kv_free(&ev[i].kv);
  free(ev);
out:
  cJSON_Delete(root);
  return rc;
}

/* Splits the stream into top-level JSON objects. */
static size_t on_stream(char *data, size_t sz, size_t nm, void *ud) {
  sy_etcd_watch *w = ud;
  size_t n = sz * nm;
  if (atomic_load(&w->stop)) return 0;
  if (w->buf.len + n > w->e->max_response) {
    snprintf(w->why, sizeof w->why, "watch message larger than %zu bytes", w->e->max_response);
    return 0;
  }
  sy_buf_put(&w->buf, data, n);
  if (w->buf.err) {
    snprintf(w->why, sizeof w->why, "out of memory");
    return 0;
  }
  const char *p = (const char *)w->buf.p;
  size_t i = w->scan;
  for (; i < w->buf.len; i++) {
    char c = p[i];
    if (w->depth == 0) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      if (c != '{') {
        snprintf(w->why, sizeof w->why, "watch stream is not a sequence of JSON objects");
        return 0;
      }
      w->depth = 1;
      w->msg_start = i;
      continue;
    }
    if (w->in_str) {
      if (w->esc)
        w->esc = 0;
      else if (c == '\\')
        w->esc = 1;
      else if (c == '"')
        w->in_str = 0;
      continue;
    }
    if (c == '"') {
      w->in_str = 1;
    } else if (c == '{' || c == '[') {
      if (++w->depth > 64) {
        snprintf(w->why, sizeof w->why, "watch message nests too deep");
        return 0;
      }
    } else if (c == '}' || c == ']') {
      if (--w->depth == 0) {
        int r = watch_message(w, p + w->msg_start, i + 1 - w->msg_start);
        if (r != 0) return 0;
      }
    }
  }
  /* Keep only the unfinished message. */
  size_t keep_from = w->depth ? w->msg_start : w->buf.len;
  memmove(w->buf.p, w->buf.p + keep_from, w->buf.len - keep_from);
  w->buf.len -= keep_from;
  w->scan = w->buf.len;
  w->msg_start = 0;
  return n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  sy_etcd_watch *w = ud;
  return atomic_load(&w->stop) ? 1 : 0;
}

static void watch_sleep(sy_etcd_watch *w, unsigned ms) {
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += ms / 1000;
  dl.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&w->mu);
  while (!atomic_load(&w->stop))
    if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT) break;
  pthread_mutex_unlock(&w->mu);
}

static void *watch_main(void *arg) {
  sy_etcd_watch *w = arg;
  sy_etcd *e = w->e;
  unsigned backoff = 100;
  CURL *h = curl_easy_init();
  while (h && !atomic_load(&w->stop) && !atomic_load(&w->ended)) {
    int idx = atomic_load(&e->current) % e->n;
    char url[URL_MAX + 16];
    snprintf(url, sizeof url, "%s/v3/watch", e->urls[idx]);
    cJSON *req = cJSON_CreateObject();
    cJSON *cr = req ? cJSON_AddObjectToObject(req, "create_request") : NULL;
    char *body = NULL;
    if (cr && !add_b64(cr, "key", w->prefix, w->plen) &&
        !add_b64(cr, "range_end", w->end, w->elen)) {
      int64_t last = atomic_load(&w->last);
      if (!w->from_now || last > 0) add_i64(cr, "start_revision", last + 1);
      cJSON_AddTrueToObject(cr, "progress_notify");
      body = cJSON_PrintUnformatted(req);
    }
    cJSON_Delete(req);
    if (!body) {
      watch_sleep(w, 1000);
      continue;
    }
    sy_buf_reset(&w->buf);
    w->scan = w->msg_start = 0;
    w->depth = w->in_str = w->esc = 0;
    w->got_message = 0;
    w->why[0] = 0;
    char cerr[CURL_ERROR_SIZE] = {0};
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
    CURLcode cc = curl_easy_perform(h);
    cJSON_free(body);
    if (atomic_load(&w->stop) || atomic_load(&w->ended)) break;
    long http = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    if (!w->why[0]) {
      if (cc != CURLE_OK)
        snprintf(w->why, sizeof w->why, "%.190s", cerr[0] ? cerr : curl_easy_strerror(cc));
      else
        snprintf(w->why, sizeof w->why, "watch stream closed (HTTP %ld)", http);
    }
    char msg[300];
    snprintf(msg, sizeof msg, "%.90s: %.199s", e->urls[idx], w->why);
    if (w->cbs.on_state) w->cbs.on_state(w->cbs.ctx, 0, msg);
    w->connected = 0;
    /* Try the next endpoint (unless another call already moved on). */
    atomic_compare_exchange_strong(&e->current, &idx, (idx + 1) % e->n);
    if (w->got_message) backoff = 100;
    watch_sleep(w, backoff);
    backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
  }
  if (h) curl_easy_cleanup(h);
  sy_buf_free(&w->buf);
  atomic_store(&w->ended, 1);
  return NULL;
}

int sy_etcd_watch_start(sy_etcd *e, const void *prefix, size_t len, int64_t start_revision,
                        const sy_etcd_watch_cbs *cbs, sy_etcd_watch **out) {
  if (!cbs || !cbs->on_events || len == 0) return SY_EINVAL;
  sy_etcd_watch *w = calloc(1, sizeof *w);
  if (!w) return SY_ENOMEM;
  w->prefix = malloc(len);
  w->end = malloc(len);
  if (!w->prefix || !w->end) {
    free(w->prefix);
    free(w->end);
    free(w);
    return SY_ENOMEM;
  }
  memcpy(w->prefix, prefix, len);
  w->plen = len;
  w->elen = sy_etcd_prefix_end(prefix, len, w->end);
  if (w->elen == 0) {
    w->end[0] = 0;
    w->elen = 1;
  }
  w->e = e;
  w->cbs = *cbs;
  atomic_init(&w->stop, 0);
  atomic_init(&w->ended, 0);
  atomic_init(&w->last, start_revision > 0 ? start_revision - 1 : 0);
  w->from_now = start_revision <= 0;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&w->th, NULL, watch_main, w) != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->prefix);
    free(w->end);
    free(w);
    return SY_ENOMEM;
  }
  *out = w;
  return SY_OK;
}

void sy_etcd_watch_stop(sy_etcd_watch *w) {
  if (!w) return;
  pthread_mutex_lock(&w->mu);
  atomic_store(&w->stop, 1);
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->th, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  free(w->prefix);
  free(w->end);
  free(w);
}

int sy_etcd_watch_ended(sy_etcd_watch *w) {
  return atomic_load(&w->ended);
}

int64_t sy_etcd_watch_last_revision(sy_etcd_watch *w) {
  return atomic_load(&w->last);
}

/* ---- plain GET ------------------------------------------------------------------- */

int sy_net_http_get(const char *url, unsigned timeout_ms, size_t max, sy_buf *out, long *status) {
  pthread_once(&curl_once, curl_init_once);
  if (!curl_ok) return SY_ENOMEM;
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) return SY_EINVAL;
  CURL *h = curl_easy_init();
  if (!h) return SY_ENOMEM;
  char cerr[CURL_ERROR_SIZE] = {0};
  sink s = {.max = max};
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms ? timeout_ms : 10000));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
  CURLcode cc = curl_easy_perform(h);
  long http = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
  curl_easy_cleanup(h);
  if (s.too_big || s.b.err || cc != CURLE_OK) {
    int rc = s.too_big                        ? SY_ETOOBIG
             : s.b.err                        ? SY_ENOMEM
             : cc == CURLE_OPERATION_TIMEDOUT ? SY_ETIMEDOUT
                                              : SY_EIO;
    seterr("GET %.120s: %s", url,
           s.too_big ? "answer too large"
           : cerr[0] ? cerr
                     : curl_easy_strerror(cc));
    sy_buf_free(&s.b);
    return rc;
  }
  *status = http;
  sy_buf_put(out, s.b.p, s.b.len);
  sy_buf_free(&s.b);
  return out->err ? SY_ENOMEM : SY_OK;
}
