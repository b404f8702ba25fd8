/* `suyuan token create|list|revoke`: Bearer tokens for a node's EPCIS
 * routes (POST /capture, ...). Node-local files, not on the chain; the
 * format is the contract of docs/trace.md:
 *
 *   DATA/tokens.json          {"tokens": [{"id", "hash", "key_id", "name",
 *                             "created_ms", "expires_ms", "revoked"}]}, 0600
 *   DATA/custody/<key id>.key the member's key, a keystore encrypted with the
 *                             node's passphrase, 0600, so the node can sign
 *                             for the token's holder
 *
 * A token string is "syt_<16 hex id>_<64 hex random>"; only its SHA-256 is
 * stored, and it is printed once. tokens.json is rewritten atomically (temp
 * file 0600, fsync, rename, fsync of the directory) under an exclusive
 * flock(2) on DATA, so two edits at once do not lose one another. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"

#define TOKENS_FILE "tokens.json"
#define TOKENS_MAX ((size_t)16 << 20)
#define TOKEN_ID_BYTES 8
#define TOKEN_SECRET_BYTES 32
#define TOKEN_PREFIX "syt_"
/* "syt_" + 16 + "_" + 64 */
#define TOKEN_LEN (4 + 2 * TOKEN_ID_BYTES + 1 + 2 * TOKEN_SECRET_BYTES)
#define PASS_MAX 1024
#define NAME_MAX_BYTES 200
#define DEFAULT_TTL_DAYS 90

static const char TOKEN_USAGE[] =
    "suyuan token create --data DIR --member-key FILE [--name TEXT] [--ttl-days N]\n"
    "                           [--node-passphrase-file FILE]\n"
    "       suyuan token list --data DIR\n"
    "       suyuan token revoke --data DIR TOKEN_ID";

static const char TOKEN_HELP[] =
    "usage: suyuan token create --data DIR --member-key FILE [--name TEXT] [--ttl-days N]\n"
    "                           [--node-passphrase-file FILE]\n"
    "       suyuan token list --data DIR\n"
    "       suyuan token revoke --data DIR TOKEN_ID\n"
    "\n"
    "Bearer tokens for the node's EPCIS routes (POST /capture, ...). They live in\n"
    "the node's data directory, not on the chain: run these on the node's machine.\n"
    "A token acts for one member key: the node signs what the token's holder\n"
    "captures with that key, so the member's roles decide what is recorded valid.\n"
    "\n"
    "  create   a new token for the member key in FILE. The key is copied to\n"
    "           DIR/custody/<key id>.key, encrypted with the node's passphrase (the\n"
    "           one that opens DIR/keys/node.key): from --node-passphrase-file, else\n"
    "           $SUYUAN_NODE_PASSPHRASE, else the member key's own passphrase. The\n"
    "           token is printed once; the node keeps only its SHA-256 hash.\n"
    "  list     the tokens: id, member key, name, created, expires, status (never\n"
    "           the tokens themselves)\n"
    "  revoke   revoke a token by its 16-hex id; the node refuses it from then on\n"
    "\n"
    "  -d, --data DIR                the node's data directory\n"
    "  -k, --member-key FILE         the member's keystore (asks for its passphrase)\n"
    "      --name TEXT               what the token is for (shown by list)\n"
    "      --ttl-days N              expires after N days (default 90; 0 = never)\n"
    "      --node-passphrase-file F  the node's passphrase (first line of F)\n"
    "\n"
    "Exit status: 0 ok; 1 a file cannot be read or written, wrong passphrase, a\n"
    "different custody key already there, no such token; 2 usage error.\n";

enum { OPT_NAME = CLI_OPT_FIRST_LOCAL, OPT_TTL, OPT_NODE_PASSFILE };

/* ---- files ------------------------------------------------------------------------------- */

static int path_join(char *out, size_t size, const char *dir, const char *name) {
  int n = snprintf(out, size, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= size) {
    cli_err("path too long: %s/%s", dir, name);
    return -1;
  }
  return 0;
}

/* Opens DIR and takes an exclusive lock on it (released by close). */
static int lock_dir(const char *dir, int *fd_out) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    cli_err("cannot open the data directory %s: %s", dir, strerror(errno));
    return CLI_FAIL;
  }
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    cli_err("cannot lock %s: %s", dir, strerror(errno));
    close(fd);
    return CLI_FAIL;
  }
  *fd_out = fd;
  return CLI_OK;
}

/* Reads DIR/tokens.json (an empty list when there is none). *out transferred.
 * A file that is there but not the expected shape is an error: it is never
 * overwritten blindly. */
static int load_tokens(const char *dir, cJSON **out) {
  char path[PATH_MAX];
  if (path_join(path, sizeof path, dir, TOKENS_FILE)) return CLI_FAIL;
  uint8_t *text = NULL;
  size_t len = 0;
  int rc = cli_read_file(path, TOKENS_MAX, &text, &len);
  if (rc == SY_ENOTFOUND) {
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddArrayToObject(j, "tokens")) {
      cJSON_Delete(j);
      cli_err("out of memory");
      return CLI_FAIL;
    }
    *out = j;
    return CLI_OK;
  }
  if (rc) {
    cli_err("cannot read %s: %s", path, rc == SY_ETOOBIG ? "too large" : strerror(errno));
    return CLI_FAIL;
  }
  struct stat st;
  if (stat(path, &st) == 0 && (st.st_mode & 077))
    cli_err("warning: %s is readable by others (mode %03o); it will be rewritten 0600", path,
            (unsigned)(st.st_mode & 0777));
  cJSON *j = cJSON_ParseWithLength((const char *)text, len);
  free(text);
  if (!cJSON_IsObject(j) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "tokens"))) {
    cJSON_Delete(j);
    cli_err("%s is not a token file ({\"tokens\": [...]}); not touching it", path);
    return CLI_FAIL;
  }
  *out = j;
  return CLI_OK;
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Replaces DIR/tokens.json with j: temp file 0600, fsync, rename, fsync DIR. */
static int save_tokens(const char *dir, int dir_fd, const cJSON *j) {
  char path[PATH_MAX], tmp[PATH_MAX + 32];
  if (path_join(path, sizeof path, dir, TOKENS_FILE)) return CLI_FAIL;
  snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, TOKENS_FILE, (long)getpid());
  char *text = cJSON_Print(j);
  if (!text) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  size_t len = strlen(text);
  int rc = CLI_FAIL;
  unlink(tmp); /* a leftover of a crashed run with our pid; we hold the lock */
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    cli_err("cannot create %s: %s", tmp, strerror(errno));
    goto undo_text;
  }
  if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != 0 || write_all(fd, "\n", 1) != 0 ||
      fsync(fd) != 0) {
    cli_err("cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    goto undo_tmp;
  }
  if (close(fd) != 0) {
    cli_err("cannot write %s: %s", tmp, strerror(errno));
    goto undo_tmp;
  }
  if (rename(tmp, path) != 0) {
    cli_err("cannot replace %s: %s", path, strerror(errno));
    goto undo_tmp;
  }
  if (fsync(dir_fd) != 0) cli_err("warning: cannot fsync %s: %s", dir, strerror(errno));
  rc = CLI_OK;
  goto undo_text;
undo_tmp:
  unlink(tmp);
undo_text:
  explicit_bzero(text, len);
  free(text);
  return rc;
}

static int fill_random(uint8_t *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(p + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)r;
  }
  return 0;
}

static void format_ms(double ms, char *out, size_t size) {
  if (ms <= 0) {
    snprintf(out, size, "never");
    return;
  }
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  if (!gmtime_r(&s, &tm)) {
    snprintf(out, size, "?");
    return;
  }
  strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double jnum(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int is_lower_hex(const char *s, size_t n) {
  if (strlen(s) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return 1;
}

/* ---- keys --------------------------------------------------------------------------------- */

/* Loads a keystore with an explicit passphrase, reporting failures. */
static int load_with(const char *path, const char *pass, size_t plen, const char *what,
                     sy_key **out) {
  int rc = sy_keystore_load(path, pass, plen, out);
  switch (rc) {
    case SY_OK:
      return CLI_OK;
    case SY_EPASSPHRASE:
      cli_err("%s %s: wrong passphrase (or the key file is damaged)", what, path);
      break;
    case SY_EPERM:
      cli_err("%s %s is readable by group or others; refusing to use it (chmod 600 %s)", what, path,
              path);
      break;
    case SY_ENOTFOUND:
      cli_err("%s %s: no such file", what, path);
      break;
    default:
      cli_err("cannot load %s %s: %s", what, path, sy_strerror(rc));
  }
  return CLI_FAIL;
}

/* The node's passphrase: --node-passphrase-file, $SUYUAN_NODE_PASSPHRASE,
 * else the member's (given). */
static int node_passphrase(const char *file, const char *member, size_t mlen, char *buf,
                           size_t size, size_t *len, const char **source) {
  if (file) {
    uint8_t *text = NULL;
    size_t n = 0;
    int rc = cli_read_file(file, 4096, &text, &n);
    if (rc) {
      cli_err("cannot read the node passphrase file %s: %s", file,
              rc == SY_ETOOBIG ? "too large" : strerror(errno));
      return CLI_FAIL;
    }
    size_t line = 0;
    while (line < n && text[line] != '\n') line++;
    if (line > 0 && text[line - 1] == '\r') line--;
    int ok = line > 0 && line < size;
    if (ok) {
      memcpy(buf, text, line);
      buf[line] = 0;
      *len = line;
    }
    explicit_bzero(text, n);
    free(text);
    if (!ok) {
      cli_err("node passphrase file %s: %s", file,
              line == 0 ? "the first line is empty" : "passphrase too long");
      return CLI_FAIL;
    }
    *source = "--node-passphrase-file";
    return CLI_OK;
  }
  const char *env = getenv("SUYUAN_NODE_PASSPHRASE");
  if (env && *env) {
    size_t n = strlen(env);
    if (n >= size) {
      cli_err("SUYUAN_NODE_PASSPHRASE is too long");
      return CLI_FAIL;
    }
    memcpy(buf, env, n + 1);
    *len = n;
    *source = "SUYUAN_NODE_PASSPHRASE";
    return CLI_OK;
  }
  memcpy(buf, member, mlen);
  buf[mlen] = 0;
  *len = mlen;
  *source = "the member key's passphrase";
  return CLI_OK;
}

/* Puts the member key into DIR/custody/<key id>.key unless that very key is
 * there already (and opens with the node's passphrase). */
static int ensure_custody(const char *dir, const sy_key *key, const char *key_hex, const char *pass,
                          size_t plen, char *path, size_t size) {
  char cdir[PATH_MAX];
  if (path_join(cdir, sizeof cdir, dir, "custody")) return CLI_FAIL;
  if (mkdir(cdir, 0700) != 0 && errno != EEXIST) {
    cli_err("cannot create %s: %s", cdir, strerror(errno));
    return CLI_FAIL;
  }
  struct stat st;
  if (lstat(cdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_err("%s is not a directory", cdir);
    return CLI_FAIL;
  }
  char name[2 * SY_KEYID_LEN + 8];
  snprintf(name, sizeof name, "%s.key", key_hex);
  if (path_join(path, size, cdir, name)) return CLI_FAIL;
  size_t pk_len = 0, have_len = 0;
  const uint8_t *pk = sy_key_public(key, &pk_len);
  for (int attempt = 0; attempt < 2; attempt++) {
    int rc = sy_keystore_save(key, path, pass, plen);
    if (rc == SY_OK) return CLI_OK;
    if (rc != SY_EEXIST) {
      cli_err("cannot write the custody key %s: %s", path, sy_strerror(rc));
      return CLI_FAIL;
    }
    /* Already there: fine if it is this key and the node can open it. */
    const sy_suite *suite;
    uint8_t have[SY_PK_MAX];
    rc = sy_keystore_public(path, &suite, have, &have_len);
    if (rc == SY_ENOTFOUND) continue; /* removed meanwhile: try again */
    if (rc) {
      cli_err("%s exists and is not a key file (%s); refusing to overwrite it", path,
              sy_strerror(rc));
      return CLI_FAIL;
    }
    if (have_len != pk_len || memcmp(have, pk, pk_len) != 0) {
      cli_err("%s holds a different key; refusing to overwrite it", path);
      return CLI_FAIL;
    }
    sy_key *k = NULL;
    rc = sy_keystore_load(path, pass, plen, &k);
    sy_key_free(k);
    if (rc == SY_EPASSPHRASE) {
      cli_err(
          "%s holds this key but does not open with the node's passphrase; remove it "
          "first if it is stale",
          path);
      return CLI_FAIL;
    }
    if (rc) {
      cli_err("cannot check the custody key %s: %s", path, sy_strerror(rc));
      return CLI_FAIL;
    }
    return CLI_OK;
  }
  cli_err("cannot write the custody key %s", path);
  return CLI_FAIL;
}

/* ---- create ------------------------------------------------------------------------------- */

static int token_create(cli *c, int argc, char **argv) {
  static const struct option opts[] = {
      {"data", required_argument, NULL, 'd'},
      {"member-key", required_argument, NULL, 'k'},
      {"name", required_argument, NULL, OPT_NAME},
      {"ttl-days", required_argument, NULL, OPT_TTL},
      {"node-passphrase-file", required_argument, NULL, OPT_NODE_PASSFILE},
      CLI_COMMON_OPTIONS};
  const char *dir = NULL, *keyfile = NULL, *name = "", *node_passfile = NULL;
  uint64_t ttl_days = DEFAULT_TTL_DAYS;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hd:k:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(TOKEN_HELP);
      case 'd':
        dir = optarg;
        break;
      case 'k':
        keyfile = optarg;
        break;
      case OPT_NAME:
        name = optarg;
        break;
      case OPT_TTL:
        if (cli_parse_u64(optarg, &ttl_days) || ttl_days > 36500) {
          cli_err("--ttl-days wants 0 (never expires) to 36500, not '%s'", optarg);
          return cli_usage(c, TOKEN_USAGE);
        }
        break;
      case OPT_NODE_PASSFILE:
        node_passfile = optarg;
        break;
      default:
        return cli_usage(c, TOKEN_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, TOKEN_USAGE);
  }
  if (!dir || !keyfile) {
    cli_err("missing %s", !dir ? "--data DIR" : "--member-key FILE");
    return cli_usage(c, TOKEN_USAGE);
  }
  if (strlen(name) > NAME_MAX_BYTES) {
    cli_err("--name is longer than %d bytes", NAME_MAX_BYTES);
    return cli_usage(c, TOKEN_USAGE);
  }
  for (const char *p = name; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      cli_err("--name contains a control character");
      return cli_usage(c, TOKEN_USAGE);
    }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_err("%s is not a directory (the node's data directory)", dir);
    return CLI_FAIL;
  }
  /* Check the key file before asking for a passphrase. */
  const sy_suite *suite;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  errno = 0;
  int rc = sy_keystore_public(keyfile, &suite, pk, &pk_len);
  if (rc) {
    cli_err("%s: %s", keyfile,
            rc == SY_ENOTFOUND ? "no such file"
            : rc == SY_EIO     ? (errno ? strerror(errno) : "not a key file")
                               : "not a key file");
    return CLI_FAIL;
  }

  char *pass = malloc(PASS_MAX), *npass = malloc(PASS_MAX);
  size_t plen = 0, nplen = 0;
  sy_key *key = NULL;
  cJSON *tokens = NULL;
  int dir_fd = -1;
  char token[TOKEN_LEN + 1] = "";
  rc = CLI_FAIL;
  if (!pass || !npass) {
    cli_err("out of memory");
    goto undo_pass;
  }
  if (cli_passphrase(c, keyfile, 0, pass, PASS_MAX, &plen)) goto undo_pass;
  if ((rc = load_with(keyfile, pass, plen, "member key", &key))) goto undo_pass;
  const char *source = NULL;
  if ((rc = node_passphrase(node_passfile, pass, plen, npass, PASS_MAX, &nplen, &source)))
    goto undo_key;

  /* A custody key the node cannot open would make every token request fail:
   * check the passphrase against the node's own key first. */
  char node_key[PATH_MAX];
  if (path_join(node_key, sizeof node_key, dir, "keys/node.key")) goto undo_key;
  if (access(node_key, F_OK) == 0) {
    sy_key *nk = NULL;
    int lrc = sy_keystore_load(node_key, npass, nplen, &nk);
    sy_key_free(nk);
    if (lrc == SY_EPASSPHRASE) {
      cli_err(
          "the node passphrase (%s) does not open %s; give the node's passphrase with "
          "--node-passphrase-file or SUYUAN_NODE_PASSPHRASE",
          source, node_key);
      rc = CLI_FAIL;
      goto undo_key;
    }
    if (lrc && lrc != SY_EPERM) {
      cli_err("cannot check the node passphrase against %s: %s", node_key, sy_strerror(lrc));
      rc = CLI_FAIL;
      goto undo_key;
    }
  } else {
    cli_err("note: %s not found; the node passphrase (%s) was not checked", node_key, source);
  }

  char key_hex[2 * SY_KEYID_LEN + 1];
  sy_hex_encode(key_hex, sy_key_id_of(key), SY_KEYID_LEN);
  if ((rc = lock_dir(dir, &dir_fd))) goto undo_key;
  char custody[PATH_MAX];
  if ((rc = ensure_custody(dir, key, key_hex, npass, nplen, custody, sizeof custody)))
    goto undo_lock;
  if ((rc = load_tokens(dir, &tokens))) goto undo_lock;
  cJSON *list = cJSON_GetObjectItemCaseSensitive(tokens, "tokens");

  /* A fresh id (unique in the file) and secret. */
  uint8_t id[TOKEN_ID_BYTES], secret[TOKEN_SECRET_BYTES];
  char id_hex[2 * TOKEN_ID_BYTES + 1], secret_hex[2 * TOKEN_SECRET_BYTES + 1];
  for (int tries = 0;; tries++) {
    if (fill_random(id, sizeof id) != 0 || tries == 100) {
      cli_err("cannot get random bytes: %s", strerror(errno));
      rc = CLI_FAIL;
      goto undo_tokens;
    }
    sy_hex_encode(id_hex, id, sizeof id);
    int taken = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, list) {
      const char *tid = jstr(t, "id");
      taken |= tid && strcmp(tid, id_hex) == 0;
    }
    if (!taken) break;
  }
  if (fill_random(secret, sizeof secret) != 0) {
    cli_err("cannot get random bytes: %s", strerror(errno));
    rc = CLI_FAIL;
    goto undo_tokens;
  }
  sy_hex_encode(secret_hex, secret, sizeof secret);
  explicit_bzero(secret, sizeof secret);
  snprintf(token, sizeof token, TOKEN_PREFIX "%s_%s", id_hex, secret_hex);
  explicit_bzero(secret_hex, sizeof secret_hex);
  uint8_t digest[SY_HASH_LEN];
  char hash_hex[2 * SY_HASH_LEN + 1];
  sy_slice part = {token, strlen(token)};
  sy_suite_default()->hash(&part, 1, digest);
  sy_hex_encode(hash_hex, digest, sizeof digest);

  uint64_t now = cli_now_ms();
  uint64_t expires = ttl_days ? now + ttl_days * 86400000ull : 0;
  char created_s[32], expires_s[32];
  snprintf(created_s, sizeof created_s, "%llu", (unsigned long long)now);
  snprintf(expires_s, sizeof expires_s, "%llu", (unsigned long long)expires);
  cJSON *t = cJSON_CreateObject();
  if (!t || !cJSON_AddStringToObject(t, "id", id_hex) ||
      !cJSON_AddStringToObject(t, "hash", hash_hex) ||
      !cJSON_AddStringToObject(t, "key_id", key_hex) || !cJSON_AddStringToObject(t, "name", name) ||
      !cJSON_AddRawToObject(t, "created_ms", created_s) ||
      !cJSON_AddRawToObject(t, "expires_ms", expires_s) || !cJSON_AddFalseToObject(t, "revoked") ||
      !cJSON_AddItemToArray(list, t)) {
    cJSON_Delete(t);
    cli_err("out of memory");
    rc = CLI_FAIL;
    goto undo_tokens;
  }
  if ((rc = save_tokens(dir, dir_fd, tokens))) goto undo_tokens;

  char when[32];
  format_ms((double)expires, when, sizeof when);
  if (c->json) {
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o && cJSON_AddStringToObject(o, "id", id_hex) &&
        cJSON_AddStringToObject(o, "token", token) &&
        cJSON_AddStringToObject(o, "key_id", key_hex) && cJSON_AddStringToObject(o, "name", name) &&
        cJSON_AddRawToObject(o, "created_ms", created_s) &&
        cJSON_AddRawToObject(o, "expires_ms", expires_s) &&
        cJSON_AddStringToObject(o, "custody_key", custody))
      s = cJSON_Print(o);
    if (s) {
      printf("%s\n", s);
      explicit_bzero(s, strlen(s));
      free(s);
    } else {
      cli_err("out of memory");
      rc = CLI_FAIL;
    }
    /* The token's copy inside o is wiped too. */
    cJSON *tv = cJSON_GetObjectItemCaseSensitive(o, "token");
    if (cJSON_IsString(tv)) explicit_bzero(tv->valuestring, strlen(tv->valuestring));
    cJSON_Delete(o);
  } else {
    printf("token id:    %s\n", id_hex);
    printf("member key:  %s\n", key_hex);
    printf("custody key: %s\n", custody);
    if (*name) printf("name:        %s\n", name);
    printf("expires:     %s\n", when);
    printf("token:       %s\n", token);
  }
  fflush(stdout);
  cli_err(
      "this is the only time the token is shown: store it now (the node keeps only its "
      "SHA-256). Use it as 'Authorization: Bearer <token>'.");
undo_tokens:
  cJSON_Delete(tokens);
undo_lock:
  close(dir_fd);
undo_key:
  sy_key_free(key);
undo_pass:
  explicit_bzero(token, sizeof token);
  if (pass) explicit_bzero(pass, PASS_MAX);
  if (npass) explicit_bzero(npass, PASS_MAX);
  free(pass);
  free(npass);
  return rc;
}

/* ---- list and revoke ---------------------------------------------------------------------- */

static const char *token_status(const cJSON *t, uint64_t now) {
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "revoked"))) return "revoked";
  double exp = jnum(t, "expires_ms");
  if (exp > 0 && exp <= (double)now) return "expired";
  return "active";
}

/* Parses "--data DIR" and the positionals of list and revoke. */
static int dir_and_args(cli *c, int argc, char **argv, const char *help, const char **dir) {
  static const struct option opts[] = {{"data", required_argument, NULL, 'd'}, CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hd:", opts)) != -1) {
    switch (opt) {
      case 'h':
        cli_help(help);
        return -1;
      case 'd':
        *dir = optarg;
        break;
      default:
        cli_usage(c, TOKEN_USAGE);
        return CLI_USAGE;
    }
  }
  if (!*dir) {
    cli_err("missing --data DIR");
    cli_usage(c, TOKEN_USAGE);
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int token_list(cli *c, int argc, char **argv) {
  const char *dir = NULL;
  int rc = dir_and_args(c, argc, argv, TOKEN_HELP, &dir);
  if (rc < 0) return CLI_OK; /* --help */
  if (rc) return rc;
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, TOKEN_USAGE);
  }
  cJSON *tokens = NULL;
  if ((rc = load_tokens(dir, &tokens))) return rc;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(tokens, "tokens"), *t;
  uint64_t now = cli_now_ms();
  if (c->json) {
    /* Everything but the hashes. */
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "tokens") : NULL;
    cJSON_ArrayForEach(t, list) {
      if (!arr) break;
      cJSON *e = cJSON_Duplicate(t, 1);
      if (!e || !cJSON_AddItemToArray(arr, e)) {
        cJSON_Delete(e);
        arr = NULL;
        break;
      }
      cJSON_DeleteItemFromObjectCaseSensitive(e, "hash");
      cJSON_AddStringToObject(e, "status", token_status(t, now));
    }
    char *s = arr ? cJSON_Print(o) : NULL;
    if (s)
      printf("%s\n", s);
    else {
      cli_err("out of memory");
      rc = CLI_FAIL;
    }
    free(s);
    cJSON_Delete(o);
  } else if (cJSON_GetArraySize(list) == 0) {
    printf("no tokens in %s/%s\n", dir, TOKENS_FILE);
  } else {
    printf("%-16s  %-32s  %-8s  %-20s  %-20s  %s\n", "ID", "MEMBER KEY", "STATUS", "CREATED",
           "EXPIRES", "NAME");
    cJSON_ArrayForEach(t, list) {
      char created[32], expires[32];
      format_ms(jnum(t, "created_ms"), created, sizeof created);
      format_ms(jnum(t, "expires_ms"), expires, sizeof expires);
      const char *id = jstr(t, "id"), *kid = jstr(t, "key_id"), *name = jstr(t, "name");
      printf("%-16s  %-32s  %-8s  %-20s  %-20s  %s\n", id ? id : "?", kid ? kid : "?",
             token_status(t, now), created, expires, name ? name : "");
    }
  }
  cJSON_Delete(tokens);
  return rc;
}

static int token_revoke(cli *c, int argc, char **argv) {
  const char *dir = NULL;
  int rc = dir_and_args(c, argc, argv, TOKEN_HELP, &dir);
  if (rc < 0) return CLI_OK;
  if (rc) return rc;
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the TOKEN_ID" : "too many arguments");
    return cli_usage(c, TOKEN_USAGE);
  }
  /* The 16-hex id; a whole token is accepted too (then its hash must match). */
  const char *arg = argv[optind];
  char id[2 * TOKEN_ID_BYTES + 1], hash_hex[2 * SY_HASH_LEN + 1] = "";
  if (strncmp(arg, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) == 0 && strlen(arg) == TOKEN_LEN &&
      arg[4 + 2 * TOKEN_ID_BYTES] == '_') {
    memcpy(id, arg + 4, 2 * TOKEN_ID_BYTES);
    id[2 * TOKEN_ID_BYTES] = 0;
    uint8_t digest[SY_HASH_LEN];
    sy_slice part = {arg, strlen(arg)};
    sy_suite_default()->hash(&part, 1, digest);
    sy_hex_encode(hash_hex, digest, sizeof digest);
  } else {
    snprintf(id, sizeof id, "%s", arg);
    for (char *p = id; *p; p++)
      if (*p >= 'A' && *p <= 'F') *p = (char)(*p - 'A' + 'a');
    if (strlen(arg) != 2 * TOKEN_ID_BYTES) id[0] = 0;
  }
  if (!is_lower_hex(id, 2 * TOKEN_ID_BYTES)) {
    cli_err("'%s' is not a token id (16 hex characters, as 'token list' shows)", arg);
    return cli_usage(c, TOKEN_USAGE);
  }
  int dir_fd = -1;
  if ((rc = lock_dir(dir, &dir_fd))) return rc;
  cJSON *tokens = NULL;
  if ((rc = load_tokens(dir, &tokens))) goto undo_lock;
  cJSON *list = cJSON_GetObjectItemCaseSensitive(tokens, "tokens"), *t, *found = NULL;
  cJSON_ArrayForEach(t, list) {
    const char *tid = jstr(t, "id"), *h = jstr(t, "hash");
    if (tid && strcmp(tid, id) == 0 && (!hash_hex[0] || (h && strcmp(h, hash_hex) == 0))) found = t;
  }
  if (!found) {
    cli_err("no token %s in %s/%s", id, dir, TOKENS_FILE);
    rc = CLI_FAIL;
    goto undo_tokens;
  }
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(found, "revoked"))) {
    printf("token %s was already revoked\n", id);
    goto undo_tokens;
  }
  cJSON *yes = cJSON_CreateTrue();
  if (!yes || !cJSON_ReplaceItemInObjectCaseSensitive(found, "revoked", yes)) {
    if (yes && !cJSON_AddItemToObject(found, "revoked", yes)) {
      cJSON_Delete(yes);
      yes = NULL;
    }
    if (!yes) {
      cli_err("out of memory");
      rc = CLI_FAIL;
      goto undo_tokens;
    }
  }
  if ((rc = save_tokens(dir, dir_fd, tokens))) goto undo_tokens;
  printf("token %s revoked\n", id);
undo_tokens:
  cJSON_Delete(tokens);
undo_lock:
  close(dir_fd);
  return rc;
}

int cli_cmd_token(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"create", "token create", token_create},
                                 {"list", "token list", token_list},
                                 {"revoke", "token revoke", token_revoke}};
  return cli_subcommand(c, argc, argv, TOKEN_HELP, TOKEN_USAGE, subs, 3);
}
