/* The commit pipeline: admission -> orderer -> ledger -> waiters.
 * A write is acknowledged only after sy_ledger_append returned, i.e. after
 * the block holding it was fsynced (DESIGN.md "Processes and threads"). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/consensus.h"
#include "core/sy_error.h"

struct sy_pending {
  atomic_int refs;
  uint8_t *raw;
  size_t len;
  uint8_t id[SY_HASH_LEN];
  int sig_checked;
  sy_capture_prep *prep; /* validation and hash ids, made on the admitting thread */
  /* completion, under the pipeline's mutex */
  pthread_cond_t cv;
  int done;
  int err;
  uint64_t height;
  uint32_t index;
  uint16_t reason;
};

struct sy_pipeline {
  sy_ledger *ledger;
  sy_orderer *orderer;
  size_t max_tx_bytes;
  pthread_mutex_t mu;
  sy_pipeline_stats stats;
  int started;
};

const uint8_t *sy_pending_raw(const sy_pending *p, size_t *len) {
  *len = p->len;
  return p->raw;
}

int sy_pending_sig_checked(const sy_pending *p) { return p->sig_checked; }

const sy_capture_prep *sy_pending_prep(const sy_pending *p) { return p->prep; }

void sy_pending_ref(sy_pending *p) { atomic_fetch_add(&p->refs, 1); }

void sy_pending_unref(sy_pending *p) {
  if (!p || atomic_fetch_sub(&p->refs, 1) != 1) return;
  pthread_cond_destroy(&p->cv);
  sy_capture_prep_free(p->prep);
  free(p->raw);
  free(p);
}

/* Runs on the orderer's thread: the single writer. */
static int deliver(void *ctx, const sy_batch *batch, sy_pending *const *pending) {
  sy_pipeline *p = ctx;
  sy_batch b = *batch;
  sy_tip tip;
  sy_ledger_tip(p->ledger, &tip);
  /* Block time never goes backwards, whatever the clock does. */
  if (b.timestamp_ms < tip.timestamp_ms) b.timestamp_ms = tip.timestamp_ms;
  uint16_t *flags = malloc(b.n * sizeof *flags);
  sy_commit_info ci;
  memset(&ci, 0, sizeof ci);
  int rc = flags ? sy_ledger_append(p->ledger, &b, flags, &ci) : SY_ENOMEM;
  pthread_mutex_lock(&p->mu);
  if (rc == SY_OK) {
    p->stats.blocks++;
    p->stats.committed_txs += b.n;
    p->stats.last_error = SY_OK;
  } else {
    p->stats.failed_blocks++;
    p->stats.last_error = rc;
  }
  for (size_t i = 0; i < b.n; i++) {
    sy_pending *pd = pending ? pending[i] : NULL;
    if (!pd) continue;
    pd->done = 1;
    pd->err = rc;
    if (rc == SY_OK) {
      pd->height = ci.height;
      pd->index = (uint32_t)i;
      pd->reason = flags[i];
    }
    pthread_cond_signal(&pd->cv);
  }
  pthread_mutex_unlock(&p->mu);
  free(flags);
  return rc;
}

int sy_pipeline_new(sy_ledger *ledger, sy_orderer *orderer, size_t max_tx_bytes,
                    sy_pipeline **out) {
  sy_pipeline *p = calloc(1, sizeof *p);
  if (!p) return SY_ENOMEM;
  p->ledger = ledger;
  p->orderer = orderer;
  p->max_tx_bytes = max_tx_bytes ? max_tx_bytes : 65536;
  pthread_mutex_init(&p->mu, NULL);
  int rc = orderer->ops->start(orderer, deliver, p);
  if (rc) {
    pthread_mutex_destroy(&p->mu);
    free(p);
    return rc;
  }
  p->started = 1;
  *out = p;
  return SY_OK;
}

void sy_pipeline_free(sy_pipeline *p) {
  if (!p) return;
  if (p->started) p->orderer->ops->stop(p->orderer);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

int sy_pipeline_submit(sy_pipeline *p, const uint8_t *raw, size_t len, unsigned wait_ms,
                       sy_submit_result *r) {
  memset(r, 0, sizeof *r);
  sy_tx tx;
  int sig_checked = 0;
  int rc = sy_ledger_admit(p->ledger, raw, len, p->max_tx_bytes, &tx, r->id, &sig_checked);
  if (rc) return rc;
  sy_pending *pd = calloc(1, sizeof *pd);
  if (!pd) return SY_ENOMEM;
  pd->raw = malloc(len);
  if (!pd->raw) {
    free(pd);
    return SY_ENOMEM;
  }
  memcpy(pd->raw, raw, len);
  pd->len = len;
  memcpy(pd->id, r->id, SY_HASH_LEN);
  pd->sig_checked = sig_checked;
  /* The writer is the node's one serial stage; validating and hashing a
   * capture's events here, on the caller's thread, takes about a quarter of
   * apply's work off it (docs/ledger.md). tx borrows from raw, still valid. */
  if (sig_checked) pd->prep = sy_ledger_capture_prep(&tx);
  atomic_init(&pd->refs, 1);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&pd->cv, &ca);
  pthread_condattr_destroy(&ca);

  rc = p->orderer->ops->submit(p->orderer, pd);
  if (rc) {
    sy_pending_unref(pd);
    return rc;
  }
  pthread_mutex_lock(&p->mu);
  p->stats.submitted++;
  if (wait_ms) {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += wait_ms / 1000;
    dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000L;
    }
    while (!pd->done) {
      if (pthread_cond_timedwait(&pd->cv, &p->mu, &dl) == ETIMEDOUT) break;
    }
    if (!pd->done) {
      rc = SY_ETIMEDOUT;
    } else if (pd->err) {
      rc = pd->err;
    } else {
      r->committed = 1;
      r->height = pd->height;
      r->index = pd->index;
      r->reason = pd->reason;
    }
  }
  pthread_mutex_unlock(&p->mu);
  sy_pending_unref(pd);
  return rc;
}

void sy_pipeline_stats_get(sy_pipeline *p, sy_pipeline_stats *s) {
  pthread_mutex_lock(&p->mu);
  *s = p->stats;
  pthread_mutex_unlock(&p->mu);
  s->backlog = p->orderer->ops->backlog(p->orderer);
}

const char *sy_pipeline_orderer_name(sy_pipeline *p) { return p->orderer->ops->name; }

sy_orderer *sy_pipeline_orderer(sy_pipeline *p) { return p->orderer; }

void sy_pipeline_fail(void *ctx, sy_pending *const *pending, size_t n, int err) {
  sy_pipeline *p = ctx;
  pthread_mutex_lock(&p->mu);
  for (size_t i = 0; i < n; i++) {
    sy_pending *pd = pending[i];
    if (!pd || pd->done) continue;
    pd->done = 1;
    pd->err = err;
    pthread_cond_signal(&pd->cv);
  }
  pthread_mutex_unlock(&p->mu);
}

void sy_pipeline_complete(void *ctx, sy_pending *const *pending, size_t n, uint64_t height,
                          const uint16_t *flags) {
  sy_pipeline *p = ctx;
  pthread_mutex_lock(&p->mu);
  for (size_t i = 0; i < n; i++) {
    sy_pending *pd = pending[i];
    if (!pd || pd->done) continue;
    pd->done = 1;
    pd->err = SY_OK;
    pd->height = height;
    pd->index = (uint32_t)i;
    pd->reason = flags[i];
    pthread_cond_signal(&pd->cv);
  }
  pthread_mutex_unlock(&p->mu);
}
