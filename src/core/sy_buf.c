#include "core/sy_buf.h"

#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"

void sy_buf_free(sy_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

void sy_buf_reset(sy_buf *b) {
  b->len = 0;
  b->err = SY_OK;
}

void sy_buf_put(sy_buf *b, const void *p, size_t n) {
  if (b->err || n == 0) return;
  if (n > SIZE_MAX / 2 - b->len) {
    b->err = SY_ETOOBIG;
    return;
  }
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n) cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (!np) {
      b->err = SY_ENOMEM;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

void sy_buf_u8(sy_buf *b, uint8_t v) { sy_buf_put(b, &v, 1); }

void sy_buf_u16(sy_buf *b, uint16_t v) {
  uint8_t t[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
  sy_buf_put(b, t, 2);
}

void sy_buf_u32(sy_buf *b, uint32_t v) {
  uint8_t t[4];
  for (int i = 0; i < 4; i++) t[i] = (uint8_t)(v >> (8 * i));
  sy_buf_put(b, t, 4);
}

void sy_store_u64(uint8_t out[8], uint64_t v) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}

uint64_t sy_load_u64(const uint8_t in[8]) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | in[i];
  return v;
}

void sy_buf_u64(sy_buf *b, uint64_t v) {
  uint8_t t[8];
  sy_store_u64(t, v);
  sy_buf_put(b, t, 8);
}

uint8_t *sy_buf_take(sy_buf *b, size_t *len) {
  uint8_t *p = b->p;
  if (len) *len = b->len;
  memset(b, 0, sizeof *b);
  return p;
}

void sy_reader_init(sy_reader *r, const uint8_t *p, size_t len) {
  r->p = p;
  r->len = len;
  r->off = 0;
  r->err = SY_OK;
}

const uint8_t *sy_get_bytes(sy_reader *r, size_t n) {
  if (r->err || n > r->len - r->off) {
    r->err = SY_EMALFORMED;
    return NULL;
  }
  const uint8_t *p = r->p + r->off;
  r->off += n;
  return p;
}

int sy_get_copy(sy_reader *r, void *out, size_t n) {
  const uint8_t *p = sy_get_bytes(r, n);
  if (!p) return SY_EMALFORMED;
  memcpy(out, p, n);
  return SY_OK;
}

uint8_t sy_get_u8(sy_reader *r) {
  const uint8_t *p = sy_get_bytes(r, 1);
  return p ? p[0] : 0;
}

uint16_t sy_get_u16(sy_reader *r) {
  const uint8_t *p = sy_get_bytes(r, 2);
  return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

uint32_t sy_get_u32(sy_reader *r) {
  const uint8_t *p = sy_get_bytes(r, 4);
  if (!p) return 0;
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t sy_get_u64(sy_reader *r) {
  const uint8_t *p = sy_get_bytes(r, 8);
  return p ? sy_load_u64(p) : 0;
}
