/* test_turnc.c - the STUN Binding client (agents/stunc.c) and the TURN
 * client (agents/turnc.c) against a server played here with the codec:
 * every request the client sends is decoded and checked attribute by
 * attribute, and the answers are built as coturn builds them. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../agents/cand.h"
#include "../../agents/ice.h"
#include "../../agents/stunc.h"
#include "../../agents/turnc.h"
#include "suites.h"

#define REALM "icelab.test"

/* What the client sent, and what came out of it. */
struct wire {
	uint8_t out[8][2048];
	size_t out_len[8], n_out;
	int allocated, done;
	union stun_addr data_peer;
	char data[64], note[400];
};

static struct wire W;

static void cap_send(void *user, int sock, const union stun_addr *to, const uint8_t *buf,
		     size_t len)
{
	(void)user, (void)sock, (void)to;
	if (W.n_out < 8 && len <= sizeof(W.out[0])) {
		memcpy(W.out[W.n_out], buf, len);
		W.out_len[W.n_out++] = len;
	}
}

static void cap_allocated(void *user, struct turnc *tc)
{
	(void)user, (void)tc;
	W.allocated++;
}

static void cap_data(void *user, struct turnc *tc, const union stun_addr *peer,
		     const uint8_t *buf, size_t len)
{
	(void)user, (void)tc;
	W.data_peer = *peer;
	snprintf(W.data, sizeof(W.data), "%.*s", (int)len, (const char *)buf);
}

static void cap_note(void *user, struct turnc *tc, const char *text)
{
	(void)user, (void)tc;
	snprintf(W.note, sizeof(W.note), "%s", text);
}

static union stun_addr addr(const char *ip, unsigned port)
{
	union stun_addr a;

	ck_assert_int_eq(stun_addr_parse(ip, port, &a, NULL), 0);
	return a;
}

/* Decode the client's n-th datagram. */
static void sent(size_t i, struct stun_msg *m)
{
	ck_assert_uint_gt(W.n_out, i);
	ck_assert_int_eq(stun_decode(W.out[i], W.out_len[i], m, NULL), 0);
}

/* An answer to `req`; `key` signs it when not NULL. */
static size_t answer(const struct stun_msg *req, enum stun_class cls, int code, const char *nonce,
		     const union stun_addr *relayed, const uint8_t *key, uint8_t *buf)
{
	union stun_addr mapped = addr("198.51.100.2", 40000);
	struct stun_writer w;
	int len;

	stun_writer_init(&w, buf, 512, req->method, cls, req->txid);
	if (code)
		stun_put_error(&w, code, code == 401 ? "Unauthorized" : "Error");
	if (nonce) {
		stun_put_str(&w, STUN_A_NONCE, nonce);
		stun_put_str(&w, STUN_A_REALM, REALM);
	}
	if (relayed) {
		union stun_addr zero = addr("0.0.0.0", 0);

		/* coturn's shape: a placeholder for the family it did not give. */
		stun_put_xor_addr(&w, STUN_A_XOR_RELAYED_ADDRESS, &zero);
		stun_put_xor_addr(&w, STUN_A_XOR_RELAYED_ADDRESS, relayed);
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
		stun_put_u32(&w, STUN_A_LIFETIME, 600);
	}
	if (key)
		stun_put_integrity(&w, key, 16);
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	ck_assert_int_gt(len, 0);
	return (size_t)len;
}

static struct turnc *new_client(int family)
{
	struct turnc_config cfg = { .sock = 3, .server = addr("192.0.2.5", 3478), .family = family };
	struct turnc_callbacks cb = { .send = cap_send, .allocated = cap_allocated,
				      .data = cap_data, .note = cap_note };
	struct turnc *tc;

	memset(&W, 0, sizeof(W));
	strcpy(cfg.username, "alice");
	strcpy(cfg.password, "secret");
	tc = turnc_new(&cfg, &cb, NULL);
	ck_assert_ptr_nonnull(tc);
	ck_assert_int_eq(turnc_start(tc, 0, NULL), 0);
	return tc;
}

/* 401, then the credentialed Allocate, then (stale) 438, then success. */
static struct turnc *allocated_client(uint8_t key[16])
{
	union stun_addr srv = addr("192.0.2.5", 3478), relayed = addr("2001:db8:6::5", 50000);
	struct turnc *tc = new_client(AF_INET6);
	struct stun_msg m;
	uint8_t buf[512];
	char s[64];

	stun_long_term_key("alice", REALM, "secret", key);
	sent(0, &m);
	ck_assert_uint_eq(m.method, STUN_ALLOCATE);
	ck_assert(!(m.has & STUN_HAS_USERNAME));
	ck_assert_uint_eq(m.requested_transport, 17);
	ck_assert_uint_eq(m.requested_family, 0x02);
	ck_assert_uint_eq(m.lifetime, TURNC_LIFETIME_S);
	ck_assert(turnc_recv(tc, 10, &srv, buf, answer(&m, STUN_ERROR, 401, "n1", NULL, NULL, buf)));
	sent(1, &m);
	stun_str_copy(m.username, s, sizeof(s));
	ck_assert_str_eq(s, "alice");
	stun_str_copy(m.nonce, s, sizeof(s));
	ck_assert_str_eq(s, "n1");
	ck_assert_int_eq(stun_check_integrity(&m, key, 16, NULL), 0);
	ck_assert(turnc_recv(tc, 20, &srv, buf, answer(&m, STUN_ERROR, 438, "n2", NULL, NULL, buf)));
	sent(2, &m);
	stun_str_copy(m.nonce, s, sizeof(s));
	ck_assert_str_eq(s, "n2");
	ck_assert(turnc_recv(tc, 30, &srv, buf, answer(&m, STUN_SUCCESS, 0, NULL, &relayed, key, buf)));
	ck_assert_int_eq(turnc_state(tc), TURNC_READY);
	ck_assert_int_eq(W.allocated, 1);
	return tc;
}

START_TEST(allocate_with_long_term_credentials)
{
	uint8_t key[16];
	struct turnc *tc = allocated_client(key);
	char s[CAND_ADDR_STRLEN];

	stun_addr_str(turnc_relayed(tc), s);
	ck_assert_str_eq(s, "[2001:db8:6::5]:50000");   /* not coturn's 0.0.0.0:0 placeholder */
	stun_addr_str(turnc_mapped(tc), s);
	ck_assert_str_eq(s, "198.51.100.2:40000");
	ck_assert_uint_eq(turnc_lifetime(tc), 600);
	/* Refresh 60 s before the 600 s run out, with LIFETIME 600. */
	ck_assert_uint_eq(turnc_deadline(tc), 30 + 540000);
	W.n_out = 0;
	turnc_tick(tc, 30 + 540000);
	{
		struct stun_msg m;

		sent(0, &m);
		ck_assert_uint_eq(m.method, STUN_REFRESH);
		ck_assert_uint_eq(m.lifetime, 600);
		ck_assert_int_eq(stun_check_integrity(&m, key, 16, NULL), 0);
	}
	/* Close: a Refresh with LIFETIME 0 deallocates. */
	W.n_out = 0;
	turnc_close(tc, 600000);
	{
		struct stun_msg m;

		sent(0, &m);
		ck_assert_uint_eq(m.method, STUN_REFRESH);
		ck_assert_uint_eq(m.lifetime, 0);
	}
	ck_assert_int_eq(turnc_state(tc), TURNC_CLOSED);
	turnc_free(tc);
}
END_TEST

START_TEST(wrong_password_fails_with_401)
{
	union stun_addr srv = addr("192.0.2.5", 3478);
	struct turnc *tc = new_client(AF_INET);
	struct stun_msg m;
	uint8_t buf[512];

	sent(0, &m);
	turnc_recv(tc, 1, &srv, buf, answer(&m, STUN_ERROR, 401, "n1", NULL, NULL, buf));
	sent(1, &m);
	ck_assert(m.has & STUN_HAS_INTEGRITY);
	ck_assert(turnc_recv(tc, 2, &srv, buf, answer(&m, STUN_ERROR, 401, "n1", NULL, NULL, buf)));
	ck_assert_int_eq(turnc_state(tc), TURNC_FAILED);
	ck_assert_int_eq(turnc_why_code(tc), 401);
	ck_assert_msg(strstr(turnc_why(tc), "192.0.2.5:3478") && strstr(turnc_why(tc), "401") &&
		      strstr(turnc_why(tc), "alice"), "%s", turnc_why(tc));
	ck_assert_int_eq(W.allocated, 1);
	turnc_free(tc);
}
END_TEST

START_TEST(dead_server_times_out)
{
	struct turnc *tc = new_client(AF_INET);

	for (uint64_t t = 0; t <= 5000 && turnc_state(tc) == TURNC_ALLOCATING; t += 10)
		turnc_tick(tc, t);
	ck_assert_int_eq(turnc_state(tc), TURNC_FAILED);
	ck_assert_uint_eq(W.n_out, TURNC_RC);
	ck_assert_msg(strstr(turnc_why(tc), "no answer in 4750 ms"), "%s", turnc_why(tc));
	turnc_free(tc);
}
END_TEST

START_TEST(permission_then_channel)
{
	union stun_addr srv = addr("192.0.2.5", 3478), peer = addr("2001:db8:6::5", 51000);
	uint8_t key[16], buf[512];
	struct turnc *tc = allocated_client(key);
	struct stun_msg m;
	char s[CAND_ADDR_STRLEN];

	W.n_out = 0;
	/* Nothing reaches the peer before its permission (RFC 8445 7.2.1). */
	ck_assert_int_eq(turnc_send(tc, 100, &peer, (const uint8_t *)"check", 5), 0);
	ck_assert_uint_eq(W.n_out, 1);
	sent(0, &m);
	ck_assert_uint_eq(m.method, STUN_CREATE_PERMISSION);
	stun_addr_str(&m.xor_peer, s);
	ck_assert_str_eq(s, "[2001:db8:6::5]:51000");
	ck_assert_int_eq(stun_check_integrity(&m, key, 16, NULL), 0);
	ck_assert(turnc_recv(tc, 110, &srv, buf, answer(&m, STUN_SUCCESS, 0, NULL, NULL, key, buf)));
	/* The queued datagram leaves as a Send indication, and a ChannelBind. */
	ck_assert_uint_eq(W.n_out, 3);
	sent(1, &m);
	ck_assert_uint_eq(m.method, STUN_CHANNEL_BIND);
	ck_assert_uint_eq(m.channel, TURNC_CHAN_FIRST);
	sent(2, &m);
	ck_assert_uint_eq(m.method, STUN_SEND);
	ck_assert_int_eq(m.cls, STUN_INDICATION);
	ck_assert(m.data.len == 5 && memcmp(m.data.ptr, "check", 5) == 0);
	sent(1, &m);
	ck_assert(turnc_recv(tc, 120, &srv, buf, answer(&m, STUN_SUCCESS, 0, NULL, NULL, key, buf)));
	/* Bound: ChannelData from now on, both ways. */
	W.n_out = 0;
	ck_assert_int_eq(turnc_send(tc, 130, &peer, (const uint8_t *)"dtls", 4), 0);
	ck_assert_uint_eq(W.out_len[0], 8);
	ck_assert(W.out[0][0] == 0x40 && W.out[0][1] == 0x00 && W.out[0][3] == 4);
	ck_assert(memcmp(W.out[0] + 4, "dtls", 4) == 0);
	memcpy(buf, "\x40\x00\x00\x05hello", 9);
	ck_assert(turnc_recv(tc, 140, &srv, buf, 9));
	ck_assert_str_eq(W.data, "hello");
	stun_addr_str(&W.data_peer, s);
	ck_assert_str_eq(s, "[2001:db8:6::5]:51000");
	/* Permissions refresh at 240 s, channels at 540 s. */
	ck_assert_uint_eq(turnc_deadline(tc), 110 + 240000);
	W.n_out = 0;
	turnc_tick(tc, 110 + 240000);
	sent(0, &m);
	ck_assert_uint_eq(m.method, STUN_CREATE_PERMISSION);
	turnc_free(tc);
}
END_TEST

START_TEST(data_indication_in)
{
	union stun_addr srv = addr("192.0.2.5", 3478), peer = addr("2001:db8:6::7", 52000);
	uint8_t key[16], buf[512], txid[STUN_TXID_SIZE] = { 1 };
	struct turnc *tc = allocated_client(key);
	struct stun_writer w;
	char s[CAND_ADDR_STRLEN];
	int len;

	stun_writer_init(&w, buf, sizeof(buf), STUN_DATA, STUN_INDICATION, txid);
	stun_put_xor_addr(&w, STUN_A_XOR_PEER_ADDRESS, &peer);
	stun_put_bytes(&w, STUN_A_DATA, "ping", 4);
	len = stun_writer_end(&w);
	ck_assert(turnc_recv(tc, 50, &srv, buf, (size_t)len));
	ck_assert_str_eq(W.data, "ping");
	stun_addr_str(&W.data_peer, s);
	ck_assert_str_eq(s, "[2001:db8:6::7]:52000");
	/* Not from the server: someone else's datagram. */
	ck_assert(!turnc_recv(tc, 60, &peer, buf, (size_t)len));
	turnc_free(tc);
}
END_TEST

START_TEST(family_fallback_on_440)
{
	union stun_addr srv = addr("192.0.2.5", 3478);
	struct turnc_config cfg = { .server = srv, .family = AF_INET, .fallback_family = AF_INET6 };
	struct turnc_callbacks cb = { .send = cap_send, .allocated = cap_allocated, .data = cap_data };
	struct turnc *tc;
	struct stun_msg m;
	uint8_t buf[512];

	memset(&W, 0, sizeof(W));
	strcpy(cfg.username, "alice");
	strcpy(cfg.password, "secret");
	tc = turnc_new(&cfg, &cb, NULL);
	turnc_start(tc, 0, NULL);
	sent(0, &m);
	ck_assert_uint_eq(m.requested_family, 0x01);
	turnc_recv(tc, 1, &srv, buf, answer(&m, STUN_ERROR, 440, NULL, NULL, NULL, buf));
	ck_assert_int_eq(turnc_state(tc), TURNC_ALLOCATING);
	sent(1, &m);
	ck_assert_uint_eq(m.requested_family, 0x02);
	turnc_free(tc);
}
END_TEST

/* ---- stunc ------------------------------------------------------------ */

static void stunc_done(void *user, struct stunc *c)
{
	(void)user, (void)c;
	W.done++;
}

START_TEST(stunc_learns_mapped_address)
{
	struct stunc_callbacks cb = { .send = cap_send, .done = stunc_done };
	union stun_addr srv = addr("192.0.2.5", 3478), other = addr("192.0.2.6", 3478);
	struct stunc c;
	struct stun_msg m;
	uint8_t buf[512];
	char s[CAND_ADDR_STRLEN];
	size_t n;

	memset(&W, 0, sizeof(W));
	stunc_init(&c, 0, &srv, &cb);
	ck_assert_int_eq(stunc_start(&c, 0, NULL), 0);
	sent(0, &m);
	ck_assert_uint_eq(m.method, STUN_BINDING);
	ck_assert_int_eq(m.cls, STUN_REQUEST);
	{
		/* A Binding success with XOR-MAPPED-ADDRESS. */
		union stun_addr mapped = addr("198.51.100.2", 40000);
		struct stun_writer w;

		stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, m.txid);
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
		n = (size_t)stun_writer_end(&w);
	}
	ck_assert(!stunc_recv(&c, &other, buf, n));   /* from another address: not ours */
	ck_assert(stunc_recv(&c, &srv, buf, n));
	ck_assert_int_eq(c.state, STUNC_DONE);
	ck_assert_int_eq(W.done, 1);
	stun_addr_str(&c.mapped, s);
	ck_assert_str_eq(s, "198.51.100.2:40000");
	ck_assert_uint_eq(stunc_deadline(&c), UINT64_MAX);
}
END_TEST

START_TEST(stunc_gives_up)
{
	struct stunc_callbacks cb = { .send = cap_send, .done = stunc_done };
	union stun_addr srv = addr("192.0.2.5", 3478);
	struct stunc c;

	memset(&W, 0, sizeof(W));
	stunc_init(&c, 0, &srv, &cb);
	stunc_start(&c, 0, NULL);
	for (uint64_t t = 0; t < STUNC_GIVE_UP_MS; t += 10)
		stunc_tick(&c, t);
	ck_assert_int_eq(c.state, STUNC_RUNNING);
	stunc_tick(&c, STUNC_GIVE_UP_MS);
	ck_assert_int_eq(c.state, STUNC_FAILED);
	ck_assert_uint_eq(W.n_out, STUNC_RC);
	ck_assert_msg(strstr(c.why, "192.0.2.5:3478") && strstr(c.why, "no answer"), "%s", c.why);
}
END_TEST

/* ---- The ICE agent's srflx and relay candidates ------------------------ */

static void ice_send(void *user, int sock, const union stun_addr *to, const uint8_t *buf,
		     size_t len)
{
	(void)user, (void)sock, (void)to, (void)buf, (void)len;
}

START_TEST(ice_srflx_and_relay)
{
	struct ice_config cfg = { .role = ICE_CONTROLLING };
	struct ice_callbacks cb = { .send = ice_send };
	union stun_addr host = addr("10.0.1.2", 5000), srv = addr("192.0.2.5", 3478);
	union stun_addr mapped = addr("198.51.100.2", 40000), relayed = addr("192.0.2.5", 50000);
	struct ice_agent *ag = ice_agent_new(&cfg, &cb, NULL);
	struct ice_pair_view v[8];
	const struct cand *c;
	struct cand remote;
	char s[256];

	ck_assert_int_eq(ice_agent_add_host(ag, 0, &host, 65535, NULL), 0);
	/* 5.1.3: a srflx equal to its host (no NAT) is redundant. */
	ck_assert_int_eq(ice_agent_add_srflx(ag, 0, &host, &srv, NULL), 0);
	ck_assert_int_eq(ice_agent_add_srflx(ag, 0, &mapped, &srv, NULL), 1);
	ck_assert_int_eq(ice_agent_add_srflx(ag, 0, &mapped, &srv, NULL), 0);   /* twice */
	ck_assert_int_lt(ice_agent_add_srflx(ag, 7, &mapped, &srv, NULL), 0);   /* no such base */
	ck_assert_int_eq(ice_agent_add_relay(ag, 1000, &relayed, &mapped, &srv, 65535, NULL), 1);
	ck_assert_uint_eq(ice_agent_local_cands(ag, &c), 3);
	ck_assert_int_eq(c[1].type, CAND_SRFLX);
	ck_assert_uint_eq(c[1].priority, cand_priority(CAND_SRFLX, 65535, 1));   /* 100 */
	cand_format(&c[1], s, sizeof(s));
	ck_assert_msg(strstr(s, " 198.51.100.2 40000 typ srflx raddr 10.0.1.2 rport 5000"), "%s", s);
	ck_assert_int_eq(c[2].type, CAND_RELAY);
	ck_assert_uint_eq(c[2].priority, cand_priority(CAND_RELAY, 65535, 1));   /* 0 */
	cand_format(&c[2], s, sizeof(s));
	ck_assert_msg(strstr(s, " 192.0.2.5 50000 typ relay raddr 198.51.100.2 rport 40000"), "%s", s);
	ck_assert_str_ne(c[1].foundation, c[0].foundation);
	ck_assert_str_ne(c[2].foundation, c[1].foundation);
	/* The srflx pairs through its base (6.1.2.4); the relay is its own. */
	ck_assert_int_eq(cand_parse("candidate:9 1 udp 2130706431 203.0.113.10 6000 typ host",
				    &remote, NULL), 0);
	ck_assert_int_eq(ice_agent_set_remote(ag, "abcd", "0123456789012345678901", true, 0, NULL), 0);
	ck_assert_int_eq(ice_agent_add_remote(ag, &remote, 0, NULL), 0);
	ck_assert_uint_eq(ice_agent_pairs(ag, v, 8), 2);
	ck_assert_int_eq(v[0].info.local_type, CAND_HOST);
	ck_assert_int_eq(v[0].info.sock, 0);
	ck_assert_int_eq(v[1].info.local_type, CAND_RELAY);
	ck_assert_int_eq(v[1].info.sock, 1000);
	ck_assert(stun_addr_equal(&v[1].info.local, &relayed));
	ice_agent_free(ag);
}
END_TEST

Suite *turnc_suite(void)
{
	Suite *s = suite_create("turnc");
	TCase *tc = tcase_create("turn");
	TCase *ts = tcase_create("stun");

	tcase_add_test(tc, allocate_with_long_term_credentials);
	tcase_add_test(tc, wrong_password_fails_with_401);
	tcase_add_test(tc, dead_server_times_out);
	tcase_add_test(tc, permission_then_channel);
	tcase_add_test(tc, data_indication_in);
	tcase_add_test(tc, family_fallback_on_440);
	tcase_add_test(ts, stunc_learns_mapped_address);
	tcase_add_test(ts, stunc_gives_up);
	tcase_add_test(ts, ice_srflx_and_relay);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ts);
	return s;
}
