#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fs.h"
#include "../common/tmpdir.h"
#include "impair.h"
#include "link.h"
#include "nat64.h"
#include "dns64.h"
#include "nft.h"
#include "ns.h"
#include "rules.h"
#include "turn.h"

#define TOPO_LINK_UP_MS 2000

/* Interface indexes are chosen, not looked up: the ends of link k get
 * BASE + 2k and BASE + 2k + 1 in their namespaces.  BASE keeps clear of
 * the fallback tunnel devices (sit0, gre0, ...) that a new namespace gets
 * when their modules are loaded. */
#define TOPO_IFINDEX_BASE 100

struct topo {
	const struct topo_plan *plan;
	int home_fd; /* the namespace topo_up() was called from */
	int *fds;    /* per plan->nodes[i]; -1 until created */
	struct impair *impair; /* the links' impairment; NULL: none */
	uint64_t seed;         /* what it draws from (topo_up_seeded) */
	char *dir;   /* private directory for services' files (topo_dir()) */
	struct nat64_set *nat64; /* TAYGA instances (nat64.h); NULL if none */
	struct dns64_set *dns64; /* DNS64 resolvers (dns64.h); NULL if none */
	struct turn_set *turn; /* TURN servers (turn.h); NULL if none */
};

enum node_state { NODE_PENDING, NODE_UP, NODE_FAILED };

/* One node under construction.  Its thread creates the namespace and does
 * what needs a thread inside it (sysctls through /proc, opening sockets,
 * nftables); the caller's thread does the rest through the node's socket,
 * which acts in the node whatever thread uses it. */
struct node_job {
	struct build *b;
	size_t i;
	enum node_state state; /* guarded by b->mu */
	int sk;                /* rtnetlink socket in the node */
	struct link_watch *watch;
	struct icl_err err;    /* the thread's failure; read after state or join */
	int rc;
	pthread_t tid;
	bool started;
};

struct build {
	struct topo *t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct node_job *jobs;
};

static int node_index(const struct topo_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_nodes; i++)
		if (strcmp(plan->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int end_ifindex(const struct topo_plan *p, const struct topo_link *l, int end)
{
	return TOPO_IFINDEX_BASE + 2 * (int)(l - p->links) + end;
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
	static const char *const clat[][2] = {
		{"net/ipv6/conf/all/forwarding", "1"},
		{"net/ipv6/conf/all/proxy_ndp", "1"},
	};
	int rc;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		if ((rc = ns_sysctl_write(base[i][0], base[i][1], err)) < 0)
			return rc;
	/* A CLAT's IPv6 packets come out of its tun and leave through a
	 * link; its address is answered for by proxy NDP (nat64.h). */
	for (size_t i = 0; n->clat != NULL && i < sizeof(clat) / sizeof(clat[0]); i++)
		if ((rc = ns_sysctl_write(clat[i][0], clat[i][1], err)) < 0)
			return rc;
	if (!n->router)
		return 0;
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		if ((rc = ns_sysctl_write(fwd[i][0], fwd[i][1], err)) < 0)
			return rc;
	return 0;
}

/* In the node's thread: the namespace, its settings and its sockets. */
static int node_create(struct node_job *j)
{
	const struct topo_node *n = &j->b->t->plan->nodes[j->i];
	int fd = -1;
	int rc = ns_create(&fd, &j->err);

	if (rc == 0) {
		pthread_mutex_lock(&j->b->mu);
		j->b->t->fds[j->i] = fd;
		pthread_mutex_unlock(&j->b->mu);
		rc = node_sysctls(n, &j->err);
	}
	if (rc == 0)
		rc = link_sock_open(&j->sk, &j->err);
	if (rc == 0)
		rc = link_watch_open(&j->watch, &j->err);
	return rc;
}

static int node_rules(struct node_job *j)
{
	const struct topo_plan *p = j->b->t->plan;
	char *rules = NULL;
	int rc = topo_rules_text(p, &p->nodes[j->i], &rules, &j->err);

	if (rc == 0 && rules != NULL)
		rc = nft_apply(rules, &j->err);
	free(rules);
	return rc;
}

static void publish(struct node_job *j, enum node_state st)
{
	pthread_mutex_lock(&j->b->mu);
	j->state = st;
	pthread_cond_broadcast(&j->b->cv);
	pthread_mutex_unlock(&j->b->mu);
}

/* The rules need no link (nat.c and filter.c name interfaces by name), so
 * the thread loads them while the caller's thread builds the links, on the
 * other core.  They overlap only in part: a link created in this node
 * meanwhile waits in the kernel for the rules' commit (nf_tables' netdev
 * notifier takes the commit mutex).  Measured: holding the node's links
 * back until the rules are loaded, or the rules until the node is
 * configured, is 0.1-0.3 ms slower. */
static void *node_thread(void *arg)
{
	struct node_job *j = arg;
	const char *name = j->b->t->plan->nodes[j->i].name;
	int rc = node_create(j);

	if (rc < 0) {
		icl_err_wrap(&j->err, "node %s", name);
		j->rc = rc;
		publish(j, NODE_FAILED);
		return NULL;
	}
	publish(j, NODE_UP);
	rc = node_rules(j);
	if (rc < 0)
		icl_err_wrap(&j->err, "node %s", name);
	j->rc = rc;
	return NULL;
}

/* Wait for node `i`'s namespace; on failure `err` gets the node's error. */
static int await_node(struct build *b, size_t i, struct icl_err *err)
{
	struct node_job *j = &b->jobs[i];
	enum node_state st;

	pthread_mutex_lock(&b->mu);
	while (j->state == NODE_PENDING)
		pthread_cond_wait(&b->cv, &b->mu);
	st = j->state;
	pthread_mutex_unlock(&b->mu);
	if (st == NODE_UP)
		return 0;
	*err = j->err;
	return j->rc;
}

/* Link k, as soon as both its namespaces exist; one end is up already. */
static int create_link(struct build *b, size_t k, struct link_batch *batch, struct icl_err *err)
{
	const struct topo_plan *p = b->t->plan;
	const struct topo_link *l = &p->links[k];
	int a = node_index(p, l->end[0].node), z = node_index(p, l->end[1].node);
	struct link_veth v = {l->end[0].ifname, end_ifindex(p, l, 0), l->end[1].ifname,
			      end_ifindex(p, l, 1), -1, l->mtu};
	char what[96];
	int rc = await_node(b, (size_t)a, err);

	if (rc == 0)
		rc = await_node(b, (size_t)z, err);
	if (rc < 0)
		return rc;
	v.peer_ns_fd = b->t->fds[z];
	snprintf(what, sizeof(what), "node %s: link %s: creating veth pair", l->end[0].node,
		 l->name);
	link_batch_veth(batch, &v, what);
	return link_batch_run(b->jobs[a].sk, batch, err);
}

/* The node's side of its links: the far ends up, addresses (IPv6 without
 * DAD), and what readiness means for each. */
static int queue_ends(struct build *b, size_t i, struct link_batch *batch, struct icl_err *err)
{
	const struct topo_plan *p = b->t->plan;
	const char *node = p->nodes[i].name;
	char what[160];

	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_link *l = &p->links[k];
		const struct topo_end *e = topo_link_end_on(l, node);
		int ifindex;

		if (e == NULL)
			continue;
		ifindex = end_ifindex(p, l, e == &l->end[0] ? 0 : 1);
		snprintf(what, sizeof(what), "link %s, interface %s: setting link up", l->name,
			 e->ifname);
		if (e == &l->end[1]) /* the first end was created up */
			link_batch_up(batch, ifindex, what);
		for (size_t a = 0; a < e->n_addr; a++) {
			snprintf(what, sizeof(what), "link %s, interface %s: adding address %zu",
				 l->name, e->ifname, a + 1);
			link_batch_addr(batch, ifindex, &e->addr[a], what);
		}
		if (link_watch_expect(b->jobs[i].watch, ifindex, e->ifname, e->addr, e->n_addr,
				      err) < 0)
			return err->code;
	}
	return 0;
}

static void queue_routes(const struct topo_plan *p, const struct topo_node *n,
			 struct link_batch *batch)
{
	char what[64];

	for (size_t r = 0; r < n->n_routes; r++) {
		const struct topo_route *rt = &n->routes[r];
		const struct topo_link *l = rt->dev[0] ? topo_plan_link(p, rt->dev) : NULL;
		int ifindex = 0;

		if (l != NULL)
			ifindex = end_ifindex(p, l, topo_link_end_on(l, n->name) == &l->end[0] ? 0 : 1);
		snprintf(what, sizeof(what), "route %zu", r + 1);
		link_batch_route(batch, rt, ifindex, what);
	}
}

/* One batch: loopback and links up, addresses, then routes (a gateway
 * must be reachable through an address by then). */
static int config_node(struct build *b, size_t i, struct link_batch *batch, struct icl_err *err)
{
	const struct topo_plan *p = b->t->plan;
	int rc = await_node(b, i, err);

	if (rc < 0)
		return rc;
	link_batch_up(batch, 1, "loopback: setting link up"); /* lo is always 1 */
	rc = queue_ends(b, i, batch, err);
	queue_routes(p, &p->nodes[i], batch);
	if (rc == 0)
		rc = link_batch_run(b->jobs[i].sk, batch, err);
	if (rc < 0)
		icl_err_wrap(err, "node %s", p->nodes[i].name);
	return rc;
}

/* The last link that has an end on node `i`; -1 if none. */
static long last_link(const struct topo_plan *p, size_t i)
{
	long last = -1;

	for (size_t k = 0; k < p->n_links; k++)
		if (topo_link_end_on(&p->links[k], p->nodes[i].name) != NULL)
			last = (long)k;
	return last;
}

/* Links in plan order; each node is configured as soon as its last link
 * exists, while the namespaces of later nodes may still be in the making. */
static int create_and_config(struct build *b, struct icl_err *err)
{
	const struct topo_plan *p = b->t->plan;
	struct link_batch *batch = link_batch_new();
	int rc = batch ? 0 : icl_err_set(err, -ENOMEM, "out of memory");

	for (long k = -1; rc == 0 && k < (long)p->n_links; k++) {
		if (k >= 0)
			rc = create_link(b, (size_t)k, batch, err);
		for (size_t i = 0; rc == 0 && i < p->n_nodes; i++)
			if (last_link(p, i) == k)
				rc = config_node(b, i, batch, err);
	}
	link_batch_free(batch);
	return rc;
}

static int wait_nodes(struct build *b, struct icl_err *err)
{
	for (size_t i = 0; i < b->t->plan->n_nodes; i++)
		if (link_watch_wait(b->jobs[i].watch, TOPO_LINK_UP_MS, err) < 0)
			return icl_err_wrap(err, "node %s", b->t->plan->nodes[i].name);
	return 0;
}

/* Worker threads block every signal: signals stay with the caller's
 * threads, whatever handlers or signalfd the caller set up. */
static int start_threads(struct build *b, struct icl_err *err)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; rc == 0 && i < b->t->plan->n_nodes; i++) {
		struct node_job *j = &b->jobs[i];

		rc = pthread_create(&j->tid, NULL, node_thread, j);
		j->started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return icl_err_set(err, -rc, "starting a thread: %s", strerror(rc));
	return 0;
}

/* Join the threads; then the first thread failure, if the caller's own
 * work succeeded. */
static int finish_threads(struct build *b, int rc, struct icl_err *err)
{
	for (size_t i = 0; i < b->t->plan->n_nodes; i++) {
		struct node_job *j = &b->jobs[i];

		if (!j->started)
			continue;
		pthread_join(j->tid, NULL);
		if (rc == 0 && j->rc < 0) {
			*err = j->err;
			rc = j->rc;
		}
	}
	return rc;
}

/* Whether the plan runs services (TAYGA, unbound, turnserver), whose
 * configurations and logs go into the private directory. */
static bool plan_has_services(const struct topo_plan *p)
{
	if (nat64_in_plan(p))
		return true;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].dns64 != NULL || p->nodes[i].turn != NULL)
			return true;
	return false;
}

/* The private directory: only for a topology that runs services. */
static int make_dir(struct topo *t, struct icl_err *err)
{
	char tmpl[PATH_MAX];

	if (t->dir != NULL)
		return 0;
	/* Under the sandbox's private TMPDIR (sandbox.h) when there is one. */
	if (icl_tmp_path(tmpl, sizeof(tmpl), "icelab-topo-XXXXXX") < 0)
		return icl_err_set(err, -ENAMETOOLONG, "TMPDIR is too long: %s", icl_tmpdir());
	if (mkdtemp(tmpl) == NULL)
		return icl_err_set(err, -errno, "creating a directory like %s: %s", tmpl,
				   strerror(errno));
	t->dir = strdup(tmpl);
	if (t->dir == NULL) {
		rmdir(tmpl);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* TAYGA, once every link and address exists; from the calling thread,
 * which the services' PR_SET_PDEATHSIG is tied to (svc.h). */
static int start_nat64(struct build *b, struct icl_err *err)
{
	const struct topo_plan *p = b->t->plan;
	int *sks;
	int rc;

	if (!nat64_in_plan(p))
		return 0;
	sks = calloc(p->n_nodes + 1, sizeof(*sks));
	if (sks == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n_nodes; i++)
		sks[i] = b->jobs[i].sk;
	rc = nat64_up(p, b->t->fds, sks, b->t->dir, &b->t->nat64, err);
	free(sks);
	return rc;
}

static int build(struct build *b, struct icl_err *err)
{
	int rc = start_threads(b, err);

	if (rc == 0)
		rc = create_and_config(b, err);
	if (rc == 0)
		rc = wait_nodes(b, err);
	if (rc == 0)
		rc = start_nat64(b, err);
	return finish_threads(b, rc, err);
}

static void build_free(struct build *b)
{
	for (size_t i = 0; b->jobs != NULL && i < b->t->plan->n_nodes; i++) {
		if (b->jobs[i].sk >= 0)
			close(b->jobs[i].sk);
		link_watch_close(b->jobs[i].watch);
	}
	free(b->jobs);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}

static int build_init(struct build *b, struct topo *t, struct icl_err *err)
{
	size_t n = t->plan->n_nodes;

	memset(b, 0, sizeof(*b));
	b->t = t;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->jobs = calloc(n + 1, sizeof(*b->jobs));
	if (b->jobs == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		b->jobs[i].b = b;
		b->jobs[i].i = i;
		b->jobs[i].sk = -1;
	}
	return 0;
}

static struct topo *topo_alloc(const struct topo_plan *plan)
{
	struct topo *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->fds = calloc(plan->n_nodes + 1, sizeof(int))) == NULL) {
		free(t);
		return NULL;
	}
	t->plan = plan;
	t->home_fd = -1;
	for (size_t i = 0; i < plan->n_nodes; i++)
		t->fds[i] = -1;
	return t;
}

int topo_up(const struct topo_plan *plan, struct topo **out, struct icl_err *err)
{
	return topo_up_seeded(plan, TOPO_SEED_DEFAULT, out, err);
}

int topo_up_seeded(const struct topo_plan *plan, uint64_t seed, struct topo **out,
		   struct icl_err *err)
{
	struct topo *t = topo_alloc(plan);
	struct build b;
	int rc;

	*out = NULL;
	if (t == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	rc = build_init(&b, t, err);
	if (rc == 0)
		rc = ns_open_current(&t->home_fd, err);
	if (rc == 0 && plan_has_services(plan))
		rc = make_dir(t, err);
	if (rc == 0)
		rc = build(&b, err);
	build_free(&b);
	if (rc == 0) /* from the calling thread, like every service */
		rc = dns64_start(t, &t->dns64, err);
	if (rc == 0) /* services start from the calling thread: see turn.h */
		rc = turn_up(t, &t->turn, err);
	if (rc == 0) { /* last, from the calling thread (impair.h) */
		t->seed = seed;
		if ((rc = impair_start_plan(t, seed, &t->impair, err)) < 0)
			icl_err_wrap(err, "impairment");
	}
	if (rc < 0) {
		topo_down(t);
		return rc;
	}
	*out = t;
	return 0;
}

bool topo_service_ended(const struct topo *t, char *why, size_t cap)
{
	return t != NULL && (nat64_ended(t->nat64, why, cap) || dns64_ended(t->dns64, why, cap) ||
			     turn_ended(t->turn, why, cap));
}

void topo_down(struct topo *t)
{
	if (t == NULL)
		return;
	impair_stop(t->impair);
	nat64_down(t->nat64);
	dns64_stop(t->dns64);
	turn_down(t->turn);
	/* The services are gone: what still runs in a node left its group
	 * (setsid) and would hold the namespace for as long as it runs. */
	ns_kill_members(t->fds, t->plan->n_nodes);
	for (size_t i = 0; i < t->plan->n_nodes; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	if (t->home_fd >= 0)
		close(t->home_fd);
	icl_rm_tree(t->dir);
	free(t->dir);
	free(t->fds);
	free(t);
}

const char *topo_dir(const struct topo *t)
{
	return t->dir;
}

const struct topo_plan *topo_plan(const struct topo *t)
{
	return t->plan;
}

struct impair *topo_impair(const struct topo *t)
{
	return t->impair;
}

uint64_t topo_seed(const struct topo *t)
{
	return t->seed;
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
