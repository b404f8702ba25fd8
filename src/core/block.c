#include "core/block.h"

#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"

static const uint8_t BLOCK_MAGIC[4] = {'S', 'Y', 'B', '1'};

const char *sy_reason_token(int reason) {
  switch (reason) {
#define SY_R_TOKEN(name, code, token, text) \
  case code:                                \
    return token;
    SY_REASONS(SY_R_TOKEN)
#undef SY_R_TOKEN
  }
  return "unknown_reason";
}

const char *sy_reason_text(int reason) {
  switch (reason) {
#define SY_R_TEXT(name, code, token, text) \
  case code:                               \
    return text;
    SY_REASONS(SY_R_TEXT)
#undef SY_R_TEXT
  }
  return "unknown reason";
}

void sy_block_header_encode(const sy_block_header *h, uint8_t out[SY_BLOCK_HEADER_LEN]) {
  uint8_t *p = out;
  memcpy(p, BLOCK_MAGIC, 4), p += 4;
  sy_store_u64(p, h->height), p += 8;
  memcpy(p, h->prev_hash, 32), p += 32;
  memcpy(p, h->tx_root, 32), p += 32;
  memcpy(p, h->flags_hash, 32), p += 32;
  memcpy(p, h->results_hash, 32), p += 32;
  sy_store_u64(p, h->timestamp_ms), p += 8;
  memcpy(p, h->proposer, SY_KEYID_LEN), p += SY_KEYID_LEN;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(h->tx_count >> (8 * i));
}

int sy_block_header_decode(sy_block_header *h, const uint8_t *in, size_t len) {
  if (len != SY_BLOCK_HEADER_LEN || memcmp(in, BLOCK_MAGIC, 4) != 0) return SY_EMALFORMED;
  sy_reader r;
  sy_reader_init(&r, in + 4, len - 4);
  h->height = sy_get_u64(&r);
  sy_get_copy(&r, h->prev_hash, 32);
  sy_get_copy(&r, h->tx_root, 32);
  sy_get_copy(&r, h->flags_hash, 32);
  sy_get_copy(&r, h->results_hash, 32);
  h->timestamp_ms = sy_get_u64(&r);
  sy_get_copy(&r, h->proposer, SY_KEYID_LEN);
  h->tx_count = sy_get_u32(&r);
  return r.err ? SY_EMALFORMED : SY_OK;
}

void sy_block_hash(const sy_block_header *hd, sy_hash_fn h, uint8_t out[SY_HASH_LEN]) {
  uint8_t enc[SY_BLOCK_HEADER_LEN];
  sy_block_header_encode(hd, enc);
  sy_slice s = {enc, sizeof enc};
  h(&s, 1, out);
}

void sy_block_flags_encode(const uint16_t *flags, size_t n, uint8_t *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = (uint8_t)flags[i];
    out[2 * i + 1] = (uint8_t)(flags[i] >> 8);
  }
}

int sy_block_flags_decode(uint16_t *flags, size_t n, const uint8_t *in, size_t len) {
  if (len != 2 * n) return SY_EMALFORMED;
  for (size_t i = 0; i < n; i++) flags[i] = (uint16_t)(in[2 * i] | in[2 * i + 1] << 8);
  return SY_OK;
}

void sy_block_flags_hash(const uint8_t *enc, size_t len, sy_hash_fn h, uint8_t out[SY_HASH_LEN]) {
  sy_slice s = {enc, len};
  h(&s, 1, out);
}

void sy_block_raw_free(sy_block_raw *b) {
  if (!b) return;
  free(b->txs);
  free(b->lens);
  free(b->flags);
  memset(b, 0, sizeof *b);
}

int sy_block_raw_decode(sy_block_raw *out, const uint8_t *p, size_t len) {
  memset(out, 0, sizeof *out);
  sy_reader r;
  sy_reader_init(&r, p, len);
  const uint8_t *magic = sy_get_bytes(&r, 4);
  if (!magic || memcmp(magic, "SYBR", 4) != 0) return SY_EMALFORMED;
  const uint8_t *hdr = sy_get_bytes(&r, SY_BLOCK_HEADER_LEN);
  if (!hdr || sy_block_header_decode(&out->hdr, hdr, SY_BLOCK_HEADER_LEN)) return SY_EMALFORMED;
  out->position = sy_get_u64(&r);
  uint32_t n = sy_get_u32(&r);
  if (r.err || n == 0 || n > SY_BLOCK_MAX_TXS || n != out->hdr.tx_count) return SY_EMALFORMED;
  out->txs = calloc(n, sizeof *out->txs);
  out->lens = calloc(n, sizeof *out->lens);
  out->flags = calloc(n, sizeof *out->flags);
  if (!out->txs || !out->lens || !out->flags) {
    sy_block_raw_free(out);
    return SY_ENOMEM;
  }
  out->n = n;
  for (uint32_t i = 0; i < n; i++) {
    out->lens[i] = sy_get_u32(&r);
    out->txs[i] = sy_get_bytes(&r, out->lens[i]);
  }
  const uint8_t *fl = sy_get_bytes(&r, 2 * (size_t)n);
  if (r.err || !fl) {
    sy_block_raw_free(out);
    return SY_EMALFORMED;
  }
  sy_block_flags_decode(out->flags, n, fl, 2 * (size_t)n);
  out->n_att = sy_get_u16(&r);
  out->att = r.p + r.off;
  size_t start = r.off;
  for (size_t i = 0; i < out->n_att; i++) {
    sy_get_bytes(&r, SY_KEYID_LEN);
    uint8_t sl = sy_get_u8(&r);
    if (sl == 0) r.err = SY_EMALFORMED;
    sy_get_bytes(&r, sl);
  }
  out->att_len = r.off - start;
  if (r.err || r.off != r.len) {
    sy_block_raw_free(out);
    return SY_EMALFORMED;
  }
  return SY_OK;
}
