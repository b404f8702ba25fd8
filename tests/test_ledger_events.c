/* EPCIS capture on the ledger, queries, lineage walks and recall state
 * (SPEC I1-I3, I5, I6, D1, Annex A). Real SQLite file; the supply chain of
 * Annex A: material lot -> processing -> inspection -> packing -> shipping. */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/events.h"
#include "ledger/ledger_internal.h"
#include "testutil.h"

static sy_key *admin, *node, *rec, *insp;
static char genesis[2048];

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

static uint16_t submit(sy_ledger *l, const sy_key *k, int type, uint64_t nonce, const char *payload,
                       uint64_t ts) {
  sy_buf b = {0};
  CHECK_EQ(sy_key_sign_tx(k, &b, (uint8_t)type, "ev", ts, nonce, (const uint8_t *)payload,
                          strlen(payload)),
           SY_OK);
  sy_batch_tx bt = {b.p, b.len, 0, NULL};
  sy_batch batch = {.txs = &bt, .n = 1, .timestamp_ms = ts};
  memcpy(batch.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  uint16_t flag = 999;
  sy_commit_info ci;
  CHECK_EQ(sy_ledger_append(l, &batch, &flag, &ci), SY_OK);
  sy_buf_free(&b);
  return flag;
}

#define CTX "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]"
#define DOC_HEAD "{" CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2026-11-20T08:00:00Z\",\"epcisBody\":{\"eventList\":["
#define DOC_TAIL "]}}"

#define MATERIAL "urn:epc:class:lgtin:6901234.000001.LEAF-L1"
#define PRODUCT "urn:epc:class:lgtin:6901234.000002.TEA-B7"
#define SERIAL1 "urn:epc:id:sgtin:6901234.000002.1001"
#define SERIAL2 "urn:epc:id:sgtin:6901234.000002.1002"
#define PALLET "urn:epc:id:sscc:6901234.0000000001"
#define OTHER_MATERIAL "urn:epc:class:lgtin:6901234.000001.LEAF-L2"

static const char *commission =
    DOC_HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00+08:00\",\"eventTimeZoneOffset\":\"+08:00\","
    "\"action\":\"ADD\",\"bizStep\":\"commissioning\",\"disposition\":\"active\","
    "\"quantityList\":[{\"epcClass\":\"" MATERIAL "\",\"quantity\":500,\"uom\":\"KGM\"},"
    "{\"epcClass\":\"" OTHER_MATERIAL "\",\"quantity\":200,\"uom\":\"KGM\"}],"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00001.0\"}}" DOC_TAIL;

static const char *process =
    DOC_HEAD
    "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-21T09:00:00+08:00\",\"eventTimeZoneOffset\":\"+08:00\","
    "\"bizStep\":\"commissioning\",\"inputQuantityList\":[{\"epcClass\":\"" MATERIAL "\",\"quantity\":120,\"uom\":\"KGM\"}],"
    "\"outputQuantityList\":[{\"epcClass\":\"" PRODUCT "\",\"quantity\":100,\"uom\":\"KGM\"}],"
    "\"outputEPCList\":[\"" SERIAL1 "\",\"" SERIAL2 "\"],"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00002.0\"}},"
    "{\"type\":\"AggregationEvent\",\"eventTime\":\"2026-11-21T10:00:00+08:00\",\"eventTimeZoneOffset\":\"+08:00\","
    "\"action\":\"ADD\",\"bizStep\":\"packing\",\"parentID\":\"" PALLET "\","
    "\"childEPCs\":[\"" SERIAL1 "\",\"" SERIAL2 "\"],\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00002.0\"}}"
    DOC_TAIL;

static const char *inspect =
    "{" CTX ",\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-21T11:00:00+08:00\",\"eventTimeZoneOffset\":\"+08:00\","
    "\"action\":\"OBSERVE\",\"bizStep\":\"inspecting\",\"disposition\":\"conformant\",\"epcList\":[\"" SERIAL1 "\"]}";

static const char *ship =
    DOC_HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-22T07:30:00Z\",\"eventTimeZoneOffset\":\"+00:00\","
    "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\",\"disposition\":\"in_transit\",\"epcList\":[\"" PALLET "\"],"
    "\"eventID\":\"urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00\","
    "\"readPoint\":{\"id\":\"urn:epc:id:sgln:6901234.00002.1\"}},"
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-23T15:00:00+01:00\",\"eventTimeZoneOffset\":\"+01:00\","
    "\"action\":\"OBSERVE\",\"bizStep\":\"receiving\",\"disposition\":\"in_progress\",\"epcList\":[\"" PALLET "\"],"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:4012345.00011.0\"}}" DOC_TAIL;

#define CUSTOM_CTX "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"," \
  "{\"example\":\"https://example.org/epcis\"}]"
static const char *custom = /* the schema's test/Extended-Event.json */
    "{" CUSTOM_CTX ",\"type\":\"example:CustomEvent\",\"eventTime\":\"2005-04-03T20:33:31.116000-06:00\","
    "\"eventTimeZoneOffset\":\"-06:00\"}";
static const char *custom_doc =
    "{" CUSTOM_CTX ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
    "\"creationDate\":\"2026-11-20T08:00:00Z\",\"epcisBody\":{\"eventList\":["
    "{\"type\":\"example:CustomEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\","
    "\"eventTimeZoneOffset\":\"+00:00\",\"example:reading\":7},"
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:01Z\",\"eventTimeZoneOffset\":\"+00:00\","
    "\"action\":\"OBSERVE\",\"epcList\":[\"" SERIAL2 "\"]}]}}";

/* Genesis feature epcis_extension_events (docs/format.md#genesis): from its
 * height on, extension event types are recorded; before it they are
 * invalid, so a chain's history means the same to every node. */
static void extension_events(const char *dir) {
  char g2[2300], err[256], path2[600];
  const char *cut = strstr(genesis, "\"orgs\"");
  CHECK(cut != NULL);
  if (!cut) return;
  snprintf(g2, sizeof g2, "%.*s\"features\":{\"epcis_extension_events\":4},%s",
           (int)(cut - genesis), genesis, cut);
  snprintf(path2, sizeof path2, "%s/ext.db", dir);
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path2, .genesis = (const uint8_t *)g2, .genesis_len = strlen(g2),
                      .node_key = node};
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  if (!l) return;
  char p[512], a[65];
  pkhex(rec, a);
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", a);
  uint64_t ts = 1763800000000;
  CHECK_EQ(submit(l, admin, SY_TX_MEMBER_ADD, 1, p, ts++), SY_R_VALID);        /* height 1 */
  CHECK_EQ(sy_ledger_records_extension_events(l), 0);                          /* next: 2 */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 1, custom, ts++), SY_R_INVALID_EPCIS); /* 2 */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 2, custom_doc, ts++), SY_R_INVALID_EPCIS); /* 3 */
  CHECK_EQ(sy_ledger_records_extension_events(l), 1);                          /* next: 4 */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 3, custom, ts++), SY_R_VALID);  /* height 4 */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 4, custom_doc, ts++), SY_R_VALID);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 5, custom, ts++), SY_R_DUPLICATE_EVENT);
  sy_event_query q;
  sy_event_query_init(&q);
  q.event_types = "example:CustomEvent";
  sy_event_page pg;
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, 2);
  if (pg.n == 2) {
    CHECK(!strcmp(pg.events[0].type, "example:CustomEvent"));
    CHECK(strstr(pg.events[1].json, "\"example:reading\":7") != NULL);
    CHECK(!strncmp(pg.events[0].event_id, "ni:///sha-256;", 14));
  }
  sy_event_page_free(&pg);
  sy_ledger_close(l);
  /* Reopened, the rule comes from block 0 again; verify replays it. */
  o.genesis = NULL, o.genesis_len = 0;
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  if (l) CHECK_EQ(sy_ledger_records_extension_events(l), 1);
  sy_ledger_close(l);
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(path2, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);

  /* A feature this node does not know, or no height: the genesis is refused. */
  sy_genesis_info gi;
  snprintf(g2, sizeof g2, "%.*s\"features\":{\"teleport\":0},%s", (int)(cut - genesis),
           genesis, cut);
  CHECK_EQ(sy_genesis_check((const uint8_t *)g2, strlen(g2), &gi, err, sizeof err),
           SY_EMALFORMED);
  CHECK(strstr(err, "unknown feature 'teleport'") != NULL);
  snprintf(g2, sizeof g2, "%.*s\"features\":{\"epcis_extension_events\":1.5},%s",
           (int)(cut - genesis), genesis, cut);
  CHECK_EQ(sy_genesis_check((const uint8_t *)g2, strlen(g2), &gi, err, sizeof err),
           SY_EMALFORMED);
  CHECK_EQ(sy_genesis_check((const uint8_t *)genesis, strlen(genesis), &gi, err, sizeof err),
           SY_OK);
  CHECK(gi.ext_events_height == SY_NEVER);
}

/* Appends one signed transaction to a (apply validates and hashes) and to b
 * (with the prep admission makes): the same flag and results hash. */
static uint16_t submit_both(sy_ledger *a, sy_ledger *b, const sy_key *k, int type, uint64_t nonce,
                            const char *payload, uint64_t ts) {
  sy_buf raw = {0};
  CHECK_EQ(sy_key_sign_tx(k, &raw, (uint8_t)type, "ev", ts, nonce, (const uint8_t *)payload,
                          strlen(payload)),
           SY_OK);
  sy_tx tx;
  CHECK_EQ(sy_tx_decode(&tx, raw.p, raw.len), SY_OK);
  sy_capture_prep *prep = sy_ledger_capture_prep(&tx);
  CHECK(type != SY_TX_EPCIS_CAPTURE || payload[0] != '{' || prep != NULL);
  uint16_t fa = 999, fb = 998;
  sy_commit_info ci;
  sy_batch_tx ta = {raw.p, raw.len, 0, NULL}, tb = {raw.p, raw.len, 0, prep};
  sy_batch ba = {.txs = &ta, .n = 1, .timestamp_ms = ts}, bb = {.txs = &tb, .n = 1, .timestamp_ms = ts};
  memcpy(ba.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  memcpy(bb.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  CHECK_EQ(sy_ledger_append(a, &ba, &fa, &ci), SY_OK);
  CHECK_EQ(sy_ledger_append(b, &bb, &fb, &ci), SY_OK);
  CHECK_EQ(fa, fb);
  sy_tip x, y;
  CHECK_EQ(sy_ledger_tip(a, &x), SY_OK);
  CHECK_EQ(sy_ledger_tip(b, &y), SY_OK);
  CHECK(memcmp(x.results_hash, y.results_hash, SY_HASH_LEN) == 0);
  sy_capture_prep_free(prep);
  sy_buf_free(&raw);
  return fa;
}

/* Admission's capture prep (ledger.h) changes nothing apply decides: valid,
 * invalid, duplicate, role-denied and extension-type captures, before and
 * after the feature's height, give the same flags and results hashes. */
static void prep_equivalence(const char *dir) {
  char g2[2300], err[256], pa[600], pb[600];
  const char *cut = strstr(genesis, "\"orgs\"");
  if (!cut) return;
  snprintf(g2, sizeof g2, "%.*s\"features\":{\"epcis_extension_events\":7},%s",
           (int)(cut - genesis), genesis, cut);
  snprintf(pa, sizeof pa, "%s/prep-a.db", dir);
  snprintf(pb, sizeof pb, "%s/prep-b.db", dir);
  sy_ledger *a = NULL, *b = NULL;
  sy_ledger_opts oa = {.path = pa, .genesis = (const uint8_t *)g2, .genesis_len = strlen(g2),
                       .node_key = node};
  sy_ledger_opts ob = oa;
  ob.path = pb;
  CHECK_EQ(sy_ledger_open(&a, &oa, err, sizeof err), SY_OK);
  CHECK_EQ(sy_ledger_open(&b, &ob, err, sizeof err), SY_OK);
  if (!a || !b) return;
  char p[512], r[65], in[65];
  pkhex(rec, r);
  pkhex(insp, in);
  uint64_t ts = 1763900000000;
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  CHECK_EQ(submit_both(a, b, admin, SY_TX_MEMBER_ADD, 1, p, ts++), SY_R_VALID);
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"inspector\"]}", in);
  CHECK_EQ(submit_both(a, b, admin, SY_TX_MEMBER_ADD, 2, p, ts++), SY_R_VALID);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 1, commission, ts++), SY_R_VALID);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 2, process, ts++), SY_R_VALID);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 3, inspect, ts++), SY_R_ROLE_DENIED);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 4, custom, ts++), SY_R_INVALID_EPCIS);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 5, ship, ts++), SY_R_VALID); /* 7 */
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 6, ship, ts++), SY_R_DUPLICATE_EVENT);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 7, custom, ts++), SY_R_VALID);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 8, custom_doc, ts++), SY_R_VALID);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 9,
                       "{" CTX ",\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-21T11:00:00Z\","
                       "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"bizStep\":\"transforming\","
                       "\"epcList\":[\"" SERIAL1 "\"]}",
                       ts++),
           SY_R_INVALID_EPCIS);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 10, DOC_HEAD "]}}", ts++),
           SY_R_INVALID_EPCIS);
  CHECK_EQ(submit_both(a, b, rec, SY_TX_EPCIS_CAPTURE, 11, "[1,2]", ts++),
           SY_R_MALFORMED_PAYLOAD);
  CHECK_EQ(submit_both(a, b, insp, SY_TX_EPCIS_CAPTURE, 1, inspect, ts++), SY_R_VALID);
  sy_ledger_close(a);
  sy_ledger_close(b);
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(pb, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
}

/* A walk wide enough that the recall state of most nodes is read by the
 * helper thread on a second connection (ledger_events.c): one lot into
 * 1,500 serials, half of them then shipped from one place, half received
 * at another. Every node's state must be its own; the same with the
 * helper's connection unavailable (all readers busy but the walk's). */
#define WIDE 1500
static void wide_walk(const char *dir) {
  char err[256], path[600], p[512], r[65];
  snprintf(path, sizeof path, "%s/wide.db", dir);
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path, .genesis = (const uint8_t *)genesis,
                      .genesis_len = strlen(genesis), .node_key = node, .readers = 2};
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  if (!l) return;
  pkhex(rec, r);
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  uint64_t ts = 1764000000000;
  CHECK_EQ(submit(l, admin, SY_TX_MEMBER_ADD, 1, p, ts++), SY_R_VALID);
  sy_buf d = {0};
  const char *head = DOC_HEAD "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-21T09:00:00Z\","
                     "\"eventTimeZoneOffset\":\"+00:00\",\"inputQuantityList\":[{\"epcClass\":\"" MATERIAL
                     "\",\"quantity\":9,\"uom\":\"KGM\"}],\"outputEPCList\":[";
  sy_buf_put(&d, head, strlen(head));
  for (int i = 0; i < WIDE; i++) {
    char s[64];
    int n = snprintf(s, sizeof s, "%s\"urn:epc:id:sgtin:6901234.000009.%d\"", i ? "," : "", i);
    sy_buf_put(&d, s, (size_t)n);
  }
  sy_buf_put(&d, "]}" DOC_TAIL, strlen("]}" DOC_TAIL));
  sy_buf_u8(&d, 0);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 1, (const char *)d.p, ts++), SY_R_VALID);
  for (int half = 0; half < 2; half++) {
    sy_buf_reset(&d);
    char h2[512];
    snprintf(h2, sizeof h2,
             DOC_HEAD "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-22T0%d:00:00Z\","
                      "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"bizStep\":\"%s\","
                      "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.0000%d.0\"},\"epcList\":[",
             half + 1, half ? "receiving" : "shipping", half + 1);
    sy_buf_put(&d, h2, strlen(h2));
    for (int i = half * WIDE / 2; i < (half + 1) * WIDE / 2; i++) {
      char s[64];
      int n = snprintf(s, sizeof s, "%s\"urn:epc:id:sgtin:6901234.000009.%d\"",
                       i > half * WIDE / 2 ? "," : "", i);
      sy_buf_put(&d, s, (size_t)n);
    }
    sy_buf_put(&d, "]}" DOC_TAIL, strlen("]}" DOC_TAIL));
    sy_buf_u8(&d, 0);
    CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 2 + (uint64_t)half, (const char *)d.p, ts++),
             SY_R_VALID);
  }
  sy_buf_free(&d);
  for (int pass = 0; pass < 2; pass++) {
    /* pass 1: the second reader is taken, so the walk reads all state itself */
    sy_reader_conn *hold = pass ? sy_ls_reader_tryget(l) : NULL;
    sy_trace t;
    CHECK_EQ(sy_ledger_trace(l, MATERIAL, SY_TRACE_FORWARD, 0, 0, &t), SY_OK);
    CHECK_EQ(t.n_nodes, (size_t)WIDE + 1);
    size_t good = 0;
    for (size_t k = 1; k < t.n_nodes; k++) {
      const sy_trace_node *n = &t.nodes[k];
      const char *dot = strrchr(n->id, '.');
      int i = dot ? atoi(dot + 1) : -1, half = i >= WIDE / 2;
      char loc[64];
      snprintf(loc, sizeof loc, "urn:epc:id:sgln:6901234.0000%d.0", half + 1);
      if (n->last_biz_step && strstr(n->last_biz_step, half ? "receiving" : "shipping") &&
          n->last_biz_location && !strcmp(n->last_biz_location, loc) && n->last_org &&
          !strcmp(n->last_org, "tea") && n->last_event_id)
        good++;
    }
    CHECK_EQ(good, (size_t)WIDE);
    CHECK(t.nodes[0].uom && !strcmp(t.nodes[0].uom, "KGM") && t.nodes[0].quantity == 9);
    sy_trace_free(&t);
    if (hold) sy_ls_reader_put(l, hold);
  }
  sy_ledger_close(l);
}

static int node_index(const sy_trace *t, const char *id) {
  for (size_t i = 0; i < t->n_nodes; i++)
    if (!strcmp(t->nodes[i].id, id)) return (int)i;
  return -1;
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  const sy_suite *S = sy_suite_default();
  sy_key **keys[] = {&admin, &node, &rec, &insp};
  for (size_t i = 0; i < 4; i++) CHECK_EQ(sy_key_generate(S, keys[i]), SY_OK);
  char a[65], n[65], r[65], in[65];
  pkhex(admin, a);
  pkhex(node, n);
  pkhex(rec, r);
  pkhex(insp, in);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"ev\",\"suite\":\"ed25519-sha256\",\"created_ms\":1763600000000,"
           "\"orgs\":[{\"id\":\"tea\",\"name\":\"Tea\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"tea\",\"public_key\":\"%s\"}]}",
           a, n);
  const char *dir = sy_test_dir("events");
  char path[600];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path, .genesis = (const uint8_t *)genesis,
                      .genesis_len = strlen(genesis), .node_key = node};
  char err[256];
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  if (!l) return sy_test_done("test_ledger_events");

  char p[512];
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  CHECK_EQ(submit(l, admin, SY_TX_MEMBER_ADD, 1, p, 1763600001000), SY_R_VALID);
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"inspector\"]}", in);
  CHECK_EQ(submit(l, admin, SY_TX_MEMBER_ADD, 2, p, 1763600002000), SY_R_VALID);

  uint64_t ts = 1763700000000;
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 1, commission, ts++), SY_R_VALID);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 2, process, ts++), SY_R_VALID);
  /* SPEC I6: a recorder may not record an inspection; an inspector may. */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 3, inspect, ts++), SY_R_ROLE_DENIED);
  CHECK_EQ(submit(l, insp, SY_TX_EPCIS_CAPTURE, 1, inspect, ts++), SY_R_VALID);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 4, ship, ts++), SY_R_VALID);
  /* The same events again (new nonce, so a new transaction): refused. */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 5, ship, ts++), SY_R_DUPLICATE_EVENT);
  CHECK_EQ(submit(l, insp, SY_TX_EPCIS_CAPTURE, 2, inspect, ts++), SY_R_DUPLICATE_EVENT);
  /* Not EPCIS: a bare word that is no CBV bizStep; missing eventTime. */
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 6,
                  "{" CTX ",\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-21T11:00:00Z\","
                  "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\",\"bizStep\":\"transforming\","
                  "\"epcList\":[\"" SERIAL1 "\"]}",
                  ts++),
           SY_R_INVALID_EPCIS);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 7,
                  "{" CTX ",\"type\":\"ObjectEvent\",\"eventTimeZoneOffset\":\"+00:00\","
                  "\"action\":\"OBSERVE\",\"epcList\":[]}",
                  ts++),
           SY_R_INVALID_EPCIS);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 8, "[1,2]", ts++), SY_R_MALFORMED_PAYLOAD);

  /* The hash id the ledger gives an event is the GS1 reference one
   * (anchors: epcis-event-hash-generator), document @context included. */
  {
    char ap[1024];
    snprintf(ap, sizeof ap, "%s/../../shared/anchors/epcis/epcis-event-hash-generator/tests/"
             "examples/ReferenceEventHashAlgorithm", SY_TEST_SRC_DIR);
    char fp[1100];
    snprintf(fp, sizeof fp, "%s.jsonld", ap);
    FILE *f = fopen(fp, "rb");
    CHECK(f != NULL);
    if (f) {
      static char doc[65536];
      size_t dn = fread(doc, 1, sizeof doc - 1, f);
      fclose(f);
      doc[dn] = 0;
      CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 100, doc, ts++), SY_R_VALID);
      snprintf(fp, sizeof fp, "%s.hashes", ap);
      f = fopen(fp, "rb");
      char want[256] = "";
      CHECK(f && fgets(want, sizeof want, f));
      if (f) fclose(f);
      want[strcspn(want, "\r\n")] = 0;
      sy_event ev0;
      CHECK_EQ(sy_ledger_get_event(l, want, &ev0), SY_OK);
      sy_event_free(&ev0);
    }
  }

  /* Query: everything, in eventTime order, paged two at a time. */
  sy_event_query q;
  sy_event_query_init(&q);
  q.limit = 2;
  sy_event_page pg;
  int total = 0, pages = 0;
  int64_t last_time = INT64_MIN;
  for (;;) {
    CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
    for (size_t i = 0; i < pg.n; i++) {
      CHECK(pg.events[i].event_time_ms >= last_time);
      last_time = pg.events[i].event_time_ms;
      CHECK(strncmp(pg.events[i].hash_id, "ni:///sha-256;", 14) == 0);
      CHECK(strstr(pg.events[i].json, "\"eventID\"") != NULL); /* filled in when absent */
    }
    total += (int)pg.n;
    pages++;
    int more = pg.more;
    char tok[64];
    snprintf(tok, sizeof tok, "%s", pg.next_token);
    sy_event_page_free(&pg);
    if (!more) break;
    CHECK_EQ(sy_event_query_set_token(&q, tok), SY_OK);
    if (pages > 10) break;
  }
  CHECK_EQ(total, 7);
  CHECK_EQ(pages, 4);

  /* bizStep: the bare word, its URN and its web URI select the same event. */
  const char *forms[] = {"shipping", "urn:epcglobal:cbv:bizstep:shipping",
                         "https://ref.gs1.org/cbv/BizStep-shipping", "receiving|shipping"};
  for (size_t i = 0; i < 4; i++) {
    sy_event_query_init(&q);
    q.eq_biz_step = forms[i];
    CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
    CHECK_EQ(pg.n, i == 3 ? 2 : 1);
    if (pg.n)
      CHECK(!strcmp(pg.events[0].event_id, "urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00"));
    sy_event_page_free(&pg);
  }
  sy_event_query_init(&q);
  q.match_any_epc = SERIAL1;
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, 3); /* transformation output, aggregation child, inspection */
  sy_event_page_free(&pg);
  sy_event_query_init(&q);
  q.match_epc_class = MATERIAL;
  q.event_types = "ObjectEvent";
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, 1);
  sy_event_page_free(&pg);
  sy_event_query_init(&q);
  q.ge_event_time_ms = 1795305600000; /* 2026-11-22T00:00Z */
  q.lt_event_time_ms = 1798761600000; /* 2027-01-01T00:00Z */
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, 2);
  sy_event_page_free(&pg);
  sy_event_query_init(&q);
  q.eq_disposition = "conformant";
  q.eq_biz_location = "x' OR 1=1 --";
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, 0);
  sy_event_page_free(&pg);

  /* Forward trace of the material lot (SPEC I2a): product lot, serials, pallet. */
  sy_trace t;
  CHECK_EQ(sy_ledger_trace(l, MATERIAL, SY_TRACE_FORWARD, 0, 0, &t), SY_OK);
  CHECK_EQ(t.n_nodes, 5);
  CHECK(node_index(&t, PRODUCT) > 0);
  CHECK(node_index(&t, SERIAL2) > 0);
  int pal = node_index(&t, PALLET);
  CHECK(pal > 0);
  CHECK(node_index(&t, OTHER_MATERIAL) < 0);
  if (pal > 0) {
    CHECK_EQ(t.nodes[pal].depth, 2);
    CHECK(t.nodes[pal].last_biz_location &&
          !strcmp(t.nodes[pal].last_biz_location, "urn:epc:id:sgln:4012345.00011.0"));
    CHECK(t.nodes[pal].last_disposition && strstr(t.nodes[pal].last_disposition, "in_progress"));
    CHECK(t.nodes[pal].last_org && !strcmp(t.nodes[pal].last_org, "tea"));
  }
  int prod = node_index(&t, PRODUCT);
  if (prod > 0) CHECK(t.nodes[prod].quantity == 100.0);
  CHECK_EQ(t.n_edges, 5); /* material -> product, serial1, serial2; serials -> pallet */
  sy_trace_free(&t);

  /* Backward from a serial (SPEC I2b): the material lot, and nothing else. */
  CHECK_EQ(sy_ledger_trace(l, SERIAL2, SY_TRACE_BACKWARD, 0, 0, &t), SY_OK);
  CHECK_EQ(t.n_nodes, 2);
  CHECK(node_index(&t, MATERIAL) == 1);
  sy_trace_free(&t);
  CHECK_EQ(sy_ledger_trace(l, PALLET, SY_TRACE_BACKWARD, 0, 0, &t), SY_OK);
  CHECK_EQ(t.n_nodes, 4); /* pallet, 2 serials, material */
  sy_trace_free(&t);
  CHECK_EQ(sy_ledger_trace(l, MATERIAL, SY_TRACE_FORWARD, 1, 0, &t), SY_OK);
  CHECK_EQ(t.truncated, 1);
  CHECK_EQ(t.n_nodes, 4);
  sy_trace_free(&t);
  CHECK_EQ(sy_ledger_trace(l, "urn:epc:id:sgtin:0000000.000000.0", SY_TRACE_FORWARD, 0, 0, &t),
           SY_ENOTFOUND);

  /* History: the serial's life in eventTime order. */
  CHECK_EQ(sy_ledger_history(l, SERIAL1, NULL, 100, &pg), SY_OK);
  CHECK_EQ(pg.n, 3);
  if (pg.n == 3) {
    CHECK(!strcmp(pg.events[0].type, "TransformationEvent"));
    CHECK(!strcmp(pg.events[2].type, "ObjectEvent"));
    CHECK(strstr(pg.events[2].biz_step, "inspecting") != NULL);
  }
  sy_event_page_free(&pg);

  sy_event ev;
  CHECK_EQ(sy_ledger_get_event(l, "urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00", &ev), SY_OK);
  CHECK(ev.biz_step && !strcmp(ev.biz_step, "https://ref.gs1.org/cbv/BizStep-shipping"));
  char hid[128];
  snprintf(hid, sizeof hid, "%s", ev.hash_id);
  sy_event_free(&ev);
  CHECK_EQ(sy_ledger_get_event(l, hid, &ev), SY_OK);
  uint8_t txid[SY_HASH_LEN];
  memcpy(txid, ev.tx_id, SY_HASH_LEN);
  sy_event_free(&ev);
  CHECK_EQ(sy_ledger_tx_events(l, txid, &pg), SY_OK);
  CHECK_EQ(pg.n, 2); /* the shipping document held two events */
  if (pg.n == 2) CHECK_EQ(pg.events[1].event_index, 1);
  sy_event_page_free(&pg);

  /* An extension event type (schema Extended-Event) on a chain whose
   * genesis does not turn on epcis_extension_events: invalid. */
  CHECK_EQ(sy_ledger_records_extension_events(l), 0);
  CHECK_EQ(submit(l, rec, SY_TX_EPCIS_CAPTURE, 20, custom, ts++), SY_R_INVALID_EPCIS);
  sy_ledger_close(l);

  /* A ledger made before events_hash_own (a full index on hash_id): the
   * writer's open drops the old index, and an event filed under its own
   * eventID is still found by its hash. */
  sqlite3 *raw = NULL;
  CHECK_EQ(sqlite3_open(path, &raw), SQLITE_OK);
  CHECK_EQ(sqlite3_exec(raw,
                        "DROP INDEX events_hash_own;"
                        "CREATE INDEX events_hash ON events(hash_id);",
                        NULL, NULL, NULL),
           SQLITE_OK);
  sqlite3_close(raw);
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  CHECK_EQ(sy_ledger_get_event(l, hid, &ev), SY_OK);
  CHECK(ev.event_id && !strcmp(ev.event_id, "urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00"));
  sy_event_free(&ev);
  sy_ledger_close(l);
  CHECK_EQ(sqlite3_open(path, &raw), SQLITE_OK);
  sqlite3_stmt *ix = NULL;
  CHECK_EQ(sqlite3_prepare_v2(raw,
                              "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema "
                              "WHERE type='index' AND name LIKE 'events_hash%' ORDER BY name)",
                              -1, &ix, NULL),
           SQLITE_OK);
  CHECK_EQ(sqlite3_step(ix), SQLITE_ROW);
  const char *names = (const char *)sqlite3_column_text(ix, 0);
  CHECK(names && !strcmp(names, "events_hash_own"));
  sqlite3_finalize(ix);
  sqlite3_close(raw);

  /* verify replays the captures and compares the event indexes too. */
  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(path, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  if (!vr.ok) fprintf(stderr, "verify: %s\n", vr.what);
  /* The replay went to a scratch file beside the ledger, removed after. */
  DIR *dd = opendir(dir);
  int scratch_left = 0;
  for (struct dirent *de; dd && (de = readdir(dd));) scratch_left += strstr(de->d_name, ".verify-") != NULL;
  if (dd) closedir(dd);
  CHECK_EQ(scratch_left, 0);
  extension_events(dir);
  prep_equivalence(dir);
  wide_walk(dir);
  for (size_t i = 0; i < 4; i++) sy_key_free(*keys[i]);
  return sy_test_done("test_ledger_events");
}
