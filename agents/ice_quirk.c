/* ice_quirk.c - the known bugs of quirk.h that are decisions of the ICE
 * core: which tuple a lite agent answers on and which it selects.  (The
 * full agent's aggressive-vs-lite is one condition in ice_check.c.)
 *
 * Every hook does nothing unless cfg.quirks has its bit, so a default
 * agent behaves as ice.c, ice_check.c and ice_req.c say.  Each quirk cites
 * the public report of the bug it reproduces; quirk.c's table is the list.
 */
#include "ice_int.h"

#include "quirk.h"

bool ice__quirk(const struct ice_agent *ag, unsigned bits)
{
	return (ag->cfg.quirks & bits) != 0;
}

/* The tuple (base l, from) of an answered check: a pair outside the check
 * list, made if new, as mediasoup's IceServer keeps one per valid request
 * (a default lite agent keeps only nominated pairs). */
static int lite_tuple(struct ice_agent *ag, int l, const union stun_addr *from, uint32_t prio)
{
	int r = ice__remote_by_addr(ag, from), pi;

	if (r < 0)
		r = ice__add_remote_prflx(ag, from, prio);
	if (r < 0)
		return -1;
	pi = ice__pair_find(ag, l, r);
	return pi >= 0 ? pi : ice__pair_add(ag, l, r, false);
}

/* tuple-by-remote-only, mediasoup #1585: tuples were looked up by the
 * remote address alone, so a client address that reaches two local
 * addresses of the server is one tuple, the first one seen.  The check
 * that arrived on the second local address is answered from the first
 * one (a non-symmetric response, RFC 8445 7.2.5.2.1), and a nomination
 * over it nominates the first tuple. */
void ice__quirk_tuple(struct ice_agent *ag, int *l, int *sock, const union stun_addr *from)
{
	if (!ice__quirk(ag, QUIRK_TUPLE_BY_REMOTE_ONLY))
		return;
	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (stun_addr_equal(&ag->rc[p->r].addr, from)) {
			*l = p->l;
			*sock = ag->lm[p->l].sock;
			return;
		}
	}
}

/* select-first-check, mediasoup 3.7 (mediasoup forum thread 2702,
 * mediasoup-client #183; ossrs/srs #4722 is the same pattern): the first
 * authenticated check selects its tuple, USE-CANDIDATE or not, and DTLS
 * starts there.  With a one-way IPv6 path the client's IPv6 check (the
 * preferred family) arrives first and the server talks IPv6 into the
 * void.  Later checks without USE-CANDIDATE change nothing. */
void ice__quirk_checked(struct ice_agent *ag, int l, const union stun_addr *from,
			uint32_t prio)
{
	int pi;

	/* dtls-reply-wrong-family needs the tuples too: agent_net.c sends DTLS
	 * on one of the other family (sipwise/rtpengine #451). */
	if (!ice__quirk(ag, QUIRK_SELECT_FIRST_CHECK | QUIRK_TUPLE_BY_REMOTE_ONLY |
			     QUIRK_DTLS_REPLY_WRONG_FAMILY))
		return;
	pi = lite_tuple(ag, l, from, prio);
	/* Only the first: after a restart the kept tuple is still selected. */
	if (pi >= 0 && ag->selected < 0 && !ag->keep_sel &&
	    ice__quirk(ag, QUIRK_SELECT_FIRST_CHECK))
		ice__select_pair(ag, pi);
}

/* last-nomination-wins, mediasoup #650: with a peer that nominates more
 * than one pair (aggressive nomination), the tuple of the latest
 * USE-CANDIDATE is selected, even when a better one was nominated before
 * (RFC 8445 8.1.1 asks for the highest-priority nominated pair). */
bool ice__quirk_nominated(struct ice_agent *ag, int pi)
{
	if (!ice__quirk(ag, QUIRK_LAST_NOMINATION_WINS))
		return false;
	ice__select_pair(ag, pi);
	return true;
}

/* select-first-check, second half: mediasoup 3.7 moved the selected tuple
 * to wherever DTLS or media came from (ForceSelectedTuple), if a check had
 * come over that tuple. */
void ice_agent_data_received(struct ice_agent *ag, uint64_t now_ms, int sock,
			     const union stun_addr *from)
{
	int l, r, pi;

	if (!ag->cfg.lite || !ice__quirk(ag, QUIRK_SELECT_FIRST_CHECK))
		return;
	ag->now_ms = now_ms;
	l = ice__local_by_sock(ag, sock);
	r = ice__remote_by_addr(ag, from);
	pi = l < 0 || r < 0 ? -1 : ice__pair_find(ag, l, r);
	if (pi < 0 || pi == ag->selected)
		return;
	ice__select_pair(ag, pi);
	ice__update(ag, now_ms);
}
