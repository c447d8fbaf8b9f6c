/* scn_turn.c - read `turn:` of a node: a STUN/TURN server (netns/turn.h).
 *
 * Shapes and types only; whether the addresses are the node's and the
 * names fit turnserver's configuration is turn_plan_check()'s job. */
#include "scn_topo.h"

#include <stdlib.h>
#include <sys/socket.h>

static const char *const turn_keys[] = { "listen", "relay", "users", "realm", NULL };

static int read_addr(struct scn_ctx *c, struct fy_node *n, struct topo_turn_addr *a, size_t *count)
{
	struct topo_turn_addr *x = &a[*count];

	if (*count >= TOPO_ADDR_MAX)
		return scn_fail(c, n, "at most %d addresses", TOPO_ADDR_MAX);
	x->family = AF_UNSPEC;
	x->src = scn_src(c, n);
	(*count)++;
	return scn_as_addr(c, n, &x->family, x->addr, NULL);
}

/* One address or a list of them. */
static int read_addrs(struct scn_ctx *c, struct fy_node *map, const char *key,
		      struct topo_turn_addr *a, size_t *count)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v, *item;
	void *it = NULL;
	size_t old, idx;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, key);
	if (v == NULL || !fy_node_is_sequence(v))
		rc = read_addr(c, v, a, count);
	while (rc == 0 && v != NULL && fy_node_is_sequence(v) &&
	       (item = fy_node_sequence_iterate(v, &it)) != NULL) {
		idx = scn_path_index(c, *count);
		rc = read_addr(c, item, a, count);
		scn_path_pop(c, idx);
	}
	scn_path_pop(c, old);
	return rc;
}

static int read_user(struct scn_ctx *c, struct fy_node_pair *p, struct topo_turn *t)
{
	struct topo_turn_user *u = &t->users[t->n_users];
	struct fy_node *k = fy_node_pair_key(p);
	size_t old;
	int rc;

	if (t->n_users >= TOPO_TURN_USERS_MAX)
		return scn_fail(c, k, "at most %d users", TOPO_TURN_USERS_MAX);
	u->src = scn_src(c, k);
	if ((rc = scn_as_str(c, k, u->name, sizeof(u->name))) < 0)
		return rc;
	t->n_users++;
	old = scn_path_key(c, u->name);
	c->key = k;
	rc = scn_as_str(c, fy_node_pair_value(p), u->password, sizeof(u->password));
	scn_path_pop(c, old);
	return rc;
}

/* users: { NAME: PASSWORD, ... } */
static int read_users(struct scn_ctx *c, struct fy_node *map, struct topo_turn *t)
{
	struct fy_node_pair *p = scn_pair(c, map, "users"), *up;
	struct fy_node *v;
	void *it = NULL;
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, "users");
	rc = scn_want_map(c, v);
	if (rc == 0 && fy_node_mapping_item_count(v) == 0)
		rc = scn_fail(c, v, "list at least one user, or leave 'users' out for icelab:icelab");
	while (rc == 0 && (up = fy_node_mapping_iterate(v, &it)) != NULL)
		rc = read_user(c, up, t);
	scn_path_pop(c, old);
	return rc;
}

static int read_turn_map(struct scn_ctx *c, struct fy_node *v, struct topo_turn *t)
{
	int rc;

	if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, turn_keys)) < 0 ||
	    (rc = read_addrs(c, v, "listen", t->listen, &t->n_listen)) < 0 ||
	    (rc = read_addrs(c, v, "relay", t->relay, &t->n_relay)) < 0 ||
	    (rc = read_users(c, v, t)) < 0)
		return rc;
	return scn_get_str(c, v, "realm", t->realm, sizeof(t->realm));
}

int scn_read_turn(struct scn_ctx *c, struct fy_node *node_map, struct topo_node *n)
{
	struct fy_node_pair *p = scn_pair(c, node_map, "turn");
	struct fy_node *v;
	struct topo_turn *t;
	size_t old;
	int rc = 0;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	if ((t = n->turn = calloc(1, sizeof(*n->turn))) == NULL)
		return scn_oom(c);
	t->src = scn_src(c, v != NULL ? v : fy_node_pair_key(p));
	if (scn_is_null(v))
		return 0; /* `turn:` alone: every default */
	old = scn_path_key(c, "turn");
	rc = read_turn_map(c, v, t);
	scn_path_pop(c, old);
	return rc;
}
