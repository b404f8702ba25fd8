/* The consumer's view of one product (SPEC I7, M2; docs/labels.md): what a
 * label, the trace page, the Digital Link resolver and the SMS reply show.
 *
 * sy_product_lookup takes any identifier form (EPC URN, GS1 Digital Link
 * URI or path, element string, GTIN + lot class) and summarises the
 * product's history on the ledger: names from the events' ILMD / master data,
 * production date (first commissioning event), latest inspection result
 * (bizStep inspecting: disposition conformant / non_conformant), the
 * organisations involved, the brand owner's contact channels (org registry).
 * Internal to src/api/ and its tests. */
#ifndef SY_API_PRODUCT_H
#define SY_API_PRODUCT_H

#include <stddef.h>
#include <stdint.h>

#include "ident/ident.h"
#include "ledger/ledger.h"

typedef struct sy_product {
  sy_gs1 key;             /* the identifier as GS1 AIs (01+10+21, 00, ...) */
  char epc[160];          /* the EPC URN the ledger indexes (sgtin / lgtin / sscc ...) */
  char dl_path[256];      /* "/01/06901234000016/10/B2026-07/21/0001" */
  char gtin[15];          /* "" when the key is not a GTIN */
  char lot[21];
  char serial[21];
  char product_name[129]; /* "" when no event names it */
  char model[65];
  char production_date[11]; /* "2026-11-20" or "" */
  char inspection[32];      /* "conformant", "non_conformant", ... or "" (none yet) */
  int64_t inspected_ms;     /* 0 when none */
  char brand_org[65];       /* org of the first (commissioning) event's signer */
  char brand_name[257];
  char tel[33], sms[33], web[257]; /* brand's registry contact; "" when not set */
  uint64_t events;          /* events in the product's history (incl. its lot/inputs) */
  int64_t first_ms, last_ms;
} sy_product;

/* SY_OK; SY_EINVAL (not an identifier; err says why); SY_ENOTFOUND (no event
 * names it); SY_EIO / SY_ENOMEM. */
int sy_product_lookup(sy_ledger *l, const char *id, sy_product *out, char *err, size_t errlen);

#endif
