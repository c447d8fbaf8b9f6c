/* case.h - one runnable case: a scenario file expanded for one cell of its
 * matrix.  Plain data, filled by the scenario loader (scenario.h), read by
 * the runner, the verdict (verdict.h) and the wire checks (wire.h).
 *
 * Agents are referred to by their index in `agent[]`; an expectation about
 * "both" agents uses SCN_AGENT_BOTH, "any" SCN_AGENT_ANY.
 *
 * Ownership: everything is inline except `plan` (released by
 * topo_plan_free), `agent[i].configure` (a jansson reference), `expect`,
 * `actions` and `references` (heap arrays).  scn_case_free() releases all
 * of it.
 */
#ifndef SCN_CASE_H
#define SCN_CASE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../netns/plan.h"
#include "inject.h"

#define SCN_MAX_AGENTS 2
#define SCN_MAX_PARAMS 8
#define SCN_NAME_MAX 256       /* case names, NUL included */
#define SCN_AGENT_BOTH (-1)    /* every agent must satisfy it */
#define SCN_AGENT_ANY (-2)     /* at least one agent must */

struct scn_agent {
	char name[TOPO_NAME_MAX];  /* its key under agents:, e.g. "client" */
	char node[TOPO_NAME_MAX];  /* node of the topology it runs in */
	char impl[256];            /* registry name ("icelab-lite") or a path (has a '/') */
	bool impl_override;        /* impl came from `icelab run --agent`, not the file */
	char *args[8];             /* extra arguments (agents.X.args); heap, NULL-terminated */
	/* The configure command built from the file, without "cmd"; owned.
	 * Keys as in docs/agent-protocol.md (lite, role, nomination, dtls,
	 * families, ufrag, pwd, timers, stun_servers, turn_servers, quirks). */
	json_t *configure;
	struct topo_src src;
};

enum scn_exp_kind {
	/* Events (verdict.c). */
	SCN_EXP_ICE,               /* ice-state `state` reached (or never) */
	SCN_EXP_DTLS,              /* dtls-state `state` reached (or never); `role` */
	SCN_EXP_SELECTED,          /* last selected pair matches `pair` */
	SCN_EXP_SAME_TUPLE,        /* both agents report the same path */
	SCN_EXP_PAIR_CHANGES,      /* min <= number of selected-pair events <= max */
	SCN_EXP_DATA_ECHOED,       /* data-echoed emitted (never, if `never`) */
	SCN_EXP_NO_ERRORS,         /* no error event */
	SCN_EXP_ERROR,             /* an error event whose reason contains `text` */
	SCN_EXP_CHECK,             /* a check event of kind `check`, `code`, remote `addr` */
	SCN_EXP_ROLE_CONFLICT,     /* exactly one agent changed role; the roles now differ */
	/* The wire, from the captures (wire.c). */
	SCN_EXP_WIRE_NO_DTLS,      /* no DTLS record from `agent`'s node to `family` / `addr` */
	SCN_EXP_WIRE_NO_SUCCESS,   /* no Binding success response from there, likewise */
	SCN_EXP_WIRE_DTLS_AFTER_NOMINATION, /* no DTLS before the first USE-CANDIDATE */
	SCN_EXP_WIRE_SYMMETRIC,    /* each Binding response leaves from where the request arrived */
	SCN_EXP_WIRE_CONSENT,      /* `agent` sends a check on its pair at least every `max` ms */
	SCN_EXP_WIRE_ROLE_CONFLICT, /* the role attributes of the checks: one agent switches */
	SCN_EXP_WIRE_REJECTED,     /* `agent` answers the peer's checks with error `code` only */
	SCN_EXP_WIRE_DATA_GAP,     /* `agent`'s application data reaches its peer at least every `max` ms */
};

struct scn_pair_match {
	int family;                /* 0 any, AF_INET, AF_INET6 */
	char local_type[8];        /* "" any; host, srflx, prflx, relay */
	char remote_type[8];
	char local[64];            /* "" any; "ADDR" or "ADDR:PORT" ([v6]:port) */
	char remote[64];
};

struct scn_expect {
	enum scn_exp_kind kind;
	int agent;                 /* index, SCN_AGENT_BOTH or SCN_AGENT_ANY */
	bool never;                /* ice/dtls/data-echoed: must not happen */
	unsigned within_ms;        /* 0: any time before the end of the case */
	unsigned after_ms;         /* must not happen earlier (time-to-connected lower bound) */
	char state[16];            /* ice/dtls state name */
	char role[8];              /* dtls: "" any, "client", "server" */
	struct scn_pair_match pair; /* selected */
	unsigned min, max;         /* pair-changes; consent, data-gap: max = interval in ms */
	char text[128];            /* error, and ice/dtls `reason`: substring of the reason */
	int family;                /* wire no-dtls, no-binding-success: 0 any, AF_INET, AF_INET6 */
	char addr[64];             /* wire no-dtls, no-binding-success: "" any, or one destination address;
				    * check: "" any, or the remote (address pattern) */
	char check[24];            /* check: the event's `kind`, "" any */
	int code;                  /* check, wire checks-rejected: its `code`, -1 any */
	/* The assertion as a user reads it, e.g. "client ice-state connected
	 * within 3000 ms"; the loader writes it, verdicts quote it. */
	char what[160];
	struct topo_src src;       /* its item in expect: */
};

/* Something the harness does to a running case at a given time
 * (`actions:`, docs/scenario-format.md), run by the session. */
enum scn_act_kind {
	SCN_ACT_LINK,              /* cut (`up` false) or restore link `link` */
	SCN_ACT_RESTART,           /* send `restart` to agent `agent` */
	SCN_ACT_INJECT,            /* send the forged STUN request `inject` (inject.h) */
};

struct scn_action {
	enum scn_act_kind kind;
	unsigned at_ms;            /* from the start of the session */
	char link[TOPO_NAME_MAX];  /* link */
	bool up;                   /* link: its new state */
	int family;                /* link: AF_INET or AF_INET6; 0: both */
	unsigned ends;             /* link: where it drops, NETCUT_AT_A|_B (netcut.h); 0: both */
	int agent;                 /* restart: index */
	struct inject_spec inject; /* inject */
	struct topo_src src;       /* its item in actions: */
};

/* signalling.tamper (scn_tamper.c): the description agent `agent`
 * announces reaches its peer with these fields replaced ("" keeps the
 * agent's own), every time it is relayed (restarts included). */
struct scn_tamper {
	bool on;                   /* false: relayed as announced */
	int agent;                 /* index of the agent whose description is altered */
	char ufrag[257];
	char pwd[257];
	char fingerprint[200];     /* "sha-256 AB:CD:..." */
	struct topo_src src;       /* the tamper: mapping */
};

struct scn_param {
	char name[32];
	char value[64];
};

struct scn_case {
	char name[SCN_NAME_MAX];   /* "ipv6-oneway[dtls=active,nomination=regular]" */
	char file[4096];           /* the scenario file as given */
	char description[1024];
	/* references: (scn_refs.c), each a one-line URL or citation; heap
	 * array of heap strings, NULL and 0 when the file has none. */
	char **references;
	size_t n_references;
	struct scn_param param[SCN_MAX_PARAMS]; /* this cell, in matrix key order */
	size_t n_params;
	struct topo_plan plan;     /* validated */
	struct scn_agent agent[SCN_MAX_AGENTS];
	size_t n_agents;           /* 2 */
	bool trickle;
	unsigned signal_delay_ms;  /* each signalling message is relayed this late */
	struct scn_tamper tamper;  /* signalling.tamper */
	unsigned timeout_ms;       /* whole case; default 10000 */
	struct scn_expect *expect;
	size_t n_expect;
	struct scn_action *actions; /* heap, in time order (the file's, ties kept) */
	size_t n_actions;
	unsigned hold_ms;          /* the session lasts at least this long (0: until done) */
	bool xfail;                /* expected to fail */
	char xfail_reason[512];
	struct topo_src xfail_src;
};

/* Index of agent `name` in `c`, or -1. */
int scn_case_agent(const struct scn_case *c, const char *name);

void scn_case_free(struct scn_case *c);

#endif
