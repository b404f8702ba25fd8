#include "core/merkle.h"

#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"

static void leaf_hash(sy_hash_fn h, const uint8_t id[SY_HASH_LEN], uint8_t out[SY_HASH_LEN]) {
  static const uint8_t zero = 0x00;
  sy_slice s[2] = {{&zero, 1}, {id, SY_HASH_LEN}};
  h(s, 2, out);
}

static void node_hash(sy_hash_fn h, const uint8_t l[SY_HASH_LEN], const uint8_t r[SY_HASH_LEN],
                      uint8_t out[SY_HASH_LEN]) {
  static const uint8_t one = 0x01;
  sy_slice s[3] = {{&one, 1}, {l, SY_HASH_LEN}, {r, SY_HASH_LEN}};
  h(s, 3, out);
}

static size_t split_point(size_t n) { /* largest power of two < n, n >= 2 */
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/* Root of the already leaf-hashed level[0..n), n >= 1, computed in place
 * bottom-up; equal to the recursive RFC 6962 definition because promoting an
 * odd last node unchanged reproduces the power-of-two split. */
static void root_of_leaves(uint8_t (*lv)[SY_HASH_LEN], size_t n, sy_hash_fn h,
                           uint8_t root[SY_HASH_LEN]) {
  while (n > 1) {
    size_t m = 0;
    for (size_t i = 0; i + 1 < n; i += 2) node_hash(h, lv[i], lv[i + 1], lv[m++]);
    if (n & 1) memmove(lv[m++], lv[n - 1], SY_HASH_LEN);
    n = m;
  }
  memcpy(root, lv[0], SY_HASH_LEN);
}

int sy_merkle_root(const uint8_t (*ids)[SY_HASH_LEN], size_t n, sy_hash_fn h,
                   uint8_t root[SY_HASH_LEN]) {
  if (n == 0) {
    h(NULL, 0, root);
    return SY_OK;
  }
  uint8_t(*lv)[SY_HASH_LEN] = malloc(n * SY_HASH_LEN);
  if (!lv) return SY_ENOMEM;
  for (size_t i = 0; i < n; i++) leaf_hash(h, ids[i], lv[i]);
  root_of_leaves(lv, n, h, root);
  free(lv);
  return SY_OK;
}

/* Root of leaf-hashed range [lo, hi) without modifying it. */
static int subtree_root(const uint8_t (*lv)[SY_HASH_LEN], size_t lo, size_t hi, sy_hash_fn h,
                        uint8_t out[SY_HASH_LEN]) {
  size_t n = hi - lo;
  uint8_t(*tmp)[SY_HASH_LEN] = malloc(n * SY_HASH_LEN);
  if (!tmp) return SY_ENOMEM;
  memcpy(tmp, lv[lo], n * SY_HASH_LEN);
  root_of_leaves(tmp, n, h, out);
  free(tmp);
  return SY_OK;
}

int sy_merkle_proof(const uint8_t (*ids)[SY_HASH_LEN], size_t n, size_t index, sy_hash_fn h,
                    uint8_t (*path)[SY_HASH_LEN], size_t *path_len) {
  if (index >= n) return SY_EINVAL;
  uint8_t(*lv)[SY_HASH_LEN] = malloc(n * SY_HASH_LEN);
  if (!lv) return SY_ENOMEM;
  for (size_t i = 0; i < n; i++) leaf_hash(h, ids[i], lv[i]);
  /* Walk down from the root, recording the sibling subtree at each split;
   * the path is emitted leaf-first, so collect then reverse. */
  size_t lo = 0, hi = n, depth = 0;
  int rc = SY_OK;
  while (hi - lo > 1) {
    size_t k = split_point(hi - lo);
    if (index < lo + k) {
      rc = subtree_root(lv, lo + k, hi, h, path[depth]);
      hi = lo + k;
    } else {
      rc = subtree_root(lv, lo, lo + k, h, path[depth]);
      lo = lo + k;
    }
    if (rc) break;
    depth++;
  }
  free(lv);
  if (rc) return rc;
  for (size_t i = 0; i < depth / 2; i++) {
    uint8_t t[SY_HASH_LEN];
    memcpy(t, path[i], SY_HASH_LEN);
    memcpy(path[i], path[depth - 1 - i], SY_HASH_LEN);
    memcpy(path[depth - 1 - i], t, SY_HASH_LEN);
  }
  *path_len = depth;
  return SY_OK;
}

int sy_merkle_verify(const uint8_t id[SY_HASH_LEN], size_t index, size_t n,
                     const uint8_t (*path)[SY_HASH_LEN], size_t path_len, sy_hash_fn h,
                     const uint8_t root[SY_HASH_LEN]) {
  /* RFC 9162 section 2.1.3.2 verification algorithm. */
  if (index >= n) return 0;
  size_t fn = index, sn = n - 1;
  uint8_t r[SY_HASH_LEN];
  leaf_hash(h, id, r);
  for (size_t i = 0; i < path_len; i++) {
    if (sn == 0) return 0;
    if ((fn & 1) || fn == sn) {
      node_hash(h, path[i], r, r);
      if (!(fn & 1)) {
        while (fn && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      node_hash(h, r, path[i], r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && memcmp(r, root, SY_HASH_LEN) == 0;
}
