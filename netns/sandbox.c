#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/fs.h"
#include "../common/tmpdir.h"

/* The parent waits synchronously for signals instead of installing
 * handlers, so that no state has to be shared with a handler. */
static void __attribute__((noreturn)) parent_wait(pid_t child, const char *dir)
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
	/* Every process of the PID namespace is gone with its PID 1: clean
	 * up now rather than leave it to the janitor, so that the directory
	 * is gone when icelab's exit status is. */
	icl_rm_tree(dir);
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

/* PID 1 of the new PID namespace: a /proc of its own, in a private mount
 * namespace (it goes with the sandbox's last process).  With the host's
 * /proc, getpid() here names a different process there, and whatever reads
 * /proc/<own pid> (LeakSanitizer, /proc/PID/ns of a child) reads the wrong
 * one or nothing. */
static int own_proc(struct icl_err *err)
{
	if (unshare(CLONE_NEWNS) != 0)
		return icl_err_set(err, -errno, "unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Nothing mounted here may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return icl_err_set(err, -errno, "making / private in the sandbox: %s",
				   strerror(errno));
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return icl_err_set(err, -errno, "mounting /proc in the sandbox: %s", strerror(errno));
	return 0;
}

/* Write `text` to a file of /proc/self. */
static int write_proc(const char *path, const char *text, struct icl_err *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));
	int e = n < 0 ? errno : EIO; /* a short write: the kernel takes maps whole */

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(text))
		return icl_err_set(err, -e, "rootless mode: writing %s: %s", path, strerror(e));
	return 0;
}

/* Rootless mode: a user namespace in which the caller is root.  An
 * unprivileged process may map only its own ids, and the gid only once
 * setgroups is denied (else it could drop a group that denies it
 * access). */
static int own_userns(struct icl_err *err)
{
	char uid_map[32], gid_map[32];
	int rc;

	snprintf(uid_map, sizeof(uid_map), "0 %u 1\n", (unsigned)geteuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1\n", (unsigned)getegid());
	if (unshare(CLONE_NEWUSER) != 0) {
		int e = errno;

		return icl_err_set(err, -e, "rootless mode: unshare(CLONE_NEWUSER): %s (run as "
				   "root, or allow user namespaces: icelab doctor says how)",
				   strerror(e));
	}
	if ((rc = write_proc("/proc/self/setgroups", "deny", err)) < 0 ||
	    (rc = write_proc("/proc/self/uid_map", uid_map, err)) < 0 ||
	    (rc = write_proc("/proc/self/gid_map", gid_map, err)) < 0)
		return rc;
	/* Threads that build a node enter its namespace and setns() back
	 * home; the machine's own network namespace refuses a root that is
	 * root only here, so home is a network namespace of our own. */
	if (unshare(CLONE_NEWNET) != 0)
		return icl_err_set(err, -errno, "rootless mode: unshare(CLONE_NEWNET): %s",
				   strerror(errno));
	return 0;
}

bool sandbox_rootless(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "re");
	bool partial = false;

	if (f == NULL)
		return false;
	/* The initial user namespace maps all 2^32 - 1 ids onto themselves. */
	if (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		partial = !(inside == 0 && outside == 0 && count == 4294967295UL);
	fclose(f);
	return partial;
}

/* Before the sandbox exists: undo the private TMPDIR, pass the error on. */
static int abandon(const char *dir, int gone_w, int code)
{
	icl_tmpdir_release(dir, gone_w);
	return code;
}

int sandbox_enter(struct icl_err *err)
{
	char dir[PATH_MAX];
	int alive[2], gone_w = -1, e;
	pid_t pid;

	if (getpid() == 1)
		return 0; /* already the reaper of our own PID namespace */
	if (icl_tmpdir_private("icelab", dir, sizeof(dir), &gone_w, err) < 0)
		return err->code;
	/* After the janitor's fork: it stays the caller, outside. */
	if (geteuid() != 0 && own_userns(err) < 0)
		return abandon(dir, gone_w, err->code);
	if (unshare(CLONE_NEWPID) != 0) {
		e = errno;
		return abandon(dir, gone_w,
			       icl_err_set(err, -e, "unshare(CLONE_NEWPID): %s%s", strerror(e),
					   e == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : ""));
	}
	if (pipe2(alive, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		e = errno;
		return abandon(dir, gone_w, icl_err_set(err, -e, "fork: %s", strerror(e)));
	}
	if (pid > 0) {
		close(alive[0]);
		parent_wait(pid, dir); /* keeps alive[1] and gone_w open until it dies */
	}
	close(alive[1]);
	if (child_bind_to_parent(alive[0], err) < 0)
		return err->code;
	return own_proc(err);
}
