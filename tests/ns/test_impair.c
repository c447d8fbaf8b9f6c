/* Namespace tests (root): link impairment (netns/impair.h) measured with
 * real UDP across client --lan-- router --wan-- server, IPv4 and IPv6.
 *
 * Timing tolerance: a packet is never released early, so a 50+50 ms path
 * measures at least 100 ms; it is released 0.1-0.2 ms late at the median
 * (docs/topology-engine.md), so the median is about 100.3 ms.  The upper
 * bound of 115 ms leaves room for ASan and a loaded 2-core machine, where
 * single wake-ups were seen a few ms late.  The unimpaired control
 * measures about 0.01 ms against its bound of 5 ms.
 *
 * Every test first sends one round trip per family without impairment, so
 * that ARP/ND have resolved: a burst into an unresolved neighbour would be
 * cut by the neighbour queue, a loss the impairment did not decide.  The
 * scenario-level tests (impairment in the YAML, started by topo_up) send
 * one datagram per family the other way, server to client, whose
 * direction is not impaired: it resolves all four neighbours on its way.
 *
 * The measured tests print their figures (lines starting "impair:").
 * Statistical bounds are binomial 99.9% intervals (normal approximation,
 * z = 3.29) computed here; the seeds are fixed, so the counts are the same
 * on every run and a bound can only fail if the decisions change. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../harness/scenario.h"
#include "../../netns/impair.h"
#include "nsutil.h"
#include "suites.h"

#define C_PORT 4100
#define S_PORT 5100
#define PINGS 20
#define LOSS_PACKETS 200
#define REORDER_PACKETS 100

/* One family's pair of sockets. */
struct path {
	const char *client, *server; /* addresses */
	int c, s;                    /* sockets in client and server */
};

struct lab {
	struct topo_plan plan;
	struct topo *t;
	struct path p[2]; /* IPv4, IPv6 */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wait up to `ms` for a datagram on fd; its number (the payload), or -1. */
static int recv_num(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[32];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static void send_num(int fd, const char *addr, unsigned port, int k)
{
	char msg[16];

	snprintf(msg, sizeof(msg), "%d", k);
	ns_sendto(fd, addr, port, msg);
}

/* One round trip client -> server -> client; its time in ms. */
static double ping(const struct path *p, int k)
{
	double t0 = now_ms();

	send_num(p->c, p->server, S_PORT, k);
	ck_assert_msg(recv_num(p->s, 1000) == k, "ping %d to %s lost", k, p->server);
	send_num(p->s, p->client, C_PORT, k);
	ck_assert_msg(recv_num(p->c, 1000) == k, "echo %d to %s lost", k, p->client);
	return now_ms() - t0;
}

static void lab_up(struct lab *l)
{
	static const char *const addr[2][2] = {
		{"10.0.1.2", "203.0.113.10"}, {"2001:db8:1::2", "2001:db8:2::10"}};
	int big = 1 << 20;
	char yaml[1024];

	ns_routed_yaml(yaml, sizeof(yaml), true, true);
	l->t = ns_topo_from_yaml(yaml, &l->plan);
	for (int f = 0; f < 2; f++) {
		struct path *p = &l->p[f];

		p->client = addr[f][0];
		p->server = addr[f][1];
		p->c = ns_udp(l->t, "client", p->client, C_PORT);
		p->s = ns_udp(l->t, "server", p->server, S_PORT);
		/* Room for a whole burst: the receiver reads after sending. */
		setsockopt(p->s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		ping(p, 0); /* resolves the neighbours (see top of file) */
	}
}

static void lab_down(struct lab *l)
{
	for (int f = 0; f < 2; f++) {
		close(l->p[f].c);
		close(l->p[f].s);
	}
	ns_topo_free(l->t, &l->plan);
}

static struct impair *start(const struct lab *l, const struct impair_spec *s, size_t n)
{
	struct impair *im = NULL;
	struct icl_err err = {0};

	ck_assert_msg(impair_start(l->t, s, n, &im, &err) == 0, "impair_start: %s", err.msg);
	return im;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and minimum of PINGS round trips. */
static void rtt(const struct path *p, double *median, double *min)
{
	double v[PINGS];

	for (int k = 0; k < PINGS; k++)
		v[k] = ping(p, k + 1);
	qsort(v, PINGS, sizeof(v[0]), cmp_d);
	*median = (v[PINGS / 2 - 1] + v[PINGS / 2]) / 2;
	*min = v[0];
}

START_TEST(control_rtt_below_5ms)
{
	struct lab l;
	double med, min;

	lab_up(&l);
	for (int f = 0; f < 2; f++) {
		rtt(&l.p[f], &med, &min);
		ck_assert_msg(med < 5.0, "%s: median RTT %.2f ms without impairment", l.p[f].server,
			      med);
	}
	lab_down(&l);
}
END_TEST

/* 50 ms each way: _i = 0 on the client's and the server's ends (one per
 * link), _i = 1 on both of the router's ends. */
START_TEST(delay_50ms_each_way)
{
	struct impair_spec ends[2][2] = {
		{{.link = "lan", .node = "client", .delay_ms = 50},
		 {.link = "wan", .node = "server", .delay_ms = 50}},
		{{.link = "lan", .node = "router", .delay_ms = 50},
		 {.link = "wan", .node = "router", .delay_ms = 50}},
	};
	struct lab l;
	struct impair *im;
	double med, min;

	lab_up(&l);
	im = start(&l, ends[_i], 2);
	for (int f = 0; f < 2; f++) {
		rtt(&l.p[f], &med, &min);
		ck_assert_msg(min >= 100.0, "%s: a round trip took %.2f ms", l.p[f].server, min);
		ck_assert_msg(med >= 100.0 && med <= 115.0, "%s: median RTT %.2f ms", l.p[f].server,
			      med);
	}
	impair_stop(im);
	lab_down(&l);
}
END_TEST

/* Send LOSS_PACKETS numbered datagrams per family client -> server and
 * mark which arrived; lost[] gets 1 for each that did not. */
static void burst(const struct lab *l, char lost[2][LOSS_PACKETS])
{
	for (int f = 0; f < 2; f++) {
		int k;

		memset(lost[f], 1, LOSS_PACKETS);
		for (k = 0; k < LOSS_PACKETS; k++)
			send_num(l->p[f].c, l->p[f].server, S_PORT, k);
		while ((k = recv_num(l->p[f].s, 200)) >= 0)
			if (k < LOSS_PACKETS)
				lost[f][k] = 0;
	}
}

/* One fresh lab with loss 0.3 on the client's end; what was lost. */
static void lossy_run(uint64_t seed, char lost[2][LOSS_PACKETS], struct impair_counters *c)
{
	struct impair_spec s = {.link = "lan", .node = "client", .loss = 0.3, .seed = seed};
	struct lab l;
	struct impair *im;

	lab_up(&l);
	im = start(&l, &s, 1);
	burst(&l, lost);
	impair_counters(im, 0, c);
	impair_stop(im);
	lab_down(&l);
}

static int count_lost(const char *lost)
{
	int n = 0;

	for (int k = 0; k < LOSS_PACKETS; k++)
		n += lost[k];
	return n;
}

START_TEST(loss_is_seeded)
{
	char a[2][LOSS_PACKETS], b[2][LOSS_PACKETS], other[2][LOSS_PACKETS];
	struct impair_counters ca, cb, co;

	lossy_run(42, a, &ca);
	lossy_run(42, b, &cb);
	lossy_run(43, other, &co);
	for (int f = 0; f < 2; f++) {
		int n = count_lost(a[f]);

		/* 0.3 of 200 is 60, standard deviation 6.5: +-3 sigma.  The
		 * seed is fixed, so this is a check of the PRNG, not a flake. */
		ck_assert_msg(n >= 40 && n <= 80, "family %d: %d of %d lost", f, n, LOSS_PACKETS);
		ck_assert_msg(memcmp(a[f], b[f], LOSS_PACKETS) == 0,
			      "family %d: same seed, different packets lost", f);
		ck_assert_msg(memcmp(a[f], other[f], LOSS_PACKETS) != 0,
			      "family %d: another seed lost the same packets", f);
	}
	/* The impairment saw exactly the test's packets and lost what the
	 * receiver missed. */
	ck_assert_uint_eq(ca.seen, 2 * LOSS_PACKETS);
	ck_assert_uint_eq(ca.lost, (uint64_t)(count_lost(a[0]) + count_lost(a[1])));
	ck_assert_uint_eq(ca.queue_full + ca.overflow + ca.errors, 0);
}
END_TEST

/* REORDER_PACKETS per family, 1 ms apart, through 20 ms of delay; how
 * many arrived after a higher-numbered one. */
static int late_arrivals(const struct lab *l, int f)
{
	int k, max = -1, late = 0, got = 0;

	for (k = 0; k < REORDER_PACKETS; k++) {
		send_num(l->p[f].c, l->p[f].server, S_PORT, k);
		usleep(1000);
	}
	while ((k = recv_num(l->p[f].s, 200)) >= 0) {
		got++;
		late += k < max;
		if (k > max)
			max = k;
	}
	ck_assert_int_eq(got, REORDER_PACKETS);
	return late;
}

START_TEST(reorder_only_when_asked)
{
	struct impair_spec s = {.link = "lan", .node = "client", .delay_ms = 20, .seed = 7};
	struct lab l;
	struct impair *im;

	lab_up(&l);
	for (int pass = 0; pass < 2; pass++) {
		s.reorder = pass ? 0.25 : 0.0;
		im = start(&l, &s, 1);
		for (int f = 0; f < 2; f++) {
			int late = late_arrivals(&l, f);

			if (pass)
				ck_assert_msg(late > 0, "family %d: nothing reordered", f);
			else
				ck_assert_msg(late == 0, "family %d: %d reordered", f, late);
		}
		impair_stop(im);
	}
	lab_down(&l);
}
END_TEST

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* impair_stop leaves no thread or fd; the rules stay and, fail-closed,
 * drop what the end sends; a new impair replaces them.  The baseline is
 * taken after a first impair: libuv's first loop in a process opens a
 * process-wide pipe that stays. */
START_TEST(stop_is_clean_and_fail_closed)
{
	struct impair_spec s = {.link = "lan", .node = "client", .delay_ms = 1};
	struct lab l;
	struct impair *im;
	int fds, tasks;

	lab_up(&l);
	im = start(&l, &s, 1);
	ping(&l.p[0], 1);
	impair_stop(im);
	fds = count_dir("/proc/self/fd");
	tasks = count_dir("/proc/self/task");
	send_num(l.p[0].c, l.p[0].server, S_PORT, 2);
	ck_assert_int_eq(recv_num(l.p[0].s, 100), -1);
	im = start(&l, &s, 1);
	ck_assert_int_eq(count_dir("/proc/self/task"), tasks + 1);
	ping(&l.p[0], 3);
	ping(&l.p[1], 4);
	impair_stop(im);
	ck_assert_int_eq(count_dir("/proc/self/fd"), fds);
	ck_assert_int_eq(count_dir("/proc/self/task"), tasks);
	lab_down(&l);
}
END_TEST

/* Packets are held where they arrive, so one impair per receiving node:
 * lan's client end and wan's server end both arrive at the router. */
START_TEST(one_impair_per_node)
{
	struct impair_spec a = {.link = "lan", .node = "client", .delay_ms = 1};
	struct impair_spec b = {.link = "wan", .node = "server", .delay_ms = 1};
	struct impair *im, *other = NULL;
	struct icl_err err = {0};
	struct lab l;

	lab_up(&l);
	im = start(&l, &a, 1);
	ck_assert_int_eq(impair_start(l.t, &b, 1, &other, &err), -EBUSY);
	ck_assert_ptr_null(other);
	ck_assert_msg(strstr(err.msg, "node router") != NULL, "%s", err.msg);
	ping(&l.p[0], 1); /* the first one still works */
	ping(&l.p[1], 2);
	impair_stop(im);
	lab_down(&l);
}
END_TEST

/* Through a NAT whose outside is impaired, every packet of a new flow gets
 * the flow's one mapping, even those sent while the first is delayed (a
 * queue in the NAT's own postrouting would hold unconfirmed conntrack
 * entries, and the NAT would map each packet on its own). */
START_TEST(nat_maps_a_delayed_flow_once)
{
	struct impair_spec s = {.link = "wan", .node = "router", .delay_ms = 20, .jitter_ms = 5};
	struct topo_plan p;
	struct topo *t;
	struct impair *im = NULL;
	struct icl_err err = {0};
	char buf[2048], from[64];
	unsigned port, first = 0;
	int c, sv, got = 0;

	ns_nat_lab_yaml(buf, sizeof(buf), TOPO_ADDRESS_AND_PORT_DEPENDENT,
			TOPO_ADDRESS_AND_PORT_DEPENDENT, false, false, 120);
	t = ns_topo_from_yaml(buf, &p);
	ck_assert_msg(impair_start(t, &s, 1, &im, &err) == 0, "%s", err.msg);
	c = ns_udp(t, "client", "", 0);
	sv = ns_udp(t, "server", "203.0.113.10", 7000);
	for (int k = 0; k < 30; k++) {
		ns_sendto(c, "203.0.113.10", 7000, "x");
		usleep(1000);
	}
	while (ns_recv(sv, 200, from, sizeof(from), &port)) {
		ck_assert_str_eq(from, "203.0.113.1");
		if (got++ == 0)
			first = port;
		ck_assert_uint_eq(port, first);
	}
	ck_assert_int_eq(got, 30);
	impair_stop(im);
	close(c);
	close(sv);
	ns_topo_free(t, &p);
}
END_TEST

START_TEST(bad_specs_are_refused)
{
	static const struct impair_spec bad[][2] = {
		{{.link = "nope", .node = "client"}},
		{{.link = "lan", .node = "server"}},
		{{.link = "lan", .node = "client", .loss = 1.5}},
		{{.link = "lan", .node = "client", .delay_ms = IMPAIR_DELAY_MAX_MS + 1}},
		{{.link = "lan", .node = "client"}, {.link = "lan", .node = "client"}},
	};
	static const size_t n[] = {1, 1, 1, 1, 2};
	struct lab l;
	struct impair *im = NULL;
	struct icl_err err = {0};

	lab_up(&l);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		ck_assert_int_eq(impair_start(l.t, bad[i], n[i], &im, &err), ICL_EINPUT);
		ck_assert_ptr_null(im);
		ck_assert_msg(strncmp(err.msg, "impair ", 7) == 0, "%s", err.msg);
	}
	ping(&l.p[1], 1); /* nothing was loaded */
	lab_down(&l);
}
END_TEST

/* ---- impairment from the scenario file, started by topo_up --------------- */

#define BINOMIAL_Z 3.29 /* two-sided 99.9% */

/* The routed lab with `lan_impair` / `wan_impair` (YAML lines under
 * links.lan.impair / links.wan.impair, or "" for none). */
static void impaired_yaml(char *buf, size_t cap, const char *lan_impair, const char *wan_impair)
{
	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client: { gateway: router }\n"
		 "    router: { router: true }\n"
		 "    server: { gateway: router }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, ipv4: 10.0.1.2/24, ipv6: '2001:db8:1::2/64' }\n"
		 "      b: { node: router, ipv4: 10.0.1.1/24, ipv6: '2001:db8:1::1/64' }\n"
		 "%s%s"
		 "    wan:\n"
		 "      a: { node: router, ipv4: 203.0.113.1/24, ipv6: '2001:db8:2::1/64' }\n"
		 "      b: { node: server, ipv4: 203.0.113.10/24, ipv6: '2001:db8:2::10/64' }\n"
		 "%s%s",
		 *lan_impair ? "      impair:\n" : "", lan_impair,
		 *wan_impair ? "      impair:\n" : "", wan_impair);
}

/* Build it with topo_up_seeded(seed); sockets as lab_up(), and one
 * datagram per family server -> client to resolve the neighbours. */
static void lab_up_impaired(struct lab *l, const char *lan_impair, const char *wan_impair,
			    uint64_t seed)
{
	static const char *const addr[2][2] = {
		{"10.0.1.2", "203.0.113.10"}, {"2001:db8:1::2", "2001:db8:2::10"}};
	int big = 16 << 20;
	char yaml[2048];
	struct icl_err err = {0};

	impaired_yaml(yaml, sizeof(yaml), lan_impair, wan_impair);
	memset(&l->plan, 0, sizeof(l->plan));
	ck_assert_msg(scn_load_topology_buf("impair.yaml", yaml, strlen(yaml), &l->plan, &err) ==
			      0,
		      "loading: %s", err.msg);
	ck_assert_msg(topo_up_seeded(&l->plan, seed, &l->t, &err) == 0, "topo_up: %s", err.msg);
	ck_assert_ptr_nonnull(topo_impair(l->t));
	for (int f = 0; f < 2; f++) {
		struct path *p = &l->p[f];

		p->client = addr[f][0];
		p->server = addr[f][1];
		p->c = ns_udp(l->t, "client", p->client, C_PORT);
		p->s = ns_udp(l->t, "server", p->server, S_PORT);
		setsockopt(p->s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		setsockopt(p->c, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		send_num(p->s, p->client, C_PORT, 999999);
		ck_assert_int_eq(recv_num(p->c, 2000), 999999);
	}
}

static void counters_of(const struct lab *l, const char *link, const char *node,
			struct impair_counters *c)
{
	const struct impair *im = topo_impair(l->t);
	int i = impair_index(im, link, node);

	ck_assert_int_ge(i, 0);
	impair_counters(im, (size_t)i, c);
}

/* The two-sided 99.9% interval of a binomial(n, p) count. */
static void binomial_interval(int n, double p, int *lo, int *hi)
{
	double mean = n * p, sd = sqrt(n * p * (1 - p));

	*lo = (int)ceil(mean - BINOMIAL_Z * sd);
	*hi = (int)floor(mean + BINOMIAL_Z * sd);
	if (*lo < 0)
		*lo = 0;
}

static int recv_nowait(int fd)
{
	char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

#define TRAIN 200
#define TRAIN_GAP_MS 10.0

/* TRAIN pings, one every TRAIN_GAP_MS (several in flight), echoed by the
 * server side as they come; each one's RTT in rtt[]. */
static void ping_train(const struct path *p, double *rtt)
{
	double sent[TRAIN], t0 = now_ms();
	int next = 0, got = 0;

	while (got < TRAIN) {
		struct pollfd fds[2] = {{.fd = p->s, .events = POLLIN}, {.fd = p->c, .events = POLLIN}};
		double now = now_ms(), due = t0 + next * TRAIN_GAP_MS;
		int k, wait = next < TRAIN ? (int)ceil(due - now) : 2000;

		if (next < TRAIN && now >= due) {
			sent[next] = now_ms();
			send_num(p->c, p->server, S_PORT, next++);
			continue;
		}
		if (poll(fds, 2, wait > 0 ? wait : 0) == 0 && next == TRAIN)
			break;
		while ((k = recv_nowait(p->s)) >= 0)
			send_num(p->s, p->client, C_PORT, k);
		while ((k = recv_nowait(p->c)) >= 0)
			if (k < TRAIN) {
				rtt[k] = now_ms() - sent[k];
				got++;
			}
	}
	ck_assert_msg(got == TRAIN, "%s: %d of %d pings came back", p->server, got, TRAIN);
}

/* 50 ms each way on wan, from the YAML: the median RTT is within 2 ms of
 * 100 ms, and no round trip is shorter than 100 ms. */
START_TEST(yaml_delay_median_within_2ms)
{
	struct lab l;
	double rtt[TRAIN];

	lab_up_impaired(&l, "", "        a: { delay: 50ms }\n        b: { delay: 50ms }\n", 1);
	for (int f = 0; f < 2; f++) {
		double med;

		ping_train(&l.p[f], rtt);
		qsort(rtt, TRAIN, sizeof(rtt[0]), cmp_d);
		med = (rtt[TRAIN / 2 - 1] + rtt[TRAIN / 2]) / 2;
		printf("impair: delay 50ms each way, %s: %d pings %.0f ms apart: RTT median %.3f ms, "
		       "min %.3f, p90 %.3f, p99 %.3f, max %.3f\n",
		       f ? "IPv6" : "IPv4", TRAIN, TRAIN_GAP_MS, med, rtt[0], rtt[TRAIN * 9 / 10],
		       rtt[TRAIN * 99 / 100], rtt[TRAIN - 1]);
		fflush(stdout);
		ck_assert_msg(rtt[0] >= 100.0, "a round trip took %.3f ms", rtt[0]);
		ck_assert_msg(fabs(med - 100.0) <= 2.0, "median RTT %.3f ms", med);
	}
	lab_down(&l);
}
END_TEST

#define LOSS_N 2000

/* LOSS_N numbered datagrams client -> server on path p; got[k] = times
 * datagram k arrived.  Waits until nothing came for `quiet_ms`. */
static void count_arrivals(const struct path *p, int n, unsigned char *got, int quiet_ms)
{
	int k;

	memset(got, 0, (size_t)n);
	for (k = 0; k < n; k++) {
		send_num(p->c, p->server, S_PORT, k);
		if (k % 50 == 49)
			usleep(500); /* the receiver reads afterwards: keep the stack's queues short */
	}
	while ((k = recv_num(p->s, quiet_ms)) >= 0)
		if (k < n && got[k] < 255)
			got[k]++;
}

/* 5% loss on what the router sends on wan: LOSS_N datagrams per family,
 * the number lost inside the binomial 99.9% interval, and the counters
 * agree with what the receiver missed. */
START_TEST(yaml_loss_5pct_in_binomial_interval)
{
	static unsigned char got[LOSS_N];
	struct impair_counters c;
	struct lab l;
	int lo, hi, total = 0;

	binomial_interval(LOSS_N, 0.05, &lo, &hi);
	lab_up_impaired(&l, "", "        a: { loss: 5% }\n        seed: 42\n", 1);
	for (int f = 0; f < 2; f++) {
		int lost = 0;

		count_arrivals(&l.p[f], LOSS_N, got, 300);
		for (int k = 0; k < LOSS_N; k++) {
			lost += got[k] == 0;
			ck_assert_int_le(got[k], 1);
		}
		printf("impair: loss 5%%, %s: %d of %d lost (%.2f%%); 99.9%% interval %d..%d\n",
		       f ? "IPv6" : "IPv4", lost, LOSS_N, 100.0 * lost / LOSS_N, lo, hi);
		fflush(stdout);
		ck_assert_msg(lost >= lo && lost <= hi, "%d lost, outside %d..%d", lost, lo, hi);
		total += lost;
	}
	counters_of(&l, "wan", "router", &c);
	ck_assert_uint_eq(c.seen, 2 * LOSS_N);
	ck_assert_uint_eq(c.lost, (uint64_t)total);
	ck_assert_uint_eq(c.queue_full + c.overflow + c.errors, 0);
	lab_down(&l);
}
END_TEST

/* One lab with 5% loss on wan a; which of LOSS_N IPv4 datagrams it lost
 * (1 each). */
static void lossy_yaml_run(const char *impair, uint64_t seed, unsigned char *lost)
{
	struct lab l;

	lab_up_impaired(&l, "", impair, seed);
	count_arrivals(&l.p[0], LOSS_N, lost, 300);
	for (int k = 0; k < LOSS_N; k++)
		lost[k] = lost[k] == 0;
	lab_down(&l);
}

static int differing(const unsigned char *a, const unsigned char *b, int n, int *na)
{
	int d = 0;

	*na = 0;
	for (int k = 0; k < n; k++) {
		d += a[k] != b[k];
		*na += a[k];
	}
	return d;
}

/* The run's seed (topo_up_seeded) decides which packets are lost: the same
 * seed the same indices, another seed others; a link's own seed wins over
 * the run's. */
START_TEST(yaml_loss_indices_follow_the_seed)
{
	static unsigned char a[LOSS_N], b[LOSS_N], o[LOSS_N], s1[LOSS_N], s2[LOSS_N];
	const char *run = "        a: { loss: 5% }\n";
	const char *own = "        a: { loss: 5% }\n        seed: 7\n";
	int na, nb, no, n1, n2, d_same, d_other, d_own;

	lossy_yaml_run(run, 42, a);
	lossy_yaml_run(run, 42, b);
	lossy_yaml_run(run, 43, o);
	lossy_yaml_run(own, 1, s1);
	lossy_yaml_run(own, 2, s2);
	d_same = differing(a, b, LOSS_N, &na);
	d_other = differing(o, a, LOSS_N, &no);
	d_own = differing(s1, s2, LOSS_N, &n1);
	differing(b, a, LOSS_N, &nb);
	differing(s2, s1, LOSS_N, &n2);
	printf("impair: loss 5%%, %d packets: seed 42 lost %d and %d (%d indices differ), seed 43 "
	       "lost %d (%d indices differ from seed 42); link seed 7 under run seeds 1 and 2 lost "
	       "%d and %d (%d differ)\n",
	       LOSS_N, na, nb, d_same, no, d_other, n1, n2, d_own);
	fflush(stdout);
	ck_assert_int_eq(d_same, 0);
	ck_assert_int_gt(d_other, 0);
	ck_assert_int_eq(d_own, 0);
	ck_assert_int_gt(na, 0);
}
END_TEST

#define REORDER_N 1000

/* 10% reorder behind 20 ms of delay, datagrams 1 ms apart: a reordered one
 * is sent at once and arrives before the ones still delayed.  Counted at
 * the receiver: datagrams that arrived before a lower-numbered one. */
START_TEST(yaml_reorder_observed_at_rate)
{
	static int order[REORDER_N];
	struct impair_counters c;
	struct lab l;
	int k, got = 0, early = 0, lo, hi, min_after = INT32_MAX;

	binomial_interval(REORDER_N, 0.10, &lo, &hi);
	lab_up_impaired(&l, "", "        a: { delay: 20ms, reorder: 10% }\n        seed: 5\n", 1);
	for (k = 0; k < REORDER_N; k++) {
		send_num(l.p[0].c, l.p[0].server, S_PORT, k);
		usleep(1000);
	}
	while (got < REORDER_N && (k = recv_num(l.p[0].s, 300)) >= 0)
		order[got++] = k;
	ck_assert_int_eq(got, REORDER_N);
	/* Early: some lower number arrives after it. */
	for (int i = got - 1; i >= 0; i--) {
		early += min_after < order[i];
		if (order[i] < min_after)
			min_after = order[i];
	}
	counters_of(&l, "wan", "router", &c);
	printf("impair: reorder 10%% behind 20ms, %d datagrams 1 ms apart: %d arrived ahead of "
	       "a lower number, %llu reordered by the impairment; 99.9%% interval %d..%d\n",
	       REORDER_N, early, (unsigned long long)c.reordered, lo, hi);
	fflush(stdout);
	ck_assert_msg((int)c.reordered >= lo && (int)c.reordered <= hi, "%llu reordered",
		      (unsigned long long)c.reordered);
	/* A reordered datagram is early unless nothing was in flight (the
	 * sender stalled for the whole delay): allow a few. */
	ck_assert_int_le(early, (int)c.reordered);
	ck_assert_msg(early >= lo && early * 10 >= (int)c.reordered * 9, "%d early", early);
	lab_down(&l);
}
END_TEST

/* 5% duplication behind 10 ms of delay: every datagram arrives, some twice,
 * as many as the impairment says it copied, inside the binomial interval;
 * both families (the copy is sent as IPv4 or IPv6 by its version). */
START_TEST(yaml_duplicate_observed_at_rate)
{
	static unsigned char got[LOSS_N];
	struct impair_counters c;
	struct lab l;
	int lo, hi, total = 0;

	binomial_interval(LOSS_N, 0.05, &lo, &hi);
	lab_up_impaired(&l, "", "        a: { delay: 10ms, duplicate: 5% }\n        seed: 9\n", 1);
	for (int f = 0; f < 2; f++) {
		int twice = 0, missing = 0;

		count_arrivals(&l.p[f], LOSS_N, got, 300);
		for (int k = 0; k < LOSS_N; k++) {
			twice += got[k] == 2;
			missing += got[k] == 0;
			ck_assert_int_le(got[k], 2);
		}
		printf("impair: duplicate 5%%, %s: %d of %d arrived twice (%.2f%%), %d missing; "
		       "99.9%% interval %d..%d\n",
		       f ? "IPv6" : "IPv4", twice, LOSS_N, 100.0 * twice / LOSS_N, missing, lo, hi);
		fflush(stdout);
		ck_assert_int_eq(missing, 0);
		ck_assert_msg(twice >= lo && twice <= hi, "%d duplicated, outside %d..%d", twice, lo,
			      hi);
		total += twice;
	}
	counters_of(&l, "wan", "router", &c);
	ck_assert_uint_eq(c.seen, 2 * LOSS_N); /* copies are not seen as new packets */
	ck_assert_uint_eq(c.duplicated, (uint64_t)total);
	ck_assert_uint_eq(c.queue_full + c.overflow + c.errors, 0);
	lab_down(&l);
}
END_TEST

/* A datagram of `size` bytes of payload numbered k. */
static void send_sized(const struct path *p, int k, size_t size)
{
	char msg[2048];
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	memset(msg, ' ', size);
	msg[snprintf(msg, size, "%d", k)] = ' ';
	if (inet_pton(AF_INET, p->server, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(S_PORT);
		len = sizeof(*s4);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, p->server, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(S_PORT);
		len = sizeof(*s6);
	}
	ck_assert_int_eq(sendto(p->c, msg, size, 0, (struct sockaddr *)&ss, len), (ssize_t)size);
}

/* Receive until quiet; the kernel's arrival time of each (SO_TIMESTAMPNS:
 * taken when the server's interface received it, after the router let it
 * go, so the test thread's scheduling does not enter). */
static int recv_stamped(int fd, double *at, int max, int quiet_ms)
{
	int n = 0;

	while (n < max) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		char buf[2048], ctl[256];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		struct cmsghdr *cm;

		if (poll(&pf, 1, quiet_ms) <= 0 || recvmsg(fd, &mh, 0) <= 0)
			break;
		at[n] = -1;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				at[n] = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
			}
		ck_assert_msg(at[n] >= 0, "no timestamp");
		n++;
	}
	return n;
}

#define RATE_PAYLOAD 1000
#define RATE_MAX_N 1000

static const struct {
	const char *rate;
	double bps;
	int n; /* datagrams per family: about a second's worth */
} rates[] = {{"2mbit", 2e6, 250}, {"20mbit", 20e6, RATE_MAX_N}};

/* A burst much faster than the rate of the client's end of lan, with room
 * in the queue for all of it: everything arrives, at the configured rate
 * within 10% (IP bytes from the second arrival to the last, over the time
 * between the first and the last). */
START_TEST(yaml_rate_throughput_within_10pct)
{
	static double at[RATE_MAX_N];
	char impair[128];
	struct impair_counters c;
	struct lab l;
	int one = 1;

	snprintf(impair, sizeof(impair), "        a: { rate: %s, queue: 2mb }\n", rates[_i].rate);
	lab_up_impaired(&l, impair, "", 1);
	for (int f = 0; f < 2; f++) {
		size_t ip = RATE_PAYLOAD + 8 + (f ? 40 : 20);
		int n = rates[_i].n, got;
		double bps, secs;

		setsockopt(l.p[f].s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
		for (int k = 0; k < n; k++)
			send_sized(&l.p[f], k, RATE_PAYLOAD);
		got = recv_stamped(l.p[f].s, at, n, 500);
		ck_assert_int_eq(got, n);
		secs = (at[n - 1] - at[0]) / 1e3;
		bps = (double)(n - 1) * (double)ip * 8 / secs;
		printf("impair: rate %s, %s: %d datagrams of %zu IP bytes in %.3f s: %.3f Mbit/s "
		       "(%+.2f%%)\n",
		       rates[_i].rate, f ? "IPv6" : "IPv4", n, ip, secs, bps / 1e6,
		       100.0 * (bps / rates[_i].bps - 1));
		fflush(stdout);
		ck_assert_msg(fabs(bps / rates[_i].bps - 1) <= 0.10, "%.0f bit/s", bps);
	}
	counters_of(&l, "lan", "client", &c);
	ck_assert_uint_eq(c.rate_dropped + c.queue_full + c.overflow + c.errors, 0);
	lab_down(&l);
}
END_TEST

/* A burst of 100 into 1mbit with a 16kb queue: what the queue holds
 * arrives, the rest is dropped and counted; the last arrival is no later
 * than a full queue's drain time after the first. */
START_TEST(yaml_rate_queue_limit_drops)
{
	static double at[100];
	struct impair_counters c;
	struct lab l;
	int one = 1, got;
	double span, drain;

	lab_up_impaired(&l, "        a: { rate: 1mbit, queue: 16kb }\n", "", 1);
	setsockopt(l.p[0].s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	for (int k = 0; k < 100; k++)
		send_sized(&l.p[0], k, RATE_PAYLOAD);
	got = recv_stamped(l.p[0].s, at, 100, 500);
	counters_of(&l, "lan", "client", &c);
	span = at[got - 1] - at[0];
	drain = (16384.0 + 1028) * 8 / 1e6 * 1e3;
	printf("impair: rate 1mbit, queue 16kb, burst of 100 x 1028 IP bytes: %d arrived over "
	       "%.1f ms (full queue drains in %.1f ms), %llu dropped by the queue\n",
	       got, span, drain, (unsigned long long)c.rate_dropped);
	fflush(stdout);
	ck_assert_uint_eq((uint64_t)got + c.rate_dropped, 100);
	ck_assert_int_ge(got, 15); /* 16384 / 1028 waiting, and the one on the wire */
	ck_assert_int_le(got, 18);
	ck_assert_double_le(span, drain);
	lab_down(&l);
}
END_TEST

/* topo_up owns the impairment: one thread while up, none after topo_down;
 * a topology without impairment has none; a bad impairment in a plan
 * fails the build with its cause and leaves nothing behind. */
START_TEST(topo_up_owns_the_impairment)
{
	struct lab l;
	struct topo_plan p = {0};
	struct topo *t = NULL;
	struct icl_err err = {0};
	char yaml[2048];
	int tasks, live;

	/* libuv's first loop opens a process-wide pipe: start one first. */
	lab_up_impaired(&l, "", "        a: { delay: 1ms }\n", 1);
	lab_down(&l);
	tasks = count_dir("/proc/self/task");
	live = ns_count_live();
	lab_up_impaired(&l, "", "        a: { delay: 1ms }\n", 1);
	ck_assert_int_eq(count_dir("/proc/self/task"), tasks + 1);
	ck_assert_uint_eq(topo_seed(l.t), 1);
	ck_assert_uint_eq(impair_count(topo_impair(l.t)), 1);
	ping(&l.p[0], 1);
	lab_down(&l);
	ck_assert_int_eq(count_dir("/proc/self/task"), tasks);

	impaired_yaml(yaml, sizeof(yaml), "", "        a: { loss: 5% }\n");
	ck_assert_int_eq(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &err), 0);
	p.links[1].impair[0].loss = 1.5; /* what the loader would refuse */
	ck_assert_int_eq(topo_up_seeded(&p, 3, &t, &err), ICL_EINPUT);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err.msg, "impairment: links.wan.impair.a: loss, reorder and duplicate "
				  "must be in [0, 1]");
	ck_assert_int_eq(ns_count_live(), live);
	p.links[1].impair[0].set = false;
	ck_assert_int_eq(topo_up(&p, &t, &err), 0);
	ck_assert_ptr_null(topo_impair(t));
	topo_down(t);
	topo_plan_free(&p);
}
END_TEST

Suite *impair_suite(void)
{
	Suite *s = suite_create("impair");
	TCase *tc = tcase_create("impair");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, control_rtt_below_5ms);
	tcase_add_loop_test(tc, delay_50ms_each_way, 0, 2);
	tcase_add_test(tc, loss_is_seeded);
	tcase_add_test(tc, reorder_only_when_asked);
	tcase_add_test(tc, stop_is_clean_and_fail_closed);
	tcase_add_test(tc, one_impair_per_node);
	tcase_add_test(tc, nat_maps_a_delayed_flow_once);
	tcase_add_test(tc, bad_specs_are_refused);
	tcase_add_test(tc, yaml_delay_median_within_2ms);
	tcase_add_test(tc, yaml_loss_5pct_in_binomial_interval);
	tcase_add_test(tc, yaml_loss_indices_follow_the_seed);
	tcase_add_test(tc, yaml_reorder_observed_at_rate);
	tcase_add_test(tc, yaml_duplicate_observed_at_rate);
	tcase_add_loop_test(tc, yaml_rate_throughput_within_10pct, 0, 2);
	tcase_add_test(tc, yaml_rate_queue_limit_drops);
	tcase_add_test(tc, topo_up_owns_the_impairment);
	suite_add_tcase(s, tc);
	return s;
}
