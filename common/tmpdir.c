#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"

const char *icl_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

int icl_tmp_path(char *buf, size_t cap, const char *name)
{
	return (size_t)snprintf(buf, cap, "%s/%s", icl_tmpdir(), name) < cap ? 0 : -ENAMETOOLONG;
}

/* The janitor lives in a session of its own (a Ctrl-C or a group kill
 * aimed at its owner does not reach it; the sandbox forks it before its
 * PID namespace, so that it outlives it), and holds only the read end of
 * a pipe whose write ends belong to the owner and its forked children.
 * End of file means the last of them is gone, whatever killed it;
 * nothing can write into the directory any more, so it goes.  It makes
 * the directory itself (from template `dir`) and sends its path on
 * `name_fd`: a kill of the owner at any moment finds the directory either
 * not yet made or already in the janitor's care.  If it cannot, it sends
 * nothing and exits with the errno. */
static void __attribute__((noreturn)) janitor(int gone_fd, int name_fd, char *dir)
{
	char b;
	int null = open("/dev/null", O_RDWR);

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN); /* the owner may be gone before it reads the path */
	if (mkdtemp(dir) == NULL)
		_exit(errno & 0x7f);
	if (write(name_fd, dir, strlen(dir)) < 0) {
		/* the owner is gone: the pipe below is at its end too */
	}
	close(name_fd);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
	}
	if (gone_fd != 3 && dup2(gone_fd, 3) < 0)
		_exit(70);
	close_range(4, ~0U, 0);
	if (chdir("/") != 0)
		_exit(70);
	for (;;) {
		ssize_t r = read(3, &b, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	icl_rm_tree(dir);
	_exit(0);
}

/* The path the janitor made from template `dir`, into `dir`; on failure
 * the janitor's errno. */
static int read_dir_name(int fd, pid_t janitor_pid, char *dir, size_t cap, struct icl_err *err)
{
	char got[PATH_MAX];
	size_t len = 0;
	ssize_t n;
	int st;

	while (len + 1 < sizeof(got) && (n = read(fd, got + len, sizeof(got) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return icl_err_set(err, -errno, "reading from the cleanup process: %s",
					   strerror(errno));
		len += (size_t)n;
	}
	got[len] = '\0';
	if (len > 0 && len < cap) {
		memcpy(dir, got, len + 1);
		return 0;
	}
	if (len > 0) /* made, and in the janitor's care; not to be waited for */
		return icl_err_set(err, -ENAMETOOLONG, "%s: path too long", got);
	if (waitpid(janitor_pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) == 0)
		return icl_err_set(err, -EIO, "the cleanup process made no directory like %s", dir);
	return icl_err_set(err, -WEXITSTATUS(st), "creating a directory like %s: %s", dir,
			   strerror(WEXITSTATUS(st)));
}

/* Fork the janitor for template `dir`; *gone_w and *name_r are the
 * owner's ends of its two pipes. */
static int start_janitor(char *dir, int *gone_w, int *name_r, pid_t *pid, struct icl_err *err)
{
	int gone[2] = {-1, -1}, name[2] = {-1, -1};

	if (pipe2(gone, O_CLOEXEC) != 0 || pipe2(name, O_CLOEXEC) != 0 || (*pid = fork()) < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (gone[i] >= 0)
				close(gone[i]);
			if (name[i] >= 0)
				close(name[i]);
		}
		return icl_err_set(err, -e, "starting the cleanup process for %s: %s", dir,
				   strerror(e));
	}
	if (*pid == 0) {
		close(gone[1]);
		close(name[0]);
		janitor(gone[0], name[1], dir);
	}
	close(gone[0]);
	close(name[1]);
	*gone_w = gone[1];
	*name_r = name[0];
	return 0;
}

int icl_tmpdir_private(const char *prefix, char *dir, size_t cap, int *keep_fd,
		       struct icl_err *err)
{
	int gone_w = -1, name_r = -1, rc;
	char name[NAME_MAX + 1];
	pid_t pid = -1;

	if ((size_t)snprintf(name, sizeof(name), "%s-XXXXXX", prefix) >= sizeof(name) ||
	    icl_tmp_path(dir, cap, name) < 0)
		return icl_err_set(err, -ENAMETOOLONG, "TMPDIR is too long: %s", icl_tmpdir());
	if ((rc = start_janitor(dir, &gone_w, &name_r, &pid, err)) < 0)
		return rc;
	rc = read_dir_name(name_r, pid, dir, cap, err);
	close(name_r);
	if (rc < 0) {
		close(gone_w);
		return rc;
	}
	if (setenv("TMPDIR", dir, 1) != 0) {
		int e = errno;

		icl_tmpdir_release(dir, gone_w);
		return icl_err_set(err, -e, "setenv(TMPDIR): %s", strerror(e));
	}
	*keep_fd = gone_w;
	return 0;
}

void icl_tmpdir_release(const char *dir, int keep_fd)
{
	icl_rm_tree(dir);
	if (keep_fd >= 0)
		close(keep_fd); /* the janitor finds nothing left and exits */
}
