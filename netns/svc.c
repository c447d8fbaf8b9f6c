/* svc.c - helper daemons inside the nodes of a topology; see svc.h.
 *
 * The child reports a failed setns() or exec through a close-on-exec pipe:
 * end of file on it means the exec succeeded.
 *
 * Readiness reads the node's /proc/net files (udp, udp6, tcp, tcp6, dev).
 * Not through /proc/PID/net: icelab runs in a PID namespace of its own
 * (sandbox.h) under the /proc of the host's, where PID names another
 * process.  A short-lived thread enters the node and opens
 * /proc/thread-self/net/...; an open file keeps the namespace it was
 * opened in, and rereading it from offset 0 gives the current table. */
#include "svc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SVC_DEFAULT_TIMEOUT_MS 5000u
#define SVC_POLL_US 2000
#define SVC_TAIL_LINES 5

/* The public record first; the rest is ours. */
struct svc_priv {
	struct svc pub;
	bool reaped;
	int status; /* wait status once reaped */
};

/* What a child that could not exec tells its parent. */
struct child_fail {
	int step; /* 0: setns, 1: log, 2: exec */
	int err;
};

static struct svc_priv *priv(struct svc *s)
{
	return (struct svc_priv *)s;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_poll(void)
{
	struct timespec ts = {0, SVC_POLL_US * 1000L};

	nanosleep(&ts, NULL);
}

static void __attribute__((noreturn)) child_fail(int pipe_fd, int step)
{
	struct child_fail f = {step, errno};
	ssize_t n = write(pipe_fd, &f, sizeof(f));

	(void)n;
	_exit(127);
}

/* In the forked child: only async-signal-safe calls (the parent may have
 * threads). */
static void __attribute__((noreturn)) child_run(pid_t parent, int netns_fd, int log_fd,
					       int pipe_fd, char *const argv[])
{
	struct sigaction dfl;
	sigset_t none;
	int devnull;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(137); /* the starting thread's process died before prctl() */
	if (setns(netns_fd, CLONE_NEWNET) != 0)
		child_fail(pipe_fd, 0);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		child_fail(pipe_fd, 1);
	/* Nothing of icelab's but stdio and the status pipe crosses the exec. */
#ifdef SYS_close_range
	syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
#endif
	fcntl(pipe_fd, F_SETFD, FD_CLOEXEC);
	/* Ignored signals and the blocked mask survive exec; the program gets
	 * neither from the caller (the topology's threads block everything). */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], argv);
	child_fail(pipe_fd, 2);
}

void svc_log_tail(const struct svc *s, char *buf, size_t cap, int lines)
{
	char chunk[8192];
	ssize_t n;
	size_t len, start;
	int fd;

	if (cap == 0)
		return;
	buf[0] = '\0';
	fd = open(s->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(chunk) ? size - (off_t)sizeof(chunk) : 0;

	n = size > 0 ? pread(fd, chunk, sizeof(chunk), from) : 0;
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len > 0 && (chunk[len - 1] == '\n' || chunk[len - 1] == '\r'))
		len--;
	start = len;
	for (int k = 0; start > 0; start--) {
		if (chunk[start - 1] == '\n' && ++k == lines)
			break;
	}
	if (lines <= 0)
		start = len;
	len -= start;
	if (len >= cap) { /* keep the end: the last words matter most */
		start += len - (cap - 1);
		len = cap - 1;
	}
	memcpy(buf, chunk + start, len);
	buf[len] = '\0';
}

/* The log's last lines on one line, for an error message. */
static void tail_one_line(const struct svc *s, char *buf, size_t cap)
{
	char raw[600];
	size_t o = 0;

	svc_log_tail(s, raw, sizeof(raw), SVC_TAIL_LINES);
	if (raw[0] == '\0') {
		snprintf(buf, cap, "(its log %.300s is empty)", s->log);
		return;
	}
	o = (size_t)snprintf(buf, cap, "log %.300s ends: ", s->log);
	for (const char *p = raw; *p && o + 4 < cap; p++) {
		if (*p == '\n') {
			memcpy(buf + o, " | ", 3);
			o += 3;
		} else if (*p != '\r') {
			buf[o++] = (*p >= 0x20 && *p != 0x7f) ? *p : '?';
		}
	}
	buf[o < cap ? o : cap - 1] = '\0';
}

static bool reap(struct svc_priv *p, bool block)
{
	int status;
	pid_t r;

	if (p->reaped)
		return true;
	do
		r = waitpid(p->pub.pid, &status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pub.pid || (r < 0 && errno == ECHILD)) {
		p->reaped = true;
		p->status = r == p->pub.pid ? status : 0;
	}
	return p->reaped;
}

#define NET_FILES_MAX 2

/* The node's /proc/net files that readiness looks at. */
struct net_files {
	int netns_fd;
	const char *names[NET_FILES_MAX];
	int fds[NET_FILES_MAX];
	int err;
	const char *failed;
};

static void *open_net_files(void *arg)
{
	struct net_files *nf = arg;
	char path[64];

	if (setns(nf->netns_fd, CLONE_NEWNET) != 0) {
		nf->err = errno;
		nf->failed = "setns";
		return NULL;
	}
	for (int i = 0; i < NET_FILES_MAX && nf->names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "/proc/thread-self/net/%s", nf->names[i]);
		nf->fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nf->fds[i] < 0 && nf->err == 0) {
			nf->err = errno;
			nf->failed = nf->names[i];
		}
	}
	return NULL;
}

static void close_net_files(struct net_files *nf)
{
	for (int i = 0; i < NET_FILES_MAX; i++)
		if (nf->fds[i] >= 0)
			close(nf->fds[i]);
}

/* Open what `r` needs, from a thread inside the node (signals blocked:
 * they stay with the caller's threads). */
static int net_files_open(const char *name, int netns_fd, const struct svc_ready *r,
			  struct net_files *nf, struct icl_err *err)
{
	sigset_t all, old;
	pthread_t tid;
	int rc;

	memset(nf, 0, sizeof(*nf));
	nf->netns_fd = netns_fd;
	for (int i = 0; i < NET_FILES_MAX; i++)
		nf->fds[i] = -1;
	if (r->kind == SVC_READY_UDP) {
		nf->names[0] = "udp";
		nf->names[1] = "udp6";
	} else if (r->kind == SVC_READY_TCP) {
		nf->names[0] = "tcp";
		nf->names[1] = "tcp6";
	} else if (r->kind == SVC_READY_IFACE) {
		nf->names[0] = "dev";
	} else {
		return 0;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, NULL, open_net_files, nf);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return icl_err_set(err, -rc, "%s: starting a thread: %s", name, strerror(rc));
	pthread_join(tid, NULL);
	if (nf->err != 0) {
		close_net_files(nf);
		return icl_err_set(err, -nf->err, "%s: opening the node's /proc/net/%s: %s", name,
				   nf->failed, strerror(nf->err));
	}
	return 0;
}

/* The whole current content of a /proc/net file, NUL-terminated, or NULL. */
static char *reread(int fd)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL || lseek(fd, 0, SEEK_SET) != 0) {
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* A socket on `port` in the tables (TCP: listening, state 0A). */
static bool port_bound(const struct net_files *nf, uint16_t port, bool tcp)
{
	bool found = false;

	for (int f = 0; !found && f < NET_FILES_MAX && nf->fds[f] >= 0; f++) {
		char *text = reread(nf->fds[f]), *save = NULL;

		for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned lport, st;

			/* "  sl  local_address rem_address   st ..." */
			if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lport, &st) != 2)
				continue;
			found = lport == port && (!tcp || st == 0x0A);
		}
		free(text);
	}
	return found;
}

static bool iface_present(const struct net_files *nf, const char *name)
{
	size_t len = strlen(name);
	char *text = reread(nf->fds[0]), *save = NULL;
	bool found = false;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " ");

		found = strncmp(p, name, len) == 0 && p[len] == ':';
	}
	free(text);
	return found;
}

static bool is_ready(const struct net_files *nf, const struct svc_ready *r)
{
	switch (r->kind) {
	case SVC_READY_UDP:
		return port_bound(nf, r->port, false);
	case SVC_READY_TCP:
		return port_bound(nf, r->port, true);
	case SVC_READY_IFACE:
		return iface_present(nf, r->name);
	case SVC_READY_FILE:
		return access(r->name, F_OK) == 0;
	case SVC_READY_NONE:
		break;
	}
	return true;
}

static void ready_what(const struct svc_ready *r, char *buf, size_t cap)
{
	switch (r->kind) {
	case SVC_READY_UDP:
		snprintf(buf, cap, "no UDP socket on port %u", r->port);
		break;
	case SVC_READY_TCP:
		snprintf(buf, cap, "no TCP socket listening on port %u", r->port);
		break;
	case SVC_READY_IFACE:
		snprintf(buf, cap, "no interface %s", r->name);
		break;
	case SVC_READY_FILE:
		snprintf(buf, cap, "no file %s", r->name);
		break;
	case SVC_READY_NONE:
		snprintf(buf, cap, "not running");
		break;
	}
}

static void describe_exit(int status, char *buf, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, cap, "ended (wait status %#x)", status);
}

static int wait_ready(struct svc_priv *p, const struct net_files *nf, const struct svc_ready *r,
		      struct icl_err *err)
{
	unsigned timeout = r->timeout_ms ? r->timeout_ms : SVC_DEFAULT_TIMEOUT_MS;
	uint64_t deadline = now_ms() + timeout;
	char tail[700], how[96];

	if (r->kind == SVC_READY_NONE)
		return 0; /* the exec succeeded: an exit later is svc_alive()'s to see */
	for (;;) {
		if (reap(p, false)) {
			describe_exit(p->status, how, sizeof(how));
			tail_one_line(&p->pub, tail, sizeof(tail));
			return icl_err_set(err, -ECHILD, "%s %s before it was ready; %s", p->pub.name,
					   how, tail);
		}
		if (is_ready(nf, r))
			return 0;
		if (now_ms() >= deadline)
			break;
		pause_poll();
	}
	ready_what(r, how, sizeof(how));
	tail_one_line(&p->pub, tail, sizeof(tail));
	return icl_err_set(err, -ETIMEDOUT, "%s not ready after %u ms (%s); %s", p->pub.name, timeout,
			   how, tail);
}

/* Wait for the exec; a failure before it comes back through the pipe. */
static int await_exec(struct svc_priv *p, int pipe_fd, const char *prog, struct icl_err *err)
{
	static const char *const steps[] = {"entering the node's namespace", "redirecting output",
					    "running"};
	struct child_fail f;
	ssize_t n;

	do
		n = read(pipe_fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(f)) /* killed before exec (parent death race) */
		return icl_err_set(err, -ECHILD, "%s: the child died before running %s", p->pub.name,
				   prog);
	if (f.step < 0 || f.step > 2)
		f.step = 2;
	return icl_err_set(err, -f.err, "%s: %s %s: %s", p->pub.name, steps[f.step], prog,
			   strerror(f.err));
}

int svc_start(const char *name, int netns_fd, char *const argv[], const char *log,
	      const struct svc_ready *ready, struct svc **out, struct icl_err *err)
{
	static const struct svc_ready none = {.kind = SVC_READY_NONE};
	struct svc_priv *p;
	struct net_files nf;
	int pipe_fd[2], log_fd, rc;
	pid_t parent = getpid();

	if (out != NULL)
		*out = NULL;
	if (name == NULL || argv == NULL || argv[0] == NULL || log == NULL || out == NULL ||
	    netns_fd < 0)
		return icl_err_set(err, -EINVAL, "svc_start: missing argument");
	if (ready == NULL)
		ready = &none;
	if (strlen(log) >= sizeof(p->pub.log))
		return icl_err_set(err, -ENAMETOOLONG, "%s: log path too long", name);
	if ((ready->kind == SVC_READY_IFACE || ready->kind == SVC_READY_FILE) && !ready->name[0])
		return icl_err_set(err, -EINVAL, "%s: readiness condition without a name", name);
	if ((rc = net_files_open(name, netns_fd, ready, &nf, err)) < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		close_net_files(&nf);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(p->pub.name, sizeof(p->pub.name), "%s", name);
	snprintf(p->pub.log, sizeof(p->pub.log), "%s", log);
	log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		rc = icl_err_set(err, -errno, "%s: opening log %s: %s", name, log, strerror(errno));
		close_net_files(&nf);
		free(p);
		return rc;
	}
	if (pipe2(pipe_fd, O_CLOEXEC) != 0) {
		rc = icl_err_set(err, -errno, "%s: pipe2: %s", name, strerror(errno));
		close(log_fd);
		close_net_files(&nf);
		free(p);
		return rc;
	}
	p->pub.pid = fork();
	if (p->pub.pid == 0)
		child_run(parent, netns_fd, log_fd, pipe_fd[1], argv);
	rc = p->pub.pid < 0 ? icl_err_set(err, -errno, "%s: fork: %s", name, strerror(errno)) : 0;
	close(pipe_fd[1]);
	close(log_fd);
	if (rc == 0) {
		setpgid(p->pub.pid, p->pub.pid); /* also here: no window without a group */
		rc = await_exec(p, pipe_fd[0], argv[0], err);
	}
	close(pipe_fd[0]);
	if (rc == 0)
		rc = wait_ready(p, &nf, ready, err);
	close_net_files(&nf);
	if (rc < 0) {
		if (p->pub.pid > 0)
			svc_stop(&p->pub, 0);
		else
			free(p);
		return rc;
	}
	*out = &p->pub;
	return 0;
}

bool svc_alive(struct svc *s)
{
	return s != NULL && !reap(priv(s), false);
}

bool svc_ended(struct svc *s, char *why, size_t cap)
{
	char how[96], tail[700];

	if (s == NULL || !reap(priv(s), false))
		return false;
	if (why != NULL && cap > 0) {
		describe_exit(priv(s)->status, how, sizeof(how));
		tail_one_line(s, tail, sizeof(tail));
		snprintf(why, cap, "service %s ended: it %s; %s", s->name, how, tail);
	}
	return true;
}

void svc_stop(struct svc *s, unsigned grace_ms)
{
	struct svc_priv *p;
	uint64_t deadline;

	if (s == NULL)
		return;
	p = priv(s);
	if (s->pid > 0) {
		/* The group outlives its leader while a member lives, and its id
		 * is not reused before: signalling it after the reap is safe. */
		kill(-s->pid, SIGTERM);
		deadline = now_ms() + grace_ms;
		while (!reap(p, false) && now_ms() < deadline)
			pause_poll();
		kill(-s->pid, SIGKILL);
		reap(p, true);
	}
	free(p);
}
