/* test_scenario.c - the scenario loader and topo_plan_validate().
 *
 * Error messages are compared whole: position, field and wording are the
 * user interface of a scenario file, so any change must show up here.
 * Paths are relative to the repository root, where the runner starts.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../harness/netcut.h"
#include "../../harness/scenario.h"
#include "../../netns/plan.h"
#include "../../netns/rules.h"
#include "suites.h"

#define BAD "tests/data/bad/"

/* ---- helpers --------------------------------------------------------------- */

static bool plan_is_zero(const struct topo_plan *p)
{
	static const struct topo_plan zero;

	return memcmp(p, &zero, sizeof(zero)) == 0;
}

static void assert_prefix(const struct topo_prefix *p, int family, const char *addr,
			  unsigned plen)
{
	unsigned char want[16] = { 0 };

	ck_assert_int_eq(p->family, family);
	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_mem_eq(p->addr, want, family == AF_INET ? 4 : 16);
	ck_assert_uint_eq(p->plen, plen);
}

static void assert_addr(const unsigned char *got, int family, const char *addr)
{
	unsigned char want[16] = { 0 };

	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_mem_eq(got, want, family == AF_INET ? 4 : 16);
}

/* Load `yaml` as file "t.yaml"; expect failure with exactly `msg`. */
static void assert_buf_error(const char *yaml, const char *msg)
{
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	int rc = scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e);

	ck_assert_msg(rc == ICL_EINPUT, "rc %d, msg '%s' for:\n%s", rc, e.msg, yaml);
	ck_assert_str_eq(e.msg, msg);
	ck_assert_int_eq(e.code, ICL_EINPUT);
	ck_assert(plan_is_zero(&p));
}

static void load_ok(const char *path, struct topo_plan *p)
{
	struct icl_err e = { 0 };
	int rc = scn_load_topology(path, p, &e);

	ck_assert_msg(rc == 0, "%s: rc %d: %s", path, rc, e.msg);
}

/* ---- bad files ---------------------------------------------------------------- */

static const struct {
	const char *file;
	const char *msg;
} bad_files[] = {
	{ BAD "unknown-node.yaml",
	  BAD "unknown-node.yaml:9:10: links.lan.b.node: unknown node 'clinet'" },
	{ BAD "overlapping-prefixes.yaml",
	  BAD "overlapping-prefixes.yaml:13:27: links.two.b.ipv4: prefix 10.0.0.130/25 overlaps "
	      "10.0.0.2/24 on links.one.a; each link needs its own subnet" },
	{ BAD "nat-no-outside.yaml",
	  BAD "nat-no-outside.yaml:8:9: nodes.router.nat.outside: required key is missing" },
	{ BAD "nat-outside-not-on-node.yaml",
	  BAD "nat-outside-not-on-node.yaml:7:13: nodes.router.nat[0].outside: node 'router' "
	      "is not on link 'wan'" },
	{ BAD "syntax-error.yaml",
	  BAD "syntax-error.yaml:5:8: missing comma in flow mapping" },
	{ BAD "wrong-type.yaml",
	  BAD "wrong-type.yaml:10:31: nodes.router.nat.udp-mapping-lifetime: expected an "
	      "integer, got the quoted string \"120\"" },
	{ BAD "wrong-bool.yaml",
	  BAD "wrong-bool.yaml:5:15: nodes.router.router: expected a boolean (true or false), "
	      "got \"yes\"" },
	{ BAD "unknown-key.yaml",
	  BAD "unknown-key.yaml:9:45: links.lan.b.ipv6addr: unknown key (expected one of: node, "
	      "ifname, ipv4, ipv6)" },
	{ BAD "unknown-top-key.yaml",
	  BAD "unknown-top-key.yaml:3:1: topolgy: unknown key (expected one of: name, "
	      "description, references, matrix, topology, agents, signalling, timeout, "
	      "expect, expected-failure, actions, hold)" },
	{ BAD "dangling-gateway.yaml",
	  BAD "dangling-gateway.yaml:6:11: nodes.client.routes[0].via: gateway 10.0.1.1 is not "
	      "on any prefix connected to node 'client'" },
	{ BAD "duplicate-key.yaml",
	  BAD "duplicate-key.yaml:5:5: duplicate key" },
	{ BAD "host-bits.yaml",
	  BAD "host-bits.yaml:8:27: links.l.a.ipv4: 10.0.0.0/24 is the network address of its "
	      "prefix" },
	{ BAD "nat-non-router.yaml",
	  BAD "nat-non-router.yaml:6:12: nodes.box.nat[0]: node 'box' is not a router; set "
	      "'router: true' to NAT" },
	{ BAD "nat-family.yaml",
	  BAD "nat-family.yaml:7:12: nodes.router.nat[0].family: NAT for ipv6 needs an ipv6 "
	      "address on this node's end of link 'wan'" },
	{ BAD "probe-family.yaml",
	  BAD "probe-family.yaml:11:7: probes[0].to: node 'b' has no ipv6 address" },
	{ BAD "mtu-ipv6.yaml",
	  BAD "mtu-ipv6.yaml:7:5: links.l.mtu: 1000 is below 1280, the IPv6 minimum, and the "
	      "link has IPv6 addresses" },
	{ BAD "wrong-family.yaml",
	  BAD "wrong-family.yaml:8:27: links.l.a.ipv4: expected an IPv4 address with a prefix "
	      "length (like 192.0.2.1/24), got the quoted string \"fd00::1/64\"" },
	{ BAD "long-ifname.yaml",
	  BAD "long-ifname.yaml:8:10: links.uplink-to-the-isp.a.ifname: defaults to the link "
	      "name 'uplink-to-the-isp', which is longer than 15 characters; set ifname or "
	      "shorten the link name" },
	{ BAD "same-node-link.yaml",
	  BAD "same-node-link.yaml:8:10: links.loop.b.node: both ends are on node 'a'; a link "
	      "joins two different nodes" },
	{ BAD "route-dev.yaml",
	  BAD "route-dev.yaml:6:11: nodes.a.routes[0].dev: node 'a' is not on link 'wan'" },
	{ BAD "empty.yaml",
	  BAD "empty.yaml:1:1: the file is empty; a scenario needs a 'topology:' section" },
	{ BAD "isolated-node.yaml",
	  BAD "isolated-node.yaml:6:5: nodes.spare: node is on no link; connect it or remove it" },
	{ BAD "gateway-not-router.yaml",
	  BAD "gateway-not-router.yaml:4:19: nodes.a.gateway: node 'b' is not a router; set "
	      "'router: true' on it" },
};

START_TEST(test_bad_file)
{
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	int rc = scn_load_topology(bad_files[_i].file, &p, &e);

	ck_assert_msg(rc == ICL_EINPUT, "%s: rc %d: %s", bad_files[_i].file, rc, e.msg);
	ck_assert_str_eq(e.msg, bad_files[_i].msg);
	ck_assert(plan_is_zero(&p));
}
END_TEST

START_TEST(test_missing_file)
{
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };

	ck_assert_int_eq(scn_load_topology(BAD "no-such-file.yaml", &p, &e), -ENOENT);
	ck_assert_str_eq(e.msg, BAD "no-such-file.yaml: No such file or directory");
	ck_assert(plan_is_zero(&p));
	ck_assert_int_eq(scn_load_topology("tests/data", &p, &e), -EISDIR);
	ck_assert_str_eq(e.msg, "tests/data: Is a directory");
}
END_TEST

/* ---- good files ------------------------------------------------------------------- */

static const char *const good_files[] = {
	"scenarios/topo-nat44.yaml",
	"scenarios/topo-cgnat.yaml",
	"scenarios/topo-ipv6-oneway.yaml",
	"scenarios/topo-routed.yaml",
};

START_TEST(test_good_file_loads)
{
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };

	load_ok(good_files[_i], &p);
	ck_assert_str_eq(p.file, good_files[_i]);
	ck_assert_int_eq(topo_plan_validate(&p, &e), 0);
	topo_plan_free(&p);
	ck_assert(plan_is_zero(&p));
}
END_TEST

static void check_nat44_links(const struct topo_plan *p)
{
	const struct topo_link *lan = topo_plan_link(p, "lan"), *wan = topo_plan_link(p, "wan");

	ck_assert_uint_eq(p->n_links, 2);
	ck_assert_ptr_nonnull(lan);
	ck_assert_ptr_nonnull(wan);
	ck_assert_str_eq(lan->end[0].node, "client");
	ck_assert_str_eq(lan->end[0].ifname, "lan");
	ck_assert_uint_eq(lan->end[0].n_addr, 2);
	assert_prefix(&lan->end[0].addr[0], AF_INET, "10.0.0.2", 24);
	assert_prefix(&lan->end[0].addr[1], AF_INET6, "2001:db8:a::2", 64);
	ck_assert_uint_eq(lan->end[0].addr[0].src.line, 33);
	ck_assert_uint_eq(lan->end[0].addr[0].src.col, 32);
	ck_assert_str_eq(wan->end[1].node, "server");
	assert_prefix(topo_plan_addr(p, "server", "wan", AF_INET), AF_INET, "203.0.113.10", 24);
	ck_assert_ptr_null(topo_plan_addr(p, "client", "wan", AF_INET));
	ck_assert_ptr_eq(topo_link_end_on(wan, "router"), &wan->end[0]);
	ck_assert_ptr_null(topo_link_end_on(wan, "client"));
	ck_assert_uint_eq(lan->mtu, 0);
}

static void check_nat44_routes(const struct topo_plan *p)
{
	const struct topo_node *c = topo_plan_node(p, "client"), *s = topo_plan_node(p, "server");

	ck_assert_ptr_nonnull(c);
	ck_assert(!c->router);
	ck_assert_uint_eq(c->n_routes, 2); /* from `gateway: router` */
	ck_assert_int_eq(c->routes[0].dst.family, AF_INET);
	ck_assert_uint_eq(c->routes[0].dst.plen, 0);
	ck_assert(c->routes[0].has_via);
	assert_addr(c->routes[0].via, AF_INET, "10.0.0.1");
	ck_assert_str_eq(c->routes[0].dev, "lan");
	ck_assert_uint_eq(c->routes[0].src.line, 13);
	ck_assert_int_eq(c->routes[1].dst.family, AF_INET6);
	assert_addr(c->routes[1].via, AF_INET6, "2001:db8:a::1");
	ck_assert_uint_eq(s->n_routes, 1);
	assert_prefix(&s->routes[0].dst, AF_INET6, "2001:db8:a::", 64);
	assert_addr(s->routes[0].via, AF_INET6, "2001:db8:1::1");
	ck_assert_str_eq(s->routes[0].dev, "");
}

static void check_nat44_nat(const struct topo_plan *p)
{
	const struct topo_node *r = topo_plan_node(p, "router");

	ck_assert(r->router);
	ck_assert_uint_eq(r->n_nat, 1);
	ck_assert_str_eq(r->nat[0].inside, "lan");
	ck_assert_str_eq(r->nat[0].outside, "wan");
	ck_assert_int_eq(r->nat[0].mapping, TOPO_ENDPOINT_INDEPENDENT);
	ck_assert_int_eq(r->nat[0].filtering, TOPO_ADDRESS_AND_PORT_DEPENDENT);
	ck_assert(!r->nat[0].hairpinning);
	ck_assert(r->nat[0].port_preservation);
	ck_assert_uint_eq(r->nat[0].udp_lifetime_s, 120);
	ck_assert_uint_eq(r->nat[0].families, TOPO_FAM_V4);
	ck_assert_uint_eq(r->nat[0].src.line, 17);
	ck_assert_uint_eq(r->nat[0].src.col, 9);
	ck_assert_uint_eq(r->n_filters, 0);
}

static void check_nat44_probes(const struct topo_plan *p)
{
	ck_assert_uint_eq(p->n_probes, 3);
	ck_assert_str_eq(p->probes[0].from, "client");
	ck_assert_str_eq(p->probes[0].to, "server");
	ck_assert_int_eq(p->probes[0].family, AF_INET);
	ck_assert(!p->probes[0].has_addr);
	ck_assert_uint_eq(p->probes[0].port, 0);
	ck_assert_int_eq(p->probes[0].expect, TOPO_REACH_ROUND_TRIP);
	ck_assert_int_eq(p->probes[2].family, AF_INET6);
	ck_assert_str_eq(p->probes[2].from, "server");
}

START_TEST(test_nat44_plan)
{
	struct topo_plan p = { 0 };

	load_ok("scenarios/topo-nat44.yaml", &p);
	ck_assert_uint_eq(p.n_nodes, 3);
	ck_assert_str_eq(p.nodes[0].name, "client");
	ck_assert_uint_eq(p.nodes[0].src.line, 12);
	ck_assert_uint_eq(p.nodes[0].src.col, 5);
	check_nat44_links(&p);
	check_nat44_routes(&p);
	check_nat44_nat(&p);
	check_nat44_probes(&p);
	topo_plan_free(&p);
}
END_TEST

START_TEST(test_oneway_plan)
{
	struct topo_plan p = { 0 };
	const struct topo_node *r;

	load_ok("scenarios/topo-ipv6-oneway.yaml", &p);
	r = topo_plan_node(&p, "router");
	ck_assert_uint_eq(r->n_filters, 1);
	ck_assert_int_eq(r->filters[0].action, TOPO_DROP);
	ck_assert_uint_eq(r->filters[0].families, TOPO_FAM_V6);
	ck_assert_int_eq(r->filters[0].proto, TOPO_PROTO_ANY);
	ck_assert_str_eq(r->filters[0].in, "wan");
	ck_assert_str_eq(r->filters[0].out, "lan");
	ck_assert_uint_eq(r->filters[0].n_dports, 0);
	/* NAT defaults */
	ck_assert_int_eq(r->nat[0].mapping, TOPO_ENDPOINT_INDEPENDENT);
	ck_assert_int_eq(r->nat[0].filtering, TOPO_ADDRESS_AND_PORT_DEPENDENT);
	ck_assert(!r->nat[0].port_preservation);
	ck_assert_uint_eq(r->nat[0].udp_lifetime_s, 120);
	ck_assert_int_eq(p.probes[1].expect, TOPO_REACH_ONE_WAY);
	topo_plan_free(&p);
}
END_TEST

/* The full example in the format documentation must stay loadable. */
START_TEST(test_doc_example)
{
	FILE *f = fopen("docs/scenario-format.md", "r");
	char line[512], *buf = calloc(1, 1 << 16);
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	size_t len = 0;
	int in = 0, rc;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL && in < 2) {
		if (!strncmp(line, "```yaml", 7) && in == 0 && (in = 1))
			continue;
		if (in == 1 && !strncmp(line, "```", 3))
			in = 2;
		else if (in == 1 && len + strlen(line) < (1 << 16))
			len += (size_t)snprintf(buf + len, (1 << 16) - len, "%s", line);
	}
	fclose(f);
	ck_assert_int_eq(in, 2);
	rc = scn_load_topology_buf("example", buf, len, &p, &e);
	ck_assert_msg(rc == 0, "doc example: %s", e.msg);
	ck_assert_uint_ge(p.n_nodes, 3);
	topo_plan_free(&p);
	free(buf);
}
END_TEST

/* ---- rules, one small document each ---------------------------------------------- */

/* Lines 1-10; each case continues with the nodes `a` and `r` at line 11. */
#define HEAD                                                                   \
	"topology:\n"                                                          \
	"  links:\n"                                                           \
	"    l1:\n"                                                            \
	"      a: { node: a, ipv4: 10.0.0.2/24, ipv6: \"fd00:1::2/64\" }\n"    \
	"      b: { node: r, ipv4: 10.0.0.1/24, ipv6: \"fd00:1::1/64\" }\n"    \
	"    l2:\n"                                                            \
	"      a: { node: r, ipv4: 203.0.113.1/24 }\n"                         \
	"      b: { node: b, ipv4: 203.0.113.10/24 }\n"                        \
	"  nodes:\n"                                                           \
	"    b: {}\n"
#define AR "    a: {}\n    r: { router: true }\n"
#define R_NAT(x) "    a: {}\n    r:\n      router: true\n      nat: " x "\n"
#define R_FILTER(x) "    a: {}\n    r:\n      router: true\n      filters: [" x "]\n"
#define A_ROUTE(x) "    a:\n      routes: [" x "]\n    r: { router: true }\n"
#define PROBE(x) AR "  probes:\n    - " x "\n"
/* Two nodes, one link: for link-level rules; the link ends are on line 6. */
#define LINK(a, b) \
	"topology:\n  nodes: { x: {}, y: {} }\n  links:\n    l:\n" \
	"      a: { node: x, " a " }\n      b: { node: y, " b " }\n"

/* \x01 escapes, written the same in a YAML file and in a message. */
#define X01_8 "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01"
#define X01_10 X01_8 "\\x01\\x01"

static const struct {
	const char *yaml;
	const char *msg;
} bad_bufs[] = {
	/* document shape */
	{ "- a\n", "t.yaml:1:1: expected a mapping, got a list" },
	{ "name: x\n", "t.yaml:1:1: topology: required key is missing" },
	{ "name: [x]\ntopology: {}\n", "t.yaml:1:7: name: expected a string, got a list" },
	{ "? [a]\n: 1\n", "t.yaml:1:3: keys must be plain names, got a list" },
	{ "topology:\n  nodes: {}\n  extra: 1\n",
	  "t.yaml:3:3: topology.extra: unknown key (expected one of: nodes, links, probes)" },
	{ "topology:\n  nodes: {}\n", "t.yaml:2:10: nodes: a topology needs at least one node" },
	{ "topology: [ ]\n", "t.yaml:1:11: topology: expected a mapping, got a list" },
	{ "topology:\n  nodes:\n    a: &x { router: true }\n    c: *x\n",
	  "t.yaml:4:9: nodes.c: aliases (*name) are not supported; write the value out" },
	{ "topology:\n  nodes:\n    a: \"\t\"\n",
	  "t.yaml:3:8: nodes.a: expected a mapping, got the quoted string \"\\t\"" },
	{ "topology:\n  nodes:\n    a: \"x\\x01y\"\n",
	  "t.yaml:3:8: nodes.a: expected a mapping, got the quoted string \"x\\x01y\"" },
	/* 30 escapes do not fit the message: 18 shown, then the cut marked */
	{ "topology:\n  nodes:\n    a: \"" X01_10 X01_10 X01_10 "\"\n",
	  "t.yaml:3:8: nodes.a: expected a mapping, got the quoted string \"" X01_10 X01_8
	  "...\"" },
	/* block scalars: at their first character, not in the indentation
	 * before it, and named for what they are, line break and all */
	{ "topology:\n  nodes:\n    a:\n      router: |\n        yes\n",
	  "t.yaml:5:9: nodes.a.router: expected a boolean (true or false), got the block text "
	  "\"yes\\n\"" },
	{ "topology:\n  nodes:\n    a:\n      router: >-\n          no\n          way\n",
	  "t.yaml:5:11: nodes.a.router: expected a boolean (true or false), got the block text "
	  "\"no way\"" },
	{ "topology:\n\tnodes: {}\n", "t.yaml:2:1: tab character may not be used as indentation" },
	/* names */
	{ "topology:\n  nodes:\n    Client: {}\n",
	  "t.yaml:3:5: nodes.Client: name 'Client' may only contain a-z, 0-9, '-' and '_'" },
	{ "topology:\n  nodes:\n    \"a\\nb\": {}\n",
	  "t.yaml:3:5: nodes.a?b: name 'a?b' may only contain a-z, 0-9, '-' and '_'" },
	{ "topology:\n  nodes:\n    -x: {}\n",
	  "t.yaml:3:5: nodes.-x: name '-x' must start with a letter or digit" },
	{ "topology:\n  nodes:\n    a-very-long-node-name-that-is-too-long: {}\n",
	  "t.yaml:3:5: nodes: \"a-very-long-node-name-that-is-t...\" is longer than 31 "
	      "characters" },
	/* routes */
	{ HEAD A_ROUTE("{ to: default, dev: l1 }"),
	  "t.yaml:12:22: nodes.a.routes[0].to: 'default' takes its address family from "
	      "'via'; without 'via' write 0.0.0.0/0 or ::/0" },
	{ HEAD A_ROUTE("{ to: 0.0.0.0/0, via: \"fd00:1::1\" }"),
	  "t.yaml:12:38: nodes.a.routes[0].via: expected an IPv4 address (like 192.0.2.1), "
	      "got the quoted string \"fd00:1::1\"" },
	{ HEAD A_ROUTE("{ to: default, via: 10.0.0.1 }, { to: 0.0.0.0/0, via: 10.0.0.1 }"),
	  "t.yaml:12:54: nodes.a.routes[1].to: duplicate route (same as routes[0])" },
	{ HEAD "    a:\n      gateway: r\n      routes: [{ to: default, via: 10.0.0.1 }]\n"
	       "    r: { router: true }\n",
	  "t.yaml:12:16: nodes.a.gateway: node already has an IPv4 default route (routes[0])" },
	{ HEAD A_ROUTE("{ to: 192.0.2.1/24, via: 10.0.0.1 }"),
	  "t.yaml:12:22: nodes.a.routes[0].to: 192.0.2.1/24 has host bits set after the "
	      "prefix length" },
	{ HEAD A_ROUTE("{ to: 192.0.2.0/24, via: 10.0.0.2 }"),
	  "t.yaml:12:16: nodes.a.routes[0].via: gateway 10.0.0.2 is an address of this node" },
	{ HEAD A_ROUTE("{ to: 192.0.2.0/24 }"),
	  "t.yaml:12:16: nodes.a.routes[0].via: a route needs 'via', 'dev' or both" },
	{ HEAD A_ROUTE("{ via: 10.0.0.1 }"),
	  "t.yaml:12:16: nodes.a.routes[0].to: required key is missing" },
	{ HEAD A_ROUTE("{ to: 192.0.2.0/33, via: 10.0.0.1 }"),
	  "t.yaml:12:22: nodes.a.routes[0].to: prefix length '33' is not 0..32" },
	{ HEAD A_ROUTE("{ to: 192.0.2.0/24, via: 10.0.0.1, metric: 5 }"),
	  "t.yaml:12:51: nodes.a.routes[0].metric: unknown key (expected one of: to, via, dev)" },
	{ HEAD "    a: { gateway: b }\n    r: { router: true }\n",
	  "t.yaml:11:19: nodes.a.gateway: node 'b' is not a router; set 'router: true' on it" },
	{ HEAD "    a: { gateway: q }\n    r: { router: true }\n",
	  "t.yaml:11:19: nodes.a.gateway: unknown node 'q'" },
	{ HEAD "    a: { gateway: a }\n    r: { router: true }\n",
	  "t.yaml:11:19: nodes.a.gateway: a node cannot be its own gateway" },
	/* links and addresses */
	{ LINK("ipv4: 10.0.0.1/24", "ipv4: 10.0.0.1/24"),
	  "t.yaml:6:27: links.l.b.ipv4: address 10.0.0.1 is already assigned at links.l.a" },
	{ LINK("ipv6: \"fd00:1::/64\"", "ipv6: \"fd00:1::2/64\""),
	  "t.yaml:5:27: links.l.a.ipv6: fd00:1::/64 is the subnet-router anycast address of "
	      "its prefix" },
	{ LINK("ipv6: \"fe80::1/64\"", "ipv6: \"fd00:1::2/64\""),
	  "t.yaml:5:27: links.l.a.ipv6: fe80::1/64 is link-local; those are assigned "
	      "automatically" },
	{ LINK("ipv4: 224.0.0.1/24", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:27: links.l.a.ipv4: 224.0.0.1/24 is not a unicast host address" },
	{ LINK("ipv4: 10.0.0.1", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:27: links.l.a.ipv4: expected an IPv4 address with a prefix length (like "
	      "192.0.2.1/24), got \"10.0.0.1\"" },
	{ LINK("ipv4: 10.0.0.255/24", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:27: links.l.a.ipv4: 10.0.0.255/24 is the broadcast address of its prefix" },
	{ LINK("ipv4: [10.0.0.1/24, 10.0.0.2/24, 10.0.0.3/24, 10.0.0.4/24, 10.0.0.5/24, "
	       "10.0.0.6/24, 10.0.0.7/24, 10.0.0.8/24, 10.0.0.9/24]", "ipv4: 10.0.0.10/24"),
	  "t.yaml:5:132: links.l.a.ipv4[8]: at most 8 addresses per link end" },
	{ LINK("ifname: lo, ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:10: links.l.a.ifname: interface name 'lo' is reserved by the kernel" },
	{ LINK("ifname: eth0.5, ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:10: links.l.a.ifname: interface name 'eth0.5' may only contain a-z, "
	      "0-9, '-' and '_'" },
	{ LINK("ifname: a-very-long-ifname, ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24"),
	  "t.yaml:5:29: links.l.a.ifname: \"a-very-long-ifn...\" is longer than 15 characters" },
	{ LINK("ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24") "      mtu: 50\n",
	  "t.yaml:7:12: links.l.mtu: 50 is out of range (68..65535)" },
	{ LINK("ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24") "      mtu: 1500.0\n",
	  "t.yaml:7:12: links.l.mtu: expected an integer, got \"1500.0\"" },
	{ LINK("ipv4: 10.0.0.1/24", "ipv4: 10.0.0.2/24") "      speed: 100\n",
	  "t.yaml:7:7: links.l.speed: unknown key (expected one of: a, b, mtu, impair)" },
	{ "topology:\n  nodes: { x: {}, y: {} }\n  links:\n    l:\n"
	  "      a: { node: x, ipv4: 10.0.0.1/24 }\n      mtu: 1500\n",
	  "t.yaml:5:7: links.l.b: required key is missing" },
	{ "topology:\n  nodes: { x: {}, y: {}, z: {} }\n  links:\n"
	  "    l: { a: { node: x, ipv4: 10.0.0.1/24 }, b: { node: y, ipv4: 10.0.0.2/24 } }\n"
	  "    m: { a: { node: y, ipv4: 10.0.1.1/24, ifname: l }, b: { node: z } }\n",
	  "t.yaml:5:13: links.m.a.ifname: node 'y' already has an interface 'l' (links.l.b)" },
	/* NAT */
	{ HEAD R_NAT("{ inside: l1, outside: l2, udp-mapping-lifetime: 0 }"),
	  "t.yaml:14:61: nodes.r.nat.udp-mapping-lifetime: 0 is out of range (1..86400)" },
	{ HEAD R_NAT("{ inside: l1, outside: l2, max-mappings: 8 }"),
	  "t.yaml:14:53: nodes.r.nat.max-mappings: 8 is out of range (16..65535)" },
	{ HEAD R_NAT("{ inside: l2, outside: l2 }"),
	  "t.yaml:14:12: nodes.r.nat[0].inside: inside and outside are the same link 'l2'" },
	{ HEAD R_NAT("[{ inside: l1, outside: l2 }, { inside: l1, outside: l2, mapping: full-cone }]"),
	  "t.yaml:14:78: nodes.r.nat[1].mapping: expected one of endpoint-independent, "
	      "address-dependent, address-and-port-dependent, got \"full-cone\"" },
	{ HEAD R_NAT("[{ inside: l1, outside: l2 }, { inside: l1, outside: l2 }]"),
	  "t.yaml:14:42: nodes.r.nat[1].family: overlaps nat[0] (same inside, outside and "
	      "family)" },
	{ HEAD R_NAT("{ inside: l1, outside: l2, hairpinning: 1 }"),
	  "t.yaml:14:52: nodes.r.nat.hairpinning: expected a boolean (true or false), got \"1\"" },
	{ HEAD R_NAT("{ inside: l1, outside: l2, family: ipv5 }"),
	  "t.yaml:14:47: nodes.r.nat.family: expected one of ipv4, ipv6, both, got \"ipv5\"" },
	{ HEAD R_NAT("l2"),
	  "t.yaml:14:12: nodes.r.nat: expected a mapping or a list, got \"l2\"" },
	/* filters */
	{ HEAD R_FILTER("{ action: drop, dports: 53 }"),
	  "t.yaml:14:17: nodes.r.filters[0].dports: ports need 'proto: udp' or 'proto: tcp'" },
	{ HEAD R_FILTER("{ action: drop, proto: udp, "
			 "dports: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17] }"),
	  "t.yaml:14:93: nodes.r.filters[0].dports: at most 16 ports per rule" },
	{ HEAD R_FILTER("{ action: drop, proto: udp, dports: [0] }"),
	  "t.yaml:14:54: nodes.r.filters[0].dports: 0 is out of range (1..65535)" },
	{ HEAD R_FILTER("{ action: drop, in: l3 }"),
	  "t.yaml:14:17: nodes.r.filters[0].in: node 'r' is not on link 'l3'" },
	{ HEAD R_FILTER("{ proto: udp }"),
	  "t.yaml:14:17: nodes.r.filters[0].action: required key is missing" },
	/* probes */
	{ HEAD PROBE("{ from: a, to: b, family: ipv4, addr: 10.0.0.1 }"),
	  "t.yaml:14:7: probes[0].addr: 10.0.0.1 is not an address of node 'b'" },
	{ HEAD PROBE("{ from: a, to: a, family: ipv4 }"),
	  "t.yaml:14:7: probes[0].to: 'from' and 'to' are the same node" },
	{ HEAD PROBE("{ from: a, to: c, family: ipv4 }"),
	  "t.yaml:14:7: probes[0].to: unknown node 'c'" },
	{ HEAD PROBE("{ from: a, to: b }"),
	  "t.yaml:14:7: probes[0].family: required key is missing" },
	{ HEAD PROBE("{ from: a, to: b, family: both }"),
	  "t.yaml:14:33: probes[0].family: expected one of ipv4, ipv6, got \"both\"" },
	{ HEAD PROBE("{ from: a, to: b, family: ipv4, expect: maybe }"),
	  "t.yaml:14:47: probes[0].expect: expected one of round-trip, one-way, none, got "
	      "\"maybe\"" },
	{ HEAD PROBE("{ from: a, to: b, family: ipv4, port: \"9\" }"),
	  "t.yaml:14:45: probes[0].port: expected an integer, got the quoted string \"9\"" },
	{ HEAD PROBE("{ from: a, to: b, family: ipv4, port: 65536 }"),
	  "t.yaml:14:45: probes[0].port: 65536 is out of range (1..65535)" },
	{ HEAD PROBE("{ from: b, to: a, family: ipv6 }"),
	  "t.yaml:14:7: probes[0].from: node 'b' has no ipv6 address" },
	{ HEAD PROBE("{ from: a, to: b, family: ipv4, addr: \"fd00:1::1\" }"),
	  "t.yaml:14:45: probes[0].addr: expected an IPv4 address (like 192.0.2.1), got the "
	      "quoted string \"fd00:1::1\"" },
};

START_TEST(test_bad_buf)
{
	assert_buf_error(bad_bufs[_i].yaml, bad_bufs[_i].msg);
}
END_TEST

/* ---- accepted forms ------------------------------------------------------------------ */

START_TEST(test_forms)
{
	static const char yaml[] = HEAD
		"    a:\n"
		"      routes:\n"
		"        - { to: \"::/0\", via: \"fd00:1::1\" }\n"
		"        - { to: 192.0.2.0/24, dev: l1 }\n"
		"    r:\n"
		"      router: True\n"
		"      nat:\n"
		"        - { inside: l1, outside: l2, mapping: address-dependent, hairpinning: true }\n"
		"        - { inside: l1, outside: l2, family: ipv6, filtering: endpoint-independent,\n"
		"            udp-mapping-lifetime: 30, max-mappings: 64 }\n"
		"      filters:\n"
		"        - { action: accept, proto: udp, dports: [3478, 5349], in: l2 }\n"
		"        - { action: drop, proto: tcp, dports: 80, family: ipv4 }\n"
		"  probes:\n"
		"    - { from: a, to: r, family: ipv6, addr: \"fd00:1::1\", port: 7 }\n";
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	const struct topo_node *a, *r;

	/* NAT66 needs an IPv6 address outside: not there, so expect that. */
	ck_assert_int_eq(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "t.yaml:19:11: nodes.r.nat[1].family: NAT for ipv6 needs an "
				"ipv6 address on this node's end of link 'l2'");
	{
		static const char from[] = "ipv4: 203.0.113.1/24 }";
		char fixed[sizeof(yaml) + 32];
		const char *at = strstr(yaml, from);

		snprintf(fixed, sizeof(fixed), "%.*sipv4: 203.0.113.1/24, ipv6: \"2001:db8::1/64\" }%s",
			 (int)(at - yaml), yaml, at + strlen(from));
		ck_assert_msg(scn_load_topology_buf("t.yaml", fixed, strlen(fixed), &p, &e) == 0,
			      "%s", e.msg);
	}
	a = topo_plan_node(&p, "a");
	r = topo_plan_node(&p, "r");
	ck_assert_uint_eq(a->n_routes, 2);
	assert_prefix(&a->routes[0].dst, AF_INET6, "::", 0);
	assert_addr(a->routes[0].via, AF_INET6, "fd00:1::1");
	ck_assert(!a->routes[1].has_via);
	ck_assert_str_eq(a->routes[1].dev, "l1");
	ck_assert(r->router);
	ck_assert_uint_eq(r->n_nat, 2);
	ck_assert_int_eq(r->nat[0].mapping, TOPO_ADDRESS_DEPENDENT);
	ck_assert(r->nat[0].hairpinning);
	ck_assert_uint_eq(r->nat[1].families, TOPO_FAM_V6);
	ck_assert_int_eq(r->nat[1].filtering, TOPO_ENDPOINT_INDEPENDENT);
	ck_assert_uint_eq(r->nat[1].udp_lifetime_s, 30);
	ck_assert_uint_eq(r->nat[0].max_mappings, 0); /* the default, decided by netns */
	ck_assert_uint_eq(r->nat[1].max_mappings, 64);
	ck_assert_uint_eq(r->n_filters, 2);
	ck_assert_int_eq(r->filters[0].action, TOPO_ACCEPT);
	ck_assert_uint_eq(r->filters[0].n_dports, 2);
	ck_assert_uint_eq(r->filters[0].dports[1], 5349);
	ck_assert_uint_eq(r->filters[0].families, TOPO_FAM_ALL);
	ck_assert_int_eq(r->filters[1].proto, TOPO_PROTO_TCP);
	ck_assert_uint_eq(r->filters[1].dports[0], 80);
	ck_assert(p.probes[0].has_addr);
	assert_addr(p.probes[0].addr, AF_INET6, "fd00:1::1");
	ck_assert_uint_eq(p.probes[0].port, 7);
	ck_assert_int_eq(p.probes[0].expect, TOPO_REACH_UNSPECIFIED);
	topo_plan_free(&p);
}
END_TEST

START_TEST(test_address_list_and_null_node)
{
	static const char yaml[] =
		"name: n\ndescription: d\n"
		"topology:\n  nodes:\n    x:\n    y: ~\n  links:\n    l:\n"
		"      a: { node: x, ipv4: [10.0.0.1/24, 10.0.1.1/24], ifname: eth0 }\n"
		"      b: { node: y, ipv4: 10.0.0.2/24, ipv6: [\"2001:db8::2/64\"] }\n";
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	const struct topo_link *l;

	ck_assert_int_eq(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e), 0);
	l = topo_plan_link(&p, "l");
	ck_assert_uint_eq(l->end[0].n_addr, 2);
	assert_prefix(&l->end[0].addr[1], AF_INET, "10.0.1.1", 24);
	ck_assert_str_eq(l->end[0].ifname, "eth0");
	ck_assert_str_eq(l->end[1].ifname, "l");
	assert_prefix(&l->end[1].addr[1], AF_INET6, "2001:db8::2", 64);
	ck_assert(!topo_plan_node(&p, "y")->router);
	topo_plan_free(&p);
}
END_TEST

/* ---- plans built in code -------------------------------------------------------------- */

static void two_nodes(struct topo_plan *p, struct topo_node nodes[2], struct topo_link *l)
{
	memset(nodes, 0, 2 * sizeof(*nodes));
	memset(l, 0, sizeof(*l));
	snprintf(nodes[0].name, sizeof(nodes[0].name), "x");
	snprintf(nodes[1].name, sizeof(nodes[1].name), "y");
	snprintf(l->name, sizeof(l->name), "l");
	snprintf(l->end[0].node, sizeof(l->end[0].node), "x");
	snprintf(l->end[1].node, sizeof(l->end[1].node), "y");
	snprintf(l->end[0].ifname, sizeof(l->end[0].ifname), "l");
	snprintf(l->end[1].ifname, sizeof(l->end[1].ifname), "l");
	*p = (struct topo_plan){ .nodes = nodes, .n_nodes = 2, .links = l, .n_links = 1 };
}

START_TEST(test_code_plan)
{
	struct topo_node nodes[2];
	struct topo_link l;
	struct topo_plan p;
	struct icl_err e = { 0 };

	two_nodes(&p, nodes, &l);
	ck_assert_int_eq(topo_plan_validate(&p, &e), 0);
	snprintf(l.end[1].node, sizeof(l.end[1].node), "q");
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "links.l.b.node: unknown node 'q'");
	p.file = "plan.yaml"; /* a file but no positions */
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "plan.yaml: links.l.b.node: unknown node 'q'");
	l.end[1].src = (struct topo_src){ 4, 7 };
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "plan.yaml:4:7: links.l.b.node: unknown node 'q'");
	snprintf(l.end[1].node, sizeof(l.end[1].node), "y");
	memset(nodes[1].name, 'z', sizeof(nodes[1].name)); /* no NUL at all */
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "plan.yaml: nodes.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz: name is "
				"longer than 31 characters");
	p.n_nodes = 0;
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "plan.yaml: nodes: a topology needs at least one node");
}
END_TEST

START_TEST(test_code_plan_nat)
{
	struct topo_node nodes[2];
	struct topo_link l;
	struct topo_plan p;
	struct topo_nat nat = { .inside = "l", .outside = "", .families = TOPO_FAM_V4 };
	struct icl_err e = { 0 };

	two_nodes(&p, nodes, &l);
	nodes[0].router = true;
	nodes[0].nat = &nat;
	nodes[0].n_nat = 1;
	ck_assert_int_eq(topo_plan_validate(&p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "nodes.x.nat[0].outside: missing; name the public-side link "
				"of this NAT");
}
END_TEST

/* max-mappings of a NAT64 reaches the sets of the NAT44 behind TAYGA. */
START_TEST(test_nat64_max_mappings)
{
	static const char yaml[] =
		"topology:\n  nodes:\n    c: { gateway: r }\n"
		"    r: { router: true, nat64: { inside: l, outside: w, max-mappings: 32 } }\n"
		"    s: {}\n  links:\n"
		"    l: { a: { node: c, ipv6: \"2001:db8:1::2/64\" }, b: { node: r, ipv6: \"2001:db8:1::1/64\" } }\n"
		"    w: { a: { node: r, ipv4: 203.0.113.1/24 }, b: { node: s, ipv4: 203.0.113.10/24 } }\n";
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	char *rules = NULL;
	const char *at;
	size_t n = 0;

	ck_assert_msg(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e) == 0, "%s",
		      e.msg);
	ck_assert_uint_eq(topo_plan_node(&p, "r")->nat64->max_mappings, 32);
	ck_assert_msg(topo_rules_text(&p, topo_plan_node(&p, "r"), &rules, &e) == 0, "%s", e.msg);
	for (at = rules; (at = strstr(at, "size 32\n\t\tflags dynamic")) != NULL; at++)
		n++;
	ck_assert_uint_ge(n, 1);
	/* Every dynamic set of it, however many its behaviour needs. */
	for (at = rules; (at = strstr(at, "flags dynamic")) != NULL; at++)
		n--;
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(strstr(rules, "size 1024"));
	free(rules);
	topo_plan_free(&p);
}
END_TEST

/* Where TAYGA runs (a nat64 router, a clat host), its tun's IPv6 UDP
 * with a zero checksum is rewritten to 0xffff (netns/rules.c); a node
 * without TAYGA gets no such rule, nor a ruleset at all. */
START_TEST(test_tayga_checksum_rule)
{
	static const char yaml[] =
		"topology:\n  nodes:\n"
		"    c: { gateway: r, clat: { prefix: \"2001:db8:64::/96\", ipv4: 10.200.0.1 } }\n"
		"    r: { router: true, nat64: { inside: l, outside: w } }\n"
		"    s: {}\n  links:\n"
		"    l: { a: { node: c, ipv6: \"2001:db8:1::2/64\" }, b: { node: r, ipv6: \"2001:db8:1::1/64\" } }\n"
		"    w: { a: { node: r, ipv4: 203.0.113.1/24 }, b: { node: s, ipv4: 203.0.113.10/24 } }\n";
	static const char *const tun[] = { "clat", "nat64" };
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	char *rules = NULL, want[128];

	ck_assert_msg(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e) == 0, "%s",
		      e.msg);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_msg(topo_rules_text(&p, topo_plan_node(&p, i ? "r" : "c"), &rules, &e) == 0,
			      "%s", e.msg);
		snprintf(want, sizeof(want), "table ip6 icl_tayga_%s {", tun[i]);
		ck_assert_msg(rules && strstr(rules, want), "%s", rules ? rules : "(none)");
		snprintf(want, sizeof(want), "\t\tiifname \"%s\" udp checksum 0 udp checksum set "
			 "65535\n", tun[i]);
		ck_assert_msg(strstr(rules, want) && strstr(rules, "hook prerouting priority raw;"),
			      "%s", rules);
		ck_assert_ptr_null(strstr(rules, i ? "icl_tayga_clat" : "icl_tayga_nat64"));
		free(rules);
	}
	ck_assert_int_eq(topo_rules_text(&p, topo_plan_node(&p, "s"), &rules, &e), 0);
	ck_assert_ptr_null(rules);
	topo_plan_free(&p);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(topo_behaviour_name(TOPO_ENDPOINT_INDEPENDENT), "endpoint-independent");
	ck_assert_str_eq(topo_behaviour_name(TOPO_ADDRESS_DEPENDENT), "address-dependent");
	ck_assert_str_eq(topo_behaviour_name(TOPO_ADDRESS_AND_PORT_DEPENDENT),
			 "address-and-port-dependent");
	ck_assert_str_eq(topo_behaviour_name((enum topo_behaviour)9), "unknown");
	ck_assert_str_eq(topo_reach_name(TOPO_REACH_UNSPECIFIED), "unspecified");
	ck_assert_str_eq(topo_reach_name(TOPO_REACH_ROUND_TRIP), "round-trip");
	ck_assert_str_eq(topo_reach_name(TOPO_REACH_ONE_WAY), "one-way");
	ck_assert_str_eq(topo_reach_name(TOPO_REACH_NONE), "none");
	ck_assert_str_eq(topo_reach_name((enum topo_reach)9), "unknown");
}
END_TEST

START_TEST(test_free_zeroed)
{
	struct topo_plan p = { 0 };

	topo_plan_free(&p);
	topo_plan_free(NULL);
	ck_assert(plan_is_zero(&p));
}
END_TEST

/* ---- actions: and hold: ---------------------------------------------------------- */

/* Lines 1-9: two hosts on one link, two agents, timeout 10s; line 10 on
 * is the test's. */
#define TWO_HOSTS                                                                     \
	"name: a\n"                                                                   \
	"topology:\n"                                                                 \
	"  nodes: { c: {}, s: {} }\n"                                                 \
	"  links:\n"                                                                  \
	"    wan: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: s, ipv4: 10.0.0.1/24 } }\n" \
	"agents:\n"
#define ACT_HEAD                                                                      \
	TWO_HOSTS                                                                     \
	"  server: { impl: icelab-lite, node: s }\n"                                  \
	"  client: { impl: icelab-full, node: c }\n"                                  \
	"timeout: 10s\n"

static const char *load_actions(const char *yaml, struct scn_case **cases, size_t *n)
{
	static struct icl_err e;

	memset(&e, 0, sizeof(e));
	if (scn_load_cases_buf("a.yaml", yaml, strlen(yaml), cases, n, &e) < 0)
		return e.msg;
	return NULL;
}

/* Parsed into the case in time order (ties in file order), with hold. */
START_TEST(test_actions_parsed)
{
	static const char yaml[] = ACT_HEAD
		"hold: 9s\n"
		"actions:\n"
		"  - { at: 5s, restart: client }\n"
		"  - { at: 3s, link: wan, state: down }\n"
		"  - { at: 5s, link: wan, state: up }\n"
		"  - { at: 0ms, restart: server }\n";
	struct scn_case *c;
	size_t n;
	const char *err = load_actions(yaml, &c, &n);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_uint_eq(c[0].hold_ms, 9000);
	ck_assert_uint_eq(c[0].n_actions, 4);
	ck_assert_int_eq(c[0].actions[0].kind, SCN_ACT_RESTART);
	ck_assert_int_eq(c[0].actions[0].agent, 0);
	ck_assert_uint_eq(c[0].actions[1].at_ms, 3000);
	ck_assert_int_eq(c[0].actions[1].kind, SCN_ACT_LINK);
	ck_assert_str_eq(c[0].actions[1].link, "wan");
	ck_assert(!c[0].actions[1].up);
	ck_assert_int_eq(c[0].actions[2].kind, SCN_ACT_RESTART);
	ck_assert_int_eq(c[0].actions[2].agent, 1);
	ck_assert_uint_eq(c[0].actions[2].src.line, 12);
	ck_assert(c[0].actions[3].up);
	ck_assert_uint_eq(c[0].actions[3].at_ms, 5000);
	for (int i = 1; i <= 3; i += 2) {
		ck_assert_int_eq(c[0].actions[i].family, 0);   /* the whole link */
		ck_assert_uint_eq(c[0].actions[i].ends, 0);
	}
	scn_cases_free(c, n);
}
END_TEST

/* family: and direction: of link actions, into the part of the link that
 * netcut cuts: a-to-b drops where end b receives. */
START_TEST(test_actions_link_part)
{
	static const char yaml[] = ACT_HEAD
		"actions:\n"
		"  - { at: 1s, link: wan, state: down, family: ipv4, direction: a-to-b }\n"
		"  - { at: 2s, link: wan, state: up, direction: b-to-a }\n"
		"  - { at: 3s, link: wan, state: down, family: both, direction: both }\n";
	struct scn_case *c;
	size_t n;
	const char *err = load_actions(yaml, &c, &n);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_uint_eq(c[0].n_actions, 3);
	ck_assert_int_eq(c[0].actions[0].family, AF_INET);
	ck_assert_uint_eq(c[0].actions[0].ends, NETCUT_AT_B);
	ck_assert(!c[0].actions[0].up);
	ck_assert_int_eq(c[0].actions[1].family, 0);
	ck_assert_uint_eq(c[0].actions[1].ends, NETCUT_AT_A);
	ck_assert(c[0].actions[1].up);
	ck_assert_int_eq(c[0].actions[2].family, 0);
	ck_assert_uint_eq(c[0].actions[2].ends, 0);
	/* The timeline's action events name the part in the file's words. */
	ck_assert_str_eq(netcut_family_name(c[0].actions[0].family), "ipv4");
	ck_assert_str_eq(netcut_direction_name(c[0].actions[0].ends), "a-to-b");
	ck_assert_str_eq(netcut_direction_name(c[0].actions[1].ends), "b-to-a");
	ck_assert_str_eq(netcut_family_name(c[0].actions[2].family), "both");
	ck_assert_str_eq(netcut_direction_name(c[0].actions[2].ends), "both");
	ck_assert_str_eq(netcut_family_name(AF_INET6), "ipv6");
	scn_cases_free(c, n);
}
END_TEST

static const struct {
	const char *yaml, *msg;
} bad_actions[] = {
	{ ACT_HEAD "actions:\n  - { at: 3s, link: lan, state: down }\n",
	  "a.yaml:11:21: actions[0].link: unknown link 'lan'" },
	{ ACT_HEAD "actions:\n  - { at: 3s, link: wan, state: off }\n",
	  "a.yaml:11:33: actions[0].state: expected one of down, up, got \"off\"" },
	{ ACT_HEAD "actions:\n  - { at: 3s, link: wan }\n",
	  "a.yaml:11:5: actions[0].state: required key is missing" },
	{ ACT_HEAD "actions:\n  - { at: 10s, restart: client }\n",
	  "a.yaml:11:11: actions[0].at: 10s is not below the case timeout of 10s; the action "
	  "would never run" },
	{ ACT_HEAD "actions:\n  - { at: 3, restart: client }\n",
	  "a.yaml:11:11: actions[0].at: expected a duration, got \"3\"; write 3s or 3000ms" },
	{ ACT_HEAD "actions:\n  - { restart: client }\n",
	  "a.yaml:11:5: actions[0].at: required key is missing" },
	{ ACT_HEAD "actions:\n  - { at: 1s, restart: clinet }\n",
	  "a.yaml:11:24: actions[0].restart: unknown agent 'clinet' (agents: server, client)" },
	{ ACT_HEAD "actions:\n  - { at: 1s, restart: client, link: wan, state: up }\n",
	  "a.yaml:11:5: actions[0]: one action per item: give one of link (with state), "
	  "restart or inject" },
	{ ACT_HEAD "actions:\n  - { at: 1s }\n",
	  "a.yaml:11:5: actions[0]: no action: give one of link (with state), restart or "
	  "inject" },
	{ ACT_HEAD "actions:\n  - { at: 1s, restart: client, state: up }\n",
	  "a.yaml:11:39: actions[0].state: only a link action takes a state" },
	{ ACT_HEAD "actions:\n  - { at: 1s, cut: wan }\n",
	  "a.yaml:11:15: actions[0].cut: unknown key (expected one of: at, link, state, "
	  "family, direction, restart, inject)" },
	{ ACT_HEAD "actions:\n  - { at: 3s, link: wan, state: down, family: ipv6 }\n",
	  "a.yaml:11:47: actions[0].family: link wan has no ipv6 address at either end; the "
	  "cut would drop nothing" },
	{ ACT_HEAD "actions:\n  - { at: 3s, link: wan, state: down, family: inet }\n",
	  "a.yaml:11:47: actions[0].family: expected one of both, ipv4, ipv6, got \"inet\"" },
	{ ACT_HEAD "actions:\n  - { at: 3s, link: wan, state: up, direction: in }\n",
	  "a.yaml:11:48: actions[0].direction: expected one of both, a-to-b, b-to-a, got "
	  "\"in\"" },
	{ ACT_HEAD "actions:\n  - { at: 1s, restart: client, family: ipv4 }\n",
	  "a.yaml:11:40: actions[0].family: only a link action takes a family" },
	{ ACT_HEAD "actions:\n  - { at: 1s, restart: client, direction: a-to-b }\n",
	  "a.yaml:11:43: actions[0].direction: only a link action takes a direction" },
	{ ACT_HEAD "hold: 11s\n", "a.yaml:10:7: hold: 11s is beyond the case timeout of 10s; "
	  "raise 'timeout' or shorten this" },
};

/* `yaml` is refused with exactly `msg`. */
static void assert_refused(const char *yaml, const char *msg)
{
	struct scn_case *c = NULL;
	size_t n = 0;
	const char *err = load_actions(yaml, &c, &n);

	ck_assert_msg(err != NULL, "accepted:\n%s", yaml);
	ck_assert_str_eq(err, msg);
}

START_TEST(test_actions_bad)
{
	assert_refused(bad_actions[_i].yaml, bad_actions[_i].msg);
}
END_TEST

/* ---- expect: modifiers of the wire checks ----------------------------------------- */

/* Lines 1-10: ACT_HEAD, then "expect:"; the item is at line 11. */
#define WIRE_HEAD ACT_HEAD "expect:\n"
#define REJECTED_401 "  - wire: { checks-rejected: { agent: server, code: 401 } }\n"
/* Lines 1-11: both agents start controlling, and the item, for
 * role-conflict-resolved; its modifiers from line 12. */
#define CONFLICT_HEAD                                                                 \
	TWO_HOSTS                                                                     \
	"  server: { impl: icelab-full, node: s, role: controlling }\n"               \
	"  client: { impl: icelab-full, node: c, role: controlling }\n"               \
	"timeout: 10s\n"                                                              \
	"expect:\n"                                                                   \
	"  - wire: role-conflict-resolved\n"

/* checks-rejected with a code takes `within`, read like any other. */
START_TEST(test_wire_within)
{
	static const char yaml[] = WIRE_HEAD REJECTED_401 "    within: 1500ms\n";
	struct scn_case *c;
	size_t n;
	const char *err = load_actions(yaml, &c, &n);

	ck_assert_msg(err == NULL, "%s", err);
	ck_assert_int_eq(c[0].expect[0].kind, SCN_EXP_WIRE_REJECTED);
	ck_assert_uint_eq(c[0].expect[0].within_ms, 1500);
	ck_assert_str_eq(c[0].expect[0].what, "server answers the peer's checks with 401 only, "
			 "never success, the first within 1500 ms");
	scn_cases_free(c, n);
}
END_TEST

static const struct {
	const char *yaml, *msg;
} bad_wire_mods[] = {
	{ WIRE_HEAD REJECTED_401 "    within: 12s\n",
	  "a.yaml:12:13: expect[0].within: 12s is beyond the case timeout of 10s; raise "
	  "'timeout' or shorten this" },
	{ WIRE_HEAD REJECTED_401 "    within: 1500\n",
	  "a.yaml:12:13: expect[0].within: expected a duration, got \"1500\"; write 1500s or "
	  "1500000ms" },
	{ WIRE_HEAD REJECTED_401 "    within: 0ms\n",
	  "a.yaml:12:13: expect[0].within: 0ms is out of range (1ms..600s)" },
	{ WIRE_HEAD "  - wire: { checks-rejected: { agent: server } }\n    within: 1s\n",
	  "a.yaml:12:13: expect[0].within: bounds the first rejection with 'code', and without "
	  "'code' silence passes too: give the code" },
	{ WIRE_HEAD REJECTED_401 "    after: 100ms\n",
	  "a.yaml:12:5: expect[0].after: does not apply to 'wire: checks-rejected' (it takes: "
	  "within)" },
	{ WIRE_HEAD REJECTED_401 "    never: true\n",
	  "a.yaml:12:5: expect[0].never: does not apply to 'wire: checks-rejected' (it takes: "
	  "within)" },
	{ WIRE_HEAD "  - wire: { no-dtls: { from: server } }\n    within: 1s\n",
	  "a.yaml:12:5: expect[0].within: does not apply to 'wire: no-dtls' (it takes no "
	  "modifiers)" },
	{ CONFLICT_HEAD "    within: 1s\n",
	  "a.yaml:12:5: expect[0].within: does not apply to 'wire: role-conflict-resolved' (it "
	  "takes no modifiers)" },
	{ WIRE_HEAD "  - wire: reflexive\n    within: 1s\n",
	  "a.yaml:11:11: expect[0].wire: expected dtls-after-use-candidate, symmetric-responses, "
	  "role-conflict-resolved, or a mapping with no-dtls, no-binding-success, "
	  "consent-interval, checks-rejected or data-gap, got \"reflexive\"" },
};

START_TEST(test_wire_mods_bad)
{
	assert_refused(bad_wire_mods[_i].yaml, bad_wire_mods[_i].msg);
}
END_TEST

/* Found by fuzzing (tests/fuzz/fuzz_scenario.c): libfyaml 0.7 loops
 * forever on a byte 0xff in a directive line, so invalid UTF-8 is refused
 * before parsing, at its position (columns in characters).  Without the
 * check the first case never returns (Check's timeout fails it). */
START_TEST(test_not_utf8)
{
	const char *end = "; a scenario file is UTF-8 text";
	char want[128];

	snprintf(want, sizeof(want), "t.yaml:1:2: byte 0xff is not UTF-8%s", end);
	assert_buf_error("%\xff\n", want);
	snprintf(want, sizeof(want), "t.yaml:2:8: byte 0xc3 is not UTF-8%s", end);
	assert_buf_error("name: x\n# caf\xc3\xa9 \xc3(\n", want);
	snprintf(want, sizeof(want), "t.yaml:1:7: byte 0xc0 is not UTF-8%s", end);
	assert_buf_error("name: \xc0\xaf\n", want);      /* overlong '/' */
	snprintf(want, sizeof(want), "t.yaml:1:3: byte 0xed is not UTF-8%s", end);
	assert_buf_error("a:\xed\xa0\x80\n", want);     /* a surrogate */
	snprintf(want, sizeof(want), "t.yaml:1:4: byte 0xf0 is not UTF-8%s", end);
	assert_buf_error("a: \xf0\x9f\x98", want);       /* cut short */
}
END_TEST

/* Found by fuzzing: a quoted key may hold a newline, and the message
 * quotes it in the field path; the message must stay one line (err.h). */
START_TEST(test_message_one_line)
{
	struct scn_case *cases;
	struct icl_err e = { 0 };
	const char *yaml = "name: x\ntopology:\n  nodes: { a: {}, b: {} }\n"
			   "  links: { l: { a: { \"no\\nde\": a } } }\n";
	size_t n;

	ck_assert_int_eq(scn_load_cases_buf("t.yaml", yaml, strlen(yaml), &cases, &n, &e),
			 ICL_EINPUT);
	ck_assert_msg(strchr(e.msg, '\n') == NULL, "two lines: %s", e.msg);
	ck_assert_msg(strstr(e.msg, "t.yaml:4:22: links.l.a.no?de: unknown key") == e.msg,
		      "%s", e.msg);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *files = tcase_create("files"), *rules = tcase_create("rules");
	TCase *plan = tcase_create("plan");

	tcase_add_loop_test(files, test_bad_file, 0, N(bad_files));
	tcase_add_test(files, test_missing_file);
	tcase_add_loop_test(files, test_good_file_loads, 0, N(good_files));
	tcase_add_test(files, test_nat44_plan);
	tcase_add_test(files, test_oneway_plan);
	tcase_add_test(files, test_doc_example);
	tcase_add_loop_test(rules, test_bad_buf, 0, N(bad_bufs));
	tcase_add_test(rules, test_forms);
	tcase_add_test(rules, test_not_utf8);
	tcase_add_test(rules, test_message_one_line);
	tcase_add_test(rules, test_address_list_and_null_node);
	tcase_add_test(rules, test_actions_parsed);
	tcase_add_test(rules, test_actions_link_part);
	tcase_add_loop_test(rules, test_actions_bad, 0, N(bad_actions));
	tcase_add_test(rules, test_wire_within);
	tcase_add_loop_test(rules, test_wire_mods_bad, 0, N(bad_wire_mods));
	tcase_add_test(plan, test_code_plan);
	tcase_add_test(plan, test_code_plan_nat);
	tcase_add_test(plan, test_nat64_max_mappings);
	tcase_add_test(plan, test_tayga_checksum_rule);
	tcase_add_test(plan, test_names);
	tcase_add_test(plan, test_free_zeroed);
	suite_add_tcase(s, files);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, plan);
	return s;
}
