/* nice_main.c - icelab-libnice: the GLib main loop, stdin commands, hello,
 * not-applicable and the end of the process (see nice_adapter.h). */
#include "nice_adapter.h"

#include <errno.h>
#include <glib-unix.h>
#include <nice/nice-version.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t nadp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t nadp_now_ms(const struct nadp *a)
{
	return (nadp_now_ns() - a->t0_ns) / 1000000u;
}

void nadp_log(const struct nadp *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "icelab-libnice %.1f ms: ", (nadp_now_ns() - a->t0_ns) / 1e6);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void nadp_emit(struct nadp *a, const char *name, json_t *fields)
{
	if (a->closing) {
		json_decref(fields);
		return;
	}
	proto_emit(&a->po, name, fields);
}

static void refuse(struct nadp *a, const struct proto_cmd *cmd, const char *reason)
{
	if (!a->closing)
		proto_emit_error(&a->po, cmd->id, false, reason);
}

void nadp_shutdown(struct nadp *a)
{
	if (a->closing)
		return;
	if (a->dtls)
		dtls_conn_close(a->dtls);   /* close_notify goes out through libnice now */
	proto_emit(&a->po, "closed", NULL);
	a->closing = true;
	g_main_loop_quit(a->loop);
}

/* ---- commands ------------------------------------------------------ */

static void do_configure(struct nadp *a, const struct proto_cmd *cmd)
{
	char na[256];
	struct icl_err err;
	int rc;

	if (a->configured) {
		refuse(a, cmd, "configure: already configured");
		return;
	}
	a->cfg = cmd->u.config;
	rc = nice_cfg_map(&a->cfg, &a->ncfg, na, sizeof(na), &err);
	if (rc == NICE_CFG_NA) {
		/* The case cannot judge libnice: say why and stay quiet until close. */
		a->inert = true;
		nadp_emit(a, "not-applicable", json_pack("{s:s}", "reason", na));
		return;
	}
	if (rc < 0) {
		refuse(a, cmd, err.msg);
		return;
	}
	if (dtls_cert_new(&a->cert, &err) < 0 || nadp_ice_configure(a, &err) < 0) {
		proto_emit_error(&a->po, cmd->id, true, err.msg);
		nadp_shutdown(a);
		return;
	}
	a->configured = true;
}

static void do_gather(struct nadp *a, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (!a->configured || a->gathered) {
		refuse(a, cmd, a->gathered ? "gather: already gathered" : "gather: configure first");
		return;
	}
	a->gathered = true;
	if (nadp_ice_gather(a, &err) < 0) {
		proto_emit_error(&a->po, cmd->id, true, err.msg);
		nadp_shutdown(a);
	}
}

static void do_set_remote(struct nadp *a, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (!a->gathered) {
		refuse(a, cmd, "set-remote-description: gather first");
		return;
	}
	if (a->have_remote) {
		refuse(a, cmd, "set-remote-description: already set, and the libnice adapter has "
		       "no ICE restart (no \"restart\" capability)");
		return;
	}
	if ((!a->dtls && nadp_dtls_start(a, &cmd->u.remote, &err) < 0) ||
	    nadp_ice_set_remote(a, &cmd->u.remote, &err) < 0) {
		refuse(a, cmd, err.msg);
		return;
	}
	a->have_remote = true;
}

static void dispatch(struct nadp *a, const struct proto_cmd *cmd)
{
	struct icl_err err;

	if (a->inert && cmd->kind != PROTO_CLOSE)
		return;
	switch (cmd->kind) {
	case PROTO_CONFIGURE:
		do_configure(a, cmd);
		break;
	case PROTO_GATHER:
		do_gather(a, cmd);
		break;
	case PROTO_SET_REMOTE:
		do_set_remote(a, cmd);
		break;
	case PROTO_ADD_REMOTE_CANDIDATE:
		if (!a->have_remote)
			refuse(a, cmd, "add-remote-candidate: set-remote-description first");
		else if (nadp_ice_add_remote(a, &cmd->u.cand, &err) < 0)
			refuse(a, cmd, err.msg);
		break;
	case PROTO_END_OF_CANDIDATES:
		if (a->have_remote)
			nadp_ice_end_of_candidates(a);
		else
			refuse(a, cmd, "end-of-candidates: set-remote-description first");
		break;
	case PROTO_RESTART:
		refuse(a, cmd, "restart: the libnice adapter does not implement ICE restart "
		       "(no \"restart\" capability)");
		break;
	case PROTO_CLOSE:
		nadp_shutdown(a);
		break;
	}
}

/* ---- stdin --------------------------------------------------------- */

static void handle_line(void *user, char *line)
{
	struct nadp *a = user;
	struct proto_cmd *cmd = malloc(sizeof(*cmd));
	struct icl_err err;

	if (!cmd) {
		proto_emit_error(&a->po, NULL, true, "out of memory");
		nadp_shutdown(a);
		return;
	}
	if (proto_parse_cmd(line, cmd, &err) < 0)
		refuse(a, cmd, err.msg);
	else
		dispatch(a, cmd);
	free(cmd);
	nadp_rearm(a);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer user)
{
	struct nadp *a = user;
	char buf[16384];
	ssize_t n;

	(void)cond;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n > 0)
		proto_lines_feed(&a->lines, buf, (size_t)n, &a->po, handle_line, a, &a->closing);
	else
		nadp_shutdown(a);   /* EOF (or a broken pipe): the harness is gone or done */
	if (!a->closing)
		return G_SOURCE_CONTINUE;
	a->stdin_src = 0;
	return G_SOURCE_REMOVE;
}

static gboolean on_sigterm(gpointer user)
{
	nadp_shutdown(user);
	return G_SOURCE_CONTINUE;
}

/* ---- start --------------------------------------------------------- */

static void hello(struct nadp *a)
{
	char version[32];

	/* No "lite" (libnice runs here as a full agent) and no "restart". */
	snprintf(version, sizeof(version), "%d.%d.%d", NICE_VERSION_MAJOR, NICE_VERSION_MINOR,
		 NICE_VERSION_MICRO);
	nadp_emit(a, "hello", json_pack("{s:i, s:s, s:s, s:[s, s, s, s, s]}", "protocol",
					PROTO_VERSION, "agent", NADP_NAME, "version", version,
					"capabilities", "full", "trickle", "aggressive-nomination",
					"stun", "turn"));
}

int main(int argc, char **argv)
{
	struct nadp *a = calloc(1, sizeof(*a));

	(void)argv;
	if (!a)
		return 1;
	if (argc > 1)
		fprintf(stderr, "ignoring command-line arguments: the agent protocol carries "
			"the configuration\n");
	signal(SIGPIPE, SIG_IGN);
	a->t0_ns = nadp_now_ns();
	a->po.out = stdout;
	a->po.t0_ns = a->t0_ns;
	probe_init(&a->probe);
	a->data_next_ms = UINT64_MAX;
	a->loop = g_main_loop_new(NULL, FALSE);
	a->stdin_src = g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, a);
	a->sigterm_src = g_unix_signal_add(SIGTERM, on_sigterm, a);
	hello(a);
	g_main_loop_run(a->loop);
	if (a->stdin_src)
		g_source_remove(a->stdin_src);
	nadp_ice_close(a);
	if (a->timer_src)
		g_source_remove(a->timer_src);
	g_source_remove(a->sigterm_src);
	g_main_loop_unref(a->loop);
	dtls_conn_free(a->dtls);
	dtls_cert_free(a->cert);
	free(a);
	return 0;
}
