/* ice_check.c - our connectivity checks: Ta pacing (RFC 8445 6.1.4.2),
 * the Binding requests (7.2.2), their responses (7.2.5) and the
 * controlling agent's regular nomination (8.1.1).
 */
#include "ice_int.h"
#include "quirk.h"

#include <stdio.h>
#include <string.h>

static bool may_check(const struct ice_agent *ag)
{
	return !ag->cfg.lite && ag->have_remote && ag->state != ICE_FAILED &&
	       ag->state != ICE_COMPLETED;
}

/* When a transaction started at `start` gives up (RFC 8489 6.2.1): a
 * cancelled one is still listened to until then (7.3.1.4). */
static uint64_t give_up_ms(const struct ice_agent *ag, uint64_t start)
{
	unsigned rc = ag->cfg.rc > 30 ? 30 : ag->cfg.rc;
	uint64_t rto = ag->cfg.rto_ms;

	return start + rto * ((1ull << (rc - 1)) - 1) + rto * ag->cfg.rm;
}

static void cancel_tx(struct ice_agent *ag, struct ice__pair *p)
{
	if (!p->cur.sched.active)
		return;
	p->old = p->cur;
	p->old.accept_until = give_up_ms(ag, p->cur.sched.start_ms);
	stun_tx_stop(&p->old.sched);
	stun_tx_stop(&p->cur.sched);
}

/* ---- Requests -------------------------------------------------------- */

static void send_request(struct ice_agent *ag, const struct ice__pair *p)
{
	const struct ice__tx *tx = &p->cur;
	uint8_t buf[ICE__MSG_MAX];
	char user[2 * sizeof(ag->rufrag)];
	struct stun_writer w;
	int len;

	/* 7.2.2: RFRAG:LFRAG, signed with the peer's password. */
	snprintf(user, sizeof(user), "%s:%s", ag->rufrag, ag->cfg.ufrag);
	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tx->sched.txid);
	stun_put_str(&w, STUN_A_USERNAME, user);
	stun_put_u32(&w, STUN_A_PRIORITY, tx->prio);
	stun_put_u64(&w, tx->controlling ? STUN_A_ICE_CONTROLLING : STUN_A_ICE_CONTROLLED,
		     ag->tiebreaker);
	if (tx->use_cand)
		stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	stun_put_integrity(&w, (const uint8_t *)ag->rpwd, strlen(ag->rpwd));
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	if (len > 0)
		ag->cb.send(ag->cb.user, ag->lm[p->l].sock, &ag->rc[p->r].addr, buf, (size_t)len);
}

static void start_check(struct ice_agent *ag, int pi, uint64_t now_ms)
{
	struct ice__pair *p = &ag->pairs[pi];
	uint8_t txid[STUN_TXID_SIZE];
	bool nominating = p->nominate_next && ag->role == ICE_CONTROLLING;

	if (stun_random_txid(txid) < 0)
		return;
	cancel_tx(ag, p);
	p->cur.controlling = ag->role == ICE_CONTROLLING;
	p->cur.use_cand = p->cur.controlling && (ag->aggressive || p->nominate_next);
	/* 7.1.1: PRIORITY as if the candidate were peer-reflexive. */
	p->cur.prio = cand_priority(CAND_PRFLX, ag->lm[p->l].local_pref, 1);
	p->cur.accept_until = 0;
	stun_tx_start(&p->cur.sched, txid, now_ms, ag->cfg.rto_ms, ag->cfg.rc, ag->cfg.rm);
	p->nominate_next = false;
	p->st = ICE_PAIR_IN_PROGRESS;
	ag->checks_started = true;
	if (nominating && !ag->aggressive) {
		ag->nominating = true;
		ice__fill_info(ag, p, &ag->nom_info);
		ice__note_pair(ag, ICE_NOTE_NOMINATING, 0, p, true, NULL);
	}
	send_request(ag, p);
}

/* ---- Which check next (6.1.4.2) ------------------------------------- */

static int pop_triggered(struct ice_agent *ag)
{
	while (ag->q_len > 0) {
		int pi = ag->queue[ag->q_head];

		ag->q_head = (ag->q_head + 1) % ICE_MAX_PAIRS;
		ag->q_len--;
		ag->pairs[pi].queued = false;
		if (ice__sendable(&ag->pairs[pi]))
			return pi;
	}
	return -1;
}

static int best_in_state(const struct ice_agent *ag, enum ice_pair_state st)
{
	int best = -1;

	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (p->in_list && !p->removed && p->st == st &&
		    (best < 0 || p->prio > ag->pairs[best].prio))
			best = (int)i;
	}
	return best;
}

static bool foundation_busy(const struct ice_agent *ag, const char *f)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (p->in_list && !p->removed && strcmp(p->foundation, f) == 0 &&
		    (p->st == ICE_PAIR_WAITING || p->st == ICE_PAIR_IN_PROGRESS))
			return true;
	}
	return false;
}

/* The best frozen pair of a foundation with nothing waiting or in
 * progress: the one step 3 of 6.1.4.2 unfreezes. */
static bool unfreezable(const struct ice_agent *ag, size_t i)
{
	const struct ice__pair *p = &ag->pairs[i];

	if (!p->in_list || p->removed || p->st != ICE_PAIR_FROZEN ||
	    foundation_busy(ag, p->foundation))
		return false;
	for (size_t j = 0; j < ag->n_pairs; j++) {
		const struct ice__pair *q = &ag->pairs[j];

		if (j != i && q->in_list && !q->removed && q->st == ICE_PAIR_FROZEN &&
		    strcmp(q->foundation, p->foundation) == 0 &&
		    (q->prio > p->prio || (q->prio == p->prio && j < i)))
			return false;
	}
	return true;
}

static bool unfreeze(struct ice_agent *ag)
{
	bool any = false;

	for (size_t i = 0; i < ag->n_pairs; i++)
		if (unfreezable(ag, i)) {
			ag->pairs[i].st = ICE_PAIR_WAITING;
			any = true;
		}
	return any;
}

static bool next_check_exists(const struct ice_agent *ag)
{
	if (ice__queue_has_sendable(ag) || best_in_state(ag, ICE_PAIR_WAITING) >= 0)
		return true;
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (unfreezable(ag, i))
			return true;
	return false;
}

/* Triggered checks first, then the best waiting pair, then unfreeze. */
static int pick_next(struct ice_agent *ag)
{
	int pi = pop_triggered(ag);

	if (pi < 0)
		pi = best_in_state(ag, ICE_PAIR_WAITING);
	if (pi < 0 && unfreeze(ag))
		pi = best_in_state(ag, ICE_PAIR_WAITING);
	return pi;
}

void ice__check_pace(struct ice_agent *ag, uint64_t now_ms)
{
	int pi;

	if (!may_check(ag) || now_ms < ag->next_slot_ms)
		return;
	pi = pick_next(ag);
	if (pi < 0)
		return;
	start_check(ag, pi, now_ms);
	ag->next_slot_ms = now_ms + ag->cfg.ta_ms;
}

/* 7.3.1.4: the peer checked this pair; check it back soon. */
void ice__triggered(struct ice_agent *ag, int pi)
{
	struct ice__pair *p = &ag->pairs[pi];

	if (p->removed || p->st == ICE_PAIR_SUCCEEDED)
		return;
	cancel_tx(ag, p);
	p->st = ICE_PAIR_WAITING;
	ice__enqueue(ag, pi);
}

/* ---- Outcomes -------------------------------------------------------- */

static void check_failed(struct ice_agent *ag, struct ice__pair *p, const struct ice__tx *tx,
			 int code, const char *why)
{
	p->st = ICE_PAIR_FAILED;
	ice__note_pair(ag, ICE_NOTE_CHECK_FAILED, code, p, tx->use_cand, why);
	/* 8.1.1: the one nomination failed; there is no second one. */
	if (tx->use_cand && tx->controlling && !ag->aggressive) {
		ag->nomination_failed = true;
		ag->nominating = false;
	}
}

void ice__check_timers(struct ice_agent *ag, uint64_t now_ms)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		struct ice__pair *p = &ag->pairs[i];

		switch (stun_tx_poll(&p->cur.sched, now_ms)) {
		case STUN_TX_RESEND:
			send_request(ag, p);
			break;
		case STUN_TX_TIMEOUT:
			check_failed(ag, p, &p->cur, 0, "timeout");
			break;
		case STUN_TX_WAIT:
			break;
		}
	}
}

static void unfreeze_foundation(struct ice_agent *ag, const char *f)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		struct ice__pair *q = &ag->pairs[i];

		if (q->in_list && !q->removed && q->st == ICE_PAIR_FROZEN &&
		    strcmp(q->foundation, f) == 0)
			q->st = ICE_PAIR_WAITING;
	}
}

/* 7.2.5.3.2: the valid pair is (the local candidate at the mapped
 * address, the remote the request went to); an unknown mapped address is
 * a new peer-reflexive local candidate (7.2.5.3.1). */
static int valid_pair(struct ice_agent *ag, int pi, const union stun_addr *mapped,
		      uint32_t prio)
{
	struct ice__pair *p = &ag->pairs[pi];
	int l = ice__local_by_addr(ag, mapped), v;

	if (l < 0) {
		l = ice__add_local_prflx(ag, p->l, mapped, prio);
		if (l < 0)
			return pi;
		ice__note(ag, ICE_NOTE_PRFLX, 0, ag->lm[l].sock, mapped, &ag->rc[p->r].addr, false,
			  "local");
	}
	if (l == p->l)
		return pi;
	v = ice__pair_find(ag, l, p->r);
	if (v < 0)
		v = ice__pair_add(ag, l, p->r, false);
	return v < 0 ? pi : v;
}

static void check_succeeded(struct ice_agent *ag, int pi, const struct ice__tx *tx,
			    const union stun_addr *mapped, uint64_t now_ms)
{
	struct ice__pair *p = &ag->pairs[pi], *vp;
	int v;

	p->st = ICE_PAIR_SUCCEEDED;
	unfreeze_foundation(ag, p->foundation);   /* 7.2.5.3.3 */
	ice__note_pair(ag, ICE_NOTE_CHECK_SUCCEEDED, 0, p, tx->use_cand, NULL);
	v = valid_pair(ag, pi, mapped, tx->prio);
	vp = &ag->pairs[v];
	vp->valid = true;
	vp->gen_idx = pi;
	p->valid_idx = v;
	if (ag->first_valid_ms == UINT64_MAX)
		ag->first_valid_ms = now_ms;
	/* Our USE-CANDIDATE, or the peer's that came first (7.3.1.5). */
	if (tx->use_cand || (p->nominate_on_success && ag->role == ICE_CONTROLLED))
		vp->nominated = true;
	p->nominate_on_success = false;
	ice__consider_selection(ag);
}

/* 7.2.5.1: switch to the role the peer did not claim, and check again. */
static void role_conflict(struct ice_agent *ag, int pi, const struct ice__tx *tx)
{
	struct ice__pair *p = &ag->pairs[pi];
	enum ice_role claimed = tx->controlling ? ICE_CONTROLLING : ICE_CONTROLLED;

	ice__note_pair(ag, ICE_NOTE_CHECK_FAILED, 487, p, tx->use_cand, "role conflict");
	/* An answer to a request from before an earlier switch: done already. */
	if (ag->role == claimed)
		ice__set_role(ag, tx->controlling ? ICE_CONTROLLED : ICE_CONTROLLING);
	p->st = ICE_PAIR_WAITING;
	p->nominate_next = tx->use_cand && !ag->aggressive && ag->role == ICE_CONTROLLING;
	ice__enqueue(ag, pi);
}

/* The transaction a response answers: the live one or a cancelled one
 * still within its timeout. */
static struct ice__tx *find_tx(struct ice_agent *ag, const uint8_t *txid, uint64_t now_ms,
			       int *pi)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		struct ice__pair *p = &ag->pairs[i];

		*pi = (int)i;
		if (p->cur.sched.active && memcmp(p->cur.sched.txid, txid, STUN_TXID_SIZE) == 0)
			return &p->cur;
		if (p->old.accept_until > now_ms &&
		    memcmp(p->old.sched.txid, txid, STUN_TXID_SIZE) == 0)
			return &p->old;
	}
	return NULL;
}

static bool authentic(const struct ice_agent *ag, const struct stun_msg *m)
{
	struct icl_err err;

	if (m->has & STUN_HAS_INTEGRITY)
		return stun_check_integrity(m, (const uint8_t *)ag->rpwd, strlen(ag->rpwd),
					    &err) == 0;
	/* A peer cannot sign the answer to a request it could not
	 * authenticate (RFC 8489 9.1.3): only 400 and 401 come unsigned. */
	return m->cls == STUN_ERROR && (m->error_code == 400 || m->error_code == 401);
}

static void on_error(struct ice_agent *ag, int pi, const struct ice__tx *tx,
		     const struct stun_msg *msg)
{
	char why[128];

	if (msg->error_code == 487) {
		role_conflict(ag, pi, tx);
		return;
	}
	stun_str_copy(msg->error_reason, why, sizeof(why));
	check_failed(ag, &ag->pairs[pi], tx, msg->error_code, why);
}

void ice__handle_response(struct ice_agent *ag, uint64_t now_ms, int sock,
			  const union stun_addr *from, const struct stun_msg *msg)
{
	struct ice__tx *live, tx;
	struct ice__pair *p;
	int pi;

	live = find_tx(ag, msg->txid, now_ms, &pi);
	if (live == NULL || ag->state == ICE_FAILED || !authentic(ag, msg))
		return;
	if (msg->cls == STUN_SUCCESS)
		ice__consent_peer_has_creds(ag);   /* signed: the peer has the live ones */
	tx = *live;
	stun_tx_stop(&live->sched);
	live->accept_until = 0;
	p = &ag->pairs[pi];
	/* 7.2.5.2.1: from where the request went, onto the socket it left. */
	if (sock != ag->lm[p->l].sock || !stun_addr_equal(from, &ag->rc[p->r].addr))
		check_failed(ag, p, &tx, 0, "non-symmetric response");
	else if (msg->cls == STUN_ERROR)
		on_error(ag, pi, &tx, msg);
	else if (!(msg->has & STUN_HAS_XOR_MAPPED))
		check_failed(ag, p, &tx, 0, "success response without XOR-MAPPED-ADDRESS");
	else
		check_succeeded(ag, pi, &tx, &msg->xor_mapped, now_ms);
}

/* ---- Nomination (8.1.1) ---------------------------------------------- */

/* RFC 5245 8.1.1 (kept by RFC 8445 6.1.1): a full agent facing a lite
 * peer nominates regularly.  The quirk aggressive-vs-lite keeps aggressive
 * nomination, as stacks did whose every check then nominated at the lite
 * peer (mediasoup #650 is what the lite side made of it). */
void ice__nomination_vs_lite(struct ice_agent *ag)
{
	if (!ag->aggressive)
		return;
	if (ice__quirk(ag, QUIRK_AGGRESSIVE_VS_LITE)) {
		ice__note(ag, ICE_NOTE_NOMINATING, 0, -1, NULL, NULL, false,
			  "peer is lite: aggressive nomination kept (quirk aggressive-vs-lite)");
		return;
	}
	ice__note(ag, ICE_NOTE_NOMINATING, 0, -1, NULL, NULL, false,
		  "peer is lite: regular nomination instead of aggressive");
	ag->aggressive = false;
}

static bool nomination_due(const struct ice_agent *ag)
{
	return !ag->cfg.lite && ag->role == ICE_CONTROLLING && !ag->aggressive &&
	       !ag->nomination_started && ag->first_valid_ms != UINT64_MAX &&
	       ag->state != ICE_FAILED && ag->state != ICE_COMPLETED;
}

static int best_valid(const struct ice_agent *ag)
{
	int best = -1;

	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (p->valid && p->gen_idx >= 0 && (best < 0 || p->prio > ag->pairs[best].prio))
			best = (int)i;
	}
	return best;
}

static bool better_pending(const struct ice_agent *ag, uint64_t prio)
{
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ice__pair_active(&ag->pairs[i]) && ag->pairs[i].prio > prio)
			return true;
	return false;
}

/* Nominate the best valid pair once nothing better can still succeed, or
 * once nominate_after_ms passed since the first valid pair: a dead
 * better pair (a one-way path) must not hold a working one hostage. */
void ice__maybe_nominate(struct ice_agent *ag, uint64_t now_ms)
{
	int v, g;

	if (!nomination_due(ag))
		return;
	v = best_valid(ag);
	if (v < 0)
		return;
	if (better_pending(ag, ag->pairs[v].prio) &&
	    now_ms < ag->first_valid_ms + ag->cfg.nominate_after_ms)
		return;
	g = ag->pairs[v].gen_idx;
	ag->nomination_started = true;
	ag->pairs[g].nominate_next = true;
	ice__enqueue(ag, g);
}

uint64_t ice__check_deadline(const struct ice_agent *ag)
{
	uint64_t d = UINT64_MAX, t;

	if (ag->cfg.lite || ag->state == ICE_FAILED)
		return d;
	for (size_t i = 0; i < ag->n_pairs; i++) {
		t = stun_tx_deadline(&ag->pairs[i].cur.sched);
		d = t < d ? t : d;
	}
	if (may_check(ag) && next_check_exists(ag) && ag->next_slot_ms < d)
		d = ag->next_slot_ms;
	if (nomination_due(ag)) {
		t = ag->first_valid_ms + ag->cfg.nominate_after_ms;
		d = t < d ? t : d;
	}
	return d;
}
