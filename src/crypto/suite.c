#include "crypto/suite.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "crypto/key_internal.h"

struct sy_key {
  const sy_suite *suite;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  uint8_t id[SY_KEYID_LEN];
  uint8_t *sk; /* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
};

/* SHA-256 through OpenSSL's EVP, one context per thread reused: EVP_Digest
 * allocates a context per call, which shows at 100k hashes a second. The
 * context is freed by a thread-specific-data destructor when its thread
 * exits (libmicrohttpd runs a thread per connection). */
static pthread_key_t g_ctx_key;
static const EVP_MD *g_sha256;

static void ctx_free(void *p) { EVP_MD_CTX_free(p); }

static void sha256_parts(const sy_slice *parts, size_t n, uint8_t out[SY_HASH_LEN]) {
  EVP_MD_CTX *tl_ctx = pthread_getspecific(g_ctx_key);
  if (!tl_ctx && (tl_ctx = EVP_MD_CTX_new()) && pthread_setspecific(g_ctx_key, tl_ctx) != 0) {
    EVP_MD_CTX_free(tl_ctx);
    tl_ctx = NULL;
  }
  if (!tl_ctx || !EVP_DigestInit_ex(tl_ctx, g_sha256, NULL)) goto fallback;
  for (size_t i = 0; i < n; i++)
    if (parts[i].len && !EVP_DigestUpdate(tl_ctx, parts[i].p, parts[i].len)) goto fallback;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(tl_ctx, out, &len) && len == SY_HASH_LEN) return;
fallback: {
  /* OpenSSL failed (out of memory): libsodium computes the same function. */
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  for (size_t i = 0; i < n; i++) crypto_hash_sha256_update(&st, parts[i].p, parts[i].len);
  crypto_hash_sha256_final(&st, out);
}
}

static int ed25519_verify(const uint8_t *sig, size_t sig_len, const uint8_t *msg, size_t msg_len,
                          const uint8_t *pk, size_t pk_len) {
  if (sig_len != crypto_sign_BYTES || pk_len != crypto_sign_PUBLICKEYBYTES) return 0;
  return crypto_sign_verify_detached(sig, msg, msg_len, pk) == 0;
}

static const sy_suite ED25519_SHA256 = {
    .name = "ed25519-sha256",
    .pk_len = crypto_sign_PUBLICKEYBYTES,
    .sig_len = crypto_sign_BYTES,
    .hash = sha256_parts,
    .verify = ed25519_verify,
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = SY_ECRYPTO;

static void do_init(void) {
  g_sha256 = EVP_sha256();
  if (pthread_key_create(&g_ctx_key, ctx_free) != 0) return;
  if (sodium_init() >= 0 && g_sha256) init_rc = SY_OK;
}

int sy_crypto_init(void) {
  pthread_once(&init_once, do_init);
  return init_rc;
}

const sy_suite *sy_suite_find(const char *name) {
  if (name && strcmp(name, ED25519_SHA256.name) == 0) return &ED25519_SHA256;
  return NULL;
}

const sy_suite *sy_suite_default(void) { return &ED25519_SHA256; }

void sy_key_id(const sy_suite *s, const uint8_t *pk, size_t pk_len, uint8_t out[SY_KEYID_LEN]) {
  uint8_t h[SY_HASH_LEN];
  sy_slice sl = {pk, pk_len};
  s->hash(&sl, 1, h);
  memcpy(out, h, SY_KEYID_LEN);
}

static sy_key *key_alloc(const sy_suite *s) {
  sy_key *k = calloc(1, sizeof *k);
  if (!k) return NULL;
  k->suite = s;
  k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
  if (!k->sk) {
    free(k);
    return NULL;
  }
  return k;
}

int sy_key_generate(const sy_suite *s, sy_key **out) {
  if (sy_crypto_init()) return SY_ECRYPTO;
  if (s != &ED25519_SHA256) return SY_EUNSUPPORTED;
  sy_key *k = key_alloc(s);
  if (!k) return SY_ENOMEM;
  crypto_sign_keypair(k->pk, k->sk);
  k->pk_len = crypto_sign_PUBLICKEYBYTES;
  sy_key_id(s, k->pk, k->pk_len, k->id);
  *out = k;
  return SY_OK;
}

/* Used by the keystore: builds a key from a decrypted 32-byte seed. */
int sy_key_from_seed(const sy_suite *s, const uint8_t *seed, size_t seed_len, sy_key **out) {
  if (s != &ED25519_SHA256 || seed_len != crypto_sign_SEEDBYTES) return SY_EUNSUPPORTED;
  sy_key *k = key_alloc(s);
  if (!k) return SY_ENOMEM;
  crypto_sign_seed_keypair(k->pk, k->sk, seed);
  k->pk_len = crypto_sign_PUBLICKEYBYTES;
  sy_key_id(s, k->pk, k->pk_len, k->id);
  *out = k;
  return SY_OK;
}

/* Used by the keystore: copies the seed out into caller's locked buffer. */
int sy_key_seed(const sy_key *k, uint8_t *seed, size_t seed_len) {
  if (seed_len != crypto_sign_SEEDBYTES) return SY_EINVAL;
  return crypto_sign_ed25519_sk_to_seed(seed, k->sk) == 0 ? SY_OK : SY_ECRYPTO;
}

void sy_key_free(sy_key *k) {
  if (!k) return;
  sodium_free(k->sk);
  sodium_memzero(k, sizeof *k);
  free(k);
}

const sy_suite *sy_key_suite(const sy_key *k) { return k->suite; }

const uint8_t *sy_key_public(const sy_key *k, size_t *len) {
  if (len) *len = k->pk_len;
  return k->pk;
}

const uint8_t *sy_key_id_of(const sy_key *k) { return k->id; }

int sy_key_sign(const sy_key *k, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len) {
  unsigned long long sl = 0;
  if (crypto_sign_detached(sig, &sl, msg, len, k->sk) != 0) return SY_ECRYPTO;
  *sig_len = (size_t)sl;
  return SY_OK;
}

int sy_key_sign_tx(const sy_key *k, sy_buf *out, uint8_t type, const char *chain_id,
                   uint64_t timestamp_ms, uint64_t nonce, const uint8_t *payload,
                   size_t payload_len) {
  sy_buf body = {0};
  int rc = sy_tx_encode_body(&body, type, chain_id, strlen(chain_id), k->id, timestamp_ms, nonce,
                             payload, payload_len);
  if (rc) goto done;
  uint8_t sig[SY_SIG_MAX];
  size_t sig_len = 0;
  rc = sy_key_sign(k, body.p, body.len, sig, &sig_len);
  if (rc) goto done;
  rc = sy_tx_encode(out, body.p, body.len, sig, sig_len);
done:
  sy_buf_free(&body);
  return rc;
}

int sy_ct_equal(const void *a, const void *b, size_t n) {
  if (n == 0) return 1;
  return sodium_memcmp(a, b, n) == 0;
}

struct sy_secret {
  char *p; /* sodium_malloc'd, read-only after sy_secret_new */
  size_t n;
};

int sy_secret_new(const char *p, size_t n, sy_secret **out) {
  if (!out || (!p && n)) return SY_EINVAL;
  if (sy_crypto_init()) return SY_ECRYPTO;
  sy_secret *s = calloc(1, sizeof *s);
  if (!s) return SY_ENOMEM;
  s->p = sodium_malloc(n ? n : 1);
  if (!s->p) {
    free(s);
    return SY_ENOMEM;
  }
  if (n) memcpy(s->p, p, n);
  s->n = n;
  sodium_mprotect_readonly(s->p);
  *out = s;
  return SY_OK;
}

void sy_secret_free(sy_secret *s) {
  if (!s) return;
  sodium_free(s->p); /* wipes, whatever its protection */
  free(s);
}

int sy_keystore_load_secret(const char *path, const sy_secret *s, sy_key **out) {
  if (!s) return SY_EINVAL;
  return sy_keystore_load(path, s->p, s->n, out);
}
