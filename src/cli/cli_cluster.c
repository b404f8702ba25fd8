/* A local cluster for development and tests: cluster up | down (docs/cli.md).
 *
 * `cluster up --nodes N --dir D` makes one chain whose genesis names N node
 * keys (one organisation, "dev", whose admin key is D/keys/admin.key),
 * starts a 3-member etcd cluster and N suyuand peers on 127.0.0.1 with free
 * ports, and writes D/cluster.json: every process's PID, URLs, data
 * directory and command line. `cluster down --dir D` stops exactly those
 * PIDs (after checking each is still the program it started), peers first.
 *
 * The passphrase of the new keys (--passphrase-file, SUYUAN_PASSPHRASE or
 * the terminal) is handed to the peers in their environment, never written
 * to disk. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

#define ETCD_MEMBERS 3
#define MAX_PEERS 16
#define PASS_MAX 1024
#define START_WAIT_MS 30000
#define STOP_WAIT_MS 10000
#define CLUSTER_JSON_MAX (1u << 20)

enum { OPT_NODES = CLI_OPT_FIRST_LOCAL, OPT_DIR };

static const char UP_USAGE[] = "suyuan cluster up --nodes N --dir DIR";
static const char DOWN_USAGE[] = "suyuan cluster down --dir DIR";
static const char CLUSTER_HELP[] =
    "usage: suyuan cluster <up|down> ...\n"
    "\n"
    "  up    suyuan cluster up --nodes N --dir DIR\n"
    "        Creates a chain with N node keys in its genesis (organisation \"dev\",\n"
    "        admin key DIR/keys/admin.key), starts a 3-member etcd cluster and N\n"
    "        peers (suyuand --etcd) on 127.0.0.1 with free ports, prints each\n"
    "        peer's URL and writes DIR/cluster.json (PIDs, URLs, command lines).\n"
    "        The keys' passphrase (--passphrase-file, SUYUAN_PASSPHRASE or asked)\n"
    "        reaches the peers through their environment. Binaries: suyuand\n"
    "        beside this program (or SUYUAN_SUYUAND), etcd from PATH (or\n"
    "        SUYUAN_ETCD). Extra arguments (space-separated, at most 12) for\n"
    "        every peer: SUYUAN_CLUSTER_PEER_ARGS; for every etcd member:\n"
    "        SUYUAN_CLUSTER_ETCD_ARGS (benchmarks, bench/cluster_bench.sh).\n"
    "  down  suyuan cluster down --dir DIR\n"
    "        Stops exactly the processes DIR/cluster.json names (peers, then etcd),\n"
    "        SIGTERM then SIGKILL after 10 s; data stays for 'suyuan verify --data'.\n";

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void msleep(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* n distinct free ports on 127.0.0.1 (held open together, then released). */
static int free_ports(int *ports, int n) {
  int fds[64];
  if (n > 64) return -1;
  int ok = 0;
  for (int i = 0; i < n; i++) fds[i] = -1;
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fds[i], (struct sockaddr *)&a, &l) != 0)
      goto out;
    ports[i] = ntohs(a.sin_port);
  }
  ok = 1;
out:
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
  return ok ? 0 : -1;
}

static int mkdirs(const char *path, mode_t mode) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, mode) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(tmp, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *path, const void *p, size_t n, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  const uint8_t *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      close(fd);
      return -1;
    }
    b += w;
    n -= (size_t)w;
  }
  return close(fd);
}

/* suyuand beside this program, SUYUAN_SUYUAND, or from PATH. */
static void find_suyuand(char *out, size_t size) {
  const char *env = getenv("SUYUAN_SUYUAND");
  if (env && *env) {
    snprintf(out, size, "%s", env);
    return;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = 0;
      if (snprintf(out, size, "%.*s/suyuand", (int)(size > 16 ? size - 16 : 0), self) > 0 &&
          access(out, X_OK) == 0)
        return;
    }
  }
  snprintf(out, size, "suyuand");
}

/* Starts argv in its own session, stdout and stderr to log; the passphrase
 * (may be NULL) in its environment. Returns the PID or -1. */
static pid_t spawn(char *const argv[], const char *log, const char *pass) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int in = open("/dev/null", O_RDONLY);
  int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0) _exit(126);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  if (pass) setenv("SUYUAN_PASSPHRASE", pass, 1);
  execvp(argv[0], argv);
  dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

static int alive(pid_t pid) {
  if (pid <= 0) return 0;
  /* Our own child: reap it if it ended. */
  int st;
  pid_t w = waitpid(pid, &st, WNOHANG);
  if (w == pid) return 0;
  if (kill(pid, 0) != 0) return 0;
  /* A zombie of another parent counts as gone. */
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *rp = strrchr(buf, ')');
  return !(rp && rp[1] == ' ' && rp[2] == 'Z');
}

/* 1 when pid still runs `prog` with `marker` among its arguments. */
static int is_ours(pid_t pid, const char *prog, const char *marker) {
  char path[64], buf[8192];
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  if (n == 0) return 0;
  buf[n] = 0;
  const char *a0 = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
  if (strncmp(a0, prog, strlen(prog)) != 0) return 0;
  for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
    if (strcmp(buf + i, marker) == 0) return 1;
  return 0;
}

static void stop_pid(pid_t pid, const char *what) {
  if (!alive(pid)) return;
  kill(pid, SIGTERM);
  uint64_t until = now_ms() + STOP_WAIT_MS;
  while (alive(pid) && now_ms() < until) msleep(50);
  if (alive(pid)) {
    cli_err("%s (pid %d) did not stop in %d s; killing it", what, (int)pid, STOP_WAIT_MS / 1000);
    kill(pid, SIGKILL);
    until = now_ms() + 2000;
    while (alive(pid) && now_ms() < until) msleep(50);
  }
}

static cJSON *argv_json(char *const argv[]) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; a && argv[i]; i++) cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
  return a;
}

static void key_hex(const sy_key *k, char *id, char *pk) {
  size_t n;
  const uint8_t *p = sy_key_public(k, &n);
  sy_hex_encode(id, sy_key_id_of(k), SY_KEYID_LEN);
  sy_hex_encode(pk, p, n);
}

static int etcd_healthy(cli *c, const char *url) {
  sy_client *cl = NULL;
  sy_client_opts o = {.base_url = url, .connect_timeout_ms = 500, .timeout_ms = 2000};
  if (sy_client_new(&cl, &o) != SY_OK) return 0;
  sy_http_resp r = {0};
  int ok = sy_client_get(cl, "/health", &r) == SY_OK && r.status == 200 && r.body &&
           strstr(r.body, "true") != NULL;
  sy_http_resp_free(&r);
  sy_client_free(cl);
  (void)c;
  return ok;
}

typedef struct proc {
  pid_t pid;
  char name[32];
  char data[PATH_MAX];
  char url[64], peer_url[64];
  char log[PATH_MAX];
  char *argv[32];
  char args[32][PATH_MAX + 64];
  int argc;
  char key_id[2 * SY_KEYID_LEN + 1];
} proc;

static void arg(proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(proc *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->args[p->argc], sizeof p->args[0], fmt, ap);
  va_end(ap);
  p->argv[p->argc] = p->args[p->argc];
  p->argc++;
  p->argv[p->argc] = NULL;
}

/* Appends the space-separated words of environment variable var (at most
 * 12, each shorter than an argument slot). -1 when they do not fit. */
static int env_args(proc *p, const char *var) {
  const char *v = getenv(var);
  if (!v) return 0;
  char buf[2048];
  if (strlen(v) >= sizeof buf) return -1;
  memcpy(buf, v, strlen(v) + 1);
  int n = 0;
  for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    if (++n > 12 || p->argc >= 30 || strlen(t) >= sizeof p->args[0]) return -1;
    arg(p, "%s", t);
  }
  return 0;
}

static void print_log_tail(const char *log) {
  FILE *f = fopen(log, "r");
  if (!f) return;
  char buf[2048];
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, sz > (long)sizeof buf - 1 ? sz - (long)sizeof buf + 1 : 0, SEEK_SET);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  fprintf(stderr, "--- %s (end) ---\n%s\n", log, buf);
}

static int cluster_up(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"nodes", required_argument, NULL, OPT_NODES},
                                       {"dir", required_argument, NULL, OPT_DIR},
                                       CLI_COMMON_OPTIONS};
  const char *dir = NULL;
  uint64_t nodes = 0;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(CLUSTER_HELP);
      case OPT_NODES:
        if (cli_parse_u64(optarg, &nodes) || nodes < 1 || nodes > MAX_PEERS) {
          cli_err("--nodes wants a number from 1 to %d", MAX_PEERS);
          return cli_usage(c, UP_USAGE);
        }
        break;
      case OPT_DIR:
        dir = optarg;
        break;
      default:
        return cli_usage(c, UP_USAGE);
    }
  }
  if (optind < argc || !dir || !nodes) {
    cli_err(optind < argc ? "unexpected argument"
            : !dir        ? "missing --dir DIR"
                          : "missing --nodes N");
    return cli_usage(c, UP_USAGE);
  }
  if (strlen(dir) > PATH_MAX - 64) {
    cli_err("--dir: path too long");
    return CLI_USAGE;
  }
  char cj[PATH_MAX];
  snprintf(cj, sizeof cj, "%s/cluster.json", dir);
  if (access(cj, F_OK) == 0) {
    cli_err(
        "%s exists: a cluster was started there (run 'suyuan cluster down --dir %s', or "
        "choose another --dir)",
        cj, dir);
    return CLI_FAIL;
  }
  char genesis_path[PATH_MAX], admin_path[PATH_MAX];
  snprintf(genesis_path, sizeof genesis_path, "%s/genesis.json", dir);
  snprintf(admin_path, sizeof admin_path, "%s/keys/admin.key", dir);
  if (access(genesis_path, F_OK) == 0) {
    cli_err("%s exists; refusing to overwrite a chain (choose another --dir)", genesis_path);
    return CLI_FAIL;
  }
  if (sy_crypto_init()) {
    cli_err("cannot initialise the crypto library");
    return CLI_FAIL;
  }
  int n = (int)nodes;
  int ports[2 * ETCD_MEMBERS + MAX_PEERS];
  if (free_ports(ports, 2 * ETCD_MEMBERS + n)) {
    cli_err("cannot find free ports on 127.0.0.1");
    return CLI_FAIL;
  }
  char pass[PASS_MAX];
  size_t plen = 0;
  if (cli_passphrase(c, "the new cluster's keys", 1, pass, sizeof pass, &plen)) return CLI_FAIL;

  int rc = CLI_FAIL;
  proc *et = calloc(ETCD_MEMBERS, sizeof *et), *pe = calloc((size_t)n, sizeof *pe);
  sy_key *admin = NULL, *nk[MAX_PEERS] = {0};
  char *gtext = NULL;
  cJSON *g = NULL, *out = NULL;
  if (!et || !pe) {
    cli_err("out of memory");
    goto done;
  }
  char keys_dir[PATH_MAX];
  snprintf(keys_dir, sizeof keys_dir, "%s/keys", dir);
  if (mkdirs(dir, 0755) || mkdirs(keys_dir, 0700)) {
    cli_err("cannot create %s: %s", keys_dir, strerror(errno));
    goto done;
  }
  /* Keys and the genesis. */
  const sy_suite *suite = sy_suite_default();
  int err = sy_key_generate(suite, &admin);
  for (int i = 0; !err && i < n; i++) err = sy_key_generate(suite, &nk[i]);
  if (err) {
    cli_err("cannot generate keys: %s", sy_strerror(err));
    goto done;
  }
  char id[2 * SY_KEYID_LEN + 1], pk[2 * SY_PK_MAX + 1];
  g = cJSON_CreateObject();
  cJSON_AddStringToObject(g, "chain_id", "dev");
  cJSON_AddStringToObject(g, "suite", suite->name);
  char ms[32];
  snprintf(ms, sizeof ms, "%llu", (unsigned long long)cli_now_ms());
  cJSON_AddRawToObject(g, "created_ms", ms);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(g, "features"), "epcis_extension_events", 0);
  cJSON *orgs = cJSON_AddArrayToObject(g, "orgs"), *o = cJSON_CreateObject();
  cJSON_AddItemToArray(orgs, o);
  cJSON_AddStringToObject(o, "id", "dev");
  cJSON_AddStringToObject(o, "name", "Development cluster");
  cJSON *admins = cJSON_AddArrayToObject(o, "admins"), *a = cJSON_CreateObject();
  cJSON_AddItemToArray(admins, a);
  key_hex(admin, id, pk);
  cJSON_AddStringToObject(a, "name", "admin");
  cJSON_AddStringToObject(a, "public_key", pk);
  cJSON *gn = cJSON_AddArrayToObject(g, "nodes");
  for (int i = 0; i < n; i++) {
    proc *p = &pe[i];
    snprintf(p->name, sizeof p->name, "peer%d", i + 1);
    snprintf(p->data, sizeof p->data, "%s/%s", dir, p->name);
    snprintf(p->url, sizeof p->url, "http://127.0.0.1:%d", ports[2 * ETCD_MEMBERS + i]);
    key_hex(nk[i], p->key_id, pk);
    cJSON *nn = cJSON_CreateObject();
    cJSON_AddItemToArray(gn, nn);
    cJSON_AddStringToObject(nn, "org", "dev");
    cJSON_AddStringToObject(nn, "public_key", pk);
    cJSON_AddStringToObject(nn, "address", p->url);
  }
  char *printed = cJSON_Print(g);
  if (!printed || asprintf(&gtext, "%s\n", printed) < 0) {
    free(printed);
    gtext = NULL;
    cli_err("out of memory");
    goto done;
  }
  free(printed);
  sy_genesis_info gi;
  char why[256] = "";
  if (sy_genesis_check((const uint8_t *)gtext, strlen(gtext), &gi, why, sizeof why) != SY_OK) {
    cli_err("the cluster genesis does not check: %s", why);
    goto done;
  }
  if (write_file(genesis_path, gtext, strlen(gtext), 0644) ||
      (err = sy_keystore_save(admin, admin_path, pass, plen))) {
    cli_err("cannot write %s: %s", access(genesis_path, F_OK) ? genesis_path : admin_path,
            access(genesis_path, F_OK) ? strerror(errno) : sy_strerror(err));
    goto done;
  }
  for (int i = 0; i < n; i++) {
    char kd[PATH_MAX + 16], kp[PATH_MAX + 32], gp[PATH_MAX + 32];
    snprintf(kd, sizeof kd, "%s/keys", pe[i].data);
    snprintf(kp, sizeof kp, "%s/node.key", kd);
    snprintf(gp, sizeof gp, "%s/genesis.json", pe[i].data);
    if (mkdirs(kd, 0700) || write_file(gp, gtext, strlen(gtext), 0644) ||
        sy_keystore_save(nk[i], kp, pass, plen)) {
      cli_err("cannot set up %s", pe[i].data);
      goto done;
    }
  }

  /* etcd: three members. */
  char initial[1024] = "", endpoints[1024] = "";
  char token[64];
  uint64_t rnd = 0;
  cli_random_u64(&rnd);
  snprintf(token, sizeof token, "suyuan-%016llx", (unsigned long long)rnd);
  for (int i = 0; i < ETCD_MEMBERS; i++) {
    proc *p = &et[i];
    snprintf(p->name, sizeof p->name, "etcd%d", i + 1);
    snprintf(p->data, sizeof p->data, "%s/etcd/%s", dir, p->name);
    snprintf(p->url, sizeof p->url, "http://127.0.0.1:%d", ports[2 * i]);
    snprintf(p->peer_url, sizeof p->peer_url, "http://127.0.0.1:%d", ports[2 * i + 1]);
    snprintf(p->log, sizeof p->log, "%s/etcd/%s.log", dir, p->name);
    size_t l = strlen(initial), e = strlen(endpoints);
    snprintf(initial + l, sizeof initial - l, "%s%s=%s", i ? "," : "", p->name, p->peer_url);
    snprintf(endpoints + e, sizeof endpoints - e, "%s%s", i ? "," : "", p->url);
  }
  const char *etcd_bin = getenv("SUYUAN_ETCD");
  if (!etcd_bin || !*etcd_bin) etcd_bin = "etcd";
  for (int i = 0; i < ETCD_MEMBERS; i++) {
    proc *p = &et[i];
    if (mkdirs(p->data, 0700)) {
      cli_err("cannot create %s: %s", p->data, strerror(errno));
      goto teardown;
    }
    arg(p, "%s", etcd_bin);
    arg(p, "--name=%s", p->name);
    arg(p, "--data-dir=%s", p->data);
    arg(p, "--listen-client-urls=%s", p->url);
    arg(p, "--advertise-client-urls=%s", p->url);
    arg(p, "--listen-peer-urls=%s", p->peer_url);
    arg(p, "--initial-advertise-peer-urls=%s", p->peer_url);
    arg(p, "--initial-cluster=%s", initial);
    arg(p, "--initial-cluster-state=new");
    arg(p, "--initial-cluster-token=%s", token);
    /* Idle watches learn the current revision every second: a peer that
     * catches up after a compaction can resume the log right away. */
    arg(p, "--experimental-watch-progress-notify-interval=1s");
    arg(p, "--max-request-bytes=%d", 4 << 20);
    if (env_args(p, "SUYUAN_CLUSTER_ETCD_ARGS")) {
      cli_err("SUYUAN_CLUSTER_ETCD_ARGS: at most 12 arguments");
      goto teardown;
    }
    p->pid = spawn(p->argv, p->log, NULL);
    if (p->pid < 0) {
      cli_err("cannot start %s: %s", p->name, strerror(errno));
      goto teardown;
    }
  }
  uint64_t until = now_ms() + START_WAIT_MS;
  for (int i = 0; i < ETCD_MEMBERS; i++) {
    while (!etcd_healthy(c, et[i].url)) {
      if (!alive(et[i].pid) || now_ms() > until) {
        cli_err("etcd member %s did not become healthy (log %s)", et[i].name, et[i].log);
        print_log_tail(et[i].log);
        goto teardown;
      }
      msleep(100);
    }
  }

  /* Peers. */
  char suyuand[PATH_MAX];
  find_suyuand(suyuand, sizeof suyuand);
  for (int i = 0; i < n; i++) {
    proc *p = &pe[i];
    if (snprintf(p->log, sizeof p->log, "%s/suyuand.log", p->data) >= (int)sizeof p->log) {
      cli_err("cluster directory path too long: %s", p->data);
      goto teardown;
    }
    char addr[PATH_MAX + 16];
    snprintf(addr, sizeof addr, "%s/addr", p->data);
    unlink(addr);
    arg(p, "%s", suyuand);
    arg(p, "--data=%s", p->data);
    arg(p, "--listen=127.0.0.1:%d", ports[2 * ETCD_MEMBERS + i]);
    arg(p, "--etcd=%s", endpoints);
    arg(p, "--addr-file=%s", addr);
    if (env_args(p, "SUYUAN_CLUSTER_PEER_ARGS")) {
      cli_err("SUYUAN_CLUSTER_PEER_ARGS: at most 12 arguments");
      goto teardown;
    }
    p->pid = spawn(p->argv, p->log, pass);
    if (p->pid < 0) {
      cli_err("cannot start %s: %s", p->name, strerror(errno));
      goto teardown;
    }
  }
  until = now_ms() + START_WAIT_MS;
  for (int i = 0; i < n; i++) {
    char addr[PATH_MAX + 16];
    snprintf(addr, sizeof addr, "%s/addr", pe[i].data);
    while (access(addr, F_OK) != 0) {
      if (!alive(pe[i].pid) || now_ms() > until) {
        cli_err("peer %s did not start (log %s)", pe[i].name, pe[i].log);
        print_log_tail(pe[i].log);
        goto teardown;
      }
      msleep(50);
    }
  }

  /* cluster.json: what `down` stops and what tests restart. */
  out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "dir", dir);
  cJSON_AddStringToObject(out, "chain_id", "dev");
  cJSON_AddStringToObject(out, "genesis", genesis_path);
  cJSON_AddStringToObject(out, "admin_key", admin_path);
  cJSON_AddStringToObject(out, "org", "dev");
  cJSON_AddStringToObject(out, "etcd_endpoints", endpoints);
  cJSON *ea = cJSON_AddArrayToObject(out, "etcd");
  for (int i = 0; i < ETCD_MEMBERS; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(ea, e);
    cJSON_AddStringToObject(e, "name", et[i].name);
    cJSON_AddNumberToObject(e, "pid", et[i].pid);
    cJSON_AddStringToObject(e, "client_url", et[i].url);
    cJSON_AddStringToObject(e, "peer_url", et[i].peer_url);
    cJSON_AddStringToObject(e, "data", et[i].data);
    cJSON_AddStringToObject(e, "log", et[i].log);
    cJSON_AddItemToObject(e, "argv", argv_json(et[i].argv));
  }
  cJSON *pa = cJSON_AddArrayToObject(out, "peers");
  for (int i = 0; i < n; i++) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToArray(pa, e);
    cJSON_AddStringToObject(e, "name", pe[i].name);
    cJSON_AddNumberToObject(e, "pid", pe[i].pid);
    cJSON_AddStringToObject(e, "url", pe[i].url);
    cJSON_AddStringToObject(e, "data", pe[i].data);
    cJSON_AddStringToObject(e, "node_key_id", pe[i].key_id);
    cJSON_AddStringToObject(e, "log", pe[i].log);
    cJSON_AddItemToObject(e, "argv", argv_json(pe[i].argv));
  }
  char *text = cJSON_Print(out);
  char tmp[PATH_MAX + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", cj);
  if (!text || write_file(tmp, text, strlen(text), 0644) || rename(tmp, cj)) {
    free(text);
    cli_err("cannot write %s: %s", cj, strerror(errno));
    goto teardown;
  }
  if (c->json) {
    printf("%s\n", text);
  } else {
    printf("cluster up in %s: chain dev, %d peer(s), etcd %s\n", dir, n, endpoints);
    for (int i = 0; i < n; i++) printf("%s\n", pe[i].url);
    printf("admin key: %s (org dev); stop with: suyuan cluster down --dir %s\n", admin_path, dir);
  }
  free(text);
  rc = CLI_OK;
  goto done;

teardown:
  for (int i = 0; i < n; i++) stop_pid(pe[i].pid, pe[i].name);
  for (int i = 0; i < ETCD_MEMBERS; i++) stop_pid(et[i].pid, et[i].name);
done:
  explicit_bzero(pass, sizeof pass);
  cJSON_Delete(out);
  cJSON_Delete(g);
  free(gtext);
  sy_key_free(admin);
  for (int i = 0; i < MAX_PEERS; i++) sy_key_free(nk[i]);
  free(et);
  free(pe);
  return rc;
}

static int stop_group(const cJSON *arr, const char *prog) {
  int stopped = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "pid");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(e, "data");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    if (!cJSON_IsNumber(pid) || pid->valuedouble < 2 || pid->valuedouble > 4194304 ||
        !cJSON_IsString(data))
      continue;
    pid_t p = (pid_t)pid->valuedouble;
    /* Only the process we started: same program, same data directory. */
    char marker[PATH_MAX + 16];
    snprintf(marker, sizeof marker, "--data%s=%s", strcmp(prog, "etcd") == 0 ? "-dir" : "",
             data->valuestring);
    const char *nm = cJSON_IsString(name) ? name->valuestring : prog;
    if (!alive(p) || !is_ours(p, prog, marker)) {
      printf("%s: not running\n", nm);
      continue;
    }
    stop_pid(p, nm);
    printf("%s: stopped (pid %d)\n", nm, (int)p);
    stopped++;
  }
  return stopped;
}

static int cluster_down(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"dir", required_argument, NULL, OPT_DIR},
                                       CLI_COMMON_OPTIONS};
  const char *dir = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(CLUSTER_HELP);
      case OPT_DIR:
        dir = optarg;
        break;
      default:
        return cli_usage(c, DOWN_USAGE);
    }
  }
  if (optind < argc || !dir) {
    cli_err(optind < argc ? "unexpected argument" : "missing --dir DIR");
    return cli_usage(c, DOWN_USAGE);
  }
  char cj[PATH_MAX + 16];
  snprintf(cj, sizeof cj, "%s/cluster.json", dir);
  uint8_t *text = NULL;
  size_t len = 0;
  if (cli_read_file(cj, CLUSTER_JSON_MAX, &text, &len)) {
    cli_err("cannot read %s: %s", cj, strerror(errno));
    return CLI_FAIL;
  }
  cJSON *j = cJSON_ParseWithLength((const char *)text, len);
  free(text);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    cli_err("%s is not a cluster description", cj);
    return CLI_FAIL;
  }
  /* Peers first: they leave the cluster (revoke their leases) while etcd runs. */
  stop_group(cJSON_GetObjectItemCaseSensitive(j, "peers"), "suyuand");
  stop_group(cJSON_GetObjectItemCaseSensitive(j, "etcd"), "etcd");
  cJSON_Delete(j);
  char done[PATH_MAX + 32];
  snprintf(done, sizeof done, "%s/cluster.stopped.json", dir);
  if (rename(cj, done) != 0) {
    cli_err("cannot rename %s: %s", cj, strerror(errno));
    return CLI_FAIL;
  }
  if (!c->json) printf("cluster in %s is down; data kept\n", dir);
  return CLI_OK;
}

int cli_cmd_cluster(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"up", "cluster up", cluster_up},
                                 {"down", "cluster down", cluster_down}};
  return cli_subcommand(c, argc, argv, CLUSTER_HELP, NULL, subs, 2);
}
