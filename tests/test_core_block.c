/* Block headers, validity flags and reason codes (core/block.h). Hashes are
 * checked against OpenSSL's SHA256() over the documented layout. */
#include <ctype.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "core/block.h"
#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "crypto/suite.h"
#include "testutil.h"

static sy_hash_fn g_h;

static void fill(uint8_t *p, size_t n, uint8_t base) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(base + i);
}

static sy_block_header sample(void) {
  sy_block_header h;
  memset(&h, 0, sizeof h);
  h.height = 0x0102030405060708ULL;
  fill(h.prev_hash, sizeof h.prev_hash, 0x10);
  fill(h.tx_root, sizeof h.tx_root, 0x40);
  fill(h.flags_hash, sizeof h.flags_hash, 0x70);
  fill(h.results_hash, sizeof h.results_hash, 0xa0);
  h.timestamp_ms = 1764100000000ULL;
  fill(h.proposer, sizeof h.proposer, 0xd0);
  h.tx_count = 0x11223344u;
  return h;
}

static int header_eq(const sy_block_header *a, const sy_block_header *b) {
  return a->height == b->height && memcmp(a->prev_hash, b->prev_hash, SY_HASH_LEN) == 0 &&
         memcmp(a->tx_root, b->tx_root, SY_HASH_LEN) == 0 &&
         memcmp(a->flags_hash, b->flags_hash, SY_HASH_LEN) == 0 &&
         memcmp(a->results_hash, b->results_hash, SY_HASH_LEN) == 0 &&
         a->timestamp_ms == b->timestamp_ms &&
         memcmp(a->proposer, b->proposer, SY_KEYID_LEN) == 0 && a->tx_count == b->tx_count;
}

static void test_layout_and_roundtrip(void) {
  CHECK_EQ(SY_BLOCK_HEADER_LEN, 168);
  sy_block_header h = sample(), d;
  uint8_t enc[SY_BLOCK_HEADER_LEN];
  sy_block_header_encode(&h, enc);
  /* The documented layout, field by field, little-endian integers. */
  sy_reader r;
  sy_reader_init(&r, enc, sizeof enc);
  CHECK(memcmp(sy_get_bytes(&r, 4), "SYB1", 4) == 0);
  CHECK(sy_get_u64(&r) == h.height);
  CHECK(memcmp(sy_get_bytes(&r, 32), h.prev_hash, 32) == 0);
  CHECK(memcmp(sy_get_bytes(&r, 32), h.tx_root, 32) == 0);
  CHECK(memcmp(sy_get_bytes(&r, 32), h.flags_hash, 32) == 0);
  CHECK(memcmp(sy_get_bytes(&r, 32), h.results_hash, 32) == 0);
  CHECK(sy_get_u64(&r) == h.timestamp_ms);
  CHECK(memcmp(sy_get_bytes(&r, SY_KEYID_LEN), h.proposer, SY_KEYID_LEN) == 0);
  CHECK_EQ(sy_get_u32(&r), h.tx_count);
  CHECK_EQ(r.err, SY_OK);
  CHECK_EQ(r.off, sizeof enc);
  CHECK_EQ(enc[4], 0x08); /* height's low byte first */

  memset(&d, 0xee, sizeof d);
  CHECK_EQ(sy_block_header_decode(&d, enc, sizeof enc), SY_OK);
  CHECK(header_eq(&h, &d));
  uint8_t enc2[SY_BLOCK_HEADER_LEN];
  sy_block_header_encode(&d, enc2);
  CHECK(memcmp(enc, enc2, sizeof enc) == 0);

  /* Extremes: genesis (all zero) and all-ones. */
  sy_block_header z, o;
  memset(&z, 0, sizeof z);
  memset(&o, 0xff, sizeof o);
  sy_block_header_encode(&z, enc);
  CHECK_EQ(sy_block_header_decode(&d, enc, sizeof enc), SY_OK);
  CHECK(header_eq(&z, &d));
  sy_block_header_encode(&o, enc);
  CHECK_EQ(sy_block_header_decode(&d, enc, sizeof enc), SY_OK);
  CHECK(header_eq(&o, &d));
}

static void test_hash(void) {
  sy_block_header h = sample();
  uint8_t enc[SY_BLOCK_HEADER_LEN], got[SY_HASH_LEN], want[SY_HASH_LEN];
  sy_block_header_encode(&h, enc);
  SHA256(enc, sizeof enc, want);
  sy_block_hash(&h, g_h, got);
  CHECK(memcmp(got, want, SY_HASH_LEN) == 0);

  /* Every field is committed to: a change in any one of them changes the hash. */
  uint8_t base[SY_HASH_LEN];
  memcpy(base, got, SY_HASH_LEN);
  sy_block_header m;
#define CHANGED(stmt)                          \
  do {                                         \
    m = h;                                     \
    stmt;                                      \
    sy_block_hash(&m, g_h, got);               \
    CHECK(memcmp(got, base, SY_HASH_LEN) != 0); \
  } while (0)
  CHANGED(m.height++);
  CHANGED(m.height ^= 1ULL << 63);
  CHANGED(m.prev_hash[0] ^= 1);
  CHANGED(m.prev_hash[31] ^= 0x80);
  CHANGED(m.tx_root[0] ^= 1);
  CHANGED(m.tx_root[31] ^= 0x80);
  CHANGED(m.flags_hash[0] ^= 1);
  CHANGED(m.flags_hash[31] ^= 0x80);
  CHANGED(m.results_hash[0] ^= 1);
  CHANGED(m.results_hash[31] ^= 0x80);
  CHANGED(m.timestamp_ms++);
  CHANGED(m.timestamp_ms ^= 1ULL << 63);
  CHANGED(m.proposer[0] ^= 1);
  CHANGED(m.proposer[SY_KEYID_LEN - 1] ^= 0x80);
  CHANGED(m.tx_count++);
  CHANGED(m.tx_count ^= 1u << 31);
#undef CHANGED
  /* Swapping two hash fields changes it too (positions are committed). */
  m = h;
  memcpy(m.tx_root, h.flags_hash, SY_HASH_LEN);
  memcpy(m.flags_hash, h.tx_root, SY_HASH_LEN);
  sy_block_hash(&m, g_h, got);
  CHECK(memcmp(got, base, SY_HASH_LEN) != 0);
  /* And every single bit of the encoding past the magic maps to a field. */
  int all = 1;
  for (size_t i = 4; i < sizeof enc; i++) {
    uint8_t e2[SY_BLOCK_HEADER_LEN];
    memcpy(e2, enc, sizeof enc);
    e2[i] ^= 0x01;
    if (sy_block_header_decode(&m, e2, sizeof e2) != SY_OK) {
      all = 0;
      continue;
    }
    sy_block_hash(&m, g_h, got);
    if (memcmp(got, base, SY_HASH_LEN) == 0) all = 0;
  }
  CHECK(all);
}

static void test_decode_rejects(void) {
  sy_block_header h = sample(), d;
  uint8_t enc[SY_BLOCK_HEADER_LEN + 1];
  sy_block_header_encode(&h, enc);
  enc[SY_BLOCK_HEADER_LEN] = 0;
  sy_block_header sentinel;
  memset(&sentinel, 0x5c, sizeof sentinel);
  /* Every wrong length, shorter and one longer; from heap copies so ASan
   * notices an over-read. */
  int all = 1;
  for (size_t n = 0; n <= SY_BLOCK_HEADER_LEN + 1; n++) {
    if (n == SY_BLOCK_HEADER_LEN) continue;
    uint8_t *cp = malloc(n ? n : 1);
    if (!cp) abort();
    memcpy(cp, enc, n);
    d = sentinel;
    if (sy_block_header_decode(&d, cp, n) != SY_EMALFORMED) all = 0;
    if (memcmp(&d, &sentinel, sizeof d) != 0) all = 0; /* untouched on failure */
    free(cp);
  }
  CHECK(all);
  /* Wrong magic, in each position, and a transaction's magic. */
  for (int i = 0; i < 4; i++) {
    uint8_t e2[SY_BLOCK_HEADER_LEN];
    memcpy(e2, enc, sizeof e2);
    e2[i] ^= 0x20;
    d = sentinel;
    CHECK_EQ(sy_block_header_decode(&d, e2, sizeof e2), SY_EMALFORMED);
    CHECK(memcmp(&d, &sentinel, sizeof d) == 0);
  }
  uint8_t e3[SY_BLOCK_HEADER_LEN];
  memcpy(e3, enc, sizeof e3);
  memcpy(e3, "SYT1", 4);
  CHECK_EQ(sy_block_header_decode(&d, e3, sizeof e3), SY_EMALFORMED);
}

static void test_flags(void) {
  uint16_t flags[5] = {SY_R_VALID, SY_R_BAD_SIGNATURE, SY_R_GENESIS_ONLY, 0x1234, 0xffff};
  uint8_t enc[10], want[SY_HASH_LEN], got[SY_HASH_LEN];
  sy_block_flags_encode(flags, 5, enc);
  static const uint8_t expect[10] = {0, 0, 1, 0, 14, 0, 0x34, 0x12, 0xff, 0xff};
  CHECK(memcmp(enc, expect, sizeof enc) == 0);
  uint16_t back[5];
  CHECK_EQ(sy_block_flags_decode(back, 5, enc, sizeof enc), SY_OK);
  CHECK(memcmp(back, flags, sizeof flags) == 0);
  CHECK_EQ(sy_block_flags_decode(back, 5, enc, 9), SY_EMALFORMED);
  CHECK_EQ(sy_block_flags_decode(back, 4, enc, 10), SY_EMALFORMED);
  CHECK_EQ(sy_block_flags_decode(back, 0, enc, 0), SY_OK);
  sy_block_flags_hash(enc, sizeof enc, g_h, got);
  SHA256(enc, sizeof enc, want);
  CHECK(memcmp(got, want, SY_HASH_LEN) == 0);
  /* The empty block's flags hash is H(). */
  sy_block_flags_hash(enc, 0, g_h, got);
  SHA256(enc, 0, want);
  CHECK(memcmp(got, want, SY_HASH_LEN) == 0);
}

static void test_reasons(void) {
  static const int codes[] = {
#define SY_R_CODE(name, code, token, text) code,
      SY_REASONS(SY_R_CODE)
#undef SY_R_CODE
  };
  const size_t n = sizeof codes / sizeof codes[0];
  CHECK_EQ(codes[0], SY_R_VALID);
  CHECK_EQ(SY_R_VALID, 0);
  CHECK(strcmp(sy_reason_token(SY_R_VALID), "valid") == 0);
  CHECK(strcmp(sy_reason_token(SY_R_ROLE_DENIED), "role_denied") == 0);
  CHECK(strcmp(sy_reason_token(SY_R_REPLAYED_NONCE), "replayed_nonce") == 0);
  for (size_t i = 0; i < n; i++) {
    const char *t = sy_reason_token(codes[i]), *x = sy_reason_text(codes[i]);
    CHECK(t && *t && x && *x);
    CHECK(strcmp(t, "unknown_reason") != 0);
    /* Tokens are machine-readable: lowercase letters and underscores. */
    int clean = 1;
    for (const char *c = t; *c; c++)
      if (!(islower((unsigned char)*c) || *c == '_')) clean = 0;
    CHECK(clean);
    CHECK(codes[i] >= 0 && codes[i] <= 0xffff); /* fits the u16 flag */
    for (size_t j = i + 1; j < n; j++) {
      CHECK(codes[i] != codes[j]);
      CHECK(strcmp(t, sy_reason_token(codes[j])) != 0);
      CHECK(strcmp(x, sy_reason_text(codes[j])) != 0);
    }
  }
  CHECK(strcmp(sy_reason_token(9999), "unknown_reason") == 0);
  CHECK(strcmp(sy_reason_token(-1), "unknown_reason") == 0);
  CHECK(sy_reason_text(9999) != NULL && *sy_reason_text(9999));
}

static void test_error_names(void) {
  static const int codes[] = {
#define SY_E_CODE(name, code, msg) code,
      SY_ERRORS(SY_E_CODE)
#undef SY_E_CODE
  };
  const size_t n = sizeof codes / sizeof codes[0];
  CHECK_EQ(codes[0], SY_OK);
  CHECK(strcmp(sy_err_name(SY_EBADSIG), "EBADSIG") == 0);
  CHECK(strcmp(sy_err_name(SY_OK), "OK") == 0);
  for (size_t i = 0; i < n; i++) {
    if (i) CHECK(codes[i] < 0);
    CHECK(strcmp(sy_strerror(codes[i]), "unknown error") != 0);
    for (size_t j = i + 1; j < n; j++) {
      CHECK(codes[i] != codes[j]);
      CHECK(strcmp(sy_err_name(codes[i]), sy_err_name(codes[j])) != 0);
    }
  }
  CHECK(strcmp(sy_err_name(12345), "EUNKNOWN") == 0);
  CHECK(strcmp(sy_strerror(12345), "unknown error") == 0);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  g_h = sy_suite_default()->hash;
  test_layout_and_roundtrip();
  test_hash();
  test_decode_rejects();
  test_flags();
  test_reasons();
  test_error_names();
  return sy_test_done("test_core_block");
}
