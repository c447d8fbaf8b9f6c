/* results_md.h - one run's verdicts as a Markdown page that is checked
 * into the tree (docs/results/libnice.md) and regenerated, not edited.
 *
 * The page: a title and where it came from; one table with a row per case
 * (case, verdict, duration, the first failed expectation or the n/a
 * reason, the explanation that covers it); a table per scenario file; an
 * "Explanations" section taken from a hand-written notes file, so that a
 * refresh keeps them; and a list of the failing cases (fail, xpass, error)
 * that no note explains.
 *
 * The notes file is Markdown.  Text before its first "## " heading is for
 * its own readers and is not copied.  Each "## PATTERN..." heading (one or
 * more whitespace-separated globs, backticks allowed around them) starts
 * an explanation that runs to the next "## " heading; it covers every case
 * whose name equals a pattern or matches it as a glob, or whose scenario
 * (the name before "[") matches it, as `icelab run --filter` does.
 *
 * The run document is read with rep_int.h's tolerant readers; nothing is
 * changed.  No global state, any thread.
 */
#ifndef REPORTS_RESULTS_MD_H
#define REPORTS_RESULTS_MD_H

#include <stdio.h>

#include <jansson.h>

#include "../common/err.h"

struct rmd_notes;

/* Read the notes file at `path`.  Errors name the file (and the line of a
 * heading without a pattern).  *out is released with rmd_notes_free. */
int rmd_notes_load(const char *path, struct rmd_notes **out, struct icl_err *err);
void rmd_notes_free(struct rmd_notes *n);

struct rmd_options {
	const char *title;         /* "# TITLE"; NULL: "icelab results" */
	const char *source;        /* how the page is made again (a command), or NULL */
	const char *notes_path;    /* as the page names the notes file, or NULL */
	const struct rmd_notes *notes; /* NULL: none; every failing case is unexplained */
};

/* Write the page for `run` to `f` (`fname` names it in errors).  Returns
 * the number of failing cases that no note explains (>= 0), or a negative
 * errno with `err` set ("FNAME: reason"). */
int rmd_write(FILE *f, const char *fname, const json_t *run, const struct rmd_options *o,
	      struct icl_err *err);

/* Each failing case no note explains, one per line ("NAME (VERDICT)"),
 * for the command's warning; returns how many. */
size_t rmd_unexplained(FILE *f, const json_t *run, const struct rmd_notes *notes);

#endif
