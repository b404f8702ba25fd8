/* The product view's timeline (internal to src/api/: product.c builds it,
 * routes_dl.c serves it as GET /v1/product and the Digital Link linkset).
 * docs/resolver.md describes which events a product's timeline holds. */
#ifndef SY_API_PRODUCT_TIMELINE_H
#define SY_API_PRODUCT_TIMELINE_H

#include "api/product.h"
#include "ledger/events.h"

#define SY_PRODUCT_MAX_IDS 64     /* identifiers on one timeline */
#define SY_PRODUCT_MAX_EVENTS 300 /* events on one timeline */

/* What an identifier is to the product on the page. */
enum { SY_PID_PRODUCT = 0, SY_PID_MATERIAL = 1, SY_PID_CONTAINER = 2 };

typedef struct sy_product_tl {
  char *ids[SY_PRODUCT_MAX_IDS]; /* identifiers as the ledger records them; owned */
  int id_kind[SY_PRODUCT_MAX_IDS];
  size_t n_ids;
  sy_event *events; /* owned; eventTime order, then chain order */
  int *event_kind;  /* per event: SY_PID_* (product wins over the others) */
  size_t n_events;
  int truncated; /* 1 when a bound left events or identifiers out */
} sy_product_tl;

/* sy_product_lookup plus the timeline (tl may be NULL: summary only). On an
 * error tl is left empty. */
int sy_product_timeline(sy_ledger *l, const char *id, sy_product *out, sy_product_tl *tl, char *err,
                        size_t errlen);
void sy_product_tl_free(sy_product_tl *tl);

/* The bare CBV word of a bizStep / disposition URI ("inspecting" for
 * "https://ref.gs1.org/cbv/BizStep-inspecting" or the URN form), else the
 * value itself. Borrowed from v. */
const char *sy_product_cbv_word(const char *v);

#endif
