/* Private to ledger/: the ledger object and helpers shared by its files.
 * Only ledger/ includes sqlite3.h. */
#ifndef SY_LEDGER_INTERNAL_H
#define SY_LEDGER_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "ledger/ledger.h"

/* A read-only connection with its prepared statements. */
typedef struct sy_reader_conn {
  sqlite3 *db;
  sqlite3_stmt *has_tx;      /* SELECT 1 FROM txs WHERE id=? */
  sqlite3_stmt *get_tx;      /* by id */
  sqlite3_stmt *block_txids; /* ids of a block in order */
  sqlite3_stmt *get_block;
  sqlite3_stmt *get_att;
  sqlite3_stmt *member;
  int busy;
} sy_reader_conn;

/* Known public keys (key id -> pk), append-only: a key id names one key
 * forever, so admission can check signatures without a query. */
typedef struct sy_keycache_entry {
  uint8_t id[SY_KEYID_LEN];
  uint8_t pk[SY_PK_MAX];
  uint8_t pk_len;
  uint8_t used;
} sy_keycache_entry;

struct sy_ledger {
  sqlite3 *db; /* the writer connection (NULL when read_only) */
  char path[1024];
  int read_only;
  const sy_suite *suite;
  char chain_id[SY_CHAIN_ID_MAX + 1];
  uint64_t ext_events_height; /* genesis feature epcis_extension_events; SY_NEVER */
  const sy_key *node_key;

  /* writer's prepared statements */
  sqlite3_stmt *ins_block, *ins_tx, *ins_att, *has_tx_w, *get_member_w, *ins_nonce,
      *has_nonce, *ins_member, *revoke_member, *ins_org, *has_org, *ins_node, *get_node_w,
      *remove_node, *set_meta, *ins_event, *ins_epc, *has_event, *begin, *commit, *rollback;
  /* org contacts and anti-counterfeit codes (ledger_apply.c, docs/codes.md) */
  sqlite3_stmt *set_contact, *ins_code, *has_code, *has_code_item, *revoke_codes;

  pthread_mutex_t tip_mu;
  sy_tip tip;

  pthread_mutex_t pool_mu;
  pthread_cond_t pool_cv;
  sy_reader_conn *readers;
  int nreaders;

  /* Ids of recently committed transactions, two generations of
   * SY_RECENT_GEN entries each (16-byte prefixes), so admission can refuse a
   * replay with 409 without a query per transaction. Older replays are
   * still caught by apply (duplicate_tx). */
  pthread_rwlock_t recent_mu;
  uint8_t (*recent[2])[16]; /* open addressing, SY_RECENT_SLOTS each; all-zero = empty */
  size_t recent_len;        /* entries in recent[0] */

  pthread_rwlock_t kc_mu;
  sy_keycache_entry *kc;
  size_t kc_cap, kc_len;

  char err[256];
};

#define SY_RECENT_GEN (1u << 18)
#define SY_RECENT_SLOTS (1u << 19)

/* ledger_store.c */
int sy_ls_err(sqlite3 *db, int rc, char *msg, size_t msglen, const char *what);

/* cJSON for apply: a parse that fails because an allocation failed must
 * abort the block (SY_ENOMEM), never record the transaction invalid -- that
 * would make this node's results differ from its peers' (issue #6, FA1 in docs/reliability.md).
 * sy_ls_json_parse returns the document, or NULL with *oom set when cJSON
 * ran out of memory (hooks installed by sy_ledger_open). */
struct cJSON *sy_ls_json_parse(const void *text, size_t len, int *oom);
/* 1 when a cJSON allocation failed on this thread since the last call. */
int sy_ls_json_oom_take(void);
void sy_ls_json_hooks_install(void);
sy_reader_conn *sy_ls_reader_get(sy_ledger *l);
/* A free reader connection, or NULL at once when all are busy. */
sy_reader_conn *sy_ls_reader_tryget(sy_ledger *l);
void sy_ls_reader_put(sy_ledger *l, sy_reader_conn *r);
int sy_ls_keycache_add(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], const uint8_t *pk,
                       size_t pk_len);
int sy_ls_keycache_get(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], uint8_t *pk,
                       size_t *pk_len);

int sy_ls_meta_put(sy_ledger *l, const char *k, const void *v, size_t n);

/* ledger_apply.c: applies genesis or a batch inside an open write
 * transaction; on error the caller rolls back. */
int sy_la_apply(sy_ledger *l, const sy_batch *b, uint16_t *flags_out, sy_block_header *hdr,
                uint8_t hash[SY_HASH_LEN], int is_genesis);

/* ledger_events.c: applies an epcis.capture transaction (checks first,
 * then writes). Returns a reason code, or a negative sy_err on storage
 * failure. height/block_time/tx_index place it on the chain; the results
 * log receives every event's hash id. */
struct sy_buf;
int sy_le_apply_capture(sy_ledger *l, const sy_tx *tx, const sy_capture_prep *prep,
                        const uint8_t tx_id[SY_HASH_LEN],
                        uint64_t height, uint64_t block_time_ms, uint32_t tx_index,
                        const char *org, uint32_t roles, struct sy_buf *results);

/* genesis.c */
/* Builds the unsigned GENESIS transaction envelope from the file bytes. */
int sy_genesis_tx(const uint8_t *json, size_t len, sy_buf *out);

#endif
