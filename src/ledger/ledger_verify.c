/* verify: re-check a ledger file from genesis (SPEC G2 tamper-evidence,
 * M8c consistency). Nothing stored is trusted: hashes are recomputed, every
 * signature re-verified, and every block replayed through the same apply
 * into a private in-memory ledger whose flags and results hash must match. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/merkle.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger_internal.h"

static int bad(sy_verify_report *r, uint64_t h, const char *fmt, ...) {
  r->ok = 0;
  r->bad_height = h;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->what, sizeof r->what, fmt, ap);
  va_end(ap);
  return SY_OK; /* the check ran; it found a fault */
}

/* Public key of a node registered in the replay ledger. */
static int node_pk(sy_ledger *rl, const uint8_t id[SY_KEYID_LEN], uint8_t *pk, size_t *pk_len) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(rl->db, "SELECT pubkey FROM nodes WHERE key_id=?1", -1, &st, NULL))
    return SY_ESTORAGE;
  sqlite3_bind_blob(st, 1, id, SY_KEYID_LEN, SQLITE_STATIC);
  int rc = SY_ENOTFOUND;
  if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) <= SY_PK_MAX) {
    *pk_len = (size_t)sqlite3_column_bytes(st, 0);
    memcpy(pk, sqlite3_column_blob(st, 0), *pk_len);
    rc = SY_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Digest of a table's rows in key order, column by column, typed. */
static int table_digest(sqlite3 *db, const char *sql, const sy_suite *su, uint8_t out[SY_HASH_LEN],
                        uint64_t *rows) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return SY_ECORRUPT;
  sy_buf acc = {0};
  int rc;
  uint8_t h[SY_HASH_LEN] = {0};
  *rows = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    sy_buf_reset(&acc);
    sy_buf_put(&acc, h, SY_HASH_LEN);
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      int t = sqlite3_column_type(st, i);
      sy_buf_u8(&acc, (uint8_t)t);
      if (t == SQLITE_INTEGER) {
        sy_buf_u64(&acc, (uint64_t)sqlite3_column_int64(st, i));
      } else if (t != SQLITE_NULL) {
        const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, i)
                                         : sqlite3_column_blob(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        sy_buf_u32(&acc, (uint32_t)n);
        sy_buf_put(&acc, p, n);
      }
    }
    if (acc.err) break;
    sy_slice sl = {acc.p, acc.len};
    su->hash(&sl, 1, h); /* a chain over the rows: order matters */
    (*rows)++;
  }
  int err = acc.err;
  sy_buf_free(&acc);
  sqlite3_finalize(st);
  if (err) return err;
  if (rc != SQLITE_DONE) return SY_ECORRUPT;
  memcpy(out, h, SY_HASH_LEN);
  return SY_OK;
}

/* The state tables are derived data; they must equal the replay's. */
static const struct {
  const char *name, *sql;
} STATE_TABLES[] = {
    {"orgs", "SELECT id, name, added_height FROM orgs ORDER BY id"},
    {"members", "SELECT key_id, org, pubkey, name, roles, revoked, added_height, revoked_height "
                "FROM members ORDER BY key_id"},
    {"nodes", "SELECT key_id, org, pubkey, address, removed, added_height, removed_height "
              "FROM nodes ORDER BY key_id"},
    {"nonces", "SELECT signer, nonce FROM nonces ORDER BY signer, nonce"},
    {"events", "SELECT seq, event_id, hash_id, type, event_time, record_time, height, tx_id,"
               " tx_index, event_index, action, biz_step, disposition, read_point, biz_location,"
               " org, signer, data_class, json FROM events ORDER BY seq"},
    {"event_epcs", "SELECT epc, role, seq, quantity, uom FROM event_epcs ORDER BY epc, role, seq"},
    /* newer tables: a ledger file last written before they existed lacks
     * them, which is fine only while the replay has no rows either */
    {"org_contacts", "SELECT org, tel, sms, web, height FROM org_contacts ORDER BY org"},
    {"codes", "SELECT commitment, org, gtin, lot, serial, height, revoked_height FROM codes"
              " ORDER BY commitment"},
};
#define STATE_TABLES_OPTIONAL_FROM 6 /* index of the first table an old file may lack */

static int table_exists(sqlite3 *db, const char *name) {
  sqlite3_stmt *st = NULL;
  int yes = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1", -1,
                         &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return yes;
}

typedef struct vblock {
  sy_block_header hdr;
  uint8_t hash[SY_HASH_LEN];
  uint16_t *flags;
  sy_batch_tx *txs;
  uint8_t **raws;
  size_t n;
} vblock;

static void vblock_free(vblock *b) {
  for (size_t i = 0; i < b->n; i++) free(b->raws[i]);
  free(b->raws);
  free(b->txs);
  free(b->flags);
  memset(b, 0, sizeof *b);
}

/* A new empty file, 0600, for the replay: "<ledger>.verify-XXXXXX", or in
 * $TMPDIR (/tmp) when the ledger's directory is not writable. */
static int scratch_path(const char *ledger, char *out, size_t n) {
  const char *tmp = getenv("TMPDIR");
  for (int i = 0; i < 2; i++) {
    int len = i == 0 ? snprintf(out, n, "%s.verify-XXXXXX", ledger)
                     : snprintf(out, n, "%s/suyuan-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (len < 0 || (size_t)len >= n) continue;
    int fd = mkstemp(out);
    if (fd >= 0) {
      close(fd);
      return SY_OK;
    }
  }
  out[0] = 0;
  return SY_EIO;
}

int sy_ledger_verify(const char *path, sy_verify_report *r,
                     void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx) {
  memset(r, 0, sizeof *r);
  char scratch[1100] = "";
  r->ok = 1;
  if (sy_crypto_init()) return SY_ECRYPTO;
  sqlite3 *db = NULL;
  sy_ledger *rl = NULL;
  sqlite3_stmt *blocks = NULL, *txs = NULL, *atts = NULL, *meta = NULL;
  uint16_t *replay_flags = NULL;
  uint8_t(*ids)[SY_HASH_LEN] = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc != SQLITE_OK) {
    snprintf(r->what, sizeof r->what, "cannot open %s: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    r->ok = 0;
    return SY_EIO;
  }
  sqlite3_busy_timeout(db, 5000);
  /* One read transaction: a live node keeps appending; we see a snapshot. */
  if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT height, hash, header, flags FROM blocks ORDER BY height", -1,
                         &blocks, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "SELECT seq, height, idx, id, raw FROM txs WHERE seq >= ?1*65536 AND "
                         "seq < (?1+1)*65536 ORDER BY seq",
                         -1, &txs, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT node, sig FROM attestations WHERE height=?1", -1, &atts,
                         NULL) != SQLITE_OK) {
    snprintf(r->what, sizeof r->what, "not a Suyuan ledger: %s", sqlite3_errmsg(db));
    r->ok = 0;
    rc = SY_ECORRUPT;
    goto out;
  }
  uint64_t total = 0, stored_tip = 0, stored_txs = 0;
  int have_tip = 0;
  {
    sqlite3_stmt *c = NULL;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM blocks), (SELECT count(*) FROM txs)",
                           -1, &c, NULL) == SQLITE_OK &&
        sqlite3_step(c) == SQLITE_ROW) {
      total = (uint64_t)sqlite3_column_int64(c, 0);
      stored_txs = (uint64_t)sqlite3_column_int64(c, 1);
    }
    sqlite3_finalize(c);
    if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k='tip_height'", -1, &meta, NULL) ==
            SQLITE_OK &&
        sqlite3_step(meta) == SQLITE_ROW && sqlite3_column_bytes(meta, 0) == 8) {
      stored_tip = sy_load_u64(sqlite3_column_blob(meta, 0));
      have_tip = 1;
    }
  }

  uint64_t expect = 0;
  uint8_t prev_hash[SY_HASH_LEN] = {0};
  vblock vb = {0};
  replay_flags = malloc(SY_BLOCK_MAX_TXS * sizeof *replay_flags);
  ids = malloc((size_t)SY_BLOCK_MAX_TXS * SY_HASH_LEN);
  if (!replay_flags || !ids) {
    rc = SY_ENOMEM;
    goto out;
  }
  const sy_suite *suite = NULL;
  int src;
  while ((src = sqlite3_step(blocks)) == SQLITE_ROW) {
    uint64_t h = (uint64_t)sqlite3_column_int64(blocks, 0);
    vblock_free(&vb);
    if (h != expect) {
      bad(r, expect, "block %llu is missing (next stored block is %llu)",
          (unsigned long long)expect, (unsigned long long)h);
      goto done;
    }
    if (sy_block_header_decode(&vb.hdr, sqlite3_column_blob(blocks, 2),
                               (size_t)sqlite3_column_bytes(blocks, 2)) != SY_OK ||
        sqlite3_column_bytes(blocks, 1) != SY_HASH_LEN) {
      bad(r, h, "block header does not decode");
      goto done;
    }
    memcpy(vb.hash, sqlite3_column_blob(blocks, 1), SY_HASH_LEN);
    if (vb.hdr.height != h) {
      bad(r, h, "block stored at height %llu says it is height %llu (blocks moved or swapped)",
          (unsigned long long)h, (unsigned long long)vb.hdr.height);
      goto done;
    }
    if (vb.hdr.tx_count == 0 || vb.hdr.tx_count > SY_BLOCK_MAX_TXS) {
      bad(r, h, "block has an impossible transaction count %u", vb.hdr.tx_count);
      goto done;
    }
    vb.n = vb.hdr.tx_count;
    vb.flags = malloc(vb.n * sizeof *vb.flags);
    vb.txs = calloc(vb.n, sizeof *vb.txs);
    vb.raws = calloc(vb.n, sizeof *vb.raws);
    if (!vb.flags || !vb.txs || !vb.raws) {
      rc = SY_ENOMEM;
      goto out;
    }
    if (sy_block_flags_decode(vb.flags, vb.n, sqlite3_column_blob(blocks, 3),
                              (size_t)sqlite3_column_bytes(blocks, 3)) != SY_OK) {
      bad(r, h, "validity flags are damaged");
      goto done;
    }
    /* Transactions of this block, in order. */
    sqlite3_reset(txs);
    sqlite3_bind_int64(txs, 1, (sqlite3_int64)h);
    size_t i = 0;
    while ((src = sqlite3_step(txs)) == SQLITE_ROW) {
      if (i >= vb.n) {
        bad(r, h, "block has more transactions stored than its header says");
        goto done;
      }
      if ((uint64_t)sqlite3_column_int64(txs, 2) != i) {
        bad(r, h, "transaction %zu of the block is missing", i);
        goto done;
      }
      size_t len = (size_t)sqlite3_column_bytes(txs, 4);
      vb.raws[i] = malloc(len ? len : 1);
      if (!vb.raws[i]) {
        rc = SY_ENOMEM;
        goto out;
      }
      memcpy(vb.raws[i], sqlite3_column_blob(txs, 4), len);
      vb.txs[i].raw = vb.raws[i];
      vb.txs[i].len = len;
      vb.txs[i].sig_checked = 0; /* re-verify every signature */
      if (sqlite3_column_bytes(txs, 3) != SY_HASH_LEN) {
        bad(r, h, "transaction %zu has a damaged id", i);
        goto done;
      }
      memcpy(ids[i], sqlite3_column_blob(txs, 3), SY_HASH_LEN);
      i++;
    }
    if (i != vb.n) {
      bad(r, h, "block header says %zu transactions, %zu are stored", vb.n, i);
      goto done;
    }
    /* Genesis: the replay ledger is born from block 0's own payload. */
    if (h == 0) {
      sy_tx gtx;
      if (sy_tx_decode(&gtx, vb.raws[0], vb.txs[0].len) != SY_OK || gtx.type != SY_TX_GENESIS) {
        bad(r, 0, "block 0 does not hold a genesis transaction");
        goto done;
      }
      /* The replay holds a whole second ledger: in memory that was the
       * ledger's size in RSS (1.35 GB for 600k events; a 10M-event ledger
       * would not fit in this machine's 23 GiB). A scratch file beside the
       * ledger (else in $TMPDIR), removed at the end, keeps RSS to caches. */
      if (scratch_path(path, scratch, sizeof scratch) != SY_OK) {
        snprintf(r->what, sizeof r->what,
                 "cannot create a scratch file for the replay beside the ledger or in $TMPDIR");
        r->ok = 0;
        rc = SY_EIO;
        vblock_free(&vb);
        goto out;
      }
      sy_ledger_opts lo = {.path = scratch, .genesis = gtx.payload,
                           .genesis_len = gtx.payload_len, .scratch = 1};
      char err[256];
      if (sy_ledger_open(&rl, &lo, err, sizeof err) != SY_OK) {
        bad(r, 0, "genesis does not apply: %s", err);
        goto done;
      }
      suite = rl->suite;
    }
    /* Stored ids must be the hashes of the stored bytes. */
    for (size_t k = 0; k < vb.n; k++) {
      uint8_t id[SY_HASH_LEN];
      sy_slice s = {vb.txs[k].raw, vb.txs[k].len};
      suite->hash(&s, 1, id);
      if (memcmp(id, ids[k], SY_HASH_LEN) != 0) {
        bad(r, h, "transaction %zu: stored bytes do not match its id (altered)", k);
        goto done;
      }
    }
    uint8_t hh[SY_HASH_LEN];
    sy_block_hash(&vb.hdr, suite->hash, hh);
    if (memcmp(hh, vb.hash, SY_HASH_LEN) != 0) {
      bad(r, h, "block hash does not match its header (header altered)");
      goto done;
    }
    if (memcmp(vb.hdr.prev_hash, prev_hash, SY_HASH_LEN) != 0) {
      bad(r, h, "previous-hash link is broken (chain altered before this block)");
      goto done;
    }
    uint8_t root[SY_HASH_LEN];
    if ((rc = sy_merkle_root((const uint8_t(*)[SY_HASH_LEN])ids, vb.n, suite->hash, root)))
      goto out;
    if (memcmp(root, vb.hdr.tx_root, SY_HASH_LEN) != 0) {
      bad(r, h, "Merkle root does not match the stored transactions");
      goto done;
    }
    uint8_t fb[2 * SY_BLOCK_MAX_TXS], fh[SY_HASH_LEN];
    sy_block_flags_encode(vb.flags, vb.n, fb);
    sy_block_flags_hash(fb, 2 * vb.n, suite->hash, fh);
    if (memcmp(fh, vb.hdr.flags_hash, SY_HASH_LEN) != 0) {
      bad(r, h, "validity flags do not match the header's flags hash");
      goto done;
    }
    /* Replay (block 0 was replayed by opening the replay ledger). */
    sy_tip rt;
    if (h > 0) {
      sy_batch b = {.txs = vb.txs, .n = vb.n, .timestamp_ms = vb.hdr.timestamp_ms};
      memcpy(b.proposer, vb.hdr.proposer, SY_KEYID_LEN);
      sy_commit_info ci;
      int arc = sy_ledger_append(rl, &b, replay_flags, &ci);
      if (arc) {
        snprintf(r->what, sizeof r->what, "replay failed at height %llu: %s",
                 (unsigned long long)h, sy_strerror(arc));
        r->ok = 0;
        r->bad_height = h;
        rc = arc;
        goto out;
      }
      for (size_t k = 0; k < vb.n; k++) {
        if (replay_flags[k] != vb.flags[k]) {
          bad(r, h, "transaction %zu is stored as %s but replays as %s", k,
              sy_reason_token(vb.flags[k]), sy_reason_token(replay_flags[k]));
          goto done;
        }
      }
    }
    sy_ledger_tip(rl, &rt);
    if (memcmp(rt.results_hash, vb.hdr.results_hash, SY_HASH_LEN) != 0) {
      bad(r, h, "results hash differs from replay (state diverged)");
      goto done;
    }
    if (memcmp(rt.hash, vb.hash, SY_HASH_LEN) != 0) {
      bad(r, h, "block differs from its replay");
      goto done;
    }
    /* Seals: each attestation must verify under a node registered here. */
    sqlite3_reset(atts);
    sqlite3_bind_int64(atts, 1, (sqlite3_int64)h);
    while ((src = sqlite3_step(atts)) == SQLITE_ROW) {
      uint8_t pk[SY_PK_MAX], msg[4 + 8 + 64];
      size_t pk_len = 0;
      char hex[2 * SY_KEYID_LEN + 1];
      if (sqlite3_column_bytes(atts, 0) != SY_KEYID_LEN) {
        bad(r, h, "attestation with a damaged node id");
        goto done;
      }
      sy_hex_encode(hex, sqlite3_column_blob(atts, 0), SY_KEYID_LEN);
      if (node_pk(rl, sqlite3_column_blob(atts, 0), pk, &pk_len) != SY_OK) {
        bad(r, h, "attestation by node %s, which is not registered", hex);
        goto done;
      }
      sy_attestation_msg(h, vb.hash, vb.hdr.results_hash, msg);
      if (!suite->verify(sqlite3_column_blob(atts, 1), (size_t)sqlite3_column_bytes(atts, 1), msg,
                         sizeof msg, pk, pk_len)) {
        bad(r, h, "attestation by node %s does not verify", hex);
        goto done;
      }
    }
    memcpy(prev_hash, vb.hash, SY_HASH_LEN);
    r->blocks++;
    r->txs += vb.n;
    expect = h + 1;
    if (progress && r->blocks % 1000 == 0) progress(ctx, r->blocks, total);
  }
  if (src != SQLITE_DONE) {
    snprintf(r->what, sizeof r->what, "read failed: %s", sqlite3_errmsg(db));
    r->ok = 0;
    r->bad_height = expect;
    goto done;
  }
  if (r->blocks == 0) {
    bad(r, 0, "the ledger has no blocks");
    goto done;
  }
  if (have_tip && stored_tip != expect - 1) {
    bad(r, expect, "the ledger's recorded tip is height %llu but the chain ends at %llu "
                   "(blocks removed from the end)",
        (unsigned long long)stored_tip, (unsigned long long)(expect - 1));
    goto done;
  }
  for (size_t k = 0; k < sizeof STATE_TABLES / sizeof STATE_TABLES[0]; k++) {
    uint8_t a[SY_HASH_LEN], b[SY_HASH_LEN];
    uint64_t na = 0, nb = 0;
    int da = table_digest(db, STATE_TABLES[k].sql, suite, a, &na);
    int dbr = table_digest(rl->db, STATE_TABLES[k].sql, suite, b, &nb);
    if (dbr) {
      rc = dbr;
      goto out;
    }
    if (da && k >= STATE_TABLES_OPTIONAL_FROM && nb == 0 && !table_exists(db, STATE_TABLES[k].name))
      continue;
    if (da || na != nb || memcmp(a, b, SY_HASH_LEN) != 0) {
      bad(r, expect - 1, "state table '%s' differs from the replayed chain (%llu rows stored, "
                         "%llu replayed): state edited outside the chain",
          STATE_TABLES[k].name, (unsigned long long)na, (unsigned long long)nb);
      goto done;
    }
  }
  if (stored_txs != r->txs) {
    bad(r, expect, "%llu transactions are stored outside any block",
        (unsigned long long)(stored_txs - r->txs));
    goto done;
  }
done:
  rc = SY_OK;
  vblock_free(&vb);
  if (progress) progress(ctx, r->blocks, total);
out:
  free(replay_flags);
  free(ids);
  sqlite3_finalize(blocks);
  sqlite3_finalize(txs);
  sqlite3_finalize(atts);
  sqlite3_finalize(meta);
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(db);
  sy_ledger_close(rl);
  if (scratch[0]) unlink(scratch);
  return rc;
}
