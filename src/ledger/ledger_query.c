/* Read-side queries; each borrows a pooled read-only connection (WAL gives
 * it a consistent snapshot while the writer appends). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"
#include "core/sy_error.h"
#include "ledger/ledger_internal.h"

void sy_attestation_msg(uint64_t height, const uint8_t hash[SY_HASH_LEN],
                        const uint8_t results[SY_HASH_LEN], uint8_t out[4 + 8 + 64]) {
  memcpy(out, "SYAT", 4);
  sy_store_u64(out + 4, height);
  memcpy(out + 12, hash, SY_HASH_LEN);
  memcpy(out + 12 + SY_HASH_LEN, results, SY_HASH_LEN);
}

static int qerr(sy_ledger *l, sy_reader_conn *r, int rc, const char *what) {
  return sy_ls_err(r->db, rc, l->err, sizeof l->err, what);
}

/* Reads a block row and its transaction ids with the reader r. */
static int read_block(sy_ledger *l, sy_reader_conn *r, uint64_t height, sy_block_info *out) {
  memset(out, 0, sizeof *out);
  sqlite3_bind_int64(r->get_block, 1, (sqlite3_int64)height);
  int rc = sqlite3_step(r->get_block);
  if (rc == SQLITE_DONE) return SY_ENOTFOUND;
  if (rc != SQLITE_ROW) return qerr(l, r, rc, "read block");
  if (sqlite3_column_bytes(r->get_block, 0) != SY_HASH_LEN ||
      sy_block_header_decode(&out->hdr, sqlite3_column_blob(r->get_block, 1),
                             (size_t)sqlite3_column_bytes(r->get_block, 1)) != SY_OK ||
      out->hdr.tx_count > SY_BLOCK_MAX_TXS)
    return SY_ECORRUPT;
  memcpy(out->hash, sqlite3_column_blob(r->get_block, 0), SY_HASH_LEN);
  size_t n = out->hdr.tx_count;
  out->tx_ids = calloc(n ? n : 1, SY_HASH_LEN);
  out->flags = calloc(n ? n : 1, sizeof *out->flags);
  out->types = calloc(n ? n : 1, 1);
  if (!out->tx_ids || !out->flags || !out->types) return SY_ENOMEM;
  if (sy_block_flags_decode(out->flags, n, sqlite3_column_blob(r->get_block, 2),
                            (size_t)sqlite3_column_bytes(r->get_block, 2)) != SY_OK)
    return SY_ECORRUPT;
  sqlite3_bind_int64(r->block_txids, 1, (sqlite3_int64)height);
  size_t i = 0;
  while ((rc = sqlite3_step(r->block_txids)) == SQLITE_ROW) {
    if (i >= n || sqlite3_column_bytes(r->block_txids, 0) != SY_HASH_LEN) return SY_ECORRUPT;
    memcpy(out->tx_ids[i], sqlite3_column_blob(r->block_txids, 0), SY_HASH_LEN);
    out->types[i] = (uint8_t)sqlite3_column_int(r->block_txids, 1);
    i++;
  }
  if (rc != SQLITE_DONE) return qerr(l, r, rc, "read block txs");
  if (i != n) return SY_ECORRUPT;
  sqlite3_bind_int64(r->get_att, 1, (sqlite3_int64)height);
  size_t cap = 0;
  while ((rc = sqlite3_step(r->get_att)) == SQLITE_ROW) {
    if (out->natt == cap) {
      cap = cap ? cap * 2 : 4;
      sy_attestation *na = realloc(out->att, cap * sizeof *na);
      if (!na) return SY_ENOMEM;
      out->att = na;
    }
    sy_attestation *a = &out->att[out->natt];
    size_t sl = (size_t)sqlite3_column_bytes(r->get_att, 1);
    if (sqlite3_column_bytes(r->get_att, 0) != SY_KEYID_LEN || sl > SY_SIG_MAX) continue;
    memcpy(a->node, sqlite3_column_blob(r->get_att, 0), SY_KEYID_LEN);
    memcpy(a->sig, sqlite3_column_blob(r->get_att, 1), sl);
    a->sig_len = sl;
    out->natt++;
  }
  return rc == SQLITE_DONE ? SY_OK : qerr(l, r, rc, "read attestations");
}

int sy_ledger_get_block(sy_ledger *l, uint64_t height, sy_block_info *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  int rc = read_block(l, r, height, out);
  sy_ls_reader_put(l, r);
  if (rc) sy_block_info_free(out);
  return rc;
}

void sy_block_info_free(sy_block_info *b) {
  if (!b) return;
  free(b->tx_ids);
  free(b->flags);
  free(b->types);
  free(b->att);
  memset(b, 0, sizeof *b);
}

int sy_ledger_get_tx(sy_ledger *l, const uint8_t id[SY_HASH_LEN], sy_tx_info *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  memset(out, 0, sizeof *out);
  sy_reader_conn *r = sy_ls_reader_get(l);
  int rc;
  /* One read transaction, so the tx and its block come from one snapshot. */
  sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
  sqlite3_bind_blob(r->get_tx, 1, id, SY_HASH_LEN, SQLITE_STATIC);
  int src = sqlite3_step(r->get_tx);
  if (src == SQLITE_DONE) {
    rc = SY_ENOTFOUND;
    goto out;
  }
  if (src != SQLITE_ROW) {
    rc = qerr(l, r, src, "read tx");
    goto out;
  }
  memcpy(out->id, id, SY_HASH_LEN);
  out->height = (uint64_t)sqlite3_column_int64(r->get_tx, 0);
  out->index = (uint32_t)sqlite3_column_int64(r->get_tx, 1);
  out->reason = (uint16_t)sqlite3_column_int(r->get_tx, 2);
  out->raw_len = (size_t)sqlite3_column_bytes(r->get_tx, 3);
  out->raw = malloc(out->raw_len ? out->raw_len : 1);
  if (!out->raw) {
    rc = SY_ENOMEM;
    goto out;
  }
  memcpy(out->raw, sqlite3_column_blob(r->get_tx, 3), out->raw_len);
  sqlite3_reset(r->get_tx);
  if (sy_tx_decode(&out->tx, out->raw, out->raw_len) != SY_OK)
    memset(&out->tx, 0, sizeof out->tx); /* recorded as malformed_tx */
  sy_block_info b;
  rc = read_block(l, r, out->height, &b);
  if (rc == SY_OK) {
    out->block = b.hdr;
    memcpy(out->block_hash, b.hash, SY_HASH_LEN);
    out->proof = malloc(SY_MERKLE_MAX_DEPTH * SY_HASH_LEN);
    if (!out->proof)
      rc = SY_ENOMEM;
    else
      rc = sy_merkle_proof((const uint8_t(*)[SY_HASH_LEN])b.tx_ids, b.hdr.tx_count, out->index,
                           l->suite->hash, out->proof, &out->proof_len);
  } else if (rc == SY_ENOTFOUND) {
    rc = SY_ECORRUPT; /* a transaction without its block */
  }
  sy_block_info_free(&b);
out:
  sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
  sy_ls_reader_put(l, r);
  if (rc) sy_tx_info_free(out);
  return rc;
}

void sy_tx_info_free(sy_tx_info *t) {
  if (!t) return;
  free(t->raw);
  free(t->proof);
  memset(t, 0, sizeof *t);
}

static void row_member(sqlite3_stmt *st, sy_member *m) {
  memset(m, 0, sizeof *m);
  if (sqlite3_column_bytes(st, 0) == SY_KEYID_LEN)
    memcpy(m->key_id, sqlite3_column_blob(st, 0), SY_KEYID_LEN);
  const char *org = (const char *)sqlite3_column_text(st, 1);
  const char *name = (const char *)sqlite3_column_text(st, 2);
  snprintf(m->org, sizeof m->org, "%s", org ? org : "");
  snprintf(m->name, sizeof m->name, "%s", name ? name : "");
  m->roles = (uint32_t)sqlite3_column_int64(st, 3);
  m->revoked = sqlite3_column_int(st, 4);
  m->added_height = (uint64_t)sqlite3_column_int64(st, 5);
  m->revoked_height = (uint64_t)sqlite3_column_int64(st, 6);
  size_t pl = (size_t)sqlite3_column_bytes(st, 7);
  if (pl <= SY_PK_MAX) {
    memcpy(m->pk, sqlite3_column_blob(st, 7), pl);
    m->pk_len = pl;
  }
}

int sy_ledger_get_member(sy_ledger *l, const uint8_t key_id[SY_KEYID_LEN], sy_member *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_bind_blob(r->member, 1, key_id, SY_KEYID_LEN, SQLITE_STATIC);
  int src = sqlite3_step(r->member), rc;
  if (src == SQLITE_ROW) {
    row_member(r->member, out);
    rc = SY_OK;
  } else {
    rc = src == SQLITE_DONE ? SY_ENOTFOUND : qerr(l, r, src, "read member");
  }
  sy_ls_reader_put(l, r);
  return rc;
}

int sy_ledger_list_members(sy_ledger *l, const char *org,
                           int (*fn)(void *ctx, const sy_member *m), void *ctx) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(r->db,
                               "SELECT key_id, org, name, roles, revoked, added_height, "
                               "revoked_height, pubkey FROM members "
                               "WHERE ?1 IS NULL OR org = ?1 ORDER BY org, added_height, key_id",
                               -1, &st, NULL);
  int rc = SY_OK;
  if (src != SQLITE_OK) {
    rc = qerr(l, r, src, "list members");
    goto out;
  }
  if (org) sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    sy_member m;
    row_member(st, &m);
    if (fn(ctx, &m)) {
      src = SQLITE_DONE;
      break;
    }
  }
  if (src != SQLITE_DONE) rc = qerr(l, r, src, "list members");
out:
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  return rc;
}

int sy_ledger_counts_get(sy_ledger *l, sy_ledger_counts *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  memset(out, 0, sizeof *out);
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_OK;
  int src = sqlite3_prepare_v2(r->db,
                               "SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM members),"
                               " (SELECT count(*) FROM members WHERE revoked=0),"
                               " (SELECT count(*) FROM nodes WHERE removed=0)",
                               -1, &st, NULL);
  if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
    out->orgs = (uint64_t)sqlite3_column_int64(st, 0);
    out->members = (uint64_t)sqlite3_column_int64(st, 1);
    out->active_members = (uint64_t)sqlite3_column_int64(st, 2);
    out->nodes = (uint64_t)sqlite3_column_int64(st, 3);
  } else {
    rc = qerr(l, r, src, "counts");
  }
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  return rc;
}

int sy_ledger_block_raw(sy_ledger *l, uint64_t height, sy_buf *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_OK;
  size_t start = out->len;
  sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL);
  if (sqlite3_prepare_v2(r->db, "SELECT header, flags, position FROM blocks WHERE height=?1", -1,
                         &st, NULL) != SQLITE_OK) {
    rc = SY_ESTORAGE;
    goto out;
  }
  sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = SY_ENOTFOUND;
    goto out;
  }
  sy_block_header h;
  if (sy_block_header_decode(&h, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0))) {
    rc = SY_ECORRUPT;
    goto out;
  }
  sy_buf_put(out, "SYBR", 4);
  sy_buf_put(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
  sy_buf_u64(out, (uint64_t)sqlite3_column_int64(st, 2));
  sy_buf_u32(out, h.tx_count);
  const void *flags = sqlite3_column_blob(st, 1);
  size_t flen = (size_t)sqlite3_column_bytes(st, 1);
  uint8_t *fcopy = malloc(flen ? flen : 1);
  if (!fcopy) {
    rc = SY_ENOMEM;
    goto out;
  }
  memcpy(fcopy, flags, flen);
  sqlite3_reset(r->block_txids);
  sqlite3_stmt *tx = NULL;
  if (sqlite3_prepare_v2(r->db,
                         "SELECT raw FROM txs WHERE seq >= ?1*65536 AND seq < (?1+1)*65536 ORDER BY seq",
                         -1, &tx, NULL) != SQLITE_OK) {
    free(fcopy);
    rc = SY_ESTORAGE;
    goto out;
  }
  sqlite3_bind_int64(tx, 1, (sqlite3_int64)height);
  uint32_t n = 0;
  while (sqlite3_step(tx) == SQLITE_ROW) {
    sy_buf_u32(out, (uint32_t)sqlite3_column_bytes(tx, 0));
    sy_buf_put(out, sqlite3_column_blob(tx, 0), (size_t)sqlite3_column_bytes(tx, 0));
    n++;
  }
  sqlite3_finalize(tx);
  sy_buf_put(out, fcopy, flen);
  free(fcopy);
  if (n != h.tx_count || flen != 2 * (size_t)n) {
    rc = SY_ECORRUPT;
    goto out;
  }
  sqlite3_bind_int64(r->get_att, 1, (sqlite3_int64)height);
  size_t cnt_at = out->len;
  sy_buf_u16(out, 0);
  uint16_t na = 0;
  while (sqlite3_step(r->get_att) == SQLITE_ROW && na < 65535) {
    size_t sl = (size_t)sqlite3_column_bytes(r->get_att, 1);
    if (sqlite3_column_bytes(r->get_att, 0) != SY_KEYID_LEN || sl == 0 || sl > 255) continue;
    sy_buf_put(out, sqlite3_column_blob(r->get_att, 0), SY_KEYID_LEN);
    sy_buf_u8(out, (uint8_t)sl);
    sy_buf_put(out, sqlite3_column_blob(r->get_att, 1), sl);
    na++;
  }
  if (!out->err) {
    out->p[cnt_at] = (uint8_t)na;
    out->p[cnt_at + 1] = (uint8_t)(na >> 8);
  }
  if (out->err) rc = out->err;
out:
  sqlite3_finalize(st);
  sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
  sy_ls_reader_put(l, r);
  if (rc) {
    out->len = start;
    out->err = SY_OK;
  }
  return rc;
}

/* ---- organisations and anti-counterfeit codes (docs/codes.md) ------------ */

/* A connection for a one-off query: a pooled reader, or the writer of a
 * ":memory:" ledger (which has no pool and is used from one thread). */
static sqlite3 *q_conn(sy_ledger *l, sy_reader_conn **r) {
  *r = NULL;
  if (l->nreaders) {
    *r = sy_ls_reader_get(l);
    return (*r)->db;
  }
  return l->db;
}

static void q_done(sy_ledger *l, sy_reader_conn *r, sqlite3_stmt *st) {
  sqlite3_finalize(st);
  if (r) sy_ls_reader_put(l, r);
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t size) {
  const char *t = (const char *)sqlite3_column_text(st, i);
  snprintf(out, size, "%s", t ? t : "");
}

int sy_ledger_get_org(sy_ledger *l, const char *id, sy_org *out) {
  if (!l || !id || !out || strlen(id) > 64) return SY_EINVAL;
  memset(out, 0, sizeof *out);
  sy_reader_conn *r;
  sqlite3 *db = q_conn(l, &r);
  if (!db) return SY_EUNSUPPORTED;
  sqlite3_stmt *st = NULL;
  int rc;
  int src = sqlite3_prepare_v2(db,
                               "SELECT o.id, o.name, o.added_height, c.tel, c.sms, c.web, c.height"
                               " FROM orgs o LEFT JOIN org_contacts c ON c.org = o.id"
                               " WHERE o.id = ?1",
                               -1, &st, NULL);
  if (src != SQLITE_OK) {
    rc = sy_ls_err(db, src, l->err, sizeof l->err, "read org");
    goto out;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    col_text(st, 0, out->id, sizeof out->id);
    col_text(st, 1, out->name, sizeof out->name);
    out->added_height = (uint64_t)sqlite3_column_int64(st, 2);
    col_text(st, 3, out->tel, sizeof out->tel);
    col_text(st, 4, out->sms, sizeof out->sms);
    col_text(st, 5, out->web, sizeof out->web);
    out->contact_height = (uint64_t)sqlite3_column_int64(st, 6);
    rc = SY_OK;
  } else {
    rc = src == SQLITE_DONE ? SY_ENOTFOUND : sy_ls_err(db, src, l->err, sizeof l->err, "read org");
  }
out:
  q_done(l, r, st);
  return rc;
}

int sy_contact_phone_ok(const char *s) {
  size_t n = s ? strlen(s) : 0, digits = 0;
  if (n == 0 || n > 32) return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch >= '0' && ch <= '9')
      digits++;
    else if (ch != '+' && ch != '-' && ch != ' ')
      return 0;
  }
  return digits >= 3 && s[0] != ' ' && s[n - 1] != ' ';
}

int sy_contact_web_ok(const char *s) {
  size_t n = s ? strlen(s) : 0, pre;
  if (n == 0 || n > 256) return 0;
  if (strncmp(s, "https://", 8) == 0)
    pre = 8;
  else if (strncmp(s, "http://", 7) == 0)
    pre = 7;
  else
    return 0;
  if (n == pre || s[pre] == '/') return 0; /* a host is needed */
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\'' || ch == '<' || ch == '>' ||
        ch == '\\' || ch == '`')
      return 0;
  }
  return 1;
}

static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int sy_code_normalise(const char *in, char norm[SY_CODE_CHARS + 1]) {
  size_t n = 0;
  if (!in) return -1;
  for (const char *p = in; *p; p++) {
    char ch = *p;
    if (ch == '-' || ch == ' ' || ch == '.') continue;
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
    if (ch == 'O') ch = '0';
    if (ch == 'I' || ch == 'L') ch = '1';
    if (!strchr(CROCKFORD, ch) || ch == 0) return -1;
    if (n == SY_CODE_CHARS) return -1;
    norm[n++] = ch;
  }
  if (n != SY_CODE_CHARS) return -1;
  norm[n] = 0;
  return 0;
}

void sy_code_format(const uint8_t rnd[10], char out[SY_CODE_TEXT]) {
  size_t o = 0;
  for (int i = 0; i < SY_CODE_CHARS; i++) {
    /* 5 bits at bit offset 5*i, most significant first */
    int bit = 5 * i, byte = bit / 8, sh = bit % 8;
    unsigned v = ((unsigned)rnd[byte] << 8 | (byte + 1 < 10 ? rnd[byte + 1] : 0u));
    v = (v >> (11 - sh)) & 31u;
    if (i && i % 4 == 0) out[o++] = '-';
    out[o++] = CROCKFORD[v];
  }
  out[o] = 0;
}

void sy_code_commit(const uint8_t salt[SY_HASH_LEN], const char *norm, uint8_t out[SY_HASH_LEN]) {
  const sy_suite *s = sy_suite_find("ed25519-sha256"); /* SHA-256 on every chain */
  sy_slice parts[3] = {{"SYAC1", 5}, {salt, SY_HASH_LEN}, {norm, strlen(norm)}};
  s->hash(parts, 3, out);
}

static void row_code(sqlite3_stmt *st, sy_code *c) {
  memset(c, 0, sizeof *c);
  if (sqlite3_column_bytes(st, 0) == SY_HASH_LEN)
    memcpy(c->commit, sqlite3_column_blob(st, 0), SY_HASH_LEN);
  col_text(st, 1, c->org, sizeof c->org);
  col_text(st, 2, c->gtin, sizeof c->gtin);
  col_text(st, 3, c->lot, sizeof c->lot);
  col_text(st, 4, c->serial, sizeof c->serial);
  c->height = (uint64_t)sqlite3_column_int64(st, 5);
  c->revoked_height = (uint64_t)sqlite3_column_int64(st, 6);
}

int sy_ledger_get_code(sy_ledger *l, const uint8_t commit[SY_HASH_LEN], sy_code *out) {
  if (!l || !commit || !out) return SY_EINVAL;
  sy_reader_conn *r;
  sqlite3 *db = q_conn(l, &r);
  if (!db) return SY_EUNSUPPORTED;
  sqlite3_stmt *st = NULL;
  int rc;
  int src = sqlite3_prepare_v2(db,
                               "SELECT commitment, org, gtin, lot, serial, height, revoked_height"
                               " FROM codes WHERE commitment = ?1",
                               -1, &st, NULL);
  if (src != SQLITE_OK) {
    rc = sy_ls_err(db, src, l->err, sizeof l->err, "read code");
    goto out;
  }
  sqlite3_bind_blob(st, 1, commit, SY_HASH_LEN, SQLITE_STATIC);
  src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    row_code(st, out);
    rc = SY_OK;
  } else {
    rc = src == SQLITE_DONE ? SY_ENOTFOUND
                            : sy_ls_err(db, src, l->err, sizeof l->err, "read code");
  }
out:
  q_done(l, r, st);
  return rc;
}

int sy_ledger_code_counts(sy_ledger *l, const char *org, const char *gtin, const char *lot,
                          sy_code_counts *out) {
  if (!l || !org || !out) return SY_EINVAL;
  memset(out, 0, sizeof *out);
  sy_reader_conn *r;
  sqlite3 *db = q_conn(l, &r);
  if (!db) return SY_EUNSUPPORTED;
  sqlite3_stmt *st = NULL;
  int rc = SY_OK;
  int src = sqlite3_prepare_v2(db,
                               "SELECT count(*), coalesce(sum(revoked_height > 0), 0) FROM codes"
                               " WHERE org = ?1 AND (?2 IS NULL OR gtin = ?2)"
                               " AND (?3 IS NULL OR lot = ?3)",
                               -1, &st, NULL);
  if (src == SQLITE_OK) {
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    if (gtin) sqlite3_bind_text(st, 2, gtin, -1, SQLITE_STATIC);
    if (lot) sqlite3_bind_text(st, 3, lot, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
  }
  if (src == SQLITE_ROW) {
    out->issued = (uint64_t)sqlite3_column_int64(st, 0);
    out->revoked = (uint64_t)sqlite3_column_int64(st, 1);
  } else {
    rc = sy_ls_err(db, src, l->err, sizeof l->err, "count codes");
  }
  q_done(l, r, st);
  return rc;
}
