#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../netns/topo.h"

#define CAP_TIMEOUT_MS 10     /* unused in immediate mode, but must be set */
/* The kernel ring per end (see capture.h): libpcap gives each packet a
 * fixed slot of the snap length (TPACKET_V2, in immediate mode).  With
 * the snap length at 65535, as it was, 256 slots took 32 MiB per end in
 * 64 KiB blocks, and allocating them took 10-15 ms per end idle and
 * 100+ ms under memory pressure, in every case's setup.  The link's MTU
 * bounds what crosses it; the headroom covers the Ethernet header (and a
 * VLAN tag) with room to spare.  1024 slots: a flood (tests/hostile-test)
 * fills them 4 times slower than the 256 before. */
#define CAP_DEFAULT_MTU 1500
#define CAP_HEADROOM 256
#define CAP_SLOTS 1024
#define CAP_SLOT_OVERHEAD 128 /* libpcap's per-slot header and alignment */
#define CAP_BATCH 256         /* packets written per loop wakeup: bounds a callback's time */
#define CAP_FLUSH_ROUNDS 64   /* batches per end in capture_flush() */

struct cap_end {
	struct capture *cap;
	pcap_t *pcap;
	pcap_dumper_t *dump;
	uv_poll_t poll;
	bool polling;  /* poll handle initialized: needs uv_close() */
	bool failed;   /* stopped after an error, which is in cap->err */
	char label[2 * TOPO_NAME_MAX]; /* "link-node": file name stem and messages */
};

struct capture {
	size_t n_ends;
	size_t closing;      /* close callbacks still to come */
	struct icl_err err;  /* first error since start; code 0: none */
	struct cap_end ends[];
};

/* ---- errors ------------------------------------------------------------- */

/* Remember the first error; later ones are usually its consequences. */
static void cap_error(struct capture *c, int code, const char *label, const char *what,
		      const char *why)
{
	if (c->err.code == 0)
		icl_err_set(&c->err, code, "capture %s: %s: %s", label, what, why);
}

/* Record the error and stop reading this end: a failed pcap keeps failing. */
static void end_fail(struct cap_end *e, int code, const char *what, const char *why)
{
	cap_error(e->cap, code, e->label, what, why);
	e->failed = true;
	if (e->polling)
		uv_poll_stop(&e->poll);
}

static int pcap_code(int status)
{
	switch (status) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
		return -EPERM;
	default:
		return -EIO;
	}
}

/* ---- draining ----------------------------------------------------------- */

static void on_readable(uv_poll_t *h, int status, int events);

/* Write up to `max` queued packets (nonblocking); false once the end failed. */
static bool end_drain(struct cap_end *e, int max, int *got)
{
	int n = pcap_dispatch(e->pcap, max, pcap_dump, (u_char *)e->dump);

	*got = n > 0 ? n : 0;
	if (n < 0)
		end_fail(e, -EIO, "reading", pcap_geterr(e->pcap));
	return n >= 0;
}

static void end_flush_file(struct cap_end *e)
{
	errno = 0;
	if (pcap_dump_flush(e->dump) != 0 || ferror(pcap_dump_file(e->dump)))
		end_fail(e, errno ? -errno : -EIO, "writing", strerror(errno ? errno : EIO));
}

/* Kernel drops mean the file misses packets: the tests must know. */
static void end_check_drops(struct cap_end *e)
{
	struct pcap_stat st;
	char why[64];

	if (pcap_stats(e->pcap, &st) == 0 && st.ps_drop > 0) {
		snprintf(why, sizeof(why), "%u packets dropped by the kernel", st.ps_drop);
		cap_error(e->cap, -ENOBUFS, e->label, "file incomplete", why);
	}
}

/* libuv stopped the handle after reporting the socket error: watch again. */
static void end_rewatch(struct cap_end *e)
{
	int rc = uv_poll_start(&e->poll, UV_READABLE, on_readable);

	if (rc < 0)
		end_fail(e, rc, "polling", uv_strerror(rc));
}

/* A packet socket signals an error (POLLERR, which libuv reports as
 * UV_EBADF on a stopped handle) when its interface goes down, e.g. a test
 * taking a link down.  pcap_dispatch() consumes and judges that error: an
 * interface that is down is not fatal (the socket captures again once it
 * is up), a deleted one is. */
static void on_readable(uv_poll_t *h, int status, int events)
{
	struct cap_end *e = h->data;
	int got;

	(void)events;
	/* Level-triggered: what is left over wakes the loop again. */
	if (!end_drain(e, CAP_BATCH, &got))
		return;
	end_flush_file(e);
	if (status < 0 && !e->failed)
		end_rewatch(e);
}

int capture_flush(struct capture *c, struct icl_err *err)
{
	for (size_t i = 0; i < c->n_ends; i++) {
		struct cap_end *e = &c->ends[i];
		int got = 1;

		for (int r = 0; !e->failed && got > 0 && r < CAP_FLUSH_ROUNDS; r++)
			end_drain(e, CAP_BATCH, &got);
		if (!e->failed) {
			end_flush_file(e);
			end_check_drops(e);
		}
	}
	if (c->err.code == 0)
		return 0;
	if (err != NULL)
		*err = c->err;
	return c->err.code;
}

/* ---- one thread per end ------------------------------------------------- */

/* Setting up and releasing a packet socket's ring each wait for an RCU
 * grace period in the kernel (synchronize_net() in packet_set_ring() and
 * packet_release()), 6-30 ms each here: one after the other they took
 * 100-150 ms per case at each end of it.  Run side by side, the waits
 * overlap.  fn(arg(i)) runs for every i < n, in threads that block every
 * signal (signals stay with the caller's threads); one that cannot be
 * started runs in the caller's thread instead. */
struct end_thread {
	pthread_t tid;
	bool started;
};

static void per_end(size_t n, void *(*fn)(void *), void *base, size_t stride)
{
	struct end_thread *th = calloc(n + 1, sizeof(*th)); /* NULL: all inline */
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; i < n; i++) {
		void *arg = (char *)base + i * stride;

		if (th != NULL && pthread_create(&th[i].tid, NULL, fn, arg) == 0)
			th[i].started = true;
		else
			fn(arg);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (size_t i = 0; th != NULL && i < n; i++)
		if (th[i].started)
			pthread_join(th[i].tid, NULL);
	free(th);
}

/* ---- teardown ----------------------------------------------------------- */

static void *end_close_pcap(void *arg)
{
	struct cap_end *e = arg;

	if (e->pcap != NULL)
		pcap_close(e->pcap);
	e->pcap = NULL;
	return NULL;
}

static void on_closed(uv_handle_t *h)
{
	struct cap_end *e = h->data;
	struct capture *c = e->cap;

	if (--c->closing == 0)
		free(c);
}

/* Close everything; `dir` non-NULL also removes the files (failed start).
 * uv_close() takes the fd out of epoll at once, so pcap_close() may follow,
 * in threads (per_end). */
static void cap_release(struct capture *c, const char *dir)
{
	size_t closing = 0;

	for (size_t i = 0; i < c->n_ends; i++) {
		struct cap_end *e = &c->ends[i];
		char path[PATH_MAX];

		if (e->polling) {
			uv_close((uv_handle_t *)&e->poll, on_closed);
			closing++;
		}
		if (e->dump != NULL)
			pcap_dump_close(e->dump);
		if (dir != NULL && e->dump != NULL &&
		    snprintf(path, sizeof(path), "%s/%s.pcap", dir, e->label) < (int)sizeof(path))
			unlink(path);
	}
	per_end(c->n_ends, end_close_pcap, c->ends, sizeof(c->ends[0]));
	/* Counted after the threads: no close callback can run before the
	 * loop does, and none of them may free `c` while they touch it. */
	c->closing = closing;
	if (c->closing == 0)
		free(c);
}

int capture_stop(struct capture *c, struct icl_err *err)
{
	int rc;

	if (c == NULL)
		return 0;
	rc = capture_flush(c, err);
	cap_release(c, NULL);
	return rc;
}

/* ---- opening ------------------------------------------------------------ */

static int pcap_fail(pcap_t *p, int status, const char *label, const char *what,
		     struct icl_err *err)
{
	const char *why = status == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(status);

	return icl_err_set(err, pcap_code(status), "capture %s: %s: %s", label, what, why);
}

/* Immediate mode: every packet wakes the loop at once instead of waiting
 * for a ring block to fill (and libpcap then uses TPACKET_V2). */
static int pcap_open_iface(const char *ifname, unsigned mtu, const char *label, pcap_t **out,
			   struct icl_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(ifname, ebuf);
	int snaplen = (int)(mtu ? mtu : CAP_DEFAULT_MTU) + CAP_HEADROOM;
	int rc;

	if (p == NULL)
		return icl_err_set(err, -EIO, "capture %s: pcap_create: %s", label, ebuf);
	if ((rc = pcap_set_snaplen(p, snaplen)) != 0 ||
	    (rc = pcap_set_immediate_mode(p, 1)) != 0 ||
	    (rc = pcap_set_buffer_size(p, CAP_SLOTS * (snaplen + CAP_SLOT_OVERHEAD))) != 0 ||
	    (rc = pcap_set_timeout(p, CAP_TIMEOUT_MS)) != 0 ||
	    (rc = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO)) != 0) {
		rc = pcap_fail(p, rc, label, "configuring", err);
		pcap_close(p);
		return rc;
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		rc = pcap_fail(p, rc, label, ifname, err);
		pcap_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The packet socket is bound to the namespace it is created in: create it
 * inside the node, then come back. */
static int end_open_pcap(const struct topo *t, const struct topo_link *l,
			 const struct topo_end *te, struct cap_end *e, struct icl_err *err)
{
	int rc = topo_enter(t, te->node, err), rc2;

	if (rc < 0)
		return icl_err_wrap(err, "capture %s", e->label);
	rc = pcap_open_iface(te->ifname, l->mtu, e->label, &e->pcap, err);
	rc2 = topo_leave(t, rc < 0 ? NULL : err);
	return rc < 0 ? rc : rc2;
}

/* Nonblocking for the loop; close-on-exec so that agents spawned later do
 * not hold the capture sockets (and with them the namespaces). */
static int end_prepare_fd(struct cap_end *e, struct icl_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int fd = pcap_get_selectable_fd(e->pcap);

	if (fd < 0)
		return icl_err_set(err, -EIO, "capture %s: no selectable fd", e->label);
	if (pcap_setnonblock(e->pcap, 1, ebuf) < 0)
		return icl_err_set(err, -EIO, "capture %s: nonblocking: %s", e->label, ebuf);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return icl_err_set(err, -errno, "capture %s: close-on-exec: %s", e->label,
				   strerror(errno));
	return 0;
}

static int end_open_file(const char *dir, struct cap_end *e, struct icl_err *err)
{
	char path[PATH_MAX];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s.pcap", dir, e->label) >= (int)sizeof(path))
		return icl_err_set(err, -ENAMETOOLONG, "capture %s: path too long", e->label);
	f = fopen(path, "wbe");
	if (f == NULL)
		return icl_err_set(err, -errno, "capture %s: %s: %s", e->label, path,
				   strerror(errno));
	e->dump = pcap_dump_fopen(e->pcap, f);
	if (e->dump == NULL) {
		fclose(f);
		unlink(path);
		return icl_err_set(err, -EIO, "capture %s: %s: %s", e->label, path,
				   pcap_geterr(e->pcap));
	}
	return 0;
}

static int end_open(const struct topo *t, const struct topo_link *l, int side, const char *dir,
		    struct cap_end *e, struct icl_err *err)
{
	const struct topo_end *te = &l->end[side];
	int rc;

	snprintf(e->label, sizeof(e->label), "%s-%s", l->name, te->node);
	rc = end_open_pcap(t, l, te, e, err);
	if (rc == 0)
		rc = end_prepare_fd(e, err);
	if (rc == 0)
		rc = end_open_file(dir, e, err);
	return rc;
}

static int end_watch(uv_loop_t *loop, struct cap_end *e, struct icl_err *err)
{
	int rc = uv_poll_init(loop, &e->poll, pcap_get_selectable_fd(e->pcap));

	if (rc < 0)
		return icl_err_set(err, rc, "capture %s: uv_poll_init: %s", e->label,
				   uv_strerror(rc));
	e->polling = true;
	e->poll.data = e;
	rc = uv_poll_start(&e->poll, UV_READABLE, on_readable);
	if (rc < 0)
		return icl_err_set(err, rc, "capture %s: uv_poll_start: %s", e->label,
				   uv_strerror(rc));
	return 0;
}

static struct capture *cap_alloc(size_t n_ends)
{
	struct capture *c = calloc(1, sizeof(*c) + n_ends * sizeof(c->ends[0]));

	if (c == NULL)
		return NULL;
	c->n_ends = n_ends;
	for (size_t i = 0; i < n_ends; i++)
		c->ends[i].cap = c;
	return c;
}

/* One end's opening, in its own thread (per_end). */
struct end_job {
	const struct topo *t;
	const struct topo_link *l;
	int side;
	const char *dir;
	struct cap_end *e;
	struct icl_err err;
	int rc;
};

static void *end_open_job(void *arg)
{
	struct end_job *j = arg;

	j->rc = end_open(j->t, j->l, j->side, j->dir, j->e, &j->err);
	return NULL;
}

/* Every end opened, side by side; the first failure in end order. */
static int open_all(const struct topo *t, const char *dir, struct capture *c,
		    struct icl_err *err)
{
	const struct topo_plan *plan = topo_plan(t);
	struct end_job *jobs = calloc(c->n_ends + 1, sizeof(*jobs));
	int rc = 0;

	if (jobs == NULL)
		return icl_err_set(err, -ENOMEM, "capture: out of memory");
	for (size_t i = 0; i < c->n_ends; i++)
		jobs[i] = (struct end_job){ .t = t, .l = &plan->links[i / 2], .side = (int)(i % 2),
					    .dir = dir, .e = &c->ends[i] };
	per_end(c->n_ends, end_open_job, jobs, sizeof(jobs[0]));
	for (size_t i = 0; rc == 0 && i < c->n_ends; i++) {
		if ((rc = jobs[i].rc) < 0)
			*err = jobs[i].err;
	}
	free(jobs);
	return rc;
}

int capture_start(const struct topo *t, uv_loop_t *loop, const char *dir, struct capture **out,
		  struct icl_err *err)
{
	const struct topo_plan *plan = topo_plan(t);
	struct capture *c = cap_alloc(2 * plan->n_links);
	int rc;

	*out = NULL;
	if (c == NULL)
		return icl_err_set(err, -ENOMEM, "capture: out of memory");
	/* Every capture opened before any is watched: a failure at this stage
	 * can still be undone synchronously. */
	rc = open_all(t, dir, c, err);
	for (size_t i = 0; rc == 0 && i < c->n_ends; i++)
		rc = end_watch(loop, &c->ends[i], err);
	if (rc < 0) {
		cap_release(c, dir);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

#define CAP_ETH_HLEN 14
#define CAP_IP4_HLEN 20
#define CAP_IP6_HLEN 40
#define CAP_UDP_HLEN 8
#define CAP_PROTO_UDP 17

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* `d`/`cap`: the IP payload as captured; `ip_len`: its length per the IP
 * header.  Fills ports and payload; false if no whole UDP header. */
static bool parse_udp(const uint8_t *d, size_t cap, size_t ip_len, struct capture_pkt *p)
{
	size_t ulen, have;

	if (cap < CAP_UDP_HLEN || ip_len < CAP_UDP_HLEN)
		return false;
	ulen = rd16(d + 4);
	if (ulen < CAP_UDP_HLEN || ulen > ip_len) /* also IPv6 jumbograms (0) */
		return false;
	have = min_sz(ulen, cap);
	p->sport = rd16(d);
	p->dport = rd16(d + 2);
	p->payload = d + CAP_UDP_HLEN;
	p->len = have - CAP_UDP_HLEN;
	p->truncated = have < ulen;
	return true;
}

static bool parse_ipv4(const uint8_t *d, size_t cap, struct capture_pkt *p)
{
	size_t ihl, tot;

	if (cap < CAP_IP4_HLEN || d[0] >> 4 != 4)
		return false;
	ihl = (size_t)(d[0] & 0x0f) * 4;
	tot = rd16(d + 2);
	/* Fragments (MF set or offset non-zero) hold no whole datagram. */
	if (ihl < CAP_IP4_HLEN || ihl > cap || tot < ihl || (rd16(d + 6) & 0x3fff) != 0 ||
	    d[9] != CAP_PROTO_UDP)
		return false;
	p->family = AF_INET;
	memcpy(&p->src.v4, d + 12, 4);
	memcpy(&p->dst.v4, d + 16, 4);
	return parse_udp(d + ihl, cap - ihl, tot - ihl, p);
}

/* Only UDP right after the fixed header; extension headers are skipped. */
static bool parse_ipv6(const uint8_t *d, size_t cap, struct capture_pkt *p)
{
	if (cap < CAP_IP6_HLEN || d[0] >> 4 != 6 || d[6] != CAP_PROTO_UDP)
		return false;
	p->family = AF_INET6;
	memcpy(&p->src.v6, d + 8, 16);
	memcpy(&p->dst.v6, d + 24, 16);
	return parse_udp(d + CAP_IP6_HLEN, cap - CAP_IP6_HLEN, rd16(d + 4), p);
}

/* Ethernet, through any 802.1Q / 802.1ad tags. */
static bool parse_frame(const uint8_t *d, size_t cap, struct capture_pkt *p)
{
	size_t off = CAP_ETH_HLEN;
	uint16_t type;

	if (cap < CAP_ETH_HLEN)
		return false;
	type = rd16(d + 12);
	while ((type == 0x8100 || type == 0x88a8) && cap >= off + 4) {
		type = rd16(d + off + 2);
		off += 4;
	}
	if (type == 0x0800)
		return parse_ipv4(d + off, cap - off, p);
	if (type == 0x86dd)
		return parse_ipv6(d + off, cap - off, p);
	return false;
}

static int scan_open(const char *path, pcap_t **out, struct icl_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	FILE *f = fopen(path, "rbe");
	pcap_t *p;

	if (f == NULL)
		return icl_err_set(err, -errno, "%s: %s", path, strerror(errno));
	/* Nanosecond timestamps whatever the file's precision. */
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (p == NULL) {
		fclose(f);
		return icl_err_set(err, -EINVAL, "%s: not a pcap file: %s", path, ebuf);
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		icl_err_set(err, -EINVAL, "%s: link type %s, expected Ethernet", path,
			    pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return -EINVAL;
	}
	*out = p;
	return 0;
}

int capture_scan(const char *path, int (*cb)(void *user, const struct capture_pkt *p),
		 void *user, struct icl_err *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = NULL;
	size_t frame = 0;
	int n = 0, rc = scan_open(path, &pc, err);

	if (rc < 0)
		return rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct capture_pkt p = {.frame = ++frame};

		if (!parse_frame(data, h->caplen, &p))
			continue;
		p.ts.tv_sec = h->ts.tv_sec;
		p.ts.tv_nsec = h->ts.tv_usec; /* nanoseconds: opened with that precision */
		p.t = (double)p.ts.tv_sec + (double)p.ts.tv_nsec / 1e9;
		n++;
		if (cb != NULL && cb(user, &p) != 0)
			break;
	}
	if (rc == PCAP_ERROR)
		n = icl_err_set(err, -EIO, "%s: frame %zu: %s", path, frame + 1, pcap_geterr(pc));
	pcap_close(pc);
	return n;
}
