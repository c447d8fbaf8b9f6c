/* agent_data.c - a steady stream of application data over DTLS.
 *
 * The probe (agent_net.c) proves that data crosses the path once; the
 * stream keeps data flowing for as long as the session lasts, one record
 * every timers.data_interval_ms, so that scenarios can check what an agent
 * does while data flows (consent checks must go on, RFC 7675 5.1).  The
 * records go through DTLS like any data, hence on the selected pair; the
 * peer recognises them by their prefix and drops them.
 */
#include "agent.h"

#include <stdio.h>
#include <string.h>

#define DATA_PREFIX "icelab-data "

void agent__data_start(struct agent *ag)
{
	if (ag->cfg.data_interval_ms > 0 && ag->data_next_ms == UINT64_MAX)
		ag->data_next_ms = agent__now_ms(ag) + ag->cfg.data_interval_ms;
}

void agent__data_tick(struct agent *ag)
{
	uint64_t now = agent__now_ms(ag);
	char rec[64];
	struct icl_err err;
	int n;

	if (ag->data_next_ms > now || !ag->dtls)
		return;
	n = snprintf(rec, sizeof(rec), DATA_PREFIX "%u", ++ag->data_sent);
	if (dtls_conn_send(ag->dtls, (const uint8_t *)rec, (size_t)n, &err) < 0)
		agent__log(ag, "data stream: %s", err.msg);
	ag->data_next_ms = now + ag->cfg.data_interval_ms;
}

uint64_t agent__data_deadline(const struct agent *ag)
{
	return ag->data_next_ms;
}

bool agent__data_is_stream(const uint8_t *buf, size_t len)
{
	return len >= strlen(DATA_PREFIX) && memcmp(buf, DATA_PREFIX, strlen(DATA_PREFIX)) == 0;
}
