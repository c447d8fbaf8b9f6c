/* sched.h - run many cases, each in a process of its own, N at a time.
 *
 * Every case runs in a forked worker (runner.h), so a case that crashes
 * the harness code, or an agent that wedges it, costs that case and no
 * other; the worker hands its result back as DIR/case.json.  Workers die
 * with the scheduler (PR_SET_PDEATHSIG), and their namespaces with them.
 *
 * Must be called from a single-threaded process (it forks), normally PID 1
 * of the sandbox (netns/sandbox.h): it also reaps orphaned grandchildren,
 * and once every case is done (or the run interrupted) kills whatever is
 * left in the sandbox's PID namespace (an agent's child that outlived a
 * killed worker), so that the run's end never waits for one.
 */
#ifndef HARNESS_SCHED_H
#define HARNESS_SCHED_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../common/err.h"
#include "case.h"

struct sched_case {
	const struct scn_case *c;  /* borrowed; outlives sched_run() */
	char name[SCN_NAME_MAX + 16]; /* as reported (with "#k" when repeated) */
	char dir[PATH_MAX];        /* existing directory for its files */
	char rel[PATH_MAX];        /* the same relative to the report dir */
	json_t *result;            /* filled by sched_run(); owned */
};

struct sched_opts {
	unsigned jobs;             /* >= 1 */
	bool keep_on_fail;
	bool progress;             /* a live status line (on a terminal) */
	FILE *out;                 /* one line per finished case */
	uint64_t seed;
};

/* Run every case and fill each `result` (a worker that dies without one
 * yields verdict "error" with its exit status).  When cases were kept
 * (keep_on_fail), prints how to enter them and waits for SIGINT or
 * SIGTERM before tearing them down.  Returns 0, or a negative errno when
 * workers cannot be started at all. */
int sched_run(struct sched_case *cases, size_t n, const struct sched_opts *o,
	      struct icl_err *err);

#endif
