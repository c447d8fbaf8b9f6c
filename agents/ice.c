/* ice.c - the ICE agent (RFC 8445): candidates, the check list, states and
 * the selected pair.  Our checks live in ice_check.c, the peer's in
 * ice_req.c; ice_int.h is what the three share.
 */
#include "ice_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const char *ice_state_name(enum ice_state st)
{
	switch (st) {
	case ICE_NEW:
		return "new";
	case ICE_CHECKING:
		return "checking";
	case ICE_CONNECTED:
		return "connected";
	case ICE_COMPLETED:
		return "completed";
	case ICE_FAILED:
		return "failed";
	case ICE_DISCONNECTED:
		return "disconnected";
	}
	return "?";
}

const char *ice_pair_state_name(enum ice_pair_state st)
{
	switch (st) {
	case ICE_PAIR_FROZEN:
		return "frozen";
	case ICE_PAIR_WAITING:
		return "waiting";
	case ICE_PAIR_IN_PROGRESS:
		return "in-progress";
	case ICE_PAIR_SUCCEEDED:
		return "succeeded";
	case ICE_PAIR_FAILED:
		return "failed";
	}
	return "?";
}

static const char *role_name(enum ice_role r)
{
	return r == ICE_CONTROLLING ? "controlling" : "controlled";
}

/* ---- Notes and states ------------------------------------------------ */

void ice__note(struct ice_agent *ag, enum ice_note_kind kind, int code, int sock,
	       const union stun_addr *local, const union stun_addr *remote, bool use_cand,
	       const char *text)
{
	struct ice_note n;

	if (ag->cb.note == NULL)
		return;
	memset(&n, 0, sizeof(n));
	n.kind = kind;
	n.code = code;
	n.sock = sock;
	if (local)
		n.local = *local;
	if (remote)
		n.remote = *remote;
	n.use_candidate = use_cand;
	n.text = text;
	ag->cb.note(ag->cb.user, &n);
}

void ice__note_pair(struct ice_agent *ag, enum ice_note_kind kind, int code,
		    const struct ice__pair *p, bool use_cand, const char *text)
{
	ice__note(ag, kind, code, ag->lm[p->l].sock, &ag->lm[p->l].base, &ag->rc[p->r].addr,
		  use_cand, text);
}

static void stop_everything(struct ice_agent *ag)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		stun_tx_stop(&ag->pairs[i].cur.sched);
		ag->pairs[i].cur.accept_until = 0;
		ag->pairs[i].old.accept_until = 0;
		ag->pairs[i].queued = false;
	}
	ag->q_len = 0;
}

/* The one door every state change goes through. */
void ice__set_state(struct ice_agent *ag, enum ice_state st, const char *why)
{
	if (st == ag->state)
		return;
	ag->state = st;
	snprintf(ag->state_reason, sizeof(ag->state_reason), "%s", why ? why : "");
	if (st == ICE_FAILED)
		stop_everything(ag);
	if (ag->cb.state)
		ag->cb.state(ag->cb.user, st);
}

static void set_state(struct ice_agent *ag, enum ice_state st)
{
	ice__set_state(ag, st, NULL);
}

static bool any_valid(const struct ice_agent *ag)
{
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ag->pairs[i].valid)
			return true;
	return false;
}

/* The check list fails when nothing is left to try (after the peer said
 * it has no more candidates) and no pair worked, or when the nomination
 * failed (RFC 8445 7.2.5.3.4, 8.1.1). */
static bool check_list_failed(const struct ice_agent *ag)
{
	if (ag->cfg.lite)
		return false;
	if (ag->nomination_failed)
		return true;
	return ag->eoc && !ice__checks_pending(ag) && !any_valid(ag);
}

void ice__update(struct ice_agent *ag, uint64_t now_ms)
{
	/* Consent lost on the selected pair: nothing moves until a restart,
	 * which leaves no pair selected and a new check list to run and
	 * nominate from (RFC 8445 9), or, lite, a new nomination. */
	if (ag->state == ICE_FAILED || (ice__consent_lost(ag) && ag->selected >= 0))
		return;
	ice__maybe_nominate(ag, now_ms);
	if (ag->state == ICE_NEW && (ag->checks_started || ag->authenticated_seen))
		set_state(ag, ICE_CHECKING);
	if (ag->selected >= 0) {
		if (ag->state != ICE_COMPLETED)
			set_state(ag, ice__checks_pending(ag) ? ICE_CONNECTED : ICE_COMPLETED);
		return;
	}
	if (check_list_failed(ag))
		set_state(ag, ICE_FAILED);
}

/* ---- Candidates ------------------------------------------------------ */

int ice__local_by_sock(const struct ice_agent *ag, int sock)
{
	for (size_t i = 0; i < ag->n_host; i++)
		if (ag->lm[i].sock == sock)
			return (int)i;
	return -1;
}

int ice__local_by_addr(const struct ice_agent *ag, const union stun_addr *a)
{
	for (size_t i = 0; i < ag->n_local; i++)
		if (stun_addr_equal(&ag->lc[i].addr, a))
			return (int)i;
	return -1;
}

int ice__remote_by_addr(const struct ice_agent *ag, const union stun_addr *a)
{
	for (size_t i = 0; i < ag->n_remote; i++)
		if (stun_addr_equal(&ag->rc[i].addr, a))
			return (int)i;
	return -1;
}

/* A candidate of component 1 (the only one); foundation and related
 * address are the caller's. */
static struct cand *cand_init(struct cand *c, enum cand_type type, const union stun_addr *addr,
			      uint32_t priority)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	c->component = 1;
	c->priority = priority;
	c->addr = *addr;
	return c;
}

/* 7.2.5.3.1: the mapped address is a local candidate we did not know. */
int ice__add_local_prflx(struct ice_agent *ag, int base_l, const union stun_addr *a,
			 uint32_t prio)
{
	struct cand *c;

	if (ag->n_local >= ICE__MAX_LOCAL)
		return -1;
	c = cand_init(&ag->lc[ag->n_local], CAND_PRFLX, a, prio);
	c->related = ag->lm[base_l].base;
	cand_foundation(CAND_PRFLX, &ag->lm[base_l].base, NULL, c->foundation);
	ag->lm[ag->n_local] = ag->lm[base_l];
	return (int)ag->n_local++;
}

/* 7.3.1.3: a request from an address the peer did not signal. */
int ice__add_remote_prflx(struct ice_agent *ag, const union stun_addr *a, uint32_t prio)
{
	struct cand *c;

	if (ag->n_remote >= ICE__MAX_REMOTE)
		return -1;
	c = cand_init(&ag->rc[ag->n_remote], CAND_PRFLX, a, prio);
	/* Different from every other remote foundation, as 7.3.1.3 asks. */
	snprintf(c->foundation, sizeof(c->foundation), "prflx%zu", ag->n_remote);
	return (int)ag->n_remote++;
}

/* ---- Pairs ----------------------------------------------------------- */

static uint64_t pair_priority(const struct ice_agent *ag, const struct ice__pair *p)
{
	if (ag->role == ICE_CONTROLLING)
		return cand_pair_priority(p->lprio, p->rprio);
	return cand_pair_priority(p->rprio, p->lprio);
}

static void pair_refresh(struct ice_agent *ag, struct ice__pair *p)
{
	p->lprio = ag->lc[p->l].priority;
	if (!p->rprio_fixed)
		p->rprio = ag->rc[p->r].priority;
	p->prio = pair_priority(ag, p);
	snprintf(p->foundation, sizeof(p->foundation), "%s:%s", ag->lc[p->l].foundation,
		 ag->rc[p->r].foundation);
}

int ice__pair_find(const struct ice_agent *ag, int l, int r)
{
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ag->pairs[i].l == l && ag->pairs[i].r == r)
			return (int)i;
	return -1;
}

bool ice__pair_active(const struct ice__pair *p)
{
	return p->in_list && !p->removed &&
	       (p->st == ICE_PAIR_FROZEN || p->st == ICE_PAIR_WAITING ||
		p->st == ICE_PAIR_IN_PROGRESS);
}

/* 6.1.2.6: before the first check, the best pair of each foundation
 * waits and the others are frozen.  Later pairs (trickled candidates,
 * triggered checks) are frozen only behind a pair of their foundation
 * that is still to be checked. */
static void initial_states(struct ice_agent *ag)
{
	for (size_t i = 0; i < ag->n_pairs; i++) {
		struct ice__pair *p = &ag->pairs[i];
		bool best = true;

		if (!p->in_list)
			continue;
		for (size_t j = 0; j < ag->n_pairs && best; j++) {
			const struct ice__pair *q = &ag->pairs[j];

			if (j != i && q->in_list && strcmp(q->foundation, p->foundation) == 0 &&
			    (q->prio > p->prio || (q->prio == p->prio && j < i)))
				best = false;
		}
		p->st = best ? ICE_PAIR_WAITING : ICE_PAIR_FROZEN;
	}
}

static enum ice_pair_state late_state(const struct ice_agent *ag, const struct ice__pair *p)
{
	for (size_t j = 0; j < ag->n_pairs; j++) {
		const struct ice__pair *q = &ag->pairs[j];

		if (q != p && ice__pair_active(q) && strcmp(q->foundation, p->foundation) == 0)
			return ICE_PAIR_FROZEN;
	}
	return ICE_PAIR_WAITING;
}

int ice__pair_add(struct ice_agent *ag, int l, int r, bool in_list)
{
	struct ice__pair *p;

	if (ag->n_pairs >= ICE_MAX_PAIRS)
		return -1;
	p = &ag->pairs[ag->n_pairs];
	memset(p, 0, sizeof(*p));
	p->l = l;
	p->r = r;
	p->in_list = in_list;
	p->valid_idx = -1;
	p->gen_idx = -1;
	pair_refresh(ag, p);
	ag->n_pairs++;
	if (!in_list)
		p->st = ICE_PAIR_SUCCEEDED;
	else if (!ag->checks_started)
		initial_states(ag);
	else
		p->st = late_state(ag, p);
	return (int)(ag->n_pairs - 1);
}

/* A remote candidate changed priority or type: its pairs follow. */
static void refresh_pairs_of_remote(struct ice_agent *ag, int r)
{
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ag->pairs[i].r == r)
			pair_refresh(ag, &ag->pairs[i]);
	if (!ag->checks_started)
		initial_states(ag);
}

static void pair_local_with_remotes(struct ice_agent *ag, int l)
{
	for (size_t r = 0; r < ag->n_remote; r++)
		if (cand_pairable(&ag->lm[l].base, &ag->rc[r].addr) &&
		    ice__pair_find(ag, l, (int)r) < 0)
			ice__pair_add(ag, l, (int)r, true);
}

static void pair_remote_with_locals(struct ice_agent *ag, int r)
{
	for (size_t l = 0; l < ag->n_host; l++)
		if (ag->lc[l].type != CAND_SRFLX &&   /* 6.1.2.4: its base pairs for it */
		    cand_pairable(&ag->lm[l].base, &ag->rc[r].addr) &&
		    ice__pair_find(ag, (int)l, r) < 0)
			ice__pair_add(ag, (int)l, r, true);
}

void ice__enqueue(struct ice_agent *ag, int pi)
{
	struct ice__pair *p = &ag->pairs[pi];

	if (p->queued || ag->q_len >= ICE_MAX_PAIRS)
		return;
	ag->queue[(ag->q_head + ag->q_len) % ICE_MAX_PAIRS] = pi;
	ag->q_len++;
	p->queued = true;
}

static void dequeue_removed(struct ice_agent *ag)
{
	size_t n = 0;

	for (size_t i = 0; i < ag->q_len; i++) {
		int pi = ag->queue[(ag->q_head + i) % ICE_MAX_PAIRS];

		if (ag->pairs[pi].removed)
			ag->pairs[pi].queued = false;
		else
			ag->queue[(ag->q_head + n++) % ICE_MAX_PAIRS] = pi;
	}
	ag->q_len = n;
}

/* A queued pair that still needs a check: a triggered check is moot once
 * the pair succeeded, unless it is the nomination. */
bool ice__sendable(const struct ice__pair *p)
{
	if (p->removed)
		return false;
	return p->nominate_next || p->st == ICE_PAIR_WAITING || p->st == ICE_PAIR_FROZEN ||
	       p->st == ICE_PAIR_FAILED;
}

bool ice__queue_has_sendable(const struct ice_agent *ag)
{
	for (size_t i = 0; i < ag->q_len; i++)
		if (ice__sendable(&ag->pairs[ag->queue[(ag->q_head + i) % ICE_MAX_PAIRS]]))
			return true;
	return false;
}

bool ice__checks_pending(const struct ice_agent *ag)
{
	if (ice__queue_has_sendable(ag))
		return true;
	for (size_t i = 0; i < ag->n_pairs; i++)
		if (ice__pair_active(&ag->pairs[i]) || ag->pairs[i].cur.sched.active)
			return true;
	return false;
}

/* ---- Selection ------------------------------------------------------- */

void ice__fill_info(const struct ice_agent *ag, const struct ice__pair *p,
		    struct ice_pair_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sock = ag->lm[p->l].sock;
	info->local = ag->lm[p->l].base;
	info->remote = ag->rc[p->r].addr;
	info->local_type = ag->lc[p->l].type;
	info->remote_type = ag->rc[p->r].type;
	info->priority = p->prio;
}

/* 8.1.2: once a pair is nominated the remaining checks are moot.  With
 * aggressive nomination a better pair may still be nominated later, so
 * only the worse ones go. */
static void prune_after_selection(struct ice_agent *ag)
{
	bool keep_better = ag->cfg.nomination == ICE_NOMINATE_AGGRESSIVE && !ag->remote_lite;
	uint64_t sel = ag->pairs[ag->selected].prio;

	for (size_t i = 0; i < ag->n_pairs; i++) {
		struct ice__pair *p = &ag->pairs[i];

		if (!ice__pair_active(p) || (keep_better && p->prio > sel))
			continue;
		p->removed = true;
		stun_tx_stop(&p->cur.sched);
		p->cur.accept_until = 0;
	}
	dequeue_removed(ag);
}

/* The selected pair is the best nominated valid pair, not the latest
 * (8.1.1); it changes only when a better one is nominated. */
void ice__consider_selection(struct ice_agent *ag)
{
	int best = -1;

	for (size_t i = 0; i < ag->n_pairs; i++) {
		const struct ice__pair *p = &ag->pairs[i];

		if (p->valid && p->nominated && (best < 0 || p->prio > ag->pairs[best].prio))
			best = (int)i;
	}
	if (best >= 0)
		ice__select_pair(ag, best);
}

/* The one door a selection goes through: the best nominated pair above,
 * or a quirk's choice (ice_quirk.c). */
void ice__select_pair(struct ice_agent *ag, int pi)
{
	if (pi == ag->selected)
		return;
	ag->selected = pi;
	ice__fill_info(ag, &ag->pairs[pi], &ag->sel_info);
	if (!ag->cfg.lite)
		prune_after_selection(ag);
	ag->keep_sel = false;
	ice__consent_selected(ag);
	if (ag->cb.selected)
		ag->cb.selected(ag->cb.user, &ag->sel_info);
}

void ice__set_role(struct ice_agent *ag, enum ice_role role)
{
	if (ag->role == role || ag->cfg.lite)
		return;
	ag->role = role;
	/* G and D swap: every pair priority changes (6.1.2.3). */
	for (size_t i = 0; i < ag->n_pairs; i++) {
		ag->pairs[i].prio = pair_priority(ag, &ag->pairs[i]);
		if (role == ICE_CONTROLLED)
			ag->pairs[i].nominate_next = false;
	}
	if (ag->selected >= 0)
		ag->sel_info.priority = ag->pairs[ag->selected].prio;
	ice__note(ag, ICE_NOTE_ROLE_CHANGED, 0, -1, NULL, NULL, false, role_name(role));
}

/* ---- Life cycle ------------------------------------------------------ */

static int random_chars(char *out, size_t n, struct icl_err *err)
{
	unsigned char buf[64];

	if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
		return icl_err_set(err, -EIO, "ice: RAND_bytes failed");
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[buf[i] & 63];   /* 64 symbols: 6 uniform bits each */
	out[n] = '\0';
	return 0;
}

static bool ice_chars_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, ice_chars) == n;
}

static int init_credentials(struct ice_agent *ag, struct icl_err *err)
{
	int rc = 0;

	if (ag->cfg.ufrag[0] == '\0')
		rc = random_chars(ag->cfg.ufrag, ICE_UFRAG_LEN, err);
	else if (!ice_chars_ok(ag->cfg.ufrag, 4, 256))
		return icl_err_set(err, ICL_EINPUT, "ufrag: 4 to 256 ice-chars (RFC 8839 5.4)");
	if (rc == 0 && ag->cfg.pwd[0] == '\0')
		rc = random_chars(ag->cfg.pwd, ICE_PWD_LEN, err);
	else if (rc == 0 && !ice_chars_ok(ag->cfg.pwd, 22, 256))
		return icl_err_set(err, ICL_EINPUT, "pwd: 22 to 256 ice-chars (RFC 8839 5.4)");
	if (rc == 0 && ag->tiebreaker == 0 &&
	    RAND_bytes((unsigned char *)&ag->tiebreaker, sizeof(ag->tiebreaker)) != 1)
		rc = icl_err_set(err, -EIO, "ice: RAND_bytes failed");
	return rc;
}

struct ice_agent *ice_agent_new(const struct ice_config *cfg, const struct ice_callbacks *cb,
				struct icl_err *err)
{
	struct ice_agent *ag;

	if (cfg == NULL || cb == NULL || cb->send == NULL) {
		icl_err_set(err, -EINVAL, "ice: a configuration and a send callback are needed");
		return NULL;
	}
	if (cfg->ta_ms != 0 && cfg->ta_ms < ICE_TA_MIN_MS) {
		icl_err_set(err, ICL_EINPUT, "ta_ms: %u is below the %u ms floor (RFC 8445 14.2)",
			    cfg->ta_ms, ICE_TA_MIN_MS);
		return NULL;
	}
	ag = calloc(1, sizeof(*ag));
	if (ag == NULL) {
		icl_err_set(err, -ENOMEM, "ice: out of memory");
		return NULL;
	}
	ag->cfg = *cfg;
	ag->cb = *cb;
	ag->cfg.ta_ms = cfg->ta_ms ? cfg->ta_ms : ICE_TA_DEFAULT_MS;
	ag->cfg.rto_ms = cfg->rto_ms ? cfg->rto_ms : ICE_RTO_DEFAULT_MS;
	ag->cfg.rc = cfg->rc ? cfg->rc : STUN_RC_DEFAULT;
	ag->cfg.rm = cfg->rm ? cfg->rm : STUN_RM_DEFAULT;
	ag->cfg.nominate_after_ms = cfg->nominate_after_ms ? cfg->nominate_after_ms
							   : ICE_NOMINATE_AFTER_MS;
	ag->consent.last_data_ms = UINT64_MAX;
	ag->role = cfg->lite ? ICE_CONTROLLED : cfg->role;
	ag->aggressive = !cfg->lite && cfg->nomination == ICE_NOMINATE_AGGRESSIVE;
	ag->tiebreaker = cfg->tiebreaker;
	ag->selected = -1;
	ag->first_valid_ms = UINT64_MAX;
	if (init_credentials(ag, err) < 0) {
		free(ag);
		return NULL;
	}
	return ag;
}

void ice_agent_free(struct ice_agent *ag)
{
	free(ag);
}

int ice_agent_add_host(struct ice_agent *ag, int sock, const union stun_addr *addr,
		       uint16_t local_pref, struct icl_err *err)
{
	struct cand *c;
	size_t i = ag->n_host;

	if (addr->sa.sa_family != AF_INET && addr->sa.sa_family != AF_INET6)
		return icl_err_set(err, ICL_EINPUT, "host candidate: not an IPv4 or IPv6 address");
	if (i >= ICE_MAX_CANDS || ag->n_local != ag->n_host)
		return icl_err_set(err, i >= ICE_MAX_CANDS ? -ENOSPC : -EBUSY, "host candidate: %s",
				   i >= ICE_MAX_CANDS ? "too many" : "add hosts before checks begin");
	if (ice__local_by_sock(ag, sock) >= 0 || ice__local_by_addr(ag, addr) >= 0)
		return icl_err_set(err, ICL_EINPUT, "host candidate: socket or address added twice");
	c = cand_init(&ag->lc[i], CAND_HOST, addr, cand_priority(CAND_HOST, local_pref, 1));
	cand_foundation(CAND_HOST, addr, NULL, c->foundation);
	ag->lm[i].sock = sock;
	ag->lm[i].base = *addr;
	ag->lm[i].local_pref = local_pref;
	ag->n_host++;
	ag->n_local++;
	if (!ag->cfg.lite)
		pair_local_with_remotes(ag, (int)i);
	return 0;
}

/* A slot among the gathered candidates (after the hosts, before the
 * peer-reflexive ones) holding a candidate of `type` at `addr`, its
 * priority from `local_pref`; the caller fills related address,
 * foundation and the slot's lm[].  Returns its index or <0. */
static int gathered_slot(struct ice_agent *ag, enum cand_type type, const union stun_addr *addr,
			 uint16_t local_pref, struct icl_err *err)
{
	size_t i = ag->n_host;

	if (i >= ICE_MAX_CANDS || ag->n_local >= ICE__MAX_LOCAL)
		return icl_err_set(err, -ENOSPC, "candidate: more than %d gathered", ICE_MAX_CANDS);
	memmove(&ag->lc[i + 1], &ag->lc[i], (ag->n_local - i) * sizeof(ag->lc[0]));
	memmove(&ag->lm[i + 1], &ag->lm[i], (ag->n_local - i) * sizeof(ag->lm[0]));
	for (size_t k = 0; k < ag->n_pairs; k++)
		if (ag->pairs[k].l >= (int)i)
			ag->pairs[k].l++;
	ag->n_host++;
	ag->n_local++;
	cand_init(&ag->lc[i], type, addr, cand_priority(type, local_pref, 1));
	return (int)i;
}

int ice_agent_add_srflx(struct ice_agent *ag, int sock, const union stun_addr *addr,
			const union stun_addr *server, struct icl_err *err)
{
	int b = ice__local_by_sock(ag, sock), i;
	struct cand *c;

	if (b < 0 || ag->lc[b].type != CAND_HOST)
		return icl_err_set(err, ICL_EINPUT, "srflx candidate: socket %d is no host base", sock);
	/* The family may differ from the base's: behind a NAT64 an IPv6 base
	 * maps to IPv4 (spec item 12, "accept a mapped address of the other
	 * address family"; RFC 8445 5.1.1.2). */
	if (addr->sa.sa_family != AF_INET && addr->sa.sa_family != AF_INET6)
		return icl_err_set(err, ICL_EINPUT, "srflx candidate: not an IPv4 or IPv6 address");
	/* 5.1.3: same address and base as a candidate we have (the host
	 * itself when there is no NAT, or another server's answer). */
	for (size_t l = 0; l < ag->n_host; l++)
		if (stun_addr_equal(&ag->lc[l].addr, addr) &&
		    stun_addr_equal(&ag->lm[l].base, &ag->lm[b].base))
			return 0;
	if ((i = gathered_slot(ag, CAND_SRFLX, addr, ag->lm[b].local_pref, err)) < 0)
		return i;
	c = &ag->lc[i];
	c->related = ag->lm[b].base;
	cand_foundation(CAND_SRFLX, &ag->lm[b].base, server, c->foundation);
	ag->lm[i] = ag->lm[b];
	return 1;
}

int ice_agent_add_relay(struct ice_agent *ag, int sock, const union stun_addr *relayed,
			const union stun_addr *mapped, const union stun_addr *server,
			uint16_t local_pref, struct icl_err *err)
{
	struct cand *c;
	int i;

	if (relayed->sa.sa_family != AF_INET && relayed->sa.sa_family != AF_INET6)
		return icl_err_set(err, ICL_EINPUT, "relay candidate: not an IPv4 or IPv6 address");
	if (ice__local_by_sock(ag, sock) >= 0 || ice__local_by_addr(ag, relayed) >= 0)
		return icl_err_set(err, ICL_EINPUT, "relay candidate: socket or address added twice");
	if ((i = gathered_slot(ag, CAND_RELAY, relayed, local_pref, err)) < 0)
		return i;
	c = &ag->lc[i];
	if (mapped)
		c->related = *mapped;
	cand_foundation(CAND_RELAY, relayed, server, c->foundation);
	/* A relayed candidate is its own base (5.1.1.2). */
	ag->lm[i].sock = sock;
	ag->lm[i].base = *relayed;
	ag->lm[i].local_pref = local_pref;
	if (!ag->cfg.lite)
		pair_local_with_remotes(ag, i);
	return 1;
}

size_t ice_agent_local_cands(const struct ice_agent *ag, const struct cand **out)
{
	*out = ag->lc;
	return ag->n_host;
}

const char *ice_agent_ufrag(const struct ice_agent *ag)
{
	return ag->cfg.ufrag;
}

const char *ice_agent_pwd(const struct ice_agent *ag)
{
	return ag->cfg.pwd;
}

enum ice_role ice_agent_role(const struct ice_agent *ag)
{
	return ag->role;
}

enum ice_state ice_agent_state(const struct ice_agent *ag)
{
	return ag->state;
}

bool ice_agent_knows_source(const struct ice_agent *ag, const union stun_addr *from)
{
	if (ice__remote_by_addr(ag, from) >= 0)
		return true;
	return (ag->selected >= 0 || ag->keep_sel) && stun_addr_equal(&ag->sel_info.remote, from);
}

const struct ice_pair_info *ice_agent_selected(const struct ice_agent *ag)
{
	return (ag->selected >= 0 || ag->keep_sel) && !ag->consent.lost ? &ag->sel_info : NULL;
}

const char *ice_agent_state_reason(const struct ice_agent *ag)
{
	return ag->state_reason[0] ? ag->state_reason : NULL;
}

const struct ice_pair_info *ice_agent_nominating(const struct ice_agent *ag)
{
	return ag->nominating && ag->selected < 0 ? &ag->nom_info : NULL;
}

/* ---- The peer -------------------------------------------------------- */

int ice_agent_set_remote(struct ice_agent *ag, const char *ufrag, const char *pwd,
			 bool remote_lite, uint64_t now_ms, struct icl_err *err)
{
	ag->now_ms = now_ms;
	if (ufrag == NULL || pwd == NULL || !ufrag[0] || !pwd[0] || strlen(ufrag) > 256 ||
	    strlen(pwd) > 256)
		return icl_err_set(err, ICL_EINPUT, "remote ufrag/pwd: 1 to 256 characters each");
	if (ice_agent_remote_changed(ag, ufrag, pwd))
		return icl_err_set(err, ICL_EINPUT,
				   "remote ufrag/pwd changed: the peer restarted; restart this agent "
				   "first (RFC 8445 9)");
	snprintf(ag->rufrag, sizeof(ag->rufrag), "%s", ufrag);
	snprintf(ag->rpwd, sizeof(ag->rpwd), "%s", pwd);
	ag->have_remote = true;
	ag->remote_lite = remote_lite;
	if (!ag->checks_started && ag->next_slot_ms < now_ms)
		ag->next_slot_ms = now_ms;
	if (remote_lite && !ag->cfg.lite) {
		/* 6.1.1: facing a lite peer, a full agent controls. */
		ice__set_role(ag, ICE_CONTROLLING);
		ice__nomination_vs_lite(ag);
	}
	ice__update(ag, now_ms);
	return 0;
}

/* A candidate signalled again at the same address (a srflx equal to its
 * host, a trickled copy of a learned prflx): one remote per address, the
 * better one, which is the pruning of 6.1.2.4 done before pairing. */
static void merge_remote(struct ice_agent *ag, int r, const struct cand *c)
{
	if (ag->rc[r].type != CAND_PRFLX && c->priority <= ag->rc[r].priority)
		return;
	ag->rc[r] = *c;
	refresh_pairs_of_remote(ag, r);
}

int ice_agent_add_remote(struct ice_agent *ag, const struct cand *c, uint64_t now_ms,
			 struct icl_err *err)
{
	int r;

	ag->now_ms = now_ms;
	if (c->component != 1)
		return 0;   /* one component: the others are not ours to pair */
	if (c->addr.sa.sa_family != AF_INET && c->addr.sa.sa_family != AF_INET6)
		return icl_err_set(err, ICL_EINPUT, "remote candidate: not an IPv4 or IPv6 address");
	r = ice__remote_by_addr(ag, &c->addr);
	if (r >= 0) {
		merge_remote(ag, r, c);
	} else {
		if (ag->n_signalled >= ICE_MAX_CANDS || ag->n_remote >= ICE__MAX_REMOTE)
			return icl_err_set(err, -ENOSPC, "remote candidate: more than %d",
					   ICE_MAX_CANDS);
		r = (int)ag->n_remote++;
		ag->n_signalled++;
		ag->rc[r] = *c;
		if (!ag->cfg.lite)
			pair_remote_with_locals(ag, r);
	}
	ice__update(ag, now_ms);
	return 0;
}

void ice_agent_end_of_candidates(struct ice_agent *ag, uint64_t now_ms)
{
	ag->now_ms = now_ms;
	ag->eoc = true;
	ice__update(ag, now_ms);
}

/* ---- Events ---------------------------------------------------------- */

bool ice_agent_recv(struct ice_agent *ag, uint64_t now_ms, int sock,
		    const union stun_addr *from, const uint8_t *buf, size_t len)
{
	struct stun_msg msg;
	struct icl_err err;

	if (!stun_is_stun(buf, len))
		return false;
	ag->now_ms = now_ms;
	/* Malformed or not a Binding: ours to drop (RFC 7983 says STUN). */
	if (stun_decode(buf, len, &msg, &err) < 0 || msg.method != STUN_BINDING)
		return true;
	if (msg.cls == STUN_REQUEST)
		ice__handle_request(ag, sock, from, &msg);
	else if ((msg.cls == STUN_SUCCESS || msg.cls == STUN_ERROR) && !ag->cfg.lite &&
		 !ice__consent_response(ag, now_ms, sock, from, &msg))
		ice__handle_response(ag, now_ms, sock, from, &msg);
	ice__update(ag, now_ms);
	return true;
}

void ice_agent_tick(struct ice_agent *ag, uint64_t now_ms)
{
	ag->now_ms = now_ms;
	ice__consent_tick(ag, now_ms);
	ice__check_timers(ag, now_ms);
	ice__update(ag, now_ms);
	ice__check_pace(ag, now_ms);
	ice__update(ag, now_ms);
}

uint64_t ice_agent_deadline(const struct ice_agent *ag)
{
	uint64_t d = ice__check_deadline(ag), c = ice__consent_deadline(ag);

	return c < d ? c : d;
}

void ice_agent_data_sent(struct ice_agent *ag, uint64_t now_ms)
{
	ag->consent.last_data_ms = now_ms;
}

/* ---- Restart (RFC 8445 9) -------------------------------------------- */

bool ice_agent_remote_changed(const struct ice_agent *ag, const char *ufrag, const char *pwd)
{
	return ag->have_remote && (strcmp(ag->rufrag, ufrag) != 0 || strcmp(ag->rpwd, pwd) != 0);
}

static int new_credentials(struct ice_agent *ag, const char *ufrag, const char *pwd,
			   struct icl_err *err)
{
	struct ice__old_creds old = { .valid = true };
	int rc;

	snprintf(old.ufrag, sizeof(old.ufrag), "%s", ag->cfg.ufrag);
	snprintf(old.pwd, sizeof(old.pwd), "%s", ag->cfg.pwd);
	snprintf(ag->cfg.ufrag, sizeof(ag->cfg.ufrag), "%s", ufrag ? ufrag : "");
	snprintf(ag->cfg.pwd, sizeof(ag->cfg.pwd), "%s", pwd ? pwd : "");
	rc = init_credentials(ag, err);
	if (rc == 0 && (strcmp(ag->cfg.ufrag, old.ufrag) == 0 || strcmp(ag->cfg.pwd, old.pwd) == 0))
		rc = icl_err_set(err, ICL_EINPUT, "restart: needs a new ufrag and a new pwd "
				 "(RFC 8445 9)");
	if (rc < 0) {
		snprintf(ag->cfg.ufrag, sizeof(ag->cfg.ufrag), "%s", old.ufrag);
		snprintf(ag->cfg.pwd, sizeof(ag->cfg.pwd), "%s", old.pwd);
		return rc;
	}
	ag->old_creds = old;
	return 0;
}

/* RFC 8445 9: "all previous states of the data streams, excluding the
 * roles of the agents, [are] flushed": no pairs (so no valid list and no
 * nominations: a lite agent's old tuples cannot outrank the new one), no
 * remote candidates, no learned local ones.  Only data may go on: the
 * selected pair stays for it (keep_sel), a lite agent's with the time of
 * its last authenticated request, for its consent. */
static void reset_checks(struct ice_agent *ag)
{
	if (ag->selected >= 0 && ag->cfg.lite)
		ag->kept_consent_ms = ag->pairs[ag->selected].consent_ms;
	ag->keep_sel = ag->selected >= 0 || ag->keep_sel;
	ag->selected = -1;
	ag->n_pairs = 0;
	ag->q_head = ag->q_len = 0;
	ag->n_local = ag->n_host;
	ag->n_remote = ag->n_signalled = 0;
	ag->have_remote = ag->eoc = false;
	ag->checks_started = ag->nomination_started = ag->nomination_failed = false;
	ag->nominating = false;
	ag->first_valid_ms = UINT64_MAX;
}

int ice_agent_restart(struct ice_agent *ag, const char *ufrag, const char *pwd,
		      uint64_t now_ms, struct icl_err *err)
{
	int rc;

	ag->now_ms = now_ms;
	if ((ufrag == NULL) != (pwd == NULL))
		return icl_err_set(err, ICL_EINPUT, "restart: give both ufrag and pwd, or neither");
	if ((rc = new_credentials(ag, ufrag, pwd, err)) < 0)
		return rc;
	reset_checks(ag);   /* the peer's new credentials follow */
	if (ag->state != ICE_NEW)
		ice__set_state(ag, ICE_CHECKING, "restart");
	return 0;
}

/* ---- Diagnostics ----------------------------------------------------- */

size_t ice_agent_pairs(const struct ice_agent *ag, struct ice_pair_view *out, size_t max)
{
	int order[ICE_MAX_PAIRS];

	for (size_t i = 0; i < ag->n_pairs; i++) {
		size_t j = i;

		/* Insertion sort: stable, and n is small. */
		while (j > 0 && ag->pairs[order[j - 1]].prio < ag->pairs[i].prio) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = (int)i;
	}
	for (size_t i = 0; i < ag->n_pairs && i < max; i++) {
		const struct ice__pair *p = &ag->pairs[order[i]];

		ice__fill_info(ag, p, &out[i].info);
		out[i].state = p->st;
		out[i].in_check_list = p->in_list;
		out[i].removed = p->removed;
		out[i].valid = p->valid;
		out[i].nominated = p->nominated;
	}
	return ag->n_pairs;
}
