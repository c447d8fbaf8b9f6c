/* ice_int.h - what ice.c, ice_check.c and ice_req.c share; not an API.
 *
 * ice.c       the agent: candidates, the check list, states, selection
 * ice_check.c our checks: pacing, requests, responses, nomination
 * ice_req.c   the peer's checks: validation, answers, triggered checks
 * ice_consent.c consent freshness (RFC 7675) and the local credentials
 *             of an ICE restart (RFC 8445 9)
 * ice_quirk.c the known bugs of quirk.h that are decisions of the core
 */
#ifndef AGENTS_ICE_INT_H
#define AGENTS_ICE_INT_H

#include "ice.h"
#include "stun_tx.h"

/* Local candidates: the gathered ones (host, srflx, relay: signalled) and
 * the peer-reflexive ones learned from XOR-MAPPED-ADDRESS; remote:
 * signalled and learned. */
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
	uint64_t consent_ms;       /* lite: last authenticated request on this 5-tuple */
};

#define ICE__CONSENT_TXS 4         /* consent requests whose answers still count */

/* A full agent's consent freshness (RFC 7675) on its selected pair.  The
 * pair and the credentials are copied when it is selected, so that consent
 * goes on across a restart until a new pair is selected; the credentials
 * are renewed once the peer is known to hold the restart's new ones. */
struct ice__consent {
	bool on;                   /* a pair is selected and consent is checked */
	bool lost;                 /* given up: ice_agent_selected() is NULL */
	bool stopped;              /* quirk stop-consent-after-timeout fired */
	int sock;
	union stun_addr remote;
	uint32_t prio;             /* PRIORITY of the requests */
	char user[2 * 257 + 1], key[257];
	uint64_t next_ms;          /* next request */
	uint64_t last_ok_ms;       /* last valid response; selection counts as one */
	uint64_t last_data_ms;     /* quirk no-consent-while-sending; UINT64_MAX: never */
	struct {
		uint8_t txid[STUN_TXID_SIZE];
		uint64_t sent_ms;
		bool answered, used;
		char key[257];     /* signed with: the answer must be, whatever key is now */
	} tx[ICE__CONSENT_TXS];
	unsigned n_tx;             /* requests sent; the ring slot is n_tx % N */
};

/* Local credentials: the live ones are cfg.ufrag/cfg.pwd; after a restart
 * the old ones keep working until a request with the new ones arrives. */
struct ice__old_creds {
	bool valid;
	char ufrag[257], pwd[257];
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
	size_t n_host, n_local;    /* gathered (host, srflx, relay) are lc[0 .. n_host) */
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

	uint64_t now_ms;           /* the time given to the ice_agent_* call running */
	struct ice__consent consent;
	struct ice__old_creds old_creds;
	bool keep_sel;             /* restart: sel_info stays selected until a new pair is */
	uint64_t kept_consent_ms;  /* lite, keep_sel: last authenticated request on it */
	char state_reason[160];    /* ice_agent_state_reason(); "" for none */
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

/* ice.c: every state change, with why (NULL: no reason). */
void ice__set_state(struct ice_agent *ag, enum ice_state st, const char *why);

/* ice_consent.c */
void ice__consent_selected(struct ice_agent *ag);     /* a pair was (re)selected */
void ice__consent_tick(struct ice_agent *ag, uint64_t now_ms);
uint64_t ice__consent_deadline(const struct ice_agent *ag);
bool ice__consent_lost(const struct ice_agent *ag);   /* full: given up on the pair */
/* A response to one of our consent requests (then true: handled). */
bool ice__consent_response(struct ice_agent *ag, uint64_t now_ms, int sock,
			   const union stun_addr *from, const struct stun_msg *msg);
/* Full: a check with the live credentials got an authenticated success:
 * consent on a pair kept across a restart takes them too. */
void ice__consent_peer_has_creds(struct ice_agent *ag);
/* An authenticated request on (base l, from) was answered: its tuple has
 * consent (lite, spec item 13), the one kept across a restart too. */
void ice__consent_request(struct ice_agent *ag, int l, const union stun_addr *from);
/* Quirk ignore-consent-checks: true when this request goes unanswered. */
bool ice__consent_ignored(const struct ice_agent *ag, const struct stun_msg *msg);
/* The local credentials a request is checked against: the live ones, or
 * the ones before a restart while they are still accepted (then true).  A
 * request that proves the live ones retires the old ones. */
bool ice__local_creds(struct ice_agent *ag, const struct stun_msg *msg, const char **ufrag,
		      const char **pwd);

/* ice.c: select pair `pi` (callback, pruning); nothing if it already is. */
void ice__select_pair(struct ice_agent *ag, int pi);
/* ice_check.c: facing a lite peer, aggressive nomination becomes regular
 * (RFC 5245 8.1.1), unless the aggressive-vs-lite quirk keeps it. */
void ice__nomination_vs_lite(struct ice_agent *ag);

/* ice_quirk.c: each hook does nothing unless cfg.quirks has its bit. */
bool ice__quirk(const struct ice_agent *ag, unsigned bits);   /* any of enum quirk `bits` */
/* Lite, before answering an authenticated request that arrived on base
 * *l (socket *sock) from `from`: tuple-by-remote-only takes it for the
 * tuple already known for `from`, whose base then answers. */
void ice__quirk_tuple(struct ice_agent *ag, int *l, int *sock, const union stun_addr *from);
/* Lite, after answering it with success: the tuple is kept (the quirks
 * that need tuples) and select-first-check selects the first one. */
void ice__quirk_checked(struct ice_agent *ag, int l, const union stun_addr *from,
			uint32_t prio);
/* Lite, pair `pi` was just nominated: true when a quirk selected it
 * (last-nomination-wins), false when the regular rule decides. */
bool ice__quirk_nominated(struct ice_agent *ag, int pi);

#endif
