/* Namespace tests (root): pcap capture of every link end, read back with
 * capture_scan(). */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <uv.h>

#include "../../harness/capture.h"
#include "nsutil.h"
#include "suites.h"

/* client --lan-- router --wan-- server, both families routed. */
static const char routed_yaml[] =
	"topology:\n"
	"  nodes:\n"
	"    client:\n"
	"      routes:\n"
	"        - { to: default, via: 10.1.0.1 }\n"
	"        - { to: default, via: 'fd00:1::1' }\n"
	"    router: { router: true }\n"
	"    server:\n"
	"      routes:\n"
	"        - { to: default, via: 10.2.0.1 }\n"
	"        - { to: default, via: 'fd00:2::1' }\n"
	"  links:\n"
	"    lan:\n"
	"      a: { node: client, ipv4: 10.1.0.2/24, ipv6: 'fd00:1::2/64' }\n"
	"      b: { node: router, ipv4: 10.1.0.1/24, ipv6: 'fd00:1::1/64' }\n"
	"    wan:\n"
	"      a: { node: router, ipv4: 10.2.0.1/24, ipv6: 'fd00:2::1/64' }\n"
	"      b: { node: server, ipv4: 10.2.0.2/24, ipv6: 'fd00:2::2/64' }\n";

/* scenarios/topo-ipv6-oneway.yaml: IPv4 NATed, IPv6 dropped wan -> lan. */
static const char oneway_yaml[] = NS_ONEWAY_YAML;

static const char *const four_files[] = { "lan-client.pcap", "lan-router.pcap",
					  "wan-router.pcap", "wan-server.pcap" };

/* ---- helpers ------------------------------------------------------------ */

#define MAX_GOT 32

struct dgram {
	int family;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned sport, dport;
	char payload[64];
	size_t frame;
	bool truncated;
	double t;
};

struct dgrams {
	struct dgram d[MAX_GOT];
	size_t n;
};

/* What a file must hold, in order; family follows from `src`. */
struct want {
	const char *src;
	unsigned sport;
	const char *dst;
	unsigned dport;
	const char *payload;
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int collect(void *user, const struct capture_pkt *p)
{
	struct dgrams *g = user;
	struct dgram *d;

	ck_assert_uint_lt(g->n, MAX_GOT);
	d = &g->d[g->n++];
	d->family = p->family;
	inet_ntop(p->family, &p->src, d->src, sizeof(d->src));
	inet_ntop(p->family, &p->dst, d->dst, sizeof(d->dst));
	d->sport = p->sport;
	d->dport = p->dport;
	ck_assert_uint_lt(p->len, sizeof(d->payload));
	memcpy(d->payload, p->payload, p->len);
	d->payload[p->len] = '\0';
	d->frame = p->frame;
	d->truncated = p->truncated;
	d->t = p->t;
	return 0;
}

static void scan_file(const char *dir, const char *link, const char *node, struct dgrams *g)
{
	char path[PATH_MAX + 64];
	struct icl_err err = {0};
	int n;

	snprintf(path, sizeof(path), "%s/%s-%s.pcap", dir, link, node);
	memset(g, 0, sizeof(*g));
	n = capture_scan(path, collect, g, &err);
	ck_assert_msg(n >= 0, "%s", err.msg);
	ck_assert_int_eq((size_t)n, g->n);
}

/* Exactly `w[0..n)` on that end, in order, captured within [lo, hi]. */
static void expect_file(const char *dir, const char *link, const char *node,
			const struct want *w, size_t n, double lo, double hi)
{
	struct dgrams g;

	scan_file(dir, link, node, &g);
	ck_assert_msg(g.n == n, "%s-%s: %zu UDP datagrams, want %zu", link, node, g.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct dgram *d = &g.d[i];

		ck_assert_msg(d->family == (strchr(w[i].src, ':') ? AF_INET6 : AF_INET),
			      "%s-%s #%zu: family", link, node, i);
		ck_assert_msg(strcmp(d->src, w[i].src) == 0 && d->sport == w[i].sport &&
				      strcmp(d->dst, w[i].dst) == 0 && d->dport == w[i].dport &&
				      strcmp(d->payload, w[i].payload) == 0,
			      "%s-%s #%zu: got %s:%u -> %s:%u '%s', want %s:%u -> %s:%u '%s'", link,
			      node, i, d->src, d->sport, d->dst, d->dport, d->payload, w[i].src,
			      w[i].sport, w[i].dst, w[i].dport, w[i].payload);
		ck_assert(!d->truncated);
		ck_assert_msg(d->t >= lo && d->t <= hi, "%s-%s #%zu: time %.6f not in [%.6f, %.6f]",
			      link, node, i, d->t, lo, hi);
		ck_assert(i == 0 || d->t >= g.d[i - 1].t);
	}
}

static void on_tick(uv_timer_t *h)
{
	uv_stop(h->loop);
}

/* Run the loop for `ms`: the capture callbacks write what was queued. */
static void run_loop(uv_loop_t *loop, unsigned ms)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, on_tick, ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

/* The last loop turn runs the close callbacks; then nothing is left. */
static void loop_finish(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_NOWAIT);
	ck_assert_int_eq(uv_loop_close(loop), 0);
}

/* A fresh directory under the run's private TMPDIR (main.c): whatever a
 * failed test leaves in it goes with the run. */
static void make_dir(char *dir, size_t cap)
{
	ns_tmp_template(dir, cap, "icelab-capture");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The directory holds exactly `names`; then it is removed. */
static void dir_expect_and_remove(const char *dir, const char *const *names, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t seen = 0;
	char path[PATH_MAX + 64];

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		size_t k = 0;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		while (k < n && strcmp(names[k], e->d_name) != 0)
			k++;
		ck_assert_msg(k < n, "unexpected file %s", e->d_name);
		seen++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	ck_assert_uint_eq(seen, n);
	ck_assert_int_eq(rmdir(dir), 0);
}

static struct capture *start(const struct topo *t, uv_loop_t *loop, const char *dir)
{
	struct icl_err err = {0};
	struct capture *c;

	ck_assert_msg(capture_start(t, loop, dir, &c, &err) == 0, "%s", err.msg);
	return c;
}

static void stop(struct capture *c)
{
	struct icl_err err = {0};

	ck_assert_msg(capture_stop(c, &err) == 0, "%s", err.msg);
}

/* ---- live captures ------------------------------------------------------ */

/* Sent one at a time, each waited for: the files' order is known. */
static void send_both_families(const struct topo *t, struct want *w, char (*payload)[32],
			       size_t n)
{
	int c4 = ns_udp(t, "client", "10.1.0.2", 4000), c6 = ns_udp(t, "client", "fd00:1::2", 4001);
	int s4 = ns_udp(t, "server", "10.2.0.2", 5000), s6 = ns_udp(t, "server", "fd00:2::2", 5001);

	for (size_t i = 0; i < n; i++) {
		bool v6 = i % 2 == 1;

		snprintf(payload[i], sizeof(payload[i]), "%s #%zu", v6 ? "six" : "four", i / 2);
		w[i] = (struct want){ v6 ? "fd00:1::2" : "10.1.0.2", v6 ? 4001u : 4000u,
				      v6 ? "fd00:2::2" : "10.2.0.2", v6 ? 5001u : 5000u,
				      payload[i] };
		ns_sendto(v6 ? c6 : c4, w[i].dst, w[i].dport, payload[i]);
		ck_assert_msg(ns_recv(v6 ? s6 : s4, 1000, NULL, 0, NULL), "%s lost", payload[i]);
	}
	close(c4);
	close(c6);
	close(s4);
	close(s6);
}

START_TEST(every_end_holds_the_datagrams)
{
	int live = ns_count_live();
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(routed_yaml, &p);
	struct want w[6];
	char payload[6][32];
	uv_loop_t loop;
	char dir[PATH_MAX];
	struct capture *c;
	double t0, t1;

	make_dir(dir, sizeof(dir));
	uv_loop_init(&loop);
	t0 = wall_now();
	c = start(t, &loop, dir);
	send_both_families(t, w, payload, 6);
	/* The loop alone writes the files: no flush, no stop yet. */
	run_loop(&loop, 20);
	t1 = wall_now();
	expect_file(dir, "lan", "client", w, 6, t0, t1);
	expect_file(dir, "lan", "router", w, 6, t0, t1);
	expect_file(dir, "wan", "router", w, 6, t0, t1);
	expect_file(dir, "wan", "server", w, 6, t0, t1);
	/* Stopping adds nothing, loses nothing; the files are readable before
	 * the loop has run the close callbacks. */
	stop(c);
	expect_file(dir, "wan", "server", w, 6, t0, t1);
	loop_finish(&loop);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, four_files, 4);
	ck_assert_int_eq(ns_count_live(), live);
}
END_TEST

/* The largest datagram a link carries is captured whole at every end: the
 * snap length follows the links' MTU (default, and jumbo on both links). */
struct sizes {
	size_t len[4];
	size_t n;
	bool truncated;
};

static int collect_size(void *user, const struct capture_pkt *p)
{
	struct sizes *s = user;

	ck_assert_uint_lt(s->n, 4);
	s->len[s->n++] = p->len;
	s->truncated = s->truncated || p->truncated;
	return 0;
}

static const unsigned full_mtu[] = { 0, 9000 };

START_TEST(largest_datagrams_are_whole)
{
	unsigned mtu = full_mtu[_i] ? full_mtu[_i] : 1500;
	size_t n4 = mtu - 28, n6 = mtu - 48; /* less the IP and UDP headers */
	char yaml[2048], *big = malloc(n4 + 1), path[PATH_MAX + 64];
	const char *lines[] = { "    lan:\n", "    wan:\n" };
	struct topo_plan p;
	struct topo *t;
	uv_loop_t loop;
	char dir[PATH_MAX];
	struct capture *c;
	int c4, c6, s4, s6;

	snprintf(yaml, sizeof(yaml), "%s", routed_yaml);
	for (size_t i = 0; full_mtu[_i] && i < 2; i++) { /* "mtu: N" under each link */
		char *at = strstr(yaml, lines[i]) + strlen(lines[i]), rest[2048];

		snprintf(rest, sizeof(rest), "%s", at);
		snprintf(at, sizeof(yaml) - (size_t)(at - yaml), "      mtu: %u\n%s", mtu, rest);
	}
	t = ns_topo_from_yaml(yaml, &p);
	memset(big, 'x', n4);
	make_dir(dir, sizeof(dir));
	uv_loop_init(&loop);
	c = start(t, &loop, dir);
	c4 = ns_udp(t, "client", "10.1.0.2", 4000);
	c6 = ns_udp(t, "client", "fd00:1::2", 4001);
	s4 = ns_udp(t, "server", "10.2.0.2", 5000);
	s6 = ns_udp(t, "server", "fd00:2::2", 5001);
	big[n4] = '\0';
	ns_sendto(c4, "10.2.0.2", 5000, big);
	ck_assert_msg(ns_recv(s4, 1000, NULL, 0, NULL), "IPv4 datagram of %zu lost", n4);
	big[n6] = '\0';
	ns_sendto(c6, "fd00:2::2", 5001, big);
	ck_assert_msg(ns_recv(s6, 1000, NULL, 0, NULL), "IPv6 datagram of %zu lost", n6);
	run_loop(&loop, 20);
	stop(c);
	loop_finish(&loop);
	for (size_t f = 0; f < 4; f++) {
		struct sizes s = {0};
		struct icl_err err = {0};

		snprintf(path, sizeof(path), "%s/%s", dir, four_files[f]);
		ck_assert_msg(capture_scan(path, collect_size, &s, &err) == 2, "%s: %s", path,
			      err.msg);
		ck_assert_msg(!s.truncated && s.len[0] == n4 && s.len[1] == n6,
			      "%s, MTU %u: %zu and %zu bytes%s, want %zu and %zu", four_files[f], mtu,
			      s.len[0], s.len[1], s.truncated ? " (truncated)" : "", n4, n6);
	}
	close(c4);
	close(c6);
	close(s4);
	close(s6);
	free(big);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, four_files, 4);
}
END_TEST

/* Without running the loop, capture_flush() picks up what is queued. */
START_TEST(flush_without_loop)
{
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(routed_yaml, &p);
	struct icl_err err = {0};
	struct want w[2];
	char payload[2][32];
	uv_loop_t loop;
	char dir[PATH_MAX];
	struct capture *c;

	make_dir(dir, sizeof(dir));
	uv_loop_init(&loop);
	c = start(t, &loop, dir);
	send_both_families(t, w, payload, 2);
	ck_assert_msg(capture_flush(c, &err) == 0, "%s", err.msg);
	expect_file(dir, "lan", "client", w, 2, 0, 1e12);
	expect_file(dir, "wan", "server", w, 2, 0, 1e12);
	stop(c);
	loop_finish(&loop);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, four_files, 4);
}
END_TEST

START_TEST(oneway_reply_stops_at_the_router)
{
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(oneway_yaml, &p);
	int c4 = ns_udp(t, "client", "10.0.0.2", 7002), s4 = ns_udp(t, "server", "", 7000);
	int c6 = ns_udp(t, "client", "2001:db8:1::2", 7001);
	int s6 = ns_udp(t, "server", "2001:db8:2::10", 7000);
	char nat_addr[64];
	unsigned nat_port;
	uv_loop_t loop;
	char dir[PATH_MAX];
	struct capture *c;

	make_dir(dir, sizeof(dir));
	uv_loop_init(&loop);
	c = start(t, &loop, dir);
	ns_sendto(c4, "203.0.113.10", 7000, "v4 out");
	ck_assert(ns_recv(s4, 1000, nat_addr, sizeof(nat_addr), &nat_port));
	ns_sendto(c6, "2001:db8:2::10", 7000, "v6 out");
	ck_assert(ns_recv(s6, 1000, NULL, 0, NULL));
	ns_sendto(s6, "2001:db8:1::2", 7001, "v6 back");
	ck_assert(!ns_recv(c6, 300, NULL, 0, NULL));
	run_loop(&loop, 20);
	stop(c);
	loop_finish(&loop);

	const struct want v4_in = { "10.0.0.2", 7002, "203.0.113.10", 7000, "v4 out" };
	const struct want v4_out = { nat_addr, nat_port, "203.0.113.10", 7000, "v4 out" };
	const struct want req = { "2001:db8:1::2", 7001, "2001:db8:2::10", 7000, "v6 out" };
	const struct want back = { "2001:db8:2::10", 7000, "2001:db8:1::2", 7001, "v6 back" };
	const struct want lan[] = { v4_in, req }, wan[] = { v4_out, req, back };

	ck_assert_str_eq(nat_addr, "203.0.113.1");
	/* The NAT shows between the two ends of the router; the reply is on
	 * both ends of wan (it reaches the router) and on neither end of lan. */
	expect_file(dir, "lan", "client", lan, 2, 0, 1e12);
	expect_file(dir, "lan", "router", lan, 2, 0, 1e12);
	expect_file(dir, "wan", "router", wan, 3, 0, 1e12);
	expect_file(dir, "wan", "server", wan, 3, 0, 1e12);
	close(c4);
	close(c6);
	close(s4);
	close(s6);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, four_files, 4);
}
END_TEST

/* An ioctl socket in `node`, with `ifr` naming its end of `link`. */
static int link_ioctl_sock(const struct topo *t, const char *node, const char *link,
			   struct ifreq *ifr)
{
	const struct topo_end *end = topo_link_end_on(topo_plan_link(topo_plan(t), link), node);
	struct icl_err err;
	int fd;

	ck_assert_msg(topo_enter(t, node, &err) == 0, "%s", err.msg);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(topo_leave(t, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(fd, 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", end->ifname);
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, ifr), 0);
	return fd;
}

/* Take a node's interface down or up, as an outage would. */
static void set_link(const struct topo *t, const char *node, const char *link, bool up)
{
	struct ifreq ifr;
	int fd = link_ioctl_sock(t, node, link, &ifr);

	ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* After a carrier change the kernel drops what is sent on the link until
 * its link watcher has run (up to a second later), which sets RUNNING. */
static void wait_running(const struct topo *t, const char *node, const char *link)
{
	struct ifreq ifr;
	int fd = link_ioctl_sock(t, node, link, &ifr);

	for (int i = 0; i < 300 && !(ifr.ifr_flags & IFF_RUNNING); i++) {
		usleep(5000);
		ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	}
	ck_assert_msg(ifr.ifr_flags & IFF_RUNNING, "%s of %s not running", link, node);
	close(fd);
}

/* A link going down puts an error on its capture socket; the capture
 * survives it and records again once the link is back up. */
START_TEST(link_down_and_up_keeps_capturing)
{
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(routed_yaml, &p);
	int c = ns_udp(t, "client", "10.1.0.2", 4000), r = ns_udp(t, "router", "10.1.0.1", 6000);
	const struct want w[] = { { "10.1.0.2", 4000, "10.1.0.1", 6000, "before" },
				  { "10.1.0.2", 4000, "10.1.0.1", 6000, "after" } };
	uv_loop_t loop;
	char dir[PATH_MAX];
	struct capture *cap;

	make_dir(dir, sizeof(dir));
	uv_loop_init(&loop);
	cap = start(t, &loop, dir);
	ns_sendto(c, "10.1.0.1", 6000, "before");
	ck_assert(ns_recv(r, 1000, NULL, 0, NULL));
	set_link(t, "client", "lan", false);
	run_loop(&loop, 10);
	set_link(t, "client", "lan", true);
	wait_running(t, "client", "lan");
	wait_running(t, "router", "lan");
	/* The connected route comes back with the link; the default routes
	 * would not, so the datagram goes to the router itself. */
	ns_sendto(c, "10.1.0.1", 6000, "after");
	ck_assert(ns_recv(r, 1000, NULL, 0, NULL));
	run_loop(&loop, 10);
	expect_file(dir, "lan", "client", w, 2, 0, 1e12);
	expect_file(dir, "lan", "router", w, 2, 0, 1e12);
	stop(cap);
	loop_finish(&loop);
	close(c);
	close(r);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, four_files, 4);
}
END_TEST

START_TEST(start_into_missing_dir_leaves_nothing)
{
	int live = ns_count_live();
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(routed_yaml, &p);
	struct icl_err err = {0};
	struct capture *c;
	uv_loop_t loop;
	char dir[PATH_MAX], missing[PATH_MAX + 16];

	make_dir(dir, sizeof(dir));
	snprintf(missing, sizeof(missing), "%s/none", dir);
	uv_loop_init(&loop);
	ck_assert_int_eq(capture_start(t, &loop, missing, &c, &err), -ENOENT);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, "lan-client") && strstr(err.msg, missing) &&
			      strstr(err.msg, "No such file"),
		      "%s", err.msg);
	loop_finish(&loop);
	ns_topo_free(t, &p);
	dir_expect_and_remove(dir, NULL, 0);
	ck_assert_int_eq(ns_count_live(), live);
}
END_TEST

/* ---- the reader on crafted files ---------------------------------------- */

static size_t frame_eth(uint8_t *f, uint16_t type)
{
	memset(f, 0, 12);
	f[0] = 0x02; /* locally administered MACs */
	f[6] = 0x02;
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

static size_t frame_udp(uint8_t *f, uint16_t sport, uint16_t dport, const char *msg)
{
	size_t n = strlen(msg);

	f[0] = (uint8_t)(sport >> 8);
	f[1] = (uint8_t)sport;
	f[2] = (uint8_t)(dport >> 8);
	f[3] = (uint8_t)dport;
	f[4] = (uint8_t)((8 + n) >> 8);
	f[5] = (uint8_t)(8 + n);
	f[6] = f[7] = 0;
	memcpy(f + 8, msg, n);
	return 8 + n;
}

/* IPv4 UDP frame; `frag` goes into the flags/offset field. */
static size_t frame_v4(uint8_t *f, uint16_t frag, const char *msg)
{
	size_t off = frame_eth(f, 0x0800), n;
	uint8_t *ip = f + off;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, "192.0.2.1", ip + 12);
	inet_pton(AF_INET, "192.0.2.2", ip + 16);
	n = 20 + frame_udp(ip + 20, 1111, 2222, msg);
	ip[2] = (uint8_t)(n >> 8);
	ip[3] = (uint8_t)n;
	return off + n;
}

static size_t frame_v6(uint8_t *f, uint8_t next, const char *msg)
{
	size_t off = frame_eth(f, 0x86dd), n;
	uint8_t *ip = f + off;

	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[6] = next;
	ip[7] = 64;
	inet_pton(AF_INET6, "2001:db8::1", ip + 8);
	inet_pton(AF_INET6, "2001:db8::2", ip + 24);
	n = frame_udp(ip + 40, 3333, 4444, msg);
	ip[4] = (uint8_t)(n >> 8);
	ip[5] = (uint8_t)n;
	return off + 40 + n;
}

static void dump_frame(pcap_dumper_t *d, const uint8_t *f, size_t caplen, size_t len)
{
	struct pcap_pkthdr h = { .ts = { 1000, 123456 }, .caplen = (bpf_u_int32)caplen,
				 .len = (bpf_u_int32)len };

	pcap_dump((u_char *)d, &h, f);
}

static void write_crafted(const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	uint8_t f[256];
	size_t n;

	ck_assert_ptr_nonnull(d);
	n = frame_v4(f, 0, "plain");
	dump_frame(d, f, n, n);
	n = frame_v4(f, 0x2000, "first fragment"); /* MF */
	dump_frame(d, f, n, n);
	n = frame_v6(f, 0 /* hop-by-hop */, "behind ext");
	dump_frame(d, f, n, n);
	n = frame_v6(f, 17, "six");
	dump_frame(d, f, n, n);
	dump_frame(d, f, 20, n); /* cut inside the IPv6 header */
	n = frame_v6(f, 17, "cut payload");
	dump_frame(d, f, n - 4, n);
	n = frame_eth(f, 0x0806); /* ARP */
	dump_frame(d, f, n, n);
	pcap_dump_close(d);
	pcap_close(p);
}

START_TEST(scan_parses_and_skips)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct icl_err err = {0};
	struct dgrams g = {0};

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/crafted.pcap", dir);
	write_crafted(path);
	ck_assert_int_eq(capture_scan(path, collect, &g, &err), 3);
	ck_assert_str_eq(g.d[0].src, "192.0.2.1");
	ck_assert_str_eq(g.d[0].dst, "192.0.2.2");
	ck_assert_uint_eq(g.d[0].sport, 1111);
	ck_assert_uint_eq(g.d[0].dport, 2222);
	ck_assert_str_eq(g.d[0].payload, "plain");
	ck_assert(!g.d[0].truncated);
	ck_assert(fabs(g.d[0].t - 1000.123456) < 1e-9); /* microseconds read as nanoseconds */
	ck_assert_uint_eq(g.d[0].frame, 1);
	ck_assert_str_eq(g.d[1].src, "2001:db8::1");
	ck_assert_str_eq(g.d[1].dst, "2001:db8::2");
	ck_assert_uint_eq(g.d[1].sport, 3333);
	ck_assert_str_eq(g.d[1].payload, "six");
	ck_assert_uint_eq(g.d[1].frame, 4);
	/* Cut by the snap length: what is there, and the mark. */
	ck_assert_str_eq(g.d[2].payload, "cut pay");
	ck_assert(g.d[2].truncated);
	ck_assert_uint_eq(g.d[2].frame, 6);
	dir_expect_and_remove(dir, (const char *const[]){ "crafted.pcap" }, 1);
}
END_TEST

static int never(void *user, const struct capture_pkt *p)
{
	(void)user;
	(void)p;
	ck_abort_msg("callback on a bad file");
	return 1;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(scan_errors_name_file_and_reason)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct icl_err err = {0};

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/missing.pcap", dir);
	ck_assert_int_eq(capture_scan(path, never, NULL, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "No such file"), "%s", err.msg);

	snprintf(path, sizeof(path), "%s/text.pcap", dir);
	write_text(path, "this is not a capture file, only some text\n");
	icl_err_clear(&err);
	ck_assert_int_lt(capture_scan(path, never, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "not a pcap file"), "%s", err.msg);
	dir_expect_and_remove(dir, (const char *const[]){ "text.pcap" }, 1);
}
END_TEST

/* A record cut short (a copy interrupted, a disk full) is an error, after
 * the datagrams before it were delivered. */
START_TEST(scan_truncated_file_is_an_error)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct icl_err err = {0};
	struct dgrams g = {0};
	long size;
	FILE *f;

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/cut.pcap", dir);
	write_crafted(path);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(truncate(path, size - 3), 0);
	ck_assert_int_eq(capture_scan(path, collect, &g, &err), -EIO);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "frame 7"), "%s", err.msg);
	dir_expect_and_remove(dir, (const char *const[]){ "cut.pcap" }, 1);
}
END_TEST

START_TEST(scan_refuses_other_link_types)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct icl_err err = {0};
	pcap_t *p = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *d;

	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/raw.pcap", dir);
	d = pcap_dump_open(p, path);
	ck_assert_ptr_nonnull(d);
	pcap_dump_close(d);
	pcap_close(p);
	ck_assert_int_eq(capture_scan(path, never, NULL, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "expected Ethernet"), "%s", err.msg);
	dir_expect_and_remove(dir, (const char *const[]){ "raw.pcap" }, 1);
}
END_TEST

Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *live = tcase_create("live");
	TCase *scan = tcase_create("scan");

	tcase_set_timeout(live, 20);
	tcase_add_test(live, every_end_holds_the_datagrams);
	tcase_add_test(live, flush_without_loop);
	tcase_add_loop_test(live, largest_datagrams_are_whole, 0, 2);
	tcase_add_test(live, oneway_reply_stops_at_the_router);
	tcase_add_test(live, link_down_and_up_keeps_capturing);
	tcase_add_test(live, start_into_missing_dir_leaves_nothing);
	suite_add_tcase(s, live);
	tcase_add_test(scan, scan_parses_and_skips);
	tcase_add_test(scan, scan_errors_name_file_and_reason);
	tcase_add_test(scan, scan_truncated_file_is_an_error);
	tcase_add_test(scan, scan_refuses_other_link_types);
	suite_add_tcase(s, scan);
	return s;
}
