/* etcd: the ordering service of a cluster (docs/consensus.md, issue #4).
 *
 * Keys, under P = <prefix>/<chain>:
 *   P/log/<proposer hex>/<seq, 20 digits>   a signed batch (docs/format.md#batch);
 *                                           never leased; etcd's revision of
 *                                           its first put is its position
 *   P/att/<height, 20 digits>/<node hex>    a node's attestation of a block (leased)
 *   P/peers/<node hex>                      discovery: {"address", "applied_revision",
 *                                           "height", "genesis"} (leased)
 *
 * Threads:
 *   proposer  takes submitted transactions, builds, signs and puts batches;
 *   writer    the single ledger writer: applies log batches in revision
 *             order through the pipeline's deliver, stores other nodes'
 *             attestations, catches up from peers when the log was compacted;
 *   heartbeat keeps the lease, announces this peer, publishes attestations,
 *             refreshes the peer table and runs the janitor;
 *   two watch threads (etcd_client) feed the writer's queues.
 * One mutex (mu) guards every queue and the status; nothing holds it across
 * I/O. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/consensus.h"
#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "net/etcd_client.h"

#define LOGQ_MAX 1024 /* batches waiting for the writer */
#define LOGQ_BYTES ((size_t)256 << 20)
#define ATTQ_MAX 65536 /* attestations waiting for the writer */
#define PUBQ_MAX 16384 /* our attestations waiting to be published */
#define PUB_PER_TXN 64 /* etcd allows 128 ops per txn */
#define PEER_VALUE_MAX 4096
#define RAW_BLOCK_MAX ((size_t)64 << 20)
#define INFLIGHT_MAX_AGE_MS 120000
#define STOP_DRAIN_MS 5000
#define ATT_VALUE_LEN (4 + 32 + 8 + 32 + 32 + 1)
/* A batch's put is retried (on the next endpoints) for at most this long;
 * then its waiters get 503 and the orderer refuses writes at once until etcd
 * answers again (issue #4: no quorum means fast 503s, never an ack). */
#define PUT_DEADLINE_MS 6000
/* Puts in flight at once for batches that are not full: while they are out,
 * the next batch keeps filling (group commit: under load batches grow to
 * what arrives during one etcd round trip, instead of many small blocks,
 * each costing every peer an fsync and etcd a Raft entry). */
#define PUTS_ACTIVE_MAX 1

typedef struct inflight {
  struct inflight *next;
  uint64_t seq;
  uint8_t digest[SY_HASH_LEN];
  size_t n;
  sy_pending **pend; /* a reference each */
  uint64_t born_ms;
} inflight;

typedef struct logitem {
  struct logitem *next;
  uint64_t rev;
  int64_t version;
  uint8_t *key, *val;
  size_t key_len, val_len;
  uint8_t *sig_ok; /* per transaction: signature verified on the watch thread */
  size_t n_sig_ok;
} logitem;

typedef struct attitem {
  struct attitem *next;
  uint8_t node[SY_KEYID_LEN];
  uint64_t height;
  uint8_t hash[SY_HASH_LEN], results[SY_HASH_LEN];
  uint8_t sig[SY_SIG_MAX];
  size_t sig_len;
} attitem;

typedef struct pubitem {
  struct pubitem *next;
  char key[320];
  uint8_t val[ATT_VALUE_LEN + SY_SIG_MAX];
  size_t val_len;
} pubitem;

typedef struct eo {
  sy_orderer base;
  sy_etcd *etcd;
  sy_ledger *ledger;
  const sy_key *key;
  const sy_suite *suite;
  char chain[SY_CHAIN_ID_MAX + 1];
  char p[256]; /* "<prefix>/<chain>" */
  uint8_t me[SY_KEYID_LEN];
  char me_hex[2 * SY_KEYID_LEN + 1];
  uint8_t genesis[SY_HASH_LEN];
  char genesis_hex[2 * SY_HASH_LEN + 1];
  char advertise[257];
  size_t max_txs, max_bytes, max_backlog;
  unsigned wait_ms, ttl_s, janitor_ms, need_att;
  int no_janitor;

  sy_deliver_fn deliver;
  void *ctx;
  pthread_t prop_th[4], writer_th, hb_th;
  int nprop;        /* proposer threads: puts in flight at once */
  int prop_running; /* under mu */
  int puts_active;  /* under mu: batch puts in flight */
  int started;

  pthread_mutex_t mu;
  pthread_cond_t prop_cv, writer_cv, space_cv, hb_cv;
  pthread_cond_t retry_cv; /* only for sleeping between put attempts (quit wakes it) */
  /* submission queue (ring) */
  sy_pending **q;
  size_t head, len, cap;
  int stopping;  /* no new submissions; the proposer drains */
  int prop_done; /* the proposer has put its last batch */
  int quit;      /* every thread ends */
  uint64_t stop_deadline_ms;
  uint64_t next_seq;
  int ready;              /* the chain's start marker is known: batches may be put */
  uint64_t log_start;     /* revision of P/start: the chain's log begins after it */
  uint64_t watch_floor;   /* no batch at or below it is missing here (catch-up) */
  uint64_t progress_rev;  /* the log watch delivered everything up to it */
  uint64_t processed_rev; /* every batch at or below it is applied (or skipped) */
  inflight *inflight;
  /* writer queues */
  logitem *lq_head, *lq_tail;
  size_t lq_len, lq_bytes;
  int log_compacted, att_compacted;
  int64_t log_compact_rev, att_compact_rev;
  attitem *aq;
  size_t aq_len;
  /* heartbeat queue */
  pubitem *pq_head, *pq_tail;
  size_t pq_len;
  int64_t lease;
  /* divergence: the lowest height where a node signed a different block */
  uint64_t div_height;
  uint8_t div_nodes[SY_ETCD_MAX_PEERS][SY_KEYID_LEN];
  size_t n_div;
  size_t n_nodes; /* registered active nodes, us included (0: not known yet) */
  sy_etcd_status st;
  uint64_t last_log_ms; /* throttles repeated error lines */
  /* availability of the ordering service (under mu) */
  int unavail;             /* a put failed for lack of quorum: refuse writes */
  uint64_t unavail_since;  /* mono ms */
  int watch_ok, hb_ok;     /* the log watch is up; the last heartbeat read worked */
} eo;

static const sy_orderer_ops ETCD_OPS;

/* ---- small helpers ------------------------------------------------------------ */

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void elog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void elog(const char *fmt, ...) {
  char line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "suyuand: etcd: %s\n", line);
}

/* Records an error in the status and logs it, at most once a second unless
 * force. Call with mu held. */
static void note_err_locked(eo *o, int force, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_err_locked(eo *o, int force, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->st.last_error, sizeof o->st.last_error, fmt, ap);
  va_end(ap);
  uint64_t now = mono_ms();
  if (force || now - o->last_log_ms >= 1000) {
    o->last_log_ms = now;
    elog("%s", o->st.last_error);
  }
}

static void update_connected_locked(eo *o) {
  o->st.connected = o->watch_ok && o->hb_ok && !o->unavail;
}

/* etcd answered a linearizable request or took a put: it has a quorum.
 * Call with mu held. */
static void set_available_locked(eo *o) {
  if (o->unavail) {
    o->unavail = 0;
    elog("the ordering service is available again after %.1f s: writes accepted",
         (double)(mono_ms() - o->unavail_since) / 1000.0);
  }
  update_connected_locked(o);
}

/* Waits on cv until quit or ms pass. Call with mu held. */
static void wait_ms_locked(eo *o, pthread_cond_t *cv, unsigned ms) {
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += ms / 1000;
  dl.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) {
    dl.tv_sec++;
    dl.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(cv, &o->mu, &dl);
}

static void sleep_unless_quit(eo *o, pthread_cond_t *cv, unsigned ms) {
  pthread_mutex_lock(&o->mu);
  if (!o->quit) wait_ms_locked(o, cv, ms);
  pthread_mutex_unlock(&o->mu);
}

static int quitting(eo *o) {
  pthread_mutex_lock(&o->mu);
  int q = o->quit;
  pthread_mutex_unlock(&o->mu);
  return q;
}

/* Parses exactly n decimal digits. */
static int parse_digits(const uint8_t *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 20) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* Matches key = P + mid + <32 hex> [+ "/" + <20 digits>]. */
static int parse_key(eo *o, const uint8_t *key, size_t len, const char *mid, int hex_first,
                     uint8_t id[SY_KEYID_LEN], uint64_t *num) {
  size_t pl = strlen(o->p), ml = strlen(mid);
  if (len < pl + ml || memcmp(key, o->p, pl) != 0 || memcmp(key + pl, mid, ml) != 0) return -1;
  const uint8_t *r = key + pl + ml;
  size_t rl = len - pl - ml;
  const size_t H = 2 * SY_KEYID_LEN;
  if (!num) {
    return rl == H && sy_hex_decode(id, SY_KEYID_LEN, (const char *)r, H) == SY_OK ? 0 : -1;
  }
  if (rl != H + 1 + 20 || r[hex_first ? H : 20] != '/') return -1;
  const uint8_t *hx = hex_first ? r : r + 21, *dg = hex_first ? r + H + 1 : r;
  if (sy_hex_decode(id, SY_KEYID_LEN, (const char *)hx, H) != SY_OK) return -1;
  return parse_digits(dg, 20, num);
}

static void hash_bytes(eo *o, const uint8_t *p, size_t n, uint8_t out[SY_HASH_LEN]) {
  sy_slice s = {p, n};
  o->suite->hash(&s, 1, out);
}

/* A registered node's key; 1 active, 0 removed, -1 unknown, or a negative
 * sy_err below -1... returned as rc. */
static int node_key(eo *o, const uint8_t id[SY_KEYID_LEN], uint8_t *pk, size_t *pk_len,
                    int *active) {
  return sy_ledger_node_key(o->ledger, id, pk, pk_len, active);
}

/* ---- batch format (docs/format.md#batch) ---------------------------------------------- */

typedef struct batch_view {
  uint8_t genesis[SY_HASH_LEN];
  uint8_t proposer[SY_KEYID_LEN];
  uint64_t timestamp_ms, seq;
  size_t n;
  sy_batch_tx *txs; /* owned array; raw pointers borrow the bytes */
  const uint8_t *signed_part;
  size_t signed_len;
  const uint8_t *sig;
  size_t sig_len;
} batch_view;

static int batch_decode(eo *o, const uint8_t *p, size_t len, batch_view *b) {
  memset(b, 0, sizeof *b);
  sy_reader r;
  sy_reader_init(&r, p, len);
  const uint8_t *magic = sy_get_bytes(&r, 4);
  if (!magic || memcmp(magic, "SYBA", 4) != 0) return SY_EMALFORMED;
  uint8_t cl = sy_get_u8(&r);
  const uint8_t *chain = sy_get_bytes(&r, cl);
  if (!chain) return SY_EMALFORMED;
  if (cl != strlen(o->chain) || memcmp(chain, o->chain, cl) != 0) return SY_EWRONGCHAIN;
  sy_get_copy(&r, b->genesis, SY_HASH_LEN);
  sy_get_copy(&r, b->proposer, SY_KEYID_LEN);
  b->timestamp_ms = sy_get_u64(&r);
  b->seq = sy_get_u64(&r);
  uint32_t n = sy_get_u32(&r);
  if (r.err || n == 0 || n > SY_BLOCK_MAX_TXS) return SY_EMALFORMED;
  if (memcmp(b->genesis, o->genesis, SY_HASH_LEN) != 0) return SY_EWRONGCHAIN;
  /* Every transaction takes at least 5 bytes: check before allocating. */
  if ((size_t)n > (len - r.off) / 5) return SY_EMALFORMED;
  b->txs = calloc(n, sizeof *b->txs);
  if (!b->txs) return SY_ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t tl = sy_get_u32(&r);
    const uint8_t *t = tl ? sy_get_bytes(&r, tl) : NULL;
    if (!t) {
      free(b->txs);
      b->txs = NULL;
      return SY_EMALFORMED;
    }
    b->txs[i].raw = t;
    b->txs[i].len = tl;
  }
  b->n = n;
  b->signed_part = p;
  b->signed_len = r.off;
  b->sig_len = sy_get_u8(&r);
  b->sig = b->sig_len ? sy_get_bytes(&r, b->sig_len) : NULL;
  if (!b->sig || r.err || r.off != len) {
    free(b->txs);
    b->txs = NULL;
    return SY_EMALFORMED;
  }
  return SY_OK;
}

/* ---- the writer's queues (fed by the watch threads) -------------------------------- */

/* Verifies the signatures of another node's batch on the watch thread, so
 * the single writer need not (a two-stage pipeline). Only a valid signature
 * under the signer's known key is recorded, which is all the writer's
 * sig_checked skips (a key id names one key forever); everything else,
 * revocation and roles included, apply still checks. */
static void presign_check(eo *o, logitem *it) {
  batch_view bv;
  if (it->version != 1 || batch_decode(o, it->val, it->val_len, &bv) != SY_OK) return;
  if (memcmp(bv.proposer, o->me, SY_KEYID_LEN) != 0 && (it->sig_ok = calloc(bv.n, 1))) {
    it->n_sig_ok = bv.n;
    for (size_t i = 0; i < bv.n; i++) {
      sy_tx tx;
      uint8_t id[SY_HASH_LEN];
      int checked = 0;
      int rc = sy_ledger_admit(o->ledger, bv.txs[i].raw, bv.txs[i].len, 0, &tx, id, &checked);
      it->sig_ok[i] = (rc == SY_OK || rc == SY_EEXIST) && checked;
    }
  }
  free(bv.txs);
}

static void logitem_free(logitem *it) {
  if (!it) return;
  free(it->key);
  free(it->val);
  free(it->sig_ok);
  free(it);
}

static int on_log_events(void *ctx, const sy_etcd_event *ev, size_t n) {
  eo *o = ctx;
  for (size_t i = 0; i < n; i++) {
    if (ev[i].type != SY_ETCD_PUT) continue;
    logitem *it = calloc(1, sizeof *it);
    if (!it) return 1; /* ends the watch; the writer restarts it */
    it->rev = (uint64_t)ev[i].kv.mod_revision;
    it->version = ev[i].kv.version;
    it->key = malloc(ev[i].kv.key_len + 1);
    it->val = malloc(ev[i].kv.value_len + 1);
    if (!it->key || !it->val) {
      free(it->key);
      free(it->val);
      free(it);
      return 1;
    }
    memcpy(it->key, ev[i].kv.key, ev[i].kv.key_len);
    memcpy(it->val, ev[i].kv.value, ev[i].kv.value_len);
    it->key_len = ev[i].kv.key_len;
    it->val_len = ev[i].kv.value_len;
    presign_check(o, it);
    pthread_mutex_lock(&o->mu);
    while (!o->quit && (o->lq_len >= LOGQ_MAX || o->lq_bytes >= LOGQ_BYTES))
      wait_ms_locked(o, &o->space_cv, 500);
    if (o->quit) {
      pthread_mutex_unlock(&o->mu);
      logitem_free(it);
      return 1;
    }
    if (o->lq_tail)
      o->lq_tail->next = it;
    else
      o->lq_head = it;
    o->lq_tail = it;
    o->lq_len++;
    o->lq_bytes += it->val_len;
    if (it->rev > o->st.last_log_revision) o->st.last_log_revision = it->rev;
    pthread_cond_signal(&o->writer_cv);
    pthread_mutex_unlock(&o->mu);
  }
  return 0;
}

static void on_log_compacted(void *ctx, int64_t rev) {
  eo *o = ctx;
  pthread_mutex_lock(&o->mu);
  o->log_compacted = 1;
  o->log_compact_rev = rev;
  if ((uint64_t)rev > o->st.compact_revision) o->st.compact_revision = (uint64_t)rev;
  note_err_locked(o, 1, "the log is compacted up to revision %" PRId64 ": catching up from peers",
                  rev);
  pthread_cond_signal(&o->writer_cv);
  pthread_mutex_unlock(&o->mu);
}

static void on_log_progress(void *ctx, int64_t rev) {
  eo *o = ctx;
  pthread_mutex_lock(&o->mu);
  if ((uint64_t)rev > o->progress_rev) o->progress_rev = (uint64_t)rev;
  pthread_cond_signal(&o->writer_cv);
  pthread_mutex_unlock(&o->mu);
}

static void on_log_state(void *ctx, int connected, const char *msg) {
  eo *o = ctx;
  pthread_mutex_lock(&o->mu);
  o->watch_ok = connected;
  update_connected_locked(o);
  if (!connected) note_err_locked(o, 0, "log watch lost: %s", msg);
  pthread_mutex_unlock(&o->mu);
}

/* Parses an attestation record: "SYAV" | genesis | height | hash | results |
 * sig_len u8 | sig. */
static int att_decode(eo *o, const uint8_t *p, size_t len, attitem *a) {
  sy_reader r;
  sy_reader_init(&r, p, len);
  const uint8_t *m = sy_get_bytes(&r, 4);
  const uint8_t *g = sy_get_bytes(&r, SY_HASH_LEN);
  if (!m || !g || memcmp(m, "SYAV", 4) != 0 || memcmp(g, o->genesis, SY_HASH_LEN) != 0) return -1;
  a->height = sy_get_u64(&r);
  sy_get_copy(&r, a->hash, SY_HASH_LEN);
  sy_get_copy(&r, a->results, SY_HASH_LEN);
  a->sig_len = sy_get_u8(&r);
  if (r.err || a->sig_len == 0 || sy_get_copy(&r, a->sig, a->sig_len) != SY_OK || r.err ||
      r.off != len)
    return -1;
  return 0;
}

static void att_queue(eo *o, const sy_etcd_kv *kv) {
  attitem a;
  memset(&a, 0, sizeof a);
  uint64_t h;
  if (parse_key(o, kv->key, kv->key_len, "/att/", 0, a.node, &h) ||
      att_decode(o, kv->value, kv->value_len, &a) || a.height != h ||
      memcmp(a.node, o->me, SY_KEYID_LEN) == 0)
    return;
  attitem *it = malloc(sizeof *it);
  if (!it) return;
  *it = a;
  pthread_mutex_lock(&o->mu);
  if (o->aq_len >= ATTQ_MAX) {
    o->st.attestations_rejected++;
    free(it);
  } else {
    it->next = o->aq;
    o->aq = it;
    o->aq_len++;
    pthread_cond_signal(&o->writer_cv);
  }
  pthread_mutex_unlock(&o->mu);
}

static int on_att_events(void *ctx, const sy_etcd_event *ev, size_t n) {
  eo *o = ctx;
  for (size_t i = 0; i < n; i++)
    if (ev[i].type == SY_ETCD_PUT) att_queue(o, &ev[i].kv);
  return quitting(o);
}

static void on_att_compacted(void *ctx, int64_t rev) {
  eo *o = ctx;
  pthread_mutex_lock(&o->mu);
  o->att_compacted = 1;
  o->att_compact_rev = rev;
  pthread_cond_signal(&o->writer_cv);
  pthread_mutex_unlock(&o->mu);
}

/* ---- publishing our attestations ---------------------------------------------------- */

static void publish_attestation(eo *o, uint64_t height, const uint8_t hash[SY_HASH_LEN],
                                const uint8_t results[SY_HASH_LEN]) {
  uint8_t msg[4 + 8 + 64], sig[SY_SIG_MAX];
  size_t sig_len = 0;
  sy_attestation_msg(height, hash, results, msg);
  if (sy_key_sign(o->key, msg, sizeof msg, sig, &sig_len) != SY_OK || !sig_len ||
      sig_len > SY_SIG_MAX)
    return;
  pubitem *it = calloc(1, sizeof *it);
  if (!it) return;
  snprintf(it->key, sizeof it->key, "%s/att/%020" PRIu64 "/%s", o->p, height, o->me_hex);
  sy_buf b = {0};
  sy_buf_put(&b, "SYAV", 4);
  sy_buf_put(&b, o->genesis, SY_HASH_LEN);
  sy_buf_u64(&b, height);
  sy_buf_put(&b, hash, SY_HASH_LEN);
  sy_buf_put(&b, results, SY_HASH_LEN);
  sy_buf_u8(&b, (uint8_t)sig_len);
  sy_buf_put(&b, sig, sig_len);
  if (b.err || b.len > sizeof it->val) {
    sy_buf_free(&b);
    free(it);
    return;
  }
  memcpy(it->val, b.p, b.len);
  it->val_len = b.len;
  sy_buf_free(&b);
  pthread_mutex_lock(&o->mu);
  if (o->pq_len >= PUBQ_MAX) { /* etcd away for long: the oldest go */
    pubitem *old = o->pq_head;
    o->pq_head = old->next;
    if (!o->pq_head) o->pq_tail = NULL;
    o->pq_len--;
    free(old);
  }
  if (o->pq_tail)
    o->pq_tail->next = it;
  else
    o->pq_head = it;
  o->pq_tail = it;
  o->pq_len++;
  if (o->pq_len >= PUB_PER_TXN) pthread_cond_signal(&o->hb_cv);
  pthread_mutex_unlock(&o->mu);
}

/* ---- peer table ------------------------------------------------------------------------ */

static sy_etcd_peer *peer_find_locked(eo *o, const char *hex, int create) {
  for (size_t i = 0; i < o->st.npeers; i++)
    if (strcmp(o->st.peers[i].node, hex) == 0) return &o->st.peers[i];
  if (!create || o->st.npeers == SY_ETCD_MAX_PEERS) return NULL;
  sy_etcd_peer *p = &o->st.peers[o->st.npeers++];
  memset(p, 0, sizeof *p);
  snprintf(p->node, sizeof p->node, "%s", hex);
  return p;
}

/* ---- divergence -------------------------------------------------------------------------- */

static void divergence_eval_locked(eo *o, size_t agree) {
  if (!o->n_div) return;
  /* More disagree than agree: we are the minority. A tie decides only once
   * every registered node has attested (two peers, one each: both stop);
   * before that the node still silent breaks it, and a healthy peer must not
   * refuse writes because the odd one's attestation happened to arrive
   * before an agreeing one. */
  int self = o->n_div > agree || (o->n_div == agree && agree + o->n_div >= o->n_nodes);
  int was = o->st.alarm;
  if (self) {
    o->st.alarm = SY_ALARM_SELF_DIVERGED;
    snprintf(o->st.alarm_msg, sizeof o->st.alarm_msg,
             "this node's block %" PRIu64
             " differs from %zu other node(s) and matches %zu "
             "(ourselves included): writes refused until an operator rebuilds this node",
             o->div_height, o->n_div, agree);
  } else if (was != SY_ALARM_ETCD_BEHIND) {
    o->st.alarm = SY_ALARM_PEER_DIVERGED;
    snprintf(o->st.alarm_msg, sizeof o->st.alarm_msg,
             "%zu node(s) signed a block %" PRIu64 " that differs from ours (%zu agree)", o->n_div,
             o->div_height, agree);
  }
  o->st.alarm_height = o->div_height;
  if (was != o->st.alarm) elog("ALARM: %s", o->st.alarm_msg);
}

/* Handles the queued attestations of blocks we have; runs on the writer.
 * The matching ones are stored together: one SQLite transaction, one fsync. */
static size_t registry_other_active(eo *o);

static void process_attestations(eo *o) {
  sy_tip tip;
  sy_ledger_tip(o->ledger, &tip);
  int have_work;
  pthread_mutex_lock(&o->mu);
  have_work = o->aq != NULL;
  pthread_mutex_unlock(&o->mu);
  if (!have_work) return;
  size_t n_nodes = registry_other_active(o) + 1; /* outside mu: it reads the ledger */
  pthread_mutex_lock(&o->mu);
  o->n_nodes = n_nodes;
  attitem *ready = NULL, **pp = &o->aq;
  size_t nready = 0;
  while (*pp) {
    attitem *it = *pp;
    if (it->height <= tip.height) {
      *pp = it->next;
      it->next = ready;
      ready = it;
      o->aq_len--;
      nready++;
    } else {
      pp = &it->next;
    }
  }
  pthread_mutex_unlock(&o->mu);
  if (!nready) return;
  attitem **keep = calloc(nready, sizeof *keep);
  uint64_t *hs = calloc(nready, sizeof *hs);
  uint8_t(*nodes)[SY_KEYID_LEN] = calloc(nready, SY_KEYID_LEN);
  const uint8_t **sigs = calloc(nready, sizeof *sigs);
  size_t *sls = calloc(nready, sizeof *sls);
  int *res = calloc(nready, sizeof *res);
  size_t *agree = calloc(nready, sizeof *agree);
  size_t nk = 0;
  int oom = !keep || !hs || !nodes || !sigs || !sls || !res || !agree;
  attitem *done_list = NULL;
  while (ready) {
    attitem *it = ready;
    ready = it->next;
    it->next = done_list;
    done_list = it;
    if (oom) continue;
    char hex[2 * SY_KEYID_LEN + 1];
    sy_hex_encode(hex, it->node, SY_KEYID_LEN);
    uint8_t pk[SY_PK_MAX], msg[4 + 8 + 64];
    size_t pk_len = 0;
    int active = 0;
    int rc = node_key(o, it->node, pk, &pk_len, &active);
    sy_attestation_msg(it->height, it->hash, it->results, msg);
    if (rc != SY_OK || !o->suite->verify(it->sig, it->sig_len, msg, sizeof msg, pk, pk_len)) {
      /* Unknown node, or a signature that is not the node's: not evidence
       * of anything, so it raises no alarm. */
      pthread_mutex_lock(&o->mu);
      o->st.attestations_rejected++;
      pthread_mutex_unlock(&o->mu);
      continue;
    }
    sy_block_info bi;
    if (sy_ledger_get_block(o->ledger, it->height, &bi) != SY_OK) continue;
    int same = memcmp(bi.hash, it->hash, SY_HASH_LEN) == 0 &&
               memcmp(bi.hdr.results_hash, it->results, SY_HASH_LEN) == 0;
    size_t ag = bi.natt ? bi.natt : 1;
    sy_block_info_free(&bi);
    if (same) {
      keep[nk] = it;
      hs[nk] = it->height;
      memcpy(nodes[nk], it->node, SY_KEYID_LEN);
      sigs[nk] = it->sig;
      sls[nk] = it->sig_len;
      agree[nk] = ag;
      nk++;
      continue;
    }
    /* Signed by the node over a different block: divergence (SPEC M5a). */
    pthread_mutex_lock(&o->mu);
    o->st.divergences++;
    sy_etcd_peer *p = peer_find_locked(o, hex, 1);
    if (p) p->diverged = 1;
    if (!o->div_height || it->height < o->div_height) {
      o->div_height = it->height;
      o->n_div = 0;
    }
    if (it->height == o->div_height) {
      int known = 0;
      for (size_t i = 0; i < o->n_div; i++)
        known |= memcmp(o->div_nodes[i], it->node, SY_KEYID_LEN) == 0;
      if (!known && o->n_div < SY_ETCD_MAX_PEERS)
        memcpy(o->div_nodes[o->n_div++], it->node, SY_KEYID_LEN);
      divergence_eval_locked(o, ag);
    }
    note_err_locked(o, 1,
                    "node %s attests block %" PRIu64
                    " with a different hash or results "
                    "hash than ours",
                    hex, it->height);
    pthread_mutex_unlock(&o->mu);
  }
  if (nk) {
    int rc = sy_ledger_add_attestations(o->ledger, nk, hs, (const uint8_t(*)[SY_KEYID_LEN])nodes,
                                        sigs, sls, res);
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < nk; i++) {
      if (rc == SY_OK && res[i] == SY_OK) {
        char hex[2 * SY_KEYID_LEN + 1];
        sy_hex_encode(hex, keep[i]->node, SY_KEYID_LEN);
        o->st.attestations_stored++;
        sy_etcd_peer *p = peer_find_locked(o, hex, 1);
        if (p && hs[i] > p->attested_height) p->attested_height = hs[i];
        if (o->n_div && hs[i] == o->div_height) divergence_eval_locked(o, agree[i] + 1);
      } else {
        o->st.attestations_rejected++;
      }
    }
    if (rc) note_err_locked(o, 1, "storing attestations failed: %s", sy_strerror(rc));
    pthread_mutex_unlock(&o->mu);
  }
  while (done_list) {
    attitem *it = done_list;
    done_list = it->next;
    free(it);
  }
  free(keep);
  free(hs);
  free(nodes);
  free(sigs);
  free(sls);
  free(res);
  free(agree);
}

/* ---- catch-up from peers (SPEC M8b) ------------------------------------------------------ */

typedef struct addr_list {
  char addr[SY_ETCD_MAX_PEERS][257];
  uint64_t height[SY_ETCD_MAX_PEERS], rev[SY_ETCD_MAX_PEERS]; /* as announced */
  size_t n;
} addr_list;

static void addr_add(addr_list *l, const char *a, uint64_t h, uint64_t rev) {
  if (!a[0] || (strncmp(a, "http://", 7) != 0 && strncmp(a, "https://", 8) != 0)) return;
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->addr[i], a) == 0) {
      if (h > l->height[i]) {
        l->height[i] = h;
        l->rev[i] = rev;
      }
      return;
    }
  if (l->n == SY_ETCD_MAX_PEERS) return;
  snprintf(l->addr[l->n], sizeof l->addr[0], "%s", a);
  l->rev[l->n] = rev;
  l->height[l->n++] = h;
}

static int list_node_addr(void *ctx, const sy_node_info *n) {
  void **a = ctx;
  eo *o = a[0];
  if (!n->removed && memcmp(n->key_id, o->me, SY_KEYID_LEN) != 0) addr_add(a[1], n->address, 0, 0);
  return 0;
}

/* Counts distinct registered, active nodes other than us whose signature in
 * the raw block's attestation records verifies over (height, hash, results). */
static size_t count_attestations(eo *o, const sy_block_raw *br, const uint8_t hash[SY_HASH_LEN]) {
  uint8_t msg[4 + 8 + 64];
  sy_attestation_msg(br->hdr.height, hash, br->hdr.results_hash, msg);
  uint8_t seen[SY_ETCD_MAX_PEERS][SY_KEYID_LEN];
  size_t nseen = 0, ok = 0;
  sy_reader r;
  sy_reader_init(&r, br->att, br->att_len);
  for (size_t i = 0; i < br->n_att; i++) {
    const uint8_t *node = sy_get_bytes(&r, SY_KEYID_LEN);
    uint8_t sl = sy_get_u8(&r);
    const uint8_t *sig = sy_get_bytes(&r, sl);
    if (!node || !sig || r.err) break;
    if (memcmp(node, o->me, SY_KEYID_LEN) == 0) continue;
    int dup = 0;
    for (size_t k = 0; k < nseen; k++) dup |= memcmp(seen[k], node, SY_KEYID_LEN) == 0;
    if (dup || nseen == SY_ETCD_MAX_PEERS) continue;
    uint8_t pk[SY_PK_MAX];
    size_t pk_len = 0;
    int active = 0;
    if (node_key(o, node, pk, &pk_len, &active) != SY_OK || !active) continue;
    if (!o->suite->verify(sig, sl, msg, sizeof msg, pk, pk_len)) continue;
    memcpy(seen[nseen++], node, SY_KEYID_LEN);
    ok++;
  }
  return ok;
}

static void inflight_free(struct inflight *f);

/* Our own batch that reached us as a block from a peer: answer its waiters. */
static void complete_own(eo *o, const sy_block_raw *br, uint64_t height, const uint16_t *flags) {
  if (memcmp(br->hdr.proposer, o->me, SY_KEYID_LEN) != 0) return;
  inflight *got = NULL;
  pthread_mutex_lock(&o->mu);
  for (inflight **pp = &o->inflight; *pp; pp = &(*pp)->next) {
    inflight *f = *pp;
    if (f->n != br->n) continue;
    int same = 1;
    for (size_t i = 0; i < f->n && same; i++) {
      size_t tl;
      const uint8_t *t = sy_pending_raw(f->pend[i], &tl);
      same = tl == br->lens[i] && memcmp(t, br->txs[i], tl) == 0;
    }
    if (same) {
      *pp = f->next;
      got = f;
      break;
    }
  }
  pthread_mutex_unlock(&o->mu);
  if (!got) return;
  sy_pipeline_complete(o->ctx, got->pend, got->n, height, flags);
  inflight_free(got);
}

/* Fetches and applies blocks from one peer; returns how many were applied. */
static uint64_t catch_up_from(eo *o, const char *addr) {
  uint64_t applied = 0;
  for (;;) {
    if (quitting(o)) break;
    sy_tip tip;
    sy_ledger_tip(o->ledger, &tip);
    uint64_t h = tip.height + 1;
    char url[400];
    snprintf(url, sizeof url, "%s/v1/blocks/%" PRIu64 "/raw", addr, h);
    sy_buf raw = {0};
    long status = 0;
    int rc = sy_net_http_get(url, 10000, RAW_BLOCK_MAX, &raw, &status);
    if (rc || status != 200) {
      if (rc || status != 404) {
        pthread_mutex_lock(&o->mu);
        note_err_locked(o, 0, "catch-up: %s: %s", url,
                        rc ? sy_etcd_errmsg() : "unexpected HTTP status");
        pthread_mutex_unlock(&o->mu);
      }
      sy_buf_free(&raw);
      break;
    }
    sy_block_raw br;
    rc = sy_block_raw_decode(&br, raw.p, raw.len);
    if (rc || br.hdr.height != h || br.n == 0) {
      if (!rc) sy_block_raw_free(&br);
      sy_buf_free(&raw);
      pthread_mutex_lock(&o->mu);
      note_err_locked(o, 1, "catch-up: %s sent a block that does not decode or is not %" PRIu64,
                      addr, h);
      pthread_mutex_unlock(&o->mu);
      break;
    }
    uint8_t expect[SY_HASH_LEN];
    sy_block_hash(&br.hdr, o->suite->hash, expect);
    size_t need = o->need_att;
    if (!need) {
      size_t others = registry_other_active(o);
      need = others < 2 ? 1 : 2;
    }
    size_t have = count_attestations(o, &br, expect);
    if (have < need) {
      pthread_mutex_lock(&o->mu);
      note_err_locked(o, 0,
                      "catch-up: block %" PRIu64
                      " from %s carries %zu attestation(s) of "
                      "other registered nodes, %zu needed; waiting",
                      h, addr, have, need);
      pthread_mutex_unlock(&o->mu);
      sy_block_raw_free(&br);
      sy_buf_free(&raw);
      break;
    }
    sy_batch_tx *bt = calloc(br.n, sizeof *bt);
    uint16_t *flags = malloc(br.n * sizeof *flags);
    sy_commit_info ci;
    memset(&ci, 0, sizeof ci);
    if (bt && flags) {
      for (size_t i = 0; i < br.n; i++) bt[i] = (sy_batch_tx){br.txs[i], br.lens[i], 0, NULL};
      sy_batch b = {
          .txs = bt, .n = br.n, .timestamp_ms = br.hdr.timestamp_ms, .position = br.position};
      memcpy(b.proposer, br.hdr.proposer, SY_KEYID_LEN);
      rc = sy_ledger_append_expect(o->ledger, &b, expect, flags, &ci);
      if (rc == SY_OK && !ci.skipped) complete_own(o, &br, ci.height, flags);
    } else {
      rc = SY_ENOMEM;
    }
    free(bt);
    free(flags);
    if (rc == SY_OK && !ci.skipped) {
      applied++;
      /* Keep the attestations the block carried (checked against ours). */
      sy_reader r;
      sy_reader_init(&r, br.att, br.att_len);
      for (size_t i = 0; i < br.n_att; i++) {
        const uint8_t *node = sy_get_bytes(&r, SY_KEYID_LEN);
        uint8_t sl = sy_get_u8(&r);
        const uint8_t *sig = sy_get_bytes(&r, sl);
        if (!node || !sig || r.err) break;
        if (memcmp(node, o->me, SY_KEYID_LEN) == 0) continue;
        int m = 0;
        sy_ledger_add_attestation(o->ledger, h, node, sig, sl, &m);
      }
      sy_tip t2;
      sy_ledger_tip(o->ledger, &t2);
      publish_attestation(o, t2.height, t2.hash, t2.results_hash);
      pthread_mutex_lock(&o->mu);
      o->st.catchup_blocks++;
      pthread_mutex_unlock(&o->mu);
    }
    sy_block_raw_free(&br);
    sy_buf_free(&raw);
    if (rc != SY_OK || ci.skipped) {
      pthread_mutex_lock(&o->mu);
      if (rc == SY_EDIVERGED) {
        note_err_locked(o, 1,
                        "catch-up: block %" PRIu64
                        " from %s replays to a different hash "
                        "here: that peer or this node diverged",
                        h, addr);
        /* The block carries the attestations of `have` other registered
         * nodes (checked above): they agree on it and our replay does not,
         * so it is this node's state that diverged (a tampered database, a
         * bug): the same alarm as a disagreeing attestation (SPEC M5a). */
        o->st.divergences++;
        if (o->st.alarm != SY_ALARM_SELF_DIVERGED) {
          o->st.alarm = SY_ALARM_SELF_DIVERGED;
          o->st.alarm_height = h;
          snprintf(o->st.alarm_msg, sizeof o->st.alarm_msg,
                   "block %" PRIu64
                   ", attested by %zu other node(s), replays to a different "
                   "block here: this node's state diverged; writes refused until an operator "
                   "rebuilds this node",
                   h, have);
          elog("ALARM: %s", o->st.alarm_msg);
        }
      } else if (rc) {
        note_err_locked(o, 1, "catch-up: block %" PRIu64 " from %s: %s", h, addr, sy_strerror(rc));
      }
      pthread_mutex_unlock(&o->mu);
      break;
    }
  }
  return applied;
}

/* One pass over the peers we know, highest first. */
static void catch_up(eo *o) {
  addr_list *l = calloc(1, sizeof *l);
  if (!l) return;
  char prefix[300];
  int pn = snprintf(prefix, sizeof prefix, "%s/peers/", o->p);
  uint8_t end[300];
  size_t el = sy_etcd_prefix_end(prefix, (size_t)pn, end);
  sy_etcd_result res = {0};
  if (sy_etcd_range(o->etcd, prefix, (size_t)pn, end, el, NULL, &res) == SY_OK) {
    for (size_t i = 0; i < res.n; i++) {
      uint8_t id[SY_KEYID_LEN];
      if (parse_key(o, res.kvs[i].key, res.kvs[i].key_len, "/peers/", 1, id, NULL) ||
          memcmp(id, o->me, SY_KEYID_LEN) == 0 || res.kvs[i].value_len > PEER_VALUE_MAX)
        continue;
      cJSON *v = cJSON_ParseWithLength((const char *)res.kvs[i].value, res.kvs[i].value_len);
      const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "address");
      const cJSON *hh = cJSON_GetObjectItemCaseSensitive(v, "height");
      const cJSON *rr = cJSON_GetObjectItemCaseSensitive(v, "applied_revision");
      const cJSON *g = cJSON_GetObjectItemCaseSensitive(v, "genesis");
      if (cJSON_IsString(a) && a->valuestring && strlen(a->valuestring) < 257 &&
          cJSON_IsString(g) && g->valuestring && strcmp(g->valuestring, o->genesis_hex) == 0)
        addr_add(l, a->valuestring,
                 cJSON_IsNumber(hh) && hh->valuedouble > 0 && hh->valuedouble < 9e18
                     ? (uint64_t)hh->valuedouble
                     : 0,
                 cJSON_IsNumber(rr) && rr->valuedouble > 0 && rr->valuedouble < 9e18
                     ? (uint64_t)rr->valuedouble
                     : 0);
      cJSON_Delete(v);
    }
  }
  sy_etcd_result_free(&res);
  void *ctx[2] = {o, l};
  sy_ledger_list_nodes(o->ledger, list_node_addr, ctx);
  /* Highest announced height first. */
  for (size_t i = 1; i < l->n; i++)
    for (size_t k = i; k > 0 && l->height[k] > l->height[k - 1]; k--) {
      char t[257];
      memcpy(t, l->addr[k], sizeof t);
      memcpy(l->addr[k], l->addr[k - 1], sizeof t);
      memcpy(l->addr[k - 1], t, sizeof t);
      uint64_t th = l->height[k];
      l->height[k] = l->height[k - 1];
      l->height[k - 1] = th;
    }
  uint64_t total = 0;
  char adv[257];
  pthread_mutex_lock(&o->mu);
  memcpy(adv, o->advertise, sizeof adv);
  pthread_mutex_unlock(&o->mu);
  for (size_t i = 0; i < l->n && !quitting(o); i++) {
    if (adv[0] && strcmp(l->addr[i], adv) == 0) continue;
    total += catch_up_from(o, l->addr[i]);
    /* Holding every block of a peer that announced (height, applied
     * revision) means no batch at or below that revision is missing: the
     * watch may start after it even if the history up to there is gone. */
    sy_tip tip;
    sy_ledger_tip(o->ledger, &tip);
    if (l->rev[i] && tip.height >= l->height[i]) {
      pthread_mutex_lock(&o->mu);
      if (l->rev[i] > o->watch_floor) o->watch_floor = l->rev[i];
      pthread_mutex_unlock(&o->mu);
    }
  }
  if (total) elog("caught up %" PRIu64 " block(s) from peers", total);
  free(l);
}

/* ---- the writer --------------------------------------------------------------------- */

static void inflight_free(inflight *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n; i++) sy_pending_unref(f->pend[i]);
  free(f->pend);
  free(f);
}

/* Takes our in-flight batch seq if its digest matches (writer side). */
static inflight *inflight_take(eo *o, uint64_t seq, const uint8_t digest[SY_HASH_LEN]) {
  pthread_mutex_lock(&o->mu);
  inflight *got = NULL;
  for (inflight **pp = &o->inflight; *pp; pp = &(*pp)->next) {
    if ((*pp)->seq == seq && memcmp((*pp)->digest, digest, SY_HASH_LEN) == 0) {
      got = *pp;
      *pp = got->next;
      break;
    }
  }
  pthread_mutex_unlock(&o->mu);
  return got;
}

static void reject_batch(eo *o, const logitem *it, const char *why) {
  pthread_mutex_lock(&o->mu);
  o->st.batches_rejected++;
  note_err_locked(o, 0, "batch at revision %" PRIu64 " skipped: %s", it->rev, why);
  pthread_mutex_unlock(&o->mu);
}

/* Applies one log entry. Every check here depends only on the entry and the
 * ledger state before it, so every peer skips or applies it alike. */
static void apply_log_item(eo *o, logitem *it) {
  sy_tip tip;
  sy_ledger_tip(o->ledger, &tip);
  if (it->rev <= tip.position) return;
  /* Only a key's first version is a batch: a repeated put of the same key
   * (a retried request) is not ordered twice. */
  if (it->version != 1) return;
  uint8_t prop[SY_KEYID_LEN];
  uint64_t seq;
  if (parse_key(o, it->key, it->key_len, "/log/", 1, prop, &seq)) {
    reject_batch(o, it, "key is not <prefix>/log/<node>/<seq>");
    return;
  }
  batch_view bv;
  int rc = batch_decode(o, it->val, it->val_len, &bv);
  if (rc) {
    reject_batch(o, it, rc == SY_EWRONGCHAIN ? "another chain's batch" : "does not decode");
    return;
  }
  if (memcmp(bv.proposer, prop, SY_KEYID_LEN) != 0 || bv.seq != seq) {
    free(bv.txs);
    reject_batch(o, it, "key does not match the batch's proposer and sequence");
    return;
  }
  /* A registered node's batch must carry its signature; a batch from an
   * unknown node cannot be checked and is applied as evidence: apply
   * records every transaction in it unregistered_proposer (SPEC M8). */
  uint8_t pk[SY_PK_MAX];
  size_t pk_len = 0;
  int active = 0;
  for (;;) {
    rc = node_key(o, prop, pk, &pk_len, &active);
    if (rc == SY_OK || rc == SY_ENOTFOUND || quitting(o)) break;
    sleep_unless_quit(o, &o->writer_cv, 200); /* a read failed: never skip on that */
  }
  if (rc == SY_OK &&
      !o->suite->verify(bv.sig, bv.sig_len, bv.signed_part, bv.signed_len, pk, pk_len)) {
    free(bv.txs);
    reject_batch(o, it, "signature is not the proposer's");
    return;
  }
  if (rc != SY_OK && rc != SY_ENOTFOUND) {
    free(bv.txs);
    return;
  }
  inflight *mine = NULL;
  if (memcmp(prop, o->me, SY_KEYID_LEN) == 0) {
    uint8_t d[SY_HASH_LEN];
    hash_bytes(o, it->val, it->val_len, d);
    mine = inflight_take(o, seq, d);
    if (mine && mine->n == bv.n)
      for (size_t i = 0; i < bv.n; i++) {
        bv.txs[i].sig_checked = sy_pending_sig_checked(mine->pend[i]);
        bv.txs[i].prep = sy_pending_prep(mine->pend[i]);
      }
  }
  if (it->sig_ok && it->n_sig_ok == bv.n)
    for (size_t i = 0; i < bv.n; i++) bv.txs[i].sig_checked = it->sig_ok[i];
  sy_batch b = {.txs = bv.txs, .n = bv.n, .timestamp_ms = bv.timestamp_ms, .position = it->rev};
  memcpy(b.proposer, prop, SY_KEYID_LEN);
  unsigned backoff = 100;
  for (;;) {
    rc = o->deliver(o->ctx, &b, mine && mine->n == b.n ? mine->pend : NULL);
    if (rc == SY_OK) break;
    /* The batch is ordered: it cannot be skipped. Its waiters got the error;
     * retry without them until the disk recovers. */
    pthread_mutex_lock(&o->mu);
    note_err_locked(o, 1, "applying the batch at revision %" PRIu64 " failed: %s; retrying",
                    it->rev, sy_strerror(rc));
    pthread_mutex_unlock(&o->mu);
    inflight_free(mine);
    mine = NULL;
    for (size_t i = 0; i < b.n; i++) {
      bv.txs[i].sig_checked = 0;
      bv.txs[i].prep = NULL; /* it was the pending transactions' */
    }
    if (quitting(o)) break;
    sleep_unless_quit(o, &o->writer_cv, backoff);
    backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
  }
  inflight_free(mine);
  free(bv.txs);
  if (rc != SY_OK) return;
  sy_tip t2;
  sy_ledger_tip(o->ledger, &t2);
  if (t2.position == it->rev) {
    publish_attestation(o, t2.height, t2.hash, t2.results_hash);
    pthread_mutex_lock(&o->mu);
    o->st.batches_applied++;
    pthread_mutex_unlock(&o->mu);
  }
}

/* The chain's start marker P/start = genesis hash, created by the first
 * peer ever to start. Its revision bounds the log from below: history
 * before it (another application's, compacted or not) is none of this
 * chain's, so a new chain never waits for a catch-up that cannot come. A
 * marker naming another genesis means the prefix belongs to another chain. */
static int ensure_marker(eo *o) {
  char key[300];
  int kl = snprintf(key, sizeof key, "%s/start", o->p);
  for (int attempt = 0; attempt < 2; attempt++) {
    sy_etcd_result res = {0};
    int rc = sy_etcd_range(o->etcd, key, (size_t)kl, NULL, 0, NULL, &res);
    if (rc) return rc;
    if (res.n == 1) {
      int mine = res.kvs[0].value_len == 2 * SY_HASH_LEN &&
                 memcmp(res.kvs[0].value, o->genesis_hex, 2 * SY_HASH_LEN) == 0;
      pthread_mutex_lock(&o->mu);
      if (mine) {
        o->log_start = (uint64_t)res.kvs[0].create_revision;
        o->ready = 1;
        pthread_cond_broadcast(&o->prop_cv);
      } else if (o->st.alarm != SY_ALARM_ETCD_BEHIND) {
        o->st.alarm = SY_ALARM_ETCD_BEHIND;
        snprintf(o->st.alarm_msg, sizeof o->st.alarm_msg,
                 "etcd prefix %.150s belongs to another chain (different genesis): writes refused",
                 o->p);
        elog("ALARM: %s", o->st.alarm_msg);
      }
      pthread_mutex_unlock(&o->mu);
      sy_etcd_result_free(&res);
      return mine ? SY_OK : SY_EWRONGCHAIN;
    }
    sy_etcd_result_free(&res);
    int64_t rev;
    int created;
    rc = sy_etcd_create(o->etcd, key, (size_t)kl, o->genesis_hex, 2 * SY_HASH_LEN, 0, &rev,
                        &created);
    if (rc) return rc;
  }
  return SY_EIO;
}

static int start_log_watch(eo *o, sy_etcd_watch **w) {
  sy_tip tip;
  sy_ledger_tip(o->ledger, &tip);
  pthread_mutex_lock(&o->mu);
  if (tip.position < o->log_start) tip.position = o->log_start;
  if (tip.position < o->watch_floor) tip.position = o->watch_floor;
  pthread_mutex_unlock(&o->mu);
  char prefix[300];
  int n = snprintf(prefix, sizeof prefix, "%s/log/", o->p);
  sy_etcd_watch_cbs cbs = {.on_events = on_log_events,
                           .on_compacted = on_log_compacted,
                           .on_state = on_log_state,
                           .on_progress = on_log_progress,
                           .ctx = o};
  return sy_etcd_watch_start(o->etcd, prefix, (size_t)n, (int64_t)tip.position + 1, &cbs, w);
}

/* Loads the attestations already in etcd, then watches for new ones. */
static int start_att_watch(eo *o, int64_t from, sy_etcd_watch **w) {
  char prefix[300];
  int n = snprintf(prefix, sizeof prefix, "%s/att/", o->p);
  if (!from) {
    uint8_t end[300];
    size_t el = sy_etcd_prefix_end(prefix, (size_t)n, end);
    sy_etcd_result res = {0};
    sy_etcd_range_opts ro = {.limit = 100000};
    if (sy_etcd_range(o->etcd, prefix, (size_t)n, end, el, &ro, &res) == SY_OK) {
      for (size_t i = 0; i < res.n; i++) att_queue(o, &res.kvs[i]);
      from = res.revision + 1;
    }
    sy_etcd_result_free(&res);
  }
  sy_etcd_watch_cbs cbs = {.on_events = on_att_events, .on_compacted = on_att_compacted, .ctx = o};
  return sy_etcd_watch_start(o->etcd, prefix, (size_t)n, from, &cbs, w);
}

static void sweep_inflight(eo *o) {
  uint64_t now = mono_ms();
  inflight *old = NULL;
  pthread_mutex_lock(&o->mu);
  for (inflight **pp = &o->inflight; *pp;) {
    if (now - (*pp)->born_ms > INFLIGHT_MAX_AGE_MS) {
      inflight *f = *pp;
      *pp = f->next;
      f->next = old;
      old = f;
    } else {
      pp = &(*pp)->next;
    }
  }
  pthread_mutex_unlock(&o->mu);
  while (old) {
    inflight *f = old;
    old = f->next;
    sy_pipeline_fail(o->ctx, f->pend, f->n, SY_ETIMEDOUT);
    inflight_free(f);
  }
}

static void *writer_main(void *arg) {
  eo *o = arg;
  sy_etcd_watch *lw = NULL, *aw = NULL;
  for (unsigned backoff = 100;; backoff = backoff * 2 > 2000 ? 2000 : backoff * 2) {
    pthread_mutex_lock(&o->mu);
    int stop = o->quit || o->stopping;
    pthread_mutex_unlock(&o->mu);
    if (stop) goto out;
    int rc = ensure_marker(o);
    if (rc == SY_OK) break;
    if (rc != SY_EWRONGCHAIN) {
      pthread_mutex_lock(&o->mu);
      note_err_locked(o, 0, "cannot reach etcd: %s", sy_etcd_errmsg());
      pthread_mutex_unlock(&o->mu);
    }
    sleep_unless_quit(o, &o->writer_cv, rc == SY_EWRONGCHAIN ? 5000 : backoff);
  }
  if (start_log_watch(o, &lw)) lw = NULL;
  if (start_att_watch(o, 0, &aw)) aw = NULL;
  uint64_t last_sweep = mono_ms(), last_progress_check = 0, last_att = 0;
  for (;;) {
    pthread_mutex_lock(&o->mu);
    for (;;) {
      if (o->quit) break;
      if (o->stopping && o->prop_done && (!o->inflight || mono_ms() > o->stop_deadline_ms)) break;
      if (o->lq_head || o->log_compacted || o->att_compacted) break;
      wait_ms_locked(o, &o->writer_cv, 200);
      break; /* also runs the periodic work below */
    }
    if (o->quit ||
        (o->stopping && o->prop_done && (!o->inflight || mono_ms() > o->stop_deadline_ms))) {
      pthread_mutex_unlock(&o->mu);
      break;
    }
    logitem *it = o->lq_head;
    if (it) {
      o->lq_head = it->next;
      if (!o->lq_head) o->lq_tail = NULL;
      o->lq_len--;
      o->lq_bytes -= it->val_len;
      pthread_cond_signal(&o->space_cv);
    }
    int compacted = o->log_compacted && !it;
    int att_compacted = o->att_compacted;
    int64_t att_rev = o->att_compact_rev;
    o->att_compacted = 0;
    pthread_mutex_unlock(&o->mu);

    if (it) {
      apply_log_item(o, it);
      pthread_mutex_lock(&o->mu);
      if (it->rev > o->processed_rev) o->processed_rev = it->rev;
      pthread_mutex_unlock(&o->mu);
      logitem_free(it);
    } else {
      /* Idle and etcd reports progress: if no log entry exists in the log
       * between what we applied and that revision (read at that revision),
       * everything up to it is processed. The progress notification alone is
       * not proof (etcd-io/etcd#15220). */
      pthread_mutex_lock(&o->mu);
      uint64_t prog = o->progress_rev, done = o->processed_rev;
      int idle = !o->lq_head;
      pthread_mutex_unlock(&o->mu);
      sy_tip tip;
      sy_ledger_tip(o->ledger, &tip);
      if (done < tip.position) done = tip.position;
      if (idle && prog > done && mono_ms() - last_progress_check >= 1000) {
        last_progress_check = mono_ms();
        char lp[300];
        int ln = snprintf(lp, sizeof lp, "%s/log/", o->p);
        uint8_t lend[300];
        size_t lel = sy_etcd_prefix_end(lp, (size_t)ln, lend);
        sy_etcd_result res = {0};
        sy_etcd_range_opts ro = {
            .count_only = 1, .revision = (int64_t)prog, .min_mod_revision = (int64_t)done + 1};
        if (sy_etcd_range(o->etcd, lp, (size_t)ln, lend, lel, &ro, &res) == SY_OK &&
            res.count == 0) {
          pthread_mutex_lock(&o->mu);
          if (prog > o->processed_rev) o->processed_rev = prog;
          pthread_mutex_unlock(&o->mu);
        }
        sy_etcd_result_free(&res);
      }
    }
    /* Others' attestations are stored in groups too: one fsync per 100 ms. */
    if (mono_ms() - last_att >= 100) {
      last_att = mono_ms();
      process_attestations(o);
    }
    if (compacted) {
      /* Everything the old watch delivered is applied; the rest of the
       * history is gone from etcd: fetch blocks from peers, then watch again
       * from after the last one. */
      sy_etcd_watch_stop(lw);
      lw = NULL;
      sy_tip before, after;
      sy_ledger_tip(o->ledger, &before);
      catch_up(o);
      sy_ledger_tip(o->ledger, &after);
      if (after.height == before.height) sleep_unless_quit(o, &o->writer_cv, 1000);
      pthread_mutex_lock(&o->mu);
      o->log_compacted = 0;
      pthread_mutex_unlock(&o->mu);
      if (start_log_watch(o, &lw)) lw = NULL;
    } else if (lw && sy_etcd_watch_ended(lw)) {
      sy_etcd_watch_stop(lw); /* ended without compaction (out of memory) */
      if (start_log_watch(o, &lw)) lw = NULL;
    } else if (!lw && !quitting(o)) {
      if (start_log_watch(o, &lw)) lw = NULL;
    }
    if (att_compacted || (aw && sy_etcd_watch_ended(aw))) {
      sy_etcd_watch_stop(aw);
      if (start_att_watch(o, att_compacted ? att_rev : 0, &aw)) aw = NULL;
    }
    if (mono_ms() - last_sweep > 1000) {
      last_sweep = mono_ms();
      sweep_inflight(o);
    }
  }
out:
  /* Unblock a watch callback waiting for queue space, then end the watches. */
  pthread_mutex_lock(&o->mu);
  o->quit = 1;
  pthread_cond_broadcast(&o->space_cv);
  pthread_cond_broadcast(&o->hb_cv);
  pthread_cond_broadcast(&o->prop_cv);
  pthread_cond_broadcast(&o->retry_cv);
  pthread_mutex_unlock(&o->mu);
  sy_etcd_watch_stop(lw);
  sy_etcd_watch_stop(aw);
  return NULL;
}

/* ---- the proposer ------------------------------------------------------------------- */

static void *prop_main(void *arg) {
  eo *o = arg;
  sy_pending **pend = malloc(o->max_txs * sizeof *pend);
  if (!pend) abort(); /* at start-up, before any transaction was accepted */
  size_t fixed = 4 + 1 + strlen(o->chain) + SY_HASH_LEN + SY_KEYID_LEN + 8 + 8 + 4 + 1 + SY_SIG_MAX;
  pthread_mutex_lock(&o->mu);
  for (;;) {
    while ((o->len == 0 || !o->ready) && !o->stopping && !o->quit)
      pthread_cond_wait(&o->prop_cv, &o->mu);
    if (o->quit || (o->len == 0 && o->stopping)) break;
    if (!o->ready) { /* stopping before etcd was ever reached */
      while (!o->quit) pthread_cond_wait(&o->prop_cv, &o->mu);
      break;
    }
    /* A short batch waits wait_ms for company, and while PUTS_ACTIVE_MAX
     * puts are out, until one of them returns: a full batch goes at once. */
    if (o->len < o->max_txs && !o->stopping) {
      uint64_t until = mono_ms() + o->wait_ms;
      for (;;) {
        if (o->len >= o->max_txs || o->stopping || o->quit || o->len == 0) break;
        uint64_t now = mono_ms();
        int busy = o->puts_active >= PUTS_ACTIVE_MAX;
        if (!busy && now >= until) break;
        wait_ms_locked(o, &o->prop_cv, busy ? 50 : (unsigned)(until - now));
      }
    }
    if (o->len == 0) continue; /* another proposer took them */
    size_t n = 0, bytes = fixed;
    while (n < o->len && n < o->max_txs) {
      sy_pending *p = o->q[(o->head + n) % o->cap];
      size_t tl;
      sy_pending_raw(p, &tl);
      if (n > 0 && bytes + 4 + tl > o->max_bytes) break;
      bytes += 4 + tl;
      pend[n++] = p;
    }
    o->head = (o->head + n) % o->cap;
    o->len -= n;
    if (o->len) pthread_cond_signal(&o->prop_cv); /* the next batch need not wait for this put */
    uint64_t seq = o->next_seq++;
    o->puts_active++;
    pthread_mutex_unlock(&o->mu);

    sy_buf b = {0};
    sy_buf_put(&b, "SYBA", 4);
    sy_buf_u8(&b, (uint8_t)strlen(o->chain));
    sy_buf_put(&b, o->chain, strlen(o->chain));
    sy_buf_put(&b, o->genesis, SY_HASH_LEN);
    sy_buf_put(&b, o->me, SY_KEYID_LEN);
    sy_buf_u64(&b, wall_ms());
    sy_buf_u64(&b, seq);
    sy_buf_u32(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
      size_t tl;
      const uint8_t *t = sy_pending_raw(pend[i], &tl);
      sy_buf_u32(&b, (uint32_t)tl);
      sy_buf_put(&b, t, tl);
    }
    uint8_t sig[SY_SIG_MAX];
    size_t sig_len = 0;
    int rc = b.err ? b.err : sy_key_sign(o->key, b.p, b.len, sig, &sig_len);
    if (rc == SY_OK) {
      sy_buf_u8(&b, (uint8_t)sig_len);
      sy_buf_put(&b, sig, sig_len);
      rc = b.err;
    }
    inflight *f = rc ? NULL : calloc(1, sizeof *f);
    if (f) f->pend = malloc(n * sizeof *f->pend);
    if (!f || !f->pend) {
      free(f);
      f = NULL;
      sy_pipeline_fail(o->ctx, pend, n, rc ? rc : SY_ENOMEM);
      for (size_t i = 0; i < n; i++) sy_pending_unref(pend[i]);
      sy_buf_free(&b);
      pthread_mutex_lock(&o->mu);
      o->puts_active--;
      pthread_cond_broadcast(&o->prop_cv);
      continue;
    }
    memcpy(f->pend, pend, n * sizeof *pend); /* the references move to f */
    f->n = n;
    f->seq = seq;
    f->born_ms = mono_ms();
    hash_bytes(o, b.p, b.len, f->digest);
    /* Registered before the put: the watch may deliver it before the put
     * returns. */
    pthread_mutex_lock(&o->mu);
    f->next = o->inflight;
    o->inflight = f;
    pthread_mutex_unlock(&o->mu);

    char key[300];
    int kl = snprintf(key, sizeof key, "%s/log/%s/%020" PRIu64, o->p, o->me_hex, seq);
    int64_t rev = 0;
    int created = 0;
    /* Creating the key is idempotent, so an unclear failure can be retried
     * on another endpoint without ordering the batch twice. */
    /* Retried until PUT_DEADLINE_MS (a leader election takes one or two
     * seconds); once etcd is known to be unavailable, tried once. */
    uint64_t put_deadline = mono_ms() + PUT_DEADLINE_MS;
    for (unsigned backoff = 100;; backoff = backoff * 2 > 1000 ? 1000 : backoff * 2) {
      rc = sy_etcd_create(o->etcd, key, (size_t)kl, b.p, b.len, 0, &rev, &created);
      if (rc == SY_OK || rc == SY_EINVAL || rc == SY_ETOOBIG || quitting(o)) break;
      pthread_mutex_lock(&o->mu);
      int give_up = o->unavail || o->stopping || mono_ms() + backoff >= put_deadline;
      pthread_mutex_unlock(&o->mu);
      if (give_up) break;
      sleep_unless_quit(o, &o->retry_cv, backoff);
    }
    sy_buf_free(&b);
    sy_pending **refused = NULL;
    size_t nrefused = 0;
    pthread_mutex_lock(&o->mu);
    o->puts_active--;
    pthread_cond_broadcast(&o->prop_cv); /* a waiting batch may go now */
    if (rc == SY_OK) {
      o->st.batches_proposed++;
      set_available_locked(o);
    } else {
      o->st.put_failures++;
      note_err_locked(o, 1, "putting batch %" PRIu64 " (%zu txs) failed: %s", seq, n,
                      sy_etcd_errmsg());
      if (rc != SY_EINVAL && rc != SY_ETOOBIG && !o->unavail && !o->quit) {
        /* No quorum, or no member reachable: refuse writes at once (503)
         * until etcd answers again, and answer what is queued now. */
        o->unavail = 1;
        o->unavail_since = mono_ms();
        update_connected_locked(o);
        elog("the ordering service is unavailable (%s): writes refused with 503 until etcd "
             "answers again",
             sy_etcd_errmsg());
        if (o->len && (refused = malloc(o->len * sizeof *refused))) {
          while (o->len) {
            refused[nrefused++] = o->q[o->head];
            o->head = (o->head + 1) % o->cap;
            o->len--;
          }
        }
      }
      /* Unless the writer already took it (the put did land), tell its
       * waiters: the cluster could not order it. */
      for (inflight **pp = &o->inflight; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
          *pp = f->next;
          pthread_mutex_unlock(&o->mu);
          sy_pipeline_fail(o->ctx, f->pend, f->n,
                           rc == SY_EINVAL || rc == SY_ETOOBIG ? SY_ETOOBIG : SY_EBUSY);
          inflight_free(f);
          pthread_mutex_lock(&o->mu);
          break;
        }
      }
    }
    if (nrefused) {
      pthread_mutex_unlock(&o->mu);
      sy_pipeline_fail(o->ctx, refused, nrefused, SY_EBUSY);
      for (size_t i = 0; i < nrefused; i++) sy_pending_unref(refused[i]);
      pthread_mutex_lock(&o->mu);
    }
    free(refused);
  }
  /* quit before the queue drained: answer what is left */
  while (o->len) {
    sy_pending *p = o->q[o->head];
    o->head = (o->head + 1) % o->cap;
    o->len--;
    pthread_mutex_unlock(&o->mu);
    sy_pipeline_fail(o->ctx, &p, 1, SY_ESTOPPED);
    sy_pending_unref(p);
    pthread_mutex_lock(&o->mu);
  }
  if (--o->prop_running == 0) o->prop_done = 1;
  pthread_cond_broadcast(&o->writer_cv);
  pthread_cond_broadcast(&o->prop_cv); /* the others drain or end too */
  pthread_mutex_unlock(&o->mu);
  free(pend);
  return NULL;
}

/* ---- heartbeat: lease, discovery, attestations, janitor ------------------------------- */

static int count_active(void *ctx, const sy_node_info *n) {
  void **a = ctx;
  eo *o = a[0];
  size_t *cnt = a[1];
  if (!n->removed && memcmp(n->key_id, o->me, SY_KEYID_LEN) != 0) (*cnt)++;
  return 0;
}

static size_t registry_other_active(eo *o) {
  size_t n = 0;
  void *ctx[2] = {o, &n};
  sy_ledger_list_nodes(o->ledger, count_active, ctx);
  return n;
}

static void publish_pending(eo *o) {
  for (;;) {
    pubitem *batch[PUB_PER_TXN];
    size_t n = 0;
    pthread_mutex_lock(&o->mu);
    int64_t lease = o->lease;
    while (lease && n < PUB_PER_TXN && o->pq_head) {
      batch[n++] = o->pq_head;
      o->pq_head = o->pq_head->next;
      o->pq_len--;
    }
    if (!o->pq_head) o->pq_tail = NULL;
    pthread_mutex_unlock(&o->mu);
    if (!n) return;
    const uint8_t *keys[PUB_PER_TXN], *vals[PUB_PER_TXN];
    size_t kl[PUB_PER_TXN], vl[PUB_PER_TXN];
    for (size_t i = 0; i < n; i++) {
      keys[i] = (const uint8_t *)batch[i]->key;
      kl[i] = strlen(batch[i]->key);
      vals[i] = batch[i]->val;
      vl[i] = batch[i]->val_len;
    }
    int rc = sy_etcd_put_many(o->etcd, n, keys, kl, vals, vl, lease, NULL);
    if (rc == SY_OK) {
      for (size_t i = 0; i < n; i++) free(batch[i]);
      continue;
    }
    /* Put them back in front, in order; try again at the next beat. */
    pthread_mutex_lock(&o->mu);
    for (size_t i = n; i-- > 0;) {
      batch[i]->next = o->pq_head;
      o->pq_head = batch[i];
      if (!o->pq_tail) o->pq_tail = batch[i];
      o->pq_len++;
    }
    if (rc == SY_ENOTFOUND) o->lease = 0; /* lease expired under us */
    note_err_locked(o, 0, "publishing attestations failed: %s", sy_etcd_errmsg());
    pthread_mutex_unlock(&o->mu);
    return;
  }
}

/* The revision up to which this peer has every batch: read before the tip,
 * so the announced height covers it. */
static uint64_t synced_revision(eo *o, sy_tip *tip) {
  pthread_mutex_lock(&o->mu);
  uint64_t r = o->processed_rev;
  pthread_mutex_unlock(&o->mu);
  sy_ledger_tip(o->ledger, tip);
  return r > tip->position ? r : tip->position;
}

static void announce(eo *o) {
  sy_tip tip;
  uint64_t synced = synced_revision(o, &tip);
  pthread_mutex_lock(&o->mu);
  int64_t lease = o->lease;
  pthread_mutex_unlock(&o->mu);
  if (!lease) return;
  cJSON *v = cJSON_CreateObject();
  if (!v) return;
  char adv[257];
  pthread_mutex_lock(&o->mu);
  memcpy(adv, o->advertise, sizeof adv);
  pthread_mutex_unlock(&o->mu);
  cJSON_AddStringToObject(v, "address", adv);
  cJSON_AddNumberToObject(v, "applied_revision", (double)synced);
  cJSON_AddNumberToObject(v, "height", (double)tip.height);
  cJSON_AddStringToObject(v, "genesis", o->genesis_hex);
  char *s = cJSON_PrintUnformatted(v);
  cJSON_Delete(v);
  if (!s) return;
  char key[300];
  int kl = snprintf(key, sizeof key, "%s/peers/%s", o->p, o->me_hex);
  int rc = sy_etcd_put(o->etcd, key, (size_t)kl, s, strlen(s), lease, NULL);
  cJSON_free(s);
  if (rc) {
    pthread_mutex_lock(&o->mu);
    if (rc == SY_ENOTFOUND) o->lease = 0;
    note_err_locked(o, 0, "announcing this peer failed: %s", sy_etcd_errmsg());
    pthread_mutex_unlock(&o->mu);
  }
}

/* Reads P/peers/ into the peer table; returns etcd's revision (0 on failure). */
static int64_t refresh_peers(eo *o) {
  char prefix[300];
  int pn = snprintf(prefix, sizeof prefix, "%s/peers/", o->p);
  uint8_t end[300];
  size_t el = sy_etcd_prefix_end(prefix, (size_t)pn, end);
  sy_etcd_result res = {0};
  sy_etcd_range_opts ro = {.limit = SY_ETCD_MAX_PEERS};
  if (sy_etcd_range(o->etcd, prefix, (size_t)pn, end, el, &ro, &res) != SY_OK) return 0;
  typedef struct {
    char hex[2 * SY_KEYID_LEN + 1];
    char addr[257];
    uint64_t rev, h;
    int registered;
  } seen_t;
  seen_t *seen = calloc(res.n ? res.n : 1, sizeof *seen);
  size_t ns = 0;
  for (size_t i = 0; seen && i < res.n; i++) {
    uint8_t id[SY_KEYID_LEN];
    if (parse_key(o, res.kvs[i].key, res.kvs[i].key_len, "/peers/", 1, id, NULL) ||
        res.kvs[i].value_len > PEER_VALUE_MAX)
      continue;
    cJSON *v = cJSON_ParseWithLength((const char *)res.kvs[i].value, res.kvs[i].value_len);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "address");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "applied_revision");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(v, "height");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(v, "genesis");
    if (cJSON_IsString(g) && g->valuestring && strcmp(g->valuestring, o->genesis_hex) == 0) {
      seen_t *s = &seen[ns++];
      sy_hex_encode(s->hex, id, SY_KEYID_LEN);
      if (cJSON_IsString(a) && a->valuestring && strlen(a->valuestring) < sizeof s->addr)
        snprintf(s->addr, sizeof s->addr, "%s", a->valuestring);
      if (cJSON_IsNumber(r) && r->valuedouble > 0 && r->valuedouble < 9e18)
        s->rev = (uint64_t)r->valuedouble;
      if (cJSON_IsNumber(h) && h->valuedouble > 0 && h->valuedouble < 9e18)
        s->h = (uint64_t)h->valuedouble;
      uint8_t pk[SY_PK_MAX];
      size_t pk_len;
      int active = 0;
      s->registered = node_key(o, id, pk, &pk_len, &active) == SY_OK && active;
    }
    cJSON_Delete(v);
  }
  pthread_mutex_lock(&o->mu);
  for (size_t i = 0; i < o->st.npeers; i++) o->st.peers[i].live = 0;
  for (size_t i = 0; i < ns; i++) {
    sy_etcd_peer *p = peer_find_locked(o, seen[i].hex, 1);
    if (!p) break;
    snprintf(p->address, sizeof p->address, "%s", seen[i].addr);
    p->applied_revision = seen[i].rev;
    p->height = seen[i].h;
    p->registered = seen[i].registered;
    p->live = 1;
  }
  if (res.revision > 0) o->st.ordering_revision = (uint64_t)res.revision;
  pthread_mutex_unlock(&o->mu);
  free(seen);
  int64_t rev = res.revision;
  sy_etcd_result_free(&res);
  return rev;
}

/* Deletes what every live registered peer has applied and compacts etcd's
 * history below it. Only the live peer with the lowest node id does it. */
static void janitor(eo *o) {
  sy_tip tip;
  uint64_t min_rev = synced_revision(o, &tip), min_h = tip.height;
  int lowest = 1;
  pthread_mutex_lock(&o->mu);
  for (size_t i = 0; i < o->st.npeers; i++) {
    sy_etcd_peer *p = &o->st.peers[i];
    if (!p->live || !p->registered || strcmp(p->node, o->me_hex) == 0) continue;
    if (strcmp(p->node, o->me_hex) < 0) lowest = 0;
    if (p->applied_revision < min_rev) min_rev = p->applied_revision;
    if (p->height < min_h) min_h = p->height;
  }
  uint64_t done = o->st.compact_revision;
  pthread_mutex_unlock(&o->mu);
  if (!lowest || min_rev <= done || min_rev == 0) return;
  char lp[300], ap[300], aend[300];
  int ln = snprintf(lp, sizeof lp, "%s/log/", o->p);
  int an = snprintf(ap, sizeof ap, "%s/att/", o->p);
  uint8_t lend[300];
  size_t lel = sy_etcd_prefix_end(lp, (size_t)ln, lend);
  sy_etcd_result res = {0};
  sy_etcd_range_opts ro = {.limit = 1000, .keys_only = 1, .max_mod_revision = (int64_t)min_rev};
  int64_t deleted = 0;
  if (sy_etcd_range(o->etcd, lp, (size_t)ln, lend, lel, &ro, &res) == SY_OK) {
    /* Up to 128 keys per txn: one Raft entry (and one fsync per member)
     * for each group, not for each key. */
    for (size_t i = 0; i < res.n && !quitting(o); i += SY_ETCD_TXN_OPS_MAX) {
      const uint8_t *keys[SY_ETCD_TXN_OPS_MAX];
      size_t kls[SY_ETCD_TXN_OPS_MAX], k = 0;
      for (; k < SY_ETCD_TXN_OPS_MAX && i + k < res.n; k++) {
        keys[k] = res.kvs[i + k].key;
        kls[k] = res.kvs[i + k].key_len;
      }
      int64_t d = 0;
      if (sy_etcd_delete_many(o->etcd, k, keys, kls, &d) != SY_OK) break;
      deleted += d;
    }
  }
  int more = res.more;
  sy_etcd_result_free(&res);
  /* Attestations of blocks every live peer has passed long ago. */
  if (min_h > 64) {
    int el = snprintf(aend, sizeof aend, "%s/att/%020" PRIu64, o->p, min_h - 64);
    sy_etcd_delete_range(o->etcd, ap, (size_t)an, aend, (size_t)el, NULL);
  }
  if (more) return; /* compact once the old keys are gone */
  if (sy_etcd_compact(o->etcd, (int64_t)min_rev) == SY_OK) {
    pthread_mutex_lock(&o->mu);
    if (min_rev > o->st.compact_revision) o->st.compact_revision = min_rev;
    pthread_mutex_unlock(&o->mu);
    elog("janitor: deleted %" PRId64 " log entr%s, compacted below revision %" PRIu64, deleted,
         deleted == 1 ? "y" : "ies", min_rev);
  }
}

static void *hb_main(void *arg) {
  eo *o = arg;
  uint64_t next_keepalive = 0, next_beat = 0, next_janitor = mono_ms() + o->janitor_ms;
  int checked_behind = 0;
  for (;;) {
    pthread_mutex_lock(&o->mu);
    int quit = o->quit;
    int64_t lease = o->lease;
    pthread_mutex_unlock(&o->mu);
    if (quit) break;
    uint64_t now = mono_ms();
    if (!lease) {
      int64_t id = 0;
      if (sy_etcd_lease_grant(o->etcd, o->ttl_s, &id, NULL) == SY_OK) {
        pthread_mutex_lock(&o->mu);
        o->lease = lease = id;
        pthread_mutex_unlock(&o->mu);
        next_keepalive = now + o->ttl_s * 1000u / 3;
        next_beat = 0;
      }
    } else if (now >= next_keepalive) {
      int rc = sy_etcd_lease_keepalive(o->etcd, lease, NULL);
      if (rc == SY_OK) {
        next_keepalive = now + o->ttl_s * 1000u / 3;
      } else {
        pthread_mutex_lock(&o->mu);
        if (rc == SY_ENOTFOUND) o->lease = 0;
        note_err_locked(o, 0, "lease keepalive failed: %s", sy_etcd_errmsg());
        pthread_mutex_unlock(&o->mu);
        next_keepalive = now + 500;
      }
    }
    publish_pending(o);
    if (now >= next_beat) {
      next_beat = now + 1000;
      announce(o);
      int64_t rev = refresh_peers(o);
      pthread_mutex_lock(&o->mu);
      o->hb_ok = rev > 0;
      if (rev > 0)
        set_available_locked(o); /* a linearizable read: etcd has a quorum */
      else
        update_connected_locked(o);
      pthread_mutex_unlock(&o->mu);
      if (rev > 0 && !checked_behind) {
        checked_behind = 1;
        sy_tip tip;
        sy_ledger_tip(o->ledger, &tip);
        if ((uint64_t)rev < tip.position) {
          pthread_mutex_lock(&o->mu);
          o->st.alarm = SY_ALARM_ETCD_BEHIND;
          snprintf(o->st.alarm_msg, sizeof o->st.alarm_msg,
                   "etcd's revision %" PRId64 " is behind this ledger's applied revision %" PRIu64
                   ": etcd was reset or is another cluster; writes refused",
                   rev, tip.position);
          elog("ALARM: %s", o->st.alarm_msg);
          pthread_mutex_unlock(&o->mu);
        }
      }
      if (!o->no_janitor && now >= next_janitor) {
        next_janitor = now + o->janitor_ms;
        janitor(o);
      }
    }
    /* Attestations go out in groups (one etcd txn, one Raft entry, for up to
     * 64): at most 100 ms after a block, sooner when a group is full. */
    pthread_mutex_lock(&o->mu);
    if (!o->quit && !(o->pq_len >= PUB_PER_TXN && o->lease))
      wait_ms_locked(o, &o->hb_cv, o->pq_head && o->lease ? 100 : 250);
    pthread_mutex_unlock(&o->mu);
  }
  /* Leave: our discovery key and attestations go with the lease. Publish
   * what is left first. */
  publish_pending(o);
  pthread_mutex_lock(&o->mu);
  int64_t lease = o->lease;
  o->lease = 0;
  pthread_mutex_unlock(&o->mu);
  if (lease) sy_etcd_lease_revoke(o->etcd, lease);
  return NULL;
}

/* ---- sy_orderer_ops ---------------------------------------------------------------- */

static int eo_start(sy_orderer *base, sy_deliver_fn deliver, void *ctx) {
  eo *o = (eo *)base;
  o->deliver = deliver;
  o->ctx = ctx;
  if (pthread_create(&o->writer_th, NULL, writer_main, o) != 0) return SY_ENOMEM;
  int np = 0, ok = 1;
  o->prop_running = o->nprop;
  for (; np < o->nprop; np++)
    if (pthread_create(&o->prop_th[np], NULL, prop_main, o) != 0) {
      ok = 0;
      break;
    }
  if (ok && pthread_create(&o->hb_th, NULL, hb_main, o) != 0) ok = 0;
  if (!ok) {
    pthread_mutex_lock(&o->mu);
    o->quit = 1;
    o->prop_running -= o->nprop - np;
    pthread_cond_broadcast(&o->writer_cv);
    pthread_cond_broadcast(&o->prop_cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->writer_th, NULL);
    for (int i = 0; i < np; i++) pthread_join(o->prop_th[i], NULL);
    return SY_ENOMEM;
  }
  o->started = 1;
  return SY_OK;
}

static int eo_submit(sy_orderer *base, sy_pending *p) {
  eo *o = (eo *)base;
  pthread_mutex_lock(&o->mu);
  int rc = SY_OK;
  if (o->stopping || o->quit) {
    rc = SY_ESTOPPED;
  } else if (o->st.alarm == SY_ALARM_SELF_DIVERGED || o->st.alarm == SY_ALARM_ETCD_BEHIND) {
    rc = SY_EDIVERGED;
  } else if (o->unavail || o->len >= o->max_backlog) {
    rc = SY_EBUSY; /* no quorum (HTTP 503 ordering-unavailable) or backlog full */
  } else {
    if (o->len == o->cap) {
      size_t ncap = o->cap ? o->cap * 2 : 1024;
      sy_pending **nq = malloc(ncap * sizeof *nq);
      if (!nq) {
        rc = SY_ENOMEM;
        goto out;
      }
      for (size_t i = 0; i < o->len; i++) nq[i] = o->q[(o->head + i) % o->cap];
      free(o->q);
      o->q = nq;
      o->cap = ncap;
      o->head = 0;
    }
    sy_pending_ref(p);
    o->q[(o->head + o->len) % o->cap] = p;
    o->len++;
    if (o->len == 1 || o->len == o->max_txs) pthread_cond_signal(&o->prop_cv);
  }
out:
  pthread_mutex_unlock(&o->mu);
  return rc;
}

static size_t eo_backlog(sy_orderer *base) {
  eo *o = (eo *)base;
  pthread_mutex_lock(&o->mu);
  size_t n = o->len;
  for (inflight *f = o->inflight; f; f = f->next) n += f->n;
  pthread_mutex_unlock(&o->mu);
  return n;
}

static void eo_stop(sy_orderer *base) {
  eo *o = (eo *)base;
  if (!o->started) return;
  pthread_mutex_lock(&o->mu);
  o->stopping = 1;
  o->stop_deadline_ms = mono_ms() + STOP_DRAIN_MS;
  pthread_cond_broadcast(&o->prop_cv);
  pthread_cond_broadcast(&o->writer_cv);
  pthread_mutex_unlock(&o->mu);
  for (int i = 0; i < o->nprop; i++) pthread_join(o->prop_th[i], NULL);
  pthread_join(o->writer_th, NULL); /* sets quit */
  pthread_join(o->hb_th, NULL);
  o->started = 0;
  /* Whatever was put but not seen back in time: its fate is unknown. */
  while (o->inflight) {
    inflight *f = o->inflight;
    o->inflight = f->next;
    sy_pipeline_fail(o->ctx, f->pend, f->n, SY_ESTOPPED);
    inflight_free(f);
  }
}

static void eo_destroy(sy_orderer *base) {
  if (!base) return;
  eo *o = (eo *)base;
  eo_stop(base);
  while (o->lq_head) {
    logitem *it = o->lq_head;
    o->lq_head = it->next;
    logitem_free(it);
  }
  while (o->aq) {
    attitem *it = o->aq;
    o->aq = it->next;
    free(it);
  }
  while (o->pq_head) {
    pubitem *it = o->pq_head;
    o->pq_head = it->next;
    free(it);
  }
  for (size_t i = 0; i < o->len; i++) sy_pending_unref(o->q[(o->head + i) % o->cap]);
  free(o->q);
  sy_etcd_free(o->etcd);
  pthread_mutex_destroy(&o->mu);
  pthread_cond_destroy(&o->prop_cv);
  pthread_cond_destroy(&o->writer_cv);
  pthread_cond_destroy(&o->space_cv);
  pthread_cond_destroy(&o->hb_cv);
  pthread_cond_destroy(&o->retry_cv);
  free(o);
}

static const sy_orderer_ops ETCD_OPS = {
    .name = "etcd",
    .start = eo_start,
    .submit = eo_submit,
    .backlog = eo_backlog,
    .stop = eo_stop,
    .destroy = eo_destroy,
};

int sy_orderer_is_etcd(const sy_orderer *o) {
  return o && o->ops == &ETCD_OPS;
}

int sy_etcd_orderer_set_advertise(sy_orderer *base, const char *url) {
  if (!sy_orderer_is_etcd(base) || !url || strlen(url) > 256) return SY_EINVAL;
  eo *o = (eo *)base;
  pthread_mutex_lock(&o->mu);
  snprintf(o->advertise, sizeof o->advertise, "%s", url);
  size_t al = strlen(o->advertise);
  while (al && o->advertise[al - 1] == '/') o->advertise[--al] = 0;
  pthread_mutex_unlock(&o->mu);
  return SY_OK;
}

int sy_etcd_orderer_status(sy_orderer *base, sy_etcd_status *out) {
  if (!sy_orderer_is_etcd(base)) return SY_EINVAL;
  eo *o = (eo *)base;
  sy_tip tip;
  sy_ledger_tip(o->ledger, &tip);
  pthread_mutex_lock(&o->mu);
  *out = o->st;
  out->lag = o->lq_len;
  out->available = !o->unavail;
  out->unavailable_ms = o->unavail ? mono_ms() - o->unavail_since : 0;
  pthread_mutex_unlock(&o->mu);
  out->applied_revision = tip.position;
  snprintf(out->endpoint, sizeof out->endpoint, "%s", sy_etcd_endpoint(o->etcd));
  /* Ourselves, as the others see us. */
  sy_etcd_peer *self = NULL;
  for (size_t i = 0; i < out->npeers; i++)
    if (strcmp(out->peers[i].node, o->me_hex) == 0) self = &out->peers[i];
  if (self) {
    self->applied_revision = tip.position;
    self->height = tip.height;
    self->attested_height = tip.height;
  }
  return SY_OK;
}

static void make_cond(pthread_cond_t *c) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(c, &ca);
  pthread_condattr_destroy(&ca);
}

int sy_etcd_orderer_new(const sy_etcd_opts *opts, sy_ledger *ledger, const sy_key *node_key_,
                        sy_orderer **out, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!opts || !ledger || !node_key_) return SY_EINVAL;
  const char *prefix = opts->prefix ? opts->prefix : "/suyuan";
  const char *chain = sy_ledger_chain_id(ledger);
  if (strlen(prefix) + strlen(chain) + 2 > 200 || strchr(chain, '/')) {
    if (err) snprintf(err, errlen, "etcd key prefix or chain id too long or contains '/'");
    return SY_EINVAL;
  }
  if (opts->advertise_url && strlen(opts->advertise_url) > 256) {
    if (err) snprintf(err, errlen, "advertised URL longer than 256 bytes");
    return SY_EINVAL;
  }
  eo *o = calloc(1, sizeof *o);
  if (!o) return SY_ENOMEM;
  sy_etcd_client_opts co = {.endpoints = opts->endpoints, .timeout_ms = opts->request_timeout_ms};
  int rc = sy_etcd_new(&co, &o->etcd, err, errlen);
  if (rc) {
    free(o);
    return rc;
  }
  o->base.ops = &ETCD_OPS;
  o->ledger = ledger;
  o->key = node_key_;
  o->suite = sy_ledger_suite(ledger);
  snprintf(o->chain, sizeof o->chain, "%s", chain);
  snprintf(o->p, sizeof o->p, "%s/%s", prefix, chain);
  memcpy(o->me, sy_key_id_of(node_key_), SY_KEYID_LEN);
  sy_hex_encode(o->me_hex, o->me, SY_KEYID_LEN);
  sy_tip tip;
  sy_ledger_tip(ledger, &tip);
  memcpy(o->genesis, tip.genesis_hash, SY_HASH_LEN);
  sy_hex_encode(o->genesis_hex, o->genesis, SY_HASH_LEN);
  if (opts->advertise_url) {
    snprintf(o->advertise, sizeof o->advertise, "%s", opts->advertise_url);
    size_t al = strlen(o->advertise);
    while (al && o->advertise[al - 1] == '/') o->advertise[--al] = 0;
  }
  o->max_txs = opts->max_batch_txs ? opts->max_batch_txs : 4096;
  if (o->max_txs > SY_BLOCK_MAX_TXS) o->max_txs = SY_BLOCK_MAX_TXS;
  o->max_bytes = opts->max_batch_bytes ? opts->max_batch_bytes : (size_t)1 << 20;
  o->wait_ms = opts->batch_wait_ms;
  o->max_backlog = opts->max_backlog ? opts->max_backlog : 200000;
  o->ttl_s = opts->lease_ttl_s ? opts->lease_ttl_s : 10;
  o->janitor_ms = opts->janitor_ms ? opts->janitor_ms : 10000;
  o->no_janitor = opts->no_janitor;
  /* Several puts in flight: a batch goes out while earlier ones are still
   * being replicated, so latency is one etcd round trip, not two. */
  o->nprop = (int)(sizeof o->prop_th / sizeof o->prop_th[0]);
  o->need_att = opts->catchup_attestations;
  /* Sequence numbers stay unique across restarts: they start from the clock. */
  o->next_seq = wall_ms() * 1000u;
  pthread_mutex_init(&o->mu, NULL);
  make_cond(&o->prop_cv);
  make_cond(&o->writer_cv);
  make_cond(&o->space_cv);
  make_cond(&o->hb_cv);
  make_cond(&o->retry_cv);
  *out = &o->base;
  return SY_OK;
}
