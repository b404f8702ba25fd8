/* The consumer's product view and the Digital Link resolver without HTTP
 * (api/product.h, routes_dl.c; docs/resolver.md): sy_product_lookup from
 * every identifier form on a real ledger + solo pipeline (GS1 keys whose
 * company prefix length the lookup has to find), the summary fields (SPEC
 * I7), an unknown serial of a known lot refused, and the handlers driven
 * through sy_api_route: status codes, linkset, 307, product view evidence,
 * static files. Runs under ASan in `make check`, which is what checks the
 * timeline's memory handling. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/product.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "testutil.h"

#include "api_fake.h"
static void route(sy_api_router *r, sy_api_resp *rs, const char *path, const kv *q, const kv *h) {
  fake f = {q, h};
  sy_api_req rq = {.method = "GET",
                   .path = path,
                   .query = f_query,
                   .query_ctx = &f,
                   .query_each = f_each,
                   .header = f_header};
  sy_api_resp_release(rs);
  sy_api_route(r, &rq, rs);
}
static const char *hdr_of(const sy_api_resp *rs, const char *name) {
  for (size_t i = 0; i < rs->nhdrs; i++)
    if (!strcasecmp(rs->hdrs[i].name, name)) return rs->hdrs[i].value;
  return NULL;
}
static cJSON *body_json(const sy_api_resp *rs) {
  return rs->body ? cJSON_ParseWithLength(rs->body, rs->body_len) : NULL;
}

static uint16_t submit(sy_pipeline *p, const sy_key *k, int type, uint64_t nonce,
                       const char *payload) {
  sy_buf b = {0};
  CHECK_EQ(sy_key_sign_tx(k, &b, (uint8_t)type, "unit", 1764000000000ull + nonce, nonce,
                          (const uint8_t *)payload, strlen(payload)),
           SY_OK);
  sy_submit_result r;
  memset(&r, 0, sizeof r);
  CHECK_EQ(sy_pipeline_submit(p, b.p, b.len, 10000, &r), SY_OK);
  sy_buf_free(&b);
  return r.reason;
}

#define HEAD                                                                               \
  "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"          \
  "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2026-04-01T00:" \
  "00:00Z\",\"epcisBody\":{\"eventList\":["
#define TAIL "]}}"
/* Company prefix 95060001 (8 digits): the lookup must try lengths 6..12. */
#define LEAF "urn:epc:class:lgtin:95060001.00001.LEAF-1"
#define ITEM "urn:epc:id:sgtin:95060001.03435.S1"
#define ITEM2 "urn:epc:id:sgtin:95060001.03435.S2"
#define LOTC "urn:epc:class:lgtin:95060001.03435.B7"
#define GTIN "09506000134352"

static const char *const DOCS[] = {
    HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-04-01T23:30:00Z\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"ADD\",\"bizStep\":\"commissioning\","
    "\"quantityList\":[{\"epcClass\":\"" LEAF "\",\"quantity\":5,\"uom\":\"KGM\"}]}" TAIL,
    /* made 2026-04-02T23:00Z = 2026-04-03 07:00 at +08:00: the date is the 3rd */
    HEAD
    "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-04-02T23:00:00Z\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"commissioning\","
    "\"inputQuantityList\":[{\"epcClass\":\"" LEAF
    "\",\"quantity\":5,\"uom\":\"KGM\"}],"
    "\"outputEPCList\":[\"" ITEM "\",\"" ITEM2
    "\"],"
    "\"ilmd\":{\"gs1:productName\":[{\"@value\":\"Green tea\",\"@language\":\"en\"}],"
    "\"gs1:modelNumber\":\"GT-1\",\"cbvmda:lotNumber\":\"B7\"}}" TAIL,
    HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-04-04T02:00:00Z\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"OBSERVE\",\"bizStep\":\"inspecting\","
    "\"disposition\":\"non_conformant\",\"quantityList\":[{\"epcClass\":\"" LOTC
    "\",\"quantity\":2}],\"certificationInfo\":[\"https://cert.example/1\","
    "\"https://cert.example/2\"]}" TAIL,
    HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-04-05T02:00:00Z\","
    "\"eventTimeZoneOffset\":\"+08:00\",\"action\":\"OBSERVE\",\"bizStep\":\"inspecting\","
    "\"disposition\":\"conformant\",\"quantityList\":[{\"epcClass\":\"" LOTC
    "\",\"quantity\":2}]}" TAIL,
};

static void test_lookup_and_routes(void) {
  const sy_suite *S = sy_suite_default();
  sy_keystore_set_strength(SY_PWHASH_FAST);
  sy_key *admin = NULL, *nodek = NULL;
  CHECK_EQ(sy_key_generate(S, &admin), SY_OK);
  CHECK_EQ(sy_key_generate(S, &nodek), SY_OK);
  char a[65], n[65], genesis[1024], path[600], err[256] = "";
  size_t la, ln;
  const uint8_t *pa = sy_key_public(admin, &la), *pn = sy_key_public(nodek, &ln);
  sy_hex_encode(a, pa, la);
  sy_hex_encode(n, pn, ln);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"unit\",\"suite\":\"ed25519-sha256\",\"created_ms\":1763600000000,"
           "\"orgs\":[{\"id\":\"tea\",\"name\":\"Tea\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"tea\",\"public_key\":\"%s\"}]}",
           a, n);
  snprintf(path, sizeof path, "%s/ledger.db", sy_test_dir("product"));
  sy_ledger *ledger = NULL;
  sy_ledger_opts lo = {.path = path,
                       .genesis = (const uint8_t *)genesis,
                       .genesis_len = strlen(genesis),
                       .node_key = nodek};
  CHECK_EQ(sy_ledger_open(&ledger, &lo, err, sizeof err), SY_OK);
  sy_orderer *ord = NULL;
  sy_solo_opts so = {.max_block_txs = 64, .batch_wait_ms = 1, .proposer = sy_key_id_of(nodek)};
  CHECK_EQ(sy_solo_new(&so, &ord), SY_OK);
  sy_pipeline *pipe = NULL;
  CHECK_EQ(sy_pipeline_new(ledger, ord, SY_API_DEFAULT_MAX_TX_BYTES, &pipe), SY_OK);
  if (!ledger || !pipe) return;
  /* The genesis admin is a system manager; give it the inspector and
   * recorder roles through a second key of the same org. */
  sy_key *rec = NULL;
  CHECK_EQ(sy_key_generate(S, &rec), SY_OK);
  char rpk[65], p[512];
  size_t lr;
  const uint8_t *pr_pk = sy_key_public(rec, &lr);
  sy_hex_encode(rpk, pr_pk, lr);
  snprintf(p, sizeof p,
           "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\",\"inspector\"],"
           "\"name\":\"Rec\"}",
           rpk);
  CHECK_EQ(submit(pipe, admin, SY_TX_MEMBER_ADD, 1, p), SY_R_VALID);
  for (size_t i = 0; i < sizeof DOCS / sizeof DOCS[0]; i++)
    CHECK_EQ(submit(pipe, rec, SY_TX_EPCIS_CAPTURE, 10 + i, DOCS[i]), SY_R_VALID);

  /* ---- sy_product_lookup ---- */
  const char *forms[] = {ITEM, "/01/" GTIN "/10/B7/21/S1",
                         "https://example.com/x/01/" GTIN "/21/S1", "(01)" GTIN "(10)B7(21)S1"};
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    sy_product pr;
    int rc = sy_product_lookup(ledger, forms[i], &pr, err, sizeof err);
    CHECK_EQ(rc, SY_OK);
    if (rc) {
      fprintf(stderr, "lookup %s: %s\n", forms[i], err);
      continue;
    }
    CHECK(!strcmp(pr.epc, ITEM));
    CHECK(!strcmp(pr.gtin, GTIN));
    CHECK(!strcmp(pr.serial, "S1"));
    CHECK(!strcmp(pr.lot, "B7")); /* from the key, or from the ILMD's lotNumber */
    CHECK(!strcmp(pr.product_name, "Green tea"));
    CHECK(!strcmp(pr.model, "GT-1"));
    CHECK(!strcmp(pr.production_date, "2026-04-03"));
    CHECK(!strcmp(pr.inspection, "conformant")); /* the latest inspection wins */
    CHECK(!strcmp(pr.brand_org, "tea"));
    CHECK(!strcmp(pr.brand_name, "Tea")); /* from the registry (genesis) */
    CHECK(!strcmp(pr.dl_path, "/01/" GTIN "/10/B7/21/S1") ||
          !strcmp(pr.dl_path, "/01/" GTIN "/21/S1"));
    CHECK(pr.events >= 4); /* the leaf lot's commissioning, the making, two inspections */
  }
  sy_product pr;
  CHECK_EQ(sy_product_lookup(ledger, "/01/" GTIN "/10/B7/21/S9", &pr, err, sizeof err),
           SY_ENOTFOUND); /* a serial nobody recorded: not vouched for by its lot */
  CHECK_EQ(sy_product_lookup(ledger, "/01/" GTIN "/10/B7", &pr, err, sizeof err), SY_OK);
  CHECK(!strcmp(pr.epc, LOTC));
  CHECK_EQ(sy_product_lookup(ledger, "not a code", &pr, err, sizeof err), SY_EINVAL);
  CHECK(err[0] != 0);
  CHECK_EQ(sy_product_lookup(ledger, "", &pr, err, sizeof err), SY_EINVAL);

  /* ---- handlers ---- */
  sy_api_opts ao = {.public_url = "https://t.example"};
  sy_api_router *r = calloc(1, sizeof *r);
  CHECK_EQ(sy_api_router_init(r, &ao, ledger, pipe), SY_OK);
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  kv noq[] = {{NULL, NULL}};
  kv lsj[] = {{"Accept", "application/linkset+json"}, {NULL, NULL}};
  kv html[] = {{"Accept", "text/html,*/*;q=0.8"}, {NULL, NULL}};

  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", noq, lsj);
  CHECK_EQ(rs.status, 200);
  cJSON *j = body_json(&rs);
  cJSON *ctx = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "linkset"), 0);
  CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "anchor")) ?: "",
                "https://t.example/01/" GTIN "/10/B7/21/S1"));
  CHECK(cJSON_GetObjectItem(ctx, "https://gs1.org/voc/pip") != NULL);
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(ctx, "https://gs1.org/voc/certificationInfo")),
           2);
  cJSON_Delete(j);

  kv lt_cert[] = {{"linkType", "gs1:certificationInfo"}, {NULL, NULL}};
  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", lt_cert, NULL);
  CHECK_EQ(rs.status, 300); /* two certificates: GS1 CE answers 300 with the linkset */
  kv lt_trace[] = {{"linkType", "gs1:traceability"}, {NULL, NULL}};
  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", lt_trace, NULL);
  CHECK_EQ(rs.status, 307);
  CHECK(
      hdr_of(&rs, "Location") &&
      !strcmp(hdr_of(&rs, "Location"),
              "https://t.example/v1/trace/history?epc=urn%3Aepc%3Aid%3Asgtin%3A95060001.03435.S1"));
  kv lt_bad[] = {{"linkType", "gs1:recipeInfo"}, {NULL, NULL}};
  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", lt_bad, NULL);
  CHECK_EQ(rs.status, 404);
  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", noq, html);
  CHECK_EQ(rs.status, 200);
  CHECK(rs.content_type && !strncmp(rs.content_type, "text/html", 9));
  route(r, &rs, "/01/" GTIN "/10/B7/21/S1", noq, NULL);
  CHECK_EQ(rs.status, 307);
  route(r, &rs, "/01/09506000134353/21/S1", noq, NULL);
  CHECK_EQ(rs.status, 400);
  route(r, &rs, "/01/" GTIN "/21/S9", noq, NULL);
  CHECK_EQ(rs.status, 404);
  route(r, &rs, "/01/", noq, NULL);
  CHECK_EQ(rs.status, 400);

  kv pid[] = {{"id", ITEM}, {NULL, NULL}};
  route(r, &rs, "/v1/product", pid, NULL);
  CHECK_EQ(rs.status, 200);
  j = body_json(&rs);
  cJSON *evs = cJSON_GetObjectItem(j, "events");
  CHECK(cJSON_GetArraySize(evs) >= 4);
  cJSON *e0 = cJSON_GetArrayItem(evs, 0);
  const char *txid = cJSON_GetStringValue(cJSON_GetObjectItem(e0, "txId"));
  cJSON *tx = txid ? cJSON_GetObjectItem(cJSON_GetObjectItem(j, "transactions"), txid) : NULL;
  CHECK(tx && cJSON_GetStringValue(cJSON_GetObjectItem(tx, "raw")) != NULL);
  CHECK(tx && cJSON_GetObjectItem(cJSON_GetObjectItem(tx, "proof"), "path") != NULL);
  CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "kind")) ?: "", "material"));
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "nodes")), 1);
  cJSON_Delete(j);
  kv bad[] = {{"id", "\xff\xfe"}, {NULL, NULL}};
  route(r, &rs, "/v1/product", bad, NULL);
  CHECK_EQ(rs.status, 400);

  route(r, &rs, "/web/app.js", noq, NULL);
  CHECK_EQ(rs.status, 200);
  route(r, &rs, "/web/../../etc/passwd", noq, NULL);
  CHECK_EQ(rs.status, 404);
  route(r, &rs, "/.well-known/gs1resolver", noq, NULL);
  CHECK_EQ(rs.status, 200);
  CHECK(sy_api_dl_is_path("/01/x") && sy_api_dl_is_path("/8004/x") && !sy_api_dl_is_path("/10/x") &&
        !sy_api_dl_is_path("/01") && !sy_api_dl_is_path("/v1/product"));

  sy_api_resp_release(&rs);
  sy_api_router_close(r);
  free(r);
  sy_pipeline_free(pipe);
  ord->ops->destroy(ord);
  sy_ledger_close(ledger);
  sy_key_free(admin);
  sy_key_free(nodek);
  sy_key_free(rec);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  test_lookup_and_routes();
  return sy_test_done("test_product");
}
