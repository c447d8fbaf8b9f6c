#include "quirk.h"

#include <string.h>

static const struct quirk_info table[] = {
	{QUIRK_SELECT_FIRST_CHECK, "select-first-check", true, false,
	 "mediasoup 3.7 (mediasoup forum thread 2702, mediasoup-client #183); ossrs/srs #4722",
	 "the first authenticated check selects its tuple, USE-CANDIDATE or not, and DTLS "
	 "starts there at once with the agent as DTLS client whatever its setup; later "
	 "switches only on USE-CANDIDATE or on DTLS arriving over another checked tuple"},
	{QUIRK_LAST_NOMINATION_WINS, "last-nomination-wins", true, false,
	 "mediasoup #650 (aggressive nomination)",
	 "the last USE-CANDIDATE selects its tuple regardless of priority, even after a "
	 "higher-priority pair was nominated"},
	{QUIRK_IGNORE_CONSENT_CHECKS, "ignore-consent-checks", true, false,
	 "elixir-webrtc/ex_ice #110",
	 "after completion, requests without USE-CANDIDATE are not answered"},
	{QUIRK_TUPLE_BY_REMOTE_ONLY, "tuple-by-remote-only", true, false, "mediasoup #1585",
	 "tuples are keyed by the remote address only, so one remote address reached on two "
	 "local addresses is one tuple: the check to the second local address is answered "
	 "from the first one, and a nomination over it nominates the first tuple"},
	{QUIRK_DTLS_REPLY_WRONG_FAMILY, "dtls-reply-wrong-family", true, false,
	 "sipwise/rtpengine #451",
	 "DTLS answers leave from the other address family's socket: a datagram cannot cross "
	 "families on one socket, so DTLS goes from our socket of the other family to the "
	 "peer's address of that family whose check we answered (the best such tuple), not "
	 "on the selected pair; with no tuple of the other family it stays on the selected "
	 "pair"},
	{QUIRK_AGGRESSIVE_VS_LITE, "aggressive-vs-lite", false, true,
	 "RFC 5245 8.1.1 violated by stacks that keep aggressive nomination against a lite "
	 "peer (mediasoup #650 is the lite side of it)",
	 "nominates aggressively (USE-CANDIDATE on every check) against an ICE-Lite peer "
	 "instead of falling back to regular nomination"},
	{QUIRK_NO_CONSENT_WHILE_SENDING, "no-consent-while-sending", false, true, "pion/ice #767",
	 "sends no consent checks while data flows on the selected pair"},
	{QUIRK_STOP_CONSENT_AFTER_TIMEOUT, "stop-consent-after-timeout", false, true,
	 "werift before its consent fix",
	 "stops sending consent checks for good once one consent request times out"},
};

const struct quirk_info *quirk_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

static const struct quirk_info *lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int quirk_parse(const char (*names)[32], size_t n, bool lite, unsigned *mask,
		struct icl_err *err)
{
	*mask = 0;
	for (size_t i = 0; i < n; i++) {
		const struct quirk_info *q = lookup(names[i]);

		if (q == NULL)
			return icl_err_set(err, ICL_EINPUT, "quirks[%zu]: \"%s\" is not a known quirk",
					   i, names[i]);
		if (lite ? !q->lite : !q->full)
			return icl_err_set(err, ICL_EINPUT,
					   "quirks[%zu]: \"%s\" is a quirk of the %s agent, not of this one",
					   i, names[i], lite ? "full" : "lite");
		*mask |= q->bit;
	}
	return 0;
}
