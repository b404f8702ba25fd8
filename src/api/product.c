/* The consumer's product view (product.h, product_timeline.h; SPEC I7, M2;
 * docs/resolver.md).
 *
 * The ledger indexes identifiers exactly as events recorded them, and a
 * GS1 key has several spellings: an EPC URN needs the GS1 Company Prefix
 * length, which a GTIN does not carry, and a Digital Link URI may use any
 * host. So a key is turned into every spelling we can derive (EPC URNs for
 * company prefix lengths 6..12, the canonical https://id.gs1.org Digital Link
 * with and without the lot, the input as given) and each is looked up; the
 * ones the ledger knows are the product's identifiers.
 *
 * The timeline is the product's own events (the item and its lot), its
 * materials' events (the backward lineage walk: TransformationEvent inputs,
 * aggregated children) and the events of the containers it was packed into
 * (one forward aggregation hop: the pallet that was shipped), bounded by
 * SY_PRODUCT_MAX_IDS identifiers and SY_PRODUCT_MAX_EVENTS events.
 *
 * Names: the product name and model come from the ILMD of the product's
 * events, in this order of keys (any JSON-LD prefix): productName,
 * tradeItemDescription, regulatedProductName, descriptionShort (GS1 Web
 * Vocabulary gs1:productName is what the demo records); modelNumber,
 * productModel, model; the lot from cbvmda:lotNumber when the identifier
 * does not carry one. */
#include "api/product.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/product_timeline.h"
#include "core/sy_error.h"

#define CAND_MAX 24
#define CAND_LEN 256
#define HISTORY_PER_ID 200

typedef struct cands {
  char s[CAND_MAX][CAND_LEN];
  size_t n;
} cands;

static void cand_add(cands *c, const char *s) {
  if (!s || !*s || strlen(s) >= CAND_LEN || c->n == CAND_MAX) return;
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->s[i], s) == 0) return;
  strcpy(c->s[c->n++], s);
}

static int is_qualifier(const char *ai) {
  static const char *const q[] = {"22", "10", "21", "235", "254", "7040", "8011", "8019"};
  for (size_t i = 0; i < sizeof q / sizeof q[0]; i++)
    if (strcmp(ai, q[i]) == 0) return 1;
  return 0;
}

/* g reduced to its primary key and the qualifiers in keep ("" = all). */
static void key_only(const sy_gs1 *g, sy_gs1 *out, const char *const *drop, size_t ndrop) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < g->n; i++) {
    if (i > 0 && !is_qualifier(g->ais[i].ai)) continue;
    int skip = 0;
    for (size_t j = 0; j < ndrop; j++)
      if (strcmp(g->ais[i].ai, drop[j]) == 0) skip = 1;
    if (!skip) out->ais[out->n++] = g->ais[i];
  }
}

/* Every spelling of key g that an event may have recorded. */
static void key_forms(const sy_gs1 *g, cands *c) {
  char buf[CAND_LEN];
  for (int cpl = 6; cpl <= 12; cpl++)
    if (sy_gs1_to_epc_urn(g, cpl, buf, sizeof buf, NULL, 0) == 0) cand_add(c, buf);
  if (sy_gs1_to_dl(g, NULL, buf, sizeof buf) == 0) cand_add(c, buf);
}

/* A bare GTIN: the class pattern urn:epc:idpat:sgtin:C.I.* and the DL. */
static void gtin_forms(const char *gtin, cands *c) {
  sy_gs1 g;
  memset(&g, 0, sizeof g);
  g.n = 2;
  strcpy(g.ais[0].ai, "01");
  snprintf(g.ais[0].value, sizeof g.ais[0].value, "%s", gtin);
  strcpy(g.ais[1].ai, "21");
  strcpy(g.ais[1].value, "0");
  char buf[CAND_LEN], pat[CAND_LEN + 32];
  static const char pre[] = "urn:epc:id:sgtin:";
  for (int cpl = 6; cpl <= 12; cpl++) {
    if (sy_gs1_to_epc_urn(&g, cpl, buf, sizeof buf, NULL, 0) != 0) continue;
    size_t n = strlen(buf);
    if (strncmp(buf, pre, sizeof pre - 1) != 0 || n < 2 || strcmp(buf + n - 2, ".0") != 0) continue;
    buf[n - 2] = 0;
    snprintf(pat, sizeof pat, "urn:epc:idpat:sgtin:%s.*", buf + sizeof pre - 1);
    cand_add(c, pat);
  }
  g.n = 1;
  if (sy_gs1_to_dl(&g, NULL, buf, sizeof buf) == 0) cand_add(c, buf);
}

const char *sy_product_cbv_word(const char *v) {
  static const char *const pre[] = {"https://ref.gs1.org/cbv/BizStep-",
                                    "https://ref.gs1.org/cbv/Disp-",
                                    "urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:"};
  if (!v) return "";
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
    size_t n = strlen(pre[i]);
    if (strncmp(v, pre[i], n) == 0) return v + n;
  }
  return v;
}

/* ---- gathering events ------------------------------------------------------------- */

typedef struct gather {
  sy_product_tl *tl;
  size_t cap;
} gather;

static int add_id(sy_product_tl *tl, const char *id, int kind) {
  for (size_t i = 0; i < tl->n_ids; i++)
    if (strcmp(tl->ids[i], id) == 0) {
      if (kind < tl->id_kind[i]) tl->id_kind[i] = kind;
      return 0;
    }
  if (tl->n_ids == SY_PRODUCT_MAX_IDS) {
    tl->truncated = 1;
    return 0;
  }
  char *d = strdup(id);
  if (!d) return SY_ENOMEM;
  tl->ids[tl->n_ids] = d;
  tl->id_kind[tl->n_ids++] = kind;
  return 0;
}

/* Adds the events of id (kind) to the timeline, each once. */
static int add_history(sy_ledger *l, gather *g, const char *id, int kind) {
  sy_event_page pg;
  memset(&pg, 0, sizeof pg);
  int rc = sy_ledger_history(l, id, NULL, HISTORY_PER_ID, &pg);
  if (rc == SY_ENOTFOUND) return 0;
  if (rc) return rc;
  sy_product_tl *tl = g->tl;
  if (pg.more) tl->truncated = 1;
  for (size_t i = 0; i < pg.n; i++) {
    size_t j = 0;
    for (; j < tl->n_events; j++)
      if (tl->events[j].seq == pg.events[i].seq) break;
    if (j < tl->n_events) {
      if (kind < tl->event_kind[j]) tl->event_kind[j] = kind;
      continue;
    }
    if (tl->n_events == SY_PRODUCT_MAX_EVENTS) {
      tl->truncated = 1;
      break;
    }
    if (tl->n_events == g->cap) {
      size_t nc = g->cap ? g->cap * 2 : 32;
      if (nc > SY_PRODUCT_MAX_EVENTS) nc = SY_PRODUCT_MAX_EVENTS;
      sy_event *ne = realloc(tl->events, nc * sizeof *ne);
      if (!ne) {
        rc = SY_ENOMEM;
        break;
      }
      tl->events = ne;
      int *nk = realloc(tl->event_kind, nc * sizeof *nk);
      if (!nk) {
        rc = SY_ENOMEM;
        break;
      }
      tl->event_kind = nk;
      g->cap = nc;
    }
    tl->events[tl->n_events] = pg.events[i]; /* moved: the page no longer owns it */
    memset(&pg.events[i], 0, sizeof pg.events[i]);
    tl->event_kind[tl->n_events++] = kind;
  }
  sy_event_page_free(&pg);
  return rc;
}

static int cmp_event(const void *a, const void *b) {
  const sy_event *x = a, *y = b;
  if (x->event_time_ms != y->event_time_ms) return x->event_time_ms < y->event_time_ms ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts events and their kinds together. */
static int sort_timeline(sy_product_tl *tl) {
  if (tl->n_events < 2) return 0;
  typedef struct {
    sy_event e;
    int k;
  } pair;
  pair *p = malloc(tl->n_events * sizeof *p);
  if (!p) return SY_ENOMEM;
  for (size_t i = 0; i < tl->n_events; i++) p[i] = (pair){tl->events[i], tl->event_kind[i]};
  /* cmp_event reads the leading sy_event of each pair. */
  qsort(p, tl->n_events, sizeof *p, cmp_event);
  for (size_t i = 0; i < tl->n_events; i++) {
    tl->events[i] = p[i].e;
    tl->event_kind[i] = p[i].k;
  }
  free(p);
  return 0;
}

/* Walks the lineage from a product identifier: materials backward,
 * containers one aggregation hop forward. */
static int walk_lineage(sy_ledger *l, sy_product_tl *tl, const char *id) {
  sy_trace t;
  sy_trace_opts back = {
      .direction = SY_TRACE_BACKWARD, .max_depth = 16, .max_nodes = 48, .flags = SY_TRACE_NO_STATE};
  int rc = sy_ledger_trace_opts(l, id, &back, &t);
  if (rc == SY_ENOTFOUND) return 0;
  if (rc) return rc;
  if (t.truncated) tl->truncated = 1;
  for (size_t i = 1; i < t.n_nodes && !rc; i++) rc = add_id(tl, t.nodes[i].id, SY_PID_MATERIAL);
  sy_trace_free(&t);
  if (rc) return rc;
  sy_trace_opts fwd = {
      .direction = SY_TRACE_FORWARD, .max_depth = 1, .max_nodes = 16, .flags = SY_TRACE_NO_STATE};
  rc = sy_ledger_trace_opts(l, id, &fwd, &t);
  if (rc == SY_ENOTFOUND) return 0;
  if (rc) return rc;
  for (size_t i = 0; i < t.n_edges && !rc; i++)
    if (t.edges[i].from == 0 && strcmp(t.edges[i].kind, "aggregation") == 0 &&
        t.edges[i].to < t.n_nodes)
      rc = add_id(tl, t.nodes[t.edges[i].to].id, SY_PID_CONTAINER);
  sy_trace_free(&t);
  return rc;
}

/* ---- the summary -------------------------------------------------------------------- */

static void copy(char *dst, size_t size, const char *s) {
  if (!s) return;
  size_t n = strlen(s);
  if (n >= size) {
    n = size - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* keep UTF-8 whole */
  }
  memcpy(dst, s, n);
  dst[n] = 0;
}

/* A language-tagged or plain JSON-LD string value: the first text found. */
static const char *ld_text(const cJSON *v) {
  if (cJSON_IsString(v)) return v->valuestring;
  if (cJSON_IsObject(v)) return ld_text(cJSON_GetObjectItemCaseSensitive(v, "@value"));
  if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) return ld_text(cJSON_GetArrayItem(v, 0));
  return NULL;
}

/* The ILMD member whose local name (after any "prefix:") is one of names,
 * earliest name first. */
static const char *ilmd_get(const cJSON *ilmd, const char *const *names, size_t n) {
  for (size_t k = 0; k < n; k++) {
    const cJSON *it;
    cJSON_ArrayForEach(it, ilmd) {
      const char *key = it->string, *c = key ? strrchr(key, ':') : NULL;
      const char *local = c ? c + 1 : key;
      if (local && strcmp(local, names[k]) == 0) {
        const char *t = ld_text(it);
        if (t && *t) return t;
      }
    }
  }
  return NULL;
}

/* "+08:00" -> minutes; 0 when absent or malformed. */
static int tz_minutes(const cJSON *ev) {
  const cJSON *z = cJSON_GetObjectItemCaseSensitive(ev, "eventTimeZoneOffset");
  const char *s = cJSON_IsString(z) ? z->valuestring : NULL;
  if (!s || strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return 0;
  int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (h < 0 || h > 14 || m < 0 || m > 59) return 0;
  return (s[0] == '-' ? -1 : 1) * (h * 60 + m);
}

static void date_of(int64_t ms, int tz_min, char out[11]) {
  time_t t = (time_t)((ms / 1000) + (int64_t)tz_min * 60);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) {
    out[0] = 0;
    return;
  }
  int y = tm.tm_year + 1900;
  if (y < 0 || y > 9999) {
    out[0] = 0;
    return;
  }
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, tm.tm_mon + 1, tm.tm_mday);
  memcpy(out, tmp, 10);
  out[10] = 0;
}

static void summarise(sy_product *p, const sy_product_tl *tl) {
  static const char *const name_keys[] = {"productName", "tradeItemDescription",
                                          "regulatedProductName", "descriptionShort"};
  static const char *const model_keys[] = {"modelNumber", "productModel", "model"};
  static const char *const lot_keys[] = {"lotNumber"};
  const sy_event *first_comm = NULL, *first_prod = NULL;
  p->events = tl->n_events;
  for (size_t i = 0; i < tl->n_events; i++) {
    const sy_event *e = &tl->events[i];
    if (i == 0 || e->event_time_ms < p->first_ms) p->first_ms = e->event_time_ms;
    if (i == 0 || e->event_time_ms > p->last_ms) p->last_ms = e->event_time_ms;
    if (tl->event_kind[i] != SY_PID_PRODUCT) continue;
    const char *step = sy_product_cbv_word(e->biz_step);
    if (!first_prod) first_prod = e;
    int comm = strcmp(step, "commissioning") == 0;
    cJSON *j = (comm || !p->product_name[0] || strcmp(step, "inspecting") == 0) && e->json
                   ? cJSON_Parse(e->json)
                   : NULL;
    if (comm && !first_comm) {
      first_comm = e;
      date_of(e->event_time_ms, tz_minutes(j), p->production_date);
    }
    if (strcmp(step, "inspecting") == 0) { /* the latest one wins */
      copy(p->inspection, sizeof p->inspection,
           e->disposition ? sy_product_cbv_word(e->disposition) : "inspected");
      p->inspected_ms = e->event_time_ms;
    }
    const cJSON *ilmd = j ? cJSON_GetObjectItemCaseSensitive(j, "ilmd") : NULL;
    if (cJSON_IsObject(ilmd)) {
      const char *v;
      if (!p->product_name[0] && (v = ilmd_get(ilmd, name_keys, 4)))
        copy(p->product_name, sizeof p->product_name, v);
      if (!p->model[0] && (v = ilmd_get(ilmd, model_keys, 3))) copy(p->model, sizeof p->model, v);
      if (!p->lot[0] && (v = ilmd_get(ilmd, lot_keys, 1)) && strlen(v) <= 20)
        copy(p->lot, sizeof p->lot, v);
    }
    cJSON_Delete(j);
  }
  const sy_event *brand = first_comm ? first_comm : first_prod;
  if (brand && brand->org) copy(p->brand_org, sizeof p->brand_org, brand->org);
  copy(p->brand_name, sizeof p->brand_name, p->brand_org); /* until the registry says */
}

/* The brand's registry entry: its name and the query channels its labels
 * print (SPEC C3). A missing entry leaves the org id as the name. */
static void brand_contact(sy_ledger *l, sy_product *p) {
  sy_org o;
  if (!p->brand_org[0] || sy_ledger_get_org(l, p->brand_org, &o) != SY_OK) return;
  if (o.name[0]) copy(p->brand_name, sizeof p->brand_name, o.name);
  copy(p->tel, sizeof p->tel, o.tel);
  copy(p->sms, sizeof p->sms, o.sms);
  copy(p->web, sizeof p->web, o.web);
}

/* ---- lookup --------------------------------------------------------------------------- */

static int exists(sy_ledger *l, const char *id, int *found) {
  sy_event_page pg;
  memset(&pg, 0, sizeof pg);
  int rc = sy_ledger_history(l, id, NULL, 1, &pg);
  *found = rc == SY_OK && pg.n > 0;
  sy_event_page_free(&pg);
  return rc == SY_ENOTFOUND ? SY_OK : rc;
}

/* Adds every spelling in c that the ledger knows as kind; *any set when one is. */
static int add_known(sy_ledger *l, sy_product_tl *tl, const cands *c, int *any, char *first,
                     size_t first_size) {
  for (size_t i = 0; i < c->n; i++) {
    int f = 0, rc = exists(l, c->s[i], &f);
    if (rc) return rc;
    if (!f) continue;
    if (!*any && first) copy(first, first_size, c->s[i]);
    *any = 1;
    if ((rc = add_id(tl, c->s[i], SY_PID_PRODUCT))) return rc;
  }
  return 0;
}

void sy_product_tl_free(sy_product_tl *tl) {
  if (!tl) return;
  for (size_t i = 0; i < tl->n_ids; i++) free(tl->ids[i]);
  for (size_t i = 0; i < tl->n_events; i++) sy_event_free(&tl->events[i]);
  free(tl->events);
  free(tl->event_kind);
  memset(tl, 0, sizeof *tl);
}

int sy_product_timeline(sy_ledger *l, const char *id, sy_product *out, sy_product_tl *tlo,
                        char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (err && errlen) err[0] = 0;
  if (tlo) memset(tlo, 0, sizeof *tlo);
  if (!l || !id || !*id || strlen(id) > 1024) {
    if (err) snprintf(err, errlen, "no identifier given, or one over 1024 bytes");
    return SY_EINVAL;
  }
  sy_gs1 g;
  if (sy_gs1_parse_any(id, &g, err, errlen) != 0 || g.n == 0) {
    if (err && !err[0]) snprintf(err, errlen, "not a GS1 key, EPC URN or Digital Link");
    return SY_EINVAL;
  }
  sy_product_tl tl_local, *tl = tlo ? tlo : &tl_local;
  memset(tl, 0, sizeof *tl);
  gather ga = {.tl = tl};

  key_only(&g, &out->key, NULL, 0);
  const char *gtin = sy_gs1_get(&g, "01"), *lot = sy_gs1_get(&g, "10"), *ser = sy_gs1_get(&g, "21");
  copy(out->gtin, sizeof out->gtin, gtin);
  copy(out->lot, sizeof out->lot, lot);
  copy(out->serial, sizeof out->serial, ser);
  if (sy_gs1_to_dl(&out->key, "", out->dl_path, sizeof out->dl_path) != 0) out->dl_path[0] = 0;

  /* Spellings of the item (everything the key says) and of its lot. */
  cands item, lotc;
  memset(&item, 0, sizeof item);
  memset(&lotc, 0, sizeof lotc);
  cand_add(&item, id);
  if (gtin && !lot && !ser) {
    gtin_forms(gtin, &item);
  } else {
    key_forms(&out->key, &item);
    if (gtin && lot && ser) {
      static const char *const drop10[] = {"10"};
      sy_gs1 nolot;
      key_only(&g, &nolot, drop10, 1);
      char buf[CAND_LEN];
      if (sy_gs1_to_dl(&nolot, NULL, buf, sizeof buf) == 0) cand_add(&item, buf);
    }
  }
  int rc, any_item = 0, any_lot = 0;
  if ((rc = add_known(l, tl, &item, &any_item, out->epc, sizeof out->epc))) goto fail;

  /* A serial the ledger does not know is not vouched for by its lot: a
   * copied label with a made-up serial must not show the lot's history. */
  if (ser && !any_item) {
    if (err) snprintf(err, errlen, "no event on the ledger names this item");
    rc = SY_ENOTFOUND;
    goto fail;
  }
  /* The lot: from the key, else from the item's ILMD (cbvmda:lotNumber). */
  for (int pass = 0; pass < 2 && gtin && ser; pass++) {
    const char *lv = lot;
    if (pass == 1) {
      if (lot || !any_item) break;
      /* Look at the item's own events for its lot number. */
      for (size_t i = 0; i < tl->n_ids && (rc = add_history(l, &ga, tl->ids[i], 0)) == 0; i++) {
      }
      if (rc) goto fail;
      summarise(out, tl);
      lv = out->lot[0] ? out->lot : NULL;
    }
    if (!lv) continue;
    sy_gs1 lg;
    memset(&lg, 0, sizeof lg);
    lg.n = 2;
    strcpy(lg.ais[0].ai, "01");
    copy(lg.ais[0].value, sizeof lg.ais[0].value, gtin);
    strcpy(lg.ais[1].ai, "10");
    copy(lg.ais[1].value, sizeof lg.ais[1].value, lv);
    memset(&lotc, 0, sizeof lotc);
    key_forms(&lg, &lotc);
    if ((rc = add_known(l, tl, &lotc, &any_lot, any_item ? NULL : out->epc, sizeof out->epc)))
      goto fail;
    break;
  }
  if (!any_item && !any_lot) {
    if (err) snprintf(err, errlen, "no event on the ledger names this product");
    rc = SY_ENOTFOUND;
    goto fail;
  }

  /* Lineage of each product identifier, then every identifier's events. */
  size_t n_product = tl->n_ids;
  for (size_t i = 0; i < n_product; i++)
    if ((rc = walk_lineage(l, tl, tl->ids[i]))) goto fail;
  for (size_t i = 0; i < tl->n_ids; i++)
    if ((rc = add_history(l, &ga, tl->ids[i], tl->id_kind[i]))) goto fail;
  if ((rc = sort_timeline(tl))) goto fail;
  char keep_lot[21];
  copy(keep_lot, sizeof keep_lot, out->lot);
  sy_gs1 keep_key = out->key;
  char keep[4][257];
  copy(keep[0], sizeof keep[0], out->epc);
  copy(keep[1], sizeof keep[1], out->dl_path);
  copy(keep[2], sizeof keep[2], out->gtin);
  copy(keep[3], sizeof keep[3], out->serial);
  memset(out, 0, sizeof *out);
  out->key = keep_key;
  copy(out->epc, sizeof out->epc, keep[0]);
  copy(out->dl_path, sizeof out->dl_path, keep[1]);
  copy(out->gtin, sizeof out->gtin, keep[2]);
  copy(out->serial, sizeof out->serial, keep[3]);
  copy(out->lot, sizeof out->lot, keep_lot);
  summarise(out, tl);
  brand_contact(l, out);
  if (!tlo) sy_product_tl_free(tl);
  return SY_OK;
fail:
  sy_product_tl_free(tl);
  return rc;
}

int sy_product_lookup(sy_ledger *l, const char *id, sy_product *out, char *err, size_t errlen) {
  return sy_product_timeline(l, id, out, NULL, err, errlen);
}
