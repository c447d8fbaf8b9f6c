/* test_cases.c - whole scenario files loaded into cases (scenario.h,
 * case.h): agents, signalling, timeout, expectations, the matrix and
 * expected failures, and every check made before anything runs.
 *
 * Errors are asserted by their "FILE:LINE:COL: FIELD: " prefix and a part
 * of the reason: the position and the field are what a user acts on.
 * Paths are relative to the repository root, where the runner starts.
 */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "../../harness/scenario.h"
#include "suites.h"

/* ---- helpers ------------------------------------------------------------------ */

static struct scn_case *load_buf(const char *yaml, size_t *n)
{
	struct scn_case *cases = NULL;
	struct icl_err e = { 0 };
	int rc = scn_load_cases_buf("x.yaml", yaml, strlen(yaml), &cases, n, &e);

	ck_assert_msg(rc == 0, "rc %d: %s\nfor:\n%s", rc, e.msg, yaml);
	ck_assert_ptr_nonnull(cases);
	return cases;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_error_t jerr;
	json_t *want = json_loads(want_text, 0, &jerr);
	char *g;

	ck_assert_msg(want != NULL, "bad expected JSON: %s", jerr.text);
	g = json_dumps(got, JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, want), "got %s\nwant %s", g, want_text);
	free(g);
	json_decref(want);
}

static void assert_addr4(const struct topo_plan *p, const char *node, const char *link,
			 const char *addr)
{
	const struct topo_prefix *a = topo_plan_addr(p, node, link, AF_INET);
	unsigned char want[4];

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(inet_pton(AF_INET, addr, want), 1);
	ck_assert_mem_eq(a->addr, want, 4);
}

/* Lines 1-6: a name and a topology with two hosts and a router. */
#define HEAD                                                                          \
	"name: t\n"                                                                   \
	"topology:\n"                                                                 \
	"  nodes: { c: {}, s: {}, r: { router: true } }\n"                            \
	"  links:\n"                                                                  \
	"    l1: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n" \
	"    l2: { a: { node: r, ipv4: 10.0.1.1/24 }, b: { node: s, ipv4: 10.0.1.2/24 } }\n"
/* Lines 7-9: two agents. */
#define AGENTS                                                                        \
	"agents:\n"                                                                   \
	"  server: { impl: icelab-lite, node: s }\n"                                  \
	"  client: { impl: icelab-full, node: c }\n"
/* Line 10 on: the items. */
#define EXPECT(items) HEAD AGENTS "expect:\n" items
/* A valid topology at the end of a document, where it moves no line. */
#define TAIL                                                                          \
	"topology:\n"                                                                 \
	"  nodes: { a: {}, b: {} }\n"                                                 \
	"  links: { l: { a: { node: a, ipv4: 10.0.0.1/24 }, b: { node: b, ipv4: 10.0.0.2/24 } } }\n"

/* ---- a complete file ------------------------------------------------------------ */

static const char full_yaml[] =
	"name: full\n"
	"description: every section once\n"
	"topology:\n"
	"  nodes: { c: {}, s: {} }\n"
	"  links:\n"
	"    l:\n"
	"      a: { node: c, ipv4: 10.0.0.2/24, ipv6: \"fd00::2/64\" }\n"
	"      b: { node: s, ipv4: 10.0.0.1/24, ipv6: \"fd00::1/64\" }\n"
	"agents:\n"
	"  server:\n"
	"    impl: icelab-lite\n"
	"    node: s\n"
	"    lite: true\n"
	"    role: controlled\n"
	"    nomination: regular\n"
	"    dtls: passive\n"
	"    families: [ipv4, ipv6]\n"
	"    ufrag: \"abcd\"\n"
	"    pwd: \"0123456789abcdefghijkl\"\n"
	"    timers: { ta: 50ms, rto: 500ms, nominate-after: 1s, consent-interval: 5s,\n"
	"              consent-timeout: 30s }\n"
	"    stun-servers: [\"203.0.113.5:3478\", \"[2001:DB8:0::5]:3478\"]\n"
	"    turn-servers: [{ url: \"203.0.113.5:3478\", username: u, password: p }]\n"
	"    quirks: [answer-from-any-address]\n"
	"    args: [\"--verbose\", -x]\n"
	"  client: { impl: ./adapters/mine, node: c, role: controlling, nomination: aggressive,\n"
	"            dtls: actpass }\n"
	"signalling:\n"
	"  trickle: false\n"
	"  delay: 1.5s\n"
	"timeout: 20s\n"
	"expect:\n"
	"  - ice: connected\n"                                        /* [0] line 33 */
	"    within: 3s\n"
	"  - dtls: connected\n"                                       /* [1] */
	"    agent: client\n"
	"    role: client\n"
	"    after: 100ms\n"
	"    within: 4s\n"
	"  - selected: { family: ipv4, local-type: host, remote-type: prflx, local: \"10.0.0.2\",\n"
	"                remote: \"203.0.113.10:*\" }\n"              /* [2] */
	"  - same-tuple: true\n"                                      /* [3] */
	"  - pair-changes: { min: 1, max: 2 }\n"                      /* [4] */
	"    agent: server\n"
	"  - pair-changes: 1\n"                                       /* [5] */
	"  - data-echoed: true\n"                                     /* [6] */
	"    agent: any\n"
	"  - errors: none\n"                                          /* [7] */
	"    agent: client\n"
	"  - error: \"refused\"\n"                                    /* [8] */
	"  - wire: { no-dtls: { from: server, to-family: ipv6 } }\n"  /* [9] */
	"  - wire: { no-dtls: { from: client, to: \"FD00:0::1\" } }\n" /* [10] */
	"  - wire: dtls-after-use-candidate\n"                        /* [11] */
	"  - wire: symmetric-responses\n"                             /* [12] */
	"  - wire: { consent-interval: { agent: client, max: 6s } }\n" /* [13] */
	"  - ice: failed\n"                                           /* [14] */
	"    never: true\n"
	"    agent: server\n"
	"  - pair-changes: { min: 2 }\n"                              /* [15] */
	"  - wire: { no-binding-success: { from: server, to: 198.51.100.66 } }\n" /* [16] */
	"  - wire: { data-gap: { from: client, max: 300ms } }\n"     /* [17] */
	"expected-failure:\n"
	"  reason: the adapter does not nominate aggressively yet\n";

static void check_full_agents(const struct scn_case *k)
{
	ck_assert_uint_eq(k->n_agents, 2);
	ck_assert_str_eq(k->agent[0].name, "server");
	ck_assert_str_eq(k->agent[0].node, "s");
	ck_assert_str_eq(k->agent[0].impl, "icelab-lite");
	ck_assert_uint_eq(k->agent[0].src.line, 10);
	ck_assert_uint_eq(k->agent[0].src.col, 3);
	assert_json(k->agent[0].configure,
		    "{\"lite\": true, \"role\": \"controlled\", \"nomination\": \"regular\","
		    " \"dtls\": {\"setup\": \"passive\"}, \"families\": [\"ipv4\", \"ipv6\"],"
		    " \"ufrag\": \"abcd\", \"pwd\": \"0123456789abcdefghijkl\","
		    " \"timers\": {\"ta_ms\": 50, \"rto_ms\": 500, \"nominate_after_ms\": 1000,"
		    "  \"consent_interval_ms\": 5000, \"consent_timeout_ms\": 30000},"
		    " \"stun_servers\": [\"203.0.113.5:3478\", \"[2001:db8::5]:3478\"],"
		    " \"turn_servers\": [{\"url\": \"203.0.113.5:3478\", \"username\": \"u\","
		    "  \"password\": \"p\"}],"
		    " \"quirks\": [\"answer-from-any-address\"]}");
	ck_assert_str_eq(k->agent[0].args[0], "--verbose");
	ck_assert_str_eq(k->agent[0].args[1], "-x");
	ck_assert_ptr_null(k->agent[0].args[2]);
	ck_assert_str_eq(k->agent[1].impl, "./adapters/mine");
	assert_json(k->agent[1].configure, "{\"role\": \"controlling\", \"nomination\": "
					   "\"aggressive\", \"dtls\": {\"setup\": \"actpass\"}}");
	ck_assert_ptr_null(k->agent[1].args[0]);
	ck_assert_int_eq(scn_case_agent(k, "client"), 1);
	ck_assert_int_eq(scn_case_agent(k, "nobody"), -1);
}

static void check_full_events(const struct scn_expect *e)
{
	ck_assert_int_eq(e[0].kind, SCN_EXP_ICE);
	ck_assert_int_eq(e[0].agent, SCN_AGENT_BOTH);
	ck_assert_str_eq(e[0].state, "connected");
	ck_assert_uint_eq(e[0].within_ms, 3000);
	ck_assert(!e[0].never);
	ck_assert_uint_eq(e[0].src.line, 33);
	ck_assert_uint_eq(e[0].src.col, 5);
	ck_assert_str_eq(e[0].what, "both agents ice-state connected within 3000 ms");
	ck_assert_int_eq(e[1].kind, SCN_EXP_DTLS);
	ck_assert_int_eq(e[1].agent, 1);
	ck_assert_str_eq(e[1].role, "client");
	ck_assert_uint_eq(e[1].after_ms, 100);
	ck_assert_str_eq(e[1].what, "client dtls-state connected as client within 4000 ms not "
				    "before 100 ms");
	ck_assert_int_eq(e[2].kind, SCN_EXP_SELECTED);
	ck_assert_int_eq(e[2].pair.family, AF_INET);
	ck_assert_str_eq(e[2].pair.local_type, "host");
	ck_assert_str_eq(e[2].pair.remote_type, "prflx");
	ck_assert_str_eq(e[2].pair.local, "10.0.0.2");
	ck_assert_str_eq(e[2].pair.remote, "203.0.113.10"); /* ":*" is any port */
	ck_assert_int_eq(e[3].kind, SCN_EXP_SAME_TUPLE);
	ck_assert_int_eq(e[4].kind, SCN_EXP_PAIR_CHANGES);
	ck_assert_int_eq(e[4].agent, 0);
	ck_assert_uint_eq(e[4].min, 1);
	ck_assert_uint_eq(e[4].max, 2);
	ck_assert_uint_eq(e[5].min, 1);
	ck_assert_uint_eq(e[5].max, 1);
	ck_assert_int_eq(e[6].kind, SCN_EXP_DATA_ECHOED);
	ck_assert_int_eq(e[6].agent, SCN_AGENT_ANY);
	ck_assert(!e[6].never);
	ck_assert_int_eq(e[7].kind, SCN_EXP_NO_ERRORS);
	ck_assert_str_eq(e[7].what, "client: no error event");
	ck_assert_int_eq(e[8].kind, SCN_EXP_ERROR);
	ck_assert_int_eq(e[8].agent, SCN_AGENT_ANY);
	ck_assert_str_eq(e[8].text, "refused");
}

static void check_full_wire(const struct scn_expect *e)
{
	ck_assert_int_eq(e[9].kind, SCN_EXP_WIRE_NO_DTLS);
	ck_assert_int_eq(e[9].agent, 0);
	ck_assert_int_eq(e[9].family, AF_INET6);
	ck_assert_str_eq(e[9].addr, "");
	ck_assert_str_eq(e[9].what, "no DTLS from server to ipv6");
	ck_assert_int_eq(e[10].agent, 1);
	ck_assert_int_eq(e[10].family, 0);
	ck_assert_str_eq(e[10].addr, "fd00::1");
	ck_assert_int_eq(e[11].kind, SCN_EXP_WIRE_DTLS_AFTER_NOMINATION);
	ck_assert_int_eq(e[12].kind, SCN_EXP_WIRE_SYMMETRIC);
	ck_assert_int_eq(e[13].kind, SCN_EXP_WIRE_CONSENT);
	ck_assert_int_eq(e[13].agent, 1);
	ck_assert_uint_eq(e[13].max, 6000);
	ck_assert_int_eq(e[14].kind, SCN_EXP_ICE);
	ck_assert(e[14].never);
	ck_assert_int_eq(e[14].agent, 0);
	ck_assert_str_eq(e[14].what, "server never reaches ice-state failed");
	ck_assert_uint_eq(e[15].min, 2);
	ck_assert_uint_eq(e[15].max, UINT_MAX);
	ck_assert_int_eq(e[16].kind, SCN_EXP_WIRE_NO_SUCCESS);
	ck_assert_int_eq(e[16].agent, 0);
	ck_assert_str_eq(e[16].addr, "198.51.100.66");
	ck_assert_str_eq(e[16].what, "no Binding success response from server to 198.51.100.66");
	ck_assert_int_eq(e[17].kind, SCN_EXP_WIRE_DATA_GAP);
	ck_assert_int_eq(e[17].agent, 1);
	ck_assert_uint_eq(e[17].max, 300);
	ck_assert_str_eq(e[17].what, "client's application data reaches its peer at least every 300 ms");
}

START_TEST(test_full_file)
{
	size_t n;
	struct scn_case *k = load_buf(full_yaml, &n);

	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(k->name, "full");
	ck_assert_str_eq(k->file, "x.yaml");
	ck_assert_str_eq(k->description, "every section once");
	ck_assert_uint_eq(k->n_params, 0);
	ck_assert_uint_eq(k->plan.n_nodes, 2);
	ck_assert_str_eq(k->plan.file, "x.yaml");
	ck_assert(!k->trickle);
	ck_assert_uint_eq(k->signal_delay_ms, 1500);
	ck_assert_uint_eq(k->timeout_ms, 20000);
	check_full_agents(k);
	ck_assert_uint_eq(k->n_expect, 18);
	check_full_events(k->expect);
	check_full_wire(k->expect);
	ck_assert(k->xfail);
	ck_assert_str_eq(k->xfail_reason, "the adapter does not nominate aggressively yet");
	ck_assert_uint_eq(k->xfail_src.line, 63);
	scn_cases_free(k, n);
}
END_TEST

START_TEST(test_defaults)
{
	size_t n;
	struct scn_case *k = load_buf(EXPECT("  - data-echoed: false\n  - error: x\n"), &n);

	ck_assert(k->trickle);
	ck_assert_uint_eq(k->signal_delay_ms, 0);
	ck_assert_uint_eq(k->timeout_ms, 10000);
	ck_assert_str_eq(k->description, "");
	ck_assert(!k->xfail);
	assert_json(k->agent[0].configure, "{}");
	ck_assert(k->expect[0].never);
	ck_assert_int_eq(k->expect[0].agent, SCN_AGENT_BOTH);
	ck_assert_str_eq(k->expect[0].what, "both agents: data never echoed");
	ck_assert_str_eq(k->expect[1].what, "either agent: an error event whose reason "
					    "contains \"x\"");
	scn_cases_free(k, n);
}
END_TEST

/* The wire checks that judge a role conflict and rejected credentials. */
START_TEST(test_wire_ice)
{
	static const char yaml[] =
		HEAD "agents:\n  server: { impl: icelab-full, node: s, role: controlling }\n"
		"  client: { impl: icelab-full, node: c, role: controlling }\n"
		"expect:\n"
		"  - wire: role-conflict-resolved\n"
		"  - wire: { checks-rejected: { agent: server, code: 401 } }\n"
		"  - wire: { checks-rejected: { agent: client } }\n";
	size_t n;
	struct scn_case *k = load_buf(yaml, &n);

	ck_assert_uint_eq(k->n_expect, 3);
	ck_assert_int_eq(k->expect[0].kind, SCN_EXP_WIRE_ROLE_CONFLICT);
	ck_assert_str_eq(k->expect[0].what, "on the wire, exactly one agent's checks change role; "
					    "the roles end opposite");
	ck_assert_int_eq(k->expect[1].kind, SCN_EXP_WIRE_REJECTED);
	ck_assert_int_eq(k->expect[1].agent, 0);
	ck_assert_int_eq(k->expect[1].code, 401);
	ck_assert_str_eq(k->expect[1].what, "server answers the peer's checks with 401 only, "
					    "never success");
	ck_assert_int_eq(k->expect[2].agent, 1);
	ck_assert_int_eq(k->expect[2].code, -1);
	ck_assert_str_eq(k->expect[2].what, "client answers none of the peer's checks with "
					    "success");
	scn_cases_free(k, n);
}
END_TEST

/* ---- the matrix ------------------------------------------------------------------- */

static const char matrix_yaml[] =
	"name: m\n"
	"matrix:\n"
	"  dtls: [active, passive]\n"
	"  net: [1, 2]\n"
	"  exclude:\n"
	"    - { dtls: passive, net: 2 }\n"
	"topology:\n"
	"  nodes: { c: {}, s: {} }\n"
	"  links:\n"
	"    l:\n"
	"      a: { node: c, ipv4: \"10.0.${net}.2/24\" }\n"
	"      b: { node: s, ipv4: 10.0.${net}.1/24 }\n"
	"agents:\n"
	"  server: { impl: icelab-lite, node: s, dtls: \"${dtls}\" }\n"
	"  client: { impl: icelab-full, node: c, dtls: actpass }\n"
	"expect:\n"
	"  - dtls: connected\n"
	"expected-failure:\n"
	"  - reason: net ${net} with ${dtls}\n"
	"    when: { dtls: active, net: 2 }\n";

START_TEST(test_matrix_cells)
{
	static const char *const names[] = { "m[dtls=active,net=1]", "m[dtls=active,net=2]",
					     "m[dtls=passive,net=1]" };
	static const char *const dtls[] = { "active", "active", "passive" };
	static const char *const client[] = { "10.0.1.2", "10.0.2.2", "10.0.1.2" };
	size_t n;
	struct scn_case *k = load_buf(matrix_yaml, &n);

	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(k[i].name, names[i]);
		ck_assert_uint_eq(k[i].n_params, 2);
		ck_assert_str_eq(k[i].param[0].name, "dtls");
		ck_assert_str_eq(k[i].param[0].value, dtls[i]);
		ck_assert_str_eq(k[i].param[1].name, "net");
		assert_addr4(&k[i].plan, "c", "l", client[i]);
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(k[i].agent[0].configure, "dtls"), "setup")),
				 dtls[i]);
		ck_assert(k[i].xfail == (i == 1));
	}
	ck_assert_str_eq(k[1].xfail_reason, "net 2 with active");
	ck_assert_uint_eq(k[1].xfail_src.line, 19);
	scn_cases_free(k, n);
}
END_TEST

/* A matrix over quirks: the value `none` stands for no quirk, so the
 * default cell's agent gets an empty list, and the quirk cell alone is
 * expected to fail. */
START_TEST(test_matrix_quirk_none)
{
	static const char *const yaml =
		"name: q\n"
		"matrix:\n"
		"  quirk: [none, select-first-check]\n"
		TAIL
		"agents:\n"
		"  server: { impl: icelab-lite, node: b, quirks: [\"${quirk}\"] }\n"
		"  client: { impl: icelab-full, node: a, quirks: [none, aggressive-vs-lite] }\n"
		"expected-failure:\n"
		"  - { reason: the bug, when: { quirk: select-first-check } }\n";
	size_t n;
	struct scn_case *k = load_buf(yaml, &n);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(k[0].name, "q[quirk=none]");
	assert_json(k[0].agent[0].configure, "{\"quirks\": []}");
	assert_json(k[1].agent[0].configure, "{\"quirks\": [\"select-first-check\"]}");
	for (size_t i = 0; i < n; i++)
		assert_json(k[i].agent[1].configure, "{\"quirks\": [\"aggressive-vs-lite\"]}");
	ck_assert(!k[0].xfail);
	ck_assert(k[1].xfail);
	scn_cases_free(k, n);
}
END_TEST

/* An int parameter works where an integer is expected: types are checked
 * after substitution.  The NAT needs a router between the hosts. */
#define NAT_FILE(life, extra)                                                           \
	"name: n\n"                                                                     \
	"matrix:\n"                                                                     \
	"  life: " life "\n"                                                            \
	"topology:\n"                                                                   \
	"  nodes:\n"                                                                    \
	"    c: { gateway: r }\n"                                                       \
	"    r: { router: true, nat: { inside: lan, outside: wan, udp-mapping-lifetime: " extra \
	" } }\n"                                                                        \
	"    s: {}\n"                                                                   \
	"  links:\n"                                                                    \
	"    lan: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n" \
	"    wan: { a: { node: r, ipv4: 203.0.113.1/24 }, b: { node: s, ipv4: 203.0.113.2/24 } }\n"

START_TEST(test_matrix_types)
{
	static const char plain[] = NAT_FILE("[30, 60]", "${life}");
	static const char quoted_ref[] = NAT_FILE("[30, 60]", "\"${life}\"");
	static const char quoted_values[] = NAT_FILE("[\"30\", \"60\"]", "${life}");
	static const char one_bad[] = NAT_FILE("[30, 0]", "${life}");
	const char *const ok[] = { plain, quoted_ref };
	struct scn_case *k;
	struct icl_err e = { 0 };
	size_t n;

	/* A whole ${life} is an integer when the matrix writes integers,
	 * quoted or not (inside { } it is often quoted). */
	for (size_t i = 0; i < 2; i++) {
		k = load_buf(ok[i], &n);
		ck_assert_uint_eq(n, 2);
		ck_assert_uint_eq(topo_plan_node(&k[0].plan, "r")->nat[0].udp_lifetime_s, 30);
		ck_assert_uint_eq(topo_plan_node(&k[1].plan, "r")->nat[0].udp_lifetime_s, 60);
		ck_assert_str_eq(k[1].name, "n[life=60]");
		scn_cases_free(k, n);
	}
	/* Values written as strings stay strings; the messages differ by the
	 * value, so the first cell is named. */
	ck_assert_int_eq(scn_load_cases_buf("x.yaml", quoted_values, strlen(quoted_values), &k, &n,
					    &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "x.yaml:7:80: nodes.r.nat.udp-mapping-lifetime: expected an "
				"integer, got the quoted string \"30\" (case n[life=30])");
	ck_assert_ptr_null(k);
	ck_assert_uint_eq(n, 0);
	/* Only the second cell is at fault. */
	ck_assert_int_eq(scn_load_cases_buf("x.yaml", one_bad, strlen(one_bad), &k, &n, &e),
			 ICL_EINPUT);
	ck_assert_str_eq(e.msg, "x.yaml:7:80: nodes.r.nat.udp-mapping-lifetime: 0 is out of "
				"range (1..86400) (case n[life=0])");
}
END_TEST

/* An error every cell shares is the file's: no case is named. */
START_TEST(test_matrix_error_everywhere)
{
	static const char yaml[] = "name: t\nmatrix: { v: [a, b] }\n"
		"topology:\n"
		"  nodes: { c: {}, s: {}, r: { router: true } }\n"
		"  links:\n"
		"    l1: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n"
		"    l2: { a: { node: r, ipv4: 10.0.1.1/24 }, b: { node: s, ipv4: 10.0.1.2/24 } }\n"
		"description: ${v}\n"
		"timeout: 10\n";
	struct scn_case *k;
	struct icl_err e = { 0 };
	size_t n;

	ck_assert_int_eq(scn_load_cases_buf("x.yaml", yaml, strlen(yaml), &k, &n, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "x.yaml:9:10: timeout: expected a duration, got \"10\"; write "
				"10s or 10000ms");
}
END_TEST

/* `icelab topo` reads the first cell's topology, and refuses what `icelab
 * run` would refuse. */
START_TEST(test_topology_of_matrix)
{
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	char bad[sizeof(matrix_yaml) + 8];
	char *at;

	ck_assert_int_eq(scn_load_topology_buf("x.yaml", matrix_yaml, strlen(matrix_yaml), &p, &e),
			 0);
	assert_addr4(&p, "c", "l", "10.0.1.2");
	ck_assert_str_eq(p.file, "x.yaml");
	topo_plan_free(&p);
	snprintf(bad, sizeof(bad), "%s", matrix_yaml);
	at = strstr(bad, "node: s, dtls");
	at[6] = 'q';
	ck_assert_int_eq(scn_load_topology_buf("x.yaml", bad, strlen(bad), &p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "x.yaml:14:38: agents.server.node: unknown node 'q'");
}
END_TEST

/* ---- files on disk ------------------------------------------------------------------ */

static const char *const topo_files[] = {
	"scenarios/topo-nat44.yaml",
	"scenarios/topo-ipv6-oneway.yaml",
	"scenarios/topo-routed.yaml",
};

START_TEST(test_topology_only_file)
{
	struct scn_case *k = NULL;
	struct icl_err e = { 0 };
	size_t n = 0;
	const char *base = strrchr(topo_files[_i], '/') + 1;

	ck_assert_msg(scn_load_cases(topo_files[_i], &k, &n, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(k->n_agents, 0);
	ck_assert_uint_eq(k->n_expect, 0);
	ck_assert_ptr_null(k->expect);
	ck_assert_int_eq(strncmp(k->name, base, strlen(k->name)), 0);
	ck_assert_str_eq(k->file, topo_files[_i]);
	ck_assert_uint_ge(k->plan.n_probes, 2);
	scn_cases_free(k, n);
}
END_TEST

/* The seed: 2 DTLS setups x 2 nominations x 2 server quirks, named as
 * users filter them; the select-first-check cells are the expected
 * failures, and the expectation that bug breaks comes first. */
START_TEST(test_ipv6_oneway_file)
{
	static const enum scn_exp_kind kinds[] = {
		SCN_EXP_WIRE_NO_DTLS, SCN_EXP_WIRE_DTLS_AFTER_NOMINATION, SCN_EXP_ICE,
		SCN_EXP_DTLS, SCN_EXP_SELECTED, SCN_EXP_SAME_TUPLE, SCN_EXP_DATA_ECHOED,
		SCN_EXP_NO_ERRORS, SCN_EXP_WIRE_SYMMETRIC,
	};
	static const char *const dtls[] = { "active", "passive" };
	static const char *const nom[] = { "regular", "aggressive" };
	static const char *const quirk[] = { "none", "select-first-check" };
	struct scn_case *k = NULL;
	struct icl_err e = { 0 };
	size_t n = 0;

	ck_assert_msg(scn_load_cases("scenarios/ipv6-oneway.yaml", &k, &n, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(k[0].name, "ipv6-oneway[dtls=active,nomination=regular,quirk=none]");
	ck_assert_str_eq(k[7].name,
			 "ipv6-oneway[dtls=passive,nomination=aggressive,quirk=select-first-check]");
	ck_assert_ptr_nonnull(strstr(k[0].description, "mediasoup"));
	for (size_t i = 0; i < n; i++) {
		const struct scn_case *c = &k[i];
		char want[256];

		ck_assert_int_eq(scn_case_agent(c, "server"), 0);
		ck_assert_str_eq(c->agent[0].impl, "icelab-lite");
		ck_assert_str_eq(c->agent[1].impl, "icelab-full");
		if (i % 2 == 0)
			snprintf(want, sizeof(want), "{\"lite\": true, \"dtls\": {\"setup\": "
				 "\"%s\"}, \"quirks\": []}", dtls[i / 4]);
		else
			snprintf(want, sizeof(want), "{\"lite\": true, \"dtls\": {\"setup\": "
				 "\"%s\"}, \"quirks\": [\"%s\"]}", dtls[i / 4], quirk[1]);
		assert_json(c->agent[0].configure, want);
		snprintf(want, sizeof(want), "{\"role\": \"controlling\", \"nomination\": "
			 "\"%s\", \"dtls\": {\"setup\": \"actpass\"}}", nom[i / 2 % 2]);
		assert_json(c->agent[1].configure, want);
		ck_assert_int_eq(c->xfail, strcmp(quirk[i % 2], "none") != 0);
		ck_assert(!c->trickle);   /* mediasoup's candidates come all at once */
		ck_assert_uint_eq(c->n_expect, sizeof(kinds) / sizeof(kinds[0]));
		for (size_t j = 0; j < c->n_expect; j++)
			ck_assert_int_eq(c->expect[j].kind, kinds[j]);
		ck_assert_int_eq(c->expect[0].agent, 0);
		ck_assert_int_eq(c->expect[0].family, AF_INET6);
		ck_assert_uint_eq(c->expect[2].within_ms, 5000);
		ck_assert_int_eq(c->expect[2].agent, SCN_AGENT_BOTH);
		ck_assert_int_eq(c->expect[4].pair.family, AF_INET);
		ck_assert_ptr_nonnull(topo_plan_node(&c->plan, "router")->filters);
	}
	scn_cases_free(k, n);
}
END_TEST

/* nat64: the resolver as a dns64: node, an address or an endpoint, or
 * the prefix, each into configure's "nat64". */
START_TEST(test_nat64_agent_key)
{
	static const char *const in[] = { "{ resolver: \"2001:db8::53\" }",
		"{ resolver: \"[2001:DB8::53]:5353\" }", "{ resolver: 192.0.2.53 }",
		"{ prefix: \"2001:db8:122:300::/56\" }" };
	static const char *const out[] = { "{\"resolver\": \"[2001:db8::53]:53\"}",
		"{\"resolver\": \"[2001:db8::53]:5353\"}", "{\"resolver\": \"192.0.2.53:53\"}",
		"{\"prefix\": \"2001:db8:122:300::/56\"}" };
	struct scn_case *k = NULL;
	struct icl_err e = { 0 };
	char yaml[1024];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		snprintf(yaml, sizeof(yaml), HEAD "agents:\n  server: { impl: a, node: s }\n"
			 "  client: { impl: a, node: c, nat64: %s }\n", in[i]);
		k = load_buf(yaml, &n);
		assert_json(json_object_get(k[0].agent[1].configure, "nat64"), out[i]);
		scn_cases_free(k, n);
	}
	/* A dns64: node stands for its listen address, port 53. */
	ck_assert_msg(scn_load_cases("scenarios/nat64-lite.yaml", &k, &n, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(n, 2);
	assert_json(json_object_get(k[0].agent[1].configure, "nat64"),
		    "{\"resolver\": \"[2001:db8:c::53]:53\"}");
	scn_cases_free(k, n);
}
END_TEST

/* turn-servers[i].family goes to configure's turn_servers[i].family, only
 * when given. */
START_TEST(test_turn_family_key)
{
	struct scn_case *k = NULL;
	size_t n = 0;

	k = load_buf(HEAD "agents:\n  server: { impl: a, node: s }\n"
		     "  client: { impl: a, node: c, turn-servers: [{ url: \"203.0.113.5:3478\",\n"
		     "    username: u, password: p, family: ipv6 }, { url: \"203.0.113.5:3478\",\n"
		     "    username: u, password: p }] }\n", &n);
	assert_json(json_object_get(k[0].agent[1].configure, "turn_servers"),
		    "[{\"url\": \"203.0.113.5:3478\", \"username\": \"u\", \"password\": \"p\","
		    " \"family\": \"ipv6\"}, {\"url\": \"203.0.113.5:3478\", \"username\": \"u\","
		    " \"password\": \"p\"}]");
	scn_cases_free(k, n);
}
END_TEST

START_TEST(test_routed_dualstack_file)
{
	struct scn_case *k = NULL;
	struct icl_err e = { 0 };
	size_t n = 0;

	ck_assert_msg(scn_load_cases("scenarios/routed-dualstack.yaml", &k, &n, &e) == 0, "%s",
		      e.msg);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(k[i].expect[0].kind, SCN_EXP_SELECTED);
		ck_assert_int_eq(k[i].expect[0].agent, SCN_AGENT_BOTH);
		ck_assert_int_eq(k[i].expect[0].pair.family, AF_INET6);
		ck_assert_int_eq(k[i].expect[2].kind, SCN_EXP_DTLS);
		ck_assert_int_eq(k[i].expect[3].kind, SCN_EXP_DATA_ECHOED);
		ck_assert_uint_eq(k[i].plan.nodes[1].n_nat, 0);
	}
	scn_cases_free(k, n);
}
END_TEST

/* Every complete file (a block that starts with `name:`) in the format
 * documentation loads. */
START_TEST(test_doc_examples)
{
	FILE *f = fopen("docs/scenario-format.md", "r");
	char line[512], *buf = calloc(1, 1 << 16);
	struct icl_err e = { 0 };
	struct scn_case *k;
	size_t len = 0, n, files = 0;
	bool in = false, first = false;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!in && !strncmp(line, "```yaml", 7)) {
			in = first = true;
			len = 0;
			continue;
		}
		if (in && !strncmp(line, "```", 3)) {
			in = false;
			if (strncmp(buf, "name:", 5) != 0 && strstr(buf, "\nname:") == NULL)
				continue;
			ck_assert_msg(scn_load_cases_buf("doc", buf, len, &k, &n, &e) == 0,
				      "example %zu: %s\n%s", files, e.msg, buf);
			scn_cases_free(k, n);
			files++;
		} else if (in && len + strlen(line) < (1 << 16)) {
			len += (size_t)snprintf(buf + len, (1 << 16) - len, "%s", line);
		}
	}
	fclose(f);
	free(buf);
	ck_assert(first);
	ck_assert_uint_ge(files, 3);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------- */

static const struct {
	const char *yaml;
	const char *prefix;  /* "x.yaml:L:C: FIELD: " */
	const char *part;    /* in the reason */
} bad[] = {
	/* top level and name */
	{ HEAD "colour: blue\n", "x.yaml:7:1: colour: ", "unknown key" },
	{ "topology: { nodes: { a: {} } }\n", "x.yaml:1:1: name: ", "required key is missing" },
	{ "name: Big\ntopology: { nodes: { a: {} } }\n", "x.yaml:1:7: name: ", "must start with" },
	{ HEAD "timeout: 10\n", "x.yaml:7:10: timeout: ", "write 10s or 10000ms" },
	{ HEAD "timeout: 601s\n", "x.yaml:7:10: timeout: ", "out of range (1ms..600s)" },
	{ HEAD "timeout: 1.2345s\n", "x.yaml:7:10: timeout: ", "expected a duration" },
	/* references */
	{ HEAD "references: []\n", "x.yaml:7:13: references: ", "the list is empty" },
	{ HEAD "references: RFC 8445\n", "x.yaml:7:13: references: ", "expected a list" },
	{ HEAD "references: [\"\"]\n", "x.yaml:7:14: references[0]: ", "must not be empty" },
	{ HEAD "references: [\"  \"]\n", "x.yaml:7:14: references[0]: ", "must not be empty" },
	{ HEAD "references: [~]\n", "x.yaml:7:14: references[0]: ", "expected a string" },
	{ HEAD "references: [{ rfc: 8445 }]\n", "x.yaml:7:14: references[0]: ",
	  "expected a string" },
	{ HEAD "references:\n  - RFC 8445\n  - \"two\\nlines\"\n", "x.yaml:9:5: references[1]: ",
	  "must be one line" },
	/* signalling */
	{ HEAD "signalling: { tricke: true }\n", "x.yaml:7:15: signalling.tricke: ",
	  "unknown key (expected one of: trickle, delay, tamper)" },
	{ HEAD "signalling: { trickle: yes }\n", "x.yaml:7:24: signalling.trickle: ",
	  "expected a boolean" },
	{ HEAD "signalling: { delay: 10s }\n", "x.yaml:7:22: signalling.delay: ",
	  "not below the case timeout of 10s" },
	/* agents */
	{ HEAD "agents:\n  server: { impl: icelab-lite, node: s }\n", "x.yaml:8:3: agents: ",
	  "expected exactly two agents, got 1" },
	{ HEAD "agents:\n  server: { impl: icelab-lite, node: x }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:38: agents.server.node: ", "unknown node 'x'" },
	{ HEAD "agents:\n  server: { impl: icelab-lite, node: r }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:38: agents.server.node: ", "node 'r' is a router" },
	{ HEAD "agents:\n  server: { node: s }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:11: agents.server.impl: ", "required key is missing" },
	{ HEAD "agents:\n  server: { impl: a, node: s, colour: red }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:31: agents.server.colour: ", "unknown key (expected one of: impl, node" },
	{ HEAD "agents:\n  both: { impl: a, node: s }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:3: agents.both: ", "'both' is reserved" },
	{ HEAD "agents:\n  harness: { impl: a, node: s }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:3: agents.harness: ", "'harness' is reserved (the timeline shows" },
	{ HEAD "agents:\n  server: { impl: a, node: s, dtls: client }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:37: agents.server.dtls: ", "expected one of actpass, active, passive" },
	{ HEAD "agents:\n  server: { impl: a, node: s, args: [a, b, c, d, e, f, g, h] }\n"
	  "  client: { impl: a, node: c }\n", "x.yaml:8:59: agents.server.args[7]: ",
	  "at most 7 items" },
	{ HEAD "agents:\n  server: { impl: a, node: s, timers: { ta: 50 } }\n"
	  "  client: { impl: a, node: c }\n", "x.yaml:8:45: agents.server.timers.ta: ",
	  "write 50s or 50000ms" },
	{ HEAD "agents:\n  server: { impl: a, node: s, stun-servers: [\"203.0.113.5\"] }\n"
	  "  client: { impl: a, node: c }\n", "x.yaml:8:46: agents.server.stun-servers[0]: ",
	  "expected an address and port" },
	{ HEAD "agents:\n  server: { impl: Big, node: s }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:19: agents.server.impl: ", "neither a registry name" },
	/* agents: nat64 */
#define NAT64_AGENT(v) HEAD "agents:\n  server: { impl: a, node: s, nat64: " v " }\n" \
	"  client: { impl: a, node: c }\n"
	{ NAT64_AGENT("{ resolver: s }"), "x.yaml:8:50: agents.server.nat64.resolver: ",
	  "node 's' has no dns64: resolver" },
	{ NAT64_AGENT("{ resolver: x }"), "x.yaml:8:50: agents.server.nat64.resolver: ",
	  "unknown node 'x' (give a node with a dns64: element, or the resolver's address)" },
	{ NAT64_AGENT("{ resolver: \"2001:db8::53:99999\" }"),
	  "x.yaml:8:50: agents.server.nat64.resolver: ", "expected an address" },
	{ NAT64_AGENT("{ prefix: \"2001:db8:64::/80\" }"), "x.yaml:8:48: agents.server.nat64.prefix: ",
	  "/80: a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052 2.2)" },
	{ NAT64_AGENT("{ prefix: \"2001:db8:64::1/96\" }"),
	  "x.yaml:8:48: agents.server.nat64.prefix: ", "address bits after /96 must be zero" },
	{ NAT64_AGENT("{ prefix: \"2001:db8:0:0:100::/96\" }"),
	  "x.yaml:8:48: agents.server.nat64.prefix: ", "bits 64..71 must be zero" },
	{ NAT64_AGENT("{ prefix: 10.0.0.0/8 }"), "x.yaml:8:48: agents.server.nat64.prefix: ",
	  "expected an IPv6" },
	{ NAT64_AGENT("{}"), "x.yaml:8:38: agents.server.nat64: ",
	  "give exactly one of resolver (RFC 7050 discovery) and prefix" },
	{ NAT64_AGENT("{ resolver: s, prefix: \"2001:db8:64::/96\" }"),
	  "x.yaml:8:38: agents.server.nat64: ", "give exactly one of resolver" },
	{ NAT64_AGENT("{ dns: s }"), "x.yaml:8:40: agents.server.nat64.dns: ",
	  "unknown key (expected one of: resolver, prefix)" },
	{ NAT64_AGENT("\"2001:db8:64::/96\""), "x.yaml:8:38: agents.server.nat64: ",
	  "expected a mapping" },
	/* agents: turn-servers */
	{ HEAD "agents:\n  server: { impl: a, node: s, turn-servers: [{ url: \"192.0.2.5:3478\", "
	  "family: ipv5 }] }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:79: agents.server.turn-servers[0].family: ", "expected one of ipv4, ipv6" },
	{ HEAD "agents:\n  server: { impl: a, node: s, turn-servers: [{ url: \"192.0.2.5:3478\", "
	  "realm: r }] }\n  client: { impl: a, node: c }\n",
	  "x.yaml:8:71: agents.server.turn-servers[0].realm: ",
	  "unknown key (expected one of: url, username, password, family)" },
	/* expect: shape */
	{ HEAD "expect:\n  - ice: connected\n", "x.yaml:8:3: expect: ",
	  "expectations need agents" },
	{ EXPECT("  - ice: connected\n    agnet: client\n"), "x.yaml:12:5: expect[0].agnet: ",
	  "unknown key (expected one of: ice, dtls" },
	{ EXPECT("  - within: 1s\n"), "x.yaml:11:5: expect[0]: ", "no assertion" },
	{ EXPECT("  - ice: connected\n    dtls: connected\n"), "x.yaml:12:5: expect[0].dtls: ",
	  "a second assertion in one item" },
	{ EXPECT("  - ice: connected\n    role: client\n"), "x.yaml:12:5: expect[0].role: ",
	  "does not apply to 'ice' (it takes: agent, within, after, never, reason)" },
	{ EXPECT("  - same-tuple: true\n    agent: client\n"), "x.yaml:12:5: expect[0].agent: ",
	  "does not apply to 'same-tuple'" },
	{ EXPECT("  - ice: up\n"), "x.yaml:11:10: expect[0].ice: ", "expected one of new, checking" },
	/* expect: dangling names */
	{ EXPECT("  - ice: connected\n    agent: clinet\n"), "x.yaml:12:12: expect[0].agent: ",
	  "unknown agent 'clinet' (agents: server, client; or both, any)" },
	{ EXPECT("  - wire: { no-dtls: { from: both } }\n"),
	  "x.yaml:11:30: expect[0].wire.no-dtls.from: ", "unknown agent 'both'" },
	{ EXPECT("  - wire: { no-dtls: { to-family: ipv6 } }\n"),
	  "x.yaml:11:22: expect[0].wire.no-dtls.from: ", "required key is missing" },
	{ EXPECT("  - wire: { consent-interval: { max: 6s } }\n"),
	  "x.yaml:11:31: expect[0].wire.consent-interval.agent: ", "required key is missing" },
	{ EXPECT("  - wire: { data-gap: { max: 300ms } }\n"),
	  "x.yaml:11:23: expect[0].wire.data-gap.from: ", "required key is missing" },
	{ EXPECT("  - wire: { data-gap: { from: client } }\n"),
	  "x.yaml:11:23: expect[0].wire.data-gap.max: ", "required key is missing" },
	{ EXPECT("  - wire: { data-gap: { from: any, max: 300ms } }\n"),
	  "x.yaml:11:31: expect[0].wire.data-gap.from: ", "unknown agent 'any'" },
	{ EXPECT("  - wire: { data-gap: { agent: client, max: 300ms } }\n"),
	  "x.yaml:11:25: expect[0].wire.data-gap.agent: ", "unknown key" },
	{ EXPECT("  - wire: { no-binding-success: { from: server, to: nowhere } }\n"),
	  "x.yaml:11:53: expect[0].wire.no-binding-success.to: ", "expected an IP address" },
	{ EXPECT("  - wire: { no-dtls: { from: server }, no-binding-success: { from: server } }\n"),
	  "x.yaml:11:11: expect[0].wire: ", "one wire check per item" },
	{ EXPECT("  - wire: { no-dtls: { from: server, to-family: ipv6, to: 10.0.0.2 } }\n"),
	  "x.yaml:11:59: expect[0].wire.no-dtls.to: ", "not both" },
	{ EXPECT("  - wire: reflexive\n"), "x.yaml:11:11: expect[0].wire: ",
	  "expected dtls-after-use-candidate, symmetric-responses, role-conflict-resolved, or "
	  "a mapping" },
	{ EXPECT("  - wire: { checks-rejected: { code: 401 } }\n"),
	  "x.yaml:11:30: expect[0].wire.checks-rejected.agent: ", "required key is missing" },
	{ EXPECT("  - wire: { checks-rejected: { agent: any } }\n"),
	  "x.yaml:11:39: expect[0].wire.checks-rejected.agent: ", "unknown agent 'any'" },
	{ EXPECT("  - wire: { checks-rejected: { agent: server, code: 0 } }\n"),
	  "x.yaml:11:53: expect[0].wire.checks-rejected.code: ", "0 is success" },
	{ EXPECT("  - wire: { checks-rejected: { agent: server, code: 200 } }\n"),
	  "x.yaml:11:53: expect[0].wire.checks-rejected.code: ", "200 is no STUN error code" },
	{ EXPECT("  - wire: { checks-rejected: { agent: server, by: client } }\n"),
	  "x.yaml:11:47: expect[0].wire.checks-rejected.by: ",
	  "unknown key (expected one of: agent, code)" },
	{ EXPECT("  - wire: role-conflict-resolved\n"), "x.yaml:11:11: expect[0].wire: ",
	  "give both agents a 'role'" },
	{ HEAD "agents:\n  server: { impl: icelab-full, node: s, role: controlled }\n"
	  "  client: { impl: icelab-full, node: c, role: controlling }\n"
	  "expect:\n  - wire: role-conflict-resolved\n", "x.yaml:11:11: expect[0].wire: ",
	  "the agents start in different roles (server controlled, client controlling)" },
	/* expect: impossible timing */
	{ EXPECT("  - ice: connected\n    within: 12s\n"), "x.yaml:12:13: expect[0].within: ",
	  "12s is beyond the case timeout of 10s" },
	{ EXPECT("  - ice: connected\n    within: 2s\n    after: 3s\n"),
	  "x.yaml:13:12: expect[0].after: ", "3s is not before 'within' (2s)" },
	{ EXPECT("  - ice: connected\n    after: 10s\n"), "x.yaml:12:12: expect[0].after: ",
	  "not before the case timeout" },
	{ EXPECT("  - ice: failed\n    never: true\n    within: 2s\n"),
	  "x.yaml:13:13: expect[0].within: ", "'never' covers the whole case" },
	{ EXPECT("  - data-echoed: false\n    within: 2s\n"), "x.yaml:12:13: expect[0].within: ",
	  "must never happen" },
	{ EXPECT("  - ice: connected\n    within: 0ms\n"), "x.yaml:12:13: expect[0].within: ",
	  "out of range" },
	{ EXPECT("  - pair-changes: { min: 3, max: 1 }\n"), "x.yaml:11:19: expect[0].pair-changes: ",
	  "min (3) is greater than max (1)" },
	{ EXPECT("  - pair-changes: {}\n"), "x.yaml:11:19: expect[0].pair-changes: ",
	  "give min, max or both" },
	{ EXPECT("  - pair-changes: \"1\"\n"), "x.yaml:11:19: expect[0].pair-changes: ",
	  "expected an integer" },
	{ EXPECT("  - ice: connected\n  - ice: connected\n    agent: client\n    never: true\n"),
	  "x.yaml:12:5: expect[1]: ", "contradicts expect[0] (both agents ice-state connected)" },
	{ EXPECT("  - dtls: connected\n    never: true\n    agent: any\n  - dtls: connected\n"),
	  "x.yaml:14:5: expect[1]: ", "contradicts expect[0]" },
	{ EXPECT("  - data-echoed: true\n    agent: server\n  - data-echoed: false\n"),
	  "x.yaml:13:5: expect[1]: ", "contradicts expect[0]" },
	{ EXPECT("  - dtls: failed\n    role: client\n"), "x.yaml:12:11: expect[0].role: ",
	  "only known once connected" },
	{ EXPECT("  - same-tuple: false\n"), "x.yaml:11:17: expect[0].same-tuple: ",
	  "only 'true' is meaningful" },
	{ EXPECT("  - errors: some\n"), "x.yaml:11:13: expect[0].errors: ", "expected one of none" },
	{ EXPECT("  - error: \"\"\n"), "x.yaml:11:12: expect[0].error: ", "give the text" },
	/* expect: selected */
	{ EXPECT("  - selected: { local-type: srvflx }\n"),
	  "x.yaml:11:29: expect[0].selected.local-type: ",
	  "expected one of host, srflx, prflx, relay, got \"srvflx\"" },
	{ EXPECT("  - selected: {}\n"), "x.yaml:11:15: expect[0].selected: ", "at least one of" },
	{ EXPECT("  - selected: { remote: \"[2001:db8::1]\" }\n"),
	  "x.yaml:11:25: expect[0].selected.remote: ", "expected an address, with or without" },
	{ EXPECT("  - selected: { remote: \"203.0.113.10:70000\" }\n"),
	  "x.yaml:11:25: expect[0].selected.remote: ", "port '70000' is not 1..65535 or *" },
	{ EXPECT("  - selected: { local: 10.0.0.300 }\n"),
	  "x.yaml:11:24: expect[0].selected.local: ", "expected an address" },
	{ EXPECT("  - selected: { family: ipv6, local: 10.0.0.2 }\n"),
	  "x.yaml:11:38: expect[0].selected.local: ", "10.0.0.2 is IPv4 but 'family' is ipv6" },
	{ EXPECT("  - selected: { fam: ipv4 }\n"), "x.yaml:11:17: expect[0].selected.fam: ",
	  "unknown key (expected one of: family, local-type" },
	/* expected failures */
	{ EXPECT("  - ice: connected\n") "expected-failure:\n  - when: { a: b }\n",
	  "x.yaml:13:5: expected-failure[0].reason: ", "required key is missing" },
	{ EXPECT("  - ice: connected\n") "expected-failure: { reason: \" \" }\n",
	  "x.yaml:12:29: expected-failure.reason: ", "must not be empty" },
	{ EXPECT("  - ice: connected\n") "expected-failure:\n  - reason: r\n    when: { a: b }\n",
	  "x.yaml:14:11: expected-failure[0].when: ", "the file has no matrix" },
	{ "name: t\nmatrix: { v: [a, b] }\ndescription: ${v}\n"
	  "expected-failure:\n  - reason: r\n    when: { w: a }\n" TAIL,
	  "x.yaml:6:13: expected-failure[0].when.w: ", "unknown parameter 'w' (the matrix has: v)" },
	{ "name: t\nmatrix: { v: [a, b] }\ndescription: ${v}\n"
	  "expected-failure:\n  - reason: r\n    when: { v: c }\n" TAIL,
	  "x.yaml:6:16: expected-failure[0].when.v: ", "'c' is not a value of v (values: a, b)" },
	/* the matrix */
	{ "name: t\nmatrix:\n  v: [a, b]\n  exclude: [{ w: a }]\ndescription: ${v}\n" TAIL,
	  "x.yaml:4:15: matrix.exclude[0].w: ", "unknown parameter 'w'" },
	{ "name: t\nmatrix:\n  v: [a, b]\n  exclude: [{ v: c }]\ndescription: ${v}\n" TAIL,
	  "x.yaml:4:18: matrix.exclude[0].v: ", "'c' is not a value of v" },
	{ "name: t\nmatrix:\n  v: [a, b]\n  exclude: [{ v: a }, { v: b }]\ndescription: ${v}\n" TAIL,
	  "x.yaml:4:12: matrix.exclude: ", "excludes every cell" },
	{ "name: t\nmatrix:\n  v: [a, b]\n  w: [c]\ndescription: ${v}\n" TAIL, "x.yaml:4:3: matrix.w: ", "parameter never used" },
	{ "name: t\nmatrix:\n  v: [a, b]\n  exclude: [{ v: \"${v}\" }]\ndescription: ${v}\n" TAIL,
	  "x.yaml:4:18: matrix.exclude[0].v: ", "'${v}' is not a value of v (values: a, b)" },
	{ "name: t\nmatrix:\n  v: [\"${w}\"]\n" TAIL, "x.yaml:3:7: matrix.v[0]: ",
	  "a value cannot refer to a parameter" },
	{ "name: t\nmatrix:\n  v: [a, a]\n" TAIL, "x.yaml:3:10: matrix.v[1]: ", "listed twice" },
	{ "name: t\nmatrix:\n  v: a\n" TAIL, "x.yaml:3:6: matrix.v: ", "expected a list" },
	{ "name: t\nmatrix:\n  v: [{ x: 1 }]\n" TAIL, "x.yaml:3:7: matrix.v[0]: ", "expected a value" },
	{ "name: t\nmatrix:\n  V: [a]\n" TAIL, "x.yaml:3:3: matrix.V: ", "parameter name 'V'" },
	{ "name: t\nmatrix:\n  a: [1, 2, 3, 4, 5, 6, 7, 8]\n  b: [1, 2, 3, 4, 5, 6, 7, 8]\n"
	  "  c: [1, 2, 3, 4, 5]\n" TAIL, "x.yaml:3:3: matrix: ", "320 cells; at most 256" },
	{ "name: t\nmatrix: { v: [a] }\ndescription: ${w}\n" TAIL,
	  "x.yaml:3:14: description: ", "unknown parameter ${w} (the matrix has: v)" },
	{ "name: t\ndescription: \"${w}\"\n" TAIL, "x.yaml:2:14: description: ",
	  "unknown parameter ${w}: the file has no matrix" },
	{ EXPECT("  - ice: ${state\n"), "x.yaml:11:10: expect[0].ice: ", "'${' starts a parameter reference" },
	/* signalling.tamper */
#define TAMPER(v) HEAD AGENTS "signalling: { tamper: " v " }\n"
	{ TAMPER("{ agent: server }"), "x.yaml:10:23: signalling.tamper: ",
	  "nothing to tamper with: give ufrag, pwd or fingerprint" },
	{ TAMPER("{ agent: sever, pwd: abcdefghijklmnopqrstuvwxyz }"),
	  "x.yaml:10:32: signalling.tamper.agent: ", "unknown agent 'sever' (agents: server, client)" },
	{ TAMPER("{ pwd: abcdefghijklmnopqrstuvwxyz }"), "x.yaml:10:23: signalling.tamper.agent: ",
	  "required key is missing" },
	{ TAMPER("{ agent: server, pwd: short }"), "x.yaml:10:45: signalling.tamper.pwd: ",
	  "a pwd is 22 to 256 characters of A-Z, a-z, 0-9, '+' and '/' (RFC 8839 5.4)" },
	{ TAMPER("{ agent: server, ufrag: \"a-b-c\" }"), "x.yaml:10:47: signalling.tamper.ufrag: ",
	  "a ufrag is 4 to 256 characters" },
	{ TAMPER("{ agent: server, fingerprint: \"sha-256 AB:CD\" }"),
	  "x.yaml:10:53: signalling.tamper.fingerprint: ",
	  "a sha-256 fingerprint is 32 hex bytes separated by ':'" },
	{ TAMPER("{ agent: server, fingerprint: \"md5 AB:CD\" }"),
	  "x.yaml:10:53: signalling.tamper.fingerprint: ", "HASH one of sha-1, sha-224" },
	{ TAMPER("{ agent: server, password: x }"), "x.yaml:10:40: signalling.tamper.password: ",
	  "unknown key (expected one of: agent, ufrag, pwd, fingerprint)" },
	{ HEAD "agents:\n  server: { impl: icelab-lite, node: s, ufrag: abcd }\n"
	  "  client: { impl: icelab-full, node: c }\n"
	  "signalling: { tamper: { agent: server, ufrag: abcd } }\n",
	  "x.yaml:10:47: signalling.tamper.ufrag: ", "tampering would change nothing" },
	/* expect: check, role-conflict, reason */
	{ EXPECT("  - check: { kind: answered }\n"), "x.yaml:11:20: expect[0].check.kind: ",
	  "expected one of request-answered, check-succeeded" },
	{ EXPECT("  - check: { code: 200 }\n"), "x.yaml:11:20: expect[0].check.code: ",
	  "200 is no STUN error code" },
	{ EXPECT("  - check: {}\n"), "x.yaml:11:12: expect[0].check: ",
	  "give at least one of kind, code, remote" },
	{ EXPECT("  - check: role-changed\n    role: client\n"), "x.yaml:12:5: expect[0].role: ",
	  "does not apply to 'check' (it takes: agent, within, after, never)" },
	{ EXPECT("  - role-conflict: resolved\n"), "x.yaml:11:20: expect[0].role-conflict: ",
	  "give both agents a 'role'" },
	{ EXPECT("  - role-conflict: yes\n"), "x.yaml:11:20: expect[0].role-conflict: ",
	  "expected one of resolved" },
	{ HEAD "agents:\n  server: { impl: icelab-full, node: s, role: controlled }\n"
	  "  client: { impl: icelab-full, node: c, role: controlling }\n"
	  "expect:\n  - role-conflict: resolved\n", "x.yaml:11:20: expect[0].role-conflict: ",
	  "the agents start in different roles (server controlled, client controlling)" },
	{ EXPECT("  - dtls: failed\n    never: true\n    reason: x\n"),
	  "x.yaml:13:13: expect[0].reason: ", "has no meaning for what must never happen" },
	{ EXPECT("  - dtls: failed\n    reason: \"\"\n"), "x.yaml:12:13: expect[0].reason: ",
	  "give the text" },
	/* actions: inject */
#define INJECT(v) HEAD AGENTS "actions:\n  - { at: 1s, inject: " v " }\n"
	{ INJECT("{ from: x, to: server, family: ipv4 }"),
	  "x.yaml:11:31: actions[0].inject.from: ", "unknown node 'x'" },
	{ INJECT("{ from: c, to: s, family: ipv4 }"), "x.yaml:11:38: actions[0].inject.to: ",
	  "unknown agent 's' (agents: server, client)" },
	{ INJECT("{ from: c, to: server, family: ipv6 }"),
	  "x.yaml:11:31: actions[0].inject.from: ", "node c has no IPv6 address to send from" },
	{ INJECT("{ from: c, to: server }"), "x.yaml:11:23: actions[0].inject.family: ",
	  "required key is missing" },
	{ INJECT("{ from: c, to: server, family: ipv4, integrity: bad }"),
	  "x.yaml:11:71: actions[0].inject.integrity: ", "expected one of wrong, none" },
	{ INJECT("{ from: c, to: server, family: ipv4, username: guess }"),
	  "x.yaml:11:70: actions[0].inject.username: ", "expected one of made-up, sniffed" },
	{ INJECT("{ from: c, to: server, family: ipv4, stun: allocate }"),
	  "x.yaml:11:66: actions[0].inject.stun: ", "expected one of binding-request" },
	{ HEAD AGENTS "actions:\n  - { at: 1s, state: up, inject: { from: c, to: server, "
	  "family: ipv4 } }\n", "x.yaml:11:15: actions[0].state: ",
	  "does not apply to an inject action" },
	{ HEAD AGENTS "actions:\n  - { at: 1s, direction: a-to-b, inject: { from: c, to: server, "
	  "family: ipv4 } }\n", "x.yaml:11:15: actions[0].direction: ",
	  "does not apply to an inject action" },
	{ HEAD AGENTS "actions:\n  - { at: 1s, restart: client, inject: {} }\n",
	  "x.yaml:11:5: actions[0]: ", "one action per item" },
};

START_TEST(test_bad)
{
	struct scn_case *k = (struct scn_case *)1;
	struct icl_err e = { 0 };
	size_t n = 7;
	int rc = scn_load_cases_buf("x.yaml", bad[_i].yaml, strlen(bad[_i].yaml), &k, &n, &e);

	ck_assert_msg(rc == ICL_EINPUT, "rc %d (%s) for:\n%s", rc, e.msg, bad[_i].yaml);
	ck_assert_msg(!strncmp(e.msg, bad[_i].prefix, strlen(bad[_i].prefix)) &&
			      strstr(e.msg + strlen(bad[_i].prefix), bad[_i].part) != NULL,
		      "got      '%s'\nexpected '%s...%s...'", e.msg, bad[_i].prefix, bad[_i].part);
	ck_assert_ptr_null(k);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/* A value of the matrix that does not fit where it is pasted: the error is
 * at the ${} as written, and names the cell. */
START_TEST(test_bad_value_in_cell)
{
	static const char yaml[] = "name: t\nmatrix: { d: [active, bogus] }\n"
		"topology:\n"
		"  nodes: { c: {}, s: {}, r: { router: true } }\n"
		"  links:\n"
		"    l1: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n"
		"    l2: { a: { node: r, ipv4: 10.0.1.1/24 }, b: { node: s, ipv4: 10.0.1.2/24 } }\n"
		"agents:\n"
		"  server: { impl: icelab-lite, node: s, dtls: \"${d}\" }\n"
		"  client: { impl: icelab-full, node: c }\n";
	struct scn_case *k;
	struct icl_err e = { 0 };
	size_t n;

	ck_assert_int_eq(scn_load_cases_buf("x.yaml", yaml, strlen(yaml), &k, &n, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, "x.yaml:9:47: agents.server.dtls: expected one of actpass, active, "
				"passive, got \"bogus\" (case t[d=bogus])");
}
END_TEST

/* tests/data/bad/ files of the whole-file checks: exact messages (the CLI
 * test runs the same files through `icelab topo up`). */
static const struct {
	const char *file;
	const char *msg;
} bad_files[] = {
	{ "tests/data/bad/agent-on-router.yaml",
	  "tests/data/bad/agent-on-router.yaml:21:11: agents.server.node: node 'router' is a "
	  "router; agents run on hosts (nodes without 'router: true')" },
	{ "tests/data/bad/expect-beyond-timeout.yaml",
	  "tests/data/bad/expect-beyond-timeout.yaml:20:13: expect[0].within: 15s is beyond the "
	  "case timeout of 10s; raise 'timeout' or shorten this" },
	{ "tests/data/bad/matrix-unused.yaml",
	  "tests/data/bad/matrix-unused.yaml:4:3: matrix.nomination: parameter never used; write "
	  "${nomination} where the cases differ, or remove it" },
	{ "tests/data/bad/matrix-bad-value.yaml",
	  "tests/data/bad/matrix-bad-value.yaml:18:11: agents.server.dtls: expected one of "
	  "actpass, active, passive, got \"actve\" (case matrix-bad-value[dtls=actve])" },
};

START_TEST(test_bad_file)
{
	struct scn_case *k;
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	size_t n;

	ck_assert_int_eq(scn_load_cases(bad_files[_i].file, &k, &n, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, bad_files[_i].msg);
	ck_assert_int_eq(scn_load_topology(bad_files[_i].file, &p, &e), ICL_EINPUT);
	ck_assert_str_eq(e.msg, bad_files[_i].msg);
	ck_assert_ptr_null(p.nodes);
}
END_TEST

/* references: kept in order, as written; a folded '>-' block is one line;
 * a file without them has none. */
START_TEST(test_references)
{
	struct scn_case *k;
	size_t n;

	k = load_buf(HEAD "references:\n  - RFC 8445 7.3.1.1\n  - \"pion/ice #255\"\n"
		     "  - >-\n    mediasoup forum\n    thread 2702\n", &n);
	ck_assert_uint_eq(k[0].n_references, 3);
	ck_assert_str_eq(k[0].references[0], "RFC 8445 7.3.1.1");
	ck_assert_str_eq(k[0].references[1], "pion/ice #255");
	ck_assert_str_eq(k[0].references[2], "mediasoup forum thread 2702");
	scn_cases_free(k, n);
	k = load_buf(HEAD, &n);
	ck_assert_uint_eq(k[0].n_references, 0);
	ck_assert_ptr_null(k[0].references);
	scn_cases_free(k, n);
}
END_TEST

START_TEST(test_free_zeroed)
{
	struct scn_case k;

	memset(&k, 0, sizeof(k));
	scn_case_free(&k);
	scn_case_free(NULL);
	scn_cases_free(NULL, 3);
	ck_assert_ptr_null(k.expect);
	ck_assert_int_eq(scn_case_agent(&k, "server"), -1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *cases_suite(void)
{
	Suite *s = suite_create("cases");
	TCase *load = tcase_create("load"), *matrix = tcase_create("matrix");
	TCase *files = tcase_create("files"), *errors = tcase_create("errors");

	tcase_add_test(load, test_full_file);
	tcase_add_test(load, test_defaults);
	tcase_add_test(load, test_wire_ice);
	tcase_add_test(load, test_free_zeroed);
	tcase_add_test(load, test_references);
	tcase_add_test(matrix, test_matrix_cells);
	tcase_add_test(matrix, test_matrix_types);
	tcase_add_test(matrix, test_matrix_quirk_none);
	tcase_add_test(matrix, test_matrix_error_everywhere);
	tcase_add_test(matrix, test_topology_of_matrix);
	tcase_add_test(matrix, test_bad_value_in_cell);
	tcase_add_loop_test(files, test_topology_only_file, 0, N(topo_files));
	tcase_add_test(files, test_ipv6_oneway_file);
	tcase_add_test(files, test_routed_dualstack_file);
	tcase_add_test(files, test_nat64_agent_key);
	tcase_add_test(files, test_turn_family_key);
	tcase_add_test(files, test_doc_examples);
	tcase_add_loop_test(files, test_bad_file, 0, N(bad_files));
	tcase_add_loop_test(errors, test_bad, 0, N(bad));
	suite_add_tcase(s, load);
	suite_add_tcase(s, matrix);
	suite_add_tcase(s, files);
	suite_add_tcase(s, errors);
	return s;
}
