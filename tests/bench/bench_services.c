/* bench-services: how long a topology that runs servers takes to come up,
 * counted until every server is ready (TAYGA's tun up, unbound answering
 * the ipv4only.arpa AAAA query, turnserver answering Binding requests on
 * every listening address: netns/svc.h), and to go down.
 *
 * topo_up() returns only once all of that holds, so its duration is the
 * figure; topo_down() is timed separately.  Prints the median, min and max
 * of N runs after one warm-up run.  Runs in icelab's sandbox
 * (netns/sandbox.h): killed at any moment, it leaves no server, no
 * namespace and no file. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../harness/scenario.h"
#include "../../netns/sandbox.h"
#include "../../netns/topo.h"
#include "bench_util.h"

static void count_services(const struct topo_plan *p, char *buf, size_t cap)
{
	size_t nat64 = 0, clat = 0, dns64 = 0, turn = 0;

	for (size_t i = 0; i < p->n_nodes; i++) {
		nat64 += p->nodes[i].nat64 != NULL;
		clat += p->nodes[i].clat != NULL;
		dns64 += p->nodes[i].dns64 != NULL;
		turn += p->nodes[i].turn != NULL;
	}
	snprintf(buf, cap, "%zu NAT64, %zu CLAT (TAYGA each), %zu DNS64 (unbound), %zu TURN (turnserver)",
		 nat64, clat, dns64, turn);
}

static void once(const struct topo_plan *p, double *up, double *down)
{
	struct icl_err err;
	struct topo *t;
	double t0 = bench_now_ms(), t1;

	if (topo_up(p, &t, &err) < 0) {
		fprintf(stderr, "bench-services: %s\n", err.msg);
		exit(1);
	}
	t1 = bench_now_ms();
	topo_down(t);
	*up = t1 - t0;
	*down = bench_now_ms() - t1;
}

int main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "scenarios/topo-mobile.yaml";
	int n = argc > 2 ? atoi(argv[2]) : 10;
	struct topo_plan p = {0};
	struct icl_err err;
	double *up, *down, w1, w2, mu, md;
	char what[160];

	if (n < 1) {
		fprintf(stderr, "usage: bench-services [FILE] [RUNS >= 1]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-services: needs root to create network namespaces\n");
		return 3;
	}
	if (sandbox_enter(&err) < 0) {
		fprintf(stderr, "bench-services: %s\n", err.msg);
		return 3;
	}
	if (scn_load_topology(file, &p, &err) < 0) {
		fprintf(stderr, "bench-services: %s\n", err.msg);
		return 2;
	}
	up = calloc((size_t)n, sizeof(double));
	down = calloc((size_t)n, sizeof(double));
	if (up == NULL || down == NULL)
		return 1;
	once(&p, &w1, &w2); /* warm: page cache for the daemons' binaries */
	for (int i = 0; i < n; i++)
		once(&p, &up[i], &down[i]);
	mu = bench_median(up, n); /* sorts: min and max are at the ends after */
	md = bench_median(down, n);
	count_services(&p, what, sizeof(what));
	printf("topology %s with servers: %zu nodes, %zu links; %s; %d runs\n", file, p.n_nodes,
	       p.n_links, what, n);
	printf("  up until every server is ready: median %7.2f ms  (min %.2f, max %.2f)\n",
	       mu, up[0], up[n - 1]);
	printf("  down (servers stopped, namespaces gone): median %7.2f ms  (min %.2f, max %.2f)\n",
	       md, down[0], down[n - 1]);
	topo_plan_free(&p);
	free(up);
	free(down);
	return 0;
}
