/* Product labels (src/label/label.h, docs/labels.md; SPEC C2, C3, C4, I7;
 * issue 5 parts 4 and 8): rendering in the three formats, the checks on
 * text and QR data, determinism, and the signed offline check. The QR code
 * itself is decoded by tests/integration/test_label.sh (zbarimg). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "crypto/suite.h"
#include "label/label.h"
#include "testutil.h"

static const char *DL = "https://trace.example.com/01/06901234000016/10/B2026-07/21/0001";

static sy_label_fields sample(void) {
  sy_label_fields f = {0};
  f.customer = "西湖茶业 West Lake Tea Co. & Sons";
  f.product_name = "龙井绿茶 Longjing green tea";
  f.model = "250 g tin";
  f.lot = "B2026-07";
  f.production_date = "2026-11-20";
  f.inspection = "conformant";
  f.qr_text = DL;
  f.human_readable = "(01)06901234000016(10)B2026-07(21)0001";
  f.web = "https://trace.example.com";
  f.tel = "400-123-4567";
  f.sms = "10690000";
  f.ac_code = NULL;
  return f;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A small XML well-formedness check: balanced, properly nested elements,
 * quoted attributes, no stray '<' or '&'. Enough for cairo's SVG plus our
 * <title>/<desc>. Returns 1 when well formed. */
static int xml_well_formed(const char *s, size_t n) {
  char stack[64][32];
  int depth = 0, roots = 0;
  size_t i = 0;
  while (i < n) {
    if (s[i] == '&') {
      const char *semi = memchr(s + i, ';', n - i);
      if (!semi || semi - (s + i) > 8) return 0;
      i = (size_t)(semi - s) + 1;
      continue;
    }
    if (s[i] != '<') {
      i++;
      continue;
    }
    if (i + 1 < n && s[i + 1] == '?') { /* <?xml ...?> */
      const char *e = strstr(s + i, "?>");
      if (!e) return 0;
      i = (size_t)(e - s) + 2;
      continue;
    }
    if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
      const char *e = strstr(s + i, "-->");
      if (!e) return 0;
      i = (size_t)(e - s) + 3;
      continue;
    }
    int closing = i + 1 < n && s[i + 1] == '/';
    size_t j = i + 1 + (size_t)closing, k = j;
    while (k < n && s[k] != ' ' && s[k] != '>' && s[k] != '/' && s[k] != '\n') k++;
    if (k == j || k - j >= 32) return 0;
    char name[32];
    memcpy(name, s + j, k - j);
    name[k - j] = 0;
    /* to the end of the tag, skipping quoted attribute values */
    char q = 0;
    while (k < n && (q || s[k] != '>')) {
      if (q && s[k] == q)
        q = 0;
      else if (!q && (s[k] == '"' || s[k] == '\''))
        q = s[k];
      else if (!q && s[k] == '<')
        return 0;
      k++;
    }
    if (k >= n) return 0;
    int selfclosing = s[k - 1] == '/';
    if (closing) {
      if (depth == 0 || strcmp(stack[depth - 1], name) != 0) return 0;
      depth--;
    } else if (!selfclosing) {
      if (depth == 0) roots++;
      if (depth == 64) return 0;
      memcpy(stack[depth++], name, sizeof name);
    } else if (depth == 0) {
      roots++;
    }
    i = k + 1;
  }
  return depth == 0 && roots == 1;
}

static int contains(const sy_buf *b, const char *needle) {
  return memmem(b->p, b->len, needle, strlen(needle)) != NULL;
}

static void test_formats(void) {
  sy_label_fields f = sample();
  char err[256];

  /* PNG: signature, IHDR with the print size at 300 dpi, deterministic */
  sy_buf png = {0}, png2 = {0};
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &png, err, sizeof err), SY_OK);
  CHECK(png.len > 1000);
  CHECK(png.len > 24 && memcmp(png.p, "\x89PNG\r\n\x1a\n", 8) == 0);
  CHECK(png.len > 24 && memcmp(png.p + 12, "IHDR", 4) == 0);
  if (png.len > 24) {
    CHECK_EQ(be32(png.p + 16), SY_LABEL_PNG_WIDTH);
    CHECK_EQ(be32(png.p + 20), SY_LABEL_PNG_HEIGHT);
  }
  CHECK_EQ(SY_LABEL_PNG_WIDTH, (int)(SY_LABEL_WIDTH_MM * SY_LABEL_PNG_DPI / 25.4 + 0.5));
  CHECK_EQ(SY_LABEL_PNG_HEIGHT, (int)(SY_LABEL_HEIGHT_MM * SY_LABEL_PNG_DPI / 25.4 + 0.5));
  CHECK(png.len > 8 && memcmp(png.p + png.len - 8, "IEND", 4) == 0);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &png2, err, sizeof err), SY_OK);
  CHECK(png.len == png2.len && memcmp(png.p, png2.p, png.len) == 0);

  /* another field gives another image */
  sy_label_fields g = f;
  g.lot = "B2026-08";
  sy_buf png3 = {0};
  CHECK_EQ(sy_label_render(&g, SY_LABEL_PNG, &png3, err, sizeof err), SY_OK);
  CHECK(png3.len != png.len || memcmp(png.p, png3.p, png.len) != 0);

  /* SVG: well formed, 60 x 40 mm, the fields in its text, deterministic */
  sy_buf svg = {0}, svg2 = {0};
  CHECK_EQ(sy_label_render(&f, SY_LABEL_SVG, &svg, err, sizeof err), SY_OK);
  CHECK(xml_well_formed((const char *)svg.p, svg.len));
  CHECK(contains(&svg, "width=\"60mm\""));
  CHECK(contains(&svg, "height=\"40mm\""));
  CHECK(contains(&svg, "viewBox=\"0 0 60 40\""));
  CHECK(contains(&svg, "<title>龙井绿茶 Longjing green tea</title>"));
  CHECK(contains(&svg, "West Lake Tea Co. &amp; Sons")); /* escaped */
  CHECK(contains(&svg, "250 g tin"));
  CHECK(contains(&svg, "B2026-07"));
  CHECK(contains(&svg, "2026-11-20"));
  CHECK(contains(&svg, "conformant"));
  CHECK(contains(&svg, "(01)06901234000016(10)B2026-07(21)0001"));
  CHECK(contains(&svg, DL));
  CHECK(contains(&svg, "400-123-4567"));
  CHECK(contains(&svg, "10690000"));
  CHECK_EQ(sy_label_render(&f, SY_LABEL_SVG, &svg2, err, sizeof err), SY_OK);
  CHECK(svg.len == svg2.len && memcmp(svg.p, svg2.p, svg.len) == 0);

  /* the anti-counterfeit code is drawn but never written as text */
  sy_label_fields h = f;
  h.ac_code = "7319-2846-5530";
  sy_buf svg3 = {0}, png4 = {0};
  CHECK_EQ(sy_label_render(&h, SY_LABEL_SVG, &svg3, err, sizeof err), SY_OK);
  CHECK(!contains(&svg3, "7319-2846-5530"));
  CHECK(svg3.len != svg.len || memcmp(svg3.p, svg.p, svg.len) != 0); /* drawn: other glyphs */
  CHECK_EQ(sy_label_render(&h, SY_LABEL_PNG, &png4, err, sizeof err), SY_OK);
  CHECK(png4.len != png.len || memcmp(png4.p, png.p, png.len) != 0);

  /* PDF: a complete document of one page; appended after what out held */
  sy_buf pdf = {0};
  sy_buf_put(&pdf, "XY", 2);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PDF, &pdf, err, sizeof err), SY_OK);
  CHECK(pdf.len > 7 && memcmp(pdf.p, "XY%PDF-", 7) == 0);
  CHECK(contains(&pdf, "%%EOF"));
  CHECK(contains(&pdf, "/MediaBox [ 0 0 170.07"));

  /* only qr_text is required */
  sy_label_fields m = {0};
  m.qr_text = "https://example.com/01/09506000134352";
  sy_buf min = {0};
  CHECK_EQ(sy_label_render(&m, SY_LABEL_SVG, &min, err, sizeof err), SY_OK);
  CHECK(xml_well_formed((const char *)min.p, min.len));

  CHECK_EQ(sy_label_format_parse("svg"), SY_LABEL_SVG);
  CHECK_EQ(sy_label_format_parse("png"), SY_LABEL_PNG);
  CHECK_EQ(sy_label_format_parse("pdf"), SY_LABEL_PDF);
  CHECK_EQ(sy_label_format_parse("PNG"), -1);
  CHECK_EQ(sy_label_format_parse("gif"), -1);
  CHECK(strcmp(sy_label_media_type(SY_LABEL_PNG), "image/png") == 0);
  CHECK(strcmp(sy_label_media_type(SY_LABEL_SVG), "image/svg+xml") == 0);
  CHECK(strcmp(sy_label_media_type(SY_LABEL_PDF), "application/pdf") == 0);

  sy_buf_free(&png);
  sy_buf_free(&png2);
  sy_buf_free(&png3);
  sy_buf_free(&png4);
  sy_buf_free(&svg);
  sy_buf_free(&svg2);
  sy_buf_free(&svg3);
  sy_buf_free(&pdf);
  sy_buf_free(&min);
}

static void test_long_text(void) {
  /* long text is cut to fit, in whole characters; a label still renders */
  char name[SY_LABEL_TEXT_MAX + 1];
  size_t n = 0;
  while (n + 3 <= SY_LABEL_TEXT_MAX) { /* 341 x "茶" */
    memcpy(name + n, "\xe8\x8c\xb6", 3);
    n += 3;
  }
  name[n] = 0;
  sy_label_fields f = sample();
  f.product_name = name;
  f.customer = name;
  f.web = "https://a-very-long-host-name-for-a-brand.example.com/and/a/long/path/to/the/page";
  char err[256];
  sy_buf b = {0};
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_OK);
  sy_buf_reset(&b);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_SVG, &b, err, sizeof err), SY_OK);
  CHECK(xml_well_formed((const char *)b.p, b.len));
  sy_buf_free(&b);

  /* past SY_LABEL_TEXT_MAX is refused, naming the field */
  char big[SY_LABEL_TEXT_MAX + 2];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  f.product_name = big;
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "product name") != NULL);
  CHECK_EQ(b.len, 0);
  sy_buf_free(&b);
}

static void test_refusals(void) {
  char err[256];
  sy_buf b = {0};
  sy_label_fields f = sample();
  const char *bad[] = {
      "\xc3\x28",         /* truncated sequence */
      "ab\xc0\xaf",       /* overlong '/' */
      "\xed\xa0\x80",     /* surrogate */
      "\xf4\x90\x80\x80", /* past U+10FFFF */
      "\xff",             /* never valid */
      "line\nbreak",      /* control character */
      "\xc2\x85",         /* C1 control (NEL) */
      "tail\xe8\x8c",     /* cut in a character */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    f = sample();
    f.model = bad[i];
    err[0] = 0;
    CHECK_EQ(sy_label_render(&f, SY_LABEL_SVG, &b, err, sizeof err), SY_EINVAL);
    CHECK(strstr(err, "model") && strstr(err, "UTF-8"));
    CHECK_EQ(b.len, 0);
  }
  f = sample();
  f.ac_code = "\xe8";
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "anti-counterfeit") != NULL);

  /* no QR text */
  f = sample();
  f.qr_text = NULL;
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_EINVAL);
  f.qr_text = "";
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_EINVAL);

  /* QR data too long: past version 20, and past any QR code at all */
  char big[3001];
  for (size_t i = 0; i < sizeof big - 1; i++) big[i] = (char)('a' + (i * 7 + i / 26) % 26);
  big[sizeof big - 1] = 0;
  f = sample();
  big[1000] = 0;
  f.qr_text = big;
  CHECK(sy_label_qr_version(big) > SY_LABEL_QR_MAX_VERSION);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "too long") != NULL);
  big[1000] = 'x';
  CHECK_EQ(sy_label_qr_version(big), -1);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_SVG, &b, err, sizeof err), SY_EINVAL);
  CHECK(strstr(err, "too long") != NULL);
  CHECK_EQ(b.len, 0);
  /* the largest that fits still renders */
  big[600] = 0;
  int v = sy_label_qr_version(big);
  CHECK(v > 0 && v <= SY_LABEL_QR_MAX_VERSION);
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_OK);
  CHECK_EQ(sy_label_format_parse(NULL), -1);
  CHECK_EQ(sy_label_render(&f, (sy_label_format)7, &b, err, sizeof err), SY_EINVAL);
  sy_buf_free(&b);
}

static void test_signature(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  const sy_suite *s = sy_suite_default();
  sy_key *k = NULL, *other = NULL;
  CHECK_EQ(sy_key_generate(s, &k), SY_OK);
  CHECK_EQ(sy_key_generate(s, &other), SY_OK);
  if (!k || !other) return;
  size_t pk_len, opk_len;
  const uint8_t *pk = sy_key_public(k, &pk_len);
  const uint8_t *opk = sy_key_public(other, &opk_len);
  char qr[1024], err[256];

  CHECK_EQ(sy_label_sign_qr(DL, k, qr, sizeof qr, err, sizeof err), SY_OK);
  /* U + "?k=" + 11 + "&s=" + 86 */
  CHECK_EQ(strlen(qr), strlen(DL) + 3 + 11 + 3 + 86);
  CHECK(strncmp(qr, DL, strlen(DL)) == 0);
  CHECK(strncmp(qr + strlen(DL), "?k=", 3) == 0);
  CHECK_EQ(sy_label_verify_qr(qr, s, pk, pk_len, err, sizeof err), SY_OK);
  /* the QR stays small: version 9 at level M for this 63-byte URI (53 x 53
   * modules; 0.33 mm a module on a 20 mm code with its quiet zone) */
  int v = sy_label_qr_version(qr);
  printf("signed QR text: %zu bytes, QR version %d-M\n", strlen(qr), v);
  CHECK(v > 0 && v <= 9);
  CHECK(sy_label_qr_version(DL) <= 5);

  /* split gives back U, the key id prefix and the 64-byte signature */
  size_t ul, sl;
  uint8_t kid[SY_LABEL_KID_LEN], sig[128];
  CHECK_EQ(sy_label_qr_split(qr, &ul, kid, sig, &sl), SY_OK);
  CHECK_EQ(ul, strlen(DL));
  CHECK_EQ(sl, 64);
  CHECK(memcmp(kid, sy_key_id_of(k), SY_LABEL_KID_LEN) == 0);

  /* the key id prefix is SHA-256(pk) truncated (sy_key_id), as documented */
  uint8_t id[SY_KEYID_LEN];
  sy_key_id(s, pk, pk_len, id);
  CHECK(memcmp(id, kid, SY_LABEL_KID_LEN) == 0);

  /* tampered element string (serial 0001 -> 0002), host, or signature */
  char t[2048];
  snprintf(t, sizeof t, "%s", qr);
  char *serial = strstr(t, "/21/0001");
  CHECK(serial != NULL);
  if (serial) serial[7] = '2';
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EBADSIG);
  CHECK(strstr(err, "does not verify") != NULL);
  snprintf(t, sizeof t, "%s", qr);
  memcpy(strstr(t, "trace.example"), "trace-example", 13);
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EBADSIG);
  snprintf(t, sizeof t, "%s", qr);
  size_t last = strlen(t) - 10;
  t[last] = t[last] == 'A' ? 'B' : 'A';
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EBADSIG);

  /* wrong key: the key id prefix does not match */
  CHECK_EQ(sy_label_verify_qr(qr, s, opk, opk_len, err, sizeof err), SY_ENOTFOUND);
  /* a key id forged to point at the right key still fails the signature */
  char forged[1024];
  CHECK_EQ(sy_label_sign_qr(DL, other, forged, sizeof forged, err, sizeof err), SY_OK);
  memcpy(forged + strlen(DL) + 3, qr + strlen(DL) + 3, 11);
  CHECK_EQ(sy_label_verify_qr(forged, s, pk, pk_len, err, sizeof err), SY_EBADSIG);

  /* not signed, or malformed signature parameters */
  CHECK_EQ(sy_label_verify_qr(DL, s, pk, pk_len, err, sizeof err), SY_EINVAL);
  snprintf(t, sizeof t, "%.*s", (int)(strlen(qr) - 1), qr); /* one character short */
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EINVAL);
  snprintf(t, sizeof t, "%s=", qr); /* padding is not base64url here */
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EINVAL);
  snprintf(t, sizeof t, "%s&x=1", qr); /* s must be last */
  CHECK_EQ(sy_label_verify_qr(t, s, pk, pk_len, err, sizeof err), SY_EINVAL);

  /* a URI with a query gets '&'; signing twice and non-ASCII are refused */
  const char *withq = "https://trace.example.com/01/06901234000016/21/7?17=271231";
  CHECK_EQ(sy_label_sign_qr(withq, k, qr, sizeof qr, err, sizeof err), SY_OK);
  CHECK(strncmp(qr + strlen(withq), "&k=", 3) == 0);
  CHECK_EQ(sy_label_verify_qr(qr, s, pk, pk_len, err, sizeof err), SY_OK);
  CHECK_EQ(sy_label_sign_qr(qr, k, t, sizeof t, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_label_sign_qr("https://x.example/01/é", k, t, sizeof t, err, sizeof err), SY_EINVAL);
  CHECK_EQ(sy_label_sign_qr("https://x.example/01/1#s", k, t, sizeof t, err, sizeof err),
           SY_EINVAL);
  CHECK_EQ(sy_label_sign_qr(DL, k, t, 50, err, sizeof err), SY_ETOOBIG);

  /* a signed label renders */
  CHECK_EQ(sy_label_sign_qr(DL, k, qr, sizeof qr, err, sizeof err), SY_OK);
  sy_label_fields f = sample();
  f.qr_text = qr;
  sy_buf b = {0};
  CHECK_EQ(sy_label_render(&f, SY_LABEL_PNG, &b, err, sizeof err), SY_OK);
  sy_buf_free(&b);
  sy_key_free(k);
  sy_key_free(other);
}

int main(void) {
  test_formats();
  test_long_text();
  test_refusals();
  test_signature();
  sy_label_cleanup();
  return sy_test_done("test_label");
}
