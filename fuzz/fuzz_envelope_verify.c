/* Signed envelopes and Merkle inclusion proofs: what a node checks on
 * every transaction it admits and a client checks on every proof it gets.
 *
 * Input: the first byte selects the mode (even: envelope, odd: Merkle), the
 * rest is the mode's input.
 *
 * Envelope mode: sy_tx_decode, then suite->verify of the signature over
 * the body against the corpus key (fuzz_common.h) — and against the wrong
 * lengths, which must be refused. When a signature verifies, flipping any
 * single bit of the body or of the signature (the position taken from the
 * input) must make it fail: Ed25519 as libsodium checks it is strongly
 * unforgeable, so a pass there is a verifier bug.
 *
 * Merkle mode: (a) a tree of 1..64 ids derived from the input; the audit
 * path sy_merkle_proof gives for the chosen leaf verifies, the same path
 * with the rest of the input XORed into it does not (unless the XOR
 * changed nothing), nor does it one hash shorter or longer; (b) the raw
 * input as (id, index, tree size, path) to sy_merkle_verify with
 * arbitrary sizes, which must answer 0 or 1 without touching memory
 * outside the path it was given. */
#include "core/merkle.h"
#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "core/tx.h"
#include "crypto/key_internal.h"
#include "crypto/suite.h"
#include "fuzz_common.h"

static const sy_suite *g_suite;
static uint8_t g_pk[SY_PK_MAX];
static size_t g_pk_len;

static void setup(void) {
  FUZZ_CHECK(sy_crypto_init() == SY_OK);
  g_suite = sy_suite_default();
  sy_key *k = NULL;
  FUZZ_CHECK(sy_key_from_seed(g_suite, FUZZ_KEY_SEED, sizeof FUZZ_KEY_SEED, &k) == SY_OK);
  const uint8_t *pk = sy_key_public(k, &g_pk_len);
  FUZZ_CHECK(g_pk_len <= sizeof g_pk);
  memcpy(g_pk, pk, g_pk_len);
  sy_key_free(k);
}

static void envelope(const uint8_t *data, size_t size) {
  sy_tx tx;
  if (sy_tx_decode(&tx, data, size) != SY_OK) return;
  int ok = g_suite->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, g_pk, g_pk_len);
  FUZZ_CHECK(ok == 0 || ok == 1);
  /* Wrong public key lengths are refused, never read past. */
  FUZZ_CHECK(g_suite->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, g_pk, g_pk_len - 1) == 0);
  FUZZ_CHECK(g_suite->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, g_pk, 0) == 0);
  if (tx.sig_len != g_suite->sig_len) FUZZ_CHECK(ok == 0);
  if (!ok) return;
  /* A valid signature by the corpus key. */
  FUZZ_CHECK(tx.sig_len == g_suite->sig_len);
  uint8_t *body = malloc(tx.body_len ? tx.body_len : 1);
  uint8_t sig[255];
  FUZZ_CHECK(body != NULL);
  memcpy(body, tx.body, tx.body_len);
  memcpy(sig, tx.sig, tx.sig_len);
  uint8_t sel = data[size - 1]; /* the last signature byte picks the bits */
  if (tx.body_len) {
    size_t bit = ((size_t)sel * 2654435761u) % (tx.body_len * 8);
    body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    FUZZ_CHECK(g_suite->verify(sig, tx.sig_len, body, tx.body_len, g_pk, g_pk_len) == 0);
    body[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  size_t sbit = (size_t)sel % (tx.sig_len * 8);
  sig[sbit / 8] ^= (uint8_t)(1u << (sbit % 8));
  FUZZ_CHECK(g_suite->verify(sig, tx.sig_len, body, tx.body_len, g_pk, g_pk_len) == 0);
  sig[sbit / 8] ^= (uint8_t)(1u << (sbit % 8));
  /* A one-byte-shorter message is another message. */
  if (tx.body_len)
    FUZZ_CHECK(g_suite->verify(sig, tx.sig_len, body, tx.body_len - 1, g_pk, g_pk_len) == 0);
  free(body);
}

static void merkle_structured(const uint8_t *data, size_t size) {
  if (size < 2) return;
  size_t n = (size_t)(data[0] % 64) + 1, index = data[1] % n;
  uint8_t(*ids)[SY_HASH_LEN] = malloc(n * SY_HASH_LEN);
  FUZZ_CHECK(ids != NULL);
  for (size_t i = 0; i < n; i++) {
    uint8_t ib[8];
    sy_store_u64(ib, i);
    sy_slice parts[2] = {{ib, 8}, {data, 2}};
    g_suite->hash(parts, 2, ids[i]);
  }
  uint8_t root[SY_HASH_LEN], path[SY_MERKLE_MAX_DEPTH + 1][SY_HASH_LEN];
  size_t path_len = 0;
  FUZZ_CHECK(sy_merkle_root((const uint8_t(*)[SY_HASH_LEN])ids, n, g_suite->hash, root) == SY_OK);
  FUZZ_CHECK(sy_merkle_proof((const uint8_t(*)[SY_HASH_LEN])ids, n, index, g_suite->hash, path,
                             &path_len) == SY_OK);
  FUZZ_CHECK(path_len <= 6); /* ceil(log2(64)) */
  const uint8_t(*cpath)[SY_HASH_LEN] = (const uint8_t(*)[SY_HASH_LEN])path;
  FUZZ_CHECK(sy_merkle_verify(ids[index], index, n, cpath, path_len, g_suite->hash, root) == 1);
  /* Out-of-range leaf indexes are refused. */
  FUZZ_CHECK(sy_merkle_verify(ids[index], n, n, cpath, path_len, g_suite->hash, root) == 0);
  FUZZ_CHECK(sy_merkle_proof((const uint8_t(*)[SY_HASH_LEN])ids, n, n, g_suite->hash, path,
                             &path_len) == SY_EINVAL);
  if (path_len)
    FUZZ_CHECK(sy_merkle_verify(ids[index], index, n, cpath, path_len - 1, g_suite->hash, root) ==
               0);
  memcpy(path[path_len], root, SY_HASH_LEN);
  FUZZ_CHECK(sy_merkle_verify(ids[index], index, n, cpath, path_len + 1, g_suite->hash, root) == 0);
  /* Tamper with the path. */
  int changed = 0;
  for (size_t i = 2; i < size && (i - 2) < path_len * SY_HASH_LEN; i++) {
    path[(i - 2) / SY_HASH_LEN][(i - 2) % SY_HASH_LEN] ^= data[i];
    if (data[i]) changed = 1;
  }
  int ok = sy_merkle_verify(ids[index], index, n, cpath, path_len, g_suite->hash, root);
  FUZZ_CHECK(ok == !changed);
  free(ids);
}

static void merkle_raw(const uint8_t *data, size_t size) {
  /* id[32] | index u64 | n u64 | root[32] | path hashes... */
  if (size < 32 + 8 + 8 + 32) return;
  sy_reader r;
  sy_reader_init(&r, data, size);
  const uint8_t *id = sy_get_bytes(&r, SY_HASH_LEN);
  uint64_t index = sy_get_u64(&r), n = sy_get_u64(&r);
  const uint8_t *root = sy_get_bytes(&r, SY_HASH_LEN);
  size_t path_len = (size - r.off) / SY_HASH_LEN;
  /* An exact-size copy, so that reading one hash too many is caught. */
  uint8_t(*path)[SY_HASH_LEN] = malloc(path_len ? path_len * SY_HASH_LEN : 1);
  FUZZ_CHECK(path != NULL);
  if (path_len) memcpy(path, data + r.off, path_len * SY_HASH_LEN);
  int ok = sy_merkle_verify(id, (size_t)index, (size_t)n, (const uint8_t(*)[SY_HASH_LEN])path,
                            path_len, g_suite->hash, root);
  FUZZ_CHECK(ok == 0 || ok == 1);
  free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    setup();
    ready = 1;
  }
  if (size < 1) return 0;
  if (data[0] % 2 == 0) {
    envelope(data + 1, size - 1);
  } else {
    merkle_structured(data + 1, size - 1);
    merkle_raw(data + 1, size - 1);
  }
  return 0;
}
