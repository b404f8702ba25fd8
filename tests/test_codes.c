/* Anti-counterfeit codes and organisation contacts on the ledger (SPEC C4,
 * I7; docs/codes.md): the code text format, commitments, deterministic
 * apply of org.contact / code.issue / code.revoke with their reasons, the
 * queries, and verify's detection of edited codes / contact tables (G2). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/product.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"
#include "testutil.h"

static sy_key *admin, *node, *admin2, *rec, *aud, *rec2;
static char genesis[4096];
static const sy_suite *S;
static const char *GTIN = "04012345111118"; /* valid check digit */

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

static void make_genesis(int with_contact) {
  char a[65], n[65], a2[65];
  pkhex(admin, a);
  pkhex(node, n);
  pkhex(admin2, a2);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"codes\",\"suite\":\"ed25519-sha256\",\"created_ms\":1764100000000,"
           "\"orgs\":[{\"id\":\"brand\",\"name\":\"Brand Co\",%s"
           "\"admins\":[{\"name\":\"a\",\"public_key\":\"%s\"}]},"
           "{\"id\":\"other\",\"name\":\"Other Co\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"brand\",\"public_key\":\"%s\",\"address\":\"http://"
           "127.0.0.1:7420\"}]}",
           with_contact
               ? "\"contact\":{\"tel\":\"+86 400-800-1234\",\"web\":\"https://brand.example\"},"
               : "",
           a, a2, n);
}

typedef struct txb {
  uint8_t *p;
  size_t len;
} txb;

static uint64_t nonce_ctr = 1;
static txb mk(const sy_key *k, int type, const char *payload) {
  sy_buf b = {0};
  uint64_t nonce = nonce_ctr++;
  int rc = sy_key_sign_tx(k, &b, (uint8_t)type, "codes", 1764100001000ull + nonce, nonce,
                          (const uint8_t *)payload, strlen(payload));
  CHECK_EQ(rc, SY_OK);
  txb t;
  t.p = sy_buf_take(&b, &t.len);
  return t;
}

static int append(sy_ledger *l, txb *t, size_t n, uint16_t *flags) {
  sy_batch_tx bt[32];
  for (size_t i = 0; i < n; i++) bt[i] = (sy_batch_tx){t[i].p, t[i].len, 0, NULL};
  sy_batch b = {.txs = bt, .n = n, .timestamp_ms = 1764100002000ull};
  memcpy(b.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  sy_commit_info ci;
  return sy_ledger_append(l, &b, flags, &ci);
}

static void free_txs(txb *t, size_t n) {
  for (size_t i = 0; i < n; i++) free(t[i].p);
}

static char member_json[512];
static const char *member_add(const char *org, const sy_key *k, const char *roles) {
  char h[65];
  pkhex(k, h);
  snprintf(member_json, sizeof member_json,
           "{\"org\":\"%s\",\"public_key\":\"%s\",\"roles\":[%s],\"name\":\"m\"}", org, h, roles);
  return member_json;
}

static sy_ledger *open_ledger(const char *path) {
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path,
                      .node_key = node,
                      .genesis = (const uint8_t *)genesis,
                      .genesis_len = strlen(genesis)};
  char err[256] = "";
  int rc = sy_ledger_open(&l, &o, err, sizeof err);
  if (rc) fprintf(stderr, "open: %s\n", err);
  CHECK_EQ(rc, SY_OK);
  return l;
}

static int exec_sql(const char *path, const char *sql) {
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc) fprintf(stderr, "sql: %s\n", msg);
  sqlite3_free(msg);
  sqlite3_close(db);
  return rc;
}

static void copy_file(const char *from, const char *to) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  CHECK_EQ(system(cmd), 0);
}

/* Codes for serials 1..n of lot: texts into codes[i], an issue payload. */
static char *issue_payload(const uint8_t salt[SY_HASH_LEN], const char *lot, int first, int n,
                           char (*codes)[SY_CODE_TEXT]) {
  size_t cap = 256 + (size_t)n * 100;
  char *p = malloc(cap);
  size_t o = (size_t)snprintf(p, cap, "{\"gtin\":\"%s\",\"lot\":\"%s\",\"codes\":[", GTIN, lot);
  for (int i = 0; i < n; i++) {
    uint8_t rnd[10];
    for (int k = 0; k < 10; k++) rnd[k] = (uint8_t)(rand() & 0xff);
    sy_code_format(rnd, codes[i]);
    char norm[SY_CODE_CHARS + 1], hex[65];
    CHECK_EQ(sy_code_normalise(codes[i], norm), 0);
    uint8_t c[SY_HASH_LEN];
    sy_code_commit(salt, norm, c);
    sy_hex_encode(hex, c, SY_HASH_LEN);
    o += (size_t)snprintf(p + o, cap - o, "%s[\"%d\",\"%s\"]", i ? "," : "", first + i, hex);
  }
  snprintf(p + o, cap - o, "]}");
  return p;
}

static void test_codec(void) {
  /* 80 bits -> 16 Crockford characters, most significant first */
  uint8_t zero[10] = {0}, ones[10],
          seq[10] = {0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf};
  memset(ones, 0xff, sizeof ones);
  char t[SY_CODE_TEXT], n[SY_CODE_CHARS + 1];
  sy_code_format(zero, t);
  CHECK(strcmp(t, "0000-0000-0000-0000") == 0);
  sy_code_format(ones, t);
  CHECK(strcmp(t, "ZZZZ-ZZZZ-ZZZZ-ZZZZ") == 0);
  sy_code_format(seq, t); /* 5-bit groups 0,1,2,...,15 */
  CHECK(strcmp(t, "0123-4567-89AB-CDEF") == 0);
  /* normalisation: case, dashes, spaces, O->0, I/L->1 */
  CHECK_EQ(sy_code_normalise("7kq2-m9xd 4htp.r3wa", n), 0);
  CHECK(strcmp(n, "7KQ2M9XD4HTPR3WA") == 0);
  CHECK_EQ(sy_code_normalise("OIL0-0000-0000-0000", n), 0);
  CHECK(strcmp(n, "0110000000000000") == 0);
  CHECK_EQ(sy_code_normalise("7KQ2-M9XD-4HTP-R3W", n), -1);   /* 15 characters */
  CHECK_EQ(sy_code_normalise("7KQ2-M9XD-4HTP-R3WAA", n), -1); /* 17 */
  CHECK_EQ(sy_code_normalise("7KQ2-M9XD-4HTP-R3WU", n), -1);  /* U is not Crockford */
  CHECK_EQ(sy_code_normalise("7KQ2-M9XD-4HTP-R3W\xc3\xa9", n), -1);
  CHECK_EQ(sy_code_normalise("", n), -1);
  /* contact checks */
  CHECK(sy_contact_phone_ok("+86 400-800-1234"));
  CHECK(sy_contact_phone_ok("10690000"));
  CHECK(!sy_contact_phone_ok("12"));
  CHECK(!sy_contact_phone_ok("call 400"));
  CHECK(!sy_contact_phone_ok("123456789012345678901234567890123"));
  CHECK(sy_contact_web_ok("https://brand.example/q"));
  CHECK(!sy_contact_web_ok("ftp://brand.example"));
  CHECK(!sy_contact_web_ok("https://"));
  CHECK(!sy_contact_web_ok("https://a b"));
  CHECK(!sy_contact_web_ok("javascript:alert(1)"));
  CHECK(!sy_contact_web_ok("https://x/\"><script>"));
}

static int sy_api_utf8_ok(const char *s) { /* whole UTF-8 sequences only */
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int n = *p < 0x80             ? 1
            : (*p & 0xE0) == 0xC0 ? 2
            : (*p & 0xF0) == 0xE0 ? 3
            : (*p & 0xF8) == 0xF0 ? 4
                                  : 0;
    if (!n) return 0;
    for (int k = 1; k < n; k++)
      if ((p[k] & 0xC0) != 0x80) return 0;
    p += n;
  }
  return 1;
}

/* routes_ac.c, exported for this test */
size_t sy_api_sms_units(const char *s, int *ucs2);
void sy_api_sms_product_reply(const sy_product *p, char *out, size_t size);

/* SMS replies fit one message whatever the product's strings (SPEC M2). */
static void test_sms(void) {
  int ucs2;
  CHECK_EQ(sy_api_sms_units("hello", &ucs2), 5);
  CHECK_EQ(ucs2, 0);
  CHECK_EQ(sy_api_sms_units("a[b]", &ucs2), 6); /* GSM-7 extension characters count 2 */
  CHECK_EQ(sy_api_sms_units("\xe6\xba\xaf\xe6\xba\x90 ok", &ucs2), 5);
  CHECK_EQ(ucs2, 1);
  CHECK_EQ(sy_api_sms_units("\xf0\x9f\x8d\xb5", &ucs2), 2); /* outside the BMP: a surrogate pair */
  sy_product p;
  memset(&p, 0, sizeof p);
  snprintf(p.gtin, sizeof p.gtin, "%s", GTIN);
  snprintf(p.product_name, sizeof p.product_name, "Longjing Tea");
  snprintf(p.lot, sizeof p.lot, "L1");
  snprintf(p.serial, sizeof p.serial, "2");
  snprintf(p.inspection, sizeof p.inspection, "conformant");
  snprintf(p.production_date, sizeof p.production_date, "2026-11-20");
  char out[600];
  sy_api_sms_product_reply(&p, out, sizeof out);
  fprintf(stderr, "  sms short: %s (%zu)\n", out, sy_api_sms_units(out, &ucs2));
  CHECK(strstr(out, "Longjing Tea") && strstr(out, "\xe6\x89\xb9\xe5\x8f\xb7L1") &&
        strstr(out, "QC pass") && strstr(out, "2026-11-20"));
  CHECK(sy_api_sms_units(out, &ucs2) <= 70 && ucs2);
  /* the longest strings a product can have: 42 Chinese characters of name,
   * a 20-character lot and serial */
  p.product_name[0] = 0;
  for (int i = 0; i < 42; i++) strcat(p.product_name, "\xe9\xbe\x99"); /* 龙 */
  memset(p.lot, 'L', 20);
  p.lot[20] = 0;
  memset(p.serial, '9', 20);
  p.serial[20] = 0;
  snprintf(p.inspection, sizeof p.inspection, "non_conformant");
  sy_api_sms_product_reply(&p, out, sizeof out);
  fprintf(stderr, "  sms long:  %s (%zu)\n", out, sy_api_sms_units(out, &ucs2));
  CHECK(sy_api_sms_units(out, &ucs2) <= 70 && ucs2);
  CHECK(strstr(out, "\xe4\xb8\x8d\xe5\x90\x88\xe6\xa0\xbc") != NULL); /* 不合格 survives */
  CHECK(strstr(out, "\xe2\x80\xa6") != NULL);                         /* name shortened */
  CHECK(sy_api_utf8_ok(out));
}

static void expect_bad(const char *path, uint64_t height, const char *label) {
  sy_verify_report r;
  CHECK_EQ(sy_ledger_verify(path, &r, NULL, NULL), SY_OK);
  CHECK_EQ(r.ok, 0);
  CHECK_EQ(r.bad_height, height);
  fprintf(stderr, "  tamper %-28s -> height %llu: %s\n", label, (unsigned long long)r.bad_height,
          r.what);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  S = sy_suite_default();
  srand(7);
  sy_key **keys[] = {&admin, &node, &admin2, &rec, &aud, &rec2};
  for (size_t i = 0; i < 6; i++) CHECK_EQ(sy_key_generate(S, keys[i]), SY_OK);
  test_codec();
  test_sms();

  const char *dir = sy_test_dir("codes");
  CHECK(dir != NULL);
  char path[600], tp[600];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  snprintf(tp, sizeof tp, "%s/tamper.db", dir);

  /* A genesis contact that is not valid is refused with a clear message. */
  make_genesis(0);
  {
    char bad[4096];
    const char *at = strstr(genesis, "\"admins\"");
    snprintf(bad, sizeof bad, "%.*s\"contact\":{\"web\":\"javascript:x\"},%s", (int)(at - genesis),
             genesis, at);
    char err[256] = "";
    sy_genesis_info gi;
    CHECK_EQ(sy_genesis_check((const uint8_t *)bad, strlen(bad), &gi, err, sizeof err),
             SY_EMALFORMED);
    CHECK(strstr(err, "contact") != NULL);
  }

  make_genesis(1);
  sy_ledger *l = open_ledger(path);
  sy_org org;
  CHECK_EQ(sy_ledger_get_org(l, "brand", &org), SY_OK);
  CHECK(strcmp(org.name, "Brand Co") == 0);
  CHECK(strcmp(org.tel, "+86 400-800-1234") == 0);
  CHECK(strcmp(org.sms, "") == 0);
  CHECK(strcmp(org.web, "https://brand.example") == 0);
  CHECK_EQ(sy_ledger_get_org(l, "other", &org), SY_OK);
  CHECK(strcmp(org.tel, "") == 0 && strcmp(org.web, "") == 0);
  CHECK_EQ(sy_ledger_get_org(l, "nobody", &org), SY_ENOTFOUND);

  sy_tip tip;
  sy_ledger_tip(l, &tip);
  const uint8_t *salt = tip.genesis_hash;

  /* Block 1: members. */
  uint16_t f[32];
  txb b1[3];
  b1[0] = mk(admin, SY_TX_MEMBER_ADD, member_add("brand", rec, "\"recorder\""));
  b1[1] = mk(admin, SY_TX_MEMBER_ADD, member_add("brand", aud, "\"auditor\""));
  b1[2] = mk(admin2, SY_TX_MEMBER_ADD, member_add("other", rec2, "\"recorder\""));
  CHECK_EQ(append(l, b1, 3, f), SY_OK);
  for (int i = 0; i < 3; i++) CHECK_EQ(f[i], SY_R_VALID);
  free_txs(b1, 3);

  /* Block 2: issue, and every way an issue or a contact can be wrong. */
  char codes[8][SY_CODE_TEXT], other[4][SY_CODE_TEXT], dup[2][SY_CODE_TEXT];
  char *good = issue_payload(salt, "L1", 1, 5, codes);
  char *denied = issue_payload(salt, "L1", 100, 2, other);
  char *dupser = issue_payload(salt, "L2", 7, 2, dup);
  /* the same serial twice in one transaction */
  char *p = strstr(dupser, "[\"8\"");
  CHECK(p != NULL);
  if (p) p[2] = '7';
  char samecommit[512];
  {
    /* a commitment that the good issue carries too */
    const char *c0 = strstr(good, "[\"1\",\"") + 6;
    snprintf(samecommit, sizeof samecommit,
             "{\"gtin\":\"%s\",\"lot\":\"L9\",\"codes\":[[\"1\",\"%.64s\"]]}", GTIN, c0);
  }
  char badgtin[256];
  snprintf(badgtin, sizeof badgtin,
           "{\"gtin\":\"04012345111117\",\"lot\":\"L1\",\"codes\":[[\"1\",\"%064d\"]]}", 0);
  txb b2[9];
  b2[0] = mk(rec, SY_TX_CODE_ISSUE, good);
  b2[1] = mk(aud, SY_TX_CODE_ISSUE, denied);     /* auditor: role_denied */
  b2[2] = mk(rec, SY_TX_CODE_ISSUE, samecommit); /* duplicate commitment */
  b2[3] = mk(rec, SY_TX_CODE_ISSUE, dupser);     /* duplicate serial in one tx */
  b2[4] = mk(rec, SY_TX_CODE_ISSUE, badgtin);    /* wrong check digit */
  b2[5] = mk(admin, SY_TX_ORG_CONTACT,
             "{\"org\":\"brand\",\"tel\":\"400-800-1234\",\"sms\":\"1069 0000\","
             "\"web\":\"https://brand.example/q\"}");
  b2[6] = mk(admin, SY_TX_ORG_CONTACT, "{\"org\":\"other\",\"tel\":\"400-000-0000\"}");
  b2[7] = mk(rec, SY_TX_ORG_CONTACT, "{\"org\":\"brand\",\"tel\":\"400-000-0000\"}");
  b2[8] = mk(admin, SY_TX_ORG_CONTACT, "{\"org\":\"brand\",\"web\":\"ftp://x\"}");
  CHECK_EQ(append(l, b2, 9, f), SY_OK);
  CHECK_EQ(f[0], SY_R_VALID);
  CHECK_EQ(f[1], SY_R_ROLE_DENIED);
  CHECK_EQ(f[2], SY_R_ALREADY_EXISTS);
  CHECK_EQ(f[3], SY_R_ALREADY_EXISTS);
  CHECK_EQ(f[4], SY_R_MALFORMED_PAYLOAD);
  CHECK_EQ(f[5], SY_R_VALID);
  CHECK_EQ(f[6], SY_R_OTHER_ORG);
  CHECK_EQ(f[7], SY_R_ROLE_DENIED);
  CHECK_EQ(f[8], SY_R_MALFORMED_PAYLOAD);
  /* The chain holds commitments only: no code text in any transaction. */
  for (int i = 0; i < 9; i++) {
    for (int k = 0; k < 5; k++) {
      char norm[SY_CODE_CHARS + 1];
      sy_code_normalise(codes[k], norm);
      CHECK(memmem(b2[i].p, b2[i].len, codes[k], strlen(codes[k])) == NULL);
      CHECK(memmem(b2[i].p, b2[i].len, norm, strlen(norm)) == NULL);
    }
  }
  free_txs(b2, 9);
  CHECK_EQ(sy_ledger_get_org(l, "brand", &org), SY_OK);
  CHECK(strcmp(org.tel, "400-800-1234") == 0 && strcmp(org.sms, "1069 0000") == 0 &&
        strcmp(org.web, "https://brand.example/q") == 0);
  CHECK_EQ(org.contact_height, 2);
  CHECK_EQ(sy_ledger_get_org(l, "other", &org), SY_OK);
  CHECK(strcmp(org.tel, "") == 0); /* other_org changed nothing */

  /* Lookups from the code alone, in any spelling. */
  for (int k = 0; k < 5; k++) {
    char norm[SY_CODE_CHARS + 1], lower[SY_CODE_TEXT];
    for (size_t i = 0; i < sizeof lower; i++)
      lower[i] =
          (char)((codes[k][i] >= 'A' && codes[k][i] <= 'Z') ? codes[k][i] + 32 : codes[k][i]);
    CHECK_EQ(sy_code_normalise(lower, norm), 0);
    uint8_t cm[SY_HASH_LEN];
    sy_code_commit(salt, norm, cm);
    sy_code sc;
    CHECK_EQ(sy_ledger_get_code(l, cm, &sc), SY_OK);
    CHECK(strcmp(sc.org, "brand") == 0 && strcmp(sc.gtin, GTIN) == 0 && strcmp(sc.lot, "L1") == 0);
    CHECK_EQ(atoi(sc.serial), k + 1);
    CHECK_EQ(sc.height, 2);
    CHECK_EQ(sc.revoked_height, 0);
  }
  {
    char norm[SY_CODE_CHARS + 1];
    uint8_t cm[SY_HASH_LEN];
    sy_code sc;
    sy_code_normalise(other[0], norm); /* refused issue: not on the chain */
    sy_code_commit(salt, norm, cm);
    CHECK_EQ(sy_ledger_get_code(l, cm, &sc), SY_ENOTFOUND);
    /* a different salt (another chain) does not find it */
    uint8_t salt2[SY_HASH_LEN];
    memcpy(salt2, salt, SY_HASH_LEN);
    salt2[0] ^= 1;
    sy_code_normalise(codes[0], norm);
    sy_code_commit(salt2, norm, cm);
    CHECK_EQ(sy_ledger_get_code(l, cm, &sc), SY_ENOTFOUND);
  }

  /* Block 3: revoke. */
  char rv[256], rvall[128];
  snprintf(rv, sizeof rv, "{\"gtin\":\"%s\",\"lot\":\"L1\",\"from\":2,\"to\":3}", GTIN);
  snprintf(rvall, sizeof rvall, "{\"gtin\":\"%s\",\"lot\":\"L1\"}", GTIN);
  txb b3[5];
  b3[0] = mk(rec2, SY_TX_CODE_REVOKE, rvall); /* another brand's codes: nothing matches */
  b3[1] = mk(rec, SY_TX_CODE_REVOKE, rv);
  b3[2] = mk(rec, SY_TX_CODE_REVOKE, rv); /* already revoked: not_found */
  b3[3] = mk(aud, SY_TX_CODE_REVOKE, rvall);
  b3[4] = mk(rec, SY_TX_CODE_REVOKE, "{\"gtin\":\"04012345111118\",\"lot\":\"L1\",\"from\":3}");
  CHECK_EQ(append(l, b3, 5, f), SY_OK);
  CHECK_EQ(f[0], SY_R_NOT_FOUND);
  CHECK_EQ(f[1], SY_R_VALID);
  CHECK_EQ(f[2], SY_R_NOT_FOUND);
  CHECK_EQ(f[3], SY_R_ROLE_DENIED);
  CHECK_EQ(f[4], SY_R_MALFORMED_PAYLOAD);
  free_txs(b3, 5);
  for (int k = 0; k < 5; k++) {
    char norm[SY_CODE_CHARS + 1];
    uint8_t cm[SY_HASH_LEN];
    sy_code sc;
    sy_code_normalise(codes[k], norm);
    sy_code_commit(salt, norm, cm);
    CHECK_EQ(sy_ledger_get_code(l, cm, &sc), SY_OK);
    CHECK_EQ(sc.revoked_height, (k == 1 || k == 2) ? 3 : 0);
  }
  sy_code_counts cc;
  CHECK_EQ(sy_ledger_code_counts(l, "brand", GTIN, "L1", &cc), SY_OK);
  CHECK_EQ(cc.issued, 5);
  CHECK_EQ(cc.revoked, 2);
  CHECK_EQ(sy_ledger_code_counts(l, "brand", NULL, NULL, &cc), SY_OK);
  CHECK_EQ(cc.issued, 5);
  CHECK_EQ(sy_ledger_code_counts(l, "other", NULL, NULL, &cc), SY_OK);
  CHECK_EQ(cc.issued, 0);

  /* Block 4: a revoked serial may get a new code; a live one may not. */
  /* Another organisation cannot block the brand's serials: its own codes
   * for the same item are its own (and name it as the brand). */
  char re1[4][SY_CODE_TEXT], re2[4][SY_CODE_TEXT], re3[4][SY_CODE_TEXT];
  char *reissue = issue_payload(salt, "L1", 2, 1, re1);
  char *clash = issue_payload(salt, "L1", 4, 1, re2);
  char *squat = issue_payload(salt, "L1", 4, 1, re3);
  txb b4[3] = {mk(rec, SY_TX_CODE_ISSUE, reissue), mk(rec, SY_TX_CODE_ISSUE, clash),
               mk(rec2, SY_TX_CODE_ISSUE, squat)};
  CHECK_EQ(append(l, b4, 3, f), SY_OK);
  CHECK_EQ(f[0], SY_R_VALID);
  CHECK_EQ(f[1], SY_R_ALREADY_EXISTS);
  CHECK_EQ(f[2], SY_R_VALID);
  free_txs(b4, 3);
  free(squat);
  {
    char norm[SY_CODE_CHARS + 1];
    uint8_t cm[SY_HASH_LEN];
    sy_code sc;
    sy_code_normalise(re3[0], norm);
    sy_code_commit(salt, norm, cm);
    CHECK_EQ(sy_ledger_get_code(l, cm, &sc), SY_OK);
    CHECK(strcmp(sc.org, "other") == 0);
    CHECK_EQ(sy_ledger_code_counts(l, "other", NULL, NULL, &cc), SY_OK);
    CHECK_EQ(cc.issued, 1);
  }
  free(reissue);
  free(clash);
  free(good);
  free(denied);
  free(dupser);
  sy_ledger_close(l);

  /* verify: the chain replays to the same codes and contacts... */
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(path, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  if (!vr.ok) fprintf(stderr, "verify: %s\n", vr.what);
  CHECK_EQ(vr.blocks, 5);
  /* ...and any edit of them outside the chain is found. */
  struct {
    const char *label, *sql;
  } cases[] = {
      {"un-revoke a code", "UPDATE codes SET revoked_height=0 WHERE revoked_height=3"},
      {"delete a code", "DELETE FROM codes WHERE serial='5'"},
      {"forge a code",
       "INSERT INTO codes VALUES(zeroblob(32),'brand','04012345111118','L1','99',2,0)"},
      {"move a code to another brand", "UPDATE codes SET org='other' WHERE serial='1'"},
      {"change a contact", "UPDATE org_contacts SET web='https://evil.example' WHERE org='brand'"},
      {"add a contact", "INSERT INTO org_contacts VALUES('other','110','','',2)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    copy_file(path, tp);
    CHECK_EQ(exec_sql(tp, cases[i].sql), 0);
    expect_bad(tp, 4, cases[i].label);
  }

  /* A ledger file written before these tables existed still verifies. */
  make_genesis(0);
  char old[600];
  snprintf(old, sizeof old, "%s/old.db", dir);
  l = open_ledger(old);
  sy_ledger_close(l);
  CHECK_EQ(exec_sql(old, "DROP TABLE codes; DROP TABLE org_contacts;"), 0);
  CHECK_EQ(sy_ledger_verify(old, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  if (!vr.ok) fprintf(stderr, "verify old: %s\n", vr.what);

  for (size_t i = 0; i < 6; i++) sy_key_free(*keys[i]);
  return sy_test_done("test_codes");
}
