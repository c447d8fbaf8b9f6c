/* netcut.c - see netcut.h. */
#include "netcut.h"

#include <stdio.h>
#include <sys/socket.h>

#include "../netns/nft.h"

/* One table per link end and family (`ip` and `ip6` tables have separate
 * names), named after the link so that two cut links of a node do not
 * share one.  Creating a table that exists and deleting one that does
 * not are both fine, so cuts and restores are idempotent. */
static void render(const struct topo_link *l, const struct topo_end *e, int family, bool up,
		   char *rules, size_t size)
{
	const char *fam = family == AF_INET6 ? "ip6" : "ip";
	/* Neighbour discovery passes: a one-way cut must stay one-way. */
	const char *nd = family != AF_INET6 ? "" :
		"    icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit,"
		" nd-neighbor-advert, nd-redirect } accept\n";

	if (up)
		snprintf(rules, size, "table %s icelab_cut_%s {}\ndelete table %s icelab_cut_%s\n",
			 fam, l->name, fam, l->name);
	else
		snprintf(rules, size,
			 "table %s icelab_cut_%s {\n"
			 "  chain in { type filter hook prerouting priority %d; policy accept;\n"
			 "%s    iifname \"%s\" drop\n  }\n}\n",
			 fam, l->name, NETCUT_PRIORITY, nd, e->ifname);
}

static int apply_end(const struct topo *t, const struct topo_link *l, const struct topo_end *e,
		     int family, bool up, struct icl_err *err)
{
	const char *what = up ? "restoring" : "cutting";
	const char *fam = family == AF_INET6 ? "ipv6" : "ipv4";
	char rules[768];
	struct icl_err leave;
	int rc;

	render(l, e, family, up, rules, sizeof(rules));
	if ((rc = topo_enter(t, e->node, err)) < 0)
		return icl_err_wrap(err, "%s %s on link %s at node %s", what, fam, l->name,
				    e->node);
	rc = nft_apply(rules, err);
	if (topo_leave(t, &leave) < 0 && rc == 0) {
		*err = leave;
		rc = leave.code;
	}
	if (rc < 0)
		return icl_err_wrap(err, "%s %s on link %s at node %s", what, fam, l->name,
				    e->node);
	return 0;
}

int netcut_set(const struct topo *t, const char *link, struct netcut_part part, bool up,
	       struct icl_err *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const struct topo_link *l = topo_plan_link(topo_plan(t), link);
	unsigned ends = part.ends ? part.ends : NETCUT_AT_A | NETCUT_AT_B;
	int rc = 0;

	if (l == NULL)
		return icl_err_set(err, ICL_EINPUT, "link %s: not in the topology", link);
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (!(ends & (1u << i)))
			continue;
		for (int f = 0; f < 2 && rc == 0; f++)
			if (part.family == 0 || part.family == families[f])
				rc = apply_end(t, l, &l->end[i], families[f], up, err);
	}
	return rc;
}

const char *netcut_direction_name(unsigned ends)
{
	ends &= NETCUT_AT_A | NETCUT_AT_B;
	return ends == NETCUT_AT_B ? "a-to-b" : ends == NETCUT_AT_A ? "b-to-a" : "both";
}

const char *netcut_family_name(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "both";
}
