/* Unit tests of the verdict module: each kind of event expectation judged
 * against timelines shaped like real sessions (docs/agent-protocol.md's
 * example exchange, stamped with the harness's clock as session.c does). */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "../../harness/verdict.h"
#include "suites.h"

/* Timeline entries are written with ' for " (turned back at load time) so
 * that they stay readable. */
#define EV(t, agent, body) "{'t':" #t ",'agent':'" agent "','event':{" body "}}"

#define S_HELLO EV(0.5, "server", "'event':'hello','ts':0.3,'protocol':1,'agent':'icelab-lite'," \
			 "'version':'0.1.0','capabilities':['lite','trickle']")
#define C_CHECKING EV(5.2, "client", "'event':'ice-state','ts':5.0,'state':'checking'")
#define S_CHECK EV(5.6, "server", "'event':'check','ts':5.4,'kind':'request-answered'," \
			 "'local':'203.0.113.10:40000','remote':'198.51.100.2:51000','code':0," \
			 "'use_candidate':false")
#define S_CHECKING EV(5.7, "server", "'event':'ice-state','ts':5.5,'state':'checking'")
#define C_PAIR EV(6.3, "client", "'event':'selected-pair','ts':6.1,'local':'198.51.100.2:51000'," \
			"'remote':'203.0.113.10:40000','family':'ipv4','local_type':'host'," \
			"'remote_type':'host'")
#define C_CONNECTED EV(6.4, "client", "'event':'ice-state','ts':6.2,'state':'connected'")
#define S_PAIR EV(6.6, "server", "'event':'selected-pair','ts':6.4,'local':'203.0.113.10:40000'," \
			"'remote':'198.51.100.2:51000','family':'ipv4','local_type':'host'," \
			"'remote_type':'host'")
#define S_CONNECTED EV(6.7, "server", "'event':'ice-state','ts':6.5,'state':'connected'")
#define C_DTLS_CONNECTING EV(7.0, "client", "'event':'dtls-state','ts':6.8,'state':'connecting'," \
				   "'role':'client'")
#define S_DTLS_CONNECTING EV(7.1, "server", "'event':'dtls-state','ts':6.9,'state':'connecting'," \
				   "'role':'server'")
#define C_DTLS_CONNECTED EV(10.0, "client", "'event':'dtls-state','ts':9.8,'state':'connected'," \
				  "'role':'client','remote_fingerprint_verified':true")
#define S_DTLS_CONNECTED EV(10.2, "server", "'event':'dtls-state','ts':10.0,'state':'connected'," \
				  "'role':'server','remote_fingerprint_verified':true")
#define C_ECHOED EV(10.6, "client", "'event':'data-echoed','ts':10.4,'bytes':27,'rtt_ms':0.3")
#define S_ECHOED EV(10.9, "server", "'event':'data-echoed','ts':10.7,'bytes':27,'rtt_ms':0.4")

/* A whole successful session. */
static const char tl_good[] = "[" S_HELLO "," C_CHECKING "," S_CHECK "," S_CHECKING ","
	C_PAIR "," C_CONNECTED "," S_PAIR "," S_CONNECTED "," C_DTLS_CONNECTING ","
	S_DTLS_CONNECTING "," C_DTLS_CONNECTED "," S_DTLS_CONNECTED "," C_ECHOED ","
	S_ECHOED "]";

/* The client connects late; the server's checks fail. */
static const char tl_late[] = "[" S_HELLO ","
	EV(3.0, "server", "'event':'ice-state','ts':2.9,'state':'new'") "," C_CHECKING ","
	S_CHECKING ","
	EV(900.0, "server", "'event':'ice-state','ts':899.0,'state':'disconnected'") ","
	EV(1500.5, "server", "'event':'ice-state','ts':1500.0,'state':'checking'") ","
	EV(4012.3, "client", "'event':'ice-state','ts':4012.0,'state':'connected'") ","
	EV(8012.3, "server", "'event':'ice-state','ts':8012.0,'state':'failed'") "]";

/* DTLS fails on the client after ICE connected; no probe comes back. */
static const char tl_dtls_failed[] = "[" C_CHECKING "," C_PAIR "," C_CONNECTED ","
	S_PAIR "," S_CONNECTED "," C_DTLS_CONNECTING ","
	EV(3012.5, "client", "'event':'dtls-state','ts':3012.0,'state':'failed','role':'client',"
	   "'reason':'handshake timeout'") "," S_DTLS_CONNECTING "," S_DTLS_CONNECTED "]";

static json_t *tl_load(const char *text)
{
	char *buf = strdup(text);
	json_error_t jerr;
	json_t *tl;

	ck_assert_ptr_nonnull(buf);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	tl = json_loads(buf, 0, &jerr);
	ck_assert_msg(tl != NULL, "timeline: %s at %d", jerr.text, jerr.position);
	free(buf);
	return tl;
}

static struct scn_case *case_new(const struct scn_expect *e, size_t n)
{
	struct scn_case *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	c->n_agents = 2;
	strcpy(c->agent[0].name, "client");
	strcpy(c->agent[1].name, "server");
	c->expect = calloc(n, sizeof(*e));
	ck_assert_ptr_nonnull(c->expect);
	memcpy(c->expect, e, n * sizeof(*e));
	c->n_expect = n;
	return c;
}

static void case_free(struct scn_case *c)
{
	free(c->expect);
	free(c);
}

static struct scn_expect expect_of(enum scn_exp_kind kind, int agent, const char *state)
{
	struct scn_expect e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.agent = agent;
	snprintf(e.state, sizeof(e.state), "%s", state ? state : "");
	snprintf(e.what, sizeof(e.what), "WHAT");
	return e;
}

/* Judge one expectation; checks the item is well formed. */
static struct verdict_item judge(const struct scn_expect *e, const char *text)
{
	struct scn_case *c = case_new(e, 1);
	json_t *tl = tl_load(text);
	struct verdict_item item;
	size_t failed;

	memset(&item, 0x55, sizeof(item));
	failed = verdict_events(c, tl, &item);
	ck_assert(item.judged);
	ck_assert_uint_eq(failed, item.ok ? 0 : 1);
	ck_assert_uint_lt(strlen(item.detail), sizeof(item.detail));
	ck_assert_ptr_null(strchr(item.detail, '\n'));
	ck_assert_msg(strncmp(item.detail, item.ok ? "WHAT: " : "expected WHAT; ",
			      item.ok ? 6 : 15) == 0, "detail: %s", item.detail);
	json_decref(tl);
	case_free(c);
	return item;
}

#define ck_assert_detail_has(item, text) \
	ck_assert_msg(strstr((item).detail, (text)) != NULL, "detail \"%s\" lacks \"%s\"", \
		      (item).detail, (text))

/* ---- ICE ---- */

START_TEST(test_ice_both_within)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, SCN_AGENT_BOTH, "connected");
	struct verdict_item it;

	e.within_ms = 3000;
	it = judge(&e, tl_good);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "client: reached connected at 6.4 ms");
	ck_assert_detail_has(it, "server: reached connected at 6.7 ms");
}
END_TEST

/* A lite agent goes from checking to completed: that is connected too,
 * but a completed never seen is not faked from connected. */
START_TEST(test_ice_completed_implies_connected)
{
	static const char tl[] = "[{\"t\": 5.0, \"agent\": \"server\", \"event\": "
				 "{\"event\": \"ice-state\", \"state\": \"checking\"}},"
				 "{\"t\": 7.5, \"agent\": \"server\", \"event\": "
				 "{\"event\": \"ice-state\", \"state\": \"completed\"}}]";
	struct scn_expect e = expect_of(SCN_EXP_ICE, 1, "connected");
	struct verdict_item it = judge(&e, tl);

	ck_assert(it.ok);
	ck_assert_detail_has(it, "at 7.5 ms");
	e.never = true;
	ck_assert(!judge(&e, tl).ok);
	e = expect_of(SCN_EXP_ICE, 0, "completed");
	ck_assert(!judge(&e, tl_good).ok);
}
END_TEST

START_TEST(test_ice_deadline)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, 0, "connected");
	struct verdict_item it;

	e.within_ms = 3000;
	it = judge(&e, tl_late);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: reached connected at 4012.3 ms, after the deadline 3000 ms");
	e.within_ms = 0;               /* no bound: before the end is enough */
	ck_assert(judge(&e, tl_late).ok);
	e.within_ms = 4013;
	ck_assert(judge(&e, tl_late).ok);
}
END_TEST

START_TEST(test_ice_after_bound)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, 0, "connected");
	struct verdict_item it;

	e.after_ms = 500;
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "reached connected at 6.4 ms, before the lower bound 500 ms");
	e.after_ms = 6;
	ck_assert(judge(&e, tl_good).ok);
}
END_TEST

START_TEST(test_ice_history)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, 1, "connected");
	struct verdict_item it = judge(&e, tl_late);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: never reached connected; went through ..., checking at 5.7 ms, "
			     "disconnected at 900.0 ms, checking at 1500.5 ms, failed at 8012.3 ms");
	ck_assert_ptr_null(strstr(it.detail, "new at"));
}
END_TEST

START_TEST(test_ice_any_index)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, SCN_AGENT_ANY, "connected");
	struct verdict_item it;

	ck_assert(judge(&e, tl_late).ok);       /* the client connected */
	e.agent = SCN_AGENT_BOTH;
	it = judge(&e, tl_late);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: never reached connected");
	e.agent = 0;
	ck_assert(judge(&e, tl_late).ok);
	e.agent = 1;
	ck_assert(!judge(&e, tl_late).ok);
	e = expect_of(SCN_EXP_ICE, SCN_AGENT_ANY, "completed");
	it = judge(&e, tl_late);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: never reached completed");
	ck_assert_detail_has(it, "server: never reached completed");
}
END_TEST

START_TEST(test_ice_never)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, SCN_AGENT_BOTH, "failed");
	struct verdict_item it;

	e.never = true;
	ck_assert(judge(&e, tl_good).ok);
	it = judge(&e, tl_late);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: reported failed at 8012.3 ms");
}
END_TEST

START_TEST(test_bad_agent_index)
{
	struct scn_expect e = expect_of(SCN_EXP_ICE, 5, "connected");
	struct verdict_item it = judge(&e, tl_good);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "no agent #5");
}
END_TEST

/* ---- DTLS ---- */

START_TEST(test_dtls_role)
{
	struct scn_expect e = expect_of(SCN_EXP_DTLS, 0, "connected");
	struct verdict_item it;

	strcpy(e.role, "client");
	e.within_ms = 3000;
	it = judge(&e, tl_good);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "client: reached connected at 10.0 ms");
	strcpy(e.role, "server");
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "reached connected at 10.0 ms as role client, expected role server");
	e.agent = 1;
	ck_assert(judge(&e, tl_good).ok);
}
END_TEST

START_TEST(test_dtls_failed_reason)
{
	struct scn_expect e = expect_of(SCN_EXP_DTLS, 0, "connected");
	struct verdict_item it;

	e.within_ms = 3000;
	it = judge(&e, tl_dtls_failed);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "never reached connected; went through connecting at 7.0 ms, "
			     "failed at 3012.5 ms (reason: handshake timeout)");
	e = expect_of(SCN_EXP_DTLS, 0, "failed");
	e.never = true;
	it = judge(&e, tl_dtls_failed);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "reported failed at 3012.5 ms (reason: handshake timeout)");
}
END_TEST

START_TEST(test_dtls_none)
{
	struct scn_expect e = expect_of(SCN_EXP_DTLS, SCN_AGENT_BOTH, "connected");
	struct verdict_item it = judge(&e, tl_late);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: never reported any dtls-state");
	e.never = true;
	ck_assert(judge(&e, tl_late).ok);
}
END_TEST

/* ---- selected pair ---- */

START_TEST(test_selected_fields)
{
	struct scn_expect e = expect_of(SCN_EXP_SELECTED, 0, NULL);
	struct verdict_item it;

	e.pair.family = AF_INET;
	strcpy(e.pair.local_type, "host");
	strcpy(e.pair.remote_type, "host");
	strcpy(e.pair.local, "198.51.100.2");
	strcpy(e.pair.remote, "203.0.113.10:40000");
	it = judge(&e, tl_good);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "198.51.100.2:51000 (host) -> 203.0.113.10:40000 (host), ipv4");
	strcpy(e.pair.remote, "");
	strcpy(e.pair.remote_type, "relay");
	ck_assert(!judge(&e, tl_good).ok);
	strcpy(e.pair.remote_type, "");
	e.pair.family = AF_INET6;
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "family is not ipv6");
}
END_TEST

START_TEST(test_selected_port_wildcard)
{
	struct scn_expect e = expect_of(SCN_EXP_SELECTED, 0, NULL);
	struct verdict_item it;

	strcpy(e.pair.remote, "203.0.113.10:*");
	ck_assert(judge(&e, tl_good).ok);
	strcpy(e.pair.remote, "203.0.113.10:40001");
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "remote is not 203.0.113.10:40001");
	strcpy(e.pair.remote, "203.0.113.11:*");
	ck_assert(!judge(&e, tl_good).ok);
}
END_TEST

static const char tl_v6[] = "[" C_PAIR ","
	EV(7.5, "client", "'event':'selected-pair','ts':7.3,'local':'[2001:db8::1]:5000',"
	   "'remote':'[2001:db8:1::10]:4000','family':'ipv6','local_type':'host',"
	   "'remote_type':'prflx'") "]";

START_TEST(test_selected_ipv6_last)
{
	struct scn_expect e = expect_of(SCN_EXP_SELECTED, 0, NULL);
	struct verdict_item it;

	e.pair.family = AF_INET6;              /* the last pair counts */
	strcpy(e.pair.local, "2001:DB8:0::1");
	ck_assert(judge(&e, tl_v6).ok);
	strcpy(e.pair.local, "[2001:db8:0:0::1]:5000");
	ck_assert(judge(&e, tl_v6).ok);
	strcpy(e.pair.local, "[2001:db8::1]:*");
	ck_assert(judge(&e, tl_v6).ok);
	strcpy(e.pair.local, "[2001:db8::1]");
	strcpy(e.pair.remote_type, "prflx");
	ck_assert(judge(&e, tl_v6).ok);
	strcpy(e.pair.local, "[2001:db8::1]:5001");
	it = judge(&e, tl_v6);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "last selected-pair at 7.5 ms: [2001:db8::1]:5000 (host)");
	ck_assert_detail_has(it, "local is not [2001:db8::1]:5001");
	strcpy(e.pair.local, "[2001:db8::2]");
	ck_assert(!judge(&e, tl_v6).ok);
	strcpy(e.pair.local, "198.51.100.2");  /* the first pair's, no longer selected */
	ck_assert(!judge(&e, tl_v6).ok);
}
END_TEST

START_TEST(test_selected_none)
{
	struct scn_expect e = expect_of(SCN_EXP_SELECTED, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, tl_late);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: no selected-pair event");
	ck_assert_detail_has(it, "server: no selected-pair event");
}
END_TEST

/* ---- same tuple ---- */

#define C_NAT_PAIR EV(6.3, "client", "'event':'selected-pair','ts':6.1,'local':'10.0.1.2:5000'," \
			    "'remote':'203.0.113.10:4000','family':'ipv4','local_type':'host'," \
			    "'remote_type':'host'")
#define S_NAT_PAIR(remote, type) \
	EV(6.6, "server", "'event':'selected-pair','ts':6.4,'local':'203.0.113.10:4000'," \
	   "'remote':'" remote "','family':'ipv4','local_type':'host','remote_type':'" type "'")

START_TEST(test_same_tuple_direct)
{
	struct scn_expect e = expect_of(SCN_EXP_SAME_TUPLE, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, tl_good);

	ck_assert(it.ok);
	ck_assert_detail_has(it, "client 198.51.100.2:51000 (host) -> 203.0.113.10:40000 (host), ipv4; "
			     "server 203.0.113.10:40000 (host) -> 198.51.100.2:51000 (host), ipv4");
}
END_TEST

START_TEST(test_same_tuple_nat)
{
	static const char nat[] = "[" C_NAT_PAIR "," S_NAT_PAIR("198.51.100.1:6000", "prflx") "]";
	static const char wrong[] = "[" C_NAT_PAIR "," S_NAT_PAIR("198.51.100.9:6000", "host") "]";
	struct scn_expect e = expect_of(SCN_EXP_SAME_TUPLE, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, nat);

	ck_assert(it.ok);
	ck_assert_detail_has(it, "-> 198.51.100.1:6000 (prflx)");
	it = judge(&e, wrong);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server's remote 198.51.100.9:6000 (host) is not client's local "
			     "10.0.1.2:5000 (host)");
	ck_assert_detail_has(it, "client 10.0.1.2:5000 (host) -> 203.0.113.10:4000 (host)");
}
END_TEST

START_TEST(test_same_tuple_missing)
{
	static const char one[] = "[" C_NAT_PAIR "]";
	struct scn_expect e = expect_of(SCN_EXP_SAME_TUPLE, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, one);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: no selected-pair event");
}
END_TEST

START_TEST(test_same_tuple_mismatch)
{
	static const char other_port[] = "[" C_NAT_PAIR ","
		EV(6.6, "server", "'event':'selected-pair','local':'203.0.113.10:4001',"
		   "'remote':'10.0.1.2:5000','family':'ipv4','local_type':'host','remote_type':'host'") "]";
	static const char families[] = "[" C_NAT_PAIR ","
		EV(6.6, "server", "'event':'selected-pair','local':'[2001:db8::10]:4000',"
		   "'remote':'[2001:db8::2]:5000','family':'ipv6','local_type':'host',"
		   "'remote_type':'host'") "]";
	struct scn_expect e = expect_of(SCN_EXP_SAME_TUPLE, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, other_port);

	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client's remote 203.0.113.10:4000 (host) is not server's local "
			     "203.0.113.10:4001 (host)");
	it = judge(&e, families);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "families differ");
}
END_TEST

/* An IPv6-only client behind a NAT64 (2001:db8:64::/96, outside address
 * 203.0.113.1) and an IPv4-only server: the client's remote is the
 * synthesized address of the server's local. */
#define C_N64_PAIR(remote) \
	EV(6.3, "client", "'event':'selected-pair','local':'[2001:db8:1::2]:5000'," \
	   "'remote':'" remote "','family':'ipv6','local_type':'prflx','remote_type':'host'")
#define S_N64_PAIR EV(6.6, "server", "'event':'selected-pair','local':'203.0.113.10:4000'," \
		      "'remote':'203.0.113.1:6000','family':'ipv4','local_type':'host'," \
		      "'remote_type':'prflx'")

static struct verdict_item judge_nat64(const char *text, unsigned plen, const char *prefix)
{
	struct scn_expect e = expect_of(SCN_EXP_SAME_TUPLE, SCN_AGENT_BOTH, NULL);
	struct scn_case *c = case_new(&e, 1);
	struct topo_nat64 n64;
	struct topo_node nodes[2];
	json_t *tl = tl_load(text);
	struct verdict_item item;

	memset(nodes, 0, sizeof(nodes));
	memset(&n64, 0, sizeof(n64));
	n64.prefix.family = AF_INET6;
	n64.prefix.plen = plen;
	ck_assert_int_eq(inet_pton(AF_INET6, prefix, n64.prefix.addr), 1);
	nodes[1].nat64 = &n64;
	c->plan.nodes = nodes;
	c->plan.n_nodes = 2;
	verdict_events(c, tl, &item);
	json_decref(tl);
	case_free(c);
	return item;
}

START_TEST(test_same_tuple_nat64)
{
	static const char good[] = "[" C_N64_PAIR("[2001:db8:64::cb00:710a]:4000") ","
		S_N64_PAIR "]";
	static const char other_port[] = "[" C_N64_PAIR("[2001:db8:64::cb00:710a]:4001") ","
		S_N64_PAIR "]";
	static const char other_v4[] = "[" C_N64_PAIR("[2001:db8:64::cb00:710b]:4000") ","
		S_N64_PAIR "]";
	/* /64: RFC 6052 puts the u octet (zero) before the IPv4 bits. */
	static const char at64[] = "[" C_N64_PAIR("[2001:db8:122:344:cb:71:a00:0]:4000") ","
		S_N64_PAIR "]";
	struct verdict_item it = judge_nat64(good, 96, "2001:db8:64::");

	ck_assert_msg(it.ok, "%s", it.detail);
	ck_assert_detail_has(it, "client [2001:db8:1::2]:5000 (prflx) -> "
			     "[2001:db8:64::cb00:710a]:4000 (host), ipv6");
	it = judge_nat64(good, 96, "2001:db8:65::");          /* not the topology's prefix */
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "families differ (and no NAT64 prefix of the topology joins them)");
	it = judge_nat64(other_port, 96, "2001:db8:64::");
	ck_assert(!it.ok);
	it = judge_nat64(other_v4, 96, "2001:db8:64::");
	ck_assert(!it.ok);
	it = judge_nat64(at64, 64, "2001:db8:122:344::");
	ck_assert_msg(it.ok, "%s", it.detail);
}
END_TEST

/* ---- pair changes, data, errors ---- */

START_TEST(test_pair_changes)
{
	struct scn_expect e = expect_of(SCN_EXP_PAIR_CHANGES, 0, NULL);
	struct verdict_item it;

	e.min = 1;
	e.max = 2;
	it = judge(&e, tl_v6);                 /* the client changed pair once */
	ck_assert(it.ok);
	ck_assert_detail_has(it, "client: 2 selected-pair events");
	e.max = 1;
	it = judge(&e, tl_v6);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "2 selected-pair events, more than 1");
	e.min = 3;
	e.max = 5;
	it = judge(&e, tl_v6);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "fewer than 3");
}
END_TEST

START_TEST(test_pair_changes_both)
{
	struct scn_expect e = expect_of(SCN_EXP_PAIR_CHANGES, SCN_AGENT_BOTH, NULL);
	struct verdict_item it;

	e.min = 1;                             /* the server has none */
	e.max = 5;
	it = judge(&e, tl_v6);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: 0 selected-pair events, fewer than 1");
	e.min = 0;
	ck_assert(judge(&e, tl_v6).ok);
	e.min = 1;
	e.agent = SCN_AGENT_ANY;
	ck_assert(judge(&e, tl_v6).ok);
}
END_TEST

START_TEST(test_data_echoed)
{
	struct scn_expect e = expect_of(SCN_EXP_DATA_ECHOED, SCN_AGENT_BOTH, NULL);
	struct verdict_item it = judge(&e, tl_good);

	ck_assert(it.ok);
	ck_assert_detail_has(it, "server: data-echoed at 10.9 ms");
	it = judge(&e, tl_dtls_failed);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: no data-echoed event (last dtls-state failed at 3012.5 ms");
	e.never = true;
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: data-echoed at 10.6 ms");
	ck_assert(judge(&e, tl_dtls_failed).ok);
}
END_TEST

START_TEST(test_data_echoed_deadline)
{
	struct scn_expect e = expect_of(SCN_EXP_DATA_ECHOED, 1, NULL);
	struct verdict_item it;

	e.within_ms = 10;
	it = judge(&e, tl_good);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: data-echoed at 10.9 ms, after the deadline 10 ms");
	e.within_ms = 11;
	ck_assert(judge(&e, tl_good).ok);
}
END_TEST

static const char tl_errors[] = "[" S_HELLO ","
	EV(3.1, "server", "'event':'error','ts':2.9,'reason':'unknown field: foo','fatal':true,'id':1") ","
	EV(4.0, "server", "'event':'error','ts':3.9,'reason':'bad candidate','fatal':false") ","
	C_CHECKING "]";

START_TEST(test_no_errors)
{
	struct scn_expect e = expect_of(SCN_EXP_NO_ERRORS, SCN_AGENT_BOTH, NULL);
	struct verdict_item it;

	ck_assert(judge(&e, tl_good).ok);
	it = judge(&e, tl_errors);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "server: error at 3.1 ms: \"unknown field: foo\" (fatal) and 1 more");
	e.agent = 0;
	ck_assert(judge(&e, tl_errors).ok);
}
END_TEST

START_TEST(test_error_text)
{
	struct scn_expect e = expect_of(SCN_EXP_ERROR, 1, NULL);
	struct verdict_item it;

	strcpy(e.text, "bad cand");
	it = judge(&e, tl_errors);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "error at 4.0 ms: \"bad candidate\"");
	strcpy(e.text, "role conflict");
	it = judge(&e, tl_errors);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "other errors: \"unknown field: foo\" at 3.1 ms, \"bad candidate\"");
	e.agent = 0;
	it = judge(&e, tl_errors);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "client: no error event");
	e.text[0] = '\0';              /* any error */
	e.agent = SCN_AGENT_ANY;
	ck_assert(judge(&e, tl_errors).ok);
}
END_TEST

/* ---- items, counts, details ---- */

START_TEST(test_wire_items_and_count)
{
	struct scn_expect e[4] = {
		expect_of(SCN_EXP_ICE, 0, "connected"),
		expect_of(SCN_EXP_WIRE_SYMMETRIC, 0, NULL),
		expect_of(SCN_EXP_DTLS, 1, "connected"),
		expect_of(SCN_EXP_NO_ERRORS, 1, NULL),
	};
	struct scn_case *c = case_new(e, 4);
	json_t *tl = tl_load(tl_errors);
	struct verdict_item items[4];

	ck_assert_uint_eq(verdict_events(c, tl, items), 3);
	ck_assert(!items[1].judged);
	ck_assert(items[0].judged && !items[0].ok);
	ck_assert(items[2].judged && !items[2].ok);
	ck_assert(items[3].judged && !items[3].ok);
	ck_assert(verdict_is_event(SCN_EXP_SAME_TUPLE));
	ck_assert(verdict_is_event(SCN_EXP_ERROR));
	ck_assert(!verdict_is_event(SCN_EXP_WIRE_NO_DTLS));
	ck_assert(!verdict_is_event(SCN_EXP_WIRE_CONSENT));
	json_decref(tl);
	case_free(c);
}
END_TEST

START_TEST(test_detail_ascii_bounded)
{
	static char text[4096];
	struct scn_expect e = expect_of(SCN_EXP_NO_ERRORS, 0, NULL);
	struct verdict_item it;
	size_t n;

	strcpy(text, "[{'t':1.0,'agent':'client','event':{'event':'error','reason':'caf\\u00e9\\nline ");
	n = strlen(text);
	memset(text + n, 'x', 1500);
	strcpy(text + n + 1500, "','fatal':false}}]");
	it = judge(&e, text);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "error at 1.0 ms: \"caf???line xxx");
	for (const char *p = it.detail; *p; p++)
		ck_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	ck_assert_uint_eq(strlen(it.detail), sizeof(it.detail) - 1);
}
END_TEST

/* ---- check events, role conflicts, state reasons (security scenarios) ---- */

#define S_CHECK_401 EV(1200.0, "server", "'event':'check','ts':1199.0,'kind':'request-answered'," \
			 "'local':'203.0.113.10:40000','remote':'198.51.100.66:5000','code':401," \
			 "'use_candidate':true")
#define C_ROLE EV(8.0, "client", "'event':'check','ts':7.9,'kind':'role-changed','local':''," \
		      "'remote':'','code':0,'use_candidate':false,'reason':'controlled'")
#define S_ROLE EV(8.5, "server", "'event':'check','ts':8.4,'kind':'role-changed','local':''," \
		      "'remote':'','code':0,'use_candidate':false,'reason':'controlled'")

START_TEST(test_check_kind_code_remote)
{
	static const char tl[] = "[" S_CHECK "," S_CHECK_401 "]";
	struct scn_expect e = expect_of(SCN_EXP_CHECK, 1, NULL);
	struct verdict_item it;

	e.code = 401;
	snprintf(e.check, sizeof(e.check), "request-answered");
	snprintf(e.addr, sizeof(e.addr), "198.51.100.66");
	it = judge(&e, tl);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "server: check at 1200.0 ms: request-answered code 401, remote "
			     "198.51.100.66:5000");
	e.within_ms = 1000;
	it = judge(&e, tl);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "after the deadline 1000 ms");
	/* Never a success to the attacker: the client's own success does not count. */
	e = expect_of(SCN_EXP_CHECK, 1, NULL);
	e.code = 0;
	e.never = true;
	snprintf(e.addr, sizeof(e.addr), "198.51.100.66");
	it = judge(&e, tl);
	ck_assert(it.ok);
	ck_assert_detail_has(it, "no matching check event (2 other check events)");
	e.addr[0] = '\0';
	it = judge(&e, tl);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "check at 5.6 ms: request-answered code 0, remote "
			     "198.51.100.2:51000");
}
END_TEST

static struct verdict_item judge_roles(const char *text, const char *role)
{
	struct scn_expect e = expect_of(SCN_EXP_ROLE_CONFLICT, SCN_AGENT_BOTH, NULL);
	struct scn_case *c = case_new(&e, 1);
	json_t *tl = tl_load(text);
	struct verdict_item item;

	for (int i = 0; i < 2; i++)
		c->agent[i].configure = json_pack("{s:s}", "role", role);
	verdict_events(c, tl, &item);
	ck_assert(item.judged);
	for (int i = 0; i < 2; i++)
		json_decref(c->agent[i].configure);
	json_decref(tl);
	case_free(c);
	return item;
}

START_TEST(test_role_conflict)
{
	struct verdict_item it = judge_roles("[" C_CHECKING "," C_ROLE "," C_CONNECTED "]",
					     "controlling");

	ck_assert(it.ok);
	ck_assert_detail_has(it, "client: 1 role change(s), ends controlled; server: 0 role "
			     "change(s), ends controlling");
	it = judge_roles("[" C_CHECKING "," C_CONNECTED "]", "controlling");
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "(neither changed)");
	it = judge_roles("[" C_ROLE "," S_ROLE "]", "controlling");
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "(both changed)");
	/* Both controlled, one "changes" to controlled: still the same role. */
	it = judge_roles("[" C_ROLE "]", "controlled");
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "(same role)");
}
END_TEST

START_TEST(test_state_reason)
{
	struct scn_expect e = expect_of(SCN_EXP_DTLS, 0, "failed");
	struct verdict_item it;

	snprintf(e.text, sizeof(e.text), "handshake timeout");
	it = judge(&e, tl_dtls_failed);
	ck_assert(it.ok);
	snprintf(e.text, sizeof(e.text), "fingerprint mismatch");
	it = judge(&e, tl_dtls_failed);
	ck_assert(!it.ok);
	ck_assert_detail_has(it, "reached failed at 3012.5 ms, but its reason is \"handshake "
			     "timeout\"");
}
END_TEST

Suite *verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("events");

	tcase_add_test(tc, test_ice_both_within);
	tcase_add_test(tc, test_check_kind_code_remote);
	tcase_add_test(tc, test_role_conflict);
	tcase_add_test(tc, test_state_reason);
	tcase_add_test(tc, test_ice_completed_implies_connected);
	tcase_add_test(tc, test_ice_deadline);
	tcase_add_test(tc, test_ice_after_bound);
	tcase_add_test(tc, test_ice_history);
	tcase_add_test(tc, test_ice_any_index);
	tcase_add_test(tc, test_ice_never);
	tcase_add_test(tc, test_bad_agent_index);
	tcase_add_test(tc, test_dtls_role);
	tcase_add_test(tc, test_dtls_failed_reason);
	tcase_add_test(tc, test_dtls_none);
	tcase_add_test(tc, test_selected_fields);
	tcase_add_test(tc, test_selected_port_wildcard);
	tcase_add_test(tc, test_selected_ipv6_last);
	tcase_add_test(tc, test_selected_none);
	tcase_add_test(tc, test_same_tuple_direct);
	tcase_add_test(tc, test_same_tuple_nat);
	tcase_add_test(tc, test_same_tuple_missing);
	tcase_add_test(tc, test_same_tuple_mismatch);
	tcase_add_test(tc, test_same_tuple_nat64);
	tcase_add_test(tc, test_pair_changes);
	tcase_add_test(tc, test_pair_changes_both);
	tcase_add_test(tc, test_data_echoed);
	tcase_add_test(tc, test_data_echoed_deadline);
	tcase_add_test(tc, test_no_errors);
	tcase_add_test(tc, test_error_text);
	tcase_add_test(tc, test_wire_items_and_count);
	tcase_add_test(tc, test_detail_ascii_bounded);
	suite_add_tcase(s, tc);
	return s;
}
