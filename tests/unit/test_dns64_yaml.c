/* test_dns64_yaml.c - the `dns64:` node element: loading and its errors.
 *
 * Messages are compared whole ("FILE:LINE:COL: FIELD: reason"): they are
 * the user interface of a scenario file. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../../harness/scenario.h"
#include "../../netns/dns64.h"
#include "../../netns/plan.h"
#include "suites.h"

/* Line 5 is the first line of DNS64 (indented 8); the lan link follows. */
#define YAML(DNS64, ADDR) \
	"topology:\n" \
	"  nodes:\n" \
	"    client:\n" \
	"    resolver:\n" \
	DNS64 \
	"  links:\n" \
	"    lan:\n" \
	"      a: { node: client, ipv6: '2001:db8:b::2/64' }\n" \
	"      b: { node: resolver, " ADDR " }\n"
#define V6 "ipv6: '2001:db8:b::53/64'"

static int load(const char *yaml, struct topo_plan *p, struct icl_err *e)
{
	return scn_load_topology_buf("t.yaml", yaml, strlen(yaml), p, e);
}

static void assert_error(const char *yaml, const char *msg)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};
	int rc = load(yaml, &p, &e);

	ck_assert_msg(rc == ICL_EINPUT, "rc %d, msg '%s' for:\n%s", rc, e.msg, yaml);
	ck_assert_str_eq(e.msg, msg);
	topo_plan_free(&p);
}

static const struct topo_node *resolver(const struct topo_plan *p)
{
	const struct topo_node *n = topo_plan_node(p, "resolver");

	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(n->dns64);
	return n;
}

START_TEST(test_defaults)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};
	unsigned char want[16];
	const struct topo_dns64 *d;

	ck_assert_msg(load(YAML("      dns64:\n", V6), &p, &e) == 0, "%s", e.msg);
	d = resolver(&p)->dns64;
	ck_assert(!d->has_listen);
	ck_assert_int_eq(d->prefix.family, AF_INET6);
	ck_assert_uint_eq(d->prefix.plen, 96);
	inet_pton(AF_INET6, "2001:db8:64::", want);
	ck_assert_mem_eq(d->prefix.addr, want, 16);
	ck_assert_uint_eq(d->n_names, 0);
	ck_assert_ptr_null(topo_plan_node(&p, "client")->dns64);
	topo_plan_free(&p);
}
END_TEST

START_TEST(test_full)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};
	unsigned char want[16];
	const struct topo_dns64 *d;
	const char *y = YAML("      dns64:\n"
			     "        listen: '2001:db8:b::53'\n"
			     "        prefix: '2001:db8:64:1::/64'\n"
			     "        names:\n"
			     "          server.test: 203.0.113.10\n"
			     "          WWW.Example.: 198.51.100.7\n", V6);

	ck_assert_msg(load(y, &p, &e) == 0, "%s", e.msg);
	d = resolver(&p)->dns64;
	ck_assert(d->has_listen);
	inet_pton(AF_INET6, "2001:db8:b::53", want);
	ck_assert_mem_eq(d->listen, want, 16);
	ck_assert_uint_eq(d->prefix.plen, 64);
	ck_assert_uint_eq(d->n_names, 2);
	ck_assert_str_eq(d->names[0].name, "server.test");
	ck_assert_mem_eq(d->names[0].addr, "\xcb\x00\x71\x0a", 4);
	ck_assert_str_eq(d->names[1].name, "www.example");
	ck_assert_uint_eq(d->names[1].src.line, 10);
	ck_assert_uint_eq(d->names[1].src.col, 11);
	topo_plan_free(&p);
}
END_TEST

static const struct {
	const char *dns64, *addr, *msg;
} bad[] = {
	{ "      dns64: { port: 53 }\n", V6,
	  "t.yaml:5:16: nodes.resolver.dns64.port: unknown key (expected one of: listen, prefix, names)" },
	{ "      dns64: { names: { bad_name.test: 192.0.2.1 } }\n", V6,
	  "t.yaml:5:25: nodes.resolver.dns64.names.bad_name.test: name 'bad_name.test' may only "
	  "contain letters, digits, '-' and '.'" },
	{ "      dns64: { names: { localhost: 192.0.2.1 } }\n", V6,
	  "t.yaml:5:25: nodes.resolver.dns64.names.localhost: name 'localhost' needs at least two "
	  "labels (e.g. server.test)" },
	{ "      dns64: { names: { a..test: 192.0.2.1 } }\n", V6,
	  "t.yaml:5:25: nodes.resolver.dns64.names.a..test: name 'a..test' has an empty label" },
	{ "      dns64: { names: { -a.test: 192.0.2.1 } }\n", V6,
	  "t.yaml:5:25: nodes.resolver.dns64.names.-a.test: name '-a.test' has a label that "
	  "starts or ends with '-'" },
	{ "      dns64: { names: { x.ipv4only.arpa: 192.0.2.1 } }\n", V6,
	  "t.yaml:5:25: nodes.resolver.dns64.names.x.ipv4only.arpa: name 'x.ipv4only.arpa' is "
	  "under arpa., which is reserved" },
	{ "      dns64: { names: { a.test: 192.0.2.300 } }\n", V6,
	  "t.yaml:5:33: nodes.resolver.dns64.names.a.test: expected an IPv4 address (like 192.0.2.1), got "
	  "\"192.0.2.300\"" },
	{ "      dns64: { names: { a.test: '2001:db8::1' } }\n", V6,
	  "t.yaml:5:33: nodes.resolver.dns64.names.a.test: expected an IPv4 address (like 192.0.2.1), got "
	  "the quoted string \"2001:db8::1\"" },
	{ "      dns64: { names: [ a.test ] }\n", V6,
	  "t.yaml:5:23: nodes.resolver.dns64.names: expected a mapping, got a list" },
	{ "      dns64: { listen: 192.0.2.53 }\n", V6,
	  "t.yaml:5:24: nodes.resolver.dns64.listen: expected an IPv6 address (like 2001:db8::1), got "
	  "\"192.0.2.53\"" },
	{ "      dns64: { prefix: '2001:db8:64::' }\n", V6,
	  "t.yaml:5:24: nodes.resolver.dns64.prefix: expected an IPv6 address with a prefix length "
	  "(like 2001:db8::1/64), got the quoted string \"2001:db8:64::\"" },
	/* From here on: topo_plan_validate() (dns64_validate). */
	{ "      dns64: { prefix: '2001:db8:64::/95' }\n", V6,
	  "t.yaml:5:24: nodes.resolver.dns64.prefix: prefix length 95 is not one RFC 6052 "
	  "allows (32, 40, 48, 56, 64, 96)" },
	{ "      dns64: { prefix: '2001:db8:64::1/96' }\n", V6,
	  "t.yaml:5:24: nodes.resolver.dns64.prefix: address bits after /96 must be zero" },
	{ "      dns64: { listen: '2001:db8:b::54' }\n", V6,
	  "t.yaml:5:24: nodes.resolver.dns64.listen: 2001:db8:b::54 is not an address of node "
	  "'resolver'" },
	{ "      dns64: { names: { a.test: 192.0.2.1, A.TEST.: 192.0.2.2 } }\n", V6,
	  "t.yaml:5:44: nodes.resolver.dns64.names.a.test: duplicate name" },
	{ "      dns64:\n", "ipv4: 10.0.0.53/24",
	  "t.yaml:5:7: nodes.resolver.dns64: node 'resolver' has no IPv6 address to serve DNS64 "
	  "on" },
};

START_TEST(test_bad)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
		 "topology:\n  nodes:\n    client:\n    resolver:\n%s  links:\n    lan:\n"
		 "      a: { node: client, ipv6: '2001:db8:b::2/64', ipv4: 10.0.0.2/24 }\n"
		 "      b: { node: resolver, %s }\n",
		 bad[_i].dns64, bad[_i].addr);
	assert_error(yaml, bad[_i].msg);
}
END_TEST

START_TEST(test_name_problem)
{
	ck_assert_ptr_null(dns64_name_problem("server.test"));
	ck_assert_ptr_null(dns64_name_problem("Server.Test."));
	ck_assert_ptr_null(dns64_name_problem("a-b.c-d.example"));
	ck_assert_ptr_nonnull(dns64_name_problem(""));
	ck_assert_ptr_nonnull(dns64_name_problem("test."));
	ck_assert_ptr_nonnull(dns64_name_problem("a.test.."));
	ck_assert_ptr_nonnull(dns64_name_problem("a-.test"));
	ck_assert_ptr_nonnull(dns64_name_problem("ipv4only.arpa"));
	ck_assert_ptr_null(dns64_name_problem("notarpa.example"));
	ck_assert_ptr_nonnull(dns64_name_problem(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test"));
}
END_TEST

Suite *dns64_yaml_suite(void)
{
	Suite *s = suite_create("dns64_yaml");
	TCase *tc = tcase_create("dns64_yaml");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_name_problem);
	suite_add_tcase(s, tc);
	return s;
}
