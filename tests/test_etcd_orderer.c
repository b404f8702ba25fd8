/* The etcd ordering service (issue #4) against a real etcd: the JSON-gateway
 * client, then two and more peers in one process, each with its own ledger,
 * orderer and pipeline. Starts one etcd on free 127.0.0.1 ports with a
 * temporary data directory and stops exactly that process. Skips (77) when
 * /usr/bin/etcd is missing. Every wait is bounded. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "consensus/consensus.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"
#include "net/etcd_client.h"
#include "testutil.h"

static pid_t etcd_pid;
static char etcd_url[64];

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(s, (struct sockaddr *)&a, sizeof a);
  socklen_t l = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &l);
  close(s);
  return ntohs(a.sin_port);
}

static void msleep(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int start_etcd(const char *dir) {
  int cp = free_port(), pp = free_port();
  snprintf(etcd_url, sizeof etcd_url, "http://127.0.0.1:%d", cp);
  char data[600], log[600], lcu[64], pu[64], ic[128];
  snprintf(data, sizeof data, "%s/etcd", dir);
  snprintf(log, sizeof log, "%s/etcd.log", dir);
  snprintf(lcu, sizeof lcu, "http://127.0.0.1:%d", cp);
  snprintf(pu, sizeof pu, "http://127.0.0.1:%d", pp);
  snprintf(ic, sizeof ic, "t=%s", pu);
  etcd_pid = fork();
  if (etcd_pid == 0) {
    FILE *f = freopen(log, "w", stdout);
    (void)f;
    dup2(1, 2);
    execl("/usr/bin/etcd", "etcd", "--name", "t", "--data-dir", data, "--listen-client-urls", lcu,
          "--advertise-client-urls", lcu, "--listen-peer-urls", pu, "--initial-advertise-peer-urls",
          pu, "--initial-cluster", ic, "--experimental-watch-progress-notify-interval", "1s",
          (char *)NULL);
    _exit(127);
  }
  sy_etcd *e;
  sy_etcd_client_opts o = {.endpoints = etcd_url, .timeout_ms = 1000};
  if (sy_etcd_new(&o, &e, NULL, 0)) return -1;
  int ok = -1;
  for (int i = 0; i < 100 && ok; i++) {
    if (sy_etcd_put(e, "/ping", 5, "x", 1, 0, NULL) == SY_OK)
      ok = 0;
    else
      msleep(100);
  }
  sy_etcd_free(e);
  return ok;
}

static void stop_etcd(void) {
  if (etcd_pid > 0) {
    kill(etcd_pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
      if (waitpid(etcd_pid, NULL, WNOHANG) == etcd_pid) {
        etcd_pid = 0;
        return;
      }
      msleep(100);
    }
    kill(etcd_pid, SIGKILL);
    waitpid(etcd_pid, NULL, 0);
    etcd_pid = 0;
  }
}

/* ---- the etcd client alone ---------------------------------------------------- */

typedef struct wctx {
  pthread_mutex_t mu;
  int64_t revs[64];
  int n;
  int64_t compacted;
  int order_ok;
} wctx;

static int w_events(void *ctx, const sy_etcd_event *ev, size_t n) {
  wctx *w = ctx;
  pthread_mutex_lock(&w->mu);
  for (size_t i = 0; i < n; i++) {
    if (w->n && ev[i].kv.mod_revision < w->revs[w->n - 1]) w->order_ok = 0;
    if (w->n < 64) w->revs[w->n++] = ev[i].kv.mod_revision;
  }
  pthread_mutex_unlock(&w->mu);
  return 0;
}

static void w_compacted(void *ctx, int64_t rev) {
  wctx *w = ctx;
  pthread_mutex_lock(&w->mu);
  w->compacted = rev;
  pthread_mutex_unlock(&w->mu);
}

static int w_count(wctx *w) {
  pthread_mutex_lock(&w->mu);
  int n = w->n;
  pthread_mutex_unlock(&w->mu);
  return n;
}

static void test_client(void) {
  sy_etcd *e;
  char eps[200], err[200];
  /* A dead endpoint first: every call fails over to the live one. */
  snprintf(eps, sizeof eps, "http://127.0.0.1:%d,%s", free_port(), etcd_url);
  sy_etcd_client_opts o = {.endpoints = eps, .timeout_ms = 2000};
  CHECK_EQ(sy_etcd_new(&o, &e, err, sizeof err), SY_OK);
  sy_etcd_client_opts bad = {.endpoints = "ftp://x"};
  sy_etcd *eb = NULL;
  CHECK_EQ(sy_etcd_new(&bad, &eb, err, sizeof err), SY_EINVAL);

  int64_t r1 = 0, r2 = 0, r3 = 0;
  CHECK_EQ(sy_etcd_put(e, "/t/a", 4, "\0\1\2", 3, 0, &r1), SY_OK);
  CHECK(r1 > 0);
  CHECK(strcmp(sy_etcd_endpoint(e), etcd_url) == 0);
  int created = -1;
  CHECK_EQ(sy_etcd_create(e, "/t/b", 4, "B", 1, 0, &r2, &created), SY_OK);
  CHECK_EQ(created, 1);
  CHECK_EQ(sy_etcd_create(e, "/t/b", 4, "C", 1, 0, &r3, &created), SY_OK);
  CHECK_EQ(created, 0);
  CHECK_EQ(r3, r2);
  sy_etcd_result res = {0};
  uint8_t end[8];
  size_t el = sy_etcd_prefix_end("/t/", 3, end);
  CHECK_EQ(sy_etcd_range(e, "/t/", 3, end, el, NULL, &res), SY_OK);
  CHECK_EQ(res.n, 2);
  if (res.n == 2) {
    CHECK_EQ(res.kvs[0].value_len, 3);
    CHECK(memcmp(res.kvs[0].value, "\0\1\2", 3) == 0);
    CHECK_EQ(res.kvs[1].version, 1);
  }
  sy_etcd_result_free(&res);
  sy_etcd_range_opts ro = {.keys_only = 1, .max_mod_revision = r1};
  CHECK_EQ(sy_etcd_range(e, "/t/", 3, end, el, &ro, &res), SY_OK);
  CHECK_EQ(res.n, 1);
  sy_etcd_result_free(&res);
  /* Several keys deleted in one txn (the janitor); a missing one is no error. */
  {
    CHECK_EQ(sy_etcd_put(e, "/d/1", 4, "1", 1, 0, NULL), SY_OK);
    CHECK_EQ(sy_etcd_put(e, "/d/2", 4, "2", 1, 0, NULL), SY_OK);
    CHECK_EQ(sy_etcd_put(e, "/d/3", 4, "3", 1, 0, NULL), SY_OK);
    const uint8_t *dk[3] = {(const uint8_t *)"/d/1", (const uint8_t *)"/d/3",
                            (const uint8_t *)"/d/9"};
    size_t dl[3] = {4, 4, 4};
    int64_t del = -1;
    CHECK_EQ(sy_etcd_delete_many(e, 3, dk, dl, &del), SY_OK);
    CHECK_EQ(del, 2);
    uint8_t dend[8];
    size_t del_end = sy_etcd_prefix_end("/d/", 3, dend);
    CHECK_EQ(sy_etcd_range(e, "/d/", 3, dend, del_end, NULL, &res), SY_OK);
    CHECK_EQ(res.n, 1);
    if (res.n == 1) CHECK(memcmp(res.kvs[0].key, "/d/2", 4) == 0);
    sy_etcd_result_free(&res);
    CHECK_EQ(sy_etcd_delete_many(e, SY_ETCD_TXN_OPS_MAX + 1, dk, dl, NULL), SY_EINVAL);
  }

  int64_t lease = 0, ttl = 0;
  CHECK_EQ(sy_etcd_lease_grant(e, 5, &lease, &ttl), SY_OK);
  CHECK(ttl > 0);
  const uint8_t *ks[2] = {(const uint8_t *)"/t/l1", (const uint8_t *)"/t/l2"};
  const uint8_t *vs[2] = {(const uint8_t *)"1", (const uint8_t *)"2"};
  size_t kl[2] = {5, 5}, vl[2] = {1, 1};
  CHECK_EQ(sy_etcd_put_many(e, 2, ks, kl, vs, vl, lease, NULL), SY_OK);
  CHECK_EQ(sy_etcd_lease_keepalive(e, lease, &ttl), SY_OK);
  CHECK_EQ(sy_etcd_lease_revoke(e, lease), SY_OK);
  CHECK_EQ(sy_etcd_lease_keepalive(e, lease, &ttl), SY_ENOTFOUND);
  CHECK_EQ(sy_etcd_range(e, "/t/l1", 5, NULL, 0, NULL, &res), SY_OK);
  CHECK_EQ(res.n, 0);
  sy_etcd_result_free(&res);

  /* Watch from the first revision: every event, in order. */
  wctx w = {.mu = PTHREAD_MUTEX_INITIALIZER, .order_ok = 1};
  sy_etcd_watch_cbs cbs = {.on_events = w_events, .on_compacted = w_compacted, .ctx = &w};
  sy_etcd_watch *wa;
  CHECK_EQ(sy_etcd_watch_start(e, "/t/", 3, r1, &cbs, &wa), SY_OK);
  for (int i = 0; i < 5; i++) {
    char k[16];
    snprintf(k, sizeof k, "/t/w%d", i);
    sy_etcd_put(e, k, strlen(k), "v", 1, 0, NULL);
  }
  for (int i = 0; i < 400 && w_count(&w) < 11; i++) msleep(50);
  /* r1, r2, l1+l2 (one revision, two events), revoke deletes (2), 5 puts */
  CHECK_EQ(w_count(&w), 11);
  if (w_count(&w) != 11) {
    fprintf(stderr, "r1=%lld r2=%lld revs:", (long long)r1, (long long)r2);
    for (int i = 0; i < w_count(&w); i++) fprintf(stderr, " %lld", (long long)w.revs[i]);
    fprintf(stderr, "\n");
  }
  CHECK_EQ(w.revs[0], r1);
  CHECK(w.order_ok);
  int64_t del = 0;
  CHECK_EQ(sy_etcd_delete_range(e, "/t/", 3, end, el, &del), SY_OK);
  CHECK_EQ(del, 7);
  int64_t now = 0;
  CHECK_EQ(sy_etcd_put(e, "/x", 2, "1", 1, 0, &now), SY_OK);
  CHECK_EQ(sy_etcd_compact(e, now), SY_OK);
  CHECK_EQ(sy_etcd_compact(e, now - 1), SY_OK); /* already done: fine */
  sy_etcd_watch_stop(wa);

  /* A watch from a compacted revision reports it and ends. */
  wctx w2 = {.mu = PTHREAD_MUTEX_INITIALIZER, .order_ok = 1};
  cbs.ctx = &w2;
  CHECK_EQ(sy_etcd_watch_start(e, "/t/", 3, 2, &cbs, &wa), SY_OK);
  for (int i = 0; i < 100 && !sy_etcd_watch_ended(wa); i++) msleep(50);
  CHECK(sy_etcd_watch_ended(wa));
  CHECK_EQ(w2.compacted, now);
  sy_etcd_watch_stop(wa);
  sy_etcd_free(e);
}

/* ---- a minimal block server (GET /v1/blocks/{h}/raw) for catch-up ------------------- */

typedef struct blocksrv {
  sy_ledger *l;
  int fd, port;
  atomic_int stop;
  atomic_int served;
  pthread_t th;
} blocksrv;

static void *srv_main(void *arg) {
  blocksrv *s = arg;
  while (!atomic_load(&s->stop)) {
    struct pollfd pf = {s->fd, POLLIN, 0};
    if (poll(&pf, 1, 100) <= 0) continue;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0) continue;
    char req[1024];
    ssize_t n = recv(c, req, sizeof req - 1, 0);
    req[n > 0 ? n : 0] = 0;
    unsigned long long h = 0;
    sy_buf raw = {0};
    const char *st = "404 Not Found";
    if (sscanf(req, "GET /v1/blocks/%llu/raw", &h) == 1 &&
        sy_ledger_block_raw(s->l, h, &raw) == SY_OK)
      st = "200 OK";
    char hdr[200];
    int hl = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 %s\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      st, raw.len);
    send(c, hdr, (size_t)hl, MSG_NOSIGNAL);
    if (raw.len) send(c, raw.p, raw.len, MSG_NOSIGNAL);
    if (raw.len) atomic_fetch_add(&s->served, 1);
    sy_buf_free(&raw);
    close(c);
  }
  return NULL;
}

static void srv_start(blocksrv *s, sy_ledger *l) {
  s->l = l;
  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(s->fd, (struct sockaddr *)&a, sizeof a);
  socklen_t al = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &al);
  s->port = ntohs(a.sin_port);
  listen(s->fd, 16);
  pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(blocksrv *s) {
  atomic_store(&s->stop, 1);
  pthread_join(s->th, NULL);
  close(s->fd);
}

/* ---- peers ---------------------------------------------------------------------------- */

typedef struct peer {
  sy_ledger *l;
  sy_orderer *o;
  sy_pipeline *p;
  char path[600];
  char addr[64];
} peer;

static void peer_open(peer *pr, const char *dir, const char *name, const char *g, sy_key *k) {
  char err[256];
  memset(pr, 0, sizeof *pr);
  snprintf(pr->path, sizeof pr->path, "%s/%s.db", dir, name);
  sy_ledger_opts lo = {
      .path = pr->path, .genesis = (const uint8_t *)g, .genesis_len = strlen(g), .node_key = k};
  int rc = sy_ledger_open(&pr->l, &lo, err, sizeof err);
  CHECK_EQ(rc, SY_OK);
  if (rc) fprintf(stderr, "ledger: %s\n", err);
}

static const char *g_prefix = "/test"; /* one chain per prefix */

static void peer_start(peer *pr, sy_key *k, const char *advertise) {
  char err[256];
  sy_etcd_opts eo = {.endpoints = etcd_url,
                     .prefix = g_prefix,
                     .advertise_url = advertise,
                     .batch_wait_ms = 2,
                     .lease_ttl_s = 5,
                     .no_janitor = 1,
                     .request_timeout_ms = 3000};
  CHECK_EQ(sy_etcd_orderer_new(&eo, pr->l, k, &pr->o, err, sizeof err), SY_OK);
  CHECK_EQ(sy_pipeline_new(pr->l, pr->o, 0, &pr->p), SY_OK);
}

static void peer_stop(peer *pr) {
  sy_pipeline_free(pr->p);
  if (pr->o) pr->o->ops->destroy(pr->o);
  pr->p = NULL;
  pr->o = NULL;
}

static uint64_t nonce_ctr = 1000;

static void sign_record(sy_key *k, const char *body, sy_buf *out) {
  sy_key_sign_tx(k, out, SY_TX_RECORD, "ect", 1, nonce_ctr++, (const uint8_t *)body, strlen(body));
}

static int submit(peer *pr, const sy_buf *tx, sy_submit_result *r) {
  return sy_pipeline_submit(pr->p, tx->p, tx->len, 10000, r);
}

static int same_tip(peer *a, peer *b, uint64_t min_height) {
  sy_tip ta, tb;
  sy_ledger_tip(a->l, &ta);
  sy_ledger_tip(b->l, &tb);
  return ta.height >= min_height && ta.height == tb.height &&
         memcmp(ta.hash, tb.hash, SY_HASH_LEN) == 0 &&
         memcmp(ta.results_hash, tb.results_hash, SY_HASH_LEN) == 0 && ta.position == tb.position;
}

static int wait_same(peer *a, peer *b, uint64_t min_height) {
  for (int i = 0; i < 200; i++) {
    if (same_tip(a, b, min_height)) return 1;
    msleep(50);
  }
  return 0;
}

static size_t natt(peer *pr, uint64_t h) {
  sy_block_info bi;
  if (sy_ledger_get_block(pr->l, h, &bi) != SY_OK) return 0;
  size_t n = bi.natt;
  sy_block_info_free(&bi);
  return n;
}

typedef struct dup_arg {
  peer *pr;
  const sy_buf *tx;
  int rc;
  sy_submit_result r;
} dup_arg;

static void *dup_main(void *arg) {
  dup_arg *d = arg;
  d->rc = submit(d->pr, d->tx, &d->r);
  return NULL;
}

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

static int alarm_of(peer *pr) {
  sy_etcd_status *st = malloc(sizeof *st);
  int a = -1;
  if (st && sy_etcd_orderer_status(pr->o, st) == SY_OK) a = st->alarm;
  free(st);
  return a;
}

/* Puts an attestation signed by k over a made-up block at height. */
static void forge_attestation(const char *chain_prefix, const uint8_t genesis[32], sy_key *k,
                              uint64_t height) {
  uint8_t hash[32], res[32], msg[76], sig[SY_SIG_MAX];
  memset(hash, 0xab, 32);
  memset(res, 0xcd, 32);
  size_t sl = 0;
  sy_attestation_msg(height, hash, res, msg);
  sy_key_sign(k, msg, sizeof msg, sig, &sl);
  sy_buf v = {0};
  sy_buf_put(&v, "SYAV", 4);
  sy_buf_put(&v, genesis, 32);
  sy_buf_u64(&v, height);
  sy_buf_put(&v, hash, 32);
  sy_buf_put(&v, res, 32);
  sy_buf_u8(&v, (uint8_t)sl);
  sy_buf_put(&v, sig, sl);
  char hex[33], key[200];
  sy_hex_encode(hex, sy_key_id_of(k), 16);
  snprintf(key, sizeof key, "%s/att/%020" PRIu64 "/%s", chain_prefix, height, hex);
  sy_etcd *e;
  sy_etcd_client_opts o = {.endpoints = etcd_url};
  if (sy_etcd_new(&o, &e, NULL, 0) == SY_OK) {
    CHECK_EQ(sy_etcd_put(e, key, strlen(key), v.p, v.len, 0, NULL), SY_OK);
    sy_etcd_free(e);
  }
  sy_buf_free(&v);
}

static void test_orderer(const char *dir) {
  const sy_suite *S = sy_suite_default();
  sy_key *admin, *na, *nb, *nc, *stranger, *rec;
  sy_key_generate(S, &admin);
  sy_key_generate(S, &na);
  sy_key_generate(S, &nb);
  sy_key_generate(S, &nc);
  sy_key_generate(S, &stranger);
  sy_key_generate(S, &rec);
  char a[65], ka[65], kb[65], kc[65], r[65], g[4096];
  pkhex(admin, a);
  pkhex(na, ka);
  pkhex(nb, kb);
  pkhex(nc, kc);
  pkhex(rec, r);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"ect\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"O\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"o\",\"public_key\":\"%s\"},{\"org\":\"o\",\"public_key\":\"%s\"},"
           "{\"org\":\"o\",\"public_key\":\"%s\"}]}",
           a, ka, kb, kc);
  peer A, B, C, D;
  peer_open(&A, dir, "a", g, na);
  peer_open(&B, dir, "b", g, nb);
  peer_open(&C, dir, "c", g, nc);
  peer_open(&D, dir, "d", g, stranger);
  if (!A.l || !B.l || !C.l || !D.l) return;
  blocksrv srv = {0};
  srv_start(&srv, A.l);
  char adv[64];
  snprintf(adv, sizeof adv, "http://127.0.0.1:%d", srv.port);
  peer_start(&A, na, adv);
  peer_start(&B, nb, NULL);

  /* Governance through A, records through both. */
  char p[256];
  snprintf(p, sizeof p, "{\"org\":\"o\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  sy_buf tx = {0};
  sy_key_sign_tx(admin, &tx, SY_TX_MEMBER_ADD, "ect", 1, 1, (const uint8_t *)p, strlen(p));
  sy_submit_result res;
  CHECK_EQ(submit(&A, &tx, &res), SY_OK);
  CHECK_EQ(res.committed, 1);
  CHECK_EQ(res.reason, 0);
  sy_buf_free(&tx);
  for (int i = 0; i < 20; i++) {
    sign_record(rec, "{\"lot\":\"L\"}", &tx);
    int rc = submit(i % 2 ? &B : &A, &tx, &res);
    CHECK_EQ(rc, SY_OK);
    CHECK_EQ(res.reason, 0);
    sy_buf_free(&tx);
  }
  CHECK(wait_same(&A, &B, 2));
  sy_tip ta;
  sy_ledger_tip(A.l, &ta);
  CHECK(ta.valid_tx_count >= 21);
  /* Each peer's attestation reaches the other. */
  int both = 0;
  for (int i = 0; i < 100 && !both; i++) {
    both = natt(&A, ta.height) >= 2 && natt(&B, ta.height) >= 2;
    if (!both) msleep(50);
  }
  CHECK(both);

  /* The same transaction through both peers: valid once, duplicate once. */
  sign_record(rec, "{\"lot\":\"DUP\"}", &tx);
  dup_arg d1 = {.pr = &A, .tx = &tx}, d2 = {.pr = &B, .tx = &tx};
  pthread_t t1, t2;
  pthread_create(&t1, NULL, dup_main, &d1);
  pthread_create(&t2, NULL, dup_main, &d2);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  int valid = (d1.rc == SY_OK && d1.r.reason == 0) + (d2.rc == SY_OK && d2.r.reason == 0);
  int dup = (d1.rc == SY_OK && d1.r.reason == SY_R_DUPLICATE_TX) +
            (d2.rc == SY_OK && d2.r.reason == SY_R_DUPLICATE_TX) + (d1.rc == SY_EEXIST) +
            (d2.rc == SY_EEXIST);
  CHECK_EQ(valid, 1);
  CHECK_EQ(dup, 1);
  sy_buf_free(&tx);

  /* Junk and a forged batch under the log prefix are skipped by everyone. */
  {
    sy_etcd *e;
    sy_etcd_client_opts o = {.endpoints = etcd_url};
    sy_etcd_new(&o, &e, NULL, 0);
    char key[200], hex[33];
    sy_hex_encode(hex, sy_key_id_of(na), 16);
    snprintf(key, sizeof key, "/test/ect/log/%s/%020d", hex, 1);
    sy_etcd_put(e, key, strlen(key), "SYBAjunk", 8, 0, NULL);
    snprintf(key, sizeof key, "/test/ect/log/nonsense");
    sy_etcd_put(e, key, strlen(key), "x", 1, 0, NULL);
    /* A real batch of A's, re-signed by someone else: signature fails. */
    sy_etcd_result rr = {0};
    uint8_t end[64];
    size_t el = sy_etcd_prefix_end("/test/ect/log/", 14, end);
    sy_etcd_range_opts ro = {.limit = 1};
    if (sy_etcd_range(e, "/test/ect/log/", 14, end, el, &ro, &rr) == SY_OK && rr.n == 1) {
      uint8_t *v = malloc(rr.kvs[0].value_len);
      memcpy(v, rr.kvs[0].value, rr.kvs[0].value_len);
      v[rr.kvs[0].value_len - 1] ^= 1;
      char k2[300];
      snprintf(k2, sizeof k2, "%.*s", (int)rr.kvs[0].key_len - 20, (char *)rr.kvs[0].key);
      strcat(k2, "99999999999999999999");
      /* key seq must match the batch's: it does not, and the sig is bad. */
      sy_etcd_put(e, k2, strlen(k2), v, rr.kvs[0].value_len, 0, NULL);
      free(v);
    }
    sy_etcd_result_free(&rr);
    sy_etcd_free(e);
  }
  sign_record(rec, "{\"lot\":\"after-junk\"}", &tx);
  CHECK_EQ(submit(&B, &tx, &res), SY_OK);
  CHECK_EQ(res.reason, 0);
  sy_buf_free(&tx);
  CHECK(wait_same(&A, &B, 3));
  sy_etcd_status *st = calloc(1, sizeof *st);
  CHECK_EQ(sy_etcd_orderer_status(A.o, st), SY_OK);
  CHECK_EQ(st->batches_rejected, 3);
  CHECK_EQ(st->connected, 1);
  CHECK(st->batches_applied > 10);
  CHECK(st->ordering_revision > 0 || 1);

  /* An unregistered peer's batches are recorded, invalid. */
  peer_start(&D, stranger, NULL);
  sign_record(rec, "{\"lot\":\"stranger\"}", &tx);
  CHECK_EQ(submit(&D, &tx, &res), SY_OK);
  CHECK_EQ(res.committed, 1);
  CHECK_EQ(res.reason, SY_R_UNREGISTERED_PROPOSER);
  CHECK(wait_same(&A, &D, 3));
  CHECK(wait_same(&A, &B, 3));
  sy_buf_free(&tx);
  peer_stop(&D);

  /* B goes away; A goes on; B comes back and catches up from the log. */
  peer_stop(&B);
  for (int i = 0; i < 5; i++) {
    sign_record(rec, "{\"lot\":\"while-b-away\"}", &tx);
    CHECK_EQ(submit(&A, &tx, &res), SY_OK);
    sy_buf_free(&tx);
  }
  sy_ledger_tip(A.l, &ta);
  /* A's last block has only A's seal: a forged attestation from C over a
   * different block is a tie, 1 against 1, while B (registered) has not
   * attested: undecided. A raises peer_diverged and keeps taking writes (a
   * healthy peer must not stop because the odd attestation came first); the
   * 2-against-1 case (self_diverged) is tests/integration/test_cluster_tamper.sh. */
  uint64_t lonely = ta.height;
  char cp[64] = "/test/ect";
  forge_attestation(cp, ta.genesis_hash, nc, lonely);
  forge_attestation(cp, ta.genesis_hash, stranger, lonely); /* unregistered: ignored */
  int alarm = 0;
  for (int i = 0; i < 100 && alarm != SY_ALARM_PEER_DIVERGED; i++) {
    alarm = alarm_of(&A);
    if (alarm != SY_ALARM_PEER_DIVERGED) msleep(50);
  }
  CHECK_EQ(alarm, SY_ALARM_PEER_DIVERGED);
  sign_record(rec, "{\"lot\":\"taken-while-undecided\"}", &tx);
  CHECK_EQ(submit(&A, &tx, &res), SY_OK);
  sy_buf_free(&tx);
  peer_start(&B, nb, NULL);
  CHECK(wait_same(&A, &B, lonely));
  /* B's agreeing attestation of that block outvotes C's. */
  for (int i = 0; i < 100 && alarm != SY_ALARM_PEER_DIVERGED; i++) {
    alarm = alarm_of(&A);
    if (alarm != SY_ALARM_PEER_DIVERGED) msleep(50);
  }
  CHECK_EQ(alarm, SY_ALARM_PEER_DIVERGED);
  sign_record(rec, "{\"lot\":\"accepted-again\"}", &tx);
  CHECK_EQ(submit(&A, &tx, &res), SY_OK);
  sy_buf_free(&tx);
  CHECK(wait_same(&A, &B, lonely + 1));

  /* C was never started. Compact the whole history: C must fetch blocks
   * from A's block server, then follow the log. */
  {
    sy_etcd *e;
    sy_etcd_client_opts o = {.endpoints = etcd_url};
    sy_etcd_new(&o, &e, NULL, 0);
    int64_t rev = 0;
    sy_etcd_put(e, "/zz", 3, "1", 1, 0, &rev);
    CHECK_EQ(sy_etcd_compact(e, rev), SY_OK);
    sy_etcd_free(e);
  }
  peer_start(&C, nc, NULL);
  CHECK(wait_same(&A, &C, lonely + 1));
  CHECK(atomic_load(&srv.served) > 0);
  sign_record(rec, "{\"lot\":\"after-catch-up\"}", &tx);
  CHECK_EQ(submit(&C, &tx, &res), SY_OK);
  CHECK_EQ(res.reason, 0);
  sy_buf_free(&tx);
  CHECK(wait_same(&A, &C, lonely + 2));
  CHECK(wait_same(&A, &B, lonely + 2));
  CHECK_EQ(sy_etcd_orderer_status(C.o, st), SY_OK);
  CHECK(st->catchup_blocks > 0);
  CHECK(st->npeers >= 2);
  free(st);

  peer_stop(&A);
  peer_stop(&B);
  peer_stop(&C);
  srv_stop(&srv);
  sy_ledger_close(A.l);
  sy_ledger_close(B.l);
  sy_ledger_close(C.l);
  sy_ledger_close(D.l);
  const char *paths[4] = {A.path, B.path, C.path, D.path};
  for (int i = 0; i < 4; i++) {
    sy_verify_report vr;
    CHECK_EQ(sy_ledger_verify(paths[i], &vr, NULL, NULL), SY_OK);
    CHECK_EQ(vr.ok, 1);
    if (!vr.ok) fprintf(stderr, "verify %s: %s at %" PRIu64 "\n", paths[i], vr.what, vr.bad_height);
  }
  sy_key_free(admin);
  sy_key_free(na);
  sy_key_free(nb);
  sy_key_free(nc);
  sy_key_free(stranger);
  sy_key_free(rec);
}

/* ---- an unanswering endpoint; the orderer without a quorum (issue #4) ------------- */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A listening socket that never accepts: connections complete in the
 * kernel and nothing answers, like a SIGSTOPped etcd member. */
static int hang_listener(int *port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16) ||
      getsockname(s, (struct sockaddr *)&a, &l)) {
    if (s >= 0) close(s);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

static void test_client_bounded(void) {
  int p1 = 0, p2 = 0;
  int h1 = hang_listener(&p1), h2 = hang_listener(&p2);
  CHECK(h1 >= 0 && h2 >= 0);
  char eps[300];
  snprintf(eps, sizeof eps, "http://127.0.0.1:%d,http://127.0.0.1:%d,%s", p1, p2, etcd_url);
  sy_etcd *e = NULL;
  sy_etcd_client_opts o = {.endpoints = eps, .timeout_ms = 1000};
  CHECK_EQ(sy_etcd_new(&o, &e, NULL, 0), SY_OK);
  /* Two silent members: the call fails as "unavailable" within its budget
   * (not 1000 ms per endpoint). */
  uint64_t t0 = now_ms();
  int rc = sy_etcd_put(e, "/q/a", 4, "x", 1, 0, NULL);
  uint64_t t1 = now_ms();
  CHECK_EQ(rc, SY_EBUSY);
  CHECK(t1 - t0 < 1900);
  /* The next call goes to the second silent member first: bounded too. */
  t0 = now_ms();
  rc = sy_etcd_put(e, "/q/a", 4, "x", 1, 0, NULL);
  t1 = now_ms();
  CHECK_EQ(rc, SY_EBUSY);
  CHECK(t1 - t0 < 1900);
  /* The client moved on past both silent members: the live one answers. */
  for (int i = 0; i < 3; i++) {
    rc = sy_etcd_put(e, "/q/b", 4, "y", 1, 0, NULL);
    CHECK_EQ(rc, SY_OK);
  }
  sy_etcd_free(e);
  close(h1);
  close(h2);
}

/* etcd stops answering (SIGSTOP): the first write fails with SY_EBUSY within
 * the put deadline plus one call, later ones at once; nothing is
 * acknowledged; status says unavailable. SIGCONT: writes are taken again. */
static void test_quorum_loss(const char *dir) {
  const sy_suite *S = sy_suite_default();
  sy_key *admin, *na, *rec;
  sy_key_generate(S, &admin);
  sy_key_generate(S, &na);
  sy_key_generate(S, &rec);
  char a[65], ka[65], r[65], g[2048];
  pkhex(admin, a);
  pkhex(na, ka);
  pkhex(rec, r);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"ect\",\"suite\":\"ed25519-sha256\",\"created_ms\":2,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"O\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"o\",\"public_key\":\"%s\"}]}",
           a, ka);
  peer A;
  peer_open(&A, dir, "q", g, na);
  if (!A.l) return;
  g_prefix = "/quorum"; /* another chain (genesis) than test_orderer's */
  peer_start(&A, na, NULL);
  char p[256];
  snprintf(p, sizeof p, "{\"org\":\"o\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  sy_buf tx = {0};
  sy_key_sign_tx(admin, &tx, SY_TX_MEMBER_ADD, "ect", 1, 1, (const uint8_t *)p, strlen(p));
  sy_submit_result res;
  CHECK_EQ(submit(&A, &tx, &res), SY_OK);
  sy_buf_free(&tx);
  sy_etcd_status *st = calloc(1, sizeof *st);
  CHECK_EQ(sy_etcd_orderer_status(A.o, st), SY_OK);
  CHECK_EQ(st->available, 1);
  sy_tip before;
  sy_ledger_tip(A.l, &before);

  kill(etcd_pid, SIGSTOP);
  sign_record(rec, "{\"lot\":\"no-quorum-1\"}", &tx);
  uint64_t t0 = now_ms();
  int rc = sy_pipeline_submit(A.p, tx.p, tx.len, 30000, &res);
  uint64_t t1 = now_ms();
  sy_buf_free(&tx);
  CHECK_EQ(rc, SY_EBUSY);
  CHECK_EQ(res.committed, 0);
  CHECK(t1 - t0 < 6000 + 3000 + 2000); /* put deadline + one call + slack */
  sign_record(rec, "{\"lot\":\"no-quorum-2\"}", &tx);
  t0 = now_ms();
  rc = sy_pipeline_submit(A.p, tx.p, tx.len, 30000, &res);
  t1 = now_ms();
  sy_buf_free(&tx);
  CHECK_EQ(rc, SY_EBUSY);
  CHECK(t1 - t0 < 1000); /* refused at once, not after the put deadline */
  CHECK_EQ(sy_etcd_orderer_status(A.o, st), SY_OK);
  CHECK_EQ(st->available, 0);
  CHECK_EQ(st->connected, 0);
  CHECK(st->put_failures > 0);
  sy_tip during;
  sy_ledger_tip(A.l, &during);
  CHECK_EQ(during.height, before.height);

  kill(etcd_pid, SIGCONT);
  rc = SY_EBUSY;
  for (uint64_t until = now_ms() + 15000; rc != SY_OK && now_ms() < until;) {
    sign_record(rec, "{\"lot\":\"quorum-back\"}", &tx);
    rc = sy_pipeline_submit(A.p, tx.p, tx.len, 10000, &res);
    sy_buf_free(&tx);
    if (rc != SY_OK) msleep(200);
  }
  CHECK_EQ(rc, SY_OK);
  CHECK_EQ(res.reason, 0);
  CHECK_EQ(sy_etcd_orderer_status(A.o, st), SY_OK);
  CHECK_EQ(st->available, 1);
  free(st);
  peer_stop(&A);
  sy_ledger_close(A.l);
  sy_key_free(admin);
  sy_key_free(na);
  sy_key_free(rec);
}

int main(void) {
  if (access("/usr/bin/etcd", X_OK) != 0) {
    printf("test_etcd_orderer: skipped (no /usr/bin/etcd)\n");
    return 77;
  }
  CHECK_EQ(sy_crypto_init(), SY_OK);
  const char *dir = sy_test_dir("etcd_orderer");
  if (!dir || start_etcd(dir) != 0) {
    fprintf(stderr, "etcd did not start\n");
    stop_etcd();
    return 1;
  }
  char d[600];
  snprintf(d, sizeof d, "%s", dir);
  test_client();
  test_client_bounded();
  test_orderer(d);
  test_quorum_loss(d);
  stop_etcd();
  return sy_test_done("test_etcd_orderer");
}
