/* GS1 identification (src/ident/ident.h, docs/ident.md) on hostile strings:
 * element strings, Digital Link URIs, EPC URNs and tag URIs, and EPC binary
 * hex of every TDS 1.13 scheme. These parse what a scanner, a label, an RFID
 * reader or a consumer's query hands the node.
 *
 * The input, up to its first NUL, is the string. Its raw bytes are also read
 * as hex: the first 12 bytes (a 96-bit EPC) and the first 64 (long schemes).
 *
 * Invariants, beyond memory safety:
 *   - every parser answers SY_OK or SY_EINVAL; on SY_EINVAL the output is
 *     empty (n == 0) and err holds a sentence;
 *   - round trips, for whatever parsed: parse(format(x)) == x for the
 *     element string (bracketed, and barcode data with GS and with '^'),
 *     the Digital Link (default and custom base), and the EPC URN for every
 *     company prefix length it can be written with (urn -> g -> urn is the
 *     same URN);
 *   - an EPC that decodes re-encodes to the same hex (upper case; trailing
 *     zero padding aside), and its tag URI parses back to the same tag
 *     (scheme, filter, GS1 key, pure identity URN); a GS1 key always finds
 *     a scheme (sy_epc_scheme_for).
 *
 * The library comes from sy_ident (SY_FUZZ_LIBS in fuzz/CMakeLists.txt),
 * instrumented for coverage under -DSY_FUZZ=ON like the other libraries. */
#include "core/sy_error.h"
#include "fuzz_common.h"
#include "ident/ident.h"

static int same_gs1(const sy_gs1 *a, const sy_gs1 *b) {
  if (a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->ais[i].ai, b->ais[i].ai) || strcmp(a->ais[i].value, b->ais[i].value)) return 0;
  return 1;
}

static void check_fail(int rc, const sy_gs1 *g, const char *err) {
  FUZZ_CHECK(rc == SY_OK || rc == SY_EINVAL);
  if (rc != SY_OK) {
    FUZZ_CHECK(g->n == 0);
    FUZZ_CHECK(err[0] != 0);
  }
}

static char g_buf[8192], g_buf2[8192];

static void round_trips(const sy_gs1 *g) {
  sy_gs1 h;
  char err[256];
  FUZZ_CHECK(g->n >= 1 && g->n <= SY_GS1_MAX_AIS);
  /* element string */
  FUZZ_CHECK(sy_gs1_to_element_string(g, g_buf, sizeof g_buf) == SY_OK);
  FUZZ_CHECK(sy_gs1_parse_element_string(g_buf, &h, err, sizeof err) == SY_OK);
  FUZZ_CHECK(same_gs1(g, &h));
  FUZZ_CHECK(sy_gs1_parse_any(g_buf, &h, err, sizeof err) == SY_OK);
  FUZZ_CHECK(same_gs1(g, &h));
  static const char fnc1[] = {0x1D, '^'};
  for (int i = 0; i < 2; i++) {
    FUZZ_CHECK(sy_gs1_to_barcode_data(g, fnc1[i], g_buf, sizeof g_buf) == SY_OK);
    FUZZ_CHECK(sy_gs1_parse_element_string(g_buf, &h, err, sizeof err) == SY_OK);
    FUZZ_CHECK(same_gs1(g, &h));
  }
  /* Digital Link (refused only when an AI cannot be said in a DL) */
  if (sy_gs1_to_dl(g, NULL, g_buf, sizeof g_buf) == SY_OK) {
    FUZZ_CHECK(sy_gs1_parse_dl(g_buf, &h, err, sizeof err) == SY_OK);
    FUZZ_CHECK(same_gs1(g, &h));
    FUZZ_CHECK(sy_gs1_to_dl(g, "http://example.com/a/b/", g_buf, sizeof g_buf) == SY_OK);
    FUZZ_CHECK(sy_gs1_parse_any(g_buf, &h, err, sizeof err) == SY_OK);
    FUZZ_CHECK(same_gs1(g, &h));
  }
  /* EPC URN */
  for (int cpl = 6; cpl <= 12; cpl++) {
    if (sy_gs1_to_epc_urn(g, cpl, g_buf, sizeof g_buf, err, sizeof err) != SY_OK) continue;
    int back = 0;
    FUZZ_CHECK(sy_gs1_from_epc_urn_gcp(g_buf, &h, &back, err, sizeof err) == SY_OK);
    FUZZ_CHECK(back == cpl);
    FUZZ_CHECK(strcmp(h.ais[0].ai, g->ais[0].ai) == 0);
    FUZZ_CHECK(strcmp(h.ais[0].value, g->ais[0].value) == 0);
    FUZZ_CHECK(sy_gs1_to_epc_urn(&h, cpl, g_buf2, sizeof g_buf2, err, sizeof err) == SY_OK);
    FUZZ_CHECK(strcmp(g_buf, g_buf2) == 0);
  }
}

/* Hex strings equal up to trailing zero digits (the decoder accepts any zero
 * padding; the encoder pads to a 16-bit word). */
static int same_hex(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  while (na && a[na - 1] == '0') na--;
  while (nb && b[nb - 1] == '0') nb--;
  return na == nb && strncasecmp(a, b, na) == 0;
}

static void check_tag(const sy_epc_tag *t) {
  char hex[SY_EPC_HEX_MAX + 1], err[256], uri[1024];
  sy_epc_tag u;
  int nbits = 0;
  FUZZ_CHECK(sy_epc_encode(t, hex, sizeof hex, &nbits, err, sizeof err) == SY_OK);
  FUZZ_CHECK(nbits > 0 && (size_t)nbits <= strlen(hex) * 4 && strlen(hex) % 4 == 0);
  char h24[25];
  FUZZ_CHECK((sy_epc_encode_hex(t, h24, err, sizeof err) == SY_OK) == (nbits == 96));
  FUZZ_CHECK(sy_epc_to_tag_uri(t, uri, sizeof uri, err, sizeof err) == SY_OK);
  FUZZ_CHECK(sy_epc_from_tag_uri(uri, &u, err, sizeof err) == SY_OK);
  FUZZ_CHECK(u.filter == t->filter && u.company_prefix_len == t->company_prefix_len);
  FUZZ_CHECK(strcmp(u.scheme, t->scheme) == 0);
  FUZZ_CHECK(same_gs1(&u.gs1, &t->gs1));
  FUZZ_CHECK(strcmp(u.urn, t->urn) == 0);
  char hex2[SY_EPC_HEX_MAX + 1];
  FUZZ_CHECK(sy_epc_encode(&u, hex2, sizeof hex2, NULL, err, sizeof err) == SY_OK);
  FUZZ_CHECK(strcmp(hex, hex2) == 0);
  sy_epc_tag d;
  FUZZ_CHECK(sy_epc_decode_hex(hex, &d, err, sizeof err) == SY_OK);
  FUZZ_CHECK(same_gs1(&d.gs1, &t->gs1) && d.filter == t->filter);
  FUZZ_CHECK(strcmp(d.urn, t->urn) == 0 && strcmp(d.scheme, t->scheme) == 0);
  if (t->gs1.n) {
    /* the GS1 key picks a scheme that encodes it (the same, or the 96-bit
     * one when the long one was given a value that also fits 96 bits) */
    sy_epc_tag k = *t;
    FUZZ_CHECK(sy_epc_scheme_for(&k, err, sizeof err) == SY_OK);
    round_trips(&t->gs1);
  } else {
    FUZZ_CHECK(t->company_prefix_len == 0 && strncmp(t->urn, "urn:epc:id:", 11) == 0);
  }
}

static void check_hex(const char *hex) {
  sy_epc_tag t;
  char err[256] = "";
  int rc = sy_epc_decode_hex(hex, &t, err, sizeof err);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EINVAL);
  if (rc != SY_OK) {
    FUZZ_CHECK(err[0] != 0);
    return;
  }
  char again[SY_EPC_HEX_MAX + 1];
  FUZZ_CHECK(sy_epc_encode(&t, again, sizeof again, NULL, err, sizeof err) == SY_OK);
  FUZZ_CHECK(same_hex(again, hex));
  check_tag(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstr(data, size);
  if (!s) return 0;
  sy_gs1 g;
  char err[256];
  int rc;

  err[0] = 0;
  rc = sy_gs1_parse_any(s, &g, err, sizeof err);
  check_fail(rc, &g, err);
  if (rc == SY_OK) round_trips(&g);

  err[0] = 0;
  rc = sy_gs1_parse_element_string(s, &g, err, sizeof err);
  check_fail(rc, &g, err);
  if (rc == SY_OK) round_trips(&g);

  err[0] = 0;
  rc = sy_gs1_parse_dl(s, &g, err, sizeof err);
  check_fail(rc, &g, err);
  if (rc == SY_OK) round_trips(&g);

  err[0] = 0;
  int cpl = 0;
  rc = sy_gs1_from_epc_urn_gcp(s, &g, &cpl, err, sizeof err);
  check_fail(rc, &g, err);
  if (rc == SY_OK) {
    round_trips(&g);
    if (strncmp(s, "urn:epc:id:", 11) == 0 || strncmp(s, "urn:epc:class:", 14) == 0) {
      /* a URN this parser wrote itself comes back unchanged */
      char urn[1024];
      if (sy_gs1_to_epc_urn(&g, cpl, urn, sizeof urn, err, sizeof err) == SY_OK) {
        sy_gs1 h;
        FUZZ_CHECK(sy_gs1_from_epc_urn(urn, &h, err, sizeof err) == SY_OK);
        FUZZ_CHECK(same_gs1(&g, &h));
      }
    }
  }

  sy_epc_tag t;
  err[0] = 0;
  rc = sy_epc_from_tag_uri(s, &t, err, sizeof err);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EINVAL);
  if (rc == SY_OK) check_tag(&t);

  check_hex(s);
  /* the raw bytes as hex: the first 12 (a 96-bit EPC) and up to 64 */
  static const char hx[] = "0123456789ABCDEF";
  char hex[SY_EPC_HEX_MAX + 1];
  size_t nb = size < SY_EPC_HEX_MAX / 2 ? size : SY_EPC_HEX_MAX / 2;
  for (size_t i = 0; i < nb; i++) {
    hex[2 * i] = hx[data[i] >> 4];
    hex[2 * i + 1] = hx[data[i] & 15];
  }
  hex[2 * nb] = 0;
  if (nb > 12) check_hex(hex);
  if (nb >= 12) {
    hex[24] = 0;
    check_hex(hex);
  }
  free(s);
  return 0;
}
