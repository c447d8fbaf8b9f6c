/* agent_net.c - sockets, the one timer, and the ICE/DTLS glue of an agent.
 *
 * Every datagram arrives here, is demultiplexed by its first byte (RFC
 * 7983: 0-3 STUN, 20-63 DTLS) and handed to the ICE or DTLS engine; what
 * the engines send leaves through here.  DTLS always leaves on the pair
 * ICE has selected at the moment of sending, so a retransmitted flight
 * follows a change of pair, and nothing leaves before a pair is selected.
 */
#include "agent.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cand.h"
#include "demux.h"
#include "gather.h"
#include "quirk.h"

uint64_t agent__now_ms(const struct agent *ag)
{
	return (uv_hrtime() - ag->t0_ns) / 1000000u;
}

void agent__log(struct agent *ag, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %8.3f ", ag->name, (uv_hrtime() - ag->t0_ns) / 1e6);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void send_from(struct agent *ag, int idx, const union stun_addr *to,
		      const uint8_t *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
	char dst[CAND_ADDR_STRLEN];
	int rc;

	if (idx >= AGENT_RELAY_SOCK) {
		agent__relay_send(ag, idx, to, buf, len);
		return;
	}
	if (idx < 0 || (size_t)idx >= ag->n_socks)
		return;
	rc = uv_udp_try_send(&ag->socks[idx].h, &b, 1, &to->sa);
	if (rc < 0) {
		/* UDP: a datagram that cannot leave is lost, as on a real
		 * network; the protocols retransmit.  Say so in the log. */
		stun_addr_str(to, dst);
		agent__log(ag, "send to %s failed: %s", dst, uv_strerror(rc));
	}
}

/* ---- DTLS ---------------------------------------------------------- */

/* dtls-reply-wrong-family, sipwise/rtpengine #451: the ClientHello came
 * to rtpengine's IPv6 address and the answer left its IPv4 interface for
 * the client's IPv4 candidate.  A datagram cannot cross families on one
 * socket, so the faithful copy is that: DTLS leaves from our socket of the
 * other family, towards the peer's address of that family whose check we
 * answered (the best such tuple the ICE core kept), not on the selected
 * pair.  With no tuple of the other family it stays on the selected pair. */
static const struct ice_pair_info *wrong_family(struct agent *ag,
						const struct ice_pair_info *sel,
						struct ice_pair_info *out)
{
	struct ice_pair_view v[ICE_MAX_CANDS];
	size_t n = ice_agent_pairs(ag->ice, v, ICE_MAX_CANDS);

	for (size_t i = 0; i < n && i < ICE_MAX_CANDS; i++)
		if (v[i].info.local.sa.sa_family != sel->local.sa.sa_family) {
			*out = v[i].info;
			return out;
		}
	return sel;
}

/* Where DTLS goes: the selected pair.  Before selection a full agent may
 * use the pair it is nominating (RFC 8445 12.1.1); a lite agent has none
 * and must wait (NULL). */
static const struct ice_pair_info *dtls_path(struct agent *ag, struct ice_pair_info *tmp)
{
	const struct ice_pair_info *p = ice_agent_selected(ag->ice);

	if (!p)
		p = ice_agent_nominating(ag->ice);
	if (p && (ag->quirks & QUIRK_DTLS_REPLY_WRONG_FAMILY))
		p = wrong_family(ag, p, tmp);
	return p;
}

static void flush_pending(struct agent *ag)
{
	struct ice_pair_info tmp;
	const struct ice_pair_info *p = ice_agent_selected(ag->ice) ? dtls_path(ag, &tmp) : NULL;

	for (size_t i = 0; p && i < ag->n_pending; i++)
		send_from(ag, p->sock, &p->remote, ag->pending[i].buf, ag->pending[i].len);
	ag->n_pending = 0;
}

static void dtls_send_cb(void *user, const uint8_t *buf, size_t len)
{
	struct agent *ag = user;
	struct ice_pair_info tmp;
	const struct ice_pair_info *p = dtls_path(ag, &tmp);

	if (p) {
		send_from(ag, p->sock, &p->remote, buf, len);
		ice_agent_data_sent(ag->ice, agent__now_ms(ag));
		return;
	}
	if (ag->n_pending < AGENT_MAX_PENDING && len <= sizeof(ag->pending[0].buf)) {
		memcpy(ag->pending[ag->n_pending].buf, buf, len);
		ag->pending[ag->n_pending++].len = len;
	}
}

/* The probe's attempt due now, if any (probe.h: resent with backoff
 * until echoed, since one record can be lost like any datagram). */
static void send_probe(struct agent *ag)
{
	char text[PROBE_TEXT_MAX];
	struct icl_err err;
	size_t n = probe_next(&ag->probe, uv_hrtime() - ag->t0_ns, text, sizeof(text));

	if (n > 0 && dtls_conn_send(ag->dtls, (const uint8_t *)text, n, &err) < 0)
		proto_emit_error(&ag->po, NULL, false, err.msg);
}

void agent__probe_tick(struct agent *ag)
{
	if (ag->dtls)
		send_probe(ag);
}

uint64_t agent__probe_deadline(const struct agent *ag)
{
	uint64_t d = probe_deadline(&ag->probe);

	return d == UINT64_MAX ? d : (d + 999999u) / 1000000u;   /* ms, rounded up */
}

static void dtls_state_cb(void *user, enum dtls_state st, const char *reason)
{
	struct agent *ag = user;
	json_t *o = json_pack("{s:s, s:s}", "state", dtls_state_name(st),
			      "role", ag->dtls_active ? "client" : "server");

	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	if (st == DTLS_CONNECTED)
		json_object_set_new(o, "remote_fingerprint_verified", json_true());
	proto_emit(&ag->po, "dtls-state", o);
	if (st == DTLS_CONNECTED && !probe_started(&ag->probe)) {
		probe_start(&ag->probe, ice_agent_ufrag(ag->ice), uv_hrtime() - ag->t0_ns);
		send_probe(ag);
		agent__data_start(ag);
	}
}

static void dtls_data_cb(void *user, const uint8_t *buf, size_t len)
{
	struct agent *ag = user;
	uint8_t echo[1024];
	struct icl_err err;
	unsigned k;
	double rtt;
	size_t n;

	switch (probe_recv(&ag->probe, buf, len, uv_hrtime() - ag->t0_ns, &k, &rtt)) {
	case PROBE_RX_REQUEST:
		n = probe_echo(buf, len, echo, sizeof(echo));
		if (n > 0 && dtls_conn_send(ag->dtls, echo, n, &err) < 0)
			proto_emit_error(&ag->po, NULL, false, err.msg);
		break;
	case PROBE_RX_ECHOED:
		proto_emit(&ag->po, "data-echoed",
			   json_pack("{s:I, s:f, s:I}", "bytes", (json_int_t)len, "rtt_ms", rtt,
				     "attempt", (json_int_t)k));
		break;
	case PROBE_RX_OTHER:
		if (!agent__data_is_stream(buf, len))
			agent__log(ag, "unexpected application data (%zu bytes)", len);
		break;
	case PROBE_RX_IGNORED:
		break;
	}
}

void agent__dtls_callbacks(struct agent *ag, struct dtls_callbacks *cb)
{
	cb->user = ag;
	cb->send = dtls_send_cb;
	cb->state = dtls_state_cb;
	cb->data = dtls_data_cb;
}

/* ---- ICE ----------------------------------------------------------- */

static void ice_send_cb(void *user, int sock, const union stun_addr *to,
			const uint8_t *buf, size_t len)
{
	send_from(user, sock, to, buf, len);
}

static void ice_state_cb(void *user, enum ice_state st)
{
	struct agent *ag = user;
	const char *why = ice_agent_state_reason(ag->ice);
	json_t *o = json_pack("{s:s}", "state", ice_state_name(st));

	/* Say why for a consent loss (docs/agent-protocol.md). */
	if (why)
		json_object_set_new(o, "reason", json_string(why));
	proto_emit(&ag->po, "ice-state", o);
}

static const char *family_name(const union stun_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? "ipv6" : "ipv4";
}

static void ice_selected_cb(void *user, const struct ice_pair_info *p)
{
	struct agent *ag = user;
	char l[CAND_ADDR_STRLEN], r[CAND_ADDR_STRLEN];

	stun_addr_str(&p->local, l);
	stun_addr_str(&p->remote, r);
	proto_emit(&ag->po, "selected-pair",
		   json_pack("{s:s, s:s, s:s, s:s, s:s}", "local", l, "remote", r,
			     "family", family_name(&p->local),
			     "local_type", cand_type_name(p->local_type),
			     "remote_type", cand_type_name(p->remote_type)));
	/* The DTLS client starts once there is a path; queued records of a
	 * passive side go out on it (RFC 8445 12.1.1, RFC 8842 6). */
	if (ag->dtls && ag->dtls_active && !ag->dtls_started) {
		ag->dtls_started = true;
		dtls_conn_start(ag->dtls);
	}
	flush_pending(ag);
}

static const char *const note_kinds[] = {
	[ICE_NOTE_REQUEST_ANSWERED] = "request-answered",
	[ICE_NOTE_CHECK_SUCCEEDED] = "check-succeeded",
	[ICE_NOTE_CHECK_FAILED] = "check-failed",
	[ICE_NOTE_ROLE_CHANGED] = "role-changed",
	[ICE_NOTE_PRFLX] = "prflx",
	[ICE_NOTE_NOMINATING] = "nominating",
};

static void ice_note_cb(void *user, const struct ice_note *n)
{
	struct agent *ag = user;
	char l[CAND_ADDR_STRLEN] = "", r[CAND_ADDR_STRLEN] = "";
	json_t *o;

	if (n->local.sa.sa_family != AF_UNSPEC)
		stun_addr_str(&n->local, l);
	if (n->remote.sa.sa_family != AF_UNSPEC)
		stun_addr_str(&n->remote, r);
	if ((size_t)n->kind >= sizeof(note_kinds) / sizeof(note_kinds[0]) || !note_kinds[n->kind])
		return;   /* a kind this agent does not report yet */
	o = json_pack("{s:s, s:s, s:s, s:i, s:b}", "kind", note_kinds[n->kind], "local", l,
		      "remote", r, "code", n->code, "use_candidate", n->use_candidate);
	if (n->text)
		json_object_set_new(o, "reason", json_string(n->text));
	proto_emit(&ag->po, "check", o);
}

void agent__ice_callbacks(struct agent *ag, struct ice_callbacks *cb)
{
	cb->user = ag;
	cb->send = ice_send_cb;
	cb->state = ice_state_cb;
	cb->selected = ice_selected_cb;
	cb->note = ice_note_cb;
}

/* ---- sockets and the timer ---------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct agent_sock *s = h->data;

	(void)hint;
	/* One receive buffer per agent is enough: libuv delivers datagrams
	 * one at a time on this thread and recv_cb is done with each. */
	*buf = uv_buf_init(s->ag->rxbuf, sizeof(s->ag->rxbuf));
}

static void recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		    const struct sockaddr *from, unsigned flags)
{
	struct agent_sock *s = h->data;
	struct agent *ag = s->ag;
	const uint8_t *p = (const uint8_t *)buf->base;
	union stun_addr src;

	(void)flags;
	if (nread <= 0 || !from)
		return;
	memset(&src, 0, sizeof(src));
	memcpy(&src, from, from->sa_family == AF_INET6 ? sizeof(src.in6) : sizeof(src.in));
	/* Our STUN and TURN servers' answers first (agent_gather.c). */
	if (!agent__gather_recv(ag, s->idx, &src, p, (size_t)nread))
		agent__deliver(ag, s->idx, &src, p, (size_t)nread);
	agent__rearm(ag);
}

void agent__deliver(struct agent *ag, int sock, const union stun_addr *from,
		    const uint8_t *p, size_t len)
{
	switch (demux_datagram(ag->ice, ag->dtls, agent__now_ms(ag), sock, from, p, len)) {
	case DEMUX_ICE:
	case DEMUX_DTLS:
		break;
	case DEMUX_DROP_STRANGER:
		agent__log(ag, "dropped a %zu-byte DTLS datagram from an unknown source", len);
		break;
	case DEMUX_DROP_OTHER:
		agent__log(ag, "dropped a %zu-byte datagram that is neither STUN nor DTLS", len);
		break;
	}
}

static int open_one(struct agent *ag, const union stun_addr *a, struct icl_err *err)
{
	struct agent_sock *s = &ag->socks[ag->n_socks];
	char str[CAND_ADDR_STRLEN];
	int len = sizeof(s->addr), rc;

	stun_addr_str(a, str);
	uv_udp_init(&ag->loop, &s->h);
	s->h.data = s;
	s->ag = ag;
	s->idx = (int)ag->n_socks;
	ag->n_socks++;   /* counted now so that close finds it */
	rc = uv_udp_bind(&s->h, &a->sa, a->sa.sa_family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (rc == 0)
		rc = uv_udp_getsockname(&s->h, &s->addr.sa, &len);
	if (rc == 0)
		rc = uv_udp_recv_start(&s->h, alloc_cb, recv_cb);
	if (rc < 0)
		return icl_err_set(err, rc, "binding %s: %s", str, uv_strerror(rc));
	return 0;
}

int agent__open_sockets(struct agent *ag, struct icl_err *err)
{
	union stun_addr addrs[ICE_MAX_CANDS];
	uint16_t prefs[ICE_MAX_CANDS];
	size_t n;
	int rc;

	rc = gather_host_addrs(ag->cfg.ipv4, ag->cfg.ipv6, addrs, ICE_MAX_CANDS, &n, err);
	if (rc < 0)
		return rc;
	cand_local_prefs(addrs, n, prefs);
	for (size_t i = 0; i < n; i++) {
		rc = open_one(ag, &addrs[i], err);
		if (rc == 0)
			rc = ice_agent_add_host(ag->ice, ag->socks[i].idx, &ag->socks[i].addr,
						prefs[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void agent__close_sockets(struct agent *ag)
{
	agent__gather_close(ag);   /* deallocates while the sockets still send */
	for (size_t i = 0; i < ag->n_socks; i++)
		uv_close((uv_handle_t *)&ag->socks[i].h, NULL);
	ag->n_socks = 0;
}

static void timer_cb(uv_timer_t *t)
{
	struct agent *ag = t->data;

	if (ag->ice)
		ice_agent_tick(ag->ice, agent__now_ms(ag));
	agent__gather_tick(ag, agent__now_ms(ag));
	if (ag->dtls && ag->dtls_started)
		dtls_conn_tick(ag->dtls);
	agent__data_tick(ag);
	agent__probe_tick(ag);
	agent__rearm(ag);
}

/* A DTLS client starts on the pair being nominated, once the nominating
 * request is out (so the lite peer selects before the ClientHello lands):
 * hence here, after the ICE call that sent it has returned. */
static void start_early_dtls(struct agent *ag)
{
	if (ag->dtls && ag->dtls_active && !ag->dtls_started && ice_agent_nominating(ag->ice)) {
		ag->dtls_started = true;
		dtls_conn_start(ag->dtls);
	}
}

/* One timer per agent, re-armed after everything that can move a
 * deadline: the next ICE deadline or DTLS retransmission, whichever is
 * first. */
void agent__rearm(struct agent *ag)
{
	uint64_t now = agent__now_ms(ag), due = UINT64_MAX;
	long d;

	if (ag->closing)
		return;
	start_early_dtls(ag);
	if (ag->ice)
		due = ice_agent_deadline(ag->ice);
	if (agent__gather_deadline(ag) < due)
		due = agent__gather_deadline(ag);
	if (agent__data_deadline(ag) < due)
		due = agent__data_deadline(ag);
	if (agent__probe_deadline(ag) < due)
		due = agent__probe_deadline(ag);
	if (ag->dtls && ag->dtls_started && (d = dtls_conn_timeout_ms(ag->dtls)) >= 0 &&
	    now + (uint64_t)d < due)
		due = now + (uint64_t)d;
	if (due == UINT64_MAX) {
		uv_timer_stop(&ag->timer);
		return;
	}
	ag->timer.data = ag;
	uv_timer_start(&ag->timer, timer_cb, due > now ? due - now : 0, 0);
}
