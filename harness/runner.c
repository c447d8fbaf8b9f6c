/* runner.c - one case from topology to verdict. */
#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../netns/probe.h"
#include "../netns/topo.h"
#include "registry.h"
#include "session.h"
#include "verdict.h"
#include "wire.h"

#define RUN_SETTLE_MS 300
#define RUN_PROBE_TIMEOUT_MS 400
#define RUN_LOG_TAIL_LINES 8

/* What one run of a case gathers before it is turned into JSON. */
struct outcome {
	bool error;                /* environment: verdict "error" */
	bool na;                   /* not applicable: verdict "n/a", `message` says why */
	bool service_ended;        /* a service of the topology died: reported once */
	char message[1536];        /* first failure, or the error */
	json_t *assertions;
	json_t *agents;
	json_t *timeline;          /* borrowed from the session result */
	json_t *wire;
	size_t failed;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* What agent `i` of `c` must be able to do (the capabilities of
 * docs/agent-protocol.md), from its configure, the signalling and the
 * actions; `needs` holds 8, NULL-terminated.  Only what the file asks for
 * explicitly: an agent with no `lite` key is whatever its kind is. */
static void agent_needs(const struct scn_case *c, size_t i, const char **needs)
{
	json_t *conf = c->agent[i].configure;
	json_t *lite = json_object_get(conf, "lite");
	const char *nom = json_string_value(json_object_get(conf, "nomination"));
	size_t n = 0;
	bool restart = false;

	if (json_is_true(lite))
		needs[n++] = "lite";
	else if (json_is_false(lite))
		needs[n++] = "full";
	if (nom && strcmp(nom, "aggressive") == 0 && !json_is_true(lite))
		needs[n++] = "aggressive-nomination";
	if (json_array_size(json_object_get(conf, "stun_servers")) > 0)
		needs[n++] = "stun";
	if (json_array_size(json_object_get(conf, "turn_servers")) > 0)
		needs[n++] = "turn";
	if (c->trickle)
		needs[n++] = "trickle";
	/* Either side's restart makes both restart (the peer answers it). */
	for (size_t k = 0; k < c->n_actions; k++)
		restart = restart || c->actions[k].kind == SCN_ACT_RESTART;
	if (restart)
		needs[n++] = "restart";
	needs[n] = NULL;
}

/* The session ended because an agent cannot play its part.  Its own
 * not-applicable event, or a capability it lacks when it was swapped in
 * with --agent, make the case "n/a"; the scenario's own agent lacking a
 * capability is the scenario's mistake: "error". */
static void note_not_applicable(const struct scn_case *c, const struct sess_result *r,
				struct outcome *o)
{
	const struct scn_agent *a = &c->agent[r->na_agent & 1];

	if (r->na_capability && !a->impl_override)
		o->error = true;
	else
		o->na = true;
	snprintf(o->message, sizeof(o->message), "%s (%s): %s", a->name, a->impl,
		 r->not_applicable);
}

bool run_verdict_failed(const char *v)
{
	return strcmp(v, "fail") == 0 || strcmp(v, "xpass") == 0 || strcmp(v, "error") == 0;
}

static void first_failure(struct outcome *o, const char *fmt, const char *a, const char *b)
{
	o->failed++;
	if (!o->message[0])
		snprintf(o->message, sizeof(o->message), fmt, a, b);
}

static void add_assertion(struct outcome *o, const struct scn_case *c, const char *what,
			  struct topo_src src, bool ok, const char *detail)
{
	char where[4200];

	snprintf(where, sizeof(where), "%s:%u:%u", c->file, src.line, src.col);
	json_array_append_new(o->assertions, json_pack("{s:s, s:s, s:b, s:s}", "what", what,
						      "where", where, "ok", ok, "detail", detail));
	if (!ok)
		first_failure(o, "%s: %s", what, detail);
}

/* The last `n` lines of the file at `path`, as one string; "" if none. */
static void log_tail(const char *path, char *out, size_t cap, int n)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t len, start;
	int seen = 0;

	out[0] = '\0';
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	start = len > sizeof(buf) - 1 ? len - (sizeof(buf) - 1) : 0;
	fseek(f, (long)start, SEEK_SET);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	for (start = len; start > 0; start--)
		if (buf[start - 1] == '\n' && ++seen == n)
			break;
	len -= start;
	if (len >= cap)
		start += len - (cap - 1), len = cap - 1;
	memcpy(out, buf + start, len);
	out[len] = '\0';
}

/* `in`, a few lines, as one line: joined with " | " (the console prints
 * a case's message as one line). */
static void one_line(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 4 < cap; in++) {
		if (*in == '\n') {
			memcpy(out + o, " | ", 3);
			o += 3;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* ---- topology-only cases: the probes are the assertions ---- */

static void run_probes(const struct scn_case *c, const struct topo *t, struct outcome *o)
{
	struct probe_result *res = calloc(c->plan.n_probes + 1, sizeof(*res));
	struct icl_err err;
	char what[256], detail[256];

	if (!res || probe_run(t, res, RUN_PROBE_TIMEOUT_MS, &err) < 0) {
		o->error = true;
		snprintf(o->message, sizeof(o->message), "probes: %s",
			 res ? err.msg : "out of memory");
		free(res);
		return;
	}
	for (size_t i = 0; i < c->plan.n_probes; i++) {
		const struct topo_probe *p = &c->plan.probes[i];
		bool ok = p->expect == TOPO_REACH_UNSPECIFIED || p->expect == res[i].got;

		snprintf(what, sizeof(what), "probe %s -> %s %s: %s", p->from, p->to,
			 p->family == AF_INET ? "ipv4" : "ipv6", topo_reach_name(p->expect));
		snprintf(detail, sizeof(detail), "expected %s, got %s to %s%s%s",
			 topo_reach_name(p->expect), topo_reach_name(res[i].got), res[i].target,
			 res[i].send_error[0] ? "; send: " : "", res[i].send_error);
		add_assertion(o, c, what, p->src, ok, detail);
	}
	free(res);
}

/* ---- agent cases ---- */

struct agent_run {
	char path[PATH_MAX];
	char log[PATH_MAX];
	char *argv[12];
	FILE *logf;
};

static int prepare_agent(const struct scn_agent *a, const struct run_env *env,
			 struct agent_run *ar, struct icl_err *err)
{
	size_t n = 0;
	int rc = reg_resolve(a->impl, ar->path, sizeof(ar->path), err);

	if (rc < 0)
		return rc;
	snprintf(ar->log, sizeof(ar->log), "%s/%s.log", env->case_dir, a->name);
	if (!(ar->logf = fopen(ar->log, "w")))
		return icl_err_set(err, -errno, "%s: %s", ar->log, strerror(errno));
	ar->argv[n++] = ar->path;
	for (size_t i = 0; a->args[i] && n < 11; i++)
		ar->argv[n++] = a->args[i];
	ar->argv[n] = NULL;
	return 0;
}

/* `r` is NULL when the session did not run. */
static void agents_json(const struct scn_case *c, struct agent_run *ar, struct outcome *o,
			const struct sess_result *r)
{
	for (size_t i = 0; i < c->n_agents; i++) {
		const struct scn_agent *a = &c->agent[i];
		const char *log = strrchr(ar[i].log, '/');
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", a->name, "node",
				      a->node, "impl", a->impl, "path", ar[i].path, "log",
				      log ? log + 1 : "");

		if (r && r->term_signal[i])
			json_object_set_new(j, "signal", json_integer(r->term_signal[i]));
		else if (r)
			json_object_set_new(j, "exit", json_integer(r->exit_status[i]));
		json_array_append_new(o->agents, j);
	}
}

/* Why the session ended badly, with the last lines of the agents' logs. */
static void note_broken(const struct scn_case *c, struct agent_run *ar,
			const struct sess_result *r, struct outcome *o)
{
	char tail[1024], what[128], detail[2400];

	if (!r->broken[0])
		return;
	for (size_t i = 0; i < c->n_agents; i++) {
		if (!strstr(r->broken, c->agent[i].name))
			continue;
		fflush(ar[i].logf);
		log_tail(ar[i].log, tail, sizeof(tail), RUN_LOG_TAIL_LINES);
		snprintf(what, sizeof(what), "agent %s runs the session to its end", c->agent[i].name);
		snprintf(detail, sizeof(detail), "%s; last log lines: %s", r->broken,
			 tail[0] ? tail : "(none)");
		add_assertion(o, c, what, c->agent[i].src, false, detail);
		return;
	}
	add_assertion(o, c, "the session runs to its end", (struct topo_src){0}, false, r->broken);
}

/* A service of the topology (TAYGA, unbound, turnserver) that ended
 * during the case broke its environment: verdict "error", the message
 * naming the service, its node and how it ended, whatever else the case
 * saw (what failed after is its consequence). */
static bool note_service_ended(const struct scn_case *c, const struct topo *t, struct outcome *o)
{
	char why[1024];

	if (!topo_service_ended(t, why, sizeof(why)))
		return false;
	o->service_ended = true;
	o->error = true;
	snprintf(o->message, sizeof(o->message), "%s", why);
	add_assertion(o, c, "the topology's services run until the case ends", (struct topo_src){0},
		      false, why);
	return true;
}

/* The last look at the services, right before the verdict and the
 * teardown: one that died after the session's checks (while the case was
 * judged, or as the agents closed) is reported like one that died during
 * it.  Deaths the teardown causes come after, and a kept topology is not
 * looked at again: neither is reported. */
static void final_service_check(const struct scn_case *c, const struct topo *t,
				struct outcome *o)
{
	if (t && !o->service_ended)
		note_service_ended(c, t, o);
}

/* An agent must exit when closed (docs/agent-protocol.md); one the
 * harness had to signal fails the case, with what ended it. */
static void note_lingering(const struct scn_case *c, const struct sess_result *r,
			   struct outcome *o)
{
	char what[128];

	for (size_t i = 0; i < c->n_agents && i < 2; i++) {
		if (!r->lingered[i][0])
			continue;
		snprintf(what, sizeof(what), "agent %s exits when closed", c->agent[i].name);
		add_assertion(o, c, what, c->agent[i].src, false, r->lingered[i]);
	}
}

/* How agent `i` ended, when not cleanly: "exited with status 1", "killed
 * by signal 6 (Aborted)"; false if it exited 0. */
static bool unclean_exit(const struct sess_result *r, size_t i, char *how, size_t cap)
{
	if (r->term_signal[i])
		snprintf(how, cap, "killed by signal %d (%s)", r->term_signal[i],
			 strsignal(r->term_signal[i]));
	else if (r->exit_status[i])
		snprintf(how, cap, "exited with status %d", r->exit_status[i]);
	return r->term_signal[i] || r->exit_status[i];
}

/* An agent must also exit cleanly when closed (docs/agent-protocol.md):
 * status 0, no signal.  A sanitizer's report at exit, an abort in a
 * destructor, a crash in cleanup fail the case, pointing to the log's
 * last lines.  Not judged again: an agent the harness had to signal
 * (note_lingering), one whose exit ended the session (note_broken). */
static void note_exits(const struct scn_case *c, struct agent_run *ar,
			 const struct sess_result *r, struct outcome *o)
{
	/* RUN_LOG_TAIL_LINES lines: joined, they grow by 2 bytes a line. */
	char how[96], tail[1024], flat[1024 + 2 * RUN_LOG_TAIL_LINES], what[128], detail[1400];

	for (size_t i = 0; i < c->n_agents && i < 2; i++) {
		if (r->lingered[i][0] || r->died_early[i] || !unclean_exit(r, i, how, sizeof(how)))
			continue;
		fflush(ar[i].logf);
		log_tail(ar[i].log, tail, sizeof(tail), RUN_LOG_TAIL_LINES);
		one_line(tail, flat, sizeof(flat));
		snprintf(what, sizeof(what), "agent %s exits cleanly when closed", c->agent[i].name);
		snprintf(detail, sizeof(detail), "%s %s; %s ends: %s", how,
			 r->closed[i] ? "after close" : "as the session ended, before close",
			 strrchr(ar[i].log, '/') ? strrchr(ar[i].log, '/') + 1 : ar[i].log,
			 flat[0] ? flat : "(nothing)");
		add_assertion(o, c, what, c->agent[i].src, false, detail);
	}
}

/* An agent that never said hello or never finished gathering by the
 * timeout hangs: no expectation could judge it fairly. */
static void note_hang(const struct scn_case *c, const struct sess_result *r, struct outcome *o)
{
	char what[128], detail[256];

	if (!r->timed_out || r->broken[0])
		return;
	for (size_t i = 0; i < c->n_agents; i++) {
		const char *name = c->agent[i].name;
		const char *missing = !sess_find(r, name, "hello", NULL, NULL) ? "hello"
				      : !sess_find(r, name, "gathering-done", NULL, NULL)
					      ? "gathering-done"
					      : NULL;

		if (!missing)
			continue;
		snprintf(what, sizeof(what), "agent %s answers the harness", name);
		snprintf(detail, sizeof(detail), "hung: no %s event within the case timeout of %u ms",
			 missing, c->timeout_ms);
		add_assertion(o, c, what, c->agent[i].src, false, detail);
	}
}

static void judge(const struct scn_case *c, const struct run_env *env,
		  const struct sess_result *r, struct outcome *o)
{
	struct verdict_item *items = calloc(c->n_expect + 1, sizeof(*items));
	struct wire_view *w = NULL;
	struct icl_err err;
	char detail[512];

	if (!items) {
		o->error = true;
		snprintf(o->message, sizeof(o->message), "out of memory");
		return;
	}
	verdict_events(c, r->timeline, items);
	if (wire_load(c, env->case_dir, r->t0_realtime, r->timeline, &w, &err) < 0)
		snprintf(detail, sizeof(detail), "captures unreadable: %.480s", err.msg);
	for (size_t i = 0; i < c->n_expect; i++) {
		const struct scn_expect *e = &c->expect[i];

		if (items[i].judged)
			add_assertion(o, c, e->what, e->src, items[i].ok, items[i].detail);
		else if (!w)
			add_assertion(o, c, e->what, e->src, false, detail);
		else {
			bool ok = wire_check(w, c, e, items[i].detail, sizeof(items[i].detail));

			add_assertion(o, c, e->what, e->src, ok, items[i].detail);
		}
	}
	o->wire = w ? wire_flows(w) : json_array();
	wire_free(w);
	free(items);
}

/* The case's actions as the session runs them; NULL when it has none
 * (or out of memory: then the session says nothing ran). */
static struct sess_action *session_actions(const struct scn_case *c)
{
	struct sess_action *a = c->n_actions ? calloc(c->n_actions, sizeof(*a)) : NULL;

	for (size_t i = 0; a && i < c->n_actions; i++) {
		const struct scn_action *x = &c->actions[i];

		a[i] = (struct sess_action){ .at_ms = x->at_ms, .up = x->up, .restart = x->agent,
					     .link = x->kind == SCN_ACT_LINK ? x->link : NULL,
					     .part = { .family = x->family, .ends = x->ends },
					     .inject = x->kind == SCN_ACT_INJECT ? &x->inject : NULL };
	}
	return a;
}

static void run_agents(const struct scn_case *c, const struct run_env *env,
		       const struct topo *t, struct outcome *o, struct sess_result *r)
{
	struct agent_run ar[SCN_MAX_AGENTS] = {0};
	const char *needs[SCN_MAX_AGENTS][8];
	struct sess_action *acts = session_actions(c);
	struct sess_options so = {
		.trickle = c->trickle, .signal_delay_ms = c->signal_delay_ms,
		.timeout_ms = c->timeout_ms, .settle_ms = RUN_SETTLE_MS,
		.capture_dir = env->case_dir, .actions = acts,
		.n_actions = acts ? c->n_actions : 0, .hold_ms = c->hold_ms,
		.seed = env->seed,
	};
	struct sess_tamper tamper = { .from = c->tamper.agent, .ufrag = c->tamper.ufrag,
				      .pwd = c->tamper.pwd, .fingerprint = c->tamper.fingerprint };
	struct icl_err err;
	int rc = 0;

	so.tamper = c->tamper.on ? &tamper : NULL;
	if (c->n_actions > 0 && !acts) {
		o->error = true;
		snprintf(o->message, sizeof(o->message), "out of memory");
		return;
	}

	for (size_t i = 0; i < c->n_agents && rc == 0; i++) {
		rc = prepare_agent(&c->agent[i], env, &ar[i], &err);
		agent_needs(c, i, needs[i]);
		so.agent[i] = (struct sess_agent){.name = c->agent[i].name,
						  .node = c->agent[i].node,
						  .argv = ar[i].argv,
						  .configure = c->agent[i].configure,
						  .log = ar[i].logf,
						  .needs = needs[i]};
	}
	if (rc == 0 && (rc = sess_run(t, &so, r, &err)) == 0)
		agents_json(c, ar, o, r);
	else
		agents_json(c, ar, o, NULL);
	if (rc < 0) {
		o->error = true;
		snprintf(o->message, sizeof(o->message), "%s", err.msg);
	} else if (note_service_ended(c, t, o)) {
		o->timeline = r->timeline;
	} else if (r->not_applicable[0]) {
		/* Nothing else is judged: the case did not apply to this agent.
		 * An agent that does not end cleanly fails it all the same. */
		note_lingering(c, r, o);
		note_exits(c, ar, r, o);
		if (o->failed == 0)
			note_not_applicable(c, r, o);
		o->timeline = r->timeline;
	} else {
		note_broken(c, ar, r, o);
		note_hang(c, r, o);
		note_lingering(c, r, o);
		note_exits(c, ar, r, o);
		judge(c, env, r, o);
		o->timeline = r->timeline;
	}
	for (size_t i = 0; i < c->n_agents; i++)
		if (ar[i].logf)
			fclose(ar[i].logf);
	free(acts);
}

static const char *verdict_of(const struct scn_case *c, const struct outcome *o)
{
	bool failed = o->failed > 0;

	if (o->error)
		return "error";
	if (o->na)
		return "n/a";
	if (c->xfail)
		return failed ? "xfail" : "xpass";
	return failed ? "fail" : "pass";
}

static json_t *pcaps_json(const struct scn_case *c)
{
	json_t *a = json_array();
	char name[2 * TOPO_NAME_MAX + 8];

	if (c->n_agents == 0)
		return a;
	for (size_t i = 0; i < c->plan.n_links; i++)
		for (int k = 0; k < 2; k++) {
			snprintf(name, sizeof(name), "%s-%s.pcap", c->plan.links[i].name,
				 c->plan.links[i].end[k].node);
			json_array_append_new(a, json_string(name));
		}
	return a;
}

static json_t *case_json(const struct scn_case *c, const struct run_env *env,
			 struct outcome *o, const char *verdict, const char *broken, double ms)
{
	json_t *params = json_object();
	json_t *tl = o->timeline ? json_incref(o->timeline) : json_array();

	for (size_t i = 0; i < c->n_params; i++)
		json_object_set_new(params, c->param[i].name, json_string(c->param[i].value));
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s?, s:s, s:f, s:s, s:o, s:o, s:s, s:o, s:o, "
			 "s:o}",
			 "name", c->name, "file", c->file, "description", c->description,
			 "params", params, "verdict", verdict,
			 "expected_failure", c->xfail ? c->xfail_reason : NULL,
			 "message", o->message, "duration_ms", ms, "dir", env->case_rel,
			 "agents", o->agents, "assertions", o->assertions, "broken", broken,
			 "timeline", tl,
			 "wire", o->wire ? o->wire : json_array(), "pcaps", pcaps_json(c));
}

json_t *run_case_na(const struct scn_case *c, const struct run_env *env, const char *reason)
{
	struct outcome o = {.na = true, .assertions = json_array(), .agents = json_array()};

	snprintf(o.message, sizeof(o.message), "%s", reason);
	return case_json(c, env, &o, "n/a", "", 0);
}

json_t *run_case(const struct scn_case *c, const struct run_env *env, struct topo **kept)
{
	struct outcome o = {.assertions = json_array(), .agents = json_array()};
	struct sess_result r = {0};
	struct topo *t = NULL;
	struct icl_err err;
	double t0 = now_ms();
	const char *verdict;
	json_t *out;

	*kept = NULL;
	if (topo_up_seeded(&c->plan, env->seed, &t, &err) < 0) {
		o.error = true;
		snprintf(o.message, sizeof(o.message), "building the topology: %s", err.msg);
	} else if (c->n_agents == 0) {
		run_probes(c, t, &o);
	} else {
		run_agents(c, env, t, &o, &r);
	}
	final_service_check(c, t, &o);
	verdict = verdict_of(c, &o);
	out = case_json(c, env, &o, verdict, r.broken, now_ms() - t0);
	if (env->keep_on_fail && t && run_verdict_failed(verdict))
		*kept = t;
	else
		topo_down(t);
	sess_result_free(&r);
	return out;
}
