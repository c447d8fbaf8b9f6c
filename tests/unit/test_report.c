/* Unit tests of the reports: junit.xml, results.json and index.html
 * written from run documents (tests/data/report/ and built here) into a
 * temporary directory, then read back as text. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../../common/fs.h"
#include "../../common/tmpdir.h"
#include "../../reports/report.h"
#include "suites.h"

#define FIXTURE "tests/data/report/run.json"

struct out {
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
	char *text;
};

static json_t *load_fixture(void)
{
	json_error_t je;
	json_t *run = json_load_file(FIXTURE, 0, &je);

	ck_assert_msg(run != NULL, "%s:%d: %s", FIXTURE, je.line, je.text);
	return run;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	/* A report is text: no NUL may hide in it. */
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	return buf;
}

/* Write `name` (junit.xml, index.html, results.json) from `run` into a
 * fresh directory and read it back; the directory is gone afterwards. */
static void write_one(struct out *o, const char *name, const json_t *run)
{
	int (*fn)(const char *, const json_t *, struct icl_err *) =
		strcmp(name, "junit.xml") == 0   ? rep_write_junit
		: strcmp(name, "index.html") == 0 ? rep_write_html
						  : rep_write_json;
	struct icl_err err = {0};
	int rc;

	ck_assert_int_eq(icl_tmp_path(o->dir, sizeof(o->dir), "icelab-report-XXXXXX"), 0);
	ck_assert_ptr_nonnull(mkdtemp(o->dir));
	snprintf(o->path, sizeof(o->path), "%s/%s", o->dir, name);
	rc = fn(o->path, run, &err);
	if (rc == 0)
		o->text = slurp(o->path);
	icl_rm_tree(o->dir);
	ck_assert_msg(rc == 0, "%s", err.msg);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The value of attribute `name` in the tag that starts at `tag`. */
static long attr(const char *tag, const char *name)
{
	char key[64];
	const char *end = strchr(tag, '>'), *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(tag, key);
	ck_assert_msg(p != NULL && p < end, "no %s in %.80s", name, tag);
	return strtol(p + strlen(key), NULL, 10);
}

/* A copy of the <testcase> element named `name`. */
static char *testcase(const char *xml, const char *name)
{
	char key[300];
	const char *p, *end;

	snprintf(key, sizeof(key), " name=\"%s\" time=\"", name);
	p = strstr(xml, key);
	ck_assert_msg(p != NULL, "no testcase %s", name);
	while (p > xml && strncmp(p, "<testcase", 9) != 0)
		p--;
	end = strstr(p, "</testcase>");
	if (end == NULL || (strstr(p, "/>") && strstr(p, "/>") < strchr(p, '\n')))
		end = strchr(p, '\n');
	return strndup(p, (size_t)(end - p));
}

/* What an XML parser would refuse: control characters, '&' that does not
 * start a reference, '<' that does not start a tag, '<' or '>' inside a
 * quoted attribute value.  NULL when none, else where. */
static const char *ill_formed(const char *s)
{
	static const char *const refs[] = { "amp;", "lt;", "gt;", "quot;", "#39;", "#10;",
					    "#9;", "#13;", "middot;", "times;" };
	bool in_tag = false, in_quote = false;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool known = false;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			return p;
		if (c == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] <= 0x9f)
			return p;   /* a C1 control */
		if (c == '&') {
			for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
				known |= strncmp(p + 1, refs[i], strlen(refs[i])) == 0;
			if (!known)
				return p;
		}
		if (in_quote) {
			if (c == '<' || c == '>')
				return p;
			in_quote = c != '"';
		} else if (in_tag) {
			if (c == '<')
				return p;
			in_quote = c == '"';
			in_tag = c != '>';
		} else if (c == '<') {
			if (!strchr("/?!abcdefghijklmnopqrstuvwxyz", p[1]))
				return p;
			in_tag = true;
		}
	}
	return in_tag || in_quote ? s + strlen(s) : NULL;
}

static size_t summary(const json_t *run, const char *key)
{
	return (size_t)json_integer_value(json_object_get(json_object_get(run, "summary"), key));
}

/* ---- junit.xml ------------------------------------------------------------ */

START_TEST(junit_counts_match_summary)
{
	json_t *run = load_fixture();
	struct out o = {0};
	const char *top, *p;
	long tests = 0, failures = 0, errors = 0;

	write_one(&o, "junit.xml", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	top = strstr(o.text, "<testsuites ");
	ck_assert_ptr_nonnull(top);
	ck_assert_int_eq(attr(top, "tests"), summary(run, "total"));
	ck_assert_int_eq(attr(top, "failures"), summary(run, "failed") + summary(run, "xpassed"));
	ck_assert_int_eq(attr(top, "errors"), summary(run, "errors"));
	ck_assert_ptr_nonnull(strstr(top, " time=\"9.876\""));
	/* The suites (one per scenario) add up to the same. */
	for (p = o.text; (p = strstr(p, "<testsuite ")) != NULL; p++) {
		tests += attr(p, "tests");
		failures += attr(p, "failures");
		errors += attr(p, "errors");
	}
	ck_assert_int_eq(count(o.text, "<testsuite "), 3);
	ck_assert_int_eq(tests, summary(run, "total"));
	ck_assert_int_eq(failures, summary(run, "failed") + summary(run, "xpassed"));
	ck_assert_int_eq(errors, summary(run, "errors"));
	ck_assert_int_eq(count(o.text, "<testcase "), summary(run, "total"));
	ck_assert_ptr_nonnull(strstr(o.text, "<testsuite name=\"ipv6-oneway\" tests=\"2\" "
					     "failures=\"1\" errors=\"0\" skipped=\"0\" time=\"4.23"));
	ck_assert_ptr_nonnull(strstr(o.text, "<testsuite name=\"nat44\" tests=\"2\" "
					     "failures=\"1\" errors=\"0\" skipped=\"0\" time=\"5.400\""));
	free(o.text);
	json_decref(run);
}
END_TEST

static const char nasty_escaped[] =
	"bad &lt;tag&gt; &amp; &quot;quote&quot; &#39;apos&#39; \\x01\\x1b[31m \\x7f \\u0085 "
	"\\ufffe end";

START_TEST(junit_escapes_nasty_reason)
{
	json_t *run = load_fixture();
	struct out o = {0};
	char *tc;

	write_one(&o, "junit.xml", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	tc = testcase(o.text, "ipv6-oneway[dtls=active]");
	/* In the message attribute and in the failure text, the same. */
	ck_assert_msg(strstr(tc, "<failure type=\"assertion\" message=\"expected client dtls-state "
				 "connected within 3000 ms; got error at 812.0 ms (reason: ") &&
			      count(tc, nasty_escaped) == 3,
		      "%s", tc);
	free(tc);
	free(o.text);
	json_decref(run);
}
END_TEST

START_TEST(junit_failure_lists_every_failed_assertion)
{
	json_t *run = load_fixture();
	struct out o = {0};
	char *tc;

	write_one(&o, "junit.xml", run);
	tc = testcase(o.text, "ipv6-oneway[dtls=active]");
	ck_assert_ptr_nonnull(strstr(tc, "classname=\"ipv6-oneway\""));
	ck_assert_ptr_nonnull(strstr(tc, "time=\"3.001\""));
	ck_assert_msg(strstr(tc, "FAILED: client dtls-state connected within 3000 ms\n"
				 "  at scenarios/ipv6-oneway.yaml:31:7\n  expected client "),
		      "%s", tc);
	ck_assert_msg(strstr(tc, "FAILED: no DTLS from server to ipv6\n"
				 "  at scenarios/ipv6-oneway.yaml:34:7\n  expected no DTLS record "
				 "from server to ipv6; got wan-server.pcap frame 6"),
		      "%s", tc);
	/* The assertion that held is not in the failure. */
	ck_assert_ptr_null(strstr(tc, "ice-state connected within"));
	free(tc);
	free(o.text);
	json_decref(run);
}
END_TEST

START_TEST(junit_xfail_passes_xpass_fails)
{
	json_t *run = load_fixture();
	struct out o = {0};
	char *xf, *xp, *er, *ok;

	write_one(&o, "junit.xml", run);
	xf = testcase(o.text, "nat44[mapping=apd]");
	xp = testcase(o.text, "nat44[mapping=eim]");
	er = testcase(o.text, "routed");
	ok = testcase(o.text, "ipv6-oneway[dtls=passive]");
	ck_assert_msg(!strstr(xf, "<failure") && !strstr(xf, "<error") && !strstr(xf, "<skipped"),
		      "%s", xf);
	ck_assert_msg(strstr(xf, "<system-out>expected failure: icelab-lite cannot learn "
				 "peer-reflexive candidates (issue 12); failed as expected: "
				 "expected both data-echoed; got none\n"),
		      "%s", xf);
	ck_assert_msg(strstr(xp, "<failure type=\"xpass\" message=\"expected to fail (flaky under "
				 "load) but passed\">"),
		      "%s", xp);
	ck_assert_msg(strstr(er, "<error type=\"error\" message=\"agent server exited with status "
				 "1 before close\">") &&
			      strstr(er, "session broke: server: exited with status 1 before "
					 "close\nagent server exited with status 1\n</error>"),
		      "%s", er);
	ck_assert_msg(strstr(ok, "/>") && !strstr(ok, "<failure"), "%s", ok);
	free(xf);
	free(xp);
	free(er);
	free(ok);
	free(o.text);
	json_decref(run);
}
END_TEST

/* A case that was not applicable: <skipped> with its reason, counted as
 * skipped (not as a failure), and a distinct badge and count in the page. */
START_TEST(not_applicable_is_skipped)
{
	json_t *run = load_fixture();
	json_t *c = json_deep_copy(json_array_get(json_object_get(run, "cases"), 0));
	struct out o = {0};
	char *na, *top;

	json_object_set_new(c, "name", json_string("ipv6-oneway[dtls=na]"));
	json_object_set_new(c, "verdict", json_string("n/a"));
	json_object_set_new(c, "message", json_string("server (libnice): lite: libnice cannot "
						      "act as an ICE-Lite agent & <more>"));
	json_array_append_new(json_object_get(run, "cases"), c);
	json_object_set_new(json_object_get(run, "summary"), "not_applicable", json_integer(1));
	write_one(&o, "junit.xml", run);
	na = testcase(o.text, "ipv6-oneway[dtls=na]");
	ck_assert_msg(strstr(na, "<skipped message=\"not applicable: server (libnice): lite: "
				 "libnice cannot act as an ICE-Lite agent &amp; &lt;more&gt;\"/>") &&
			      !strstr(na, "<failure") && !strstr(na, "<error"),
		      "%s", na);
	top = strstr(o.text, "<testsuites ");
	ck_assert_int_eq(attr(top, "skipped"), 1);
	ck_assert_int_eq(attr(top, "failures"), 2);
	ck_assert_ptr_nonnull(strstr(o.text, "<testsuite name=\"ipv6-oneway\" tests=\"3\" "
					     "failures=\"1\" errors=\"0\" skipped=\"1\""));
	free(na);
	free(o.text);
	write_one(&o, "index.html", run);
	ck_assert_ptr_nonnull(strstr(o.text, "<span class=\"verdict na\">n/a</span>"));
	ck_assert_ptr_nonnull(strstr(o.text, "<span class=\"verdict na\">1 not applicable</span>"));
	ck_assert_ptr_nonnull(strstr(o.text, "<p class=\"message na\">not applicable: server "
					     "(libnice): lite:"));
	free(o.text);
	json_decref(run);
}
END_TEST

/* Strings jansson was told not to check: bytes that are not UTF-8 still
 * give a well-formed file. */
START_TEST(junit_invalid_utf8_is_visible)
{
	json_t *run = load_fixture();
	json_t *c = json_array_get(json_object_get(run, "cases"), 1);
	struct out o = {0};

	json_object_set_new(c, "message", json_stringn_nocheck("a\xff b\xc3( c\xe2\x82 \xc3\xa9", 13));
	write_one(&o, "junit.xml", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	ck_assert_msg(strstr(o.text, "message=\"a\\xff b\\xc3( c\\xe2\\x82 \xc3\xa9\""), "%s", o.text);
	free(o.text);
	json_decref(run);
}
END_TEST

/* ---- index.html ----------------------------------------------------------- */

/* The text of the section of case `name` (a copy). */
static char *section(const char *html, const char *name)
{
	char key[300];
	const char *p, *end;

	snprintf(key, sizeof(key), "</span> %s</h2>", name);
	p = strstr(html, key);
	ck_assert_msg(p != NULL, "no section for %s", name);
	end = strstr(p, "</section>");
	ck_assert_ptr_nonnull(end);
	return strndup(p, (size_t)(end - p));
}

static size_t flows_with(const char *s, const char *cls)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, "<g class=\"flow ")) != NULL; p++) {
		const char *v = p + strlen("<g class=\""), *q = strchr(v, '"');
		char klass[200];

		snprintf(klass, sizeof(klass), " %.*s ", (int)(q - v), v);
		n += cls == NULL || strstr(klass, cls) != NULL;
	}
	return n;
}

START_TEST(html_lanes_and_flows)
{
	json_t *run = load_fixture(), *c;
	struct out o = {0};
	size_t i;

	write_one(&o, "index.html", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	ck_assert_int_eq(count(o.text, "<section class=\"case\""), summary(run, "total"));
	json_array_foreach(json_object_get(run, "cases"), i, c) {
		char *sec = section(o.text, json_string_value(json_object_get(c, "name")));
		const json_t *wire = json_object_get(c, "wire"), *w;
		size_t j, lost = 0;

		json_array_foreach(wire, j, w)
			lost += !json_is_true(json_object_get(w, "delivered"));
		ck_assert_int_eq(count(sec, "<g class=\"lane\""),
				 json_array_size(json_object_get(c, "agents")));
		ck_assert_int_eq(flows_with(sec, NULL), json_array_size(wire));
		ck_assert_int_eq(flows_with(sec, " undelivered "), lost);
		ck_assert_int_eq(flows_with(sec, " delivered "), json_array_size(wire) - lost);
		ck_assert_int_eq(count(sec, "class=\"cross\""), lost);
		free(sec);
	}
	free(o.text);
	json_decref(run);
}
END_TEST

/* The seed failure at a glance: the server's DTLS to the client's IPv6
 * address is drawn from the server's lane (right) and ends half-way. */
START_TEST(html_seed_failure_visible)
{
	json_t *run = load_fixture();
	struct out o = {0};
	char *sec;
	const char *p, *client, *server;
	double x1, x2, cx, sx;

	write_one(&o, "index.html", run);
	sec = section(o.text, "ipv6-oneway[dtls=active]");
	client = strstr(sec, "<g class=\"lane\" data-agent=\"client\"><line x1=\"");
	server = strstr(sec, "<g class=\"lane\" data-agent=\"server\"><line x1=\"");
	ck_assert(client && server);
	cx = strtod(client + strlen("<g class=\"lane\" data-agent=\"client\"><line x1=\""), NULL);
	sx = strtod(server + strlen("<g class=\"lane\" data-agent=\"server\"><line x1=\""), NULL);
	ck_assert_msg(cx < sx, "client lane at %.1f, server at %.1f", cx, sx);
	ck_assert_int_eq(flows_with(sec, " dtls-handshake ipv6 undelivered "), 2);
	p = strstr(sec, "<g class=\"flow dtls-handshake ipv6 undelivered\"");
	p = strstr(p, "<line x1=\"");
	ck_assert_int_eq(sscanf(p, "<line x1=\"%lf\" y1=\"%*f\" x2=\"%lf\"", &x1, &x2), 2);
	ck_assert_msg(x1 == sx && x2 < sx && x2 > cx, "arrow %.1f -> %.1f", x1, x2);
	ck_assert_ptr_nonnull(strstr(p, "stroke-dasharray"));
	ck_assert_ptr_nonnull(strstr(sec, "2 &times; dtls-handshake over ipv6"));
	/* The agents' events are marks on their lanes. */
	ck_assert_int_eq(count(sec, "<g class=\"event "), 4);
	ck_assert_int_eq(count(sec, "<g class=\"event error\" data-agent=\"client\""), 1);
	free(sec);
	free(o.text);
	json_decref(run);
}
END_TEST

/* The scenario's actions (harness/session.c) are bands across the
 * picture, labelled, at their time: no lane of their own, no agent's mark,
 * and the agents' events are still drawn as before. */
START_TEST(html_actions_are_bands)
{
	json_t *run = load_fixture(), *c = json_array_get(json_object_get(run, "cases"), 0);
	json_t *tl = json_object_get(c, "timeline");
	struct out o = {0};
	const char *cut, *p;
	char *sec;
	size_t events;

	events = json_array_size(tl);
	json_array_append_new(tl, json_pack("{s:f, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "t", 3.5,
					    "agent", "harness", "event", "event", "action",
					    "action", "cut", "link", "wan", "family", "ipv6",
					    "direction", "b-to-a"));
	json_array_append_new(tl, json_pack("{s:f, s:s, s:{s:s, s:s, s:s}}", "t", 4.0, "agent",
					    "harness", "event", "event", "action", "action",
					    "restart", "agent", "client"));
	write_one(&o, "index.html", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	sec = section(o.text, json_string_value(json_object_get(c, "name")));
	ck_assert_int_eq(count(sec, "<g class=\"lane\""),
			 json_array_size(json_object_get(c, "agents")));
	ck_assert_int_eq(count(sec, "<g class=\"action\""), 2);
	cut = strstr(sec, "<g class=\"action\" data-t=\"3.500\"><title>harness at 3.500 ms: "
		      "link wan cut ipv6, b-to-a</title>");
	ck_assert_msg(cut != NULL, "%s", sec);
	p = strstr(cut, "<line x1=\"");
	ck_assert_ptr_nonnull(strstr(p, "stroke-dasharray"));
	ck_assert_int_eq(count(sec, ">link wan cut<"), 1);
	ck_assert_int_eq(count(sec, ">ipv6, b-to-a<"), 1);
	ck_assert_int_eq(count(sec, ">ICE restart of client<"), 1);
	ck_assert_int_eq(count(sec, "data-agent=\"harness\""), 0);
	ck_assert_uint_eq(json_array_size(tl), events + 2);
	free(sec);
	free(o.text);
	json_decref(run);
}
END_TEST

START_TEST(html_escapes_and_links)
{
	json_t *run = load_fixture();
	struct out o = {0};
	char *sec;

	write_one(&o, "index.html", run);
	ck_assert_msg(ill_formed(o.text) == NULL, "ill-formed at: %.60s", ill_formed(o.text));
	/* Self-contained: nothing is fetched (xmlns is a name, not a fetch). */
	ck_assert_ptr_null(strstr(o.text, "href=\"http"));
	ck_assert_ptr_null(strstr(o.text, "src="));
	ck_assert_ptr_null(strstr(o.text, "url("));
	ck_assert_ptr_null(strstr(o.text, "@import"));
	ck_assert_int_ge(count(o.text, nasty_escaped), 3);
	sec = section(o.text, "ipv6-oneway[dtls=active]");
	ck_assert_ptr_nonnull(strstr(sec, "href=\"cases/ipv6-oneway%5Bdtls%3Dactive%5D/"
					  "server%20log.txt\""));
	ck_assert_ptr_nonnull(strstr(sec, "href=\"cases/ipv6-oneway%5Bdtls%3Dactive%5D/"
					  "wan-server.pcap\""));
	/* The anchor the case table links to is the section's id. */
	ck_assert_ptr_nonnull(strstr(o.text, "<a href=\"#case-ipv6-oneway_5bdtls_3dactive_5d\">"));
	ck_assert_ptr_nonnull(strstr(o.text, "id=\"case-ipv6-oneway_5bdtls_3dactive_5d\""));
	ck_assert_ptr_nonnull(strstr(o.text, "<span class=\"verdict xpass\">xpass</span>"));
	free(sec);
	free(o.text);
	json_decref(run);
}
END_TEST

/* A long case: 300 datagrams over 10 s (checks, a lost DTLS flight
 * retransmitted, consent): every one drawn, repeated labels left out,
 * and the picture a few screens tall, not tens. */
START_TEST(html_many_datagrams)
{
	json_t *run = load_fixture();
	json_t *c = json_array_get(json_object_get(run, "cases"), 1);
	json_t *wire = json_array();
	struct out o = {0};
	char *sec;
	const char *svg;
	double height;

	for (int i = 0; i < 300; i++) {
		bool req = i % 2 == 0, lost = i % 20 == 1;
		double t = 100.0 + i / 2 * 66.0 + (req ? 0 : 0.4);

		json_array_append_new(
			wire, json_pack("{s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:s, s:i}",
					"t", t, "from", req ? "client" : "server", "to",
					req ? "server" : "client", "src",
					req ? "10.0.1.2:50000" : "198.51.100.20:40000", "dst",
					req ? "198.51.100.20:40000" : "198.51.100.1:61000", "family",
					"ipv4", "kind", lost ? "dtls-handshake" : req ? "binding-request" : "binding-success",
					"use_candidate", 0, "delivered", !lost, "t_arrive",
					lost ? json_null() : json_real(t + 0.05), "link", "lan", "frame", i + 1));
	}
	json_object_set_new(c, "wire", wire);
	write_one(&o, "index.html", run);
	sec = section(o.text, "ipv6-oneway[dtls=active]");
	ck_assert_int_eq(flows_with(sec, NULL), 300);
	ck_assert_int_eq(flows_with(sec, " undelivered "), 15);
	svg = strstr(sec, "<svg class=\"timeline\"");
	ck_assert_ptr_nonnull(svg);
	/* Labels: far fewer than arrows, but each kind labelled somewhere. */
	ck_assert_int_lt(count(svg, "class=\"lbl\""), 100);
	ck_assert_int_ge(count(svg, ">Binding success  198.51.100.20:40000"), 2);
	ck_assert_int_ge(count(svg, ">DTLS handshake  198.51.100.20:40000"), 1);
	height = strtod(strstr(svg, " height=\"") + 9, NULL);
	ck_assert_msg(height > 300 * 4 && height < 300 * 25, "height %.0f", height);
	free(sec);
	free(o.text);
	json_decref(run);
}
END_TEST

/* A flood (tests/hostile-test): the agents' 401s to the attacker are
 * datagrams that reached no agent, tens of thousands of them.  The
 * summary groups them in one pass (it was quadratic: minutes for this),
 * by kind and family in order of first appearance. */
START_TEST(html_flood_summary)
{
	json_t *run = load_fixture();
	json_t *c = json_array_get(json_object_get(run, "cases"), 1);
	json_t *wire = json_array();
	struct out o = {0};
	char *sec;

	for (int i = 0; i < 20000; i++)
		json_array_append_new(
			wire, json_pack("{s:f, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:s, s:i}",
					"t", 100.0 + i * 0.5, "from", "server", "to", "",
					"src", "198.51.100.20:40000", "dst", "198.51.100.66:5000",
					"family", i % 2 ? "ipv6" : "ipv4", "kind", "binding-error",
					"use_candidate", 0, "delivered", 0, "t_arrive", json_null(),
					"link", "wan", "frame", i + 1));
	json_object_set_new(c, "wire", wire);
	write_one(&o, "index.html", run);
	sec = section(o.text, "ipv6-oneway[dtls=active]");
	ck_assert_ptr_nonnull(strstr(sec, "20000 datagrams between the agents; "
					  "<span class=\"bad\">20000 never arrived</span>: "
					  "10000 &times; binding-error over ipv4, "
					  "10000 &times; binding-error over ipv6.</p>"));
	free(sec);
	free(o.text);
	json_decref(run);
}
END_TEST

/* ---- results.json --------------------------------------------------------- */

START_TEST(json_round_trips)
{
	json_t *run = load_fixture(), *back;
	struct out o = {0};
	json_error_t je;

	write_one(&o, "results.json", run);
	back = json_loads(o.text, 0, &je);
	ck_assert_msg(back != NULL, "%d: %s", je.line, je.text);
	ck_assert(json_equal(run, back));
	ck_assert_ptr_nonnull(strstr(o.text, "\n  \"cases\": [\n"));   /* indented */
	json_decref(back);
	free(o.text);
	json_decref(run);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(errors_name_the_file)
{
	json_t *run = load_fixture(), *bare = json_pack("{s:s}", "icelab", "0.1.0");
	struct icl_err err = {0};
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct stat st;

	ck_assert_int_eq(icl_tmp_path(dir, sizeof(dir), "icelab-report-XXXXXX"), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/missing/junit.xml", dir);
	ck_assert_int_eq(rep_write_junit(path, run, &err), -ENOENT);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 &&
			      strcmp(err.msg + strlen(path), ": No such file or directory") == 0,
		      "%s", err.msg);
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(rep_write_all(path, run, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "/missing/results.json: No such file"), "%s", err.msg);
	/* A document without cases: refused before any file exists. */
	snprintf(path, sizeof(path), "%s/index.html", dir);
	ck_assert_int_eq(rep_write_html(path, bare, &err), -EINVAL);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "\"cases\""),
		      "%s", err.msg);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(rmdir(dir), 0);
	/* A device that takes no data: the error comes at the flush.  Only
	 * where it is the real device (a regular file would just be written). */
	if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
		ck_assert_int_eq(rep_write_html("/dev/full", run, &err), -ENOSPC);
		ck_assert_str_eq(err.msg, "/dev/full: No space left on device");
		ck_assert_int_eq(rep_write_json("/dev/full", run, &err), -ENOSPC);
		ck_assert_int_eq(stat("/dev/full", &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
	}
	json_decref(bare);
	json_decref(run);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *junit = tcase_create("junit");
	TCase *html = tcase_create("html");
	TCase *json = tcase_create("json");

	tcase_add_test(junit, junit_counts_match_summary);
	tcase_add_test(junit, junit_escapes_nasty_reason);
	tcase_add_test(junit, junit_failure_lists_every_failed_assertion);
	tcase_add_test(junit, junit_xfail_passes_xpass_fails);
	tcase_add_test(junit, junit_invalid_utf8_is_visible);
	tcase_add_test(junit, not_applicable_is_skipped);
	suite_add_tcase(s, junit);
	tcase_add_test(html, html_lanes_and_flows);
	tcase_add_test(html, html_seed_failure_visible);
	tcase_add_test(html, html_escapes_and_links);
	tcase_add_test(html, html_actions_are_bands);
	tcase_add_test(html, html_many_datagrams);
	tcase_add_test(html, html_flood_summary);
	suite_add_tcase(s, html);
	tcase_add_test(json, json_round_trips);
	tcase_add_test(json, errors_name_the_file);
	suite_add_tcase(s, json);
	return s;
}
