/* scn_actions.c - read `actions:` and `hold:`: what the harness does to a
 * running case and when (cut or restore a link, or one family or one
 * direction of it; restart an agent), and
 * how long the case runs at least (docs/scenario-format.md).
 *
 * Every item is checked against the case: the link and the agent must
 * exist, and each action must come before the case's timeout, or it could
 * never run.
 */
#include "scn_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcut.h"

static const char *const action_keys[] = { "at", "link", "state", "family", "direction",
					   "restart", "inject", NULL };
static const char *const link_states[] = { "down", "up", NULL };
static const char *const link_families[] = { "both", "ipv4", "ipv6", NULL };
static const char *const link_directions[] = { "both", "a-to-b", "b-to-a", NULL };
/* The keys only a link action takes. */
static const char *const link_only_keys[] = { "state", "family", "direction", NULL };

static bool link_has_family(const struct topo_link *l, int family)
{
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < l->end[i].n_addr; j++)
			if (l->end[i].addr[j].family == family)
				return true;
	return false;
}

/* What the readers of a link action's optional keys need. */
struct link_at {
	const struct topo_link *l;
	struct scn_action *a;
};

static int read_link_state(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	struct scn_action *a = ((struct link_at *)arg)->a;
	int up = 0, rc = scn_as_enum(c, v, link_states, &up);

	if (rc == 0) {
		a->kind = SCN_ACT_LINK;
		a->up = up == 1;
	}
	return rc;
}

/* `family:` of a link action: both by default.  A family the link has no
 * address of never crosses it, so cutting it would test nothing. */
static int read_link_family(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	const struct topo_link *l = ((struct link_at *)arg)->l;
	struct scn_action *a = ((struct link_at *)arg)->a;
	int i = 0, rc;

	rc = scn_as_enum(c, v, link_families, &i);
	a->family = i == 1 ? AF_INET : i == 2 ? AF_INET6 : 0;
	if (rc == 0 && a->family != 0 && !link_has_family(l, a->family))
		rc = scn_fail(c, v, "link %s has no %s address at either end; "
			      "the cut would drop nothing", l->name, link_families[i]);
	return rc;
}

/* `direction:` of a link action: a-to-b drops what end a sends, where it
 * arrives at end b.  Both by default. */
static int read_link_direction(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	struct scn_action *a = ((struct link_at *)arg)->a;
	int i = 0, rc;

	rc = scn_as_enum(c, v, link_directions, &i);
	a->ends = i == 1 ? NETCUT_AT_B : i == 2 ? NETCUT_AT_A : 0;
	return rc;
}

static int read_link(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		     struct scn_action *a)
{
	struct fy_node *v = fy_node_pair_value(scn_pair(c, item, "link"));
	size_t old = scn_path_key(c, "link");
	int rc = scn_as_str(c, v, a->link, sizeof(a->link));
	struct link_at at;

	if (rc == 0 && topo_plan_link(&k->plan, a->link) == NULL)
		rc = scn_fail(c, v, "unknown link '%s'", a->link);
	scn_path_pop(c, old);
	if (rc < 0)
		return rc;
	at.l = topo_plan_link(&k->plan, a->link);
	at.a = a;
	if ((rc = scn_at_key(c, item, "state", SCN_REQUIRED, read_link_state, &at)) < 0 ||
	    (rc = scn_at_key(c, item, "family", SCN_OPTIONAL, read_link_family, &at)) < 0)
		return rc;
	return scn_at_key(c, item, "direction", SCN_OPTIONAL, read_link_direction, &at);
}

static int read_restart(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
			struct scn_action *a)
{
	struct fy_node *v = fy_node_pair_value(scn_pair(c, item, "restart"));
	size_t old = scn_path_key(c, "restart");
	int rc = scn_as_agent(c, v, k, NULL, &a->agent);

	a->kind = SCN_ACT_RESTART;
	scn_path_pop(c, old);
	return rc;
}

/* `state`, `family` and `direction` next to `restart` would be silently
 * ignored: refuse them. */
static int no_link_keys(struct scn_ctx *c, struct fy_node *item)
{
	for (int i = 0; link_only_keys[i] != NULL; i++) {
		struct fy_node_pair *p = scn_pair(c, item, link_only_keys[i]);
		size_t old;
		int rc;

		if (p == NULL)
			continue;
		old = scn_path_key(c, link_only_keys[i]);
		rc = scn_fail(c, fy_node_pair_value(p), "only a link action takes a %s",
			      link_only_keys[i]);
		scn_path_pop(c, old);
		return rc;
	}
	return 0;
}

static int read_at(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		   struct scn_action *a)
{
	struct fy_node *v;
	char x[24], y[24];
	size_t old;
	int rc = scn_require(c, item, "at", &v);

	if (rc < 0)
		return rc;
	old = scn_path_key(c, "at");
	rc = scn_as_duration(c, v, 0, SCN_TIMEOUT_MAX_MS, &a->at_ms);
	if (rc == 0 && a->at_ms >= k->timeout_ms)
		rc = scn_fail(c, v, "%s is not below the case timeout of %s; the action would "
			      "never run", scn_fmt_ms(a->at_ms, x, sizeof(x)),
			      scn_fmt_ms(k->timeout_ms, y, sizeof(y)));
	scn_path_pop(c, old);
	return rc;
}

static int read_action(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		       struct scn_action *a)
{
	bool link = scn_pair(c, item, "link") != NULL, restart, inject;
	int rc;

	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, action_keys)) < 0)
		return rc;
	restart = scn_pair(c, item, "restart") != NULL;
	inject = scn_pair(c, item, "inject") != NULL;
	a->src = scn_src(c, item);
	if (link + restart + inject != 1)
		return scn_fail(c, item, "%s: give one of link (with state), restart or inject",
				link || restart || inject ? "one action per item" : "no action");
	if ((rc = read_at(c, item, k, a)) < 0)
		return rc;
	if (inject) /* refuses every key but at and inject itself */
		return scn_read_inject(c, item, k, a);
	if (restart && (rc = no_link_keys(c, item)) < 0)
		return rc;
	return link ? read_link(c, item, k, a) : read_restart(c, item, k, a);
}

/* In time order; items with the same time keep the file's order. */
static void sort_actions(struct scn_action *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct scn_action x = a[i];
		size_t j = i;

		for (; j > 0 && a[j - 1].at_ms > x.at_ms; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

static int read_list(struct scn_ctx *c, struct fy_node *seq, struct scn_case *k)
{
	struct fy_node *item;
	void *it = NULL;
	int rc;

	if ((rc = scn_want_seq(c, seq)) < 0)
		return rc;
	if (k->n_agents == 0)
		return scn_fail(c, seq, "actions need agents (a topology-only file has none)");
	k->actions = calloc((size_t)fy_node_sequence_item_count(seq) + 1, sizeof(*k->actions));
	if (k->actions == NULL)
		return scn_oom(c);
	while (rc == 0 && (item = fy_node_sequence_iterate(seq, &it)) != NULL) {
		size_t old = scn_path_index(c, k->n_actions);

		rc = read_action(c, item, k, &k->actions[k->n_actions++]);
		scn_path_pop(c, old);
	}
	if (rc == 0)
		sort_actions(k->actions, k->n_actions);
	return rc;
}

static int read_hold(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "hold");
	char x[24], y[24];
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, "hold");
	rc = scn_as_duration(c, fy_node_pair_value(p), 0, SCN_TIMEOUT_MAX_MS, &k->hold_ms);
	if (rc == 0 && k->hold_ms > k->timeout_ms)
		rc = scn_fail(c, fy_node_pair_value(p), "%s is beyond the case timeout of %s; raise "
			      "'timeout' or shorten this", scn_fmt_ms(k->hold_ms, x, sizeof(x)),
			      scn_fmt_ms(k->timeout_ms, y, sizeof(y)));
	else if (rc == 0 && k->n_agents == 0)
		rc = scn_fail(c, fy_node_pair_value(p), "hold needs agents (a topology-only file "
			      "has none)");
	scn_path_pop(c, old);
	return rc;
}

int scn_read_actions(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "actions");
	size_t old;
	int rc = 0;

	if (p != NULL) {
		old = scn_path_key(c, "actions");
		rc = read_list(c, fy_node_pair_value(p), k);
		scn_path_pop(c, old);
	}
	return rc < 0 ? rc : read_hold(c, root, k);
}
