/* agent_proc.c - spawn an agent in a node and speak the agent protocol. */
#include "agent_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

double aproc_now_ms(const struct aproc *ap)
{
	return (uv_hrtime() - ap->t0_ns) / 1e6;
}

static void close_handle(struct aproc *ap, uv_handle_t *h)
{
	if (h->data == ap && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* The agent is gone (reaped): nothing it started may outlive it.  Its
 * pid names its group until the last member is gone, and is not reused
 * before, so the group is still its own. */
static void kill_leftovers(struct aproc *ap, int pgid)
{
	if (pgid <= 0 || kill(-pgid, 0) != 0)
		return;
	kill(-pgid, SIGKILL);
	if (ap->log)
		fprintf(ap->log, "\n[icelab: agent %s left processes in its process group when it "
				 "ended; they were killed]\n", ap->name);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct aproc *ap = p->data;

	kill_leftovers(ap, p->pid);
	ap->running = false;
	ap->exited = true;
	ap->exit_status = status;
	ap->term_signal = sig;
	close_handle(ap, (uv_handle_t *)&ap->proc);
	if (ap->on_exit)
		ap->on_exit(ap);
}

static void alloc_out(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct aproc *ap = h->data;

	(void)hint;
	*buf = uv_buf_init(ap->buf + ap->len, (unsigned)(sizeof(ap->buf) - 1 - ap->len));
}

json_t *aproc_parse_event(const char *line, unsigned lineno, char *why, size_t cap)
{
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);

	if (o && json_is_object(o) && json_is_string(json_object_get(o, "event")))
		return o;
	snprintf(why, cap, "line %u is not an event object%s%s", lineno, o ? "" : ": ",
		 o ? "" : jerr.text);
	json_decref(o);
	return NULL;
}

static void one_line(struct aproc *ap, char *line)
{
	char why[256];
	json_t *o;

	ap->lines++;
	o = aproc_parse_event(line, ap->lines, why, sizeof(why));
	if (!o) {
		if (ap->on_bad)
			ap->on_bad(ap, why);
	} else if (ap->on_event) {
		ap->on_event(ap, o, line);
	}
	json_decref(o);
}

/* Hand every complete line to one_line; keep the rest for the next read.
 * A line that fills the buffer is refused whole, once, and the rest of it
 * up to its newline is dropped: cut into pieces, its tail could parse as
 * an event the agent never sent. */
void aproc__split(struct aproc *ap, size_t n)
{
	char *start = ap->buf, *end, *nl;

	ap->len += n;
	end = ap->buf + ap->len;
	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		if (ap->skipping)
			ap->skipping = false;
		else if (nl > start)
			one_line(ap, start);
		start = nl + 1;
	}
	ap->len = (size_t)(end - start);
	memmove(ap->buf, start, ap->len);
	if (ap->len == sizeof(ap->buf) - 1) {
		if (!ap->skipping && ap->on_bad)
			ap->on_bad(ap, "an event line longer than 65535 bytes");
		ap->skipping = true;
		ap->len = 0;
	}
}

/* Past the limits, stop reading: memory and time stay bounded whatever
 * the agent writes, and the agent blocks until it is closed. */
static bool flooding(struct aproc *ap, size_t n)
{
	char why[96];

	ap->out_bytes += n;
	if (ap->out_bytes <= APROC_EVENT_BYTES_MAX && ap->lines < APROC_EVENT_LINES_MAX)
		return false;
	uv_read_stop((uv_stream_t *)&ap->out);
	ap->flooded = true;
	if (ap->out_bytes > APROC_EVENT_BYTES_MAX)
		snprintf(why, sizeof(why), "more than %u bytes of events (flooding)",
			 APROC_EVENT_BYTES_MAX);
	else
		snprintf(why, sizeof(why), "more than %u event lines (flooding)",
			 APROC_EVENT_LINES_MAX);
	if (ap->on_bad)
		ap->on_bad(ap, why);
	return true;
}

static void read_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct aproc *ap = s->data;

	(void)buf;
	if (n > 0) {
		if (flooding(ap, (size_t)n))
			return;
		aproc__split(ap, (size_t)n);
	} else if (n < 0) {
		close_handle(ap, (uv_handle_t *)s);
	}
}

static void alloc_err(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct aproc *ap = h->data;

	(void)hint;
	*buf = uv_buf_init(ap->errbuf, sizeof(ap->errbuf));
}

static void read_err(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct aproc *ap = s->data;

	if (n > 0 && ap->log && ap->log_bytes < APROC_LOG_BYTES_MAX) {
		ap->log_bytes += (size_t)n;
		fwrite(buf->base, 1, (size_t)n, ap->log);
		if (ap->log_bytes >= APROC_LOG_BYTES_MAX)
			fprintf(ap->log, "\n[icelab: agent %s wrote more than %u bytes to stderr; "
					 "the rest is dropped]\n", ap->name, APROC_LOG_BYTES_MAX);
	} else if (n < 0)
		close_handle(ap, (uv_handle_t *)s);
}

static void init_pipes(struct aproc *ap, uv_loop_t *loop, uv_stdio_container_t stdio[3])
{
	uv_pipe_t *p[3] = { &ap->in, &ap->out, &ap->err };

	for (int i = 0; i < 3; i++) {
		uv_pipe_init(loop, p[i], 0);
		p[i]->data = ap;
		stdio[i].flags = UV_CREATE_PIPE | (i == 0 ? UV_READABLE_PIPE : UV_WRITABLE_PIPE);
		stdio[i].data.stream = (uv_stream_t *)p[i];
	}
}

int aproc_spawn(struct aproc *ap, uv_loop_t *loop, const struct topo *t, const char *node,
		char *const argv[], uint64_t t0_ns, struct icl_err *err)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[3];
	int rc;

	ap->t0_ns = t0_ns;
	init_pipes(ap, loop, stdio);
	memset(&opt, 0, sizeof(opt));
	opt.file = argv[0];
	opt.args = (char **)(uintptr_t)argv;
	opt.exit_cb = on_exit_cb;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	/* setsid(): a group of its own (agent_proc.h, "Process group"). */
	opt.flags = UV_PROCESS_DETACHED;
	ap->proc.data = ap;
	/* The child inherits the network namespace of the thread that forks
	 * it; the harness thread goes straight back home. */
	rc = topo_enter(t, node, err);
	if (rc < 0)
		return icl_err_wrap(err, "agent %s: ", ap->name);
	rc = uv_spawn(loop, &ap->proc, &opt);
	topo_leave(t, err);
	ap->proc_inited = true;   /* even a failed uv_spawn leaves it to close */
	if (rc < 0) {
		aproc_close(ap);
		return icl_err_set(err, rc, "agent %s: starting %s in node %s: %s", ap->name,
				   argv[0], node, uv_strerror(rc));
	}
	ap->running = true;
	uv_read_start((uv_stream_t *)&ap->out, alloc_out, read_out);
	uv_read_start((uv_stream_t *)&ap->err, alloc_err, read_err);
	return 0;
}

static void write_done(uv_write_t *w, int status)
{
	(void)status;   /* a dead agent is noticed by its exit */
	free(w->data);
	free(w);
}

int aproc_send(struct aproc *ap, json_t *cmd, struct icl_err *err)
{
	char *j = json_dumps(cmd, JSON_COMPACT | JSON_PRESERVE_ORDER);
	uv_write_t *w = malloc(sizeof(*w));
	char *s = NULL;
	uv_buf_t b;
	int rc;

	json_decref(cmd);
	if (j && w && asprintf(&s, "%s\n", j) < 0)
		s = NULL;
	free(j);
	if (!s || !w) {
		free(s);
		free(w);
		return icl_err_set(err, -ENOMEM, "agent %s: out of memory", ap->name);
	}
	w->data = s;
	b = uv_buf_init(s, (unsigned)strlen(s));
	rc = uv_write(w, (uv_stream_t *)&ap->in, &b, 1, write_done);
	if (rc < 0) {
		free(s);
		free(w);
		return icl_err_set(err, rc, "agent %s: writing a command: %s", ap->name, uv_strerror(rc));
	}
	return 0;
}

int aproc_signal(struct aproc *ap, int sig)
{
	return ap->running ? uv_process_kill(&ap->proc, sig) : 0;
}

bool aproc_drained(const struct aproc *ap)
{
	return !ap->proc_inited || (uv_is_closing((const uv_handle_t *)&ap->err) &&
				    (ap->flooded || uv_is_closing((const uv_handle_t *)&ap->out)));
}

void aproc_close(struct aproc *ap)
{
	if (ap->running)
		uv_process_kill(&ap->proc, SIGKILL);
	close_handle(ap, (uv_handle_t *)&ap->in);
	close_handle(ap, (uv_handle_t *)&ap->out);
	close_handle(ap, (uv_handle_t *)&ap->err);
	/* The process handle closes in on_exit_cb, once the child is reaped;
	 * never spawned, it only needs closing. */
	if (!ap->running && !ap->exited && ap->proc_inited)
		close_handle(ap, (uv_handle_t *)&ap->proc);
}
