#include "core/tx.h"

#include <string.h>

#include "core/sy_error.h"

static const uint8_t TX_MAGIC[4] = {'S', 'Y', 'T', '1'};

const char *sy_tx_type_name(int type) {
  switch (type) {
#define SY_TXT_NAME(name, code, text) \
  case code:                          \
    return text;
    SY_TX_TYPES(SY_TXT_NAME)
#undef SY_TXT_NAME
  }
  return NULL;
}

int sy_tx_type_parse(const char *name) {
#define SY_TXT_PARSE(n, code, text) \
  if (strcmp(name, text) == 0) return code;
  SY_TX_TYPES(SY_TXT_PARSE)
#undef SY_TXT_PARSE
  return -1;
}

static int decode_body(sy_tx *tx, const uint8_t *body, size_t len) {
  sy_reader r;
  sy_reader_init(&r, body, len);
  const uint8_t *magic = sy_get_bytes(&r, 4);
  if (!magic || memcmp(magic, TX_MAGIC, 4) != 0) return SY_EMALFORMED;
  tx->type = sy_get_u8(&r);
  tx->chain_id_len = sy_get_u8(&r);
  if (tx->chain_id_len == 0 || tx->chain_id_len > SY_CHAIN_ID_MAX) return SY_EMALFORMED;
  tx->chain_id = sy_get_bytes(&r, tx->chain_id_len);
  sy_get_copy(&r, tx->signer, SY_KEYID_LEN);
  tx->timestamp_ms = sy_get_u64(&r);
  tx->nonce = sy_get_u64(&r);
  uint32_t plen = sy_get_u32(&r);
  if (r.err) return SY_EMALFORMED;
  if (plen > SY_TX_PAYLOAD_MAX) return SY_ETOOBIG;
  tx->payload_len = plen;
  tx->payload = sy_get_bytes(&r, plen);
  if (r.err || r.off != r.len) return SY_EMALFORMED;
  return SY_OK;
}

int sy_tx_decode(sy_tx *tx, const uint8_t *raw, size_t len) {
  sy_tx t;
  memset(&t, 0, sizeof t);
  sy_reader r;
  sy_reader_init(&r, raw, len);
  uint32_t blen = sy_get_u32(&r);
  if (r.err || blen > len - 4) return SY_EMALFORMED; /* claims more than it has */
  if (blen > SY_TX_PAYLOAD_MAX + 256) return SY_ETOOBIG;
  t.body = sy_get_bytes(&r, blen);
  t.body_len = blen;
  t.sig_len = sy_get_u8(&r);
  t.sig = sy_get_bytes(&r, t.sig_len);
  if (r.err || r.off != r.len || t.sig_len == 0) return SY_EMALFORMED;
  int rc = decode_body(&t, t.body, t.body_len);
  if (rc) return rc;
  t.raw = raw;
  t.raw_len = len;
  *tx = t;
  return SY_OK;
}

int sy_tx_encode_body(sy_buf *out, uint8_t type, const char *chain_id, size_t chain_id_len,
                      const uint8_t signer[SY_KEYID_LEN], uint64_t timestamp_ms,
                      uint64_t nonce, const uint8_t *payload, size_t payload_len) {
  if (chain_id_len == 0 || chain_id_len > SY_CHAIN_ID_MAX) return SY_EINVAL;
  if (payload_len > SY_TX_PAYLOAD_MAX) return SY_ETOOBIG;
  size_t start = out->len;
  sy_buf_put(out, TX_MAGIC, 4);
  sy_buf_u8(out, type);
  sy_buf_u8(out, (uint8_t)chain_id_len);
  sy_buf_put(out, chain_id, chain_id_len);
  sy_buf_put(out, signer, SY_KEYID_LEN);
  sy_buf_u64(out, timestamp_ms);
  sy_buf_u64(out, nonce);
  sy_buf_u32(out, (uint32_t)payload_len);
  sy_buf_put(out, payload, payload_len);
  if (out->err) {
    int e = out->err;
    out->len = start;
    out->err = SY_OK;
    return e;
  }
  return SY_OK;
}

int sy_tx_encode(sy_buf *out, const uint8_t *body, size_t body_len, const uint8_t *sig,
                 size_t sig_len) {
  if (sig_len == 0 || sig_len > 255 || body_len > UINT32_MAX) return SY_EINVAL;
  size_t start = out->len;
  sy_buf_u32(out, (uint32_t)body_len);
  sy_buf_put(out, body, body_len);
  sy_buf_u8(out, (uint8_t)sig_len);
  sy_buf_put(out, sig, sig_len);
  if (out->err) {
    int e = out->err;
    out->len = start;
    out->err = SY_OK;
    return e;
  }
  return SY_OK;
}

void sy_tx_id(const sy_tx *tx, sy_hash_fn h, uint8_t out[SY_HASH_LEN]) {
  sy_slice s = {tx->raw, tx->raw_len};
  h(&s, 1, out);
}
