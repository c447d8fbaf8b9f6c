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
#include "proto.h"

enum agent_kind { AGENT_LITE, AGENT_FULL };

int agent_main(int argc, char **argv, enum agent_kind kind);

#define AGENT_MAX_PENDING 16

struct agent;

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

	char line[PROTO_LINE_MAX];
	char rxbuf[65536];
	size_t line_len;
	bool line_overflow;

	bool configured, gathered, have_remote, closing;
	struct proto_config cfg;
	struct ice_agent *ice;
	struct dtls_cert *cert;
	struct dtls_conn *dtls;
	bool dtls_active, dtls_started;

	struct agent_sock socks[ICE_MAX_CANDS];
	size_t n_socks;

	/* DTLS records written before a pair is selected: a lite agent must
	 * not send any (RFC 8445 12.1.1), so they wait here. */
	struct agent_datagram pending[AGENT_MAX_PENDING];
	size_t n_pending;

	char probe[96];
	uint64_t probe_sent_ns;
	bool probe_echoed;
};

/* agent_net.c */
uint64_t agent__now_ms(const struct agent *ag);
int agent__open_sockets(struct agent *ag, struct icl_err *err);
void agent__close_sockets(struct agent *ag);
void agent__ice_callbacks(struct agent *ag, struct ice_callbacks *cb);
void agent__dtls_callbacks(struct agent *ag, struct dtls_callbacks *cb);
void agent__rearm(struct agent *ag);
void agent__log(struct agent *ag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
