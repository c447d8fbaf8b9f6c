/* plan.h - a topology plan: what netns/ is asked to build.
 *
 * A plan is plain data.  The scenario loader (harness/scenario.c) fills one
 * from the `topology:` section of a scenario file; tests may fill one in
 * code.  Names refer to each other (a link end names a node, a NAT names
 * links), so a plan must pass topo_plan_validate() before topo_up() is
 * given it; validation never touches the kernel.
 *
 * Ownership: the arrays and `file` are heap memory owned by the plan and
 * released by topo_plan_free().  Everything else is inline.
 */
#ifndef TOPO_PLAN_H
#define TOPO_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define TOPO_NAME_MAX 32   /* node and link names, NUL included */
#define TOPO_IFNAME_MAX 16 /* IFNAMSIZ */
#define TOPO_ADDR_MAX 8    /* addresses per link end */
#define TOPO_PORTS_MAX 16  /* ports per filter rule */

#define TOPO_FAM_V4 1u
#define TOPO_FAM_V6 2u
#define TOPO_FAM_ALL (TOPO_FAM_V4 | TOPO_FAM_V6)

/* Where an element came from in the scenario file; line 0 = not from a file. */
struct topo_src {
	unsigned line;
	unsigned col;
};

struct topo_prefix {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network byte order; IPv4 uses addr[0..3] */
	unsigned plen;
	struct topo_src src;
};

struct topo_end {
	char node[TOPO_NAME_MAX];
	char ifname[TOPO_IFNAME_MAX]; /* interface name inside the node */
	struct topo_prefix addr[TOPO_ADDR_MAX];
	size_t n_addr;
	struct topo_src src;
};

/* Impairment of the packets that one end of a link sends (netns/impair.h;
 * `links.NAME.impair.a|b` in a scenario file).  Zero: not impaired. */
struct topo_impair {
	bool set;                   /* this direction is impaired */
	unsigned delay_ms;
	unsigned jitter_ms;         /* uniform in [-jitter, +jitter] */
	double loss, reorder, duplicate; /* probabilities in [0, 1] */
	uint64_t rate_bps;          /* IP bits per second; 0: unlimited */
	uint32_t queue_bytes;       /* the rate's queue; 0: the default */
	uint32_t burst_bytes;       /* the rate's token bucket depth */
	struct topo_src src;
};

struct topo_link {
	char name[TOPO_NAME_MAX];
	struct topo_end end[2];
	unsigned mtu; /* 0: kernel default */
	struct topo_src src;
	struct topo_impair impair[2]; /* what end[i] sends */
	bool has_impair_seed;         /* else the run's seed (topo_up_seeded) */
	uint64_t impair_seed;
};

struct topo_route {
	struct topo_prefix dst;    /* plen 0: the default route of dst.family */
	bool has_via;
	unsigned char via[16];     /* gateway, same family as dst */
	char dev[TOPO_NAME_MAX];   /* link name; "" to let the kernel pick */
	struct topo_src src;
};

/* RFC 4787 section 4.1 (mapping) and 5 (filtering) behaviours. */
enum topo_behaviour {
	TOPO_ENDPOINT_INDEPENDENT = 0,
	TOPO_ADDRESS_DEPENDENT,
	TOPO_ADDRESS_AND_PORT_DEPENDENT,
};

struct topo_nat {
	char inside[TOPO_NAME_MAX];  /* link name on the private side */
	char outside[TOPO_NAME_MAX]; /* link name on the public side */
	enum topo_behaviour mapping;
	enum topo_behaviour filtering;
	bool hairpinning;
	bool port_preservation;
	unsigned udp_lifetime_s;     /* mapping lifetime; 0 means 120 */
	unsigned max_mappings;       /* mappings held at once; 0 means
				      * NAT_DEFAULT_MAPPINGS (nat.h) */
	unsigned families;           /* TOPO_FAM_*: which families are NATed */
	struct topo_src src;
};

enum topo_action { TOPO_DROP = 0, TOPO_ACCEPT };
enum topo_proto { TOPO_PROTO_ANY = 0, TOPO_PROTO_UDP, TOPO_PROTO_TCP, TOPO_PROTO_ICMP };

/* A packet filter rule on a node, evaluated in order, first match wins.
 * Applies to forwarded traffic and to traffic to/from the node itself.
 * Neighbour discovery and ARP are never filtered, so that dropping a
 * family in one direction never breaks the other direction. */
struct topo_filter {
	enum topo_action action;
	unsigned families;          /* TOPO_FAM_*; TOPO_FAM_ALL for any */
	enum topo_proto proto;
	char in[TOPO_NAME_MAX];     /* link the packet arrives on; "" any */
	char out[TOPO_NAME_MAX];    /* link the packet leaves on; "" any */
	uint16_t dports[TOPO_PORTS_MAX];
	size_t n_dports;            /* 0: any port */
	struct topo_src src;
};

/* A STUN/TURN server on a node (coturn's turnserver, UDP and TCP port
 * 3478; netns/turn.h).  Addresses must be the node's own. */
#define TOPO_TURN_USERS_MAX 8
#define TOPO_TURN_TEXT_MAX 64

struct topo_turn_addr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	struct topo_src src;
};

struct topo_turn_user {
	char name[TOPO_TURN_TEXT_MAX];
	char password[TOPO_TURN_TEXT_MAX];
	struct topo_src src;
};

struct topo_turn {
	struct topo_turn_addr listen[TOPO_ADDR_MAX];
	size_t n_listen;            /* 0: every address of the node */
	struct topo_turn_addr relay[TOPO_ADDR_MAX];
	size_t n_relay;             /* 0: the listening addresses */
	struct topo_turn_user users[TOPO_TURN_USERS_MAX];
	size_t n_users;             /* 0: one user icelab, password icelab */
	char realm[TOPO_TURN_TEXT_MAX]; /* "": icelab.test */
	struct topo_src src;
};

/* A DNS64 resolver (RFC 6147) on a node: unbound, started by netns/dns64.c.
 * `names` are A records it serves (and synthesizes AAAA from); it also
 * serves ipv4only.arpa (RFC 7050). */
#define TOPO_DNS_NAME_MAX 254 /* presentation form, no trailing dot, NUL included */

struct topo_dns64_name {
	char name[TOPO_DNS_NAME_MAX]; /* lower case, at least two labels */
	unsigned char addr[4];
	struct topo_src src;
};

struct topo_dns64 {
	bool has_listen;
	unsigned char listen[16];   /* IPv6; default: the node's first IPv6 address */
	struct topo_src listen_src;
	struct topo_prefix prefix;  /* NAT64 prefix; default 2001:db8:64::/96 */
	struct topo_dns64_name *names; /* heap, owned by the plan */
	size_t n_names;
	struct topo_src src;
};

/* NAT64 on a router (RFC 6146 behaviour, netns/nat64.h): TAYGA translates
 * between `inside` (IPv6) and a private IPv4 pool, and a NAT44 like
 * struct topo_nat maps the pool to the router's address on `outside`. */
#define TOPO_NAT64_TUN "nat64"      /* TAYGA's tun device in the router */
#define TOPO_CLAT_TUN "clat"        /* and in a CLAT node */

struct topo_nat64 {
	char inside[TOPO_NAME_MAX];  /* link to the IPv6-only side */
	char outside[TOPO_NAME_MAX]; /* link to the IPv4 side */
	struct topo_prefix prefix;   /* IPv6 /96; default 2001:db8:64::/96 */
	struct topo_prefix pool;     /* IPv4, /8../30; default 10.255.0.0/24 */
	enum topo_behaviour mapping; /* of the IPv4 side, as in topo_nat */
	enum topo_behaviour filtering;
	bool port_preservation;
	unsigned udp_lifetime_s;     /* 0 means 120 */
	unsigned max_mappings;       /* as in topo_nat */
	struct topo_src src;
};

/* The CLAT of 464XLAT (RFC 6877) on a host: TAYGA gives the node the
 * private IPv4 address `ipv4` (a /32 with the IPv4 default route on the
 * tun) and translates its packets to IPv6 from `ipv6` towards `prefix`. */
struct topo_clat {
	struct topo_prefix prefix;   /* the NAT64's prefix, /96 */
	unsigned char ipv4[4];       /* default 10.200.0.1 */
	bool has_ipv6;
	unsigned char ipv6[16];      /* default: the prefix of the node's
				      * first IPv6 address, host part ::464 */
	struct topo_src src;
};

struct topo_node {
	char name[TOPO_NAME_MAX];
	bool router;                /* forwards packets between its links */
	struct topo_route *routes;
	size_t n_routes;
	struct topo_nat *nat;       /* routers only */
	size_t n_nat;
	struct topo_filter *filters;
	size_t n_filters;
	struct topo_dns64 *dns64;        /* NULL: none; heap, owned by the plan */
	struct topo_turn *turn;      /* NULL: no TURN server; owned */
	struct topo_nat64 *nat64;    /* NULL: none; routers only; owned */
	struct topo_clat *clat;      /* NULL: none; owned */
	struct topo_src src;
};

/* A connectivity probe: a UDP datagram from `from` to `to`, echoed back. */
enum topo_reach {
	TOPO_REACH_UNSPECIFIED = 0, /* report only */
	TOPO_REACH_ROUND_TRIP,      /* request and echo both arrive */
	TOPO_REACH_ONE_WAY,         /* request arrives, echo is lost */
	TOPO_REACH_NONE,            /* request is lost */
};

struct topo_probe {
	char from[TOPO_NAME_MAX];
	char to[TOPO_NAME_MAX];
	int family;                 /* AF_INET or AF_INET6 */
	bool has_addr;
	unsigned char addr[16];     /* target; default: first address of `to` */
	uint16_t port;              /* target UDP port; 0: one chosen per probe */
	enum topo_reach expect;
	struct topo_src src;
};

struct topo_plan {
	char *file;                 /* scenario file, for messages; may be NULL */
	struct topo_node *nodes;
	size_t n_nodes;
	struct topo_link *links;
	size_t n_links;
	struct topo_probe *probes;
	size_t n_probes;
};

/* Check names, prefixes and references.  On failure fills `err` with one
 * line "FILE:LINE:COL: FIELD: reason" and returns ICL_EINPUT. */
int topo_plan_validate(const struct topo_plan *plan, struct icl_err *err);

/* Lookups; return NULL when absent. */
const struct topo_node *topo_plan_node(const struct topo_plan *plan, const char *name);
const struct topo_link *topo_plan_link(const struct topo_plan *plan, const char *name);

/* The end of `link` that sits on node `node`, or NULL. */
const struct topo_end *topo_link_end_on(const struct topo_link *link, const char *node);

/* First address of `family` on the end of link `link` on node `node`. */
const struct topo_prefix *topo_plan_addr(const struct topo_plan *plan, const char *node,
					 const char *link, int family);

/* Release everything the plan owns and zero it.  Safe on a zeroed plan. */
void topo_plan_free(struct topo_plan *plan);

/* For the checks of plan elements kept in other modules (nat64.c,
 * dns64.c): fill `err` with "FILE:LINE:COL: FIELD: reason" (the position
 * dropped when the plan did not come from a file, control characters of
 * user-given names replaced) and return ICL_EINPUT. */
int topo_plan_fail(const struct topo_plan *p, const struct topo_src *src, const char *field,
		   struct icl_err *err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

const char *topo_behaviour_name(enum topo_behaviour b);
const char *topo_reach_name(enum topo_reach r);

#endif
