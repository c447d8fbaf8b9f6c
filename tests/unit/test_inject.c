/* test_inject.c - the forged requests of `inject` actions (harness/inject.h):
 * where they are aimed, what USERNAME they claim, and their bytes, decoded
 * back with the agents' codec as the attacked agent would. */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include <jansson.h>

#include "../../agents/stun.h"
#include "../../harness/inject.h"
#include "suites.h"

static const char timeline[] =
	"[{\"t\":1,\"agent\":\"server\",\"event\":{\"event\":\"local-description\",\"ufrag\":\"SRVu\"}},"
	"{\"t\":2,\"agent\":\"client\",\"event\":{\"event\":\"local-description\",\"ufrag\":\"CLIu\"}},"
	"{\"t\":3,\"agent\":\"server\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:1 1 udp 2130706431 2001:db8::10 40001 typ host\"}},"
	"{\"t\":4,\"agent\":\"server\",\"event\":{\"event\":\"local-candidate\",\"candidate\":"
	"\"candidate:2 1 udp 2130706175 203.0.113.10 40000 typ host\"}},"
	"{\"t\":9,\"agent\":\"server\",\"event\":{\"event\":\"selected-pair\",\"local\":"
	"\"[2001:db8::10]:40001\",\"remote\":\"[2001:db8::2]:5000\",\"family\":\"ipv6\"}}]";

static void assert_target(json_t *tl, int family, const char *want)
{
	struct sockaddr_storage a;
	struct icl_err err;
	socklen_t len;
	char got[64];

	ck_assert_int_eq(inject_target(tl, "server", family, &a, &len, &err), 0);
	inject_addr_str(&a, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

START_TEST(test_target)
{
	json_t *tl = json_loads(timeline, 0, NULL);
	struct sockaddr_storage a;
	struct icl_err err;
	socklen_t len;

	ck_assert_ptr_nonnull(tl);
	/* The selected pair's local for its family, else the first host candidate. */
	assert_target(tl, AF_INET6, "[2001:db8::10]:40001");
	assert_target(tl, AF_INET, "203.0.113.10:40000");
	ck_assert_int_eq(inject_target(tl, "client", AF_INET, &a, &len, &err), ICL_EINPUT);
	ck_assert_str_eq(err.msg, "agent client has announced no IPv4 address to aim at (no "
			 "selected pair, no host candidate of that family)");
	json_decref(tl);
}
END_TEST

START_TEST(test_username)
{
	json_t *tl = json_loads(timeline, 0, NULL);
	char u[64];

	inject_username(tl, "server", "client", true, u, sizeof(u));
	ck_assert_str_eq(u, "SRVu:CLIu");
	inject_username(tl, "server", "client", false, u, sizeof(u));
	ck_assert_str_eq(u, "attk:icelab");
	/* Sniffing needs both descriptions. */
	inject_username(tl, "server", "nobody", true, u, sizeof(u));
	ck_assert_str_eq(u, "attk:icelab");
	json_decref(tl);
}
END_TEST

/* Decoded as the attacked agent decodes it: well formed, FINGERPRINT
 * right, and the authentication exactly as wrong as asked. */
START_TEST(test_encode)
{
	struct inject_spec s = { .family = AF_INET, .use_candidate = true,
				 .integrity = INJECT_MI_WRONG };
	struct icl_err err;
	struct stun_msg m;
	uint8_t buf[512];
	int n = inject_encode(&s, "SRVu:CLIu", buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(stun_decode(buf, (size_t)n, &m, &err), 0);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_REQUEST);
	ck_assert(m.has & STUN_HAS_USE_CANDIDATE);
	ck_assert(m.has & STUN_HAS_CONTROLLING);
	ck_assert(m.has & STUN_HAS_PRIORITY);
	ck_assert(m.has & STUN_HAS_FINGERPRINT);
	ck_assert(m.has & STUN_HAS_INTEGRITY);
	ck_assert_int_eq(m.username.len, 9);
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"realpassword0123456789",
					      22, &err), ICL_EINPUT);
	s.integrity = INJECT_MI_NONE;
	s.use_candidate = false;
	n = inject_encode(&s, "x:y", buf, sizeof(buf));
	ck_assert_int_eq(stun_decode(buf, (size_t)n, &m, &err), 0);
	ck_assert(!(m.has & (STUN_HAS_INTEGRITY | STUN_HAS_USE_CANDIDATE)));
	ck_assert_int_lt(inject_encode(&s, "x:y", buf, 20), 0);
}
END_TEST

START_TEST(test_answer_code)
{
	uint8_t txid[STUN_TXID_SIZE] = { 1 }, buf[128];
	struct stun_writer w;
	int n;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, txid);
	stun_put_error(&w, 401, "Unauthenticated");
	stun_put_fingerprint(&w);
	n = stun_writer_end(&w);
	ck_assert_int_eq(inject_answer_code(buf, (size_t)n), 401);
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, txid);
	n = stun_writer_end(&w);
	ck_assert_int_eq(inject_answer_code(buf, (size_t)n), 0);
	ck_assert_int_eq(inject_answer_code((const uint8_t *)"hello", 5), -1);
}
END_TEST

Suite *inject_suite(void)
{
	Suite *s = suite_create("inject");
	TCase *tc = tcase_create("inject");

	tcase_add_test(tc, test_target);
	tcase_add_test(tc, test_username);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_answer_code);
	suite_add_tcase(s, tc);
	return s;
}
