/* Trace and recall over HTTP (SPEC I2, M2; docs/trace.md has the JSON
 * shapes, the contract with the CLI):
 *   GET /v1/trace/forward?epc=ID[&max_depth=N]   material lot -> products
 *   GET /v1/trace/backward?epc=ID[&max_depth=N]  product -> material lots
 *   GET /v1/trace/history?epc=ID[&perPage=N][&nextPageToken=T]
 *   GET /v1/recall?epc=ID[&max_depth=N]          recall report of a lot
 * The walks are the ledger's (sy_ledger_trace): breadth first over the
 * lineage index, bounded in depth and nodes. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/api_json.h"
#include "core/sy_error.h"
#include "ledger/events.h"

#define ID_MAX 2048        /* bytes of an identifier (the ledger's URI_MAX is 2048) */
#define MAX_DEPTH_MAX 1000 /* largest max_depth accepted */
#define DEFAULT_PER_PAGE 30
#define MAX_PER_PAGE 1000

/* ---- parameters ---------------------------------------------------------------- */

typedef struct params {
  const char *allowed[4];
  const char *vals[4];
  size_t lens[4];
  char err[400];
} params;

static int param_each(void *arg, const char *key, size_t klen, const char *val, size_t vlen) {
  params *p = arg;
  char kc[3 * 64 + 1];
  sy_api_utf8_clean(kc, sizeof kc, key, klen < 64 ? klen : 64);
  for (int i = 0; i < 4 && p->allowed[i]; i++) {
    if (strlen(p->allowed[i]) != klen || memcmp(p->allowed[i], key, klen) != 0) continue;
    if (p->vals[i]) {
      snprintf(p->err, sizeof p->err, "%s is given more than once", kc);
      return 1;
    }
    if (!val || vlen == 0) {
      snprintf(p->err, sizeof p->err, "%s needs a value", kc);
      return 1;
    }
    if (vlen > ID_MAX || strnlen(val, vlen) != vlen ||
        !sy_api_utf8_valid((const uint8_t *)val, vlen)) {
      snprintf(p->err, sizeof p->err, "%s must be UTF-8 text of at most %d bytes", kc, ID_MAX);
      return 1;
    }
    for (size_t k = 0; k < vlen; k++) {
      if ((unsigned char)val[k] < 0x20 || val[k] == 0x7f) {
        snprintf(p->err, sizeof p->err, "%s holds a control character", kc);
        return 1;
      }
    }
    p->vals[i] = val;
    p->lens[i] = vlen;
    return 0;
  }
  snprintf(p->err, sizeof p->err, "unknown query parameter %s", kc);
  return 1;
}

/* Reads the parameters named in p->allowed; anything else is refused.
 * 0, or -1 with the problem filled in. epc (allowed[0]) is required. */
static int get_params(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, params *p) {
  if (rq->query_each && rq->query_each(rq->query_ctx, param_each, p)) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "%s", p->err);
    return -1;
  }
  if (!p->vals[0]) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                   "%s=ID is required (an EPC, class or Digital Link URI, percent-encoded)",
                   p->allowed[0]);
    return -1;
  }
  return 0;
}

/* max_depth: 1..MAX_DEPTH_MAX; 0 when absent (the ledger's default, 64). */
static int get_depth(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, const char *v,
                     size_t n, unsigned *depth) {
  *depth = 0;
  if (!v) return 0;
  uint64_t d;
  if (sy_api_parse_u64(v, n, &d) != 0 || d == 0 || d > MAX_DEPTH_MAX) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                   "max_depth must be a whole number from 1 to %d", MAX_DEPTH_MAX);
    return -1;
  }
  *depth = (unsigned)d;
  return 0;
}

/* ---- the answer, written straight into one growing buffer ----------------------
 * The trace and recall answers are large (a forward walk of 10,000 nodes
 * answers ~7 MB): building a cJSON tree of a few hundred thousand items and
 * then printing it cost as much as the walk itself (docs/benchmarks.md).
 * jw writes the same text cJSON_PrintUnformatted would (same keys, order,
 * escapes and number forms: docs/benchmarks.md says how the two were
 * compared byte for byte), without the tree. */

typedef struct jw {
  char *p;
  size_t len, cap;
  int oom;
} jw;

/* Room for n more bytes (and a NUL); 0, or -1 with oom set. */
static int jw_need(jw *w, size_t n) {
  if (w->oom) return -1;
  if (n + 1 <= w->cap - w->len) return 0;
  size_t nc = w->cap ? w->cap : 4096;
  while (nc - w->len < n + 1) {
    if (nc > SIZE_MAX / 2) {
      w->oom = 1;
      return -1;
    }
    nc *= 2;
  }
  char *np = realloc(w->p, nc);
  if (!np) {
    w->oom = 1;
    return -1;
  }
  w->p = np;
  w->cap = nc;
  return 0;
}

static void jw_raw(jw *w, const char *s, size_t n) {
  if (jw_need(w, n)) return;
  memcpy(w->p + w->len, s, n);
  w->len += n;
}

/* A ',' unless this is the first member or element of its container. */
static void jw_sep(jw *w) {
  if (w->len && w->p[w->len - 1] != '{' && w->p[w->len - 1] != '[') jw_raw(w, ",", 1);
}

/* "k": (keys are plain ASCII literals). */
static void jw_key(jw *w, const char *k) {
  jw_sep(w);
  size_t n = strlen(k);
  if (jw_need(w, n + 3)) return;
  w->p[w->len++] = '"';
  memcpy(w->p + w->len, k, n);
  w->len += n;
  w->p[w->len++] = '"';
  w->p[w->len++] = ':';
}

/* s as a JSON string: invalid UTF-8 bytes become U+FFFD (as put_text's
 * sy_api_utf8_clean did), then cJSON's escapes: \" \\ \b \f \n \r \t, other
 * bytes below 0x20 as \u00xx, everything else as is. */
static void jw_str(jw *w, const char *s) {
  static const char hex[] = "0123456789abcdef";
  const uint8_t *p = (const uint8_t *)s;
  size_t n = strlen(s);
  if (n > (SIZE_MAX - 2) / 6) {
    w->oom = 1;
    return;
  }
  if (jw_need(w, 6 * n + 2)) return; /* worst case: every byte \u00xx */
  char *o = w->p + w->len;
  *o++ = '"';
  for (size_t i = 0; i < n;) {
    uint8_t c = p[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      size_t j = i + 1;
      while (j < n && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\') j++;
      memcpy(o, p + i, j - i);
      o += j - i;
      i = j;
      continue;
    }
    if (c >= 0x80) {
      size_t k = sy_api_utf8_seq(p + i, n - i);
      if (k == 0) {
        memcpy(o, "\xef\xbf\xbd", 3);
        o += 3;
        i++;
      } else {
        memcpy(o, p + i, k);
        o += k;
        i += k;
      }
      continue;
    }
    *o++ = '\\';
    switch (c) {
      case '"':
        *o++ = '"';
        break;
      case '\\':
        *o++ = '\\';
        break;
      case '\b':
        *o++ = 'b';
        break;
      case '\f':
        *o++ = 'f';
        break;
      case '\n':
        *o++ = 'n';
        break;
      case '\r':
        *o++ = 'r';
        break;
      case '\t':
        *o++ = 't';
        break;
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    i++;
  }
  *o++ = '"';
  w->len = (size_t)(o - w->p);
}

/* "k":"s" when s is set (put_text: absent when NULL). */
static void put_text(jw *w, const char *k, const char *s) {
  if (!s) return;
  jw_key(w, k);
  jw_str(w, s);
}

static void put_str(jw *w, const char *k, const char *s) {
  jw_key(w, k);
  if (s)
    jw_str(w, s);
  else
    jw_raw(w, "null", 4);
}

static void put_time(jw *w, const char *k, int64_t ms) {
  char t[32];
  sy_api_format_time(ms, t);
  put_str(w, k, t);
}

static void put_u64(jw *w, const char *k, uint64_t v) {
  char t[24];
  int n = snprintf(t, sizeof t, "%" PRIu64, v);
  jw_key(w, k);
  jw_raw(w, t, (size_t)n);
}

static void put_bool(jw *w, const char *k, int v) {
  jw_key(w, k);
  if (v)
    jw_raw(w, "true", 4);
  else
    jw_raw(w, "false", 5);
}

/* A double exactly as cJSON prints it: cJSON prints it (one stack item,
 * into a stack buffer, no allocation). */
static void put_num(jw *w, const char *k, double v) {
  cJSON item;
  memset(&item, 0, sizeof item);
  item.type = cJSON_Number;
  cJSON_SetNumberHelper(&item, v);
  char t[64];
  jw_key(w, k);
  if (!cJSON_PrintPreallocated(&item, t, (int)sizeof t, 0)) {
    w->oom = 1;
    return;
  }
  jw_raw(w, t, strlen(t));
}

/* Hands the text to rs (200, application/json), or answers 503. */
static void jw_send(jw *w, sy_api_resp *rs) {
  if (w->oom || jw_need(w, 0)) {
    free(w->p);
    sy_api_resp_oom(rs);
    return;
  }
  w->p[w->len] = 0;
  free(rs->body);
  rs->status = 200;
  rs->content_type = "application/json";
  rs->body = w->p;
  rs->body_len = w->len;
}

static void trace_problem(sy_api_router *r, sy_api_resp *rs, const char *path, int rc,
                          const char *id) {
  if (rc == SY_ENOTFOUND) {
    char c[3 * 200 + 1];
    sy_api_utf8_clean(c, sizeof c, id, 200);
    sy_api_problem(r, rs, 404, "not-found", path, "no event on the chain names %s", c);
  } else if (rc == SY_EINVAL) {
    sy_api_problem(r, rs, 400, "invalid-parameter", path, "the identifier is not valid");
  } else {
    sy_api_problem_err(r, rs, rc, path, "trace");
  }
}

/* ---- forward / backward -------------------------------------------------------------- */

void sy_api_trace_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs, int direction) {
  params p = {.allowed = {"epc", "max_depth"}};
  if (get_params(r, rq, rs, &p) != 0) return;
  unsigned depth;
  if (get_depth(r, rq, rs, p.vals[1], p.lens[1], &depth) != 0) return;
  char *id = strndup(p.vals[0], p.lens[0]);
  if (!id) {
    sy_api_resp_oom(rs);
    return;
  }
  sy_trace t;
  memset(&t, 0, sizeof t);
  int rc = sy_ledger_trace(r->ledger, id, direction, depth, 0, &t);
  if (rc != SY_OK) {
    trace_problem(r, rs, rq->path, rc, id);
    free(id);
    return;
  }
  jw w = {0};
  jw_need(&w, 4096 + 400 * t.n_nodes + 300 * t.n_edges);
  jw_raw(&w, "{", 1);
  put_text(&w, "start", id);
  put_str(&w, "direction", direction == SY_TRACE_FORWARD ? "forward" : "backward");
  put_bool(&w, "truncated", t.truncated);
  put_bool(&w, "cycles", t.cycles);
  jw_key(&w, "nodes");
  jw_raw(&w, "[", 1);
  for (size_t i = 0; i < t.n_nodes && !w.oom; i++) {
    const sy_trace_node *n = &t.nodes[i];
    jw_sep(&w);
    jw_raw(&w, "{", 1);
    put_text(&w, "id", n->id);
    put_u64(&w, "depth", n->depth);
    if (n->uom || n->quantity != 0) {
      put_num(&w, "quantity", n->quantity);
      if (n->uom) put_text(&w, "uom", n->uom);
    }
    if (n->last_event_id) {
      jw_key(&w, "last");
      jw_raw(&w, "{", 1);
      put_text(&w, "eventID", n->last_event_id);
      put_time(&w, "eventTime", n->last_event_time_ms);
      put_text(&w, "bizStep", n->last_biz_step);
      put_text(&w, "disposition", n->last_disposition);
      put_text(&w, "bizLocation", n->last_biz_location);
      put_text(&w, "org", n->last_org);
      jw_raw(&w, "}", 1);
    }
    jw_raw(&w, "}", 1);
  }
  jw_raw(&w, "]", 1);
  jw_key(&w, "edges");
  jw_raw(&w, "[", 1);
  for (size_t i = 0; i < t.n_edges && !w.oom; i++) {
    const sy_trace_edge *e = &t.edges[i];
    if (e->from >= t.n_nodes || e->to >= t.n_nodes) continue;
    jw_sep(&w);
    jw_raw(&w, "{", 1);
    put_text(&w, "from", t.nodes[e->from].id);
    put_text(&w, "to", t.nodes[e->to].id);
    put_text(&w, "kind", e->kind);
    put_text(&w, "eventID", e->event_id);
    jw_raw(&w, "}", 1);
  }
  jw_raw(&w, "]}", 2);
  sy_trace_free(&t);
  free(id);
  jw_send(&w, rs);
}

/* ---- history ------------------------------------------------------------------------ */

void sy_api_history_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  params p = {.allowed = {"epc", "perPage", "nextPageToken"}};
  if (get_params(r, rq, rs, &p) != 0) return;
  size_t limit = DEFAULT_PER_PAGE;
  if (p.vals[1]) {
    uint64_t pp;
    if (sy_api_parse_u64(p.vals[1], p.lens[1], &pp) != 0 || pp == 0) {
      sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                     "perPage must be a whole number from 1 to %d", MAX_PER_PAGE);
      return;
    }
    limit = pp > MAX_PER_PAGE ? MAX_PER_PAGE : (size_t)pp;
  }
  char token[64] = "";
  if (p.vals[2]) {
    if (p.lens[2] >= sizeof token) goto bad_token;
    memcpy(token, p.vals[2], p.lens[2]);
    token[p.lens[2]] = 0;
    if (!sy_api_page_token_ok(token)) goto bad_token;
  }
  char *id = strndup(p.vals[0], p.lens[0]);
  if (!id) {
    sy_api_resp_oom(rs);
    return;
  }
  sy_event_page pg;
  memset(&pg, 0, sizeof pg);
  int rc = sy_ledger_history(r->ledger, id, token[0] ? token : NULL, limit, &pg);
  if (rc == SY_OK && pg.n == 0 && !token[0]) { /* nothing names it */
    sy_event_page_free(&pg);
    rc = SY_ENOTFOUND;
  }
  if (rc != SY_OK) {
    trace_problem(r, rs, rq->path, rc, id);
    free(id);
    return;
  }
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  { /* put_text's rule, for the cJSON answer of history */
    size_t n = strlen(id);
    char *c = malloc(3 * n + 1);
    if (c) sy_api_utf8_clean(c, 3 * n + 1, id, n);
    if (c)
      jb_str(&b, o, "epc", c);
    else
      b.oom = 1;
    free(c);
  }
  cJSON *evs = jb_arr(&b, o, "events");
  if (evs && sy_api_events_json(r, &pg, evs, 1) != SY_OK) b.oom = 1;
  if (pg.more) {
    jb_str(&b, o, "nextPageToken", pg.next_token);
    if (!b.oom) sy_api_next_link(rq, rs, pg.next_token);
  }
  sy_event_page_free(&pg);
  free(id);
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
  return;
bad_token:
  sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                 "nextPageToken is not a token this node gave out");
}

/* ---- recall -------------------------------------------------------------------------- */

/* docs/trace.md: lot for class identifiers, serial for instances,
 * container for SSCC / GRAI / GIAI, other otherwise. */
static const char *id_kind(const char *id) {
  if (!strncmp(id, "urn:epc:class:lgtin:", 20)) return "lot";
  if (!strncmp(id, "urn:epc:id:sgtin:", 17)) return "serial";
  if (!strncmp(id, "urn:epc:id:sscc:", 16) || !strncmp(id, "urn:epc:id:grai:", 16) ||
      !strncmp(id, "urn:epc:id:giai:", 16))
    return "container";
  const char *path = NULL;
  if (!strncmp(id, "https://", 8))
    path = strchr(id + 8, '/');
  else if (!strncmp(id, "http://", 7))
    path = strchr(id + 7, '/');
  if (path) { /* GS1 Digital Link */
    if (strstr(path, "/21/")) return "serial";
    if (strstr(path, "/10/")) return "lot";
    if (!strncmp(path, "/00/", 4) || strstr(path, "/00/") || strstr(path, "/8003/") ||
        strstr(path, "/8004/"))
      return "container";
  }
  return "other";
}

void sy_api_recall_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  params p = {.allowed = {"epc", "max_depth"}};
  if (get_params(r, rq, rs, &p) != 0) return;
  unsigned depth;
  if (get_depth(r, rq, rs, p.vals[1], p.lens[1], &depth) != 0) return;
  char *id = strndup(p.vals[0], p.lens[0]);
  if (!id) {
    sy_api_resp_oom(rs);
    return;
  }
  sy_trace t;
  memset(&t, 0, sizeof t);
  int rc = sy_ledger_trace(r->ledger, id, SY_TRACE_FORWARD, depth, 0, &t);
  if (rc != SY_OK) {
    trace_problem(r, rs, rq->path, rc, id);
    free(id);
    return;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  jw w = {0};
  jw_need(&w, 4096 + 500 * t.n_nodes);
  jw_raw(&w, "{", 1);
  put_text(&w, "lot", id);
  put_time(&w, "generated_at", (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  jw_key(&w, "affected");
  jw_raw(&w, "[", 1);
  /* organisations: items per org, in order of first appearance */
  const char **orgs = calloc(t.n_nodes ? t.n_nodes : 1, sizeof *orgs);
  uint64_t *items = calloc(t.n_nodes ? t.n_nodes : 1, sizeof *items);
  size_t norgs = 0;
  if (!orgs || !items) w.oom = 1;
  for (size_t i = 1; i < t.n_nodes && !w.oom; i++) { /* [0] is the lot itself */
    const sy_trace_node *n = &t.nodes[i];
    jw_sep(&w);
    jw_raw(&w, "{", 1);
    put_text(&w, "id", n->id);
    put_str(&w, "kind", id_kind(n->id));
    put_u64(&w, "depth", n->depth);
    put_text(&w, "bizLocation", n->last_biz_location);
    put_text(&w, "disposition", n->last_disposition);
    put_text(&w, "bizStep", n->last_biz_step);
    put_text(&w, "org", n->last_org);
    if (n->last_event_id) put_time(&w, "lastEventTime", n->last_event_time_ms);
    if (n->uom || n->quantity != 0) {
      put_num(&w, "quantity", n->quantity);
      if (n->uom) put_text(&w, "uom", n->uom);
    }
    jw_raw(&w, "}", 1);
    if (n->last_org) {
      size_t k = 0;
      while (k < norgs && strcmp(orgs[k], n->last_org) != 0) k++;
      if (k == norgs) orgs[norgs++] = n->last_org;
      items[k]++;
    }
  }
  jw_raw(&w, "]", 1);
  jw_key(&w, "organisations");
  jw_raw(&w, "[", 1);
  for (size_t k = 0; k < norgs && !w.oom; k++) {
    jw_sep(&w);
    jw_raw(&w, "{", 1);
    put_text(&w, "org", orgs[k]);
    put_u64(&w, "items", items[k]);
    jw_raw(&w, "}", 1);
  }
  jw_raw(&w, "]", 1);
  put_u64(&w, "count", t.n_nodes ? t.n_nodes - 1 : 0);
  put_bool(&w, "truncated", t.truncated);
  jw_raw(&w, "}", 1);
  free(orgs);
  free(items);
  sy_trace_free(&t);
  free(id);
  jw_send(&w, rs);
}
