/* Signing, key ids and the encrypted keystore (crypto/suite.h).
 *
 * Keys cannot be read out of an sy_key, so "the loaded key is the saved key"
 * is checked through determinism: Ed25519 signatures are deterministic, so the
 * same message signed by both must give the same bytes. The key_internal.h
 * seed constructor is used only to know which bytes must never appear in a
 * keystore file. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "core/tx.h"
#include "crypto/key_internal.h"
#include "crypto/suite.h"
#include "testutil.h"

static const char PASS[] = "correct horse battery staple";
static char g_dir[512];

static const char *path_in(const char *name) {
  static char p[4][600];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
  return p[k];
}

/* Reads a whole file into a NUL-terminated heap string (caller frees). */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(65536);
  size_t n = buf ? fread(buf, 1, 65535, f) : 0;
  fclose(f);
  if (!buf) return NULL;
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

static int spit(const char *path, const char *text, mode_t mode) {
  unlink(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  int ok = write(fd, text, len) == (ssize_t)len;
  close(fd);
  chmod(path, mode); /* umask may have narrowed it */
  return ok ? 0 : -1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A copy of keystore `src` at `dst` (0600) with one JSON field replaced. */
static int rewrite_field(const char *src, const char *dst, const char *field, cJSON *value) {
  char *text = slurp(src, NULL);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!j) {
    cJSON_Delete(value);
    return -1;
  }
  if (!cJSON_GetObjectItemCaseSensitive(j, field)) {
    cJSON_Delete(value);
    cJSON_Delete(j);
    return -1;
  }
  if (value)
    cJSON_ReplaceItemInObjectCaseSensitive(j, field, value);
  else
    cJSON_DeleteItemFromObjectCaseSensitive(j, field);
  char *out = cJSON_Print(j);
  cJSON_Delete(j);
  int rc = out ? spit(dst, out, 0600) : -1;
  free(out);
  return rc;
}

static void test_suites(void) {
  const sy_suite *s = sy_suite_default();
  CHECK(s != NULL);
  CHECK(strcmp(s->name, "ed25519-sha256") == 0);
  CHECK(sy_suite_find("ed25519-sha256") == s);
  CHECK(sy_suite_find("ED25519-SHA256") == NULL);
  CHECK(sy_suite_find("") == NULL);
  CHECK(sy_suite_find(NULL) == NULL);
  CHECK_EQ(s->pk_len, 32);
  CHECK_EQ(s->sig_len, 64);
  CHECK(s->pk_len <= SY_PK_MAX && s->sig_len <= SY_SIG_MAX);

  /* The suite hash is SHA-256 of the concatenated parts, however split. */
  const char *msg = "The quick brown fox jumps over the lazy dog";
  size_t len = strlen(msg);
  uint8_t want[SY_HASH_LEN], got[SY_HASH_LEN];
  SHA256((const uint8_t *)msg, len, want);
  int ok = 1;
  for (size_t a = 0; a <= len; a++)
    for (size_t b = a; b <= len; b += 5) {
      sy_slice parts[3] = {{msg, a}, {msg + a, b - a}, {msg + b, len - b}};
      s->hash(parts, 3, got);
      if (memcmp(got, want, SY_HASH_LEN) != 0) ok = 0;
    }
  CHECK(ok);
  SHA256((const uint8_t *)"", 0, want);
  s->hash(NULL, 0, got);
  CHECK(memcmp(got, want, SY_HASH_LEN) == 0);
}

static void test_sign_verify(void) {
  const sy_suite *s = sy_suite_default();
  sy_key *k = NULL, *k2 = NULL;
  CHECK_EQ(sy_key_generate(s, &k), SY_OK);
  CHECK_EQ(sy_key_generate(s, &k2), SY_OK);
  if (!k || !k2) return;
  CHECK(sy_key_suite(k) == s);
  size_t pk_len = 0, pk2_len = 0;
  const uint8_t *pk = sy_key_public(k, &pk_len), *pk2 = sy_key_public(k2, &pk2_len);
  CHECK_EQ(pk_len, 32);
  CHECK(memcmp(pk, pk2, 32) != 0);

  /* Key id: the first 16 bytes of SHA-256(pk). */
  uint8_t h[SY_HASH_LEN], id[SY_KEYID_LEN];
  SHA256(pk, pk_len, h);
  CHECK(memcmp(sy_key_id_of(k), h, SY_KEYID_LEN) == 0);
  sy_key_id(s, pk, pk_len, id);
  CHECK(memcmp(id, h, SY_KEYID_LEN) == 0);
  CHECK(memcmp(sy_key_id_of(k), sy_key_id_of(k2), SY_KEYID_LEN) != 0);

  const uint8_t msg[] = "ObjectEvent urn:epc:id:sgtin:0614141.107346.2017 shipping";
  uint8_t sig[SY_SIG_MAX], sig2[SY_SIG_MAX];
  size_t sig_len = 0, sig2_len = 0;
  CHECK_EQ(sy_key_sign(k, msg, sizeof msg, sig, &sig_len), SY_OK);
  CHECK_EQ(sig_len, s->sig_len);
  CHECK(s->verify(sig, sig_len, msg, sizeof msg, pk, pk_len) == 1);
  CHECK_EQ(sy_key_sign(k, msg, sizeof msg, sig2, &sig2_len), SY_OK);
  CHECK(sig2_len == sig_len && memcmp(sig, sig2, sig_len) == 0); /* deterministic */

  /* Every flipped bit of the signature fails; so does a flipped bit of the
   * message (sampled), another key, or a wrong length. */
  int all = 1;
  for (size_t bit = 0; bit < 8 * sig_len; bit++) {
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (s->verify(sig, sig_len, msg, sizeof msg, pk, pk_len) != 0) all = 0;
    sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  CHECK(all);
  uint8_t m2[sizeof msg];
  all = 1;
  for (size_t bit = 0; bit < 8 * sizeof msg; bit += 3) {
    memcpy(m2, msg, sizeof msg);
    m2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (s->verify(sig, sig_len, m2, sizeof m2, pk, pk_len) != 0) all = 0;
  }
  CHECK(all);
  CHECK(s->verify(sig, sig_len, msg, sizeof msg - 1, pk, pk_len) == 0);
  CHECK(s->verify(sig, sig_len, msg, sizeof msg, pk2, pk2_len) == 0);
  CHECK(s->verify(sig, sig_len - 1, msg, sizeof msg, pk, pk_len) == 0);
  CHECK(s->verify(sig, sig_len, msg, sizeof msg, pk, pk_len - 1) == 0);
  CHECK(s->verify(sig, sig_len, msg, sizeof msg, pk, pk_len) == 1);
  /* An empty message signs and verifies too. */
  CHECK_EQ(sy_key_sign(k, msg, 0, sig, &sig_len), SY_OK);
  CHECK(s->verify(sig, sig_len, msg, 0, pk, pk_len) == 1);

  /* A signed transaction: decodes, names the signer, verifies over its body. */
  sy_buf env = {0};
  const char *payload = "{\"type\":\"ObjectEvent\"}";
  CHECK_EQ(sy_key_sign_tx(k, &env, SY_TX_RECORD, "bench", 1764100000000ULL, 99,
                          (const uint8_t *)payload, strlen(payload)),
           SY_OK);
  sy_tx tx;
  CHECK_EQ(sy_tx_decode(&tx, env.p, env.len), SY_OK);
  CHECK(memcmp(tx.signer, sy_key_id_of(k), SY_KEYID_LEN) == 0);
  CHECK(tx.chain_id_len == 5 && memcmp(tx.chain_id, "bench", 5) == 0);
  CHECK(tx.nonce == 99);
  CHECK(s->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, pk, pk_len) == 1);
  CHECK(s->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, pk2, pk2_len) == 0);
  /* The signature covers the body: change one payload byte and it fails. */
  uint8_t *mut = malloc(env.len);
  if (mut) {
    memcpy(mut, env.p, env.len);
    mut[4 + tx.body_len - 1] ^= 1;
    sy_tx t2;
    CHECK_EQ(sy_tx_decode(&t2, mut, env.len), SY_OK);
    CHECK(s->verify(t2.sig, t2.sig_len, t2.body, t2.body_len, pk, pk_len) == 0);
    free(mut);
  }
  /* Encoding errors pass through and leave the output buffer unchanged. */
  size_t before = env.len;
  CHECK_EQ(sy_key_sign_tx(k, &env, SY_TX_RECORD, "", 0, 0, NULL, 0), SY_EINVAL);
  CHECK_EQ(env.len, before);
  sy_buf_free(&env);

  sy_key_free(k);
  sy_key_free(k2);
  sy_key_free(NULL); /* no-op */
}

static void test_keystore(void) {
  const sy_suite *s = sy_suite_default();
  /* A key from a known seed, so we know which bytes must never hit the disk. */
  uint8_t seed[SY_SEED_LEN];
  for (int i = 0; i < SY_SEED_LEN; i++) seed[i] = (uint8_t)(0xc0 ^ (i * 37));
  sy_key *k = NULL, *l = NULL;
  CHECK_EQ(sy_key_from_seed(s, seed, sizeof seed, &k), SY_OK);
  if (!k) return;
  char path[600]; /* own copy: path_in() recycles its buffers */
  snprintf(path, sizeof path, "%s", path_in("a.key"));

  mode_t old = umask(0); /* the 0600 must not depend on the caller's umask */
  CHECK_EQ(sy_keystore_save(k, path, PASS, strlen(PASS)), SY_OK);
  umask(old);
  struct stat st;
  CHECK_EQ(stat(path, &st), 0);
  CHECK_EQ(st.st_mode & 07777, 0600);
  CHECK(S_ISREG(st.st_mode));

  /* The file holds neither the seed nor the secret key, in any form we can think of. */
  size_t flen = 0;
  char *text = slurp(path, &flen);
  CHECK(text != NULL);
  if (text) {
    char hex[2 * SY_SEED_LEN + 1], half[SY_SEED_LEN + 1];
    sy_hex_encode(hex, seed, sizeof seed);
    CHECK(strstr(text, hex) == NULL);
    memcpy(half, hex, SY_SEED_LEN); /* the first 16 seed bytes alone */
    half[SY_SEED_LEN] = 0;
    CHECK(strstr(text, half) == NULL);
    for (char *c = hex; *c; c++) *c = (char)(*c >= 'a' ? *c - 'a' + 'A' : *c);
    CHECK(strcasestr(text, hex) == NULL);
    char b64[64];
    sy_b64_encode(b64, seed, sizeof seed);
    CHECK(strstr(text, b64) == NULL);
    CHECK(memmem(text, flen, seed, sizeof seed) == NULL);
    /* It does name the public key and the key id. */
    size_t pk_len;
    const uint8_t *pk = sy_key_public(k, &pk_len);
    char pkhex[2 * SY_PK_MAX + 1], idhex[2 * SY_KEYID_LEN + 1];
    sy_hex_encode(pkhex, pk, pk_len);
    sy_hex_encode(idhex, sy_key_id_of(k), SY_KEYID_LEN);
    CHECK(strstr(text, pkhex) != NULL);
    CHECK(strstr(text, idhex) != NULL);
    cJSON *j = cJSON_Parse(text);
    CHECK(j != NULL);
    /* ctest sets SUYUAN_KDF=fast: the file records the interactive limits. */
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "opslimit");
    CHECK(cJSON_IsNumber(ops) && ops->valuedouble <= 4);
    cJSON_Delete(j);
    free(text);
  }
  /* No temporary file is left behind. */
  DIR *d = opendir(g_dir);
  int entries = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.') entries++;
  if (d) closedir(d);
  CHECK_EQ(entries, 1);

  /* Roundtrip: same public key, id, and (deterministic) signatures. */
  CHECK_EQ(sy_keystore_load(path, PASS, strlen(PASS), &l), SY_OK);
  if (l) {
    size_t a_len, b_len;
    const uint8_t *a = sy_key_public(k, &a_len), *b = sy_key_public(l, &b_len);
    CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
    CHECK(memcmp(sy_key_id_of(k), sy_key_id_of(l), SY_KEYID_LEN) == 0);
    CHECK(sy_key_suite(l) == s);
    const uint8_t msg[] = "same message, same key, same signature";
    uint8_t s1[SY_SIG_MAX], s2[SY_SIG_MAX];
    size_t n1 = 0, n2 = 0;
    CHECK_EQ(sy_key_sign(k, msg, sizeof msg, s1, &n1), SY_OK);
    CHECK_EQ(sy_key_sign(l, msg, sizeof msg, s2, &n2), SY_OK);
    CHECK(n1 == n2 && memcmp(s1, s2, n1) == 0);
    CHECK(s->verify(s2, n2, msg, sizeof msg, a, a_len) == 1);
    sy_key_free(l);
    l = NULL;
  }
  /* Public part without the passphrase. */
  const sy_suite *ps = NULL;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len = 0;
  CHECK_EQ(sy_keystore_public(path, &ps, pk, &pk_len), SY_OK);
  CHECK(ps == s && pk_len == 32);
  CHECK(memcmp(pk, sy_key_public(k, NULL), 32) == 0);

  /* Wrong passphrases: different, a prefix, one extra byte, empty. */
  CHECK_EQ(sy_keystore_load(path, "wrong", 5, &l), SY_EPASSPHRASE);
  CHECK_EQ(sy_keystore_load(path, PASS, strlen(PASS) - 1, &l), SY_EPASSPHRASE);
  CHECK_EQ(sy_keystore_load(path, PASS, strlen(PASS) + 1, &l), SY_EPASSPHRASE);
  CHECK_EQ(sy_keystore_load(path, "", 0, &l), SY_EPASSPHRASE);
  CHECK(l == NULL);

  /* Saving over an existing file is refused and leaves it intact. */
  sy_key *other = NULL;
  CHECK_EQ(sy_key_generate(s, &other), SY_OK);
  char *before = slurp(path, NULL);
  CHECK_EQ(sy_keystore_save(other, path, PASS, strlen(PASS)), SY_EEXIST);
  char *after = slurp(path, NULL);
  CHECK(before && after && strcmp(before, after) == 0);
  free(before);
  free(after);
  d = opendir(g_dir);
  entries = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.') entries++;
  if (d) closedir(d);
  CHECK_EQ(entries, 1); /* its temporary file was removed */
  sy_key_free(other);

  /* Permissions: readable by group or others is refused, before decrypting. */
  static const mode_t loose[] = {0644, 0640, 0604, 0660, 0606, 0601, 0610};
  for (size_t i = 0; i < sizeof loose / sizeof loose[0]; i++) {
    CHECK_EQ(chmod(path, loose[i]), 0);
    CHECK_EQ(sy_keystore_load(path, PASS, strlen(PASS), &l), SY_EPERM);
    CHECK(l == NULL);
  }
  CHECK_EQ(chmod(path, 0400), 0);
  CHECK_EQ(sy_keystore_load(path, PASS, strlen(PASS), &l), SY_OK);
  sy_key_free(l);
  l = NULL;
  CHECK_EQ(chmod(path, 0600), 0);

  /* Missing file. */
  int rc = sy_keystore_load(path_in("nope.key"), PASS, strlen(PASS), &l);
  CHECK(rc == SY_ENOTFOUND || rc == SY_EIO);
  /* A directory, not a file. */
  CHECK_EQ(sy_keystore_load(g_dir, PASS, strlen(PASS), &l), SY_EIO);

  /* Corruption: each hex digit of the ciphertext (MAC included) changed in
   * turn gives SY_EPASSPHRASE, never a different key. */
  text = slurp(path, NULL);
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  free(text);
  const cJSON *ctv = cJSON_GetObjectItemCaseSensitive(j, "ciphertext");
  CHECK(cJSON_IsString(ctv));
  if (cJSON_IsString(ctv)) {
    size_t ctl = strlen(ctv->valuestring);
    CHECK_EQ(ctl, 2 * (SY_SEED_LEN + 16));
    int all = 1;
    for (size_t i = 0; i < ctl; i += 5) {
      char *ct = strdup(ctv->valuestring);
      ct[i] = ct[i] == '0' ? '1' : '0';
      CHECK_EQ(rewrite_field(path, path_in("c.key"), "ciphertext", cJSON_CreateString(ct)), 0);
      free(ct);
      int r = sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l);
      if (r != SY_EPASSPHRASE) {
        all = 0;
        fprintf(stderr, "corrupted ciphertext digit %zu: %s\n", i, sy_err_name(r));
      }
    }
    CHECK(all);
  }
  cJSON_Delete(j);
  /* Other damage: salt, nonce, public key swapped for another key's, fields
   * missing, truncated JSON, not JSON at all. */
  static const char *zero64 = "0000000000000000000000000000000000000000000000000000000000000000";
  static const char *zero48 = "000000000000000000000000000000000000000000000000";
  static const char *zero32 = "00000000000000000000000000000000";
  CHECK_EQ(rewrite_field(path, path_in("c.key"), "salt", cJSON_CreateString(zero32)), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  CHECK_EQ(rewrite_field(path, path_in("c.key"), "nonce", cJSON_CreateString(zero48)), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  CHECK_EQ(rewrite_field(path, path_in("c.key"), "public_key", cJSON_CreateString(zero64)), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  CHECK_EQ(rewrite_field(path, path_in("c.key"), "suite", cJSON_CreateString("sm9-unknown")), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  static const char *required[] = {"suite", "opslimit", "memlimit", "salt", "nonce", "ciphertext",
                                   "public_key"};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    CHECK_EQ(rewrite_field(path, path_in("c.key"), required[i], NULL), 0);
    rc = sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l);
    if (rc != SY_EPASSPHRASE) fprintf(stderr, "without %s: %s\n", required[i], sy_err_name(rc));
    CHECK_EQ(rc, SY_EPASSPHRASE);
  }
  CHECK_EQ(rewrite_field(path, path_in("c.key"), "salt", cJSON_CreateNumber(5)), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  text = slurp(path, NULL);
  if (text) {
    text[strlen(text) / 2] = 0;
    CHECK_EQ(spit(path_in("c.key"), text, 0600), 0);
    CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
    free(text);
  }
  CHECK_EQ(spit(path_in("c.key"), "", 0600), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  CHECK_EQ(spit(path_in("c.key"), "\x7f" "ELF", 0600), 0);
  CHECK_EQ(sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  /* An oversized file is not read. */
  char *big = malloc(20000);
  if (big) {
    memset(big, ' ', 19999);
    big[0] = '{';
    big[19998] = '}';
    big[19999] = 0;
    CHECK_EQ(spit(path_in("c.key"), big, 0600), 0);
    rc = sy_keystore_load(path_in("c.key"), PASS, strlen(PASS), &l);
    CHECK(rc == SY_EIO || rc == SY_EPASSPHRASE || rc == SY_ETOOBIG);
    free(big);
  }
  CHECK(l == NULL);

  /* A hostile file demanding enormous KDF work is refused at once, not
   * after minutes of hashing or gigabytes of allocation. */
  struct {
    const char *field;
    double value;
  } hostile[] = {
      {"opslimit", 4294967295.0}, {"opslimit", 1e18},         {"opslimit", 1e300},
      {"memlimit", 1e15},         {"memlimit", 4294967296.0}, {"memlimit", 1e300},
      {"opslimit", -1},           {"memlimit", -1},           {"opslimit", 0},
      {"memlimit", 0},
  };
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    cJSON *v = cJSON_CreateNumber(hostile[i].value);
    CHECK_EQ(rewrite_field(path, path_in("h.key"), hostile[i].field, v), 0);
    double t0 = now_s();
    rc = sy_keystore_load(path_in("h.key"), PASS, strlen(PASS), &l);
    double dt = now_s() - t0;
    if (rc != SY_EPASSPHRASE || dt > 0.5)
      fprintf(stderr, "hostile %s=%g: %s after %.3fs\n", hostile[i].field, hostile[i].value,
              sy_err_name(rc), dt);
    CHECK_EQ(rc, SY_EPASSPHRASE);
    CHECK(dt < 0.5);
  }
  CHECK_EQ(rewrite_field(path, path_in("h.key"), "opslimit", cJSON_CreateString("3")), 0);
  CHECK_EQ(sy_keystore_load(path_in("h.key"), PASS, strlen(PASS), &l), SY_EPASSPHRASE);
  CHECK(l == NULL);

  /* A second key saved elsewhere loads as itself, not as the first. */
  sy_key *k3 = NULL, *l3 = NULL;
  CHECK_EQ(sy_key_generate(s, &k3), SY_OK);
  CHECK_EQ(sy_keystore_save(k3, path_in("b.key"), "other pass", 10), SY_OK);
  CHECK_EQ(sy_keystore_load(path_in("b.key"), "other pass", 10, &l3), SY_OK);
  if (k3 && l3) {
    CHECK(memcmp(sy_key_id_of(k3), sy_key_id_of(l3), SY_KEYID_LEN) == 0);
    CHECK(memcmp(sy_key_id_of(k), sy_key_id_of(l3), SY_KEYID_LEN) != 0);
  }
  /* Same key, same passphrase, saved twice: fresh salt and nonce each time. */
  CHECK_EQ(sy_keystore_save(k, path_in("a2.key"), PASS, strlen(PASS)), SY_OK);
  char *t1 = slurp(path, NULL), *t2 = slurp(path_in("a2.key"), NULL);
  cJSON *j1 = t1 ? cJSON_Parse(t1) : NULL, *j2 = t2 ? cJSON_Parse(t2) : NULL;
  static const char *fresh[] = {"salt", "nonce", "ciphertext"};
  for (size_t i = 0; i < 3; i++) {
    const cJSON *v1 = cJSON_GetObjectItemCaseSensitive(j1, fresh[i]);
    const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(j2, fresh[i]);
    CHECK(cJSON_IsString(v1) && cJSON_IsString(v2) &&
          strcmp(v1->valuestring, v2->valuestring) != 0);
  }
  cJSON_Delete(j1);
  cJSON_Delete(j2);
  free(t1);
  free(t2);
  sy_key_free(k3);
  sy_key_free(l3);
  sy_key_free(k);
}

int main(void) {
  setenv("SUYUAN_KDF", "fast", 0); /* ctest sets it; keep a hand run quick too */
  CHECK_EQ(sy_crypto_init(), SY_OK);
  CHECK_EQ(sy_crypto_init(), SY_OK); /* idempotent */
  const char *dir = sy_test_dir("test_crypto_keystore");
  CHECK(dir != NULL);
  if (!dir) return sy_test_done("test_crypto_keystore");
  snprintf(g_dir, sizeof g_dir, "%s", dir);
  test_suites();
  test_sign_verify();
  test_keystore();
  return sy_test_done("test_crypto_keystore");
}
