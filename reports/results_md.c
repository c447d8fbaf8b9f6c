/* results_md.c - the run's verdicts as a Markdown page, with hand-written
 * explanations kept apart (results_md.h). */
#include "results_md.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

#define RMD_CELL_MAX 320           /* bytes of a message in the table */
#define RMD_MAX_PATTERNS 16        /* per heading */

struct rmd_note {
	char *patterns[RMD_MAX_PATTERNS];
	size_t n_patterns;
	char *heading;             /* the heading's text, backticks dropped */
	char *body;                /* Markdown, trimmed; may be "" */
};

struct rmd_notes {
	struct rmd_note *v;
	size_t n;
};

/* ---- the notes file ---- */

void rmd_notes_free(struct rmd_notes *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		for (size_t k = 0; k < n->v[i].n_patterns; k++)
			free(n->v[i].patterns[k]);
		free(n->v[i].heading);
		free(n->v[i].body);
	}
	free(n->v);
	free(n);
}

/* Split heading `h` (after "## ") into patterns; backticks are quoting. */
static int parse_heading(struct rmd_note *nt, const char *h)
{
	char *copy = strdup(h), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy; *p; p++)
		if (*p == '`')
			*p = ' ';
	for (tok = strtok_r(copy, " \t\r\n", &save); tok && nt->n_patterns < RMD_MAX_PATTERNS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		if (!(nt->patterns[nt->n_patterns++] = strdup(tok)))
			break;
	nt->heading = copy;
	/* Re-join the patterns as the heading shows them. */
	copy[0] = '\0';
	for (size_t k = 0; k < nt->n_patterns; k++) {
		strcat(copy, k ? " " : "");
		strcat(copy, nt->patterns[k] ? nt->patterns[k] : "");
	}
	return nt->n_patterns > 0 && nt->patterns[nt->n_patterns - 1] ? 0 : -EINVAL;
}

/* Drop blank lines at both ends of `s` (in place). */
static void trim_blank(char *s)
{
	size_t start = strspn(s, " \t\r\n"), len;

	memmove(s, s + start, strlen(s + start) + 1);
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
}

static int add_note(struct rmd_notes *n, const char *heading, const char *path, unsigned line,
		    struct icl_err *err)
{
	struct rmd_note *v = realloc(n->v, (n->n + 1) * sizeof(*v));
	int rc;

	if (!v)
		return icl_err_set(err, -ENOMEM, "%s: out of memory", path);
	n->v = v;
	memset(&v[n->n], 0, sizeof(v[n->n]));
	rc = parse_heading(&v[n->n++], heading);
	if (rc == -EINVAL)
		return icl_err_set(err, ICL_EINPUT, "%s:%u: a \"## \" heading needs a case-name "
				   "pattern (a glob, e.g. ## ipv6-oneway?dtls=active*)", path, line);
	if (rc < 0 || !(v[n->n - 1].body = strdup("")))
		return icl_err_set(err, -ENOMEM, "%s: out of memory", path);
	return 0;
}

static int append_body(struct rmd_note *nt, const char *line, const char *path,
		       struct icl_err *err)
{
	size_t a = strlen(nt->body), b = strlen(line);
	char *s = realloc(nt->body, a + b + 1);

	if (!s)
		return icl_err_set(err, -ENOMEM, "%s: out of memory", path);
	memcpy(s + a, line, b + 1);
	nt->body = s;
	return 0;
}

int rmd_notes_load(const char *path, struct rmd_notes **out, struct icl_err *err)
{
	FILE *f = fopen(path, "r");
	struct rmd_notes *n = calloc(1, sizeof(*n));
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	*out = NULL;
	if (!f || !n) {
		rc = icl_err_set(err, f ? -ENOMEM : ICL_EINPUT, "%s: %s", path,
				 f ? "out of memory" : strerror(errno));
		goto done;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		if (strncmp(line, "## ", 3) == 0)
			rc = add_note(n, line + 3, path, lineno, err);
		else if (n->n > 0)
			rc = append_body(&n->v[n->n - 1], line, path, err);
	}
	for (size_t i = 0; rc == 0 && i < n->n; i++)
		trim_blank(n->v[i].body);
done:
	free(line);
	if (f)
		fclose(f);
	if (rc < 0)
		rmd_notes_free(n);
	else
		*out = n;
	return rc;
}

/* ---- reading the run ---- */

static bool pattern_matches(const char *pat, const char *name)
{
	char base[256];

	snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, "["), name);
	return strcmp(pat, name) == 0 || fnmatch(pat, name, 0) == 0 || fnmatch(pat, base, 0) == 0;
}

/* Index of the first note that covers case `name`, or -1. */
static long note_for(const struct rmd_notes *n, const char *name)
{
	for (size_t i = 0; n && i < n->n; i++)
		for (size_t k = 0; k < n->v[i].n_patterns; k++)
			if (pattern_matches(n->v[i].patterns[k], name))
				return (long)i;
	return -1;
}

static bool failing(enum rep_verdict v)
{
	return v == REP_FAIL || v == REP_XPASS || v == REP_ERROR || v == REP_UNKNOWN;
}

/* ---- Markdown output ---- */

/* `s` as table-cell text: one line, at most RMD_CELL_MAX bytes (cut on a
 * UTF-8 boundary, with "..."), Markdown and HTML syntax escaped, control
 * characters visible as \xNN. */
static void cell(struct rep_out *o, const char *s)
{
	size_t n = strlen(s), i;

	if (n > RMD_CELL_MAX) {
		n = RMD_CELL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			rep_puts(o, " ");
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			rep_printf(o, "\\\\x%02x", (unsigned char)c); /* visible, as the reports do */
		else if (c == '<')
			rep_puts(o, "&lt;");
		else if (c == '>')
			rep_puts(o, "&gt;");
		else if (c == '&')
			rep_puts(o, "&amp;");
		else if (strchr("\\|*_`[]#", c))
			rep_printf(o, "\\%c", c);
		else
			rep_write(o, &c, 1);
	}
	if (n < strlen(s))
		rep_puts(o, "...");
}

/* What the table says of a case besides its verdict. */
static void why(struct rep_out *o, const json_t *c)
{
	char buf[1200];

	switch (rep_verdict(c)) {
	case REP_XPASS:
		snprintf(buf, sizeof(buf), "expected to fail (%s) but passed",
			 rep_str(c, "expected_failure"));
		break;
	case REP_XFAIL:
		snprintf(buf, sizeof(buf), "expected: %s", rep_str(c, "expected_failure"));
		break;
	default:
		snprintf(buf, sizeof(buf), "%s", rep_str(c, "message"));
	}
	cell(o, buf);
}

/* "client: libnice; server: icelab-lite, icelab-full", the
 * implementations that played each agent in the run. */
static void agents_line(struct rep_out *o, const json_t *cases)
{
	static const char *const roles[] = { "client", "server" };

	for (size_t r = 0; r < 2; r++) {
		json_t *seen = json_object();
		const json_t *c, *a;
		const char *impl;
		json_t *v;
		size_t i, k;

		json_array_foreach(cases, i, c)
			json_array_foreach(json_object_get(c, "agents"), k, a)
				if (strcmp(rep_str(a, "name"), roles[r]) == 0)
					json_object_set_new(seen, rep_str(a, "impl"), json_true());
		rep_printf(o, "%s%s: ", r ? "; " : "", roles[r]);
		k = 0;
		json_object_foreach(seen, impl, v) {
			rep_puts(o, k++ ? ", " : "");
			rep_printf(o, "`%s`", impl);
		}
		rep_puts(o, k ? "" : "none");
		json_decref(seen);
	}
}

static void header(struct rep_out *o, const json_t *run, const json_t *cases,
		   const struct rmd_options *opt)
{
	const json_t *s = json_object_get(run, "summary");
	char dur[32];

	rep_duration(rep_num(run, "duration_ms", 0), dur, sizeof(dur));
	rep_printf(o, "# %s\n\n", opt->title ? opt->title : "icelab results");
	rep_puts(o, "<!-- Generated by `icelab results`; do not edit: edit the notes file and "
		    "regenerate. -->\n\n");
	rep_printf(o, "Generated by `icelab results` from a run of icelab %s (started %s, "
		      "seed ", rep_str(run, "icelab"), rep_str(run, "started"));
	rep_esc_key(o, run, "seed", false);
	rep_printf(o, ", took %s).  Agents: ", dur);
	agents_line(o, cases);
	rep_puts(o, ".\n");
	if (opt->source)
		rep_printf(o, "Regenerate with `%s`.\n", opt->source);
	if (opt->notes_path)
		rep_printf(o, "The explanations come from `%s`.\n", opt->notes_path);
	rep_printf(o, "\n**%.0f cases: %.0f passed, %.0f failed, %.0f xfailed, %.0f xpassed, "
		      "%.0f errors, %.0f not applicable.**\n\n",
		   rep_num(s, "total", (double)json_array_size(cases)), rep_num(s, "passed", 0),
		   rep_num(s, "failed", 0), rep_num(s, "xfailed", 0), rep_num(s, "xpassed", 0),
		   rep_num(s, "errors", 0), rep_num(s, "not_applicable", 0));
}

static void case_table(struct rep_out *o, const json_t *cases, const struct rmd_notes *n)
{
	const json_t *c;
	char dur[32];
	size_t i;

	rep_puts(o, "## Cases\n\n| case | verdict | duration | first failed expectation, or why "
		    "not applicable | explained |\n|---|---|---:|---|---|\n");
	json_array_foreach(cases, i, c) {
		enum rep_verdict v = rep_verdict(c);
		long note = note_for(n, rep_str(c, "name"));

		rep_duration(rep_num(c, "duration_ms", 0), dur, sizeof(dur));
		rep_printf(o, "| `%s` | %s%s%s | %s | ", rep_str(c, "name"),
			   failing(v) ? "**" : "", rep_verdict_name(v), failing(v) ? "**" : "", dur);
		why(o, c);
		if (note >= 0)
			rep_printf(o, " | [E%ld](#e%ld) |\n", note + 1, note + 1);
		else
			rep_puts(o, failing(v) ? " | **no: unexplained** |\n" : " | |\n");
	}
	rep_puts(o, "\n");
}

/* One row per scenario file, in the order of its first case. */
static void file_table(struct rep_out *o, const json_t *cases)
{
	static const char *const cols[] = { "pass", "fail", "xfail", "xpass", "error", "n/a" };
	json_t *files = json_object(), *order = json_array(), *row, *name;
	const json_t *c;
	size_t i, k;

	json_array_foreach(cases, i, c) {
		enum rep_verdict v = rep_verdict(c);

		if (!(row = json_object_get(files, rep_str(c, "file")))) {
			row = json_pack("[i,i,i,i,i,i,i]", 0, 0, 0, 0, 0, 0, 0);
			json_object_set_new(files, rep_str(c, "file"), row);
			json_array_append_new(order, json_string(rep_str(c, "file")));
		}
		json_array_set_new(row, 0, json_integer(json_integer_value(json_array_get(row, 0)) + 1));
		if (v < REP_UNKNOWN)
			json_array_set_new(row, (size_t)v + 1,
					   json_integer(json_integer_value(json_array_get(row, v + 1)) + 1));
	}
	rep_puts(o, "## By scenario file\n\n| file | cases |");
	for (i = 0; i < 6; i++)
		rep_printf(o, " %s |", cols[i]);
	rep_puts(o, "\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
	json_array_foreach(order, k, name) {
		row = json_object_get(files, json_string_value(name));
		rep_printf(o, "| `%s` |", json_string_value(name));
		for (i = 0; i < 7; i++)
			rep_printf(o, " %" JSON_INTEGER_FORMAT " |",
				   json_integer_value(json_array_get(row, i)));
		rep_puts(o, "\n");
	}
	rep_puts(o, "\n");
	json_decref(files);
	json_decref(order);
}

/* Each note that covers a case of this run, with the cases it covers. */
static void explanations(struct rep_out *o, const json_t *cases, const struct rmd_notes *n)
{
	const json_t *c;
	size_t i, hits;

	rep_puts(o, "## Explanations\n\n");
	for (size_t k = 0; n && k < n->n; k++) {
		hits = 0;
		json_array_foreach(cases, i, c) {
			if (note_for(n, rep_str(c, "name")) != (long)k)
				continue;
			if (hits++ == 0)
				rep_printf(o, "<a id=\"e%zu\"></a>\n### E%zu: `%s`\n\nCases: ", k + 1,
					   k + 1, n->v[k].heading);
			rep_printf(o, "%s`%s` (%s)", hits > 1 ? ", " : "", rep_str(c, "name"),
				   rep_verdict_name(rep_verdict(c)));
		}
		if (hits)
			rep_printf(o, ".\n\n%s\n\n", n->v[k].body);
	}
}

static void unexplained(struct rep_out *o, const json_t *cases, const struct rmd_notes *n,
			const struct rmd_options *opt)
{
	const json_t *c;
	size_t i, k = 0;

	json_array_foreach(cases, i, c) {
		if (!failing(rep_verdict(c)) || note_for(n, rep_str(c, "name")) >= 0)
			continue;
		if (k++ == 0)
			rep_printf(o, "### Unexplained failures\n\nNo note in `%s` covers these "
				      "failing cases yet:\n\n",
				   opt->notes_path ? opt->notes_path : "(no notes file)");
		rep_printf(o, "- `%s` (%s): ", rep_str(c, "name"), rep_verdict_name(rep_verdict(c)));
		why(o, c);
		rep_puts(o, "\n");
	}
	if (k)
		rep_puts(o, "\n");
}

int rmd_write(FILE *f, const char *fname, const json_t *run, const struct rmd_options *opt,
	      struct icl_err *err)
{
	const json_t *cases = rep_cases(run, fname, err);
	struct rep_out o = { .f = f, .path = fname };

	if (!cases)
		return -EINVAL;
	header(&o, run, cases, opt);
	case_table(&o, cases, opt->notes);
	file_table(&o, cases);
	explanations(&o, cases, opt->notes);
	unexplained(&o, cases, opt->notes, opt);
	if (fflush(f) != 0 && o.errnum == 0)
		o.errnum = errno;
	if (o.errnum)
		return icl_err_set(err, -o.errnum, "%s: %s", fname, strerror(o.errnum));
	return (int)rmd_unexplained(NULL, run, opt->notes);
}

size_t rmd_unexplained(FILE *f, const json_t *run, const struct rmd_notes *notes)
{
	const json_t *c;
	size_t i, k = 0;

	json_array_foreach(json_object_get(run, "cases"), i, c) {
		if (!failing(rep_verdict(c)) || note_for(notes, rep_str(c, "name")) >= 0)
			continue;
		k++;
		if (f)
			fprintf(f, "%s (%s)\n", rep_str(c, "name"), rep_verdict_name(rep_verdict(c)));
	}
	return k;
}
