/* Consensus decides the order of transactions, nothing else (DESIGN.md).
 *
 * An orderer receives admitted transactions (sy_pending) from the pipeline
 * and, in the order it decides, hands batches to the pipeline's deliver
 * function, which applies them to the ledger and completes the waiters.
 * `solo` orders locally (the embedded default); an `etcd` orderer plugs into
 * the same interface: submit appends to the shared log, a watcher delivers
 * batches in the log's order with the revision as the batch position. */
#ifndef SY_CONSENSUS_H
#define SY_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

/* One admitted transaction on its way to a block. Reference counted: the
 * submitter holds one reference, the orderer takes another in submit. */
typedef struct sy_pending sy_pending;

/* Borrowed view for orderers. */
const uint8_t *sy_pending_raw(const sy_pending *p, size_t *len);
int sy_pending_sig_checked(const sy_pending *p);
void sy_pending_ref(sy_pending *p);
void sy_pending_unref(sy_pending *p);

/* Called by the orderer, from its own thread, for each batch in order.
 * pending[i] is the transaction at index i of the batch (NULL when the
 * transaction came from another node). Returns the ledger's result. */
typedef int (*sy_deliver_fn)(void *ctx, const sy_batch *batch, sy_pending *const *pending);

typedef struct sy_orderer sy_orderer;
typedef struct sy_orderer_ops {
  const char *name;
  /* Starts ordering; deliver is called from the orderer's thread(s). */
  int (*start)(sy_orderer *o, sy_deliver_fn deliver, void *ctx);
  /* Queues p (takes a reference). SY_EBUSY when the queue is full,
   * SY_ESTOPPED after stop. Never blocks on I/O. */
  int (*submit)(sy_orderer *o, sy_pending *p);
  /* Number of transactions waiting to be ordered. */
  size_t (*backlog)(sy_orderer *o);
  /* Stops accepting, delivers what is already queued (so every admitted
   * transaction gets an answer), then joins its threads. */
  void (*stop)(sy_orderer *o);
  void (*destroy)(sy_orderer *o);
} sy_orderer_ops;

struct sy_orderer {
  const sy_orderer_ops *ops;
};

typedef struct sy_solo_opts {
  size_t max_block_txs;   /* close a block at this many txs (default 4096) */
  unsigned batch_wait_ms; /* wait this long for a short block to fill (0 = none) */
  size_t max_backlog;     /* refuse submissions past this (default 200000) */
  const uint8_t *proposer;/* node key id, copied */
} sy_solo_opts;

int sy_solo_new(const sy_solo_opts *opts, sy_orderer **out);

/* ---- pipeline: admission -> orderer -> ledger -> waiters ----------------- */
typedef struct sy_pipeline sy_pipeline;

/* ledger and orderer are borrowed; the pipeline starts the orderer and
 * sy_pipeline_free stops it; the caller destroys the orderer afterwards. */
int sy_pipeline_new(sy_ledger *ledger, sy_orderer *orderer, size_t max_tx_bytes,
                    sy_pipeline **out);
/* Stops the orderer and fails every waiter with SY_ESTOPPED. */
void sy_pipeline_free(sy_pipeline *p);

typedef struct sy_submit_result {
  uint8_t id[SY_HASH_LEN];
  int committed;     /* 1 when the block holding it is durable */
  uint64_t height;   /* when committed */
  uint32_t index;    /* when committed: position in the block */
  uint16_t reason;   /* when committed: 0 valid, else why invalid */
} sy_submit_result;

/* Admits raw (copied) and queues it for ordering. With wait_ms > 0 it
 * blocks until the transaction's block is durable or the time passes.
 * Errors: the admission codes of sy_ledger_admit (nothing queued);
 * SY_EBUSY (backlog full); SY_ETIMEDOUT (queued, not yet committed: r->id
 * is valid); SY_ENOSPC / SY_ESTORAGE (its block could not be written:
 * nothing was committed, the client may retry); SY_ESTOPPED. */
int sy_pipeline_submit(sy_pipeline *p, const uint8_t *raw, size_t len, unsigned wait_ms,
                       sy_submit_result *r);

typedef struct sy_pipeline_stats {
  uint64_t submitted, committed_txs, blocks, failed_blocks;
  size_t backlog;
  int last_error;       /* last commit error, SY_OK once a later block succeeds */
} sy_pipeline_stats;
void sy_pipeline_stats_get(sy_pipeline *p, sy_pipeline_stats *s);
const char *sy_pipeline_orderer_name(sy_pipeline *p);

#endif
