/* EPC binary encodings for RFID tags: every scheme of the GS1 EPC Tag Data
 * Standard 1.13, section 14 (ident.h; docs/ident.md "RFID"; SPEC C2 RFID
 * carriers):
 *   GS1 keys   sgtin-96/198 sscc-96 sgln-96/195 grai-96/170 giai-96/202
 *              gsrn-96 gsrnp-96 gdti-96/174 sgcn-96 cpi-96/var itip-110/212
 *   non-GS1    gid-96 usdod-96 adi-var
 * One table drives both directions. A scheme is: 8-bit header (Table 14-1),
 * filter, optionally a partition value P (0..6) choosing how many bits the
 * GS1 Company Prefix (12-P digits) and the next field get, then its fields
 * with their TDS coding method (14.3): Integer, String (7-bit), Numeric
 * String, fixed-width digits, 6-bit variable string (CPI-var, ADI-var),
 * CAGE/DoDAAC (8-bit in USDOD-96, 6-bit in ADI-var), reserved zeros.
 *
 * The encoder works on the fields of the pure identity URN (TDS 14.3 defines
 * the coding from them): a GS1 key becomes the URN through epc_urn.c, and a
 * decoded tag becomes a URN that epc_urn.c parses back into sy_gs1, so check
 * digits, escaping and AI validation live in one place. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/sy_error.h"
#include "ident/ident_int.h"

#define MAXBITS (SY_EPC_HEX_MAX * 4)
#define FLD_MAX 100 /* longest unescaped URN field (GS1 AI values are <= 90) */

/* URN field codings (TDS 1.13 section 14.3). */
enum {
  C_END,
  C_INT,    /* Integer: decimal, no leading zeros, < 2^bits (14.3.1) */
  C_STR7,   /* String: ISO 646 7-bit chars, zero padded to bits (14.3.2) */
  C_NUMSTR, /* Numeric String: digits, "1" prefixed, as integer (14.3.9) */
  C_FIXDIG, /* fixed-width zero-padded digits as integer (ITIP piece/total) */
  C_STR6V,  /* 6-bit chars, terminated by six zero bits (14.3.10, 14.3.11) */
  C_CAGE8,  /* CAGE/DoDAAC, 8-bit chars, 5-char CAGE space-prefixed */
  C_CAGE6,  /* the same in 6-bit chars (ADI-var) */
  C_RES,    /* reserved zero bits: no URN field */
};

typedef struct fcode {
  uint8_t kind;
  uint8_t bits; /* field width (C_STR6V: 0) */
  uint8_t max;  /* characters / digits (C_STR7, C_NUMSTR, C_FIXDIG, C_STR6V) */
  const char *name;
} fcode;

/* Partition tables (TDS 1.13 Tables 14-2 .. 14-24): P -> bits of the field
 * after the company prefix, whose digits/characters are base - (12 - P). */
static const uint8_t CP_BITS[7] = {40, 37, 34, 30, 27, 24, 20};
static const uint8_t PT_SGTIN[7] = {4, 7, 10, 14, 17, 20, 24};  /* also GRAI, ITIP */
static const uint8_t PT_SSCC[7] = {18, 21, 24, 28, 31, 34, 38}; /* also GSRN, GSRNP */
static const uint8_t PT_SGLN[7] = {1, 4, 7, 11, 14, 17, 21};    /* also GDTI, SGCN */
static const uint8_t PT_GIAI96[7] = {42, 45, 48, 52, 55, 58, 62};
static const uint8_t PT_GIAI202[7] = {148, 151, 154, 158, 161, 164, 168};
static const uint8_t PT_CPI96[7] = {11, 14, 17, 21, 24, 27, 31};

enum { P_NONE, P_DIGITS, P_INT, P_STR7, P_STR6V };

typedef struct scheme {
  const char *name, *pure, *title;
  uint8_t hdr;
  int bits;      /* 0: variable length */
  uint8_t fbits; /* filter bits */
  uint8_t pkind; /* how the field after the company prefix is coded */
  uint8_t pbase; /* its digits/chars = pbase - company prefix length */
  const uint8_t *pt;
  const char *pname;
  fcode f[4];
} scheme;

/* clang-format off */
#define F(k, b, m, n) {k, b, m, n}
#define END F(C_END, 0, 0, NULL)
static const scheme SCHEMES[] = {
    {"sgtin-96", "sgtin", "SGTIN-96", 0x30, 96, 3, P_DIGITS, 13, PT_SGTIN, "item reference",
     {F(C_INT, 38, 0, "serial"), END}},
    {"sgtin-198", "sgtin", "SGTIN-198", 0x36, 198, 3, P_DIGITS, 13, PT_SGTIN, "item reference",
     {F(C_STR7, 140, 20, "serial"), END}},
    {"sscc-96", "sscc", "SSCC-96", 0x31, 96, 3, P_DIGITS, 17, PT_SSCC, "serial reference",
     {F(C_RES, 24, 0, NULL), END}},
    {"sgln-96", "sgln", "SGLN-96", 0x32, 96, 3, P_DIGITS, 12, PT_SGLN, "location reference",
     {F(C_INT, 41, 0, "extension"), END}},
    {"sgln-195", "sgln", "SGLN-195", 0x39, 195, 3, P_DIGITS, 12, PT_SGLN, "location reference",
     {F(C_STR7, 140, 20, "extension"), END}},
    {"grai-96", "grai", "GRAI-96", 0x33, 96, 3, P_DIGITS, 12, PT_SGTIN, "asset type",
     {F(C_INT, 38, 0, "serial"), END}},
    {"grai-170", "grai", "GRAI-170", 0x37, 170, 3, P_DIGITS, 12, PT_SGTIN, "asset type",
     {F(C_STR7, 112, 16, "serial"), END}},
    {"giai-96", "giai", "GIAI-96", 0x34, 96, 3, P_INT, 24, PT_GIAI96, "individual asset reference",
     {END}},
    {"giai-202", "giai", "GIAI-202", 0x38, 202, 3, P_STR7, 30, PT_GIAI202,
     "individual asset reference", {END}},
    {"gsrn-96", "gsrn", "GSRN-96", 0x2D, 96, 3, P_DIGITS, 17, PT_SSCC, "service reference",
     {F(C_RES, 24, 0, NULL), END}},
    {"gsrnp-96", "gsrnp", "GSRNP-96", 0x2E, 96, 3, P_DIGITS, 17, PT_SSCC, "service reference",
     {F(C_RES, 24, 0, NULL), END}},
    {"gdti-96", "gdti", "GDTI-96", 0x2C, 96, 3, P_DIGITS, 12, PT_SGLN, "document type",
     {F(C_INT, 41, 0, "serial"), END}},
    {"gdti-174", "gdti", "GDTI-174", 0x3E, 174, 3, P_DIGITS, 12, PT_SGLN, "document type",
     {F(C_STR7, 119, 17, "serial"), END}},
    {"sgcn-96", "sgcn", "SGCN-96", 0x3F, 96, 3, P_DIGITS, 12, PT_SGLN, "coupon reference",
     {F(C_NUMSTR, 41, 12, "serial"), END}},
    {"cpi-96", "cpi", "CPI-96", 0x3C, 96, 3, P_INT, 15, PT_CPI96, "component/part reference",
     {F(C_INT, 31, 0, "serial"), END}},
    {"cpi-var", "cpi", "CPI-var", 0x3D, 0, 3, P_STR6V, 30, NULL, "component/part reference",
     {F(C_INT, 40, 12, "serial"), END}},
    {"itip-110", "itip", "ITIP-110", 0x40, 110, 3, P_DIGITS, 13, PT_SGTIN, "item reference",
     {F(C_FIXDIG, 7, 2, "piece"), F(C_FIXDIG, 7, 2, "total"), F(C_INT, 38, 0, "serial"), END}},
    {"itip-212", "itip", "ITIP-212", 0x41, 212, 3, P_DIGITS, 13, PT_SGTIN, "item reference",
     {F(C_FIXDIG, 7, 2, "piece"), F(C_FIXDIG, 7, 2, "total"), F(C_STR7, 140, 20, "serial"),
      END}},
    {"gid-96", "gid", "GID-96", 0x35, 96, 0, P_NONE, 0, NULL, NULL,
     {F(C_INT, 28, 0, "general manager number"), F(C_INT, 24, 0, "object class"),
      F(C_INT, 36, 0, "serial"), END}},
    {"usdod-96", "usdod", "USDOD-96", 0x2F, 96, 4, P_NONE, 0, NULL, NULL,
     {F(C_CAGE8, 48, 0, "CAGE/DoDAAC"), F(C_INT, 36, 0, "serial"), END}},
    {"adi-var", "adi", "ADI-var", 0x3B, 0, 6, P_NONE, 0, NULL, NULL,
     {F(C_CAGE6, 36, 0, "CAGE/DoDAAC"), F(C_STR6V, 0, 32, "part number"),
      F(C_STR6V, 0, 30, "serial"), END}},
};
/* clang-format on */
#define NSCHEMES (sizeof SCHEMES / sizeof SCHEMES[0])

static const scheme *by_name(const char *name) {
  for (size_t i = 0; i < NSCHEMES; i++)
    if (strcasecmp(SCHEMES[i].name, name) == 0) return &SCHEMES[i];
  return NULL;
}

static const scheme *by_header(int hdr) {
  for (size_t i = 0; i < NSCHEMES; i++)
    if (SCHEMES[i].hdr == hdr) return &SCHEMES[i];
  return NULL;
}

static int is_gs1(const scheme *s) {
  return s->pkind != P_NONE;
}

static int nfields(const scheme *s) {
  int n = is_gs1(s) ? 2 : 0;
  for (const fcode *f = s->f; f->kind != C_END; f++)
    if (f->kind != C_RES) n++;
  return n;
}

/* ---- bits ------------------------------------------------------------------ */
typedef struct bitbuf {
  uint8_t b[MAXBITS / 8];
  int pos, len; /* len: bits available (reader) */
  int over;     /* writer ran past MAXBITS / reader past len */
} bitbuf;

static void put_bits(bitbuf *w, uint64_t v, int n) {
  if (w->pos + n > MAXBITS) {
    w->over = 1;
    return;
  }
  for (int i = n - 1; i >= 0; i--, w->pos++)
    if ((v >> i) & 1) w->b[w->pos / 8] |= (uint8_t)(0x80 >> (w->pos % 8));
}

static uint64_t get_bits(bitbuf *r, int n) {
  uint64_t v = 0;
  if (r->pos + n > r->len) {
    r->over = 1;
    r->pos = r->len;
    return 0;
  }
  for (int i = 0; i < n; i++, r->pos++) v = (v << 1) | ((r->b[r->pos / 8] >> (7 - r->pos % 8)) & 1);
  return v;
}

static uint64_t pow10u(int n) {
  uint64_t v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

/* ---- encoding ---------------------------------------------------------------- */
/* s[0..n) as an unsigned decimal without leading zeros (unless "0") and
 * below 2^bits (bits <= 63), or -1. */
static int parse_int(const char *s, size_t n, int bits, int lead0_ok, uint64_t *v) {
  if (n == 0 || n > 19 || !sy_ident_all_digits(s, n)) return -1;
  if (!lead0_ok && n > 1 && s[0] == '0') return -1;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x = x * 10 + (uint64_t)(s[i] - '0');
  if (x >> bits) return -1;
  *v = x;
  return 0;
}

static int code6(char c) {              /* 6-bit code of c, -1 when it has none */
  if (c >= 0x21 && c <= 0x3F) return c; /* 0x20 (space) only pads a CAGE */
  if (c >= 0x41 && c <= 0x5F) return c - 0x40;
  return -1;
}

static int cage_ok(const char *v, size_t n) {
  if (n != 5 && n != 6) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9'))) return 0;
  return 1;
}

/* ADI part number / serial: A-Z 0-9 - /, and a leading '#' in a serial. */
static int adi_ok(const char *v, size_t n, int serial) {
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/' ||
          (c == '#' && serial && i == 0)))
      return 0;
  }
  return 1;
}

static int urn_hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Unescapes a URN field (%HH) into out[FLD_MAX+1]. */
static int unescape(const char *s, size_t n, char *out, size_t *olen) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n || urn_hexv(s[i + 1]) < 0 || urn_hexv(s[i + 2]) < 0) return -1;
      c = (char)(urn_hexv(s[i + 1]) * 16 + urn_hexv(s[i + 2]));
      i += 2;
    }
    if (c == 0 || o >= FLD_MAX) return -1;
    out[o++] = c;
  }
  out[o] = 0;
  *olen = o;
  return 0;
}

static int put_str6(bitbuf *w, const char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int c = code6(v[i]);
    if (c < 0) return -1;
    put_bits(w, (uint64_t)c, 6);
  }
  return 0;
}

static int put_str7(bitbuf *w, const char *v, size_t n, int bits) {
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)v[i] < 1 || (unsigned char)v[i] > 0x7F) return -1;
    put_bits(w, (uint64_t)(unsigned char)v[i], 7);
  }
  for (int rest = bits - 7 * (int)n; rest > 0; rest -= rest > 32 ? 32 : rest)
    put_bits(w, 0, rest > 32 ? 32 : rest);
  return 0;
}

/* The pure identity URN of t (GS1 schemes: written from t->gs1). */
static int tag_urn(const scheme *s, const sy_epc_tag *t, char *urn, size_t size, char *err,
                   size_t errlen) {
  char want[32];
  int n = snprintf(want, sizeof want, "urn:epc:id:%s:", s->pure);
  if (is_gs1(s)) {
    int cpl = t->company_prefix_len;
    if (cpl < 6 || cpl > 12)
      return sy_ident_fail(err, errlen, "the GS1 Company Prefix length must be 6 to 12, not %d",
                           cpl);
    int rc = sy_gs1_to_epc_urn(&t->gs1, cpl, urn, size, err, errlen);
    if (rc) return rc;
  } else {
    if (t->gs1.n != 0)
      return sy_ident_fail(err, errlen, "%s is not a GS1 key scheme: give its URN, not AIs",
                           s->title);
    if (!memchr(t->urn, 0, sizeof t->urn) || strlen(t->urn) >= size)
      return sy_ident_fail(err, errlen, "the %s URN is too long", s->title);
    memcpy(urn, t->urn, strlen(t->urn) + 1);
  }
  if (strncasecmp(urn, want, (size_t)n) != 0)
    return sy_ident_fail(err, errlen, "%s encodes %s... identifiers; this one is %.40s", s->title,
                         want, urn);
  return SY_OK;
}

static int encode_bits(const scheme *s, const sy_epc_tag *t, bitbuf *w, char *err, size_t errlen) {
  if (t->filter < 0 || t->filter >= (1 << s->fbits) || (s->fbits == 0 && t->filter != 0))
    return sy_ident_fail(err, errlen, "the %s filter value must be %s%d, not %d", s->title,
                         s->fbits ? "0 to " : "", (1 << s->fbits) - 1, t->filter);
  char urn[SY_EPC_URN_MAX + 64];
  int rc = tag_urn(s, t, urn, sizeof urn, err, errlen);
  if (rc) return rc;
  /* split the URN body into its fields; the last one may hold '.' */
  const char *p = strchr(urn + 11, ':') + 1;
  int nf = nfields(s);
  const char *fp[6];
  size_t fn[6];
  for (int i = 0; i < nf; i++) {
    const char *dot = i + 1 < nf ? strchr(p, '.') : NULL;
    if (i + 1 < nf && !dot)
      return sy_ident_fail(err, errlen, "the %s URN needs %d fields separated by '.'", s->title,
                           nf);
    fp[i] = p;
    fn[i] = dot ? (size_t)(dot - p) : strlen(p);
    p = dot ? dot + 1 : p + fn[i];
  }
  char v[FLD_MAX + 1];
  size_t vn;
  memset(w, 0, sizeof *w);
  put_bits(w, s->hdr, 8);
  put_bits(w, (uint64_t)t->filter, s->fbits);
  int fi = 0;
  if (is_gs1(s)) {
    size_t cpl = fn[0];
    if (cpl < 6 || cpl > 12 || !sy_ident_all_digits(fp[0], cpl))
      return sy_ident_fail(err, errlen, "the company prefix must be 6 to 12 digits");
    int part = 12 - (int)cpl, max = s->pbase - (int)cpl;
    put_bits(w, (uint64_t)part, 3);
    uint64_t x = 0;
    parse_int(fp[0], cpl, 40, 1, &x);
    put_bits(w, x, CP_BITS[part]);
    if (unescape(fp[1], fn[1], v, &vn))
      return sy_ident_fail(err, errlen, "bad %s in the URN", s->pname);
    int bad = 0;
    switch (s->pkind) {
      case P_DIGITS:
        bad = (int)vn != max || (vn && parse_int(v, vn, s->pt[part], 1, &x));
        if (vn == 0) x = 0;
        if (!bad) put_bits(w, x, s->pt[part]);
        break;
      case P_INT:
        bad = (int)vn > max || parse_int(v, vn, s->pt[part], 0, &x);
        if (!bad) put_bits(w, x, s->pt[part]);
        break;
      case P_STR7:
        bad = (int)vn > max || vn == 0 || put_str7(w, v, vn, s->pt[part]);
        break;
      default: /* P_STR6V */
        bad = (int)vn > max || vn == 0 || put_str6(w, v, vn);
        put_bits(w, 0, 6);
        break;
    }
    if (bad)
      return sy_ident_fail(
          err, errlen, "%s \"%s\" does not fit %s with a %zu-digit company prefix (%s%d %s)",
          s->pname, v, s->title, cpl, s->pkind == P_DIGITS ? "exactly " : "up to ", max,
          s->pkind == P_DIGITS || s->pkind == P_INT ? "digits" : "characters");
    fi = 2;
  }
  for (const fcode *f = s->f; f->kind != C_END; f++) {
    if (f->kind == C_RES) {
      put_bits(w, 0, f->bits);
      continue;
    }
    if (unescape(fp[fi], fn[fi], v, &vn))
      return sy_ident_fail(err, errlen, "bad %%-escape in the %s", f->name);
    fi++;
    uint64_t x = 0;
    const char *why = NULL;
    char desc[96];
    switch (f->kind) {
      case C_INT:
        if ((f->max && (int)vn > f->max) || parse_int(v, vn, f->bits, 0, &x))
          why = "digits without leading zeros, below 2^N";
        else
          put_bits(w, x, f->bits);
        break;
      case C_FIXDIG:
        if ((int)vn != f->max || parse_int(v, vn, f->bits, 1, &x))
          why = "exactly 2 digits";
        else
          put_bits(w, x, f->bits);
        break;
      case C_NUMSTR: {
        char one[FLD_MAX + 2];
        one[0] = '1';
        memcpy(one + 1, v, vn);
        if ((int)vn > f->max || !sy_ident_all_digits(v, vn) ||
            parse_int(one, vn + 1, f->bits, 1, &x))
          why = "up to 12 digits";
        else
          put_bits(w, x, f->bits);
        break;
      }
      case C_STR7:
        if ((int)vn > f->max || vn == 0 || put_str7(w, v, vn, f->bits))
          why = "1 to M characters of GS1 AI encodable character set 82, 7 bits each";
        break;
      case C_STR6V:
        if ((int)vn > f->max || (vn == 0 && strcmp(f->name, "serial") == 0) ||
            !adi_ok(v, vn, strcmp(f->name, "serial") == 0) || put_str6(w, v, vn))
          why = "up to M of A-Z 0-9 - / (a serial: 1 or more, may start with #)";
        put_bits(w, 0, 6);
        break;
      case C_CAGE8:
      case C_CAGE6: {
        int cb = f->kind == C_CAGE8 ? 8 : 6;
        if (!cage_ok(v, vn)) {
          why = "5 (CAGE) or 6 (DoDAAC) capital letters and digits";
          break;
        }
        if (vn == 5) put_bits(w, 0x20, cb);
        for (size_t i = 0; i < vn; i++)
          put_bits(w, cb == 8 ? (uint64_t)(unsigned char)v[i] : (uint64_t)code6(v[i]), cb);
        break;
      }
      default:
        break;
    }
    if (why) {
      size_t d = 0;
      for (const char *q = why; *q && d + 4 < sizeof desc; q++) {
        if (*q == 'N' || *q == 'M')
          d += (size_t)snprintf(desc + d, sizeof desc - d, "%d", *q == 'N' ? f->bits : f->max);
        else
          desc[d++] = *q;
      }
      desc[d] = 0;
      return sy_ident_fail(err, errlen, "%s \"%s\" does not fit %s: %s", f->name, v, s->title,
                           desc);
    }
  }
  if (w->over) return sy_ident_fail(err, errlen, "%s: more than %d bits", s->title, MAXBITS);
  if (s->bits && w->pos != s->bits)
    return sy_ident_fail(err, errlen, "internal: %s wrote %d bits", s->title, w->pos);
  return SY_OK;
}

int sy_epc_encode(const sy_epc_tag *t, char *out, size_t size, int *nbits, char *err,
                  size_t errlen) {
  if (out && size) out[0] = 0;
  if (nbits) *nbits = 0;
  if (!t || !out) return sy_ident_fail(err, errlen, "no tag");
  char name[sizeof t->scheme + 1];
  snprintf(name, sizeof name, "%.*s", (int)sizeof t->scheme, t->scheme);
  const scheme *s = by_name(name);
  if (!s)
    return sy_ident_fail(err, errlen, "EPC binary scheme \"%.16s\" is not a TDS 1.13 scheme", name);
  bitbuf wb;
  int rc = encode_bits(s, t, &wb, err, errlen);
  if (rc) return rc;
  int words = (wb.pos + 15) / 16; /* Gen2 EPC memory is written in 16-bit words */
  size_t digits = (size_t)words * 4;
  if (size < digits + 1) return sy_ident_fail(err, errlen, "the output buffer is too small");
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < digits; i++) out[i] = hex[(wb.b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
  out[digits] = 0;
  if (nbits) *nbits = wb.pos;
  return SY_OK;
}

int sy_epc_encode_hex(const sy_epc_tag *t, char out[25], char *err, size_t errlen) {
  char hex[SY_EPC_HEX_MAX + 1];
  int nbits;
  if (out) out[0] = 0;
  if (!out) return sy_ident_fail(err, errlen, "no output");
  int rc = sy_epc_encode(t, hex, sizeof hex, &nbits, err, errlen);
  if (rc) return rc;
  if (nbits != 96)
    return sy_ident_fail(err, errlen, "%.16s is %d bits, not 96: use sy_epc_encode", t->scheme,
                         nbits);
  memcpy(out, hex, 25);
  return SY_OK;
}

/* ---- decoding ------------------------------------------------------------------ */
static void esc_put(char *out, size_t size, size_t *o, const char *v, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    int e = strchr("\"%&/<>?#", c) != NULL || c <= 0x20 || c >= 0x7F;
    if (*o + 4 >= size) return;
    if (e) {
      out[(*o)++] = '%';
      out[(*o)++] = hex[c >> 4];
      out[(*o)++] = hex[c & 15];
    } else {
      out[(*o)++] = (char)c;
    }
  }
  out[*o] = 0;
}

static int get_str7(bitbuf *r, int bits, int max, char *v, size_t *vn) {
  size_t n = 0;
  int end = r->pos + bits, done = 0;
  while (r->pos + 7 <= end) {
    int c = (int)get_bits(r, 7);
    if (c == 0)
      done = 1;
    else if (done || (int)n >= max)
      return -1; /* a char after the end, or too many */
    else
      v[n++] = (char)c;
  }
  if (get_bits(r, end - r->pos) != 0) return -1;
  v[n] = 0;
  *vn = n;
  return 0;
}

static int get_str6(bitbuf *r, int max, char *v, size_t *vn) {
  size_t n = 0;
  for (;;) {
    int c = (int)get_bits(r, 6);
    if (r->over) return -1;
    if (c == 0) break;
    if ((int)n >= max) return -1;
    v[n++] = (char)(c < 0x20 ? c + 0x40 : c);
  }
  v[n] = 0;
  *vn = n;
  return 0;
}

static int decode_bits(const scheme *s, bitbuf *r, sy_epc_tag *t, char *err, size_t errlen) {
  snprintf(t->scheme, sizeof t->scheme, "%s", s->name);
  t->filter = (int)get_bits(r, s->fbits);
  char urn[SY_EPC_URN_MAX + 64];
  size_t o = (size_t)snprintf(urn, sizeof urn, "urn:epc:id:%s:", s->pure);
  char v[FLD_MAX + 1];
  size_t vn = 0;
  int nout = 0;
  if (is_gs1(s)) {
    nout = 2;
    int part = (int)get_bits(r, 3);
    if (part > 6)
      return sy_ident_fail(err, errlen, "EPC partition value %d is invalid (0 to 6)", part);
    int cpl = 12 - part, max = s->pbase - cpl;
    uint64_t cp = get_bits(r, CP_BITS[part]);
    if (cp >= pow10u(cpl))
      return sy_ident_fail(err, errlen, "the company prefix field %" PRIu64 " exceeds %d digits",
                           cp, cpl);
    o += (size_t)snprintf(urn + o, sizeof urn - o, "%0*" PRIu64 ".", cpl, cp);
    uint64_t x;
    int bad = 0;
    switch (s->pkind) {
      case P_DIGITS:
        x = get_bits(r, s->pt[part]);
        bad = x >= pow10u(max);
        if (!bad && max) o += (size_t)snprintf(urn + o, sizeof urn - o, "%0*" PRIu64, max, x);
        break;
      case P_INT:
        x = get_bits(r, s->pt[part]);
        bad = x >= pow10u(max);
        if (!bad) o += (size_t)snprintf(urn + o, sizeof urn - o, "%" PRIu64, x);
        break;
      case P_STR7:
        bad = get_str7(r, s->pt[part], max, v, &vn) || vn == 0;
        if (!bad) esc_put(urn, sizeof urn, &o, v, vn);
        break;
      default:
        bad = get_str6(r, max, v, &vn) || vn == 0 || memchr(v, ' ', vn) != NULL;
        if (!bad) esc_put(urn, sizeof urn, &o, v, vn);
        break;
    }
    if (bad && !r->over)
      return sy_ident_fail(err, errlen, "the %s field does not hold %s%d %s", s->pname,
                           s->pkind == P_DIGITS ? "" : "up to ", max,
                           s->pkind <= P_INT ? "digits" : "valid characters");
  }
  for (const fcode *f = s->f; f->kind != C_END && !r->over; f++) {
    if (o + 1 >= sizeof urn) break; /* refused below */
    if (f->kind == C_RES) {
      if (get_bits(r, f->bits) != 0)
        return sy_ident_fail(err, errlen, "the %d reserved bits of an %s must be zero", f->bits,
                             s->title);
      continue;
    }
    if (nout++ && o + 1 < sizeof urn) urn[o++] = '.', urn[o] = 0;
    uint64_t x = 0;
    int bad = 0;
    switch (f->kind) {
      case C_INT:
        x = get_bits(r, f->bits);
        bad = f->max && x >= pow10u(f->max);
        o += (size_t)snprintf(urn + o, sizeof urn - o, "%" PRIu64, x);
        break;
      case C_FIXDIG:
        x = get_bits(r, f->bits);
        bad = x >= pow10u(f->max);
        o += (size_t)snprintf(urn + o, sizeof urn - o, "%0*" PRIu64, f->max, x);
        break;
      case C_NUMSTR: {
        char d[24];
        x = get_bits(r, f->bits);
        snprintf(d, sizeof d, "%" PRIu64, x);
        bad = d[0] != '1' || strlen(d) - 1 > f->max;
        o += (size_t)snprintf(urn + o, sizeof urn - o, "%s", d + 1);
        break;
      }
      case C_STR7:
        bad = get_str7(r, f->bits, f->max, v, &vn);
        if (!bad) esc_put(urn, sizeof urn, &o, v, vn);
        break;
      case C_STR6V:
        bad = get_str6(r, f->max, v, &vn) || !adi_ok(v, vn, strcmp(f->name, "serial") == 0) ||
              (vn == 0 && strcmp(f->name, "serial") == 0);
        if (!bad) esc_put(urn, sizeof urn, &o, v, vn);
        break;
      case C_CAGE8:
      case C_CAGE6: {
        int cb = f->kind == C_CAGE8 ? 8 : 6;
        char c6[7];
        for (int i = 0; i < 6; i++) {
          int c = (int)get_bits(r, cb);
          c6[i] = (char)(cb == 6 && c < 0x20 ? c + 0x40 : c);
        }
        c6[6] = 0;
        size_t cl = c6[0] == ' ' ? 5 : 6; /* a NUL is no character: cage_ok refuses it */
        bad = !cage_ok(c6 + 6 - cl, cl);
        if (!bad) esc_put(urn, sizeof urn, &o, c6 + 6 - cl, cl);
        break;
      }
      default:
        break;
    }
    if (bad && !r->over)
      return sy_ident_fail(err, errlen, "the %s field of the %s is not valid", f->name, s->title);
  }
  if (r->over)
    return sy_ident_fail(err, errlen, "the %s is cut short: %d bits are not enough", s->title,
                         r->len);
  /* what follows is padding: zero bits only */
  while (r->pos < r->len)
    if (get_bits(r, r->len - r->pos > 32 ? 32 : r->len - r->pos) != 0)
      return sy_ident_fail(err, errlen,
                           "non-zero bits after the %d bits of the %s (padding must be zero)",
                           s->bits ? s->bits : 0, s->title);
  if (o + 1 >= sizeof urn) return sy_ident_fail(err, errlen, "the EPC URN is too long");
  if (is_gs1(s)) {
    int rc = sy_gs1_from_epc_urn_gcp(urn, &t->gs1, &t->company_prefix_len, err, errlen);
    if (rc) return rc;
    return sy_gs1_to_epc_urn(&t->gs1, t->company_prefix_len, t->urn, sizeof t->urn, err, errlen);
  }
  if (o >= sizeof t->urn) return sy_ident_fail(err, errlen, "the EPC URN is too long");
  memcpy(t->urn, urn, o + 1);
  return SY_OK;
}

int sy_epc_decode_hex(const char *hex, sy_epc_tag *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!hex || !out) return sy_ident_fail(err, errlen, "no hex");
  size_t n = strnlen(hex, SY_EPC_HEX_MAX + 1);
  if (n < 2 || n > SY_EPC_HEX_MAX)
    return sy_ident_fail(err, errlen, "an EPC is 2 to %d hex digits, not %s%zu", SY_EPC_HEX_MAX,
                         n > SY_EPC_HEX_MAX ? "more than " : "", n > SY_EPC_HEX_MAX ? n - 1 : n);
  bitbuf r;
  memset(&r, 0, sizeof r);
  for (size_t i = 0; i < n; i++) {
    int v = urn_hexv(hex[i]);
    if (v < 0)
      return sy_ident_fail(err, errlen, "'%c' is not a hex digit",
                           hex[i] > 0x20 && hex[i] < 0x7f ? hex[i] : '?');
    r.b[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
  }
  r.len = (int)n * 4;
  int hdr = (int)get_bits(&r, 8);
  const scheme *s = by_header(hdr);
  if (!s)
    return sy_ident_fail(err, errlen, "EPC header 0x%02X is not a TDS 1.13 binary scheme", hdr);
  if (s->bits && r.len < s->bits)
    return sy_ident_fail(err, errlen,
                         "EPC header 0x%02X is %s: %d bits (%d hex digits), not %zu hex digits",
                         hdr, s->title, s->bits, (s->bits + 3) / 4, n);
  sy_epc_tag t;
  memset(&t, 0, sizeof t);
  int rc = decode_bits(s, &r, &t, err, errlen);
  if (rc) return rc;
  *out = t;
  return SY_OK;
}

/* ---- tag URIs ----------------------------------------------------------------- */
int sy_epc_to_tag_uri(const sy_epc_tag *t, char *out, size_t size, char *err, size_t errlen) {
  if (out && size) out[0] = 0;
  if (!t || !out) return sy_ident_fail(err, errlen, "no tag");
  char hex[SY_EPC_HEX_MAX + 1], urn[SY_EPC_URN_MAX + 64];
  int rc = sy_epc_encode(t, hex, sizeof hex, NULL, err, errlen); /* checks it is encodable */
  if (rc) return rc;
  char name[sizeof t->scheme + 1];
  snprintf(name, sizeof name, "%.*s", (int)sizeof t->scheme, t->scheme);
  const scheme *s = by_name(name);
  rc = tag_urn(s, t, urn, sizeof urn, err, errlen);
  if (rc) return rc;
  const char *body = strchr(urn + 11, ':') + 1; /* after "urn:epc:id:<scheme>:" */
  int n = s->fbits ? snprintf(out, size, "urn:epc:tag:%s:%d.%s", s->name, t->filter, body)
                   : snprintf(out, size, "urn:epc:tag:%s:%s", s->name, body);
  if (n < 0 || (size_t)n >= size) {
    out[0] = 0;
    return sy_ident_fail(err, errlen, "the output buffer is too small");
  }
  return SY_OK;
}

int sy_epc_from_tag_uri(const char *uri, sy_epc_tag *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!uri || !out) return sy_ident_fail(err, errlen, "no tag URI");
  if (strlen(uri) > SY_EPC_URN_MAX) return sy_ident_fail(err, errlen, "tag URI too long");
  if (strncasecmp(uri, "urn:epc:tag:", 12) != 0)
    return sy_ident_fail(err, errlen, "not an EPC tag URI (urn:epc:tag:...)");
  const char *p = uri + 12;
  size_t sl = strcspn(p, ":");
  char name[16];
  const scheme *s = NULL;
  if (p[sl] == ':' && sl < sizeof name) {
    memcpy(name, p, sl);
    name[sl] = 0;
    s = by_name(name);
  }
  if (!s)
    return sy_ident_fail(err, errlen, "EPC tag scheme \"%.*s\" is not a TDS 1.13 binary scheme",
                         (int)(sl > 20 ? 20 : sl), p);
  p += sl + 1;
  sy_epc_tag t;
  memset(&t, 0, sizeof t);
  snprintf(t.scheme, sizeof t.scheme, "%s", s->name);
  if (s->fbits) {
    int f = 0, nd = 0;
    while (p[nd] >= '0' && p[nd] <= '9' && nd < 3) f = f * 10 + (p[nd++] - '0');
    if (nd == 0 || p[nd] != '.' || (nd > 1 && p[0] == '0') || f >= (1 << s->fbits))
      return sy_ident_fail(err, errlen, "the %s tag URI must give a filter value 0 to %d first",
                           s->title, (1 << s->fbits) - 1);
    t.filter = f;
    p += nd + 1;
  }
  char urn[SY_EPC_URN_MAX + 64];
  snprintf(urn, sizeof urn, "urn:epc:id:%s:%s", s->pure, p);
  int rc;
  if (is_gs1(s)) {
    rc = sy_gs1_from_epc_urn_gcp(urn, &t.gs1, &t.company_prefix_len, err, errlen);
    if (rc) return rc;
    rc = sy_gs1_to_epc_urn(&t.gs1, t.company_prefix_len, t.urn, sizeof t.urn, err, errlen);
    if (rc) return rc;
  } else {
    if (strlen(urn) >= sizeof t.urn) return sy_ident_fail(err, errlen, "the URN is too long");
    memcpy(t.urn, urn, strlen(urn) + 1);
  }
  char hex[SY_EPC_HEX_MAX + 1];
  rc = sy_epc_encode(&t, hex, sizeof hex, NULL, err, errlen); /* fits the scheme? */
  if (rc) return rc;
  if (!is_gs1(s)) { /* the canonical form: the decoder's */
    sy_epc_tag d;
    rc = sy_epc_decode_hex(hex, &d, err, errlen);
    if (rc) return rc;
    memcpy(t.urn, d.urn, sizeof t.urn);
  }
  *out = t;
  return SY_OK;
}

int sy_epc_scheme_for(sy_epc_tag *t, char *err, size_t errlen) {
  if (!t || t->gs1.n == 0) return sy_ident_fail(err, errlen, "no GS1 key to encode");
  static const struct {
    const char *ai, *s96, *slong;
  } K[] = {{"01", "sgtin-96", "sgtin-198"}, {"00", "sscc-96", NULL},
           {"414", "sgln-96", "sgln-195"},  {"8003", "grai-96", "grai-170"},
           {"8004", "giai-96", "giai-202"}, {"8018", "gsrn-96", NULL},
           {"8017", "gsrnp-96", NULL},      {"253", "gdti-96", "gdti-174"},
           {"255", "sgcn-96", NULL},        {"8010", "cpi-96", "cpi-var"},
           {"8006", "itip-110", "itip-212"}};
  for (size_t i = 0; i < sizeof K / sizeof K[0]; i++) {
    if (strcmp(t->gs1.ais[0].ai, K[i].ai) != 0) continue;
    char hex[SY_EPC_HEX_MAX + 1], e2[256];
    snprintf(t->scheme, sizeof t->scheme, "%s", K[i].s96);
    int rc = sy_epc_encode(t, hex, sizeof hex, NULL, err, errlen);
    if (rc == SY_OK || !K[i].slong) return rc;
    snprintf(t->scheme, sizeof t->scheme, "%s", K[i].slong);
    if (sy_epc_encode(t, hex, sizeof hex, NULL, e2, sizeof e2) == SY_OK) return SY_OK;
    snprintf(t->scheme, sizeof t->scheme, "%s", K[i].s96);
    return rc; /* the 96-bit scheme's reason */
  }
  return sy_ident_fail(err, errlen, "AI (%s) has no EPC binary scheme", t->gs1.ais[0].ai);
}
