/* Node management (SPEC M8): node add | remove | list (docs/cli.md).
 *
 * Peers are registered on the chain by an org admin's signed NODE_ADD
 * transaction; only registered, active nodes may order batches in a
 * cluster (an unregistered peer's batches are recorded invalid). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "ledger/ledger.h"

enum {
  OPT_NODE_KEY = CLI_OPT_FIRST_LOCAL,
  OPT_PUBLIC_KEY,
  OPT_ADDRESS,
};

static const char NODE_ADD_USAGE[] =
    "suyuan node add --key ADMIN_KEYFILE --org ID (--node-key FILE | --public-key HEX)\n"
    "                --address URL [--no-wait]";
static const char NODE_REMOVE_USAGE[] = "suyuan node remove --key ADMIN_KEYFILE KEY_ID [--no-wait]";
static const char NODE_LIST_USAGE[] = "suyuan node list";
static const char NODE_HELP[] =
    "usage: suyuan node <add|remove|list> ...\n"
    "\n"
    "  add     register a peer's node key in an organisation (NODE_ADD, signed by an\n"
    "          admin of that organisation)\n"
    "  remove  deregister a node key (NODE_REMOVE); its later batches are invalid\n"
    "  list    list the registered nodes\n"
    "\n"
    "Run 'suyuan node <subcommand> --help' for details.\n";
static const char NODE_ADD_HELP[] =
    "usage: suyuan node add --key ADMIN_KEYFILE --org ID\n"
    "                       (--node-key FILE | --public-key HEX) --address URL\n"
    "\n"
    "Registers a peer (its node key) in an organisation, in a NODE_ADD transaction\n"
    "signed by a system_manager of that organisation. Only registered nodes may\n"
    "order transactions in a cluster; start the new peer with the chain's genesis\n"
    "file and --etcd: it finds the others, catches up and serves.\n"
    "\n"
    "  -k, --key FILE          the admin's keystore (signs the transaction)\n"
    "  -o, --org ID            organisation the node belongs to\n"
    "      --node-key FILE     take the public key from this keystore (no passphrase\n"
    "                          needed)\n"
    "      --public-key HEX    or give the public key in hex\n"
    "      --address URL       the peer's API base URL (http://HOST:PORT)\n"
    "      --no-wait           do not wait for the block\n";
static const char NODE_REMOVE_HELP[] =
    "usage: suyuan node remove --key ADMIN_KEYFILE KEY_ID [--no-wait]\n"
    "\n"
    "Deregisters node KEY_ID (32 hex characters, as 'node list' shows), in a\n"
    "NODE_REMOVE transaction signed by an admin of the node's organisation.\n";
static const char NODE_LIST_HELP[] =
    "usage: suyuan node list\n"
    "\n"
    "Lists the registered nodes: key id, organisation, address, status.\n";

static int node_add(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"org", required_argument, NULL, 'o'},
                                       {"node-key", required_argument, NULL, OPT_NODE_KEY},
                                       {"public-key", required_argument, NULL, OPT_PUBLIC_KEY},
                                       {"address", required_argument, NULL, OPT_ADDRESS},
                                       {"no-wait", no_argument, NULL, CLI_OPT_NO_WAIT},
                                       {"chain", required_argument, NULL, CLI_OPT_CHAIN},
                                       {"nonce", required_argument, NULL, CLI_OPT_NONCE},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL, *org = NULL, *node_key = NULL, *public_hex = NULL, *address = NULL;
  cli_tx_opts o = {.type = SY_TX_NODE_ADD};
  int wait = 1, opt, r;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:o:", opts)) != -1) {
    if ((r = cli_tx_opt(opt, &o, &wait)) < 0) return cli_usage(c, NODE_ADD_USAGE);
    if (r) continue;
    switch (opt) {
      case 'h':
        return cli_help(NODE_ADD_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case 'o':
        org = optarg;
        break;
      case OPT_NODE_KEY:
        node_key = optarg;
        break;
      case OPT_PUBLIC_KEY:
        public_hex = optarg;
        break;
      case OPT_ADDRESS:
        address = optarg;
        break;
      default:
        return cli_usage(c, NODE_ADD_USAGE);
    }
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, NODE_ADD_USAGE);
  }
  if (!keyfile || !org || !address) {
    cli_err("missing %s", !keyfile ? "--key ADMIN_KEYFILE" : !org ? "--org ID" : "--address URL");
    return cli_usage(c, NODE_ADD_USAGE);
  }
  if (!!node_key == !!public_hex) {
    cli_err("give exactly one of --node-key FILE or --public-key HEX");
    return cli_usage(c, NODE_ADD_USAGE);
  }
  if ((strncmp(address, "http://", 7) != 0 && strncmp(address, "https://", 8) != 0) ||
      strlen(address) > 256) {
    cli_err("--address wants the peer's API base URL, http://HOST:PORT (at most 256 bytes)");
    return cli_usage(c, NODE_ADD_USAGE);
  }
  if (!*org || strlen(org) > 64) {
    cli_err("--org wants 1 to 64 bytes");
    return cli_usage(c, NODE_ADD_USAGE);
  }
  char pk_hex[2 * SY_PK_MAX + 1];
  const sy_suite *suite;
  uint8_t pk[SY_PK_MAX];
  size_t pk_len;
  int prc = cli_public_key_arg(node_key, public_hex, keyfile, pk_hex, &suite, pk, &pk_len);
  if (prc != CLI_OK) return prc == CLI_USAGE ? cli_usage(c, NODE_ADD_USAGE) : prc;
  cJSON *p = cJSON_CreateObject();
  if (!p) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  cJSON_AddStringToObject(p, "org", org);
  cJSON_AddStringToObject(p, "public_key", pk_hex);
  cJSON_AddStringToObject(p, "address", address);
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
    char id_hex[2 * SY_KEYID_LEN + 1];
    sy_key_id(suite, pk, pk_len, id);
    sy_hex_encode(id_hex, id, SY_KEYID_LEN);
    printf("node: %s (org %s, %s)\n", id_hex, org, address);
  }
  return rc;
}

static int node_remove(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"no-wait", no_argument, NULL, CLI_OPT_NO_WAIT},
                                       {"chain", required_argument, NULL, CLI_OPT_CHAIN},
                                       {"nonce", required_argument, NULL, CLI_OPT_NONCE},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL;
  cli_tx_opts o = {.type = SY_TX_NODE_REMOVE};
  int wait = 1, opt, r;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    if ((r = cli_tx_opt(opt, &o, &wait)) < 0) return cli_usage(c, NODE_REMOVE_USAGE);
    if (r) continue;
    switch (opt) {
      case 'h':
        return cli_help(NODE_REMOVE_HELP);
      case 'k':
        keyfile = optarg;
        break;
      default:
        return cli_usage(c, NODE_REMOVE_USAGE);
    }
  }
  if (!keyfile || argc - optind != 1) {
    cli_err(!keyfile         ? "missing --key ADMIN_KEYFILE"
            : optind >= argc ? "missing the node's KEY_ID"
                             : "too many arguments");
    return cli_usage(c, NODE_REMOVE_USAGE);
  }
  if (!cli_is_hex(argv[optind], 2 * SY_KEYID_LEN)) {
    cli_err("'%s' is not a key id (%d hex characters)", argv[optind], 2 * SY_KEYID_LEN);
    return cli_usage(c, NODE_REMOVE_USAGE);
  }
  char id[2 * SY_KEYID_LEN + 1];
  snprintf(id, sizeof id, "%s", argv[optind]);
  cli_hex_lower(id);
  char payload[64 + 2 * SY_KEYID_LEN];
  snprintf(payload, sizeof payload, "{\"key_id\":\"%s\"}", id);
  o.payload = (const uint8_t *)payload;
  o.payload_len = strlen(payload);
  return cli_submit_tx(c, keyfile, &o, wait);
}

static const char *jstr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static int node_list(cli *c, int argc, char **argv) {
  static const struct option opts[] = {CLI_COMMON_OPTIONS};
  int opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":h", opts)) != -1) {
    if (opt == 'h') return cli_help(NODE_LIST_HELP);
    return cli_usage(c, NODE_LIST_USAGE);
  }
  if (optind < argc) {
    cli_err("unexpected argument '%s'", argv[optind]);
    return cli_usage(c, NODE_LIST_USAGE);
  }
  sy_http_resp r;
  int rc = cli_get(c, "/v1/nodes", &r);
  if (rc) return rc;
  if (c->json) {
    fwrite(r.body, 1, r.len, stdout);
    if (r.len == 0 || r.body[r.len - 1] != '\n') putchar('\n');
    sy_http_resp_free(&r);
    return CLI_OK;
  }
  cJSON *j = cJSON_ParseWithLength(r.body, r.len);
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(j, "nodes");
  if (!cJSON_IsArray(nodes)) {
    cli_err("the node list is not understood");
    rc = CLI_FAIL;
    goto done;
  }
  if (cJSON_GetArraySize(nodes) == 0) {
    printf("no nodes\n");
    goto done;
  }
  printf("%-32s  %-12s  %-18s  %s\n", "KEY ID", "ORG", "STATUS", "ADDRESS");
  for (const cJSON *n = nodes->child; n; n = n->next) {
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(n, "removed");
    const cJSON *rh = cJSON_GetObjectItemCaseSensitive(n, "removed_height");
    char status[64] = "active";
    if (cJSON_IsTrue(removed)) {
      if (cJSON_IsNumber(rh))
        snprintf(status, sizeof status, "removed@%llu", (unsigned long long)rh->valuedouble);
      else
        snprintf(status, sizeof status, "removed");
    }
    const char *addr = jstr(n, "address");
    printf("%-32s  %-12s  %-18s  %s\n", jstr(n, "key_id") ? jstr(n, "key_id") : "?",
           jstr(n, "org") ? jstr(n, "org") : "?", status, addr && *addr ? addr : "-");
  }
done:
  cJSON_Delete(j);
  sy_http_resp_free(&r);
  return rc;
}

int cli_cmd_node(cli *c, int argc, char **argv) {
  static const cli_sub subs[] = {{"add", "node add", node_add},
                                 {"remove", "node remove", node_remove},
                                 {"list", "node list", node_list}};
  return cli_subcommand(c, argc, argv, NODE_HELP, NULL, subs, 3);
}
