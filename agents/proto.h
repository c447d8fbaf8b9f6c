/* proto.h - the agent protocol (docs/agent-protocol.md), agent side.
 *
 * Commands arrive as one JSON object per line and are decoded into plain
 * structs with every field checked: an unknown or mistyped field is an
 * error naming it.  Events are written one per line to a FILE the caller
 * owns, flushed at once.  jansson does the JSON.
 */
#ifndef AGENTS_PROTO_H
#define AGENTS_PROTO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../common/err.h"
#include "cand.h"
#include "dtls.h"
#include "ice.h"
#include "pref64.h"

#define PROTO_VERSION   1
#define PROTO_LINE_MAX  65536
#define PROTO_ID_MAX    64
#define PROTO_MAX_QUIRKS 8
#define PROTO_FP_MAX    (8 + DTLS_FP_STRLEN)   /* "sha-256 " + hex */

enum proto_cmd_kind {
	PROTO_CONFIGURE,
	PROTO_GATHER,
	PROTO_SET_REMOTE,
	PROTO_ADD_REMOTE_CANDIDATE,
	PROTO_END_OF_CANDIDATES,
	PROTO_RESTART,
	PROTO_CLOSE,
};

enum proto_setup { PROTO_SETUP_ACTPASS, PROTO_SETUP_ACTIVE, PROTO_SETUP_PASSIVE };

#define PROTO_MAX_SERVERS 4               /* stun_servers, turn_servers: each */

/* One of `turn_servers`: {"url":"IP:PORT","username":...,"password":...},
 * optionally "family": "ipv4"|"ipv6", the relay family to ask for
 * (REQUESTED-ADDRESS-FAMILY, RFC 8656 7.2) and no other. */
struct proto_turn_server {
	union stun_addr addr;
	char username[129], password[129];
	int family;                       /* AF_INET, AF_INET6; 0: not given */
};

/* `nat64`: how an IPv6-only agent learns its NAT64 prefix, exactly one
 * of a resolver for RFC 7050 discovery or the prefix itself. */
struct proto_nat64 {
	bool set;                         /* the field was given */
	bool has_resolver;                /* else `prefix` holds the prefix */
	union stun_addr resolver;         /* "[IPv6]:PORT" (or IPv4) */
	struct pref64 prefix;
};

/* `configure`.  The *_set flags say whether a field was given. */
struct proto_config {
	bool lite, lite_set;
	enum ice_role role;
	bool role_set;
	enum ice_nomination nomination;
	enum proto_setup setup;
	bool ipv4, ipv6;                  /* families to gather */
	char ufrag[257], pwd[257];
	unsigned ta_ms, rto_ms, nominate_after_ms;
	unsigned consent_interval_ms, consent_timeout_ms;
	unsigned data_interval_ms;        /* 0: one probe only; else a record this often */
	char quirks[PROTO_MAX_QUIRKS][32];
	size_t n_quirks;
	union stun_addr stun_servers[PROTO_MAX_SERVERS];
	size_t n_stun_servers;
	struct proto_turn_server turn_servers[PROTO_MAX_SERVERS];
	size_t n_turn_servers;
	struct proto_nat64 nat64;
};

/* `set-remote-description`. */
struct proto_remote {
	char ufrag[257], pwd[257];
	char fingerprint[DTLS_FP_STRLEN];  /* hex part only */
	enum proto_setup setup;
	bool lite;
	struct cand cands[ICE_MAX_CANDS];
	size_t n_cands;
	bool end_of_candidates;
};

struct proto_cmd {
	enum proto_cmd_kind kind;
	char id[PROTO_ID_MAX];             /* "" when the command had none */
	union {
		struct proto_config config;
		struct proto_remote remote;
		struct cand cand;             /* add-remote-candidate */
	} u;
};

/* "192.0.2.1:3478" or "[2001:db8::1]:3478" into `a`: 0, or ICL_EINPUT
 * saying what is wrong (without a field name: the caller adds it). */
int proto_parse_endpoint(const char *s, union stun_addr *a, struct icl_err *err);

/* Decode one line.  Returns 0, or ICL_EINPUT with "FIELD: reason" in
 * `err` (and cmd->id filled if the line had one, for the error event). */
int proto_parse_cmd(const char *line, struct proto_cmd *cmd, struct icl_err *err);

/* The event writer.  `out` is owned by the caller; `t0_ns` is the
 * monotonic time `ts` counts from. */
struct proto_out {
	FILE *out;
	uint64_t t0_ns;
};

/* Write {"event":NAME,"ts":...,<fields>}.  Takes ownership of `fields`
 * (a JSON object or NULL). */
void proto_emit(struct proto_out *po, const char *name, json_t *fields);
/* `error` event. */
void proto_emit_error(struct proto_out *po, const char *id, bool fatal, const char *reason);

const char *proto_setup_name(enum proto_setup s);

/* The DTLS role (RFC 8842 5, RFC 4145): the peer's setup decides ours
 * unless it is actpass, then `mine` does.  *active: this side is the
 * DTLS client.  Both actpass, or both the same, is ICL_EINPUT. */
int proto_dtls_active(enum proto_setup mine, enum proto_setup remote, bool *active,
		      struct icl_err *err);

/* The command stream split into lines.  A line longer than
 * PROTO_LINE_MAX - 1 bytes is refused whole (an `error` event) rather
 * than cut into pieces that might parse.  Owned by the agent. */
struct proto_lines {
	char line[PROTO_LINE_MAX];
	size_t len;
	bool overflow;
};

/* Feed `n` bytes of stdin: on_line(user, line) for each complete
 * non-empty line (NUL-terminated, no '\n', valid during the call).
 * Stops before the next byte once `*stop` is true (the agent closes). */
void proto_lines_feed(struct proto_lines *lb, const char *p, size_t n, struct proto_out *po,
		      void (*on_line)(void *user, char *line), void *user, const bool *stop);

#endif
