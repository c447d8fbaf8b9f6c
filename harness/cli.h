/* cli.h - the icelab subcommands.  Each returns the process exit status:
 * 0 success, 1 a check failed, 2 bad input or usage, 3 the environment
 * cannot run it (privileges, kernel features). */
#ifndef HARNESS_CLI_H
#define HARNESS_CLI_H

#include <stddef.h>

#include "../common/err.h"

int cli_topo(int argc, char **argv);
int cli_exec(int argc, char **argv); /* `exec` and `shell` */
int cli_run(int argc, char **argv);  /* `run`, `list` and `check` */
int cli_doctor(int argc, char **argv); /* `doctor`: what a suite needs */
int cli_results(int argc, char **argv); /* `results`: results.json as Markdown */
/* `catalogue` is cat_command() of catalogue.h. */

/* Expand directories among `paths` into their *.yaml files; the result is
 * sorted, and it and its strings are owned by the caller (cli_free_files). */
int cli_collect_files(int n, char **paths, char ***out, size_t *count);
void cli_free_files(char **v, size_t n);

/* Print `err` as "icelab: MSG" and map its code to an exit status. */
int cli_fail(const struct icl_err *err);

double cli_now_ms(void);

#endif
