#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

/* libnl returns its own negative codes; keep its text, map to -EIO-ish. */
static int nl_fail(struct icl_err *err, int nlerr, const char *what)
{
	return icl_err_set(err, nlerr == -NLE_NOMEM ? -ENOMEM : -EIO, "%s: %s", what,
			   nl_geterror(nlerr));
}

int link_sock_open(struct nl_sock **sk, struct icl_err *err)
{
	int rc;

	*sk = nl_socket_alloc();
	if (*sk == NULL)
		return icl_err_set(err, -ENOMEM, "nl_socket_alloc failed");
	rc = nl_connect(*sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(*sk);
		*sk = NULL;
		return nl_fail(err, rc, "connecting to rtnetlink");
	}
	return 0;
}

void link_sock_close(struct nl_sock *sk)
{
	if (sk != NULL)
		nl_socket_free(sk);
}

int link_veth_add(struct nl_sock *sk, const char *name, const char *peer, int peer_ns_fd,
		  unsigned mtu, struct icl_err *err)
{
	struct rtnl_link *l = rtnl_link_veth_alloc();
	struct rtnl_link *p;
	int rc;

	if (l == NULL)
		return icl_err_set(err, -ENOMEM, "rtnl_link_veth_alloc failed");
	p = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, name);
	rtnl_link_set_name(p, peer);
	rtnl_link_set_ns_fd(p, peer_ns_fd);
	if (mtu != 0) {
		rtnl_link_set_mtu(l, mtu);
		rtnl_link_set_mtu(p, mtu);
	}
	/* IFF_UP must not be in the create request: the kernel rejects it. */
	rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	rtnl_link_veth_release(l);
	if (rc < 0)
		return nl_fail(err, rc, "creating veth pair");
	return 0;
}

int link_up(struct nl_sock *sk, const char *name, int *ifindex, struct icl_err *err)
{
	struct rtnl_link *cur = NULL, *chg;
	int rc;

	rc = rtnl_link_get_kernel(sk, 0, name, &cur);
	if (rc < 0)
		return nl_fail(err, rc, "looking up link");
	chg = rtnl_link_alloc();
	if (chg == NULL) {
		rtnl_link_put(cur);
		return icl_err_set(err, -ENOMEM, "rtnl_link_alloc failed");
	}
	rtnl_link_set_flags(chg, IFF_UP);
	rc = rtnl_link_change(sk, cur, chg, 0);
	if (ifindex != NULL)
		*ifindex = rtnl_link_get_ifindex(cur);
	rtnl_link_put(chg);
	rtnl_link_put(cur);
	if (rc < 0)
		return nl_fail(err, rc, "setting link up");
	return 0;
}

static bool is_link_local6(const unsigned char *b)
{
	return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

/* Does the local table route `addr` (16 bytes) to this host yet? */
static bool has_local_route(struct nl_cache *routes, const unsigned char *addr)
{
	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *d = rtnl_route_get_dst(r);

		if (rtnl_route_get_table(r) == RT_TABLE_LOCAL && d != NULL &&
		    nl_addr_get_prefixlen(d) == 128 && nl_addr_get_len(d) == 16 &&
		    memcmp(nl_addr_get_binary_addr(d), addr, 16) == 0)
			return true;
	}
	return false;
}

/* IPv6 finishes each address in a work queue after it was added: only
 * then is it non-tentative, routed locally and answering neighbour
 * solicitations.  Ready means: a link-local address exists (the carrier
 * change reached IPv6) and every IPv6 address of the link is finished. */
static bool ipv6_ready(struct nl_cache *addrs, struct nl_cache *routes, int ifindex)
{
	bool have_ll = false;

	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		const unsigned char *b;

		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET6 ||
		    l == NULL)
			continue;
		b = nl_addr_get_binary_addr(l);
		if ((rtnl_addr_get_flags(a) & IFA_F_TENTATIVE) || !has_local_route(routes, b))
			return false;
		have_ll = have_ll || is_link_local6(b);
	}
	return have_ll;
}

static int link_ready(struct nl_sock *sk, const char *name, bool *ready, struct icl_err *err)
{
	struct rtnl_link *cur = NULL;
	struct nl_cache *addrs = NULL, *routes = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, name, &cur);
	int ifindex;
	unsigned flags;

	*ready = false;
	if (rc < 0)
		return nl_fail(err, rc, "looking up link");
	ifindex = rtnl_link_get_ifindex(cur);
	flags = rtnl_link_get_flags(cur);
	rtnl_link_put(cur);
	if (!(flags & IFF_RUNNING))
		return 0;
	rc = rtnl_addr_alloc_cache(sk, &addrs);
	if (rc == 0)
		rc = rtnl_route_alloc_cache(sk, AF_INET6, 0, &routes);
	if (rc == 0)
		*ready = ipv6_ready(addrs, routes, ifindex);
	nl_cache_free(addrs);
	nl_cache_free(routes);
	return rc < 0 ? nl_fail(err, rc, "listing addresses and routes") : 0;
}

int link_wait_running(struct nl_sock *sk, const char *name, unsigned timeout_ms,
		      struct icl_err *err)
{
	const struct timespec pause = {.tv_nsec = 100 * 1000};
	unsigned waited_us = 0;
	bool ready;

	for (;;) {
		int rc = link_ready(sk, name, &ready, err);

		if (rc < 0 || ready)
			return rc;
		if (waited_us >= timeout_ms * 1000u)
			return icl_err_set(err, -ETIMEDOUT, "link %s not ready after %u ms", name,
					   timeout_ms);
		nanosleep(&pause, NULL);
		waited_us += 100;
	}
}

static struct nl_addr *mk_addr(int family, const unsigned char *bytes, unsigned plen)
{
	struct nl_addr *a = nl_addr_build(family, bytes, family == AF_INET ? 4 : 16);

	if (a != NULL)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

int link_addr_add(struct nl_sock *sk, int ifindex, const struct topo_prefix *p,
		  struct icl_err *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = mk_addr(p->family, p->addr, p->plen);
	int rc;

	if (ra == NULL || local == NULL) {
		rtnl_addr_put(ra);
		nl_addr_put(local);
		return icl_err_set(err, -ENOMEM, "allocating address");
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_local(ra, local);
	/* No DAD: the first packet over a new link must not wait for it. */
	if (p->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	rc = rtnl_addr_add(sk, ra, 0);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (rc < 0)
		return nl_fail(err, rc, "adding address");
	return 0;
}

int link_route_add(struct nl_sock *sk, const struct topo_route *r, int ifindex,
		   struct icl_err *err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = mk_addr(r->dst.family, r->dst.addr, r->dst.plen);
	struct nl_addr *gw = NULL;
	int rc;

	if (r->has_via)
		gw = mk_addr(r->dst.family, r->via, r->dst.family == AF_INET ? 32 : 128);
	if (rt == NULL || nh == NULL || dst == NULL || (r->has_via && gw == NULL)) {
		rc = icl_err_set(err, -ENOMEM, "allocating route");
		goto out;
	}
	rtnl_route_set_family(rt, (uint8_t)r->dst.family);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, r->has_via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (gw != NULL)
		rtnl_route_nh_set_gateway(nh, gw);
	if (ifindex > 0)
		rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL; /* owned by the route now */
	rc = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0)
		rc = nl_fail(err, rc, "adding route");
out:
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	rtnl_route_put(rt);
	nl_addr_put(dst);
	nl_addr_put(gw);
	return rc;
}
