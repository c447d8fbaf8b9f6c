/* Namespace tests (root): `turn:` nodes (netns/turn.c) and double NAT.
 *
 * Relay: coturn's turnutils_uclient, behind an address-and-port-dependent
 * NAT, allocates on the TURN node (long-term credentials from the YAML)
 * and sends datagrams to a peer through the relay; the test plays the
 * peer with a UDP echo socket and records where each datagram came from.
 * The relay sits on a link of its own, so the peer seeing the relay
 * address proves the path; REQUESTED-ADDRESS-FAMILY (-x) gives an IPv6
 * relay to a client that reaches the server over IPv4 only.
 *
 * Double NAT (CGNAT): turnutils_natdiscovery (RFC 5780) behind a home NAT
 * behind a carrier NAT sees one NAT whose behaviour is the stricter of the
 * two for mapping and for filtering: a mapping that depends on the
 * destination in either NAT makes the outer source depend on it, and a
 * packet must pass both filters.  The server is a `turn:` node with two
 * addresses.
 *
 * NAT64: from an IPv6-only node with a CLAT (464XLAT), natdiscovery over
 * the CLAT's IPv4 sees the behaviour configured for the NAT64's IPv4 side:
 * the CLAT and TAYGA are stateless, the NAT44 behind TAYGA decides. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsutil.h"
#include "suites.h"

#define PEER_PORT 3480
#define SENT 10

static const char relay_yaml[] =
	"topology:\n"
	"  nodes:\n"
	"    client:\n"
	"      routes: [ { to: default, via: 10.0.0.1 } ]\n"
	"    home:\n"
	"      router: true\n"
	"      nat: { inside: lan, outside: wan, mapping: address-and-port-dependent,\n"
	"             filtering: address-and-port-dependent }\n"
	"    stun:\n"
	"      turn:\n"
	"        listen: 203.0.113.5\n"
	"        relay: [198.51.100.5, '2001:db8:6::5']\n"
	"        users: { alice: secret }\n"
	"        realm: icelab.test\n"
	"    peer:\n"
	"  links:\n"
	"    lan:\n"
	"      a: { node: client, ipv4: 10.0.0.2/24 }\n"
	"      b: { node: home, ipv4: 10.0.0.1/24 }\n"
	"    wan:\n"
	"      a: { node: home, ipv4: 203.0.113.1/24 }\n"
	"      b: { node: stun, ipv4: 203.0.113.5/24 }\n"
	"    relayed:\n"
	"      a: { node: stun, ipv4: 198.51.100.5/24, ipv6: '2001:db8:6::5/64' }\n"
	"      b: { node: peer, ipv4: 198.51.100.10/24, ipv6: '2001:db8:6::10/64' }\n";

/* What the peer saw. */
struct peer_log {
	int n;              /* datagrams echoed */
	int n_from_relay;   /* of them, from the relay address */
	char last_from[INET6_ADDRSTRLEN];
};

/* Echo one datagram back to where it came from; note its source. */
static void echo_one(int fd, const char *relay, struct peer_log *log)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char buf[2048];
	ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
	const void *a = ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
						: (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;

	if (n < 0)
		return;
	inet_ntop(ss.ss_family, a, log->last_from, sizeof(log->last_from));
	log->n++;
	log->n_from_relay += strcmp(log->last_from, relay) == 0;
	ck_assert_int_eq(sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl), n);
}

/* Serve as the echo peer until the client's output ends; its output in out. */
static void serve_peer(int peer_fd, int out_fd, const char *relay, struct peer_log *log,
		       char *out, size_t cap)
{
	size_t len = 0;

	memset(log, 0, sizeof(*log));
	for (int rounds = 0; rounds < 300; rounds++) { /* 30 s */
		struct pollfd pf[2] = {{peer_fd, POLLIN, 0}, {out_fd, POLLIN, 0}};
		ssize_t n;

		ck_assert_int_ge(poll(pf, 2, 100), 0);
		if (pf[0].revents & POLLIN)
			echo_one(peer_fd, relay, log);
		if (!(pf[1].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(out_fd, out + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		out[len] = '\0';
	}
	out[len] = '\0';
}

/* uclient's final totals: the last "tot_send_msgs=N, tot_recv_msgs=M"
 * (earlier ones are progress reports). */
static void totals(const char *out, int *sent, int *recvd)
{
	const char *p = NULL;

	for (const char *q = out; (q = strstr(q, "tot_send_msgs=")) != NULL; q++)
		p = q;

	*sent = *recvd = -1;
	if (p != NULL && sscanf(p, "tot_send_msgs=%d, tot_recv_msgs=%d", sent, recvd) != 2)
		*sent = *recvd = -1;
}

/* uclient with `password`, asking for a relay of `fam` ("-X" v4, "-x" v6),
 * to the peer at peer_addr; returns what the peer saw and uclient said. */
static void run_uclient(const char *password, const char *fam, const char *peer_addr,
			const char *relay, struct peer_log *log, char *out, size_t cap)
{
	char n[8];
	char *const argv[] = {"turnutils_uclient", "-u", "alice", "-w", (char *)password, "-c",
			      "-n", n, "-z", "5", (char *)fam, "-e", (char *)peer_addr, "-r",
			      "3480", "203.0.113.5", NULL};
	struct topo_plan p;
	struct topo *t = ns_topo_from_yaml(relay_yaml, &p);
	int peer = ns_udp(t, "peer", peer_addr, PEER_PORT), out_fd;
	pid_t pid;

	snprintf(n, sizeof(n), "%d", SENT);
	pid = ns_spawn(t, "client", argv, &out_fd);
	serve_peer(peer, out_fd, relay, log, out, cap);
	ns_kill(pid);
	close(out_fd);
	close(peer);
	ns_topo_free(t, &p);
}

static const struct {
	const char *flag, *peer, *relay;
} relays[2] = {
	{"-X", "198.51.100.10", "198.51.100.5"},
	{"-x", "2001:db8:6::10", "2001:db8:6::5"},
};

START_TEST(turn_relays_udp)
{
	static char out[65536];
	struct peer_log log;
	int sent, recvd;

	run_uclient("secret", relays[_i].flag, relays[_i].peer, relays[_i].relay, &log, out,
		    sizeof(out));
	totals(out, &sent, &recvd);
	ck_assert_msg(sent == SENT && recvd == SENT,
		      "uclient sent %d and got back %d of %d datagrams:\n%s", sent, recvd, SENT, out);
	ck_assert_msg(log.n >= SENT && log.n_from_relay == log.n,
		      "the peer saw %d datagrams, %d from the relay %s (last from %s)", log.n,
		      log.n_from_relay, relays[_i].relay, log.last_from);
}
END_TEST

/* Long-term credentials are enforced: a wrong password relays nothing. */
START_TEST(turn_rejects_wrong_password)
{
	static char out[65536];
	struct peer_log log;
	int sent, recvd;

	run_uclient("wrong", "-X", relays[0].peer, relays[0].relay, &log, out, sizeof(out));
	totals(out, &sent, &recvd);
	ck_assert_msg(log.n == 0, "the peer saw %d datagrams with a wrong password", log.n);
	ck_assert_msg(recvd <= 0, "uclient got %d datagrams back with a wrong password:\n%s", recvd,
		      out);
	ck_assert_msg(strstr(out, "Cannot complete Allocation") != NULL,
		      "uclient did not report the refused allocation:\n%s", out);
}
END_TEST

/* ---- double NAT --------------------------------------------------------------- */

enum { EI = TOPO_ENDPOINT_INDEPENDENT, AD = TOPO_ADDRESS_DEPENDENT,
       APD = TOPO_ADDRESS_AND_PORT_DEPENDENT };

/* Inner (home) and outer (carrier) NAT: mapping, filtering each. */
static const int cgnat_cases[][4] = {
	{EI, EI, APD, APD}, /* the carrier decides */
	{EI, EI, AD, AD},
	{AD, AD, EI, EI},   /* the home router decides */
	{APD, EI, EI, AD},  /* one each */
};

static const char *const verdicts[3] = {
	"Endpoint Independent", "Address Dependent", "Address and Port Dependent"};

static void cgnat_yaml(char *buf, size_t cap, const int *b)
{
	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client: { gateway: home }\n"
		 "    home:\n"
		 "      router: true\n"
		 "      gateway: carrier\n"
		 "      nat: { inside: lan, outside: cgn, mapping: %s, filtering: %s }\n"
		 "    carrier:\n"
		 "      router: true\n"
		 "      nat: { inside: cgn, outside: wan, mapping: %s, filtering: %s }\n"
		 "    server:\n"
		 "      turn: { listen: [203.0.113.10, 203.0.113.11], relay: 203.0.113.10 }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, ipv4: 10.0.0.2/24 }\n"
		 "      b: { node: home, ipv4: 10.0.0.1/24 }\n"
		 "    cgn:\n"
		 "      a: { node: home, ipv4: 10.64.0.2/24 }\n"
		 "      b: { node: carrier, ipv4: 10.64.0.1/24 }\n"
		 "    wan:\n"
		 "      a: { node: carrier, ipv4: 203.0.113.1/24 }\n"
		 "      b: { node: server, ipv4: [203.0.113.10/24, 203.0.113.11/24] }\n",
		 ns_behaviours[b[0]], ns_behaviours[b[1]], ns_behaviours[b[2]], ns_behaviours[b[3]]);
}

static int stricter(int a, int b)
{
	return a > b ? a : b;
}

START_TEST(cgnat_natdiscovery_sees_stricter)
{
	const int *b = cgnat_cases[_i];
	int mapping = stricter(b[0], b[2]), filtering = stricter(b[1], b[3]);
	char *const nd[] = {"turnutils_natdiscovery", "-m", "-f", "203.0.113.10", NULL};
	char yaml[2048], out[16384] = "", want[96];
	struct topo_plan p;
	struct topo *t;
	pid_t client;
	int cfd;

	cgnat_yaml(yaml, sizeof(yaml), b);
	t = ns_topo_from_yaml(yaml, &p); /* returns with turnserver listening */
	client = ns_spawn(t, "client", nd, &cfd);
	ck_assert_msg(ns_read_until(cfd, 30000, out, sizeof(out), NULL), "natdiscovery hung:\n%s", out);
	ns_kill(client);
	close(cfd);
	ns_topo_free(t, &p);
	snprintf(want, sizeof(want), "NAT with %s Mapping!", verdicts[mapping]);
	ck_assert_msg(strstr(out, want) != NULL, "home %s, carrier %s mapping; natdiscovery said:\n%s",
		      ns_behaviours[b[0]], ns_behaviours[b[2]], out);
	snprintf(want, sizeof(want), "NAT with %s Filtering!", verdicts[filtering]);
	ck_assert_msg(strstr(out, want) != NULL,
		      "home %s, carrier %s filtering; natdiscovery said:\n%s", ns_behaviours[b[1]],
		      ns_behaviours[b[3]], out);
}
END_TEST

/* ---- NAT64 ---------------------------------------------------------------------- */

static void nat64_yaml(char *buf, size_t cap, int mapping, int filtering)
{
	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    phone:\n"
		 "      gateway: pgw\n"
		 "      clat: { prefix: \"2001:db8:64::/96\", ipv4: 10.200.0.1 }\n"
		 "    pgw:\n"
		 "      router: true\n"
		 "      nat64: { inside: ran, outside: wan, prefix: \"2001:db8:64::/96\",\n"
		 "               pool: 10.255.0.0/24, mapping: %s, filtering: %s }\n"
		 "    server:\n"
		 "      turn: { listen: [203.0.113.10, 203.0.113.11], relay: 203.0.113.10 }\n"
		 "  links:\n"
		 "    ran:\n"
		 "      a: { node: phone, ipv6: \"2001:db8:1::2/64\" }\n"
		 "      b: { node: pgw, ipv6: \"2001:db8:1::1/64\" }\n"
		 "    wan:\n"
		 "      a: { node: pgw, ipv4: 203.0.113.1/24 }\n"
		 "      b: { node: server, ipv4: [203.0.113.10/24, 203.0.113.11/24] }\n",
		 ns_behaviours[mapping], ns_behaviours[filtering]);
}

/* Mapping, filtering of the NAT64's IPv4 side. */
static const int nat64_cases[][2] = {{EI, APD}, {APD, EI}, {AD, AD}};

START_TEST(nat64_natdiscovery_sees_ipv4_side)
{
	const int *b = nat64_cases[_i];
	char *const nd[] = {"turnutils_natdiscovery", "-m", "-f", "203.0.113.10", NULL};
	char yaml[2048], out[16384] = "", want[96];
	struct topo_plan p;
	struct topo *t;
	pid_t client;
	int cfd;

	nat64_yaml(yaml, sizeof(yaml), b[0], b[1]);
	t = ns_topo_from_yaml(yaml, &p);
	client = ns_spawn(t, "phone", nd, &cfd);
	ck_assert_msg(ns_read_until(cfd, 30000, out, sizeof(out), NULL), "natdiscovery hung:\n%s", out);
	ns_kill(client);
	close(cfd);
	ns_topo_free(t, &p);
	snprintf(want, sizeof(want), "NAT with %s Mapping!", verdicts[b[0]]);
	ck_assert_msg(strstr(out, want) != NULL, "NAT64 %s mapping; natdiscovery said:\n%s",
		      ns_behaviours[b[0]], out);
	snprintf(want, sizeof(want), "NAT with %s Filtering!", verdicts[b[1]]);
	ck_assert_msg(strstr(out, want) != NULL, "NAT64 %s filtering; natdiscovery said:\n%s",
		      ns_behaviours[b[1]], out);
}
END_TEST

Suite *turn_suite(void)
{
	Suite *s = suite_create("turn");
	TCase *relay = tcase_create("relay"), *cgnat = tcase_create("cgnat");

	tcase_set_timeout(relay, 60);
	tcase_add_loop_test(relay, turn_relays_udp, 0, 2);
	tcase_add_test(relay, turn_rejects_wrong_password);
	suite_add_tcase(s, relay);
	tcase_set_timeout(cgnat, 60);
	tcase_add_loop_test(cgnat, cgnat_natdiscovery_sees_stricter, 0,
			    (int)(sizeof(cgnat_cases) / sizeof(cgnat_cases[0])));
	tcase_add_loop_test(cgnat, nat64_natdiscovery_sees_ipv4_side, 0,
			    (int)(sizeof(nat64_cases) / sizeof(nat64_cases[0])));
	suite_add_tcase(s, cgnat);
	return s;
}
