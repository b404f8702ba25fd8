/* Block headers and per-transaction flags (docs/format.md).
 *
 * Input: the whole input is offered to sy_block_header_decode (only
 * exactly SY_BLOCK_HEADER_LEN bytes with the magic may decode); when the
 * input is at least a header long, its first SY_BLOCK_HEADER_LEN bytes are
 * decoded as a header and the rest as the block's u16 flags.
 *
 * Invariants: a decoded header re-encodes to the same bytes and its hash
 * is the hash of those bytes; the flags decode only at exactly 2 bytes per
 * transaction, re-encode to the same bytes, and every code has a token and
 * a text. */
#include "core/block.h"
#include "core/sy_error.h"
#include "crypto/suite.h"
#include "fuzz_common.h"

static void check_header(const uint8_t *in, size_t len) {
  sy_block_header h;
  int rc = sy_block_header_decode(&h, in, len);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED);
  if (len != SY_BLOCK_HEADER_LEN) FUZZ_CHECK(rc != SY_OK);
  if (rc != SY_OK) return;
  FUZZ_CHECK(memcmp(in, "SYB1", 4) == 0);
  uint8_t enc[SY_BLOCK_HEADER_LEN];
  sy_block_header_encode(&h, enc);
  FUZZ_CHECK(memcmp(enc, in, SY_BLOCK_HEADER_LEN) == 0);

  const sy_suite *s = sy_suite_default();
  uint8_t h1[SY_HASH_LEN], h2[SY_HASH_LEN];
  sy_block_hash(&h, s->hash, h1);
  sy_slice sl = {in, SY_BLOCK_HEADER_LEN};
  s->hash(&sl, 1, h2);
  FUZZ_CHECK(memcmp(h1, h2, SY_HASH_LEN) == 0);
}

static void check_flags(const uint8_t *in, size_t len) {
  size_t n = len / 2;
  uint16_t *flags = malloc((n + 1) * sizeof *flags);
  uint8_t *enc = malloc(2 * n + 1);
  FUZZ_CHECK(flags && enc);
  int rc = sy_block_flags_decode(flags, n, in, len);
  FUZZ_CHECK(rc == ((len % 2) ? SY_EMALFORMED : SY_OK));
  if (rc == SY_OK) {
    sy_block_flags_encode(flags, n, enc);
    FUZZ_CHECK(n == 0 || memcmp(enc, in, 2 * n) == 0);
    for (size_t i = 0; i < n; i++) {
      const char *tok = sy_reason_token(flags[i]);
      const char *text = sy_reason_text(flags[i]);
      FUZZ_CHECK(tok && *tok && text && *text);
    }
    uint8_t fh[SY_HASH_LEN];
    sy_block_flags_hash(in, len, sy_suite_default()->hash, fh);
  }
  /* One flag more than the bytes hold never decodes. */
  FUZZ_CHECK(sy_block_flags_decode(flags, n + 1, in, len) == SY_EMALFORMED);
  free(flags);
  free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    FUZZ_CHECK(sy_crypto_init() == SY_OK);
    ready = 1;
  }
  check_header(data, size);
  if (size >= SY_BLOCK_HEADER_LEN) {
    check_header(data, SY_BLOCK_HEADER_LEN);
    check_flags(data + SY_BLOCK_HEADER_LEN, size - SY_BLOCK_HEADER_LEN);
  }
  return 0;
}
