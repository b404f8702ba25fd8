/* Deterministic apply (DESIGN.md "one idea"; SPEC G1, G2, M1, M8c).
 *
 * Every node runs exactly this code over exactly the same ordered batch and
 * gets the same flags, the same state and the same results hash. Nothing here
 * may depend on the clock, the node, randomness, or iteration order of
 * anything but the batch and the state. Each transaction is checked first,
 * then written, so an invalid one never changes state. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger_internal.h"

/* What a transaction type needs from its signer. */
#define RIGHTS_GOVERN SY_ROLE_SYSTEM_MANAGER
#define RIGHTS_RECORD (SY_ROLE_RECORDER | SY_ROLE_INSPECTOR | SY_ROLE_BUSINESS_MANAGER)
/* Anti-counterfeit codes (docs/codes.md): the brand's recorders issue them
 * (they label what they produce); its system managers may too. */
#define RIGHTS_CODES (SY_ROLE_RECORDER | SY_ROLE_SYSTEM_MANAGER)
/* Most codes one code.issue may carry (the CLI sends 1000). */
#define CODES_PER_TX_MAX 10000

typedef struct signer {
  char org[65];
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  uint32_t roles;
  int revoked;
} signer;

typedef struct apply_ctx {
  sy_ledger *l;
  uint64_t height;
  uint64_t block_time_ms;
  int proposer_ok;                   /* the batch's proposer is a registered node */
  uint32_t cur_index;                /* index of the transaction being applied */
  const uint8_t *cur_id;             /* its id */
  sy_buf writes; /* the results log of this block (docs/format.md#results) */
  int err;       /* storage error: aborts the whole block */
} apply_ctx;

/* ---- results log: every state change, in order ------------------------- */

static void log_str(apply_ctx *c, const char *s) {
  size_t n = strlen(s);
  sy_buf_u32(&c->writes, (uint32_t)n);
  sy_buf_put(&c->writes, s, n);
}

static void log_bytes(apply_ctx *c, const void *p, size_t n) {
  sy_buf_u32(&c->writes, (uint32_t)n);
  sy_buf_put(&c->writes, p, n);
}

/* ---- state access --------------------------------------------------------- */

static int st_done(apply_ctx *c, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_DONE) return SY_OK;
  c->err = sy_ls_err(c->l->db, rc, c->l->err, sizeof c->l->err, what);
  return c->err;
}

/* 1 found, 0 absent, <0 error */
static int st_exists(apply_ctx *c, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_ROW) return 1;
  if (rc == SQLITE_DONE) return 0;
  c->err = sy_ls_err(c->l->db, rc, c->l->err, sizeof c->l->err, "read state");
  return c->err;
}

static int get_member(apply_ctx *c, const uint8_t id[SY_KEYID_LEN], signer *s) {
  sqlite3_stmt *st = c->l->get_member_w;
  sqlite3_bind_blob(st, 1, id, SY_KEYID_LEN, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int found = 0;
  if (rc == SQLITE_ROW) {
    const char *org = (const char *)sqlite3_column_text(st, 0);
    snprintf(s->org, sizeof s->org, "%s", org ? org : "");
    s->pk_len = (size_t)sqlite3_column_bytes(st, 1);
    if (s->pk_len > SY_PK_MAX) s->pk_len = 0;
    memcpy(s->pk, sqlite3_column_blob(st, 1), s->pk_len);
    s->roles = (uint32_t)sqlite3_column_int64(st, 2);
    s->revoked = sqlite3_column_int(st, 3);
    found = 1;
  } else if (rc != SQLITE_DONE) {
    c->err = sy_ls_err(c->l->db, rc, c->l->err, sizeof c->l->err, "read member");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return c->err ? c->err : found;
}

static int org_exists(apply_ctx *c, const char *org) {
  sqlite3_bind_text(c->l->has_org, 1, org, -1, SQLITE_STATIC);
  return st_exists(c, c->l->has_org);
}

static int add_member(apply_ctx *c, const uint8_t id[SY_KEYID_LEN], const char *org,
                      const uint8_t *pk, size_t pk_len, const char *name, uint32_t roles) {
  sqlite3_stmt *st = c->l->ins_member;
  sqlite3_bind_blob(st, 1, id, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, pk, (int)pk_len, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, roles);
  sqlite3_bind_int64(st, 6, (sqlite3_int64)c->height);
  log_str(c, "member.add");
  log_bytes(c, id, SY_KEYID_LEN);
  log_str(c, org);
  log_bytes(c, pk, pk_len);
  log_str(c, name);
  sy_buf_u32(&c->writes, roles);
  return st_done(c, st, "add member");
}

static int add_org(apply_ctx *c, const char *id, const char *name) {
  sqlite3_stmt *st = c->l->ins_org;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)c->height);
  log_str(c, "org.add");
  log_str(c, id);
  log_str(c, name);
  return st_done(c, st, "add org");
}

static int add_node(apply_ctx *c, const uint8_t id[SY_KEYID_LEN], const char *org,
                    const uint8_t *pk, size_t pk_len, const char *addr) {
  sqlite3_stmt *st = c->l->ins_node;
  sqlite3_bind_blob(st, 1, id, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, pk, (int)pk_len, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, addr, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)c->height);
  log_str(c, "node.add");
  log_bytes(c, id, SY_KEYID_LEN);
  log_str(c, org);
  log_bytes(c, pk, pk_len);
  log_str(c, addr);
  return st_done(c, st, "add node");
}

/* ---- organisations' contact channels (SPEC I7; docs/codes.md) ------------ */

typedef struct contact {
  const char *tel, *sms, *web; /* "" when absent */
} contact;

/* Parses {"tel","sms","web"} (each optional, at least one): 1 valid. */
static int parse_contact(const cJSON *o, contact *ct) {
  ct->tel = ct->sms = ct->web = "";
  if (!cJSON_IsObject(o)) return 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, o) {
    if (!f->string || !cJSON_IsString(f)) return 0;
    const char *v = f->valuestring;
    if (strcmp(f->string, "tel") == 0 && sy_contact_phone_ok(v))
      ct->tel = v;
    else if (strcmp(f->string, "sms") == 0 && sy_contact_phone_ok(v))
      ct->sms = v;
    else if (strcmp(f->string, "web") == 0 && sy_contact_web_ok(v))
      ct->web = v;
    else
      return 0; /* unknown member or bad value */
  }
  return *ct->tel || *ct->sms || *ct->web;
}

static int set_contact(apply_ctx *c, const char *org, const contact *ct) {
  sqlite3_stmt *st = c->l->set_contact;
  sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ct->tel, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ct->sms, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, ct->web, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)c->height);
  log_str(c, "org.contact");
  log_str(c, org);
  log_str(c, ct->tel);
  log_str(c, ct->sms);
  log_str(c, ct->web);
  return st_done(c, st, "set contact");
}

/* ---- payload helpers ------------------------------------------------------ */

static const char *jstr(const cJSON *o, const char *k, size_t max) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsString(v) || strlen(v->valuestring) > max) return NULL;
  return v->valuestring;
}

static int jpk(const sy_suite *s, const cJSON *o, const char *k, uint8_t *pk) {
  const char *h = jstr(o, k, 2 * SY_PK_MAX);
  return h && sy_hex_decode(pk, s->pk_len, h, strlen(h)) == SY_OK;
}

static int jkeyid(const cJSON *o, const char *k, uint8_t id[SY_KEYID_LEN]) {
  const char *h = jstr(o, k, 2 * SY_KEYID_LEN);
  return h && sy_hex_decode(id, SY_KEYID_LEN, h, strlen(h)) == SY_OK;
}

/* roles: a JSON array of role names; 0 when invalid */
static uint32_t jroles(const cJSON *o) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "roles");
  if (!cJSON_IsArray(a)) return 0;
  uint32_t mask = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, a) {
    uint32_t m;
    if (!cJSON_IsString(r) || strchr(r->valuestring, ',') ||
        sy_roles_parse(r->valuestring, &m) != SY_OK)
      return 0;
    mask |= m;
  }
  return mask;
}

static int good_ident(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '.' || ch == '_' || ch == '-'))
      return 0;
  }
  return 1;
}

/* ---- per-type rules: return a reason code, or <0 on storage error -------- */

static int apply_genesis(apply_ctx *c, const sy_tx *tx) {
  int oom = 0;
  cJSON *j = sy_ls_json_parse(tx->payload, tx->payload_len, &oom);
  if (!j) return oom ? SY_ENOMEM : SY_R_MALFORMED_PAYLOAD;
  const sy_suite *s = c->l->suite;
  int rc = SY_R_VALID;
  const cJSON *o, *a, *n;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(j, "orgs")) {
    const char *id = jstr(o, "id", 64), *name = jstr(o, "name", 256);
    if (!id || !name) {
      rc = SY_R_MALFORMED_PAYLOAD;
      goto out;
    }
    if (add_org(c, id, name)) goto out;
    const cJSON *cj = cJSON_GetObjectItemCaseSensitive(o, "contact");
    if (cj) { /* optional; absent leaves the results log as before */
      contact ct;
      if (!parse_contact(cj, &ct)) {
        rc = SY_R_MALFORMED_PAYLOAD;
        goto out;
      }
      if (set_contact(c, id, &ct)) goto out;
    }
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(o, "admins")) {
      uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
      const char *an = jstr(a, "name", 128);
      if (!jpk(s, a, "public_key", pk)) {
        rc = SY_R_MALFORMED_PAYLOAD;
        goto out;
      }
      sy_key_id(s, pk, s->pk_len, kid);
      if (add_member(c, kid, id, pk, s->pk_len, an ? an : "admin", SY_ROLE_SYSTEM_MANAGER))
        goto out;
    }
  }
  cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(j, "nodes")) {
    uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
    const char *org = jstr(n, "org", 64), *addr = jstr(n, "address", 256);
    if (!org || !jpk(s, n, "public_key", pk)) {
      rc = SY_R_MALFORMED_PAYLOAD;
      goto out;
    }
    sy_key_id(s, pk, s->pk_len, kid);
    if (add_node(c, kid, org, pk, s->pk_len, addr ? addr : "")) goto out;
  }
out:
  cJSON_Delete(j);
  return c->err ? c->err : rc;
}

static int apply_org_add(apply_ctx *c, const signer *sg, const cJSON *p) {
  (void)sg;
  const sy_suite *s = c->l->suite;
  const char *id = jstr(p, "id", 64), *name = jstr(p, "name", 256);
  const cJSON *admins = cJSON_GetObjectItemCaseSensitive(p, "admins");
  if (!good_ident(id) || !name || !cJSON_IsArray(admins) || cJSON_GetArraySize(admins) < 1)
    return SY_R_MALFORMED_PAYLOAD;
  const cJSON *cj = cJSON_GetObjectItemCaseSensitive(p, "contact");
  contact ct;
  if (cj && !parse_contact(cj, &ct)) return SY_R_MALFORMED_PAYLOAD;
  int e = org_exists(c, id);
  if (e) return e < 0 ? e : SY_R_ALREADY_EXISTS;
  const cJSON *a;
  cJSON_ArrayForEach(a, admins) { /* check all before writing any */
    uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
    signer other;
    if (!jpk(s, a, "public_key", pk)) return SY_R_MALFORMED_PAYLOAD;
    sy_key_id(s, pk, s->pk_len, kid);
    int m = get_member(c, kid, &other);
    if (m) return m < 0 ? m : SY_R_ALREADY_EXISTS;
  }
  if (add_org(c, id, name)) return c->err;
  if (cj && set_contact(c, id, &ct)) return c->err;
  cJSON_ArrayForEach(a, admins) {
    uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
    const char *an = jstr(a, "name", 128);
    jpk(s, a, "public_key", pk);
    sy_key_id(s, pk, s->pk_len, kid);
    if (add_member(c, kid, id, pk, s->pk_len, an ? an : "admin", SY_ROLE_SYSTEM_MANAGER))
      return c->err;
  }
  return SY_R_VALID;
}

static int apply_member_add(apply_ctx *c, const signer *sg, const cJSON *p) {
  const sy_suite *s = c->l->suite;
  const char *org = jstr(p, "org", 64);
  const char *name = jstr(p, "name", 128);
  uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
  uint32_t roles = jroles(p);
  if (!org || !jpk(s, p, "public_key", pk) || !roles) return SY_R_MALFORMED_PAYLOAD;
  if (strcmp(org, sg->org) != 0) return SY_R_OTHER_ORG;
  sy_key_id(s, pk, s->pk_len, kid);
  signer other;
  int m = get_member(c, kid, &other);
  if (m) return m < 0 ? m : SY_R_ALREADY_EXISTS;
  if (add_member(c, kid, org, pk, s->pk_len, name ? name : "", roles)) return c->err;
  return SY_R_VALID;
}

static int apply_member_revoke(apply_ctx *c, const signer *sg, const cJSON *p) {
  uint8_t kid[SY_KEYID_LEN];
  if (!jkeyid(p, "key_id", kid)) return SY_R_MALFORMED_PAYLOAD;
  signer target;
  int m = get_member(c, kid, &target);
  if (m < 0) return m;
  if (!m || target.revoked) return SY_R_NOT_FOUND;
  if (strcmp(target.org, sg->org) != 0) return SY_R_OTHER_ORG;
  sqlite3_bind_blob(c->l->revoke_member, 1, kid, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(c->l->revoke_member, 2, (sqlite3_int64)c->height);
  log_str(c, "member.revoke");
  log_bytes(c, kid, SY_KEYID_LEN);
  if (st_done(c, c->l->revoke_member, "revoke member")) return c->err;
  return SY_R_VALID;
}

static int node_get(apply_ctx *c, const uint8_t kid[SY_KEYID_LEN], char org[65], int *removed) {
  sqlite3_stmt *st = c->l->get_node_w;
  sqlite3_bind_blob(st, 1, kid, SY_KEYID_LEN, SQLITE_STATIC);
  int rc = sqlite3_step(st), found = 0;
  if (rc == SQLITE_ROW) {
    const char *o = (const char *)sqlite3_column_text(st, 0);
    snprintf(org, 65, "%s", o ? o : "");
    *removed = sqlite3_column_int(st, 1);
    found = 1;
  } else if (rc != SQLITE_DONE) {
    c->err = sy_ls_err(c->l->db, rc, c->l->err, sizeof c->l->err, "read node");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return c->err ? c->err : found;
}

static int apply_node_add(apply_ctx *c, const signer *sg, const cJSON *p) {
  const sy_suite *s = c->l->suite;
  const char *org = jstr(p, "org", 64), *addr = jstr(p, "address", 256);
  uint8_t pk[SY_PK_MAX], kid[SY_KEYID_LEN];
  if (!org || !jpk(s, p, "public_key", pk)) return SY_R_MALFORMED_PAYLOAD;
  if (strcmp(org, sg->org) != 0) return SY_R_OTHER_ORG;
  sy_key_id(s, pk, s->pk_len, kid);
  char norg[65];
  int removed;
  int e = node_get(c, kid, norg, &removed);
  if (e) return e < 0 ? e : SY_R_ALREADY_EXISTS;
  if (add_node(c, kid, org, pk, s->pk_len, addr ? addr : "")) return c->err;
  return SY_R_VALID;
}

static int apply_node_remove(apply_ctx *c, const signer *sg, const cJSON *p) {
  uint8_t kid[SY_KEYID_LEN];
  if (!jkeyid(p, "key_id", kid)) return SY_R_MALFORMED_PAYLOAD;
  char norg[65];
  int removed = 0;
  int e = node_get(c, kid, norg, &removed);
  if (e < 0) return e;
  if (!e || removed) return SY_R_NOT_FOUND;
  if (strcmp(norg, sg->org) != 0) return SY_R_OTHER_ORG;
  sqlite3_bind_blob(c->l->remove_node, 1, kid, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(c->l->remove_node, 2, (sqlite3_int64)c->height);
  log_str(c, "node.remove");
  log_bytes(c, kid, SY_KEYID_LEN);
  if (st_done(c, c->l->remove_node, "remove node")) return c->err;
  return SY_R_VALID;
}

/* org.contact: {"org": ID, "tel"?, "sms"?, "web"?} by a system manager of
 * that organisation; replaces the whole contact (omitted fields clear). */
static int apply_org_contact(apply_ctx *c, const signer *sg, const cJSON *p) {
  const char *org = jstr(p, "org", 64);
  if (!org) return SY_R_MALFORMED_PAYLOAD;
  cJSON *copy = cJSON_Duplicate(p, 1);
  if (!copy) {
    c->err = SY_ENOMEM;
    return c->err;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "org");
  contact ct;
  int ok = parse_contact(copy, &ct);
  int r = SY_R_VALID;
  if (!ok) {
    r = SY_R_MALFORMED_PAYLOAD;
  } else if (strcmp(org, sg->org) != 0) {
    r = SY_R_OTHER_ORG;
  } else {
    int e = org_exists(c, org);
    if (e <= 0)
      r = e < 0 ? e : SY_R_NOT_FOUND;
    else if (set_contact(c, org, &ct))
      r = c->err;
  }
  cJSON_Delete(copy);
  return r;
}

/* GTIN-14 with a valid GS1 mod-10 check digit. */
static int good_gtin14(const char *s) {
  if (!s || strlen(s) != 14) return 0;
  int sum = 0;
  for (int i = 0; i < 13; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    sum += (s[i] - '0') * (i % 2 == 0 ? 3 : 1);
  }
  return s[13] >= '0' && s[13] <= '9' && (10 - sum % 10) % 10 == s[13] - '0';
}

/* 1..20 characters of GS1 character set 82 (AI 10 lot, AI 21 serial). */
static int good_cset82(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > 20) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          strchr("!\"%&'()*+,-./:;<=>?_", ch)))
      return 0;
  }
  return 1;
}

typedef struct code_item {
  const char *serial;
  uint8_t commit[SY_HASH_LEN];
} code_item;

static int cmp_commit(const void *a, const void *b) {
  return memcmp(((const code_item *)a)->commit, ((const code_item *)b)->commit, SY_HASH_LEN);
}
static int cmp_serial(const void *a, const void *b) {
  return strcmp(((const code_item *)a)->serial, ((const code_item *)b)->serial);
}

/* code.issue: {"gtin": G14, "lot": L, "codes": [[serial, commitment hex], ...]}
 * by a recorder or system manager; the signer's organisation is the brand.
 * Every commitment, and every (gtin, lot, serial) with a live code of the
 * same organisation, must be new: a duplicate makes the whole transaction
 * invalid (already_exists). Per organisation, so no member can block a
 * brand's serials by issuing codes for them first; the chain does not know
 * who owns a GTIN, and verification names the issuing organisation. */
static int apply_code_issue(apply_ctx *c, const signer *sg, const cJSON *p) {
  const char *gtin = jstr(p, "gtin", 14), *lot = jstr(p, "lot", 20);
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(p, "codes");
  if (!good_gtin14(gtin) || !good_cset82(lot) || !cJSON_IsArray(arr)) return SY_R_MALFORMED_PAYLOAD;
  int n = cJSON_GetArraySize(arr);
  if (n < 1 || n > CODES_PER_TX_MAX) return SY_R_MALFORMED_PAYLOAD;
  code_item *it = calloc((size_t)n, sizeof *it);
  code_item *sorted = calloc((size_t)n, sizeof *sorted);
  int r = SY_R_VALID, i = 0;
  if (!it || !sorted) {
    free(it);
    free(sorted);
    c->err = SY_ENOMEM;
    return c->err;
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *s0 = cJSON_GetArrayItem(e, 0), *c1 = cJSON_GetArrayItem(e, 1);
    if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(s0) ||
        !cJSON_IsString(c1) || !good_cset82(s0->valuestring) ||
        strlen(c1->valuestring) != 2 * SY_HASH_LEN ||
        sy_hex_decode(it[i].commit, SY_HASH_LEN, c1->valuestring, 2 * SY_HASH_LEN) != SY_OK) {
      r = SY_R_MALFORMED_PAYLOAD;
      goto out;
    }
    it[i].serial = s0->valuestring;
    i++;
  }
  /* duplicates inside the transaction */
  memcpy(sorted, it, (size_t)n * sizeof *it);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_commit);
  for (i = 1; i < n; i++)
    if (memcmp(sorted[i - 1].commit, sorted[i].commit, SY_HASH_LEN) == 0) {
      r = SY_R_ALREADY_EXISTS;
      goto out;
    }
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_serial);
  for (i = 1; i < n; i++)
    if (strcmp(sorted[i - 1].serial, sorted[i].serial) == 0) {
      r = SY_R_ALREADY_EXISTS;
      goto out;
    }
  /* against the state */
  for (i = 0; i < n; i++) {
    sqlite3_bind_blob(c->l->has_code, 1, it[i].commit, SY_HASH_LEN, SQLITE_STATIC);
    int x = st_exists(c, c->l->has_code);
    if (!x) {
      sqlite3_bind_text(c->l->has_code_item, 1, gtin, -1, SQLITE_STATIC);
      sqlite3_bind_text(c->l->has_code_item, 2, lot, -1, SQLITE_STATIC);
      sqlite3_bind_text(c->l->has_code_item, 3, it[i].serial, -1, SQLITE_STATIC);
      sqlite3_bind_text(c->l->has_code_item, 4, sg->org, -1, SQLITE_STATIC);
      x = st_exists(c, c->l->has_code_item);
    }
    if (x) {
      r = x < 0 ? x : SY_R_ALREADY_EXISTS;
      goto out;
    }
  }
  log_str(c, "code.issue");
  log_str(c, sg->org);
  log_str(c, gtin);
  log_str(c, lot);
  sy_buf_u32(&c->writes, (uint32_t)n);
  for (i = 0; i < n; i++) {
    sqlite3_stmt *st = c->l->ins_code;
    sqlite3_bind_blob(st, 1, it[i].commit, SY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sg->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, gtin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, lot, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, it[i].serial, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)c->height);
    log_bytes(c, it[i].commit, SY_HASH_LEN);
    log_str(c, it[i].serial);
    if (st_done(c, st, "issue code")) {
      r = c->err;
      goto out;
    }
  }
out:
  free(it);
  free(sorted);
  return r;
}

/* A whole JSON number in [0, 10^15]: 1 and *v. */
static int jcount(const cJSON *o, const char *k, int64_t *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e15 ||
      x->valuedouble != (double)(int64_t)x->valuedouble)
    return 0;
  *v = (int64_t)x->valuedouble;
  return 1;
}

/* code.revoke: {"gtin", "lot", "from"?, "to"?}: revokes the signer's
 * organisation's live codes of the lot, or only those whose numeric serial
 * is in [from, to]. not_found when none matched. */
static int apply_code_revoke(apply_ctx *c, const signer *sg, const cJSON *p) {
  const char *gtin = jstr(p, "gtin", 14), *lot = jstr(p, "lot", 20);
  if (!good_gtin14(gtin) || !good_cset82(lot)) return SY_R_MALFORMED_PAYLOAD;
  int has_from = cJSON_GetObjectItemCaseSensitive(p, "from") != NULL;
  int has_to = cJSON_GetObjectItemCaseSensitive(p, "to") != NULL;
  int64_t from = 0, to = 0;
  if (has_from != has_to) return SY_R_MALFORMED_PAYLOAD;
  if (has_from && (!jcount(p, "from", &from) || !jcount(p, "to", &to) || from > to))
    return SY_R_MALFORMED_PAYLOAD;
  sqlite3_stmt *st = c->l->revoke_codes;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)c->height);
  sqlite3_bind_text(st, 2, sg->org, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, gtin, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, lot, -1, SQLITE_STATIC);
  if (has_from) {
    sqlite3_bind_int64(st, 5, from);
    sqlite3_bind_int64(st, 6, to);
  }
  if (st_done(c, st, "revoke codes")) return c->err;
  int changed = sqlite3_changes(c->l->db);
  /* Nothing matched: the UPDATE changed nothing, so the state is as
   * before and the transaction is recorded invalid. */
  if (changed == 0) return SY_R_NOT_FOUND;
  log_str(c, "code.revoke");
  log_str(c, sg->org);
  log_str(c, gtin);
  log_str(c, lot);
  sy_buf_u64(&c->writes, (uint64_t)from);
  sy_buf_u64(&c->writes, (uint64_t)to);
  sy_buf_u32(&c->writes, (uint32_t)changed);
  return SY_R_VALID;
}

/* A trace record (SPEC G3, D2): any JSON object, signed by a member whose
 * role records data; the responsible person is the signer. */
static int check_record(const sy_tx *tx) {
  const uint8_t *p = tx->payload;
  size_t n = tx->payload_len;
  while (n && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++, n--;
  if (!n || *p != '{') return SY_R_MALFORMED_PAYLOAD;
  int oom = 0;
  cJSON *j = sy_ls_json_parse(tx->payload, tx->payload_len, &oom);
  int ok = j && cJSON_IsObject(j);
  cJSON_Delete(j);
  if (oom) return SY_ENOMEM;
  return ok ? SY_R_VALID : SY_R_MALFORMED_PAYLOAD;
}

static uint32_t rights_for(int type) {
  switch (type) {
    case SY_TX_ORG_ADD:
    case SY_TX_MEMBER_ADD:
    case SY_TX_MEMBER_REVOKE:
    case SY_TX_NODE_ADD:
    case SY_TX_NODE_REMOVE:
      return RIGHTS_GOVERN;
    case SY_TX_ORG_CONTACT:
      return RIGHTS_GOVERN;
    case SY_TX_RECORD:
    case SY_TX_EPCIS_CAPTURE:
      return RIGHTS_RECORD;
    case SY_TX_CODE_ISSUE:
    case SY_TX_CODE_REVOKE:
      return RIGHTS_CODES;
    default:
      return 0;
  }
}

static int nonce_used(apply_ctx *c, const sy_tx *tx) {
  sqlite3_bind_blob(c->l->has_nonce, 1, tx->signer, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(c->l->has_nonce, 2, (sqlite3_int64)tx->nonce);
  return st_exists(c, c->l->has_nonce);
}

/* Validates and applies one transaction; returns its reason code, or a
 * negative sy_err when storage failed (the whole block is then abandoned). */
static int apply_tx(apply_ctx *c, const sy_batch_tx *bt, sy_tx *tx, int decoded, int is_genesis) {
  sy_ledger *l = c->l;
  if (!decoded) return SY_R_MALFORMED_TX;
  if (tx->chain_id_len != strlen(l->chain_id) ||
      memcmp(tx->chain_id, l->chain_id, tx->chain_id_len) != 0)
    return SY_R_WRONG_CHAIN;
  if (tx->type == SY_TX_GENESIS) return is_genesis ? apply_genesis(c, tx) : SY_R_GENESIS_ONLY;
  if (is_genesis) return SY_R_GENESIS_ONLY;
  /* SPEC M8: only registered nodes order transactions; a batch from any
   * other is recorded (as evidence) and changes nothing. */
  if (!c->proposer_ok) return SY_R_UNREGISTERED_PROPOSER;
  signer sg;
  memset(&sg, 0, sizeof sg);
  int m = get_member(c, tx->signer, &sg);
  if (m < 0) return m;
  if (!m) return SY_R_UNKNOWN_SIGNER;
  if (!bt->sig_checked &&
      !l->suite->verify(tx->sig, tx->sig_len, tx->body, tx->body_len, sg.pk, sg.pk_len))
    return SY_R_BAD_SIGNATURE;
  if (sg.revoked) return SY_R_REVOKED_SIGNER;
  int used = nonce_used(c, tx);
  if (used) return used < 0 ? used : SY_R_REPLAYED_NONCE;
  uint32_t need = rights_for(tx->type);
  if (!need) return SY_R_UNKNOWN_TYPE;
  if (!(sg.roles & need)) return SY_R_ROLE_DENIED;

  int r;
  if (tx->type == SY_TX_RECORD) {
    r = check_record(tx);
    if (r < 0) {
      c->err = r;
      return r;
    }
  } else if (tx->type == SY_TX_EPCIS_CAPTURE) {
    r = sy_le_apply_capture(l, tx, bt->prep, c->cur_id, c->height, c->block_time_ms, c->cur_index, sg.org,
                            sg.roles, &c->writes);
    if (r < 0) {
      c->err = r;
      return r;
    }
  } else {
    int oom = 0;
    cJSON *p = sy_ls_json_parse(tx->payload, tx->payload_len, &oom);
    if (!p || !cJSON_IsObject(p)) {
      cJSON_Delete(p);
      if (oom) c->err = SY_ENOMEM;
      return oom ? SY_ENOMEM : SY_R_MALFORMED_PAYLOAD;
    }
    switch (tx->type) {
      case SY_TX_ORG_ADD: r = apply_org_add(c, &sg, p); break;
      case SY_TX_MEMBER_ADD: r = apply_member_add(c, &sg, p); break;
      case SY_TX_MEMBER_REVOKE: r = apply_member_revoke(c, &sg, p); break;
      case SY_TX_NODE_ADD: r = apply_node_add(c, &sg, p); break;
      case SY_TX_NODE_REMOVE: r = apply_node_remove(c, &sg, p); break;
      case SY_TX_ORG_CONTACT: r = apply_org_contact(c, &sg, p); break;
      case SY_TX_CODE_ISSUE: r = apply_code_issue(c, &sg, p); break;
      case SY_TX_CODE_REVOKE: r = apply_code_revoke(c, &sg, p); break;
      default: r = SY_R_UNKNOWN_TYPE; break;
    }
    cJSON_Delete(p);
  }
  if (r != SY_R_VALID) return r;
  /* Valid: consume the nonce (replay protection is per signer, per nonce). */
  sqlite3_bind_blob(l->ins_nonce, 1, tx->signer, SY_KEYID_LEN, SQLITE_STATIC);
  sqlite3_bind_int64(l->ins_nonce, 2, (sqlite3_int64)tx->nonce);
  if (st_done(c, l->ins_nonce, "nonce")) return c->err;
  return SY_R_VALID;
}

int sy_la_apply(sy_ledger *l, const sy_batch *b, uint16_t *flags, sy_block_header *hdr,
                uint8_t hash[SY_HASH_LEN], int is_genesis) {
  sy_hash_fn H = l->suite->hash;
  apply_ctx c = {.l = l, .height = is_genesis ? 0 : l->tip.height + 1,
                 .block_time_ms = b->timestamp_ms};
  uint8_t(*ids)[SY_HASH_LEN] = malloc(b->n * SY_HASH_LEN);
  uint8_t *flag_bytes = malloc(2 * b->n);
  int rc = SY_ENOMEM;
  if (!ids || !flag_bytes) goto out;
  if (!is_genesis) {
    char norg[65];
    int removed = 1;
    int e = node_get(&c, b->proposer, norg, &removed);
    if (e < 0) {
      rc = e;
      goto out;
    }
    c.proposer_ok = e == 1 && !removed;
  }
  for (size_t i = 0; i < b->n; i++) {
    const sy_batch_tx *bt = &b->txs[i];
    sy_tx tx;
    memset(&tx, 0, sizeof tx);
    int decoded = sy_tx_decode(&tx, bt->raw, bt->len) == SY_OK;
    sy_slice raw = {bt->raw, bt->len};
    H(&raw, 1, ids[i]);
    int r;
    /* A transaction already in the chain (or earlier in this block) is
     * recorded again only as evidence, flagged duplicate. */
    sqlite3_bind_blob(l->has_tx_w, 1, ids[i], SY_HASH_LEN, SQLITE_STATIC);
    int dup = st_exists(&c, l->has_tx_w);
    if (dup < 0) {
      rc = dup;
      goto out;
    }
    c.cur_index = (uint32_t)i;
    c.cur_id = ids[i];
    r = dup ? SY_R_DUPLICATE_TX : apply_tx(&c, bt, &tx, decoded, is_genesis);
    if (r < 0 || c.err) {
      rc = c.err ? c.err : r;
      goto out;
    }
    flags[i] = (uint16_t)r;
    sy_buf_u16(&c.writes, (uint16_t)r);
    sy_buf_put(&c.writes, ids[i], SY_HASH_LEN);
    static const uint8_t zero_signer[SY_KEYID_LEN];
    sqlite3_stmt *st = l->ins_tx;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c.height);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
    sqlite3_bind_blob(st, 3, ids[i], SY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, decoded ? tx.type : 255);
    sqlite3_bind_blob(st, 5, decoded ? tx.signer : zero_signer, SY_KEYID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r);
    sqlite3_bind_blob(st, 7, bt->raw, (int)bt->len, SQLITE_STATIC);
    if ((rc = st_done(&c, st, "store tx"))) goto out;
  }
  if (c.writes.err) {
    rc = c.writes.err;
    goto out;
  }
  memset(hdr, 0, sizeof *hdr);
  hdr->height = c.height;
  if (!is_genesis) memcpy(hdr->prev_hash, l->tip.hash, SY_HASH_LEN);
  if ((rc = sy_merkle_root((const uint8_t(*)[SY_HASH_LEN])ids, b->n, H, hdr->tx_root))) goto out;
  sy_block_flags_encode(flags, b->n, flag_bytes);
  sy_block_flags_hash(flag_bytes, 2 * b->n, H, hdr->flags_hash);
  uint8_t wh[SY_HASH_LEN];
  sy_slice ws = {c.writes.p, c.writes.len};
  H(&ws, 1, wh);
  static const uint8_t zero[SY_HASH_LEN];
  sy_slice rs[2] = {{is_genesis ? zero : l->tip.results_hash, SY_HASH_LEN}, {wh, SY_HASH_LEN}};
  H(rs, 2, hdr->results_hash);
  hdr->timestamp_ms = b->timestamp_ms;
  memcpy(hdr->proposer, b->proposer, SY_KEYID_LEN);
  hdr->tx_count = (uint32_t)b->n;
  sy_block_hash(hdr, H, hash);

  uint8_t enc[SY_BLOCK_HEADER_LEN];
  sy_block_header_encode(hdr, enc);
  sqlite3_stmt *st = l->ins_block;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)c.height);
  sqlite3_bind_blob(st, 2, hash, SY_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_blob(st, 3, enc, sizeof enc, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, flag_bytes, (int)(2 * b->n), SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)b->position);
  if ((rc = st_done(&c, st, "store block"))) goto out;
  if (is_genesis) {
    if ((rc = sy_ls_meta_put(l, "genesis_hash", hash, SY_HASH_LEN)) ||
        (rc = sy_ls_meta_put(l, "chain_id", l->chain_id, strlen(l->chain_id))) ||
        (rc = sy_ls_meta_put(l, "suite", l->suite->name, strlen(l->suite->name))))
      goto out;
  }
  uint8_t tipv[8];
  sy_store_u64(tipv, c.height);
  if ((rc = sy_ls_meta_put(l, "tip_height", tipv, 8))) goto out;
  rc = SY_OK;
out:
  free(ids);
  free(flag_bytes);
  sy_buf_free(&c.writes);
  return rc;
}
