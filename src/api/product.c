/* The consumer's product view (product.h). Stub: being written. */
#include "api/product.h"

#include <string.h>

#include "core/sy_error.h"

int sy_product_lookup(sy_ledger *l, const char *id, sy_product *out, char *err, size_t errlen) {
  (void)l;
  (void)id;
  memset(out, 0, sizeof *out);
  if (err && errlen) err[0] = 0;
  return SY_ENOTFOUND;
}
