/* session.h - two agents against each other in a built topology, with the
 * harness as their signalling server.
 *
 * sess_run starts both agents in their nodes, configures them, relays
 * descriptions and candidates (all at once, or trickled), and records
 * every event they emit on one timeline stamped with the harness's clock.
 * It returns when both agents have reached an end (data echoed, DTLS or
 * ICE failed), when one breaks the protocol, floods it or dies, when a
 * service of the topology dies (topo_service_ended(), polled every
 * 100 ms), or at the timeout; then it closes both and makes sure they are
 * gone (close, SESS_CLOSE_GRACE_MS, SIGTERM, SESS_TERM_GRACE_MS, SIGKILL).
 *
 * Threading: runs its own libuv loop in the calling thread; the calling
 * thread must be in the harness's home namespace.
 */
#ifndef HARNESS_SESSION_H
#define HARNESS_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../common/err.h"
#include "../netns/topo.h"
#include "inject.h"
#include "netcut.h"

struct sess_agent {
	const char *name;          /* "client", "server" */
	const char *node;          /* node of the topology it runs in */
	char *const *argv;         /* program and arguments */
	json_t *configure;         /* the configure command; borrowed */
	FILE *log;                 /* this agent's stderr; NULL: sess_options.log */
	/* Capabilities its hello must announce (docs/agent-protocol.md), NULL-
	 * terminated; NULL: none.  One missing ends the session before
	 * configure is sent (sess_result.na_capability). */
	const char *const *needs;
};

/* Something the harness does at a time of the session (a scenario's
 * `actions:`): cut or restore a link (harness/netcut.h), or restart an
 * agent (the `restart` command; its new description is relayed to the
 * peer as any description is, and the peer's answer back). */
struct sess_action {
	unsigned at_ms;            /* from the session's start */
	const char *link;          /* non-NULL: cut (`up` false) or restore this link */
	bool up;
	struct netcut_part part;   /* link: which families and directions; zero: all */
	/* Non-NULL: send this forged STUN request from a third node (its
	 * answers go to the timeline as agent "harness"); borrowed. */
	const struct inject_spec *inject;
	int restart;               /* link NULL: the agent (0 or 1) to restart */
};

/* Fields replaced in the descriptions agent `from` announces, on their
 * way to the peer (set-remote-description; restarts too).  NULL or ""
 * keeps the agent's own value. */
struct sess_tamper {
	int from;                  /* 0 or 1 */
	const char *ufrag, *pwd, *fingerprint;
};

struct sess_options {
	struct sess_agent agent[2];
	bool trickle;
	unsigned signal_delay_ms;  /* relay each signalling message this late */
	const struct sess_tamper *tamper; /* NULL: relay descriptions as announced */
	unsigned timeout_ms;       /* whole session */
	unsigned settle_ms;        /* keep recording this long after both ended */
	/* In time order; borrowed.  The session does not end before the last
	 * has run, nor before hold_ms, even when both agents are done. */
	const struct sess_action *actions;
	size_t n_actions;
	unsigned hold_ms;
	uint64_t seed;             /* the case's: inject floods are generated from it */
	FILE *log;                 /* agents' stderr; NULL to drop it */
	/* When set, every link end is captured to DIR/<link>-<node>.pcap for
	 * the whole session (harness/capture.h); the directory must exist. */
	const char *capture_dir;
	/* Called with every command before it goes to agent `to` (0 or 1);
	 * may change it in place.  For tests of agents that are lied to. */
	void (*rewrite)(void *user, int to, json_t *cmd);
	void *rewrite_user;
};

struct sess_result {
	/* [{"t": ms, "agent": "client", "event": {...}}, ...] in the order
	 * the harness read them.  Owned; sess_result_free releases it. */
	json_t *timeline;
	/* The case's origin (t = 0: captures up, agents not yet started),
	 * from which the timeline, actions, hold and timeout count; on
	 * CLOCK_REALTIME, in seconds, to line it up with capture timestamps. */
	double t0_realtime;
	bool timed_out;
	/* Empty, or why the session broke: a crash, a protocol violation,
	 * a fatal error event; names the agent. */
	char broken[1280];
	/* How each agent ended: its exit status, or the signal that killed it
	 * (the harness kills an agent that ignores `close`, see `lingered`). */
	int exit_status[2];
	int term_signal[2];
	/* Non-empty when agent i was still running SESS_CLOSE_GRACE_MS after
	 * the `close` that ends every session: it got SIGTERM, and SIGKILL
	 * SESS_TERM_GRACE_MS later; says which of the two ended it.
	 * A breach of the protocol, apart from `broken`, which keeps the
	 * session's own first cause. */
	char lingered[2][256];
	/* Whether agent i still ran when the harness sent it the `close` that
	 * ends every session (its exit status is then its answer to it), and
	 * whether it exited while the session ran instead (that is `broken`'s
	 * cause, "exited before the session ended"). */
	bool closed[2];
	bool died_early[2];
	/* Whether the capture lost packets or failed (then `broken` says so
	 * only if nothing else broke first). */
	bool capture_incomplete;
	/* Non-empty when agent `na_agent` cannot play its part, which ended
	 * the session at once (then closed normally): its `not-applicable`
	 * event's reason, or (na_capability) the capabilities of
	 * sess_agent.needs its hello lacked.  Set only while nothing else
	 * had ended the session. */
	char not_applicable[512];
	int na_agent;
	bool na_capability;
};

#define SESS_CLOSE_GRACE_MS 2000u
#define SESS_TERM_GRACE_MS 1000u

int sess_run(const struct topo *t, const struct sess_options *o, struct sess_result *r,
	     struct icl_err *err);
void sess_result_free(struct sess_result *r);

/* Timeline queries, for verdicts and tests.  `agent` NULL matches both.
 * sess_find returns the first event (borrowed) named `event` whose string
 * field `key` equals `value` (key NULL: any), or NULL. */
json_t *sess_find(const struct sess_result *r, const char *agent, const char *event,
		  const char *key, const char *value);
/* How many events match, same rules. */
size_t sess_count(const struct sess_result *r, const char *agent, const char *event,
		  const char *key, const char *value);
/* The last event named `event` of `agent`, or NULL. */
json_t *sess_last(const struct sess_result *r, const char *agent, const char *event);

#endif
