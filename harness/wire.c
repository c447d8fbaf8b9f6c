/* wire.c - the wire checks, judged from the pcap captures of a case.
 *
 * Loading.  Every DIR/<link>-<node>.pcap of the plan is read (a missing or
 * unreadable one fails the load, naming it).  Datagrams on a link end of a
 * node that runs an agent are kept when their source (sent by that agent)
 * or destination (received by it) is one of the node's addresses, as the
 * plan gives them; everything else only dates the capture (its first and
 * last datagram).  If two agents share a node, the first one gets them.
 * Payloads are classified by first byte (RFC 7983): 0..3 STUN, when the
 * header is sane (magic cookie 0x2112A442, length within the datagram),
 * with the attributes the checks read (USE-CANDIDATE, ICE-CONTROLLING /
 * ICE-CONTROLLED and their tie-breaker, ERROR-CODE);
 * 20..63 DTLS, by record content type.  The STUN header is parsed here
 * because agents/stun.[ch] is not part of libicelab.
 *
 * Delivery.  A receipt at agent B's node is matched to the latest not yet
 * matched datagram with the same payload sent by another agent no later
 * (NATs change addresses, not payloads).  Identical payloads (a
 * retransmission) are ambiguous; "latest" keeps a lost first copy lost.
 *
 * The checks (wire_check), each on capture timestamps:
 *  - SCN_EXP_WIRE_NO_DTLS: agent e->agent's node sent no DTLS record to an
 *    address of family e->family (0: any) or, when e->addr is set, to that
 *    address.  Fails naming the first such datagram.
 *  - SCN_EXP_WIRE_NO_SUCCESS: the same for Binding success responses:
 *    what a peer or an attacker at that address actually received, whatever
 *    the agent says about its own answers.
 *  - SCN_EXP_WIRE_DTLS_AFTER_NOMINATION: no DTLS record sent by either
 *    agent before the first Binding request carrying USE-CANDIDATE
 *    (0x0025) sent by either agent.  DTLS with no USE-CANDIDATE at all
 *    fails; no DTLS at all holds.  e->agent is not used.
 *  - SCN_EXP_WIRE_SYMMETRIC: every Binding success/error response sent by
 *    the agent leaves from the address its request (same transaction ID,
 *    received at the agent's node, the latest one before the response)
 *    arrived at, to the address it came from (RFC 8445 7.3, 7.2.5.2.1).
 *    Fails naming both datagrams.  Unanswered requests, and responses
 *    whose request was not captured, are not judged.
 *  - SCN_EXP_WIRE_CONSENT: the 5-tuple is the one of the agent's last
 *    successful check (a success it received for a request it sent).
 *    From its first request on that tuple at or after the first DTLS
 *    record (either agent) to the end of the capture (its last datagram),
 *    consecutive requests, and the last one and the end, are at most
 *    e->max ms apart; with no request there, DTLS start to the end counts.
 *    No DTLS or no successful check fails.  Fails with the largest gap.
 *  - SCN_EXP_WIRE_DATA_GAP: the agent's DTLS application-data datagrams
 *    that arrived at another agent's node (delivery, above): from the
 *    first arrival to the end of the capture, consecutive arrivals, and
 *    the last one and the end, are at most e->max ms apart.  None arrived
 *    fails.  Fails with the largest gap.
 *  - SCN_EXP_WIRE_ROLE_CONFLICT: from the role each agent starts in (the
 *    case's `role`, the same for both), the role attribute of each one's
 *    requests (first transmissions only: a retransmission carries the role
 *    of the time its transaction began) changes for exactly one agent,
 *    once, after it received a request claiming its role or a 487
 *    (RFC 8445 7.3.1.1, 7.2.5.1); that agent sent no 487; the agent that
 *    ends controlling has the larger tie-breaker.  e->agent is not used.
 *  - SCN_EXP_WIRE_REJECTED: every response of the agent to a request its
 *    peer sent (a receipt matched to the peer's send) is an error response,
 *    of code e->code if that is >= 0, and then at least one was sent; at
 *    least one such request must have arrived.  With e->within_ms (only
 *    with a code), the first such error leaves the agent's node (as
 *    captured there) at most that long after the case's origin, as the
 *    events' `within` counts; a first request left unanswered makes it
 *    late all the same.
 * An agent of SCN_AGENT_BOTH must satisfy the check for every agent,
 * SCN_AGENT_ANY for one.  Details name datagrams as "FILE frame N (+S s)
 * SRC -> DST", S counted from the first datagram of the whole capture.
 */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../netns/nat64.h"
#include "capture.h"
#include "netcut.h"

#define WIRE_NONE SIZE_MAX
#define WIRE_STUN_COOKIE 0x2112A442u
#define WIRE_ATTR_USE_CANDIDATE 0x0025u
#define WIRE_ATTR_ERROR_CODE 0x0009u
#define WIRE_ATTR_CONTROLLED 0x8029u
#define WIRE_ATTR_CONTROLLING 0x802Au
#define WIRE_ROLE_CONFLICT 487

/* The ICE role a Binding request claims (RFC 8445 7.1.3). */
enum wire_role { WR_NONE = 0, WR_CONTROLLED, WR_CONTROLLING };

static const char *const wire_role_name[] = {
	[WR_NONE] = "none", [WR_CONTROLLED] = "controlled", [WR_CONTROLLING] = "controlling",
};

enum wire_kind {
	WK_OTHER = 0,
	WK_REQ,
	WK_OK,
	WK_ERR,
	WK_DTLS_HS,
	WK_DTLS_CCS,
	WK_DTLS_ALERT,
	WK_DTLS_DATA,
};

static const char *const wire_kind_name[] = {
	[WK_OTHER] = "other",
	[WK_REQ] = "binding-request",
	[WK_OK] = "binding-success",
	[WK_ERR] = "binding-error",
	[WK_DTLS_HS] = "dtls-handshake",
	[WK_DTLS_CCS] = "dtls-ccs",
	[WK_DTLS_ALERT] = "dtls-alert",
	[WK_DTLS_DATA] = "dtls-data",
};

struct wire_file {
	char name[2 * TOPO_NAME_MAX + 8]; /* "<link>-<node>.pcap" */
	char link[TOPO_NAME_MAX];
	unsigned at;               /* which end: NETCUT_AT_A or NETCUT_AT_B */
};

/* One UDP datagram sent or received by an agent, as captured at its node. */
struct wire_dg {
	int64_t ns;                /* capture time, ns since the epoch */
	size_t file, frame;        /* index in files[], 1-based frame */
	size_t off, len;           /* payload: bytes[off .. off+len) */
	bool truncated;
	uint64_t hash;             /* of the payload */
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int sender, receiver;      /* agent index, or -1 */
	enum wire_kind kind;
	bool use_candidate;
	enum wire_role role;       /* request: ICE-CONTROLLING / ICE-CONTROLLED */
	uint64_t tie_breaker;      /* request: that attribute's value */
	int code;                  /* error response: ERROR-CODE, or -1 */
	uint8_t txid[12];          /* STUN only */
	size_t arrival;            /* sent: its receipt at the peer, or WIRE_NONE */
	int origin;                /* received: the agent whose send it is, or -1 */
};

struct wire_view {
	struct wire_file *files;
	size_t n_files;
	struct wire_dg *dg;        /* in capture time order */
	size_t n, cap;
	uint8_t *bytes;            /* the payloads */
	size_t n_bytes, cap_bytes;
	char agent[SCN_MAX_AGENTS][TOPO_NAME_MAX];
	size_t n_agents;
	double t0;                 /* the case's origin, CLOCK_REALTIME s */
	bool any;                  /* some datagram was captured */
	int64_t first_ns, last_ns; /* of every datagram of every file */
};

/* ---- small helpers ------------------------------------------------------- */

/* ms between t0 (seconds, a double) and ns, without losing the ns: the
 * whole seconds are subtracted as integers, the fraction as a double. */
static double ms_since(double t0, int64_t ns)
{
	int64_t whole = (int64_t)t0;

	return (double)(ns - whole * 1000000000) / 1e6 - (t0 - (double)whole) * 1e3;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FNV-1a, 64 bits. */
static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool is_dtls(enum wire_kind k)
{
	return k >= WK_DTLS_HS;
}

static bool is_response(enum wire_kind k)
{
	return k == WK_OK || k == WK_ERR;
}

static const char *agent_name(const struct wire_view *w, int a)
{
	return a >= 0 && (size_t)a < w->n_agents ? w->agent[a] : "?";
}

/* ---- classification ------------------------------------------------------ */

static enum wire_kind classify_dtls(uint8_t type)
{
	switch (type) {
	case 20: return WK_DTLS_CCS;
	case 21: return WK_DTLS_ALERT;
	case 22: return WK_DTLS_HS;
	default: return WK_DTLS_DATA; /* 23, and DTLS 1.3 unified headers */
	}
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* The attributes the checks read: USE-CANDIDATE, the role (with its
 * tie-breaker), ERROR-CODE (class * 100 + number, RFC 8489 14.8). */
static void stun_attr(struct wire_dg *d, uint16_t type, const uint8_t *v, size_t len)
{
	if (type == WIRE_ATTR_USE_CANDIDATE)
		d->use_candidate = true;
	else if ((type == WIRE_ATTR_CONTROLLED || type == WIRE_ATTR_CONTROLLING) && len == 8) {
		d->role = type == WIRE_ATTR_CONTROLLING ? WR_CONTROLLING : WR_CONTROLLED;
		d->tie_breaker = rd64(v);
	} else if (type == WIRE_ATTR_ERROR_CODE && len >= 4)
		d->code = (v[2] & 7) * 100 + v[3];
}

/* A STUN message: header, then TLVs padded to 4 bytes. */
static void classify_stun(const uint8_t *p, size_t len, struct wire_dg *d)
{
	size_t mlen, off;
	uint16_t type;

	if (len < 20 || rd32(p + 4) != WIRE_STUN_COOKIE)
		return;
	mlen = rd16(p + 2);
	if (mlen % 4 != 0 || 20 + mlen > len)
		return;
	type = rd16(p);
	memcpy(d->txid, p + 8, sizeof(d->txid));
	if (type == 0x0001)
		d->kind = WK_REQ;
	else if (type == 0x0101)
		d->kind = WK_OK;
	else if (type == 0x0111)
		d->kind = WK_ERR;
	for (off = 20; d->kind != WK_OTHER && off + 4 <= 20 + mlen;) {
		uint16_t at = rd16(p + off), alen = rd16(p + off + 2);

		if (off + 4 + alen > 20 + mlen)
			break;
		stun_attr(d, at, p + off + 4, alen);
		off += 4 + ((size_t)alen + 3) / 4 * 4;
	}
}

static void classify(const uint8_t *p, size_t len, struct wire_dg *d)
{
	d->kind = WK_OTHER;
	if (len == 0)
		return;
	if (p[0] <= 3)
		classify_stun(p, len, d);
	else if (p[0] >= 20 && p[0] <= 63)
		d->kind = classify_dtls(p[0]);
}

/* ---- loading ------------------------------------------------------------- */

/* Whether `a` (family `family`) is an address of some link end on `node`. */
/* A CLAT (464XLAT) node also sends from its CLAT's addresses: the IPv4 one
 * its applications use and the IPv6 one TAYGA translates them to, which is
 * what the node's link captures show. */
static bool clat_has_addr(const struct topo_plan *plan, const char *node, int family,
			  const void *a)
{
	const struct topo_node *n = topo_plan_node(plan, node);
	unsigned char v6[16];

	if (n == NULL || n->clat == NULL)
		return false;
	if (family == AF_INET)
		return memcmp(n->clat->ipv4, a, 4) == 0;
	return nat64_clat_ipv6(plan, n, v6) && memcmp(v6, a, 16) == 0;
}

static bool node_has_addr(const struct topo_plan *plan, const char *node, int family,
			  const void *a)
{
	if (clat_has_addr(plan, node, family, a))
		return true;
	for (size_t l = 0; l < plan->n_links; l++) {
		for (int k = 0; k < 2; k++) {
			const struct topo_end *e = &plan->links[l].end[k];

			if (strcmp(e->node, node) != 0)
				continue;
			for (size_t j = 0; j < e->n_addr; j++) {
				if (e->addr[j].family == family &&
				    memcmp(e->addr[j].addr, a, addr_len(family)) == 0)
					return true;
			}
		}
	}
	return false;
}

static int case_agent_on(const struct scn_case *c, const char *node)
{
	for (size_t i = 0; i < c->n_agents; i++) {
		if (strcmp(c->agent[i].node, node) == 0)
			return (int)i;
	}
	return -1;
}

struct wire_loader {
	struct wire_view *w;
	const struct topo_plan *plan;
	const char *node;
	int agent;                 /* running on `node`, or -1 */
	size_t file;
	bool oom;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (q == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static int keep(struct wire_loader *ld, const struct capture_pkt *p, int64_t ns, int sender,
		int receiver)
{
	struct wire_view *w = ld->w;
	struct wire_dg *d;

	if (!grow((void **)&w->dg, &w->cap, w->n + 1, sizeof(*w->dg)) ||
	    !grow((void **)&w->bytes, &w->cap_bytes, w->n_bytes + p->len, 1)) {
		ld->oom = true;
		return -1;
	}
	d = &w->dg[w->n++];
	*d = (struct wire_dg){ .ns = ns, .file = ld->file, .frame = p->frame, .off = w->n_bytes,
			       .len = p->len, .truncated = p->truncated, .family = p->family,
			       .sport = p->sport, .dport = p->dport, .sender = sender,
			       .receiver = receiver, .code = -1, .arrival = WIRE_NONE,
			       .origin = -1 };
	memcpy(d->src, &p->src, addr_len(p->family));
	memcpy(d->dst, &p->dst, addr_len(p->family));
	if (p->len > 0)
		memcpy(w->bytes + w->n_bytes, p->payload, p->len);
	w->n_bytes += p->len;
	d->hash = fnv(p->payload, p->len);
	/* RFC 7983 demultiplexes an ICE socket, not DNS: a query's first
	 * byte is its random ID, which looks like a DTLS record half the time
	 * (an agent resolving its NAT64 prefix, RFC 7050). */
	if (p->sport != 53 && p->dport != 53)
		classify(p->payload, p->len, d);
	else
		d->kind = WK_OTHER;
	return 0;
}

static int on_datagram(void *user, const struct capture_pkt *p)
{
	struct wire_loader *ld = user;
	struct wire_view *w = ld->w;
	int64_t ns = (int64_t)p->ts.tv_sec * 1000000000 + p->ts.tv_nsec;
	int sender, receiver;

	if (!w->any || ns < w->first_ns)
		w->first_ns = ns;
	if (!w->any || ns > w->last_ns)
		w->last_ns = ns;
	w->any = true;
	if (ld->agent < 0)
		return 0;
	sender = node_has_addr(ld->plan, ld->node, p->family, &p->src) ? ld->agent : -1;
	receiver = node_has_addr(ld->plan, ld->node, p->family, &p->dst) ? ld->agent : -1;
	if (sender < 0 && receiver < 0)
		return 0;
	return keep(ld, p, ns, sender, receiver);
}

static int load_file(struct wire_view *w, const struct scn_case *c, const char *dir,
		     const struct topo_link *l, const struct topo_end *e, struct icl_err *err)
{
	struct wire_loader ld = { .w = w, .plan = &c->plan, .node = e->node,
				  .agent = case_agent_on(c, e->node), .file = w->n_files };
	struct wire_file *f = &w->files[w->n_files];
	char path[PATH_MAX];
	int rc;

	snprintf(f->link, sizeof(f->link), "%s", l->name);
	f->at = e == &l->end[0] ? NETCUT_AT_A : NETCUT_AT_B;
	snprintf(f->name, sizeof(f->name), "%s-%s.pcap", l->name, e->node);
	if (snprintf(path, sizeof(path), "%s/%s", dir, f->name) >= (int)sizeof(path))
		return icl_err_set(err, -ENAMETOOLONG, "%s/%s: path too long", dir, f->name);
	w->n_files++;
	rc = capture_scan(path, on_datagram, &ld, err);
	if (ld.oom)
		return icl_err_set(err, -ENOMEM, "%s: out of memory", path);
	return rc < 0 ? rc : 0;
}

static int dg_order(const void *a, const void *b)
{
	const struct wire_dg *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* ---- hash index: datagram indices chained by a key ----------------------- */

struct wire_index {
	size_t *head, *next;
	size_t mask;
};

static int index_build(struct wire_index *ix, const struct wire_view *w,
		       bool (*want)(const struct wire_dg *), uint64_t (*key)(const struct wire_dg *))
{
	size_t nb = 16;

	while (nb < 2 * w->n)
		nb *= 2;
	ix->mask = nb - 1;
	ix->head = malloc(nb * sizeof(*ix->head));
	ix->next = malloc((w->n ? w->n : 1) * sizeof(*ix->next));
	if (ix->head == NULL || ix->next == NULL) {
		free(ix->head);
		free(ix->next);
		return -ENOMEM;
	}
	for (size_t b = 0; b < nb; b++)
		ix->head[b] = WIRE_NONE;
	for (size_t i = 0; i < w->n; i++) {
		size_t b;

		if (!want(&w->dg[i]))
			continue;
		b = key(&w->dg[i]) & ix->mask;
		ix->next[i] = ix->head[b];
		ix->head[b] = i;
	}
	return 0;
}

static void index_free(struct wire_index *ix)
{
	free(ix->head);
	free(ix->next);
}

static uint64_t key_payload(const struct wire_dg *d)
{
	return d->hash;
}

static uint64_t key_txid(const struct wire_dg *d)
{
	return fnv(d->txid, sizeof(d->txid));
}

static bool want_sent(const struct wire_dg *d)
{
	return d->sender >= 0;
}

static bool want_request(const struct wire_dg *d)
{
	return d->kind == WK_REQ;
}

static bool same_payload(const struct wire_view *w, const struct wire_dg *a,
			 const struct wire_dg *b)
{
	return a->hash == b->hash && a->len == b->len && a->truncated == b->truncated &&
	       memcmp(w->bytes + a->off, w->bytes + b->off, a->len) == 0;
}

/* Each receipt takes the latest unmatched send of its payload by another
 * agent that is not later than itself. */
static int match_deliveries(struct wire_view *w)
{
	struct wire_index ix;

	if (index_build(&ix, w, want_sent, key_payload) < 0)
		return -ENOMEM;
	for (size_t r = 0; r < w->n; r++) {
		const struct wire_dg *rd = &w->dg[r];
		size_t best = WIRE_NONE;

		if (rd->receiver < 0)
			continue;
		for (size_t s = ix.head[rd->hash & ix.mask]; s != WIRE_NONE; s = ix.next[s]) {
			const struct wire_dg *sd = &w->dg[s];

			if (sd->sender == rd->receiver || sd->arrival != WIRE_NONE ||
			    sd->ns > rd->ns || !same_payload(w, sd, rd))
				continue;
			if (best == WIRE_NONE || sd->ns > w->dg[best].ns ||
			    (sd->ns == w->dg[best].ns && s > best))
				best = s;
		}
		if (best != WIRE_NONE) {
			w->dg[best].arrival = r;
			w->dg[r].origin = w->dg[best].sender;
		}
	}
	index_free(&ix);
	return 0;
}

/* ---- what a link cut dropped --------------------------------------------- */

/* Whether harness action `ev` (a cut or restore) covers end `at` and
 * `family` of link `link`. */
static bool action_covers(const json_t *ev, const char *link, unsigned at, int family)
{
	const char *l = json_string_value(json_object_get(ev, "link"));
	const char *fam = json_string_value(json_object_get(ev, "family"));
	const char *dir = json_string_value(json_object_get(ev, "direction"));

	if (l == NULL || fam == NULL || dir == NULL || strcmp(l, link) != 0)
		return false;
	if (strcmp(fam, netcut_family_name(0)) != 0 && strcmp(fam, netcut_family_name(family)) != 0)
		return false;
	return strcmp(dir, netcut_direction_name(0)) == 0 ||
	       strcmp(dir, netcut_direction_name(at)) == 0;
}

/* The timeline's harness cuts and restores of links, in time order (new
 * reference; NULL on OOM), so that each receipt reads only those, not
 * every event of the case. */
static json_t *link_actions(const json_t *timeline)
{
	json_t *acts = json_array();
	const json_t *e;
	size_t i;

	if (acts == NULL)
		return NULL;
	json_array_foreach(timeline, i, e) {
		const char *agent = json_string_value(json_object_get(e, "agent"));
		const char *what = json_string_value(
			json_object_get(json_object_get(e, "event"), "action"));

		if (agent == NULL || strcmp(agent, "harness") != 0 || what == NULL ||
		    (strcmp(what, "cut") != 0 && strcmp(what, "restore") != 0))
			continue;
		if (json_array_append(acts, (json_t *)e) < 0) {
			json_decref(acts);
			return NULL;
		}
	}
	return acts;
}

/* Whether that end and family was cut at `ms` (the case's origin): the
 * last cut or restore of it by then (`acts`: link_actions) was a cut. */
static bool cut_at(const json_t *acts, const char *link, unsigned at, int family, double ms)
{
	bool cut = false;
	const json_t *e;
	size_t i;

	json_array_foreach(acts, i, e) {
		const json_t *ev = json_object_get(e, "event");

		if (json_number_value(json_object_get(e, "t")) > ms)
			break; /* recorded in time order */
		if (action_covers(ev, link, at, family))
			cut = strcmp(json_string_value(json_object_get(ev, "action")), "cut") == 0;
	}
	return cut;
}

/* A datagram the node's end captured while that end was cut never
 * reached the node: no receipt. */
static int drop_cut_receipts(struct wire_view *w, const json_t *timeline)
{
	json_t *acts;

	if (timeline == NULL)
		return 0;
	if ((acts = link_actions(timeline)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		struct wire_dg *d = &w->dg[i];
		const struct wire_file *f = &w->files[d->file];

		if (d->receiver >= 0 &&
		    cut_at(acts, f->link, f->at, d->family, ms_since(w->t0, d->ns)))
			d->receiver = -1;
	}
	json_decref(acts);
	return 0;
}

static int load_all(struct wire_view *w, const struct scn_case *c, const char *dir,
		    const json_t *timeline, struct icl_err *err)
{
	w->files = calloc(2 * c->plan.n_links + 1, sizeof(*w->files));
	if (w->files == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	for (size_t l = 0; l < c->plan.n_links; l++) {
		for (int k = 0; k < 2; k++) {
			int rc = load_file(w, c, dir, &c->plan.links[l], &c->plan.links[l].end[k],
					   err);

			if (rc < 0)
				return rc;
		}
	}
	if (w->n > 1)
		qsort(w->dg, w->n, sizeof(*w->dg), dg_order);
	if (drop_cut_receipts(w, timeline) < 0 || match_deliveries(w) < 0)
		return icl_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

int wire_load(const struct scn_case *c, const char *dir, double t0_realtime,
	      const json_t *timeline, struct wire_view **out, struct icl_err *err)
{
	struct wire_view *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w == NULL)
		return icl_err_set(err, -ENOMEM, "reading the captures: out of memory");
	w->t0 = t0_realtime;
	w->n_agents = c->n_agents < SCN_MAX_AGENTS ? c->n_agents : SCN_MAX_AGENTS;
	for (size_t i = 0; i < w->n_agents; i++)
		snprintf(w->agent[i], sizeof(w->agent[i]), "%s", c->agent[i].name);
	rc = load_all(w, c, dir, timeline, err);
	if (rc < 0) {
		wire_free(w);
		return icl_err_wrap(err, "reading the captures of %s", c->name[0] ? c->name : dir);
	}
	*out = w;
	return 0;
}

void wire_free(struct wire_view *w)
{
	if (w == NULL)
		return;
	free(w->files);
	free(w->dg);
	free(w->bytes);
	free(w);
}

/* ---- describing datagrams ------------------------------------------------ */

static void fmt_ep(char *out, size_t cap, int family, const uint8_t *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, ip, sizeof(ip));
	if (family == AF_INET6)
		snprintf(out, cap, "[%s]:%u", ip, port);
	else
		snprintf(out, cap, "%s:%u", ip, port);
}

static double rel_s(const struct wire_view *w, int64_t ns)
{
	return (double)(ns - w->first_ns) / 1e9;
}

/* "binding-request in lan-client.pcap frame 7 (+0.012 s) 10.0.0.2:5000 ->
 * 203.0.113.10:6000" */
static void fmt_dg(char *out, size_t cap, const struct wire_view *w, const struct wire_dg *d)
{
	char src[64], dst[64];

	fmt_ep(src, sizeof(src), d->family, d->src, d->sport);
	fmt_ep(dst, sizeof(dst), d->family, d->dst, d->dport);
	snprintf(out, cap, "%s in %s frame %zu (+%.3f s) %s -> %s", wire_kind_name[d->kind],
		 w->files[d->file].name, d->frame, rel_s(w, d->ns), src, dst);
}

/* ---- the checks ---------------------------------------------------------- */

typedef bool (*wire_agent_check)(const struct wire_view *w, const struct scn_expect *e, int a,
				 char *detail, size_t cap);

struct wire_dest {
	int family;                /* 0: any */
	bool has_addr;
	int addr_family;
	uint8_t addr[16];
};

static bool dest_matches(const struct wire_dest *t, const struct wire_dg *d)
{
	if (t->family != 0 && d->family != t->family)
		return false;
	return !t->has_addr ||
	       (d->family == t->addr_family && memcmp(d->dst, t->addr, addr_len(d->family)) == 0);
}

/* no-dtls and no-binding-success: nothing of that kind from agent a's
 * node to the destination (a family, an address, or anywhere). */
static bool no_sent(const struct wire_view *w, const struct scn_expect *e, int a, char *detail,
		    size_t cap)
{
	bool dtls = e->kind == SCN_EXP_WIRE_NO_DTLS;
	const char *what = dtls ? "DTLS" : "Binding success response";
	struct wire_dest t = { .family = e->family };
	char where[64], got[256];

	if (e->addr[0]) {
		t.has_addr = true;
		t.addr_family = strchr(e->addr, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(t.addr_family, e->addr, t.addr) != 1) {
			snprintf(detail, cap, "expected no %s from %s to %s; that is not an address",
				 what, agent_name(w, a), e->addr);
			return false;
		}
	}
	snprintf(where, sizeof(where), "%s", e->addr[0] ? e->addr
				     : e->family == AF_INET6 ? "ipv6"
				     : e->family == AF_INET ? "ipv4" : "any address");
	for (size_t i = 0; i < w->n; i++) {
		const struct wire_dg *d = &w->dg[i];

		if (d->sender != a || !(dtls ? is_dtls(d->kind) : d->kind == WK_OK) ||
		    !dest_matches(&t, d))
			continue;
		fmt_dg(got, sizeof(got), w, d);
		snprintf(detail, cap, "expected no %s from %s to %s; got %s", what, agent_name(w, a),
			 where, got);
		return false;
	}
	snprintf(detail, cap, "expected no %s from %s to %s; got none", what, agent_name(w, a),
		 where);
	return true;
}

static size_t first_sent(const struct wire_view *w, bool (*is)(const struct wire_dg *))
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->dg[i].sender >= 0 && is(&w->dg[i]))
			return i;
	}
	return WIRE_NONE;
}

static bool dg_is_dtls(const struct wire_dg *d)
{
	return is_dtls(d->kind);
}

static bool dg_is_nomination(const struct wire_dg *d)
{
	return d->kind == WK_REQ && d->use_candidate;
}

static bool dtls_after_nomination(const struct wire_view *w, char *detail, size_t cap)
{
	static const char expect[] = "expected no DTLS before the first USE-CANDIDATE";
	size_t dt = first_sent(w, dg_is_dtls), uc = first_sent(w, dg_is_nomination);
	char a[256], b[256];

	if (dt == WIRE_NONE) {
		snprintf(detail, cap, "%s; got no DTLS at all", expect);
		return true;
	}
	fmt_dg(a, sizeof(a), w, &w->dg[dt]);
	if (uc == WIRE_NONE) {
		snprintf(detail, cap, "%s; got %s from %s and no USE-CANDIDATE at all", expect, a,
			 agent_name(w, w->dg[dt].sender));
		return false;
	}
	fmt_dg(b, sizeof(b), w, &w->dg[uc]);
	snprintf(detail, cap, "%s; got %s from %s %s the first USE-CANDIDATE, %s from %s", expect,
		 a, agent_name(w, w->dg[dt].sender),
		 w->dg[dt].ns < w->dg[uc].ns ? "before" : "after", b,
		 agent_name(w, w->dg[uc].sender));
	return w->dg[dt].ns >= w->dg[uc].ns;
}

/* The request (received by `a`, same transaction, not later) that the
 * response `r` answers; the latest if it was retransmitted. */
static size_t request_of(const struct wire_view *w, const struct wire_index *ix, size_t r,
			 bool received, int a)
{
	const struct wire_dg *rd = &w->dg[r];
	size_t best = WIRE_NONE;

	for (size_t q = ix->head[key_txid(rd) & ix->mask]; q != WIRE_NONE; q = ix->next[q]) {
		const struct wire_dg *qd = &w->dg[q];

		if ((received ? qd->receiver : qd->sender) != a || qd->ns > rd->ns ||
		    memcmp(qd->txid, rd->txid, sizeof(qd->txid)) != 0)
			continue;
		if (best == WIRE_NONE || q > best)
			best = q;
	}
	return best;
}

static bool mirrored(const struct wire_dg *q, const struct wire_dg *r)
{
	size_t n = addr_len(q->family);

	return q->family == r->family && memcmp(r->src, q->dst, n) == 0 && r->sport == q->dport &&
	       memcmp(r->dst, q->src, n) == 0 && r->dport == q->sport;
}

static bool symmetric(const struct wire_view *w, const struct scn_expect *e, int a,
		      char *detail, size_t cap)
{
	struct wire_index ix;
	size_t judged = 0;
	char rs[256], qs[256];

	(void)e;
	if (index_build(&ix, w, want_request, key_txid) < 0) {
		snprintf(detail, cap, "out of memory");
		return false;
	}
	for (size_t r = 0; r < w->n; r++) {
		size_t q;

		if (w->dg[r].sender != a || !is_response(w->dg[r].kind))
			continue;
		q = request_of(w, &ix, r, true, a);
		if (q == WIRE_NONE)
			continue;
		judged++;
		if (mirrored(&w->dg[q], &w->dg[r]))
			continue;
		fmt_dg(rs, sizeof(rs), w, &w->dg[r]);
		fmt_dg(qs, sizeof(qs), w, &w->dg[q]);
		snprintf(detail, cap,
			 "expected %s's Binding responses to mirror their requests; got %s answering %s",
			 agent_name(w, a), rs, qs);
		index_free(&ix);
		return false;
	}
	index_free(&ix);
	snprintf(detail, cap, "expected %s's Binding responses to mirror their requests; got %zu, all mirrored",
		 agent_name(w, a), judged);
	return true;
}

/* The request of `a`'s last successful check (a success it received for
 * a request it sent), or WIRE_NONE; `ix` indexes requests by txid. */
static size_t last_success(const struct wire_view *w, const struct wire_index *ix, int a)
{
	size_t q = WIRE_NONE;

	for (size_t r = w->n; r-- > 0 && q == WIRE_NONE;) {
		if (w->dg[r].receiver == a && w->dg[r].kind == WK_OK)
			q = request_of(w, ix, r, false, a);
	}
	return q;
}

static bool same_tuple(const struct wire_dg *x, const struct wire_dg *y)
{
	size_t n = addr_len(x->family);

	return x->family == y->family && memcmp(x->src, y->src, n) == 0 && x->sport == y->sport &&
	       memcmp(x->dst, y->dst, n) == 0 && x->dport == y->dport;
}

struct wire_gap {
	int64_t ns;
	size_t from, to;           /* datagram indices; WIRE_NONE: DTLS start / capture end */
};

/* A gap walk: datagram `i` follows *prev in a sequence; the gap between
 * them widens *g if larger. */
static void gap_next(const struct wire_view *w, struct wire_gap *g, size_t *prev, size_t i)
{
	if (*prev != WIRE_NONE && w->dg[i].ns - w->dg[*prev].ns > g->ns)
		*g = (struct wire_gap){ w->dg[i].ns - w->dg[*prev].ns, *prev, i };
	*prev = i;
}

/* The end of the walk: from the last datagram (or from `none_ns` if
 * there was none) to the end of the capture. */
static void gap_end(const struct wire_view *w, struct wire_gap *g, size_t prev, int64_t none_ns)
{
	int64_t from = prev == WIRE_NONE ? none_ns : w->dg[prev].ns;

	if (w->last_ns - from > g->ns)
		*g = (struct wire_gap){ w->last_ns - from, prev, WIRE_NONE };
}

/* The largest gap between `a`'s requests on the tuple of `pair` from
 * `start_ns` on, and between the last one and the end of the capture. */
static struct wire_gap largest_gap(const struct wire_view *w, int a, size_t pair,
				   int64_t start_ns)
{
	struct wire_gap g = { .ns = -1, .from = WIRE_NONE, .to = WIRE_NONE };
	size_t prev = WIRE_NONE;

	for (size_t i = 0; i < w->n; i++) {
		const struct wire_dg *d = &w->dg[i];

		if (d->sender == a && d->kind == WK_REQ && d->ns >= start_ns &&
		    same_tuple(d, &w->dg[pair]))
			gap_next(w, &g, &prev, i);
	}
	gap_end(w, &g, prev, start_ns);
	return g;
}

static void fmt_end(char *out, size_t cap, const struct wire_view *w, size_t i,
		    const char *none, int64_t none_ns)
{
	if (i == WIRE_NONE)
		snprintf(out, cap, "%s (+%.3f s)", none, rel_s(w, none_ns));
	else
		snprintf(out, cap, "%s frame %zu (+%.3f s)", w->files[w->dg[i].file].name,
			 w->dg[i].frame, rel_s(w, w->dg[i].ns));
}

static bool consent(const struct wire_view *w, const struct scn_expect *e, int a, char *detail,
		    size_t cap)
{
	size_t dt = first_sent(w, dg_is_dtls), pair;
	char expect[192], tuple[160], s[64], d[64], from[128], to[128];
	struct wire_index ix;
	struct wire_gap g;

	if (index_build(&ix, w, want_request, key_txid) < 0) {
		snprintf(detail, cap, "out of memory");
		return false;
	}
	pair = last_success(w, &ix, a);
	index_free(&ix);
	snprintf(expect, sizeof(expect), "expected %s to send a consent check at least every %u ms",
		 agent_name(w, a), e->max);
	if (dt == WIRE_NONE || pair == WIRE_NONE) {
		snprintf(detail, cap, "%s; got %s", expect,
			 dt == WIRE_NONE ? "no DTLS on the wire" : "no successful check");
		return false;
	}
	g = largest_gap(w, a, pair, w->dg[dt].ns);
	fmt_ep(s, sizeof(s), w->dg[pair].family, w->dg[pair].src, w->dg[pair].sport);
	fmt_ep(d, sizeof(d), w->dg[pair].family, w->dg[pair].dst, w->dg[pair].dport);
	snprintf(tuple, sizeof(tuple), "%s -> %s", s, d);
	fmt_end(from, sizeof(from), w, g.from, "DTLS start", w->dg[dt].ns);
	fmt_end(to, sizeof(to), w, g.to, "the end of the capture", w->last_ns);
	snprintf(detail, cap, "%s on %s after DTLS; got a largest gap of %.0f ms, from %s to %s",
		 expect, tuple, (double)g.ns / 1e6, from, to);
	return g.ns <= (int64_t)e->max * 1000000;
}

/* ---- data flow ---------------------------------------------------------- */

/* The largest gap between the arrivals of `a`'s application data at its
 * peer's node, from the first one on, and between the last one and the
 * end of the capture; g.ns < 0 if none arrived.  `n_sent`, `n_arrived`:
 * its application-data datagrams sent and arrived. */
static struct wire_gap data_gap(const struct wire_view *w, int a, size_t *n_sent,
				size_t *n_arrived)
{
	struct wire_gap g = { .ns = -1, .from = WIRE_NONE, .to = WIRE_NONE };
	size_t prev = WIRE_NONE;

	*n_sent = *n_arrived = 0;
	for (size_t i = 0; i < w->n; i++) {
		const struct wire_dg *d = &w->dg[i];

		if (d->kind != WK_DTLS_DATA)
			continue;
		*n_sent += d->sender == a;
		if (d->origin != a)
			continue;
		(*n_arrived)++;
		gap_next(w, &g, &prev, i);
	}
	if (prev != WIRE_NONE)
		gap_end(w, &g, prev, 0);
	return g;
}

static bool data_flow(const struct wire_view *w, const struct scn_expect *e, int a, char *detail,
		      size_t cap)
{
	char expect[192], from[128], to[128];
	size_t sent, arrived;
	struct wire_gap g = data_gap(w, a, &sent, &arrived);

	snprintf(expect, sizeof(expect),
		 "expected %s's application data to reach its peer at least every %u ms",
		 agent_name(w, a), e->max);
	if (g.ns < 0) {
		/* Through a TURN relay the sender's side carries it framed for
		 * the relay: another payload, so no arrival matches it. */
		snprintf(detail, cap, "%s; got none: %s sent %zu DTLS application-data datagrams%s",
			 expect, agent_name(w, a), sent,
			 sent ? ", none arrived (data relayed by TURN cannot be followed)" : "");
		return false;
	}
	fmt_end(from, sizeof(from), w, g.from, "nowhere", w->first_ns);
	fmt_end(to, sizeof(to), w, g.to, "the end of the capture", w->last_ns);
	snprintf(detail, cap, "%s; got a largest gap of %.0f ms, from %s to %s (%zu of %zu arrived)",
		 expect, (double)g.ns / 1e6, from, to, arrived, sent);
	return g.ns <= (int64_t)e->max * 1000000;
}

/* "lan-client.pcap frame 7 (+0.012 s)" */
static void fmt_ref(char *out, size_t cap, const struct wire_view *w, size_t i)
{
	fmt_end(out, cap, w, i, "nowhere", w->first_ns);
}

/* ---- role conflict ------------------------------------------------------- */

/* One agent's roles as its checks claim them. */
struct wire_roles {
	enum wire_role start;      /* the role the file gives it */
	enum wire_role end;        /* claimed by its last check */
	size_t first;              /* its first check with a role, or WIRE_NONE */
	size_t change;             /* its first check claiming another role, or WIRE_NONE */
	size_t changes;            /* how many times the claimed role changed */
	size_t sent_487;           /* its first 487 response, or WIRE_NONE */
	uint64_t tie_breaker;      /* of its first check with a role */
};

static enum wire_role configured_role(const struct scn_case *c, int a)
{
	const char *r = json_string_value(json_object_get(c->agent[a].configure, "role"));

	if (r != NULL && strcmp(r, "controlling") == 0)
		return WR_CONTROLLING;
	return r != NULL && strcmp(r, "controlled") == 0 ? WR_CONTROLLED : WR_NONE;
}

/* Whether request `i` repeats an earlier transaction of its sender: a
 * retransmission carries the role of the time its transaction began. */
static bool retransmits(const struct wire_view *w, const struct wire_index *ix, size_t i)
{
	const struct wire_dg *d = &w->dg[i];

	for (size_t q = ix->head[key_txid(d) & ix->mask]; q != WIRE_NONE; q = ix->next[q]) {
		if (q < i && w->dg[q].sender == d->sender &&
		    memcmp(w->dg[q].txid, d->txid, sizeof(d->txid)) == 0)
			return true;
	}
	return false;
}

static void role_trace(const struct wire_view *w, const struct wire_index *ix, int a,
		       enum wire_role start, struct wire_roles *t)
{
	*t = (struct wire_roles){ .start = start, .end = start, .first = WIRE_NONE,
				  .change = WIRE_NONE, .sent_487 = WIRE_NONE };
	for (size_t i = 0; i < w->n; i++) {
		const struct wire_dg *d = &w->dg[i];

		if (d->sender != a)
			continue;
		if (d->kind == WK_ERR && d->code == WIRE_ROLE_CONFLICT && t->sent_487 == WIRE_NONE)
			t->sent_487 = i;
		if (d->kind != WK_REQ || d->role == WR_NONE || retransmits(w, ix, i))
			continue;
		if (t->first == WIRE_NONE) {
			t->first = i;
			t->tie_breaker = d->tie_breaker;
		}
		if (d->role != t->end) {
			t->change = t->change == WIRE_NONE ? i : t->change;
			t->changes++;
			t->end = d->role;
		}
	}
}

/* What agent `a` received before datagram `before` that obliges it to
 * switch from `role`: a check claiming `role` too (7.3.1.1) or a 487
 * (7.2.5.1).  WIRE_NONE if nothing. */
static size_t switch_cause(const struct wire_view *w, int a, enum wire_role role, size_t before)
{
	for (size_t i = 0; i < before && i < w->n; i++) {
		const struct wire_dg *d = &w->dg[i];

		if (d->receiver == a && ((d->kind == WK_REQ && d->role == role) ||
					 (d->kind == WK_ERR && d->code == WIRE_ROLE_CONFLICT)))
			return i;
	}
	return WIRE_NONE;
}

/* Of two agents that each claimed a role on the wire and both started in
 * `t[0].start`: fails unless exactly one switched, once, for a reason seen
 * on the wire, did not answer 487 itself, and the tie-breakers agree. */
static bool roles_settled(const struct wire_view *w, const struct wire_roles t[2], char *got,
			  size_t cap)
{
	int s = t[0].changes > 0 ? 0 : 1, k = 1 - s;
	const char *sn = agent_name(w, s), *kn = agent_name(w, k);
	const char *now = wire_role_name[t[s].end], *was = wire_role_name[t[s].start];
	size_t cause;
	char a[96], b[96];

	fmt_ref(a, sizeof(a), w, t[s].change);
	if ((t[0].changes > 0) == (t[1].changes > 0)) {
		fmt_ref(b, sizeof(b), w, t[1].change);
		if (t[0].changes == 0)
			return snprintf(got, cap, "neither switched: both claim %s to the end", was),
			       false;
		return snprintf(got, cap, "both switched: %s at %s, %s at %s", agent_name(w, 0), a,
				agent_name(w, 1), b), false;
	}
	if (t[s].changes > 1)
		return snprintf(got, cap, "%s changing role %zu times, first at %s, ending %s", sn,
				t[s].changes, a, now), false;
	cause = switch_cause(w, s, t[s].start, t[s].change);
	if (cause == WIRE_NONE)
		return snprintf(got, cap, "%s switching to %s at %s with no check claiming %s and "
				"no 487 received before", sn, now, a, was), false;
	if (t[s].sent_487 != WIRE_NONE) {
		fmt_ref(b, sizeof(b), w, t[s].sent_487);
		return snprintf(got, cap, "%s answering 487 at %s yet switching at %s (7.3.1.1: "
				"who answers 487 keeps its role)", sn, b, a), false;
	}
	/* 7.3.1.1: in both kinds of conflict the larger tie-breaker ends
	 * controlling. */
	if ((t[s].end == WR_CONTROLLING) != (t[s].tie_breaker >= t[k].tie_breaker))
		return snprintf(got, cap, "%s ending %s with tie-breaker %016llx against %s's "
				"%016llx (7.3.1.1: the larger ends controlling)", sn, now,
				(unsigned long long)t[s].tie_breaker, kn,
				(unsigned long long)t[k].tie_breaker), false;
	fmt_ref(b, sizeof(b), w, cause);
	snprintf(got, cap, "%s switching %s -> %s at %s after %s at %s; %s keeps %s", sn, was, now,
		 a, w->dg[cause].kind == WK_ERR ? "a 487" : "a check claiming it", b, kn, was);
	return true;
}

static bool role_conflict(const struct wire_view *w, const struct scn_case *c, char *detail,
			  size_t cap)
{
	static const char expect[] = "expected both agents' checks to claim one role, then "
				     "exactly one agent to switch";
	struct wire_roles t[2];
	struct wire_index ix;
	char got[400], r487[112] = "no 487 sent";
	bool ok;

	if (w->n_agents < 2 || c->n_agents < 2)
		return snprintf(detail, cap, "%s; the case has fewer than 2 agents", expect), false;
	if (configured_role(c, 0) == WR_NONE || configured_role(c, 0) != configured_role(c, 1))
		return snprintf(detail, cap, "%s; the file does not start both in one role",
				expect), false;
	if (index_build(&ix, w, want_request, key_txid) < 0)
		return snprintf(detail, cap, "out of memory"), false;
	for (int a = 0; a < 2; a++)
		role_trace(w, &ix, a, configured_role(c, a), &t[a]);
	index_free(&ix);
	for (int a = 0; a < 2; a++) {
		if (t[a].first == WIRE_NONE)
			return snprintf(detail, cap, "%s; got no Binding request with ICE-CONTROLLING "
					"or ICE-CONTROLLED from %s", expect, agent_name(w, a)),
			       false;
	}
	ok = roles_settled(w, t, got, sizeof(got));
	for (int a = 0; a < 2; a++) {
		char ref[96];

		if (t[a].sent_487 == WIRE_NONE)
			continue;
		fmt_ref(ref, sizeof(ref), w, t[a].sent_487);
		snprintf(r487, sizeof(r487), "487 from %s at %s", agent_name(w, a), ref);
	}
	snprintf(detail, cap, "%s; got %s; %s", expect, got, r487);
	return ok;
}

/* ---- checks rejected ----------------------------------------------------- */

/* A Binding request the peer of `a` sent and `a`'s node received. */
static bool from_peer(const struct wire_dg *d, int a)
{
	return d->kind == WK_REQ && d->receiver == a && d->origin >= 0 && d->origin != a;
}

/* What `a` did with its peer's checks: how many arrived and how many were
 * rejected as asked; the first of each, and the first answer that is not
 * such a rejection (with its request).  Indices, or WIRE_NONE. */
struct wire_rejections {
	size_t reached, answered;
	size_t first_check, first_reject;
	size_t bad, bad_check;
	int peer;
};

static int scan_rejections(const struct wire_view *w, const struct scn_expect *e, int a,
			   struct wire_rejections *s)
{
	struct wire_index ix;

	*s = (struct wire_rejections){ .first_check = WIRE_NONE, .first_reject = WIRE_NONE,
				       .bad = WIRE_NONE, .bad_check = WIRE_NONE, .peer = -1 };
	if (index_build(&ix, w, want_request, key_txid) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < w->n && s->bad == WIRE_NONE; i++) {
		size_t q;

		if (from_peer(&w->dg[i], a)) {
			s->first_check = s->reached++ ? s->first_check : i;
			s->peer = w->dg[i].origin;
		}
		if (w->dg[i].sender != a || !is_response(w->dg[i].kind) ||
		    (q = request_of(w, &ix, i, true, a)) == WIRE_NONE || !from_peer(&w->dg[q], a))
			continue;
		if (w->dg[i].kind == WK_ERR && (e->code < 0 || w->dg[i].code == e->code)) {
			s->first_reject = s->answered++ ? s->first_reject : i;
			continue;
		}
		s->bad = i;
		s->bad_check = q;
	}
	index_free(&ix);
	return 0;
}

/* e->within_ms bounds the first rejection of code e->code, counted from
 * the case's origin as every `within` is; the first check's arrival is
 * named too, so that a late answer tells a slow agent from a late check.
 * Appends to `detail`, which holds the counts. */
static bool rejected_in_time(const struct wire_view *w, const struct scn_expect *e,
			     const struct wire_rejections *s, char *detail, size_t cap)
{
	const struct wire_dg *r = &w->dg[s->first_reject], *q = &w->dg[s->first_check];
	double ms = ms_since(w->t0, r->ns), arrived = ms_since(w->t0, q->ns);
	size_t n = strlen(detail);
	char rs[256], qs[128];

	if (ms <= e->within_ms) {
		snprintf(detail + n, cap - n, ", the first at %.1f ms (the first check arrived at "
			 "%.1f ms)", ms, arrived);
		return true;
	}
	fmt_dg(rs, sizeof(rs), w, r);
	fmt_ref(qs, sizeof(qs), w, s->first_check);
	snprintf(detail + n, cap - n, "; the first, %s, left at %.1f ms: later than %u ms "
		 "(the first check arrived at %.1f ms, %s)", rs, ms, e->within_ms, arrived, qs);
	return false;
}

/* Every response of `a` to its peer's checks is an error (of e->code if
 * given, then at least one, the first within e->within_ms if set); at
 * least one such check must have arrived. */
static bool rejected(const struct wire_view *w, const struct scn_expect *e, int a, char *detail,
		     size_t cap)
{
	char expect[192], how[24] = "an error", when[80] = "", rs[256], qs[256];
	struct wire_rejections s;

	if (e->code > 0)
		snprintf(how, sizeof(how), "%d", e->code);
	if (e->code > 0 && e->within_ms)
		snprintf(when, sizeof(when), ", the first within %u ms of the case's start",
			 e->within_ms);
	snprintf(expect, sizeof(expect), "expected %s to answer the peer's checks with %s%s%s",
		 agent_name(w, a), e->code > 0 ? how : "no success", e->code > 0 ? " only" : "",
		 when);
	if (scan_rejections(w, e, a, &s) < 0)
		return snprintf(detail, cap, "out of memory"), false;
	if (s.bad != WIRE_NONE) {
		fmt_dg(rs, sizeof(rs), w, &w->dg[s.bad]);
		fmt_ref(qs, sizeof(qs), w, s.bad_check);
		return snprintf(detail, cap, "%s; got %s (code %d) answering %s's check at %s",
				expect, rs, w->dg[s.bad].code, agent_name(w, w->dg[s.bad_check].origin),
				qs), false;
	}
	if (s.reached == 0)
		return snprintf(detail, cap, "%s; got no check from a peer at %s", expect,
				agent_name(w, a)), false;
	snprintf(detail, cap, "%s; got %zu check(s) from %s, %zu answered with %s", expect,
		 s.reached, agent_name(w, s.peer), s.answered, how);
	if (e->code < 0)
		return true;
	if (s.answered == 0)
		return false;
	return !e->within_ms || rejected_in_time(w, e, &s, detail, cap);
}

/* Per agent, combined as e->agent asks. */
static bool for_agents(const struct wire_view *w, const struct scn_expect *e,
		       wire_agent_check fn, char *detail, size_t cap)
{
	bool all = true, any = false;
	char one[1024];

	if (e->agent >= 0) {
		if ((size_t)e->agent < w->n_agents)
			return fn(w, e, e->agent, detail, cap);
		snprintf(detail, cap, "no agent %d in the case", e->agent);
		return false;
	}
	detail[0] = '\0';
	for (size_t i = 0; i < w->n_agents; i++) {
		bool ok = fn(w, e, (int)i, one, sizeof(one));

		/* The detail that explains the verdict: a failure for "both",
		 * a success for "any". */
		if (!detail[0] || (e->agent == SCN_AGENT_ANY ? ok && !any : !ok && all))
			snprintf(detail, cap, "%s", one);
		all = all && ok;
		any = any || ok;
	}
	return e->agent == SCN_AGENT_ANY ? any : all;
}

bool wire_check(const struct wire_view *w, const struct scn_case *c, const struct scn_expect *e,
		char *detail, size_t cap)
{
	char buf[1024];
	bool ok;

	switch (e->kind) {
	case SCN_EXP_WIRE_NO_DTLS:
	case SCN_EXP_WIRE_NO_SUCCESS:
		ok = for_agents(w, e, no_sent, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_DTLS_AFTER_NOMINATION:
		ok = dtls_after_nomination(w, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_SYMMETRIC:
		ok = for_agents(w, e, symmetric, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_CONSENT:
		ok = for_agents(w, e, consent, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_ROLE_CONFLICT:
		ok = role_conflict(w, c, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_REJECTED:
		ok = for_agents(w, e, rejected, buf, sizeof(buf));
		break;
	case SCN_EXP_WIRE_DATA_GAP:
		ok = for_agents(w, e, data_flow, buf, sizeof(buf));
		break;
	default:
		snprintf(buf, sizeof(buf), "not a wire expectation (kind %d)", (int)e->kind);
		ok = false;
		break;
	}
	if (cap > 0)
		snprintf(detail, cap, "%s", buf);
	return ok;
}

/* ---- the timeline picture ------------------------------------------------ */

static json_t *flow(const struct wire_view *w, const struct wire_dg *d)
{
	const struct wire_dg *r = d->arrival != WIRE_NONE ? &w->dg[d->arrival] : NULL;
	char src[64], dst[64];

	fmt_ep(src, sizeof(src), d->family, d->src, d->sport);
	fmt_ep(dst, sizeof(dst), d->family, d->dst, d->dport);
	return json_pack("{s:f, s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:s, s:I}", "t",
			 ms_since(w->t0, d->ns), "from", agent_name(w, d->sender), "to",
			 r ? json_string(agent_name(w, r->receiver)) : json_null(), "src", src,
			 "dst", dst, "family", d->family == AF_INET6 ? "ipv6" : "ipv4", "kind",
			 wire_kind_name[d->kind], "use_candidate", d->use_candidate, "delivered",
			 r != NULL, "t_arrive", r ? json_real(ms_since(w->t0, r->ns)) : json_null(),
			 "link", w->files[d->file].link, "frame", (json_int_t)d->frame);
}

json_t *wire_flows(const struct wire_view *w)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < w->n; i++) {
		if (w->dg[i].sender < 0)
			continue;
		if (json_array_append_new(a, flow(w, &w->dg[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
