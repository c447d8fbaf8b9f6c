/* test_pref64.c - NAT64 prefixes (agents/pref64.c): RFC 6052's own
 * examples for every prefix length, and RFC 7050 discovery against DNS
 * answers built here byte by byte, good and malformed. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../agents/pref64.h"
#include "suites.h"

/* RFC 6052 2.4, the table of examples, and the Well-Known Prefix. */
static const struct {
	const char *prefix, *v4, *v6;
} rfc6052[] = {
	{ "2001:db8::/32", "192.0.2.33", "2001:db8:c000:221::" },
	{ "2001:db8:100::/40", "192.0.2.33", "2001:db8:1c0:2:21::" },
	{ "2001:db8:122::/48", "192.0.2.33", "2001:db8:122:c000:2:2100::" },
	{ "2001:db8:122:300::/56", "192.0.2.33", "2001:db8:122:3c0:0:221::" },
	{ "2001:db8:122:344::/64", "192.0.2.33", "2001:db8:122:344:c0:2:2100:0" },
	{ "2001:db8:122:344::/96", "192.0.2.33", "2001:db8:122:344::192.0.2.33" },
	{ "64:ff9b::/96", "192.0.2.33", "64:ff9b::192.0.2.33" },
};

static struct pref64 parse_ok(const char *s)
{
	struct icl_err e = { 0 };
	struct pref64 p;

	ck_assert_msg(pref64_parse(s, &p, &e) == 0, "%s: %s", s, e.msg);
	return p;
}

START_TEST(synth_rfc6052_examples)
{
	struct pref64 p = parse_ok(rfc6052[_i].prefix);
	uint8_t v4[4], want[16], got[16], back[4];

	ck_assert_int_eq(inet_pton(AF_INET, rfc6052[_i].v4, v4), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, rfc6052[_i].v6, want), 1);
	pref64_synth(&p, v4, got);
	ck_assert_msg(memcmp(got, want, 16) == 0, "%s + %s", rfc6052[_i].prefix, rfc6052[_i].v4);
	ck_assert(pref64_extract(&p, want, back));
	ck_assert(memcmp(back, v4, 4) == 0);
}
END_TEST

START_TEST(extract_outside_prefix)
{
	struct pref64 p = parse_ok("2001:db8:122:344::/64");
	uint8_t a[16], v4[4];

	inet_pton(AF_INET6, "2001:db8:122:345:c0:2:2100:0", a);   /* another /64 */
	ck_assert(!pref64_extract(&p, a, v4));
	inet_pton(AF_INET6, "2001:db8:122:344:ffc0:2:2100:0", a); /* u octet set */
	ck_assert(!pref64_extract(&p, a, v4));
}
END_TEST

START_TEST(format_round_trip)
{
	char s[PREF64_STRLEN];
	struct pref64 p = parse_ok("2001:DB8:64:0::/96");

	pref64_format(&p, s);
	ck_assert_str_eq(s, "2001:db8:64::/96");
}
END_TEST

static const struct {
	const char *in, *part;
} bad_prefixes[] = {
	{ "2001:db8:64::", "expected an IPv6 prefix" },
	{ "2001:db8:64::/80", "must be 32, 40, 48, 56, 64 or 96" },
	{ "2001:db8:64::/", "must be 32, 40, 48, 56, 64 or 96" },
	{ "2001:db8:64::/96x", "must be 32, 40, 48, 56, 64 or 96" },
	{ "192.0.2.0/24", "is not an IPv6 address" },
	{ "2001:db8::1/32", "bits after /32 must be zero" },
	{ "2001:db8:0:0:100::/96", "bits 64..71 must be zero" },
};

START_TEST(parse_refuses)
{
	struct icl_err e = { 0 };
	struct pref64 p;

	ck_assert_int_eq(pref64_parse(bad_prefixes[_i].in, &p, &e), ICL_EINPUT);
	ck_assert_msg(strstr(e.msg, bad_prefixes[_i].part) != NULL, "%s: got '%s'",
		      bad_prefixes[_i].in, e.msg);
}
END_TEST

/* RFC 6052 3.1: the WKP never embeds private IPv4; other prefixes may. */
START_TEST(wkp_refuses_private_ipv4)
{
	struct pref64 wkp = parse_ok("64:ff9b::/96"), nsp = parse_ok("2001:db8:64::/96");
	const uint8_t priv[4] = { 10, 1, 2, 3 }, shared[4] = { 100, 64, 0, 1 };
	const uint8_t doc[4] = { 203, 0, 113, 10 };

	ck_assert(!pref64_may_embed(&wkp, priv));
	ck_assert(!pref64_may_embed(&wkp, shared));
	ck_assert(pref64_may_embed(&wkp, doc));
	ck_assert(pref64_may_embed(&nsp, priv));
}
END_TEST

/* ---- DNS --------------------------------------------------------------- */

struct dns {
	uint8_t b[512];
	size_t len;
};

/* The query for ipv4only.arpa, turned into a response with `rcode`. */
static void response(struct dns *d, uint16_t id, int rcode)
{
	ck_assert_int_eq(pref64_query(id, d->b, sizeof(d->b), &d->len, NULL), 0);
	d->b[2] |= 0x80;                          /* QR */
	d->b[3] = (uint8_t)((d->b[3] & 0xf0) | rcode);
}

/* One answer record for the question's name (pointer to offset 12). */
static void answer(struct dns *d, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	uint8_t *p = d->b + d->len;

	ns_put16(0xc00c, p);
	ns_put16(type, p + 2);
	ns_put16(ns_c_in, p + 4);
	ns_put32(60, p + 6);
	ns_put16(rdlen, p + 10);
	memcpy(p + 12, rdata, rdlen);
	d->len += 12u + rdlen;
	ns_put16((uint16_t)(ns_get16(d->b + 6) + 1), d->b + 6);   /* ANCOUNT */
}

static void answer_wka(struct dns *d, const struct pref64 *p, uint8_t last)
{
	const uint8_t wka[4] = { 192, 0, 0, last };
	uint8_t v6[16];

	pref64_synth(p, wka, v6);
	answer(d, ns_t_aaaa, v6, 16);
}

START_TEST(query_is_aaaa_ipv4only_arpa)
{
	struct dns d;
	ns_msg m;
	ns_rr rr;

	ck_assert_int_eq(pref64_query(0x1234, d.b, sizeof(d.b), &d.len, NULL), 0);
	ck_assert_int_eq(ns_initparse(d.b, (int)d.len, &m), 0);
	ck_assert_uint_eq(ns_msg_id(m), 0x1234);
	ck_assert(!ns_msg_getflag(m, ns_f_qr));
	ck_assert(ns_msg_getflag(m, ns_f_rd));
	ck_assert_int_eq(ns_msg_count(m, ns_s_qd), 1);
	ck_assert_int_eq(ns_parserr(&m, ns_s_qd, 0, &rr), 0);
	ck_assert_str_eq(ns_rr_name(rr), "ipv4only.arpa");
	ck_assert_int_eq(ns_rr_type(rr), ns_t_aaaa);
	ck_assert_int_lt(pref64_query(1, d.b, 8, &d.len, NULL), 0);   /* no room */
}
END_TEST

/* A DNS64 with each prefix of the RFC 6052 table: the prefix comes back. */
START_TEST(discovers_every_length)
{
	struct pref64 want = parse_ok(rfc6052[_i].prefix), got;
	struct icl_err e = { 0 };
	struct dns d;

	response(&d, 77, ns_r_noerror);
	answer_wka(&d, &want, 170);
	answer_wka(&d, &want, 171);
	ck_assert_msg(pref64_parse_answer(d.b, d.len, 77, &got, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(got.plen, want.plen);
	ck_assert(memcmp(got.addr, want.addr, 16) == 0);
}
END_TEST

/* 2001:db8:c000:aa::/64 + 192.0.0.170 also reads as 2001:db8::/32 +
 * 192.0.0.170; both records agree on /64, which wins (longest first). */
START_TEST(ambiguous_position)
{
	struct pref64 want = parse_ok("2001:db8:c000:aa::/64"), got;
	struct dns d;

	response(&d, 9, ns_r_noerror);
	answer_wka(&d, &want, 170);
	answer_wka(&d, &want, 171);
	ck_assert_int_eq(pref64_parse_answer(d.b, d.len, 9, &got, NULL), 0);
	ck_assert_uint_eq(got.plen, 64);
	ck_assert(memcmp(got.addr, want.addr, 16) == 0);
}
END_TEST

/* A CNAME before the AAAA (some resolvers chain) is skipped. */
START_TEST(skips_other_records)
{
	struct pref64 want = parse_ok("2001:db8:64::/96"), got;
	const uint8_t cname[2] = { 0xc0, 0x0c };
	struct dns d;

	response(&d, 5, ns_r_noerror);
	answer(&d, ns_t_cname, cname, 2);
	answer_wka(&d, &want, 171);
	ck_assert_int_eq(pref64_parse_answer(d.b, d.len, 5, &got, NULL), 0);
	ck_assert_uint_eq(got.plen, 96);
}
END_TEST

enum bad_kind { BAD_TRUNCATED, BAD_WRONG_TYPE, BAD_NO_ANSWER, BAD_NXDOMAIN, BAD_REFUSED,
		BAD_OTHER_ID, BAD_NOT_RESPONSE,
		BAD_NO_WKA, BAD_GARBAGE, BAD_TC_SET };

static const struct {
	enum bad_kind kind;
	const char *part;
} bad_answers[] = {
	{ BAD_TRUNCATED, "not a DNS message, or truncated" },
	{ BAD_WRONG_TYPE, "no AAAA record in the answer (1 records)" },
	{ BAD_NO_ANSWER, "no AAAA record in the answer (0 records)" },
	{ BAD_NXDOMAIN, "NXDOMAIN: the resolver does not know ipv4only.arpa" },
	{ BAD_REFUSED, "rcode 5 (REFUSED)" },
	{ BAD_OTHER_ID, "answer with ID 43, expected 42" },
	{ BAD_NOT_RESPONSE, "a query, not a response" },
	{ BAD_NO_WKA, "no AAAA record embeds 192.0.0.170 or 192.0.0.171" },
	{ BAD_GARBAGE, "not a DNS message" },
	{ BAD_TC_SET, "truncated (TC set)" },
};

static void build_bad(struct dns *d, enum bad_kind k)
{
	struct pref64 p = parse_ok("2001:db8:64::/96");
	const uint8_t a[4] = { 192, 0, 0, 170 };
	uint8_t other[16];

	response(d, k == BAD_OTHER_ID ? 43 : 42,
		 k == BAD_NXDOMAIN ? ns_r_nxdomain : k == BAD_REFUSED ? ns_r_refused : ns_r_noerror);
	if (k == BAD_WRONG_TYPE)
		answer(d, ns_t_a, a, 4);
	else if (k == BAD_NO_WKA)
		answer(d, ns_t_aaaa, (inet_pton(AF_INET6, "2001:db8::1", other), other), 16);
	else if (k != BAD_NO_ANSWER)
		answer_wka(d, &p, 170);
	if (k == BAD_TRUNCATED)
		d->len -= 7;                      /* cut inside the AAAA's rdata */
	if (k == BAD_NOT_RESPONSE)
		d->b[2] &= 0x7f;
	if (k == BAD_TC_SET)
		d->b[2] |= 0x02;
	if (k == BAD_GARBAGE)
		d->len = 5;
}

START_TEST(malformed_answers_are_refused)
{
	struct icl_err e = { 0 };
	struct pref64 got;
	struct dns d;

	build_bad(&d, bad_answers[_i].kind);
	ck_assert_int_lt(pref64_parse_answer(d.b, d.len, 42, &got, &e), 0);
	ck_assert_msg(strstr(e.msg, bad_answers[_i].part) != NULL, "case %d: got '%s'", _i, e.msg);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *pref64_suite(void)
{
	Suite *s = suite_create("pref64");
	TCase *addr = tcase_create("rfc6052"), *dns = tcase_create("rfc7050");

	tcase_add_loop_test(addr, synth_rfc6052_examples, 0, N(rfc6052));
	tcase_add_test(addr, extract_outside_prefix);
	tcase_add_test(addr, format_round_trip);
	tcase_add_loop_test(addr, parse_refuses, 0, N(bad_prefixes));
	tcase_add_test(addr, wkp_refuses_private_ipv4);
	tcase_add_test(dns, query_is_aaaa_ipv4only_arpa);
	tcase_add_loop_test(dns, discovers_every_length, 0, N(rfc6052));
	tcase_add_test(dns, ambiguous_position);
	tcase_add_test(dns, skips_other_records);
	tcase_add_loop_test(dns, malformed_answers_are_refused, 0, N(bad_answers));
	suite_add_tcase(s, addr);
	suite_add_tcase(s, dns);
	return s;
}
