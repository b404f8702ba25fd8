/* The signed offline check (label.h; docs/labels.md "Offline signature";
 * issue 5 part 8, SPEC C4).
 *
 * The QR text carries the Digital Link URI U and, as its last two query
 * parameters, "k=" (which member key signed) and "s=" (the signature over
 * "SYL1\n" + U). The signature covers the exact bytes of U, host included:
 * a copy that points the consumer at another site, or names another item,
 * no longer verifies. No anti-counterfeit code commitment is signed into the
 * QR text: anyone can read a QR code, and a hash of a short secret code
 * there could be brute-forced offline, which would hand the code to whoever
 * photographs the label before the buyer scratches it (the code's check
 * stays online, POST /v1/verify-code). */
#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"
#include "crypto/suite.h"
#include "label/label.h"

#define SIG_MAX 128

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out has room for 4*ceil(n/3)+1. */
static size_t b64url_encode(char *out, const uint8_t *in, size_t n) {
  size_t o = 0, i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64URL[v >> 18 & 63];
    out[o++] = B64URL[v >> 12 & 63];
    out[o++] = B64URL[v >> 6 & 63];
    out[o++] = B64URL[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = B64URL[v >> 18 & 63];
    out[o++] = B64URL[v >> 12 & 63];
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = B64URL[v >> 18 & 63];
    out[o++] = B64URL[v >> 12 & 63];
    out[o++] = B64URL[v >> 6 & 63];
  }
  out[o] = 0;
  return o;
}

static int b64url_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/* Strict: no padding, no other characters, unused trailing bits zero (one
 * encoding per byte string). Returns the length or -1. */
static long b64url_decode(uint8_t *out, size_t cap, const char *in, size_t n) {
  if (n % 4 == 1) return -1;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64url_val(in[i]);
    if (v < 0) return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= cap) return -1;
      out[o++] = (uint8_t)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return -1; /* non-canonical trailing bits */
  return (long)o;
}

static void seterr(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

int sy_label_sign_qr(const char *uri, const struct sy_key *key, char *out, size_t size, char *err,
                     size_t errlen) {
  if (!uri || !key || !out) {
    seterr(err, errlen, "invalid arguments");
    return SY_EINVAL;
  }
  size_t n = strlen(uri);
  if (n == 0 || n > 2048) {
    seterr(err, errlen, "the URI to sign is empty or too long");
    return SY_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)uri[i];
    if (ch <= 0x20 || ch >= 0x7f || ch == '#') {
      /* a URI in a QR code is printable ASCII (RFC 3986); '#' would put
       * the signature into the fragment */
      seterr(err, errlen, "the URI to sign has a character outside printable ASCII or a '#'");
      return SY_EINVAL;
    }
  }
  size_t ul;
  uint8_t kid[SY_LABEL_KID_LEN], sig[SIG_MAX];
  size_t sl;
  if (sy_label_qr_split(uri, &ul, kid, sig, &sl) == SY_OK) {
    seterr(err, errlen, "the URI is already signed");
    return SY_EINVAL;
  }
  sy_buf msg = {0};
  sy_buf_put(&msg, SY_LABEL_SIG_MSG_PREFIX, strlen(SY_LABEL_SIG_MSG_PREFIX));
  sy_buf_put(&msg, uri, n);
  if (msg.err) {
    sy_buf_free(&msg);
    return SY_ENOMEM;
  }
  sl = 0;
  int rc = sy_key_sign(key, msg.p, msg.len, sig, &sl);
  sy_buf_free(&msg);
  if (rc || sl == 0 || sl > SIG_MAX) {
    seterr(err, errlen, "signing failed");
    return SY_ECRYPTO;
  }
  char kid64[16], sig64[SIG_MAX * 4 / 3 + 4];
  b64url_encode(kid64, sy_key_id_of(key), SY_LABEL_KID_LEN);
  b64url_encode(sig64, sig, sl);
  int w = snprintf(out, size, "%s%ck=%s&s=%s", uri, strchr(uri, '?') ? '&' : '?', kid64, sig64);
  if (w < 0 || (size_t)w >= size) {
    if (size) out[0] = 0;
    seterr(err, errlen, "the signed QR text does not fit the buffer");
    return SY_ETOOBIG;
  }
  return SY_OK;
}

int sy_label_qr_split(const char *qr, size_t *uri_len, uint8_t kid[SY_LABEL_KID_LEN],
                      uint8_t sig[SIG_MAX], size_t *sig_len) {
  if (!qr) return SY_EINVAL;
  size_t n = strlen(qr);
  /* "&s=SIG" is the last parameter */
  const char *s = NULL;
  for (const char *p = qr; (p = strstr(p, "&s=")) != NULL; p++) s = p;
  if (!s) return SY_EINVAL;
  const char *sig64 = s + 3;
  size_t sig64_len = n - (size_t)(sig64 - qr);
  /* "?k=KID" or "&k=KID" right before it */
  const size_t kid64_len = (SY_LABEL_KID_LEN * 4 + 2) / 3; /* 11 */
  if ((size_t)(s - qr) < kid64_len + 3) return SY_EINVAL;
  const char *k = s - kid64_len - 3;
  if ((k[0] != '?' && k[0] != '&') || k[1] != 'k' || k[2] != '=') return SY_EINVAL;
  if (k == qr) return SY_EINVAL; /* U must not be empty */
  /* '?' must separate U's path from its query: when k follows '&', U has a '?' */
  if (k[0] == '&' && !memchr(qr, '?', (size_t)(k - qr))) return SY_EINVAL;
  if (k[0] == '?' && memchr(qr, '?', (size_t)(k - qr))) return SY_EINVAL;
  if (b64url_decode(kid, SY_LABEL_KID_LEN, k + 3, kid64_len) != SY_LABEL_KID_LEN) return SY_EINVAL;
  long sl = b64url_decode(sig, SIG_MAX, sig64, sig64_len);
  if (sl <= 0) return SY_EINVAL;
  *sig_len = (size_t)sl;
  *uri_len = (size_t)(k - qr);
  return SY_OK;
}

int sy_label_verify_qr(const char *qr, const struct sy_suite *suite, const uint8_t *pk,
                       size_t pk_len, char *err, size_t errlen) {
  if (!qr || !suite || !pk || pk_len != suite->pk_len) {
    seterr(err, errlen, "invalid arguments (no text, suite or public key)");
    return SY_EINVAL;
  }
  size_t ul, sl;
  uint8_t kid[SY_LABEL_KID_LEN], sig[SIG_MAX];
  if (sy_label_qr_split(qr, &ul, kid, sig, &sl) != SY_OK) {
    seterr(err, errlen, "the QR text carries no label signature (k= and s= parameters)");
    return SY_EINVAL;
  }
  uint8_t id[SY_KEYID_LEN];
  sy_key_id(suite, pk, pk_len, id);
  if (memcmp(id, kid, SY_LABEL_KID_LEN) != 0) {
    seterr(err, errlen, "the label was signed by another key (its key id does not match)");
    return SY_ENOTFOUND;
  }
  sy_buf msg = {0};
  sy_buf_put(&msg, SY_LABEL_SIG_MSG_PREFIX, strlen(SY_LABEL_SIG_MSG_PREFIX));
  sy_buf_put(&msg, qr, ul);
  if (msg.err) {
    sy_buf_free(&msg);
    return SY_ENOMEM;
  }
  int ok = suite->verify(sig, sl, msg.p, msg.len, pk, pk_len);
  sy_buf_free(&msg);
  if (!ok) {
    seterr(err, errlen, "the label signature does not verify: the code was changed or forged");
    return SY_EBADSIG;
  }
  return SY_OK;
}
