/* Genesis documents and roles (SPEC M1, M8a). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger_internal.h"

static const struct {
  uint32_t bit;
  const char *name;
} ROLE_NAMES[] = {
#define SY_ROLE_ROW(name, bit, text) {bit, text},
    SY_ROLES(SY_ROLE_ROW)
#undef SY_ROLE_ROW
};
#define NROLES (sizeof ROLE_NAMES / sizeof ROLE_NAMES[0])

int sy_roles_parse(const char *list, uint32_t *mask) {
  uint32_t m = 0;
  const char *p = list;
  while (p && *p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    size_t i;
    for (i = 0; i < NROLES; i++)
      if (strlen(ROLE_NAMES[i].name) == n && memcmp(ROLE_NAMES[i].name, p, n) == 0) break;
    if (i == NROLES) return SY_EINVAL;
    m |= ROLE_NAMES[i].bit;
    p = e ? e + 1 : NULL;
  }
  if (!m) return SY_EINVAL;
  *mask = m;
  return SY_OK;
}

void sy_roles_format(uint32_t mask, char *out, size_t size) {
  size_t off = 0;
  if (size) out[0] = 0;
  for (size_t i = 0; i < NROLES; i++) {
    if (!(mask & ROLE_NAMES[i].bit)) continue;
    int n = snprintf(out + off, size - off, "%s%s", off ? "," : "", ROLE_NAMES[i].name);
    if (n < 0 || (size_t)n >= size - off) break;
    off += (size_t)n;
  }
}

static int fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return SY_EMALFORMED;
}

/* Identifiers for chains and organisations: 1..64 of [A-Za-z0-9._-]. */
static int good_ident(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static int good_pk(const sy_suite *s, const cJSON *v) {
  uint8_t pk[SY_PK_MAX];
  return cJSON_IsString(v) &&
         sy_hex_decode(pk, s->pk_len, v->valuestring, strlen(v->valuestring)) == SY_OK;
}

int sy_genesis_check(const uint8_t *json, size_t len, sy_genesis_info *info, char *err,
                     size_t errlen) {
  if (len == 0 || len > SY_TX_PAYLOAD_MAX) return fail(err, errlen, "genesis: empty or too large");
  cJSON *j = cJSON_ParseWithLength((const char *)json, len);
  if (!j || !cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return fail(err, errlen, "genesis: not a JSON object");
  }
  int rc = SY_EMALFORMED;
  const cJSON *chain = cJSON_GetObjectItemCaseSensitive(j, "chain_id");
  const cJSON *suite = cJSON_GetObjectItemCaseSensitive(j, "suite");
  const cJSON *created = cJSON_GetObjectItemCaseSensitive(j, "created_ms");
  const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(j, "orgs");
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(j, "nodes");
  const sy_suite *s = NULL;
  if (!cJSON_IsString(chain) || !good_ident(chain->valuestring)) {
    fail(err, errlen, "genesis: chain_id must be 1-64 characters of A-Z a-z 0-9 . _ -");
    goto out;
  }
  if (!cJSON_IsString(suite) || !(s = sy_suite_find(suite->valuestring))) {
    fail(err, errlen, "genesis: unknown suite");
    goto out;
  }
  if (!cJSON_IsNumber(created) || created->valuedouble < 0 || created->valuedouble > 9e15) {
    fail(err, errlen, "genesis: created_ms must be a millisecond timestamp");
    goto out;
  }
  uint64_t ext_h = SY_NEVER;
  const cJSON *features = cJSON_GetObjectItemCaseSensitive(j, "features");
  if (features) {
    /* A feature changes which transactions are valid: a node that does not
     * know one cannot apply the chain, so an unknown name is refused. */
    if (!cJSON_IsObject(features)) {
      fail(err, errlen, "genesis: features must be an object of name: height");
      goto out;
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, features) {
      if (strcmp(f->string, "epcis_extension_events") != 0) {
        char nm[48];
        snprintf(nm, sizeof nm, "%s", f->string);
        fail(err, errlen, "genesis: unknown feature '%s' (a newer node's?)", nm);
        goto out;
      }
      if (!cJSON_IsNumber(f) || f->valuedouble < 0 || f->valuedouble > 9007199254740991.0 ||
          f->valuedouble != (double)(uint64_t)f->valuedouble) {
        fail(err, errlen, "genesis: features.%s must be a block height (an integer >= 0)",
             f->string);
        goto out;
      }
      ext_h = (uint64_t)f->valuedouble;
    }
  }
  if (!cJSON_IsArray(orgs) || cJSON_GetArraySize(orgs) < 1) {
    fail(err, errlen, "genesis: orgs must be a non-empty array");
    goto out;
  }
  int oi = 0;
  const cJSON *o;
  cJSON_ArrayForEach(o, orgs) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *admins = cJSON_GetObjectItemCaseSensitive(o, "admins");
    if (!cJSON_IsString(id) || !good_ident(id->valuestring)) {
      fail(err, errlen, "genesis: orgs[%d].id must be 1-64 characters of A-Z a-z 0-9 . _ -", oi);
      goto out;
    }
    if (!cJSON_IsString(name) || strlen(name->valuestring) > 256) {
      fail(err, errlen, "genesis: orgs[%d].name must be a string", oi);
      goto out;
    }
    if (!cJSON_IsArray(admins) || cJSON_GetArraySize(admins) < 1) {
      fail(err, errlen, "genesis: orgs[%d].admins must be a non-empty array", oi);
      goto out;
    }
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(o, "contact");
    if (ct) { /* optional query channels (SPEC I7; docs/codes.md) */
      const cJSON *f;
      int good = cJSON_IsObject(ct) && cJSON_GetArraySize(ct) > 0;
      const cJSON *fields = good ? ct : NULL;
      cJSON_ArrayForEach(f, fields) {
        const char *v = cJSON_IsString(f) ? f->valuestring : NULL;
        if (!f->string || !v ||
            !((strcmp(f->string, "tel") == 0 && sy_contact_phone_ok(v)) ||
              (strcmp(f->string, "sms") == 0 && sy_contact_phone_ok(v)) ||
              (strcmp(f->string, "web") == 0 && sy_contact_web_ok(v))))
          good = 0;
      }
      if (!good) {
        fail(err, errlen,
             "genesis: orgs[%d].contact must be {\"tel\", \"sms\", \"web\"}: phone numbers "
             "of digits, + - and spaces; an http(s) URL",
             oi);
        goto out;
      }
    }
    const cJSON *a;
    int ai = 0;
    cJSON_ArrayForEach(a, admins) {
      if (!good_pk(s, cJSON_GetObjectItemCaseSensitive(a, "public_key"))) {
        fail(err, errlen, "genesis: orgs[%d].admins[%d].public_key is not a %s key in hex", oi,
             ai, s->name);
        goto out;
      }
      ai++;
    }
    const cJSON *o2;
    int oj = 0;
    cJSON_ArrayForEach(o2, orgs) {
      if (oj >= oi) break;
      const cJSON *id2 = cJSON_GetObjectItemCaseSensitive(o2, "id");
      if (strcmp(id2->valuestring, id->valuestring) == 0) {
        fail(err, errlen, "genesis: organisation '%s' appears twice", id->valuestring);
        goto out;
      }
      oj++;
    }
    oi++;
  }
  if (nodes && !cJSON_IsArray(nodes)) {
    fail(err, errlen, "genesis: nodes must be an array");
    goto out;
  }
  int ni = 0;
  const cJSON *n;
  cJSON_ArrayForEach(n, nodes) {
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(n, "org");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(n, "address");
    int found = 0;
    cJSON_ArrayForEach(o, orgs) {
      if (cJSON_IsString(org) &&
          strcmp(cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring, org->valuestring) == 0)
        found = 1;
    }
    if (!found) {
      fail(err, errlen, "genesis: nodes[%d].org is not one of the orgs", ni);
      goto out;
    }
    if (!good_pk(s, cJSON_GetObjectItemCaseSensitive(n, "public_key"))) {
      fail(err, errlen, "genesis: nodes[%d].public_key is not a %s key in hex", ni, s->name);
      goto out;
    }
    if (addr && (!cJSON_IsString(addr) || strlen(addr->valuestring) > 256)) {
      fail(err, errlen, "genesis: nodes[%d].address must be a URL string", ni);
      goto out;
    }
    ni++;
  }
  if (info) {
    snprintf(info->chain_id, sizeof info->chain_id, "%s", chain->valuestring);
    info->suite = s;
    info->created_ms = (uint64_t)created->valuedouble;
    info->ext_events_height = ext_h;
  }
  rc = SY_OK;
out:
  cJSON_Delete(j);
  return rc;
}

int sy_genesis_tx(const uint8_t *json, size_t len, sy_buf *out) {
  sy_genesis_info gi;
  int rc = sy_genesis_check(json, len, &gi, NULL, 0);
  if (rc) return rc;
  static const uint8_t zero_signer[SY_KEYID_LEN];
  static const uint8_t unsigned_marker = 0;
  sy_buf body = {0};
  rc = sy_tx_encode_body(&body, SY_TX_GENESIS, gi.chain_id, strlen(gi.chain_id), zero_signer,
                         gi.created_ms, 0, json, len);
  if (!rc) rc = sy_tx_encode(out, body.p, body.len, &unsigned_marker, 1);
  sy_buf_free(&body);
  return rc;
}
