/* Merkle tree (core/merkle.h) against an independent RFC 6962 reference
 * written here over OpenSSL's SHA256(): known answers for n = 0..3, then
 * roots, audit paths and verification for every index of n = 1..70. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/merkle.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/suite.h"
#include "testutil.h"

#define NMAX 70
#define H SY_HASH_LEN

static sy_hash_fn g_h; /* the suite's hash: what the node uses */

/* ---- the reference: RFC 6962 section 2.1, recursive, no shared code ---- */

static void ref_leaf(const uint8_t id[H], uint8_t out[H]) {
  uint8_t b[1 + H];
  b[0] = 0x00;
  memcpy(b + 1, id, H);
  SHA256(b, sizeof b, out);
}

static void ref_node(const uint8_t l[H], const uint8_t r[H], uint8_t out[H]) {
  uint8_t b[1 + 2 * H];
  b[0] = 0x01;
  memcpy(b + 1, l, H);
  memcpy(b + 1 + H, r, H);
  SHA256(b, sizeof b, out);
}

static size_t ref_split(size_t n) { /* largest power of two strictly less than n */
  size_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

/* MTH(D[lo:lo+n]) */
static void ref_mth(const uint8_t (*ids)[H], size_t n, uint8_t out[H]) {
  if (n == 0) {
    SHA256((const uint8_t *)"", 0, out);
  } else if (n == 1) {
    ref_leaf(ids[0], out);
  } else {
    size_t k = ref_split(n);
    uint8_t l[H], r[H];
    ref_mth(ids, k, l);
    ref_mth(ids + k, n - k, r);
    ref_node(l, r, out);
  }
}

/* PATH(m, D[n]) leaf-first; side[i] = 1 when path[i] is a right sibling.
 * Returns the path length. */
static size_t ref_path(const uint8_t (*ids)[H], size_t n, size_t m, uint8_t (*path)[H],
                       uint8_t *side) {
  if (n <= 1) return 0;
  size_t k = ref_split(n), len;
  if (m < k) {
    len = ref_path(ids, k, m, path, side);
    ref_mth(ids + k, n - k, path[len]);
    side[len] = 1;
  } else {
    len = ref_path(ids + k, n - k, m - k, path, side);
    ref_mth(ids, k, path[len]);
    side[len] = 0;
  }
  return len + 1;
}

static void hex_to(uint8_t out[H], const char *hex) {
  if (sy_hex_decode(out, H, hex, strlen(hex)) != SY_OK) abort();
}

/* ---- tests ---- */

static void test_known_answers(void) {
  uint8_t ids[3][H], root[H], want[H];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < H; j++) ids[i][j] = (uint8_t)(i * 0x40 + j);

  /* n = 0: SHA-256 of the empty string, as a literal. */
  hex_to(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_EQ(sy_merkle_root(NULL, 0, g_h, root), SY_OK);
  CHECK(memcmp(root, want, H) == 0);
  CHECK_EQ(sy_merkle_root((const uint8_t(*)[H])ids, 0, g_h, root), SY_OK);
  CHECK(memcmp(root, want, H) == 0);

  /* n = 1: SHA-256(0x00 || id). */
  uint8_t buf[1 + 2 * H], l0[H], l1[H], l2[H], n01[H];
  buf[0] = 0x00;
  memcpy(buf + 1, ids[0], H);
  SHA256(buf, 1 + H, l0);
  CHECK_EQ(sy_merkle_root((const uint8_t(*)[H])ids, 1, g_h, root), SY_OK);
  CHECK(memcmp(root, l0, H) == 0);
  CHECK(memcmp(root, ids[0], H) != 0); /* the id itself is never the root */

  /* n = 2: SHA-256(0x01 || L0 || L1). */
  memcpy(buf + 1, ids[1], H);
  SHA256(buf, 1 + H, l1);
  buf[0] = 0x01;
  memcpy(buf + 1, l0, H);
  memcpy(buf + 1 + H, l1, H);
  SHA256(buf, 1 + 2 * H, n01);
  CHECK_EQ(sy_merkle_root((const uint8_t(*)[H])ids, 2, g_h, root), SY_OK);
  CHECK(memcmp(root, n01, H) == 0);

  /* n = 3: SHA-256(0x01 || N01 || L2): the odd leaf is promoted, not
   * duplicated (the Bitcoin shape would hash L2 with itself). */
  buf[0] = 0x00;
  memcpy(buf + 1, ids[2], H);
  SHA256(buf, 1 + H, l2);
  buf[0] = 0x01;
  memcpy(buf + 1, n01, H);
  memcpy(buf + 1 + H, l2, H);
  SHA256(buf, 1 + 2 * H, want);
  CHECK_EQ(sy_merkle_root((const uint8_t(*)[H])ids, 3, g_h, root), SY_OK);
  CHECK(memcmp(root, want, H) == 0);

  /* Audit paths for n = 3 by hand: leaf 2 is proven by [N01]; leaf 0 by [L1, L2]. */
  uint8_t path[SY_MERKLE_MAX_DEPTH][H];
  size_t plen = 99;
  CHECK_EQ(sy_merkle_proof((const uint8_t(*)[H])ids, 3, 2, g_h, path, &plen), SY_OK);
  CHECK_EQ(plen, 1);
  CHECK(memcmp(path[0], n01, H) == 0);
  CHECK_EQ(sy_merkle_proof((const uint8_t(*)[H])ids, 3, 0, g_h, path, &plen), SY_OK);
  CHECK_EQ(plen, 2);
  CHECK(memcmp(path[0], l1, H) == 0 && memcmp(path[1], l2, H) == 0);
  /* n = 1: the empty path. */
  CHECK_EQ(sy_merkle_proof((const uint8_t(*)[H])ids, 1, 0, g_h, path, &plen), SY_OK);
  CHECK_EQ(plen, 0);
  CHECK(sy_merkle_verify(ids[0], 0, 1, (const uint8_t(*)[H])path, 0, g_h, l0));
  CHECK(!sy_merkle_verify(ids[1], 0, 1, (const uint8_t(*)[H])path, 0, g_h, l0));
  CHECK(!sy_merkle_verify(ids[0], 0, 1, (const uint8_t(*)[H])path, 0, g_h, ids[0]));
}

static void test_empty_tree(void) {
  uint8_t ids[1][H] = {{0}}, path[SY_MERKLE_MAX_DEPTH][H], root[H];
  size_t plen = 0;
  CHECK_EQ(sy_merkle_proof((const uint8_t(*)[H])ids, 0, 0, g_h, path, &plen), SY_EINVAL);
  CHECK_EQ(sy_merkle_root(NULL, 0, g_h, root), SY_OK);
  /* Nothing is a member of the empty tree, not even against its own root. */
  CHECK(!sy_merkle_verify(ids[0], 0, 0, (const uint8_t(*)[H])path, 0, g_h, root));
  CHECK(!sy_merkle_verify(root, 0, 0, (const uint8_t(*)[H])path, 0, g_h, root));
}

/* Sides of the audit path for (m, n), leaf-first, without hashing. */
static size_t shape(size_t n, size_t m, uint8_t *side) {
  if (n <= 1) return 0;
  size_t k = ref_split(n), len;
  if (m < k) {
    len = shape(k, m, side);
    side[len] = 1;
  } else {
    len = shape(n - k, m - k, side);
    side[len] = 0;
  }
  return len + 1;
}

static void test_all_sizes(void) {
  static uint8_t ids[2 * NMAX + 2][H];
  for (size_t i = 0; i < sizeof ids / H; i++) {
    uint8_t seed[8];
    memcpy(seed, &i, sizeof seed < sizeof i ? sizeof seed : sizeof i);
    SHA256(seed, sizeof seed, ids[i]); /* distinct, unstructured ids */
  }
  const uint8_t(*cids)[H] = (const uint8_t(*)[H])ids;
  int roots_ok = 1, paths_ok = 1, verify_ok = 1, wrong_index_ok = 1, wrong_leaf_ok = 1;
  int wrong_root_ok = 1, wrong_size_ok = 1, bad_path_ok = 1, same_shape_seen = 0;
  for (size_t n = 1; n <= NMAX; n++) {
    uint8_t root[H], want[H];
    CHECK_EQ(sy_merkle_root(cids, n, g_h, root), SY_OK);
    ref_mth(cids, n, want);
    if (memcmp(root, want, H) != 0) {
      roots_ok = 0;
      fprintf(stderr, "root differs at n=%zu\n", n);
    }
    uint8_t other[H]; /* the neighbouring tree's root */
    ref_mth(cids, n + 1, other);
    for (size_t m = 0; m < n; m++) {
      uint8_t path[SY_MERKLE_MAX_DEPTH][H], rpath[SY_MERKLE_MAX_DEPTH][H];
      uint8_t side[SY_MERKLE_MAX_DEPTH], side2[SY_MERKLE_MAX_DEPTH];
      size_t plen = 0;
      CHECK_EQ(sy_merkle_proof(cids, n, m, g_h, path, &plen), SY_OK);
      size_t rlen = ref_path(cids, n, m, rpath, side);
      if (plen != rlen || memcmp(path, rpath, plen * H) != 0) {
        paths_ok = 0;
        fprintf(stderr, "path differs at n=%zu m=%zu\n", n, m);
      }
      const uint8_t(*cp)[H] = (const uint8_t(*)[H])path;
      if (!sy_merkle_verify(ids[m], m, n, cp, plen, g_h, root)) {
        verify_ok = 0;
        fprintf(stderr, "proof fails at n=%zu m=%zu\n", n, m);
      }
      /* Wrong index: within one tree size every index has its own shape. */
      for (size_t j = 0; j < n + 2; j++)
        if (j != m && sy_merkle_verify(ids[m], j, n, cp, plen, g_h, root)) wrong_index_ok = 0;
      /* Wrong leaf: another id, or the right id at the wrong position. */
      if (sy_merkle_verify(ids[n], m, n, cp, plen, g_h, root)) wrong_leaf_ok = 0;
      if (n > 1 && sy_merkle_verify(ids[(m + 1) % n], m, n, cp, plen, g_h, root))
        wrong_leaf_ok = 0;
      uint8_t leaf[H];
      ref_leaf(ids[m], leaf); /* a leaf hash passed as an id (second preimage) */
      if (sy_merkle_verify(leaf, m, n, cp, plen, g_h, root)) wrong_leaf_ok = 0;
      /* Wrong root: each bit flipped in turn, and the neighbouring tree's root. */
      for (int bit = 0; bit < 8 * H; bit += 7) {
        uint8_t r2[H];
        memcpy(r2, root, H);
        r2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (sy_merkle_verify(ids[m], m, n, cp, plen, g_h, r2)) wrong_root_ok = 0;
      }
      if (sy_merkle_verify(ids[m], m, n, cp, plen, g_h, other)) wrong_root_ok = 0;
      /* Wrong size. The audit path carries only sibling hashes, so a size
       * whose path for m has exactly the same shape (length and sides) is
       * indistinguishable by construction; the size itself is authenticated
       * by the block header (tx_count). Every other size must fail. */
      if (sy_merkle_verify(ids[m], m, 0, cp, plen, g_h, root)) wrong_size_ok = 0;
      for (size_t n2 = 1; n2 <= 2 * NMAX; n2++) {
        if (n2 == n) continue;
        size_t slen = m < n2 ? shape(n2, m, side2) : (size_t)-1;
        int same = slen == plen && memcmp(side, side2, plen) == 0;
        same_shape_seen += same;
        if (sy_merkle_verify(ids[m], m, n2, cp, plen, g_h, root) != same) {
          wrong_size_ok = 0;
          fprintf(stderr, "size %zu accepted=%d for proof of m=%zu n=%zu\n", n2, !same, m, n);
        }
      }
      /* Path too short, too long, or with one hash altered. */
      if (plen && sy_merkle_verify(ids[m], m, n, cp, plen - 1, g_h, root)) bad_path_ok = 0;
      memcpy(path[plen], root, H);
      if (sy_merkle_verify(ids[m], m, n, cp, plen + 1, g_h, root)) bad_path_ok = 0;
      for (size_t i = 0; i < plen; i++) {
        path[i][i % H] ^= 0x80;
        if (sy_merkle_verify(ids[m], m, n, cp, plen, g_h, root)) bad_path_ok = 0;
        path[i][i % H] ^= 0x80;
      }
      if (!sy_merkle_verify(ids[m], m, n, cp, plen, g_h, root)) bad_path_ok = 0;
    }
    /* Index out of range. */
    uint8_t path[SY_MERKLE_MAX_DEPTH][H];
    size_t plen = 0;
    CHECK_EQ(sy_merkle_proof(cids, n, n, g_h, path, &plen), SY_EINVAL);
  }
  CHECK(roots_ok);
  CHECK(paths_ok);
  CHECK(verify_ok);
  CHECK(wrong_index_ok);
  CHECK(wrong_leaf_ok);
  CHECK(wrong_root_ok);
  CHECK(wrong_size_ok);
  CHECK(bad_path_ok);
  CHECK(same_shape_seen > 0); /* e.g. leaf 0 of 3 and of 4 */
}

/* A larger tree, to exercise depths past what the loop above reaches. */
static void test_large(void) {
  const size_t n = 5000;
  uint8_t(*ids)[H] = malloc(n * H);
  if (!ids) abort();
  for (size_t i = 0; i < n; i++) {
    uint32_t v = (uint32_t)i;
    SHA256((const uint8_t *)&v, sizeof v, ids[i]);
  }
  uint8_t root[H], want[H];
  CHECK_EQ(sy_merkle_root((const uint8_t(*)[H])ids, n, g_h, root), SY_OK);
  ref_mth((const uint8_t(*)[H])ids, n, want);
  CHECK(memcmp(root, want, H) == 0);
  static const size_t idx[] = {0, 1, 2047, 2048, 4095, 4096, 4999};
  for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
    uint8_t path[SY_MERKLE_MAX_DEPTH][H];
    size_t plen = 0;
    CHECK_EQ(sy_merkle_proof((const uint8_t(*)[H])ids, n, idx[i], g_h, path, &plen), SY_OK);
    CHECK(plen <= 13);
    CHECK(sy_merkle_verify(ids[idx[i]], idx[i], n, (const uint8_t(*)[H])path, plen, g_h, root));
  }
  free(ids);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  g_h = sy_suite_default()->hash;
  test_known_answers();
  test_empty_tree();
  test_all_sizes();
  test_large();
  return sy_test_done("test_core_merkle");
}
