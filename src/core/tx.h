/* Transactions: the signed unit of the ledger (docs/format.md).
 *
 *   body = "SYT1" | type u8 | chain_id (u8 len, bytes) | signer key id [16]
 *          | timestamp_ms u64 | nonce u64 | payload (u32 len, bytes)
 *   tx   = body_len u32 | body | sig_len u8 | signature
 *
 * The signature covers the exact body bytes; the ledger stores the bytes it
 * was given and never re-serialises before verifying. The transaction id is
 * H(tx) over the whole envelope, so it commits to the signature as well. */
#ifndef SY_TX_H
#define SY_TX_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/sy_buf.h"

#define SY_KEYID_LEN 16
#define SY_CHAIN_ID_MAX 64
#define SY_SIG_MAX 128
#define SY_TX_PAYLOAD_MAX (1u << 20) /* hard ceiling of the format; nodes set lower limits */

/* Transaction types. Values are part of the format: never renumber. */
#define SY_TX_TYPES(X)                                                         \
  X(GENESIS, 0, "genesis")                                                     \
  X(ORG_ADD, 1, "org.add")                                                     \
  X(MEMBER_ADD, 2, "member.add")                                               \
  X(MEMBER_REVOKE, 3, "member.revoke")                                         \
  X(NODE_ADD, 4, "node.add")                                                   \
  X(NODE_REMOVE, 5, "node.remove")                                             \
  X(RECORD, 16, "record")                                                      \
  X(EPCIS_CAPTURE, 17, "epcis.capture")                                       \
  X(ORG_CONTACT, 18, "org.contact")                                           \
  X(CODE_ISSUE, 19, "code.issue")                                             \
  X(CODE_REVOKE, 20, "code.revoke")

typedef enum sy_tx_type {
#define SY_TXT_ENUM(name, code, text) SY_TX_##name = (code),
  SY_TX_TYPES(SY_TXT_ENUM)
#undef SY_TXT_ENUM
} sy_tx_type;

/* "member.add" for SY_TX_MEMBER_ADD; NULL for an unknown type. */
const char *sy_tx_type_name(int type);
/* Inverse of sy_tx_type_name; -1 when unknown. */
int sy_tx_type_parse(const char *name);

/* A decoded transaction. Every pointer borrows from the bytes given to
 * sy_tx_decode and is valid as long as they are. */
typedef struct sy_tx {
  uint8_t type;
  const uint8_t *chain_id;
  size_t chain_id_len;
  uint8_t signer[SY_KEYID_LEN];
  uint64_t timestamp_ms;
  uint64_t nonce;
  const uint8_t *payload;
  size_t payload_len;
  const uint8_t *body; /* the signed bytes */
  size_t body_len;
  const uint8_t *sig;
  size_t sig_len;
  const uint8_t *raw; /* the whole envelope */
  size_t raw_len;
} sy_tx;

/* Decodes raw[0..len). Trailing bytes, bad magic, or any length running past
 * the end give SY_EMALFORMED; payload over SY_TX_PAYLOAD_MAX gives SY_ETOOBIG. */
int sy_tx_decode(sy_tx *tx, const uint8_t *raw, size_t len);

/* Appends the signed body to out. chain_id_len <= SY_CHAIN_ID_MAX. */
int sy_tx_encode_body(sy_buf *out, uint8_t type, const char *chain_id, size_t chain_id_len,
                      const uint8_t signer[SY_KEYID_LEN], uint64_t timestamp_ms,
                      uint64_t nonce, const uint8_t *payload, size_t payload_len);

/* Appends the envelope (body + signature) to out. */
int sy_tx_encode(sy_buf *out, const uint8_t *body, size_t body_len, const uint8_t *sig,
                 size_t sig_len);

/* Transaction id: H(raw envelope). */
void sy_tx_id(const sy_tx *tx, sy_hash_fn h, uint8_t out[SY_HASH_LEN]);

#endif
