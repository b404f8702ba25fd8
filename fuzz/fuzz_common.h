/* Shared by the fuzz targets (fuzz/fuzz_<target>.c) and the corpus
 * generator. Header-only so that each target stays one .c file that builds
 * both as a libFuzzer binary (clang, -DSY_FUZZ=ON) and as a corpus replay
 * test with fuzz/replay_main.c (any compiler).
 *
 * FUZZ_CHECK is for the invariants a target asserts beyond "does not
 * crash": it prints the failed condition and aborts, which libFuzzer and
 * the replay runner both report as a crash on the current input. */
#ifndef SY_FUZZ_COMMON_H
#define SY_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

/* The fixed Ed25519 key of the fuzz corpus: the generator signs with the
 * key derived from this seed, fuzz_envelope_verify verifies against its
 * public half. A test key, published here on purpose; it is no member of
 * any real chain. */
static const uint8_t FUZZ_KEY_SEED[32] = {'s', 'u', 'y', 'u', 'a', 'n', '-', 'f', 'u', 'z', 'z',
                                          '-', 'k', 'e', 'y', '-', 's', 'e', 'e', 'd', '-', 'n',
                                          'o', 't', '-', 'a', '-', 's', 'e', 'c', 'r', 'e'};

/* The chain id the generated transactions use. */
#define FUZZ_CHAIN_ID "fuzz-chain"

/* A NUL-terminated malloc'd copy of data (the EPCIS string checks and
 * cJSON_Parse want C strings). Returns NULL when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return NULL;
  if (size) memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* 1 when the NUL-terminated text in buf[0..cap) ends within cap and holds
 * no control character (what every error message we return promises). */
static inline int fuzz_printable_message(const char *buf, size_t cap) {
  size_t n = strnlen(buf, cap);
  if (n == cap) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c < 0x20 || c == 0x7f) return 0;
  }
  return 1;
}

#endif
