/* sy_loadgen: a load generator for suyuand (bench/README.md).
 *
 * It pre-signs single-event RECORD transactions (client work, done before the
 * clock starts, on every core) -- or, with --events N, epcis.capture
 * transactions whose payload is an EPCISDocument of N events from the
 * synthetic supply chain of chain_gen.h -- then submits them over many HTTP/1.1
 * keep-alive connections to POST /v1/tx?wait=commit and measures what the node
 * acknowledges. `--check FILE` reads transaction ids back with GET /v1/tx/{id}.
 *
 * The HTTP side is deliberately small: plain non-blocking sockets driven by one
 * edge-triggered epoll per worker thread, one request in flight per
 * connection, responses parsed just enough for the status, Content-Length (or
 * chunked framing) and the JSON body. No libcurl: per-request overhead must
 * stay far below the node's so that the figures measure the node.
 *
 * Failure policy (used by the crash test, which SIGKILLs the node mid-run):
 * a refused, reset or timed-out connection is counted, the connection backs
 * off and reconnects, and after --max-reconnects consecutive failures it is
 * given up; when every connection is given up the run ends. Nothing waits
 * without a deadline, so the program always exits. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "chain_gen.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "core/tx.h"
#include "crypto/suite.h"

#define MAX_RESPONSE (16u << 20) /* a bigger answer is a protocol error */
#define MAX_HEADER 16384
#define STATUS_TIMEOUT_S 10.0
#define EXIT_USAGE 2
#define EXIT_ERRORS 3

/* ---- options and shared state --------------------------------------------- */

typedef struct opts {
  char host[256];
  char port[16];
  char prefix[256]; /* path prefix from the URL, without trailing '/' */
  const char *key_file;
  const char *chain;
  const char *ack_log;
  const char *check_file;
  int conns;
  int threads;
  int sign_threads;
  long long total; /* -n; 0 when -d */
  double duration; /* -d; 0 when -n */
  long long presign;
  int no_wait;
  int json;
  double timeout_s;
  double connect_timeout_s;
  int max_reconnects;
  int retries;
  int quiet;
  int events;   /* --events: epcis.capture documents of this many events; 0 = RECORD */
  long node_pid; /* --node-pid: read the node's CPU time from /proc around the run */
} opts;

static opts g_o;
static struct addrinfo *g_addr; /* resolved node address, read-only after start */
/* --node URL,URL,...: connection i talks to node i % g_nnodes (a cluster's
 * peers); node 0 is also g_o.host/port/prefix and g_addr. */
#define MAX_NODES 16
typedef struct node_addr {
  char host[256], port[16], prefix[256];
  struct addrinfo *addr;
} node_addr;
static node_addr g_nodes[MAX_NODES];
static int g_nnodes;
static atomic_int g_stop;       /* SIGINT: take no new jobs */
static int g_ack_fd = -1;

/* Jobs: pre-signed envelopes (load mode) or ids to read back (check mode). */
typedef struct job {
  uint8_t *env; /* envelope bytes (load mode); NULL in check mode */
  uint32_t env_len;
  uint8_t id[SY_HASH_LEN];
} job;

static job *g_jobs;
static size_t g_njobs;
static atomic_size_t g_next_job;
static double g_deadline; /* monotonic seconds; 0 = none */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sy_loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_USAGE);
}

static void note(const char *fmt, ...) {
  if (g_o.quiet) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("sy_loadgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- statistics ------------------------------------------------------------ */

/* A few distinct problem/reason tokens with counts, to say *why* things failed. */
#define NTOKENS 8
typedef struct token_count {
  char token[48];
  int status;
  long long n;
} token_count;

typedef struct stats {
  long long sent;         /* distinct jobs sent at least once */
  long long requests;     /* requests sent, retries included */
  long long ok_valid;     /* 200 committed valid (check mode: present and valid) */
  long long ok_invalid;   /* 200 committed with valid:false */
  long long accepted;     /* 202 */
  long long s4xx, s404, s409, s5xx, s503, sother;
  long long connect_errors; /* could not connect (refused: the node is down) */
  long long conn_errors;  /* reset or closed mid-request */
  long long timeouts;     /* request or connect deadline passed */
  long long proto_errors; /* unparseable answers */
  long long id_mismatch;  /* node's id differs from H(envelope) */
  long long abandoned;    /* jobs given up after retries / dead connections */
  long long dead_conns;
  uint32_t *lat_ok; /* microseconds, acknowledged requests */
  size_t n_ok, cap_ok;
  uint32_t *lat_all; /* microseconds, every complete answer */
  size_t n_all, cap_all;
  token_count tokens[NTOKENS];
  size_t ntokens;
  /* check mode: indexes of jobs found missing / invalid (first few) */
  size_t missing[10], nmissing_kept;
  long long missing_n;
  size_t invalid[10], ninvalid_kept;
  double last_done; /* time of the last complete answer */
} stats;

static void lat_push(uint32_t **v, size_t *n, size_t *cap, uint32_t us) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 4096;
    uint32_t *nv = realloc(*v, nc * sizeof *nv);
    if (!nv) return; /* drop the sample rather than the run */
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = us;
}

static void token_add(stats *s, int status, const char *token, long long n) {
  if (!token || !*token) token = "-";
  for (size_t i = 0; i < s->ntokens; i++)
    if (s->tokens[i].status == status && strcmp(s->tokens[i].token, token) == 0) {
      s->tokens[i].n += n;
      return;
    }
  if (s->ntokens == NTOKENS) return;
  token_count *t = &s->tokens[s->ntokens++];
  snprintf(t->token, sizeof t->token, "%s", token);
  t->status = status;
  t->n = n;
}

/* ---- HTTP response parsing ---------------------------------------------- */

typedef struct http_resp {
  int status;
  int close;           /* Connection: close, or HTTP/1.0 without keep-alive */
  double retry_after;  /* seconds, 0 when absent */
  const char *body;    /* points into the connection's buffer, or into dechunked */
  size_t body_len;
  size_t consumed;     /* bytes of the input buffer this answer used */
} http_resp;

/* Case-insensitive header lookup within [p, end) of a single header line. */
static int header_is(const char *line, size_t len, const char *name, const char **val,
                     size_t *val_len) {
  size_t nl = strlen(name);
  if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0) return 0;
  const char *v = line + nl + 1, *e = line + len;
  while (v < e && (*v == ' ' || *v == '\t')) v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
  *val = v;
  *val_len = (size_t)(e - v);
  return 1;
}

/* Decodes a chunked body from in[0..len) into *out (realloc'd). Returns the
 * number of input bytes used when complete, 0 when more input is needed, -1
 * when malformed. */
static long dechunk(const char *in, size_t len, char **out, size_t *out_len) {
  size_t off = 0, olen = 0;
  for (;;) {
    const char *crlf = memmem(in + off, len - off, "\r\n", 2);
    if (!crlf) return len - off > 64 ? -1 : 0;
    char *endp;
    unsigned long long sz = strtoull(in + off, &endp, 16);
    if (endp == in + off || sz > MAX_RESPONSE) return -1;
    off = (size_t)(crlf - in) + 2;
    if (sz == 0) {
      /* trailers, then an empty line */
      for (;;) {
        const char *e = memmem(in + off, len - off, "\r\n", 2);
        if (!e) return 0;
        size_t l = (size_t)(e - (in + off));
        off += l + 2;
        if (l == 0) break;
      }
      *out_len = olen;
      return (long)off;
    }
    if (len - off < sz + 2) return 0;
    if (in[off + sz] != '\r' || in[off + sz + 1] != '\n') return -1;
    char *no = realloc(*out, olen + sz + 1);
    if (!no) return -1;
    *out = no;
    memcpy(*out + olen, in + off, sz);
    olen += sz;
    (*out)[olen] = 0;
    off += sz + 2;
  }
}

/* Tries to parse one complete answer from buf[0..len). Returns 1 when
 * complete (r filled), 0 when more bytes are needed, -1 on a protocol error.
 * `eof` says the peer closed (completes a body delimited by close). */
static int http_parse(const char *buf, size_t len, int eof, char **chunk_buf, http_resp *r) {
  const char *he = memmem(buf, len, "\r\n\r\n", 4);
  if (!he) return len > MAX_HEADER ? -1 : 0;
  size_t hlen = (size_t)(he - buf) + 4;
  memset(r, 0, sizeof *r);
  if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) return -1;
  int minor = buf[7] - '0';
  char *endp;
  long st = strtol(buf + 9, &endp, 10);
  if (st < 100 || st > 599 || endp != buf + 12) return -1;
  r->status = (int)st;
  r->close = minor == 0;
  long long clen = -1;
  int chunked = 0;
  const char *line = memchr(buf, '\n', hlen) + 1;
  while (line < he + 2) {
    const char *eol = memmem(line, (size_t)(he + 2 - line), "\r\n", 2);
    if (!eol) break;
    size_t ll = (size_t)(eol - line), vl;
    const char *v;
    if (header_is(line, ll, "Content-Length", &v, &vl)) {
      char tmp[24];
      if (vl == 0 || vl >= sizeof tmp) return -1;
      memcpy(tmp, v, vl);
      tmp[vl] = 0;
      clen = strtoll(tmp, &endp, 10);
      if (*endp || clen < 0 || clen > (long long)MAX_RESPONSE) return -1;
    } else if (header_is(line, ll, "Transfer-Encoding", &v, &vl)) {
      if (vl >= 7 && strncasecmp(v + vl - 7, "chunked", 7) == 0) chunked = 1;
    } else if (header_is(line, ll, "Connection", &v, &vl)) {
      if (vl == 5 && strncasecmp(v, "close", 5) == 0) r->close = 1;
      if (vl == 10 && strncasecmp(v, "keep-alive", 10) == 0) r->close = 0;
    } else if (header_is(line, ll, "Retry-After", &v, &vl)) {
      r->retry_after = atof(v); /* delay-seconds form; a date parses as 0 */
    }
    line = eol + 2;
  }
  if (st < 200) return -1; /* no 1xx: we never send Expect */
  if (st == 204 || st == 304) {
    r->consumed = hlen;
    return 1;
  }
  if (chunked) {
    size_t blen = 0;
    long used = dechunk(buf + hlen, len - hlen, chunk_buf, &blen);
    if (used < 0) return -1;
    if (used == 0) return eof ? -1 : 0;
    r->body = *chunk_buf ? *chunk_buf : "";
    r->body_len = blen;
    r->consumed = hlen + (size_t)used;
    return 1;
  }
  if (clen >= 0) {
    if (len - hlen < (size_t)clen) return eof ? -1 : 0;
    r->body = buf + hlen;
    r->body_len = (size_t)clen;
    r->consumed = hlen + (size_t)clen;
    return 1;
  }
  /* Delimited by close. */
  if (!eof) return len > MAX_RESPONSE ? -1 : 0;
  r->body = buf + hlen;
  r->body_len = len - hlen;
  r->consumed = len;
  r->close = 1;
  return 1;
}

/* ---- connections -------------------------------------------------------------- */

enum {
  C_IDLE,       /* no socket; connect when the worker gets to it */
  C_BACKOFF,    /* no socket; connect at t_wake */
  C_CONNECTING, /* connect() in progress */
  C_WRITING,
  C_READING,
  C_PAUSE,      /* waiting until t_wake before resending (503); socket may be open */
  C_NEXT,       /* answered; on the worker's ready list to send the next request */
  C_DONE,
  C_DEAD
};

#define NO_JOB SIZE_MAX

typedef struct worker worker;

typedef struct conn {
  worker *w;
  int fd;
  int state;
  size_t job; /* current job, NO_JOB when none */
  int tries;  /* times the current job was sent */
  char *obuf;
  size_t olen, ooff, ocap;
  char *ibuf;
  size_t ilen, icap;
  char *chunk; /* dechunked body scratch */
  double t_sent, t_wake, t_conn;
  int fails;  /* consecutive failures without a complete answer */
  int served; /* answers on this socket */
  int queued;     /* on the worker's ready list */
  int rd_pending; /* readable edge seen while writing */
  int node;       /* index in g_nodes */
} conn;

/* Answers never call the next request directly: the connection goes on a
 * ready list the loop drains, so a node that answers instantly cannot drive
 * the call stack deeper and deeper. */
struct worker {
  int id;
  int ep;
  conn *c;
  int nc;
  int active;
  conn **ready;
  int nready;
  stats st;
  pthread_t th;
};

static void conn_close(conn *c) {
  if (c->fd >= 0) {
    epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  c->fd = -1;
  c->ilen = 0;
  c->olen = c->ooff = 0;
  c->served = 0;
  c->rd_pending = 0;
}

static void conn_finish(conn *c, int state) {
  conn_close(c);
  if (c->job != NO_JOB) {
    c->w->st.abandoned++;
    c->job = NO_JOB;
  }
  if (state == C_DEAD) c->w->st.dead_conns++;
  c->state = state;
  c->w->active--;
}

/* 1 when no job is left to take (the run is ending). */
static int jobs_exhausted(void) {
  return atomic_load_explicit(&g_stop, memory_order_relaxed) ||
         (g_deadline > 0 && now_s() >= g_deadline) ||
         atomic_load_explicit(&g_next_job, memory_order_relaxed) >= g_njobs;
}

/* Takes the next job, or NO_JOB when the run is over. */
static size_t next_job(void) {
  if (atomic_load_explicit(&g_stop, memory_order_relaxed)) return NO_JOB;
  if (g_deadline > 0 && now_s() >= g_deadline) return NO_JOB;
  size_t j = atomic_fetch_add_explicit(&g_next_job, 1, memory_order_relaxed);
  return j < g_njobs ? j : NO_JOB;
}

static int obuf_reserve(conn *c, size_t n) {
  if (n <= c->ocap) return 0;
  char *p = realloc(c->obuf, n);
  if (!p) return -1;
  c->obuf = p;
  c->ocap = n;
  return 0;
}

/* Builds the request for c->job into c->obuf. */
static int build_request(conn *c) {
  const job *j = &g_jobs[c->job];
  const node_addr *na = &g_nodes[c->node];
  char head[768];
  int hl;
  if (g_o.check_file) {
    char hex[2 * SY_HASH_LEN + 1];
    sy_hex_encode(hex, j->id, SY_HASH_LEN);
    hl = snprintf(head, sizeof head,
                  "GET %s/v1/tx/%s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n\r\n",
                  na->prefix, hex, na->host, na->port);
    if (hl < 0 || (size_t)hl >= sizeof head || obuf_reserve(c, (size_t)hl)) return -1;
    memcpy(c->obuf, head, (size_t)hl);
    c->olen = (size_t)hl;
  } else {
    hl = snprintf(head, sizeof head,
                  "POST %s/v1/tx%s HTTP/1.1\r\nHost: %s:%s\r\n"
                  "Content-Type: application/octet-stream\r\nContent-Length: %u\r\n\r\n",
                  na->prefix, g_o.no_wait ? "" : "?wait=commit", na->host, na->port,
                  (unsigned)j->env_len);
    if (hl < 0 || (size_t)hl >= sizeof head || obuf_reserve(c, (size_t)hl + j->env_len))
      return -1;
    memcpy(c->obuf, head, (size_t)hl);
    memcpy(c->obuf + hl, j->env, j->env_len);
    c->olen = (size_t)hl + j->env_len;
  }
  c->ooff = 0;
  return 0;
}

static void conn_connect(conn *c);
static void conn_send(conn *c);

enum { F_CONNECT, F_LOST, F_TIMEOUT };

/* A failure without a complete answer: count, back off, or give up. */
static void conn_fail(conn *c, int kind) {
  stats *s = &c->w->st;
  int timed_out = kind == F_TIMEOUT;
  if (kind == F_TIMEOUT)
    s->timeouts++;
  else if (kind == F_CONNECT)
    s->connect_errors++;
  else
    s->conn_errors++;
  conn_close(c);
  c->fails++;
  if (c->job != NO_JOB) {
    /* A POST whose answer timed out is not resent: the node is slow, and
     * resending only adds load. GETs are idempotent and always retried. */
    int retry = c->tries <= g_o.retries && (!timed_out || g_o.check_file);
    if (!retry) {
      s->abandoned++;
      c->job = NO_JOB;
    }
  }
  if (c->fails > g_o.max_reconnects) {
    conn_finish(c, C_DEAD);
    return;
  }
  double delay = 0.05 * (double)(1 << (c->fails < 6 ? c->fails - 1 : 5));
  if (delay > 1.0) delay = 1.0;
  c->state = C_BACKOFF;
  c->t_wake = now_s() + delay;
}

static void conn_connect(conn *c) {
  const struct addrinfo *ai = g_nodes[c->node].addr;
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    conn_fail(c, F_CONNECT);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* A live node's kernel acknowledges our bytes at once, however slow the
   * node is; unacknowledged data for this long means the peer is gone (e.g.
   * killed while the connection sat in its accept queue), which would
   * otherwise only show after many retransmissions or the request timeout. */
  unsigned int uto = 10000;
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof uto);
  c->fd = fd;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(c->w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    conn_fail(c, F_CONNECT);
    return;
  }
  c->t_conn = now_s();
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
    conn_send(c);
    return;
  }
  if (errno != EINPROGRESS) {
    conn_fail(c, F_CONNECT);
    return;
  }
  c->state = C_CONNECTING;
}

static void handle_answer(conn *c, const http_resp *r, double t) {
  stats *s = &c->w->st;
  uint32_t us = (uint32_t)fmin((t - c->t_sent) * 1e6, (double)UINT32_MAX);
  lat_push(&s->lat_all, &s->n_all, &s->cap_all, us);
  s->last_done = t;
  c->fails = 0;
  c->served++;
  const job *j = &g_jobs[c->job];
  int done = 1, ok = 0;
  cJSON *body = NULL;
  if (r->status == 200 || r->status == 202 || r->status >= 400)
    body = cJSON_ParseWithLength(r->body, r->body_len);
  if (r->status == 200) {
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(body, "valid");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
    char want[2 * SY_HASH_LEN + 1];
    sy_hex_encode(want, j->id, SY_HASH_LEN);
    if (!cJSON_IsString(id) || strcasecmp(id->valuestring, want) != 0) {
      s->id_mismatch++;
    } else if (cJSON_IsTrue(valid)) {
      s->ok_valid++;
      ok = 1;
      if (g_ack_fd >= 0 && !g_o.check_file) {
        char line[2 * SY_HASH_LEN + 2];
        memcpy(line, want, 2 * SY_HASH_LEN);
        line[2 * SY_HASH_LEN] = '\n';
        /* One write(2) per line, O_APPEND: whole lines even when killed. */
        if (write(g_ack_fd, line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
          note("ack log write failed: %s", strerror(errno));
      }
    } else {
      s->ok_invalid++;
      token_add(s, 200, cJSON_IsString(reason) ? reason->valuestring : "invalid", 1);
      if (g_o.check_file && s->ninvalid_kept < 10) s->invalid[s->ninvalid_kept++] = c->job;
    }
  } else if (r->status == 202) {
    s->accepted++;
    ok = g_o.no_wait;
  } else {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
    const char *tok = cJSON_IsString(type) ? type->valuestring : NULL;
    if (tok && strncmp(tok, "urn:suyuan:problem:", 19) == 0) tok += 19;
    if (r->status >= 500) {
      s->s5xx++;
      if (r->status == 503) s->s503++;
      token_add(s, r->status, tok, 1);
      /* Not admitted (overloaded) or not written: safe to send again. */
      if ((r->status == 503 || r->status == 507) && c->tries <= g_o.retries) done = 0;
    } else if (r->status >= 400) {
      s->s4xx++;
      if (r->status == 404) s->s404++;
      if (r->status == 409) s->s409++;
      if (!(g_o.check_file && r->status == 404)) token_add(s, r->status, tok, 1);
      if (g_o.check_file && r->status == 404) {
        s->missing_n++;
        if (s->nmissing_kept < 10) s->missing[s->nmissing_kept++] = c->job;
      }
    } else {
      s->sother++;
      token_add(s, r->status, "unexpected-status", 1);
    }
  }
  cJSON_Delete(body);
  if (ok) lat_push(&s->lat_ok, &s->n_ok, &s->cap_ok, us);
  if (done) {
    c->job = NO_JOB;
    c->tries = 0;
  }
  /* Keep any bytes past this answer (there should be none). */
  memmove(c->ibuf, c->ibuf + r->consumed, c->ilen - r->consumed);
  c->ilen -= r->consumed;
  if (r->close) conn_close(c);
  if (!done) { /* C_PAUSE reconnects first if the node closed the socket */
    double d = r->retry_after > 0 ? fmin(r->retry_after, 1.0) : 0.2;
    c->state = C_PAUSE;
    c->t_wake = t + d;
    return;
  }
  if (r->close) {
    c->state = C_IDLE;
    return;
  }
  c->state = C_NEXT;
  if (!c->queued) {
    c->queued = 1;
    c->w->ready[c->w->nready++] = c;
  }
}

/* Reads what has arrived and handles a complete answer. With one request in
 * flight nothing follows an answer until the next request, so a complete
 * answer ends the read without the extra recv() that would return EAGAIN;
 * a close after it raises a new edge (EPOLLRDHUP) of its own. */
static void conn_read(conn *c) {
  for (;;) {
    if (c->icap - c->ilen < 4096) {
      size_t nc = c->icap ? c->icap * 2 : 8192;
      if (nc > MAX_RESPONSE + MAX_HEADER) {
        c->w->st.proto_errors++;
        conn_fail(c, F_LOST);
        return;
      }
      char *p = realloc(c->ibuf, nc);
      if (!p) {
        conn_fail(c, F_LOST);
        return;
      }
      c->ibuf = p;
      c->icap = nc;
    }
    ssize_t n = recv(c->fd, c->ibuf + c->ilen, c->icap - c->ilen, 0);
    if (n > 0) {
      c->ilen += (size_t)n;
      if (c->state != C_READING) {
        c->ilen = 0; /* unsolicited: would corrupt the next answer */
        continue;
      }
      http_resp r;
      int pr = http_parse(c->ibuf, c->ilen, 0, &c->chunk, &r);
      if (pr < 0) {
        c->w->st.proto_errors++;
        conn_fail(c, F_LOST);
        return;
      }
      if (pr > 0) {
        handle_answer(c, &r, now_s());
        return;
      }
      continue;
    }
    if (n == 0) break; /* the peer closed */
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (c->state == C_READING)
      conn_fail(c, F_LOST); /* ECONNRESET and friends */
    else
      conn_close(c); /* nothing was outstanding: reconnect when needed */
    return;
  }
  /* The peer closed. */
  if (c->state != C_READING) {
    conn_close(c); /* nothing outstanding: reconnect when needed */
    return;
  }
  http_resp r;
  int pr = c->ilen ? http_parse(c->ibuf, c->ilen, 1, &c->chunk, &r) : -1;
  if (pr <= 0) {
    if (c->ilen) c->w->st.proto_errors++;
    conn_fail(c, F_LOST); /* closed before a complete answer: killed, or idle-closed */
    return;
  }
  r.close = 1;
  handle_answer(c, &r, now_s());
}

/* Writes until done or EAGAIN; then waits for the answer. */
static void conn_write(conn *c) {
  while (c->ooff < c->olen) {
    ssize_t n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
    if (n > 0) {
      c->ooff += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    conn_fail(c, F_LOST);
    return;
  }
  c->state = C_READING;
  /* Edge-triggered: bytes that came while writing (an early answer) raised
   * their edge already; read them now. Otherwise the answer's edge is ahead. */
  if (c->rd_pending) {
    c->rd_pending = 0;
    conn_read(c);
  }
}

/* Starts the next request on a connected socket, or ends the connection. */
static void conn_send(conn *c) {
  if (c->job == NO_JOB) {
    c->job = next_job();
    c->tries = 0;
    if (c->job == NO_JOB) {
      conn_finish(c, C_DONE);
      return;
    }
  }
  if (build_request(c) != 0) {
    conn_finish(c, C_DEAD);
    return;
  }
  if (c->tries == 0) c->w->st.sent++;
  c->tries++;
  c->w->st.requests++;
  c->t_sent = now_s();
  c->state = C_WRITING;
  conn_write(c);
}

static void on_event(conn *c, uint32_t ev) {
  switch (c->state) {
    case C_CONNECTING: {
      int err = 0;
      socklen_t l = sizeof err;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 || err != 0) {
        conn_fail(c, F_CONNECT);
        return;
      }
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      conn_send(c);
      return;
    }
    case C_WRITING:
      if (ev & (EPOLLERR | EPOLLHUP)) {
        conn_fail(c, F_LOST);
        return;
      }
      if (ev & (EPOLLIN | EPOLLRDHUP)) c->rd_pending = 1; /* read once written */
      conn_write(c);
      return;
    case C_READING:
    case C_PAUSE:
    case C_NEXT:
      if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) conn_read(c);
      return;
    default:
      return;
  }
}

/* Handles every deadline that has passed; returns ms until the next one. */
static int worker_timers(worker *w) {
  double t = now_s(), next = t + 0.2;
  for (int i = 0; i < w->nc; i++) {
    conn *c = &w->c[i];
    switch (c->state) {
      case C_IDLE:
        if (c->job == NO_JOB && jobs_exhausted()) {
          conn_finish(c, C_DONE);
          break;
        }
        conn_connect(c);
        break;
      case C_BACKOFF:
        if (t >= c->t_wake) {
          if (c->job == NO_JOB && jobs_exhausted()) {
            conn_finish(c, C_DONE);
            break;
          }
          conn_connect(c);
        } else if (c->t_wake < next) {
          next = c->t_wake;
        }
        break;
      case C_CONNECTING:
        if (t - c->t_conn > g_o.connect_timeout_s)
          conn_fail(c, F_CONNECT);
        else if (c->t_conn + g_o.connect_timeout_s < next)
          next = c->t_conn + g_o.connect_timeout_s;
        break;
      case C_WRITING:
      case C_READING:
        if (t - c->t_sent > g_o.timeout_s)
          conn_fail(c, F_TIMEOUT);
        else if (c->t_sent + g_o.timeout_s < next)
          next = c->t_sent + g_o.timeout_s;
        break;
      case C_PAUSE:
        if (t >= c->t_wake) {
          if (c->fd < 0) {
            c->state = C_IDLE;
            conn_connect(c);
          } else {
            conn_send(c);
          }
        } else if (c->t_wake < next) {
          next = c->t_wake;
        }
        break;
      default:
        break;
    }
  }
  double ms = (next - now_s()) * 1000.0;
  return ms < 1 ? 1 : (int)ms;
}

static void drain_ready(worker *w) {
  while (w->nready > 0) {
    conn *c = w->ready[--w->nready];
    c->queued = 0;
    if (c->state != C_NEXT) continue;
    if (c->fd < 0) { /* the node closed it meanwhile */
      if (jobs_exhausted()) {
        conn_finish(c, C_DONE);
        continue;
      }
      conn_connect(c);
    } else {
      conn_send(c);
    }
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  struct epoll_event evs[128];
  for (int i = 0; i < w->nc; i++) conn_connect(&w->c[i]);
  while (w->active > 0) {
    drain_ready(w);
    int timeout = worker_timers(w);
    drain_ready(w);
    if (w->active <= 0) break;
    int n = epoll_wait(w->ep, evs, 128, w->nready ? 0 : timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
  }
  return NULL;
}

/* ---- one blocking request (GET /v1/status before the run) ---------------- */

/* GETs path; on success *status and *body (NUL-terminated, caller frees).
 * Returns 0, or -1 with a message in err. */
static int http_get_blocking(const char *path, int *status, char **body, char *err,
                             size_t errlen) {
  int fd = socket(g_addr->ai_family, g_addr->ai_socktype | SOCK_CLOEXEC, g_addr->ai_protocol);
  if (fd < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return -1;
  }
  struct timeval tv = {.tv_sec = (time_t)STATUS_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char *buf = NULL, *chunk = NULL;
  size_t len = 0, cap = 0;
  int rc = -1;
  if (connect(fd, g_addr->ai_addr, g_addr->ai_addrlen) != 0) {
    snprintf(err, errlen, "connect to %s port %s: %s", g_o.host, g_o.port, strerror(errno));
    goto out;
  }
  char req[1024];
  int rl = snprintf(req, sizeof req,
                    "GET %s%s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n"
                    "Connection: close\r\n\r\n",
                    g_o.prefix, path, g_o.host, g_o.port);
  if (rl < 0 || (size_t)rl >= sizeof req || send(fd, req, (size_t)rl, MSG_NOSIGNAL) != rl) {
    snprintf(err, errlen, "send: %s", strerror(errno));
    goto out;
  }
  for (;;) {
    if (cap - len < 4096) {
      cap = cap ? cap * 2 : 16384;
      if (cap > MAX_RESPONSE) {
        snprintf(err, errlen, "answer too large");
        goto out;
      }
      char *nb = realloc(buf, cap);
      if (!nb) {
        snprintf(err, errlen, "out of memory");
        goto out;
      }
      buf = nb;
    }
    ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(err, errlen, "recv: %s", errno == EAGAIN ? "timed out" : strerror(errno));
      goto out;
    }
    len += (size_t)n;
    http_resp r;
    int pr = http_parse(buf, len, n == 0, &chunk, &r);
    if (pr < 0) {
      snprintf(err, errlen, "malformed HTTP answer");
      goto out;
    }
    if (pr == 1) {
      *status = r.status;
      *body = malloc(r.body_len + 1);
      if (!*body) goto out;
      memcpy(*body, r.body, r.body_len);
      (*body)[r.body_len] = 0;
      rc = 0;
      goto out;
    }
    if (n == 0) {
      snprintf(err, errlen, "connection closed before a complete answer");
      goto out;
    }
  }
out:
  free(buf);
  free(chunk);
  close(fd);
  return rc;
}

/* ---- pre-signing ------------------------------------------------------------ */

typedef struct sign_task {
  const sy_key *key;
  const char *chain;
  uint64_t nonce_base;
  size_t lo, hi;
  int rc;
  size_t payload_max;
  uint64_t family; /* --events: first supply-chain family of the run */
} sign_task;

/* A single EPCIS 2.0 ObjectEvent (shipping), ~300 bytes of JSON, with a
 * serial that is unique per transaction. */
static int make_payload(char *out, size_t cap, uint64_t serial, uint64_t ts_ms) {
  time_t secs = (time_t)(ts_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  int n = snprintf(out, cap,
                   "{\"type\":\"ObjectEvent\","
                   "\"eventTime\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\","
                   "\"eventTimeZoneOffset\":\"+08:00\","
                   "\"epcList\":[\"urn:epc:id:sgtin:6901234.012345.%llu\"],"
                   "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\",\"disposition\":\"in_transit\","
                   "\"readPoint\":{\"id\":\"urn:epc:id:sgln:6901234.00001.0\"},"
                   "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00002.0\"}}",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, (int)(ts_ms % 1000), (unsigned long long)serial);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

static void *sign_main(void *arg) {
  sign_task *t = arg;
  const sy_suite *s = sy_key_suite(t->key);
  size_t cap = g_o.events ? (size_t)g_o.events * 1200 + 4096 : 1024;
  char *payload = malloc(cap);
  sy_buf b = {0};
  struct timespec ts;
  if (!payload) t->rc = SY_ENOMEM;
  for (size_t i = t->lo; i < t->hi && payload; i++) {
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    uint64_t nonce = t->nonce_base + i;
    int pl;
    if (g_o.events) { /* events [i*N, (i+1)*N) of the run's supply-chain stream */
      cg_out o = {.p = payload, .cap = cap};
      cg_document(&o, t->family, (uint64_t)i * (uint64_t)g_o.events, (uint32_t)g_o.events);
      pl = o.over ? -1 : (int)o.len;
    } else {
      pl = make_payload(payload, cap, nonce, ms);
    }
    if (pl < 0) {
      t->rc = SY_EINVAL;
      break;
    }
    if ((size_t)pl > t->payload_max) t->payload_max = (size_t)pl;
    sy_buf_reset(&b);
    int rc = sy_key_sign_tx(t->key, &b, g_o.events ? SY_TX_EPCIS_CAPTURE : SY_TX_RECORD, t->chain,
                            ms, nonce, (const uint8_t *)payload, (size_t)pl);
    if (rc) {
      t->rc = rc;
      break;
    }
    job *j = &g_jobs[i];
    j->env = malloc(b.len);
    if (!j->env) {
      t->rc = SY_ENOMEM;
      break;
    }
    memcpy(j->env, b.p, b.len);
    j->env_len = (uint32_t)b.len;
    sy_slice sl = {j->env, b.len};
    s->hash(&sl, 1, j->id); /* the id the node must answer with: H(envelope) */
  }
  free(payload);
  sy_buf_free(&b);
  return NULL;
}

/* The node's CPU time (user + system, all threads) from /proc/PID/stat, in
 * seconds; -1 when unreadable. */
static double proc_cpu_s(long pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold spaces */
  unsigned long long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- check mode input ------------------------------------------------------- */

static void read_ids(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open %s: %s", path, strerror(errno));
  size_t cap = 1024;
  g_jobs = calloc(cap, sizeof *g_jobs);
  if (!g_jobs) die("out of memory");
  char line[512];
  long lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *p = line, *e = line + strlen(line);
    while (*p == ' ' || *p == '\t') p++;
    while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e == p || *p == '#') continue;
    if (g_njobs == cap) {
      cap *= 2;
      job *nj = realloc(g_jobs, cap * sizeof *nj);
      if (!nj) die("out of memory");
      g_jobs = nj;
    }
    job *j = &g_jobs[g_njobs];
    memset(j, 0, sizeof *j);
    if (sy_hex_decode(j->id, SY_HASH_LEN, p, (size_t)(e - p)) != SY_OK)
      die("%s:%ld: not a transaction id (64 hex characters)", path, lineno);
    g_njobs++;
  }
  fclose(f);
}

/* ---- results -------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct pct {
  double p50, p90, p99, max;
  size_t n;
} pct;

static pct percentiles(uint32_t *v, size_t n) {
  pct p = {0, 0, 0, 0, n};
  if (!n) return p;
  qsort(v, n, sizeof *v, cmp_u32);
  /* nearest rank */
  size_t i50 = (size_t)ceil(0.50 * (double)n), i90 = (size_t)ceil(0.90 * (double)n),
         i99 = (size_t)ceil(0.99 * (double)n);
  p.p50 = v[(i50 ? i50 : 1) - 1] / 1000.0;
  p.p90 = v[(i90 ? i90 : 1) - 1] / 1000.0;
  p.p99 = v[(i99 ? i99 : 1) - 1] / 1000.0;
  p.max = v[n - 1] / 1000.0;
  return p;
}

static void merge_stats(stats *t, stats *s) {
  t->sent += s->sent;
  t->requests += s->requests;
  t->ok_valid += s->ok_valid;
  t->ok_invalid += s->ok_invalid;
  t->accepted += s->accepted;
  t->s4xx += s->s4xx;
  t->s404 += s->s404;
  t->s409 += s->s409;
  t->s5xx += s->s5xx;
  t->s503 += s->s503;
  t->sother += s->sother;
  t->conn_errors += s->conn_errors;
  t->connect_errors += s->connect_errors;
  t->timeouts += s->timeouts;
  t->proto_errors += s->proto_errors;
  t->id_mismatch += s->id_mismatch;
  t->abandoned += s->abandoned;
  t->dead_conns += s->dead_conns;
  t->missing_n += s->missing_n;
  if (s->last_done > t->last_done) t->last_done = s->last_done;
  for (size_t i = 0; i < s->n_ok; i++) lat_push(&t->lat_ok, &t->n_ok, &t->cap_ok, s->lat_ok[i]);
  for (size_t i = 0; i < s->n_all; i++)
    lat_push(&t->lat_all, &t->n_all, &t->cap_all, s->lat_all[i]);
  for (size_t i = 0; i < s->ntokens; i++)
    token_add(t, s->tokens[i].status, s->tokens[i].token, s->tokens[i].n);
  for (size_t i = 0; i < s->nmissing_kept && t->nmissing_kept < 10; i++)
    t->missing[t->nmissing_kept++] = s->missing[i];
  for (size_t i = 0; i < s->ninvalid_kept && t->ninvalid_kept < 10; i++)
    t->invalid[t->ninvalid_kept++] = s->invalid[i];
}

static cJSON *pct_json(const pct *p) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "p50", round(p->p50 * 1000) / 1000);
  cJSON_AddNumberToObject(o, "p90", round(p->p90 * 1000) / 1000);
  cJSON_AddNumberToObject(o, "p99", round(p->p99 * 1000) / 1000);
  cJSON_AddNumberToObject(o, "max", round(p->max * 1000) / 1000);
  cJSON_AddNumberToObject(o, "n", (double)p->n);
  return o;
}

static cJSON *errors_json(const stats *t) {
  cJSON *e = cJSON_CreateObject();
  cJSON_AddNumberToObject(e, "connect", (double)t->connect_errors);
  cJSON_AddNumberToObject(e, "lost", (double)t->conn_errors);
  cJSON_AddNumberToObject(e, "timeout", (double)t->timeouts);
  cJSON_AddNumberToObject(e, "protocol", (double)t->proto_errors);
  cJSON_AddNumberToObject(e, "id_mismatch", (double)t->id_mismatch);
  cJSON_AddNumberToObject(e, "unanswered", (double)t->abandoned);
  cJSON_AddNumberToObject(e, "dead_connections", (double)t->dead_conns);
  return e;
}

static cJSON *tokens_json(const stats *t) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < t->ntokens; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "status", t->tokens[i].status);
    cJSON_AddStringToObject(o, "token", t->tokens[i].token);
    cJSON_AddNumberToObject(o, "count", (double)t->tokens[i].n);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

static void print_tokens(const stats *t) {
  for (size_t i = 0; i < t->ntokens; i++)
    printf("             %lld x %d %s\n", t->tokens[i].n, t->tokens[i].status, t->tokens[i].token);
}

static void print_json(cJSON *o) {
  char *text = cJSON_PrintUnformatted(o);
  if (text) puts(text);
  free(text);
  cJSON_Delete(o);
}

/* ---- command line ------------------------------------------------------------ */

static void usage(FILE *f) {
  fputs("usage: sy_loadgen --node URL --key FILE [--chain ID] [-c CONNS] [-n TXS | -d SECONDS]\n"
        "                  [--no-wait] [--ack-log FILE] [--json] [options]\n"
        "       sy_loadgen --node URL --check FILE [-c CONNS] [--json]\n"
        "\n"
        "Submits pre-signed single-event RECORD transactions to POST /v1/tx?wait=commit\n"
        "over HTTP/1.1 keep-alive connections and reports acknowledged tx/s and latency.\n"
        "Signing happens before the clock starts (client work, not node work).\n"
        "\n"
        "  --node URL[,URL...]   the node, http://HOST:PORT[/prefix]; several URLs (a\n"
        "                        cluster's peers): connection i talks to URL i mod n\n"
        "  --key FILE            keystore of a member with the recorder role;\n"
        "                        passphrase from $SUYUAN_PASSPHRASE\n"
        "  --chain ID            chain id (default: from GET /v1/status)\n"
        "  -c, --connections N   concurrent connections, one request in flight each (64)\n"
        "  -n, --txs N           transactions to send (default 10000)\n"
        "  -d, --duration S      send for S seconds instead (pre-signs --presign txs)\n"
        "      --presign N       transactions pre-signed for -d (default 200000)\n"
        "      --no-wait         POST /v1/tx without wait: count 202 admissions\n"
        "      --ack-log FILE    append the id of each committed valid tx, one per line\n"
        "      --check FILE      GET /v1/tx/{id} for every id in FILE; exit 0 only when\n"
        "                        all are present and valid\n"
        "  -t, --threads N       event-loop threads (default: nproc/4, at least 1)\n"
        "      --sign-threads N  pre-signing threads (default: nproc)\n"
        "      --timeout S       per-request timeout in seconds (40; the node answers\n"
        "                        wait=commit within 30 s by default)\n"
        "      --max-reconnects N  consecutive failures before a connection is given up (8)\n"
        "      --retries N       resends of a tx after 503/507 or a lost connection (3)\n"
        "      --events N        send epcis.capture transactions instead: an EPCISDocument\n"
        "                        of N events (1..10000) each, from the synthetic supply\n"
        "                        chain of bench/chain_gen.h; reports events/s as well\n"
        "      --node-pid PID    the node's process id: report its CPU time (from /proc)\n"
        "                        per acknowledged transaction and event\n"
        "      --json            print the results as one JSON object\n"
        "  -q, --quiet           no progress notes on stderr\n"
        "\n"
        "Exit status: 0 all acknowledged (check: all present and valid), 3 some were\n"
        "not, 2 usage or setup error.\n",
        f);
}

static long long parse_num(const char *s, const char *what, long long lo, long long hi) {
  char *e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (errno || e == s || *e || v < lo || v > hi)
    die("%s must be a number in %lld..%lld, not \"%s\"", what, lo, hi, s);
  return v;
}

static void parse_url(const char *url, node_addr *na) {
  const char *p = url;
  if (strncmp(p, "http://", 7) == 0)
    p += 7;
  else if (strstr(p, "://"))
    die("--node: only http:// is supported (%s)", url);
  const char *slash = strchr(p, '/');
  size_t hp_len = slash ? (size_t)(slash - p) : strlen(p);
  char hp[300];
  if (hp_len == 0 || hp_len >= sizeof hp) die("--node: bad URL %s", url);
  memcpy(hp, p, hp_len);
  hp[hp_len] = 0;
  const char *port = "80";
  char *h = hp;
  if (h[0] == '[') { /* [v6]:port */
    char *rb = strchr(h, ']');
    if (!rb) die("--node: bad URL %s", url);
    *rb = 0;
    h++;
    if (rb[1] == ':') port = rb + 2;
  } else {
    char *colon = strrchr(h, ':');
    if (colon) {
      *colon = 0;
      port = colon + 1;
    }
  }
  if (!*h || !*port || strlen(h) >= sizeof na->host || strlen(port) >= sizeof na->port)
    die("--node: bad URL %s", url);
  memcpy(na->host, h, strlen(h) + 1); /* lengths checked above */
  memcpy(na->port, port, strlen(port) + 1);
  if (slash) {
    size_t pl = strlen(slash);
    while (pl > 0 && slash[pl - 1] == '/') pl--;
    if (pl >= sizeof na->prefix) die("--node: path too long");
    memcpy(na->prefix, slash, pl);
    na->prefix[pl] = 0;
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int rc = getaddrinfo(na->host, na->port, &hints, &na->addr);
  if (rc != 0) die("cannot resolve %s: %s", na->host, gai_strerror(rc));
}

/* --node URL[,URL...] */
static void parse_nodes(const char *list) {
  char buf[4096];
  if (strlen(list) >= sizeof buf) die("--node: list too long");
  memcpy(buf, list, strlen(list) + 1);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (g_nnodes == MAX_NODES) die("--node: at most %d URLs", MAX_NODES);
    parse_url(t, &g_nodes[g_nnodes++]);
  }
  if (!g_nnodes) die("--node: no URL");
  memcpy(g_o.host, g_nodes[0].host, sizeof g_o.host);
  memcpy(g_o.port, g_nodes[0].port, sizeof g_o.port);
  memcpy(g_o.prefix, g_nodes[0].prefix, sizeof g_o.prefix);
  g_addr = g_nodes[0].addr;
}

static void on_signal(int sig) {
  if (atomic_exchange(&g_stop, 1)) _exit(128 + sig);
}

static int nproc(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (int)n;
}

int main(int argc, char **argv) {
  const char *node = NULL;
  g_o.conns = 64;
  g_o.timeout_s = 40;
  g_o.connect_timeout_s = 5;
  g_o.max_reconnects = 8;
  g_o.retries = 3;
  g_o.presign = 200000;
  g_o.threads = nproc() / 4 > 0 ? nproc() / 4 : 1;
  g_o.sign_threads = nproc();
  enum { O_NODE = 256, O_KEY, O_CHAIN, O_NOWAIT, O_ACK, O_CHECK, O_JSON, O_PRESIGN, O_SIGNT,
         O_TIMEOUT, O_MAXRC, O_RETRIES, O_EVENTS, O_NODEPID };
  static const struct option lo[] = {
      {"node", required_argument, 0, O_NODE},
      {"key", required_argument, 0, O_KEY},
      {"chain", required_argument, 0, O_CHAIN},
      {"connections", required_argument, 0, 'c'},
      {"txs", required_argument, 0, 'n'},
      {"duration", required_argument, 0, 'd'},
      {"threads", required_argument, 0, 't'},
      {"no-wait", no_argument, 0, O_NOWAIT},
      {"ack-log", required_argument, 0, O_ACK},
      {"check", required_argument, 0, O_CHECK},
      {"json", no_argument, 0, O_JSON},
      {"presign", required_argument, 0, O_PRESIGN},
      {"sign-threads", required_argument, 0, O_SIGNT},
      {"timeout", required_argument, 0, O_TIMEOUT},
      {"max-reconnects", required_argument, 0, O_MAXRC},
      {"retries", required_argument, 0, O_RETRIES},
      {"events", required_argument, 0, O_EVENTS},
      {"node-pid", required_argument, 0, O_NODEPID},
      {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "c:n:d:t:qh", lo, NULL)) != -1) {
    switch (opt) {
      case O_NODE: node = optarg; break;
      case O_KEY: g_o.key_file = optarg; break;
      case O_CHAIN: g_o.chain = optarg; break;
      case 'c': g_o.conns = (int)parse_num(optarg, "-c", 1, 100000); break;
      case 'n': g_o.total = parse_num(optarg, "-n", 1, 100000000); break;
      case 'd': {
        char *e;
        g_o.duration = strtod(optarg, &e);
        if (*e || !(g_o.duration > 0)) die("-d must be a positive number of seconds");
        break;
      }
      case 't': g_o.threads = (int)parse_num(optarg, "-t", 1, 256); break;
      case O_NOWAIT: g_o.no_wait = 1; break;
      case O_ACK: g_o.ack_log = optarg; break;
      case O_CHECK: g_o.check_file = optarg; break;
      case O_JSON: g_o.json = 1; break;
      case O_PRESIGN: g_o.presign = parse_num(optarg, "--presign", 1, 100000000); break;
      case O_SIGNT: g_o.sign_threads = (int)parse_num(optarg, "--sign-threads", 1, 256); break;
      case O_TIMEOUT: g_o.timeout_s = (double)parse_num(optarg, "--timeout", 1, 3600); break;
      case O_MAXRC: g_o.max_reconnects = (int)parse_num(optarg, "--max-reconnects", 0, 1000); break;
      case O_RETRIES: g_o.retries = (int)parse_num(optarg, "--retries", 0, 100); break;
      case O_EVENTS: g_o.events = (int)parse_num(optarg, "--events", 1, 10000); break;
      case O_NODEPID: g_o.node_pid = (long)parse_num(optarg, "--node-pid", 1, 1LL << 31); break;
      case 'q': g_o.quiet = 1; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (optind < argc) die("unexpected argument \"%s\" (see --help)", argv[optind]);
  if (!node) die("--node is required (see --help)");
  if (g_o.total && g_o.duration > 0) die("give -n or -d, not both");
  if (!g_o.check_file && !g_o.key_file) die("--key is required (see --help)");
  if (!g_o.total && !(g_o.duration > 0)) g_o.total = 10000;
  parse_nodes(node);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (sy_crypto_init() != SY_OK) die("crypto initialisation failed");

  /* Enough descriptors for every connection. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)g_o.conns + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)g_o.conns + 64 ? rl.rlim_max : (rlim_t)g_o.conns + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)g_o.conns + 64)
      die("-c %d needs more open files than allowed", g_o.conns);
  }

  double presign_s = 0;
  size_t payload_max = 0, env_max = 0;
  char chain[SY_CHAIN_ID_MAX + 1] = "";
  if (g_o.check_file) {
    read_ids(g_o.check_file);
    note("checking %zu transaction ids against %s", g_njobs, node);
  } else {
    const char *pass = getenv("SUYUAN_PASSPHRASE");
    if (!pass) die("set SUYUAN_PASSPHRASE to the passphrase of %s", g_o.key_file);
    sy_key *key = NULL;
    int rc = sy_keystore_load(g_o.key_file, pass, strlen(pass), &key);
    if (rc) die("cannot load key %s: %s", g_o.key_file, sy_strerror(rc));
    if (g_o.chain) {
      snprintf(chain, sizeof chain, "%s", g_o.chain);
    } else {
      int st = 0;
      char *body = NULL, err[512];
      if (http_get_blocking("/v1/status", &st, &body, err, sizeof err) != 0)
        die("GET /v1/status: %s", err);
      cJSON *j = cJSON_Parse(body);
      const cJSON *cid = cJSON_GetObjectItemCaseSensitive(j, "chain_id");
      if (st != 200 || !cJSON_IsString(cid))
        die("GET /v1/status answered %d without a chain_id; pass --chain", st);
      snprintf(chain, sizeof chain, "%s", cid->valuestring);
      const cJSON *suite = cJSON_GetObjectItemCaseSensitive(j, "suite");
      if (cJSON_IsString(suite) && strcmp(suite->valuestring, sy_key_suite(key)->name) != 0)
        die("the chain uses %s but the key is %s", suite->valuestring, sy_key_suite(key)->name);
      cJSON_Delete(j);
      free(body);
    }
    if (!*chain || strlen(chain) > SY_CHAIN_ID_MAX) die("bad chain id \"%s\"", chain);

    g_njobs = g_o.total ? (size_t)g_o.total : (size_t)g_o.presign;
    g_jobs = calloc(g_njobs, sizeof *g_jobs);
    if (!g_jobs) die("out of memory for %zu transactions", g_njobs);
    uint64_t base = 0;
    if (getrandom(&base, sizeof base, 0) != (ssize_t)sizeof base) base = (uint64_t)time(NULL) << 20;
    base &= (1ULL << 62) - 1; /* fresh nonces per run, far from any counter */
    /* --events: the run's own supply-chain families (identifiers, hence event
     * hash ids, differ from any other run's), below chain_gen.h's 5,000,000. */
    uint64_t family = 1000000 + (base >> 20) % 3000000;
    if (g_o.events && family + ((uint64_t)g_njobs * (uint64_t)g_o.events) / CG_EVENTS_PER_FAMILY +
                              1 >= 5000000)
      die("too many events for one run (-n x --events)");
    int nt = g_o.sign_threads;
    if ((size_t)nt > g_njobs) nt = (int)g_njobs;
    sign_task *tasks = calloc((size_t)nt, sizeof *tasks);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!tasks || !th) die("out of memory");
    note("pre-signing %zu transactions on %d threads (client work, before the clock starts)",
         g_njobs, nt);
    double t0 = now_s();
    for (int i = 0; i < nt; i++) {
      tasks[i] = (sign_task){key, chain, base, g_njobs * (size_t)i / (size_t)nt,
                             g_njobs * (size_t)(i + 1) / (size_t)nt, SY_OK, 0, family};
      if (pthread_create(&th[i], NULL, sign_main, &tasks[i]) != 0) die("pthread_create failed");
    }
    for (int i = 0; i < nt; i++) {
      pthread_join(th[i], NULL);
      if (tasks[i].rc) die("signing failed: %s", sy_strerror(tasks[i].rc));
      if (tasks[i].payload_max > payload_max) payload_max = tasks[i].payload_max;
    }
    presign_s = now_s() - t0;
    for (size_t i = 0; i < g_njobs; i++)
      if (g_jobs[i].env_len > env_max) env_max = g_jobs[i].env_len;
    free(tasks);
    free(th);
    sy_key_free(key);
    note("signed %zu transactions in %.2f s (%.0f tx/s); payload %zu B, envelope %zu B", g_njobs,
         presign_s, (double)g_njobs / presign_s, payload_max, env_max);
    if (g_o.ack_log) {
      g_ack_fd = open(g_o.ack_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (g_ack_fd < 0) die("cannot open %s: %s", g_o.ack_log, strerror(errno));
    }
  }

  /* The timed phase. */
  int nw = g_o.threads;
  if (nw > g_o.conns) nw = g_o.conns;
  worker *ws = calloc((size_t)nw, sizeof *ws);
  conn *cs = calloc((size_t)g_o.conns, sizeof *cs);
  if (!ws || !cs) die("out of memory");
  note("%s %s%s with %d connections on %d threads", g_o.check_file ? "GET" : "POST",
       g_o.check_file ? "/v1/tx/{id}" : "/v1/tx",
       g_o.check_file || g_o.no_wait ? "" : "?wait=commit", g_o.conns, nw);
  double cpu0 = g_o.node_pid ? proc_cpu_s(g_o.node_pid) : -1;
  double t_start = now_s();
  if (g_o.duration > 0) g_deadline = t_start + g_o.duration;
  for (int i = 0, k = 0; i < nw; i++) {
    worker *w = &ws[i];
    w->id = i;
    w->nc = g_o.conns * (i + 1) / nw - g_o.conns * i / nw;
    w->c = &cs[k];
    w->active = w->nc;
    w->ready = calloc((size_t)w->nc, sizeof *w->ready);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0 || !w->ready) die("epoll_create1: %s", strerror(errno));
    for (int j = 0; j < w->nc; j++) {
      cs[k + j].w = w;
      cs[k + j].node = (k + j) % g_nnodes;
      cs[k + j].fd = -1;
      cs[k + j].job = NO_JOB;
      cs[k + j].state = C_IDLE;
    }
    k += w->nc;
  }
  for (int i = 0; i < nw; i++)
    if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) != 0) die("pthread_create failed");
  for (int i = 0; i < nw; i++) pthread_join(ws[i].th, NULL);
  double t_end = now_s();
  double cpu1 = g_o.node_pid ? proc_cpu_s(g_o.node_pid) : -1;
  double node_cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  if (g_deadline > 0 && !g_o.check_file && atomic_load(&g_next_job) >= g_njobs &&
      t_end < g_deadline)
    note("ran out of pre-signed transactions %.1f s before -d ended; raise --presign",
         g_deadline - t_end);

  stats t;
  memset(&t, 0, sizeof t);
  for (int i = 0; i < nw; i++) merge_stats(&t, &ws[i].st);
  /* Rate over the span that produced answers; a tail of timeouts after the
   * last answer (a dead node) would otherwise dilute it. */
  double wall = t.last_done > t_start ? t.last_done - t_start : t_end - t_start;
  pct pk = percentiles(t.lat_ok, t.n_ok), pa = percentiles(t.lat_all, t.n_all);
  int status;

  if (g_o.check_file) {
    long long present = t.ok_valid;
    status = present == (long long)g_njobs ? 0 : EXIT_ERRORS;
    if (g_o.json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "mode", "check");
      cJSON_AddNumberToObject(o, "ids", (double)g_njobs);
      cJSON_AddNumberToObject(o, "present_valid", (double)t.ok_valid);
      cJSON_AddNumberToObject(o, "present_invalid", (double)t.ok_invalid);
      cJSON_AddNumberToObject(o, "missing", (double)t.missing_n);
      cJSON_AddNumberToObject(o, "wall_s", round(wall * 1000) / 1000);
      cJSON_AddItemToObject(o, "latency_ms", pct_json(&pa));
      cJSON_AddItemToObject(o, "errors", errors_json(&t));
      cJSON_AddItemToObject(o, "problems", tokens_json(&t));
      cJSON *m = cJSON_AddArrayToObject(o, "missing_ids");
      for (size_t i = 0; i < t.nmissing_kept; i++) {
        char hex[2 * SY_HASH_LEN + 1];
        sy_hex_encode(hex, g_jobs[t.missing[i]].id, SY_HASH_LEN);
        cJSON_AddItemToArray(m, cJSON_CreateString(hex));
      }
      cJSON *iv = cJSON_AddArrayToObject(o, "invalid_ids");
      for (size_t i = 0; i < t.ninvalid_kept; i++) {
        char hex[2 * SY_HASH_LEN + 1];
        sy_hex_encode(hex, g_jobs[t.invalid[i]].id, SY_HASH_LEN);
        cJSON_AddItemToArray(iv, cJSON_CreateString(hex));
      }
      cJSON_AddBoolToObject(o, "ok", status == 0);
      print_json(o);
    } else {
      printf("ids          %zu\n", g_njobs);
      printf("present      %lld valid, %lld invalid\n", t.ok_valid, t.ok_invalid);
      printf("missing      %lld (404)\n", t.missing_n);
      printf("errors       connect %lld  lost %lld  timeout %lld  protocol %lld  unanswered %lld\n",
             t.connect_errors, t.conn_errors, t.timeouts, t.proto_errors, t.abandoned);
      print_tokens(&t);
      for (size_t i = 0; i < t.nmissing_kept; i++) {
        char hex[2 * SY_HASH_LEN + 1];
        sy_hex_encode(hex, g_jobs[t.missing[i]].id, SY_HASH_LEN);
        printf("missing      %s\n", hex);
      }
      for (size_t i = 0; i < t.ninvalid_kept; i++) {
        char hex[2 * SY_HASH_LEN + 1];
        sy_hex_encode(hex, g_jobs[t.invalid[i]].id, SY_HASH_LEN);
        printf("invalid      %s\n", hex);
      }
      printf("result       %s\n",
             status == 0 ? "all present and valid" : "NOT all present and valid");
    }
  } else {
    /* Without wait a node may still answer 200 (already committed). */
    long long acked = g_o.no_wait ? t.accepted + t.ok_valid : t.ok_valid;
    double rate = wall > 0 ? (double)acked / wall : 0;
    status = acked == t.sent && t.sent > 0 ? 0 : EXIT_ERRORS;
    if (g_o.json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "mode", g_o.no_wait ? "admit" : "commit");
      cJSON_AddStringToObject(o, "chain", chain);
      cJSON_AddNumberToObject(o, "connections", g_o.conns);
      cJSON_AddNumberToObject(o, "threads", nw);
      cJSON_AddNumberToObject(o, "presigned", (double)g_njobs);
      cJSON_AddNumberToObject(o, "presign_s", round(presign_s * 1000) / 1000);
      cJSON_AddNumberToObject(o, "payload_bytes", (double)payload_max);
      cJSON_AddNumberToObject(o, "envelope_bytes", (double)env_max);
      cJSON_AddNumberToObject(o, "sent", (double)t.sent);
      cJSON_AddNumberToObject(o, "requests", (double)t.requests);
      cJSON_AddNumberToObject(o, "acked", (double)acked);
      cJSON_AddNumberToObject(o, "wall_s", round(wall * 1000) / 1000);
      cJSON_AddNumberToObject(o, "tx_per_s", round(rate * 10) / 10);
      if (g_o.events) {
        cJSON_AddStringToObject(o, "tx_type", "epcis.capture");
        cJSON_AddNumberToObject(o, "events_per_tx", g_o.events);
        cJSON_AddNumberToObject(o, "events_acked", (double)acked * g_o.events);
        cJSON_AddNumberToObject(o, "events_per_s", round(rate * g_o.events * 10) / 10);
      }
      if (node_cpu >= 0) {
        cJSON_AddNumberToObject(o, "node_cpu_s", round(node_cpu * 100) / 100);
        cJSON_AddNumberToObject(o, "node_cpu_us_per_tx",
                                acked ? round(node_cpu / (double)acked * 1e7) / 10 : 0);
        if (g_o.events)
          cJSON_AddNumberToObject(
              o, "node_cpu_us_per_event",
              acked ? round(node_cpu / ((double)acked * g_o.events) * 1e7) / 10 : 0);
      }
      cJSON_AddItemToObject(o, "latency_ms", pct_json(&pk));
      cJSON_AddItemToObject(o, "latency_all_ms", pct_json(&pa));
      cJSON *r = cJSON_AddObjectToObject(o, "responses");
      cJSON_AddNumberToObject(r, "200_valid", (double)t.ok_valid);
      cJSON_AddNumberToObject(r, "200_invalid", (double)t.ok_invalid);
      cJSON_AddNumberToObject(r, "202", (double)t.accepted);
      cJSON_AddNumberToObject(r, "4xx", (double)t.s4xx);
      cJSON_AddNumberToObject(r, "409", (double)t.s409);
      cJSON_AddNumberToObject(r, "5xx", (double)t.s5xx);
      cJSON_AddNumberToObject(r, "503", (double)t.s503);
      cJSON_AddNumberToObject(r, "other", (double)t.sother);
      cJSON_AddItemToObject(o, "errors", errors_json(&t));
      cJSON_AddItemToObject(o, "problems", tokens_json(&t));
      cJSON_AddBoolToObject(o, "ok", status == 0);
      print_json(o);
    } else {
      printf("presigned    %zu txs in %.2f s on %d threads (client work, not timed)\n", g_njobs,
             presign_s, g_o.sign_threads < (int)g_njobs ? g_o.sign_threads : (int)g_njobs);
      printf("sent         %lld txs (%lld requests), %d connections, %d threads, %s\n", t.sent,
             t.requests, g_o.conns, nw, g_o.no_wait ? "no wait" : "wait=commit");
      printf("acked        %lld (%s)\n", acked,
             g_o.no_wait ? "202 admitted or 200 committed; 202 is not a durability promise"
                         : "200 committed, valid");
      printf("wall         %.3f s\n", wall);
      printf("throughput   %.1f tx/s (acked / wall)\n", rate);
      if (g_o.events)
        printf("events       %.1f events/s (%d-event epcis.capture documents, %lld events acked)\n",
               rate * g_o.events, g_o.events, acked * g_o.events);
      if (node_cpu >= 0)
        printf("node CPU     %.2f s (user+sys, /proc/%ld/stat) = %.1f us per acked tx%s\n", node_cpu,
               g_o.node_pid, acked ? node_cpu / (double)acked * 1e6 : 0, "");
      if (node_cpu >= 0 && g_o.events && acked)
        printf("             %.1f us per acked event\n",
               node_cpu / ((double)acked * g_o.events) * 1e6);
      printf("latency      p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (%zu acked)\n",
             pk.p50, pk.p90, pk.p99, pk.max, pk.n);
      printf("responses    200-valid %lld  200-invalid %lld  202 %lld  4xx %lld  5xx %lld "
             "(503 %lld)  other %lld\n",
             t.ok_valid, t.ok_invalid, t.accepted, t.s4xx, t.s5xx, t.s503, t.sother);
      printf("errors       connect %lld  lost %lld  timeout %lld  protocol %lld  id-mismatch %lld  "
             "unanswered %lld  dead-connections %lld\n",
             t.connect_errors, t.conn_errors, t.timeouts, t.proto_errors, t.id_mismatch,
             t.abandoned, t.dead_conns);
      print_tokens(&t);
    }
  }
  fflush(stdout);
  if (g_ack_fd >= 0) close(g_ack_fd);
  for (int i = 0; i < nw; i++) {
    close(ws[i].ep);
    free(ws[i].ready);
    free(ws[i].st.lat_ok);
    free(ws[i].st.lat_all);
  }
  for (int i = 0; i < g_o.conns; i++) {
    free(cs[i].obuf);
    free(cs[i].ibuf);
    free(cs[i].chunk);
  }
  free(t.lat_ok);
  free(t.lat_all);
  for (size_t i = 0; i < g_njobs; i++) free(g_jobs[i].env);
  free(g_jobs);
  free(ws);
  free(cs);
  for (int i = 0; i < g_nnodes; i++) freeaddrinfo(g_nodes[i].addr);
  return status;
}
