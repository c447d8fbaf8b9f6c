#include "topo.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "nft.h"
#include "ns.h"
#include "rules.h"

#define TOPO_LINK_UP_MS 2000

struct topo {
	const struct topo_plan *plan;
	int home_fd; /* the namespace topo_up() was called from */
	int *fds;    /* per plan->nodes[i]; -1 until created */
};

static int node_index(const struct topo_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_nodes; i++)
		if (strcmp(plan->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Settings that must hold before the first link or address exists. */
static int node_sysctls(const struct topo_node *n, struct icl_err *err)
{
	static const char *const base[][2] = {
		{"net/ipv6/conf/all/accept_dad", "0"},
		{"net/ipv6/conf/default/accept_dad", "0"},
		/* Quiet captures: no router solicitations from hosts. */
		{"net/ipv6/conf/default/router_solicitations", "0"},
	};
	static const char *const fwd[][2] = {
		{"net/ipv4/ip_forward", "1"},
		{"net/ipv6/conf/all/forwarding", "1"},
	};
	int rc;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		if ((rc = ns_sysctl_write(base[i][0], base[i][1], err)) < 0)
			return rc;
	if (!n->router)
		return 0;
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		if ((rc = ns_sysctl_write(fwd[i][0], fwd[i][1], err)) < 0)
			return rc;
	return 0;
}

/* Pass 1: a namespace per node, with loopback up. */
static int create_node(struct topo *t, size_t i, struct icl_err *err)
{
	const struct topo_node *n = &t->plan->nodes[i];
	struct nl_sock *sk = NULL;
	int rc;

	rc = ns_create(&t->fds[i], err);
	if (rc == 0)
		rc = node_sysctls(n, err);
	if (rc == 0)
		rc = link_sock_open(&sk, err);
	if (rc == 0)
		rc = link_up(sk, "lo", NULL, err);
	link_sock_close(sk);
	if (rc < 0)
		icl_err_wrap(err, "node %s", n->name);
	return rc;
}

/* Pass 2: each node creates the links whose first end it holds. */
static int create_links(struct topo *t, size_t i, struct nl_sock *sk, struct icl_err *err)
{
	const struct topo_plan *p = t->plan;

	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_link *l = &p->links[k];
		int peer;

		if (strcmp(l->end[0].node, p->nodes[i].name) != 0)
			continue;
		peer = node_index(p, l->end[1].node);
		if (link_veth_add(sk, l->end[0].ifname, l->end[1].ifname, t->fds[peer], l->mtu,
				  err) < 0)
			return icl_err_wrap(err, "link %s", l->name);
	}
	return 0;
}

static int config_end(struct nl_sock *sk, const struct topo_link *l, const struct topo_end *e,
		      struct icl_err *err)
{
	int ifindex, rc;

	rc = link_up(sk, e->ifname, &ifindex, err);
	for (size_t a = 0; rc == 0 && a < e->n_addr; a++)
		rc = link_addr_add(sk, ifindex, &e->addr[a], err);
	if (rc < 0)
		icl_err_wrap(err, "link %s, interface %s", l->name, e->ifname);
	return rc;
}

static int config_routes(struct nl_sock *sk, const struct topo_node *n, const struct topo_plan *p,
			 struct icl_err *err)
{
	for (size_t r = 0; r < n->n_routes; r++) {
		const struct topo_route *rt = &n->routes[r];
		const struct topo_link *l = rt->dev[0] ? topo_plan_link(p, rt->dev) : NULL;
		int ifindex = 0;

		if (l != NULL) {
			const struct topo_end *e = topo_link_end_on(l, n->name);

			ifindex = (int)if_nametoindex(e->ifname);
		}
		if (link_route_add(sk, rt, ifindex, err) < 0)
			return icl_err_wrap(err, "route %zu", r + 1);
	}
	return 0;
}

/* Pass 3: interfaces up with their addresses, then routes, then rules. */
static int config_node(struct topo *t, size_t i, struct nl_sock *sk, struct icl_err *err)
{
	const struct topo_plan *p = t->plan;
	const struct topo_node *n = &p->nodes[i];
	char *rules = NULL;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], n->name);

		if (e != NULL)
			rc = config_end(sk, &p->links[k], e, err);
	}
	if (rc == 0)
		rc = config_routes(sk, n, p, err);
	if (rc == 0)
		rc = topo_rules_text(p, n, &rules, err);
	if (rc == 0 && rules != NULL)
		rc = nft_apply(rules, err);
	free(rules);
	return rc;
}

/* Pass 4: every interface of the node is running.  By now the kernel has
 * usually processed the carrier events; this makes it certain. */
static int wait_node(struct topo *t, size_t i, struct nl_sock *sk, struct icl_err *err)
{
	const struct topo_plan *p = t->plan;

	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], p->nodes[i].name);

		if (e != NULL && link_wait_running(sk, e->ifname, TOPO_LINK_UP_MS, err) < 0)
			return err->code;
	}
	return 0;
}

typedef int (*node_pass_fn)(struct topo *t, size_t i, struct nl_sock *sk, struct icl_err *err);

/* Run `fn` inside every node with a netlink socket opened there. */
static int each_node(struct topo *t, node_pass_fn fn, struct icl_err *err)
{
	for (size_t i = 0; i < t->plan->n_nodes; i++) {
		struct nl_sock *sk = NULL;
		int rc = ns_enter(t->fds[i], err);

		if (rc == 0)
			rc = link_sock_open(&sk, err);
		if (rc == 0)
			rc = fn(t, i, sk, err);
		link_sock_close(sk);
		if (rc < 0) {
			icl_err_wrap(err, "node %s", t->plan->nodes[i].name);
			return rc;
		}
	}
	return 0;
}

static int build(struct topo *t, struct icl_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->plan->n_nodes; i++)
		rc = create_node(t, i, err);
	if (rc == 0)
		rc = each_node(t, create_links, err);
	if (rc == 0)
		rc = each_node(t, config_node, err);
	if (rc == 0)
		rc = each_node(t, wait_node, err);
	return rc;
}

int topo_up(const struct topo_plan *plan, struct topo **out, struct icl_err *err)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct icl_err back;
	int rc;

	*out = NULL;
	if (t == NULL || (t->fds = calloc(plan->n_nodes + 1, sizeof(int))) == NULL) {
		free(t);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	t->plan = plan;
	for (size_t i = 0; i < plan->n_nodes; i++)
		t->fds[i] = -1;
	rc = ns_open_current(&t->home_fd, err);
	if (rc < 0) {
		t->home_fd = -1;
		topo_down(t);
		return rc;
	}
	rc = build(t, err);
	/* Always go home, even on failure: the caller's sockets live there. */
	if (ns_enter(t->home_fd, &back) < 0) {
		fprintf(stderr, "icelab: cannot return to the home namespace: %s\n", back.msg);
		abort();
	}
	if (rc < 0) {
		topo_down(t);
		return rc;
	}
	*out = t;
	return 0;
}

void topo_down(struct topo *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->plan->n_nodes; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	if (t->home_fd >= 0)
		close(t->home_fd);
	free(t->fds);
	free(t);
}

const struct topo_plan *topo_plan(const struct topo *t)
{
	return t->plan;
}

int topo_node_fd(const struct topo *t, const char *name)
{
	int i = node_index(t->plan, name);

	return i < 0 ? -1 : t->fds[i];
}

int topo_enter(const struct topo *t, const char *name, struct icl_err *err)
{
	int fd = topo_node_fd(t, name);

	if (fd < 0)
		return icl_err_set(err, -ENOENT, "no node named '%s'", name);
	return ns_enter(fd, err);
}

int topo_leave(const struct topo *t, struct icl_err *err)
{
	return ns_enter(t->home_fd, err);
}
