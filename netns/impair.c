/* impair.c - link impairment through NFQUEUE (design in impair.h).
 *
 * One struct impair = one thread running its own libuv loop.  It polls one
 * nfqueue netlink socket per impaired end and one timerfd.  Held packets
 * wait in a binary min-heap ordered by (release time, arrival number), so
 * equal release times keep arrival order; the timerfd is armed for the
 * heap's top.  A timerfd rather than a uv timer: uv timers count whole
 * milliseconds of a cached loop clock, which would add up to 1 ms of error
 * to each direction.
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
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <uv.h>

#include "impair_rules.h"

/* Socket buffer for queue notifications: they wait there only until the
 * thread reads them, but a burst must not overflow it. */
#define IMPAIR_RCVBUF (4 * 1024 * 1024)
#define IMPAIR_RECV_BATCH 64      /* reads per wake-up, so the timer is not starved */

/* A packet whose verdict is due at `due_ns`. */
struct held {
	uint64_t due_ns;
	uint64_t seq; /* arrival number: FIFO among equal due times */
	uint32_t id;  /* the kernel's packet id in its queue */
	uint32_t end; /* index into impair->ends */
};

/* One impaired end: its spec, PRNG and queue socket.  Its packets are
 * held where they arrive: rx_ifname in node rx_node, the link's other end
 * (impair.h says why); both point into the plan. */
struct end {
	struct impair *im;
	struct impair_spec spec;
	const char *rx_node, *rx_ifname;
	uint64_t rng;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	int stats_fd; /* the node's /proc/net/netfilter/nfnetlink_queue */
	uv_poll_t poll;
	_Atomic uint64_t seen, lost, reordered, errors;
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
	char buf[65536]; /* receive buffer, used by the thread only */
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

/* Three draws per packet whatever happens (see impair.h: determinism). */
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct end *e = data;
	struct impair *im = e->im;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	double u_loss, u_reorder;
	uint64_t d;
	uint32_t id;

	(void)qh;
	(void)msg;
	if (ph == NULL || im->stopping)
		return 0;
	id = ntohl(ph->packet_id);
	u_loss = rng_unit(&e->rng);
	u_reorder = rng_unit(&e->rng);
	d = delay_ns(&e->spec, rng_next(&e->rng));
	count(&e->seen);
	if (u_loss < e->spec.loss) {
		count(&e->lost);
		verdict(e, id, NF_DROP);
	} else if (u_reorder < e->spec.reorder) {
		count(&e->reordered);
		verdict(e, id, NF_ACCEPT);
	} else if (d == 0 || im->len == im->cap) {
		/* Full cannot happen (cap = the queues' limits); never overrun. */
		verdict(e, id, NF_ACCEPT);
	} else {
		heap_push(im, (struct held){now_ns() + d, im->seq++, id, (uint32_t)(e - im->ends)});
	}
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

static int check_spec(const struct topo_plan *p, const struct impair_spec *s, size_t i,
		      struct icl_err *err)
{
	const struct topo_link *l = topo_plan_link(p, s->link);

	if (l == NULL)
		return icl_err_set(err, ICL_EINPUT, "impair %zu: no link named '%s'", i + 1,
				   s->link);
	if (topo_link_end_on(l, s->node) == NULL)
		return icl_err_set(err, ICL_EINPUT, "impair %zu: link '%s' has no end on node '%s'",
				   i + 1, s->link, s->node);
	if (!is_prob(s->loss) || !is_prob(s->reorder))
		return icl_err_set(err, ICL_EINPUT,
				   "impair %zu: loss and reorder must be in [0, 1]", i + 1);
	if ((uint64_t)s->delay_ms + s->jitter_ms > IMPAIR_DELAY_MAX_MS)
		return icl_err_set(err, ICL_EINPUT, "impair %zu: delay + jitter above %u ms", i + 1,
				   IMPAIR_DELAY_MAX_MS);
	return 0;
}

static int check_specs(const struct topo *t, const struct impair_spec *specs, size_t n,
		       struct icl_err *err)
{
	if (n == 0 || n > IMPAIR_ENDS_MAX)
		return icl_err_set(err, ICL_EINPUT, "impair: %zu link ends given (1 to %u)", n,
				   IMPAIR_ENDS_MAX);
	for (size_t i = 0; i < n; i++) {
		int rc = check_spec(topo_plan(t), &specs[i], i, err);

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
	/* Only the packet id is needed; GSO packets need not be segmented
	 * for a copy nobody reads. */
	if (nfq_set_mode(e->qh, NFQNL_COPY_META, 0) < 0 ||
	    nfq_set_queue_maxlen(e->qh, IMPAIR_QUEUE_MAXLEN) < 0 ||
	    nfq_set_queue_flags(e->qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0)
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
	return queue_tune(e, i, err);
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
	e->rng = s->seed;
	e->fd = -1;
	e->stats_fd = -1;
}

static int impair_alloc(const struct topo *t, const struct impair_spec *specs, size_t n,
			struct impair **out, struct icl_err *err)
{
	struct impair *im = calloc(1, sizeof(*im));

	if (im != NULL) {
		im->tfd = -1; /* before any failure: impair_stop closes it */
		im->ends = calloc(n, sizeof(*im->ends));
		im->cap = n * IMPAIR_QUEUE_MAXLEN;
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
	free(im->heap);
	free(im->ends);
	free(im);
}
