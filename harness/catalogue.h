/* catalogue.h - the scenario catalogue, docs/scenarios.md: a short intro,
 * then one Markdown table row per scenario file (file, `name`, number of
 * cases after matrix expansion, `description` folded to one line,
 * `references`), ordered by file name so that the page is stable.
 *
 * Only the loader runs (scenario.h): nothing is built, no root needed.
 * A file without `references:` is an error, so that no scenario of the
 * suite can skip citing its source.
 */
#ifndef HARNESS_CATALOGUE_H
#define HARNESS_CATALOGUE_H

#include <stddef.h>
#include <stdio.h>

/* Write the catalogue of the scenario files `files[0..n)` (paths, any
 * order) to `out`.  Each file that does not load, or has no references,
 * gets one line on `diag` ("icelab: FILE:LINE:COL: ..." or "icelab: FILE:
 * no 'references:' ..."), every file is looked at, and then nothing at all
 * is written to `out`, so that a redirected page is never half written.
 * Returns 0, ICL_EINPUT (common/err.h) after such lines, or -errno when
 * memory or writing to `out` fails (also said on `diag`).  `files` is
 * borrowed. */
int cat_write(FILE *out, FILE *diag, char *const *files, size_t n);

/* `icelab catalogue [PATH...]` (default scenarios/): directories stand for
 * their *.yaml files.  Returns the exit status: 0; 2 for bad input (usage,
 * an invalid or unreadable file, one without references); 1 when the page
 * cannot be written. */
int cat_command(int argc, char **argv);

#endif
