/* agent.c - a reference agent's commands and lifecycle. */
#include "agent.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cand.h"
#include "quirk.h"

#define AGENT_VERSION "0.1.0"

static void shutdown_agent(struct agent *ag);

static void refuse(struct agent *ag, const struct proto_cmd *cmd, const char *reason)
{
	proto_emit_error(&ag->po, cmd->id, false, reason);
}

/* ---- commands ------------------------------------------------------ */

static void ice_config_from(const struct agent *ag, struct ice_config *ic)
{
	const struct proto_config *c = &ag->cfg;

	memset(ic, 0, sizeof(*ic));
	ic->lite = ag->kind == AGENT_LITE;
	ic->role = ic->lite ? ICE_CONTROLLED : (c->role_set ? c->role : ICE_CONTROLLING);
	ic->nomination = c->nomination;
	ic->ta_ms = c->ta_ms;
	ic->rto_ms = c->rto_ms;
	ic->nominate_after_ms = c->nominate_after_ms;
	ic->consent_interval_ms = c->consent_interval_ms;
	ic->consent_timeout_ms = c->consent_timeout_ms;
	ic->quirks = ag->quirks;
	snprintf(ic->ufrag, sizeof(ic->ufrag), "%s", c->ufrag);
	snprintf(ic->pwd, sizeof(ic->pwd), "%s", c->pwd);
}

static int check_kind(struct agent *ag, const struct proto_config *c, struct icl_err *err)
{
	if (ag->kind == AGENT_LITE && c->lite_set && !c->lite)
		return icl_err_set(err, ICL_EINPUT, "lite: icelab-lite is always ICE-Lite");
	if (ag->kind == AGENT_FULL && c->lite)
		return icl_err_set(err, ICL_EINPUT, "lite: icelab-full is a full agent; use icelab-lite");
	if (ag->kind == AGENT_LITE && c->role_set && c->role == ICE_CONTROLLING)
		return icl_err_set(err, ICL_EINPUT, "role: an ICE-Lite agent is always controlled");
	/* RFC 8445 2.5: a lite agent has host candidates only. */
	if (ag->kind == AGENT_LITE && (c->n_stun_servers > 0 || c->n_turn_servers > 0))
		return icl_err_set(err, ICL_EINPUT, "%s: icelab-lite gathers host candidates only "
				   "(ICE-Lite, RFC 8445 2.5); no \"stun\"/\"turn\" capability",
				   c->n_stun_servers > 0 ? "stun_servers" : "turn_servers");
	/* A lite agent sends no checks: synthesized pairs would be unused. */
	if (ag->kind == AGENT_LITE && c->nat64.set)
		return icl_err_set(err, ICL_EINPUT, "nat64: icelab-lite sends no checks and pairs "
				   "nothing (ICE-Lite, RFC 8445 2.5); NAT64 is icelab-full's");
	return quirk_parse(c->quirks, c->n_quirks, ag->kind == AGENT_LITE, &ag->quirks, err);
}

static void do_configure(struct agent *ag, const struct proto_cmd *cmd)
{
	struct ice_callbacks cb;
	struct ice_config ic;
	struct icl_err err;

	if (ag->configured) {
		refuse(ag, cmd, "configure: already configured");
		return;
	}
	if (check_kind(ag, &cmd->u.config, &err) < 0) {
		refuse(ag, cmd, err.msg);
		return;
	}
	ag->cfg = cmd->u.config;
	ice_config_from(ag, &ic);
	agent__ice_callbacks(ag, &cb);
	ag->ice = ice_agent_new(&ic, &cb, &err);
	if (!ag->ice || dtls_cert_new(&ag->cert, &err) < 0) {
		proto_emit_error(&ag->po, cmd->id, true, err.msg);
		shutdown_agent(ag);
		return;
	}
	ag->configured = true;
}

static void emit_description(struct agent *ag)
{
	char fp[PROTO_FP_MAX];

	snprintf(fp, sizeof(fp), "sha-256 %s", dtls_cert_fingerprint(ag->cert));
	proto_emit(&ag->po, "local-description",
		   json_pack("{s:s, s:s, s:s, s:s, s:b, s:[s]}", "ufrag", ice_agent_ufrag(ag->ice),
			     "pwd", ice_agent_pwd(ag->ice), "fingerprint", fp,
			     "setup", proto_setup_name(ag->cfg.setup),
			     "lite", ag->kind == AGENT_LITE, "options", "ice2"));
}

static void do_gather(struct agent *ag, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (!ag->configured || ag->gathered) {
		refuse(ag, cmd, ag->gathered ? "gather: already gathered" : "gather: configure first");
		return;
	}
	ag->gathered = true;
	if (agent__open_sockets(ag, &err) < 0) {
		proto_emit_error(&ag->po, cmd->id, true, err.msg);
		shutdown_agent(ag);
		return;
	}
	emit_description(ag);
	/* Host candidates now; srflx and relay ones, and gathering-done, as
	 * the servers answer (agent_gather.c). */
	agent__gather_start(ag);
}

/* ---- ICE restart (RFC 8445 9) ------------------------------------------ */

/* The description again with the new credentials, and the candidates we
 * have (the same sockets, so the same candidates), then gathering-done:
 * the peer needs them all with the new credentials. */
static void announce_restart(struct agent *ag)
{
	const struct cand *cands;
	size_t n = ice_agent_local_cands(ag->ice, &cands);
	char s[256];

	emit_description(ag);
	for (size_t i = 0; i < n; i++)
		if (cand_format(&cands[i], s, sizeof(s)) > 0)
			proto_emit(&ag->po, "local-candidate", json_pack("{s:s}", "candidate", s));
	proto_emit(&ag->po, "gathering-done", NULL);
}

/* New local credentials; the peer's new ones come with the next
 * set-remote-description.  DTLS is untouched: its records keep flowing on
 * the pair selected before until ICE selects a new one. */
static int restart_ice(struct agent *ag, struct icl_err *err)
{
	int rc = ice_agent_restart(ag->ice, NULL, NULL, agent__now_ms(ag), err);

	if (rc == 0) {
		ag->have_remote = false;
		announce_restart(ag);
	}
	return rc;
}

static void do_restart(struct agent *ag, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (!ag->have_remote)
		refuse(ag, cmd, "restart: set-remote-description first (nothing to restart)");
	else if (restart_ice(ag, &err) < 0)
		refuse(ag, cmd, err.msg);
}

/* RFC 8842 5 / 4145: the peer's setup decides ours unless it is actpass. */
static int dtls_role(struct agent *ag, enum proto_setup remote, bool *active,
		     struct icl_err *err)
{
	if (proto_dtls_active(ag->cfg.setup, remote, active, err) < 0)
		return err->code;
	/* select-first-check, mediasoup 3.7 (forum thread 2702): DTLS starts
	 * as the client on the first checked tuple.  The quirk takes that role
	 * whatever the setup says, so both setups of a scenario show it. */
	if (ag->quirks & QUIRK_SELECT_FIRST_CHECK)
		*active = true;
	return 0;
}

static int start_dtls(struct agent *ag, const struct proto_remote *r, struct icl_err *err)
{
	struct dtls_callbacks cb;
	int rc = dtls_role(ag, r->setup, &ag->dtls_active, err);

	if (rc < 0)
		return rc;
	agent__dtls_callbacks(ag, &cb);
	ag->dtls = dtls_conn_new(ag->cert, ag->dtls_active, r->fingerprint, &cb, err);
	if (!ag->dtls)
		return err->code;
	/* A passive side may accept at once: its answers wait in the pending
	 * queue until a pair is selected.  An active side starts on selection. */
	if (!ag->dtls_active) {
		ag->dtls_started = true;
		dtls_conn_start(ag->dtls);
	}
	return 0;
}

static void do_set_remote(struct agent *ag, const struct proto_cmd *cmd)
{
	const struct proto_remote *r = &cmd->u.remote;
	uint64_t now = agent__now_ms(ag);
	struct icl_err err;
	int rc;

	if (!ag->gathered) {
		refuse(ag, cmd, "set-remote-description: gather first");
		return;
	}
	if (ag->have_remote && !ice_agent_remote_changed(ag->ice, r->ufrag, r->pwd)) {
		refuse(ag, cmd, "set-remote-description: already set (an ICE restart brings new "
		       "credentials)");
		return;
	}
	/* New credentials: the peer restarted, and so do we (RFC 8445 9). */
	if (ag->have_remote && restart_ice(ag, &err) < 0) {
		refuse(ag, cmd, err.msg);
		return;
	}
	rc = ag->dtls ? 0 : start_dtls(ag, r, &err);   /* DTLS outlives restarts */
	if (rc == 0)
		rc = ice_agent_set_remote(ag->ice, r->ufrag, r->pwd, r->lite, now, &err);
	for (size_t i = 0; rc == 0 && i < r->n_cands; i++)
		if ((rc = ice_agent_add_remote(ag->ice, &r->cands[i], now, &err)) == 0)
			rc = agent__nat64_remote(ag, &r->cands[i], now, &err);
	if (rc < 0) {
		refuse(ag, cmd, err.msg);
		return;
	}
	ag->have_remote = true;
	if (r->end_of_candidates)
		agent__nat64_end_of_candidates(ag, now);
}

static void do_add_candidate(struct agent *ag, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (!ag->have_remote) {
		refuse(ag, cmd, "add-remote-candidate: set-remote-description first");
		return;
	}
	if (ice_agent_add_remote(ag->ice, &cmd->u.cand, agent__now_ms(ag), &err) < 0 ||
	    agent__nat64_remote(ag, &cmd->u.cand, agent__now_ms(ag), &err) < 0)
		refuse(ag, cmd, err.msg);
}

static void dispatch(struct agent *ag, const struct proto_cmd *cmd)
{
	switch (cmd->kind) {
	case PROTO_CONFIGURE:
		do_configure(ag, cmd);
		break;
	case PROTO_GATHER:
		do_gather(ag, cmd);
		break;
	case PROTO_SET_REMOTE:
		do_set_remote(ag, cmd);
		break;
	case PROTO_ADD_REMOTE_CANDIDATE:
		do_add_candidate(ag, cmd);
		break;
	case PROTO_END_OF_CANDIDATES:
		if (ag->have_remote)
			agent__nat64_end_of_candidates(ag, agent__now_ms(ag));
		else
			refuse(ag, cmd, "end-of-candidates: set-remote-description first");
		break;
	case PROTO_RESTART:
		do_restart(ag, cmd);
		break;
	case PROTO_CLOSE:
		shutdown_agent(ag);
		break;
	}
}

/* ---- stdin --------------------------------------------------------- */

static void handle_line(void *user, char *line)
{
	struct agent *ag = user;
	struct proto_cmd *cmd = malloc(sizeof(*cmd));
	struct icl_err err;

	if (!cmd) {
		proto_emit_error(&ag->po, NULL, true, "out of memory");
		shutdown_agent(ag);
		return;
	}
	if (proto_parse_cmd(line, cmd, &err) < 0)
		proto_emit_error(&ag->po, cmd->id, false, err.msg);
	else
		dispatch(ag, cmd);
	free(cmd);
	agent__rearm(ag);
}

static void in_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct agent *ag = h->data;

	(void)hint;
	*buf = uv_buf_init(ag->rxbuf, sizeof(ag->rxbuf));
}

static void in_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct agent *ag = s->data;

	if (n > 0)
		proto_lines_feed(&ag->lines, buf->base, (size_t)n, &ag->po, handle_line, ag,
				 &ag->closing);
	else if (n < 0)
		shutdown_agent(ag);   /* EOF: the harness is gone or done */
}

/* ---- lifecycle ----------------------------------------------------- */

static void shutdown_agent(struct agent *ag)
{
	if (ag->closing)
		return;
	ag->closing = true;
	if (ag->dtls)
		dtls_conn_close(ag->dtls);
	proto_emit(&ag->po, "closed", NULL);
	uv_read_stop((uv_stream_t *)&ag->in);
	uv_close((uv_handle_t *)&ag->in, NULL);
	uv_close((uv_handle_t *)&ag->timer, NULL);
	uv_close((uv_handle_t *)&ag->sigterm, NULL);
	agent__close_sockets(ag);
}

static void on_sigterm(uv_signal_t *s, int signum)
{
	(void)signum;
	shutdown_agent(s->data);
}

static void hello(struct agent *ag)
{
	json_t *caps = json_pack("[s, s]", "trickle", "restart");

	if (ag->kind == AGENT_LITE) {
		json_array_append_new(caps, json_string("lite"));
	} else {
		json_array_append_new(caps, json_string("full"));
		json_array_append_new(caps, json_string("aggressive-nomination"));
		json_array_append_new(caps, json_string("stun"));
		json_array_append_new(caps, json_string("turn"));
	}
	proto_emit(&ag->po, "hello",
		   json_pack("{s:i, s:s, s:s, s:o}", "protocol", PROTO_VERSION, "agent", ag->name,
			     "version", AGENT_VERSION, "capabilities", caps));
}

static int setup_loop(struct agent *ag)
{
	int rc = uv_loop_init(&ag->loop);

	if (rc == 0)
		rc = uv_pipe_init(&ag->loop, &ag->in, 0);
	if (rc == 0)
		rc = uv_pipe_open(&ag->in, STDIN_FILENO);
	if (rc < 0) {
		fprintf(stderr, "%s: stdin must be a pipe: %s\n", ag->name, uv_strerror(rc));
		return rc;
	}
	ag->in.data = ag;
	uv_timer_init(&ag->loop, &ag->timer);
	ag->timer.data = ag;
	uv_signal_init(&ag->loop, &ag->sigterm);
	ag->sigterm.data = ag;
	uv_signal_start(&ag->sigterm, on_sigterm, SIGTERM);
	return uv_read_start((uv_stream_t *)&ag->in, in_alloc, in_read);
}

int agent_main(int argc, char **argv, enum agent_kind kind)
{
	struct agent *ag = calloc(1, sizeof(*ag));
	int rc;

	(void)argv;
	if (!ag)
		return 1;
	if (argc > 1)
		fprintf(stderr, "ignoring command-line arguments: the agent protocol carries the configuration\n");
	signal(SIGPIPE, SIG_IGN);
	ag->kind = kind;
	ag->name = kind == AGENT_LITE ? "icelab-lite" : "icelab-full";
	ag->t0_ns = uv_hrtime();
	ag->data_next_ms = UINT64_MAX;
	probe_init(&ag->probe);
	ag->po.out = stdout;
	ag->po.t0_ns = ag->t0_ns;
	rc = setup_loop(ag);
	if (rc == 0) {
		hello(ag);
		uv_run(&ag->loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&ag->loop);
	dtls_conn_free(ag->dtls);
	dtls_cert_free(ag->cert);
	ice_agent_free(ag->ice);
	free(ag);
	return rc == 0 ? 0 : 1;
}
