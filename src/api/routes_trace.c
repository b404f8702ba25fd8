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

static void put_time(sy_jb *b, cJSON *o, const char *k, int64_t ms) {
  char t[32];
  sy_api_format_time(ms, t);
  jb_str(b, o, k, t);
}

/* Strings from the ledger were captured as valid UTF-8 JSON; cleaned all
 * the same, since they go back out. */
static void put_text(sy_jb *b, cJSON *o, const char *k, const char *s) {
  if (!s) return;
  size_t n = strlen(s);
  char *t = malloc(3 * n + 1);
  if (!t) {
    b->oom = 1;
    return;
  }
  sy_api_utf8_clean(t, 3 * n + 1, s, n);
  jb_str(b, o, k, t);
  free(t);
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
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  put_text(&b, o, "start", id);
  jb_str(&b, o, "direction", direction == SY_TRACE_FORWARD ? "forward" : "backward");
  jb_bool(&b, o, "truncated", t.truncated);
  jb_bool(&b, o, "cycles", t.cycles);
  cJSON *nodes = jb_arr(&b, o, "nodes");
  for (size_t i = 0; nodes && i < t.n_nodes && !b.oom; i++) {
    const sy_trace_node *n = &t.nodes[i];
    cJSON *no = jb_obj(&b, nodes, NULL);
    put_text(&b, no, "id", n->id);
    jb_u64(&b, no, "depth", n->depth);
    if (n->uom || n->quantity != 0) {
      jb_num(&b, no, "quantity", n->quantity);
      if (n->uom) put_text(&b, no, "uom", n->uom);
    }
    if (n->last_event_id) {
      cJSON *last = jb_obj(&b, no, "last");
      put_text(&b, last, "eventID", n->last_event_id);
      put_time(&b, last, "eventTime", n->last_event_time_ms);
      put_text(&b, last, "bizStep", n->last_biz_step);
      put_text(&b, last, "disposition", n->last_disposition);
      put_text(&b, last, "bizLocation", n->last_biz_location);
      put_text(&b, last, "org", n->last_org);
    }
  }
  cJSON *edges = jb_arr(&b, o, "edges");
  for (size_t i = 0; edges && i < t.n_edges && !b.oom; i++) {
    const sy_trace_edge *e = &t.edges[i];
    if (e->from >= t.n_nodes || e->to >= t.n_nodes) continue;
    cJSON *eo = jb_obj(&b, edges, NULL);
    put_text(&b, eo, "from", t.nodes[e->from].id);
    put_text(&b, eo, "to", t.nodes[e->to].id);
    put_text(&b, eo, "kind", e->kind);
    put_text(&b, eo, "eventID", e->event_id);
  }
  sy_trace_free(&t);
  free(id);
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
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
  put_text(&b, o, "epc", id);
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
  sy_jb b = {0};
  cJSON *o = cJSON_CreateObject();
  put_text(&b, o, "lot", id);
  put_time(&b, o, "generated_at", (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  cJSON *aff = jb_arr(&b, o, "affected");
  /* organisations: items per org, in order of first appearance */
  const char **orgs = calloc(t.n_nodes ? t.n_nodes : 1, sizeof *orgs);
  uint64_t *items = calloc(t.n_nodes ? t.n_nodes : 1, sizeof *items);
  size_t norgs = 0;
  if (!orgs || !items) b.oom = 1;
  for (size_t i = 1; aff && i < t.n_nodes && !b.oom; i++) { /* [0] is the lot itself */
    const sy_trace_node *n = &t.nodes[i];
    cJSON *a = jb_obj(&b, aff, NULL);
    put_text(&b, a, "id", n->id);
    jb_str(&b, a, "kind", id_kind(n->id));
    jb_u64(&b, a, "depth", n->depth);
    put_text(&b, a, "bizLocation", n->last_biz_location);
    put_text(&b, a, "disposition", n->last_disposition);
    put_text(&b, a, "bizStep", n->last_biz_step);
    put_text(&b, a, "org", n->last_org);
    if (n->last_event_id) put_time(&b, a, "lastEventTime", n->last_event_time_ms);
    if (n->uom || n->quantity != 0) {
      jb_num(&b, a, "quantity", n->quantity);
      if (n->uom) put_text(&b, a, "uom", n->uom);
    }
    if (n->last_org) {
      size_t k = 0;
      while (k < norgs && strcmp(orgs[k], n->last_org) != 0) k++;
      if (k == norgs) orgs[norgs++] = n->last_org;
      items[k]++;
    }
  }
  cJSON *oa = jb_arr(&b, o, "organisations");
  for (size_t k = 0; oa && k < norgs && !b.oom; k++) {
    cJSON *e = jb_obj(&b, oa, NULL);
    put_text(&b, e, "org", orgs[k]);
    jb_u64(&b, e, "items", items[k]);
  }
  jb_u64(&b, o, "count", t.n_nodes ? t.n_nodes - 1 : 0);
  jb_bool(&b, o, "truncated", t.truncated);
  free(orgs);
  free(items);
  sy_trace_free(&t);
  free(id);
  sy_api_resp_json(rs, 200, o, b.oom, NULL);
}
