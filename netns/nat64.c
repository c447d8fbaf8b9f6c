/* nat64.c - NAT64 and CLAT with TAYGA; see nat64.h.
 *
 * TAYGA 0.9 configures nothing on the host side: once its tun exists
 * (the service's readiness), the engine brings the tun up and adds the
 * routes (and, for a CLAT, its IPv4 address and proxy NDP entry) through
 * the node's rtnetlink socket.  The tun's index is the kernel's choice,
 * asked with SIOCGIFINDEX on that socket, which answers for its own
 * namespace.  The NAT44 of a nat64 is part of the router's nftables rules
 * (rules.c), loaded with the others: it names the tun, not its index.
 */
#include "nat64.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"
#include "sandbox.h"
#include "svc.h"

#define NAT64_READY_MS 5000u
#define NAT64_STOP_GRACE_MS 500u
#define NAT64_LIFETIME_MAX 86400u

struct nat64_set {
	struct svc **svcs;
	size_t n;
};

/* ---- validation ------------------------------------------------------- */


static bool prefix_match(const unsigned char *a, const unsigned char *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

static bool host_bits_zero(const unsigned char *a, unsigned len, unsigned plen)
{
	for (unsigned i = plen; i < len * 8; i++)
		if ((a[i / 8] >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static const char *ntop(int family, const void *a, char *buf, size_t cap)
{
	return inet_ntop(family, a, buf, (socklen_t)cap) ? buf : "?";
}

static const struct topo_end *end_of(const struct topo_plan *p, const char *node, const char *link)
{
	const struct topo_link *l = topo_plan_link(p, link);

	return l != NULL ? topo_link_end_on(l, node) : NULL;
}

/* The first end in the plan with an address of `family` overlapping
 * `a`/`plen` (either contains the other); NULL if none. */
static const struct topo_prefix *overlap(const struct topo_plan *p, int family,
					 const unsigned char *a, unsigned plen, const char **node)
{
	for (size_t i = 0; i < p->n_links; i++)
		for (int e = 0; e < 2; e++) {
			const struct topo_end *end = &p->links[i].end[e];

			for (size_t k = 0; k < end->n_addr; k++) {
				const struct topo_prefix *x = &end->addr[k];
				unsigned m = x->plen < plen ? x->plen : plen;

				if (x->family == family && prefix_match(x->addr, a, m)) {
					*node = end->node;
					return x;
				}
			}
		}
	return NULL;
}

/* A NAT64 prefix: IPv6 /96, RFC 6052's u-octet (bits 64-71) zero, no
 * host bits, not the well-known prefix, not on any link. */
static int check_prefix(const struct topo_plan *p, const struct topo_prefix *x, const char *field,
			struct icl_err *err)
{
	unsigned char wkp[16];
	char buf[INET6_ADDRSTRLEN];
	const char *node;

	inet_pton(AF_INET6, NAT64_WKP, wkp);
	if (x->family != AF_INET6)
		return topo_plan_fail(p, &x->src, field, err, "an IPv6 prefix is needed");
	if (x->plen != NAT64_PLEN)
		return topo_plan_fail(p, &x->src, field, err,
			     "/%u is not supported: TAYGA is used with a /96 prefix only", x->plen);
	if (prefix_match(x->addr, wkp, 96))
		return topo_plan_fail(p, &x->src, field, err,
			     "the well-known prefix 64:ff9b::/96 cannot be used: TAYGA refuses to "
			     "translate it to or from private IPv4 addresses (RFC 6052 section 3.1), "
			     "which the pool and test networks are; use a network-specific prefix "
			     "such as 2001:db8:64::/96");
	if (x->addr[8] != 0)
		return topo_plan_fail(p, &x->src, field, err, "bits 64 to 71 must be zero (RFC 6052 "
			     "section 2.2)");
	if (!host_bits_zero(x->addr, 16, x->plen))
		return topo_plan_fail(p, &x->src, field, err, "%s has bits set after /96; write %s/96",
			     ntop(AF_INET6, x->addr, buf, sizeof(buf)), "the network address");
	if (overlap(p, AF_INET6, x->addr, x->plen, &node) != NULL)
		return topo_plan_fail(p, &x->src, field, err, "overlaps an address of node '%s'", node);
	return 0;
}

static int check_nat64_link(const struct topo_plan *p, const struct topo_node *n,
			    const struct topo_nat64 *x, const char *what, const char *link,
			    int family, struct icl_err *err)
{
	char field[96];
	const struct topo_end *e;
	bool has = false;

	snprintf(field, sizeof(field), "nodes.%s.nat64.%s", n->name, what);
	if (link[0] == '\0')
		return topo_plan_fail(p, &x->src, field, err, "missing; name the %s link",
			     family == AF_INET6 ? "IPv6-side" : "IPv4-side");
	if ((e = end_of(p, n->name, link)) == NULL)
		return topo_plan_fail(p, &x->src, field, err, "node '%s' is not on link '%.*s'", n->name,
			     TOPO_NAME_MAX, link);
	for (size_t k = 0; k < e->n_addr; k++)
		has = has || e->addr[k].family == family;
	if (!has)
		return topo_plan_fail(p, &x->src, field, err, "node '%s' needs an %s address on link '%s'",
			     n->name, family == AF_INET6 ? "IPv6" : "IPv4", link);
	return 0;
}

static int check_nat64(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	const struct topo_nat64 *x = n->nat64;
	char field[96], buf[INET_ADDRSTRLEN];
	const char *node;
	int rc;

	snprintf(field, sizeof(field), "nodes.%s.nat64", n->name);
	if (!n->router)
		return topo_plan_fail(p, &x->src, field, err, "node '%s' is not a router; set 'router: true' "
			     "for NAT64", n->name);
	if ((rc = check_nat64_link(p, n, x, "inside", x->inside, AF_INET6, err)) < 0 ||
	    (rc = check_nat64_link(p, n, x, "outside", x->outside, AF_INET, err)) < 0)
		return rc;
	if (!strcmp(x->inside, x->outside))
		return topo_plan_fail(p, &x->src, field, err, "inside and outside are the same link '%s'",
			     x->inside);
	for (size_t i = 0; i < n->n_nat; i++)
		if ((n->nat[i].families & TOPO_FAM_V4) && !strcmp(n->nat[i].outside, x->outside))
			return topo_plan_fail(p, &x->src, field, err, "nat[%zu] already NATs IPv4 to link "
				     "'%s'; the NAT64 needs that address to itself", i, x->outside);
	if ((unsigned)x->mapping > TOPO_ADDRESS_AND_PORT_DEPENDENT ||
	    (unsigned)x->filtering > TOPO_ADDRESS_AND_PORT_DEPENDENT)
		return topo_plan_fail(p, &x->src, field, err, "unknown mapping or filtering behaviour");
	if (x->udp_lifetime_s > NAT64_LIFETIME_MAX)
		return topo_plan_fail(p, &x->src, field, err, "udp-mapping-lifetime %u s is longer than a day",
			     x->udp_lifetime_s);
	snprintf(field, sizeof(field), "nodes.%s.nat64.prefix", n->name);
	if ((rc = check_prefix(p, &x->prefix, field, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "nodes.%s.nat64.pool", n->name);
	if (x->pool.family != AF_INET)
		return topo_plan_fail(p, &x->pool.src, field, err, "an IPv4 prefix is needed");
	if (x->pool.plen < NAT64_POOL_PLEN_MIN || x->pool.plen > NAT64_POOL_PLEN_MAX)
		return topo_plan_fail(p, &x->pool.src, field, err, "/%u: the pool's length must be /%u to /%u",
			     x->pool.plen, NAT64_POOL_PLEN_MIN, NAT64_POOL_PLEN_MAX);
	if (!host_bits_zero(x->pool.addr, 4, x->pool.plen))
		return topo_plan_fail(p, &x->pool.src, field, err, "%s has bits set after /%u",
			     ntop(AF_INET, x->pool.addr, buf, sizeof(buf)), x->pool.plen);
	if (overlap(p, AF_INET, x->pool.addr, x->pool.plen, &node) != NULL)
		return topo_plan_fail(p, &x->pool.src, field, err, "overlaps an address of node '%s'; the "
			     "pool must be private to the router", node);
	return 0;
}

static bool node_has_v4_default(const struct topo_node *n)
{
	for (size_t i = 0; i < n->n_routes; i++)
		if (n->routes[i].dst.family == AF_INET && n->routes[i].dst.plen == 0)
			return true;
	return false;
}

static bool plan_has_addr(const struct topo_plan *p, int family, const unsigned char *a,
			  const char **node)
{
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < p->n_links; i++)
		for (int e = 0; e < 2; e++)
			for (size_t k = 0; k < p->links[i].end[e].n_addr; k++) {
				const struct topo_prefix *x = &p->links[i].end[e].addr[k];

				if (x->family == family && !memcmp(x->addr, a, len)) {
					*node = p->links[i].end[e].node;
					return true;
				}
			}
	return false;
}

static int check_clat(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	const struct topo_clat *c = n->clat;
	unsigned char v6[16];
	char field[96], buf[INET6_ADDRSTRLEN];
	const char *node;
	int rc;

	snprintf(field, sizeof(field), "nodes.%s.clat.prefix", n->name);
	if ((rc = check_prefix(p, &c->prefix, field, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "nodes.%s.clat.ipv4", n->name);
	if (c->ipv4[0] == 0 || c->ipv4[0] >= 224 || c->ipv4[0] == 127)
		return topo_plan_fail(p, &c->src, field, err, "%s is not a unicast host address",
			     ntop(AF_INET, c->ipv4, buf, sizeof(buf)));
	if (overlap(p, AF_INET, c->ipv4, 32, &node) != NULL)
		return topo_plan_fail(p, &c->src, field, err, "%s is on a link of node '%s'; the CLAT's "
			     "address must be private to this node",
			     ntop(AF_INET, c->ipv4, buf, sizeof(buf)), node);
	snprintf(field, sizeof(field), "nodes.%s.clat", n->name);
	if (node_has_v4_default(n))
		return topo_plan_fail(p, &c->src, field, err, "node '%s' has an IPv4 default route; the CLAT "
			     "provides it (remove the route)", n->name);
	snprintf(field, sizeof(field), "nodes.%s.clat.ipv6", n->name);
	if (!nat64_clat_ipv6(p, n, v6))
		return topo_plan_fail(p, &c->src, field, err, "node '%s' has no IPv6 address of length /112 "
			     "or shorter to derive it from; give 'ipv6'", n->name);
	if (prefix_match(v6, c->prefix.addr, 96))
		return topo_plan_fail(p, &c->src, field, err, "%s is in the NAT64 prefix",
			     ntop(AF_INET6, v6, buf, sizeof(buf)));
	if (plan_has_addr(p, AF_INET6, v6, &node))
		return topo_plan_fail(p, &c->src, field, err, "%s is an address of node '%s'; the CLAT "
			     "needs an address of its own", ntop(AF_INET6, v6, buf, sizeof(buf)), node);
	return 0;
}

int nat64_validate(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	int rc = 0;

	if (n->nat64 != NULL)
		rc = check_nat64(p, n, err);
	if (rc == 0 && n->clat != NULL)
		rc = check_clat(p, n, err);
	return rc;
}

/* ---- plan helpers -------------------------------------------------------- */

bool nat64_in_plan(const struct topo_plan *p)
{
	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].nat64 != NULL || p->nodes[i].clat != NULL)
			return true;
	return false;
}

void nat64_nat44(const struct topo_nat64 *x, struct topo_nat *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->inside, sizeof(out->inside), "%s", x->inside);
	snprintf(out->outside, sizeof(out->outside), "%s", x->outside);
	out->mapping = x->mapping;
	out->filtering = x->filtering;
	out->port_preservation = x->port_preservation;
	out->udp_lifetime_s = x->udp_lifetime_s;
	out->max_mappings = x->max_mappings;
	out->families = TOPO_FAM_V4;
	out->src = x->src;
}

bool nat64_clat_ipv6(const struct topo_plan *p, const struct topo_node *n, unsigned char out[16])
{
	if (n->clat == NULL)
		return false;
	if (n->clat->has_ipv6) {
		memcpy(out, n->clat->ipv6, 16);
		return true;
	}
	for (size_t i = 0; i < p->n_links; i++) {
		const struct topo_end *e = topo_link_end_on(&p->links[i], n->name);

		for (size_t k = 0; e != NULL && k < e->n_addr; k++) {
			const struct topo_prefix *x = &e->addr[k];

			if (x->family != AF_INET6 || x->plen > 112 || x->addr[0] == 0xfe)
				continue;
			memset(out, 0, 16);
			for (unsigned b = 0; b < x->plen; b++)
				out[b / 8] |= x->addr[b / 8] & (unsigned char)(0x80 >> (b % 8));
			out[14] |= (unsigned char)(CLAT_HOST_ID >> 8);
			out[15] |= (unsigned char)(CLAT_HOST_ID & 0xff);
			return true;
		}
	}
	return false;
}

bool nat64_probe_target(const struct topo_plan *p, const struct topo_probe *pr,
			unsigned char v4[4])
{
	if (!pr->has_addr || pr->family != AF_INET6)
		return false;
	for (size_t i = 0; i < p->n_nodes; i++) {
		const struct topo_nat64 *x = p->nodes[i].nat64;

		if (x != NULL && x->prefix.family == AF_INET6 &&
		    prefix_match(x->prefix.addr, pr->addr, NAT64_PLEN)) {
			memcpy(v4, pr->addr + 12, 4);
			return true;
		}
	}
	return false;
}

/* ---- running TAYGA --------------------------------------------------------- */

static int add_svc(struct nat64_set *s, struct svc *v, struct icl_err *err)
{
	struct svc **a = realloc(s->svcs, (s->n + 1) * sizeof(*a));

	if (a == NULL) {
		svc_stop(v, 0);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	s->svcs = a;
	s->svcs[s->n++] = v;
	return 0;
}

static int write_conf(const char *path, const char *text, struct icl_err *err)
{
	FILE *f = fopen(path, "we");

	if (f == NULL)
		return icl_err_set(err, -errno, "writing %s: %s", path, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		return icl_err_set(err, -EIO, "writing %s: %s", path, strerror(errno));
	return 0;
}

/* TAYGA exits with an empty log when it cannot open its tun device, as in
 * rootless mode (netns/sandbox.h) with a /dev/net/tun of mode 0600: say
 * that instead.  Opening the device creates nothing. */
static int tayga_failed(const char *name, struct icl_err *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), e = errno;

	if (fd >= 0) {
		close(fd);
		return err->code;
	}
	return icl_err_set(err, -e, "%s: not runnable%s: TAYGA needs a tun device: "
			   "open /dev/net/tun: %s", name, sandbox_rootless() ? " without root" : "",
			   strerror(e));
}

/* Write the configuration, start TAYGA and wait for its tun; returns the
 * tun's index in the node. */
static int start_tayga(struct nat64_set *s, const char *node, int ns_fd, int rtnl_fd,
		       const char *tun, const char *dir, const char *conf_text, int *ifindex,
		       struct icl_err *err)
{
	char conf[4096], log[4096], name[64];
	struct svc_ready ready = {.kind = SVC_READY_IFACE, .timeout_ms = NAT64_READY_MS};
	char *argv[] = {"tayga", "--nodetach", "--config", conf, NULL};
	struct ifreq ifr;
	struct svc *v = NULL;
	int rc;

	snprintf(conf, sizeof(conf), "%s/tayga-%s-%s.conf", dir, node, tun);
	snprintf(log, sizeof(log), "%s/tayga-%s-%s.log", dir, node, tun);
	snprintf(name, sizeof(name), "tayga (%s) on %s", tun, node);
	snprintf(ready.name, sizeof(ready.name), "%s", tun);
	if ((rc = write_conf(conf, conf_text, err)) < 0)
		return rc;
	if ((rc = svc_start(name, ns_fd, argv, log, &ready, &v, err)) < 0)
		return rc == -ENOENT ? icl_err_wrap(err, "install tayga (scripts/install-deps)")
				     : tayga_failed(name, err);
	if ((rc = add_svc(s, v, err)) < 0)
		return rc;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tun);
	/* Any socket answers for its own namespace: this one is the node's. */
	if (ioctl(rtnl_fd, SIOCGIFINDEX, &ifr) != 0)
		return icl_err_set(err, -errno, "%s: index of %s: %s", name, tun, strerror(errno));
	*ifindex = ifr.ifr_ifindex;
	return 0;
}

static void route(struct link_batch *b, int family, const unsigned char *a, unsigned plen,
		  int ifindex, const char *what)
{
	struct topo_route r;

	memset(&r, 0, sizeof(r));
	r.dst.family = family;
	memcpy(r.dst.addr, a, family == AF_INET ? 4 : 16);
	r.dst.plen = plen;
	link_batch_route(b, &r, ifindex, what);
}

static int up_nat64(struct nat64_set *s, const struct topo_plan *p, size_t i, int ns_fd,
		    int rtnl_fd, const char *dir, struct link_batch *b, struct icl_err *err)
{
	const struct topo_nat64 *x = p->nodes[i].nat64;
	char pfx[INET6_ADDRSTRLEN], pool[INET_ADDRSTRLEN], self[INET_ADDRSTRLEN], text[512];
	unsigned char me[4];
	int ifindex, rc;

	/* TAYGA's own address (ICMP errors, pings): the pool's first host,
	 * which TAYGA takes out of the pool. */
	memcpy(me, x->pool.addr, 4);
	me[3] |= 1;
	snprintf(text, sizeof(text),
		 "# written by icelab for node %s\n"
		 "tun-device %s\nipv4-addr %s\nprefix %s/%u\ndynamic-pool %s/%u\n",
		 p->nodes[i].name, TOPO_NAT64_TUN, ntop(AF_INET, me, self, sizeof(self)),
		 ntop(AF_INET6, x->prefix.addr, pfx, sizeof(pfx)), x->prefix.plen,
		 ntop(AF_INET, x->pool.addr, pool, sizeof(pool)), x->pool.plen);
	rc = start_tayga(s, p->nodes[i].name, ns_fd, rtnl_fd, TOPO_NAT64_TUN, dir, text, &ifindex,
			 err);
	if (rc < 0)
		return rc;
	link_batch_up(b, ifindex, "nat64: setting tun up");
	route(b, AF_INET6, x->prefix.addr, x->prefix.plen, ifindex, "nat64: route to the prefix");
	route(b, AF_INET, x->pool.addr, x->pool.plen, ifindex, "nat64: route to the pool");
	rc = link_batch_run(rtnl_fd, b, err);
	return rc < 0 ? icl_err_wrap(err, "node %s", p->nodes[i].name) : 0;
}

/* The interface name of node `n` whose IPv6 prefix holds `a`; NULL if none. */
static const char *onlink_ifname(const struct topo_plan *p, const struct topo_node *n,
				 const unsigned char *a)
{
	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], n->name);

		for (size_t j = 0; e != NULL && j < e->n_addr; j++)
			if (e->addr[j].family == AF_INET6 &&
			    prefix_match(e->addr[j].addr, a, e->addr[j].plen))
				return e->ifname;
	}
	return NULL;
}

static int up_clat(struct nat64_set *s, const struct topo_plan *p, size_t i, int ns_fd,
		   int rtnl_fd, const char *dir, struct link_batch *b, struct icl_err *err)
{
	const struct topo_node *n = &p->nodes[i];
	const struct topo_clat *c = n->clat;
	char pfx[INET6_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], v4[INET_ADDRSTRLEN], self[16], text[512];
	unsigned char a6[16], zero[4] = {0};
	struct topo_prefix mine = {.family = AF_INET, .plen = 32};
	const char *ifname;
	int ifindex, rc;

	nat64_clat_ipv6(p, n, a6);
	snprintf(self, sizeof(self), "%s", CLAT_TAYGA_IPV4);
	if (!strcmp(self, ntop(AF_INET, c->ipv4, v4, sizeof(v4))))
		self[strlen(self) - 1] = '3';
	snprintf(text, sizeof(text),
		 "# written by icelab for node %s\n"
		 "tun-device %s\nipv4-addr %s\nprefix %s/%u\nmap %s %s\n",
		 n->name, TOPO_CLAT_TUN, self, ntop(AF_INET6, c->prefix.addr, pfx, sizeof(pfx)),
		 c->prefix.plen, v4, ntop(AF_INET6, a6, v6, sizeof(v6)));
	rc = start_tayga(s, n->name, ns_fd, rtnl_fd, TOPO_CLAT_TUN, dir, text, &ifindex, err);
	if (rc < 0)
		return rc;
	memcpy(mine.addr, c->ipv4, 4);
	link_batch_up(b, ifindex, "clat: setting tun up");
	link_batch_addr(b, ifindex, &mine, "clat: adding the IPv4 address");
	route(b, AF_INET, zero, 0, ifindex, "clat: IPv4 default route");
	route(b, AF_INET6, a6, 128, ifindex, "clat: route to the CLAT's IPv6 address");
	if ((ifname = onlink_ifname(p, n, a6)) != NULL) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (ioctl(rtnl_fd, SIOCGIFINDEX, &ifr) != 0)
			return icl_err_set(err, -errno, "node %s: index of %s: %s", n->name, ifname,
					   strerror(errno));
		link_batch_proxy_ndp(b, ifr.ifr_ifindex, a6, "clat: proxy NDP entry");
	}
	rc = link_batch_run(rtnl_fd, b, err);
	return rc < 0 ? icl_err_wrap(err, "node %s", n->name) : 0;
}

int nat64_up(const struct topo_plan *p, const int *ns_fds, const int *rtnl_fds, const char *dir,
	     struct nat64_set **out, struct icl_err *err)
{
	struct nat64_set *s;
	struct link_batch *b;
	int rc = 0;

	*out = NULL;
	if (!nat64_in_plan(p))
		return 0;
	if (dir == NULL)
		return icl_err_set(err, -EINVAL, "nat64: no directory for TAYGA's files");
	s = calloc(1, sizeof(*s));
	b = link_batch_new();
	if (s == NULL || b == NULL) {
		free(s);
		link_batch_free(b);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < p->n_nodes; i++) {
		if (p->nodes[i].nat64 != NULL)
			rc = up_nat64(s, p, i, ns_fds[i], rtnl_fds[i], dir, b, err);
		if (rc == 0 && p->nodes[i].clat != NULL)
			rc = up_clat(s, p, i, ns_fds[i], rtnl_fds[i], dir, b, err);
	}
	link_batch_free(b);
	if (rc < 0) {
		nat64_down(s);
		return rc;
	}
	*out = s;
	return 0;
}

bool nat64_ended(const struct nat64_set *s, char *why, size_t cap)
{
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (svc_ended(s->svcs[i], why, cap))
			return true;
	return false;
}

void nat64_down(struct nat64_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		svc_stop(s->svcs[i], NAT64_STOP_GRACE_MS);
	free(s->svcs);
	free(s);
}
