/* agent.h - a reference agent process: the agent protocol on stdin/stdout,
 * one ICE agent, one DTLS association, the sockets of its host candidates,
 * all on one libuv loop.
 *
 * agent_main is the whole program; icelab-lite and icelab-full differ only
 * in the kind they pass.  The rest of this header is shared between
 * agent.c (commands, lifecycle) and agent_net.c (sockets, timers, the
 * ICE/DTLS glue), not a public API.
 */
#ifndef AGENTS_AGENT_H
#define AGENTS_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "dtls.h"
#include "ice.h"
#include "probe.h"
#include "proto.h"
#include "stunc.h"
#include "turnc.h"

enum agent_kind { AGENT_LITE, AGENT_FULL };

int agent_main(int argc, char **argv, enum agent_kind kind);

#define AGENT_MAX_PENDING 16
#define AGENT_MAX_STUNC    ICE_MAX_CANDS   /* srflx transactions (host x STUN server) */
#define AGENT_RELAY_SOCK   1000            /* socket ids from here on are relays: */
                                            /* AGENT_RELAY_SOCK + index into turncs[] */
#define AGENT_GATHER_MAX_MS 6000           /* gathering-done at the latest after this */

struct agent;
struct agent_nat64;

struct agent_sock {
	uv_udp_t h;
	struct agent *ag;
	int idx;
	union stun_addr addr;
};

struct agent_datagram {
	uint8_t buf[DTLS_MTU + 256];
	size_t len;
};

struct agent {
	enum agent_kind kind;
	const char *name;
	uv_loop_t loop;
	uv_pipe_t in;
	uv_timer_t timer;
	uv_signal_t sigterm;
	struct proto_out po;
	uint64_t t0_ns;

	struct proto_lines lines;  /* stdin, split */
	char rxbuf[65536];

	bool configured, gathered, have_remote, closing;
	struct proto_config cfg;
	unsigned quirks;           /* enum quirk bits, from cfg.quirks (quirk.h) */
	struct ice_agent *ice;
	struct dtls_cert *cert;
	struct dtls_conn *dtls;
	bool dtls_active, dtls_started;

	struct agent_sock socks[ICE_MAX_CANDS];
	size_t n_socks;

	/* Server-reflexive and relayed candidates (agent_gather.c). */
	struct stunc stuncs[AGENT_MAX_STUNC];
	size_t n_stuncs;
	struct turnc *turncs[PROTO_MAX_SERVERS];
	size_t n_turncs;
	size_t gather_pending;     /* transactions still out */
	uint64_t gather_until_ms;  /* gathering-done by then at the latest */
	bool gathering_done;
	size_t n_emitted;          /* local candidates emitted so far */

	/* DTLS records written before a pair is selected: a lite agent must
	 * not send any (RFC 8445 12.1.1), so they wait here. */
	struct agent_datagram pending[AGENT_MAX_PENDING];
	size_t n_pending;

	struct probe probe;        /* the data probe (probe.h) */

	/* NAT64 (agent_nat64.c): the prefix and its discovery; NULL
	 * without configure's nat64. */
	struct agent_nat64 *nat64;

	/* The data stream (agent_data.c): cfg.data_interval_ms apart. */
	uint64_t data_next_ms;     /* UINT64_MAX: not running */
	unsigned data_sent;
};

/* agent_net.c */
uint64_t agent__now_ms(const struct agent *ag);
void agent__probe_tick(struct agent *ag);
uint64_t agent__probe_deadline(const struct agent *ag);
int agent__open_sockets(struct agent *ag, struct icl_err *err);
void agent__close_sockets(struct agent *ag);
void agent__ice_callbacks(struct agent *ag, struct ice_callbacks *cb);
void agent__dtls_callbacks(struct agent *ag, struct dtls_callbacks *cb);
void agent__rearm(struct agent *ag);
void agent__log(struct agent *ag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* agent_data.c: with timers.data_interval_ms, application data keeps
 * flowing on the selected pair once DTLS is up (so that consent is tested
 * "even while media flows", RFC 7675 5.1).  The peer drops the records. */
void agent__data_start(struct agent *ag);
void agent__data_tick(struct agent *ag);
uint64_t agent__data_deadline(const struct agent *ag);
bool agent__data_is_stream(const uint8_t *buf, size_t len);
/* A datagram for ICE or DTLS on socket id `sock` (a relay's too). */
void agent__deliver(struct agent *ag, int sock, const union stun_addr *from,
		    const uint8_t *buf, size_t len);

/* agent_gather.c: srflx (STUN) and relay (TURN) candidates, and the
 * local-candidate / gathering-done events for every candidate. */
void agent__gather_start(struct agent *ag);   /* after the host sockets are open */
/* A datagram on host socket `sock`: true when a STUN/TURN client took it. */
bool agent__gather_recv(struct agent *ag, int sock, const union stun_addr *from,
			const uint8_t *buf, size_t len);
void agent__gather_tick(struct agent *ag, uint64_t now_ms);
uint64_t agent__gather_deadline(const struct agent *ag);
/* Send from a relay's socket id (>= AGENT_RELAY_SOCK) through its TURN client. */
void agent__relay_send(struct agent *ag, int sock, const union stun_addr *to,
		       const uint8_t *buf, size_t len);
void agent__gather_close(struct agent *ag);   /* deallocate, free */
/* Prefix discovery ended (with or without a prefix): start the STUN
 * servers that wait for it, and count it done. */
void agent__gather_nat64_ready(struct agent *ag);

/* agent_nat64.c: NAT64 on an IPv6-only host (configure's nat64).  At
 * gather: the configured prefix, or RFC 7050 discovery; true when
 * discovery runs, and agent__gather_nat64_ready() follows once, later. */
bool agent__nat64_start(struct agent *ag);
bool agent__nat64_pending(const struct agent *ag);
/* The RFC 6052 address of IPv4 `v4` (port kept) when the agent has a
 * prefix and no IPv4 host candidate; false otherwise. */
bool agent__nat64_route(const struct agent *ag, const union stun_addr *v4, union stun_addr *out);
/* Remote candidate `c` was given to ICE: its IPv6 twin too, now or once
 * the prefix is known. */
int agent__nat64_remote(struct agent *ag, const struct cand *c, uint64_t now,
			struct icl_err *err);
/* end-of-candidates for ICE, held back while discovery runs. */
void agent__nat64_end_of_candidates(struct agent *ag, uint64_t now);
void agent__nat64_tick(struct agent *ag, uint64_t now);
uint64_t agent__nat64_deadline(const struct agent *ag);
void agent__nat64_close(struct agent *ag);

#endif
