/* impair.c - link impairment through NFQUEUE (design in impair.h).
 *
 * One struct impair = one thread running its own libuv loop.  It polls one
 * nfqueue netlink socket per impaired end and one timerfd.  Held packets
 * wait in a binary min-heap ordered by (release time, arrival number), so
 * equal release times keep arrival order; the timerfd is armed for the
 * heap's top.  A timerfd rather than a uv timer: uv timers count whole
 * milliseconds of a cached loop clock, which would add up to 1 ms of error
 * to each direction.
 *
 * Copies (duplication) wait in the same heap, holding their bytes; when
 * due they are sent by the end's packet socket in the sending node, and
 * kept in the end's `sent` list until they come back through the queue,
 * where they are recognised by their bytes and accepted without a draw.
 * The rate is virtual time: `tat` is when the token bucket would have sent
 * every byte admitted so far, so a packet's departure is computed on
 * arrival and it simply waits in the heap like a delayed one.
 */
#include "impair.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <uv.h>

#include "impair_rules.h"

/* Socket buffer for queue notifications: they wait there only until the
 * thread reads them, but a burst must not overflow it. */
#define IMPAIR_RCVBUF (4 * 1024 * 1024)
#define IMPAIR_RECV_BATCH 64      /* reads per wake-up, so the timer is not starved */
/* A whole packet (the largest copy range) and its netlink headers. */
#define IMPAIR_BUF (128 * 1024)
#define COPIES_SENT_MAX 64        /* copies on their way back, per end */
#define COPY_RETURN_NS 1000000000ull /* a copy not back within 1 s is forgotten */
#define NS_PER_S 1000000000ull

/* A copy of a packet: its IP bytes. */
struct copy {
	uint64_t sent_ns;
	size_t len;
	unsigned char data[];
};

/* A packet whose verdict is due at `due_ns`, or a copy to send then. */
struct held {
	uint64_t due_ns;
	uint64_t seq; /* arrival number: FIFO among equal due times */
	uint32_t id;  /* the kernel's packet id in its queue */
	uint32_t end; /* index into impair->ends */
	struct copy *copy; /* non-NULL: send this copy instead of a verdict */
};

/* One impaired end: its spec, PRNG and queue socket.  Its packets are
 * held where they arrive: rx_ifname in node rx_node, the link's other end
 * (impair.h says why); both point into the plan. */
struct end {
	struct impair *im;
	struct impair_spec spec;
	const char *rx_node, *rx_ifname, *tx_ifname;
	uint64_t rng;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	int stats_fd; /* the node's /proc/net/netfilter/nfnetlink_queue */
	uv_poll_t poll;
	bool reads;   /* packets are copied to us (duplicate or rate) */
	/* Duplication: a packet socket in the sending node, its interface,
	 * the receiving interface's MAC; copies in the heap and sent. */
	int tx_fd;
	int tx_ifindex;
	unsigned char rx_mac[ETH_ALEN];
	size_t copies_held;
	struct copy *sent[COPIES_SENT_MAX];
	size_t n_sent;
	/* Rate: virtual time when the bucket has sent everything admitted. */
	uint64_t tat_ns;
	uint64_t tau_ns;       /* the burst's worth of time */
	double queue_limit;    /* bytes */
	_Atomic uint64_t seen, lost, reordered, duplicated, rate_dropped, errors;
};

struct impair {
	const struct topo *t;
	struct end *ends;
	size_t n;
	uv_loop_t loop;
	uv_async_t stop;
	uv_poll_t timer_poll;
	int tfd;
	uint64_t armed_ns; /* what the timerfd is set to; 0 = disarmed */
	struct held *heap;
	size_t len, cap;
	uint64_t seq;
	pthread_t tid;
	bool loop_ready, thread_running;
	bool stopping; /* set after the join: callbacks must not touch the heap */
	char buf[IMPAIR_BUF]; /* receive buffer, used by the thread only */
};

/* ---- decisions ---------------------------------------------------------- */

/* splitmix64: tiny, seedable with any value, good enough statistically. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1): the top 53 bits as a double's mantissa. */
static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* delay + uniform jitter in microseconds, clamped at 0. */
static uint64_t delay_ns(const struct impair_spec *s, uint64_t r)
{
	int64_t j = (int64_t)s->jitter_ms * 1000;
	int64_t us = (int64_t)s->delay_ms * 1000;

	if (j > 0)
		us += (int64_t)(r % (uint64_t)(2 * j + 1)) - j;
	return us > 0 ? (uint64_t)us * 1000u : 0;
}

/* ---- the heap of held packets ------------------------------------------ */

static bool held_before(const struct held *a, const struct held *b)
{
	return a->due_ns != b->due_ns ? a->due_ns < b->due_ns : a->seq < b->seq;
}

static void held_swap(struct held *a, struct held *b)
{
	struct held x = *a;

	*a = *b;
	*b = x;
}

static void heap_push(struct impair *im, struct held h)
{
	size_t i = im->len++;

	im->heap[i] = h;
	while (i > 0 && held_before(&im->heap[i], &im->heap[(i - 1) / 2])) {
		held_swap(&im->heap[i], &im->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static struct held heap_pop(struct impair *im)
{
	struct held top = im->heap[0];
	size_t i = 0;

	im->heap[0] = im->heap[--im->len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < im->len && held_before(&im->heap[l], &im->heap[m]))
			m = l;
		if (r < im->len && held_before(&im->heap[r], &im->heap[m]))
			m = r;
		if (m == i)
			return top;
		held_swap(&im->heap[i], &im->heap[m]);
		i = m;
	}
}

/* ---- the thread's callbacks -------------------------------------------- */

static void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void verdict(struct end *e, uint32_t id, uint32_t v)
{
	if (nfq_set_verdict(e->qh, id, v, 0, NULL) < 0)
		count(&e->errors);
}

/* Point the timerfd at the heap's top (absolute time, so a late wake-up
 * does not shift later releases). */
static void arm_timer(struct impair *im)
{
	uint64_t due = im->len ? im->heap[0].due_ns : 0;
	struct itimerspec its = {0};

	if (due == im->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(due / 1000000000u);
	its.it_value.tv_nsec = (long)(due % 1000000000u);
	if (timerfd_settime(im->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		im->armed_ns = due;
}

/* ---- rate ------------------------------------------------------------------ */

/* When a packet of `len` bytes that arrives at `now` leaves the token
 * bucket, which is then charged for it; 0 when the bytes already waiting
 * and this packet exceed the queue limit (the packet is dropped, nothing
 * charged).  A packet finding nothing waiting is always admitted. */
static uint64_t rate_depart(struct end *e, uint64_t now, size_t len)
{
	uint64_t rate = e->spec.rate_bps;
	uint64_t cost = (uint64_t)len * 8u * NS_PER_S / rate; /* len <= 65535 */
	uint64_t ready = e->tat_ns > e->tau_ns ? e->tat_ns - e->tau_ns : 0;

	if (ready > now && (double)(ready - now) * (double)rate / 8e9 + (double)len >
				   e->queue_limit)
		return 0;
	e->tat_ns = (e->tat_ns > now ? e->tat_ns : now) + cost;
	ready = e->tat_ns > e->tau_ns ? e->tat_ns - e->tau_ns : 0;
	return ready > now ? ready : now;
}

/* ---- copies ------------------------------------------------------------------ */

static struct copy *copy_make(const unsigned char *data, size_t len)
{
	struct copy *c = malloc(sizeof(*c) + len);

	if (c != NULL) {
		c->len = len;
		memcpy(c->data, data, len);
	}
	return c;
}

static void sent_forget(struct end *e, size_t k)
{
	free(e->sent[k]);
	memmove(&e->sent[k], &e->sent[k + 1], (e->n_sent - k - 1) * sizeof(e->sent[0]));
	e->n_sent--;
}

/* Whether the packet that just arrived is a copy we sent: then it is
 * forgotten (it came back).  Copies older than COPY_RETURN_NS are dropped
 * from the list first: the kernel lost them. */
static bool copy_returned(struct end *e, const unsigned char *data, size_t len, uint64_t now)
{
	while (e->n_sent > 0 && e->sent[0]->sent_ns + COPY_RETURN_NS < now)
		sent_forget(e, 0);
	for (size_t k = 0; data != NULL && k < e->n_sent; k++)
		if (e->sent[k]->len == len && memcmp(e->sent[k]->data, data, len) == 0) {
			sent_forget(e, k);
			return true;
		}
	return false;
}

/* Send a due copy on the link from the sending end, towards the receiving
 * interface; remember it until it comes back. */
static void copy_send(struct end *e, struct copy *c)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_ifindex = e->tx_ifindex,
		.sll_halen = ETH_ALEN,
		.sll_protocol = htons((c->data[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP),
	};

	e->copies_held--;
	memcpy(to.sll_addr, e->rx_mac, ETH_ALEN);
	if (sendto(e->tx_fd, c->data, c->len, 0, (struct sockaddr *)&to, sizeof(to)) !=
	    (ssize_t)c->len) {
		count(&e->errors);
		free(c);
		return;
	}
	count(&e->duplicated);
	c->sent_ns = now_ns();
	if (e->n_sent == COPIES_SENT_MAX)
		sent_forget(e, 0);
	e->sent[e->n_sent++] = c;
}

/* ---- decisions on arrival ------------------------------------------------------ */

static void hold(struct impair *im, struct end *e, uint64_t due, uint32_t id, struct copy *c)
{
	heap_push(im, (struct held){due, im->seq++, id, (uint32_t)(e - im->ends), c});
}

/* Queue a copy of the packet (due after its own pass through the rate,
 * with the original's delay); false if it cannot be made. */
static bool duplicate(struct impair *im, struct end *e, const unsigned char *data, size_t len,
		      uint64_t now, uint64_t depart, uint64_t delay)
{
	struct copy *c;

	if (data == NULL || e->tx_fd < 0 || e->copies_held >= IMPAIR_COPIES_MAX ||
	    im->len == im->cap)
		return false;
	if (e->spec.rate_bps) {
		depart = rate_depart(e, now, len);
		if (depart == 0) {
			count(&e->rate_dropped);
			return true;
		}
	}
	c = copy_make(data, len);
	if (c == NULL)
		return false;
	e->copies_held++;
	hold(im, e, depart + delay, 0, c);
	return true;
}

/* Four draws per packet whatever happens (see impair.h: determinism);
 * none for a copy coming back. */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct end *e = data;
	struct impair *im = e->im;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned char *pkt = NULL;
	int len = 0;
	double u_loss, u_reorder, u_dup;
	uint64_t d, now, depart, due;
	uint32_t id;

	(void)qh;
	(void)msg;
	if (ph == NULL || im->stopping)
		return 0;
	id = ntohl(ph->packet_id);
	now = now_ns();
	if (e->reads && (len = nfq_get_payload(nfa, &pkt)) <= 0)
		pkt = NULL, len = 0;
	if (e->n_sent > 0 && copy_returned(e, pkt, (size_t)len, now)) {
		verdict(e, id, NF_ACCEPT);
		return 0;
	}
	u_loss = rng_unit(&e->rng);
	u_reorder = rng_unit(&e->rng);
	d = delay_ns(&e->spec, rng_next(&e->rng));
	u_dup = rng_unit(&e->rng);
	count(&e->seen);
	if (u_loss < e->spec.loss) {
		count(&e->lost);
		verdict(e, id, NF_DROP);
		return 0;
	}
	depart = now;
	if (e->spec.rate_bps && (depart = rate_depart(e, now, (size_t)len)) == 0) {
		count(&e->rate_dropped);
		verdict(e, id, NF_DROP);
		return 0;
	}
	if (u_reorder < e->spec.reorder) {
		count(&e->reordered);
		d = 0;
	}
	due = depart + d;
	/* Full cannot happen (cap = the queues' limits + the copies); never
	 * overrun. */
	if (due <= now || im->len == im->cap)
		verdict(e, id, NF_ACCEPT);
	else
		hold(im, e, due, id, NULL);
	if (u_dup < e->spec.duplicate &&
	    !duplicate(im, e, pkt, (size_t)len, now, depart, d))
		count(&e->errors);
	return 0;
}

static void on_queue(uv_poll_t *p, int status, int events)
{
	struct end *e = p->data;
	struct impair *im = e->im;

	(void)events;
	for (int k = 0; status == 0 && k < IMPAIR_RECV_BATCH; k++) {
		ssize_t len = recv(e->fd, im->buf, sizeof(im->buf), MSG_DONTWAIT);

		/* ENOBUFS: the kernel dropped packets (counted in stats_fd). */
		if (len < 0 && errno == ENOBUFS)
			continue;
		if (len <= 0)
			break;
		nfq_handle_packet(e->h, im->buf, (int)len);
	}
	arm_timer(im);
}

static void on_timer(uv_poll_t *p, int status, int events)
{
	struct impair *im = p->data;
	uint64_t expirations, now;

	(void)status;
	(void)events;
	if (read(im->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	im->armed_ns = 0; /* an absolute timer that fired stays disarmed */
	now = now_ns(); /* never early: a test may rely on the minimum delay */
	while (im->len > 0 && im->heap[0].due_ns <= now) {
		struct held h = heap_pop(im);

		if (h.copy != NULL)
			copy_send(&im->ends[h.end], h.copy);
		else
			verdict(&im->ends[h.end], h.id, NF_ACCEPT);
	}
	arm_timer(im);
}

static void on_stop(uv_async_t *a)
{
	struct impair *im = a->data;

	for (size_t i = 0; i < im->n; i++)
		uv_close((uv_handle_t *)&im->ends[i].poll, NULL);
	uv_close((uv_handle_t *)&im->timer_poll, NULL);
	uv_close((uv_handle_t *)&im->stop, NULL);
}

static void *impair_thread(void *arg)
{
	struct impair *im = arg;

	/* The default 50 us timer slack would be added to every release. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	uv_run(&im->loop, UV_RUN_DEFAULT);
	return NULL;
}

/* ---- the kernel's queue statistics ---------------------------------------- */

/* Queue `queue`'s line of a node's nfnetlink_queue, "queue portid waiting
 * copy_mode copy_range queue_dropped user_dropped last_id 1": false if the
 * queue is not bound there.  `fd` is the file opened in the node. */
static bool queue_stats(int fd, unsigned queue, uint64_t *full, uint64_t *overflow)
{
	char buf[4096];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	*full = *overflow = 0;
	buf[n > 0 ? n : 0] = '\0';
	for (char *line = buf; line != NULL && *line; line = strchr(line, '\n')) {
		unsigned q, portid, waiting, mode, range;
		unsigned long long qd, ud;

		line += *line == '\n';
		if (sscanf(line, "%u %u %u %u %u %llu %llu", &q, &portid, &waiting, &mode,
			   &range, &qd, &ud) == 7 &&
		    q == queue) {
			*full = qd;
			*overflow = ud;
			return true;
		}
	}
	return false;
}

/* How many queues are bound in that node (one line each). */
static size_t queues_bound(int fd)
{
	char buf[4096];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	size_t lines = 0;

	for (ssize_t k = 0; k < n; k++)
		lines += buf[k] == '\n';
	return lines;
}

/* ---- setup -------------------------------------------------------------- */

static bool is_prob(double p)
{
	return !isnan(p) && p >= 0.0 && p <= 1.0;
}

/* `what` names the spec in messages ("impair 2", "links.wan.impair.a"). */
static int check_spec(const struct topo_plan *p, const struct impair_spec *s, const char *what,
		      struct icl_err *err)
{
	const struct topo_link *l = topo_plan_link(p, s->link);

	if (l == NULL)
		return icl_err_set(err, ICL_EINPUT, "%s: no link named '%s'", what, s->link);
	if (topo_link_end_on(l, s->node) == NULL)
		return icl_err_set(err, ICL_EINPUT, "%s: link '%s' has no end on node '%s'", what,
				   s->link, s->node);
	if (!is_prob(s->loss) || !is_prob(s->reorder) || !is_prob(s->duplicate))
		return icl_err_set(err, ICL_EINPUT,
				   "%s: loss, reorder and duplicate must be in [0, 1]", what);
	if ((uint64_t)s->delay_ms + s->jitter_ms > IMPAIR_DELAY_MAX_MS)
		return icl_err_set(err, ICL_EINPUT, "%s: delay + jitter above %u ms", what,
				   IMPAIR_DELAY_MAX_MS);
	if (s->rate_bps == 0 && (s->queue_bytes || s->burst_bytes))
		return icl_err_set(err, ICL_EINPUT, "%s: a queue or burst needs a rate", what);
	return 0;
}

static int check_specs(const struct topo *t, const struct impair_spec *specs, size_t n,
		       struct icl_err *err)
{
	if (n == 0 || n > IMPAIR_ENDS_MAX)
		return icl_err_set(err, ICL_EINPUT, "impair: %zu link ends given (1 to %u)", n,
				   IMPAIR_ENDS_MAX);
	for (size_t i = 0; i < n; i++) {
		char what[32];
		int rc;

		snprintf(what, sizeof(what), "impair %zu", i + 1);
		rc = check_spec(topo_plan(t), &specs[i], what, err);

		for (size_t k = 0; rc == 0 && k < i; k++)
			if (strcmp(specs[k].link, specs[i].link) == 0 &&
			    strcmp(specs[k].node, specs[i].node) == 0)
				rc = icl_err_set(err, ICL_EINPUT,
						 "impair %zu: end %s of link %s given twice", i + 1,
						 specs[i].node, specs[i].link);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The library's socket is not close-on-exec; agents started while the
 * impair runs must not inherit (and so keep bound) the queue. */
static int queue_tune(struct end *e, size_t i, struct icl_err *err)
{
	int size = IMPAIR_RCVBUF;

	e->fd = nfq_fd(e->h);
	if (fcntl(e->fd, F_SETFD, FD_CLOEXEC) < 0)
		return icl_err_set(err, -errno, "impair %zu: fcntl: %s", i + 1, strerror(errno));
	if (setsockopt(e->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Only the packet id is needed, unless the end duplicates or limits
	 * the rate; GSO packets need not be segmented for a copy nobody
	 * reads.  A packet that is read is segmented and its checksum
	 * completed by the kernel (no NFQA_CFG_F_GSO): a copy sent on the
	 * link must be a packet as a wire carries it, and its length is
	 * the one a wire sees. */
	if (nfq_set_mode(e->qh, e->reads ? NFQNL_COPY_PACKET : NFQNL_COPY_META,
			 e->reads ? 0xffff : 0) < 0 ||
	    nfq_set_queue_maxlen(e->qh, IMPAIR_QUEUE_MAXLEN) < 0 ||
	    nfq_set_queue_flags(e->qh, NFQA_CFG_F_GSO, e->reads ? 0 : NFQA_CFG_F_GSO) < 0)
		return icl_err_set(err, -errno, "impair %zu: configuring queue %zu: %s", i + 1, i,
				   strerror(errno));
	return 0;
}

#define QUEUE_STATS "/proc/thread-self/net/netfilter/nfnetlink_queue"

/* Binding queue i failed with `e`: the kernel says EPERM when another
 * socket holds the queue, which here means another impair. */
static int bind_failed(const struct end *e, size_t i, int errnum, struct icl_err *err)
{
	uint64_t unused[2];

	if (queue_stats(e->stats_fd, (unsigned)i, &unused[0], &unused[1]))
		return icl_err_set(err, -EBUSY, "impair: node %s: another impair is running there",
				   e->rx_node);
	return icl_err_set(err, errnum ? -errnum : -EIO,
			   "impair %zu: binding queue %zu in node %s: %s", i + 1, i, e->rx_node,
			   strerror(errnum));
}

/* In the receiving node: the MAC address copies are sent to. */
static int rx_mac(struct end *e, size_t i, struct icl_err *err)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = fd < 0 ? -1 : 0;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", e->rx_ifname);
	if (rc == 0)
		rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (rc < 0)
		rc = icl_err_set(err, -errno, "impair %zu: MAC address of %s in node %s: %s", i + 1,
				 e->rx_ifname, e->rx_node, strerror(errno));
	else
		memcpy(e->rx_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* In the node: a netlink socket (it keeps the namespace) bound to queue i,
 * and the queue statistics: a proc file opened here keeps showing this
 * namespace wherever it is read from.  It exists once the queue module
 * has answered, so it is opened after the bind. */
static int queue_open(struct end *e, size_t i, struct icl_err *err)
{
	int errnum;

	e->h = nfq_open();
	if (e->h == NULL)
		return icl_err_set(err, errno ? -errno : -ENOMEM, "impair %zu: nfq_open: %s", i + 1,
				   strerror(errno));
	e->qh = nfq_create_queue(e->h, (uint16_t)i, on_packet, e);
	errnum = errno;
	e->stats_fd = open(QUEUE_STATS, O_RDONLY | O_CLOEXEC);
	if (e->qh == NULL)
		return bind_failed(e, i, errnum, err);
	if (e->stats_fd < 0)
		return icl_err_set(err, -errno, "impair %zu: %s: %s", i + 1, QUEUE_STATS,
				   strerror(errno));
	if (e->spec.duplicate > 0 && rx_mac(e, i, err) < 0)
		return err->code;
	return queue_tune(e, i, err);
}

/* In the sending node: the packet socket that sends copies (protocol 0:
 * it receives nothing). */
static int tx_open(struct end *e, size_t i, struct icl_err *err)
{
	e->tx_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (e->tx_fd < 0)
		return icl_err_set(err, -errno, "impair %zu: packet socket in node %s: %s", i + 1,
				   e->spec.node, strerror(errno));
	e->tx_ifindex = (int)if_nametoindex(e->tx_ifname);
	if (e->tx_ifindex == 0)
		return icl_err_set(err, -errno, "impair %zu: interface %s in node %s: %s", i + 1,
				   e->tx_ifname, e->spec.node, strerror(errno));
	return 0;
}

static int tx_open_in(struct impair *im, size_t i, struct icl_err *err)
{
	struct end *e = &im->ends[i];
	int rc;

	if (e->spec.duplicate <= 0)
		return 0;
	if ((rc = topo_enter(im->t, e->spec.node, err)) < 0)
		return rc;
	rc = tx_open(e, i, err);
	if (topo_leave(im->t, rc < 0 ? NULL : err) < 0 && rc == 0)
		rc = err->code;
	return rc;
}

static int queue_open_in(struct impair *im, size_t i, struct icl_err *err)
{
	struct end *e = &im->ends[i];
	int rc = topo_enter(im->t, e->rx_node, err);

	if (rc < 0)
		return rc;
	rc = queue_open(e, i, err);
	if (topo_leave(im->t, rc < 0 ? NULL : err) < 0 && rc == 0)
		rc = err->code;
	return rc;
}

static int loop_setup(struct impair *im, struct icl_err *err)
{
	int rc;

	im->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (im->tfd < 0)
		return icl_err_set(err, -errno, "impair: timerfd_create: %s", strerror(errno));
	rc = uv_loop_init(&im->loop);
	if (rc < 0)
		return icl_err_set(err, rc, "impair: uv_loop_init: %s", uv_strerror(rc));
	im->loop_ready = true;
	uv_async_init(&im->loop, &im->stop, on_stop);
	im->stop.data = im;
	uv_poll_init(&im->loop, &im->timer_poll, im->tfd);
	im->timer_poll.data = im;
	uv_poll_start(&im->timer_poll, UV_READABLE, on_timer);
	for (size_t i = 0; i < im->n; i++) {
		uv_poll_init(&im->loop, &im->ends[i].poll, im->ends[i].fd);
		im->ends[i].poll.data = &im->ends[i];
		uv_poll_start(&im->ends[i].poll, UV_READABLE, on_queue);
	}
	return 0;
}

/* Signals go to the caller's threads, never to the impair's. */
static int thread_start(struct impair *im, struct icl_err *err)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&im->tid, NULL, impair_thread, im);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return icl_err_set(err, -rc, "impair: pthread_create: %s", strerror(rc));
	im->thread_running = true;
	return 0;
}

/* ---- rules -------------------------------------------------------------- */

/* Load node `node`'s queue rules: every end arriving there, in one
 * transaction.  Queue numbers are spec indexes, so a second impair on the
 * node would bind other numbers without error and flush our rules: refuse
 * when the node has queues bound that are not ours. */
static int node_rules(const struct impair *im, const char *node, struct icl_err *err)
{
	struct impair_rule r[IMPAIR_ENDS_MAX];
	int stats_fd = -1;
	size_t n = 0;

	for (size_t i = 0; i < im->n; i++) {
		const struct end *e = &im->ends[i];

		if (strcmp(e->rx_node, node) != 0)
			continue;
		r[n++] = (struct impair_rule){e->rx_ifname, (uint16_t)i};
		stats_fd = e->stats_fd;
	}
	if (queues_bound(stats_fd) > n)
		return icl_err_set(err, -EBUSY, "another impair is running there");
	return impair_rules_load(r, n, err);
}

/* In node `node`: its rules (load) or none (!load). */
static int rules_in(const struct impair *im, const char *node, bool load, struct icl_err *err)
{
	int rc = topo_enter(im->t, node, err);

	if (rc < 0)
		return rc;
	rc = load ? node_rules(im, node, err) : impair_rules_remove(err);
	if (rc < 0)
		icl_err_wrap(err, "impair: node %s", node);
	if (topo_leave(im->t, rc < 0 ? NULL : err) < 0 && rc == 0)
		rc = err->code;
	return rc;
}

/* Whether ends before i arrive in end i's node (its rules are loaded). */
static bool node_seen_before(const struct impair *im, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(im->ends[k].rx_node, im->ends[i].rx_node) == 0)
			return true;
	return false;
}

/* Remove the tables of the nodes of ends [0, upto): failure cleanup, so
 * that no fail-closed rule without a reader is left behind. */
static void rules_remove(const struct impair *im, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (!node_seen_before(im, i))
			rules_in(im, im->ends[i].rx_node, false, NULL);
}

static int rules_load(const struct impair *im, struct icl_err *err)
{
	for (size_t i = 0; i < im->n; i++) {
		int rc = node_seen_before(im, i) ? 0 : rules_in(im, im->ends[i].rx_node, true, err);

		if (rc < 0) {
			rules_remove(im, i);
			return rc;
		}
	}
	return 0;
}

/* ---- public ------------------------------------------------------------- */

/* The spec was checked: its link exists and has an end on its node. */
static void end_init(struct end *e, struct impair *im, const struct impair_spec *s)
{
	const struct topo_link *l = topo_plan_link(topo_plan(im->t), s->link);
	const struct topo_end *rx = topo_link_end_on(l, s->node) == &l->end[0] ? &l->end[1]
									    : &l->end[0];

	e->im = im;
	e->spec = *s;
	e->rx_node = rx->node;
	e->rx_ifname = rx->ifname;
	e->tx_ifname = topo_link_end_on(l, s->node)->ifname;
	e->rng = s->seed;
	e->fd = -1;
	e->stats_fd = -1;
	e->tx_fd = -1;
	e->reads = s->duplicate > 0 || s->rate_bps > 0;
	if (s->rate_bps > 0) {
		double q = s->queue_bytes ? (double)s->queue_bytes
					  : (double)s->rate_bps / 8.0 * IMPAIR_RATE_QUEUE_MS / 1000.0;

		e->queue_limit = q < IMPAIR_RATE_QUEUE_MIN && !s->queue_bytes ? IMPAIR_RATE_QUEUE_MIN
									       : q;
		e->tau_ns = (uint64_t)((double)s->burst_bytes * 8e9 / (double)s->rate_bps);
	}
}

static int impair_alloc(const struct topo *t, const struct impair_spec *specs, size_t n,
			struct impair **out, struct icl_err *err)
{
	struct impair *im = calloc(1, sizeof(*im));

	if (im != NULL) {
		im->tfd = -1; /* before any failure: impair_stop closes it */
		im->ends = calloc(n, sizeof(*im->ends));
		im->cap = n * (IMPAIR_QUEUE_MAXLEN + IMPAIR_COPIES_MAX);
		im->heap = calloc(im->cap, sizeof(*im->heap));
	}
	if (im == NULL || im->ends == NULL || im->heap == NULL) {
		impair_stop(im);
		return icl_err_set(err, -ENOMEM, "impair: out of memory");
	}
	im->t = t;
	im->n = n;
	for (size_t i = 0; i < n; i++)
		end_init(&im->ends[i], im, &specs[i]);
	*out = im;
	return 0;
}

int impair_start(const struct topo *t, const struct impair_spec *specs, size_t n,
		 struct impair **out, struct icl_err *err)
{
	struct impair *im = NULL;
	int rc = check_specs(t, specs, n, err);

	*out = NULL;
	if (rc == 0)
		rc = impair_alloc(t, specs, n, &im, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = queue_open_in(im, i, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = tx_open_in(im, i, err);
	if (rc == 0)
		rc = loop_setup(im, err);
	/* The thread reads before the rules exist, so no packet waits. */
	if (rc == 0)
		rc = thread_start(im, err);
	if (rc == 0)
		rc = rules_load(im, err);
	if (rc < 0) {
		impair_stop(im);
		return rc;
	}
	*out = im;
	return 0;
}

void impair_counters(const struct impair *im, size_t i, struct impair_counters *out)
{
	const struct end *e = &im->ends[i];

	out->seen = atomic_load_explicit(&e->seen, memory_order_relaxed);
	out->lost = atomic_load_explicit(&e->lost, memory_order_relaxed);
	out->reordered = atomic_load_explicit(&e->reordered, memory_order_relaxed);
	out->duplicated = atomic_load_explicit(&e->duplicated, memory_order_relaxed);
	out->rate_dropped = atomic_load_explicit(&e->rate_dropped, memory_order_relaxed);
	out->errors = atomic_load_explicit(&e->errors, memory_order_relaxed);
	queue_stats(e->stats_fd, (unsigned)i, &out->queue_full, &out->overflow);
}

/* Unbind and close one end's socket.  The unbind waits for the kernel's
 * answer and may meet queued packets on the way: `stopping` makes
 * on_packet ignore them (the kernel drops them with the queue), and
 * NETLINK_NO_ENOBUFS keeps an overflow from failing the unbind, which
 * would leak the library's queue handle. */
static void end_close(struct end *e)
{
	int one = 1;

	if (e->qh != NULL) {
		setsockopt(e->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
		nfq_destroy_queue(e->qh);
	}
	if (e->h != NULL)
		nfq_close(e->h);
	if (e->stats_fd >= 0)
		close(e->stats_fd);
	if (e->tx_fd >= 0)
		close(e->tx_fd);
	while (e->n_sent > 0)
		sent_forget(e, e->n_sent - 1);
}

void impair_stop(struct impair *im)
{
	if (im == NULL)
		return;
	if (im->thread_running) {
		uv_async_send(&im->stop);
		pthread_join(im->tid, NULL);
	} else if (im->loop_ready) {
		/* Set up but never run: close the handles here. */
		on_stop(&im->stop);
		uv_run(&im->loop, UV_RUN_DEFAULT);
	}
	im->stopping = true;
	if (im->loop_ready)
		uv_loop_close(&im->loop);
	for (size_t i = 0; im->ends != NULL && i < im->n; i++)
		end_close(&im->ends[i]);
	if (im->tfd >= 0)
		close(im->tfd);
	for (size_t k = 0; im->heap != NULL && k < im->len; k++)
		free(im->heap[k].copy);
	free(im->heap);
	free(im->ends);
	free(im);
}

/* ---- from the plan ---------------------------------------------------------- */

uint64_t impair_end_seed(uint64_t seed, const char *link, int end)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a of the link's name */

	for (; *link; link++)
		h = (h ^ (unsigned char)*link) * 1099511628211ull;
	h ^= seed * 0x9e3779b97f4a7c15ull + (uint64_t)end + 1;
	return rng_next(&h);
}

static void spec_of(const struct topo_link *l, int k, uint64_t seed, struct impair_spec *s)
{
	const struct topo_impair *ti = &l->impair[k];

	memset(s, 0, sizeof(*s));
	snprintf(s->link, sizeof(s->link), "%s", l->name);
	snprintf(s->node, sizeof(s->node), "%s", l->end[k].node);
	s->delay_ms = ti->delay_ms;
	s->jitter_ms = ti->jitter_ms;
	s->loss = ti->loss;
	s->reorder = ti->reorder;
	s->duplicate = ti->duplicate;
	s->rate_bps = ti->rate_bps;
	s->queue_bytes = ti->queue_bytes;
	s->burst_bytes = ti->burst_bytes;
	s->seed = impair_end_seed(l->has_impair_seed ? l->impair_seed : seed, l->name, k);
}

int impair_start_plan(const struct topo *t, uint64_t seed, struct impair **out,
		      struct icl_err *err)
{
	const struct topo_plan *p = topo_plan(t);
	struct impair_spec *specs;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < p->n_links; i++)
		n += (size_t)p->links[i].impair[0].set + (size_t)p->links[i].impair[1].set;
	if (n == 0)
		return 0;
	specs = calloc(n, sizeof(*specs));
	if (specs == NULL)
		return icl_err_set(err, -ENOMEM, "impair: out of memory");
	n = 0;
	for (size_t i = 0; rc == 0 && i < p->n_links; i++)
		for (int k = 0; rc == 0 && k < 2; k++) {
			char what[TOPO_NAME_MAX + 32];

			if (!p->links[i].impair[k].set)
				continue;
			spec_of(&p->links[i], k, seed, &specs[n]);
			snprintf(what, sizeof(what), "links.%s.impair.%c", p->links[i].name,
				 "ab"[k]);
			rc = check_spec(p, &specs[n++], what, err);
		}
	if (rc == 0 && n > IMPAIR_ENDS_MAX)
		rc = icl_err_set(err, ICL_EINPUT, "impair: %zu link ends impaired (at most %u)", n,
				 IMPAIR_ENDS_MAX);
	if (rc == 0)
		rc = impair_start(t, specs, n, out, err);
	free(specs);
	return rc;
}

size_t impair_count(const struct impair *im)
{
	return im != NULL ? im->n : 0;
}

int impair_index(const struct impair *im, const char *link, const char *node)
{
	for (size_t i = 0; im != NULL && i < im->n; i++)
		if (strcmp(im->ends[i].spec.link, link) == 0 &&
		    strcmp(im->ends[i].spec.node, node) == 0)
			return (int)i;
	return -1;
}
