/* probe.h - prove what a built topology lets through.
 *
 * A probe is a UDP datagram from one node to an address of another, echoed
 * back by a socket icelab binds there.  Both sockets are created inside
 * their nodes and served from one libuv loop in the calling thread, so no
 * process is started.  The outcome distinguishes a round trip, a one-way
 * path (the request arrived, the echo did not) and no path.
 */
#ifndef NETNS_PROBE_H
#define NETNS_PROBE_H

#include "topo.h"

struct probe_result {
	enum topo_reach got;
	double rtt_ms;          /* first round trip, when got is ROUND_TRIP */
	char target[64];        /* "[addr]:port" actually probed */
	char send_error[64];    /* why the request could not leave, if so */
};

/* Run all probes of topo_plan(t) at once, resending every 50 ms, and wait
 * at most `timeout_ms` for the answers.  `results` has one slot per probe,
 * owned by the caller.  Returns <0 only when a probe cannot be set up
 * (e.g. a target address is not on the target node). */
int probe_run(const struct topo *t, struct probe_result *results, unsigned timeout_ms,
	      struct icl_err *err);

#endif
