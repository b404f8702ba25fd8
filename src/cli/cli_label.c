/* suyuan label: product labels with their trace QR code (issue 5 parts 4
 * and 8; SPEC C2, C3, C4, I7; docs/labels.md).
 *
 *   suyuan label ID [--format svg|png|pdf] --out FILE [fields] [--codes CSV]
 *                   [--sign-key KEY] [--base-url URL] [--offline]
 *   suyuan label --gtin G [--lot L] (--serials 1-5000 | --serials-file F | --codes CSV)
 *                --out-dir DIR [--format png] [fields] [--sign-key KEY] [--jobs N]
 *   suyuan label verify QR_TEXT [--key KEYFILE | --members FILE]
 *
 * The fields come from the node's GET /v1/product when it answers, and
 * flags override them. A batch renders on --jobs threads (one label is
 * independent of the next), writes one file per serial and shows progress
 * on a terminal. Anti-counterfeit codes are secrets until printed: files
 * holding them are written mode 0600 and the codes never appear in
 * messages. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ident/ident.h"
#include "label/label.h"

#define LABEL_USAGE                                                                          \
  "suyuan label ID --out FILE [--format svg|png|pdf] [options]\n"                            \
  "       suyuan label --gtin GTIN [--lot LOT] (--serials A-B | --serials-file F | --codes " \
  "CSV) --out-dir DIR [options]\n"                                                           \
  "       suyuan label verify QR_TEXT [--key KEYFILE | --members FILE]"

#define LABEL_HELP                                                                            \
  "usage: " LABEL_USAGE                                                                       \
  "\n\n"                                                                                      \
  "Renders the label of a minimum sales unit (60 x 40 mm; SPEC I7, C3, C4): the customer,\n"  \
  "product name, model, lot, production date and inspection status, a QR code holding the\n"  \
  "product's GS1 Digital Link URI, the element string, the query channels (web, telephone,\n" \
  "SMS) and the anti-counterfeit panel. See docs/labels.md.\n"                                \
  "\n"                                                                                        \
  "The fields come from the node (GET /v1/product) when it answers; flags override them.\n"   \
  "\n"                                                                                        \
  "One label:\n"                                                                              \
  "  ID                      any GS1 form: Digital Link URI, EPC URN, element string\n"       \
  "  -o, --out FILE          where to write it ('-' = stdout)\n"                              \
  "  -f, --format FMT        svg, png (300 dpi) or pdf (default: from --out's extension,\n"   \
  "                          else png)\n"                                                     \
  "Many labels (a whole lot, one file per serial, named SERIAL.FMT):\n"                       \
  "  --gtin GTIN             the product's GTIN (8, 12, 13 or 14 digits)\n"                   \
  "  --lot LOT               its lot (AI 10)\n"                                               \
  "  --serials LIST          serial numbers: 1-5000, or 0001-0500,0700 (leading zeros\n"      \
  "                          keep the width)\n"                                               \
  "  --serials-file FILE     one serial a line\n"                                             \
  "  --out-dir DIR           created when missing\n"                                          \
  "  --jobs N                rendering threads (default: the number of CPUs, at most 8)\n"    \
  "Fields (override the node's):\n"                                                           \
  "  --customer TEXT, --name TEXT, --model TEXT, --date YYYY-MM-DD, --inspection TEXT,\n"     \
  "  --web URL, --tel NUMBER, --sms NUMBER\n"                                                 \
  "Codes:\n"                                                                                  \
  "  --base-url URL          the resolver the QR code points at (default: the node's\n"       \
  "                          public URL from /v1/product, else --node)\n"                     \
  "  --codes CSV             anti-counterfeit codes (serial,code; from `suyuan codes\n"       \
  "                          issue`) printed in the scratch panel; without --serials the\n"   \
  "                          file's serials are the batch. Such files are written 0600.\n"    \
  "  --sign-key KEYFILE      sign the QR code with this member key (offline check)\n"         \
  "  --offline               do not ask the node\n"                                           \
  "Checking a signed QR code (offline app's check):\n"                                        \
  "  verify QR_TEXT          checks the k=/s= signature; the key from --key KEYFILE (its\n"   \
  "                          public half, no passphrase), or the member registry from\n"      \
  "                          --members FILE (a saved GET /v1/members) or the node\n"          \
  "\n"                                                                                        \
  "Exit: 0 done; 1 failure (file, key, bad signature); 2 usage; 3 the node refused.\n"

enum {
  OPT_OUT_DIR = CLI_OPT_FIRST_LOCAL,
  OPT_CUSTOMER,
  OPT_NAME,
  OPT_MODEL,
  OPT_DATE,
  OPT_INSPECTION,
  OPT_WEB,
  OPT_TEL,
  OPT_SMS,
  OPT_BASE_URL,
  OPT_GTIN,
  OPT_LOT,
  OPT_SERIALS,
  OPT_SERIALS_FILE,
  OPT_CODES,
  OPT_SIGN_KEY,
  OPT_OFFLINE,
  OPT_JOBS,
  OPT_KEY,
  OPT_MEMBERS,
};

#define MAX_LABELS 1000000
#define FILE_MAX (64u << 20)

typedef struct opts {
  const char *out, *out_dir, *format;
  const char *customer, *name, *model, *date, *inspection, *web, *tel, *sms;
  const char *base_url, *gtin, *lot, *serials, *serials_file, *codes, *sign_key;
  const char *key, *members;
  int offline;
  long jobs;
} opts;

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* ---- the product summary from the node --------------------------------------------------- */

/* GET /v1/product?id=ID. Returns the parsed answer (caller frees) or NULL
 * after a note on stderr: the label is then made from flags alone. A 4xx
 * other than 404 (a bad id) is an error: *rc = CLI_REJECTED. */
static cJSON *fetch_product(cli *c, const char *id, int *rc) {
  *rc = CLI_OK;
  sy_client *cl = cli_client(c);
  if (!cl) return NULL;
  char *e = sy_client_escape(id);
  if (!e) return NULL;
  size_t n = strlen(e) + 32;
  char *path = malloc(n);
  if (!path) {
    free(e);
    return NULL;
  }
  snprintf(path, n, "/v1/product?id=%s", e);
  free(e);
  sy_http_resp r = {0};
  int got = sy_client_get(cl, path, &r);
  free(path);
  cJSON *j = NULL;
  if (got != SY_OK) {
    fprintf(stderr,
            "suyuan: note: node %s not reachable (%s); the label's fields come from the "
            "command line\n",
            c->node, sy_client_errmsg(cl));
  } else if (r.status == 404) {
    fprintf(stderr,
            "suyuan: note: the node knows no product %s; the label's fields come from "
            "the command line\n",
            id);
  } else if (r.status >= 400 && r.status < 500) {
    cJSON *p = cJSON_ParseWithLength(r.body, r.len);
    const char *d = p ? jstr(p, "detail") : NULL;
    cli_err("the node refused the identifier: %s", d ? d : "no detail");
    cJSON_Delete(p);
    *rc = CLI_REJECTED;
  } else if (r.status != 200) {
    fprintf(stderr,
            "suyuan: note: the node answered %ld to /v1/product; the label's fields "
            "come from the command line\n",
            r.status);
  } else if (!(j = cJSON_ParseWithLength(r.body, r.len)) ||
             !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "product"))) {
    fprintf(stderr, "suyuan: note: the node's /v1/product answer is not usable\n");
    cJSON_Delete(j);
    j = NULL;
  }
  sy_http_resp_free(&r);
  return j;
}

/* The base the node's Digital Link URIs use (product.dl minus dl_path). */
static int product_base(const cJSON *prod, char *out, size_t size) {
  const char *dl = jstr(prod, "dl"), *path = jstr(prod, "dl_path");
  if (!dl || !path) return -1;
  size_t n = strlen(dl), m = strlen(path);
  if (m > n || strcmp(dl + n - m, path) != 0 || n - m >= size || n == m) return -1;
  memcpy(out, dl, n - m);
  out[n - m] = 0;
  return 0;
}

/* The template of every label: flags first, else the node's summary. */
static void fill_fields(sy_label_fields *f, const opts *o, const cJSON *prod) {
  memset(f, 0, sizeof *f);
  f->customer = o->customer;
  if (!f->customer && prod)
    f->customer = jstr(prod, "brand_name") ? jstr(prod, "brand_name") : jstr(prod, "brand_org");
  f->product_name = o->name ? o->name : prod ? jstr(prod, "product_name") : NULL;
  f->model = o->model ? o->model : prod ? jstr(prod, "model") : NULL;
  f->production_date = o->date ? o->date : prod ? jstr(prod, "production_date") : NULL;
  f->inspection = o->inspection ? o->inspection : prod ? jstr(prod, "inspection") : NULL;
  f->web = o->web ? o->web : prod ? jstr(prod, "web") : NULL;
  f->tel = o->tel ? o->tel : prod ? jstr(prod, "tel") : NULL;
  f->sms = o->sms ? o->sms : prod ? jstr(prod, "sms") : NULL;
}

/* ---- serials and codes ------------------------------------------------------------------ */

typedef struct serial_list {
  char (*v)[21];
  size_t n, cap;
} serial_list;

static int serial_add(serial_list *l, const char *s, size_t n) {
  if (n == 0 || n > 20) {
    cli_err("serial '%.*s' must be 1 to 20 characters", (int)(n > 40 ? 40 : n), s);
    return -1;
  }
  if (l->n == MAX_LABELS) {
    cli_err("more than %d labels in one batch", MAX_LABELS);
    return -1;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 1024;
    void *p = realloc(l->v, cap * sizeof *l->v);
    if (!p) {
      cli_err("out of memory");
      return -1;
    }
    l->v = p;
    l->cap = cap;
  }
  memcpy(l->v[l->n], s, n);
  l->v[l->n][n] = 0;
  char err[200];
  if (sy_gs1_ai_validate("21", l->v[l->n], err, sizeof err) != 0) {
    cli_err("serial '%s': %s", l->v[l->n], err);
    return -1;
  }
  l->n++;
  return 0;
}

static int all_digits(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static int serial_cmp(const void *a, const void *b) {
  return strcmp(a, b);
}

/* "1-5000", "0001-0500,0700": a leading zero keeps the start's width. */
static int parse_ranges(const char *spec, serial_list *l) {
  const char *p = spec;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    const char *dash = memchr(p, '-', n);
    size_t an = dash ? (size_t)(dash - p) : n;
    const char *b = dash ? dash + 1 : p;
    size_t bn = dash ? n - an - 1 : n;
    if (!all_digits(p, an) || !all_digits(b, bn) || an > 18 || bn > 18) {
      cli_err("--serials wants ranges of numbers like 1-5000 or 0001-0500,0700, not '%s'", spec);
      return -1;
    }
    unsigned long long lo = strtoull(p, NULL, 10), hi = strtoull(b, NULL, 10);
    if (hi < lo) {
      cli_err("--serials: the range %.*s runs backwards", (int)n, p);
      return -1;
    }
    if (hi - lo >= MAX_LABELS) {
      cli_err("more than %d labels in one batch", MAX_LABELS);
      return -1;
    }
    int width = (an > 1 && p[0] == '0') ? (int)an : 0;
    for (unsigned long long v = lo; v <= hi; v++) {
      char s[24];
      int w = snprintf(s, sizeof s, "%0*llu", width, v);
      if (serial_add(l, s, (size_t)w)) return -1;
    }
    p += n;
    if (*p == ',') p++;
  }
  if (l->n == 0) {
    cli_err("--serials names no serial");
    return -1;
  }
  return 0;
}

/* Lines of buf (NUL-terminated, modified): calls fn on each, \r stripped. */
static int each_line(char *buf, int (*fn)(void *, char *, size_t, size_t), void *arg) {
  size_t lineno = 0;
  char *p = buf;
  while (*p) {
    char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    lineno++;
    if (n && p[n - 1] == '\r') n--;
    p[n] = 0;
    if (fn(arg, p, n, lineno)) return -1;
    if (!nl) break;
    p = nl + 1;
  }
  return 0;
}

static int serial_line(void *arg, char *s, size_t n, size_t lineno) {
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  while (*s == ' ' || *s == '\t') s++, n--;
  if (n == 0 || s[0] == '#') return 0;
  (void)lineno;
  return serial_add(arg, s, n);
}

typedef struct code_entry {
  const char *serial, *code; /* into the CSV buffer */
} code_entry;

typedef struct codes {
  char *buf; /* the file; wiped and freed at the end (the codes are secrets) */
  size_t len;
  code_entry *v;
  size_t n, cap;
  const char *path;
} codes;

static int code_line(void *arg, char *s, size_t n, size_t lineno) {
  codes *c = arg;
  if (lineno == 1) {
    if (strcmp(s, "serial,code") != 0) {
      cli_err("%s: the first line must be the header 'serial,code'", c->path);
      return -1;
    }
    return 0;
  }
  if (n == 0) return 0;
  char *comma = strchr(s, ',');
  if (!comma || comma == s || !comma[1] || strchr(comma + 1, ',')) {
    /* never echo the line: it holds a secret code */
    cli_err("%s line %zu: want 'serial,code'", c->path, lineno);
    return -1;
  }
  *comma = 0;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 1024;
    void *p = realloc(c->v, cap * sizeof *c->v);
    if (!p) {
      cli_err("out of memory");
      return -1;
    }
    c->v = p;
    c->cap = cap;
  }
  if (c->n == MAX_LABELS) {
    cli_err("%s: more than %d codes", c->path, MAX_LABELS);
    return -1;
  }
  c->v[c->n].serial = s;
  c->v[c->n].code = comma + 1;
  c->n++;
  return 0;
}

static int code_cmp(const void *a, const void *b) {
  return strcmp(((const code_entry *)a)->serial, ((const code_entry *)b)->serial);
}

static int load_codes(const char *path, codes *c) {
  uint8_t *buf = NULL;
  size_t len = 0;
  c->path = path;
  int rc = cli_read_file(path, FILE_MAX, &buf, &len);
  if (rc) {
    cli_err("cannot read %s: %s", path, rc == SY_ETOOBIG ? "too large" : strerror(errno));
    return -1;
  }
  c->buf = (char *)buf;
  c->len = len;
  if (memchr(buf, 0, len)) {
    cli_err("%s is not a text file", path);
    return -1;
  }
  if (each_line(c->buf, code_line, c)) return -1;
  if (c->n == 0) {
    cli_err("%s holds no codes", path);
    return -1;
  }
  return 0;
}

static void codes_free(codes *c) {
  if (c->buf) {
    explicit_bzero(c->buf, c->len);
    free(c->buf);
  }
  free(c->v);
  memset(c, 0, sizeof *c);
}

/* Sorted copy for lookups by serial; a serial listed twice is refused. */
static int codes_index(codes *c, code_entry **sorted) {
  code_entry *s = malloc(c->n * sizeof *s);
  if (!s) {
    cli_err("out of memory");
    return -1;
  }
  memcpy(s, c->v, c->n * sizeof *s);
  qsort(s, c->n, sizeof *s, code_cmp);
  for (size_t i = 1; i < c->n; i++)
    if (strcmp(s[i - 1].serial, s[i].serial) == 0) {
      cli_err("%s lists serial '%.20s' twice", c->path, s[i].serial);
      free(s);
      return -1;
    }
  *sorted = s;
  return 0;
}

static const char *code_of(const code_entry *sorted, size_t n, const char *serial) {
  code_entry k = {serial, NULL};
  const code_entry *e = bsearch(&k, sorted, n, sizeof k, code_cmp);
  return e ? e->code : NULL;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* A file name from a serial: [A-Za-z0-9_-] kept, the rest %XX (AI 21 allows
 * '/' and '.', which must not make a path). */
static void safe_name(char *out, const char *serial, const char *ext) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)serial; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
        *p == '_' || *p == '-') {
      out[o++] = (char)*p;
    } else {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    }
  }
  snprintf(out + o, 8, ".%s", ext);
}

static int write_mode(const char *path, const void *p, size_t len, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return -1;
  if (mode == 0600) (void)fchmod(fd, mode); /* an older file may have had wider rights */
  const uint8_t *b = p;
  while (len) {
    ssize_t w = write(fd, b, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    b += w;
    len -= (size_t)w;
  }
  return close(fd);
}

static const char *EXT[] = {"svg", "png", "pdf"};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- one label's codes -------------------------------------------------------------------- */

/* Fills dl (the QR text, signed when key) and hri for g. */
static int label_codes(const sy_gs1 *g, const char *base, const sy_key *key, char *qr, size_t qsize,
                       char *hri, size_t hsize, char *err, size_t errlen) {
  char dl[1024];
  if (sy_gs1_to_dl(g, base, dl, sizeof dl) != 0) {
    snprintf(err, errlen, "cannot write the Digital Link URI");
    return -1;
  }
  if (sy_gs1_to_element_string(g, hri, hsize) != 0) {
    snprintf(err, errlen, "cannot write the element string");
    return -1;
  }
  if (key) return sy_label_sign_qr(dl, key, qr, qsize, err, errlen) == SY_OK ? 0 : -1;
  if (strlen(dl) >= qsize) {
    snprintf(err, errlen, "the Digital Link URI is too long");
    return -1;
  }
  memcpy(qr, dl, strlen(dl) + 1);
  return 0;
}

/* ---- batch -------------------------------------------------------------------------------- */

typedef struct batch {
  const sy_label_fields *tmpl;
  sy_gs1 base_key; /* 01 (+ 10) */
  const char *base;
  int fmt;
  const char *dir;
  const serial_list *serials;
  const code_entry *codes;
  size_t ncodes;
  const sy_key *key;
  _Atomic size_t next, done;
  _Atomic int failed;
  pthread_mutex_t lock;
  char errmsg[512];
} batch;

static void batch_fail(batch *b, const char *fmt, const char *a, const char *c) {
  pthread_mutex_lock(&b->lock);
  if (!b->errmsg[0]) snprintf(b->errmsg, sizeof b->errmsg, fmt, a, c);
  pthread_mutex_unlock(&b->lock);
  atomic_store(&b->failed, 1);
}

static void *batch_worker(void *arg) {
  batch *b = arg;
  sy_buf out = {0};
  size_t dlen = strlen(b->dir);
  char *path = malloc(dlen + 80);
  if (!path) {
    batch_fail(b, "%s%s", "out of memory", "");
    return NULL;
  }
  for (;;) {
    if (atomic_load(&b->failed)) break;
    size_t i = atomic_fetch_add(&b->next, 1);
    if (i >= b->serials->n) break;
    const char *serial = b->serials->v[i];
    sy_gs1 g = b->base_key;
    if (g.n >= SY_GS1_MAX_AIS) {
      batch_fail(b, "%s%s", "too many AIs", "");
      break;
    }
    snprintf(g.ais[g.n].ai, sizeof g.ais[g.n].ai, "21");
    snprintf(g.ais[g.n].value, sizeof g.ais[g.n].value, "%s", serial);
    g.n++;
    char qr[1024], hri[256], err[256];
    if (label_codes(&g, b->base, b->key, qr, sizeof qr, hri, sizeof hri, err, sizeof err)) {
      batch_fail(b, "serial %s: %s", serial, err);
      break;
    }
    sy_label_fields f = *b->tmpl;
    f.qr_text = qr;
    f.human_readable = hri;
    f.ac_code = b->codes ? code_of(b->codes, b->ncodes, serial) : NULL;
    sy_buf_reset(&out);
    int rc = sy_label_render(&f, (sy_label_format)b->fmt, &out, err, sizeof err);
    if (rc) {
      batch_fail(b, "serial %s: %s", serial, err);
      break;
    }
    memcpy(path, b->dir, dlen);
    path[dlen] = '/';
    safe_name(path + dlen + 1, serial, EXT[b->fmt]);
    if (write_mode(path, out.p, out.len, b->codes ? 0600 : 0644) != 0) {
      batch_fail(b, "cannot write %s: %s", path, strerror(errno));
      break;
    }
    atomic_fetch_add(&b->done, 1);
  }
  if (out.p) explicit_bzero(out.p, out.cap); /* may hold a code */
  sy_buf_free(&out);
  free(path);
  return NULL;
}

static void progress(size_t done, size_t n, double t0) {
  double el = now_s() - t0;
  int width = 30, fill = n ? (int)((double)done * width / (double)n) : width;
  char bar[32];
  for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
  bar[width] = 0;
  fprintf(stderr, "\r[%s] %zu/%zu labels  %.0f/s ", bar, done, n, el > 0 ? done / el : 0.0);
  fflush(stderr);
}

static int run_batch(cli *c, const opts *o, int fmt, const sy_key *key) {
  int rc = CLI_FAIL;
  char gtin[15], err[256];
  if (sy_gtin_normalise(o->gtin, gtin, err, sizeof err) != 0) {
    cli_err("--gtin: %s", err);
    return CLI_USAGE;
  }
  sy_gs1 g;
  memset(&g, 0, sizeof g);
  snprintf(g.ais[0].ai, sizeof g.ais[0].ai, "01");
  snprintf(g.ais[0].value, sizeof g.ais[0].value, "%s", gtin);
  g.n = 1;
  if (o->lot) {
    if (sy_gs1_ai_validate("10", o->lot, err, sizeof err) != 0) {
      cli_err("--lot: %s", err);
      return CLI_USAGE;
    }
    snprintf(g.ais[1].ai, sizeof g.ais[1].ai, "10");
    snprintf(g.ais[1].value, sizeof g.ais[1].value, "%s", o->lot);
    g.n = 2;
  }

  serial_list sl = {0};
  codes cd = {0};
  code_entry *sorted = NULL;
  cJSON *pj = NULL;
  if (o->codes && load_codes(o->codes, &cd)) goto undo;
  if (o->serials) {
    if (parse_ranges(o->serials, &sl)) {
      rc = CLI_USAGE;
      goto undo;
    }
  } else if (o->serials_file) {
    uint8_t *buf = NULL;
    size_t len = 0;
    int r = cli_read_file(o->serials_file, FILE_MAX, &buf, &len);
    if (r) {
      cli_err("cannot read %s: %s", o->serials_file,
              r == SY_ETOOBIG ? "too large" : strerror(errno));
      goto undo;
    }
    r = each_line((char *)buf, serial_line, &sl);
    free(buf);
    if (r) goto undo;
    if (sl.n == 0) {
      cli_err("%s lists no serial", o->serials_file);
      goto undo;
    }
  } else {
    for (size_t i = 0; i < cd.n; i++)
      if (serial_add(&sl, cd.v[i].serial, strlen(cd.v[i].serial))) goto undo;
  }
  /* every serial once; with codes, every serial has one */
  {
    char(*copy)[21] = malloc(sl.n * sizeof *copy);
    if (!copy) goto undo;
    memcpy(copy, sl.v, sl.n * sizeof *copy);
    qsort(copy, sl.n, sizeof *copy, serial_cmp);
    for (size_t i = 1; i < sl.n; i++)
      if (strcmp(copy[i - 1], copy[i]) == 0) {
        cli_err("serial '%s' is listed twice", copy[i]);
        free(copy);
        goto undo;
      }
    free(copy);
  }
  if (o->codes) {
    if (codes_index(&cd, &sorted)) goto undo;
    size_t missing = 0;
    const char *first = NULL;
    for (size_t i = 0; i < sl.n; i++)
      if (!code_of(sorted, cd.n, sl.v[i])) {
        if (!missing++) first = sl.v[i];
      }
    if (missing) {
      cli_err("%zu serial(s) have no code in %s (the first: %s); no label written", missing,
              o->codes, first);
      goto undo;
    }
  }

  /* the lot's summary from the node, once */
  char base[512];
  base[0] = 0;
  const cJSON *prod = NULL;
  if (!o->offline) {
    char id[300];
    if (sy_gs1_to_element_string(&g, id, sizeof id) == 0) {
      int frc;
      pj = fetch_product(c, id, &frc);
      if (frc) {
        rc = frc;
        goto undo;
      }
      prod = pj ? cJSON_GetObjectItemCaseSensitive(pj, "product") : NULL;
    }
  }
  if (o->base_url)
    snprintf(base, sizeof base, "%s", o->base_url);
  else if (!prod || product_base(prod, base, sizeof base) != 0)
    snprintf(base, sizeof base, "%s", c->node);
  sy_label_fields tmpl;
  fill_fields(&tmpl, o, prod);
  tmpl.lot = o->lot;
  if (!tmpl.web) tmpl.web = base;

  if (mkdir(o->out_dir, o->codes ? 0700 : 0755) != 0 && errno != EEXIST) {
    cli_err("cannot create %s: %s", o->out_dir, strerror(errno));
    goto undo;
  }
  struct stat st;
  if (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    cli_err("%s is not a directory", o->out_dir);
    goto undo;
  }

  long jobs = o->jobs;
  if (jobs <= 0) {
    jobs = sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1) jobs = 1;
    if (jobs > 8) jobs = 8;
  }
  if ((size_t)jobs > sl.n) jobs = (long)sl.n;
  batch b;
  memset(&b, 0, sizeof b);
  b.tmpl = &tmpl;
  b.base_key = g;
  b.base = base;
  b.fmt = fmt;
  b.dir = o->out_dir;
  b.serials = &sl;
  b.codes = sorted;
  b.ncodes = cd.n;
  b.key = key;
  pthread_mutex_init(&b.lock, NULL);
  pthread_t th[64];
  long started = 0;
  double t0 = now_s();
  for (; started < jobs && started < 64; started++)
    if (pthread_create(&th[started], NULL, batch_worker, &b) != 0) break;
  if (started == 0) {
    cli_err("cannot start a rendering thread");
    pthread_mutex_destroy(&b.lock);
    goto undo;
  }
  int tty = isatty(STDERR_FILENO);
  while (atomic_load(&b.done) < sl.n && !atomic_load(&b.failed)) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (tty) progress(atomic_load(&b.done), sl.n, t0);
  }
  for (long i = 0; i < started; i++) pthread_join(th[i], NULL);
  double el = now_s() - t0;
  if (tty) {
    progress(atomic_load(&b.done), sl.n, t0);
    fputc('\n', stderr);
  }
  pthread_mutex_destroy(&b.lock);
  size_t done = atomic_load(&b.done);
  if (atomic_load(&b.failed)) {
    cli_err("%s (%zu of %zu labels written)", b.errmsg, done, sl.n);
    goto undo;
  }
  double rate = el > 0 ? done / el : 0;
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "labels", (double)done);
    cJSON_AddStringToObject(j, "format", EXT[fmt]);
    cJSON_AddStringToObject(j, "dir", o->out_dir);
    cJSON_AddNumberToObject(j, "seconds", el);
    cJSON_AddNumberToObject(j, "per_second", rate);
    cJSON_AddNumberToObject(j, "threads", (double)started);
    cJSON_AddBoolToObject(j, "signed", key != NULL);
    cJSON_AddBoolToObject(j, "codes", o->codes != NULL);
    char *t = cJSON_PrintUnformatted(j);
    if (t) printf("%s\n", t);
    free(t);
    cJSON_Delete(j);
  } else {
    printf("wrote %zu labels (%s) to %s in %.2f s: %.0f labels/s on %ld threads%s%s\n", done,
           EXT[fmt], o->out_dir, el, rate, started, key ? ", signed" : "",
           o->codes ? ", with codes" : "");
  }
  rc = CLI_OK;
undo:
  cJSON_Delete(pj);
  free(sorted);
  codes_free(&cd);
  free(sl.v);
  return rc;
}

/* ---- one label ---------------------------------------------------------------------------- */

static int run_one(cli *c, const opts *o, const char *id, int fmt, const sy_key *key) {
  char err[256];
  sy_gs1 g;
  if (strlen(id) > 1024 || sy_gs1_parse_any(id, &g, err, sizeof err) != 0) {
    cli_err("%s is not a GS1 identifier: %s", id, strlen(id) > 1024 ? "too long" : err);
    return CLI_USAGE;
  }
  int rc = CLI_FAIL;
  codes cd = {0};
  code_entry *sorted = NULL;
  cJSON *pj = NULL;
  const cJSON *prod = NULL;
  const char *code = NULL;
  if (o->codes) {
    const char *serial = sy_gs1_get(&g, "21");
    if (!serial) {
      cli_err("--codes needs a serialised identifier (with AI 21)");
      return CLI_USAGE;
    }
    if (load_codes(o->codes, &cd) || codes_index(&cd, &sorted)) goto undo;
    code = code_of(sorted, cd.n, serial);
    if (!code) {
      cli_err("%s has no code for serial %s", o->codes, serial);
      goto undo;
    }
  }
  if (!o->offline) {
    int frc;
    pj = fetch_product(c, id, &frc);
    if (frc) {
      rc = frc;
      goto undo;
    }
    prod = pj ? cJSON_GetObjectItemCaseSensitive(pj, "product") : NULL;
  }
  char base[512];
  if (o->base_url)
    snprintf(base, sizeof base, "%s", o->base_url);
  else if (!prod || product_base(prod, base, sizeof base) != 0) {
    snprintf(base, sizeof base, "%s", c->node);
    if (!prod) fprintf(stderr, "suyuan: note: no --base-url: the QR code points at %s\n", c->node);
  }
  sy_label_fields f;
  fill_fields(&f, o, prod);
  f.lot = sy_gs1_get(&g, "10");
  if (!f.lot && prod) f.lot = jstr(prod, "lot");
  if (!f.web) f.web = base;
  char qr[1024], hri[256];
  if (label_codes(&g, base, key, qr, sizeof qr, hri, sizeof hri, err, sizeof err)) {
    cli_err("%s", err);
    goto undo;
  }
  f.qr_text = qr;
  f.human_readable = hri;
  f.ac_code = code;
  sy_buf out = {0};
  int r = sy_label_render(&f, (sy_label_format)fmt, &out, err, sizeof err);
  if (r) {
    cli_err("cannot render the label: %s", err);
    sy_buf_free(&out);
    rc = r == SY_EINVAL ? CLI_USAGE : CLI_FAIL;
    goto undo;
  }
  int w = strcmp(o->out, "-") == 0 ? cli_write_file("-", out.p, out.len)
          : code                   ? write_mode(o->out, out.p, out.len, 0600)
                                   : cli_write_file(o->out, out.p, out.len);
  if (code) explicit_bzero(out.p, out.cap);
  sy_buf_free(&out);
  if (w) {
    cli_err("cannot write %s: %s", o->out, strerror(errno));
    goto undo;
  }
  FILE *info = strcmp(o->out, "-") == 0 ? stderr : stdout;
  if (c->json && info == stdout) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "file", o->out);
    cJSON_AddStringToObject(j, "format", EXT[fmt]);
    cJSON_AddStringToObject(j, "qr", qr);
    cJSON_AddStringToObject(j, "element_string", hri);
    cJSON_AddNumberToObject(j, "qr_version", sy_label_qr_version(qr));
    cJSON_AddBoolToObject(j, "signed", key != NULL);
    char *s = cJSON_PrintUnformatted(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
  } else {
    fprintf(info, "wrote %s (%s, %d x %d mm, QR version %d-M%s)\nqr: %s\n", o->out, EXT[fmt],
            SY_LABEL_WIDTH_MM, SY_LABEL_HEIGHT_MM, sy_label_qr_version(qr), key ? ", signed" : "",
            qr);
  }
  rc = CLI_OK;
undo:
  cJSON_Delete(pj);
  free(sorted);
  codes_free(&cd);
  return rc;
}

/* ---- verify -----------------------------------------------------------------------------------
 */

static int run_verify(cli *c, const opts *o, const char *text) {
  size_t ul, sl;
  uint8_t kid[SY_LABEL_KID_LEN], sig[128];
  if (sy_label_qr_split(text, &ul, kid, sig, &sl) != SY_OK) {
    cli_err("the QR text carries no label signature (k= and s= parameters)");
    return CLI_FAIL;
  }
  char kidhex[2 * SY_LABEL_KID_LEN + 1];
  sy_hex_encode(kidhex, kid, SY_LABEL_KID_LEN);
  if (sy_crypto_init()) {
    cli_err("cannot initialise the crypto library");
    return CLI_FAIL;
  }
  const sy_suite *suite = sy_suite_default();
  uint8_t pk[SY_PK_MAX];
  size_t pk_len = 0;
  char who[300] = "";
  int rc = CLI_FAIL;
  if (o->key) {
    int r = sy_keystore_public(o->key, &suite, pk, &pk_len);
    if (r) {
      cli_err("cannot read the public key in %s: %s", o->key, sy_strerror(r));
      return CLI_FAIL;
    }
    snprintf(who, sizeof who, "%s", o->key);
  } else {
    /* the member registry: a saved copy (offline) or the node's */
    cJSON *j = NULL;
    if (o->members) {
      uint8_t *buf = NULL;
      size_t len = 0;
      if (cli_read_file(o->members, FILE_MAX, &buf, &len)) {
        cli_err("cannot read %s: %s", o->members, strerror(errno));
        return CLI_FAIL;
      }
      j = cJSON_ParseWithLength((const char *)buf, len);
      free(buf);
    } else {
      sy_http_resp r = {0};
      if ((rc = cli_get(c, "/v1/members", &r))) return rc;
      j = cJSON_ParseWithLength(r.body, r.len);
      sy_http_resp_free(&r);
      rc = CLI_FAIL;
    }
    const cJSON *arr = j ? cJSON_GetObjectItemCaseSensitive(j, "members") : NULL;
    const cJSON *m, *hit = NULL;
    cJSON_ArrayForEach(m, arr) {
      const char *id = jstr(m, "key_id");
      if (id && strncmp(id, kidhex, strlen(kidhex)) == 0) hit = m;
    }
    const char *pkhex = hit ? jstr(hit, "public_key") : NULL;
    if (!arr) {
      cli_err("%s is not a member registry ({\"members\": [...]})",
              o->members ? o->members : "the node's /v1/members answer");
    } else if (!hit) {
      cli_err("no member key with id %s... in the registry: not signed by a member of this chain",
              kidhex);
    } else if (!pkhex || strlen(pkhex) != 2 * suite->pk_len ||
               sy_hex_decode(pk, suite->pk_len, pkhex, strlen(pkhex)) != SY_OK) {
      cli_err("the registry entry of %s has no usable public key", kidhex);
    } else {
      pk_len = suite->pk_len;
      const char *org = jstr(hit, "org"), *name = jstr(hit, "name");
      const cJSON *rv = cJSON_GetObjectItemCaseSensitive(hit, "revoked");
      snprintf(who, sizeof who, "member %.32s (%s%s%s)%s", jstr(hit, "key_id"), org ? org : "?",
               name ? ", " : "", name ? name : "", cJSON_IsTrue(rv) ? " — revoked since" : "");
      if (cJSON_IsTrue(rv)) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(hit, "revoked_height");
        size_t n = strlen(who);
        snprintf(who + n, sizeof who - n, " height %.0f", cJSON_IsNumber(h) ? h->valuedouble : 0);
      }
    }
    cJSON_Delete(j);
    if (!pk_len) return CLI_FAIL;
  }
  char err[256];
  int r = sy_label_verify_qr(text, suite, pk, pk_len, err, sizeof err);
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", r == SY_OK);
    char *u = strndup(text, ul);
    if (u) cJSON_AddStringToObject(j, "uri", u);
    free(u);
    cJSON_AddStringToObject(j, "key_id_prefix", kidhex);
    if (r == SY_OK) cJSON_AddStringToObject(j, "signed_by", who);
    char *t = cJSON_PrintUnformatted(j);
    if (t) printf("%s\n", t);
    free(t);
    cJSON_Delete(j);
  } else if (r == SY_OK) {
    printf("signature: OK\nsigned by: %s\nuri: %.*s\n", who, (int)ul, text);
  }
  if (r == SY_OK)
    rc = CLI_OK;
  else
    cli_err("signature: FAILED — %s", err);
  return rc;
}

/* ---- the command ---------------------------------------------------------------------------- */

int cli_cmd_label(cli *c, int argc, char **argv) {
  static const struct option lopts[] = {{"format", required_argument, NULL, 'f'},
                                        {"out", required_argument, NULL, 'o'},
                                        {"out-dir", required_argument, NULL, OPT_OUT_DIR},
                                        {"customer", required_argument, NULL, OPT_CUSTOMER},
                                        {"name", required_argument, NULL, OPT_NAME},
                                        {"model", required_argument, NULL, OPT_MODEL},
                                        {"date", required_argument, NULL, OPT_DATE},
                                        {"inspection", required_argument, NULL, OPT_INSPECTION},
                                        {"web", required_argument, NULL, OPT_WEB},
                                        {"tel", required_argument, NULL, OPT_TEL},
                                        {"sms", required_argument, NULL, OPT_SMS},
                                        {"base-url", required_argument, NULL, OPT_BASE_URL},
                                        {"gtin", required_argument, NULL, OPT_GTIN},
                                        {"lot", required_argument, NULL, OPT_LOT},
                                        {"serials", required_argument, NULL, OPT_SERIALS},
                                        {"serials-file", required_argument, NULL, OPT_SERIALS_FILE},
                                        {"codes", required_argument, NULL, OPT_CODES},
                                        {"sign-key", required_argument, NULL, OPT_SIGN_KEY},
                                        {"offline", no_argument, NULL, OPT_OFFLINE},
                                        {"jobs", required_argument, NULL, OPT_JOBS},
                                        {"key", required_argument, NULL, OPT_KEY},
                                        {"members", required_argument, NULL, OPT_MEMBERS},
                                        CLI_COMMON_OPTIONS};
  opts o;
  memset(&o, 0, sizeof o);
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hf:o:", lopts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(LABEL_HELP);
      case 'f':
        o.format = optarg;
        break;
      case 'o':
        o.out = optarg;
        break;
      case OPT_OUT_DIR:
        o.out_dir = optarg;
        break;
      case OPT_CUSTOMER:
        o.customer = optarg;
        break;
      case OPT_NAME:
        o.name = optarg;
        break;
      case OPT_MODEL:
        o.model = optarg;
        break;
      case OPT_DATE:
        o.date = optarg;
        break;
      case OPT_INSPECTION:
        o.inspection = optarg;
        break;
      case OPT_WEB:
        o.web = optarg;
        break;
      case OPT_TEL:
        o.tel = optarg;
        break;
      case OPT_SMS:
        o.sms = optarg;
        break;
      case OPT_BASE_URL:
        o.base_url = optarg;
        break;
      case OPT_GTIN:
        o.gtin = optarg;
        break;
      case OPT_LOT:
        o.lot = optarg;
        break;
      case OPT_SERIALS:
        o.serials = optarg;
        break;
      case OPT_SERIALS_FILE:
        o.serials_file = optarg;
        break;
      case OPT_CODES:
        o.codes = optarg;
        break;
      case OPT_SIGN_KEY:
        o.sign_key = optarg;
        break;
      case OPT_OFFLINE:
        o.offline = 1;
        break;
      case OPT_KEY:
        o.key = optarg;
        break;
      case OPT_MEMBERS:
        o.members = optarg;
        break;
      case OPT_JOBS: {
        uint64_t j;
        if (cli_parse_u64(optarg, &j) || j == 0 || j > 64) {
          cli_err("--jobs wants a number from 1 to 64, not '%s'", optarg);
          return cli_usage(c, LABEL_USAGE);
        }
        o.jobs = (long)j;
        break;
      }
      default:
        return cli_usage(c, LABEL_USAGE);
    }
  }
  int npos = argc - optind;
  if (npos >= 1 && strcmp(argv[optind], "verify") == 0) {
    if (npos != 2) {
      cli_err(npos < 2 ? "verify wants the QR code's text" : "too many arguments");
      return cli_usage(c, LABEL_USAGE);
    }
    if (o.key && o.members) {
      cli_err("--key and --members contradict each other");
      return cli_usage(c, LABEL_USAGE);
    }
    return run_verify(c, &o, argv[optind + 1]);
  }
  if (o.key || o.members) {
    cli_err("--key and --members belong to 'label verify'");
    return cli_usage(c, LABEL_USAGE);
  }
  int batch_mode = o.gtin != NULL;
  if (batch_mode) {
    if (npos) {
      cli_err("a batch (--gtin) takes no identifier argument");
      return cli_usage(c, LABEL_USAGE);
    }
    if (!o.out_dir || o.out) {
      cli_err("a batch writes into --out-dir DIR (not --out)");
      return cli_usage(c, LABEL_USAGE);
    }
    if (!!o.serials + !!o.serials_file > 1 || (!o.serials && !o.serials_file && !o.codes)) {
      cli_err("a batch wants one of --serials, --serials-file (or the serials of --codes)");
      return cli_usage(c, LABEL_USAGE);
    }
  } else {
    if (npos != 1) {
      cli_err(npos ? "too many arguments" : "missing the identifier (or --gtin for a batch)");
      return cli_usage(c, LABEL_USAGE);
    }
    if (!o.out || o.out_dir || o.lot || o.serials || o.serials_file) {
      cli_err(!o.out ? "missing --out FILE"
                     : "--out-dir, --lot, --serials and --serials-file are for a batch (--gtin)");
      return cli_usage(c, LABEL_USAGE);
    }
  }
  const char *fmtname = o.format;
  if (!fmtname && o.out) { /* from the extension */
    const char *dot = strrchr(o.out, '.');
    if (dot && sy_label_format_parse(dot + 1) >= 0) fmtname = dot + 1;
  }
  int fmt = sy_label_format_parse(fmtname ? fmtname : "png");
  if (fmt < 0) {
    cli_err("--format wants svg, png or pdf, not '%s'", fmtname);
    return cli_usage(c, LABEL_USAGE);
  }
  if (o.base_url && strncmp(o.base_url, "http://", 7) != 0 &&
      strncmp(o.base_url, "https://", 8) != 0) {
    cli_err("--base-url wants an http:// or https:// URL");
    return cli_usage(c, LABEL_USAGE);
  }
  sy_key *key = NULL;
  if (o.sign_key) {
    if (sy_crypto_init()) {
      cli_err("cannot initialise the crypto library");
      return CLI_FAIL;
    }
    int r = cli_load_key(c, o.sign_key, &key);
    if (r) return r;
  }
  int rc = batch_mode ? run_batch(c, &o, fmt, key) : run_one(c, &o, argv[optind], fmt, key);
  sy_key_free(key);
  sy_label_cleanup(); /* every rendering thread has been joined */
  return rc;
}
