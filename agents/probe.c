/* probe.c - the data probe's schedule and parsing; see probe.h. */
#include "probe.h"

#include <stdio.h>
#include <string.h>

#define PROBE_PREFIX "icelab-probe"
#define ECHO_PREFIX  "echo icelab-probe "
#define FIRST_GAP_NS 250000000ull   /* one record can be lost like any datagram */

void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	p->next_ns = UINT64_MAX;
}

void probe_start(struct probe *p, const char *ufrag, uint64_t now_ns)
{
	if (probe_started(p) || p->next_ns != UINT64_MAX)
		return;
	snprintf(p->ufrag, sizeof(p->ufrag), "%s", ufrag);
	p->next_ns = now_ns;
}

bool probe_started(const struct probe *p)
{
	return p->n > 0;
}

size_t probe_next(struct probe *p, uint64_t now_ns, char *buf, size_t cap)
{
	int n;

	if (p->echoed || p->next_ns > now_ns || p->n >= PROBE_TRIES)
		return 0;
	n = snprintf(buf, cap, PROBE_PREFIX " %u %s", p->n + 1, p->ufrag);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	p->sent_ns[p->n++] = now_ns;
	p->next_ns = p->n < PROBE_TRIES ? now_ns + (FIRST_GAP_NS << (p->n - 1)) : UINT64_MAX;
	return (size_t)n;
}

uint64_t probe_deadline(const struct probe *p)
{
	return p->echoed ? UINT64_MAX : p->next_ns;
}

static bool starts_with(const uint8_t *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(buf, prefix, n) == 0;
}

/* "echo icelab-probe K UFRAG" answering our attempt K, for the first time. */
static bool ours(const struct probe *p, const uint8_t *buf, size_t len, unsigned *k)
{
	char text[160], ufrag[64];

	if (p->echoed || len >= sizeof(text))
		return false;
	memcpy(text, buf, len);
	text[len] = '\0';
	return sscanf(text, ECHO_PREFIX "%u %63s", k, ufrag) == 2 && *k > 0 && *k <= p->n &&
	       strcmp(ufrag, p->ufrag) == 0;
}

enum probe_rx probe_recv(struct probe *p, const uint8_t *buf, size_t len, uint64_t now_ns,
			 unsigned *attempt, double *rtt_ms)
{
	unsigned k;

	if (starts_with(buf, len, PROBE_PREFIX))
		return PROBE_RX_REQUEST;
	if (!starts_with(buf, len, ECHO_PREFIX))
		return PROBE_RX_OTHER;
	if (!ours(p, buf, len, &k))
		return PROBE_RX_IGNORED;
	p->echoed = true;
	*attempt = k;
	*rtt_ms = (double)(now_ns - p->sent_ns[k - 1]) / 1e6;
	return PROBE_RX_ECHOED;
}

size_t probe_echo(const uint8_t *buf, size_t len, uint8_t *out, size_t cap)
{
	if (len + 5 > cap)
		return 0;
	memcpy(out, "echo ", 5);
	memcpy(out + 5, buf, len);
	return len + 5;
}
