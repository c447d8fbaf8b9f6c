/* probe.h - the data probe of docs/agent-protocol.md ("The data probe"),
 * sans I/O, so that the reference agents and every adapter keep one
 * contract: once DTLS connects, "icelab-probe <n> <ufrag>" goes out,
 * again after 250 ms, 500 ms, ... (PROBE_TRIES attempts at most) until
 * "echo icelab-probe <n> <ufrag>" comes back for one of ours; the peer's
 * probes go back prefixed by "echo ".
 *
 * The owner sends and receives the DTLS records and emits `data-echoed`;
 * this module decides what to send when and what a record means.  Times
 * are nanoseconds on the owner's monotonic clock, counted from any origin
 * it likes (the agent's start).  The struct belongs to its owner; one
 * thread.
 */
#ifndef AGENTS_PROBE_H
#define AGENTS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_TRIES    7      /* 250 ms doubling: the last at 15.75 s */
#define PROBE_TEXT_MAX 128    /* an attempt's text, NUL included */

struct probe {
	char ufrag[64];                   /* ours, when the probe started */
	uint64_t sent_ns[PROBE_TRIES];    /* attempt k was sent at sent_ns[k-1] */
	unsigned n;                       /* attempts sent */
	uint64_t next_ns;                 /* UINT64_MAX: nothing due */
	bool echoed;
};

/* Not running: nothing is due until probe_start. */
void probe_init(struct probe *p);
/* DTLS is up: the first attempt is due at `now_ns`.  Only the first
 * call counts (a DTLS association connects once). */
void probe_start(struct probe *p, const char *ufrag, uint64_t now_ns);
bool probe_started(const struct probe *p);

/* The attempt due at `now_ns`, if any: its text in `buf` (NUL-terminated)
 * and its length; 0 when none is due. */
size_t probe_next(struct probe *p, uint64_t now_ns, char *buf, size_t cap);
/* When probe_next has work: ns, UINT64_MAX for never. */
uint64_t probe_deadline(const struct probe *p);

enum probe_rx {
	PROBE_RX_OTHER,      /* not probe traffic: the owner's business */
	PROBE_RX_REQUEST,    /* the peer's probe: send probe_echo() of it back */
	PROBE_RX_ECHOED,     /* the first echo of one of ours: emit data-echoed */
	PROBE_RX_IGNORED,    /* an echo, but of nothing of ours, or again */
};

/* What received application data `buf` is.  For PROBE_RX_ECHOED,
 * `*attempt` (1-based) and `*rtt_ms` (from that attempt) are set. */
enum probe_rx probe_recv(struct probe *p, const uint8_t *buf, size_t len, uint64_t now_ns,
			 unsigned *attempt, double *rtt_ms);
/* The answer to the peer's probe `buf`: "echo " + buf in `out`; its
 * length, or 0 if it does not fit in `cap`. */
size_t probe_echo(const uint8_t *buf, size_t len, uint8_t *out, size_t cap);

#endif
