/* ice_int.h - what ice.c, ice_check.c and ice_req.c share; not an API.
 *
 * ice.c       the agent: candidates, the check list, states, selection
 * ice_check.c our checks: pacing, requests, responses, nomination
 * ice_req.c   the peer's checks: validation, answers, triggered checks
 */
#ifndef AGENTS_ICE_INT_H
#define AGENTS_ICE_INT_H

#include "ice.h"
#include "stun_tx.h"

/* Local candidates: the hosts (signalled) and the peer-reflexive ones
 * learned from XOR-MAPPED-ADDRESS; remote: signalled and learned. */
#define ICE__MAX_LOCAL   (2 * ICE_MAX_CANDS)
#define ICE__MAX_REMOTE  (2 * ICE_MAX_CANDS)
#define ICE__MSG_MAX     1024   /* a Binding message with a 513-byte USERNAME fits */

struct ice__local {
	int sock;
	union stun_addr base;     /* what the socket is bound to */
	uint16_t local_pref;
};

/* One STUN transaction of a check: the parameters it was sent with, so
 * that a retransmission is the same message (RFC 8489 6.2.1). */
struct ice__tx {
	struct stun_tx sched;      /* sched.active: still retransmitting */
	bool controlling;          /* the role the request claimed */
	bool use_cand;
	uint32_t prio;             /* PRIORITY sent */
	uint64_t accept_until;     /* cancelled (7.3.1.4): a late answer still counts */
};

struct ice__pair {
	int l, r;                  /* indices into lc[] and rc[] */
	uint32_t lprio, rprio;     /* the candidates' priorities as used here */
	uint64_t prio;
	char foundation[2 * CAND_FOUNDATION_MAX];
	enum ice_pair_state st;
	bool in_list;              /* on the check list (not only a valid pair) */
	bool removed;              /* pruned after a nomination (8.1.2) */
	bool valid, nominated;
	bool queued;               /* in the triggered-check queue */
	bool nominate_next;        /* the next check carries USE-CANDIDATE */
	bool nominate_on_success;  /* controlled: USE-CANDIDATE came first (7.3.1.5) */
	bool rprio_fixed;          /* lite: rprio is the PRIORITY the peer sent */
	int valid_idx;             /* the valid pair this pair's check produced, or -1 */
	int gen_idx;               /* valid pair: the pair whose check produced it */
	struct ice__tx cur, old;   /* the live transaction, a cancelled one */
};

struct ice_agent {
	struct ice_config cfg;
	struct ice_callbacks cb;
	enum ice_role role;
	uint64_t tiebreaker;
	bool aggressive;           /* effective: never against a lite peer */
	enum ice_state state;

	struct cand lc[ICE__MAX_LOCAL];
	struct ice__local lm[ICE__MAX_LOCAL];
	size_t n_host, n_local;    /* hosts are lc[0 .. n_host) */
	struct cand rc[ICE__MAX_REMOTE];
	size_t n_remote, n_signalled;

	char rufrag[257], rpwd[257];
	bool have_remote, remote_lite, eoc;

	struct ice__pair pairs[ICE_MAX_PAIRS];
	size_t n_pairs;
	int queue[ICE_MAX_PAIRS];  /* triggered checks, FIFO */
	size_t q_head, q_len;

	bool checks_started;       /* a check went out: later pairs join unfrozen rules */
	bool authenticated_seen;   /* a peer's check passed authentication */
	uint64_t next_slot_ms;     /* Ta pacing: no new check before this */
	uint64_t first_valid_ms;   /* UINT64_MAX: no valid pair yet */
	bool nomination_started, nomination_failed;

	int selected;              /* pair index, or -1 */
	struct ice_pair_info sel_info;
	bool nominating;           /* regular nomination's USE-CANDIDATE is out ... */
	struct ice_pair_info nom_info;   /* ... on this pair */
};

/* ice.c */
void ice__fill_info(const struct ice_agent *ag, const struct ice__pair *p,
		    struct ice_pair_info *info);
void ice__note(struct ice_agent *ag, enum ice_note_kind kind, int code, int sock,
	       const union stun_addr *local, const union stun_addr *remote, bool use_cand,
	       const char *text);
void ice__note_pair(struct ice_agent *ag, enum ice_note_kind kind, int code,
		    const struct ice__pair *p, bool use_cand, const char *text);
void ice__update(struct ice_agent *ag, uint64_t now_ms);
void ice__set_role(struct ice_agent *ag, enum ice_role role);
int ice__local_by_sock(const struct ice_agent *ag, int sock);
int ice__local_by_addr(const struct ice_agent *ag, const union stun_addr *a);
int ice__remote_by_addr(const struct ice_agent *ag, const union stun_addr *a);
int ice__add_local_prflx(struct ice_agent *ag, int base_l, const union stun_addr *a,
			 uint32_t prio);
int ice__add_remote_prflx(struct ice_agent *ag, const union stun_addr *a, uint32_t prio);
int ice__pair_find(const struct ice_agent *ag, int l, int r);
int ice__pair_add(struct ice_agent *ag, int l, int r, bool in_list);
void ice__enqueue(struct ice_agent *ag, int pi);
void ice__consider_selection(struct ice_agent *ag);
bool ice__checks_pending(const struct ice_agent *ag);
bool ice__pair_active(const struct ice__pair *p);   /* frozen, waiting or in progress */
bool ice__sendable(const struct ice__pair *p);
bool ice__queue_has_sendable(const struct ice_agent *ag);

/* ice_check.c */
void ice__check_timers(struct ice_agent *ag, uint64_t now_ms);   /* resends, timeouts */
void ice__check_pace(struct ice_agent *ag, uint64_t now_ms);     /* one new check per Ta */
uint64_t ice__check_deadline(const struct ice_agent *ag);
void ice__maybe_nominate(struct ice_agent *ag, uint64_t now_ms);
void ice__triggered(struct ice_agent *ag, int pi);
void ice__handle_response(struct ice_agent *ag, uint64_t now_ms, int sock,
			  const union stun_addr *from, const struct stun_msg *msg);

/* ice_req.c */
void ice__handle_request(struct ice_agent *ag, int sock,
			 const union stun_addr *from, const struct stun_msg *msg);

#endif
