/* sy_gen_ledger: fills a node's data directory with a large ledger of EPCIS
 * trace events, in process (sy_ledger_append, no HTTP), for the trace
 * benchmarks (bench/README.md).
 *
 *   suyuan init --chain bench --org org1 --dir DIR      # genesis + keys
 *   sy_gen_ledger --dir DIR -n 10000000                 # DIR/ledger.db
 *   suyuand --data DIR &                                # serves it
 *   sy_bench_trace --node URL --ids DIR/bench-ids.txt
 *
 * It opens DIR/ledger.db (new) with DIR/genesis.json and DIR/keys/node.key,
 * registers a recorder (key saved as DIR/keys/rec.key) with a member.add
 * signed by DIR/keys/admin.key (passphrase: $SUYUAN_PASSPHRASE), then
 * appends epcis.capture transactions of --events-per-tx events (default
 * 1000) from the synthetic tea supply chain of bench/chain_gen.h, signed by
 * the recorder, --block-txs of them a block, one fsync a block: what the
 * node's committer does, minus HTTP, admission and ordering.
 *
 * A producer thread builds and signs documents while the main thread
 * appends, so on two cores the figure is the append (apply) path. By
 * default each transaction is passed as "signature checked at admission"
 * (sig_checked = 1, as the node does for what it admitted itself);
 * --verify-in-apply makes apply verify every signature again. Likewise the
 * producer makes each transaction's capture prep (validation and event hash
 * ids, which a node's admission makes on its HTTP threads, docs/ledger.md);
 * --no-prep leaves that work to apply.
 *
 * At the end it writes DIR/bench-ids.txt: identifiers to trace, with the
 * number of nodes each walk must return. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain_gen.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

#define CHAIN_ERR 2

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sy_gen_ledger: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(CHAIN_ERR);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  while (b) {
    size_t r = fread(b + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
    if (cap - n < 2) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) free(b);
      b = nb;
    }
  }
  fclose(f);
  if (b) b[n] = 0;
  *len = n;
  return b;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* ---- producer: documents built and signed ahead of the appender ---------------- */

typedef struct slot {
  uint8_t *env;
  size_t len;
  sy_capture_prep *prep; /* admission's work, done here as on a node's HTTP thread */
  uint32_t events;
  size_t payload_len;
} slot;

typedef struct producer {
  const sy_key *rec;
  const char *chain;
  uint64_t total;      /* events to make */
  uint32_t per_tx;
  int prep;            /* make each transaction's capture prep (as admission does) */
  uint64_t first;      /* first family */
  slot *ring;
  size_t cap;          /* ring slots */
  size_t head, tail;   /* produced, consumed (monotonic counters) */
  int stop, failed;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  double busy_s;       /* time spent building + signing */
} producer;

static void *producer_main(void *arg) {
  producer *p = arg;
  size_t doc_cap = (size_t)p->per_tx * 1200 + 4096;
  cg_out o = {.p = malloc(doc_cap), .cap = doc_cap};
  sy_buf b = {0};
  if (!o.p) {
    p->failed = 1;
    return NULL;
  }
  uint64_t pos = 0, tx = 0;
  while (pos < p->total) {
    uint32_t n = p->total - pos < p->per_tx ? (uint32_t)(p->total - pos) : p->per_tx;
    double t0 = now_s();
    o.len = 0;
    o.over = 0;
    cg_document(&o, p->first, pos, n);
    if (o.over || o.len > SY_TX_PAYLOAD_MAX) {
      fprintf(stderr, "sy_gen_ledger: a %u-event document does not fit in %u bytes\n", n,
              (unsigned)SY_TX_PAYLOAD_MAX);
      p->failed = 1;
      break;
    }
    sy_buf_reset(&b);
    if (sy_key_sign_tx(p->rec, &b, SY_TX_EPCIS_CAPTURE, p->chain, wall_ms(), tx + 1,
                       (const uint8_t *)o.p, o.len) != SY_OK) {
      p->failed = 1;
      break;
    }
    slot s = {malloc(b.len), b.len, NULL, n, o.len};
    if (!s.env) {
      p->failed = 1;
      break;
    }
    memcpy(s.env, b.p, b.len);
    sy_tx dtx;
    if (p->prep && sy_tx_decode(&dtx, s.env, s.len) == SY_OK) s.prep = sy_ledger_capture_prep(&dtx);
    p->busy_s += now_s() - t0;
    pthread_mutex_lock(&p->mu);
    while (p->head - p->tail == p->cap && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
    if (p->stop) {
      pthread_mutex_unlock(&p->mu);
      sy_capture_prep_free(s.prep);
      free(s.env);
      break;
    }
    p->ring[p->head % p->cap] = s;
    p->head++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pos += n;
    tx++;
  }
  pthread_mutex_lock(&p->mu);
  p->stop = 1; /* no more */
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  free(o.p);
  sy_buf_free(&b);
  return NULL;
}

/* Takes the next signed transaction; 0 when the producer is done. */
static int take(producer *p, slot *out) {
  pthread_mutex_lock(&p->mu);
  while (p->head == p->tail && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
  int ok = p->head != p->tail;
  if (ok) {
    *out = p->ring[p->tail % p->cap];
    p->tail++;
    pthread_cond_broadcast(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return ok;
}

/* ---- ids to trace --------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

/* Families f with first < f < last (a previous family exists, and the next
 * one's blend is on the chain). */
static uint64_t pick_family(uint64_t lo, uint64_t hi) { return lo + rnd() % (hi - lo); }

static void write_ids(const char *path, uint64_t first, uint64_t events, const char *dir,
                      int nback, int nfwd) {
  uint64_t families = events / CG_EVENTS_PER_FAMILY; /* complete ones */
  uint64_t tail = events % CG_EVENTS_PER_FAMILY;
  /* The next family's blend is its event 14 (after 4+4+4+2 lot events). */
  uint64_t next_blend = 3 * CG_LOTS + 2;
  uint64_t hi_x = first + families - (tail > next_blend ? 0 : 1); /* f < hi_x has f+1's blend */
  if (families < 3) {
    fprintf(stderr, "sy_gen_ledger: fewer than 3 complete families (%llu events): no %s\n",
            (unsigned long long)events, path);
    return;
  }
  FILE *f = fopen(path, "w");
  if (!f) die("cannot write %s: %s", path, strerror(errno));
  fprintf(f,
          "# sy_gen_ledger ids for %s: %llu events, %llu complete families of %d events\n"
          "# direction kind epc expected_nodes (10000 = the node's cap: truncated)\n",
          dir, (unsigned long long)events, (unsigned long long)families, CG_EVENTS_PER_FAMILY);
  char id[128];
  uint64_t lo = first + 1, hi = first + families; /* complete, with a previous family */
  for (int i = 0; i < nback; i++) {
    uint64_t fam = pick_family(lo, hi);
    cg_serial(id, sizeof id, fam, (uint32_t)(rnd() % CG_SERIALS));
    fprintf(f, "backward serial %s %u\n", id, cg_back_serial(1));
  }
  for (int i = 0; i < nback / 4; i++) {
    uint64_t fam = pick_family(lo, hi);
    cg_case(id, sizeof id, fam, (uint32_t)(rnd() % CG_CASES));
    fprintf(f, "backward case %s %u\n", id, cg_back_case(1));
  }
  for (int i = 0; i < nback / 4; i++) {
    uint64_t fam = pick_family(lo, hi);
    cg_new_pallet(id, sizeof id, fam, (uint32_t)(rnd() % CG_PALLETS));
    fprintf(f, "backward pallet %s %u\n", id, cg_back_pallet(1));
  }
  for (int i = 0; i < nback / 10; i++) {
    uint64_t fam = pick_family(lo, hi);
    cg_container(id, sizeof id, fam, (uint32_t)(rnd() % CG_CONTAINERS));
    fprintf(f, "backward container %s %u\n", id, cg_back_container(1));
  }
  for (int i = 0; i < nfwd; i++) {
    uint64_t fam = pick_family(lo, hi);
    cg_lot(id, sizeof id, 0, fam, (int)(rnd() % 2)); /* H0/H1: within one family */
    fprintf(f, "forward lot %s %u\n", id, CG_FWD_LOT);
  }
  if (hi_x > lo) {
    for (int i = 0; i < nfwd / 2; i++) {
      uint64_t fam = pick_family(lo, hi_x);
      cg_lot(id, sizeof id, 0, fam, 2 + (int)(rnd() % 2)); /* H2/H3: two blends */
      uint32_t want = 4 + 2 * CG_DOWN_BLEND;
      fprintf(f, "forward lot-x %s %u\n", id, want > 10000 ? 10000 : want);
    }
  }
  if (fclose(f) != 0) die("cannot write %s: %s", path, strerror(errno));
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f) {
  fputs("usage: sy_gen_ledger --dir DIR [-n EVENTS] [options]\n"
        "\n"
        "Appends EVENTS EPCIS events (synthetic tea supply chain, bench/chain_gen.h) to\n"
        "DIR/ledger.db as epcis.capture transactions signed by a new recorder, in\n"
        "process. DIR comes from 'suyuan init' and must have no ledger yet; keys are\n"
        "opened with $SUYUAN_PASSPHRASE. Writes DIR/bench-ids.txt.\n"
        "\n"
        "  -n, --events N        events to append (default 100000)\n"
        "      --events-per-tx N events a transaction (document), 1..10000 (1000)\n"
        "  -b, --block-txs N     transactions a block (default 4)\n"
        "      --verify-in-apply apply verifies each signature (default: passed as\n"
        "                        checked at admission, as the node does)\n"
        "      --no-prep         apply validates and hashes the events (default: the\n"
        "                        producer does, as the node's admission does)\n"
        "      --max-seconds S   stop at the first block boundary after S seconds\n"
        "      --ids N           backward serial ids to write (default 200; 1/4 as many\n"
        "                        cases and pallets, 1/10 containers)\n"
        "      --fwd-ids N       forward lot ids (default 50; half as many lot-x)\n"
        "      --progress S      progress line on stderr every S seconds (10)\n"
        "      --json            print the summary as one JSON object\n",
        f);
}

int main(int argc, char **argv) {
  const char *dir = NULL;
  uint64_t total = 100000;
  uint32_t per_tx = 1000;
  size_t block_txs = 4;
  int verify_in_apply = 0, no_prep = 0, nback = 200, nfwd = 50, json = 0;
  double max_s = 0, progress_s = 10;
  enum { O_DIR = 256, O_EPT, O_VIA, O_NOPREP, O_MAXS, O_IDS, O_FWD, O_PROG, O_JSON };
  static const struct option lo[] = {
      {"dir", required_argument, 0, O_DIR},
      {"events", required_argument, 0, 'n'},
      {"events-per-tx", required_argument, 0, O_EPT},
      {"block-txs", required_argument, 0, 'b'},
      {"verify-in-apply", no_argument, 0, O_VIA},
      {"no-prep", no_argument, 0, O_NOPREP},
      {"max-seconds", required_argument, 0, O_MAXS},
      {"ids", required_argument, 0, O_IDS},
      {"fwd-ids", required_argument, 0, O_FWD},
      {"progress", required_argument, 0, O_PROG},
      {"json", no_argument, 0, O_JSON},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "n:b:h", lo, NULL)) != -1) {
    switch (opt) {
      case O_DIR: dir = optarg; break;
      case 'n': total = strtoull(optarg, NULL, 10); break;
      case O_EPT: per_tx = (uint32_t)strtoul(optarg, NULL, 10); break;
      case 'b': block_txs = strtoul(optarg, NULL, 10); break;
      case O_VIA: verify_in_apply = 1; break;
      case O_NOPREP: no_prep = 1; break;
      case O_MAXS: max_s = atof(optarg); break;
      case O_IDS: nback = atoi(optarg); break;
      case O_FWD: nfwd = atoi(optarg); break;
      case O_PROG: progress_s = atof(optarg); break;
      case O_JSON: json = 1; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return CHAIN_ERR;
    }
  }
  if (!dir || optind < argc) {
    usage(stderr);
    return CHAIN_ERR;
  }
  if (total == 0 || per_tx == 0 || per_tx > 10000 || block_txs == 0 ||
      block_txs > SY_BLOCK_MAX_TXS || nback < 0 || nfwd < 0)
    die("bad option value (see --help)");
  const char *pass = getenv("SUYUAN_PASSPHRASE");
  if (!pass) die("set SUYUAN_PASSPHRASE (the passphrase of DIR/keys/*.key)");
  if (sy_crypto_init() != SY_OK) die("crypto initialisation failed");
  const char *kdf = getenv("SUYUAN_KDF");
  if (kdf && !strcmp(kdf, "fast")) sy_keystore_set_strength(SY_PWHASH_FAST);

  char path[4096], gpath[4096], npath[4096], apath[4096], rpath[4096], ids_path[4096];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  snprintf(gpath, sizeof gpath, "%s/genesis.json", dir);
  snprintf(npath, sizeof npath, "%s/keys/node.key", dir);
  snprintf(apath, sizeof apath, "%s/keys/admin.key", dir);
  snprintf(rpath, sizeof rpath, "%s/keys/rec.key", dir);
  snprintf(ids_path, sizeof ids_path, "%s/bench-ids.txt", dir);
  char wal_path[4200];
  snprintf(wal_path, sizeof wal_path, "%s-wal", path);
  if (access(path, F_OK) == 0) die("%s exists: run on a fresh 'suyuan init' directory", path);
  size_t glen = 0;
  char *genesis = read_all(gpath, &glen);
  if (!genesis) die("cannot read %s: %s", gpath, strerror(errno));
  cJSON *g = cJSON_ParseWithLength(genesis, glen);
  const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(g, "orgs");
  const cJSON *org0 = cJSON_IsArray(orgs) ? cJSON_GetArrayItem(orgs, 0) : NULL;
  const cJSON *org_id = org0 ? cJSON_GetObjectItemCaseSensitive(org0, "id") : NULL;
  if (!cJSON_IsString(org_id)) die("%s has no orgs[0].id", gpath);
  char org[128];
  snprintf(org, sizeof org, "%s", org_id->valuestring);
  cJSON_Delete(g);

  sy_key *node = NULL, *admin = NULL, *rec = NULL;
  int rc;
  if ((rc = sy_keystore_load(npath, pass, strlen(pass), &node)))
    die("cannot load %s: %s", npath, sy_strerror(rc));
  if ((rc = sy_keystore_load(apath, pass, strlen(pass), &admin)))
    die("cannot load %s: %s", apath, sy_strerror(rc));
  if ((rc = sy_key_generate(sy_key_suite(admin), &rec))) die("keygen: %s", sy_strerror(rc));
  if ((rc = sy_keystore_save(rec, rpath, pass, strlen(pass))))
    die("cannot save %s: %s", rpath, sy_strerror(rc));

  sy_ledger *led = NULL;
  sy_ledger_opts o = {.path = path, .genesis = (const uint8_t *)genesis, .genesis_len = glen,
                      .node_key = node};
  char err[512] = "";
  if ((rc = sy_ledger_open(&led, &o, err, sizeof err)))
    die("cannot open %s: %s %s", path, sy_strerror(rc), err);
  const char *chain = sy_ledger_chain_id(led);

  /* Register the recorder. */
  char rhex[2 * SY_PK_MAX + 1], madd[512];
  size_t pkl;
  const uint8_t *rpk = sy_key_public(rec, &pkl);
  sy_hex_encode(rhex, rpk, pkl);
  snprintf(madd, sizeof madd,
           "{\"org\":\"%s\",\"public_key\":\"%s\",\"roles\":[\"recorder\"]}",
           org, rhex);
  sy_buf mb = {0};
  uint64_t last_ts = wall_ms();
  if ((rc = sy_key_sign_tx(admin, &mb, SY_TX_MEMBER_ADD, chain, last_ts, 1, (const uint8_t *)madd,
                           strlen(madd))))
    die("sign member.add: %s", sy_strerror(rc));
  sy_batch_tx mbt = {mb.p, mb.len, 0, NULL};
  sy_batch b0 = {.txs = &mbt, .n = 1, .timestamp_ms = last_ts};
  memcpy(b0.proposer, sy_key_id_of(node), SY_KEYID_LEN);
  uint16_t *flags = calloc(block_txs, sizeof *flags);
  sy_batch_tx *bt = calloc(block_txs, sizeof *bt);
  slot *held = calloc(block_txs, sizeof *held);
  if (!flags || !bt || !held) die("out of memory");
  sy_commit_info ci;
  if ((rc = sy_ledger_append(led, &b0, flags, &ci))) die("append member.add: %s", sy_strerror(rc));
  if (flags[0] != 0) die("member.add recorded invalid: %s", sy_reason_token(flags[0]));
  sy_buf_free(&mb);

  /* Produce and append. */
  producer p = {.rec = rec, .chain = chain, .total = total, .per_tx = per_tx, .prep = !no_prep,
                .first = 0,
                .cap = block_txs * 3};
  p.ring = calloc(p.cap, sizeof *p.ring);
  if (!p.ring) die("out of memory");
  pthread_mutex_init(&p.mu, NULL);
  pthread_cond_init(&p.cv, NULL);
  pthread_t th;
  if (pthread_create(&th, NULL, producer_main, &p) != 0) die("pthread_create failed");

  double t_start = now_s(), append_s = 0, append_cpu_s = 0, t_last = t_start, max_block_s = 0;
  uint64_t events = 0, txs = 0, blocks = 0, payload_bytes = 0, env_bytes = 0, ev_last = 0;
  int stopped_early = 0;
  for (;;) {
    size_t n = 0;
    while (n < block_txs && take(&p, &held[n])) {
      bt[n] = (sy_batch_tx){held[n].env, held[n].len, !verify_in_apply, held[n].prep};
      n++;
    }
    if (n == 0) break;
    uint64_t ts = wall_ms();
    last_ts = ts > last_ts ? ts : last_ts + 1;
    sy_batch b = {.txs = bt, .n = n, .timestamp_ms = last_ts};
    memcpy(b.proposer, sy_key_id_of(node), SY_KEYID_LEN);
    double t0 = now_s(), c0 = thread_cpu_s();
    rc = sy_ledger_append(led, &b, flags, &ci);
    double dt = now_s() - t0;
    append_s += dt;
    append_cpu_s += thread_cpu_s() - c0;
    if (dt > max_block_s) max_block_s = dt;
    if (rc) die("append: %s", sy_strerror(rc));
    for (size_t k = 0; k < n; k++) {
      if (flags[k] != 0)
        die("transaction %llu recorded invalid (%s): the ledger would not be what was asked",
            (unsigned long long)(txs + k), sy_reason_token(flags[k]));
      events += held[k].events;
      payload_bytes += held[k].payload_len;
      env_bytes += held[k].len;
      sy_capture_prep_free(held[k].prep);
      free(held[k].env);
    }
    txs += n;
    blocks++;
    double t = now_s();
    if (progress_s > 0 && t - t_last >= progress_s) {
      fprintf(stderr,
              "sy_gen_ledger: %llu events (%.1f%%), %.0f events/s last %.0f s, %.0f overall, "
              "append-only %.0f events/s, %.1f us CPU/event; ledger %.2f GB + wal %.2f GB\n",
              (unsigned long long)events, 100.0 * (double)events / (double)total,
              (double)(events - ev_last) / (t - t_last), t - t_last,
              (double)events / (t - t_start), (double)events / append_s,
              append_cpu_s / (double)events * 1e6,
              (double)file_size(path) / 1e9,
              (double)file_size(wal_path) / 1e9);
      t_last = t;
      ev_last = events;
    }
    if (max_s > 0 && t - t_start >= max_s && events < total) {
      stopped_early = 1;
      break;
    }
  }
  double wall = now_s() - t_start;
  pthread_mutex_lock(&p.mu);
  p.stop = 1;
  pthread_cond_broadcast(&p.cv);
  pthread_mutex_unlock(&p.mu);
  pthread_join(th, NULL);
  while (p.tail < p.head) free(p.ring[p.tail++ % p.cap].env);
  if (p.failed) die("building or signing a document failed");
  sy_tip tip;
  sy_ledger_tip(led, &tip);
  double t_close = now_s();
  sy_ledger_close(led); /* checkpoints the WAL into the file */
  double close_s = now_s() - t_close;
  long long db_bytes = file_size(path);
  long long wal_bytes = file_size(wal_path);
  write_ids(ids_path, 0, events, dir, nback, nfwd);

  const char *sig_mode = verify_in_apply ? "signatures verified in apply"
                                         : "signatures checked before append (as at admission)";
  if (json) {
    printf("{\"events\":%llu,\"txs\":%llu,\"blocks\":%llu,\"events_per_tx\":%u,\"block_txs\":%zu,"
           "\"height\":%llu,\"wall_s\":%.3f,\"append_s\":%.3f,\"events_per_s\":%.1f,"
           "\"append_events_per_s\":%.1f,\"append_cpu_s\":%.3f,\"append_cpu_us_per_event\":%.2f,"
           "\"max_block_s\":%.3f,\"producer_busy_s\":%.3f,"
           "\"close_s\":%.3f,\"payload_bytes\":%llu,\"envelope_bytes\":%llu,\"db_bytes\":%lld,"
           "\"wal_bytes\":%lld,\"db_bytes_per_event\":%.1f,\"verify_in_apply\":%s,\"prep\":%s,"
           "\"stopped_early\":%s,\"ids\":\"%s\"}\n",
           (unsigned long long)events, (unsigned long long)txs, (unsigned long long)blocks, per_tx,
           block_txs, (unsigned long long)tip.height, wall, append_s, (double)events / wall,
           (double)events / append_s, append_cpu_s, append_cpu_s / (double)(events ? events : 1) * 1e6,
           max_block_s, p.busy_s, close_s,
           (unsigned long long)payload_bytes, (unsigned long long)env_bytes, db_bytes, wal_bytes,
           (double)(db_bytes + wal_bytes) / (double)(events ? events : 1),
           verify_in_apply ? "true" : "false", no_prep ? "false" : "true",
           stopped_early ? "true" : "false", ids_path);
  } else {
    printf("events       %llu in %llu transactions of %u events, %llu blocks of %zu txs%s\n",
           (unsigned long long)events, (unsigned long long)txs, per_tx, (unsigned long long)blocks,
           block_txs, stopped_early ? " (stopped at --max-seconds)" : "");
    printf("payload      %.1f bytes/event (JSON), envelopes %.2f GB\n",
           (double)payload_bytes / (double)(events ? events : 1), (double)env_bytes / 1e9);
    printf("generation   %.0f events/s (%.1f s wall; build+sign on another thread: %.1f s)\n",
           (double)events / wall, wall, p.busy_s);
    printf("append       %.0f events/s (%.1f s in sy_ledger_append, %s; slowest block %.3f s)\n",
           (double)events / append_s, append_s, sig_mode, max_block_s);
    printf("append CPU   %.1f s on the appending thread = %.1f us/event (%.0f events per CPU-second)\n",
           append_cpu_s, append_cpu_s / (double)(events ? events : 1) * 1e6,
           (double)events / append_cpu_s);
    printf("ledger       %s: %.3f GB + wal %.3f GB = %.0f bytes/event (close %.1f s)\n", path,
           (double)db_bytes / 1e9, (double)wal_bytes / 1e9,
           (double)(db_bytes + wal_bytes) / (double)(events ? events : 1), close_s);
    printf("ids          %s\n", ids_path);
  }
  free(flags);
  free(bt);
  free(held);
  free(p.ring);
  free(genesis);
  sy_key_free(node);
  sy_key_free(admin);
  sy_key_free(rec);
  return 0;
}
