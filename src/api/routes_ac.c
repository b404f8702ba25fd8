/* Anti-counterfeit code verification, SMS queries and counterfeit alerts
 * (SPEC C4, I7, M2; GB/T 22258; docs/codes.md):
 *   POST /v1/verify-code   {"code": "...", "place": "..."} or the code as text/plain
 *   POST /v1/sms           the text a consumer sent (text/plain, or {"from","text"})
 *   GET  /v1/alerts        the brand's counterfeit alerts (Bearer token)
 *        /v1/alerts?view=codes[&gtin=G][&lot=L]  the brand's code counts (token)
 *        /v1/alerts?view=org&id=ORG               an organisation's registry entry
 *
 * The chain holds only code commitments (ledger.h sy_code_commit); the scan
 * log is node-local (src/ledger/scanlog.h): DIR/scans.db (SQLite, WAL,
 * synchronous=FULL, mode 0600), written before the answer is sent. Without a
 * data directory the log lives in memory (tests, throwaway nodes).
 *
 * Guessing codes is the attack to stop: 80-bit codes cannot be found by
 * guessing, and each client address (or SMS sender) gets a token bucket for
 * verification attempts and a much smaller one for unknown codes; past it,
 * 429 with Retry-After. The buckets live in a fixed-size table (set
 * associative; the least recently used entry of a set is evicted), so
 * memory stays bounded whatever the number of addresses.
 *
 * Codes never reach a log or an error message. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/api_json.h"
#include "api/product.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ident/ident.h"
#include "ledger/scanlog.h"

/* ---- tunables (docs/codes.md) ------------------------------------------------ */
#define VERIFY_BURST 30.0          /* attempts a client may make at once */
#define VERIFY_PER_S 1.0           /* then one a second */
#define UNKNOWN_BURST 5.0          /* unknown codes a client may try at once */
#define UNKNOWN_PER_S (5.0 / 60.0) /* then five a minute */
#define RL_SETS 512
#define RL_WAYS 8                             /* 4096 clients tracked */
#define REPEAT_ALERT_AT 5                     /* the 5th scan of one code raises an alert */
#define PLACE_WINDOW_MS (72ull * 3600 * 1000) /* two places within 72 h: alert */
#define PLACE_MAX SY_SCANLOG_PLACE_MAX        /* bytes of a place name kept (64) */
#define ALERTS_MAX 1000
#define SMS_TZ_MIN (8 * 60) /* dates in SMS replies: China Standard Time */

typedef struct rl_slot {
  char key[72];
  double verify, unknown; /* tokens */
  uint64_t last_ms;       /* last refill / use; 0 = free */
} rl_slot;

typedef struct sy_api_ac {
  pthread_mutex_t rl_mu;               /* the rate table (never waits behind an fsync) */
  sy_scanlog *log;                     /* the scan log (locks itself) */
  double unknown_burst, unknown_per_s; /* UNKNOWN_*, or SUYUAN_AC_UNKNOWN_* */
  rl_slot rl[RL_SETS * RL_WAYS];
} sy_api_ac;

/* A positive number from the environment, else def (tuning and tests:
 * docs/codes.md). */
static double env_num(const char *name, double def, double max) {
  const char *v = getenv(name);
  char *end = NULL;
  double d = v && *v ? strtod(v, &end) : 0.0;
  return v && *v && end && !*end && d > 0 && d <= max ? d : def;
}

/* ---- time ----------------------------------------------------------------------- */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1; /* never 0 */
}

int sy_api_ac_init(sy_api_router *r, const sy_api_opts *opts) {
  sy_api_ac *ac = calloc(1, sizeof *ac);
  if (!ac) return SY_ENOMEM;
  if (pthread_mutex_init(&ac->rl_mu, NULL) != 0) {
    free(ac);
    return SY_ENOMEM;
  }
  ac->unknown_burst = env_num("SUYUAN_AC_UNKNOWN_BURST", UNKNOWN_BURST, 1e6);
  ac->unknown_per_s = env_num("SUYUAN_AC_UNKNOWN_PER_MIN", UNKNOWN_PER_S * 60.0, 1e6) / 60.0;
  char err[1400];
  int rc = sy_scanlog_open(opts ? opts->data_dir : NULL, &ac->log, err, sizeof err);
  if (rc != SY_OK) {
    if (rc == SY_EIO) fprintf(stderr, "suyuand: cannot open the scan log %s\n", err);
    pthread_mutex_destroy(&ac->rl_mu);
    free(ac);
    return rc;
  }
  r->ac = ac;
  return SY_OK;
}

void sy_api_ac_close(sy_api_router *r) {
  if (!r || !r->ac) return;
  sy_scanlog_close(r->ac->log);
  pthread_mutex_destroy(&r->ac->rl_mu);
  free(r->ac);
  r->ac = NULL;
}

/* ---- rate limits ------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The slot of key, found or made (evicting the set's least recently used). */
static rl_slot *rl_slot_of(sy_api_ac *ac, const char *key, uint64_t now) {
  rl_slot *set = &ac->rl[(fnv1a(key) % RL_SETS) * RL_WAYS], *victim = set;
  for (int i = 0; i < RL_WAYS; i++) {
    if (set[i].last_ms && strcmp(set[i].key, key) == 0) return &set[i];
    if (set[i].last_ms < victim->last_ms) victim = &set[i];
  }
  snprintf(victim->key, sizeof victim->key, "%s", key);
  victim->verify = VERIFY_BURST;
  victim->unknown = ac->unknown_burst;
  victim->last_ms = now;
  return victim;
}

static void rl_refill(const sy_api_ac *ac, rl_slot *s, uint64_t now) {
  double dt = now > s->last_ms ? (double)(now - s->last_ms) / 1000.0 : 0.0;
  s->verify = fmin(VERIFY_BURST, s->verify + dt * VERIFY_PER_S);
  s->unknown = fmin(ac->unknown_burst, s->unknown + dt * ac->unknown_per_s);
  s->last_ms = now;
}

/* Takes one attempt for key; 0, or the seconds to wait. */
static int rl_take(sy_api_ac *ac, const char *key) {
  uint64_t now = mono_ms();
  pthread_mutex_lock(&ac->rl_mu);
  rl_slot *s = rl_slot_of(ac, key, now);
  rl_refill(ac, s, now);
  int wait = 0;
  if (s->unknown < 1.0)
    wait = (int)fmin(86400.0, ceil((1.0 - s->unknown) / ac->unknown_per_s));
  else if (s->verify < 1.0)
    wait = (int)ceil((1.0 - s->verify) / VERIFY_PER_S);
  else
    s->verify -= 1.0;
  pthread_mutex_unlock(&ac->rl_mu);
  return wait > 0 ? wait : 0;
}

/* Charges an unknown code to key. */
static void rl_unknown(sy_api_ac *ac, const char *key) {
  uint64_t now = mono_ms();
  pthread_mutex_lock(&ac->rl_mu);
  rl_slot *s = rl_slot_of(ac, key, now);
  rl_refill(ac, s, now);
  s->unknown -= 1.0;
  pthread_mutex_unlock(&ac->rl_mu);
}

static void rl_key(const sy_api_req *rq, const char *sms_from, char out[72]) {
  if (sms_from && *sms_from)
    snprintf(out, 72, "sms:%.60s", sms_from);
  else
    snprintf(out, 72, "ip:%.60s", rq->remote_addr && *rq->remote_addr ? rq->remote_addr : "?");
}

/* ---- verification ------------------------------------------------------------------ */

typedef enum verdict { V_UNKNOWN, V_REVOKED, V_GENUINE, V_AGAIN, V_ERROR } verdict;

typedef struct scan_result {
  verdict v;
  sy_code code;
  uint64_t first_ms;
  char first_place[PLACE_MAX + 1];
  uint64_t count; /* scans including this one */
  int err;
} scan_result;

/* Records one scan of a known, live code (durably, before the answer). */
static int record_scan(sy_api_ac *ac, scan_result *sr, const char *place) {
  static const sy_scanlog_rules rules = {.place_window_ms = PLACE_WINDOW_MS,
                                         .repeat_alert_at = REPEAT_ALERT_AT};
  sy_scan_seen seen;
  if (sy_scanlog_record(ac->log, &sr->code, place, now_ms(), &rules, &seen) != SY_OK) return -1;
  sr->first_ms = seen.first_ms;
  memcpy(sr->first_place, seen.first_place, sizeof sr->first_place);
  sr->count = seen.count;
  sr->v = seen.first ? V_GENUINE : V_AGAIN;
  return 0;
}

/* Looks the code up and, when it is live, records the scan. */
static void verify_code(sy_api_router *r, const char *text, const char *place, scan_result *sr) {
  memset(sr, 0, sizeof *sr);
  char norm[SY_CODE_CHARS + 1];
  if (sy_code_normalise(text, norm) != 0) {
    sr->v = V_UNKNOWN;
    return;
  }
  sy_tip tip;
  sy_ledger_tip(r->ledger, &tip);
  uint8_t cm[SY_HASH_LEN];
  sy_code_commit(tip.genesis_hash, norm, cm);
  explicit_bzero(norm, sizeof norm);
  int rc = sy_ledger_get_code(r->ledger, cm, &sr->code);
  if (rc == SY_ENOTFOUND) {
    sr->v = V_UNKNOWN;
    return;
  }
  if (rc) {
    sr->v = V_ERROR;
    sr->err = rc;
    return;
  }
  if (sr->code.revoked_height) {
    sr->v = V_REVOKED;
    return;
  }
  if (record_scan(r->ac, sr, place) != 0) {
    sr->v = V_ERROR;
    sr->err = SY_ESTORAGE;
  }
}

/* A place as given: UTF-8 text, control characters dropped, spaces
 * collapsed, ASCII lower-cased (so "Shanghai" and "shanghai " are one),
 * at most PLACE_MAX bytes. */
static void clean_place(const char *in, char out[PLACE_MAX + 1]) {
  char tmp[3 * PLACE_MAX + 4];
  size_t o = 0;
  out[0] = 0;
  if (!in) return;
  sy_api_utf8_clean(tmp, sizeof tmp, in, 3 * PLACE_MAX);
  int space = 1;
  for (const char *p = tmp; *p && o < sizeof tmp - 1; p++) {
    unsigned char ch = (unsigned char)*p;
    if (ch < 0x20 || ch == 0x7f || ch == ' ') {
      if (!space) tmp[o++] = ' ';
      space = 1;
      continue;
    }
    tmp[o++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
    space = 0;
  }
  while (o && tmp[o - 1] == ' ') o--;
  tmp[o] = 0;
  sy_api_utf8_clean(out, PLACE_MAX + 1, tmp, PLACE_MAX);
}

static void product_of(sy_api_router *r, const sy_code *c, sy_product *p) {
  memset(p, 0, sizeof *p);
  char *lot = sy_api_url_encode(c->lot, strlen(c->lot));
  char *ser = sy_api_url_encode(c->serial, strlen(c->serial));
  if (lot && ser) {
    char id[256];
    snprintf(id, sizeof id, "/01/%s/10/%s/21/%s", c->gtin, lot, ser);
    if (sy_product_lookup(r->ledger, id, p, NULL, 0) != SY_OK) memset(p, 0, sizeof *p);
  }
  free(lot);
  free(ser);
}

static void too_many(sy_api_router *r, sy_api_resp *rs, const char *path, int wait) {
  sy_api_problem(r, rs, 429, "too-many-requests", path,
                 "too many verification attempts from this client; try again in %d s", wait);
  rs->retry_after = wait;
}

static int is_json(const char *ct) {
  return ct && (strncasecmp(ct, "application/json", 16) == 0 ||
                strncasecmp(ct, "application/problem+json", 24) == 0);
}

/* The body as a NUL-terminated string (UTF-8, no NUL inside); NULL and a
 * 400 in rs when it is not text. */
static char *body_text(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  if (rq->body_len > SY_API_SMALL_BODY ||
      (rq->body_len &&
       (!sy_api_utf8_valid(rq->body, rq->body_len) || memchr(rq->body, 0, rq->body_len)))) {
    sy_api_problem(r, rs, 400, "bad-request", rq->path, "the body must be UTF-8 text");
    return NULL;
  }
  char *s = malloc(rq->body_len + 1);
  if (!s) {
    sy_api_resp_oom(rs);
    return NULL;
  }
  if (rq->body_len) memcpy(s, rq->body, rq->body_len);
  s[rq->body_len] = 0;
  return s;
}

void sy_api_verify_code_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  char *text = body_text(r, rq, rs);
  if (!text) return;
  cJSON *j = NULL;
  const char *code = text, *place_in = NULL;
  if (is_json(rq->content_type)) {
    j = cJSON_Parse(text);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(j, "place");
    if (!cJSON_IsObject(j) || !cJSON_IsString(c) ||
        (pl && !cJSON_IsString(pl) && !cJSON_IsNull(pl))) {
      sy_api_problem(r, rs, 400, "bad-request", rq->path,
                     "the body must be {\"code\": \"XXXX-XXXX-XXXX-XXXX\", \"place\": \"city\"} "
                     "(place optional) or the code as text/plain");
      goto out;
    }
    code = c->valuestring;
    place_in = cJSON_IsString(pl) ? pl->valuestring : NULL;
  } else if (rq->content_type && strncasecmp(rq->content_type, "text/plain", 10) != 0) {
    sy_api_problem(r, rs, 415, "unsupported-media-type", rq->path,
                   "POST /v1/verify-code takes application/json or text/plain");
    goto out;
  }
  char key[72];
  rl_key(rq, NULL, key);
  int wait = rl_take(r->ac, key);
  if (wait) {
    too_many(r, rs, rq->path, wait);
    goto out;
  }
  char place[PLACE_MAX + 1];
  clean_place(place_in, place);
  scan_result sr;
  verify_code(r, code, place, &sr);
  if (sr.v == V_UNKNOWN) {
    rl_unknown(r->ac, key);
    /* Never say more: not whether it was malformed, nor anything near it. */
    sy_api_problem(r, rs, 404, "unknown-code", rq->path, "unknown code");
    goto out;
  }
  if (sr.v == V_ERROR) {
    sy_api_problem_err(r, rs, sr.err, rq->path, "code lookup");
    goto out;
  }
  if (sr.v == V_REVOKED) {
    cJSON *ext = cJSON_CreateObject();
    if (ext) cJSON_AddStringToObject(ext, "result", "revoked");
    sy_api_problem_x(r, rs, 410, "code-revoked", rq->path, ext,
                     "this code was withdrawn by the brand: the item may not be genuine");
    goto out;
  }
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  jb_str(&b, o, "result", sr.v == V_GENUINE ? "genuine" : "already_verified");
  sy_product p;
  product_of(r, &sr.code, &p);
  cJSON *po = jb_obj(&b, o, "product");
  jb_str(&b, po, "gtin", sr.code.gtin);
  jb_str(&b, po, "lot", sr.code.lot);
  jb_str(&b, po, "serial", sr.code.serial);
  jb_str(&b, po, "name", p.product_name[0] ? p.product_name : NULL);
  sy_org org;
  if (sy_ledger_get_org(r->ledger, sr.code.org, &org) != SY_OK) {
    memset(&org, 0, sizeof org);
    snprintf(org.name, sizeof org.name, "%s", sr.code.org);
  }
  cJSON *bo = jb_obj(&b, o, "brand");
  jb_str(&b, bo, "org", sr.code.org);
  jb_str(&b, bo, "name", org.name);
  if (sr.v == V_GENUINE) {
    jb_null(&b, o, "first_verified");
  } else {
    char t[32];
    sy_api_format_time((int64_t)sr.first_ms, t);
    cJSON *fv = jb_obj(&b, o, "first_verified");
    jb_str(&b, fv, "time", t);
    jb_str(&b, fv, "place", sr.first_place[0] ? sr.first_place : NULL);
  }
  jb_u64(&b, o, "count", sr.count);
  if (p.dl_path[0]) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", sy_api_public_url(r), p.dl_path);
    jb_str(&b, o, "trace", url);
  }
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
out:
  cJSON_Delete(j);
  explicit_bzero(text, strlen(text));
  free(text);
}

/* ---- SMS ------------------------------------------------------------------------------ */

#define SMS_UCS2_MAX 70
#define SMS_GSM_MAX 160

/* Length of s in one SMS's units: UTF-16 code units when s needs UCS-2
 * (*ucs2 = 1), GSM-7 septets otherwise (extension characters count 2). */
size_t sy_api_sms_units(const char *s, int *ucs2);
size_t sy_api_sms_units(const char *s, int *ucs2) {
  size_t gsm = 0, u16 = 0;
  int wide = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned ch = *p;
    size_t len = ch < 0x80 ? 1 : ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
    if (ch >= 0x80 || ch == '`') wide = 1;
    if (ch < 0x80) gsm += strchr("[]{}\\^~|", (int)ch) && ch ? 2 : 1;
    u16 += len == 4 ? 2 : 1;
    for (size_t k = 0; k < len && *p; k++) p++;
  }
  if (ucs2) *ucs2 = wide;
  return wide ? u16 : gsm;
}

static int sms_fits(const char *s) {
  int ucs2;
  size_t n = sy_api_sms_units(s, &ucs2);
  return n <= (ucs2 ? SMS_UCS2_MAX : SMS_GSM_MAX);
}

/* Copies at most max characters of s (UTF-8 aware) into out. */
static void take_chars(char *out, size_t size, const char *s, size_t max) {
  size_t o = 0, chars = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p && chars < max;) {
    size_t len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    if (o + len >= size) break;
    for (size_t k = 0; k < len && *p; k++) out[o++] = (char)*p++;
    chars++;
  }
  out[o] = 0;
}

/* A reply: segments in order. To fit one SMS, the stretchable segment (a
 * product name) is first shortened to NAME_FLOOR units with "…"; then
 * optional segments (prio > 0) are dropped, highest prio first; then the
 * name is shortened further; last, the whole is cut. */
typedef struct seg {
  char text[256];
  int prio;    /* 0 = always; -1 = dropped */
  int stretch; /* may be shortened */
} seg;

#define NAME_FLOOR 16

static void sms_join(const seg *s, size_t n, char *out, size_t size) {
  out[0] = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i].prio >= 0) strncat(out, s[i].text, size - strlen(out) - 1);
}

static void sms_shrink(seg *s, size_t n, char *out, size_t size, size_t floor) {
  for (size_t i = 0; i < n; i++) {
    if (!s[i].stretch || s[i].prio < 0) continue;
    while (!sms_fits(out)) {
      int u;
      size_t have = sy_api_sms_units(s[i].text, &u);
      if (have <= floor || have <= 2) break;
      char shorter[248];
      take_chars(shorter, sizeof shorter, s[i].text, have - 2);
      size_t sl = strlen(shorter);
      memcpy(s[i].text, shorter, sl);
      memcpy(s[i].text + sl, "\xe2\x80\xa6", 4); /* "…" and the NUL */
      sms_join(s, n, out, size);
    }
  }
}

static void sms_compose(seg *s, size_t n, char *out, size_t size) {
  sms_join(s, n, out, size);
  sms_shrink(s, n, out, size, NAME_FLOOR);
  while (!sms_fits(out)) {
    int worst = 0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++)
      if (s[i].prio > worst) worst = s[i].prio, wi = i;
    if (worst == 0) break;
    s[wi].prio = -1;
    sms_join(s, n, out, size);
  }
  sms_shrink(s, n, out, size, 2);
  while (!sms_fits(out)) {
    int u;
    size_t have = sy_api_sms_units(out, &u);
    char cut[600];
    take_chars(cut, sizeof cut, out, have - 1);
    snprintf(out, size, "%s", cut);
  }
}

static void sms_date(uint64_t ms, char out[11]) {
  time_t t = (time_t)(ms / 1000) + SMS_TZ_MIN * 60;
  struct tm tm;
  char tmp[32];
  if (!gmtime_r(&t, &tm)) {
    out[0] = 0;
    return;
  }
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
           tm.tm_mday);
  memcpy(out, tmp, 10);
  out[10] = 0;
}

static const char SMS_HELP[] =
    "溯源查询:发送条码+序列号(如04012345111118 2)或16位防伪码。Send GTIN+serial or code";

static void inspection_words(const char *insp, const char **zh, const char **en) {
  if (!insp || !*insp) {
    *zh = "未检";
    *en = "n/a";
  } else if (strcmp(insp, "conformant") == 0) {
    *zh = "合格";
    *en = "pass";
  } else if (strcmp(insp, "non_conformant") == 0) {
    *zh = "不合格";
    *en = "FAIL";
  } else {
    *zh = "已检";
    *en = "done";
  }
}

/* 1 when s starts with a GTIN (8, 12, 13 or 14 digits, valid check digit)
 * followed by whitespace and more: *gtin gets it as 14 digits. */
static int gtin_and_more(const char *s, char gtin[15], const char **rest) {
  size_t n = strspn(s, "0123456789");
  if (!(n == 8 || n == 12 || n == 13 || n == 14) || (s[n] != ' ' && s[n] != '\t')) return 0;
  char tmp[15];
  memset(tmp, '0', 14);
  memcpy(tmp + 14 - n, s, n);
  tmp[14] = 0;
  if (!sy_gs1_check_ok(tmp, 14)) return 0;
  memcpy(gtin, tmp, 15);
  *rest = s + n + strspn(s + n, " \t");
  return **rest != 0;
}

typedef struct sms_reply {
  char text[600];
  const char *kind; /* product, code, help */
  const char *result;
} sms_reply;

/* The reply for a product found (exported for tests/test_codes.c). */
void sy_api_sms_product_reply(const sy_product *pp, char *out, size_t size);
void sy_api_sms_product_reply(const sy_product *pp, char *out, size_t size) {
  const sy_product *p = pp;
  const char *zh, *en;
  inspection_words(p->inspection, &zh, &en);
  seg s[8];
  memset(s, 0, sizeof s);
  size_t n = 0;
  snprintf(s[n].text, sizeof s[n].text, "%s", p->product_name[0] ? p->product_name : p->gtin);
  s[n++].stretch = 1;
  if (p->lot[0]) snprintf(s[n].text, sizeof s[n].text, " 批号%s", p->lot), s[n++].prio = 2;
  if (p->serial[0]) snprintf(s[n].text, sizeof s[n].text, " 序号%s", p->serial), s[n++].prio = 3;
  snprintf(s[n].text, sizeof s[n].text, " 检验%s", zh), n++;
  if (p->production_date[0])
    snprintf(s[n].text, sizeof s[n].text, " 生产%s", p->production_date), s[n++].prio = 4;
  snprintf(s[n].text, sizeof s[n].text, "。QC %s", en), s[n++].prio = 1;
  sms_compose(s, n, out, size);
}

static void sms_product(sy_api_router *r, const char *id, sms_reply *out) {
  sy_product p;
  out->kind = "product";
  if (sy_product_lookup(r->ledger, id, &p, NULL, 0) != SY_OK) {
    out->result = "not_found";
    snprintf(out->text, sizeof out->text, "未找到该商品的溯源记录。No trace record found.");
    return;
  }
  out->result = "found";
  sy_api_sms_product_reply(&p, out->text, sizeof out->text);
}

static void sms_code(sy_api_router *r, const char *code, const char *key, sms_reply *out) {
  scan_result sr;
  out->kind = "code";
  verify_code(r, code, "", &sr);
  seg s[6];
  memset(s, 0, sizeof s);
  size_t n = 0;
  switch (sr.v) {
    case V_UNKNOWN:
      rl_unknown(r->ac, key);
      out->result = "unknown";
      snprintf(out->text, sizeof out->text, "查无此防伪码,谨防假冒。Unknown code: may be fake.");
      return;
    case V_REVOKED:
      out->result = "revoked";
      snprintf(out->text, sizeof out->text, "此防伪码已作废,谨防假冒。Code revoked: may be fake.");
      return;
    case V_ERROR:
      out->result = "error";
      snprintf(out->text, sizeof out->text, "系统繁忙,请稍后再试。Service busy, try later.");
      return;
    default:
      break;
  }
  sy_product p;
  product_of(r, &sr.code, &p);
  char date[11];
  sms_date(sr.first_ms, date);
  if (sr.v == V_GENUINE) {
    out->result = "genuine";
    snprintf(s[n].text, sizeof s[n].text, "正品:"), n++;
    snprintf(s[n].text, sizeof s[n].text, "%s", p.product_name[0] ? p.product_name : sr.code.gtin);
    s[n++].stretch = 1;
    snprintf(s[n].text, sizeof s[n].text, " 批号%s", sr.code.lot), s[n++].prio = 2;
    snprintf(s[n].text, sizeof s[n].text, " 首次查询。"), n++;
    snprintf(s[n].text, sizeof s[n].text, "Genuine, first check"), s[n++].prio = 1;
  } else {
    out->result = "suspicious";
    snprintf(s[n].text, sizeof s[n].text, "注意:此码已于%s首次查询,共%" PRIu64 "次,谨防假冒。",
             date, sr.count),
        n++;
    snprintf(s[n].text, sizeof s[n].text, "%s", p.product_name[0] ? p.product_name : sr.code.gtin);
    s[n].stretch = 1, s[n++].prio = 3;
    snprintf(s[n].text, sizeof s[n].text, " Suspicious: checked %s", date), s[n++].prio = 1;
  }
  sms_compose(s, n, out->text, sizeof out->text);
}

void sy_api_sms_post(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  char *body = body_text(r, rq, rs);
  if (!body) return;
  cJSON *j = NULL;
  const char *text = body, *from = NULL;
  if (is_json(rq->content_type)) {
    j = cJSON_Parse(body);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "from");
    if (!cJSON_IsObject(j) || !cJSON_IsString(t) || (f && !cJSON_IsString(f))) {
      sy_api_problem(r, rs, 400, "bad-request", rq->path,
                     "the body must be {\"from\": \"+86...\", \"text\": \"...\"} or the message "
                     "as text/plain");
      goto out;
    }
    text = t->valuestring;
    from = f ? f->valuestring : NULL;
  } else if (rq->content_type && strncasecmp(rq->content_type, "text/plain", 10) != 0) {
    sy_api_problem(r, rs, 415, "unsupported-media-type", rq->path,
                   "POST /v1/sms takes text/plain or application/json");
    goto out;
  }
  /* The sender's number keys the rate limit only when a trusted gateway
   * says so (a member's Bearer token): anyone else could name a fresh
   * "from" for every guess. Otherwise the client address is the key. */
  char fromc[40] = "";
  if (from && r->tokens) {
    const char *authz = rq->header ? rq->header(rq->query_ctx, "Authorization") : NULL;
    uint8_t kid[SY_KEYID_LEN];
    char why[160];
    if (authz && sy_api_tokens_check(r->tokens, authz, kid, why, sizeof why) == SY_OK)
      sy_api_utf8_clean(fromc, sizeof fromc, from, 32);
  }
  char key[72];
  rl_key(rq, fromc, key);
  /* The text, trimmed, at most 320 bytes looked at (two SMS worth). */
  char msg[330];
  sy_api_utf8_clean(msg, sizeof msg, text, 320);
  char *m = msg;
  while (*m == ' ' || *m == '\t' || *m == '\r' || *m == '\n') m++;
  size_t ml = strlen(m);
  while (ml && (m[ml - 1] == ' ' || m[ml - 1] == '\t' || m[ml - 1] == '\r' || m[ml - 1] == '\n'))
    m[--ml] = 0;
  sms_reply rep = {.kind = "help", .result = "help"};
  int status = 200;
  char gtin[15], norm[SY_CODE_CHARS + 1];
  const char *rest = NULL;
  int wait = rl_take(r->ac, key);
  if (wait) {
    status = 429;
    rep.kind = "limit";
    rep.result = "rate_limited";
    snprintf(rep.text, sizeof rep.text, "查询过于频繁,请稍后再试。Too many queries, try later.");
    rs->retry_after = wait;
  } else if (gtin_and_more(m, gtin, &rest)) {
    /* "GTIN SERIAL" or "GTIN LOT SERIAL" */
    char a[64] = "", b2[64] = "";
    int k = sscanf(rest, "%63s %63s", a, b2);
    char *ea = sy_api_url_encode(a, strlen(a)), *eb = sy_api_url_encode(b2, strlen(b2));
    char id[400];
    if (ea && eb) {
      if (k == 2)
        snprintf(id, sizeof id, "/01/%s/10/%s/21/%s", gtin, ea, eb);
      else
        snprintf(id, sizeof id, "/01/%s/21/%s", gtin, ea);
      sms_product(r, id, &rep);
    }
    free(ea);
    free(eb);
  } else if (strncmp(m, "http://", 7) == 0 || strncmp(m, "https://", 8) == 0 || m[0] == '(' ||
             strncmp(m, "urn:epc:", 8) == 0 || strncmp(m, "/01/", 4) == 0 ||
             (strlen(m) > 16 && strspn(m, "0123456789") >= 16)) {
    sy_gs1 g;
    if (sy_gs1_parse_any(m, &g, NULL, 0) == 0 && g.n > 0) sms_product(r, m, &rep);
  } else if (sy_code_normalise(m, norm) == 0) {
    explicit_bzero(norm, sizeof norm);
    sms_code(r, m, key, &rep);
  } else if (strspn(m, "0123456789") == ml && (ml == 8 || ml == 12 || ml == 13 || ml == 14)) {
    sms_product(r, m, &rep); /* a bare GTIN */
  }
  if (!rep.text[0]) snprintf(rep.text, sizeof rep.text, "%s", SMS_HELP);
  int ucs2;
  size_t units = sy_api_sms_units(rep.text, &ucs2);
  const char *accept = rq->header ? rq->header(rq->query_ctx, "Accept") : NULL;
  const char *fmt = NULL;
  size_t fl = 0;
  int want_text = (rq->query && rq->query(rq->query_ctx, "format", &fmt, &fl) && fmt && fl == 4 &&
                   memcmp(fmt, "text", 4) == 0) ||
                  (accept && strstr(accept, "text/plain") && !strstr(accept, "json"));
  if (want_text) {
    size_t n = strlen(rep.text);
    rs->body = malloc(n + 1);
    if (!rs->body) {
      sy_api_resp_oom(rs);
      goto out;
    }
    memcpy(rs->body, rep.text, n + 1);
    rs->body_len = n;
    rs->status = status;
    rs->content_type = "text/plain; charset=utf-8";
    goto out;
  }
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  jb_str(&b, o, "reply", rep.text);
  jb_str(&b, o, "kind", rep.kind);
  jb_str(&b, o, "result", rep.result);
  jb_str(&b, o, "encoding", ucs2 ? "UCS-2" : "GSM-7");
  jb_u64(&b, o, "units", units);
  sy_api_resp_json(rs, status, o, b.oom, NULL);
out:
  cJSON_Delete(j);
  explicit_bzero(body, strlen(body));
  free(body);
}

/* ---- alerts, code counts, organisation entries ------------------------------------- */

typedef struct qp {
  char view[16], gtin[32], lot[64], id[80], since[48], limit[16];
  int bad;
} qp;

static int qp_each(void *arg, const char *key, size_t klen, const char *val, size_t vlen) {
  qp *q = arg;
  struct {
    const char *k;
    char *dst;
    size_t size;
  } known[] = {{"view", q->view, sizeof q->view},    {"gtin", q->gtin, sizeof q->gtin},
               {"lot", q->lot, sizeof q->lot},       {"id", q->id, sizeof q->id},
               {"since", q->since, sizeof q->since}, {"limit", q->limit, sizeof q->limit}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strlen(known[i].k) != klen || memcmp(known[i].k, key, klen) != 0) continue;
    if (!val || vlen == 0 || vlen >= known[i].size || memchr(val, 0, vlen) ||
        !sy_api_utf8_valid((const uint8_t *)val, vlen)) {
      q->bad = 1;
      return 1;
    }
    memcpy(known[i].dst, val, vlen);
    known[i].dst[vlen] = 0;
    return 0;
  }
  return 0; /* other parameters are ignored */
}

/* The token's member's organisation; 0 and rs filled when refused. */
static int member_org(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, char org[65]) {
  uint8_t kid[SY_KEYID_LEN];
  if (!sy_api_authorize(r, rq, rs, 0, kid, NULL)) return 0;
  sy_member m;
  int rc = sy_ledger_get_member(r->ledger, kid, &m);
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "member lookup");
    return 0;
  }
  snprintf(org, 65, "%s", m.org);
  return 1;
}

static void org_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *id) {
  sy_org o;
  int rc = sy_ledger_get_org(r->ledger, id, &o);
  if (rc == SY_ENOTFOUND || rc == SY_EINVAL) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no organisation has this id");
    return;
  }
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "organisation lookup");
    return;
  }
  sy_jb b = {0};
  cJSON *j = cJSON_CreateObject();
  jb_str(&b, j, "id", o.id);
  jb_str(&b, j, "name", o.name);
  jb_u64(&b, j, "added_height", o.added_height);
  cJSON *c = jb_obj(&b, j, "contact");
  jb_str(&b, c, "tel", o.tel[0] ? o.tel : NULL);
  jb_str(&b, c, "sms", o.sms[0] ? o.sms : NULL);
  jb_str(&b, c, "web", o.web[0] ? o.web : NULL);
  jb_u64(&b, j, "contact_height", o.contact_height);
  sy_api_resp_json(rs, 200, j, b.oom, NULL);
}

static void codes_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const qp *q) {
  char org[65];
  if (!member_org(r, rq, rs, org)) return;
  const char *gtin = q->gtin[0] ? q->gtin : NULL, *lot = q->lot[0] ? q->lot : NULL;
  sy_code_counts cc;
  int rc = sy_ledger_code_counts(r->ledger, org, gtin, lot, &cc);
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "code counts");
    return;
  }
  uint64_t verified = 0, alerts = 0;
  /* A log that cannot be read counts 0, as before the split. */
  (void)sy_scanlog_counts(r->ac->log, org, gtin, lot, &verified, &alerts);
  sy_jb b = {0};
  cJSON *j = cJSON_CreateObject();
  jb_str(&b, j, "org", org);
  jb_str(&b, j, "gtin", gtin);
  jb_str(&b, j, "lot", lot);
  jb_u64(&b, j, "issued", cc.issued);
  jb_u64(&b, j, "revoked", cc.revoked);
  jb_u64(&b, j, "verified", verified);
  jb_u64(&b, j, "alerts", alerts);
  sy_api_resp_json(rs, 200, j, b.oom, NULL);
}

typedef struct alert_list {
  sy_jb *b;
  cJSON *arr;
} alert_list;

/* One alert into the answer's list (sy_scan_alert_fn). */
static void alert_put(void *arg, const sy_scan_alert *al) {
  alert_list *l = arg;
  sy_jb *b = l->b;
  cJSON *a = jb_put(b, l->arr, NULL, cJSON_CreateObject());
  char t[32];
  jb_i64(b, a, "id", al->id);
  jb_str(b, a, "reason", al->reason);
  jb_str(b, a, "gtin", al->gtin);
  jb_str(b, a, "lot", al->lot);
  jb_str(b, a, "serial", al->serial);
  cJSON *pl = cJSON_Parse(al->places);
  jb_put(b, a, "places", pl ? pl : cJSON_CreateArray());
  jb_i64(b, a, "count", al->count);
  static const char *const tk[] = {"first_verified", "last_scan", "raised", "updated"};
  const int64_t tv[] = {al->first_ms, al->last_ms, al->raised_ms, al->updated_ms};
  for (int k = 0; k < 4; k++) {
    sy_api_format_time(tv[k], t);
    jb_str(b, a, tk[k], t);
  }
}

void sy_api_alerts_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  qp q;
  memset(&q, 0, sizeof q);
  if (rq->query_each) rq->query_each(rq->query_ctx, qp_each, &q);
  if (q.bad) {
    sy_api_problem(r, rs, 400, "bad-request", rq->path,
                   "a parameter (view, gtin, lot, id, since, limit) is empty, too long or not "
                   "UTF-8");
    return;
  }
  if (strcmp(q.view, "org") == 0) {
    if (!q.id[0]) {
      sy_api_problem(r, rs, 400, "bad-request", rq->path, "view=org needs id=ORG");
      return;
    }
    org_get(r, rq, rs, q.id);
    return;
  }
  if (strcmp(q.view, "codes") == 0) {
    codes_get(r, rq, rs, &q);
    return;
  }
  if (q.view[0] && strcmp(q.view, "alerts") != 0) {
    sy_api_problem(r, rs, 400, "bad-request", rq->path, "view is alerts, codes or org");
    return;
  }
  int64_t since = 0;
  uint64_t limit = 100;
  if (q.since[0] && sy_api_parse_time(q.since, &since) != 0) {
    sy_api_problem(r, rs, 400, "bad-request", rq->path,
                   "since must be an RFC 3339 date-time, e.g. 2026-11-25T00:00:00Z");
    return;
  }
  if (q.limit[0] && (sy_api_parse_u64(q.limit, strlen(q.limit), &limit) != 0 || limit < 1 ||
                     limit > ALERTS_MAX)) {
    sy_api_problem(r, rs, 400, "bad-request", rq->path, "limit must be 1 to %d", ALERTS_MAX);
    return;
  }
  char org[65];
  if (!member_org(r, rq, rs, org)) return;
  sy_jb b = {0};
  cJSON *j = cJSON_CreateObject();
  jb_str(&b, j, "org", org);
  cJSON *arr = jb_arr(&b, j, "alerts");
  alert_list al = {&b, arr};
  int ok = sy_scanlog_alerts(r->ac->log, org, since, limit, alert_put, &al) == SY_OK;
  if (!ok) {
    cJSON_Delete(j);
    sy_api_problem(r, rs, 503, "storage-unavailable", rq->path, "the scan log cannot be read");
    return;
  }
  sy_api_resp_json(rs, 200, j, b.oom, NULL);
}
