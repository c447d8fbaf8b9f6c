/* test_ice.c - the ICE engine on a fake clock and an in-memory network.
 *
 * Agents are wired to a `struct net`: every datagram an agent sends is
 * recorded, then delivered LATENCY_MS later to whichever socket owns the
 * destination address, unless a drop rule eats it.  The clock only moves
 * to the next agent deadline or delivery, so a test of 40 s of
 * retransmissions runs in microseconds, and an agent that keeps asking for
 * a deadline in the past (a busy loop) fails the test.  Hand-made STUN
 * messages (stun.h's writer) play a peer where a test needs one exact
 * message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/ice.h"
#include "../../agents/quirk.h"
#include "../../agents/stun.h"
#include "suites.h"

#define LATENCY_MS   5
#define MSG_MAX      1500
#define NODE_SOCKS   4
#define MAX_STATES   16
#define MAX_SEL      16

struct sent_rec {
	uint64_t t;
	int sock;
	union stun_addr to;
	size_t len;
	uint8_t buf[MSG_MAX];
};

struct note_rec {
	uint64_t t;
	struct ice_note n;
	char text[128];
};

struct net;

struct node {
	struct net *net;
	int idx;
	bool lite;
	struct ice_agent *ag;
	size_t n_socks;
	union stun_addr addr[NODE_SOCKS];   /* bound */
	union stun_addr pub[NODE_SOCKS];    /* as the network sees it (NAT) */
	struct sent_rec *sent;
	size_t n_sent;
	struct note_rec *notes;
	size_t n_notes;
	enum ice_state states[MAX_STATES];
	uint64_t state_t[MAX_STATES];
	size_t n_states;
	struct ice_pair_info sel[MAX_SEL];
	uint64_t sel_t[MAX_SEL];
	size_t n_sel;
};

struct dgram {
	uint64_t at;
	union stun_addr src, dst;
	size_t len;
	uint8_t buf[MSG_MAX];
};

/* Drop what node `from` sends with address family `family` (0: any). */
struct drop_rule {
	int from, family;
};

struct net {
	uint64_t now;
	struct node *nodes[2];
	size_t n_nodes;
	struct dgram *q;
	size_t n_q;
	struct drop_rule drops[4];
	size_t n_drops;
};

/* ---- Addresses and messages ----------------------------------------- */

static union stun_addr A(const char *ip, unsigned port)
{
	union stun_addr a;
	struct icl_err err;

	ck_assert_msg(stun_addr_parse(ip, port, &a, &err) == 0, "%s", err.msg);
	return a;
}

static bool addr_is(const union stun_addr *a, const char *ip, unsigned port)
{
	union stun_addr b = A(ip, port);

	return stun_addr_equal(a, &b);
}

static struct stun_msg dec(const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	struct icl_err err;

	ck_assert_msg(stun_decode(buf, len, &m, &err) == 0, "%s", err.msg);
	return m;
}

static struct stun_msg sent_msg(const struct sent_rec *s)
{
	return dec(s->buf, s->len);
}

static bool is_request(const struct sent_rec *s)
{
	return sent_msg(s).cls == STUN_REQUEST;
}

static bool has_use_cand(const struct sent_rec *s)
{
	struct stun_msg m = sent_msg(s);

	return m.cls == STUN_REQUEST && (m.has & STUN_HAS_USE_CANDIDATE);
}

/* ---- The network ----------------------------------------------------- */

static bool dropped(const struct net *net, int from, const union stun_addr *dst)
{
	for (size_t i = 0; i < net->n_drops; i++)
		if (net->drops[i].from == from &&
		    (net->drops[i].family == 0 || net->drops[i].family == dst->sa.sa_family))
			return true;
	return false;
}

static void cb_send(void *user, int sock, const union stun_addr *to, const uint8_t *buf,
		    size_t len)
{
	struct node *n = user;
	struct net *net = n->net;
	struct sent_rec *s;

	ck_assert(sock >= 0 && (size_t)sock < n->n_socks);
	ck_assert(len <= MSG_MAX);
	n->sent = realloc(n->sent, (n->n_sent + 1) * sizeof(*n->sent));
	s = &n->sent[n->n_sent++];
	s->t = net->now;
	s->sock = sock;
	s->to = *to;
	s->len = len;
	memcpy(s->buf, buf, len);
	/* RFC 8445 2.5: a lite agent never sends a check. */
	ck_assert_msg(!n->lite || !is_request(s), "the lite agent sent a request");
	if (dropped(net, n->idx, to))
		return;
	net->q = realloc(net->q, (net->n_q + 1) * sizeof(*net->q));
	net->q[net->n_q].at = net->now + LATENCY_MS;
	net->q[net->n_q].src = n->pub[sock];
	net->q[net->n_q].dst = *to;
	net->q[net->n_q].len = len;
	memcpy(net->q[net->n_q].buf, buf, len);
	net->n_q++;
}

static void cb_state(void *user, enum ice_state st)
{
	struct node *n = user;

	ck_assert(n->n_states < MAX_STATES);
	n->state_t[n->n_states] = n->net->now;
	n->states[n->n_states++] = st;
}

static void cb_selected(void *user, const struct ice_pair_info *p)
{
	struct node *n = user;

	ck_assert(n->n_sel < MAX_SEL);
	ck_assert_ptr_eq(ice_agent_selected(n->ag), p);
	n->sel_t[n->n_sel] = n->net->now;
	n->sel[n->n_sel++] = *p;
}

static void cb_note(void *user, const struct ice_note *note)
{
	struct node *n = user;
	struct note_rec *r;

	n->notes = realloc(n->notes, (n->n_notes + 1) * sizeof(*n->notes));
	r = &n->notes[n->n_notes++];
	r->t = n->net->now;
	r->n = *note;
	snprintf(r->text, sizeof(r->text), "%s", note->text ? note->text : "");
	r->n.text = NULL;
}

static void node_init(struct node *n, struct net *net, const struct ice_config *cfg)
{
	struct ice_callbacks cb = { n, cb_send, cb_state, cb_selected, cb_note };
	struct icl_err err;

	memset(n, 0, sizeof(*n));
	n->net = net;
	n->idx = (int)net->n_nodes;
	n->lite = cfg->lite;
	net->nodes[net->n_nodes++] = n;
	n->ag = ice_agent_new(cfg, &cb, &err);
	ck_assert_msg(n->ag != NULL, "%s", err.msg);
}

/* Host candidates at these addresses, local preferences per RFC 8421. */
static void node_hosts(struct node *n, const char *const *addrs, size_t count)
{
	uint16_t pref[NODE_SOCKS];
	struct icl_err err;

	ck_assert(count <= NODE_SOCKS);
	for (size_t i = 0; i < count; i++) {
		char ip[64];
		unsigned port;

		ck_assert(sscanf(addrs[i], "%63[^ ] %u", ip, &port) == 2);
		n->addr[i] = n->pub[i] = A(ip, port);
	}
	n->n_socks = count;
	cand_local_prefs(n->addr, count, pref);
	for (size_t i = 0; i < count; i++)
		ck_assert_msg(ice_agent_add_host(n->ag, (int)i, &n->addr[i], pref[i], &err) == 0,
			      "%s", err.msg);
}

static void node_free(struct node *n)
{
	ice_agent_free(n->ag);
	free(n->sent);
	free(n->notes);
}

static void net_free(struct net *net)
{
	for (size_t i = 0; i < net->n_nodes; i++)
		node_free(net->nodes[i]);
	free(net->q);
}

/* Signal `from`'s description to `to`. */
static void signal_to(struct node *to, struct node *from, const char *pwd_override)
{
	const struct cand *c;
	size_t n = ice_agent_local_cands(from->ag, &c);
	struct icl_err err;
	uint64_t now = to->net->now;

	ck_assert(ice_agent_set_remote(to->ag, ice_agent_ufrag(from->ag),
				       pwd_override ? pwd_override : ice_agent_pwd(from->ag),
				       from->lite, now, &err) == 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(ice_agent_add_remote(to->ag, &c[i], now, &err) == 0, "%s", err.msg);
	ice_agent_end_of_candidates(to->ag, now);
}

static void deliver(struct net *net, const struct dgram *d)
{
	for (size_t i = 0; i < net->n_nodes; i++) {
		struct node *n = net->nodes[i];

		for (size_t s = 0; s < n->n_socks; s++)
			if (stun_addr_equal(&n->pub[s], &d->dst)) {
				ck_assert(ice_agent_recv(n->ag, net->now, (int)s, &d->src, d->buf,
							 d->len));
				return;
			}
	}
}

/* Deliver what is due, oldest first; deliveries may queue more. */
static void deliver_due(struct net *net)
{
	for (;;) {
		size_t best = net->n_q;
		struct dgram d;

		for (size_t i = 0; i < net->n_q; i++)
			if (net->q[i].at <= net->now && (best == net->n_q || net->q[i].at < net->q[best].at))
				best = i;
		if (best == net->n_q)
			return;
		d = net->q[best];
		memmove(&net->q[best], &net->q[best + 1], (net->n_q - best - 1) * sizeof(*net->q));
		net->n_q--;
		deliver(net, &d);
	}
}

static uint64_t next_event(const struct net *net)
{
	uint64_t t = UINT64_MAX;

	for (size_t i = 0; i < net->n_nodes; i++) {
		uint64_t d = ice_agent_deadline(net->nodes[i]->ag);

		t = d < t ? d : t;
	}
	for (size_t i = 0; i < net->n_q; i++)
		t = net->q[i].at < t ? net->q[i].at : t;
	return t;
}

/* Step the clock from event to event up to `end`.  An agent whose
 * deadline stays in the past after its tick is a busy loop. */
static void run_until(struct net *net, uint64_t end)
{
	unsigned same = 0;

	for (;;) {
		uint64_t t = next_event(net);

		if (t > end) {
			net->now = end;
			return;
		}
		if (t < net->now)
			t = net->now;
		same = t == net->now ? same + 1 : 0;
		ck_assert_msg(same < 1000, "busy loop at %llu ms", (unsigned long long)t);
		net->now = t;
		deliver_due(net);
		for (size_t i = 0; i < net->n_nodes; i++)
			if (ice_agent_deadline(net->nodes[i]->ag) <= t)
				ice_agent_tick(net->nodes[i]->ag, t);
	}
}

static void inject(struct node *n, int sock, const union stun_addr *from, const uint8_t *buf,
		   size_t len)
{
	ck_assert(ice_agent_recv(n->ag, n->net->now, sock, from, buf, len));
}

/* ---- Hand-made STUN -------------------------------------------------- */

struct hreq {
	const char *user;      /* NULL: no USERNAME */
	const char *key;       /* NULL: no MESSAGE-INTEGRITY */
	bool no_fp;
	uint32_t prio;         /* 0: no PRIORITY */
	enum { R_NONE, R_CONTROLLING, R_CONTROLLED } role;
	uint64_t tb;
	bool use_cand;
	uint16_t unknown;      /* an unknown comprehension-required attribute */
};

static size_t mk_req(uint8_t *buf, const struct hreq *h)
{
	uint8_t txid[STUN_TXID_SIZE];
	struct stun_writer w;
	int len;

	ck_assert(stun_random_txid(txid) == 0);
	stun_writer_init(&w, buf, MSG_MAX, STUN_BINDING, STUN_REQUEST, txid);
	if (h->user)
		stun_put_str(&w, STUN_A_USERNAME, h->user);
	if (h->prio)
		stun_put_u32(&w, STUN_A_PRIORITY, h->prio);
	if (h->role != R_NONE)
		stun_put_u64(&w, h->role == R_CONTROLLING ? STUN_A_ICE_CONTROLLING
							  : STUN_A_ICE_CONTROLLED, h->tb);
	if (h->use_cand)
		stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	if (h->unknown)
		stun_put_u32(&w, h->unknown, 0);
	if (h->key)
		stun_put_integrity(&w, (const uint8_t *)h->key, strlen(h->key));
	if (!h->no_fp)
		stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	ck_assert_int_gt(len, 0);
	return (size_t)len;
}

/* A request to agent `n` as its peer "peer" would send it. */
static struct hreq good_req(struct node *n, char *user, size_t user_size)
{
	struct hreq h = { 0 };

	snprintf(user, user_size, "%s:peer", ice_agent_ufrag(n->ag));
	h.user = user;
	h.key = ice_agent_pwd(n->ag);
	h.prio = 1862270975;
	h.role = R_CONTROLLING;
	h.tb = 42;
	return h;
}

/* The answer to request `req` (a record of what the agent sent). */
static size_t mk_resp(uint8_t *buf, const struct sent_rec *req, int code, const char *key,
		      const union stun_addr *mapped)
{
	struct stun_msg m = sent_msg(req);
	struct stun_writer w;
	int len;

	stun_writer_init(&w, buf, MSG_MAX, STUN_BINDING, code ? STUN_ERROR : STUN_SUCCESS,
			 m.txid);
	if (code)
		stun_put_error(&w, code, "test");
	else
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, mapped);
	if (key)
		stun_put_integrity(&w, (const uint8_t *)key, strlen(key));
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	ck_assert_int_gt(len, 0);
	return (size_t)len;
}

/* ---- Queries on the records ----------------------------------------- */

static size_t count_requests(const struct node *n, bool use_cand_only)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n_sent; i++)
		if (is_request(&n->sent[i]) && (!use_cand_only || has_use_cand(&n->sent[i])))
			k++;
	return k;
}

/* The same, for requests sent before `t` (consent checks come later). */
static size_t count_requests_before(const struct node *n, bool use_cand_only, uint64_t t)
{
	size_t k = 0;

	for (size_t i = 0; i < n->n_sent && n->sent[i].t < t; i++)
		if (is_request(&n->sent[i]) && (!use_cand_only || has_use_cand(&n->sent[i])))
			k++;
	return k;
}

static const struct sent_rec *last_sent(const struct node *n)
{
	ck_assert_uint_gt(n->n_sent, 0);
	return &n->sent[n->n_sent - 1];
}

static const struct note_rec *find_note(const struct node *n, enum ice_note_kind k, size_t nth)
{
	for (size_t i = 0; i < n->n_notes; i++)
		if (n->notes[i].n.kind == k && nth-- == 0)
			return &n->notes[i];
	return NULL;
}

static bool went_through(const struct node *n, enum ice_state st)
{
	for (size_t i = 0; i < n->n_states; i++)
		if (n->states[i] == st)
			return true;
	return false;
}

static bool same_5tuple(const struct ice_pair_info *a, const struct ice_pair_info *b)
{
	return stun_addr_equal(&a->local, &b->remote) && stun_addr_equal(&a->remote, &b->local);
}

static struct ice_config full_cfg(enum ice_role role, uint64_t tb)
{
	struct ice_config c;

	memset(&c, 0, sizeof(c));
	c.role = role;
	c.tiebreaker = tb;
	return c;
}

static struct ice_config lite_cfg(void)
{
	struct ice_config c;

	memset(&c, 0, sizeof(c));
	c.lite = true;
	c.role = ICE_CONTROLLED;
	return c;
}

static const char *const client_ds[] = { "2001:db8:c::1 5000", "198.51.100.2 5001" };
static const char *const server_ds[] = { "2001:db8:5::1 3478", "203.0.113.10 3478" };

/* ---- Pairing --------------------------------------------------------- */

static struct cand rcand(const char *fnd, enum cand_type t, uint32_t prio, const char *ip,
			 unsigned port)
{
	struct cand c;

	memset(&c, 0, sizeof(c));
	snprintf(c.foundation, sizeof(c.foundation), "%s", fnd);
	c.type = t;
	c.component = 1;
	c.priority = prio;
	c.addr = A(ip, port);
	return c;
}

static void add_remote(struct node *n, struct cand c)
{
	struct icl_err err;

	ck_assert_msg(ice_agent_add_remote(n->ag, &c, n->net->now, &err) == 0, "%s", err.msg);
}

static void set_remote(struct node *n, bool lite)
{
	struct icl_err err;

	ck_assert(ice_agent_set_remote(n->ag, "peer", "peer-password-0123456789", lite,
				       n->net->now, &err) == 0);
}

static const uint32_t HOST_V6 = 2130706431u;   /* 126, 65535, component 1 */
static const uint32_t HOST_V4 = 2130706175u;   /* 126, 65534 */
static const uint32_t SRFLX = 1694498815u;     /* 100, 65535 */

/* Pairs: same family only, one per (base, remote address) keeping the
 * better, highest priority first, each foundation's best one waiting. */
START_TEST(test_pairs_pruned_and_sorted)
{
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 1);
	struct ice_pair_view v[8];
	bool srflx_first = _i == 1;

	node_init(&c, &net, &cfg);
	node_hosts(&c, client_ds, 2);
	set_remote(&c, false);
	if (srflx_first)
		add_remote(&c, rcand("s", CAND_SRFLX, SRFLX, "203.0.113.10", 3478));
	add_remote(&c, rcand("4", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	if (!srflx_first)
		add_remote(&c, rcand("s", CAND_SRFLX, SRFLX, "203.0.113.10", 3478));
	add_remote(&c, rcand("9", CAND_SRFLX, SRFLX, "203.0.113.99", 4000));
	add_remote(&c, rcand("6", CAND_HOST, HOST_V6, "2001:db8:5::1", 3478));

	ck_assert_uint_eq(ice_agent_pairs(c.ag, v, 8), 3);
	ck_assert(addr_is(&v[0].info.local, "2001:db8:c::1", 5000));
	ck_assert(addr_is(&v[0].info.remote, "2001:db8:5::1", 3478));
	ck_assert_uint_eq(v[0].info.priority, cand_pair_priority(HOST_V6, HOST_V6));
	ck_assert(addr_is(&v[1].info.local, "198.51.100.2", 5001));
	ck_assert(addr_is(&v[1].info.remote, "203.0.113.10", 3478));
	ck_assert_int_eq(v[1].info.remote_type, CAND_HOST);
	ck_assert_uint_eq(v[1].info.priority, cand_pair_priority(HOST_V4, HOST_V4));
	ck_assert(addr_is(&v[2].info.remote, "203.0.113.99", 4000));
	ck_assert_uint_eq(v[2].info.priority, cand_pair_priority(HOST_V4, SRFLX));
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(v[i].state, ICE_PAIR_WAITING);
		ck_assert(v[i].in_check_list && !v[i].valid);
	}
	net_free(&net);
}
END_TEST

/* 6.1.2.6 and 7.2.5.3.3: of two pairs with one foundation the better one
 * waits; the other thaws when it succeeds, not before. */
START_TEST(test_frozen_until_foundation_succeeds)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 1);
	struct ice_pair_view v[4];
	uint8_t buf[MSG_MAX];
	union stun_addr mapped = A("198.51.100.2", 5001);

	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4 - 1, "203.0.113.10", 3479));
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	ck_assert_uint_eq(ice_agent_pairs(c.ag, v, 4), 2);
	ck_assert(addr_is(&v[0].info.remote, "203.0.113.10", 3478));
	ck_assert_int_eq(v[0].state, ICE_PAIR_WAITING);
	ck_assert_int_eq(v[1].state, ICE_PAIR_FROZEN);

	run_until(&net, 1000);
	for (size_t i = 0; i < c.n_sent; i++)
		ck_assert(addr_is(&c.sent[i].to, "203.0.113.10", 3478));
	ice_agent_pairs(c.ag, v, 4);
	ck_assert_int_eq(v[1].state, ICE_PAIR_FROZEN);

	inject(&c, 0, &c.sent[0].to, buf,
	       mk_resp(buf, &c.sent[0], 0, "peer-password-0123456789", &mapped));
	ice_agent_pairs(c.ag, v, 4);
	ck_assert_int_eq(v[0].state, ICE_PAIR_SUCCEEDED);
	ck_assert_int_eq(v[1].state, ICE_PAIR_WAITING);
	run_until(&net, 1100);
	ck_assert(addr_is(&last_sent(&c)->to, "203.0.113.10", 3479));
	net_free(&net);
}
END_TEST

/* ---- Timing ---------------------------------------------------------- */

/* The first sends of distinct transactions, in order. */
static size_t new_check_times(const struct node *n, uint64_t *t, size_t max)
{
	uint8_t seen[16][STUN_TXID_SIZE];
	size_t k = 0;

	for (size_t i = 0; i < n->n_sent && k < max && k < 16; i++) {
		struct stun_msg m = sent_msg(&n->sent[i]);
		bool old = false;

		for (size_t j = 0; j < k && !old; j++)
			old = memcmp(seen[j], m.txid, STUN_TXID_SIZE) == 0;
		if (m.cls != STUN_REQUEST || old)
			continue;
		memcpy(seen[k], m.txid, STUN_TXID_SIZE);
		t[k++] = n->sent[i].t;
	}
	return k;
}

/* 6.1.4.2: one new check per Ta, none sooner. */
START_TEST(test_ta_pacing)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	static const char *const ips[] = { "203.0.113.10", "203.0.113.11", "203.0.113.12",
					   "203.0.113.13" };
	unsigned ta = _i == 0 ? ICE_TA_DEFAULT_MS : 20;
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 1);
	uint64_t t[8];

	cfg.ta_ms = _i == 0 ? 0 : 20;
	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	net.now = 1000;
	set_remote(&c, false);
	for (int i = 0; i < 4; i++) {
		char f[4] = { (char)('a' + i), 0 };

		add_remote(&c, rcand(f, CAND_HOST, HOST_V4 - (uint32_t)i, ips[i], 3478));
	}
	ck_assert_uint_eq(ice_agent_deadline(c.ag), 1000);
	run_until(&net, 1400);
	ck_assert_uint_eq(new_check_times(&c, t, 8), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(t[i], 1000 + (uint64_t)i * ta);
	/* Highest priority first. */
	ck_assert(addr_is(&c.sent[0].to, "203.0.113.10", 3478));
	net_free(&net);
}
END_TEST

/* RFC 8489 6.2.1 through stun_tx: 0, RTO, 3 RTO, ... then failed Rm*RTO
 * after the last send; with end-of-candidates the agent fails. */
START_TEST(test_retransmit_then_fail)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	static const uint64_t rfc[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	static const uint64_t fast[] = { 0, 100, 300 };
	const uint64_t *want = _i == 0 ? rfc : fast;
	size_t n_want = _i == 0 ? 7 : 3;
	uint64_t fail_at = _i == 0 ? 39500 : 700;
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 1);
	const struct note_rec *f;

	if (_i == 1) {
		cfg.rto_ms = 100;
		cfg.rc = 3;
		cfg.rm = 4;
	}
	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	ice_agent_end_of_candidates(c.ag, 0);
	run_until(&net, 100000);

	ck_assert_uint_eq(c.n_sent, n_want);
	for (size_t i = 0; i < n_want; i++) {
		ck_assert_uint_eq(c.sent[i].t, want[i]);
		ck_assert(memcmp(sent_msg(&c.sent[i]).txid, sent_msg(&c.sent[0]).txid,
				 STUN_TXID_SIZE) == 0);
	}
	f = find_note(&c, ICE_NOTE_CHECK_FAILED, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->t, fail_at);
	ck_assert_int_eq(f->n.code, 0);
	ck_assert_str_eq(f->text, "timeout");
	ck_assert_int_eq(ice_agent_state(c.ag), ICE_FAILED);
	ck_assert_uint_eq(c.n_states, 2);
	ck_assert_int_eq(c.states[0], ICE_CHECKING);
	ck_assert_uint_eq(c.state_t[1], fail_at);
	ck_assert_uint_eq(ice_agent_deadline(c.ag), UINT64_MAX);
	ck_assert_ptr_null(ice_agent_selected(c.ag));
	net_free(&net);
}
END_TEST

START_TEST(test_idle_deadlines)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c, l;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 1), lc = lite_cfg();

	node_init(&c, &net, &cfg);
	node_init(&l, &net, &lc);
	node_hosts(&c, one, 1);
	ck_assert_uint_eq(ice_agent_deadline(c.ag), UINT64_MAX);
	set_remote(&c, false);   /* no candidate yet: nothing to do */
	ck_assert_uint_eq(ice_agent_deadline(c.ag), UINT64_MAX);
	ck_assert_uint_eq(ice_agent_deadline(l.ag), UINT64_MAX);
	ck_assert_int_eq(ice_agent_state(c.ag), ICE_NEW);
	ck_assert_int_eq(ice_agent_role(l.ag), ICE_CONTROLLED);
	net_free(&net);
}
END_TEST

/* ---- Responses to our checks ---------------------------------------- */

/* 7.2.5.2.1: a response from elsewhere, or onto another socket, fails
 * the pair; the right one succeeds. */
START_TEST(test_symmetric_response_required)
{
	static const char *const two[] = { "198.51.100.2 5001", "198.51.100.3 5002" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 1);
	struct ice_pair_view v[4];
	union stun_addr other = A("203.0.113.11", 3478);
	const struct sent_rec *req;
	const struct note_rec *f;
	uint8_t buf[MSG_MAX];
	size_t len;

	node_init(&c, &net, &cfg);
	node_hosts(&c, two, 2);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	run_until(&net, 0);
	req = last_sent(&c);
	len = mk_resp(buf, req, 0, "peer-password-0123456789", &c.addr[req->sock]);
	if (_i == 0)
		inject(&c, req->sock, &other, buf, len);          /* wrong source */
	else
		inject(&c, 1 - req->sock, &req->to, buf, len);    /* wrong socket */
	f = find_note(&c, ICE_NOTE_CHECK_FAILED, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->text, "non-symmetric response");
	ice_agent_pairs(c.ag, v, 4);
	ck_assert_int_eq(v[0].state, ICE_PAIR_FAILED);
	ck_assert_ptr_null(find_note(&c, ICE_NOTE_CHECK_SUCCEEDED, 0));

	/* The other pair's check, answered properly. */
	run_until(&net, 50);
	req = last_sent(&c);
	ck_assert_uint_eq(req->t, 50);
	len = mk_resp(buf, req, 0, "peer-password-0123456789", &c.addr[req->sock]);
	inject(&c, req->sock, &req->to, buf, len);
	ck_assert_ptr_nonnull(find_note(&c, ICE_NOTE_CHECK_SUCCEEDED, 0));
	ice_agent_pairs(c.ag, v, 4);
	ck_assert(v[0].state == ICE_PAIR_SUCCEEDED || v[1].state == ICE_PAIR_SUCCEEDED);
	net_free(&net);
}
END_TEST

/* A success response signed with another password is not an answer. */
START_TEST(test_unsigned_success_ignored)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 1);
	const struct sent_rec *req;
	uint8_t buf[MSG_MAX];

	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	run_until(&net, 0);
	req = last_sent(&c);
	inject(&c, 0, &req->to, buf, mk_resp(buf, req, 0, "not-the-password-at-all", &c.addr[0]));
	inject(&c, 0, &req->to, buf, mk_resp(buf, req, 0, NULL, &c.addr[0]));
	ck_assert_uint_eq(c.n_notes, 0);
	/* Still retransmitting: the transaction is alive. */
	run_until(&net, 600);
	ck_assert_uint_eq(c.n_sent, 2);
	net_free(&net);
}
END_TEST

/* Our requests: 7.2.2 content. */
START_TEST(test_request_contents)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 0x1122334455667788ull);
	struct stun_msg m;
	char user[64];
	struct icl_err err;

	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	run_until(&net, 0);
	m = sent_msg(last_sent(&c));
	ck_assert_int_eq(m.cls, STUN_REQUEST);
	stun_str_copy(m.username, user, sizeof(user));
	ck_assert_str_eq(user + 5, ice_agent_ufrag(c.ag));
	ck_assert(strncmp(user, "peer:", 5) == 0);
	ck_assert(m.has & STUN_HAS_PRIORITY);
	ck_assert_uint_eq(m.priority, cand_priority(CAND_PRFLX, 65535, 1));
	ck_assert(m.has & STUN_HAS_CONTROLLING);
	ck_assert(!(m.has & STUN_HAS_CONTROLLED));
	ck_assert_uint_eq(m.tiebreaker, 0x1122334455667788ull);
	ck_assert(!(m.has & STUN_HAS_USE_CANDIDATE));
	ck_assert(m.has & STUN_HAS_FINGERPRINT);
	ck_assert_int_eq(stun_check_integrity(&m, (const uint8_t *)"peer-password-0123456789",
					      24, &err), 0);
	net_free(&net);
}
END_TEST

/* ---- Full against lite ----------------------------------------------- */

struct duo {
	struct net net;
	struct node c, s;
};

/* A full controlling client and a lite server, both dual-stack. */
static void full_vs_lite(struct duo *d, enum ice_nomination nom, bool drop_v6_to_client)
{
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();

	memset(d, 0, sizeof(*d));
	cc.nomination = nom;
	node_init(&d->c, &d->net, &cc);
	node_init(&d->s, &d->net, &sc);
	node_hosts(&d->c, client_ds, 2);
	node_hosts(&d->s, server_ds, 2);
	if (drop_v6_to_client)
		d->net.drops[d->net.n_drops++] = (struct drop_rule){ d->s.idx, AF_INET6 };
	signal_to(&d->s, &d->c, NULL);
	signal_to(&d->c, &d->s, NULL);
	run_until(&d->net, 60000);
}

static const struct sent_rec *only_use_cand(const struct node *n)
{
	const struct sent_rec *u = NULL;

	ck_assert_uint_eq(count_requests(n, true), 1);
	for (size_t i = 0; i < n->n_sent; i++)
		if (has_use_cand(&n->sent[i]))
			u = &n->sent[i];
	return u;
}

/* Regular nomination: one USE-CANDIDATE, on the best valid pair (v6 when
 * both work), and both ends agree. */
START_TEST(test_regular_nomination_vs_lite)
{
	struct duo d;
	const struct sent_rec *u;

	full_vs_lite(&d, ICE_NOMINATE_REGULAR, false);
	u = only_use_cand(&d.c);
	ck_assert(addr_is(&u->to, "2001:db8:5::1", 3478));
	ck_assert_uint_eq(d.c.n_sel, 1);
	ck_assert_uint_eq(d.s.n_sel, 1);
	ck_assert(same_5tuple(&d.c.sel[0], &d.s.sel[0]));
	ck_assert_int_eq(d.c.sel[0].local.sa.sa_family, AF_INET6);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	/* Lite: new -> checking -> completed. */
	ck_assert_uint_eq(d.s.n_states, 2);
	ck_assert_int_eq(d.s.states[0], ICE_CHECKING);
	ck_assert_int_eq(d.s.states[1], ICE_COMPLETED);
	ck_assert_uint_eq(count_requests(&d.s, false), 0);
	ck_assert_ptr_nonnull(find_note(&d.c, ICE_NOTE_NOMINATING, 0));
	ck_assert_ptr_null(ice_agent_nominating(d.c.ag));   /* selected now */
	ck_assert_ptr_null(ice_agent_nominating(d.s.ag));   /* lite never nominates */
	net_free(&d.net);
}
END_TEST

/* Whose DTLS an agent takes (ice_agent_knows_source): its peer's
 * candidates and selected remote, never a stranger's, not even one who
 * sent checks with the right USERNAME, a wrong password and
 * USE-CANDIDATE (tests/hostile-test: a stranger's plaintext fatal alert
 * killed the handshake when it was fed to OpenSSL). */
START_TEST(test_knows_source)
{
	union stun_addr stranger = A("198.51.100.66", 4000), a = A("2001:db8:c::1", 5000);
	uint8_t buf[MSG_MAX];
	char user[300];
	struct hreq h;
	struct duo d;

	full_vs_lite(&d, ICE_NOMINATE_REGULAR, false);
	for (int i = 0; i < 2; i++) {
		struct node *n = i == 0 ? &d.s : &d.c;
		struct node *peer = i == 0 ? &d.c : &d.s;

		h = good_req(n, user, sizeof(user));
		h.key = "not-the-right-password-x";
		h.use_cand = true;
		inject(n, 0, &stranger, buf, mk_req(buf, &h));
		ck_assert(!ice_agent_knows_source(n->ag, &stranger));
		ck_assert(ice_agent_knows_source(n->ag, &n->sel[0].remote));
		for (size_t k = 0; k < peer->n_socks; k++)
			ck_assert(ice_agent_knows_source(n->ag, &peer->addr[k]));
		ck_assert_uint_eq(n->n_sel, 1);
	}
	/* The port counts. */
	a.in6.sin6_port = htons(5002);
	ck_assert(!ice_agent_knows_source(d.s.ag, &a));
	net_free(&d.net);
}
END_TEST

/* Asked for aggressive nomination against a lite peer: regular, noted.
 * With the one-way v6 path, aggressive checks would nominate the dead v6
 * pair at the lite server (which cannot check it) as well as v4. */
START_TEST(test_no_aggressive_vs_lite)
{
	struct duo d;
	const struct note_rec *n;

	full_vs_lite(&d, ICE_NOMINATE_AGGRESSIVE, true);
	n = find_note(&d.c, ICE_NOTE_NOMINATING, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(strstr(n->text, "lite"));
	only_use_cand(&d.c);
	for (size_t i = 0; i < d.s.n_sel; i++)
		ck_assert_int_eq(d.s.sel[i].local.sa.sa_family, AF_INET);
	ck_assert(same_5tuple(&d.c.sel[0], &d.s.sel[d.s.n_sel - 1]));
	net_free(&d.net);
}
END_TEST

/* 8.1.1 / spec item 7: the nomination check fails, so does the check
 * list; there is no second nomination. */
START_TEST(test_nomination_failure_fails)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(ICE_CONTROLLING, 1);
	const struct sent_rec *req;
	uint8_t buf[MSG_MAX];

	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, true);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	add_remote(&c, rcand("2", CAND_HOST, HOST_V4 - 1, "203.0.113.11", 3478));
	run_until(&net, 0);
	req = last_sent(&c);
	inject(&c, 0, &req->to, buf,
	       mk_resp(buf, req, 0, "peer-password-0123456789", &c.addr[0]));
	run_until(&net, ICE_TA_DEFAULT_MS);
	req = last_sent(&c);
	ck_assert(has_use_cand(req));
	ck_assert(addr_is(&req->to, "203.0.113.10", 3478));
	/* While the USE-CANDIDATE check is out, its pair is the one data may
	 * use before selection (12.1.1). */
	ck_assert_ptr_nonnull(ice_agent_nominating(c.ag));
	ck_assert(addr_is(&ice_agent_nominating(c.ag)->remote, "203.0.113.10", 3478));
	if (_i == 0)
		inject(&c, 0, &req->to, buf, mk_resp(buf, req, 500, "peer-password-0123456789",
						     NULL));
	run_until(&net, 60000);
	ck_assert_int_eq(ice_agent_state(c.ag), ICE_FAILED);
	ck_assert_ptr_null(ice_agent_selected(c.ag));
	ck_assert_ptr_null(ice_agent_nominating(c.ag));
	ck_assert_uint_eq(count_requests(&c, true), _i == 0 ? 1 : 7);
	net_free(&net);
}
END_TEST

/* The headline case: IPv6 from the server to the client is dropped.  The
 * client must not wait for the dead v6 pair beyond nominate_after_ms, and
 * both ends select the same IPv4 5-tuple; the lite server never selects
 * a v6 pair. */
START_TEST(test_headline_one_way_v6)
{
	struct duo d;
	const struct sent_rec *u;
	const struct note_rec *ok;

	full_vs_lite(&d, ICE_NOMINATE_REGULAR, true);
	ok = find_note(&d.c, ICE_NOTE_CHECK_SUCCEEDED, 0);
	ck_assert_ptr_nonnull(ok);
	ck_assert_int_eq(ok->n.remote.sa.sa_family, AF_INET);
	u = only_use_cand(&d.c);
	ck_assert(addr_is(&u->to, "203.0.113.10", 3478));
	ck_assert_uint_ge(u->t, ok->t + ICE_NOMINATE_AFTER_MS);
	ck_assert_uint_le(u->t, ok->t + ICE_NOMINATE_AFTER_MS + ICE_TA_DEFAULT_MS);

	ck_assert_uint_eq(d.c.n_sel, 1);
	ck_assert_uint_ge(d.s.n_sel, 1);
	for (size_t i = 0; i < d.s.n_sel; i++)
		ck_assert_int_eq(d.s.sel[i].local.sa.sa_family, AF_INET);
	ck_assert(same_5tuple(&d.c.sel[0], &d.s.sel[d.s.n_sel - 1]));
	ck_assert(addr_is(&d.c.sel[0].local, "198.51.100.2", 5001));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_uint_le(d.c.state_t[d.c.n_states - 1], 2000);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	ck_assert_uint_eq(count_requests(&d.s, false), 0);
	net_free(&d.net);
}
END_TEST

/* The client was given the wrong password: every check gets a 401 and
 * nothing is ever selected. */
START_TEST(test_wrong_remote_password)
{
	struct net net = { 0 };
	struct node c, s;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();
	const struct note_rec *f;

	node_init(&c, &net, &cc);
	node_init(&s, &net, &sc);
	node_hosts(&c, client_ds, 2);
	node_hosts(&s, server_ds, 2);
	signal_to(&s, &c, NULL);
	signal_to(&c, &s, "wrong-password-wrong-password");
	run_until(&net, 60000);
	ck_assert_uint_eq(c.n_sel + s.n_sel, 0);
	f = find_note(&c, ICE_NOTE_CHECK_FAILED, 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->n.code, 401);
	ck_assert_ptr_nonnull(find_note(&c, ICE_NOTE_CHECK_FAILED, 1));
	ck_assert_ptr_null(find_note(&c, ICE_NOTE_CHECK_SUCCEEDED, 0));
	ck_assert_int_eq(ice_agent_state(c.ag), ICE_FAILED);
	ck_assert_int_eq(find_note(&s, ICE_NOTE_REQUEST_ANSWERED, 0)->n.code, 401);
	ck_assert_int_ne(ice_agent_state(s.ag), ICE_COMPLETED);
	net_free(&net);
}
END_TEST

/* ---- Full against full ----------------------------------------------- */

static void full_vs_full(struct duo *d, struct ice_config *cc, struct ice_config *sc)
{
	memset(d, 0, sizeof(*d));
	node_init(&d->c, &d->net, cc);
	node_init(&d->s, &d->net, sc);
	node_hosts(&d->c, client_ds, 2);
	node_hosts(&d->s, server_ds, 2);
	signal_to(&d->s, &d->c, NULL);
	signal_to(&d->c, &d->s, NULL);
	run_until(&d->net, 60000);
}

/* Aggressive: USE-CANDIDATE on every check of the controlling agent;
 * both select the best pair. */
START_TEST(test_aggressive_full_vs_full)
{
	struct duo d;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 9), sc = full_cfg(ICE_CONTROLLED, 3);

	cc.nomination = ICE_NOMINATE_AGGRESSIVE;
	full_vs_full(&d, &cc, &sc);
	ck_assert_uint_gt(count_requests(&d.c, false), 0);
	/* Every check; consent checks (after completion) never nominate. */
	ck_assert_uint_eq(count_requests(&d.c, true),
			  count_requests_before(&d.c, false, ICE_CONSENT_MIN_MS));
	ck_assert_uint_eq(count_requests(&d.s, true), 0);
	ck_assert_uint_ge(d.c.n_sel, 1);
	ck_assert_uint_ge(d.s.n_sel, 1);
	ck_assert(same_5tuple(&d.c.sel[d.c.n_sel - 1], &d.s.sel[d.s.n_sel - 1]));
	ck_assert_int_eq(d.c.sel[d.c.n_sel - 1].local.sa.sa_family, AF_INET6);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	net_free(&d.net);
}
END_TEST

/* Aggressive with a dead better path: the working pair is used at once
 * (connected) while the better one is still tried; completed when that
 * one times out. */
START_TEST(test_aggressive_connected_then_completed)
{
	struct duo d;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 9), sc = full_cfg(ICE_CONTROLLED, 3);

	cc.nomination = ICE_NOMINATE_AGGRESSIVE;
	memset(&d, 0, sizeof(d));
	node_init(&d.c, &d.net, &cc);
	node_init(&d.s, &d.net, &sc);
	node_hosts(&d.c, client_ds, 2);
	node_hosts(&d.s, server_ds, 2);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.c.idx, AF_INET6 };
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, AF_INET6 };
	signal_to(&d.s, &d.c, NULL);
	signal_to(&d.c, &d.s, NULL);
	run_until(&d.net, 60000);
	ck_assert(went_through(&d.c, ICE_CONNECTED));
	ck_assert_uint_lt(d.c.sel_t[0], 200);
	ck_assert_int_eq(d.c.sel[d.c.n_sel - 1].local.sa.sa_family, AF_INET);
	ck_assert(same_5tuple(&d.c.sel[d.c.n_sel - 1], &d.s.sel[d.s.n_sel - 1]));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_uint_ge(d.c.state_t[d.c.n_states - 1], 39500);
	net_free(&d.net);
}
END_TEST

/* Regular between two full agents, the controlled one checks too. */
START_TEST(test_regular_full_vs_full)
{
	struct duo d;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 9), sc = full_cfg(ICE_CONTROLLED, 3);

	full_vs_full(&d, &cc, &sc);
	only_use_cand(&d.c);
	ck_assert_uint_gt(count_requests(&d.s, false), 0);
	ck_assert_uint_eq(count_requests(&d.s, true), 0);
	ck_assert_uint_eq(d.c.n_sel, 1);
	ck_assert_uint_eq(d.s.n_sel, 1);
	ck_assert(same_5tuple(&d.c.sel[0], &d.s.sel[0]));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	net_free(&d.net);
}
END_TEST

/* Both think they control: the lower tiebreaker becomes controlled (it
 * sees both the peer's request and a 487), and they still agree. */
START_TEST(test_both_controlling)
{
	struct duo d;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 1), sc = full_cfg(ICE_CONTROLLING, 2);
	const struct note_rec *n;

	full_vs_full(&d, &cc, &sc);
	ck_assert_int_eq(ice_agent_role(d.c.ag), ICE_CONTROLLED);
	ck_assert_int_eq(ice_agent_role(d.s.ag), ICE_CONTROLLING);
	n = find_note(&d.c, ICE_NOTE_ROLE_CHANGED, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->text, "controlled");
	ck_assert_ptr_null(find_note(&d.c, ICE_NOTE_ROLE_CHANGED, 1));
	ck_assert_ptr_null(find_note(&d.s, ICE_NOTE_ROLE_CHANGED, 0));
	ck_assert_uint_eq(count_requests(&d.c, true), 0);
	only_use_cand(&d.s);
	ck_assert(same_5tuple(&d.c.sel[d.c.n_sel - 1], &d.s.sel[d.s.n_sel - 1]));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	net_free(&d.net);
}
END_TEST

/* Peer-reflexive both ways: the client is behind a NAT that maps
 * 10.0.0.1:5000 to 203.0.113.1:6000 and signals only its host address. */
START_TEST(test_peer_reflexive)
{
	static const char *const priv[] = { "10.0.0.1 5000" };
	static const char *const pub[] = { "192.0.2.1 3478" };
	struct net net = { 0 };
	struct node c, s;
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 9), sc = full_cfg(ICE_CONTROLLED, 3);
	const struct note_rec *n;
	struct ice_pair_view v[8];
	size_t nv;
	bool saw_valid_only = false;

	node_init(&c, &net, &cc);
	node_init(&s, &net, &sc);
	node_hosts(&c, priv, 1);
	node_hosts(&s, pub, 1);
	c.pub[0] = A("203.0.113.1", 6000);
	signal_to(&s, &c, NULL);
	signal_to(&c, &s, NULL);
	run_until(&net, 60000);

	n = find_note(&s, ICE_NOTE_PRFLX, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert(addr_is(&n->n.remote, "203.0.113.1", 6000));
	n = find_note(&c, ICE_NOTE_PRFLX, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert(addr_is(&n->n.local, "203.0.113.1", 6000));

	ck_assert_uint_eq(c.n_sel, 1);
	ck_assert_int_eq(c.sel[0].local_type, CAND_PRFLX);
	ck_assert(addr_is(&c.sel[0].local, "10.0.0.1", 5000));
	ck_assert(addr_is(&c.sel[0].remote, "192.0.2.1", 3478));
	ck_assert_uint_eq(s.n_sel, 1);
	ck_assert_int_eq(s.sel[0].remote_type, CAND_PRFLX);
	ck_assert(addr_is(&s.sel[0].remote, "203.0.113.1", 6000));
	nv = ice_agent_pairs(c.ag, v, 8);
	for (size_t i = 0; i < nv; i++)
		if (!v[i].in_check_list && v[i].valid && v[i].nominated)
			saw_valid_only = true;
	ck_assert(saw_valid_only);
	ck_assert_int_eq(ice_agent_state(c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(s.ag), ICE_COMPLETED);
	net_free(&net);
}
END_TEST

/* ---- Answering checks ------------------------------------------------ */

struct solo {
	struct net net;
	struct node n;
	union stun_addr peer;
};

static void solo_init(struct solo *s, const struct ice_config *cfg)
{
	static const char *const one[] = { "203.0.113.10 3478" };

	memset(s, 0, sizeof(*s));
	node_init(&s->n, &s->net, cfg);
	node_hosts(&s->n, one, 1);
	s->peer = A("198.51.100.2", 5001);
}

/* Send a request from `from`; returns the decoded answer (pointing into
 * the record of what the agent sent). */
static struct stun_msg ask(struct solo *s, const struct hreq *h, const union stun_addr *from)
{
	uint8_t buf[MSG_MAX];
	size_t before = s->n.n_sent;
	const struct sent_rec *r;

	inject(&s->n, 0, from, buf, mk_req(buf, h));
	ck_assert_uint_eq(s->n.n_sent, before + 1);
	r = last_sent(&s->n);
	ck_assert_int_eq(r->sock, 0);
	ck_assert(stun_addr_equal(&r->to, from));
	return sent_msg(r);
}

static bool signed_by(const struct stun_msg *m, const char *key)
{
	struct icl_err err;

	return stun_check_integrity(m, (const uint8_t *)key, strlen(key), &err) == 0;
}

static void expect_error(struct solo *s, const struct hreq *h, int code, bool is_signed)
{
	struct stun_msg m = ask(s, h, &s->peer);
	const struct note_rec *n = &s->n.notes[s->n.n_notes - 1];

	ck_assert_int_eq(m.cls, STUN_ERROR);
	ck_assert_int_eq(m.error_code, code);
	ck_assert(m.has & STUN_HAS_FINGERPRINT);
	ck_assert_int_eq((m.has & STUN_HAS_INTEGRITY) != 0, is_signed);
	if (is_signed)
		ck_assert(signed_by(&m, ice_agent_pwd(s->n.ag)));
	ck_assert_int_eq(n->n.kind, ICE_NOTE_REQUEST_ANSWERED);
	ck_assert_int_eq(n->n.code, code);
	ck_assert(strlen(n->text) > 0);
}

/* 400 unsigned or without USERNAME/FINGERPRINT, 401 wrong user or key,
 * 420 unknown comprehension-required attribute (signed: authenticated). */
START_TEST(test_error_answers)
{
	struct ice_config cfg = _i == 0 ? lite_cfg() : full_cfg(ICE_CONTROLLED, 5);
	struct solo s;
	char user[300], bad_user[300];
	struct hreq h;
	struct stun_msg m;

	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	h.key = NULL;
	expect_error(&s, &h, 400, false);
	h = good_req(&s.n, user, sizeof(user));
	h.user = NULL;
	expect_error(&s, &h, 400, false);
	h = good_req(&s.n, user, sizeof(user));
	h.no_fp = true;
	expect_error(&s, &h, 400, false);
	h = good_req(&s.n, user, sizeof(user));
	h.key = "not-the-right-password-x";
	expect_error(&s, &h, 401, false);
	h = good_req(&s.n, user, sizeof(user));
	snprintf(bad_user, sizeof(bad_user), "X%s:peer", ice_agent_ufrag(s.n.ag));
	h.user = bad_user;
	expect_error(&s, &h, 401, false);
	h = good_req(&s.n, user, sizeof(user));
	h.unknown = 0x0031;
	expect_error(&s, &h, 420, true);
	m = sent_msg(last_sent(&s.n));
	ck_assert(m.has & STUN_HAS_UNKNOWN_ATTRS);
	ck_assert_uint_eq(m.n_unknown_attrs, 1);
	ck_assert_uint_eq(m.unknown_attrs[0], 0x0031);
	ck_assert_ptr_null(ice_agent_selected(s.n.ag));
	net_free(&s.net);
}
END_TEST

/* Garbage is dropped silently; what is not STUN is the caller's. */
START_TEST(test_garbage_and_non_stun)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char user[300];
	struct hreq h;
	uint8_t buf[MSG_MAX];
	size_t len;
	static const uint8_t dtls[] = { 22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0 };

	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	len = mk_req(buf, &h);
	buf[len - 1] ^= 1;   /* FINGERPRINT no longer matches */
	ck_assert(ice_agent_recv(s.n.ag, 0, 0, &s.peer, buf, len));
	buf[len - 1] ^= 1;
	ck_assert(ice_agent_recv(s.n.ag, 0, 0, &s.peer, buf, len - 4));   /* length field lies */
	ck_assert(!ice_agent_recv(s.n.ag, 0, 0, &s.peer, dtls, sizeof(dtls)));
	ck_assert_uint_eq(s.n.n_sent, 0);
	ck_assert_uint_eq(s.n.n_notes, 0);
	/* And the intact message is answered. */
	ck_assert(ice_agent_recv(s.n.ag, 0, 0, &s.peer, buf, len));
	ck_assert_uint_eq(s.n.n_sent, 1);
	net_free(&s.net);
}
END_TEST

/* The success answer: from the receiving socket to the source,
 * XOR-MAPPED-ADDRESS = source, signed with our password, FINGERPRINT. */
START_TEST(test_success_answer)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char user[300];
	struct hreq h;
	struct stun_msg m;
	union stun_addr v6peer = A("2001:db8:c::1", 5000);

	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	m = ask(&s, &h, &s.peer);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert(stun_addr_equal(&m.xor_mapped, &s.peer));
	ck_assert(m.has & STUN_HAS_FINGERPRINT);
	ck_assert(signed_by(&m, ice_agent_pwd(s.n.ag)));
	ck_assert_int_eq(s.n.notes[0].n.code, 0);
	ck_assert(!s.n.notes[0].n.use_candidate);
	/* Before any remote description, for any source: still answered. */
	m = ask(&s, &h, &v6peer);
	ck_assert(stun_addr_equal(&m.xor_mapped, &v6peer));
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_CHECKING);
	ck_assert_ptr_null(ice_agent_selected(s.n.ag));
	net_free(&s.net);
}
END_TEST

/* Spec item 3: a lite agent answers ICE-CONTROLLED with 487, whatever
 * the tiebreakers, and stays controlled. */
START_TEST(test_lite_487)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char user[300];
	struct hreq h;

	cfg.tiebreaker = 1;
	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	h.role = R_CONTROLLED;
	h.tb = _i == 0 ? 0 : UINT64_MAX;
	h.use_cand = true;
	expect_error(&s, &h, 487, true);
	ck_assert_int_eq(ice_agent_role(s.n.ag), ICE_CONTROLLED);
	ck_assert_ptr_null(ice_agent_selected(s.n.ag));
	net_free(&s.net);
}
END_TEST

/* Spec item 8: of several nominated pairs the lite agent uses the best,
 * in either order; priority with the peer as G, from PRIORITY. */
START_TEST(test_lite_highest_nominated)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char user[300];
	struct hreq hi, lo;
	union stun_addr from_hi = A("198.51.100.2", 5001), from_lo = A("198.51.100.3", 5002);
	uint32_t local = cand_priority(CAND_HOST, 65535, 1);
	bool lo_first = _i % 2 == 1;
	const struct ice_pair_info *sel;

	solo_init(&s, &cfg);
	if (_i >= 2) {
		/* Signalled the other way round: PRIORITY still decides. */
		set_remote(&s.n, false);
		add_remote(&s.n, rcand("h", CAND_HOST, 1000, "198.51.100.2", 5001));
		add_remote(&s.n, rcand("l", CAND_HOST, HOST_V6, "198.51.100.3", 5002));
	}
	hi = good_req(&s.n, user, sizeof(user));
	hi.use_cand = true;
	lo = hi;
	hi.prio = 1862270975;
	lo.prio = 1862270719;
	if (lo_first)
		ask(&s, &lo, &from_lo);
	ask(&s, &hi, &from_hi);
	if (!lo_first)
		ask(&s, &lo, &from_lo);
	sel = ice_agent_selected(s.n.ag);
	ck_assert_ptr_nonnull(sel);
	ck_assert(stun_addr_equal(&sel->remote, &from_hi));
	ck_assert(addr_is(&sel->local, "203.0.113.10", 3478));
	ck_assert_uint_eq(sel->priority, cand_pair_priority(1862270975, local));
	ck_assert_uint_eq(s.n.n_sel, lo_first ? 2 : 1);
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);
	ck_assert_int_eq(s.n.states[0], ICE_CHECKING);
	ck_assert_uint_eq(s.n.n_states, 2);
	/* A consent check without USE-CANDIDATE changes nothing. */
	lo.use_cand = false;
	ask(&s, &lo, &from_lo);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_hi));
	net_free(&s.net);
}
END_TEST

/* 7.3.1.1 on a full agent: the larger tiebreaker wins.  Case by case:
 * we control and lose (switch), we control and win (487), we are
 * controlled and win (switch), we are controlled and lose (487). */
START_TEST(test_role_conflict_in_request)
{
	static const struct {
		enum ice_role mine;
		int theirs;         /* R_CONTROLLING or R_CONTROLLED */
		uint64_t their_tb;
		int code;
		enum ice_role after;
	} t[] = {
		{ ICE_CONTROLLING, R_CONTROLLING, 200, 0, ICE_CONTROLLED },
		{ ICE_CONTROLLING, R_CONTROLLING, 50, 487, ICE_CONTROLLING },
		{ ICE_CONTROLLED, R_CONTROLLED, 50, 0, ICE_CONTROLLING },
		{ ICE_CONTROLLED, R_CONTROLLED, 200, 487, ICE_CONTROLLED },
	};
	struct ice_config cfg = full_cfg(t[_i].mine, 100);
	struct solo s;
	char user[300];
	struct hreq h;
	struct stun_msg m;
	const struct note_rec *n;

	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	h.role = t[_i].theirs;
	h.tb = t[_i].their_tb;
	m = ask(&s, &h, &s.peer);
	ck_assert_int_eq(m.cls, t[_i].code ? STUN_ERROR : STUN_SUCCESS);
	if (t[_i].code)
		ck_assert_int_eq(m.error_code, 487);
	ck_assert(signed_by(&m, ice_agent_pwd(s.n.ag)));
	ck_assert_int_eq(ice_agent_role(s.n.ag), t[_i].after);
	n = find_note(&s.n, ICE_NOTE_ROLE_CHANGED, 0);
	ck_assert_int_eq(n != NULL, t[_i].after != t[_i].mine);
	net_free(&s.net);
}
END_TEST

/* 7.2.5.1: a 487 to our check switches the role and the check goes out
 * again, claiming the new role. */
START_TEST(test_role_conflict_487_response)
{
	static const char *const one[] = { "198.51.100.2 5001" };
	struct net net = { 0 };
	struct node c;
	struct ice_config cfg = full_cfg(_i == 0 ? ICE_CONTROLLING : ICE_CONTROLLED, 1);
	const struct sent_rec *req;
	uint8_t buf[MSG_MAX];
	struct stun_msg m, again;
	size_t before;

	node_init(&c, &net, &cfg);
	node_hosts(&c, one, 1);
	set_remote(&c, false);
	add_remote(&c, rcand("1", CAND_HOST, HOST_V4, "203.0.113.10", 3478));
	run_until(&net, 0);
	req = last_sent(&c);
	m = sent_msg(req);
	ck_assert(m.has & (_i == 0 ? STUN_HAS_CONTROLLING : STUN_HAS_CONTROLLED));
	inject(&c, 0, &req->to, buf, mk_resp(buf, req, 487, "peer-password-0123456789", NULL));
	ck_assert_int_eq(ice_agent_role(c.ag), _i == 0 ? ICE_CONTROLLED : ICE_CONTROLLING);
	ck_assert_ptr_nonnull(find_note(&c, ICE_NOTE_ROLE_CHANGED, 0));
	before = c.n_sent;
	run_until(&net, 100);
	ck_assert_uint_eq(c.n_sent, before + 1);
	again = sent_msg(last_sent(&c));
	ck_assert(memcmp(again.txid, m.txid, STUN_TXID_SIZE) != 0);
	ck_assert(again.has & (_i == 0 ? STUN_HAS_CONTROLLED : STUN_HAS_CONTROLLING));
	ck_assert_uint_eq(last_sent(&c)->t, ICE_TA_DEFAULT_MS);
	net_free(&net);
}
END_TEST

/* ---- Consent freshness (RFC 7675) ------------------------------------ */

#define C_INTERVAL 1000u
#define C_TIMEOUT  3000u

/* Full client and lite server, IPv4 only, short consent timers, each
 * with its quirks; run until both completed (well before 2 s). */
static void consent_duo_t(struct duo *d, unsigned client_quirks, unsigned server_quirks,
			  unsigned timeout_ms)
{
	static const char *const c4[] = { "198.51.100.2 5001" };
	static const char *const s4[] = { "203.0.113.10 3478" };
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();

	memset(d, 0, sizeof(*d));
	cc.consent_interval_ms = sc.consent_interval_ms = C_INTERVAL;
	cc.consent_timeout_ms = sc.consent_timeout_ms = timeout_ms;
	cc.quirks = client_quirks;
	sc.quirks = server_quirks;
	node_init(&d->c, &d->net, &cc);
	node_init(&d->s, &d->net, &sc);
	node_hosts(&d->c, c4, 1);
	node_hosts(&d->s, s4, 1);
	signal_to(&d->s, &d->c, NULL);
	signal_to(&d->c, &d->s, NULL);
	run_until(&d->net, 2000);
	ck_assert_int_eq(ice_agent_state(d->c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d->s.ag), ICE_COMPLETED);
}

static void consent_duo(struct duo *d, unsigned client_quirks, unsigned server_quirks)
{
	consent_duo_t(d, client_quirks, server_quirks, C_TIMEOUT);
}

/* The client's requests sent in [from, to). */
static size_t requests_between(const struct node *n, uint64_t from, uint64_t to,
			       uint64_t *max_gap)
{
	uint64_t prev = from;
	size_t k = 0;

	*max_gap = 0;
	for (size_t i = 0; i < n->n_sent; i++) {
		const struct sent_rec *r = &n->sent[i];

		if (r->t < from || r->t >= to || !is_request(r))
			continue;
		*max_gap = r->t - prev > *max_gap ? r->t - prev : *max_gap;
		prev = r->t;
		k++;
	}
	return k;
}

static uint64_t state_time(const struct node *n, enum ice_state st)
{
	for (size_t i = 0; i < n->n_states; i++)
		if (n->states[i] == st)
			return n->state_t[i];
	return UINT64_MAX;
}

/* With the path up, consent is checked every interval x[0.8, 1.2] with a
 * new transaction each time and never lapses; cut, both ends give up
 * within the timeout plus one interval, and the client stops sending. */
START_TEST(test_consent_kept_then_lost)
{
	struct duo d;
	uint64_t gap, cut = 30000, tc, ts;
	size_t n;

	consent_duo(&d, 0, 0);
	run_until(&d.net, cut);
	n = requests_between(&d.c, 2000, cut, &gap);
	ck_assert_uint_ge(n, (cut - 2000) / (C_INTERVAL * 12 / 10));
	ck_assert_uint_le(n, (cut - 2000) / (C_INTERVAL * 8 / 10) + 1);
	ck_assert_uint_le(gap, C_INTERVAL * 12 / 10);
	for (size_t i = 1; i < d.c.n_sent; i++) {
		struct stun_msg a = sent_msg(&d.c.sent[i - 1]), b = sent_msg(&d.c.sent[i]);

		if (d.c.sent[i].t >= 2000 && is_request(&d.c.sent[i])) {
			ck_assert(memcmp(a.txid, b.txid, STUN_TXID_SIZE) != 0);
			ck_assert(!(b.has & STUN_HAS_USE_CANDIDATE));
			ck_assert(b.has & STUN_HAS_INTEGRITY);
		}
	}
	ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
	ck_assert(!went_through(&d.s, ICE_DISCONNECTED));

	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.c.idx, 0 };
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, 0 };
	run_until(&d.net, cut + 3 * C_TIMEOUT);
	tc = state_time(&d.c, ICE_DISCONNECTED);
	ts = state_time(&d.s, ICE_DISCONNECTED);
	ck_assert_uint_le(tc, cut + C_TIMEOUT + C_INTERVAL * 12 / 10);
	ck_assert_uint_ge(tc, cut + C_TIMEOUT - C_INTERVAL * 12 / 10);
	ck_assert_uint_le(ts, cut + C_TIMEOUT + C_INTERVAL * 12 / 10);
	ck_assert_ptr_nonnull(strstr(ice_agent_state_reason(d.c.ag), "consent lost"));
	ck_assert_ptr_nonnull(strstr(ice_agent_state_reason(d.s.ag), "5-tuple"));
	ck_assert_ptr_null(ice_agent_selected(d.c.ag));
	ck_assert_ptr_null(ice_agent_selected(d.s.ag));
	/* 5.1: the client ceases to send on the pair. */
	ck_assert_uint_eq(requests_between(&d.c, tc + 1, UINT64_MAX, &gap), 0);
	ck_assert_uint_eq(ice_agent_deadline(d.c.ag), UINT64_MAX);
	net_free(&d.net);
}
END_TEST

/* An authenticated 403 revokes consent at once; an unsigned one does not. */
START_TEST(test_consent_403)
{
	struct duo d;
	uint8_t buf[MSG_MAX];
	const struct sent_rec *req;
	size_t before;

	consent_duo(&d, 0, 0);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.c.idx, 0 };
	before = d.c.n_sent;
	run_until(&d.net, 2000 + C_INTERVAL * 13 / 10);   /* one request, lost */
	ck_assert_uint_gt(d.c.n_sent, before);
	req = last_sent(&d.c);
	ck_assert(is_request(req));
	inject(&d.c, 0, &req->to, buf, mk_resp(buf, req, 403, NULL, NULL));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	inject(&d.c, 0, &req->to, buf, mk_resp(buf, req, 403, ice_agent_pwd(d.s.ag), NULL));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_DISCONNECTED);
	ck_assert_ptr_nonnull(strstr(ice_agent_state_reason(d.c.ag), "403"));
	ck_assert_ptr_null(ice_agent_selected(d.c.ag));
	net_free(&d.net);
}
END_TEST

/* Data flowing changes nothing (5.1: "even while media flows"); with
 * pion/ice #767's quirk the checks stop, and the lite server drops the
 * tuple as it should. */
START_TEST(test_consent_while_sending)
{
	bool quirky = _i == 1;
	struct duo d;
	uint64_t gap;

	consent_duo(&d, quirky ? QUIRK_NO_CONSENT_WHILE_SENDING : 0, 0);
	for (uint64_t t = 2000; t < 2000 + 4 * C_TIMEOUT; t += 100) {
		ice_agent_data_sent(d.c.ag, t);
		run_until(&d.net, t + 100);
	}
	if (quirky) {
		ck_assert_uint_eq(requests_between(&d.c, 2000 + C_INTERVAL * 12 / 10, UINT64_MAX,
						   &gap), 0);
		ck_assert(went_through(&d.s, ICE_DISCONNECTED));
		ck_assert_ptr_null(ice_agent_selected(d.s.ag));
	} else {
		requests_between(&d.c, 2000, 2000 + 4 * C_TIMEOUT, &gap);
		ck_assert_uint_le(gap, C_INTERVAL * 12 / 10);
		ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
		ck_assert(!went_through(&d.s, ICE_DISCONNECTED));
	}
	net_free(&d.net);
}
END_TEST

/* A cut shorter than the timeout loses a request or two but not consent;
 * werift's old quirk gives up checking after the first lost one.  The cut
 * outlasts the longest interval, so a request is lost; the timeout
 * outlasts the last answer before it, the cut and the longest interval
 * after it, so the default survives whatever the jitter. */
START_TEST(test_consent_survives_short_cut)
{
	bool quirky = _i == 1;
	struct duo d;
	uint64_t gap;

	consent_duo_t(&d, quirky ? QUIRK_STOP_CONSENT_AFTER_TIMEOUT : 0, 0, 4 * C_INTERVAL);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.c.idx, 0 };
	run_until(&d.net, 2000 + C_INTERVAL * 13 / 10);
	d.net.n_drops = 0;
	run_until(&d.net, 2000 + 4 * C_TIMEOUT);
	if (quirky) {
		ck_assert(went_through(&d.c, ICE_DISCONNECTED));
		ck_assert(went_through(&d.s, ICE_DISCONNECTED));
		ck_assert_uint_le(requests_between(&d.c, 2000, UINT64_MAX, &gap), 2);
	} else {
		ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
		ck_assert(!went_through(&d.s, ICE_DISCONNECTED));
		ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	}
	net_free(&d.net);
}
END_TEST

/* Lite (spec item 11): consent checks without USE-CANDIDATE are answered
 * after completion; ex_ice #110's quirk drops them unanswered. */
START_TEST(test_lite_answers_consent)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char user[300];
	struct hreq h;
	uint8_t buf[MSG_MAX];
	size_t before;

	cfg.quirks = _i == 1 ? QUIRK_IGNORE_CONSENT_CHECKS : 0;
	solo_init(&s, &cfg);
	h = good_req(&s.n, user, sizeof(user));
	h.use_cand = true;
	ask(&s, &h, &s.peer);
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);
	h.use_cand = false;
	before = s.n.n_sent;
	inject(&s.n, 0, &s.peer, buf, mk_req(buf, &h));
	ck_assert_uint_eq(s.n.n_sent, before + (_i == 1 ? 0 : 1));
	net_free(&s.net);
}
END_TEST

/* Lite (spec items 12-13): consent is per 5-tuple, the local address
 * included: checks from the same remote address to another local address
 * do not keep the selected tuple alive. */
START_TEST(test_lite_consent_per_5tuple)
{
	static const char *const two[] = { "203.0.113.10 3478", "203.0.113.11 3478" };
	struct ice_config cfg = lite_cfg();
	struct net net = { 0 };
	struct node n;
	char user[300];
	struct hreq h;
	uint8_t buf[MSG_MAX];
	union stun_addr peer = A("198.51.100.2", 5001);

	cfg.consent_timeout_ms = C_TIMEOUT;
	node_init(&n, &net, &cfg);
	node_hosts(&n, two, 2);
	snprintf(user, sizeof(user), "%s:peer", ice_agent_ufrag(n.ag));
	h = (struct hreq){ .user = user, .key = ice_agent_pwd(n.ag), .prio = 1862270975,
			   .role = R_CONTROLLING, .tb = 42, .use_cand = true };
	inject(&n, 0, &peer, buf, mk_req(buf, &h));
	ck_assert(addr_is(&ice_agent_selected(n.ag)->local, "203.0.113.10", 3478));
	h.use_cand = false;
	for (net.now = 500; net.now < 2 * C_TIMEOUT; net.now += 500) {
		inject(&n, 1, &peer, buf, mk_req(buf, &h));
		if (ice_agent_deadline(n.ag) <= net.now)
			ice_agent_tick(n.ag, net.now);
	}
	ck_assert_int_eq(ice_agent_state(n.ag), ICE_DISCONNECTED);
	ck_assert_uint_le(state_time(&n, ICE_DISCONNECTED), C_TIMEOUT + 500);
	ck_assert_ptr_null(ice_agent_selected(n.ag));
	/* A new nomination brings it back. */
	h.use_cand = true;
	inject(&n, 0, &peer, buf, mk_req(buf, &h));
	ck_assert_ptr_nonnull(ice_agent_selected(n.ag));
	ck_assert_int_eq(ice_agent_state(n.ag), ICE_COMPLETED);
	node_free(&n);
	free(net.q);
}
END_TEST

/* The defaults are RFC 7675's: 5 s x[0.8, 1.2] but never under 4 s, and
 * lost 30 s after the last response. */
START_TEST(test_consent_defaults)
{
	struct duo d;
	uint64_t gap, tc;

	full_vs_lite(&d, ICE_NOMINATE_REGULAR, false);   /* runs to 60 s */
	ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
	requests_between(&d.c, 10000, 60000, &gap);
	ck_assert_uint_le(gap, 6000);
	ck_assert_uint_ge(requests_between(&d.c, 10000, 60000, &gap), 50000 / 6000);
	ck_assert_uint_le(requests_between(&d.c, 10000, 60000, &gap), 50000 / 4000 + 1);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, 0 };
	run_until(&d.net, 120000);
	tc = state_time(&d.c, ICE_DISCONNECTED);
	ck_assert_uint_ge(tc, 60000 + ICE_CONSENT_TIMEOUT_MS - 6000);
	ck_assert_uint_le(tc, 60000 + ICE_CONSENT_TIMEOUT_MS);
	net_free(&d.net);
}
END_TEST

/* ---- Quirks of selection and nomination (quirk.h) ------------------- */

/* A lite agent on `hosts` with `quirks`, for hand-made requests. */
static void quirk_solo(struct solo *s, unsigned quirks, const char *const *hosts, size_t n)
{
	struct ice_config cfg = lite_cfg();

	cfg.quirks = quirks;
	memset(s, 0, sizeof(*s));
	node_init(&s->n, &s->net, &cfg);
	node_hosts(&s->n, hosts, n);
}

/* Send a request to socket `sock` from `from`; returns the answer's
 * record, which must go to `from`. */
static const struct sent_rec *ask_on(struct solo *s, int sock, const struct hreq *h,
				     const union stun_addr *from)
{
	uint8_t buf[MSG_MAX];
	size_t before = s->n.n_sent;
	const struct sent_rec *r;

	inject(&s->n, sock, from, buf, mk_req(buf, h));
	ck_assert_uint_eq(s->n.n_sent, before + 1);
	r = last_sent(&s->n);
	ck_assert(stun_addr_equal(&r->to, from));
	ck_assert_int_eq(sent_msg(r).cls, STUN_SUCCESS);
	return r;
}

/* select-first-check (mediasoup forum thread 2702): the first
 * authenticated check selects its tuple without USE-CANDIDATE; later plain
 * checks change nothing, USE-CANDIDATE and incoming DTLS do.  The default
 * agent selects nothing before USE-CANDIDATE and ignores data. */
START_TEST(test_quirk_select_first_check)
{
	bool quirky = _i == 1;
	union stun_addr c6 = A("2001:db8:c::1", 5000), c4 = A("198.51.100.2", 5001);
	struct solo s;
	char user[300];
	struct hreq h;
	struct icl_err err;

	quirk_solo(&s, quirky ? QUIRK_SELECT_FIRST_CHECK : 0, server_ds, 2);
	h = good_req(&s.n, user, sizeof(user));
	ask_on(&s, 0, &h, &c6);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 1 : 0);
	if (quirky) {
		ck_assert(stun_addr_equal(&s.n.sel[0].remote, &c6));
		ck_assert_int_eq(s.n.sel[0].sock, 0);
		ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);
	}
	ask_on(&s, 1, &h, &c4);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 1 : 0);
	h.use_cand = true;
	ask_on(&s, 1, &h, &c4);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 2 : 1);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &c4));
	/* DTLS from the first tuple: the quirk follows it back. */
	ice_agent_data_received(s.n.ag, s.net.now, 0, &c6);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, quirky ? &c6 : &c4));
	ck_assert_uint_eq(s.n.n_sel, quirky ? 3 : 1);
	/* From a tuple no check came over: nothing. */
	ice_agent_data_received(s.n.ag, s.net.now, 1, &c6);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 3 : 1);
	/* After a restart the kept tuple is still selected: the first plain
	 * check of the new session is no first check of the call. */
	ck_assert_int_eq(ice_agent_restart(s.n.ag, NULL, NULL, s.net.now, &err), 0);
	h = good_req(&s.n, user, sizeof(user));
	ask_on(&s, 1, &h, &c4);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 3 : 1);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, quirky ? &c6 : &c4));
	ck_assert_uint_eq(count_requests(&s.n, false), 0);
	net_free(&s.net);
}
END_TEST

/* last-nomination-wins (mediasoup #650): of two nominated pairs the
 * quirk keeps the latest, the default the best (RFC 8445 8.1.1). */
START_TEST(test_quirk_last_nomination_wins)
{
	bool quirky = _i == 1;
	union stun_addr from_hi = A("198.51.100.2", 5001), from_lo = A("198.51.100.3", 5002);
	static const char *const one[] = { "203.0.113.10 3478" };
	struct solo s;
	char user[300];
	struct hreq hi, lo;

	quirk_solo(&s, quirky ? QUIRK_LAST_NOMINATION_WINS : 0, one, 1);
	hi = good_req(&s.n, user, sizeof(user));
	hi.use_cand = true;
	lo = hi;
	lo.prio = hi.prio - 256;
	ask_on(&s, 0, &hi, &from_hi);
	ask_on(&s, 0, &lo, &from_lo);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote,
				  quirky ? &from_lo : &from_hi));
	ck_assert_uint_eq(s.n.n_sel, quirky ? 2 : 1);
	/* A plain check (consent) is no nomination, quirk or not. */
	lo.use_cand = hi.use_cand = false;
	ask_on(&s, 0, &lo, &from_lo);
	ask_on(&s, 0, &hi, &from_hi);
	ck_assert_uint_eq(s.n.n_sel, quirky ? 2 : 1);
	net_free(&s.net);
}
END_TEST

/* tuple-by-remote-only (mediasoup #1585): one remote address checks both
 * local addresses; the quirk answers the second check from the first
 * local address and nominates the first tuple. */
START_TEST(test_quirk_tuple_by_remote_only)
{
	static const char *const two[] = { "203.0.113.10 3478", "203.0.113.11 3478" };
	bool quirky = _i == 1;
	union stun_addr peer = A("198.51.100.2", 5001);
	struct solo s;
	char user[300];
	struct hreq h;
	const struct ice_pair_info *sel;

	quirk_solo(&s, quirky ? QUIRK_TUPLE_BY_REMOTE_ONLY : 0, two, 2);
	h = good_req(&s.n, user, sizeof(user));
	ck_assert_int_eq(ask_on(&s, 0, &h, &peer)->sock, 0);
	ck_assert_int_eq(ask_on(&s, 1, &h, &peer)->sock, quirky ? 0 : 1);
	h.use_cand = true;
	ck_assert_int_eq(ask_on(&s, 1, &h, &peer)->sock, quirky ? 0 : 1);
	sel = ice_agent_selected(s.n.ag);
	ck_assert_ptr_nonnull(sel);
	ck_assert(addr_is(&sel->local, quirky ? "203.0.113.10" : "203.0.113.11", 3478));
	ck_assert_int_eq(sel->sock, quirky ? 0 : 1);
	/* The note says where the agent thinks it answered. */
	ck_assert(addr_is(&s.n.notes[s.n.n_notes - 1].n.local,
			  quirky ? "203.0.113.10" : "203.0.113.11", 3478));
	net_free(&s.net);
}
END_TEST

/* dtls-reply-wrong-family needs the core's tuples: with the quirk every
 * answered check leaves a pair behind (agent_net.c picks one of the other
 * family); the default lite agent keeps only nominated pairs. */
START_TEST(test_quirk_tuples_kept)
{
	bool quirky = _i == 1;
	union stun_addr c6 = A("2001:db8:c::1", 5000), c4 = A("198.51.100.2", 5001);
	struct ice_pair_view v[4];
	struct solo s;
	char user[300];
	struct hreq h;

	quirk_solo(&s, quirky ? QUIRK_DTLS_REPLY_WRONG_FAMILY : 0, server_ds, 2);
	h = good_req(&s.n, user, sizeof(user));
	ask_on(&s, 1, &h, &c4);
	h.use_cand = true;
	ask_on(&s, 0, &h, &c6);
	ck_assert_uint_eq(ice_agent_pairs(s.n.ag, v, 4), quirky ? 2 : 1);
	ck_assert(stun_addr_equal(&v[0].info.remote, &c6));
	ck_assert(v[0].nominated);
	if (quirky) {
		ck_assert(stun_addr_equal(&v[1].info.remote, &c4));
		ck_assert_int_eq(v[1].info.sock, 1);
		ck_assert(!v[1].nominated);
	}
	/* Selection is the regular one all the same. */
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &c6));
	ck_assert_uint_eq(s.n.n_sel, 1);
	net_free(&s.net);
}
END_TEST

/* aggressive-vs-lite (RFC 5245 8.1.1 broken): on the one-way IPv6 path
 * every check nominates, so the lite server selects the dead IPv6 pair
 * while the client ends on IPv4; the default client (test_no_aggressive_
 * vs_lite) nominates once, regularly. */
START_TEST(test_quirk_aggressive_vs_lite)
{
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();
	const struct note_rec *n;
	size_t v4 = 0, v6 = 0;
	struct duo d;

	memset(&d, 0, sizeof(d));
	cc.nomination = ICE_NOMINATE_AGGRESSIVE;
	cc.quirks = QUIRK_AGGRESSIVE_VS_LITE;
	node_init(&d.c, &d.net, &cc);
	node_init(&d.s, &d.net, &sc);
	node_hosts(&d.c, client_ds, 2);
	node_hosts(&d.s, server_ds, 2);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, AF_INET6 };
	signal_to(&d.s, &d.c, NULL);
	signal_to(&d.c, &d.s, NULL);
	run_until(&d.net, 5000);   /* before consent (RFC 7675) has a say */
	n = find_note(&d.c, ICE_NOTE_NOMINATING, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(strstr(n->text, "aggressive-vs-lite"));
	/* Until the client selects, every check nominates: the IPv6 one (and
	 * its retransmissions) and the IPv4 one.  (Consent checks follow.) */
	ck_assert_uint_eq(d.c.n_sel, 1);
	for (size_t i = 0; i < d.c.n_sent && d.c.sent[i].t < d.c.sel_t[0]; i++) {
		ck_assert(!is_request(&d.c.sent[i]) || has_use_cand(&d.c.sent[i]));
		v4 += d.c.sent[i].to.sa.sa_family == AF_INET;
		v6 += d.c.sent[i].to.sa.sa_family == AF_INET6;
	}
	ck_assert_uint_ge(v4, 1);
	ck_assert_uint_ge(v6, 1);
	ck_assert_int_eq(d.c.sel[0].local.sa.sa_family, AF_INET);
	ck_assert_uint_eq(d.s.n_sel, 1);
	ck_assert_int_eq(d.s.sel[0].local.sa.sa_family, AF_INET6);
	ck_assert(!same_5tuple(&d.c.sel[0], &d.s.sel[0]));
	net_free(&d.net);
}
END_TEST

/* ---- ICE restart (RFC 8445 9) ------------------------------------------ */

/* The USERNAME of the last request `n` sent. */
static void last_request_user(const struct node *n, char *out, size_t size)
{
	for (size_t i = n->n_sent; i-- > 0;)
		if (is_request(&n->sent[i])) {
			stun_str_copy(sent_msg(&n->sent[i]).username, out, size);
			return;
		}
	out[0] = '\0';
}

/* Step the clock in small steps up to `end`, asserting that the client
 * has a pair to send data on (DTLS) at every step. */
static void run_keeping_path(struct duo *d, uint64_t end)
{
	while (d->net.now < end) {
		run_until(&d->net, d->net.now + 50);
		ck_assert_ptr_nonnull(ice_agent_selected(d->c.ag));
	}
}

/* The client restarts: the old pair carries data (and consent, with the
 * old credentials, which the lite server still accepts after its own
 * restart) until the new check list selects a pair with the new ones;
 * the server then refuses the old credentials. */
START_TEST(test_restart_keeps_path)
{
	struct duo d;
	char old_cu[257], old_su[257], old_sp[257], user[600], want[600];
	struct icl_err err;
	char ureq[600];
	struct hreq h;
	uint8_t buf[MSG_MAX];
	size_t before;

	consent_duo(&d, 0, 0);
	snprintf(old_cu, sizeof(old_cu), "%s", ice_agent_ufrag(d.c.ag));
	snprintf(old_su, sizeof(old_su), "%s", ice_agent_ufrag(d.s.ag));
	snprintf(old_sp, sizeof(old_sp), "%s", ice_agent_pwd(d.s.ag));
	ck_assert_int_eq(ice_agent_restart(d.c.ag, NULL, NULL, d.net.now, &err), 0);
	ck_assert_str_ne(ice_agent_ufrag(d.c.ag), old_cu);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_CHECKING);
	ck_assert_str_eq(ice_agent_state_reason(d.c.ag), "restart");
	run_keeping_path(&d, 3000);

	/* The server follows (the answer), keeping old credentials alive. */
	ck_assert(ice_agent_remote_changed(d.s.ag, ice_agent_ufrag(d.c.ag), ice_agent_pwd(d.c.ag)));
	ck_assert_int_eq(ice_agent_restart(d.s.ag, NULL, NULL, d.net.now, &err), 0);
	ck_assert_str_ne(ice_agent_ufrag(d.s.ag), old_su);
	run_keeping_path(&d, 4000);
	ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
	ck_assert(!went_through(&d.s, ICE_DISCONNECTED));
	before = d.c.n_sel;
	signal_to(&d.s, &d.c, NULL);
	signal_to(&d.c, &d.s, NULL);
	run_keeping_path(&d, 8000);
	ck_assert_uint_eq(d.c.n_sel, before + 1);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert(!went_through(&d.c, ICE_DISCONNECTED));
	ck_assert(!went_through(&d.s, ICE_DISCONNECTED));
	/* The new credentials are used, in checks and consent alike. */
	last_request_user(&d.c, user, sizeof(user));
	snprintf(want, sizeof(want), "%s:%s", ice_agent_ufrag(d.s.ag), ice_agent_ufrag(d.c.ag));
	ck_assert_str_eq(user, want);
	/* The old ones are gone now that the new ones were seen. */
	snprintf(ureq, sizeof(ureq), "%s:%s", old_su, old_cu);
	h = (struct hreq){ .user = ureq, .key = old_sp, .prio = 1862270975,
			   .role = R_CONTROLLING, .tb = 42 };
	before = d.s.n_sent;
	inject(&d.s, 0, &d.c.pub[0], buf, mk_req(buf, &h));
	ck_assert_uint_eq(d.s.n_sent, before + 1);
	ck_assert_int_eq(sent_msg(last_sent(&d.s)).error_code, 401);
	net_free(&d.net);
}
END_TEST

/* Lite: the old credentials work until a request proves the new ones. */
START_TEST(test_lite_restart_old_credentials)
{
	struct ice_config cfg = lite_cfg();
	struct solo s;
	char old_u[257], old_p[257], ou[300], nu[300];
	struct hreq h;
	struct stun_msg m;
	struct icl_err err;

	solo_init(&s, &cfg);
	snprintf(old_u, sizeof(old_u), "%s", ice_agent_ufrag(s.n.ag));
	snprintf(old_p, sizeof(old_p), "%s", ice_agent_pwd(s.n.ag));
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", "newpassword0123456789abc", 0, &err),
			 0);
	ck_assert_int_ne(ice_agent_restart(s.n.ag, "newufrag", "otherpassword0123456789x", 0, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "new ufrag"));
	snprintf(ou, sizeof(ou), "%s:peer", old_u);
	h = (struct hreq){ .user = ou, .key = old_p, .prio = 1862270975, .role = R_CONTROLLING,
			   .tb = 42 };
	m = ask(&s, &h, &s.peer);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert(signed_by(&m, old_p));
	snprintf(nu, sizeof(nu), "newufrag:peer");
	h.user = nu;
	h.key = "newpassword0123456789abc";
	m = ask(&s, &h, &s.peer);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert(signed_by(&m, "newpassword0123456789abc"));
	h.user = ou;
	h.key = old_p;
	expect_error(&s, &h, 401, false);
	net_free(&s.net);
}
END_TEST

/* A lite agent with consent timeout C_TIMEOUT whose first credentials
 * nominated `from` at `prio`; `h` is left holding those credentials,
 * which `pwd` and `user` keep (the agent forgets them at a restart). */
static void lite_nominated(struct solo *s, struct hreq *h, char pwd[257], char user[300],
			   uint32_t prio, const union stun_addr *from)
{
	struct ice_config cfg = lite_cfg();

	cfg.consent_timeout_ms = C_TIMEOUT;
	solo_init(s, &cfg);
	snprintf(pwd, 257, "%s", ice_agent_pwd(s->n.ag));
	snprintf(user, 300, "%s:peer", ice_agent_ufrag(s->n.ag));
	*h = (struct hreq){ .user = user, .key = pwd, .prio = prio, .role = R_CONTROLLING,
			    .tb = 42, .use_cand = true };
	ask(s, h, from);
}

/* Three consent timeouts in 500 ms steps: the peer's check `h` from
 * `from` at each step if `feed`, and the agent's timers. */
static void consent_steps(struct solo *s, const struct hreq *h, const union stun_addr *from,
			  bool feed)
{
	uint8_t buf[MSG_MAX];

	for (s->net.now = 500; s->net.now < 3 * C_TIMEOUT; s->net.now += 500) {
		if (feed)
			inject(&s->n, 0, from, buf, mk_req(buf, h));
		if (ice_agent_deadline(s->n.ag) <= s->net.now)
			ice_agent_tick(s->n.ag, s->net.now);
	}
}

/* RFC 8445 9 on a lite agent: a restart flushes the nominations.  A tuple
 * nominated before it, however high its priority, no longer outranks the
 * first one nominated with the new credentials; until that one the old
 * tuple carries data.  Then only the new tuple's consent counts. */
START_TEST(test_lite_restart_flushes_nominations)
{
	struct solo s;
	char old_p[257], ou[300], nu[] = "newufrag:peer", np[] = "newpassword0123456789abc";
	union stun_addr from_old = A("198.51.100.2", 5001), from_new = A("198.51.100.3", 5002);
	struct hreq h;
	struct icl_err err;

	lite_nominated(&s, &h, old_p, ou, 1862270975, &from_old);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_old));

	s.net.now = 100;
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", np, s.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_CHECKING);
	ck_assert_str_eq(ice_agent_state_reason(s.n.ag), "restart");
	ck_assert_ptr_nonnull(ice_agent_selected(s.n.ag));
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_old));
	s.net.now = 200;
	h.use_cand = false;   /* the old session's consent check */
	ck_assert_int_eq(ask(&s, &h, &from_old).cls, STUN_SUCCESS);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_old));

	/* The new nomination, of a lower priority than the old one. */
	s.net.now = 300;
	h = (struct hreq){ .user = nu, .key = np, .prio = 1862270719, .role = R_CONTROLLING,
			   .tb = 42, .use_cand = true };
	ck_assert_int_eq(ask(&s, &h, &from_new).cls, STUN_SUCCESS);
	ck_assert_ptr_nonnull(ice_agent_selected(s.n.ag));
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_new));
	ck_assert_uint_eq(s.n.n_sel, 2);
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);

	/* Consent on the new tuple keeps it; the old one is no candidate. */
	h.use_cand = false;
	consent_steps(&s, &h, &from_new, true);
	ck_assert(!went_through(&s.n, ICE_DISCONNECTED));
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_new));
	ck_assert_uint_eq(s.n.n_sel, 2);
	net_free(&s.net);
}
END_TEST

/* After a lite agent's restart, before a new nomination, the tuple kept
 * for data lives on the peer's requests on it, with the old credentials
 * too (spec items 13-14), and dies without them; a nomination with the
 * old credentials belongs to the flushed session and selects nothing. */
START_TEST(test_lite_restart_kept_tuple)
{
	struct solo s;
	char old_p[257], ou[300], nu[] = "newufrag:peer", np[] = "newpassword0123456789abc";
	union stun_addr from_old = A("198.51.100.2", 5001), other = A("198.51.100.4", 5004);
	struct hreq h;
	struct icl_err err;
	bool fed = _i == 0;

	lite_nominated(&s, &h, old_p, ou, 1862270719, &from_old);
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", np, 0, &err), 0);
	/* Higher priority, old credentials: answered, not nominated. */
	h.prio = 1862270975;
	ck_assert_int_eq(ask(&s, &h, &other).cls, STUN_SUCCESS);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_old));
	ck_assert_uint_eq(s.n.n_sel, 1);
	h.use_cand = false;
	consent_steps(&s, &h, &from_old, fed);
	if (fed) {
		ck_assert(!went_through(&s.n, ICE_DISCONNECTED));
		ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &from_old));
		net_free(&s.net);
		return;
	}
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_DISCONNECTED);
	ck_assert_uint_le(state_time(&s.n, ICE_DISCONNECTED), C_TIMEOUT + 500);
	ck_assert_ptr_nonnull(strstr(ice_agent_state_reason(s.n.ag), "5-tuple"));
	ck_assert_ptr_null(ice_agent_selected(s.n.ag));
	ck_assert_uint_eq(ice_agent_deadline(s.n.ag), UINT64_MAX);
	/* The new credentials' nomination recovers. */
	h = (struct hreq){ .user = nu, .key = np, .prio = 1862270719, .role = R_CONTROLLING,
			   .tb = 42, .use_cand = true };
	ask(&s, &h, &from_old);
	ck_assert_ptr_nonnull(ice_agent_selected(s.n.ag));
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);
	net_free(&s.net);
}
END_TEST

/* The last request `n` sent to `to` since `since` ms, or NULL. */
static const struct sent_rec *request_to(const struct node *n, const union stun_addr *to,
					 uint64_t since)
{
	const struct sent_rec *r = NULL;

	for (size_t i = 0; i < n->n_sent; i++)
		if (n->sent[i].t >= since && is_request(&n->sent[i]) &&
		    stun_addr_equal(&n->sent[i].to, to))
			r = &n->sent[i];
	return r;
}

/* A controlled full agent configured by `cfg` whose pair with s->peer
 * was checked and then nominated by the peer's USE-CANDIDATE; `h` is left
 * holding that check, whose credentials `pwd` and `user` keep (the agent
 * forgets them at a restart). */
static void full_nominated(struct solo *s, const struct ice_config *cfg, struct hreq *h,
			   char pwd[257], char user[300])
{
	const struct sent_rec *req;
	uint8_t buf[MSG_MAX];

	solo_init(s, cfg);
	set_remote(&s->n, false);
	add_remote(&s->n, rcand("1", CAND_HOST, HOST_V4, "198.51.100.2", 5001));
	run_until(&s->net, 0);
	req = last_sent(&s->n);
	inject(&s->n, 0, &req->to, buf,
	       mk_resp(buf, req, 0, "peer-password-0123456789", &s->n.addr[0]));
	*h = good_req(&s->n, user, 300);
	snprintf(pwd, 257, "%s", h->key);
	h->key = pwd;
	h->use_cand = true;
	ck_assert_int_eq(ask(s, h, &s->peer).cls, STUN_SUCCESS);
	ck_assert_uint_eq(s->n.n_sel, 1);
}

/* RFC 8445 9 on a controlled full agent: a check signed with the
 * credentials from before its restart is answered (the old pair keeps
 * carrying data, on its own consent requests), but its session is over:
 * it brings no peer-reflexive candidate, pair or triggered check into the
 * new check list, and its USE-CANDIDATE nominates nothing.  The same
 * check with the new credentials does all that. */
START_TEST(test_full_restart_old_credentials)
{
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 3);
	struct solo s;
	char old_p[257], ou[300], old_user[600], user[600];
	char nu[] = "newufrag:peer2", np[] = "newpassword0123456789abc";
	const char *rp = "peer2-password-0123456789";
	union stun_addr other = A("198.51.100.4", 5004);
	const struct sent_rec *req;
	struct ice_pair_view v[4];
	uint8_t buf[MSG_MAX];
	struct stun_msg m;
	struct icl_err err;
	struct hreq h;

	full_nominated(&s, &cfg, &h, old_p, ou);
	snprintf(old_user, sizeof(old_user), "peer:%s", ice_agent_ufrag(s.n.ag));
	s.net.now = 100;
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", np, s.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_set_remote(s.n.ag, "peer2", rp, false, s.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_CHECKING);

	/* Old credentials, from elsewhere and on the kept tuple. */
	m = ask(&s, &h, &other);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert(signed_by(&m, old_p));
	h.use_cand = false;
	ck_assert_int_eq(ask(&s, &h, &s.peer).cls, STUN_SUCCESS);
	ck_assert_uint_eq(ice_agent_pairs(s.n.ag, v, 4), 0);
	ck_assert_ptr_null(find_note(&s.n, ICE_NOTE_PRFLX, 0));
	run_until(&s.net, 6500);
	ck_assert_ptr_null(request_to(&s.n, &other, 100));
	ck_assert_uint_eq(s.n.n_sel, 1);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &s.peer));
	/* The kept pair's consent goes on, with the old credentials. */
	req = request_to(&s.n, &s.peer, 100);
	ck_assert_ptr_nonnull(req);
	stun_str_copy(sent_msg(req).username, user, sizeof(user));
	ck_assert_str_eq(user, old_user);

	/* New credentials: triggered check, nominated once it succeeds. */
	h.user = nu;
	h.key = np;
	h.use_cand = true;
	m = ask(&s, &h, &other);
	ck_assert_int_eq(m.cls, STUN_SUCCESS);
	ck_assert(signed_by(&m, np));
	ck_assert_ptr_nonnull(find_note(&s.n, ICE_NOTE_PRFLX, 0));
	ck_assert_uint_eq(ice_agent_pairs(s.n.ag, v, 4), 1);
	run_until(&s.net, s.net.now + 100);
	req = request_to(&s.n, &other, 6500);
	ck_assert_ptr_nonnull(req);
	ck_assert_uint_eq(s.n.n_sel, 1);
	inject(&s.n, req->sock, &req->to, buf, mk_resp(buf, req, 0, rp, &s.n.addr[req->sock]));
	ck_assert_uint_eq(s.n.n_sel, 2);
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &other));
	ck_assert_int_eq(ice_agent_state(s.n.ag), ICE_COMPLETED);
	net_free(&s.net);
}
END_TEST

/* The peer of a solo full agent, both restarted: it takes its old
 * credentials until a request with its new ones arrives (spec item 14).
 * It answers the agent's requests on the kept tuple (to s->peer), its
 * consent, signed with the key their USERNAME stands for, or 401
 * unsigned; the test answers the checks elsewhere. */
struct restarted_peer {
	const char *old_user, *old_key, *new_user, *new_key;
	bool retired;              /* the old credentials are refused */
	size_t seen;               /* the agent's sends read so far */
};

static const char *peer_key(struct restarted_peer *p, const struct stun_msg *m)
{
	char user[600];

	stun_str_copy(m->username, user, sizeof(user));
	if (strcmp(user, p->new_user) == 0 && signed_by(m, p->new_key)) {
		p->retired = true;
		return p->new_key;
	}
	if (!p->retired && strcmp(user, p->old_user) == 0 && signed_by(m, p->old_key))
		return p->old_key;
	return NULL;
}

static void peer_reads(struct solo *s, struct restarted_peer *p)
{
	uint8_t buf[MSG_MAX];

	for (; p->seen < s->n.n_sent; p->seen++) {
		struct sent_rec r = s->n.sent[p->seen];   /* answering may move the records */
		struct stun_msg m = sent_msg(&r);
		const char *key;

		if (m.cls != STUN_REQUEST)
			continue;
		key = peer_key(p, &m);
		if (stun_addr_equal(&r.to, &s->peer))
			inject(&s->n, r.sock, &r.to, buf,
			       mk_resp(buf, &r, key ? 0 : 401, key, &s->n.addr[r.sock]));
	}
}

/* Step the clock to `end` in 50 ms steps, the peer reading at each. */
static void run_with_peer(struct solo *s, struct restarted_peer *p, uint64_t end)
{
	while (s->net.now < end) {
		run_until(&s->net, s->net.now + 50);
		peer_reads(s, p);
	}
}

/* Request `req` has USERNAME `user` and is keyed with `key`. */
static bool request_is(const struct sent_rec *req, const char *user, const char *key)
{
	struct stun_msg m;
	char u[600];

	if (req == NULL)
		return false;
	m = sent_msg(req);
	stun_str_copy(m.username, u, sizeof(u));
	return strcmp(u, user) == 0 && signed_by(&m, key);
}

/* RFC 7675 5.1 across a restart (RFC 8445 9) of a controlled full agent:
 * consent on the kept pair goes on with the old credentials until a check
 * with the new ones is answered, and with the new ones from then on: the
 * peer, having seen that check, refuses the old ones (spec item 14).
 * Their answers keep the pair for as long as nothing new is selected. */
START_TEST(test_full_restart_consent_new_credentials)
{
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 3);
	struct solo s;
	char old_p[257], ou[300], old_user[600];
	const char *rp = "peer2-password-0123456789", *nu = "peer2:newufrag";
	union stun_addr other = A("198.51.100.4", 5004);
	struct restarted_peer peer;
	const struct sent_rec *req;
	uint64_t checked, answered;
	uint8_t buf[MSG_MAX];
	struct icl_err err;
	struct hreq h;

	/* The worst case below goes 3 intervals without a valid answer. */
	cfg.consent_interval_ms = C_INTERVAL;
	cfg.consent_timeout_ms = 5 * C_INTERVAL;
	full_nominated(&s, &cfg, &h, old_p, ou);
	snprintf(old_user, sizeof(old_user), "peer:%s", ice_agent_ufrag(s.n.ag));
	peer = (struct restarted_peer){ old_user, "peer-password-0123456789", nu, rp, false,
					s.n.n_sent };
	s.net.now = 100;
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", "newpassword0123456789abc",
					   s.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_set_remote(s.n.ag, "peer2", rp, false, s.net.now, &err), 0);
	run_with_peer(&s, &peer, 2500);
	ck_assert(request_is(request_to(&s.n, &s.peer, 100), old_user, peer.old_key));

	/* The restart's first check: the peer takes the new credentials. */
	checked = s.net.now;
	add_remote(&s.n, rcand("1", CAND_HOST, HOST_V4, "198.51.100.4", 5004));
	run_with_peer(&s, &peer, s.net.now + 50);
	ck_assert(peer.retired);
	/* Consent before the answer to that check: still the old ones,
	 * which the peer now refuses. */
	while (request_to(&s.n, &s.peer, checked + 1) == NULL)
		run_with_peer(&s, &peer, s.net.now + 50);
	ck_assert_uint_le(s.net.now, checked + C_INTERVAL * 12 / 10 + 50);
	ck_assert(request_is(request_to(&s.n, &s.peer, checked + 1), old_user, peer.old_key));

	/* The answer proves the peer has them: consent takes them. */
	req = request_to(&s.n, &other, checked);
	ck_assert_ptr_nonnull(req);
	inject(&s.n, req->sock, &req->to, buf, mk_resp(buf, req, 0, rp, &s.n.addr[req->sock]));
	answered = s.net.now;
	ck_assert_uint_eq(s.n.n_sel, 1);
	while (request_to(&s.n, &s.peer, answered + 1) == NULL)
		run_with_peer(&s, &peer, s.net.now + 50);
	ck_assert(request_is(request_to(&s.n, &s.peer, answered + 1), nu, rp));

	/* Answered with the new password, consent holds the kept pair. */
	run_with_peer(&s, &peer, answered + 4 * cfg.consent_timeout_ms);
	ck_assert(!went_through(&s.n, ICE_DISCONNECTED));
	ck_assert_uint_eq(s.n.n_sel, 1);
	ck_assert_ptr_nonnull(ice_agent_selected(s.n.ag));
	ck_assert(stun_addr_equal(&ice_agent_selected(s.n.ag)->remote, &s.peer));
	ck_assert(request_is(request_to(&s.n, &s.peer, answered + 1), nu, rp));
	net_free(&s.net);
}
END_TEST

/* The first request `s` sends to s->peer from `since` ms on (consent),
 * copied; the clock steps 50 ms at a time, for at most 1.2 x C_INTERVAL. */
static struct sent_rec next_consent(struct solo *s, uint64_t since)
{
	while (request_to(&s->n, &s->peer, since) == NULL) {
		ck_assert_uint_le(s->net.now, since + C_INTERVAL * 12 / 10);
		run_until(&s->net, s->net.now + 50);
	}
	return *request_to(&s->n, &s->peer, since);
}

/* RFC 7675 5.1 across a restart (RFC 8445 9): the peer signs its answer
 * with the key that the request's USERNAME stands for, so each consent
 * answer is checked with the key of the request it answers, not with the
 * agent's current one.  An answer to a request with the old credentials
 * that arrives after consent took the new ones still refreshes consent
 * when signed with the old password (0); signed with the new one, the
 * wrong key for that transaction, it is ignored (1).  Nothing else is
 * answered: consent runs out a timeout after the late answer (0), or
 * after the nomination, over an interval earlier (1). */
START_TEST(test_full_restart_consent_late_old_answer)
{
	struct ice_config cfg = full_cfg(ICE_CONTROLLED, 3);
	struct solo s;
	char old_p[257], ou[300], old_user[600];
	const char *op = "peer-password-0123456789", *rp = "peer2-password-0123456789";
	const char *nu = "peer2:newufrag";
	union stun_addr other = A("198.51.100.4", 5004);
	const struct sent_rec *req;
	struct sent_rec held, next;
	uint8_t buf[MSG_MAX];
	struct icl_err err;
	struct hreq h;
	uint64_t late;

	/* Consent is fresh at 0 (the nomination); the late answer comes
	 * after two consent intervals (1.6-2.4 s), within the timeout. */
	cfg.consent_interval_ms = C_INTERVAL;
	cfg.consent_timeout_ms = 4 * C_INTERVAL;
	full_nominated(&s, &cfg, &h, old_p, ou);
	snprintf(old_user, sizeof(old_user), "peer:%s", ice_agent_ufrag(s.n.ag));
	s.net.now = 100;
	ck_assert_int_eq(ice_agent_restart(s.n.ag, "newufrag", "newpassword0123456789abc",
					   s.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_set_remote(s.n.ag, "peer2", rp, false, s.net.now, &err), 0);
	held = next_consent(&s, 100);
	ck_assert(request_is(&held, old_user, op));

	/* The answer to a check with the new credentials: consent takes them. */
	add_remote(&s.n, rcand("1", CAND_HOST, HOST_V4, "198.51.100.4", 5004));
	run_until(&s.net, s.net.now + 50);
	req = request_to(&s.n, &other, held.t);
	ck_assert(request_is(req, nu, rp));
	inject(&s.n, req->sock, &req->to, buf, mk_resp(buf, req, 0, rp, &s.n.addr[req->sock]));
	next = next_consent(&s, held.t + 1);
	ck_assert(request_is(&next, nu, rp));

	/* Then the held answer, with the old password (0) or the new (1). */
	ck_assert(!went_through(&s.n, ICE_DISCONNECTED));
	inject(&s.n, held.sock, &held.to, buf,
	       mk_resp(buf, &held, 0, _i == 0 ? op : rp, &s.n.addr[held.sock]));
	late = s.net.now;
	run_until(&s.net, cfg.consent_timeout_ms + C_INTERVAL / 2);
	ck_assert_int_eq(went_through(&s.n, ICE_DISCONNECTED), _i);
	run_until(&s.net, late + cfg.consent_timeout_ms + C_INTERVAL / 2);
	ck_assert(went_through(&s.n, ICE_DISCONNECTED));
	ck_assert_uint_ge(state_time(&s.n, ICE_DISCONNECTED),
			  _i == 0 ? late + cfg.consent_timeout_ms : cfg.consent_timeout_ms);
	net_free(&s.net);
}
END_TEST

/* Consent lost, then an ICE restart (RFC 8445 9, RFC 7675 5.1): the way
 * back.  IPv6, the selected path, dies both ways; the client restarts
 * after it lost consent (0), or before, the old pair's consent running
 * out while the restart waits for the peer's answer (1).  Either way the
 * new check list runs, the client nominates the IPv4 pair, and both ends
 * select it.  Nothing goes on the old pair once its consent is gone. */
START_TEST(test_restart_after_consent_lost)
{
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();
	bool lost_first = _i == 0;
	struct duo d;
	struct icl_err err;
	const uint64_t cut = 2000;
	size_t nc, ns;

	memset(&d, 0, sizeof(d));
	cc.consent_interval_ms = sc.consent_interval_ms = C_INTERVAL;
	cc.consent_timeout_ms = sc.consent_timeout_ms = C_TIMEOUT;
	node_init(&d.c, &d.net, &cc);
	node_init(&d.s, &d.net, &sc);
	node_hosts(&d.c, client_ds, 2);
	node_hosts(&d.s, server_ds, 2);
	signal_to(&d.s, &d.c, NULL);
	signal_to(&d.c, &d.s, NULL);
	run_until(&d.net, cut);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_selected(d.c.ag)->local.sa.sa_family, AF_INET6);
	nc = d.c.n_sel;
	ns = d.s.n_sel;
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.c.idx, AF_INET6 };
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, AF_INET6 };
	if (lost_first) {
		run_until(&d.net, cut + C_TIMEOUT + 2 * C_INTERVAL);
		ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_DISCONNECTED);
		ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_DISCONNECTED);
	} else {
		run_until(&d.net, cut + 100);
	}
	/* The client restarts, the server follows on its offer. */
	ck_assert_int_eq(ice_agent_restart(d.c.ag, NULL, NULL, d.net.now, &err), 0);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_CHECKING);
	ck_assert_int_eq(ice_agent_restart(d.s.ag, NULL, NULL, d.net.now, &err), 0);
	signal_to(&d.s, &d.c, NULL);
	if (!lost_first) {
		/* The answer is late: the old pair runs out of consent first. */
		run_until(&d.net, cut + C_TIMEOUT + 2 * C_INTERVAL);
		ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_DISCONNECTED);
	}
	ck_assert_ptr_null(ice_agent_selected(d.c.ag));
	signal_to(&d.c, &d.s, NULL);
	run_until(&d.net, d.net.now + 3000);
	ck_assert_uint_eq(d.c.n_sel, nc + 1);
	ck_assert_uint_eq(d.s.n_sel, ns + 1);
	ck_assert_int_eq(d.c.sel[nc].local.sa.sa_family, AF_INET);
	ck_assert(same_5tuple(&d.c.sel[nc], &d.s.sel[ns]));
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	ck_assert_ptr_nonnull(ice_agent_selected(d.c.ag));
	ck_assert_ptr_nonnull(ice_agent_selected(d.s.ag));
	/* Consent holds on the new path. */
	run_until(&d.net, d.net.now + 3 * C_TIMEOUT);
	ck_assert_int_eq(ice_agent_state(d.c.ag), ICE_COMPLETED);
	ck_assert_int_eq(ice_agent_state(d.s.ag), ICE_COMPLETED);
	net_free(&d.net);
}
END_TEST

/* ---- Nomination timer ------------------------------------------------- */

/* A dead higher-priority pair (the one-way IPv6 path: requests arrive,
 * answers do not) is still in progress, retransmitting, when the working
 * IPv4 pair succeeds; nomination of IPv4 waits at most nominate_after_ms
 * (+ one Ta for the nominating check to go out) for it. */
START_TEST(test_nomination_timer_bounds_dead_pair)
{
	static const unsigned bounds[] = { 300, 1000, 2500 };
	struct ice_config cc = full_cfg(ICE_CONTROLLING, 7), sc = lite_cfg();
	struct duo d;
	const struct note_rec *ok;
	const struct sent_rec *u;
	uint64_t ok_t;
	struct ice_pair_view v[8];
	size_t nv;
	bool v6_in_progress = false;

	memset(&d, 0, sizeof(d));
	cc.nominate_after_ms = bounds[_i];
	cc.rto_ms = 500;
	node_init(&d.c, &d.net, &cc);
	node_init(&d.s, &d.net, &sc);
	node_hosts(&d.c, client_ds, 2);
	node_hosts(&d.s, server_ds, 2);
	d.net.drops[d.net.n_drops++] = (struct drop_rule){ d.s.idx, AF_INET6 };
	signal_to(&d.s, &d.c, NULL);
	signal_to(&d.c, &d.s, NULL);
	for (uint64_t t = 0; t < 200; t += 5) {
		run_until(&d.net, t);
		if (find_note(&d.c, ICE_NOTE_CHECK_SUCCEEDED, 0))
			break;
	}
	ok = find_note(&d.c, ICE_NOTE_CHECK_SUCCEEDED, 0);
	ck_assert_ptr_nonnull(ok);
	ok_t = ok->t;   /* the records move as they grow */
	nv = ice_agent_pairs(d.c.ag, v, 8);
	for (size_t i = 0; i < nv; i++)
		if (v[i].info.local.sa.sa_family == AF_INET6 && v[i].state == ICE_PAIR_IN_PROGRESS)
			v6_in_progress = true;
	ck_assert(v6_in_progress);
	run_until(&d.net, 60000);
	u = only_use_cand(&d.c);
	ck_assert(addr_is(&u->to, "203.0.113.10", 3478));
	ck_assert_uint_ge(u->t, ok_t + bounds[_i]);
	ck_assert_uint_le(u->t, ok_t + bounds[_i] + ICE_TA_DEFAULT_MS);
	ck_assert_uint_eq(d.c.n_sel, 1);
	ck_assert_uint_le(d.c.sel_t[0], ok_t + bounds[_i] + ICE_TA_DEFAULT_MS + 2 * LATENCY_MS);
	net_free(&d.net);
}
END_TEST

Suite *ice_suite(void)
{
	Suite *s = suite_create("ice");
	TCase *tc = tcase_create("ice");

	tcase_add_loop_test(tc, test_pairs_pruned_and_sorted, 0, 2);
	tcase_add_test(tc, test_frozen_until_foundation_succeeds);
	tcase_add_loop_test(tc, test_ta_pacing, 0, 2);
	tcase_add_loop_test(tc, test_retransmit_then_fail, 0, 2);
	tcase_add_test(tc, test_idle_deadlines);
	tcase_add_loop_test(tc, test_symmetric_response_required, 0, 2);
	tcase_add_test(tc, test_unsigned_success_ignored);
	tcase_add_test(tc, test_request_contents);
	tcase_add_test(tc, test_regular_nomination_vs_lite);
	tcase_add_test(tc, test_knows_source);
	tcase_add_test(tc, test_no_aggressive_vs_lite);
	tcase_add_test(tc, test_headline_one_way_v6);
	tcase_add_loop_test(tc, test_nomination_failure_fails, 0, 2);
	tcase_add_test(tc, test_wrong_remote_password);
	tcase_add_test(tc, test_aggressive_full_vs_full);
	tcase_add_test(tc, test_aggressive_connected_then_completed);
	tcase_add_test(tc, test_regular_full_vs_full);
	tcase_add_test(tc, test_both_controlling);
	tcase_add_test(tc, test_peer_reflexive);
	tcase_add_loop_test(tc, test_error_answers, 0, 2);
	tcase_add_test(tc, test_garbage_and_non_stun);
	tcase_add_test(tc, test_success_answer);
	tcase_add_loop_test(tc, test_lite_487, 0, 2);
	tcase_add_loop_test(tc, test_lite_highest_nominated, 0, 4);
	tcase_add_loop_test(tc, test_role_conflict_in_request, 0, 4);
	tcase_add_loop_test(tc, test_role_conflict_487_response, 0, 2);
	tcase_add_test(tc, test_consent_kept_then_lost);
	tcase_add_test(tc, test_consent_403);
	tcase_add_loop_test(tc, test_consent_while_sending, 0, 2);
	tcase_add_loop_test(tc, test_consent_survives_short_cut, 0, 2);
	tcase_add_loop_test(tc, test_lite_answers_consent, 0, 2);
	tcase_add_test(tc, test_lite_consent_per_5tuple);
	tcase_add_test(tc, test_consent_defaults);
	tcase_add_test(tc, test_restart_keeps_path);
	tcase_add_test(tc, test_lite_restart_old_credentials);
	tcase_add_test(tc, test_lite_restart_flushes_nominations);
	tcase_add_loop_test(tc, test_lite_restart_kept_tuple, 0, 2);
	tcase_add_test(tc, test_full_restart_old_credentials);
	tcase_add_test(tc, test_full_restart_consent_new_credentials);
	tcase_add_loop_test(tc, test_full_restart_consent_late_old_answer, 0, 2);
	tcase_add_loop_test(tc, test_restart_after_consent_lost, 0, 2);
	tcase_add_loop_test(tc, test_nomination_timer_bounds_dead_pair, 0, 3);
	tcase_add_loop_test(tc, test_quirk_select_first_check, 0, 2);
	tcase_add_loop_test(tc, test_quirk_last_nomination_wins, 0, 2);
	tcase_add_loop_test(tc, test_quirk_tuple_by_remote_only, 0, 2);
	tcase_add_loop_test(tc, test_quirk_tuples_kept, 0, 2);
	tcase_add_test(tc, test_quirk_aggressive_vs_lite);
	suite_add_tcase(s, tc);
	return s;
}
