/* plan.c - topology plan validation, lookups and release.
 *
 * Validation is the last line of defence before netns/ turns a plan into
 * namespaces, so it re-checks everything the kernel would otherwise reject
 * with an opaque errno (EEXIST, EINVAL, ERANGE), and a few things the
 * kernel would accept but that are almost certainly typos (a gateway that
 * no connected prefix reaches, a node with no links).  Every message points
 * at the scenario element through the `src` positions in the plan.
 */
#include "plan.h"
#include "dns64.h"
#include "nat64.h"
#include "turn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UDP_LIFETIME_MAX 86400u
#define MTU_MIN_V4 68u
#define MTU_MIN_V6 1280u
#define MTU_MAX 65535u

static const char *const end_names[2] = { "a", "b" };

/* Validation state: the plan and where the message goes.  `field` is the
 * dotted path of the element being checked, set just before failing. */
struct vctx {
	const struct topo_plan *plan;
	struct icl_err *err;
	char field[192];
};

__attribute__((format(printf, 2, 3)))
static void setf(struct vctx *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->field, sizeof(v->field), fmt, ap);
	va_end(ap);
}

static int vplan_fail(const struct topo_plan *p, const struct topo_src *src, const char *field,
		      struct icl_err *err, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* "FILE:LINE:COL: FIELD: reason"; the position is dropped when the plan
 * did not come from a file, so that code-built plans still read well. */
static int vplan_fail(const struct topo_plan *p, const struct topo_src *src, const char *field,
		      struct icl_err *err, const char *fmt, va_list ap)
{
	char reason[768];
	char where[256] = "";

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (p->file != NULL && src != NULL && src->line > 0)
		snprintf(where, sizeof(where), "%s:%u:%u: ", p->file, src->line, src->col);
	else if (p->file != NULL)
		snprintf(where, sizeof(where), "%s: ", p->file);
	icl_err_set(err, ICL_EINPUT, "%s%s: %s", where, field, reason);
	/* Names come from the user: keep the message on one line. */
	for (char *c = err != NULL ? err->msg : NULL; c != NULL && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return ICL_EINPUT;
}

int topo_plan_fail(const struct topo_plan *p, const struct topo_src *src, const char *field,
		   struct icl_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vplan_fail(p, src, field, err, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct vctx *v, const struct topo_src *src, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vplan_fail(v->plan, src, v->field, v->err, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- small helpers ---------------------------------------------------- */

static size_t fam_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static unsigned fam_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "?";
}

static unsigned fam_flag(int family)
{
	return family == AF_INET ? TOPO_FAM_V4 : TOPO_FAM_V6;
}

static bool bit_at(const unsigned char *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* True when the first `plen` bits of a and b agree. */
static bool same_prefix(const unsigned char *a, const unsigned char *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

/* All bits after `plen` equal to `one`. */
static bool host_bits_all(const unsigned char *a, int family, unsigned plen, bool one)
{
	for (unsigned i = plen; i < fam_bits(family); i++)
		if (bit_at(a, i) != one)
			return false;
	return true;
}

static const char *ntop(int family, const unsigned char *a, char *buf, size_t size)
{
	if (inet_ntop(family, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}

static bool known_family(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* ---- names ------------------------------------------------------------ */

/* Names become namespace, interface and nftables identifiers and appear in
 * shell commands users copy from logs, hence the narrow alphabet and no
 * leading '-'. */
static const char *name_problem(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == 0)
		return "must not be empty";
	if (n >= max)
		return "is too long";
	if (s[0] == '-' || s[0] == '_')
		return "must start with a letter or digit";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
			return "may only contain a-z, 0-9, '-' and '_'";
	return NULL;
}

static int check_name(struct vctx *v, const char *name, const struct topo_src *src)
{
	const char *why = name_problem(name, TOPO_NAME_MAX);

	if (why == NULL)
		return 0;
	if (strnlen(name, TOPO_NAME_MAX) >= TOPO_NAME_MAX)
		return fail(v, src, "name is longer than %d characters", TOPO_NAME_MAX - 1);
	return fail(v, src, "name '%.*s' %s", TOPO_NAME_MAX, name, why);
}

/* "lo" exists in every namespace; "all" and "default" are taken by the
 * per-interface sysctl directories, so the kernel refuses them. */
static int check_ifname(struct vctx *v, const char *ifname, const struct topo_src *src)
{
	const char *why = name_problem(ifname, TOPO_IFNAME_MAX);

	if (why != NULL && strnlen(ifname, TOPO_IFNAME_MAX) >= TOPO_IFNAME_MAX)
		return fail(v, src, "interface name is longer than %d characters",
			    TOPO_IFNAME_MAX - 1);
	if (why != NULL)
		return fail(v, src, "interface name '%s' %s", ifname, why);
	if (!strcmp(ifname, "lo") || !strcmp(ifname, "all") || !strcmp(ifname, "default"))
		return fail(v, src, "interface name '%s' is reserved by the kernel", ifname);
	return 0;
}

static int check_names(struct vctx *v)
{
	const struct topo_plan *p = v->plan;
	int rc;

	for (size_t i = 0; i < p->n_nodes; i++) {
		setf(v, "nodes.%.*s", TOPO_NAME_MAX, p->nodes[i].name);
		if ((rc = check_name(v, p->nodes[i].name, &p->nodes[i].src)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strncmp(p->nodes[i].name, p->nodes[j].name, TOPO_NAME_MAX))
				return fail(v, &p->nodes[i].src, "duplicate node name");
	}
	for (size_t i = 0; i < p->n_links; i++) {
		setf(v, "links.%.*s", TOPO_NAME_MAX, p->links[i].name);
		if ((rc = check_name(v, p->links[i].name, &p->links[i].src)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strncmp(p->links[i].name, p->links[j].name, TOPO_NAME_MAX))
				return fail(v, &p->links[i].src, "duplicate link name");
	}
	return 0;
}

/* ---- links -------------------------------------------------------------- */

/* Host addresses only: the kernel would accept most of these, but none of
 * them can take part in a test the way the user expects. */
static const char *addr_problem(const struct topo_prefix *a)
{
	const unsigned char *x = a->addr;

	if (a->plen == 0)
		return "prefix length 0 is not an interface address";
	if (a->family == AF_INET) {
		if (x[0] == 0 || x[0] == 127 || x[0] >= 224)
			return "is not a unicast host address";
		if (a->plen < 31 && host_bits_all(x, AF_INET, a->plen, false))
			return "is the network address of its prefix";
		if (a->plen < 31 && host_bits_all(x, AF_INET, a->plen, true))
			return "is the broadcast address of its prefix";
		return NULL;
	}
	if (x[0] == 0xff)
		return "is a multicast address";
	if (x[0] == 0xfe && (x[1] & 0xc0) == 0x80)
		return "is link-local; those are assigned automatically";
	if (!memcmp(x, in6addr_any.s6_addr, 16) || !memcmp(x, in6addr_loopback.s6_addr, 16))
		return "is not a unicast host address";
	if (a->plen < 127 && host_bits_all(x, AF_INET6, a->plen, false))
		return "is the subnet-router anycast address of its prefix";
	return NULL;
}

static int check_addr(struct vctx *v, const struct topo_prefix *a)
{
	char buf[INET6_ADDRSTRLEN];
	const char *why;

	if (!known_family(a->family))
		return fail(v, &a->src, "unknown address family %d", a->family);
	if (a->plen > fam_bits(a->family))
		return fail(v, &a->src, "prefix length %u is longer than %u", a->plen,
			    fam_bits(a->family));
	why = addr_problem(a);
	if (why != NULL)
		return fail(v, &a->src, "%s/%u %s", ntop(a->family, a->addr, buf, sizeof(buf)),
			    a->plen, why);
	return 0;
}

static bool link_has_family(const struct topo_link *l, int family)
{
	for (int e = 0; e < 2; e++)
		for (size_t i = 0; i < l->end[e].n_addr && i < TOPO_ADDR_MAX; i++)
			if (l->end[e].addr[i].family == family)
				return true;
	return false;
}

static int check_mtu(struct vctx *v, const struct topo_link *l)
{
	if (l->mtu == 0)
		return 0;
	setf(v, "links.%s.mtu", l->name);
	if (l->mtu < MTU_MIN_V4 || l->mtu > MTU_MAX)
		return fail(v, &l->src, "%u is out of range (%u..%u)", l->mtu, MTU_MIN_V4, MTU_MAX);
	if (l->mtu < MTU_MIN_V6 && link_has_family(l, AF_INET6))
		return fail(v, &l->src, "%u is below %u, the IPv6 minimum, and the link has "
			    "IPv6 addresses", l->mtu, MTU_MIN_V6);
	return 0;
}

static int check_end(struct vctx *v, const struct topo_link *l, int e)
{
	const struct topo_end *end = &l->end[e];
	int rc;

	setf(v, "links.%s.%s.node", l->name, end_names[e]);
	if (strnlen(end->node, TOPO_NAME_MAX) == 0)
		return fail(v, &end->src, "missing node");
	if (topo_plan_node(v->plan, end->node) == NULL)
		return fail(v, &end->src, "unknown node '%.*s'", TOPO_NAME_MAX, end->node);
	setf(v, "links.%s.%s.ifname", l->name, end_names[e]);
	if ((rc = check_ifname(v, end->ifname, &end->src)) < 0)
		return rc;
	if (end->n_addr > TOPO_ADDR_MAX)
		return fail(v, &end->src, "more than %d addresses", TOPO_ADDR_MAX);
	for (size_t i = 0; i < end->n_addr; i++) {
		setf(v, "links.%s.%s.%s", l->name, end_names[e], fam_name(end->addr[i].family));
		if ((rc = check_addr(v, &end->addr[i])) < 0)
			return rc;
	}
	return 0;
}

static int check_link(struct vctx *v, const struct topo_link *l)
{
	int rc;

	for (int e = 0; e < 2; e++)
		if ((rc = check_end(v, l, e)) < 0)
			return rc;
	if (!strncmp(l->end[0].node, l->end[1].node, TOPO_NAME_MAX)) {
		setf(v, "links.%s.b.node", l->name);
		return fail(v, &l->end[1].src, "both ends are on node '%s'; a link joins two "
			    "different nodes", l->end[1].node);
	}
	return check_mtu(v, l);
}

/* One interface name per namespace, "lo" included (checked above). */
static int check_ifnames(struct vctx *v)
{
	const struct topo_plan *p = v->plan;

	for (size_t i = 0; i < p->n_links; i++)
		for (int e = 0; e < 2; e++) {
			const struct topo_end *x = &p->links[i].end[e];

			for (size_t j = 0; j <= i; j++)
				for (int f = 0; f < 2 && (j < i || f < e); f++) {
					const struct topo_end *y = &p->links[j].end[f];

					if (strcmp(x->node, y->node) || strcmp(x->ifname, y->ifname))
						continue;
					setf(v, "links.%s.%s.ifname", p->links[i].name, end_names[e]);
					return fail(v, &x->src, "node '%s' already has an interface "
						    "'%s' (links.%s.%s)", x->node, x->ifname,
						    p->links[j].name, end_names[f]);
				}
		}
	return 0;
}

/* ---- addresses across links ------------------------------------------- */

struct aref {
	const struct topo_link *link;
	int end;
	const struct topo_prefix *pfx;
};

static struct aref *collect_addrs(const struct topo_plan *p, size_t *n)
{
	size_t count = 0, k = 0;
	struct aref *r;

	for (size_t i = 0; i < p->n_links; i++)
		count += p->links[i].end[0].n_addr + p->links[i].end[1].n_addr;
	r = calloc(count ? count : 1, sizeof(*r));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < p->n_links; i++)
		for (int e = 0; e < 2; e++)
			for (size_t a = 0; a < p->links[i].end[e].n_addr; a++)
				r[k++] = (struct aref){ &p->links[i], e, &p->links[i].end[e].addr[a] };
	*n = count;
	return r;
}

static int check_pair(struct vctx *v, const struct aref *x, const struct aref *y)
{
	const struct topo_prefix *a = x->pfx, *b = y->pfx;
	unsigned plen = a->plen < b->plen ? a->plen : b->plen;
	char s1[INET6_ADDRSTRLEN], s2[INET6_ADDRSTRLEN];

	if (a->family != b->family)
		return 0;
	setf(v, "links.%s.%s.%s", x->link->name, end_names[x->end], fam_name(a->family));
	if (!memcmp(a->addr, b->addr, fam_len(a->family)))
		return fail(v, &a->src, "address %s is already assigned at links.%s.%s",
			    ntop(a->family, a->addr, s1, sizeof(s1)), y->link->name,
			    end_names[y->end]);
	if (x->link == y->link || !same_prefix(a->addr, b->addr, plen))
		return 0;
	return fail(v, &a->src, "prefix %s/%u overlaps %s/%u on links.%s.%s; each link "
		    "needs its own subnet", ntop(a->family, a->addr, s1, sizeof(s1)), a->plen,
		    ntop(b->family, b->addr, s2, sizeof(s2)), b->plen, y->link->name,
		    end_names[y->end]);
}

static int check_overlaps(struct vctx *v)
{
	size_t n = 0;
	struct aref *r = collect_addrs(v->plan, &n);
	int rc = 0;

	if (r == NULL)
		return icl_err_set(v->err, -ENOMEM, "validating topology: out of memory");
	for (size_t i = 1; i < n && rc == 0; i++)
		for (size_t j = 0; j < i && rc == 0; j++)
			rc = check_pair(v, &r[i], &r[j]);
	free(r);
	return rc;
}

/* ---- nodes: routes, NAT, filters ---------------------------------------- */

static bool node_has_link(const struct topo_plan *p, const char *node, const char *link)
{
	const struct topo_link *l = topo_plan_link(p, link);

	return l != NULL && topo_link_end_on(l, node) != NULL;
}

static bool node_has_links(const struct topo_plan *p, const char *node)
{
	for (size_t i = 0; i < p->n_links; i++)
		if (topo_link_end_on(&p->links[i], node) != NULL)
			return true;
	return false;
}

/* -1: `a` is an address of end `e`; 1: a prefix of `e` contains it; 0: neither. */
static int end_reaches(const struct topo_end *e, int family, const unsigned char *a)
{
	int r = 0;

	for (size_t i = 0; i < e->n_addr; i++) {
		const struct topo_prefix *p = &e->addr[i];

		if (p->family != family)
			continue;
		if (!memcmp(p->addr, a, fam_len(family)))
			return -1;
		if (same_prefix(p->addr, a, p->plen))
			r = 1;
	}
	return r;
}

/* 1: `via` is on a prefix connected to `node` (restricted to link `dev` if
 * not ""); -1: it is the node's own address; 0: unreachable. */
static int via_reachable(const struct topo_plan *p, const char *node, const char *dev,
			 int family, const unsigned char *via)
{
	int best = 0;

	for (size_t i = 0; i < p->n_links; i++) {
		const struct topo_end *e = topo_link_end_on(&p->links[i], node);
		int r;

		if (e == NULL || (dev[0] != '\0' && strcmp(dev, p->links[i].name)))
			continue;
		r = end_reaches(e, family, via);
		if (r < 0)
			return -1;
		if (r > 0)
			best = 1;
	}
	return best;
}

static int check_route_via(struct vctx *v, const struct topo_node *n, const struct topo_route *r)
{
	char buf[INET6_ADDRSTRLEN];
	int reach = via_reachable(v->plan, n->name, r->dev, r->dst.family, r->via);

	ntop(r->dst.family, r->via, buf, sizeof(buf));
	if (reach < 0)
		return fail(v, &r->src, "gateway %s is an address of this node", buf);
	if (reach == 0 && r->dev[0] != '\0')
		return fail(v, &r->src, "gateway %s is not on a prefix of link '%s'", buf, r->dev);
	if (reach == 0)
		return fail(v, &r->src, "gateway %s is not on any prefix connected to node "
			    "'%s'", buf, n->name);
	return 0;
}

static int check_route(struct vctx *v, const struct topo_node *n, size_t i)
{
	const struct topo_route *r = &n->routes[i];
	char buf[INET6_ADDRSTRLEN];

	setf(v, "nodes.%s.routes[%zu].to", n->name, i);
	if (!known_family(r->dst.family))
		return fail(v, &r->dst.src, "unknown address family %d", r->dst.family);
	if (r->dst.plen > fam_bits(r->dst.family))
		return fail(v, &r->dst.src, "prefix length %u is longer than %u", r->dst.plen,
			    fam_bits(r->dst.family));
	if (!host_bits_all(r->dst.addr, r->dst.family, r->dst.plen, false))
		return fail(v, &r->dst.src, "%s/%u has host bits set after the prefix length",
			    ntop(r->dst.family, r->dst.addr, buf, sizeof(buf)), r->dst.plen);
	for (size_t j = 0; j < i; j++)
		if (n->routes[j].dst.family == r->dst.family && n->routes[j].dst.plen == r->dst.plen &&
		    !memcmp(n->routes[j].dst.addr, r->dst.addr, fam_len(r->dst.family)))
			return fail(v, &r->dst.src, "duplicate route (same as routes[%zu])", j);
	setf(v, "nodes.%s.routes[%zu].dev", n->name, i);
	if (r->dev[0] != '\0' && !node_has_link(v->plan, n->name, r->dev))
		return fail(v, &r->src, "node '%s' is not on link '%.*s'", n->name,
			    TOPO_NAME_MAX, r->dev);
	setf(v, "nodes.%s.routes[%zu].via", n->name, i);
	if (!r->has_via && r->dev[0] == '\0')
		return fail(v, &r->src, "a route needs 'via', 'dev' or both");
	return r->has_via ? check_route_via(v, n, r) : 0;
}

static const struct topo_end *end_of(const struct topo_plan *p, const char *node,
				     const char *link)
{
	const struct topo_link *l = topo_plan_link(p, link);

	return l != NULL ? topo_link_end_on(l, node) : NULL;
}

static int check_nat_link(struct vctx *v, const struct topo_node *n, const struct topo_nat *t,
			  const char *what, const char *link)
{
	setf(v, "nodes.%s.nat[%zu].%s", n->name, (size_t)(t - n->nat), what);
	if (link[0] == '\0')
		return fail(v, &t->src, "missing; name the %s link of this NAT",
			    !strcmp(what, "inside") ? "private-side" : "public-side");
	if (!node_has_link(v->plan, n->name, link))
		return fail(v, &t->src, "node '%s' is not on link '%.*s'", n->name,
			    TOPO_NAME_MAX, link);
	return 0;
}

static int check_nat_values(struct vctx *v, const struct topo_node *n, const struct topo_nat *t)
{
	size_t i = (size_t)(t - n->nat);

	setf(v, "nodes.%s.nat[%zu]", n->name, i);
	if ((unsigned)t->mapping > TOPO_ADDRESS_AND_PORT_DEPENDENT ||
	    (unsigned)t->filtering > TOPO_ADDRESS_AND_PORT_DEPENDENT)
		return fail(v, &t->src, "unknown mapping or filtering behaviour");
	setf(v, "nodes.%s.nat[%zu].udp-mapping-lifetime", n->name, i);
	if (t->udp_lifetime_s > UDP_LIFETIME_MAX)
		return fail(v, &t->src, "%u s is longer than a day (%u s)", t->udp_lifetime_s,
			    UDP_LIFETIME_MAX);
	setf(v, "nodes.%s.nat[%zu].family", n->name, i);
	if (t->families == 0 || (t->families & ~TOPO_FAM_ALL))
		return fail(v, &t->src, "no valid address family selected");
	for (size_t j = 0; j < i; j++)
		if (!strcmp(n->nat[j].outside, t->outside) && !strcmp(n->nat[j].inside, t->inside) &&
		    (n->nat[j].families & t->families))
			return fail(v, &t->src, "overlaps nat[%zu] (same inside, outside and "
				    "family)", j);
	return 0;
}

static int check_nat(struct vctx *v, const struct topo_node *n, const struct topo_nat *t)
{
	int rc;

	setf(v, "nodes.%s.nat[%zu]", n->name, (size_t)(t - n->nat));
	if (!n->router)
		return fail(v, &t->src, "node '%s' is not a router; set 'router: true' to NAT",
			    n->name);
	if ((rc = check_nat_link(v, n, t, "outside", t->outside)) < 0 ||
	    (rc = check_nat_link(v, n, t, "inside", t->inside)) < 0)
		return rc;
	if (!strcmp(t->inside, t->outside))
		return fail(v, &t->src, "inside and outside are the same link '%s'", t->inside);
	if ((rc = check_nat_values(v, n, t)) < 0)
		return rc;
	setf(v, "nodes.%s.nat[%zu].family", n->name, (size_t)(t - n->nat));
	for (int k = 0; k < 2; k++) {
		int f = k == 0 ? AF_INET : AF_INET6;

		if ((t->families & fam_flag(f)) && topo_plan_addr(v->plan, n->name, t->outside, f) == NULL)
			return fail(v, &t->src, "NAT for %s needs an %s address on this node's end "
				    "of link '%s'", fam_name(f), fam_name(f), t->outside);
	}
	return 0;
}

static int check_filter_link(struct vctx *v, const struct topo_node *n,
			     const struct topo_filter *f, const char *what, const char *link)
{
	setf(v, "nodes.%s.filters[%zu].%s", n->name, (size_t)(f - n->filters), what);
	if (link[0] != '\0' && !node_has_link(v->plan, n->name, link))
		return fail(v, &f->src, "node '%s' is not on link '%.*s'", n->name,
			    TOPO_NAME_MAX, link);
	return 0;
}

static int check_filter(struct vctx *v, const struct topo_node *n, const struct topo_filter *f)
{
	size_t i = (size_t)(f - n->filters);
	int rc;

	if ((rc = check_filter_link(v, n, f, "in", f->in)) < 0 ||
	    (rc = check_filter_link(v, n, f, "out", f->out)) < 0)
		return rc;
	setf(v, "nodes.%s.filters[%zu]", n->name, i);
	if ((unsigned)f->action > TOPO_ACCEPT || (unsigned)f->proto > TOPO_PROTO_ICMP)
		return fail(v, &f->src, "unknown action or protocol");
	if (f->families == 0 || (f->families & ~TOPO_FAM_ALL))
		return fail(v, &f->src, "no valid address family selected");
	setf(v, "nodes.%s.filters[%zu].dports", n->name, i);
	if (f->n_dports > TOPO_PORTS_MAX)
		return fail(v, &f->src, "more than %d ports", TOPO_PORTS_MAX);
	if (f->n_dports > 0 && f->proto != TOPO_PROTO_UDP && f->proto != TOPO_PROTO_TCP)
		return fail(v, &f->src, "ports need 'proto: udp' or 'proto: tcp'");
	for (size_t j = 0; j < f->n_dports; j++)
		if (f->dports[j] == 0)
			return fail(v, &f->src, "port 0 is not a destination port");
	return 0;
}

static int check_node(struct vctx *v, const struct topo_node *n)
{
	int rc;

	setf(v, "nodes.%s", n->name);
	if (!node_has_links(v->plan, n->name))
		return fail(v, &n->src, "node is on no link; connect it or remove it");
	for (size_t i = 0; i < n->n_routes; i++)
		if ((rc = check_route(v, n, i)) < 0)
			return rc;
	for (size_t i = 0; i < n->n_nat; i++)
		if ((rc = check_nat(v, n, &n->nat[i])) < 0)
			return rc;
	for (size_t i = 0; i < n->n_filters; i++)
		if ((rc = check_filter(v, n, &n->filters[i])) < 0)
			return rc;
	if (n->dns64 != NULL && (rc = dns64_validate(v->plan, n, v->err)) < 0)
		return rc;
	if (n->turn != NULL && (rc = turn_plan_check(v->plan, n, v->err)) < 0)
		return rc;
	if ((n->nat64 != NULL || n->clat != NULL) && (rc = nat64_validate(v->plan, n, v->err)) < 0)
		return rc;
	return 0;
}

/* ---- probes ------------------------------------------------------------- */

static bool node_has_family(const struct topo_plan *p, const char *node, int family)
{
	for (size_t i = 0; i < p->n_links; i++) {
		const struct topo_end *e = topo_link_end_on(&p->links[i], node);

		for (size_t j = 0; e != NULL && j < e->n_addr; j++)
			if (e->addr[j].family == family)
				return true;
	}
	return false;
}

static int check_probe_node(struct vctx *v, size_t i, const char *what, const char *node,
			    int family)
{
	const struct topo_probe *pr = &v->plan->probes[i];

	setf(v, "probes[%zu].%s", i, what);
	if (node[0] == '\0')
		return fail(v, &pr->src, "missing node");
	if (topo_plan_node(v->plan, node) == NULL)
		return fail(v, &pr->src, "unknown node '%.*s'", TOPO_NAME_MAX, node);
	if (known_family(family) && !node_has_family(v->plan, node, family))
		return fail(v, &pr->src, "node '%s' has no %s address", node, fam_name(family));
	return 0;
}

static int check_probe(struct vctx *v, size_t i)
{
	const struct topo_probe *pr = &v->plan->probes[i];
	const struct topo_node *from = topo_plan_node(v->plan, pr->from);
	char buf[INET6_ADDRSTRLEN], buf4[INET_ADDRSTRLEN];
	unsigned char v4[4];
	/* 464XLAT: a CLAT gives its node IPv4; NAT64: an IPv6 address in a
	 * NAT64 prefix reaches the IPv4 address it embeds (nat64.h). */
	bool clat = pr->family == AF_INET && from != NULL && from->clat != NULL;
	bool xlat = nat64_probe_target(v->plan, pr, v4);
	int rc;

	setf(v, "probes[%zu].family", i);
	if (!known_family(pr->family))
		return fail(v, &pr->src, "unknown address family %d", pr->family);
	if ((rc = check_probe_node(v, i, "from", pr->from, clat ? 0 : pr->family)) < 0 ||
	    (rc = check_probe_node(v, i, "to", pr->to, xlat ? AF_INET : pr->family)) < 0)
		return rc;
	if (!strcmp(pr->from, pr->to))
		return fail(v, &pr->src, "'from' and 'to' are the same node");
	setf(v, "probes[%zu].expect", i);
	if ((unsigned)pr->expect > TOPO_REACH_NONE)
		return fail(v, &pr->src, "unknown expectation %d", (int)pr->expect);
	setf(v, "probes[%zu].addr", i);
	/* A target address elsewhere would test routing to some other node. */
	if (xlat && via_reachable(v->plan, pr->to, "", AF_INET, v4) != -1)
		return fail(v, &pr->src, "%s embeds %s, which is not an address of node '%s'",
			    ntop(AF_INET6, pr->addr, buf, sizeof(buf)),
			    ntop(AF_INET, v4, buf4, sizeof(buf4)), pr->to);
	if (pr->has_addr && !xlat && via_reachable(v->plan, pr->to, "", pr->family, pr->addr) != -1)
		return fail(v, &pr->src, "%s is not an address of node '%s'",
			    ntop(pr->family, pr->addr, buf, sizeof(buf)), pr->to);
	return 0;
}

/* ---- entry points --------------------------------------------------------- */

int topo_plan_validate(const struct topo_plan *plan, struct icl_err *err)
{
	struct vctx v = { .plan = plan, .err = err };
	int rc;

	setf(&v, "nodes");
	if (plan->n_nodes == 0)
		return fail(&v, NULL, "a topology needs at least one node");
	if ((rc = check_names(&v)) < 0)
		return rc;
	for (size_t i = 0; i < plan->n_links; i++)
		if ((rc = check_link(&v, &plan->links[i])) < 0)
			return rc;
	if ((rc = check_ifnames(&v)) < 0 || (rc = check_overlaps(&v)) < 0)
		return rc;
	for (size_t i = 0; i < plan->n_nodes; i++)
		if ((rc = check_node(&v, &plan->nodes[i])) < 0)
			return rc;
	for (size_t i = 0; i < plan->n_probes; i++)
		if ((rc = check_probe(&v, i)) < 0)
			return rc;
	return 0;
}

const struct topo_node *topo_plan_node(const struct topo_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_nodes; i++)
		if (!strncmp(plan->nodes[i].name, name, TOPO_NAME_MAX))
			return &plan->nodes[i];
	return NULL;
}

const struct topo_link *topo_plan_link(const struct topo_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_links; i++)
		if (!strncmp(plan->links[i].name, name, TOPO_NAME_MAX))
			return &plan->links[i];
	return NULL;
}

const struct topo_end *topo_link_end_on(const struct topo_link *link, const char *node)
{
	for (int e = 0; e < 2; e++)
		if (!strncmp(link->end[e].node, node, TOPO_NAME_MAX))
			return &link->end[e];
	return NULL;
}

const struct topo_prefix *topo_plan_addr(const struct topo_plan *plan, const char *node,
					 const char *link, int family)
{
	const struct topo_end *e = end_of(plan, node, link);

	for (size_t i = 0; e != NULL && i < e->n_addr; i++)
		if (e->addr[i].family == family)
			return &e->addr[i];
	return NULL;
}

void topo_plan_free(struct topo_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->n_nodes; i++) {
		free(plan->nodes[i].routes);
		free(plan->nodes[i].nat);
		free(plan->nodes[i].filters);
		if (plan->nodes[i].dns64 != NULL)
			free(plan->nodes[i].dns64->names);
		free(plan->nodes[i].dns64);
		free(plan->nodes[i].turn);
		free(plan->nodes[i].nat64);
		free(plan->nodes[i].clat);
	}
	free(plan->nodes);
	free(plan->links);
	free(plan->probes);
	free(plan->file);
	memset(plan, 0, sizeof(*plan));
}

const char *topo_behaviour_name(enum topo_behaviour b)
{
	switch (b) {
	case TOPO_ENDPOINT_INDEPENDENT: return "endpoint-independent";
	case TOPO_ADDRESS_DEPENDENT: return "address-dependent";
	case TOPO_ADDRESS_AND_PORT_DEPENDENT: return "address-and-port-dependent";
	}
	return "unknown";
}

const char *topo_reach_name(enum topo_reach r)
{
	switch (r) {
	case TOPO_REACH_UNSPECIFIED: return "unspecified";
	case TOPO_REACH_ROUND_TRIP: return "round-trip";
	case TOPO_REACH_ONE_WAY: return "one-way";
	case TOPO_REACH_NONE: return "none";
	}
	return "unknown";
}
