/* Keys and membership: init, keygen, member add|revoke|list (docs/cli.md). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

#define PASS_MAX 1024
#define DEFAULT_DIR "./suyuan-data"
#define DEFAULT_LISTEN "127.0.0.1:7420"

enum {
  OPT_ORG_NAME = CLI_OPT_FIRST_LOCAL,
  OPT_LISTEN,
  OPT_MEMBER_KEY,
  OPT_PUBLIC_KEY,
};

/* ---- keys ------------------------------------------------------------------------ */

int cli_load_key(const cli *c, const char *path, sy_key **out) {
  /* Check the file before asking for a passphrase. */
  const sy_suite *suite;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  errno = 0;
  int rc = sy_keystore_public(path, &suite, pk, &pk_len);
  if (rc == SY_ENOTFOUND) {
    cli_err("key file %s: no such file", path);
    return CLI_FAIL;
  }
  if (rc == SY_EIO) {
    cli_err("cannot read key file %s: %s", path, errno ? strerror(errno) : "not a key file");
    return CLI_FAIL;
  }
  if (rc) {
    cli_err("%s is not a key file (%s)", path, sy_strerror(rc));
    return CLI_FAIL;
  }
  char pass[PASS_MAX];
  size_t plen = 0;
  char what[PATH_MAX + 16];
  snprintf(what, sizeof what, "%s", path);
  if (cli_passphrase(c, what, 0, pass, sizeof pass, &plen)) return CLI_FAIL;
  rc = sy_keystore_load(path, pass, plen, out);
  explicit_bzero(pass, sizeof pass);
  switch (rc) {
    case SY_OK:
      return CLI_OK;
    case SY_EPASSPHRASE:
      cli_err("%s: wrong passphrase (or the key file is damaged)", path);
      break;
    case SY_EPERM:
      cli_err("%s: key file is readable by group or others; refusing to use it (chmod 600 %s)",
              path, path);
      break;
    default:
      cli_err("cannot load key %s: %s", path, sy_strerror(rc));
  }
  return CLI_FAIL;
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* mkdir -p; components created here get `mode`. */
static int make_dirs(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == 0) {
      char saved = *p;
      *p = 0;
      if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
      *p = saved;
      if (!saved) break;
    }
  }
  struct stat st;
  if (stat(buf, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* Writes a new file (never replaces one) via a temporary name: fsync, link. */
static int write_new_file(const char *path, const char *text, size_t len, mode_t mode) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t n = write(fd, text + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto fail;
    off += (size_t)n;
  }
  if (fsync(fd) != 0) goto fail;
  if (close(fd) != 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (link(tmp, path) != 0) goto fail;
  unlink(tmp);
  return 0;
fail:;
  int saved = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  errno = saved;
  return -1;
}

static void key_hex(const sy_key *k, char *id, char *pk) {
  size_t n;
  const uint8_t *p = sy_key_public(k, &n);
  sy_hex_encode(id, sy_key_id_of(k), SY_KEYID_LEN);
  sy_hex_encode(pk, p, n);
}

static void report_save_error(const char *path, int rc) {
  if (rc == SY_EEXIST)
    cli_err("%s already exists; refusing to overwrite a key", path);
  else
    cli_err("cannot write key file %s: %s", path,
            rc == SY_EIO && errno ? strerror(errno) : sy_strerror(rc));
}

/* ---- init --------------------------------------------------------------------------- */

static const char INIT_USAGE[] =
    "suyuan init --chain NAME --org ID [--org-name TEXT] "
    "[--dir DIR] [--listen HOST:PORT]";
static const char INIT_HELP[] =
    "usage: suyuan init --chain NAME --org ID [--org-name TEXT] [--dir DIR]\n"
    "                   [--listen HOST:PORT]\n"
    "\n"
    "Creates a new chain with one organisation and one node:\n"
    "  DIR/keys/admin.key  the organisation's admin key (its system_manager)\n"
    "  DIR/keys/node.key   the first node's key\n"
    "  DIR/genesis.json    names the chain, its crypto suite (ed25519-sha256), the\n"
    "                      organisation with its admin, and the node\n"
    "Both keys are encrypted under one passphrase (asked twice on a terminal).\n"
    "Then start the node with 'suyuand --data DIR'.\n"
    "\n"
    "  -c, --chain NAME        chain id, 1 to 64 bytes\n"
    "  -o, --org ID            organisation id\n"
    "      --org-name TEXT     organisation's display name (default: ID)\n"
    "  -d, --dir DIR           data directory, created 0700 (default " DEFAULT_DIR
    ")\n"
    "      --listen HOST:PORT  the node's address in the genesis file\n"
    "                          (default " DEFAULT_LISTEN
    ")\n"
    "\n"
    "Refuses to overwrite an existing genesis file, key or ledger (exit 1).\n";

/* out[PATH_MAX] = dir/name; -1 when it does not fit. */
static int path_join(char *out, const char *dir, const char *name) {
  int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
  return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* "127.0.0.1:7420" or "http://…" to the node address in genesis. */
static int node_address(const char *listen, char *out, size_t size) {
  if (strncmp(listen, "http://", 7) == 0 || strncmp(listen, "https://", 8) == 0) {
    snprintf(out, size, "%s", listen);
    return 0;
  }
  const char *colon = strrchr(listen, ':');
  uint64_t port;
  if (!colon || colon == listen || cli_parse_u64(colon + 1, &port) || port == 0 || port > 65535)
    return -1;
  snprintf(out, size, "http://%s", listen);
  return 0;
}

static cJSON *genesis_json(const char *chain, const char *org, const char *org_name,
                           const char *address, const sy_key *admin, const sy_key *node) {
  char id[2 * SY_KEYID_LEN + 1], pk[2 * SY_PK_MAX + 1];
  cJSON *g = cJSON_CreateObject(), *orgs, *o, *admins, *a, *nodes, *n;
  if (!g) return NULL;
  cJSON_AddStringToObject(g, "chain_id", chain);
  cJSON_AddStringToObject(g, "suite", sy_key_suite(admin)->name);
  char ms[32];
  snprintf(ms, sizeof ms, "%llu", (unsigned long long)cli_now_ms());
  cJSON_AddRawToObject(g, "created_ms", ms);
  /* New chains record EPCIS extension event types from block 0 on. */
  cJSON *feat = cJSON_AddObjectToObject(g, "features");
  if (!feat || !cJSON_AddNumberToObject(feat, "epcis_extension_events", 0)) goto fail;
  if (!(orgs = cJSON_AddArrayToObject(g, "orgs")) || !(o = cJSON_CreateObject())) goto fail;
  cJSON_AddItemToArray(orgs, o);
  cJSON_AddStringToObject(o, "id", org);
  cJSON_AddStringToObject(o, "name", org_name);
  if (!(admins = cJSON_AddArrayToObject(o, "admins")) || !(a = cJSON_CreateObject())) goto fail;
  cJSON_AddItemToArray(admins, a);
  key_hex(admin, id, pk);
  cJSON_AddStringToObject(a, "name", "admin");
  cJSON_AddStringToObject(a, "public_key", pk);
  if (!(nodes = cJSON_AddArrayToObject(g, "nodes")) || !(n = cJSON_CreateObject())) goto fail;
  cJSON_AddItemToArray(nodes, n);
  key_hex(node, id, pk);
  cJSON_AddStringToObject(n, "org", org);
  cJSON_AddStringToObject(n, "public_key", pk);
  cJSON_AddStringToObject(n, "address", address);
  return g;
fail:
  cJSON_Delete(g);
  return NULL;
}

int cli_cmd_init(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"chain", required_argument, NULL, 'c'},
                                       {"org", required_argument, NULL, 'o'},
                                       {"org-name", required_argument, NULL, OPT_ORG_NAME},
                                       {"dir", required_argument, NULL, 'd'},
                                       {"listen", required_argument, NULL, OPT_LISTEN},
                                       CLI_COMMON_OPTIONS};
  const char *chain = NULL, *org = NULL, *org_name = NULL, *dir = DEFAULT_DIR;
  const char *listen = DEFAULT_LISTEN;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hc:o:d:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(INIT_HELP);
      case 'c':
        chain = optarg;
        break;
      case 'o':
        org = optarg;
        break;
      case OPT_ORG_NAME:
        org_name = optarg;
        break;
      case 'd':
        dir = optarg;
        break;
      case OPT_LISTEN:
        listen = optarg;
        break;
      default:
        return cli_usage(c, INIT_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, INIT_USAGE);
  }
  if (!chain || !org) {
    cli_err("missing %s", !chain ? "--chain NAME" : "--org ID");
    return cli_usage(c, INIT_USAGE);
  }
  if (!*chain || strlen(chain) > SY_CHAIN_ID_MAX) {
    cli_err("--chain wants 1 to %d bytes", SY_CHAIN_ID_MAX);
    return cli_usage(c, INIT_USAGE);
  }
  if (!org_name) org_name = org;
  char address[512];
  if (node_address(listen, address, sizeof address)) {
    cli_err("--listen wants HOST:PORT with a port from 1 to 65535, not '%s'", listen);
    return cli_usage(c, INIT_USAGE);
  }

  char genesis_path[PATH_MAX], keys_dir[PATH_MAX], admin_path[PATH_MAX], node_path[PATH_MAX],
      ledger_path[PATH_MAX];
  if (path_join(genesis_path, dir, "genesis.json") || path_join(keys_dir, dir, "keys") ||
      path_join(admin_path, keys_dir, "admin.key") || path_join(node_path, keys_dir, "node.key") ||
      path_join(ledger_path, dir, "ledger.db")) {
    cli_err("--dir: path too long");
    return CLI_USAGE;
  }
  const char *const existing[] = {genesis_path, admin_path, node_path, ledger_path};
  for (size_t i = 0; i < 4; i++) {
    if (exists(existing[i])) {
      cli_err(
          "%s already exists; refusing to overwrite an existing chain (choose another "
          "--dir)",
          existing[i]);
      return CLI_FAIL;
    }
  }

  if (sy_crypto_init()) {
    cli_err("cannot initialise the crypto library");
    return CLI_FAIL;
  }
  int rc = CLI_FAIL, admin_saved = 0, node_saved = 0;
  sy_key *admin = NULL, *node = NULL;
  cJSON *g = NULL;
  char *text = NULL;
  char pass[PASS_MAX];
  size_t plen = 0;
  int err;
  const sy_suite *suite = sy_suite_default();
  if ((err = sy_key_generate(suite, &admin)) || (err = sy_key_generate(suite, &node))) {
    cli_err("cannot generate keys: %s", sy_strerror(err));
    goto undo_keys;
  }
  char *printed = NULL;
  if (!(g = genesis_json(chain, org, org_name, address, admin, node)) ||
      !(printed = cJSON_Print(g)) || asprintf(&text, "%s\n", printed) < 0) {
    free(printed);
    text = NULL;
    cli_err("out of memory");
    goto undo_keys;
  }
  free(printed);
  size_t text_len = strlen(text);
  sy_genesis_info info;
  char why[256] = "";
  if (sy_genesis_check((const uint8_t *)text, text_len, &info, why, sizeof why) != SY_OK) {
    cli_err("these settings do not make a valid genesis: %s", why[0] ? why : "(no detail)");
    rc = CLI_USAGE;
    goto undo_keys;
  }

  if (cli_passphrase(c, "the new admin and node keys", 1, pass, sizeof pass, &plen)) goto undo_keys;
  if (make_dirs(dir, 0700) != 0 || make_dirs(keys_dir, 0700) != 0) {
    cli_err("cannot create %s: %s", keys_dir, strerror(errno));
    goto undo_pass;
  }
  chmod(keys_dir, 0700); /* an existing keys/ must not stay readable by others */
  if ((err = sy_keystore_save(admin, admin_path, pass, plen))) {
    report_save_error(admin_path, err);
    goto undo_files;
  }
  admin_saved = 1;
  if ((err = sy_keystore_save(node, node_path, pass, plen))) {
    report_save_error(node_path, err);
    goto undo_files;
  }
  node_saved = 1;
  /* The chain's identity is the hash of these exact bytes: write them once. */
  if (write_new_file(genesis_path, text, text_len, 0644) != 0) {
    cli_err("cannot write %s: %s", genesis_path, strerror(errno));
    goto undo_files;
  }

  char admin_id[2 * SY_KEYID_LEN + 1], admin_pk[2 * SY_PK_MAX + 1];
  char node_id[2 * SY_KEYID_LEN + 1], node_pk[2 * SY_PK_MAX + 1];
  key_hex(admin, admin_id, admin_pk);
  key_hex(node, node_id, node_pk);
  if (c->json) {
    cJSON *j = cJSON_CreateObject(), *a, *n;
    cJSON_AddStringToObject(j, "chain_id", chain);
    cJSON_AddStringToObject(j, "suite", suite->name);
    cJSON_AddStringToObject(j, "dir", dir);
    cJSON_AddStringToObject(j, "genesis", genesis_path);
    cJSON_AddItemToObject(j, "admin", a = cJSON_CreateObject());
    cJSON_AddStringToObject(a, "org", org);
    cJSON_AddStringToObject(a, "path", admin_path);
    cJSON_AddStringToObject(a, "key_id", admin_id);
    cJSON_AddStringToObject(a, "public_key", admin_pk);
    cJSON_AddItemToObject(j, "node", n = cJSON_CreateObject());
    cJSON_AddStringToObject(n, "path", node_path);
    cJSON_AddStringToObject(n, "key_id", node_id);
    cJSON_AddStringToObject(n, "public_key", node_pk);
    cJSON_AddStringToObject(n, "address", address);
    char *s = cJSON_Print(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
  } else {
    printf("Created chain '%s' (%s) in %s\n", chain, suite->name, dir);
    printf("  genesis:    %s\n", genesis_path);
    printf("  admin key:  %s  key id %s (org %s, system_manager)\n", admin_path, admin_id, org);
    printf("  node key:   %s  key id %s\n", node_path, node_id);
    printf("  node:       %s\n", address);
    printf("Start the node with: suyuand --data %s\n", dir);
  }
  rc = CLI_OK;
  goto undo_pass;

undo_files:
  /* Leave nothing half made behind: a later init must be able to start over. */
  if (node_saved) unlink(node_path);
  if (admin_saved) unlink(admin_path);
  rmdir(keys_dir); /* only succeeds when it is empty, i.e. we made it */
  rmdir(dir);
undo_pass:
  explicit_bzero(pass, sizeof pass);
undo_keys:
  free(text);
  cJSON_Delete(g);
  sy_key_free(admin);
  sy_key_free(node);
  return rc;
}

/* ---- keygen --------------------------------------------------------------------------- */

static const char KEYGEN_USAGE[] = "suyuan keygen --out FILE";
static const char KEYGEN_HELP[] =
    "usage: suyuan keygen --out FILE\n"
    "\n"
    "Generates a key pair (ed25519-sha256) and writes it to FILE, mode 0600, the\n"
    "secret half encrypted under a passphrase (asked twice on a terminal). Prints\n"
    "the key id and the public key, which an org admin registers with 'suyuan\n"
    "member add'. Refuses to overwrite FILE.\n"
    "\n"
    "  -o, --out FILE   keystore file to create\n";

int cli_cmd_keygen(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"out", required_argument, NULL, 'o'}, CLI_COMMON_OPTIONS};
  const char *out = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":ho:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(KEYGEN_HELP);
      case 'o':
        out = optarg;
        break;
      default:
        return cli_usage(c, KEYGEN_USAGE);
    }
  }
  if (optind < argc && !out) out = argv[optind++]; /* "suyuan keygen FILE" works too */
  if (optind < argc || !out) {
    cli_err(out ? "unexpected argument" : "missing --out FILE");
    return cli_usage(c, KEYGEN_USAGE);
  }
  if (exists(out)) {
    cli_err("%s already exists; refusing to overwrite a key", out);
    return CLI_FAIL;
  }
  if (sy_crypto_init()) {
    cli_err("cannot initialise the crypto library");
    return CLI_FAIL;
  }
  sy_key *k = NULL;
  int err = sy_key_generate(sy_suite_default(), &k);
  if (err) {
    cli_err("cannot generate a key: %s", sy_strerror(err));
    return CLI_FAIL;
  }
  char pass[PASS_MAX];
  size_t plen = 0;
  int rc = CLI_FAIL;
  if (cli_passphrase(c, out, 1, pass, sizeof pass, &plen)) goto undo_key;
  err = sy_keystore_save(k, out, pass, plen);
  explicit_bzero(pass, sizeof pass);
  if (err) {
    report_save_error(out, err);
    goto undo_key;
  }
  char id[2 * SY_KEYID_LEN + 1], pk[2 * SY_PK_MAX + 1];
  key_hex(k, id, pk);
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "key_id", id);
    cJSON_AddStringToObject(j, "public_key", pk);
    cJSON_AddStringToObject(j, "suite", sy_key_suite(k)->name);
    cJSON_AddStringToObject(j, "file", out);
    char *s = cJSON_Print(j);
    if (s) printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
  } else {
    printf("key id:     %s\npublic key: %s\nsuite:      %s\nfile:       %s\n", id, pk,
           sy_key_suite(k)->name, out);
  }
  rc = CLI_OK;
undo_key:
  sy_key_free(k);
  return rc;
}

/* ---- member add | revoke | list ------------------------------------------------------ */

static const char MEMBER_ADD_USAGE[] =
    "suyuan member add --key ADMIN_KEYFILE --org ID (--member-key FILE | --public-key HEX)\n"
    "                         --roles r1,r2 [--name TEXT] [--no-wait]";
static const char MEMBER_REVOKE_USAGE[] =
    "suyuan member revoke --key ADMIN_KEYFILE KEY_ID [--no-wait]";
static const char MEMBER_LIST_USAGE[] = "suyuan member list [--org ID]";

static const char MEMBER_HELP[] =
    "usage: suyuan member <add|revoke|list> ...\n"
    "\n"
    "  add     give a key roles in an organisation (MEMBER_ADD, signed by an admin)\n"
    "  revoke  revoke a member key (MEMBER_REVOKE, signed by an admin)\n"
    "  list    list members, their roles and status\n"
    "\n"
    "Run 'suyuan member <subcommand> --help' for details.\n";

static const char MEMBER_ADD_HELP[] =
    "usage: suyuan member add --key ADMIN_KEYFILE --org ID\n"
    "                         (--member-key FILE | --public-key HEX) --roles r1,r2\n"
    "                         [--name TEXT] [--no-wait]\n"
    "\n"
    "Registers a member key in an organisation with roles, in a MEMBER_ADD\n"
    "transaction signed by ADMIN_KEYFILE (a system_manager of that organisation),\n"
    "and waits for its block.\n"
    "\n"
    "  -k, --key FILE          the admin's keystore (asks for its passphrase)\n"
    "  -o, --org ID            organisation the member belongs to\n"
    "  -m, --member-key FILE   take the public key from this keystore (no passphrase\n"
    "                          needed)\n"
    "      --public-key HEX    or give the public key in hex\n"
    "  -r, --roles LIST        comma-separated: system_manager, business_manager,\n"
    "                          recorder, inspector, auditor, service_user\n"
    "  -n, --name TEXT         the member's name, e.g. the responsible person (D2)\n"
    "      --no-wait           return once the node has admitted the transaction\n"
    "\n"
    "Exit status 4 when the transaction was recorded invalid (e.g. role_denied\n"
    "when the signer is not a system_manager).\n";

static const char MEMBER_REVOKE_HELP[] =
    "usage: suyuan member revoke --key ADMIN_KEYFILE KEY_ID [--no-wait]\n"
    "\n"
    "Revokes the member key KEY_ID (32 hex characters, as 'member list' shows) in a\n"
    "MEMBER_REVOKE transaction signed by ADMIN_KEYFILE, and waits for its block.\n"
    "Later transactions by that key are recorded invalid (revoked_signer).\n"
    "\n"
    "  -k, --key FILE   the admin's keystore (asks for its passphrase)\n"
    "      --no-wait    return once the node has admitted the transaction\n";

static const char MEMBER_LIST_HELP[] =
    "usage: suyuan member list [--org ID]\n"
    "\n"
    "Lists the chain's members: key id, organisation, roles, status, name.\n"
    "\n"
    "  -o, --org ID   only this organisation's members\n";

int cli_tx_opt(int opt, cli_tx_opts *o, int *wait) {
  switch (opt) {
    case CLI_OPT_NO_WAIT:
      *wait = 0;
      return 1;
    case CLI_OPT_CHAIN:
      if (!*optarg || strlen(optarg) > SY_CHAIN_ID_MAX) {
        cli_err("--chain wants 1 to %d bytes", SY_CHAIN_ID_MAX);
        return -1;
      }
      o->chain = optarg;
      return 1;
    case CLI_OPT_NONCE:
      if (cli_parse_u64(optarg, &o->nonce)) {
        cli_err("--nonce wants an unsigned 64-bit decimal number, not '%s'", optarg);
        return -1;
      }
      o->have_nonce = 1;
      return 1;
  }
  return 0;
}

int cli_is_hex(const char *s, size_t want) {
  size_t n = strlen(s);
  if (n == 0 || n % 2 || (want && n != want)) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
          (s[i] >= 'A' && s[i] <= 'F')))
      return 0;
  return 1;
}

void cli_hex_lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'F') *s = (char)(*s - 'A' + 'a');
}

int cli_public_key_arg(const char *keystore, const char *hex, const char *admin_keyfile,
                       char pk_hex[2 * SY_PK_MAX + 1], const sy_suite **suite,
                       uint8_t pk[SY_PK_MAX], size_t *pk_len) {
  *suite = NULL;
  *pk_len = 0;
  if (keystore) {
    int err = sy_keystore_public(keystore, suite, pk, pk_len);
    if (err) {
      cli_err("cannot read the public key from %s: %s", keystore,
              err == SY_ENOTFOUND ? "no such file" : sy_strerror(err));
      return CLI_FAIL;
    }
    sy_hex_encode(pk_hex, pk, *pk_len);
    return CLI_OK;
  }
  if (!cli_is_hex(hex, 0) || strlen(hex) > 2 * SY_PK_MAX) {
    cli_err("--public-key wants the key in hex");
    return CLI_USAGE;
  }
  snprintf(pk_hex, 2 * SY_PK_MAX + 1, "%s", hex);
  cli_hex_lower(pk_hex);
  *pk_len = strlen(pk_hex) / 2;
  sy_hex_decode(pk, *pk_len, pk_hex, 2 * *pk_len);
  /* The chain's suite is the admin key's. */
  uint8_t apk[SY_PK_MAX];
  size_t apk_len;
  if (sy_keystore_public(admin_keyfile, suite, apk, &apk_len) == SY_OK &&
      *pk_len != (*suite)->pk_len) {
    cli_err("--public-key: a %s public key is %zu bytes, not %zu", (*suite)->name,
            (*suite)->pk_len, *pk_len);
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int member_add(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"org", required_argument, NULL, 'o'},
                                       {"member-key", required_argument, NULL, 'm'},
                                       {"public-key", required_argument, NULL, OPT_PUBLIC_KEY},
                                       {"roles", required_argument, NULL, 'r'},
                                       {"name", required_argument, NULL, 'n'},
                                       {"no-wait", no_argument, NULL, CLI_OPT_NO_WAIT},
                                       {"chain", required_argument, NULL, CLI_OPT_CHAIN},
                                       {"nonce", required_argument, NULL, CLI_OPT_NONCE},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL, *org = NULL, *member_key = NULL, *public_hex = NULL;
  const char *roles = NULL, *name = NULL;
  cli_tx_opts o = {.type = SY_TX_MEMBER_ADD};
  int wait = 1, opt, r;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:o:m:r:n:", opts)) != -1) {
    if ((r = cli_tx_opt(opt, &o, &wait)) < 0) return cli_usage(c, MEMBER_ADD_USAGE);
    if (r) continue;
    switch (opt) {
      case 'h':
        return cli_help(MEMBER_ADD_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case 'o':
        org = optarg;
        break;
      case 'm':
        member_key = optarg;
        break;
      case OPT_PUBLIC_KEY:
        public_hex = optarg;
        break;
      case 'r':
        roles = optarg;
        break;
      case 'n':
        name = optarg;
        break;
      default:
        return cli_usage(c, MEMBER_ADD_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, MEMBER_ADD_USAGE);
  }
  if (!keyfile || !org || !roles) {
    cli_err("missing %s", !keyfile ? "--key ADMIN_KEYFILE" : !org ? "--org ID" : "--roles LIST");
    return cli_usage(c, MEMBER_ADD_USAGE);
  }
  if (!!member_key == !!public_hex) {
    cli_err("give exactly one of --member-key FILE or --public-key HEX");
    return cli_usage(c, MEMBER_ADD_USAGE);
  }
  uint32_t mask = 0;
  if (sy_roles_parse(roles, &mask) != SY_OK || mask == 0) {
    cli_err(
        "bad --roles '%s'; roles are system_manager, business_manager, recorder, "
        "inspector, auditor, service_user",
        roles);
    return cli_usage(c, MEMBER_ADD_USAGE);
  }

  char pk_hex[2 * SY_PK_MAX + 1];
  const sy_suite *suite;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  int prc = cli_public_key_arg(member_key, public_hex, keyfile, pk_hex, &suite, pk, &pk_len);
  if (prc != CLI_OK) return prc == CLI_USAGE ? cli_usage(c, MEMBER_ADD_USAGE) : prc;

  cJSON *p = cJSON_CreateObject(), *arr;
  cJSON_AddStringToObject(p, "org", org);
  cJSON_AddStringToObject(p, "public_key", pk_hex);
  arr = cJSON_AddArrayToObject(p, "roles");
#define ROLE_ITEM(n, bit, text) \
  if (mask & (bit)) cJSON_AddItemToArray(arr, cJSON_CreateString(text));
  SY_ROLES(ROLE_ITEM)
#undef ROLE_ITEM
  if (name) cJSON_AddStringToObject(p, "name", name);
  char *payload = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  if (!payload) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  o.payload = (const uint8_t *)payload;
  o.payload_len = strlen(payload);
  int rc = cli_submit_tx(c, keyfile, &o, wait);
  free(payload);
  if (rc == CLI_OK && !c->json && suite) {
    uint8_t id[SY_KEYID_LEN];
    char id_hex[2 * SY_KEYID_LEN + 1], list[128];
    sy_key_id(suite, pk, pk_len, id);
    sy_hex_encode(id_hex, id, SY_KEYID_LEN);
    sy_roles_format(mask, list, sizeof list);
    printf("member: %s (org %s, roles %s)\n", id_hex, org, list);
  }
  return rc;
}

static int member_revoke(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"no-wait", no_argument, NULL, CLI_OPT_NO_WAIT},
                                       {"chain", required_argument, NULL, CLI_OPT_CHAIN},
                                       {"nonce", required_argument, NULL, CLI_OPT_NONCE},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL;
  cli_tx_opts o = {.type = SY_TX_MEMBER_REVOKE};
  int wait = 1, opt, r;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    if ((r = cli_tx_opt(opt, &o, &wait)) < 0) return cli_usage(c, MEMBER_REVOKE_USAGE);
    if (r) continue;
    switch (opt) {
      case 'h':
        return cli_help(MEMBER_REVOKE_HELP);
      case 'k':
        keyfile = optarg;
        break;
      default:
        return cli_usage(c, MEMBER_REVOKE_USAGE);
    }
  }
  if (!keyfile || argc - optind != 1) {
    cli_err(!keyfile         ? "missing --key ADMIN_KEYFILE"
            : optind >= argc ? "missing the member's KEY_ID"
                             : "too many arguments");
    return cli_usage(c, MEMBER_REVOKE_USAGE);
  }
  char id[2 * SY_KEYID_LEN + 1];
  if (!cli_is_hex(argv[optind], 2 * SY_KEYID_LEN)) {
    cli_err("'%s' is not a key id (%d hex characters)", argv[optind], 2 * SY_KEYID_LEN);
    return cli_usage(c, MEMBER_REVOKE_USAGE);
  }
  snprintf(id, sizeof id, "%s", argv[optind]);
  cli_hex_lower(id);
  char payload[64 + 2 * SY_KEYID_LEN];
  snprintf(payload, sizeof payload, "{\"key_id\":\"%s\"}", id);
  o.payload = (const uint8_t *)payload;
  o.payload_len = strlen(payload);
  return cli_submit_tx(c, keyfile, &o, wait);
}

static int member_list(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"org", required_argument, NULL, 'o'}, CLI_COMMON_OPTIONS};
  const char *org = NULL;
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":ho:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(MEMBER_LIST_HELP);
      case 'o':
        org = optarg;
        break;
      default:
        return cli_usage(c, MEMBER_LIST_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, MEMBER_LIST_USAGE);
  }
  char path[512] = "/v1/members";
  if (org) {
    char *e = sy_client_escape(org);
    if (!e || strlen(e) > 400) {
      free(e);
      cli_err("--org too long");
      return CLI_USAGE;
    }
    snprintf(path, sizeof path, "/v1/members?org=%s", e);
    free(e);
  }
  sy_http_resp r;
  int rc = cli_get(c, path, &r);
  if (rc) return rc;
  if (c->json) {
    fwrite(r.body, 1, r.len, stdout);
    if (r.len == 0 || r.body[r.len - 1] != '\n') putchar('\n');
    sy_http_resp_free(&r);
    return CLI_OK;
  }
  cJSON *j = cJSON_ParseWithLength(r.body, r.len);
  const cJSON *members = cJSON_GetObjectItemCaseSensitive(j, "members");
  if (!cJSON_IsArray(members)) {
    cli_err("the node's member list is not understood");
    rc = CLI_FAIL;
    goto done;
  }
  if (cJSON_GetArraySize(members) == 0) {
    printf("no members%s%s\n", org ? " in org " : "", org ? org : "");
    goto done;
  }
  printf("%-32s  %-12s  %-30s  %-18s  %s\n", "KEY ID", "ORG", "ROLES", "STATUS", "NAME");
  for (const cJSON *m = members->child; m; m = m->next) {
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(m, "key_id");
    const cJSON *morg = cJSON_GetObjectItemCaseSensitive(m, "org");
    const cJSON *mname = cJSON_GetObjectItemCaseSensitive(m, "name");
    const cJSON *mroles = cJSON_GetObjectItemCaseSensitive(m, "roles");
    const cJSON *revoked = cJSON_GetObjectItemCaseSensitive(m, "revoked");
    const cJSON *rh = cJSON_GetObjectItemCaseSensitive(m, "revoked_height");
    char rl[256] = "", status[64];
    for (const cJSON *x = cJSON_IsArray(mroles) ? mroles->child : NULL; x; x = x->next) {
      size_t n = strlen(rl);
      if (cJSON_IsString(x)) snprintf(rl + n, sizeof rl - n, "%s%s", n ? "," : "", x->valuestring);
    }
    if (cJSON_IsTrue(revoked)) {
      if (cJSON_IsNumber(rh))
        snprintf(status, sizeof status, "revoked@%llu", (unsigned long long)rh->valuedouble);
      else
        snprintf(status, sizeof status, "revoked");
    } else {
      snprintf(status, sizeof status, "active");
    }
    printf("%-32s  %-12s  %-30s  %-18s  %s\n", cJSON_IsString(kid) ? kid->valuestring : "?",
           cJSON_IsString(morg) ? morg->valuestring : "?", rl[0] ? rl : "-", status,
           cJSON_IsString(mname) && *mname->valuestring ? mname->valuestring : "-");
  }
done:
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}

int cli_cmd_member(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"add", "member add", member_add},
                                 {"revoke", "member revoke", member_revoke},
                                 {"list", "member list", member_list}};
  return cli_subcommand(c, argc, argv, MEMBER_HELP, NULL, subs, 3);
}
