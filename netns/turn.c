/* turn.c - STUN/TURN servers on the nodes of a topology; see turn.h.
 *
 * The configuration goes to a file rather than the command line so that
 * passwords do not show in ps, and the user database is a private SQLite
 * file: turnserver's default one is shared by every run on the machine. */
#include "turn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ns.h"
#include "svc.h"
#include "topo.h"

#define TURN_READY_MS 5000u
#define TURN_STOP_GRACE_MS 200u
#define TURN_PROBE_MS 20

struct turn_set {
	char dir[128];       /* the topology's private directory (topo_dir()) */
	struct svc **svc;    /* per node with a server */
	size_t n_svc;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- validation ------------------------------------------------------- */

__attribute__((format(printf, 5, 6)))
static int check_fail(const struct topo_plan *p, const struct topo_node *n,
		      const struct topo_src *src, struct icl_err *err, const char *fmt, ...)
{
	char reason[700], where[300] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (p->file != NULL && src->line > 0)
		snprintf(where, sizeof(where), "%s:%u:%u: ", p->file, src->line, src->col);
	else if (p->file != NULL)
		snprintf(where, sizeof(where), "%s: ", p->file);
	return icl_err_set(err, ICL_EINPUT, "%snodes.%s.turn%s", where, n->name, reason);
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool node_owns(const struct topo_plan *p, const char *node, const struct topo_turn_addr *a)
{
	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], node);

		for (size_t i = 0; e != NULL && i < e->n_addr; i++)
			if (e->addr[i].family == a->family &&
			    memcmp(e->addr[i].addr, a->addr, addr_len(a->family)) == 0)
				return true;
	}
	return false;
}

static int check_addrs(const struct topo_plan *p, const struct topo_node *n, const char *what,
		       const struct topo_turn_addr *a, size_t count, struct icl_err *err)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < count; i++) {
		if (a[i].family != AF_INET && a[i].family != AF_INET6)
			return check_fail(p, n, &a[i].src, err, ".%s[%zu]: not an address", what, i);
		inet_ntop(a[i].family, a[i].addr, buf, sizeof(buf));
		if (!node_owns(p, n->name, &a[i]))
			return check_fail(p, n, &a[i].src, err,
					  ".%s[%zu]: %s is not an address of node %s", what, i, buf,
					  n->name);
		for (size_t j = 0; j < i; j++)
			if (a[j].family == a[i].family &&
			    memcmp(a[j].addr, a[i].addr, addr_len(a[i].family)) == 0)
				return check_fail(p, n, &a[i].src, err, ".%s[%zu]: %s is listed twice",
						  what, i, buf);
	}
	return 0;
}

/* Words of turnserver's configuration file: no spaces, quotes, '#' or
 * control characters; a user name also no ':' (it separates the password). */
static const char *word_problem(const char *s, bool colon_ok)
{
	if (s[0] == '\0')
		return "must not be empty";
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '"' || *c == '\'' ||
		    *c == '#' || (*c == ':' && !colon_ok))
			return colon_ok ? "may not contain spaces, quotes, '#' or control characters"
					: "may not contain ':', spaces, quotes, '#' or control characters";
	return NULL;
}

int turn_plan_check(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	const struct topo_turn *t = n->turn;
	const char *why;
	int rc;

	if ((rc = check_addrs(p, n, "listen", t->listen, t->n_listen, err)) < 0 ||
	    (rc = check_addrs(p, n, "relay", t->relay, t->n_relay, err)) < 0)
		return rc;
	for (size_t i = 0; i < t->n_users; i++) {
		if ((why = word_problem(t->users[i].name, false)) != NULL)
			return check_fail(p, n, &t->users[i].src, err, ".users: name %s", why);
		if ((why = word_problem(t->users[i].password, true)) != NULL)
			return check_fail(p, n, &t->users[i].src, err, ".users.%s: password %s",
					  t->users[i].name, why);
	}
	if (t->realm[0] != '\0' && (why = word_problem(t->realm, true)) != NULL)
		return check_fail(p, n, &t->src, err, ".realm: %s", why);
	return 0;
}

/* ---- configuration ------------------------------------------------------ */

/* The listening addresses: as written, or every address of the node. */
static size_t listen_addrs(const struct topo_plan *p, const struct topo_node *n,
			   struct topo_turn_addr *out, size_t cap)
{
	size_t count = 0;

	if (n->turn->n_listen > 0) {
		memcpy(out, n->turn->listen, n->turn->n_listen * sizeof(*out));
		return n->turn->n_listen;
	}
	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], n->name);

		for (size_t i = 0; e != NULL && i < e->n_addr && count < cap; i++) {
			out[count].family = e->addr[i].family;
			memcpy(out[count].addr, e->addr[i].addr, 16);
			count++;
		}
	}
	return count;
}

static void put_addrs(FILE *f, const char *key, const struct topo_turn_addr *a, size_t count)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < count; i++)
		fprintf(f, "%s=%s\n", key, inet_ntop(a[i].family, a[i].addr, buf, sizeof(buf)));
}

static void put_config(FILE *f, const struct topo_turn *t, const struct topo_turn_addr *lis,
		       size_t n_lis, const char *db)
{
	fprintf(f, "listening-port=%d\nalt-listening-port=%d\n", TURN_PORT, TURN_ALT_PORT);
	put_addrs(f, "listening-ip", lis, n_lis);
	if (t->n_relay > 0)
		put_addrs(f, "relay-ip", t->relay, t->n_relay);
	else
		put_addrs(f, "relay-ip", lis, n_lis);
	fprintf(f, "lt-cred-mech\nrealm=%s\nuserdb=%s\n", t->realm[0] ? t->realm : TURN_DEFAULT_REALM,
		db);
	for (size_t i = 0; i < t->n_users; i++)
		fprintf(f, "user=%s:%s\n", t->users[i].name, t->users[i].password);
	if (t->n_users == 0)
		fprintf(f, "user=%s:%s\n", TURN_DEFAULT_USER, TURN_DEFAULT_PASSWORD);
	fprintf(f, "no-tls\nno-dtls\nno-cli\nlog-file=stdout\nsimple-log\npidfile=/dev/null\n");
}

static int write_config(const char *path, const struct topo_turn *t,
			const struct topo_turn_addr *lis, size_t n_lis, const char *db,
			struct icl_err *err)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (f == NULL)
		return icl_err_set(err, -errno, "writing %s: %s", path, strerror(errno));
	put_config(f, t, lis, n_lis, db);
	rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		return icl_err_set(err, rc, "writing %s: %s", path, strerror(-rc));
	return 0;
}

/* ---- readiness ------------------------------------------------------------ */

/* Observed from inside the node: every listening address (and, where RFC
 * 5780 applies, two addresses of the family, its alternate port) answers
 * a STUN Binding request.  Not /proc/PID/net: PIDs inside icelab's PID
 * namespace sandbox do not name the processes of the /proc it sees. */

struct probe_socks {
	int netns_fd;
	int fd[2];       /* AF_INET, AF_INET6; nonblocking */
	struct icl_err err;
	int rc;
};

/* In a thread of its own, so that the caller's thread never changes
 * namespace: sockets keep the namespace they were made in. */
static void *probe_thread(void *arg)
{
	struct probe_socks *ps = arg;

	if ((ps->rc = ns_enter(ps->netns_fd, &ps->err)) < 0)
		return NULL;
	ps->fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ps->fd[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ps->fd[0] < 0 || ps->fd[1] < 0)
		ps->rc = icl_err_set(&ps->err, -errno, "UDP socket: %s", strerror(errno));
	return NULL;
}

static int probe_open(int netns_fd, struct probe_socks *ps, struct icl_err *err)
{
	sigset_t all, old;
	pthread_t tid;
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->netns_fd = netns_fd;
	ps->fd[0] = ps->fd[1] = -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, NULL, probe_thread, ps);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return icl_err_set(err, -rc, "starting a thread: %s", strerror(rc));
	pthread_join(tid, NULL);
	if (ps->rc < 0) {
		*err = ps->err;
		return ps->rc;
	}
	return 0;
}

static void probe_close(struct probe_socks *ps)
{
	for (int i = 0; i < 2; i++)
		if (ps->fd[i] >= 0)
			close(ps->fd[i]);
}

static socklen_t to_sockaddr(const struct topo_turn_addr *a, unsigned port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a->addr, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	memcpy(&in6->sin6_addr, a->addr, 16);
	return sizeof(*in6);
}

/* One Binding request to addr:port; true if its success response came
 * within TURN_PROBE_MS. */
static bool stun_answers(int fd, const struct topo_turn_addr *a, unsigned port, unsigned seq)
{
	unsigned char req[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
				 'i', 'c', 'e', 'l', 'a', 'b', 't', 'u', 'r', 'n'};
	unsigned char resp[1500];
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(a, port, &ss);
	struct pollfd pf = {fd, POLLIN, 0};
	ssize_t n;

	req[18] = (unsigned char)(seq >> 8);
	req[19] = (unsigned char)seq;
	if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, sl) < 0)
		return false;
	while (poll(&pf, 1, TURN_PROBE_MS) > 0) {
		n = recv(fd, resp, sizeof(resp), 0);
		if (n >= 20 && resp[0] == 0x01 && resp[1] == 0x01 && !memcmp(resp + 4, req + 4, 16))
			return true;
	}
	return false;
}

static size_t count_family(const struct topo_turn_addr *a, size_t n, int family)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += a[i].family == family;
	return c;
}

static int await_answer(struct svc *s, int fd, const struct topo_turn_addr *a, unsigned port,
			uint64_t deadline, struct icl_err *err)
{
	char buf[INET6_ADDRSTRLEN], tail[600];

	for (unsigned seq = 0; !stun_answers(fd, a, port, seq); seq++) {
		if (now_ms() < deadline && svc_alive(s))
			continue;
		inet_ntop(a->family, a->addr, buf, sizeof(buf));
		svc_log_tail(s, tail, sizeof(tail), 3);
		for (char *c = tail; *c; c++)
			if (*c == '\n')
				*c = '|';
		return icl_err_set(err, -ETIMEDOUT, "%s: no STUN answer on %s port %u%s; log: %s",
				   s->name, buf, port,
				   svc_alive(s) ? " in time" : " (it exited)", tail);
	}
	return 0;
}

static int await_ready(struct svc *s, int netns_fd, const struct topo_turn_addr *lis,
		       size_t n_lis, struct icl_err *err)
{
	uint64_t deadline = now_ms() + TURN_READY_MS;
	struct probe_socks ps;
	int rc = probe_open(netns_fd, &ps, err);

	for (size_t i = 0; rc == 0 && i < n_lis; i++) {
		int fd = ps.fd[lis[i].family == AF_INET ? 0 : 1];

		rc = await_answer(s, fd, &lis[i], TURN_PORT, deadline, err);
		if (rc == 0 && count_family(lis, n_lis, lis[i].family) >= 2)
			rc = await_answer(s, fd, &lis[i], TURN_ALT_PORT, deadline, err);
	}
	probe_close(&ps);
	return rc;
}

/* ---- the servers ------------------------------------------------------------ */

static int start_one(struct turn_set *set, const struct topo *t, const struct topo_node *n,
		     struct svc **out, struct icl_err *err)
{
	struct topo_turn_addr lis[TOPO_ADDR_MAX * 8];
	size_t n_lis = listen_addrs(topo_plan(t), n, lis, sizeof(lis) / sizeof(lis[0]));
	char conf[256], db[256], log[256], name[64];
	char *argv[] = {"turnserver", "-c", conf, NULL};
	struct svc_ready ready = {.kind = SVC_READY_NONE}; /* see await_ready() */
	int rc;

	snprintf(conf, sizeof(conf), "%s/%s.conf", set->dir, n->name);
	snprintf(db, sizeof(db), "%s/%s.db", set->dir, n->name);
	snprintf(log, sizeof(log), "%s/%s.log", set->dir, n->name);
	snprintf(name, sizeof(name), "turnserver on %s", n->name);
	if (n_lis == 0)
		return icl_err_set(err, -EADDRNOTAVAIL, "%s: the node has no address", name);
	rc = write_config(conf, n->turn, lis, n_lis, db, err);
	if (rc == 0)
		rc = svc_start(name, topo_node_fd(t, n->name), argv, log, &ready, out, err);
	if (rc == 0 && (rc = await_ready(*out, topo_node_fd(t, n->name), lis, n_lis, err)) < 0) {
		svc_stop(*out, 0);
		*out = NULL;
	}
	return rc;
}

static struct turn_set *set_new(const char *dir, size_t n, struct icl_err *err)
{
	struct turn_set *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->svc = calloc(n, sizeof(*s->svc))) == NULL) {
		free(s);
		icl_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	return s;
}

int turn_up(const struct topo *t, struct turn_set **out, struct icl_err *err)
{
	const struct topo_plan *p = topo_plan(t);
	struct turn_set *s;
	size_t wanted = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < p->n_nodes; i++)
		wanted += p->nodes[i].turn != NULL;
	if (wanted == 0)
		return 0;
	if (topo_dir(t) == NULL || strlen(topo_dir(t)) >= sizeof(((struct turn_set *)0)->dir))
		return icl_err_set(err, -EINVAL, "turn: the topology has no usable private directory");
	if ((s = set_new(topo_dir(t), wanted, err)) == NULL)
		return err->code;
	for (size_t i = 0; rc == 0 && i < p->n_nodes; i++)
		if (p->nodes[i].turn != NULL &&
		    (rc = start_one(s, t, &p->nodes[i], &s->svc[s->n_svc], err)) == 0)
			s->n_svc++;
	if (rc < 0) {
		turn_down(s);
		return rc;
	}
	*out = s;
	return 0;
}

bool turn_ended(const struct turn_set *s, char *why, size_t cap)
{
	for (size_t i = 0; s != NULL && i < s->n_svc; i++)
		if (svc_ended(s->svc[i], why, cap))
			return true;
	return false;
}

void turn_down(struct turn_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_svc; i++)
		svc_stop(s->svc[i], TURN_STOP_GRACE_MS);
	free(s->svc);
	free(s);
}
