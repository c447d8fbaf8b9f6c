/* Namespace tests (root): DNS64 resolvers (netns/dns64.c, unbound).
 *
 * client 2001:db8:b::2 (IPv6 only) --lan-- resolver 2001:db8:b::53
 * The client asks the resolver over UDP from a socket in its node, with
 * hand-built DNS packets (no resolv.conf involved). */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../netns/dns64.h"
#include "nsutil.h"
#include "suites.h"

#define LAB_YAML(dns64) \
	"topology:\n" \
	"  nodes:\n" \
	"    client:\n" \
	"    resolver:\n" \
	"      dns64:\n" dns64 \
	"  links:\n" \
	"    lan:\n" \
	"      a: { node: client, ipv6: '2001:db8:b::2/64' }\n" \
	"      b: { node: resolver, ipv6: '2001:db8:b::53/64' }\n"

#define LAB_NAMES \
	"        names:\n" \
	"          server.test: 203.0.113.10\n" \
	"          Other.Example.: 198.51.100.7\n"

static void addr6(const char *s, unsigned char out[16])
{
	ck_assert_int_eq(inet_pton(AF_INET6, s, out), 1);
}

/* AAAA records of `name` asked from the client; asserts NOERROR. */
static size_t query(const struct topo *t, const char *server, const char *name,
		    unsigned char (*out)[16], size_t cap)
{
	unsigned char srv[16];
	struct icl_err err = {0};
	size_t n = 0;
	int fd = ns_udp(t, "client", "::", 0);

	addr6(server, srv);
	ck_assert_msg(dns64_query_aaaa(fd, srv, name, 2000, out, cap, &n, &err) == 0, "%s",
		      err.msg);
	close(fd);
	return n;
}

static bool has_addr(unsigned char (*got)[16], size_t n, const char *want)
{
	unsigned char w[16];

	addr6(want, w);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(got[i], w, 16))
			return true;
	return false;
}

/* The RFC 7050 query, written out byte by byte: id 0x4242, RD, one
 * question ipv4only.arpa AAAA IN.  The answer is searched for the two
 * synthesized addresses without any parser of ours. */
START_TEST(test_ipv4only_raw)
{
	static const unsigned char q[] = {
		0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		8, 'i', 'p', 'v', '4', 'o', 'n', 'l', 'y', 4, 'a', 'r', 'p', 'a', 0,
		0, 28, 0, 1};
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(LAB_YAML("        listen: '2001:db8:b::53'\n"), &plan);
	unsigned char a170[16], a171[16], r[512];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct pollfd p;
	ssize_t n;
	int fd = ns_udp(t, "client", "::", 0);

	addr6("2001:db8:64::c000:aa", a170);
	addr6("2001:db8:64::c000:ab", a171);
	addr6("2001:db8:b::53", to.sin6_addr.s6_addr);
	ck_assert_int_eq(sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)sizeof(q));
	p = (struct pollfd){fd, POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	n = recv(fd, r, sizeof(r), 0);
	ck_assert_int_gt(n, 12);
	ck_assert_uint_eq(r[0], 0x42);
	ck_assert_uint_eq(r[3] & 0x0f, 0);      /* NOERROR */
	ck_assert_uint_eq(r[6] << 8 | r[7], 2); /* two AAAA */
	ck_assert(memmem(r, (size_t)n, a170, 16) != NULL);
	ck_assert(memmem(r, (size_t)n, a171, 16) != NULL);
	close(fd);
	ns_topo_free(t, &plan);
}
END_TEST

START_TEST(test_scenario_names)
{
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(LAB_YAML(LAB_NAMES), &plan);
	unsigned char got[4][16];
	size_t n;

	n = query(t, "2001:db8:b::53", "server.test", got, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_addr(got, n, "2001:db8:64::cb00:710a"));
	/* Written with capitals and a final dot in the file; asked lower case. */
	n = query(t, "2001:db8:b::53", "other.example", got, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_addr(got, n, "2001:db8:64::c633:6407"));
	ns_topo_free(t, &plan);
}
END_TEST

/* Names nobody defined are refused at once, never looked up outside. */
START_TEST(test_unknown_refused)
{
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(LAB_YAML(LAB_NAMES), &plan);
	unsigned char srv[16], got[4][16];
	struct icl_err err = {0};
	size_t n = 0;
	int fd = ns_udp(t, "client", "::", 0);

	addr6("2001:db8:b::53", srv);
	ck_assert_int_lt(dns64_query_aaaa(fd, srv, "example.com", 1000, got, 4, &n, &err), 0);
	ck_assert_msg(strstr(err.msg, "rcode 5") != NULL, "%s", err.msg); /* REFUSED */
	ck_assert_int_lt(dns64_query_aaaa(fd, srv, "nope.test", 1000, got, 4, &n, &err), 0);
	ck_assert_msg(strstr(err.msg, "rcode 3") != NULL, "%s", err.msg); /* NXDOMAIN */
	close(fd);
	ns_topo_free(t, &plan);
}
END_TEST

/* Default listen address (the node's first IPv6 one) and a /64 prefix,
 * where RFC 6052 skips bits 64..71. */
START_TEST(test_prefix64_default_listen)
{
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(LAB_YAML("        prefix: '2001:db8:64:1::/64'\n" LAB_NAMES),
					   &plan);
	unsigned char got[4][16];
	size_t n;

	n = query(t, "2001:db8:b::53", "ipv4only.arpa", got, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_addr(got, n, "2001:db8:64:1:c0:0:aa00:0"));
	n = query(t, "2001:db8:b::53", "server.test", got, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_addr(got, n, "2001:db8:64:1:cb:71:a00:0"));
	ns_topo_free(t, &plan);
}
END_TEST

/* TCP on port 53 too: a connect from the client is accepted. */
START_TEST(test_tcp_listens)
{
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(LAB_YAML("        names: { a.test: 192.0.2.1 }\n"), &plan);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
	struct icl_err err;
	int fd;

	ck_assert_msg(topo_enter(t, "client", &err) == 0, "%s", err.msg);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(topo_leave(t, &err) == 0, "%s", err.msg);
	addr6("2001:db8:b::53", to.sin6_addr.s6_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0, "connect: %m");
	close(fd);
	ns_topo_free(t, &plan);
}
END_TEST

/* With the NAT64 of netns/nat64.c on the same router: the name resolves
 * to the synthesized address, and a datagram to it reaches the IPv4-only
 * server, from the router's IPv4 address. */
START_TEST(test_through_nat64)
{
	static const char yaml[] =
		"topology:\n"
		"  nodes:\n"
		"    client: { gateway: router }\n"
		"    router:\n"
		"      router: true\n"
		"      nat64: { inside: lan, outside: wan }\n"
		"      dns64: { names: { server.test: 203.0.113.10 } }\n"
		"    server: { gateway: router }\n"
		"  links:\n"
		"    lan:\n"
		"      a: { node: client, ipv6: '2001:db8:1::2/64' }\n"
		"      b: { node: router, ipv6: '2001:db8:1::1/64' }\n"
		"    wan:\n"
		"      a: { node: router, ipv4: 203.0.113.1/24 }\n"
		"      b: { node: server, ipv4: 203.0.113.10/24 }\n";
	struct topo_plan plan = {0};
	struct topo *t = ns_topo_from_yaml(yaml, &plan);
	unsigned char got[4][16];
	char txt[INET6_ADDRSTRLEN], from[64];
	unsigned from_port = 0;
	int srv = ns_udp(t, "server", "203.0.113.10", 7000), c = ns_udp(t, "client", "::", 0);
	size_t n = query(t, "2001:db8:1::1", "server.test", got, 4);

	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(inet_ntop(AF_INET6, got[0], txt, sizeof(txt)), "2001:db8:64::cb00:710a");
	ns_sendto(c, txt, 7000, "via nat64");
	ck_assert_msg(ns_recv(srv, 2000, from, sizeof(from), &from_port), "nothing at the server");
	ck_assert_str_eq(from, "203.0.113.1");
	close(c);
	close(srv);
	ns_topo_free(t, &plan);
}
END_TEST

static int count_dirs(void)
{
	DIR *d = opendir(icl_tmpdir());
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "icelab-topo-", 12) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

/* topo_down() leaves no resolver (it would hold the node's namespace)
 * and no files behind: unbound's files live in the topology's private
 * directory.  Counted before any assertion, so a failure leaks nothing. */
START_TEST(test_down_cleans_up)
{
	struct topo_plan plan = {0};
	int live = ns_count_live(), dirs = count_dirs();
	struct topo *t = ns_topo_from_yaml(LAB_YAML(LAB_NAMES), &plan);
	int dirs_up = count_dirs(), live_up = ns_count_live();

	ns_topo_free(t, &plan);
	ck_assert_int_eq(dirs_up, dirs + 1);
	ck_assert_int_gt(live_up, live);
	ck_assert_int_eq(ns_count_live(), live);
	ck_assert_int_eq(count_dirs(), dirs);
}
END_TEST

Suite *dns64_suite(void)
{
	Suite *s = suite_create("dns64");
	TCase *tc = tcase_create("dns64");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ipv4only_raw);
	tcase_add_test(tc, test_scenario_names);
	tcase_add_test(tc, test_unknown_refused);
	tcase_add_test(tc, test_prefix64_default_listen);
	tcase_add_test(tc, test_tcp_listens);
	tcase_add_test(tc, test_down_cleans_up);
	tcase_add_test(tc, test_through_nat64);
	suite_add_tcase(s, tc);
	return s;
}
