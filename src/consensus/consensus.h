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
/* The capture prep made at admission (ledger.h), or NULL; owned by p. */
const sy_capture_prep *sy_pending_prep(const sy_pending *p);
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

/* ---- etcd: the ordering service of a cluster (docs/consensus.md) ----------
 * Each peer batches what it receives, signs the batch with its node key and
 * appends it with one put under <prefix>/<chain>/log/; etcd's revision order
 * is the chain's order. Every peer watches the log from its last applied
 * revision and delivers each batch, with its revision as the position. */
typedef struct sy_etcd_opts {
  const char *endpoints;      /* "http://127.0.0.1:2379,http://…" (required); copied */
  const char *prefix;         /* key prefix; NULL = "/suyuan"; copied */
  const char *advertise_url;  /* this node's HTTP API base URL, announced for discovery
                                 and block sync; NULL = none; copied */
  size_t max_batch_txs;       /* per batch (default 4096) */
  size_t max_batch_bytes;     /* encoded batch (default 1 MiB; etcd refuses > 1.5 MiB) */
  unsigned batch_wait_ms;     /* wait this long for a short batch to fill (default 2) */
  size_t max_backlog;         /* refuse submissions past this (default 200000) */
  unsigned lease_ttl_s;       /* peer lease (default 10) */
  unsigned request_timeout_ms;/* one etcd request (default 5000) */
  unsigned janitor_ms;        /* janitor period (default 10000); 0 = default */
  int no_janitor;             /* 1: never delete or compact (tests) */
  unsigned catchup_attestations; /* attestations a block fetched from a peer must carry,
                                    from distinct registered nodes other than us; 0 =
                                    min(2, other active nodes) */
} sy_etcd_opts;

/* Creates the etcd orderer. ledger and node_key are borrowed until destroy:
 * the orderer reads the ledger (tip, node registry), appends blocks fetched
 * from peers and attestations on its deliver thread (the single writer),
 * and signs batches and attestations with node_key. No connection is made
 * before start; start never fails because etcd is unreachable (the peer
 * keeps retrying and reports it in its status).
 * SY_EINVAL (no endpoints, bad URL) with a message in err; SY_ENOMEM. */
int sy_etcd_orderer_new(const sy_etcd_opts *opts, sy_ledger *ledger, const sy_key *node_key,
                        sy_orderer **out, char *err, size_t errlen);

#define SY_ETCD_MAX_PEERS 64

typedef struct sy_etcd_peer {
  char node[2 * SY_KEYID_LEN + 1]; /* key id, hex */
  char address[257];               /* announced HTTP API URL */
  uint64_t applied_revision, height;
  uint64_t attested_height;        /* last height whose attestation matched ours */
  int live;                        /* announced under a live lease */
  int registered;                  /* an active node in the registry */
  int diverged;                    /* signed a block that differs from ours */
} sy_etcd_peer;

enum { SY_ALARM_NONE = 0, SY_ALARM_PEER_DIVERGED = 1, SY_ALARM_SELF_DIVERGED = 2,
       SY_ALARM_ETCD_BEHIND = 3 };

typedef struct sy_etcd_status {
  int connected;                 /* the log watch is established and etcd answers */
  int available;                 /* 0 after etcd could not take a batch (no quorum,
                                    unreachable) until it answers again: writes are
                                    refused at once with SY_EBUSY meanwhile */
  uint64_t unavailable_ms;       /* how long it has been unavailable (0 when available) */
  char endpoint[256];            /* etcd endpoint in use */
  uint64_t ordering_revision;    /* etcd's revision at the last contact */
  uint64_t last_log_revision;    /* newest batch seen on the log */
  uint64_t applied_revision;     /* position of the last applied batch */
  uint64_t lag;                  /* batches seen but not yet applied */
  uint64_t compact_revision;     /* last compaction seen or made */
  int alarm;                     /* SY_ALARM_*; SELF_DIVERGED and ETCD_BEHIND refuse writes */
  uint64_t alarm_height;
  char alarm_msg[256];
  uint64_t batches_proposed, batches_applied, batches_rejected, put_failures;
  uint64_t catchup_blocks, attestations_stored, attestations_rejected, divergences;
  char last_error[256];
  size_t npeers;
  sy_etcd_peer peers[SY_ETCD_MAX_PEERS];
} sy_etcd_status;

/* Sets the URL announced to peers (when the API's port is known only after
 * it started); url copied. SY_EINVAL when o is not an etcd orderer. */
int sy_etcd_orderer_set_advertise(sy_orderer *o, const char *url);
/* Fills *out. SY_EINVAL when o is not an etcd orderer. Thread-safe. */
int sy_etcd_orderer_status(sy_orderer *o, sy_etcd_status *out);
/* 1 when o is an etcd orderer. */
int sy_orderer_is_etcd(const sy_orderer *o);

/* ---- pipeline: admission -> orderer -> ledger -> waiters ----------------- */
typedef struct sy_pipeline sy_pipeline;

/* For orderers: completes pending[0..n) without a block — their waiters get
 * err (e.g. SY_EBUSY when the ordering service could not take the batch).
 * ctx is the one given to the orderer's start. Thread-safe. A transaction
 * failed this way may still be ordered later if the service took it after
 * all (an unclear failure): never a false acknowledgement, at worst a false
 * refusal, and a retry is recorded duplicate_tx. */
void sy_pipeline_fail(void *ctx, sy_pending *const *pending, size_t n, int err);
/* For orderers that apply a block of their own batch by another path (the
 * etcd orderer's catch-up from peers): completes pending[0..n) as committed
 * at height with flags[i] as each one's reason. Thread-safe. */
void sy_pipeline_complete(void *ctx, sy_pending *const *pending, size_t n, uint64_t height,
                          const uint16_t *flags);
/* The orderer the pipeline drives (borrowed). */
sy_orderer *sy_pipeline_orderer(sy_pipeline *p);

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
