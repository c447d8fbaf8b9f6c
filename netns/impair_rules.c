/* impair_rules.c - NFQUEUE rules as one nf_tables netlink transaction
 * (why not libnftables: see impair_rules.h).
 *
 * A batch is built in one buffer: BATCH_BEGIN, per family the table, the
 * chain, a flush of the chain (so loading again replaces), the exemption
 * rule and the queue rules, then BATCH_END.  Every message but the batch
 * markers asks for an ack, so the answer names the message that failed.
 */
#include "impair_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netlink.h>

#define CHAIN "inbound"
#define RULES_MAX 64
#define BATCH_CAP (64 * 1024)          /* ~200 bytes a rule */
#define MSGS_MAX (2 * (RULES_MAX + 4) + 2)
#define ICMPV6_CONTROL_FIRST 130 /* MLD query ... */
#define ICMPV6_CONTROL_LAST 143  /* ... MLDv2 report, with ND (133-137) between */

/* What each acked message was, for the error message. */
struct msg_note {
	const char *what;
	uint8_t family;
};

struct batch {
	char *buf; /* BATCH_CAP bytes */
	size_t len;
	bool full;
	uint32_t seq; /* of the next message */
	unsigned acks;
	struct msg_note note[MSGS_MAX];
};

/* ---- message building --------------------------------------------------- */

/* Room for `len` bytes, zeroed and 4-aligned; NULL (and `full`) if none. */
static void *put(struct batch *b, size_t len)
{
	size_t al = NLMSG_ALIGN(len);
	void *p;

	if (b->full || b->len + al > BATCH_CAP) {
		b->full = true;
		return NULL;
	}
	p = b->buf + b->len;
	memset(p, 0, al);
	b->len += al;
	return p;
}

static void attr(struct batch *b, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = put(b, NLA_HDRLEN + len);

	if (a == NULL)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
}

static void attr_str(struct batch *b, uint16_t type, const char *s)
{
	attr(b, type, s, strlen(s) + 1);
}

static void attr_be32(struct batch *b, uint16_t type, uint32_t v)
{
	uint32_t be = htonl(v);

	attr(b, type, &be, sizeof(be));
}

/* Nests are remembered by offset: the buffer does not move, but offsets
 * make that irrelevant. */
static size_t nest_start(struct batch *b, uint16_t type)
{
	size_t off = b->len;
	struct nlattr *a = put(b, NLA_HDRLEN);

	if (a != NULL)
		a->nla_type = type | NLA_F_NESTED;
	return off;
}

static void nest_end(struct batch *b, size_t off)
{
	if (!b->full)
		((struct nlattr *)(b->buf + off))->nla_len = (uint16_t)(b->len - off);
}

/* A message; nf_tables ones (type != batch marker) ask for an ack. */
static size_t msg_start(struct batch *b, uint16_t type, uint16_t flags, uint8_t family,
			const char *what)
{
	size_t off = b->len;
	struct nlmsghdr *h = put(b, NLMSG_HDRLEN);
	struct nfgenmsg *g = put(b, sizeof(*g));
	bool marker = type == NFNL_MSG_BATCH_BEGIN || type == NFNL_MSG_BATCH_END;

	if (h == NULL || g == NULL || b->seq >= MSGS_MAX) {
		b->full = true;
		return off;
	}
	h->nlmsg_type = marker ? type : (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type);
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags | (marker ? 0 : NLM_F_ACK));
	h->nlmsg_seq = b->seq;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(marker ? NFNL_SUBSYS_NFTABLES : 0);
	b->note[b->seq++] = (struct msg_note){what, family};
	b->acks += !marker;
	return off;
}

static void msg_end(struct batch *b, size_t off)
{
	if (!b->full)
		((struct nlmsghdr *)(b->buf + off))->nlmsg_len = (uint32_t)(b->len - off);
}

static void msg_marker(struct batch *b, uint16_t type)
{
	msg_end(b, msg_start(b, type, 0, AF_UNSPEC, "batch"));
}

/* ---- expressions (all through register 1) ------------------------------- */

static size_t expr_start(struct batch *b, const char *name, size_t *data)
{
	size_t elem = nest_start(b, NFTA_LIST_ELEM);

	attr_str(b, NFTA_EXPR_NAME, name);
	*data = nest_start(b, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct batch *b, size_t elem, size_t data)
{
	nest_end(b, data);
	nest_end(b, elem);
}

static void expr_meta(struct batch *b, uint32_t key)
{
	size_t d, e = expr_start(b, "meta", &d);

	attr_be32(b, NFTA_META_KEY, key);
	attr_be32(b, NFTA_META_DREG, NFT_REG_1);
	expr_end(b, e, d);
}

static void expr_cmp(struct batch *b, uint32_t op, const void *data, size_t len)
{
	size_t d, e = expr_start(b, "cmp", &d), v;

	attr_be32(b, NFTA_CMP_SREG, NFT_REG_1);
	attr_be32(b, NFTA_CMP_OP, op);
	v = nest_start(b, NFTA_CMP_DATA);
	attr(b, NFTA_DATA_VALUE, data, len);
	nest_end(b, v);
	expr_end(b, e, d);
}

static void expr_cmp_u8(struct batch *b, uint32_t op, uint8_t v)
{
	expr_cmp(b, op, &v, 1);
}

/* The first byte of the transport header: the ICMPv6 type. */
static void expr_transport_byte(struct batch *b)
{
	size_t d, e = expr_start(b, "payload", &d);

	attr_be32(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
	attr_be32(b, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
	attr_be32(b, NFTA_PAYLOAD_OFFSET, 0);
	attr_be32(b, NFTA_PAYLOAD_LEN, 1);
	expr_end(b, e, d);
}

static void expr_accept(struct batch *b)
{
	size_t d, e = expr_start(b, "immediate", &d), data, verdict;

	attr_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	data = nest_start(b, NFTA_IMMEDIATE_DATA);
	verdict = nest_start(b, NFTA_DATA_VERDICT);
	attr_be32(b, NFTA_VERDICT_CODE, NF_ACCEPT);
	nest_end(b, verdict);
	nest_end(b, data);
	expr_end(b, e, d);
}

/* xtables NFQUEUE revision 3 through nft_compat; no NFQ_FLAG_BYPASS. */
static void expr_nfqueue(struct batch *b, uint16_t queue)
{
	struct xt_NFQ_info_v3 info = {.queuenum = queue, .queues_total = 1, .flags = 0};
	unsigned char blob[XT_ALIGN(sizeof(info))] = {0}; /* xt checks the aligned size */
	size_t d, e = expr_start(b, "target", &d);

	memcpy(blob, &info, sizeof(info));
	attr_str(b, NFTA_TARGET_NAME, "NFQUEUE");
	attr_be32(b, NFTA_TARGET_REV, 3);
	attr(b, NFTA_TARGET_INFO, blob, sizeof(blob));
	expr_end(b, e, d);
}

/* ---- the ruleset -------------------------------------------------------- */

static size_t rule_start(struct batch *b, uint8_t family, const char *what, size_t *exprs)
{
	size_t m = msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, family, what);

	attr_str(b, NFTA_RULE_TABLE, IMPAIR_TABLE);
	attr_str(b, NFTA_RULE_CHAIN, CHAIN);
	*exprs = nest_start(b, NFTA_RULE_EXPRESSIONS);
	return m;
}

static void rule_end(struct batch *b, size_t m, size_t exprs)
{
	nest_end(b, exprs);
	msg_end(b, m);
}

static void table_and_chain(struct batch *b, uint8_t family)
{
	size_t m, hook;

	m = msg_start(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, family, "creating the table");
	attr_str(b, NFTA_TABLE_NAME, IMPAIR_TABLE);
	msg_end(b, m);
	m = msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, family, "creating the chain");
	attr_str(b, NFTA_CHAIN_TABLE, IMPAIR_TABLE);
	attr_str(b, NFTA_CHAIN_NAME, CHAIN);
	hook = nest_start(b, NFTA_CHAIN_HOOK);
	attr_be32(b, NFTA_HOOK_HOOKNUM, NF_INET_PRE_ROUTING);
	attr_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)IMPAIR_PRIORITY);
	nest_end(b, hook);
	attr_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
	attr_str(b, NFTA_CHAIN_TYPE, "filter");
	msg_end(b, m);
	/* DELRULE naming only the chain deletes all its rules. */
	m = msg_start(b, NFT_MSG_DELRULE, 0, family, "flushing the chain");
	attr_str(b, NFTA_RULE_TABLE, IMPAIR_TABLE);
	attr_str(b, NFTA_RULE_CHAIN, CHAIN);
	msg_end(b, m);
}

/* Link-local control traffic passes unimpaired (impair.h says why). */
static void exemption(struct batch *b, uint8_t family)
{
	size_t x, m = rule_start(b, family, "the exemption rule", &x);

	expr_meta(b, NFT_META_L4PROTO);
	if (family == NFPROTO_IPV4) {
		expr_cmp_u8(b, NFT_CMP_EQ, IPPROTO_IGMP);
	} else {
		expr_cmp_u8(b, NFT_CMP_EQ, IPPROTO_ICMPV6);
		expr_transport_byte(b);
		expr_cmp_u8(b, NFT_CMP_GTE, ICMPV6_CONTROL_FIRST);
		expr_cmp_u8(b, NFT_CMP_LTE, ICMPV6_CONTROL_LAST);
	}
	expr_accept(b);
	rule_end(b, m, x);
}

static void queue_rule(struct batch *b, uint8_t family, const struct impair_rule *r)
{
	char name[IFNAMSIZ] = {0}; /* all 16 bytes: an exact match, not a prefix */
	size_t x, m = rule_start(b, family, "a queue rule", &x);

	snprintf(name, sizeof(name), "%s", r->ifname);
	expr_meta(b, NFT_META_IIFNAME);
	expr_cmp(b, NFT_CMP_EQ, name, sizeof(name));
	expr_nfqueue(b, r->queue);
	rule_end(b, m, x);
}

static void family_rules(struct batch *b, uint8_t family, const struct impair_rule *r, size_t n)
{
	table_and_chain(b, family);
	exemption(b, family);
	for (size_t i = 0; i < n; i++)
		queue_rule(b, family, &r[i]);
}

/* ---- the transaction ---------------------------------------------------- */

/* The answers in one datagram: counts acks, fails on the first error. */
static int scan_answers(const char *buf, size_t len, const struct batch *b, unsigned *acked,
			struct icl_err *err)
{
	for (size_t off = 0; off + NLMSG_HDRLEN <= len;) {
		const struct nlmsghdr *h = (const void *)(buf + off);
		const struct nlmsgerr *e = NLMSG_DATA(h);
		const struct msg_note *n;

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			break;
		off += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			continue;
		if (e->error == 0) {
			(*acked)++;
			continue;
		}
		n = h->nlmsg_seq < b->seq ? &b->note[h->nlmsg_seq] : NULL;
		return icl_err_set(err, e->error, "nf_tables (%s): %s: %s",
				   n && n->family == NFPROTO_IPV6 ? "ip6" : "ip", n ? n->what : "?",
				   strerror(-e->error));
	}
	return 0;
}

static int read_acks(int fd, const struct batch *b, struct icl_err *err)
{
	char buf[8192] __attribute__((aligned(4)));
	unsigned acked = 0;

	while (acked < b->acks) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		int rc;

		if (got < 0)
			return icl_err_set(err, -errno, "nf_tables: no answer: %s",
					   strerror(errno));
		rc = scan_answers(buf, (size_t)got, b, &acked, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int transact(const struct batch *b, struct icl_err *err)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 2};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	int rc;

	if (fd < 0)
		return icl_err_set(err, -errno, "nf_tables socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, b->buf, b->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) !=
	    (ssize_t)b->len)
		rc = icl_err_set(err, -errno, "nf_tables send: %s", strerror(errno));
	else
		rc = read_acks(fd, b, err);
	close(fd);
	return rc;
}

static int batch_init(struct batch *b, struct icl_err *err)
{
	memset(b, 0, sizeof(*b));
	b->buf = malloc(BATCH_CAP);
	if (b->buf == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	msg_marker(b, NFNL_MSG_BATCH_BEGIN);
	return 0;
}

static int batch_run(struct batch *b, struct icl_err *err)
{
	int rc;

	msg_marker(b, NFNL_MSG_BATCH_END);
	rc = b->full ? icl_err_set(err, -E2BIG, "nf_tables: batch too large") : transact(b, err);
	free(b->buf);
	return rc;
}

int impair_rules_load(const struct impair_rule *rules, size_t n, struct icl_err *err)
{
	struct batch b;
	int rc;

	if (n > RULES_MAX)
		return icl_err_set(err, -E2BIG, "impair: more than %d queue rules", RULES_MAX);
	rc = batch_init(&b, err);
	if (rc < 0)
		return rc;
	family_rules(&b, NFPROTO_IPV4, rules, n);
	family_rules(&b, NFPROTO_IPV6, rules, n);
	return batch_run(&b, err);
}

/* One transaction per table, so that a missing one does not keep the
 * other. */
int impair_rules_remove(struct icl_err *err)
{
	static const uint8_t fams[] = {NFPROTO_IPV4, NFPROTO_IPV6};
	int rc = 0;

	for (size_t i = 0; i < sizeof(fams); i++) {
		struct batch b;
		size_t m;
		int r = batch_init(&b, err);

		if (r == 0) {
			m = msg_start(&b, NFT_MSG_DELTABLE, 0, fams[i], "deleting the table");
			attr_str(&b, NFTA_TABLE_NAME, IMPAIR_TABLE);
			msg_end(&b, m);
			r = batch_run(&b, err);
		}
		if (r < 0 && r != -ENOENT && rc == 0)
			rc = r;
	}
	return rc;
}
