/* quirk.h - switchable known bugs of the reference agents.
 *
 * Every quirk is off by default and reproduces one publicly reported bug of
 * a real ICE stack, so that a scenario can show that it catches that bug:
 * the agent with the quirk must fail the scenario the quirk was written for
 * while the default agent passes it.  A configuration names quirks by the
 * strings below (`configure`'s "quirks", docs/agent-protocol.md); the table
 * in quirk.c says which agent kind knows which and where each bug was
 * reported.  The set of quirks an agent runs with is a plain bit mask the
 * agent owns; nothing here is mutable.
 */
#ifndef AGENTS_QUIRK_H
#define AGENTS_QUIRK_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"

enum quirk {
	/* ICE-Lite server */
	QUIRK_SELECT_FIRST_CHECK      = 1u << 0,
	QUIRK_LAST_NOMINATION_WINS    = 1u << 1,
	QUIRK_IGNORE_CONSENT_CHECKS   = 1u << 2,
	QUIRK_TUPLE_BY_REMOTE_ONLY    = 1u << 3,
	QUIRK_DTLS_REPLY_WRONG_FAMILY = 1u << 4,
	/* full-ICE client */
	QUIRK_AGGRESSIVE_VS_LITE      = 1u << 8,
	QUIRK_NO_CONSENT_WHILE_SENDING = 1u << 9,
	QUIRK_STOP_CONSENT_AFTER_TIMEOUT = 1u << 10,
};

struct quirk_info {
	unsigned bit;           /* one enum quirk */
	const char *name;       /* as configured: "select-first-check" */
	bool lite, full;        /* which reference agents know it */
	const char *reproduces; /* the public report(s) of the bug */
	const char *behaviour;  /* what the agent does wrong, one sentence */
};

/* The table, in a fixed order; *n gets its length. */
const struct quirk_info *quirk_table(size_t *n);

/* Turn configured names into a mask for an agent of the given kind.  An
 * unknown name, or one the kind does not know, is ICL_EINPUT with
 * "quirks[I]: ..." in `err`. */
int quirk_parse(const char (*names)[32], size_t n, bool lite, unsigned *mask,
		struct icl_err *err);

#endif
