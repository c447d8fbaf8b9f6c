/* agent_gather.c - server-reflexive and relayed candidates of an agent.
 *
 * After the host sockets are open, one STUN Binding transaction (stunc.h)
 * goes from every host socket to every configured STUN server of its
 * family, and one TURN allocation (turnc.h) per configured TURN server
 * from the first host socket of the server's family: a relay of the
 * server's family, or of the other one when the server answers 440 or the
 * agent does not gather the server's (`families`).  Each answer becomes
 * a candidate of the ICE agent (the TURN server's XOR-MAPPED-ADDRESS a
 * srflx one too) and a `local-candidate` event at once, so trickle ICE
 * gets it as it comes; `gathering-done` follows the last answer or
 * failure, and AGENT_GATHER_MAX_MS at the latest.  A failure is an
 * `error` event (not fatal) with the server and the cause.
 *
 * A relayed candidate's socket id is AGENT_RELAY_SOCK + its TURN client's
 * index: what ICE and DTLS send from it goes through the TURN client, and
 * what the TURN server relays to us comes back through agent__deliver with
 * that id and the peer's address.  ICE never learns about TURN.
 */
#include "agent.h"

#include <stdio.h>
#include <string.h>

#include "cand.h"

static void host_send(void *user, int sock, const union stun_addr *to,
		      const uint8_t *buf, size_t len)
{
	struct agent *ag = user;
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
	char dst[CAND_ADDR_STRLEN];
	int rc;

	if (sock < 0 || (size_t)sock >= ag->n_socks)
		return;
	rc = uv_udp_try_send(&ag->socks[sock].h, &b, 1, &to->sa);
	if (rc < 0) {
		stun_addr_str(to, dst);
		agent__log(ag, "send to %s failed: %s", dst, uv_strerror(rc));
	}
}

/* ---- Events ---------------------------------------------------------- */

/* Every local candidate not emitted yet: hosts first, then each srflx and
 * relay as the ICE agent adds it after them. */
static void emit_new_candidates(struct agent *ag)
{
	const struct cand *cands;
	size_t n = ice_agent_local_cands(ag->ice, &cands);

	for (; ag->n_emitted < n; ag->n_emitted++) {
		char s[256];

		if (cand_format(&cands[ag->n_emitted], s, sizeof(s)) > 0)
			proto_emit(&ag->po, "local-candidate", json_pack("{s:s}", "candidate", s));
	}
}

static void finish_gathering(struct agent *ag)
{
	if (ag->gathering_done)
		return;
	ag->gathering_done = true;
	proto_emit(&ag->po, "gathering-done", NULL);
}

static void gather_failed(struct agent *ag, const char *why)
{
	agent__log(ag, "gathering: %s", why);
	proto_emit_error(&ag->po, NULL, false, why);
}

static void one_done(struct agent *ag)
{
	emit_new_candidates(ag);
	if (ag->gather_pending > 0 && --ag->gather_pending == 0)
		finish_gathering(ag);
}

/* ---- STUN: server-reflexive candidates ------------------------------- */

static void stunc_done_cb(void *user, struct stunc *c)
{
	struct agent *ag = user;
	struct icl_err err;

	if (c->state == STUNC_FAILED)
		gather_failed(ag, c->why);
	else if (ice_agent_add_srflx(ag->ice, c->sock, &c->mapped, &c->server, &err) < 0)
		gather_failed(ag, err.msg);
	one_done(ag);
}

static bool have_family(const struct agent *ag, const union stun_addr *a)
{
	for (size_t i = 0; i < ag->n_socks; i++)
		if (ag->socks[i].addr.sa.sa_family == a->sa.sa_family)
			return true;
	return false;
}

/* An IPv4 server on an IPv6-only host is asked at its NAT64 address
 * (agent_nat64.c); its answer is an IPv4 srflx of an IPv6 base. */
static void start_stun(struct agent *ag, const union stun_addr *server, uint64_t now)
{
	struct stunc_callbacks cb = { .user = ag, .send = host_send, .done = stunc_done_cb };
	union stun_addr via;
	struct icl_err err;

	if (!have_family(ag, server) && agent__nat64_route(ag, server, &via))
		server = &via;
	for (size_t i = 0; i < ag->n_socks; i++) {
		struct stunc *c = &ag->stuncs[ag->n_stuncs];

		if (ag->socks[i].addr.sa.sa_family != server->sa.sa_family)
			continue;
		if (ag->n_stuncs >= AGENT_MAX_STUNC) {
			agent__log(ag, "gathering: more than %d STUN transactions; skipping the rest",
				   AGENT_MAX_STUNC);
			return;
		}
		stunc_init(c, (int)i, server, &cb);
		ag->n_stuncs++;
		ag->gather_pending++;
		if (stunc_start(c, now, &err) < 0) {
			ag->gather_pending--;
			gather_failed(ag, err.msg);
		}
	}
}

/* ---- TURN: relayed candidates ---------------------------------------- */

static int turnc_index(const struct agent *ag, const struct turnc *tc)
{
	for (size_t i = 0; i < ag->n_turncs; i++)
		if (ag->turncs[i] == tc)
			return (int)i;
	return -1;
}

static void turnc_allocated_cb(void *user, struct turnc *tc)
{
	struct agent *ag = user;
	const struct turnc_config *cfg = turnc_config(tc);
	int i = turnc_index(ag, tc);
	struct icl_err err;

	if (turnc_state(tc) != TURNC_READY) {
		gather_failed(ag, turnc_why(tc));
	} else {
		/* The mapped address is a srflx candidate too (RFC 8445 5.1.1.2). */
		if (turnc_mapped(tc)->sa.sa_family == cfg->server.sa.sa_family &&
		    ice_agent_add_srflx(ag->ice, cfg->sock, turnc_mapped(tc), &cfg->server, &err) < 0)
			gather_failed(ag, err.msg);
		if (ice_agent_add_relay(ag->ice, AGENT_RELAY_SOCK + i, turnc_relayed(tc),
					turnc_mapped(tc), &cfg->server, (uint16_t)(65535 - i),
					&err) < 0)
			gather_failed(ag, err.msg);
	}
	one_done(ag);
}

static void turnc_data_cb(void *user, struct turnc *tc, const union stun_addr *peer,
			  const uint8_t *buf, size_t len)
{
	struct agent *ag = user;

	agent__deliver(ag, AGENT_RELAY_SOCK + turnc_index(ag, tc), peer, buf, len);
}

static void turnc_note_cb(void *user, struct turnc *tc, const char *text)
{
	struct agent *ag = user;
	char srv[CAND_ADDR_STRLEN], why[512];

	stun_addr_str(&turnc_config(tc)->server, srv);
	snprintf(why, sizeof(why), "TURN server %s: %s", srv, text);
	agent__log(ag, "%s", why);
	proto_emit_error(&ag->po, NULL, false, why);
}

/* The first host socket of the server's family. */
static int turn_sock(const struct agent *ag, const union stun_addr *server)
{
	for (size_t i = 0; i < ag->n_socks; i++)
		if (ag->socks[i].addr.sa.sa_family == server->sa.sa_family)
			return (int)i;
	return -1;
}

/* The relay family (REQUESTED-ADDRESS-FAMILY, RFC 8656 7.1): the one the
 * server item names (`family`), and no other; else the server's own if
 * the agent gathers it, the other one gathered next. */
static void relay_families(const struct agent *ag, const struct proto_turn_server *s,
			   struct turnc_config *cfg)
{
	int own = s->addr.sa.sa_family, other = own == AF_INET ? AF_INET6 : AF_INET;
	bool gathers_own = own == AF_INET ? ag->cfg.ipv4 : ag->cfg.ipv6;
	bool gathers_other = other == AF_INET ? ag->cfg.ipv4 : ag->cfg.ipv6;

	if (s->family) {
		cfg->family = s->family;
		cfg->fallback_family = 0;
		return;
	}
	cfg->family = gathers_own ? own : other;
	cfg->fallback_family = gathers_own && gathers_other ? other : 0;
}

static void start_turn(struct agent *ag, const struct proto_turn_server *s, uint64_t now)
{
	struct turnc_callbacks cb = { .user = ag, .send = host_send, .allocated = turnc_allocated_cb,
				      .data = turnc_data_cb, .note = turnc_note_cb };
	struct turnc_config cfg = { .server = s->addr };
	char srv[CAND_ADDR_STRLEN], why[160];
	struct icl_err err;
	struct turnc *tc;

	stun_addr_str(&s->addr, srv);
	cfg.sock = turn_sock(ag, &s->addr);
	if (cfg.sock < 0) {
		snprintf(why, sizeof(why), "TURN server %s: no host address of its family", srv);
		gather_failed(ag, why);
		return;
	}
	relay_families(ag, s, &cfg);
	snprintf(cfg.username, sizeof(cfg.username), "%s", s->username);
	snprintf(cfg.password, sizeof(cfg.password), "%s", s->password);
	tc = turnc_new(&cfg, &cb, &err);
	if (!tc) {
		gather_failed(ag, err.msg);
		return;
	}
	ag->turncs[ag->n_turncs++] = tc;
	ag->gather_pending++;
	if (turnc_start(tc, now, &err) < 0) {
		ag->gather_pending--;
		gather_failed(ag, err.msg);
	}
}

void agent__relay_send(struct agent *ag, int sock, const union stun_addr *to,
		       const uint8_t *buf, size_t len)
{
	size_t i = (size_t)(sock - AGENT_RELAY_SOCK);
	char dst[CAND_ADDR_STRLEN];
	int rc;

	if (sock < AGENT_RELAY_SOCK || i >= ag->n_turncs)
		return;
	rc = turnc_send(ag->turncs[i], agent__now_ms(ag), to, buf, len);
	if (rc < 0) {
		/* Lost like a datagram on a real network; the protocols resend. */
		stun_addr_str(to, dst);
		agent__log(ag, "relay send to %s failed: %s", dst, strerror(-rc));
	}
}

/* ---- The agent's side ------------------------------------------------ */

void agent__gather_start(struct agent *ag)
{
	uint64_t now = agent__now_ms(ag);

	ag->gather_until_ms = now + AGENT_GATHER_MAX_MS;
	emit_new_candidates(ag);
	if (agent__nat64_start(ag))
		ag->gather_pending++;   /* until agent__gather_nat64_ready */
	for (size_t i = 0; i < ag->cfg.n_stun_servers; i++)
		if (!agent__nat64_pending(ag) || have_family(ag, &ag->cfg.stun_servers[i]))
			start_stun(ag, &ag->cfg.stun_servers[i], now);
	for (size_t i = 0; i < ag->cfg.n_turn_servers; i++)
		start_turn(ag, &ag->cfg.turn_servers[i], now);
	emit_new_candidates(ag);
	if (ag->gather_pending == 0)
		finish_gathering(ag);
}

void agent__gather_nat64_ready(struct agent *ag)
{
	uint64_t now = agent__now_ms(ag);

	for (size_t i = 0; i < ag->cfg.n_stun_servers; i++)
		if (!have_family(ag, &ag->cfg.stun_servers[i]))
			start_stun(ag, &ag->cfg.stun_servers[i], now);
	one_done(ag);
}

bool agent__gather_recv(struct agent *ag, int sock, const union stun_addr *from,
			const uint8_t *buf, size_t len)
{
	uint64_t now = agent__now_ms(ag);

	for (size_t i = 0; i < ag->n_turncs; i++)
		if (turnc_config(ag->turncs[i])->sock == sock &&
		    turnc_recv(ag->turncs[i], now, from, buf, len))
			return true;
	for (size_t i = 0; i < ag->n_stuncs; i++)
		if (ag->stuncs[i].sock == sock && stunc_recv(&ag->stuncs[i], from, buf, len))
			return true;
	return false;
}

void agent__gather_tick(struct agent *ag, uint64_t now_ms)
{
	for (size_t i = 0; i < ag->n_stuncs; i++)
		stunc_tick(&ag->stuncs[i], now_ms);
	for (size_t i = 0; i < ag->n_turncs; i++)
		turnc_tick(ag->turncs[i], now_ms);
	agent__nat64_tick(ag, now_ms);
	if (!ag->gathering_done && ag->gather_pending > 0 && now_ms >= ag->gather_until_ms) {
		agent__log(ag, "gathering: %zu server transactions still out after %d ms; "
			   "their candidates will trickle late", ag->gather_pending, AGENT_GATHER_MAX_MS);
		finish_gathering(ag);
	}
}

uint64_t agent__gather_deadline(const struct agent *ag)
{
	uint64_t due = UINT64_MAX, d;

	for (size_t i = 0; i < ag->n_stuncs; i++)
		if ((d = stunc_deadline(&ag->stuncs[i])) < due)
			due = d;
	for (size_t i = 0; i < ag->n_turncs; i++)
		if ((d = turnc_deadline(ag->turncs[i])) < due)
			due = d;
	if ((d = agent__nat64_deadline(ag)) < due)
		due = d;
	if (!ag->gathering_done && ag->gather_pending > 0 && ag->gather_until_ms < due)
		due = ag->gather_until_ms;
	return due;
}

void agent__gather_close(struct agent *ag)
{
	for (size_t i = 0; i < ag->n_turncs; i++) {
		turnc_close(ag->turncs[i], agent__now_ms(ag));
		turnc_free(ag->turncs[i]);
	}
	ag->n_turncs = 0;
	ag->n_stuncs = 0;
	agent__nat64_close(ag);
}
