/* rules.h - the nftables ruleset of one node (its filters and NATs, and
 * the repair of TAYGA's zero UDP checksums where TAYGA runs), resolved
 * from plan names (links) to the node's interface names. */
#ifndef NETNS_RULES_H
#define NETNS_RULES_H

#include "plan.h"

/* `*text` is NULL when the node needs no rules; else the caller frees it. */
int topo_rules_text(const struct topo_plan *p, const struct topo_node *n, char **text,
		    struct icl_err *err);

#endif
