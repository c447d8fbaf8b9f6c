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

#include "../../agents/stun.h"
#include "../../harness/capture.h"
#include "../../harness/session.h"
#include "nsutil.h"
#include "suites.h"

enum fam { V4, V6, DUAL };

static void routed_yaml(char *buf, size_t cap, enum fam f)
{
	ns_routed_yaml(buf, cap, f != V6, f != V4);
}

struct pair_run {
	struct topo_plan plan;
	struct topo *t;
	struct sess_result r;
	char server[PATH_MAX], full[PATH_MAX];
};

/* Delete a session's capture files and their directory; false if the
 * directory is not empty afterwards. */
static bool remove_capture(const char *dir)
{
	static const char *const files[] = { "lan-client.pcap", "lan-router.pcap",
					     "wan-router.pcap", "wan-server.pcap" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	return rmdir(dir) == 0;
}

/* Run the session: server `sprog` with `scfg`, client icelab-full with
 * `ccfg` (both configure commands are consumed). */
static void run_with(struct pair_run *pr, const char *yaml, const char *sprog, json_t *scfg,
		     json_t *ccfg, struct sess_options *o)
{
	char *full_argv[] = { pr->full, NULL }, *server_argv[] = { pr->server, NULL };
	struct icl_err err = {0};
	int rc;

	ns_built_path(sprog, pr->server, sizeof(pr->server));
	ns_built_path("icelab-full", pr->full, sizeof(pr->full));
	pr->t = ns_topo_from_yaml(yaml, &pr->plan);
	o->agent[0] = (struct sess_agent){.name = "server", .node = "server", .argv = server_argv,
					   .configure = scfg};
	o->agent[1] = (struct sess_agent){.name = "client", .node = "client", .argv = full_argv,
					   .configure = ccfg};
	if (!o->timeout_ms)
		o->timeout_ms = 10000;
	o->log = stderr;
	rc = sess_run(pr->t, o, &pr->r, &err);
	if (rc < 0 && o->capture_dir)
		remove_capture(o->capture_dir); /* before the assertion ends the test */
	ck_assert_msg(rc == 0, "%s", err.msg);
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

	run(&pr, NS_ONEWAY_YAML, setup, &o);
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
	ck_assert_msg(strncmp(field(s, "local"), "203.0.113.10:", 13) == 0, "%s", field(s, "local"));
	ck_assert_msg(strncmp(field(s, "remote"), "203.0.113.1:", 12) == 0, "%s", field(s, "remote"));
	ck_assert_msg(strncmp(field(c, "remote"), "203.0.113.10:", 13) == 0, "%s", field(c, "remote"));
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

/* What the server sent, per family, as captured on its own end of the
 * wan link (2001:db8:2::10 and 203.0.113.10 in both topologies used
 * here), classified by first byte (RFC 7983) and, for STUN, decoded. */
struct wire_count {
	int family;
	unsigned dtls, stun, stun_ok, stun_401;
};

static bool from_server(const struct capture_pkt *p, int family)
{
	static const struct in6_addr v6 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x10 } };

	if (p->family != family || p->len == 0)
		return false;
	return family == AF_INET6 ? memcmp(&p->src.v6, &v6, sizeof(v6)) == 0
				  : p->src.v4.s_addr == htonl(0xcb00710a);   /* 203.0.113.10 */
}

static void count_stun(struct wire_count *wc, const struct capture_pkt *p)
{
	struct stun_msg m;

	wc->stun++;
	if (stun_decode(p->payload, p->len, &m, NULL) < 0)
		return;
	wc->stun_ok += m.cls == STUN_SUCCESS;
	wc->stun_401 += m.cls == STUN_ERROR && m.error_code == 401;
}

static int count_from_server(void *user, const struct capture_pkt *p)
{
	struct wire_count *wc = user;

	if (!from_server(p, wc->family))
		return 0;
	if (p->payload[0] >= 20 && p->payload[0] <= 63)
		wc->dtls++;
	else if (p->payload[0] <= 3)
		count_stun(wc, p);
	return 0;
}

/* Capture every link of the session into a fresh directory, whose path
 * goes to `dir` (room for PATH_MAX bytes). */
static void capture_into(struct sess_options *o, char *dir)
{
	ns_tmp_template(dir, PATH_MAX, "icelab-test");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	o->capture_dir = dir;
}

/* Count what the server sent, then delete the capture, before any
 * assertion can end the test, so that a failure leaves no files behind. */
static void read_server_wire(const char *dir, struct wire_count *v4, struct wire_count *v6)
{
	struct icl_err err = {0};
	char path[PATH_MAX];
	int n4, n6 = 0;

	snprintf(path, sizeof(path), "%s/wan-server.pcap", dir);
	*v4 = (struct wire_count){ .family = AF_INET };
	*v6 = (struct wire_count){ .family = AF_INET6 };
	n4 = capture_scan(path, count_from_server, v4, &err);
	if (n4 >= 0)
		n6 = capture_scan(path, count_from_server, v6, &err);
	ck_assert_msg(remove_capture(dir), "capture directory %s not empty", dir);
	ck_assert_msg(n4 >= 0 && n6 >= 0, "%s", err.msg);
}

/* The seed case again, judged from the wire: what the server sent, as
 * captured on its own end of the link, not what it says it did. */
START_TEST(seed_oneway_capture)
{
	struct sess_options o = {0};
	struct pair_run pr = {0};
	struct wire_count v4, v6;
	char dir[PATH_MAX];

	capture_into(&o, dir);
	run(&pr, NS_ONEWAY_YAML, _i ? "active" : "passive", &o);
	read_server_wire(dir, &v4, &v6);
	assert_connected(&pr.r, _i ? "client" : "server");
	ck_assert(!pr.r.capture_incomplete);
	/* The capture sees the server's IPv6 answers (so it would see DTLS
	 * there too), and its DTLS on IPv4; never DTLS to an IPv6 address. */
	ck_assert_msg(v6.stun_ok > 0, "no IPv6 STUN success from the server captured");
	ck_assert_msg(v4.dtls > 0, "no IPv4 DTLS from the server captured");
	ck_assert_msg(v6.dtls == 0, "the server sent %u DTLS records over IPv6", v6.dtls);
	done(&pr);
}
END_TEST

/* One origin for the whole case: an action at 400 ms is on the timeline
 * at 400 ms, however long the captures took to set up (tens of ms idle,
 * hundreds under load, while the timeline once counted from before them
 * and the actions from after, so that `within` deadlines lost that time).
 * A restore of a whole link changes nothing on the wire. */
START_TEST(actions_share_the_origin)
{
	struct sess_action act = { .at_ms = 400, .link = "lan", .up = true };
	struct sess_options o = { .actions = &act, .n_actions = 1, .hold_ms = 600 };
	struct pair_run pr = {0};
	struct wire_count v4, v6;
	char dir[PATH_MAX];
	json_t *ev;
	double t;
	size_t i;

	capture_into(&o, dir);
	run(&pr, NS_ONEWAY_YAML, "passive", &o);
	read_server_wire(dir, &v4, &v6);
	assert_connected(&pr.r, "server");
	ev = NULL;
	json_array_foreach(pr.r.timeline, i, ev) {
		if (strcmp(field(ev, "agent"), "harness") == 0)
			break;
	}
	ck_assert_msg(i < json_array_size(pr.r.timeline), "no harness event on the timeline");
	ck_assert_str_eq(field(json_object_get(ev, "event"), "action"), "restore");
	ck_assert_str_eq(field(json_object_get(ev, "event"), "link"), "lan");
	t = json_number_value(json_object_get(ev, "t"));
	/* Early by the loop's clock alone (whole ms, and libuv's coarse
	 * clock may lag a tick of 1 ms); late by a timer's lateness only,
	 * well under the captures' setup time. */
	ck_assert_msg(t >= 397.0 && t < 430.0, "action at 400 ms recorded at %.1f ms", t);
	done(&pr);
}
END_TEST

/* Change one hex digit of the fingerprint handed to the client. */
static void wrong_fingerprint(void *user, int to, json_t *cmd)
{
	char fp[128];

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
	struct wire_count v4, v6;
	char yaml[2048], dir[PATH_MAX];

	routed_yaml(yaml, sizeof(yaml), DUAL);
	capture_into(&o, dir);
	run(&pr, yaml, "passive", &o);
	read_server_wire(dir, &v4, &v6);
	ck_assert_msg(!pr.r.broken[0], "%s", pr.r.broken);
	/* On the wire: the server answered the client's checks in both
	 * families with 401 and never with a success. */
	ck_assert_msg(v4.stun_401 > 0 && v6.stun_401 > 0, "401s on the wire: %u IPv4, %u IPv6",
		      v4.stun_401, v6.stun_401);
	ck_assert_uint_eq(v4.stun_ok + v6.stun_ok, 0);
	ck_assert_uint_eq(v4.dtls + v6.dtls, 0);
	/* And both agents say so: every answer was a 401, the client saw
	 * them, nothing was ever selected. */
	ck_assert_uint_eq(sess_count(&pr.r, "server", "check", "kind", "request-answered"),
			  count_code(&pr.r, "server", 401));
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
	tcase_add_test(tc, actions_share_the_origin);
	suite_add_tcase(s, tc);
	return s;
}
