/* rep_int.h - what the report writers in reports/ share: an output file
 * that remembers its first error, escaping for XML and HTML, and readers
 * of the run document that never fail (a missing field reads as empty).
 *
 * Internal to reports/; report.h is the module's contract.
 */
#ifndef REPORTS_REP_INT_H
#define REPORTS_REP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "../common/err.h"

/* A file being written.  Writes after the first failure are dropped;
 * rep_close() reports that failure (or its own) as "PATH: reason". */
struct rep_out {
	FILE *f;
	const char *path;
	int errnum;                /* first errno met, 0 if none */
};

int rep_open(struct rep_out *o, const char *path, struct icl_err *err);
/* Close, and report the first error met while writing or closing. */
int rep_close(struct rep_out *o, struct icl_err *err);
void rep_write(struct rep_out *o, const char *s, size_t n);
void rep_puts(struct rep_out *o, const char *s);
void rep_printf(struct rep_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Escape `n` bytes of `s` for XML and HTML: & < > " ' as entities; in an
 * attribute (attr) also tab, CR and LF as character references, so that
 * parsers keep them.  What XML 1.0 forbids or HTML calls a control -
 * C0 controls, DEL, C1 controls, U+FFFE/U+FFFF - and bytes that are not
 * UTF-8 come out visible as \xNN (or \uNNNN), so the file is always
 * well-formed whatever an agent wrote. */
void rep_esc(struct rep_out *o, const char *s, size_t n, bool attr);
void rep_esc_str(struct rep_out *o, const char *s, bool attr);
/* The string field `key` of `obj` (NULs included), escaped; numbers as
 * JSON writes them; anything else as nothing. */
void rep_esc_key(struct rep_out *o, const json_t *obj, const char *key, bool attr);
/* A relative URL of `dir`/`file`, percent-encoded (so attribute-safe). */
void rep_href(struct rep_out *o, const char *dir, const char *file);

/* Document readers: "" / dflt / false when the field is missing or of
 * another type. */
const char *rep_str(const json_t *obj, const char *key);
double rep_num(const json_t *obj, const char *key, double dflt);
bool rep_bool(const json_t *obj, const char *key);
/* The "cases" array, or an error naming `path` when there is none. */
const json_t *rep_cases(const json_t *run, const char *path, struct icl_err *err);

/* REP_NA: "n/a", the case did not apply to its agent (message says why):
 * neither a pass nor a failure. */
enum rep_verdict { REP_PASS, REP_FAIL, REP_XFAIL, REP_XPASS, REP_ERROR, REP_NA, REP_UNKNOWN };
enum rep_verdict rep_verdict(const json_t *c);
const char *rep_verdict_name(enum rep_verdict v);
/* The verdict as a CSS class name: the name, "na" for "n/a". */
const char *rep_verdict_class(enum rep_verdict v);

/* The scenario a case comes from: its name up to the matrix cell
 * ("ipv6-oneway[dtls=active]" -> "ipv6-oneway"), else its file's base
 * name without extension. */
void rep_scenario(const json_t *c, char *buf, size_t cap);

/* "523 ms", "4.210 s". */
void rep_duration(double ms, char *buf, size_t cap);

/* The SVG timeline of case `c` (svg.c): lanes, flows, event marks. */
void rep_svg_timeline(struct rep_out *o, const json_t *c);
/* The legend for that picture. */
void rep_svg_legend(struct rep_out *o);

#endif
