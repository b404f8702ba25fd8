/* EPCIS 2.0 JSON / JSON-LD validation; see epcis_validate.h and
 * docs/epcis-validation.md.
 *
 * The rules are derived from the inlined draft-07 schema
 * (gs1/EPCIS EPCIS-JSON-Schema.json, definitions named in comments as
 * "schema: <definition>") plus what the schema leaves to "format" checks
 * (date-time, uri) and the EPCIS/CBV/TDS/Digital Link standards it points
 * at. Shape of the code: one checker per schema definition, each called
 * with the JSON path already pointing at the value it checks.
 *
 * Hostile input: the only recursion is into extension values and @context
 * (both depth-bounded: MAX_EXT_DEPTH, MAX_CTX_DEPTH; cJSON_Compare, used on
 * repeated keys and @context entries, recurses no deeper than cJSON's own
 * parser did); everything else follows the fixed shape of the schema. The
 * JSON path lives in a fixed buffer. Repeated-key and unique-item checks
 * sort a temporary index (O(n log n)), freed before returning. */
#include "epcis/epcis_validate.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "epcis/cbv.h"

#define PATH_CAP 512       /* working JSON path; deeper parts are elided */
#define MAX_EXT_DEPTH 32   /* nesting inside an extension value / ilmd */
#define MAX_CTX_DEPTH 10   /* nesting inside one @context value */
#define MAX_CTX_NODES 4096 /* JSON nodes in one @context value */
#define MAX_CTX_ITEMS 64   /* entries of an @context array */
#define MAX_SCOPES 16      /* nested @context scopes in force at once */
#define ECHO_MAX 60        /* bytes of input echoed into a detail */
#define SMALL_N 16         /* sort indexes up to this size live on the stack */

/* ------------------------------------------------------------------ */
/* validation context                                                  */

typedef struct vctx {
  sy_epcis_error *errs;
  size_t max, n;
  int event_index;
  int failed; /* at least one error */
  int stop;   /* the error array is full: unwind */
  int oom;
  char path[PATH_CAP];
  size_t plen;
  int hidden;                      /* segments pushed while the path buffer was full */
  const cJSON *scopes[MAX_SCOPES]; /* @context values in force */
  int nscopes;
  /* prefixes found declared, valid while scope_gen is unchanged: a lookup
   * walks every context in force, and a hostile document may use the
   * same prefix on every one of many thousands of keys */
  unsigned scope_gen;
  struct {
    char prefix[32];
    unsigned gen;
  } known[8];
  unsigned known_next;
} vctx;

#define HIDDEN_MARK ((size_t)-1)

/* Printable, truncated copy of hostile input for a detail message. */
static const char *echo(const char *s, char *buf, size_t cap) {
  size_t i = 0, o = 0;
  if (!s) s = "(null)";
  for (; s[i] && o + 1 < cap && i < ECHO_MAX; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
  }
  if (s[i] && cap > o + 3) {
    buf[o++] = '.';
    buf[o++] = '.';
    buf[o++] = '.';
  }
  buf[o < cap ? o : cap - 1] = '\0';
  return buf;
}
#define ECHO_BUF 72

/* cJSON gives every parsed object member a key; a tree built by hand might
 * not. */
static const char *key_of(const cJSON *c) { return c->string ? c->string : ""; }

static int plain_key_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == ':' || c == '@' || c == '$';
}

static size_t path_append(vctx *v, const char *seg, size_t len) {
  if (v->hidden || v->plen + len + 1 > PATH_CAP) {
    v->hidden++;
    return HIDDEN_MARK;
  }
  size_t mark = v->plen;
  memcpy(v->path + v->plen, seg, len);
  v->plen += len;
  v->path[v->plen] = '\0';
  return mark;
}

/* Pushes ".key" (or "key" at the root, or ["k?y"] for keys that are not
 * plain names); returns the mark for path_pop. */
static size_t push_key(vctx *v, const char *key) {
  char seg[80];
  size_t n = 0, len = key ? strlen(key) : 0;
  int plain = len > 0 && len <= 64;
  for (size_t i = 0; plain && i < len; i++) plain = plain_key_char((unsigned char)key[i]);
  if (plain) {
    if (v->plen > 0 || v->hidden) seg[n++] = '.';
    memcpy(seg + n, key, len);
    n += len;
  } else {
    seg[n++] = '[';
    seg[n++] = '"';
    for (size_t i = 0; i < len && i < 48; i++) {
      unsigned char c = (unsigned char)key[i];
      seg[n++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
    }
    if (len > 48) {
      memcpy(seg + n, "...", 3);
      n += 3;
    }
    seg[n++] = '"';
    seg[n++] = ']';
  }
  return path_append(v, seg, n);
}

static size_t push_idx(vctx *v, size_t i) {
  char seg[32];
  int n = snprintf(seg, sizeof seg, "[%zu]", i);
  return path_append(v, seg, (size_t)n);
}

static void path_pop(vctx *v, size_t mark) {
  if (mark == HIDDEN_MARK) {
    v->hidden--;
    return;
  }
  v->plen = mark;
  v->path[mark] = '\0';
}

/* Records an error at the current path (+ ".sub" when sub is given). */
static void verr(vctx *v, const char *sub, const char *fmt, va_list ap) {
  v->failed = 1;
  if (v->n < v->max && v->errs) {
    sy_epcis_error *e = &v->errs[v->n];
    char full[PATH_CAP + 96];
    size_t fl = 0;
    memcpy(full, v->path, v->plen);
    fl = v->plen;
    if (v->hidden) {
      memcpy(full + fl, ".(...)", 6);
      fl += 6;
    }
    if (sub) {
      if (fl) full[fl++] = '.';
      size_t sl = strlen(sub);
      if (sl > 80) sl = 80;
      memcpy(full + fl, sub, sl);
      fl += sl;
    }
    full[fl] = '\0';
    if (fl == 0) {
      memcpy(e->field, "$", 2);
    } else if (fl < sizeof e->field) {
      memcpy(e->field, full, fl + 1);
    } else { /* head (which event) ... tail (which member) */
      const size_t head = 40, tail = sizeof e->field - head - 4;
      memcpy(e->field, full, head);
      memcpy(e->field + head, "...", 3);
      memcpy(e->field + head + 3, full + fl - tail, tail + 1);
    }
    e->event_index = v->event_index;
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  }
  v->n++;
  if (v->n >= v->max) v->stop = 1;
  if (v->n > v->max) v->n = v->max;
}

__attribute__((format(printf, 2, 3))) static void fail(vctx *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(v, NULL, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void fail_at(vctx *v, const char *sub, const char *fmt,
                                                          ...) {
  va_list ap;
  va_start(ap, fmt);
  verr(v, sub, fmt, ap);
  va_end(ap);
}

static const char *json_type_name(const cJSON *it) {
  if (cJSON_IsString(it)) return "a string";
  if (cJSON_IsNumber(it)) return "a number";
  if (cJSON_IsBool(it)) return "a boolean";
  if (cJSON_IsNull(it)) return "null";
  if (cJSON_IsArray(it)) return "an array";
  if (cJSON_IsObject(it)) return "an object";
  return "invalid JSON";
}

/* ------------------------------------------------------------------ */
/* character-level helpers                                             */

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hexval(int c) {
  return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}

static int all_digits(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_digit((unsigned char)p[i])) return 0;
  return 1;
}

static int has_prefix(const char *s, const char *pre) { return strncmp(s, pre, strlen(pre)) == 0; }

static int has_prefix_ci(const char *s, const char *pre) {
  for (; *pre; s++, pre++) {
    int a = (unsigned char)*s, b = (unsigned char)*pre;
    if (a >= 'A' && a <= 'Z') a += 32;
    if (a != b) return 0;
  }
  return 1;
}

/* Length of one well-formed UTF-8 sequence at p (1..4), 0 when malformed
 * (overlong, surrogate, > U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *p) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
    if (c == 0xed && p[1] >= 0xa0) return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;
    if (c == 0xf4 && p[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

static int utf8_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = utf8_seq(p);
    if (!n) return 0;
    p += n;
  }
  return 1;
}

/* Length of a URI scheme followed by ':' at the start of s (so the ':' is
 * at s[len]); 0 when s does not start with "[A-Za-z][A-Za-z0-9+.-]*:". */
static size_t scheme_len(const char *s) {
  size_t i = 0;
  if (!is_alpha((unsigned char)s[0])) return 0;
  for (i = 1; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ':') return i;
    if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '.' || c == '-')) return 0;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* RFC 3339 date-time                                                  */

static int num2(const char *p, int *out) {
  if (!is_digit((unsigned char)p[0]) || !is_digit((unsigned char)p[1])) return 0;
  *out = (p[0] - '0') * 10 + (p[1] - '0');
  return 1;
}

static const char *time_problem(const char *s) {
  static const char *const shape =
      "is not an RFC 3339 date-time YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)";
  int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
  const char *p = s;
  if (!all_digits(p, 4)) return shape; /* stops at the NUL of a short string */
  y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  p += 4;
  if (*p++ != '-' || !num2(p, &mo)) return shape;
  p += 2;
  if (*p++ != '-' || !num2(p, &d)) return shape;
  p += 2;
  if (*p == '\0') return "is a date without a time (a date-time with offset is required)";
  if (*p != 'T' && *p != 't') return shape;
  p++;
  if (!num2(p, &h)) return shape;
  p += 2;
  if (*p++ != ':' || !num2(p, &mi)) return shape;
  p += 2;
  if (*p++ != ':' || !num2(p, &se)) return shape;
  p += 2;
  if (*p == '.') {
    p++;
    if (!is_digit((unsigned char)*p)) return "has a '.' not followed by fraction digits";
    while (is_digit((unsigned char)*p)) p++;
  }
  if (*p == '\0') return "has no time-zone offset (append Z or +hh:mm / -hh:mm)";
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p == '+' ? 1 : -1;
    p++;
    if (!num2(p, &oh) || p[2] != ':' || !num2(p + 3, &om))
      return "has a malformed time-zone offset (expected Z or +hh:mm / -hh:mm)";
    p += 5;
  } else {
    return shape;
  }
  if (*p != '\0') return "has trailing characters after the time-zone offset";
  if (mo < 1 || mo > 12) return "has a month out of range 01-12";
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int dmax = (mo == 2 && !leap) ? 28 : mdays[mo - 1];
  if (d < 1 || d > dmax) return "has a day out of range for its month";
  if (h > 23) return "has an hour out of range 00-23";
  if (mi > 59) return "has a minute out of range 00-59";
  if (oh > 23 || om > 59) return "has a time-zone offset out of range";
  if (se > 60) return "has a second out of range 00-60";
  if (se == 60) { /* RFC 3339 5.7: a leap second is 23:59:60 in UTC */
    int utc = ((h * 60 + mi - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
    if (utc != 23 * 60 + 59) return "has second 60 at a time that is not 23:59 UTC";
  }
  return NULL;
}

/* schema: Event.eventTimeZoneOffset ^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$ */
static int tz_offset_ok(const char *s) {
  if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':') return 0;
  if (!all_digits(s + 1, 2) || !all_digits(s + 4, 2)) return 0;
  int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (h == 14) return m == 0;
  return h <= 13 && m <= 59;
}

/* ------------------------------------------------------------------ */
/* EPC URNs (GS1 Tag Data Standard 2.0, pure identity / class / pattern) */

enum {
  K_CP = 1, /* GS1 company prefix: 6-12 digits */
  K_REF,    /* digits; with the company prefix makes `total` digits */
  K_SER,    /* GS3A3 component, 1..max characters */
  K_NUM,    /* digits, 1..max */
  K_N2,     /* exactly 2 digits */
  K_CPIREF, /* CPI component/part ref (0-9 A-Z - %23 %2F); cp + ref <= maxtot */
  K_FREE,   /* GS3A3, 1..(maxtot - cp length) */
  K_INT,    /* decimal integer without leading zero, 1..max digits */
  K_LAX,    /* GS3A3, 0..max (non-GS1 schemes) */
  K_CAGE,   /* 5-6 upper-case letters / digits */
  K_BIC,    /* BIC container code: 4 letters + 7 digits */
  K_IMO     /* IMO vessel number: 7 digits */
};

typedef struct epc_scheme {
  const char *name;
  unsigned char n;       /* components */
  unsigned char kind[5]; /* K_* per component */
  unsigned char max[5];  /* length limits where the kind needs one */
  unsigned char total;   /* digits of cp + ref (K_REF) */
  unsigned char maxtot;  /* characters of cp + ref (K_CPIREF, K_FREE) */
} epc_scheme;

static const epc_scheme EPC_ID[] = {
    {"sgtin", 3, {K_CP, K_REF, K_SER}, {0, 0, 20}, 13, 0},
    {"sscc", 2, {K_CP, K_REF}, {0}, 17, 0},
    {"sgln", 3, {K_CP, K_REF, K_SER}, {0, 0, 20}, 12, 0},
    {"grai", 3, {K_CP, K_REF, K_SER}, {0, 0, 16}, 12, 0},
    {"giai", 2, {K_CP, K_FREE}, {0}, 0, 30},
    {"gsrn", 2, {K_CP, K_REF}, {0}, 17, 0},
    {"gsrnp", 2, {K_CP, K_REF}, {0}, 17, 0},
    {"gdti", 3, {K_CP, K_REF, K_SER}, {0, 0, 17}, 12, 0},
    {"cpi", 3, {K_CP, K_CPIREF, K_NUM}, {0, 0, 12}, 0, 30},
    {"sgcn", 3, {K_CP, K_REF, K_NUM}, {0, 0, 12}, 12, 0},
    {"ginc", 2, {K_CP, K_FREE}, {0}, 0, 30},
    {"gsin", 2, {K_CP, K_REF}, {0}, 16, 0},
    {"itip", 5, {K_CP, K_REF, K_N2, K_N2, K_SER}, {0, 0, 0, 0, 20}, 13, 0},
    {"upui", 3, {K_CP, K_REF, K_SER}, {0, 0, 28}, 13, 0},
    {"pgln", 2, {K_CP, K_REF}, {0}, 12, 0},
    {"gid", 3, {K_INT, K_INT, K_INT}, {9, 8, 11}, 0, 0},
    {"usdod", 2, {K_CAGE, K_LAX}, {0, 30}, 0, 0},
    {"adi", 3, {K_CAGE, K_LAX, K_LAX}, {0, 32, 30}, 0, 0},
    {"bic", 1, {K_BIC}, {0}, 0, 0},
    {"imovn", 1, {K_IMO}, {0}, 0, 0},
};

static const epc_scheme EPC_CLASS[] = {
    {"lgtin", 3, {K_CP, K_REF, K_SER}, {0, 0, 20}, 13, 0},
};

/* GS3A3 character (TDS 2.0 section 5) or, with cpi set, the CPI set.
 * Returns the number of input bytes consumed (1 or 3), 0 when invalid. */
static size_t gs3a3_char(const char *p, int cpi) {
  unsigned char c = (unsigned char)p[0];
  if (c == '%') {
    if (!is_hex((unsigned char)p[1]) || !is_hex((unsigned char)p[2])) return 0;
    int x = hexval((unsigned char)p[1]) * 16 + hexval((unsigned char)p[2]);
    if (cpi) return (x == '#' || x == '/') ? 3 : 0;
    return (x == '"' || x == '%' || x == '&' || x == '/' || x == '<' || x == '>' || x == '?') ? 3
                                                                                              : 0;
  }
  if (is_digit(c) || is_upper(c) || c == '-') return 1;
  if (cpi) return 0;
  if (c >= 'a' && c <= 'z') return 1;
  return strchr("!'()*+,.:;=_", c) && c ? 1 : 0;
}

/* Counts the characters of a GS3A3 (or CPI) component of n bytes; -1 when
 * it holds a character outside the set or a bad escape. */
static long gs3a3_count(const char *p, size_t n, int cpi) {
  long count = 0;
  size_t i = 0;
  while (i < n) {
    if (p[i] == '%' && i + 2 >= n) return -1;
    size_t k = gs3a3_char(p + i, cpi);
    if (!k) return -1;
    i += k;
    count++;
  }
  return count;
}

static const char *epc_component(const epc_scheme *sc, int i, const char *p, size_t n,
                                 size_t cplen) {
  unsigned max = sc->max[i];
  long c;
  switch (sc->kind[i]) {
  case K_CP:
    if (n < 6 || n > 12 || !all_digits(p, n)) return "company prefix must be 6 to 12 digits";
    return NULL;
  case K_REF:
    if (!all_digits(p, n)) return "reference must be digits";
    if (cplen + n != sc->total)
      return "company prefix and reference have the wrong number of digits";
    return NULL;
  case K_SER:
    c = gs3a3_count(p, n, 0);
    if (c < 0)
      return "serial/extension holds a character outside the GS1 set (escape \" % & / < > ? as "
             "%HH)";
    if (c < 1 || (unsigned long)c > max) return "serial/extension is empty or too long";
    return NULL;
  case K_NUM:
    if (n < 1 || n > max || !all_digits(p, n)) return "serial must be digits and not too long";
    return NULL;
  case K_N2:
    if (n != 2 || !all_digits(p, 2)) return "piece and total must be 2 digits each";
    return NULL;
  case K_CPIREF:
    c = gs3a3_count(p, n, 1);
    if (c < 1) return "component/part reference must be 0-9 A-Z - %23 %2F";
    if (cplen + (size_t)c > sc->maxtot) return "company prefix and reference are too long";
    return NULL;
  case K_FREE:
    c = gs3a3_count(p, n, 0);
    if (c < 1) return "reference is empty or holds a character outside the GS1 set";
    if (cplen + (size_t)c > sc->maxtot) return "company prefix and reference are too long";
    return NULL;
  case K_INT:
    if (n < 1 || n > max || !all_digits(p, n) || (n > 1 && p[0] == '0'))
      return "component must be a decimal integer without leading zeros";
    return NULL;
  case K_LAX:
    c = gs3a3_count(p, n, 0);
    if (c < 0 || (unsigned long)c > max)
      return "component holds a character outside the allowed set";
    return NULL;
  case K_CAGE:
    if (n < 5 || n > 6) return "CAGE/DoDAAC code must be 5-6 characters";
    for (size_t k = 0; k < n; k++)
      if (!is_upper((unsigned char)p[k]) && !is_digit((unsigned char)p[k]))
        return "CAGE/DoDAAC code must be upper-case letters and digits";
    return NULL;
  case K_BIC:
    if (n != 11 || !is_upper((unsigned char)p[0]) || !is_upper((unsigned char)p[1]) ||
        !is_upper((unsigned char)p[2]) || !is_upper((unsigned char)p[3]) || !all_digits(p + 4, 7))
      return "BIC container code must be 4 letters and 7 digits";
    return NULL;
  case K_IMO:
    if (n != 7 || !all_digits(p, 7)) return "IMO vessel number must be 7 digits";
    return NULL;
  default:
    return "internal: unknown component kind";
  }
}

/* Validates the body after "urn:epc:<ns>:<scheme>:". With pat, trailing
 * components may be "*" (once one is, all later ones must be). */
static const char *epc_body(const epc_scheme *sc, const char *body, int pat) {
  const char *parts[5];
  size_t lens[5];
  const char *p = body;
  for (int i = 0; i < sc->n; i++) {
    parts[i] = p;
    if (i == sc->n - 1) { /* the last component takes the rest (may hold '.') */
      lens[i] = strlen(p);
      break;
    }
    const char *dot = strchr(p, '.');
    if (!dot) return "has too few '.'-separated components for its scheme";
    lens[i] = (size_t)(dot - p);
    p = dot + 1;
  }
  int star_from = sc->n;
  if (pat) {
    for (int i = 0; i < sc->n; i++)
      if (lens[i] == 1 && parts[i][0] == '*') {
        star_from = i;
        break;
      }
    for (int i = star_from; i < sc->n; i++)
      if (!(lens[i] == 1 && parts[i][0] == '*'))
        return "pattern has a concrete component after a '*'";
  }
  size_t cplen = 0;
  for (int i = 0; i < star_from; i++) {
    if (sc->kind[i] == K_CP) cplen = lens[i];
    const char *why = epc_component(sc, i, parts[i], lens[i], cplen);
    if (why) return why;
  }
  return NULL;
}

static const char *epc_problem(const char *s) {
  const epc_scheme *table;
  size_t count;
  int pat = 0;
  const char *p;
  if (!has_prefix(s, "urn:epc:")) return "EPC URNs are written in lower case 'urn:epc:...'";
  p = s + 8;
  if (has_prefix(p, "id:")) {
    table = EPC_ID, count = sizeof EPC_ID / sizeof EPC_ID[0], p += 3;
  } else if (has_prefix(p, "idpat:")) {
    table = EPC_ID, count = sizeof EPC_ID / sizeof EPC_ID[0], p += 6, pat = 1;
  } else if (has_prefix(p, "class:")) {
    table = EPC_CLASS, count = sizeof EPC_CLASS / sizeof EPC_CLASS[0], p += 6;
  } else if (has_prefix(p, "tag:") || has_prefix(p, "raw:") || has_prefix(p, "pat:")) {
    return "is an RFID tag encoding, not an identifier (EPCIS uses pure identity "
           "URNs urn:epc:id:...)";
  } else {
    return "has an unknown EPC URN namespace (expected urn:epc:id:, urn:epc:class: or "
           "urn:epc:idpat:)";
  }
  const char *colon = strchr(p, ':');
  if (!colon) return "has no EPC scheme (e.g. urn:epc:id:sgtin:...)";
  size_t nl = (size_t)(colon - p);
  for (size_t i = 0; i < count; i++)
    if (strlen(table[i].name) == nl && memcmp(table[i].name, p, nl) == 0)
      return epc_body(&table[i], colon + 1, pat);
  return "has an unknown EPC scheme";
}

/* ------------------------------------------------------------------ */
/* generic URI syntax                                                  */

static const char *uri_problem(const char *s) {
  size_t sl = scheme_len(s);
  if (sl == 0) return "is not a URI (no 'scheme:' prefix)";
  const unsigned char *p = (const unsigned char *)s + sl + 1;
  if (*p == '\0') return "is not a URI (nothing after the scheme)";
  while (*p) {
    unsigned char c = *p;
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    if (c == ' ') return "contains a space";
    if (c == '%') {
      if (!is_hex(p[1]) || !is_hex(p[2])) return "contains a '%' not followed by two hex digits";
      p += 3;
      continue;
    }
    if (c >= 0x80) { /* IRI: well-formed UTF-8, no C1 controls */
      size_t n = utf8_seq(p);
      if (!n) return "is not well-formed UTF-8";
      if (n == 2 && c == 0xc2 && p[1] < 0xa0) return "contains a control character";
      p += n;
      continue;
    }
    if (strchr("\"<>\\^`{|}", c)) return "contains a character not allowed in a URI";
    p++;
  }
  if (has_prefix_ci(s, "urn:epc:")) return epc_problem(s);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* GS1 Digital Link URIs                                               */

static int gs1_check_digit_ok(const char *d, size_t n) {
  int sum = 0;
  for (size_t i = 0; i + 1 < n; i++) { /* weights 3,1,3,... from the right */
    int w = ((n - 2 - i) % 2 == 0) ? 3 : 1;
    sum += (d[i] - '0') * w;
  }
  return (10 - sum % 10) % 10 == d[n - 1] - '0';
}

/* GS1 AI encodable character set 82 */
static int cs82(unsigned char c) {
  return is_alpha(c) || is_digit(c) || (c && strchr("!\"%&'()*+,-./:;<=>?_", c));
}
static int cs39(unsigned char c) {
  return is_upper(c) || is_digit(c) || c == '#' || c == '-' || c == '/';
}

/* Percent-decodes a path segment into out; returns the decoded length or
 * -1 on a bad escape or overflow. */
static long dl_decode(const char *p, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (o + 1 >= cap) return -1;
    if (c == '%') {
      if (i + 2 >= n || !is_hex((unsigned char)p[i + 1]) || !is_hex((unsigned char)p[i + 2]))
        return -1;
      out[o++] = (char)(hexval((unsigned char)p[i + 1]) * 16 + hexval((unsigned char)p[i + 2]));
      i += 2;
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = '\0';
  return (long)o;
}

enum { F_N = 1, F_GTIN, F_X, F_X4, F_NV, F_GRAI, F_GDTI, F_GCN, F_ITIP, F_CPID };

typedef struct dl_ai {
  const char *ai, *alias;
  unsigned char fmt, len; /* F_N: fixed digits + check digit; F_X/F_NV: max */
  const char *quals;      /* allowed qualifier AIs, space-separated */
} dl_ai;

static const dl_ai DL_KEYS[] = {
    {"00", "sscc", F_N, 18, ""},
    {"01", "gtin", F_GTIN, 14, "22 10 21 235"},
    {"253", "gdti", F_GDTI, 0, ""},
    {"255", "gcn", F_GCN, 0, ""},
    {"401", "ginc", F_X, 30, ""},
    {"402", "gsin", F_N, 17, ""},
    {"414", "gln", F_N, 13, "254 7040"},
    {"417", "party", F_N, 13, "7040"},
    {"8003", "grai", F_GRAI, 0, ""},
    {"8004", "giai", F_X, 30, "7040"},
    {"8006", "itip", F_ITIP, 0, "22 10 21"},
    {"8010", "cpid", F_CPID, 30, "8011"},
    {"8013", "gmn", F_X, 25, ""},
    {"8017", "gsrnp", F_N, 18, "8019"},
    {"8018", "gsrn", F_N, 18, "8019"},
};

static const dl_ai DL_QUALS[] = {
    {"22", "cpv", F_X, 20, ""},     {"10", "lot", F_X, 20, ""},     {"21", "ser", F_X, 20, ""},
    {"235", "tpx", F_X, 28, ""},    {"254", "glnx", F_X, 20, ""},   {"7040", "uic", F_X4, 4, ""},
    {"8011", "cpsn", F_NV, 12, ""}, {"8019", "srin", F_NV, 10, ""},
};

static const dl_ai *dl_find(const dl_ai *t, size_t count, const char *seg, size_t n) {
  for (size_t i = 0; i < count; i++) {
    if ((strlen(t[i].ai) == n && memcmp(t[i].ai, seg, n) == 0) ||
        (strlen(t[i].alias) == n && memcmp(t[i].alias, seg, n) == 0))
      return &t[i];
  }
  return NULL;
}

static const char *dl_value(const dl_ai *a, const char *raw, size_t rawn) {
  char d[128];
  long n = dl_decode(raw, rawn, d, sizeof d);
  if (n < 0) return "has a bad %-escape or an over-long value";
  if (n == 0) return "has an empty GS1 key or qualifier value";
  size_t un = (size_t)n;
  switch (a->fmt) {
  case F_N:
    if (un != a->len || !all_digits(d, un)) return "has a GS1 key with the wrong number of digits";
    if (!gs1_check_digit_ok(d, un)) return "has a GS1 key with a wrong check digit";
    return NULL;
  case F_GTIN:
    if ((un != 8 && un != 12 && un != 13 && un != 14) || !all_digits(d, un))
      return "has a GTIN that is not 8, 12, 13 or 14 digits";
    if (!gs1_check_digit_ok(d, un)) return "has a GTIN with a wrong check digit";
    return NULL;
  case F_NV:
    if (un > a->len || !all_digits(d, un)) return "has a numeric qualifier that is not 1-n digits";
    return NULL;
  case F_X:
  case F_X4:
    if (un > a->len || (a->fmt == F_X4 && un != 4)) return "has a value that is too long";
    for (size_t i = 0; i < un; i++)
      if (!cs82((unsigned char)d[i])) return "has a character outside the GS1 character set";
    return NULL;
  case F_CPID:
    if (un > a->len) return "has a value that is too long";
    for (size_t i = 0; i < un; i++)
      if (!cs39((unsigned char)d[i])) return "has a CPID character outside 0-9 A-Z # - /";
    return NULL;
  case F_GRAI: /* N14 + X..16; the check digit is not enforced (GS1 examples break it) */
    if (un < 14 || un > 30 || !all_digits(d, 14))
      return "has a GRAI that is not 14 digits + serial";
    for (size_t i = 14; i < un; i++)
      if (!cs82((unsigned char)d[i])) return "has a GRAI serial outside the GS1 character set";
    return NULL;
  case F_GDTI:
  case F_GCN:
    if (un < 13 || !all_digits(d, 13)) return "has a key that does not start with 13 digits";
    if (!gs1_check_digit_ok(d, 13)) return "has a key with a wrong check digit";
    if (a->fmt == F_GCN) {
      if (un > 25 || !all_digits(d + 13, un - 13))
        return "has a GCN serial that is not 0-12 digits";
    } else {
      if (un > 30) return "has a GDTI serial that is too long";
      for (size_t i = 13; i < un; i++)
        if (!cs82((unsigned char)d[i])) return "has a GDTI serial outside the GS1 character set";
    }
    return NULL;
  case F_ITIP:
    if (un != 18 || !all_digits(d, 18)) return "has an ITIP that is not 18 digits";
    if (!gs1_check_digit_ok(d, 14)) return "has an ITIP with a wrong check digit";
    return NULL;
  default:
    return "internal: unknown AI format";
  }
}

/* 1 when w is one of the space-separated words of list */
static int word_in(const char *list, const char *w) {
  size_t wl = strlen(w);
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, " ");
    if (n == wl && memcmp(p, w, n) == 0) return 1;
    p += n;
    while (*p == ' ') p++;
  }
  return 0;
}

static const char *dl_problem(const char *s) {
  const char *p;
  if (has_prefix_ci(s, "https://"))
    p = s + 8;
  else if (has_prefix_ci(s, "http://"))
    p = s + 7;
  else
    return NULL;
  size_t end = strcspn(p, "/?#");
  p += end;
  if (*p != '/') return NULL;
  size_t plen = strcspn(p, "?#");
  const char *pend = p + plen;
  /* find the first path segment that names a GS1 primary key */
  const dl_ai *key = NULL;
  const char *seg = p + 1;
  while (seg <= pend) {
    size_t n = strcspn(seg, "/?#");
    if (seg + n > pend) n = (size_t)(pend - seg);
    key = dl_find(DL_KEYS, sizeof DL_KEYS / sizeof DL_KEYS[0], seg, n);
    if (key) {
      seg += n;
      break;
    }
    if (seg + n >= pend) return NULL; /* no key: not a Digital Link URI */
    seg += n + 1;
  }
  if (!key) return NULL;
  /* seg points at the '/' before the key value */
  if (*seg != '/' || seg + 1 >= pend) return "has a GS1 key segment without a value";
  seg++;
  size_t n = strcspn(seg, "/?#");
  const char *why = dl_value(key, seg, n);
  if (why) return why;
  seg += n;
  unsigned seen = 0;
  while (seg < pend) { /* /qualifierAI/value pairs */
    seg++;
    size_t qn = strcspn(seg, "/?#");
    if (qn == 0) return "has an empty path segment";
    const dl_ai *q = dl_find(DL_QUALS, sizeof DL_QUALS / sizeof DL_QUALS[0], seg, qn);
    if (!q) return "has a path segment after the GS1 key that is not a qualifier of that key";
    if (!word_in(key->quals, q->ai)) return "has a qualifier that this GS1 key does not allow";
    unsigned bit = 1u << (unsigned)(q - DL_QUALS);
    if (seen & bit) return "repeats a qualifier";
    seen |= bit;
    seg += qn;
    if (*seg != '/' || seg + 1 >= pend) return "has a qualifier without a value";
    seg++;
    size_t vn = strcspn(seg, "/?#");
    why = dl_value(q, seg, vn);
    if (why) return why;
    seg += vn;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* public syntax checks                                                */

int sy_epcis_check_time(const char *s) {
  if (!s) return SY_EINVAL;
  return time_problem(s) ? SY_EMALFORMED : SY_OK;
}
int sy_epcis_check_uri(const char *s) {
  if (!s) return SY_EINVAL;
  return uri_problem(s) ? SY_EMALFORMED : SY_OK;
}
int sy_epcis_check_epc_urn(const char *s) {
  if (!s) return SY_EINVAL;
  return (uri_problem(s) || !has_prefix(s, "urn:epc:")) ? SY_EMALFORMED : SY_OK;
}
int sy_epcis_check_digital_link(const char *s) {
  if (!s) return SY_EINVAL;
  return (uri_problem(s) || dl_problem(s)) ? SY_EMALFORMED : SY_OK;
}

/* ------------------------------------------------------------------ */
/* duplicate keys / unique items                                       */

typedef struct sidx {
  const char *s;
  size_t idx;
  const cJSON *item;
} sidx;

static int cmp_sidx(const void *a, const void *b) {
  const sidx *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  if (c) return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The children of parent sorted by (key, position) (keys) or the string
 * items sorted by (value, position) (!keys), so that repeats are adjacent:
 * O(n log n) for hostile sizes. Uses small (SMALL_N entries) when it is big
 * enough, else allocates (the caller frees when the result != small);
 * NULL on allocation failure (v->oom set). */
static sidx *sorted_index(vctx *v, const cJSON *parent, int keys, sidx *small, size_t *m) {
  size_t n = 0;
  for (const cJSON *c = parent->child; c; c = c->next) n++;
  sidx *a = n <= SMALL_N ? small : malloc(n * sizeof *a);
  if (!a) {
    v->oom = 1;
    v->stop = 1;
    return NULL;
  }
  size_t k = 0, i = 0;
  for (const cJSON *c = parent->child; c; c = c->next, i++) {
    const char *s = keys ? key_of(c) : (cJSON_IsString(c) ? c->valuestring : NULL);
    if (s) a[k].s = s, a[k].idx = i, a[k].item = c, k++;
  }
  qsort(a, k, sizeof *a, cmp_sidx);
  *m = k;
  return a;
}

static int bounded_size(const cJSON *it, int depth, size_t *count);

/* cJSON_Compare on two values of bounded size: its object comparison is
 * quadratic in the number of keys, so big (hostile) values count as
 * different. */
static int small_equal(const cJSON *a, const cJSON *b) {
  size_t na = 0, nb = 0;
  if (!bounded_size(a, 0, &na) || !bounded_size(b, 0, &nb)) return 0;
  return cJSON_Compare(a, b, 1);
}

/* Keys whose value decides how the rest of the object is validated: the
 * event type, the action, the @context (namespace prefixes), and the lists
 * whose emptiness the event rules read. */
static int rule_key(const char *k) {
  static const char *const K[] = {"type",
                                  "action",
                                  "@context",
                                  "epcList",
                                  "quantityList",
                                  "childEPCs",
                                  "childQuantityList",
                                  "inputEPCList",
                                  "inputQuantityList",
                                  "outputEPCList",
                                  "outputQuantityList",
                                  "bizTransactionList",
                                  "sensorElementList",
                                  "sensorReport",
                                  "eventList",
                                  "set",
                                  "unset"};
  for (size_t i = 0; i < sizeof K / sizeof K[0]; i++)
    if (strcmp(k, K[i]) == 0) return 1;
  return 0;
}

/* Repeated keys. RFC 8259 leaves them to the parser (cJSON and our lookups
 * see the first occurrence, most other parsers the last) and the schema
 * cannot see them; a GS1 example (AssociationEvent-h) repeats eventID. Every
 * occurrence is validated by the member loops, so a repeat cannot hide an
 * invalid value; what stays forbidden is a repeat with a different value
 * of a key that steers validation (rule_key), or of any key with all_keys
 * (@context term definitions), because there two parsers would validate or
 * expand differently. Returns 1 when the object may be checked further. */
static int chk_repeated_keys(vctx *v, const cJSON *obj, int all_keys) {
  sidx small[SMALL_N];
  size_t m = 0;
  if (!obj->child || !obj->child->next) return 1;
  sidx *a = sorted_index(v, obj, 1, small, &m);
  if (!a) return 0;
  int ok = 1;
  char b[ECHO_BUF];
  for (size_t j = 0; j + 1 < m && !v->stop;) {
    size_t k = j + 1;
    while (k < m && strcmp(a[j].s, a[k].s) == 0) {
      if ((all_keys || rule_key(a[j].s)) && !small_equal(a[j].item, a[k].item)) {
        size_t mark = push_key(v, a[j].s);
        fail(v, "key '%s' appears more than once with different values", echo(a[j].s, b, sizeof b));
        path_pop(v, mark);
        ok = 0;
      }
      k++;
    }
    j = k;
  }
  if (a != small) free(a);
  return ok;
}

static int chk_dup_keys(vctx *v, const cJSON *obj) { return chk_repeated_keys(v, obj, 0); }

/* schema: uniqueItems (string items) */
static void chk_unique_items(vctx *v, const cJSON *arr) {
  sidx small[SMALL_N];
  size_t m = 0;
  if (!arr->child || !arr->child->next) return;
  sidx *a = sorted_index(v, arr, 0, small, &m);
  if (!a) return;
  /* in each run of equal strings the first element is the first occurrence
   * and the second the earliest repeat; report the earliest repeat */
  int found = 0;
  size_t dup = 0, first = 0;
  for (size_t j = 0; j + 1 < m;) {
    size_t k = j + 1;
    if (strcmp(a[j].s, a[k].s) == 0) {
      if (!found || a[k].idx < dup) dup = a[k].idx, first = a[j].idx;
      found = 1;
      while (k < m && strcmp(a[j].s, a[k].s) == 0) k++;
    }
    j = k;
  }
  if (a != small) free(a);
  if (found) {
    size_t mark = push_idx(v, dup);
    fail(v, "duplicate of item [%zu] (items must be unique)", first);
    path_pop(v, mark);
  }
}

/* ------------------------------------------------------------------ */
/* JSON-LD @context and namespaced (extension) property names          */

/* Prefixes defined by the standard EPCIS 2.0 context
 * (epcis-context.jsonld), which every EPCIS JSON document includes. */
static const char *const STD_PREFIXES[] = {"epcis", "cbv", "cbvmda", "gs1",
                                           "rdfs",  "owl", "xsd",    "dcterms"};

static int ctx_defines(const cJSON *c, const char *prefix) {
  if (cJSON_IsObject(c)) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, prefix);
    return d && (cJSON_IsString(d) || cJSON_IsObject(d));
  }
  if (cJSON_IsArray(c)) {
    for (const cJSON *e = c->child; e; e = e->next)
      if (cJSON_IsObject(e) && ctx_defines(e, prefix)) return 1;
  }
  return 0;
}

static int prefix_declared(vctx *v, const char *prefix) {
  for (size_t i = 0; i < sizeof STD_PREFIXES / sizeof STD_PREFIXES[0]; i++)
    if (strcmp(prefix, STD_PREFIXES[i]) == 0) return 1;
  const size_t nk = sizeof v->known / sizeof v->known[0];
  for (size_t i = 0; i < nk; i++)
    if (v->known[i].gen == v->scope_gen && strcmp(v->known[i].prefix, prefix) == 0) return 1;
  for (int i = v->nscopes - 1; i >= 0; i--)
    if (ctx_defines(v->scopes[i], prefix)) {
      if (strlen(prefix) < sizeof v->known[0].prefix) {
        size_t slot = v->known_next++ % nk;
        strcpy(v->known[slot].prefix, prefix);
        v->known[slot].gen = v->scope_gen;
      }
      return 1;
    }
  return 0;
}

/* Classifies a property name (or an extension event type): 0 = not
 * namespaced at all (no "scheme:"), 1 = an absolute IRI or a compact IRI
 * whose prefix is declared, -1 = namespaced but bad (error reported at the
 * key's own path, or at ".sub" when sub is given). */
static int ns_name(vctx *v, const char *name, const char *sub) {
  size_t sl = scheme_len(name);
  if (sl == 0) return 0;
  char b[ECHO_BUF], detail[160];
  const char *why = uri_problem(name);
  if (why) {
    snprintf(detail, sizeof detail, "'%s' %s", echo(name, b, sizeof b), why);
  } else {
    if (name[sl + 1] == '/' && name[sl + 2] == '/') return 1; /* absolute IRI http://... */
    char prefix[64];
    if (sl >= sizeof prefix) sl = sizeof prefix - 1;
    memcpy(prefix, name, sl);
    prefix[sl] = '\0';
    if (strcmp(prefix, "urn") == 0 || prefix_declared(v, prefix)) return 1;
    snprintf(detail, sizeof detail, "namespace prefix '%s' is not declared in @context",
             echo(prefix, b, sizeof b));
  }
  if (sub) {
    fail_at(v, sub, "%s", detail);
  } else {
    size_t m = push_key(v, name);
    fail(v, "%s", detail);
    path_pop(v, m);
  }
  return -1;
}

static int ext_key(vctx *v, const char *key) { return ns_name(v, key, NULL); }

static int bounded_size(const cJSON *it, int depth, size_t *count) {
  if (++*count > MAX_CTX_NODES || depth > MAX_CTX_DEPTH) return 0;
  if (cJSON_IsArray(it) || cJSON_IsObject(it))
    for (const cJSON *c = it->child; c; c = c->next)
      if (!bounded_size(c, depth + 1, count)) return 0;
  return 1;
}

static void chk_context_entry(vctx *v, const cJSON *e) {
  char b[ECHO_BUF];
  if (cJSON_IsString(e)) {
    const char *why = uri_problem(e->valuestring);
    if (why) fail(v, "@context entry '%s' %s", echo(e->valuestring, b, sizeof b), why);
    return;
  }
  if (!cJSON_IsObject(e)) {
    fail(v, "@context entries must be URI strings or objects, not %s", json_type_name(e));
    return;
  }
  if (!chk_repeated_keys(v, e, 1)) return;
  for (const cJSON *c = e->child; c && !v->stop; c = c->next) {
    if (key_of(c)[0] == '@') continue; /* @version, @protected, @vocab, ... */
    if (!utf8_ok(key_of(c))) {
      fail(v, "@context term is not well-formed UTF-8");
      continue;
    }
    if (!cJSON_IsString(c) && !cJSON_IsObject(c) && !cJSON_IsNull(c)) {
      size_t m = push_key(v, key_of(c));
      fail(v, "a term definition must be an IRI string, an object or null, not %s",
           json_type_name(c));
      path_pop(v, m);
    }
  }
}

/* schema: @context — a URI, an object, or an array of unique URIs/objects. */
static void chk_context(vctx *v, const cJSON *c) {
  size_t count = 0;
  if (!bounded_size(c, 0, &count)) {
    fail(v, "@context is too large or too deeply nested (limits: %d nodes, depth %d)",
         MAX_CTX_NODES, MAX_CTX_DEPTH);
    return;
  }
  if (!cJSON_IsArray(c)) {
    chk_context_entry(v, c);
    return;
  }
  size_t n = 0;
  for (const cJSON *e = c->child; e && !v->stop; e = e->next, n++) {
    if (n >= MAX_CTX_ITEMS) {
      fail(v, "@context has more than %d entries", MAX_CTX_ITEMS);
      return;
    }
    size_t m = push_idx(v, n);
    chk_context_entry(v, e);
    size_t k = 0;
    for (const cJSON *f = c->child; f != e; f = f->next, k++)
      if (cJSON_Compare(e, f, 1)) {
        fail(v, "duplicate of @context entry [%zu] (entries must be unique)", k);
        break;
      }
    path_pop(v, m);
  }
}

static int scope_push(vctx *v, const cJSON *ctx) {
  if (v->nscopes >= MAX_SCOPES) {
    fail(v, "more than %d nested @context scopes", MAX_SCOPES);
    return 0;
  }
  v->scopes[v->nscopes++] = ctx;
  v->scope_gen++;
  return 1;
}

static void scope_pop(vctx *v) {
  v->nscopes--;
  v->scope_gen++;
}

/* The value of a namespaced extension property: free JSON-LD content. The
 * schema leaves it open; we bound its depth, reject duplicate keys,
 * malformed UTF-8 and non-finite numbers, and check that namespaced keys
 * inside use declared prefixes. */
static void walk_ext(vctx *v, const cJSON *it, int depth) {
  if (v->stop) return;
  if (depth > MAX_EXT_DEPTH) {
    fail(v, "extension value is nested deeper than %d levels", MAX_EXT_DEPTH);
    return;
  }
  if (cJSON_IsString(it)) {
    if (!utf8_ok(it->valuestring)) fail(v, "string is not well-formed UTF-8");
  } else if (cJSON_IsNumber(it)) {
    if (!isfinite(it->valuedouble)) fail(v, "number is out of range");
  } else if (cJSON_IsArray(it)) {
    size_t i = 0;
    for (const cJSON *c = it->child; c && !v->stop; c = c->next, i++) {
      size_t m = push_idx(v, i);
      walk_ext(v, c, depth + 1);
      path_pop(v, m);
    }
  } else if (cJSON_IsObject(it)) {
    if (!chk_dup_keys(v, it)) return;
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(it, "@context");
    int pushed = 0;
    if (ctx) {
      size_t m = push_key(v, "@context");
      chk_context(v, ctx);
      path_pop(v, m);
      pushed = scope_push(v, ctx);
    }
    for (const cJSON *c = it->child; c && !v->stop; c = c->next) {
      if (strcmp(key_of(c), "@context") == 0) continue;
      if (!utf8_ok(key_of(c))) {
        fail(v, "a property name is not well-formed UTF-8");
        continue;
      }
      /* nested names may be plain (the schema leaves them open); names that
       * look like compact IRIs must use a declared prefix */
      if (key_of(c)[0] != '@' && ext_key(v, key_of(c)) < 0) continue;
      size_t m = push_key(v, key_of(c));
      walk_ext(v, c, depth + 1);
      path_pop(v, m);
    }
    if (pushed) scope_pop(v);
  } else if (!cJSON_IsBool(it) && !cJSON_IsNull(it)) {
    fail(v, "invalid JSON value");
  }
}

/* ------------------------------------------------------------------ */
/* object shapes                                                       */

typedef void (*chk_fn)(vctx *v, const cJSON *it);

typedef struct prop {
  const char *name;
  chk_fn fn;
} prop;

enum { EXT_NO = 0, EXT_YES = 1 };

/* An object with known members (each checked by its checker), required
 * members, and (ext) namespaced extension members; anything else is an
 * error. what names the object in messages. */
static void chk_object(vctx *v, const cJSON *o, const char *what, const prop *props, size_t np,
                       const char *const *required, int ext) {
  char b[ECHO_BUF];
  if (!cJSON_IsObject(o)) {
    fail(v, "%s must be an object, not %s", what, json_type_name(o));
    return;
  }
  if (!chk_dup_keys(v, o)) return;
  for (const cJSON *c = o->child; c && !v->stop; c = c->next) {
    size_t i;
    for (i = 0; i < np; i++)
      if (strcmp(key_of(c), props[i].name) == 0) break;
    if (i < np) {
      size_t m = push_key(v, key_of(c));
      props[i].fn(v, c);
      path_pop(v, m);
      continue;
    }
    int k = ext ? ext_key(v, key_of(c)) : 0;
    if (k > 0) {
      size_t m = push_key(v, key_of(c));
      walk_ext(v, c, 1);
      path_pop(v, m);
    } else if (k == 0) {
      size_t m = push_key(v, key_of(c));
      if (ext)
        fail(v,
             "unknown property '%s' in %s (extension properties need a namespace prefix "
             "declared in @context, e.g. 'example:%s')",
             echo(key_of(c), b, sizeof b), what, echo(key_of(c), b, sizeof b));
      else
        fail(v, "unknown property '%s' in %s (no other properties are allowed here)",
             echo(key_of(c), b, sizeof b), what);
      path_pop(v, m);
    }
  }
  for (; required && *required && !v->stop; required++)
    if (!cJSON_GetObjectItemCaseSensitive(o, *required))
      fail_at(v, *required, "required property '%s' is missing from %s", *required, what);
}

/* ------------------------------------------------------------------ */
/* scalar checkers                                                     */

static int need_string(vctx *v, const cJSON *it) {
  if (cJSON_IsString(it)) return 1;
  fail(v, "must be a string, not %s", json_type_name(it));
  return 0;
}

static void chk_string(vctx *v, const cJSON *it) {
  if (need_string(v, it) && !utf8_ok(it->valuestring)) fail(v, "string is not well-formed UTF-8");
}

static void chk_number(vctx *v, const cJSON *it) {
  if (!cJSON_IsNumber(it))
    fail(v, "must be a number, not %s", json_type_name(it));
  else if (!isfinite(it->valuedouble))
    fail(v, "number is out of range");
}

static void chk_bool(vctx *v, const cJSON *it) {
  if (!cJSON_IsBool(it)) fail(v, "must be true or false, not %s", json_type_name(it));
}

/* schema: time (format date-time) */
static void chk_time(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *why = time_problem(it->valuestring);
  if (why) fail(v, "'%s' %s", echo(it->valuestring, b, sizeof b), why);
}

static void chk_tz_offset(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  if (!tz_offset_ok(it->valuestring))
    fail(v, "'%s' is not a time-zone offset +hh:mm or -hh:mm between -14:00 and +14:00",
         echo(it->valuestring, b, sizeof b));
}

/* schema: uri (format uri); EPC URNs are checked against TDS as well */
static void chk_uri(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *why = uri_problem(it->valuestring);
  if (why) fail(v, "'%s' %s", echo(it->valuestring, b, sizeof b), why);
}

/* An identifier slot (EPC, class, location, party): uri + Digital Link. */
static void chk_id(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *why = uri_problem(it->valuestring);
  if (!why) why = dl_problem(it->valuestring);
  if (why) fail(v, "'%s' %s", echo(it->valuestring, b, sizeof b), why);
}

/* schema: version ^\d+(\.\d+)*$ */
static void chk_version(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *s = it->valuestring;
  int ok = is_digit((unsigned char)*s);
  for (const char *p = s; ok && *p; p++)
    ok = is_digit((unsigned char)*p) || (*p == '.' && is_digit((unsigned char)p[1]));
  if (!ok) fail(v, "'%s' is not a version number like \"2.0\"", echo(s, b, sizeof b));
}

/* schema: action */
static void chk_action(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *s = it->valuestring;
  if (strcmp(s, "OBSERVE") && strcmp(s, "ADD") && strcmp(s, "DELETE"))
    fail(v, "'%s' is not one of OBSERVE, ADD, DELETE", echo(s, b, sizeof b));
}

/* schema: hexBinary ^[A-Fa-f0-9]+$ */
static void chk_hex(vctx *v, const cJSON *it) {
  if (!need_string(v, it)) return;
  const char *s = it->valuestring;
  int ok = *s != '\0';
  for (; ok && *s; s++) ok = is_hex((unsigned char)*s);
  if (!ok) fail(v, "must be hexadecimal digits");
}

/* schema: uom ^[A-Z0-9]{2,3}$ (UN/CEFACT Rec. 20 code) */
static void chk_uom(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *s = it->valuestring;
  size_t n = strlen(s);
  int ok = n == 2 || n == 3;
  for (size_t i = 0; ok && i < n; i++)
    ok = is_upper((unsigned char)s[i]) || is_digit((unsigned char)s[i]);
  if (!ok)
    fail(v, "'%s' is not a UN/CEFACT unit code (2-3 upper-case letters/digits)",
         echo(s, b, sizeof b));
}

/* ------------------------------------------------------------------ */
/* CBV vocabularies                                                    */

enum { FORBID_CBV_URN, FORBID_GS1_VOC };

static const char *vocab_name(sy_cbv_vocab voc) {
  switch (voc) {
  case SY_CBV_BIZSTEP:
    return "bizStep";
  case SY_CBV_DISPOSITION:
    return "disposition";
  case SY_CBV_BIZ_TRANSACTION_TYPE:
    return "business transaction type";
  case SY_CBV_SOURCE_DEST_TYPE:
    return "source/destination type";
  case SY_CBV_ERROR_REASON:
    return "error reason";
  case SY_CBV_SENSOR_MEASUREMENT_TYPE:
    return "measurement type";
  case SY_CBV_SENSOR_ALERT_TYPE:
    return "sensor alert type";
  case SY_CBV_COMPONENT:
    return "component";
  default:
    return "vocabulary";
  }
}

/* The value's term after a vocabulary prefix (web form, or the compact
 * form "cbv:BizStep-" / "gs1:" that the standard context defines), or NULL
 * when the value does not use that prefix. */
static const char *vocab_suffix(sy_cbv_vocab voc, const char *s) {
  const char *web = sy_cbv_web_prefix(voc);
  if (!web || !*web) return NULL;
  if (has_prefix(s, web)) return s + strlen(web);
  static const struct {
    const char *base, *compact;
  } bases[] = {{"https://ref.gs1.org/cbv/", "cbv:"}, {"https://gs1.org/voc/", "gs1:"}};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    size_t bl = strlen(bases[i].base), cl = strlen(bases[i].compact);
    if (has_prefix(web, bases[i].base) && has_prefix(s, bases[i].compact)) {
      const char *rest = web + bl; /* e.g. "BizStep-" */
      if (has_prefix(s + cl, rest)) return s + cl + strlen(rest);
    }
  }
  return NULL;
}

/* schema: bizStep, disposition, bizTransaction-type, source-dest-type,
 * error-reason, component (anyOf vocab-other-uri | enum) and
 * measurementType, sensorAlertType (anyOf vocab-nonGS1WebVoc-uri | enum). */
static void chk_vocab(vctx *v, const cJSON *it, sy_cbv_vocab voc, int forbid) {
  char b[ECHO_BUF];
  if (!need_string(v, it)) return;
  const char *s = it->valuestring;
  if (scheme_len(s) == 0) {
    if (!sy_cbv_is_term(voc, s))
      fail(v,
           "'%s' is not a CBV %s term and not a URI (user vocabulary values need a scheme, "
           "e.g. 'urn:example:x' or a declared 'prefix:x')",
           echo(s, b, sizeof b), vocab_name(voc));
    return;
  }
  const char *why = uri_problem(s);
  if (why) {
    fail(v, "'%s' %s", echo(s, b, sizeof b), why);
    return;
  }
  if (forbid == FORBID_CBV_URN) { /* schema: vocab-other-uri */
    if (has_prefix(s, "urn:epcglobal:cbv") || has_prefix(s, "http://ns.gs1.org/cbv/") ||
        has_prefix(s, "https://ns.gs1.org/cbv/")) {
      fail(v, "'%s' is the XML/EPCIS 1.x form of a CBV value; JSON uses the bare term",
           echo(s, b, sizeof b));
      return;
    }
  } else { /* schema: vocab-nonGS1WebVoc-uri */
    if (has_prefix(s, "https://gs1.org/voc/") || has_prefix(s, "http://gs1.org/voc/") ||
        has_prefix(s, "https://www.gs1.org/voc/") || has_prefix(s, "http://www.gs1.org/voc/")) {
      fail(v, "'%s' is a GS1 Web Vocabulary URI; JSON uses the bare term", echo(s, b, sizeof b));
      return;
    }
  }
  const char *term = vocab_suffix(voc, s);
  if (term && !sy_cbv_is_term(voc, term))
    fail(v, "'%s' names no CBV %s term", echo(s, b, sizeof b), vocab_name(voc));
}

static void chk_bizstep(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_BIZSTEP, FORBID_CBV_URN);
}
static void chk_disposition(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_DISPOSITION, FORBID_CBV_URN);
}
static void chk_btt(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_BIZ_TRANSACTION_TYPE, FORBID_CBV_URN);
}
static void chk_sdt(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_SOURCE_DEST_TYPE, FORBID_CBV_URN);
}
static void chk_reason(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_ERROR_REASON, FORBID_CBV_URN);
}
static void chk_component(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_COMPONENT, FORBID_CBV_URN);
}
static void chk_measurement(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_SENSOR_MEASUREMENT_TYPE, FORBID_GS1_VOC);
}
static void chk_alert(vctx *v, const cJSON *it) {
  chk_vocab(v, it, SY_CBV_SENSOR_ALERT_TYPE, FORBID_GS1_VOC);
}

/* ------------------------------------------------------------------ */
/* arrays                                                              */

static int need_array(vctx *v, const cJSON *it) {
  if (cJSON_IsArray(it)) return 1;
  fail(v, "must be an array, not %s", json_type_name(it));
  return 0;
}

static void each_item(vctx *v, const cJSON *arr, chk_fn fn) {
  size_t i = 0;
  for (const cJSON *c = arr->child; c && !v->stop; c = c->next, i++) {
    size_t m = push_idx(v, i);
    fn(v, c);
    path_pop(v, m);
  }
}

static void chk_uri_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_uri);
}

/* childEPCs, TransactionEvent.epcList: array of identifiers */
static void chk_id_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_id);
}

/* schema: epcList (uniqueItems) — ObjectEvent.epcList, input/outputEPCList */
static void chk_epc_list(vctx *v, const cJSON *it) {
  if (!need_array(v, it)) return;
  each_item(v, it, chk_id);
  if (!v->stop) chk_unique_items(v, it);
}

/* schema: quantityElement (additionalProperties: false) */
static void chk_quantity_element(vctx *v, const cJSON *it) {
  static const prop P[] = {{"epcClass", chk_id}, {"quantity", chk_number}, {"uom", chk_uom}};
  static const char *const R[] = {"epcClass", NULL};
  chk_object(v, it, "a quantity element", P, 3, R, EXT_NO);
}

static void chk_quantity_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_quantity_element);
}

/* schema: certificationInfo — a URI or an array of URIs */
static void chk_cert_info(vctx *v, const cJSON *it) {
  if (cJSON_IsArray(it))
    each_item(v, it, chk_uri);
  else if (cJSON_IsString(it))
    chk_uri(v, it);
  else
    fail(v, "must be a URI or an array of URIs, not %s", json_type_name(it));
}

/* ------------------------------------------------------------------ */
/* structured members                                                  */

/* schema: readPoint / bizLocation */
static void chk_location(vctx *v, const cJSON *it) {
  static const prop P[] = {{"id", chk_id}};
  static const char *const R[] = {"id", NULL};
  chk_object(v, it, "a location", P, 1, R, EXT_YES);
}

/* schema: persistentDisposition {set?, unset?} (one at least) */
static void chk_disp_set(vctx *v, const cJSON *it) {
  if (!need_array(v, it)) return;
  if (!it->child) {
    fail(v, "must not be empty");
    return;
  }
  each_item(v, it, chk_disposition);
  if (!v->stop) chk_unique_items(v, it);
}

static void chk_persistent_disposition(vctx *v, const cJSON *it) {
  static const prop P[] = {{"set", chk_disp_set}, {"unset", chk_disp_set}};
  chk_object(v, it, "persistentDisposition", P, 2, NULL, EXT_NO);
  if (!v->stop && cJSON_IsObject(it) && !cJSON_GetObjectItemCaseSensitive(it, "set") &&
      !cJSON_GetObjectItemCaseSensitive(it, "unset"))
    fail_at(v, "set", "persistentDisposition needs 'set' or 'unset'");
}

/* schema: bizTransaction (additionalProperties: false) */
static void chk_biz_transaction(vctx *v, const cJSON *it) {
  static const prop P[] = {{"type", chk_btt}, {"bizTransaction", chk_uri}};
  static const char *const R[] = {"bizTransaction", NULL};
  chk_object(v, it, "a business transaction", P, 2, R, EXT_NO);
}

static void chk_biz_transaction_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_biz_transaction);
}

/* schema: source / destination (additionalProperties: false) */
static void chk_source(vctx *v, const cJSON *it) {
  static const prop P[] = {{"type", chk_sdt}, {"source", chk_id}};
  static const char *const R[] = {"type", "source", NULL};
  chk_object(v, it, "a source", P, 2, R, EXT_NO);
}
static void chk_destination(vctx *v, const cJSON *it) {
  static const prop P[] = {{"type", chk_sdt}, {"destination", chk_id}};
  static const char *const R[] = {"type", "destination", NULL};
  chk_object(v, it, "a destination", P, 2, R, EXT_NO);
}
static void chk_source_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_source);
}
static void chk_destination_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_destination);
}

/* schema: sensorMetadata */
static void chk_sensor_metadata(vctx *v, const cJSON *it) {
  static const prop P[] = {{"time", chk_time},
                           {"deviceID", chk_uri},
                           {"deviceMetadata", chk_uri},
                           {"rawData", chk_uri},
                           {"startTime", chk_time},
                           {"endTime", chk_time},
                           {"dataProcessingMethod", chk_uri},
                           {"bizRules", chk_uri}};
  chk_object(v, it, "sensorMetadata", P, sizeof P / sizeof P[0], NULL, EXT_YES);
}

/* schema: sensorReport */
static void chk_sensor_report(vctx *v, const cJSON *it) {
  static const prop P[] = {{"type", chk_measurement},
                           {"exception", chk_alert},
                           {"deviceID", chk_uri},
                           {"deviceMetadata", chk_uri},
                           {"rawData", chk_uri},
                           {"dataProcessingMethod", chk_uri},
                           {"bizRules", chk_uri},
                           {"time", chk_time},
                           {"microorganism", chk_uri},
                           {"chemicalSubstance", chk_uri},
                           {"coordinateReferenceSystem", chk_uri},
                           {"value", chk_number},
                           {"component", chk_component},
                           {"stringValue", chk_string},
                           {"booleanValue", chk_bool},
                           {"hexBinaryValue", chk_hex},
                           {"uriValue", chk_uri},
                           {"minValue", chk_number},
                           {"maxValue", chk_number},
                           {"meanValue", chk_number},
                           {"sDev", chk_number},
                           {"percRank", chk_number},
                           {"percValue", chk_number},
                           {"uom", chk_string}};
  static const char *const R[] = {"type", NULL};
  chk_object(v, it, "a sensorReport", P, sizeof P / sizeof P[0], R, EXT_YES);
}

/* schema: sensorReportList (minItems 1) */
static void chk_sensor_report_list(vctx *v, const cJSON *it) {
  if (!need_array(v, it)) return;
  if (!it->child) fail(v, "must hold at least one sensor report");
  each_item(v, it, chk_sensor_report);
}

/* schema: sensorElement */
static void chk_sensor_element(vctx *v, const cJSON *it) {
  static const prop P[] = {{"sensorMetadata", chk_sensor_metadata},
                           {"sensorReport", chk_sensor_report_list}};
  static const char *const R[] = {"sensorReport", NULL};
  chk_object(v, it, "a sensorElement", P, 2, R, EXT_YES);
}

static void chk_sensor_element_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_sensor_element);
}

/* schema: errorDeclaration */
static void chk_error_declaration(vctx *v, const cJSON *it) {
  static const prop P[] = {
      {"declarationTime", chk_time}, {"reason", chk_reason}, {"correctiveEventIDs", chk_uri_list}};
  static const char *const R[] = {"declarationTime", NULL};
  chk_object(v, it, "errorDeclaration", P, 3, R, EXT_YES);
}

/* schema: ilmd — every property name a (namespaced) URI */
static void chk_ilmd(vctx *v, const cJSON *it) {
  char b[ECHO_BUF];
  if (!cJSON_IsObject(it)) {
    fail(v, "ilmd must be an object, not %s", json_type_name(it));
    return;
  }
  if (!chk_dup_keys(v, it)) return;
  for (const cJSON *c = it->child; c && !v->stop; c = c->next) {
    int k = ext_key(v, key_of(c));
    if (k < 0) continue;
    size_t m = push_key(v, key_of(c));
    if (k == 0)
      fail(v,
           "ilmd property '%s' has no namespace prefix (write e.g. 'cbvmda:lotNumber' or "
           "'example:%s' with the prefix declared in @context)",
           echo(key_of(c), b, sizeof b), echo(key_of(c), b, sizeof b));
    else
      walk_ext(v, c, 1);
    path_pop(v, m);
  }
}

/* ------------------------------------------------------------------ */
/* events                                                              */

enum {
  EV_OBJECT = 1 << 0,
  EV_AGGREGATION = 1 << 1,
  EV_TRANSACTION = 1 << 2,
  EV_TRANSFORMATION = 1 << 3,
  EV_ASSOCIATION = 1 << 4,
  EV_EXTENSION = 1 << 5,
  EV_STD = EV_OBJECT | EV_AGGREGATION | EV_TRANSACTION | EV_TRANSFORMATION | EV_ASSOCIATION,
  EV_ALL = EV_STD | EV_EXTENSION
};

typedef struct event_prop {
  const char *name;
  unsigned kinds;
  chk_fn fn;
} event_prop;

/* schema: Event, common-event-properties and each event type's
 * properties. A name may appear twice with different checkers (epcList is
 * unique in ObjectEvent, not in TransactionEvent). */
static const event_prop EVENT_PROPS[] = {
    {"eventTime", EV_ALL, chk_time},
    {"recordTime", EV_ALL, chk_time},
    {"eventTimeZoneOffset", EV_ALL, chk_tz_offset},
    {"eventID", EV_ALL, chk_uri},
    {"certificationInfo", EV_ALL, chk_cert_info},
    {"errorDeclaration", EV_ALL, chk_error_declaration},
    {"epcList", EV_OBJECT, chk_epc_list},
    {"epcList", EV_TRANSACTION, chk_id_list},
    {"quantityList", EV_OBJECT | EV_TRANSACTION, chk_quantity_list},
    {"action", EV_OBJECT | EV_AGGREGATION | EV_TRANSACTION | EV_ASSOCIATION, chk_action},
    {"bizStep", EV_STD, chk_bizstep},
    {"disposition", EV_STD, chk_disposition},
    {"persistentDisposition", EV_OBJECT | EV_TRANSFORMATION, chk_persistent_disposition},
    {"readPoint", EV_STD, chk_location},
    {"bizLocation", EV_STD, chk_location},
    {"bizTransactionList", EV_STD, chk_biz_transaction_list},
    {"sourceList", EV_STD, chk_source_list},
    {"destinationList", EV_STD, chk_destination_list},
    {"sensorElementList", EV_STD, chk_sensor_element_list},
    {"ilmd", EV_OBJECT | EV_TRANSFORMATION, chk_ilmd},
    {"parentID", EV_AGGREGATION | EV_TRANSACTION | EV_ASSOCIATION, chk_id},
    {"childEPCs", EV_AGGREGATION | EV_ASSOCIATION, chk_id_list},
    {"childQuantityList", EV_AGGREGATION | EV_ASSOCIATION, chk_quantity_list},
    {"inputEPCList", EV_TRANSFORMATION, chk_epc_list},
    {"inputQuantityList", EV_TRANSFORMATION, chk_quantity_list},
    {"outputEPCList", EV_TRANSFORMATION, chk_epc_list},
    {"outputQuantityList", EV_TRANSFORMATION, chk_quantity_list},
    {"transformationID", EV_TRANSFORMATION, chk_uri},
};

static const struct {
  const char *name;
  unsigned kind;
} EVENT_TYPES[] = {{"ObjectEvent", EV_OBJECT},
                   {"AggregationEvent", EV_AGGREGATION},
                   {"TransactionEvent", EV_TRANSACTION},
                   {"TransformationEvent", EV_TRANSFORMATION},
                   {"AssociationEvent", EV_ASSOCIATION}};

static const char *kind_name(unsigned kind) {
  for (size_t i = 0; i < sizeof EVENT_TYPES / sizeof EVENT_TYPES[0]; i++)
    if (EVENT_TYPES[i].kind == kind) return EVENT_TYPES[i].name;
  return "extension event";
}

static int present(const cJSON *ev, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(ev, name) != NULL;
}

/* A non-empty array, or present with a wrong type (already reported, so
 * it must not trigger a second, misleading error). */
static int nonempty(const cJSON *ev, const char *name) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(ev, name);
  if (!it) return 0;
  return !cJSON_IsArray(it) || it->child != NULL;
}

static int action_is(const cJSON *ev, const char *a) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(ev, "action");
  return cJSON_IsString(it) && strcmp(it->valuestring, a) == 0;
}

/* The conditional parts of the schema's event definitions (the anyOf
 * blocks) and the EPCIS 2.0 rules the schema does not encode. */
static void event_rules(vctx *v, const cJSON *ev, unsigned kind) {
  const char *kn = kind_name(kind);
  if (!present(ev, "eventTime"))
    fail_at(v, "eventTime", "required property 'eventTime' is missing");
  if (!present(ev, "eventTimeZoneOffset"))
    fail_at(v, "eventTimeZoneOffset", "required property 'eventTimeZoneOffset' is missing");
  if ((kind & (EV_OBJECT | EV_AGGREGATION | EV_TRANSACTION | EV_ASSOCIATION)) &&
      !present(ev, "action"))
    fail_at(v, "action", "required property 'action' is missing from %s", kn);
  if (v->stop) return;
  switch (kind) {
  case EV_OBJECT:
    if (!present(ev, "epcList") && !nonempty(ev, "quantityList") &&
        !(nonempty(ev, "sensorElementList") && present(ev, "readPoint")))
      fail_at(v, "epcList",
              "an ObjectEvent needs epcList, a non-empty quantityList, or a non-empty "
              "sensorElementList together with readPoint");
    if (present(ev, "ilmd") && present(ev, "action") && !action_is(ev, "ADD"))
      fail_at(v, "ilmd", "ilmd is only allowed when action is ADD");
    break;
  case EV_AGGREGATION:
  case EV_ASSOCIATION:
    if (!nonempty(ev, "childEPCs") && !nonempty(ev, "childQuantityList") &&
        !action_is(ev, "DELETE"))
      fail_at(v, "childEPCs",
              "an %s needs a non-empty childEPCs or childQuantityList unless action is DELETE", kn);
    if (kind == EV_ASSOCIATION && !present(ev, "parentID"))
      fail_at(v, "parentID", "required property 'parentID' is missing from AssociationEvent");
    /* EPCIS 2.0 section 7.4.3: parentID is optional only for OBSERVE */
    if (kind == EV_AGGREGATION && !present(ev, "parentID") &&
        (action_is(ev, "ADD") || action_is(ev, "DELETE")))
      fail_at(v, "parentID", "an AggregationEvent with action ADD or DELETE needs parentID");
    break;
  case EV_TRANSACTION:
    if (!present(ev, "bizTransactionList"))
      fail_at(v, "bizTransactionList",
              "required property 'bizTransactionList' is missing from TransactionEvent");
    else if (!nonempty(ev, "bizTransactionList"))
      fail_at(v, "bizTransactionList", "a TransactionEvent needs at least one bizTransaction");
    if (!present(ev, "epcList") && !nonempty(ev, "quantityList") && !action_is(ev, "DELETE"))
      fail_at(v, "epcList",
              "a TransactionEvent needs epcList or a non-empty quantityList unless action is "
              "DELETE");
    break;
  case EV_TRANSFORMATION: {
    int in = nonempty(ev, "inputEPCList") || nonempty(ev, "inputQuantityList");
    int out = nonempty(ev, "outputEPCList") || nonempty(ev, "outputQuantityList");
    if (!(in && out) && !((in || out) && present(ev, "transformationID")))
      fail_at(v, "inputEPCList",
              "a TransformationEvent needs inputs and outputs, or inputs or outputs with a "
              "transformationID");
    break;
  }
  default:
    break;
  }
}

/* Validates one event object. need_context: a bare event must carry its
 * own @context. */
static void validate_event(vctx *v, const cJSON *ev, int need_context) {
  char b[ECHO_BUF];
  if (!cJSON_IsObject(ev)) {
    fail(v, "an event must be a JSON object, not %s", json_type_name(ev));
    return;
  }
  if (!chk_dup_keys(v, ev)) return;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
  if (!type) {
    fail_at(v, "type", "required property 'type' (the event type) is missing");
    return;
  }
  if (!cJSON_IsString(type)) {
    fail_at(v, "type", "the event type must be a string, not %s", json_type_name(type));
    return;
  }
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(ev, "@context");
  int pushed = 0;
  if (ctx) {
    size_t m = push_key(v, "@context");
    chk_context(v, ctx);
    path_pop(v, m);
    if (v->stop) return;
    pushed = scope_push(v, ctx);
  } else if (need_context) {
    fail_at(v, "@context", "required property '@context' is missing from a bare event");
  }
  unsigned kind = 0;
  for (size_t i = 0; i < sizeof EVENT_TYPES / sizeof EVENT_TYPES[0]; i++)
    if (strcmp(type->valuestring, EVENT_TYPES[i].name) == 0) kind = EVENT_TYPES[i].kind;
  if (!kind) { /* schema: Extended-Event — type is a (namespaced) URI */
    int k = ns_name(v, type->valuestring, "type");
    if (k == 0)
      fail_at(v, "type",
              "'%s' is not an EPCIS event type (ObjectEvent, AggregationEvent, "
              "TransactionEvent, TransformationEvent, AssociationEvent) nor a namespaced "
              "extension event type",
              echo(type->valuestring, b, sizeof b));
    if (k <= 0) goto out;
    kind = EV_EXTENSION;
  }
  for (const cJSON *c = ev->child; c && !v->stop; c = c->next) {
    if (strcmp(key_of(c), "type") == 0 || strcmp(key_of(c), "@context") == 0) continue;
    const event_prop *p = NULL;
    for (size_t i = 0; i < sizeof EVENT_PROPS / sizeof EVENT_PROPS[0]; i++)
      if ((EVENT_PROPS[i].kinds & kind) && strcmp(EVENT_PROPS[i].name, key_of(c)) == 0) {
        p = &EVENT_PROPS[i];
        break;
      }
    if (p) {
      size_t m = push_key(v, key_of(c));
      p->fn(v, c);
      path_pop(v, m);
      continue;
    }
    int k = ext_key(v, key_of(c));
    if (k < 0) continue;
    size_t m = push_key(v, key_of(c));
    if (k > 0) {
      walk_ext(v, c, 1);
    } else {
      int elsewhere = 0;
      for (size_t i = 0; i < sizeof EVENT_PROPS / sizeof EVENT_PROPS[0]; i++)
        if (strcmp(EVENT_PROPS[i].name, key_of(c)) == 0) elsewhere = 1;
      if (elsewhere)
        fail(v, "property '%s' is not allowed in %s", echo(key_of(c), b, sizeof b),
             kind_name(kind));
      else
        fail(v,
             "unknown property '%s' in %s (extension properties need a namespace prefix "
             "declared in @context, e.g. 'example:%s')",
             echo(key_of(c), b, sizeof b), kind_name(kind), echo(key_of(c), b, sizeof b));
    }
    path_pop(v, m);
  }
  if (!v->stop) event_rules(v, ev, kind);
out:
  if (pushed) scope_pop(v);
}

/* ------------------------------------------------------------------ */
/* documents                                                           */

static void chk_event_list(vctx *v, const cJSON *it) {
  if (!need_array(v, it)) return;
  int i = 0;
  for (const cJSON *c = it->child; c && !v->stop; c = c->next, i++) {
    size_t m = push_idx(v, (size_t)i);
    v->event_index = i;
    validate_event(v, c, 0);
    v->event_index = -1;
    path_pop(v, m);
  }
}

/* schema: attribute */
static void chk_attribute_value(vctx *v, const cJSON *it) {
  if (cJSON_IsString(it) || cJSON_IsObject(it))
    walk_ext(v, it, 1);
  else
    chk_number(v, it);
}
static void chk_attribute(vctx *v, const cJSON *it) {
  static const prop P[] = {{"id", chk_uri}, {"attribute", chk_attribute_value}};
  static const char *const R[] = {"id", NULL};
  chk_object(v, it, "a master-data attribute", P, 2, R, EXT_YES);
}
static void chk_attribute_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_attribute);
}
/* schema: vocabularyElement */
static void chk_vocab_element(vctx *v, const cJSON *it) {
  static const prop P[] = {
      {"id", chk_uri}, {"attributes", chk_attribute_list}, {"children", chk_uri_list}};
  static const char *const R[] = {"id", NULL};
  chk_object(v, it, "a vocabulary element", P, 3, R, EXT_YES);
}
static void chk_vocab_element_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_vocab_element);
}
/* schema: vocabulary */
static void chk_vocabulary(vctx *v, const cJSON *it) {
  static const prop P[] = {{"type", chk_uri}, {"vocabularyElementList", chk_vocab_element_list}};
  static const char *const R[] = {"type", NULL};
  chk_object(v, it, "a vocabulary", P, 2, R, EXT_YES);
}
static void chk_vocabulary_list(vctx *v, const cJSON *it) {
  if (need_array(v, it)) each_item(v, it, chk_vocabulary);
}
static void chk_master_data(vctx *v, const cJSON *it) {
  static const prop P[] = {{"vocabularyList", chk_vocabulary_list}};
  chk_object(v, it, "epcisMasterData", P, 1, NULL, EXT_YES);
}
/* schema: epcisHeader */
static void chk_header(vctx *v, const cJSON *it) {
  static const prop P[] = {{"epcisMasterData", chk_master_data}};
  chk_object(v, it, "epcisHeader", P, 1, NULL, EXT_YES);
}

static void chk_body(vctx *v, const cJSON *it) {
  static const prop P[] = {{"eventList", chk_event_list}};
  static const char *const R[] = {"eventList", NULL};
  chk_object(v, it, "epcisBody", P, 1, R, EXT_YES);
}

/* schema: resultsBody, queryResults, epcisQueryDocumentBody */
static void chk_results_body(vctx *v, const cJSON *it) {
  static const prop P[] = {{"eventList", chk_event_list}, {"vocabularyList", chk_vocabulary_list}};
  static const char *const R[] = {"eventList", NULL};
  chk_object(v, it, "resultsBody", P, 2, R, EXT_YES);
}
static void chk_query_results(vctx *v, const cJSON *it) {
  static const prop P[] = {
      {"queryName", chk_string}, {"subscriptionID", chk_string}, {"resultsBody", chk_results_body}};
  static const char *const R[] = {"queryName", "resultsBody", NULL};
  chk_object(v, it, "queryResults", P, 3, R, EXT_YES);
}
static void chk_query_body(vctx *v, const cJSON *it) {
  static const prop P[] = {{"queryResults", chk_query_results}};
  static const char *const R[] = {"queryResults", NULL};
  chk_object(v, it, "epcisBody", P, 1, R, EXT_YES);
}

static void chk_nothing(vctx *v, const cJSON *it) {
  (void)v;
  (void)it;
}

/* schema: epcisDocument / epcisQueryDocument */
static void validate_doc(vctx *v, const cJSON *doc) {
  static const prop DOC[] = {{"@context", chk_nothing},   {"id", chk_uri},
                             {"type", chk_nothing},       {"schemaVersion", chk_version},
                             {"creationDate", chk_time},  {"instanceIdentifier", chk_string},
                             {"sender", chk_string},      {"receiver", chk_string},
                             {"epcisHeader", chk_header}, {"epcisBody", chk_body}};
  static const char *const DOC_R[] = {"@context", "schemaVersion", "creationDate", "epcisBody",
                                      NULL};
  static const prop QDOC[] = {{"@context", chk_nothing},  {"id", chk_uri},
                              {"type", chk_nothing},      {"schemaVersion", chk_version},
                              {"creationDate", chk_time}, {"epcisBody", chk_query_body}};
  static const char *const QDOC_R[] = {"@context", "epcisBody", NULL};
  char b[ECHO_BUF];
  if (!cJSON_IsObject(doc)) {
    fail(v, "an EPCIS document must be a JSON object, not %s", json_type_name(doc));
    return;
  }
  if (!chk_dup_keys(v, doc)) return;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");
  int query;
  if (!type) {
    fail_at(v, "type", "required property 'type' is missing (expected \"EPCISDocument\")");
    return;
  }
  if (!cJSON_IsString(type)) {
    fail_at(v, "type", "must be a string, not %s", json_type_name(type));
    return;
  }
  if (strcmp(type->valuestring, "EPCISDocument") == 0) {
    query = 0;
  } else if (strcmp(type->valuestring, "EPCISQueryDocument") == 0) {
    query = 1;
  } else {
    fail_at(v, "type", "'%s' is not \"EPCISDocument\" or \"EPCISQueryDocument\"",
            echo(type->valuestring, b, sizeof b));
    return;
  }
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(doc, "@context");
  int pushed = 0;
  if (ctx) {
    size_t m = push_key(v, "@context");
    chk_context(v, ctx);
    path_pop(v, m);
    if (v->stop) return;
    pushed = scope_push(v, ctx);
  }
  if (query)
    chk_object(v, doc, "EPCISQueryDocument", QDOC, sizeof QDOC / sizeof QDOC[0], QDOC_R, EXT_YES);
  else
    chk_object(v, doc, "EPCISDocument", DOC, sizeof DOC / sizeof DOC[0], DOC_R, EXT_YES);
  if (pushed) scope_pop(v);
}

/* ------------------------------------------------------------------ */
/* public entry points                                                 */

static void vctx_init(vctx *v, sy_epcis_error *errs, size_t max, int event_index) {
  memset(v, 0, sizeof *v);
  v->errs = errs;
  v->max = max;
  v->event_index = event_index;
  v->path[0] = '\0';
  v->scope_gen = 1; /* cache entries start at gen 0: never valid */
}

static int vctx_finish(const vctx *v, size_t *n_errs) {
  if (n_errs) *n_errs = v->n;
  if (v->oom) return SY_ENOMEM;
  return v->failed ? SY_EMALFORMED : SY_OK;
}

int sy_epcis_validate_document(const cJSON *doc, sy_epcis_error *errs, size_t max_errs,
                               size_t *n_errs) {
  vctx v;
  if (n_errs) *n_errs = 0;
  if (!doc || (!errs && max_errs > 0)) return SY_EINVAL;
  vctx_init(&v, errs, max_errs, -1);
  validate_doc(&v, doc);
  return vctx_finish(&v, n_errs);
}

static int validate_one(const cJSON *event, const cJSON *doc_context, int bare, int index,
                        sy_epcis_error *errs, size_t max_errs, size_t *n_errs) {
  vctx v;
  if (n_errs) *n_errs = 0;
  if (!event || (!errs && max_errs > 0)) return SY_EINVAL;
  vctx_init(&v, errs, max_errs, index);
  if (doc_context) scope_push(&v, doc_context);
  validate_event(&v, event, bare);
  return vctx_finish(&v, n_errs);
}

int sy_epcis_validate_event_in(const cJSON *event, const cJSON *doc_context, int index,
                               sy_epcis_error *errs, size_t max_errs, size_t *n_errs) {
  return validate_one(event, doc_context, 0, index, errs, max_errs, n_errs);
}

int sy_epcis_validate_event(const cJSON *event, int index, sy_epcis_error *errs, size_t max_errs,
                            size_t *n_errs) {
  return validate_one(event, NULL, 1, index, errs, max_errs, n_errs);
}
