/* test_demux.c - agents/demux.c: where a datagram goes (STUN to ICE, the
 * peer's DTLS to DTLS, a stranger's DTLS and anything else nowhere), on a
 * lite ICE agent and a passive DTLS association that has started, as a
 * session has them.  What DTLS got is seen from what it answers: a
 * ClientHello it receives makes it send its first flight. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../agents/demux.h"
#include "suites.h"

#define NOW 1000

struct rig {
	struct dtls_cert *cert;
	struct ice_agent *ice;
	struct dtls_conn *server, *client;   /* the agent's (passive), a peer's */
	int server_sent, client_sent;
	uint8_t hello[2048];                 /* the client's first flight */
	size_t hello_len;
	union stun_addr host, peer, stranger;
};

static void ice_send(void *user, int sock, const union stun_addr *to, const uint8_t *buf,
		     size_t len)
{
	(void)user;
	(void)sock;
	(void)to;
	(void)buf;
	(void)len;
}

static void ice_state(void *user, enum ice_state st)
{
	(void)user;
	(void)st;
}

static void ice_selected(void *user, const struct ice_pair_info *p)
{
	(void)user;
	(void)p;
}

static void server_send(void *user, const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	((struct rig *)user)->server_sent++;
}

static void client_send(void *user, const uint8_t *buf, size_t len)
{
	struct rig *r = user;

	if (r->client_sent++ == 0 && len <= sizeof(r->hello)) {
		memcpy(r->hello, buf, len);
		r->hello_len = len;
	}
}

static void dtls_state(void *user, enum dtls_state st, const char *reason)
{
	(void)user;
	(void)st;
	(void)reason;
}

static void dtls_data(void *user, const uint8_t *buf, size_t len)
{
	(void)user;
	(void)buf;
	(void)len;
}

static union stun_addr addr(const char *ip, unsigned port)
{
	struct icl_err err;
	union stun_addr a;

	ck_assert_msg(stun_addr_parse(ip, port, &a, &err) == 0, "%s: %s", ip, err.msg);
	return a;
}

static void rig_open(struct rig *r)
{
	struct ice_callbacks icb = { r, ice_send, ice_state, ice_selected, NULL };
	struct dtls_callbacks scb = { r, server_send, dtls_state, dtls_data };
	struct dtls_callbacks ccb = { r, client_send, dtls_state, dtls_data };
	struct ice_config cfg;
	struct icl_err err;
	struct cand c;

	memset(r, 0, sizeof(*r));
	r->host = addr("203.0.113.10", 3478);
	r->peer = addr("198.51.100.2", 5001);
	r->stranger = addr("203.0.113.99", 4000);
	memset(&cfg, 0, sizeof(cfg));
	cfg.lite = true;
	cfg.role = ICE_CONTROLLED;
	snprintf(cfg.ufrag, sizeof(cfg.ufrag), "%s", "demuxUfr");
	snprintf(cfg.pwd, sizeof(cfg.pwd), "%s", "demuxPassword0123456789ab");
	r->ice = ice_agent_new(&cfg, &icb, &err);
	ck_assert_msg(r->ice != NULL, "ice_agent_new: %s", err.msg);
	ck_assert_int_eq(ice_agent_add_host(r->ice, 0, &r->host, 65535, &err), 0);
	ck_assert_int_eq(ice_agent_set_remote(r->ice, "peer", "peerPassword0123456789ab", false,
					      NOW, &err), 0);
	memset(&c, 0, sizeof(c));
	snprintf(c.foundation, sizeof(c.foundation), "%s", "r0");
	c.type = CAND_HOST;
	c.component = 1;
	c.priority = cand_priority(CAND_HOST, 65535, 1);
	c.addr = r->peer;
	ck_assert_msg(ice_agent_add_remote(r->ice, &c, NOW, &err) == 0, "%s", err.msg);

	ck_assert_int_eq(dtls_cert_new(&r->cert, &err), 0);
	r->server = dtls_conn_new(r->cert, false, dtls_cert_fingerprint(r->cert), &scb, &err);
	r->client = dtls_conn_new(r->cert, true, dtls_cert_fingerprint(r->cert), &ccb, &err);
	ck_assert(r->server != NULL && r->client != NULL);
	dtls_conn_start(r->server);
	dtls_conn_start(r->client);
	ck_assert_int_gt((int)r->hello_len, 0);
	ck_assert(dtls_is_dtls(r->hello, r->hello_len));
	ck_assert_int_eq(r->server_sent, 0);
}

static void rig_close(struct rig *r)
{
	dtls_conn_free(r->client);
	dtls_conn_free(r->server);
	dtls_cert_free(r->cert);
	ice_agent_free(r->ice);
}

static enum demux_route deliver(struct rig *r, const union stun_addr *from, const uint8_t *buf,
				size_t len)
{
	return demux_datagram(r->ice, r->server, NOW, 0, from, buf, len);
}

/* The peer's ClientHello reaches DTLS, which answers it. */
START_TEST(test_peer_dtls)
{
	struct rig r;

	rig_open(&r);
	ck_assert_int_eq(deliver(&r, &r.peer, r.hello, r.hello_len), DEMUX_DTLS);
	ck_assert_int_gt(r.server_sent, 0);
	rig_close(&r);
}
END_TEST

/* The same ClientHello from an address ICE does not know never reaches
 * DTLS (a stranger's plaintext alert would kill the handshake). */
START_TEST(test_stranger_dtls_dropped)
{
	struct rig r;

	rig_open(&r);
	ck_assert_int_eq(deliver(&r, &r.stranger, r.hello, r.hello_len), DEMUX_DROP_STRANGER);
	ck_assert_int_eq(r.server_sent, 0);
	ck_assert_int_eq(dtls_conn_state(r.server), DTLS_CONNECTING);
	/* Then the peer's own still gets through: nothing was spoilt. */
	ck_assert_int_eq(deliver(&r, &r.peer, r.hello, r.hello_len), DEMUX_DTLS);
	ck_assert_int_gt(r.server_sent, 0);
	rig_close(&r);
}
END_TEST

/* STUN goes to ICE, even from a stranger (a check may teach ICE a
 * peer-reflexive address), never to DTLS. */
START_TEST(test_stun_to_ice)
{
	uint8_t buf[256], txid[STUN_TXID_SIZE] = { 1, 2, 3 };
	struct stun_writer w;
	struct rig r;
	int n;

	rig_open(&r);
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, txid);
	stun_put_fingerprint(&w);
	n = stun_writer_end(&w);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(deliver(&r, &r.stranger, buf, (size_t)n), DEMUX_ICE);
	ck_assert_int_eq(deliver(&r, &r.peer, buf, (size_t)n), DEMUX_ICE);
	ck_assert_int_eq(r.server_sent, 0);
	rig_close(&r);
}
END_TEST

/* Neither STUN nor DTLS (RTP's first byte is 128..191), and DTLS before
 * the association exists: dropped, as "other". */
START_TEST(test_other_dropped)
{
	static const uint8_t rtp[12] = { 0x80, 0x60, 0, 1 };
	struct rig r;

	rig_open(&r);
	ck_assert_int_eq(deliver(&r, &r.peer, rtp, sizeof(rtp)), DEMUX_DROP_OTHER);
	ck_assert_int_eq(deliver(&r, &r.peer, rtp, 0), DEMUX_DROP_OTHER);
	ck_assert_int_eq(demux_datagram(r.ice, NULL, NOW, 0, &r.peer, r.hello, r.hello_len),
			 DEMUX_DROP_OTHER);
	ck_assert_int_eq(r.server_sent, 0);
	rig_close(&r);
}
END_TEST

Suite *demux_suite(void)
{
	Suite *s = suite_create("demux");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_peer_dtls);
	tcase_add_test(tc, test_stranger_dtls_dropped);
	tcase_add_test(tc, test_stun_to_ice);
	tcase_add_test(tc, test_other_dropped);
	suite_add_tcase(s, tc);
	return s;
}
