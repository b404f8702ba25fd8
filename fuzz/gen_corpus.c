/* Seed corpus generator for the fuzz targets (fuzz/README.md).
 *
 *   build/sy_fuzz_gen fuzz/corpus
 *
 * Writes gen-* files into <dir>/<target>/ for every target; other files
 * there (regress-* minimized crash inputs, hand-added seeds) are left
 * alone. The output is deterministic (fixed key seed, fixed clocks,
 * Ed25519 signatures are deterministic), so running it again changes no
 * committed file unless this generator or the formats changed. Run by
 * hand; the output is committed.
 *
 * Everything written here is our own input: transactions, blocks and
 * genesis files built with the project's encoders, EPCIS documents written
 * for this corpus in the style of tests/test_epcis_*.c. Nothing is copied
 * from ../shared/anchors (the replay tests read the anchors in place). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/block.h"
#include "core/merkle.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "core/tx.h"
#include "crypto/key_internal.h"
#include "crypto/suite.h"
#include "fuzz_common.h"

static const char *g_root;
static int g_files;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sy_fuzz_gen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static void put_file(const char *target, const char *name, const void *p, size_t n) {
  char dir[2048], path[4096];
  int dn = snprintf(dir, sizeof dir, "%s/%s", g_root, target);
  if (dn < 0 || (size_t)dn >= sizeof dir) die("path too long");
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("mkdir %s: %s", dir, strerror(errno));
  int pn = snprintf(path, sizeof path, "%s/gen-%.1000s", dir, name);
  if (pn < 0 || (size_t)pn >= sizeof path) die("path too long");
  if (n > 64 * 1024) die("%s: %zu bytes, over the 64 KiB corpus file limit", path, n);
  FILE *f = fopen(path, "wb");
  if (!f) die("open %s: %s", path, strerror(errno));
  if ((n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) die("write %s failed", path);
  g_files++;
}

static void put_text(const char *target, const char *name, const char *text) {
  put_file(target, name, text, strlen(text));
}

/* put_text with ' turned into " (keeps JSON in C strings readable). */
static void put_json(const char *target, const char *name, const char *text) {
  char *t = strdup(text);
  if (!t) die("out of memory");
  for (char *p = t; *p; p++)
    if (*p == '\'') *p = '"';
  put_text(target, name, t);
  free(t);
}

/* ---- keys and transactions --------------------------------------------------------- */

static const sy_suite *g_suite;
static sy_key *g_key, *g_other;
static char g_pk_hex[2 * SY_PK_MAX + 1];

static void keys(void) {
  if (sy_crypto_init() != SY_OK) die("crypto init failed");
  g_suite = sy_suite_default();
  uint8_t other_seed[32];
  memset(other_seed, 0x42, sizeof other_seed);
  if (sy_key_from_seed(g_suite, FUZZ_KEY_SEED, sizeof FUZZ_KEY_SEED, &g_key) != SY_OK ||
      sy_key_from_seed(g_suite, other_seed, sizeof other_seed, &g_other) != SY_OK)
    die("cannot make the corpus keys");
  size_t pk_len;
  const uint8_t *pk = sy_key_public(g_key, &pk_len);
  sy_hex_encode(g_pk_hex, pk, pk_len);
}

static sy_buf signed_tx(const sy_key *k, uint8_t type, const char *chain, uint64_t nonce,
                        const char *payload) {
  sy_buf b = {0};
  if (sy_key_sign_tx(k, &b, type, chain, 1764100000000ull + nonce, nonce, (const uint8_t *)payload,
                     strlen(payload)) != SY_OK)
    die("signing failed");
  return b;
}

/* A tx with a chosen signature (length, bytes) over a normal body. */
static sy_buf raw_tx(uint8_t type, const char *chain, size_t chain_len, const uint8_t *payload,
                     size_t payload_len, const uint8_t *sig, size_t sig_len) {
  sy_buf body = {0}, b = {0};
  if (sy_tx_encode_body(&body, type, chain, chain_len, sy_key_id_of(g_key), 1764100000000ull, 7,
                        payload, payload_len) != SY_OK ||
      sy_tx_encode(&b, body.p, body.len, sig, sig_len) != SY_OK)
    die("encoding failed");
  sy_buf_free(&body);
  return b;
}

/* Writes tx to tx_decode as is and to envelope_verify behind mode byte 0. */
static void put_tx(const char *name, const uint8_t *p, size_t n) {
  put_file("tx_decode", name, p, n);
  uint8_t *e = malloc(n + 1);
  if (!e) die("out of memory");
  e[0] = 0;
  memcpy(e + 1, p, n);
  put_file("envelope_verify", name, e, n + 1);
  free(e);
}

#define EPCIS_SMALL                                                                     \
  "{'@context':['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],"     \
  "'type':'EPCISDocument','schemaVersion':'2.0','creationDate':'2026-11-25T08:00:00Z'," \
  "'epcisBody':{'eventList':[{'type':'ObjectEvent','eventTime':'2026-11-25T08:00:00Z'," \
  "'eventTimeZoneOffset':'+08:00','epcList':['urn:epc:id:sgtin:0614141.107346.2017'],"  \
  "'action':'OBSERVE','bizStep':'shipping'}]}}"

static void transactions(void) {
  char payload[1024];
  struct {
    const char *name;
    uint8_t type;
    const char *payload;
  } good[] = {
      {"org-add", SY_TX_ORG_ADD, NULL},
      {"member-add", SY_TX_MEMBER_ADD, NULL},
      {"member-revoke", SY_TX_MEMBER_REVOKE, "{\"key_id\":\"00112233445566778899aabbccddeeff\"}"},
      {"node-add", SY_TX_NODE_ADD, NULL},
      {"node-remove", SY_TX_NODE_REMOVE, "{\"key_id\":\"ffeeddccbbaa99887766554433221100\"}"},
      {"record", SY_TX_RECORD, "{\"bizStep\":\"commissioning\",\"lot\":\"L1\"}"},
      {"record-empty-payload", SY_TX_RECORD, ""},
      {"epcis-capture", SY_TX_EPCIS_CAPTURE, NULL},
      {"unknown-type", 200, "{}"},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    const char *pl = good[i].payload;
    if (!pl) {
      switch (good[i].type) {
        case SY_TX_ORG_ADD:
          snprintf(payload, sizeof payload,
                   "{\"id\":\"mill\",\"name\":\"Tea Mill\",\"admins\":[{\"public_key\":\"%s\","
                   "\"name\":\"a\"}]}",
                   g_pk_hex);
          break;
        case SY_TX_MEMBER_ADD:
          snprintf(payload, sizeof payload,
                   "{\"org\":\"coop\",\"public_key\":\"%s\",\"roles\":[\"recorder\"],"
                   "\"name\":\"alice\"}",
                   g_pk_hex);
          break;
        case SY_TX_NODE_ADD:
          snprintf(payload, sizeof payload,
                   "{\"org\":\"coop\",\"public_key\":\"%s\",\"address\":\"http://127.0.0.1:7421\"}",
                   g_pk_hex);
          break;
        default: { /* the EPCIS document with ' turned into " */
          snprintf(payload, sizeof payload, "%s", EPCIS_SMALL);
          for (char *p = payload; *p; p++)
            if (*p == '\'') *p = '"';
        }
      }
      pl = payload;
    }
    sy_buf b = signed_tx(g_key, good[i].type, FUZZ_CHAIN_ID, i + 1, pl);
    put_tx(good[i].name, b.p, b.len);
    sy_buf_free(&b);
  }
  /* Signed by another key; and for another chain id. */
  sy_buf b = signed_tx(g_other, SY_TX_RECORD, FUZZ_CHAIN_ID, 1, "{\"k\":1}");
  put_tx("other-key", b.p, b.len);
  sy_buf_free(&b);
  char chain64[65];
  memset(chain64, 'c', 64);
  chain64[64] = '\0';
  b = signed_tx(g_key, SY_TX_RECORD, chain64, 2, "{\"k\":2}");
  put_tx("chain-id-64", b.p, b.len);
  sy_buf_free(&b);
  b = signed_tx(g_key, SY_TX_RECORD, "x", 3, "{\"k\":3}");
  put_tx("chain-id-1", b.p, b.len);

  /* Malformed variants of a good one. */
  put_tx("truncated", b.p, b.len - 1);
  sy_buf_u8(&b, 0);
  put_tx("trailing-byte", b.p, b.len);
  b.len--;
  b.p[4] = 'X'; /* magic */
  put_tx("bad-magic", b.p, b.len);
  sy_buf_free(&b);

  static const uint8_t one_zero = 0;
  uint8_t sig255[255];
  memset(sig255, 0xa5, sizeof sig255);
  const uint8_t gp[] = "{\"chain_id\":\"fuzz-chain\"}";
  b = raw_tx(SY_TX_GENESIS, FUZZ_CHAIN_ID, strlen(FUZZ_CHAIN_ID), gp, sizeof gp - 1, &one_zero, 1);
  put_tx("genesis-unsigned", b.p, b.len);
  sy_buf_free(&b);
  b = raw_tx(SY_TX_RECORD, FUZZ_CHAIN_ID, strlen(FUZZ_CHAIN_ID), gp, sizeof gp - 1, sig255, 255);
  put_tx("sig-255", b.p, b.len);
  /* sig_len 0: the last byte of the body_len|body|sig_len prefix. */
  size_t body_len = b.len - 1 - 255 - 4;
  b.len = 4 + body_len + 1;
  b.p[b.len - 1] = 0;
  put_tx("sig-len-0", b.p, b.len);
  sy_buf_free(&b);

  /* Hand-assembled bodies with out-of-range fields. */
  struct {
    const char *name;
    uint8_t chain_len;
    uint32_t payload_len;
    size_t payload_have;
  } odd[] = {
      {"chain-id-0", 0, 2, 2},
      {"chain-id-65", 65, 2, 2},
      {"payload-len-too-big", 4, SY_TX_PAYLOAD_MAX + 1, 0},
      {"payload-len-runs-past", 4, 100, 3},
      {"payload-len-max-u32", 4, 0xffffffffu, 0},
  };
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    sy_buf body = {0};
    sy_buf_put(&body, "SYT1", 4);
    sy_buf_u8(&body, SY_TX_RECORD);
    sy_buf_u8(&body, odd[i].chain_len);
    for (int c = 0; c < odd[i].chain_len; c++) sy_buf_u8(&body, 'c');
    sy_buf_put(&body, sy_key_id_of(g_key), SY_KEYID_LEN);
    sy_buf_u64(&body, 1);
    sy_buf_u64(&body, 2);
    sy_buf_u32(&body, odd[i].payload_len);
    sy_buf_put(&body, "{}{}", odd[i].payload_have);
    sy_buf env = {0};
    sy_buf_u32(&env, (uint32_t)body.len);
    sy_buf_put(&env, body.p, body.len);
    sy_buf_u8(&env, 1);
    sy_buf_u8(&env, 0);
    put_tx(odd[i].name, env.p, env.len);
    sy_buf_free(&body);
    sy_buf_free(&env);
  }
  /* body_len claims more than there is; and the smallest inputs. */
  static const uint8_t claims[] = {0xff, 0xff, 0xff, 0xff, 'S', 'Y', 'T', '1'};
  put_tx("body-len-runs-past", claims, sizeof claims);
  put_tx("empty", (const uint8_t *)"", 0);
  put_tx("three-bytes", (const uint8_t *)"\x01\x00\x00", 3);
}

/* ---- blocks ------------------------------------------------------------------------- */

static void blocks(void) {
  /* Block 1 of a chain: three txs, their Merkle root, flags, hashes. */
  uint8_t ids[3][SY_HASH_LEN];
  for (int i = 0; i < 3; i++) {
    sy_buf b = signed_tx(g_key, SY_TX_RECORD, FUZZ_CHAIN_ID, 100 + (uint64_t)i, "{\"n\":1}");
    sy_tx tx;
    if (sy_tx_decode(&tx, b.p, b.len) != SY_OK) die("decode failed");
    sy_tx_id(&tx, g_suite->hash, ids[i]);
    sy_buf_free(&b);
  }
  sy_block_header h;
  memset(&h, 0, sizeof h);
  h.height = 1;
  memset(h.prev_hash, 0x11, SY_HASH_LEN);
  if (sy_merkle_root((const uint8_t(*)[SY_HASH_LEN])ids, 3, g_suite->hash, h.tx_root) != SY_OK)
    die("merkle failed");
  uint16_t flags[3] = {SY_R_VALID, SY_R_BAD_SIGNATURE, SY_R_DUPLICATE_EVENT};
  uint8_t fenc[6];
  sy_block_flags_encode(flags, 3, fenc);
  sy_block_flags_hash(fenc, sizeof fenc, g_suite->hash, h.flags_hash);
  memset(h.results_hash, 0x22, SY_HASH_LEN);
  h.timestamp_ms = 1764100000123ull;
  memcpy(h.proposer, sy_key_id_of(g_key), SY_KEYID_LEN);
  h.tx_count = 3;

  uint8_t buf[SY_BLOCK_HEADER_LEN + 64];
  sy_block_header_encode(&h, buf);
  put_file("block_header", "header", buf, SY_BLOCK_HEADER_LEN);
  memcpy(buf + SY_BLOCK_HEADER_LEN, fenc, sizeof fenc);
  put_file("block_header", "header-flags", buf, SY_BLOCK_HEADER_LEN + sizeof fenc);
  buf[SY_BLOCK_HEADER_LEN + sizeof fenc] = 0x7f;
  put_file("block_header", "header-flags-odd", buf, SY_BLOCK_HEADER_LEN + sizeof fenc + 1);
  /* Unknown reason codes. */
  uint16_t odd_flags[4] = {17, 255, 0x8000, 0xffff};
  sy_block_flags_encode(odd_flags, 4, buf + SY_BLOCK_HEADER_LEN);
  put_file("block_header", "header-unknown-reasons", buf, SY_BLOCK_HEADER_LEN + 8);

  /* Block 0 and extreme values. */
  memset(&h, 0, sizeof h);
  sy_block_header_encode(&h, buf);
  put_file("block_header", "genesis-header", buf, SY_BLOCK_HEADER_LEN);
  memset(&h, 0xff, sizeof h);
  sy_block_header_encode(&h, buf);
  put_file("block_header", "all-ones", buf, SY_BLOCK_HEADER_LEN);
  put_file("block_header", "short", buf, SY_BLOCK_HEADER_LEN - 1);
  buf[0] = 'Z';
  put_file("block_header", "bad-magic", buf, SY_BLOCK_HEADER_LEN);
  put_file("block_header", "magic-only", "SYB1", 4);
}

/* ---- Merkle proofs (envelope_verify, mode byte 1) ---------------------------------------- */

static void merkle(void) {
  /* Structured mode: n = b0 % 64 + 1, index = b1 % n, rest XORed into the path. */
  static const struct {
    const char *name;
    uint8_t n, index;
    size_t xor_len;
  } s[] = {{"merkle-1-leaf", 0, 0, 0},
           {"merkle-7-leaves", 6, 5, 0},
           {"merkle-64-leaves", 63, 40, 0},
           {"merkle-tampered", 12, 3, 40},
           {"merkle-13-last", 12, 12, 0}};
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    uint8_t in[3 + 64];
    in[0] = 1;
    in[1] = s[i].n;
    in[2] = s[i].index;
    for (size_t k = 0; k < s[i].xor_len; k++) in[3 + k] = (uint8_t)(k == 33 ? 0x80 : 0);
    put_file("envelope_verify", s[i].name, in, 3 + s[i].xor_len);
  }
  /* Raw mode with a real proof: id | index u64 | n u64 | root | path. */
  enum { N = 11, INDEX = 6 };
  uint8_t ids[N][SY_HASH_LEN], root[SY_HASH_LEN], path[SY_MERKLE_MAX_DEPTH][SY_HASH_LEN];
  for (int i = 0; i < N; i++) memset(ids[i], 0x30 + i, SY_HASH_LEN);
  size_t path_len = 0;
  if (sy_merkle_root((const uint8_t(*)[SY_HASH_LEN])ids, N, g_suite->hash, root) != SY_OK ||
      sy_merkle_proof((const uint8_t(*)[SY_HASH_LEN])ids, N, INDEX, g_suite->hash, path,
                      &path_len) != SY_OK)
    die("merkle failed");
  sy_buf b = {0};
  sy_buf_u8(&b, 1);
  sy_buf_put(&b, ids[INDEX], SY_HASH_LEN);
  sy_buf_u64(&b, INDEX);
  sy_buf_u64(&b, N);
  sy_buf_put(&b, root, SY_HASH_LEN);
  sy_buf_put(&b, path, path_len * SY_HASH_LEN);
  put_file("envelope_verify", "merkle-raw-proof", b.p, b.len);
  /* The same with a huge tree size and an extra hash. */
  sy_buf_put(&b, root, SY_HASH_LEN);
  memset(b.p + 1 + SY_HASH_LEN + 8, 0xff, 8);
  put_file("envelope_verify", "merkle-raw-huge-n", b.p, b.len);
  sy_buf_free(&b);
}

/* ---- genesis ------------------------------------------------------------------------------ */

static void genesis(void) {
  char g[2048];
  snprintf(g, sizeof g,
           "{\"chain_id\": \"tea\", \"suite\": \"ed25519-sha256\", \"created_ms\": 1764100000000,\n"
           " \"orgs\":  [{\"id\": \"coop\", \"name\": \"West Lake Tea Cooperative\",\n"
           "            \"admins\": [{\"name\": \"admin\", \"public_key\": \"%s\"}]}],\n"
           " \"nodes\": [{\"org\": \"coop\", \"public_key\": \"%s\", \"address\": "
           "\"http://127.0.0.1:7420\"}]}\n",
           g_pk_hex, g_pk_hex);
  put_text("genesis", "docs-example.json", g);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"a.b_c-1\",\"suite\":\"ed25519-sha256\",\"created_ms\":0,"
           "\"orgs\":[{\"id\":\"o1\",\"name\":\"\",\"admins\":[{\"public_key\":\"%s\"},"
           "{\"public_key\":\"%s\"}]},{\"id\":\"o2\",\"name\":\"two\",\"admins\":[{"
           "\"public_key\":\"%s\"}]}]}",
           g_pk_hex, g_pk_hex, g_pk_hex);
  put_text("genesis", "two-orgs-no-nodes.json", g);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"n\",\"admins\":[{\"public_key\":\"%s\"}]},"
           "{\"id\":\"o\",\"name\":\"n\",\"admins\":[{\"public_key\":\"%s\"}]}]}",
           g_pk_hex, g_pk_hex);
  put_text("genesis", "duplicate-org.json", g);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"n\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"p\",\"public_key\":\"%s\"},{\"org\":5}]}",
           g_pk_hex, g_pk_hex);
  put_text("genesis", "node-unknown-org.json", g);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"n\",\"admins\":[{\"public_key\":\"%s\"}]},"
           "{\"name\":\"no id\",\"admins\":[]}],\"nodes\":{}}",
           g_pk_hex);
  put_text("genesis", "org-without-id.json", g);
  put_text("genesis", "bad-suite.json",
           "{\"chain_id\":\"t\",\"suite\":\"sm2-sm3\",\"created_ms\":1,\"orgs\":[]}");
  put_text("genesis", "bad-chain-id.json",
           "{\"chain_id\":\"t e\",\"suite\":\"ed25519-sha256\",\"created_ms\":1}");
  put_text("genesis", "created-negative.json",
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":-1}");
  put_text("genesis", "created-huge.json",
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":1e300}");
  put_text("genesis", "short-key.json",
           "{\"chain_id\":\"t\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,\"orgs\":[{\"id\":"
           "\"o\",\"name\":\"n\",\"admins\":[{\"public_key\":\"abcd\"}]}]}");
  put_text("genesis", "not-object.json", "[1,2,3]");
  put_text("genesis", "empty", "");
}

/* ---- keystores ------------------------------------------------------------------------------ */

static void keystores(void) {
  /* The shape sy_keystore_save writes (keystore.c), with made-up salt,
   * nonce and ciphertext of the right lengths: the load runs the KDF (at
   * libsodium's minimum cost here) and fails at the MAC. */
  static const char *const limits[][3] = {
      {"minimal-kdf.json", "1", "8192"},
      {"interactive-kdf.json", "2", "67108864"}, /* sy_keystore_load skipped: > 1 MiB */
      {"ops-zero.json", "0", "8192"},
      {"mem-too-small.json", "1", "8191"},
      {"ops-too-big.json", "5", "8192"},
      {"mem-huge.json", "4", "1e300"},
      {"ops-fraction.json", "1.5", "8192.5"},
      {"ops-string.json", "\"1\"", "8192"},
  };
  char ks[2048];
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    snprintf(ks, sizeof ks,
             "{\n  \"version\": 1,\n  \"suite\": \"ed25519-sha256\",\n"
             "  \"key_id\": \"00112233445566778899aabbccddeeff\",\n  \"public_key\": \"%s\",\n"
             "  \"kdf\": \"argon2id13\",\n  \"opslimit\": %s,\n  \"memlimit\": %s,\n"
             "  \"salt\": \"000102030405060708090a0b0c0d0e0f\",\n"
             "  \"cipher\": \"xsalsa20poly1305\",\n"
             "  \"nonce\": \"000102030405060708090a0b0c0d0e0f1011121314151617\",\n"
             "  \"ciphertext\": \"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
             "202122232425262728292a2b2c2d2e2f\"\n}\n",
             g_pk_hex, limits[i][1], limits[i][2]);
    put_text("keystore", limits[i][0], ks);
  }
  put_text("keystore", "unknown-suite.json",
           "{\"suite\":\"rsa\",\"opslimit\":1,\"memlimit\":8192,\"public_key\":\"00\"}");
  put_text("keystore", "short-hex.json",
           "{\"suite\":\"ed25519-sha256\",\"opslimit\":1,\"memlimit\":8192,\"salt\":\"00\","
           "\"nonce\":\"zz\",\"ciphertext\":\"\",\"public_key\":\"00\"}");
  put_text("keystore", "not-json", "not a keystore\n");
  put_file("keystore", "nul-inside.json", "{\"suite\":\0\"x\"}", 16);
  put_text("keystore", "empty", "");
  /* One byte over the 8 KiB file limit. */
  char *big = malloc(8193);
  if (!big) die("out of memory");
  memset(big, ' ', 8193);
  big[0] = '{';
  big[8192] = '}';
  put_file("keystore", "over-8k.json", big, 8193);
  free(big);
}

/* ---- base64 / hex --------------------------------------------------------------------------- */

static void b64_hex(void) {
  static const char *const s[][2] = {
      {"b64-pad2", "QQ=="},
      {"b64-pad1", "QUI="},
      {"b64-nopad", "QUJD"},
      {"b64-noncanonical", "QR=="},
      {"b64-pad-middle", "QQ==QUJD"},
      {"b64-bad-char", "QU-D"},
      {"b64-long", "c3V5dWFuIGZ1enogY29ycHVzIGJhc2U2NCBzZWVk"},
      {"hex-lower", "00ff10ab"},
      {"hex-upper", "00FF10AB"},
      {"hex-odd", "abc"},
      {"hex-bad", "0g"},
      {"hex-key", NULL},
  };
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
    put_text("b64_hex", s[i][0], s[i][1] ? s[i][1] : g_pk_hex);
  put_file("b64_hex", "binary", "\x00\xff\x80\x7f=\n", 6);
}

/* ---- EPCIS --------------------------------------------------------------------------------- */

#define CTX                                                            \
  "['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'," \
  "{'example':'http://ns.example.com/epcis/'}]"
#define HEAD                                       \
  "{'@context':" CTX                               \
  ",'type':'EPCISDocument','schemaVersion':'2.0'," \
  "'creationDate':'2026-11-25T08:00:00Z','epcisBody':{'eventList':["
#define TAIL "]}}"
#define T_OK "'eventTime':'2026-11-25T08:00:00.000+08:00','eventTimeZoneOffset':'+08:00'"
#define SGTIN "'urn:epc:id:sgtin:0614141.107346.2017'"
#define DL_SGTIN "'https://id.gs1.org/01/09520123456788/21/12345'"
#define SGLN "'urn:epc:id:sgln:0614141.07346.1234'"

static const struct {
  const char *name;
  const char *json;
} EPCIS_JSON[] = {
    {"object-add.json", HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN "," DL_SGTIN
                             "],'action':'ADD','bizStep':'commissioning','disposition':'active',"
                             "'readPoint':{'id':" SGLN
                             "},'bizLocation':{'id':'urn:epc:id:sgln:0614141.07346.0'}}" TAIL},
    {"object-full.json", HEAD
     "{'type':'ObjectEvent'," T_OK ",'eventID':'urn:uuid:6d4b9e5a-2f7a-4d1e-9b55-3c2c8e5b1a00',"
     "'recordTime':'2026-11-25T08:00:01Z','epcList':[" SGTIN "],'action':'OBSERVE',"
     "'bizStep':'receiving','disposition':'in_progress','persistentDisposition':{'set':["
     "'completeness_verified'],'unset':['completeness_inferred']},'readPoint':{'id':" SGLN
     "},'bizTransactionList':[{'type':'po','bizTransaction':'urn:epcglobal:cbv:bt:"
     "0614141073467:1152'}],'quantityList':[{'epcClass':'urn:epc:class:lgtin:4012345.012345."
     "998877','quantity':200.5,'uom':'KGM'}],'sourceList':[{'type':'owning_party','source':"
     "'urn:epc:id:pgln:0614141.00001'}],'destinationList':[{'type':'location','destination':"
     "'urn:epc:id:sgln:0614141.00777.0'}],'ilmd':{'example:bestBefore':'2027-01-01'},"
     "'certificationInfo':'https://cert.example.com/c/1','example:myField':{'example:a':"
     "[1,2,{'@value':'x'}]}}" TAIL},
    {"aggregation.json",
     HEAD "{'type':'AggregationEvent'," T_OK ",'parentID':'urn:epc:id:sscc:0614141.1234567890',"
          "'childEPCs':[" SGTIN "],'childQuantityList':[{'epcClass':'urn:epc:idpat:sgtin:"
          "4012345.098765.*','quantity':10}],'action':'ADD','bizStep':'packing',"
          "'disposition':'in_progress'}" TAIL},
    {"transaction.json",
     HEAD "{'type':'TransactionEvent'," T_OK ",'bizTransactionList':[{'type':'inv',"
          "'bizTransaction':'urn:epcglobal:cbv:bt:0614141073467:INV1'}],'parentID':"
          "'https://id.gs1.org/00/106141412345678908','epcList':[" DL_SGTIN
          "],'action':'DELETE','bizStep':'shipping'}" TAIL},
    {"transformation.json",
     HEAD "{'type':'TransformationEvent'," T_OK ",'inputEPCList':[" SGTIN "],"
          "'inputQuantityList':[{'epcClass':'https://id.gs1.org/01/04012345123456/10/998877',"
          "'quantity':3.5,'uom':'KGM'}],'outputEPCList':['urn:epc:id:sgtin:0614141.107346.2018'],"
          "'transformationID':'urn:epc:id:gdti:0614141.12345.400','bizStep':'commissioning',"
          "'ilmd':{'example:lot':'L1'}}" TAIL},
    {"association.json",
     HEAD "{'type':'AssociationEvent'," T_OK ",'parentID':'urn:epc:id:grai:4012345.55555.987',"
          "'childEPCs':['urn:epc:id:giai:4000001.12345'],'action':'ADD','bizStep':'assembling',"
          "'readPoint':{'id':'urn:epc:id:sgln:4012345.00001.0'}}" TAIL},
    {"sensor.json",
     HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN "],'action':'OBSERVE',"
          "'bizStep':'inspecting','sensorElementList':[{'sensorMetadata':{'time':"
          "'2026-11-25T07:59:00Z','deviceID':'urn:epc:id:giai:4000001.111',"
          "'rawData':'https://example.org/raw/1'},'sensorReport':[{'type':'Temperature',"
          "'value':26.0,'uom':'CEL','minValue':-5,'maxValue':1e2},{'type':'gs1:AbsoluteHumidity',"
          "'exception':'ALARM_CONDITION','booleanValue':true,'hexBinaryValue':'0aFF',"
          "'uriValue':'urn:x:y','stringValue':'s','component':'x','coordinateReferenceSystem':"
          "'http://www.opengis.net/def/crs/EPSG/0/4979'}]}]}" TAIL},
    {"error-declaration.json",
     HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN "],'action':'OBSERVE',"
          "'errorDeclaration':{'declarationTime':'2026-11-26T00:00:00Z','reason':"
          "'incorrect_data','correctiveEventIDs':['ni:///sha-256;"
          "00000000000000000000000000000000000000000000000000000000000000aa?ver=CBV2.0'],"
          "'example:note':'typo'}}" TAIL},
    {"two-events-ignore-fields.json",
     "{'@context':" CTX ",'type':'EPCISDocument','schemaVersion':'2.0',"
     "'creationDate':'2026-11-25T08:00:00Z','example:ignoreFields':['example:tmp'],"
     "'epcisBody':{'eventList':[{'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN
     "],'action':'OBSERVE','example:tmp':1},{'type':'ObjectEvent'," T_OK ",'epcList':[],"
     "'action':'OBSERVE','bizStep':'urn:epcglobal:cbv:bizstep:shipping'}]}}"},
    {"query-document.json",
     "{'@context':" CTX ",'type':'EPCISQueryDocument','schemaVersion':'2.0',"
     "'creationDate':'2026-11-25T08:00:00Z','epcisBody':{'queryResults':{'queryName':"
     "'SimpleEventQuery','resultsBody':{'eventList':[{'type':'ObjectEvent'," T_OK
     ",'epcList':[" SGTIN "],'action':'OBSERVE'}]}}}}"},
    {"bare-event.json", "{'@context':" CTX ",'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN
                        "],'action':'OBSERVE','bizStep':'shipping','example:x':'1'}"},
    {"extension-event-type.json", HEAD "{'type':'example:MyEvent'," T_OK ",'example:a':1}" TAIL},
    {"invalid-bizstep.json", HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':[" SGTIN
                                  "],'action':'OBSERVE','bizStep':'transforming'}" TAIL},
    {"invalid-time-and-epc.json",
     HEAD "{'type':'ObjectEvent','eventTime':'2026-02-30T25:00:00','eventTimeZoneOffset':'+8:00',"
          "'epcList':['urn:epc:id:sgtin:0614141.107346','URN:EPC:ID:SSCC:1.2',"
          "'https://id.gs1.org/01/09520123456789'],'action':'MOVE','quantityList':[{'quantity':"
          "'x'}],'unknownField':true}" TAIL},
    {"duplicate-keys.json", HEAD "{'type':'ObjectEvent','type':'ObjectEvent'," T_OK
                                 ",'epcList':[" SGTIN "," SGTIN "],'action':'OBSERVE'}" TAIL},
    {"undeclared-prefix.json",
     HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':[],'action':'OBSERVE','other:x':1,"
          "'ilmd':{'nonamespace':1}}" TAIL},
    {"empty-list.json", HEAD TAIL},
    {"event-not-object.json", HEAD "1,'x',null,[]" TAIL},
    {"leap-second.json",
     HEAD "{'type':'ObjectEvent','eventTime':'2016-12-31T23:59:60Z','eventTimeZoneOffset':"
          "'-14:00','epcList':[" SGTIN "],'action':'OBSERVE'}" TAIL},
    {"unicode-escapes.json",
     HEAD "{'type':'ObjectEvent'," T_OK ",'epcList':['urn:x:\\u00e9\\ud83d\\ude00','urn:x:a%zz'],"
          "'action':'OBSERVE','example:k\\u0000ey':'v\\u0001'}" TAIL},
    {"not-epcis.json", "{'hello':[1,2,{'type':'ObjectEvent'}],'type':7}"},
};

static const struct {
  const char *name;
  const char *xml;
} EPCIS_XML[] = {
    {"object-2.0.xml",
     "<?xml version=\"1.0\"?>\n"
     "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:2\" schemaVersion=\"2.0\" "
     "creationDate=\"2026-11-25T08:00:00Z\" xmlns:e=\"https://ex.com/ns/\" "
     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
     "<EPCISBody><EventList><!-- c --><ObjectEvent>"
     "<eventTime>2026-11-25T11:00:30+01:00</eventTime><eventTimeZoneOffset>+01:00"
     "</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>"
     "<action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:shipping</bizStep>"
     "<readPoint><id>urn:epc:id:sgln:0614141.07346.0</id><e:x>1</e:x><e:y>2</e:y></readPoint>"
     "<bizTransactionList><bizTransaction type=\"urn:epcglobal:cbv:btt:po\">urn:x:1"
     "</bizTransaction></bizTransactionList>"
     "<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877"
     "</epcClass><quantity>200.0</quantity><uom>KGM</uom></quantityElement></quantityList>"
     "<sensorElementList><sensorElement><sensorReport type=\"gs1:Temperature\" value=\"26.0\" "
     "booleanValue=\"true\"/></sensorElement></sensorElementList>"
     "<e:ext xsi:type=\"xsd:string\" e:a=\"v\">t<e:sub>3</e:sub><e:sub>1</e:sub></e:ext>"
     "</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>\n"},
    {"aggregation-1.2.xml",
     "<epcis:EPCISDocument xmlns:epcis=\"urn:epcglobal:epcis:xsd:1\" schemaVersion=\"1.2\" "
     "creationDate=\"2026-11-25T08:00:00Z\"><EPCISBody><EventList><AggregationEvent>"
     "<eventTime>2026-11-25T08:00:00.123456Z</eventTime><eventTimeZoneOffset>+00:00"
     "</eventTimeZoneOffset><parentID>urn:epc:id:sscc:0614141.1234567890</parentID>"
     "<childEPCs><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></childEPCs><action>ADD</action>"
     "<bizStep>urn:epcglobal:cbv:bizstep:packing</bizStep><extension><childQuantityList>"
     "<quantityElement><epcClass>urn:epc:idpat:sgtin:4012345.098765.*</epcClass><quantity>10"
     "</quantity></quantityElement></childQuantityList></extension></AggregationEvent>"
     "<extension><TransformationEvent><eventTime>2026-11-25T08:00:00Z</eventTime>"
     "<inputEPCList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></inputEPCList>"
     "<outputEPCList/><ilmd><e:lot xmlns:e=\"urn:e\">L1</e:lot></ilmd></TransformationEvent>"
     "</extension></EventList></EPCISBody></epcis:EPCISDocument>"},
    {"query-document.xml",
     "<epcisq:EPCISQueryDocument xmlns:epcisq=\"urn:epcglobal:epcis-query:xsd:2\" "
     "schemaVersion=\"2.0\" creationDate=\"2026-11-25T08:00:00Z\"><EPCISBody>"
     "<epcisq:QueryResults><queryName>SimpleEventQuery</queryName><subscriptionID>s1"
     "</subscriptionID><resultsBody><EventList><ObjectEvent><eventTime>2026-11-25T08:00:00Z"
     "</eventTime><action>DELETE</action><errorDeclaration><declarationTime>2026-11-26T00:00:00Z"
     "</declarationTime><reason>urn:epcglobal:cbv:er:incorrect_data</reason><correctiveEventIDs>"
     "<correctiveEventID>urn:uuid:1</correctiveEventID></correctiveEventIDs></errorDeclaration>"
     "</ObjectEvent></EventList></resultsBody></epcisq:QueryResults></EPCISBody>"
     "</epcisq:EPCISQueryDocument>"},
    {"bare-event.xml",
     "<ObjectEvent xmlns:e=\"https://e/\"><action>ADD</action><e:a><e:b x=\"1\">2</e:b>"
     "<e:b/></e:a></ObjectEvent>"},
    {"ignore-fields.xml",
     "<EPCISDocument xmlns:e=\"https://e/\"><e:ignoreFields><e:tmp/></e:ignoreFields>"
     "<EPCISBody><EventList><ObjectEvent><action>ADD</action><e:tmp>1</e:tmp></ObjectEvent>"
     "</EventList></EPCISBody></EPCISDocument>"},
    {"entity.xml",
     "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
     "<EPCISDocument><EPCISBody><EventList><ObjectEvent><action>&b;</action></ObjectEvent>"
     "</EventList></EPCISBody></EPCISDocument>"},
    {"not-well-formed.xml", "<EPCISDocument><EPCISBody><EventList></EPCISBody>"},
    {"no-event-list.xml", "<foo/>"},
};

/* Deep nesting, just past the documented limits (100 levels). */
static void deep_docs(void) {
  char buf[8192];
  size_t o = 0;
  o += (size_t)snprintf(buf + o, sizeof buf - o,
                        "{\"type\":\"EPCISDocument\",\"epcisBody\":{\"eventList\":[{\"type\":"
                        "\"ObjectEvent\",\"action\":\"ADD\",\"ex:deep\":");
  for (int i = 0; i < 120; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "[");
  for (int i = 0; i < 120; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "]");
  o += (size_t)snprintf(buf + o, sizeof buf - o, "}]}}");
  put_file("epcis_validate", "deep.json", buf, o);
  put_file("epcis_hash", "deep.json", buf, o);
  o = (size_t)snprintf(buf, sizeof buf,
                       "<EPCISDocument xmlns:e=\"https://e/\"><EPCISBody><EventList><ObjectEvent>");
  for (int i = 0; i < 101; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "<e:a>");
  for (int i = 0; i < 101; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "</e:a>");
  o += (size_t)snprintf(buf + o, sizeof buf - o,
                        "</ObjectEvent></EventList></EPCISBody></EPCISDocument>");
  put_file("epcis_hash", "deep.xml", buf, o);
}

static void epcis(void) {
  for (size_t i = 0; i < sizeof EPCIS_JSON / sizeof EPCIS_JSON[0]; i++) {
    put_json("epcis_validate", EPCIS_JSON[i].name, EPCIS_JSON[i].json);
    put_json("epcis_hash", EPCIS_JSON[i].name, EPCIS_JSON[i].json);
  }
  for (size_t i = 0; i < sizeof EPCIS_XML / sizeof EPCIS_XML[0]; i++)
    put_text("epcis_hash", EPCIS_XML[i].name, EPCIS_XML[i].xml);
  deep_docs();
}

/* ---- identifiers --------------------------------------------------------------------------- */

static void identifiers(void) {
  static const char *const ids[] = {
      "urn:epc:id:sgtin:0614141.107346.2017",
      "urn:epc:id:sgtin:0614141.107346.%2F%25",
      "urn:epc:id:sscc:0614141.1234567890",
      "urn:epc:id:sgln:0614141.07346.1234",
      "urn:epc:id:grai:0614141.12345.400",
      "urn:epc:id:giai:0614141.12345ABC",
      "urn:epc:id:gsrn:0614141.1234567890",
      "urn:epc:id:gsrnp:0614141.1234567890",
      "urn:epc:id:gdti:0614141.12345.400",
      "urn:epc:id:cpi:0614141.123ABC.123456789",
      "urn:epc:id:sgcn:4012345.67890.04711",
      "urn:epc:id:ginc:0614141.xyz47%2F11",
      "urn:epc:id:gsin:0614141.123456789",
      "urn:epc:id:itip:4012345.012345.01.02.987",
      "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
      "urn:epc:id:pgln:1234567.89012",
      "urn:epc:id:gid:95100000.12345.400",
      "urn:epc:id:usdod:CAGE1.5678",
      "urn:epc:id:adi:2S194.12345.%23A%2F1",
      "urn:epc:id:bic:CSQU3054383",
      "urn:epc:id:imovn:9176187",
      "urn:epc:class:lgtin:4012345.012345.998877",
      "urn:epc:idpat:sgtin:4012345.012345.*",
      "urn:epc:idpat:sgtin:4012345.*.*",
      "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
      "urn:epc:id:sgtin:0614141.107346",
      "URN:EPC:ID:SGTIN:0614141.107346.2017",
      "https://id.gs1.org/01/09520123456788/21/12345",
      "https://id.gs1.org/01/09520123456788/10/ABC/21/1?17=271231",
      "https://example.com/gtin/09520123456788/lot/L1",
      "https://id.gs1.org/00/106141412345678908",
      "https://id.gs1.org/414/0614141073467/254/1",
      "https://id.gs1.org/417/0614141000005",
      "https://id.gs1.org/8003/006141411234531234",
      "https://id.gs1.org/8004/0614141ABC",
      "https://id.gs1.org/8006/040123450000013300102",
      "https://id.gs1.org/8010/0614141ABC/8011/9",
      "https://id.gs1.org/253/4602443000331XYZ",
      "https://id.gs1.org/255/0811205000018",
      "https://id.gs1.org/01/09520123456789",
      "https://id.gs1.org/01/9520123456788",
      "http://example.com/path%zz",
      "http://ex ample.com/",
      "urn:uuid:6d4b9e5a-2f7a-4d1e-9b55-3c2c8e5b1a00",
      "ni:///sha-256;00000000000000000000000000000000000000000000000000000000000000aa?ver=CBV2.0",
      "2026-11-25T08:00:00Z",
      "2026-11-25T08:00:00.123456789+14:00",
      "2024-02-29T23:59:60-00:30",
      "2023-02-29T00:00:00Z",
      "shipping",
      "urn:epcglobal:cbv:bizstep:shipping",
      "https://ref.gs1.org/cbv/BizStep-shipping",
      "cbv:BizStep-receiving",
      "in_progress",
      "urn:epcglobal:cbv:disp:in_progress",
      "gs1:Temperature",
      "Temperature",
      "https://gs1.org/voc/Temperature",
      "po",
      "urn:epcglobal:cbv:btt:po",
      "owning_party",
      "incorrect_data",
      "ALARM_CONDITION",
      "transforming",
      "urn:example:bizstep:x",
      "a:",
      ":",
      "",
  };
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "%02zu", i);
    put_text("epcis_ids", name, ids[i]);
  }
  put_file("epcis_ids", "utf8-bad", "urn:x:\xc3\x28\xed\xa0\x80\xc2\x85", 14);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR   (normally fuzz/corpus)\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  if (mkdir(g_root, 0755) != 0 && errno != EEXIST) die("mkdir %s: %s", g_root, strerror(errno));
  keys();
  transactions();
  blocks();
  merkle();
  genesis();
  keystores();
  b64_hex();
  epcis();
  identifiers();
  sy_key_free(g_key);
  sy_key_free(g_other);
  printf("%d corpus files written under %s\n", g_files, g_root);
  return 0;
}
