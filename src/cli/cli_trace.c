/* Reading trace data from a node: `trace backward|forward|history`,
 * `recall` and `events` (docs/cli.md; the JSON shapes are docs/trace.md's
 * contract, the query parameters those of the EPCIS 2.0 REST binding). */
#include <cjson/cJSON.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"

#define ID_MAX 2048          /* the ledger's identifier limit */
#define MAX_PAGES 100000     /* a node that never stops paging is a bug, not data */
#define MAX_TREE_DEPTH 10000 /* recursion bound when drawing */

/* ---- small helpers --------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jget(const cJSON *o, const char *name) {
  return cJSON_GetObjectItemCaseSensitive(o, name);
}

static void print_body(const sy_http_resp *r) {
  fwrite(r->body, 1, r->len, stdout);
  if (r->len == 0 || r->body[r->len - 1] != '\n') fputc('\n', stdout);
}

/* Numbers as a person writes them: 100, 12.5 (no exponent for integers). */
static void fmt_num(double v, char *out, size_t size) {
  if (v >= -9e15 && v <= 9e15 && (double)(long long)v == v)
    snprintf(out, size, "%lld", (long long)v);
  else
    snprintf(out, size, "%.15g", v);
}

/* CBV web URIs and URNs shortened to their term ("shipping"), for text. */
static const char *cbv_short(const char *v) {
  static const char *const prefixes[] = {
      "https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-",
      "urn:epcglobal:cbv:bizstep:",       "urn:epcglobal:cbv:disp:",
      "https://gs1.org/voc/BizStep-",     "https://gs1.org/voc/Disp-",
  };
  if (!v) return NULL;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(v, prefixes[i], n) == 0 && v[n]) return v + n;
  }
  return v;
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 1;
}

/* An RFC 3339 time ("2026-11-21T09:00:00.5+08:00") as UTC with
 * milliseconds ("2026-11-21T01:00:00.500Z"); anything else is copied. */
static void fmt_time(const char *s, char *out, size_t size) {
  int y, mo, d, h, mi, se, frac = 0, fd = 0, off = 0;
  if (!s) {
    snprintf(out, size, "-");
    return;
  }
  const char *p = s + 19;
  if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
      !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
      s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
    goto verbatim;
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++, fd++)
      if (fd < 3) frac = frac * 10 + (*p - '0');
    for (int k = fd; k < 3; k++) frac *= 10;
  }
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om)) goto verbatim;
    off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    goto verbatim;
  }
  if (*p) goto verbatim;
  struct tm tm = {.tm_year = y - 1900,
                  .tm_mon = mo - 1,
                  .tm_mday = d,
                  .tm_hour = h,
                  .tm_min = mi,
                  .tm_sec = se > 59 ? 59 : se};
  time_t t = timegm(&tm) - (time_t)off * 60;
  struct tm u;
  if (!gmtime_r(&t, &u)) goto verbatim;
  char day[40];
  strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &u);
  snprintf(out, size, "%s.%03dZ", day, frac);
  return;
verbatim:
  snprintf(out, size, "%s", s);
}

/* ---- aligned tables ----------------------------------------------------------------------- */

#define TABLE_MAX_COLS 12

/* Rows of text cells, printed with each column as wide as its widest cell
 * (in code points), two spaces apart, the last column unpadded. */
typedef struct table {
  size_t ncols;
  char **cells; /* nrows * ncols, owned */
  size_t nrows, cap;
  size_t width[TABLE_MAX_COLS];
  int oom;
} table;

static size_t text_width(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Adds a row of ncols cells (copied; NULL prints as "-"). */
static void table_row(table *t, const char *const *vals) {
  if (t->oom) return;
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 16;
    char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
    if (!c) {
      t->oom = 1;
      return;
    }
    t->cells = c;
    t->cap = cap;
  }
  char **row = &t->cells[t->nrows * t->ncols];
  for (size_t i = 0; i < t->ncols; i++) {
    row[i] = strdup(vals[i] ? vals[i] : "-");
    if (!row[i]) {
      while (i > 0) free(row[--i]);
      t->oom = 1;
      return;
    }
    size_t w = text_width(row[i]);
    if (w > t->width[i]) t->width[i] = w;
  }
  t->nrows++;
}

static void table_print(const table *t, const char *indent) {
  for (size_t r = 0; r < t->nrows; r++) {
    char **row = &t->cells[r * t->ncols];
    fputs(indent, stdout);
    for (size_t i = 0; i < t->ncols; i++) {
      fputs(row[i], stdout);
      if (i + 1 < t->ncols) printf("%*s", (int)(t->width[i] - text_width(row[i]) + 2), "");
    }
    putchar('\n');
  }
  if (t->oom) cli_err("out of memory: the table is incomplete");
}

static void table_free(table *t) {
  for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof *t);
}

/* Identifiers come from the command line: no controls, a sane length. */
static int check_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n >= ID_MAX) {
    cli_err("the identifier must be 1 to %d bytes", ID_MAX - 1);
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f) {
      cli_err("the identifier contains a control character");
      return -1;
    }
  return 0;
}

/* Query strings: key=value pairs, values percent-encoded. */
static int q_add(sy_buf *q, const char *key, const char *value) {
  char *v = sy_client_escape(value);
  if (!v) {
    if (!q->err) q->err = SY_ENOMEM;
    return SY_ENOMEM;
  }
  int first = q->len == 0 || memchr(q->p, '?', q->len) == NULL;
  sy_buf_put(q, first ? "?" : "&", 1);
  sy_buf_put(q, key, strlen(key));
  sy_buf_put(q, "=", 1);
  sy_buf_put(q, v, strlen(v));
  free(v);
  return q->err;
}

/* path (a NUL-terminated sy_buf) to a string; NULL when out of memory. */
static const char *q_str(sy_buf *q) {
  sy_buf_u8(q, 0);
  if (q->err) return NULL;
  q->len--; /* keep the NUL out of the length, so more can be added */
  return (const char *)q->p;
}

/* GET path; on success *out is the parsed answer (transferred) and resp
 * holds the raw one (caller frees). Problems are reported by cli_get. */
static int get_json(cli *c, const char *path, sy_http_resp *resp, cJSON **out) {
  int rc = cli_get(c, path, resp);
  if (rc) return rc;
  *out = cJSON_ParseWithLength(resp->body, resp->len);
  if (!*out) {
    cli_err("the node's answer to %s is not JSON", path);
    sy_http_resp_free(resp);
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* When a Bearer token is configured (--token-file FILE, else $SUYUAN_TOKEN),
 * opens c->client with it: a node run with --auth-reads wants one for
 * trace, recall and events. Called after the options are parsed (--node). */
static int use_token(cli *c, const char *token_file) {
  char *buf = NULL;
  const char *tok = NULL;
  if (token_file) {
    uint8_t *text = NULL;
    size_t n = 0;
    int rc = cli_read_file(token_file, 4096, &text, &n);
    if (rc) {
      cli_err("cannot read the token file %s: %s", token_file,
              rc == SY_ETOOBIG     ? "too large"
              : rc == SY_ENOTFOUND ? "no such file"
                                   : "read error");
      return CLI_FAIL;
    }
    size_t line = strcspn((const char *)text, "\r\n");
    text[line] = 0;
    if (line == 0) {
      free(text);
      cli_err("the token file %s is empty", token_file);
      return CLI_FAIL;
    }
    buf = (char *)text;
    tok = buf;
  } else {
    const char *env = getenv("SUYUAN_TOKEN");
    if (env && *env) tok = env;
  }
  if (!tok) return CLI_OK;
  sy_client_free(c->client);
  c->client = NULL;
  sy_client_opts o = {.base_url = c->node, .timeout_ms = c->timeout_s * 1000, .bearer = tok};
  int rc = sy_client_new(&c->client, &o);
  if (buf) {
    explicit_bzero(buf, strlen(buf));
    free(buf);
  }
  if (rc) {
    c->client = NULL;
    if (rc == SY_EINVAL)
      cli_err("the token has a control character (or the node URL is bad)");
    else
      cli_err("cannot set up the HTTP client: %s", sy_strerror(rc));
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* The target of rel="next" in a Link header, copied into out. 0 when found. */
static int link_next(const char *link, char *out, size_t size) {
  const char *p = link;
  while (p && (p = strchr(p, '<'))) {
    const char *end = strchr(p, '>');
    if (!end) return -1;
    const char *params = end + 1, *stop = strchr(params, '<');
    size_t plen = stop ? (size_t)(stop - params) : strlen(params);
    /* rel="next", rel=next, rel="prev next" */
    for (const char *r = params; r && r < params + plen; r++) {
      r = strcasestr(r, "rel");
      if (!r || r >= params + plen) break;
      const char *v = r + 3;
      while (*v == ' ') v++;
      if (*v != '=') continue;
      v++;
      while (*v == ' ') v++;
      int quoted = *v == '"';
      if (quoted) v++;
      for (;;) {
        size_t w = strcspn(v, quoted ? "\" " : " ;,");
        if (w == 4 && strncasecmp(v, "next", 4) == 0) {
          size_t n = (size_t)(end - p - 1);
          if (n + 1 > size) return -1;
          memcpy(out, p + 1, n);
          out[n] = 0;
          return 0;
        }
        v += w;
        if (!quoted || *v != ' ') break;
        v++;
      }
    }
    p = end + 1;
  }
  return -1;
}

/* Builds the path of the next page from the answer: nextPageToken in the
 * body, else Link rel="next" (its nextPageToken, or its path). base is
 * the first page's path (with a query). 1 = there is a next page, 0 = no,
 * -1 = out of memory. */
static int next_page(const char *base, const cJSON *body, const sy_http_resp *r, sy_buf *out) {
  sy_buf_reset(out);
  const char *tok = jstr(body, "nextPageToken");
  if (tok && *tok) {
    sy_buf_put(out, base, strlen(base));
    if (q_add(out, "nextPageToken", tok) || !q_str(out)) return -1;
    return 1;
  }
  char target[4096];
  if (!r->link || link_next(r->link, target, sizeof target) != 0) return 0;
  const char *t = strstr(target, "nextPageToken=");
  if (t && (t == target || t[-1] == '?' || t[-1] == '&')) {
    t += strlen("nextPageToken=");
    size_t n = strcspn(t, "&#");
    if (n == 0) return 0;
    sy_buf_put(out, base, strlen(base));
    sy_buf_put(out, strchr(base, '?') ? "&" : "?", 1);
    sy_buf_put(out, "nextPageToken=", strlen("nextPageToken="));
    sy_buf_put(out, t, n); /* already percent-encoded by the node */
    return q_str(out) ? 1 : -1;
  }
  /* No token: follow the link itself, when it points at this node. */
  const char *path = target;
  if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
    path = strchr(strstr(path, "://") + 3, '/');
    if (!path) return 0;
  }
  if (path[0] != '/') return 0;
  sy_buf_put(out, path, strlen(path));
  return q_str(out) ? 1 : -1;
}

/* ---- trace backward | forward ----------------------------------------------------------- */

static const char TRACE_USAGE[] =
    "suyuan trace <backward|forward> ID [--format tree|json|dot] [--max-depth N]\n"
    "       suyuan trace history ID [--json] [--per-page N]\n"
    "       (both also [--token-file FILE])";

static const char TRACE_HELP[] =
    "usage: suyuan trace <backward|forward> ID [--format tree|json|dot] [--max-depth N]\n"
    "       suyuan trace history ID [--json] [--per-page N]\n"
    "\n"
    "Follows an identifier (EPC URN, class URN or GS1 Digital Link URI, exactly as\n"
    "recorded) through the lineage the chain holds (SPEC I2):\n"
    "\n"
    "  backward, back   where it came from: outputs to inputs of transformations,\n"
    "                   a parent to its children (a defective product to every\n"
    "                   material lot involved)\n"
    "  forward, fwd     where it went: inputs to outputs, children to parents (a\n"
    "                   defective material lot to every product that used it)\n"
    "  history          every event naming it, oldest first, as a timeline\n"
    "\n"
    "  -f, --format F   tree (default): an indented tree, one line per identifier\n"
    "                   with its depth, the edge kind and event id and, forward,\n"
    "                   the last known step, disposition and location;\n"
    "                   json: the node's answer as is (same as --json);\n"
    "                   dot: a Graphviz digraph ('| dot -Tsvg > trace.svg')\n"
    "      --max-depth N  stop after N hops (the node's default otherwise)\n"
    "      --per-page N   history: events per request (pages are followed)\n"
    "      --token-file F Bearer token for a node run with --auth-reads (first line\n"
    "                     of F; default $SUYUAN_TOKEN)\n"
    "\n"
    "Exit status: 0 ok; 3 the node refused (404: no event names ID; 401: a token\n"
    "is needed); 5 node unreachable.\n";

typedef struct tnode {
  const char *id;
  long depth;
  const cJSON *j;
  int shown;
  size_t *kids; /* edge indexes, in the node's order */
  size_t n_kids, cap_kids;
} tnode;

typedef struct tedge {
  size_t from, to;
  const char *kind, *event_id;
} tedge;

typedef struct tgraph {
  tnode *nodes;
  size_t n_nodes;
  tedge *edges;
  size_t n_edges;
  size_t *slots; /* open addressing: node index + 1, 0 = empty */
  size_t n_slots;
  int forward, unicode;
} tgraph;

static size_t str_hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static long find_node(const tgraph *g, const char *id) {
  for (size_t i = str_hash(id) & (g->n_slots - 1);; i = (i + 1) & (g->n_slots - 1)) {
    if (!g->slots[i]) return -1;
    if (strcmp(g->nodes[g->slots[i] - 1].id, id) == 0) return (long)(g->slots[i] - 1);
  }
}

static void graph_free(tgraph *g) {
  for (size_t i = 0; i < g->n_nodes; i++) free(g->nodes[i].kids);
  free(g->nodes);
  free(g->edges);
  free(g->slots);
  memset(g, 0, sizeof *g);
}

/* Reads the answer's nodes and edges (borrowing its strings). */
static int graph_build(const cJSON *j, int forward, tgraph *g) {
  memset(g, 0, sizeof *g);
  g->forward = forward;
  const cJSON *nodes = jget(j, "nodes"), *edges = jget(j, "edges");
  if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) == 0) {
    cli_err("the node's trace has no nodes");
    return CLI_FAIL;
  }
  size_t nn = (size_t)cJSON_GetArraySize(nodes);
  size_t ne = cJSON_IsArray(edges) ? (size_t)cJSON_GetArraySize(edges) : 0;
  g->n_slots = 16;
  while (g->n_slots < 2 * nn) g->n_slots *= 2;
  g->nodes = calloc(nn, sizeof *g->nodes);
  g->edges = calloc(ne + 1, sizeof *g->edges);
  g->slots = calloc(g->n_slots, sizeof *g->slots);
  if (!g->nodes || !g->edges || !g->slots) goto oom;
  for (const cJSON *n = nodes->child; n; n = n->next) {
    const char *id = jstr(n, "id");
    const cJSON *d = jget(n, "depth");
    if (!id) continue;
    if (find_node(g, id) >= 0) continue;
    tnode *t = &g->nodes[g->n_nodes];
    t->id = id;
    t->depth = cJSON_IsNumber(d) ? (long)d->valuedouble : -1;
    t->j = n;
    size_t i = str_hash(id) & (g->n_slots - 1);
    while (g->slots[i]) i = (i + 1) & (g->n_slots - 1);
    g->slots[i] = ++g->n_nodes;
  }
  if (g->n_nodes == 0) {
    cli_err("the node's trace has no nodes");
    graph_free(g);
    return CLI_FAIL;
  }
  for (const cJSON *e = ne ? edges->child : NULL; e; e = e->next) {
    const char *from = jstr(e, "from"), *to = jstr(e, "to");
    long f = from ? find_node(g, from) : -1, t = to ? find_node(g, to) : -1;
    if (f < 0 || t < 0) continue; /* an edge to a node the walk did not keep */
    tedge *te = &g->edges[g->n_edges];
    te->from = (size_t)f;
    te->to = (size_t)t;
    te->kind = jstr(e, "kind");
    te->event_id = jstr(e, "eventID");
    /* The tree grows away from the start: forward along the edges, backward
     * against them (edges always point the way the goods went). */
    tnode *parent = &g->nodes[forward ? te->from : te->to];
    if (parent->n_kids == parent->cap_kids) {
      size_t cap = parent->cap_kids ? 2 * parent->cap_kids : 4;
      size_t *k = realloc(parent->kids, cap * sizeof *k);
      if (!k) goto oom;
      parent->kids = k;
      parent->cap_kids = cap;
    }
    parent->kids[parent->n_kids++] = g->n_edges++;
  }
  return CLI_OK;
oom:
  graph_free(g);
  cli_err("out of memory");
  return CLI_FAIL;
}

/* " 100 KGM  last: shipping, in_transit @ urn:epc:id:sgln:... (tea, time)" */
static void node_details(const tgraph *g, const tnode *n) {
  const cJSON *q = jget(n->j, "quantity");
  if (cJSON_IsNumber(q)) {
    char num[64];
    fmt_num(q->valuedouble, num, sizeof num);
    const char *uom = jstr(n->j, "uom");
    printf("  %s%s%s", num, uom ? " " : "", uom ? uom : "");
  }
  const cJSON *last = jget(n->j, "last");
  if (!g->forward || !cJSON_IsObject(last)) return;
  const char *step = cbv_short(jstr(last, "bizStep")), *disp = cbv_short(jstr(last, "disposition"));
  const char *loc = jstr(last, "bizLocation"), *org = jstr(last, "org");
  const char *when = jstr(last, "eventTime");
  if (!step && !disp && !loc && !org) return;
  printf("  last: %s%s%s", step ? step : "-", disp ? ", " : "", disp ? disp : "");
  if (loc) printf(" @ %s", loc);
  if (org || when) {
    char t[64] = "";
    if (when) fmt_time(when, t, sizeof t);
    printf(" (%s%s%s)", org ? org : "", org && when ? ", " : "", t);
  }
}

static void draw(tgraph *g, size_t idx, sy_buf *prefix, int level) {
  tnode *n = &g->nodes[idx];
  n->shown = 1;
  const char *mid = g->unicode ? "\u251c\u2500\u2500 " : "|-- ";
  const char *last = g->unicode ? "\u2514\u2500\u2500 " : "`-- ";
  const char *bar = g->unicode ? "\u2502   " : "|   ";
  for (size_t k = 0; k < n->n_kids; k++) {
    const tedge *e = &g->edges[n->kids[k]];
    size_t ci = g->forward ? e->to : e->from;
    tnode *ch = &g->nodes[ci];
    int is_last = k + 1 == n->n_kids;
    int expand = !ch->shown && ch->depth == n->depth + 1 && level < MAX_TREE_DEPTH;
    printf("%.*s%s%s [depth %ld] %s %s", (int)prefix->len, prefix->p ? (const char *)prefix->p : "",
           is_last ? last : mid, ch->id, ch->depth, e->kind ? e->kind : "?",
           e->event_id ? e->event_id : "-");
    if (expand) {
      node_details(g, ch);
      printf("\n");
      size_t keep = prefix->len;
      const char *more = is_last ? "    " : bar;
      sy_buf_put(prefix, more, strlen(more));
      if (prefix->err) return;
      draw(g, ci, prefix, level + 1);
      prefix->len = keep;
    } else {
      printf(" (%s)\n", ch->shown ? "see above" : "see below");
    }
  }
}

static int stdout_is_utf8_tty(void) {
  if (!isatty(STDOUT_FILENO)) return 0;
  const char *old = setlocale(LC_CTYPE, NULL);
  char saved[64];
  snprintf(saved, sizeof saved, "%s", old ? old : "C");
  int utf8 = 0;
  if (setlocale(LC_CTYPE, "")) {
    const char *cs = nl_langinfo(CODESET);
    utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
  }
  setlocale(LC_CTYPE, saved);
  return utf8;
}

static int print_tree(const cJSON *j, int forward) {
  tgraph g;
  int rc = graph_build(j, forward, &g);
  if (rc) return rc;
  g.unicode = stdout_is_utf8_tty();
  tnode *root = &g.nodes[0];
  printf("%s [depth %ld]", root->id, root->depth < 0 ? 0 : root->depth);
  node_details(&g, root);
  printf("\n");
  sy_buf prefix = {0};
  draw(&g, 0, &prefix, 0);
  int oom = prefix.err;
  sy_buf_free(&prefix);
  printf("%zu identifier%s, %zu link%s (%s)", g.n_nodes, g.n_nodes == 1 ? "" : "s", g.n_edges,
         g.n_edges == 1 ? "" : "s", forward ? "forward" : "backward");
  if (cJSON_IsTrue(jget(j, "truncated"))) printf("; TRUNCATED at the depth or node limit");
  if (cJSON_IsTrue(jget(j, "cycles"))) printf("; the graph has cycles");
  printf("\n");
  graph_free(&g);
  if (oom) {
    cli_err("out of memory: the tree is incomplete");
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* A Graphviz double-quoted string: quotes and backslashes escaped, controls
 * dropped. */
static void dot_str(const char *s) {
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      printf("\\%c", ch);
    else if (ch >= 0x20 && ch != 0x7f)
      putchar(ch);
    else
      putchar(' ');
  }
}

static int print_dot(const cJSON *j, int forward) {
  tgraph g;
  int rc = graph_build(j, forward, &g);
  if (rc) return rc;
  printf("digraph trace {\n");
  printf("  label=\"");
  dot_str(forward ? "forward trace of " : "backward trace of ");
  dot_str(g.nodes[0].id);
  if (cJSON_IsTrue(jget(j, "truncated"))) dot_str(" (truncated)");
  printf("\";\n  labelloc=t;\n  rankdir=LR;\n");
  printf("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
  printf("  edge [fontname=\"Helvetica\", fontsize=9];\n");
  for (size_t i = 0; i < g.n_nodes; i++) {
    const tnode *n = &g.nodes[i];
    const cJSON *last = jget(n->j, "last");
    const char *loc = jstr(last, "bizLocation"), *disp = cbv_short(jstr(last, "disposition"));
    const cJSON *q = jget(n->j, "quantity");
    printf("  n%zu [label=\"", i);
    dot_str(n->id);
    if (cJSON_IsNumber(q)) {
      char num[64];
      fmt_num(q->valuedouble, num, sizeof num);
      printf("\\n");
      dot_str(num);
      if (jstr(n->j, "uom")) {
        printf(" ");
        dot_str(jstr(n->j, "uom"));
      }
    }
    if (loc || disp) {
      printf("\\n@ ");
      dot_str(loc ? loc : "?");
      if (disp) {
        printf(" (");
        dot_str(disp);
        printf(")");
      }
    }
    printf("\"%s];\n", i == 0 ? ", penwidth=2" : "");
  }
  for (size_t i = 0; i < g.n_edges; i++) {
    const tedge *e = &g.edges[i];
    printf("  n%zu -> n%zu [label=\"", e->from, e->to);
    dot_str(e->kind ? e->kind : "?");
    printf("\", tooltip=\"");
    dot_str(e->event_id ? e->event_id : "");
    printf("\"];\n");
  }
  printf("}\n");
  graph_free(&g);
  return CLI_OK;
}

enum { FMT_TREE, FMT_JSON, FMT_DOT };
enum {
  OPT_MAX_DEPTH = CLI_OPT_FIRST_LOCAL,
  OPT_PER_PAGE,
  OPT_EPC,
  OPT_ANY_EPC,
  OPT_FROM,
  OPT_TO,
  OPT_TOKEN_FILE
};

/* What trace back|forward and recall share: the options, the request. */
typedef struct walk_cmd {
  const char *route; /* "/v1/recall" */
  const char *help, *usage;
  const char *const *formats; /* --format names; the index is the format */
  int nformats;
  int json_fmt;    /* the format --json means: the answer as the node sent it */
  int default_fmt;
  const char *missing; /* the message when the identifier is missing */
} walk_cmd;

#define WALK_FETCHED (-1) /* walk_fetch got an answer (exit codes are >= 0) */

/* Parses the command line and GETs route?epc=ID[&max_depth=N]. Returns
 * WALK_FETCHED with *fmt, *id, *r and (unless the format is json_fmt) *j,
 * the parsed answer; otherwise the exit code, having said why. */
static int walk_fetch(cli *c, int argc, char **argv, const walk_cmd *w, int *fmt, const char **id,
                      sy_http_resp *r, cJSON **j) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
                                       {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                       CLI_COMMON_OPTIONS};
  const char *token_file = NULL;
  uint64_t max_depth = 0;
  int opt;
  *fmt = -1;
  *j = NULL;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hf:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(w->help);
      case 'f':
        for (int k = 0; k < w->nformats; k++)
          if (strcmp(optarg, w->formats[k]) == 0) *fmt = k;
        if (*fmt < 0) {
          cli_err("--format wants %s, %s or %s, not '%s'", w->formats[0], w->formats[1],
                  w->formats[2], optarg);
          return cli_usage(c, w->usage);
        }
        break;
      case OPT_MAX_DEPTH:
        if (cli_parse_u64(optarg, &max_depth) || max_depth == 0 || max_depth > 100000) {
          cli_err("--max-depth wants a whole number from 1, not '%s'", optarg);
          return cli_usage(c, w->usage);
        }
        break;
      case OPT_TOKEN_FILE:
        token_file = optarg;
        break;
      default:
        return cli_usage(c, w->usage);
    }
  }
  if (c->json) {
    if (*fmt >= 0 && *fmt != w->json_fmt) {
      cli_err("--json and --format %s contradict each other", w->formats[*fmt]);
      return cli_usage(c, w->usage);
    }
    *fmt = w->json_fmt;
  }
  if (*fmt < 0) *fmt = w->default_fmt;
  if (argc - optind != 1) {
    cli_err("%s", optind >= argc ? w->missing : "too many arguments");
    return cli_usage(c, w->usage);
  }
  *id = argv[optind];
  if (check_id(*id)) return cli_usage(c, w->usage);
  if (use_token(c, token_file)) return CLI_FAIL;
  sy_buf q = {0};
  sy_buf_put(&q, w->route, strlen(w->route));
  q_add(&q, "epc", *id);
  if (max_depth) {
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)max_depth);
    q_add(&q, "max_depth", num);
  }
  const char *path = q_str(&q);
  if (!path) {
    sy_buf_free(&q);
    cli_err("out of memory");
    return CLI_FAIL;
  }
  int rc = *fmt == w->json_fmt ? cli_get(c, path, r) : get_json(c, path, r, j);
  sy_buf_free(&q);
  return rc ? rc : WALK_FETCHED;
}

static int trace_walk(cli *c, int argc, char **argv, int forward) {
  static const char *const formats[] = {"tree", "json", "dot"}; /* FMT_* */
  const walk_cmd w = {forward ? "/v1/trace/forward" : "/v1/trace/backward",
                      TRACE_HELP, TRACE_USAGE, formats, 3, FMT_JSON, FMT_TREE,
                      "missing the identifier to trace"};
  int fmt;
  const char *id;
  sy_http_resp r;
  cJSON *j;
  int rc = walk_fetch(c, argc, argv, &w, &fmt, &id, &r, &j);
  if (rc != WALK_FETCHED) return rc;
  rc = CLI_OK;
  if (fmt == FMT_JSON)
    print_body(&r);
  else if (fmt == FMT_DOT)
    rc = print_dot(j, forward);
  else
    rc = print_tree(j, forward);
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}

/* ---- trace history ----------------------------------------------------------------------- */

/* The location of an event: bizLocation, else readPoint. */
static const char *event_location(const cJSON *ev) {
  const char *loc = jstr(jget(ev, "bizLocation"), "id");
  if (!loc) loc = jstr(jget(ev, "readPoint"), "id");
  return loc;
}

static const char *event_org(const cJSON *ev) {
  const char *org = jstr(ev, "org");
  if (!org) org = jstr(ev, "suyuan:org");
  return org;
}

/* Appends the events of one answer (any of the shapes a node may give:
 * {"events": [...]}, an EPCISQueryDocument, an EPCISDocument) to all.
 * Returns how many, or -1 when the answer has no event list. */
static long take_events(cJSON *body, cJSON *all, size_t limit) {
  cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "events");
  int single = 0;
  if (!cJSON_IsArray(list)) list = (cJSON *)sy_epcis_document_events(body, &single);
  if (!list && cJSON_IsArray(body)) list = body;
  if (!list) return -1;
  if (single) {
    cJSON *d = cJSON_Duplicate(list, 1);
    if (!d || !cJSON_AddItemToArray(all, d)) {
      cJSON_Delete(d);
      return -2;
    }
    return 1;
  }
  long n = 0;
  while (list->child && (limit == 0 || (size_t)cJSON_GetArraySize(all) < limit)) {
    cJSON *ev = cJSON_DetachItemViaPointer(list, list->child);
    cJSON_AddItemToArray(all, ev);
    n++;
  }
  return n;
}

/* Fetches base and the pages after it into all (an array), at most limit
 * events (0 = all). */
static int fetch_pages(cli *c, const char *base, cJSON *all, size_t limit) {
  sy_buf path = {0}, next = {0};
  sy_buf_put(&path, base, strlen(base));
  int rc = q_str(&path) ? CLI_OK : CLI_FAIL;
  if (rc) cli_err("out of memory");
  for (size_t page = 0; rc == CLI_OK; page++) {
    if (page == MAX_PAGES) {
      cli_err("stopped after %d pages", MAX_PAGES);
      break;
    }
    sy_http_resp r;
    cJSON *body = NULL;
    if ((rc = get_json(c, (const char *)path.p, &r, &body))) break;
    long got = take_events(body, all, limit);
    int more = 0;
    if (got < 0) {
      cli_err(got == -1 ? "the node's answer has no event list" : "out of memory");
      rc = CLI_FAIL;
    } else if (got > 0 && (limit == 0 || (size_t)cJSON_GetArraySize(all) < limit)) {
      more = next_page(base, body, &r, &next);
    }
    cJSON_Delete(body);
    sy_http_resp_free(&r);
    if (more < 0) {
      cli_err("out of memory");
      rc = CLI_FAIL;
    }
    if (more <= 0) break;
    if (strcmp((const char *)next.p, (const char *)path.p) == 0) {
      cli_err("the node's next page is the page it just gave; stopping");
      break;
    }
    sy_buf tmp = path;
    path = next;
    next = tmp;
  }
  sy_buf_free(&path);
  sy_buf_free(&next);
  return rc;
}

static int trace_history(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"per-page", required_argument, NULL, OPT_PER_PAGE},
                                       {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                       CLI_COMMON_OPTIONS};
  const char *token_file = NULL;
  uint64_t per_page = 0;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(TRACE_HELP);
      case OPT_PER_PAGE:
        if (cli_parse_u64(optarg, &per_page) || per_page == 0 || per_page > 1000) {
          cli_err("--per-page wants 1 to 1000, not '%s'", optarg);
          return cli_usage(c, TRACE_USAGE);
        }
        break;
      case OPT_TOKEN_FILE:
        token_file = optarg;
        break;
      default:
        return cli_usage(c, TRACE_USAGE);
    }
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the identifier" : "too many arguments");
    return cli_usage(c, TRACE_USAGE);
  }
  const char *id = argv[optind];
  if (check_id(id)) return cli_usage(c, TRACE_USAGE);
  if (use_token(c, token_file)) return CLI_FAIL;
  sy_buf q = {0};
  sy_buf_put(&q, "/v1/trace/history", strlen("/v1/trace/history"));
  q_add(&q, "epc", id);
  if (per_page) {
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)per_page);
    q_add(&q, "perPage", num);
  }
  cJSON *out = cJSON_CreateObject();
  cJSON *all = cJSON_CreateArray();
  const char *base = q_str(&q);
  int rc;
  if (!out || !all || !base || !cJSON_AddStringToObject(out, "epc", id) ||
      !cJSON_AddItemToObject(out, "events", all)) {
    if (!cJSON_GetObjectItemCaseSensitive(out, "events")) cJSON_Delete(all);
    cli_err("out of memory");
    rc = CLI_FAIL;
    goto done;
  }
  if ((rc = fetch_pages(c, base, all, 0))) goto done;
  if (c->json) {
    char *s = cJSON_Print(out);
    if (!s) {
      cli_err("out of memory");
      rc = CLI_FAIL;
      goto done;
    }
    printf("%s\n", s);
    free(s);
    goto done;
  }
  table tb = {.ncols = 7};
  table_row(&tb, (const char *const[]){"TIME (UTC)", "EVENT", "ACTION", "BIZSTEP", "DISPOSITION",
                                       "LOCATION", "ORG"});
  for (const cJSON *ev = all->child; ev; ev = ev->next) {
    char t[64];
    fmt_time(jstr(ev, "eventTime"), t, sizeof t);
    table_row(&tb, (const char *const[]){
                       t, jstr(ev, "type"), jstr(ev, "action"), cbv_short(jstr(ev, "bizStep")),
                       cbv_short(jstr(ev, "disposition")), event_location(ev), event_org(ev)});
  }
  table_print(&tb, "");
  table_free(&tb);
  int n = cJSON_GetArraySize(all);
  printf("%d event%s\n", n, n == 1 ? "" : "s");
done:
  cJSON_Delete(out);
  sy_buf_free(&q);
  return rc;
}

int cli_cmd_trace(cli *c, int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
      return cli_help(TRACE_HELP);
    cli_err("trace needs a direction: backward, forward or history");
    return cli_usage(c, TRACE_USAGE);
  }
  const char *sub = argv[1];
  if (strcmp(sub, "backward") == 0 || strcmp(sub, "back") == 0) {
    c->cmd = "trace backward";
    return trace_walk(c, argc - 1, argv + 1, 0);
  }
  if (strcmp(sub, "forward") == 0 || strcmp(sub, "fwd") == 0) {
    c->cmd = "trace forward";
    return trace_walk(c, argc - 1, argv + 1, 1);
  }
  if (strcmp(sub, "history") == 0) {
    c->cmd = "trace history";
    return trace_history(c, argc - 1, argv + 1);
  }
  cli_err("'trace %s' is not a command; use backward, forward or history", sub);
  return cli_usage(c, TRACE_USAGE);
}

/* ---- recall -------------------------------------------------------------------------------- */

static const char RECALL_USAGE[] = "suyuan recall ID [--format json|csv|text] [--max-depth N]";
static const char RECALL_HELP[] =
    "usage: suyuan recall ID [--format json|csv|text] [--max-depth N]\n"
    "\n"
    "The recall report for a defective lot (SPEC I2a): every identifier made from\n"
    "it or packed with it, downstream, with where it was last seen, its\n"
    "disposition, step, organisation and quantity (GET /v1/recall).\n"
    "\n"
    "  -f, --format F   text (default): a report with counts per organisation and\n"
    "                   per kind, then one line per affected identifier;\n"
    "                   csv: RFC 4180 (CRLF line ends, fields quoted when needed),\n"
    "                   header id,kind,depth,bizLocation,disposition,bizStep,org,\n"
    "                   lastEventTime,quantity,uom; json: the node's answer as is\n"
    "                   (same as --json)\n"
    "      --max-depth N  stop after N hops (the node's default otherwise)\n"
    "      --token-file F Bearer token for a node run with --auth-reads (first line\n"
    "                     of F; default $SUYUAN_TOKEN)\n"
    "\n"
    "Exit status: 0 ok; 3 the node refused (404: no event names ID; 401: a token\n"
    "is needed); 5 node unreachable.\n";

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF,
 * quotes doubled. */
static void csv_field(const char *s, int last) {
  if (!s) s = "";
  if (strpbrk(s, ",\"\r\n")) {
    putchar('"');
    for (; *s; s++) {
      if (*s == '"') putchar('"');
      putchar(*s);
    }
    putchar('"');
  } else {
    fputs(s, stdout);
  }
  fputs(last ? "\r\n" : ",", stdout);
}

static void csv_num(const cJSON *v, int last) {
  char num[64] = "";
  if (cJSON_IsNumber(v)) fmt_num(v->valuedouble, num, sizeof num);
  csv_field(num, last);
}

static void print_recall_csv(const cJSON *j) {
  static const char *const cols[] = {"id",          "kind",    "depth", "bizLocation",
                                     "disposition", "bizStep", "org",   "lastEventTime",
                                     "quantity",    "uom"};
  const size_t n = sizeof cols / sizeof cols[0];
  for (size_t i = 0; i < n; i++) csv_field(cols[i], i + 1 == n);
  const cJSON *aff = jget(j, "affected"), *a;
  cJSON_ArrayForEach(a, aff) {
    for (size_t i = 0; i < n; i++) {
      const cJSON *v = jget(a, cols[i]);
      if (cJSON_IsNumber(v))
        csv_num(v, i + 1 == n);
      else
        csv_field(cJSON_IsString(v) ? v->valuestring : "", i + 1 == n);
    }
  }
}

static void print_recall_text(const cJSON *j, const char *id) {
  const cJSON *aff = jget(j, "affected"), *a;
  const char *lot = jstr(j, "lot"), *gen = jstr(j, "generated_at");
  int n = cJSON_IsArray(aff) ? cJSON_GetArraySize(aff) : 0;
  const cJSON *count = jget(j, "count");
  size_t kinds[4] = {0};
  static const char *const kind_names[] = {"lot", "serial", "container", "other"};
  cJSON_ArrayForEach(a, aff) {
    const char *k = jstr(a, "kind");
    size_t i = 0;
    while (i < 3 && !(k && strcmp(k, kind_names[i]) == 0)) i++;
    kinds[i]++;
  }
  printf("Recall report for %s\n", lot ? lot : id);
  if (gen) printf("Generated:  %s\n", gen);
  printf("Affected:   %d identifier%s", cJSON_IsNumber(count) ? (int)count->valuedouble : n,
         (cJSON_IsNumber(count) ? (int)count->valuedouble : n) == 1 ? "" : "s");
  int first = 1;
  for (size_t i = 0; i < 4; i++) {
    if (!kinds[i]) continue;
    printf("%s%zu %s%s", first ? " (" : ", ", kinds[i], kind_names[i], kinds[i] == 1 ? "" : "s");
    first = 0;
  }
  printf("%s\n", first ? "" : ")");
  if (cJSON_IsTrue(jget(j, "truncated")))
    printf("WARNING:    the walk was truncated; the list below is incomplete\n");

  printf("\nBy organisation:\n");
  const cJSON *orgs = jget(j, "organisations"), *o;
  size_t w = 12;
  cJSON_ArrayForEach(o, orgs) {
    const char *org = jstr(o, "org");
    if (org && strlen(org) > w) w = strlen(org);
  }
  if (cJSON_GetArraySize(orgs) == 0) printf("  (none)\n");
  cJSON_ArrayForEach(o, orgs) {
    const char *org = jstr(o, "org");
    const cJSON *items = jget(o, "items");
    printf("  %-*s %5d\n", (int)w, org ? org : "(unknown)",
           cJSON_IsNumber(items) ? (int)items->valuedouble : 0);
  }

  printf("\nAffected identifiers:\n");
  if (n == 0) {
    printf("  (none)\n");
    return;
  }
  table tb = {.ncols = 9};
  table_row(&tb, (const char *const[]){"DEPTH", "KIND", "ID", "QUANTITY", "BIZSTEP", "DISPOSITION",
                                       "ORG", "LAST EVENT (UTC)", "LOCATION"});
  cJSON_ArrayForEach(a, aff) {
    const cJSON *d = jget(a, "depth"), *q = jget(a, "quantity");
    char qty[96] = "-", t[64], depth[32] = "-";
    if (cJSON_IsNumber(q)) {
      char num[64];
      fmt_num(q->valuedouble, num, sizeof num);
      const char *uom = jstr(a, "uom");
      snprintf(qty, sizeof qty, "%s%s%s", num, uom ? " " : "", uom ? uom : "");
    }
    if (cJSON_IsNumber(d)) fmt_num(d->valuedouble, depth, sizeof depth);
    fmt_time(jstr(a, "lastEventTime"), t, sizeof t);
    table_row(
        &tb, (const char *const[]){depth, jstr(a, "kind"), jstr(a, "id"), qty,
                                   cbv_short(jstr(a, "bizStep")), cbv_short(jstr(a, "disposition")),
                                   jstr(a, "org"), t, jstr(a, "bizLocation")});
  }
  table_print(&tb, "  ");
  table_free(&tb);
}

int cli_cmd_recall(cli *c, int argc, char **argv) {
  enum { R_TEXT, R_CSV, R_JSON };
  static const char *const formats[] = {"text", "csv", "json"}; /* R_* */
  const walk_cmd w = {"/v1/recall", RECALL_HELP, RECALL_USAGE, formats, 3, R_JSON, R_TEXT,
                      "missing the lot identifier"};
  int fmt;
  const char *id;
  sy_http_resp r;
  cJSON *j;
  int rc = walk_fetch(c, argc, argv, &w, &fmt, &id, &r, &j);
  if (rc != WALK_FETCHED) return rc;
  if (fmt == R_JSON)
    print_body(&r);
  else if (fmt == R_CSV)
    print_recall_csv(j);
  else
    print_recall_text(j, id);
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return CLI_OK;
}

/* ---- events --------------------------------------------------------------------------------- */

static const char EVENTS_USAGE[] =
    "suyuan events [--type T] [--biz-step S] [--epc E] [--any-epc E] [--from TIME]\n"
    "                     [--to TIME] [--limit N]";
static const char EVENTS_HELP[] =
    "usage: suyuan events [--type T] [--biz-step S] [--epc E] [--any-epc E] [--from TIME]\n"
    "                     [--to TIME] [--limit N]\n"
    "\n"
    "Queries the recorded EPCIS events (GET /events, the EPCIS 2.0 query\n"
    "parameters), oldest first, following the node's next-page links up to\n"
    "--limit events. Text output is one line per event: time (UTC), type,\n"
    "action, bizStep, disposition, what (identifiers), where (location) and the\n"
    "event id. --json prints {\"events\": [...]} with the events as recorded.\n"
    "\n"
    "  -t, --type T       eventType: ObjectEvent, AggregationEvent, TransactionEvent,\n"
    "                     TransformationEvent, AssociationEvent ('|' for several)\n"
    "  -s, --biz-step S   EQ_bizStep: a CBV term ('shipping') or a URI\n"
    "      --epc E        MATCH_epc: E in epcList or childEPCs\n"
    "      --any-epc E    MATCH_anyEPC: E in any role (parent, input, output, ...)\n"
    "      --from TIME    GE_eventTime, RFC 3339 ('2026-11-20T00:00:00Z')\n"
    "      --to TIME      LT_eventTime, RFC 3339\n"
    "  -n, --limit N      at most N events (default 100; 0 = all)\n"
    "      --token-file F Bearer token for a node run with --auth-reads (first line\n"
    "                     of F; default $SUYUAN_TOKEN)\n"
    "\n"
    "Exit status: 0 ok (also when nothing matches); 2 bad option; 3 the node\n"
    "refused the query; 5 node unreachable.\n";

/* "first (+N)" of the identifiers in an event's list and its quantity
 * list together ("inputEPCList" + "inputQuantityList"); "" when none. */
static void ids_summary(const cJSON *ev, const char *list_key, const char *qty_key, char *out,
                        size_t size) {
  const cJSON *list = jget(ev, list_key), *qty = jget(ev, qty_key);
  int n = (cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0) +
          (cJSON_IsArray(qty) ? cJSON_GetArraySize(qty) : 0);
  const char *first = NULL;
  const cJSON *it;
  for (it = cJSON_IsArray(list) ? list->child : NULL; it && !first; it = it->next)
    if (cJSON_IsString(it)) first = it->valuestring;
  for (it = cJSON_IsArray(qty) ? qty->child : NULL; it && !first; it = it->next)
    first = jstr(it, "epcClass");
  if (!first)
    out[0] = 0;
  else if (n > 1)
    snprintf(out, size, "%s (+%d)", first, n - 1);
  else
    snprintf(out, size, "%s", first);
}

static void event_what(const cJSON *ev, char *out, size_t size) {
  char a[512], b[512];
  const char *type = jstr(ev, "type");
  if (type && strcmp(type, "TransformationEvent") == 0) {
    ids_summary(ev, "inputEPCList", "inputQuantityList", a, sizeof a);
    ids_summary(ev, "outputEPCList", "outputQuantityList", b, sizeof b);
    snprintf(out, size, "%s -> %s", a[0] ? a : "-", b[0] ? b : "-");
    return;
  }
  const char *parent = jstr(ev, "parentID");
  ids_summary(ev, "childEPCs", "childQuantityList", a, sizeof a);
  if (parent || a[0]) {
    snprintf(out, size, "%s <- %s", parent ? parent : "-", a[0] ? a : "-");
    return;
  }
  ids_summary(ev, "epcList", "quantityList", a, sizeof a);
  snprintf(out, size, "%s", a[0] ? a : "-");
}

int cli_cmd_events(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"type", required_argument, NULL, 't'},
                                       {"biz-step", required_argument, NULL, 's'},
                                       {"epc", required_argument, NULL, OPT_EPC},
                                       {"any-epc", required_argument, NULL, OPT_ANY_EPC},
                                       {"from", required_argument, NULL, OPT_FROM},
                                       {"to", required_argument, NULL, OPT_TO},
                                       {"limit", required_argument, NULL, 'n'},
                                       {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                       CLI_COMMON_OPTIONS};
  const char *token_file = NULL;
  const char *type = NULL, *step = NULL, *epc = NULL, *any = NULL, *from = NULL, *to = NULL;
  uint64_t limit = 100;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":ht:s:n:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(EVENTS_HELP);
      case 't':
        type = optarg;
        break;
      case 's':
        step = optarg;
        break;
      case OPT_EPC:
        epc = optarg;
        break;
      case OPT_ANY_EPC:
        any = optarg;
        break;
      case OPT_FROM:
      case OPT_TO:
        if (sy_epcis_check_time(optarg) != SY_OK) {
          cli_err(
              "--%s wants an RFC 3339 time with an offset ('2026-11-20T08:00:00Z'), not "
              "'%s'",
              opt == OPT_FROM ? "from" : "to", optarg);
          return cli_usage(c, EVENTS_USAGE);
        }
        *(opt == OPT_FROM ? &from : &to) = optarg;
        break;
      case 'n':
        if (cli_parse_u64(optarg, &limit) || limit > 100000000) {
          cli_err("--limit wants a whole number (0 = all), not '%s'", optarg);
          return cli_usage(c, EVENTS_USAGE);
        }
        break;
      case OPT_TOKEN_FILE:
        token_file = optarg;
        break;
      default:
        return cli_usage(c, EVENTS_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, EVENTS_USAGE);
  }
  const char *ids[] = {step, epc, any, type};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
    if (ids[i] && check_id(ids[i])) return cli_usage(c, EVENTS_USAGE);
  if (use_token(c, token_file)) return CLI_FAIL;

  sy_buf q = {0};
  sy_buf_put(&q, "/events", strlen("/events"));
  if (type) q_add(&q, "eventType", type);
  if (step) q_add(&q, "EQ_bizStep", step);
  if (epc) q_add(&q, "MATCH_epc", epc);
  if (any) q_add(&q, "MATCH_anyEPC", any);
  if (from) q_add(&q, "GE_eventTime", from);
  if (to) q_add(&q, "LT_eventTime", to);
  char num[32];
  snprintf(num, sizeof num, "%llu", (unsigned long long)(limit && limit < 100 ? limit : 100));
  q_add(&q, "perPage", num);
  cJSON *out = cJSON_CreateObject();
  cJSON *all = cJSON_CreateArray();
  const char *base = q_str(&q);
  int rc;
  if (!out || !all || !base || !cJSON_AddItemToObject(out, "events", all)) {
    if (!cJSON_GetObjectItemCaseSensitive(out, "events")) cJSON_Delete(all);
    cli_err("out of memory");
    rc = CLI_FAIL;
    goto done;
  }
  if ((rc = fetch_pages(c, base, all, (size_t)limit))) goto done;
  if (c->json) {
    char *s = cJSON_Print(out);
    if (!s) {
      cli_err("out of memory");
      rc = CLI_FAIL;
      goto done;
    }
    printf("%s\n", s);
    free(s);
    goto done;
  }
  table tb = {.ncols = 8};
  for (const cJSON *ev = all->child; ev; ev = ev->next) {
    char t[64], what[1100], where[1100];
    fmt_time(jstr(ev, "eventTime"), t, sizeof t);
    event_what(ev, what, sizeof what);
    const char *loc = event_location(ev);
    snprintf(where, sizeof where, "@ %s", loc ? loc : "-");
    table_row(&tb, (const char *const[]){
                       t, jstr(ev, "type"), jstr(ev, "action"), cbv_short(jstr(ev, "bizStep")),
                       cbv_short(jstr(ev, "disposition")), what, where, jstr(ev, "eventID")});
  }
  table_print(&tb, "");
  table_free(&tb);
  int n = cJSON_GetArraySize(all);
  cli_err("%d event%s%s", n, n == 1 ? "" : "s",
          limit && (uint64_t)n >= limit ? " (--limit reached; there may be more)" : "");
done:
  cJSON_Delete(out);
  sy_buf_free(&q);
  return rc;
}
