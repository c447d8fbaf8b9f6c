/* netcut.c - see netcut.h. */
#include "netcut.h"

#include <stdio.h>

#include "../netns/nft.h"

/* One table per link end, named after the link so that two cut links of a
 * node do not share one.  Creating a table that exists and deleting one
 * that does not are both fine, so cuts and restores are idempotent. */
static int apply_end(const struct topo *t, const struct topo_link *l, const struct topo_end *e,
		     bool up, struct icl_err *err)
{
	char rules[512];
	struct icl_err leave;
	int rc;

	if (up)
		snprintf(rules, sizeof(rules),
			 "table inet icelab_cut_%s {}\ndelete table inet icelab_cut_%s\n", l->name,
			 l->name);
	else
		snprintf(rules, sizeof(rules),
			 "table inet icelab_cut_%s {\n"
			 "  chain in { type filter hook prerouting priority %d; policy accept;\n"
			 "    iifname \"%s\" drop\n  }\n}\n",
			 l->name, NETCUT_PRIORITY, e->ifname);
	if ((rc = topo_enter(t, e->node, err)) < 0)
		return icl_err_wrap(err, "%s link %s at node %s", up ? "restoring" : "cutting",
				    l->name, e->node);
	rc = nft_apply(rules, err);
	if (topo_leave(t, &leave) < 0 && rc == 0) {
		*err = leave;
		rc = leave.code;
	}
	if (rc < 0)
		return icl_err_wrap(err, "%s link %s at node %s", up ? "restoring" : "cutting",
				    l->name, e->node);
	return 0;
}

int netcut_set(const struct topo *t, const char *link, bool up, struct icl_err *err)
{
	const struct topo_link *l = topo_plan_link(topo_plan(t), link);
	int rc = 0;

	if (l == NULL)
		return icl_err_set(err, ICL_EINPUT, "link %s: not in the topology", link);
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = apply_end(t, l, &l->end[i], up, err);
	return rc;
}
