/* bench-agents: how many round trips the reference pair needs to connect.
 *
 * icelab-lite (server) against icelab-full (client, controlling) across
 * client --lan-- router --wan-- server, routed IPv4, with `delay` ms added
 * to each direction by netns/impair (the client's and the server's egress).
 * For each DTLS role of the server, N runs of: build, impair, sess_run,
 * tear down.  Reported per role: time from session start to DTLS connected
 * on each agent, and from that agent's `hello` (which excludes process
 * start), as median/min/max in ms and the median in RTTs, where the RTT is
 * measured with UDP pings across the impaired path before the runs.  Then
 * the client's milestones, which show where the round trips go.
 *
 * usage: bench-agents [-n RUNS] [-d ONE_WAY_MS] [-l LITE] [-f FULL]
 * (agents default to icelab-lite and icelab-full next to this program). */
#include <arpa/inet.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../harness/scenario.h"
#include "../../harness/session.h"
#include "../../netns/impair.h"
#include "../../netns/sandbox.h"
#include "../../netns/topo.h"
#include "bench_util.h"

#define RUNS_MAX 1000
#define PINGS 20

static const char yaml[] =
	"topology:\n"
	"  nodes:\n"
	"    client: { gateway: router }\n"
	"    router: { router: true }\n"
	"    server: { gateway: router }\n"
	"  links:\n"
	"    lan:\n"
	"      a: { node: client, ipv4: 10.0.1.2/24 }\n"
	"      b: { node: router, ipv4: 10.0.1.1/24 }\n"
	"    wan:\n"
	"      a: { node: router, ipv4: 203.0.113.1/24 }\n"
	"      b: { node: server, ipv4: 203.0.113.10/24 }\n";

/* Milestones of one run, ms from session start; < 0 when absent. */
enum mark {
	M_C_HELLO, M_C_CHECKING, M_C_FIRST_OK, M_C_NOMINATING, M_C_SELECTED, M_C_DTLS_START,
	M_C_CONNECTED, M_S_HELLO, M_S_SELECTED, M_S_DTLS_START, M_S_CONNECTED, M_COUNT
};

static const struct {
	const char *agent, *event, *key, *value, *label;
} marks[M_COUNT] = {
	[M_C_HELLO] = {"client", "hello", NULL, NULL, "client hello"},
	[M_C_CHECKING] = {"client", "ice-state", "state", "checking", "client ICE checking"},
	[M_C_FIRST_OK] = {"client", "check", "kind", "check-succeeded", "first check answered"},
	[M_C_NOMINATING] = {"client", "check", "kind", "nominating", "nominating check sent"},
	[M_C_SELECTED] = {"client", "selected-pair", NULL, NULL, "client pair selected"},
	[M_C_DTLS_START] = {"client", "dtls-state", "state", "connecting", "client DTLS start"},
	[M_C_CONNECTED] = {"client", "dtls-state", "state", "connected", "client DTLS connected"},
	[M_S_HELLO] = {"server", "hello", NULL, NULL, "server hello"},
	[M_S_SELECTED] = {"server", "selected-pair", NULL, NULL, "server pair selected"},
	[M_S_DTLS_START] = {"server", "dtls-state", "state", "connecting", "server DTLS start"},
	[M_S_CONNECTED] = {"server", "dtls-state", "state", "connected", "server DTLS connected"},
};

struct bench {
	struct topo_plan plan;
	unsigned delay_ms;
	char lite[PATH_MAX], full[PATH_MAX];
};

static void die(const char *what, const struct icl_err *err)
{
	fprintf(stderr, "bench-agents: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

/* ---- the path's RTT ------------------------------------------------------ */

static int node_udp(const struct topo *t, const char *node, const char *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct icl_err err;
	int fd;

	if (topo_enter(t, node, &err) < 0)
		die("entering node", &err);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (topo_leave(t, &err) < 0)
		die("leaving node", &err);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("UDP socket", NULL);
	return fd;
}

static bool wait_datagram(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[64];

	return poll(&p, 1, ms) == 1 && recv(fd, buf, sizeof(buf), 0) > 0;
}

/* One UDP round trip client -> server -> client, echoed by this thread. */
static double ping(int c, int s)
{
	struct sockaddr_in to_s = {.sin_family = AF_INET, .sin_port = htons(5300)};
	struct sockaddr_in to_c = {.sin_family = AF_INET, .sin_port = htons(5200)};
	double t0 = bench_now_ms();

	inet_pton(AF_INET, "203.0.113.10", &to_s.sin_addr);
	inet_pton(AF_INET, "10.0.1.2", &to_c.sin_addr);
	sendto(c, "ping", 4, 0, (struct sockaddr *)&to_s, sizeof(to_s));
	if (!wait_datagram(s, 2000))
		die("RTT ping lost", NULL);
	sendto(s, "pong", 4, 0, (struct sockaddr *)&to_c, sizeof(to_c));
	if (!wait_datagram(c, 2000))
		die("RTT echo lost", NULL);
	return bench_now_ms() - t0;
}

static struct impair *impair(const struct bench *b, const struct topo *t)
{
	struct impair_spec s[2] = {
		{.link = "lan", .node = "client", .delay_ms = b->delay_ms},
		{.link = "wan", .node = "server", .delay_ms = b->delay_ms},
	};
	struct impair *im = NULL;
	struct icl_err err;

	if (impair_start(t, s, 2, &im, &err) < 0)
		die("impair_start", &err);
	return im;
}

/* Median RTT of PINGS pings, plain (impaired = false) or impaired. */
static double path_rtt(const struct bench *b, bool impaired, double *min, double *max)
{
	struct topo *t = NULL;
	struct impair *im = NULL;
	struct icl_err err;
	double v[PINGS], m;
	int c, s;

	if (topo_up(&b->plan, &t, &err) < 0)
		die("topo_up", &err);
	c = node_udp(t, "client", "10.0.1.2", 5200);
	s = node_udp(t, "server", "203.0.113.10", 5300);
	ping(c, s); /* ARP first, unimpaired */
	if (impaired)
		im = impair(b, t);
	for (int i = 0; i < PINGS; i++)
		v[i] = ping(c, s);
	m = bench_median(v, PINGS);
	*min = v[0];
	*max = v[PINGS - 1];
	impair_stop(im);
	close(c);
	close(s);
	topo_down(t);
	return m;
}

/* ---- one session ---------------------------------------------------------- */

static const char *field(json_t *obj, const char *key)
{
	const char *v = key ? json_string_value(json_object_get(obj, key)) : NULL;

	return v ? v : "";
}

static double mark_time(const struct sess_result *r, enum mark m)
{
	json_t *e, *ev;
	size_t i;

	json_array_foreach(r->timeline, i, e) {
		ev = json_object_get(e, "event");
		if (strcmp(field(e, "agent"), marks[m].agent) == 0 &&
		    strcmp(field(ev, "event"), marks[m].event) == 0 &&
		    (marks[m].key == NULL || strcmp(field(ev, marks[m].key), marks[m].value) == 0))
			return json_real_value(json_object_get(e, "t"));
	}
	return -1;
}

/* One session with the server's DTLS `setup`; false if it did not connect. */
static bool run_once(const struct bench *b, const char *setup, double out[M_COUNT])
{
	char *lite_argv[] = {(char *)b->lite, NULL}, *full_argv[] = {(char *)b->full, NULL};
	json_t *scfg = json_pack("{s:{s:s}}", "dtls", "setup", setup);
	json_t *ccfg = json_pack("{s:s, s:{s:s}}", "role", "controlling", "dtls", "setup",
				 "actpass");
	struct sess_options o = {.timeout_ms = 10000};
	struct sess_result r;
	struct topo *t = NULL;
	struct impair *im;
	struct icl_err err;

	o.agent[0] = (struct sess_agent){.name = "server", .node = "server", .argv = lite_argv,
					 .configure = scfg};
	o.agent[1] = (struct sess_agent){.name = "client", .node = "client", .argv = full_argv,
					 .configure = ccfg};
	if (topo_up(&b->plan, &t, &err) < 0)
		die("topo_up", &err);
	im = impair(b, t);
	if (sess_run(t, &o, &r, &err) < 0)
		die("sess_run", &err);
	for (int m = 0; m < M_COUNT; m++)
		out[m] = mark_time(&r, (enum mark)m);
	if (r.broken[0])
		fprintf(stderr, "bench-agents: session broke: %s\n", r.broken);
	sess_result_free(&r);
	impair_stop(im);
	topo_down(t);
	json_decref(scfg);
	json_decref(ccfg);
	return out[M_C_CONNECTED] >= 0 && out[M_S_CONNECTED] >= 0;
}

/* ---- report --------------------------------------------------------------- */

static void row(const char *label, double *v, int n, double rtt)
{
	double m = bench_median(v, n);

	printf("  %-30s %8.1f %8.1f %8.1f %7.2f\n", label, m, v[0], v[n - 1], m / rtt);
}

/* Time to connected from session start and from the agent's hello. */
static void report_connect(double (*s)[M_COUNT], int n, double rtt)
{
	double v[4][RUNS_MAX];

	for (int i = 0; i < n; i++) {
		v[0][i] = s[i][M_C_CONNECTED];
		v[1][i] = s[i][M_C_CONNECTED] - s[i][M_C_HELLO];
		v[2][i] = s[i][M_S_CONNECTED];
		v[3][i] = s[i][M_S_CONNECTED] - s[i][M_S_HELLO];
	}
	printf("  %-30s %8s %8s %8s %7s\n", "time to DTLS connected (ms)", "median", "min", "max",
	       "RTTs");
	row("client, from session start", v[0], n, rtt);
	row("client, from its hello", v[1], n, rtt);
	row("server, from session start", v[2], n, rtt);
	row("server, from its hello", v[3], n, rtt);
}

/* Median of one milestone over the runs that reached it, in ms from
 * session start and in RTTs after the client's ICE checking began. */
static void report_mark(double (*s)[M_COUNT], int n, enum mark m, double rtt)
{
	double at[RUNS_MAX], after[RUNS_MAX];
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (s[i][m] < 0)
			continue;
		at[k] = s[i][m];
		after[k++] = s[i][m] - s[i][M_C_CHECKING];
	}
	if (k == 0)
		printf("  %-30s %8s\n", marks[m].label, "-");
	else
		printf("  %-30s %8.1f %14.2f\n", marks[m].label, bench_median(at, k),
		       bench_median(after, k) / rtt);
}

static void report_marks(double (*s)[M_COUNT], int n, double rtt)
{
	printf("  %-30s %8s %14s\n", "milestone (median)", "ms", "RTTs after chk");
	for (int m = 0; m < M_COUNT; m++)
		report_mark(s, n, (enum mark)m, rtt);
}

static void bench_role(const struct bench *b, const char *setup, int runs, double rtt)
{
	static double s[RUNS_MAX][M_COUNT];
	int n = 0, failed = 0;

	for (int i = 0; i < runs; i++) {
		if (run_once(b, setup, s[n]))
			n++;
		else
			failed++;
	}
	printf("\nserver DTLS %s (server is DTLS %s): %d runs connected, %d failed\n", setup,
	       strcmp(setup, "passive") == 0 ? "server" : "client", n, failed);
	if (n == 0)
		return;
	report_connect(s, n, rtt);
	report_marks(s, n, rtt);
}

/* ---- main ----------------------------------------------------------------- */

static void beside_me(const char *name, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		die("readlink /proc/self/exe", NULL);
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if (snprintf(out, cap, "%s/%s", self, name) >= (int)cap)
		die("agent path too long", NULL);
}

static int parse_args(int argc, char **argv, struct bench *b, int *runs)
{
	int opt;

	beside_me("icelab-lite", b->lite, sizeof(b->lite));
	beside_me("icelab-full", b->full, sizeof(b->full));
	while ((opt = getopt(argc, argv, "n:d:l:f:")) != -1) {
		if (opt == 'n')
			*runs = atoi(optarg);
		else if (opt == 'd')
			b->delay_ms = (unsigned)atoi(optarg);
		else if (opt == 'l')
			snprintf(b->lite, sizeof(b->lite), "%s", optarg);
		else if (opt == 'f')
			snprintf(b->full, sizeof(b->full), "%s", optarg);
		else
			return -1;
	}
	return *runs >= 1 && *runs <= RUNS_MAX && optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bench b = {.delay_ms = 50};
	struct icl_err err;
	int runs = 7;
	double plain, rtt, mn, mx;

	if (parse_args(argc, argv, &b, &runs) < 0) {
		fputs("usage: bench-agents [-n RUNS] [-d ONE_WAY_MS] [-l LITE] [-f FULL]\n", stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench-agents: needs root to create network namespaces\n");
		return 3;
	}
	if (sandbox_enter(&err) < 0)
		die("sandbox", &err);
	if (scn_load_topology_buf("bench-agents.yaml", yaml, strlen(yaml), &b.plan, &err) < 0)
		die("topology", &err);
	printf("bench-agents: %s (server) vs %s (client, controlling)\n", b.lite, b.full);
	printf("routed IPv4 client--router--server, %u ms added each way, %d runs per role\n",
	       b.delay_ms, runs);
	plain = path_rtt(&b, false, &mn, &mx);
	rtt = path_rtt(&b, true, &mn, &mx);
	printf("path RTT, UDP ping x%d: unimpaired median %.3f ms; impaired median %.2f ms "
	       "(min %.2f, max %.2f)\n", PINGS, plain, rtt, mn, mx);
	bench_role(&b, "passive", runs, rtt);
	bench_role(&b, "active", runs, rtt);
	topo_plan_free(&b.plan);
	return 0;
}
