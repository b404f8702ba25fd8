/* Private to the `suyuan` command line tool (docs/cli.md).
 *
 * suyuan.c   main, global options, dispatch, help; shared helpers below
 * cli_keys.c init, keygen, member add|revoke|list; loading keys
 * cli_chain.c talking to the node, tx sign|send|submit|show, block show,
 *            status, verify
 * cli_capture.c capture: validate, sign and send EPCIS documents
 * cli_trace.c  trace backward|forward|history, recall, events
 * cli_token.c  token create|list|revoke (node-local Bearer token files)
 * cli_epcis.c  epcis hash (offline event hash ids)
 * cli_node.c   node add|remove|list (node registry, SPEC M8)
 * cli_cluster.c cluster up|down (a local etcd cluster and peers for development)
 * cli_ident.c  id: GS1 keys, element strings, Digital Link, EPC URNs, RFID
 * cli_label.c  label: render product labels (one, or a whole lot)
 * cli_codes.c  codes issue|revoke|list, alerts (anti-counterfeit codes, SPEC C4)
 *
 * The tool uses only public APIs: the HTTP API through client.h, and the
 * core/crypto/ledger headers for signing and offline verify. */
#ifndef SY_CLI_H
#define SY_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "crypto/suite.h"

/* Exit codes: part of the interface, documented in docs/cli.md. */
enum {
  CLI_OK = 0,          /* success */
  CLI_FAIL = 1,        /* runtime failure (file, key, passphrase, verify failed) */
  CLI_USAGE = 2,       /* bad command line */
  CLI_REJECTED = 3,    /* the node refused the request (HTTP 4xx) */
  CLI_INVALID = 4,     /* committed, but recorded invalid */
  CLI_UNAVAILABLE = 5, /* node unreachable, timed out, or answered 5xx */
};

#define CLI_DEFAULT_NODE "http://127.0.0.1:7420"
#define CLI_DEFAULT_TIMEOUT_S 40

/* Options every command accepts, and the command being run. */
typedef struct cli {
  const char *cmd;             /* "member add": for messages and help */
  char node[512];              /* node base URL, normalised */
  int json;                    /* --json */
  long timeout_s;              /* --timeout, per request */
  const char *passphrase_file; /* --passphrase-file, borrowed from argv */
  sy_client *client;           /* opened on first use; closed by main */
} cli;

/* ---- options (suyuan.c) ----------------------------------------------------- */
enum {
  CLI_OPT_NODE = 1000,
  CLI_OPT_JSON,
  CLI_OPT_TIMEOUT,
  CLI_OPT_PASSFILE,
  CLI_OPT_NO_WAIT, /* --no-wait, --chain, --nonce of the registry commands (cli_tx_opt) */
  CLI_OPT_CHAIN,
  CLI_OPT_NONCE,
  CLI_OPT_FIRST_LOCAL /* commands number their long-only options from here */
};

/* Appended to every command's long option table. */
// clang-format off
#define CLI_COMMON_OPTIONS                                        \
  {"node", required_argument, NULL, CLI_OPT_NODE},                \
  {"json", no_argument, NULL, CLI_OPT_JSON},                      \
  {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},          \
  {"passphrase-file", required_argument, NULL, CLI_OPT_PASSFILE}, \
  {"help", no_argument, NULL, 'h'},                               \
  {NULL, 0, NULL, 0}
// clang-format on

/* Starts option parsing of a command's argv (argv[0] is the command word). */
void cli_opt_begin(void);
/* getopt_long that handles the common options itself. Returns the next
 * command-specific option, 'h' for --help, '?' after printing what was wrong
 * with the command line, or -1 at the end (positionals start at optind). */
int cli_getopt(cli *c, int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Prints help (stdout) and returns CLI_OK. */
int cli_help(const char *text);
/* A command with subcommands ("member add|revoke|list"): runs the one named
 * by argv[1] with argv + 1 (setting c->cmd to "<word> <sub>"), answers
 * --help with help, and otherwise says what is missing or unknown and prints
 * usage (NULL: "suyuan <word> <a|b|...> ..."). Returns the exit code. */
typedef struct cli_sub {
  const char *name; /* "add" */
  const char *cmd;  /* "member add" */
  int (*run)(cli *c, int argc, char **argv);
} cli_sub;
int cli_subcommand(cli *c, int argc, char **argv, const char *help, const char *usage,
                   const cli_sub *subs, size_t n);

/* Prints "usage: ..." and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const cli *c, const char *usage);
/* "suyuan: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- helpers (suyuan.c) -------------------------------------------------------- */
/* Reads a whole file ("-" = stdin) of at most max bytes into a malloc'd,
 * NUL-terminated buffer (*out transferred). SY_EIO / SY_ENOTFOUND /
 * SY_ETOOBIG, with errno kept for the message. */
int cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Writes len bytes to path ("-" = stdout), replacing it, mode 0644. */
int cli_write_file(const char *path, const void *p, size_t len);
/* Parses a decimal uint64 (the whole string); 0 on success, -1 otherwise. */
int cli_parse_u64(const char *s, uint64_t *out);
uint64_t cli_now_ms(void);
/* A random 64-bit nonce from getrandom(2). */
int cli_random_u64(uint64_t *out);

/* The passphrase, from --passphrase-file, SUYUAN_PASSPHRASE or the terminal
 * (asked twice when confirm). Writes at most size-1 bytes and a NUL into
 * buf; the caller wipes buf with explicit_bzero. Prints why on failure and
 * returns CLI_FAIL; CLI_OK otherwise. what names the key ("admin key"). */
int cli_passphrase(const cli *c, const char *what, int confirm, char *buf, size_t size,
                   size_t *len);

/* ---- keys (cli_keys.c) ------------------------------------------------------------ */
/* Loads and decrypts a keystore, asking for its passphrase; prints a clear
 * message and returns CLI_FAIL on failure. *out transferred. */
int cli_load_key(const cli *c, const char *path, sy_key **out);

/* ---- node and transactions (cli_chain.c) -------------------------------------------- */
/* The client for c->node, created on first use. NULL after printing why. */
sy_client *cli_client(cli *c);
/* GETs path and, on a 2xx answer, leaves it in resp (caller frees). Other
 * answers are reported and mapped to an exit code (CLI_REJECTED for 4xx,
 * CLI_UNAVAILABLE for 5xx and no answer, CLI_FAIL otherwise). */
int cli_get(cli *c, const char *path, sy_http_resp *resp);
/* The chain id the node serves (GET /v1/status), into out[SY_CHAIN_ID_MAX+1]. */
int cli_node_chain_id(cli *c, char *out);
/* The same, and whether the chain records EPCIS extension event types now
 * (status "records_extension_events"; absent = no). */
int cli_node_chain_info(cli *c, char *out, int *records_extension_events);

typedef struct cli_tx_opts {
  int type;
  const uint8_t *payload; /* borrowed */
  size_t payload_len;
  const char *chain; /* NULL: ask the node */
  int have_nonce;
  uint64_t nonce;
} cli_tx_opts;

/* Signs a transaction with key into out (appended); fills id_hex[65]. */
int cli_sign_tx(cli *c, const sy_key *key, const cli_tx_opts *o, sy_buf *out, char *id_hex);
/* Posts an envelope and reports the outcome: CLI_OK (committed valid, or
 * accepted when !wait), CLI_INVALID (committed invalid), CLI_REJECTED,
 * CLI_UNAVAILABLE, CLI_FAIL (not committed before the timeout). */
int cli_send_tx(cli *c, const uint8_t *raw, size_t len, int wait);

/* Resolves the chain id (o->chain or the node's), then loads keyfile
 * (asking for its passphrase), signs and sends: cli_send_tx's codes. */
int cli_submit_tx(cli *c, const char *keyfile, const cli_tx_opts *o, int wait);

/* The options member add|revoke and node add|remove share: --no-wait, and
 * --chain and --nonce (for tests and offline tooling, like tx sign's).
 * Returns 1 when opt was one of them, 0 when not, -1 after saying what is
 * wrong with its value. */
int cli_tx_opt(int opt, cli_tx_opts *o, int *wait);

/* The public key of a registry entry, from a keystore file (no passphrase
 * needed) or in hex, into pk_hex (lower case) and pk[*pk_len]; *suite is the
 * key's suite (NULL when a hex key's cannot be told). A hex key's length is checked
 * against the suite of admin_keyfile when it can be read. Returns CLI_OK,
 * CLI_FAIL (the keystore cannot be read) or CLI_USAGE (bad hex), having said
 * why. */
int cli_public_key_arg(const char *keystore, const char *hex, const char *admin_keyfile,
                       char pk_hex[2 * SY_PK_MAX + 1], const sy_suite **suite,
                       uint8_t pk[SY_PK_MAX], size_t *pk_len);
/* 1 when s is hex of even length (of exactly want characters unless 0). */
int cli_is_hex(const char *s, size_t want);
/* Lower-cases the hex letters of s. */
void cli_hex_lower(char *s);

/* Reads --payload / --payload-file (exactly one must be given) and checks it
 * is JSON; *out transferred (free()). Returns CLI_OK, CLI_USAGE or CLI_FAIL. */
int cli_load_payload(const char *inline_json, const char *file, uint8_t **out, size_t *len);

/* ---- commands ------------------------------------------------------------------------ */
int cli_cmd_init(cli *c, int argc, char **argv);
int cli_cmd_keygen(cli *c, int argc, char **argv);
int cli_cmd_member(cli *c, int argc, char **argv);
int cli_cmd_tx(cli *c, int argc, char **argv);
int cli_cmd_block(cli *c, int argc, char **argv);
int cli_cmd_status(cli *c, int argc, char **argv);
int cli_cmd_verify(cli *c, int argc, char **argv);
int cli_cmd_capture(cli *c, int argc, char **argv);
int cli_cmd_trace(cli *c, int argc, char **argv);
int cli_cmd_recall(cli *c, int argc, char **argv);
int cli_cmd_events(cli *c, int argc, char **argv);
int cli_cmd_token(cli *c, int argc, char **argv);
int cli_cmd_epcis(cli *c, int argc, char **argv);
int cli_cmd_node(cli *c, int argc, char **argv);
int cli_cmd_cluster(cli *c, int argc, char **argv);
/* codes and labels (issue 5) */
int cli_cmd_id(cli *c, int argc, char **argv);     /* cli_ident.c: id parse|dl|urn|element|rfid */
int cli_cmd_label(cli *c, int argc, char **argv);  /* cli_label.c: label ID --format svg|png|pdf */
int cli_cmd_codes(cli *c, int argc, char **argv);  /* cli_codes.c: codes issue|revoke|list */
int cli_cmd_alerts(cli *c, int argc, char **argv); /* cli_codes.c: counterfeit alerts */
int cli_cmd_org(cli *c, int argc, char **argv);    /* cli_codes.c: org contact (registry entry) */

/* `suyuan epcis ...` (cli_epcis.c): parses its own options from argv[1..];
 * argv[0] is "epcis". Returns an exit code. */
int sy_cli_epcis(int argc, char **argv);

#endif
