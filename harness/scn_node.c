/* scn_node.c - read topology.nodes: routes, NAT and filters of each node.
 *
 * Only shapes and types are checked here; whether names and addresses fit
 * together is topo_plan_validate()'s job, so that plans built in code get
 * the same checks.  The exception is what cannot be stored in the plan
 * (over-long names, too many ports) and the `gateway:` shorthand, whose
 * expansion needs to explain itself in terms of the file.
 */
#include "scn_topo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../netns/nat.h"

static const char *const node_keys[] = { "router", "gateway", "routes", "nat", "filters", "turn",
					 "dns64", "nat64", "clat", NULL };
static const char *const route_keys[] = { "to", "via", "dev", NULL };
static const char *const nat_keys[] = { "inside", "outside", "mapping", "filtering",
					"hairpinning", "port-preservation",
					"udp-mapping-lifetime", "max-mappings", "family", NULL };
static const char *const filter_keys[] = { "action", "family", "proto", "in", "out", "dports",
					   NULL };
/* Indexed by enum topo_behaviour / topo_action / topo_proto. */
static const char *const behaviours[] = { "endpoint-independent", "address-dependent",
					  "address-and-port-dependent", NULL };
static const char *const actions[] = { "drop", "accept", NULL };
static const char *const protos[] = { "any", "udp", "tcp", "icmp", NULL };

int scn_get_families(struct scn_ctx *c, struct fy_node *map, const char *key, bool both_ok,
		     unsigned *out)
{
	static const char *const all[] = { "ipv4", "ipv6", "both", NULL };
	static const char *const one[] = { "ipv4", "ipv6", NULL };
	static const unsigned bits[] = { TOPO_FAM_V4, TOPO_FAM_V6, TOPO_FAM_ALL };
	int i = -1, rc;

	rc = scn_get_enum(c, map, key, both_ok ? all : one, &i);
	if (rc == 0 && i >= 0)
		*out = bits[i];
	return rc;
}

/* ---- routes ---------------------------------------------------------------- */

/* `to: default` takes its family from `via`; a bare prefix carries its own. */
static int read_route_to(struct scn_ctx *c, struct fy_node *to, struct topo_route *r, bool *dflt)
{
	size_t len, old = scn_path_key(c, "to");
	const char *s = fy_node_is_scalar(to) ? scn_scalar(c, to, &len) : NULL;
	int rc = 0;

	*dflt = s != NULL && len == 7 && !memcmp(s, "default", 7);
	r->dst.src = scn_src(c, to);
	if (!*dflt) {
		r->dst.family = AF_UNSPEC;
		rc = scn_as_addr(c, to, &r->dst.family, r->dst.addr, &r->dst.plen);
	}
	scn_path_pop(c, old);
	return rc;
}

static int read_route_via(struct scn_ctx *c, struct fy_node *item, struct topo_route *r)
{
	struct fy_node_pair *p = scn_pair(c, item, "via");
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, "via");
	rc = scn_as_addr(c, fy_node_pair_value(p), &r->dst.family, r->via, NULL);
	scn_path_pop(c, old);
	r->has_via = rc == 0;
	return rc;
}

static int read_route(struct scn_ctx *c, struct fy_node *item, struct topo_route *r)
{
	struct fy_node *to;
	size_t old;
	bool dflt;
	int rc;

	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, route_keys)) < 0 ||
	    (rc = scn_require(c, item, "to", &to)) < 0 || (rc = read_route_to(c, to, r, &dflt)) < 0 ||
	    (rc = read_route_via(c, item, r)) < 0 ||
	    (rc = scn_get_str(c, item, "dev", r->dev, sizeof(r->dev))) < 0)
		return rc;
	r->src = scn_src(c, item);
	if (dflt && !r->has_via) {
		old = scn_path_key(c, "to");
		rc = scn_fail(c, to, "'default' takes its address family from 'via'; without "
			      "'via' write 0.0.0.0/0 or ::/0");
		scn_path_pop(c, old);
	}
	return rc;
}

/* ---- NAT -------------------------------------------------------------------- */

static int read_nat(struct scn_ctx *c, struct fy_node *item, struct topo_nat *t)
{
	struct fy_node *dummy;
	int map = TOPO_ENDPOINT_INDEPENDENT, filt = TOPO_ADDRESS_AND_PORT_DEPENDENT;
	int rc;

	t->udp_lifetime_s = NAT_DEFAULT_UDP_LIFETIME_S;
	t->families = TOPO_FAM_V4;
	t->src = scn_src(c, item);
	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, nat_keys)) < 0 ||
	    (rc = scn_require(c, item, "outside", &dummy)) < 0 ||
	    (rc = scn_require(c, item, "inside", &dummy)) < 0 ||
	    (rc = scn_get_str(c, item, "inside", t->inside, sizeof(t->inside))) < 0 ||
	    (rc = scn_get_str(c, item, "outside", t->outside, sizeof(t->outside))) < 0 ||
	    (rc = scn_get_enum(c, item, "mapping", behaviours, &map)) < 0 ||
	    (rc = scn_get_enum(c, item, "filtering", behaviours, &filt)) < 0 ||
	    (rc = scn_get_bool(c, item, "hairpinning", &t->hairpinning)) < 0 ||
	    (rc = scn_get_bool(c, item, "port-preservation", &t->port_preservation)) < 0 ||
	    (rc = scn_get_uint(c, item, "udp-mapping-lifetime", 1, NAT_MAX_UDP_LIFETIME_S,
			       &t->udp_lifetime_s)) < 0 ||
	    (rc = scn_get_uint(c, item, "max-mappings", NAT_MIN_MAPPINGS, NAT_MAX_MAPPINGS,
			       &t->max_mappings)) < 0 ||
	    (rc = scn_get_families(c, item, "family", true, &t->families)) < 0)
		return rc;
	t->mapping = (enum topo_behaviour)map;
	t->filtering = (enum topo_behaviour)filt;
	return 0;
}

/* ---- filters ------------------------------------------------------------------ */

static int read_port(struct scn_ctx *c, struct fy_node *n, struct topo_filter *f)
{
	unsigned port = 0;
	int rc;

	if (f->n_dports >= TOPO_PORTS_MAX)
		return scn_fail(c, n, "at most %d ports per rule", TOPO_PORTS_MAX);
	if ((rc = scn_as_uint(c, n, 1, 65535, &port)) < 0)
		return rc;
	f->dports[f->n_dports++] = (uint16_t)port;
	return 0;
}

static int read_dports(struct scn_ctx *c, struct fy_node *item, struct topo_filter *f)
{
	struct fy_node_pair *p = scn_pair(c, item, "dports");
	struct fy_node *n, *v;
	size_t old;
	void *it = NULL;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, "dports");
	if (v == NULL || !fy_node_is_sequence(v))
		rc = read_port(c, v, f);
	while (rc == 0 && v != NULL && fy_node_is_sequence(v) &&
	       (n = fy_node_sequence_iterate(v, &it)) != NULL)
		rc = read_port(c, n, f);
	scn_path_pop(c, old);
	return rc;
}

static int read_filter(struct scn_ctx *c, struct fy_node *item, struct topo_filter *f)
{
	int action = 0, proto = TOPO_PROTO_ANY;
	struct fy_node *dummy;
	int rc;

	f->families = TOPO_FAM_ALL;
	f->src = scn_src(c, item);
	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, filter_keys)) < 0 ||
	    (rc = scn_require(c, item, "action", &dummy)) < 0 ||
	    (rc = scn_get_enum(c, item, "action", actions, &action)) < 0 ||
	    (rc = scn_get_families(c, item, "family", true, &f->families)) < 0 ||
	    (rc = scn_get_enum(c, item, "proto", protos, &proto)) < 0 ||
	    (rc = scn_get_str(c, item, "in", f->in, sizeof(f->in))) < 0 ||
	    (rc = scn_get_str(c, item, "out", f->out, sizeof(f->out))) < 0 ||
	    (rc = read_dports(c, item, f)) < 0)
		return rc;
	f->action = (enum topo_action)action;
	f->proto = (enum topo_proto)proto;
	return 0;
}

/* ---- lists of the above --------------------------------------------------------- */

typedef int (*item_fn)(struct scn_ctx *c, struct fy_node *item, void *out);

static int route_fn(struct scn_ctx *c, struct fy_node *item, void *out)
{
	return read_route(c, item, out);
}

static int nat_fn(struct scn_ctx *c, struct fy_node *item, void *out)
{
	return read_nat(c, item, out);
}

static int filter_fn(struct scn_ctx *c, struct fy_node *item, void *out)
{
	return read_filter(c, item, out);
}

static int read_items(struct scn_ctx *c, struct fy_node *seq, size_t size, item_fn fn,
		      void **arr, size_t *n)
{
	struct fy_node *item;
	void *it = NULL;
	size_t old;
	int rc = 0;

	*arr = calloc((size_t)fy_node_sequence_item_count(seq) + 1, size);
	if (*arr == NULL)
		return scn_oom(c);
	while (rc == 0 && (item = fy_node_sequence_iterate(seq, &it)) != NULL) {
		old = scn_path_index(c, *n);
		rc = fn(c, item, (char *)*arr + *n * size);
		(*n)++; /* counted even on error: topo_plan_free() sees it */
		scn_path_pop(c, old);
	}
	return rc;
}

/* Read `key` of `map`, a list (or, when `single_ok`, one mapping), into a
 * freshly allocated array of `size`-byte elements. */
static int read_list(struct scn_ctx *c, struct fy_node *map, const char *key, bool single_ok,
		     size_t size, item_fn fn, void **arr, size_t *n)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v;
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, key);
	if (v != NULL && fy_node_is_sequence(v)) {
		rc = read_items(c, v, size, fn, arr, n);
	} else if (single_ok && v != NULL && fy_node_is_mapping(v)) {
		*arr = calloc(1, size);
		*n = *arr != NULL;
		rc = *arr == NULL ? scn_oom(c) : fn(c, v, *arr);
	} else {
		rc = scn_type_error(c, v, single_ok ? "a mapping or a list" : "a list");
	}
	scn_path_pop(c, old);
	return rc;
}

/* ---- nodes -------------------------------------------------------------------------- */

static int read_node(struct scn_ctx *c, struct fy_node *map, struct topo_node *n)
{
	void *routes = NULL, *nat = NULL, *filters = NULL;
	int rc;

	if (scn_is_null(map))
		return 0; /* `server:` alone: a host with defaults */
	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, node_keys)) < 0 ||
	    (rc = scn_get_bool(c, map, "router", &n->router)) < 0)
		return rc;
	rc = read_list(c, map, "routes", false, sizeof(*n->routes), route_fn, &routes, &n->n_routes);
	n->routes = routes;
	if (rc == 0)
		rc = read_list(c, map, "nat", true, sizeof(*n->nat), nat_fn, &nat, &n->n_nat);
	n->nat = nat;
	if (rc == 0)
		rc = read_list(c, map, "filters", false, sizeof(*n->filters), filter_fn, &filters,
			       &n->n_filters);
	n->filters = filters;
	if (rc == 0)
		rc = scn_read_turn(c, map, n);
	if (rc == 0)
		rc = scn_read_dns64(c, map, n);
	if (rc == 0)
		rc = scn_read_nat64(c, map, n);
	return rc;
}

int scn_read_nodes(struct scn_ctx *c, struct fy_node *nodes, struct topo_plan *plan)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t old;
	int rc;

	if ((rc = scn_want_map(c, nodes)) < 0)
		return rc;
	if (fy_node_mapping_item_count(nodes) == 0)
		return scn_fail(c, nodes, "a topology needs at least one node");
	plan->nodes = calloc((size_t)fy_node_mapping_item_count(nodes) + 1, sizeof(*plan->nodes));
	if (plan->nodes == NULL)
		return scn_oom(c);
	while ((p = fy_node_mapping_iterate(nodes, &it)) != NULL) {
		struct topo_node *n = &plan->nodes[plan->n_nodes++];

		c->key = fy_node_pair_key(p);
		if ((rc = scn_as_str(c, fy_node_pair_key(p), n->name, sizeof(n->name))) < 0)
			return rc;
		n->src = scn_src(c, fy_node_pair_key(p));
		old = scn_path_key(c, n->name);
		rc = read_node(c, fy_node_pair_value(p), n);
		scn_path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}
