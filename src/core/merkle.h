/* Merkle tree over transaction ids, RFC 6962 shape (docs/format.md):
 *   leaf  = H(0x00 | tx_id)
 *   node  = H(0x01 | left | right)
 *   root of n leaves splits at k, the largest power of two < n; the root of
 *   zero leaves is H() of nothing.
 * Proofs are the audit paths of RFC 6962 section 2.1.1. */
#ifndef SY_MERKLE_H
#define SY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

#define SY_MERKLE_MAX_DEPTH 64

/* Root of leaves[0..n) (tx ids, not yet leaf-hashed). Allocates scratch;
 * returns SY_OK or SY_ENOMEM. */
int sy_merkle_root(const uint8_t (*ids)[SY_HASH_LEN], size_t n, sy_hash_fn h,
                   uint8_t root[SY_HASH_LEN]);

/* Audit path for leaf `index` of n into path (room for SY_MERKLE_MAX_DEPTH
 * hashes); *path_len receives the number of hashes. */
int sy_merkle_proof(const uint8_t (*ids)[SY_HASH_LEN], size_t n, size_t index, sy_hash_fn h,
                    uint8_t (*path)[SY_HASH_LEN], size_t *path_len);

/* 1 if the path proves id is leaf `index` of a tree of n leaves with `root`. */
int sy_merkle_verify(const uint8_t id[SY_HASH_LEN], size_t index, size_t n,
                     const uint8_t (*path)[SY_HASH_LEN], size_t path_len, sy_hash_fn h,
                     const uint8_t root[SY_HASH_LEN]);

#endif
