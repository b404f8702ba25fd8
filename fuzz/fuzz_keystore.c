/* Encrypted keystore files (crypto/suite.h, keystore.c): a key file is read
 * from disk by `suyuand` and every `suyuan` command that signs, and may
 * have been tampered with. The input is written to a private temporary
 * file, mode 0600, which sy_keystore_load and sy_keystore_public then read.
 *
 * Invariants, beyond memory safety:
 *   - sy_keystore_load never accepts fuzzed bytes: it answers
 *     SY_EPASSPHRASE (not a keystore, damaged, or wrong passphrase), SY_EIO
 *     (larger than a keystore can be) or SY_ENOMEM (the KDF could not get
 *     its memory), and hands out no key;
 *   - sy_keystore_public answers SY_OK, SY_EMALFORMED, SY_EPASSPHRASE or
 *     SY_EIO, and on SY_OK a public key of the suite's length;
 *   - a file readable by group or others is refused with SY_EPERM before
 *     its contents are looked at.
 *
 * Speed: the file names its own Argon2id work factors; keystore.c caps
 * them at libsodium's SENSITIVE limits (4 passes, 1 GiB), which is still
 * seconds per input. So when the JSON asks for more than 1 MiB, this
 * target skips the sy_keystore_load call (the cap itself is tested in
 * tests/test_crypto_keystore.c); everything before the KDF is the same
 * code for small and large work factors. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sy_error.h"
#include "crypto/suite.h"
#include "fuzz_common.h"

#define KS_FILE_MAX 8192                   /* KS_MAX_FILE in keystore.c */
#define FUZZ_KDF_MEM_MAX (1024.0 * 1024.0) /* see "Speed" above */

static char g_path[4096];
static int g_fd = -1;

static void remove_file(void) {
  if (g_path[0]) unlink(g_path);
}

static void setup(void) {
  FUZZ_CHECK(sy_crypto_init() == SY_OK);
  const char *tmp = getenv("TMPDIR");
  snprintf(g_path, sizeof g_path, "%s/sy_fuzz_keystore.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  g_fd = mkstemp(g_path); /* mode 0600 */
  FUZZ_CHECK(g_fd >= 0);
  FUZZ_CHECK(fchmod(g_fd, 0600) == 0);
  atexit(remove_file);
}

static void write_input(const uint8_t *data, size_t size) {
  FUZZ_CHECK(ftruncate(g_fd, 0) == 0);
  size_t off = 0;
  while (off < size) {
    ssize_t w = pwrite(g_fd, data + off, size - off, (off_t)off);
    FUZZ_CHECK(w > 0);
    off += (size_t)w;
  }
}

/* 1 when the file asks the KDF for more memory than we spend per input. */
static int expensive(const uint8_t *data, size_t size) {
  if (size > KS_FILE_MAX) return 0; /* refused before parsing */
  char *s = fuzz_cstr(data, size);
  FUZZ_CHECK(s != NULL);
  cJSON *j = cJSON_Parse(s); /* what keystore.c parses: up to the first NUL */
  free(s);
  const cJSON *mv = cJSON_GetObjectItemCaseSensitive(j, "memlimit");
  int dear = cJSON_IsNumber(mv) && mv->valuedouble > FUZZ_KDF_MEM_MAX;
  cJSON_Delete(j);
  return dear;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    setup();
    ready = 1;
  }
  write_input(data, size);

  static const char pass[] = "fuzz-passphrase";
  if (!expensive(data, size)) {
    sy_key *k = NULL;
    int rc = sy_keystore_load(g_path, pass, sizeof pass - 1, &k);
    FUZZ_CHECK(rc == SY_EPASSPHRASE || rc == SY_EIO || rc == SY_ENOMEM);
    FUZZ_CHECK(k == NULL);
    sy_key_free(k);
  }

  const sy_suite *suite = NULL;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len = 0;
  int rc = sy_keystore_public(g_path, &suite, pk, &pk_len);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED || rc == SY_EPASSPHRASE || rc == SY_EIO);
  if (rc == SY_OK) FUZZ_CHECK(suite != NULL && pk_len == suite->pk_len);
  if (size > KS_FILE_MAX) FUZZ_CHECK(rc == SY_EIO);

  /* Group- or world-readable: refused whatever it holds. */
  FUZZ_CHECK(fchmod(g_fd, 0640) == 0);
  sy_key *k = NULL;
  rc = sy_keystore_load(g_path, pass, sizeof pass - 1, &k);
  FUZZ_CHECK(rc == (size > KS_FILE_MAX ? SY_EIO : SY_EPERM)); /* size is checked first */
  FUZZ_CHECK(k == NULL);
  FUZZ_CHECK(fchmod(g_fd, 0600) == 0);
  return 0;
}
