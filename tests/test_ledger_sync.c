/* Catch-up between nodes (SPEC M8b, M5a; groundwork for issue #4): a block
 * exported by one node in the exchange format applies on another only if it
 * replays to the same hash; attestations of other nodes are checked against
 * our own block before they are stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"
#include "testutil.h"

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  const sy_suite *S = sy_suite_default();
  sy_key *admin, *na, *nb, *rec, *stranger;
  sy_key_generate(S, &admin);
  sy_key_generate(S, &na);
  sy_key_generate(S, &nb);
  sy_key_generate(S, &rec);
  sy_key_generate(S, &stranger);
  char a[65], ka[65], kb[65], r[65], g[2048];
  pkhex(admin, a);
  pkhex(na, ka);
  pkhex(nb, kb);
  pkhex(rec, r);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"sync\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"O\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"o\",\"public_key\":\"%s\"},{\"org\":\"o\",\"public_key\":\"%s\"}]}",
           a, ka, kb);
  const char *dir = sy_test_dir("sync");
  char pa[600], pb[600], err[256];
  snprintf(pa, sizeof pa, "%s/a.db", dir);
  snprintf(pb, sizeof pb, "%s/b.db", dir);
  sy_ledger *A = NULL, *B = NULL;
  sy_ledger_opts oa = {.path = pa, .genesis = (const uint8_t *)g, .genesis_len = strlen(g), .node_key = na};
  sy_ledger_opts ob = {.path = pb, .genesis = (const uint8_t *)g, .genesis_len = strlen(g), .node_key = nb};
  CHECK_EQ(sy_ledger_open(&A, &oa, err, sizeof err), SY_OK);
  CHECK_EQ(sy_ledger_open(&B, &ob, err, sizeof err), SY_OK);
  if (!A || !B) return sy_test_done("test_ledger_sync");

  /* Node A orders three blocks. */
  char p[256];
  snprintf(p, sizeof p, "{\"org\":\"o\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  for (int h = 1; h <= 3; h++) {
    sy_buf t1 = {0}, t2 = {0};
    if (h == 1)
      sy_key_sign_tx(admin, &t1, SY_TX_MEMBER_ADD, "sync", 10, 1, (const uint8_t *)p, strlen(p));
    else
      sy_key_sign_tx(rec, &t1, SY_TX_RECORD, "sync", 10, (uint64_t)h, (const uint8_t *)"{}", 2);
    sy_key_sign_tx(stranger, &t2, SY_TX_RECORD, "sync", 10, (uint64_t)h, (const uint8_t *)"{}", 2);
    sy_batch_tx bt[2] = {{t1.p, t1.len, 0, NULL}, {t2.p, t2.len, 0, NULL}};
    sy_batch b = {.txs = bt, .n = 2, .timestamp_ms = 100 + (uint64_t)h, .position = 40 + (uint64_t)h};
    memcpy(b.proposer, sy_key_id_of(na), SY_KEYID_LEN);
    uint16_t f[2];
    sy_commit_info ci;
    CHECK_EQ(sy_ledger_append(A, &b, f, &ci), SY_OK);
    CHECK_EQ(f[0], SY_R_VALID);
    CHECK_EQ(f[1], SY_R_UNKNOWN_SIGNER);
    sy_buf_free(&t1);
    sy_buf_free(&t2);
  }

  /* B catches up from A's exported blocks. */
  for (uint64_t h = 1; h <= 3; h++) {
    sy_buf raw = {0};
    CHECK_EQ(sy_ledger_block_raw(A, h, &raw), SY_OK);
    sy_block_raw br;
    CHECK_EQ(sy_block_raw_decode(&br, raw.p, raw.len), SY_OK);
    CHECK_EQ(br.position, 40 + h);
    CHECK_EQ(br.n_att, 1);
    sy_batch_tx bt[2];
    for (size_t i = 0; i < br.n; i++) bt[i] = (sy_batch_tx){br.txs[i], br.lens[i], 0, NULL};
    sy_batch b = {.txs = bt, .n = br.n, .timestamp_ms = br.hdr.timestamp_ms, .position = br.position};
    memcpy(b.proposer, br.hdr.proposer, SY_KEYID_LEN);
    uint8_t expect[SY_HASH_LEN];
    sy_block_hash(&br.hdr, S->hash, expect);
    uint16_t f[2];
    sy_commit_info ci;
    if (h == 2) {
      /* A block whose transaction was altered in transit does not apply. */
      uint8_t *evil = malloc(br.lens[0]);
      memcpy(evil, br.txs[0], br.lens[0]);
      evil[br.lens[0] - 3] ^= 1;
      sy_batch_tx ebt[2] = {{evil, br.lens[0], 0, NULL}, bt[1]};
      sy_batch eb = b;
      eb.txs = ebt;
      sy_tip before, after;
      sy_ledger_tip(B, &before);
      CHECK_EQ(sy_ledger_append_expect(B, &eb, expect, f, &ci), SY_EDIVERGED);
      sy_ledger_tip(B, &after);
      CHECK_EQ(after.height, before.height);
      CHECK(memcmp(after.hash, before.hash, SY_HASH_LEN) == 0);
      free(evil);
    }
    CHECK_EQ(sy_ledger_append_expect(B, &b, expect, f, &ci), SY_OK);
    CHECK_EQ(ci.height, h);
    /* A's seal, carried in the raw block, is accepted by B. */
    const uint8_t *att = br.att;
    int matches = -1;
    CHECK_EQ(sy_ledger_add_attestation(B, h, att, att + SY_KEYID_LEN + 1, att[SY_KEYID_LEN], &matches),
             SY_OK);
    CHECK_EQ(matches, 1);
    /* Replaying the same position again is a no-op. */
    CHECK_EQ(sy_ledger_append_expect(B, &b, expect, f, &ci), SY_OK);
    CHECK_EQ(ci.skipped, 1);
    sy_block_raw_free(&br);
    sy_buf_free(&raw);
  }
  sy_tip ta, tb;
  sy_ledger_tip(A, &ta);
  sy_ledger_tip(B, &tb);
  CHECK_EQ(tb.height, 3);
  CHECK_EQ(tb.position, 43);
  CHECK(memcmp(ta.hash, tb.hash, SY_HASH_LEN) == 0);
  CHECK(memcmp(ta.results_hash, tb.results_hash, SY_HASH_LEN) == 0);
  sy_block_info bi;
  CHECK_EQ(sy_ledger_get_block(B, 3, &bi), SY_OK);
  CHECK_EQ(bi.natt, 2); /* B's own seal and A's attestation */
  sy_block_info_free(&bi);

  /* Attestations that must be refused. */
  uint8_t sig[64] = {0}, msg[4 + 8 + 64];
  size_t sl;
  int m = -1;
  CHECK_EQ(sy_ledger_add_attestation(B, 2, sy_key_id_of(na), sig, 64, &m), SY_EBADSIG);
  CHECK_EQ(m, 0);
  uint8_t other[SY_HASH_LEN] = {1};
  sy_attestation_msg(2, other, other, msg); /* A claims a different block 2 */
  sy_key_sign(na, msg, sizeof msg, sig, &sl);
  CHECK_EQ(sy_ledger_add_attestation(B, 2, sy_key_id_of(na), sig, sl, &m), SY_EBADSIG);
  CHECK_EQ(sy_ledger_add_attestation(B, 2, sy_key_id_of(stranger), sig, sl, &m), SY_EPERM);
  CHECK_EQ(sy_ledger_add_attestation(B, 9, sy_key_id_of(na), sig, sl, &m), SY_ENOTFOUND);

  /* Malformed raw blocks. */
  sy_buf raw = {0};
  CHECK_EQ(sy_ledger_block_raw(A, 1, &raw), SY_OK);
  sy_block_raw br;
  for (size_t cut = 0; cut < raw.len; cut += 7) CHECK_EQ(sy_block_raw_decode(&br, raw.p, cut), SY_EMALFORMED);
  CHECK_EQ(sy_ledger_block_raw(A, 99, &raw), SY_ENOTFOUND);
  sy_buf_free(&raw);
  sy_ledger_close(A);
  sy_ledger_close(B);
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(pb, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  if (!vr.ok) fprintf(stderr, "verify: %s\n", vr.what);
  sy_key_free(admin);
  sy_key_free(na);
  sy_key_free(nb);
  sy_key_free(rec);
  sy_key_free(stranger);
  return sy_test_done("test_ledger_sync");
}
