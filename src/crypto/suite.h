/* Crypto suites and keys (docs/crypto.md).
 *
 * A chain picks one suite in its genesis file, once. The first suite is
 * "ed25519-sha256": Ed25519 signatures from libsodium, SHA-256 from OpenSSL
 * (which uses the CPU's SHA extensions). "sm2-sm3" fits the same interface.
 *
 * Secret keys never leave this module: they live in sodium_malloc'd memory
 * inside an opaque sy_key, are wiped on free, and are written to disk only
 * encrypted (keystore.h). */
#ifndef SY_SUITE_H
#define SY_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/tx.h"

#define SY_PK_MAX 96

typedef struct sy_suite {
  const char *name;
  size_t pk_len;
  size_t sig_len;
  sy_hash_fn hash;
  /* Returns 1 when sig is a valid signature of msg under pk, else 0. */
  int (*verify)(const uint8_t *sig, size_t sig_len, const uint8_t *msg, size_t msg_len,
                const uint8_t *pk, size_t pk_len);
} sy_suite;

/* Must be called once before any other crypto call (initialises libsodium).
 * Thread-safe and idempotent. Returns SY_OK or SY_ECRYPTO. */
int sy_crypto_init(void);

/* The suite named `name`, or NULL. Static storage. */
const sy_suite *sy_suite_find(const char *name);
/* The default suite (ed25519-sha256). */
const sy_suite *sy_suite_default(void);

/* Key id of a public key: the first SY_KEYID_LEN bytes of H(pk). */
void sy_key_id(const sy_suite *s, const uint8_t *pk, size_t pk_len, uint8_t out[SY_KEYID_LEN]);

/* A key pair. Opaque: the secret half cannot be read out. */
typedef struct sy_key sy_key;

/* Generates a fresh key pair; *out is transferred to the caller. */
int sy_key_generate(const sy_suite *s, sy_key **out);
void sy_key_free(sy_key *k);
const sy_suite *sy_key_suite(const sy_key *k);
/* Public key bytes, borrowed until sy_key_free. */
const uint8_t *sy_key_public(const sy_key *k, size_t *len);
/* Key id, borrowed until sy_key_free. */
const uint8_t *sy_key_id_of(const sy_key *k);
/* Signs msg into sig (room for SY_SIG_MAX); *sig_len receives the length. */
int sy_key_sign(const sy_key *k, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);

/* Builds and signs a transaction envelope into out (appended). */
int sy_key_sign_tx(const sy_key *k, sy_buf *out, uint8_t type, const char *chain_id,
                   uint64_t timestamp_ms, uint64_t nonce, const uint8_t *payload,
                   size_t payload_len);

/* Keystore: the secret key encrypted under a passphrase (libsodium argon2id
 * pwhash + XSalsa20-Poly1305 secretbox), JSON, file mode 0600. The file is
 * written to a temporary name, fsynced and renamed, so a crash leaves either
 * the old file or the new one. Refuses to overwrite an existing file
 * (SY_EEXIST). */
int sy_keystore_save(const sy_key *k, const char *path, const char *pass, size_t pass_len);
/* Loads and decrypts; SY_EPASSPHRASE for a wrong passphrase or a damaged
 * file, SY_ENOTFOUND when there is no such file, SY_EIO when it cannot be read, SY_EPERM when the file is readable by
 * group or others. *out is transferred. */
int sy_keystore_load(const char *path, const char *pass, size_t pass_len, sy_key **out);
/* Reads only the public part (no passphrase needed). */
int sy_keystore_public(const char *path, const sy_suite **suite, uint8_t *pk, size_t *pk_len);

/* Work factor for new keystores: SY_PWHASH_MODERATE by default;
 * SY_PWHASH_FAST (libsodium's interactive limits) for tests and demos,
 * also chosen when the environment has SUYUAN_KDF=fast. */
enum { SY_PWHASH_FAST = 0, SY_PWHASH_MODERATE = 1 };
void sy_keystore_set_strength(int strength);

/* Constant-time comparison of a[0..n) and b[0..n): 1 when equal, else 0.
 * The time taken depends on n only (libsodium's sodium_memcmp), so it may
 * compare secrets such as token hashes. */
int sy_ct_equal(const void *a, const void *b, size_t n);

/* A secret (a passphrase) kept in guarded, locked memory (sodium_malloc:
 * guard pages, mlock, wiped on free) and read-only once stored. suyuand
 * keeps its passphrase this way to open custody keystores on demand. */
typedef struct sy_secret sy_secret;
/* Copies p[0..n) (n may be 0); *out is transferred. SY_ENOMEM, SY_ECRYPTO. */
int sy_secret_new(const char *p, size_t n, sy_secret **out);
/* Wipes and frees; NULL is a no-op. */
void sy_secret_free(sy_secret *s);
/* sy_keystore_load with the passphrase held in s (borrowed for the call);
 * same errors. Thread-safe: s is only read. */
int sy_keystore_load_secret(const char *path, const sy_secret *s, sy_key **out);

#endif
