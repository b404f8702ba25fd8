/* Label rendering (label.h, docs/labels.md; SPEC C2, C3, C4, I7).
 *
 * One drawing routine in millimetres, three cairo surfaces: SVG (document
 * unit mm, so user space is mm), PDF (points, scaled) and an RGB image at
 * SY_LABEL_PNG_DPI written as PNG. The QR matrix comes from libqrencode and
 * is drawn as filled runs of modules; on the PNG its module size is a whole
 * number of pixels so a scanner sees crisp edges.
 *
 * Layout of the 60 x 40 mm label (mm; origin top left):
 *
 *   +--------------------------------------------------------------+
 *   | +-----------+  Customer (bold)                               |
 *   | |           |  品名 Product     value                          |
 *   | |    QR     |  型号 Model       value                          |
 *   | | (23 mm,   |  批号 Lot         value                          |
 *   | | quiet zone|  生产日期 Date     value                          |
 *   | | included) |  检验 Inspection  value                          |
 *   | |           |  +- 防伪码 Verification code - scratch here --+  |
 *   | +-----------+  |            [ code or blank ]               |  |
 *   | (01)06901234000016(10)LOT(21)0001        human readable      |
 *   | ------------------------------------------------------------ |
 *   | 查询 Web   https://...                                        |
 *   | 电话 Tel   400...           短信 SMS  106...                   |
 *   | 扫码查询产品溯源信息 Scan to trace this product                   |
 *   +--------------------------------------------------------------+
 *
 * Fonts: WenQuanYi Micro Hei (CJK and Latin) for text, DejaVu Sans Mono for
 * codes, through cairo's font selection (fontconfig). */
#include "label/label.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <dlfcn.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sy_error.h"

#define FONT_TEXT "WenQuanYi Micro Hei"
#define FONT_CODE "DejaVu Sans Mono"
#define QR_MAX_BYTES 2953 /* version 40-L in 8-bit mode: longer never fits */

#define W_MM ((double)SY_LABEL_WIDTH_MM)
#define H_MM ((double)SY_LABEL_HEIGHT_MM)
#define MARGIN 1.5
#define QR_SIDE 23.0 /* QR area including its 4-module quiet zone */
#define COL_X (MARGIN + QR_SIDE + 1.0)
#define COL_W (W_MM - MARGIN - COL_X)
#define CAPTION_W 11.6

static void seterr(char *err, size_t errlen, const char *fmt, const char *a, long b) {
  if (err && errlen) snprintf(err, errlen, fmt, a, b);
}

/* ---- text checks ------------------------------------------------------------ */

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF) with
 * no C0/C1 control characters. Returns the byte offset of the first bad
 * byte, or -1 when s is clean. */
static long bad_text_at(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (p[i]) {
    unsigned c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return (long)i;
      i++;
      continue;
    }
    size_t n;
    unsigned cp, min;
    if (c >= 0xc2 && c <= 0xdf)
      n = 1, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
      n = 2, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
      n = 3, cp = c & 0x07, min = 0x10000;
    else
      return (long)i;
    for (size_t k = 1; k <= n; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return (long)i;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return (long)i;
    if (cp >= 0x80 && cp <= 0x9f) return (long)i; /* C1 controls */
    i += n + 1;
  }
  return -1;
}

static int check_field(const char *name, const char *v, char *err, size_t errlen) {
  if (!v) return SY_OK;
  size_t n = strlen(v);
  if (n > SY_LABEL_TEXT_MAX) {
    seterr(err, errlen, "%s is too long (%ld bytes; at most 1024)", name, (long)n);
    return SY_EINVAL;
  }
  long at = bad_text_at(v);
  if (at >= 0) {
    seterr(err, errlen, "%s is not valid UTF-8 text (bad byte or control character at offset %ld)",
           name, at);
    return SY_EINVAL;
  }
  return SY_OK;
}

static int nonempty(const char *s) {
  return s && *s;
}

/* ---- QR --------------------------------------------------------------------- */

static QRcode *qr_encode(const char *text) {
  /* 8-bit hint with case kept: libqrencode still picks numeric and
   * alphanumeric segments where they are shorter. */
  return QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
}

int sy_label_qr_version(const char *qr_text) {
  if (!qr_text || !*qr_text || strlen(qr_text) > QR_MAX_BYTES) return -1;
  QRcode *q = qr_encode(qr_text);
  if (!q) return -1;
  int v = q->version;
  QRcode_free(q);
  return v;
}

/* Grey level l (0 black .. 1 white). The PNG is drawn on an A8 surface,
 * which cairo writes as an 8-bit greyscale PNG (a third of the RGB data to
 * composite and compress; what label printers want): there alpha is the
 * grey level and every paint uses OPERATOR_SOURCE (set in
 * sy_label_render), so antialiased edges still blend with the paper. */
static void ink(cairo_t *cr, double l) {
  if (cairo_surface_get_type(cairo_get_target(cr)) == CAIRO_SURFACE_TYPE_IMAGE)
    cairo_set_source_rgba(cr, 0, 0, 0, l);
  else
    cairo_set_source_rgb(cr, l, l, l);
}

/* Draws q inside the square (x, y, side) with a 4-module quiet zone; px_per_mm
 * > 0 snaps modules to whole device pixels. Rows become runs of dark modules,
 * one rectangle each, filled in one go. */
static void draw_qr(cairo_t *cr, const QRcode *q, double x, double y, double side,
                    double px_per_mm) {
  int n = q->width + 8;
  double m = side / n;
  if (px_per_mm > 0) {
    double mpx = (double)(int)(side * px_per_mm / n);
    if (mpx < 1) mpx = 1;
    m = mpx / px_per_mm;
  }
  double used = m * n;
  double ox = x + (side - used) / 2, oy = y + (side - used) / 2;
  if (px_per_mm > 0) {
    ox = (double)(long)(ox * px_per_mm + 0.5) / px_per_mm;
    oy = (double)(long)(oy * px_per_mm + 0.5) / px_per_mm;
  }
  cairo_save(cr);
  ink(cr, 1); /* the quiet zone stays white */
  cairo_rectangle(cr, ox, oy, used, used);
  cairo_fill(cr);
  ink(cr, 0);
  if (px_per_mm > 0) cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  for (int r = 0; r < q->width; r++) {
    const unsigned char *row = q->data + (size_t)r * (size_t)q->width;
    int c = 0;
    while (c < q->width) {
      if (!(row[c] & 1)) {
        c++;
        continue;
      }
      int start = c;
      while (c < q->width && (row[c] & 1)) c++;
      cairo_rectangle(cr, ox + (4 + start) * m, oy + (4 + r) * m, (c - start) * m, m);
    }
  }
  cairo_fill(cr);
  cairo_restore(cr);
}

/* ---- text --------------------------------------------------------------------- */

static void font(cairo_t *cr, const char *face, int bold, double size) {
  cairo_select_font_face(cr, face, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

static double advance(cairo_t *cr, const char *s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  /* the ink may pass the advance (italic overhang): take the wider */
  double w = e.x_advance;
  if (e.x_bearing + e.width > w) w = e.x_bearing + e.width;
  return w;
}

/* Draws s with its baseline at (x, y) in at most maxw mm: first at size,
 * then smaller down to min_size, then cut on a character boundary with
 * "…". align: 0 left, 1 centre (x is the centre). Returns the width drawn. */
static double fit_text(cairo_t *cr, const char *face, int bold, double size, double min_size,
                       double x, double y, double maxw, const char *s, int align) {
  if (!s || !*s || maxw <= 0) return 0;
  font(cr, face, bold, size);
  double w = advance(cr, s);
  if (w > maxw) {
    double scaled = size * maxw / w;
    if (scaled < min_size) scaled = min_size;
    font(cr, face, bold, scaled);
    w = advance(cr, s);
  }
  char *buf = NULL;
  const char *draw = s;
  if (w > maxw) {
    /* binary search for the longest prefix (in whole characters) that
     * fits with "…" after it; n <= SY_LABEL_TEXT_MAX */
    size_t n = strlen(s);
    buf = malloc(n + 4);
    if (!buf) return 0;
    size_t cuts[SY_LABEL_TEXT_MAX + 1], ncuts = 0; /* character starts, and n */
    for (size_t i = 0; i <= n && ncuts < SY_LABEL_TEXT_MAX + 1; i++)
      if (i == n || ((unsigned char)s[i] & 0xc0) != 0x80) cuts[ncuts++] = i;
    size_t lo = 0, hi = ncuts - 1; /* cuts[lo] fits (0 is "…" alone, checked below) */
    while (lo < hi) {
      size_t mid = (lo + hi + 1) / 2;
      memcpy(buf, s, cuts[mid]);
      memcpy(buf + cuts[mid], "\xe2\x80\xa6", 4); /* U+2026 … */
      if (advance(cr, buf) <= maxw)
        lo = mid;
      else
        hi = mid - 1;
    }
    size_t keep = cuts[lo];
    while (keep > 0 && s[keep - 1] == ' ') keep--;
    memcpy(buf, s, keep);
    memcpy(buf + keep, "\xe2\x80\xa6", 4);
    draw = buf;
    w = advance(cr, buf);
    if (w > maxw) { /* not even "…" fits */
      free(buf);
      return 0;
    }
  }
  cairo_move_to(cr, align == 1 ? x - w / 2 : x, y);
  cairo_show_text(cr, draw);
  free(buf);
  return w;
}

static const char *inspection_text(const char *v, char *buf, size_t size) {
  /* CBV 2.0 dispositions of an inspection (SPEC I6) in both languages */
  if (strcmp(v, "conformant") == 0) return "合格 Conformant";
  if (strcmp(v, "non_conformant") == 0) return "不合格 Non-conformant";
  if (strcmp(v, "recalled") == 0) return "召回 Recalled";
  snprintf(buf, size, "%s", v);
  return buf;
}

/* ---- the drawing ------------------------------------------------------------- */

static void draw_label(cairo_t *cr, const sy_label_fields *f, const QRcode *q, double px_per_mm) {
  ink(cr, 1);
  cairo_rectangle(cr, 0, 0, W_MM, H_MM);
  cairo_fill(cr);

  draw_qr(cr, q, MARGIN, MARGIN, QR_SIDE, px_per_mm);

  /* I7: customer, then the fields with bilingual captions */
  double y = 4.4;
  ink(cr, 0);
  if (nonempty(f->customer)) {
    fit_text(cr, FONT_TEXT, 1, 2.5, 1.8, COL_X, y, COL_W, f->customer, 0);
    y += 3.1;
  } else {
    y += 0.4;
  }
  char insp[SY_LABEL_TEXT_MAX + 1];
  const struct {
    const char *caption;
    const char *value;
  } rows[] = {
      {"品名 Product", f->product_name},
      {"型号 Model", f->model},
      {"批号 Lot", f->lot},
      {"生产日期 Date", f->production_date},
      {"检验 Inspection",
       nonempty(f->inspection) ? inspection_text(f->inspection, insp, sizeof insp) : NULL},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    if (!nonempty(rows[i].value)) continue;
    ink(cr, 0.33);
    fit_text(cr, FONT_TEXT, 0, 1.45, 1.1, COL_X, y, CAPTION_W - 0.3, rows[i].caption, 0);
    ink(cr, 0);
    fit_text(cr, FONT_TEXT, 1, 2.0, 1.5, COL_X + CAPTION_W, y, COL_W - CAPTION_W, rows[i].value, 0);
    y += 2.75;
  }

  /* C4: the anti-counterfeit panel, always at the same place */
  double py = 19.6, ph = 6.0;
  cairo_set_line_width(cr, 0.2);
  ink(cr, 0);
  double dash[] = {0.6, 0.4};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_rectangle(cr, COL_X, py, COL_W, ph);
  cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);
  fit_text(cr, FONT_TEXT, 0, 1.3, 1.0, COL_X + COL_W / 2, py + 1.75, COL_W - 1.0,
           "防伪码 Verification code — scratch here", 1);
  double bx = COL_X + 1.2, by = py + 2.4, bw = COL_W - 2.4, bh = ph - 3.0;
  cairo_rectangle(cr, bx, by, bw, bh);
  if (nonempty(f->ac_code)) {
    ink(cr, 0.86);
    cairo_fill(cr);
    ink(cr, 0);
    fit_text(cr, FONT_CODE, 1, 2.4, 1.3, bx + bw / 2, by + bh / 2 + 0.85, bw - 1.0, f->ac_code, 1);
  } else {
    cairo_set_line_width(cr, 0.15);
    cairo_stroke(cr);
  }

  /* the human readable interpretation under the QR code */
  ink(cr, 0);
  if (nonempty(f->human_readable))
    fit_text(cr, FONT_CODE, 0, 2.0, 1.3, MARGIN, 28.1, W_MM - 2 * MARGIN, f->human_readable, 0);

  cairo_set_line_width(cr, 0.15);
  cairo_move_to(cr, MARGIN, 29.3);
  cairo_line_to(cr, W_MM - MARGIN, 29.3);
  cairo_stroke(cr);

  /* C3: the query channels */
  const double cap_w = 10.0;
  y = 32.0;
  if (nonempty(f->web)) {
    ink(cr, 0.33);
    fit_text(cr, FONT_TEXT, 0, 1.45, 1.1, MARGIN, y, cap_w - 0.3, "查询 Web", 0);
    ink(cr, 0);
    fit_text(cr, FONT_TEXT, 0, 1.8, 1.2, MARGIN + cap_w, y, W_MM - 2 * MARGIN - cap_w, f->web, 0);
    y += 2.7;
  }
  if (nonempty(f->tel) || nonempty(f->sms)) {
    double half = (W_MM - 2 * MARGIN) / 2;
    double x = MARGIN;
    if (nonempty(f->tel)) {
      ink(cr, 0.33);
      fit_text(cr, FONT_TEXT, 0, 1.45, 1.1, x, y, cap_w - 0.3, "电话 Tel", 0);
      ink(cr, 0);
      fit_text(cr, FONT_TEXT, 0, 1.8, 1.2, x + cap_w, y, half - cap_w - 0.5, f->tel, 0);
      x += half;
    }
    if (nonempty(f->sms)) {
      ink(cr, 0.33);
      fit_text(cr, FONT_TEXT, 0, 1.45, 1.1, x, y, cap_w - 0.3, "短信 SMS", 0);
      ink(cr, 0);
      fit_text(cr, FONT_TEXT, 0, 1.8, 1.2, x + cap_w, y, half - cap_w - 0.5, f->sms, 0);
    }
    y += 2.7;
  }
  ink(cr, 0.33);
  fit_text(cr, FONT_TEXT, 0, 1.35, 1.0, MARGIN, y < 37.6 ? 37.6 : y, W_MM - 2 * MARGIN,
           "扫码查询产品全程溯源信息 Scan the QR code to trace this product", 0);
}

/* ---- surfaces ------------------------------------------------------------------ */

static cairo_status_t write_buf(void *closure, const unsigned char *data, unsigned int len) {
  sy_buf *b = closure;
  sy_buf_put(b, data, len);
  return b->err ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static void xml_escape(sy_buf *b, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
      case '&':
        sy_buf_put(b, "&amp;", 5);
        break;
      case '<':
        sy_buf_put(b, "&lt;", 4);
        break;
      case '>':
        sy_buf_put(b, "&gt;", 4);
        break;
      case '"':
        sy_buf_put(b, "&quot;", 6);
        break;
      default:
        sy_buf_put(b, s, 1);
    }
  }
}

static void desc_line(sy_buf *b, const char *caption, const char *v) {
  if (!nonempty(v)) return;
  sy_buf_put(b, caption, strlen(caption));
  sy_buf_put(b, ": ", 2);
  xml_escape(b, v);
  sy_buf_put(b, "\n", 1);
}

/* Replaces out->p[at, at+del) with ins[0..n). */
static int splice(sy_buf *out, size_t at, size_t del, const void *ins, size_t n) {
  size_t tail = out->len - at - del;
  if (n > del) {
    size_t grow = n - del;
    sy_buf_put(out, ins, grow); /* make room; the bytes are overwritten below */
    if (out->err) return SY_ENOMEM;
    memmove(out->p + at + n, out->p + at + del, tail);
  } else {
    memmove(out->p + at + n, out->p + at + del, tail);
    out->len -= del - n;
  }
  memcpy(out->p + at, ins, n);
  return SY_OK;
}

/* cairo's SVG draws text as glyph outlines; a <title> and <desc> carry the
 * label's text for screen readers, search and tests. The secret
 * anti-counterfeit code is not repeated there. */
static int svg_add_text(sy_buf *out, size_t start, const sy_label_fields *f) {
  const char *doc = (const char *)out->p + start;
  size_t len = out->len - start;
  const char *svg = memmem(doc, len, "<svg", 4);
  const char *gt = svg ? memchr(svg, '>', len - (size_t)(svg - doc)) : NULL;
  if (!gt) return SY_EIO;
  size_t at = (size_t)(gt + 1 - (const char *)out->p);
  sy_buf ins = {0};
  sy_buf_put(&ins, "\n<title>", 8);
  xml_escape(&ins, nonempty(f->product_name) ? f->product_name : "Product label");
  sy_buf_put(&ins, "</title>\n<desc>", 15);
  desc_line(&ins, "Customer 客户", f->customer);
  desc_line(&ins, "Product 品名", f->product_name);
  desc_line(&ins, "Model 型号", f->model);
  desc_line(&ins, "Lot 批号", f->lot);
  desc_line(&ins, "Production date 生产日期", f->production_date);
  desc_line(&ins, "Inspection 检验", f->inspection);
  desc_line(&ins, "Code 编码", f->human_readable);
  desc_line(&ins, "QR", f->qr_text);
  desc_line(&ins, "Web 查询", f->web);
  desc_line(&ins, "Tel 电话", f->tel);
  desc_line(&ins, "SMS 短信", f->sms);
  sy_buf_put(&ins, "</desc>", 7);
  if (ins.err) {
    sy_buf_free(&ins);
    return SY_ENOMEM;
  }
  int rc = splice(out, at, 0, ins.p, ins.len);
  sy_buf_free(&ins);
  if (rc) return rc;
  /* cairo numbers its surfaces with a process-wide counter ("surface17"):
   * name the drawing's group the same in every document */
  doc = (const char *)out->p + start;
  len = out->len - start;
  const char *g = memmem(doc, len, "<g id=\"surface", 14);
  if (g) {
    const char *q = g + 14;
    while (q < doc + len && *q >= '0' && *q <= '9') q++;
    size_t from = (size_t)(g + 7 - (const char *)out->p);
    rc = splice(out, from, (size_t)(q - (g + 7)), "label", 5);
  }
  return rc;
}

static void pdf_metadata(cairo_surface_t *s, const sy_label_fields *f) {
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                 nonempty(f->product_name) ? f->product_name : "Product label");
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Suyuan");
  if (nonempty(f->customer))
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR, f->customer);
  /* reproducible builds: https://reproducible-builds.org/specs/source-date-epoch/ */
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  if (sde && *sde) {
    char *end;
    long long t = strtoll(sde, &end, 10);
    struct tm tm;
    time_t tt = (time_t)t;
    char date[32];
    if (!*end && t >= 0 && gmtime_r(&tt, &tm) &&
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
      cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date);
    }
  }
}

int sy_label_render(const sy_label_fields *f, sy_label_format fmt, sy_buf *out, char *err,
                    size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!f || !out || (fmt != SY_LABEL_SVG && fmt != SY_LABEL_PNG && fmt != SY_LABEL_PDF)) {
    if (err && errlen) snprintf(err, errlen, "invalid arguments");
    return SY_EINVAL;
  }
  if (!nonempty(f->qr_text)) {
    if (err && errlen) snprintf(err, errlen, "the QR code text is missing");
    return SY_EINVAL;
  }
  const struct {
    const char *name;
    const char *v;
  } fields[] = {{"customer", f->customer},
                {"product name", f->product_name},
                {"model", f->model},
                {"lot", f->lot},
                {"production date", f->production_date},
                {"inspection", f->inspection},
                {"QR text", f->qr_text},
                {"human readable code", f->human_readable},
                {"web address", f->web},
                {"telephone", f->tel},
                {"SMS number", f->sms},
                {"anti-counterfeit code", f->ac_code}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    int rc = check_field(fields[i].name, fields[i].v, err, errlen);
    if (rc) return rc;
  }
  size_t qlen = strlen(f->qr_text);
  QRcode *q = qlen <= QR_MAX_BYTES ? qr_encode(f->qr_text) : NULL;
  if (!q || q->version > SY_LABEL_QR_MAX_VERSION) {
    if (err && errlen)
      snprintf(err, errlen,
               "the QR code text is too long (%zu bytes%s): at most QR version %d fits the "
               "label legibly",
               qlen, q ? "" : ", more than any QR code holds", SY_LABEL_QR_MAX_VERSION);
    QRcode_free(q);
    return SY_EINVAL;
  }

  if (out->err) {
    QRcode_free(q);
    return SY_ENOMEM;
  }
  size_t start = out->len;
  cairo_surface_t *s = NULL;
  double scale = 1, px_per_mm = 0;
  switch (fmt) {
    case SY_LABEL_SVG:
      s = cairo_svg_surface_create_for_stream(write_buf, out, W_MM, H_MM);
      if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
        cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_MM);
      }
      break;
    case SY_LABEL_PDF:
      scale = 72.0 / 25.4;
      s = cairo_pdf_surface_create_for_stream(write_buf, out, W_MM * scale, H_MM * scale);
      if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) pdf_metadata(s, f);
      break;
    case SY_LABEL_PNG:
      scale = px_per_mm = SY_LABEL_PNG_DPI / 25.4;
      s = cairo_image_surface_create(CAIRO_FORMAT_A8, SY_LABEL_PNG_WIDTH, SY_LABEL_PNG_HEIGHT);
      break;
  }
  int rc = SY_OK;
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    rc = cairo_surface_status(s) == CAIRO_STATUS_NO_MEMORY ? SY_ENOMEM : SY_EIO;
    goto undo_surface;
  }
  cairo_t *cr = cairo_create(s);
  cairo_scale(cr, scale, scale);
  if (fmt == SY_LABEL_PNG) cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
  draw_label(cr, f, q, px_per_mm);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st == CAIRO_STATUS_SUCCESS && fmt == SY_LABEL_PNG) {
    cairo_surface_flush(s);
    st = cairo_surface_write_to_png_stream(s, write_buf, out);
  }
  cairo_surface_finish(s); /* SVG and PDF are written here */
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(s);
  if (st != CAIRO_STATUS_SUCCESS || out->err) {
    rc = (st == CAIRO_STATUS_NO_MEMORY || out->err == SY_ENOMEM) ? SY_ENOMEM : SY_EIO;
    if (err && errlen) snprintf(err, errlen, "cairo: %s", cairo_status_to_string(st));
    goto undo_surface;
  }
  if (fmt == SY_LABEL_SVG) rc = svg_add_text(out, start, f);
undo_surface:
  cairo_surface_destroy(s);
  QRcode_free(q);
  if (rc) {
    out->len = start; /* a failed call leaves out as it was */
    if (out->err == SY_ENOMEM) out->err = SY_OK;
    if (err && errlen && !err[0]) snprintf(err, errlen, "%s", sy_strerror(rc));
  }
  return rc;
}

void sy_label_cleanup(void) {
  cairo_debug_reset_static_data();
  /* fontconfig (loaded with cairo, not linked by us) keeps its parsed
   * configuration until FcFini */
  void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
  if (fc_fini) fc_fini();
}

int sy_label_format_parse(const char *s) {
  if (!s) return -1;
  if (strcmp(s, "svg") == 0) return SY_LABEL_SVG;
  if (strcmp(s, "png") == 0) return SY_LABEL_PNG;
  if (strcmp(s, "pdf") == 0) return SY_LABEL_PDF;
  return -1;
}

const char *sy_label_media_type(sy_label_format fmt) {
  return fmt == SY_LABEL_PNG   ? "image/png"
         : fmt == SY_LABEL_PDF ? "application/pdf"
                               : "image/svg+xml";
}
