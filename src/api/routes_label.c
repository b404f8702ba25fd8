/* GET /v1/label?id=ID&format=svg|png|pdf[&name=..][&model=..][&customer=..]
 * (issue 5 part 4; SPEC C2, C3, I7; docs/labels.md, docs/http-api.md).
 *
 * The label of one product as the chain knows it: the I7 fields from
 * sy_product_lookup, a QR code holding the product's GS1 Digital Link URI on
 * this node's public URL (which the node itself resolves), the element
 * string as the human readable code, and the brand's query channels. The
 * node never knows the secret anti-counterfeit codes, so its labels carry a
 * blank panel; brands print coded labels with `suyuan label --codes`.
 * name, model and customer override what the chain says (a brand's own
 * wording on the label). */
#define SY_API_INTERNAL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/product.h"
#include "core/sy_error.h"
#include "ident/ident.h"
#include "label/label.h"

#define ID_MAX 512
#define OVERRIDE_MAX 256

enum { P_ID, P_FORMAT, P_NAME, P_MODEL, P_CUSTOMER, P_COUNT };
static const char *const PARAMS[P_COUNT] = {"id", "format", "name", "model", "customer"};

typedef struct params {
  char *v[P_COUNT]; /* malloc'd, NUL-terminated; NULL when absent */
  char err[160];
} params;

static void params_free(params *p) {
  for (int i = 0; i < P_COUNT; i++) free(p->v[i]);
}

static int param_each(void *arg, const char *key, size_t key_len, const char *val, size_t val_len) {
  params *p = arg;
  for (int i = 0; i < P_COUNT; i++) {
    if (strlen(PARAMS[i]) != key_len || memcmp(PARAMS[i], key, key_len) != 0) continue;
    if (p->v[i]) {
      snprintf(p->err, sizeof p->err, "%s is given twice", PARAMS[i]);
      return 1;
    }
    size_t max = i == P_ID ? ID_MAX : i == P_FORMAT ? 8 : OVERRIDE_MAX;
    if (!val) val_len = 0;
    if (val_len > max) {
      snprintf(p->err, sizeof p->err, "%s is longer than %zu bytes", PARAMS[i], max);
      return 1;
    }
    if (!sy_api_utf8_valid((const uint8_t *)val, val_len)) {
      snprintf(p->err, sizeof p->err, "%s is not valid UTF-8", PARAMS[i]);
      return 1;
    }
    for (size_t k = 0; k < val_len; k++) {
      if ((unsigned char)val[k] < 0x20 || val[k] == 0x7f) {
        snprintf(p->err, sizeof p->err, "%s has a control character", PARAMS[i]);
        return 1;
      }
    }
    p->v[i] = malloc(val_len + 1);
    if (!p->v[i]) {
      snprintf(p->err, sizeof p->err, "out of memory");
      return 2;
    }
    if (val_len) memcpy(p->v[i], val, val_len);
    p->v[i][val_len] = 0;
    return 0;
  }
  char k[3 * 32 + 1];
  sy_api_utf8_clean(k, sizeof k, key, key_len < 32 ? key_len : 32);
  snprintf(p->err, sizeof p->err, "unknown query parameter %s (id, format, name, model, customer)",
           k);
  return 1;
}

/* Ledger text goes on paper: valid UTF-8 already, but a control character
 * (a newline in a product name) is set as a space rather than refused. */
static const char *printable(char *out, size_t size, const char *s) {
  if (!s || !*s) return NULL;
  sy_api_utf8_clean(out, size, s, strlen(s));
  for (char *c = out; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = ' ';
  return out;
}

static const char *pick(const char *override, const char *chain, char *buf, size_t size) {
  if (override && *override) return override;
  return printable(buf, size, chain);
}

void sy_api_label_get(sy_api_router *r, const sy_api_req *rq, sy_api_resp *rs) {
  params p;
  memset(&p, 0, sizeof p);
  int q = rq->query_each ? rq->query_each(rq->query_ctx, param_each, &p) : 0;
  if (q == 2) {
    params_free(&p);
    sy_api_resp_oom(rs);
    return;
  }
  if (q) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "%s", p.err);
    goto undo_params;
  }
  if (!p.v[P_ID] || !*p.v[P_ID]) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path,
                   "id=ID is required (a GS1 Digital Link URI, EPC URN, element string or GTIN, "
                   "percent-encoded)");
    goto undo_params;
  }
  int fmt = sy_label_format_parse(p.v[P_FORMAT] ? p.v[P_FORMAT] : "svg");
  if (fmt < 0) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "format must be svg, png or pdf");
    goto undo_params;
  }
  char err[256];
  sy_gs1 g;
  if (sy_gs1_parse_any(p.v[P_ID], &g, err, sizeof err) != 0) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "id is not a GS1 identifier: %s",
                   err);
    goto undo_params;
  }
  sy_product *pr = calloc(1, sizeof *pr);
  if (!pr) {
    sy_api_resp_oom(rs);
    goto undo_params;
  }
  err[0] = 0;
  int rc = sy_product_lookup(r->ledger, p.v[P_ID], pr, err, sizeof err);
  if (rc == SY_ENOTFOUND) {
    sy_api_problem(r, rs, 404, "not-found", rq->path, "no event on the chain names %s", p.v[P_ID]);
    goto undo_product;
  }
  if (rc == SY_EINVAL) {
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "id is not valid: %s", err);
    goto undo_product;
  }
  if (rc) {
    sy_api_problem_err(r, rs, rc, rq->path, "product lookup");
    goto undo_product;
  }

  /* The QR code: the product's Digital Link URI on this node's public URL
   * (sy_api_dl_get resolves it: the trace page for a phone's browser). */
  const sy_gs1 *key = pr->key.n ? &pr->key : &g;
  const char *base = sy_api_public_url(r);
  char dl[1024], hri[512];
  if (sy_gs1_to_dl(key, base, dl, sizeof dl) != 0 ||
      sy_gs1_to_element_string(key, hri, sizeof hri) != 0) {
    sy_api_problem(r, rs, 500, "internal-error", rq->path,
                   "cannot write the product's Digital Link");
    goto undo_product;
  }
  char b_cust[3 * 257 + 1], b_name[3 * 129 + 1], b_model[3 * 65 + 1], b_lot[3 * 21 + 1];
  char b_date[3 * 11 + 1], b_insp[3 * 32 + 1], b_web[3 * 257 + 1], b_tel[3 * 33 + 1],
      b_sms[3 * 33 + 1];
  sy_label_fields f = {0};
  f.customer = pick(p.v[P_CUSTOMER], pr->brand_name[0] ? pr->brand_name : pr->brand_org, b_cust,
                    sizeof b_cust);
  f.product_name = pick(p.v[P_NAME], pr->product_name, b_name, sizeof b_name);
  f.model = pick(p.v[P_MODEL], pr->model, b_model, sizeof b_model);
  f.lot = printable(b_lot, sizeof b_lot, pr->lot);
  f.production_date = printable(b_date, sizeof b_date, pr->production_date);
  f.inspection = printable(b_insp, sizeof b_insp, pr->inspection);
  f.qr_text = dl;
  f.human_readable = hri;
  /* C3: the brand's web address from its registry entry, else the node's
   * own public URL (which serves the trace page) */
  f.web = pick(NULL, pr->web[0] ? pr->web : base, b_web, sizeof b_web);
  f.tel = printable(b_tel, sizeof b_tel, pr->tel);
  f.sms = printable(b_sms, sizeof b_sms, pr->sms);
  f.ac_code = NULL;

  sy_buf out = {0};
  rc = sy_label_render(&f, (sy_label_format)fmt, &out, err, sizeof err);
  if (rc == SY_ENOMEM) {
    sy_buf_free(&out);
    sy_api_resp_oom(rs);
    goto undo_product;
  }
  if (rc == SY_EINVAL) { /* from an override: the ledger's text was cleaned */
    sy_buf_free(&out);
    sy_api_problem(r, rs, 400, "invalid-parameter", rq->path, "cannot print the label: %s", err);
    goto undo_product;
  }
  if (rc) {
    sy_buf_free(&out);
    sy_api_problem(r, rs, 500, "internal-error", rq->path, "the label could not be drawn");
    goto undo_product;
  }
  size_t len = 0;
  rs->body = (char *)sy_buf_take(&out, &len);
  rs->body_len = len;
  rs->status = 200;
  rs->content_type = sy_label_media_type((sy_label_format)fmt);
  static const char *const EXT[] = {"svg", "png", "pdf"};
  sy_api_resp_header(rs, "Content-Disposition", "inline; filename=\"label.%s\"", EXT[fmt]);
  /* the inspection status can change: no stale labels from caches */
  sy_api_resp_header(rs, "Cache-Control", "no-cache");
undo_product:
  free(pr);
undo_params:
  params_free(&p);
}
