/* impair.h - seeded delay, jitter, loss, reordering, duplication and rate
 * limiting on link ends.
 *
 * The kernel icelab runs on may have no sch_netem, so impairment is done
 * with NFQUEUE.  The packets that a node sends on a link are held where
 * they arrive, at the link's other end: in that node's namespace,
 * nftables rules (netns/impair_rules.h: hook prerouting, before conntrack)
 * queue every packet coming in on the interface to icelab.  A thread of
 * icelab decides each packet's fate from a PRNG seeded per impaired end
 * and gives the kernel its verdict: NF_DROP at once for a lost packet,
 * NF_ACCEPT when its delay has expired.  Only the verdict crosses to user
 * space; the packet itself stays in the kernel (ends that duplicate or
 * limit the rate also read the packet: its length, and the bytes of a
 * copy).
 *
 * Why on arrival, not on departure: a packet held in its sender's
 * postrouting hook has a conntrack entry that is confirmed only when the
 * packet goes on, so on a NAT every packet of a new flow sent during the
 * delay was mapped on its own (measured: one flow, 50 packets, 16 source
 * ports).  On arrival the packet has left the sender, conntrack and NAT
 * included, exactly as on a real link, and it no longer counts against the
 * sending socket's buffer.
 *
 * Duplication: the copy is sent on the link again, at the time it is due,
 * by a packet socket on the sender's end (after the sender's netfilter,
 * as the original was), so both ends' captures show it; it arrives in the
 * same queue, is recognised by its bytes and let through at once.  Rate:
 * a token bucket on the bytes of the IP packets (`burst` bytes deep; 0:
 * each packet leaves when its last bit would have been sent), with a FIFO
 * of at most `queue_bytes` waiting bytes in front of it (tail drop).  The
 * delay is added after the rate's queue, as on a real path: bottleneck,
 * then propagation.
 *
 * Fail-closed: the rule has no `bypass`.  A queue with nobody bound to it
 * (after impair_stop) and a full queue both drop packets; a packet never
 * leaves unimpaired, so a test that asked for 50 ms cannot pass on a 0 ms
 * path.  If icelab dies, its namespaces die with it and so do the rules.
 *
 * Not impaired: IPv6 neighbour/router discovery and MLD (ICMPv6 types
 * 130-143), IGMP, and ARP (which never crosses the IP hooks): link-local
 * control traffic works as on the plain link, and the seeded decisions see
 * only the test's traffic.
 *
 * Determinism: each packet of an end draws exactly four numbers from that
 * end's PRNG (loss, reorder, jitter, duplicate) whatever the outcome, and
 * copies draw none, so the same seed and the same sequence of packets
 * leaving the end give the same decisions, and the loss pattern does not
 * depend on the other settings.  The rate has no randomness.
 */
#ifndef NETNS_IMPAIR_H
#define NETNS_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "topo.h"

#define IMPAIR_DELAY_MAX_MS 60000u /* delay + jitter; keeps the queue bounded */
#define IMPAIR_ENDS_MAX 64u        /* specs per impair_start */
/* Packets held per end; delay x packet rate beyond it is dropped (80 000
 * packets/s at 100 ms). */
#define IMPAIR_QUEUE_MAXLEN 8192u
/* Copies of one end waiting to be sent or to come back (beyond: not
 * duplicated, counted in `errors`). */
#define IMPAIR_COPIES_MAX 1024u
/* The rate's queue when queue_bytes is 0: what the rate sends in this
 * long, at least IMPAIR_RATE_QUEUE_MIN bytes. */
#define IMPAIR_RATE_QUEUE_MS 100u
#define IMPAIR_RATE_QUEUE_MIN 3000u

/* One direction of one link: the packets that `node` sends on `link`. */
struct impair_spec {
	char link[TOPO_NAME_MAX];
	char node[TOPO_NAME_MAX]; /* one of the link's two ends */
	unsigned delay_ms;        /* added to every packet that is not lost */
	unsigned jitter_ms;       /* uniform in [-jitter, +jitter] (microsecond
				   * steps), the sum clamped at 0; jitter may
				   * reorder packets, as on a real path */
	double loss;              /* probability in [0, 1] that a packet is dropped */
	double reorder;           /* probability in [0, 1] that a packet is sent at
				   * once, overtaking the delayed ones */
	double duplicate;         /* probability in [0, 1] that a packet that is
				   * not lost is also sent a second time */
	uint64_t rate_bps;        /* bits per second of IP packets; 0: no limit */
	uint32_t queue_bytes;     /* bytes waiting for the rate before tail drop;
				   * 0: IMPAIR_RATE_QUEUE_MS worth */
	uint32_t burst_bytes;     /* token bucket depth; 0: none */
	uint64_t seed;            /* same seed + same packets = same decisions */
};

/* What one end has done so far.  Read while running: each field is exact,
 * but the fields are not a snapshot of one instant. */
struct impair_counters {
	uint64_t seen;       /* packets queued to icelab */
	uint64_t lost;       /* dropped by the loss decision */
	uint64_t reordered;  /* sent at once by the reorder decision */
	uint64_t duplicated; /* copies sent on the link (not counted in seen) */
	uint64_t rate_dropped; /* dropped by the rate's full queue */
	/* Dropped by the kernel, never seen (fail-closed), as its
	 * /proc/net/netfilter/nfnetlink_queue counts them: */
	uint64_t queue_full; /* IMPAIR_QUEUE_MAXLEN packets were already held */
	uint64_t overflow;   /* the notification socket's buffer was full */
	uint64_t errors;     /* verdicts the kernel refused, copies not sent */
};

struct impair;

/* Impair the `n` link ends in `specs` (copied; the array may be freed on
 * return) of topology `t`, which must stay up until impair_stop().  Call
 * from the thread that owns `t`, in its home namespace: the thread enters
 * the nodes to load the rules and open the queue sockets, and is back home
 * on return.  One impair at a time per node where packets arrive: a second
 * fails with -EBUSY; starting again after impair_stop() replaces the
 * rules.  On success *out is owned by the caller and one background
 * thread is running; on failure nothing of it is left: no rule, socket or
 * thread.
 * Bad specs (unknown link, node not on it, duplicate end, probability out
 * of [0, 1], delay too long) fail with ICL_EINPUT naming the spec. */
int impair_start(const struct topo *t, const struct impair_spec *specs, size_t n,
		 struct impair **out, struct icl_err *err);

/* The impairment that the links of t's plan ask for (`impair` of struct
 * topo_link), started as impair_start() does: the ends in plan order (link
 * by link, a before b), each end's PRNG seeded from the link's own seed if
 * it has one, else from `seed`, mixed with the link's name and the end, so
 * that no two ends draw the same numbers.  *out is NULL (and 0 returned)
 * when no link is impaired. */
int impair_start_plan(const struct topo *t, uint64_t seed, struct impair **out,
		      struct icl_err *err);

/* The seed of end `end` (0 = a, 1 = b) of link `link` given the link's or
 * the run's `seed` (what impair_start_plan uses). */
uint64_t impair_end_seed(uint64_t seed, const char *link, int end);

/* How many ends `im` impairs, and the index of the end where `node` sends
 * on `link` (-1 if not impaired). */
size_t impair_count(const struct impair *im);
int impair_index(const struct impair *im, const char *link, const char *node);

/* Counters of specs[i] as given to impair_start.  Any thread; reads the
 * kernel's queue statistics (a few microseconds). */
void impair_counters(const struct impair *im, size_t i, struct impair_counters *out);

/* Stop the thread, unbind the queues, close every socket and free `im`
 * (NULL is allowed).  Packets still being delayed are dropped by the
 * kernel.  The rules stay until the namespace goes, and being fail-closed
 * they then drop everything the impaired ends send: stop impairing when the
 * topology is done, or start a new impair on it.  Any thread but the
 * impair's own; `im` must not be used concurrently. */
void impair_stop(struct impair *im);

#endif
