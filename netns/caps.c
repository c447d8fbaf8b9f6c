#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/netfilter.h>
#include <linux/pkt_sched.h>
#include <net/if.h>

#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>

#include "impair_rules.h"
#include "link.h"
#include "nft.h"
#include "ns.h"

/* Interface indexes and names of the probes: their own namespace, so any. */
#define PROBE_VETH_A 100
#define PROBE_VETH_B 101
#define PROBE_TUN "icltun0"
#define PROBE_TABLE "icelab_caps"
#define QUEUE_STATS "/proc/thread-self/net/netfilter/nfnetlink_queue"

int caps_scratch(int (*fn)(void *arg, struct icl_err *err), void *arg, struct icl_err *err)
{
	struct icl_err back;
	int home, scratch, rc;

	if ((rc = ns_open_current(&home, err)) < 0)
		return rc;
	if ((rc = ns_create(&scratch, err)) < 0) {
		close(home);
		return rc;
	}
	rc = fn(arg, err);
	if (ns_enter(home, &back) < 0) {
		/* The thread is stranded in the scratch namespace: say so, it
		 * matters more than the probe's own outcome. */
		rc = icl_err_set(err, back.code, "returning from the scratch namespace: %s",
				 back.msg);
	}
	close(scratch);
	close(home);
	return rc;
}

static int tun_probe(void *arg, struct icl_err *err)
{
	(void)arg;
	return caps_tun_here(err);
}

int caps_tun(struct icl_err *err)
{
	return caps_scratch(tun_probe, NULL, err);
}

int caps_tun_here(struct icl_err *err)
{
	struct ifreq ifr = {.ifr_flags = IFF_TUN | IFF_NO_PI};
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return icl_err_set(err, -errno, "open /dev/net/tun: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PROBE_TUN);
	if (ioctl(fd, TUNSETIFF, &ifr) != 0)
		rc = icl_err_set(err, -errno, "/dev/net/tun: TUNSETIFF: %s", strerror(errno));
	close(fd); /* not persistent: the device goes with the fd */
	return rc;
}

int caps_veth(struct icl_err *err)
{
	struct link_batch *b = link_batch_new();
	int ns = -1, sock = -1, rc;

	if (b == NULL)
		return icl_err_set(err, -ENOMEM, "veth: out of memory");
	if ((rc = ns_open_current(&ns, err)) == 0 && (rc = link_sock_open(&sock, err)) == 0) {
		struct link_veth v = {.name = "iclcaps0", .ifindex = PROBE_VETH_A,
				      .peer = "iclcaps1", .peer_ifindex = PROBE_VETH_B,
				      .peer_ns_fd = ns};

		link_batch_veth(b, &v, "creating a veth pair");
		link_batch_up(b, PROBE_VETH_B, "setting a veth end up");
		rc = link_batch_run(sock, b, err);
	}
	link_batch_free(b);
	if (sock >= 0)
		close(sock);
	if (ns >= 0)
		close(ns);
	return rc;
}

int caps_sysctl(struct icl_err *err)
{
	int rc = ns_sysctl_write("net/ipv4/ip_forward", "1", err);

	return rc < 0 ? rc : ns_sysctl_write("net/ipv6/conf/all/forwarding", "1", err);
}

int caps_nft_nat(struct icl_err *err)
{
	return nft_apply("add table ip " PROBE_TABLE "\n"
			 "add chain ip " PROBE_TABLE " post { type nat hook postrouting "
			 "priority 100; }\n"
			 "add rule ip " PROBE_TABLE " post oifname \"iclcaps0\" masquerade\n",
			 err);
}

int caps_conntrack(struct icl_err *err)
{
	return nft_apply("add table inet " PROBE_TABLE "_ct\n"
			 "add chain inet " PROBE_TABLE "_ct probe { type filter hook forward "
			 "priority 0; }\n"
			 "add rule inet " PROBE_TABLE "_ct probe ct state established,related "
			 "accept\n",
			 err);
}

int caps_netem(struct icl_err *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc = sk && q ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;

	if (rc == 0) {
		rtnl_tc_set_ifindex(TC_CAST(q), (int)if_nametoindex("lo"));
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rc = rtnl_tc_set_kind(TC_CAST(q), "netem");
	}
	if (rc == 0) {
		rtnl_netem_set_delay(q, 10000);
		rc = rtnl_qdisc_add(sk, q, NLM_F_CREATE);
	}
	if (q)
		rtnl_qdisc_put(q);
	if (sk)
		nl_socket_free(sk);
	if (rc < 0)
		return icl_err_set(err, -EOPNOTSUPP, "tc qdisc add dev lo root netem: %s",
				   nl_geterror(rc));
	return 0;
}

static int queue_cb(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		    void *data)
{
	(void)qh;
	(void)msg;
	(void)nfa;
	(void)data;
	return 0;
}

/* Bind queue 0 and open its statistics, as netns/impair.c does. */
static int queue_bind(struct icl_err *err)
{
	struct nfq_handle *h = nfq_open();
	struct nfq_q_handle *qh = h ? nfq_create_queue(h, 0, queue_cb, NULL) : NULL;
	int e = errno, fd, rc = 0;

	if (qh == NULL) {
		rc = icl_err_set(err, e ? -e : -EIO, "binding an NFQUEUE (nfnetlink_queue): %s",
				 strerror(e));
	} else if ((fd = open(QUEUE_STATS, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = icl_err_set(err, -errno, "reading /proc/net/netfilter/nfnetlink_queue: %s",
				 strerror(errno));
	} else {
		close(fd);
	}
	if (qh)
		nfq_destroy_queue(qh);
	if (h)
		nfq_close(h);
	return rc;
}

int caps_nfqueue(struct icl_err *err)
{
	const struct impair_rule r = {.ifname = "lo", .queue = 0};
	int rc = impair_rules_load(&r, 1, err);

	if (rc < 0)
		return icl_err_wrap(err, "NFQUEUE rule (nft_compat, xt_NFQUEUE)");
	if ((rc = queue_bind(err)) < 0)
		return rc;
	if (caps_packet(err) < 0)
		return icl_err_wrap(err, "duplicates");
	return 0;
}

int caps_packet(struct icl_err *err)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return icl_err_set(err, -errno, "packet socket: %s", strerror(errno));
	close(fd);
	return 0;
}
