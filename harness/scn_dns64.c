/* scn_dns64.c - read the `dns64:` element of a node (see netns/dns64.h).
 *
 *   dns64:
 *     listen: "2001:db8:b::53"     # default: the node's first IPv6 address
 *     prefix: "2001:db8:64::/96"   # default 2001:db8:64::/96
 *     names: { server.test: 203.0.113.10 }
 *
 * Name syntax is checked here, at the key, so that the message points at
 * the name; whether the listen address is the node's and the prefix length
 * RFC 6052 allows are topo_plan_validate()'s (dns64_validate()).
 */
#include "scn_topo.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../netns/dns64.h"

static const char *const dns64_keys[] = { "listen", "prefix", "names", NULL };

/* One `NAME: IPV4` pair; the name is stored lower case, without a final dot. */
static int read_name(struct scn_ctx *c, struct fy_node_pair *p, struct topo_dns64_name *out)
{
	struct fy_node *k = fy_node_pair_key(p);
	int family = AF_INET, rc;
	const char *why;
	size_t old, len;

	c->key = k;
	if ((rc = scn_as_str(c, k, out->name, sizeof(out->name))) < 0)
		return rc;
	out->src = scn_src(c, k);
	old = scn_path_key(c, out->name);
	if ((why = dns64_name_problem(out->name)) != NULL) {
		rc = scn_fail(c, k, "name '%s' %s", out->name, why);
	} else {
		len = strlen(out->name);
		if (out->name[len - 1] == '.')
			out->name[len - 1] = '\0';
		for (char *s = out->name; *s; s++)
			*s = (char)tolower((unsigned char)*s);
		unsigned char a[16];

		rc = scn_as_addr(c, fy_node_pair_value(p), &family, a, NULL);
		memcpy(out->addr, a, 4);
	}
	scn_path_pop(c, old);
	return rc;
}

static int read_names(struct scn_ctx *c, struct fy_node *map, struct topo_dns64 *d)
{
	struct fy_node_pair *p = scn_pair(c, map, "names"), *q;
	struct fy_node *v;
	void *it = NULL;
	size_t old;
	int rc = 0;

	if (p == NULL || scn_is_null(v = fy_node_pair_value(p)))
		return 0;
	old = scn_path_key(c, "names");
	if ((rc = scn_want_map(c, v)) == 0) {
		d->names = calloc((size_t)fy_node_mapping_item_count(v) + 1, sizeof(*d->names));
		if (d->names == NULL)
			rc = scn_oom(c);
	}
	while (rc == 0 && (q = fy_node_mapping_iterate(v, &it)) != NULL)
		rc = read_name(c, q, &d->names[d->n_names++]);
	scn_path_pop(c, old);
	return rc;
}

static int read_addrs(struct scn_ctx *c, struct fy_node *map, struct topo_dns64 *d)
{
	struct fy_node_pair *p;
	int family = AF_INET6, rc = 0;
	size_t old;

	if ((p = scn_pair(c, map, "listen")) != NULL) {
		old = scn_path_key(c, "listen");
		d->listen_src = scn_src(c, fy_node_pair_value(p));
		rc = scn_as_addr(c, fy_node_pair_value(p), &family, d->listen, NULL);
		d->has_listen = rc == 0;
		scn_path_pop(c, old);
	}
	if (rc == 0 && (p = scn_pair(c, map, "prefix")) != NULL) {
		old = scn_path_key(c, "prefix");
		d->prefix.src = scn_src(c, fy_node_pair_value(p));
		rc = scn_as_addr(c, fy_node_pair_value(p), &d->prefix.family, d->prefix.addr,
				 &d->prefix.plen);
		scn_path_pop(c, old);
	}
	return rc;
}

int scn_read_dns64(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n)
{
	struct fy_node_pair *p = scn_pair(c, node_map, "dns64");
	struct fy_node *v;
	size_t old;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	n->dns64 = calloc(1, sizeof(*n->dns64));
	if (n->dns64 == NULL)
		return scn_oom(c);
	n->dns64->src = scn_src(c, scn_is_null(v) ? fy_node_pair_key(p) : v);
	n->dns64->prefix.family = AF_INET6;
	n->dns64->prefix.plen = DNS64_PLEN_DEFAULT;
	inet_pton(AF_INET6, DNS64_PREFIX_DEFAULT, n->dns64->prefix.addr);
	n->dns64->prefix.src = n->dns64->src;
	if (scn_is_null(v))
		return 0; /* `dns64:` alone: every default */
	old = scn_path_key(c, "dns64");
	if ((rc = scn_want_map(c, v)) == 0 && (rc = scn_check_keys(c, v, dns64_keys)) == 0 &&
	    (rc = read_addrs(c, v, n->dns64)) == 0)
		rc = read_names(c, v, n->dns64);
	scn_path_pop(c, old);
	return rc;
}
