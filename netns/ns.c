#include "ns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int ns_open_current(int *fd, struct icl_err *err)
{
	/* thread-self, not self: setns() is per thread. */
	*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return icl_err_set(err, -errno, "opening /proc/thread-self/ns/net: %s",
				   strerror(errno));
	return 0;
}

int ns_create(int *fd, struct icl_err *err)
{
	if (unshare(CLONE_NEWNET) != 0) {
		int e = errno;

		return icl_err_set(err, -e, "unshare(CLONE_NEWNET): %s%s", strerror(e),
				   e == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
	}
	return ns_open_current(fd, err);
}

int ns_enter(int fd, struct icl_err *err)
{
	if (setns(fd, CLONE_NEWNET) != 0)
		return icl_err_set(err, -errno, "setns: %s", strerror(errno));
	return 0;
}

/* The inode of process `pid`'s network namespace; 0 if unreadable (gone,
 * a zombie, a kernel thread's). */
static unsigned long net_inode_of(const char *pid)
{
	char path[64], link[64];
	ssize_t n;
	unsigned long ino = 0;

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "net:[%lu]", &ino) == 1 ? ino : 0;
}

static bool in_set(const unsigned long *set, size_t n, unsigned long ino)
{
	for (size_t i = 0; ino != 0 && i < n; i++)
		if (set[i] == ino)
			return true;
	return false;
}

/* Kill `pid` if it is still in the set: the pidfd pins the process, so
 * the second look is at the same one the signal goes to. */
static int kill_if_member(const char *pid, const unsigned long *set, size_t n)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)atoi(pid), 0);
	int hit = 0;

	if (fd < 0)
		return 0;
	if (in_set(set, n, net_inode_of(pid)))
		hit = syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0;
	close(fd);
	return hit;
}

int ns_kill_members(const int *fds, size_t n)
{
	unsigned long *set = calloc(n + 1, sizeof(*set));
	char self[32];
	struct dirent *e;
	struct stat st;
	size_t m = 0;
	DIR *d;
	int killed = 0;

	for (size_t i = 0; set != NULL && i < n; i++)
		if (fds[i] >= 0 && fstat(fds[i], &st) == 0)
			set[m++] = (unsigned long)st.st_ino;
	d = m > 0 ? opendir("/proc") : NULL;
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, self) == 0)
			continue;
		if (in_set(set, m, net_inode_of(e->d_name)))
			killed += kill_if_member(e->d_name, set, m);
	}
	if (d != NULL)
		closedir(d);
	free(set);
	return killed;
}

int ns_sysctl_write(const char *key, const char *value, struct icl_err *err)
{
	char path[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return icl_err_set(err, -errno, "sysctl %s: %s", key, strerror(errno));
	n = write(fd, value, len);
	if (n != (ssize_t)len) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		return icl_err_set(err, -e, "sysctl %s=%s: %s", key, value, strerror(e));
	}
	close(fd);
	return 0;
}
