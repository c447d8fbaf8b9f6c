/* Unit tests of the wire checks: hand-built pcap files of a made-up ICE
 * session, written as a session's capture would be, read back by
 * wire_load() and judged. */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../../common/tmpdir.h"
#include "../../harness/scenario.h"
#include "../../harness/wire.h"
#include "suites.h"

/* client --lan-- router (NAT44, IPv6 routed) --wan-- server */
static const char topo_yaml[] =
	"topology:\n"
	"  nodes:\n"
	"    client:\n"
	"      routes:\n"
	"        - { to: default, via: 10.0.0.1 }\n"
	"        - { to: default, via: '2001:db8:1::1' }\n"
	"    router:\n"
	"      router: true\n"
	"      nat:\n"
	"        - { inside: lan, outside: wan, family: ipv4 }\n"
	"    server:\n"
	"      routes:\n"
	"        - { to: default, via: '2001:db8:2::1' }\n"
	"  links:\n"
	"    lan:\n"
	"      a: { node: client, ipv4: 10.0.0.2/24, ipv6: '2001:db8:1::2/64' }\n"
	"      b: { node: router, ipv4: 10.0.0.1/24, ipv6: '2001:db8:1::1/64' }\n"
	"    wan:\n"
	"      a: { node: router, ipv4: 203.0.113.1/24, ipv6: '2001:db8:2::1/64' }\n"
	"      b: { node: server, ipv4: 203.0.113.10/24, ipv6: '2001:db8:2::10/64' }\n";

enum { LAN_CLIENT, LAN_ROUTER, WAN_ROUTER, WAN_SERVER, N_FILES };
static const char *const file_name[N_FILES] = { "lan-client.pcap", "lan-router.pcap",
						"wan-router.pcap", "wan-server.pcap" };
enum { CLIENT, SERVER };

#define T0 1700000000.0 /* capture origin, seconds */
#define CASE_T0 (T0 - 0.010) /* the case started 10 ms before it */

struct world {
	char dir[PATH_MAX];
	pcap_t *dead;
	pcap_dumper_t *d[N_FILES];
	size_t frames[N_FILES];
	size_t rx;                 /* frame of the last receipt, in the receiver's file */
	struct scn_case c;
	double t0;                 /* the case's origin for wire_load */
	json_t *timeline;          /* for wire_load; NULL: no actions */
	struct wire_view *w;
};

static void world_open(struct world *w)
{
	struct icl_err err = {0};

	memset(w, 0, sizeof(*w));
	w->t0 = CASE_T0;
	ck_assert_msg(scn_load_topology_buf("wire-unit", topo_yaml, strlen(topo_yaml), &w->c.plan,
					    &err) == 0, "%s", err.msg);
	snprintf(w->c.name, sizeof(w->c.name), "wire-unit");
	w->c.n_agents = 2;
	snprintf(w->c.agent[CLIENT].name, TOPO_NAME_MAX, "client");
	snprintf(w->c.agent[CLIENT].node, TOPO_NAME_MAX, "client");
	snprintf(w->c.agent[SERVER].name, TOPO_NAME_MAX, "server");
	snprintf(w->c.agent[SERVER].node, TOPO_NAME_MAX, "server");
	ck_assert_int_eq(icl_tmp_path(w->dir, sizeof(w->dir), "icelab-wire-unit-XXXXXX"), 0);
	ck_assert_ptr_nonnull(mkdtemp(w->dir));
	w->dead = pcap_open_dead(DLT_EN10MB, 65535);
	ck_assert_ptr_nonnull(w->dead);
	for (int f = 0; f < N_FILES; f++) {
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/%s", w->dir, file_name[f]);
		w->d[f] = pcap_dump_open(w->dead, path);
		ck_assert_msg(w->d[f] != NULL, "%s", pcap_geterr(w->dead));
	}
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One Ethernet/IP/UDP frame at T0 + ms into file f; returns its frame
 * number. */
static size_t frame(struct world *w, int f, double ms, const char *src, unsigned sport,
		    const char *dst, unsigned dport, const uint8_t *pl, size_t len)
{
	uint8_t b[1600] = {0};
	bool v6 = strchr(src, ':') != NULL;
	size_t ip = v6 ? 40 : 20, n = 14 + ip + 8 + len;
	uint8_t *h = b + 14, *u = h + ip;
	struct pcap_pkthdr ph = {0};
	double t = T0 + ms / 1e3;

	ck_assert_uint_le(n, sizeof(b));
	put16(b + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		h[0] = 0x60;
		put16(h + 4, (unsigned)(8 + len));
		h[6] = 17;
		h[7] = 64;
		ck_assert_int_eq(inet_pton(AF_INET6, src, h + 8), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, dst, h + 24), 1);
	} else {
		h[0] = 0x45;
		put16(h + 2, (unsigned)(20 + 8 + len));
		h[8] = 64;
		h[9] = 17;
		ck_assert_int_eq(inet_pton(AF_INET, src, h + 12), 1);
		ck_assert_int_eq(inet_pton(AF_INET, dst, h + 16), 1);
	}
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + len));
	memcpy(u + 8, pl, len);
	ph.ts.tv_sec = (time_t)t;
	ph.ts.tv_usec = (suseconds_t)((t - (double)ph.ts.tv_sec) * 1e6 + 0.5);
	ph.caplen = ph.len = (bpf_u_int32)n;
	pcap_dump((u_char *)w->d[f], &ph, b);
	return ++w->frames[f];
}

/* The client's addresses, as seen on the lan and (NAT44) on the wan. */
static const char *client_addr(bool v6, bool wan)
{
	return v6 ? "2001:db8:1::2" : wan ? "203.0.113.1" : "10.0.0.2";
}

static const char *server_addr(bool v6)
{
	return v6 ? "2001:db8:2::10" : "203.0.113.10";
}

/* A datagram between the client's port `cport` and the server's `sport`
 * sent at `ms` by `from`, crossing the router; it reaches the other node
 * 1 ms later unless `lost` (dropped by the router).  Returns its frame in
 * the sender's own file. */
static size_t xmit(struct world *w, int from, double ms, bool v6, unsigned cport,
		   unsigned sport, const uint8_t *pl, size_t len, bool lost)
{
	const char *cl = client_addr(v6, false), *cw = client_addr(v6, true), *s = server_addr(v6);
	size_t n;

	if (from == CLIENT) {
		n = frame(w, LAN_CLIENT, ms, cl, cport, s, sport, pl, len);
		frame(w, LAN_ROUTER, ms, cl, cport, s, sport, pl, len);
		if (lost)
			return n;
		frame(w, WAN_ROUTER, ms + 0.5, cw, cport, s, sport, pl, len);
		w->rx = frame(w, WAN_SERVER, ms + 1, cw, cport, s, sport, pl, len);
		return n;
	}
	n = frame(w, WAN_SERVER, ms, s, sport, cw, cport, pl, len);
	frame(w, WAN_ROUTER, ms, s, sport, cw, cport, pl, len);
	if (lost)
		return n;
	frame(w, LAN_ROUTER, ms + 0.5, s, sport, cl, cport, pl, len);
	w->rx = frame(w, LAN_CLIENT, ms + 1, s, sport, cl, cport, pl, len);
	return n;
}

/* A STUN header in `cap` zeroed bytes: magic cookie, a transaction ID
 * made of `tag` and `txid` (the length is the caller's). */
static void stun_head(uint8_t *b, size_t cap, unsigned type, uint8_t tag, unsigned txid)
{
	memset(b, 0, cap);
	put16(b, type);
	b[4] = 0x21, b[5] = 0x12, b[6] = 0xA4, b[7] = 0x42;
	b[8] = tag;
	b[19] = (uint8_t)txid;
}

/* A STUN message: header, PRIORITY, then USE-CANDIDATE if asked (so that
 * finding it means walking the attributes). */
static size_t stun(uint8_t *b, unsigned type, unsigned txid, bool use_candidate)
{
	size_t n = 20;

	stun_head(b, 40, type, 0xab, txid);
	put16(b + n, 0x0024);
	put16(b + n + 2, 4);
	b[n + 7] = 0x7e;
	n += 8;
	if (use_candidate) {
		put16(b + n, 0x0025);
		n += 4;
	}
	put16(b + 2, (unsigned)(n - 20));
	return n;
}

static size_t dtls(uint8_t *b, uint8_t type, uint8_t seq)
{
	static const uint8_t rec[] = { 0, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 0 };

	memcpy(b, rec, sizeof(rec));
	b[0] = type;
	b[10] = seq;
	b[16] = seq;
	return sizeof(rec);
}

/* Variants of the session. */
enum {
	V6_DTLS = 1 << 0,       /* the server also sends DTLS over IPv6 */
	EARLY_DTLS = 1 << 1,    /* the server sends DTLS before the nomination */
	NO_UC = 1 << 2,         /* no request carries USE-CANDIDATE */
	ASYM = 1 << 3,          /* one IPv4 success leaves from another port */
	GAP = 1 << 4,           /* a 7 s hole in the consent checks */
	DROP_V6_REQ = 1 << 5,   /* the server never gets the IPv6 request */
};

/* Frames (in the sender's file) the tests name. */
struct marks {
	size_t v6_dtls, early_dtls, first_dtls, server_first_dtls, uc;
	size_t asym_req, asym_resp;  /* the request as received at the server, its answer */
	size_t before_gap, after_gap;
};

static void check_pair(struct world *w, double ms, bool v6, unsigned cport, unsigned txid,
		       bool uc, unsigned resp_port, size_t *req, size_t *rx, size_t *resp)
{
	uint8_t b[64];
	size_t n, q, r;

	n = stun(b, 0x0001, txid, uc);
	q = xmit(w, CLIENT, ms, v6, cport, 6000, b, n, false);
	if (req)
		*req = q;
	if (rx)
		*rx = w->rx;
	n = stun(b, 0x0101, txid, false);
	/* IPv6 is one-way: the server's answers never reach the client. */
	r = xmit(w, SERVER, ms + 2, v6, cport, resp_port, b, n, v6);
	if (resp)
		*resp = r;
}

static void session(struct world *w, unsigned v, struct marks *m)
{
	uint8_t b[64];
	size_t n;
	double t;

	memset(m, 0, sizeof(*m));
	if (v & DROP_V6_REQ) {
		n = stun(b, 0x0001, 1, false);
		xmit(w, CLIENT, 0, true, 5000, 6000, b, n, true);
	} else {
		check_pair(w, 0, true, 5000, 1, false, 6000, NULL, NULL, NULL);
	}
	check_pair(w, 10, false, 5001, 2, false, (v & ASYM) ? 6001 : 6000, NULL, &m->asym_req,
		   &m->asym_resp);
	if (v & EARLY_DTLS)
		m->early_dtls = xmit(w, SERVER, 15, false, 5001, 6000, b, dtls(b, 22, 9), false);
	check_pair(w, 20, false, 5001, 3, !(v & NO_UC), 6000, &m->uc, NULL, NULL);
	m->first_dtls = xmit(w, CLIENT, 30, false, 5001, 6000, b, dtls(b, 22, 1), false);
	m->server_first_dtls = xmit(w, SERVER, 32, false, 5001, 6000, b, dtls(b, 22, 2), false);
	xmit(w, CLIENT, 40, false, 5001, 6000, b, dtls(b, 20, 3), false);
	if (v & V6_DTLS)
		m->v6_dtls = xmit(w, SERVER, 50, true, 5000, 6000, b, dtls(b, 23, 4), true);
	/* Consent: every 5 s (or 5 s, then 7 s, then 3 s) on the IPv4 pair. */
	for (unsigned k = 1; k <= 3; k++) {
		size_t q;

		t = 30 + ((v & GAP) && k >= 2 ? 5000.0 * k + 2000 : 5000.0 * k);
		if ((v & GAP) && k == 3)
			t = 15030;
		check_pair(w, t, false, 5001, 10 + k, false, 6000, &q, NULL, NULL);
		if (k == 1)
			m->before_gap = q;
		if (k == 2)
			m->after_gap = q;
	}
}

/* Close the files, load them, and remove them before anything can fail. */
static int world_load(struct world *w, const char *missing, struct icl_err *err)
{
	char path[PATH_MAX + 64];
	int rc;

	for (int f = 0; f < N_FILES; f++)
		pcap_dump_close(w->d[f]);
	pcap_close(w->dead);
	if (missing) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, missing);
		unlink(path);
	}
	rc = wire_load(&w->c, w->dir, w->t0, w->timeline, &w->w, err);
	for (int f = 0; f < N_FILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, file_name[f]);
		unlink(path);
	}
	rmdir(w->dir);
	return rc;
}

static void world_run(struct world *w, unsigned v, struct marks *m)
{
	struct icl_err err = {0};

	world_open(w);
	session(w, v, m);
	ck_assert_msg(world_load(w, NULL, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(w->w);
}

static void world_done(struct world *w)
{
	json_decref(w->timeline);
	wire_free(w->w);
	topo_plan_free(&w->c.plan);
}

static bool judge(struct world *w, enum scn_exp_kind kind, int agent, int family,
		  const char *addr, unsigned max, char *detail, size_t cap)
{
	struct scn_expect e = { .kind = kind, .agent = agent, .family = family, .max = max };

	snprintf(e.addr, sizeof(e.addr), "%s", addr ? addr : "");
	return wire_check(w->w, &w->c, &e, detail, cap);
}

/* `detail` names frame `n` of `file`. */
static void assert_names(const char *detail, const char *file, size_t n)
{
	char want[96];

	snprintf(want, sizeof(want), "%s frame %zu ", file, n);
	ck_assert_msg(strstr(detail, want) != NULL, "'%s' does not name '%s'", detail, want);
}

/* ---- no DTLS ------------------------------------------------------------- */

START_TEST(no_dtls_good)
{
	struct world w;
	struct marks m;
	char d[512];

	world_run(&w, 0, &m);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_NO_DTLS, SERVER, AF_INET6, NULL, 0, d, sizeof(d)),
		      "%s", d);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_NO_DTLS, SCN_AGENT_BOTH, AF_INET6, NULL, 0, d,
			    sizeof(d)), "%s", d);
	ck_assert_msg(strstr(d, "got none") != NULL, "%s", d);
	/* The IPv4 DTLS is there, and found, from each agent. */
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, SERVER, AF_INET, NULL, 0, d, sizeof(d)));
	assert_names(d, "wan-server.pcap", m.server_first_dtls);
	ck_assert_msg(strstr(d, "203.0.113.10:6000 -> 203.0.113.1:5001") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, CLIENT, 0, NULL, 0, d, sizeof(d)));
	assert_names(d, "lan-client.pcap", m.first_dtls);
	ck_assert_msg(strstr(d, "(+0.030 s)") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, CLIENT, 0, "203.0.113.10", 0, d, sizeof(d)));
	ck_assert(judge(&w, SCN_EXP_WIRE_NO_DTLS, CLIENT, 0, "203.0.113.11", 0, d, sizeof(d)));
	world_done(&w);
}
END_TEST

/* What the peer (or an attacker) was sent, not what the agent says it did:
 * the server answered the client's checks in both families, from the
 * captures, and nothing went to an address no check came from. */
START_TEST(no_binding_success)
{
	struct world w;
	struct marks m;
	char d[512];

	world_run(&w, 0, &m);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_SUCCESS, SERVER, AF_INET, NULL, 0, d, sizeof(d)));
	ck_assert_msg(strstr(d, "expected no Binding success response from server to ipv4; got "
				"binding-success in wan-server.pcap") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_SUCCESS, SERVER, AF_INET6, NULL, 0, d, sizeof(d)));
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_NO_SUCCESS, SERVER, 0, "203.0.113.11", 0, d, sizeof(d)),
		      "%s", d);
	ck_assert_msg(strstr(d, "got none") != NULL, "%s", d);
	/* The client answers no checks in this session. */
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_NO_SUCCESS, CLIENT, 0, NULL, 0, d, sizeof(d)), "%s", d);
	world_done(&w);
}
END_TEST

START_TEST(no_dtls_ipv6)
{
	struct world w;
	struct marks m;
	char d[512];

	world_run(&w, V6_DTLS, &m);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, SERVER, AF_INET6, NULL, 0, d, sizeof(d)));
	assert_names(d, "wan-server.pcap", m.v6_dtls);
	ck_assert_msg(strstr(d, "dtls-data") && strstr(d, "[2001:db8:2::10]:6000 -> "
							  "[2001:db8:1::2]:5000"), "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, SERVER, 0, "2001:db8:1::2", 0, d, sizeof(d)));
	assert_names(d, "wan-server.pcap", m.v6_dtls);
	ck_assert(judge(&w, SCN_EXP_WIRE_NO_DTLS, SERVER, 0, "2001:db8:1::99", 0, d, sizeof(d)));
	/* The client sent none over IPv6: "any" holds, "both" does not. */
	ck_assert(judge(&w, SCN_EXP_WIRE_NO_DTLS, SCN_AGENT_ANY, AF_INET6, NULL, 0, d, sizeof(d)));
	ck_assert(!judge(&w, SCN_EXP_WIRE_NO_DTLS, SCN_AGENT_BOTH, AF_INET6, NULL, 0, d,
			 sizeof(d)));
	assert_names(d, "wan-server.pcap", m.v6_dtls);
	world_done(&w);
}
END_TEST

/* ---- DTLS after nomination ----------------------------------------------- */

START_TEST(dtls_after_nomination)
{
	static const unsigned variants[] = { 0, EARLY_DTLS, NO_UC };
	unsigned v = variants[_i];
	struct world w;
	struct marks m;
	char d[512];
	bool ok;

	world_run(&w, v, &m);
	ok = judge(&w, SCN_EXP_WIRE_DTLS_AFTER_NOMINATION, SCN_AGENT_BOTH, 0, NULL, 0, d,
		   sizeof(d));
	ck_assert_msg(ok == (v == 0), "%s", d);
	if (v == EARLY_DTLS) {
		assert_names(d, "wan-server.pcap", m.early_dtls);
		assert_names(d, "lan-client.pcap", m.uc);
	} else if (v == NO_UC) {
		assert_names(d, "lan-client.pcap", m.first_dtls);
		ck_assert_msg(strstr(d, "no USE-CANDIDATE") != NULL, "%s", d);
	} else {
		assert_names(d, "lan-client.pcap", m.uc);
	}
	world_done(&w);
}
END_TEST

/* ---- symmetric responses ------------------------------------------------- */

START_TEST(symmetric)
{
	struct world w;
	struct marks m;
	char d[512];

	/* The IPv6 request goes unanswered: not this check's business. */
	world_run(&w, DROP_V6_REQ, &m);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_SYMMETRIC, SCN_AGENT_BOTH, 0, NULL, 0, d, sizeof(d)),
		      "%s", d);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_SYMMETRIC, SERVER, 0, NULL, 0, d, sizeof(d)), "%s", d);
	ck_assert_msg(strstr(d, "got 5, all mirrored") != NULL, "%s", d);
	world_done(&w);

	world_run(&w, ASYM, &m);
	ck_assert(!judge(&w, SCN_EXP_WIRE_SYMMETRIC, SERVER, 0, NULL, 0, d, sizeof(d)));
	assert_names(d, "wan-server.pcap", m.asym_resp);
	/* The request as it arrived, at the server's node. */
	assert_names(d, "wan-server.pcap", m.asym_req);
	ck_assert_msg(strstr(d, "203.0.113.10:6001 -> 203.0.113.1:5001") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_SYMMETRIC, SCN_AGENT_BOTH, 0, NULL, 0, d, sizeof(d)));
	/* The client answered nothing, so it is symmetric. */
	ck_assert(judge(&w, SCN_EXP_WIRE_SYMMETRIC, CLIENT, 0, NULL, 0, d, sizeof(d)));
	world_done(&w);
}
END_TEST

/* ---- consent ------------------------------------------------------------- */

START_TEST(consent)
{
	struct world w;
	struct marks m;
	char d[512];

	world_run(&w, 0, &m);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_CONSENT, CLIENT, 0, NULL, 6000, d, sizeof(d)), "%s", d);
	ck_assert_msg(strstr(d, "largest gap of 5000 ms") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_CONSENT, CLIENT, 0, NULL, 4000, d, sizeof(d)));
	/* The server never checked: nothing succeeded for it. */
	ck_assert(!judge(&w, SCN_EXP_WIRE_CONSENT, SERVER, 0, NULL, 6000, d, sizeof(d)));
	ck_assert_msg(strstr(d, "no successful check") != NULL, "%s", d);
	world_done(&w);

	world_run(&w, GAP, &m);
	ck_assert(!judge(&w, SCN_EXP_WIRE_CONSENT, CLIENT, 0, NULL, 6000, d, sizeof(d)));
	ck_assert_msg(strstr(d, "largest gap of 7000 ms") != NULL, "%s", d);
	assert_names(d, "lan-client.pcap", m.before_gap);
	assert_names(d, "lan-client.pcap", m.after_gap);
	ck_assert_msg(strstr(d, "10.0.0.2:5001 -> 203.0.113.10:6000") != NULL, "%s", d);
	ck_assert(judge(&w, SCN_EXP_WIRE_CONSENT, CLIENT, 0, NULL, 7000, d, sizeof(d)));
	world_done(&w);
}
END_TEST

/* ---- role conflict and rejected checks ----------------------------------- */

enum { CTLD = 0x8029, CTLG = 0x802A, NO_ROLE = 0 };

/* A Binding message with, if given, a role attribute and its tie-breaker,
 * and an ERROR-CODE (`code` > 0), as the checks of a conflict carry. */
static size_t stun_ice(uint8_t *b, unsigned type, unsigned txid, unsigned role, uint64_t tie,
		       unsigned code)
{
	size_t n = 20;

	stun_head(b, 64, type, 0xcd, txid);
	if (code > 0) {
		put16(b + n, 0x0009);
		put16(b + n + 2, 4);
		b[n + 6] = (uint8_t)(code / 100);
		b[n + 7] = (uint8_t)(code % 100);
		n += 8;
	}
	if (role != NO_ROLE) {
		put16(b + n, role);
		put16(b + n + 2, 8);
		for (int i = 0; i < 8; i++)
			b[n + 4 + i] = (uint8_t)(tie >> (56 - 8 * i));
		n += 12;
	}
	put16(b + n, 0x0024); /* PRIORITY after the role: the walk must go on */
	put16(b + n + 2, 4);
	n += 8;
	put16(b + 2, (unsigned)(n - 20));
	return n;
}

/* Variants of the conflict: both start controlling; the client (smaller
 * tie-breaker) gets the server's 487 and switches, unless... */
enum {
	RC_NO_SWITCH = 1 << 0,  /* the client keeps claiming controlling */
	RC_BOTH = 1 << 1,       /* the server switches too */
	RC_TIE = 1 << 2,        /* the client has the larger tie-breaker */
	RC_FLAP = 1 << 3,       /* the client switches back */
	RC_NO_CAUSE = 1 << 4,   /* no 487, and the server checks only later */
	RC_CLIENT_487 = 1 << 5, /* the client (which switches) answers 487 */
};

struct rc_marks {
	size_t switch_req, server_487, client_487, flap;
};

static size_t send_ice(struct world *w, int from, double ms, unsigned type, unsigned txid,
		       unsigned role, uint64_t tie, unsigned code)
{
	uint8_t b[64];

	return xmit(w, from, ms, false, 5001, 6000, b, stun_ice(b, type, txid, role, tie, code),
		    false);
}

static void conflict(struct world *w, unsigned v, struct rc_marks *m)
{
	uint64_t ct = (v & RC_TIE) ? 0x9000000000000000ull : 0x1000000000000000ull;
	uint64_t st = (v & RC_TIE) ? 0x1000000000000000ull : 0x9000000000000000ull;
	unsigned client_role = (v & RC_NO_SWITCH) ? CTLG : CTLD;

	memset(m, 0, sizeof(*m));
	send_ice(w, CLIENT, 0, 0x0001, 1, CTLG, ct, 0);
	if (!(v & RC_NO_CAUSE)) {
		send_ice(w, SERVER, 1, 0x0001, 2, CTLG, st, 0);
		m->server_487 = send_ice(w, SERVER, 3, 0x0111, 1, NO_ROLE, 0, 487);
		m->client_487 = send_ice(w, CLIENT, 4, (v & RC_CLIENT_487) ? 0x0111 : 0x0101, 2,
					 NO_ROLE, 0, (v & RC_CLIENT_487) ? 487 : 0);
	}
	m->switch_req = send_ice(w, CLIENT, 5, 0x0001, 3, client_role, ct, 0);
	/* A retransmission of the first check keeps its old role: not a switch. */
	send_ice(w, CLIENT, 8, 0x0001, 1, CTLG, ct, 0);
	send_ice(w, SERVER, 10, 0x0001, 4, (v & RC_BOTH) ? CTLD : CTLG, st, 0);
	send_ice(w, SERVER, 12, 0x0101, 3, NO_ROLE, 0, 0);
	m->flap = send_ice(w, CLIENT, 20, 0x0001, 5, (v & RC_FLAP) ? CTLG : client_role, ct, 0);
}

static void conflict_run(struct world *w, unsigned v, struct rc_marks *m, const char *role)
{
	struct icl_err err = {0};

	world_open(w);
	for (int a = 0; a < 2; a++)
		w->c.agent[a].configure = json_pack("{s:s}", "role", role);
	conflict(w, v, m);
	ck_assert_msg(world_load(w, NULL, &err) == 0, "%s", err.msg);
}

static void conflict_done(struct world *w)
{
	for (int a = 0; a < 2; a++)
		json_decref(w->c.agent[a].configure);
	world_done(w);
}

START_TEST(role_conflict_settled)
{
	struct world w;
	struct rc_marks m;
	char d[768];

	conflict_run(&w, 0, &m, "controlling");
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_ROLE_CONFLICT, SCN_AGENT_BOTH, 0, NULL, 0, d,
			    sizeof(d)), "%s", d);
	ck_assert_msg(strstr(d, "got client switching controlling -> controlled at lan-client.pcap"
				" frame ") != NULL, "%s", d);
	assert_names(d, "lan-client.pcap", m.switch_req);
	assert_names(d, "wan-server.pcap", m.server_487);
	ck_assert_msg(strstr(d, "after a check claiming it") != NULL, "%s", d);
	ck_assert_msg(strstr(d, "server keeps controlling; 487 from server at") != NULL, "%s", d);
	conflict_done(&w);

	/* The file says both start controlled: the client's checks then
	 * change nothing it was told, and the server's never changed. */
	conflict_run(&w, 0, &m, "controlled");
	ck_assert(!judge(&w, SCN_EXP_WIRE_ROLE_CONFLICT, SCN_AGENT_BOTH, 0, NULL, 0, d, sizeof(d)));
	ck_assert_msg(strstr(d, "both switched") != NULL, "%s", d);
	conflict_done(&w);
}
END_TEST

/* Each variant breaks the settlement in one way the check must name. */
START_TEST(role_conflict_unsettled)
{
	static const struct {
		unsigned v;
		const char *says;
	} cases[] = {
		{ RC_NO_SWITCH, "neither switched: both claim controlling to the end" },
		{ RC_BOTH, "both switched: client at lan-client.pcap frame " },
		{ RC_TIE, "client ending controlled with tie-breaker 9000000000000000 against "
			  "server's 1000000000000000" },
		{ RC_FLAP, "client changing role 2 times, first at lan-client.pcap frame " },
		{ RC_NO_CAUSE, "client switching to controlled at lan-client.pcap frame 2 (+0.005 s) "
			       "with no check claiming controlling and no 487 received before" },
		{ RC_CLIENT_487, "client answering 487 at lan-client.pcap frame " },
	};
	struct world w;
	struct rc_marks m;
	char d[768];

	conflict_run(&w, cases[_i].v, &m, "controlling");
	ck_assert_msg(!judge(&w, SCN_EXP_WIRE_ROLE_CONFLICT, SCN_AGENT_BOTH, 0, NULL, 0, d,
			     sizeof(d)), "%s", d);
	ck_assert_msg(strstr(d, cases[_i].says) != NULL, "'%s' lacks '%s'", d, cases[_i].says);
	if (cases[_i].v == RC_BOTH)
		ck_assert_msg(strstr(d, ", server at wan-server.pcap frame") != NULL, "%s", d);
	conflict_done(&w);
}
END_TEST

START_TEST(role_conflict_no_roles)
{
	struct world w;
	struct marks m;
	char d[768];

	/* The plain session's checks claim no role at all. */
	world_open(&w);
	for (int a = 0; a < 2; a++)
		w.c.agent[a].configure = json_pack("{s:s}", "role", "controlling");
	session(&w, 0, &m);
	{
		struct icl_err err = {0};

		ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	}
	ck_assert(!judge(&w, SCN_EXP_WIRE_ROLE_CONFLICT, SCN_AGENT_BOTH, 0, NULL, 0, d, sizeof(d)));
	ck_assert_msg(strstr(d, "got no Binding request with ICE-CONTROLLING or ICE-CONTROLLED "
				"from client") != NULL, "%s", d);
	conflict_done(&w);
}
END_TEST

/* Rejected credentials: the server answers the client's checks with 401,
 * retransmissions included, or with something else. */
enum { RJ_OK, RJ_SUCCESS, RJ_400, RJ_SILENT, RJ_NONE };

static void rejections(struct world *w, unsigned v, size_t *bad, size_t *bad_req)
{
	unsigned type = v == RJ_SUCCESS ? 0x0101 : 0x0111, code = v == RJ_SUCCESS ? 0 : 401;

	if (v == RJ_NONE)
		return;
	send_ice(w, CLIENT, 0, 0x0001, 1, CTLG, 7, 0);
	*bad_req = w->rx;
	if (v != RJ_SILENT)
		send_ice(w, SERVER, 1, 0x0111, 1, NO_ROLE, 0, 401);
	send_ice(w, CLIENT, 20, 0x0001, 2, CTLG, 7, 0);
	if (v == RJ_SUCCESS || v == RJ_400)
		*bad_req = w->rx;
	if (v == RJ_400)
		code = 400;
	if (v != RJ_SILENT)
		*bad = send_ice(w, SERVER, 21, type, 2, NO_ROLE, 0, code);
}

START_TEST(checks_rejected)
{
	static const bool holds_401[] = { [RJ_OK] = true, [RJ_SUCCESS] = false,
					  [RJ_400] = false, [RJ_SILENT] = false, [RJ_NONE] = false };
	static const bool holds_any[] = { [RJ_OK] = true, [RJ_SUCCESS] = false,
					  [RJ_400] = true, [RJ_SILENT] = true, [RJ_NONE] = false };
	struct icl_err err = {0};
	struct world w;
	size_t bad = 0, bad_req = 0;
	char d[768];
	struct scn_expect e = { .kind = SCN_EXP_WIRE_REJECTED, .agent = SERVER, .code = 401 };
	bool ok;

	world_open(&w);
	rejections(&w, (unsigned)_i, &bad, &bad_req);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	ok = wire_check(w.w, &w.c, &e, d, sizeof(d));
	ck_assert_msg(ok == holds_401[_i], "variant %d: %s", _i, d);
	if (_i == RJ_OK)
		ck_assert_msg(strstr(d, "got 2 check(s) from client, 2 answered with 401"), "%s", d);
	if (_i == RJ_SUCCESS || _i == RJ_400) {
		assert_names(d, "wan-server.pcap", bad);
		assert_names(d, "wan-server.pcap", bad_req);
		ck_assert_msg(strstr(d, _i == RJ_400 ? "(code 400)" : "binding-success in"), "%s", d);
	}
	if (_i == RJ_SILENT)
		ck_assert_msg(strstr(d, "2 check(s) from client, 0 answered with 401"), "%s", d);
	if (_i == RJ_NONE)
		ck_assert_msg(strstr(d, "got no check from a peer at server"), "%s", d);
	/* Without a code, silence and any error are a rejection. */
	e.code = -1;
	ok = wire_check(w.w, &w.c, &e, d, sizeof(d));
	ck_assert_msg(ok == holds_any[_i], "variant %d, any code: %s", _i, d);
	/* The client answered nothing. */
	e.agent = CLIENT;
	ck_assert(!wire_check(w.w, &w.c, &e, d, sizeof(d)));
	world_done(&w);
}
END_TEST

/* `within` bounds the server's first 401, counted from the case's origin
 * (CASE_T0, 10 ms before T0) as every `within` is; a check arrives 1 ms
 * after it was sent. */
enum { RW_MET, RW_LATE, RW_FIRST_IGNORED, RW_LATE_CHECK, RW_N };

static const struct {
	double check1, check2, answer1, answer2; /* ms from T0; answer1 < 0: unanswered */
	unsigned within;
	bool holds;
	const char *says;
} rw[RW_N] = {
	/* At 1499 ms of the case; the later answer is not bounded. */
	[RW_MET] = { 0, 1600, 1489, 3000, 1500, true,
		     "got 2 check(s) from client, 2 answered with 401, the first at 1499.0 ms "
		     "(the first check arrived at 11.0 ms)" },
	[RW_LATE] = { 0, 1600, 1492, 1601, 1500, false,
		      "(+1.492 s) 203.0.113.10:6000 -> 203.0.113.1:5001, left at 1502.0 ms: "
		      "later than 1500 ms (the first check arrived at 11.0 ms, wan-server.pcap "
		      "frame 1 (+0.001 s))" },
	/* Each answer comes 1 ms after its own check, but the first check
	 * went unanswered: the first 401 is late all the same. */
	[RW_FIRST_IGNORED] = { 0, 1000, -1, 1001, 500, false,
			       "left at 1011.0 ms: later than 500 ms (the first check arrived "
			       "at 11.0 ms" },
	/* Answered 1 ms after it arrived, but the check itself came late:
	 * the bound is the case's, not the agent's reaction time. */
	[RW_LATE_CHECK] = { 1400, 1600, 1402, 1602, 1000, false,
			    "left at 1412.0 ms: later than 1000 ms (the first check arrived "
			    "at 1411.0 ms" },
};

START_TEST(checks_rejected_within)
{
	struct scn_expect e = { .kind = SCN_EXP_WIRE_REJECTED, .agent = SERVER, .code = 401,
				.within_ms = rw[_i].within };
	struct icl_err err = {0};
	struct world w;
	size_t first = 0, second;
	char d[768];
	bool ok;

	world_open(&w);
	send_ice(&w, CLIENT, rw[_i].check1, 0x0001, 1, CTLG, 7, 0);
	if (rw[_i].answer1 >= 0)
		first = send_ice(&w, SERVER, rw[_i].answer1, 0x0111, 1, NO_ROLE, 0, 401);
	send_ice(&w, CLIENT, rw[_i].check2, 0x0001, 2, CTLG, 7, 0);
	second = send_ice(&w, SERVER, rw[_i].answer2, 0x0111, 2, NO_ROLE, 0, 401);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	ok = wire_check(w.w, &w.c, &e, d, sizeof(d));
	ck_assert_msg(ok == rw[_i].holds, "variant %d: %s", _i, d);
	ck_assert_msg(strstr(d, rw[_i].says) != NULL, "'%s' lacks '%s'", d, rw[_i].says);
	ck_assert_msg(strstr(d, "the first within ") != NULL, "%s", d);
	if (!rw[_i].holds)
		assert_names(d, "wan-server.pcap", first ? first : second);
	/* Without the bound the same capture holds. */
	e.within_ms = 0;
	ck_assert_msg(wire_check(w.w, &w.c, &e, d, sizeof(d)), "variant %d: %s", _i, d);
	world_done(&w);
}
END_TEST

/* ---- flows --------------------------------------------------------------- */

static json_t *nth_flow(json_t *flows, const char *from, const char *kind, const char *family,
			size_t nth)
{
	size_t i;
	json_t *f;

	json_array_foreach(flows, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "from")), from) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "kind")), kind) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "family")), family) == 0 &&
		    nth-- == 0)
			return f;
	}
	return NULL;
}

static double num(json_t *f, const char *key)
{
	return json_number_value(json_object_get(f, key));
}

START_TEST(flows)
{
	struct world w;
	struct marks m;
	json_t *fl, *f;
	double prev = -1;
	size_t i;

	world_run(&w, 0, &m);
	/* The case's origin 10 ms before the first datagram. */
	fl = wire_flows(w.w);
	ck_assert_ptr_nonnull(fl);
	/* Sent: 3 checks + 3 consent checks each way (6 + 6), 3 DTLS records. */
	ck_assert_uint_eq(json_array_size(fl), 15);
	json_array_foreach(fl, i, f) {
		ck_assert(num(f, "t") >= prev);
		prev = num(f, "t");
	}
	/* Delivered: the client's IPv6 check, seen at the server 1 ms on. */
	f = nth_flow(fl, "client", "binding-request", "ipv6", 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(json_string_value(json_object_get(f, "to")), "server");
	ck_assert(json_is_true(json_object_get(f, "delivered")));
	ck_assert_double_eq_tol(num(f, "t"), 10.0, 1e-3);
	ck_assert_double_eq_tol(num(f, "t_arrive"), 11.0, 1e-3);
	ck_assert_str_eq(json_string_value(json_object_get(f, "src")), "[2001:db8:1::2]:5000");
	ck_assert_str_eq(json_string_value(json_object_get(f, "link")), "lan");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "frame")), 1);
	ck_assert(json_is_false(json_object_get(f, "use_candidate")));
	/* Not delivered: the server's IPv6 answer, dropped by the router. */
	f = nth_flow(fl, "server", "binding-success", "ipv6", 0);
	ck_assert_ptr_nonnull(f);
	ck_assert(json_is_null(json_object_get(f, "to")));
	ck_assert(json_is_false(json_object_get(f, "delivered")));
	ck_assert(json_is_null(json_object_get(f, "t_arrive")));
	ck_assert_str_eq(json_string_value(json_object_get(f, "link")), "wan");
	ck_assert_str_eq(json_string_value(json_object_get(f, "dst")), "[2001:db8:1::2]:5000");
	/* Through the NAT: the payload is what ties both ends together. */
	f = nth_flow(fl, "server", "dtls-handshake", "ipv4", 0);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(json_string_value(json_object_get(f, "to")), "client");
	ck_assert_str_eq(json_string_value(json_object_get(f, "dst")), "203.0.113.1:5001");
	ck_assert_double_eq_tol(num(f, "t_arrive") - num(f, "t"), 1.0, 1e-3);
	ck_assert_int_eq(json_integer_value(json_object_get(f, "frame")),
			 (json_int_t)m.server_first_dtls);
	f = nth_flow(fl, "client", "binding-request", "ipv4", 1);
	ck_assert(json_is_true(json_object_get(f, "use_candidate")));
	f = nth_flow(fl, "client", "dtls-ccs", "ipv4", 0);
	ck_assert_ptr_nonnull(f);
	json_decref(fl);
	world_done(&w);
}
END_TEST

static bool delivered(json_t *f)
{
	ck_assert_ptr_nonnull(f);
	return json_is_true(json_object_get(f, "delivered"));
}

/* Identical payloads: retransmissions, and the same bytes from both. */
START_TEST(flows_same_payload)
{
	struct icl_err err = {0};
	struct world w;
	uint8_t b[64];
	size_t n;
	json_t *fl, *f;

	world_open(&w);
	/* Delivered, then retransmitted and lost: the receipt is the
	 * first's, not the later copy's. */
	n = stun(b, 0x0001, 1, false);
	xmit(&w, CLIENT, 0, false, 5001, 6000, b, n, false);
	xmit(&w, CLIENT, 100, false, 5001, 6000, b, n, true);
	/* The same record from both, the server's lost just before the
	 * client's arrives: a node does not receive its own datagram. */
	n = dtls(b, 23, 7);
	frame(&w, LAN_CLIENT, 200, "10.0.0.2", 5001, "203.0.113.10", 6000, b, n);
	frame(&w, WAN_SERVER, 200.5, "203.0.113.10", 6000, "203.0.113.1", 5001, b, n);
	frame(&w, WAN_SERVER, 201, "203.0.113.1", 5001, "203.0.113.10", 6000, b, n);
	/* Lost, then retransmitted and delivered: the receipt is the
	 * second's. */
	n = stun(b, 0x0001, 2, false);
	xmit(&w, CLIENT, 300, false, 5001, 6000, b, n, true);
	xmit(&w, CLIENT, 400, false, 5001, 6000, b, n, false);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	fl = wire_flows(w.w); /* times from CASE_T0, 10 ms before the first */
	ck_assert_ptr_nonnull(fl);
	ck_assert_uint_eq(json_array_size(fl), 6);
	f = nth_flow(fl, "client", "binding-request", "ipv4", 0);
	ck_assert(delivered(f));
	ck_assert_double_eq_tol(num(f, "t_arrive"), 11.0, 1e-3);
	ck_assert(!delivered(nth_flow(fl, "client", "binding-request", "ipv4", 1)));
	ck_assert(!delivered(nth_flow(fl, "client", "binding-request", "ipv4", 2)));
	f = nth_flow(fl, "client", "binding-request", "ipv4", 3);
	ck_assert(delivered(f));
	ck_assert_double_eq_tol(num(f, "t_arrive"), 411.0, 1e-3);
	f = nth_flow(fl, "client", "dtls-data", "ipv4", 0);
	ck_assert(delivered(f));
	ck_assert_double_eq_tol(num(f, "t_arrive"), 211.0, 1e-3);
	f = nth_flow(fl, "server", "dtls-data", "ipv4", 0);
	ck_assert(!delivered(f));
	ck_assert(json_is_null(json_object_get(f, "to")));
	json_decref(fl);
	world_done(&w);
}
END_TEST

/* A harness action on link wan at `t` ms from the case's origin. */
static void action(struct world *w, double t, const char *what, const char *family,
		   const char *direction)
{
	if (w->timeline == NULL)
		w->timeline = json_array();
	ck_assert_ptr_nonnull(w->timeline);
	json_array_append_new(w->timeline,
			      json_pack("{s:f, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "t", t, "agent",
					"harness", "event", "event", "action", "action", what,
					"link", "wan", "family", family, "direction", direction));
}

/* A cut drops at the end it covers, after that end's capture: what the
 * server's end captured while it was cut never reached the server.  The
 * client's IPv4 check leaves at 110 ms (the case's origin) and is
 * captured at the server's end, end b of wan, at 111 ms. */
static const struct {
	const char *what;
	const char *cut, *family, *direction;
	double at, restore_at;      /* restore_at < 0: never */
	bool delivered;
} cut_cases[] = {
	{ "no action", NULL, NULL, NULL, 0, -1, true },
	{ "whole link cut before", "cut", "both", "both", 105, -1, false },
	{ "cut at end a only", "cut", "both", "b-to-a", 105, -1, true },
	{ "cut at end b only", "cut", "ipv4", "a-to-b", 105, -1, false },
	{ "other family cut", "cut", "ipv6", "both", 105, -1, true },
	{ "cut and restored before", "cut", "both", "both", 105, 108, true },
	{ "cut after it arrived", "cut", "both", "both", 112, -1, true },
};

START_TEST(cut_drops_receipts)
{
	struct icl_err err = {0};
	struct world w;
	uint8_t b[64];
	json_t *fl, *f;

	world_open(&w);
	xmit(&w, CLIENT, 100, false, 5001, 6000, b, stun(b, 0x0001, 1, false), false);
	if (cut_cases[_i].cut != NULL)
		action(&w, cut_cases[_i].at, "cut", cut_cases[_i].family, cut_cases[_i].direction);
	if (cut_cases[_i].restore_at >= 0)
		action(&w, cut_cases[_i].restore_at, "restore", cut_cases[_i].family,
		       cut_cases[_i].direction);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	fl = wire_flows(w.w);
	f = nth_flow(fl, "client", "binding-request", "ipv4", 0);
	ck_assert_msg(delivered(f) == cut_cases[_i].delivered, "%s: delivered %d, want %d",
		      cut_cases[_i].what, delivered(f), cut_cases[_i].delivered);
	ck_assert_double_eq_tol(num(f, "t"), 110.0, 1e-3);
	json_decref(fl);
	world_done(&w);
}
END_TEST

/* ---- data gap ------------------------------------------------------------ */

/* The client sends application data every 100 ms from 100 ms (10
 * records); those at 400 and 500 ms are lost on the way (variant 0), or
 * arrive while the server's end of wan is cut (variant 1, 350..550 ms:
 * captured there, never received).  A Binding request at `end` ms closes
 * the capture.  `at[k]`: record k's frame at the server. */
static void data_session(struct world *w, int variant, double end, size_t at[10])
{
	uint8_t b[64];

	world_open(w);
	for (int k = 0; k < 10; k++) {
		bool gone = k == 3 || k == 4;

		xmit(w, CLIENT, 100.0 * (k + 1), false, 5001, 6000, b, dtls(b, 23, (uint8_t)k),
		     gone && variant == 0);
		at[k] = gone && variant == 0 ? 0 : w->rx;
	}
	if (variant == 1) {
		action(w, 350, "cut", "both", "a-to-b");
		action(w, 550, "restore", "both", "a-to-b");
	}
	xmit(w, SERVER, end, false, 5001, 6000, b, stun(b, 0x0001, 1, false), false);
}

/* The largest gap between arrivals of an agent's application data at its
 * peer, to the end of the capture; a loss or a cut at the receiving end
 * is a gap, and an agent whose data never arrived fails. */
START_TEST(data_gap)
{
	struct icl_err err = {0};
	struct world w;
	size_t at[10];
	char d[512];

	data_session(&w, _i, 1150, at);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(judge(&w, SCN_EXP_WIRE_DATA_GAP, CLIENT, 0, NULL, 300, d, sizeof(d)), "%s",
		      d);
	ck_assert_msg(strstr(d, "largest gap of 300 ms") != NULL, "%s", d);
	ck_assert_msg(strstr(d, "(8 of 10 arrived)") != NULL, "%s", d);
	assert_names(d, "wan-server.pcap", at[2]);
	assert_names(d, "wan-server.pcap", at[5]);
	ck_assert(!judge(&w, SCN_EXP_WIRE_DATA_GAP, CLIENT, 0, NULL, 299, d, sizeof(d)));
	/* The server sent none; "both" needs it too. */
	ck_assert(!judge(&w, SCN_EXP_WIRE_DATA_GAP, SERVER, 0, NULL, 300, d, sizeof(d)));
	ck_assert_msg(strstr(d, "got none: server sent 0 DTLS application-data") != NULL, "%s", d);
	ck_assert(!judge(&w, SCN_EXP_WIRE_DATA_GAP, SCN_AGENT_BOTH, 0, NULL, 300, d, sizeof(d)));
	ck_assert(judge(&w, SCN_EXP_WIRE_DATA_GAP, SCN_AGENT_ANY, 0, NULL, 300, d, sizeof(d)));
	world_done(&w);

	/* Data that stops is a gap up to the end of the capture. */
	data_session(&w, _i, 2000, at);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	ck_assert(!judge(&w, SCN_EXP_WIRE_DATA_GAP, CLIENT, 0, NULL, 300, d, sizeof(d)));
	ck_assert_msg(strstr(d, "largest gap of 1000 ms") != NULL, "%s", d);
	ck_assert_msg(strstr(d, "to the end of the capture") != NULL, "%s", d);
	assert_names(d, "wan-server.pcap", at[9]);
	world_done(&w);
}
END_TEST

/* Sent, but nothing arrived: said so. */
START_TEST(data_gap_none_arrived)
{
	struct icl_err err = {0};
	struct world w;
	uint8_t b[64];
	char d[512];

	world_open(&w);
	for (int k = 0; k < 3; k++)
		xmit(&w, CLIENT, 100.0 * (k + 1), false, 5001, 6000, b, dtls(b, 23, (uint8_t)k),
		     true);
	ck_assert_msg(world_load(&w, NULL, &err) == 0, "%s", err.msg);
	ck_assert(!judge(&w, SCN_EXP_WIRE_DATA_GAP, CLIENT, 0, NULL, 60000, d, sizeof(d)));
	ck_assert_msg(strstr(d, "client sent 3 DTLS application-data datagrams, none arrived") !=
		      NULL, "%s", d);
	world_done(&w);
}
END_TEST

START_TEST(missing_file)
{
	struct icl_err err = {0};
	struct world w;
	struct marks m;
	int rc;

	world_open(&w);
	session(&w, 0, &m);
	rc = world_load(&w, "wan-router.pcap", &err);
	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_null(w.w);
	ck_assert_msg(strstr(err.msg, "wan-router.pcap") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
	world_done(&w);
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("captures");

	tcase_add_test(tc, no_dtls_good);
	tcase_add_test(tc, no_dtls_ipv6);
	tcase_add_test(tc, no_binding_success);
	tcase_add_loop_test(tc, dtls_after_nomination, 0, 3);
	tcase_add_test(tc, symmetric);
	tcase_add_test(tc, consent);
	tcase_add_loop_test(tc, data_gap, 0, 2);
	tcase_add_test(tc, data_gap_none_arrived);
	tcase_add_test(tc, role_conflict_settled);
	tcase_add_loop_test(tc, role_conflict_unsettled, 0, 6);
	tcase_add_test(tc, role_conflict_no_roles);
	tcase_add_loop_test(tc, checks_rejected, 0, RJ_NONE + 1);
	tcase_add_loop_test(tc, checks_rejected_within, 0, RW_N);
	tcase_add_test(tc, flows);
	tcase_add_test(tc, flows_same_payload);
	tcase_add_loop_test(tc, cut_drops_receipts, 0, sizeof(cut_cases) / sizeof(cut_cases[0]));
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return s;
}
