#include "control.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../netns/topo.h"

/* FNV-1a: the real path can exceed sun_path, its hash cannot. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* A kept file is named by its real path, a kept case by "case:NAME". */
static int ctl_addr(const char *file, struct sockaddr_un *sa, socklen_t *len,
		    struct icl_err *err)
{
	char real[PATH_MAX + 8];
	int n;

	(void)err;
	if (strncmp(file, "case:", 5) == 0 || realpath(file, real) == NULL)
		snprintf(real, sizeof(real), "case:%s",
			 strncmp(file, "case:", 5) == 0 ? file + 5 : file);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] = '\0': the abstract namespace. */
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "icelab/topo/%016llx",
		     (unsigned long long)fnv1a(real));
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	return 0;
}

int ctl_listen(const char *file, int *fd, struct icl_err *err)
{
	struct sockaddr_un sa;
	socklen_t len;
	int rc = ctl_addr(file, &sa, &len, err);

	if (rc < 0)
		return rc;
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0)
		return icl_err_set(err, -errno, "socket: %s", strerror(errno));
	if (bind(*fd, (struct sockaddr *)&sa, len) != 0 || listen(*fd, 8) != 0) {
		rc = -errno;
		close(*fd);
		*fd = -1;
		if (rc == -EADDRINUSE)
			return icl_err_set(err, rc, "%s: this topology is already kept", file);
		return icl_err_set(err, rc, "control socket: %s", strerror(-rc));
	}
	return 0;
}

static void send_reply(int conn, const char *text, int ns_fd)
{
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (ns_fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &ns_fd, sizeof(int));
	}
	(void)sendmsg(conn, &msg, MSG_NOSIGNAL);
}

void ctl_serve(int conn, const struct topo *t)
{
	struct timeval tv = {.tv_sec = 1};
	char node[64], reply[128];
	ssize_t n;
	int fd;

	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(conn, node, sizeof(node) - 1, 0);
	if (n <= 0)
		return;
	node[n] = '\0';
	node[strcspn(node, "\r\n")] = '\0';
	fd = topo_node_fd(t, node);
	if (fd < 0)
		snprintf(reply, sizeof(reply), "error: no node named '%s'\n", node);
	else
		snprintf(reply, sizeof(reply), "ok\n");
	send_reply(conn, reply, fd);
}

static int recv_fd(int conn, int *ns_fd, char *text, size_t cap)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = text, .iov_len = cap - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);

	if (n <= 0)
		return -1;
	text[n] = '\0';
	*ns_fd = -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS)
		memcpy(ns_fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int ctl_request(const char *file, const char *node, int *ns_fd, int *conn, struct icl_err *err)
{
	struct sockaddr_un sa;
	socklen_t len;
	char text[128];
	int rc = ctl_addr(file, &sa, &len, err);

	if (rc < 0)
		return rc;
	*conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*conn < 0)
		return icl_err_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(*conn, (struct sockaddr *)&sa, len) != 0) {
		rc = icl_err_set(err, -errno, "%s: no topology is kept for this file or case "
				 "(start one with: icelab topo up FILE, or icelab run "
				 "--keep-on-fail)", file);
	} else if (send(*conn, node, strlen(node), MSG_NOSIGNAL) < 0 ||
		   recv_fd(*conn, ns_fd, text, sizeof(text)) < 0) {
		rc = icl_err_set(err, -EPROTO, "%s: the topology keeper did not answer", file);
	} else if (*ns_fd < 0) {
		text[strcspn(text, "\n")] = '\0';
		rc = icl_err_set(err, ICL_EINPUT, "%s: %s", file, text);
	}
	if (rc < 0) {
		close(*conn);
		*conn = -1;
	}
	return rc;
}
