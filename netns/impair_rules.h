/* impair_rules.h - the nftables rules that hand the packets arriving on an
 * interface to NFQUEUE (for netns/impair.c).
 *
 * Kernels built without CONFIG_NFT_QUEUE (this one) have no native nft
 * `queue` statement, but do have the xtables NFQUEUE target and nft_compat,
 * through which iptables-nft runs xtables targets inside nftables rules.
 * libnftables cannot write a compat expression, so these rules are sent as
 * one nf_tables netlink transaction built here.  `nft list ruleset` shows
 * them as `iifname "wan" queue num 0` (and warns that iptables-nft manages
 * the table, because of the compat expression).
 *
 * Tables `ip icelab_impair` and `ip6 icelab_impair` (compat targets are
 * per family, so not one inet table), each with chain `inbound`: filter,
 * hook prerouting, priority -350 (after defragmentation at -400, before
 * raw at -300 and conntrack at -200: nothing of the node has seen the
 * packet yet), policy accept; first the exemptions (IGMP; ICMPv6 types
 * 130-143: MLD, neighbour and router discovery), then one queue rule per
 * interface, without bypass.
 */
#ifndef NETNS_IMPAIR_RULES_H
#define NETNS_IMPAIR_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define IMPAIR_TABLE "icelab_impair"
#define IMPAIR_PRIORITY (-350)

struct impair_rule {
	const char *ifname; /* packets arriving on this interface... */
	uint16_t queue;     /* ...go to this queue */
};

/* In the calling thread's network namespace, atomically create the tables
 * if needed and replace the chains' rules by the exemptions and `rules`.
 * Opens and closes its own netlink socket.  Any thread. */
int impair_rules_load(const struct impair_rule *rules, size_t n, struct icl_err *err);

/* Delete both tables from the calling thread's namespace (cleanup after a
 * failed start; costs a kernel grace period). */
int impair_rules_remove(struct icl_err *err);

#endif
