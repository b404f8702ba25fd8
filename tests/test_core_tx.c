/* Transaction envelope encoding (core/tx.h) and the hex/base64 helpers
 * (core/sy_hex.h). Hashes are computed here with OpenSSL's SHA256() directly,
 * so core/ is checked against an implementation it does not share. */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/sy_buf.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "core/tx.h"
#include "testutil.h"

/* An sy_hash_fn over OpenSSL's one-shot SHA256 (concatenates the parts). */
static void ref_sha256(const sy_slice *parts, size_t n, uint8_t out[SY_HASH_LEN]) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += parts[i].len;
  uint8_t *cat = malloc(total ? total : 1);
  if (!cat) abort();
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    if (parts[i].len) memcpy(cat + off, parts[i].p, parts[i].len);
    off += parts[i].len;
  }
  SHA256(cat, total, out);
  free(cat);
}

static const uint8_t SIGNER[SY_KEYID_LEN] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                             0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const char CHAIN[] = "tea-chain";
static const char PAYLOAD[] =
    "{\"type\":\"ObjectEvent\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.2017\"]}";

/* Builds a valid envelope with a 64-byte fake signature into out. */
static void make_tx(sy_buf *out, uint8_t type, uint64_t ts, uint64_t nonce, const uint8_t *payload,
                    size_t payload_len) {
  sy_buf body = {0};
  uint8_t sig[64];
  for (size_t i = 0; i < sizeof sig; i++) sig[i] = (uint8_t)(0x40 + i);
  CHECK_EQ(sy_tx_encode_body(&body, type, CHAIN, strlen(CHAIN), SIGNER, ts, nonce, payload,
                             payload_len),
           SY_OK);
  CHECK_EQ(sy_tx_encode(out, body.p, body.len, sig, sizeof sig), SY_OK);
  sy_buf_free(&body);
}

/* Hand-built body with arbitrary (possibly invalid) field values, to reach
 * decoder paths the encoder refuses to produce. */
static void raw_body(sy_buf *b, const char *magic, uint8_t chain_len, uint32_t payload_len_field,
                     size_t payload_bytes) {
  sy_buf_put(b, magic, 4);
  sy_buf_u8(b, SY_TX_RECORD);
  sy_buf_u8(b, chain_len);
  for (uint8_t i = 0; i < chain_len; i++) sy_buf_u8(b, (uint8_t)('a' + i % 26));
  sy_buf_put(b, SIGNER, SY_KEYID_LEN);
  sy_buf_u64(b, 1);
  sy_buf_u64(b, 2);
  sy_buf_u32(b, payload_len_field);
  if (payload_bytes) {
    uint8_t *z = calloc(1, payload_bytes);
    if (!z) abort();
    sy_buf_put(b, z, payload_bytes);
    free(z);
  }
}

/* Wraps a body in an envelope by hand (u32 len | body | u8 sig_len | sig). */
static void raw_env(sy_buf *out, const sy_buf *body, uint8_t sig_len) {
  sy_buf_u32(out, (uint32_t)body->len);
  sy_buf_put(out, body->p, body->len);
  sy_buf_u8(out, sig_len);
  for (uint8_t i = 0; i < sig_len; i++) sy_buf_u8(out, i);
}

static int decode_raw_body(const char *magic, uint8_t chain_len, uint32_t plen_field,
                           size_t plen_bytes, uint8_t sig_len) {
  sy_buf body = {0}, env = {0};
  raw_body(&body, magic, chain_len, plen_field, plen_bytes);
  raw_env(&env, &body, sig_len);
  CHECK_EQ(body.err, SY_OK);
  CHECK_EQ(env.err, SY_OK);
  sy_tx tx;
  int rc = sy_tx_decode(&tx, env.p, env.len);
  sy_buf_free(&body);
  sy_buf_free(&env);
  return rc;
}

static void test_roundtrip(void) {
  sy_buf env = {0};
  const uint64_t ts = 0x0123456789abcdefULL, nonce = UINT64_MAX - 5;
  make_tx(&env, SY_TX_RECORD, ts, nonce, (const uint8_t *)PAYLOAD, strlen(PAYLOAD));
  sy_tx tx;
  CHECK_EQ(sy_tx_decode(&tx, env.p, env.len), SY_OK);
  CHECK_EQ(tx.type, SY_TX_RECORD);
  CHECK_EQ(tx.chain_id_len, strlen(CHAIN));
  CHECK(memcmp(tx.chain_id, CHAIN, strlen(CHAIN)) == 0);
  CHECK(memcmp(tx.signer, SIGNER, SY_KEYID_LEN) == 0);
  CHECK(tx.timestamp_ms == ts);
  CHECK(tx.nonce == nonce);
  CHECK_EQ(tx.payload_len, strlen(PAYLOAD));
  CHECK(memcmp(tx.payload, PAYLOAD, strlen(PAYLOAD)) == 0);
  CHECK_EQ(tx.sig_len, 64);
  for (size_t i = 0; i < 64; i++) CHECK_EQ(tx.sig[i], 0x40 + i);
  /* Everything borrows from the envelope: body right after the u32 length. */
  CHECK(tx.raw == env.p);
  CHECK_EQ(tx.raw_len, env.len);
  CHECK(tx.body == env.p + 4);
  CHECK_EQ(tx.body_len, env.len - 4 - 1 - 64);
  CHECK(tx.sig == env.p + 4 + tx.body_len + 1);
  /* Pin the documented byte layout of the body. */
  const size_t clen = strlen(CHAIN);
  CHECK_EQ(tx.body_len, 4 + 1 + 1 + clen + SY_KEYID_LEN + 8 + 8 + 4 + strlen(PAYLOAD));
  CHECK(memcmp(tx.body, "SYT1", 4) == 0);
  CHECK_EQ(tx.body[4], SY_TX_RECORD);
  CHECK_EQ(tx.body[5], clen);
  CHECK(sy_load_u64(tx.body + 6 + clen + SY_KEYID_LEN) == ts);
  CHECK(sy_load_u64(tx.body + 6 + clen + SY_KEYID_LEN + 8) == nonce);
  CHECK_EQ(env.p[0] | env.p[1] << 8 | env.p[2] << 16 | (uint32_t)env.p[3] << 24, tx.body_len);
  sy_buf_free(&env);

  /* Every type, an empty payload, extreme integers, the longest chain id. */
  static const int types[] = {SY_TX_GENESIS,       SY_TX_ORG_ADD,  SY_TX_MEMBER_ADD,
                              SY_TX_MEMBER_REVOKE, SY_TX_NODE_ADD, SY_TX_NODE_REMOVE,
                              SY_TX_RECORD};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
    sy_buf e = {0};
    make_tx(&e, (uint8_t)types[t], 0, 0, NULL, 0);
    sy_tx d;
    CHECK_EQ(sy_tx_decode(&d, e.p, e.len), SY_OK);
    CHECK_EQ(d.type, types[t]);
    CHECK_EQ(d.payload_len, 0);
    CHECK(d.timestamp_ms == 0 && d.nonce == 0);
    sy_buf_free(&e);
  }
  char chain64[SY_CHAIN_ID_MAX];
  memset(chain64, 'z', sizeof chain64);
  sy_buf body = {0}, e = {0};
  uint8_t sig[1] = {7};
  CHECK_EQ(sy_tx_encode_body(&body, SY_TX_RECORD, chain64, sizeof chain64, SIGNER, UINT64_MAX,
                             UINT64_MAX, (const uint8_t *)"x", 1),
           SY_OK);
  CHECK_EQ(sy_tx_encode(&e, body.p, body.len, sig, 1), SY_OK);
  sy_tx d;
  CHECK_EQ(sy_tx_decode(&d, e.p, e.len), SY_OK);
  CHECK_EQ(d.chain_id_len, SY_CHAIN_ID_MAX);
  CHECK(d.timestamp_ms == UINT64_MAX && d.nonce == UINT64_MAX);
  CHECK_EQ(d.sig_len, 1);
  sy_buf_free(&body);
  sy_buf_free(&e);

  /* A 255-byte signature (the envelope's u8 ceiling) is representable. */
  uint8_t bigsig[255];
  memset(bigsig, 0x5a, sizeof bigsig);
  CHECK_EQ(sy_tx_encode_body(&body, SY_TX_RECORD, CHAIN, strlen(CHAIN), SIGNER, 1, 1, NULL, 0),
           SY_OK);
  CHECK_EQ(sy_tx_encode(&e, body.p, body.len, bigsig, sizeof bigsig), SY_OK);
  CHECK_EQ(sy_tx_decode(&d, e.p, e.len), SY_OK);
  CHECK_EQ(d.sig_len, 255);
  CHECK_EQ(sy_tx_encode(&e, body.p, body.len, bigsig, 256), SY_EINVAL);
  sy_buf_free(&body);
  sy_buf_free(&e);
}

static void test_truncation_and_trailing(void) {
  sy_buf env = {0};
  make_tx(&env, SY_TX_RECORD, 1700000000000ULL, 42, (const uint8_t *)PAYLOAD, strlen(PAYLOAD));
  /* Decode each prefix from its own heap copy so ASan sees any over-read. */
  int all_malformed = 1;
  for (size_t n = 0; n < env.len; n++) {
    uint8_t *cp = malloc(n ? n : 1);
    if (!cp) abort();
    memcpy(cp, env.p, n);
    sy_tx tx;
    int rc = sy_tx_decode(&tx, cp, n);
    if (rc != SY_EMALFORMED) {
      all_malformed = 0;
      fprintf(stderr, "truncated to %zu of %zu: %s\n", n, env.len, sy_err_name(rc));
    }
    free(cp);
  }
  CHECK(all_malformed);

  sy_buf longer = {0};
  sy_buf_put(&longer, env.p, env.len);
  sy_buf_u8(&longer, 0);
  sy_tx tx;
  CHECK_EQ(sy_tx_decode(&tx, longer.p, longer.len), SY_EMALFORMED);
  /* A trailing byte inside the body (body_len grown by one) is also refused. */
  sy_tx ok;
  CHECK_EQ(sy_tx_decode(&ok, env.p, env.len), SY_OK);
  sy_buf inner = {0};
  sy_buf_u32(&inner, (uint32_t)ok.body_len + 1);
  sy_buf_put(&inner, ok.body, ok.body_len);
  sy_buf_u8(&inner, 0);
  sy_buf_u8(&inner, (uint8_t)ok.sig_len);
  sy_buf_put(&inner, ok.sig, ok.sig_len);
  CHECK_EQ(sy_tx_decode(&tx, inner.p, inner.len), SY_EMALFORMED);
  /* body_len pointing past the end. */
  uint8_t bad[8] = {0xff, 0xff, 0x00, 0x00, 'S', 'Y', 'T', '1'};
  CHECK_EQ(sy_tx_decode(&tx, bad, sizeof bad), SY_EMALFORMED);
  /* A body length beyond any legal transaction is refused as too big. */
  uint8_t huge[8] = {0xff, 0xff, 0xff, 0xff, 'S', 'Y', 'T', '1'};
  int rc = sy_tx_decode(&tx, huge, sizeof huge);
  CHECK(rc == SY_ETOOBIG || rc == SY_EMALFORMED);
  /* A failed decode leaves the output untouched. */
  sy_tx sentinel;
  memset(&sentinel, 0x77, sizeof sentinel);
  sy_tx out = sentinel;
  CHECK_EQ(sy_tx_decode(&out, longer.p, longer.len), SY_EMALFORMED);
  CHECK(memcmp(&out, &sentinel, sizeof out) == 0);
  sy_buf_free(&longer);
  sy_buf_free(&inner);
  sy_buf_free(&env);
}

static void test_bad_fields(void) {
  /* Sanity: the hand builder produces a decodable transaction. */
  CHECK_EQ(decode_raw_body("SYT1", 5, 3, 3, 64), SY_OK);
  /* Bad magic in every position. */
  CHECK_EQ(decode_raw_body("SYT2", 5, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("XYT1", 5, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SXT1", 5, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYX1", 5, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("syt1", 5, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYB1", 5, 0, 0, 64), SY_EMALFORMED); /* a block's magic */
  /* Chain id length 0 and above 64; 1 and 64 are fine. */
  CHECK_EQ(decode_raw_body("SYT1", 0, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYT1", SY_CHAIN_ID_MAX + 1, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYT1", 255, 0, 0, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYT1", 1, 0, 0, 64), SY_OK);
  CHECK_EQ(decode_raw_body("SYT1", SY_CHAIN_ID_MAX, 0, 0, 64), SY_OK);
  /* Payload over the format's ceiling, with and without the bytes present. */
  CHECK_EQ(decode_raw_body("SYT1", 5, SY_TX_PAYLOAD_MAX + 1, SY_TX_PAYLOAD_MAX + 1, 64),
           SY_ETOOBIG);
  CHECK_EQ(decode_raw_body("SYT1", 5, SY_TX_PAYLOAD_MAX + 1, 0, 64), SY_ETOOBIG);
  CHECK_EQ(decode_raw_body("SYT1", 5, UINT32_MAX, 0, 64), SY_ETOOBIG);
  CHECK_EQ(decode_raw_body("SYT1", SY_CHAIN_ID_MAX, SY_TX_PAYLOAD_MAX, SY_TX_PAYLOAD_MAX, 64),
           SY_OK);
  /* Payload length field disagreeing with the bytes present. */
  CHECK_EQ(decode_raw_body("SYT1", 5, 10, 9, 64), SY_EMALFORMED);
  CHECK_EQ(decode_raw_body("SYT1", 5, 9, 10, 64), SY_EMALFORMED);
  /* Signature length 0. */
  CHECK_EQ(decode_raw_body("SYT1", 5, 0, 0, 0), SY_EMALFORMED);

  /* The encoder refuses the same things and leaves its buffer unchanged. */
  sy_buf b = {0};
  sy_buf_put(&b, "keep", 4);
  CHECK_EQ(sy_tx_encode_body(&b, SY_TX_RECORD, "", 0, SIGNER, 0, 0, NULL, 0), SY_EINVAL);
  char c65[SY_CHAIN_ID_MAX + 1];
  memset(c65, 'c', sizeof c65);
  CHECK_EQ(sy_tx_encode_body(&b, SY_TX_RECORD, c65, sizeof c65, SIGNER, 0, 0, NULL, 0), SY_EINVAL);
  uint8_t *big = calloc(1, SY_TX_PAYLOAD_MAX + 1);
  if (!big) abort();
  CHECK_EQ(sy_tx_encode_body(&b, SY_TX_RECORD, CHAIN, strlen(CHAIN), SIGNER, 0, 0, big,
                             SY_TX_PAYLOAD_MAX + 1),
           SY_ETOOBIG);
  free(big);
  uint8_t s = 1;
  CHECK_EQ(sy_tx_encode(&b, (const uint8_t *)"body", 4, &s, 0), SY_EINVAL);
  CHECK_EQ(b.len, 4);
  CHECK(memcmp(b.p, "keep", 4) == 0);
  CHECK_EQ(b.err, SY_OK);
  sy_buf_free(&b);
}

static void test_tx_id(void) {
  sy_buf env = {0};
  make_tx(&env, SY_TX_RECORD, 1700000000123ULL, 7, (const uint8_t *)PAYLOAD, strlen(PAYLOAD));
  sy_tx tx;
  CHECK_EQ(sy_tx_decode(&tx, env.p, env.len), SY_OK);
  uint8_t id[SY_HASH_LEN], want[SY_HASH_LEN];
  sy_tx_id(&tx, ref_sha256, id);
  SHA256(env.p, env.len, want);
  CHECK(memcmp(id, want, SY_HASH_LEN) == 0); /* H over the whole envelope */

  /* Changing any single byte of the envelope (signature included) changes
   * the id; where the changed bytes still decode, the decoded id changes. */
  uint8_t *mod = malloc(env.len);
  if (!mod) abort();
  int all_differ = 1, decodable = 0;
  for (size_t i = 0; i < env.len; i++) {
    memcpy(mod, env.p, env.len);
    mod[i] ^= 0x01;
    sy_tx m;
    uint8_t mid[SY_HASH_LEN];
    if (sy_tx_decode(&m, mod, env.len) == SY_OK) {
      decodable++;
    } else {
      memset(&m, 0, sizeof m);
      m.raw = mod;
      m.raw_len = env.len;
    }
    sy_tx_id(&m, ref_sha256, mid);
    if (memcmp(mid, id, SY_HASH_LEN) == 0) all_differ = 0;
  }
  CHECK(all_differ);
  CHECK(decodable > (int)strlen(PAYLOAD)); /* payload and signature flips still decode */
  free(mod);

  /* Two transactions differing only in the nonce have different ids. */
  sy_buf env2 = {0};
  make_tx(&env2, SY_TX_RECORD, 1700000000123ULL, 8, (const uint8_t *)PAYLOAD, strlen(PAYLOAD));
  sy_tx tx2;
  CHECK_EQ(sy_tx_decode(&tx2, env2.p, env2.len), SY_OK);
  uint8_t id2[SY_HASH_LEN];
  sy_tx_id(&tx2, ref_sha256, id2);
  CHECK(memcmp(id, id2, SY_HASH_LEN) != 0);
  sy_buf_free(&env);
  sy_buf_free(&env2);
}

static void test_type_names(void) {
  CHECK(strcmp(sy_tx_type_name(SY_TX_MEMBER_ADD), "member.add") == 0);
  CHECK(strcmp(sy_tx_type_name(SY_TX_RECORD), "record") == 0);
  CHECK(sy_tx_type_name(200) == NULL);
  CHECK(sy_tx_type_name(-1) == NULL);
  for (int t = 0; t < 256; t++) {
    const char *n = sy_tx_type_name(t);
    if (n) CHECK_EQ(sy_tx_type_parse(n), t);
  }
  CHECK_EQ(sy_tx_type_parse("nope"), -1);
  CHECK_EQ(sy_tx_type_parse(""), -1);
  CHECK_EQ(sy_tx_type_parse("Record"), -1);
}

static void test_hex(void) {
  uint8_t in[256], out[256];
  for (int i = 0; i < 256; i++) in[i] = (uint8_t)i;
  char text[513];
  sy_hex_encode(text, in, sizeof in);
  CHECK_EQ(strlen(text), 512);
  CHECK(strncmp(text, "000102", 6) == 0);
  CHECK(strcmp(text + 500, "fafbfcfdfeff") == 0); /* lowercase */
  CHECK_EQ(sy_hex_decode(out, sizeof out, text, strlen(text)), SY_OK);
  CHECK(memcmp(in, out, sizeof in) == 0);
  CHECK_EQ(sy_hex_decode(out, 3, "ABCDEF", 6), SY_OK); /* case-insensitive */
  CHECK(out[0] == 0xab && out[1] == 0xcd && out[2] == 0xef);
  sy_hex_encode(text, in, 0);
  CHECK_EQ(text[0], 0);
  CHECK_EQ(sy_hex_decode(out, 0, "", 0), SY_OK);
  /* Rejections: wrong length either way, odd length, non-hex anywhere. */
  CHECK_EQ(sy_hex_decode(out, 2, "abc", 3), SY_EMALFORMED);
  CHECK_EQ(sy_hex_decode(out, 2, "abcdef", 6), SY_EMALFORMED);
  CHECK_EQ(sy_hex_decode(out, 2, "ab", 2), SY_EMALFORMED);
  static const char *bad[] = {"g000", "0g00", "000g", "00 0", "0x00", "-100", "00\n0", "+f00"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK_EQ(sy_hex_decode(out, 2, bad[i], 4), SY_EMALFORMED);
  char withnul[4] = {'a', 'b', '\0', 'd'};
  CHECK_EQ(sy_hex_decode(out, 2, withnul, 4), SY_EMALFORMED);
}

static void test_b64(void) {
  /* RFC 4648 section 10 test vectors. */
  static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char text[16];
    size_t n = strlen(plain[i]);
    CHECK_EQ(sy_b64_encoded_len(n), strlen(enc[i]) + 1);
    sy_b64_encode(text, (const uint8_t *)plain[i], n);
    CHECK(strcmp(text, enc[i]) == 0);
    uint8_t back[16];
    CHECK_EQ(sy_b64_decode(back, sizeof back, enc[i], strlen(enc[i])), (long)n);
    CHECK(memcmp(back, plain[i], n) == 0);
  }
  /* Roundtrip of every length 0..300 over all byte values. */
  uint8_t in[300], out[300];
  for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)(i * 151 + 7);
  int ok = 1;
  for (size_t n = 0; n <= sizeof in; n++) {
    char text[401 + 4];
    sy_b64_encode(text, in, n);
    if (strlen(text) + 1 != sy_b64_encoded_len(n)) ok = 0;
    long d = sy_b64_decode(out, sizeof out, text, strlen(text));
    if (d != (long)n || memcmp(in, out, n) != 0) ok = 0;
    /* Exact capacity is enough; one byte less is refused. */
    if (n && sy_b64_decode(out, n - 1, text, strlen(text)) != -1) ok = 0;
  }
  CHECK(ok);
  /* Rejections. */
  uint8_t o[32];
  static const char *bad[] = {
      "Zg=",      /* length not a multiple of 4 */
      "Zg",       /* unpadded */
      "Z===",     /* too much padding */
      "====",     /* only padding */
      "Zg==Zg==", /* padding in the middle */
      "Z=g=",     /* data after padding */
      "Zm9v Zg=", /* whitespace */
      "Zm9v\nZg==",
      "Zm9-",     /* URL-safe alphabet */
      "Zm9_",
      "Zm9*",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long r = sy_b64_decode(o, sizeof o, bad[i], strlen(bad[i]));
    if (r != -1) fprintf(stderr, "b64 accepted \"%s\"\n", bad[i]);
    CHECK_EQ(r, -1);
  }
  char withnul[4] = {'Z', 'm', '\0', 'v'};
  CHECK_EQ(sy_b64_decode(o, sizeof o, withnul, 4), -1);
}

static void test_buf_reader(void) {
  sy_buf b = {0};
  sy_buf_u8(&b, 0x11);
  sy_buf_u16(&b, 0x2233);
  sy_buf_u32(&b, 0x44556677u);
  sy_buf_u64(&b, 0x8899aabbccddeeffULL);
  CHECK_EQ(b.len, 15);
  static const uint8_t want[15] = {0x11, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44, 0xff,
                                   0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88};
  CHECK(memcmp(b.p, want, 15) == 0);
  sy_reader r;
  sy_reader_init(&r, b.p, b.len);
  CHECK_EQ(sy_get_u8(&r), 0x11);
  CHECK_EQ(sy_get_u16(&r), 0x2233);
  CHECK_EQ(sy_get_u32(&r), 0x44556677u);
  CHECK(sy_get_u64(&r) == 0x8899aabbccddeeffULL);
  CHECK_EQ(r.err, SY_OK);
  CHECK_EQ(r.off, r.len);
  CHECK(sy_get_u8(&r) == 0 && r.err == SY_EMALFORMED);
  sy_reader_init(&r, b.p, 3);
  CHECK(sy_get_u32(&r) == 0 && r.err == SY_EMALFORMED);
  CHECK(sy_get_bytes(&r, 0) == NULL); /* sticky */
  size_t len = 0;
  uint8_t *p = sy_buf_take(&b, &len);
  CHECK_EQ(len, 15);
  CHECK(b.p == NULL && b.len == 0);
  free(p);
  sy_buf_free(&b); /* on an empty buffer */
}

int main(void) {
  test_roundtrip();
  test_truncation_and_trailing();
  test_bad_fields();
  test_tx_id();
  test_type_names();
  test_hex();
  test_b64();
  test_buf_reader();
  return sy_test_done("test_core_tx");
}
