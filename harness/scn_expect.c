/* scn_expect.c - read `expect:`, the assertions of a case.
 *
 * Each item has exactly one assertion key (ice, dtls, selected, ...) and
 * the modifiers that make sense for it.  Whatever can be known to be
 * impossible before running (a deadline past the timeout, a state both
 * expected and forbidden) is refused here, so that a case never fails
 * for a reason its file already contained.
 */
#include "scn_int.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const ice_states[] = { "new", "checking", "connected", "completed", "failed",
					  "disconnected", "closed", NULL };
static const char *const dtls_states[] = { "new", "connecting", "connected", "failed", "closed",
					   NULL };
static const char *const dtls_roles[] = { "client", "server", NULL };
static const char *const cand_types[] = { "host", "srflx", "prflx", "relay", NULL };
static const char *const family_names[] = { "ipv4", "ipv6", NULL };
static const char *const selected_keys[] = { "family", "local-type", "remote-type", "local",
					     "remote", NULL };
static const char *const range_keys[] = { "min", "max", NULL };
static const char *const none_word[] = { "none", NULL };
static const char *const wire_words[] = { "dtls-after-use-candidate", "symmetric-responses",
					  "role-conflict-resolved", NULL };
static const char *const wire_keys[] = { "no-dtls", "no-binding-success", "consent-interval",
					  "checks-rejected", "data-gap", NULL };
static const char *const no_sent_keys[] = { "from", "to-family", "to", NULL };
static const char *const consent_keys[] = { "agent", "max", NULL };
static const char *const data_gap_keys[] = { "from", "max", NULL };
static const char *const rejected_keys[] = { "agent", "code", NULL };
static const char *const check_kinds[] = { "request-answered", "check-succeeded",
					   "check-failed", "role-changed", "prflx",
					   "nominating", NULL };
static const char *const check_keys[] = { "kind", "code", "remote", NULL };
static const char *const resolved_word[] = { "resolved", NULL };

/* Every key an item may have, for "unknown key" messages. */
static const char *const item_keys[] = { "ice", "dtls", "selected", "same-tuple", "pair-changes",
					 "data-echoed", "errors", "error", "wire", "check",
					 "role-conflict", "agent", "within", "after", "never",
					 "role", "reason", NULL };

#define PAIR_CHANGES_MAX 100000u

/* ---- the kinds ---------------------------------------------------------------- */

struct item {
	struct scn_ctx *c;
	const struct scn_case *k;
	struct scn_expect *e;
};

typedef int (*kind_fn)(struct item *it, struct fy_node *v);

struct kind_def {
	const char *key;
	const char *const *mods;   /* modifiers it takes, NULL-terminated; NULL: they
				    * depend on the value (wire_mods) */
	int agent;                 /* default agent */
	kind_fn read;
};

static int agent_by_name(struct item *it, struct fy_node *n, bool groups, int *out);

static int read_ice(struct item *it, struct fy_node *v)
{
	int s = 0, rc = scn_as_enum(it->c, v, ice_states, &s);

	it->e->kind = SCN_EXP_ICE;
	snprintf(it->e->state, sizeof(it->e->state), "%s", ice_states[s]);
	return rc;
}

static int read_dtls(struct item *it, struct fy_node *v)
{
	int s = 0, rc = scn_as_enum(it->c, v, dtls_states, &s);

	it->e->kind = SCN_EXP_DTLS;
	snprintf(it->e->state, sizeof(it->e->state), "%s", dtls_states[s]);
	return rc;
}

static int read_type(struct scn_ctx *c, struct fy_node *map, const char *key, char *out)
{
	int t = -1, rc = scn_get_enum(c, map, key, cand_types, &t);

	if (t >= 0)
		strcpy(out, cand_types[t]); /* "srflx" fits char[8] */
	return rc;
}

/* `local`/`remote` of a selected pair; its family must agree with `family`. */
static int read_end_addr(struct scn_ctx *c, struct fy_node *map, const char *key, char *out,
			 size_t size, int family)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	size_t old;
	int fam = 0, rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, key);
	rc = scn_as_endpoint(c, fy_node_pair_value(p), SCN_EP_BARE | SCN_EP_WILD, out, size, &fam);
	if (rc == 0 && family != 0 && fam != family)
		rc = scn_fail(c, fy_node_pair_value(p), "%s is %s but 'family' is %s", out,
			      fam == AF_INET ? "IPv4" : "IPv6", family == AF_INET ? "ipv4" : "ipv6");
	scn_path_pop(c, old);
	return rc;
}

static int read_selected(struct item *it, struct fy_node *v)
{
	struct scn_pair_match *m = &it->e->pair;
	struct scn_ctx *c = it->c;
	int f = -1, rc;

	it->e->kind = SCN_EXP_SELECTED;
	if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, selected_keys)) < 0)
		return rc;
	if (fy_node_mapping_item_count(v) == 0)
		return scn_fail(c, v, "give at least one of family, local-type, remote-type, "
			      "local, remote");
	if ((rc = scn_get_enum(c, v, "family", family_names, &f)) < 0)
		return rc;
	m->family = f < 0 ? 0 : f == 0 ? AF_INET : AF_INET6;
	if ((rc = read_type(c, v, "local-type", m->local_type)) < 0 ||
	    (rc = read_type(c, v, "remote-type", m->remote_type)) < 0 ||
	    (rc = read_end_addr(c, v, "local", m->local, sizeof(m->local), m->family)) < 0 ||
	    (rc = read_end_addr(c, v, "remote", m->remote, sizeof(m->remote), m->family)) < 0)
		return rc;
	return 0;
}

static int read_same_tuple(struct item *it, struct fy_node *v)
{
	bool b = false;
	int rc = scn_as_bool(it->c, v, &b);

	it->e->kind = SCN_EXP_SAME_TUPLE;
	if (rc == 0 && !b)
		rc = scn_fail(it->c, v, "only 'true' is meaningful (the two agents' selected "
			      "pairs describe one path); remove the item otherwise");
	return rc;
}

static int read_pair_changes(struct item *it, struct fy_node *v)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	int rc;

	e->kind = SCN_EXP_PAIR_CHANGES;
	if (v == NULL || !fy_node_is_mapping(v)) {
		rc = scn_as_uint(c, v, 0, PAIR_CHANGES_MAX, &e->min);
		e->max = e->min;
		return rc == ICL_EINPUT && v != NULL && fy_node_is_sequence(v)
			       ? scn_type_error(c, v, "an integer or { min: N, max: M }") : rc;
	}
	e->min = 0;
	e->max = UINT_MAX; /* no upper bound */
	if ((rc = scn_check_keys(c, v, range_keys)) < 0 ||
	    (rc = scn_get_uint(c, v, "min", 0, PAIR_CHANGES_MAX, &e->min)) < 0 ||
	    (rc = scn_get_uint(c, v, "max", 0, PAIR_CHANGES_MAX, &e->max)) < 0)
		return rc;
	if (fy_node_mapping_item_count(v) == 0)
		return scn_fail(c, v, "give min, max or both");
	if (e->min > e->max)
		return scn_fail(c, v, "min (%u) is greater than max (%u)", e->min, e->max);
	return 0;
}

static int read_data_echoed(struct item *it, struct fy_node *v)
{
	bool b = true;
	int rc = scn_as_bool(it->c, v, &b);

	it->e->kind = SCN_EXP_DATA_ECHOED;
	it->e->never = !b;
	return rc;
}

static int read_errors(struct item *it, struct fy_node *v)
{
	int i = 0;

	it->e->kind = SCN_EXP_NO_ERRORS;
	return scn_as_enum(it->c, v, none_word, &i);
}

static int read_error(struct item *it, struct fy_node *v)
{
	int rc = scn_as_str(it->c, v, it->e->text, sizeof(it->e->text));

	it->e->kind = SCN_EXP_ERROR;
	if (rc == 0 && it->e->text[0] == '\0')
		rc = scn_fail(it->c, v, "give the text the reason must contain");
	return rc;
}

/* `code` of a check: 0 (success) or a STUN error code. */
static int read_code(struct scn_ctx *c, struct fy_node *map, int *out)
{
	struct fy_node_pair *p = scn_pair(c, map, "code");
	unsigned v = 0;
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, "code");
	rc = scn_as_uint(c, fy_node_pair_value(p), 0, 699, &v);
	if (rc == 0 && v != 0 && v < 300)
		rc = scn_fail(c, fy_node_pair_value(p), "%u is no STUN error code: give 0 for "
			      "success or an error code 300..699 (RFC 8489 14.8)", v);
	scn_path_pop(c, old);
	*out = (int)v;
	return rc;
}

/* `check: KIND` or `check: { kind, code, remote }` (docs/agent-protocol.md). */
static int read_check(struct item *it, struct fy_node *v)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	int kd = -1, rc;

	e->kind = SCN_EXP_CHECK;
	e->code = -1;
	if (v != NULL && fy_node_is_scalar(v) && !scn_is_null(v))
		rc = scn_as_enum(c, v, check_kinds, &kd);
	else if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, check_keys)) < 0)
		return rc;
	else if (fy_node_mapping_item_count(v) == 0)
		return scn_fail(c, v, "give at least one of kind, code, remote");
	else if ((rc = scn_get_enum(c, v, "kind", check_kinds, &kd)) == 0 &&
		 (rc = read_code(c, v, &e->code)) == 0)
		rc = read_end_addr(c, v, "remote", e->addr, sizeof(e->addr), 0);
	if (kd >= 0)
		snprintf(e->check, sizeof(e->check), "%s", check_kinds[kd]);
	return rc;
}

/* Only a conflict can be resolved: both agents claim one role in the file.
 * Shared by `role-conflict` and `wire: role-conflict-resolved`. */
static int want_same_roles(struct item *it, struct fy_node *v)
{
	const struct scn_case *k = it->k;
	const char *r0, *r1;

	r0 = json_string_value(json_object_get(k->agent[0].configure, "role"));
	r1 = json_string_value(json_object_get(k->agent[1].configure, "role"));
	if (r0 == NULL || r1 == NULL)
		return scn_fail(it->c, v, "give both agents a 'role': the conflict is between the "
				"roles they start with");
	if (strcmp(r0, r1) != 0)
		return scn_fail(it->c, v, "the agents start in different roles (%s %s, %s %s): "
				"there is no conflict to resolve", k->agent[0].name, r0,
				k->agent[1].name, r1);
	return 0;
}

static int read_role_conflict(struct item *it, struct fy_node *v)
{
	int w = 0, rc = scn_as_enum(it->c, v, resolved_word, &w);

	it->e->kind = SCN_EXP_ROLE_CONFLICT;
	return rc < 0 ? rc : want_same_roles(it, v);
}

/* ---- wire ---------------------------------------------------------------------- */

/* A wire check's mapping `v` with `keys`, whose required `key` names one
 * agent (into e->agent). */
static int read_agent_map(struct item *it, struct fy_node *v, const char *const *keys,
			  const char *key)
{
	struct scn_ctx *c = it->c;
	struct fy_node *a;
	size_t old;
	int rc;

	if ((rc = scn_want_map(c, v)) < 0 || (rc = scn_check_keys(c, v, keys)) < 0 ||
	    (rc = scn_require(c, v, key, &a)) < 0)
		return rc;
	old = scn_path_key(c, key);
	rc = agent_by_name(it, a, false, &it->e->agent);
	scn_path_pop(c, old);
	return rc;
}

/* no-dtls and no-binding-success: what an agent's node must not send where. */
static int read_no_sent(struct item *it, struct fy_node *v, enum scn_exp_kind kind)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	struct fy_node_pair *p;
	unsigned char bin[16];
	size_t old;
	int f = -1, rc;

	e->kind = kind;
	if ((rc = read_agent_map(it, v, no_sent_keys, "from")) < 0 ||
	    (rc = scn_get_enum(c, v, "to-family", family_names, &f)) < 0)
		return rc;
	e->family = f < 0 ? 0 : f == 0 ? AF_INET : AF_INET6;
	if ((p = scn_pair(c, v, "to")) == NULL)
		return 0;
	old = scn_path_key(c, "to");
	f = AF_UNSPEC;
	if (e->family != 0)
		rc = scn_fail(c, fy_node_pair_value(p), "give 'to' or 'to-family', not both");
	else if ((rc = scn_as_addr(c, fy_node_pair_value(p), &f, bin, NULL)) == 0)
		inet_ntop(f, bin, e->addr, sizeof(e->addr));
	scn_path_pop(c, old);
	return rc;
}

/* consent-interval and data-gap: an agent and the longest it may go
 * quiet, named by `who`. */
static int read_interval(struct item *it, struct fy_node *v, enum scn_exp_kind kind,
			 const char *const *keys, const char *who)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	struct fy_node *dummy;
	int rc;

	e->kind = kind;
	if ((rc = read_agent_map(it, v, keys, who)) < 0 ||
	    (rc = scn_require(c, v, "max", &dummy)) < 0)
		return rc;
	return scn_get_duration(c, v, "max", 1, SCN_TIMEOUT_MAX_MS, &e->max);
}

/* checks-rejected: `agent` answers the peer's checks with errors only;
 * `code`, when given, is the only error it may answer with. */
static int read_rejected(struct item *it, struct fy_node *v)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	size_t old;
	int rc;

	e->kind = SCN_EXP_WIRE_REJECTED;
	e->code = -1;
	if ((rc = read_agent_map(it, v, rejected_keys, "agent")) < 0 ||
	    (rc = read_code(c, v, &e->code)) < 0 || e->code != 0)
		return rc;
	old = scn_path_key(c, "code");
	rc = scn_fail(c, fy_node_pair_value(scn_pair(c, v, "code")),
		      "0 is success: a rejection is an error code 300..699");
	scn_path_pop(c, old);
	return rc;
}

static int read_wire(struct item *it, struct fy_node *v)
{
	struct scn_ctx *c = it->c;
	struct fy_node_pair *p;
	const char *key;
	size_t old;
	int w = 0, rc;

	it->e->agent = SCN_AGENT_BOTH;
	if (v != NULL && fy_node_is_mapping(v)) {
		if ((rc = scn_check_keys(c, v, wire_keys)) < 0)
			return rc;
		if (fy_node_mapping_item_count(v) != 1)
			return scn_fail(c, v, "one wire check per item: no-dtls, no-binding-success, "
					"consent-interval, checks-rejected or data-gap");
		p = fy_node_mapping_get_by_index(v, 0);
		key = fy_node_get_scalar0(fy_node_pair_key(p));
		old = scn_path_key(c, key);
		if (!strcmp(key, "no-dtls"))
			rc = read_no_sent(it, fy_node_pair_value(p), SCN_EXP_WIRE_NO_DTLS);
		else if (!strcmp(key, "no-binding-success"))
			rc = read_no_sent(it, fy_node_pair_value(p), SCN_EXP_WIRE_NO_SUCCESS);
		else if (!strcmp(key, "checks-rejected"))
			rc = read_rejected(it, fy_node_pair_value(p));
		else if (!strcmp(key, "data-gap"))
			rc = read_interval(it, fy_node_pair_value(p), SCN_EXP_WIRE_DATA_GAP,
					   data_gap_keys, "from");
		else
			rc = read_interval(it, fy_node_pair_value(p), SCN_EXP_WIRE_CONSENT,
					   consent_keys, "agent");
		scn_path_pop(c, old);
		return rc;
	}
	if (v == NULL || !fy_node_is_scalar(v) || scn_as_enum(c, v, wire_words, &w) < 0)
		return scn_type_error(c, v, "dtls-after-use-candidate, symmetric-responses, "
				      "role-conflict-resolved, or a mapping with no-dtls, "
				      "no-binding-success, consent-interval, checks-rejected or data-gap");
	it->e->kind = w == 0 ? SCN_EXP_WIRE_DTLS_AFTER_NOMINATION
		    : w == 1 ? SCN_EXP_WIRE_SYMMETRIC : SCN_EXP_WIRE_ROLE_CONFLICT;
	return w == 2 ? want_same_roles(it, v) : 0;
}

static const char *const m_state[] = { "agent", "within", "after", "never", "reason", NULL };
static const char *const m_dtls[] = { "agent", "within", "after", "never", "role", "reason",
				       NULL };
static const char *const m_check[] = { "agent", "within", "after", "never", NULL };
static const char *const m_data[] = { "agent", "within", "after", NULL };
static const char *const m_agent[] = { "agent", NULL };
static const char *const m_none[] = { NULL };
/* The wire checks read the whole capture; only checks-rejected has a
 * moment to bound: when its first rejection left (wire_mods). */
static const char *const m_within[] = { "within", NULL };

static const struct kind_def kinds[] = {
	{ "ice", m_state, SCN_AGENT_BOTH, read_ice },
	{ "dtls", m_dtls, SCN_AGENT_BOTH, read_dtls },
	{ "selected", m_agent, SCN_AGENT_BOTH, read_selected },
	{ "same-tuple", m_none, SCN_AGENT_BOTH, read_same_tuple },
	{ "pair-changes", m_agent, SCN_AGENT_BOTH, read_pair_changes },
	{ "data-echoed", m_data, SCN_AGENT_BOTH, read_data_echoed },
	{ "errors", m_agent, SCN_AGENT_BOTH, read_errors },
	{ "error", m_agent, SCN_AGENT_ANY, read_error },
	{ "wire", NULL, SCN_AGENT_BOTH, read_wire }, /* NULL: wire_mods, once read */
	{ "check", m_check, SCN_AGENT_BOTH, read_check },
	{ "role-conflict", m_none, SCN_AGENT_BOTH, read_role_conflict },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- agents and modifiers --------------------------------------------------------- */

static const char *subject(const struct scn_case *k, int agent)
{
	if (agent == SCN_AGENT_BOTH)
		return "both agents";
	if (agent == SCN_AGENT_ANY)
		return "either agent";
	return k->agent[agent].name;
}

/* An agent's name; with `groups`, also both and any. */
static int agent_by_name(struct item *it, struct fy_node *n, bool groups, int *out)
{
	const struct scn_case *k = it->k;
	char name[64];
	int i, rc;

	if ((rc = scn_as_str(it->c, n, name, sizeof(name))) < 0)
		return rc;
	if (groups && !strcmp(name, "both"))
		return (*out = SCN_AGENT_BOTH), 0;
	if (groups && !strcmp(name, "any"))
		return (*out = SCN_AGENT_ANY), 0;
	if ((i = scn_case_agent(k, name)) >= 0)
		return (*out = i), 0;
	return scn_fail(it->c, n, "unknown agent '%s' (agents: %s, %s%s)", name, k->agent[0].name,
			k->agent[1].name, groups ? "; or both, any" : "");
}

static const char *key_text(struct scn_ctx *c, struct fy_node_pair *p, char *buf, size_t size)
{
	size_t len;
	const char *s = scn_scalar(c, fy_node_pair_key(p), &len);

	snprintf(buf, size, "%.*s", (int)(len > 40 ? 40 : len), s);
	return buf;
}

static bool listed(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

static int vfail_key(struct scn_ctx *c, struct fy_node *at, const char *key, const char *fmt,
		     va_list ap)
{
	size_t old = scn_path_key(c, key);
	char reason[512];
	int rc;

	vsnprintf(reason, sizeof(reason), fmt, ap);
	rc = scn_fail(c, at, "%s", reason);
	scn_path_pop(c, old);
	return rc;
}

/* An error at `at`, with the path extended by `key`. */
static int fail_key(struct scn_ctx *c, struct fy_node *at, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_key(struct scn_ctx *c, struct fy_node *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_key(c, at, key, fmt, ap);
	va_end(ap);
	return rc;
}

/* The one assertion key of `item`. */
static int find_kind(struct scn_ctx *c, struct fy_node *item, const struct kind_def **out)
{
	struct fy_node_pair *p;
	void *iter = NULL;
	char key[64];
	int rc;

	*out = NULL;
	if ((rc = scn_want_map(c, item)) < 0 || (rc = scn_check_keys(c, item, item_keys)) < 0)
		return rc;
	while ((p = fy_node_mapping_iterate(item, &iter)) != NULL) {
		key_text(c, p, key, sizeof(key));
		for (size_t i = 0; i < N_KINDS; i++) {
			if (strcmp(kinds[i].key, key) != 0)
				continue;
			if (*out != NULL)
				return fail_key(c, fy_node_pair_key(p), key, "a second assertion in one "
						"item (it already has '%s'); give '%s' its own item",
						(*out)->key, key);
			*out = &kinds[i];
		}
	}
	if (*out == NULL)
		return scn_fail(c, item, "no assertion: give one of ice, dtls, selected, "
				"same-tuple, pair-changes, data-echoed, errors, error, wire, check, "
				"role-conflict");
	return 0;
}

/* Modifiers of `item` not in `mods`; `label` names the assertion in the
 * message ("ice", "wire: no-dtls"). */
static int check_mods(struct scn_ctx *c, struct fy_node *item, const struct kind_def *d,
		      const char *const *mods, const char *label)
{
	struct fy_node_pair *p;
	char key[64], list[96] = "";
	void *iter = NULL;

	for (size_t i = 0; mods[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 mods[i]);
	while ((p = fy_node_mapping_iterate(item, &iter)) != NULL) {
		key_text(c, p, key, sizeof(key));
		if (!strcmp(key, d->key) || listed(mods, key))
			continue;
		if (!strcmp(d->key, "same-tuple") && !strcmp(key, "agent"))
			return fail_key(c, fy_node_pair_key(p), key, "does not apply to '%s': it "
					"compares the two agents' selected pairs", label);
		if (list[0] == '\0')
			return fail_key(c, fy_node_pair_key(p), key, "does not apply to '%s' (it "
					"takes no modifiers)", label);
		return fail_key(c, fy_node_pair_key(p), key, "does not apply to '%s' (it takes: %s)",
				label, list);
	}
	return 0;
}

/* The modifiers of the wire check `e` (already read).  Only
 * checks-rejected takes one: `within`, how soon in the case its first
 * rejection left (wire.c).  The others judge the whole
 * capture; role-conflict-resolved could bound its switch, but from which
 * check is a choice the file would not show, so it takes none.  `after`
 * and `never` fit no wire check: the no-* checks already say "never", and
 * an early rejection is no fault. */
static const char *const *wire_mods(const struct scn_expect *e)
{
	return e->kind == SCN_EXP_WIRE_REJECTED ? m_within : m_none;
}

static int read_mods(struct item *it, struct fy_node *item)
{
	struct scn_expect *e = it->e;
	struct scn_ctx *c = it->c;
	struct fy_node_pair *p;
	bool never = false;
	size_t old;
	int role = -1, rc;

	if ((p = scn_pair(c, item, "agent")) != NULL) {
		old = scn_path_key(c, "agent");
		rc = agent_by_name(it, fy_node_pair_value(p), true, &e->agent);
		scn_path_pop(c, old);
		if (rc < 0)
			return rc;
	}
	if ((rc = scn_get_bool(c, item, "never", &never)) < 0 ||
	    (rc = scn_get_duration(c, item, "within", 1, SCN_TIMEOUT_MAX_MS, &e->within_ms)) < 0 ||
	    (rc = scn_get_duration(c, item, "after", 0, SCN_TIMEOUT_MAX_MS, &e->after_ms)) < 0 ||
	    (rc = scn_get_enum(c, item, "role", dtls_roles, &role)) < 0 ||
	    (rc = scn_get_str(c, item, "reason", e->text, sizeof(e->text))) < 0)
		return rc;
	e->never = e->never || never;
	if (role >= 0)
		snprintf(e->role, sizeof(e->role), "%s", dtls_roles[role]);
	return 0;
}

/* ---- what can be known to be impossible --------------------------------------------- */

/* An error at the value of modifier `key` of `item`. */
static int fail_mod(struct item *it, struct fy_node *item, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_mod(struct item *it, struct fy_node *item, const char *key, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_key(it->c, fy_node_pair_value(scn_pair(it->c, item, key)), key, fmt, ap);
	va_end(ap);
	return rc;
}

static int check_timing(struct item *it, struct fy_node *item)
{
	const struct scn_expect *e = it->e;
	bool has_within = scn_pair(it->c, item, "within") != NULL;
	bool has_after = scn_pair(it->c, item, "after") != NULL;
	char a[24], b[24];

	if (e->never && (has_within || has_after))
		return fail_mod(it, item, has_within ? "within" : "after", "has no meaning for "
				"what must never happen: 'never' covers the whole case");
	if (has_within && e->within_ms > it->k->timeout_ms)
		return fail_mod(it, item, "within", "%s is beyond the case timeout of %s; raise "
				"'timeout' or shorten this", scn_fmt_ms(e->within_ms, a, sizeof(a)),
				scn_fmt_ms(it->k->timeout_ms, b, sizeof(b)));
	if (has_after && e->after_ms >= it->k->timeout_ms)
		return fail_mod(it, item, "after", "%s is not before the case timeout of %s",
				scn_fmt_ms(e->after_ms, a, sizeof(a)),
				scn_fmt_ms(it->k->timeout_ms, b, sizeof(b)));
	if (has_after && has_within && e->after_ms >= e->within_ms)
		return fail_mod(it, item, "after", "%s is not before 'within' (%s): nothing could "
				"happen in between", scn_fmt_ms(e->after_ms, a, sizeof(a)),
				scn_fmt_ms(e->within_ms, b, sizeof(b)));
	if (has_within && e->kind == SCN_EXP_WIRE_REJECTED && e->code < 0)
		return fail_mod(it, item, "within", "bounds the first rejection with 'code', and "
				"without 'code' silence passes too: give the code");
	if (scn_pair(it->c, item, "reason") != NULL && (e->never || e->text[0] == '\0'))
		return fail_mod(it, item, "reason", e->never ? "has no meaning for what must never "
				"happen" : "give the text the state's reason must contain");
	if (e->role[0] != '\0' && strcmp(e->state, "connected") != 0)
		return fail_mod(it, item, "role", "a DTLS role is only known once connected; this "
				"item expects dtls-state %s", e->state);
	return 0;
}

/* ---- what the item says, in words ------------------------------------------------------ */

/* The assertion in words; a long one is cut, which only shortens reports. */
static void set_what(struct scn_expect *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_what(struct scn_expect *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

static void what_pair(const struct scn_case *k, struct scn_expect *e)
{
	const struct scn_pair_match *m = &e->pair;
	size_t n;

	set_what(e, "%s: selected pair", subject(k, e->agent));
	n = strlen(e->what);

#define WHAT_ADD(cond, fmt, v)                                                              \
	do {                                                                                \
		if ((cond) && n < sizeof(e->what))                                           \
			n += (size_t)snprintf(e->what + n, sizeof(e->what) - n, fmt, v);    \
	} while (0)
	WHAT_ADD(m->family != 0, " family %s", m->family == AF_INET ? "ipv4" : "ipv6");
	WHAT_ADD(m->local_type[0], " local-type %s", m->local_type);
	WHAT_ADD(m->remote_type[0], " remote-type %s", m->remote_type);
	WHAT_ADD(m->local[0], " local %s", m->local);
	WHAT_ADD(m->remote[0], " remote %s", m->remote);
#undef WHAT_ADD
}

static void what_count(const struct scn_case *k, struct scn_expect *e)
{
	const char *who = subject(k, e->agent);

	if (e->min == e->max)
		set_what(e, "%s: exactly %u selected-pair event(s)", who,
			 e->min);
	else if (e->max == UINT_MAX)
		set_what(e, "%s: at least %u selected-pair event(s)", who,
			 e->min);
	else
		set_what(e, "%s: %u to %u selected-pair events", who, e->min,
			 e->max);
}

static void what_wire(const struct scn_case *k, struct scn_expect *e)
{
	if (e->kind == SCN_EXP_WIRE_NO_DTLS || e->kind == SCN_EXP_WIRE_NO_SUCCESS)
		set_what(e, "no %s from %s%s%s",
			 e->kind == SCN_EXP_WIRE_NO_DTLS ? "DTLS" : "Binding success response",
			 subject(k, e->agent),
			 e->family || e->addr[0] ? " to " : "",
			 e->addr[0] ? e->addr : e->family == AF_INET ? "ipv4" :
						e->family == AF_INET6 ? "ipv6" : "");
	else if (e->kind == SCN_EXP_WIRE_DTLS_AFTER_NOMINATION)
		set_what(e, "no DTLS before the first USE-CANDIDATE");
	else if (e->kind == SCN_EXP_WIRE_SYMMETRIC)
		set_what(e, "each Binding response leaves from where its "
			 "request arrived");
	else if (e->kind == SCN_EXP_WIRE_ROLE_CONFLICT)
		set_what(e, "on the wire, exactly one agent's checks change role; the roles end "
			 "opposite");
	else if (e->kind == SCN_EXP_WIRE_REJECTED && e->code > 0 && e->within_ms)
		set_what(e, "%s answers the peer's checks with %d only, never success, the first "
			 "within %u ms", subject(k, e->agent), e->code,
			 e->within_ms);
	else if (e->kind == SCN_EXP_WIRE_REJECTED && e->code > 0)
		set_what(e, "%s answers the peer's checks with %d only, never success",
			 subject(k, e->agent), e->code);
	else if (e->kind == SCN_EXP_WIRE_REJECTED)
		set_what(e, "%s answers none of the peer's checks with success",
			 subject(k, e->agent));
	else if (e->kind == SCN_EXP_WIRE_DATA_GAP)
		set_what(e, "%s's application data reaches its peer at least every %u ms",
			 subject(k, e->agent), e->max);
	else
		set_what(e, "%s checks consent at least every %u ms",
			 subject(k, e->agent), e->max);
}

static void what_check(const struct scn_case *k, struct scn_expect *e, const char *t)
{
	char code[24] = "", remote[80] = "";

	if (e->code >= 0)
		snprintf(code, sizeof(code), " code %d", e->code);
	if (e->addr[0])
		snprintf(remote, sizeof(remote), " remote %s", e->addr);
	set_what(e, "%s: %scheck event%s%s%s%s%s", subject(k, e->agent), e->never ? "no " : "",
		 e->check[0] ? " " : "", e->check, code, remote, t);
}

static void what_item(const struct scn_case *k, struct scn_expect *e)
{
	const char *who = subject(k, e->agent);
	char t[112] = "", role[24] = "";

	if (e->within_ms)
		snprintf(t, sizeof(t), " within %u ms", e->within_ms);
	if (e->after_ms)
		snprintf(t + strlen(t), sizeof(t) - strlen(t), " not before %u ms", e->after_ms);
	if (e->role[0])
		snprintf(role, sizeof(role), " as %s", e->role);
	if (e->text[0] && (e->kind == SCN_EXP_ICE || e->kind == SCN_EXP_DTLS))
		snprintf(t + strlen(t), sizeof(t) - strlen(t), " (reason ~ \"%.24s\")", e->text);
	if (e->kind == SCN_EXP_ICE || e->kind == SCN_EXP_DTLS)
		set_what(e, "%s %s%s-state %s%s%s", who,
			 !e->never ? "" : e->agent == SCN_AGENT_BOTH ? "never reach " : "never reaches ",
			 e->kind == SCN_EXP_ICE ? "ice" : "dtls",
			 e->state, role, t);
	else if (e->kind == SCN_EXP_SELECTED)
		what_pair(k, e);
	else if (e->kind == SCN_EXP_SAME_TUPLE)
		set_what(e, "both agents' selected pairs describe one path");
	else if (e->kind == SCN_EXP_PAIR_CHANGES)
		what_count(k, e);
	else if (e->kind == SCN_EXP_DATA_ECHOED)
		set_what(e, "%s: data %s%s", who,
			 e->never ? "never echoed" : "echoed", t);
	else if (e->kind == SCN_EXP_NO_ERRORS)
		set_what(e, "%s: no error event", who);
	else if (e->kind == SCN_EXP_ERROR)
		set_what(e, "%s: an error event whose reason contains \"%s\"",
			 who, e->text);
	else if (e->kind == SCN_EXP_CHECK)
		what_check(k, e, t);
	else if (e->kind == SCN_EXP_ROLE_CONFLICT)
		set_what(e, "exactly one agent changes its ICE role; the roles end opposite");
	else
		what_wire(k, e);
}

/* A wire item's modifiers depend on which check its value names, so they
 * are checked once it is read; messages name the check as the file does
 * ("wire: no-dtls"): the word, or the one key of the mapping. */
static int check_wire_mods(struct scn_ctx *c, struct fy_node *item, const struct kind_def *d,
			   const struct scn_expect *e)
{
	struct fy_node *v = fy_node_pair_value(scn_pair(c, item, d->key));
	const char *name = fy_node_is_mapping(v)
		? fy_node_get_scalar0(fy_node_pair_key(fy_node_mapping_get_by_index(v, 0)))
		: fy_node_get_scalar0(v);
	char label[64];

	snprintf(label, sizeof(label), "wire: %s", name ? name : "?");
	return check_mods(c, item, d, wire_mods(e), label);
}

/* ---- items and the list ------------------------------------------------------------------ */

static int read_item(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		     struct scn_expect *e)
{
	struct item it = { c, k, e };
	const struct kind_def *d;
	size_t old;
	int rc;

	e->src = scn_src(c, item);
	if ((rc = find_kind(c, item, &d)) < 0 ||
	    (d->mods != NULL && (rc = check_mods(c, item, d, d->mods, d->key)) < 0))
		return rc;
	e->agent = d->agent;
	old = scn_path_key(c, d->key);
	rc = d->read(&it, fy_node_pair_value(scn_pair(c, item, d->key)));
	scn_path_pop(c, old);
	if (rc < 0 || (d->mods == NULL && (rc = check_wire_mods(c, item, d, e)) < 0) ||
	    (rc = read_mods(&it, item)) < 0 || (rc = check_timing(&it, item)) < 0)
		return rc;
	what_item(k, e);
	return 0;
}

/* Whether `pos` (to happen) and `neg` (never) can both hold. */
static bool contradict(const struct scn_expect *pos, const struct scn_expect *neg)
{
	bool overlap = pos->agent == SCN_AGENT_BOTH || neg->agent == SCN_AGENT_BOTH ||
		       (pos->agent >= 0 && pos->agent == neg->agent);

	if (pos->never || !neg->never || pos->kind != neg->kind || !overlap)
		return false;
	if (pos->kind != SCN_EXP_ICE && pos->kind != SCN_EXP_DTLS &&
	    pos->kind != SCN_EXP_DATA_ECHOED)
		return false;
	return !strcmp(pos->state, neg->state) &&
	       (neg->role[0] == '\0' || !strcmp(pos->role, neg->role));
}

static int check_contradictions(struct scn_ctx *c, struct fy_node *seq, const struct scn_case *k)
{
	char msg[256];
	size_t old;
	int rc;

	for (size_t j = 1; j < k->n_expect; j++)
		for (size_t i = 0; i < j; i++) {
			if (!contradict(&k->expect[i], &k->expect[j]) &&
			    !contradict(&k->expect[j], &k->expect[i]))
				continue;
			snprintf(msg, sizeof(msg), "contradicts expect[%zu] (%s)", i,
				 k->expect[i].what);
			old = scn_path_index(c, j);
			rc = scn_fail(c, fy_node_sequence_get_by_index(seq, (int)j), "%s: an agent "
				      "cannot both reach it and never reach it", msg);
			scn_path_pop(c, old);
			return rc;
		}
	return 0;
}

int scn_read_expect(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "expect");
	struct fy_node *seq, *item;
	size_t old, old2;
	void *iter = NULL;
	int rc;

	if (p == NULL)
		return 0;
	seq = fy_node_pair_value(p);
	old = scn_path_key(c, "expect");
	if ((rc = scn_want_seq(c, seq)) == 0 && k->n_agents == 0)
		rc = scn_fail(c, seq, "expectations need agents, and this file has none (a "
			      "topology-only file is judged by its probes)");
	if (rc == 0) {
		k->expect = calloc((size_t)fy_node_sequence_item_count(seq) + 1, sizeof(*k->expect));
		rc = k->expect == NULL ? scn_oom(c) : 0;
	}
	while (rc == 0 && (item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
		old2 = scn_path_index(c, k->n_expect);
		rc = read_item(c, item, k, &k->expect[k->n_expect++]);
		scn_path_pop(c, old2);
	}
	if (rc == 0)
		rc = check_contradictions(c, seq, k);
	scn_path_pop(c, old);
	return rc;
}
