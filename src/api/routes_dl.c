/* GS1 Digital Link resolver, the consumer trace page and the product view
 * (SPEC C1-C3, I7, M2; issue 5; docs/resolver.md).
 *
 *   GET /{primary key AI}/{value}[/{qualifier AI}/{value}...][?query]
 *       the resolver: a browser (Accept: text/html) gets the trace page;
 *       Accept: application/linkset+json or application/json gets the
 *       product's RFC 9264 linkset; ?linkType=gs1:xxx redirects (307) to
 *       that link (300 with the linkset when several match, 404 when none);
 *       ?linkType=all gives the linkset; anything else is redirected (307)
 *       to the default link (the trace page). Malformed -> 400, a key no
 *       event names -> 404.
 *   GET /v1/product?id=...   the product view and, per event, the evidence a
 *       browser needs to check the event against the chain without trusting
 *       this server (raw transaction, Merkle path, block header, seals, keys).
 *   GET /, /web/{file}       the page's files, compiled in (web_embed.c).
 *   GET /.well-known/gs1resolver   the resolver description.
 *
 * Every value that reaches a link is percent-encoded; every text the page
 * shows comes from the ledger, which validated it at capture. */
#define SY_API_INTERNAL
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_json.h"
#include "api/product_timeline.h"
#include "api/web_files.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"

#define GS1_VOC "https://gs1.org/voc/"
#define EVIDENCE_MAX_BYTES ((size_t)4 << 20) /* raw transaction bytes in one product view */

const char *sy_api_public_url(const sy_api_router *r) {
  return r->public_url ? r->public_url : r->base_url;
}

/* GS1 Digital Link primary keys (GS1 DL 1.4 / syntax dictionary dlpkey). */
static const char *const PRIMARY_KEYS[] = {"00",   "01",   "253",  "255",  "401",
                                           "402",  "414",  "417",  "8003", "8004",
                                           "8006", "8010", "8013", "8017", "8018"};

int sy_api_dl_is_path(const char *path) {
  if (!path || path[0] != '/') return 0;
  const char *s = strchr(path + 1, '/');
  if (!s) return 0;
  size_t n = (size_t)(s - path - 1);
  for (size_t i = 0; i < sizeof PRIMARY_KEYS / sizeof PRIMARY_KEYS[0]; i++)
    if (strlen(PRIMARY_KEYS[i]) == n && memcmp(path + 1, PRIMARY_KEYS[i], n) == 0) return 1;
  return 0;
}

/* ---- small helpers ------------------------------------------------------------------ */

/* Growing string; err set once memory ran out. */
typedef struct str {
  char *p;
  size_t n, cap;
  int err;
} str;

static void s_put(str *s, const char *t, size_t n) {
  if (s->err) return;
  if (s->n + n + 1 > s->cap) {
    size_t nc = s->cap ? s->cap : 128;
    while (nc < s->n + n + 1) nc *= 2;
    char *np = realloc(s->p, nc);
    if (!np) {
      s->err = 1;
      return;
    }
    s->p = np;
    s->cap = nc;
  }
  memcpy(s->p + s->n, t, n);
  s->n += n;
  s->p[s->n] = 0;
}
static void s_cat(str *s, const char *t) {
  s_put(s, t, strlen(t));
}
static void s_enc(str *s, const char *t) {
  char *e = sy_api_url_encode(t, strlen(t));
  if (!e) {
    s->err = 1;
    return;
  }
  s_cat(s, e);
  free(e);
}

/* The value of query parameter key (first of names), NUL-terminated in buf. */
static int query_get(const sy_api_req *rq, const char *const *names, size_t nn, char *buf,
                     size_t size, int *too_long) {
  *too_long = 0;
  for (size_t i = 0; i < nn; i++) {
    const char *v = NULL;
    size_t len = 0;
    if (rq->query && rq->query(rq->query_ctx, names[i], &v, &len)) {
      if (!v) len = 0;
      if (len >= size) {
        *too_long = 1;
        return 0;
      }
      if (len) memcpy(buf, v, len);
      buf[len] = 0;
      return 1;
    }
  }
  return 0;
}

static const char *header(const sy_api_req *rq, const char *name) {
  return rq->header ? rq->header(rq->query_ctx, name) : NULL;
}

/* q value of media type t in an Accept header (0 when absent; exact types,
 * "type/ *" wildcards count with their own q, the most specific wins). */
static double accept_q(const char *accept, const char *t) {
  if (!accept) return 0;
  const char *slash = strchr(t, '/');
  size_t major = slash ? (size_t)(slash - t) : strlen(t);
  double best = 0;
  int best_spec = -1;
  const char *p = accept;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    const char *end = strchr(p, ','), *semi;
    size_t n = end ? (size_t)(end - p) : strlen(p);
    semi = memchr(p, ';', n);
    size_t tn = semi ? (size_t)(semi - p) : n;
    while (tn && p[tn - 1] == ' ') tn--;
    double q = 1;
    if (semi) {
      const char *qp = strstr(semi, "q=");
      if (qp && qp < p + n) q = strtod(qp + 2, NULL);
    }
    int spec = -1;
    if (tn == strlen(t) && strncasecmp(p, t, tn) == 0)
      spec = 2;
    else if (tn == major + 2 && strncasecmp(p, t, major) == 0 && memcmp(p + major, "/*", 2) == 0)
      spec = 1;
    else if (tn == 3 && memcmp(p, "*/*", 3) == 0)
      spec = 0;
    if (spec > best_spec) {
      best_spec = spec;
      best = q;
    }
    if (!end) break;
    p = end + 1;
  }
  return best;
}

/* 1 when the client named t itself (not through a wildcard) with q > 0. */
static int accepts_exactly(const char *accept, const char *t) {
  if (!accept) return 0;
  const char *p = accept;
  size_t n = strlen(t);
  while ((p = strcasestr(p, t)) != NULL) {
    char c = p[n];
    if (c == 0 || c == ',' || c == ';' || c == ' ') return accept_q(accept, t) > 0;
    p += n;
  }
  return 0;
}

/* ---- links ---------------------------------------------------------------------------- */

typedef struct link {
  const char *rel; /* "pip": the GS1 Web Vocabulary term */
  char *href;      /* owned */
  const char *title_en, *title_zh;
  const char *type; /* media type of the target, may be NULL */
} link;

typedef struct links {
  link v[24];
  size_t n;
  int oom;
} links;

static void links_free(links *ls) {
  for (size_t i = 0; i < ls->n; i++) free(ls->v[i].href);
  ls->n = 0;
}

static void link_add(links *ls, const char *rel, str *href, const char *en, const char *zh,
                     const char *type) {
  if (href->err || !href->p) {
    ls->oom = 1;
    free(href->p);
  } else if (ls->n == sizeof ls->v / sizeof ls->v[0]) {
    free(href->p);
  } else {
    ls->v[ls->n++] = (link){rel, href->p, en, zh, type};
  }
  memset(href, 0, sizeof *href);
}

/* The product's links. base: public URL without a trailing '/'. */
static void build_links(const char *base, const sy_product *p, const sy_product_tl *tl, links *ls) {
  str h = {0};
  /* The trace page: the same page a browser gets at the DL URI itself. */
  s_cat(&h, base), s_cat(&h, "/web/?id="), s_enc(&h, p->dl_path);
  link_add(ls, "pip", &h, "Product trace page", "产品追溯页面", "text/html");
  s_cat(&h, base), s_cat(&h, "/web/?id="), s_enc(&h, p->dl_path);
  link_add(ls, "defaultLink", &h, "Product trace page", "产品追溯页面", "text/html");
  s_cat(&h, base), s_cat(&h, "/v1/product?id="), s_enc(&h, p->dl_path);
  link_add(ls, "masterData", &h, "Product view with evidence (JSON)", "产品信息与证明 (JSON)",
           "application/json");
  if (p->epc[0]) {
    s_cat(&h, base), s_cat(&h, "/v1/trace/history?epc="), s_enc(&h, p->epc);
    link_add(ls, "traceability", &h, "Trace history", "追溯历史", "application/json");
    s_cat(&h, base), s_cat(&h, "/epcis/events?MATCH_anyEPC="), s_enc(&h, p->epc);
    link_add(ls, "epcis", &h, "EPCIS events", "EPCIS 事件", "application/ld+json");
  }
  s_cat(&h, base), s_cat(&h, "/v1/verify-code");
  link_add(ls, "verificationService", &h, "Verify the anti-counterfeit code", "防伪码验证",
           "application/json");
  /* certificationInfo of the product's own events: links to certificates. */
  for (size_t i = 0; tl && i < tl->n_events; i++) {
    if (tl->event_kind[i] != SY_PID_PRODUCT || !tl->events[i].json ||
        !strstr(tl->events[i].json, "certificationInfo"))
      continue;
    cJSON *j = cJSON_Parse(tl->events[i].json);
    const cJSON *ci = j ? cJSON_GetObjectItemCaseSensitive(j, "certificationInfo") : NULL;
    const cJSON *it;
    if (cJSON_IsString(ci)) {
      if (strncmp(ci->valuestring, "http", 4) == 0) {
        s_cat(&h, ci->valuestring);
        link_add(ls, "certificationInfo", &h, "Certificate", "认证证书", NULL);
      }
    } else if (cJSON_IsArray(ci)) {
      cJSON_ArrayForEach(it, ci) {
        if (cJSON_IsString(it) && strncmp(it->valuestring, "http", 4) == 0) {
          s_cat(&h, it->valuestring);
          link_add(ls, "certificationInfo", &h, "Certificate", "认证证书", NULL);
        }
      }
    }
    cJSON_Delete(j);
  }
}

/* {"linkset": [{"anchor": ..., "itemDescription": ..., "https://gs1.org/voc/pip": [...]}]}
 * with only the links of rel (NULL: all). */
static cJSON *linkset_json(sy_jb *b, const char *anchor, const sy_product *p, const links *ls,
                           const char *rel) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = jb_arr(b, root, "linkset");
  cJSON *ctx = jb_obj(b, arr, NULL);
  jb_str(b, ctx, "anchor", anchor);
  if (p->product_name[0]) jb_str(b, ctx, "itemDescription", p->product_name);
  char key[96];
  for (size_t i = 0; i < ls->n; i++) {
    if (rel && strcmp(rel, ls->v[i].rel) != 0) continue;
    snprintf(key, sizeof key, GS1_VOC "%s", ls->v[i].rel);
    cJSON *targets = cJSON_GetObjectItemCaseSensitive(ctx, key);
    if (!targets) targets = jb_put_k(b, ctx, key, cJSON_CreateArray());
    cJSON *t = jb_obj(b, targets, NULL);
    jb_str(b, t, "href", ls->v[i].href);
    jb_str(b, t, "title", ls->v[i].title_en);
    if (ls->v[i].type) jb_str(b, t, "type", ls->v[i].type);
    cJSON *hl = jb_arr(b, t, "hreflang");
    jb_put(b, hl, NULL, cJSON_CreateString("en"));
    jb_put(b, hl, NULL, cJSON_CreateString("zh"));
    /* RFC 9264 section 4.2.4.2: internationalised target attributes. */
    cJSON *tz = jb_arr(b, t, "title*");
    cJSON *z = jb_obj(b, tz, NULL);
    jb_str(b, z, "value", ls->v[i].title_zh);
    jb_str(b, z, "language", "zh");
  }
  return root;
}

/* ---- the page's files ---------------------------------------------------------------- */

static const char *media_type(const char *name) {
  const char *dot = strrchr(name, '.');
  if (!dot) return "application/octet-stream";
  if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
  if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
  if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
  if (strcmp(dot, ".json") == 0) return "application/json";
  if (strcmp(dot, ".svg") == 0) return "image/svg+xml";
  if (strcmp(dot, ".png") == 0) return "image/png";
  if (strcmp(dot, ".ico") == 0) return "image/x-icon";
  if (strcmp(dot, ".txt") == 0) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

static const sy_web_file *web_find(const char *name) {
  for (size_t i = 0; i < sy_web_nfiles; i++)
    if (strcmp(sy_web_files[i].name, name) == 0) return &sy_web_files[i];
  return NULL;
}

/* The page may only talk to this origin and run its own files. */
static void web_headers(sy_api_resp *rs) {
  sy_api_resp_header(rs, "Content-Security-Policy",
                     "default-src 'self'; script-src 'self'; style-src 'self'; "
                     "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                     "base-uri 'none'; form-action 'self'");
  sy_api_resp_header(rs, "X-Content-Type-Options", "nosniff");
  sy_api_resp_header(rs, "Referrer-Policy", "no-referrer");
}

static int web_serve(sy_api_resp *rs, const char *name) {
  const sy_web_file *f = web_find(name);
  if (!f) return 0;
  char *body = malloc(f->len ? f->len : 1);
  if (!body) {
    sy_api_resp_oom(rs);
    return 1;
  }
  memcpy(body, f->data, f->len);
  free(rs->body);
  rs->status = 200;
  rs->content_type = media_type(name);
  rs->body = body;
  rs->body_len = f->len;
  web_headers(rs);
  return 1;
}

void sy_api_web_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  const char *path = rq->path;
  const char *name = NULL;
  if (strcmp(path, "/") == 0 || strcmp(path, "/web/") == 0 || strcmp(path, "/web") == 0)
    name = "index.html";
  else if (strncmp(path, "/web/", 5) == 0)
    name = path + 5;
  /* Names come from the compiled-in table only: nothing reaches the file
   * system, so "..", "//" and the like simply are not found. */
  if (!name || strlen(name) > 128 || !web_serve(rs, name))
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no such file of the trace page");
}

/* ---- the resolver --------------------------------------------------------------------- */

/* Data attributes of the query, "?17=261231&3103=000500", for the DL parser. */
typedef struct qattr {
  str q;
} qattr;

static int collect_attr(void *arg, const char *key, size_t key_len, const char *val,
                        size_t val_len) {
  qattr *qa = arg;
  if (key_len < 2 || key_len > 4 || !val) return 0;
  for (size_t i = 0; i < key_len; i++)
    if (key[i] < '0' || key[i] > '9') return 0;
  char *k = strndup(key, key_len), *v = strndup(val, val_len);
  if (!k || !v) {
    qa->q.err = 1;
  } else {
    s_cat(&qa->q, qa->q.n ? "&" : "?");
    s_cat(&qa->q, k);
    s_cat(&qa->q, "=");
    s_enc(&qa->q, v);
  }
  free(k);
  free(v);
  return 0;
}

/* The request's DL path with every segment percent-encoded again (the
 * server decoded it), plus its data attributes. NULL when memory ran out. */
static char *dl_uri_of(const sy_api_req *rq) {
  str s = {0};
  const char *p = rq->path;
  while (*p == '/') {
    const char *seg = p + 1, *end = strchr(seg, '/');
    size_t n = end ? (size_t)(end - seg) : strlen(seg);
    char *t = strndup(seg, n);
    if (!t) {
      s.err = 1;
      break;
    }
    s_cat(&s, "/");
    s_enc(&s, t);
    free(t);
    if (!end) break;
    p = end;
  }
  qattr qa = {0};
  if (rq->query_each) rq->query_each(rq->query_ctx, collect_attr, &qa);
  if (qa.q.n) s_cat(&s, qa.q.p);
  if (qa.q.err) s.err = 1;
  free(qa.q.p);
  if (s.err) {
    free(s.p);
    return NULL;
  }
  return s.p;
}

/* gs1:pip, https://gs1.org/voc/pip, http://gs1.org/voc/pip or pip -> "pip". */
static const char *link_type_term(const char *lt) {
  static const char *const pre[] = {"gs1:", "https://gs1.org/voc/", "http://gs1.org/voc/",
                                    "https://www.gs1.org/voc/"};
  for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
    size_t n = strlen(pre[i]);
    if (strncasecmp(lt, pre[i], n) == 0) return lt + n;
  }
  return lt;
}

static void link_header(sy_api_resp *rs, const char *base, const char *dl_path) {
  sy_api_resp_header(rs, "Link",
                     "<%s%s?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\"",
                     base, dl_path);
  sy_api_resp_header(rs, "Vary", "Accept");
}

void sy_api_dl_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  char err[256] = "";
  char lt[128];
  int lt_long = 0;
  static const char *const lt_names[] = {"linkType", "linktype"};
  int has_lt = query_get(rq, lt_names, 2, lt, sizeof lt, &lt_long);
  if (lt_long) {
    sy_api_problem(r, rs, 400, "invalid-link-type", rq->path, "linkType is too long");
    return;
  }
  char *uri = dl_uri_of(rq);
  if (!uri) {
    sy_api_resp_oom(rs);
    return;
  }
  sy_gs1 g;
  if (strlen(uri) > 1024 || sy_gs1_parse_dl(uri, &g, err, sizeof err) != 0) {
    sy_api_problem(r, rs, 400, "invalid-digital-link", rq->path, "not a valid GS1 Digital Link: %s",
                   err[0] ? err : "bad syntax");
    free(uri);
    return;
  }
  sy_product p;
  sy_product_tl tl;
  int rc = sy_product_timeline(r->ledger, uri, &p, &tl, err, sizeof err);
  free(uri);
  if (rc == SY_EINVAL) {
    sy_api_problem(r, rs, 400, "invalid-digital-link", rq->path, "not a valid GS1 Digital Link: %s",
                   err[0] ? err : "bad syntax");
    return;
  }
  if (rc == SY_ENOTFOUND) {
    sy_api_problem(r, rs, 404, "not-found", rq->path,
                   "no event on this chain names this identifier");
    return;
  }
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "product");
    return;
  }
  const char *base = sy_api_public_url(r);
  links ls = {0};
  build_links(base, &p, &tl, &ls);
  sy_product_tl_free(&tl);
  if (ls.oom) {
    links_free(&ls);
    sy_api_resp_oom(rs);
    return;
  }
  str anchor = {0};
  s_cat(&anchor, base);
  s_cat(&anchor, p.dl_path);
  if (anchor.err) {
    links_free(&ls);
    free(anchor.p);
    sy_api_resp_oom(rs);
    return;
  }

  const char *accept = header(rq, "Accept");
  int want_linkset = 0;
  const char *rel = NULL;
  if (has_lt && strcasecmp(lt, "all") == 0) {
    want_linkset = 1;
  } else if (has_lt && lt[0]) {
    rel = link_type_term(lt);
    size_t found = 0, at = 0;
    for (size_t i = 0; i < ls.n; i++)
      if (strcmp(ls.v[i].rel, rel) == 0) found++, at = i;
    if (found == 0) {
      sy_api_problem(r, rs, 404, "link-type-not-found", rq->path,
                     "this product has no link of type %s", lt);
    } else if (found == 1) {
      rs->status = 307;
      rs->content_type = "text/plain; charset=utf-8";
      rs->static_body = "";
      sy_api_resp_header(rs, "Location", "%s", ls.v[at].href);
      link_header(rs, base, p.dl_path);
    } else { /* GS1 Resolver CE: several equally good links -> 300 */
      sy_jb b = {0};
      cJSON *o = linkset_json(&b, anchor.p, &p, &ls, rel);
      sy_api_resp_json(rs, 300, o, b.oom, "application/linkset+json");
      link_header(rs, base, p.dl_path);
    }
    links_free(&ls);
    free(anchor.p);
    return;
  } else if (accepts_exactly(accept, "application/linkset+json") ||
             (accepts_exactly(accept, "application/json") &&
              accept_q(accept, "application/json") >= accept_q(accept, "text/html"))) {
    want_linkset = 1;
  } else if (accept_q(accept, "text/html") > 0 && accepts_exactly(accept, "text/html")) {
    /* A browser: the trace page itself, which reads the key from its URL. */
    if (!web_serve(rs, "index.html"))
      sy_api_problem(r, rs, 404, "not-found", rq->path, "the trace page is not built in");
    else
      link_header(rs, base, p.dl_path);
    links_free(&ls);
    free(anchor.p);
    return;
  }
  if (want_linkset) {
    sy_jb b = {0};
    cJSON *o = linkset_json(&b, anchor.p, &p, &ls, NULL);
    const char *ct = accepts_exactly(accept, "application/json") &&
                             !accepts_exactly(accept, "application/linkset+json")
                         ? "application/json"
                         : "application/linkset+json";
    sy_api_resp_json(rs, 200, o, b.oom, ct);
    link_header(rs, base, p.dl_path);
  } else { /* no preference: the default link, like GS1's resolvers */
    rs->status = 307;
    rs->content_type = "text/plain; charset=utf-8";
    rs->static_body = "";
    for (size_t i = 0; i < ls.n; i++)
      if (strcmp(ls.v[i].rel, "defaultLink") == 0)
        sy_api_resp_header(rs, "Location", "%s", ls.v[i].href);
    link_header(rs, base, p.dl_path);
  }
  links_free(&ls);
  free(anchor.p);
}

/* ---- GET /.well-known/gs1resolver --------------------------------------------------- */

void sy_api_gs1resolver_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  (void)rq;
  static const struct {
    const char *term, *title, *desc;
  } types[] = {
      {"pip", "Product Information Page", "The consumer trace page of the item."},
      {"defaultLink", "Default link", "The consumer trace page of the item."},
      {"masterData", "Master data", "The product view with its events and their proofs (JSON)."},
      {"traceability", "Traceability information", "The item's trace history (JSON)."},
      {"epcis", "EPC Information Services (EPCIS) repository",
       "The item's EPCIS 2.0 events (REST binding)."},
      {"certificationInfo", "Certification Information",
       "Certificates named by the item's events (certificationInfo)."},
      {"verificationService", "Verification Service",
       "Checks an anti-counterfeit code (POST /v1/verify-code)."},
  };
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  jb_str(&b, o, "name", "Suyuan GS1 Digital Link resolver");
  jb_str(&b, o, "resolverRoot", sy_api_public_url(r));
  cJSON *slt = jb_arr(&b, o, "supportedLinkType");
  cJSON *ns = jb_obj(&b, slt, NULL);
  jb_str(&b, ns, "namespace", GS1_VOC);
  jb_str(&b, ns, "prefix", "gs1:");
  cJSON *pk = jb_arr(&b, o, "supportedPrimaryKeys");
  for (size_t i = 0; i < sizeof PRIMARY_KEYS / sizeof PRIMARY_KEYS[0]; i++)
    jb_put(&b, pk, NULL, cJSON_CreateString(PRIMARY_KEYS[i]));
  jb_bool(&b, o, "linkTypeDefaultCanBeAll", 1);
  jb_bool(&b, o, "supportsLanguageVariants", 0);
  jb_bool(&b, o, "supportsSemanticInterpretation", 0);
  jb_bool(&b, o, "validatesAIcombinations", 1);
  cJSON *act = jb_obj(&b, o, "activeLinkTypes");
  cJSON *en = jb_obj(&b, act, "en");
  char key[64], url[96];
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    snprintf(key, sizeof key, "gs1:%s", types[i].term);
    snprintf(url, sizeof url, GS1_VOC "%s", types[i].term);
    cJSON *t = jb_put_k(&b, en, key, cJSON_CreateObject());
    jb_str(&b, t, "title", types[i].title);
    jb_str(&b, t, "description", types[i].desc);
    jb_str(&b, t, "url", url);
  }
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
}

/* ---- GET /v1/product ----------------------------------------------------------------- */

static const char *kind_name(int k) {
  return k == SY_PID_MATERIAL ? "material" : k == SY_PID_CONTAINER ? "container" : "product";
}

static void put_b64(sy_jb *b, cJSON *o, const char *k, const uint8_t *p, size_t n) {
  char *t = malloc(sy_b64_encoded_len(n) + 1);
  if (!t) {
    b->oom = 1;
    return;
  }
  sy_b64_encode(t, p, n);
  jb_str(b, o, k, t);
  free(t);
}

static void put_hex(sy_jb *b, cJSON *o, const char *k, const uint8_t *p, size_t n) {
  char t[2 * SY_PK_MAX + 2 * SY_SIG_MAX + 1];
  if (n * 2 + 1 > sizeof t) n = (sizeof t - 1) / 2;
  sy_hex_encode(t, p, n);
  jb_str(b, o, k, t);
}

static void put_time(sy_jb *b, cJSON *o, const char *k, int64_t ms) {
  char t[32];
  sy_api_format_time(ms, t);
  jb_str(b, o, k, t);
}

static const char *hash_name(const sy_suite *s) {
  if (s && s->name) {
    size_t n = strlen(s->name);
    if (n >= 4 && strcmp(s->name + n - 4, "-sm3") == 0) return "sm3";
  }
  return "sha-256";
}

typedef struct seen_signer {
  uint8_t id[SY_KEYID_LEN];
  int found;
  sy_member m;
} seen_signer;

static int nodes_cb(void *ctx, const sy_node_info *n) {
  void **a = ctx;
  sy_jb *b = a[0];
  cJSON *arr = a[1];
  cJSON *o = jb_obj(b, arr, NULL);
  put_hex(b, o, "key_id", n->key_id, SY_KEYID_LEN);
  jb_str(b, o, "org", n->org);
  put_hex(b, o, "public_key", n->pk, n->pk_len);
  jb_bool(b, o, "active", !n->removed);
  jb_u64(b, o, "added_height", n->added_height);
  if (n->removed) jb_u64(b, o, "removed_height", n->removed_height);
  return 0;
}

static void put_product(sy_jb *b, cJSON *o, const sy_product *p, const char *base) {
  jb_str(b, o, "gtin", p->gtin);
  jb_str(b, o, "lot", p->lot);
  jb_str(b, o, "serial", p->serial);
  jb_str(b, o, "epc", p->epc);
  jb_str(b, o, "dl_path", p->dl_path);
  str dl = {0};
  s_cat(&dl, base);
  s_cat(&dl, p->dl_path);
  jb_str(b, o, "dl", dl.err ? NULL : dl.p);
  if (dl.err) b->oom = 1;
  free(dl.p);
  char es[160];
  if (sy_gs1_to_element_string(&p->key, es, sizeof es) == 0) jb_str(b, o, "element_string", es);
  jb_str(b, o, "product_name", p->product_name);
  jb_str(b, o, "model", p->model);
  jb_str(b, o, "production_date", p->production_date);
  jb_str(b, o, "inspection", p->inspection);
  if (p->inspected_ms)
    put_time(b, o, "inspected_at", p->inspected_ms);
  else
    jb_null(b, o, "inspected_at");
  jb_str(b, o, "brand_org", p->brand_org);
  jb_str(b, o, "brand_name", p->brand_name);
  jb_str(b, o, "tel", p->tel);
  jb_str(b, o, "sms", p->sms);
  jb_str(b, o, "web", p->web);
  jb_u64(b, o, "events", p->events);
  if (p->events) {
    put_time(b, o, "first_time", p->first_ms);
    put_time(b, o, "last_time", p->last_ms);
  }
}

void sy_api_product_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  char id[1025], err[256] = "";
  int too_long = 0;
  static const char *const idn[] = {"id"};
  if (!query_get(rq, idn, 1, id, sizeof id, &too_long) || !id[0]) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                   too_long ? "id is longer than 1024 bytes"
                            : "id is required: a GS1 Digital Link, EPC URN or element string");
    return;
  }
  if (!sy_api_utf8_valid((const uint8_t *)id, strlen(id))) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "id is not valid UTF-8");
    return;
  }
  sy_product p;
  sy_product_tl tl;
  int rc = sy_product_timeline(r->ledger, id, &p, &tl, err, sizeof err);
  if (rc == SY_EINVAL) {
    sy_api_problem(r, rs, 400, "invalid-id", rq->path, "not a product identifier: %s",
                   err[0] ? err : "bad syntax");
    return;
  }
  if (rc == SY_ENOTFOUND) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no event on this chain names %s", id);
    return;
  }
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "product");
    return;
  }
  const char *base = sy_api_public_url(r);
  const sy_suite *suite = sy_ledger_suite(r->ledger);
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  jb_str(&b, o, "id", id);
  put_product(&b, jb_obj(&b, o, "product"), &p, base);

  sy_tip tip;
  cJSON *chain = jb_obj(&b, o, "chain");
  jb_str(&b, chain, "chain_id", sy_ledger_chain_id(r->ledger));
  jb_str(&b, chain, "suite", suite && suite->name ? suite->name : "unknown");
  jb_str(&b, chain, "hash", hash_name(suite));
  if (sy_ledger_tip(r->ledger, &tip) == SY_OK) {
    jb_u64(&b, chain, "height", tip.height);
    put_hex(&b, chain, "genesis_hash", tip.genesis_hash, SY_HASH_LEN);
  }

  links ls = {0};
  build_links(base, &p, &tl, &ls);
  cJSON *lo = jb_obj(&b, o, "links");
  for (size_t i = 0; i < ls.n; i++)
    if (!cJSON_GetObjectItemCaseSensitive(lo, ls.v[i].rel))
      jb_str(&b, lo, ls.v[i].rel, ls.v[i].href);
  if (ls.oom) b.oom = 1;
  links_free(&ls);

  cJSON *ids = jb_arr(&b, o, "ids");
  for (size_t i = 0; i < tl.n_ids; i++) {
    cJSON *x = jb_obj(&b, ids, NULL);
    jb_str(&b, x, "id", tl.ids[i]);
    jb_str(&b, x, "kind", kind_name(tl.id_kind[i]));
  }
  jb_bool(&b, o, "truncated", tl.truncated);

  /* Signers, once each (the page shows who recorded what; their keys let it
   * check each transaction's signature too). */
  seen_signer *sg = calloc(tl.n_events ? tl.n_events : 1, sizeof *sg);
  size_t nsg = 0;
  if (!sg) b.oom = 1;
  cJSON *orgs = jb_arr(&b, o, "organisations");
  cJSON *events = jb_arr(&b, o, "events");
  cJSON *txs = jb_obj(&b, o, "transactions");
  cJSON *blocks = jb_obj(&b, o, "blocks");
  size_t evidence = 0;
  char hex[2 * SY_HASH_LEN + 1], hkey[24];
  for (size_t i = 0; i < tl.n_events && sg && !b.oom; i++) {
    const sy_event *e = &tl.events[i];
    size_t s = 0;
    for (; s < nsg; s++)
      if (memcmp(sg[s].id, e->signer, SY_KEYID_LEN) == 0) break;
    if (s == nsg) {
      memcpy(sg[s].id, e->signer, SY_KEYID_LEN);
      sg[s].found = sy_ledger_get_member(r->ledger, e->signer, &sg[s].m) == SY_OK;
      nsg++;
    }
    if (e->org) {
      int have = 0;
      const cJSON *it;
      cJSON_ArrayForEach(it, orgs) {
        const cJSON *oid = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(oid) && strcmp(oid->valuestring, e->org) == 0) have = 1;
      }
      if (!have) {
        cJSON *org = jb_obj(&b, orgs, NULL);
        jb_str(&b, org, "id", e->org);
        sy_org reg;
        int have_reg = sy_ledger_get_org(r->ledger, e->org, &reg) == SY_OK;
        jb_str(&b, org, "name", have_reg && reg.name[0] ? reg.name : e->org);
        if (have_reg && reg.web[0]) jb_str(&b, org, "web", reg.web);
        jb_bool(&b, org, "brand_owner", strcmp(e->org, p.brand_org) == 0);
      }
    }
    cJSON *ev = jb_obj(&b, events, NULL);
    jb_u64(&b, ev, "seq", e->seq);
    jb_str(&b, ev, "kind", kind_name(tl.event_kind[i]));
    jb_str(&b, ev, "eventID", e->event_id);
    jb_str(&b, ev, "hashID", e->hash_id);
    jb_str(&b, ev, "type", e->type);
    put_time(&b, ev, "eventTime", e->event_time_ms);
    jb_i64(&b, ev, "eventTimeMs", e->event_time_ms);
    put_time(&b, ev, "recordTime", (int64_t)e->record_time_ms);
    jb_str(&b, ev, "action", e->action);
    jb_str(&b, ev, "bizStep", e->biz_step ? sy_product_cbv_word(e->biz_step) : NULL);
    jb_str(&b, ev, "disposition", e->disposition ? sy_product_cbv_word(e->disposition) : NULL);
    jb_str(&b, ev, "readPoint", e->read_point);
    jb_str(&b, ev, "bizLocation", e->biz_location);
    jb_str(&b, ev, "org", e->org);
    put_hex(&b, ev, "signer", e->signer, SY_KEYID_LEN);
    jb_str(&b, ev, "signerName", sg[s].found ? sg[s].m.name : NULL);
    sy_hex_encode(hex, e->tx_id, SY_HASH_LEN);
    jb_str(&b, ev, "txId", hex);
    jb_u64(&b, ev, "txIndex", e->tx_index);
    jb_u64(&b, ev, "eventIndex", e->event_index);
    jb_u64(&b, ev, "height", e->height);

    /* The evidence, once per transaction and per block. */
    if (cJSON_GetObjectItemCaseSensitive(txs, hex)) continue;
    sy_tx_info info;
    memset(&info, 0, sizeof info);
    if (sy_ledger_get_tx(r->ledger, e->tx_id, &info) != SY_OK) continue;
    if (evidence + info.raw_len > EVIDENCE_MAX_BYTES) {
      jb_bool(&b, o, "evidence_truncated", 1);
      sy_tx_info_free(&info);
      continue;
    }
    evidence += info.raw_len;
    cJSON *tx = jb_put_k(&b, txs, hex, cJSON_CreateObject());
    put_b64(&b, tx, "raw", info.raw, info.raw_len);
    jb_u64(&b, tx, "height", info.height);
    jb_u64(&b, tx, "index", info.index);
    jb_bool(&b, tx, "valid", info.reason == 0);
    if (sg[s].found) put_hex(&b, tx, "signer_public_key", sg[s].m.pk, sg[s].m.pk_len);
    /* The same proof object as GET /v1/tx/{id}. */
    cJSON *pf = jb_obj(&b, tx, "proof");
    jb_str(&b, pf, "algorithm", "rfc6962");
    jb_str(&b, pf, "hash", hash_name(suite));
    jb_u64(&b, pf, "leaf_index", info.index);
    jb_u64(&b, pf, "tree_size", info.block.tx_count);
    put_hex(&b, pf, "root", info.block.tx_root, SY_HASH_LEN);
    cJSON *path = jb_arr(&b, pf, "path");
    for (size_t k = 0; path && k < info.proof_len; k++) {
      sy_hex_encode(hex, info.proof[k], SY_HASH_LEN);
      jb_put(&b, path, NULL, cJSON_CreateString(hex));
    }
    snprintf(hkey, sizeof hkey, "%llu", (unsigned long long)info.height);
    if (!cJSON_GetObjectItemCaseSensitive(blocks, hkey)) {
      sy_block_info bi;
      memset(&bi, 0, sizeof bi);
      cJSON *blk = jb_put_k(&b, blocks, hkey, cJSON_CreateObject());
      uint8_t hdr[SY_BLOCK_HEADER_LEN];
      sy_block_header_encode(&info.block, hdr);
      put_b64(&b, blk, "header", hdr, sizeof hdr);
      put_hex(&b, blk, "hash", info.block_hash, SY_HASH_LEN);
      cJSON *att = jb_arr(&b, blk, "attestations");
      if (sy_ledger_get_block(r->ledger, info.height, &bi) == SY_OK) {
        for (size_t k = 0; k < bi.natt; k++) {
          cJSON *a = jb_obj(&b, att, NULL);
          put_hex(&b, a, "node", bi.att[k].node, SY_KEYID_LEN);
          put_hex(&b, a, "signature", bi.att[k].sig,
                  bi.att[k].sig_len < SY_SIG_MAX ? bi.att[k].sig_len : SY_SIG_MAX);
        }
        sy_block_info_free(&bi);
      }
    }
    sy_tx_info_free(&info);
  }
  free(sg);
  cJSON *nodes = jb_arr(&b, o, "nodes");
  void *ctx[2] = {&b, nodes};
  sy_ledger_list_nodes(r->ledger, nodes_cb, ctx);
  sy_product_tl_free(&tl);
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
}
