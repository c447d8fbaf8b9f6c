/* test_stun.c - the STUN codec (agents/stun.c) and the retransmission
 * schedule (agents/stun_tx.c).
 *
 * The RFC 5769 vectors pin the byte layout from an outside source: each is
 * decoded field by field, its MESSAGE-INTEGRITY and FINGERPRINT checked,
 * and rebuilt with the writer byte for byte.  The malformed cases assert
 * on the reason text so that a decoder rejecting for the wrong cause
 * fails.  Everything runs under ASan in `make check`, which is what makes
 * the truncation sweeps meaningful: each input sits in a heap block of
 * exactly its size.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/stun.h"
#include "../../agents/stun_tx.h"
#include "suites.h"

/* ---- RFC 5769 test vectors (section 2), bytes as printed there ---------- */

static const char short_term_pw[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* 2.1 Sample Request */
static const uint8_t rfc_req[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x10,                         /* SOFTWARE */
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
	0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74,
	0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, /* PRIORITY */
	0x80, 0x29, 0x00, 0x08,                         /* ICE-CONTROLLED */
	0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09,                         /* USERNAME */
	0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20,
	0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
	0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
	0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
	0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf, /* FINGERPRINT */
};

/* 2.2 Sample IPv4 Response */
static const uint8_t rfc_resp4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b,                         /* SOFTWARE */
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08,                         /* XOR-MAPPED-ADDRESS */
	0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
	0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74,
	0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96, /* FINGERPRINT */
};

/* 2.3 Sample IPv6 Response */
static const uint8_t rfc_resp6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	0x80, 0x22, 0x00, 0x0b,                         /* SOFTWARE */
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14,                         /* XOR-MAPPED-ADDRESS */
	0x00, 0x02, 0xa1, 0x47,
	0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
	0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
	0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84,
	0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c, /* FINGERPRINT */
};

/* 2.4 Sample Request with Long-Term Authentication */
static const uint8_t rfc_req_lt[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42,
	0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
	0x00, 0x06, 0x00, 0x12,                         /* USERNAME */
	0xe3, 0x83, 0x9e, 0xe3, 0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3,
	0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9, 0x00, 0x00,
	0x00, 0x15, 0x00, 0x1c,                         /* NONCE */
	0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39, 0x35, 0x34, 0x64, 0x36,
	0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54, 0x76, 0x79,
	0x36, 0x34, 0x73, 0x41,
	0x00, 0x14, 0x00, 0x0b,                         /* REALM */
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00,
	0x00, 0x08, 0x00, 0x14,                         /* MESSAGE-INTEGRITY */
	0xf6, 0x70, 0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8,
	0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2, 0x8c, 0xa8, 0x96, 0x66,
};

/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8 */
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
static const char lt_realm[] = "example.org";
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const char lt_password[] = "TheMatrIX";

static const uint8_t *key_of(const char *s)
{
	return (const uint8_t *)s;
}

/* Decode a copy in a heap block of exactly len bytes, so that ASan sees
 * any read past the end. */
static int decode_exact(const uint8_t *buf, size_t len, struct stun_msg *msg,
			struct icl_err *err, uint8_t **copy)
{
	*copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(*copy);
	if (len)
		memcpy(*copy, buf, len);
	return stun_decode(*copy, len, msg, err);
}

static void assert_str(struct stun_str s, const char *want)
{
	ck_assert_uint_eq(s.len, strlen(want));
	ck_assert_mem_eq(s.ptr, want, s.len);
}

static void assert_v4(const union stun_addr *a, const char *ip, unsigned port)
{
	char text[INET_ADDRSTRLEN];

	ck_assert_int_eq(a->sa.sa_family, AF_INET);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET, &a->in.sin_addr, text, sizeof(text)));
	ck_assert_str_eq(text, ip);
	ck_assert_uint_eq(ntohs(a->in.sin_port), port);
}

static void assert_v6(const union stun_addr *a, const char *ip, unsigned port)
{
	char text[INET6_ADDRSTRLEN];

	ck_assert_int_eq(a->sa.sa_family, AF_INET6);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &a->in6.sin6_addr, text, sizeof(text)));
	ck_assert_str_eq(text, ip);
	ck_assert_uint_eq(ntohs(a->in6.sin6_port), port);
}

static union stun_addr mk_addr(int family, const char *ip, unsigned port)
{
	union stun_addr a;

	memset(&a, 0, sizeof(a));
	a.sa.sa_family = (sa_family_t)family;
	if (family == AF_INET) {
		ck_assert_int_eq(inet_pton(AF_INET, ip, &a.in.sin_addr), 1);
		a.in.sin_port = htons((uint16_t)port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.in6.sin6_addr), 1);
		a.in6.sin6_port = htons((uint16_t)port);
	}
	return a;
}

/* Integrity: right key passes, a key one byte off fails with a reason. */
static void assert_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
	struct icl_err err = { 0, "" };
	uint8_t wrong[64];

	ck_assert_uint_le(key_len, sizeof(wrong));
	ck_assert_msg(stun_check_integrity(m, key, key_len, &err) == 0, "%s", err.msg);
	memcpy(wrong, key, key_len);
	wrong[key_len - 1] ^= 1;
	ck_assert_int_eq(stun_check_integrity(m, wrong, key_len, &err), ICL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "MESSAGE-INTEGRITY"));
	ck_assert_int_eq(stun_check_integrity(m, key, key_len - 1, &err), ICL_EINPUT);
}

START_TEST(test_rfc5769_request)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	uint8_t *copy, out[256];

	ck_assert(stun_is_stun(rfc_req, sizeof(rfc_req)));
	ck_assert_msg(decode_exact(rfc_req, sizeof(rfc_req), &m, &err, &copy) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_REQUEST);
	ck_assert_mem_eq(m.txid, rfc_req + 8, STUN_TXID_SIZE);
	ck_assert_uint_eq(m.has, STUN_HAS_SOFTWARE | STUN_HAS_PRIORITY | STUN_HAS_CONTROLLED |
			  STUN_HAS_USERNAME | STUN_HAS_INTEGRITY | STUN_HAS_FINGERPRINT);
	assert_str(m.software, "STUN test client");
	assert_str(m.username, "evtj:h6vY");
	ck_assert_uint_eq(m.priority, 0x6e0001ff);
	ck_assert_uint_eq(m.tiebreaker, 0x932ff9b151263b36ull);
	ck_assert_uint_eq(m.integrity_off, 76);
	ck_assert_ptr_eq(m.raw, copy);
	ck_assert_uint_eq(m.raw_len, sizeof(rfc_req));
	ck_assert_uint_eq(m.n_unknown_required, 0);
	assert_integrity(&m, key_of(short_term_pw), strlen(short_term_pw));

	/* The vector pads with spaces; the writer can be told to. */
	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST, rfc_req + 8);
	w.pad = 0x20;
	stun_put_str(&w, STUN_A_SOFTWARE, "STUN test client");
	stun_put_u32(&w, STUN_A_PRIORITY, 0x6e0001ff);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_put_str(&w, STUN_A_USERNAME, "evtj:h6vY");
	stun_put_integrity(&w, key_of(short_term_pw), strlen(short_term_pw));
	stun_put_fingerprint(&w);
	ck_assert_int_eq(stun_writer_end(&w), (int)sizeof(rfc_req));
	ck_assert_mem_eq(out, rfc_req, sizeof(rfc_req));
	free(copy);
}
END_TEST

START_TEST(test_rfc5769_ipv4_response)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	union stun_addr a = mk_addr(AF_INET, "192.0.2.1", 32853);
	uint8_t *copy, out[256];

	ck_assert_msg(decode_exact(rfc_resp4, sizeof(rfc_resp4), &m, &err, &copy) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert_uint_eq(m.has, STUN_HAS_SOFTWARE | STUN_HAS_XOR_MAPPED |
			  STUN_HAS_INTEGRITY | STUN_HAS_FINGERPRINT);
	assert_str(m.software, "test vector");
	assert_v4(&m.xor_mapped, "192.0.2.1", 32853);
	ck_assert_uint_eq(m.integrity_off, 48);
	assert_integrity(&m, key_of(short_term_pw), strlen(short_term_pw));

	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS, rfc_resp4 + 8);
	w.pad = 0x20;
	stun_put_str(&w, STUN_A_SOFTWARE, "test vector");
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a);
	stun_put_integrity(&w, key_of(short_term_pw), strlen(short_term_pw));
	stun_put_fingerprint(&w);
	ck_assert_int_eq(stun_writer_end(&w), (int)sizeof(rfc_resp4));
	ck_assert_mem_eq(out, rfc_resp4, sizeof(rfc_resp4));
	free(copy);
}
END_TEST

START_TEST(test_rfc5769_ipv6_response)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	union stun_addr a = mk_addr(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	uint8_t *copy, out[256];

	ck_assert_msg(decode_exact(rfc_resp6, sizeof(rfc_resp6), &m, &err, &copy) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert_uint_eq(m.has, STUN_HAS_SOFTWARE | STUN_HAS_XOR_MAPPED |
			  STUN_HAS_INTEGRITY | STUN_HAS_FINGERPRINT);
	assert_str(m.software, "test vector");
	assert_v6(&m.xor_mapped, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	ck_assert_uint_eq(m.integrity_off, 60);
	assert_integrity(&m, key_of(short_term_pw), strlen(short_term_pw));

	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS, rfc_resp6 + 8);
	w.pad = 0x20;
	stun_put_str(&w, STUN_A_SOFTWARE, "test vector");
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a);
	stun_put_integrity(&w, key_of(short_term_pw), strlen(short_term_pw));
	stun_put_fingerprint(&w);
	ck_assert_int_eq(stun_writer_end(&w), (int)sizeof(rfc_resp6));
	ck_assert_mem_eq(out, rfc_resp6, sizeof(rfc_resp6));
	free(copy);
}
END_TEST

START_TEST(test_rfc5769_long_term)
{
	static const uint8_t want_key[16] = {
		0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
		0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
	};
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	uint8_t *copy, key[16], out[256];

	ck_assert_msg(decode_exact(rfc_req_lt, sizeof(rfc_req_lt), &m, &err, &copy) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_REQUEST);
	ck_assert_uint_eq(m.has, STUN_HAS_USERNAME | STUN_HAS_NONCE | STUN_HAS_REALM |
			  STUN_HAS_INTEGRITY);
	assert_str(m.username, lt_user);
	assert_str(m.nonce, lt_nonce);
	assert_str(m.realm, lt_realm);
	ck_assert_uint_eq(m.integrity_off, 92);

	stun_long_term_key(lt_user, lt_realm, lt_password, key);
	ck_assert_mem_eq(key, want_key, 16);
	assert_integrity(&m, key, sizeof(key));
	/* The short-term form of the same password is not the key. */
	ck_assert_int_eq(stun_check_integrity(&m, key_of(lt_password), strlen(lt_password), &err),
			 ICL_EINPUT);

	stun_writer_init(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST, rfc_req_lt + 8);
	stun_put_str(&w, STUN_A_USERNAME, lt_user);
	stun_put_str(&w, STUN_A_NONCE, lt_nonce);
	stun_put_str(&w, STUN_A_REALM, lt_realm);
	stun_put_integrity(&w, key, sizeof(key));
	ck_assert_int_eq(stun_writer_end(&w), (int)sizeof(rfc_req_lt));
	ck_assert_mem_eq(out, rfc_req_lt, sizeof(rfc_req_lt));
	free(copy);
}
END_TEST

START_TEST(test_is_stun)
{
	uint8_t b[sizeof(rfc_req)];

	ck_assert(stun_is_stun(rfc_resp6, sizeof(rfc_resp6)));
	ck_assert(!stun_is_stun(rfc_req, STUN_HEADER_SIZE - 1));
	ck_assert(!stun_is_stun(NULL, 0));
	memcpy(b, rfc_req, sizeof(b));
	b[0] = 0x16;                    /* a DTLS handshake record */
	ck_assert(!stun_is_stun(b, sizeof(b)));
	b[0] = 0x03;                    /* highest first byte STUN may have */
	ck_assert(stun_is_stun(b, sizeof(b)));
	b[7] ^= 1;
	ck_assert(!stun_is_stun(b, sizeof(b)));
}
END_TEST

/* ---- Malformed messages ------------------------------------------------- */

struct bad_case {
	const char *name;
	size_t (*build)(uint8_t *buf, size_t cap);
	const char *reason;             /* must appear in err.msg */
};

static const uint8_t test_txid[STUN_TXID_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static size_t copy_req(uint8_t *buf, size_t cap)
{
	ck_assert_uint_ge(cap, sizeof(rfc_req) + 8);
	memcpy(buf, rfc_req, sizeof(rfc_req));
	return sizeof(rfc_req);
}

static size_t bad_short(uint8_t *buf, size_t cap)
{
	copy_req(buf, cap);
	return STUN_HEADER_SIZE - 1;
}

/* Header and SOFTWARE, then PRIORITY's header with its value cut off; the
 * length field agrees with the datagram, so only the attribute is short. */
static size_t bad_truncated_attr(uint8_t *buf, size_t cap)
{
	copy_req(buf, cap);
	buf[3] = 24;
	return STUN_HEADER_SIZE + 24;
}

static size_t bad_overrun(uint8_t *buf, size_t cap)
{
	copy_req(buf, cap);
	buf[22] = 0x01;                 /* SOFTWARE length 0x0110 */
	return sizeof(rfc_req);
}

static size_t bad_len_mismatch(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	memset(buf + n, 0, 4);          /* four bytes the header does not count */
	return n + 4;
}

static size_t bad_len_mult4(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	buf[3] += 1;
	buf[n] = 0;
	return n + 1;
}

static size_t bad_top_bits(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	buf[0] |= 0x40;
	return n;
}

static size_t bad_cookie(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	buf[4] ^= 0x80;
	return n;
}

static size_t bad_fp_value(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	buf[n - 1] ^= 0x01;
	return n;
}

/* A bit flipped inside SOFTWARE: only the fingerprint can notice. */
static size_t bad_fp_content(uint8_t *buf, size_t cap)
{
	size_t n = copy_req(buf, cap);

	buf[30] ^= 0x01;
	return n;
}

static struct stun_writer start(uint8_t *buf, size_t cap)
{
	struct stun_writer w;

	stun_writer_init(&w, buf, cap, STUN_BINDING, STUN_REQUEST, test_txid);
	return w;
}

static size_t finish(struct stun_writer *w)
{
	int n = stun_writer_end(w);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

static size_t bad_after_fp(uint8_t *buf, size_t cap)
{
	struct stun_writer w = start(buf, cap);

	stun_put_fingerprint(&w);
	stun_put_u32(&w, STUN_A_PRIORITY, 1);
	return finish(&w);
}

static size_t after_mi(uint8_t *buf, size_t cap)
{
	struct stun_writer w = start(buf, cap);

	stun_put_integrity(&w, key_of("k"), 1);
	stun_put_u32(&w, STUN_A_PRIORITY, 1);
	return finish(&w);
}

static size_t two_mi(uint8_t *buf, size_t cap)
{
	struct stun_writer w = start(buf, cap);

	stun_put_integrity(&w, key_of("k"), 1);
	stun_put_integrity(&w, key_of("k"), 1);
	return finish(&w);
}

/* RFC 8489 14.5: what follows MESSAGE-INTEGRITY (except FINGERPRINT) is
 * ignored, not an error: PRIORITY after it must not be taken, a second
 * MESSAGE-INTEGRITY must not move the integrity offset. */
START_TEST(test_ignored_after_integrity)
{
	uint8_t buf[256];
	struct stun_msg m;
	struct icl_err e = {0};
	size_t n = after_mi(buf, sizeof(buf));

	ck_assert_int_eq(stun_decode(buf, n, &m, &e), 0);
	ck_assert(m.has & STUN_HAS_INTEGRITY);
	ck_assert(!(m.has & STUN_HAS_PRIORITY));
	ck_assert_int_eq(stun_check_integrity(&m, key_of("k"), 1, &e), 0);
	n = two_mi(buf, sizeof(buf));
	ck_assert_int_eq(stun_decode(buf, n, &m, &e), 0);
	ck_assert_uint_eq(m.integrity_off, STUN_HEADER_SIZE);
	ck_assert_int_eq(stun_check_integrity(&m, key_of("k"), 1, &e), 0);
}
END_TEST

/* One attribute with a raw value of n bytes (all `fill`). */
static size_t one_attr(uint8_t *buf, size_t cap, uint16_t type, size_t n, uint8_t fill)
{
	struct stun_writer w = start(buf, cap);
	uint8_t v[600];

	ck_assert_uint_le(n, sizeof(v));
	memset(v, fill, n);
	stun_put_bytes(&w, type, v, n);
	return finish(&w);
}

static size_t bad_xma_size(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_XOR_MAPPED_ADDRESS, 12, 0x01);
}

static size_t bad_xma_family(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_XOR_MAPPED_ADDRESS, 8, 0x03);
}

/* Family IPv4 in a 20-byte (IPv6-sized) value. */
static size_t bad_xma_v4_len20(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_XOR_MAPPED_ADDRESS, 20, 0x01);
}

static size_t bad_mapped_family(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_MAPPED_ADDRESS, 8, 0x00);
}

static size_t bad_priority(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_PRIORITY, 5, 0);
}

static size_t bad_controlling(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ICE_CONTROLLING, 4, 0);
}

static size_t bad_controlled(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ICE_CONTROLLED, 12, 0);
}

static size_t bad_fp_size(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_FINGERPRINT, 8, 0);
}

static size_t bad_mi_size(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_MESSAGE_INTEGRITY, 16, 0);
}

static size_t bad_use_candidate(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_USE_CANDIDATE, 4, 0);
}

static size_t bad_error_short(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ERROR_CODE, 3, 4);
}

static size_t bad_error_class(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ERROR_CODE, 4, 7);      /* class 7 */
}

static size_t bad_error_class2(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ERROR_CODE, 4, 2);      /* class 2 */
}

static size_t bad_error_number(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_ERROR_CODE, 4, 100);    /* 4 / 100 */
}

static size_t bad_username(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_USERNAME, 514, 'u');
}

static size_t bad_lifetime(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_LIFETIME, 8, 0);
}

static size_t bad_unknown_odd(uint8_t *buf, size_t cap)
{
	return one_attr(buf, cap, STUN_A_UNKNOWN_ATTRIBUTES, 3, 0);
}

static size_t bad_dup_wrong_size(uint8_t *buf, size_t cap)
{
	struct stun_writer w = start(buf, cap);
	uint8_t v[2] = { 0 };

	stun_put_u32(&w, STUN_A_PRIORITY, 7);
	stun_put_bytes(&w, STUN_A_PRIORITY, v, sizeof(v));
	return finish(&w);
}

static const struct bad_case bad_cases[] = {
	{ "truncated header", bad_short, "too short" },
	{ "truncated attribute", bad_truncated_attr, "runs past the end" },
	{ "attribute overrun", bad_overrun, "0x8022 length 272 runs past the end" },
	{ "length mismatch", bad_len_mismatch, "does not match" },
	{ "length not multiple of 4", bad_len_mult4, "multiple of 4" },
	{ "top bits", bad_top_bits, "top two bits" },
	{ "bad cookie", bad_cookie, "magic cookie" },
	{ "bad fingerprint value", bad_fp_value, "FINGERPRINT mismatch" },
	{ "altered fingerprinted message", bad_fp_content, "FINGERPRINT mismatch" },
	{ "attribute after FINGERPRINT", bad_after_fp, "0x0024 after FINGERPRINT" },
	{ "XOR-MAPPED-ADDRESS size", bad_xma_size, "XOR-MAPPED-ADDRESS with length 12" },
	{ "XOR-MAPPED-ADDRESS family", bad_xma_family, "unknown address family 0x03" },
	{ "XOR-MAPPED-ADDRESS v4 in 20", bad_xma_v4_len20, "family 1 with length 20" },
	{ "MAPPED-ADDRESS family", bad_mapped_family, "unknown address family 0x00" },
	{ "PRIORITY size", bad_priority, "PRIORITY with length 5" },
	{ "ICE-CONTROLLING size", bad_controlling, "ICE-CONTROLLING with length 4" },
	{ "ICE-CONTROLLED size", bad_controlled, "ICE-CONTROLLED with length 12" },
	{ "FINGERPRINT size", bad_fp_size, "FINGERPRINT with length 8" },
	{ "MESSAGE-INTEGRITY size", bad_mi_size, "MESSAGE-INTEGRITY with length 16" },
	{ "USE-CANDIDATE size", bad_use_candidate, "USE-CANDIDATE with length 4" },
	{ "ERROR-CODE short", bad_error_short, "ERROR-CODE with length 3" },
	{ "ERROR-CODE class 7", bad_error_class, "class 7 out of 3..6" },
	{ "ERROR-CODE class 2", bad_error_class2, "class 2 out of 3..6" },
	{ "ERROR-CODE number", bad_error_number, "number 100" },
	{ "USERNAME too long", bad_username, "USERNAME with length 514" },
	{ "LIFETIME size", bad_lifetime, "LIFETIME with length 8" },
	{ "UNKNOWN-ATTRIBUTES odd", bad_unknown_odd, "odd" },
	{ "duplicate with wrong size", bad_dup_wrong_size, "PRIORITY with length 2" },
};

START_TEST(test_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	uint8_t buf[1024], *copy;
	size_t n = c->build(buf, sizeof(buf));

	ck_assert_int_eq(decode_exact(buf, n, &m, &err, &copy), ICL_EINPUT);
	ck_assert_int_eq(err.code, ICL_EINPUT);
	ck_assert_msg(strstr(err.msg, c->reason) != NULL, "%s: reason \"%s\" lacks \"%s\"",
		      c->name, err.msg, c->reason);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	free(copy);
}
END_TEST

/* Shorten each vector at every 4-byte boundary, with the length field
 * made consistent: the decoder must either accept or give a reason, and
 * ASan must stay quiet.  Cuts through an attribute must be rejected. */
START_TEST(test_truncation_sweep)
{
	/* accepted: the header alone, each cut on an attribute boundary
	 * (FINGERPRINT is no longer last-but-valid after a cut, so only the
	 * whole message keeps it). */
	static const struct { const uint8_t *p; size_t n; size_t accepted; } v[] = {
		{ rfc_req, sizeof(rfc_req), 7 }, { rfc_resp4, sizeof(rfc_resp4), 5 },
		{ rfc_resp6, sizeof(rfc_resp6), 5 }, { rfc_req_lt, sizeof(rfc_req_lt), 5 },
	};
	const uint8_t *vec = v[_i].p;
	size_t len, accepted = 0;

	for (len = STUN_HEADER_SIZE; len <= v[_i].n; len += 4) {
		struct icl_err err = { 0, "" };
		struct stun_msg m;
		uint8_t *copy = malloc(len);
		int rc;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, vec, len);
		copy[2] = (uint8_t)((len - STUN_HEADER_SIZE) >> 8);
		copy[3] = (uint8_t)(len - STUN_HEADER_SIZE);
		rc = stun_decode(copy, len, &m, &err);
		if (rc == 0)
			accepted++;
		else
			ck_assert_msg(rc == ICL_EINPUT && strstr(err.msg, "runs past the end"),
				      "len %zu: %s", len, err.msg);
		free(copy);
	}
	ck_assert_uint_eq(accepted, v[_i].accepted);
}
END_TEST

/* ---- Unknown and repeated attributes ------------------------------------ */

START_TEST(test_unknown_attributes)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	uint8_t buf[512];
	int n;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_txid);
	stun_put_str(&w, 0x7777, "required");
	stun_put_u32(&w, 0xc057, 1);                   /* optional: skipped */
	stun_put_flag(&w, 0x0003);                     /* CHANGE-REQUEST: unknown here */
	stun_put_str(&w, 0x7777, "again");             /* remembered once */
	stun_put_u32(&w, STUN_A_PRIORITY, 42);
	stun_put_fingerprint(&w);
	n = stun_writer_end(&w);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(stun_decode(buf, (size_t)n, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.n_unknown_required, 2);
	ck_assert_uint_eq(m.unknown_required[0], 0x7777);
	ck_assert_uint_eq(m.unknown_required[1], 0x0003);
	ck_assert_uint_eq(m.priority, 42);
	ck_assert_uint_eq(m.has, STUN_HAS_PRIORITY | STUN_HAS_FINGERPRINT);
}
END_TEST

START_TEST(test_unknown_overflow)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	uint8_t buf[512];
	uint16_t t;
	int n;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_txid);
	for (t = 0x7000; t < 0x7000 + STUN_MAX_UNKNOWN + 5; t++)
		stun_put_flag(&w, t);
	n = stun_writer_end(&w);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(stun_decode(buf, (size_t)n, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.n_unknown_required, STUN_MAX_UNKNOWN);
	ck_assert_uint_eq(m.unknown_required[STUN_MAX_UNKNOWN - 1], 0x7000 + STUN_MAX_UNKNOWN - 1);
}
END_TEST

START_TEST(test_duplicates_first_wins)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	union stun_addr a1 = mk_addr(AF_INET, "198.51.100.7", 1000);
	union stun_addr a2 = mk_addr(AF_INET6, "2001:db8::2", 2000);
	uint8_t buf[512];
	int n;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_txid);
	stun_put_u32(&w, STUN_A_PRIORITY, 1);
	stun_put_u32(&w, STUN_A_PRIORITY, 2);
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a1);
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a2);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLING, 11);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLED, 22);
	stun_put_str(&w, STUN_A_USERNAME, "first");
	stun_put_str(&w, STUN_A_USERNAME, "second");
	n = stun_writer_end(&w);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(stun_decode(buf, (size_t)n, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.priority, 1);
	assert_v4(&m.xor_mapped, "198.51.100.7", 1000);
	ck_assert_uint_eq(m.tiebreaker, 11);
	ck_assert(m.has & STUN_HAS_CONTROLLING);
	ck_assert(m.has & STUN_HAS_CONTROLLED);
	assert_str(m.username, "first");
}
END_TEST

/* MAPPED-ADDRESS is not XORed (RFC 8489 14.1); both families. */
START_TEST(test_mapped_address)
{
	static const uint8_t v4[8] = { 0, 1, 0x12, 0x34, 192, 0, 2, 77 };
	static const uint8_t v6[20] = { 0, 2, 0xff, 0xfe, 0x20, 0x01, 0x0d, 0xb8,
					[18] = 0xab, [19] = 0xcd };
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	struct stun_writer w;
	uint8_t buf[256];
	int n, fam;

	for (fam = 0; fam < 2; fam++) {
		stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, test_txid);
		stun_put_bytes(&w, STUN_A_MAPPED_ADDRESS, fam ? v6 : v4, fam ? sizeof(v6) : sizeof(v4));
		n = stun_writer_end(&w);
		ck_assert_int_gt(n, 0);
		ck_assert_msg(stun_decode(buf, (size_t)n, &m, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(m.has, STUN_HAS_MAPPED);
		if (fam)
			assert_v6(&m.mapped, "2001:db8::abcd", 0xfffe);
		else
			assert_v4(&m.mapped, "192.0.2.77", 0x1234);
	}
}
END_TEST

/* ---- Writer ------------------------------------------------------------- */

static const uint8_t rt_key[] = "a fairly long short-term password";

/* Every put_* kind in one message; the decoder must give back each value. */
static int build_everything(uint8_t *buf, size_t cap)
{
	static const uint16_t unk[3] = { 0x0003, 0x7f00, 0x1234 };
	static const uint8_t data[5] = { 0xde, 0xad, 0x00, 0xbe, 0xef };
	union stun_addr m4 = mk_addr(AF_INET, "203.0.113.9", 54321);
	union stun_addr p6 = mk_addr(AF_INET6, "2001:db8:ffff::1", 1);
	union stun_addr r4 = mk_addr(AF_INET, "255.255.255.255", 65535);
	struct stun_writer w;

	stun_writer_init(&w, buf, cap, STUN_ALLOCATE, STUN_ERROR, test_txid);
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &m4);
	stun_put_xor_addr(&w, STUN_A_XOR_PEER_ADDRESS, &p6);
	stun_put_xor_addr(&w, STUN_A_XOR_RELAYED_ADDRESS, &r4);
	stun_put_str(&w, STUN_A_USERNAME, "alice:bob");
	stun_put_str(&w, STUN_A_SOFTWARE, "icelab");
	stun_put_str(&w, STUN_A_REALM, "lab.example");
	stun_put_str(&w, STUN_A_NONCE, "n0nce");
	stun_put_bytes(&w, STUN_A_DATA, data, sizeof(data));
	stun_put_u32(&w, STUN_A_PRIORITY, 0x7effffff);
	stun_put_u32(&w, STUN_A_LIFETIME, 600);
	stun_put_u32(&w, STUN_A_CHANNEL_NUMBER, 0x4001u << 16);
	stun_put_u32(&w, STUN_A_REQUESTED_FAMILY, 0x02u << 24);
	stun_put_u32(&w, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLING, 0x0123456789abcdefull);
	stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	stun_put_error(&w, 487, "Role Conflict");
	stun_put_unknown(&w, unk, 3);
	stun_put_integrity(&w, rt_key, sizeof(rt_key) - 1);
	stun_put_fingerprint(&w);
	return stun_writer_end(&w);
}

START_TEST(test_round_trip_everything)
{
	static const uint8_t data[5] = { 0xde, 0xad, 0x00, 0xbe, 0xef };
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	uint8_t buf[512], *copy;
	int n = build_everything(buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(n % 4, 0);
	ck_assert_uint_eq(((size_t)buf[2] << 8 | buf[3]), (size_t)n - STUN_HEADER_SIZE);
	ck_assert_msg(decode_exact(buf, (size_t)n, &m, &err, &copy) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.method, STUN_ALLOCATE);
	ck_assert_int_eq(m.cls, STUN_ERROR);
	ck_assert_mem_eq(m.txid, test_txid, STUN_TXID_SIZE);
	/* Every attribute bit but MAPPED-ADDRESS (no writer for it) and
	 * ICE-CONTROLLED (the other role). */
	ck_assert_uint_eq(m.has, (1u << 21) - 1 - STUN_HAS_MAPPED - STUN_HAS_CONTROLLED);
	assert_v4(&m.xor_mapped, "203.0.113.9", 54321);
	assert_v6(&m.xor_peer, "2001:db8:ffff::1", 1);
	assert_v4(&m.xor_relayed, "255.255.255.255", 65535);
	assert_str(m.username, "alice:bob");
	assert_str(m.software, "icelab");
	assert_str(m.realm, "lab.example");
	assert_str(m.nonce, "n0nce");
	ck_assert_uint_eq(m.data.len, sizeof(data));
	ck_assert_mem_eq(m.data.ptr, data, sizeof(data));
	ck_assert_uint_eq(m.priority, 0x7effffff);
	ck_assert_uint_eq(m.lifetime, 600);
	ck_assert_uint_eq(m.channel, 0x4001);
	ck_assert_uint_eq(m.requested_family, 2);
	ck_assert_uint_eq(m.requested_transport, 17);
	ck_assert_uint_eq(m.tiebreaker, 0x0123456789abcdefull);
	ck_assert_int_eq(m.error_code, 487);
	assert_str(m.error_reason, "Role Conflict");
	ck_assert_uint_eq(m.n_unknown_attrs, 3);
	ck_assert_uint_eq(m.unknown_attrs[0], 0x0003);
	ck_assert_uint_eq(m.unknown_attrs[1], 0x7f00);
	ck_assert_uint_eq(m.unknown_attrs[2], 0x1234);
	ck_assert_uint_eq(m.n_unknown_required, 0);
	assert_integrity(&m, rt_key, sizeof(rt_key) - 1);
	free(copy);
}
END_TEST

/* Every capacity short of the full message: -ENOSPC, and not one byte
 * written at or beyond the capacity. */
START_TEST(test_writer_enospc)
{
	uint8_t full[512], buf[513];
	int n = build_everything(full, sizeof(full));
	size_t cap, i;

	ck_assert_int_gt(n, 0);
	for (cap = 0; cap <= (size_t)n; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		if (cap < (size_t)n) {
			ck_assert_int_eq(build_everything(buf, cap), -ENOSPC);
		} else {
			ck_assert_int_eq(build_everything(buf, cap), n);
			ck_assert_mem_eq(buf, full, (size_t)n);
		}
		for (i = cap; i < sizeof(buf); i++)
			ck_assert_msg(buf[i] == 0xa5, "cap %zu: byte %zu written", cap, i);
	}
}
END_TEST

START_TEST(test_writer_error_sticks)
{
	struct stun_writer w;
	uint8_t buf[64];
	union stun_addr bad;

	/* The first error is kept even when later attributes would fit. */
	stun_writer_init(&w, buf, 32, STUN_BINDING, STUN_REQUEST, test_txid);
	stun_put_str(&w, STUN_A_SOFTWARE, "much too long for 32 bytes");
	stun_put_u32(&w, STUN_A_PRIORITY, 1);
	ck_assert_int_eq(stun_writer_end(&w), -ENOSPC);
	ck_assert_uint_eq(w.len, STUN_HEADER_SIZE);
	ck_assert_uint_eq(buf[3], 0);

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, test_txid);
	stun_put_error(&w, 700, "no such class");
	ck_assert_int_eq(stun_writer_end(&w), -EINVAL);

	memset(&bad, 0, sizeof(bad));
	bad.sa.sa_family = AF_UNIX;
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, test_txid);
	stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &bad);
	ck_assert_int_lt(stun_writer_end(&w), 0);

	/* The 16-bit length field caps a message whatever the buffer. */
	{
		static uint8_t big[70000], val[0x10000];

		stun_writer_init(&w, big, sizeof(big), STUN_SEND, STUN_INDICATION, test_txid);
		stun_put_bytes(&w, STUN_A_DATA, val, 0xfff0);
		ck_assert_int_eq(stun_writer_end(&w), STUN_HEADER_SIZE + 4 + 0xfff0);
		stun_put_bytes(&w, STUN_A_DATA, val, 0x10);
		ck_assert_int_eq(stun_writer_end(&w), -ENOSPC);
	}
}
END_TEST

START_TEST(test_error_code_encoding)
{
	static const uint8_t want[] = {
		0x00, 0x09, 0x00, 0x11, 0x00, 0x00, 0x04, 87,
		'R', 'o', 'l', 'e', ' ', 'C', 'o', 'n', 'f', 'l', 'i', 'c', 't',
		0x00, 0x00, 0x00,
	};
	struct stun_writer w;
	uint8_t buf[128];

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, test_txid);
	stun_put_error(&w, 487, "Role Conflict");
	ck_assert_int_eq(stun_writer_end(&w), STUN_HEADER_SIZE + (int)sizeof(want));
	ck_assert_mem_eq(buf + STUN_HEADER_SIZE, want, sizeof(want));

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, test_txid);
	stun_put_error(&w, 300, "");
	ck_assert_int_eq(stun_writer_end(&w), STUN_HEADER_SIZE + 8);
	ck_assert_uint_eq(buf[STUN_HEADER_SIZE + 6], 3);
	ck_assert_uint_eq(buf[STUN_HEADER_SIZE + 7], 0);
}
END_TEST

/* RFC 8489 5: the class bits are interleaved with the method bits. */
START_TEST(test_message_type_encoding)
{
	static const struct { uint16_t method; enum stun_class cls; uint16_t type; } t[] = {
		{ STUN_BINDING, STUN_REQUEST, 0x0001 },
		{ STUN_BINDING, STUN_INDICATION, 0x0011 },
		{ STUN_BINDING, STUN_SUCCESS, 0x0101 },
		{ STUN_BINDING, STUN_ERROR, 0x0111 },
		{ STUN_ALLOCATE, STUN_ERROR, 0x0113 },
		{ STUN_SEND, STUN_INDICATION, 0x0016 },
		{ STUN_CREATE_PERMISSION, STUN_SUCCESS, 0x0108 },
		{ STUN_CHANNEL_BIND, STUN_REQUEST, 0x0009 },
		{ 0x0fff, STUN_ERROR, 0x3fff },
		{ 0x0f80, STUN_REQUEST, 0x3e00 },
		{ 0x0070, STUN_REQUEST, 0x00e0 },
	};
	struct icl_err err = { 0, "" };
	struct stun_writer w;
	struct stun_msg m;
	uint8_t buf[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		stun_writer_init(&w, buf, sizeof(buf), t[i].method, t[i].cls, test_txid);
		ck_assert_int_eq(stun_writer_end(&w), STUN_HEADER_SIZE);
		ck_assert_uint_eq((unsigned)buf[0] << 8 | buf[1], t[i].type);
		ck_assert_msg(stun_decode(buf, STUN_HEADER_SIZE, &m, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(m.method, t[i].method);
		ck_assert_int_eq(m.cls, t[i].cls);
	}
}
END_TEST

START_TEST(test_check_integrity_without_mi)
{
	struct icl_err err = { 0, "" };
	struct stun_msg m;
	uint8_t buf[sizeof(rfc_req)];

	/* 2.1 with the last two attributes cut: no MESSAGE-INTEGRITY left. */
	memcpy(buf, rfc_req, sizeof(buf));
	buf[3] = 76 - STUN_HEADER_SIZE;
	ck_assert_msg(stun_decode(buf, 76, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.has & STUN_HAS_INTEGRITY, 0);
	ck_assert_int_eq(stun_check_integrity(&m, key_of(short_term_pw), strlen(short_term_pw), &err),
			 ICL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no MESSAGE-INTEGRITY"));
}
END_TEST

/* Integrity covers the attributes before it: alter one and re-seal the
 * FINGERPRINT (so decoding passes) and the HMAC must still catch it. */
START_TEST(test_integrity_detects_change)
{
	struct icl_err err = { 0, "" };
	struct stun_writer w;
	struct stun_msg m;
	uint8_t buf[256];
	int n;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_txid);
	stun_put_u32(&w, STUN_A_PRIORITY, 100);
	stun_put_integrity(&w, rt_key, sizeof(rt_key) - 1);
	n = stun_writer_end(&w);
	ck_assert_int_eq(n, STUN_HEADER_SIZE + 8 + 24);
	buf[STUN_HEADER_SIZE + 7] = 101;
	ck_assert_msg(stun_decode(buf, (size_t)n, &m, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(m.priority, 101);
	ck_assert_int_eq(stun_check_integrity(&m, rt_key, sizeof(rt_key) - 1, &err), ICL_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "mismatch"));
}
END_TEST

START_TEST(test_str_copy_and_names)
{
	struct stun_str s = { (const uint8_t *)"abcdef", 6 };
	char out[4] = "zzz";

	stun_str_copy(s, out, sizeof(out));
	ck_assert_str_eq(out, "abc");
	stun_str_copy(s, out, 0);
	ck_assert_str_eq(out, "abc");
	s.len = 0;
	stun_str_copy(s, out, sizeof(out));
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(stun_method_name(STUN_BINDING), "Binding");
	ck_assert_str_eq(stun_method_name(STUN_CREATE_PERMISSION), "CreatePermission");
	ck_assert_str_eq(stun_method_name(0x0abc), "unknown method");
	ck_assert_str_eq(stun_class_name(STUN_REQUEST), "request");
	ck_assert_str_eq(stun_class_name(STUN_ERROR), "error response");
}
END_TEST

START_TEST(test_random_txid)
{
	uint8_t a[STUN_TXID_SIZE], b[STUN_TXID_SIZE];

	ck_assert_int_eq(stun_random_txid(a), 0);
	ck_assert_int_eq(stun_random_txid(b), 0);
	/* 96 random bits twice alike: chance 2^-96. */
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

/* ---- Retransmission schedule -------------------------------------------- */

/* Poll on time: nothing 1 ms early, the expected action at the deadline. */
static void expect_at(struct stun_tx *tx, uint64_t t, enum stun_tx_poll what)
{
	ck_assert_uint_eq(stun_tx_deadline(tx), t);
	ck_assert_int_eq(stun_tx_poll(tx, t - 1), STUN_TX_WAIT);
	ck_assert_int_eq(stun_tx_poll(tx, t), what);
}

START_TEST(test_tx_rfc_schedule)
{
	static const uint64_t resend[] = { 500, 1500, 3500, 7500, 15500, 31500 };
	const uint64_t t0 = 1000000;
	struct stun_tx tx;
	size_t i;

	stun_tx_start(&tx, test_txid, t0, 500, 7, 16);
	ck_assert_mem_eq(tx.txid, test_txid, STUN_TXID_SIZE);
	ck_assert_uint_eq(tx.sent, 1);
	ck_assert(tx.active);
	for (i = 0; i < 6; i++) {
		expect_at(&tx, t0 + resend[i], STUN_TX_RESEND);
		ck_assert_uint_eq(tx.sent, i + 2);
		/* Polling again at the same instant does not resend twice. */
		ck_assert_int_eq(stun_tx_poll(&tx, t0 + resend[i]), STUN_TX_WAIT);
	}
	expect_at(&tx, t0 + 39500, STUN_TX_TIMEOUT);
	ck_assert(!tx.active);
	ck_assert_uint_eq(stun_tx_deadline(&tx), UINT64_MAX);
	ck_assert_int_eq(stun_tx_poll(&tx, t0 + 100000), STUN_TX_WAIT);
	ck_assert_uint_eq(tx.sent, 7);
}
END_TEST

START_TEST(test_tx_small_rc)
{
	struct stun_tx tx;

	/* Rc 3, Rm 4, RTO 100: sends at 0, 100, 300; gives up at 700. */
	stun_tx_start(&tx, test_txid, 0, 100, 3, 4);
	expect_at(&tx, 100, STUN_TX_RESEND);
	expect_at(&tx, 300, STUN_TX_RESEND);
	expect_at(&tx, 700, STUN_TX_TIMEOUT);

	/* Rc 1: the only send, then Rm * RTO of silence. */
	stun_tx_start(&tx, test_txid, 50, 200, 1, 3);
	expect_at(&tx, 650, STUN_TX_TIMEOUT);

	/* Rc 2: one resend after RTO, give-up Rm * RTO after it. */
	stun_tx_start(&tx, test_txid, 0, 250, 2, 2);
	expect_at(&tx, 250, STUN_TX_RESEND);
	expect_at(&tx, 750, STUN_TX_TIMEOUT);
}
END_TEST

START_TEST(test_tx_late_poll_and_stop)
{
	struct stun_tx tx;

	/* A timer 40 ms late moves the rest of the schedule with it. */
	stun_tx_start(&tx, test_txid, 0, 500, 7, 16);
	ck_assert_int_eq(stun_tx_poll(&tx, 540), STUN_TX_RESEND);
	ck_assert_uint_eq(stun_tx_deadline(&tx), 1540);
	ck_assert_int_eq(stun_tx_poll(&tx, 1540), STUN_TX_RESEND);
	ck_assert_uint_eq(stun_tx_deadline(&tx), 3540);

	stun_tx_stop(&tx);
	ck_assert_uint_eq(stun_tx_deadline(&tx), UINT64_MAX);
	ck_assert_int_eq(stun_tx_poll(&tx, 1000000), STUN_TX_WAIT);

	/* Zeros mean the RFC defaults rather than a transaction that never
	 * sends or never waits. */
	stun_tx_start(&tx, test_txid, 0, 0, 0, 0);
	ck_assert_uint_eq(tx.rc, STUN_RC_DEFAULT);
	ck_assert_uint_eq(tx.rm, STUN_RM_DEFAULT);
	ck_assert_uint_eq(stun_tx_deadline(&tx), STUN_RTO_MIN_ICE_MS);
}
END_TEST

START_TEST(test_tx_huge_values)
{
	struct stun_tx tx;
	unsigned n = 1;

	/* The doubled interval would pass 32 bits: fewer sends, no wrap. */
	stun_tx_start(&tx, test_txid, 0, 3000000000u, 100, 1);
	ck_assert_uint_eq(tx.rc, 2);
	ck_assert_uint_eq(stun_tx_deadline(&tx), 3000000000u);
	while (stun_tx_poll(&tx, stun_tx_deadline(&tx)) == STUN_TX_RESEND)
		n++;
	ck_assert_uint_eq(n, 2);
	ck_assert(!tx.active);

	stun_tx_start(&tx, test_txid, UINT64_MAX - 10, 500, 7, 16);
	ck_assert_uint_eq(stun_tx_deadline(&tx), UINT64_MAX);
}
END_TEST

Suite *stun_suite(void)
{
	Suite *s = suite_create("stun");
	TCase *tc = tcase_create("codec");
	TCase *tt = tcase_create("transaction");

	tcase_add_test(tc, test_rfc5769_request);
	tcase_add_test(tc, test_rfc5769_ipv4_response);
	tcase_add_test(tc, test_rfc5769_ipv6_response);
	tcase_add_test(tc, test_rfc5769_long_term);
	tcase_add_test(tc, test_is_stun);
	tcase_add_loop_test(tc, test_malformed, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_loop_test(tc, test_truncation_sweep, 0, 4);
	tcase_add_test(tc, test_unknown_attributes);
	tcase_add_test(tc, test_ignored_after_integrity);
	tcase_add_test(tc, test_unknown_overflow);
	tcase_add_test(tc, test_duplicates_first_wins);
	tcase_add_test(tc, test_mapped_address);
	tcase_add_test(tc, test_round_trip_everything);
	tcase_add_test(tc, test_writer_enospc);
	tcase_add_test(tc, test_writer_error_sticks);
	tcase_add_test(tc, test_error_code_encoding);
	tcase_add_test(tc, test_message_type_encoding);
	tcase_add_test(tc, test_check_integrity_without_mi);
	tcase_add_test(tc, test_integrity_detects_change);
	tcase_add_test(tc, test_str_copy_and_names);
	tcase_add_test(tc, test_random_txid);
	suite_add_tcase(s, tc);

	tcase_add_test(tt, test_tx_rfc_schedule);
	tcase_add_test(tt, test_tx_small_rc);
	tcase_add_test(tt, test_tx_late_poll_and_stop);
	tcase_add_test(tt, test_tx_huge_values);
	suite_add_tcase(s, tt);
	return s;
}
