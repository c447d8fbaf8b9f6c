/* scn_link.c - read topology.links and topology.probes, and expand the
 * `gateway:` node shorthand (which needs the links). */
#include "scn_topo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const link_keys[] = { "a", "b", "mtu", "impair", NULL };
static const char *const end_keys[] = { "node", "ifname", "ipv4", "ipv6", NULL };
static const char *const probe_keys[] = { "from", "to", "family", "addr", "port", "expect", NULL };
/* Indexed by enum topo_reach - 1: "unspecified" is spelt by omission. */
static const char *const reaches[] = { "round-trip", "one-way", "none", NULL };

#define MTU_MIN 68u
#define MTU_MAX 65535u
#define PROBE_PORT_DEFAULT 0u /* the prober picks a distinct port per probe */

/* ---- links -------------------------------------------------------------- */

static int read_addr(struct scn_ctx *c, struct fy_node *n, int family, struct topo_end *e)
{
	struct topo_prefix *a;
	int fam = family, rc;

	if (e->n_addr >= TOPO_ADDR_MAX)
		return scn_fail(c, n, "at most %d addresses per link end", TOPO_ADDR_MAX);
	a = &e->addr[e->n_addr];
	if ((rc = scn_as_addr(c, n, &fam, a->addr, &a->plen)) < 0)
		return rc;
	a->family = fam;
	a->src = scn_src(c, n);
	e->n_addr++;
	return 0;
}

/* `ipv4: 192.0.2.1/24` or `ipv4: [192.0.2.1/24, 192.0.2.2/24]`. */
static int read_addrs(struct scn_ctx *c, struct fy_node *map, const char *key, int family,
		      struct topo_end *e)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v, *item;
	size_t old, old2;
	void *it = NULL;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, key);
	if (v == NULL || !fy_node_is_sequence(v))
		rc = read_addr(c, v, family, e);
	for (size_t i = 0; rc == 0 && v != NULL && fy_node_is_sequence(v) &&
			   (item = fy_node_sequence_iterate(v, &it)) != NULL; i++) {
		old2 = scn_path_index(c, i);
		rc = read_addr(c, item, family, e);
		scn_path_pop(c, old2);
	}
	scn_path_pop(c, old);
	return rc;
}

/* The interface name defaults to the link name, which may be too long. */
static int read_ifname(struct scn_ctx *c, struct fy_node *map, const char *link,
		       struct topo_end *e)
{
	size_t old;
	int rc;

	if (scn_pair(c, map, "ifname") != NULL)
		return scn_get_str(c, map, "ifname", e->ifname, sizeof(e->ifname));
	if (strlen(link) < sizeof(e->ifname)) {
		memcpy(e->ifname, link, strlen(link) + 1);
		return 0;
	}
	old = scn_path_key(c, "ifname");
	rc = scn_fail(c, map, "defaults to the link name '%s', which is longer than %zu "
		      "characters; set ifname or shorten the link name", link,
		      sizeof(e->ifname) - 1);
	scn_path_pop(c, old);
	return rc;
}

static int read_end(struct scn_ctx *c, struct fy_node *link, const char *which,
		    const char *name, struct topo_end *e)
{
	struct fy_node *map, *dummy;
	size_t old;
	int rc;

	if ((rc = scn_require(c, link, which, &map)) < 0)
		return rc;
	old = scn_path_key(c, which);
	e->src = scn_src(c, map);
	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, end_keys)) < 0 ||
	    (rc = scn_require(c, map, "node", &dummy)) < 0 ||
	    (rc = scn_get_str(c, map, "node", e->node, sizeof(e->node))) < 0 ||
	    (rc = read_ifname(c, map, name, e)) < 0 ||
	    (rc = read_addrs(c, map, "ipv4", AF_INET, e)) < 0 ||
	    (rc = read_addrs(c, map, "ipv6", AF_INET6, e)) < 0) {
		scn_path_pop(c, old);
		return rc;
	}
	scn_path_pop(c, old);
	return 0;
}

static int read_link(struct scn_ctx *c, struct fy_node *map, struct topo_link *l)
{
	int rc;

	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, link_keys)) < 0 ||
	    (rc = read_end(c, map, "a", l->name, &l->end[0])) < 0 ||
	    (rc = read_end(c, map, "b", l->name, &l->end[1])) < 0)
		return rc;
	if ((rc = scn_get_uint(c, map, "mtu", MTU_MIN, MTU_MAX, &l->mtu)) < 0)
		return rc;
	return scn_read_impair(c, map, l);
}

int scn_read_links(struct scn_ctx *c, struct fy_node *links, struct topo_plan *plan)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t old;
	int rc;

	if ((rc = scn_want_map(c, links)) < 0)
		return rc;
	plan->links = calloc((size_t)fy_node_mapping_item_count(links) + 1, sizeof(*plan->links));
	if (plan->links == NULL)
		return scn_oom(c);
	while ((p = fy_node_mapping_iterate(links, &it)) != NULL) {
		struct topo_link *l = &plan->links[plan->n_links++];

		c->key = fy_node_pair_key(p);
		if ((rc = scn_as_str(c, fy_node_pair_key(p), l->name, sizeof(l->name))) < 0)
			return rc;
		l->src = scn_src(c, fy_node_pair_key(p));
		old = scn_path_key(c, l->name);
		rc = read_link(c, fy_node_pair_value(p), l);
		scn_path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- probes ----------------------------------------------------------------- */

static int read_probe_addr(struct scn_ctx *c, struct fy_node *map, struct topo_probe *pr)
{
	struct fy_node_pair *p = scn_pair(c, map, "addr");
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, "addr");
	rc = scn_as_addr(c, fy_node_pair_value(p), &pr->family, pr->addr, NULL);
	scn_path_pop(c, old);
	pr->has_addr = rc == 0;
	return rc;
}

static int read_probe(struct scn_ctx *c, struct fy_node *map, struct topo_probe *pr)
{
	unsigned fam = 0, port = PROBE_PORT_DEFAULT;
	struct fy_node *dummy;
	int expect = -1, rc;

	pr->src = scn_src(c, map);
	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, probe_keys)) < 0 ||
	    (rc = scn_require(c, map, "from", &dummy)) < 0 ||
	    (rc = scn_require(c, map, "to", &dummy)) < 0 ||
	    (rc = scn_require(c, map, "family", &dummy)) < 0 ||
	    (rc = scn_get_str(c, map, "from", pr->from, sizeof(pr->from))) < 0 ||
	    (rc = scn_get_str(c, map, "to", pr->to, sizeof(pr->to))) < 0 ||
	    (rc = scn_get_families(c, map, "family", false, &fam)) < 0)
		return rc;
	pr->family = fam == TOPO_FAM_V4 ? AF_INET : AF_INET6;
	if ((rc = read_probe_addr(c, map, pr)) < 0 ||
	    (rc = scn_get_uint(c, map, "port", 1, 65535, &port)) < 0 ||
	    (rc = scn_get_enum(c, map, "expect", reaches, &expect)) < 0)
		return rc;
	pr->port = (uint16_t)port;
	pr->expect = (enum topo_reach)(expect + 1);
	return 0;
}

int scn_read_probes(struct scn_ctx *c, struct fy_node *probes, struct topo_plan *plan)
{
	struct fy_node *item;
	void *it = NULL;
	size_t old;
	int rc;

	if ((rc = scn_want_seq(c, probes)) < 0)
		return rc;
	plan->probes = calloc((size_t)fy_node_sequence_item_count(probes) + 1,
			      sizeof(*plan->probes));
	if (plan->probes == NULL)
		return scn_oom(c);
	while ((item = fy_node_sequence_iterate(probes, &it)) != NULL) {
		old = scn_path_index(c, plan->n_probes);
		rc = read_probe(c, item, &plan->probes[plan->n_probes++]);
		scn_path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- gateway shorthand ---------------------------------------------------------- */

static const struct topo_link *shared_link(const struct topo_plan *plan, const char *a,
					   const char *b)
{
	for (size_t i = 0; i < plan->n_links; i++)
		if (topo_link_end_on(&plan->links[i], a) && topo_link_end_on(&plan->links[i], b))
			return &plan->links[i];
	return NULL;
}

static int has_default(const struct topo_node *n, int family)
{
	for (size_t i = 0; i < n->n_routes; i++)
		if (n->routes[i].dst.family == family && n->routes[i].dst.plen == 0)
			return (int)i;
	return -1;
}

/* One default route of `family` via the gateway's address on link `l`,
 * when both ends have that family: 1 added, 0 not applicable. */
static int add_default(struct scn_ctx *c, struct fy_node *at, const struct topo_plan *plan,
		       struct topo_node *n, const char *gw, const struct topo_link *l, int family)
{
	const struct topo_prefix *via = topo_plan_addr(plan, gw, l->name, family);
	struct topo_route *r;
	int dup;

	if (via == NULL || topo_plan_addr(plan, n->name, l->name, family) == NULL)
		return 0;
	if ((dup = has_default(n, family)) >= 0)
		return scn_fail(c, at, "node already has an %s default route (routes[%d])",
				family == AF_INET ? "IPv4" : "IPv6", dup);
	r = realloc(n->routes, (n->n_routes + 1) * sizeof(*r));
	if (r == NULL)
		return scn_oom(c);
	n->routes = r;
	r = &n->routes[n->n_routes++];
	memset(r, 0, sizeof(*r));
	r->dst.family = family;
	r->dst.src = r->src = scn_src(c, at);
	r->has_via = true;
	memcpy(r->via, via->addr, sizeof(r->via));
	memcpy(r->dev, l->name, sizeof(r->dev));
	return 1;
}

static int expand_gateway(struct scn_ctx *c, struct fy_node *at, struct topo_plan *plan,
			  struct topo_node *n, const char *gw)
{
	const struct topo_node *g = topo_plan_node(plan, gw);
	const struct topo_link *l;
	int r4 = 0, r6 = 0;

	if (g == NULL)
		return scn_fail(c, at, "unknown node '%s'", gw);
	if (g == n)
		return scn_fail(c, at, "a node cannot be its own gateway");
	if (!g->router)
		return scn_fail(c, at, "node '%s' is not a router; set 'router: true' on it", gw);
	l = shared_link(plan, n->name, gw);
	if (l == NULL)
		return scn_fail(c, at, "node '%s' shares no link with '%s'", gw, n->name);
	if ((r4 = add_default(c, at, plan, n, gw, l, AF_INET)) < 0 ||
	    (r6 = add_default(c, at, plan, n, gw, l, AF_INET6)) < 0)
		return r4 < 0 ? r4 : r6;
	if (r4 + r6 == 0)
		return scn_fail(c, at, "no address family is set on both ends of link '%s'",
				l->name);
	return 0;
}

int scn_read_gateways(struct scn_ctx *c, struct fy_node *nodes, struct topo_plan *plan)
{
	char gw[TOPO_NAME_MAX];
	struct fy_node_pair *p, *g;
	void *it = NULL;
	size_t old, i = 0;
	int rc = 0;

	while (rc == 0 && (p = fy_node_mapping_iterate(nodes, &it)) != NULL && i < plan->n_nodes) {
		struct fy_node *map = fy_node_pair_value(p);
		struct topo_node *n = &plan->nodes[i++];

		if (scn_is_null(map) || (g = scn_pair(c, map, "gateway")) == NULL)
			continue;
		old = scn_path_key(c, n->name);
		scn_path_key(c, "gateway");
		rc = scn_as_str(c, fy_node_pair_value(g), gw, sizeof(gw));
		if (rc == 0)
			rc = expand_gateway(c, fy_node_pair_value(g), plan, n, gw);
		scn_path_pop(c, old);
	}
	return rc;
}
