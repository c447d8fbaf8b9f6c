/* demux.c - a datagram to ICE, to DTLS or nowhere (demux.h). */
#include "demux.h"

enum demux_route demux_datagram(struct ice_agent *ice, struct dtls_conn *dtls, uint64_t now_ms,
				int sock, const union stun_addr *from, const uint8_t *buf,
				size_t len)
{
	if (ice_agent_recv(ice, now_ms, sock, from, buf, len))
		return DEMUX_ICE;
	if (dtls == NULL || !dtls_is_dtls(buf, len))
		return DEMUX_DROP_OTHER;
	/* Not the peer's: a stranger's record (a plaintext fatal alert, a
	 * bad handshake fragment) would kill our handshake. */
	if (!ice_agent_knows_source(ice, from))
		return DEMUX_DROP_STRANGER;
	/* ICE hears of it first: only a quirk makes it move the selected
	 * pair (select-first-check), before DTLS answers on it. */
	ice_agent_data_received(ice, now_ms, sock, from);
	dtls_conn_recv(dtls, buf, len);
	return DEMUX_DTLS;
}
