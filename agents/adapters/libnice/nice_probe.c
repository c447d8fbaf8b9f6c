/* nice_probe.c - the data probe (agents/probe.h, the reference agents'
 * own) and the data stream over DTLS: with timers.data_interval_ms,
 * "icelab-data <k>" that often; received ones are dropped.
 */
#include "nice_adapter.h"

#include <stdio.h>
#include <string.h>

#define DATA_PREFIX  "icelab-data "

static uint64_t since_start_ns(const struct nadp *a)
{
	return nadp_now_ns() - a->t0_ns;
}

static void send_probe(struct nadp *a)
{
	char text[PROBE_TEXT_MAX];
	size_t n = probe_next(&a->probe, since_start_ns(a), text, sizeof(text));

	if (n > 0)
		nadp_dtls_send(a, (const uint8_t *)text, n);
}

void nadp_probe_connected(struct nadp *a)
{
	char ufrag[64];

	if (!probe_started(&a->probe)) {
		nadp_ice_ufrag(a, ufrag, sizeof(ufrag));
		probe_start(&a->probe, ufrag, since_start_ns(a));
		send_probe(a);
	}
	if (a->cfg.data_interval_ms > 0 && a->data_next_ms == UINT64_MAX)
		a->data_next_ms = nadp_now_ms(a) + a->cfg.data_interval_ms;
}

void nadp_probe_tick(struct nadp *a)
{
	uint64_t now = nadp_now_ms(a);

	if (!a->dtls || a->closing)
		return;
	send_probe(a);
	if (a->data_next_ms <= now) {
		char rec[64];
		int n = snprintf(rec, sizeof(rec), DATA_PREFIX "%u", ++a->data_sent);

		nadp_dtls_send(a, (const uint8_t *)rec, (size_t)n);
		a->data_next_ms = now + a->cfg.data_interval_ms;
	}
}

uint64_t nadp_probe_deadline(const struct nadp *a)
{
	uint64_t probe = probe_deadline(&a->probe);

	if (probe != UINT64_MAX)
		probe = (probe + 999999u) / 1000000u;   /* ms, rounded up */
	return probe < a->data_next_ms ? probe : a->data_next_ms;
}

void nadp_probe_data(struct nadp *a, const uint8_t *buf, size_t len)
{
	uint8_t echo[1024];
	unsigned k;
	double rtt;
	size_t n;

	switch (probe_recv(&a->probe, buf, len, since_start_ns(a), &k, &rtt)) {
	case PROBE_RX_REQUEST:
		n = probe_echo(buf, len, echo, sizeof(echo));
		if (n > 0)
			nadp_dtls_send(a, echo, n);
		break;
	case PROBE_RX_ECHOED:
		nadp_emit(a, "data-echoed",
			  json_pack("{s:I, s:f, s:I}", "bytes", (json_int_t)len, "rtt_ms", rtt,
				    "attempt", (json_int_t)k));
		break;
	case PROBE_RX_OTHER:
		if (len < strlen(DATA_PREFIX) || memcmp(buf, DATA_PREFIX, strlen(DATA_PREFIX)) != 0)
			nadp_log(a, "unexpected application data (%zu bytes)", len);
		break;
	case PROBE_RX_IGNORED:
		break;
	}
}
