/* catalogue.c - `icelab catalogue`: docs/scenarios.md from the scenario
 * files themselves (catalogue.h).
 *
 * Every file is loaded in full before anything is printed: the page is
 * meant to be redirected into docs/, and a page cut short by a bad file
 * would look complete.
 */
#include "catalogue.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/err.h"
#include "cli.h"
#include "scenario.h"

/* One file: its cases, loaded. */
struct cat_row {
	const char *file;          /* borrowed from the caller */
	struct scn_case *cases;    /* owned; NULL when it did not load */
	size_t n;
};

static const char cat_intro[] =
	"# Scenario catalogue\n"
	"\n"
	"Every scenario file of the suite, one row each, by file name: its `name`,\n"
	"how many cases its matrix expands to (the names `icelab list` prints), its\n"
	"`description` and its `references`, the RFC sections, bug reports and threads\n"
	"it reproduces.  Files without agents (`topo-*.yaml`) are topology-only: their\n"
	"probes are the test (`icelab topo check`).\n"
	"\n"
	"This page is generated from the files; do not edit it.  After adding or\n"
	"changing a scenario, regenerate it:\n"
	"\n"
	"    build/icelab catalogue scenarios/ > docs/scenarios.md\n"
	"\n"
	"`tests/run-tests` fails while it is out of date, and `icelab catalogue`\n"
	"refuses a scenario without `references:`\n"
	"([scenario format](scenario-format.md#references)): every scenario says where\n"
	"it comes from.  To write one, see [writing scenarios](writing-scenarios.md).\n"
	"\n";

static const char *cat_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* By file name; the whole path only breaks ties between directories. */
static int cat_cmp(const void *a, const void *b)
{
	const struct cat_row *x = a, *y = b;
	int d = strcmp(cat_base(x->file), cat_base(y->file));

	return d != 0 ? d : strcmp(x->file, y->file);
}

/* `s` as one table cell: whitespace runs (a folded description's line
 * breaks) become one space, and what would end the cell or start HTML
 * is escaped. */
static void cat_cell(FILE *out, const char *s)
{
	bool space = false, any = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = any;
			continue;
		}
		if (space)
			fputc(' ', out);
		space = false;
		any = true;
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '<')
			fputs("&lt;", out);
		else
			fputc(*s, out);
	}
}

/* The file as a link relative to docs/, where the page lives; paths are
 * taken as relative to the checkout's root (as `scenarios/` is). */
static void cat_file_cell(FILE *out, const char *file)
{
	const char *rel = file;

	while (strncmp(rel, "./", 2) == 0)
		rel += 2;
	if (rel[0] == '/')
		fprintf(out, "`%s`", cat_base(file));
	else
		fprintf(out, "[`%s`](../%s)", cat_base(file), rel);
}

static void cat_row_print(FILE *out, const struct cat_row *r)
{
	const struct scn_case *k = &r->cases[0];
	size_t name_len = strcspn(k->name, "["); /* the scenario, not the cell */

	fputs("| ", out);
	cat_file_cell(out, r->file);
	fprintf(out, " | `%.*s` | %zu | ", (int)name_len, k->name, r->n);
	cat_cell(out, k->description);
	fputs(" | ", out);
	for (size_t i = 0; i < k->n_references; i++) {
		fputs(i > 0 ? "; " : "", out);
		cat_cell(out, k->references[i]);
	}
	fputs(" |\n", out);
}

/* Load every row; say on `diag` what is wrong with each file. */
static int cat_load(FILE *diag, struct cat_row *rows, size_t n)
{
	struct icl_err err = { 0 };
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (scn_load_cases(rows[i].file, &rows[i].cases, &rows[i].n, &err) < 0) {
			/* Unreadable or invalid: bad input either way, as for `check`. */
			fprintf(diag, "icelab: %s\n", err.msg);
			rc = ICL_EINPUT;
		} else if (rows[i].cases[0].n_references == 0) {
			fprintf(diag, "icelab: %s: no 'references:'; every scenario cites its "
				"source (RFC sections, bug reports, threads), see "
				"docs/scenario-format.md#references\n", rows[i].file);
			rc = ICL_EINPUT;
		}
	}
	return rc;
}

static int cat_print(FILE *out, FILE *diag, struct cat_row *rows, size_t n)
{
	size_t cases = 0;

	qsort(rows, n, sizeof(*rows), cat_cmp);
	for (size_t i = 0; i < n; i++)
		cases += rows[i].n;
	fputs(cat_intro, out);
	fprintf(out, "%zu file%s, %zu case%s.\n\n", n, n == 1 ? "" : "s", cases,
		cases == 1 ? "" : "s");
	fputs("| file | name | cases | description | references |\n|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < n; i++)
		cat_row_print(out, &rows[i]);
	errno = 0;
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	fprintf(diag, "icelab: writing the catalogue: %s\n", strerror(errno ? errno : EIO));
	return -(errno ? errno : EIO);
}

int cat_write(FILE *out, FILE *diag, char *const *files, size_t n)
{
	struct cat_row *rows = calloc(n > 0 ? n : 1, sizeof(*rows));
	int rc;

	if (rows == NULL) {
		fprintf(diag, "icelab: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		rows[i].file = files[i];
	rc = cat_load(diag, rows, n);
	if (rc == 0)
		rc = cat_print(out, diag, rows, n);
	for (size_t i = 0; i < n; i++)
		scn_cases_free(rows[i].cases, rows[i].n);
	free(rows);
	return rc;
}

static const char cat_usage[] =
	"usage: icelab catalogue [PATH...]\n"
	"\n"
	"Print the scenario catalogue (docs/scenarios.md) of PATH (scenario files, or\n"
	"directories standing for their *.yaml files; default scenarios/):\n"
	"\n"
	"  build/icelab catalogue scenarios/ > docs/scenarios.md\n"
	"\n"
	"Builds nothing.  Exit status 2 when a file is invalid or has no 'references:'.\n";

int cat_command(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	char *dflt[] = { "scenarios/" }, **files = NULL;
	size_t n = 0;
	int o, rc;

	optind = 1;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		fputs(cat_usage, o == 'h' ? stdout : stderr);
		return o == 'h' ? 0 : 2;
	}
	if (optind < argc)
		cli_collect_files(argc - optind, argv + optind, &files, &n);
	else
		cli_collect_files(1, dflt, &files, &n);
	if (n == 0) {
		fprintf(stderr, "icelab: no scenario files found\n");
		cli_free_files(files, n);
		return 2;
	}
	rc = cat_write(stdout, stderr, files, n);
	cli_free_files(files, n);
	return rc == 0 ? 0 : rc == ICL_EINPUT ? 2 : 1;
}
