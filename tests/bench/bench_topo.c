/* bench-topo: median up+down time of a topology built by icelab versus the
 * same topology built with `ip` and `nft` commands.
 *
 * The command version is generated from the same plan: one `ip netns add`
 * per node, the same sysctls, veth pairs, addresses (nodad), routes, and
 * the very nftables text icelab loads, through `nft -f`.  Both are timed
 * from start of build to return of teardown.
 *
 * A third figure puts icelab's in context: the kernel floor, the same
 * namespaces and veth pairs and nothing else (no sysctls, addresses,
 * routes, rules or readiness wait), created one after the other.
 *
 * The runs go in rounds, each a block of icelab builds, one of scripts and
 * one of floors, so that all three see the machine in the same state: a
 * shared VM's speed drifts by a quarter within minutes.  Each round gets
 * its own ratio; the headline figures are the medians of all runs.
 *
 * Each figure comes with the CPU time per build on all cores, from
 * /proc/stat, so that it counts the kernel's deferred teardown (a work
 * queue, after the last fd is closed) that a back-to-back loop pays in
 * the next build.  It is the whole machine's: run on an idle one.
 *
 * The benchmark runs in icelab's sandbox (netns/sandbox.h) with a /run of
 * its own: the script's `ip netns add` names live there, so a kill at any
 * moment leaves no namespace, no name in /run/netns and, through the
 * sandbox's private TMPDIR, no file. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/fs.h"
#include "../../common/tmpdir.h"
#include "../../harness/scenario.h"
#include "../../netns/link.h"
#include "../../netns/ns.h"
#include "../../netns/rules.h"
#include "../../netns/sandbox.h"
#include "../../netns/topo.h"
#include "bench_util.h"

static void addr_txt(const struct topo_prefix *p, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, cap, "%s/%u", a, p->plen);
}

static void node_cmds(FILE *f, const struct topo_node *n, const char *pfx)
{
	fprintf(f, "ip netns add %s%s\n", pfx, n->name);
	fprintf(f, "ip netns exec %s%s sysctl -qw net.ipv6.conf.all.accept_dad=0 "
		   "net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0%s\n",
		pfx, n->name,
		n->router ? " net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1" : "");
	fprintf(f, "ip -n %s%s link set lo up\n", pfx, n->name);
}

static void link_cmds(FILE *f, const struct topo_link *l, const char *pfx)
{
	const struct topo_end *a = &l->end[0], *b = &l->end[1];
	char txt[64];

	fprintf(f, "ip -n %s%s link add %s type veth peer name %s netns %s%s\n", pfx, a->node,
		a->ifname, b->ifname, pfx, b->node);
	for (int k = 0; k < 2; k++) {
		const struct topo_end *e = &l->end[k];

		if (l->mtu)
			fprintf(f, "ip -n %s%s link set %s mtu %u\n", pfx, e->node, e->ifname, l->mtu);
		fprintf(f, "ip -n %s%s link set %s up\n", pfx, e->node, e->ifname);
		for (size_t i = 0; i < e->n_addr; i++) {
			addr_txt(&e->addr[i], txt, sizeof(txt));
			fprintf(f, "ip -n %s%s addr add %s dev %s%s\n", pfx, e->node, txt, e->ifname,
				e->addr[i].family == AF_INET6 ? " nodad" : "");
		}
	}
}

static void route_cmds(FILE *f, const struct topo_node *n, const char *pfx)
{
	for (size_t r = 0; r < n->n_routes; r++) {
		const struct topo_route *rt = &n->routes[r];
		char dst[64], via[INET6_ADDRSTRLEN] = "";

		addr_txt(&rt->dst, dst, sizeof(dst));
		if (rt->has_via)
			inet_ntop(rt->dst.family, rt->via, via, sizeof(via));
		fprintf(f, "ip -n %s%s %s route add %s%s%s\n", pfx, n->name,
			rt->dst.family == AF_INET6 ? "-6" : "-4", dst, via[0] ? " via " : "", via);
	}
}

/* Write the command script; the nft text of each node goes to its file. */
static int write_script(const struct topo_plan *p, const char *dir, const char *path)
{
	FILE *f = fopen(path, "w");
	char pfx[32], rules_path[PATH_MAX + 64];
	struct icl_err err;

	if (f == NULL)
		return -1;
	snprintf(pfx, sizeof(pfx), "iclb%d-", (int)getpid());
	fprintf(f, "set -e\ntrap 'for n in");
	for (size_t i = 0; i < p->n_nodes; i++)
		fprintf(f, " %s%s", pfx, p->nodes[i].name);
	fprintf(f, "; do ip netns del $n 2>/dev/null; done' EXIT\n");
	for (size_t i = 0; i < p->n_nodes; i++)
		node_cmds(f, &p->nodes[i], pfx);
	for (size_t i = 0; i < p->n_links; i++)
		link_cmds(f, &p->links[i], pfx);
	for (size_t i = 0; i < p->n_nodes; i++) {
		char *rules = NULL;

		route_cmds(f, &p->nodes[i], pfx);
		if (topo_rules_text(p, &p->nodes[i], &rules, &err) < 0 || rules == NULL)
			continue;
		snprintf(rules_path, sizeof(rules_path), "%s/%s.nft", dir, p->nodes[i].name);
		FILE *r = fopen(rules_path, "w");

		if (r) {
			fputs(rules, r);
			fclose(r);
			fprintf(f, "ip netns exec %s%s nft -f %s\n", pfx, p->nodes[i].name, rules_path);
		}
		free(rules);
	}
	for (size_t i = 0; i < p->n_nodes; i++)
		fprintf(f, "ip netns del %s%s\n", pfx, p->nodes[i].name);
	fprintf(f, "trap - EXIT\n");
	fclose(f);
	return 0;
}

static double run_script(const char *path)
{
	double t0 = bench_now_ms();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/sh", "sh", path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: the ip/nft script failed (exit %d): %s\n", WEXITSTATUS(st),
			path);
		exit(1);
	}
	return bench_now_ms() - t0;
}

static double run_icelab(const struct topo_plan *p)
{
	struct icl_err err;
	struct topo *t;
	double t0 = bench_now_ms();

	if (topo_up(p, &t, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	topo_down(t);
	return bench_now_ms() - t0;
}

/* Busy CPU time of the whole machine so far, in ms (all cores). */
static double busy_ms(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int got = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			     &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;

	if (f)
		fclose(f);
	if (got != 8)
		return 0;
	/* user nice system [idle iowait] irq softirq [steal: the hypervisor
	 * running someone else, not work done here] */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6]) * 1000.0 /
	       (double)sysconf(_SC_CLK_TCK);
}

static void die(const struct icl_err *err)
{
	fprintf(stderr, "bench: %s\n", err->msg);
	exit(1);
}

static int node_at(const struct topo_plan *p, const char *name)
{
	return (int)(topo_plan_node(p, name) - p->nodes);
}

/* The floor's links; the namespaces exist, `home` is where we return. */
static void floor_links(const struct topo_plan *p, const int *fds, const int *sk)
{
	struct link_batch *b = link_batch_new();
	struct icl_err err;

	for (size_t k = 0; b != NULL && k < p->n_links; k++) {
		const struct topo_link *l = &p->links[k];
		int a = node_at(p, l->end[0].node), z = node_at(p, l->end[1].node);
		struct link_veth v = {l->end[0].ifname, 100 + 2 * (int)k, l->end[1].ifname,
				      101 + 2 * (int)k, fds[z], l->mtu};

		link_batch_veth(b, &v, l->name);
		if (link_batch_run(sk[a], b, &err) < 0)
			die(&err);
	}
	link_batch_free(b);
}

static double run_floor(const struct topo_plan *p, int home)
{
	int *fds = calloc(p->n_nodes, sizeof(int)), *sk = calloc(p->n_nodes, sizeof(int));
	struct icl_err err;
	double t0 = bench_now_ms();

	for (size_t i = 0; i < p->n_nodes; i++)
		if (ns_create(&fds[i], &err) < 0 || link_sock_open(&sk[i], &err) < 0)
			die(&err);
	if (ns_enter(home, &err) < 0)
		die(&err);
	floor_links(p, fds, sk);
	for (size_t i = 0; i < p->n_nodes; i++) {
		close(sk[i]);
		close(fds[i]);
	}
	free(fds);
	free(sk);
	return bench_now_ms() - t0;
}

enum { M_ICELAB, M_SCRIPT, M_FLOOR, M_N }; /* the methods, in each round's order */

/* One method's samples over all rounds, and its CPU time. */
struct method {
	const char *name;
	double *ms;   /* n_rounds * per_round, round by round */
	double *round_median;
	double busy;  /* ms of CPU on all cores, warm-ups and settling included */
	int builds;   /* builds the busy time is for */
};

struct bench {
	const struct topo_plan *plan;
	const char *script;
	int home;
	int rounds, per_round;
	struct method m[M_N];
};

static double run_one(const struct bench *b, int which)
{
	if (which == M_ICELAB)
		return run_icelab(b->plan);
	if (which == M_SCRIPT)
		return run_script(b->script);
	return run_floor(b->plan, b->home);
}

/* A block of one method: warm-up builds (caches and slabs after the other
 * methods' blocks), the timed ones, then a pause in which the kernel
 * finishes the deferred teardown, so that its CPU counts here. */
static void run_block(struct bench *b, int which, int round)
{
	struct method *m = &b->m[which];
	int warm = which == M_SCRIPT ? 1 : 3;
	double t0 = busy_ms(), *ms = m->ms + round * b->per_round;

	for (int i = 0; i < warm; i++)
		run_one(b, which);
	for (int i = 0; i < b->per_round; i++)
		ms[i] = run_one(b, which);
	usleep(300 * 1000);
	m->busy += busy_ms() - t0;
	m->builds += warm + b->per_round;
	m->round_median[round] = bench_median(ms, b->per_round);
}

/* Prints its line; returns its median. */
static double print_method(const struct method *m, int n)
{
	double med = bench_median(m->ms, n); /* sorts: min and max at the ends */

	printf("  %-7s up+down median %7.2f ms  (min %.2f, max %.2f)\n", m->name, med, m->ms[0],
	       m->ms[n - 1]);
	return med;
}

static void print_results(struct bench *b, const char *file)
{
	int n = b->rounds * b->per_round;
	double *r = calloc((size_t)b->rounds, sizeof(double));
	double mi, mb, mf;

	printf("topology %s: %zu nodes, %zu links; %d rounds of %d runs of each\n", file,
	       b->plan->n_nodes, b->plan->n_links, b->rounds, b->per_round);
	mi = print_method(&b->m[M_ICELAB], n);
	mb = print_method(&b->m[M_SCRIPT], n);
	mf = bench_median(b->m[M_FLOOR].ms, n); /* a line of its own, below */
	printf("  ratio ip/nft : icelab = %.1fx  (by round:", mb / mi);
	for (int k = 0; r != NULL && k < b->rounds; k++) {
		r[k] = b->m[M_SCRIPT].round_median[k] / b->m[M_ICELAB].round_median[k];
		printf(" %.1f", r[k]);
	}
	if (r != NULL)
		printf("; median %.1fx)\n", bench_median(r, b->rounds));
	printf("  kernel floor (the namespaces and veth pairs only) median %.2f ms"
	       " (min %.2f): ratio ip/nft : floor = %.1fx\n", mf, b->m[M_FLOOR].ms[0], mb / mf);
	printf("  CPU per build, all cores, kernel teardown included: icelab %.2f ms, ip/nft %.2f ms,"
	       " floor %.2f ms\n", b->m[M_ICELAB].busy / b->m[M_ICELAB].builds,
	       b->m[M_SCRIPT].busy / b->m[M_SCRIPT].builds, b->m[M_FLOOR].busy / b->m[M_FLOOR].builds);
	free(r);
}

/* In the sandbox (PID 1 of its PID namespace, in a mount namespace of its
 * own): a /run that dies with it, for `ip netns add`. */
static int enter_sandbox(struct icl_err *err)
{
	if (geteuid() != 0)
		return icl_err_set(err, -EPERM, "needs root to create network namespaces");
	if (sandbox_enter(err) < 0)
		return err->code;
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
		return icl_err_set(err, -errno, "mounting a private /run: %s", strerror(errno));
	return 0;
}

static int alloc_methods(struct bench *b)
{
	static const char *const names[M_N] = {"icelab", "ip/nft", "floor"};
	int n = b->rounds * b->per_round;

	for (int i = 0; i < M_N; i++) {
		b->m[i].name = names[i];
		b->m[i].ms = calloc((size_t)n, sizeof(double));
		b->m[i].round_median = calloc((size_t)b->rounds, sizeof(double));
		if (b->m[i].ms == NULL || b->m[i].round_median == NULL)
			return -1;
	}
	return 0;
}

static void free_methods(struct bench *b)
{
	for (int i = 0; i < M_N; i++) {
		free(b->m[i].ms);
		free(b->m[i].round_median);
	}
}

int main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "tests/bench/nat3.yaml";
	int runs = argc > 2 ? atoi(argv[2]) : 100;
	struct bench b = {.rounds = argc > 3 ? atoi(argv[3]) : 5};
	struct topo_plan p = {0};
	struct icl_err err;
	char dir[PATH_MAX], script[PATH_MAX + 16];

	if (b.rounds < 1 || runs < b.rounds) {
		fprintf(stderr, "usage: bench-topo [FILE] [RUNS] [ROUNDS], RUNS >= ROUNDS >= 1\n");
		return 2;
	}
	b.per_round = runs / b.rounds;
	if (enter_sandbox(&err) < 0) {
		fprintf(stderr, "bench-topo: %s\n", err.msg);
		return 3;
	}
	if (scn_load_topology(file, &p, &err) < 0 || ns_open_current(&b.home, &err) < 0) {
		fprintf(stderr, "bench-topo: %s\n", err.msg);
		return 2;
	}
	/* Under the sandbox's own TMPDIR. */
	if (icl_tmp_path(dir, sizeof(dir), "icelab-bench-XXXXXX") < 0) {
		fprintf(stderr, "bench-topo: TMPDIR is too long: %s\n", icl_tmpdir());
		return 1;
	}
	if (mkdtemp(dir) == NULL || alloc_methods(&b) < 0) {
		fprintf(stderr, "bench-topo: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(script, sizeof(script), "%s/topo.sh", dir);
	if (write_script(&p, dir, script) < 0) {
		fprintf(stderr, "bench-topo: writing %s: %s\n", script, strerror(errno));
		return 1;
	}
	b.plan = &p;
	b.script = script;
	for (int k = 0; k < b.rounds; k++)
		for (int which = 0; which < M_N; which++)
			run_block(&b, which, k);
	print_results(&b, file);
	icl_rm_tree(dir);
	free_methods(&b);
	topo_plan_free(&p);
	close(b.home);
	return 0;
}
