/* link.h - links, addresses and routes through libnl-route-3.
 *
 * Every call acts on the network namespace the netlink socket was opened
 * in (link_sock_open() opens it in the calling thread's namespace).  The
 * socket is owned by the caller and closed with link_sock_close().
 */
#ifndef NETNS_LINK_H
#define NETNS_LINK_H

#include "plan.h"

struct nl_sock;

int link_sock_open(struct nl_sock **sk, struct icl_err *err);
void link_sock_close(struct nl_sock *sk);

/* Create a veth pair: `name` here, `peer` in the namespace `peer_ns_fd`.
 * Both ends are left down; `mtu` 0 keeps the kernel default. */
int link_veth_add(struct nl_sock *sk, const char *name, const char *peer, int peer_ns_fd,
		  unsigned mtu, struct icl_err *err);

/* Bring link `name` up; `*ifindex` (may be NULL) receives its index. */
int link_up(struct nl_sock *sk, const char *name, int *ifindex, struct icl_err *err);

/* Wait until link `name` is ready, at most `timeout_ms`: running (carrier
 * up, processed by the kernel's link watcher) and with its IPv6 link-local
 * address.  Both happen asynchronously after the link is set up; before,
 * the device drops packets or IPv6 has no route to answer a neighbour
 * solicitation, and the neighbour retry comes only a second later. */
int link_wait_running(struct nl_sock *sk, const char *name, unsigned timeout_ms,
		      struct icl_err *err);

/* Add `p` to the link `ifindex`, IPv6 without duplicate address detection. */
int link_addr_add(struct nl_sock *sk, int ifindex, const struct topo_prefix *p,
		  struct icl_err *err);

/* Add `r`; `ifindex` is the device (0: let the kernel choose from `via`). */
int link_route_add(struct nl_sock *sk, const struct topo_route *r, int ifindex,
		   struct icl_err *err);

#endif
