/* Namespace tests (root): the wire checks on a real session's captures.
 * The seed case (one-way IPv6, NAT44) run by the reference agents must
 * pass its wire expectations, and a false one must fail naming a frame
 * that tshark, an independent dissector, also calls DTLS. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/fs.h"
#include "../../harness/session.h"
#include "../../harness/wire.h"
#include "nsutil.h"
#include "suites.h"

#define TSHARK "/usr/bin/tshark"

enum { SERVER, CLIENT };

struct judged {
	bool ok;
	char detail[768];
};

/* What wire_flows() says crossed, by sender and family. */
struct flow_counts {
	bool ok;                   /* wire_flows answered */
	unsigned v6_server, v6_server_delivered, v6_client_delivered;
	unsigned v4_dtls_to_server, bad_arrivals;
};

static const char *str(json_t *f, const char *key)
{
	const char *v = json_string_value(json_object_get(f, key));

	return v ? v : "";
}

static void count_flows(json_t *flows, struct flow_counts *n)
{
	size_t i;
	json_t *f;

	n->ok = flows != NULL;
	json_array_foreach(flows, i, f) {
		bool v6 = strcmp(str(f, "family"), "ipv6") == 0, server = strcmp(str(f, "from"), "server") == 0;
		bool del = json_is_true(json_object_get(f, "delivered"));

		n->v6_server += v6 && server;
		n->v6_server_delivered += v6 && server && del;
		n->v6_client_delivered += v6 && !server && del;
		n->v4_dtls_to_server += !v6 && !server && strncmp(str(f, "kind"), "dtls-", 5) == 0 &&
					strcmp(str(f, "to"), "server") == 0;
		n->bad_arrivals += del && json_number_value(json_object_get(f, "t_arrive")) <
						  json_number_value(json_object_get(f, "t"));
	}
}

/* Everything the test asserts, gathered before the capture is removed. */
struct outcome {
	char broken[1280];
	bool timed_out, incomplete;
	struct judged v6, uc, sym, v4;
	char v4_file[128];
	size_t v4_frame;
	int tshark_lines;          /* -1: no tshark */
	struct flow_counts flows;
};

static bool judge(const struct wire_view *w, const struct scn_case *c, enum scn_exp_kind kind,
		  int agent, int family, struct judged *j)
{
	struct scn_expect e = { .kind = kind, .agent = agent, .family = family };

	j->ok = wire_check(w, c, &e, j->detail, sizeof(j->detail));
	return j->ok;
}

/* The "FILE.pcap frame N" a detail names. */
static bool named_frame(const char *detail, char *file, size_t cap, size_t *frame)
{
	const char *p = strstr(detail, ".pcap frame "), *b;

	if (p == NULL)
		return false;
	for (b = p; b > detail && b[-1] != ' '; b--)
		;
	snprintf(file, cap, "%.*s.pcap", (int)(p - b), b);
	return sscanf(p, ".pcap frame %zu", frame) == 1;
}

/* How many lines tshark prints for frame `n` of `path` if it is DTLS. */
static int tshark_dtls_lines(const char *path, size_t n)
{
	char cmd[2 * PATH_MAX], line[1024];
	int lines = 0;
	FILE *p;

	if (access(TSHARK, X_OK) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), TSHARK " -r '%s' -Y 'frame.number==%zu && dtls' 2>/dev/null",
		 path, n);
	p = popen(cmd, "r");
	if (p == NULL)
		return -2;
	while (fgets(line, sizeof(line), p) != NULL)
		lines++;
	pclose(p);
	return lines;
}

static void judge_all(const struct scn_case *c, const char *dir, double t0, struct outcome *o)
{
	json_t *flows;
	struct icl_err err = {0};
	struct wire_view *w = NULL;
	char path[PATH_MAX + 128];

	if (wire_load(c, dir, t0, NULL, &w, &err) < 0) {
		snprintf(o->broken, sizeof(o->broken), "wire_load: %s", err.msg);
		return;
	}
	judge(w, c, SCN_EXP_WIRE_NO_DTLS, SERVER, AF_INET6, &o->v6);
	judge(w, c, SCN_EXP_WIRE_DTLS_AFTER_NOMINATION, SCN_AGENT_BOTH, 0, &o->uc);
	judge(w, c, SCN_EXP_WIRE_SYMMETRIC, SCN_AGENT_BOTH, 0, &o->sym);
	judge(w, c, SCN_EXP_WIRE_NO_DTLS, SERVER, AF_INET, &o->v4);
	flows = wire_flows(w);
	count_flows(flows, &o->flows);
	json_decref(flows);
	wire_free(w);
	if (!named_frame(o->v4.detail, o->v4_file, sizeof(o->v4_file), &o->v4_frame))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, o->v4_file);
	o->tshark_lines = tshark_dtls_lines(path, o->v4_frame);
}

/* The seed session (icelab-lite server, DTLS `setup`, against a
 * controlling icelab-full), captured into `dir` and judged. */
static void run_seed(const char *setup, char *dir, struct outcome *o)
{
	char server[PATH_MAX], full[PATH_MAX];
	char *sargv[] = { server, NULL }, *cargv[] = { full, NULL };
	json_t *scfg = json_pack("{s:{s:s}}", "dtls", "setup", setup);
	json_t *ccfg = json_pack("{s:s, s:{s:s}}", "role", "controlling", "dtls", "setup", "actpass");
	struct sess_options so = { .timeout_ms = 10000, .log = stderr, .capture_dir = dir };
	struct sess_result r = {0};
	struct scn_case c = { .name = "wire-seed", .n_agents = 2 };
	struct topo_plan plan = {0};
	struct icl_err err = {0};
	struct topo *t;
	int rc;

	ns_built_path("icelab-lite", server, sizeof(server));
	ns_built_path("icelab-full", full, sizeof(full));
	t = ns_topo_from_yaml(NS_ONEWAY_YAML, &plan);
	so.agent[SERVER] = (struct sess_agent){ .name = "server", .node = "server", .argv = sargv,
						.configure = scfg };
	so.agent[CLIENT] = (struct sess_agent){ .name = "client", .node = "client", .argv = cargv,
						.configure = ccfg };
	rc = sess_run(t, &so, &r, &err);
	if (rc < 0)
		snprintf(o->broken, sizeof(o->broken), "sess_run: %s", err.msg);
	else
		snprintf(o->broken, sizeof(o->broken), "%s", r.broken);
	o->timed_out = r.timed_out;
	o->incomplete = r.capture_incomplete;
	c.plan = plan; /* borrowed: ns_topo_free releases it */
	snprintf(c.agent[SERVER].name, TOPO_NAME_MAX, "server");
	snprintf(c.agent[SERVER].node, TOPO_NAME_MAX, "server");
	snprintf(c.agent[CLIENT].name, TOPO_NAME_MAX, "client");
	snprintf(c.agent[CLIENT].node, TOPO_NAME_MAX, "client");
	if (rc == 0)
		judge_all(&c, dir, r.t0_realtime, o);
	sess_result_free(&r);
	json_decref(scfg);
	json_decref(ccfg);
	ns_topo_free(t, &plan);
}

START_TEST(seed_wire)
{
	const char *setup = _i ? "active" : "passive";
	struct outcome o = { .tshark_lines = -3 };
	char dir[PATH_MAX];

	ns_tmp_template(dir, sizeof(dir), "icelab-test");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	run_seed(setup, dir, &o);
	icl_rm_tree(dir);
	ck_assert_msg(!o.broken[0], "%s", o.broken);
	ck_assert_msg(!o.timed_out, "session timed out");
	ck_assert(!o.incomplete);
	ck_assert_msg(o.v6.ok, "%s", o.v6.detail);
	ck_assert_msg(o.uc.ok, "%s", o.uc.detail);
	ck_assert_msg(o.sym.ok, "%s", o.sym.detail);
	/* The session did DTLS over IPv4: "none to IPv4" is false, and the
	 * datagram named is one. */
	ck_assert_msg(!o.v4.ok, "%s", o.v4.detail);
	ck_assert_msg(o.v4_frame > 0, "no frame named: %s", o.v4.detail);
	ck_assert_msg(strstr(o.v4.detail, "203.0.113.10:") != NULL, "%s", o.v4.detail);
	/* The picture: the IPv6 path is one-way, the DTLS went over IPv4. */
	ck_assert(o.flows.ok);
	ck_assert_uint_gt(o.flows.v6_server, 0);
	ck_assert_uint_eq(o.flows.v6_server_delivered, 0);
	ck_assert_uint_gt(o.flows.v6_client_delivered, 0);
	ck_assert_uint_gt(o.flows.v4_dtls_to_server, 0);
	ck_assert_uint_eq(o.flows.bad_arrivals, 0);
	if (o.tshark_lines == -1) {
		fprintf(stderr, "seed_wire: %s missing, frame not cross-checked\n", TSHARK);
		return;
	}
	ck_assert_msg(o.tshark_lines == 1, "tshark: %d lines for %s frame %zu as DTLS (%s)",
		      o.tshark_lines, o.v4_file, o.v4_frame, o.v4.detail);
}
END_TEST

Suite *wire_ns_suite(void)
{
	Suite *s = suite_create("wire_ns");
	TCase *tc = tcase_create("seed");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, seed_wire, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
