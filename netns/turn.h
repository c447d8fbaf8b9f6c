/* turn.h - STUN/TURN servers on the nodes of a topology (`turn:` in a
 * node of the scenario file; struct topo_turn in plan.h).
 *
 * Each server is coturn's turnserver, run as a service (svc.h) inside its
 * node, on UDP and TCP port 3478, with long-term credentials (RFC 8489
 * section 9.2) and no TLS, DTLS or CLI.  With two listening addresses of a
 * family, turnserver also answers RFC 5780 NAT behaviour discovery (the
 * alternate port is 3479).  Its configuration, user database and log live
 * in the topology's private directory (topo_dir()), which topo_down()
 * removes.
 *
 * Readiness is observed: turn_up() returns once every listening address
 * (and the RFC 5780 alternate ones) answers a STUN Binding request sent
 * from inside the node.
 *
 * Threads: turn_up() and turn_down() from the thread that called topo_up()
 * (the services die with the thread that started them, PR_SET_PDEATHSIG).
 * No global state.
 */
#ifndef NETNS_TURN_H
#define NETNS_TURN_H

#include "plan.h"

#define TURN_PORT 3478
#define TURN_ALT_PORT 3479          /* RFC 5780 alternate port */
#define TURN_DEFAULT_USER "icelab"
#define TURN_DEFAULT_PASSWORD "icelab"
#define TURN_DEFAULT_REALM "icelab.test"

struct topo;
struct turn_set;

/* Check node `n`'s turn element against the plan (addresses must be the
 * node's, names usable in turnserver's configuration).  On failure: one
 * line "FILE:LINE:COL: nodes.NAME.turn.FIELD: reason", ICL_EINPUT. */
int turn_plan_check(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err);

/* Start a server in every node of `t` that has one.  *out is NULL when
 * none has; otherwise it is the caller's until turn_down().  On failure
 * nothing is left running and err quotes the server's log. */
int turn_up(const struct topo *t, struct turn_set **out, struct icl_err *err);

/* Stop the servers, remove their directory, free `s`.  NULL is allowed. */
void turn_down(struct turn_set *s);

/* Whether one of the set's servers has ended since it started (it is
 * reaped); `why` (may be NULL) then names it and says how (svc_ended()).
 * NULL is allowed (false).  From the thread that owns the set. */
bool turn_ended(const struct turn_set *s, char *why, size_t cap);

#endif
