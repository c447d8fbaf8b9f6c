/* scn_inject.c - read an `inject` action: a forged STUN Binding request
 * from a third node to an agent (harness/inject.h), for the security
 * scenarios (docs/scenario-format.md).
 *
 * Checked against the case: `from` is a node with an address of
 * `family`, `to` an agent whose node has one too (or nothing could
 * arrive), and the item carries nothing but `at` and `inject`.
 */
#include "scn_int.h"

#include <string.h>
#include <sys/socket.h>

static const char *const inject_keys[] = { "from", "to", "family", "stun", "use-candidate",
					   "integrity", "username", NULL };
static const char *const families[] = { "ipv4", "ipv6", NULL };
static const char *const stun_kinds[] = { "binding-request", NULL };
static const char *const integrities[] = { "wrong", "none", NULL };
static const char *const usernames[] = { "made-up", "sniffed", NULL };

/* Whether node `name` has an address of `family` on some link end. */
static bool node_has_family(const struct topo_plan *p, const char *name, int family)
{
	for (size_t i = 0; i < p->n_links; i++)
		for (int e = 0; e < 2; e++) {
			const struct topo_end *end = &p->links[i].end[e];

			for (size_t j = 0; strcmp(end->node, name) == 0 && j < end->n_addr; j++)
				if (end->addr[j].family == family)
					return true;
		}
	return false;
}

static int read_from(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
		     struct inject_spec *s)
{
	struct fy_node *v;
	size_t old;
	int rc = scn_require(c, map, "from", &v);

	if (rc < 0)
		return rc;
	old = scn_path_key(c, "from");
	if ((rc = scn_as_str(c, v, s->from, sizeof(s->from))) == 0 &&
	    topo_plan_node(&k->plan, s->from) == NULL)
		rc = scn_fail(c, v, "unknown node '%s'", s->from);
	else if (rc == 0 && !node_has_family(&k->plan, s->from, s->family))
		rc = scn_fail(c, v, "node %s has no %s address to send from", s->from,
			      s->family == AF_INET ? "IPv4" : "IPv6");
	scn_path_pop(c, old);
	return rc;
}

static int read_to(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
		   struct inject_spec *s)
{
	struct fy_node *v;
	size_t old;
	int rc = scn_require(c, map, "to", &v);

	if (rc < 0)
		return rc;
	old = scn_path_key(c, "to");
	rc = scn_as_agent(c, v, k, "the request goes to an agent's selected address", &s->to);
	if (rc == 0 && !node_has_family(&k->plan, k->agent[s->to].node, s->family))
		rc = scn_fail(c, v, "agent %s's node %s has no %s address", k->agent[s->to].name,
			      k->agent[s->to].node, s->family == AF_INET ? "IPv4" : "IPv6");
	scn_path_pop(c, old);
	return rc;
}

static int read_spec(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
		     struct inject_spec *s)
{
	struct fy_node *v;
	int fam = 0, stun = 0, mi = 0, user = 0, rc;

	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, inject_keys)) < 0 ||
	    (rc = scn_require(c, map, "family", &v)) < 0 ||
	    (rc = scn_get_enum(c, map, "family", families, &fam)) < 0)
		return rc;
	s->family = fam == 0 ? AF_INET : AF_INET6;
	if ((rc = read_from(c, map, k, s)) < 0 || (rc = read_to(c, map, k, s)) < 0 ||
	    (rc = scn_get_enum(c, map, "stun", stun_kinds, &stun)) < 0 ||
	    (rc = scn_get_bool(c, map, "use-candidate", &s->use_candidate)) < 0 ||
	    (rc = scn_get_enum(c, map, "integrity", integrities, &mi)) < 0 ||
	    (rc = scn_get_enum(c, map, "username", usernames, &user)) < 0)
		return rc;
	s->integrity = mi == 0 ? INJECT_MI_WRONG : INJECT_MI_NONE;
	s->sniffed_username = user == 1;
	return 0;
}

int scn_read_inject(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		    struct scn_action *a)
{
	struct fy_node_pair *p;
	void *it = NULL;
	size_t old;
	int rc;

	while ((p = fy_node_mapping_iterate(item, &it)) != NULL) {
		struct fy_node *key = fy_node_pair_key(p);
		const char *name = fy_node_get_scalar0(key);

		if (name == NULL || !strcmp(name, "at") || !strcmp(name, "inject"))
			continue;
		old = scn_path_key(c, name);
		rc = scn_fail(c, key, "does not apply to an inject action (it takes at and inject)");
		scn_path_pop(c, old);
		return rc;
	}
	a->kind = SCN_ACT_INJECT;
	old = scn_path_key(c, "inject");
	rc = read_spec(c, fy_node_pair_value(scn_pair(c, item, "inject")), k, &a->inject);
	scn_path_pop(c, old);
	return rc;
}
