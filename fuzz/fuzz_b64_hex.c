/* Hex and base64 (core/sy_hex.h): keys, signatures and ids arrive in these
 * encodings over HTTP, in genesis files and in keystores.
 *
 * Invariants, beyond memory safety:
 *   - decoding the input as base64 succeeds only for canonical base64 and
 *     gives bytes that encode back to exactly the input; it never writes
 *     past the capacity it is given (exact-size buffers), and a capacity one
 *     byte short of the decoded length is refused;
 *   - decoding the input as hex (when its length is even) succeeds only
 *     for hex digits, and the lowercase encoding of the result is the input
 *     lowercased;
 *   - any bytes (the input itself) survive encode + decode in both. */
#include <ctype.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "fuzz_common.h"

static void b64_decode_input(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  size_t cap = size / 4 * 3;
  uint8_t *out = malloc(cap ? cap : 1);
  FUZZ_CHECK(out != NULL);
  long n = sy_b64_decode(out, cap, in, size);
  FUZZ_CHECK(n >= -1 && n <= (long)cap);
  if (n >= 0) {
    FUZZ_CHECK(size % 4 == 0);
    char *enc = malloc(sy_b64_encoded_len((size_t)n));
    FUZZ_CHECK(enc != NULL);
    sy_b64_encode(enc, out, (size_t)n);
    FUZZ_CHECK(strlen(enc) == size && memcmp(enc, in, size) == 0);
    free(enc);
    if (n > 0) {
      /* One byte short: refused, not overrun (ASan sees the exact size). */
      uint8_t *small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
      FUZZ_CHECK(small != NULL);
      FUZZ_CHECK(sy_b64_decode(small, (size_t)n - 1, in, size) == -1);
      free(small);
    }
  }
  free(out);
}

static void hex_decode_input(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  size_t n = size / 2;
  uint8_t *out = malloc(n ? n : 1);
  FUZZ_CHECK(out != NULL);
  int rc = sy_hex_decode(out, n, in, size);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED);
  if (size % 2) FUZZ_CHECK(rc == SY_EMALFORMED);
  if (rc == SY_OK) {
    char *enc = malloc(2 * n + 1);
    FUZZ_CHECK(enc != NULL);
    sy_hex_encode(enc, out, n);
    for (size_t i = 0; i < size; i++) {
      FUZZ_CHECK(isxdigit((unsigned char)in[i]));
      FUZZ_CHECK(enc[i] == (char)tolower((unsigned char)in[i]));
    }
    FUZZ_CHECK(enc[size] == '\0');
    free(enc);
  }
  /* Asking for one byte more than the text holds is refused before any
   * write (out has room for n bytes only). */
  FUZZ_CHECK(sy_hex_decode(out, n + 1, in, size) == SY_EMALFORMED);
  free(out);
}

static void encode_roundtrip(const uint8_t *data, size_t size) {
  char *b = malloc(sy_b64_encoded_len(size));
  char *h = malloc(2 * size + 1);
  uint8_t *back = malloc(size ? size : 1);
  FUZZ_CHECK(b && h && back);
  sy_b64_encode(b, data, size);
  size_t blen = strlen(b);
  FUZZ_CHECK(blen + 1 == sy_b64_encoded_len(size));
  FUZZ_CHECK(sy_b64_decode(back, size, b, blen) == (long)size);
  FUZZ_CHECK(size == 0 || memcmp(back, data, size) == 0);
  sy_hex_encode(h, data, size);
  FUZZ_CHECK(strlen(h) == 2 * size);
  FUZZ_CHECK(sy_hex_decode(back, size, h, 2 * size) == SY_OK);
  FUZZ_CHECK(size == 0 || memcmp(back, data, size) == 0);
  free(b);
  free(h);
  free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  b64_decode_input(data, size);
  hex_decode_input(data, size);
  encode_roundtrip(data, size);
  return 0;
}
