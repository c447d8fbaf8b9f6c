/* flood.h - hostile traffic from a third node (an `inject` action with
 * `flood:`, docs/scenario-format.md): many garbage datagrams aimed at every
 * address an agent announced, at a bounded rate, while its session runs.
 * A correct agent drops them all (or answers 400/401) and its session goes
 * on as if nothing happened.
 *
 * Two parts.  The generator (flood_gen_*) is pure: one datagram of a kind
 * from a seeded PRNG, so that a case's traffic is the same for the same
 * seed.  The running flood (flood_start) owns a UDP socket and a libuv
 * timer on the session's loop: each tick sends what is due at `rate`
 * (never more than FLOOD_TICK_MAX at once, so that a stalled loop does not
 * burst), non-blocking; answers from the target are counted and kept for
 * byte-exact replays.
 *
 * Threading: everything on the loop's thread.  Callbacks: `done` runs once,
 * from the loop, when `count` datagrams have been sent; it may call
 * flood_event() but not flood_close().
 */
#ifndef HARNESS_FLOOD_H
#define HARNESS_FLOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>
#include <uv.h>

#include "../common/err.h"

enum flood_kind {
	FLOOD_RANDOM,              /* random bytes, 1..600 */
	FLOOD_TRUNCATED_STUN,      /* a Binding request cut short */
	FLOOD_BAD_INTEGRITY,       /* well formed, USERNAME ours:peer's, wrong MESSAGE-INTEGRITY */
	FLOOD_REPLAYED,            /* the target's own answers re-sent, or forged success responses */
	FLOOD_OVERSIZED_ATTR,      /* attribute or message lengths beyond the datagram, huge USERNAME */
	FLOOD_DTLS_GARBAGE,        /* first byte 20..63; DTLS records with bad lengths and epochs */
	FLOOD_N_KINDS
};

/* The kinds' names as the scenario writes them, NULL-terminated. */
extern const char *const flood_kind_names[FLOOD_N_KINDS + 1];

#define FLOOD_COUNT_MAX 1000000u
#define FLOOD_RATE_MAX 100000u    /* datagrams per second */
#define FLOOD_TICK_MS 1
#define FLOOD_TICK_MAX 32         /* datagrams per tick at most */
#define FLOOD_DGRAM_MAX 1400      /* largest datagram generated */
#define FLOOD_REPLAY_MAX 8        /* answers kept for replays */
#define FLOOD_MAX_TARGETS 16

/* As the scenario gives it; count 0: not a flood. */
struct flood_spec {
	unsigned count;            /* datagrams in all */
	unsigned rate;             /* per second */
	unsigned kinds;            /* bit (1u << enum flood_kind) per kind sent */
};

/* ---- the generator ---------------------------------------------------- */

struct flood_gen {
	uint64_t rng;              /* splitmix64 state */
	char username[520];        /* bad-integrity's USERNAME "TARGETUFRAG:PEERUFRAG" */
	uint8_t replay[FLOOD_REPLAY_MAX][FLOOD_DGRAM_MAX];
	size_t replay_len[FLOOD_REPLAY_MAX];
	size_t n_replay, next_replay;
	unsigned n_replayed;       /* of the replayed kind, how many "the target's own answers" were */
	unsigned n_made;           /* datagrams of the replayed kind so far */
};

void flood_gen_init(struct flood_gen *g, uint64_t seed, const char *username);

/* One datagram of kind `k` into `buf` (at least FLOOD_DGRAM_MAX bytes);
 * returns its length (>= 1).  Replayed: every other one is a byte-exact
 * copy of an answer given to flood_gen_remember() (round robin), when
 * there is one; the rest are Binding success responses with a transaction
 * ID the target never used, MESSAGE-INTEGRITY with a guessed key and a
 * correct FINGERPRINT. */
size_t flood_gen_make(struct flood_gen *g, enum flood_kind k, uint8_t *buf);

/* Keep a STUN message the target sent (an answer to our requests) for
 * byte-exact replays; the first FLOOD_REPLAY_MAX are kept. */
void flood_gen_remember(struct flood_gen *g, const uint8_t *buf, size_t len);

/* ---- the running flood ---------------------------------------------- */

struct flood;

struct flood_opts {
	struct flood_spec spec;
	uint64_t seed;
	const char *username;      /* for bad-integrity; copied */
	/* Where to aim: the timeline (borrowed; it must outlive the flood)
	 * and the agent and family whose addresses are targets.  New
	 * selected-pair `local`s of that agent are added while it runs. */
	const json_t *timeline;
	const char *agent;         /* copied */
	int family;                /* AF_INET or AF_INET6 */
	void (*done)(void *user, struct flood *f);
	void *user;
};

/* Start flooding from `fd` (a bound, non-blocking UDP socket; owned by
 * the flood from now on, closed on failure too).  An agent that has
 * announced no address of the family yet is waited for: the flood (and
 * its clock) starts with the first one.  Whenever *out is
 * not NULL on return (also after a failure once its handles exist), the
 * caller closes it with flood_close(). */
int flood_start(uv_loop_t *loop, int fd, const struct flood_opts *o, struct flood **out,
		struct icl_err *err);

bool flood_done(const struct flood *f);

/* The timeline event for the flood so far: {"event": "flood", "node",
 * "from", "to": [...], "family", "count", "rate", "sent", "complete",
 * "kinds": {KIND: N, ...}, "send_errors", "answers", "replayed_answers",
 * "ms"}.  A new reference. */
json_t *flood_event(const struct flood *f, const char *node);

/* Stop and close; the memory goes in the close callbacks (run the loop). */
void flood_close(struct flood *f);

#endif
