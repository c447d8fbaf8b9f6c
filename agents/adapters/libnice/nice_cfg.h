/* nice_cfg.h - configure (agent protocol) -> libnice settings, and what
 * libnice cannot do.
 *
 * Pure functions over plain structs: no GLib, no libnice, nothing
 * allocates, so the unit tests (tests/unit/test_nice_cfg.c) link this file
 * alone.  nice_ice.c applies the result to a NiceAgent.
 *
 * The mapping (docs/agent-protocol.md `configure` -> libnice 0.1.21):
 * - nomination: absent or "regular" -> NICE_AGENT_OPTION_REGULAR_NOMINATION
 *   (the protocol's default is regular); "aggressive" -> no such option,
 *   which is libnice's own default (nice_agent_new(), and nice_agent_new_full()
 *   without the option, nominate aggressively, USE-CANDIDATE on every check).
 *   libnice cannot be told that its peer is ICE-Lite, so "aggressive"
 *   against a lite peer is libnice's real behaviour (issue 8).
 * - role -> "controlling-mode" (default controlling); a lite peer makes it
 *   controlling at set-remote-description (nice_cfg_controlling()).
 * - consent freshness (RFC 7675) always on: NICE_AGENT_OPTION_CONSENT_FRESHNESS.
 * - timers.ta_ms -> "stun-pacing-timer", timers.rto_ms ->
 *   "stun-initial-timeout" (both milliseconds); nominate_after_ms is
 *   ignored (libnice nominates when its own check list says so);
 *   data_interval_ms is the adapter's.
 * - stun_servers: one ("stun-server", "stun-server-port"); more is an error.
 * - turn_servers: nice_agent_set_relay_info, UDP, one per server.
 * - families -> the addresses given to nice_agent_add_local_address.
 *
 * Not applicable (the adapter reports `not-applicable` and runs on inert):
 * lite, quirks, nat64, turn_servers[i].family, consent timers (fixed in
 * libnice 0.1.21: no property sets them).
 */
#ifndef ADAPTERS_NICE_CFG_H
#define ADAPTERS_NICE_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "../../proto.h"

#define NICE_CFG_NA 1              /* nice_cfg_map: not applicable */
#define NICE_CFG_IP_MAX 64

struct nice_cfg_relay {
	char ip[NICE_CFG_IP_MAX];
	unsigned port;
	const char *username, *password;   /* point into the proto_config */
};

struct nice_cfg {
	bool controlling;
	bool regular_nomination;
	bool consent;                      /* NICE_AGENT_OPTION_CONSENT_FRESHNESS */
	bool ipv4, ipv6;                   /* families to gather */
	unsigned ta_ms, rto_ms;            /* 0: libnice's default */
	char stun_ip[NICE_CFG_IP_MAX];     /* "" for none */
	unsigned stun_port;
	struct nice_cfg_relay relays[PROTO_MAX_SERVERS];
	size_t n_relays;
	const char *ufrag, *pwd;           /* NULL: libnice's random ones */
};

/* Map `c` into `out` (which keeps pointers into `c`: `c` must outlive it).
 * Returns 0; NICE_CFG_NA with "FIELD: why" in `na` (size `na_size`) when
 * libnice cannot do what `c` asks; or ICL_EINPUT naming the field. */
int nice_cfg_map(const struct proto_config *c, struct nice_cfg *out, char *na,
		 size_t na_size, struct icl_err *err);

/* The controlling-mode to use once the peer's description is known: a
 * full agent facing a lite peer must be controlling (RFC 8445 6.1.1). */
bool nice_cfg_controlling(const struct nice_cfg *n, bool peer_lite);

#endif
