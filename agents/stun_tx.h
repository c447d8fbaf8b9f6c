/* stun_tx.h - the retransmission schedule of one STUN client transaction.
 *
 * RFC 8489 6.2.1 over UDP: send at 0, then after RTO, 2*RTO, 4*RTO, ...
 * (Rc sends in all), and give up Rm*RTO after the last send.  Pure time
 * arithmetic on the caller's clock (milliseconds); the owner arms a timer
 * for stun_tx_deadline() and calls stun_tx_poll() when it fires.
 */
#ifndef AGENTS_STUN_TX_H
#define AGENTS_STUN_TX_H

#include <stdbool.h>
#include <stdint.h>

#include "stun.h"

#define STUN_RC_DEFAULT 7
#define STUN_RM_DEFAULT 16
#define STUN_RTO_MIN_ICE_MS 500     /* RFC 8445 14.3 */

struct stun_tx {
	uint8_t txid[STUN_TXID_SIZE];
	uint64_t start_ms;      /* first send */
	uint64_t next_ms;       /* next send, or the give-up time after the last */
	uint32_t rto_ms;        /* current interval; doubles after each resend */
	unsigned sent;          /* sends so far */
	unsigned rc, rm;
	bool active;
};

enum stun_tx_poll {
	STUN_TX_WAIT,      /* nothing due */
	STUN_TX_RESEND,    /* send the request again now */
	STUN_TX_TIMEOUT,   /* no response: the transaction failed */
};

/* Start: the caller sends the first copy now. */
void stun_tx_start(struct stun_tx *tx, const uint8_t txid[STUN_TXID_SIZE],
		   uint64_t now_ms, uint32_t rto_ms, unsigned rc, unsigned rm);
enum stun_tx_poll stun_tx_poll(struct stun_tx *tx, uint64_t now_ms);
/* When stun_tx_poll has something to do; UINT64_MAX when inactive. */
uint64_t stun_tx_deadline(const struct stun_tx *tx);
void stun_tx_stop(struct stun_tx *tx);

#endif
