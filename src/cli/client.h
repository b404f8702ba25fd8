/* A small HTTP client for talking to a node's API (docs/http-api.md).
 *
 * Used by the `suyuan` CLI and by tests, never by the node. It is the only
 * file that includes curl.h (STYLE.md: one module per third-party header).
 *
 * One sy_client is one connection cache: calls on it are serialised by the
 * caller (use one client per thread). A call returns SY_OK whenever the node
 * answered with any HTTP status; the status decides what the answer means. */
#ifndef SY_CLIENT_H
#define SY_CLIENT_H

#include <stddef.h>

typedef struct sy_client sy_client;

typedef struct sy_client_opts {
  const char *base_url;    /* "http://127.0.0.1:7420"; copied. A trailing '/' is ignored */
  long connect_timeout_ms; /* 0 = 5000 */
  long timeout_ms;         /* whole request, 0 = 30000 */
  size_t max_body;         /* largest answer accepted, 0 = 64 MiB */
  const char *bearer;      /* sent as "Authorization: Bearer <bearer>" on every request;
                              copied (wiped on free); NULL = none */
} sy_client_opts;

/* An answer. body is NUL-terminated (the NUL is not counted in len), owned by
 * the response and freed by sy_http_resp_free, like content_type (NULL when
 * the node sent none) and link (the Link header(s), several joined with
 * ", ", for paging: rel="next"; NULL when none). Zero-initialise before the
 * first use. */
typedef struct sy_http_resp {
  long status;
  char *body;
  size_t len;
  char *content_type;
  char *link;
} sy_http_resp;

/* Creates a client; *out transferred. SY_EINVAL when base_url is missing or
 * not http(s)://, or bearer has a control character; SY_ENOMEM. */
int sy_client_new(sy_client **out, const sy_client_opts *opts);
void sy_client_free(sy_client *c);

/* The base URL in use (normalised, no trailing '/'); borrowed until free. */
const char *sy_client_base(const sy_client *c);

/* Detail of the last failed call ("connect to 127.0.0.1 port 7420 failed:
 * Connection refused"); borrowed until the next call on c. */
const char *sy_client_errmsg(const sy_client *c);

/* Performs METHOD base_url+path. path starts with '/' and is sent as given
 * (escape components with sy_client_escape). body[0..len) is borrowed for
 * the call; content_type may be NULL when there is no body. timeout_ms
 * overrides the client's timeout for this call when > 0. *resp is reset
 * first and, on SY_OK, holds the answer (release with sy_http_resp_free).
 * Errors (no answer was received): SY_EIO (cannot connect, connection lost),
 * SY_ETIMEDOUT, SY_ETOOBIG (answer over max_body), SY_EINVAL (bad URL),
 * SY_ENOMEM. */
int sy_client_request(sy_client *c, const char *method, const char *path, const char *content_type,
                      const void *body, size_t len, long timeout_ms, sy_http_resp *resp);

/* Shorthands for sy_client_request. */
int sy_client_get(sy_client *c, const char *path, sy_http_resp *resp);
int sy_client_post(sy_client *c, const char *path, const char *content_type, const void *body,
                   size_t len, long timeout_ms, sy_http_resp *resp);

void sy_http_resp_free(sy_http_resp *r);

/* Percent-encodes s for use in a path or query component. Returns a string
 * the caller frees with free(), or NULL when out of memory. */
char *sy_client_escape(const char *s);

#endif
