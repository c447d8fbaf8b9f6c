/* test_turn_yaml.c - the `turn:` node element: loading and its errors.
 *
 * Messages are compared whole ("FILE:LINE:COL: FIELD: reason"): they are
 * the user interface of a scenario file. */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <sys/socket.h>

#include "../../harness/scenario.h"
#include "../../netns/plan.h"
#include "suites.h"

/* Line 5 is the first line of TURN (indented 8). */
#define YAML(TURN) \
	"topology:\n" \
	"  nodes:\n" \
	"    client:\n" \
	"    stun:\n" \
	TURN \
	"  links:\n" \
	"    wan:\n" \
	"      a: { node: client, ipv4: 203.0.113.2/24 }\n" \
	"      b: { node: stun, ipv4: 203.0.113.5/24, ipv6: '2001:db8:5::5/64' }\n"

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

static void assert_addr(const struct topo_turn_addr *a, int family, const char *text)
{
	unsigned char want[16] = {0};

	ck_assert_int_eq(a->family, family);
	inet_pton(family, text, want);
	ck_assert_mem_eq(a->addr, want, family == AF_INET ? 4 : 16);
}

START_TEST(test_turn_defaults)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};
	const struct topo_turn *t;

	ck_assert_msg(load(YAML("      turn:\n"), &p, &e) == 0, "%s", e.msg);
	t = topo_plan_node(&p, "stun")->turn;
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->n_listen, 0);
	ck_assert_uint_eq(t->n_relay, 0);
	ck_assert_uint_eq(t->n_users, 0);
	ck_assert_str_eq(t->realm, "");
	ck_assert_ptr_null(topo_plan_node(&p, "client")->turn);
	topo_plan_free(&p);
}
END_TEST

START_TEST(test_turn_full)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};
	const struct topo_turn *t;
	const char *y = YAML("      turn:\n"
			     "        listen: [203.0.113.5, '2001:db8:5::5']\n"
			     "        relay: '2001:db8:5::5'\n"
			     "        users: { alice: secret, bob: 'p:w' }\n"
			     "        realm: example.test\n");

	ck_assert_msg(load(y, &p, &e) == 0, "%s", e.msg);
	t = topo_plan_node(&p, "stun")->turn;
	ck_assert_uint_eq(t->n_listen, 2);
	assert_addr(&t->listen[0], AF_INET, "203.0.113.5");
	assert_addr(&t->listen[1], AF_INET6, "2001:db8:5::5");
	ck_assert_uint_eq(t->listen[1].src.line, 6);
	ck_assert_uint_eq(t->n_relay, 1);
	assert_addr(&t->relay[0], AF_INET6, "2001:db8:5::5");
	ck_assert_uint_eq(t->n_users, 2);
	ck_assert_str_eq(t->users[0].name, "alice");
	ck_assert_str_eq(t->users[0].password, "secret");
	ck_assert_str_eq(t->users[1].name, "bob");
	ck_assert_str_eq(t->users[1].password, "p:w");
	ck_assert_str_eq(t->realm, "example.test");
	topo_plan_free(&p);
}
END_TEST

static const char *const bad[][2] = {
	{YAML("      turn: { port: 3478 }\n"), ""},
	{YAML("      turn: { listen: 203.0.113.9 }\n"),
	 "t.yaml:5:23: nodes.stun.turn.listen[0]: 203.0.113.9 is not an address of node stun"},
	{YAML("      turn: { relay: [203.0.113.5, 203.0.113.5] }\n"),
	 "t.yaml:5:36: nodes.stun.turn.relay[1]: 203.0.113.5 is listed twice"},
	{YAML("      turn: { listen: 203.0.113.0/24 }\n"), ""},
	{YAML("      turn: { users: { 'a:b': c } }\n"),
	 "t.yaml:5:24: nodes.stun.turn.users: name may not contain ':', spaces, quotes, '#' or "
	 "control characters"},
	{YAML("      turn: { users: { a: 'x y' } }\n"),
	 "t.yaml:5:24: nodes.stun.turn.users.a: password may not contain spaces, quotes, '#' or "
	 "control characters"},
	{YAML("      turn: { users: {} }\n"), ""},
	{YAML("      turn: [ ]\n"), ""},
};

START_TEST(test_turn_errors)
{
	struct topo_plan p = {0};
	struct icl_err e = {0};

	if (bad[_i][1][0] != '\0') {
		assert_error(bad[_i][0], bad[_i][1]);
		return;
	}
	/* Type errors: only the position and field are ours to check. */
	ck_assert_int_eq(load(bad[_i][0], &p, &e), ICL_EINPUT);
	ck_assert_msg(strncmp(e.msg, "t.yaml:5:", 9) == 0 && strstr(e.msg, "nodes.stun.turn"),
		      "%s", e.msg);
	topo_plan_free(&p);
}
END_TEST

Suite *turn_yaml_suite(void)
{
	Suite *s = suite_create("turn_yaml");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_turn_defaults);
	tcase_add_test(tc, test_turn_full);
	tcase_add_loop_test(tc, test_turn_errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return s;
}
