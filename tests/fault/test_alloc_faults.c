/* Allocation faults in our own code (issue #6 §3; SPEC M6, G2, M8c).
 *
 * This executable is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc: every allocation made by the project's static libraries
 * (src/core, src/crypto, src/epcis, src/ledger) and by this file goes through
 * __wrap_*, which fails the Nth one; cJSON is pointed at the same allocator
 * with cJSON_InitHooks. Allocations inside SQLite, OpenSSL and libsodium
 * are not failed (that would test those libraries, not us).
 *
 * For each operation, N runs 1, 2, 3, ... until a run completes without
 * reaching the countdown, in two modes: "once" (only the Nth allocation
 * fails) and "persist" (the Nth and every later one fail). Every run must
 * either succeed with exactly the result of the run without faults, or fail
 * cleanly with SY_ENOMEM — never crash, never report success with a
 * different answer (a swallowed allocation failure that changes a block or
 * a validation verdict would make nodes disagree), and never leak (the ASan
 * build runs this test under LeakSanitizer). After a failed ledger append
 * the ledger is still at its old tip and the same block appends with the
 * reference hash. The block appended holds a member.add, an epcis.capture
 * of three events by that member, and a record. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/suite.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"
#include "ledger/ledger.h"
#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* FA1 (docs/reliability.md): until src/ledger tells an allocation failure
 * from a malformed payload, a failed allocation inside apply can commit the
 * block with a transaction recorded invalid. With SY_ALLOC_ALLOW_FA1=1 in the
 * environment such runs are counted and reported, not failed; every other
 * wrong behaviour still fails. tests/fault/CMakeLists.txt sets it until the
 * fix lands. */
static int g_allow_fa1;
/* FA2: under an allocation failure the event hash code passes NULL to memcpy
 * (length 0), which UBSan in the sanitizer build aborts on. With
 * SY_ALLOC_FA2_OPEN=1 (set for sanitizer builds until the fix lands) the
 * sweeps that reach the hash code are skipped there. */
static int g_fa2_open;
static long g_fa1_runs;

static long g_countdown = -1; /* -1: no faults; else allocations left before one fails */
static int g_persist;         /* after the first failure, fail every allocation */
static int g_failed;          /* a fault was injected in this run */
static long g_calls;

static int fail_now(void) {
  if (g_countdown < 0) return 0;
  g_calls++;
  if (g_failed && g_persist) return 1;
  if (g_countdown == 0) return 0;
  if (--g_countdown == 0) {
    g_failed = 1;
    return 1;
  }
  return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
static void *cj_malloc(size_t n) { return __wrap_malloc(n); }

static void arm(long n, int persist) {
  g_countdown = n;
  g_persist = persist;
  g_failed = 0;
  g_calls = 0;
}
static void disarm(void) { g_countdown = -1; }

#define CTX "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]"
static const char *DOC =
    "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
    "\"creationDate\":\"2026-11-20T08:00:00Z\",\"epcisBody\":{\"eventList\":["
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00+08:00\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"commissioning\","
    "\"disposition\":\"active\",\"epcList\":[\"urn:epc:id:sgtin:6901234.000002.1001\","
    "\"urn:epc:id:sgtin:6901234.000002.1002\"],"
    "\"quantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:6901234.000001.L1\",\"quantity\":5,"
    "\"uom\":\"KGM\"}],\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00001.0\"},"
    "\"readPoint\":{\"id\":\"urn:epc:id:sgln:6901234.00001.1\"},"
    "\"bizTransactionList\":[{\"type\":\"po\",\"bizTransaction\":\"urn:epcglobal:cbv:bt:6901234000006:P1\"}],"
    "\"sensorElementList\":[{\"sensorMetadata\":{\"time\":\"2026-11-20T08:00:00Z\"},"
    "\"sensorReport\":[{\"type\":\"Temperature\",\"value\":4.5,\"uom\":\"CEL\"}]}]},"
    "{\"type\":\"AggregationEvent\",\"eventTime\":\"2026-11-21T10:00:00+08:00\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"packing\","
    "\"parentID\":\"urn:epc:id:sscc:6901234.0000000001\",\"childEPCs\":["
    "\"urn:epc:id:sgtin:6901234.000002.1001\",\"urn:epc:id:sgtin:6901234.000002.1002\"]},"
    "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-21T09:00:00+08:00\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"commissioning\","
    "\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:6901234.000001.L1\","
    "\"quantity\":1,\"uom\":\"KGM\"}],\"outputEPCList\":[\"urn:epc:id:sgtin:6901234.000002.1003\"]}"
    "]}}";

/* An invalid document: the validator must still report the same verdict. */
static const char *BAD_DOC =
    "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
    "\"creationDate\":\"2026-11-20T08:00:00Z\",\"epcisBody\":{\"eventList\":["
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"yesterday\",\"eventTimeZoneOffset\":\"+08:00\","
    "\"action\":\"MOVE\",\"bizStep\":\"nonsense step\",\"epcList\":[\"not-a-urn\"]}]}}";

typedef struct sweep {
  long runs, failures, ok;
} sweep;

/* Runs op(ctx) with the Nth allocation failing, N = 1.. until a run ends
 * without reaching its countdown. op returns 0 when the run behaved (same
 * result as the reference, or a clean SY_ENOMEM), 1 otherwise. */
static void run_sweep_stride(const char *what, int persist, int (*op)(void *, int *enomem),
                             void *ctx, long stride) {
  sweep s = {0};
  for (long n = 1; n < 100000; n += stride) {
    int enomem = 0;
    arm(n, persist);
    int bad = op(ctx, &enomem);
    int injected = g_failed;
    disarm();
    s.runs++;
    if (bad) {
      fprintf(stderr, "  %s (%s): wrong behaviour when allocation %ld fails\n", what,
              persist ? "persist" : "once", n);
      CHECK(!bad);
    }
    if (enomem) s.failures++;
    else s.ok++;
    if (!injected) break; /* the whole operation ran without reaching N */
  }
  printf("%-28s %-7s %5ld allocation points%s: %ld clean SY_ENOMEM, %ld completed\n",
         what, persist ? "persist" : "once", s.runs - 1, stride > 1 ? " (sampled)" : "", s.failures,
         s.ok);
}

static void run_sweep(const char *what, int persist, int (*op)(void *, int *enomem), void *ctx) {
  run_sweep_stride(what, persist, op, ctx, 1);
}

/* ---- EPCIS validation ------------------------------------------------------------------ */
typedef struct vctx {
  cJSON *doc;
  int want_rc;
  size_t want_n;
} vctx;

static int op_validate(void *p, int *enomem) {
  vctx *v = p;
  sy_epcis_error errs[8];
  size_t n = 0;
  int rc = sy_epcis_validate_document(v->doc, errs, 8, &n);
  if (rc == SY_ENOMEM) {
    *enomem = 1;
    return 0;
  }
  return !(rc == v->want_rc && n == v->want_n);
}

/* ---- EPCIS hashes ------------------------------------------------------------------------ */
typedef struct hctx {
  cJSON *doc;
  sy_epcis_hashes want;
} hctx;

static int op_hashes(void *p, int *enomem) {
  hctx *h = p;
  sy_epcis_hashes got;
  memset(&got, 0, sizeof got);
  int rc = sy_epcis_document_hashes(h->doc, SY_EPCIS_WANT_PREHASH, &got);
  if (rc == SY_ENOMEM) {
    *enomem = 1;
    int clean = got.ids == NULL && got.prehashes == NULL;
    sy_epcis_hashes_close(&got);
    return !clean;
  }
  int bad = rc != SY_OK || got.count != h->want.count;
  for (size_t i = 0; !bad && i < got.count; i++)
    bad = strcmp(got.ids[i], h->want.ids[i]) != 0 ||
          strcmp(got.prehashes[i], h->want.prehashes[i]) != 0;
  sy_epcis_hashes_close(&got);
  return bad;
}

/* ---- JSON parse + validate + hash as the capture route does ------------------------------ */
static int op_parse_all(void *p, int *enomem) {
  hctx *h = p;
  cJSON *doc = cJSON_Parse(DOC);
  if (!doc) { /* cJSON's own allocation failed: it reports NULL */
    *enomem = 1;
    return 0;
  }
  int rc = sy_epcis_validate_document(doc, NULL, 0, NULL);
  int bad = 0;
  if (rc == SY_ENOMEM) {
    *enomem = 1;
  } else if (rc != SY_OK) {
    bad = 1;
  } else {
    sy_epcis_hashes got;
    memset(&got, 0, sizeof got);
    rc = sy_epcis_document_hashes(doc, 0, &got);
    if (rc == SY_ENOMEM) *enomem = 1;
    else bad = rc != SY_OK || got.count != h->want.count ||
               (got.count && strcmp(got.ids[0], h->want.ids[0]) != 0);
    sy_epcis_hashes_close(&got);
  }
  cJSON_Delete(doc);
  return bad;
}

/* ---- transaction signing ------------------------------------------------------------------ */
typedef struct tctx {
  sy_key *k;
  sy_buf want;
} tctx;

static int op_sign(void *p, int *enomem) {
  tctx *t = p;
  sy_buf b = {0};
  int rc = sy_key_sign_tx(t->k, &b, SY_TX_EPCIS_CAPTURE, "alloc", 1763600000000, 7,
                          (const uint8_t *)DOC, strlen(DOC));
  int bad;
  if (rc == SY_ENOMEM) {
    *enomem = 1;
    bad = 0;
  } else {
    /* Ed25519 signatures are deterministic: the same envelope. */
    bad = rc != SY_OK || b.len != t->want.len || memcmp(b.p, t->want.p, b.len) != 0;
  }
  sy_buf_free(&b);
  return bad;
}

/* ---- ledger append: a member.add and an epcis.capture in one block ------------------------ */
#define NTX 3
typedef struct lctx {
  const char *genesis;
  sy_key *node, *admin;
  sy_buf tx[NTX];
  uint8_t want_hash[SY_HASH_LEN];
  uint16_t want_flags[NTX];
  int round;
} lctx;

static sy_ledger *open_fresh(lctx *c) {
  /* In memory: the same SQL and apply code, without an fsync per run. */
  c->round++;
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = ":memory:", .genesis = (const uint8_t *)c->genesis,
                      .genesis_len = strlen(c->genesis), .node_key = c->node};
  char err[256];
  if (sy_ledger_open(&l, &o, err, sizeof err) != SY_OK) {
    fprintf(stderr, "ledger open: %s\n", err);
    return NULL;
  }
  return l;
}

static int append(lctx *c, sy_ledger *l, uint16_t flags[NTX], sy_commit_info *ci) {
  sy_batch_tx bt[NTX];
  for (int i = 0; i < NTX; i++) bt[i] = (sy_batch_tx){c->tx[i].p, c->tx[i].len, 0, NULL};
  sy_batch batch = {.txs = bt, .n = NTX, .timestamp_ms = 1763600005000};
  memcpy(batch.proposer, sy_key_id_of(c->node), SY_KEYID_LEN);
  memset(ci, 0, sizeof *ci);
  return sy_ledger_append(l, &batch, flags, ci);
}

static int op_append(void *p, int *enomem) {
  lctx *c = p;
  long n = g_countdown;
  int persist = g_persist;
  disarm(); /* opening the ledger is not under test */
  sy_ledger *l = open_fresh(c);
  if (!l) return 1;
  sy_tip before;
  sy_ledger_tip(l, &before);
  arm(n, persist);
  uint16_t flags[NTX] = {999, 999, 999};
  sy_commit_info ci;
  int rc = append(c, l, flags, &ci);
  int injected = g_failed;
  disarm();
  g_failed = injected; /* for run_sweep */
  int bad = 0;
  if (rc == SY_ENOMEM) {
    *enomem = 1;
    sy_tip after;
    sy_ledger_tip(l, &after);
    bad |= after.height != before.height || memcmp(after.hash, before.hash, SY_HASH_LEN) != 0;
    /* Nothing stayed: the same block appends now, with the reference hash. */
    rc = append(c, l, flags, &ci);
    bad |= rc != SY_OK;
  } else if (rc != SY_OK) {
    fprintf(stderr, "  append returned %s\n", sy_strerror(rc));
    bad = 1;
  }
  int differs = 0;
  for (int i = 0; i < NTX; i++) differs |= flags[i] != c->want_flags[i];
  if (rc == SY_OK && (differs || memcmp(ci.block_hash, c->want_hash, SY_HASH_LEN) != 0)) {
    int f4 = !*enomem && differs;
    if (f4 && g_allow_fa1) {
      g_fa1_runs++;
    } else {
      fprintf(stderr, "  append %s: flags %u %u %u (want %u %u %u), block hash %s\n",
              *enomem ? "after SY_ENOMEM, again" : "succeeded under the fault", flags[0], flags[1],
              flags[2], c->want_flags[0], c->want_flags[1], c->want_flags[2],
              memcmp(ci.block_hash, c->want_hash, SY_HASH_LEN) ? "DIFFERS" : "same");
      bad = 1;
    }
  }
  sy_ledger_close(l);
  return bad;
}

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

int main(void) {
  const char *f4 = getenv("SY_ALLOC_ALLOW_FA1");
  g_allow_fa1 = f4 && !strcmp(f4, "1");
  const char *f5 = getenv("SY_ALLOC_FA2_OPEN");
  g_fa2_open = f5 && !strcmp(f5, "1");
  cJSON_Hooks hooks = {cj_malloc, free};
  cJSON_InitHooks(&hooks);
  CHECK_EQ(sy_crypto_init(), SY_OK);

  /* EPCIS validation: a valid and an invalid document. */
  vctx v = {cJSON_Parse(DOC), 0, 0};
  sy_epcis_error errs[8];
  v.want_rc = sy_epcis_validate_document(v.doc, errs, 8, &v.want_n);
  CHECK_EQ(v.want_rc, SY_OK);
  run_sweep("epcis validate (valid)", 0, op_validate, &v);
  run_sweep("epcis validate (valid)", 1, op_validate, &v);
  vctx vb = {cJSON_Parse(BAD_DOC), 0, 0};
  vb.want_rc = sy_epcis_validate_document(vb.doc, errs, 8, &vb.want_n);
  CHECK_EQ(vb.want_rc, SY_EMALFORMED);
  CHECK(vb.want_n >= 3);
  run_sweep("epcis validate (invalid)", 0, op_validate, &vb);
  run_sweep("epcis validate (invalid)", 1, op_validate, &vb);

  /* More than 16 EPCs: the validator's duplicate check allocates its index. */
  char big[8192];
  int bl = snprintf(big, sizeof big,
                    "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
                    "\"creationDate\":\"2026-11-20T08:00:00Z\",\"epcisBody\":{\"eventList\":["
                    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\","
                    "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"epcList\":[");
  for (int i = 0; i < 40; i++)
    bl += snprintf(big + bl, sizeof big - (size_t)bl, "%s\"urn:epc:id:sgtin:6901234.000002.%d\"",
                   i ? "," : "", 2000 + i);
  snprintf(big + bl, sizeof big - (size_t)bl, "]}]}}");
  vctx vg = {cJSON_Parse(big), 0, 0};
  vg.want_rc = sy_epcis_validate_document(vg.doc, errs, 8, &vg.want_n);
  CHECK_EQ(vg.want_rc, SY_OK);
  run_sweep("epcis validate (40 EPCs)", 0, op_validate, &vg);
  run_sweep("epcis validate (40 EPCs)", 1, op_validate, &vg);
  cJSON_Delete(vg.doc);

  if (g_fa2_open) printf("SY_ALLOC_FA2_OPEN=1: hash, parse+hash and ledger sweeps skipped (FA2)\n");
  /* Event hash ids. */
  hctx h = {v.doc, {0}};
  CHECK_EQ(sy_epcis_document_hashes(v.doc, SY_EPCIS_WANT_PREHASH, &h.want), SY_OK);
  CHECK_EQ(h.want.count, 3);
  if (!g_fa2_open) {
    run_sweep("epcis hashes", 0, op_hashes, &h);
    run_sweep("epcis hashes", 1, op_hashes, &h);
    run_sweep("parse+validate+hash", 0, op_parse_all, &h);
    run_sweep("parse+validate+hash", 1, op_parse_all, &h);
  }

  /* Signing a transaction. */
  const sy_suite *S = sy_suite_default();
  tctx t = {0};
  CHECK_EQ(sy_key_generate(S, &t.k), SY_OK);
  CHECK_EQ(sy_key_sign_tx(t.k, &t.want, SY_TX_EPCIS_CAPTURE, "alloc", 1763600000000, 7,
                          (const uint8_t *)DOC, strlen(DOC)),
           SY_OK);
  run_sweep("tx sign", 0, op_sign, &t);
  run_sweep("tx sign", 1, op_sign, &t);

  /* Ledger append: genesis with admin + node; a block holding member.add of
   * the recorder and the recorder's epcis.capture. */
  lctx c;
  memset(&c, 0, sizeof c);
  sy_key *rec = NULL;
  CHECK_EQ(sy_key_generate(S, &c.admin), SY_OK);
  CHECK_EQ(sy_key_generate(S, &c.node), SY_OK);
  CHECK_EQ(sy_key_generate(S, &rec), SY_OK);
  char a[SY_PK_MAX * 2 + 1], nd[SY_PK_MAX * 2 + 1], r[SY_PK_MAX * 2 + 1];
  pkhex(c.admin, a);
  pkhex(c.node, nd);
  pkhex(rec, r);
  char genesis[2048];
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"alloc\",\"suite\":\"ed25519-sha256\",\"created_ms\":1763600000000,"
           "\"orgs\":[{\"id\":\"tea\",\"name\":\"Tea\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"tea\",\"public_key\":\"%s\"}]}",
           a, nd);
  c.genesis = genesis;
  char payload[512];
  snprintf(payload, sizeof payload,
           "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  CHECK_EQ(sy_key_sign_tx(c.admin, &c.tx[0], SY_TX_MEMBER_ADD, "alloc", 1763600001000, 1,
                          (const uint8_t *)payload, strlen(payload)),
           SY_OK);
  CHECK_EQ(sy_key_sign_tx(rec, &c.tx[1], SY_TX_EPCIS_CAPTURE, "alloc", 1763600002000, 1,
                          (const uint8_t *)DOC, strlen(DOC)),
           SY_OK);
  CHECK_EQ(sy_key_sign_tx(rec, &c.tx[2], SY_TX_RECORD, "alloc", 1763600003000, 2,
                          (const uint8_t *)"{\"lot\":\"A1\",\"temp\":[4,5,6]}", 27),
           SY_OK);
  sy_ledger *l = open_fresh(&c);
  CHECK(l != NULL);
  if (l && g_fa2_open) sy_ledger_close(l);
  if (l && !g_fa2_open) {
    sy_commit_info ci;
    CHECK_EQ(append(&c, l, c.want_flags, &ci), SY_OK);
    CHECK_EQ(c.want_flags[0], SY_R_VALID);
    CHECK_EQ(c.want_flags[1], SY_R_VALID);
    CHECK_EQ(c.want_flags[2], SY_R_VALID);
    memcpy(c.want_hash, ci.block_hash, SY_HASH_LEN);
    sy_ledger_close(l);
    run_sweep("ledger append (3 txs)", 0, op_append, &c);
    /* Persisting faults: every 5th starting point (each run opens a ledger). */
    run_sweep_stride("ledger append (3 txs)", 1, op_append, &c, 5);
    if (g_fa1_runs)
      printf("KNOWN FA1: %ld runs committed the block with a transaction recorded invalid\n"
             "  because an allocation failed (tolerated: SY_ALLOC_ALLOW_FA1=1)\n", g_fa1_runs);
  }

  cJSON_Delete(v.doc);
  cJSON_Delete(vb.doc);
  sy_epcis_hashes_close(&h.want);
  sy_buf_free(&t.want);
  sy_buf_free(&c.tx[0]);
  sy_buf_free(&c.tx[1]);
  sy_buf_free(&c.tx[2]);
  sy_key_free(t.k);
  sy_key_free(c.admin);
  sy_key_free(c.node);
  sy_key_free(rec);
  return sy_test_done("test_alloc_faults");
}
