/* link.h - links, addresses and routes over rtnetlink.
 *
 * Requests are built with libnl-route-3 and sent in batches: one write
 * carries many requests, the kernel processes them in order and answers
 * each; an answer names the request it belongs to, so a failure still
 * reports which request failed.  There is no lookup before a change: the
 * caller chooses every interface index when it creates the link.
 *
 * A socket acts on the network namespace it was opened in, whatever the
 * namespace of the thread that uses it later.
 */
#ifndef NETNS_LINK_H
#define NETNS_LINK_H

#include "plan.h"

/* An rtnetlink socket (O_CLOEXEC) in the calling thread's namespace. */
int link_sock_open(int *fd, struct icl_err *err);

/* A veth pair: `name` in the socket's namespace, `peer` in the namespace
 * `peer_ns_fd`; both with the given interface indexes.  `name` is created
 * up, `peer` down: the kernel cannot bring a veth end up before its peer
 * exists, which for `peer` is during the same request. */
struct link_veth {
	const char *name;
	int ifindex;
	const char *peer;
	int peer_ifindex;
	int peer_ns_fd;
	unsigned mtu; /* 0: kernel default */
};

struct link_batch;

struct link_batch *link_batch_new(void);
void link_batch_free(struct link_batch *b);

/* Queue one request; `what` describes it in an error message.  An
 * allocation failure is remembered and reported by link_batch_run(). */
void link_batch_veth(struct link_batch *b, const struct link_veth *v, const char *what);
void link_batch_up(struct link_batch *b, int ifindex, const char *what);
/* IPv6 without duplicate address detection. */
void link_batch_addr(struct link_batch *b, int ifindex, const struct topo_prefix *p,
		     const char *what);
/* `ifindex` 0: the kernel chooses the device from the gateway. */
void link_batch_route(struct link_batch *b, const struct topo_route *r, int ifindex,
		      const char *what);

/* Answer neighbour solicitations for `addr` on `ifindex`: a proxy NDP
 * entry, answered without the kernel's random delay (proxy_delay 0 on
 * the link).  The kernel also needs forwarding and proxy_ndp there. */
void link_batch_proxy_ndp(struct link_batch *b, int ifindex, const unsigned char addr[16],
			  const char *what);

/* Send what is queued on `fd`, wait for every answer and empty the batch.
 * Fails with the first refused request ("WHAT: REASON"). */
int link_batch_run(int fd, struct link_batch *b, struct icl_err *err);

/* Readiness.  The kernel finishes links and IPv6 addresses asynchronously:
 * the carrier change goes through the link watcher, and each IPv6 address
 * is finished in a work queue that installs its local route.  A watch
 * listens to IPv6 route changes of one namespace; open it there before
 * the first link exists, so that no change is missed. */
struct link_watch;

int link_watch_open(struct link_watch **w, struct icl_err *err);
void link_watch_close(struct link_watch *w);

/* Link `ifindex` (`name` for messages) is ready once it has a link-local
 * address and every IPv6 address of `addrs` (others are ignored) has its
 * local route.  The link-local address is configured only after the link
 * watcher has activated the device with carrier, so it also says that the
 * link is running. */
int link_watch_expect(struct link_watch *w, int ifindex, const char *name,
		      const struct topo_prefix *addrs, size_t n_addr, struct icl_err *err);

/* Wait until every expected link is ready, at most `timeout_ms`. */
int link_watch_wait(struct link_watch *w, unsigned timeout_ms, struct icl_err *err);

#endif
