/* scenario.c - load a scenario file: its cases, or only its topology.
 *
 * The document is parsed once.  The matrix is read first (scn_matrix.c),
 * then every cell is read in full with its parameters substituted, as if
 * the file had been written for that cell alone: topology (handed to
 * topo_plan_validate() so that files and code-built plans pass the same
 * checks), agents, signalling, timeout, expectations, expected failures.
 * The first problem ends the load with a one-line message.
 */
#include "scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scn_int.h"
#include "scn_topo.h"

static const char *const top_keys[] = { "name", "description", "references", "matrix",
					"topology", "agents", "signalling", "timeout", "expect",
					"expected-failure", "actions", "hold", NULL };
static const char *const topo_keys[] = { "nodes", "links", "probes", NULL };
static const char *const signal_keys[] = { "trickle", "delay", "tamper", NULL };

#define SCN_FILE_MAX (4u << 20) /* scenario files are hand-written */
#define SCENARIO_NAME_MAX 128

/* What every cell shares: the file's name and where it is written. */
struct head {
	struct fy_node *root;
	struct fy_node *name_node; /* NULL: no name (topology-only loads) */
	char name[SCENARIO_NAME_MAX];
};

static int check_text(struct scn_ctx *c, struct fy_node *map, const char *key)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v = p != NULL ? fy_node_pair_value(p) : NULL;
	size_t old;
	int rc = 0;

	if (p == NULL || (v != NULL && fy_node_is_scalar(v) && !fy_node_is_alias(v) &&
			  !scn_is_null(v)))
		return 0;
	old = scn_path_key(c, key);
	rc = scn_type_error(c, v, "a string");
	scn_path_pop(c, old);
	return rc;
}

/* Paths inside the topology start at its keys (links.wan.a.ipv4), which
 * is what topo_plan_validate() produces as well. */
static int read_topology(struct scn_ctx *c, struct fy_node *topo, struct topo_plan *plan)
{
	struct fy_node_pair *p;
	struct fy_node *nodes;
	size_t old;
	int rc;

	old = scn_path_key(c, "topology");
	rc = scn_want_map(c, topo);
	if (rc == 0)
		rc = scn_check_keys(c, topo, topo_keys);
	if (rc == 0)
		rc = scn_require(c, topo, "nodes", &nodes);
	scn_path_pop(c, old);
	if (rc < 0)
		return rc;
	old = scn_path_key(c, "nodes");
	rc = scn_read_nodes(c, nodes, plan);
	scn_path_pop(c, old);
	if (rc == 0 && (p = scn_pair(c, topo, "links")) != NULL) {
		old = scn_path_key(c, "links");
		rc = scn_read_links(c, fy_node_pair_value(p), plan);
		scn_path_pop(c, old);
	}
	if (rc == 0) {
		old = scn_path_key(c, "nodes");
		rc = scn_read_gateways(c, nodes, plan);
		scn_path_pop(c, old);
	}
	if (rc == 0 && (p = scn_pair(c, topo, "probes")) != NULL) {
		old = scn_path_key(c, "probes");
		rc = scn_read_probes(c, fy_node_pair_value(p), plan);
		scn_path_pop(c, old);
	}
	return rc;
}

/* `name:` as written (never substituted: it names every cell). */
static int read_name(struct scn_ctx *c, bool need_name, struct head *h)
{
	struct fy_node_pair *p = scn_pair(c, h->root, "name");
	size_t old, len;
	int rc = 0;

	if (p == NULL && need_name)
		return scn_require(c, h->root, "name", &h->name_node);
	if (p == NULL)
		return 0;
	h->name_node = fy_node_pair_value(p);
	if ((rc = scn_get_str(c, h->root, "name", h->name, sizeof(h->name))) < 0)
		return rc;
	len = strlen(h->name);
	if (((h->name[0] >= 'a' && h->name[0] <= 'z') || (h->name[0] >= '0' && h->name[0] <= '9')) &&
	    strspn(h->name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len)
		return 0;
	old = scn_path_key(c, "name");
	rc = scn_fail(c, h->name_node, "name '%s' must start with a-z or 0-9 and contain only "
		      "a-z, 0-9, '.', '-' and '_'", h->name);
	scn_path_pop(c, old);
	return rc;
}

/* The document's shape, before any cell. */
static int read_head(struct scn_ctx *c, struct fy_document *doc, bool need_name, struct head *h)
{
	struct fy_node *topo;
	int rc;

	h->root = fy_document_root(doc);
	if (h->root == NULL || scn_is_null(h->root))
		return scn_fail(c, NULL, "the file is empty; a scenario needs a 'topology:' "
				"section");
	if ((rc = scn_want_map(c, h->root)) < 0 || (rc = scn_check_keys(c, h->root, top_keys)) < 0 ||
	    (rc = check_text(c, h->root, "name")) < 0 ||
	    (rc = check_text(c, h->root, "description")) < 0 ||
	    (rc = scn_require(c, h->root, "topology", &topo)) < 0)
		return rc;
	return read_name(c, need_name, h);
}

/* ---- one cell ---------------------------------------------------------------- */

static int read_signalling(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "signalling");
	struct fy_node *v;
	char a[24], b[24];
	size_t old;
	int rc;

	k->trickle = true;
	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, "signalling");
	if ((rc = scn_want_map(c, v)) == 0 && (rc = scn_check_keys(c, v, signal_keys)) == 0 &&
	    (rc = scn_get_bool(c, v, "trickle", &k->trickle)) == 0 &&
	    (rc = scn_get_duration(c, v, "delay", 0, SCN_TIMEOUT_MAX_MS, &k->signal_delay_ms)) == 0 &&
	    k->signal_delay_ms >= k->timeout_ms) {
		scn_path_key(c, "delay");
		rc = scn_fail(c, fy_node_pair_value(scn_pair(c, v, "delay")), "%s is not below the "
			      "case timeout of %s: no description would arrive in time",
			      scn_fmt_ms(k->signal_delay_ms, a, sizeof(a)),
			      scn_fmt_ms(k->timeout_ms, b, sizeof(b)));
	}
	if (rc == 0 && (p = scn_pair(c, v, "tamper")) != NULL) {
		size_t old2 = scn_path_key(c, "tamper");

		rc = scn_read_tamper(c, fy_node_pair_value(p), k);
		scn_path_pop(c, old2);
	}
	scn_path_pop(c, old);
	return rc;
}

static int read_body(struct scn_ctx *c, struct fy_node *root, const struct scn_matrix *m,
		     struct scn_case *k)
{
	struct fy_node *topo = fy_node_pair_value(scn_pair(c, root, "topology"));
	int rc;

	if ((rc = scn_get_str(c, root, "description", k->description, sizeof(k->description))) < 0 ||
	    (rc = scn_read_references(c, root, k)) < 0)
		return rc;
	if ((k->plan.file = strdup(c->name)) == NULL)
		return scn_oom(c);
	if ((rc = read_topology(c, topo, &k->plan)) < 0 ||
	    (rc = topo_plan_validate(&k->plan, c->err)) < 0 ||
	    (rc = scn_read_agents(c, root, k)) < 0)
		return rc;
	k->timeout_ms = SCN_TIMEOUT_DEFAULT_MS;
	if ((rc = scn_get_duration(c, root, "timeout", 1, SCN_TIMEOUT_MAX_MS, &k->timeout_ms)) < 0 ||
	    (rc = read_signalling(c, root, k)) < 0 || (rc = scn_read_expect(c, root, k)) < 0 ||
	    (rc = scn_read_actions(c, root, k)) < 0)
		return rc;
	return scn_read_xfail(c, root, m, k);
}

/* Cell `i` into `k` (zeroed; partial work left for scn_case_free). */
static int read_case(struct scn_ctx *c, const struct head *h, const struct scn_matrix *m,
		     size_t i, struct scn_case *k)
{
	int rc;

	snprintf(k->file, sizeof(k->file), "%s", c->name);
	rc = scn_matrix_cell(c, h->name_node, m, i, h->name, k);
	if (rc == 0)
		rc = read_body(c, h->root, m, k);
	c->params = NULL;
	c->n_params = 0;
	return rc;
}

/* ---- every cell ------------------------------------------------------------------ */

/* Whether the error of cell 0 (in c->err) is the file's rather than that
 * cell's: every other cell fails with the same message. */
static bool error_everywhere(struct scn_ctx *c, const struct head *h, const struct scn_matrix *m)
{
	struct icl_err *first = c->err, other = { 0 };
	struct scn_case *k = calloc(1, sizeof(*k));
	bool same = k != NULL;

	c->err = &other;
	for (size_t i = 1; same && i < m->n_cells; i++) {
		memset(k, 0, sizeof(*k));
		same = read_case(c, h, m, i, k) < 0 && strcmp(other.msg, first->msg) == 0;
		scn_case_free(k);
	}
	c->err = first;
	free(k);
	return same;
}

static void name_case(struct icl_err *e, const char *name)
{
	size_t len = strlen(e->msg);

	snprintf(e->msg + len, sizeof(e->msg) - len, " (case %s)", name);
}

static int read_cases(struct scn_ctx *c, const struct head *h, const struct scn_matrix *m,
		      struct scn_case *cases)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < m->n_cells && rc == 0; i++)
		rc = read_case(c, h, m, i, &cases[i]);
	if (rc == ICL_EINPUT && m->n_params > 0 && (i > 1 || !error_everywhere(c, h, m)))
		name_case(c->err, cases[i - 1].name);
	return rc;
}

/* Messages quote keys and values from the file, and YAML text can hold
 * any character ("\n" in a quoted key): keep the message one line, as
 * err.h promises, control characters shown as '?'. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int load(const char *name, const char *buf, size_t len, bool need_name,
		struct scn_case **out, size_t *n, struct icl_err *err)
{
	struct icl_err local = { 0 };
	struct scn_ctx c = { .name = name != NULL ? name : "<buffer>", .err = err ? err : &local };
	struct scn_matrix m = { 0 };
	struct scn_case *cases = NULL;
	struct fy_document *doc;
	struct head h = { 0 };
	int rc;

	*out = NULL;
	*n = 0;
	doc = scn_yaml_open(&c, buf, len);
	if (doc == NULL)
		rc = c.err->code < 0 ? c.err->code : ICL_EINPUT;
	else if ((rc = read_head(&c, doc, need_name, &h)) == 0 &&
		 (rc = scn_matrix_read(&c, h.root, &m)) == 0)
		rc = (cases = calloc(m.n_cells, sizeof(*cases))) == NULL ? scn_oom(&c)
									 : read_cases(&c, &h, &m, cases);
	if (rc == 0) {
		*out = cases;
		*n = m.n_cells;
	} else {
		scn_cases_free(cases, cases != NULL ? m.n_cells : 0);
		one_line(c.err->msg);
	}
	scn_matrix_free(&m);
	scn_yaml_close(&c, doc);
	return rc;
}

int scn_load_cases_buf(const char *name, const char *buf, size_t len, struct scn_case **out,
		       size_t *n, struct icl_err *err)
{
	return load(name, buf, len, true, out, n, err);
}

/* The whole file is checked, so that `icelab topo` refuses what `icelab
 * run` would; the topology is the first cell's. */
int scn_load_topology_buf(const char *name, const char *buf, size_t len, struct topo_plan *plan,
			  struct icl_err *err)
{
	struct scn_case *cases;
	size_t n;
	int rc = load(name, buf, len, false, &cases, &n, err);

	if (rc < 0)
		return rc;
	*plan = cases[0].plan;
	memset(&cases[0].plan, 0, sizeof(cases[0].plan));
	scn_cases_free(cases, n);
	return 0;
}

/* Read the whole file: the parser wants one buffer, and reading it here
 * gives the exact errno for the message. */
static int read_file(const char *path, char **out, size_t *len, struct icl_err *err)
{
	struct stat st;
	ssize_t r = 0;
	size_t got = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return icl_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno;

		close(fd);
		return icl_err_set(err, -e, "%s: %s", path, strerror(e));
	}
	if (st.st_size > (off_t)SCN_FILE_MAX) {
		close(fd);
		return icl_err_set(err, ICL_EINPUT, "%s: larger than %u bytes; not a scenario "
				   "file?", path, SCN_FILE_MAX);
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf != NULL && got < (size_t)st.st_size &&
	       ((r = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	if (buf == NULL || r < 0) {
		int e = buf == NULL ? ENOMEM : errno;

		free(buf);
		close(fd);
		return icl_err_set(err, -e, "%s: %s", path, strerror(e));
	}
	close(fd);
	*out = buf;
	*len = got;
	return 0;
}

int scn_load_topology(const char *path, struct topo_plan *plan, struct icl_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = scn_load_topology_buf(path, buf, len, plan, err);
	free(buf);
	return rc;
}

int scn_load_cases(const char *path, struct scn_case **out, size_t *n, struct icl_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = read_file(path, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = scn_load_cases_buf(path, buf, len, out, n, err);
	free(buf);
	return rc;
}

/* ---- the case model (case.h) ------------------------------------------------------ */

int scn_case_agent(const struct scn_case *c, const char *name)
{
	for (size_t i = 0; i < c->n_agents && i < SCN_MAX_AGENTS; i++)
		if (strcmp(c->agent[i].name, name) == 0)
			return (int)i;
	return -1;
}

void scn_case_free(struct scn_case *c)
{
	if (c == NULL)
		return;
	topo_plan_free(&c->plan);
	for (size_t i = 0; i < SCN_MAX_AGENTS; i++) {
		json_decref(c->agent[i].configure);
		for (size_t j = 0; j < sizeof(c->agent[i].args) / sizeof(c->agent[i].args[0]); j++)
			free(c->agent[i].args[j]);
	}
	free(c->expect);
	free(c->actions);
	scn_free_references(c);
	memset(c, 0, sizeof(*c));
}

void scn_cases_free(struct scn_case *cases, size_t n)
{
	for (size_t i = 0; cases != NULL && i < n; i++)
		scn_case_free(&cases[i]);
	free(cases);
}
