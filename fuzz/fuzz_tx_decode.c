/* Transaction envelopes (docs/format.md): sy_tx_decode on hostile bytes.
 *
 * Invariants, beyond memory safety:
 *   - only SY_OK, SY_EMALFORMED or SY_ETOOBIG come back;
 *   - a decoded tx borrows from the input: every pointer and length lies
 *     inside it and body, sig and payload are where the format puts them;
 *   - re-encoding the decoded fields (sy_tx_encode_body + sy_tx_encode)
 *     gives back the input byte for byte, so the id sy_tx_id computes is
 *     the hash of exactly what was decoded (the ledger never re-serialises);
 *   - the envelope minus its last byte, or plus one byte, does not decode
 *     (no truncated or trailing data accepted). */
#include "core/sy_error.h"
#include "core/tx.h"
#include "crypto/suite.h"
#include "fuzz_common.h"

static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len) {
  if (n == 0) return 1; /* a zero-length slice may point anywhere in range */
  return p && p >= base && n <= len && (size_t)(p - base) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    FUZZ_CHECK(sy_crypto_init() == SY_OK);
    ready = 1;
  }
  sy_tx tx;
  int rc = sy_tx_decode(&tx, data, size);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED || rc == SY_ETOOBIG);
  if (rc != SY_OK) return 0;

  FUZZ_CHECK(tx.raw == data && tx.raw_len == size);
  FUZZ_CHECK(inside(tx.body, tx.body_len, data, size));
  FUZZ_CHECK(inside(tx.sig, tx.sig_len, data, size));
  FUZZ_CHECK(inside(tx.chain_id, tx.chain_id_len, tx.body, tx.body_len));
  FUZZ_CHECK(inside(tx.payload, tx.payload_len, tx.body, tx.body_len));
  FUZZ_CHECK(tx.body == data + 4);
  FUZZ_CHECK(4 + tx.body_len + 1 + tx.sig_len == size);
  FUZZ_CHECK(tx.sig_len >= 1 && tx.sig_len <= 255);
  FUZZ_CHECK(tx.chain_id_len >= 1 && tx.chain_id_len <= SY_CHAIN_ID_MAX);
  FUZZ_CHECK(tx.payload_len <= SY_TX_PAYLOAD_MAX);
  FUZZ_CHECK(tx.payload + tx.payload_len == tx.body + tx.body_len);

  /* Type names: a known type round-trips through its name. */
  const char *tname = sy_tx_type_name(tx.type);
  if (tname) FUZZ_CHECK(sy_tx_type_parse(tname) == tx.type);

  /* Re-encode and compare. */
  sy_buf body = {0}, env = {0};
  rc = sy_tx_encode_body(&body, tx.type, (const char *)tx.chain_id, tx.chain_id_len, tx.signer,
                         tx.timestamp_ms, tx.nonce, tx.payload, tx.payload_len);
  FUZZ_CHECK(rc == SY_OK);
  FUZZ_CHECK(body.len == tx.body_len && memcmp(body.p, tx.body, body.len) == 0);
  rc = sy_tx_encode(&env, body.p, body.len, tx.sig, tx.sig_len);
  FUZZ_CHECK(rc == SY_OK);
  FUZZ_CHECK(env.len == size && memcmp(env.p, data, size) == 0);

  /* The id is the hash of the envelope: the same for the re-encoded copy. */
  const sy_suite *s = sy_suite_default();
  uint8_t id1[SY_HASH_LEN], id2[SY_HASH_LEN];
  sy_tx_id(&tx, s->hash, id1);
  sy_tx tx2;
  FUZZ_CHECK(sy_tx_decode(&tx2, env.p, env.len) == SY_OK);
  sy_tx_id(&tx2, s->hash, id2);
  FUZZ_CHECK(memcmp(id1, id2, SY_HASH_LEN) == 0);
  FUZZ_CHECK(tx2.type == tx.type && tx2.nonce == tx.nonce && tx2.timestamp_ms == tx.timestamp_ms);

  /* Strictness: one byte less or one byte more is not a transaction. A
   * fresh exact-size copy lets ASan catch a read past the shorter end. */
  uint8_t *shorter = malloc(size - 1 ? size - 1 : 1);
  FUZZ_CHECK(shorter != NULL);
  memcpy(shorter, data, size - 1);
  FUZZ_CHECK(sy_tx_decode(&tx2, shorter, size - 1) != SY_OK);
  free(shorter);
  sy_buf_u8(&env, 0);
  FUZZ_CHECK(env.err == SY_OK);
  FUZZ_CHECK(sy_tx_decode(&tx2, env.p, env.len) != SY_OK);

  sy_buf_free(&body);
  sy_buf_free(&env);
  return 0;
}
