/* A small client for etcd v3's JSON gateway (docs/consensus.md), over libcurl.
 *
 * Only src/net/ includes curl.h (STYLE.md: one module per third-party
 * header); nothing in this header depends on it.
 *
 * Endpoints: a comma-separated list of base URLs ("http://127.0.0.1:2379,
 * http://127.0.0.1:22379"). A call goes to the endpoint that answered last;
 * on a transport failure or an "unavailable" answer (no leader, timeout,
 * leader changed) it moves to the next one, trying each at most once per
 * call. An endpoint whose request timed out is tried last for 3 s, and not
 * at all while another member answers that it cannot serve (no leader): a
 * stopped member must not hold every call for the whole timeout. Every answer is hostile input: it is bounded (max_response) before
 * it is buffered, and every field is checked before it is used.
 *
 * Threads: a sy_etcd may be used from any number of threads at once (it
 * keeps a small pool of connections). Error detail of the last failed call
 * is per thread (sy_etcd_errmsg).
 *
 * Errors returned by every call:
 *   SY_EIO       no endpoint could be reached or the connection broke;
 *   SY_EBUSY     etcd answered that it cannot serve now (no quorum, no
 *                leader, request timed out): the outcome of a write is
 *                unknown — it may still be applied;
 *   SY_ENOTFOUND the lease does not exist (expired);
 *   SY_EMALFORMED the answer did not parse; SY_ETOOBIG it exceeded the bound;
 *   SY_EINVAL    etcd refused the request (bad argument, too large);
 *   SY_ENOMEM. */
#ifndef SY_ETCD_CLIENT_H
#define SY_ETCD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define SY_ETCD_MAX_ENDPOINTS 16

typedef struct sy_etcd sy_etcd;

typedef struct sy_etcd_client_opts {
  const char *endpoints; /* comma-separated base URLs (http:// or https://); copied */
  unsigned timeout_ms;   /* whole unary call, failovers included; 0 = 5000 */
  size_t max_response;   /* largest unary answer or watch message; 0 = 64 MiB */
} sy_etcd_client_opts;

/* Parses the endpoint list and prepares the client; no connection is made.
 * SY_EINVAL (empty list, not http(s)://, more than SY_ETCD_MAX_ENDPOINTS,
 * a URL over 255 bytes) with a message in err; SY_ENOMEM. *out transferred. */
int sy_etcd_new(const sy_etcd_client_opts *opts, sy_etcd **out, char *err, size_t errlen);
/* Frees e. Every watch started on e must have been stopped. NULL is a no-op. */
void sy_etcd_free(sy_etcd *e);

/* Detail of this thread's last failed call; static per-thread storage, valid
 * until the thread's next call. */
const char *sy_etcd_errmsg(void);

/* The endpoint currently preferred; borrowed until sy_etcd_free. */
const char *sy_etcd_endpoint(sy_etcd *e);

/* One key-value as etcd returns it. key and value are owned by the result
 * they came in (NUL-terminated for convenience; the NUL is not counted). */
typedef struct sy_etcd_kv {
  uint8_t *key;
  size_t key_len;
  uint8_t *value;
  size_t value_len;
  int64_t create_revision, mod_revision, version, lease;
} sy_etcd_kv;

typedef struct sy_etcd_result {
  int64_t revision; /* the store's revision when etcd answered (header) */
  sy_etcd_kv *kvs;  /* owned */
  size_t n;
  int more;      /* range: more keys than the limit */
  int64_t count; /* range: keys in the range; deleterange: keys deleted */
  int succeeded; /* txn: the comparison held */
} sy_etcd_result;

/* Releases r's memory; r may be reused after. Zero-initialise before use. */
void sy_etcd_result_free(sy_etcd_result *r);

/* Writes key = value (both borrowed for the call), attached to lease when
 * lease != 0. *revision (may be NULL) receives the put's revision. A retry
 * on another endpoint after an unclear failure may write twice (a second
 * revision of the same key): use sy_etcd_create when that matters. */
int sy_etcd_put(sy_etcd *e, const void *key, size_t key_len, const void *val, size_t val_len,
                int64_t lease, int64_t *revision);

/* Writes key = value only when key does not exist (one txn comparing its
 * create revision with 0). *created = 1 and *revision = the put's revision
 * when it was written; *created = 0 and *revision = the existing key's
 * mod revision when it already existed (e.g. an earlier attempt of the same
 * call that was applied although its answer was lost). */
int sy_etcd_create(sy_etcd *e, const void *key, size_t key_len, const void *val, size_t val_len,
                   int64_t lease, int64_t *revision, int *created);

/* Writes n key-values in one txn (one revision), all with lease. */
int sy_etcd_put_many(sy_etcd *e, size_t n, const uint8_t *const *keys, const size_t *key_lens,
                     const uint8_t *const *vals, const size_t *val_lens, int64_t lease,
                     int64_t *revision);

/* Operations etcd takes in one txn by default (--max-txn-ops). */
#define SY_ETCD_TXN_OPS_MAX 128

/* Deletes n (at most SY_ETCD_TXN_OPS_MAX) single keys in one txn: one Raft
 * entry instead of n. *deleted (may be NULL) receives how many existed. */
int sy_etcd_delete_many(sy_etcd *e, size_t n, const uint8_t *const *keys, const size_t *key_lens,
                        int64_t *deleted);

typedef struct sy_etcd_range_opts {
  int64_t limit; /* 0 = no limit */
  int keys_only;
  int64_t max_mod_revision; /* 0 = no filter */
  int64_t min_mod_revision; /* 0 = no filter */
  int count_only;           /* only count (result's count), no key-values */
  int64_t revision;         /* read at this revision; 0 = latest */
} sy_etcd_range_opts;

/* Reads [key, range_end) (range_end NULL: the one key). opts may be NULL.
 * *out is reset and filled; release it with sy_etcd_result_free. */
int sy_etcd_range(sy_etcd *e, const void *key, size_t key_len, const void *range_end,
                  size_t range_end_len, const sy_etcd_range_opts *opts, sy_etcd_result *out);

/* Deletes [key, range_end) (range_end NULL: the one key); *deleted may be NULL. */
int sy_etcd_delete_range(sy_etcd *e, const void *key, size_t key_len, const void *range_end,
                         size_t range_end_len, int64_t *deleted);

/* The end of the range of every key starting with prefix: prefix with its
 * last byte that is not 0xff incremented, written to out (size >= len).
 * Returns its length; 0 means "every key" (etcd's "\0" range end). */
size_t sy_etcd_prefix_end(const void *prefix, size_t len, uint8_t *out);

/* Leases. grant: *id receives the lease id, *ttl_s (may be NULL) the TTL
 * granted. keepalive: refreshes once; *ttl_s the remaining TTL;
 * SY_ENOTFOUND when the lease expired. revoke: deletes the lease and every
 * key attached to it (SY_ENOTFOUND when already gone). */
int sy_etcd_lease_grant(sy_etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl_s_out);
int sy_etcd_lease_keepalive(sy_etcd *e, int64_t id, int64_t *ttl_s);
int sy_etcd_lease_revoke(sy_etcd *e, int64_t id);

/* Compacts the history below revision. Compacting at or below an earlier
 * compaction is a success (nothing to do). */
int sy_etcd_compact(sy_etcd *e, int64_t revision);

/* ---- watch ----------------------------------------------------------------- */
enum { SY_ETCD_PUT = 0, SY_ETCD_DELETE = 1 };

typedef struct sy_etcd_event {
  int type;      /* SY_ETCD_PUT or SY_ETCD_DELETE */
  sy_etcd_kv kv; /* borrowed for the callback */
} sy_etcd_event;

typedef struct sy_etcd_watch_cbs {
  /* Events in revision order, never one twice, none skipped (across
   * reconnections too). Called from the watch's thread. Return non-zero to
   * end the watch. */
  int (*on_events)(void *ctx, const sy_etcd_event *ev, size_t n);
  /* The start revision (or the revision the watch had to resume from) was
   * compacted: the watch ends after this call; compact_revision is the
   * oldest revision still available. May be NULL. */
  void (*on_compacted)(void *ctx, int64_t compact_revision);
  /* Connection state: connected = 1 once etcd confirmed the watch, 0 when
   * it was lost (msg says why; the watch reconnects by itself). May be NULL. */
  void (*on_state)(void *ctx, int connected, const char *msg);
  /* A progress notification: etcd says the watch has seen everything up to
   * revision (it sends them to idle watches every
   * --experimental-watch-progress-notify-interval, 10 min by default). A
   * hint only: etcd before 3.4.25 may send one ahead of events still to
   * come (etcd-io/etcd#15220), so check before relying on it. May be NULL. */
  void (*on_progress)(void *ctx, int64_t revision);
  void *ctx;
} sy_etcd_watch_cbs;

typedef struct sy_etcd_watch sy_etcd_watch;

/* Starts a thread watching every key under prefix (copied), from
 * start_revision (0 = from now). On a failure it reconnects, to the next
 * endpoint, from the revision after the last one it delivered, with a
 * backoff of 100 ms doubling to 2 s. A watch that etcd cancels because its
 * member has no leader is reconnected elsewhere. cbs is copied; *out
 * transferred (end with sy_etcd_watch_stop). */
int sy_etcd_watch_start(sy_etcd *e, const void *prefix, size_t len, int64_t start_revision,
                        const sy_etcd_watch_cbs *cbs, sy_etcd_watch **out);
/* Ends the watch and joins its thread (within about a second); no callback
 * runs after it returns. Frees w. NULL is a no-op. */
void sy_etcd_watch_stop(sy_etcd_watch *w);
/* 1 once the watch ended by itself (compaction, or on_events returned
 * non-zero); thread-safe. */
int sy_etcd_watch_ended(sy_etcd_watch *w);
/* The last revision delivered (start_revision - 1 before any event). */
int64_t sy_etcd_watch_last_revision(sy_etcd_watch *w);

/* ---- plain HTTP GET (node-to-node block sync) --------------------------------- */
/* GETs url; the body (at most max bytes, else SY_ETOOBIG) is appended to
 * out, *status receives the HTTP status. SY_EIO / SY_ETIMEDOUT when no
 * answer came. */
struct sy_buf;
int sy_net_http_get(const char *url, unsigned timeout_ms, size_t max, struct sy_buf *out,
                    long *status);

#endif
