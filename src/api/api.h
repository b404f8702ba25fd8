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

/* Large enough for a 1 MiB EPCIS document in one epcis.capture transaction:
 * the format's payload ceiling plus the envelope's fixed fields. */
#define SY_API_DEFAULT_MAX_TX_BYTES ((size_t)SY_TX_PAYLOAD_MAX + 512u)
#define SY_API_DEFAULT_CAPTURE_LIMIT 1000u /* events per captured document */
#define SY_API_DEFAULT_CAPTURE_BYTES ((size_t)SY_TX_PAYLOAD_MAX) /* document bytes */
#define SY_API_DEFAULT_MAX_CONNECTIONS 1024u
#define SY_API_DEFAULT_IDLE_TIMEOUT_S 30u
#define SY_API_DEFAULT_PER_IP 128u
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
  unsigned per_ip_connections; /* open connections one client address may hold
                                  (one client cannot take every slot);
                                  0 = SY_API_DEFAULT_PER_IP, UINT_MAX = no limit */
  unsigned drain_ms;           /* sy_api_stop waits this long for requests in
                                  flight; 0 = SY_API_DEFAULT_DRAIN_MS */
  /* EPCIS capture and trace (docs/http-api.md, docs/trace.md). */
  const char *data_dir;        /* node directory: DIR/tokens.json and DIR/custody/;
                                  NULL = no tokens, so every capture is 401. Copied. */
  const sy_secret *passphrase; /* opens DIR/custody/<key id>.key keystores; borrowed
                                  until sy_api_stop; NULL = no custody keys */
  int auth_reads;              /* 1: EPCIS queries, capture jobs, trace and recall
                                  need a bearer token too */
  unsigned capture_limit;      /* events per document; 0 = SY_API_DEFAULT_CAPTURE_LIMIT */
  size_t capture_bytes;        /* document bytes; 0 = SY_API_DEFAULT_CAPTURE_BYTES; never
                                  more than max_tx_bytes leaves room for (see routes.c) */
  /* Codes, labels, consumer queries (docs/labels.md). */
  const char *public_url;      /* base URL printed in QR codes, linksets and SMS
                                  replies, e.g. "https://trace.example.com";
                                  NULL = the node's own URL. Copied. */
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

#include "ledger/events.h"

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
  /* EPCIS capture, tokens, capture jobs (routes_epcis.c, tokens.c). */
  struct sy_api_tokens *tokens; /* NULL without a data directory */
  struct sy_api_jobs *jobs;
  int auth_reads;
  size_t capture_limit;
  size_t capture_bytes;
  /* Digital Link resolver, labels, anti-counterfeit codes, SMS (issue 5). */
  char *public_url;        /* NULL: use base_url */
  char base_url[128];      /* the node's own URL, set by http_server.c once bound */
  struct sy_api_ac *ac;    /* routes_ac.c state: scan records, rate limits */
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
  /* Calls fn(arg, key, key_len, val, val_len) for every query parameter in
   * request order (val NULL for "?key" without "="); stops at the first
   * non-zero return and returns it; 0 when all were seen. May be NULL (no
   * parameters). Uses query_ctx. */
  int (*query_each)(void *ctx,
                    int (*fn)(void *arg, const char *key, size_t key_len, const char *val,
                              size_t val_len),
                    void *arg);
  /* A request header by name (case-insensitive), NULL when absent. May be
   * NULL (no headers). Uses query_ctx. */
  const char *(*header)(void *ctx, const char *name);
  const char *remote_addr; /* client's numeric IP address; NULL or "" when unknown */
} sy_api_req;

/* A response header besides the fixed ones of sy_api_resp. */
#define SY_API_MAX_HEADERS 12
typedef struct sy_api_hdr {
  const char *name; /* static storage */
  char *value;      /* malloc'd; freed with the response */
} sy_api_hdr;

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
  sy_api_hdr hdrs[SY_API_MAX_HEADERS]; /* more headers, see sy_api_resp_header */
  size_t nhdrs;
} sy_api_resp;

/* Adds a header (the value is formatted and copied). Silently dropped when
 * the table is full or memory runs out: callers add optional headers only. */
void sy_api_resp_header(sy_api_resp *rs, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees the body and header values and zeroes rs (for callers that do not
 * hand rs to the server, e.g. unit tests). */
void sy_api_resp_release(sy_api_resp *rs);

/* Copies what it needs from opts. SY_EINVAL (max_tx_bytes past the format's
 * ceiling, NULL arguments) or SY_ENOMEM; r is left zeroed on failure. */
int sy_api_router_init(sy_api_router *r, const sy_api_opts *opts, sy_ledger *ledger,
                       sy_pipeline *pipe);
void sy_api_router_close(sy_api_router *r);

/* Called once the request headers are in, before any body byte is read;
 * rq has no body yet. Returns the number of body bytes the request may
 * carry (the server answers 413 past it) and sets *keep_body when the
 * handler wants the body buffered (otherwise it is counted and dropped).
 * When the request can be refused from its headers alone (media type,
 * missing credentials) it fills early (early->status != 0). */
size_t sy_api_route_prepare(sy_api_router *r, const sy_api_req *rq, int *keep_body,
                            sy_api_resp *early);

/* The 413 answer for a body past limit (the server calls it when the
 * Content-Length or the bytes read pass sy_api_route_prepare's limit). */
void sy_api_route_too_large(sy_api_router *r, const char *method, const char *path, size_t limit,
                            sy_api_resp *rs);

/* Handles a complete request and always fills rs (when memory runs out:
 * 503 with rs->static_body). Thread-safe: handlers run concurrently. */
void sy_api_route(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);

/* Fills rs with a problem document (RFC 9457). token is the stable type
 * suffix, detail a human sentence (sanitised; never secrets). */
void sy_api_problem(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                    const char *instance, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* sy_api_problem with extension members: ext (a cJSON object, taken; may
 * be NULL) has its members appended after the standard ones. */
struct cJSON;
void sy_api_problem_x(sy_api_router *r, sy_api_resp *rs, int status, const char *token,
                      const char *instance, struct cJSON *ext, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Maps a ledger / pipeline error code to its problem (404 not-found, 503
 * overloaded / storage-unavailable / shutting-down, 507, 500). */
void sy_api_problem_err(sy_api_router *r, sy_api_resp *rs, int err, const char *instance,
                        const char *what);

/* Renders root (taken; NULL or oom != 0 means memory ran out) as the JSON
 * body with status; content_type NULL = application/json. */
void sy_api_resp_json(sy_api_resp *rs, int status, struct cJSON *root, int oom,
                      const char *content_type);
/* The 503 out-of-memory answer (static body). */
void sy_api_resp_oom(sy_api_resp *rs);

/* Text hygiene (routes.c): 1 when p[0..n) is valid UTF-8 without NUL;
 * copies s (at most max bytes) into out as valid UTF-8 (invalid bytes
 * become U+FFFD), truncating on a character boundary. */
int sy_api_utf8_valid(const uint8_t *p, size_t n);
/* Length of the valid UTF-8 sequence at p[0..n) (n >= 1), or 0 when it is
 * not one (overlong forms, surrogates, past U+10FFFF). */
size_t sy_api_utf8_seq(const uint8_t *p, size_t n);
void sy_api_utf8_clean(char *out, size_t size, const char *s, size_t max);
/* Strict decimal u64 (1..20 digits). 0 or -1. */
int sy_api_parse_u64(const char *s, size_t n, uint64_t *out);

/* ---- EPCIS capture & query, capture jobs (routes_epcis.c) ---------------- */
int sy_api_epcis_init(sy_api_router *r, const sy_api_opts *opts);
void sy_api_epcis_close(sy_api_router *r);
/* Body limit and early refusals for POST /capture and POST /events. */
size_t sy_api_capture_prepare(sy_api_router *r, const sy_api_req *rq, int *keep_body,
                              sy_api_resp *early);
void sy_api_capture_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_capture_options(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_capture_job_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs,
                            const char *id);
void sy_api_events_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_events_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_event_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *id);
/* Appends the events of pg to arr as EPCIS JSON: the stored event plus
 * "recordTime" (and the capturing document's "@context" when the event
 * uses extension prefixes); with provenance also "suyuan:org",
 * "suyuan:signer", "suyuan:txId", "suyuan:blockHeight". SY_OK or
 * SY_ENOMEM. */
int sy_api_events_json(sy_api_router *r, const sy_event_page *pg, struct cJSON *arr,
                       int provenance);
/* 1 when t has the shape of a page token this node gives out. */
int sy_api_page_token_ok(const char *t);
/* Adds Link: <path?the same parameters&nextPageToken=T>; rel="next". */
void sy_api_next_link(const sy_api_req *rq, sy_api_resp *rs, const char *token);
/* The GS1-EPCIS-Version / GS1-CBV-Version headers of EPCIS responses. */
void sy_api_epcis_headers(sy_api_resp *rs);
/* The 413 of the capture routes, with the GS1 limit headers. */
void sy_api_capture_too_large(sy_api_router *r, const char *path, const char *what,
                              sy_api_resp *rs);

/* Auth: when the request carries a valid bearer token, fills *key_id (and
 * *key, the member's custody key, borrowed until sy_api_stop, when want_key)
 * and returns 1; otherwise fills rs (401 unauthorized with WWW-Authenticate,
 * 403, or 500 when the custody key cannot be opened) and returns 0. */
int sy_api_authorize(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, int want_key,
                     uint8_t key_id[SY_KEYID_LEN], const sy_key **key);

/* Parses the GET /events query parameters into q. Value strings are copied
 * into *store (free with sy_api_query_store_free, also on error). Returns
 * 0, or -1 with a sentence naming the parameter in err. */
typedef struct sy_api_query_store {
  char *vals[32];
  size_t n;
} sy_api_query_store;
int sy_api_event_query_parse(const sy_api_req *rq, sy_event_query *q, sy_api_query_store *store,
                             char *err, size_t errlen);
void sy_api_query_store_free(sy_api_query_store *s);
/* RFC 3339 date-time to ms since the epoch (UTC); fractions past ms are
 * truncated. 0 or -1. */
int sy_api_parse_time(const char *s, int64_t *ms);
/* "2026-11-25T22:00:00.000Z" (out size >= 32). */
void sy_api_format_time(int64_t ms, char out[32]);
/* Percent-encodes s for a URL path segment or query value (everything but
 * A-Z a-z 0-9 - . _ ~). malloc'd; NULL when memory runs out. */
char *sy_api_url_encode(const char *s, size_t n);

/* ---- trace, history, recall (routes_trace.c) ----------------------------- */
void sy_api_trace_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, int direction);
void sy_api_history_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_recall_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);

/* ---- GS1 Digital Link resolver, trace page, product view (routes_dl.c) ---- */
/* 1 when path starts with a Digital Link primary key segment ("/01/",
 * "/00/", "/414/", "/8004/", ...): the resolver's routes. */
int sy_api_dl_is_path(const char *path);
/* GET /{primary key AI}/{value}[/{qualifier AI}/{value}...]: content
 * negotiation (HTML page, linkset, ?linkType= redirect). */
void sy_api_dl_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
/* GET /v1/product?id=...: the product view with its events and proofs. */
void sy_api_product_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
/* GET / and /web/{file}: the consumer page's static files. */
void sy_api_web_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
/* GET /.well-known/gs1resolver: the resolver description. */
void sy_api_gs1resolver_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
/* The base URL for links: public_url, else base_url. */
const char *sy_api_public_url(const sy_api_router *r);

/* ---- labels (routes_label.c) ---------------------------------------------- */
/* GET /v1/label?id=...&format=svg|png|pdf */
void sy_api_label_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);

/* ---- anti-counterfeit codes, SMS, alerts (routes_ac.c) -------------------- */
#define SY_API_SMALL_BODY 4096 /* POST /v1/verify-code and /v1/sms */
int sy_api_ac_init(sy_api_router *r, const sy_api_opts *opts);
void sy_api_ac_close(sy_api_router *r);
void sy_api_verify_code_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_sms_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);
void sy_api_alerts_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs);

/* ---- tokens and custody keys (tokens.c) ---------------------------------- */
typedef struct sy_api_tokens sy_api_tokens;
/* Tokens in DIR/tokens.json (re-read when it changes), custody keys in
 * DIR/custody/<key id hex>.key opened with pass (borrowed until free; may be
 * NULL: then no custody key can be opened). *out transferred. */
int sy_api_tokens_new(const char *data_dir, const sy_secret *pass, sy_api_tokens **out);
void sy_api_tokens_free(sy_api_tokens *t);
/* Checks an Authorization header value ("Bearer syt_..."). SY_OK fills
 * key_id; SY_EPERM: no, bad, unknown, expired or revoked token (why says
 * which, never the token). Never logs the token. */
int sy_api_tokens_check(sy_api_tokens *t, const char *authorization, uint8_t key_id[SY_KEYID_LEN],
                        char *why, size_t whylen);
/* The custody key of key_id, opened on first use and kept; *key borrowed
 * until sy_api_tokens_free. SY_ENOTFOUND (no custody file), SY_EPASSPHRASE,
 * SY_EPERM (file mode), SY_EIO, SY_ENOMEM, SY_EINVAL (the file holds another
 * key). */
int sy_api_tokens_key(sy_api_tokens *t, const uint8_t key_id[SY_KEYID_LEN], const sy_key **key);

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
