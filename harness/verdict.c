/* verdict.c - judge a case's event expectations against its timeline.
 *
 * Times are the harness's ("t" of each timeline entry, ms since the
 * session started), never the agents' own "ts": only the harness's clock
 * is shared by both agents and by the bounds of the scenario.
 *
 * Which agents: an expectation names one agent (its index), SCN_AGENT_BOTH
 * (every agent of the case must satisfy it) or SCN_AGENT_ANY (at least one
 * must).  Each agent is judged alone, then the results are combined.
 *
 * Semantics per kind:
 * - ICE, DTLS: the FIRST ice-state / dtls-state event with `state` must
 *   come at a time t with after_ms <= t <= within_ms (within 0: no upper
 *   bound).  The first one counts so that after_ms is a real lower bound
 *   on time-to-connected.  DTLS with `role` set: that event must carry
 *   that role.  `never`: no event with `state` at all (bounds and role
 *   ignored).  ICE "connected" is also reached by "completed", which
 *   implies it.  When the state is not reached the detail quotes the last
 *   few states the agent went through, with their times (and the reason
 *   of a failed DTLS state).  With `text` (the `reason` modifier), that
 *   first event's reason must contain it.
 * - SELECTED: the agent's LAST selected-pair event matches every set field
 *   of `pair`.  Address patterns: "ADDR" (any port), "ADDR:PORT",
 *   "ADDR:*", IPv6 as "[ADDR]:PORT" / "[ADDR]:*" / "[ADDR]" / bare "ADDR";
 *   addresses compare as binary (inet_pton), so spellings of one IPv6
 *   address are equal.  No selected-pair at all fails.
 * - SAME_TUPLE: agents 0 and 1 both reported a selected pair, of the same
 *   family, and for each agent X with peer Y: X's remote is Y's local, or a
 *   NAT is on the way (X's remote is prflx/srflx/relay while Y's local is
 *   host, prflx or srflx - Y reports its base - so X sees Y's translated
 *   address).  `agent` is ignored.  NAT64: an IPv6 address inside the
 *   prefix of a `nat64:` of the case's topology stands for the IPv4
 *   address it embeds (RFC 6052 2.2), so an IPv6 pair whose remote is the
 *   synthesized address of the peer's IPv4 local agrees with the peer's
 *   IPv4 pair whose remote is the NAT64's (prflx/srflx) outside address.
 * - PAIR_CHANGES: min <= number of selected-pair events <= max.
 * - DATA_ECHOED: a data-echoed event (within_ms / after_ms bound the first
 *   one when set); `never`: none.
 * - NO_ERRORS: no error event; the detail quotes the first one.
 * - ERROR: an error event whose reason contains `text` ("" : any).
 * - CHECK: a `check` event with kind `check` ("" any), `code` (-1 any)
 *   and a remote matching `addr` ("" any); within_ms / after_ms bound the
 *   first match; `never`: none matches.
 * - ROLE_CONFLICT (both agents, `agent` ignored): exactly one agent emits
 *   check role-changed (its last `reason` is its new role), and the
 *   roles then differ; the roles it starts from are the `role` of each
 *   agent's configure, which the loader requires.
 * - Wire kinds: judged by wire.c; their items get judged = false.
 *
 * Details are one line of printable ASCII, cut to fit verdict_item.detail:
 * "expected WHAT; AGENT: what happened" on failure, "WHAT: AGENT: what
 * happened" on success.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "verdict.h"

#define VD_HISTORY 4           /* states quoted when one was not reached */
#define VD_QUOTED 3            /* error reasons quoted when none matched */

/* A bounded line: appends are cut, never overflow. */
struct vd_buf {
	char *s;
	size_t cap;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void vd_add(struct vd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len - 1;
}

/* One timeline entry of an agent. */
struct vd_ev {
	double t;
	const json_t *ev;
};

static const char *vd_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* The next entry from *i on of `agent` named `event`; advances *i past it. */
static bool vd_next(const json_t *tl, size_t *i, const char *agent, const char *event,
		    struct vd_ev *out)
{
	for (; *i < json_array_size(tl); (*i)++) {
		const json_t *entry = json_array_get(tl, *i);
		const json_t *ev = json_object_get(entry, "event");

		if (strcmp(vd_str(entry, "agent"), agent) != 0 ||
		    strcmp(vd_str(ev, "event"), event) != 0)
			continue;
		out->t = json_number_value(json_object_get(entry, "t"));
		out->ev = ev;
		(*i)++;
		return true;
	}
	return false;
}

static bool vd_last(const json_t *tl, const char *agent, const char *event, struct vd_ev *out)
{
	struct vd_ev ev;
	size_t i = 0;
	bool found = false;

	memset(out, 0, sizeof(*out));
	while (vd_next(tl, &i, agent, event, &ev)) {
		*out = ev;
		found = true;
	}
	return found;
}

static size_t vd_count(const json_t *tl, const char *agent, const char *event)
{
	struct vd_ev ev;
	size_t i = 0, n = 0;

	while (vd_next(tl, &i, agent, event, &ev))
		n++;
	return n;
}

/* ---- timing and states ---------------------------------------------- */

/* Whether `t` (when `what` happened) is within the expectation's bounds. */
static bool vd_timing(const struct scn_expect *e, const char *what, double t, struct vd_buf *out)
{
	if (t < e->after_ms) {
		vd_add(out, "%s at %.1f ms, before the lower bound %u ms", what, t, e->after_ms);
		return false;
	}
	if (e->within_ms && t > e->within_ms) {
		vd_add(out, "%s at %.1f ms, after the deadline %u ms", what, t, e->within_ms);
		return false;
	}
	vd_add(out, "%s at %.1f ms", what, t);
	return true;
}

static void vd_add_state(struct vd_buf *out, const struct vd_ev *ev)
{
	const char *reason = vd_str(ev->ev, "reason");

	vd_add(out, "%s at %.1f ms", vd_str(ev->ev, "state"), ev->t);
	if (*reason)
		vd_add(out, " (reason: %s)", reason);
}

/* The last few states an agent went through, oldest first; `ring` holds
 * the last min(n, VD_HISTORY) of the `n` events seen. */
static void vd_add_history(struct vd_buf *out, const struct vd_ev *ring, size_t n)
{
	size_t shown = n < VD_HISTORY ? n : VD_HISTORY;

	vd_add(out, "went through %s", n > VD_HISTORY ? "..., " : "");
	for (size_t k = 0; k < shown; k++) {
		vd_add(out, "%s", k ? ", " : "");
		vd_add_state(out, &ring[(n - shown + k) % VD_HISTORY]);
	}
}

/* What the first event reaching the state says, once found. */
static bool vd_state_reached(const struct scn_expect *e, const struct vd_ev *ev,
			     struct vd_buf *out)
{
	const char *role = vd_str(ev->ev, "role");
	char what[64];

	if (e->never) {
		vd_add(out, "reported ");
		vd_add_state(out, ev);
		return false;
	}
	if (e->kind == SCN_EXP_DTLS && e->role[0] && strcmp(role, e->role) != 0) {
		vd_add(out, "reached %s at %.1f ms as role %s, expected role %s", e->state,
		       ev->t, *role ? role : "(none)", e->role);
		return false;
	}
	snprintf(what, sizeof(what), "reached %s", e->state);
	if (e->text[0] && !strstr(vd_str(ev->ev, "reason"), e->text)) {
		vd_add(out, "%s at %.1f ms, but its reason is \"%s\"", what, ev->t,
		       vd_str(ev->ev, "reason"));
		return false;
	}
	return vd_timing(e, what, ev->t, out);
}

/* ICE "completed" includes "connected": an ICE-Lite agent, or a full one
 * that nominates at once, may go from checking straight to completed
 * (RFC 8445 8.2), and that is a connection too. */
static bool vd_state_is(const struct scn_expect *e, const char *got)
{
	return strcmp(got, e->state) == 0 ||
	       (e->kind == SCN_EXP_ICE && strcmp(e->state, "connected") == 0 &&
		strcmp(got, "completed") == 0);
}

static bool vd_judge_state(const struct scn_expect *e, const json_t *tl, const char *agent,
			   struct vd_buf *out)
{
	const char *name = e->kind == SCN_EXP_ICE ? "ice-state" : "dtls-state";
	struct vd_ev ring[VD_HISTORY], ev;
	size_t i = 0, n = 0;

	while (vd_next(tl, &i, agent, name, &ev)) {
		if (vd_state_is(e, vd_str(ev.ev, "state")))
			return vd_state_reached(e, &ev, out);
		ring[n++ % VD_HISTORY] = ev;
	}
	if (n == 0) {
		vd_add(out, "never reported any %s", name);
		return e->never;
	}
	vd_add(out, "never reached %s; ", e->state);
	vd_add_history(out, ring, n);
	return e->never;
}

/* ---- addresses and pairs -------------------------------------------- */

struct vd_addr {
	int family;
	unsigned char a[16];
	int port;                  /* -1: any */
};

/* "*" or a decimal port. */
static bool vd_port_parse(const char *s, int *port)
{
	char *end;
	unsigned long v;

	if (strcmp(s, "*") == 0) {
		*port = -1;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

/* The address part alone (a zone "%eth0" is dropped). */
static bool vd_host_parse(const char *s, size_t len, struct vd_addr *out)
{
	char host[64];

	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	host[strcspn(host, "%")] = '\0';
	out->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	return inet_pton(out->family, host, out->a) == 1;
}

/* "IP", "IP:PORT", "IP:*", "[IP6]", "[IP6]:PORT", "[IP6]:*", bare "IP6". */
static bool vd_addr_parse(const char *s, struct vd_addr *out)
{
	const char *colon = strchr(s, ':');

	memset(out, 0, sizeof(*out));
	out->port = -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || !vd_host_parse(s + 1, (size_t)(close - s - 1), out) ||
		    out->family != AF_INET6)
			return false;
		return close[1] == '\0' || (close[1] == ':' && vd_port_parse(close + 2, &out->port));
	}
	if (!colon || strchr(colon + 1, ':'))
		return vd_host_parse(s, strlen(s), out);
	return vd_host_parse(s, (size_t)(colon - s), out) && out->family == AF_INET &&
	       vd_port_parse(colon + 1, &out->port);
}

/* Whether address `s` (from an event) matches `pattern`. */
static bool vd_addr_match(const char *pattern, const char *s)
{
	struct vd_addr p, a;
	size_t len;

	if (!vd_addr_parse(pattern, &p) || !vd_addr_parse(s, &a))
		return false;
	len = p.family == AF_INET ? 4 : 16;
	return p.family == a.family && memcmp(p.a, a.a, len) == 0 &&
	       (p.port == -1 || p.port == a.port);
}

/* Two event addresses: the same address and port (as text if unreadable). */
static bool vd_addr_equal(const char *x, const char *y)
{
	struct vd_addr a, b;

	if (!vd_addr_parse(x, &a) || !vd_addr_parse(y, &b))
		return strcmp(x, y) == 0;
	return vd_addr_match(x, y) && a.port == b.port;
}

static const char *vd_family_name(int family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "any";
}

static void vd_add_pair(struct vd_buf *out, const json_t *ev)
{
	vd_add(out, "%s (%s) -> %s (%s), %s", vd_str(ev, "local"), vd_str(ev, "local_type"),
	       vd_str(ev, "remote"), vd_str(ev, "remote_type"), vd_str(ev, "family"));
}

/* The first field of `m` that the pair `ev` does not match, or NULL. */
static const char *vd_pair_mismatch(const struct scn_pair_match *m, const json_t *ev)
{
	if (m->family && strcmp(vd_str(ev, "family"), vd_family_name(m->family)) != 0)
		return "family";
	if (m->local_type[0] && strcmp(vd_str(ev, "local_type"), m->local_type) != 0)
		return "local_type";
	if (m->remote_type[0] && strcmp(vd_str(ev, "remote_type"), m->remote_type) != 0)
		return "remote_type";
	if (m->local[0] && !vd_addr_match(m->local, vd_str(ev, "local")))
		return "local";
	if (m->remote[0] && !vd_addr_match(m->remote, vd_str(ev, "remote")))
		return "remote";
	return NULL;
}

/* What the expectation wanted of field `field`, for the detail. */
static const char *vd_pair_wanted(const struct scn_pair_match *m, const char *field)
{
	if (strcmp(field, "family") == 0)
		return vd_family_name(m->family);
	if (strcmp(field, "local_type") == 0)
		return m->local_type;
	if (strcmp(field, "remote_type") == 0)
		return m->remote_type;
	return strcmp(field, "local") == 0 ? m->local : m->remote;
}

static bool vd_judge_selected(const struct scn_expect *e, const json_t *tl, const char *agent,
			      struct vd_buf *out)
{
	struct vd_ev last;
	const char *bad;

	if (!vd_last(tl, agent, "selected-pair", &last)) {
		vd_add(out, "no selected-pair event");
		return false;
	}
	vd_add(out, "last selected-pair at %.1f ms: ", last.t);
	vd_add_pair(out, last.ev);
	bad = vd_pair_mismatch(&e->pair, last.ev);
	if (bad)
		vd_add(out, "; %s is not %s", bad, vd_pair_wanted(&e->pair, bad));
	return bad == NULL;
}

/* ---- counts, data, errors ------------------------------------------- */

static bool vd_judge_changes(const struct scn_expect *e, const json_t *tl, const char *agent,
			     struct vd_buf *out)
{
	size_t n = vd_count(tl, agent, "selected-pair");

	vd_add(out, "%zu selected-pair events", n);
	if (n < e->min)
		vd_add(out, ", fewer than %u", e->min);
	else if (n > e->max)
		vd_add(out, ", more than %u", e->max);
	return n >= e->min && n <= e->max;
}

static bool vd_judge_echoed(const struct scn_expect *e, const json_t *tl, const char *agent,
			    struct vd_buf *out)
{
	struct vd_ev ev;
	size_t i = 0;

	if (vd_next(tl, &i, agent, "data-echoed", &ev)) {
		if (!e->never)
			return vd_timing(e, "data-echoed", ev.t, out);
		vd_add(out, "data-echoed at %.1f ms", ev.t);
		return false;
	}
	vd_add(out, "no data-echoed event");
	/* Why the probe could not come back is usually in DTLS. */
	if (vd_last(tl, agent, "dtls-state", &ev)) {
		vd_add(out, " (last dtls-state ");
		vd_add_state(out, &ev);
		vd_add(out, ")");
	}
	return e->never;
}

static void vd_add_error(struct vd_buf *out, const struct vd_ev *ev)
{
	vd_add(out, "error at %.1f ms: \"%s\"%s", ev->t, vd_str(ev->ev, "reason"),
	       json_is_true(json_object_get(ev->ev, "fatal")) ? " (fatal)" : "");
}

static bool vd_judge_no_errors(const struct scn_expect *e, const json_t *tl, const char *agent,
			       struct vd_buf *out)
{
	struct vd_ev ev;
	size_t i = 0, n = vd_count(tl, agent, "error");

	(void)e;
	if (!vd_next(tl, &i, agent, "error", &ev)) {
		vd_add(out, "no error event");
		return true;
	}
	vd_add_error(out, &ev);
	if (n > 1)
		vd_add(out, " and %zu more", n - 1);
	return false;
}

static bool vd_judge_error(const struct scn_expect *e, const json_t *tl, const char *agent,
			   struct vd_buf *out)
{
	struct vd_ev ev;
	size_t i = 0, n = 0;

	while (vd_next(tl, &i, agent, "error", &ev)) {
		if (strstr(vd_str(ev.ev, "reason"), e->text)) {
			vd_add_error(out, &ev);
			return true;
		}
		if (n < VD_QUOTED)
			vd_add(out, "%s\"%s\" at %.1f ms", n ? ", " : "other errors: ",
			       vd_str(ev.ev, "reason"), ev.t);
		n++;
	}
	vd_add(out, "%s", n ? (n > VD_QUOTED ? ", ..." : "") : "no error event");
	return false;
}

/* ---- checks and roles ------------------------------------------------ */

static bool vd_check_matches(const struct scn_expect *e, const json_t *ev)
{
	return (!e->check[0] || strcmp(vd_str(ev, "kind"), e->check) == 0) &&
	       (e->code < 0 || json_integer_value(json_object_get(ev, "code")) == e->code) &&
	       (!e->addr[0] || vd_addr_match(e->addr, vd_str(ev, "remote")));
}

static void vd_add_check(struct vd_buf *out, const struct vd_ev *ev)
{
	vd_add(out, "%s code %lld, remote %s", vd_str(ev->ev, "kind"),
	       json_integer_value(json_object_get(ev->ev, "code")), vd_str(ev->ev, "remote"));
}

static bool vd_judge_check(const struct scn_expect *e, const json_t *tl, const char *agent,
			   struct vd_buf *out)
{
	struct vd_ev ev;
	size_t i = 0, n = 0;
	bool ok;

	while (vd_next(tl, &i, agent, "check", &ev)) {
		if (!vd_check_matches(e, ev.ev)) {
			n++;
			continue;
		}
		ok = !e->never && vd_timing(e, "check", ev.t, out);
		if (e->never)
			vd_add(out, "check at %.1f ms", ev.t);
		vd_add(out, ": ");
		vd_add_check(out, &ev);
		return ok;
	}
	vd_add(out, "no matching check event (%zu other check events)", n);
	return e->never;
}

/* How often agent `name` changed role, and the role it ended in. */
static size_t vd_role_changes(const struct scn_case *c, const json_t *tl, size_t a,
			      const char **role)
{
	struct vd_ev ev;
	size_t i = 0, n = 0;

	*role = vd_str(c->agent[a].configure, "role");
	while (vd_next(tl, &i, c->agent[a].name, "check", &ev))
		if (strcmp(vd_str(ev.ev, "kind"), "role-changed") == 0) {
			n++;
			*role = vd_str(ev.ev, "reason");
		}
	return n;
}

static bool vd_judge_role_conflict(const struct scn_case *c, const json_t *tl, struct vd_buf *out)
{
	const char *role[2] = { "", "" };
	size_t n[2] = { 0, 0 };

	if (c->n_agents < 2) {
		vd_add(out, "the case has fewer than 2 agents");
		return false;
	}
	for (size_t a = 0; a < 2; a++) {
		n[a] = vd_role_changes(c, tl, a, &role[a]);
		vd_add(out, "%s%s: %zu role change(s), ends %s", a ? "; " : "", c->agent[a].name,
		       n[a], role[a]);
	}
	if ((n[0] > 0) == (n[1] > 0))
		vd_add(out, n[0] ? " (both changed)" : " (neither changed)");
	else if (strcmp(role[0], role[1]) == 0)
		vd_add(out, " (same role)");
	return (n[0] > 0) != (n[1] > 0) && strcmp(role[0], role[1]) != 0;
}

/* ---- combining agents ------------------------------------------------ */

typedef bool vd_judge_fn(const struct scn_expect *e, const json_t *tl, const char *agent,
			 struct vd_buf *out);

/* Judge agent `i` into `out` as "NAME: what happened". */
static bool vd_one_agent(const struct scn_case *c, const struct scn_expect *e, const json_t *tl,
			 vd_judge_fn *fn, size_t i, struct vd_buf *out)
{
	vd_add(out, "%s: ", c->agent[i].name);
	return fn(e, tl, c->agent[i].name, out);
}

static bool vd_per_agent(const struct scn_case *c, const struct scn_expect *e, const json_t *tl,
			 vd_judge_fn *fn, struct vd_buf *out)
{
	size_t n_ok = 0;

	if (e->agent >= 0) {
		if ((size_t)e->agent < c->n_agents)
			return vd_one_agent(c, e, tl, fn, (size_t)e->agent, out);
		vd_add(out, "no agent #%d in the case", e->agent);
		return false;
	}
	for (size_t i = 0; i < c->n_agents; i++) {
		vd_add(out, "%s", i ? "; " : "");
		n_ok += vd_one_agent(c, e, tl, fn, i, out);
	}
	if (e->agent == SCN_AGENT_ANY)
		return n_ok > 0;
	return c->n_agents > 0 && n_ok == c->n_agents;
}

/* RFC 6052 2.2: the IPv4 address that `v6` embeds under the NAT64 prefix
 * `pf` (the u octet, bits 64..71, skipped below /96); false outside it. */
static bool vd_embedded_v4(const struct topo_prefix *pf, const unsigned char v6[16],
			   unsigned char v4[4])
{
	unsigned pos = pf->plen / 8;

	if (pf->family != AF_INET6 || pos > 12 || memcmp(v6, pf->addr, pos) != 0 ||
	    (pf->plen < 96 && v6[8] != 0))
		return false;
	for (int i = 0; i < 4; i++, pos++)
		v4[i] = v6[pf->plen < 96 && pos >= 8 ? pos + 1 : pos];
	return true;
}

/* Whether event address `x`, read through the NAT64s of the case's
 * topology (an address in a prefix stands for the IPv4 it embeds), is
 * event address `y`, port included. */
static bool vd_nat64_equal(const struct scn_case *c, const char *x, const char *y)
{
	struct vd_addr a, b;
	unsigned char v4[4];

	if (!vd_addr_parse(x, &a) || !vd_addr_parse(y, &b) || a.family != AF_INET6 ||
	    b.family != AF_INET || a.port != b.port)
		return false;
	for (size_t i = 0; i < c->plan.n_nodes; i++) {
		const struct topo_nat64 *n = c->plan.nodes[i].nat64;

		if (n && vd_embedded_v4(&n->prefix, a.a, v4) && memcmp(v4, b.a, 4) == 0)
			return true;
	}
	return false;
}

/* Whether X's remote is what its peer Y says it is, directly, through a
 * NAT64's prefix, or through a NAT: X learnt Y's translated address,
 * while Y reports the base it sends from, whose type is host, or
 * prflx/srflx when Y learnt its own mapping (agents report the base as
 * "local", docs/agent-protocol.md). */
static bool vd_sees_peer(const struct scn_case *c, const json_t *x, const json_t *y)
{
	const char *rt = vd_str(x, "remote_type"), *lt = vd_str(y, "local_type");

	if (vd_addr_equal(vd_str(x, "remote"), vd_str(y, "local")) ||
	    vd_nat64_equal(c, vd_str(x, "remote"), vd_str(y, "local")))
		return true;
	return (strcmp(rt, "prflx") == 0 || strcmp(rt, "srflx") == 0 ||
		strcmp(rt, "relay") == 0) &&
	       (strcmp(lt, "host") == 0 || strcmp(lt, "prflx") == 0 || strcmp(lt, "srflx") == 0);
}

/* Whether the two last pairs describe one path; if not, says why. */
static bool vd_tuple_agrees(const struct scn_case *c, const json_t *p[2], struct vd_buf *out)
{
	/* Families differ only across a NAT64: the IPv6 side sends to the
	 * synthesized address of the IPv4 side's local. */
	if (strcmp(vd_str(p[0], "family"), vd_str(p[1], "family")) != 0 &&
	    !vd_nat64_equal(c, vd_str(p[0], "remote"), vd_str(p[1], "local")) &&
	    !vd_nat64_equal(c, vd_str(p[1], "remote"), vd_str(p[0], "local"))) {
		vd_add(out, "families differ (and no NAT64 prefix of the topology joins them); ");
		return false;
	}
	for (int x = 0; x < 2; x++) {
		const json_t *px = p[x], *py = p[1 - x];

		if (vd_sees_peer(c, px, py))
			continue;
		vd_add(out, "%s's remote %s (%s) is not %s's local %s (%s); ", c->agent[x].name,
		       vd_str(px, "remote"), vd_str(px, "remote_type"), c->agent[1 - x].name,
		       vd_str(py, "local"), vd_str(py, "local_type"));
		return false;
	}
	return true;
}

static bool vd_judge_same_tuple(const struct scn_case *c, const json_t *tl, struct vd_buf *out)
{
	const json_t *p[2];
	struct vd_ev ev;
	bool ok;

	if (c->n_agents < 2) {
		vd_add(out, "the case has fewer than 2 agents");
		return false;
	}
	for (int i = 0; i < 2; i++) {
		if (!vd_last(tl, c->agent[i].name, "selected-pair", &ev)) {
			vd_add(out, "%s: no selected-pair event", c->agent[i].name);
			return false;
		}
		p[i] = ev.ev;
	}
	ok = vd_tuple_agrees(c, p, out);
	for (int i = 0; i < 2; i++) {
		vd_add(out, "%s%s ", i ? "; " : "", c->agent[i].name);
		vd_add_pair(out, p[i]);
	}
	return ok;
}

/* ---- items ------------------------------------------------------------ */

static vd_judge_fn *vd_judge_of(enum scn_exp_kind kind)
{
	switch (kind) {
	case SCN_EXP_ICE:
	case SCN_EXP_DTLS:
		return vd_judge_state;
	case SCN_EXP_SELECTED:
		return vd_judge_selected;
	case SCN_EXP_PAIR_CHANGES:
		return vd_judge_changes;
	case SCN_EXP_DATA_ECHOED:
		return vd_judge_echoed;
	case SCN_EXP_NO_ERRORS:
		return vd_judge_no_errors;
	case SCN_EXP_ERROR:
		return vd_judge_error;
	case SCN_EXP_CHECK:
		return vd_judge_check;
	default:
		return NULL;
	}
}

bool verdict_is_event(enum scn_exp_kind kind)
{
	return kind == SCN_EXP_SAME_TUPLE || kind == SCN_EXP_ROLE_CONFLICT ||
	       vd_judge_of(kind) != NULL;
}

/* The detail must stay one printable ASCII line whatever agents wrote. */
static void vd_ascii(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/* For an expectation the loader did not describe. */
static const char *vd_kind_name(enum scn_exp_kind kind)
{
	static const char *const names[] = {
		[SCN_EXP_ICE] = "ice-state", [SCN_EXP_DTLS] = "dtls-state",
		[SCN_EXP_SELECTED] = "selected pair", [SCN_EXP_SAME_TUPLE] = "same tuple",
		[SCN_EXP_PAIR_CHANGES] = "pair changes", [SCN_EXP_DATA_ECHOED] = "data-echoed",
		[SCN_EXP_NO_ERRORS] = "no errors", [SCN_EXP_ERROR] = "an error",
		[SCN_EXP_CHECK] = "a check event", [SCN_EXP_ROLE_CONFLICT] = "role conflict",
	};

	return (size_t)kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind]
									      : "?";
}

static void vd_judge_item(const struct scn_case *c, const struct scn_expect *e,
			  const json_t *tl, struct verdict_item *item)
{
	char happened[sizeof(item->detail)];
	struct vd_buf out = {happened, sizeof(happened), 0};
	struct vd_buf detail = {item->detail, sizeof(item->detail), 0};
	const char *what = e->what[0] ? e->what : vd_kind_name(e->kind);

	happened[0] = '\0';
	item->judged = true;
	if (e->kind == SCN_EXP_SAME_TUPLE)
		item->ok = vd_judge_same_tuple(c, tl, &out);
	else if (e->kind == SCN_EXP_ROLE_CONFLICT)
		item->ok = vd_judge_role_conflict(c, tl, &out);
	else
		item->ok = vd_per_agent(c, e, tl, vd_judge_of(e->kind), &out);
	vd_add(&detail, item->ok ? "%s: %s" : "expected %s; %s", what, happened);
	vd_ascii(item->detail);
}

size_t verdict_events(const struct scn_case *c, const json_t *timeline,
		      struct verdict_item *items)
{
	size_t failed = 0;

	for (size_t i = 0; i < c->n_expect; i++) {
		struct verdict_item *item = &items[i];

		memset(item, 0, sizeof(*item));
		if (!verdict_is_event(c->expect[i].kind))
			continue;
		vd_judge_item(c, &c->expect[i], timeline, item);
		failed += !item->ok;
	}
	return failed;
}
