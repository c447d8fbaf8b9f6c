/* caps.h - probes of what the kernel lets this process do with network
 * namespaces: the elements a topology is built from.
 *
 * As root every probe normally succeeds.  In rootless mode
 * (netns/sandbox.h) the process is root only of its own user namespace,
 * and the machine decides what that permits; `icelab run` asks
 * caps_tun() once before its cases start, `icelab doctor` asks them all.
 *
 * Every probe but caps_scratch() and caps_tun() acts in the calling
 * thread's network namespace, which must be a scratch namespace (never
 * the machine's own: they create links, rules and a tun there).  Each
 * leaves nothing open; what it created goes with the namespace.  On
 * failure `err` names the operation and the kernel's reason
 * ("open /dev/net/tun: Permission denied").  No state; any thread (setns
 * and unshare act on the calling thread).
 */
#ifndef NETNS_CAPS_H
#define NETNS_CAPS_H

#include "../common/err.h"

/* Create a network namespace, run `fn(arg, err)` with the calling thread
 * in it, return to the thread's namespace and drop the scratch one.
 * Returns fn's result, or an error of its own when no namespace can be
 * made or the way home fails. */
int caps_scratch(int (*fn)(void *arg, struct icl_err *err), void *arg, struct icl_err *err);

/* caps_tun_here() in a scratch namespace of its own. */
int caps_tun(struct icl_err *err);

/* A tun device, as TAYGA makes it: open /dev/net/tun, TUNSETIFF. */
int caps_tun_here(struct icl_err *err);

/* A veth pair (both ends here), brought up. */
int caps_veth(struct icl_err *err);

/* Forwarding on: net/ipv4/ip_forward and net/ipv6/conf/all/forwarding. */
int caps_sysctl(struct icl_err *err);

/* An nftables nat table with a masquerade rule (libnftables). */
int caps_nft_nat(struct icl_err *err);

/* An nftables rule matching on conntrack state. */
int caps_conntrack(struct icl_err *err);

/* A netem qdisc on lo (libnl-route-3). */
int caps_netem(struct icl_err *err);

/* What the userspace impairment (netns/impair.h) needs: its queue rules
 * (nft_compat and the xtables NFQUEUE target), a queue bound through
 * nfnetlink_queue, its statistics file, and a packet socket for
 * duplicates. */
int caps_nfqueue(struct icl_err *err);

/* A packet socket (AF_PACKET), as link captures use. */
int caps_packet(struct icl_err *err);

#endif
