/* agent_nat64.c - NAT64 for a full agent on an IPv6-only host.
 *
 * With configure's `nat64` the agent learns the NAT64 prefix (given, or
 * discovered per RFC 7050 with an AAAA query for ipv4only.arpa to the
 * configured resolver, pref64.h) and then, while it has no IPv4 host
 * candidate of its own:
 * - every remote IPv4 candidate also becomes a remote IPv6 candidate at
 *   its RFC 6052 address, with the same priority and foundation, so that
 *   the pairs order like IPv4 pairs on a dual-stack host (MMUSIC thread
 *   "ICE candidate pairing and NAT64", 2015); the ICE core only ever sees
 *   an ordinary IPv6 candidate, and selected-pair shows that address;
 * - a STUN server given by IPv4 address is asked at its synthesized
 *   address from the IPv6 host sockets (agent_gather.c), which yields an
 *   IPv4 srflx candidate with an IPv6 base (RFC 8445 5.1.1.2).
 * Discovery runs on the agent's loop: a query at 0, 500 and 1500 ms, and
 * an `error` event naming the resolver and the cause at 3000 ms at the
 * latest.  Until it ends, remote IPv4 candidates are kept for synthesis
 * and end-of-candidates is held back from ICE (the check list would fail
 * for want of pairs); gathering counts it as one pending transaction.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cand.h"
#include "pref64.h"

#define NAT64_RTO_MS     500    /* queries at 0, 500, 1500 ms */
#define NAT64_QUERIES    3
#define NAT64_GIVE_UP_MS 3000   /* well inside AGENT_GATHER_MAX_MS */

struct agent_nat64 {
	struct agent *ag;
	bool have_prefix;
	struct pref64 prefix;
	/* Discovery (RFC 7050 3). */
	bool running, sock_open;
	uv_udp_t sock;
	uint16_t id;
	uint8_t query[PREF64_QUERY_MAX];
	size_t query_len;
	unsigned n_sent;
	uint64_t next_ms, give_up_ms;
	char why[300];             /* a failure to report at the next tick */
	char rxbuf[4096];
	/* Remote IPv4 candidates that came before the prefix. */
	struct cand v4[ICE_MAX_CANDS];
	size_t n_v4;
	bool eoc_held;
};

static bool has_ipv4_host(const struct agent *ag)
{
	for (size_t i = 0; i < ag->n_socks; i++)
		if (ag->socks[i].addr.sa.sa_family == AF_INET)
			return true;
	return false;
}

bool agent__nat64_route(const struct agent *ag, const union stun_addr *v4, union stun_addr *out)
{
	const struct agent_nat64 *n = ag->nat64;
	const uint8_t *a = (const uint8_t *)&v4->in.sin_addr;

	if (!n || !n->have_prefix || v4->sa.sa_family != AF_INET || has_ipv4_host(ag) ||
	    !pref64_may_embed(&n->prefix, a))
		return false;
	memset(out, 0, sizeof(*out));
	out->in6.sin6_family = AF_INET6;
	out->in6.sin6_port = v4->in.sin_port;
	pref64_synth(&n->prefix, a, out->in6.sin6_addr.s6_addr);
	return true;
}

bool agent__nat64_pending(const struct agent *ag)
{
	return ag->nat64 && ag->nat64->running;
}

/* The IPv6 twin of remote IPv4 candidate `c`, if the prefix allows. */
static int add_twin(struct agent *ag, const struct cand *c, uint64_t now, struct icl_err *err)
{
	struct cand twin = *c;
	char v4[CAND_ADDR_STRLEN], v6[CAND_ADDR_STRLEN];

	if (!agent__nat64_route(ag, &c->addr, &twin.addr))
		return 0;
	stun_addr_str(&c->addr, v4);
	stun_addr_str(&twin.addr, v6);
	agent__log(ag, "nat64: remote %s also as %s (RFC 6052)", v4, v6);
	return ice_agent_add_remote(ag->ice, &twin, now, err);
}

int agent__nat64_remote(struct agent *ag, const struct cand *c, uint64_t now,
			struct icl_err *err)
{
	struct agent_nat64 *n = ag->nat64;

	if (!n || c->addr.sa.sa_family != AF_INET || c->component != 1)
		return 0;
	if (n->have_prefix)
		return add_twin(ag, c, now, err);
	if (n->running && n->n_v4 < ICE_MAX_CANDS)
		n->v4[n->n_v4++] = *c;   /* synthesized when the prefix comes */
	return 0;
}

void agent__nat64_end_of_candidates(struct agent *ag, uint64_t now)
{
	if (agent__nat64_pending(ag))
		ag->nat64->eoc_held = true;
	else
		ice_agent_end_of_candidates(ag->ice, now);
}

/* ---- discovery ----------------------------------------------------- */

static void sock_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Discovery is over, with the prefix or without: what waited for it. */
static void discovery_done(struct agent *ag)
{
	struct agent_nat64 *n = ag->nat64;
	uint64_t now = agent__now_ms(ag);
	struct icl_err err;

	n->running = false;
	if (n->sock_open)
		uv_udp_recv_stop(&n->sock);
	for (size_t i = 0; i < n->n_v4; i++)
		if (add_twin(ag, &n->v4[i], now, &err) < 0)
			proto_emit_error(&ag->po, NULL, false, err.msg);
	n->n_v4 = 0;
	if (n->eoc_held && ag->ice)
		ice_agent_end_of_candidates(ag->ice, now);
	n->eoc_held = false;
	agent__gather_nat64_ready(ag);
}

static void discovery_failed(struct agent *ag, const char *why)
{
	char srv[CAND_ADDR_STRLEN], msg[600];

	stun_addr_str(&ag->cfg.nat64.resolver, srv);
	snprintf(msg, sizeof(msg), "NAT64 prefix discovery through resolver %s: %s", srv, why);
	agent__log(ag, "%s", msg);
	proto_emit_error(&ag->po, NULL, false, msg);
	discovery_done(ag);
}

static void send_query(struct agent *ag, uint64_t now)
{
	struct agent_nat64 *n = ag->nat64;
	uv_buf_t b = uv_buf_init((char *)n->query, (unsigned)n->query_len);
	int rc = uv_udp_try_send(&n->sock, &b, 1, &ag->cfg.nat64.resolver.sa);

	if (rc < 0)
		agent__log(ag, "nat64: query to the resolver failed: %s", uv_strerror(rc));
	n->n_sent++;
	n->next_ms = n->n_sent < NAT64_QUERIES ? now + (NAT64_RTO_MS << (n->n_sent - 1))
					       : UINT64_MAX;
}

static void dns_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct agent_nat64 *n = h->data;

	(void)hint;
	*buf = uv_buf_init(n->rxbuf, sizeof(n->rxbuf));
}

static void dns_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *from, unsigned flags)
{
	struct agent_nat64 *n = h->data;
	struct agent *ag = n->ag;
	char pf[PREF64_STRLEN];
	union stun_addr src;
	struct icl_err err;

	(void)flags;
	/* Only an answer from the resolver to our query ends discovery; a
	 * stray datagram (another ID, another sender) is ignored. */
	if (nread < 2 || !from || !n->running ||
	    (((uint8_t)buf->base[0] << 8) | (uint8_t)buf->base[1]) != n->id)
		return;
	memset(&src, 0, sizeof(src));
	memcpy(&src, from, from->sa_family == AF_INET6 ? sizeof(src.in6) : sizeof(src.in));
	if (!stun_addr_equal(&src, &ag->cfg.nat64.resolver))
		return;
	if (pref64_parse_answer((const uint8_t *)buf->base, (size_t)nread, n->id, &n->prefix,
				&err) < 0) {
		discovery_failed(ag, err.msg);
	} else {
		n->have_prefix = true;
		pref64_format(&n->prefix, pf);
		agent__log(ag, "nat64: prefix %s discovered (RFC 7050)", pf);
		discovery_done(ag);
	}
	agent__rearm(ag);
}

static int open_dns_sock(struct agent *ag, struct icl_err *err)
{
	struct agent_nat64 *n = ag->nat64;
	union stun_addr any;
	int rc;

	memset(&any, 0, sizeof(any));
	any.sa.sa_family = ag->cfg.nat64.resolver.sa.sa_family;
	uv_udp_init(&ag->loop, &n->sock);
	n->sock.data = n;
	n->sock_open = true;
	rc = uv_udp_bind(&n->sock, &any.sa, 0);
	if (rc == 0)
		rc = uv_udp_recv_start(&n->sock, dns_alloc, dns_recv);
	if (rc < 0)
		return icl_err_set(err, rc, "opening a UDP socket: %s", uv_strerror(rc));
	return 0;
}

/* Failures here are reported at the first tick, never from inside
 * agent__nat64_start, so that the caller's gathering is counted first. */
static void start_discovery(struct agent *ag, uint64_t now)
{
	struct agent_nat64 *n = ag->nat64;
	struct icl_err err;

	n->running = true;
	n->give_up_ms = now + NAT64_GIVE_UP_MS;
	n->next_ms = now;
	if (RAND_bytes((unsigned char *)&n->id, sizeof(n->id)) != 1)
		snprintf(n->why, sizeof(n->why), "no random query ID");
	else if (pref64_query(n->id, n->query, sizeof(n->query), &n->query_len, &err) < 0 ||
		 open_dns_sock(ag, &err) < 0)
		snprintf(n->why, sizeof(n->why), "%.200s", err.msg);
	else
		send_query(ag, now);
}

/* ---- the agent's side ---------------------------------------------- */

bool agent__nat64_start(struct agent *ag)
{
	const struct proto_nat64 *c = &ag->cfg.nat64;
	struct agent_nat64 *n;

	if (!c->set)
		return false;
	n = calloc(1, sizeof(*n));
	if (!n) {
		proto_emit_error(&ag->po, NULL, false, "nat64: out of memory");
		return false;
	}
	n->ag = ag;
	ag->nat64 = n;
	if (!c->has_resolver) {
		n->prefix = c->prefix;
		n->have_prefix = true;
		return false;
	}
	start_discovery(ag, agent__now_ms(ag));
	return n->running;
}

void agent__nat64_tick(struct agent *ag, uint64_t now)
{
	struct agent_nat64 *n = ag->nat64;
	char why[128];

	if (!n || !n->running)
		return;
	if (n->why[0]) {
		discovery_failed(ag, n->why);
	} else if (now >= n->give_up_ms) {
		snprintf(why, sizeof(why), "no answer within %d ms (%u AAAA queries for "
			 "ipv4only.arpa, RFC 7050 3)", NAT64_GIVE_UP_MS, n->n_sent);
		discovery_failed(ag, why);
	} else if (now >= n->next_ms) {
		send_query(ag, now);
	}
}

uint64_t agent__nat64_deadline(const struct agent *ag)
{
	const struct agent_nat64 *n = ag->nat64;

	if (!n || !n->running)
		return UINT64_MAX;
	return n->next_ms < n->give_up_ms ? n->next_ms : n->give_up_ms;
}

void agent__nat64_close(struct agent *ag)
{
	struct agent_nat64 *n = ag->nat64;

	if (!n)
		return;
	ag->nat64 = NULL;
	n->running = false;
	if (n->sock_open)
		uv_close((uv_handle_t *)&n->sock, sock_closed);   /* frees n */
	else
		free(n);
}
