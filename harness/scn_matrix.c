/* scn_matrix.c - the matrix of a scenario file: its parameters, the cells
 * left after `exclude`, the check of every ${name} in the document, case
 * names, and which cells are expected to fail.
 *
 * Everything about the matrix itself is checked once, before any cell is
 * read, so that its errors are the file's and not one case's.
 */
#include "scn_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MATRIX_KEY "matrix"
#define EXCLUDE_KEY "exclude" /* reserved: not a parameter name */

static const char *const xfail_keys[] = { "reason", "when", NULL };

/* ---- lookups ------------------------------------------------------------- */

static int find_param(const struct scn_matrix *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (strlen(m->param[i].name) == len && !memcmp(m->param[i].name, name, len))
			return (int)i;
	return -1;
}

static int find_value(const struct scn_mparam *p, const char *v)
{
	for (size_t i = 0; i < p->n_values; i++)
		if (strcmp(p->values[i].text, v) == 0)
			return (int)i;
	return -1;
}

/* "a, b, c": parameter names, or the values of one parameter. */
static const char *param_list(const struct scn_matrix *m, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->n_params && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 m->param[i].name);
	return buf;
}

static const char *value_list(const struct scn_mparam *p, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->n_values && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 p->values[i].text);
	return buf;
}

/* A parameter named by key `k`, and its value node `v`, as in exclude
 * entries and `when`: both must exist.  Path: the caller's, plus the key. */
static int param_value_ref(struct scn_ctx *c, const struct scn_matrix *m, struct fy_node *k,
			   struct fy_node *v, int *pi, int *vi)
{
	char name[64], val[64], list[512];
	size_t old;
	int rc;

	c->key = k;
	if ((rc = scn_as_str(c, k, name, sizeof(name))) < 0)
		return rc;
	old = scn_path_key(c, name);
	if ((*pi = find_param(m, name, strlen(name))) < 0)
		rc = scn_fail(c, k, "unknown parameter '%s' (the matrix has: %s)", name,
			      param_list(m, list, sizeof(list)));
	else if ((rc = scn_as_str(c, v, val, sizeof(val))) == 0 &&
		 (*vi = find_value(&m->param[*pi], val)) < 0)
		rc = scn_fail(c, v, "'%s' is not a value of %s (values: %s)", val, name,
			      value_list(&m->param[*pi], list, sizeof(list)));
	scn_path_pop(c, old);
	return rc;
}

/* ---- parameters ------------------------------------------------------------- */

static int read_param_name(struct scn_ctx *c, struct fy_node *k, struct scn_mparam *p)
{
	size_t len;
	int rc;

	if ((rc = scn_as_str(c, k, p->name, sizeof(p->name))) < 0)
		return rc;
	len = strlen(p->name);
	if (p->name[0] >= 'a' && p->name[0] <= 'z' &&
	    strspn(p->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len) {
		p->key = k;
		return 0;
	}
	len = scn_path_key(c, p->name);
	rc = scn_fail(c, k, "parameter name '%s' must start with a-z and contain only a-z, 0-9, "
		      "'-' and '_'", p->name);
	scn_path_pop(c, len);
	return rc;
}

/* A value is pasted into other scalars, so it must be one itself; a null
 * would turn a whole `${x}` into "nothing", which is never meant. */
static int read_value(struct scn_ctx *c, struct fy_node *n, struct scn_mparam *p, size_t i)
{
	const char *want = "a value (a string, number or boolean)";
	struct scn_mvalue *v = &p->values[i];
	struct scn_ref r;
	int rc;

	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n) || scn_is_null(n))
		return scn_type_error(c, n, want);
	if ((rc = scn_as_str(c, n, v->text, sizeof(v->text))) < 0)
		return rc;
	if (v->text[0] == '\0')
		return scn_fail(c, n, "a value must not be empty");
	if (scn_ref_find(v->text, strlen(v->text), 0, &r) != 0)
		return scn_fail(c, n, "a value cannot refer to a parameter");
	for (size_t j = 0; j < i; j++)
		if (strcmp(p->values[j].text, v->text) == 0)
			return scn_fail(c, n, "value '%s' is listed twice", v->text);
	v->quoted = fy_node_get_style(n) != FYNS_PLAIN;
	p->n_values = i + 1;
	return 0;
}

static int read_values(struct scn_ctx *c, struct fy_node *seq, struct scn_mparam *p)
{
	struct fy_node *item;
	void *it = NULL;
	size_t i = 0, old;
	int rc;

	if ((rc = scn_want_seq(c, seq)) < 0)
		return rc;
	if (fy_node_sequence_item_count(seq) <= 0)
		return scn_fail(c, seq, "a parameter needs at least one value");
	p->values = calloc((size_t)fy_node_sequence_item_count(seq), sizeof(*p->values));
	if (p->values == NULL)
		return scn_oom(c);
	for (rc = 0; rc == 0 && (item = fy_node_sequence_iterate(seq, &it)) != NULL; i++) {
		old = scn_path_index(c, i);
		rc = read_value(c, item, p, i);
		scn_path_pop(c, old);
	}
	return rc;
}

static int read_param(struct scn_ctx *c, struct fy_node_pair *pair, struct scn_matrix *m)
{
	struct fy_node *k = fy_node_pair_key(pair);
	struct scn_mparam *p = &m->param[m->n_params];
	size_t old;
	int rc;

	c->key = k;
	if (m->n_params >= SCN_MAX_PARAMS)
		return scn_fail(c, k, "at most %d parameters", SCN_MAX_PARAMS);
	if ((rc = read_param_name(c, k, p)) < 0)
		return rc;
	m->n_params++;
	old = scn_path_key(c, p->name);
	rc = read_values(c, fy_node_pair_value(pair), p);
	scn_path_pop(c, old);
	return rc;
}

/* ---- exclude and cells ----------------------------------------------------------- */

/* One exclude entry: the value index of each parameter it names, -1 for
 * the others. */
static int read_exclude_entry(struct scn_ctx *c, struct fy_node *item, const struct scn_matrix *m,
			      int *ex)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc, pi, vi;

	for (size_t i = 0; i < SCN_MAX_PARAMS; i++)
		ex[i] = -1;
	if ((rc = scn_want_map(c, item)) < 0)
		return rc;
	if (fy_node_mapping_item_count(item) == 0)
		return scn_fail(c, item, "an entry names at least one parameter and its value");
	while ((pair = fy_node_mapping_iterate(item, &it)) != NULL) {
		if ((rc = param_value_ref(c, m, fy_node_pair_key(pair), fy_node_pair_value(pair),
					  &pi, &vi)) < 0)
			return rc;
		ex[pi] = vi;
	}
	return 0;
}

static bool excluded(const unsigned *cell, const int (*ex)[SCN_MAX_PARAMS], size_t n_ex,
		     size_t n_params)
{
	for (size_t e = 0; e < n_ex; e++) {
		bool all = true;

		for (size_t p = 0; p < n_params && all; p++)
			all = ex[e][p] < 0 || (unsigned)ex[e][p] == cell[p];
		if (all)
			return true;
	}
	return false;
}

/* Every cell (the last parameter varies fastest) that no entry excludes. */
static int build_cells(struct scn_ctx *c, struct fy_node *mat, struct fy_node *excl,
		       const int (*ex)[SCN_MAX_PARAMS], size_t n_ex, struct scn_matrix *m)
{
	size_t total = 1;

	for (size_t p = 0; p < m->n_params; p++)
		total = total > SIZE_MAX / m->param[p].n_values ? SIZE_MAX :
								  total * m->param[p].n_values;
	if (total > SCN_MAX_CELLS)
		return scn_fail(c, mat, "%zu cells; at most %d per file", total, SCN_MAX_CELLS);
	m->cells = calloc(total, sizeof(*m->cells));
	if (m->cells == NULL)
		return scn_oom(c);
	for (size_t i = 0; i < total; i++) {
		unsigned *cell = m->cells[m->n_cells];
		size_t rest = i;

		for (size_t p = m->n_params; p-- > 0;) {
			cell[p] = (unsigned)(rest % m->param[p].n_values);
			rest /= m->param[p].n_values;
		}
		if (!excluded(cell, ex, n_ex, m->n_params))
			m->n_cells++;
	}
	if (m->n_cells == 0) {
		size_t old = scn_path_key(c, EXCLUDE_KEY);
		int rc = scn_fail(c, excl, "excludes every cell of the matrix");

		scn_path_pop(c, old);
		return rc;
	}
	return 0;
}

static int read_exclude(struct scn_ctx *c, struct fy_node *mat, struct fy_node *excl,
			struct scn_matrix *m)
{
	int (*ex)[SCN_MAX_PARAMS] = NULL;
	struct fy_node *item;
	size_t n = 0, old = scn_path_key(c, EXCLUDE_KEY), old2;
	void *it = NULL;
	int rc = 0;

	if (excl != NULL && (rc = scn_want_seq(c, excl)) == 0) {
		ex = calloc((size_t)fy_node_sequence_item_count(excl) + 1, sizeof(*ex));
		rc = ex == NULL ? scn_oom(c) : 0;
	}
	while (rc == 0 && excl != NULL && (item = fy_node_sequence_iterate(excl, &it)) != NULL) {
		old2 = scn_path_index(c, n);
		rc = read_exclude_entry(c, item, m, ex[n++]);
		scn_path_pop(c, old2);
	}
	scn_path_pop(c, old);
	if (rc == 0)
		rc = build_cells(c, mat, excl, (const int (*)[SCN_MAX_PARAMS])ex, n, m);
	free(ex);
	return rc;
}

static int read_matrix(struct scn_ctx *c, struct fy_node *mat, struct scn_matrix *m)
{
	struct fy_node_pair *pair, *excl = NULL;
	struct fy_node *k;
	void *it = NULL;
	int rc;

	if ((rc = scn_want_map(c, mat)) < 0)
		return rc;
	while ((pair = fy_node_mapping_iterate(mat, &it)) != NULL) {
		k = fy_node_pair_key(pair);
		if (fy_node_is_scalar(k) && scn_pair(c, mat, EXCLUDE_KEY) == pair)
			excl = pair;
		else if ((rc = read_param(c, pair, m)) < 0)
			return rc;
	}
	if (m->n_params == 0)
		return scn_fail(c, mat, "a matrix needs at least one parameter (name: [values])");
	return read_exclude(c, mat, excl != NULL ? fy_node_pair_value(excl) : NULL, m);
}

/* ---- ${name} references ------------------------------------------------------------ */

struct scan {
	const struct scn_matrix *m;
	bool used[SCN_MAX_PARAMS];
	size_t need;               /* longest substituted scalar */
};

static int scan_scalar(struct scn_ctx *c, struct fy_node *n, struct scan *s)
{
	size_t len, at = 0, refs = 0;
	const char *t = fy_node_get_scalar(n, &len);
	struct scn_ref r;
	char list[512];
	int found, p;

	while (t != NULL && (found = scn_ref_find(t, len, at, &r)) != 0) {
		if (found < 0)
			return scn_fail(c, n, "'${' starts a parameter reference: write ${name} "
					"(a-z, 0-9, '-', '_')");
		if ((p = find_param(s->m, t + r.name, r.name_len)) < 0 && s->m->n_params == 0)
			return scn_fail(c, n, "unknown parameter ${%.*s}: the file has no matrix",
					(int)r.name_len, t + r.name);
		if (p < 0)
			return scn_fail(c, n, "unknown parameter ${%.*s} (the matrix has: %s)",
					(int)r.name_len, t + r.name,
					param_list(s->m, list, sizeof(list)));
		s->used[p] = true;
		refs++;
		at = r.end;
	}
	if (refs > 0 && len + refs * 64 > s->need)
		s->need = len + refs * 64;
	return 0;
}

static int scan_node(struct scn_ctx *c, struct fy_node *n, struct scan *s, bool root);

static int scan_pair(struct scn_ctx *c, struct fy_node_pair *pair, struct scan *s, bool root)
{
	struct fy_node *k = fy_node_pair_key(pair);
	const char *t = NULL;
	char key[64] = "";
	size_t len = 0, old;
	int rc;

	if (k != NULL && fy_node_is_scalar(k) && !fy_node_is_alias(k))
		t = fy_node_get_scalar(k, &len);
	if (t != NULL)
		snprintf(key, sizeof(key), "%.*s", (int)(len > 40 ? 40 : len), t);
	/* name and matrix are read as written; the topology's paths start at
	 * its own keys, as its other messages do. */
	if (root && (!strcmp(key, "name") || !strcmp(key, MATRIX_KEY)))
		return 0;
	if ((rc = scan_node(c, k, s, false)) < 0)
		return rc;
	old = strlen(c->path);
	if (!root || strcmp(key, "topology") != 0)
		scn_path_key(c, key);
	c->key = k;
	rc = scan_node(c, fy_node_pair_value(pair), s, false);
	scn_path_pop(c, old);
	return rc;
}

/* libfyaml limits the nesting depth of what it parses, which bounds the
 * recursion here. */
static int scan_node(struct scn_ctx *c, struct fy_node *n, struct scan *s, bool root)
{
	struct fy_node_pair *pair;
	struct fy_node *item;
	void *it = NULL;
	size_t i = 0, old;
	int rc = 0;

	if (n == NULL || fy_node_is_alias(n))
		return 0;
	if (fy_node_is_scalar(n))
		return scan_scalar(c, n, s);
	if (fy_node_is_sequence(n)) {
		while (rc == 0 && (item = fy_node_sequence_iterate(n, &it)) != NULL) {
			old = scn_path_index(c, i++);
			rc = scan_node(c, item, s, false);
			scn_path_pop(c, old);
		}
		return rc;
	}
	while (rc == 0 && (pair = fy_node_mapping_iterate(n, &it)) != NULL)
		rc = scan_pair(c, pair, s, root);
	return rc;
}

static int scan_refs(struct scn_ctx *c, struct fy_node *root, const struct scn_matrix *m)
{
	struct scan s = { .m = m };
	size_t old;
	int rc;

	if ((rc = scan_node(c, root, &s, true)) < 0)
		return rc;
	for (size_t i = 0; i < m->n_params; i++) {
		if (s.used[i])
			continue;
		old = scn_path_key(c, MATRIX_KEY);
		scn_path_key(c, m->param[i].name);
		rc = scn_fail(c, m->param[i].key, "parameter never used; write ${%s} where the "
			      "cases differ, or remove it", m->param[i].name);
		scn_path_pop(c, old);
		return rc;
	}
	return s.need > 0 ? scn_sub_reserve(c, s.need) : 0;
}

/* ---- the file's matrix ------------------------------------------------------------- */

int scn_matrix_read(struct scn_ctx *c, struct fy_node *root, struct scn_matrix *m)
{
	struct fy_node_pair *p = scn_pair(c, root, MATRIX_KEY);
	size_t old;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (p != NULL) {
		old = scn_path_key(c, MATRIX_KEY);
		rc = read_matrix(c, fy_node_pair_value(p), m);
		scn_path_pop(c, old);
	} else if ((m->cells = calloc(1, sizeof(*m->cells))) == NULL) {
		rc = scn_oom(c);
	} else {
		m->n_cells = 1;
	}
	if (rc == 0)
		rc = scan_refs(c, root, m);
	return rc;
}

void scn_matrix_free(struct scn_matrix *m)
{
	for (size_t i = 0; i < m->n_params; i++)
		free(m->param[i].values);
	free(m->cells);
	memset(m, 0, sizeof(*m));
}

int scn_matrix_cell(struct scn_ctx *c, struct fy_node *name_node, const struct scn_matrix *m,
		    size_t i, const char *name, struct scn_case *k)
{
	size_t used, old;
	int rc;

	used = (size_t)snprintf(k->name, sizeof(k->name), "%s", name);
	c->quoted = 0;
	for (size_t p = 0; p < m->n_params; p++) {
		const char *v = m->param[p].values[m->cells[i][p]].text;

		if (m->param[p].values[m->cells[i][p]].quoted)
			c->quoted |= 1u << p;
		snprintf(k->param[p].name, sizeof(k->param[p].name), "%s", m->param[p].name);
		snprintf(k->param[p].value, sizeof(k->param[p].value), "%s", v);
		if (used < sizeof(k->name))
			used += (size_t)snprintf(k->name + used, sizeof(k->name) - used, "%s%s=%s%s",
						 p ? "," : "[", m->param[p].name, v,
						 p + 1 == m->n_params ? "]" : "");
	}
	k->n_params = m->n_params;
	c->params = k->param;
	c->n_params = k->n_params;
	if (used < sizeof(k->name))
		return 0;
	old = scn_path_key(c, "name");
	rc = scn_fail(c, name_node, "case name '%.40s...' is longer than %d characters", k->name,
		      SCN_NAME_MAX - 1);
	scn_path_pop(c, old);
	return rc;
}

/* ---- expected failures ------------------------------------------------------------- */

/* Whether this cell is one of those `when` names (all of them must match). */
static int read_when(struct scn_ctx *c, struct fy_node *when, const struct scn_matrix *m,
		     const struct scn_case *k, bool *match)
{
	struct fy_node_pair *pair;
	void *it = NULL;
	int rc, pi, vi;

	if ((rc = scn_want_map(c, when)) < 0)
		return rc;
	if (m->n_params == 0)
		return scn_fail(c, when, "the file has no matrix; 'when' picks cells of one");
	if (fy_node_mapping_item_count(when) == 0)
		return scn_fail(c, when, "name at least one parameter and its value, or leave "
			      "'when' out to mean every case");
	while ((pair = fy_node_mapping_iterate(when, &it)) != NULL) {
		if ((rc = param_value_ref(c, m, fy_node_pair_key(pair), fy_node_pair_value(pair),
					  &pi, &vi)) < 0)
			return rc;
		*match = *match && strcmp(k->param[pi].value, m->param[pi].values[vi].text) == 0;
	}
	return 0;
}

static int read_xfail_entry(struct scn_ctx *c, struct fy_node *item, const struct scn_matrix *m,
			    struct scn_case *k)
{
	struct fy_node_pair *when;
	struct fy_node *reason;
	char text[sizeof(k->xfail_reason)];
	bool match = true;
	size_t old;
	int rc;

	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, xfail_keys)) < 0 ||
	    (rc = scn_require(c, item, "reason", &reason)) < 0 ||
	    (rc = scn_get_str(c, item, "reason", text, sizeof(text))) < 0)
		return rc;
	if (text[strspn(text, " \t\n")] == '\0') {
		old = scn_path_key(c, "reason");
		rc = scn_fail(c, reason, "must not be empty: say why the case is expected to fail");
		scn_path_pop(c, old);
		return rc;
	}
	if ((when = scn_pair(c, item, "when")) != NULL) {
		old = scn_path_key(c, "when");
		rc = read_when(c, fy_node_pair_value(when), m, k, &match);
		scn_path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	if (match && !k->xfail) {
		k->xfail = true;
		memcpy(k->xfail_reason, text, sizeof(text));
		k->xfail_src = scn_src(c, item);
	}
	return 0;
}

int scn_read_xfail(struct scn_ctx *c, struct fy_node *root, const struct scn_matrix *m,
		   struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "expected-failure");
	struct fy_node *v, *item;
	size_t old, old2, i = 0;
	void *it = NULL;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, "expected-failure");
	if (v != NULL && fy_node_is_mapping(v))
		rc = read_xfail_entry(c, v, m, k);
	else if (v == NULL || !fy_node_is_sequence(v))
		rc = scn_type_error(c, v, "a mapping or a list");
	while (rc == 0 && v != NULL && fy_node_is_sequence(v) &&
	       (item = fy_node_sequence_iterate(v, &it)) != NULL) {
		old2 = scn_path_index(c, i++);
		rc = read_xfail_entry(c, item, m, k);
		scn_path_pop(c, old2);
	}
	scn_path_pop(c, old);
	return rc;
}
