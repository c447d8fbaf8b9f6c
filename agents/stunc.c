/* stunc.c - one STUN Binding transaction for a server-reflexive address. */
#include "stunc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cand.h"

void stunc_init(struct stunc *c, int sock, const union stun_addr *server,
		const struct stunc_callbacks *cb)
{
	memset(c, 0, sizeof(*c));
	c->sock = sock;
	c->server = *server;
	c->cb = *cb;
}

static void finish(struct stunc *c, enum stunc_state st)
{
	c->state = st;
	stun_tx_stop(&c->tx);
	if (c->cb.done)
		c->cb.done(c->cb.user, c);
}

static void fail(struct stunc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct stunc *c, const char *fmt, ...)
{
	char srv[CAND_ADDR_STRLEN];
	size_t n;
	va_list ap;

	stun_addr_str(&c->server, srv);
	n = (size_t)snprintf(c->why, sizeof(c->why), "STUN server %s: ", srv);
	va_start(ap, fmt);
	if (n < sizeof(c->why))
		vsnprintf(c->why + n, sizeof(c->why) - n, fmt, ap);
	va_end(ap);
	finish(c, STUNC_FAILED);
}

static void send_req(struct stunc *c)
{
	if (c->cb.send)
		c->cb.send(c->cb.user, c->sock, &c->server, c->req, c->req_len);
}

int stunc_start(struct stunc *c, uint64_t now_ms, struct icl_err *err)
{
	uint8_t txid[STUN_TXID_SIZE];
	struct stun_writer w;
	int len;

	if (stun_random_txid(txid) < 0) {
		c->state = STUNC_FAILED;
		return icl_err_set(err, -EIO, "stun: RAND_bytes failed for a transaction ID");
	}
	/* FINGERPRINT lets the answer be told from media on a shared port. */
	stun_writer_init(&w, c->req, sizeof(c->req), STUN_BINDING, STUN_REQUEST, txid);
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	if (len < 0) {
		c->state = STUNC_FAILED;
		return icl_err_set(err, len, "stun: building a Binding request: error %d", len);
	}
	c->req_len = (size_t)len;
	c->state = STUNC_RUNNING;
	stun_tx_start(&c->tx, txid, now_ms, STUNC_RTO_MS, STUNC_RC, STUNC_RM);
	send_req(c);
	return 0;
}

bool stunc_recv(struct stunc *c, const union stun_addr *from, const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	struct icl_err err;
	char reason[96];

	if (c->state != STUNC_RUNNING || !stun_is_stun(buf, len) ||
	    !stun_addr_equal(from, &c->server) || stun_decode(buf, len, &m, &err) < 0 ||
	    m.method != STUN_BINDING || memcmp(m.txid, c->tx.txid, STUN_TXID_SIZE) != 0)
		return false;
	if (m.cls == STUN_ERROR) {
		stun_str_copy(m.error_reason, reason, sizeof(reason));
		fail(c, "Binding error response %d %s", m.error_code, reason);
	} else if (m.cls != STUN_SUCCESS) {
		return false;
	} else if (m.has & (STUN_HAS_XOR_MAPPED | STUN_HAS_MAPPED)) {
		/* RFC 8489 14.1: MAPPED-ADDRESS only from RFC 3489 servers. */
		c->mapped = (m.has & STUN_HAS_XOR_MAPPED) ? m.xor_mapped : m.mapped;
		finish(c, STUNC_DONE);
	} else {
		fail(c, "Binding success response without XOR-MAPPED-ADDRESS");
	}
	return true;
}

void stunc_tick(struct stunc *c, uint64_t now_ms)
{
	if (c->state != STUNC_RUNNING)
		return;
	switch (stun_tx_poll(&c->tx, now_ms)) {
	case STUN_TX_RESEND:
		send_req(c);
		break;
	case STUN_TX_TIMEOUT:
		fail(c, "no answer to %d Binding requests in %d ms", STUNC_RC, STUNC_GIVE_UP_MS);
		break;
	case STUN_TX_WAIT:
		break;
	}
}

uint64_t stunc_deadline(const struct stunc *c)
{
	return c->state == STUNC_RUNNING ? stun_tx_deadline(&c->tx) : UINT64_MAX;
}
