/* test_impair_yaml.c - links.NAME.impair in a scenario file
 * (harness/scn_impair.c): the values it gives the plan, and its errors,
 * compared whole as in test_scenario.c. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../harness/scenario.h"
#include "../../netns/plan.h"
#include "suites.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Lines 1-8; `impair: ...` is line 9, at column 7. */
#define HEAD                                              \
	"topology:\n"                                     \
	"  nodes:\n"                                      \
	"    x:\n"                                        \
	"    y:\n"                                        \
	"  links:\n"                                      \
	"    l:\n"                                        \
	"      a: { node: x, ipv4: 10.0.0.1/24 }\n"       \
	"      b: { node: y, ipv4: 10.0.0.2/24 }\n"

static void load(const char *yaml, struct topo_plan *p)
{
	struct icl_err e = { 0 };

	memset(p, 0, sizeof(*p));
	ck_assert_msg(scn_load_topology_buf("t.yaml", yaml, strlen(yaml), p, &e) == 0, "%s\n%s",
		      e.msg, yaml);
}

static void assert_prob(double got, double want)
{
	ck_assert_msg(fabs(got - want) < 1e-12, "%.12g, want %.12g", got, want);
}

START_TEST(every_key)
{
	static const char yaml[] = HEAD
		"      impair:\n"
		"        a: { delay: 50ms, jitter: 5ms, loss: 5%, reorder: 1%, duplicate: 0.5%,\n"
		"             rate: 2mbit, queue: 64kb, burst: 1500b }\n"
		"        b: { delay: 1.5s, loss: \"0.0001%\", rate: 1.5gbit }\n"
		"        seed: 42\n";
	struct topo_plan p;
	const struct topo_impair *a, *b;

	load(yaml, &p);
	a = &p.links[0].impair[0];
	b = &p.links[0].impair[1];
	ck_assert(a->set && b->set);
	ck_assert_uint_eq(a->delay_ms, 50);
	ck_assert_uint_eq(a->jitter_ms, 5);
	assert_prob(a->loss, 0.05);
	assert_prob(a->reorder, 0.01);
	assert_prob(a->duplicate, 0.005);
	ck_assert_uint_eq(a->rate_bps, 2000000);
	ck_assert_uint_eq(a->queue_bytes, 65536);
	ck_assert_uint_eq(a->burst_bytes, 1500);
	ck_assert_uint_eq(a->src.line, 10);
	ck_assert_uint_eq(b->delay_ms, 1500);
	assert_prob(b->loss, 0.000001);
	assert_prob(b->reorder, 0);
	ck_assert_uint_eq(b->rate_bps, 1500000000ull);
	ck_assert_uint_eq(b->queue_bytes, 0);
	ck_assert(p.links[0].has_impair_seed);
	ck_assert_uint_eq(p.links[0].impair_seed, 42);
	topo_plan_free(&p);
}
END_TEST

START_TEST(one_direction_no_seed)
{
	static const char yaml[] = HEAD "      impair: { b: { rate: 64kbit, loss: 100% } }\n";
	static const char none[] = HEAD "      mtu: 1500\n";
	struct topo_plan p;

	load(yaml, &p);
	ck_assert(!p.links[0].impair[0].set);
	ck_assert(p.links[0].impair[1].set);
	ck_assert_uint_eq(p.links[0].impair[1].rate_bps, 64000);
	assert_prob(p.links[0].impair[1].loss, 1.0);
	ck_assert(!p.links[0].has_impair_seed);
	topo_plan_free(&p);
	load(none, &p);
	ck_assert(!p.links[0].impair[0].set && !p.links[0].impair[1].set);
	topo_plan_free(&p);
}
END_TEST

/* Matrix values are substituted before the units are read. */
START_TEST(matrix_values)
{
	static const char yaml[] =
		"name: m\n"
		"matrix:\n"
		"  loss: [1%, 10%]\n"
		"  rate: [64kbit, 1gbit]\n"
		"topology:\n"
		"  nodes: { x: {}, y: {} }\n"
		"  links:\n"
		"    l:\n"
		"      a: { node: x, ipv4: 10.0.0.1/24 }\n"
		"      b: { node: y, ipv4: 10.0.0.2/24 }\n"
		"      impair: { a: { loss: \"${loss}\", rate: \"${rate}\" } }\n";
	struct scn_case *k;
	struct icl_err e = { 0 };
	size_t n;

	ck_assert_msg(scn_load_cases_buf("m.yaml", yaml, strlen(yaml), &k, &n, &e) == 0, "%s",
		      e.msg);
	ck_assert_uint_eq(n, 4);
	assert_prob(k[0].plan.links[0].impair[0].loss, 0.01);
	ck_assert_uint_eq(k[0].plan.links[0].impair[0].rate_bps, 64000);
	assert_prob(k[3].plan.links[0].impair[0].loss, 0.10);
	ck_assert_uint_eq(k[3].plan.links[0].impair[0].rate_bps, 1000000000ull);
	scn_cases_free(k, n);
}
END_TEST

static const struct {
	const char *impair; /* the value of `impair:`, at line 9 column 15 */
	const char *msg;
} bad[] = {
	{ "{ a: { delay: 50ms, lose: 5% } }",
	  "t.yaml:9:35: links.l.impair.a.lose: unknown key (expected one of: delay, jitter, loss, "
	  "reorder, duplicate, rate, queue, burst)" },
	{ "{ c: { delay: 50ms } }",
	  "t.yaml:9:17: links.l.impair.c: unknown key (expected one of: a, b, seed)" },
	{ "{ a: { loss: 5 } }",
	  "t.yaml:9:28: links.l.impair.a.loss: expected a percentage, got 5; write 5%" },
	{ "{ a: { loss: 0.05 } }",
	  "t.yaml:9:28: links.l.impair.a.loss: expected a percentage, got 0.05; write 5% "
	  "(or 0.05%)" },
	{ "{ a: { loss: 150% } }",
	  "t.yaml:9:28: links.l.impair.a.loss: 150% is out of range (0%..100%)" },
	{ "{ a: { loss: five } }",
	  "t.yaml:9:28: links.l.impair.a.loss: expected a percentage (like 5% or 0.5%), got "
	  "\"five\"" },
	{ "{ a: { duplicate: 0.00001% } }",
	  "t.yaml:9:33: links.l.impair.a.duplicate: expected a percentage (like 5% or 0.5%), got "
	  "\"0.00001%\"" },
	{ "{ a: { loss: 5%, delay: 1ms }, b: { reorder: 1%% } }",
	  "t.yaml:9:60: links.l.impair.b.reorder: expected a percentage (like 5% or 0.5%), got "
	  "\"1%%\"" },
	{ "{ a: { rate: 2mbps } }",
	  "t.yaml:9:28: links.l.impair.a.rate: expected a rate (like 64kbit, 2mbit or 1gbit), got "
	  "\"2mbps\"" },
	{ "{ a: { rate: 2 } }",
	  "t.yaml:9:28: links.l.impair.a.rate: expected a rate, got 2; add a unit: bit, kbit, mbit "
	  "or gbit (per second)" },
	{ "{ a: { rate: 0.5kbit } }",
	  "t.yaml:9:28: links.l.impair.a.rate: 0.5kbit is out of range (1kbit..100gbit)" },
	{ "{ a: { rate: 200gbit } }",
	  "t.yaml:9:28: links.l.impair.a.rate: 200gbit is out of range (1kbit..100gbit)" },
	{ "{ a: { rate: 1500.5bit } }",
	  "t.yaml:9:28: links.l.impair.a.rate: 1500.5bit is not a whole number of bits per second" },
	{ "{ a: { queue: 64kb } }",
	  "t.yaml:9:29: links.l.impair.a.queue: needs a rate; set rate or remove queue" },
	{ "{ a: { rate: 1mbit, queue: 64 } }",
	  "t.yaml:9:42: links.l.impair.a.queue: expected a size, got 64; add a unit: b, kb or mb "
	  "(bytes)" },
	{ "{ a: { rate: 1mbit, queue: 0b } }",
	  "t.yaml:9:42: links.l.impair.a.queue: 0b is out of range (1b..1024mb)" },
	{ "{ a: { rate: 1mbit, burst: 2gb } }",
	  "t.yaml:9:42: links.l.impair.a.burst: expected a size (like 1500b, 64kb or 1mb), got "
	  "\"2gb\"" },
	{ "{ a: { delay: 50 } }",
	  "t.yaml:9:29: links.l.impair.a.delay: expected a duration, got \"50\"; write 50s or "
	  "50000ms" },
	{ "{ a: { delay: 50s, jitter: 20s } }",
	  "t.yaml:9:42: links.l.impair.a.jitter: delay 50s + jitter 20s is above 60s" },
	{ "{ a: {} }",
	  "t.yaml:9:20: links.l.impair.a: no impairment given; set delay, jitter, loss, reorder, "
	  "duplicate or rate" },
	{ "{ a: ~ }", "t.yaml:9:20: links.l.impair.a: expected a mapping, got nothing (null)" },
	{ "{ a: [1] }", "t.yaml:9:20: links.l.impair.a: expected a mapping, got a list" },
	{ "{}", "t.yaml:9:15: links.l.impair: give a, b or both: what end a and end b send" },
	{ "{ seed: 1 }",
	  "t.yaml:9:15: links.l.impair: give a, b or both: what end a and end b send" },
	{ "~", "t.yaml:9:15: links.l.impair: expected a mapping, got nothing (null)" },
	{ "{ a: { delay: 1ms }, seed: -1 }",
	  "t.yaml:9:42: links.l.impair.seed: expected an integer, got \"-1\"" },
};

START_TEST(errors)
{
	char yaml[1024];
	struct topo_plan p = { 0 };
	struct icl_err e = { 0 };
	int rc;

	snprintf(yaml, sizeof(yaml), HEAD "      impair: %s\n", bad[_i].impair);
	rc = scn_load_topology_buf("t.yaml", yaml, strlen(yaml), &p, &e);
	ck_assert_msg(rc == ICL_EINPUT, "rc %d for %s", rc, bad[_i].impair);
	ck_assert_str_eq(e.msg, bad[_i].msg);
	topo_plan_free(&p);
}
END_TEST

Suite *impair_yaml_suite(void)
{
	Suite *s = suite_create("impair_yaml");
	TCase *tc = tcase_create("impair_yaml");

	tcase_add_test(tc, every_key);
	tcase_add_test(tc, one_direction_no_seed);
	tcase_add_test(tc, matrix_values);
	tcase_add_loop_test(tc, errors, 0, N(bad));
	suite_add_tcase(s, tc);
	return s;
}
