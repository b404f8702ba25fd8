/* sy_bench_trace: latency of backward and forward trace over HTTP
 * (bench/README.md).
 *
 *   sy_bench_trace --node URL --ids DIR/bench-ids.txt [-c CONNS] [-r ROUNDS]
 *
 * Reads the identifiers sy_gen_ledger wrote (lines "direction kind epc
 * expected_nodes"), then GETs /v1/trace/{direction}?epc=ID for each of them,
 * --warmup rounds first (not counted), then -r rounds, over -c HTTP/1.1
 * keep-alive connections (plain blocking sockets, one thread and one request
 * in flight per connection, no libcurl). Within a round the order is
 * shuffled (fixed seed), so concurrent connections mix kinds.
 *
 * Latency is per request, from the first byte written to the last byte of the
 * answer read; percentiles are nearest-rank, per (direction, kind). The
 * answer is not parsed as JSON on the clock: nodes are counted afterwards by
 * the "depth" members of the answer (one per node in the trace shape of
 * docs/trace.md) and compared with the expected count; --validate parses
 * every answer with cJSON as well and counts nodes[] and edges[]. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (64u << 20)
#define EXIT_USAGE 2
#define EXIT_ERRORS 3

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sy_bench_trace: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(EXIT_USAGE);
}

/* ---- options, ids, jobs ---------------------------------------------------------- */

static struct {
  char host[256], port[16], prefix[256];
  int conns, rounds, warmup, json, validate, quiet;
  unsigned max_depth;
  double timeout_s;
  const char *only;
  int baseline;  /* GET /v1/status requests a round, as a floor measured alongside */
  long node_pid; /* read the node's CPU time around the measured rounds */
} g_o;
static struct addrinfo *g_addr;

enum { D_BACKWARD = 0, D_FORWARD = 1, D_STATUS = 2 };
static const char *const DIR_NAME[] = {"backward", "forward", "get"};

typedef struct tid {
  int forward; /* D_* */
  char kind[32];
  char *epc;
  char *path; /* request path with the percent-encoded epc */
  long expected;
} tid;

static tid *g_ids;
static size_t g_nids;

typedef struct result {
  uint32_t us;   /* latency */
  int status;    /* HTTP status, 0 = no answer */
  long nodes;    /* "depth" members counted; -1 when not counted */
  long edges;    /* with --validate */
  int truncated;
  size_t bytes;  /* body bytes */
} result;

typedef struct job {
  size_t id;
  int round;
  result r;
} job;

static job *g_jobs;
static size_t g_njobs;
static atomic_size_t g_next;
static size_t g_phase_end; /* jobs [.., g_phase_end) belong to the running phase */

static void url_path(tid *t) {
  const char *hex = "0123456789ABCDEF";
  size_t n = strlen(t->epc);
  char *enc = malloc(3 * n + 1), *q = enc;
  if (!enc) die("out of memory");
  for (const unsigned char *p = (const unsigned char *)t->epc; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == ':') {
      *q++ = (char)*p;
    } else {
      *q++ = '%';
      *q++ = hex[*p >> 4];
      *q++ = hex[*p & 15];
    }
  }
  *q = 0;
  char depth[32] = "";
  if (g_o.max_depth) snprintf(depth, sizeof depth, "&max_depth=%u", g_o.max_depth);
  if (asprintf(&t->path, "%s/v1/trace/%s?epc=%s%s", g_o.prefix,
               DIR_NAME[t->forward], enc, depth) < 0)
    die("out of memory");
  free(enc);
}

/* "backward", "backward:serial", "forward:lot-x" */
static int selected(const tid *t) {
  if (!g_o.only) return 1;
  const char *dir = DIR_NAME[t->forward];
  size_t dl = strlen(dir);
  if (strncmp(g_o.only, dir, dl) != 0) return 0;
  if (g_o.only[dl] == 0) return 1;
  return g_o.only[dl] == ':' && strcmp(g_o.only + dl + 1, t->kind) == 0;
}

static void read_ids(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open %s: %s", path, strerror(errno));
  size_t cap = 256;
  g_ids = calloc(cap, sizeof *g_ids);
  char line[4096];
  long lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == 0) continue;
    char dir[16], kind[32], epc[2100];
    long expected = -1;
    int n = sscanf(p, "%15s %31s %2099s %ld", dir, kind, epc, &expected);
    if (n < 3 || (strcmp(dir, "forward") && strcmp(dir, "backward")))
      die("%s:%ld: want \"forward|backward KIND EPC [EXPECTED_NODES]\"", path, lineno);
    tid t = {.forward = !strcmp(dir, "forward"), .expected = n == 4 ? expected : -1};
    snprintf(t.kind, sizeof t.kind, "%s", kind);
    if (!selected(&t)) continue;
    if (!(t.epc = strdup(epc))) die("out of memory");
    url_path(&t);
    if (g_nids == cap) {
      tid *ni = realloc(g_ids, (cap *= 2) * sizeof *ni);
      if (!ni) die("out of memory");
      g_ids = ni;
    }
    g_ids[g_nids++] = t;
  }
  fclose(f);
  for (int i = 0; i < g_o.baseline; i++) {
    tid t = {.forward = D_STATUS, .expected = -1};
    snprintf(t.kind, sizeof t.kind, "status");
    if (!(t.epc = strdup("-")) || asprintf(&t.path, "%s/v1/status", g_o.prefix) < 0)
      die("out of memory");
    if (g_nids == cap) {
      tid *ni = realloc(g_ids, (cap *= 2) * sizeof *ni);
      if (!ni) die("out of memory");
      g_ids = ni;
    }
    g_ids[g_nids++] = t;
  }
  if (g_nids == 0) die("no ids in %s%s%s", path, g_o.only ? " for --only " : "",
                       g_o.only ? g_o.only : "");
}

/* The node's CPU time (user + system, all threads), seconds; -1 unreadable. */
static double proc_cpu_s(long pid) {
  char p[64], buf[2048];
  snprintf(p, sizeof p, "/proc/%ld/stat", pid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *q = strrchr(buf, ')');
  unsigned long long ut = 0, st = 0;
  if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- HTTP ------------------------------------------------------------------------ */

typedef struct conn {
  int fd;
  char *buf;
  size_t len, cap;
  char *body; /* dechunked */
  size_t body_cap;
} conn;

static void conn_close(conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->len = 0;
}

static int conn_open(conn *c) {
  int fd = socket(g_addr->ai_family, g_addr->ai_socktype | SOCK_CLOEXEC, g_addr->ai_protocol);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {.tv_sec = (time_t)g_o.timeout_s,
                       .tv_usec = (suseconds_t)((g_o.timeout_s - floor(g_o.timeout_s)) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, g_addr->ai_addr, g_addr->ai_addrlen) != 0) {
    close(fd);
    return -1;
  }
  c->fd = fd;
  c->len = 0;
  return 0;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads more into c->buf; returns bytes read, 0 on close, -1 on error. */
static ssize_t fill(conn *c) {
  if (c->cap - c->len < 65536) {
    size_t nc = c->cap ? c->cap * 2 : 262144;
    if (nc > MAX_RESPONSE + 65536) return -1;
    char *nb = realloc(c->buf, nc);
    if (!nb) return -1;
    c->buf = nb;
    c->cap = nc;
  }
  for (;;) {
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) c->len += (size_t)n;
    return n;
  }
}

/* One GET; fills status, *body, *blen (body points into c). 0, or -1 when the
 * connection failed before a complete answer. */
static int http_get(conn *c, const char *path, int *status, const char **body, size_t *blen,
                    double *t_sent, double *t_done) {
  char req[4096 + 600];
  int rl = snprintf(req, sizeof req,
                    "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n\r\n", path,
                    g_o.host, g_o.port);
  if (rl < 0 || (size_t)rl >= sizeof req) return -1;
  c->len = 0;
  *t_sent = now_s();
  if (send_all(c->fd, req, (size_t)rl) != 0) return -1;
  char *he = NULL;
  while (!(he = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL)) {
    if (fill(c) <= 0) return -1;
  }
  size_t hlen = (size_t)(he - c->buf) + 4;
  if (c->len < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(c->buf + 9);
  long long clen = -1;
  int chunked = 0, close_after = c->buf[7] == '0';
  for (char *line = memchr(c->buf, '\n', hlen) + 1; line < he;) {
    char *eol = memmem(line, (size_t)(he + 2 - line), "\r\n", 2);
    if (!eol) break;
    if (!strncasecmp(line, "Content-Length:", 15)) clen = atoll(line + 15);
    else if (!strncasecmp(line, "Transfer-Encoding:", 18) && memmem(line, (size_t)(eol - line), "chunked", 7))
      chunked = 1;
    else if (!strncasecmp(line, "Connection:", 11) && memmem(line, (size_t)(eol - line), "close", 5))
      close_after = 1;
    line = eol + 2;
  }
  if (chunked) {
    size_t off = hlen, out = 0;
    for (;;) {
      char *crlf;
      while (!(crlf = memmem(c->buf + off, c->len - off, "\r\n", 2)))
        if (fill(c) <= 0) return -1;
      unsigned long long sz = strtoull(c->buf + off, NULL, 16);
      size_t data = (size_t)(crlf - c->buf) + 2;
      if (sz == 0) {
        while (!memmem(c->buf + data - 2, c->len - (data - 2), "\r\n\r\n", 4))
          if (fill(c) <= 0) return -1;
        break;
      }
      while (c->len < data + sz + 2)
        if (fill(c) <= 0) return -1;
      if (out + sz + 1 > c->body_cap) {
        size_t nc = (out + sz + 1) * 2;
        char *nb = realloc(c->body, nc);
        if (!nb) return -1;
        c->body = nb;
        c->body_cap = nc;
      }
      memcpy(c->body + out, c->buf + data, sz);
      out += sz;
      off = data + sz + 2;
    }
    *t_done = now_s();
    c->body[out] = 0;
    *body = c->body;
    *blen = out;
  } else if (clen >= 0) {
    while (c->len < hlen + (size_t)clen)
      if (fill(c) <= 0) return -1;
    *t_done = now_s();
    *body = c->buf + hlen;
    *blen = (size_t)clen;
  } else {
    ssize_t n;
    while ((n = fill(c)) > 0) {
    }
    if (n < 0) return -1;
    *t_done = now_s();
    *body = c->buf + hlen;
    *blen = c->len - hlen;
    close_after = 1;
  }
  if (close_after) {
    close(c->fd);
    c->fd = -1;
  }
  return 0;
}

static long count_str(const char *p, size_t n, const char *needle) {
  size_t nl = strlen(needle);
  long k = 0;
  const char *e = p + n;
  while (p < e && (p = memmem(p, (size_t)(e - p), needle, nl))) {
    k++;
    p += nl;
  }
  return k;
}

static atomic_long g_conn_errors, g_retries;

static void *worker(void *arg) {
  (void)arg;
  conn c = {.fd = -1};
  for (;;) {
    size_t j = atomic_fetch_add(&g_next, 1);
    if (j >= g_phase_end) break;
    job *jb = &g_jobs[j];
    const tid *t = &g_ids[jb->id];
    int status = 0, ok = -1;
    const char *body = NULL;
    size_t blen = 0;
    double ts = 0, td = 0;
    for (int attempt = 0; attempt < 3 && ok != 0; attempt++) {
      if (attempt) atomic_fetch_add(&g_retries, 1);
      if (c.fd < 0 && conn_open(&c) != 0) {
        atomic_fetch_add(&g_conn_errors, 1);
        usleep(100000);
        continue;
      }
      ok = http_get(&c, t->path, &status, &body, &blen, &ts, &td);
      if (ok != 0) {
        atomic_fetch_add(&g_conn_errors, 1);
        conn_close(&c);
      }
    }
    result *r = &jb->r;
    if (ok != 0) {
      r->status = 0;
      continue;
    }
    r->status = status;
    r->us = (uint32_t)fmin((td - ts) * 1e6, (double)UINT32_MAX);
    r->bytes = blen;
    r->nodes = status == 200 && t->forward != D_STATUS ? count_str(body, blen, "\"depth\":") : -1;
    r->truncated = status == 200 && memmem(body, blen, "\"truncated\":true", 16) != NULL;
    r->edges = -1;
    if (g_o.validate && status == 200 && t->forward != D_STATUS) {
      cJSON *o = cJSON_ParseWithLength(body, blen);
      const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(o, "nodes");
      const cJSON *edges = cJSON_GetObjectItemCaseSensitive(o, "edges");
      r->nodes = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : -2;
      r->edges = cJSON_IsArray(edges) ? cJSON_GetArraySize(edges) : -2;
      cJSON_Delete(o);
    }
  }
  conn_close(&c);
  free(c.buf);
  free(c.body);
  return NULL;
}

/* ---- statistics ---------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}
static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

static double pct_ms(const uint32_t *v, size_t n, double p) {
  if (!n) return 0;
  size_t k = (size_t)ceil(p / 100.0 * (double)n);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return v[k - 1] / 1000.0;
}

typedef struct group {
  int forward;
  char kind[32];
  size_t ids, n, errors, mismatched, truncated;
  uint32_t *lat;
  long *nodes;
  size_t nn;
  double bytes, mean_us;
  long min_nodes, max_nodes, edges_sum;
  long expected;
} group;

/* Runs jobs [start, end) on every connection. Each worker takes one index
 * past the end on its way out, so the counter is reset per phase. */
static void run_phase(size_t start, size_t end, pthread_t *th) {
  atomic_store(&g_next, start);
  g_phase_end = end;
  for (int i = 0; i < g_o.conns; i++)
    if (pthread_create(&th[i], NULL, worker, NULL) != 0) die("pthread_create failed");
  for (int i = 0; i < g_o.conns; i++) pthread_join(th[i], NULL);
}

static void parse_url(const char *url) {
  const char *p = url;
  if (!strncmp(p, "http://", 7)) p += 7;
  const char *slash = strchr(p, '/');
  size_t hl = slash ? (size_t)(slash - p) : strlen(p);
  char hp[300];
  if (!hl || hl >= sizeof hp) die("bad --node %s", url);
  memcpy(hp, p, hl);
  hp[hl] = 0;
  char *colon = strrchr(hp, ':');
  const char *port = "80";
  if (colon) {
    *colon = 0;
    port = colon + 1;
  }
  if (strlen(hp) >= sizeof g_o.host || strlen(port) >= sizeof g_o.port) die("bad --node %s", url);
  memcpy(g_o.host, hp, strlen(hp) + 1);
  memcpy(g_o.port, port, strlen(port) + 1);
  if (slash) {
    size_t pl = strlen(slash);
    while (pl && slash[pl - 1] == '/') pl--;
    if (pl >= sizeof g_o.prefix) die("--node: path too long");
    memcpy(g_o.prefix, slash, pl);
    g_o.prefix[pl] = 0;
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  int rc = getaddrinfo(g_o.host, g_o.port, &hints, &g_addr);
  if (rc) die("cannot resolve %s: %s", g_o.host, gai_strerror(rc));
}

static void usage(FILE *f) {
  fputs("usage: sy_bench_trace --node URL --ids FILE [-c CONNS] [-r ROUNDS] [options]\n"
        "\n"
        "GETs /v1/trace/{forward,backward}?epc=ID for every id in FILE (lines\n"
        "\"direction kind epc expected_nodes\", as sy_gen_ledger writes them) and\n"
        "reports latency percentiles and nodes returned per direction and kind.\n"
        "\n"
        "  --node URL          the node, http://HOST:PORT[/prefix]\n"
        "  --ids FILE          ids to trace (DIR/bench-ids.txt)\n"
        "  -c, --connections N keep-alive connections, one request in flight each (1)\n"
        "  -r, --rounds N      measured rounds over all ids (3)\n"
        "      --warmup N      rounds before the measured ones, not counted (1)\n"
        "      --only SEL      only ids of SEL: backward, forward, backward:serial, ...\n"
        "      --max-depth N   pass max_depth=N (default: the node's, 64)\n"
        "      --timeout S     per request (60)\n"
        "      --baseline N    also GET /v1/status N times a round (group \"get status\"):\n"
        "                      the HTTP floor, measured under the same conditions\n"
        "      --node-pid PID  the node's process id: report its CPU time (/proc) per\n"
        "                      measured request\n"
        "      --validate      parse every answer as JSON (after the clock) and count\n"
        "                      nodes[] and edges[]\n"
        "      --json          print the results as one JSON object\n",
        f);
}

int main(int argc, char **argv) {
  const char *node = NULL, *ids = NULL;
  g_o.conns = 1;
  g_o.rounds = 3;
  g_o.warmup = 1;
  g_o.timeout_s = 60;
  enum { O_NODE = 256, O_IDS, O_WARM, O_ONLY, O_DEPTH, O_TIMEOUT, O_VALIDATE, O_JSON, O_BASE,
         O_PID };
  static const struct option lo[] = {
      {"node", required_argument, 0, O_NODE},     {"ids", required_argument, 0, O_IDS},
      {"connections", required_argument, 0, 'c'}, {"rounds", required_argument, 0, 'r'},
      {"warmup", required_argument, 0, O_WARM},   {"only", required_argument, 0, O_ONLY},
      {"max-depth", required_argument, 0, O_DEPTH}, {"timeout", required_argument, 0, O_TIMEOUT},
      {"validate", no_argument, 0, O_VALIDATE},   {"json", no_argument, 0, O_JSON},
      {"baseline", required_argument, 0, O_BASE}, {"node-pid", required_argument, 0, O_PID},
      {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:r:h", lo, NULL)) != -1) {
    switch (opt) {
      case O_NODE: node = optarg; break;
      case O_IDS: ids = optarg; break;
      case 'c': g_o.conns = atoi(optarg); break;
      case 'r': g_o.rounds = atoi(optarg); break;
      case O_WARM: g_o.warmup = atoi(optarg); break;
      case O_ONLY: g_o.only = optarg; break;
      case O_DEPTH: g_o.max_depth = (unsigned)atoi(optarg); break;
      case O_TIMEOUT: g_o.timeout_s = atof(optarg); break;
      case O_VALIDATE: g_o.validate = 1; break;
      case O_JSON: g_o.json = 1; break;
      case O_BASE: g_o.baseline = atoi(optarg); break;
      case O_PID: g_o.node_pid = atol(optarg); break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return EXIT_USAGE;
    }
  }
  if (!node || !ids || optind < argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (g_o.conns < 1 || g_o.conns > 1024 || g_o.rounds < 1 || g_o.warmup < 0 ||
      !(g_o.timeout_s > 0))
    die("bad option value (see --help)");
  parse_url(node);
  read_ids(ids);

  /* Jobs: warmup rounds, then measured rounds, each a shuffled pass. */
  int total_rounds = g_o.warmup + g_o.rounds;
  g_njobs = g_nids * (size_t)total_rounds;
  g_jobs = calloc(g_njobs, sizeof *g_jobs);
  if (!g_jobs) die("out of memory");
  uint64_t s = 0x2545F4914F6CDD1Dull;
  for (int r = 0; r < total_rounds; r++) {
    job *base = &g_jobs[(size_t)r * g_nids];
    for (size_t i = 0; i < g_nids; i++) base[i] = (job){.id = i, .round = r};
    for (size_t i = g_nids; i > 1; i--) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      size_t k = (size_t)(s % i);
      job tmp = base[i - 1];
      base[i - 1] = base[k];
      base[k] = tmp;
    }
  }
  pthread_t *th = calloc((size_t)g_o.conns, sizeof *th);
  if (!th) die("out of memory");
  size_t warm_end = g_nids * (size_t)g_o.warmup;
  double tw = now_s();
  if (warm_end) run_phase(0, warm_end, th);
  double warm_s = now_s() - tw;
  double cpu0 = g_o.node_pid ? proc_cpu_s(g_o.node_pid) : -1;
  double t0 = now_s();
  run_phase(warm_end, g_njobs, th);
  double wall = now_s() - t0;
  double cpu1 = g_o.node_pid ? proc_cpu_s(g_o.node_pid) : -1;
  double node_cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  size_t measured = g_njobs - warm_end;

  /* Groups in order of first appearance in the ids file. */
  group *gs = calloc(g_nids, sizeof *gs);
  size_t ng = 0;
  for (size_t i = 0; i < g_nids; i++) {
    size_t k;
    for (k = 0; k < ng; k++)
      if (gs[k].forward == g_ids[i].forward && !strcmp(gs[k].kind, g_ids[i].kind)) break;
    if (k == ng) {
      gs[ng].forward = g_ids[i].forward;
      snprintf(gs[ng].kind, sizeof gs[ng].kind, "%s", g_ids[i].kind);
      gs[ng].lat = calloc(g_njobs, sizeof *gs[ng].lat);
      gs[ng].nodes = calloc(g_njobs, sizeof *gs[ng].nodes);
      gs[ng].min_nodes = LONG_MAX;
      gs[ng].expected = g_ids[i].expected;
      ng++;
    }
    gs[k].ids++;
    if (gs[k].expected != g_ids[i].expected) gs[k].expected = -1; /* mixed */
  }
  size_t errors = 0, mismatched = 0;
  char first_bad[3][2300];
  int nbad = 0;
  for (size_t j = warm_end; j < g_njobs; j++) {
    const job *jb = &g_jobs[j];
    const tid *t = &g_ids[jb->id];
    group *g = NULL;
    for (size_t k = 0; k < ng && !g; k++)
      if (gs[k].forward == t->forward && !strcmp(gs[k].kind, t->kind)) g = &gs[k];
    if (jb->r.status != 200) {
      g->errors++;
      errors++;
      if (nbad < 3)
        snprintf(first_bad[nbad++], sizeof first_bad[0], "%s %s: status %d",
                 DIR_NAME[t->forward], t->epc, jb->r.status);
      continue;
    }
    g->lat[g->n++] = jb->r.us;
    g->mean_us += jb->r.us;
    g->bytes += (double)jb->r.bytes;
    g->nodes[g->nn++] = jb->r.nodes;
    if (jb->r.nodes < g->min_nodes) g->min_nodes = jb->r.nodes;
    if (jb->r.nodes > g->max_nodes) g->max_nodes = jb->r.nodes;
    if (jb->r.edges > 0) g->edges_sum += jb->r.edges;
    g->truncated += jb->r.truncated;
    if (t->expected >= 0 && jb->r.nodes != t->expected) {
      g->mismatched++;
      mismatched++;
      if (nbad < 3)
        snprintf(first_bad[nbad++], sizeof first_bad[0], "%s %s: %ld nodes, expected %ld",
                 DIR_NAME[t->forward], t->epc, jb->r.nodes, t->expected);
    }
  }
  cJSON *out = cJSON_CreateObject(), *ga = NULL;
  if (g_o.json) {
    cJSON_AddStringToObject(out, "node", node);
    cJSON_AddNumberToObject(out, "connections", g_o.conns);
    cJSON_AddNumberToObject(out, "rounds", g_o.rounds);
    cJSON_AddNumberToObject(out, "warmup_rounds", g_o.warmup);
    cJSON_AddNumberToObject(out, "ids", (double)g_nids);
    cJSON_AddNumberToObject(out, "requests", (double)(g_njobs - warm_end));
    cJSON_AddNumberToObject(out, "wall_s", round(wall * 1000) / 1000);
    cJSON_AddNumberToObject(out, "req_per_s", round((double)(g_njobs - warm_end) / wall * 10) / 10);
    cJSON_AddNumberToObject(out, "warmup_s", round(warm_s * 1000) / 1000);
    if (node_cpu >= 0) {
      cJSON_AddNumberToObject(out, "node_cpu_s", round(node_cpu * 100) / 100);
      cJSON_AddNumberToObject(out, "node_cpu_ms_per_req",
                              round(node_cpu / (double)measured * 1e5) / 100);
    }
    ga = cJSON_AddArrayToObject(out, "groups");
  } else {
    printf("ids          %zu, %d warm-up + %d measured rounds, %d connections\n", g_nids,
           g_o.warmup, g_o.rounds, g_o.conns);
    printf("wall         %.3f s measured (%.1f req/s), warm-up %.3f s\n", wall,
           (double)(g_njobs - warm_end) / wall, warm_s);
    if (node_cpu >= 0)
      printf("node CPU     %.2f s (user+sys, /proc/%ld/stat) = %.2f ms per measured request\n",
             node_cpu, g_o.node_pid, node_cpu / (double)measured * 1e3);
  }
  for (size_t k = 0; k < ng; k++) {
    group *g = &gs[k];
    qsort(g->lat, g->n, sizeof *g->lat, cmp_u32);
    qsort(g->nodes, g->nn, sizeof *g->nodes, cmp_long);
    long med_nodes = g->nn ? g->nodes[(g->nn - 1) / 2] : 0;
    double p50 = pct_ms(g->lat, g->n, 50), p90 = pct_ms(g->lat, g->n, 90),
           p99 = pct_ms(g->lat, g->n, 99), mx = g->n ? g->lat[g->n - 1] / 1000.0 : 0;
    double mean = g->n ? g->mean_us / (double)g->n / 1000.0 : 0;
    double kb = g->n ? g->bytes / (double)g->n / 1024.0 : 0;
    if (g_o.json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "direction", DIR_NAME[g->forward]);
      cJSON_AddStringToObject(o, "kind", g->kind);
      cJSON_AddNumberToObject(o, "ids", (double)g->ids);
      cJSON_AddNumberToObject(o, "requests", (double)g->n);
      cJSON_AddNumberToObject(o, "errors", (double)g->errors);
      cJSON *n = cJSON_AddObjectToObject(o, "nodes");
      cJSON_AddNumberToObject(n, "min", g->nn ? (double)g->min_nodes : 0);
      cJSON_AddNumberToObject(n, "median", (double)med_nodes);
      cJSON_AddNumberToObject(n, "max", (double)g->max_nodes);
      cJSON_AddNumberToObject(n, "expected", (double)g->expected);
      cJSON_AddNumberToObject(n, "mismatched", (double)g->mismatched);
      cJSON_AddNumberToObject(n, "truncated", (double)g->truncated);
      if (g_o.validate)
        cJSON_AddNumberToObject(o, "edges_mean", g->n ? (double)g->edges_sum / (double)g->n : 0);
      cJSON_AddNumberToObject(o, "body_kib_mean", round(kb * 10) / 10);
      cJSON *l = cJSON_AddObjectToObject(o, "latency_ms");
      cJSON_AddNumberToObject(l, "p50", round(p50 * 1000) / 1000);
      cJSON_AddNumberToObject(l, "p90", round(p90 * 1000) / 1000);
      cJSON_AddNumberToObject(l, "p99", round(p99 * 1000) / 1000);
      cJSON_AddNumberToObject(l, "max", round(mx * 1000) / 1000);
      cJSON_AddNumberToObject(l, "mean", round(mean * 1000) / 1000);
      cJSON_AddItemToArray(ga, o);
    } else {
      printf("%-8s %-10s %4zu ids %6zu req  nodes %ld..%ld (median %ld, expected %ld, %zu "
             "mismatched, %zu truncated)  %.1f KiB\n"
             "         latency  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms"
             "%s\n",
             DIR_NAME[g->forward], g->kind, g->ids, g->n,
             g->nn ? g->min_nodes : 0, g->max_nodes, med_nodes, g->expected, g->mismatched,
             g->truncated, kb, p50, p90, p99, mx, mean,
             g->errors ? "  (errors!)" : "");
      if (g_o.validate && g->n)
        printf("         edges    mean %.1f\n", (double)g->edges_sum / (double)g->n);
    }
  }
  if (g_o.json) {
    cJSON_AddNumberToObject(out, "errors", (double)errors);
    cJSON_AddNumberToObject(out, "mismatched", (double)mismatched);
    cJSON_AddNumberToObject(out, "connection_errors", (double)atomic_load(&g_conn_errors));
    cJSON *b = cJSON_AddArrayToObject(out, "first_problems");
    for (int i = 0; i < nbad; i++) cJSON_AddItemToArray(b, cJSON_CreateString(first_bad[i]));
    char *txt = cJSON_PrintUnformatted(out);
    puts(txt);
    free(txt);
  } else {
    printf("errors       %zu non-200 or unanswered, %zu node-count mismatches, %ld connection "
           "errors (%ld retries)\n",
           errors, mismatched, atomic_load(&g_conn_errors), atomic_load(&g_retries));
    for (int i = 0; i < nbad; i++) printf("             %s\n", first_bad[i]);
  }
  cJSON_Delete(out);
  for (size_t k = 0; k < ng; k++) {
    free(gs[k].lat);
    free(gs[k].nodes);
  }
  free(gs);
  for (size_t i = 0; i < g_nids; i++) {
    free(g_ids[i].epc);
    free(g_ids[i].path);
  }
  free(g_ids);
  free(g_jobs);
  free(th);
  freeaddrinfo(g_addr);
  return errors || mismatched ? EXIT_ERRORS : 0;
}
