/* Namespace tests (root): NAT64 with TAYGA and 464XLAT's CLAT.
 *
 * client (IPv6 only, 2001:db8:1::2) --lan-- router (nat64, outside
 * 203.0.113.1) --wan-- server (IPv4 only, 203.0.113.10 and .11).  The
 * NAT64's IPv4 side is classified by coturn's turnutils_natdiscovery run
 * on the client through its CLAT, so that the whole 464XLAT path carries
 * RFC 5780 discovery. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/scenario.h"
#include "../../netns/svc.h"
#include "nsutil.h"
#include "suites.h"

static const char *const verdicts[3] = {
	"Endpoint Independent", "Address Dependent", "Address and Port Dependent"};

static void lab_yaml(char *buf, size_t cap, int mapping, int filtering, bool clat)
{
	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client:\n"
		 "      gateway: router\n"
		 "%s"
		 "    router:\n"
		 "      router: true\n"
		 "      nat64:\n"
		 "        inside: lan\n"
		 "        outside: wan\n"
		 "        mapping: %s\n"
		 "        filtering: %s\n"
		 "    server: { gateway: router }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, ipv6: '2001:db8:1::2/64' }\n"
		 "      b: { node: router, ipv6: '2001:db8:1::1/64' }\n"
		 "    wan:\n"
		 "      a: { node: router, ipv4: 203.0.113.1/24 }\n"
		 "      b: { node: server, ipv4: [203.0.113.10/24, 203.0.113.11/24] }\n",
		 clat ? "      clat: { prefix: '2001:db8:64::/96', ipv4: 10.200.0.1 }\n" : "",
		 ns_behaviours[mapping], ns_behaviours[filtering]);
}

/* One datagram from `caddr` in the client to `target`, answered by the
 * server on `saddr`: the server must see the NAT64's outside address, and
 * the client the answer from `target`. */
static void round_trip(const struct topo *t, const char *caddr, const char *target,
		       const char *saddr, unsigned port)
{
	int c = ns_udp(t, "client", caddr, 4000), s = ns_udp(t, "server", saddr, port);
	char from[64] = "";
	unsigned from_port = 0;
	bool got = false;

	/* The first packet may wait for neighbour resolution: resend. */
	for (int i = 0; i < 10 && !got; i++) {
		ns_sendto(c, target, port, "ping");
		got = ns_recv(s, 200, from, sizeof(from), &from_port);
	}
	ck_assert_msg(got, "%s -> %s: lost", caddr, target);
	ck_assert_str_eq(from, "203.0.113.1");
	ns_sendto(s, from, from_port, "pong");
	ck_assert_msg(ns_recv(c, 1000, from, sizeof(from), NULL), "answer to %s lost", caddr);
	ck_assert_str_eq(from, target);
	close(c);
	close(s);
}

START_TEST(nat64_udp_to_synthesized_address)
{
	char yaml[2048];
	struct topo_plan p;
	struct topo *t;

	lab_yaml(yaml, sizeof(yaml), 0, 0, false);
	t = ns_topo_from_yaml(yaml, &p);
	/* inet_ntop's form of 2001:db8:64::203.0.113.10 */
	round_trip(t, "2001:db8:1::2", "2001:db8:64::cb00:710a", "203.0.113.10", 5000);
	ns_topo_free(t, &p);
}
END_TEST

START_TEST(clat_udp_from_ipv4_address)
{
	char yaml[2048];
	struct topo_plan p;
	struct topo *t;

	lab_yaml(yaml, sizeof(yaml), 0, 2, true);
	t = ns_topo_from_yaml(yaml, &p);
	round_trip(t, "10.200.0.1", "203.0.113.10", "203.0.113.10", 5001);
	/* NAT64 keeps working next to the CLAT, from the node's own address. */
	round_trip(t, "2001:db8:1::2", "2001:db8:64::cb00:710b", "203.0.113.11", 5002);
	ns_topo_free(t, &p);
}
END_TEST

/* Ones'-complement sum of `n` bytes (n even), folded. */
static unsigned sum16(const unsigned char *b, size_t n, unsigned s)
{
	for (size_t i = 0; i < n; i += 2)
		s += (unsigned)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* An answer whose UDP checksum, once TAYGA has made it IPv6, computes to
 * zero: it must still reach the client.  TAYGA 0.9.2 writes such a
 * checksum as 0x0000, which IPv6 receivers drop (RFC 8200 8.1); the router
 * rewrites it to 0xffff (netns/rules.c). */
START_TEST(nat64_zero_checksum_delivered)
{
	unsigned char pseudo[40 + 8] = {0}, pay[8] = {'z', 'e', 'r', 'o', 'c', 'k', 0, 0};
	char yaml[2048], from[64] = "", got[64] = "";
	unsigned from_port = 0, s;
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct topo_plan p;
	struct topo *t;
	int c, sv;
	bool up = false;

	lab_yaml(yaml, sizeof(yaml), 0, 0, false);
	t = ns_topo_from_yaml(yaml, &p);
	c = ns_udp(t, "client", "2001:db8:1::2", 4000);
	sv = ns_udp(t, "server", "203.0.113.10", 5003);
	for (int i = 0; i < 10 && !up; i++) {
		ns_sendto(c, "2001:db8:64::cb00:710a", 5003, "ping");
		up = ns_recv(sv, 200, from, sizeof(from), &from_port);
	}
	ck_assert_msg(up, "the client's datagram did not reach the server");
	/* The IPv6 datagram the client gets: from 2001:db8:64::203.0.113.10
	 * port 5003 to 2001:db8:1::2 port 4000, 16 bytes of UDP. */
	inet_pton(AF_INET6, "2001:db8:64::cb00:710a", pseudo);
	inet_pton(AF_INET6, "2001:db8:1::2", pseudo + 16);
	pseudo[35] = 16;          /* upper-layer length */
	pseudo[39] = 17;          /* next header: UDP */
	pseudo[40] = 5003 >> 8;   /* the UDP header, checksum zero */
	pseudo[41] = 5003 & 0xff;
	pseudo[42] = 4000 >> 8;
	pseudo[43] = 4000 & 0xff;
	pseudo[45] = 16;
	s = sum16(pay, sizeof(pay), sum16(pseudo, sizeof(pseudo), 0));
	pay[6] = (unsigned char)((~s & 0xffff) >> 8);
	pay[7] = (unsigned char)(~s & 0xff);
	ck_assert_uint_eq(sum16(pay, sizeof(pay), sum16(pseudo, sizeof(pseudo), 0)), 0xffff);
	to.sin_port = htons((uint16_t)from_port);
	inet_pton(AF_INET, from, &to.sin_addr);
	ck_assert_int_eq(sendto(sv, pay, sizeof(pay), 0, (struct sockaddr *)&to, sizeof(to)), 8);
	ck_assert_msg(ns_recv(c, 1000, got, sizeof(got), NULL),
		      "a datagram whose IPv6 UDP checksum computes to zero was lost");
	ck_assert_str_eq(got, "2001:db8:64::cb00:710a");
	close(c);
	close(sv);
	ns_topo_free(t, &p);
}
END_TEST

/* A STUN Binding request from the server node to each RFC 5780 endpoint
 * of turnserver, until it answers (no NAT state is made). */
static void wait_stun_ready(const struct topo *t)
{
	static const unsigned char req[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
					      'n', 'a', 't', '6', '4', 'r', 'e', 'a', 'd', 'y', '!', '!'};
	const char *addr[4] = {"203.0.113.10", "203.0.113.10", "203.0.113.11", "203.0.113.11"};
	const unsigned port[4] = {3478, 3479, 3478, 3479};
	int fd = ns_udp(t, "server", "203.0.113.10", 0);

	for (int i = 0; i < 4; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port[i])};
		bool up = false;

		inet_pton(AF_INET, addr[i], &sa.sin_addr);
		for (int tries = 0; tries < 100 && !up; tries++) {
			sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa));
			up = ns_recv(fd, 50, NULL, 0, NULL);
		}
		ck_assert_msg(up, "turnserver does not answer on %s:%u", addr[i], port[i]);
	}
	close(fd);
}

/* Pairs (mapping, filtering) classified through CLAT + NAT64. */
static const int cases[][2] = {{0, 0}, {2, 2}, {0, 2}, {1, 1}};

START_TEST(natdiscovery_through_clat_and_nat64)
{
	int mapping = cases[_i][0], filtering = cases[_i][1];
	char yaml[2048], out[16384] = "", want[96], log[4096];
	char *const ts[] = {"turnserver", "-n", "--listening-ip", "203.0.113.10", "--listening-ip",
			    "203.0.113.11", "--relay-ip", "203.0.113.10", "--no-tls", "--no-dtls",
			    "--no-cli", "--no-auth", "--log-file", "stdout", "--simple-log",
			    "--pidfile", "/dev/null", NULL};
	char *const nd[] = {"turnutils_natdiscovery", "-m", "-f", "203.0.113.10", NULL};
	struct svc_ready ready = {.kind = SVC_READY_UDP, .port = 3479};
	struct icl_err err = {0};
	struct topo_plan p;
	struct svc *server = NULL;
	struct topo *t;
	pid_t client;
	int cfd;

	lab_yaml(yaml, sizeof(yaml), mapping, filtering, true);
	t = ns_topo_from_yaml(yaml, &p);
	snprintf(log, sizeof(log), "%s/turnserver.log", topo_dir(t));
	ck_assert_msg(svc_start("turnserver on server", topo_node_fd(t, "server"), ts, log, &ready,
				&server, &err) == 0, "%s", err.msg);
	wait_stun_ready(t);
	client = ns_spawn(t, "client", nd, &cfd);
	ck_assert_msg(ns_read_until(cfd, 30000, out, sizeof(out), NULL), "natdiscovery hung:\n%s", out);
	ns_kill(client);
	close(cfd);
	svc_stop(server, 500);
	ns_topo_free(t, &p);
	snprintf(want, sizeof(want), "NAT with %s Mapping!", verdicts[mapping]);
	ck_assert_msg(strstr(out, want) != NULL, "configured %s mapping; natdiscovery said:\n%s",
		      ns_behaviours[mapping], out);
	snprintf(want, sizeof(want), "NAT with %s Filtering!", verdicts[filtering]);
	ck_assert_msg(strstr(out, want) != NULL, "configured %s filtering; natdiscovery said:\n%s",
		      ns_behaviours[filtering], out);
}
END_TEST

/* Processes whose command line mentions `needle`; their network
 * namespaces go to ns[] (up to cap). */
static int procs_with(const char *needle, char (*ns)[64], int cap)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], cmd[4096];
		ssize_t len;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		len = (ssize_t)fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (ssize_t i = 0; i < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[len > 0 ? len : 0] = '\0';
		if (strstr(cmd, needle) == NULL)
			continue;
		if (n < cap) {
			snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
			memset(ns[n], 0, sizeof(ns[n]));
			if (readlink(path, ns[n], sizeof(ns[n]) - 1) < 0)
				ns[n][0] = '\0';
		}
		n++;
	}
	closedir(d);
	return n;
}

/* Live processes (not zombies) in network namespace `ns` ("net:[N]"). */
static int procs_in_ns(const char *ns)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], link[64] = {0}, stat[512] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (readlink(path, link, sizeof(link) - 1) <= 0 || strcmp(link, ns) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "re")) != NULL) {
			char *r = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;

			fclose(f);
			if (r != NULL && r[1] == ' ' && r[2] == 'Z')
				continue;
		}
		n++;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

START_TEST(topo_down_stops_tayga)
{
	char yaml[2048], dir[256], ns[4][64];
	struct topo_plan p;
	struct topo *t;
	struct stat st;

	lab_yaml(yaml, sizeof(yaml), 0, 2, true);
	t = ns_topo_from_yaml(yaml, &p);
	ck_assert_ptr_nonnull(topo_dir(t));
	snprintf(dir, sizeof(dir), "%s", topo_dir(t));
	ck_assert_int_eq(procs_with(dir, ns, 4), 2); /* the router's and the client's */
	ns_topo_free(t, &p);
	ck_assert_int_eq(procs_with(dir, ns, 4), 0);
	ck_assert_int_eq(stat(dir, &st), -1); /* the directory went with it */
}
END_TEST

/* The process that built the topology is SIGKILLed: TAYGA dies with it
 * (PR_SET_PDEATHSIG) and releases the node namespaces. */
START_TEST(sigkill_stops_tayga)
{
	char yaml[2048], dir[256] = "", ns[4][64], cmd[300];
	int pfd[2], n = 0, status;
	pid_t child;
	ssize_t len;

	lab_yaml(yaml, sizeof(yaml), 0, 2, true);
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct topo_plan p;
		struct topo *t = ns_topo_from_yaml(yaml, &p);
		ssize_t w = write(pfd[1], topo_dir(t), strlen(topo_dir(t)));

		(void)w;
		close(pfd[1]);
		for (;;)
			pause();
	}
	close(pfd[1]);
	len = read(pfd[0], dir, sizeof(dir) - 1);
	close(pfd[0]);
	ck_assert_int_gt(len, 0);
	dir[len] = '\0';
	ck_assert_int_eq(procs_with(dir, ns, 4), 2);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	for (int i = 0; i < 200 && (n = procs_with(dir, NULL, 0)) > 0; i++)
		usleep(5000);
	ck_assert_msg(n == 0, "%d TAYGA processes survived their topology", n);
	/* A dying process loses its command line (its memory) before its
	 * namespaces: poll for those too, within the same second. */
	for (int i = 0; i < 2; i++) {
		int held = 1;

		for (int k = 0; k < 200 && ns[i][0] && (held = procs_in_ns(ns[i])) > 0; k++)
			usleep(5000);
		ck_assert_msg(ns[i][0] && held == 0, "%s is still held", ns[i]);
	}
	/* A SIGKILL leaves the small directory behind (topo.h); tidy up. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- validation --------------------------------------------------------- */

static void expect_invalid(const char *nodes_extra, const char *router_extra, const char *want)
{
	char yaml[2048];
	struct topo_plan p;
	struct icl_err err = {0};
	int rc;

	snprintf(yaml, sizeof(yaml),
		 "topology:\n"
		 "  nodes:\n"
		 "    client:\n"
		 "      gateway: router\n"
		 "%s"
		 "    router:\n"
		 "      router: true\n"
		 "%s"
		 "    server: { gateway: router }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, ipv6: '2001:db8:1::2/64' }\n"
		 "      b: { node: router, ipv6: '2001:db8:1::1/64' }\n"
		 "    wan:\n"
		 "      a: { node: router, ipv4: 203.0.113.1/24 }\n"
		 "      b: { node: server, ipv4: 203.0.113.10/24 }\n",
		 nodes_extra, router_extra);
	memset(&p, 0, sizeof(p));
	rc = scn_load_topology_buf("v.yaml", yaml, strlen(yaml), &p, &err);
	topo_plan_free(&p);
	ck_assert_int_eq(rc, ICL_EINPUT);
	ck_assert_msg(strstr(err.msg, want) != NULL, "wanted '%s' in: %s", want, err.msg);
}

START_TEST(nat64_validation)
{
	expect_invalid("", "      nat64: { inside: lan, outside: wan, prefix: '64:ff9b::/96' }\n",
		       "well-known prefix 64:ff9b::/96 cannot be used");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, prefix: '2001:db8:64::/64' }\n",
		       "TAYGA is used with a /96 prefix only");
	expect_invalid("", "      nat64: { inside: wan, outside: lan }\n",
		       "nodes.router.nat64.inside: node 'router' needs an IPv6 address on link 'wan'");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, pool: 203.0.113.0/28 }\n",
		       "nodes.router.nat64.pool: overlaps an address of node 'router'");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, pool: 10.9.0.0/31 }\n",
		       "the pool's length must be /8 to /30");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, pool: '2001:db8::/64' }\n",
		       "nodes.router.nat64.pool");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, mapping: full-cone }\n",
		       "nodes.router.nat64.mapping");
	expect_invalid("", "      nat64: { outside: wan }\n", "inside");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, max-mappings: 70000 }\n",
		       "nodes.router.nat64.max-mappings: 70000 is out of range (16..65535)");
	expect_invalid("", "      nat64: { inside: lan, outside: wan, colour: red }\n", "colour");
	expect_invalid("      clat: { prefix: '64:ff9b::/96' }\n", "",
		       "well-known prefix 64:ff9b::/96 cannot be used");
	expect_invalid("      clat: { ipv6: '2001:db8:1::1' }\n", "",
		       "is an address of node 'router'");
	expect_invalid("      clat: { ipv4: 203.0.113.10 }\n", "", "203.0.113.10 is on a link of node");
	expect_invalid("      clat: { ipv6: '2001:db8:64::1' }\n", "", "is in the NAT64 prefix");
}
END_TEST

/* A probe to a synthesized address must embed an address of its target. */
START_TEST(nat64_probe_validation)
{
	char yaml[2048];
	struct topo_plan p;
	struct icl_err err = {0};
	int rc;

	lab_yaml(yaml, sizeof(yaml), 0, 0, true);
	strcat(yaml, "  probes:\n"
		     "    - { from: client, to: server, family: ipv6, addr: '2001:db8:64::203.0.113.10' }\n"
		     "    - { from: client, to: server, family: ipv4 }\n");
	memset(&p, 0, sizeof(p));
	rc = scn_load_topology_buf("v.yaml", yaml, strlen(yaml), &p, &err);
	topo_plan_free(&p);
	ck_assert_msg(rc == 0, "%s", err.msg);
	strcat(yaml, "    - { from: client, to: server, family: ipv6, addr: '2001:db8:64::203.0.113.99' }\n");
	memset(&p, 0, sizeof(p));
	rc = scn_load_topology_buf("v.yaml", yaml, strlen(yaml), &p, &err);
	topo_plan_free(&p);
	ck_assert_int_eq(rc, ICL_EINPUT);
	ck_assert_msg(strstr(err.msg, "embeds 203.0.113.99, which is not an address of node 'server'"),
		      "%s", err.msg);
}
END_TEST

Suite *nat64_suite(void)
{
	Suite *s = suite_create("nat64");
	TCase *tc = tcase_create("nat64");
	TCase *nd = tcase_create("natdiscovery");
	TCase *v = tcase_create("validation");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, nat64_udp_to_synthesized_address);
	tcase_add_test(tc, clat_udp_from_ipv4_address);
	tcase_add_test(tc, nat64_zero_checksum_delivered);
	tcase_add_test(tc, topo_down_stops_tayga);
	tcase_add_test(tc, sigkill_stops_tayga);
	suite_add_tcase(s, tc);
	tcase_set_timeout(nd, 60);
	tcase_add_loop_test(nd, natdiscovery_through_clat_and_nat64, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, nd);
	tcase_add_test(v, nat64_validation);
	tcase_add_test(v, nat64_probe_validation);
	suite_add_tcase(s, v);
	return s;
}
