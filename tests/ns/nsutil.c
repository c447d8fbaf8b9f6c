#include "nsutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../harness/scenario.h"

struct topo *ns_topo_from_yaml(const char *yaml, struct topo_plan *plan)
{
	struct icl_err err = {0};
	struct topo *t = NULL;
	int rc;

	memset(plan, 0, sizeof(*plan));
	rc = scn_load_topology_buf("test.yaml", yaml, strlen(yaml), plan, &err);
	ck_assert_msg(rc == 0, "loading: %s", err.msg);
	rc = topo_up(plan, &t, &err);
	ck_assert_msg(rc == 0, "topo_up: %s", err.msg);
	return t;
}

const char *const ns_behaviours[3] = {
	"endpoint-independent", "address-dependent", "address-and-port-dependent"};

void ns_nat_lab_yaml(char *buf, size_t cap, int mapping, int filtering, bool pp, bool hairpin,
		     unsigned lifetime)
{
	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client: { gateway: router }\n"
		 "    router:\n"
		 "      router: true\n"
		 "      nat:\n"
		 "        - inside: lan\n"
		 "          outside: wan\n"
		 "          mapping: %s\n"
		 "          filtering: %s\n"
		 "          port-preservation: %s\n"
		 "          hairpinning: %s\n"
		 "          udp-mapping-lifetime: %u\n"
		 "    server: {}\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, ipv4: 10.0.0.2/24 }\n"
		 "      b: { node: router, ipv4: 10.0.0.1/24 }\n"
		 "    wan:\n"
		 "      a: { node: router, ipv4: 203.0.113.1/24 }\n"
		 "      b: { node: server, ipv4: [203.0.113.10/24, 203.0.113.11/24] }\n",
		 ns_behaviours[mapping], ns_behaviours[filtering], pp ? "true" : "false",
		 hairpin ? "true" : "false", lifetime);
}

void ns_topo_free(struct topo *t, struct topo_plan *plan)
{
	topo_down(t);
	topo_plan_free(plan);
}

static socklen_t mk_sa(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	if (addr[0])
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
	return sizeof(*s4);
}

int ns_udp(const struct topo *t, const char *node, const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = mk_sa(addr, port, &ss);
	struct icl_err err;
	int fd;

	ck_assert_msg(topo_enter(t, node, &err) == 0, "%s", err.msg);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(topo_leave(t, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s:%u in %s: %m", addr,
		      port, node);
	return fd;
}

void ns_sendto(int fd, const char *addr, unsigned port, const char *msg)
{
	struct sockaddr_storage ss;
	socklen_t len = mk_sa(addr, port, &ss);

	/* Errors (no route) are part of what tests observe: not asserted. */
	(void)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len);
}

bool ns_recv(int fd, unsigned ms, char *from, size_t cap, unsigned *from_port)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[1500];

	if (poll(&p, 1, (int)ms) <= 0)
		return false;
	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (from)
			inet_ntop(AF_INET, &s4->sin_addr, from, (socklen_t)cap);
		if (from_port)
			*from_port = ntohs(s4->sin_port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (from)
			inet_ntop(AF_INET6, &s6->sin6_addr, from, (socklen_t)cap);
		if (from_port)
			*from_port = ntohs(s6->sin6_port);
	}
	return true;
}

int ns_count_live(void)
{
	char seen[512][32];
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char path[300], link[32] = {0};

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (readlink(path, link, sizeof(link) - 1) <= 0)
			continue;
		int k = 0;

		while (k < n && strcmp(seen[k], link) != 0)
			k++;
		if (k == n && n < 512)
			strcpy(seen[n++], link);
	}
	if (d)
		closedir(d);
	return n;
}

pid_t ns_spawn(const struct topo *t, const char *node, char *const argv[], int *out_fd)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct icl_err err;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (topo_enter(t, node, &err) < 0)
			_exit(126);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*out_fd = p[0];
	return pid;
}

bool ns_read_until(int fd, unsigned ms, char *buf, size_t cap, const char *until)
{
	size_t len = strlen(buf);
	double deadline = (double)ms;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double spent;
		ssize_t n;

		if (until != NULL && strstr(buf, until) != NULL)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (spent >= deadline || poll(&p, 1, (int)(deadline - spent) + 1) <= 0)
			return false;
		if (len + 1 >= cap)
			return false;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			return until == NULL;
		len += (size_t)n;
		buf[len] = '\0';
	}
}

void ns_kill(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

void ns_routed_yaml(char *buf, size_t cap, bool ipv4, bool ipv6)
{
	const char *c4 = ipv4 ? "ipv4: 10.0.1.2/24, " : "";
	const char *r4l = ipv4 ? "ipv4: 10.0.1.1/24, " : "";
	const char *r4w = ipv4 ? "ipv4: 203.0.113.1/24, " : "";
	const char *s4 = ipv4 ? "ipv4: 203.0.113.10/24, " : "";
	const char *c6 = ipv6 ? "ipv6: '2001:db8:1::2/64'" : "";
	const char *r6l = ipv6 ? "ipv6: '2001:db8:1::1/64'" : "";
	const char *r6w = ipv6 ? "ipv6: '2001:db8:2::1/64'" : "";
	const char *s6 = ipv6 ? "ipv6: '2001:db8:2::10/64'" : "";

	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client: { gateway: router }\n"
		 "    router: { router: true }\n"
		 "    server: { gateway: router }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, %s%s }\n"
		 "      b: { node: router, %s%s }\n"
		 "    wan:\n"
		 "      a: { node: router, %s%s }\n"
		 "      b: { node: server, %s%s }\n",
		 c4, c6, r4l, r6l, r4w, r6w, s4, s6);
}

void ns_tmp_template(char *buf, size_t cap, const char *prefix)
{
	char name[NAME_MAX + 1];

	ck_assert_int_lt(snprintf(name, sizeof(name), "%s-XXXXXX", prefix), (int)sizeof(name));
	ck_assert_int_eq(icl_tmp_path(buf, cap, name), 0);
}

void ns_built_path(const char *name, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert(n > 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(out, cap, "%s/%s", self, name);
}
