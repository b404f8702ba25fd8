/* Ledger: genesis, deterministic apply with reasons (SPEC M1, M8c),
 * idempotency, persistence, queries with Merkle proofs, and verify's
 * tamper detection (SPEC G2). Real SQLite files in a temp directory. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/merkle.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"
#include "testutil.h"

static sy_key *admin, *node, *admin2, *rec, *aud, *stranger;
static char genesis[4096];
static const sy_suite *S;

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

static void make_genesis(void) {
  char a[65], n[65], a2[65];
  pkhex(admin, a);
  pkhex(node, n);
  pkhex(admin2, a2);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"testchain\",\"suite\":\"ed25519-sha256\",\"created_ms\":1764100000000,"
           "\"orgs\":[{\"id\":\"org1\",\"name\":\"Org One\",\"admins\":[{\"name\":\"a\",\"public_key\":\"%s\"}]},"
           "{\"id\":\"org2\",\"name\":\"Org Two\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"org1\",\"public_key\":\"%s\",\"address\":\"http://127.0.0.1:7420\"}]}",
           a, a2, n);
}

/* Signed tx into a fresh heap buffer (caller frees). */
typedef struct txb {
  uint8_t *p;
  size_t len;
} txb;

static txb mk(const sy_key *k, int type, const char *chain, uint64_t nonce, const char *payload) {
  sy_buf b = {0};
  int rc = sy_key_sign_tx(k, &b, (uint8_t)type, chain, 1764100001000ull + nonce, nonce,
                          (const uint8_t *)payload, strlen(payload));
  CHECK_EQ(rc, SY_OK);
  txb t;
  t.p = sy_buf_take(&b, &t.len);
  return t;
}

static char member_add_json[512];
static const char *member_add(const char *org, const sy_key *k, const char *roles) {
  char h[65];
  pkhex(k, h);
  snprintf(member_add_json, sizeof member_add_json,
           "{\"org\":\"%s\",\"public_key\":\"%s\",\"roles\":[%s],\"name\":\"m\"}", org, h, roles);
  return member_add_json;
}

/* Appends txs as one block; flags out. */
static int append(sy_ledger *l, txb *t, size_t n, uint16_t *flags, uint64_t position) {
  sy_batch_tx bt[32];
  for (size_t i = 0; i < n; i++) {
    bt[i].raw = t[i].p;
    bt[i].len = t[i].len;
    bt[i].sig_checked = 0;
    bt[i].prep = NULL;
  }
  sy_batch b = {.txs = bt, .n = n, .timestamp_ms = 1764100002000ull, .position = position};
  memcpy(b.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  sy_commit_info ci;
  return sy_ledger_append(l, &b, flags, &ci);
}

static sy_ledger *open_ledger(const char *path, int with_genesis, int *rc_out) {
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path, .node_key = node};
  if (with_genesis) {
    o.genesis = (const uint8_t *)genesis;
    o.genesis_len = strlen(genesis);
  }
  char err[256] = "";
  int rc = sy_ledger_open(&l, &o, err, sizeof err);
  if (rc_out) *rc_out = rc;
  if (rc && !rc_out) fprintf(stderr, "open: %s\n", err);
  return l;
}

static int exec_sql(const char *path, const char *sql) {
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc) fprintf(stderr, "sql: %s\n", msg);
  sqlite3_free(msg);
  sqlite3_close(db);
  return rc;
}

static void copy_file(const char *from, const char *to) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  CHECK_EQ(system(cmd), 0);
}

/* Builds a chain with every kind of invalid transaction in it. */
static void build_chain(sy_ledger *l, sy_ledger *mirror) {
  uint16_t f[32];
  txb t[16];
  size_t n = 0;
  /* block 1: governance */
  t[n++] = mk(admin, SY_TX_MEMBER_ADD, "testchain", 1, member_add("org1", rec, "\"recorder\""));
  t[n++] = mk(admin, SY_TX_MEMBER_ADD, "testchain", 2, member_add("org1", aud, "\"auditor\""));
  t[n++] = mk(admin, SY_TX_MEMBER_ADD, "testchain", 3, member_add("org2", stranger, "\"recorder\""));
  t[n++] = mk(admin, SY_TX_MEMBER_ADD, "testchain", 4, member_add("org1", stranger, "\"boss\""));
  CHECK_EQ(append(l, t, n, f, 0), SY_OK);
  if (mirror) CHECK_EQ(append(mirror, t, n, f, 0), SY_OK);
  CHECK_EQ(f[0], SY_R_VALID);
  CHECK_EQ(f[1], SY_R_VALID);
  CHECK_EQ(f[2], SY_R_OTHER_ORG);
  CHECK_EQ(f[3], SY_R_MALFORMED_PAYLOAD);
  for (size_t i = 0; i < n; i++) free(t[i].p);

  /* block 2: records and every refusal */
  n = 0;
  t[n++] = mk(rec, SY_TX_RECORD, "testchain", 1, "{\"event\":\"commissioning\",\"lot\":\"L1\"}");
  t[n++] = mk(stranger, SY_TX_RECORD, "testchain", 1, "{\"x\":1}");
  t[n++] = mk(aud, SY_TX_RECORD, "testchain", 1, "{\"x\":2}");
  t[n++] = mk(rec, SY_TX_MEMBER_ADD, "testchain", 2, member_add("org1", stranger, "\"recorder\""));
  t[n++] = mk(rec, SY_TX_RECORD, "otherchain", 3, "{\"x\":3}");
  t[n++] = mk(rec, SY_TX_RECORD, "testchain", 1, "{\"replay\":true}");
  t[n] = mk(rec, SY_TX_RECORD, "testchain", 4, "{\"x\":4}");
  t[n].p[t[n].len - 5] ^= 1; /* flip a signature bit */
  n++;
  t[n].len = t[0].len;
  t[n].p = malloc(t[0].len);
  memcpy(t[n].p, t[0].p, t[0].len); /* exact duplicate */
  n++;
  t[n].p = malloc(5);
  memcpy(t[n].p, "junk!", 5);
  t[n].len = 5;
  n++;
  t[n++] = mk(rec, SY_TX_RECORD, "testchain", 5, "not json");
  t[n++] = mk(rec, 99, "testchain", 6, "{}");
  CHECK_EQ(append(l, t, n, f, 0), SY_OK);
  if (mirror) CHECK_EQ(append(mirror, t, n, f, 0), SY_OK);
  CHECK_EQ(f[0], SY_R_VALID);
  CHECK_EQ(f[1], SY_R_UNKNOWN_SIGNER);
  CHECK_EQ(f[2], SY_R_ROLE_DENIED);
  CHECK_EQ(f[3], SY_R_ROLE_DENIED);
  CHECK_EQ(f[4], SY_R_WRONG_CHAIN);
  CHECK_EQ(f[5], SY_R_REPLAYED_NONCE);
  CHECK_EQ(f[6], SY_R_BAD_SIGNATURE);
  CHECK_EQ(f[7], SY_R_DUPLICATE_TX);
  CHECK_EQ(f[8], SY_R_MALFORMED_TX);
  CHECK_EQ(f[9], SY_R_MALFORMED_PAYLOAD);
  CHECK_EQ(f[10], SY_R_UNKNOWN_TYPE);
  for (size_t i = 0; i < n; i++) free(t[i].p);

  /* block 3: revoke, then the revoked member tries */
  char p[128], h[33];
  sy_hex_encode(h, sy_key_id_of(rec), SY_KEYID_LEN);
  snprintf(p, sizeof p, "{\"key_id\":\"%s\"}", h);
  n = 0;
  t[n++] = mk(admin2, SY_TX_MEMBER_REVOKE, "testchain", 1, p);
  t[n++] = mk(admin, SY_TX_MEMBER_REVOKE, "testchain", 5, p);
  t[n++] = mk(rec, SY_TX_RECORD, "testchain", 9, "{\"after\":\"revoke\"}");
  t[n++] = mk(admin, SY_TX_MEMBER_REVOKE, "testchain", 6, p);
  CHECK_EQ(append(l, t, n, f, 0), SY_OK);
  if (mirror) CHECK_EQ(append(mirror, t, n, f, 0), SY_OK);
  CHECK_EQ(f[0], SY_R_OTHER_ORG);
  CHECK_EQ(f[1], SY_R_VALID);
  CHECK_EQ(f[2], SY_R_REVOKED_SIGNER);
  CHECK_EQ(f[3], SY_R_NOT_FOUND);
  for (size_t i = 0; i < n; i++) free(t[i].p);
}

static void expect_bad(const char *path, uint64_t height, const char *label) {
  sy_verify_report r;
  CHECK_EQ(sy_ledger_verify(path, &r, NULL, NULL), SY_OK);
  CHECK_EQ(r.ok, 0);
  CHECK_EQ(r.bad_height, height);
  fprintf(stderr, "  tamper %-28s -> height %llu: %s\n", label, (unsigned long long)r.bad_height,
          r.what);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  S = sy_suite_default();
  sy_key **keys[] = {&admin, &node, &admin2, &rec, &aud, &stranger};
  for (size_t i = 0; i < 6; i++) CHECK_EQ(sy_key_generate(S, keys[i]), SY_OK);
  make_genesis();
  const char *dir = sy_test_dir("ledger");
  CHECK(dir != NULL);
  char path[600], path2[600], tp[600];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  snprintf(path2, sizeof path2, "%s/mirror.db", dir);

  /* genesis checks */
  char err[256];
  sy_genesis_info gi;
  CHECK_EQ(sy_genesis_check((const uint8_t *)genesis, strlen(genesis), &gi, err, sizeof err), SY_OK);
  CHECK(strcmp(gi.chain_id, "testchain") == 0);
  const char *badg = "{\"chain_id\":\"a b\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,\"orgs\":[]}";
  CHECK_EQ(sy_genesis_check((const uint8_t *)badg, strlen(badg), &gi, err, sizeof err), SY_EMALFORMED);
  CHECK(strstr(err, "chain_id") != NULL);

  sy_ledger *l = open_ledger(path, 1, NULL);
  sy_ledger *m = open_ledger(path2, 1, NULL);
  CHECK(l && m);
  if (!l || !m) return sy_test_done("test_ledger");
  CHECK(strcmp(sy_ledger_chain_id(l), "testchain") == 0);
  sy_ledger_counts c0;
  CHECK_EQ(sy_ledger_counts_get(l, &c0), SY_OK);
  CHECK_EQ(c0.orgs, 2);
  CHECK_EQ(c0.members, 2);
  CHECK_EQ(c0.nodes, 1);

  build_chain(l, m);
  sy_tip t1, t2;
  sy_ledger_tip(l, &t1);
  sy_ledger_tip(m, &t2);
  CHECK_EQ(t1.height, 3);
  /* Determinism: two ledgers fed the same batches agree bit for bit. */
  CHECK(memcmp(t1.hash, t2.hash, SY_HASH_LEN) == 0);
  CHECK(memcmp(t1.results_hash, t2.results_hash, SY_HASH_LEN) == 0);
  CHECK_EQ(t1.tx_count, 1 + 4 + 11 + 4);
  CHECK_EQ(t1.valid_tx_count, 1 + 2 + 1 + 1);

  /* Invalid transactions changed nothing: 2 genesis admins + rec + aud. */
  sy_ledger_counts c1;
  sy_ledger_counts_get(l, &c1);
  CHECK_EQ(c1.members, 4);
  CHECK_EQ(c1.active_members, 3);
  sy_member mm;
  CHECK_EQ(sy_ledger_get_member(l, sy_key_id_of(stranger), &mm), SY_ENOTFOUND);
  CHECK_EQ(sy_ledger_get_member(l, sy_key_id_of(rec), &mm), SY_OK);
  CHECK_EQ(mm.revoked, 1);
  CHECK_EQ(mm.revoked_height, 3);
  CHECK_EQ(mm.roles, SY_ROLE_RECORDER);

  /* Admission: known signer with a bad signature is refused; wrong chain. */
  txb good = mk(aud, SY_TX_RECORD, "testchain", 77, "{\"a\":1}");
  sy_tx tx;
  uint8_t id[SY_HASH_LEN];
  int sc = 0;
  CHECK_EQ(sy_ledger_admit(l, good.p, good.len, 65536, &tx, id, &sc), SY_OK);
  CHECK_EQ(sc, 1);
  CHECK_EQ(sy_ledger_admit(l, good.p, good.len, 10, &tx, id, &sc), SY_ETOOBIG);
  CHECK_EQ(sy_ledger_admit(l, good.p, good.len - 1, 65536, &tx, id, &sc), SY_EMALFORMED);
  good.p[good.len - 1] ^= 0x80;
  CHECK_EQ(sy_ledger_admit(l, good.p, good.len, 65536, &tx, id, &sc), SY_EBADSIG);
  free(good.p);
  txb other = mk(aud, SY_TX_RECORD, "otherchain", 78, "{}");
  CHECK_EQ(sy_ledger_admit(l, other.p, other.len, 65536, &tx, id, &sc), SY_EWRONGCHAIN);
  free(other.p);
  txb unk = mk(stranger, SY_TX_RECORD, "testchain", 79, "{}");
  CHECK_EQ(sy_ledger_admit(l, unk.p, unk.len, 65536, &tx, id, &sc), SY_OK);
  CHECK_EQ(sc, 0); /* unknown signer: left for apply to record as invalid */
  free(unk.p);

  /* Query: a committed tx with a Merkle proof that verifies. */
  sy_block_info bi;
  CHECK_EQ(sy_ledger_get_block(l, 2, &bi), SY_OK);
  CHECK_EQ(bi.hdr.tx_count, 11);
  CHECK_EQ(bi.natt, 1);
  CHECK_EQ(bi.flags[1], SY_R_UNKNOWN_SIGNER);
  sy_tx_info ti;
  CHECK_EQ(sy_ledger_get_tx(l, bi.tx_ids[5], &ti), SY_OK);
  CHECK_EQ(ti.height, 2);
  CHECK_EQ(ti.index, 5);
  CHECK_EQ(ti.reason, SY_R_REPLAYED_NONCE);
  CHECK(sy_merkle_verify(ti.id, ti.index, ti.block.tx_count,
                         (const uint8_t(*)[SY_HASH_LEN])ti.proof, ti.proof_len, S->hash,
                         ti.block.tx_root));
  sy_tx_info_free(&ti);
  /* the duplicate at index 7 resolves to the first (valid) occurrence */
  CHECK_EQ(sy_ledger_get_tx(l, bi.tx_ids[7], &ti), SY_OK);
  CHECK_EQ(ti.index, 0);
  CHECK_EQ(ti.reason, SY_R_VALID);
  sy_tx_info_free(&ti);
  sy_block_info_free(&bi);
  CHECK_EQ(sy_ledger_get_block(l, 4, &bi), SY_ENOTFOUND);
  uint8_t zero[SY_HASH_LEN] = {0};
  CHECK_EQ(sy_ledger_get_tx(l, zero, &ti), SY_ENOTFOUND);

  /* SPEC M8: a batch ordered by an unregistered node changes nothing. */
  {
    sy_key *rogue = NULL;
    CHECK_EQ(sy_key_generate(S, &rogue), SY_OK);
    txb rt = mk(aud, SY_TX_RECORD, "testchain", 500, "{}");
    sy_batch_tx bt = {rt.p, rt.len, 0, NULL};
    sy_batch b = {.txs = &bt, .n = 1, .timestamp_ms = 1764100003000ull};
    memcpy(b.proposer, sy_key_id_of(rogue), SY_KEYID_LEN);
    uint16_t fl = 0;
    sy_commit_info ci;
    CHECK_EQ(sy_ledger_append(l, &b, &fl, &ci), SY_OK);
    CHECK_EQ(fl, SY_R_UNREGISTERED_PROPOSER);
    /* node.add by the org admin registers it; then its batches count. */
    char pk[65], np[256];
    pkhex(rogue, pk);
    snprintf(np, sizeof np, "{\"org\":\"org1\",\"public_key\":\"%s\",\"address\":\"http://127.0.0.1:1\"}", pk);
    txb na = mk(admin, SY_TX_NODE_ADD, "testchain", 501, np);
    uint16_t f2[1];
    CHECK_EQ(append(l, &na, 1, f2, 0), SY_OK);
    CHECK_EQ(f2[0], SY_R_VALID);
    CHECK_EQ(sy_ledger_append(l, &b, &fl, &ci), SY_OK);
    CHECK_EQ(fl, SY_R_DUPLICATE_TX); /* same bytes: recorded once already */
    txb rt2 = mk(aud, SY_TX_RECORD, "testchain", 502, "{}");
    bt.raw = rt2.p;
    bt.len = rt2.len;
    CHECK_EQ(sy_ledger_append(l, &b, &fl, &ci), SY_OK);
    CHECK_EQ(fl, SY_R_ROLE_DENIED); /* ordered by a registered node now: judged on its merits */
    char kid[33], rp[128];
    sy_hex_encode(kid, sy_key_id_of(rogue), SY_KEYID_LEN);
    snprintf(rp, sizeof rp, "{\"key_id\":\"%s\"}", kid);
    txb nr = mk(admin, SY_TX_NODE_REMOVE, "testchain", 503, rp);
    CHECK_EQ(append(l, &nr, 1, f2, 0), SY_OK);
    CHECK_EQ(f2[0], SY_R_VALID);
    txb rt3 = mk(aud, SY_TX_RECORD, "testchain", 504, "{}");
    bt.raw = rt3.p;
    bt.len = rt3.len;
    CHECK_EQ(sy_ledger_append(l, &b, &fl, &ci), SY_OK);
    CHECK_EQ(fl, SY_R_UNREGISTERED_PROPOSER);
    free(rt.p);
    free(rt2.p);
    free(rt3.p);
    free(na.p);
    free(nr.p);
    sy_key_free(rogue);
  }
  sy_ledger_tip(l, &t1);
  uint64_t base = t1.height;
  CHECK_EQ(base, 9); /* the tamper cases below name heights of this chain */

  /* Idempotency: a batch at an applied position is a no-op. */
  uint16_t f[4];
  txb r2 = mk(aud, SY_TX_RECORD, "testchain", 90, "{}");
  CHECK_EQ(append(l, &r2, 1, f, 10), SY_OK);
  sy_ledger_tip(l, &t1);
  CHECK_EQ(t1.height, base + 1);
  CHECK_EQ(t1.position, 10);
  CHECK_EQ(append(l, &r2, 1, f, 10), SY_OK);
  CHECK_EQ(append(l, &r2, 1, f, 9), SY_OK);
  sy_ledger_tip(l, &t1);
  CHECK_EQ(t1.height, base + 1);
  free(r2.p);
  sy_ledger_close(m);
  sy_ledger_close(l);

  /* Persistence: reopen sees the same tip and position; wrong genesis refused. */
  l = open_ledger(path, 1, NULL);
  CHECK(l != NULL);
  if (l) {
    /* A transaction committed before the restart is still refused at admission. */
    txb again = mk(aud, SY_TX_RECORD, "testchain", 90, "{}");
    CHECK_EQ(sy_ledger_admit(l, again.p, again.len, 65536, &tx, id, &sc), SY_EEXIST);
    free(again.p);
    sy_ledger_tip(l, &t2);
    CHECK_EQ(t2.height, base + 1);
    CHECK_EQ(t2.position, 10);
    CHECK(memcmp(t1.hash, t2.hash, SY_HASH_LEN) == 0);
    sy_ledger_close(l);
  }
  char saved[4096];
  memcpy(saved, genesis, sizeof saved);
  genesis[strlen(genesis) - 1] = ' ';
  strcat(genesis, "}");
  int orc;
  l = open_ledger(path, 1, &orc);
  CHECK(l == NULL);
  CHECK_EQ(orc, SY_EWRONGCHAIN);
  memcpy(genesis, saved, sizeof saved);

  /* verify: clean chain passes */
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(path, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  CHECK_EQ(vr.blocks, base + 2);
  if (!vr.ok) fprintf(stderr, "verify: %s\n", vr.what);

  /* Tampering, each on a fresh copy; verify names the height. */
  snprintf(tp, sizeof tp, "%s/tamper.db", dir);
  struct {
    const char *label, *sql;
    uint64_t height;
  } cases[] = {
      {"edit one byte of a tx", "UPDATE txs SET raw = substr(raw,1,60) || x'ff' || substr(raw,62) "
                                "WHERE height=2 AND idx=0", 2},
      {"edit tx bytes and its id",
       "UPDATE txs SET raw = substr(raw,1,60) || x'ff' || substr(raw,62), id = x'00' WHERE height=2 AND idx=0", 2},
      {"delete a block row", "DELETE FROM blocks WHERE height=2", 2},
      {"delete the last block", "DELETE FROM txs WHERE height=10; DELETE FROM blocks WHERE height=10", 10},
      {"swap two blocks",
       "UPDATE blocks SET height=-1 WHERE height=1; UPDATE blocks SET height=1 WHERE height=3;"
       "UPDATE blocks SET height=3 WHERE height=-1", 1},
      {"flip a validity flag",
       "UPDATE blocks SET flags = substr(flags,1,2) || x'0000' || substr(flags,5) WHERE height=2", 2},
      {"delete a tx row", "DELETE FROM txs WHERE height=2 AND idx=3", 2},
      {"forge an attestation", "UPDATE attestations SET sig = zeroblob(64) WHERE height=3", 3},
      {"grant a role in state", "UPDATE members SET roles=63", 10},
      {"forget a used nonce", "DELETE FROM nonces WHERE nonce=1", 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    copy_file(path, tp);
    CHECK_EQ(exec_sql(tp, cases[i].sql), 0);
    expect_bad(tp, cases[i].height, cases[i].label);
  }
  return sy_test_done("test_ledger");
}
