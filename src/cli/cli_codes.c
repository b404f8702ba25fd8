/* stub: being written (issue 5) */
#include "cli/cli.h"
int cli_cmd_codes(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; cli_err("not implemented yet"); return CLI_FAIL; }
int cli_cmd_alerts(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; cli_err("not implemented yet"); return CLI_FAIL; }
int cli_cmd_org(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; cli_err("not implemented yet"); return CLI_FAIL; }
