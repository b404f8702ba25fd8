/* EPC pure-identity URNs (GS1 EPC Tag Data Standard 1.13, sections 6.3 and
 * 6.4; ident.h; SPEC C1 "EPC", C2 RFID carriers). Every EPC scheme that
 * names a GS1 key is mapped to and from sy_gs1:
 *   sgtin 01+21   lgtin (class) 01+10   upui 01+235   sscc 00
 *   sgln 414[+254]  pgln 417   grai 8003   giai 8004   gsrn 8018
 *   gsrnp 8017   gdti 253   sgcn 255   ginc 401   gsin 402
 *   itip 8006+21   cpi 8010+8011 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "ident/ident_int.h"

#define URN_MAX 512
#define MAX_FIELDS 6

/* Characters TDS 1.13 Table A-1 requires to be %-escaped in a URN. */
static const char URN_ESCAPE[] = "\"%&/<>?#";

static int urn_hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Unescapes a URN component into out[SY_GS1_AI_VALUE_MAX+1]. */
static int unescape(const char *s, size_t n, char *out, size_t *olen, char *err, size_t errlen) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n || urn_hexv(s[i + 1]) < 0 || urn_hexv(s[i + 2]) < 0)
        return sy_ident_fail(err, errlen, "bad %%-escape in the EPC URN");
      c = (char)(urn_hexv(s[i + 1]) * 16 + urn_hexv(s[i + 2]));
      i += 2;
    } else if (strchr(URN_ESCAPE, c) || (unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f) {
      if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
        return sy_ident_fail(err, errlen, "character '%c' must be %%-escaped in an EPC URN", c);
      return sy_ident_fail(err, errlen, "byte 0x%02X is not allowed in an EPC URN",
                           (unsigned char)c);
    }
    if (c == 0) return sy_ident_fail(err, errlen, "escaped NUL in the EPC URN");
    if (o >= SY_GS1_AI_VALUE_MAX)
      return sy_ident_fail(err, errlen, "an EPC URN component is too long");
    out[o++] = c;
  }
  out[o] = 0;
  *olen = o;
  return SY_OK;
}

typedef struct fld {
  const char *p;
  size_t n;
} fld;

static int digits(const fld *f) {
  return sy_ident_all_digits(f->p, f->n);
}

/* key = a + b (+ check digit when check), into out. */
static int join_key(const fld *a, const fld *b, size_t want, int check, char *out, char *err,
                    size_t errlen, const char *what) {
  if (!digits(a) || !digits(b) || a->n + b->n != want)
    return sy_ident_fail(
        err, errlen, "%s: company prefix and reference must be %zu digits together", what, want);
  memcpy(out, a->p, a->n);
  memcpy(out + a->n, b->p, b->n);
  size_t n = want;
  if (check) out[n++] = (char)('0' + sy_gs1_check_digit(out, want));
  out[n] = 0;
  return SY_OK;
}

static int add(sy_gs1 *g, const char *ai, const char *v, char *err, size_t errlen) {
  return sy_gs1_append(g, ai, v, strlen(v), err, errlen);
}

static int add_esc(sy_gs1 *g, const char *ai, const char *prefix, const fld *f, char *err,
                   size_t errlen) {
  char v[SY_GS1_AI_VALUE_MAX + 1], buf[SY_GS1_AI_VALUE_MAX * 2 + 2];
  size_t vl;
  int rc = unescape(f->p, f->n, v, &vl, err, errlen);
  if (rc) return rc;
  snprintf(buf, sizeof buf, "%s%s", prefix, v);
  if (strlen(buf) > SY_GS1_AI_VALUE_MAX)
    return sy_ident_fail(err, errlen, "AI (%s) value is too long", ai);
  return add(g, ai, buf, err, errlen);
}

static int cp_ok(const fld *cp, char *err, size_t errlen) {
  if (cp->n < 6 || cp->n > 12 || !digits(cp))
    return sy_ident_fail(err, errlen, "the GS1 Company Prefix in an EPC URN is 6 to 12 digits");
  return SY_OK;
}

/* GTIN-14 from CompanyPrefix.IndicatorItemRef. */
static int gtin_of(const fld *cp, const fld *ir, char out[15], char *err, size_t errlen) {
  if (!digits(ir) || cp->n + ir->n != 13 || ir->n < 1)
    return sy_ident_fail(err, errlen,
                         "company prefix and indicator/item reference must be 13 digits together");
  out[0] = ir->p[0];
  memcpy(out + 1, cp->p, cp->n);
  memcpy(out + 1 + cp->n, ir->p + 1, ir->n - 1);
  out[13] = (char)('0' + sy_gs1_check_digit(out, 13));
  out[14] = 0;
  return SY_OK;
}

int sy_gs1_from_epc_urn_gcp(const char *urn, sy_gs1 *out, int *company_prefix_len, char *err,
                            size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (company_prefix_len) *company_prefix_len = 0;
  if (!urn || !out) return sy_ident_fail(err, errlen, "no EPC URN");
  if (strlen(urn) > URN_MAX) return sy_ident_fail(err, errlen, "EPC URN too long");
  int cls = 0;
  const char *p;
  if (strncasecmp(urn, "urn:epc:id:", 11) == 0) {
    p = urn + 11;
  } else if (strncasecmp(urn, "urn:epc:class:", 14) == 0) {
    p = urn + 14;
    cls = 1;
  } else if (strncasecmp(urn, "urn:epc:tag:", 12) == 0) {
    sy_epc_tag t;
    int rc = sy_epc_from_tag_uri(urn, &t, err, errlen);
    if (rc) return rc;
    if (t.gs1.n == 0)
      return sy_ident_fail(err, errlen, "EPC scheme %s names no GS1 key (use sy_epc_from_tag_uri)",
                           t.scheme);
    *out = t.gs1;
    if (company_prefix_len) *company_prefix_len = t.company_prefix_len;
    return SY_OK;
  } else {
    return sy_ident_fail(
        err, errlen, "not an EPC pure identity URN (urn:epc:id:... or urn:epc:class:lgtin:...)");
  }
  const char *colon = strchr(p, ':');
  if (!colon) return sy_ident_fail(err, errlen, "the EPC URN has no scheme");
  char scheme[8];
  size_t sl = (size_t)(colon - p);
  if (sl >= sizeof scheme)
    return sy_ident_fail(err, errlen, "unknown EPC scheme \"%.*s\"", (int)(sl > 20 ? 20 : sl), p);
  memcpy(scheme, p, sl);
  scheme[sl] = 0;
  /* fields: the last one (a serial or reference) may itself hold '.' */
  size_t want = 3;
  if (!cls &&
      (strcmp(scheme, "sscc") == 0 || strcmp(scheme, "pgln") == 0 || strcmp(scheme, "giai") == 0 ||
       strcmp(scheme, "ginc") == 0 || strcmp(scheme, "gsrn") == 0 || strcmp(scheme, "gsrnp") == 0 ||
       strcmp(scheme, "gsin") == 0))
    want = 2;
  else if (!cls && strcmp(scheme, "itip") == 0)
    want = 5;
  fld f[MAX_FIELDS];
  size_t nf = 0;
  const char *s = colon + 1;
  for (;;) {
    const char *dot = nf + 1 < want ? strchr(s, '.') : NULL;
    f[nf].p = s;
    f[nf].n = dot ? (size_t)(dot - s) : strlen(s);
    nf++;
    if (!dot) break;
    s = dot + 1;
  }
  sy_gs1 g;
  memset(&g, 0, sizeof g);
  char key[48];
  int rc;
#define NF(k)                                                                                    \
  do {                                                                                           \
    if (nf != (k))                                                                               \
      return sy_ident_fail(err, errlen, "urn:epc:%s:%s has %d fields separated by '.', not %zu", \
                           cls ? "class" : "id", scheme, (k), nf);                               \
  } while (0)
  if (nf < 2)
    return sy_ident_fail(err, errlen, "the EPC URN needs a company prefix and a reference");
  if (f[nf - 1].n == 0 && strcmp(scheme, "pgln") != 0) /* pgln: a padded reference, may be empty */
    return sy_ident_fail(err, errlen,
                         "the last field of the EPC URN (serial or reference) is empty");
  if ((rc = cp_ok(&f[0], err, errlen))) return rc;
  if (cls) {
    if (strcmp(scheme, "lgtin") != 0)
      return sy_ident_fail(err, errlen, "EPC class scheme \"%s\" is not supported (only lgtin)",
                           scheme);
    NF(3);
    if ((rc = gtin_of(&f[0], &f[1], key, err, errlen))) return rc;
    if (!(rc = add(&g, "01", key, err, errlen))) rc = add_esc(&g, "10", "", &f[2], err, errlen);
  } else if (strcmp(scheme, "sgtin") == 0 || strcmp(scheme, "upui") == 0) {
    NF(3);
    if ((rc = gtin_of(&f[0], &f[1], key, err, errlen))) return rc;
    if (!(rc = add(&g, "01", key, err, errlen)))
      rc = add_esc(&g, scheme[0] == 's' ? "21" : "235", "", &f[2], err, errlen);
  } else if (strcmp(scheme, "sscc") == 0) {
    NF(2);
    if (!digits(&f[1]) || f[0].n + f[1].n != 17 || f[1].n < 1)
      return sy_ident_fail(err, errlen,
                           "sscc: company prefix and serial reference must be 17 digits together");
    key[0] = f[1].p[0];
    memcpy(key + 1, f[0].p, f[0].n);
    memcpy(key + 1 + f[0].n, f[1].p + 1, f[1].n - 1);
    key[17] = (char)('0' + sy_gs1_check_digit(key, 17));
    key[18] = 0;
    rc = add(&g, "00", key, err, errlen);
  } else if (strcmp(scheme, "sgln") == 0) {
    NF(3);
    if ((rc = join_key(&f[0], &f[1], 12, 1, key, err, errlen, "sgln"))) return rc;
    rc = add(&g, "414", key, err, errlen);
    if (!rc && !(f[2].n == 1 && f[2].p[0] == '0')) rc = add_esc(&g, "254", "", &f[2], err, errlen);
  } else if (strcmp(scheme, "pgln") == 0) {
    NF(2);
    if ((rc = join_key(&f[0], &f[1], 12, 1, key, err, errlen, "pgln"))) return rc;
    rc = add(&g, "417", key, err, errlen);
  } else if (strcmp(scheme, "grai") == 0) {
    NF(3);
    key[0] = '0';
    if ((rc = join_key(&f[0], &f[1], 12, 1, key + 1, err, errlen, "grai"))) return rc;
    rc = add_esc(&g, "8003", key, &f[2], err, errlen);
  } else if (strcmp(scheme, "giai") == 0 || strcmp(scheme, "ginc") == 0) {
    NF(2);
    memcpy(key, f[0].p, f[0].n);
    key[f[0].n] = 0;
    rc = add_esc(&g, scheme[2] == 'a' ? "8004" : "401", key, &f[1], err, errlen);
  } else if (strcmp(scheme, "gsrn") == 0 || strcmp(scheme, "gsrnp") == 0) {
    NF(2);
    if ((rc = join_key(&f[0], &f[1], 17, 1, key, err, errlen, scheme))) return rc;
    rc = add(&g, scheme[4] == 'p' ? "8017" : "8018", key, err, errlen);
  } else if (strcmp(scheme, "gdti") == 0 || strcmp(scheme, "sgcn") == 0) {
    NF(3);
    if ((rc = join_key(&f[0], &f[1], 12, 1, key, err, errlen, scheme))) return rc;
    rc = add_esc(&g, scheme[0] == 'g' ? "253" : "255", key, &f[2], err, errlen);
  } else if (strcmp(scheme, "gsin") == 0) {
    NF(2);
    if ((rc = join_key(&f[0], &f[1], 16, 1, key, err, errlen, "gsin"))) return rc;
    rc = add(&g, "402", key, err, errlen);
  } else if (strcmp(scheme, "itip") == 0) {
    NF(5);
    if ((rc = gtin_of(&f[0], &f[1], key, err, errlen))) return rc;
    if (f[2].n != 2 || f[3].n != 2 || !digits(&f[2]) || !digits(&f[3]))
      return sy_ident_fail(err, errlen, "itip: piece and total are 2 digits each");
    memcpy(key + 14, f[2].p, 2);
    memcpy(key + 16, f[3].p, 2);
    key[18] = 0;
    if (!(rc = add(&g, "8006", key, err, errlen))) rc = add_esc(&g, "21", "", &f[4], err, errlen);
  } else if (strcmp(scheme, "cpi") == 0) {
    NF(3);
    memcpy(key, f[0].p, f[0].n);
    key[f[0].n] = 0;
    rc = add_esc(&g, "8010", key, &f[1], err, errlen);
    if (!rc) rc = add_esc(&g, "8011", "", &f[2], err, errlen);
  } else {
    return sy_ident_fail(err, errlen,
                         "EPC scheme \"%s\" does not name a GS1 key this parser supports", scheme);
  }
#undef NF
  if (!rc) rc = sy_gs1_finish(&g, 1, err, errlen);
  if (rc) return rc;
  *out = g;
  if (company_prefix_len) *company_prefix_len = (int)f[0].n;
  return SY_OK;
}

int sy_gs1_from_epc_urn(const char *urn, sy_gs1 *out, char *err, size_t errlen) {
  return sy_gs1_from_epc_urn_gcp(urn, out, NULL, err, errlen);
}

/* ---- writing --------------------------------------------------------------- */
static void esc(const char *v, char *out, size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (; *v && o + 4 < size; v++) {
    if (strchr(URN_ESCAPE, *v)) {
      out[o++] = '%';
      out[o++] = hex[(unsigned char)*v >> 4];
      out[o++] = hex[*v & 15];
    } else {
      out[o++] = *v;
    }
  }
  out[o] = 0;
}

int sy_gs1_to_epc_urn(const sy_gs1 *g, int cpl, char *out, size_t size, char *err, size_t errlen) {
  if (out && size) out[0] = 0;
  if (!g || !out || g->n == 0 || g->n > SY_GS1_MAX_AIS)
    return sy_ident_fail(err, errlen, "no identifier");
  if (cpl < 6 || cpl > 12)
    return sy_ident_fail(err, errlen, "the GS1 Company Prefix length must be 6 to 12, not %d", cpl);
  int vrc = sy_gs1_check_struct(g, err, errlen);
  if (vrc) return vrc;
  const char *ai = g->ais[0].ai, *v = g->ais[0].value;
  size_t vn = strlen(v);
  char e1[SY_GS1_AI_VALUE_MAX * 3 + 1], e2[SY_GS1_AI_VALUE_MAX * 3 + 1];
  int n = -1;
  const char *s21 = sy_gs1_get(g, "21"), *s10 = sy_gs1_get(g, "10"), *s235 = sy_gs1_get(g, "235");
  if (strcmp(ai, "01") == 0 || strcmp(ai, "8006") == 0) {
    if (vn < 14) return sy_ident_fail(err, errlen, "bad GTIN");
    /* CompanyPrefix . Indicator + ItemRef (without the check digit) */
    char ir[14];
    ir[0] = v[0];
    memcpy(ir + 1, v + 1 + cpl, (size_t)(12 - cpl));
    ir[13 - cpl] = 0;
    if (ai[0] == '8') {
      if (!s21) return sy_ident_fail(err, errlen, "an ITIP needs a serial (21) for an EPC URN");
      esc(s21, e1, sizeof e1);
      n = snprintf(out, size, "urn:epc:id:itip:%.*s.%s.%.2s.%.2s.%s", cpl, v + 1, ir, v + 14,
                   v + 16, e1);
    } else if (s21) {
      esc(s21, e1, sizeof e1);
      n = snprintf(out, size, "urn:epc:id:sgtin:%.*s.%s.%s", cpl, v + 1, ir, e1);
    } else if (s235) {
      esc(s235, e1, sizeof e1);
      n = snprintf(out, size, "urn:epc:id:upui:%.*s.%s.%s", cpl, v + 1, ir, e1);
    } else if (s10) {
      esc(s10, e1, sizeof e1);
      n = snprintf(out, size, "urn:epc:class:lgtin:%.*s.%s.%s", cpl, v + 1, ir, e1);
    } else {
      return sy_ident_fail(err, errlen,
                           "a GTIN without serial (21) or lot (10) has no EPC URN (EPCIS uses "
                           "the Digital Link for a class-level GTIN)");
    }
  } else if (strcmp(ai, "00") == 0) {
    n = snprintf(out, size, "urn:epc:id:sscc:%.*s.%c%.*s", cpl, v + 1, v[0], 16 - cpl, v + 1 + cpl);
  } else if (strcmp(ai, "414") == 0 || strcmp(ai, "417") == 0) {
    if (sy_gs1_get(g, "7040"))
      return sy_ident_fail(err, errlen, "a GLN with (7040) has no EPC URN");
    const char *ext = sy_gs1_get(g, "254");
    esc(ext ? ext : "0", e1, sizeof e1);
    if (ai[2] == '7')
      n = snprintf(out, size, "urn:epc:id:pgln:%.*s.%.*s", cpl, v, 12 - cpl, v + cpl);
    else
      n = snprintf(out, size, "urn:epc:id:sgln:%.*s.%.*s.%s", cpl, v, 12 - cpl, v + cpl, e1);
  } else if (strcmp(ai, "8003") == 0) {
    if (vn <= 14)
      return sy_ident_fail(err, errlen, "a GRAI without serial component has no EPC URN");
    esc(v + 14, e1, sizeof e1);
    n = snprintf(out, size, "urn:epc:id:grai:%.*s.%.*s.%s", cpl, v + 1, 12 - cpl, v + 1 + cpl, e1);
  } else if (strcmp(ai, "8004") == 0 || strcmp(ai, "401") == 0 || strcmp(ai, "8010") == 0) {
    if (vn <= (size_t)cpl || !sy_ident_all_digits(v, (size_t)cpl))
      return sy_ident_fail(
          err, errlen, "AI (%s) must start with the %d-digit company prefix and go on", ai, cpl);
    if (ai[0] == '8' && sy_gs1_get(g, "7040"))
      return sy_ident_fail(err, errlen, "a GIAI with (7040) has no EPC URN");
    esc(v + cpl, e1, sizeof e1);
    if (strcmp(ai, "8010") == 0) {
      const char *ser = sy_gs1_get(g, "8011");
      if (!ser) return sy_ident_fail(err, errlen, "a CPID needs a serial (8011) for an EPC URN");
      esc(ser, e2, sizeof e2);
      n = snprintf(out, size, "urn:epc:id:cpi:%.*s.%s.%s", cpl, v, e1, e2);
    } else {
      n = snprintf(out, size, "urn:epc:id:%s:%.*s.%s", ai[0] == '8' ? "giai" : "ginc", cpl, v, e1);
    }
  } else if (strcmp(ai, "8017") == 0 || strcmp(ai, "8018") == 0) {
    if (sy_gs1_get(g, "8019"))
      return sy_ident_fail(err, errlen, "a GSRN with (8019) has no EPC URN");
    n = snprintf(out, size, "urn:epc:id:%s:%.*s.%.*s", ai[3] == '7' ? "gsrnp" : "gsrn", cpl, v,
                 17 - cpl, v + cpl);
  } else if (strcmp(ai, "253") == 0 || strcmp(ai, "255") == 0) {
    esc(v + 13, e1, sizeof e1);
    if (vn == 13)
      return sy_ident_fail(err, errlen, "a %s without serial component has no EPC URN",
                           ai[2] == '5' ? "GCN" : "GDTI");
    n = snprintf(out, size, "urn:epc:id:%s:%.*s.%.*s.%s", ai[2] == '3' ? "gdti" : "sgcn", cpl, v,
                 12 - cpl, v + cpl, e1);
  } else if (strcmp(ai, "402") == 0) {
    n = snprintf(out, size, "urn:epc:id:gsin:%.*s.%.*s", cpl, v, 16 - cpl, v + cpl);
  } else {
    return sy_ident_fail(err, errlen, "AI (%s) has no EPC URN", ai);
  }
  if (n < 0 || (size_t)n >= size) {
    out[0] = 0;
    return sy_ident_fail(err, errlen, "the output buffer is too small");
  }
  return SY_OK;
}
