/* `icelab topo up|check|validate`. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "../netns/probe.h"
#include "../netns/sandbox.h"
#include "../netns/topo.h"
#include "cli.h"
#include "control.h"
#include "scenario.h"

#define PROBE_TIMEOUT_MS 400

double cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cli_fail(const struct icl_err *err)
{
	fprintf(stderr, "icelab: %s\n", err->msg);
	if (err->code == ICL_EINPUT)
		return 2;
	if (err->code == -EPERM || err->code == -EACCES)
		return 3;
	return 1;
}

/* ---- topo up: keep the topology until a signal ---- */

struct keeper {
	uv_loop_t loop;
	uv_signal_t sig[3];
	uv_poll_t listen;
	int listen_fd;
	const struct topo *topo;
	int conns[64];
	size_t n_conns;
};

static void keeper_stop(uv_signal_t *s, int signum)
{
	(void)signum;
	uv_stop(s->loop);
}

static void keeper_accept(uv_poll_t *p, int status, int events)
{
	struct keeper *k = p->data;
	int conn;

	(void)events;
	if (status < 0)
		return;
	conn = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return;
	ctl_serve(conn, k->topo);
	/* Held open so that clients see the hang-up when we go. */
	if (k->n_conns < sizeof(k->conns) / sizeof(k->conns[0]))
		k->conns[k->n_conns++] = conn;
	else
		close(conn);
}

static void keeper_run(struct keeper *k)
{
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};

	uv_loop_init(&k->loop);
	for (int i = 0; i < 3; i++) {
		uv_signal_init(&k->loop, &k->sig[i]);
		uv_signal_start(&k->sig[i], keeper_stop, sigs[i]);
	}
	uv_poll_init(&k->loop, &k->listen, k->listen_fd);
	k->listen.data = k;
	uv_poll_start(&k->listen, UV_READABLE, keeper_accept);
	uv_run(&k->loop, UV_RUN_DEFAULT);
	for (int i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&k->sig[i], NULL);
	uv_close((uv_handle_t *)&k->listen, NULL);
	uv_run(&k->loop, UV_RUN_DEFAULT);
	uv_loop_close(&k->loop);
	for (size_t i = 0; i < k->n_conns; i++)
		close(k->conns[i]);
}

/* The impaired link ends and the seed their decisions come from. */
static void print_impair(const struct topo_plan *p, uint64_t seed)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_links; i++)
		n += (size_t)p->links[i].impair[0].set + (size_t)p->links[i].impair[1].set;
	if (n == 0)
		return;
	printf("icelab: %zu link end%s impaired, seed %llu", n, n == 1 ? "" : "s",
	       (unsigned long long)seed);
	for (size_t i = 0; i < p->n_links; i++)
		if (p->links[i].has_impair_seed)
			printf(" (link %s: its own seed %llu)", p->links[i].name,
			       (unsigned long long)p->links[i].impair_seed);
	printf("; replay with --seed %llu\n", (unsigned long long)seed);
}

static void print_up(const char *file, const struct topo_plan *p, double ms, uint64_t seed)
{
	printf("icelab: topology %s is up: %zu nodes, %zu links, built in %.1f ms\n", file,
	       p->n_nodes, p->n_links, ms);
	print_impair(p, seed);
	printf("icelab: nodes:");
	for (size_t i = 0; i < p->n_nodes; i++)
		printf(" %s", p->nodes[i].name);
	printf("\nicelab: enter one with `icelab shell %s NODE`; Ctrl-C tears it down\n", file);
	fflush(stdout);
}

static int topo_up_cmd(const char *file, uint64_t seed)
{
	struct topo_plan plan = {0};
	struct keeper k = {.listen_fd = -1};
	struct topo *t = NULL;
	struct icl_err err;
	double t0;
	int rc;

	if ((rc = scn_load_topology(file, &plan, &err)) < 0)
		return cli_fail(&err);
	if ((rc = sandbox_enter(&err)) == 0 && (rc = ctl_listen(file, &k.listen_fd, &err)) == 0) {
		t0 = cli_now_ms();
		rc = topo_up_seeded(&plan, seed, &t, &err);
	}
	if (rc == 0) {
		print_up(file, &plan, cli_now_ms() - t0, seed);
		k.topo = t;
		keeper_run(&k);
		printf("icelab: topology %s is down\n", file);
	}
	topo_down(t);
	if (k.listen_fd >= 0)
		close(k.listen_fd);
	topo_plan_free(&plan);
	return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- topo check: build, probe, tear down, one line per file ---- */

static int report_probes(const char *name, const struct topo_plan *p,
			 const struct probe_result *res, double up_ms)
{
	int failed = 0;

	for (size_t i = 0; i < p->n_probes; i++) {
		const struct topo_probe *pr = &p->probes[i];

		if (pr->expect != TOPO_REACH_UNSPECIFIED && pr->expect != res[i].got)
			failed++;
	}
	printf("%-4s %-28s %zu nodes %zu links  up %.1f ms  probes %zu/%zu as expected\n",
	       failed ? "FAIL" : "ok", name, p->n_nodes, p->n_links, up_ms,
	       p->n_probes - (size_t)failed, p->n_probes);
	for (size_t i = 0; i < p->n_probes; i++) {
		const struct topo_probe *pr = &p->probes[i];
		bool bad = pr->expect != TOPO_REACH_UNSPECIFIED && pr->expect != res[i].got;

		printf("     %s %s -> %s %s: %s", bad ? "!!" : "  ", pr->from, pr->to,
		       res[i].target, topo_reach_name(res[i].got));
		if (bad)
			printf(" (expected %s)", topo_reach_name(pr->expect));
		if (res[i].send_error[0])
			printf(" [send: %s]", res[i].send_error);
		printf("\n");
	}
	return failed ? 1 : 0;
}

static int check_one(const char *file, const char *name)
{
	struct topo_plan plan = {0};
	struct probe_result *res = NULL;
	struct topo *t = NULL;
	struct icl_err err;
	double t0, up_ms = 0;
	int rc = scn_load_topology(file, &plan, &err);

	if (rc == 0) {
		res = calloc(plan.n_probes + 1, sizeof(*res));
		t0 = cli_now_ms();
		rc = res ? topo_up(&plan, &t, &err) : icl_err_set(&err, -ENOMEM, "out of memory");
		up_ms = cli_now_ms() - t0;
	}
	if (rc == 0)
		rc = probe_run(t, res, PROBE_TIMEOUT_MS, &err);
	if (rc == 0)
		rc = report_probes(name, &plan, res, up_ms);
	else
		printf("%-4s %-28s %s\n", rc == ICL_EINPUT ? "BAD" : "ERR", name, err.msg);
	topo_down(t);
	free(res);
	topo_plan_free(&plan);
	fflush(stdout);
	return rc == 0 ? 0 : rc == ICL_EINPUT ? 2 : 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
				  (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* Length of `dir` without trailing slashes (but "/" stays "/"). */
static size_t dir_len(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n;
}

/* Expand directories into their *.yaml files, sorted.  The returned array
 * and its strings are owned by the caller (free_files). */
int cli_collect_files(int n, char **paths, char ***out, size_t *count)
{
	char **v = NULL;
	size_t c = 0;

	for (int i = 0; i < n; i++) {
		struct dirent **ents;
		struct stat st;
		int m;

		if (stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			v = realloc(v, (c + 1) * sizeof(*v));
			v[c++] = strdup(paths[i]);
			continue;
		}
		m = scandir(paths[i], &ents, NULL, alphasort);
		for (int k = 0; k < m; k++) {
			if (is_yaml(ents[k]->d_name)) {
				v = realloc(v, (c + 1) * sizeof(*v));
				if (asprintf(&v[c], "%.*s/%s", (int)dir_len(paths[i]), paths[i],
					     ents[k]->d_name) > 0)
					c++;
			}
			free(ents[k]);
		}
		if (m >= 0)
			free(ents);
	}
	if (c > 1)
		qsort(v, c, sizeof(*v), cmp_str);
	*out = v;
	*count = c;
	return 0;
}

void cli_free_files(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *case_name(const char *file, char *buf, size_t cap)
{
	const char *b = strrchr(file, '/');

	snprintf(buf, cap, "%s", b ? b + 1 : file);
	buf[strcspn(buf, ".")] = '\0';
	return buf;
}

static int topo_check_cmd(int argc, char **argv)
{
	char *dflt[] = {"scenarios"};
	char **files, name[128];
	size_t n, passed = 0, failed = 0, bad = 0;
	struct icl_err err;
	int worst = 0;

	cli_collect_files(argc ? argc : 1, argc ? argv : dflt, &files, &n);
	if (n == 0) {
		fprintf(stderr, "icelab: no scenario files found\n");
		cli_free_files(files, n);
		return 2;
	}
	if (sandbox_enter(&err) < 0) {
		cli_free_files(files, n);
		return cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		int rc = check_one(files[i], case_name(files[i], name, sizeof(name)));

		passed += rc == 0;
		failed += rc == 1;
		bad += rc == 2;
		worst = rc > worst ? rc : worst;
	}
	printf("topo check: %zu passed, %zu failed, %zu invalid\n", passed, failed, bad);
	cli_free_files(files, n);
	return worst;
}

static int topo_validate_cmd(int argc, char **argv)
{
	int worst = 0;

	for (int i = 0; i < argc; i++) {
		struct topo_plan plan = {0};
		struct icl_err err;

		if (scn_load_topology(argv[i], &plan, &err) < 0) {
			int rc = cli_fail(&err);

			worst = rc > worst ? rc : worst;
			continue;
		}
		printf("%s: ok (%zu nodes, %zu links, %zu probes)\n", argv[i], plan.n_nodes,
		       plan.n_links, plan.n_probes);
		topo_plan_free(&plan);
	}
	return worst;
}

/* --seed N of `topo up`: as `icelab run --seed`, 0..4294967295. */
static bool parse_seed(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 4294967295ull)
		return false;
	*out = v;
	return true;
}

int cli_topo(int argc, char **argv)
{
	uint64_t seed = TOPO_SEED_DEFAULT;

	if (argc >= 3 && strcmp(argv[1], "up") == 0 && argc == 3)
		return topo_up_cmd(argv[2], seed);
	if (argc == 5 && strcmp(argv[1], "up") == 0 && strcmp(argv[3], "--seed") == 0) {
		if (parse_seed(argv[4], &seed))
			return topo_up_cmd(argv[2], seed);
		fprintf(stderr, "icelab: --seed %s: want 0..4294967295\n", argv[4]);
		return 2;
	}
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return topo_check_cmd(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "validate") == 0)
		return topo_validate_cmd(argc - 2, argv + 2);
	fprintf(stderr, "usage: icelab topo up FILE [--seed N] | topo check [PATH...] | "
			"topo validate FILE...\n");
	return 2;
}
