/* ice_consent.c - consent freshness (RFC 7675) and the credentials of an
 * ICE restart (RFC 8445 9).
 *
 * A full agent checks consent on its selected pair: a Binding request with
 * a new transaction ID every interval x[0.8, 1.2] (5.1), whether or not
 * data flows; consent is lost consent_timeout_ms after the last valid
 * response, or at once on an authenticated 403.  A lite agent sends
 * nothing; it keeps consent per 5-tuple from the authenticated requests it
 * answers, and drops a tuple that had none for consent_timeout_ms (spec
 * items 12-13).  Both change state only through ice__set_state.  After a
 * restart a full agent's consent on the kept pair takes the new
 * credentials once a check signed with them is answered, since the peer
 * then refuses the old ones (spec item 14).
 */
#include "ice_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "quirk.h"

static unsigned interval(const struct ice_agent *ag)
{
	return ag->cfg.consent_interval_ms ? ag->cfg.consent_interval_ms : ICE_CONSENT_INTERVAL_MS;
}

static unsigned timeout(const struct ice_agent *ag)
{
	return ag->cfg.consent_timeout_ms ? ag->cfg.consent_timeout_ms : ICE_CONSENT_TIMEOUT_MS;
}

/* 5.1: uniformly in [0.8, 1.2] x the interval, so that agents started
 * together do not check in lockstep; never under 4 s by default. */
static uint64_t next_interval(const struct ice_agent *ag)
{
	uint16_t r = 0x8000;
	uint64_t i = interval(ag), d;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0x8000;   /* no randomness: the middle of the range */
	d = i * 8 / 10 + i * 4 / 10 * r / 0xffff;
	if (ag->cfg.consent_interval_ms == 0 && d < ICE_CONSENT_MIN_MS)
		d = ICE_CONSENT_MIN_MS;
	return d;
}

static void lose(struct ice_agent *ag, const char *fmt, unsigned arg)
{
	char why[128];

	snprintf(why, sizeof(why), fmt, arg);
	ag->consent.on = false;
	ag->consent.lost = true;
	ice__set_state(ag, ICE_DISCONNECTED, why);
}

bool ice__consent_lost(const struct ice_agent *ag)
{
	return ag->consent.lost;
}

/* ---- Full agent: our consent requests -------------------------------- */

/* 7.2.2 as for checks: RFRAG:LFRAG, keyed with the peer's password. */
static void take_creds(struct ice_agent *ag)
{
	struct ice__consent *c = &ag->consent;

	snprintf(c->user, sizeof(c->user), "%s:%s", ag->rufrag, ag->cfg.ufrag);
	snprintf(c->key, sizeof(c->key), "%s", ag->rpwd);
}

void ice__consent_selected(struct ice_agent *ag)
{
	struct ice__consent *c = &ag->consent;
	struct ice__pair *p = &ag->pairs[ag->selected];

	if (ag->cfg.lite) {
		c->lost = false;
		if (p->consent_ms < ag->now_ms)
			p->consent_ms = ag->now_ms;   /* selected counts as fresh */
		return;
	}
	memset(c, 0, sizeof(*c));
	c->on = true;
	c->sock = ag->lm[p->l].sock;
	c->remote = ag->rc[p->r].addr;
	c->prio = cand_priority(CAND_PRFLX, ag->lm[p->l].local_pref, 1);
	take_creds(ag);
	c->last_ok_ms = ag->now_ms;
	c->last_data_ms = UINT64_MAX;
	c->next_ms = ag->now_ms + next_interval(ag);
}

static void send_consent(struct ice_agent *ag, uint64_t now_ms)
{
	struct ice__consent *c = &ag->consent;
	unsigned slot = c->n_tx % ICE__CONSENT_TXS;
	uint8_t buf[ICE__MSG_MAX];
	struct stun_writer w;
	int len;

	if (stun_random_txid(c->tx[slot].txid) < 0)
		return;
	c->tx[slot].sent_ms = now_ms;
	c->tx[slot].answered = false;
	c->tx[slot].used = true;
	snprintf(c->tx[slot].key, sizeof(c->tx[slot].key), "%s", c->key);
	c->n_tx++;
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, c->tx[slot].txid);
	stun_put_str(&w, STUN_A_USERNAME, c->user);
	stun_put_u32(&w, STUN_A_PRIORITY, c->prio);
	stun_put_u64(&w, ag->role == ICE_CONTROLLING ? STUN_A_ICE_CONTROLLING
						     : STUN_A_ICE_CONTROLLED, ag->tiebreaker);
	stun_put_integrity(&w, (const uint8_t *)c->key, strlen(c->key));
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	if (len > 0)
		ag->cb.send(ag->cb.user, c->sock, &c->remote, buf, (size_t)len);
}

/* The previous request went unanswered for a whole interval. */
static bool previous_timed_out(const struct ice__consent *c)
{
	unsigned prev = (c->n_tx + ICE__CONSENT_TXS - 1) % ICE__CONSENT_TXS;

	return c->n_tx > 0 && c->tx[prev].used && !c->tx[prev].answered;
}

/* Quirk no-consent-while-sending: data went out within the interval. */
static bool data_flowing(const struct ice_agent *ag, uint64_t now_ms)
{
	const struct ice__consent *c = &ag->consent;

	return c->last_data_ms != UINT64_MAX && c->last_data_ms + interval(ag) > now_ms;
}

static void full_tick(struct ice_agent *ag, uint64_t now_ms)
{
	struct ice__consent *c = &ag->consent;

	if (!c->on)
		return;
	if (now_ms >= c->last_ok_ms + timeout(ag)) {
		lose(ag, "consent lost: no response on the selected pair for %u ms", timeout(ag));
		return;
	}
	if (now_ms < c->next_ms)
		return;
	if (ice__quirk(ag, QUIRK_STOP_CONSENT_AFTER_TIMEOUT) && previous_timed_out(c))
		c->stopped = true;
	if (!c->stopped && !(ice__quirk(ag, QUIRK_NO_CONSENT_WHILE_SENDING) && data_flowing(ag, now_ms)))
		send_consent(ag, now_ms);
	c->next_ms = now_ms + next_interval(ag);
}

static int find_consent_tx(const struct ice__consent *c, const uint8_t *txid)
{
	for (int i = 0; i < ICE__CONSENT_TXS; i++)
		if (c->tx[i].used && memcmp(c->tx[i].txid, txid, STUN_TXID_SIZE) == 0)
			return i;
	return -1;
}

bool ice__consent_response(struct ice_agent *ag, uint64_t now_ms, int sock,
			   const union stun_addr *from, const struct stun_msg *msg)
{
	struct ice__consent *c = &ag->consent;
	struct icl_err err;
	int i = find_consent_tx(c, msg->txid);

	if (i < 0)
		return false;
	/* Only an answer the peer signed proves it is the peer (5.1), and
	 * only one from where the request went (RFC 8445 7.2.5.2.1). */
	if (!c->on || sock != c->sock || !stun_addr_equal(from, &c->remote) ||
	    !(msg->has & STUN_HAS_INTEGRITY) ||
	    stun_check_integrity(msg, (const uint8_t *)c->tx[i].key, strlen(c->tx[i].key),
				 &err) < 0)
		return true;
	c->tx[i].answered = true;
	if (msg->cls == STUN_SUCCESS)
		c->last_ok_ms = now_ms > c->last_ok_ms ? now_ms : c->last_ok_ms;
	else if (msg->error_code == 403)
		lose(ag, "consent revoked: the peer answered %u (Forbidden)", 403);
	return true;
}

/* The pair kept across a restart: its consent went on with the old
 * credentials, as the peer may not have restarted yet.  A check signed
 * with the new ones was answered: the peer holds them, and refuses the
 * old ones from that check on (spec item 14). */
void ice__consent_peer_has_creds(struct ice_agent *ag)
{
	if (!ag->cfg.lite && ag->keep_sel && ag->consent.on)
		take_creds(ag);
}

/* ---- Lite agent: the peer's consent per 5-tuple ---------------------- */

void ice__consent_request(struct ice_agent *ag, int l, const union stun_addr *from)
{
	int r = ice__remote_by_addr(ag, from), pi = r < 0 ? -1 : ice__pair_find(ag, l, r);

	if (pi >= 0)
		ag->pairs[pi].consent_ms = ag->now_ms;
	/* The tuple kept for data across a restart is no pair any more.  A
	 * full agent's kept pair lives on the answers to its own consent
	 * requests instead (5.1; ice__consent_peer_has_creds). */
	if (ag->cfg.lite && ag->keep_sel && ag->lm[l].sock == ag->sel_info.sock &&
	    stun_addr_equal(from, &ag->sel_info.remote))
		ag->kept_consent_ms = ag->now_ms;
}

/* A tuple without consent is forgotten: it takes a new nomination to be
 * selected again.  Losing the selected one leaves the best other live
 * nominated tuple selected, or none. */
static void drop_tuple(struct ice_agent *ag, int pi)
{
	ag->pairs[pi].valid = ag->pairs[pi].nominated = false;
	if (pi != ag->selected)
		return;
	ag->selected = -1;
	ice__consider_selection(ag);
	if (ag->selected < 0)
		lose(ag, "consent lost: no authenticated request on the selected 5-tuple for %u ms",
		     timeout(ag));
}

static void lite_tick(struct ice_agent *ag, uint64_t now_ms)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (p->nominated && now_ms >= p->consent_ms + timeout(ag))
			drop_tuple(ag, (int)i);
	}
	/* After a restart, before a new nomination: the kept tuple alone
	 * carries data, and only while it has consent. */
	if (ag->keep_sel && now_ms >= ag->kept_consent_ms + timeout(ag)) {
		ag->keep_sel = false;
		lose(ag, "consent lost: no authenticated request on the selected 5-tuple for %u ms",
		     timeout(ag));
	}
}

void ice__consent_tick(struct ice_agent *ag, uint64_t now_ms)
{
	if (ag->cfg.lite)
		lite_tick(ag, now_ms);
	else
		full_tick(ag, now_ms);
}

uint64_t ice__consent_deadline(const struct ice_agent *ag)
{
	const struct ice__consent *c = &ag->consent;
	uint64_t d = UINT64_MAX, t;

	if (!ag->cfg.lite) {
		if (!c->on)
			return d;
		t = c->last_ok_ms + timeout(ag);
		return c->next_ms < t ? c->next_ms : t;
	}
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ag->pairs[i].nominated && (t = ag->pairs[i].consent_ms + timeout(ag)) < d)
			d = t;
	if (ag->keep_sel && (t = ag->kept_consent_ms + timeout(ag)) < d)
		d = t;
	return d;
}

/* ex_ice #110: once completed, a request without USE-CANDIDATE (a
 * consent check) is dropped unanswered. */
bool ice__consent_ignored(const struct ice_agent *ag, const struct stun_msg *msg)
{
	return ag->cfg.lite && ice__quirk(ag, QUIRK_IGNORE_CONSENT_CHECKS) &&
	       ag->state == ICE_COMPLETED && !(msg->has & STUN_HAS_USE_CANDIDATE);
}

/* ---- Credentials across a restart ------------------------------------ */

static bool user_starts_with(struct stun_str u, const char *ufrag)
{
	size_t n = strlen(ufrag);

	return u.len > n + 1 && memcmp(u.ptr, ufrag, n) == 0 && u.ptr[n] == ':';
}

static bool signed_with(const struct stun_msg *m, const char *pwd)
{
	struct icl_err err;

	return (m->has & STUN_HAS_INTEGRITY) &&
	       stun_check_integrity(m, (const uint8_t *)pwd, strlen(pwd), &err) == 0;
}

bool ice__local_creds(struct ice_agent *ag, const struct stun_msg *msg, const char **ufrag,
		      const char **pwd)
{
	struct ice__old_creds *o = &ag->old_creds;

	*ufrag = ag->cfg.ufrag;
	*pwd = ag->cfg.pwd;
	if (!o->valid || !(msg->has & STUN_HAS_USERNAME))
		return false;
	if (user_starts_with(msg->username, ag->cfg.ufrag) && signed_with(msg, ag->cfg.pwd)) {
		o->valid = false;   /* the peer has the new ones: the old ones retire */
	} else if (user_starts_with(msg->username, o->ufrag)) {
		*ufrag = o->ufrag;
		*pwd = o->pwd;
		return true;
	}
	return false;
}
