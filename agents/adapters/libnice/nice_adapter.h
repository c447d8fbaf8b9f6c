/* nice_adapter.h - icelab-libnice: libnice (GLib ICE) as an icelab agent.
 *
 * One process, one NiceAgent with one stream of one component, one DTLS
 * association (agents/dtls.c) over it, the agent protocol
 * (docs/agent-protocol.md, agents/proto.c) on stdin/stdout.  Everything
 * runs on GLib's default main context in the main thread: libnice's
 * signals, its receive callback, stdin, SIGTERM and the adapter's timer.
 *
 * Files, one concern each, sharing this struct (not a public API):
 *   nice_main.c   main loop, stdin lines, commands, hello, close
 *   nice_ice.c    the NiceAgent: settings, gathering, remote candidates,
 *                 its signals -> events
 *   nice_dtls.c   DTLS over nice_agent_send and the receive callback,
 *                 the timer
 *   nice_probe.c  the data probe and the data stream over DTLS
 *   nice_cfg.c    configure -> settings, what libnice cannot do (pure)
 *
 * Callbacks may touch the struct and emit events; none frees it (main()
 * owns it and frees it after the loop ends).  After `closing` no event but
 * `closed` (emitted once) goes out.
 */
#ifndef ADAPTERS_NICE_ADAPTER_H
#define ADAPTERS_NICE_ADAPTER_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <nice/agent.h>

#include "../../dtls.h"
#include "../../probe.h"
#include "../../proto.h"
#include "nice_cfg.h"

#define NADP_NAME "libnice"
#define NADP_MAX_PENDING 16

struct nadp_datagram {
	uint8_t buf[DTLS_MTU + 256];
	size_t len;
};

struct nadp {
	GMainLoop *loop;
	struct proto_out po;
	uint64_t t0_ns;
	guint stdin_src, sigterm_src, timer_src;

	struct proto_lines lines;  /* stdin, split */

	/* Lifecycle. */
	bool configured, gathered, have_remote, closing;
	bool inert;                /* not-applicable was sent: commands are ignored */
	struct proto_config cfg;
	struct nice_cfg ncfg;

	/* libnice (nice_ice.c). */
	NiceAgent *agent;
	guint stream;
	char ice_state[16];        /* the last ice-state emitted */
	bool was_connected;
	bool gathering_done;

	/* DTLS (nice_dtls.c). */
	struct dtls_cert *cert;
	struct dtls_conn *dtls;
	bool dtls_active, dtls_started, have_pair;
	struct nadp_datagram pending[NADP_MAX_PENDING];   /* before a pair is selected */
	size_t n_pending;

	/* The data probe and stream (nice_probe.c). */
	struct probe probe;        /* agents/probe.h */
	uint64_t data_next_ms;     /* UINT64_MAX: not running */
	unsigned data_sent;
};

/* nice_main.c */
uint64_t nadp_now_ns(void);
uint64_t nadp_now_ms(const struct nadp *a);
void nadp_log(const struct nadp *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nadp_emit(struct nadp *a, const char *name, json_t *fields);  /* nothing once closing */
void nadp_shutdown(struct nadp *a);   /* close_notify, `closed`, quit the loop */

/* nice_ice.c.  Each returns 0 or fills `err` (the caller emits it). */
int nadp_ice_configure(struct nadp *a, struct icl_err *err);
int nadp_ice_gather(struct nadp *a, struct icl_err *err);
int nadp_ice_set_remote(struct nadp *a, const struct proto_remote *r, struct icl_err *err);
int nadp_ice_add_remote(struct nadp *a, const struct cand *c, struct icl_err *err);
void nadp_ice_end_of_candidates(struct nadp *a);
void nadp_ice_close(struct nadp *a);  /* after the loop: TURN deallocation, unref */
/* The local ufrag (for the probe), "" before configure. */
void nadp_ice_ufrag(struct nadp *a, char *out, size_t size);

/* nice_dtls.c */
int nadp_dtls_start(struct nadp *a, const struct proto_remote *r, struct icl_err *err);
void nadp_dtls_pair_selected(struct nadp *a);        /* start (active), flush */
void nadp_dtls_recv(struct nadp *a, const uint8_t *buf, size_t len);
void nadp_dtls_send(struct nadp *a, const uint8_t *buf, size_t len);   /* app data */
void nadp_rearm(struct nadp *a);                      /* after anything that may move a deadline */

/* nice_probe.c */
void nadp_probe_connected(struct nadp *a);            /* DTLS is up: first attempt, stream */
void nadp_probe_tick(struct nadp *a);                 /* due attempts and stream records */
uint64_t nadp_probe_deadline(const struct nadp *a);   /* ms, UINT64_MAX for none */
void nadp_probe_data(struct nadp *a, const uint8_t *buf, size_t len);   /* received app data */

#endif
