/* scn_inject.c - read an `inject` action: a forged STUN Binding request
 * from a third node to an agent (harness/inject.h), for the security
 * scenarios (docs/scenario-format.md).
 *
 * Checked against the case: `from` is a node with an address of
 * `family`, `to` an agent whose node has one too (or nothing could
 * arrive), and the item carries nothing but `at` and `inject`.  With
 * `flood:` (harness/flood.h) it is a flood of garbage instead: count,
 * rate and kinds, over before the case's timeout.
 */
#include "scn_int.h"

#include <string.h>
#include <sys/socket.h>

static const char *const inject_keys[] = { "from", "to", "family", "stun", "use-candidate",
					   "integrity", "username", "flood", NULL };
/* What only a single forged request takes: next to `flood` it would be
 * silently ignored. */
static const char *const single_keys[] = { "stun", "use-candidate", "integrity", "username",
					   NULL };
static const char *const flood_keys[] = { "count", "rate", "kinds", NULL };
#define FLOOD_RATE_DEFAULT 10000u
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

/* What the readers of `from` and `to` need. */
struct spec_at {
	const struct scn_case *k;
	struct inject_spec *s;
};

static int read_from(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	const struct scn_case *k = ((struct spec_at *)arg)->k;
	struct inject_spec *s = ((struct spec_at *)arg)->s;
	int rc;

	if ((rc = scn_as_str(c, v, s->from, sizeof(s->from))) == 0 &&
	    topo_plan_node(&k->plan, s->from) == NULL)
		rc = scn_fail(c, v, "unknown node '%s'", s->from);
	else if (rc == 0 && !node_has_family(&k->plan, s->from, s->family))
		rc = scn_fail(c, v, "node %s has no %s address to send from", s->from,
			      s->family == AF_INET ? "IPv4" : "IPv6");
	return rc;
}

static int read_to(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	const struct scn_case *k = ((struct spec_at *)arg)->k;
	struct inject_spec *s = ((struct spec_at *)arg)->s;
	int rc;

	rc = scn_as_agent(c, v, k, "the request goes to an agent's selected address", &s->to);
	if (rc == 0 && !node_has_family(&k->plan, k->agent[s->to].node, s->family))
		rc = scn_fail(c, v, "agent %s's node %s has no %s address", k->agent[s->to].name,
			      k->agent[s->to].node, s->family == AF_INET ? "IPv4" : "IPv6");
	return rc;
}

static int read_spec(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
		     struct inject_spec *s)
{
	struct spec_at at = { k, s };
	struct fy_node *v;
	int fam = 0, stun = 0, mi = 0, user = 0, rc;

	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, inject_keys)) < 0 ||
	    (rc = scn_require(c, map, "family", &v)) < 0 ||
	    (rc = scn_get_enum(c, map, "family", families, &fam)) < 0)
		return rc;
	s->family = fam == 0 ? AF_INET : AF_INET6;
	if ((rc = scn_at_key(c, map, "from", SCN_REQUIRED, read_from, &at)) < 0 ||
	    (rc = scn_at_key(c, map, "to", SCN_REQUIRED, read_to, &at)) < 0 ||
	    (rc = scn_get_enum(c, map, "stun", stun_kinds, &stun)) < 0 ||
	    (rc = scn_get_bool(c, map, "use-candidate", &s->use_candidate)) < 0 ||
	    (rc = scn_get_enum(c, map, "integrity", integrities, &mi)) < 0 ||
	    (rc = scn_get_enum(c, map, "username", usernames, &user)) < 0)
		return rc;
	s->integrity = mi == 0 ? INJECT_MI_WRONG : INJECT_MI_NONE;
	s->sniffed_username = user == 1;
	return 0;
}

/* flood.kinds: a non-empty list of distinct kinds; all of them when absent. */
static int read_kinds(struct scn_ctx *c, struct fy_node *map, struct flood_spec *f)
{
	struct fy_node_pair *p = scn_pair(c, map, "kinds");
	struct fy_node *seq, *item;
	void *it = NULL;
	size_t old, i = 0;
	int rc, kind = 0;

	f->kinds = (1u << FLOOD_N_KINDS) - 1;
	if (p == NULL)
		return 0;
	f->kinds = 0;
	seq = fy_node_pair_value(p);
	old = scn_path_key(c, "kinds");
	if ((rc = scn_want_seq(c, seq)) == 0 && fy_node_sequence_item_count(seq) == 0)
		rc = scn_fail(c, seq, "give at least one kind (or leave kinds out for all)");
	while (rc == 0 && (item = fy_node_sequence_iterate(seq, &it)) != NULL) {
		size_t o2 = scn_path_index(c, i++);

		rc = scn_as_enum(c, item, flood_kind_names, &kind);
		if (rc == 0 && (f->kinds & (1u << kind)))
			rc = scn_fail(c, item, "'%s' is listed twice", flood_kind_names[kind]);
		f->kinds |= 1u << kind;
		scn_path_pop(c, o2);
	}
	scn_path_pop(c, old);
	return rc;
}

/* The flood must be over before the case's timeout, or its count is a lie. */
static int check_duration(struct scn_ctx *c, struct fy_node *v, const struct scn_case *k,
			  unsigned at_ms, const struct flood_spec *f)
{
	unsigned long long need = ((unsigned long long)f->count * 1000 + f->rate - 1) / f->rate;
	char x[24], y[24];

	if (at_ms + need < k->timeout_ms)
		return 0;
	return scn_fail(c, v, "%u datagrams at %u/s take %llu ms: from %s on that is not over "
			"before the case timeout of %s", f->count, f->rate, need,
			scn_fmt_ms(at_ms, x, sizeof(x)), scn_fmt_ms(k->timeout_ms, y, sizeof(y)));
}

/* `flood: { count, rate, kinds }`, with none of the single request's keys. */
static int read_flood(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
		      unsigned at_ms, struct flood_spec *f)
{
	struct fy_node *v = fy_node_pair_value(scn_pair(c, map, "flood")), *count;
	size_t old;
	int rc = 0;

	for (int i = 0; rc == 0 && single_keys[i]; i++) {
		struct fy_node_pair *p = scn_pair(c, map, single_keys[i]);

		if (p == NULL)
			continue;
		old = scn_path_key(c, single_keys[i]);
		rc = scn_fail(c, fy_node_pair_key(p), "does not apply to a flood (it takes from, "
			      "to, family and flood)");
		scn_path_pop(c, old);
	}
	if (rc < 0)
		return rc;
	old = scn_path_key(c, "flood");
	f->rate = FLOOD_RATE_DEFAULT;
	if ((rc = scn_want_map(c, v)) == 0 && (rc = scn_check_keys(c, v, flood_keys)) == 0 &&
	    (rc = scn_require(c, v, "count", &count)) == 0 &&
	    (rc = scn_get_uint(c, v, "count", 1, FLOOD_COUNT_MAX, &f->count)) == 0 &&
	    (rc = scn_get_uint(c, v, "rate", 1, FLOOD_RATE_MAX, &f->rate)) == 0 &&
	    (rc = read_kinds(c, v, f)) == 0)
		rc = check_duration(c, v, k, at_ms, f);
	scn_path_pop(c, old);
	return rc;
}

int scn_read_inject(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		    struct scn_action *a)
{
	struct fy_node *map;
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
	map = fy_node_pair_value(scn_pair(c, item, "inject"));
	rc = read_spec(c, map, k, &a->inject);
	if (rc == 0 && scn_pair(c, map, "flood") != NULL)
		rc = read_flood(c, map, k, a->at_ms, &a->inject.flood);
	scn_path_pop(c, old);
	return rc;
}
