/* EPCIS XML to the EPCIS 2.0 JSON shape (epcis_xml.h). */
#include "epcis/epcis_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"

#define MAX_DEPTH 100

static const char XSI_NS[] = "http://www.w3.org/2001/XMLSchema-instance";

/* Namespaces of the EPCIS schemas themselves: their elements are the
 * standard ones (unqualified in the JSON shape). */
static int epcis_ns(const xmlNs *ns) {
  if (!ns || !ns->href) return 1;
  const char *h = (const char *)ns->href;
  return strncmp(h, "urn:epcglobal:epcis:xsd:", 24) == 0 ||
         strncmp(h, "urn:epcglobal:epcis-query:xsd:", 30) == 0 ||
         strncmp(h, "urn:epcglobal:epcis-masterdata:xsd:", 35) == 0 ||
         strncmp(h, "urn:epcglobal:xsd:", 18) == 0;
}

typedef struct xctx {
  int err; /* first error: SY_ENOMEM or SY_ETOOBIG */
} xctx;

static void fail(xctx *x, int rc) {
  if (!x->err) x->err = rc;
}

/* "{ns}local" for a name in a foreign namespace, "local" otherwise; malloc'd. */
static char *clark(xctx *x, const xmlNs *ns, const xmlChar *local) {
  size_t ll = strlen((const char *)local);
  char *s;
  if (epcis_ns(ns)) {
    s = malloc(ll + 1);
    if (s) memcpy(s, local, ll + 1);
  } else {
    size_t hl = strlen((const char *)ns->href);
    s = malloc(hl + ll + 3);
    if (s) {
      s[0] = '{';
      memcpy(s + 1, ns->href, hl);
      s[1 + hl] = '}';
      memcpy(s + 2 + hl, local, ll + 1);
    }
  }
  if (!s) fail(x, SY_ENOMEM);
  return s;
}

static int is_std(const xmlNode *e, const char *local) {
  return epcis_ns(e->ns) && strcmp((const char *)e->name, local) == 0;
}

static int is_wrapper(const xmlNode *e) {
  return e->type == XML_ELEMENT_NODE && (is_std(e, "extension") || is_std(e, "baseExtension"));
}

/* The element children of e, with EPCIS 1.x <extension>/<baseExtension>
 * wrappers replaced by their contents. *n receives the count; free(). */
typedef struct kids {
  xmlNode **v;
  size_t n, cap;
} kids;

static void kids_collect(xctx *x, const xmlNode *e, kids *k, int depth) {
  if (depth > MAX_DEPTH) {
    fail(x, SY_ETOOBIG);
    return;
  }
  for (xmlNode *c = e->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_wrapper(c)) {
      kids_collect(x, c, k, depth + 1);
      continue;
    }
    if (k->n == k->cap) {
      size_t cap = k->cap ? k->cap * 2 : 16;
      xmlNode **v = realloc(k->v, cap * sizeof *v);
      if (!v) {
        fail(x, SY_ENOMEM);
        return;
      }
      k->v = v;
      k->cap = cap;
    }
    k->v[k->n++] = c;
  }
}

static int xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The character data of e before its first child element (what an XML
 * tree library calls the element's text), trimmed; malloc'd. */
static char *elem_text(xctx *x, const xmlNode *e) {
  size_t len = 0;
  const xmlNode *c;
  for (c = e->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      len += strlen((const char *)c->content);
  char *s = malloc(len + 1);
  if (!s) {
    fail(x, SY_ENOMEM);
    return NULL;
  }
  size_t o = 0;
  for (c = e->children; c && c->type != XML_ELEMENT_NODE; c = c->next)
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      size_t l = strlen((const char *)c->content);
      memcpy(s + o, c->content, l);
      o += l;
    }
  s[o] = '\0';
  size_t b = 0;
  while (b < o && xml_space(s[b])) b++;
  while (o > b && xml_space(s[o - 1])) o--;
  memmove(s, s + b, o - b);
  s[o - b] = '\0';
  return s;
}

static char *attr_value(xctx *x, const xmlAttr *a) {
  xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
  size_t l = v ? strlen((const char *)v) : 0;
  char *s = malloc(l + 1);
  if (s) {
    if (v) memcpy(s, v, l);
    s[l] = '\0';
  } else {
    fail(x, SY_ENOMEM);
  }
  xmlFree(v);
  return s;
}

static int is_xsi(const xmlAttr *a) {
  return a->ns && a->ns->href && strcmp((const char *)a->ns->href, XSI_NS) == 0;
}

/* Adds v under key to obj; NULL v marks the context failed. */
static void put(xctx *x, cJSON *obj, const char *key, cJSON *v) {
  if (!v || !cJSON_AddItemToObject(obj, key, v)) {
    cJSON_Delete(v);
    fail(x, SY_ENOMEM);
  }
}

static void push(xctx *x, cJSON *arr, cJSON *v) {
  if (!v || !cJSON_AddItemToArray(arr, v)) {
    cJSON_Delete(v);
    fail(x, SY_ENOMEM);
  }
}

/* ---- values ---------------------------------------------------------------------- */

/* What kind of element an object comes from: decides the JSON types of
 * some of its members. */
enum { K_PLAIN, K_EVENT, K_QUANTITY, K_SENSOR_ELEMENT, K_SENSOR_REPORT, K_ERROR_DECL, K_PDISP };

/* xsd:decimal / xsd:double lexical forms (finite) as JSON numbers. */
static cJSON *number_or_string(const char *s) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  int digits = 0;
  while (*p >= '0' && *p <= '9') p++, digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, digits++;
  }
  if (digits && (*p == 'e' || *p == 'E')) {
    p++;
    if (*p == '+' || *p == '-') p++;
    int ed = 0;
    while (*p >= '0' && *p <= '9') p++, ed++;
    if (!ed) digits = 0;
  }
  if (digits && !*p) {
    double d = strtod(s, NULL);
    if (isfinite(d)) return cJSON_CreateNumber(d);
  }
  return cJSON_CreateString(s);
}

static int numeric_member(int kind, const char *key) {
  static const char *const report[] = {"value", "minValue", "maxValue", "meanValue",
                                       "sDev",  "percRank", "percValue"};
  if (kind == K_QUANTITY) return strcmp(key, "quantity") == 0;
  if (kind == K_SENSOR_REPORT)
    for (size_t i = 0; i < sizeof report / sizeof report[0]; i++)
      if (strcmp(key, report[i]) == 0) return 1;
  return 0;
}

/* A scalar member value of an object of the given kind. */
static cJSON *scalar(int kind, const char *key, const char *text) {
  if (numeric_member(kind, key)) return number_or_string(text);
  if (kind == K_SENSOR_REPORT && strcmp(key, "booleanValue") == 0) {
    if (strcmp(text, "true") == 0) return cJSON_CreateTrue();
    if (strcmp(text, "false") == 0) return cJSON_CreateFalse();
  }
  return cJSON_CreateString(text);
}

static void add_members(xctx *x, cJSON *obj, const xmlNode *e, int kind, int depth);

/* The kind of the object an element becomes, from its parent's kind and its
 * name; K_PLAIN when nothing is special. */
static int child_kind(int kind, const char *key) {
  if (kind == K_SENSOR_ELEMENT && strcmp(key, "sensorReport") == 0) return K_SENSOR_REPORT;
  if (kind == K_EVENT && strcmp(key, "errorDeclaration") == 0) return K_ERROR_DECL;
  if (kind == K_EVENT && strcmp(key, "persistentDisposition") == 0) return K_PDISP;
  return K_PLAIN;
}

/* Members that are objects in the JSON shape even when empty. */
static int always_object(int parent_kind, const char *key) {
  if (parent_kind == K_EVENT)
    return !strcmp(key, "readPoint") || !strcmp(key, "bizLocation") || !strcmp(key, "ilmd") ||
           !strcmp(key, "errorDeclaration") || !strcmp(key, "persistentDisposition");
  if (parent_kind == K_SENSOR_ELEMENT)
    return !strcmp(key, "sensorMetadata") || !strcmp(key, "sensorReport");
  return 0;
}

/* Members that are arrays in the JSON shape even when single. */
static int always_array(int parent_kind, const char *key) {
  if (parent_kind == K_SENSOR_ELEMENT) return strcmp(key, "sensorReport") == 0;
  if (parent_kind == K_PDISP) return !strcmp(key, "set") || !strcmp(key, "unset");
  return 0;
}

/* The JSON value of element e found under key in an object of parent_kind:
 * a string when e has neither attributes nor child elements, else an
 * object (attributes, children, "#text"). */
static cJSON *element_value(xctx *x, const xmlNode *e, const char *key, int parent_kind,
                            int depth) {
  if (depth > MAX_DEPTH) {
    fail(x, SY_ETOOBIG);
    return NULL;
  }
  int has_attr = 0;
  for (const xmlAttr *a = e->properties; a; a = a->next) has_attr |= !is_xsi(a);
  kids k = {0};
  kids_collect(x, e, &k, depth);
  size_t nk = k.n;
  free(k.v);
  char *text = elem_text(x, e);
  if (!text) return NULL;
  cJSON *v;
  if (!has_attr && !nk && !always_object(parent_kind, key)) {
    v = scalar(parent_kind, key, text);
    if (!v) fail(x, SY_ENOMEM);
  } else {
    v = cJSON_CreateObject();
    if (!v)
      fail(x, SY_ENOMEM);
    else {
      if (text[0]) put(x, v, "#text", cJSON_CreateString(text));
      add_members(x, v, e, child_kind(parent_kind, key), depth);
    }
  }
  free(text);
  return v;
}

/* Texts of the item elements of a standard list (epcList, set, ...). */
static void add_texts(xctx *x, cJSON *arr, const xmlNode *list, int depth) {
  kids k = {0};
  kids_collect(x, list, &k, depth);
  for (size_t i = 0; i < k.n && !x->err; i++) {
    char *t = elem_text(x, k.v[i]);
    if (t) push(x, arr, cJSON_CreateString(t));
    free(t);
  }
  free(k.v);
}

/* bizTransactionList / sourceList / destinationList entries:
 * {"type": ..., "<item>": text}. */
static void add_pair_entries(xctx *x, cJSON *arr, const xmlNode *list, int depth) {
  kids k = {0};
  kids_collect(x, list, &k, depth);
  for (size_t i = 0; i < k.n && !x->err; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
      fail(x, SY_ENOMEM);
      break;
    }
    for (const xmlAttr *a = k.v[i]->properties; a; a = a->next) {
      if (is_xsi(a)) continue;
      char *name = clark(x, a->ns, a->name);
      char *val = attr_value(x, a);
      if (name && val) put(x, o, name, cJSON_CreateString(val));
      free(name);
      free(val);
    }
    char *item = clark(x, k.v[i]->ns, k.v[i]->name);
    char *t = elem_text(x, k.v[i]);
    if (item && t) put(x, o, item, cJSON_CreateString(t));
    free(item);
    free(t);
    push(x, arr, o);
  }
  free(k.v);
}

/* Objects of the item elements of a standard list (quantityElement,
 * sensorElement). */
static void add_objects(xctx *x, cJSON *arr, const xmlNode *list, int kind, int depth) {
  kids k = {0};
  kids_collect(x, list, &k, depth);
  for (size_t i = 0; i < k.n && !x->err; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o) {
      fail(x, SY_ENOMEM);
      break;
    }
    char *t = elem_text(x, k.v[i]);
    if (t && t[0]) put(x, o, "#text", cJSON_CreateString(t));
    free(t);
    add_members(x, o, k.v[i], kind, depth + 1);
    push(x, arr, o);
  }
  free(k.v);
}

static int is_one_of(const char *key, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(key, names[i]) == 0) return 1;
  return 0;
}

/* A standard event list field: appends its entries to the array under key
 * (created on first use). Returns 0 when key is not one. */
static int add_event_list(xctx *x, cJSON *obj, const char *key, const xmlNode *e, int depth) {
  static const char *const epcs[] = {"epcList", "childEPCs", "inputEPCList", "outputEPCList"};
  static const char *const qtys[] = {"quantityList", "childQuantityList", "inputQuantityList",
                                     "outputQuantityList"};
  static const char *const pairs[] = {"bizTransactionList", "sourceList", "destinationList"};
  int kind;
  if (is_one_of(key, epcs, 4))
    kind = 0;
  else if (is_one_of(key, qtys, 4))
    kind = 1;
  else if (is_one_of(key, pairs, 3))
    kind = 2;
  else if (strcmp(key, "sensorElementList") == 0)
    kind = 3;
  else
    return 0;
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!arr) {
    arr = cJSON_CreateArray();
    put(x, obj, key, arr);
    if (x->err) return 1;
  }
  switch (kind) {
    case 0:
      add_texts(x, arr, e, depth);
      break;
    case 1:
      add_objects(x, arr, e, K_QUANTITY, depth);
      break;
    case 2:
      add_pair_entries(x, arr, e, depth);
      break;
    default:
      add_objects(x, arr, e, K_SENSOR_ELEMENT, depth);
      break;
  }
  return 1;
}

/* A child element's member key and its position among its siblings. */
typedef struct keyed {
  char *key;
  size_t pos;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  const keyed *p = a, *q = b;
  int c = strcmp(p->key, q->key);
  return c ? c : (p->pos > q->pos) - (p->pos < q->pos);
}

/* The attributes and child elements of e as members of obj. Repeated child
 * names become arrays (document order). */
static void add_members(xctx *x, cJSON *obj, const xmlNode *e, int kind, int depth) {
  if (depth > MAX_DEPTH) {
    fail(x, SY_ETOOBIG);
    return;
  }
  for (const xmlAttr *a = e->properties; a && !x->err; a = a->next) {
    if (is_xsi(a)) continue;
    char *name = clark(x, a->ns, a->name);
    char *val = attr_value(x, a);
    if (name && val) put(x, obj, name, scalar(kind, name, val));
    free(name);
    free(val);
  }
  kids k = {0};
  kids_collect(x, e, &k, depth);
  /* Each child's key is made once and the children are grouped by key with
   * one sort (ties by position), so that repeated names become one array in
   * O(n log n). Comparing every child with every other, as before, took 40 s
   * for 16000 sibling elements (docs/reliability.md). */
  size_t n = k.n;
  keyed *by_key = malloc((n ? n : 1) * sizeof *by_key);
  size_t *group = malloc((n ? n : 1) * sizeof *group); /* child -> its index in by_key */
  if (!by_key || !group) fail(x, SY_ENOMEM);
  size_t made = 0;
  for (; made < n && !x->err; made++) {
    by_key[made].key = clark(x, k.v[made]->ns, k.v[made]->name);
    by_key[made].pos = made;
    if (!by_key[made].key) break;
  }
  if (!x->err) {
    qsort(by_key, n, sizeof *by_key, cmp_keyed);
    for (size_t j = 0; j < n; j++) group[by_key[j].pos] = j;
  }
  for (size_t i = 0; i < n && !x->err; i++) {
    size_t g = group[i];
    const char *key = by_key[g].key;
    if (kind == K_EVENT && add_event_list(x, obj, key, k.v[i], depth + 1)) continue;
    if (kind == K_ERROR_DECL && strcmp(key, "correctiveEventIDs") == 0) {
      cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
      if (!arr) {
        arr = cJSON_CreateArray();
        put(x, obj, key, arr);
      }
      if (!x->err) add_texts(x, arr, k.v[i], depth + 1);
      continue;
    }
    if (g > 0 && strcmp(by_key[g - 1].key, key) == 0) continue; /* added with the first */
    size_t end = g + 1;
    while (end < n && strcmp(by_key[end].key, key) == 0) end++;
    if (end - g > 1 || always_array(kind, key)) {
      cJSON *arr = cJSON_CreateArray();
      put(x, obj, key, arr);
      for (size_t j = g; j < end && !x->err; j++)
        push(x, arr, element_value(x, k.v[by_key[j].pos], key, kind, depth + 1));
    } else {
      put(x, obj, key, element_value(x, k.v[i], key, kind, depth + 1));
    }
  }
  for (size_t j = 0; by_key && j < made; j++) free(by_key[j].key);
  free(by_key);
  free(group);
  free(k.v);
}

static cJSON *event_object(xctx *x, const xmlNode *ev) {
  cJSON *o = cJSON_CreateObject();
  if (!o) {
    fail(x, SY_ENOMEM);
    return NULL;
  }
  put(x, o, "type", cJSON_CreateString((const char *)ev->name));
  add_members(x, o, ev, K_EVENT, 1);
  return o;
}

/* ---- the document ---------------------------------------------------------------- */

/* First element named local (standard namespace) in document order,
 * not descending into skip. */
static const xmlNode *find_elem(const xmlNode *e, const char *local, int depth) {
  if (depth > 32) return NULL;
  for (const xmlNode *c = e->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (is_std(c, local)) return c;
    const xmlNode *r = find_elem(c, local, depth + 1);
    if (r) return r;
  }
  return NULL;
}

/* First element whose local name is local, any namespace, outside EventList. */
static const xmlNode *find_any_ns(const xmlNode *e, const char *local, int depth) {
  if (depth > 32) return NULL;
  for (const xmlNode *c = e->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || is_std(c, "EventList")) continue;
    if (strcmp((const char *)c->name, local) == 0) return c;
    const xmlNode *r = find_any_ns(c, local, depth + 1);
    if (r) return r;
  }
  return NULL;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static cJSON *document_object(xctx *x, const xmlNode *root, const xmlNode *list) {
  cJSON *d = cJSON_CreateObject();
  if (!d) {
    fail(x, SY_ENOMEM);
    return NULL;
  }
  int query = strstr((const char *)root->name, "Query") != NULL;
  put(x, d, "type", cJSON_CreateString((const char *)root->name));
  for (const xmlAttr *a = root->properties; a && !x->err; a = a->next) {
    if (is_xsi(a)) continue;
    char *name = clark(x, a->ns, a->name);
    char *val = attr_value(x, a);
    if (name && val) put(x, d, name, cJSON_CreateString(val));
    free(name);
    free(val);
  }
  const xmlNode *ign = find_any_ns(root, "ignoreFields", 0);
  if (ign && !x->err) {
    char *key = clark(x, ign->ns, ign->name);
    cJSON *arr = cJSON_CreateArray();
    if (key)
      put(x, d, key, arr);
    else
      cJSON_Delete(arr);
    for (const xmlNode *c = ign->children; c && !x->err; c = c->next) {
      if (c->type != XML_ELEMENT_NODE) continue;
      char *n = clark(x, c->ns, c->name);
      if (n) push(x, arr, cJSON_CreateString(n));
      free(n);
    }
    free(key);
  }
  cJSON *events = cJSON_CreateArray();
  cJSON *body = cJSON_CreateObject();
  put(x, d, "epcisBody", body);
  if (x->err) {
    cJSON_Delete(events);
    return d;
  }
  if (query) {
    cJSON *qr = cJSON_CreateObject();
    put(x, body, "queryResults", qr);
    static const char *const fields[] = {"subscriptionID", "queryName"};
    for (size_t i = 0; i < 2 && !x->err; i++) {
      const xmlNode *f = find_elem(root, fields[i], 0);
      char *t = f ? elem_text(x, f) : NULL;
      if (t) put(x, qr, fields[i], cJSON_CreateString(t));
      free(t);
    }
    cJSON *rb = cJSON_CreateObject();
    if (!x->err)
      put(x, qr, "resultsBody", rb);
    else
      cJSON_Delete(rb);
    if (!x->err)
      put(x, rb, "eventList", events);
    else
      cJSON_Delete(events);
  } else {
    put(x, body, "eventList", events);
  }
  kids k = {0};
  kids_collect(x, list, &k, 1);
  for (size_t i = 0; i < k.n && !x->err; i++) push(x, events, event_object(x, k.v[i]));
  free(k.v);
  return d;
}

/* Set as the parser context's _private when an entity declaration was seen. */
static char g_refused;

/* SAX hook: any entity declaration stops the parse. */
static void refuse_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                          const xmlChar *system_id, xmlChar *content) {
  (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
  xmlParserCtxtPtr c = ctx;
  c->_private = &g_refused;
  xmlStopParser(c);
}

int sy_epcis_xml_parse(const char *xml, size_t len, cJSON **out, char *err, size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = '\0';
  if (!xml || !out) return SY_EINVAL;
  if (len > SY_EPCIS_XML_MAX) {
    set_err(err, errlen, "XML document of %zu bytes is larger than the limit of %zu", len,
            SY_EPCIS_XML_MAX);
    return SY_ETOOBIG;
  }
  /* libxml2 2.9's xmlInitParser is not safe to race on first use */
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, xmlInitParser);
  xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
  if (!ctxt) return SY_ENOMEM;
  ctxt->sax->entityDecl = refuse_entity;
  ctxt->_private = NULL;
  /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR (no
   * external subset), no HUGE (libxml2's limits stay), no network. */
  xmlDocPtr doc = xmlCtxtReadMemory(
      ctxt, xml, (int)len, NULL, NULL,
      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
  int rc = SY_OK;
  if (ctxt->_private == &g_refused) {
    set_err(err, errlen, "XML entity declarations are not accepted");
    rc = SY_EUNSUPPORTED;
  } else if (!doc || !ctxt->wellFormed) {
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    if (e && e->code == XML_ERR_NO_MEMORY)
      rc = SY_ENOMEM;
    else
      rc = SY_EMALFORMED;
    set_err(err, errlen, "XML not well-formed: line %d: %s", e ? e->line : 0,
            e && e->message ? e->message : "parse error");
    if (err && errlen) { /* libxml2 messages end in a newline */
      size_t l = strlen(err);
      if (l && err[l - 1] == '\n') err[l - 1] = '\0';
    }
  }
  xmlFreeParserCtxt(ctxt);
  if (rc) {
    xmlFreeDoc(doc);
    return rc;
  }
  xctx x = {0};
  const xmlNode *root = xmlDocGetRootElement(doc);
  cJSON *res = NULL;
  if (!root) {
    rc = SY_EMALFORMED;
    set_err(err, errlen, "XML document has no root element");
  } else if (ends_with((const char *)root->name, "Event")) {
    res = event_object(&x, root);
  } else {
    const xmlNode *list = find_elem(root, "EventList", 0);
    if (!list) {
      rc = SY_EMALFORMED;
      set_err(err, errlen, "not an EPCIS document: no EventList under <%s>", root->name);
    } else {
      res = document_object(&x, root, list);
    }
  }
  xmlFreeDoc(doc);
  if (!rc && x.err) {
    rc = x.err;
    set_err(err, errlen, "%s", rc == SY_ETOOBIG ? "XML nested too deep" : sy_strerror(rc));
  }
  if (rc) {
    cJSON_Delete(res);
    return rc;
  }
  *out = res;
  return SY_OK;
}

int sy_epcis_doc_parse(const char *buf, size_t len, cJSON **out, int *is_xml, char *err,
                       size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = '\0';
  if (!buf || !out) return SY_EINVAL;
  const unsigned char *u = (const unsigned char *)buf;
  size_t i = 0;
  int xml = 0;
  if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) xml = 1;
  if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) i = 3;
  size_t start = i;
  while (!xml && i < len && (u[i] == ' ' || u[i] == '\t' || u[i] == '\r' || u[i] == '\n')) i++;
  if (!xml && i < len && u[i] == '<') xml = 1;
  if (is_xml) *is_xml = xml;
  if (xml) return sy_epcis_xml_parse(buf, len, out, err, errlen);
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(buf + start, len - start, &end, 0);
  if (!j) {
    size_t off = end ? (size_t)(end - buf) : 0;
    set_err(err, errlen, "neither XML nor valid JSON (JSON error near byte %zu)", off);
    return SY_EMALFORMED;
  }
  size_t rest = end ? (size_t)(end - buf) : len;
  while (rest < len && (u[rest] == ' ' || u[rest] == '\t' || u[rest] == '\r' || u[rest] == '\n' ||
                        u[rest] == '\0'))
    rest++;
  if (rest < len) {
    cJSON_Delete(j);
    set_err(err, errlen, "trailing data after the JSON document at byte %zu", rest);
    return SY_EMALFORMED;
  }
  *out = j;
  return SY_OK;
}
