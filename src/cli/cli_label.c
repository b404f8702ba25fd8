/* stub: being written (issue 5) */
#include "cli/cli.h"
int cli_cmd_label(cli *c, int argc, char **argv) { (void)c; (void)argc; (void)argv; cli_err("not implemented yet"); return CLI_FAIL; }
