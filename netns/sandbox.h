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
 * Rootless mode: called with an effective uid other than 0, it first
 * makes a user namespace of its own (before the PID namespace and
 * everything else), with the caller's uid and gid mapped to 0 and
 * setgroups denied: the only mapping an unprivileged process may write.
 * Everything after it (PID, mount and network namespaces, veth, nftables,
 * sysctls, /proc) runs as that namespace's root, in a network namespace
 * of its own (a thread that leaves it for a node may setns() back into
 * it, not into the machine's, so `icelab shell` cannot reach a topology
 * kept rootless: its abstract socket is in there); files of the machine
 * keep their permission bits for "others" there (a mode 0600 /dev/net/tun
 * stays closed).  TMPDIR and the janitor are made before it, as the
 * caller, so the janitor can remove what the sandbox leaves.
 *
 * Call it first thing in main, before any thread or fd that matters exists.
 */
#ifndef NETNS_SANDBOX_H
#define NETNS_SANDBOX_H

#include <stdbool.h>

#include "../common/err.h"

int sandbox_enter(struct icl_err *err);

/* Whether the calling process runs in a user namespace that maps only
 * part of the ids (rootless mode, or a container's): root there is not
 * root of the machine.  Reads /proc/self/uid_map; no state. */
bool sandbox_rootless(void);

#endif
