/* runner.h - run one case and judge it.
 *
 * run_case() takes a loaded case (case.h) through the whole line: build
 * its topology, start its agents in their nodes (or send its probes, for a
 * topology-only case), relay their signalling, capture every link, judge
 * the expectations on the events (verdict.h) and on the wire (wire.h), and
 * tear everything down.  What it writes goes into the case's directory:
 * one pcap per link end, one log per agent.  The outcome is the case's
 * entry of the run document (reports/report.h).
 *
 * An agent that crashes, hangs, exits early or breaks the protocol fails
 * the case with that cause and the last lines of its log; the caller goes
 * on with the next case.  An environment problem (the topology cannot be
 * built, an agent program is missing) gives the verdict "error".
 *
 * Threading: runs a libuv loop in the calling thread, which must be in the
 * harness's home namespace; one case per thread at a time.
 */
#ifndef HARNESS_RUNNER_H
#define HARNESS_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "case.h"

struct topo;

struct run_env {
	const char *case_dir;      /* existing directory for pcaps and logs */
	const char *case_rel;      /* the same as the report should name it */
	bool keep_on_fail;         /* hand a failed case's topology to the caller */
	uint64_t seed;
};

/* Run `c`.  Returns a new reference to its result object (NULL only when
 * out of memory).  With env->keep_on_fail and a failing verdict, `*kept`
 * receives the still-built topology (the caller topo_down()s it, and must
 * keep `c` alive until then); otherwise *kept is NULL. */
json_t *run_case(const struct scn_case *c, const struct run_env *env, struct topo **kept);

/* The result object of a case the harness itself finds not applicable
 * here, without running it (verdict "n/a", `reason` as its message, one
 * line naming the cause, e.g. "needs root: ..."); the run counts it apart
 * and it fails nothing.  New reference; NULL only when out of memory.
 * A case whose agent says `not-applicable`, or whose --agent stack lacks
 * a capability it needs, gets the same verdict from run_case(). */
json_t *run_case_na(const struct scn_case *c, const struct run_env *env, const char *reason);

/* Whether a verdict string counts as a failure of the run
 * ("fail", "xpass", "error"; not "n/a"). */
bool run_verdict_failed(const char *verdict);

#endif
