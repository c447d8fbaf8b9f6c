#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "nat64.h"

#define PROBE_BASE_PORT 30000
#define PROBE_RESEND_MS 50

struct probe_state {
	const struct topo_probe *spec;
	struct probe_result *res;
	struct sockaddr_storage target;
	socklen_t target_len;
	struct sockaddr_storage bind_to; /* the server's address: the target,
					  * or the IPv4 one a NAT64 prefix embeds */
	socklen_t bind_len;
	uv_udp_t server;  /* bound on the target node */
	uv_udp_t client;  /* created on the source node */
	int open_handles;
	bool delivered, echoed;
	uint64_t first_sent_ms;
	unsigned index;
};

struct probe_run_ctx {
	uv_loop_t loop;
	char scratch[2048]; /* receive buffer; each datagram is handled at once */
	uv_timer_t resend, deadline;
	struct probe_state *st;
	size_t n;
};

static int fill_target(const struct topo_plan *p, const struct topo_probe *pr, unsigned i,
		       struct probe_state *s, struct icl_err *err)
{
	const unsigned char *a = pr->has_addr ? pr->addr : NULL;
	uint16_t port = pr->port ? pr->port : (uint16_t)(PROBE_BASE_PORT + i);
	char txt[INET6_ADDRSTRLEN];

	for (size_t k = 0; a == NULL && k < p->n_links; k++) {
		const struct topo_prefix *pf = topo_plan_addr(p, pr->to, p->links[k].name, pr->family);

		if (pf != NULL)
			a = pf->addr;
	}
	if (a == NULL)
		return icl_err_set(err, ICL_EINPUT, "probe %u: node %s has no %s address", i + 1,
				   pr->to, pr->family == AF_INET ? "IPv4" : "IPv6");
	memset(&s->target, 0, sizeof(s->target));
	if (pr->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&s->target;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a, 4);
		s->target_len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->target;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a, 16);
		s->target_len = sizeof(*in6);
	}
	memcpy(&s->bind_to, &s->target, sizeof(s->target));
	s->bind_len = s->target_len;
	unsigned char v4[4];

	if (nat64_probe_target(p, pr, v4)) {
		struct sockaddr_in *in = (struct sockaddr_in *)&s->bind_to;

		memset(&s->bind_to, 0, sizeof(s->bind_to));
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, v4, 4);
		s->bind_len = sizeof(*in);
	}
	inet_ntop(pr->family, a, txt, sizeof(txt));
	snprintf(s->res->target, sizeof(s->res->target),
		 pr->family == AF_INET ? "%s:%u" : "[%s]:%u", txt, port);
	return 0;
}

/* A UDP socket created inside node `node`; it stays in that namespace. */
static int node_socket(const struct topo *t, const char *node, int family, int *fd,
		       struct icl_err *err)
{
	int rc = topo_enter(t, node, err);

	if (rc < 0)
		return rc;
	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		rc = icl_err_set(err, -errno, "socket in node %s: %s", node, strerror(errno));
	if (rc == 0 && family == AF_INET6) {
		int one = 1;

		setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (topo_leave(t, err) < 0 && rc == 0)
		rc = err->code;
	return rc;
}

static int open_sockets(const struct topo *t, struct probe_state *s, struct icl_err *err)
{
	int sfd = -1, cfd = -1, rc;

	rc = node_socket(t, s->spec->to, s->bind_to.ss_family, &sfd, err);
	if (rc == 0 && bind(sfd, (struct sockaddr *)&s->bind_to, s->bind_len) != 0)
		rc = icl_err_set(err, -errno, "probe %u: binding %s in node %s: %s", s->index + 1,
				 s->res->target, s->spec->to, strerror(errno));
	if (rc == 0)
		rc = node_socket(t, s->spec->from, s->spec->family, &cfd, err);
	if (rc < 0) {
		if (sfd >= 0)
			close(sfd);
		return rc;
	}
	/* From here the handles own the fds; open_handles counts closes due. */
	uv_udp_open(&s->server, sfd);
	uv_udp_open(&s->client, cfd);
	return 0;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct probe_run_ctx *c = h->loop->data;

	(void)suggested;
	*buf = uv_buf_init(c->scratch, sizeof(c->scratch));
}

static bool payload_is(const uv_buf_t *buf, ssize_t n, unsigned index)
{
	char want[32];
	int len = snprintf(want, sizeof(want), "icelab-probe %u", index);

	return n == len && memcmp(buf->base, want, (size_t)len) == 0;
}

static void server_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
			unsigned flags)
{
	struct probe_state *s = h->data;
	uv_buf_t echo;

	(void)flags;
	if (n <= 0 || from == NULL || !payload_is(buf, n, s->index))
		return;
	s->delivered = true;
	echo = uv_buf_init(buf->base, (unsigned)n);
	uv_udp_try_send(h, &echo, 1, from);
}

static void client_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
			unsigned flags)
{
	struct probe_state *s = h->data;

	(void)flags;
	(void)from;
	if (n <= 0 || s->echoed || !payload_is(buf, n, s->index))
		return;
	s->echoed = true;
	s->res->rtt_ms = (double)(uv_now(h->loop) - s->first_sent_ms);
}

static void send_request(struct probe_state *s, uv_loop_t *loop)
{
	char msg[32];
	int len = snprintf(msg, sizeof(msg), "icelab-probe %u", s->index);
	uv_buf_t b = uv_buf_init(msg, (unsigned)len);
	int rc;

	if (s->echoed)
		return;
	if (s->first_sent_ms == 0)
		s->first_sent_ms = uv_now(loop);
	rc = uv_udp_try_send(&s->client, &b, 1, (struct sockaddr *)&s->target);
	if (rc < 0)
		snprintf(s->res->send_error, sizeof(s->res->send_error), "%s", uv_strerror(rc));
}

static void resend_cb(uv_timer_t *tm)
{
	struct probe_run_ctx *c = tm->data;
	bool all_echoed = true;

	for (size_t i = 0; i < c->n; i++) {
		send_request(&c->st[i], &c->loop);
		all_echoed = all_echoed && c->st[i].echoed;
	}
	if (all_echoed)
		uv_stop(&c->loop);
}

static void deadline_cb(uv_timer_t *tm)
{
	uv_stop(tm->loop);
}

static void verdicts(struct probe_run_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct probe_state *s = &c->st[i];

		s->res->got = s->echoed      ? TOPO_REACH_ROUND_TRIP
			      : s->delivered ? TOPO_REACH_ONE_WAY
					     : TOPO_REACH_NONE;
	}
}

static void close_all(struct probe_run_ctx *c)
{
	uv_close((uv_handle_t *)&c->resend, NULL);
	uv_close((uv_handle_t *)&c->deadline, NULL);
	for (size_t i = 0; i < c->n; i++) {
		if (c->st[i].open_handles == 0)
			continue;
		uv_close((uv_handle_t *)&c->st[i].server, NULL);
		uv_close((uv_handle_t *)&c->st[i].client, NULL);
	}
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
}

static int setup(const struct topo *t, struct probe_run_ctx *c, struct probe_result *results,
		 struct icl_err *err)
{
	const struct topo_plan *p = topo_plan(t);

	for (size_t i = 0; i < c->n; i++) {
		struct probe_state *s = &c->st[i];
		int rc;

		s->spec = &p->probes[i];
		s->res = &results[i];
		s->index = (unsigned)i;
		memset(s->res, 0, sizeof(*s->res));
		rc = fill_target(p, s->spec, (unsigned)i, s, err);
		if (rc == 0) {
			uv_udp_init(&c->loop, &s->server);
			uv_udp_init(&c->loop, &s->client);
			s->open_handles = 2;
			s->server.data = s->client.data = s;
			rc = open_sockets(t, s, err);
		}
		if (rc < 0)
			return rc;
		uv_udp_recv_start(&s->server, alloc_cb, server_recv);
		uv_udp_recv_start(&s->client, alloc_cb, client_recv);
	}
	return 0;
}

int probe_run(const struct topo *t, struct probe_result *results, unsigned timeout_ms,
	      struct icl_err *err)
{
	struct probe_run_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.n = topo_plan(t)->n_probes;
	if (c.n == 0)
		return 0;
	c.st = calloc(c.n, sizeof(*c.st));
	if (c.st == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	uv_loop_init(&c.loop);
	c.loop.data = &c;
	uv_timer_init(&c.loop, &c.resend);
	uv_timer_init(&c.loop, &c.deadline);
	c.resend.data = &c;
	rc = setup(t, &c, results, err);
	if (rc == 0) {
		uv_timer_start(&c.resend, resend_cb, 0, PROBE_RESEND_MS);
		uv_timer_start(&c.deadline, deadline_cb, timeout_ms, 0);
		uv_run(&c.loop, UV_RUN_DEFAULT);
		verdicts(&c);
	}
	close_all(&c);
	free(c.st);
	return rc;
}
