/* The EPCIS REST binding's pieces without HTTP (docs/http-api.md "EPCIS
 * 2.0"): query-parameter parsing of GET /events, time parsing and
 * formatting, URL encoding, bearer tokens (tokens.json re-read on change,
 * constant-time hash compare, expiry, revocation), and the handlers driven
 * through sy_api_route on a real ledger + solo pipeline: capture (rollback
 * and proceed), capture jobs, GET /events with paging, trace and recall. */
#define SY_API_INTERNAL 1
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "epcis/epcis_validate.h"
#include "ledger/events.h"
#include "testutil.h"

/* ---- a fake request ---------------------------------------------------------------- */

#include "api_fake.h"

static sy_api_req mkreq(fake *f, const char *method, const char *path, const char *body) {
  sy_api_req rq = {.method = method,
                   .path = path,
                   .content_type = body ? "application/json" : NULL,
                   .body = (const uint8_t *)body,
                   .body_len = body ? strlen(body) : 0,
                   .query = f_query,
                   .query_ctx = f,
                   .query_each = f_each,
                   .header = f_header};
  return rq;
}

static const char *hdr_of(const sy_api_resp *rs, const char *name) {
  for (size_t i = 0; i < rs->nhdrs; i++)
    if (!strcasecmp(rs->hdrs[i].name, name)) return rs->hdrs[i].value;
  return NULL;
}

static cJSON *body_json(const sy_api_resp *rs) {
  return rs->body ? cJSON_ParseWithLength(rs->body, rs->body_len) : NULL;
}

/* ---- parsers --------------------------------------------------------------------------- */

static int parse(const kv *q, sy_event_query *out, char *err, size_t errlen,
                 sy_api_query_store *st) {
  fake f = {q, NULL};
  sy_api_req rq = mkreq(&f, "GET", "/events", NULL);
  return sy_api_event_query_parse(&rq, out, st, err, errlen);
}

static void test_query_params(void) {
  sy_event_query q;
  sy_api_query_store st = {.n = 0};
  char err[300];

  kv none[] = {{NULL, NULL}};
  CHECK_EQ(parse(none, &q, err, sizeof err, &st), 0);
  CHECK_EQ(q.limit, 30); /* EPCIS default perPage */
  CHECK_EQ(q.descending, 0);
  CHECK(q.ge_event_time_ms == INT64_MIN && q.lt_event_time_ms == INT64_MAX);
  sy_api_query_store_free(&st);

  kv all[] = {{"eventType", "ObjectEvent|AggregationEvent"},
              {"GE_eventTime", "2026-11-20T08:00:00+08:00"},
              {"LT_eventTime", "2026-11-21T00:00:00.5Z"},
              {"EQ_action", "ADD|OBSERVE"},
              {"EQ_bizStep", "shipping|urn:epcglobal:cbv:bizstep:receiving"},
              {"MATCH_anyEPC", "urn:epc:id:sscc:6901234.0000000001"},
              {"orderBy", "recordTime"},
              {"perPage", "5000"},
              {"nextPageToken", "-12.34"},
              {NULL, NULL}};
  CHECK_EQ(parse(all, &q, err, sizeof err, &st), 0);
  CHECK(q.event_types && !strcmp(q.event_types, "ObjectEvent|AggregationEvent"));
  CHECK_EQ(q.ge_event_time_ms, 1795132800000LL); /* 2026-11-20T00:00:00Z */
  CHECK_EQ(q.lt_event_time_ms, 1795219200500LL);
  CHECK(q.eq_action && !strcmp(q.eq_action, "ADD|OBSERVE"));
  CHECK(q.match_any_epc && !strcmp(q.match_any_epc, "urn:epc:id:sscc:6901234.0000000001"));
  CHECK_EQ(q.order_by_record_time, 1);
  CHECK_EQ(q.descending, 1); /* orderBy without orderDirection: DESC */
  CHECK_EQ(q.limit, 1000);   /* clamped to the node's ceiling */
  CHECK_EQ(q.has_cursor, 1);
  CHECK_EQ(q.cursor_key, -12);
  CHECK_EQ(q.cursor_seq, 34);
  sy_api_query_store_free(&st);

  /* An unencoded '+' arrives as a space (form encoding): read as '+'. */
  kv plus[] = {
      {"GE_recordTime", "2026-11-20T08:00:00 08:00"}, {"orderDirection", "ASC"}, {NULL, NULL}};
  CHECK_EQ(parse(plus, &q, err, sizeof err, &st), 0);
  CHECK_EQ(q.ge_record_time_ms, 1795132800000LL);
  CHECK_EQ(q.descending, 0);
  sy_api_query_store_free(&st);

  struct {
    kv q[3];
    const char *needle; /* the error names it */
  } bad[] = {
      {{{"foo", "1"}}, "foo"},
      {{{"WD_bizLocation", "x"}}, "not supported"},
      {{{"GE_eventTime", "2026-02-30T00:00:00Z"}}, "GE_eventTime"},
      {{{"LT_recordTime", "yesterday"}}, "LT_recordTime"},
      {{{"EQ_action", "ADD|CREATE"}}, "EQ_action"},
      {{{"EQ_bizStep", "shipping||receiving"}}, "EQ_bizStep"},
      {{{"EQ_bizStep", ""}}, "EQ_bizStep"},
      {{{"MATCH_epc", NULL}}, "MATCH_epc"},
      {{{"perPage", "0"}}, "perPage"},
      {{{"perPage", "-1"}}, "perPage"},
      {{{"orderBy", "bizStep"}}, "orderBy"},
      {{{"orderDirection", "asc"}}, "orderDirection"},
      {{{"nextPageToken", "1.2x"}}, "nextPageToken"},
      {{{"nextPageToken", " 1.2"}}, "nextPageToken"},
      {{{"nextPageToken", "+1.2"}}, "nextPageToken"},
      {{{"EQ_readPoint",
         "a\x01"
         "b"}},
       "control"},
      {{{"EQ_readPoint", "\xff\xfe"}}, "UTF-8"},
      {{{"EQ_eventID", "a"}, {"EQ_eventID", "b"}}, "more than once"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    int rc = parse(bad[i].q, &q, err, sizeof err, &st);
    CHECK_EQ(rc, -1);
    if (!strstr(err, bad[i].needle)) {
      fprintf(stderr, "case %zu: error '%s' does not mention '%s'\n", i, err, bad[i].needle);
      CHECK(0);
    }
    sy_api_query_store_free(&st);
  }
}

static void test_time_and_encoding(void) {
  int64_t ms;
  CHECK_EQ(sy_api_parse_time("1970-01-01T00:00:00Z", &ms), 0);
  CHECK_EQ(ms, 0);
  CHECK_EQ(sy_api_parse_time("2005-04-03T20:33:31.116000-06:00", &ms), 0);
  CHECK_EQ(ms, 1112582011116LL);
  CHECK_EQ(sy_api_parse_time("2024-02-29T23:59:59.9999Z", &ms), 0);
  CHECK_EQ(ms % 1000, 999); /* truncated to ms */
  CHECK_EQ(sy_api_parse_time("2023-02-29T00:00:00Z", &ms), -1);
  CHECK_EQ(sy_api_parse_time("2026-11-20T08:00:00", &ms), -1); /* no offset */
  CHECK_EQ(sy_api_parse_time("", &ms), -1);
  char t[32];
  sy_api_format_time(1112582011116LL, t);
  CHECK(!strcmp(t, "2005-04-04T02:33:31.116Z"));
  sy_api_format_time(-1, t);
  CHECK(!strcmp(t, "1969-12-31T23:59:59.999Z"));
  char *e = sy_api_url_encode("ni:///sha-256;ab?ver=CBV2.0", 27);
  CHECK(e && !strcmp(e, "ni%3A%2F%2F%2Fsha-256%3Bab%3Fver%3DCBV2.0"));
  free(e);
  CHECK(sy_api_page_token_ok("123.456"));
  CHECK(sy_api_page_token_ok("-1.0"));
  CHECK(!sy_api_page_token_ok("1."));
  CHECK(!sy_api_page_token_ok(".1"));
  CHECK(!sy_api_page_token_ok("12345678901234567890.1"));
}

/* ---- a node without HTTP ----------------------------------------------------------------- */

#define PASS "unit-pass"
static sy_key *admin, *nodek, *rec;
static char dir[512];
static char token[128], token_hash[65], rec_hex[33];

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs(text, f);
  fclose(f);
  chmod(path, 0600);
}

static void write_tokens(int revoked, uint64_t expires) {
  char path[600], tmp[620], text[1024];
  snprintf(path, sizeof path, "%s/tokens.json", dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  snprintf(text, sizeof text,
           "{\"tokens\": [{\"id\": \"00112233aabbccdd\", \"hash\": \"%s\", \"key_id\": \"%s\", "
           "\"name\": \"unit\", \"created_ms\": 1, \"expires_ms\": %llu, \"revoked\": %s}, "
           "{\"id\": \"junk\"}]}",
           token_hash, rec_hex, (unsigned long long)expires, revoked ? "true" : "false");
  write_file(tmp, text);
  CHECK_EQ(rename(tmp, path), 0);
}

static uint16_t submit(sy_pipeline *p, const sy_key *k, int type, uint64_t nonce,
                       const char *payload) {
  sy_buf b = {0};
  CHECK_EQ(sy_key_sign_tx(k, &b, (uint8_t)type, "unit", 1764000000000ull + nonce, nonce,
                          (const uint8_t *)payload, strlen(payload)),
           SY_OK);
  sy_submit_result r;
  CHECK_EQ(sy_pipeline_submit(p, b.p, b.len, 10000, &r), SY_OK);
  sy_buf_free(&b);
  return r.reason;
}

/* route METHOD PATH BODY [query...] [headers...] */
static void route(sy_api_router *r, sy_api_resp *rs, const char *method, const char *path,
                  const char *body, const kv *q, const kv *h) {
  fake f = {q, h};
  sy_api_req rq = mkreq(&f, method, path, body);
  sy_api_resp_release(rs);
  sy_api_route(r, &rq, rs);
}

#define CTX "\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"]"
#define HEAD                                                                                   \
  "{" CTX                                                                                      \
  ",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"2026-11-20T08:00:" \
  "00Z\",\"epcisBody\":{\"eventList\":["
#define TAIL "]}}"
#define LOT "urn:epc:class:lgtin:6901234.000001.LEAF-L1"
#define SER "urn:epc:id:sgtin:6901234.000002.1001"
#define SSCC "urn:epc:id:sscc:6901234.0000000001"

static const char *chain_doc = HEAD
    "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\",\"eventTimeZoneOffset\":\"+"
    "00:00\","
    "\"action\":\"ADD\",\"bizStep\":\"commissioning\",\"quantityList\":[{\"epcClass\":\"" LOT
    "\",\"quantity\":500,\"uom\":\"KGM\"}]},"
    "{\"type\":\"TransformationEvent\",\"eventTime\":\"2026-11-21T08:00:00Z\","
    "\"eventTimeZoneOffset\":\"+00:00\","
    "\"inputQuantityList\":[{\"epcClass\":\"" LOT
    "\",\"quantity\":100,\"uom\":\"KGM\"}],\"outputEPCList\":[\"" SER
    "\"]},"
    "{\"type\":\"AggregationEvent\",\"eventTime\":\"2026-11-22T08:00:00Z\",\"eventTimeZoneOffset\":"
    "\"+00:00\","
    "\"action\":\"ADD\",\"bizStep\":\"packing\",\"parentID\":\"" SSCC "\",\"childEPCs\":[\"" SER
    "\"],"
    "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:6901234.00002.0\"}}" TAIL;

static void test_handlers(void) {
  const sy_suite *S = sy_suite_default();
  sy_keystore_set_strength(SY_PWHASH_FAST);
  CHECK_EQ(sy_key_generate(S, &admin), SY_OK);
  CHECK_EQ(sy_key_generate(S, &nodek), SY_OK);
  CHECK_EQ(sy_key_generate(S, &rec), SY_OK);
  char a[65], n[65], rpk[65], genesis[1024];
  size_t la, ln, lr;
  const uint8_t *pa = sy_key_public(admin, &la), *pn = sy_key_public(nodek, &ln),
                *pr = sy_key_public(rec, &lr);
  sy_hex_encode(a, pa, la);
  sy_hex_encode(n, pn, ln);
  sy_hex_encode(rpk, pr, lr);
  sy_hex_encode(rec_hex, sy_key_id_of(rec), SY_KEYID_LEN);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"unit\",\"suite\":\"ed25519-sha256\",\"created_ms\":1763600000000,"
           "\"orgs\":[{\"id\":\"tea\",\"name\":\"Tea\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"tea\",\"public_key\":\"%s\"}]}",
           a, n);
  snprintf(dir, sizeof dir, "%s", sy_test_dir("api_epcis"));
  char path[700];
  snprintf(path, sizeof path, "%s/custody", dir);
  CHECK_EQ(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/custody/%s.key", dir, rec_hex);
  CHECK_EQ(sy_keystore_save(rec, path, PASS, strlen(PASS)), SY_OK);

  /* token = syt_<id>_<64 hex>; the node keeps its SHA-256 */
  snprintf(token, sizeof token, "syt_00112233aabbccdd_%064d", 7);
  uint8_t h[SY_HASH_LEN];
  sy_slice sl = {token, strlen(token)};
  S->hash(&sl, 1, h);
  sy_hex_encode(token_hash, h, SY_HASH_LEN);
  write_tokens(0, 0);

  snprintf(path, sizeof path, "%s/ledger.db", dir);
  sy_ledger *ledger = NULL;
  sy_ledger_opts lo = {.path = path,
                       .genesis = (const uint8_t *)genesis,
                       .genesis_len = strlen(genesis),
                       .node_key = nodek};
  char err[256];
  err[0] = 0;
  CHECK_EQ(sy_ledger_open(&ledger, &lo, err, sizeof err), SY_OK);
  if (err[0]) fprintf(stderr, "ledger: %s\n", err);
  sy_orderer *ord = NULL;
  sy_solo_opts so = {.max_block_txs = 64, .batch_wait_ms = 1, .proposer = sy_key_id_of(nodek)};
  CHECK_EQ(sy_solo_new(&so, &ord), SY_OK);
  sy_pipeline *pipe = NULL;
  CHECK_EQ(sy_pipeline_new(ledger, ord, SY_API_DEFAULT_MAX_TX_BYTES, &pipe), SY_OK);
  if (!ledger || !pipe) return;
  char p[512];
  snprintf(p, sizeof p, "{\"org\":\"tea\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", rpk);
  CHECK_EQ(submit(pipe, admin, SY_TX_MEMBER_ADD, 1, p), SY_R_VALID);

  sy_secret *pass = NULL;
  CHECK_EQ(sy_secret_new(PASS, strlen(PASS), &pass), SY_OK);
  sy_api_opts ao = {.data_dir = dir, .passphrase = pass, .max_tx_bytes = 0};
  sy_api_router *r = calloc(1, sizeof *r);
  CHECK_EQ(sy_api_router_init(r, &ao, ledger, pipe), SY_OK);
  sy_api_resp rs;
  memset(&rs, 0, sizeof rs);
  char bearer[160];
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  kv auth[] = {{"Authorization", bearer}, {NULL, NULL}};
  kv noq[] = {{NULL, NULL}};

  /* tokens: missing, malformed, unknown, right */
  uint8_t kid[SY_KEYID_LEN];
  char why[160];
  CHECK_EQ(sy_api_tokens_check(r->tokens, NULL, kid, why, sizeof why), SY_EPERM);
  CHECK_EQ(sy_api_tokens_check(r->tokens, "Basic eDp5", kid, why, sizeof why), SY_EPERM);
  char wrong[160];
  snprintf(wrong, sizeof wrong, "Bearer syt_00112233aabbccdd_%064d", 8);
  CHECK_EQ(sy_api_tokens_check(r->tokens, wrong, kid, why, sizeof why), SY_EPERM);
  CHECK(strstr(why, "not known") != NULL);
  CHECK(strstr(why, "0000") == NULL); /* never the token */
  snprintf(wrong, sizeof wrong, "bearer   %s  ", token);
  CHECK_EQ(sy_api_tokens_check(r->tokens, wrong, kid, why, sizeof why), SY_OK);
  CHECK(!memcmp(kid, sy_key_id_of(rec), SY_KEYID_LEN));

  /* capture without a token: 401 with WWW-Authenticate */
  route(r, &rs, "POST", "/capture", chain_doc, noq, NULL);
  CHECK_EQ(rs.status, 401);
  CHECK(hdr_of(&rs, "WWW-Authenticate") && !strncmp(hdr_of(&rs, "WWW-Authenticate"), "Bearer", 6));
  CHECK(hdr_of(&rs, "GS1-EPCIS-Version") != NULL);

  /* rollback capture: 202, Location, a job that is already done */
  route(r, &rs, "POST", "/epcis/capture", chain_doc, noq, auth);
  CHECK_EQ(rs.status, 202);
  CHECK(!strncmp(rs.location, "/epcis/capture/", 15) && strlen(rs.location) == 15 + 64);
  char job_path[400];
  snprintf(job_path, sizeof job_path, "/capture/%s", rs.location + 15);
  cJSON *j = body_json(&rs);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "running")));
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "eventIDs")), 3);
  cJSON_Delete(j);
  route(r, &rs, "GET", job_path, NULL, noq, NULL);
  CHECK_EQ(rs.status, 200);
  j = body_json(&rs);
  CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "captureErrorBehaviour")), "rollback"));
  cJSON_Delete(j);
  /* again: 409 */
  route(r, &rs, "POST", "/capture", chain_doc, noq, auth);
  CHECK_EQ(rs.status, 409);
  CHECK(hdr_of(&rs, "Location") && !strncmp(hdr_of(&rs, "Location"), "/events/ni%3A", 13));

  /* validation errors: index and field */
  route(r, &rs, "POST", "/capture",
        HEAD
        "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\",\"eventTimeZoneOffset\":"
        "\"+00:00\","
        "\"action\":\"CREATE\",\"epcList\":[\"" SER "\"]}" TAIL,
        noq, auth);
  CHECK_EQ(rs.status, 400);
  j = body_json(&rs);
  cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
  CHECK(e0 && cJSON_GetObjectItem(e0, "eventIndex")->valueint == 0);
  CHECK(e0 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "field")),
                      "epcisBody.eventList[0].action"));
  CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "detail")),
               "event 0, epcisBody.eventList[0].action") != NULL);
  cJSON_Delete(j);
  /* An extension event type on a chain whose genesis does not turn on
   * epcis_extension_events: refused before signing, naming its type. */
  route(r, &rs, "POST", "/events",
        "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\","
        "{\"example\":\"https://example.org/epcis\"}],\"type\":\"example:CustomEvent\","
        "\"eventTime\":\"2026-11-20T08:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\"}",
        noq, auth);
  CHECK_EQ(rs.status, 400);
  j = body_json(&rs);
  e0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
  CHECK(e0 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "field")), "type"));
  CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "detail")),
               "epcis_extension_events") != NULL);
  cJSON_Delete(j);
  /* hostile bodies */
  const char *bodies[] = {
      "", "{", "{} {}", "[1]", "{\"type\":\"EPCISDocument\"}", "{\"a\":\"\\u0000\"}", "\xff\xfe"};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    route(r, &rs, "POST", "/capture", bodies[i], noq, auth);
    CHECK_EQ(rs.status, 400);
  }

  /* proceed: the valid event is captured, the bad one reported */
  kv proceed[] = {
      {"Authorization", bearer}, {"GS1-Capture-Error-Behaviour", "proceed"}, {NULL, NULL}};
  route(r, &rs, "POST", "/capture",
        HEAD
        "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-23T08:00:00Z\",\"eventTimeZoneOffset\":"
        "\"+00:00\","
        "\"action\":\"OBSERVE\",\"bizStep\":\"shipping\",\"epcList\":[\"" SSCC
        "\"]},"
        "{\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-23T09:00:00Z\",\"eventTimeZoneOffset\":"
        "\"+00:00\","
        "\"action\":\"OBSERVE\",\"bizStep\":\"nonsense\",\"epcList\":[\"" SSCC "\"]}" TAIL,
        noq, proceed);
  CHECK_EQ(rs.status, 202);
  CHECK(rs.location[0] == '/' && strstr(rs.location, "/capture/p") == rs.location);
  snprintf(job_path, sizeof job_path, "%s", rs.location);
  route(r, &rs, "GET", job_path, NULL, noq, NULL);
  CHECK_EQ(rs.status, 200);
  j = body_json(&rs);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "success")));
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "eventIDs")), 1);
  CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), 1);
  cJSON_Delete(j);
  route(r, &rs, "GET", "/capture/pffffffffffffffffffffffffffffffff", NULL, noq, NULL);
  CHECK_EQ(rs.status, 404);
  route(r, &rs, "GET", "/capture/../../etc", NULL, noq, NULL);
  CHECK_EQ(rs.status, 404);

  /* GET /events: 4 events, pages of 3 then 1, Link to the next */
  kv pp[] = {{"perPage", "3"}, {NULL, NULL}};
  route(r, &rs, "GET", "/events", NULL, pp, NULL);
  CHECK_EQ(rs.status, 200);
  const char *link = hdr_of(&rs, "Link");
  CHECK(link && !strncmp(link, "</events?perPage=3&nextPageToken=", 33));
  char tok[64] = "";
  if (link) sscanf(strstr(link, "nextPageToken=") + 14, "%63[^>]", tok);
  j = body_json(&rs);
  cJSON *list = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "epcisBody"), "queryResults"),
                          "resultsBody"),
      "eventList");
  CHECK_EQ(cJSON_GetArraySize(list), 3);
  CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "recordTime") != NULL);
  /* what we answer is itself a valid EPCISQueryDocument */
  sy_epcis_error ve[4];
  size_t nve = 0;
  CHECK_EQ(sy_epcis_validate_document(j, ve, 4, &nve), SY_OK);
  if (nve) fprintf(stderr, "query document: %s: %s\n", ve[0].field, ve[0].detail);
  cJSON_Delete(j);
  kv pp2[] = {{"perPage", "3"}, {"nextPageToken", tok}, {NULL, NULL}};
  route(r, &rs, "GET", "/events", NULL, pp2, NULL);
  CHECK_EQ(rs.status, 200);
  CHECK(hdr_of(&rs, "Link") == NULL);
  kv badq[] = {{"GE_eventTime", "then"}, {NULL, NULL}};
  route(r, &rs, "GET", "/events", NULL, badq, NULL);
  CHECK_EQ(rs.status, 400);

  /* trace and recall */
  kv fwd[] = {{"epc", LOT}, {NULL, NULL}};
  route(r, &rs, "GET", "/v1/trace/forward", NULL, fwd, NULL);
  CHECK_EQ(rs.status, 200);
  CHECK(rs.body && strstr(rs.body, SSCC) && strstr(rs.body, SER));
  route(r, &rs, "GET", "/v1/recall", NULL, fwd, NULL);
  CHECK_EQ(rs.status, 200);
  j = body_json(&rs);
  CHECK_EQ(cJSON_GetObjectItem(j, "count")->valueint, 2);
  cJSON_Delete(j);
  kv nobody[] = {{"epc", "urn:x:nobody"}, {NULL, NULL}};
  route(r, &rs, "GET", "/v1/trace/backward", NULL, nobody, NULL);
  CHECK_EQ(rs.status, 404);
  kv extra[] = {{"epc", LOT}, {"depth", "3"}, {NULL, NULL}};
  route(r, &rs, "GET", "/v1/trace/forward", NULL, extra, NULL);
  CHECK_EQ(rs.status, 400);
  route(r, &rs, "POST", "/v1/trace/forward", "{}", fwd, NULL);
  CHECK_EQ(rs.status, 405);

  /* revoked and expired tokens stop working at once (file replaced) */
  write_tokens(1, 0);
  route(r, &rs, "POST", "/capture", chain_doc, noq, auth);
  CHECK_EQ(rs.status, 401);
  write_tokens(0, 1000);
  route(r, &rs, "POST", "/capture", chain_doc, noq, auth);
  CHECK_EQ(rs.status, 401);
  write_tokens(0, 0);
  route(r, &rs, "POST", "/capture", chain_doc, noq, auth);
  CHECK_EQ(rs.status, 409); /* authorised again; the events are there */

  sy_api_resp_release(&rs);
  sy_api_router_close(r);
  free(r);
  sy_secret_free(pass);
  sy_pipeline_free(pipe);
  ord->ops->destroy(ord);
  sy_ledger_close(ledger);
  sy_key_free(admin);
  sy_key_free(nodek);
  sy_key_free(rec);
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  CHECK(sy_ct_equal("abc", "abc", 3));
  CHECK(!sy_ct_equal("abc", "abd", 3));
  test_query_params();
  test_time_and_encoding();
  test_handlers();
  return sy_test_done("test_api_epcis");
}
