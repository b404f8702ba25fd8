/* The hash a chain uses is chosen by its crypto suite (SHA-256 for
 * ed25519-sha256, SM3 for sm2-sm3). core/ does no hashing of its own: it is
 * handed the suite's function, so it depends on nothing of ours. */
#ifndef SY_HASH_H
#define SY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SY_HASH_LEN 32

typedef struct sy_slice {
  const void *p;
  size_t len;
} sy_slice;

/* Hashes the concatenation of parts[0..n) into out. Must not fail. */
typedef void (*sy_hash_fn)(const sy_slice *parts, size_t n, uint8_t out[SY_HASH_LEN]);

#endif
