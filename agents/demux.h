/* demux.h - where a datagram that reaches a reference agent goes (RFC
 * 7983 demultiplexing): STUN to ICE; DTLS to the DTLS association, but
 * only from a source ICE knows; anything else nowhere.
 *
 * Sans I/O: no sockets, no loop, no clock of its own.  agent_net.c's
 * agent__deliver calls it for every datagram (its host sockets' and its
 * relays'), and tests/fuzz/fuzz_demux.c calls it too, so that the fuzzer
 * runs the dispatch the agents ship.  Logging a drop is the caller's.
 */
#ifndef AGENTS_DEMUX_H
#define AGENTS_DEMUX_H

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"
#include "ice.h"

enum demux_route {
	DEMUX_ICE,            /* STUN: ice_agent_recv took it */
	DEMUX_DTLS,           /* the peer's DTLS: told to ICE, then given to DTLS */
	DEMUX_DROP_STRANGER,  /* DTLS from a source ICE does not know: dropped */
	DEMUX_DROP_OTHER,     /* neither STUN nor DTLS, or DTLS with no association */
};

/* Hands `buf` (arrived on socket id `sock` from `from` at `now_ms`) to
 * `ice` (never NULL) and, when it is the peer's DTLS, to `dtls` (NULL
 * before the association exists); returns where it went.  Effects happen
 * through the ICE and DTLS callbacks, from inside this call; `buf` is
 * only read, and not kept after it returns. */
enum demux_route demux_datagram(struct ice_agent *ice, struct dtls_conn *dtls, uint64_t now_ms,
				int sock, const union stun_addr *from, const uint8_t *buf,
				size_t len);

#endif
