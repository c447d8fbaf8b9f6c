/* nft.h - load an nftables ruleset through libnftables.
 *
 * The ruleset lands in the calling thread's network namespace: libnftables
 * opens its netlink socket when its context is created, so the context is
 * created here, after the caller has entered the node, and freed before
 * returning.  Calls from several threads are serialised (libnftables is
 * not thread-safe).
 */
#ifndef NETNS_NFT_H
#define NETNS_NFT_H

#include "../common/err.h"

/* Run `ruleset` (nft syntax, several commands allowed) atomically.  On
 * failure `err` carries libnftables' own error text. */
int nft_apply(const char *ruleset, struct icl_err *err);

#endif
