/* test_cand.c - candidate priorities, address policy and RFC 8839 syntax.
 *
 * Every expected number is written out (not recomputed with the formula
 * under test), so a wrong shift or a swapped argument fails here.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../agents/cand.h"
#include "suites.h"

static union stun_addr A(const char *ip, unsigned port)
{
	union stun_addr a;
	struct icl_err err;

	ck_assert_msg(stun_addr_parse(ip, port, &a, &err) == 0, "%s: %s", ip, err.msg);
	return a;
}

START_TEST(test_priority)
{
	ck_assert_uint_eq(cand_priority(CAND_HOST, 65535, 1), 2130706431u);
	ck_assert_uint_eq(cand_priority(CAND_HOST, 65535, 2), 2130706430u);
	ck_assert_uint_eq(cand_priority(CAND_PRFLX, 65535, 1), 1862270975u);
	ck_assert_uint_eq(cand_priority(CAND_SRFLX, 65535, 1), 1694498815u);
	ck_assert_uint_eq(cand_priority(CAND_RELAY, 65535, 1), 16777215u);
	ck_assert_uint_eq(cand_priority(CAND_HOST, 0, 1), 2113929471u);
	ck_assert_uint_eq(cand_priority(CAND_HOST, 65534, 1), 2130706175u);
}
END_TEST

START_TEST(test_pair_priority)
{
	/* 2^32*MIN + 2*MAX + (G>D ? 1 : 0). */
	ck_assert_uint_eq(cand_pair_priority(1, 2), 4294967300ull);
	ck_assert_uint_eq(cand_pair_priority(2, 1), 4294967301ull);
	ck_assert_uint_eq(cand_pair_priority(5, 5), 21474836490ull);
	ck_assert_uint_eq(cand_pair_priority(2130706431u, 1694498815u),
			  7277816997797167103ull);
	ck_assert_uint_eq(cand_pair_priority(1694498815u, 2130706431u),
			  7277816997797167102ull);
	/* The MIN dominates: a higher MAX never beats a higher MIN. */
	ck_assert(cand_pair_priority(3, 3) > cand_pair_priority(2, 0x7fffffff));
}
END_TEST

START_TEST(test_precedence)
{
	static const struct { const char *ip; unsigned prec; } t[] = {
		{ "::1", 50 },            { "2001:db8::1", 40 },  { "192.0.2.1", 35 },
		{ "::ffff:192.0.2.1", 35 }, { "2002:c000:201::1", 30 }, { "2001::1", 5 },
		{ "2001:0:ffff::1", 5 },  { "fd00::1", 3 },       { "fc12::1", 3 },
		{ "::192.0.2.1", 1 },     { "fec0::1", 1 },       { "3ffe::1", 1 },
		{ "2003::1", 40 },        { "fe80::1", 40 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		union stun_addr a = A(t[i].ip, 1);

		ck_assert_msg(cand_precedence(&a) == t[i].prec, "%s: %u, expected %u", t[i].ip,
			      cand_precedence(&a), t[i].prec);
	}
}
END_TEST

static void check_prefs(const char *const *ips, size_t n, const uint16_t *want)
{
	union stun_addr a[8];
	uint16_t got[8];

	memset(a, 0, sizeof(a));
	for (size_t i = 0; i < n; i++)
		a[i] = A(ips[i], 1000);
	cand_local_prefs(a, n, got);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "%s: %u, expected %u", ips[i], got[i], want[i]);
}

START_TEST(test_local_prefs_interleaved)
{
	static const char *const a[] = { "2001:db8::1", "192.0.2.1", "fd00::1" };
	static const uint16_t wa[] = { 65535, 65534, 65533 };
	/* Same set, other input order: the output follows the addresses. */
	static const char *const b[] = { "fd00::1", "192.0.2.1", "2001:db8::1" };
	static const uint16_t wb[] = { 65533, 65534, 65535 };
	/* Two of each: v6, v4, v6, v4, not v6, v6, v4, v4. */
	static const char *const c[] = { "192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2" };
	static const uint16_t wc[] = { 65534, 65532, 65535, 65533 };
	/* ULA (3) ranks below IPv4 (35), so IPv4 leads. */
	static const char *const d[] = { "fd00::1", "192.0.2.1" };
	static const uint16_t wd[] = { 65534, 65535 };
	/* Three v6 and one v4: the v4 comes second, the rest trail. */
	static const char *const e[] = { "2001:db8::1", "2001:db8::2", "2001:db8::3", "192.0.2.9" };
	static const uint16_t we[] = { 65535, 65533, 65532, 65534 };

	/* Mixed input order, two global v6, one ULA, two v4. */
	static const char *const f[] = { "192.0.2.1", "fd00::1", "192.0.2.2", "2001:db8::1",
					 "2001:db8::2" };
	static const uint16_t wf[] = { 65534, 65531, 65532, 65535, 65533 };

	check_prefs(a, 3, wa);
	check_prefs(b, 3, wb);
	check_prefs(f, 5, wf);
	check_prefs(c, 4, wc);
	check_prefs(d, 2, wd);
	check_prefs(e, 4, we);
}
END_TEST

START_TEST(test_local_prefs_one_family)
{
	static const char *const a[] = { "192.0.2.1" };
	static const uint16_t wa[] = { 65535 };
	static const char *const b[] = { "192.0.2.1", "198.51.100.1" };
	static const uint16_t wb[] = { 65535, 65534 };
	static const char *const c[] = { "fd00::1", "2001:db8::1" };
	static const uint16_t wc[] = { 65534, 65535 };

	check_prefs(a, 1, wa);
	check_prefs(b, 2, wb);
	check_prefs(c, 2, wc);
}
END_TEST

START_TEST(test_addr_usable)
{
	static const struct { const char *ip; bool ok; } t[] = {
		{ "192.0.2.1", true },   { "10.0.0.1", true },     { "2001:db8::1", true },
		{ "fd00::1", true },     { "127.0.0.1", false },   { "127.1.2.3", false },
		{ "0.0.0.0", false },    { "169.254.1.1", false }, { "224.0.0.1", false },
		{ "::1", false },        { "::", false },          { "::ffff:192.0.2.1", false },
		{ "::192.0.2.1", false }, { "fec0::1", false },    { "feff::1", false },
		{ "fe80::1", false },    { "febf::1", false },     { "ff02::1", false },
		{ "fe7f::1", true },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		union stun_addr a = A(t[i].ip, 1);

		ck_assert_msg(cand_addr_usable(&a) == t[i].ok, "%s", t[i].ip);
	}
	union stun_addr none;

	memset(&none, 0, sizeof(none));
	ck_assert(!cand_addr_usable(&none));
}
END_TEST

START_TEST(test_pairable)
{
	union stun_addr v4 = A("192.0.2.1", 1), v4b = A("198.51.100.1", 2);
	union stun_addr v6 = A("2001:db8::1", 1), v6b = A("2001:db8::2", 2);
	union stun_addr ll = A("fe80::1", 1), llb = A("fe80::2", 2);

	ck_assert(cand_pairable(&v4, &v4b));
	ck_assert(cand_pairable(&v6, &v6b));
	ck_assert(!cand_pairable(&v4, &v6));
	ck_assert(!cand_pairable(&v6, &v4));
	ck_assert(cand_pairable(&ll, &llb));
	ck_assert(!cand_pairable(&ll, &v6));
	ck_assert(!cand_pairable(&v6, &ll));
}
END_TEST

static bool ice_chars_only(const char *s)
{
	return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")] ==
	       '\0';
}

START_TEST(test_foundation)
{
	union stun_addr a1 = A("192.0.2.1", 1000), a1p = A("192.0.2.1", 2000);
	union stun_addr a2 = A("192.0.2.2", 1000), v6 = A("2001:db8::1", 1000);
	union stun_addr s1 = A("2001:db8::53", 3478), s2 = A("2001:db8::54", 3478);
	char f[6][CAND_FOUNDATION_MAX];

	cand_foundation(CAND_HOST, &a1, NULL, f[0]);
	cand_foundation(CAND_HOST, &a1p, NULL, f[1]);
	cand_foundation(CAND_HOST, &a2, NULL, f[2]);
	cand_foundation(CAND_SRFLX, &a1, NULL, f[3]);
	cand_foundation(CAND_SRFLX, &v6, &s1, f[4]);
	cand_foundation(CAND_SRFLX, &v6, &s2, f[5]);
	ck_assert_str_eq(f[0], f[1]);   /* the port does not matter */
	ck_assert_str_ne(f[0], f[2]);   /* the IP does */
	ck_assert_str_ne(f[0], f[3]);   /* and the type */
	ck_assert_str_ne(f[4], f[5]);   /* and the server */
	for (int i = 0; i < 6; i++) {
		ck_assert(strlen(f[i]) >= 1 && strlen(f[i]) <= 32);
		ck_assert_msg(ice_chars_only(f[i]), "%s", f[i]);
	}
	cand_foundation(CAND_SRFLX, &v6, &s1, f[1]);
	ck_assert_str_eq(f[1], f[4]);
}
END_TEST

static void round_trip(const char *in, const char *canonical)
{
	struct cand c;
	struct icl_err err = { 0, "" };
	char out[256];

	ck_assert_msg(cand_parse(in, &c, &err) == 0, "%s: %s", in, err.msg);
	ck_assert_int_eq(cand_format(&c, out, sizeof(out)), (int)strlen(canonical));
	ck_assert_str_eq(out, canonical);
}

START_TEST(test_parse_format)
{
	struct cand c;
	struct icl_err err;
	char ip[CAND_ADDR_STRLEN];

	round_trip("candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
		   "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host");
	round_trip("a=candidate:Zx+/9 1 UDP 2130706175 2001:db8::1 5001 typ host generation 0",
		   "candidate:Zx+/9 1 udp 2130706175 2001:db8::1 5001 typ host");
	round_trip("candidate:3 1 udp 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 "
		   "rport 5000 network-id 1",
		   "candidate:3 1 udp 1694498815 203.0.113.7 40000 typ srflx raddr 10.0.0.2 "
		   "rport 5000");
	round_trip("4 1 udp 1 2001:db8::7 9 typ prflx",
		   "candidate:4 1 udp 1 2001:db8::7 9 typ prflx");

	ck_assert_int_eq(cand_parse("candidate:3 1 udp 1694498815 203.0.113.7 40000 typ srflx "
				    "raddr 10.0.0.2 rport 5000", &c, &err), 0);
	ck_assert_int_eq(c.type, CAND_SRFLX);
	ck_assert_uint_eq(c.component, 1);
	ck_assert_uint_eq(c.priority, 1694498815u);
	ck_assert_str_eq(c.foundation, "3");
	stun_addr_str(&c.addr, ip);
	ck_assert_str_eq(ip, "203.0.113.7:40000");
	stun_addr_str(&c.related, ip);
	ck_assert_str_eq(ip, "10.0.0.2:5000");

	ck_assert_int_eq(cand_parse("candidate:1 1 udp 2130706431 2001:db8::1 5000 typ host",
				    &c, &err), 0);
	ck_assert_int_eq(c.related.sa.sa_family, AF_UNSPEC);
	stun_addr_str(&c.addr, ip);
	ck_assert_str_eq(ip, "[2001:db8::1]:5000");
	ck_assert_int_eq(cand_format(&c, ip, 10), -ENOSPC);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const struct { const char *s, *field; } t[] = {
		{ "", "foundation" },
		{ "candidate:1", "component-id" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 5000", "typ" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ", "cand-type" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1", "port" },
		{ "candidate:1 1 udp abc 192.0.2.1 5000 typ host", "priority" },
		{ "candidate:1 1 udp 12x 192.0.2.1 5000 typ host", "priority" },
		{ "candidate:1 1 udp 0 192.0.2.1 5000 typ host", "priority" },
		{ "candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 0 typ host", "port" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 65536 typ host", "port" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 -1 typ host", "port" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 http typ host", "port" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ bogus", "cand-type" },
		{ "candidate:1 1 udp 2130706431 192.0.2.1 5000 type host", "typ" },
		{ "candidate:1 1 tcp 2130706431 192.0.2.1 5000 typ host", "transport" },
		{ "candidate:1 1 udp 2130706431 192.0.2.300 5000 typ host", "connection-address" },
		{ "candidate:1 1 udp 2130706431 host.example 5000 typ host", "connection-address" },
		{ "candidate:1 0 udp 2130706431 192.0.2.1 5000 typ host", "component-id" },
		{ "candidate:1 x udp 2130706431 192.0.2.1 5000 typ host", "component-id" },
		{ "candidate:a=b 1 udp 2130706431 192.0.2.1 5000 typ host", "foundation" },
		{ "candidate:1 1 udp 1694498815 203.0.113.7 4000 typ srflx raddr 10.0.0.2", "rport" },
		{ "candidate:1 1 udp 1694498815 203.0.113.7 4000 typ srflx rport 5", "raddr" },
		{ "candidate:1 1 udp 1694498815 203.0.113.7 4000 typ srflx raddr x rport 5", "raddr" },
		{ "candidate:1 1 udp 1694498815 203.0.113.7 4000 typ srflx raddr 10.0.0.2 rport x",
		  "rport" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cand c;
		struct icl_err err = { 0, "" };
		char want[64];

		snprintf(want, sizeof(want), "candidate: %s:", t[i].field);
		ck_assert_msg(cand_parse(t[i].s, &c, &err) == ICL_EINPUT, "accepted: %s", t[i].s);
		ck_assert_msg(strstr(err.msg, want) != NULL, "'%s': '%s' does not name %s", t[i].s,
			      err.msg, t[i].field);
	}
}
END_TEST

START_TEST(test_addr_helpers)
{
	union stun_addr a = A("192.0.2.1", 5000), b = A("192.0.2.1", 5001);
	union stun_addr c = A("2001:db8::1", 5000), d;
	struct icl_err err;
	char s[CAND_ADDR_STRLEN];

	ck_assert(stun_addr_same_ip(&a, &b));
	ck_assert(!stun_addr_equal(&a, &b));
	ck_assert(!stun_addr_same_ip(&a, &c));
	b = A("192.0.2.1", 5000);
	ck_assert(stun_addr_equal(&a, &b));
	stun_addr_str(&c, s);
	ck_assert_str_eq(s, "[2001:db8::1]:5000");
	ck_assert_int_eq(stun_addr_parse("192.0.2.1", 70000, &d, &err), ICL_EINPUT);
	ck_assert_int_eq(stun_addr_parse("nope", 1, &d, &err), ICL_EINPUT);
	ck_assert_str_eq(cand_type_name(CAND_SRFLX), "srflx");
}
END_TEST

Suite *cand_suite(void)
{
	Suite *s = suite_create("cand");
	TCase *tc = tcase_create("cand");

	tcase_add_test(tc, test_priority);
	tcase_add_test(tc, test_pair_priority);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_local_prefs_interleaved);
	tcase_add_test(tc, test_local_prefs_one_family);
	tcase_add_test(tc, test_addr_usable);
	tcase_add_test(tc, test_pairable);
	tcase_add_test(tc, test_foundation);
	tcase_add_test(tc, test_parse_format);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_addr_helpers);
	suite_add_tcase(s, tc);
	return s;
}
