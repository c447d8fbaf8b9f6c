/* `icelab shell FILE NODE` and `icelab exec FILE NODE -- CMD...`: run a
 * command inside a node of a topology kept by `icelab topo up`, and end it
 * when that topology goes away. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "control.h"

static void __attribute__((noreturn)) run_child(int ns_fd, const char *node, char **cmd)
{
	if (setns(ns_fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "icelab: entering node %s: %s\n", node, strerror(errno));
		_exit(3);
	}
	setenv("ICELAB_NODE", node, 1);
	execvp(cmd[0], cmd);
	fprintf(stderr, "icelab: %s: %s\n", cmd[0], strerror(errno));
	_exit(127);
}

/* Wait for the child, or for the keeper to hang up (then end the child). */
static int supervise(pid_t child, int conn)
{
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = conn, .events = POLLIN}};
	int status;

	signal(SIGINT, SIG_IGN); /* the child owns the terminal's Ctrl-C */
	while (pidfd >= 0 && poll(p, 2, -1) >= 0 && !(p[0].revents & POLLIN)) {
		if (p[1].revents) {
			fprintf(stderr, "icelab: the topology went down; ending the command\n");
			kill(child, SIGHUP);
			usleep(200 * 1000);
			kill(child, SIGKILL);
			break;
		}
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cli_exec(int argc, char **argv)
{
	bool shell = strcmp(argv[0], "shell") == 0;
	char *sh[] = {getenv("SHELL") ? getenv("SHELL") : "/bin/sh", NULL};
	char **cmd = sh;
	struct icl_err err;
	int ns_fd, conn, rc;
	pid_t pid;

	if (argc < 3 || (!shell && (argc < 5 || strcmp(argv[3], "--") != 0))) {
		fprintf(stderr, shell ? "usage: icelab shell FILE NODE\n"
				      : "usage: icelab exec FILE NODE -- CMD [ARG...]\n");
		return 2;
	}
	if (!shell)
		cmd = argv + 4;
	rc = ctl_request(argv[1], argv[2], &ns_fd, &conn, &err);
	if (rc < 0)
		return cli_fail(&err);
	pid = fork();
	if (pid == 0)
		run_child(ns_fd, argv[2], cmd);
	close(ns_fd);
	if (pid < 0) {
		icl_err_set(&err, -errno, "fork: %s", strerror(errno));
		close(conn);
		return cli_fail(&err);
	}
	rc = supervise(pid, conn);
	close(conn);
	return rc;
}
