/* nat64.h - NAT64 (RFC 6146) and 464XLAT's CLAT (RFC 6877) with TAYGA.
 *
 * A router with `nat64` runs TAYGA (stateless, RFC 7915) on a tun device
 * "nat64": IPv6 packets to the /96 prefix are translated, their IPv6
 * source drawn a private IPv4 address from the pool (one per IPv6 host,
 * kept two hours), and a NAT44 (netns/nat.c, with the configured RFC 4787
 * behaviours) maps the pool to the router's IPv4 address on `outside`.
 * The pair is a stateful NAT64 whose IPv4 side behaves as configured.
 *
 * A node with `clat` runs TAYGA on a tun "clat": the node gets the private
 * IPv4 address ipv4/32 with the IPv4 default route on the tun, and TAYGA
 * maps ipv4 statically to the IPv6 address ipv6, and every other IPv4
 * address into the prefix.  ipv6 is routed to the tun (a /128 route) and,
 * when it lies in a prefix of one of the node's links, answered for on
 * that link by proxy NDP; otherwise the network must route it to the node.
 * The node forwards IPv6 (the tun's packets leave through its links).
 *
 * TAYGA's configuration and log go to the directory the engine gives
 * (topo_dir()); TAYGA runs as a service (svc.h) and dies with the thread
 * that called topo_up().
 *
 * Threads: nat64_up() from topo_up()'s calling thread; no global state.
 */
#ifndef NETNS_NAT64_H
#define NETNS_NAT64_H

#include <stdbool.h>

#include "plan.h"

#define NAT64_PREFIX_DEFAULT "2001:db8:64::"
#define NAT64_PLEN 96u                    /* the only length TAYGA's RFC 6052
					   * mapping is used with here */
#define NAT64_WKP "64:ff9b::"             /* RFC 6052 well-known prefix: refused */
#define NAT64_POOL_DEFAULT "10.255.0.0"
#define NAT64_POOL_PLEN_DEFAULT 24u
#define NAT64_POOL_PLEN_MIN 8u
#define NAT64_POOL_PLEN_MAX 30u            /* TAYGA: /31 at most, base reserved */
#define CLAT_IPV4_DEFAULT "10.200.0.1"
#define CLAT_HOST_ID 0x0464u               /* default ipv6: node's prefix + ::464 */
#define CLAT_TAYGA_IPV4 "192.0.0.2"        /* TAYGA's own address in a CLAT
					    * (RFC 7335 range); .3 if taken */

/* Check node `n`'s nat64 and clat against the plan (called by
 * topo_plan_validate()).  Fails with "FILE:LINE:COL: FIELD: reason" and
 * ICL_EINPUT. */
int nat64_validate(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err);

/* Whether some node of the plan has nat64 or clat (TAYGA to run). */
bool nat64_in_plan(const struct topo_plan *p);

/* The NAT44 of a nat64: the pool, from the tun "nat64", to `outside`. */
void nat64_nat44(const struct topo_nat64 *x, struct topo_nat *out);

/* The IPv6 address node `n`'s CLAT uses (given or default); false when
 * none can be derived (no IPv6 address of length <= 112 on the node). */
bool nat64_clat_ipv6(const struct topo_plan *p, const struct topo_node *n, unsigned char out[16]);

/* Whether probe `pr` targets an address in the prefix of some router's
 * nat64 (IPv6, explicit `addr`); then `v4` gets the IPv4 address the
 * target embeds, where the probe's echo socket belongs. */
bool nat64_probe_target(const struct topo_plan *p, const struct topo_probe *pr,
			unsigned char v4[4]);

struct nat64_set;

/* Start TAYGA for every nat64 and clat of `p` and configure its tun.
 * ns_fds[i] and rtnl_fds[i] are node i's namespace and an rtnetlink
 * socket in it (both stay the caller's); `dir` is an existing private
 * directory.  *out is NULL when the plan has none.  On failure nothing is
 * left running and err quotes TAYGA's log. */
int nat64_up(const struct topo_plan *p, const int *ns_fds, const int *rtnl_fds, const char *dir,
	     struct nat64_set **out, struct icl_err *err);

/* Stop every TAYGA of the set and free it.  NULL is allowed. */
void nat64_down(struct nat64_set *s);

/* Whether one of the set's TAYGA processes has ended since it started (it is
 * reaped); `why` (may be NULL) then names it and says how (svc_ended()).
 * NULL is allowed (false).  From the thread that owns the set. */
bool nat64_ended(const struct nat64_set *s, char *why, size_t cap);

#endif
