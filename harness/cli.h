/* cli.h - the icelab subcommands.  Each returns the process exit status:
 * 0 success, 1 a check failed, 2 bad input or usage, 3 the environment
 * cannot run it (privileges, kernel features). */
#ifndef HARNESS_CLI_H
#define HARNESS_CLI_H

#include "../common/err.h"

int cli_topo(int argc, char **argv);
int cli_exec(int argc, char **argv); /* `exec` and `shell` */

/* Print `err` as "icelab: MSG" and map its code to an exit status. */
int cli_fail(const struct icl_err *err);

double cli_now_ms(void);

#endif
