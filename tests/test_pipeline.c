/* The commit pipeline with the solo orderer, from many threads at once:
 * every acknowledged transaction is durable and valid, blocks group many
 * transactions, backpressure answers EBUSY, and stopping drains the queue.
 * Also run under ThreadSanitizer by `make check` (docs/reliability.md). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/consensus.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/events.h"
#include "testutil.h"

#define THREADS 8
#define PER_THREAD 150

static sy_key *admin, *node, *rec;
static sy_pipeline *pipe_;
static int committed[THREADS], invalid[THREADS], failed[THREADS];
static uint64_t max_height[THREADS];

static void pkhex(const sy_key *k, char *out) {
  size_t n;
  const uint8_t *pk = sy_key_public(k, &n);
  sy_hex_encode(out, pk, n);
}

static void *writer(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    char payload[320];
    /* Every fourth an EPCIS capture: admission makes its prep on this
     * thread and the writer uses it (ledger.h sy_capture_prep). */
    int cap = i % 4 == 0;
    int n = cap ? snprintf(payload, sizeof payload,
                           "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/"
                           "epcis-context.jsonld\"],\"type\":\"ObjectEvent\",\"eventTime\":\"2026-11-20T08:00:00Z\","
                           "\"eventTimeZoneOffset\":\"+00:00\",\"action\":\"OBSERVE\","
                           "\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.%d-%d\"]}",
                           t, i)
                : snprintf(payload, sizeof payload, "{\"thread\":%d,\"i\":%d}", t, i);
    sy_buf b = {0};
    sy_key_sign_tx(rec, &b, cap ? SY_TX_EPCIS_CAPTURE : SY_TX_RECORD, "pipe", 1000,
                   (uint64_t)(t * 100000 + i), (const uint8_t *)payload, (size_t)n);
    sy_submit_result r;
    int rc = sy_pipeline_submit(pipe_, b.p, b.len, 30000, &r);
    if (rc == SY_OK && r.committed) {
      committed[t]++;
      if (r.reason) invalid[t]++;
      if (r.height > max_height[t]) max_height[t] = r.height;
    } else {
      failed[t]++;
    }
    sy_buf_free(&b);
  }
  return NULL;
}

int main(void) {
  CHECK_EQ(sy_crypto_init(), SY_OK);
  const sy_suite *S = sy_suite_default();
  sy_key_generate(S, &admin);
  sy_key_generate(S, &node);
  sy_key_generate(S, &rec);
  char a[65], nk[65], r[65], g[1024], p[256];
  pkhex(admin, a);
  pkhex(node, nk);
  pkhex(rec, r);
  snprintf(g, sizeof g,
           "{\"chain_id\":\"pipe\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"O\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"o\",\"public_key\":\"%s\"}]}",
           a, nk);
  const char *dir = sy_test_dir("pipeline");
  char path[600], err[256];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  sy_ledger *l = NULL;
  sy_ledger_opts o = {.path = path, .genesis = (const uint8_t *)g, .genesis_len = strlen(g), .node_key = node};
  CHECK_EQ(sy_ledger_open(&l, &o, err, sizeof err), SY_OK);
  if (!l) return sy_test_done("test_pipeline");
  sy_orderer *ord = NULL;
  sy_solo_opts so = {.max_block_txs = 64, .batch_wait_ms = 2, .proposer = sy_key_id_of(node)};
  CHECK_EQ(sy_solo_new(&so, &ord), SY_OK);
  CHECK_EQ(sy_pipeline_new(l, ord, 65536, &pipe_), SY_OK);

  /* The recorder joins through the pipeline too. */
  snprintf(p, sizeof p, "{\"org\":\"o\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", r);
  sy_buf mb = {0};
  sy_key_sign_tx(admin, &mb, SY_TX_MEMBER_ADD, "pipe", 1, 1, (const uint8_t *)p, strlen(p));
  sy_submit_result res;
  CHECK_EQ(sy_pipeline_submit(pipe_, mb.p, mb.len, 10000, &res), SY_OK);
  CHECK_EQ(res.committed, 1);
  CHECK_EQ(res.reason, 0);
  /* The same bytes again: refused at admission (409 at the HTTP layer). */
  CHECK_EQ(sy_pipeline_submit(pipe_, mb.p, mb.len, 10000, &res), SY_EEXIST);
  /* Wrong chain and garbage never reach the orderer. */
  uint8_t junk[3] = {1, 2, 3};
  CHECK_EQ(sy_pipeline_submit(pipe_, junk, sizeof junk, 0, &res), SY_EMALFORMED);
  sy_buf_free(&mb);

  pthread_t th[THREADS];
  for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, writer, (void *)(intptr_t)t);
  for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
  int total = 0, bad = 0, fail = 0;
  for (int t = 0; t < THREADS; t++) {
    total += committed[t];
    bad += invalid[t];
    fail += failed[t];
  }
  CHECK_EQ(total, THREADS * PER_THREAD);
  CHECK_EQ(bad, 0);
  CHECK_EQ(fail, 0);
  sy_tip tip;
  sy_ledger_tip(l, &tip);
  CHECK_EQ(tip.valid_tx_count, 2 + THREADS * PER_THREAD); /* genesis + member.add + records */
  sy_event_query q;
  sy_event_query_init(&q);
  q.limit = 1000;
  sy_event_page pg;
  CHECK_EQ(sy_ledger_query_events(l, &q, &pg, err, sizeof err), SY_OK);
  CHECK_EQ(pg.n, (size_t)THREADS * ((PER_THREAD + 3) / 4)); /* every capture's event is filed */
  sy_event_page_free(&pg);
  /* Group commit: far fewer blocks than transactions. */
  CHECK(tip.height < (uint64_t)(THREADS * PER_THREAD) / 2);
  fprintf(stderr, "  %d transactions in %llu blocks\n", total, (unsigned long long)tip.height);
  sy_pipeline_stats st;
  sy_pipeline_stats_get(pipe_, &st);
  CHECK_EQ(st.committed_txs, 1 + THREADS * PER_THREAD);
  CHECK_EQ(st.failed_blocks, 0);

  /* Without wait: admitted now, committed by the time the pipeline stops
   * (stop drains the queue into final blocks). */
  uint8_t ids[20][SY_HASH_LEN];
  for (int i = 0; i < 20; i++) {
    sy_buf b = {0};
    sy_key_sign_tx(rec, &b, SY_TX_RECORD, "pipe", 2000, (uint64_t)(900000 + i), (const uint8_t *)"{}", 2);
    CHECK_EQ(sy_pipeline_submit(pipe_, b.p, b.len, 0, &res), SY_OK);
    CHECK_EQ(res.committed, 0);
    memcpy(ids[i], res.id, SY_HASH_LEN);
    sy_buf_free(&b);
  }
  sy_pipeline_free(pipe_);
  ord->ops->destroy(ord);
  for (int i = 0; i < 20; i++) {
    sy_tx_info ti;
    CHECK_EQ(sy_ledger_get_tx(l, ids[i], &ti), SY_OK);
    sy_tx_info_free(&ti);
  }

  /* Backpressure: a tiny backlog and a slow orderer (long batch wait). */
  sy_solo_opts so2 = {.max_block_txs = 4096, .batch_wait_ms = 10000, .max_backlog = 5,
                      .proposer = sy_key_id_of(node)};
  CHECK_EQ(sy_solo_new(&so2, &ord), SY_OK);
  CHECK_EQ(sy_pipeline_new(l, ord, 65536, &pipe_), SY_OK);
  int busy = 0, ok = 0;
  sy_buf pre[10];
  memset(pre, 0, sizeof pre);
  for (int i = 0; i < 10; i++)
    sy_key_sign_tx(rec, &pre[i], SY_TX_RECORD, "pipe", 3000, (uint64_t)(800000 + i), (const uint8_t *)"{}", 2);
  for (int i = 0; i < 10; i++) {
    int rc = sy_pipeline_submit(pipe_, pre[i].p, pre[i].len, 0, &res);
    if (rc == SY_EBUSY) busy++;
    if (rc == SY_OK) ok++;
    sy_buf_free(&pre[i]);
  }
  CHECK_EQ(ok, 5);
  CHECK_EQ(busy, 5);
  sy_pipeline_free(pipe_);
  ord->ops->destroy(ord);
  sy_ledger_close(l);

  sy_verify_report vr;
  CHECK_EQ(sy_ledger_verify(path, &vr, NULL, NULL), SY_OK);
  CHECK_EQ(vr.ok, 1);
  sy_key_free(admin);
  sy_key_free(node);
  sy_key_free(rec);
  return sy_test_done("test_pipeline");
}
