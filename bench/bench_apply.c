/* Where the time goes on one node, without HTTP: signing, verifying (1 and
 * 2 threads), and sy_ledger_append of signed single-event transactions in
 * blocks, with signatures pre-verified (as admission does) and not (as
 * replay/verify does). Durable: WAL + synchronous=FULL, one fsync a block.
 *
 *   sy_bench_apply [-n TXS] [-b BLOCK_TXS] [--dir DIR]
 * Prints one line per measurement; medians of 3 runs where it repeats. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
  uint8_t *p;
  size_t len;
} txb;

static txb *txs;
static size_t ntx;
static const sy_suite *S;
static const uint8_t *rec_pk;
static size_t rec_pk_len;

typedef struct {
  size_t lo, hi;
  long ok;
} vjob;

static void *verify_range(void *arg) {
  vjob *j = arg;
  for (size_t i = j->lo; i < j->hi; i++) {
    sy_tx tx;
    if (sy_tx_decode(&tx, txs[i].p, txs[i].len) == SY_OK &&
        S->verify(tx.sig, tx.sig_len, tx.body, tx.body_len, rec_pk, rec_pk_len))
      j->ok++;
  }
  return NULL;
}

static double verify_rate(int threads) {
  pthread_t th[8];
  vjob jobs[8];
  double t0 = now_s();
  for (int t = 0; t < threads; t++) {
    jobs[t] = (vjob){ntx * (size_t)t / (size_t)threads, ntx * (size_t)(t + 1) / (size_t)threads, 0};
    pthread_create(&th[t], NULL, verify_range, &jobs[t]);
  }
  long ok = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(th[t], NULL);
    ok += jobs[t].ok;
  }
  double dt = now_s() - t0;
  if ((size_t)ok != ntx) fprintf(stderr, "verify: only %ld of %zu verified\n", ok, ntx);
  return (double)ntx / dt;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  size_t block = 4096;
  ntx = 100000;
  const char *dir = "/tmp";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) ntx = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "-b") && i + 1 < argc) block = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else {
      fprintf(stderr, "usage: sy_bench_apply [-n TXS] [-b BLOCK_TXS] [--dir DIR]\n");
      return 2;
    }
  }
  if (block == 0 || block > SY_BLOCK_MAX_TXS || ntx == 0) return 2;
  if (sy_crypto_init()) return 1;
  S = sy_suite_default();
  sy_key *admin, *node, *rec;
  sy_key_generate(S, &admin);
  sy_key_generate(S, &node);
  sy_key_generate(S, &rec);
  rec_pk = sy_key_public(rec, &rec_pk_len);
  char ah[65], nh[65], rh[65], genesis[1024], madd[256];
  size_t l;
  const uint8_t *apk = sy_key_public(admin, &l);
  sy_hex_encode(ah, apk, l);
  const uint8_t *npk = sy_key_public(node, &l);
  sy_hex_encode(nh, npk, l);
  sy_hex_encode(rh, rec_pk, rec_pk_len);
  snprintf(genesis, sizeof genesis,
           "{\"chain_id\":\"bench\",\"suite\":\"ed25519-sha256\",\"created_ms\":1,"
           "\"orgs\":[{\"id\":\"o\",\"name\":\"O\",\"admins\":[{\"public_key\":\"%s\"}]}],"
           "\"nodes\":[{\"org\":\"o\",\"public_key\":\"%s\"}]}",
           ah, nh);
  snprintf(madd, sizeof madd, "{\"org\":\"o\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}", rh);

  txs = calloc(ntx, sizeof *txs);
  double t0 = now_s();
  for (size_t i = 0; i < ntx; i++) {
    char payload[512];
    int n = snprintf(payload, sizeof payload,
                     "{\"eventType\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
                     "\"disposition\":\"in_transit\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.%zu\"],"
                     "\"eventTime\":\"2026-11-25T12:00:00.000Z\",\"eventTimeZoneOffset\":\"+08:00\","
                     "\"readPoint\":{\"id\":\"urn:epc:id:sgln:0614141.07346.1234\"},"
                     "\"bizLocation\":{\"id\":\"urn:epc:id:sgln:0614141.07346.0\"}}",
                     i);
    sy_buf b = {0};
    sy_key_sign_tx(rec, &b, SY_TX_RECORD, "bench", 1000 + i, i + 1, (const uint8_t *)payload, (size_t)n);
    txs[i].p = sy_buf_take(&b, &txs[i].len);
  }
  double sign_s = now_s() - t0;
  printf("tx size           %zu bytes (single ObjectEvent payload)\n", txs[0].len);
  printf("sign              %8.0f tx/s (1 thread)\n", (double)ntx / sign_s);
  double v1[3], v2[3];
  for (int r = 0; r < 3; r++) {
    v1[r] = verify_rate(1);
    v2[r] = verify_rate(2);
  }
  qsort(v1, 3, sizeof(double), cmp_d);
  qsort(v2, 3, sizeof(double), cmp_d);
  printf("verify            %8.0f tx/s (1 thread, median of 3)\n", v1[1]);
  printf("verify            %8.0f tx/s (2 threads, median of 3)\n", v2[1]);

  for (int pre = 1; pre >= 0; pre--) {
    char path[512];
    snprintf(path, sizeof path, "%s/sy_bench_apply.%d.db", dir, (int)getpid());
    unlink(path);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    sy_ledger *led;
    sy_ledger_opts o = {.path = path, .genesis = (const uint8_t *)genesis,
                        .genesis_len = strlen(genesis), .node_key = node};
    char err[256];
    if (sy_ledger_open(&led, &o, err, sizeof err)) {
      fprintf(stderr, "open: %s\n", err);
      return 1;
    }
    sy_buf mb = {0};
    sy_key_sign_tx(admin, &mb, SY_TX_MEMBER_ADD, "bench", 1, 1, (const uint8_t *)madd, strlen(madd));
    sy_batch_tx mbt = {mb.p, mb.len, 0, NULL};
    sy_batch b0 = {.txs = &mbt, .n = 1, .timestamp_ms = 2};
    memcpy(b0.proposer, sy_key_id_of(node), SY_KEYID_LEN);
    uint16_t *flags = malloc(block * sizeof *flags);
    sy_commit_info ci;
    sy_ledger_append(led, &b0, flags, &ci);
    sy_buf_free(&mb);
    sy_batch_tx *bt = malloc(block * sizeof *bt);
    size_t blocks = 0, valid = 0;
    t0 = now_s();
    for (size_t i = 0; i < ntx; i += block) {
      size_t n = ntx - i < block ? ntx - i : block;
      for (size_t k = 0; k < n; k++) bt[k] = (sy_batch_tx){txs[i + k].p, txs[i + k].len, pre, NULL};
      sy_batch b = {.txs = bt, .n = n, .timestamp_ms = 3 + blocks};
      memcpy(b.proposer, sy_key_id_of(node), SY_KEYID_LEN);
      int rc = sy_ledger_append(led, &b, flags, &ci);
      if (rc) {
        fprintf(stderr, "append: %s\n", sy_strerror(rc));
        return 1;
      }
      for (size_t k = 0; k < n; k++) valid += flags[k] == 0;
      if (valid != i + n) {
        fprintf(stderr, "append: transaction recorded invalid (%s); the figures would be wrong\n",
                sy_reason_token(flags[0]));
        return 1;
      }
      blocks++;
    }
    double dt = now_s() - t0;
    printf("append            %8.0f tx/s (%s, %zu-tx blocks, %zu blocks, %zu valid, fsync each)\n",
           (double)ntx / dt, pre ? "signatures checked at admission" : "signatures verified in apply",
           block, blocks, valid);
    sy_ledger_close(led);
    if (pre == 0) {
      sy_verify_report vr;
      t0 = now_s();
      sy_ledger_verify(path, &vr, NULL, NULL);
      dt = now_s() - t0;
      printf("verify (offline)  %8.0f tx/s (%s)\n", (double)vr.txs / dt, vr.ok ? "ok" : vr.what);
    }
    free(bt);
    free(flags);
    unlink(path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
  }
  for (size_t i = 0; i < ntx; i++) free(txs[i].p);
  free(txs);
  sy_key_free(admin);
  sy_key_free(node);
  sy_key_free(rec);
  return 0;
}
