/* turnc.h - a TURN client (RFC 8656) for one UDP allocation, sans I/O.
 *
 * Allocate with long-term credentials (RFC 8489 9.2: the first request
 * goes without, the 401 brings REALM and NONCE, a 438 brings a fresh
 * NONCE), REQUESTED-ADDRESS-FAMILY, then keep the allocation alive:
 * Refresh before the lifetime runs out (default 600 s), a permission per
 * peer IP (CreatePermission, 300 s) created before anything is sent to the
 * peer, and a channel per peer (ChannelBind, 0x4000-0x4FFF, 600 s).  Data
 * to a peer leaves as a Send indication until its channel is bound, then
 * as ChannelData; data from peers (Data indications, ChannelData) comes
 * out of the data callback with the peer's address.  turnc_close()
 * deallocates (Refresh with LIFETIME 0).
 *
 * Like the ICE agent it owns no socket and reads no clock: it sends
 * through a callback from the caller's socket `sock`; the caller feeds it
 * every datagram from the server and the time, calls turnc_tick() at
 * turnc_deadline().
 *
 * Ownership: turnc_new copies the configuration and callbacks; free with
 * turnc_free.  Callbacks run inside the turnc_* call that caused them; they
 * may call turnc_send and the read-only accessors, nothing else.
 */
#ifndef AGENTS_TURNC_H
#define AGENTS_TURNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "stun.h"

#define TURNC_LIFETIME_S       600     /* RFC 8656 7.2: default allocation lifetime */
#define TURNC_PERM_LIFETIME_S  300     /* 9: permission lifetime (fixed by the server) */
#define TURNC_CHAN_LIFETIME_S  600     /* 12: channel binding lifetime */
#define TURNC_REFRESH_EARLY_S  60      /* refresh this long before expiry */
#define TURNC_CHAN_FIRST       0x4000  /* 12: channel numbers 0x4000-0x4FFF */
#define TURNC_CHAN_LAST        0x4FFF
/* Each request: sends at 0, 250, 750, 1750, 3750 ms, gives up at 4750 ms,
 * so a dead server cannot hold gathering up. */
#define TURNC_RTO_MS           250
#define TURNC_RC               5
#define TURNC_RM               4
#define TURNC_MAX_PEERS        16      /* permissions, and channels */
#define TURNC_MAX_QUEUED       8       /* datagrams waiting for a permission */
#define TURNC_DATA_MAX         1500

enum turnc_state {
	TURNC_IDLE,
	TURNC_ALLOCATING,
	TURNC_READY,       /* relayed and mapped addresses known */
	TURNC_FAILED,      /* turnc_why() says why */
	TURNC_CLOSED,
};

struct turnc_config {
	int sock;                      /* the caller's socket id, opaque here */
	union stun_addr server;
	char username[129], password[129];
	int family;                    /* relay family, AF_INET/AF_INET6; 0: the server's */
	/* Asked for next when the server answers 440 Address Family not
	 * Supported (one allocation per 5-tuple: never both at once); 0: none. */
	int fallback_family;
	uint32_t lifetime_s;           /* 0: TURNC_LIFETIME_S */
};

struct turnc;

struct turnc_callbacks {
	void *user;
	void (*send)(void *user, int sock, const union stun_addr *to,
		     const uint8_t *buf, size_t len);
	/* The Allocate transaction ended: READY or FAILED. */
	void (*allocated)(void *user, struct turnc *tc);
	/* A datagram from `peer` through the relay; `buf` lives for the call. */
	void (*data)(void *user, struct turnc *tc, const union stun_addr *peer,
		     const uint8_t *buf, size_t len);
	/* Something failed after the allocation (a permission, a channel, a
	 * refresh): one line naming the request, the peer and the cause.
	 * May be NULL. */
	void (*note)(void *user, struct turnc *tc, const char *text);
};

struct turnc *turnc_new(const struct turnc_config *cfg, const struct turnc_callbacks *cb,
			struct icl_err *err);
void turnc_free(struct turnc *tc);

/* Send the first Allocate now. */
int turnc_start(struct turnc *tc, uint64_t now_ms, struct icl_err *err);
/* A datagram on the socket from `from`: true when it was the server's
 * (an answer to one of our requests, a Data indication, ChannelData) and
 * has been consumed; false when it is someone else's. */
bool turnc_recv(struct turnc *tc, uint64_t now_ms, const union stun_addr *from,
		const uint8_t *buf, size_t len);
/* Relay `buf` to `peer`.  Before the permission for the peer's IP exists
 * the datagram waits for it (up to TURNC_MAX_QUEUED).  Returns 0, or
 * -ENOTCONN (no allocation), -EACCES (the server refused the permission),
 * -ENOBUFS (queue full, too many peers), -EMSGSIZE. */
int turnc_send(struct turnc *tc, uint64_t now_ms, const union stun_addr *peer,
	       const uint8_t *buf, size_t len);
void turnc_tick(struct turnc *tc, uint64_t now_ms);
uint64_t turnc_deadline(const struct turnc *tc);   /* UINT64_MAX: nothing due */
/* Deallocate: one Refresh with LIFETIME 0, not waited for. */
void turnc_close(struct turnc *tc, uint64_t now_ms);

enum turnc_state turnc_state(const struct turnc *tc);
const char *turnc_why(const struct turnc *tc);                 /* "" unless FAILED */
/* FAILED: the error code the server answered (401, 440 Address Family not
 * Supported, ...), 0 for a timeout or a malformed answer. */
int turnc_why_code(const struct turnc *tc);
const union stun_addr *turnc_relayed(const struct turnc *tc);  /* READY only */
const union stun_addr *turnc_mapped(const struct turnc *tc);   /* READY: XOR-MAPPED-ADDRESS */
const struct turnc_config *turnc_config(const struct turnc *tc);
/* Seconds the server granted (READY). */
uint32_t turnc_lifetime(const struct turnc *tc);

#endif
