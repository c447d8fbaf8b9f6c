/* netcut.h - cut a link of a running topology, and restore it.
 *
 * A cut drops every packet that arrives over the link, at both ends: an
 * nftables table per end, in that end's node, hooked at prerouting with a
 * priority below the impairment's (netns/impair_rules.h) and conntrack's,
 * so that nothing crosses whatever else the link does.  What a node sends
 * still shows in its end's capture, as on a cable cut after the sender.
 * The link, its addresses and its routes stay as they are (a link set down
 * would flush IPv6 addresses and static routes), so restoring it, which
 * deletes the tables, gives back the same network.
 *
 * Threading: call from the thread that owns the topology, in the harness's
 * home namespace; it enters each end's node and is back home on return.
 */
#ifndef HARNESS_NETCUT_H
#define HARNESS_NETCUT_H

#include <stdbool.h>

#include "../common/err.h"
#include "../netns/topo.h"

#define NETCUT_PRIORITY (-400)

/* Cut (`up` false) or restore link `link` of `t`.  Cutting a cut link or
 * restoring a whole one changes nothing.  Errors name the link and node
 * and carry nftables' text. */
int netcut_set(const struct topo *t, const char *link, bool up, struct icl_err *err);

#endif
