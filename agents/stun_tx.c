/* stun_tx.c - RFC 8489 6.2.1 retransmission arithmetic of stun_tx.h.
 *
 * Send k (k = 1..Rc) goes out RTO * (2^(k-1) - 1) after the first one
 * when every poll is on time: 0, RTO, 3 RTO, 7 RTO, ...  Each interval is
 * counted from the poll that asked for the resend, so a late timer shifts
 * the rest of the schedule instead of bunching the resends together.
 * The give-up time is Rm times the *initial* RTO after the last send
 * (RFC 8489 6.2.1: 39.5 s for RTO 500 ms, Rc 7, Rm 16).
 */
#include "stun_tx.h"

#include <string.h>

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* rto_ms doubles after every resend but the last; this undoes that to
 * recover the initial RTO for the give-up interval. */
static uint64_t initial_rto(const struct stun_tx *tx)
{
	unsigned doublings = tx->sent >= 2 ? tx->sent - 2 : 0;

	return (uint64_t)(tx->rto_ms >> doublings);
}

void stun_tx_start(struct stun_tx *tx, const uint8_t txid[STUN_TXID_SIZE],
		   uint64_t now_ms, uint32_t rto_ms, unsigned rc, unsigned rm)
{
	memset(tx, 0, sizeof(*tx));
	memcpy(tx->txid, txid, STUN_TXID_SIZE);
	/* Zero means "the RFC default": no caller wants zero sends. */
	tx->rto_ms = rto_ms ? rto_ms : STUN_RTO_MIN_ICE_MS;
	tx->rc = rc ? rc : STUN_RC_DEFAULT;
	tx->rm = rm ? rm : STUN_RM_DEFAULT;
	/* The doubled interval must fit rto_ms (2^32 ms is 49 days): fewer
	 * sends rather than a wrapped, shorter interval.  The first clamp
	 * keeps the shift below 64 bits. */
	if (tx->rc > 34)
		tx->rc = 34;
	while (tx->rc > 2 && ((uint64_t)tx->rto_ms << (tx->rc - 2)) > UINT32_MAX)
		tx->rc--;
	tx->start_ms = now_ms;
	tx->sent = 1;
	tx->active = true;
	if (tx->rc > 1)
		tx->next_ms = add_sat(now_ms, tx->rto_ms);
	else
		tx->next_ms = add_sat(now_ms, (uint64_t)tx->rm * tx->rto_ms);
}

enum stun_tx_poll stun_tx_poll(struct stun_tx *tx, uint64_t now_ms)
{
	if (!tx->active || now_ms < tx->next_ms)
		return STUN_TX_WAIT;
	if (tx->sent >= tx->rc) {
		tx->active = false;
		return STUN_TX_TIMEOUT;
	}
	tx->sent++;
	if (tx->sent < tx->rc) {
		tx->rto_ms *= 2;
		tx->next_ms = add_sat(now_ms, tx->rto_ms);
	} else {
		tx->next_ms = add_sat(now_ms, (uint64_t)tx->rm * initial_rto(tx));
	}
	return STUN_TX_RESEND;
}

uint64_t stun_tx_deadline(const struct stun_tx *tx)
{
	return tx->active ? tx->next_ms : UINT64_MAX;
}

void stun_tx_stop(struct stun_tx *tx)
{
	tx->active = false;
}
