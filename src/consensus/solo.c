/* solo: one node orders its own transactions (the embedded default).
 *
 * Group commit: the orderer thread takes everything queued (up to
 * max_block_txs) as soon as the previous block is durable, waiting at most
 * batch_wait_ms for company when the queue is short. Under load blocks grow
 * by themselves; when idle a transaction waits only batch_wait_ms. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/consensus.h"
#include "core/sy_error.h"

typedef struct solo {
  sy_orderer base;
  pthread_t th;
  int running;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  sy_pending **q; /* ring buffer */
  size_t head, len, cap;
  size_t max_backlog, max_block_txs;
  unsigned batch_wait_ms;
  uint8_t proposer[SY_KEYID_LEN];
  int stopping;
  sy_deliver_fn deliver;
  void *ctx;
} solo;

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *solo_main(void *arg) {
  solo *s = arg;
  sy_batch_tx *txs = malloc(s->max_block_txs * sizeof *txs);
  sy_pending **pend = malloc(s->max_block_txs * sizeof *pend);
  if (!txs || !pend) abort(); /* at start-up, before any transaction was accepted */
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (s->len == 0 && !s->stopping) pthread_cond_wait(&s->cv, &s->mu);
    if (s->len == 0 && s->stopping) break;
    if (s->len < s->max_block_txs && s->batch_wait_ms && !s->stopping) {
      struct timespec dl;
      clock_gettime(CLOCK_MONOTONIC, &dl);
      dl.tv_nsec += (long)s->batch_wait_ms * 1000000L;
      while (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
      }
      while (s->len < s->max_block_txs && !s->stopping)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT) break;
    }
    size_t n = s->len < s->max_block_txs ? s->len : s->max_block_txs;
    for (size_t i = 0; i < n; i++) {
      pend[i] = s->q[(s->head + i) % s->cap];
      txs[i].raw = sy_pending_raw(pend[i], &txs[i].len);
      txs[i].sig_checked = sy_pending_sig_checked(pend[i]);
      txs[i].prep = sy_pending_prep(pend[i]);
    }
    s->head = (s->head + n) % s->cap;
    s->len -= n;
    pthread_mutex_unlock(&s->mu);

    sy_batch b = {.txs = txs, .n = n, .timestamp_ms = wall_ms()};
    memcpy(b.proposer, s->proposer, SY_KEYID_LEN);
    s->deliver(s->ctx, &b, pend);
    for (size_t i = 0; i < n; i++) sy_pending_unref(pend[i]);

    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  free(txs);
  free(pend);
  return NULL;
}

static int solo_start(sy_orderer *o, sy_deliver_fn deliver, void *ctx) {
  solo *s = (solo *)o;
  s->deliver = deliver;
  s->ctx = ctx;
  if (pthread_create(&s->th, NULL, solo_main, s) != 0) return SY_ENOMEM;
  s->running = 1;
  return SY_OK;
}

static int solo_submit(sy_orderer *o, sy_pending *p) {
  solo *s = (solo *)o;
  pthread_mutex_lock(&s->mu);
  int rc = SY_OK;
  if (s->stopping) {
    rc = SY_ESTOPPED;
  } else if (s->len >= s->max_backlog) {
    rc = SY_EBUSY;
  } else {
    if (s->len == s->cap) {
      size_t ncap = s->cap ? s->cap * 2 : 1024;
      sy_pending **nq = malloc(ncap * sizeof *nq);
      if (!nq) {
        rc = SY_ENOMEM;
        goto out;
      }
      for (size_t i = 0; i < s->len; i++) nq[i] = s->q[(s->head + i) % s->cap];
      free(s->q);
      s->q = nq;
      s->cap = ncap;
      s->head = 0;
    }
    sy_pending_ref(p);
    s->q[(s->head + s->len) % s->cap] = p;
    s->len++;
    /* Wake the orderer for the first transaction and when a block is full. */
    if (s->len == 1 || s->len == s->max_block_txs) pthread_cond_signal(&s->cv);
  }
out:
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static size_t solo_backlog(sy_orderer *o) {
  solo *s = (solo *)o;
  pthread_mutex_lock(&s->mu);
  size_t n = s->len;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void solo_stop(sy_orderer *o) {
  solo *s = (solo *)o;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->running) pthread_join(s->th, NULL);
  s->running = 0;
}

static void solo_destroy(sy_orderer *o) {
  if (!o) return;
  solo *s = (solo *)o;
  solo_stop(o);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->q);
  free(s);
}

static const sy_orderer_ops SOLO_OPS = {
    .name = "solo",
    .start = solo_start,
    .submit = solo_submit,
    .backlog = solo_backlog,
    .stop = solo_stop,
    .destroy = solo_destroy,
};

int sy_solo_new(const sy_solo_opts *opts, sy_orderer **out) {
  solo *s = calloc(1, sizeof *s);
  if (!s) return SY_ENOMEM;
  s->base.ops = &SOLO_OPS;
  s->max_block_txs = opts && opts->max_block_txs ? opts->max_block_txs : 4096;
  if (s->max_block_txs > SY_BLOCK_MAX_TXS) s->max_block_txs = SY_BLOCK_MAX_TXS;
  s->batch_wait_ms = opts ? opts->batch_wait_ms : 2;
  s->max_backlog = opts && opts->max_backlog ? opts->max_backlog : 200000;
  if (opts && opts->proposer) memcpy(s->proposer, opts->proposer, SY_KEYID_LEN);
  pthread_mutex_init(&s->mu, NULL);
  /* Deadlines are computed on CLOCK_MONOTONIC (wall-clock steps must not
   * stretch or skip a batch wait), so the condition variable must use it. */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  *out = &s->base;
  return SY_OK;
}
