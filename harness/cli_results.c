/* cli_results.c - `icelab results`: a run's results.json as the Markdown
 * page of docs/results/ (reports/results_md.h). */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "../reports/results_md.h"
#include "cli.h"

static const char results_usage[] =
	"usage: icelab results [OPTIONS] RESULTS.json|REPORT_DIR > PAGE.md\n"
	"  -t, --title TEXT     the page's title (default: icelab results)\n"
	"  -n, --notes FILE     hand-written explanations, \"## CASE-GLOB\" sections\n"
	"  -s, --source CMD     the command that regenerates the page, quoted on it\n"
	"      --strict         exit 1 when a failing case has no explanation\n"
	"Failing cases (fail, xpass, error) that no note explains are listed on the page\n"
	"and on stderr.\n";

struct results_args {
	const char *title, *notes, *source, *input;
	bool strict;
};

/* 0 to go on, 1 after --help, 2 on a usage error. */
static int parse(int argc, char **argv, struct results_args *a)
{
	static const struct option opts[] = {
		{"title", required_argument, NULL, 't'}, {"notes", required_argument, NULL, 'n'},
		{"source", required_argument, NULL, 's'}, {"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	int c;

	*a = (struct results_args){0};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:n:s:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(results_usage, stdout);
			return 1;
		}
		if (c == 't')
			a->title = optarg;
		else if (c == 'n')
			a->notes = optarg;
		else if (c == 's')
			a->source = optarg;
		else if (c == 'S')
			a->strict = true;
		else {
			fprintf(stderr, "icelab: %s: unknown option or missing value\n%s",
				argv[optind - 1], results_usage);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "icelab: results: want one RESULTS.json or report directory\n%s",
			results_usage);
		return 2;
	}
	a->input = argv[optind];
	return 0;
}

/* The run document at `in` (a file, or a directory holding results.json). */
static json_t *load_run(const char *in, struct icl_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	json_error_t je;
	json_t *run;

	if (stat(in, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof(path), "%s/results.json", in);
	else
		snprintf(path, sizeof(path), "%s", in);
	if (!(run = json_load_file(path, 0, &je)) && je.line > 0)
		icl_err_set(err, ICL_EINPUT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	else if (!run)
		icl_err_set(err, ICL_EINPUT, "%s", je.text);
	else if (!json_is_array(json_object_get(run, "cases"))) {
		icl_err_set(err, ICL_EINPUT, "%s: not a results.json of icelab run (no \"cases\")",
			    path);
		json_decref(run);
		run = NULL;
	}
	return run;
}

int cli_results(int argc, char **argv)
{
	struct results_args a;
	struct rmd_notes *notes = NULL;
	struct icl_err err;
	json_t *run;
	int rc = parse(argc, argv, &a), n;

	if (rc != 0)
		return rc == 1 ? 0 : rc;
	if (!(run = load_run(a.input, &err)))
		return cli_fail(&err);
	if (a.notes && rmd_notes_load(a.notes, &notes, &err) < 0) {
		json_decref(run);
		return cli_fail(&err);
	}
	n = rmd_write(stdout, "(stdout)", run,
		      &(struct rmd_options){ .title = a.title, .source = a.source,
					     .notes_path = a.notes, .notes = notes },
		      &err);
	if (n < 0) {
		rc = cli_fail(&err);
	} else if (n > 0) {
		fprintf(stderr, "icelab: results: %d failing case%s without an explanation in %s:\n",
			n, n == 1 ? "" : "s", a.notes ? a.notes : "(no --notes)");
		rmd_unexplained(stderr, run, notes);
		rc = a.strict ? 1 : 0;
	}
	rmd_notes_free(notes);
	json_decref(run);
	return rc;
}
