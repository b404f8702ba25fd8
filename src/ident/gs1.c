/* GS1 keys, element strings, Digital Link, EPC URNs (ident.h). Stub: being
 * written; every parser refuses. */
#include "ident/ident.h"

#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"

static int todo(char *err, size_t errlen) {
  if (err && errlen) snprintf(err, errlen, "not implemented yet");
  return SY_EINVAL;
}
int sy_gs1_check_digit(const char *s, size_t n) { (void)s; (void)n; return -1; }
int sy_gs1_check_ok(const char *s, size_t n) { (void)s; (void)n; return 0; }
int sy_gs1_ai_validate(const char *ai, const char *v, char *err, size_t errlen) { (void)ai; (void)v; return todo(err, errlen); }
const char *sy_gs1_ai_title(const char *ai) { (void)ai; return NULL; }
const char *sy_gs1_get(const sy_gs1 *g, const char *ai) {
  for (size_t i = 0; i < g->n; i++)
    if (strcmp(g->ais[i].ai, ai) == 0) return g->ais[i].value;
  return NULL;
}
int sy_gtin_normalise(const char *in, char out[15], char *err, size_t errlen) { (void)in; out[0] = 0; return todo(err, errlen); }
int sy_gs1_parse_element_string(const char *s, sy_gs1 *o, char *err, size_t errlen) { (void)s; memset(o, 0, sizeof *o); return todo(err, errlen); }
int sy_gs1_to_element_string(const sy_gs1 *g, char *out, size_t size) { (void)g; if (size) out[0] = 0; return SY_EINVAL; }
int sy_gs1_to_barcode_data(const sy_gs1 *g, char f, char *out, size_t size) { (void)g; (void)f; if (size) out[0] = 0; return SY_EINVAL; }
int sy_gs1_parse_dl(const char *u, sy_gs1 *o, char *err, size_t errlen) { (void)u; memset(o, 0, sizeof *o); return todo(err, errlen); }
int sy_gs1_to_dl(const sy_gs1 *g, const char *b, char *out, size_t size) { (void)g; (void)b; if (size) out[0] = 0; return SY_EINVAL; }
int sy_gs1_from_epc_urn(const char *u, sy_gs1 *o, char *err, size_t errlen) { (void)u; memset(o, 0, sizeof *o); return todo(err, errlen); }
int sy_gs1_to_epc_urn(const sy_gs1 *g, int c, char *out, size_t size, char *err, size_t errlen) { (void)g; (void)c; if (size) out[0] = 0; return todo(err, errlen); }
int sy_gs1_parse_any(const char *s, sy_gs1 *o, char *err, size_t errlen) { (void)s; memset(o, 0, sizeof *o); return todo(err, errlen); }
int sy_epc_encode_hex(const sy_epc_tag *t, char out[25], char *err, size_t errlen) { (void)t; out[0] = 0; return todo(err, errlen); }
int sy_epc_decode_hex(const char *h, sy_epc_tag *o, char *err, size_t errlen) { (void)h; memset(o, 0, sizeof *o); return todo(err, errlen); }
int sy_epc_to_tag_uri(const sy_epc_tag *t, char *out, size_t size, char *err, size_t errlen) { (void)t; if (size) out[0] = 0; return todo(err, errlen); }
int sy_epc_from_tag_uri(const char *u, sy_epc_tag *o, char *err, size_t errlen) { (void)u; memset(o, 0, sizeof *o); return todo(err, errlen); }
