/* icelab - network-emulation conformance harness for ICE. */
#include <stdio.h>
#include <string.h>

#include "catalogue.h"
#include "cli.h"
#include "registry.h"

static const char usage[] =
	"usage: icelab COMMAND ...\n"
	"\n"
	"  run [OPTIONS] [PATH...]   run the scenarios' cases and judge them\n"
	"                            (icelab run --help for the options)\n"
	"  list [OPTIONS] [PATH...]  print the case names, matrices expanded\n"
	"  check PATH...             validate scenario files without running them\n"
	"  agents                    list the agent implementations known by name\n"
	"  catalogue [PATH...]       print the scenario catalogue (docs/scenarios.md)\n"
	"  results [OPTIONS] REPORT  a run's results.json as Markdown (docs/results/)\n"
	"  topo up FILE [--seed N]   build FILE's topology and keep it until Ctrl-C\n"
	"  topo check [PATH...]      build each topology, run its probes, tear it down\n"
	"                            (default PATH: scenarios/)\n"
	"  topo validate FILE...     check scenario files without building anything\n"
	"  shell FILE|CASE NODE      open a shell inside NODE of a kept topology\n"
	"  exec FILE NODE -- CMD...  run CMD inside NODE of a kept topology\n"
	"  doctor                    check the kernel features and programs a suite\n"
	"                            needs; say what is missing and how to install it\n"
	"\n"
	"Exit status: 0 ok, 1 a case or check failed, 2 bad input, 3 environment.\n";

static int cli_agents(void)
{
	for (const struct reg_entry *e = reg_entries(); e->name; e++)
		printf("%-14s %s\n", e->name, e->what);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "list") == 0 ||
	    strcmp(argv[1], "check") == 0)
		return cli_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "agents") == 0)
		return cli_agents();
	if (strcmp(argv[1], "catalogue") == 0)
		return cat_command(argc - 1, argv + 1);
	if (strcmp(argv[1], "results") == 0)
		return cli_results(argc - 1, argv + 1);
	if (strcmp(argv[1], "topo") == 0)
		return cli_topo(argc - 1, argv + 1);
	if (strcmp(argv[1], "shell") == 0 || strcmp(argv[1], "exec") == 0)
		return cli_exec(argc - 1, argv + 1);
	if (strcmp(argv[1], "doctor") == 0)
		return cli_doctor(argc - 1, argv + 1);
	fprintf(stderr, "icelab: unknown command '%s'\n%s", argv[1], usage);
	return 2;
}
