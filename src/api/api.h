/* The node's HTTP API (docs/http-api.md): the front door of suyuand.
 *
 * One libmicrohttpd daemon, one thread per connection (a POST with
 * ?wait=commit blocks its handler until the block is durable, so a blocked
 * handler must never hold up another connection). Every input is treated as
 * hostile: bodies are bounded before they are buffered, ids and heights are
 * checked before they reach the ledger, and every error is an RFC 9457
 * problem document with a stable `type`.
 *
 * libmicrohttpd is included by src/api/http_server.c only; this header and
 * the handlers in routes.c do not depend on it. */
#ifndef SY_API_H
#define SY_API_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/consensus.h"
#include "ledger/ledger.h"

typedef struct sy_api sy_api;

#define SY_API_DEFAULT_MAX_TX_BYTES 65536u
#define SY_API_DEFAULT_MAX_CONNECTIONS 1024u
#define SY_API_DEFAULT_IDLE_TIMEOUT_S 30u
#define SY_API_DEFAULT_DRAIN_MS 5000u
#define SY_API_WAIT_DEFAULT_MS 30000u /* ?wait=commit without timeout_ms */
#define SY_API_WAIT_MAX_MS 120000u    /* larger timeout_ms values are clamped */

typedef struct sy_api_opts {
  const char *listen_host;     /* numeric IPv4/IPv6 address or host name to bind;
                                  NULL = "127.0.0.1". Copied. */
  int port;                    /* 0..65535; 0 = an ephemeral port (sy_api_port) */
  size_t max_tx_bytes;         /* largest transaction envelope accepted (413 past
                                  it); 0 = SY_API_DEFAULT_MAX_TX_BYTES. Give the
                                  pipeline the same value. */
  const char *ledger_path;     /* ledger file GET /v1/verify replays; NULL makes
                                  /v1/verify answer 501. Copied. */
  const char *node_key_id_hex; /* shown by GET /v1/status; may be NULL. Copied. */
  const char *version;         /* shown by GET /v1/status; NULL = "unknown". Copied. */
  unsigned max_connections;    /* 0 = SY_API_DEFAULT_MAX_CONNECTIONS */
  unsigned idle_timeout_s;     /* idle connections are closed after this (slow
                                  clients, slow-loris); 0 = SY_API_DEFAULT_IDLE_TIMEOUT_S */
  unsigned drain_ms;           /* sy_api_stop waits this long for requests in
                                  flight; 0 = SY_API_DEFAULT_DRAIN_MS */
} sy_api_opts;

/* Binds, listens and starts serving; when it returns SY_OK the socket is
 * already accepting connections. ledger and pipe are borrowed until
 * sy_api_stop returns: stop the API before freeing either. *out is
 * transferred (release with sy_api_stop).
 * Errors: SY_EINVAL (bad opts, host does not resolve), SY_EIO (cannot bind or
 * listen, e.g. the port is in use), SY_ENOMEM; a message goes to err when
 * err is given. */
int sy_api_start(sy_api **out, const sy_api_opts *opts, sy_ledger *ledger, sy_pipeline *pipe,
                 char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int sy_api_port(const sy_api *a);

/* Base URL clients on this host can use, e.g. "http://127.0.0.1:7420" (a
 * wildcard bind address is replaced by the loopback address). Borrowed until
 * sy_api_stop. */
const char *sy_api_url(const sy_api *a);

/* Shuts the server down and frees a. First it stops accepting and answers
 * new requests on open connections with 503 shutting-down; then it gives the
 * requests in flight up to opts.drain_ms to finish (a POST waiting for its
 * commit gets its answer), then closes every connection and joins the
 * connection threads. A handler still blocked in ?wait=commit after the
 * drain keeps the join waiting until its block commits or its timeout
 * passes, which is why the pipeline must still be running here.
 * sy_api_stop(NULL) is a no-op. */
void sy_api_stop(sy_api *a);

/* ---- internal to src/api/ ---------------------------------------------------
 * The seam between http_server.c (libmicrohttpd glue) and routes.c (the
 * handlers). It carries no libmicrohttpd types, so the handlers can be driven
 * directly by unit tests. Not for use outside src/api/ and its tests. */
#ifdef SY_API_INTERNAL

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#define SY_API_HTTP_CODES 600     /* status codes counted: 0..599 */
#define SY_API_LATENCY_BUCKETS 12 /* see routes.c: latency_bounds */

/* What the handlers need; lives inside sy_api. Strings are owned copies. */
typedef struct sy_api_router {
  sy_ledger *ledger; /* borrowed */
  sy_pipeline *pipe; /* borrowed */
  size_t max_tx_bytes;
  char *ledger_path; /* NULL: verify disabled */
  char *node_key_id_hex;
  char *version;
  uint64_t started_ms;         /* CLOCK_MONOTONIC, for uptime_s */
  pthread_mutex_t verify_lock; /* one chain replay at a time: it is costly */
  /* HTTP metrics, written by http_server.c from any connection thread. */
  _Atomic uint64_t http_codes[SY_API_HTTP_CODES];
  _Atomic uint64_t latency_buckets[SY_API_LATENCY_BUCKETS]; /* per bucket; summed when rendered */
  _Atomic uint64_t latency_count;
  _Atomic uint64_t latency_sum_us;
  _Atomic int64_t connections;
  _Atomic int64_t inflight;     /* requests between headers and completion */
  _Atomic int stopping;         /* set by sy_api_stop: refuse new requests */
  _Atomic uint64_t last_log_ms; /* throttles error logging */
  _Atomic uint64_t log_suppressed;
} sy_api_router;

/* One request as the handlers see it. Everything is borrowed for the call. */
typedef struct sy_api_req {
  const char *method;       /* "GET", "POST", ... */
  const char *path;         /* percent-decoded path, no query string */
  const char *content_type; /* NULL when absent */
  const uint8_t *body;      /* NULL when empty */
  size_t body_len;
  /* Looks a query parameter up: 1 and (*val, *len) when present (*val may be
   * NULL for "?key" without "="), 0 when absent. */
  int (*query)(void *ctx, const char *key, const char **val, size_t *len);
  void *query_ctx;
} sy_api_req;

/* One response. Start from all zeroes. */
typedef struct sy_api_resp {
  int status;
  const char *content_type; /* static storage */
  char *body;               /* malloc'd, transferred to the server */
  size_t body_len;
  const char *static_body; /* sent when body is NULL (static storage): the
                              fallback answer when memory ran out */
  const char *allow;       /* static; "Allow" header for 405 */
  char location[96];       /* "Location" header when not empty */
  int retry_after;         /* seconds; 0 = no header */
} sy_api_resp;

/* Copies what it needs from opts. SY_EINVAL (max_tx_bytes past the format's
 * ceiling, NULL arguments) or SY_ENOMEM; r is left zeroed on failure. */
int sy_api_router_init(sy_api_router *r, const sy_api_opts *opts, sy_ledger *ledger,
                       sy_pipeline *pipe);
void sy_api_router_close(sy_api_router *r);

/* Called once the request headers are in, before any body byte is read.
 * Returns the number of body bytes the request may carry (the server
 * answers 413 past it) and sets *keep_body when the handler wants the body
 * buffered (otherwise it is counted and dropped). When the request can be
 * refused from its headers alone it fills early (early->status != 0). */
size_t sy_api_route_prepare(sy_api_router *r, const char *method, const char *path,
                            const char *content_type, int *keep_body, sy_api_resp *early);

/* Handles a complete request and always fills rs (when memory runs out:
 * 503 with rs->static_body). Thread-safe: handlers run concurrently. */
void sy_api_route(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);

/* Fills rs with a problem document (RFC 9457). token is the stable type
 * suffix, detail a human sentence (sanitised; never secrets). */
void sy_api_problem(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                    const char *instance, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Logs one line to stderr as "suyuand: <who>: <text>", control characters
 * replaced, at most one line a second (the rest are counted and the count
 * is reported with the next line). */
void sy_api_vlog(sy_api_router *r, const char *who, const char *fmt, va_list ap);
void sy_api_log(sy_api_router *r, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records one finished request for /metrics. */
void sy_api_metrics_record(sy_api_router *r, int status, uint64_t elapsed_us);

#endif /* SY_API_INTERNAL */

#endif
