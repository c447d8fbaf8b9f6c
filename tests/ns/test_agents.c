/* Namespace tests (root): the reference agents against each other across
 * real topologies, driven through the agent protocol by the harness's
 * session runner.  Every assertion is on what the agents reported and,
 * where it matters, on the wire. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/capture.h"
#include "../../harness/session.h"
#include "nsutil.h"

#define PROTO_FP_MAX_TEST 128
#include "suites.h"

enum fam { V4, V6, DUAL };

/* client --lan-- router --wan-- server, routed, with the families asked. */
static void routed_yaml(char *buf, size_t cap, enum fam f)
{
	const char *c4 = f != V6 ? "ipv4: 10.0.1.2/24, " : "";
	const char *r4l = f != V6 ? "ipv4: 10.0.1.1/24, " : "";
	const char *r4w = f != V6 ? "ipv4: 203.0.113.1/24, " : "";
	const char *s4 = f != V6 ? "ipv4: 203.0.113.10/24, " : "";
	const char *c6 = f != V4 ? "ipv6: '2001:db8:1::2/64'" : "";
	const char *r6l = f != V4 ? "ipv6: '2001:db8:1::1/64'" : "";
	const char *r6w = f != V4 ? "ipv6: '2001:db8:2::1/64'" : "";
	const char *s6 = f != V4 ? "ipv6: '2001:db8:2::10/64'" : "";

	snprintf(buf, cap,
		 "topology:\n"
		 "  nodes:\n"
		 "    client: { gateway: router }\n"
		 "    router: { router: true }\n"
		 "    server: { gateway: router }\n"
		 "  links:\n"
		 "    lan:\n"
		 "      a: { node: client, %s%s }\n"
		 "      b: { node: router, %s%s }\n"
		 "    wan:\n"
		 "      a: { node: router, %s%s }\n"
		 "      b: { node: server, %s%s }\n",
		 c4, c6, r4l, r6l, r4w, r6w, s4, s6);
}

/* The seed case (scenarios/topo-ipv6-oneway.yaml): IPv4 through a NAT44,
 * IPv6 routed but dropped from server to client. */
static const char oneway_yaml[] =
	"topology:\n"
	"  nodes:\n"
	"    client: { gateway: router }\n"
	"    router:\n"
	"      router: true\n"
	"      nat: { inside: lan, outside: wan, family: ipv4 }\n"
	"      filters:\n"
	"        - { action: drop, family: ipv6, in: wan, out: lan }\n"
	"    server:\n"
	"      routes:\n"
	"        - { to: '2001:db8:b::/64', via: '2001:db8:2::1' }\n"
	"  links:\n"
	"    lan:\n"
	"      a: { node: client, ipv4: 10.0.1.2/24, ipv6: '2001:db8:b::2/64' }\n"
	"      b: { node: router, ipv4: 10.0.1.1/24, ipv6: '2001:db8:b::1/64' }\n"
	"    wan:\n"
	"      a: { node: router, ipv4: 198.51.100.1/24, ipv6: '2001:db8:2::1/64' }\n"
	"      b: { node: server, ipv4: 198.51.100.20/24, ipv6: '2001:db8:2::20/64' }\n";

/* A program built next to this test binary. */
static void built(const char *name, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	ck_assert(n > 0);
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(out, cap, "%s/%s", self, name);
}

struct pair_run {
	struct topo_plan plan;
	struct topo *t;
	struct sess_result r;
	char lite[PATH_MAX], full[PATH_MAX];
};

/* Run the session: server `sprog` with `scfg`, client icelab-full with
 * `ccfg` (both configure commands are consumed). */
static void run_with(struct pair_run *pr, const char *yaml, const char *sprog, json_t *scfg,
		     json_t *ccfg, struct sess_options *o)
{
	char *full_argv[] = { pr->full, NULL }, *server_argv[] = { pr->lite, NULL };
	struct icl_err err = {0};

	built(sprog, pr->lite, sizeof(pr->lite));
	built("icelab-full", pr->full, sizeof(pr->full));
	pr->t = ns_topo_from_yaml(yaml, &pr->plan);
	o->agent[0] = (struct sess_agent){ "server", "server", server_argv, scfg };
	o->agent[1] = (struct sess_agent){ "client", "client", full_argv, ccfg };
	if (!o->timeout_ms)
		o->timeout_ms = 10000;
	o->log = stderr;
	ck_assert_msg(sess_run(pr->t, o, &pr->r, &err) == 0, "%s", err.msg);
	if (getenv("ICELAB_SHOW_TIMELINE")) {
		size_t i;
		json_t *e;

		json_array_foreach(pr->r.timeline, i, e) {
			char *line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);

			fprintf(stderr, "%s\n", line);
			free(line);
		}
	}
	json_decref(scfg);
	json_decref(ccfg);
}

/* The reference pair: icelab-lite (DTLS setup as given) and a controlling
 * icelab-full offering actpass. */
static void run(struct pair_run *pr, const char *yaml, const char *server_setup,
		struct sess_options *o)
{
	run_with(pr, yaml, "icelab-lite", json_pack("{s:{s:s}}", "dtls", "setup", server_setup),
		 json_pack("{s:s, s:{s:s}}", "role", "controlling", "dtls", "setup", "actpass"), o);
}

static void done(struct pair_run *pr)
{
	sess_result_free(&pr->r);
	ns_topo_free(pr->t, &pr->plan);
}

static const char *field(json_t *ev, const char *key)
{
	const char *v = json_string_value(json_object_get(ev, key));

	return v ? v : "";
}

/* DTLS connected on both sides with the peer's fingerprint verified, the
 * roles as configured, and the data probe echoed both ways. */
static void assert_connected(const struct sess_result *r, const char *server_role)
{
	const char *client_role = strcmp(server_role, "client") == 0 ? "server" : "client";

	ck_assert_msg(!r->broken[0], "session broke: %s", r->broken);
	ck_assert_msg(!r->timed_out, "session timed out");
	for (int i = 0; i < 2; i++) {
		const char *a = i ? "client" : "server";
		json_t *ev = sess_find(r, a, "dtls-state", "state", "connected");

		ck_assert_msg(ev, "%s: DTLS never connected", a);
		ck_assert(json_is_true(json_object_get(ev, "remote_fingerprint_verified")));
		ck_assert_str_eq(field(ev, "role"), i ? client_role : server_role);
		ck_assert_msg(sess_find(r, a, "data-echoed", NULL, NULL), "%s: no echo", a);
	}
}

/* Both agents' last selected pair is the same 5-tuple seen from each end
 * (no NAT on the path); returns its family. */
static const char *assert_same_tuple(const struct sess_result *r)
{
	json_t *c = sess_last(r, "client", "selected-pair");
	json_t *s = sess_last(r, "server", "selected-pair");

	ck_assert_msg(c && s, "a selected pair is missing");
	ck_assert_str_eq(field(c, "local"), field(s, "remote"));
	ck_assert_str_eq(field(c, "remote"), field(s, "local"));
	ck_assert_str_eq(field(c, "family"), field(s, "family"));
	return field(c, "family");
}

/* How many check events of `agent` carry STUN error `code`. */
static size_t count_code(const struct sess_result *r, const char *agent, int code)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(r->timeline, i, e) {
		json_t *ev = json_object_get(e, "event");

		n += strcmp(field(e, "agent"), agent) == 0 && strcmp(field(ev, "event"), "check") == 0 &&
		     json_integer_value(json_object_get(ev, "code")) == code;
	}
	return n;
}

static const struct {
	enum fam fam;
	const char *setup;      /* the server's */
	const char *expect;     /* family of the selected pair */
} routed_cases[] = {
	{ V4, "passive", "ipv4" }, { V4, "active", "ipv4" },
	{ V6, "passive", "ipv6" }, { V6, "active", "ipv6" },
	/* RFC 8421 with 2001:db8::/32 (precedence 40 > IPv4's 35): IPv6 first. */
	{ DUAL, "passive", "ipv6" }, { DUAL, "active", "ipv6" },
};

START_TEST(routed_pair)
{
	struct sess_options o = {0};
	struct pair_run pr = {0};
	char yaml[2048];
	const char *srole = strcmp(routed_cases[_i].setup, "active") == 0 ? "client" : "server";

	routed_yaml(yaml, sizeof(yaml), routed_cases[_i].fam);
	run(&pr, yaml, routed_cases[_i].setup, &o);
	assert_connected(&pr.r, srole);
	ck_assert_str_eq(assert_same_tuple(&pr.r), routed_cases[_i].expect);
	done(&pr);
}
END_TEST

/* The headline case: both DTLS roles connect on the IPv4 tuple, and the
 * lite server never selects an IPv6 pair. */
START_TEST(seed_oneway_ipv6)
{
	const char *setup = _i ? "active" : "passive";
	struct sess_options o = {0};
	struct pair_run pr = {0};
	json_t *c, *s;

	run(&pr, oneway_yaml, setup, &o);
	assert_connected(&pr.r, _i ? "client" : "server");
	c = sess_last(&pr.r, "client", "selected-pair");
	s = sess_last(&pr.r, "server", "selected-pair");
	ck_assert_str_eq(field(c, "family"), "ipv4");
	ck_assert_str_eq(field(s, "family"), "ipv4");
	ck_assert_uint_eq(sess_count(&pr.r, "server", "selected-pair", "family", "ipv6"), 0);
	/* The server did answer the IPv6 checks: the path is one-way, not
	 * absent, which is what makes the case hard. */
	ck_assert_msg(sess_count(&pr.r, "server", "check", "kind", "request-answered") >= 2,
		      "server answered fewer than two checks");
	/* The server sees the client through the NAT44. */
	ck_assert_msg(strncmp(field(s, "local"), "198.51.100.20:", 14) == 0, "%s", field(s, "local"));
	ck_assert_msg(strncmp(field(s, "remote"), "198.51.100.1:", 13) == 0, "%s", field(s, "remote"));
	ck_assert_msg(strncmp(field(c, "remote"), "198.51.100.20:", 14) == 0, "%s", field(c, "remote"));
	done(&pr);
}
END_TEST

/* Two full agents: the server controlled, the client controlling with the
 * nomination asked; checks run both ways (triggered checks) and both must
 * agree on one 5-tuple. */
START_TEST(full_pair)
{
	const char *nom = _i ? "aggressive" : "regular";
	struct sess_options o = {0};
	struct pair_run pr = {0};
	char yaml[2048];

	routed_yaml(yaml, sizeof(yaml), DUAL);
	run_with(&pr, yaml, "icelab-full",
		 json_pack("{s:s, s:{s:s}}", "role", "controlled", "dtls", "setup", "passive"),
		 json_pack("{s:s, s:s, s:{s:s}}", "role", "controlling", "nomination", nom, "dtls",
			   "setup", "actpass"), &o);
	assert_connected(&pr.r, "server");
	ck_assert_str_eq(assert_same_tuple(&pr.r), "ipv6");
	/* A full controlled agent checks too: the client answered requests. */
	ck_assert_uint_ge(sess_count(&pr.r, "client", "check", "kind", "request-answered"), 1);
	ck_assert_uint_ge(sess_count(&pr.r, "server", "check", "kind", "check-succeeded"), 1);
	done(&pr);
}
END_TEST

/* Count the server's datagrams from `src` (an IPv6 literal or an IPv4
 * one) whose first byte says DTLS (20..63) or STUN (0..3), RFC 7983. */
struct wire_count {
	int family;
	unsigned dtls, stun;
};

static int count_from_server(void *user, const struct capture_pkt *p)
{
	struct wire_count *wc = user;

	if (p->family != wc->family || p->sport == 0 || p->len == 0)
		return 0;
	if (wc->family == AF_INET6 && memcmp(&p->src.v6, &(struct in6_addr){ .s6_addr = {
		    0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x20 } }, 16) != 0)
		return 0;
	if (wc->family == AF_INET && p->src.v4.s_addr != htonl(0xc6336414))   /* 198.51.100.20 */
		return 0;
	if (p->payload[0] >= 20 && p->payload[0] <= 63)
		wc->dtls++;
	else if (p->payload[0] <= 3)
		wc->stun++;
	return 0;
}

static void remove_dir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The seed case again, judged from the wire: what the server sent, as
 * captured on its own end of the link, not what it says it did. */
START_TEST(seed_oneway_capture)
{
	struct sess_options o = {0};
	struct pair_run pr = {0};
	struct wire_count v6 = { AF_INET6, 0, 0 }, v4 = { AF_INET, 0, 0 };
	char dir[] = "/tmp/icelab-test-XXXXXX";

	struct icl_err err = {0};
	char path[PATH_MAX];
	int n6, n4;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	o.capture_dir = dir;
	run(&pr, oneway_yaml, _i ? "active" : "passive", &o);
	/* Read the capture and remove it before any assertion can end the
	 * test, so that a failure leaves no files behind. */
	snprintf(path, sizeof(path), "%s/wan-server.pcap", dir);
	n6 = capture_scan(path, count_from_server, &v6, &err);
	n4 = capture_scan(path, count_from_server, &v4, n6 < 0 ? NULL : &err);
	remove_dir(dir);
	ck_assert_msg(n6 >= 0 && n4 >= 0, "%s", err.msg);
	assert_connected(&pr.r, _i ? "client" : "server");
	ck_assert(!pr.r.capture_incomplete);
	/* The capture sees the server's IPv6 answers (so it would see DTLS
	 * there too), and its DTLS on IPv4; never DTLS to an IPv6 address. */
	ck_assert_msg(v6.stun > 0, "no IPv6 STUN from the server captured");
	ck_assert_msg(v4.dtls > 0, "no IPv4 DTLS from the server captured");
	ck_assert_msg(v6.dtls == 0, "the server sent %u DTLS records over IPv6", v6.dtls);
	done(&pr);
}
END_TEST

/* Change one hex digit of the fingerprint handed to the client. */
static void wrong_fingerprint(void *user, int to, json_t *cmd)
{
	char fp[PROTO_FP_MAX_TEST];

	(void)user;
	if (to != 1 || strcmp(field(cmd, "cmd"), "set-remote-description") != 0)
		return;
	snprintf(fp, sizeof(fp), "%s", field(cmd, "fingerprint"));
	fp[8] = fp[8] == 'A' ? 'B' : 'A';
	json_object_set_new(cmd, "fingerprint", json_string(fp));
}

START_TEST(bad_fingerprint)
{
	struct sess_options o = { .rewrite = wrong_fingerprint };
	struct pair_run pr = {0};
	char yaml[2048];
	json_t *c, *s;

	routed_yaml(yaml, sizeof(yaml), V4);
	run(&pr, yaml, _i ? "active" : "passive", &o);
	ck_assert_msg(!pr.r.broken[0], "%s", pr.r.broken);
	c = sess_find(&pr.r, "client", "dtls-state", "state", "failed");
	s = sess_find(&pr.r, "server", "dtls-state", "state", "failed");
	ck_assert_msg(c && s, "DTLS did not fail on both sides");
	ck_assert_msg(strstr(field(c, "reason"), "fingerprint"), "%s", field(c, "reason"));
	ck_assert_ptr_null(sess_find(&pr.r, NULL, "dtls-state", "state", "connected"));
	ck_assert_ptr_null(sess_find(&pr.r, NULL, "data-echoed", NULL, NULL));
	done(&pr);
}
END_TEST

static void wrong_password(void *user, int to, json_t *cmd)
{
	(void)user;
	if (to == 1 && strcmp(field(cmd, "cmd"), "set-remote-description") == 0)
		json_object_set_new(cmd, "pwd", json_string("not-the-servers-password"));
}

START_TEST(bad_password)
{
	struct sess_options o = { .rewrite = wrong_password, .timeout_ms = 3000 };
	struct pair_run pr = {0};
	char yaml[2048];

	routed_yaml(yaml, sizeof(yaml), DUAL);
	run(&pr, yaml, "passive", &o);
	ck_assert_msg(!pr.r.broken[0], "%s", pr.r.broken);
	/* Every check reached the server and was refused as unauthenticated,
	 * and nothing was ever selected by either side. */
	ck_assert_uint_ge(sess_count(&pr.r, "server", "check", "kind", "request-answered"), 2);
	ck_assert_uint_eq(sess_count(&pr.r, "server", "check", "kind", "request-answered") -
			  count_code(&pr.r, "server", 401), 0);
	ck_assert_uint_ge(count_code(&pr.r, "client", 401), 2);
	ck_assert_ptr_null(sess_find(&pr.r, NULL, "selected-pair", NULL, NULL));
	ck_assert_ptr_nonnull(sess_find(&pr.r, "client", "ice-state", "state", "failed"));
	done(&pr);
}
END_TEST

Suite *agents_ns_suite(void)
{
	Suite *s = suite_create("agents");
	TCase *tc = tcase_create("pair");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, routed_pair, 0, sizeof(routed_cases) / sizeof(routed_cases[0]));
	tcase_add_loop_test(tc, seed_oneway_ipv6, 0, 2);
	tcase_add_loop_test(tc, seed_oneway_capture, 0, 2);
	tcase_add_loop_test(tc, bad_fingerprint, 0, 2);
	tcase_add_test(tc, bad_password);
	tcase_add_loop_test(tc, full_pair, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
