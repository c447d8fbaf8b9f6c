/* netcut.h - cut a link of a running topology, or a part of it, and
 * restore it.
 *
 * A cut drops the packets that arrive over the link: at both ends, or at
 * one end only (one direction), for both families or one.  Each (end,
 * family) is one nftables table in that end's node (`ip` or `ip6`
 * icelab_cut_LINK), hooked at prerouting with a priority below the
 * impairment's (netns/impair_rules.h) and conntrack's, so that nothing
 * crosses whatever else the link does.  Neighbour discovery is never
 * dropped, as in the topology's filters: without it the end that still
 * sends would soon stop resolving its neighbour, and a one-way cut would
 * turn into a two-way one.  What a node sends still shows in its end's
 * capture, as on a cable cut after the sender.  The link, its addresses
 * and its routes stay as they are (a link set down would flush IPv6
 * addresses and static routes), so restoring it, which deletes the
 * tables, gives back the same network.
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

#define NETCUT_AT_A 1u             /* drop what arrives at end a: direction b-to-a */
#define NETCUT_AT_B 2u             /* drop what arrives at end b: direction a-to-b */

/* The part of a link a cut or a restore covers.  All zero: the whole link
 * (both families, both directions). */
struct netcut_part {
	int family;                /* AF_INET, AF_INET6; 0 (AF_UNSPEC): both */
	unsigned ends;             /* NETCUT_AT_A | NETCUT_AT_B; 0: both */
};

/* Cut (`up` false) or restore `part` of link `link` of `t`.  Each (end,
 * family) is cut or whole on its own: cutting a cut one or restoring a
 * whole one changes nothing, and restoring one family or direction
 * leaves the rest of an earlier cut in place.  Errors name the link and
 * node and carry nftables' text. */
int netcut_set(const struct topo *t, const char *link, struct netcut_part part, bool up,
	       struct icl_err *err);

/* The scenario file's words for a part (docs/scenario-format.md):
 * "a-to-b" (NETCUT_AT_B), "b-to-a" (NETCUT_AT_A) or "both"; "ipv4",
 * "ipv6" or "both".  Static strings. */
const char *netcut_direction_name(unsigned ends);
const char *netcut_family_name(int family);

#endif
