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

/* (scn_dns64.c) `dns64:` of node mapping `node_map`, if any, into n->dns64. */
int scn_read_dns64(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n);

/* `turn:` of one node's mapping (scn_turn.c). */
int scn_read_turn(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n);

/* (scn_nat64.c) `nat64:` and `clat:` of one node's mapping, if any. */
int scn_read_nat64(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n);

/* links.NAME.impair of link mapping `link`, if any (scn_impair.c). */
int scn_read_impair(struct scn_ctx *c, struct fy_node *link, struct topo_link *l);

/* Map a family keyword (ipv4, ipv6, both) to TOPO_FAM_* bits. */
int scn_get_families(struct scn_ctx *c, struct fy_node *map, const char *key, bool both_ok,
		     unsigned *out);

#endif
