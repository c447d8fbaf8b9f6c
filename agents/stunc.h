/* stunc.h - a STUN Binding client (RFC 8489) that learns one
 * server-reflexive address (RFC 8445 5.1.1.2), sans I/O.
 *
 * One transaction from one of the caller's sockets to one server.  Like
 * the ICE agent it owns no socket and reads no clock: it sends through a
 * callback and the caller feeds it datagrams and the time, calls
 * stunc_tick() at stunc_deadline() and reads the outcome with
 * stunc_state().  The schedule is bounded (STUNC_GIVE_UP_MS) so that a
 * dead server cannot hold gathering up.
 *
 * Ownership: the caller owns the struct (embed it anywhere); nothing is
 * allocated.  Callbacks run inside the stunc_* call that caused them and
 * must not call back into the same stunc.
 */
#ifndef AGENTS_STUNC_H
#define AGENTS_STUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "stun.h"
#include "stun_tx.h"

/* Sends at 0, 250, 750, 1750 and 3750 ms, gives up at 4750 ms. */
#define STUNC_RTO_MS     250
#define STUNC_RC         5
#define STUNC_RM         4
#define STUNC_GIVE_UP_MS 4750

enum stunc_state {
	STUNC_IDLE,
	STUNC_RUNNING,
	STUNC_DONE,      /* `mapped` holds the server-reflexive address */
	STUNC_FAILED,    /* `why` says why (timeout, error code) */
};

struct stunc;

struct stunc_callbacks {
	void *user;
	void (*send)(void *user, int sock, const union stun_addr *to,
		     const uint8_t *buf, size_t len);
	/* The transaction ended (DONE or FAILED); may be NULL. */
	void (*done)(void *user, struct stunc *c);
};

struct stunc {
	int sock;                       /* the caller's socket id, opaque here */
	union stun_addr server;
	struct stunc_callbacks cb;
	struct stun_tx tx;
	enum stunc_state state;
	union stun_addr mapped;
	char why[160];
	uint8_t req[STUN_HEADER_SIZE + 8];   /* header and FINGERPRINT */
	size_t req_len;
};

void stunc_init(struct stunc *c, int sock, const union stun_addr *server,
		const struct stunc_callbacks *cb);
/* Send the first request now.  Fails only when no transaction ID can be
 * drawn or the message cannot be built (then the state is FAILED). */
int stunc_start(struct stunc *c, uint64_t now_ms, struct icl_err *err);
/* A datagram from `from`: true when it answered this transaction (then
 * it is consumed and the state is DONE or FAILED), false otherwise. */
bool stunc_recv(struct stunc *c, const union stun_addr *from, const uint8_t *buf, size_t len);
void stunc_tick(struct stunc *c, uint64_t now_ms);
/* UINT64_MAX unless RUNNING. */
uint64_t stunc_deadline(const struct stunc *c);

#endif
