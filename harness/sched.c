/* sched.c - one forked worker per case, `jobs` at a time. */
#include "sched.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../netns/topo.h"
#include "control.h"
#include "runner.h"

/* A worker outlives its case's own timeout by this much at most: topology
 * build, the agents' grace period, capture flush and judging. */
#define SCHED_SLACK_MS 60000
#define SCHED_MAX_JOBS 64

struct worker {
	pid_t pid;
	int sock;                  /* socketpair end; -1 when the slot is free */
	size_t idx;
	double deadline;
	bool exited;
	int status;
};

struct sched {
	struct sched_case *cases;
	size_t *order;             /* start order: indices into cases */
	size_t n, next, done;      /* next: position in order */
	const struct sched_opts *o;
	struct worker w[SCHED_MAX_JOBS];
	int kept[256];             /* sockets of workers keeping a topology */
	pid_t kept_pid[256];       /* and those workers */
	size_t n_kept;
	int sigfd;
	sigset_t oldmask;
	bool interrupted;
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the worker side ---- */

/* Serve `icelab shell CASE NODE` until the scheduler hangs up. */
static void keep_serve(int sock, const struct topo *t, const char *name)
{
	char key[SCN_NAME_MAX + 32];
	struct icl_err err;
	int lfd, conns[32], n_conns = 0;

	snprintf(key, sizeof(key), "case:%s", name);
	if (ctl_listen(key, &lfd, &err) < 0) {
		fprintf(stderr, "icelab: keeping %s: %s\n", name, err.msg);
		return;
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = lfd, .events = POLLIN}};
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if ((p[1].revents & POLLIN) && (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			ctl_serve(c, t);
			if (n_conns < 32)
				conns[n_conns++] = c;
			else
				close(c);
		}
	}
	for (int i = 0; i < n_conns; i++)
		close(conns[i]);
	close(lfd);
}

/* A case's seed depends on the run's seed and the case's name only, so a
 * case sees the same seed whatever -j, --filter or --shard select. */
static uint64_t case_seed(uint64_t run_seed, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ run_seed;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	h ^= h >> 31;
	return h * 0xbf58476d1ce4e5b9ull;
}

static void worker_main(struct sched *s, struct sched_case *sc, int sock)
{
	struct run_env env = {.case_dir = sc->dir, .case_rel = sc->rel,
			      .keep_on_fail = s->o->keep_on_fail,
			      .seed = case_seed(s->o->seed, sc->name)};
	char seed[24];
	struct topo *kept = NULL;
	char path[PATH_MAX + 16];
	json_t *res;
	char tag;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
	/* An agent that dies closes its stdin: a write there must fail with
	 * EPIPE, which the session reports, not kill the worker. */
	signal(SIGPIPE, SIG_IGN);
	/* The worker is its own process: its environment is the agents'. */
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)env.seed);
	setenv("ICELAB_SEED", seed, 1);
	res = run_case(sc->c, &env, &kept);
	if (res) {
		json_object_set_new(res, "name", json_string(sc->name));
		json_object_set_new(res, "seed", json_string(seed));
	}
	snprintf(path, sizeof(path), "%s/case.json", sc->dir);
	if (!res || json_dump_file(res, path, JSON_COMPACT) != 0)
		_exit(3);
	json_decref(res);
	tag = kept ? 'K' : 'D';
	if (write(sock, &tag, 1) != 1)
		_exit(3);
	if (kept)
		keep_serve(sock, kept, sc->name);
	topo_down(kept);
	_exit(0);
}

/* ---- the scheduler side ---- */

static void close_inherited(struct sched *s);

static json_t *error_result(const struct sched_case *sc, const char *msg)
{
	return json_pack("{s:s, s:s, s:s, s:{}, s:s, s:n, s:s, s:f, s:s, s:[], s:[], s:s, s:[], "
			 "s:[], s:[]}",
			 "name", sc->name, "file", sc->c->file, "description", sc->c->description,
			 "params", "verdict", "error", "expected_failure", "message", msg,
			 "duration_ms", 0.0, "dir", sc->rel, "agents", "assertions", "broken", "",
			 "timeline", "wire", "pcaps");
}

static const char *label(const char *verdict)
{
	static const char *const map[][2] = {{"pass", "pass "}, {"fail", "FAIL "},
					      {"xfail", "xfail"}, {"xpass", "XPASS"},
					      {"error", "ERROR"}, {"n/a", "n/a  "}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(verdict, map[i][0]) == 0)
			return map[i][1];
	return "?    ";
}

static void print_status(struct sched *s)
{
	FILE *f = s->o->out;
	size_t running = 0;

	if (!s->o->progress)
		return;
	for (unsigned i = 0; i < s->o->jobs; i++)
		running += s->w[i].sock >= 0;
	fprintf(f, "\r\033[K[%zu/%zu] %zu running", s->done, s->n, running);
	for (unsigned i = 0; i < s->o->jobs; i++)
		if (s->w[i].sock >= 0) {
			fprintf(f, " %s", s->cases[s->w[i].idx].name);
			break;
		}
	fflush(f);
}

static void print_case(struct sched *s, const struct sched_case *sc)
{
	const char *v = json_string_value(json_object_get(sc->result, "verdict"));
	const char *msg = json_string_value(json_object_get(sc->result, "message"));
	double ms = json_number_value(json_object_get(sc->result, "duration_ms"));
	FILE *f = s->o->out;

	if (s->o->progress)
		fputs("\r\033[K", f);
	fprintf(f, "%s %6.2f s  %s\n", label(v ? v : "?"), ms / 1e3, sc->name);
	if (msg && msg[0] && strcmp(v, "pass") != 0)
		fprintf(f, "             %s\n", msg);
	fflush(f);
}

static void worker_status(int st, char *buf, size_t cap)
{
	if (WIFSIGNALED(st))
		snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, cap, "exit status %d", WEXITSTATUS(st));
}

/* Collect a worker that finished, one way or another. */
static void finish_worker(struct sched *s, struct worker *w, char tag, const char *why)
{
	struct sched_case *sc = &s->cases[w->idx];
	char path[PATH_MAX + 16], msg[512], st[96];

	if (tag == 'D' || tag == 'K') {
		snprintf(path, sizeof(path), "%s/case.json", sc->dir);
		sc->result = json_load_file(path, 0, NULL);
	}
	if (tag != 'K') {
		if (!w->exited && waitpid(w->pid, &w->status, 0) == w->pid)
			w->exited = true;
		close(w->sock);
	} else if (s->n_kept < sizeof(s->kept) / sizeof(s->kept[0])) {
		s->kept_pid[s->n_kept] = w->pid;
		s->kept[s->n_kept++] = w->sock;
	} else {
		close(w->sock);
	}
	if (!sc->result) {
		worker_status(w->status, st, sizeof(st));
		snprintf(msg, sizeof(msg), "the case's worker %s: %s", why ? why : "died", st);
		sc->result = error_result(sc, msg);
	}
	w->sock = -1;
	s->done++;
	print_case(s, sc);
}

static int start_worker(struct sched *s, struct worker *w, struct icl_err *err)
{
	size_t idx = s->order[s->next];
	struct sched_case *sc = &s->cases[idx];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return icl_err_set(err, -errno, "socketpair: %s", strerror(errno));
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return icl_err_set(err, -errno, "fork: %s", strerror(errno));
	}
	if (w->pid == 0) {
		close(sv[0]);
		close_inherited(s);
		worker_main(s, sc, sv[1]);
	}
	close(sv[1]);
	*w = (struct worker){.pid = w->pid, .sock = sv[0], .idx = idx,
			     .deadline = mono_ms() + sc->c->timeout_ms + SCHED_SLACK_MS};
	s->next++;
	return 0;
}

/* Reap every child that ended (workers and orphans reparented to us). */
static void reap(struct sched *s)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (unsigned i = 0; i < s->o->jobs; i++)
			if (s->w[i].sock >= 0 && s->w[i].pid == pid) {
				s->w[i].exited = true;
				s->w[i].status = st;
			}
}

/* In a new worker: drop the scheduler's ends of everybody else's sockets,
 * so that a kept worker sees its hang-up as soon as the scheduler closes. */
static void close_inherited(struct sched *s)
{
	for (unsigned i = 0; i < s->o->jobs; i++)
		if (s->w[i].sock >= 0)
			close(s->w[i].sock);
	for (size_t i = 0; i < s->n_kept; i++)
		close(s->kept[i]);
	close(s->sigfd);
}

static void on_readable(struct sched *s, struct worker *w)
{
	char tag = 0;
	ssize_t n = read(w->sock, &tag, 1);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	finish_worker(s, w, n == 1 ? tag : 0, NULL);
}

static void on_signal(struct sched *s)
{
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		s->interrupted = true;
}

static void kill_overdue(struct sched *s, bool all)
{
	double now = mono_ms();

	for (unsigned i = 0; i < s->o->jobs; i++) {
		struct worker *w = &s->w[i];

		if (w->sock < 0 || (!all && now < w->deadline))
			continue;
		kill(w->pid, SIGKILL);
		finish_worker(s, w, 0, all ? "was interrupted" : "overran its deadline and was killed");
	}
}

/* One turn: wait for a worker, a signal or a deadline. */
static void wait_turn(struct sched *s)
{
	struct pollfd p[SCHED_MAX_JOBS + 1];
	unsigned map[SCHED_MAX_JOBS];
	nfds_t n = 0;

	p[n++] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
	for (unsigned i = 0; i < s->o->jobs; i++)
		if (s->w[i].sock >= 0) {
			map[n - 1] = i;
			p[n++] = (struct pollfd){.fd = s->w[i].sock, .events = POLLIN};
		}
	if (poll(p, n, 250) < 0)
		return;
	if (p[0].revents)
		on_signal(s);
	for (nfds_t k = 1; k < n; k++)
		if (p[k].revents)
			on_readable(s, &s->w[map[k - 1]]);
	reap(s);
	kill_overdue(s, s->interrupted);
	print_status(s);
}

static void wait_kept(struct sched *s)
{
	struct pollfd p = {.fd = s->sigfd, .events = POLLIN};
	FILE *f = s->o->out;

	if (s->n_kept == 0 || s->interrupted)
		return;
	fprintf(f, "icelab: %zu failed case%s kept; enter a node with:\n", s->n_kept,
		s->n_kept == 1 ? "" : "s");
	for (size_t i = 0; i < s->n; i++) {
		const char *v = json_string_value(json_object_get(s->cases[i].result, "verdict"));
		const json_t *ag = json_object_get(s->cases[i].result, "agents");

		if (!v || !run_verdict_failed(v) || strcmp(v, "error") == 0)
			continue;
		fprintf(f, "    icelab shell '%s' %s\n", s->cases[i].name,
			json_array_size(ag) ? json_string_value(json_object_get(
						      json_array_get(ag, 0), "node"))
					    : "NODE");
	}
	fprintf(f, "icelab: Ctrl-C tears them down\n");
	fflush(f);
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	on_signal(s);
}

/* The run is over: kept topologies are torn down (their workers exit
 * once their sockets close), then, as PID 1 of the run's PID namespace,
 * kill what is left in it.  A worker ends its agents' process groups
 * (harness/agent_proc.h), but not when it was killed (a Ctrl-C, an
 * overrun): then its agents and what they forked are still here, and the
 * final reaping would wait for them. */
static void end_leftovers(struct sched *s)
{
	for (size_t i = 0; i < s->n_kept; i++)
		close(s->kept[i]);
	for (size_t i = 0; i < s->n_kept; i++)
		while (waitpid(s->kept_pid[i], NULL, 0) < 0 && errno == EINTR)
			;
	if (getpid() == 1) /* kill(-1) elsewhere would reach the whole machine */
		kill(-1, SIGKILL);
}

/* Longest first (the classic LPT rule): with several jobs, a long case
 * started last would leave the other slots idle at the end of the run.  A
 * case's `hold` is a lower bound of its length and its timeout an upper
 * one; equal keys keep the file order. */
static int by_length(const void *a, const void *b, void *arg)
{
	const struct sched_case *c = arg;
	const struct scn_case *x = c[*(const size_t *)a].c, *y = c[*(const size_t *)b].c;

	if (x->hold_ms != y->hold_ms)
		return x->hold_ms < y->hold_ms ? 1 : -1;
	if (x->timeout_ms != y->timeout_ms)
		return x->timeout_ms < y->timeout_ms ? 1 : -1;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static int start_order(struct sched *s, struct icl_err *err)
{
	if (!(s->order = calloc(s->n ? s->n : 1, sizeof(*s->order))))
		return icl_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		s->order[i] = i;
	if (s->o->jobs > 1)
		qsort_r(s->order, s->n, sizeof(*s->order), by_length, s->cases);
	return 0;
}

static int sched_init(struct sched *s, struct sched_case *cases, size_t n,
		      const struct sched_opts *o, struct icl_err *err)
{
	sigset_t mask;

	if (o->jobs < 1 || o->jobs > SCHED_MAX_JOBS)
		return icl_err_set(err, ICL_EINPUT, "-j %u: between 1 and %d", o->jobs,
				   SCHED_MAX_JOBS);
	*s = (struct sched){.cases = cases, .n = n, .o = o};
	for (unsigned i = 0; i < SCHED_MAX_JOBS; i++)
		s->w[i].sock = -1;
	if (start_order(s, err) < 0)
		return err->code;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &s->oldmask);
	if ((s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
		free(s->order);
		return icl_err_set(err, -errno, "signalfd: %s", strerror(errno));
	}
	return 0;
}

int sched_run(struct sched_case *cases, size_t n, const struct sched_opts *o,
	      struct icl_err *err)
{
	struct sched s;
	int rc = sched_init(&s, cases, n, o, err);

	if (rc < 0)
		return rc;
	while (rc == 0 && s.done < s.n) {
		for (unsigned i = 0; i < o->jobs && s.next < s.n && !s.interrupted; i++)
			if (s.w[i].sock < 0 && (rc = start_worker(&s, &s.w[i], err)) < 0)
				break;
		if (s.interrupted && s.next < s.n) {
			for (; s.next < s.n; s.next++, s.done++)
				cases[s.order[s.next]].result = error_result(&cases[s.order[s.next]],
								     "not run: the run was interrupted");
		}
		if (s.done < s.n)
			wait_turn(&s);
	}
	kill_overdue(&s, true);
	wait_kept(&s);
	end_leftovers(&s);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	if (o->progress)
		fputs("\r\033[K", o->out);
	close(s.sigfd);
	sigprocmask(SIG_SETMASK, &s.oldmask, NULL);
	free(s.order);
	return rc;
}
