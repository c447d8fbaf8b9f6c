/* session.c - run two agents and be their signalling server. */
#include "session.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_proc.h"
#include "capture.h"
#include "flood.h"
#include "netcut.h"

/* How often the topology's services are checked (watch_cb): a dead one
 * ends the session this soon, not at its timeout. */
#define SESS_WATCH_MS 100
/* How long the output of agents that exited may take to reach its end
 * (wait_drained): a pipe already written is read in well under 1 ms. */
#define SESS_DRAIN_MS 500

/* What the harness knows of one agent while the session runs. */
struct side {
	struct aproc ap;
	struct sess *s;
	int idx;
	json_t *desc;          /* its local-description event */
	json_t *cands;         /* its candidate strings */
	bool hello, gathered, remote_sent, ended;
	bool restarted;        /* a new description is out; not yet relayed whole */
};

/* The socket a forged request left from (an `inject` action), in its
 * node; what comes back is recorded. */
struct inj_sock {
	uv_udp_t h;
	struct sess *s;
	char src[64];          /* its address, as the answers' `to` */
	struct inj_sock *next;
};

/* A signalling message held back by signal_delay_ms.  All messages wait
 * the same time, so the queue is in due order. */
struct delayed {
	struct delayed *next;
	struct side *to;
	json_t *cmd;
	uint64_t due_ms;
};

struct sess {
	const struct sess_options *o;
	struct sess_result *r;
	uv_loop_t loop;
	uv_timer_t timeout, settle, delay, act, hold;
	const struct topo *t;
	size_t next_act;       /* actions run so far */
	uint64_t t0_loop_ms;   /* uv_now() when the timeout started */
	struct delayed *q_head, **q_tail;
	struct side side[2];
	struct capture *cap;
	uint64_t t0_ns;
	struct inj_sock *inj;  /* sockets of inject actions, closed by finish() */
	struct inj_flood *floods; /* inject floods, closed by finish() */
	unsigned floods_running;  /* a flood still sending holds the case */
	uv_timer_t watch;      /* polls the topology's services (watch_cb) */
	bool stopping;
};

static void stop(struct sess *s);

static void broken(struct sess *s, const char *fmt, const char *agent, const char *what)
{
	if (!s->r->broken[0])
		snprintf(s->r->broken, sizeof(s->r->broken), fmt, agent, what);
	stop(s);
}

static void send_cmd(struct side *sd, json_t *cmd)
{
	struct icl_err err;

	if (!cmd)
		return;
	if (sd->s->o->rewrite)
		sd->s->o->rewrite(sd->s->o->rewrite_user, sd->idx, cmd);
	if (!sd->ap.running)
		json_decref(cmd);
	else if (aproc_send(&sd->ap, cmd, &err) < 0)
		broken(sd->s, "agent %s: %s", sd->ap.name, err.msg);
}

static void delay_cb(uv_timer_t *t)
{
	struct sess *s = t->data;
	struct delayed *d;

	while ((d = s->q_head) && d->due_ms <= uv_now(&s->loop)) {
		s->q_head = d->next;
		if (!s->q_head)
			s->q_tail = &s->q_head;
		send_cmd(d->to, d->cmd);
		free(d);
	}
	if (s->q_head)
		uv_timer_start(&s->delay, delay_cb, s->q_head->due_ms - uv_now(&s->loop), 0);
}

/* Send a signalling message from the harness-as-signalling-server to `to`,
 * now or after the configured delay. */
static void signal_cmd(struct side *to, json_t *cmd)
{
	struct sess *s = to->s;
	struct delayed *d;

	if (s->o->signal_delay_ms == 0 || !cmd) {
		send_cmd(to, cmd);
		return;
	}
	if (!(d = calloc(1, sizeof(*d)))) {
		json_decref(cmd);
		broken(s, "agent %s: %s", to->ap.name, "out of memory queueing a signalling message");
		return;
	}
	d->to = to;
	d->cmd = cmd;
	d->due_ms = uv_now(&s->loop) + s->o->signal_delay_ms;
	*s->q_tail = d;
	s->q_tail = &d->next;
	if (!uv_is_active((uv_handle_t *)&s->delay))
		uv_timer_start(&s->delay, delay_cb, s->o->signal_delay_ms, 0);
}

static void drop_delayed(struct sess *s)
{
	struct delayed *d;

	while ((d = s->q_head)) {
		s->q_head = d->next;
		json_decref(d->cmd);
		free(d);
	}
	s->q_tail = &s->q_head;
}

static void replace_field(json_t *cmd, const char *key, const char *value)
{
	if (value && value[0])
		json_object_set_new(cmd, key, json_string(value));
}

/* The signalling server lies (sess_options.tamper): `from`'s description
 * reaches the peer with some fields replaced. */
static void tamper(const struct sess *s, const struct side *from, json_t *cmd)
{
	const struct sess_tamper *t = s->o->tamper;

	if (!t || t->from != from->idx)
		return;
	replace_field(cmd, "ufrag", t->ufrag);
	replace_field(cmd, "pwd", t->pwd);
	replace_field(cmd, "fingerprint", t->fingerprint);
}

/* set-remote-description for `to`, from what `from` announced. */
static void send_remote(struct side *to, struct side *from, bool eoc)
{
	json_t *d = from->desc, *cmd;

	cmd = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:b}", "cmd", "set-remote-description",
			"ufrag", json_object_get(d, "ufrag"), "pwd", json_object_get(d, "pwd"),
			"fingerprint", json_object_get(d, "fingerprint"),
			"setup", json_object_get(d, "setup"), "lite", json_object_get(d, "lite"),
			"candidates", from->cands, "end_of_candidates", eoc);
	if (!cmd) {
		broken(to->s, "agent %s: %s", from->ap.name, "local-description lacks a field");
		return;
	}
	tamper(to->s, from, cmd);
	to->remote_sent = true;
	signal_cmd(to, cmd);
}

/* Non-trickle: both descriptions go out once both agents have gathered.
 * Trickle: as soon as both descriptions exist; candidates follow. */
static void relay(struct sess *s)
{
	struct side *a = &s->side[0], *b = &s->side[1];
	bool ready = s->o->trickle ? a->desc && b->desc : a->gathered && b->gathered;

	if (!ready || a->remote_sent)
		return;
	send_remote(a, b, b->gathered);
	send_remote(b, a, a->gathered);
}

static void on_candidate(struct side *sd, json_t *ev)
{
	struct side *peer = &sd->s->side[!sd->idx];
	json_t *c = json_object_get(ev, "candidate");

	if (!json_is_string(c)) {
		broken(sd->s, "agent %s: %s", sd->ap.name, "local-candidate without a candidate string");
		return;
	}
	json_array_append(sd->cands, c);
	if (sd->s->o->trickle && peer->remote_sent)
		signal_cmd(peer, json_pack("{s:s, s:O}", "cmd", "add-remote-candidate", "candidate", c));
}

static void on_gathered(struct side *sd)
{
	struct side *peer = &sd->s->side[!sd->idx];

	sd->gathered = true;
	if (sd->restarted && !sd->s->o->trickle)
		send_remote(peer, sd, true);
	else if (sd->s->o->trickle && peer->remote_sent)
		signal_cmd(peer, json_pack("{s:s}", "cmd", "end-of-candidates"));
	sd->restarted = false;
	relay(sd->s);
}

/* A description after the first is an ICE restart (RFC 8445 9): this
 * side's or, answering it, the peer's.  It goes to the peer like the
 * first: at once with trickle (candidates follow), else once gathered. */
static void on_description(struct side *sd, json_t *ev)
{
	bool again = sd->desc != NULL;

	json_decref(sd->desc);
	sd->desc = json_incref(ev);
	if (!again)
		return;
	json_array_clear(sd->cands);
	sd->gathered = false;
	sd->restarted = true;
	if (sd->s->o->trickle)
		send_remote(&sd->s->side[!sd->idx], sd, false);
}

/* Agent `sd` cannot play its part: end the session at once, not
 * applicable (sess_result.not_applicable); only while nothing else ended
 * it. */
static void not_applicable(struct side *sd, const char *reason, bool capability)
{
	struct sess_result *r = sd->s->r;

	if (sd->s->stopping || r->broken[0] || r->not_applicable[0])
		return;
	snprintf(r->not_applicable, sizeof(r->not_applicable), "%s", reason);
	r->na_agent = sd->idx;
	r->na_capability = capability;
	stop(sd->s);
}

static void on_not_applicable(struct side *sd, json_t *ev)
{
	const char *reason = json_string_value(json_object_get(ev, "reason"));

	if (!reason || !reason[0])
		broken(sd->s, "agent %s: broke the protocol: %s", sd->ap.name,
		       "not-applicable without a reason");
	else
		not_applicable(sd, reason, false);
}

/* Append `word` to the list in `out` ("a, b"), as far as it fits. */
static void list_add(char *out, size_t cap, const char *word)
{
	size_t len = strlen(out);

	if (len < cap)
		snprintf(out + len, cap - len, "%s%s", len ? ", " : "", word);
}

/* Whether hello `ev` announces every capability of sess_agent.needs;
 * if not, `why` says which are missing and what it announced. */
static bool has_needs(const struct sess_agent *a, json_t *ev, char *why, size_t cap)
{
	json_t *caps = json_object_get(ev, "capabilities"), *v;
	char missing[256] = "", have[256] = "";
	size_t i;

	json_array_foreach(caps, i, v)
		if (json_is_string(v))
			list_add(have, sizeof(have), json_string_value(v));
	for (const char *const *n = a->needs; n && *n; n++) {
		bool found = false;

		json_array_foreach(caps, i, v)
			found = found || (json_is_string(v) && strcmp(json_string_value(v), *n) == 0);
		if (!found)
			list_add(missing, sizeof(missing), *n);
	}
	if (!missing[0])
		return true;
	snprintf(why, cap, "lacks the capability %s that the scenario needs (hello announced: %s)",
		 missing, have[0] ? have : "none");
	return false;
}

static void on_hello(struct side *sd, json_t *ev)
{
	char why[600];
	json_t *cfg;

	if (json_integer_value(json_object_get(ev, "protocol")) != 1) {
		broken(sd->s, "agent %s: %s", sd->ap.name, "speaks an unknown protocol version (need 1)");
		return;
	}
	sd->hello = true;
	if (!has_needs(&sd->s->o->agent[sd->idx], ev, why, sizeof(why))) {
		not_applicable(sd, why, true);
		return;
	}
	cfg = json_deep_copy(sd->s->o->agent[sd->idx].configure);
	json_object_set_new(cfg, "cmd", json_string("configure"));
	send_cmd(sd, cfg);
	send_cmd(sd, json_pack("{s:s}", "cmd", "gather"));
}

/* Whether this event ends the agent's part: it proved the path, or it
 * gave up. */
static bool is_end(const char *name, json_t *ev)
{
	const char *st = json_string_value(json_object_get(ev, "state"));

	if (strcmp(name, "data-echoed") == 0)
		return true;
	return st && strcmp(st, "failed") == 0 &&
	       (strcmp(name, "dtls-state") == 0 || strcmp(name, "ice-state") == 0);
}

static void settle_cb(uv_timer_t *t)
{
	stop(t->data);
}

/* Actions still to run, or the hold not over: the case is not done. */
static bool held(struct sess *s)
{
	return s->next_act < s->o->n_actions || uv_is_active((uv_handle_t *)&s->hold) ||
	       s->floods_running > 0;
}

static void check_end(struct sess *s)
{
	if (!s->side[0].ended || !s->side[1].ended || s->stopping || held(s))
		return;
	if (s->o->settle_ms == 0)
		stop(s);
	else if (!uv_is_active((uv_handle_t *)&s->settle))
		uv_timer_start(&s->settle, settle_cb, s->o->settle_ms, 0);
}

static void dispatch(struct side *sd, const char *name, json_t *ev)
{
	if (strcmp(name, "hello") == 0)
		on_hello(sd, ev);
	else if (strcmp(name, "local-description") == 0)
		on_description(sd, ev);
	else if (strcmp(name, "local-candidate") == 0)
		on_candidate(sd, ev);
	else if (strcmp(name, "gathering-done") == 0)
		on_gathered(sd);
	else if (strcmp(name, "not-applicable") == 0)
		on_not_applicable(sd, ev);
	else if (strcmp(name, "error") == 0 && json_is_true(json_object_get(ev, "fatal")))
		broken(sd->s, "agent %s: fatal error: %s", sd->ap.name,
		       json_string_value(json_object_get(ev, "reason")));
	if (is_end(name, ev)) {
		sd->ended = true;
		check_end(sd->s);
	}
}

static void on_event(struct aproc *ap, json_t *ev, const char *line)
{
	struct side *sd = ap->user;
	const char *name = json_string_value(json_object_get(ev, "event"));

	(void)line;
	json_array_append_new(sd->s->r->timeline,
			      json_pack("{s:f, s:s, s:O}", "t", aproc_now_ms(ap), "agent",
					ap->name, "event", ev));
	if (!sd->hello && strcmp(name, "hello") != 0) {
		broken(sd->s, "agent %s: %s", ap->name, "first event is not hello");
		return;
	}
	dispatch(sd, name, ev);
}

static void on_bad(struct aproc *ap, const char *why)
{
	struct side *sd = ap->user;

	if (ap->flooded) /* not a broken line: too many of them */
		broken(sd->s, "agent %s: %s", ap->name, why);
	else
		broken(sd->s, "agent %s: broke the protocol: %s", ap->name, why);
}

/* The program's name, for messages: the last part of argv[0]. */
static const char *program(const struct side *sd)
{
	const char *p = sd->s->o->agent[sd->idx].argv[0], *slash = strrchr(p, '/');

	return slash ? slash + 1 : p;
}

static void on_exit_agent(struct aproc *ap)
{
	struct side *sd = ap->user;
	char who[200], why[96];

	if (sd->s->stopping)
		return;
	sd->s->r->died_early[sd->idx] = true;
	snprintf(who, sizeof(who), "%s (%s)", ap->name, program(sd));
	if (ap->term_signal)
		snprintf(why, sizeof(why), "killed by signal %d, %s", ap->term_signal,
			 strsignal(ap->term_signal));
	else
		snprintf(why, sizeof(why), "exit status %lld", (long long)ap->exit_status);
	broken(sd->s, "agent %s exited before the session ended (%s)", who, why);
}

/* A service of the topology (TAYGA, unbound, turnserver) that ends
 * breaks the case's environment: stop at once, naming it.  The runner
 * asks the topology again afterwards and makes the case an error. */
static void watch_cb(uv_timer_t *t)
{
	struct sess *s = t->data;
	char why[1024];

	if (!s->stopping && topo_service_ended(s->t, why, sizeof(why)))
		broken(s, "%s%s", why, "");
}

/* ---- inject actions: a third node's forged checks ---------------------------- */

/* On the timeline as agent "harness": what the harness itself did. */
static void record(struct sess *s, json_t *ev)
{
	double t = (double)(uv_hrtime() - s->t0_ns) / 1e6;

	json_object_set_new(ev, "ts", json_real(t));
	json_array_append_new(s->r->timeline, json_pack("{s:f, s:s, s:o}", "t", t, "agent",
							 "harness", "event", ev));
}

static void inj_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char unused;

	(void)h;
	(void)hint;
	*buf = uv_buf_init(malloc(2048), 2048);
	if (!buf->base)
		*buf = uv_buf_init(&unused, 0);
}

static void inj_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		     unsigned flags)
{
	struct inj_sock *is = h->data;
	char addr[64];

	(void)flags;
	if (n > 0 && from) {
		inject_addr_str((const struct sockaddr_storage *)from, addr, sizeof(addr));
		record(is->s, json_pack("{s:s, s:s, s:s, s:i}", "event", "inject-answer", "from",
					addr, "to", is->src,
					"code", inject_answer_code((const uint8_t *)buf->base,
								   (size_t)n)));
	}
	if (buf->len)
		free(buf->base);
}

/* A socket in the attacker's node, connected to `dst` (so that the
 * node's routing picks the source address, and only `dst` is heard);
 * its answers are recorded. */
static struct inj_sock *inj_open(struct sess *s, const struct inject_spec *x,
				 const struct sockaddr_storage *dst, socklen_t dlen,
				 struct icl_err *err)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);
	struct inj_sock *is;
	int fd;

	if (inject_socket(s->t, x->from, x->family, &fd, err) < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)dst, dlen) < 0 ||
	    !(is = calloc(1, sizeof(*is)))) {
		icl_err_set(err, -errno, "inject from node %s: %s", x->from, strerror(errno));
		close(fd);
		return NULL;
	}
	getsockname(fd, (struct sockaddr *)&me, &len);
	inject_addr_str(&me, is->src, sizeof(is->src));
	is->s = s;
	is->h.data = is;
	uv_udp_init(&s->loop, &is->h);
	uv_udp_open(&is->h, fd);
	uv_udp_recv_start(&is->h, inj_alloc, inj_recv);
	is->next = s->inj;
	s->inj = is;
	return is;
}

/* Aim at the agent's selected address (or its host candidate), claim a
 * username, send once from the `from` node. */
static void run_inject(struct sess *s, const struct inject_spec *x)
{
	const char *to = s->o->agent[x->to & 1].name, *peer = s->o->agent[!(x->to & 1)].name;
	struct sockaddr_storage dst;
	socklen_t dlen;
	struct icl_err err;
	struct inj_sock *is;
	uint8_t buf[600];
	char user[520], addr[64];
	uv_buf_t b;
	int n;

	if (inject_target(s->r->timeline, to, x->family, &dst, &dlen, &err) < 0 ||
	    !(is = inj_open(s, x, &dst, dlen, &err))) {
		broken(s, "action %s: %s", "inject", err.msg);
		return;
	}
	inject_username(s->r->timeline, to, peer, x->sniffed_username, user, sizeof(user));
	n = inject_encode(x, user, buf, sizeof(buf));
	b = uv_buf_init((char *)buf, n > 0 ? (unsigned)n : 0);
	if (n < 0 || (n = uv_udp_try_send(&is->h, &b, 1, NULL)) < 0) {
		broken(s, "action %s: %s", "inject", uv_strerror(n));
		return;
	}
	inject_addr_str(&dst, addr, sizeof(addr));
	record(s, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "event", "inject", "node",
			    x->from, "from", is->src, "to", addr, "username", user,
			    "use_candidate", x->use_candidate, "integrity",
			    x->integrity == INJECT_MI_NONE ? "none" : "wrong"));
}

/* A flood (flood.h) of an inject action; its one timeline event is
 * recorded when it is done, or at the end of the session if it is not. */
struct inj_flood {
	struct sess *s;
	struct flood *f;
	char node[TOPO_NAME_MAX];
	bool recorded;
	struct inj_flood *next;
};

static void flood_record(struct inj_flood *fl)
{
	if (fl->recorded || !fl->f)
		return;
	fl->recorded = true;
	record(fl->s, flood_event(fl->f, fl->node));
}

static void flood_done_cb(void *user, struct flood *f)
{
	struct inj_flood *fl = user;

	(void)f;
	flood_record(fl);
	fl->s->floods_running--;
	check_end(fl->s);
}

/* Flood the agent's addresses of the family from the `from` node
 * (flood.h), seeded from the case's seed and the action's place. */
static void run_flood(struct sess *s, const struct inject_spec *x)
{
	const char *to = s->o->agent[x->to & 1].name, *peer = s->o->agent[!(x->to & 1)].name;
	struct inj_flood *fl = calloc(1, sizeof(*fl));
	struct flood_opts fo = { .spec = x->flood, .timeline = s->r->timeline, .agent = to,
				 .family = x->family, .done = flood_done_cb, .user = fl };
	char user[520];
	struct icl_err err;
	int fd;

	if (!fl) {
		broken(s, "action %s: %s", "inject", "out of memory");
		return;
	}
	fl->s = s;
	snprintf(fl->node, sizeof(fl->node), "%s", x->from);
	fl->next = s->floods;
	s->floods = fl;
	inject_username(s->r->timeline, to, peer, true, user, sizeof(user));
	fo.username = user;
	/* next_act is this action's place + 1: every flood its own stream. */
	fo.seed = s->o->seed ^ (s->next_act * 0x9e3779b97f4a7c15ull);
	if (inject_socket(s->t, x->from, x->family, &fd, &err) < 0 ||
	    flood_start(&s->loop, fd, &fo, &fl->f, &err) < 0) {
		fl->recorded = true;
		broken(s, "action %s: %s", "inject", err.msg);
		return;
	}
	s->floods_running++;
}

/* Record what the floods still running sent, then close them all. */
static void floods_close_all(struct sess *s)
{
	for (struct inj_flood *fl = s->floods, *next; fl; fl = next) {
		next = fl->next;
		flood_record(fl);
		flood_close(fl->f);
		free(fl);
	}
	s->floods = NULL;
	s->floods_running = 0;
}

static void inj_closed(uv_handle_t *h)
{
	free(h->data);
}

static void inj_close_all(struct sess *s)
{
	for (struct inj_sock *is = s->inj, *next; is; is = next) {
		next = is->next;
		uv_close((uv_handle_t *)&is->h, inj_closed);
	}
	s->inj = NULL;
}

/* A link or restart action on the timeline, as agent "harness", so that
 * reports show it beside what the agents did (an inject has its own
 * events).  Recorded before it runs: a cut takes effect from then on. */
static void record_action(struct sess *s, const struct sess_action *a)
{
	if (a->link == NULL)
		record(s, json_pack("{s:s, s:s, s:s}", "event", "action", "action", "restart",
				    "agent", s->side[a->restart & 1].ap.name));
	else
		record(s, json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", "action", "action",
				    a->up ? "restore" : "cut", "link", a->link, "family",
				    netcut_family_name(a->part.family), "direction",
				    netcut_direction_name(a->part.ends)));
}

static void run_action(struct sess *s, const struct sess_action *a)
{
	struct side *sd = &s->side[a->restart & 1];
	struct icl_err err;

	if (!a->inject)
		record_action(s, a);
	if (a->inject && a->inject->flood.count > 0)
		run_flood(s, a->inject);
	else if (a->inject)
		run_inject(s, a->inject);
	else if (a->link == NULL)
		send_cmd(sd, json_pack("{s:s}", "cmd", "restart"));
	else if (netcut_set(s->t, a->link, a->part, a->up, &err) < 0)
		broken(s, "action %s: %s", a->up ? "restore" : "cut", err.msg);
}

static void act_cb(uv_timer_t *t)
{
	struct sess *s = t->data;
	uint64_t now = uv_now(&s->loop) - s->t0_loop_ms;

	while (s->next_act < s->o->n_actions && s->o->actions[s->next_act].at_ms <= now &&
	       !s->stopping)
		run_action(s, &s->o->actions[s->next_act++]);
	if (s->next_act < s->o->n_actions)
		uv_timer_start(&s->act, act_cb, s->o->actions[s->next_act].at_ms - now, 0);
	else
		check_end(s);
}

static void hold_cb(uv_timer_t *t)
{
	check_end(t->data);
}

static void timeout_cb(uv_timer_t *t)
{
	struct sess *s = t->data;

	s->r->timed_out = true;
	stop(s);
}

static void stop(struct sess *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	uv_stop(&s->loop);
}

static int start_side(struct sess *s, const struct topo *t, int i, struct icl_err *err)
{
	struct side *sd = &s->side[i];
	const struct sess_agent *a = &s->o->agent[i];

	sd->s = s;
	sd->idx = i;
	sd->cands = json_array();
	snprintf(sd->ap.name, sizeof(sd->ap.name), "%s", a->name);
	sd->ap.user = sd;
	sd->ap.on_event = on_event;
	sd->ap.on_bad = on_bad;
	sd->ap.on_exit = on_exit_agent;
	sd->ap.log = a->log ? a->log : s->o->log;
	return aproc_spawn(&sd->ap, &s->loop, t, a->node, a->argv, s->t0_ns, err);
}

static void grace_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static bool all_exited(struct sess *s)
{
	return !s->side[0].ap.running && !s->side[1].ap.running;
}

static void stop_capture(struct sess *s)
{
	struct icl_err err;

	if (s->cap && capture_stop(s->cap, &err) < 0) {
		s->r->capture_incomplete = true;
		if (!s->r->broken[0])
			snprintf(s->r->broken, sizeof(s->r->broken), "capture: %s", err.msg);
	}
	s->cap = NULL;
}

/* Run the loop until both agents have exited or `ms` have passed. */
static void wait_exits(struct sess *s, unsigned ms)
{
	uint64_t deadline = uv_hrtime() + (uint64_t)ms * 1000000u;

	while (!all_exited(s) && uv_hrtime() < deadline)
		uv_run(&s->loop, UV_RUN_ONCE);
}

/* Run the loop until every agent's output has reached its end, or `ms`
 * have passed: what an agent wrote as it exited (a sanitizer's report at
 * exit) belongs in its log, and its exit may be read before it. */
static void wait_drained(struct sess *s, unsigned ms)
{
	uint64_t deadline = uv_hrtime() + (uint64_t)ms * 1000000u;

	while (!(aproc_drained(&s->side[0].ap) && aproc_drained(&s->side[1].ap)) &&
	       uv_hrtime() < deadline)
		uv_run(&s->loop, UV_RUN_ONCE);
}

/* Agents that outlived the grace after `close` get SIGTERM, then SIGKILL
 * (aproc_close); each is noted in r->lingered with what ended it. */
static void end_lingering(struct sess *s)
{
	bool termed[2] = {false, false};

	for (int i = 0; i < 2; i++)
		termed[i] = s->side[i].ap.running && aproc_signal(&s->side[i].ap, SIGTERM) == 0;
	if (!termed[0] && !termed[1])
		return;
	wait_exits(s, SESS_TERM_GRACE_MS);
	for (int i = 0; i < 2; i++)
		if (termed[i])
			snprintf(s->r->lingered[i], sizeof(s->r->lingered[i]),
				 "agent %s (%s) did not exit within %u ms of close; %s",
				 s->side[i].ap.name, program(&s->side[i]), SESS_CLOSE_GRACE_MS,
				 s->side[i].ap.running ? "it ignored SIGTERM too and was killed "
							 "with SIGKILL"
						       : "SIGTERM ended it");
}

/* Ask both agents to close, give them SESS_CLOSE_GRACE_MS, then SIGTERM
 * and SIGKILL what is left, and run the loop until every handle is
 * closed. */
static void finish(struct sess *s)
{
	for (int i = 0; i < 2; i++)
		if (s->side[i].ap.running) {
			s->r->closed[i] = true;
			send_cmd(&s->side[i], json_pack("{s:s}", "cmd", "close"));
		}
	uv_timer_start(&s->timeout, grace_cb, 50, 50);
	wait_exits(s, SESS_CLOSE_GRACE_MS);
	end_lingering(s);
	if (all_exited(s))
		wait_drained(s, SESS_DRAIN_MS);
	for (int i = 0; i < 2; i++) {
		aproc_close(&s->side[i].ap);
		s->r->exit_status[i] = (int)s->side[i].ap.exit_status;
		s->r->term_signal[i] = s->side[i].ap.term_signal;
		json_decref(s->side[i].desc);
		json_decref(s->side[i].cands);
	}
	stop_capture(s);
	uv_close((uv_handle_t *)&s->timeout, NULL);
	uv_close((uv_handle_t *)&s->settle, NULL);
	uv_close((uv_handle_t *)&s->delay, NULL);
	uv_close((uv_handle_t *)&s->act, NULL);
	uv_close((uv_handle_t *)&s->hold, NULL);
	uv_close((uv_handle_t *)&s->watch, NULL);
	inj_close_all(s);
	floods_close_all(s);
	drop_delayed(s);
	while (uv_loop_alive(&s->loop))
		uv_run(&s->loop, UV_RUN_ONCE);
}

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sess_run(const struct topo *t, const struct sess_options *o, struct sess_result *r,
	     struct icl_err *err)
{
	struct sess *s = calloc(1, sizeof(*s));
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!s)
		return icl_err_set(err, -ENOMEM, "out of memory");
	s->o = o;
	s->r = r;
	r->timeline = json_array();
	s->q_tail = &s->q_head;
	uv_loop_init(&s->loop);
	uv_timer_init(&s->loop, &s->timeout);
	uv_timer_init(&s->loop, &s->settle);
	uv_timer_init(&s->loop, &s->delay);
	uv_timer_init(&s->loop, &s->act);
	uv_timer_init(&s->loop, &s->hold);
	uv_timer_init(&s->loop, &s->watch);
	s->watch.data = s;
	s->timeout.data = s->settle.data = s->delay.data = s->act.data = s->hold.data = s;
	s->t = t;
	if (o->capture_dir)
		rc = capture_start(t, &s->loop, o->capture_dir, &s->cap, err);
	/* The case's origin, one for its timeline, deadlines, actions, hold
	 * and timeout: the captures are up, the agents not yet started.  The
	 * captures' setup is the harness's own and waits on the kernel's
	 * rtnl lock, which another case's teardown may hold for hundreds of
	 * ms under load; the agents' start-up is theirs. */
	uv_update_time(&s->loop);
	s->t0_loop_ms = uv_now(&s->loop);
	s->t0_ns = uv_hrtime();
	r->t0_realtime = realtime_s();
	for (int i = 0; i < 2 && rc == 0; i++)
		rc = start_side(s, t, i, err);
	if (rc == 0) {
		/* The loop's clock still reads the origin: the timers count
		 * from it too. */
		uv_timer_start(&s->timeout, timeout_cb, o->timeout_ms, 0);
		uv_timer_start(&s->watch, watch_cb, SESS_WATCH_MS, SESS_WATCH_MS);
		if (o->hold_ms > 0)
			uv_timer_start(&s->hold, hold_cb, o->hold_ms, 0);
		if (o->n_actions > 0)
			uv_timer_start(&s->act, act_cb, o->actions[0].at_ms, 0);
		uv_run(&s->loop, UV_RUN_DEFAULT);
	}
	s->stopping = true;
	finish(s);
	uv_loop_close(&s->loop);
	free(s);
	return rc;
}

void sess_result_free(struct sess_result *r)
{
	json_decref(r->timeline);
	r->timeline = NULL;
}

static bool matches(json_t *entry, const char *agent, const char *event, const char *key,
		    const char *value)
{
	json_t *ev = json_object_get(entry, "event");
	const char *v;

	if (agent && strcmp(json_string_value(json_object_get(entry, "agent")), agent) != 0)
		return false;
	if (strcmp(json_string_value(json_object_get(ev, "event")), event) != 0)
		return false;
	if (!key)
		return true;
	v = json_string_value(json_object_get(ev, key));
	return v && strcmp(v, value) == 0;
}

json_t *sess_find(const struct sess_result *r, const char *agent, const char *event,
		  const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(r->timeline, i, e)
		if (matches(e, agent, event, key, value))
			return json_object_get(e, "event");
	return NULL;
}

size_t sess_count(const struct sess_result *r, const char *agent, const char *event,
		  const char *key, const char *value)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(r->timeline, i, e)
		n += matches(e, agent, event, key, value);
	return n;
}

json_t *sess_last(const struct sess_result *r, const char *agent, const char *event)
{
	json_t *last = NULL, *e;
	size_t i;

	json_array_foreach(r->timeline, i, e)
		if (matches(e, agent, event, NULL, NULL))
			last = json_object_get(e, "event");
	return last;
}
