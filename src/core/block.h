/* Blocks (docs/format.md).
 *
 * header = "SYB1" | height u64 | prev_hash[32] | tx_root[32] | flags_hash[32]
 *          | results_hash[32] | timestamp_ms u64 | proposer key id[16] | tx_count u32
 * block hash = H(header).
 *
 * Per-transaction validity flags are a u16 reason code each (0 = valid);
 * flags_hash = H(flags as u16 LE). The results hash chains what every block
 * changed: results_hash(h) = H(results_hash(h-1) | H(writes of block h)). */
#ifndef SY_BLOCK_H
#define SY_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/sy_buf.h"
#include "core/tx.h"

#define SY_BLOCK_MAX_TXS 16384
#define SY_BLOCK_HEADER_LEN (4 + 8 + 32 * 4 + 8 + SY_KEYID_LEN + 4)

typedef struct sy_block_header {
  uint64_t height;
  uint8_t prev_hash[SY_HASH_LEN];
  uint8_t tx_root[SY_HASH_LEN];
  uint8_t flags_hash[SY_HASH_LEN];
  uint8_t results_hash[SY_HASH_LEN];
  uint64_t timestamp_ms;
  uint8_t proposer[SY_KEYID_LEN];
  uint32_t tx_count;
} sy_block_header;

/* Validity reason codes stored per transaction. Values are part of the
 * format: never renumber. 0 means valid. */
#define SY_REASONS(X)                                                                 \
  X(VALID, 0, "valid", "valid")                                                       \
  X(BAD_SIGNATURE, 1, "bad_signature", "signature does not verify")                   \
  X(UNKNOWN_SIGNER, 2, "unknown_signer", "signer key is not a member of the chain")   \
  X(REVOKED_SIGNER, 3, "revoked_signer", "signer's membership was revoked")           \
  X(ROLE_DENIED, 4, "role_denied", "signer's roles do not allow this transaction")    \
  X(WRONG_CHAIN, 5, "wrong_chain", "transaction is for another chain")                \
  X(REPLAYED_NONCE, 6, "replayed_nonce", "signer already used this nonce")            \
  X(DUPLICATE_TX, 7, "duplicate_tx", "transaction already in the chain")              \
  X(MALFORMED_PAYLOAD, 8, "malformed_payload", "payload is not valid for its type")   \
  X(UNKNOWN_TYPE, 9, "unknown_type", "unknown transaction type")                      \
  X(NOT_FOUND, 10, "not_found", "the object the transaction refers to does not exist") \
  X(ALREADY_EXISTS, 11, "already_exists", "the object already exists")                \
  X(OTHER_ORG, 12, "other_org", "signer may only act within its own organisation")    \
  X(MALFORMED_TX, 13, "malformed_tx", "transaction bytes do not decode")              \
  X(GENESIS_ONLY, 14, "genesis_only", "genesis transactions only at height 0")        \
  X(INVALID_EPCIS, 15, "invalid_epcis", "EPCIS document does not validate")             \
  X(DUPLICATE_EVENT, 16, "duplicate_event", "an event with this eventID is already recorded") \
  X(UNREGISTERED_PROPOSER, 17, "unregistered_proposer",                                  \
    "the node that ordered the block is not a registered node")

typedef enum sy_reason {
#define SY_REASON_ENUM(name, code, token, text) SY_R_##name = (code),
  SY_REASONS(SY_REASON_ENUM)
#undef SY_REASON_ENUM
} sy_reason;

/* Stable token ("role_denied") and human text; never NULL. */
const char *sy_reason_token(int reason);
const char *sy_reason_text(int reason);

void sy_block_header_encode(const sy_block_header *h, uint8_t out[SY_BLOCK_HEADER_LEN]);
int sy_block_header_decode(sy_block_header *h, const uint8_t *in, size_t len);
void sy_block_hash(const sy_block_header *hd, sy_hash_fn h, uint8_t out[SY_HASH_LEN]);
/* flags_hash over the encoded flags (sy_block_flags_encode). */
void sy_block_flags_hash(const uint8_t *enc, size_t len, sy_hash_fn h, uint8_t out[SY_HASH_LEN]);
/* Encodes flags as u16 LE into out (2*n bytes). */
void sy_block_flags_encode(const uint16_t *flags, size_t n, uint8_t *out);
/* Decodes 2*n bytes; SY_EMALFORMED when len != 2*n. */
int sy_block_flags_decode(uint16_t *flags, size_t n, const uint8_t *in, size_t len);

/* A whole block as nodes exchange it (catch-up; docs/format.md#raw-block):
 *   "SYBR" | header | position u64 | tx_count u32 | tx_count x (len u32, tx)
 *   | flags (u16 each) | n_att u16 | n_att x (node[16], sig_len u8, sig)
 * Decoded views borrow the bytes given to sy_block_raw_decode. */
typedef struct sy_block_raw {
  sy_block_header hdr;
  uint64_t position;
  size_t n;
  const uint8_t **txs; /* owned array of borrowed pointers */
  size_t *lens;        /* owned */
  uint16_t *flags;     /* owned */
  size_t n_att;
  const uint8_t *att;  /* borrowed: n_att records as above */
  size_t att_len;
} sy_block_raw;

/* SY_EMALFORMED for anything that does not parse exactly; SY_ENOMEM. */
int sy_block_raw_decode(sy_block_raw *out, const uint8_t *p, size_t len);
void sy_block_raw_free(sy_block_raw *b);

#endif
