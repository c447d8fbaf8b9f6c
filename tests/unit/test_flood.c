/* test_flood.c - the hostile traffic of `inject` floods (harness/flood.h):
 * the generator is the seed's, each kind is what it claims to be when the
 * attacked agent's codec reads it, the targets are every address the agent
 * announced, and the loader reads `flood:`. */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include <jansson.h>

#include "../../agents/dtls.h"
#include "../../agents/stun.h"
#include "../../harness/flood.h"
#include "../../harness/inject.h"
#include "../../harness/scenario.h"
#include "suites.h"

#define N_EACH 2000               /* datagrams of each kind per test */

static size_t make(struct flood_gen *g, enum flood_kind k, uint8_t *buf)
{
	size_t n = flood_gen_make(g, k, buf);

	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, FLOOD_DGRAM_MAX);
	return n;
}

/* The same seed, the same bytes; another seed, others. */
START_TEST(test_seeded)
{
	static uint8_t a[FLOOD_DGRAM_MAX], b[FLOOD_DGRAM_MAX];
	static struct flood_gen g1, g2, g3;
	bool differ = false;

	flood_gen_init(&g1, 42, "SRVu:CLIu");
	flood_gen_init(&g2, 42, "SRVu:CLIu");
	flood_gen_init(&g3, 43, "SRVu:CLIu");
	for (int i = 0; i < 600; i++) {
		enum flood_kind k = (enum flood_kind)(i % FLOOD_N_KINDS);
		size_t n1 = make(&g1, k, a), n2 = make(&g2, k, b);

		ck_assert_uint_eq(n1, n2);
		ck_assert_int_eq(memcmp(a, b, n1), 0);
		n2 = make(&g3, k, b);
		differ = differ || n1 != n2 || memcmp(a, b, n1) != 0;
	}
	ck_assert(differ);
}
END_TEST

/* A check with the sniffed USERNAME that no password verifies. */
START_TEST(test_bad_integrity)
{
	static struct flood_gen g;
	uint8_t buf[FLOOD_DGRAM_MAX];
	struct stun_msg m;
	struct icl_err err;
	char user[64];

	flood_gen_init(&g, 1, "SRVu:CLIu");
	for (int i = 0; i < N_EACH; i++) {
		size_t n = make(&g, FLOOD_BAD_INTEGRITY, buf);

		ck_assert_int_eq(stun_decode(buf, n, &m, &err), 0);
		ck_assert_uint_eq(m.method, STUN_BINDING);
		ck_assert_int_eq(m.cls, STUN_REQUEST);
		ck_assert(m.has & STUN_HAS_FINGERPRINT);
		ck_assert(m.has & STUN_HAS_PRIORITY);
		ck_assert(m.has & (STUN_HAS_CONTROLLING | STUN_HAS_CONTROLLED));
		stun_str_copy(m.username, user, sizeof(user));
		ck_assert_str_eq(user, "SRVu:CLIu");
		ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"therealpassword0123456",
						      22, &err), ICL_EINPUT);
	}
}
END_TEST

/* Truncated and oversized: the codec refuses them, but for the well
 * framed one with more unknown attributes than anyone keeps. */
START_TEST(test_malformed)
{
	static struct flood_gen g;
	uint8_t buf[FLOOD_DGRAM_MAX];
	struct stun_msg m;
	struct icl_err err;
	int refused = 0, many_unknown = 0;

	flood_gen_init(&g, 2, "SRVu:CLIu");
	for (int i = 0; i < N_EACH; i++) {
		size_t n = make(&g, FLOOD_TRUNCATED_STUN, buf);

		ck_assert_int_eq(stun_decode(buf, n, &m, &err), ICL_EINPUT);
	}
	for (int i = 0; i < N_EACH; i++) {
		size_t n = make(&g, FLOOD_OVERSIZED_ATTR, buf);

		ck_assert(stun_is_stun(buf, n));
		if (stun_decode(buf, n, &m, &err) < 0) {
			refused++;
			continue;
		}
		ck_assert_uint_eq(m.n_unknown_required, STUN_MAX_UNKNOWN);
		ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"x", 1, &err),
				 ICL_EINPUT);
		many_unknown++;
	}
	/* Five variants, one in five well framed. */
	ck_assert_int_gt(refused, N_EACH * 7 / 10);
	ck_assert_int_gt(many_unknown, N_EACH / 10);
}
END_TEST

START_TEST(test_dtls_and_random)
{
	static struct flood_gen g;
	uint8_t buf[FLOOD_DGRAM_MAX];
	int records = 0;

	flood_gen_init(&g, 3, "SRVu:CLIu");
	for (int i = 0; i < N_EACH; i++) {
		size_t n = make(&g, FLOOD_DTLS_GARBAGE, buf);

		ck_assert(dtls_is_dtls(buf, n));
		ck_assert(!stun_is_stun(buf, n));
		records += n >= 13 && buf[0] <= 23 && buf[1] == 0xfe;
	}
	ck_assert_int_gt(records, N_EACH / 2);
	for (int i = 0; i < N_EACH; i++)
		ck_assert_uint_le(make(&g, FLOOD_RANDOM, buf), 600);
}
END_TEST

/* Forged responses for transactions nobody started; once the target has
 * answered us, every other one is that answer, byte-exact. */
START_TEST(test_replayed)
{
	static struct flood_gen g;
	uint8_t buf[FLOOD_DGRAM_MAX], answer[64];
	struct stun_msg m;
	struct icl_err err;
	int exact = 0;

	flood_gen_init(&g, 4, "SRVu:CLIu");
	for (int i = 0; i < 100; i++) {
		size_t n = make(&g, FLOOD_REPLAYED, buf);

		ck_assert_int_eq(stun_decode(buf, n, &m, &err), 0);
		ck_assert(m.cls == STUN_SUCCESS || (m.cls == STUN_ERROR && m.error_code == 487));
		ck_assert(m.has & STUN_HAS_INTEGRITY);
	}
	ck_assert_uint_eq(g.n_replayed, 0);
	memset(answer, 0xab, sizeof(answer));
	flood_gen_remember(&g, answer, sizeof(answer));
	for (int i = 0; i < 100; i++) {
		size_t n = make(&g, FLOOD_REPLAYED, buf);

		exact += n == sizeof(answer) && memcmp(buf, answer, n) == 0;
	}
	ck_assert_int_eq(exact, 50);
	ck_assert_uint_eq(g.n_replayed, 50);
}
END_TEST

static const char timeline[] =
	"[{\"t\":3,\"agent\":\"server\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:1 1 udp 2130706431 2001:db8::10 40001 typ host\"}},"
	"{\"t\":4,\"agent\":\"server\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:2 1 udp 2130706175 203.0.113.10 40000 typ host\"}},"
	"{\"t\":5,\"agent\":\"client\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:2 1 udp 2130706175 10.0.0.2 5000 typ host\"}},"
	"{\"t\":6,\"agent\":\"server\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:3 1 udp 2130706175 203.0.113.11 40002 typ host\"}}]";

/* Every host candidate of the family, then new selected locals, once. */
START_TEST(test_targets)
{
	json_t *tl = json_loads(timeline, 0, NULL);
	struct sockaddr_storage to[4];
	socklen_t lens[4];
	size_t from = 0, n = 0;
	char a[64];

	ck_assert_ptr_nonnull(tl);
	inject_targets(tl, "server", AF_INET, &from, to, lens, &n, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(from, 4);
	inject_addr_str(&to[0], a, sizeof(a));
	ck_assert_str_eq(a, "203.0.113.10:40000");
	inject_addr_str(&to[1], a, sizeof(a));
	ck_assert_str_eq(a, "203.0.113.11:40002");
	ck_assert_uint_eq(lens[0], sizeof(struct sockaddr_in));
	json_array_append_new(tl, json_pack("{s:i, s:s, s:{s:s, s:s}}", "t", 9, "agent", "server",
					    "event", "event", "selected-pair", "local",
					    "203.0.113.10:40000"));
	json_array_append_new(tl, json_pack("{s:i, s:s, s:{s:s, s:s}}", "t", 9, "agent", "server",
					    "event", "event", "selected-pair", "local",
					    "198.51.100.7:3478"));
	inject_targets(tl, "server", AF_INET, &from, to, lens, &n, 4);
	ck_assert_uint_eq(n, 3);
	inject_addr_str(&to[2], a, sizeof(a));
	ck_assert_str_eq(a, "198.51.100.7:3478");
	from = 0;
	n = 0;
	inject_targets(tl, "server", AF_INET6, &from, to, lens, &n, 4);
	ck_assert_uint_eq(n, 1);
	inject_addr_str(&to[0], a, sizeof(a));
	ck_assert_str_eq(a, "[2001:db8::10]:40001");
	json_decref(tl);
}
END_TEST

#define DOC(flood)                                                                     \
	"name: t\n"                                                                    \
	"topology:\n"                                                                  \
	"  nodes: { c: {}, s: {}, r: { router: true } }\n"                             \
	"  links:\n"                                                                   \
	"    l1: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n" \
	"    l2: { a: { node: r, ipv4: 10.0.1.1/24 }, b: { node: s, ipv4: 10.0.1.2/24 } }\n" \
	"agents:\n"                                                                    \
	"  server: { impl: icelab-lite, node: s }\n"                                   \
	"  client: { impl: icelab-full, node: c }\n"                                   \
	"timeout: 5s\n"                                                                \
	"actions:\n  - { at: 1s, inject: { from: c, to: server, family: ipv4, flood: " flood " } }\n"

START_TEST(test_load)
{
	static const char doc[] = DOC("{ count: 2000, rate: 1000, kinds: [random, replayed] }");
	static const char all[] = DOC("{ count: 30000 }");
	struct scn_case *k = NULL;
	struct icl_err e;
	size_t n = 0;

	ck_assert_int_eq(scn_load_cases_buf("x.yaml", doc, strlen(doc), &k, &n, &e), 0);
	ck_assert_uint_eq(k[0].actions[0].inject.flood.count, 2000);
	ck_assert_uint_eq(k[0].actions[0].inject.flood.rate, 1000);
	ck_assert_uint_eq(k[0].actions[0].inject.flood.kinds,
			  1u << FLOOD_RANDOM | 1u << FLOOD_REPLAYED);
	scn_cases_free(k, n);
	/* Defaults: every kind, 10000/s (3 s from 1 s on: inside 5 s). */
	ck_assert_int_eq(scn_load_cases_buf("x.yaml", all, strlen(all), &k, &n, &e), 0);
	ck_assert_uint_eq(k[0].actions[0].inject.flood.rate, 10000);
	ck_assert_uint_eq(k[0].actions[0].inject.flood.kinds, (1u << FLOOD_N_KINDS) - 1);
	scn_cases_free(k, n);
}
END_TEST

static const struct {
	const char *yaml, *msg;
} bad[] = {
	{ DOC("{ rate: 10 }"), "x.yaml:12:67: actions[0].inject.flood.count: required key is missing" },
	{ DOC("{ count: 0 }"),
	  "x.yaml:12:76: actions[0].inject.flood.count: 0 is out of range (1..1000000)" },
	{ DOC("{ count: 10, rate: 100001 }"),
	  "x.yaml:12:86: actions[0].inject.flood.rate: 100001 is out of range (1..100000)" },
	{ DOC("{ count: 10, kinds: [random, junk] }"),
	  "x.yaml:12:96: actions[0].inject.flood.kinds[1]: expected one of random, truncated-stun" },
	{ DOC("{ count: 10, kinds: [random, random] }"),
	  "x.yaml:12:96: actions[0].inject.flood.kinds[1]: 'random' is listed twice" },
	{ DOC("{ count: 10, kinds: [] }"),
	  "x.yaml:12:87: actions[0].inject.flood.kinds: give at least one kind" },
	{ DOC("{ count: 10, burst: 3 }"), "x.yaml:12:80: actions[0].inject.flood.burst: unknown key" },
	{ DOC("{ count: 40000 }"),
	  "x.yaml:12:67: actions[0].inject.flood: 40000 datagrams at 10000/s take 4000 ms: "
	  "from 1s on that is not over before the case timeout of 5s" },
	{ "name: t\n"
	  "topology:\n"
	  "  nodes: { c: {}, s: {}, r: { router: true } }\n"
	  "  links:\n"
	  "    l1: { a: { node: c, ipv4: 10.0.0.2/24 }, b: { node: r, ipv4: 10.0.0.1/24 } }\n"
	  "    l2: { a: { node: r, ipv4: 10.0.1.1/24 }, b: { node: s, ipv4: 10.0.1.2/24 } }\n"
	  "agents:\n"
	  "  server: { impl: icelab-lite, node: s }\n"
	  "  client: { impl: icelab-full, node: c }\n"
	  "actions:\n  - { at: 1s, inject: { from: c, to: server, family: ipv4, "
	  "use-candidate: true, flood: { count: 10 } } }\n",
	  "x.yaml:11:60: actions[0].inject.use-candidate: does not apply to a flood" },
};

START_TEST(test_bad)
{
	struct scn_case *k = NULL;
	struct icl_err e = { 0 };
	size_t n = 0;
	int rc = scn_load_cases_buf("x.yaml", bad[_i].yaml, strlen(bad[_i].yaml), &k, &n, &e);

	ck_assert_msg(rc == ICL_EINPUT, "rc %d for:\n%s", rc, bad[_i].yaml);
	ck_assert_msg(strncmp(e.msg, bad[_i].msg, strlen(bad[_i].msg)) == 0, "got: %s\nwant: %s",
		      e.msg, bad[_i].msg);
}
END_TEST

Suite *flood_suite(void)
{
	Suite *s = suite_create("flood");
	TCase *tc = tcase_create("flood");

	tcase_add_test(tc, test_seeded);
	tcase_add_test(tc, test_bad_integrity);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_dtls_and_random);
	tcase_add_test(tc, test_replayed);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_load);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	return s;
}
