/* scenario.c - load the topology of a scenario file.
 *
 * The loader reads the YAML document into a plan, then hands the plan to
 * topo_plan_validate() so that files and code-built plans pass exactly the
 * same checks.  Everything read is checked for shape and type on the way;
 * the first problem ends the load with a one-line message.
 */
#include "scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scn_topo.h"

/* Later issues extend this set (agents, signalling, expect, ...). */
static const char *const top_keys[] = { "name", "description", "topology", NULL };
static const char *const topo_keys[] = { "nodes", "links", "probes", NULL };

#define SCN_FILE_MAX (4u << 20) /* scenario files are hand-written */

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

static int read_scenario(struct scn_ctx *c, struct fy_document *doc, struct topo_plan *plan)
{
	struct fy_node *root = fy_document_root(doc), *topo;
	int rc;

	if (root == NULL || scn_is_null(root))
		return scn_fail(c, NULL, "the file is empty; a scenario needs a 'topology:' "
				"section");
	if ((rc = scn_want_map(c, root)) < 0 || (rc = scn_check_keys(c, root, top_keys)) < 0 ||
	    (rc = check_text(c, root, "name")) < 0 ||
	    (rc = check_text(c, root, "description")) < 0 ||
	    (rc = scn_require(c, root, "topology", &topo)) < 0)
		return rc;
	return read_topology(c, topo, plan);
}

int scn_load_topology_buf(const char *name, const char *buf, size_t len, struct topo_plan *plan,
			  struct icl_err *err)
{
	struct scn_ctx c = { .name = name != NULL ? name : "<buffer>", .err = err };
	struct fy_document *doc;
	int rc;

	doc = scn_yaml_open(&c, buf, len);
	if (doc == NULL) {
		rc = err != NULL ? err->code : ICL_EINPUT;
	} else if ((plan->file = strdup(c.name)) == NULL) {
		rc = scn_oom(&c);
	} else {
		rc = read_scenario(&c, doc, plan);
		if (rc == 0)
			rc = topo_plan_validate(plan, err);
	}
	scn_yaml_close(&c, doc);
	if (rc < 0)
		topo_plan_free(plan);
	return rc;
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
