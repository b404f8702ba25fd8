/* HTTP client on libcurl's easy interface (see client.h). */
#include "cli/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_buf.h"
#include "core/sy_error.h"

#define DEFAULT_CONNECT_MS 5000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY ((size_t)64 << 20)

struct sy_client {
  CURL *h;
  char *base;
  long connect_timeout_ms;
  long timeout_ms;
  size_t max_body;
  char *auth; /* "Authorization: Bearer ..." or NULL */
  char curl_err[CURL_ERROR_SIZE];
  char err[CURL_ERROR_SIZE + 256];
};

/* What the write and header callbacks fill in during one request. */
typedef struct transfer {
  sy_buf body;
  size_t max_body;
  int too_big;
} transfer;

static size_t on_body(char *p, size_t size, size_t n, void *ctx) {
  transfer *t = ctx;
  size_t len = size * n;
  if (t->body.len + len > t->max_body) {
    t->too_big = 1;
    return 0; /* curl aborts the transfer with CURLE_WRITE_ERROR */
  }
  sy_buf_put(&t->body, p, len);
  return t->body.err ? 0 : len;
}

static int has_http_scheme(const char *url) {
  return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int sy_client_new(sy_client **out, const sy_client_opts *opts) {
  if (!out || !opts || !opts->base_url || !has_http_scheme(opts->base_url)) return SY_EINVAL;
  /* A token with a control character would end the header early. */
  for (const char *p = opts->bearer; p && *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return SY_EINVAL;
  /* Thread-safe and reference counted since curl 7.84; paired in free. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return SY_ENOMEM;
  sy_client *c = calloc(1, sizeof *c);
  if (!c) goto undo_global;
  if (!(c->base = strdup(opts->base_url))) goto undo_client;
  size_t n = strlen(c->base);
  while (n > 0 && c->base[n - 1] == '/') c->base[--n] = 0;
  if (opts->bearer) {
    size_t alen = strlen(opts->bearer) + sizeof "Authorization: Bearer ";
    if (!(c->auth = malloc(alen))) goto undo_base;
    snprintf(c->auth, alen, "Authorization: Bearer %s", opts->bearer);
  }
  if (!(c->h = curl_easy_init())) goto undo_auth;
  c->connect_timeout_ms =
      opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_MS;
  c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
  c->max_body = opts->max_body > 0 ? opts->max_body : DEFAULT_MAX_BODY;
  *out = c;
  return SY_OK;
undo_auth:
  if (c->auth) explicit_bzero(c->auth, strlen(c->auth));
  free(c->auth);
undo_base:
  free(c->base);
undo_client:
  free(c);
undo_global:
  curl_global_cleanup();
  return SY_ENOMEM;
}

void sy_client_free(sy_client *c) {
  if (!c) return;
  curl_easy_cleanup(c->h);
  free(c->base);
  if (c->auth) explicit_bzero(c->auth, strlen(c->auth));
  free(c->auth);
  free(c);
  curl_global_cleanup();
}

const char *sy_client_base(const sy_client *c) { return c->base; }

const char *sy_client_errmsg(const sy_client *c) { return c->err; }

void sy_http_resp_free(sy_http_resp *r) {
  if (!r) return;
  free(r->body);
  free(r->content_type);
  free(r->link);
  memset(r, 0, sizeof *r);
}

static int map_curl_error(CURLcode cc, const transfer *t) {
  if (t->too_big) return SY_ETOOBIG;
  switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
      return SY_ETIMEDOUT;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return SY_EINVAL;
    case CURLE_OUT_OF_MEMORY:
      return SY_ENOMEM;
    case CURLE_WRITE_ERROR:
      return t->body.err ? SY_ENOMEM : SY_EIO;
    default:
      /* Refused, unresolvable, reset, empty reply, TLS failure: no answer. */
      return SY_EIO;
  }
}

/* Joins the answer's Link headers (there may be several) into resp->link. */
static int collect_link(CURL *h, sy_http_resp *resp) {
  struct curl_header *hd = NULL;
  if (curl_easy_header(h, "Link", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK) return SY_OK;
  size_t amount = hd->amount;
  sy_buf b = {0};
  for (size_t i = 0; i < amount; i++) {
    if (curl_easy_header(h, "Link", i, CURLH_HEADER, -1, &hd) != CURLHE_OK) break;
    if (b.len) sy_buf_put(&b, ", ", 2);
    sy_buf_put(&b, hd->value, strlen(hd->value));
  }
  sy_buf_u8(&b, 0);
  if (b.err) {
    sy_buf_free(&b);
    return SY_ENOMEM;
  }
  resp->link = (char *)b.p;
  return SY_OK;
}

int sy_client_request(sy_client *c, const char *method, const char *path, const char *content_type,
                      const void *body, size_t len, long timeout_ms, sy_http_resp *resp) {
  if (!c || !method || !path || path[0] != '/' || !resp) return SY_EINVAL;
  memset(resp, 0, sizeof *resp);
  c->err[0] = 0;
  c->curl_err[0] = 0;

  size_t ulen = strlen(c->base) + strlen(path) + 1;
  char *url = malloc(ulen);
  if (!url) return SY_ENOMEM;
  snprintf(url, ulen, "%s%s", c->base, path);

  int rc = SY_ENOMEM;
  CURL *h = c->h;
  struct curl_slist *hdrs = NULL, *tmp;
  char ctype_hdr[256];
  transfer t = {.max_body = c->max_body};
  if (!(tmp = curl_slist_append(hdrs, "Accept: application/json, application/problem+json")))
    goto undo_url;
  hdrs = tmp;
  /* Without this curl waits up to a second for "100 Continue" on big bodies. */
  if (!(tmp = curl_slist_append(hdrs, "Expect:"))) goto undo_headers;
  hdrs = tmp;
  if (c->auth) {
    if (!(tmp = curl_slist_append(hdrs, c->auth))) goto undo_headers;
    hdrs = tmp;
  }
  if (content_type) {
    snprintf(ctype_hdr, sizeof ctype_hdr, "Content-Type: %s", content_type);
    if (!(tmp = curl_slist_append(hdrs, ctype_hdr))) goto undo_headers;
    hdrs = tmp;
  }

  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "suyuan-client/0.1");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
  }

  CURLcode cc = curl_easy_perform(h);
  if (cc != CURLE_OK) {
    rc = map_curl_error(cc, &t);
    if (rc == SY_ETOOBIG)
      snprintf(c->err, sizeof c->err, "%s %s: answer larger than %zu bytes", method, url,
               c->max_body);
    else
      snprintf(c->err, sizeof c->err, "%s %s: %s", method, url,
               c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
    goto undo_body;
  }
  sy_buf_u8(&t.body, 0); /* NUL terminator, not counted */
  if (t.body.err) goto undo_body;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
  char *ct = NULL;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
    if (!(resp->content_type = strdup(ct))) goto undo_body;
  }
  if (collect_link(h, resp) != SY_OK) {
    free(resp->content_type);
    resp->content_type = NULL;
    goto undo_body;
  }
  resp->body = (char *)sy_buf_take(&t.body, &resp->len);
  resp->len--;
  rc = SY_OK;
undo_body:
  sy_buf_free(&t.body);
undo_headers:
  /* The handle keeps pointers to hdrs, url and body until reset. */
  curl_easy_reset(h);
  curl_slist_free_all(hdrs);
undo_url:
  free(url);
  if (rc != SY_OK && !c->err[0]) snprintf(c->err, sizeof c->err, "%s", sy_strerror(rc));
  return rc;
}

int sy_client_get(sy_client *c, const char *path, sy_http_resp *resp) {
  return sy_client_request(c, "GET", path, NULL, NULL, 0, 0, resp);
}

int sy_client_post(sy_client *c, const char *path, const char *content_type, const void *body,
                   size_t len, long timeout_ms, sy_http_resp *resp) {
  return sy_client_request(c, "POST", path, content_type, body, len, timeout_ms, resp);
}

char *sy_client_escape(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1), *p = out;
  if (!out) return NULL;
  for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
    unsigned char ch = *q;
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      *p++ = (char)ch;
    } else {
      *p++ = '%';
      *p++ = hex[ch >> 4];
      *p++ = hex[ch & 15];
    }
  }
  *p = 0;
  return out;
}
