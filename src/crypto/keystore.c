/* Encrypted keystore files (SPEC M6: keys at rest encrypted; files 0600). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/key_internal.h"

#define KS_MAX_FILE 8192

static int g_strength = -1;

void sy_keystore_set_strength(int strength) { g_strength = strength; }

static void limits(unsigned long long *ops, size_t *mem) {
  int s = g_strength;
  if (s < 0) {
    const char *e = getenv("SUYUAN_KDF");
    s = (e && strcmp(e, "fast") == 0) ? SY_PWHASH_FAST : SY_PWHASH_MODERATE;
  }
  if (s == SY_PWHASH_FAST) {
    *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  } else {
    *ops = crypto_pwhash_OPSLIMIT_MODERATE;
    *mem = crypto_pwhash_MEMLIMIT_MODERATE;
  }
}

static int write_file_atomic(const char *path, const char *text) {
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) return SY_ENOMEM;
  snprintf(tmp, plen + 16, "%s.tmp%d", path, (int)getpid());
  int rc = SY_EIO;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) goto out;
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      goto fail;
    }
    off += (size_t)w;
  }
  if (fsync(fd) != 0) goto fail;
  if (close(fd) != 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  /* link() refuses to replace an existing file, unlike rename(). */
  if (link(tmp, path) != 0) {
    rc = errno == EEXIST ? SY_EEXIST : SY_EIO;
    goto fail;
  }
  unlink(tmp);
  rc = SY_OK;
  goto out;
fail:
  if (fd >= 0) close(fd);
  unlink(tmp);
out:
  free(tmp);
  return rc;
}

int sy_keystore_save(const sy_key *k, const char *path, const char *pass, size_t pass_len) {
  if (sy_crypto_init()) return SY_ECRYPTO;
  int rc = SY_ENOMEM;
  unsigned long long ops;
  size_t mem;
  limits(&ops, &mem);
  uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
  uint8_t *seed = sodium_malloc(SY_SEED_LEN);
  uint8_t ct[SY_SEED_LEN + crypto_secretbox_MACBYTES];
  cJSON *j = NULL;
  char *text = NULL;
  if (!kek || !seed) goto out;
  if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, pass_len, salt, ops, mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    rc = SY_ENOMEM; /* libsodium fails here only when it cannot get the memory */
    goto out;
  }
  if ((rc = sy_key_seed(k, seed, SY_SEED_LEN))) goto out;
  crypto_secretbox_easy(ct, seed, SY_SEED_LEN, nonce, kek);

  size_t pk_len;
  const uint8_t *pk = sy_key_public(k, &pk_len);
  char hex[2 * 128 + 1];
  rc = SY_ENOMEM;
  if (!(j = cJSON_CreateObject())) goto out;
  cJSON_AddNumberToObject(j, "version", 1);
  cJSON_AddStringToObject(j, "suite", sy_key_suite(k)->name);
  sy_hex_encode(hex, sy_key_id_of(k), SY_KEYID_LEN);
  cJSON_AddStringToObject(j, "key_id", hex);
  sy_hex_encode(hex, pk, pk_len);
  cJSON_AddStringToObject(j, "public_key", hex);
  cJSON_AddStringToObject(j, "kdf", "argon2id13");
  cJSON_AddNumberToObject(j, "opslimit", (double)ops);
  cJSON_AddNumberToObject(j, "memlimit", (double)mem);
  sy_hex_encode(hex, salt, sizeof salt);
  cJSON_AddStringToObject(j, "salt", hex);
  cJSON_AddStringToObject(j, "cipher", "xsalsa20poly1305");
  sy_hex_encode(hex, nonce, sizeof nonce);
  cJSON_AddStringToObject(j, "nonce", hex);
  sy_hex_encode(hex, ct, sizeof ct);
  cJSON_AddStringToObject(j, "ciphertext", hex);
  if (!(text = cJSON_Print(j))) goto out;
  rc = write_file_atomic(path, text);
out:
  sodium_free(kek);
  sodium_free(seed);
  cJSON_Delete(j);
  free(text);
  return rc;
}

static int read_json(const char *path, cJSON **out, int check_mode) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? SY_ENOTFOUND : SY_EIO;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > KS_MAX_FILE) {
    close(fd);
    return SY_EIO;
  }
  if (check_mode && (st.st_mode & 077)) {
    close(fd);
    return SY_EPERM;
  }
  char buf[KS_MAX_FILE + 1];
  ssize_t n = read(fd, buf, KS_MAX_FILE);
  close(fd);
  if (n < 0) return SY_EIO;
  buf[n] = 0;
  cJSON *j = cJSON_Parse(buf);
  sodium_memzero(buf, sizeof buf);
  if (!j) return SY_EPASSPHRASE;
  *out = j;
  return SY_OK;
}

static int get_hex(const cJSON *j, const char *name, uint8_t *out, size_t n) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
  if (!cJSON_IsString(v)) return SY_EMALFORMED;
  return sy_hex_decode(out, n, v->valuestring, strlen(v->valuestring));
}

int sy_keystore_public(const char *path, const sy_suite **suite, uint8_t *pk, size_t *pk_len) {
  cJSON *j = NULL;
  int rc = read_json(path, &j, 0);
  if (rc) return rc;
  const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "suite");
  const sy_suite *s = cJSON_IsString(sv) ? sy_suite_find(sv->valuestring) : NULL;
  rc = SY_EMALFORMED;
  if (s && get_hex(j, "public_key", pk, s->pk_len) == SY_OK) {
    *suite = s;
    *pk_len = s->pk_len;
    rc = SY_OK;
  }
  cJSON_Delete(j);
  return rc;
}

int sy_keystore_load(const char *path, const char *pass, size_t pass_len, sy_key **out) {
  if (sy_crypto_init()) return SY_ECRYPTO;
  cJSON *j = NULL;
  int rc = read_json(path, &j, 1);
  if (rc) return rc;
  uint8_t *kek = sodium_malloc(crypto_secretbox_KEYBYTES);
  uint8_t *seed = sodium_malloc(SY_SEED_LEN);
  uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
  uint8_t ct[SY_SEED_LEN + crypto_secretbox_MACBYTES], pk[SY_PK_MAX];
  rc = SY_ENOMEM;
  if (!kek || !seed) goto out;
  rc = SY_EPASSPHRASE;
  const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "suite");
  const cJSON *ov = cJSON_GetObjectItemCaseSensitive(j, "opslimit");
  const cJSON *mv = cJSON_GetObjectItemCaseSensitive(j, "memlimit");
  const sy_suite *s = cJSON_IsString(sv) ? sy_suite_find(sv->valuestring) : NULL;
  if (!s || !cJSON_IsNumber(ov) || !cJSON_IsNumber(mv)) goto out;
  /* Bound the work a hostile file can demand. */
  if (ov->valuedouble < crypto_pwhash_OPSLIMIT_MIN ||
      ov->valuedouble > crypto_pwhash_OPSLIMIT_SENSITIVE ||
      mv->valuedouble < crypto_pwhash_MEMLIMIT_MIN ||
      mv->valuedouble > crypto_pwhash_MEMLIMIT_SENSITIVE)
    goto out;
  if (get_hex(j, "salt", salt, sizeof salt) || get_hex(j, "nonce", nonce, sizeof nonce) ||
      get_hex(j, "ciphertext", ct, sizeof ct) || get_hex(j, "public_key", pk, s->pk_len))
    goto out;
  if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, pass, pass_len, salt,
                    (unsigned long long)ov->valuedouble, (size_t)mv->valuedouble,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    rc = SY_ENOMEM;
    goto out;
  }
  if (crypto_secretbox_open_easy(seed, ct, sizeof ct, nonce, kek) != 0) goto out;
  sy_key *k = NULL;
  if ((rc = sy_key_from_seed(s, seed, SY_SEED_LEN, &k))) goto out;
  size_t kpl;
  if (memcmp(sy_key_public(k, &kpl), pk, s->pk_len) != 0) {
    sy_key_free(k);
    rc = SY_EPASSPHRASE;
    goto out;
  }
  *out = k;
  rc = SY_OK;
out:
  sodium_free(kek);
  sodium_free(seed);
  cJSON_Delete(j);
  return rc;
}
