/* scn_agents.c - read `agents:`: where each agent runs, which program it
 * is, and its configure command (docs/agent-protocol.md).
 *
 * Only what the file states goes into the configure command: an option
 * left out keeps the agent's own default.  Values the agent protocol
 * leaves to the agent (quirk names, credentials) are passed as written, so
 * that the agent, not the loader, says what it cannot do; only the quirk
 * `none` is the loader's (no quirk, for a matrix cell).
 */
#include "scn_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const agent_keys[] = { "impl", "node", "lite", "role", "nomination", "dtls",
					  "families", "ufrag", "pwd", "timers", "stun-servers",
					  "turn-servers", "quirks", "args", "nat64", NULL };
static const char *const timer_keys[] = { "ta", "rto", "nominate-after", "consent-interval",
					  "consent-timeout", "data-interval", NULL };
/* The configure field of each of timer_keys. */
static const char *const timer_fields[] = { "ta_ms", "rto_ms", "nominate_after_ms",
					    "consent_interval_ms", "consent_timeout_ms",
					    "data_interval_ms" };
static const char *const turn_keys[] = { "url", "username", "password", "family", NULL };
static const char *const roles[] = { "controlling", "controlled", NULL };
static const char *const nominations[] = { "regular", "aggressive", NULL };
static const char *const setups[] = { "actpass", "active", "passive", NULL };
static const char *const families[] = { "ipv4", "ipv6", NULL };

#define TIMER_MAX_MS 600000u
#define ARGS_MAX 7 /* struct scn_agent.args holds them and a NULL */
#define TEXT_MAX 256

/* ---- small helpers ----------------------------------------------------------- */

/* Store `v` (a new reference, may be NULL on OOM) as `key` of `obj`. */
static int put(struct scn_ctx *c, json_t *obj, const char *key, json_t *v)
{
	return json_object_set_new(obj, key, v) == 0 ? 0 : scn_oom(c);
}

static int append(struct scn_ctx *c, json_t *arr, json_t *v)
{
	return json_array_append_new(arr, v) == 0 ? 0 : scn_oom(c);
}

typedef int (*item_fn)(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg);

/* Run `fn` on every item of the list `key` of `map` (absent: nothing),
 * with the path at the item; at most `max` items. */
static int each_item(struct scn_ctx *c, struct fy_node *map, const char *key, size_t max,
		     item_fn fn, void *arg)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v, *item;
	size_t old, old2, i = 0;
	void *it = NULL;
	int rc;

	if (p == NULL)
		return 0;
	v = fy_node_pair_value(p);
	old = scn_path_key(c, key);
	rc = scn_want_seq(c, v);
	while (rc == 0 && (item = fy_node_sequence_iterate(v, &it)) != NULL) {
		old2 = scn_path_index(c, i);
		rc = i < max ? fn(c, item, i, arg) : scn_fail(c, item, "at most %zu items", max);
		scn_path_pop(c, old2);
		i++;
	}
	scn_path_pop(c, old);
	return rc;
}

/* An enum option of the agent, stored as its string. */
static int get_word(struct scn_ctx *c, struct fy_node *map, const char *key,
		    const char *const *names, const char **out)
{
	int i = -1, rc = scn_get_enum(c, map, key, names, &i);

	*out = i >= 0 ? names[i] : NULL;
	return rc;
}

/* ---- identity: name, node, program ---------------------------------------------- */

/* The agent's name; the path is extended by it (also on error). */
static int read_name(struct scn_ctx *c, struct fy_node *k, struct scn_agent *a)
{
	size_t len;
	int rc;

	c->key = k;
	if ((rc = scn_as_str(c, k, a->name, sizeof(a->name))) < 0)
		return rc;
	scn_path_key(c, a->name);
	len = strlen(a->name);
	if (a->name[0] < 'a' || a->name[0] > 'z' ||
	    strspn(a->name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return scn_fail(c, k, "agent name '%s' must start with a-z and contain only a-z, "
			      "0-9, '-' and '_'", a->name);
	/* Expectations say `agent: both` or `agent: any`. */
	if (!strcmp(a->name, "both") || !strcmp(a->name, "any"))
		return scn_fail(c, k, "'%s' is reserved (expect items use it for the agents "
			      "together); pick another name", a->name);
	/* The report's timeline shows injected requests under it. */
	if (!strcmp(a->name, "harness"))
		return scn_fail(c, k, "'harness' is reserved (the timeline shows what the "
			      "harness itself sends under that name); pick another name");
	a->src = scn_src(c, k);
	return 0;
}

static int read_node(struct scn_ctx *c, struct fy_node *map, const struct topo_plan *plan,
		     struct scn_agent *a)
{
	const struct topo_node *n;
	struct fy_node *v;
	size_t old;
	int rc;

	if ((rc = scn_require(c, map, "node", &v)) < 0 ||
	    (rc = scn_get_str(c, map, "node", a->node, sizeof(a->node))) < 0)
		return rc;
	n = topo_plan_node(plan, a->node);
	old = scn_path_key(c, "node");
	if (n == NULL)
		rc = scn_fail(c, v, "unknown node '%s'", a->node);
	else if (n->router)
		rc = scn_fail(c, v, "node '%s' is a router; agents run on hosts (nodes without "
			      "'router: true')", a->node);
	scn_path_pop(c, old);
	return rc;
}

static int read_impl(struct scn_ctx *c, struct fy_node *map, struct scn_agent *a)
{
	struct fy_node *v;
	size_t old;
	int rc;

	if ((rc = scn_require(c, map, "impl", &v)) < 0 ||
	    (rc = scn_get_str(c, map, "impl", a->impl, sizeof(a->impl))) < 0)
		return rc;
	if (strchr(a->impl, '/') != NULL ||
	    (a->impl[0] != '\0' && a->impl[0] != '.' && a->impl[0] != '-' &&
	     strspn(a->impl, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(a->impl)))
		return 0;
	old = scn_path_key(c, "impl");
	rc = scn_fail(c, v, "'%s' is neither a registry name (a-z, 0-9, '.', '-', '_', like "
		      "icelab-lite) nor a path (with a '/', like ./my-adapter)", a->impl);
	scn_path_pop(c, old);
	return rc;
}

/* ---- configure options ---------------------------------------------------------- */

static int family_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	json_t *arr = arg, *v;
	size_t j;
	int f = 0, rc;

	if ((rc = scn_as_enum(c, n, families, &f)) < 0)
		return rc;
	json_array_foreach(arr, j, v)
		if (!strcmp(json_string_value(v), families[f]))
			return scn_fail(c, n, "%s is listed twice", families[f]);
	(void)i;
	return append(c, arr, json_string(families[f]));
}

static int string_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	char buf[TEXT_MAX];
	int rc;

	(void)i;
	if ((rc = scn_as_str(c, n, buf, sizeof(buf))) < 0)
		return rc;
	if (buf[0] == '\0')
		return scn_fail(c, n, "must not be empty");
	return append(c, arg, json_string(buf));
}

/* A quirk name, passed as written; `none` stands for no quirk and is left
 * out, so that a matrix can have a cell without one:
 * `quirks: [${quirk}]` with `quirk: [none, select-first-check]`. */
static int quirk_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	char buf[TEXT_MAX];
	int rc;

	if ((rc = scn_as_str(c, n, buf, sizeof(buf))) < 0)
		return rc;
	return strcmp(buf, "none") == 0 ? 0 : string_item(c, n, i, arg);
}

static int stun_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	char buf[64];
	int fam, rc;

	(void)i;
	if ((rc = scn_as_endpoint(c, n, 0, buf, sizeof(buf), &fam)) < 0)
		return rc;
	return append(c, arg, json_string(buf));
}

static int turn_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	char url[64], user[TEXT_MAX] = "", pass[TEXT_MAX] = "";
	struct fy_node *v;
	json_t *o;
	size_t old;
	int fam, rfam = -1, rc;

	(void)i;
	if ((rc = scn_want_map(c, n)) < 0 || (rc = scn_check_keys(c, n, turn_keys)) < 0 ||
	    (rc = scn_require(c, n, "url", &v)) < 0)
		return rc;
	old = scn_path_key(c, "url");
	rc = scn_as_endpoint(c, v, 0, url, sizeof(url), &fam);
	scn_path_pop(c, old);
	if (rc < 0 || (rc = scn_get_str(c, n, "username", user, sizeof(user))) < 0 ||
	    (rc = scn_get_str(c, n, "password", pass, sizeof(pass))) < 0)
		return rc;
	if ((o = json_object()) == NULL || (rc = append(c, arg, o)) < 0)
		return o == NULL ? scn_oom(c) : rc;
	if ((rc = put(c, o, "url", json_string(url))) < 0)
		return rc;
	if (scn_pair(c, n, "username") != NULL && (rc = put(c, o, "username", json_string(user))) < 0)
		return rc;
	if (scn_pair(c, n, "password") != NULL && (rc = put(c, o, "password", json_string(pass))) < 0)
		return rc;
	/* The relay family to ask for (REQUESTED-ADDRESS-FAMILY), if given. */
	if ((rc = scn_get_enum(c, n, "family", families, &rfam)) < 0 ||
	    (rfam >= 0 && (rc = put(c, o, "family", json_string(families[rfam]))) < 0))
		return rc;
	return 0;
}

static int arg_item(struct scn_ctx *c, struct fy_node *n, size_t i, void *arg)
{
	struct scn_agent *a = arg;
	char buf[4096];
	int rc;

	if ((rc = scn_as_str(c, n, buf, sizeof(buf))) < 0)
		return rc;
	a->args[i] = strdup(buf);
	return a->args[i] == NULL ? scn_oom(c) : 0;
}

/* A list option `key` -> configure field `field`, filled by `fn`. */
static int read_list(struct scn_ctx *c, struct fy_node *map, const char *key, const char *field,
		     item_fn fn, json_t *conf)
{
	json_t *arr;
	int rc;

	if (scn_pair(c, map, key) == NULL)
		return 0;
	if ((arr = json_array()) == NULL || (rc = put(c, conf, field, arr)) < 0)
		return arr == NULL ? scn_oom(c) : rc;
	return each_item(c, map, key, 64, fn, arr);
}

static int read_timers(struct scn_ctx *c, struct fy_node *map, json_t *conf)
{
	struct fy_node_pair *p = scn_pair(c, map, "timers");
	struct fy_node *t;
	json_t *o;
	unsigned ms;
	size_t old;
	int rc = 0;

	if (p == NULL)
		return 0;
	t = fy_node_pair_value(p);
	old = scn_path_key(c, "timers");
	if ((rc = scn_want_map(c, t)) == 0 && (rc = scn_check_keys(c, t, timer_keys)) == 0) {
		o = json_object();
		rc = o == NULL ? scn_oom(c) : put(c, conf, "timers", o);
	}
	for (size_t i = 0; rc == 0 && timer_keys[i] != NULL; i++) {
		if (scn_pair(c, t, timer_keys[i]) == NULL)
			continue;
		if ((rc = scn_get_duration(c, t, timer_keys[i], 1, TIMER_MAX_MS, &ms)) == 0)
			rc = put(c, o, timer_fields[i], json_integer(ms));
	}
	scn_path_pop(c, old);
	return rc;
}

static int read_words(struct scn_ctx *c, struct fy_node *map, json_t *conf)
{
	const char *role = NULL, *nom = NULL, *setup = NULL;
	bool lite = false;
	json_t *d;
	int rc;

	if ((rc = scn_get_bool(c, map, "lite", &lite)) < 0 ||
	    (rc = get_word(c, map, "role", roles, &role)) < 0 ||
	    (rc = get_word(c, map, "nomination", nominations, &nom)) < 0 ||
	    (rc = get_word(c, map, "dtls", setups, &setup)) < 0)
		return rc;
	if (scn_pair(c, map, "lite") != NULL && (rc = put(c, conf, "lite", json_boolean(lite))) < 0)
		return rc;
	if (role != NULL && (rc = put(c, conf, "role", json_string(role))) < 0)
		return rc;
	if (nom != NULL && (rc = put(c, conf, "nomination", json_string(nom))) < 0)
		return rc;
	if (setup == NULL)
		return 0;
	if ((d = json_pack("{s:s}", "setup", setup)) == NULL)
		return scn_oom(c);
	return put(c, conf, "dtls", d);
}

static int read_credential(struct scn_ctx *c, struct fy_node *map, const char *key, json_t *conf)
{
	char buf[TEXT_MAX];
	int rc;

	if (scn_pair(c, map, key) == NULL)
		return 0;
	if ((rc = scn_get_str(c, map, key, buf, sizeof(buf))) < 0)
		return rc;
	return put(c, conf, key, json_string(buf));
}

static int read_configure(struct scn_ctx *c, struct fy_node *map, json_t *conf)
{
	int rc;

	if ((rc = read_words(c, map, conf)) < 0 ||
	    (rc = read_list(c, map, "families", "families", family_item, conf)) < 0 ||
	    (rc = read_credential(c, map, "ufrag", conf)) < 0 ||
	    (rc = read_credential(c, map, "pwd", conf)) < 0 ||
	    (rc = read_timers(c, map, conf)) < 0 ||
	    (rc = read_list(c, map, "stun-servers", "stun_servers", stun_item, conf)) < 0 ||
	    (rc = read_list(c, map, "turn-servers", "turn_servers", turn_item, conf)) < 0 ||
	    (rc = read_list(c, map, "quirks", "quirks", quirk_item, conf)) < 0)
		return rc;
	if (json_object_get(conf, "families") != NULL &&
	    json_array_size(json_object_get(conf, "families")) == 0) {
		size_t old = scn_path_key(c, "families");

		rc = scn_fail(c, fy_node_pair_value(scn_pair(c, map, "families")),
			      "name at least one family, or leave it out for both");
		scn_path_pop(c, old);
	}
	return rc;
}

/* ---- nat64: the NAT64 prefix of an IPv6-only agent -------------------------------- */

static const char *const nat64_keys[] = { "resolver", "prefix", NULL };
#define NAT64_DNS_PORT 53

/* The address a dns64: element of node `n` serves on: `listen`, or the
 * node's first IPv6 address (as netns/dns64.c picks it). */
static const unsigned char *dns64_listen(const struct topo_plan *plan, const struct topo_node *n)
{
	if (n->dns64->has_listen)
		return n->dns64->listen;
	for (size_t k = 0; k < plan->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&plan->links[k], n->name);

		for (size_t a = 0; e != NULL && a < e->n_addr; a++)
			if (e->addr[a].family == AF_INET6)
				return e->addr[a].addr;
	}
	return NULL;
}

/* resolver: a node with a dns64: element (its listen address, port 53),
 * an address (port 53) or IP:PORT ([IPv6]:PORT), as "[IP]:PORT". */
static int nat64_resolver(struct scn_ctx *c, struct fy_node *v, const struct topo_plan *plan,
			  char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN], ep[64];
	const struct topo_node *n;
	const unsigned char *a;
	int fam, rc;

	if (scn_as_str(c, v, ep, sizeof(ep)) == 0 && strpbrk(ep, ".:") == NULL) {
		if ((n = topo_plan_node(plan, ep)) == NULL)
			return scn_fail(c, v, "unknown node '%s' (give a node with a dns64: element, "
					"or the resolver's address)", ep);
		if (n->dns64 == NULL || (a = dns64_listen(plan, n)) == NULL)
			return scn_fail(c, v, "node '%s' has no dns64: resolver", ep);
		snprintf(out, size, "[%s]:%d", inet_ntop(AF_INET6, a, ip, sizeof(ip)), NAT64_DNS_PORT);
		return 0;
	}
	if ((rc = scn_as_endpoint(c, v, SCN_EP_BARE, ep, sizeof(ep), &fam)) < 0)
		return rc;
	if (fam == AF_INET6 ? ep[0] == '[' : strchr(ep, ':') != NULL)
		snprintf(out, size, "%s", ep);
	else
		snprintf(out, size, fam == AF_INET6 ? "[%s]:%d" : "%s:%d", ep, NAT64_DNS_PORT);
	return 0;
}

/* prefix: an IPv6 prefix RFC 6052 2.2 allows. */
static int nat64_prefix(struct scn_ctx *c, struct fy_node *v, char *out, size_t size)
{
	unsigned char a[16];
	char ip[INET6_ADDRSTRLEN];
	int fam = AF_INET6, rc;
	unsigned plen;

	if ((rc = scn_as_addr(c, v, &fam, a, &plen)) < 0)
		return rc;
	if (plen != 32 && plen != 40 && plen != 48 && plen != 56 && plen != 64 && plen != 96)
		return scn_fail(c, v, "/%u: a NAT64 prefix is /32, /40, /48, /56, /64 or /96 "
				"(RFC 6052 2.2)", plen);
	for (unsigned i = plen / 8; i < 16; i++)
		if (a[i] != 0)
			return scn_fail(c, v, "address bits after /%u must be zero", plen);
	if (a[8] != 0)
		return scn_fail(c, v, "bits 64..71 must be zero (RFC 6052 2.2)");
	snprintf(out, size, "%s/%u", inet_ntop(AF_INET6, a, ip, sizeof(ip)), plen);
	return 0;
}

/* nat64: { resolver: X } or { prefix: P } -> "nat64": {"resolver"|"prefix": ...}. */
static int read_nat64(struct scn_ctx *c, struct fy_node *map, const struct topo_plan *plan,
		      json_t *conf)
{
	struct fy_node_pair *p = scn_pair(c, map, "nat64");
	struct fy_node *m, *v;
	const char *key;
	char val[96];
	size_t old, old2;
	int rc;

	if (p == NULL)
		return 0;
	m = fy_node_pair_value(p);
	old = scn_path_key(c, "nat64");
	if ((rc = scn_want_map(c, m)) == 0 && (rc = scn_check_keys(c, m, nat64_keys)) == 0 &&
	    (scn_pair(c, m, "resolver") != NULL) == (scn_pair(c, m, "prefix") != NULL))
		rc = scn_fail(c, m, "give exactly one of resolver (RFC 7050 discovery) and prefix");
	if (rc == 0) {
		key = scn_pair(c, m, "resolver") != NULL ? "resolver" : "prefix";
		v = fy_node_pair_value(scn_pair(c, m, key));
		old2 = scn_path_key(c, key);
		rc = key[0] == 'r' ? nat64_resolver(c, v, plan, val, sizeof(val))
				   : nat64_prefix(c, v, val, sizeof(val));
		scn_path_pop(c, old2);
		if (rc == 0)
			rc = put(c, conf, "nat64", json_pack("{s:s}", key, val));
	}
	scn_path_pop(c, old);
	return rc;
}

/* ---- one agent, all agents ------------------------------------------------------- */

static int read_agent(struct scn_ctx *c, struct fy_node_pair *pair, const struct topo_plan *plan,
		      struct scn_agent *a)
{
	struct fy_node *map = fy_node_pair_value(pair);
	size_t old = strlen(c->path);
	int rc;

	if ((rc = read_name(c, fy_node_pair_key(pair), a)) < 0) {
		scn_path_pop(c, old);
		return rc;
	}
	if ((rc = scn_want_map(c, map)) == 0 && (rc = scn_check_keys(c, map, agent_keys)) == 0 &&
	    (rc = read_impl(c, map, a)) == 0 && (rc = read_node(c, map, plan, a)) == 0) {
		a->configure = json_object();
		rc = a->configure == NULL ? scn_oom(c) : read_configure(c, map, a->configure);
	}
	if (rc == 0)
		rc = read_nat64(c, map, plan, a->configure);
	if (rc == 0)
		rc = each_item(c, map, "args", ARGS_MAX, arg_item, a);
	scn_path_pop(c, old);
	return rc;
}

int scn_read_agents(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "agents"), *pair;
	struct fy_node *map;
	void *it = NULL;
	size_t old;
	int rc;

	if (p == NULL)
		return 0; /* a topology-only file: its probes are the test */
	map = fy_node_pair_value(p);
	old = scn_path_key(c, "agents");
	if ((rc = scn_want_map(c, map)) == 0 && fy_node_mapping_item_count(map) != SCN_MAX_AGENTS)
		rc = scn_fail(c, map, "expected exactly two agents, got %d (leave 'agents' out "
			      "for a topology-only file)", fy_node_mapping_item_count(map));
	while (rc == 0 && (pair = fy_node_mapping_iterate(map, &it)) != NULL)
		rc = read_agent(c, pair, &k->plan, &k->agent[k->n_agents++]);
	scn_path_pop(c, old);
	return rc;
}

int scn_as_agent(struct scn_ctx *c, struct fy_node *n, const struct scn_case *k,
		 const char *why, int *idx)
{
	char name[64];
	int rc = scn_as_str(c, n, name, sizeof(name));

	if (rc == 0 && (*idx = scn_case_agent(k, name)) < 0)
		rc = scn_fail(c, n, "unknown agent '%s' (agents: %s, %s)%s%s", name,
			      k->agent[0].name, k->agent[1].name, why ? ": " : "", why ? why : "");
	return rc;
}
