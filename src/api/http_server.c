/* libmicrohttpd glue: sockets, request bodies, responses. The only file of
 * the tree that includes microhttpd.h (STYLE.md: one module per third-party
 * header); the handlers live in routes.c.
 *
 * Threading: one thread per connection (MHD_USE_THREAD_PER_CONNECTION) so
 * that a POST /v1/tx?wait=commit, which blocks its handler until the block
 * is durable, holds up nobody else. poll() rather than select(): the
 * process has ledger files open too, and select() breaks past fd 1023.
 *
 * Memory per connection is bounded: MHD's pool holds the headers
 * (CONNECTION_MEMORY_LIMIT), and a body is buffered only for the routes
 * that take one (POST /v1/tx, /capture, /events), up to the route's
 * limit; past it the request is answered 413, refused at the headers when
 * Content-Length already says so. */
#define SY_API_INTERNAL 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/sy_error.h"

#define LISTEN_BACKLOG 1024
/* Headers and I/O buffers per connection. MHD zeroes the pool for every
 * request on a kept-alive connection, so bigger is slower, not just fatter. */
#define CONN_MEMORY_LIMIT (32 * 1024)
/* A request body past its limit is read and dropped (so the client gets its
 * 413) for at most this many extra bytes; past that the connection is cut. */
#define DROP_MAX (1024 * 1024)

struct sy_api {
  sy_api_router router; /* first: the handlers' state */
  struct MHD_Daemon *d;
  unsigned drain_ms;
  int port;
  char url[96];
};

/* Per-request state (MHD's con_cls), freed in on_completed. */
typedef struct req {
  uint64_t start_us;
  size_t limit;  /* body bytes this request may carry */
  int keep_body; /* 1: buffer it for the handler; 0: count and drop */
  int too_big;
  uint8_t *body;
  size_t len, cap;
  size_t dropped; /* bytes dropped past the limit */
  int status;     /* status queued, for /metrics; 0 = none */
  char remote[INET6_ADDRSTRLEN]; /* client address, numeric; "" when unknown */
} req;

/* The peer's numeric address (rate limits, coarse place of a scan). */
static void remote_of(struct MHD_Connection *c, char *out, size_t size) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  out[0] = 0;
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  if (getnameinfo(sa, len, out, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0) out[0] = 0;
}

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- responses --------------------------------------------------------------- */

/* Queues rs (taking rs->body). MHD_NO closes the connection: that is all
 * that is left when even a response object cannot be allocated. */
static enum MHD_Result send_resp(sy_api *a, struct MHD_Connection *c, req *rq, sy_api_resp *rs) {
  struct MHD_Response *resp;
  if (rs->body) {
    resp = MHD_create_response_from_buffer(rs->body_len, rs->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(rs->body); /* not taken on failure */
  } else {
    const char *s = rs->static_body ? rs->static_body : "";
    resp = MHD_create_response_from_buffer(strlen(s), (void *)s, MHD_RESPMEM_PERSISTENT);
  }
  rs->body = NULL;
  if (!resp) {
    sy_api_resp_release(rs);
    return MHD_NO;
  }
  int ok = 1;
  if (rs->content_type)
    ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type) == MHD_YES;
  ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
  ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;
  if (atomic_load(&a->router.stopping)) /* let keep-alive clients go during the drain */
    ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
  if (rs->allow) ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rs->allow) == MHD_YES;
  if (rs->location[0])
    ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rs->location) == MHD_YES;
  if (rs->retry_after > 0) {
    char ra[16];
    snprintf(ra, sizeof ra, "%d", rs->retry_after);
    ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra) == MHD_YES;
  }
  for (size_t i = 0; i < rs->nhdrs && i < SY_API_MAX_HEADERS; i++) {
    if (rs->hdrs[i].name && rs->hdrs[i].value)
      ok &= MHD_add_response_header(resp, rs->hdrs[i].name, rs->hdrs[i].value) == MHD_YES;
    free(rs->hdrs[i].value); /* MHD copied it */
    rs->hdrs[i].value = NULL;
  }
  rs->nhdrs = 0;
  enum MHD_Result ret = MHD_NO;
  if (ok) ret = MHD_queue_response(c, (unsigned)rs->status, resp);
  MHD_destroy_response(resp); /* MHD keeps its own reference while sending */
  if (ret == MHD_YES) rq->status = rs->status;
  return ret;
}

static enum MHD_Result send_413(sy_api *a, struct MHD_Connection *c, req *rq, const char *method,
                                const char *url) {
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  sy_api_route_too_large(&a->router, method, url, rq->limit, &rs);
  return send_resp(a, c, rq, &rs);
}

/* ---- request handling ----------------------------------------------------------- */

static int query_lookup(void *ctx, const char *key, const char **val, size_t *len) {
  struct MHD_Connection *c = ctx;
  const char *v = NULL;
  size_t n = 0;
  if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v, &n) != MHD_YES)
    return 0;
  *val = v;
  *len = v ? n : 0;
  return 1;
}

typedef struct each_ctx {
  int (*fn)(void *arg, const char *key, size_t key_len, const char *val, size_t val_len);
  void *arg;
  int rc;
} each_ctx;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                size_t key_size, const char *value, size_t value_size) {
  each_ctx *e = cls;
  (void)kind;
  e->rc = e->fn(e->arg, key ? key : "", key ? key_size : 0, value, value ? value_size : 0);
  return e->rc ? MHD_NO : MHD_YES;
}

static int query_each(void *ctx,
                      int (*fn)(void *arg, const char *key, size_t key_len, const char *val,
                                size_t val_len),
                      void *arg) {
  each_ctx e = {fn, arg, 0};
  MHD_get_connection_values_n(ctx, MHD_GET_ARGUMENT_KIND, each_arg, &e);
  return e.rc;
}

static const char *header_lookup(void *ctx, const char *name) {
  return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* Content-Length as MHD has already validated it; -1 when absent. */
static int64_t content_length(struct MHD_Connection *c) {
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (!v) return -1;
  uint64_t n = 0;
  for (; *v == ' ' || *v == '\t'; v++) {
  }
  if (*v < '0' || *v > '9') return INT64_MAX; /* unparseable: treat as too big */
  for (; *v >= '0' && *v <= '9'; v++) {
    if (n > (uint64_t)INT64_MAX / 10) return INT64_MAX;
    n = n * 10 + (uint64_t)(*v - '0');
  }
  return n > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

/* Appends upload bytes within the limit; grows geometrically. */
static int body_append(req *rq, const char *p, size_t n) {
  if (rq->len + n > rq->cap) {
    size_t cap = rq->cap ? rq->cap : 4096;
    while (cap < rq->len + n) cap *= 2;
    if (cap > rq->limit) cap = rq->limit;
    uint8_t *nb = realloc(rq->body, cap);
    if (!nb) return -1;
    rq->body = nb;
    rq->cap = cap;
  }
  memcpy(rq->body + rq->len, p, n);
  rq->len += n;
  return 0;
}

/* MHD calls this once when the headers are in, once per chunk of body, and
 * once more when the request is complete (upload_size 0). A response may be
 * queued on the first and the last call only; one queued on the first call
 * makes MHD drop the rest of the body and close the connection after. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  sy_api *a = cls;
  req *rq = *con_cls;
  (void)version;
  if (!rq) {
    rq = calloc(1, sizeof *rq);
    if (!rq) return MHD_NO;
    rq->start_us = mono_us();
    remote_of(c, rq->remote, sizeof rq->remote);
    *con_cls = rq;
    atomic_fetch_add(&a->router.inflight, 1);
    if (atomic_load(&a->router.stopping)) {
      sy_api_resp bye;
      memset(&bye, 0, sizeof bye);
      bye.retry_after = 1;
      sy_api_problem(&a->router, &bye, 503, "shutting-down", url, "the node is shutting down");
      return send_resp(a, c, rq, &bye);
    }
    sy_api_req head = {
        .method = method,
        .path = url,
        .content_type =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .query = query_lookup,
        .query_ctx = c,
        .query_each = query_each,
        .header = header_lookup,
        .remote_addr = rq->remote,
    };
    sy_api_resp early;
    memset(&early, 0, sizeof early);
    rq->limit = sy_api_route_prepare(&a->router, &head, &rq->keep_body, &early);
    if (early.status) return send_resp(a, c, rq, &early);
    int64_t cl = content_length(c);
    if (cl > 0 && (uint64_t)cl > rq->limit) return send_413(a, c, rq, method, url);
    if (cl > 0 && rq->keep_body) { /* one allocation for the common case */
      rq->body = malloc((size_t)cl);
      if (!rq->body) return MHD_NO;
      rq->cap = (size_t)cl;
    }
    return MHD_YES;
  }

  if (*upload_size) {
    size_t n = *upload_size;
    *upload_size = 0;
    if (rq->too_big || n > rq->limit - rq->len) {
      /* Chunked uploads have no Content-Length to refuse early. Keep
       * reading (a response cannot be queued mid-upload) but drop it, and
       * give up on the connection if the client does not stop. */
      rq->too_big = 1;
      rq->dropped += n;
      if (rq->dropped <= DROP_MAX) return MHD_YES;
      sy_api_log(&a->router, "http",
                 "closing a connection: its request body runs more than "
                 "%d bytes past the limit of %zu",
                 DROP_MAX, rq->limit);
      return MHD_NO;
    }
    if (!rq->keep_body) {
      rq->len += n;
      return MHD_YES;
    }
    return body_append(rq, upload, n) == 0 ? MHD_YES : MHD_NO;
  }

  if (rq->too_big) return send_413(a, c, rq, method, url);
  sy_api_req in = {
      .method = method,
      .path = url,
      .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
      .body = rq->keep_body ? rq->body : NULL,
      .body_len = rq->keep_body ? rq->len : 0,
      .query = query_lookup,
      .query_ctx = c,
      .query_each = query_each,
      .header = header_lookup,
      .remote_addr = rq->remote,
  };
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  sy_api_route(&a->router, &in, &rs);
  return send_resp(a, c, rq, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  sy_api *a = cls;
  req *rq = *con_cls;
  (void)c;
  (void)toe;
  if (!rq) return;
  if (rq->status) sy_api_metrics_record(&a->router, rq->status, mono_us() - rq->start_us);
  atomic_fetch_sub(&a->router.inflight, 1);
  free(rq->body);
  free(rq);
  *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe) {
  sy_api *a = cls;
  (void)c;
  (void)socket_ctx;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED)
    atomic_fetch_add(&a->router.connections, 1);
  else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
    atomic_fetch_sub(&a->router.connections, 1);
}

/* MHD's own messages (connection limit reached, protocol errors), throttled. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  sy_api *a = cls;
  sy_api_vlog(&a->router, "http", fmt, ap);
}

/* ---- listening socket ------------------------------------------------------------- */

/* Binds and listens ourselves rather than letting MHD do it, so a failure
 * says why (port in use, permission) instead of a bare NULL. */
static int open_listener(sy_api *a, const char *host, int port, int *fd_out, int *family, char *err,
                         size_t errlen) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char ps[8];
  snprintf(ps, sizeof ps, "%d", port);
  int g = getaddrinfo(host, ps, &hints, &res);
  if (g != 0) {
    set_err(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(g));
    return SY_EINVAL;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0) {
      *family = ai->ai_family;
      break;
    }
    saved = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    set_err(err, errlen, "cannot listen on %s port %d: %s", host, port, strerror(saved));
    return SY_EIO;
  }

  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char num[INET6_ADDRSTRLEN] = "127.0.0.1";
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
    set_err(err, errlen, "getsockname: %s", strerror(errno));
    close(fd);
    return SY_EIO;
  }
  if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    a->port = ntohs(s6->sin6_port);
    if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
      strcpy(num, "::1");
    else
      inet_ntop(AF_INET6, &s6->sin6_addr, num, sizeof num);
    snprintf(a->url, sizeof a->url, "http://[%s]:%d", num, a->port);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    a->port = ntohs(s4->sin_port);
    /* A wildcard bind is reachable from this host through the loopback. */
    if (s4->sin_addr.s_addr != htonl(INADDR_ANY))
      inet_ntop(AF_INET, &s4->sin_addr, num, sizeof num);
    snprintf(a->url, sizeof a->url, "http://%s:%d", num, a->port);
  }
  *fd_out = fd;
  return SY_OK;
}

/* ---- lifecycle --------------------------------------------------------------------- */

int sy_api_start(sy_api **out, const sy_api_opts *opts, sy_ledger *ledger, sy_pipeline *pipe,
                 char *err, size_t errlen) {
  if (!out || !opts || !ledger || !pipe || opts->port < 0 || opts->port > 65535) {
    set_err(err, errlen, "invalid API options");
    return SY_EINVAL;
  }
  *out = NULL;
  sy_api *a = calloc(1, sizeof *a);
  if (!a) {
    set_err(err, errlen, "out of memory");
    return SY_ENOMEM;
  }
  int rc = sy_api_router_init(&a->router, opts, ledger, pipe);
  if (rc != SY_OK) {
    set_err(err, errlen, "invalid API options: %s", sy_strerror(rc));
    free(a);
    return rc;
  }
  int fd = -1, family = AF_INET;
  rc = open_listener(a, opts->listen_host ? opts->listen_host : "127.0.0.1", opts->port, &fd,
                     &family, err, errlen);
  if (rc != SY_OK) goto fail_router;
  snprintf(a->router.base_url, sizeof a->router.base_url, "%s", a->url);

  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                   MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (family == AF_INET6) flags |= MHD_USE_IPv6;
  unsigned max_conn =
      opts->max_connections ? opts->max_connections : SY_API_DEFAULT_MAX_CONNECTIONS;
  unsigned idle = opts->idle_timeout_s ? opts->idle_timeout_s : SY_API_DEFAULT_IDLE_TIMEOUT_S;
  /* Past the limit MHD refuses the connection at accept (hostile catalogue H1). */
  unsigned per_ip = opts->per_ip_connections ? opts->per_ip_connections : SY_API_DEFAULT_PER_IP;
  if (per_ip == UINT_MAX) per_ip = 0; /* MHD: 0 = no limit */
  /* One option per line. */
  /* clang-format off */
  a->d = MHD_start_daemon(flags, (uint16_t)a->port, NULL, NULL, on_request, a,
                          MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a,
                          MHD_OPTION_LISTEN_SOCKET, fd,
                          MHD_OPTION_CONNECTION_LIMIT, max_conn,
                          MHD_OPTION_CONNECTION_TIMEOUT, idle,
                          MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
                          MHD_OPTION_NOTIFY_CONNECTION, on_connection, a,
                          MHD_OPTION_END);
  /* clang-format on */
  if (!a->d) {
    set_err(err, errlen, "cannot start the HTTP server on %s", a->url);
    close(fd);
    rc = SY_EIO;
    goto fail_router;
  }
  a->drain_ms = opts->drain_ms ? opts->drain_ms : SY_API_DEFAULT_DRAIN_MS;
  *out = a;
  return SY_OK;

fail_router:
  sy_api_router_close(&a->router);
  free(a);
  return rc;
}

int sy_api_port(const sy_api *a) { return a ? a->port : 0; }

const char *sy_api_url(const sy_api *a) { return a ? a->url : ""; }

void sy_api_stop(sy_api *a) {
  if (!a) return;
  atomic_store(&a->router.stopping, 1);
  /* Stop accepting; MHD hands the listening socket back, to be closed only
   * after MHD_stop_daemon (a thread may still hold it until then). */
  int fd = MHD_quiesce_daemon(a->d);
  uint64_t deadline = mono_us() + (uint64_t)a->drain_ms * 1000u;
  while (atomic_load(&a->router.inflight) > 0 && mono_us() < deadline) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  /* Closes every connection, then joins each connection's thread. */
  MHD_stop_daemon(a->d);
  if (fd >= 0) close(fd);
  sy_api_router_close(&a->router);
  free(a);
}
