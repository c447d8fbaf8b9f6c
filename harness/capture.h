/* capture.h - record every link of a running topology to pcap files, and
 * read such files back for assertions.
 *
 * capture_start() opens one libpcap capture on each end of each veth link,
 * so a packet is recorded once on the sender's side and once on the
 * receiver's side of every link it crosses; a packet dropped by a router's
 * filter shows up on the link it came in on and on no other.  The file of
 * the end of link L on node N is `<dir>/L-N.pcap` (Ethernet link type,
 * nanosecond timestamps, snap length 65535).  The module writes nothing
 * anywhere else.
 *
 * A capture socket is created inside the node's namespace and keeps it: the
 * namespaces (and their links) live until capture_stop(), even after
 * topo_down().  Call capture_stop() first.
 *
 * Threading: a capture belongs to the thread that runs `loop`.  Packets are
 * written to the files from the loop's callbacks; each callback flushes, so
 * after the loop ran the files hold every packet it has seen.  Starting and
 * stopping open and close the ends' sockets side by side, in short-lived
 * threads (each in its end's node) joined before they return: the kernel
 * waits for an RCU grace period on each.
 *
 * Capacity: each end's kernel ring holds 1024 packets (libpcap's 2 MB
 * default held 32 of its 64 KiB slots, which a flood of 5000 datagrams/s
 * overran, tests/hostile-test).  A packet is kept up to the link's MTU
 * plus 256 bytes (the snap length sizes each slot); a longer one, which
 * only offloads could make, is kept truncated, and so marked
 * (capture_pkt.truncated).  If the loop stalls for longer than that many
 * packets on one end, the kernel drops them from the capture (not from the
 * network) and capture_flush()/capture_stop() report it.
 * A link taken down and up again keeps being captured; a deleted one ends
 * its capture with an error.
 */
#ifndef HARNESS_CAPTURE_H
#define HARNESS_CAPTURE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "../common/err.h"

struct topo;
struct capture;

/* Start capturing every link end of `t` into files in the existing
 * directory `dir` (files of the same names are overwritten).  Moves the
 * calling thread into each node and back, like topo_up(); `t` and `dir`
 * are not used after the call.  Packets are recorded from the moment this
 * returns; earlier ones are not.
 *
 * On success `*out` is owned by the caller until capture_stop().  On
 * failure `*out` is NULL, the files created are removed and everything is
 * released, except that - as with capture_stop() - memory tied to uv
 * handles is freed by their close callbacks: run the loop once more
 * (uv_run(loop, UV_RUN_NOWAIT) suffices) before uv_loop_close(). */
int capture_start(const struct topo *t, uv_loop_t *loop, const char *dir, struct capture **out,
		  struct icl_err *err);

/* Write what the kernel has queued but the loop has not picked up yet, and
 * flush the files, without running the loop.  Returns the first error the
 * capture has met since it started (a write error, a capture socket that
 * failed, e.g. because its interface was deleted, or packets the kernel
 * dropped because the loop did not drain fast enough, which would make the
 * files incomplete); the error stays until capture_stop(). */
int capture_flush(struct capture *c, struct icl_err *err);

/* capture_flush(), then close the captures and the files: on return the
 * files are complete and may be read.  `c` must not be used afterwards.
 * Its memory is released by uv close callbacks: the caller must run the
 * loop at least once more (uv_run(loop, UV_RUN_NOWAIT) suffices) before
 * uv_loop_close(), as for any libuv handle.  Returns capture_flush()'s
 * result; `c` is released either way.  NULL is allowed (returns 0). */
int capture_stop(struct capture *c, struct icl_err *err);

/* One UDP datagram read from a capture file. */
struct capture_pkt {
	size_t frame;          /* 1-based number of the frame in the file, as tshark counts */
	struct timespec ts;    /* capture time (CLOCK_REALTIME), to the nanosecond */
	double t;              /* the same in seconds; a double keeps only ~0.5 us of it */
	int family;            /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} src, dst;            /* the member of `family` */
	uint16_t sport, dport; /* host byte order */
	const uint8_t *payload; /* valid only during the callback */
	size_t len;            /* payload bytes in the file */
	bool truncated;        /* the datagram was longer than `len` (snap length) */
};

/* Call `cb` for each UDP datagram of the Ethernet pcap file `path`, in file
 * order.  Frames that are not IPv4/IPv6 UDP (ARP, ICMP, IP fragments, UDP
 * behind IPv6 extension headers, malformed headers) are skipped.  `cb`
 * returns 0 to go on, anything else to stop early; NULL only counts.
 *
 * Returns the number of datagrams given to `cb`, or a negative errno with
 * `err` naming the file and the reason (missing file, not a pcap file,
 * another link type, truncated record).  Any thread; no state kept. */
int capture_scan(const char *path, int (*cb)(void *user, const struct capture_pkt *p),
		 void *user, struct icl_err *err);

#endif
