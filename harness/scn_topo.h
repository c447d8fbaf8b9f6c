/* scn_topo.h - internal: the readers behind scn_load_topology().
 *
 * Each reader fills one part of the plan from the `topology:` mapping and
 * leaves partial work in the plan on error (topo_plan_free() releases it).
 */
#ifndef SCN_TOPO_H
#define SCN_TOPO_H

#include "yaml.h"

/* topology.nodes: names, router flag, routes, nat, filters. */
int scn_read_nodes(struct scn_ctx *c, struct fy_node *nodes, struct topo_plan *plan);

/* The `gateway:` shorthand of every node; needs the links read first. */
int scn_read_gateways(struct scn_ctx *c, struct fy_node *nodes, struct topo_plan *plan);

/* topology.links and topology.probes. */
int scn_read_links(struct scn_ctx *c, struct fy_node *links, struct topo_plan *plan);
int scn_read_probes(struct scn_ctx *c, struct fy_node *probes, struct topo_plan *plan);

/* Map a family keyword (ipv4, ipv6, both) to TOPO_FAM_* bits. */
int scn_get_families(struct scn_ctx *c, struct fy_node *map, const char *key, bool both_ok,
		     unsigned *out);

#endif
