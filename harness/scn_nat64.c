/* scn_nat64.c - read the `nat64:` and `clat:` elements of a node (see
 * netns/nat64.h and docs/scenario-format.md).
 *
 *   nat64:
 *     inside: lan                   # link to the IPv6-only side
 *     outside: wan                  # link to the IPv4 side
 *     prefix: "2001:db8:64::/96"    # default
 *     pool: 10.255.0.0/24           # default
 *     mapping: endpoint-independent # as in nat:
 *     filtering: endpoint-independent
 *     port-preservation: false
 *     udp-mapping-lifetime: 120
 *   clat: { prefix: "2001:db8:64::/96", ipv4: 10.200.0.1, ipv6: "2001:db8:1::464" }
 *
 * Shapes and types only; topo_plan_validate() (nat64_validate()) checks
 * the values against the plan.
 */
#include "scn_topo.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../netns/nat.h"
#include "../netns/nat64.h"

static const char *const nat64_keys[] = { "inside", "outside", "prefix", "pool", "mapping",
					  "filtering", "port-preservation",
					  "udp-mapping-lifetime", "max-mappings", NULL };
static const char *const clat_keys[] = { "prefix", "ipv4", "ipv6", NULL };
/* Indexed by enum topo_behaviour. */
static const char *const behaviours[] = { "endpoint-independent", "address-dependent",
					  "address-and-port-dependent", NULL };


/* `key` of `map` as an address (with "/plen" when `plen` is not NULL). */
static int get_addr(struct scn_ctx *c, struct fy_node *map, const char *key, int *family,
		    unsigned char *addr, unsigned *plen, struct topo_src *src, bool *present)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, key);
	if (src != NULL)
		*src = scn_src(c, fy_node_pair_value(p));
	rc = scn_as_addr(c, fy_node_pair_value(p), family, addr, plen);
	scn_path_pop(c, old);
	if (present != NULL)
		*present = rc == 0;
	return rc;
}

static void default_prefix(struct topo_prefix *x, struct topo_src src)
{
	x->family = AF_INET6;
	x->plen = NAT64_PLEN;
	inet_pton(AF_INET6, NAT64_PREFIX_DEFAULT, x->addr);
	x->src = src;
}

static int read_nat64(struct scn_ctx *c, struct fy_node *v, struct topo_nat64 *x)
{
	struct fy_node *dummy;
	int map = TOPO_ENDPOINT_INDEPENDENT, filt = TOPO_ENDPOINT_INDEPENDENT, rc;

	default_prefix(&x->prefix, x->src);
	x->pool.family = AF_INET;
	x->pool.plen = NAT64_POOL_PLEN_DEFAULT;
	inet_pton(AF_INET, NAT64_POOL_DEFAULT, x->pool.addr);
	x->pool.src = x->src;
	x->udp_lifetime_s = NAT_DEFAULT_UDP_LIFETIME_S;
	if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, nat64_keys)) < 0 ||
	    (rc = scn_require(c, v, "inside", &dummy)) < 0 ||
	    (rc = scn_require(c, v, "outside", &dummy)) < 0 ||
	    (rc = scn_get_str(c, v, "inside", x->inside, sizeof(x->inside))) < 0 ||
	    (rc = scn_get_str(c, v, "outside", x->outside, sizeof(x->outside))) < 0 ||
	    (rc = get_addr(c, v, "prefix", &x->prefix.family, x->prefix.addr, &x->prefix.plen,
			   &x->prefix.src, NULL)) < 0 ||
	    (rc = get_addr(c, v, "pool", &x->pool.family, x->pool.addr, &x->pool.plen,
			   &x->pool.src, NULL)) < 0 ||
	    (rc = scn_get_enum(c, v, "mapping", behaviours, &map)) < 0 ||
	    (rc = scn_get_enum(c, v, "filtering", behaviours, &filt)) < 0 ||
	    (rc = scn_get_bool(c, v, "port-preservation", &x->port_preservation)) < 0 ||
	    (rc = scn_get_uint(c, v, "udp-mapping-lifetime", 1, NAT_MAX_UDP_LIFETIME_S,
			       &x->udp_lifetime_s)) < 0 ||
	    (rc = scn_get_uint(c, v, "max-mappings", NAT_MIN_MAPPINGS, NAT_MAX_MAPPINGS,
			       &x->max_mappings)) < 0)
		return rc;
	x->mapping = (enum topo_behaviour)map;
	x->filtering = (enum topo_behaviour)filt;
	return 0;
}

static int read_clat(struct scn_ctx *c, struct fy_node *v, struct topo_clat *x)
{
	int f4 = AF_INET, f6 = AF_INET6, rc;
	unsigned char a[16];

	default_prefix(&x->prefix, x->src);
	inet_pton(AF_INET, CLAT_IPV4_DEFAULT, x->ipv4);
	if (scn_is_null(v))
		return 0; /* `clat:` alone: every default */
	if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, clat_keys)) < 0 ||
	    (rc = get_addr(c, v, "prefix", &x->prefix.family, x->prefix.addr, &x->prefix.plen,
			   &x->prefix.src, NULL)) < 0 ||
	    (rc = get_addr(c, v, "ipv4", &f4, a, NULL, NULL, NULL)) < 0)
		return rc;
	if (scn_pair(c, v, "ipv4") != NULL)
		memcpy(x->ipv4, a, 4);
	return get_addr(c, v, "ipv6", &f6, x->ipv6, NULL, NULL, &x->has_ipv6);
}

int scn_read_nat64(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n)
{
	struct fy_node_pair *p;
	struct fy_node *v;
	size_t old;
	int rc = 0;

	if ((p = scn_pair(c, node_map, "nat64")) != NULL) {
		v = fy_node_pair_value(p);
		if ((n->nat64 = calloc(1, sizeof(*n->nat64))) == NULL)
			return scn_oom(c);
		n->nat64->src = scn_src(c, v != NULL ? v : fy_node_pair_key(p));
		old = scn_path_key(c, "nat64");
		rc = read_nat64(c, v, n->nat64);
		scn_path_pop(c, old);
	}
	if (rc == 0 && (p = scn_pair(c, node_map, "clat")) != NULL) {
		v = fy_node_pair_value(p);
		if ((n->clat = calloc(1, sizeof(*n->clat))) == NULL)
			return scn_oom(c);
		n->clat->src = scn_src(c, v != NULL ? v : fy_node_pair_key(p));
		old = scn_path_key(c, "clat");
		rc = read_clat(c, v, n->clat);
		scn_path_pop(c, old);
	}
	return rc;
}
