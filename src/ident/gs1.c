/* GS1 keys, check digits, AI validation and element strings (ident.h;
 * SPEC C1 encode every trace unit with GS1 keys, C2 barcode carriers).
 *
 * The AI facts (format, linters, pairing rules, DL key qualifiers) come from
 * the generated table ai_table.c (scripts/gen_ai_table.py). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "ident/ident_int.h"

int sy_ident_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return SY_EINVAL;
}

int sy_ident_all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* ---- check digits --------------------------------------------------------- */
int sy_gs1_check_digit(const char *s, size_t n) {
  if (!s) return -1;
  int sum = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[n - 1 - i];
    if (c < '0' || c > '9') return -1;
    sum += (c - '0') * ((i % 2 == 0) ? 3 : 1);
  }
  return (10 - sum % 10) % 10;
}

int sy_gs1_check_ok(const char *s, size_t n) {
  if (!s || n < 2 || s[n - 1] < '0' || s[n - 1] > '9') return 0;
  int d = sy_gs1_check_digit(s, n - 1);
  return d >= 0 && d == s[n - 1] - '0';
}

/* ---- the table -------------------------------------------------------------- */
const sy_ai_entry *sy_ai_lookup(const char *ai) {
  if (!ai) return NULL;
  size_t lo = 0, hi = sy_ai_table_len;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(sy_ai_table[mid].ai, ai);
    if (c == 0) return &sy_ai_table[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const sy_ai_entry *sy_ai_lookup_prefix(const char *s, size_t *ai_len) {
  char buf[5];
  for (size_t n = 2; n <= 4; n++) {
    if (!s[n - 1] || !isdigit((unsigned char)s[n - 1])) return NULL;
    memcpy(buf, s, n);
    buf[n] = 0;
    const sy_ai_entry *e = sy_ai_lookup(buf);
    if (e) {
      if (ai_len) *ai_len = n;
      return e;
    }
  }
  return NULL;
}

const char *sy_gs1_ai_title(const char *ai) {
  const sy_ai_entry *e = sy_ai_lookup(ai);
  return e ? e->title : NULL;
}

const char *sy_gs1_get(const sy_gs1 *g, const char *ai) {
  if (!g || !ai) return NULL;
  for (size_t i = 0; i < g->n && i < SY_GS1_MAX_AIS; i++)
    if (strcmp(g->ais[i].ai, ai) == 0) return g->ais[i].value;
  return NULL;
}

int sy_ident_in_list(const char *list, const char *ai) {
  size_t n = strlen(ai);
  const char *p = list;
  while (p && *p) {
    const char *end = p + strcspn(p, ",");
    if ((size_t)(end - p) == n && memcmp(p, ai, n) == 0) return 1;
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* ---- character sets and linters ------------------------------------------------ */
static const char CSET82[] =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
static const char CSET39[] = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char CSET32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

static int in_set(const char *set, char c) {
  return c != 0 && strchr(set, c) != NULL;
}

static int num(const char *s, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
  return v;
}

static int days_in_month(int year, int m) {
  static const int d[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
  return d[m - 1];
}

/* GS1 General Specifications 7.9.5: the two check characters of a GMN. */
static int csumalpha_ok(const char *s, size_t n) {
  static const int primes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37,
                               41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83};
  if (n < 2 || n - 2 > sizeof primes / sizeof primes[0]) return 0;
  size_t m = n - 2;
  unsigned sum = 0;
  for (size_t i = 0; i < m; i++) {
    const char *p = strchr(CSET82, s[i]);
    if (!p || !s[i]) return 0;
    sum += (unsigned)(p - CSET82) * (unsigned)primes[m - 1 - i];
  }
  sum %= 1021;
  return s[n - 2] == CSET32[sum >> 5] && s[n - 1] == CSET32[sum & 31];
}

static int iban_ok(const char *s, size_t n) {
  if (n < 5 || n > 34) return 0;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i])) return 0;
  if (!isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]) ||
      !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
    return 0;
  unsigned rem = 0;
  for (size_t k = 0; k < n; k++) {
    char c = s[(k + 4) % n];
    if (isdigit((unsigned char)c))
      rem = (rem * 10 + (unsigned)(c - '0')) % 97;
    else
      rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
  }
  return rem == 1;
}

/* One linter on one component; NULL when fine, else what is wrong. Linters
 * the table names but this code does not check (code lists: gcppos1/2,
 * iso3166*, iso4217, packagetype, couponcode, couponposoffer) pass;
 * docs/ident.md lists them. */
static const char *lint(const char *name, size_t nlen, const char *s, size_t n) {
#define IS(x) (nlen == sizeof(x) - 1 && memcmp(name, x, nlen) == 0)
  if (IS("csum")) return sy_gs1_check_ok(s, n) ? NULL : "has a wrong check digit";
  if (IS("csumalpha")) return csumalpha_ok(s, n) ? NULL : "has wrong check characters";
  if (IS("yymmd0") || IS("yymmdd")) {
    if (n != 6 || !sy_ident_all_digits(s, n)) return "is not a date YYMMDD";
    int m = num(s + 2, 2), d = num(s + 4, 2);
    if (m < 1 || m > 12) return "has an invalid month";
    if ((d == 0 && IS("yymmdd")) || d > days_in_month(2000 + num(s, 2), m))
      return "has an invalid day";
    return NULL;
  }
  if (IS("yyyymmdd")) {
    if (n != 8 || !sy_ident_all_digits(s, n)) return "is not a date YYYYMMDD";
    int m = num(s + 4, 2), d = num(s + 6, 2);
    if (m < 1 || m > 12) return "has an invalid month";
    if (d < 1 || d > days_in_month(num(s, 4), m)) return "has an invalid day";
    return NULL;
  }
  if (IS("hhmi"))
    return (n == 4 && num(s, 2) <= 23 && num(s + 2, 2) <= 59) ? NULL : "has an invalid time";
  if (IS("hh")) return (n == 2 && num(s, 2) <= 23) ? NULL : "has an invalid hour";
  if (IS("mi") || IS("ss"))
    return (n == 2 && num(s, 2) <= 59) ? NULL : "has an invalid minute or second";
  if (IS("zero")) return (n == 1 && s[0] == '0') ? NULL : "must start with 0";
  if (IS("nonzero")) {
    for (size_t i = 0; i < n; i++)
      if (s[i] != '0') return NULL;
    return "has a zero component";
  }
  if (IS("winding"))
    return (n == 1 && (s[0] == '0' || s[0] == '1' || s[0] == '9'))
               ? NULL
               : "has an invalid winding direction";
  if (IS("yesno")) return (n == 1 && (s[0] == '0' || s[0] == '1')) ? NULL : "must be 0 or 1";
  if (IS("iso5218"))
    return (n == 1 && strchr("0129", s[0])) ? NULL : "has an invalid ISO 5218 sex code";
  if (IS("mediatype")) {
    int v = num(s, n);
    return (n == 2 && ((v >= 1 && v <= 10) || v >= 80)) ? NULL : "has an invalid AIDC media type";
  }
  if (IS("hyphen"))
    return (n == 1 && s[0] == '-') ? NULL : "must end with '-' when a sign is given";
  if (IS("pieceoftotal")) {
    if (n != 4) return "has an invalid piece/total";
    int p = num(s, 2), t = num(s + 2, 2);
    return (p >= 1 && t >= 1 && p <= t) ? NULL
                                        : "has a piece number greater than the total or zero";
  }
  if (IS("nozeroprefix")) return (n > 1 && s[0] == '0') ? "must not start with 0" : NULL;
  if (IS("hasnondigit")) return sy_ident_all_digits(s, n) ? "must contain a non-digit" : NULL;
  if (IS("pcenc")) {
    for (size_t i = 0; i < n; i++)
      if (s[i] == '%' &&
          (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2])))
        return "has a bad percent-encoding";
    return NULL;
  }
  if (IS("latitude"))
    return (n == 10 && memcmp(s, "1800000000", 10) <= 0) ? NULL : "has a latitude out of range";
  if (IS("longitude"))
    return (n == 10 && memcmp(s, "3600000000", 10) <= 0) ? NULL : "has a longitude out of range";
  if (IS("importeridx"))
    return (n == 1 && (isalnum((unsigned char)s[0]) || s[0] == '-' || s[0] == '_'))
               ? NULL
               : "has an invalid importer index";
  if (IS("posinseqslash")) {
    const char *sl = memchr(s, '/', n);
    if (!sl || sl == s || sl == s + n - 1) return "is not POS/SEQ";
    size_t a = (size_t)(sl - s), b = n - a - 1;
    if (!sy_ident_all_digits(s, a) || !sy_ident_all_digits(sl + 1, b) || s[0] == '0' ||
        sl[1] == '0' || num(s, a) > num(sl + 1, b))
      return "is not a valid POS/SEQ";
    return NULL;
  }
  if (IS("iban")) return iban_ok(s, n) ? NULL : "is not a valid IBAN";
  return NULL; /* code-list linters: not checked (docs/ident.md) */
#undef IS
}

static int comp_chars_ok(char type, const char *s, size_t n, size_t *bad) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok;
    switch (type) {
      case 'N':
        ok = c >= '0' && c <= '9';
        break;
      case 'X':
        ok = in_set(CSET82, c);
        break;
      case 'Y':
        ok = in_set(CSET39, c);
        break;
      default: /* 'Z': base64url, '=' padding only at the end */
        ok = isalnum((unsigned char)c) || c == '-' || c == '_' ||
             (c == '=' && (i + 1 == n || s[i + 1] == '='));
    }
    if (!ok) {
      *bad = i;
      return 0;
    }
  }
  return 1;
}

static const char *type_name(char t) {
  switch (t) {
    case 'N':
      return "digits";
    case 'X':
      return "characters of GS1 AI encodable character set 82";
    case 'Y':
      return "characters of GS1 character set 39";
    default:
      return "base64url characters";
  }
}

static size_t spec_min(const sy_ai_entry *e) {
  size_t n = 0;
  for (unsigned i = 0; i < e->ncomp; i++)
    if (!e->comp[i].optional) n += e->comp[i].min;
  return n;
}
static size_t spec_max(const sy_ai_entry *e) {
  size_t n = 0;
  for (unsigned i = 0; i < e->ncomp; i++) n += e->comp[i].max;
  return n;
}

int sy_gs1_ai_validate(const char *ai, const char *value, char *err, size_t errlen) {
  if (!ai || !value) return sy_ident_fail(err, errlen, "no AI or value");
  const sy_ai_entry *e = sy_ai_lookup(ai);
  if (!e) return sy_ident_fail(err, errlen, "unknown application identifier (%.8s)", ai);
  size_t n = strlen(value);
  if (n == 0) return sy_ident_fail(err, errlen, "AI (%s) %s has an empty value", ai, e->title);
  size_t lo = spec_min(e), hi = spec_max(e);
  if (n > hi || n < lo) {
    if (lo == hi)
      return sy_ident_fail(err, errlen, "AI (%s) %s must be %zu characters long, not %zu", ai,
                           e->title, lo, n);
    return sy_ident_fail(err, errlen, "AI (%s) %s must be %zu to %zu characters long, not %zu", ai,
                         e->title, lo, hi, n);
  }
  size_t pos = 0;
  for (unsigned i = 0; i < e->ncomp; i++) {
    const sy_ai_comp *c = &e->comp[i];
    if (pos == n && c->optional) break;
    size_t left = n - pos, take;
    if (c->min == c->max) {
      if (left < c->min) return sy_ident_fail(err, errlen, "AI (%s) %s is too short", ai, e->title);
      take = c->min;
    } else {
      take = left < c->max ? left : c->max;
    }
    size_t bad = 0;
    if (!comp_chars_ok(c->type, value + pos, take, &bad)) {
      unsigned char ch = (unsigned char)value[pos + bad];
      if (ch >= 0x20 && ch < 0x7f)
        return sy_ident_fail(err, errlen, "AI (%s) %s has '%c' at position %zu: only %s allowed",
                             ai, e->title, ch, pos + bad + 1, type_name(c->type));
      return sy_ident_fail(err, errlen,
                           "AI (%s) %s has byte 0x%02X at position %zu: only %s allowed", ai,
                           e->title, ch, pos + bad + 1, type_name(c->type));
    }
    const char *l = c->linters;
    while (l && *l) {
      size_t ln = strcspn(l, ",");
      const char *why = lint(l, ln, value + pos, take);
      if (why) return sy_ident_fail(err, errlen, "AI (%s) %s %s", ai, e->title, why);
      l += ln;
      if (*l == ',') l++;
    }
    pos += take;
  }
  if (pos != n) return sy_ident_fail(err, errlen, "AI (%s) %s is too long", ai, e->title);
  return SY_OK;
}

int sy_gtin_normalise(const char *in, char out[15], char *err, size_t errlen) {
  if (out) out[0] = 0;
  if (!in || !out) return sy_ident_fail(err, errlen, "no GTIN");
  size_t n = strlen(in);
  if (!sy_ident_all_digits(in, n)) return sy_ident_fail(err, errlen, "a GTIN has digits only");
  if (n != 8 && n != 12 && n != 13 && n != 14)
    return sy_ident_fail(err, errlen, "a GTIN has 8, 12, 13 or 14 digits, not %zu", n);
  if (!sy_gs1_check_ok(in, n))
    return sy_ident_fail(err, errlen, "GTIN %s has a wrong check digit (expected %d)", in,
                         sy_gs1_check_digit(in, n - 1));
  memset(out, '0', 14 - n);
  memcpy(out + 14 - n, in, n);
  out[14] = 0;
  return SY_OK;
}

/* ---- building and checking an sy_gs1 ---------------------------------------------- */
int sy_gs1_append(sy_gs1 *g, const char *ai, const char *value, size_t vlen, char *err,
                  size_t errlen) {
  if (vlen > SY_GS1_AI_VALUE_MAX)
    return sy_ident_fail(err, errlen, "AI (%s) value is longer than %d characters", ai,
                         SY_GS1_AI_VALUE_MAX);
  for (size_t i = 0; i < g->n; i++) {
    if (strcmp(g->ais[i].ai, ai) != 0) continue;
    if (strlen(g->ais[i].value) == vlen && memcmp(g->ais[i].value, value, vlen) == 0) return SY_OK;
    return sy_ident_fail(err, errlen, "AI (%s) appears twice with different values", ai);
  }
  if (g->n >= SY_GS1_MAX_AIS)
    return sy_ident_fail(err, errlen, "more than %d application identifiers", SY_GS1_MAX_AIS);
  sy_gs1_ai *a = &g->ais[g->n++];
  snprintf(a->ai, sizeof a->ai, "%s", ai);
  memcpy(a->value, value, vlen);
  a->value[vlen] = 0;
  return SY_OK;
}

/* Pattern "31nn" matches AI "3103"; "01" matches "01". */
static int pat_match(const char *p, size_t plen, const char *ai) {
  if (strlen(ai) != plen) return 0;
  for (size_t i = 0; i < plen; i++)
    if (p[i] != ai[i] && !(p[i] == 'n' && isdigit((unsigned char)ai[i]))) return 0;
  return 1;
}

static int have_pat(const sy_gs1 *g, const char *p, size_t plen, const char *except) {
  for (size_t i = 0; i < g->n; i++) {
    if (except && strcmp(g->ais[i].ai, except) == 0) continue;
    if (pat_match(p, plen, g->ais[i].ai)) return 1;
  }
  return 0;
}

/* "01+21,03+21 8020": every space-separated instance needs one of its
 * comma-separated alternatives fully present. */
static int check_req(const sy_gs1 *g, const sy_ai_entry *e, char *err, size_t errlen) {
  const char *p = e->req;
  while (*p) {
    size_t ilen = strcspn(p, " ");
    int ok = 0;
    const char *a = p;
    while (a < p + ilen && !ok) {
      size_t alen = strcspn(a, ", ");
      if (a + alen > p + ilen) alen = (size_t)(p + ilen - a);
      int all = 1;
      const char *q = a;
      while (q < a + alen) {
        size_t qlen = strcspn(q, "+, ");
        if (q + qlen > a + alen) qlen = (size_t)(a + alen - q);
        if (!have_pat(g, q, qlen, NULL)) all = 0;
        q += qlen + 1;
      }
      if (all) ok = 1;
      a += alen + 1;
    }
    if (!ok) {
      char want[96];
      snprintf(want, sizeof want, "%.*s", (int)ilen, p);
      for (char *c = want; *c; c++)
        if (*c == ',') *c = '|';
      return sy_ident_fail(err, errlen, "AI (%s) %s needs one of (%s) with it", e->ai, e->title,
                           want);
    }
    p += ilen;
    while (*p == ' ') p++;
  }
  return SY_OK;
}

static int check_ex(const sy_gs1 *g, const sy_ai_entry *e, char *err, size_t errlen) {
  const char *p = e->ex;
  while (*p) {
    size_t plen = strcspn(p, ", ");
    for (size_t i = 0; i < g->n; i++) {
      if (strcmp(g->ais[i].ai, e->ai) == 0) continue;
      if (pat_match(p, plen, g->ais[i].ai))
        return sy_ident_fail(err, errlen, "AI (%s) %s must not be used together with AI (%s)",
                             e->ai, e->title, g->ais[i].ai);
    }
    p += plen;
    while (*p == ',' || *p == ' ') p++;
  }
  return SY_OK;
}

void sy_gs1_best_alt(const sy_ai_entry *e, const sy_gs1 *g, char *alt, size_t size) {
  alt[0] = 0;
  if (!e || !e->dlpkey || !*e->dlpkey) return;
  int best = -1;
  const char *p = e->dlpkey;
  while (*p) {
    size_t len = strcspn(p, "|");
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)len, p);
    int count = 0;
    for (size_t i = 0; i < g->n; i++)
      if (sy_ident_in_list(buf, g->ais[i].ai)) count++;
    if (count > best) {
      best = count;
      snprintf(alt, size, "%s", buf);
    }
    p += len;
    if (*p == '|') p++;
  }
}

static int is_qualifier(const char *alt, const char *ai) {
  return sy_ident_in_list(alt, ai);
}

/* Can every AI of g other than the key at index k go into a DL (as one
 * alternative's qualifier or a data attribute)? */
static int key_fits(const sy_gs1 *g, size_t k) {
  const sy_ai_entry *ke = sy_ai_lookup(g->ais[k].ai);
  char alt[64];
  sy_gs1_best_alt(ke, g, alt, sizeof alt);
  for (size_t i = 0; i < g->n; i++) {
    if (i == k) continue;
    const sy_ai_entry *e = sy_ai_lookup(g->ais[i].ai);
    if (!e || !(e->dl_attr || is_qualifier(alt, e->ai))) return 0;
  }
  return 1;
}

int sy_gs1_finish(sy_gs1 *g, int key_first, char *err, size_t errlen) {
  if (g->n == 0) return sy_ident_fail(err, errlen, "no application identifiers");
  for (size_t i = 0; i < g->n; i++) {
    int rc = sy_gs1_ai_validate(g->ais[i].ai, g->ais[i].value, err, errlen);
    if (rc) return rc;
  }
  for (size_t i = 0; i < g->n; i++) {
    const sy_ai_entry *e = sy_ai_lookup(g->ais[i].ai);
    int rc = check_req(g, e, err, errlen);
    if (!rc) rc = check_ex(g, e, err, errlen);
    if (rc) return rc;
  }
  size_t key = SIZE_MAX;
  if (key_first) {
    key = 0;
  } else {
    for (size_t i = 0; i < g->n; i++) {
      const sy_ai_entry *e = sy_ai_lookup(g->ais[i].ai);
      if (!e->dlpkey) continue;
      if (key == SIZE_MAX) key = i;
      if (key_fits(g, i)) {
        key = i;
        break;
      }
    }
  }
  const sy_ai_entry *ke = sy_ai_lookup(g->ais[key == SIZE_MAX ? 0 : key].ai);
  if (key == SIZE_MAX || !ke->dlpkey)
    return sy_ident_fail(err, errlen,
                         "no GS1 identification key (a Digital Link primary key such as (01) GTIN, "
                         "(00) SSCC, (414) GLN) among the application identifiers");
  /* key, its qualifiers in dictionary order, then the rest as given */
  char alt[64];
  sy_gs1_best_alt(ke, g, alt, sizeof alt);
  sy_gs1 o;
  memset(&o, 0, sizeof o);
  o.ais[o.n++] = g->ais[key];
  const char *p = alt;
  while (*p) {
    size_t len = strcspn(p, ",");
    for (size_t i = 0; i < g->n; i++)
      if (i != key && strlen(g->ais[i].ai) == len && memcmp(g->ais[i].ai, p, len) == 0)
        o.ais[o.n++] = g->ais[i];
    p += len;
    if (*p == ',') p++;
  }
  for (size_t i = 0; i < g->n; i++)
    if (i != key && !is_qualifier(alt, g->ais[i].ai)) o.ais[o.n++] = g->ais[i];
  *g = o;
  return SY_OK;
}

int sy_gs1_check_struct(const sy_gs1 *g, char *err, size_t errlen) {
  if (!g || g->n == 0 || g->n > SY_GS1_MAX_AIS)
    return sy_ident_fail(err, errlen, "no application identifiers");
  for (size_t i = 0; i < g->n; i++) {
    if (!memchr(g->ais[i].ai, 0, sizeof g->ais[i].ai) ||
        !memchr(g->ais[i].value, 0, sizeof g->ais[i].value))
      return sy_ident_fail(err, errlen, "unterminated AI or value");
    int rc = sy_gs1_ai_validate(g->ais[i].ai, g->ais[i].value, err, errlen);
    if (rc) return rc;
  }
  return SY_OK;
}

/* ---- element strings --------------------------------------------------------------- */
#define GS 0x1D

static int parse_bracketed(const char *s, sy_gs1 *g, char *err, size_t errlen) {
  const char *p = s;
  while (*p) {
    if (*p != '(')
      return sy_ident_fail(err, errlen, "expected '(' at position %zu", (size_t)(p - s) + 1);
    const char *close = strchr(p, ')');
    size_t alen = close ? (size_t)(close - p - 1) : 0;
    if (!close || alen < 2 || alen > 4 || !sy_ident_all_digits(p + 1, alen))
      return sy_ident_fail(err, errlen, "bad application identifier at position %zu",
                           (size_t)(p - s) + 1);
    char ai[5];
    memcpy(ai, p + 1, alen);
    ai[alen] = 0;
    if (!sy_ai_lookup(ai))
      return sy_ident_fail(err, errlen, "unknown application identifier (%s)", ai);
    p = close + 1;
    char val[SY_GS1_AI_VALUE_MAX + 1];
    size_t vlen = 0;
    for (;;) {
      if (!*p) break;
      if (p[0] == '\\' && p[1] == '(') { /* escaped literal '(' */
        if (vlen >= SY_GS1_AI_VALUE_MAX) goto toolong;
        val[vlen++] = '(';
        p += 2;
        continue;
      }
      if (p[0] == '(') { /* a new "(AI)" starts here, else a literal '(' */
        const char *c2 = strchr(p, ')');
        size_t l2 = c2 ? (size_t)(c2 - p - 1) : 0;
        char a2[5];
        if (c2 && l2 >= 2 && l2 <= 4 && sy_ident_all_digits(p + 1, l2)) {
          memcpy(a2, p + 1, l2);
          a2[l2] = 0;
          if (sy_ai_lookup(a2)) break;
        }
      }
      if (vlen >= SY_GS1_AI_VALUE_MAX) goto toolong;
      val[vlen++] = *p++;
    }
    int rc = sy_gs1_append(g, ai, val, vlen, err, errlen);
    if (rc) return rc;
    continue;
  toolong:
    return sy_ident_fail(err, errlen, "AI (%s) value is longer than %d characters", ai,
                         SY_GS1_AI_VALUE_MAX);
  }
  return SY_OK;
}

static int is_fnc1(char c) {
  return c == GS || c == '^';
}

static int parse_unbracketed(const char *s, sy_gs1 *g, char *err, size_t errlen) {
  const char *p = s;
  while (*p) {
    if (is_fnc1(*p)) {
      p++;
      continue;
    }
    size_t alen = 0;
    const sy_ai_entry *e = sy_ai_lookup_prefix(p, &alen);
    if (!e)
      return sy_ident_fail(err, errlen,
                           "no known application identifier at position %zu (\"%.4s\")",
                           (size_t)(p - s) + 1, p);
    p += alen;
    size_t vlen;
    if (e->fixed) {
      vlen = spec_max(e);
      size_t have = strcspn(p, "\x1d^");
      if (have < vlen)
        return sy_ident_fail(err, errlen, "AI (%s) %s needs %zu characters, has %zu", e->ai,
                             e->title, vlen, have);
    } else {
      vlen = strcspn(p, "\x1d^");
      if (vlen > spec_max(e))
        return sy_ident_fail(err, errlen,
                             "AI (%s) %s is longer than %zu characters (missing FNC1 separator?)",
                             e->ai, e->title, spec_max(e));
    }
    int rc = sy_gs1_append(g, e->ai, p, vlen, err, errlen);
    if (rc) return rc;
    p += vlen;
  }
  return SY_OK;
}

/* Symbology identifiers of GS1 data carriers (ISO/IEC 15424). */
static const char *const GS1_SYMIDS[] = {"]C1", "]e0", "]d2", "]Q3", "]J1"};

int sy_gs1_parse_element_string(const char *s, sy_gs1 *out, char *err, size_t errlen) {
  sy_gs1 g;
  memset(&g, 0, sizeof g);
  if (out) memset(out, 0, sizeof *out);
  if (!s || !out) return sy_ident_fail(err, errlen, "no element string");
  if (strlen(s) > 4096) return sy_ident_fail(err, errlen, "element string too long");
  if (s[0] == ']') {
    size_t i;
    for (i = 0; i < sizeof GS1_SYMIDS / sizeof GS1_SYMIDS[0]; i++)
      if (strncmp(s, GS1_SYMIDS[i], 3) == 0) break;
    if (i == sizeof GS1_SYMIDS / sizeof GS1_SYMIDS[0])
      return sy_ident_fail(
          err, errlen, "symbology identifier \"%.3s\" does not announce GS1 element strings", s);
    s += 3;
  }
  while (is_fnc1(*s)) s++;
  if (!*s) return sy_ident_fail(err, errlen, "empty element string");
  int rc =
      s[0] == '(' ? parse_bracketed(s, &g, err, errlen) : parse_unbracketed(s, &g, err, errlen);
  if (!rc) rc = sy_gs1_finish(&g, 0, err, errlen);
  if (rc) return rc;
  *out = g;
  return SY_OK;
}

static int put(char *out, size_t size, size_t *len, const char *s, size_t n) {
  if (*len + n + 1 > size) return SY_ETOOBIG;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = 0;
  return SY_OK;
}

int sy_gs1_to_element_string(const sy_gs1 *g, char *out, size_t size) {
  if (!out || size == 0) return SY_ETOOBIG;
  out[0] = 0;
  if (sy_gs1_check_struct(g, NULL, 0)) return SY_EINVAL;
  size_t len = 0;
  for (size_t i = 0; i < g->n; i++) {
    int rc = put(out, size, &len, "(", 1);
    if (!rc) rc = put(out, size, &len, g->ais[i].ai, strlen(g->ais[i].ai));
    if (!rc) rc = put(out, size, &len, ")", 1);
    for (const char *v = g->ais[i].value; !rc && *v; v++)
      rc = *v == '(' ? put(out, size, &len, "\\(", 2) : put(out, size, &len, v, 1);
    if (rc) {
      out[0] = 0;
      return rc;
    }
  }
  return SY_OK;
}

int sy_gs1_to_barcode_data(const sy_gs1 *g, char fnc1, char *out, size_t size) {
  if (!out || size == 0) return SY_ETOOBIG;
  out[0] = 0;
  if (sy_gs1_check_struct(g, NULL, 0)) return SY_EINVAL;
  size_t len = 0;
  for (size_t i = 0; i < g->n; i++) {
    const sy_ai_entry *e = sy_ai_lookup(g->ais[i].ai);
    int rc = put(out, size, &len, g->ais[i].ai, strlen(g->ais[i].ai));
    if (!rc) rc = put(out, size, &len, g->ais[i].value, strlen(g->ais[i].value));
    if (!rc && !e->fixed && i + 1 < g->n) rc = put(out, size, &len, &fnc1, 1);
    if (rc) {
      out[0] = 0;
      return rc;
    }
  }
  return SY_OK;
}

/* ---- any form ------------------------------------------------------------------------ */
int sy_gs1_parse_any(const char *s, sy_gs1 *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!s || !out) return sy_ident_fail(err, errlen, "no identifier");
  char buf[4097];
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  if (n == 0) return sy_ident_fail(err, errlen, "empty identifier");
  if (n >= sizeof buf) return sy_ident_fail(err, errlen, "identifier too long");
  memcpy(buf, s, n);
  buf[n] = 0;
  const char *b = buf;
  /* a non-GS1 symbology id (QR model 1/2 "]Q1", Data Matrix "]d1") carries a
   * URL; the GS1 ones carry an element string */
  if (b[0] == ']' && n >= 3 &&
      (strncmp(b, "]Q1", 3) == 0 || strncmp(b, "]d1", 3) == 0 || strncmp(b, "]Q0", 3) == 0))
    b += 3;
  if (strncasecmp(b, "urn:", 4) == 0) return sy_gs1_from_epc_urn(b, out, err, errlen);
  if (strncasecmp(b, "http://", 7) == 0 || strncasecmp(b, "https://", 8) == 0 || b[0] == '/')
    return sy_gs1_parse_dl(b, out, err, errlen);
  size_t bl = strlen(b);
  if (sy_ident_all_digits(b, bl) && (bl == 8 || bl == 12 || bl == 13 || bl == 14)) {
    char gtin[15];
    int rc = sy_gtin_normalise(b, gtin, err, errlen);
    if (rc) return rc;
    sy_gs1 g;
    memset(&g, 0, sizeof g);
    rc = sy_gs1_append(&g, "01", gtin, 14, err, errlen);
    if (!rc) rc = sy_gs1_finish(&g, 1, err, errlen);
    if (!rc) *out = g;
    return rc;
  }
  if (b[0] == '(' || b[0] == ']' || is_fnc1(b[0]) || isdigit((unsigned char)b[0]))
    return sy_gs1_parse_element_string(b, out, err, errlen);
  return sy_ident_fail(err, errlen,
                       "not a GS1 identifier: expected an element string, a Digital Link URI, an "
                       "EPC URN or a GTIN");
}
