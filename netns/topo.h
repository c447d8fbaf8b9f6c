/* topo.h - build a validated topology plan into network namespaces.
 *
 * topo_up() creates one namespace per node, the veth links between them,
 * addresses, routes, sysctls and nftables rules.  Namespaces are held only
 * by the fds inside `struct topo`: topo_down() closes them and the kernel
 * removes everything; if the process dies instead, the kernel does the
 * same.  Nothing is ever added to the calling thread's own namespace.
 *
 * Threading: call from one thread at a time.  topo_up() creates each
 * node's namespace in a thread of its own (and loads the node's nftables
 * rules there), builds links and addresses from the calling thread, and
 * joins every thread before it returns.  The calling thread never changes
 * namespace, and the threads block all signals.
 */
#ifndef NETNS_TOPO_H
#define NETNS_TOPO_H

#include "plan.h"

struct topo;

/* Build `plan` (which must have passed topo_plan_validate() and must
 * outlive the topology).  On failure nothing is left behind. */
int topo_up(const struct topo_plan *plan, struct topo **out, struct icl_err *err);

/* Remove everything topo_up() built and free `t`.  NULL is allowed. */
void topo_down(struct topo *t);

const struct topo_plan *topo_plan(const struct topo *t);

/* The fd of node `name`'s network namespace, owned by `t`; -1 if none. */
int topo_node_fd(const struct topo *t, const char *name);

/* Move the calling thread into node `name` / back to where topo_up() was
 * called from. */
int topo_enter(const struct topo *t, const char *name, struct icl_err *err);
int topo_leave(const struct topo *t, struct icl_err *err);

#endif
