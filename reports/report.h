/* report.h - write what CI and people read from one run's results.
 *
 * The input is the run as JSON, the same document that is written to
 * results.json; docs/report-format.md describes it field by field:
 *
 *   {"icelab": VERSION, "started": ISO-8601, "duration_ms": N, "seed": N,
 *    "summary": {"total","passed","failed","xfailed","xpassed","errors",
 *                "not_applicable"},
 *    "cases": [{"name", "file", "description", "params": {NAME: VALUE},
 *               "verdict": "pass"|"fail"|"xfail"|"xpass"|"error"|"n/a",
 *               "expected_failure": REASON|null,
 *               "message": first failure, expected vs actual ("" on pass),
 *               "duration_ms", "dir": case directory relative to the report dir,
 *               "agents": [{"name","node","impl","path","log","exit"}],
 *               "assertions": [{"what","where","ok","detail"}],
 *               "broken": why the session broke ("" if it did not),
 *               "timeline": [{"t","agent","event"}],   (session.h)
 *               "wire": [...],                          (wire_flows, wire.h)
 *               "pcaps": [file names in dir]}]}
 *
 * Everything here reads the document and writes files; nothing reaches
 * back into the harness.  Any thread, no global state.
 */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <jansson.h>

#include "../common/err.h"

/* DIR/junit.xml: one <testcase> per case (classname = the file's scenario
 * name, name = the case name), <failure message=...> with the failed
 * assertion's expected vs actual, <error> for verdict "error", <skipped>
 * for "n/a" (message: the reason); an xfail passes with its reason in
 * <system-out>, an xpass fails. */
int rep_write_junit(const char *path, const json_t *run, struct icl_err *err);

/* DIR/results.json: the document itself, indented. */
int rep_write_json(const char *path, const json_t *run, struct icl_err *err);

/* DIR/index.html: one self-contained page (no network access, no external
 * scripts): a table of cases and verdicts, and per case an SVG timeline
 * with one lane per agent and an arrow per datagram of "wire" (checks,
 * nominations, DTLS flights; undelivered ones end in a cross), the
 * agents' events as marks on their lanes, links to pcaps and logs. */
int rep_write_html(const char *path, const json_t *run, struct icl_err *err);

/* All three into directory `dir` (which must exist). */
int rep_write_all(const char *dir, const json_t *run, struct icl_err *err);

#endif
