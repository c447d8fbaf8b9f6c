/* sandbox.h - make everything icelab starts die with it.
 *
 * sandbox_enter() forks.  The child becomes PID 1 of a new PID namespace
 * and returns 0 to run the rest of the program; it is SIGKILLed by the
 * kernel if the parent dies (PR_SET_PDEATHSIG).  The parent never returns:
 * it forwards SIGINT, SIGTERM and SIGHUP to the child and exits with the
 * child's status.  When PID 1 of a PID namespace dies, the kernel kills
 * every process in it; namespaces then lose their last references.  So a
 * SIGKILL of either process, at any moment, leaves nothing behind: no
 * process, no network namespace, no link, no nft rule.
 *
 * Call it first thing in main, before any thread or fd that matters exists.
 */
#ifndef NETNS_SANDBOX_H
#define NETNS_SANDBOX_H

#include "../common/err.h"

int sandbox_enter(struct icl_err *err);

#endif
