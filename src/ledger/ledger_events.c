/* EPCIS events on the ledger: capture apply, indexes, queries, lineage
 * walks (ledger/events.h; SPEC I1-I3, I5, D1-D3, M2, Annex A). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "epcis/cbv.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"
#include "ledger/events.h"
#include "ledger/ledger_internal.h"

#define MAX_EVENTS_PER_TX 10000
#define URI_MAX 2048

const char *sy_epc_role_name(int role) {
  switch (role) {
#define SY_EPC_ROLE_NAME(name, code, text) \
  case code:                               \
    return text;
    SY_EPC_ROLES(SY_EPC_ROLE_NAME)
#undef SY_EPC_ROLE_NAME
  }
  return "unknown";
}

/* ---- time ------------------------------------------------------------------ */

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) { /* H. Hinnant */
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* RFC 3339 date-time with offset -> ms since the epoch (UTC). Fractions
 * past milliseconds are truncated (CBV 2.0 hashing rounds the same way). */
int sy_le_parse_time(const char *s, int64_t *ms);
int sy_le_parse_time(const char *s, int64_t *ms) {
  int y, mo, d, h, mi, se;
  if (!s || strlen(s) < 20) return SY_EINVAL;
  if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
      !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
      s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
    return SY_EINVAL;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return SY_EINVAL;
  const char *p = s + 19;
  int frac = 0, fd = 0;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9') return SY_EINVAL;
    while (*p >= '0' && *p <= '9') {
      if (fd < 3) frac = frac * 10 + (*p - '0');
      fd++;
      p++;
    }
    while (fd < 3) frac *= 10, fd++;
  }
  int off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return SY_EINVAL;
    off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return SY_EINVAL;
  }
  if (*p) return SY_EINVAL;
  int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se) - (int64_t)off * 60;
  *ms = secs * 1000 + frac;
  return SY_OK;
}

/* ---- string sets (duplicate events in a document, nodes of a walk) -------------- */

typedef struct strset { /* string -> index, open addressing; keys borrowed */
  const char **keys;
  uint32_t *vals;
  size_t cap, len;
} strset;

static uint64_t fnv(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static int set_find(const strset *s, const char *k, uint32_t *v) {
  if (!s->cap) return 0;
  for (size_t i = fnv(k) & (s->cap - 1); s->keys[i]; i = (i + 1) & (s->cap - 1))
    if (!strcmp(s->keys[i], k)) {
      *v = s->vals[i];
      return 1;
    }
  return 0;
}

static int set_put(strset *s, const char *k, uint32_t v) {
  if ((s->len + 1) * 2 > s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    const char **nk = calloc(ncap, sizeof *nk);
    uint32_t *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return SY_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->keys[i]) continue;
      size_t j = fnv(s->keys[i]) & (ncap - 1);
      while (nk[j]) j = (j + 1) & (ncap - 1);
      nk[j] = s->keys[i];
      nv[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    s->keys = nk;
    s->vals = nv;
    s->cap = ncap;
  }
  size_t j = fnv(k) & (s->cap - 1);
  while (s->keys[j]) j = (j + 1) & (s->cap - 1);
  s->keys[j] = k;
  s->vals[j] = v;
  s->len++;
  return SY_OK;
}

/* ---- capture apply ------------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *id_of(const cJSON *o, const char *k) { /* readPoint/bizLocation {"id"} */
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsObject(v) ? str_of(v, "id") : NULL;
}

static int is_event_type(const char *t) {
  return t && (!strcmp(t, "ObjectEvent") || !strcmp(t, "AggregationEvent") ||
               !strcmp(t, "TransactionEvent") || !strcmp(t, "TransformationEvent") ||
               !strcmp(t, "AssociationEvent"));
}

/* The five EPCIS event types, and from the genesis feature's height on any
 * extension event type (schema Extended-Event: a namespaced type, which the
 * validator checks before this is asked). */
static int recordable_type(const sy_ledger *l, uint64_t height, const char *t) {
  if (is_event_type(t)) return 1;
  return t && height >= l->ext_events_height && strcmp(t, "EPCISDocument") != 0 &&
         strcmp(t, "EPCISQueryDocument") != 0;
}

/* SPEC D1: basic / quality_safety / attachment / other. An explicit
 * extension "sy:dataClass" (any prefix bound to urn:suyuan:) wins;
 * otherwise inspections and sensor data are quality-safety, the rest basic. */
static const char *data_class(const cJSON *ev, const char *biz_step) {
  const cJSON *it;
  cJSON_ArrayForEach(it, ev) {
    const char *colon = it->string ? strchr(it->string, ':') : NULL;
    if (colon && !strcmp(colon + 1, "dataClass") && cJSON_IsString(it)) {
      const char *v = it->valuestring;
      if (!strcmp(v, "basic") || !strcmp(v, "quality_safety") || !strcmp(v, "attachment") ||
          !strcmp(v, "other"))
        return v;
    }
  }
  if (biz_step && strstr(biz_step, "BizStep-inspecting")) return "quality_safety";
  if (cJSON_GetObjectItemCaseSensitive(ev, "sensorElementList")) return "quality_safety";
  return "basic";
}

/* ---- capture prep: the payload-only part of apply, done ahead ------------------ */
struct sy_capture_prep {
  int valid_rc;       /* the validator's answer for the payload as a document or a bare event */
  size_t n;           /* events, in the order apply walks them */
  int *hash_rc;       /* [n] */
  char (*hash_id)[SY_EPCIS_HASH_ID_MAX]; /* [n] */
};

void sy_capture_prep_free(sy_capture_prep *p) {
  if (!p) return;
  free(p->hash_rc);
  free(p->hash_id);
  free(p);
}

/* The events apply walks: a document's eventList, or the payload itself. */
static const cJSON *capture_list(const cJSON *doc, int *is_doc) {
  const char *dtype = str_of(doc, "type");
  *is_doc = dtype && !strcmp(dtype, "EPCISDocument");
  return *is_doc ? cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(doc, "epcisBody"), "eventList")
                 : NULL;
}

sy_capture_prep *sy_ledger_capture_prep(const sy_tx *tx) {
  if (!tx || tx->type != SY_TX_EPCIS_CAPTURE) return NULL;
  int oom = 0;
  cJSON *doc = sy_ls_json_parse(tx->payload, tx->payload_len, &oom);
  sy_capture_prep *p = NULL;
  if (!doc || !cJSON_IsObject(doc)) goto out;
  int is_doc;
  const cJSON *list = capture_list(doc, &is_doc);
  size_t count = list ? (size_t)cJSON_GetArraySize(list) : 1;
  if (count > MAX_EVENTS_PER_TX) goto out; /* apply refuses it at once */
  if (!(p = calloc(1, sizeof *p)) || !(p->hash_rc = calloc(count + 1, sizeof *p->hash_rc)) ||
      !(p->hash_id = calloc(count + 1, sizeof *p->hash_id)))
    goto fail;
  sy_epcis_error verr;
  size_t nerr = 0;
  p->valid_rc = is_doc ? sy_epcis_validate_document(doc, &verr, 1, &nerr)
                       : sy_epcis_validate_event(doc, 0, &verr, 1, &nerr);
  if (p->valid_rc == SY_ENOMEM) goto fail;
  sy_epcis_hash_opts ho = {.context = cJSON_GetObjectItemCaseSensitive(doc, "@context")};
  const cJSON *ev = list ? list->child : doc;
  for (; ev && p->n < count; ev = list ? ev->next : NULL, p->n++) {
    p->hash_rc[p->n] = sy_epcis_event_hash_opts(ev, &ho, p->hash_id[p->n]);
    if (p->hash_rc[p->n] == SY_ENOMEM) goto fail;
  }
  goto out;
fail:
  sy_capture_prep_free(p);
  p = NULL;
out:
  cJSON_Delete(doc);
  return p;
}

typedef struct cap_event {
  cJSON *ev; /* borrowed from the parsed document */
  char hash_id[SY_EPCIS_HASH_ID_MAX];
  const char *event_id;
  int64_t event_time;
} cap_event;

static int bind_opt(sqlite3_stmt *st, int i, const char *s) {
  return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int step_reset(sy_ledger *l, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return SY_OK;
  return sy_ls_err(l->db, rc, l->err, sizeof l->err, what);
}

static int add_epc(sy_ledger *l, const char *epc, int role, uint64_t seq, const cJSON *qty,
                   struct sy_buf *results) {
  sqlite3_stmt *st = l->ins_epc;
  sqlite3_bind_text(st, 1, epc, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 2, role);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
  const cJSON *q = qty ? cJSON_GetObjectItemCaseSensitive(qty, "quantity") : NULL;
  const char *uom = qty ? str_of(qty, "uom") : NULL;
  if (cJSON_IsNumber(q)) sqlite3_bind_double(st, 4, q->valuedouble);
  bind_opt(st, 5, uom);
  sy_buf_u8(results, (uint8_t)role);
  sy_buf_u32(results, (uint32_t)strlen(epc));
  sy_buf_put(results, epc, strlen(epc));
  return step_reset(l, st, "index epc");
}

static int add_list(sy_ledger *l, const cJSON *ev, const char *key, int role, uint64_t seq,
                    struct sy_buf *results) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(ev, key), *it;
  int rc = SY_OK;
  cJSON_ArrayForEach(it, a) {
    if (cJSON_IsString(it) && (rc = add_epc(l, it->valuestring, role, seq, NULL, results))) break;
  }
  return rc;
}

static int add_qty(sy_ledger *l, const cJSON *ev, const char *key, int role, uint64_t seq,
                   struct sy_buf *results) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(ev, key), *it;
  int rc = SY_OK;
  cJSON_ArrayForEach(it, a) {
    const char *cls = str_of(it, "epcClass");
    if (cls && (rc = add_epc(l, cls, role, seq, it, results))) break;
  }
  return rc;
}

int sy_le_apply_capture(sy_ledger *l, const sy_tx *tx, const sy_capture_prep *prep,
                        const uint8_t tx_id[SY_HASH_LEN],
                        uint64_t height, uint64_t block_time_ms, uint32_t tx_index,
                        const char *org, uint32_t roles, struct sy_buf *results) {
  int oom = 0;
  cJSON *doc = sy_ls_json_parse(tx->payload, tx->payload_len, &oom);
  if (!doc || !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return oom ? SY_ENOMEM : SY_R_MALFORMED_PAYLOAD;
  }
  int reason = SY_R_VALID, rc = SY_OK;
  cap_event *evs = NULL;
  size_t n = 0;
  strset ids = {0}, hashes = {0};
  sy_epcis_error verr;
  size_t nerr = 0;
  /* A document, or one bare event (POST /events). */
  /* The events in the order the prep hashed them: the same function. */
  const char *dtype = str_of(doc, "type");
  int is_doc;
  const cJSON *list = capture_list(doc, &is_doc);
  if (is_doc) {
    int vr = prep ? prep->valid_rc : sy_epcis_validate_document(doc, &verr, 1, &nerr);
    if (vr == SY_ENOMEM) {
      rc = SY_ENOMEM;
      goto out;
    }
    if (vr != SY_OK) {
      reason = SY_R_INVALID_EPCIS;
      goto out;
    }
  } else if (recordable_type(l, height, dtype)) {
    int vr = prep ? prep->valid_rc : sy_epcis_validate_event(doc, 0, &verr, 1, &nerr);
    if (vr == SY_ENOMEM) {
      rc = SY_ENOMEM;
      goto out;
    }
    if (vr != SY_OK) {
      reason = SY_R_INVALID_EPCIS;
      goto out;
    }
  } else {
    reason = SY_R_INVALID_EPCIS;
    goto out;
  }
  size_t count = list ? (size_t)cJSON_GetArraySize(list) : 1;
  if (count == 0 || count > MAX_EVENTS_PER_TX) {
    reason = SY_R_INVALID_EPCIS;
    goto out;
  }
  if (prep && prep->n != count) prep = NULL; /* not this payload's: never, but cheap */
  evs = calloc(count, sizeof *evs);
  if (!evs) {
    rc = SY_ENOMEM;
    goto out;
  }
  /* Check everything first; write nothing until the whole document passes. */
  cJSON *ev = list ? list->child : doc;
  for (; ev && n < count; ev = list ? ev->next : NULL) {
    cap_event *ce = &evs[n];
    ce->ev = ev;
    const char *type = str_of(ev, "type");
    if (!recordable_type(l, height, type)) { /* extension types: a genesis feature */
      reason = SY_R_INVALID_EPCIS;
      goto out;
    }
    /* The document's @context resolves "prefix:name" extensions: without it
     * an event's hash id would differ from the same event's in XML. */
    sy_epcis_hash_opts ho = {.context = cJSON_GetObjectItemCaseSensitive(doc, "@context")};
    int hr;
    if (prep) {
      hr = prep->hash_rc[n];
      memcpy(ce->hash_id, prep->hash_id[n], sizeof ce->hash_id);
    } else {
      hr = sy_epcis_event_hash_opts(ev, &ho, ce->hash_id);
    }
    if (hr == SY_ENOMEM) {
      rc = SY_ENOMEM;
      goto out;
    }
    if (hr != SY_OK || sy_le_parse_time(str_of(ev, "eventTime"), &ce->event_time) != SY_OK) {
      reason = SY_R_INVALID_EPCIS;
      goto out;
    }
    /* SPEC I6: only inspectors record inspections. */
    const char *step = str_of(ev, "bizStep");
    char canon[URI_MAX];
    if (step && sy_cbv_canonical(SY_CBV_BIZSTEP, step, canon, sizeof canon) == 0 &&
        strstr(canon, "BizStep-inspecting") && !(roles & SY_ROLE_INSPECTOR)) {
      reason = SY_R_ROLE_DENIED;
      goto out;
    }
    ce->event_id = str_of(ev, "eventID");
    if (!ce->event_id) ce->event_id = ce->hash_id;
    if (strlen(ce->event_id) >= URI_MAX) {
      reason = SY_R_INVALID_EPCIS;
      goto out;
    }
    uint32_t earlier; /* the same event twice in one document (hashed: 10,000 may come) */
    if (set_find(&ids, ce->event_id, &earlier) || set_find(&hashes, ce->hash_id, &earlier)) {
      reason = SY_R_DUPLICATE_EVENT;
      goto out;
    }
    if ((rc = set_put(&ids, ce->event_id, (uint32_t)n)) ||
        (rc = set_put(&hashes, ce->hash_id, (uint32_t)n)))
      goto out;
    sqlite3_bind_text(l->has_event, 1, ce->event_id, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(l->has_event);
    sqlite3_reset(l->has_event);
    sqlite3_clear_bindings(l->has_event);
    if (src == SQLITE_ROW) {
      reason = SY_R_DUPLICATE_EVENT;
      goto out;
    }
    if (src != SQLITE_DONE) {
      rc = sy_ls_err(l->db, src, l->err, sizeof l->err, "event lookup");
      goto out;
    }
    n++;
  }
  /* Write. */
  for (size_t i = 0; i < n; i++) {
    cap_event *ce = &evs[i];
    cJSON *e = ce->ev;
    if (!cJSON_GetObjectItemCaseSensitive(e, "eventID")) {
      cJSON *idv = cJSON_CreateString(ce->hash_id);
      if (!idv || !cJSON_AddItemToObject(e, "eventID", idv)) {
        cJSON_Delete(idv);
        rc = SY_ENOMEM;
        goto out;
      }
    }
    char *json = cJSON_PrintUnformatted(e);
    if (!json) {
      rc = SY_ENOMEM;
      goto out;
    }
    const char *step = str_of(e, "bizStep"), *disp = str_of(e, "disposition");
    char step_c[URI_MAX], disp_c[URI_MAX];
    if (step && sy_cbv_canonical(SY_CBV_BIZSTEP, step, step_c, sizeof step_c) == 0) step = step_c;
    if (disp && sy_cbv_canonical(SY_CBV_DISPOSITION, disp, disp_c, sizeof disp_c) == 0)
      disp = disp_c;
    uint64_t seq = (height * 65536 + tx_index) * 65536 + i;
    sqlite3_stmt *st = l->ins_event;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlite3_bind_text(st, 2, ce->event_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, ce->hash_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, str_of(e, "type"), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, ce->event_time);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)block_time_ms);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)height);
    sqlite3_bind_blob(st, 8, tx_id, SY_HASH_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, tx_index);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)i);
    bind_opt(st, 11, str_of(e, "action"));
    bind_opt(st, 12, step);
    bind_opt(st, 13, disp);
    bind_opt(st, 14, id_of(e, "readPoint"));
    bind_opt(st, 15, id_of(e, "bizLocation"));
    sqlite3_bind_text(st, 16, org, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 17, tx->signer, SY_KEYID_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 18, data_class(e, step), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 19, json, -1, SQLITE_TRANSIENT);
    free(json);
    if ((rc = step_reset(l, st, "store event"))) goto out;
    sy_buf_put(results, "epcis.event", 11);
    sy_buf_u32(results, (uint32_t)strlen(ce->hash_id));
    sy_buf_put(results, ce->hash_id, strlen(ce->hash_id));
    sy_buf_u32(results, (uint32_t)strlen(ce->event_id));
    sy_buf_put(results, ce->event_id, strlen(ce->event_id));
    const char *parent = str_of(e, "parentID");
    if ((rc = add_list(l, e, "epcList", SY_EPC_OBJECT, seq, results)) ||
        (parent && (rc = add_epc(l, parent, SY_EPC_PARENT, seq, NULL, results))) ||
        (rc = add_list(l, e, "childEPCs", SY_EPC_CHILD, seq, results)) ||
        (rc = add_list(l, e, "inputEPCList", SY_EPC_INPUT, seq, results)) ||
        (rc = add_list(l, e, "outputEPCList", SY_EPC_OUTPUT, seq, results)) ||
        (rc = add_qty(l, e, "quantityList", SY_EPC_QUANTITY, seq, results)) ||
        (rc = add_qty(l, e, "childQuantityList", SY_EPC_CHILD_QTY, seq, results)) ||
        (rc = add_qty(l, e, "inputQuantityList", SY_EPC_INPUT_QTY, seq, results)) ||
        (rc = add_qty(l, e, "outputQuantityList", SY_EPC_OUTPUT_QTY, seq, results)))
      goto out;
  }
out:
  free(ids.keys), free(ids.vals), free(hashes.keys), free(hashes.vals);
  free(evs);
  cJSON_Delete(doc);
  return rc ? rc : reason;
}

/* ---- reading events ------------------------------------------------------------ */

#define EVENT_COLS                                                                         \
  "e.seq, e.event_id, e.hash_id, e.type, e.event_time, e.record_time, e.height, e.tx_id, " \
  "e.tx_index, e.event_index, e.action, e.biz_step, e.disposition, e.read_point, "        \
  "e.biz_location, e.org, e.signer, e.json"

static char *dup_col(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? strdup((const char *)t) : NULL;
}

static int row_event(sqlite3_stmt *st, sy_event *e) {
  memset(e, 0, sizeof *e);
  e->seq = (uint64_t)sqlite3_column_int64(st, 0);
  e->event_id = dup_col(st, 1);
  e->hash_id = dup_col(st, 2);
  e->type = dup_col(st, 3);
  e->event_time_ms = sqlite3_column_int64(st, 4);
  e->record_time_ms = (uint64_t)sqlite3_column_int64(st, 5);
  e->height = (uint64_t)sqlite3_column_int64(st, 6);
  if (sqlite3_column_bytes(st, 7) == SY_HASH_LEN)
    memcpy(e->tx_id, sqlite3_column_blob(st, 7), SY_HASH_LEN);
  e->tx_index = (uint32_t)sqlite3_column_int64(st, 8);
  e->event_index = (uint32_t)sqlite3_column_int64(st, 9);
  e->action = dup_col(st, 10);
  e->biz_step = dup_col(st, 11);
  e->disposition = dup_col(st, 12);
  e->read_point = dup_col(st, 13);
  e->biz_location = dup_col(st, 14);
  e->org = dup_col(st, 15);
  if (sqlite3_column_bytes(st, 16) == SY_KEYID_LEN)
    memcpy(e->signer, sqlite3_column_blob(st, 16), SY_KEYID_LEN);
  e->json = dup_col(st, 17);
  if (!e->event_id || !e->hash_id || !e->type || !e->json) return SY_ENOMEM;
  return SY_OK;
}

void sy_event_free(sy_event *e) {
  if (!e) return;
  free(e->event_id);
  free(e->hash_id);
  free(e->type);
  free(e->action);
  free(e->biz_step);
  free(e->disposition);
  free(e->read_point);
  free(e->biz_location);
  free(e->org);
  free(e->json);
  memset(e, 0, sizeof *e);
}

void sy_event_page_free(sy_event_page *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) sy_event_free(&p->events[i]);
  free(p->events);
  memset(p, 0, sizeof *p);
}

void sy_event_query_init(sy_event_query *q) {
  memset(q, 0, sizeof *q);
  q->ge_event_time_ms = q->ge_record_time_ms = INT64_MIN;
  q->lt_event_time_ms = q->lt_record_time_ms = INT64_MAX;
  q->limit = 100;
}

int sy_event_query_set_token(sy_event_query *q, const char *token) {
  long long k;
  unsigned long long s;
  char tail;
  if (!token || sscanf(token, "%lld.%llu%c", &k, &s, &tail) != 2) return SY_EINVAL;
  q->has_cursor = 1;
  q->cursor_key = k;
  q->cursor_seq = s;
  return SY_OK;
}

/* A tiny SQL builder: text plus the values to bind, all as text or int. */
#define MAX_BINDS 512
typedef struct qb {
  sy_buf sql;
  int nb;
  struct {
    int is_int;
    int64_t i;
    char *s;
  } b[MAX_BINDS];
  int err;
} qb;

static void qb_sql(qb *q, const char *s) { sy_buf_put(&q->sql, s, strlen(s)); }

static void qb_int(qb *q, int64_t v) {
  if (q->nb >= MAX_BINDS) {
    q->err = SY_EINVAL;
    return;
  }
  q->b[q->nb].is_int = 1;
  q->b[q->nb].i = v;
  q->b[q->nb].s = NULL;
  q->nb++;
  qb_sql(q, "?");
}

static void qb_text(qb *q, const char *s, size_t n) {
  if (q->nb >= MAX_BINDS) {
    q->err = SY_EINVAL;
    return;
  }
  q->b[q->nb].is_int = 0;
  q->b[q->nb].s = strndup(s, n);
  if (!q->b[q->nb].s) q->err = SY_ENOMEM;
  q->nb++;
  qb_sql(q, "?");
}

/* "col IN (?,?,…)" from a pipe-separated list; vocab >= 0 canonicalises
 * CBV values so "shipping", its URN and its web URI all match. */
static void qb_in(qb *q, const char *col, const char *list, int vocab) {
  qb_sql(q, " AND ");
  qb_sql(q, col);
  qb_sql(q, " IN (");
  const char *p = list;
  int first = 1;
  for (;;) {
    const char *e = strchr(p, '|');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (!first) qb_sql(q, ",");
    first = 0;
    char tmp[URI_MAX], canon[URI_MAX];
    if (vocab >= 0 && n < sizeof tmp) {
      memcpy(tmp, p, n);
      tmp[n] = 0;
      if (sy_cbv_canonical((sy_cbv_vocab)vocab, tmp, canon, sizeof canon) == 0)
        qb_text(q, canon, strlen(canon));
      else
        qb_text(q, p, n);
    } else {
      qb_text(q, p, n);
    }
    if (!e) break;
    p = e + 1;
  }
  qb_sql(q, ")");
}

static void qb_match(qb *q, const char *list, const char *roles) {
  qb_sql(q, " AND e.seq IN (SELECT seq FROM event_epcs WHERE role IN (");
  qb_sql(q, roles);
  qb_sql(q, ")");
  qb_in(q, "epc", list, -1);
  qb_sql(q, ")");
}

static void qb_free(qb *q) {
  for (int i = 0; i < q->nb; i++) free(q->b[i].s);
  sy_buf_free(&q->sql);
}

static int run_page(sy_ledger *l, qb *q, size_t limit, int by_record, sy_event_page *out,
                    char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (q->err || q->sql.err) return q->err ? q->err : q->sql.err;
  sy_buf_u8(&q->sql, 0);
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_OK;
  int src = sqlite3_prepare_v2(r->db, (const char *)q->sql.p, -1, &st, NULL);
  if (src != SQLITE_OK) {
    rc = sy_ls_err(r->db, src, err, errlen, "query");
    goto done;
  }
  for (int i = 0; i < q->nb; i++) {
    if (q->b[i].is_int)
      sqlite3_bind_int64(st, i + 1, q->b[i].i);
    else
      sqlite3_bind_text(st, i + 1, q->b[i].s, -1, SQLITE_STATIC);
  }
  out->events = calloc(limit ? limit : 1, sizeof *out->events);
  if (!out->events) {
    rc = SY_ENOMEM;
    goto done;
  }
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n == limit) {
      out->more = 1;
      const sy_event *last = &out->events[out->n - 1];
      snprintf(out->next_token, sizeof out->next_token, "%lld.%llu",
               (long long)(by_record ? (int64_t)last->record_time_ms : last->event_time_ms),
               (unsigned long long)last->seq);
      break;
    }
    if ((rc = row_event(st, &out->events[out->n]))) {
      out->n++;
      goto done;
    }
    out->n++;
  }
  if (src != SQLITE_ROW && src != SQLITE_DONE) rc = sy_ls_err(r->db, src, err, errlen, "query");
done:
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  if (rc) sy_event_page_free(out);
  return rc;
}

int sy_ledger_query_events(sy_ledger *l, const sy_event_query *qq, sy_event_page *out, char *err,
                           size_t errlen) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  if (qq->limit == 0 || qq->limit > 1000) {
    if (err) snprintf(err, errlen, "perPage must be 1..1000");
    return SY_EINVAL;
  }
  qb q;
  memset(&q, 0, sizeof q);
  const char *key = qq->order_by_record_time ? "e.record_time" : "e.event_time";
  qb_sql(&q, "SELECT " EVENT_COLS " FROM events e WHERE 1");
  if (qq->event_types) qb_in(&q, "e.type", qq->event_types, -1);
  if (qq->ge_event_time_ms != INT64_MIN) qb_sql(&q, " AND e.event_time >= "), qb_int(&q, qq->ge_event_time_ms);
  if (qq->lt_event_time_ms != INT64_MAX) qb_sql(&q, " AND e.event_time < "), qb_int(&q, qq->lt_event_time_ms);
  if (qq->ge_record_time_ms != INT64_MIN) qb_sql(&q, " AND e.record_time >= "), qb_int(&q, qq->ge_record_time_ms);
  if (qq->lt_record_time_ms != INT64_MAX) qb_sql(&q, " AND e.record_time < "), qb_int(&q, qq->lt_record_time_ms);
  if (qq->eq_action) qb_in(&q, "e.action", qq->eq_action, -1);
  if (qq->eq_biz_step) qb_in(&q, "e.biz_step", qq->eq_biz_step, SY_CBV_BIZSTEP);
  if (qq->eq_disposition) qb_in(&q, "e.disposition", qq->eq_disposition, SY_CBV_DISPOSITION);
  if (qq->eq_read_point) qb_in(&q, "e.read_point", qq->eq_read_point, -1);
  if (qq->eq_biz_location) qb_in(&q, "e.biz_location", qq->eq_biz_location, -1);
  if (qq->eq_event_id) qb_in(&q, "e.event_id", qq->eq_event_id, -1);
  if (qq->match_epc) qb_match(&q, qq->match_epc, "1,3");
  if (qq->match_parent_id) qb_match(&q, qq->match_parent_id, "2");
  if (qq->match_input_epc) qb_match(&q, qq->match_input_epc, "4");
  if (qq->match_output_epc) qb_match(&q, qq->match_output_epc, "5");
  if (qq->match_any_epc) qb_match(&q, qq->match_any_epc, "1,2,3,4,5");
  if (qq->match_epc_class) qb_match(&q, qq->match_epc_class, "6,7");
  if (qq->match_input_epc_class) qb_match(&q, qq->match_input_epc_class, "8");
  if (qq->match_output_epc_class) qb_match(&q, qq->match_output_epc_class, "9");
  if (qq->match_any_epc_class) qb_match(&q, qq->match_any_epc_class, "6,7,8,9");
  if (qq->has_cursor) {
    const char *cmp = qq->descending ? "<" : ">";
    qb_sql(&q, " AND (");
    qb_sql(&q, key);
    qb_sql(&q, cmp);
    qb_int(&q, qq->cursor_key);
    qb_sql(&q, " OR (");
    qb_sql(&q, key);
    qb_sql(&q, " = ");
    qb_int(&q, qq->cursor_key);
    qb_sql(&q, " AND e.seq ");
    qb_sql(&q, cmp);
    qb_int(&q, (int64_t)qq->cursor_seq);
    qb_sql(&q, "))");
  }
  qb_sql(&q, " ORDER BY ");
  qb_sql(&q, key);
  qb_sql(&q, qq->descending ? " DESC, e.seq DESC LIMIT " : " ASC, e.seq ASC LIMIT ");
  qb_int(&q, (int64_t)qq->limit + 1);
  int rc = q.err ? q.err : run_page(l, &q, qq->limit, qq->order_by_record_time, out, err, errlen);
  if (rc == SY_EINVAL && err && !*err) snprintf(err, errlen, "too many values in one query");
  qb_free(&q);
  return rc;
}

int sy_ledger_get_event(sy_ledger *l, const char *event_id, sy_event *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  sy_reader_conn *r = sy_ls_reader_get(l);
  sqlite3_stmt *st = NULL;
  int rc = SY_ENOTFOUND;
  if (sqlite3_prepare_v2(r->db,
                         "SELECT " EVENT_COLS " FROM events e WHERE e.event_id=?1 OR "
                         "(e.hash_id=?1 AND e.hash_id<>e.event_id) "
                         "ORDER BY e.seq LIMIT 1",
                         -1, &st, NULL) != SQLITE_OK) {
    rc = SY_ESTORAGE;
  } else {
    sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
      rc = row_event(st, out);
    else if (src != SQLITE_DONE)
      rc = sy_ls_err(r->db, src, l->err, sizeof l->err, "event");
  }
  sqlite3_finalize(st);
  sy_ls_reader_put(l, r);
  if (rc && rc != SY_ENOTFOUND) sy_event_free(out);
  return rc;
}

int sy_ledger_history(sy_ledger *l, const char *id, const char *page_token, size_t limit,
                      sy_event_page *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  if (limit == 0 || limit > 1000) return SY_EINVAL;
  sy_event_query cur;
  sy_event_query_init(&cur);
  if (page_token && sy_event_query_set_token(&cur, page_token)) return SY_EINVAL;
  qb q;
  memset(&q, 0, sizeof q);
  qb_sql(&q, "SELECT " EVENT_COLS " FROM events e WHERE e.seq IN "
             "(SELECT seq FROM event_epcs WHERE epc = ");
  qb_text(&q, id, strlen(id));
  qb_sql(&q, ")");
  if (cur.has_cursor) {
    qb_sql(&q, " AND (e.event_time > ");
    qb_int(&q, cur.cursor_key);
    qb_sql(&q, " OR (e.event_time = ");
    qb_int(&q, cur.cursor_key);
    qb_sql(&q, " AND e.seq > ");
    qb_int(&q, (int64_t)cur.cursor_seq);
    qb_sql(&q, "))");
  }
  qb_sql(&q, " ORDER BY e.event_time, e.seq LIMIT ");
  qb_int(&q, (int64_t)limit + 1);
  int rc = run_page(l, &q, limit, 0, out, NULL, 0);
  qb_free(&q);
  return rc;
}

int sy_ledger_tx_events(sy_ledger *l, const uint8_t tx_id[SY_HASH_LEN], sy_event_page *out) {
  if (!l->nreaders) return SY_EUNSUPPORTED;
  qb q;
  memset(&q, 0, sizeof q);
  qb_sql(&q, "SELECT " EVENT_COLS " FROM events e WHERE e.tx_id = ");
  if (q.nb < MAX_BINDS) { /* bind the id as a blob through a hex literal */
    char hex[2 * SY_HASH_LEN + 1];
    sy_hex_encode(hex, tx_id, SY_HASH_LEN);
    qb_sql(&q, "x'");
    qb_sql(&q, hex);
    qb_sql(&q, "'");
  }
  qb_sql(&q, " ORDER BY e.seq LIMIT ");
  qb_int(&q, MAX_EVENTS_PER_TX + 1);
  int rc = run_page(l, &q, MAX_EVENTS_PER_TX, 0, out, NULL, 0);
  qb_free(&q);
  return rc;
}

/* ---- lineage walks ---------------------------------------------------------------- */

void sy_trace_free(sy_trace *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_nodes; i++) {
    sy_trace_node *n = &t->nodes[i];
    free(n->id);
    free(n->last_biz_location);
    free(n->last_disposition);
    free(n->last_biz_step);
    free(n->last_org);
    free(n->last_event_id);
    free(n->uom);
  }
  for (size_t i = 0; i < t->n_edges; i++) free(t->edges[i].event_id);
  free(t->nodes);
  free(t->edges);
  memset(t, 0, sizeof *t);
}

static int add_node(sy_trace *t, size_t *cap, strset *seen, const char *id, uint32_t depth,
                    uint32_t *idx) {
  if (t->n_nodes == *cap) {
    size_t nc = *cap ? *cap * 2 : 32;
    sy_trace_node *nn = realloc(t->nodes, nc * sizeof *nn);
    if (!nn) return SY_ENOMEM;
    t->nodes = nn;
    *cap = nc;
  }
  sy_trace_node *n = &t->nodes[t->n_nodes];
  memset(n, 0, sizeof *n);
  if (!(n->id = strdup(id))) return SY_ENOMEM;
  n->depth = depth;
  *idx = (uint32_t)t->n_nodes;
  t->n_nodes++;
  return set_put(seen, n->id, *idx);
}

static int add_edge(sy_trace *t, size_t *cap, uint32_t from, uint32_t to, uint64_t seq,
                    const char *event_id, const char *kind) {
  if (t->n_edges == *cap) {
    size_t nc = *cap ? *cap * 2 : 32;
    sy_trace_edge *ne = realloc(t->edges, nc * sizeof *ne);
    if (!ne) return SY_ENOMEM;
    t->edges = ne;
    *cap = nc;
  }
  sy_trace_edge *e = &t->edges[t->n_edges];
  e->from = from;
  e->to = to;
  e->event_seq = seq;
  e->event_id = strdup(event_id ? event_id : "");
  e->kind = kind;
  if (!e->event_id) return SY_ENOMEM;
  t->n_edges++;
  return SY_OK;
}

/* Walk queries: two statements per walk, each run for a batch of queued
 * nodes at a time (their ids bound as one JSON array). The link statement
 * gives, per node, the identifiers its events link it to in the walk's
 * direction (forward: inputs -> outputs, children -> parent; backward the
 * reverse); the state statement gives every event naming a node, for its
 * recall state, and is skipped with SY_TRACE_NO_STATE. CROSS JOIN keeps
 * json_each the outer loop, so rows come grouped by node in queue order
 * and the walk is the same breadth-first walk as one query per node.
 * Measured (callgrind) on the chain tests/test_trace_lineage.c builds:
 * batches beat a run per node; one (epc) seek with the role as a filter
 * ("+i.role") beats one seek per role; sorting a node's few links here
 * beats an ORDER BY (a sorter per run); and two plain statements beat one
 * LEFT JOIN, which probes the event's other identifiers for every event of
 * a lot used a thousand times. */
/* Columns of both statements: C_TO is the link statement's last; C_ROLE
 * on, the state statement's. C_KEY is the node's place in the batch. */
enum {
  C_KEY,
  C_SEQ,
  C_TIME,
  C_TYPE,
  C_EID,
  C_TO,
  C_ROLE,
  C_QTY,
  C_UOM,
  C_ACTION,
  C_DISP,
  C_STEP,
  C_ORG,
  C_LOC
};
#define BATCH_FROM "FROM json_each(?1) j CROSS JOIN event_epcs i ON i.epc = j.value"
#define EVENT_JOIN " JOIN events e ON e.seq = i.seq"
#define FWD_LINK                                     \
  "+i.role IN (3,4,7,8) AND +o.role IN (2,5,9) AND " \
  "((i.role IN (4,8) AND o.role IN (5,9)) OR (i.role IN (3,7) AND o.role = 2))"
#define BWD_LINK                                     \
  "+i.role IN (2,5,9) AND +o.role IN (3,4,7,8) AND " \
  "((i.role IN (5,9) AND o.role IN (4,8)) OR (i.role = 2 AND o.role IN (3,7)))"
#define LINK_SQL(LINK)                                                                  \
  "SELECT j.key, e.seq, e.event_time, e.type, e.event_id, o.epc " BATCH_FROM EVENT_JOIN \
  " JOIN event_epcs o ON o.seq = i.seq WHERE " LINK

/* [direction]. json_each: SQLite's JSON functions, built in since 3.38. */
static const char *const WALK_LINK_SQL[2] = {
    [SY_TRACE_BACKWARD] = LINK_SQL(BWD_LINK), [SY_TRACE_FORWARD] = LINK_SQL(FWD_LINK)};
static const char *const WALK_STATE_SQL =
    "SELECT j.key, e.seq, e.event_time, e.type, e.event_id, NULL, i.role, i.quantity, i.uom,"
    " e.action, e.disposition, e.biz_step, e.org, e.biz_location " BATCH_FROM EVENT_JOIN;
#define WALK_BATCH 512 /* nodes per run: a JSON array of some 50 KB */

static const char *edge_kind(const unsigned char *type) {
  const char *t = (const char *)type;
  return !t                                  ? "other"
         : !strcmp(t, "TransformationEvent") ? "transformation"
         : !strcmp(t, "AggregationEvent")    ? "aggregation"
         : !strcmp(t, "AssociationEvent")    ? "association"
                                             : "other";
}

/* (time, seq) order: eventTime, then chain order. */
static int after(int64_t t1, uint64_t s1, int64_t t2, uint64_t s2) {
  return t1 > t2 || (t1 == t2 && s1 > s2);
}

/* A reusable copy of one column: the row's text is gone at the next step,
 * and a copy of a few dozen bytes beats a malloc per row. */
typedef struct colbuf {
  char *p;
  size_t cap;
  int set; /* 0: NULL */
} colbuf;

static int cb_set(colbuf *b, sqlite3_stmt *st, int col) {
  const unsigned char *t = sqlite3_column_text(st, col);
  if (!t) {
    b->set = 0;
    return SY_OK;
  }
  size_t n = (size_t)sqlite3_column_bytes(st, col) + 1;
  if (n > b->cap) {
    size_t nc = n < 128 ? 128 : n * 2;
    char *np = realloc(b->p, nc);
    if (!np) return SY_ENOMEM;
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p, t, n);
  b->set = 1;
  return SY_OK;
}

static int cb_dup(const colbuf *b, char **out) {
  *out = NULL;
  if (!b->set) return SY_OK;
  return (*out = strdup(b->p)) ? SY_OK : SY_ENOMEM;
}

/* Recall state of the node being expanded, from its rows, which come in
 * no particular order (SPEC I2a; events.h says which event each field
 * comes from). */
typedef struct nstate {
  colbuf disp, step, org, event_id, loc, cr_uom, q_uom;
  int have_last, have_loc, have_cr, have_q;
  int64_t last_time, loc_time, cr_time, q_time;
  uint64_t last_seq, loc_seq, cr_seq, q_seq;
  double cr_q, q_q;
} nstate;

static void ns_free(nstate *s) {
  colbuf *all[] = {&s->disp, &s->step, &s->org, &s->event_id, &s->loc, &s->cr_uom, &s->q_uom};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]->p);
}

static int ns_row(nstate *s, sqlite3_stmt *st) {
  const uint64_t seq = (uint64_t)sqlite3_column_int64(st, C_SEQ);
  const int64_t t = sqlite3_column_int64(st, C_TIME);
  int rc;
  if (!s->have_last || after(t, seq, s->last_time, s->last_seq)) {
    s->have_last = 1;
    s->last_time = t;
    s->last_seq = seq;
    if ((rc = cb_set(&s->event_id, st, C_EID)) || (rc = cb_set(&s->disp, st, C_DISP)) ||
        (rc = cb_set(&s->step, st, C_STEP)) || (rc = cb_set(&s->org, st, C_ORG)))
      return rc;
  }
  if (sqlite3_column_type(st, C_LOC) != SQLITE_NULL &&
      (!s->have_loc || after(t, seq, s->loc_time, s->loc_seq))) {
    s->have_loc = 1;
    s->loc_time = t;
    s->loc_seq = seq;
    if ((rc = cb_set(&s->loc, st, C_LOC))) return rc;
  }
  if (sqlite3_column_type(st, C_QTY) != SQLITE_NULL) {
    const int role = sqlite3_column_int(st, C_ROLE);
    const char *action = (const char *)sqlite3_column_text(st, C_ACTION);
    const char *type = (const char *)sqlite3_column_text(st, C_TYPE);
    const int creating = role == SY_EPC_OUTPUT_QTY ||
                         (role == SY_EPC_QUANTITY && action && !strcmp(action, "ADD") && type &&
                          !strcmp(type, "ObjectEvent")); /* a TransactionEvent ADD links only */
    if (creating && (!s->have_cr || after(s->cr_time, s->cr_seq, t, seq))) {
      s->have_cr = 1;
      s->cr_time = t;
      s->cr_seq = seq;
      s->cr_q = sqlite3_column_double(st, C_QTY);
      if ((rc = cb_set(&s->cr_uom, st, C_UOM))) return rc;
    }
    if (!s->have_q || after(t, seq, s->q_time, s->q_seq)) {
      s->have_q = 1;
      s->q_time = t;
      s->q_seq = seq;
      s->q_q = sqlite3_column_double(st, C_QTY);
      if ((rc = cb_set(&s->q_uom, st, C_UOM))) return rc;
    }
  }
  return SY_OK;
}

static int ns_store(const nstate *s, sy_trace_node *n) {
  int rc = SY_OK;
  if (s->have_last) {
    n->last_event_time_ms = s->last_time;
    if ((rc = cb_dup(&s->event_id, &n->last_event_id)) ||
        (rc = cb_dup(&s->disp, &n->last_disposition)) ||
        (rc = cb_dup(&s->step, &n->last_biz_step)) || (rc = cb_dup(&s->org, &n->last_org)))
      return rc;
  }
  if (s->have_loc && (rc = cb_dup(&s->loc, &n->last_biz_location))) return rc;
  if (s->have_cr) {
    n->quantity = s->cr_q;
    rc = cb_dup(&s->cr_uom, &n->uom);
  } else if (s->have_q) {
    n->quantity = s->q_q;
    rc = cb_dup(&s->q_uom, &n->uom);
  }
  return rc;
}

/* The links of the node being expanded, gathered so they can be put in
 * (eventTime, chain, identifier) order before they add nodes: successors
 * are listed in the order they came to be, whatever the index order. */
typedef struct wlink {
  int64_t time;
  uint64_t seq;
  size_t to_off, eid_off;    /* into linkset.chars */
  const char *to, *event_id; /* set once all rows are in */
  const char *kind;
} wlink;

typedef struct linkset {
  wlink *v;
  size_t n, cap;
  sy_buf chars;
} linkset;

static int ls_add(linkset *s, sqlite3_stmt *st) {
  if (s->n == s->cap) {
    size_t nc = s->cap ? s->cap * 2 : 64;
    wlink *nv = realloc(s->v, nc * sizeof *nv);
    if (!nv) return SY_ENOMEM;
    s->v = nv;
    s->cap = nc;
  }
  wlink *k = &s->v[s->n];
  k->seq = (uint64_t)sqlite3_column_int64(st, C_SEQ);
  k->time = sqlite3_column_int64(st, C_TIME);
  k->kind = edge_kind(sqlite3_column_text(st, C_TYPE));
  const unsigned char *to = sqlite3_column_text(st, C_TO), *eid = sqlite3_column_text(st, C_EID);
  k->to_off = s->chars.len;
  sy_buf_put(&s->chars, to, (size_t)sqlite3_column_bytes(st, C_TO));
  sy_buf_u8(&s->chars, 0);
  k->eid_off = s->chars.len;
  if (eid) sy_buf_put(&s->chars, eid, (size_t)sqlite3_column_bytes(st, C_EID));
  sy_buf_u8(&s->chars, 0);
  if (s->chars.err) return s->chars.err;
  s->n++;
  return SY_OK;
}

static int wlink_cmp(const void *a, const void *b) {
  const wlink *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
  return strcmp(x->to, y->to);
}

/* Whether the walked nodes and edges hold a cycle: Kahn's algorithm over
 * the edges (a node on a cycle never loses all its incoming edges). */
static int has_cycle(const sy_trace *t, int *out) {
  size_t n = t->n_nodes;
  uint32_t *indeg = calloc(n + 1, sizeof *indeg), *off = calloc(n + 2, sizeof *off);
  uint32_t *adj = malloc((t->n_edges + 1) * sizeof *adj), *queue = malloc((n + 1) * sizeof *queue);
  if (!indeg || !off || !adj || !queue) {
    free(indeg), free(off), free(adj), free(queue);
    return SY_ENOMEM;
  }
  for (size_t i = 0; i < t->n_edges; i++) off[t->edges[i].from + 2]++;
  for (size_t i = 0; i < n; i++) off[i + 2] += off[i + 1];
  for (size_t i = 0; i < t->n_edges; i++) {
    adj[off[t->edges[i].from + 1]++] = t->edges[i].to;
    indeg[t->edges[i].to]++;
  }
  size_t qn = 0;
  for (size_t i = 0; i < n; i++)
    if (!indeg[i]) queue[qn++] = (uint32_t)i;
  for (size_t h = 0; h < qn; h++)
    for (uint32_t k = off[queue[h]]; k < off[queue[h] + 1]; k++)
      if (!--indeg[adj[k]]) queue[qn++] = adj[k];
  *out = qn < n;
  free(indeg), free(off), free(adj), free(queue);
  return SY_OK;
}

typedef struct walk {
  sy_trace *out;
  strset seen;
  size_t ncap, ecap;
  int forward, state;
  unsigned max_depth;
  size_t max_nodes;
  nstate ns;     /* of the node whose rows are being read */
  linkset links; /* likewise */
} walk;

/* All link rows of node k are in: follow them in order (adding nodes
 * within the bounds, edges to listed nodes). */
static int expand(walk *w, size_t k) {
  sy_trace *out = w->out;
  int rc;
  linkset *ls = &w->links;
  for (size_t i = 0; i < ls->n; i++) {
    ls->v[i].to = (const char *)ls->chars.p + ls->v[i].to_off;
    ls->v[i].event_id = (const char *)ls->chars.p + ls->v[i].eid_off;
  }
  qsort(ls->v, ls->n, sizeof *ls->v, wlink_cmp);
  const uint32_t depth = out->nodes[k].depth;
  for (size_t i = 0; i < ls->n; i++) {
    const wlink *e = &ls->v[i];
    uint32_t to;
    if (!set_find(&w->seen, e->to, &to)) {
      if (depth >= w->max_depth || out->n_nodes >= w->max_nodes) {
        out->truncated = 1;
        continue;
      }
      if ((rc = add_node(out, &w->ncap, &w->seen, e->to, depth + 1, &to))) return rc;
    }
    if ((rc = add_edge(out, &w->ecap, w->forward ? (uint32_t)k : to, w->forward ? to : (uint32_t)k,
                       e->seq, e->event_id, e->kind)))
      return rc;
  }
  ls->n = 0;
  sy_buf_reset(&ls->chars);
  return SY_OK;
}

/* A JSON array of the ids of nodes [lo, hi). */
static void ids_json(const sy_trace *t, size_t lo, size_t hi, sy_buf *b) {
  sy_buf_reset(b);
  sy_buf_u8(b, '[');
  for (size_t i = lo; i < hi; i++) {
    if (i > lo) sy_buf_u8(b, ',');
    sy_buf_u8(b, '"');
    const unsigned char *p = (const unsigned char *)t->nodes[i].id;
    while (*p) {
      const unsigned char *q = p; /* a run that needs no escape, copied at once */
      while (*q && *q != '"' && *q != '\\' && *q >= 0x20) q++;
      sy_buf_put(b, p, (size_t)(q - p));
      if (!*q) break;
      if (*q == '"' || *q == '\\') {
        sy_buf_u8(b, '\\');
        sy_buf_u8(b, *q);
      } else {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", *q);
        sy_buf_put(b, esc, 6);
      }
      p = q + 1;
    }
    sy_buf_u8(b, '"');
  }
  sy_buf_u8(b, ']');
}

/* Runs st over the batch of nodes [head, hi) (bound already); rows come
 * grouped by node. State statement: each node's rows make its recall
 * state. Link statement: each node's links are followed once all are in. */
static int walk_run(walk *w, char *err, size_t errlen, sqlite3 *db, sqlite3_stmt *st, int state,
                    size_t head, size_t hi) {
  int rc = SY_OK, src, any = 0;
  size_t cur = head; /* the node whose rows are coming */
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
    const size_t k = head + (size_t)sqlite3_column_int64(st, C_KEY);
    if (k < cur || k >= hi) /* CROSS JOIN order broken: never seen */
      return sy_ls_err(db, SQLITE_INTERNAL, err, errlen, "trace row order");
    if (k != cur || !any) {
      if (any && (rc = state ? ns_store(&w->ns, &w->out->nodes[cur]) : expand(w, cur))) return rc;
      w->ns.have_last = w->ns.have_loc = w->ns.have_cr = w->ns.have_q = 0;
      cur = k;
    }
    any = 1;
    if ((rc = state ? ns_row(&w->ns, st) : ls_add(&w->links, st))) return rc;
  }
  if (src != SQLITE_DONE) return sy_ls_err(db, src, err, errlen, "trace step");
  if (any) rc = state ? ns_store(&w->ns, &w->out->nodes[cur]) : expand(w, cur);
  return rc;
}

/* ---- recall state on the second core ------------------------------------------
 * A node's recall state does not change the walk, so for a large walk a
 * helper thread reads it on a second reader connection while this thread
 * follows the links: batch k's state is read while batch k+1's links are.
 * The helper sees the walk's nodes only through the id pointers published
 * to it (the strings never move; the node array does), keeps its answers in
 * its own array, and they are moved into the nodes after the join. Used
 * only when a second connection is free at once and its snapshot holds the
 * same blocks as the walk's (max height equal: events only change with a
 * block), so the answer is the one a single connection gives. */
typedef struct state_helper {
  sqlite3 *db;
  sqlite3_stmt *st;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const char **ids; /* [ready]: borrowed node ids, appended by the walk */
  size_t ready, cap, done;
  int finished;     /* the walk has listed every node */
  sy_trace res;     /* nodes[i]: node i's state (id borrowed) */
  size_t res_cap;
  int rc;
  char err[256];
} state_helper;

static void *state_helper_main(void *arg) {
  state_helper *h = arg;
  walk w = {.out = &h->res};
  sy_buf ids = {0};
  int rc = SY_OK;
  for (;;) {
    pthread_mutex_lock(&h->mu);
    while (h->ready == h->done && !h->finished) pthread_cond_wait(&h->cv, &h->mu);
    const size_t lo = h->done;
    const size_t hi = h->ready - lo > WALK_BATCH ? lo + WALK_BATCH : h->ready;
    if (hi > h->res_cap) { /* the array the answers go to, sized under the lock */
      size_t nc = h->res_cap ? h->res_cap : 1024;
      while (nc < h->ready) nc *= 2;
      sy_trace_node *nn = realloc(h->res.nodes, nc * sizeof *nn);
      if (nn) {
        memset(nn + h->res_cap, 0, (nc - h->res_cap) * sizeof *nn);
        h->res.nodes = nn;
        h->res_cap = nc;
      }
    }
    for (size_t i = lo; i < hi && hi <= h->res_cap; i++) h->res.nodes[i].id = (char *)h->ids[i];
    pthread_mutex_unlock(&h->mu);
    if (lo == hi) break; /* finished and all done */
    if (hi > h->res_cap) {
      rc = SY_ENOMEM;
      break;
    }
    h->res.n_nodes = hi;
    ids_json(&h->res, lo, hi, &ids);
    if ((rc = ids.err)) break;
    sqlite3_reset(h->st);
    sqlite3_bind_text(h->st, 1, (const char *)ids.p, (int)ids.len, SQLITE_STATIC);
    if ((rc = walk_run(&w, h->err, sizeof h->err, h->db, h->st, 1, lo, hi))) break;
    pthread_mutex_lock(&h->mu);
    h->done = hi;
    pthread_mutex_unlock(&h->mu);
  }
  sqlite3_reset(h->st);
  pthread_mutex_lock(&h->mu);
  h->rc = rc;
  pthread_mutex_unlock(&h->mu);
  ns_free(&w.ns);
  sy_buf_free(&ids);
  return NULL;
}

/* Publishes the ids of nodes [h->ready, t->n_nodes) to the helper. */
static int helper_publish(state_helper *h, const sy_trace *t, int finished) {
  int rc = SY_OK;
  pthread_mutex_lock(&h->mu);
  if (t->n_nodes > h->cap) {
    size_t nc = h->cap ? h->cap : 1024;
    while (nc < t->n_nodes) nc *= 2;
    const char **nv = realloc(h->ids, nc * sizeof *nv);
    if (nv) {
      h->ids = nv;
      h->cap = nc;
    } else {
      rc = SY_ENOMEM;
      finished = 1; /* the helper stops; the walk fails */
    }
  }
  if (!rc)
    for (size_t i = h->ready; i < t->n_nodes; i++) h->ids[i] = t->nodes[i].id;
  if (!rc) h->ready = t->n_nodes;
  h->finished = finished;
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
  return rc;
}

static int max_height(sqlite3 *db, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(db, "SELECT max(height) FROM blocks", -1, &st, NULL) == SQLITE_OK &&
           sqlite3_step(st) == SQLITE_ROW;
  if (ok) *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return ok;
}

/* Starts the helper for the nodes from `from` on; SY_EBUSY when no second
 * connection is free, its snapshot differs from the walk's (wdb, inside
 * its read transaction) or the thread cannot start: the walk then reads
 * the state itself. */
static int helper_start(sy_ledger *l, sqlite3 *wdb, state_helper *h, pthread_t *th,
                        sy_reader_conn **conn, size_t from) {
  sy_reader_conn *c = sy_ls_reader_tryget(l);
  if (!c) return SY_EBUSY;
  int64_t h1 = -1, h2 = -2;
  sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
  if (!max_height(wdb, &h1) || !max_height(c->db, &h2) || h1 != h2 ||
      sqlite3_prepare_v2(c->db, WALK_STATE_SQL, -1, &h->st, NULL) != SQLITE_OK)
    goto busy;
  h->db = c->db;
  h->ready = h->done = from;
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->cv, NULL);
  if (pthread_create(th, NULL, state_helper_main, h) != 0) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    goto busy;
  }
  *conn = c;
  return SY_OK;
busy:
  sqlite3_finalize(h->st);
  h->st = NULL;
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sy_ls_reader_put(l, c);
  return SY_EBUSY;
}

/* Ends the helper: waits for it, moves its answers for nodes [from, n)
 * into t (or frees them when rc), releases its connection. */
static int helper_finish(sy_ledger *l, state_helper *h, pthread_t th, sy_reader_conn *c,
                         sy_trace *t, size_t from, int rc) {
  helper_publish(h, t, 1);
  pthread_join(th, NULL);
  if (!rc && h->rc) {
    rc = h->rc;
    snprintf(l->err, sizeof l->err, "%s", h->err);
  }
  for (size_t i = from; i < h->res_cap && i < t->n_nodes; i++) {
    sy_trace_node *s = &h->res.nodes[i], *n = &t->nodes[i];
    if (!rc) {
      n->last_biz_location = s->last_biz_location, n->last_disposition = s->last_disposition;
      n->last_biz_step = s->last_biz_step, n->last_org = s->last_org;
      n->last_event_id = s->last_event_id, n->last_event_time_ms = s->last_event_time_ms;
      n->quantity = s->quantity, n->uom = s->uom;
    } else {
      free(s->last_biz_location), free(s->last_disposition), free(s->last_biz_step);
      free(s->last_org), free(s->last_event_id), free(s->uom);
    }
  }
  if (!rc && h->done < t->n_nodes) rc = SY_ESTORAGE; /* never: the helper stopped early */
  free(h->res.nodes);
  free(h->ids);
  sqlite3_finalize(h->st);
  sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
  sy_ls_reader_put(l, c);
  pthread_mutex_destroy(&h->mu);
  pthread_cond_destroy(&h->cv);
  return rc;
}

int sy_ledger_trace_opts(sy_ledger *l, const char *id, const sy_trace_opts *opts, sy_trace *out) {
  memset(out, 0, sizeof *out);
  if (!l->nreaders) return SY_EUNSUPPORTED;
  if (!id || !*id || strlen(id) >= URI_MAX || !opts ||
      (opts->direction != SY_TRACE_FORWARD && opts->direction != SY_TRACE_BACKWARD) ||
      (opts->flags & ~SY_TRACE_NO_STATE))
    return SY_EINVAL;
  walk w = {.out = out,
            .forward = opts->direction == SY_TRACE_FORWARD,
            .state = !(opts->flags & SY_TRACE_NO_STATE),
            .max_depth = opts->max_depth ? opts->max_depth : 64,
            .max_nodes = opts->max_nodes ? opts->max_nodes : 10000};
  sy_reader_conn *r = sy_ls_reader_get(l), *r2 = NULL;
  sqlite3_stmt *links = NULL, *states = NULL, *exists = NULL;
  sy_buf ids = {0};
  int rc = SY_OK, src, tried = 0;
  state_helper h;
  memset(&h, 0, sizeof h);
  pthread_t ht;
  size_t h_from = 0;
  sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL); /* one snapshot for the whole walk */
  if ((src = sqlite3_prepare_v2(r->db, WALK_LINK_SQL[w.forward], -1, &links, NULL)) ||
      (w.state && (src = sqlite3_prepare_v2(r->db, WALK_STATE_SQL, -1, &states, NULL))) ||
      (src = sqlite3_prepare_v2(r->db, "SELECT 1 FROM event_epcs WHERE epc=?1 LIMIT 1", -1, &exists,
                                NULL))) {
    rc = sy_ls_err(r->db, src, l->err, sizeof l->err, "trace");
    goto done;
  }
  sqlite3_bind_text(exists, 1, id, -1, SQLITE_STATIC);
  if ((src = sqlite3_step(exists)) != SQLITE_ROW) {
    rc = src == SQLITE_DONE ? SY_ENOTFOUND : sy_ls_err(r->db, src, l->err, sizeof l->err, "trace");
    goto done;
  }
  uint32_t idx;
  if ((rc = add_node(out, &w.ncap, &w.seen, id, 0, &idx))) goto done;
  /* Every listed node is expanded, also those at max_depth or past
   * max_nodes: their edges to listed nodes, and whether anything was left
   * out (truncated), come from their rows. */
  for (size_t head = 0; head < out->n_nodes;) {
    const size_t hi = out->n_nodes - head > WALK_BATCH ? head + WALK_BATCH : out->n_nodes;
    ids_json(out, head, hi, &ids);
    if (ids.err) {
      rc = ids.err;
      goto done;
    }
    sqlite3_stmt *run[2] = {r2 ? NULL : states, links};
    for (int i = 0; i < 2; i++) {
      if (!run[i]) continue;
      sqlite3_reset(run[i]);
      sqlite3_bind_text(run[i], 1, (const char *)ids.p, (int)ids.len, SQLITE_STATIC);
      if ((rc = walk_run(&w, l->err, sizeof l->err, r->db, run[i], run[i] == states, head, hi)))
        goto done;
    }
    head = hi;
    if (r2) {
      if ((rc = helper_publish(&h, out, 0))) goto done;
    } else if (states && !tried && out->n_nodes - head >= WALK_BATCH) {
      /* A large walk: the state of the nodes from here on, on a second core. */
      tried = 1;
      if (helper_start(l, r->db, &h, &ht, &r2, head) == SY_OK) {
        h_from = head;
        if ((rc = helper_publish(&h, out, 0))) goto done;
      }
    }
  }
  rc = has_cycle(out, &out->cycles);
done:
  if (r2) rc = helper_finish(l, &h, ht, r2, out, h_from, rc);
  sqlite3_finalize(links);
  sqlite3_finalize(states);
  sqlite3_finalize(exists);
  sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
  sy_ls_reader_put(l, r);
  ns_free(&w.ns);
  free(w.links.v);
  sy_buf_free(&w.links.chars);
  sy_buf_free(&ids);
  free(w.seen.keys);
  free(w.seen.vals);
  if (rc) sy_trace_free(out);
  return rc;
}

int sy_ledger_trace(sy_ledger *l, const char *id, int direction, unsigned max_depth,
                    size_t max_nodes, sy_trace *out) {
  sy_trace_opts o = {
      .direction = direction == SY_TRACE_FORWARD ? SY_TRACE_FORWARD : SY_TRACE_BACKWARD,
      .max_depth = max_depth,
      .max_nodes = max_nodes};
  return sy_ledger_trace_opts(l, id, &o, out);
}
