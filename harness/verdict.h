/* verdict.h - judge a case's event expectations against its timeline.
 *
 * Input: the case (case.h) and the timeline the session recorded
 * ([{"t": ms, "agent": NAME, "event": {...}}, ...], session.h).  The
 * wire expectations (kinds SCN_EXP_WIRE_*) are not judged here but by
 * wire.h, from the captures; verdict_events() leaves their items alone.
 *
 * Pure functions: no I/O, no clock, any thread.
 */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "case.h"

struct verdict_item {
	bool judged;               /* false: not an event expectation (wire) */
	bool ok;
	/* One line: what was expected and what happened, quoting the events
	 * with their times, e.g. "expected client dtls-state connected within
	 * 3000 ms; got dtls-state failed at 4012.3 ms (reason: ...)".  Room
	 * for wire.h's longest too, which names two datagrams in full. */
	char detail[1024];
};

/* Judge every event expectation of `c`: items[i] for c->expect[i]
 * (`items` has c->n_expect entries).  Returns how many judged ones failed. */
size_t verdict_events(const struct scn_case *c, const json_t *timeline,
		      struct verdict_item *items);

/* Whether `kind` is judged from the timeline (true) or the wire (false). */
bool verdict_is_event(enum scn_exp_kind kind);

#endif
