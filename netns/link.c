#include "link.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#define WHAT_MAX 160
/* Requests in flight at once: each answer is queued on our socket, and
 * answers that do not fit its receive buffer would be dropped. */
#define BATCH_CHUNK 32

struct link_batch {
	char *buf; /* the requests, back to back, each NLMSG_ALIGNed */
	size_t len, cap;
	size_t *off; /* where request i starts; its sequence number is i + 1 */
	char (*what)[WHAT_MAX];
	size_t n, n_cap;
	bool nomem;
};

/* An aligned buffer for whatever the kernel sends. */
union nl_buf {
	struct nlmsghdr h;
	char b[16384];
};

int link_sock_open(int *fd, struct icl_err *err)
{
	int one = 1;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (*fd < 0)
		return icl_err_set(err, -errno, "rtnetlink socket: %s", strerror(errno));
	/* Errors carry the kernel's reason, and not a copy of the request.
	 * Both are optional: without them, errors are just shorter. */
	(void)setsockopt(*fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(*fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

struct link_batch *link_batch_new(void)
{
	return calloc(1, sizeof(struct link_batch));
}

void link_batch_free(struct link_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b->off);
	free(b->what);
	free(b);
}

static bool batch_grow(struct link_batch *b, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		char *nb = realloc(b->buf, cap);

		if (nb == NULL)
			return false;
		b->buf = nb;
		b->cap = cap;
	}
	if (b->n == b->n_cap) {
		size_t n = b->n_cap ? b->n_cap * 2 : 16;
		size_t *off = realloc(b->off, n * sizeof(*off));
		char(*what)[WHAT_MAX] = off ? realloc(b->what, n * sizeof(*what)) : NULL;

		if (off != NULL)
			b->off = off;
		if (what == NULL)
			return false;
		b->what = what;
		b->n_cap = n;
	}
	return true;
}

/* Copy `msg` (freed here; NULL means its allocation failed) to the batch,
 * numbered so that its answer can be matched. */
static void batch_add(struct link_batch *b, struct nl_msg *msg, const char *what)
{
	struct nlmsghdr *h = msg ? nlmsg_hdr(msg) : NULL;
	size_t len = h ? NLMSG_ALIGN(h->nlmsg_len) : 0;

	if (h == NULL || !batch_grow(b, len)) {
		b->nomem = true;
		nlmsg_free(msg);
		return;
	}
	memset(b->buf + b->len, 0, len);
	memcpy(b->buf + b->len, h, h->nlmsg_len);
	h = (struct nlmsghdr *)(b->buf + b->len);
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = (uint32_t)b->n + 1;
	h->nlmsg_pid = 0;
	b->off[b->n] = b->len;
	snprintf(b->what[b->n], WHAT_MAX, "%s", what);
	b->len += len;
	b->n++;
	nlmsg_free(msg);
}

static void set_end(struct rtnl_link *l, const char *name, int ifindex, unsigned mtu)
{
	rtnl_link_set_name(l, name);
	rtnl_link_set_ifindex(l, ifindex);
	/* One queue each way instead of one per CPU: every queue costs the
	 * kernel sysfs objects at creation, and emulated links need no
	 * parallel queues. */
	rtnl_link_set_num_tx_queues(l, 1);
	rtnl_link_set_num_rx_queues(l, 1);
	if (mtu != 0)
		rtnl_link_set_mtu(l, mtu);
}

void link_batch_veth(struct link_batch *b, const struct link_veth *v, const char *what)
{
	struct rtnl_link *l = rtnl_link_veth_alloc();
	struct rtnl_link *p = l ? rtnl_link_veth_get_peer(l) : NULL;
	struct nl_msg *msg = NULL;

	if (p != NULL) {
		set_end(l, v->name, v->ifindex, v->mtu);
		set_end(p, v->peer, v->peer_ifindex, v->mtu);
		rtnl_link_set_ns_fd(p, v->peer_ns_fd);
		rtnl_link_set_flags(l, IFF_UP);
		if (rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg) < 0)
			msg = NULL;
		rtnl_link_put(p);
	}
	if (l != NULL)
		rtnl_link_veth_release(l);
	batch_add(b, msg, what);
}

void link_batch_up(struct link_batch *b, int ifindex, const char *what)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);

	if (msg != NULL && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	batch_add(b, msg, what);
}

static struct nl_addr *mk_addr(int family, const unsigned char *bytes, unsigned plen)
{
	struct nl_addr *a = nl_addr_build(family, bytes, family == AF_INET ? 4 : 16);

	if (a != NULL)
		nl_addr_set_prefixlen(a, plen);
	return a;
}

void link_batch_addr(struct link_batch *b, int ifindex, const struct topo_prefix *p,
		     const char *what)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = mk_addr(p->family, p->addr, p->plen);
	struct nl_msg *msg = NULL;

	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		/* No DAD: the first packet over a new link must not wait for it. */
		if (p->family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		if (rtnl_addr_build_add_request(ra, 0, &msg) < 0)
			msg = NULL;
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	batch_add(b, msg, what);
}

static struct rtnl_route *mk_route(const struct topo_route *r, int ifindex)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = mk_addr(r->dst.family, r->dst.addr, r->dst.plen);
	struct nl_addr *gw = NULL;
	bool ok = rt && nh && dst;

	if (ok && r->has_via)
		ok = (gw = mk_addr(r->dst.family, r->via, r->dst.family == AF_INET ? 32 : 128));
	if (ok) {
		rtnl_route_set_family(rt, (uint8_t)r->dst.family);
		rtnl_route_set_dst(rt, dst);
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		rtnl_route_set_protocol(rt, RTPROT_STATIC);
		rtnl_route_set_scope(rt, r->has_via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		if (gw != NULL)
			rtnl_route_nh_set_gateway(nh, gw);
		if (ifindex > 0)
			rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_add_nexthop(rt, nh); /* the route owns it now */
		nh = NULL;
	} else {
		rtnl_route_put(rt);
		rt = NULL;
	}
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	return rt;
}

void link_batch_route(struct link_batch *b, const struct topo_route *r, int ifindex,
		      const char *what)
{
	struct rtnl_route *rt = mk_route(r, ifindex);
	struct nl_msg *msg = NULL;

	if (rt != NULL && rtnl_route_build_add_request(rt, NLM_F_EXCL, &msg) < 0)
		msg = NULL;
	rtnl_route_put(rt);
	batch_add(b, msg, what);
}

/* Proxied neighbour advertisements wait a random time up to proxy_delay
 * (0.8 s by default); set it to 0 on the link. */
static void batch_no_proxy_delay(struct link_batch *b, int ifindex, const char *what)
{
	struct ndtmsg ndt = {.ndtm_family = AF_INET6};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETNEIGHTBL, 0);
	struct nlattr *parms;

	if (msg != NULL && (nlmsg_append(msg, &ndt, sizeof(ndt), NLMSG_ALIGNTO) < 0 ||
			    nla_put_string(msg, NDTA_NAME, "ndisc_cache") < 0 ||
			    (parms = nla_nest_start(msg, NDTA_PARMS)) == NULL ||
			    nla_put_u32(msg, NDTPA_IFINDEX, (uint32_t)ifindex) < 0 ||
			    nla_put_u64(msg, NDTPA_PROXY_DELAY, 0) < 0 ||
			    nla_nest_end(msg, parms) < 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	batch_add(b, msg, what);
}

void link_batch_proxy_ndp(struct link_batch *b, int ifindex, const unsigned char addr[16],
			 const char *what)
{
	char w[WHAT_MAX];
	struct ndmsg nd = {
		.ndm_family = AF_INET6,
		.ndm_ifindex = ifindex,
		.ndm_flags = NTF_PROXY,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL);

	if (msg != NULL && (nlmsg_append(msg, &nd, sizeof(nd), NLMSG_ALIGNTO) < 0 ||
			    nla_put(msg, NDA_DST, 16, addr) < 0)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	batch_add(b, msg, what);
	snprintf(w, sizeof(w), "%.120s: proxy_delay 0", what);
	batch_no_proxy_delay(b, ifindex, w);
}

/* The kernel's own explanation in an error answer, if it gave one. */
static void ext_ack_text(const struct nlmsghdr *h, char *buf, size_t cap)
{
	const struct nlmsgerr *e = nlmsg_data(h);
	size_t off = sizeof(*e);
	struct nlattr *msg;

	buf[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN; /* the request is echoed first */
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return;
	msg = nla_find((struct nlattr *)((char *)nlmsg_data(h) + off),
		       (int)(h->nlmsg_len - NLMSG_HDRLEN - off), NLMSGERR_ATTR_MSG);
	if (msg != NULL && nla_len(msg) > 1)
		snprintf(buf, cap, " (%.*s)", nla_len(msg) - 1, (const char *)nla_data(msg));
}

static int check_answer(const struct link_batch *b, size_t i, const struct nlmsghdr *h,
			struct icl_err *err)
{
	const struct nlmsgerr *e = nlmsg_data(h);
	char why[256];

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return icl_err_set(err, -EIO, "%s: truncated rtnetlink answer", b->what[i]);
	if (e->error >= 0)
		return 0;
	ext_ack_text(h, why, sizeof(why));
	return icl_err_set(err, e->error, "%s: %s%s", b->what[i], strerror(-e->error), why);
}

/* Read the answers to requests [from, to); keep the first error. */
static int read_answers(int fd, const struct link_batch *b, size_t from, size_t to,
			struct icl_err *err)
{
	size_t left = to - from;
	int rc = 0;

	while (left > 0) {
		union nl_buf in;
		ssize_t n = recv(fd, in.b, sizeof(in.b), 0);
		int rem = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return icl_err_set(err, -errno, "reading rtnetlink answers: %s",
					   strerror(errno));
		for (struct nlmsghdr *h = &in.h; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
			size_t i = (size_t)h->nlmsg_seq - 1;

			if (h->nlmsg_type != NLMSG_ERROR || i < from || i >= to)
				continue;
			left--;
			if (rc == 0)
				rc = check_answer(b, i, h, err);
		}
	}
	return rc;
}

int link_batch_run(int fd, struct link_batch *b, struct icl_err *err)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int rc = 0;

	if (b->nomem)
		rc = icl_err_set(err, -ENOMEM, "out of memory building rtnetlink requests");
	for (size_t from = 0; rc == 0 && from < b->n; from += BATCH_CHUNK) {
		size_t to = from + BATCH_CHUNK < b->n ? from + BATCH_CHUNK : b->n;
		size_t end = to < b->n ? b->off[to] : b->len;
		ssize_t sent = sendto(fd, b->buf + b->off[from], end - b->off[from], 0,
				      (struct sockaddr *)&kernel, sizeof(kernel));

		if (sent < 0)
			rc = icl_err_set(err, -errno, "%s: sending: %s", b->what[from],
					 strerror(errno));
		else
			rc = read_answers(fd, b, from, to, err);
	}
	b->len = b->n = 0;
	b->nomem = false;
	return rc;
}

/* --- readiness -------------------------------------------------------- */

struct watch_link {
	int ifindex;
	char name[IFNAMSIZ];
	bool has_ll; /* a link-local address with its local route */
	size_t n_addr;
	unsigned char addr[TOPO_ADDR_MAX][16];
	bool done[TOPO_ADDR_MAX];
};

struct link_watch {
	int fd;
	struct watch_link *links;
	size_t n, cap;
	bool dumping; /* a route dump is under way on fd */
	bool redump;  /* changes were lost during it: dump again after it */
};

int link_watch_open(struct link_watch **out, struct icl_err *err)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV6_ROUTE,
	};
	struct link_watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		link_watch_close(w);
		return icl_err_set(err, -e, "rtnetlink route watch: %s", strerror(e));
	}
	*out = w;
	return 0;
}

void link_watch_close(struct link_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->links);
	free(w);
}

int link_watch_expect(struct link_watch *w, int ifindex, const char *name,
		      const struct topo_prefix *addrs, size_t n_addr, struct icl_err *err)
{
	struct watch_link *l;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4;
		struct watch_link *nl = realloc(w->links, cap * sizeof(*nl));

		if (nl == NULL)
			return icl_err_set(err, -ENOMEM, "out of memory");
		w->links = nl;
		w->cap = cap;
	}
	l = &w->links[w->n++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	snprintf(l->name, sizeof(l->name), "%s", name);
	for (size_t i = 0; i < n_addr && l->n_addr < TOPO_ADDR_MAX; i++)
		if (addrs[i].family == AF_INET6)
			memcpy(l->addr[l->n_addr++], addrs[i].addr, 16);
	return 0;
}

static void note_local_route(struct watch_link *l, const unsigned char *dst)
{
	if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
		l->has_ll = true;
	for (size_t i = 0; i < l->n_addr; i++)
		if (memcmp(l->addr[i], dst, 16) == 0)
			l->done[i] = true;
}

/* Local routes are what the kernel installs when it has finished an IPv6
 * address (it clears the tentative flag first). */
static void note_route(struct link_watch *w, struct nlmsghdr *h)
{
	struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rt = nlmsg_data(h);
	int oif;

	if (nlmsg_parse(h, sizeof(*rt), tb, RTA_MAX, NULL) < 0 || rt->rtm_family != AF_INET6 ||
	    rt->rtm_type != RTN_LOCAL || rt->rtm_dst_len != 128 || tb[RTA_DST] == NULL ||
	    tb[RTA_OIF] == NULL || nla_len(tb[RTA_DST]) != 16)
		return;
	oif = (int)nla_get_u32(tb[RTA_OIF]);
	for (size_t i = 0; i < w->n; i++)
		if (w->links[i].ifindex == oif)
			note_local_route(&w->links[i], nla_data(tb[RTA_DST]));
}

/* Changes were lost (the socket overflowed): ask for the whole table; the
 * answer arrives on the same socket and is read like the changes.  The
 * kernel runs one dump per socket at a time, so a loss during a dump asks
 * for another one after it. */
static int request_dump(struct link_watch *w, struct icl_err *err)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rt;
	} req = {
		.h = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
		      .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.rt = {.rtm_family = AF_INET6},
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	if (w->dumping) {
		w->redump = true;
		return 0;
	}
	if (sendto(w->fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return icl_err_set(err, -errno, "listing routes: %s", strerror(errno));
	w->dumping = true;
	w->redump = false;
	return 0;
}

static int note_msgs(struct link_watch *w, union nl_buf *in, int len, struct icl_err *err)
{
	for (struct nlmsghdr *h = &in->h; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
		if (h->nlmsg_type == RTM_NEWROUTE)
			note_route(w, h);
		if (h->nlmsg_type != NLMSG_DONE && h->nlmsg_type != NLMSG_ERROR)
			continue;
		w->dumping = false; /* the dump ended */
		if (w->redump && request_dump(w, err) < 0)
			return err->code;
	}
	return 0;
}

/* Read everything queued on the watch socket, without blocking. */
static int drain(struct link_watch *w, struct icl_err *err)
{
	for (;;) {
		union nl_buf in;
		ssize_t n = recv(w->fd, in.b, sizeof(in.b), MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			if (request_dump(w, err) < 0)
				return err->code;
		} else if (n < 0 && errno != EINTR) {
			return icl_err_set(err, -errno, "reading route changes: %s", strerror(errno));
		} else if (n > 0 && note_msgs(w, &in, (int)n, err) < 0) {
			return err->code;
		}
	}
}

/* The first link that is not ready, or NULL. */
static const struct watch_link *unready(const struct link_watch *w, const char **missing)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct watch_link *l = &w->links[i];

		*missing = "no link-local address yet (no carrier?)";
		if (!l->has_ll)
			return l;
		*missing = "an IPv6 address is not finished";
		for (size_t a = 0; a < l->n_addr; a++)
			if (!l->done[a])
				return l;
	}
	return NULL;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

int link_watch_wait(struct link_watch *w, unsigned timeout_ms, struct icl_err *err)
{
	struct timespec t0;
	const struct watch_link *l;
	const char *missing;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = w->fd, .events = POLLIN};
		long left;

		if (drain(w, err) < 0)
			return err->code;
		if ((l = unready(w, &missing)) == NULL)
			return 0;
		left = (long)timeout_ms - ms_since(&t0);
		if (left <= 0)
			return icl_err_set(err, -ETIMEDOUT, "link %s not ready after %u ms: %s",
					   l->name, timeout_ms, missing);
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return icl_err_set(err, -errno, "poll: %s", strerror(errno));
	}
}
