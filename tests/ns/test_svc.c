/* Namespace tests (root): netns/svc.c starts programs inside a node, waits
 * for what they bind or create there, reports failures with their log,
 * and stops them with everything they forked. */
#include <check.h>
#include <limits.h>
#include <sched.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../netns/svc.h"
#include "nsutil.h"
#include "suites.h"

static struct topo_plan plan;
static struct topo *topo;
static char dir[PATH_MAX];
static char log_path[PATH_MAX + 16];

static void setup(void)
{
	char yaml[2048];

	ns_routed_yaml(yaml, sizeof(yaml), true, true);
	topo = ns_topo_from_yaml(yaml, &plan);
	/* Short: a ready file's path must fit svc_ready's name (64 bytes). */
	ns_tmp_template(dir, sizeof(dir), "svc");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(log_path, sizeof(log_path), "%s/svc.log", dir);
}

static void teardown(void)
{
	unlink(log_path);
	rmdir(dir);
	ns_topo_free(topo, &plan);
}

static int fd_of(const char *node)
{
	int fd = topo_node_fd(topo, node);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static ino_t ns_inode_of_fd(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_ino;
}

static ino_t ns_inode_of_pid(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

/* Processes of group `pgid` that are not zombies. */
static int group_live(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[512], *p;
		FILE *f;
		char state;
		int ppid, pgrp;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p == NULL || (p = strrchr(buf, ')')) == NULL)
			continue;
		if (sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
		    state != 'Z')
			n++;
	}
	closedir(d);
	return n;
}

START_TEST(svc_none_runs_in_node_and_stops)
{
	char *const argv[] = {"/bin/sh", "-c", "exec sleep 30", NULL};
	struct svc_ready r = {.kind = SVC_READY_NONE};
	struct icl_err err = {0};
	struct svc *s = NULL;
	pid_t pid;

	ck_assert_msg(svc_start("sleep on server", fd_of("server"), argv, log_path, &r, &s, &err) == 0,
		      "%s", err.msg);
	ck_assert_ptr_nonnull(s);
	pid = s->pid;
	ck_assert(svc_alive(s));
	ck_assert_uint_eq(ns_inode_of_pid(pid), ns_inode_of_fd(fd_of("server")));
	ck_assert_int_eq(getpgid(pid), pid);
	svc_stop(s, 1000);
	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* What the service forked is stopped with it, even if it ignores SIGTERM. */
START_TEST(svc_stop_takes_the_group)
{
	char cmd[200];
	char *const argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct svc_ready r = {.kind = SVC_READY_FILE};
	struct icl_err err = {0};
	struct svc *s = NULL;
	pid_t pgid;

	ck_assert_int_lt(snprintf(r.name, sizeof(r.name), "%s/forked", dir), (int)sizeof(r.name));
	snprintf(cmd, sizeof(cmd), "trap '' TERM; sleep 30 & touch %s; wait", r.name);

	ck_assert_msg(svc_start("group", fd_of("client"), argv, log_path, &r, &s, &err) == 0, "%s",
		      err.msg);
	pgid = s->pid;
	svc_stop(s, 50);
	/* The orphaned sleep is killed (its new parent may leave it a zombie
	 * for a while: zombies do not count). */
	for (int i = 0; i < 500 && group_live(pgid) > 0; i++)
		usleep(2000);
	ck_assert_int_eq(group_live(pgid), 0);
	unlink(r.name);
}
END_TEST

static void turnserver_argv(char **argv, const char *ip)
{
	char *const a[] = {"turnserver", "-n", "--listening-ip", (char *)ip, "--listening-port",
			   "3478", "--no-tls", "--no-dtls", "--no-cli", "--no-auth", "--log-file",
			   "stdout", "--simple-log", "--pidfile", "/dev/null", NULL};

	memcpy(argv, a, sizeof(a));
}

/* Readiness on UDP and on TCP: turnserver binds both on 3478, inside the
 * node (the home namespace has nothing there). */
START_TEST(svc_ready_udp_and_tcp)
{
	char *argv[16];
	struct svc_ready r = {.kind = _i == 0 ? SVC_READY_UDP : SVC_READY_TCP, .port = 3478};
	struct icl_err err = {0};
	struct svc *s = NULL;
	char tail[1024];
	int fd;

	turnserver_argv(argv, "203.0.113.10");
	ck_assert_msg(svc_start("turnserver on server", fd_of("server"), argv, log_path, &r, &s,
				&err) == 0, "%s", err.msg);
	if (_i == 0) { /* it answers: a Binding request gets a response */
		static const unsigned char req[20] = {0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3,
						      4, 5, 6, 7, 8, 9, 10, 11, 12};
		bool up = false;

		fd = ns_udp(topo, "client", "", 0);
		for (int i = 0; i < 20 && !up; i++) {
			struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(3478),
						 .sin_addr.s_addr = htonl(0xcb00710a)};

			sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa));
			up = ns_recv(fd, 100, NULL, 0, NULL);
		}
		close(fd);
		ck_assert_msg(up, "ready, but no answer");
	}
	svc_log_tail(s, tail, sizeof(tail), 3);
	ck_assert_msg(tail[0] != '\0', "turnserver logged nothing to %s", log_path);
	ck_assert(strchr(tail, '\n') != NULL);
	svc_stop(s, 1000);
}
END_TEST

START_TEST(svc_ready_iface)
{
	char *const argv[] = {"/bin/sh", "-c",
			      "sleep 0.05; ip link add svcready type veth peer name svcpeer && exec sleep 30", NULL};
	struct svc_ready r = {.kind = SVC_READY_IFACE, .name = "svcready"};
	struct icl_err err = {0};
	struct svc *s = NULL;

	ck_assert_msg(svc_start("dummy", fd_of("router"), argv, log_path, &r, &s, &err) == 0, "%s",
		      err.msg);
	svc_stop(s, 1000);
}
END_TEST

START_TEST(svc_ready_file)
{
	char file[sizeof(((struct svc_ready *)0)->name)], cmd[200];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct svc_ready r = {.kind = SVC_READY_FILE};
	struct icl_err err = {0};
	struct svc *s = NULL;

	/* The ready file's path must fit svc_ready's name. */
	ck_assert_int_lt(snprintf(file, sizeof(file), "%s/ready", dir), (int)sizeof(file));
	memcpy(r.name, file, sizeof(r.name));
	snprintf(cmd, sizeof(cmd), "sleep 0.05; touch %s; exec sleep 30", file);
	ck_assert_msg(svc_start("file", fd_of("client"), argv, log_path, &r, &s, &err) == 0, "%s",
		      err.msg);
	svc_stop(s, 1000);
	unlink(file);
}
END_TEST

/* As in icelab, whose sandbox is a PID namespace of its own under the
 * host's /proc: readiness must not look the service up there by PID. */
START_TEST(svc_ready_in_pid_namespace)
{
	int status;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char *const argv[] = {"/bin/sh", "-c",
				      "ip link add svcpid type veth peer name svcpid2 && exec sleep 30",
				      NULL};
		struct svc_ready r = {.kind = SVC_READY_IFACE, .name = "svcpid", .timeout_ms = 2000};
		struct icl_err err = {0};
		struct svc *s = NULL;
		pid_t inner;

		if (unshare(CLONE_NEWPID) != 0)
			_exit(2);
		inner = fork();
		if (inner == 0) {
			int rc = svc_start("in pidns", fd_of("router"), argv, log_path, &r, &s, &err);

			if (rc < 0)
				fprintf(stderr, "%s\n", err.msg);
			svc_stop(s, 100);
			_exit(rc == 0 ? 0 : 1);
		}
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
	}
	waitpid(child, &status, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
END_TEST

/* A program that exits early: the error says so and quotes its log. */
START_TEST(svc_exit_quotes_log)
{
	char *const argv[] = {"/bin/sh", "-c", "echo first line; echo 'cannot bind: boom' >&2; exit 3",
			      NULL};
	struct svc_ready r = {.kind = SVC_READY_UDP, .port = 9};
	struct icl_err err = {0};
	struct svc *s = (struct svc *)1;

	ck_assert_int_lt(svc_start("failing on client", fd_of("client"), argv, log_path, &r, &s,
				   &err), 0);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, "failing on client exited with status 3") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "first line | cannot bind: boom") != NULL, "%s", err.msg);
	ck_assert(strchr(err.msg, '\n') == NULL);
}
END_TEST

START_TEST(svc_false_and_missing)
{
	char *const f[] = {"false", NULL}, *const m[] = {"/nonexistent/icelab-nothing", NULL};
	struct svc_ready r = {.kind = SVC_READY_UDP, .port = 9};
	struct icl_err err = {0};
	struct svc *s = NULL;

	ck_assert_int_lt(svc_start("false", fd_of("client"), f, log_path, &r, &s, &err), 0);
	ck_assert_msg(strstr(err.msg, "exited with status 1") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "is empty") != NULL, "%s", err.msg);
	ck_assert_int_lt(svc_start("missing", fd_of("client"), m, log_path, &r, &s, &err), 0);
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_msg(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
}
END_TEST

/* A deadline: the program runs but never binds; it is killed. */
START_TEST(svc_timeout_kills)
{
	char *const argv[] = {"/bin/sh", "-c", "echo waiting; exec sleep 30.25", NULL};
	struct svc_ready r = {.kind = SVC_READY_UDP, .port = 9, .timeout_ms = 100};
	struct icl_err err = {0};
	struct svc *s = NULL;

	ck_assert_int_eq(svc_start("slow", fd_of("client"), argv, log_path, &r, &s, &err),
			 -ETIMEDOUT);
	ck_assert_msg(strstr(err.msg, "not ready after 100 ms (no UDP socket on port 9)") != NULL,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "ends: waiting") != NULL, "%s", err.msg);
	ck_assert_msg(system("pgrep -f 'sleep 30[.]25' >/dev/null") != 0, "the program survived");
}
END_TEST

START_TEST(svc_alive_notices_exit)
{
	char *const argv[] = {"/bin/sh", "-c", "read x", NULL};
	struct svc_ready r = {.kind = SVC_READY_NONE};
	struct icl_err err = {0};
	struct svc *s = NULL;

	/* stdin is /dev/null: `read` ends at once. */
	ck_assert_msg(svc_start("reader", fd_of("client"), argv, log_path, &r, &s, &err) == 0, "%s",
		      err.msg);
	for (int i = 0; i < 500 && svc_alive(s); i++)
		usleep(2000);
	ck_assert(!svc_alive(s));
	svc_stop(s, 0);
	svc_stop(NULL, 0);
}
END_TEST

Suite *svc_suite(void)
{
	Suite *s = suite_create("svc");
	TCase *tc = tcase_create("svc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, svc_none_runs_in_node_and_stops);
	tcase_add_test(tc, svc_stop_takes_the_group);
	tcase_add_loop_test(tc, svc_ready_udp_and_tcp, 0, 2);
	tcase_add_test(tc, svc_ready_iface);
	tcase_add_test(tc, svc_ready_file);
	tcase_add_test(tc, svc_ready_in_pid_namespace);
	tcase_add_test(tc, svc_exit_quotes_log);
	tcase_add_test(tc, svc_false_and_missing);
	tcase_add_test(tc, svc_timeout_kills);
	tcase_add_test(tc, svc_alive_notices_exit);
	suite_add_tcase(s, tc);
	return s;
}
