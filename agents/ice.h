/* ice.h - an ICE agent (RFC 8445) for one component over UDP, sans I/O.
 *
 * The agent owns no socket and reads no clock.  The caller (agents/loop.c
 * in the reference agents, a test with a fake clock in tests/unit) feeds it
 * datagrams and the current time in milliseconds, and it answers through
 * the callbacks: datagrams to send, state changes, the selected pair and
 * notes for the timeline.  After any call the caller re-arms one timer for
 * ice_agent_deadline() and calls ice_agent_tick() when it fires.
 *
 * Both agents of icelab use it: `lite` (RFC 8445 2.5: answers checks,
 * never sends any, always controlled) and full (controlling or controlled,
 * regular or aggressive nomination).
 *
 * Threading: one thread.  Callbacks run synchronously inside the ice_agent_*
 * call that caused them and must not call back into the agent, except the
 * read-only ice_agent_state/ice_agent_selected/ice_agent_local_cands.
 */
#ifndef AGENTS_ICE_H
#define AGENTS_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "cand.h"
#include "stun.h"

/* RFC-cited defaults; every one can be changed in struct ice_config. */
#define ICE_TA_DEFAULT_MS       50    /* 14.2: Ta */
#define ICE_TA_MIN_MS           5
#define ICE_RTO_DEFAULT_MS      500   /* 14.3: RTO >= 500 ms */
#define ICE_NOMINATE_AFTER_MS   1000  /* wait for better pairs after the first valid one */
#define ICE_CONSENT_INTERVAL_MS 5000  /* RFC 7675 5.1: a check every 5 s, x[0.8, 1.2] */
#define ICE_CONSENT_MIN_MS      4000  /* RFC 7675 5.1: never under 4 s (default interval only) */
#define ICE_CONSENT_TIMEOUT_MS  30000 /* RFC 7675 5.1: lost 30 s after the last response */
#define ICE_UFRAG_LEN           8     /* >= 4 ice-chars, 24 bits of randomness (5.3) */
#define ICE_PWD_LEN             24    /* >= 22 ice-chars, 128 bits */
#define ICE_MAX_CANDS           32
#define ICE_MAX_PAIRS           256

enum ice_role { ICE_CONTROLLED, ICE_CONTROLLING };
enum ice_nomination { ICE_NOMINATE_REGULAR, ICE_NOMINATE_AGGRESSIVE };

enum ice_state {
	ICE_NEW,
	ICE_CHECKING,
	ICE_CONNECTED,   /* a pair is selected; checks may still run */
	ICE_COMPLETED,   /* a pair is selected and checks are over */
	ICE_FAILED,
	/* Consent lost (RFC 7675): full, no answer on the selected pair for
	 * consent_timeout_ms or an authenticated 403; lite, no authenticated
	 * request on the selected 5-tuple for as long.  Nothing is sent on the
	 * pair any more; a restart (or, lite, a new nomination) recovers. */
	ICE_DISCONNECTED,
};

struct ice_config {
	bool lite;
	enum ice_role role;             /* ignored (controlled) when lite */
	enum ice_nomination nomination;
	uint64_t tiebreaker;            /* 0: random */
	unsigned ta_ms;                 /* 0: ICE_TA_DEFAULT_MS */
	unsigned rto_ms;                /* 0: ICE_RTO_DEFAULT_MS */
	unsigned rc, rm;                /* 0: RFC 8489 defaults 7 and 16 */
	unsigned nominate_after_ms;     /* 0: ICE_NOMINATE_AFTER_MS */
	/* 0: the RFC 7675 values.  A configured interval is jittered by
	 * x[0.8, 1.2] like the default but has no 4 s floor (short tests). */
	unsigned consent_interval_ms;   /* 0: ICE_CONSENT_INTERVAL_MS */
	unsigned consent_timeout_ms;    /* 0: ICE_CONSENT_TIMEOUT_MS */
	unsigned quirks;                /* enum quirk bits (quirk.h) the core reproduces; 0: none */
	char ufrag[257], pwd[257];      /* empty: random */
};

/* A candidate pair as the agent reports it. */
struct ice_pair_info {
	int sock;                       /* the local base's socket id */
	union stun_addr local, remote;  /* local: the base, what `sock` is bound to */
	enum cand_type local_type, remote_type;
	uint64_t priority;
};

/* What happened on the wire, for the timeline. */
enum ice_note_kind {
	ICE_NOTE_REQUEST_ANSWERED,  /* we answered a check: code 0 (success) or error */
	ICE_NOTE_CHECK_SUCCEEDED,   /* our check got a symmetric success response */
	ICE_NOTE_CHECK_FAILED,      /* error response (code), timeout (code 0) or asymmetric */
	ICE_NOTE_ROLE_CHANGED,      /* 487 or a conflict in a request; text gives the new role */
	ICE_NOTE_PRFLX,             /* learned a peer-reflexive candidate (remote = it) */
	ICE_NOTE_NOMINATING,        /* controlling: sending USE-CANDIDATE on the pair */
};

struct ice_note {
	enum ice_note_kind kind;
	int code;                       /* STUN error code, 0 for none */
	int sock;
	union stun_addr local, remote;
	bool use_candidate;
	const char *text;               /* short reason; valid during the callback */
};

struct ice_callbacks {
	void *user;
	void (*send)(void *user, int sock, const union stun_addr *to,
		     const uint8_t *buf, size_t len);
	void (*state)(void *user, enum ice_state st);
	/* The selected pair changed (lite: a higher-priority nomination). */
	void (*selected)(void *user, const struct ice_pair_info *pair);
	void (*note)(void *user, const struct ice_note *note);   /* may be NULL */
};

struct ice_agent;

/* Allocate an agent; `cfg` and `cb` are copied.  Random credentials and
 * tiebreaker come from OpenSSL's RAND_bytes.  Free with ice_agent_free. */
struct ice_agent *ice_agent_new(const struct ice_config *cfg, const struct ice_callbacks *cb,
				struct icl_err *err);
void ice_agent_free(struct ice_agent *ag);

/* Add a host candidate whose base is the caller's socket `sock`, bound to
 * `addr` (the real port).  `local_pref` from cand_local_prefs. */
int ice_agent_add_host(struct ice_agent *ag, int sock, const union stun_addr *addr,
		       uint16_t local_pref, struct icl_err *err);

/* A server-reflexive candidate `addr` that the STUN server `server`
 * reported for the host base on `sock` (RFC 8445 5.1.1.2), of either
 * family (behind a NAT64 an IPv6 base maps to IPv4).  It is
 * signalled but not paired: its base pairs for it (6.1.2.4).  Returns 1
 * when added, 0 when redundant (5.1.3: same address and base as a
 * candidate already there, e.g. the host itself with no NAT on the way). */
int ice_agent_add_srflx(struct ice_agent *ag, int sock, const union stun_addr *addr,
			const union stun_addr *server, struct icl_err *err);
/* A relayed candidate `relayed` (its own base), reached through the
 * caller's socket id `sock`: a virtual one that the caller maps to its
 * TURN client, so that the agent stays unaware of TURN.  `mapped` (the
 * related address, may be NULL) is the server-reflexive address the TURN
 * server saw.  Paired at once with the remote candidates.  Returns 1. */
int ice_agent_add_relay(struct ice_agent *ag, int sock, const union stun_addr *relayed,
			const union stun_addr *mapped, const union stun_addr *server,
			uint16_t local_pref, struct icl_err *err);

/* The local candidates to signal (host, then srflx and relay in the order
 * added), valid until the next ice_agent_add_*. */
size_t ice_agent_local_cands(const struct ice_agent *ag, const struct cand **out);
const char *ice_agent_ufrag(const struct ice_agent *ag);
const char *ice_agent_pwd(const struct ice_agent *ag);
enum ice_role ice_agent_role(const struct ice_agent *ag);

/* The peer's credentials and whether it is lite (then a full agent is
 * controlling and nominates regularly, 6.1.1).  Checks start at the
 * first tick after credentials and at least one pairable candidate. */
int ice_agent_set_remote(struct ice_agent *ag, const char *ufrag, const char *pwd,
			 bool remote_lite, uint64_t now_ms, struct icl_err *err);
int ice_agent_add_remote(struct ice_agent *ag, const struct cand *c, uint64_t now_ms,
			 struct icl_err *err);
/* No more remote candidates: a check list with no pair left to try fails. */
void ice_agent_end_of_candidates(struct ice_agent *ag, uint64_t now_ms);

/* A datagram arrived on `sock` from `from`.  Returns true when it was a
 * STUN message for the agent (handled, answered or dropped as garbage),
 * false when it is not STUN and belongs to the caller (DTLS, RFC 7983). */
bool ice_agent_recv(struct ice_agent *ag, uint64_t now_ms, int sock,
		    const union stun_addr *from, const uint8_t *buf, size_t len);

void ice_agent_tick(struct ice_agent *ag, uint64_t now_ms);

/* The caller sent application data on the selected pair.  Only the quirk
 * no-consent-while-sending looks at it. */
void ice_agent_data_sent(struct ice_agent *ag, uint64_t now_ms);

/* A datagram that is not STUN (DTLS, media) arrived on `sock` from `from`.
 * RFC 8445 gives it no say in selection; only the quirk select-first-check
 * follows it to that tuple, if a check came over it (mediasoup's
 * ForceSelectedTuple). */
void ice_agent_data_received(struct ice_agent *ag, uint64_t now_ms, int sock,
			     const union stun_addr *from);

/* Whether `from` is a peer this agent knows: a remote candidate (signalled,
 * or peer-reflexive from an authenticated check) or the remote of its
 * selected pair (kept across a restart).  DTLS from anyone else is not
 * the peer's: an attacker who can reach our address must not get records
 * into the association (a plaintext fatal alert kills a handshake;
 * RFC 8445 11 sends data on valid pairs only, RFC 7675 6). */
bool ice_agent_knows_source(const struct ice_agent *ag, const union stun_addr *from);

/* ICE restart (RFC 8445 9): new local credentials (random unless given:
 * ufrag and pwd both, or both NULL), the check list, the valid and
 * nominated pairs (a lite agent's tuples) and the remote candidates
 * emptied, ready for ice_agent_set_remote with the peer's new
 * credentials; the state goes back to checking.  Until a new pair is
 * selected the previous one stays selected for data, unless its consent
 * was lost already, and consent keeps being checked on it with the
 * credentials it was selected with (lite: the peer's requests on it keep
 * it).  The old local credentials are accepted in requests until one
 * arrives with the new ones; a lite agent takes no nomination from them.
 * A restart is also the way out of consent lost (ICE_DISCONNECTED). */
int ice_agent_restart(struct ice_agent *ag, const char *ufrag, const char *pwd,
		      uint64_t now_ms, struct icl_err *err);
/* Whether the peer's credentials differ from the ones set: its restart. */
bool ice_agent_remote_changed(const struct ice_agent *ag, const char *ufrag, const char *pwd);
/* The next time ice_agent_tick has work, or UINT64_MAX. */
uint64_t ice_agent_deadline(const struct ice_agent *ag);

enum ice_state ice_agent_state(const struct ice_agent *ag);
/* Why the agent entered its current state, for ICE_DISCONNECTED ("consent
 * lost: ..."); NULL otherwise.  Valid until the next call into the agent. */
const char *ice_agent_state_reason(const struct ice_agent *ag);
/* NULL until a pair is selected, and while consent is lost (RFC 7675
 * 5.1: nothing but checks may be sent without it). */
const struct ice_pair_info *ice_agent_selected(const struct ice_agent *ag);

/* Regular nomination (8.1.1): the pair whose USE-CANDIDATE check is out,
 * until a pair is selected or that check fails; else NULL.  A full agent
 * may send data on it before selection (12.1.1): one round trip sooner. */
const struct ice_pair_info *ice_agent_nominating(const struct ice_agent *ag);

const char *ice_state_name(enum ice_state st);   /* "checking", ... */

/* ---- Diagnostics (tests, timelines) ----------------------------------- */

/* Candidate pair states, RFC 8445 6.1.2.6. */
enum ice_pair_state {
	ICE_PAIR_FROZEN,
	ICE_PAIR_WAITING,
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

struct ice_pair_view {
	struct ice_pair_info info;      /* info.local is the base's address */
	enum ice_pair_state state;
	bool in_check_list;             /* false: only a valid pair (7.2.5.3.2) */
	bool removed;                   /* dropped after a nomination (8.1.2) */
	bool valid, nominated;
};

/* The pairs, highest priority first: the check list and the valid pairs
 * built from it.  Writes at most `max` and returns how many exist. */
size_t ice_agent_pairs(const struct ice_agent *ag, struct ice_pair_view *out, size_t max);
const char *ice_pair_state_name(enum ice_pair_state st);   /* "frozen", ... */

#endif
