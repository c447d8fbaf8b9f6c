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
 *
 * Services: once the network is up, topo_up() starts the nodes' STUN/TURN
 * servers (turn.h) from the calling thread, which they die with
 * (PR_SET_PDEATHSIG); topo_down() stops them first, then SIGKILLs every
 * process /proc still shows in a node (ns_kill_members(): whatever left
 * its agent's process group), then closes the fds.
 */
#ifndef NETNS_TOPO_H
#define NETNS_TOPO_H

#include "plan.h"

struct topo;

/* Build `plan` (which must have passed topo_plan_validate() and must
 * outlive the topology).  On failure nothing is left behind. */
int topo_up(const struct topo_plan *plan, struct topo **out, struct icl_err *err);

/* The seed topo_up() gives the impairment of links without their own. */
#define TOPO_SEED_DEFAULT 1u

/* topo_up(), and the impairment of the plan's links (`impair` of struct
 * topo_link; netns/impair.h) started once the topology is built, from the
 * calling thread; links without a seed of their own draw from `seed`.
 * A failure to start it fails the whole build, with its cause. */
int topo_up_seeded(const struct topo_plan *plan, uint64_t seed, struct topo **out,
		   struct icl_err *err);

/* The running impairment (impair_counters() on it), NULL when no link is
 * impaired; and the seed it was given. */
struct impair *topo_impair(const struct topo *t);
uint64_t topo_seed(const struct topo *t);

/* Whether a service that topo_up() started (TAYGA, unbound, turnserver)
 * has ended since: they must run as long as the topology, so a case that
 * sees one end is broken by its environment.  `why` (may be NULL) names
 * the service, its node and how it ended (svc.h: svc_ended()).  Polling
 * only: netns never calls back into its user.  Same thread as topo_up(). */
bool topo_service_ended(const struct topo *t, char *why, size_t cap);

/* Stop the impairment, remove everything topo_up() built and free `t`.
 * NULL is allowed. */
void topo_down(struct topo *t);

const struct topo_plan *topo_plan(const struct topo *t);

/* The fd of node `name`'s network namespace, owned by `t`; -1 if none. */
int topo_node_fd(const struct topo *t, const char *name);

/* The topology's private directory (mkdtemp, under $TMPDIR or /tmp): configuration
 * and logs of the services it runs (TAYGA: tayga-NODE-TUN.conf/.log,
 * unbound-NODE*, turnserver's NODE.conf/.db/.log).  NULL when it runs
 * none.  topo_down() removes it with everything in it,
 * so copy what should outlive the topology before. */
const char *topo_dir(const struct topo *t);

/* Move the calling thread into node `name` / back to where topo_up() was
 * called from. */
int topo_enter(const struct topo *t, const char *name, struct icl_err *err);
int topo_leave(const struct topo *t, struct icl_err *err);

#endif
