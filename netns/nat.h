/* nat.h - nftables rulesets that turn a router into an RFC 4787 NAT.
 *
 * nat_ruleset() renders one `struct topo_nat` as nftables text, to be
 * loaded with nft_run_cmd_from_buffer() inside the router's network
 * namespace.  Nothing here touches the kernel: the functions are pure
 * text generators, deterministic for equal input.
 *
 * The text holds one table per NATed family, named "icl_nat<index>"
 * (family `ip` for NAT44, `ip6` for NAT66).  The text is meant for a
 * router namespace that has no such table yet (the engine builds every
 * node fresh): a "create then delete" preamble would make it reloadable,
 * but deleting a table in the transaction costs a kernel RCU grace period
 * (about 15 ms here), more than building the whole topology.
 *
 * What the engine must provide when loading (see docs/nat-design.md):
 *   - net.ipv4.ip_forward=1 / net.ipv6.conf.all.forwarding=1 in the router;
 *   - the kernel's conntrack timeout support (nft `ct timeout` objects,
 *     CONFIG_NF_CONNTRACK_TIMEOUT): the UDP mapping lifetime is carried by
 *     a `ct timeout` object, so no conntrack sysctl needs writing;
 *   - any filter table (filter.h) may be loaded before or after.
 */
#ifndef ICL_NAT_H
#define ICL_NAT_H

#include "plan.h"

#define NAT_DEFAULT_UDP_LIFETIME_S 120u
#define NAT_MAX_UDP_LIFETIME_S 86400u
#define NAT_TABLE_PREFIX "icl_nat"
/* Entries per mapping set: how many mappings one NAT holds at once.  The
 * kernel allocates each set's hash buckets for its full size when the
 * set is created and walks them when the namespace goes, so the size is
 * paid in every build: 4096 costs about 0.7 ms of CPU more than 1024 for
 * the four sets of a NAT44 (docs/topology-engine.md).  A NAT that is full
 * still translates new flows but no longer remembers them (nat.c). */
#define NAT_DEFAULT_MAPPINGS 1024u
#define NAT_MIN_MAPPINGS 16u
#define NAT_MAX_MAPPINGS 65535u

/* The router's side of one NAT, resolved from the plan by the engine. */
struct nat_ifaces {
	const char *inside_if;      /* interface on the private side */
	const char *outside_if;     /* interface on the public side */
	const unsigned char *ext4;  /* 4 bytes: router's IPv4 address on the
				     * outside link, or NULL if it has none */
	const unsigned char *ext6;  /* 16 bytes: same for IPv6, or NULL */
};

/* Render the ruleset for `nat` on the router described by `ifs`.
 * `index` tells several NATs of one router apart (table icl_nat<index>).
 *
 * On success returns 0 and stores in *text a NUL-terminated string that
 * the caller owns and releases with free().  On failure *text is NULL and
 * `err` names the cause: ICL_EINPUT for an impossible configuration (a
 * family without an external address, bad interface name, unknown
 * behaviour, lifetime or capacity out of range), -EINVAL for NULL
 * arguments, -ENOMEM. */
int nat_ruleset(const struct topo_nat *nat, const struct nat_ifaces *ifs,
		unsigned index, char **text, struct icl_err *err);

/* The effective UDP mapping lifetime of `nat`, in seconds (0 -> 120). */
unsigned nat_udp_lifetime(const struct topo_nat *nat);

/* The effective capacity of `nat`'s mapping sets (0 -> the default). */
unsigned nat_max_mappings(const struct topo_nat *nat);

#endif
