/* ice_req.c - the peer's checks: validate a Binding request (RFC 8489
 * 6.3, 9.1.3; RFC 8445 7.3), answer it from the receiving socket, settle
 * role conflicts (7.3.1.1), then learn from it: a triggered check and
 * perhaps a nomination (full agent, 7.3.1.3-7.3.1.5) or a nominated pair
 * (lite agent, spec items 7-8).
 */
#include "ice_int.h"

#include <string.h>

/* The request being answered. */
struct req {
	struct ice_agent *ag;
	int sock, l;                   /* the receiving base */
	const union stun_addr *from;
	const struct stun_msg *msg;
	bool authenticated;
	const char *ufrag, *pwd;       /* our credentials it is checked against (restart) */
	bool old_creds;                /* those from before a restart */
};

static const char *reason_phrase(int code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthenticated";
	case 420:
		return "Unknown Attribute";
	case 487:
		return "Role Conflict";
	}
	return "Error";
}

/* Success: XOR-MAPPED-ADDRESS = the source.  Errors carry ERROR-CODE.
 * MESSAGE-INTEGRITY only when the request proved it knows our password:
 * otherwise the peer could not check it anyway (RFC 8489 9.1.3). */
static void answer(struct req *q, int code, const char *why)
{
	struct ice_agent *ag = q->ag;
	uint8_t buf[ICE__MSG_MAX];
	struct stun_writer w;
	int len;

	stun_writer_init(&w, buf, sizeof(buf), STUN_BINDING, code ? STUN_ERROR : STUN_SUCCESS,
			 q->msg->txid);
	if (code == 0)
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, q->from);
	else
		stun_put_error(&w, code, reason_phrase(code));
	if (code == 420)
		stun_put_unknown(&w, q->msg->unknown_required, q->msg->n_unknown_required);
	if (q->authenticated)
		stun_put_integrity(&w, (const uint8_t *)q->pwd, strlen(q->pwd));
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	if (len > 0)
		ag->cb.send(ag->cb.user, q->sock, q->from, buf, (size_t)len);
	ice__note(ag, ICE_NOTE_REQUEST_ANSWERED, code, q->sock, &ag->lm[q->l].base, q->from,
		  (q->msg->has & STUN_HAS_USE_CANDIDATE) != 0, why);
}

/* USERNAME is LFRAG:RFRAG and LFRAG must be ours (7.3). */
static bool username_ours(const char *ufrag, struct stun_str u)
{
	size_t n = strlen(ufrag);

	return u.len > n + 1 && memcmp(u.ptr, ufrag, n) == 0 && u.ptr[n] == ':';
}

static int reject(const char **why, const char *text, int code)
{
	*why = text;
	return code;
}

/* 0, or the error code to answer with and why. */
static int validate(struct req *q, const char **why)
{
	const struct stun_msg *m = q->msg;
	struct icl_err err;

	if (!(m->has & STUN_HAS_FINGERPRINT))
		return reject(why, "no FINGERPRINT", 400);
	if (!(m->has & STUN_HAS_USERNAME))
		return reject(why, "no USERNAME", 400);
	if (!(m->has & STUN_HAS_INTEGRITY))
		return reject(why, "no MESSAGE-INTEGRITY", 400);
	if (!username_ours(q->ufrag, m->username))
		return reject(why, "USERNAME does not start with our ufrag", 401);
	if (stun_check_integrity(m, (const uint8_t *)q->pwd, strlen(q->pwd), &err) < 0)
		return reject(why, "MESSAGE-INTEGRITY does not match our password", 401);
	q->authenticated = true;
	/* RFC 8489 6.3: unknown attributes are looked at after authentication. */
	if (m->n_unknown_required > 0)
		return reject(why, "unknown comprehension-required attribute", 420);
	if (!(m->has & STUN_HAS_PRIORITY))
		return reject(why, "no PRIORITY", 400);
	if ((m->has & STUN_HAS_CONTROLLING) && (m->has & STUN_HAS_CONTROLLED))
		return reject(why, "both ICE-CONTROLLING and ICE-CONTROLLED", 400);
	return 0;
}

/* 7.3.1.1: true when the answer is 487.  The agent with the larger
 * tiebreaker keeps (or takes) the controlling role.  A lite agent is
 * always controlled: a peer that claims controlled must switch. */
static bool role_conflict(struct ice_agent *ag, const struct stun_msg *m)
{
	bool mine_wins = ag->tiebreaker >= m->tiebreaker;

	if (ag->cfg.lite)
		return (m->has & STUN_HAS_CONTROLLED) != 0;
	if (ag->role == ICE_CONTROLLING && (m->has & STUN_HAS_CONTROLLING)) {
		if (mine_wins)
			return true;
		ice__set_role(ag, ICE_CONTROLLED);
	} else if (ag->role == ICE_CONTROLLED && (m->has & STUN_HAS_CONTROLLED)) {
		if (!mine_wins)
			return true;
		ice__set_role(ag, ICE_CONTROLLING);
	}
	return false;
}

/* Lite: USE-CANDIDATE nominates (receiving base, source); its priority
 * takes the peer's side from PRIORITY, with the peer controlling. */
static void lite_nominate(struct req *q)
{
	struct ice_agent *ag = q->ag;
	struct ice__pair *p;
	int r = ice__remote_by_addr(ag, q->from), pi;

	if (!(q->msg->has & STUN_HAS_USE_CANDIDATE))
		return;
	if (r < 0)
		r = ice__add_remote_prflx(ag, q->from, q->msg->priority);
	pi = r < 0 ? -1 : ice__pair_find(ag, q->l, r);
	if (r >= 0 && pi < 0)
		pi = ice__pair_add(ag, q->l, r, false);
	if (pi < 0)
		return;
	p = &ag->pairs[pi];
	p->rprio_fixed = true;
	p->rprio = q->msg->priority;
	p->prio = cand_pair_priority(p->rprio, p->lprio);
	p->valid = p->nominated = true;
	if (pi == ag->selected)
		ag->sel_info.priority = p->prio;
	if (!ice__quirk_nominated(ag, pi))
		ice__consider_selection(ag);
}

/* 7.3.1.5: a controlled agent nominates the pair now if its own check
 * already succeeded, else when that check succeeds. */
static void nominate_from_request(struct ice_agent *ag, int pi)
{
	struct ice__pair *p = &ag->pairs[pi];

	if (p->st == ICE_PAIR_SUCCEEDED && p->valid_idx >= 0) {
		ag->pairs[p->valid_idx].nominated = true;
		ice__consider_selection(ag);
	} else if (!p->removed) {
		p->nominate_on_success = true;
	}
}

/* 7.3.1.3-7.3.1.4: learn the source, check the pair back. */
static void full_triggered(struct req *q)
{
	struct ice_agent *ag = q->ag;
	bool use = (q->msg->has & STUN_HAS_USE_CANDIDATE) != 0;
	bool running = ag->state != ICE_COMPLETED;
	int r = ice__remote_by_addr(ag, q->from), pi;

	if (ag->state == ICE_FAILED)
		return;
	if (r < 0) {
		r = ice__add_remote_prflx(ag, q->from, q->msg->priority);
		if (r < 0)
			return;
		ice__note(ag, ICE_NOTE_PRFLX, 0, q->sock, &ag->lm[q->l].base, q->from, use,
			  "remote");
	}
	pi = ice__pair_find(ag, q->l, r);
	if (pi < 0 && running)
		pi = ice__pair_add(ag, q->l, r, true);
	if (pi < 0)
		return;
	if (running)
		ice__triggered(ag, pi);
	if (use && ag->role == ICE_CONTROLLED)
		nominate_from_request(ag, pi);
}

/* What an answered check teaches: a nominated tuple (lite), a triggered
 * check and perhaps a nomination (full).  Nothing when it was signed with
 * the credentials from before a restart: they keep the old tuple alive
 * (spec item 14), but the session they belong to is over, its pairs and
 * nominations flushed (RFC 8445 9); learning from it would put them back
 * into the new check list. */
static void learn(struct req *q)
{
	if (q->old_creds)
		return;
	if (q->ag->cfg.lite)
		lite_nominate(q);
	else
		full_triggered(q);
}

void ice__handle_request(struct ice_agent *ag, int sock,
			 const union stun_addr *from, const struct stun_msg *msg)
{
	struct req q = { ag, sock, ice__local_by_sock(ag, sock), from, msg, false, NULL, NULL,
			 false };
	const char *why = NULL;
	int code;

	if (q.l < 0)
		return;   /* not one of our bases */
	q.old_creds = ice__local_creds(ag, msg, &q.ufrag, &q.pwd);
	code = validate(&q, &why);
	if (code == 0 && role_conflict(ag, msg)) {
		code = 487;
		why = ag->cfg.lite ? "lite agents are always controlled" : "role conflict";
	}
	if (q.authenticated)
		ag->authenticated_seen = true;
	if (code == 0 && ice__consent_ignored(ag, msg))
		return;
	if (code == 0 && ag->cfg.lite)
		ice__quirk_tuple(ag, &q.l, &q.sock, from);
	answer(&q, code, why);
	if (code != 0)
		return;
	if (ag->cfg.lite)
		ice__quirk_checked(ag, q.l, from, msg->priority);
	learn(&q);
	ice__consent_request(ag, q.l, from);
}
