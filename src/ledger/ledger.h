/* The ledger: SQLite (WAL) block store, registries, deterministic apply,
 * queries and verify (docs/ledger.md).
 *
 * One idea keeps it simple: the ledger is a deterministic function of the
 * ordered blocks. sy_ledger_append turns an ordered batch into the next block
 * with the same pure rules on every node (SPEC M8c): check signature,
 * membership, role; mark each transaction valid or invalid with a reason;
 * write the results and fold them into the results hash. One SQLite
 * transaction and one fsync per block (group commit).
 *
 * Threads: one writer (the committer) calls sy_ledger_append; any number of
 * threads may call the query functions at the same time (each takes a
 * read-only connection from a pool; WAL gives them a consistent snapshot). */
#ifndef SY_LEDGER_H
#define SY_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "core/block.h"
#include "core/tx.h"
#include "crypto/suite.h"

typedef struct sy_ledger sy_ledger;

/* ---- roles (SPEC M1) ------------------------------------------------------ */
#define SY_ROLES(X)                                                                 \
  X(SYSTEM_MANAGER, 1u << 0, "system_manager")  /* governance: members, nodes */    \
  X(BUSINESS_MANAGER, 1u << 1, "business_manager") /* records; plans, bills */      \
  X(RECORDER, 1u << 2, "recorder")              /* records trace events */          \
  X(INSPECTOR, 1u << 3, "inspector")            /* records inspections (I6) */      \
  X(AUDITOR, 1u << 4, "auditor")                /* reads everything, writes none */ \
  X(SERVICE_USER, 1u << 5, "service_user")      /* queries traces */

enum {
#define SY_ROLE_ENUM(name, bit, text) SY_ROLE_##name = (bit),
  SY_ROLES(SY_ROLE_ENUM)
#undef SY_ROLE_ENUM
};
#define SY_ROLE_ALL 0x3fu

/* Parses "recorder,inspector" into a mask; SY_EINVAL names no role or an
 * unknown one. */
int sy_roles_parse(const char *list, uint32_t *mask);
/* Writes "recorder,inspector" into out (size >= 128). */
void sy_roles_format(uint32_t mask, char *out, size_t size);

/* ---- genesis ---------------------------------------------------------------- */
/* The genesis file is JSON (docs/format.md#genesis). Block 0 holds one
 * GENESIS transaction whose payload is the file's exact bytes and whose
 * "signature" is one zero byte (trust in genesis comes from its hash, which
 * is the chain's identity: the hash of block 0). */
typedef struct sy_genesis_info {
  char chain_id[SY_CHAIN_ID_MAX + 1];
  const sy_suite *suite;
  uint64_t created_ms;
  /* "features": rules that change which transactions are valid, each with
   * the height it applies from (docs/format.md#genesis). SY_NEVER when the
   * genesis does not name it. */
  uint64_t ext_events_height; /* epcis_extension_events */
} sy_genesis_info;

#define SY_NEVER UINT64_MAX

/* Checks a genesis document and extracts its identity. SY_EMALFORMED with
 * detail in err. */
int sy_genesis_check(const uint8_t *json, size_t len, sy_genesis_info *info, char *err,
                     size_t errlen);

/* ---- open / close ------------------------------------------------------------ */
typedef struct sy_ledger_opts {
  const char *path;          /* SQLite file; ":memory:" for a private in-memory ledger */
  const uint8_t *genesis;    /* genesis file bytes; required for a new ledger, checked
                                against block 0 for an existing one; may be NULL then */
  size_t genesis_len;
  const sy_key *node_key;    /* borrowed for the ledger's lifetime; seals (attests)
                                each block this node appends; may be NULL (verify) */
  int read_only;             /* open an existing ledger for queries and verify only */
  int readers;               /* size of the read connection pool; 0 = 8 */
  int scratch;               /* a file nobody needs after a crash (verify's replay): no
                                journal, no fsync, no readers — like ":memory:", but its
                                pages are the OS's to evict, not the process's */
} sy_ledger_opts;

/* Opens (creating and applying genesis when new). On failure returns a code
 * and, when err is given, a message. *out transferred. */
int sy_ledger_open(sy_ledger **out, const sy_ledger_opts *opts, char *err, size_t errlen);
void sy_ledger_close(sy_ledger *l);

const sy_suite *sy_ledger_suite(const sy_ledger *l);
/* Borrowed until close. */
const char *sy_ledger_chain_id(const sy_ledger *l);

/* 1 when a transaction in the next block may record events of an EPCIS
 * extension event type (genesis feature epcis_extension_events). */
int sy_ledger_records_extension_events(sy_ledger *l);

typedef struct sy_tip {
  uint64_t height;                    /* of the last block; genesis is 0 */
  uint8_t hash[SY_HASH_LEN];
  uint8_t results_hash[SY_HASH_LEN];
  uint64_t timestamp_ms;
  uint64_t position;                  /* last applied ordering position */
  uint64_t tx_count;                  /* all transactions, valid or not */
  uint64_t valid_tx_count;
  uint8_t genesis_hash[SY_HASH_LEN];
} sy_tip;

/* Snapshot of the chain's tip; cheap (kept in memory by the writer). */
int sy_ledger_tip(sy_ledger *l, sy_tip *out);

/* ---- admission ------------------------------------------------------------- */
/* Stateless and cheap stateful checks a node makes before it orders a
 * transaction: decodes raw, checks size (max_bytes), chain id, and — when
 * the signer is a known key — the signature. Safe from any thread.
 *   SY_EMALFORMED / SY_ETOOBIG / SY_EWRONGCHAIN / SY_EBADSIG: refuse it;
 *   SY_EEXIST: the same transaction is already in the chain;
 *   SY_OK: order it. *sig_checked says whether the signature was verified
 *   (0 when the signer is unknown: apply records it invalid, unknown_signer).
 * tx borrows from raw; id receives the transaction id. */
int sy_ledger_admit(sy_ledger *l, const uint8_t *raw, size_t len, size_t max_bytes, sy_tx *tx,
                    uint8_t id[SY_HASH_LEN], int *sig_checked);

/* Work apply does for an epcis.capture payload that depends on the payload
 * alone — schema validation and every event's CBV 2.0 hash id — done ahead,
 * on the admitting (HTTP) thread, so that the single writer does not.
 * NULL when tx is no capture, the payload is not a JSON object, or memory
 * ran out: apply then does the work itself. The result is the same either
 * way (same functions, same bytes; test_ledger_events compares the results
 * hashes); verify never uses it. Safe from any thread. */
typedef struct sy_capture_prep sy_capture_prep;
sy_capture_prep *sy_ledger_capture_prep(const sy_tx *tx);
void sy_capture_prep_free(sy_capture_prep *p);

/* ---- append (the single writer) -------------------------------------------- */
typedef struct sy_batch_tx {
  const uint8_t *raw; /* borrowed for the call */
  size_t len;
  int sig_checked;    /* 1: this process verified the signature at admission */
  const sy_capture_prep *prep; /* borrowed; NULL: apply validates and hashes */
} sy_batch_tx;

typedef struct sy_batch {
  const sy_batch_tx *txs;
  size_t n;                          /* 1..SY_BLOCK_MAX_TXS */
  uint64_t timestamp_ms;             /* block time: chosen by the orderer */
  uint8_t proposer[SY_KEYID_LEN];    /* node that ordered the batch */
  uint64_t position;                 /* ordering position (etcd revision, solo
                                        sequence); 0 = none. A batch at or
                                        below the applied position is skipped */
} sy_batch;

typedef struct sy_commit_info {
  uint64_t height;
  uint8_t block_hash[SY_HASH_LEN];
  int skipped;                       /* 1: position already applied; nothing done */
} sy_commit_info;

/* Applies the batch as the next block, durably (one SQLite transaction, one
 * fsync), and seals it with the node key when that key is a registered,
 * active node once the block is applied. flags_out[0..n) receives each
 * transaction's reason code (0 = valid). On error nothing was written:
 * SY_ENOSPC (disk full), SY_ESTORAGE (I/O), SY_ENOMEM, SY_EINVAL. */
int sy_ledger_append(sy_ledger *l, const sy_batch *b, uint16_t *flags_out, sy_commit_info *info);

/* Like sy_ledger_append, for a block received from another node (catch-up,
 * SPEC M8b): applies the batch and commits only when the block it makes
 * hashes to expect; otherwise rolls back and returns SY_EDIVERGED. */
int sy_ledger_append_expect(sy_ledger *l, const sy_batch *b, const uint8_t expect[SY_HASH_LEN],
                            uint16_t *flags, sy_commit_info *info);

/* Stores another node's attestation of our block at height after checking
 * it: SY_EPERM when the node was not a registered, active node at that
 * height (verify checks seals against the registry of each block), SY_ENOTFOUND when we have
 * no block there yet, SY_EBADSIG when the signature does not verify over
 * OUR (height, hash, results hash) — *matches = 0 then: either a forgery
 * or the other node computed a different block (divergence, SPEC M5a).
 * Writer-side: call from the thread that appends. */
int sy_ledger_add_attestation(sy_ledger *l, uint64_t height, const uint8_t node[SY_KEYID_LEN],
                              const uint8_t *sig, size_t sig_len, int *matches);

/* sy_ledger_add_attestation for n attestations in one SQLite transaction
 * (one fsync): results[i] receives each one's code. Returns SY_OK, or the
 * storage error that rolled all of them back. Writer-side. */
int sy_ledger_add_attestations(sy_ledger *l, size_t n, const uint64_t *heights,
                               const uint8_t (*nodes)[SY_KEYID_LEN], const uint8_t *const *sigs,
                               const size_t *sig_lens, int *results);

/* ---- queries ---------------------------------------------------------------- */
typedef struct sy_tx_info {
  uint8_t id[SY_HASH_LEN];
  uint64_t height;
  uint32_t index;
  uint16_t reason;
  uint8_t *raw;          /* owned */
  size_t raw_len;
  sy_tx tx;              /* decoded view borrowing raw; all zero when the
                            transaction was recorded as malformed_tx */
  sy_block_header block; /* header of the block holding it */
  uint8_t block_hash[SY_HASH_LEN];
  uint8_t (*proof)[SY_HASH_LEN]; /* owned: Merkle audit path to block.tx_root */
  size_t proof_len;
} sy_tx_info;

/* Looks a transaction up by id (the first occurrence when a duplicate was
 * also recorded). SY_ENOTFOUND when absent. Release with sy_tx_info_free. */
int sy_ledger_get_tx(sy_ledger *l, const uint8_t id[SY_HASH_LEN], sy_tx_info *out);
void sy_tx_info_free(sy_tx_info *t);

typedef struct sy_attestation {
  uint8_t node[SY_KEYID_LEN];
  uint8_t sig[SY_SIG_MAX];
  size_t sig_len;
} sy_attestation;

typedef struct sy_block_info {
  sy_block_header hdr;
  uint8_t hash[SY_HASH_LEN];
  uint8_t (*tx_ids)[SY_HASH_LEN]; /* owned, hdr.tx_count entries */
  uint16_t *flags;                /* owned, hdr.tx_count entries */
  uint8_t *types;                 /* owned, hdr.tx_count entries */
  sy_attestation *att;            /* owned */
  size_t natt;
} sy_block_info;

/* SY_ENOTFOUND past the tip. Release with sy_block_info_free. */
int sy_ledger_get_block(sy_ledger *l, uint64_t height, sy_block_info *out);
void sy_block_info_free(sy_block_info *b);

/* The whole block at height in the exchange format (core/block.h
 * sy_block_raw), appended to out. SY_ENOTFOUND past the tip. */
int sy_ledger_block_raw(sy_ledger *l, uint64_t height, sy_buf *out);

/* Attestation message: "SYAT" | height u64 | block hash | results hash. */
void sy_attestation_msg(uint64_t height, const uint8_t hash[SY_HASH_LEN],
                        const uint8_t results[SY_HASH_LEN], uint8_t out[4 + 8 + 64]);

typedef struct sy_member {
  uint8_t key_id[SY_KEYID_LEN];
  char org[65];
  char name[129];
  uint32_t roles;
  int revoked;
  uint64_t added_height;
  uint64_t revoked_height;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
} sy_member;

/* Calls fn for each member (of org, or all when org is NULL) in key order;
 * fn returning non-zero stops the walk. */
int sy_ledger_list_members(sy_ledger *l, const char *org,
                           int (*fn)(void *ctx, const sy_member *m), void *ctx);
int sy_ledger_get_member(sy_ledger *l, const uint8_t key_id[SY_KEYID_LEN], sy_member *out);

typedef struct sy_node_info {
  uint8_t key_id[SY_KEYID_LEN];
  char org[65];
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  char address[257];
  int removed;
  uint64_t added_height, removed_height;
} sy_node_info;

/* Registered nodes (SPEC M8), in org order; fn non-zero stops. */
int sy_ledger_list_nodes(sy_ledger *l, int (*fn)(void *ctx, const sy_node_info *n), void *ctx);
/* A node's public key; *active = 0 when removed. SY_ENOTFOUND. */
int sy_ledger_node_key(sy_ledger *l, const uint8_t id[SY_KEYID_LEN], uint8_t *pk, size_t *pk_len,
                       int *active);

typedef struct sy_ledger_counts {
  uint64_t orgs, members, active_members, nodes;
} sy_ledger_counts;
int sy_ledger_counts_get(sy_ledger *l, sy_ledger_counts *out);

/* ---- organisations' registry entries (SPEC I7; docs/codes.md) ---------------- */
/* An organisation and the query channels its labels print. The contact
 * comes from "contact": {"tel","sms","web"} in genesis or org.add, and from
 * org.contact transactions (the latest one wins); "" when not set. */
typedef struct sy_org {
  char id[65];
  char name[257];
  char tel[33], sms[33], web[257];
  uint64_t added_height;
  uint64_t contact_height; /* block of the contact in force; 0 = genesis or none */
} sy_org;

/* SY_OK, SY_ENOTFOUND, SY_EINVAL (id NULL or too long), SY_ESTORAGE. Safe
 * from any thread (also on a ":memory:" ledger, from its one thread). */
int sy_ledger_get_org(sy_ledger *l, const char *id, sy_org *out);

/* Contact field checks used by apply and the CLI: tel/sms 1-32 characters of
 * digits, '+', '-', ' ' with at least 3 digits; web an http:// or https://
 * URL of at most 256 printable ASCII characters without spaces, quotes or
 * angle brackets. "" (empty) is allowed by none of them: omit the field. */
int sy_contact_phone_ok(const char *s);
int sy_contact_web_ok(const char *s);

/* ---- anti-counterfeit codes (SPEC C4, GB/T 22258; docs/codes.md) ------------ */
/* A code is 80 random bits written as 16 Crockford base32 characters in
 * four groups ("7KQ2-M9XD-4HTP-R3WA"). The chain stores only its
 * commitment SHA-256("SYAC1" || salt || normalised code), where salt is the
 * chain's genesis hash: any node can look a code up from the code alone. */
#define SY_CODE_CHARS 16
#define SY_CODE_TEXT 20 /* 16 characters + 3 dashes + NUL */

/* Normalises user input: drops '-', ' ' and '.', upper-cases, maps O->0,
 * I and L->1. 0 and 16 characters in norm, or -1 when it is not a code. */
int sy_code_normalise(const char *in, char norm[SY_CODE_CHARS + 1]);
/* Formats 10 random bytes as "XXXX-XXXX-XXXX-XXXX". */
void sy_code_format(const uint8_t rnd[10], char out[SY_CODE_TEXT]);
/* The commitment of a normalised code under the chain's salt. */
void sy_code_commit(const uint8_t salt[SY_HASH_LEN], const char *norm, uint8_t out[SY_HASH_LEN]);

typedef struct sy_code {
  uint8_t commit[SY_HASH_LEN];
  char org[65];    /* the brand: the issuing signer's organisation */
  char gtin[15];
  char lot[21];
  char serial[21];
  uint64_t height;         /* issued in this block */
  uint64_t revoked_height; /* 0 = not revoked */
} sy_code;

/* Looks a commitment up. SY_OK, SY_ENOTFOUND, SY_ESTORAGE. */
int sy_ledger_get_code(sy_ledger *l, const uint8_t commit[SY_HASH_LEN], sy_code *out);

typedef struct sy_code_counts {
  uint64_t issued, revoked;
} sy_code_counts;
/* Counts an organisation's codes (gtin and lot optional: NULL = any). */
int sy_ledger_code_counts(sy_ledger *l, const char *org, const char *gtin, const char *lot,
                          sy_code_counts *out);

/* ---- verify (SPEC G2 tamper-evidence, M8c) --------------------------------- */
typedef struct sy_verify_report {
  int ok;                 /* 1 when every check passed */
  uint64_t blocks;        /* blocks checked */
  uint64_t txs;           /* transactions checked */
  uint64_t bad_height;    /* first bad height when !ok */
  char what[256];         /* what is wrong there */
} sy_verify_report;

/* Re-checks a ledger file from genesis: header hashes and the hash chain,
 * heights without gaps, Merkle roots, transaction signatures, block seals,
 * then replays every block into a private in-memory ledger and compares
 * validity flags and results hashes. Opens its own read-only connection, so
 * it works on a stopped node's file or on a live one (snapshot). Returns
 * SY_OK when the check ran (see r->ok), or an error when it could not run.
 * progress, if given, is called every 1000 blocks. */
int sy_ledger_verify(const char *path, sy_verify_report *r,
                     void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx);

#endif
