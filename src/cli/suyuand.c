/* suyuand: one Suyuan node. Opens the ledger, starts the solo orderer and
 * the commit pipeline, and serves the HTTP API (docs/http-api.md) until
 * SIGINT or SIGTERM.
 *
 * Exit codes: 0 after a clean shutdown, 1 when something fails at run time
 * (key, genesis, ledger, socket), 2 for usage errors (including a missing
 * passphrase). Logs go to stderr, one line per event; stdout carries the
 * one line scripts wait for: "suyuand: listening on http://HOST:PORT". */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "consensus/consensus.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "crypto/suite.h"
#include "label/label.h"
#include "ledger/ledger.h"

#ifndef SY_VERSION
#define SY_VERSION "0.1.0"
#endif

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define PASS_MAX 4096          /* bytes of passphrase read from a file */
#define GENESIS_MAX (1u << 20) /* a genesis file is a small JSON document */
#define DEFAULT_PORT 7420
#define DEFAULT_BLOCK_TXS 4096
#define DEFAULT_BATCH_MS 2
#define DEFAULT_MAX_BACKLOG 200000

static const char USAGE[] =
    "usage: suyuand --data DIR [options]\n"
    "\n"
    "Runs a Suyuan node: ledger, orderer (solo, or an etcd cluster) and HTTP API.\n"
    "\n"
    "  --data DIR              node directory (required)\n"
    "  --listen HOST:PORT      address to serve on (default 127.0.0.1:7420; port 0 picks a\n"
    "                          free port; IPv6 as [::1]:7420)\n"
    "  --genesis FILE          genesis file (default DIR/genesis.json)\n"
    "  --node-key FILE         node keystore (default DIR/keys/node.key)\n"
    "  --passphrase-file FILE  file holding the node key's passphrase (else the\n"
    "                          SUYUAN_PASSPHRASE environment variable)\n"
    "  --max-tx-bytes N        largest transaction accepted (default 1049088: a 1 MiB\n"
    "                          EPCIS document and its envelope)\n"
    "  --auth-reads            EPCIS queries, capture jobs, trace and recall need a\n"
    "                          bearer token too (captures always do)\n"
    "  --block-txs N           close a block at N transactions (default 4096)\n"
    "  --batch-ms N            or N ms after its first transaction (default 2; 0: do\n"
    "                          not wait for more)\n"
    "  --addr-file FILE        once serving, write the base URL to FILE (atomically)\n"
    "  --etcd URL[,URL...]     order through the etcd cluster at these client URLs (a\n"
    "                          consortium cluster, docs/consensus.md); absent: solo\n"
    "  --etcd-prefix P         etcd key prefix (default /suyuan)\n"
    "  --advertise URL         base URL other peers reach this node's API at (default:\n"
    "                          the listening address)\n"
    "  --public-url URL        base URL consumers reach this node at, printed in QR codes,\n"
    "                          Digital Link linksets and SMS replies (default: the\n"
    "                          listening address)\n"
    "  --idle-timeout S        close a connection silent for S seconds (default 30)\n"
    "  --per-ip-connections N  at most N open connections from one client address\n"
    "                          (default 128; 0: no limit, e.g. behind a proxy)\n"
    "  --help                  show this help\n"
    "  --version               show the version\n"
    "\n"
    "Exit status: 0 clean shutdown (SIGINT/SIGTERM), 1 runtime failure, 2 usage error.\n";

typedef struct config {
  const char *data;
  char *host; /* owned */
  int port;
  char *genesis, *node_key, *ledger; /* owned */
  const char *pass_file;
  const char *addr_file;
  size_t max_tx_bytes;
  size_t block_txs;
  unsigned batch_ms;
  int auth_reads;
  const char *etcd;      /* NULL: solo */
  const char *etcd_prefix;
  const char *advertise;
  const char *public_url; /* NULL: the node's own URL */
  unsigned idle_timeout_s;
  unsigned per_ip_connections;
} config;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "suyuand: %s\n", line);
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Strict decimal in [lo, hi]. */
static int parse_num(const char *s, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out) {
  if (!s || !*s || strlen(s) > 20) return -1;
  unsigned long long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    unsigned d = (unsigned)(*p - '0');
    if (v > (ULLONG_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (loopback). */
static int parse_listen(const char *s, char **host, int *port) {
  const char *colon = strrchr(s, ':');
  if (!colon) return -1;
  const char *h = s;
  size_t hl = (size_t)(colon - s);
  if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
    h++;
    hl -= 2;
  } else if (memchr(h, ':', hl)) {
    return -1; /* a bare IPv6 address needs brackets */
  }
  unsigned long long p;
  if (parse_num(colon + 1, 0, 65535, &p) != 0) return -1;
  char *copy = hl ? strndup(h, hl) : strdup("127.0.0.1");
  if (!copy) return -1;
  free(*host);
  *host = copy;
  *port = (int)p;
  return 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "suyuand: %s\nTry 'suyuand --help'.\n", line);
  return EXIT_USAGE;
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, config *cfg) {
  enum {
    O_DATA = 256,
    O_LISTEN,
    O_GENESIS,
    O_KEY,
    O_PASS,
    O_MAXTX,
    O_BLOCK,
    O_BATCH,
    O_ADDR,
    O_AUTH_READS,
    O_ETCD,
    O_ETCD_PREFIX,
    O_ADVERTISE,
    O_PUBLIC_URL,
    O_IDLE,
    O_PER_IP,
    O_HELP,
    O_VERSION
  };
  static const struct option longopts[] = {
      {"data", required_argument, NULL, O_DATA},
      {"listen", required_argument, NULL, O_LISTEN},
      {"genesis", required_argument, NULL, O_GENESIS},
      {"node-key", required_argument, NULL, O_KEY},
      {"passphrase-file", required_argument, NULL, O_PASS},
      {"max-tx-bytes", required_argument, NULL, O_MAXTX},
      {"block-txs", required_argument, NULL, O_BLOCK},
      {"batch-ms", required_argument, NULL, O_BATCH},
      {"addr-file", required_argument, NULL, O_ADDR},
      {"auth-reads", no_argument, NULL, O_AUTH_READS},
      {"etcd", required_argument, NULL, O_ETCD},
      {"etcd-prefix", required_argument, NULL, O_ETCD_PREFIX},
      {"advertise", required_argument, NULL, O_ADVERTISE},
      {"public-url", required_argument, NULL, O_PUBLIC_URL},
      {"idle-timeout", required_argument, NULL, O_IDLE},
      {"per-ip-connections", required_argument, NULL, O_PER_IP},
      {"help", no_argument, NULL, O_HELP},
      {"version", no_argument, NULL, O_VERSION},
      {NULL, 0, NULL, 0},
  };
  unsigned long long v;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
    switch (c) {
      case O_DATA: cfg->data = optarg; break;
      case O_LISTEN:
        if (parse_listen(optarg, &cfg->host, &cfg->port) != 0)
          return usage_error("--listen takes HOST:PORT (port 0..65535), e.g. 127.0.0.1:7420");
        break;
      case O_GENESIS:
        free(cfg->genesis);
        if (!(cfg->genesis = strdup(optarg))) return EXIT_RUNTIME;
        break;
      case O_KEY:
        free(cfg->node_key);
        if (!(cfg->node_key = strdup(optarg))) return EXIT_RUNTIME;
        break;
      case O_PASS: cfg->pass_file = optarg; break;
      case O_MAXTX:
        if (parse_num(optarg, 256, SY_TX_PAYLOAD_MAX + 512ull, &v) != 0)
          return usage_error("--max-tx-bytes takes a number from 256 to %llu",
                             SY_TX_PAYLOAD_MAX + 512ull);
        cfg->max_tx_bytes = (size_t)v;
        break;
      case O_BLOCK:
        if (parse_num(optarg, 1, SY_BLOCK_MAX_TXS, &v) != 0)
          return usage_error("--block-txs takes a number from 1 to %d", SY_BLOCK_MAX_TXS);
        cfg->block_txs = (size_t)v;
        break;
      case O_BATCH:
        if (parse_num(optarg, 0, 60000, &v) != 0)
          return usage_error("--batch-ms takes a number of milliseconds from 0 to 60000");
        cfg->batch_ms = (unsigned)v;
        break;
      case O_ADDR: cfg->addr_file = optarg; break;
      case O_AUTH_READS: cfg->auth_reads = 1; break;
      case O_ETCD:
        if (!*optarg) return usage_error("--etcd takes URL[,URL...]");
        cfg->etcd = optarg;
        break;
      case O_ETCD_PREFIX:
        if (optarg[0] != '/' || strlen(optarg) > 100)
          return usage_error("--etcd-prefix takes a key prefix starting with '/'");
        cfg->etcd_prefix = optarg;
        break;
      case O_ADVERTISE:
        if ((strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) ||
            strlen(optarg) > 256)
          return usage_error("--advertise takes an http:// or https:// URL");
        cfg->advertise = optarg;
        break;
      case O_PUBLIC_URL: {
        /* Printed into links and QR codes: an absolute http(s) URL of
         * printable ASCII, no query, fragment or trailing '/'. */
        size_t n = strlen(optarg);
        int ok = (strncmp(optarg, "http://", 7) == 0 || strncmp(optarg, "https://", 8) == 0) &&
                 n > 8 && n <= 200 && optarg[n - 1] != '/';
        for (size_t i = 0; ok && i < n; i++)
          if (optarg[i] <= 0x20 || optarg[i] >= 0x7f || optarg[i] == '?' || optarg[i] == '#' ||
              optarg[i] == '"' || optarg[i] == '<' || optarg[i] == '>' || optarg[i] == '\\')
            ok = 0;
        if (!ok)
          return usage_error("--public-url takes an http:// or https:// URL without a trailing "
                             "'/', query or fragment (at most 200 characters)");
        cfg->public_url = optarg;
        break;
      }
      case O_IDLE:
        if (parse_num(optarg, 1, 3600, &v) != 0)
          return usage_error("--idle-timeout takes a number of seconds from 1 to 3600");
        cfg->idle_timeout_s = (unsigned)v;
        break;
      case O_PER_IP:
        if (parse_num(optarg, 0, 100000, &v) != 0)
          return usage_error("--per-ip-connections takes a number from 0 (no limit) to 100000");
        cfg->per_ip_connections = v == 0 ? UINT_MAX : (unsigned)v;
        break;
      case O_HELP: fputs(USAGE, stdout); return 0;
      case O_VERSION: printf("suyuand %s\n", SY_VERSION); return 0;
      case ':': return usage_error("%s needs a value", argv[optind - 1]);
      default: return usage_error("unknown option %s", argv[optind - 1]);
    }
  }
  if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
  if (!cfg->data || !*cfg->data) return usage_error("--data DIR is required");
  return -1;
}

/* Reads a whole (small) file; *out malloc'd. Returns 0, or errno. */
static int read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  uint8_t *buf = malloc(max + 1);
  if (!buf) {
    close(fd);
    return ENOMEM;
  }
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, max + 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      return e;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n > max) {
      free(buf);
      close(fd);
      return EFBIG;
    }
  }
  close(fd);
  *out = buf;
  *len = n;
  return 0;
}

/* The node key's passphrase: --passphrase-file, else SUYUAN_PASSPHRASE.
 * *pass is malloc'd; the caller wipes and frees it. Returns -1 to go on,
 * else the exit code. Never prints the passphrase. */
static int get_passphrase(const config *cfg, char **pass, size_t *len) {
  if (cfg->pass_file) {
    struct stat st;
    if (stat(cfg->pass_file, &st) == 0 && (st.st_mode & 077))
      logf_("warning: passphrase file %s is readable by group or others (chmod 600 it)",
            cfg->pass_file);
    uint8_t *buf;
    size_t n;
    int e = read_file(cfg->pass_file, PASS_MAX, &buf, &n);
    if (e) {
      logf_("cannot read passphrase file %s: %s", cfg->pass_file,
            e == EFBIG ? "longer than 4096 bytes" : strerror(e));
      return EXIT_RUNTIME;
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--; /* one line, as editors save it */
    buf[n] = 0;
    *pass = (char *)buf;
    *len = n;
  } else {
    const char *env = getenv("SUYUAN_PASSPHRASE");
    if (!env) {
      fprintf(stderr,
              "suyuand: no passphrase for the node key: give --passphrase-file FILE or set "
              "SUYUAN_PASSPHRASE\n");
      return EXIT_USAGE;
    }
    if (!(*pass = strdup(env))) return EXIT_RUNTIME;
    *len = strlen(env);
  }
  if (*len == 0) {
    free(*pass);
    *pass = NULL;
    fprintf(stderr, "suyuand: the node key's passphrase is empty\n");
    return EXIT_USAGE;
  }
  return -1;
}

static void wipe_free(char *p, size_t n) {
  if (!p) return;
  volatile char *v = p;
  for (size_t i = 0; i < n; i++) v[i] = 0;
  free(p);
}

/* Writes text to path through a temporary file and rename(2), so a reader
 * polling for the file never sees it half-written. */
static int write_atomic(const char *path, const char *text) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (!tmp) return ENOMEM;
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int e = 0;
  if (fd < 0) {
    e = errno;
    free(tmp);
    return e;
  }
  size_t len = strlen(text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      e = errno;
      break;
    }
    off += (size_t)w;
  }
  if (!e && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && !e) e = errno;
  if (!e && rename(tmp, path) != 0) e = errno;
  if (e) unlink(tmp);
  free(tmp);
  return e;
}

static const char *key_error(int rc) {
  switch (rc) {
    case SY_EPASSPHRASE: return "wrong passphrase or damaged key file";
    case SY_EPERM: return "the key file is readable by group or others (chmod 600 it)";
    case SY_EIO: return "cannot read the key file";
    default: return sy_strerror(rc);
  }
}

int main(int argc, char **argv) {
  /* Block the shutdown signals before any thread exists, so every thread
   * inherits the mask and only sigwait() below sees them. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN); /* a client hanging up must not kill the node */

  config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.port = DEFAULT_PORT;
  cfg.max_tx_bytes = SY_API_DEFAULT_MAX_TX_BYTES;
  cfg.block_txs = DEFAULT_BLOCK_TXS;
  cfg.batch_ms = DEFAULT_BATCH_MS;

  int code = parse_args(argc, argv, &cfg);
  char *pass = NULL;
  size_t pass_len = 0;
  uint8_t *genesis = NULL;
  size_t genesis_len = 0;
  sy_key *key = NULL;
  sy_secret *secret = NULL; /* the passphrase, kept to open custody keys */
  sy_ledger *ledger = NULL;
  sy_orderer *orderer = NULL;
  sy_pipeline *pipe = NULL;
  sy_api *api = NULL;
  int wrote_addr = 0, served = 0;
  char err[512] = "";
  if (code >= 0) goto out;
  code = EXIT_RUNTIME;

  if (!cfg.host && !(cfg.host = strdup("127.0.0.1"))) goto out;
  if (!cfg.genesis && !(cfg.genesis = join(cfg.data, "genesis.json"))) goto out;
  if (!cfg.node_key && !(cfg.node_key = join(cfg.data, "keys/node.key"))) goto out;
  if (!(cfg.ledger = join(cfg.data, "ledger.db"))) goto out;

  struct stat st;
  if (stat(cfg.data, &st) != 0 || !S_ISDIR(st.st_mode)) {
    logf_("data directory %s does not exist (create a chain with 'suyuan init')", cfg.data);
    goto out;
  }

  int rc = sy_crypto_init();
  if (rc != SY_OK) {
    logf_("cannot initialise the crypto library: %s", sy_strerror(rc));
    goto out;
  }
  int pc = get_passphrase(&cfg, &pass, &pass_len);
  if (pc >= 0) {
    code = pc;
    goto out;
  }
  rc = sy_keystore_load(cfg.node_key, pass, pass_len, &key);
  /* Custody keystores (DIR/custody/, docs/trace.md) are encrypted with the
   * node's passphrase and opened on first use: keep it, in guarded memory. */
  int src = rc == SY_OK ? sy_secret_new(pass, pass_len, &secret) : SY_OK;
  wipe_free(pass, pass_len);
  pass = NULL;
  if (src != SY_OK) {
    logf_("cannot keep the passphrase for custody keys: %s", sy_strerror(src));
    goto out;
  }
  if (rc != SY_OK) {
    logf_("cannot load node key %s: %s", cfg.node_key, key_error(rc));
    goto out;
  }
  char key_hex[2 * SY_KEYID_LEN + 1];
  sy_hex_encode(key_hex, sy_key_id_of(key), SY_KEYID_LEN);

  /* The genesis file is needed to create a ledger; an existing ledger
   * carries block 0 and is checked against the file only when it exists. */
  int ge = read_file(cfg.genesis, GENESIS_MAX, &genesis, &genesis_len);
  if (ge != 0) {
    if (!(ge == ENOENT && stat(cfg.ledger, &st) == 0)) {
      logf_("cannot read genesis file %s: %s", cfg.genesis,
            ge == EFBIG ? "larger than 1 MiB" : strerror(ge));
      goto out;
    }
    genesis = NULL;
    genesis_len = 0;
  }

  sy_ledger_opts lo;
  memset(&lo, 0, sizeof lo);
  lo.path = cfg.ledger;
  lo.genesis = genesis;
  lo.genesis_len = genesis_len;
  lo.node_key = key;
  rc = sy_ledger_open(&ledger, &lo, err, sizeof err);
  if (rc != SY_OK) {
    logf_("cannot open ledger %s: %s%s%s", cfg.ledger, sy_strerror(rc), err[0] ? ": " : "", err);
    goto out;
  }
  sy_tip tip;
  memset(&tip, 0, sizeof tip);
  sy_ledger_tip(ledger, &tip);
  logf_("chain %s at height %" PRIu64 ", node key %s, ledger %s", sy_ledger_chain_id(ledger),
        tip.height, key_hex, cfg.ledger);

  if (cfg.etcd) {
    sy_etcd_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.endpoints = cfg.etcd;
    eo.prefix = cfg.etcd_prefix;
    eo.advertise_url = cfg.advertise;
    eo.max_batch_txs = cfg.block_txs;
    eo.batch_wait_ms = cfg.batch_ms;
    eo.max_backlog = DEFAULT_MAX_BACKLOG;
    err[0] = 0;
    rc = sy_etcd_orderer_new(&eo, ledger, key, &orderer, err, sizeof err);
    if (rc != SY_OK) {
      logf_("cannot create the etcd orderer: %s", err[0] ? err : sy_strerror(rc));
      goto out;
    }
    logf_("ordering through etcd at %s", cfg.etcd);
  } else {
    sy_solo_opts so;
    memset(&so, 0, sizeof so);
    so.max_block_txs = cfg.block_txs;
    so.batch_wait_ms = cfg.batch_ms;
    so.max_backlog = DEFAULT_MAX_BACKLOG;
    so.proposer = sy_key_id_of(key);
    rc = sy_solo_new(&so, &orderer);
    if (rc != SY_OK) {
      logf_("cannot create the solo orderer: %s", sy_strerror(rc));
      goto out;
    }
  }
  rc = sy_pipeline_new(ledger, orderer, cfg.max_tx_bytes, &pipe);
  if (rc != SY_OK) {
    logf_("cannot start the commit pipeline: %s", sy_strerror(rc));
    goto out;
  }

  sy_api_opts ao;
  memset(&ao, 0, sizeof ao);
  ao.listen_host = cfg.host;
  ao.port = cfg.port;
  ao.max_tx_bytes = cfg.max_tx_bytes;
  ao.ledger_path = cfg.ledger;
  ao.node_key_id_hex = key_hex;
  ao.version = SY_VERSION;
  ao.data_dir = cfg.data;
  ao.passphrase = secret;
  ao.auth_reads = cfg.auth_reads;
  ao.public_url = cfg.public_url;
  ao.idle_timeout_s = cfg.idle_timeout_s;
  ao.per_ip_connections = cfg.per_ip_connections;
  err[0] = 0;
  rc = sy_api_start(&api, &ao, ledger, pipe, err, sizeof err);
  if (rc != SY_OK) {
    logf_("cannot start the HTTP API: %s", err[0] ? err : sy_strerror(rc));
    goto out;
  }

  /* Peers fetch blocks from the URL this node announces. */
  if (cfg.etcd && !cfg.advertise) sy_etcd_orderer_set_advertise(orderer, sy_api_url(api));
  /* The socket is accepting now: announce it. */
  printf("suyuand: listening on %s\n", sy_api_url(api));
  fflush(stdout);
  served = 1;
  if (cfg.addr_file) {
    char line[128];
    snprintf(line, sizeof line, "%s\n", sy_api_url(api));
    int e = write_atomic(cfg.addr_file, line);
    if (e) {
      logf_("cannot write address file %s: %s", cfg.addr_file, strerror(e));
      goto out;
    }
    wrote_addr = 1;
  }

  int sig = 0;
  while (sigwait(&sigs, &sig) != 0) {
  }
  logf_("received %s, shutting down", sig == SIGINT    ? "SIGINT"
                                      : sig == SIGTERM ? "SIGTERM"
                                                       : "SIGHUP");
  /* A second signal ends the process at once, should the orderly path hang. */
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
  code = 0;

out:
  /* Order matters: the API first (its handlers use the pipeline and may be
   * waiting on a commit), then the pipeline (it flushes what is queued and
   * stops the orderer), then the orderer, the ledger, the key. */
  sy_api_stop(api);
  sy_label_cleanup(); /* cairo / fontconfig caches of GET /v1/label (no renderer runs now) */
  if (pipe) sy_pipeline_free(pipe);
  if (orderer) orderer->ops->destroy(orderer);
  if (ledger) sy_ledger_close(ledger);
  if (key) sy_key_free(key);
  sy_secret_free(secret);
  if (wrote_addr) unlink(cfg.addr_file); /* the address is no longer served */
  wipe_free(pass, pass_len);
  free(genesis);
  free(cfg.host);
  free(cfg.genesis);
  free(cfg.node_key);
  free(cfg.ledger);
  if (served) logf_("stopped");
  return code;
}
