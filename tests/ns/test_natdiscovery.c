/* Namespace tests (root): each of the nine RFC 4787 behaviours is
 * classified by a tool nobody here wrote: coturn's turnutils_natdiscovery
 * (RFC 5780) behind the NAT, against turnserver with two addresses on the
 * outside.  The test fails if the printed classification differs from the
 * configured one.  natdiscovery's own hairpin test (-H) is not used: it
 * sends from the client host to its own mapping, which the kernel drops
 * as a packet whose source equals its destination (docs/nat-design.md);
 * hairpinning is checked in test_nat.c instead. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsutil.h"
#include "suites.h"

static const char *const verdicts[3] = {
	"Endpoint Independent", "Address Dependent", "Address and Port Dependent"};

/* turnserver is ready when all four RFC 5780 endpoints answer a STUN
 * Binding request (sent from the server node itself: no NAT state). */
static void wait_stun_ready(const struct topo *t)
{
	static const unsigned char req[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
					      'i', 'c', 'e', 'l', 'a', 'b', 'r', 'e', 'a', 'd', 'y', '!'};
	const char *addr[4] = {"203.0.113.10", "203.0.113.10", "203.0.113.11", "203.0.113.11"};
	const unsigned port[4] = {3478, 3479, 3478, 3479};
	int fd = ns_udp(t, "server", "203.0.113.10", 0);

	for (int i = 0; i < 4; i++) {
		bool up = false;

		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port[i])};

		inet_pton(AF_INET, addr[i], &sa.sin_addr);
		for (int tries = 0; tries < 100 && !up; tries++) {
			sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa));
			up = ns_recv(fd, 50, NULL, 0, NULL);
		}
		ck_assert_msg(up, "turnserver does not answer on %s:%u", addr[i], port[i]);
	}
	close(fd);
}

START_TEST(natdiscovery_classifies)
{
	int mapping = _i / 3, filtering = _i % 3;
	char yaml[1024], out[16384] = "", want[96];
	char *const ts[] = {"turnserver", "-n", "--listening-ip", "203.0.113.10", "--listening-ip",
			    "203.0.113.11", "--relay-ip", "203.0.113.10", "--no-tls", "--no-dtls",
			    "--no-cli", "--no-auth", "--log-file", "stdout", "--simple-log",
			    "--pidfile", "/dev/null", NULL};
	char *const nd[] = {"turnutils_natdiscovery", "-m", "-f", "203.0.113.10", NULL};
	struct topo_plan p;
	struct topo *t;
	pid_t server, client;
	int sfd, cfd;

	ns_nat_lab_yaml(yaml, sizeof(yaml), mapping, filtering, false, false, 120);
	t = ns_topo_from_yaml(yaml, &p);
	server = ns_spawn(t, "server", ts, &sfd);
	wait_stun_ready(t);
	client = ns_spawn(t, "client", nd, &cfd);
	ck_assert_msg(ns_read_until(cfd, 30000, out, sizeof(out), NULL), "natdiscovery hung:\n%s", out);
	ns_kill(client);
	ns_kill(server);
	close(cfd);
	close(sfd);
	ns_topo_free(t, &p);
	snprintf(want, sizeof(want), "NAT with %s Mapping!", verdicts[mapping]);
	ck_assert_msg(strstr(out, want) != NULL, "configured %s mapping; natdiscovery said:\n%s",
		      ns_behaviours[mapping], out);
	snprintf(want, sizeof(want), "NAT with %s Filtering!", verdicts[filtering]);
	ck_assert_msg(strstr(out, want) != NULL, "configured %s filtering; natdiscovery said:\n%s",
		      ns_behaviours[filtering], out);
}
END_TEST

Suite *natdiscovery_suite(void)
{
	Suite *s = suite_create("natdiscovery");
	TCase *tc = tcase_create("rfc5780");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, natdiscovery_classifies, 0, 9);
	suite_add_tcase(s, tc);
	return s;
}
