/* nat.c - nftables text for an RFC 4787 NAT (NAT44 and NAT66).
 *
 * Linux nf_nat alone does not give the nine RFC 4787 behaviours: without
 * flags it keeps the source port whenever the resulting tuple is unique,
 * which looks endpoint-independent by accident, and it filters like a
 * port-restricted cone because only conntrack lets packets in.  So the
 * ruleset keeps its own state in dynamic sets and maps, learnt AFTER the
 * source NAT has been applied (postrouting, priority srcnat + 100), where
 * the packet shows the external endpoint and conntrack still knows the
 * internal one:
 *
 *   emap   mapping state: internal endpoint [. remote addr] -> external
 *          port (EIM; ADM adds the remote address to the key; APDM needs
 *          none, conntrack is per 5-tuple already);
 *   eps    internal endpoints that already own a mapping (ADM, APDM with
 *          port preservation: only their first mapping keeps the port);
 *   paddr/pport  external port -> internal address / port: inbound map
 *          for EIF and the hairpinning target; `used` holds their keys;
 *   faddr/fport  external port . remote addr -> internal endpoint (ADF);
 *
 * all with the mapping lifetime as timeout, refreshed by `update` on every
 * packet that uses the mapping.  New outbound flows consult them in chain
 * out_new; new inbound flows are DNATed through them, and every other new
 * TCP/UDP flow towards the external address is dropped.  IPv6 keys hold
 * hashes instead of addresses (NAT_HASH_MOD explains the nft bug).
 * docs/nat-design.md records how each behaviour was verified.
 */
#include "nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything a family-specific emitter needs. */
struct nat_gen {
	FILE *f;
	const struct topo_nat *nat;
	const char *fam;          /* "ip" or "ip6": table family and the
				   * payload/ct expression prefix alike */
	const char *atype;        /* "ipv4_addr" or "ipv6_addr" */
	char ext[INET6_ADDRSTRLEN];       /* external address */
	char ext_to[INET6_ADDRSTRLEN + 2]; /* same, bracketed for v6 ports */
	const char *lan;
	const char *wan;
	unsigned life;
	unsigned index;
	bool v6hash;              /* IPv6: addresses in map keys as hashes */
	/* The state this behaviour reads (nat_gen_needs()); nothing else is
	 * emitted, because every dynamic set costs a hash table at load and
	 * its update a lookup on every packet of every mapped flow. */
	bool emap, eps, inbound, used, fmap;
	bool dnats;               /* pre DNATs some flows: learn_in needed */
};

/* nft 1.0.6 mis-allocates registers for dynamic updates with IPv6
 * addresses in the key: it aborts (netlink_gen_expr: `dreg < reg_low')
 * or, worse, lets the data overwrite bytes 4-5 of the key's address, so
 * lookups never match (both measured).  IPv6 keys therefore hold
 * jhash(addresses) mod 2^32-1 instead, and since a jhash inside a lookup
 * key also aborts, lookups carry it in the packet mark. */
#define NAT_HASH_MOD "4294967295 seed 0x1ce1ab" /* fixed seed: lookup and update must agree */
/* Conntrack label bit that marks a hairpinned flow (pre -> post). */
#define NAT_HAIRPIN_LABEL 127

/* The three expressions that name a flow's endpoints from conntrack. */
struct nat_ends {
	const char *dir;    /* direction whose source is the internal host */
	const char *rdir;   /* direction whose source is the remote host */
	const char *raddr;  /* "saddr" or "daddr" in rdir */
};

unsigned nat_udp_lifetime(const struct topo_nat *nat)
{
	return nat->udp_lifetime_s ? nat->udp_lifetime_s : NAT_DEFAULT_UDP_LIFETIME_S;
}

unsigned nat_max_mappings(const struct topo_nat *nat)
{
	return nat->max_mappings ? nat->max_mappings : NAT_DEFAULT_MAPPINGS;
}

/* nft takes interface names as quoted strings; refuse what could break
 * out of the quotes rather than escaping it. */
static int nat_check_ifname(const char *name, const char *what, struct icl_err *err)
{
	size_t i, n;

	if (name == NULL || name[0] == '\0')
		return icl_err_set(err, ICL_EINPUT, "NAT: %s interface name is empty", what);
	n = strlen(name);
	if (n >= TOPO_IFNAME_MAX)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT: %s interface name '%s' is longer than %d characters",
				   what, name, TOPO_IFNAME_MAX - 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '/')
			return icl_err_set(err, ICL_EINPUT,
					   "NAT: %s interface name '%s' has a character nft cannot quote",
					   what, name);
	}
	return 0;
}

/* Short RFC 4787 names; also the comment line of each table. */
static const char *nat_behaviour_abbr(enum topo_behaviour b)
{
	switch (b) {
	case TOPO_ENDPOINT_INDEPENDENT: return "endpoint-independent";
	case TOPO_ADDRESS_DEPENDENT: return "address-dependent";
	case TOPO_ADDRESS_AND_PORT_DEPENDENT: return "address-and-port-dependent";
	}
	return NULL;
}

static int nat_check_behaviour(const struct topo_nat *nat, enum topo_behaviour b,
			       const char *what, struct icl_err *err)
{
	if (nat_behaviour_abbr(b) != NULL)
		return 0;
	return icl_err_set(err, ICL_EINPUT, "NAT %s -> %s: unknown %s behaviour %d",
			   nat->inside, nat->outside, what, (int)b);
}

static int nat_check(const struct topo_nat *nat, const struct nat_ifaces *ifs,
		     struct icl_err *err)
{
	int rc;

	if ((rc = nat_check_ifname(ifs->inside_if, "inside", err)) != 0 ||
	    (rc = nat_check_ifname(ifs->outside_if, "outside", err)) != 0)
		return rc;
	if (strcmp(ifs->inside_if, ifs->outside_if) == 0)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: inside and outside are the same interface '%s'",
				   nat->inside, nat->outside, ifs->inside_if);
	if ((rc = nat_check_behaviour(nat, nat->mapping, "mapping", err)) != 0 ||
	    (rc = nat_check_behaviour(nat, nat->filtering, "filtering", err)) != 0)
		return rc;
	if (nat->families == 0 || (nat->families & ~TOPO_FAM_ALL) != 0)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: families 0x%x must be IPv4, IPv6 or both",
				   nat->inside, nat->outside, nat->families);
	if ((nat->families & TOPO_FAM_V4) && ifs->ext4 == NULL)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: IPv4 NAT needs an IPv4 address on the outside interface '%s', which has none",
				   nat->inside, nat->outside, ifs->outside_if);
	if ((nat->families & TOPO_FAM_V6) && ifs->ext6 == NULL)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: IPv6 NAT needs an IPv6 address on the outside interface '%s', which has none",
				   nat->inside, nat->outside, ifs->outside_if);
	if (nat->udp_lifetime_s > NAT_MAX_UDP_LIFETIME_S)
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: UDP mapping lifetime %us exceeds the maximum %us",
				   nat->inside, nat->outside, nat->udp_lifetime_s,
				   NAT_MAX_UDP_LIFETIME_S);
	if (nat->max_mappings != 0 &&
	    (nat->max_mappings < NAT_MIN_MAPPINGS || nat->max_mappings > NAT_MAX_MAPPINGS))
		return icl_err_set(err, ICL_EINPUT,
				   "NAT %s -> %s: %u mappings is outside %u..%u", nat->inside,
				   nat->outside, nat->max_mappings, NAT_MIN_MAPPINGS,
				   NAT_MAX_MAPPINGS);
	return 0;
}

/* paddr/pport are read by EIF's and hairpinning's DNAT, `used` by port
 * preservation, faddr/fport by ADF's DNAT; APDF without hairpinning
 * DNATs nothing, and then no reply can carry `ct status dnat`. */
static void nat_gen_needs(struct nat_gen *g)
{
	const struct topo_nat *nat = g->nat;

	g->emap = nat->mapping != TOPO_ADDRESS_AND_PORT_DEPENDENT;
	g->eps = nat->port_preservation && nat->mapping != TOPO_ENDPOINT_INDEPENDENT;
	g->inbound = nat->filtering == TOPO_ENDPOINT_INDEPENDENT || nat->hairpinning;
	g->used = nat->port_preservation;
	g->fmap = nat->filtering == TOPO_ADDRESS_DEPENDENT;
	g->dnats = g->inbound || g->fmap;
}

/* A dynamic set/map whose elements expire after the mapping lifetime.
 * The size is explicit: nft's default (65535) makes the kernel spend
 * about 10 ms setting each one up, more than the whole topology.  When a
 * set is full, `update` fails and its rule stops there; the next rule
 * runs, so a flow is still translated, only not remembered. */
static void nat_emit_dyn(const struct nat_gen *g, const char *kind, const char *name,
			 const char *type)
{
	fprintf(g->f, "\t%s %s {\n\t\ttype %s\n\t\tsize %u\n\t\tflags dynamic,timeout\n"
		"\t\ttimeout %us\n\t}\n", kind, name, type, nat_max_mappings(g->nat), g->life);
}

static void nat_emit_state(const struct nat_gen *g)
{
	const char *a = g->atype;
	/* IPv6 keys carry hashes instead of addresses (see NAT_HASH_MOD). */
	const char *k = g->v6hash ? "mark" : a;
	char type[160];

	/* Conntrack must not forget a UDP flow before the mapping expires,
	 * else APDM mappings (which live in conntrack only) die early. */
	fprintf(g->f, "\tct timeout udp_life {\n\t\tprotocol udp\n\t\tl3proto %s\n"
		"\t\tpolicy = { unreplied : %u, replied : %u }\n\t}\n",
		g->fam, g->life, g->life);
	if (g->emap && (g->nat->mapping == TOPO_ENDPOINT_INDEPENDENT || g->v6hash)) {
		snprintf(type, sizeof(type), "inet_proto . inet_service . %s : inet_service", k);
		nat_emit_dyn(g, "map", "emap", type);
	} else if (g->emap) {
		snprintf(type, sizeof(type),
			 "inet_proto . inet_service . %s . %s : inet_service", a, a);
		nat_emit_dyn(g, "map", "emap", type);
	}
	if (g->eps) {
		snprintf(type, sizeof(type), "inet_proto . inet_service . %s", a);
		nat_emit_dyn(g, "set", "eps", type);
	}
	if (g->inbound) {
		snprintf(type, sizeof(type), "inet_proto . inet_service : %s", a);
		nat_emit_dyn(g, "map", "paddr", type);
		nat_emit_dyn(g, "map", "pport", "inet_proto . inet_service : inet_service");
	}
	/* nft cannot test membership in a map, hence a set of the keys. */
	if (g->used)
		nat_emit_dyn(g, "set", "used", "inet_proto . inet_service");
	if (g->fmap) {
		snprintf(type, sizeof(type), "inet_proto . inet_service . %s : %s", k, a);
		nat_emit_dyn(g, "map", "faddr", type);
		snprintf(type, sizeof(type), "inet_proto . inet_service . %s : inet_service", k);
		nat_emit_dyn(g, "map", "fport", type);
	}
}

static void nat_emit_chain_head(const struct nat_gen *g, const char *name, const char *type,
				const char *hook, const char *prio)
{
	fprintf(g->f, "\tchain %s {\n\t\ttype %s hook %s priority %s; policy accept;\n",
		name, type, hook, prio);
}

/* Unsolicited inbound flows: only EIF and ADF let some in, via the maps;
 * APDF relies on conntrack, which already passes replies. */
static void nat_emit_pre(const struct nat_gen *g)
{
	const char *f = g->fam;

	nat_emit_chain_head(g, "pre", "nat", "prerouting", "dstnat");
	if (g->nat->filtering == TOPO_ENDPOINT_INDEPENDENT)
		fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } "
			"dnat %s to meta l4proto . th dport map @paddr : meta l4proto . th dport map @pport\n",
			g->wan, f, g->ext, f);
	else if (g->nat->filtering == TOPO_ADDRESS_DEPENDENT && !g->v6hash)
		fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } "
			"dnat %s to meta l4proto . th dport . %s saddr map @faddr : "
			"meta l4proto . th dport . %s saddr map @fport\n", g->wan, f, g->ext, f, f, f);
	else if (g->nat->filtering == TOPO_ADDRESS_DEPENDENT) {
		fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } "
			"meta mark set jhash %s saddr mod %s\n", g->wan, f, g->ext, f, NAT_HASH_MOD);
		fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } "
			"dnat %s to meta l4proto . th dport . meta mark map @faddr : "
			"meta l4proto . th dport . meta mark map @fport\n", g->wan, f, g->ext, f);
	}
	/* Hairpinning: inside -> own external endpoint reaches its owner,
	 * whatever the filtering (see docs/nat-design.md). */
	if (g->nat->hairpinning)
		fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } ct label set %d "
			"dnat %s to meta l4proto . th dport map @paddr : meta l4proto . th dport map @pport\n",
			g->lan, f, g->ext, NAT_HAIRPIN_LABEL, f);
	fprintf(g->f, "\t}\n");
}

static void nat_emit_post(const struct nat_gen *g)
{
	const char *f = g->fam;

	/* iifname restricts NAT to forwarded inside traffic: the router's
	 * own packets have no input interface and keep their source. */
	nat_emit_chain_head(g, "post", "nat", "postrouting", "srcnat");
	fprintf(g->f, "\t\tiifname \"%s\" oifname \"%s\" meta l4proto { tcp, udp } jump out_new\n",
		g->lan, g->wan);
	/* A hairpinned packet leaves where it came in, and then postrouting
	 * does not see its input interface (measured): pre labels the flow. */
	if (g->nat->hairpinning)
		fprintf(g->f, "\t\toifname \"%s\" ct label %d ct original %s daddr %s "
			"meta l4proto { tcp, udp } jump out_new\n", g->lan, NAT_HAIRPIN_LABEL, f, g->ext);
	/* ICMP and other protocols: default conntrack behaviour. */
	fprintf(g->f, "\t\tiifname \"%s\" oifname \"%s\" snat %s to %s\n\t}\n",
		g->lan, g->wan, f, g->ext);
}

/* EIM/ADM: reuse the mapping of the internal endpoint (ADM: and of the
 * remote address).  The remote is read from conntrack so that a
 * hairpinned flow (already DNATed) is keyed by the external address it
 * was sent to.  IPv6 keys a hash carried in the packet mark (see
 * NAT_HASH_MOD). */
static void nat_emit_map_lookup(const struct nat_gen *g)
{
	const char *f = g->fam;
	bool adm = g->nat->mapping == TOPO_ADDRESS_DEPENDENT;

	if (g->v6hash) {
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } meta mark set jhash %s saddr%s%s%s mod %s\n",
			f, adm ? " . ct original " : "", adm ? f : "", adm ? " daddr" : "",
			NAT_HASH_MOD);
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } snat %s to %s : meta l4proto . "
			"th sport . meta mark map @emap\n", f, g->ext_to);
	} else if (adm) {
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } snat %s to %s : meta l4proto . "
			"th sport . ct original %s daddr . %s saddr map @emap\n", f, g->ext_to, f, f);
	} else {
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } snat %s to %s : "
			"meta l4proto . th sport . %s saddr map @emap\n", f, g->ext_to, f);
	}
}

/* Choose the external endpoint of a new outbound TCP/UDP flow. */
static void nat_emit_out_new(const struct nat_gen *g)
{
	const struct topo_nat *nat = g->nat;
	const char *f = g->fam;

	fprintf(g->f, "\tchain out_new {\n");
	if (nat->mapping != TOPO_ADDRESS_AND_PORT_DEPENDENT)
		nat_emit_map_lookup(g);
	if (nat->port_preservation) {
		/* First mapping of the endpoint and its port is free: plain
		 * snat keeps the port (nf_nat keeps a unique tuple as is). */
		fprintf(g->f, "\t\t");
		if (g->eps)
			fprintf(g->f, "meta l4proto . th sport . %s saddr != @eps ", f);
		fprintf(g->f, "meta l4proto . th sport != @used snat %s to %s\n", f, g->ext);
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } snat %s to %s:1024-65535 random\n", f, g->ext_to);
	} else {
		/* Disjoint halves: the external port can never equal the
		 * internal one.  `random` keeps nf_nat from reusing another
		 * mapping of the same endpoint (its find_appropriate_src). */
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } th sport 1-32767 snat %s to %s:32768-65535 random\n",
			f, g->ext_to);
		fprintf(g->f, "\t\tmeta l4proto { tcp, udp } snat %s to %s:1024-32767 random\n", f, g->ext_to);
	}
	fprintf(g->f, "\t}\n");
}

/* One dynamic update; `value` NULL for a set.  ct proto-src needs the
 * protocol match in the same rule. */
static void nat_emit_update(const struct nat_gen *g, const char *set, const char *key,
			    const char *value)
{
	fprintf(g->f, "\t\tmeta l4proto { tcp, udp } update @%s { %s%s%s }\n", set, key,
		value ? " : " : "", value ? value : "");
}

/* Record the mapping a packet just used.  The internal endpoint is read
 * from conntrack (direction e->dir), the external one from the packet,
 * which srcnat has already rewritten. */
static void nat_emit_learn_rules(const struct nat_gen *g, const char *name,
				 const struct nat_ends *e)
{
	const char *f = g->fam;
	char in[128], remote[48], iaddr[48], iport[48], key[256];

	snprintf(iaddr, sizeof(iaddr), "ct %s %s saddr", e->dir, f);
	snprintf(iport, sizeof(iport), "ct %s proto-src", e->dir);
	snprintf(in, sizeof(in), "meta l4proto . %s . %s", iport, iaddr);
	snprintf(remote, sizeof(remote), "ct %s %s %s", e->rdir, f, e->raddr);
	fprintf(g->f, "\tchain %s {\n", name);
	if (g->emap) {
		bool adm = g->nat->mapping == TOPO_ADDRESS_DEPENDENT;

		if (g->v6hash)
			snprintf(key, sizeof(key), "meta l4proto . %s . jhash %s%s%s mod %s", iport,
				 iaddr, adm ? " . " : "", adm ? remote : "", NAT_HASH_MOD);
		else
			snprintf(key, sizeof(key), "meta l4proto . %s . %s%s%s", iport,
				 adm ? remote : "", adm ? " . " : "", iaddr);
		nat_emit_update(g, "emap", key, "th sport");
	}
	if (g->eps)
		nat_emit_update(g, "eps", in, NULL);
	if (g->inbound) {
		nat_emit_update(g, "paddr", "meta l4proto . th sport", iaddr);
		nat_emit_update(g, "pport", "meta l4proto . th sport", iport);
	}
	if (g->used)
		nat_emit_update(g, "used", "meta l4proto . th sport", NULL);
	if (g->fmap) {
		if (g->v6hash)
			snprintf(key, sizeof(key), "meta l4proto . th sport . jhash %s mod %s",
				 remote, NAT_HASH_MOD);
		else
			snprintf(key, sizeof(key), "meta l4proto . th sport . %s", remote);
		nat_emit_update(g, "faddr", key, iaddr);
		nat_emit_update(g, "fport", key, iport);
	}
	fprintf(g->f, "\t}\n");
}

static void nat_emit_learn(const struct nat_gen *g)
{
	static const struct nat_ends out = { "original", "original", "daddr" };
	static const struct nat_ends in = { "reply", "original", "saddr" };
	const char *f = g->fam;

	/* APDM and APDF without port preservation or hairpinning: conntrack
	 * alone is the NAT's state. */
	if (!g->emap && !g->eps && !g->inbound && !g->used && !g->fmap)
		return;
	/* srcnat + 100: after the translation, so saddr is external. */
	nat_emit_chain_head(g, "learn", "filter", "postrouting", "srcnat + 100");
	/* ct status, not iifname: hairpinned packets show no input
	 * interface here.  The router's own packets are never translated. */
	fprintf(g->f, "\t\t%s saddr %s meta l4proto { tcp, udp } ct direction original "
		"ct status snat jump learn_out\n", f, g->ext);
	/* Replies of flows let in by EIF/ADF or hairpinning refresh too. */
	if (g->dnats)
		fprintf(g->f, "\t\t%s saddr %s meta l4proto { tcp, udp } ct direction reply "
			"ct status dnat jump learn_in\n", f, g->ext);
	fprintf(g->f, "\t}\n");
	nat_emit_learn_rules(g, "learn_out", &out);
	if (g->dnats)
		nat_emit_learn_rules(g, "learn_in", &in);
}

/* Drops that make the NAT a NAT: nothing new enters from outside unless
 * a map DNATed it, and without hairpinning nothing from inside reaches
 * the external address (with it, only mapped ports do, via pre). */
static void nat_emit_guards(const struct nat_gen *g)
{
	const char *f = g->fam;

	nat_emit_chain_head(g, "guard_fwd", "filter", "forward", "filter");
	fprintf(g->f, "\t\tiifname \"%s\" oifname \"%s\" ct state new %sdrop\n\t}\n",
		g->wan, g->lan, g->dnats ? "ct status & dnat == 0 " : "");
	nat_emit_chain_head(g, "guard_in", "filter", "input", "filter");
	fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } ct state new drop\n",
		g->wan, f, g->ext);
	fprintf(g->f, "\t\tiifname \"%s\" %s daddr %s meta l4proto { tcp, udp } ct state new drop\n\t}\n",
		g->lan, f, g->ext);
	/* Simultaneous open: a flow let in while the inside host's own flow
	 * to that peer was not yet confirmed has the mirror tuple, and nf_nat
	 * keeps tuples unique by giving the inbound flow another source
	 * port: the host would see the peer at a port it never used (and
	 * learn a bogus mapping of its own from the peer's answer).  No NAT
	 * of RFC 4787 rewrites a remote's port, so the packet is dropped, as
	 * one that came a moment too early; the peer's next one is a reply
	 * of the confirmed flow.  After srcnat, where that port was chosen;
	 * by source address, as postrouting has no input interface: a
	 * hairpinned flow, also DNATed and SNATed, leaves from EXT. */
	if (g->dnats) {
		nat_emit_chain_head(g, "guard_post", "filter", "postrouting", "srcnat + 50");
		fprintf(g->f, "\t\toifname \"%s\" %s saddr != %s ct direction original "
			"ct status & (dnat | snat) == dnat | snat drop\n\t}\n", g->lan, f, g->ext);
	}
	/* After conntrack (-200), before confirmation: new UDP flows of
	 * the NAT get the mapping lifetime. */
	nat_emit_chain_head(g, "ctlife", "filter", "prerouting", "filter");
	fprintf(g->f, "\t\tiifname { \"%s\", \"%s\" } meta l4proto udp ct state new "
		"ct timeout set \"udp_life\"\n\t}\n", g->lan, g->wan);
}

static void nat_emit_table(const struct nat_gen *g)
{
	const struct topo_nat *nat = g->nat;

	fprintf(g->f, "# %s NAT %s -> %s: mapping %s, filtering %s, hairpinning %s, "
		"port preservation %s, UDP lifetime %us\n",
		strcmp(g->fam, "ip") == 0 ? "IPv4" : "IPv6", nat->inside, nat->outside,
		nat_behaviour_abbr(nat->mapping), nat_behaviour_abbr(nat->filtering),
		nat->hairpinning ? "on" : "off", nat->port_preservation ? "on" : "off",
		g->life);
	fprintf(g->f, "table %s %s%u {\n", g->fam, NAT_TABLE_PREFIX, g->index);
	nat_emit_state(g);
	/* Without a DNAT rule the chain would be empty; replies are still
	 * translated back (nf_nat hooks every NAT hook point once the family
	 * has any NAT chain). */
	if (g->dnats)
		nat_emit_pre(g);
	nat_emit_post(g);
	nat_emit_out_new(g);
	nat_emit_learn(g);
	nat_emit_guards(g);
	fprintf(g->f, "}\n");
}

static void nat_gen_family(struct nat_gen *g, int af, const unsigned char *ext)
{
	g->fam = af == AF_INET ? "ip" : "ip6";
	g->atype = af == AF_INET ? "ipv4_addr" : "ipv6_addr";
	g->v6hash = af == AF_INET6;
	nat_gen_needs(g);
	inet_ntop(af, ext, g->ext, sizeof(g->ext));
	snprintf(g->ext_to, sizeof(g->ext_to), af == AF_INET ? "%s" : "[%s]", g->ext);
	nat_emit_table(g);
}

int nat_ruleset(const struct topo_nat *nat, const struct nat_ifaces *ifs,
		unsigned index, char **text, struct icl_err *err)
{
	struct nat_gen g;
	size_t len = 0;
	int rc;

	if (text == NULL || nat == NULL || ifs == NULL)
		return icl_err_set(err, -EINVAL, "nat_ruleset: NULL argument");
	*text = NULL;
	if ((rc = nat_check(nat, ifs, err)) != 0)
		return rc;
	memset(&g, 0, sizeof(g));
	g.nat = nat;
	g.lan = ifs->inside_if;
	g.wan = ifs->outside_if;
	g.life = nat_udp_lifetime(nat);
	g.index = index;
	g.f = open_memstream(text, &len);
	if (g.f == NULL)
		return icl_err_set(err, -errno, "nat_ruleset: open_memstream: %s", strerror(errno));
	if (nat->families & TOPO_FAM_V4)
		nat_gen_family(&g, AF_INET, ifs->ext4);
	if (nat->families & TOPO_FAM_V6)
		nat_gen_family(&g, AF_INET6, ifs->ext6);
	if (ferror(g.f) || fclose(g.f) != 0) {
		free(*text);
		*text = NULL;
		return icl_err_set(err, -ENOMEM, "nat_ruleset: out of memory rendering NAT %s -> %s",
				   nat->inside, nat->outside);
	}
	return 0;
}
