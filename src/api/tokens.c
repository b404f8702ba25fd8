/* Bearer tokens and custody keys of the node (docs/trace.md, "Tokens";
 * docs/http-api.md, "Authentication").
 *
 * DATA/tokens.json holds only SHA-256 hashes of the token strings, so the
 * file gives nobody a usable token. A request's token is hashed and the
 * hash compared in constant time (sy_ct_equal). The file is re-read when
 * its inode, size or mtime change (the CLI replaces it by rename), so a
 * revoked token stops working at the next request without a restart.
 *
 * The member key a token acts for is kept by the node in
 * DATA/custody/<key id hex>.key, encrypted with the node's passphrase; it is
 * opened on first use and kept in memory (inside crypto/, as an opaque
 * sy_key) until the API stops. Token strings are never logged or echoed. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/suite.h"

#define TOKENS_FILE_MAX (4u << 20) /* bytes of tokens.json read */
#define TOKEN_ID_HEX 16
#define TOKEN_SECRET_HEX 64
/* "syt_" + 16 hex + "_" + 64 hex */
#define TOKEN_LEN (4 + TOKEN_ID_HEX + 1 + TOKEN_SECRET_HEX)

typedef struct tok {
  char id[TOKEN_ID_HEX + 1];
  uint8_t hash[SY_HASH_LEN];
  uint8_t key_id[SY_KEYID_LEN];
  uint64_t expires_ms; /* 0 = never */
  int revoked;
} tok;

typedef struct custody {
  uint8_t key_id[SY_KEYID_LEN];
  sy_key *key;
} custody;

struct sy_api_tokens {
  char *path;        /* DATA/tokens.json */
  char *custody_dir; /* DATA/custody */
  const sy_secret *pass;
  pthread_mutex_t mu;      /* guards the token table and the custody cache */
  pthread_mutex_t load_mu; /* one keystore opened at a time (argon2id is costly) */
  tok *toks;
  size_t ntoks;
  /* identity of the file the table was read from */
  int have_file;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  int checked; /* the table reflects a stat() (even "no file") */
  custody *keys;
  size_t nkeys, capkeys;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sha256(const void *p, size_t n, uint8_t out[SY_HASH_LEN]) {
  /* The token contract says SHA-256 whatever the chain's suite. */
  const sy_suite *s = sy_suite_find("ed25519-sha256");
  sy_slice sl = {p, n};
  s->hash(&sl, 1, out);
}

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", a, b);
  return p;
}

int sy_api_tokens_new(const char *data_dir, const sy_secret *pass, sy_api_tokens **out) {
  if (!data_dir || !out) return SY_EINVAL;
  *out = NULL;
  if (sy_crypto_init() != SY_OK) return SY_ECRYPTO;
  sy_api_tokens *t = calloc(1, sizeof *t);
  if (!t) return SY_ENOMEM;
  t->path = join(data_dir, "tokens.json");
  t->custody_dir = join(data_dir, "custody");
  if (!t->path || !t->custody_dir) goto nomem;
  if (pthread_mutex_init(&t->mu, NULL) != 0) goto nomem;
  if (pthread_mutex_init(&t->load_mu, NULL) != 0) {
    pthread_mutex_destroy(&t->mu);
    goto nomem;
  }
  t->pass = pass;
  *out = t;
  return SY_OK;
nomem:
  free(t->path);
  free(t->custody_dir);
  free(t);
  return SY_ENOMEM;
}

void sy_api_tokens_free(sy_api_tokens *t) {
  if (!t) return;
  for (size_t i = 0; i < t->nkeys; i++) sy_key_free(t->keys[i].key);
  free(t->keys);
  free(t->toks);
  free(t->path);
  free(t->custody_dir);
  pthread_mutex_destroy(&t->mu);
  pthread_mutex_destroy(&t->load_mu);
  free(t);
}

/* ---- tokens.json ------------------------------------------------------------ */

static int is_hex(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
  }
  return 1;
}

/* A non-negative integer member (exact for values below 2^53, which ms
 * timestamps are); absent or null = 0. -1 when present and not that. */
static int get_ms(const cJSON *o, const char *k, uint64_t *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  *out = 0;
  if (!v || cJSON_IsNull(v)) return 0;
  if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0) return -1;
  *out = (uint64_t)v->valuedouble;
  return 0;
}

/* Parses the file's text into a fresh table. Entries that do not parse
 * are skipped (and counted in *bad): a token that cannot be understood
 * grants nothing. SY_EMALFORMED when the document itself is unusable. */
static int parse_tokens(const char *text, size_t len, tok **out, size_t *n, size_t *bad) {
  *out = NULL;
  *n = 0;
  *bad = 0;
  cJSON *doc = cJSON_ParseWithLength(text, len);
  const cJSON *arr = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "tokens") : NULL;
  if (!cJSON_IsArray(arr)) {
    cJSON_Delete(doc);
    return SY_EMALFORMED;
  }
  size_t cap = (size_t)cJSON_GetArraySize(arr);
  tok *v = calloc(cap ? cap : 1, sizeof *v);
  if (!v) {
    cJSON_Delete(doc);
    return SY_ENOMEM;
  }
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(it, "hash");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(it, "key_id");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(it, "revoked");
    tok t;
    memset(&t, 0, sizeof t);
    if (!cJSON_IsString(id) || strlen(id->valuestring) != TOKEN_ID_HEX ||
        !is_hex(id->valuestring, TOKEN_ID_HEX) || !cJSON_IsString(hash) ||
        sy_hex_decode(t.hash, SY_HASH_LEN, hash->valuestring, strlen(hash->valuestring)) != SY_OK ||
        !cJSON_IsString(kid) ||
        sy_hex_decode(t.key_id, SY_KEYID_LEN, kid->valuestring, strlen(kid->valuestring)) !=
            SY_OK ||
        get_ms(it, "expires_ms", &t.expires_ms) != 0 ||
        (rev && !cJSON_IsBool(rev) && !cJSON_IsNull(rev))) {
      (*bad)++;
      continue;
    }
    for (size_t i = 0; i < TOKEN_ID_HEX; i++) /* ids compare lowercase */
      t.id[i] = (char)((id->valuestring[i] >= 'A' && id->valuestring[i] <= 'F')
                           ? id->valuestring[i] - 'A' + 'a'
                           : id->valuestring[i]);
    t.revoked = cJSON_IsTrue(rev);
    v[(*n)++] = t;
  }
  cJSON_Delete(doc);
  *out = v;
  return SY_OK;
}

/* Reads at most max bytes of path; *out malloc'd (NUL-terminated). */
static int slurp(const char *path, size_t max, char **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? SY_ENOTFOUND : SY_EIO;
  char *buf = malloc(max + 1);
  size_t n = 0;
  int rc = buf ? SY_OK : SY_ENOMEM;
  while (rc == SY_OK) {
    ssize_t r = read(fd, buf + n, max + 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      rc = SY_EIO;
      break;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) rc = SY_ETOOBIG;
  }
  close(fd);
  if (rc != SY_OK) {
    free(buf);
    return rc;
  }
  buf[n] = 0;
  *out = buf;
  *len = n;
  return SY_OK;
}

/* Brings the table up to date with the file; called with t->mu held.
 * Fails closed: a file that cannot be read or parsed leaves no token. */
static void refresh(sy_api_tokens *t) {
  struct stat st;
  if (stat(t->path, &st) != 0) {
    if (t->checked && !t->have_file) return;
    free(t->toks);
    t->toks = NULL;
    t->ntoks = 0;
    t->have_file = 0;
    t->checked = 1;
    return;
  }
  if (t->checked && t->have_file && st.st_dev == t->dev && st.st_ino == t->ino &&
      st.st_size == t->size && st.st_mtim.tv_sec == t->mtime.tv_sec &&
      st.st_mtim.tv_nsec == t->mtime.tv_nsec)
    return;
  t->checked = 1;
  t->have_file = 1;
  t->dev = st.st_dev;
  t->ino = st.st_ino;
  t->size = st.st_size;
  t->mtime = st.st_mtim;
  free(t->toks);
  t->toks = NULL;
  t->ntoks = 0;
  if (st.st_mode & 077)
    fprintf(stderr, "suyuand: tokens: warning: %s is readable by group or others (chmod 600 it)\n",
            t->path);
  char *text = NULL;
  size_t len = 0, bad = 0;
  int rc = slurp(t->path, TOKENS_FILE_MAX, &text, &len);
  if (rc == SY_OK) rc = parse_tokens(text, len, &t->toks, &t->ntoks, &bad);
  free(text);
  if (rc != SY_OK)
    fprintf(stderr, "suyuand: tokens: cannot use %s (%s); no token is accepted until it is fixed\n",
            t->path, rc == SY_EMALFORMED ? "not a {\"tokens\": [...]} document" : sy_strerror(rc));
  else if (bad)
    fprintf(stderr, "suyuand: tokens: malformed entries in %s ignored: %zu\n", t->path, bad);
}

/* "Bearer <token>" -> the token (borrowed from h) or NULL. The scheme is
 * case-insensitive (RFC 9110); surrounding blanks are ignored. */
static const char *bearer(const char *h, size_t *len) {
  if (!h) return NULL;
  while (*h == ' ' || *h == '\t') h++;
  if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t')) return NULL;
  h += 6;
  while (*h == ' ' || *h == '\t') h++;
  size_t n = strlen(h);
  while (n && (h[n - 1] == ' ' || h[n - 1] == '\t')) n--;
  *len = n;
  return h;
}

static void set_why(char *why, size_t whylen, const char *s) {
  if (why && whylen) snprintf(why, whylen, "%s", s);
}

int sy_api_tokens_check(sy_api_tokens *t, const char *authorization, uint8_t key_id[SY_KEYID_LEN],
                        char *why, size_t whylen) {
  size_t n = 0;
  const char *tk = bearer(authorization, &n);
  if (!tk) {
    set_why(why, whylen,
            authorization ? "the Authorization header is not \"Bearer <token>\""
                          : "this route needs a bearer token (Authorization: Bearer syt_...)");
    return SY_EPERM;
  }
  /* syt_<16 hex id>_<64 hex secret>: checked before any lookup. */
  if (n != TOKEN_LEN || memcmp(tk, "syt_", 4) != 0 || !is_hex(tk + 4, TOKEN_ID_HEX) ||
      tk[4 + TOKEN_ID_HEX] != '_' || !is_hex(tk + 5 + TOKEN_ID_HEX, TOKEN_SECRET_HEX)) {
    set_why(why, whylen, "the bearer token is malformed");
    return SY_EPERM;
  }
  char id[TOKEN_ID_HEX + 1];
  for (size_t i = 0; i < TOKEN_ID_HEX; i++)
    id[i] = (char)((tk[4 + i] >= 'A' && tk[4 + i] <= 'F') ? tk[4 + i] - 'A' + 'a' : tk[4 + i]);
  id[TOKEN_ID_HEX] = 0;
  uint8_t h[SY_HASH_LEN];
  sha256(tk, n, h);

  pthread_mutex_lock(&t->mu);
  refresh(t);
  int found = 0, ok = 0;
  tok hit;
  memset(&hit, 0, sizeof hit);
  for (size_t i = 0; i < t->ntoks; i++) {
    /* Every entry with this id is compared; the hash in constant time. */
    if (memcmp(t->toks[i].id, id, TOKEN_ID_HEX) != 0) continue;
    found = 1;
    if (sy_ct_equal(t->toks[i].hash, h, SY_HASH_LEN)) {
      hit = t->toks[i];
      ok = 1;
      break;
    }
  }
  pthread_mutex_unlock(&t->mu);
  if (!found || !ok) {
    if (!found) { /* the same work either way */
      uint8_t zero[SY_HASH_LEN] = {0};
      (void)sy_ct_equal(zero, h, SY_HASH_LEN);
    }
    set_why(why, whylen, "the bearer token is not known to this node");
    return SY_EPERM;
  }
  if (hit.revoked) {
    set_why(why, whylen, "the bearer token has been revoked");
    return SY_EPERM;
  }
  if (hit.expires_ms && now_ms() >= hit.expires_ms) {
    set_why(why, whylen, "the bearer token has expired");
    return SY_EPERM;
  }
  memcpy(key_id, hit.key_id, SY_KEYID_LEN);
  return SY_OK;
}

/* ---- custody keys ---------------------------------------------------------------- */

static const sy_key *cached(sy_api_tokens *t, const uint8_t key_id[SY_KEYID_LEN]) {
  for (size_t i = 0; i < t->nkeys; i++)
    if (memcmp(t->keys[i].key_id, key_id, SY_KEYID_LEN) == 0) return t->keys[i].key;
  return NULL;
}

int sy_api_tokens_key(sy_api_tokens *t, const uint8_t key_id[SY_KEYID_LEN], const sy_key **key) {
  pthread_mutex_lock(&t->mu);
  const sy_key *k = cached(t, key_id);
  pthread_mutex_unlock(&t->mu);
  if (k) {
    *key = k;
    return SY_OK;
  }
  if (!t->pass) return SY_EPASSPHRASE;
  /* Opening a keystore costs an argon2id derivation: one at a time, and
   * whoever waited finds the key already opened. */
  pthread_mutex_lock(&t->load_mu);
  pthread_mutex_lock(&t->mu);
  k = cached(t, key_id);
  pthread_mutex_unlock(&t->mu);
  int rc = SY_OK;
  if (!k) {
    char hex[2 * SY_KEYID_LEN + 1], name[2 * SY_KEYID_LEN + 8];
    sy_hex_encode(hex, key_id, SY_KEYID_LEN);
    snprintf(name, sizeof name, "%s.key", hex);
    char *path = join(t->custody_dir, name);
    sy_key *nk = NULL;
    rc = path ? sy_keystore_load_secret(path, t->pass, &nk) : SY_ENOMEM;
    free(path);
    if (rc == SY_OK && memcmp(sy_key_id_of(nk), key_id, SY_KEYID_LEN) != 0) {
      sy_key_free(nk); /* the file holds some other member's key */
      rc = SY_EINVAL;
    }
    if (rc == SY_OK) {
      pthread_mutex_lock(&t->mu);
      if (t->nkeys == t->capkeys) {
        size_t nc = t->capkeys ? t->capkeys * 2 : 8;
        custody *nv = realloc(t->keys, nc * sizeof *nv);
        if (nv) {
          t->keys = nv;
          t->capkeys = nc;
        }
      }
      if (t->nkeys < t->capkeys) {
        memcpy(t->keys[t->nkeys].key_id, key_id, SY_KEYID_LEN);
        t->keys[t->nkeys].key = nk;
        t->nkeys++;
        k = nk;
      } else {
        sy_key_free(nk);
        rc = SY_ENOMEM;
      }
      pthread_mutex_unlock(&t->mu);
    }
  }
  pthread_mutex_unlock(&t->load_mu);
  if (rc == SY_OK) *key = k;
  return rc;
}
