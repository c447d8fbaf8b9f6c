/* ns.h - network namespaces held by file descriptor.
 *
 * icelab never names a namespace in /run/netns: a namespace lives exactly
 * as long as some fd or process refers to it, so closing the fds (or dying)
 * removes it, links, addresses and nft rules included.
 *
 * setns() and unshare() act on the calling thread only; sockets keep the
 * namespace they were created in.  So code that builds inside a node
 * enters it, opens its sockets, and returns to the home namespace.
 */
#ifndef NETNS_NS_H
#define NETNS_NS_H

#include "../common/err.h"

/* Open an fd (O_CLOEXEC) on the calling thread's network namespace. */
int ns_open_current(int *fd, struct icl_err *err);

/* Create a new network namespace and leave the calling thread in it.
 * `*fd` receives an O_CLOEXEC fd on it, owned by the caller.  The caller
 * returns home with ns_enter(home_fd). */
int ns_create(int *fd, struct icl_err *err);

/* Move the calling thread into the namespace `fd` refers to. */
int ns_enter(int fd, struct icl_err *err);

/* SIGKILL every process that /proc shows in one of the network namespaces
 * `fds[0..n)` refer to (entries of -1 are skipped), the caller's own
 * aside; returns how many were signalled.  A process is matched through a
 * pidfd, so a PID reused meanwhile is never hit.  For what must not
 * outlive a topology: a child that left its agent's process group
 * (setsid) would hold its node's namespace as long as it runs. */
int ns_kill_members(const int *fds, size_t n);

/* Write `value` to /proc/sys/`key` in the calling thread's namespace
 * (key like "net/ipv6/conf/all/accept_dad"). */
int ns_sysctl_write(const char *key, const char *value, struct icl_err *err);

#endif
