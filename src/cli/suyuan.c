/* `suyuan`: the command line tool (docs/cli.md). main, global options,
 * dispatch, help, and helpers shared by the command files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"

#define SUYUAN_VERSION "0.1.0"
#define PASSPHRASE_FILE_MAX 4096

static const char MAIN_USAGE[] =
    "suyuan [--node URL] [--json] [--timeout SECONDS] <command> [<args>]";

static const char MAIN_HELP[] =
    "usage: suyuan [--node URL] [--json] [--timeout SECONDS] <command> [<args>]\n"
    "\n"
    "The command line of Suyuan, a permissioned blockchain for product traceability.\n"
    "\n"
    "Setting up:\n"
    "  init           create a chain: genesis file, org admin key and node key\n"
    "  keygen         create a key pair in an encrypted keystore file\n"
    "\n"
    "Membership (signed by an org admin; SPEC M1):\n"
    "  member add     give a key roles in an organisation\n"
    "  member revoke  revoke a member key\n"
    "  member list    list members and their roles\n"
    "  org contact    set an organisation's query channels: telephone, SMS, web (I7)\n"
    "  org show       show an organisation's name and query channels\n"
    "\n"
    "Nodes and clusters (SPEC M8):\n"
    "  node add       register a peer's node key in an organisation\n"
    "  node remove    deregister a node\n"
    "  node list      list registered nodes\n"
    "  cluster up     start a local 3-member etcd cluster and N peers (development)\n"
    "  cluster down   stop exactly the processes 'cluster up' started\n"
    "\n"
    "Transactions (SPEC G1, D2):\n"
    "  tx sign        sign a transaction into a file, without sending it\n"
    "  tx send        send a signed transaction file and wait for its block\n"
    "  tx submit      sign and send in one step\n"
    "  tx show        show a committed transaction, its block and proof\n"
    "\n"
    "Trace events (GS1 EPCIS 2.0; SPEC G3, I1-I6, M2):\n"
    "  capture        validate, sign and record an EPCIS document (or one event)\n"
    "  trace back     where an identifier came from (lineage, backward)\n"
    "  trace forward  where it went: every product made from or packed with it\n"
    "  trace history  every event naming an identifier, as a timeline\n"
    "  recall         the recall report for a defective lot (json, csv, text)\n"
    "  events         query recorded events (EPCIS query parameters)\n"
    "  epcis hash     CBV 2.0 event hash ids of a document's events, offline\n"
    "  token create   a Bearer token for the node's EPCIS routes (node-local)\n"
    "  token list     list tokens (never the tokens themselves)\n"
    "  token revoke   revoke a token\n"
    "\n"
    "Identification and labels (GS1; SPEC C1-C3, I7):\n"
    "  id             GS1 keys offline: parse, dl, urn, element, rfid encode|decode\n"
    "                 (element strings, Digital Link, EPC URNs, RFID EPC binary)\n"
    "  label          a product label (svg, png, pdf) with its trace QR code; or\n"
    "                 a whole lot, one file per serial, optionally signed\n"
    "  label verify   check a signed label QR code, offline\n"
    "\n"
    "Anti-counterfeiting (SPEC C4, M2):\n"
    "  codes issue    make a lot's anti-counterfeit codes, record their commitments\n"
    "  codes revoke   withdraw a brand's codes (a lot, or a range of serials)\n"
    "  codes list     the brand's counts: issued, revoked, verified, alerts\n"
    "  alerts         counterfeit alerts: codes scanned in several places, or often\n"
    "\n"
    "Inspecting the chain (SPEC G2, M5):\n"
    "  block show     show a block by height, or the latest\n"
    "  status         show the node's status\n"
    "  verify         re-check the whole chain, on the node or offline (--data)\n"
    "\n"
    "Options for every command:\n"
    "  --node URL              node to talk to (default: $SUYUAN_NODE, else\n"
    "                          " CLI_DEFAULT_NODE
    ")\n"
    "  --json                  print machine-readable JSON instead of text\n"
    "  --timeout SECONDS       per request (default 40)\n"
    "  --passphrase-file FILE  read key passphrases from FILE (first line)\n"
    "  -h, --help              help for the command\n"
    "\n"
    "Passphrases come from --passphrase-file, else $SUYUAN_PASSPHRASE, else the\n"
    "terminal (without echo). They are never printed or logged.\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  runtime failure (files, keys, passphrase, verify found a problem, timeout)\n"
    "  2  usage error\n"
    "  3  rejected by the node (HTTP 4xx; its problem title and detail are printed)\n"
    "  4  committed but recorded invalid (the reason is printed)\n"
    "  5  node unreachable or unavailable (connection refused, timeout, HTTP 5xx)\n"
    "\n"
    "Run 'suyuan <command> --help' for a command's options. See docs/cli.md.\n";

/* ---- messages ------------------------------------------------------------------ */

void cli_err(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("suyuan: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_help(const char *text) {
  fputs(text, stdout);
  return CLI_OK;
}

int cli_usage(const cli *c, const char *usage) {
  fprintf(stderr, "usage: %s\nTry 'suyuan %s%s--help' for more.\n", usage, c->cmd ? c->cmd : "",
          c->cmd ? " " : "");
  return CLI_USAGE;
}

int cli_subcommand(cli *c, int argc, char **argv, const char *help, const char *usage,
                   const cli_sub *subs, size_t n) {
  char names[256] = "", bars[256] = "", fallback[320];
  for (size_t i = 0; i < n; i++) { /* "a, b or c" and "a|b|c" */
    size_t l = strlen(names), m = strlen(bars);
    snprintf(names + l, sizeof names - l, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
             subs[i].name);
    snprintf(bars + m, sizeof bars - m, "%s%s", i ? "|" : "", subs[i].name);
  }
  if (!usage) {
    snprintf(fallback, sizeof fallback, "suyuan %s <%s> ...", argv[0], bars);
    usage = fallback;
  }
  if (argc < 2 || argv[1][0] == '-') {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
      return cli_help(help);
    cli_err("%s needs a subcommand: %s", argv[0], names);
    return cli_usage(c, usage);
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(argv[1], subs[i].name) == 0) {
      c->cmd = subs[i].cmd;
      return subs[i].run(c, argc - 1, argv + 1);
    }
  }
  cli_err("'%s %s' is not a command; use %s", argv[0], argv[1], names);
  return cli_usage(c, usage);
}

/* ---- options ------------------------------------------------------------------- */

/* Accepts "host:port", "http://host:port/" and "https://…". */
static int set_node(cli *c, const char *url) {
  const char *scheme = strstr(url, "://") ? "" : "http://";
  if (!*url) {
    cli_err("--node needs a URL");
    return -1;
  }
  if (*scheme == 0 && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    cli_err("node URL '%s': only http:// and https:// are supported", url);
    return -1;
  }
  int n = snprintf(c->node, sizeof c->node, "%s%s", scheme, url);
  if (n < 0 || (size_t)n >= sizeof c->node) {
    cli_err("node URL too long");
    return -1;
  }
  while (n > 0 && c->node[n - 1] == '/') c->node[--n] = 0;
  return 0;
}

void cli_opt_begin(void) {
  optind = 0; /* glibc: 0 also resets getopt's internal state */
  opterr = 0;
}

int cli_getopt(cli *c, int argc, char **argv, const char *shortopts,
               const struct option *longopts) {
  for (;;) {
    int o = getopt_long(argc, argv, shortopts, longopts, NULL);
    switch (o) {
      case CLI_OPT_NODE:
        if (set_node(c, optarg)) return '?';
        continue;
      case CLI_OPT_JSON:
        c->json = 1;
        continue;
      case CLI_OPT_TIMEOUT: {
        uint64_t t;
        if (cli_parse_u64(optarg, &t) || t == 0 || t > 3600) {
          cli_err("--timeout wants whole seconds between 1 and 3600, not '%s'", optarg);
          return '?';
        }
        c->timeout_s = (long)t;
        continue;
      }
      case CLI_OPT_PASSFILE:
        c->passphrase_file = optarg;
        continue;
      case ':':
        cli_err("option '%s' needs a value", argv[optind - 1]);
        return '?';
      case '?':
        if (optopt && optopt < 256)
          cli_err("unknown option '-%c'", optopt);
        else
          cli_err("unknown option '%s'", argv[optind - 1]);
        return '?';
      default:
        return o;
    }
  }
}

/* ---- small helpers --------------------------------------------------------------- */

int cli_parse_u64(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

uint64_t cli_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cli_random_u64(uint64_t *out) {
  uint8_t b[8];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SY_EIO;
    }
    got += (size_t)n;
  }
  *out = sy_load_u64(b);
  return SY_OK;
}

int cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len) {
  int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? SY_ENOTFOUND : SY_EIO;
  sy_buf b = {0};
  uint8_t chunk[16384];
  int rc = SY_OK;
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = SY_EIO;
      break;
    }
    if (n == 0) break;
    if (b.len + (size_t)n > max) {
      rc = SY_ETOOBIG;
      break;
    }
    sy_buf_put(&b, chunk, (size_t)n);
  }
  int saved = errno;
  if (fd != STDIN_FILENO) close(fd);
  if (rc == SY_OK) {
    sy_buf_u8(&b, 0);
    rc = b.err;
  }
  if (rc) {
    sy_buf_free(&b);
    errno = saved;
    return rc;
  }
  *out = sy_buf_take(&b, len);
  (*len)--;
  return SY_OK;
}

static int write_all(int fd, const void *p, size_t len) {
  const uint8_t *q = p;
  while (len > 0) {
    ssize_t n = write(fd, q, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    q += n;
    len -= (size_t)n;
  }
  return 0;
}

int cli_write_file(const char *path, const void *p, size_t len) {
  if (strcmp(path, "-") == 0) {
    fflush(stdout);
    return write_all(STDOUT_FILENO, p, len) ? SY_EIO : SY_OK;
  }
  /* Write beside it and rename, so a reader never sees half a transaction. */
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (!tmp) return SY_ENOMEM;
  snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
  int rc = SY_EIO;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) goto undo_name;
  if (write_all(fd, p, len) != 0 || fsync(fd) != 0) {
    close(fd);
    goto undo_tmp;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) goto undo_tmp;
  rc = SY_OK;
  goto undo_name;
undo_tmp:
  unlink(tmp);
undo_name:
  free(tmp);
  return rc;
}

/* ---- passphrases ---------------------------------------------------------------- */

/* The terminal's settings while echo is off, so a signal can restore them. */
static int g_tty_fd = -1;
static struct termios g_tty_saved;

static void restore_tty_and_die(int sig) {
  if (g_tty_fd >= 0) tcsetattr(g_tty_fd, TCSAFLUSH, &g_tty_saved);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Reads one line from the terminal without echo. 0 ok, -1 no terminal,
 * -2 too long, -3 read error / EOF. */
static int read_tty_line(const char *prompt, char *buf, size_t size, size_t *len) {
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct termios noecho;
  if (tcgetattr(fd, &g_tty_saved) != 0) {
    close(fd);
    return -1;
  }
  noecho = g_tty_saved;
  noecho.c_lflag &= ~(tcflag_t)ECHO;
  noecho.c_lflag |= ICANON;

  struct sigaction sa = {.sa_handler = restore_tty_and_die}, old_int, old_term, old_hup;
  sigemptyset(&sa.sa_mask);
  g_tty_fd = fd;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);

  int rc = 0;
  (void)!write(fd, prompt, strlen(prompt));
  tcsetattr(fd, TCSAFLUSH, &noecho);
  size_t n = 0;
  for (;;) {
    char ch;
    ssize_t r = read(fd, &ch, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      rc = -3;
      break;
    }
    if (ch == '\n' || ch == '\r') break;
    if (n + 1 < size)
      buf[n++] = ch;
    else
      rc = -2; /* keep reading to the end of the line, then fail */
  }
  buf[n] = 0;
  *len = n;
  tcsetattr(fd, TCSAFLUSH, &g_tty_saved);
  (void)!write(fd, "\n", 1);

  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGHUP, &old_hup, NULL);
  g_tty_fd = -1;
  close(fd);
  return rc;
}

int cli_passphrase(const cli *c, const char *what, int confirm, char *buf, size_t size,
                   size_t *len) {
  if (c->passphrase_file) {
    uint8_t *text = NULL;
    size_t n = 0;
    int rc = cli_read_file(c->passphrase_file, PASSPHRASE_FILE_MAX, &text, &n);
    if (rc) {
      cli_err("cannot read passphrase file %s: %s", c->passphrase_file,
              rc == SY_ETOOBIG ? "too large" : strerror(errno));
      return CLI_FAIL;
    }
    size_t line = 0;
    while (line < n && text[line] != '\n') line++;
    if (line > 0 && text[line - 1] == '\r') line--;
    int ok = line > 0 && line < size;
    if (ok) {
      memcpy(buf, text, line);
      buf[line] = 0;
      *len = line;
    }
    explicit_bzero(text, n);
    free(text);
    if (!ok) {
      cli_err("passphrase file %s: %s", c->passphrase_file,
              line == 0 ? "the first line is empty" : "passphrase too long");
      return CLI_FAIL;
    }
    return CLI_OK;
  }
  const char *env = getenv("SUYUAN_PASSPHRASE");
  if (env) {
    size_t n = strlen(env);
    if (n == 0 || n >= size) {
      cli_err("SUYUAN_PASSPHRASE is %s", n == 0 ? "empty" : "too long");
      return CLI_FAIL;
    }
    memcpy(buf, env, n + 1);
    *len = n;
    return CLI_OK;
  }
  char prompt[256];
  snprintf(prompt, sizeof prompt, "Passphrase for %s: ", what);
  int rc = read_tty_line(prompt, buf, size, len);
  if (rc == 0 && *len == 0) {
    cli_err("empty passphrase");
    return CLI_FAIL;
  }
  if (rc == 0 && confirm) {
    char *again = malloc(size);
    size_t alen = 0;
    if (!again) {
      explicit_bzero(buf, size);
      cli_err("out of memory");
      return CLI_FAIL;
    }
    snprintf(prompt, sizeof prompt, "Repeat the passphrase for %s: ", what);
    rc = read_tty_line(prompt, again, size, &alen);
    int same = rc == 0 && alen == *len && memcmp(again, buf, alen) == 0;
    explicit_bzero(again, size);
    free(again);
    if (rc == 0 && !same) {
      explicit_bzero(buf, size);
      cli_err("the passphrases do not match");
      return CLI_FAIL;
    }
  }
  if (rc != 0) {
    explicit_bzero(buf, size);
    if (rc == -1)
      cli_err(
          "a passphrase is needed for %s: use --passphrase-file FILE or set "
          "SUYUAN_PASSPHRASE (no terminal to ask on)",
          what);
    else
      cli_err("%s", rc == -2 ? "passphrase too long" : "no passphrase read");
    return CLI_FAIL;
  }
  return CLI_OK;
}

/* ---- dispatch ----------------------------------------------------------------------- */

typedef struct command {
  const char *name;
  int (*run)(cli *c, int argc, char **argv);
} command;

static const command COMMANDS[] = {
    {"init", cli_cmd_init},     {"keygen", cli_cmd_keygen},   {"member", cli_cmd_member},
    {"tx", cli_cmd_tx},         {"block", cli_cmd_block},     {"status", cli_cmd_status},
    {"verify", cli_cmd_verify}, {"capture", cli_cmd_capture}, {"trace", cli_cmd_trace},
    {"recall", cli_cmd_recall}, {"events", cli_cmd_events},   {"token", cli_cmd_token},
    {"epcis", cli_cmd_epcis},   {"node", cli_cmd_node},       {"cluster", cli_cmd_cluster},
    {"id", cli_cmd_id},         {"label", cli_cmd_label},     {"codes", cli_cmd_codes},
    {"alerts", cli_cmd_alerts},   {"org", cli_cmd_org},
};

/* `epcis` parses its own options (cli_epcis.c); the global ones given before
 * the command word (--node, --timeout, ...) do not apply to it, except
 * --json, which is passed on. */
int cli_cmd_epcis(cli *c, int argc, char **argv) {
  if (!c->json) return sy_cli_epcis(argc, argv);
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  memcpy(args, argv, (size_t)argc * sizeof *args);
  args[argc] = "--json";
  int rc = sy_cli_epcis(argc + 1, args);
  free(args);
  return rc;
}

static const command *find_command(const char *name) {
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
  return NULL;
}

int main(int argc, char **argv) {
  cli c = {.timeout_s = CLI_DEFAULT_TIMEOUT_S};
  const char *env = getenv("SUYUAN_NODE");
  if (set_node(&c, env && *env ? env : CLI_DEFAULT_NODE)) {
    cli_err("check SUYUAN_NODE");
    return CLI_USAGE;
  }

  enum { OPT_VERSION = CLI_OPT_FIRST_LOCAL };
  static const struct option opts[] = {{"version", no_argument, NULL, OPT_VERSION},
                                       CLI_COMMON_OPTIONS};
  int o, rc;
  cli_opt_begin();
  /* '+': stop at the command word; the command parses the rest. */
  while ((o = cli_getopt(&c, argc, argv, "+:h", opts)) != -1) {
    switch (o) {
      case 'h':
        return cli_help(MAIN_HELP);
      case OPT_VERSION:
        printf("suyuan %s\n", SUYUAN_VERSION);
        return CLI_OK;
      default:
        return cli_usage(&c, MAIN_USAGE);
    }
  }
  if (optind >= argc) {
    cli_err("no command given");
    return cli_usage(&c, MAIN_USAGE);
  }
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  char *help_argv[4];
  if (strcmp(sub_argv[0], "help") == 0) {
    /* "suyuan help member add" == "suyuan member add --help" */
    if (sub_argc == 1) return cli_help(MAIN_HELP);
    int n = 0;
    for (int i = 1; i < sub_argc && n < 2; i++) help_argv[n++] = sub_argv[i];
    help_argv[n++] = "--help";
    help_argv[n] = NULL;
    sub_argv = help_argv;
    sub_argc = n;
  }
  const command *cmd = find_command(sub_argv[0]);
  if (!cmd) {
    cli_err("'%s' is not a command. See 'suyuan --help'.", sub_argv[0]);
    return CLI_USAGE;
  }
  c.cmd = cmd->name;
  rc = cmd->run(&c, sub_argc, sub_argv);
  sy_client_free(c.client);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    if (errno != EPIPE) cli_err("cannot write the output: %s", strerror(errno));
    if (rc == CLI_OK) rc = CLI_FAIL;
  }
  return rc;
}
