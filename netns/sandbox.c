#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* The parent waits synchronously for signals instead of installing
 * handlers, so that no state has to be shared with a handler. */
static void __attribute__((noreturn)) parent_wait(pid_t child)
{
	sigset_t set;
	int status, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		pid_t r = waitpid(child, &status, WNOHANG);

		if (r == child)
			break;
		if (r < 0 && errno != EINTR)
			_exit(70);
		sig = sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != SIGCHLD)
			kill(child, sig);
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

/* In the child: die with the parent, and notice if it is already gone
 * (it may have died between fork() and prctl()). */
static int child_bind_to_parent(int alive_fd, struct icl_err *err)
{
	struct pollfd p = {.fd = alive_fd, .events = POLLIN};

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		return icl_err_set(err, -errno, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
	if (poll(&p, 1, 0) > 0)
		_exit(137); /* parent gone: its write end closed */
	close(alive_fd);
	return 0;
}

int sandbox_enter(struct icl_err *err)
{
	int alive[2];
	pid_t pid;

	if (getpid() == 1)
		return 0; /* already the reaper of our own PID namespace */
	if (unshare(CLONE_NEWPID) != 0) {
		int e = errno;

		return icl_err_set(err, -e, "unshare(CLONE_NEWPID): %s%s", strerror(e),
				   e == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
	}
	if (pipe2(alive, O_CLOEXEC) != 0)
		return icl_err_set(err, -errno, "pipe2: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return icl_err_set(err, -errno, "fork: %s", strerror(errno));
	if (pid > 0) {
		close(alive[0]);
		parent_wait(pid); /* keeps alive[1] open until it dies */
	}
	close(alive[1]);
	return child_bind_to_parent(alive[0], err);
}
