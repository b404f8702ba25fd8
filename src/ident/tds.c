/* EPC binary encodings for RFID tags: SGTIN-96 and SSCC-96 (GS1 EPC Tag
 * Data Standard 1.13, sections 14.5.1 and 14.5.2; Tables 14-2 and 14-5
 * partition tables; ident.h; SPEC C2 RFID carriers). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "ident/ident_int.h"

#define HDR_SGTIN96 0x30
#define HDR_SSCC96 0x31

/* Partition P (0..6): company prefix 12-P digits in CP_BITS[P] bits. */
static const int CP_BITS[7] = {40, 37, 34, 30, 27, 24, 20};
static const int SGTIN_IR_BITS[7] = {4, 7, 10, 14, 17, 20, 24};  /* item ref 1..7 digits */
static const int SSCC_SR_BITS[7] = {18, 21, 24, 28, 31, 34, 38}; /* serial ref 5..11 digits */

typedef struct bits {
  uint8_t b[12];
  int pos;
} bits;

static void put_bits(bits *w, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; i--, w->pos++)
    if ((v >> i) & 1) w->b[w->pos / 8] |= (uint8_t)(0x80 >> (w->pos % 8));
}

static uint64_t get_bits(bits *r, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++, r->pos++) v = (v << 1) | ((r->b[r->pos / 8] >> (7 - r->pos % 8)) & 1);
  return v;
}

static uint64_t pow10u(int n) {
  uint64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

static uint64_t dec(const char *s, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(s[i] - '0');
  return v;
}

/* v as exactly width decimal digits (zero padded) and a NUL; v < 10^width. */
static void put_dec(char *out, uint64_t v, int width) {
  out[width] = 0;
  for (int i = width - 1; i >= 0; i--, v /= 10) out[i] = (char)('0' + v % 10);
}

static int scheme_is(const sy_epc_tag *t, const char *s) {
  return strcmp(t->scheme, s) == 0;
}

int sy_epc_encode_hex(const sy_epc_tag *t, char out[25], char *err, size_t errlen) {
  if (out) out[0] = 0;
  if (!t || !out) return sy_ident_fail(err, errlen, "no tag");
  if (t->filter < 0 || t->filter > 7)
    return sy_ident_fail(err, errlen, "the filter value must be 0 to 7, not %d", t->filter);
  int cpl = t->company_prefix_len;
  if (cpl < 6 || cpl > 12)
    return sy_ident_fail(err, errlen, "the GS1 Company Prefix length must be 6 to 12, not %d", cpl);
  int vrc = sy_gs1_check_struct(&t->gs1, err, errlen);
  if (vrc) return vrc;
  int p = 12 - cpl;
  bits w;
  memset(&w, 0, sizeof w);
  if (scheme_is(t, "sgtin-96")) {
    const char *gtin = sy_gs1_get(&t->gs1, "01"), *ser = sy_gs1_get(&t->gs1, "21");
    if (!gtin || strlen(gtin) != 14 || !sy_ident_all_digits(gtin, 14))
      return sy_ident_fail(err, errlen, "SGTIN-96 needs a GTIN (01)");
    if (!ser) return sy_ident_fail(err, errlen, "SGTIN-96 needs a serial (21)");
    size_t sn = strlen(ser);
    if (sn == 0 || sn > 12 || !sy_ident_all_digits(ser, sn) || (sn > 1 && ser[0] == '0') ||
        dec(ser, sn) >= (UINT64_C(1) << 38))
      return sy_ident_fail(err, errlen,
                           "serial \"%s\" does not fit SGTIN-96 (digits only, no leading zero, "
                           "below 2^38); SGTIN-198 would be needed, which is not supported",
                           ser);
    char ir[8];
    ir[0] = gtin[0];
    memcpy(ir + 1, gtin + 1 + cpl, (size_t)(12 - cpl));
    put_bits(&w, HDR_SGTIN96, 8);
    put_bits(&w, (uint64_t)t->filter, 3);
    put_bits(&w, (uint64_t)p, 3);
    put_bits(&w, dec(gtin + 1, (size_t)cpl), CP_BITS[p]);
    put_bits(&w, dec(ir, (size_t)(13 - cpl)), SGTIN_IR_BITS[p]);
    put_bits(&w, dec(ser, sn), 38);
  } else if (scheme_is(t, "sscc-96")) {
    const char *sscc = sy_gs1_get(&t->gs1, "00");
    if (!sscc || strlen(sscc) != 18 || !sy_ident_all_digits(sscc, 18))
      return sy_ident_fail(err, errlen, "SSCC-96 needs an SSCC (00)");
    char sr[12];
    sr[0] = sscc[0];
    memcpy(sr + 1, sscc + 1 + cpl, (size_t)(16 - cpl));
    put_bits(&w, HDR_SSCC96, 8);
    put_bits(&w, (uint64_t)t->filter, 3);
    put_bits(&w, (uint64_t)p, 3);
    put_bits(&w, dec(sscc + 1, (size_t)cpl), CP_BITS[p]);
    put_bits(&w, dec(sr, (size_t)(17 - cpl)), SSCC_SR_BITS[p]);
    put_bits(&w, 0, 24);
  } else {
    return sy_ident_fail(
        err, errlen, "EPC binary scheme \"%.16s\" is not supported (sgtin-96, sscc-96)", t->scheme);
  }
  static const char hex[] = "0123456789ABCDEF";
  for (int i = 0; i < 12; i++) {
    out[2 * i] = hex[w.b[i] >> 4];
    out[2 * i + 1] = hex[w.b[i] & 15];
  }
  out[24] = 0;
  return SY_OK;
}

static int tds_hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int sy_epc_decode_hex(const char *hex, sy_epc_tag *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!hex || !out) return sy_ident_fail(err, errlen, "no hex");
  if (strlen(hex) != 24)
    return sy_ident_fail(err, errlen, "an SGTIN-96 or SSCC-96 EPC is 24 hex digits, not %zu",
                         strlen(hex));
  bits r;
  memset(&r, 0, sizeof r);
  for (int i = 0; i < 24; i++) {
    int v = tds_hexv(hex[i]);
    if (v < 0)
      return sy_ident_fail(err, errlen, "'%c' is not a hex digit",
                           hex[i] > 0x20 && hex[i] < 0x7f ? hex[i] : '?');
    r.b[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
  }
  int hdr = (int)get_bits(&r, 8);
  if (hdr != HDR_SGTIN96 && hdr != HDR_SSCC96)
    return sy_ident_fail(
        err, errlen, "EPC header 0x%02X is not SGTIN-96 (0x30) or SSCC-96 (0x31)%s", hdr,
        hdr == 0x36 || (hdr >= 0x2C && hdr <= 0x3F) ? "; that scheme is not supported" : "");
  sy_epc_tag t;
  memset(&t, 0, sizeof t);
  t.filter = (int)get_bits(&r, 3);
  int p = (int)get_bits(&r, 3);
  if (p > 6) return sy_ident_fail(err, errlen, "EPC partition value %d is invalid (0 to 6)", p);
  int cpl = 12 - p;
  t.company_prefix_len = cpl;
  uint64_t cp = get_bits(&r, CP_BITS[p]);
  if (cp >= pow10u(cpl))
    return sy_ident_fail(err, errlen, "the company prefix field %" PRIu64 " exceeds %d digits", cp,
                         cpl);
  char key[20];
  int rc;
  if (hdr == HDR_SGTIN96) {
    snprintf(t.scheme, sizeof t.scheme, "sgtin-96");
    int ird = 13 - cpl;
    uint64_t ir = get_bits(&r, SGTIN_IR_BITS[p]);
    if (ir >= pow10u(ird))
      return sy_ident_fail(err, errlen, "the item reference field %" PRIu64 " exceeds %d digits",
                           ir, ird);
    uint64_t ser = get_bits(&r, 38);
    char irs[24], cps[24], sers[24];
    put_dec(cps, cp, cpl);
    put_dec(irs, ir, ird);
    snprintf(sers, sizeof sers, "%" PRIu64, ser);
    key[0] = irs[0];
    memcpy(key + 1, cps, (size_t)cpl);
    memcpy(key + 1 + cpl, irs + 1, (size_t)(ird - 1));
    key[13] = (char)('0' + sy_gs1_check_digit(key, 13));
    key[14] = 0;
    rc = sy_gs1_append(&t.gs1, "01", key, 14, err, errlen);
    if (!rc) rc = sy_gs1_append(&t.gs1, "21", sers, strlen(sers), err, errlen);
  } else {
    snprintf(t.scheme, sizeof t.scheme, "sscc-96");
    int srd = 17 - cpl;
    uint64_t sr = get_bits(&r, SSCC_SR_BITS[p]);
    if (sr >= pow10u(srd))
      return sy_ident_fail(err, errlen, "the serial reference field %" PRIu64 " exceeds %d digits",
                           sr, srd);
    if (get_bits(&r, 24) != 0)
      return sy_ident_fail(err, errlen, "the 24 reserved bits of an SSCC-96 must be zero");
    char srs[24], cps[24];
    put_dec(cps, cp, cpl);
    put_dec(srs, sr, srd);
    key[0] = srs[0];
    memcpy(key + 1, cps, (size_t)cpl);
    memcpy(key + 1 + cpl, srs + 1, (size_t)(srd - 1));
    key[17] = (char)('0' + sy_gs1_check_digit(key, 17));
    key[18] = 0;
    rc = sy_gs1_append(&t.gs1, "00", key, 18, err, errlen);
  }
  if (!rc) rc = sy_gs1_finish(&t.gs1, 1, err, errlen);
  if (rc) return rc;
  *out = t;
  return SY_OK;
}

int sy_epc_to_tag_uri(const sy_epc_tag *t, char *out, size_t size, char *err, size_t errlen) {
  if (out && size) out[0] = 0;
  if (!t || !out) return sy_ident_fail(err, errlen, "no tag");
  char hex[25], urn[256];
  int rc = sy_epc_encode_hex(t, hex, err, errlen); /* checks it is encodable */
  if (rc) return rc;
  rc = sy_gs1_to_epc_urn(&t->gs1, t->company_prefix_len, urn, sizeof urn, err, errlen);
  if (rc) return rc;
  const char *body = strchr(urn + 11, ':'); /* after "urn:epc:id:<scheme>" */
  if (!body) return sy_ident_fail(err, errlen, "internal: bad URN");
  int n = snprintf(out, size, "urn:epc:tag:%s:%d.%s", t->scheme, t->filter, body + 1);
  if (n < 0 || (size_t)n >= size) {
    out[0] = 0;
    return sy_ident_fail(err, errlen, "the output buffer is too small");
  }
  return SY_OK;
}

int sy_epc_from_tag_uri(const char *uri, sy_epc_tag *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!uri || !out) return sy_ident_fail(err, errlen, "no tag URI");
  if (strlen(uri) > 256) return sy_ident_fail(err, errlen, "tag URI too long");
  if (strncasecmp(uri, "urn:epc:tag:", 12) != 0)
    return sy_ident_fail(err, errlen, "not an EPC tag URI (urn:epc:tag:...)");
  const char *s = uri + 12;
  sy_epc_tag t;
  memset(&t, 0, sizeof t);
  const char *pure;
  if (strncmp(s, "sgtin-96:", 9) == 0) {
    snprintf(t.scheme, sizeof t.scheme, "sgtin-96");
    pure = "sgtin";
    s += 9;
  } else if (strncmp(s, "sscc-96:", 8) == 0) {
    snprintf(t.scheme, sizeof t.scheme, "sscc-96");
    pure = "sscc";
    s += 8;
  } else {
    size_t n = strcspn(s, ":");
    return sy_ident_fail(err, errlen,
                         "EPC tag scheme \"%.*s\" is not supported (sgtin-96, sscc-96)",
                         (int)(n > 20 ? 20 : n), s);
  }
  if (s[0] < '0' || s[0] > '7' || s[1] != '.')
    return sy_ident_fail(err, errlen, "the tag URI must give a filter value 0 to 7 first");
  t.filter = s[0] - '0';
  char urn[300];
  snprintf(urn, sizeof urn, "urn:epc:id:%s:%s", pure, s + 2);
  int rc = sy_gs1_from_epc_urn_gcp(urn, &t.gs1, &t.company_prefix_len, err, errlen);
  if (rc) return rc;
  char hex[25];
  rc = sy_epc_encode_hex(&t, hex, err, errlen);
  if (rc) return rc;
  *out = t;
  return SY_OK;
}
