/* Genesis files (docs/format.md#genesis): sy_genesis_check on hostile
 * bytes, as `suyuand --genesis` and `suyuan verify` read them.
 *
 * Invariants, beyond memory safety:
 *   - only SY_OK or SY_EMALFORMED come back; a refusal says why in a
 *     NUL-terminated, non-empty message that fits the buffer, and a
 *     one-byte buffer is never overrun;
 *   - an accepted file yields a chain id of 1..64 identifier characters, a
 *     known suite and created_ms in range, and the genesis transaction the
 *     ledger builds from it (type genesis, the file's bytes as payload,
 *     signature one zero byte) encodes and decodes back to those fields;
 *   - the verdict does not depend on the error buffer or on info being
 *     asked for. */
#include "core/sy_error.h"
#include "core/tx.h"
#include "crypto/suite.h"
#include "fuzz_common.h"
#include "ledger/ledger.h"

static int ident_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SY_CHAIN_ID_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    FUZZ_CHECK(sy_crypto_init() == SY_OK);
    ready = 1;
  }
  sy_genesis_info info;
  char err[256];
  memset(err, 0x5a, sizeof err);
  int rc = sy_genesis_check(data, size, &info, err, sizeof err);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED);

  char tiny[1] = {'x'};
  int rc_tiny = sy_genesis_check(data, size, NULL, tiny, sizeof tiny);
  FUZZ_CHECK(rc_tiny == rc);
  FUZZ_CHECK(sy_genesis_check(data, size, NULL, NULL, 0) == rc);

  if (rc != SY_OK) {
    FUZZ_CHECK(fuzz_printable_message(err, sizeof err));
    FUZZ_CHECK(err[0] != '\0');
    FUZZ_CHECK(tiny[0] == '\0');
    return 0;
  }
  FUZZ_CHECK(ident_ok(info.chain_id));
  FUZZ_CHECK(info.suite != NULL && info.suite == sy_suite_find(info.suite->name));
  FUZZ_CHECK(info.created_ms <= (uint64_t)9e15);
  FUZZ_CHECK(size <= SY_TX_PAYLOAD_MAX);

  /* The genesis transaction of block 0 (ledger/genesis.c, sy_genesis_tx). */
  static const uint8_t zero_signer[SY_KEYID_LEN];
  static const uint8_t unsigned_marker = 0;
  sy_buf body = {0}, env = {0};
  FUZZ_CHECK(sy_tx_encode_body(&body, SY_TX_GENESIS, info.chain_id, strlen(info.chain_id),
                               zero_signer, info.created_ms, 0, data, size) == SY_OK);
  FUZZ_CHECK(sy_tx_encode(&env, body.p, body.len, &unsigned_marker, 1) == SY_OK);
  sy_tx tx;
  FUZZ_CHECK(sy_tx_decode(&tx, env.p, env.len) == SY_OK);
  FUZZ_CHECK(tx.type == SY_TX_GENESIS && tx.payload_len == size);
  FUZZ_CHECK(size == 0 || memcmp(tx.payload, data, size) == 0);
  FUZZ_CHECK(tx.chain_id_len == strlen(info.chain_id) &&
             memcmp(tx.chain_id, info.chain_id, tx.chain_id_len) == 0);
  FUZZ_CHECK(tx.timestamp_ms == info.created_ms);
  /* The payload of block 0 is checked again when a ledger is reopened. */
  sy_genesis_info again;
  FUZZ_CHECK(sy_genesis_check(tx.payload, tx.payload_len, &again, NULL, 0) == SY_OK);
  FUZZ_CHECK(strcmp(again.chain_id, info.chain_id) == 0 && again.created_ms == info.created_ms);
  sy_buf_free(&body);
  sy_buf_free(&env);
  return 0;
}
