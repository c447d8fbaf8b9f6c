/* runnable.h - cases this machine cannot run, found before any starts.
 *
 * Rootless mode (netns/sandbox.h) runs everything a user namespace
 * permits.  What it does not permit is probed once per run, in the
 * sandbox (netns/caps.h), and a case that needs it is not started: it
 * gets the verdict "n/a" (run_case_na) with the precise reason, e.g.
 * "not runnable without root: node nat64 needs a tun device for TAYGA:
 * open /dev/net/tun: Permission denied", instead of failing obscurely in
 * its worker.  The one such element today is the tun device of TAYGA
 * (nat64 on a router, clat on a node); everything else a topology uses
 * works in a user namespace (README.md, "Rootless mode").  As root the
 * same probe catches a kernel without tun ("not runnable here: ...").
 *
 * Must run where sched_run() may: single-threaded, PID 1 of the sandbox.
 */
#ifndef HARNESS_RUNNABLE_H
#define HARNESS_RUNNABLE_H

#include <stddef.h>

#include "sched.h"

/* sched_run() for the cases this machine can run; each of the others
 * gets its "n/a" result (and its output line) without a worker.  Results
 * land in `cases` in their order, as sched_run() leaves them.  Returns
 * sched_run()'s result. */
int runnable_sched_run(struct sched_case *cases, size_t n, const struct sched_opts *o,
		       struct icl_err *err);

#endif
