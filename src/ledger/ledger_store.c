/* SQLite storage: schema, connections, the single writer's append, and
 * admission checks (docs/ledger.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"
#include "core/sy_error.h"
#include "ledger/ledger_internal.h"

#define SCHEMA_VERSION 1

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;"
    /* header: the encoded header (docs/format.md); flags: u16 LE per tx */
    "CREATE TABLE IF NOT EXISTS blocks(height INTEGER PRIMARY KEY, hash BLOB NOT NULL,"
    "  header BLOB NOT NULL, flags BLOB NOT NULL, position INTEGER NOT NULL DEFAULT 0);"
    /* seq = height * 65536 + index: rowid order is chain order */
    "CREATE TABLE IF NOT EXISTS txs(seq INTEGER PRIMARY KEY, height INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL, id BLOB NOT NULL, type INTEGER NOT NULL, signer BLOB NOT NULL,"
    "  reason INTEGER NOT NULL, raw BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS txs_id ON txs(id);"
    "CREATE TABLE IF NOT EXISTS attestations(height INTEGER NOT NULL, node BLOB NOT NULL,"
    "  sig BLOB NOT NULL, PRIMARY KEY(height, node)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  added_height INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS members(key_id BLOB PRIMARY KEY, org TEXT NOT NULL,"
    "  pubkey BLOB NOT NULL, name TEXT NOT NULL, roles INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0, added_height INTEGER NOT NULL,"
    "  revoked_height INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS members_org ON members(org);"
    "CREATE TABLE IF NOT EXISTS nodes(key_id BLOB PRIMARY KEY, org TEXT NOT NULL,"
    "  pubkey BLOB NOT NULL, address TEXT NOT NULL, removed INTEGER NOT NULL DEFAULT 0,"
    "  added_height INTEGER NOT NULL, removed_height INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS nonces(signer BLOB NOT NULL, nonce INTEGER NOT NULL,"
    "  PRIMARY KEY(signer, nonce)) WITHOUT ROWID;"
    /* EPCIS events (ledger/events.h); seq = tx seq * 65536 + event index */
    "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,"
    "  hash_id TEXT NOT NULL, type TEXT NOT NULL, event_time INTEGER NOT NULL,"
    "  record_time INTEGER NOT NULL, height INTEGER NOT NULL, tx_id BLOB NOT NULL,"
    "  tx_index INTEGER NOT NULL, event_index INTEGER NOT NULL, action TEXT, biz_step TEXT,"
    "  disposition TEXT, read_point TEXT, biz_location TEXT, org TEXT NOT NULL,"
    "  signer BLOB NOT NULL, data_class TEXT NOT NULL, json TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(event_time, seq);"
    "CREATE INDEX IF NOT EXISTS events_rtime ON events(record_time, seq);"
    /* Only events filed under an eventID of their own need a second key:
     * without one, event_id is the hash and events(event_id) finds it.
     * A full index on hash_id doubled the random-key inserts per event
     * (docs/benchmarks.md, 2026-11-26 bulk capture); ledgers made before
     * it lose that index in migrate_writer(). */
    "CREATE INDEX IF NOT EXISTS events_hash_own ON events(hash_id) WHERE hash_id<>event_id;"
    "CREATE INDEX IF NOT EXISTS events_tx ON events(tx_id);"
    "CREATE INDEX IF NOT EXISTS events_step ON events(biz_step);"
    "CREATE INDEX IF NOT EXISTS events_loc ON events(biz_location);"
    "CREATE TABLE IF NOT EXISTS event_epcs(epc TEXT NOT NULL, role INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL, quantity REAL, uom TEXT, PRIMARY KEY(epc, role, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS event_epcs_seq ON event_epcs(seq, role);"
    /* organisations' query channels (org.contact, genesis/org.add "contact") */
    "CREATE TABLE IF NOT EXISTS org_contacts(org TEXT PRIMARY KEY, tel TEXT NOT NULL,"
    "  sms TEXT NOT NULL, web TEXT NOT NULL, height INTEGER NOT NULL) WITHOUT ROWID;"
    /* anti-counterfeit code commitments (code.issue, code.revoke; docs/codes.md) */
    "CREATE TABLE IF NOT EXISTS codes(commitment BLOB PRIMARY KEY, org TEXT NOT NULL,"
    "  gtin TEXT NOT NULL, lot TEXT NOT NULL, serial TEXT NOT NULL, height INTEGER NOT NULL,"
    "  revoked_height INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS codes_item ON codes(gtin, lot, serial);"
    "CREATE INDEX IF NOT EXISTS codes_org ON codes(org, gtin, lot);"
    /* migration: the full hash_id index of ledgers before events_hash_own */
    "DROP INDEX IF EXISTS events_hash;";

static _Thread_local int t_json_oom;
static void *json_malloc(size_t n) {
  void *p = malloc(n);
  if (!p) t_json_oom = 1;
  return p;
}
static void json_hooks(void) {
  cJSON_Hooks h = {json_malloc, free};
  cJSON_InitHooks(&h);
}
void sy_ls_json_hooks_install(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, json_hooks);
}
int sy_ls_json_oom_take(void) {
  int v = t_json_oom;
  t_json_oom = 0;
  return v;
}
cJSON *sy_ls_json_parse(const void *text, size_t len, int *oom) {
  t_json_oom = 0;
  cJSON *j = cJSON_ParseWithLength((const char *)text, len);
  *oom = !j && sy_ls_json_oom_take();
  return j;
}

int sy_ls_err(sqlite3 *db, int rc, char *msg, size_t msglen, const char *what) {
  int base = rc & 0xff;
  if (msg && msglen)
    snprintf(msg, msglen, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (base) {
    case SQLITE_FULL:
      return SY_ENOSPC;
    case SQLITE_NOMEM:
      return SY_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return SY_EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return SY_ECORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return SY_EIO;
    default:
      return SY_ESTORAGE;
  }
}

static int prep(sy_ledger *l, sqlite3 *db, sqlite3_stmt **st, const char *sql) {
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
  if (rc != SQLITE_OK) return sy_ls_err(db, rc, l->err, sizeof l->err, "prepare");
  return SY_OK;
}

static int exec(sy_ledger *l, sqlite3 *db, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    snprintf(l->err, sizeof l->err, "%s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return sy_ls_err(NULL, rc, NULL, 0, "exec");
  }
  return SY_OK;
}

/* ---- key cache ---------------------------------------------------------- */

static size_t kc_slot(const uint8_t id[SY_KEYID_LEN], size_t cap) {
  uint64_t h;
  memcpy(&h, id, sizeof h);
  return (size_t)(h & (cap - 1));
}

static int kc_insert(sy_keycache_entry *t, size_t cap, const uint8_t *id, const uint8_t *pk,
                     size_t pk_len) {
  for (size_t i = kc_slot(id, cap);; i = (i + 1) & (cap - 1)) {
    if (!t[i].used) {
      memcpy(t[i].id, id, SY_KEYID_LEN);
      memcpy(t[i].pk, pk, pk_len);
      t[i].pk_len = (uint8_t)pk_len;
      t[i].used = 1;
      return 1;
    }
    if (memcmp(t[i].id, id, SY_KEYID_LEN) == 0) return 0;
  }
}

int sy_ls_keycache_add(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], const uint8_t *pk,
                       size_t pk_len) {
  if (pk_len > SY_PK_MAX) return SY_EINVAL;
  pthread_rwlock_wrlock(&l->kc_mu);
  int rc = SY_OK;
  if ((l->kc_len + 1) * 2 > l->kc_cap) {
    size_t ncap = l->kc_cap ? l->kc_cap * 2 : 256;
    sy_keycache_entry *nt = calloc(ncap, sizeof *nt);
    if (!nt) {
      rc = SY_ENOMEM;
      goto out;
    }
    for (size_t i = 0; i < l->kc_cap; i++)
      if (l->kc[i].used) kc_insert(nt, ncap, l->kc[i].id, l->kc[i].pk, l->kc[i].pk_len);
    free(l->kc);
    l->kc = nt;
    l->kc_cap = ncap;
  }
  l->kc_len += (size_t)kc_insert(l->kc, l->kc_cap, id, pk, pk_len);
out:
  pthread_rwlock_unlock(&l->kc_mu);
  return rc;
}

int sy_ls_keycache_get(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], uint8_t *pk,
                       size_t *pk_len) {
  int rc = SY_ENOTFOUND;
  pthread_rwlock_rdlock(&l->kc_mu);
  if (l->kc_cap) {
    for (size_t i = kc_slot(id, l->kc_cap); l->kc[i].used; i = (i + 1) & (l->kc_cap - 1)) {
      if (memcmp(l->kc[i].id, id, SY_KEYID_LEN) == 0) {
        memcpy(pk, l->kc[i].pk, l->kc[i].pk_len);
        *pk_len = l->kc[i].pk_len;
        rc = SY_OK;
        break;
      }
    }
  }
  pthread_rwlock_unlock(&l->kc_mu);
  return rc;
}

static int keycache_load(sy_ledger *l, sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int rc = prep(l, db, &st, "SELECT key_id, pubkey FROM members");
  if (rc) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(st, 0) != SY_KEYID_LEN) continue;
    int rc2 = sy_ls_keycache_add(l, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1),
                                 (size_t)sqlite3_column_bytes(st, 1));
    if (rc2) {
      sqlite3_finalize(st);
      return rc2;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SY_OK : sy_ls_err(db, rc, l->err, sizeof l->err, "load keys");
}

/* ---- recently committed ids ------------------------------------------------ */

static int recent_has(uint8_t (*t)[16], const uint8_t id[SY_HASH_LEN]) {
  if (!t) return 0;
  static const uint8_t zero[16];
  uint64_t h;
  memcpy(&h, id, sizeof h);
  for (size_t i = h & (SY_RECENT_SLOTS - 1);; i = (i + 1) & (SY_RECENT_SLOTS - 1)) {
    if (memcmp(t[i], zero, 16) == 0) return 0;
    if (memcmp(t[i], id, 16) == 0) return 1;
  }
}

static void recent_add(sy_ledger *l, const uint8_t id[SY_HASH_LEN]) {
  static const uint8_t zero[16];
  if (memcmp(id, zero, 16) == 0) return; /* would read as an empty slot */
  if (!l->recent[0] || l->recent_len >= SY_RECENT_GEN) {
    uint8_t(*fresh)[16] = calloc(SY_RECENT_SLOTS, 16);
    if (!fresh) return; /* degrade: apply still refuses duplicates */
    free(l->recent[1]);
    l->recent[1] = l->recent[0];
    l->recent[0] = fresh;
    l->recent_len = 0;
  }
  uint64_t h;
  memcpy(&h, id, sizeof h);
  size_t i = h & (SY_RECENT_SLOTS - 1);
  while (memcmp(l->recent[0][i], zero, 16) != 0) {
    if (memcmp(l->recent[0][i], id, 16) == 0) return;
    i = (i + 1) & (SY_RECENT_SLOTS - 1);
  }
  memcpy(l->recent[0][i], id, 16);
  l->recent_len++;
}

/* ---- readers ------------------------------------------------------------ */

/* Bytes of the file each reader maps (virtual address space; the pages are
 * the OS page cache's, shared by all readers): 64 GiB, i.e. "all of it up
 * to SQLite's limit". */
#define SY_READER_MMAP_BYTES "68719476736"

static int reader_open(sy_ledger *l, sy_reader_conn *r) {
  int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(l->path, &r->db, flags, NULL);
  if (rc != SQLITE_OK) return sy_ls_err(r->db, rc, l->err, sizeof l->err, "open reader");
  sqlite3_busy_timeout(r->db, 5000);
  /* Read tuning (docs/benchmarks.md, trace): a trace walk reads rows of
   * `events` scattered over a multi-GB file. Mapped, a page is used in
   * place instead of copied out of the OS cache by one pread(2) each.
   * SQLite caps the request at its SQLITE_MAX_MMAP_SIZE (2 GiB in Debian
   * 12's build); pages past it, and the WAL, are still read through the
   * page cache, made 16 MiB instead of the default 2 MB for them. Both are
   * hints: a failure leaves the connection as it was, not an error. An I/O
   * error on a mapped page is a SIGBUS, SQLite's documented trade-off. */
  sqlite3_exec(r->db, "PRAGMA mmap_size=" SY_READER_MMAP_BYTES ";PRAGMA cache_size=-16384", NULL,
               NULL, NULL);
  if ((rc = prep(l, r->db, &r->has_tx, "SELECT 1 FROM txs WHERE id=?1 LIMIT 1")) ||
      (rc = prep(l, r->db, &r->get_tx,
                 "SELECT height, idx, reason, raw FROM txs WHERE id=?1 ORDER BY seq LIMIT 1")) ||
      (rc = prep(l, r->db, &r->block_txids,
                 "SELECT id, type FROM txs WHERE seq >= ?1*65536 AND seq < (?1+1)*65536 "
                 "ORDER BY seq")) ||
      (rc = prep(l, r->db, &r->get_block, "SELECT hash, header, flags FROM blocks WHERE height=?1")) ||
      (rc = prep(l, r->db, &r->get_att, "SELECT node, sig FROM attestations WHERE height=?1")) ||
      (rc = prep(l, r->db, &r->member,
                 "SELECT key_id, org, name, roles, revoked, added_height, revoked_height, pubkey "
                 "FROM members WHERE key_id=?1")))
    return rc;
  return SY_OK;
}

static void reader_close(sy_reader_conn *r) {
  sqlite3_finalize(r->has_tx);
  sqlite3_finalize(r->get_tx);
  sqlite3_finalize(r->block_txids);
  sqlite3_finalize(r->get_block);
  sqlite3_finalize(r->get_att);
  sqlite3_finalize(r->member);
  sqlite3_close(r->db);
  memset(r, 0, sizeof *r);
}

sy_reader_conn *sy_ls_reader_get(sy_ledger *l) {
  pthread_mutex_lock(&l->pool_mu);
  for (;;) {
    for (int i = 0; i < l->nreaders; i++) {
      if (!l->readers[i].busy) {
        l->readers[i].busy = 1;
        pthread_mutex_unlock(&l->pool_mu);
        return &l->readers[i];
      }
    }
    pthread_cond_wait(&l->pool_cv, &l->pool_mu);
  }
}

sy_reader_conn *sy_ls_reader_tryget(sy_ledger *l) {
  sy_reader_conn *r = NULL;
  pthread_mutex_lock(&l->pool_mu);
  for (int i = 0; i < l->nreaders && !r; i++)
    if (!l->readers[i].busy) {
      l->readers[i].busy = 1;
      r = &l->readers[i];
    }
  pthread_mutex_unlock(&l->pool_mu);
  return r;
}

void sy_ls_reader_put(sy_ledger *l, sy_reader_conn *r) {
  sqlite3_stmt *all[] = {r->has_tx, r->get_tx, r->block_txids, r->get_block, r->get_att, r->member};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    sqlite3_reset(all[i]);
    sqlite3_clear_bindings(all[i]);
  }
  pthread_mutex_lock(&l->pool_mu);
  r->busy = 0;
  pthread_cond_signal(&l->pool_cv);
  pthread_mutex_unlock(&l->pool_mu);
}

/* ---- open ---------------------------------------------------------------- */

static int prepare_writer(sy_ledger *l) {
  sqlite3 *db = l->db;
  int rc;
  if ((rc = prep(l, db, &l->ins_block,
                 "INSERT INTO blocks(height, hash, header, flags, position) VALUES(?1,?2,?3,?4,?5)")) ||
      (rc = prep(l, db, &l->ins_tx,
                 "INSERT INTO txs(seq, height, idx, id, type, signer, reason, raw) "
                 "VALUES(?1*65536+?2,?1,?2,?3,?4,?5,?6,?7)")) ||
      (rc = prep(l, db, &l->ins_att,
                 "INSERT OR REPLACE INTO attestations(height, node, sig) VALUES(?1,?2,?3)")) ||
      (rc = prep(l, db, &l->has_tx_w, "SELECT 1 FROM txs WHERE id=?1 LIMIT 1")) ||
      (rc = prep(l, db, &l->get_member_w,
                 "SELECT org, pubkey, roles, revoked FROM members WHERE key_id=?1")) ||
      (rc = prep(l, db, &l->ins_nonce, "INSERT INTO nonces(signer, nonce) VALUES(?1,?2)")) ||
      (rc = prep(l, db, &l->has_nonce, "SELECT 1 FROM nonces WHERE signer=?1 AND nonce=?2")) ||
      (rc = prep(l, db, &l->ins_member,
                 "INSERT INTO members(key_id, org, pubkey, name, roles, added_height) "
                 "VALUES(?1,?2,?3,?4,?5,?6)")) ||
      (rc = prep(l, db, &l->revoke_member,
                 "UPDATE members SET revoked=1, revoked_height=?2 WHERE key_id=?1")) ||
      (rc = prep(l, db, &l->ins_org, "INSERT INTO orgs(id, name, added_height) VALUES(?1,?2,?3)")) ||
      (rc = prep(l, db, &l->has_org, "SELECT 1 FROM orgs WHERE id=?1")) ||
      (rc = prep(l, db, &l->ins_node,
                 "INSERT INTO nodes(key_id, org, pubkey, address, added_height) "
                 "VALUES(?1,?2,?3,?4,?5)")) ||
      (rc = prep(l, db, &l->get_node_w, "SELECT org, removed FROM nodes WHERE key_id=?1")) ||
      (rc = prep(l, db, &l->remove_node,
                 "UPDATE nodes SET removed=1, removed_height=?2 WHERE key_id=?1")) ||
      (rc = prep(l, db, &l->set_meta, "INSERT OR REPLACE INTO meta(k, v) VALUES(?1, ?2)")) ||
      (rc = prep(l, db, &l->ins_event,
                 "INSERT INTO events(seq, event_id, hash_id, type, event_time, record_time, height,"
                 " tx_id, tx_index, event_index, action, biz_step, disposition, read_point,"
                 " biz_location, org, signer, data_class, json)"
                 " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)")) ||
      (rc = prep(l, db, &l->ins_epc,
                 "INSERT OR IGNORE INTO event_epcs(epc, role, seq, quantity, uom)"
                 " VALUES(?1,?2,?3,?4,?5)")) ||
      (rc = prep(l, db, &l->has_event, "SELECT 1 FROM events WHERE event_id=?1")) ||
      (rc = prep(l, db, &l->set_contact,
                 "INSERT OR REPLACE INTO org_contacts(org, tel, sms, web, height)"
                 " VALUES(?1,?2,?3,?4,?5)")) ||
      (rc = prep(l, db, &l->ins_code,
                 "INSERT INTO codes(commitment, org, gtin, lot, serial, height)"
                 " VALUES(?1,?2,?3,?4,?5,?6)")) ||
      (rc = prep(l, db, &l->has_code, "SELECT 1 FROM codes WHERE commitment=?1")) ||
      (rc = prep(l, db, &l->has_code_item,
                 "SELECT 1 FROM codes WHERE gtin=?1 AND lot=?2 AND serial=?3"
                 " AND org=?4 AND revoked_height=0")) ||
      (rc = prep(l, db, &l->revoke_codes,
                 "UPDATE codes SET revoked_height=?1 WHERE org=?2 AND gtin=?3 AND lot=?4"
                 " AND revoked_height=0 AND (?5 IS NULL OR (serial NOT GLOB '*[^0-9]*'"
                 " AND length(serial) BETWEEN 1 AND 18"
                 " AND CAST(serial AS INTEGER) BETWEEN ?5 AND ?6))")) ||
      (rc = prep(l, db, &l->begin, "BEGIN IMMEDIATE")) ||
      (rc = prep(l, db, &l->commit, "COMMIT")) || (rc = prep(l, db, &l->rollback, "ROLLBACK")))
    return rc;
  return SY_OK;
}

static int meta_get(sy_ledger *l, sqlite3 *db, const char *k, void *out, size_t n, int *found) {
  sqlite3_stmt *st = NULL;
  int rc = prep(l, db, &st, "SELECT v FROM meta WHERE k=?1");
  if (rc) return rc;
  sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
  *found = 0;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    if (len <= n) {
      memcpy(out, sqlite3_column_blob(st, 0), len);
      if (len < n) ((uint8_t *)out)[len] = 0;
      *found = 1;
    }
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SY_OK : sy_ls_err(db, rc, l->err, sizeof l->err, "meta");
}

int sy_ls_meta_put(sy_ledger *l, const char *k, const void *v, size_t n) {
  sqlite3_bind_text(l->set_meta, 1, k, -1, SQLITE_STATIC);
  sqlite3_bind_blob(l->set_meta, 2, v, (int)n, SQLITE_STATIC);
  int rc = sqlite3_step(l->set_meta);
  sqlite3_reset(l->set_meta);
  return rc == SQLITE_DONE ? SY_OK : sy_ls_err(l->db, rc, l->err, sizeof l->err, "meta");
}

/* Loads the tip from the last block row and meta. */
static int tip_load(sy_ledger *l, sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int rc = prep(l, db, &st, "SELECT hash, header FROM blocks ORDER BY height DESC LIMIT 1");
  if (rc) return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    sy_block_header h;
    if (sqlite3_column_bytes(st, 0) != SY_HASH_LEN ||
        sy_block_header_decode(&h, sqlite3_column_blob(st, 1),
                               (size_t)sqlite3_column_bytes(st, 1)) != SY_OK) {
      sqlite3_finalize(st);
      snprintf(l->err, sizeof l->err, "last block row is damaged; run suyuan verify");
      return SY_ECORRUPT;
    }
    memcpy(l->tip.hash, sqlite3_column_blob(st, 0), SY_HASH_LEN);
    memcpy(l->tip.results_hash, h.results_hash, SY_HASH_LEN);
    l->tip.height = h.height;
    l->tip.timestamp_ms = h.timestamp_ms;
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return sy_ls_err(db, rc, l->err, sizeof l->err, "load tip");
  int found;
  uint8_t v[8];
  if ((rc = meta_get(l, db, "position", v, 8, &found))) return rc;
  l->tip.position = found ? sy_load_u64(v) : 0;
  if ((rc = meta_get(l, db, "genesis_hash", l->tip.genesis_hash, SY_HASH_LEN, &found))) return rc;
  st = NULL;
  if ((rc = prep(l, db, &st, "SELECT count(*), coalesce(sum(reason=0),0) FROM txs"))) return rc;
  if (sqlite3_step(st) == SQLITE_ROW) {
    l->tip.tx_count = (uint64_t)sqlite3_column_int64(st, 0);
    l->tip.valid_tx_count = (uint64_t)sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return SY_OK;
}

static int has_blocks(sy_ledger *l, sqlite3 *db, int *yes) {
  sqlite3_stmt *st = NULL;
  int rc = prep(l, db, &st, "SELECT 1 FROM blocks LIMIT 1");
  if (rc) return rc;
  rc = sqlite3_step(st);
  *yes = rc == SQLITE_ROW;
  sqlite3_finalize(st);
  return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SY_OK
                                                 : sy_ls_err(db, rc, l->err, sizeof l->err, "read");
}

static int append_genesis(sy_ledger *l, const uint8_t *genesis, size_t len);

/* The chain's rules from block 0's genesis transaction (features). */
static int genesis_features(sy_ledger *l, sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int rc = prep(l, db, &st, "SELECT raw FROM txs WHERE seq=0");
  if (rc) return rc;
  sy_tx tx;
  sy_genesis_info gi;
  if (sqlite3_step(st) != SQLITE_ROW ||
      sy_tx_decode(&tx, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0)) ||
      tx.type != SY_TX_GENESIS ||
      sy_genesis_check(tx.payload, tx.payload_len, &gi, l->err, sizeof l->err)) {
    if (!l->err[0]) snprintf(l->err, sizeof l->err, "block 0 holds no readable genesis");
    rc = SY_ECORRUPT;
  } else {
    l->ext_events_height = gi.ext_events_height;
  }
  sqlite3_finalize(st);
  return rc;
}

int sy_ledger_open(sy_ledger **out, const sy_ledger_opts *o, char *err, size_t errlen) {
  sy_ls_json_hooks_install();
  if (sy_crypto_init()) return SY_ECRYPTO;
  if (!o || !o->path || strlen(o->path) >= sizeof ((sy_ledger *)0)->path) return SY_EINVAL;
  sy_ledger *l = calloc(1, sizeof *l);
  if (!l) return SY_ENOMEM;
  pthread_mutex_init(&l->tip_mu, NULL);
  pthread_mutex_init(&l->pool_mu, NULL);
  pthread_cond_init(&l->pool_cv, NULL);
  pthread_rwlock_init(&l->kc_mu, NULL);
  pthread_rwlock_init(&l->recent_mu, NULL);
  snprintf(l->path, sizeof l->path, "%s", o->path);
  l->read_only = o->read_only;
  l->node_key = o->node_key;
  int memory = strcmp(o->path, ":memory:") == 0 || o->scratch; /* no durability, no readers */
  int rc;
  sqlite3 *db = NULL;
  int flags = (o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
              SQLITE_OPEN_NOMUTEX;
  int src = sqlite3_open_v2(o->path, &db, flags, NULL);
  if (src != SQLITE_OK) {
    rc = sy_ls_err(db, src, l->err, sizeof l->err, "open ledger");
    sqlite3_close(db);
    goto fail;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  if (!o->read_only) {
    l->db = db;
    /* WAL + synchronous=FULL: each commit (one per block) fsyncs the WAL,
     * so an acknowledged block survives power loss (SPEC M6). */
    if ((rc = exec(l, db, o->scratch ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                          : memory   ? "PRAGMA journal_mode=MEMORY;"
                                 : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")) ||
        /* A block of bulk capture dirties thousands of index pages; with
         * SQLite's default checkpoint every 1,000 WAL pages nearly every
         * block commit was followed by a checkpoint writing them again.
         * 8,192 pages (32 MiB) lets a hot page reach the file once for
         * several blocks (docs/benchmarks.md, 2026-11-26 bulk capture). */
        (rc = exec(l, db, "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-65536;"
                          "PRAGMA wal_autocheckpoint=8192;")) ||
        (rc = exec(l, db, SCHEMA)) || (rc = prepare_writer(l)))
      goto fail;
  }
  int nonempty = 0;
  if ((rc = has_blocks(l, db, &nonempty))) goto fail_db;
  if (!nonempty) {
    if (o->read_only) {
      snprintf(l->err, sizeof l->err, "ledger %s is empty", o->path);
      rc = SY_ENOTFOUND;
      goto fail_db;
    }
    if (!o->genesis) {
      snprintf(l->err, sizeof l->err, "a new ledger needs a genesis file");
      rc = SY_EINVAL;
      goto fail;
    }
    sy_genesis_info gi;
    if ((rc = sy_genesis_check(o->genesis, o->genesis_len, &gi, l->err, sizeof l->err))) goto fail;
    l->suite = gi.suite;
    l->ext_events_height = gi.ext_events_height;
    snprintf(l->chain_id, sizeof l->chain_id, "%s", gi.chain_id);
    if ((rc = append_genesis(l, o->genesis, o->genesis_len))) goto fail;
  } else {
    int found = 0;
    char suite[64];
    if ((rc = meta_get(l, db, "chain_id", l->chain_id, SY_CHAIN_ID_MAX, &found))) goto fail_db;
    if ((rc = meta_get(l, db, "suite", suite, sizeof suite - 1, &found))) goto fail_db;
    l->suite = found ? sy_suite_find(suite) : NULL;
    if (!l->suite) {
      snprintf(l->err, sizeof l->err, "ledger has no known crypto suite");
      rc = SY_ECORRUPT;
      goto fail_db;
    }
    if ((rc = genesis_features(l, db))) goto fail_db;
  }
  if ((rc = tip_load(l, db))) goto fail_db;
  if (nonempty && o->genesis) {
    /* The node's genesis file must be the one this ledger was made from. */
    sy_buf gtx = {0};
    rc = sy_genesis_tx(o->genesis, o->genesis_len, &gtx);
    if (rc) {
      sy_buf_free(&gtx);
      snprintf(l->err, sizeof l->err, "genesis file is not valid");
      goto fail_db;
    }
    sqlite3_stmt *st = NULL;
    if ((rc = prep(l, db, &st, "SELECT raw FROM txs WHERE seq=0"))) {
      sy_buf_free(&gtx);
      goto fail_db;
    }
    int same = sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == gtx.len &&
               memcmp(sqlite3_column_blob(st, 0), gtx.p, gtx.len) == 0;
    sqlite3_finalize(st);
    sy_buf_free(&gtx);
    if (!same) {
      snprintf(l->err, sizeof l->err, "genesis file does not match this ledger's block 0");
      rc = SY_EWRONGCHAIN;
      goto fail_db;
    }
  }
  if ((rc = keycache_load(l, db))) goto fail_db;
  if (!o->read_only) {
    /* Refill the recent-id set so a replay right after a restart still gets 409. */
    sqlite3_stmt *st = NULL;
    if (prep(l, db, &st, "SELECT id FROM (SELECT id, seq FROM txs ORDER BY seq DESC LIMIT ?1) ORDER BY seq") == SY_OK) {
      sqlite3_bind_int64(st, 1, SY_RECENT_GEN);
      while (sqlite3_step(st) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == SY_HASH_LEN) recent_add(l, sqlite3_column_blob(st, 0));
    }
    sqlite3_finalize(st);
  }
  if (o->read_only) l->db = NULL;
  if (o->read_only) sqlite3_close(db);
  db = NULL;
  if (!memory) {
    l->nreaders = o->readers > 0 ? o->readers : 8;
    l->readers = calloc((size_t)l->nreaders, sizeof *l->readers);
    if (!l->readers) {
      rc = SY_ENOMEM;
      goto fail;
    }
    for (int i = 0; i < l->nreaders; i++)
      if ((rc = reader_open(l, &l->readers[i]))) goto fail;
  }
  *out = l;
  return SY_OK;
fail_db:
  if (o->read_only) sqlite3_close(db);
fail:
  if (err && errlen) snprintf(err, errlen, "%s", l->err[0] ? l->err : sy_strerror(rc));
  sy_ledger_close(l);
  return rc;
}

void sy_ledger_close(sy_ledger *l) {
  if (!l) return;
  for (int i = 0; i < l->nreaders; i++) reader_close(&l->readers[i]);
  free(l->readers);
  sqlite3_stmt *all[] = {l->ins_block, l->ins_tx, l->ins_att, l->has_tx_w, l->get_member_w,
                         l->ins_nonce, l->has_nonce, l->ins_member, l->revoke_member, l->ins_org,
                         l->has_org, l->ins_node, l->get_node_w, l->remove_node, l->set_meta,
                         l->ins_event, l->ins_epc, l->has_event, l->set_contact,
                         l->ins_code, l->has_code, l->has_code_item, l->revoke_codes,
                         l->begin, l->commit, l->rollback};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
  if (l->db) sqlite3_close(l->db);
  free(l->kc);
  free(l->recent[0]);
  free(l->recent[1]);
  pthread_rwlock_destroy(&l->recent_mu);
  pthread_mutex_destroy(&l->tip_mu);
  pthread_mutex_destroy(&l->pool_mu);
  pthread_cond_destroy(&l->pool_cv);
  pthread_rwlock_destroy(&l->kc_mu);
  free(l);
}

const sy_suite *sy_ledger_suite(const sy_ledger *l) { return l->suite; }
const char *sy_ledger_chain_id(const sy_ledger *l) { return l->chain_id; }

int sy_ledger_records_extension_events(sy_ledger *l) {
  sy_tip t;
  return sy_ledger_tip(l, &t) == SY_OK && t.height + 1 >= l->ext_events_height;
}

int sy_ledger_tip(sy_ledger *l, sy_tip *out) {
  pthread_mutex_lock(&l->tip_mu);
  *out = l->tip;
  pthread_mutex_unlock(&l->tip_mu);
  return SY_OK;
}

/* ---- append ---------------------------------------------------------------- */

static int step_done(sy_ledger *l, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SY_OK : sy_ls_err(l->db, rc, l->err, sizeof l->err, what);
}

static void seal(sy_ledger *l, const sy_block_header *h, const uint8_t hash[SY_HASH_LEN],
                 uint8_t *sig, size_t *sig_len) {
  uint8_t msg[4 + 8 + 64];
  sy_attestation_msg(h->height, hash, h->results_hash, msg);
  if (sy_key_sign(l->node_key, msg, sizeof msg, sig, sig_len) != SY_OK) *sig_len = 0;
}

/* Runs apply inside one write transaction and commits it: one fsync. */
static int append_locked(sy_ledger *l, const sy_batch *b, uint16_t *flags, sy_commit_info *info,
                         int is_genesis, const uint8_t *expect_hash) {
  if (l->read_only || !l->db) return SY_EINVAL;
  int rc = step_done(l, l->begin, "begin");
  if (rc) return rc;
  sy_block_header h;
  uint8_t hash[SY_HASH_LEN];
  rc = sy_la_apply(l, b, flags, &h, hash, is_genesis);
  if (rc) goto rollback;
  if (expect_hash && memcmp(expect_hash, hash, SY_HASH_LEN) != 0) {
    snprintf(l->err, sizeof l->err, "block %llu replays to a different hash than its source's",
             (unsigned long long)h.height);
    rc = SY_EDIVERGED;
    goto rollback;
  }
  if (b->position) {
    uint8_t v[8];
    sy_store_u64(v, b->position);
    if ((rc = sy_ls_meta_put(l, "position", v, 8))) goto rollback;
  }
  /* Seal only as a registered, active node (as of this block): a seal by
   * any other key is noise that verify would rightly refuse (a peer that is
   * not registered yet, or catches up on blocks from before it joined). */
  int registered = 0;
  if (l->node_key) {
    sqlite3_bind_blob(l->get_node_w, 1, sy_key_id_of(l->node_key), SY_KEYID_LEN, SQLITE_STATIC);
    int src = sqlite3_step(l->get_node_w);
    registered = src == SQLITE_ROW && sqlite3_column_int(l->get_node_w, 1) == 0;
    sqlite3_reset(l->get_node_w);
    sqlite3_clear_bindings(l->get_node_w);
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
      rc = sy_ls_err(l->db, src, l->err, sizeof l->err, "read node");
      goto rollback;
    }
  }
  if (l->node_key && registered) {
    uint8_t sig[SY_SIG_MAX];
    size_t sig_len = 0;
    seal(l, &h, hash, sig, &sig_len);
    if (sig_len) {
      sqlite3_bind_int64(l->ins_att, 1, (sqlite3_int64)h.height);
      sqlite3_bind_blob(l->ins_att, 2, sy_key_id_of(l->node_key), SY_KEYID_LEN, SQLITE_STATIC);
      sqlite3_bind_blob(l->ins_att, 3, sig, (int)sig_len, SQLITE_TRANSIENT);
      if ((rc = step_done(l, l->ins_att, "attestation"))) goto rollback;
    }
  }
  if ((rc = step_done(l, l->commit, "commit"))) goto rollback;
  pthread_rwlock_wrlock(&l->recent_mu);
  for (size_t i = 0; i < b->n; i++) {
    uint8_t id[SY_HASH_LEN];
    sy_slice sl = {b->txs[i].raw, b->txs[i].len};
    l->suite->hash(&sl, 1, id);
    recent_add(l, id);
  }
  pthread_rwlock_unlock(&l->recent_mu);
  uint64_t valid = 0;
  for (size_t i = 0; i < b->n; i++) valid += flags[i] == 0;
  pthread_mutex_lock(&l->tip_mu);
  l->tip.height = h.height;
  memcpy(l->tip.hash, hash, SY_HASH_LEN);
  memcpy(l->tip.results_hash, h.results_hash, SY_HASH_LEN);
  l->tip.timestamp_ms = h.timestamp_ms;
  if (b->position) l->tip.position = b->position;
  l->tip.tx_count += b->n;
  l->tip.valid_tx_count += valid;
  if (is_genesis) memcpy(l->tip.genesis_hash, hash, SY_HASH_LEN);
  pthread_mutex_unlock(&l->tip_mu);
  if (info) {
    info->height = h.height;
    memcpy(info->block_hash, hash, SY_HASH_LEN);
    info->skipped = 0;
  }
  return SY_OK;
rollback:
  /* Nothing of the block stays: a later append starts from the same tip. */
  sqlite3_step(l->rollback);
  sqlite3_reset(l->rollback);
  return rc;
}

/* Member keys added by a committed block become known to admission. */
static void keycache_refresh_block(sy_ledger *l, const sy_batch *b, const uint16_t *flags);

int sy_ledger_append(sy_ledger *l, const sy_batch *b, uint16_t *flags, sy_commit_info *info) {
  if (!b || b->n == 0 || b->n > SY_BLOCK_MAX_TXS || !flags) return SY_EINVAL;
  if (b->position && b->position <= l->tip.position) {
    /* Idempotent: a restart may see an applied batch again. */
    if (info) {
      memset(info, 0, sizeof *info);
      info->skipped = 1;
    }
    for (size_t i = 0; i < b->n; i++) flags[i] = 0;
    return SY_OK;
  }
  int rc = append_locked(l, b, flags, info, 0, NULL);
  if (rc == SY_OK) keycache_refresh_block(l, b, flags);
  return rc;
}

int sy_ledger_append_expect(sy_ledger *l, const sy_batch *b, const uint8_t expect[SY_HASH_LEN],
                            uint16_t *flags, sy_commit_info *info) {
  if (!b || b->n == 0 || b->n > SY_BLOCK_MAX_TXS || !flags || !expect) return SY_EINVAL;
  if (b->position && b->position <= l->tip.position) {
    if (info) {
      memset(info, 0, sizeof *info);
      info->skipped = 1;
    }
    return SY_OK;
  }
  int rc = append_locked(l, b, flags, info, 0, expect);
  if (rc == SY_OK) keycache_refresh_block(l, b, flags);
  return rc;
}

int sy_ledger_node_key(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], uint8_t *pk, size_t *pk_len,
                       int *active) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_ENOTFOUND;
  if (sqlite3_prepare_v2(r->db, "SELECT pubkey, removed FROM nodes WHERE key_id=?1", -1, &st,
                         NULL) != SQLITE_OK) {
    rc = SY_ESTORAGE;
  } else {
    sqlite3_bind_blob(st, 1, id, SY_KEYID_LEN, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) <= SY_PK_MAX) {
      *pk_len = (size_t)sqlite3_column_bytes(st, 0);
      memcpy(pk, sqlite3_column_blob(st, 0), *pk_len);
      if (active) *active = sqlite3_column_int(st, 1) == 0;
      rc = SY_OK;
    }
  }
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  return rc;
}

int sy_ledger_list_nodes(sy_ledger *l, int (*fn)(void *ctx, const sy_node_info *n), void *ctx) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_OK;
  if (sqlite3_prepare_v2(r->db,
                         "SELECT key_id, org, pubkey, address, removed, added_height, removed_height"
                         " FROM nodes ORDER BY org, added_height, key_id",
                         -1, &st, NULL) != SQLITE_OK) {
    rc = SY_ESTORAGE;
    goto out;
  }
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    sy_node_info n;
    memset(&n, 0, sizeof n);
    if (sqlite3_column_bytes(st, 0) != SY_KEYID_LEN ||
        (size_t)sqlite3_column_bytes(st, 2) > SY_PK_MAX)
      continue;
    memcpy(n.key_id, sqlite3_column_blob(st, 0), SY_KEYID_LEN);
    snprintf(n.org, sizeof n.org, "%s", (const char *)sqlite3_column_text(st, 1));
    n.pk_len = (size_t)sqlite3_column_bytes(st, 2);
    memcpy(n.pk, sqlite3_column_blob(st, 2), n.pk_len);
    snprintf(n.address, sizeof n.address, "%s", (const char *)sqlite3_column_text(st, 3));
    n.removed = sqlite3_column_int(st, 4);
    n.added_height = (uint64_t)sqlite3_column_int64(st, 5);
    n.removed_height = (uint64_t)sqlite3_column_int64(st, 6);
    if (fn(ctx, &n)) break;
  }
  if (src != SQLITE_ROW && src != SQLITE_DONE) rc = SY_ESTORAGE;
out:
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  return rc;
}

int sy_ledger_add_attestation(sy_ledger *l, uint64_t height, const uint8_t node[SY_KEYID_LEN],
                              const uint8_t *sig, size_t sig_len, int *matches);

int sy_ledger_add_attestations(sy_ledger *l, size_t n, const uint64_t *heights,
                               const uint8_t (*nodes)[SY_KEYID_LEN], const uint8_t *const *sigs,
                               const size_t *sig_lens, int *results) {
  if (l->read_only || !l->db) return SY_EINVAL;
  if (n == 0) return SY_OK;
  int rc = step_done(l, l->begin, "begin");
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    int m = 0;
    results[i] = sy_ledger_add_attestation(l, heights[i], nodes[i], sigs[i], sig_lens[i], &m);
    if (results[i] == SY_ESTORAGE || results[i] == SY_ENOSPC || results[i] == SY_ENOMEM) {
      rc = results[i];
      break;
    }
  }
  if (!rc) rc = step_done(l, l->commit, "commit");
  if (rc) {
    sqlite3_step(l->rollback);
    sqlite3_reset(l->rollback);
  }
  return rc;
}

int sy_ledger_add_attestation(sy_ledger *l, uint64_t height, const uint8_t node[SY_KEYID_LEN],
                              const uint8_t *sig, size_t sig_len, int *matches) {
  if (l->read_only || !l->db || sig_len == 0 || sig_len > SY_SIG_MAX) return SY_EINVAL;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len = 0;
  /* The node must have been registered at that height (verify checks seals
   * against the registry as it was at each block). */
  sqlite3_stmt *st = NULL;
  int rc = SY_EPERM;
  if (sqlite3_prepare_v2(l->db,
                         "SELECT pubkey, added_height, removed, removed_height FROM nodes"
                         " WHERE key_id=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return sy_ls_err(l->db, SQLITE_ERROR, l->err, sizeof l->err, "read node");
  sqlite3_bind_blob(st, 1, node, SY_KEYID_LEN, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) <= SY_PK_MAX &&
      (uint64_t)sqlite3_column_int64(st, 1) <= height &&
      (sqlite3_column_int(st, 2) == 0 || (uint64_t)sqlite3_column_int64(st, 3) > height)) {
    pk_len = (size_t)sqlite3_column_bytes(st, 0);
    memcpy(pk, sqlite3_column_blob(st, 0), pk_len);
    rc = SY_OK;
  }
  sqlite3_finalize(st);
  if (rc) return rc;
  /* The attestation must be over OUR block at that height. A signature
   * that verifies over a different (hash, results) is a divergence: we
   * cannot tell which from the signature alone, so the caller is told it
   * does not match (and the attestation is not stored). */
  sy_block_info bi;
  rc = sy_ledger_get_block(l, height, &bi);
  if (rc) return rc;
  uint8_t msg[4 + 8 + 64];
  sy_attestation_msg(height, bi.hash, bi.hdr.results_hash, msg);
  sy_block_info_free(&bi);
  int ok = l->suite->verify(sig, sig_len, msg, sizeof msg, pk, pk_len);
  if (matches) *matches = ok;
  if (!ok) return SY_EBADSIG;
  sqlite3_bind_int64(l->ins_att, 1, (sqlite3_int64)height);
  sqlite3_bind_blob(l->ins_att, 2, node, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(l->ins_att, 3, sig, (int)sig_len, SQLITE_STATIC);
  return step_done(l, l->ins_att, "attestation");
}

static int append_genesis(sy_ledger *l, const uint8_t *genesis, size_t len) {
  sy_buf gtx = {0};
  int rc = sy_genesis_tx(genesis, len, &gtx);
  if (rc) {
    snprintf(l->err, sizeof l->err, "genesis file is not valid");
    return rc;
  }
  sy_batch_tx bt = {gtx.p, gtx.len, 0, NULL};
  sy_genesis_info gi;
  sy_genesis_check(genesis, len, &gi, NULL, 0);
  sy_batch b = {.txs = &bt, .n = 1, .timestamp_ms = gi.created_ms};
  uint16_t flag = 0;
  rc = append_locked(l, &b, &flag, NULL, 1, NULL);
  sy_buf_free(&gtx);
  if (rc == SY_OK && flag != 0) {
    snprintf(l->err, sizeof l->err, "genesis was not accepted: %s", sy_reason_text(flag));
    rc = SY_EMALFORMED;
  }
  return rc;
}

/* ---- admission ---------------------------------------------------------- */

int sy_ledger_admit(sy_ledger *l, const uint8_t *raw, size_t len, size_t max_bytes, sy_tx *tx,
                    uint8_t id[SY_HASH_LEN], int *sig_checked) {
  *sig_checked = 0;
  if (max_bytes && len > max_bytes) return SY_ETOOBIG;
  int rc = sy_tx_decode(tx, raw, len);
  if (rc) return rc;
  if (tx->type == SY_TX_GENESIS) return SY_EMALFORMED;
  if (tx->chain_id_len != strlen(l->chain_id) ||
      memcmp(tx->chain_id, l->chain_id, tx->chain_id_len) != 0)
    return SY_EWRONGCHAIN;
  sy_tx_id(tx, l->suite->hash, id);
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  if (sy_ls_keycache_get(l, tx->signer, pk, &pk_len) == SY_OK) {
    if (!l->suite->verify(tx->sig, tx->sig_len, tx->body, tx->body_len, pk, pk_len))
      return SY_EBADSIG;
    *sig_checked = 1;
  }
  /* A query per transaction here cost ~13% of the node's CPU under load
   * (bench: cpu per tx); the recent-id set answers for the last 256-512k
   * transactions, apply catches the rest. */
  pthread_rwlock_rdlock(&l->recent_mu);
  int seen = recent_has(l->recent[0], id) || recent_has(l->recent[1], id);
  pthread_rwlock_unlock(&l->recent_mu);
  return seen ? SY_EEXIST : SY_OK;
}

static void keycache_refresh_block(sy_ledger *l, const sy_batch *b, const uint16_t *flags) {
  /* Cheap: only governance transactions that added keys are looked at. */
  for (size_t i = 0; i < b->n; i++) {
    if (flags[i] != 0) continue;
    sy_tx tx;
    if (sy_tx_decode(&tx, b->txs[i].raw, b->txs[i].len) != SY_OK) continue;
    if (tx.type != SY_TX_MEMBER_ADD && tx.type != SY_TX_ORG_ADD) continue;
    sqlite3_stmt *st = NULL;
    if (prep(l, l->db, &st, "SELECT key_id, pubkey FROM members WHERE added_height=?1") != SY_OK)
      return;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)l->tip.height);
    while (sqlite3_step(st) == SQLITE_ROW)
      sy_ls_keycache_add(l, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1),
                         (size_t)sqlite3_column_bytes(st, 1));
    sqlite3_finalize(st);
    return;
  }
}
