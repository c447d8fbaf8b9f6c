#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
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
