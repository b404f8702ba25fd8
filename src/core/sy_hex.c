#include "core/sy_hex.h"

#include "core/sy_error.h"

void sy_hex_encode(char *out, const uint8_t *in, size_t n) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[in[i] >> 4];
    out[2 * i + 1] = d[in[i] & 15];
  }
  out[2 * n] = 0;
}

static int nib(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int sy_hex_decode(uint8_t *out, size_t n, const char *in, size_t in_len) {
  if (in_len != 2 * n) return SY_EMALFORMED;
  for (size_t i = 0; i < n; i++) {
    int hi = nib(in[2 * i]), lo = nib(in[2 * i + 1]);
    if (hi < 0 || lo < 0) return SY_EMALFORMED;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return SY_OK;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sy_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4 + 1; }

void sy_b64_encode(char *out, const uint8_t *in, size_t n) {
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  out[o] = 0;
}

static int b64v(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

long sy_b64_decode(uint8_t *out, size_t cap, const char *in, size_t in_len) {
  if (in_len % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < in_len; i += 4) {
    int v[4], pad = 0;
    for (int k = 0; k < 4; k++) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in_len && k >= 2) {
        v[k] = 0;
        pad++;
      } else {
        if (pad) return -1;
        v[k] = b64v(c);
        if (v[k] < 0) return -1;
      }
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    /* Canonical only: the bits padding leaves over must be zero, so one
     * byte string has exactly one encoding. */
    if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) return -1;
    size_t emit = 3 - (size_t)pad;
    if (o + emit > cap) return -1;
    out[o++] = (uint8_t)(w >> 16);
    if (emit > 1) out[o++] = (uint8_t)(w >> 8);
    if (emit > 2) out[o++] = (uint8_t)w;
  }
  return (long)o;
}
