/* GS1 Digital Link URIs both ways (ident.h; SPEC C1, C3: the label's web
 * query channel is a Digital Link). Rules from the GS1 Barcode Syntax
 * Dictionary's dlpkey attributes and "?" flags (ai_table.c), DL URI syntax
 * 1.2+ with numeric AIs only (convenience alphas are refused, docs/ident.md). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "ident/ident_int.h"

#define DL_MAX_URI 4096
#define DL_MAX_SEGS 64

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Characters allowed raw in a path segment or query (RFC 3986 pchar, plus
 * '/' and '?' in the query), other than '%'. */
static int uri_char_ok(char c) {
  return isalnum((unsigned char)c) || strchr("-._~!$&'()*+,;=:@/?", c) != NULL;
}

/* Percent-decodes s[0..n) into out[size]; *olen gets the length. */
static int pct_decode(const char *s, size_t n, char *out, size_t size, size_t *olen, char *err,
                      size_t errlen) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
        return sy_ident_fail(err, errlen, "bad percent-encoding \"%.3s\" in the URI", s + i);
      c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      if (c == 0) return sy_ident_fail(err, errlen, "percent-encoded NUL in the URI");
      i += 2;
    }
    if (o + 1 >= size) return sy_ident_fail(err, errlen, "a URI value is too long");
    out[o++] = c;
  }
  out[o] = 0;
  *olen = o;
  return SY_OK;
}

typedef struct seg {
  const char *p;
  size_t n;
} seg;

static int seg_is(const seg *s, const char *lit) {
  return s->n == strlen(lit) && memcmp(s->p, lit, s->n) == 0;
}

/* The table entry when s is a numeric AI, else NULL. */
static const sy_ai_entry *seg_ai(const seg *s) {
  if (s->n < 2 || s->n > 4 || !sy_ident_all_digits(s->p, s->n)) return NULL;
  char ai[5];
  memcpy(ai, s->p, s->n);
  ai[s->n] = 0;
  return sy_ai_lookup(ai);
}

/* Position of ai in a comma list, -1 when absent. */
static int list_pos(const char *list, const char *ai) {
  int pos = 0;
  size_t n = strlen(ai);
  const char *p = list;
  while (*p) {
    size_t len = strcspn(p, ",");
    if (len == n && memcmp(p, ai, n) == 0) return pos;
    pos++;
    p += len;
    if (*p == ',') p++;
  }
  return -1;
}

/* Checks the qualifier AIs q[0..nq) against key entry ke's dlpkey rule. */
static int check_qualifiers(const sy_ai_entry *ke, char q[][5], size_t nq, char *err,
                            size_t errlen) {
  if (nq == 0) return SY_OK;
  const char *rule = ke->dlpkey;
  for (size_t i = 0; i < nq; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(q[i], q[j]) == 0)
        return sy_ident_fail(err, errlen, "AI (%s) appears twice in the path", q[i]);
  /* does one alternative take them all, in order? */
  const char *p = rule;
  int seen_in_alt[SY_GS1_MAX_AIS] = {0};
  char alts[8][64];
  size_t nalt = 0;
  while (*p && nalt < 8) {
    size_t len = strcspn(p, "|");
    snprintf(alts[nalt], sizeof alts[nalt], "%.*s", (int)len, p);
    nalt++;
    p += len;
    if (*p == '|') p++;
  }
  for (size_t a = 0; a < nalt; a++) {
    int last = -1, ok = 1;
    for (size_t i = 0; i < nq; i++) {
      int pos = list_pos(alts[a], q[i]);
      if (pos >= 0) seen_in_alt[i] = 1;
      if (pos <= last) ok = 0;
      if (pos > last) last = pos;
    }
    if (ok) return SY_OK;
  }
  for (size_t i = 0; i < nq; i++)
    if (!seen_in_alt[i]) {
      if (!*rule)
        return sy_ident_fail(err, errlen,
                             "AI (%s) cannot follow primary key (%s) in the path: (%s) takes no "
                             "key qualifiers (data attributes go in the query string)",
                             q[i], ke->ai, ke->ai);
      return sy_ident_fail(err, errlen,
                           "AI (%s) is not a key qualifier of primary key (%s) (allowed, in "
                           "order: %s; data attributes go in the query string)",
                           q[i], ke->ai, rule);
    }
  /* all known: either out of order within one alternative, or mixing */
  for (size_t a = 0; a < nalt; a++) {
    size_t in = 0;
    for (size_t i = 0; i < nq; i++)
      if (list_pos(alts[a], q[i]) >= 0) in++;
    if (in == nq)
      return sy_ident_fail(err, errlen, "key qualifiers of (%s) are out of order: the order is %s",
                           ke->ai, alts[a]);
  }
  return sy_ident_fail(err, errlen,
                       "key qualifiers of (%s) mix alternative sequences (%s): use one of them",
                       ke->ai, rule);
}

/* ai is in one of the alternatives of dlpkey rule ("22,10,21|235"). */
static int is_key_qualifier(const char *rule, const char *ai) {
  size_t n = strlen(ai);
  for (const char *p = rule; p && *p;) {
    size_t len = strcspn(p, ",|");
    if (len == n && memcmp(p, ai, n) == 0) return 1;
    p += len;
    if (*p) p++;
  }
  return 0;
}

static int add_value(sy_gs1 *g, const sy_ai_entry *e, const char *raw, size_t rawlen, char *err,
                     size_t errlen) {
  char val[SY_GS1_AI_VALUE_MAX * 3 + 1];
  size_t vlen = 0;
  if (rawlen == 0)
    return sy_ident_fail(err, errlen, "AI (%s) %s has an empty value in the URI", e->ai, e->title);
  int rc = pct_decode(raw, rawlen, val, sizeof val, &vlen, err, errlen);
  if (rc) return rc;
  if (strcmp(e->ai, "01") == 0) { /* GTIN-8/12/13 are padded to 14 in DL */
    char gtin[15];
    rc = sy_gtin_normalise(val, gtin, err, errlen);
    if (rc) return rc;
    return sy_gs1_append(g, "01", gtin, 14, err, errlen);
  }
  if (vlen > SY_GS1_AI_VALUE_MAX)
    return sy_ident_fail(err, errlen, "AI (%s) %s value is too long", e->ai, e->title);
  return sy_gs1_append(g, e->ai, val, vlen, err, errlen);
}

int sy_gs1_parse_dl(const char *uri, sy_gs1 *out, char *err, size_t errlen) {
  if (out) memset(out, 0, sizeof *out);
  if (!uri || !out) return sy_ident_fail(err, errlen, "no Digital Link URI");
  size_t ulen = strlen(uri);
  if (ulen > DL_MAX_URI) return sy_ident_fail(err, errlen, "Digital Link URI too long");
  const char *p = uri;
  if (*p != '/') {
    const char *colon = strstr(p, "://");
    if (!colon)
      return sy_ident_fail(err, errlen, "a Digital Link URI starts with http:// or https://");
    size_t sl = (size_t)(colon - p);
    if (!((sl == 4 && (memcmp(p, "http", 4) == 0 || memcmp(p, "HTTP", 4) == 0)) ||
          (sl == 5 && (memcmp(p, "https", 5) == 0 || memcmp(p, "HTTPS", 5) == 0))))
      return sy_ident_fail(err, errlen,
                           "a Digital Link URI has scheme http or https (all lower or all upper "
                           "case), not \"%.*s\"",
                           (int)(sl > 16 ? 16 : sl), p);
    p = colon + 3;
    size_t hl = strcspn(p, "/?#");
    if (hl == 0) return sy_ident_fail(err, errlen, "the Digital Link URI has no host");
    for (size_t i = 0; i < hl; i++) {
      char c = p[i];
      if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
        return sy_ident_fail(err, errlen, "character '%c' is not allowed in the host name",
                             (c >= 0x20 && c < 0x7f) ? c : '?');
    }
    p += hl;
    if (*p != '/') return sy_ident_fail(err, errlen, "the Digital Link URI has no path");
  }
  size_t pathlen = strcspn(p, "?#");
  const char *query = p[pathlen] == '?' ? p + pathlen + 1 : NULL;
  size_t qlen = query ? strcspn(query, "#") : 0;
  for (const char *c = p; c < (query ? query + qlen : p + pathlen); c++) {
    if (*c == '%' || uri_char_ok(*c)) continue;
    unsigned char ch = (unsigned char)*c;
    if (ch >= 0x21 && ch < 0x7f)
      return sy_ident_fail(
          err, errlen, "character '%c' is not allowed in a URI (it must be percent-encoded)", ch);
    return sy_ident_fail(err, errlen,
                         "byte 0x%02X is not allowed in a URI (it must be percent-encoded)", ch);
  }
  /* path segments (after the leading '/') */
  seg segs[DL_MAX_SEGS];
  size_t ns = 0;
  const char *s = p + 1, *end = p + pathlen;
  while (s <= end && pathlen > 0) {
    const char *slash = memchr(s, '/', (size_t)(end - s));
    const char *e = slash ? slash : end;
    if (ns == DL_MAX_SEGS) return sy_ident_fail(err, errlen, "the URI path has too many segments");
    segs[ns].p = s;
    segs[ns].n = (size_t)(e - s);
    ns++;
    if (!slash) break;
    s = slash + 1;
  }
  if (ns && segs[ns - 1].n == 0) ns--; /* a trailing '/' */
  /* the primary key: the first key AI after which AI/value pairs follow */
  size_t k = SIZE_MAX, first_key = SIZE_MAX, first_ai = SIZE_MAX;
  for (size_t i = 0; i < ns; i++) {
    const sy_ai_entry *e = seg_ai(&segs[i]);
    if (!e || i + 1 >= ns) continue;
    if (first_ai == SIZE_MAX && (ns - i) % 2 == 0) first_ai = i;
    if (!e->dlpkey) continue;
    if (first_key == SIZE_MAX) first_key = i;
    if ((ns - i) % 2 == 0) {
      k = i;
      break;
    }
  }
  for (size_t i = 0; i < ns; i++) {
    static const char *const alphas[] = {"gtin",  "itip",  "cpv",  "lot",  "ser",  "gln",
                                         "party", "gsrnp", "gsrn", "gdti", "ginc", "gsin",
                                         "sscc",  "grai",  "giai", "cpid", "gcn",  "gmn"};
    for (size_t a = 0; a < sizeof alphas / sizeof alphas[0]; a++)
      if (seg_is(&segs[i], alphas[a]) && i + 1 < ns && k == SIZE_MAX)
        return sy_ident_fail(err, errlen,
                             "convenience alpha \"%s\" is not accepted: Digital Link URI syntax "
                             "1.3+ uses numeric AIs only",
                             alphas[a]);
  }
  if (k == SIZE_MAX) {
    if (first_key != SIZE_MAX)
      return sy_ident_fail(err, errlen, "after primary key (%.*s) the path must be AI/value pairs",
                           (int)segs[first_key].n, segs[first_key].p);
    if (first_ai != SIZE_MAX)
      return sy_ident_fail(err, errlen,
                           "AI (%.*s) is not a GS1 Digital Link primary key, so it cannot start "
                           "the path",
                           (int)segs[first_ai].n, segs[first_ai].p);
    return sy_ident_fail(err, errlen, "no GS1 Digital Link primary key in the URI path");
  }
  sy_gs1 g;
  memset(&g, 0, sizeof g);
  const sy_ai_entry *ke = seg_ai(&segs[k]);
  int rc = add_value(&g, ke, segs[k + 1].p, segs[k + 1].n, err, errlen);
  if (rc) return rc;
  char q[SY_GS1_MAX_AIS][5];
  size_t nq = 0;
  for (size_t i = k + 2; i + 1 < ns; i += 2) {
    const sy_ai_entry *e = seg_ai(&segs[i]);
    if (!e) {
      if (segs[i].n >= 2 && segs[i].n <= 4 && sy_ident_all_digits(segs[i].p, segs[i].n))
        return sy_ident_fail(err, errlen, "unknown application identifier (%.*s) in the path",
                             (int)segs[i].n, segs[i].p);
      return sy_ident_fail(err, errlen, "\"%.*s\" in the path is not a numeric AI",
                           (int)(segs[i].n > 20 ? 20 : segs[i].n), segs[i].p);
    }
    if (nq == SY_GS1_MAX_AIS - 1) return sy_ident_fail(err, errlen, "too many key qualifiers");
    snprintf(q[nq++], 5, "%s", e->ai);
    rc = add_value(&g, e, segs[i + 1].p, segs[i + 1].n, err, errlen);
    if (rc) return rc;
  }
  rc = check_qualifiers(ke, q, nq, err, errlen);
  if (rc) return rc;
  /* data attributes in the query; other parameters are ignored */
  const char *a = query;
  while (a && a < query + qlen) {
    size_t plen = strcspn(a, "&#");
    if (a + plen > query + qlen) plen = (size_t)(query + qlen - a);
    const char *eq = memchr(a, '=', plen);
    if (eq) {
      seg key = {a, (size_t)(eq - a)};
      const sy_ai_entry *e = seg_ai(&key);
      if (e) {
        if (is_key_qualifier(ke->dlpkey, e->ai))
          return sy_ident_fail(err, errlen,
                               "AI (%s) is a key qualifier of (%s): it goes in the path, not the "
                               "query string",
                               e->ai, ke->ai);
        if (!e->dl_attr)
          return sy_ident_fail(err, errlen,
                               "AI (%s) %s is not allowed as a Digital Link data attribute in the "
                               "query string",
                               e->ai, e->title);
        rc = add_value(&g, e, eq + 1, plen - (size_t)(eq + 1 - a), err, errlen);
        if (rc) return rc;
      }
    }
    a += plen + 1;
  }
  rc = sy_gs1_finish(&g, 1, err, errlen);
  if (rc) return rc;
  *out = g;
  return SY_OK;
}

static int dl_put(char *out, size_t size, size_t *len, const char *s, size_t n) {
  if (*len + n + 1 > size) return SY_ETOOBIG;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = 0;
  return SY_OK;
}

static int dl_put_enc(char *out, size_t size, size_t *len, const char *v) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *v; v++) {
    unsigned char c = (unsigned char)*v;
    int rc;
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      rc = dl_put(out, size, len, v, 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = dl_put(out, size, len, e, 3);
    }
    if (rc) return rc;
  }
  return SY_OK;
}

int sy_gs1_to_dl(const sy_gs1 *g, const char *base, char *out, size_t size) {
  if (!out || size == 0) return SY_ETOOBIG;
  out[0] = 0;
  if (sy_gs1_check_struct(g, NULL, 0)) return SY_EINVAL;
  const sy_ai_entry *ke = sy_ai_lookup(g->ais[0].ai);
  if (!ke || !ke->dlpkey) return SY_EINVAL;
  if (!base) base = "https://id.gs1.org";
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/') bl--;
  char alt[64];
  sy_gs1_best_alt(ke, g, alt, sizeof alt);
  size_t len = 0;
  int rc = dl_put(out, size, &len, base, bl);
  if (!rc) rc = dl_put(out, size, &len, "/", 1);
  if (!rc) rc = dl_put(out, size, &len, ke->ai, strlen(ke->ai));
  if (!rc) rc = dl_put(out, size, &len, "/", 1);
  if (!rc) rc = dl_put_enc(out, size, &len, g->ais[0].value);
  const char *p = alt;
  while (!rc && *p) {
    size_t ql = strcspn(p, ",");
    for (size_t i = 1; !rc && i < g->n; i++)
      if (strlen(g->ais[i].ai) == ql && memcmp(g->ais[i].ai, p, ql) == 0) {
        rc = dl_put(out, size, &len, "/", 1);
        if (!rc) rc = dl_put(out, size, &len, g->ais[i].ai, ql);
        if (!rc) rc = dl_put(out, size, &len, "/", 1);
        if (!rc) rc = dl_put_enc(out, size, &len, g->ais[i].value);
      }
    p += ql;
    if (*p == ',') p++;
  }
  int first = 1;
  for (size_t i = 1; !rc && i < g->n; i++) {
    if (sy_ident_in_list(alt, g->ais[i].ai)) continue;
    const sy_ai_entry *e = sy_ai_lookup(g->ais[i].ai);
    if (!e || !e->dl_attr) rc = SY_EINVAL; /* cannot be said in a DL */
    if (!rc) rc = dl_put(out, size, &len, first ? "?" : "&", 1);
    if (!rc) rc = dl_put(out, size, &len, e->ai, strlen(e->ai));
    if (!rc) rc = dl_put(out, size, &len, "=", 1);
    if (!rc) rc = dl_put_enc(out, size, &len, g->ais[i].value);
    first = 0;
  }
  if (rc) out[0] = 0;
  return rc;
}
