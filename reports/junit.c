/* junit.c - junit.xml in the layout Jenkins, GitLab and GitHub read:
 * <testsuites> of one <testsuite> per scenario, one <testcase> per case. */
#include "report.h"

#include <errno.h>
#include <string.h>

#include "rep_int.h"

struct counts {
	size_t tests, failures, errors, skipped;
	double ms;
};

static void count(struct counts *k, const json_t *c)
{
	enum rep_verdict v = rep_verdict(c);

	k->tests++;
	k->failures += v == REP_FAIL || v == REP_XPASS;
	k->errors += v == REP_ERROR || v == REP_UNKNOWN;
	k->skipped += v == REP_NA;
	k->ms += rep_num(c, "duration_ms", 0);
}

/* Every failed assertion with where and expected vs actual, the break
 * cause, agents that exited badly: the text a CI user reads first. */
static void failure_detail(struct rep_out *o, const json_t *c)
{
	const json_t *a;
	size_t i;

	rep_esc_key(o, c, "message", false);
	json_array_foreach(json_object_get(c, "assertions"), i, a) {
		if (rep_bool(a, "ok"))
			continue;
		rep_puts(o, "\nFAILED: ");
		rep_esc_key(o, a, "what", false);
		rep_puts(o, "\n  at ");
		rep_esc_key(o, a, "where", false);
		rep_puts(o, "\n  ");
		rep_esc_key(o, a, "detail", false);
	}
	if (rep_str(c, "broken")[0] != '\0') {
		rep_puts(o, "\nsession broke: ");
		rep_esc_key(o, c, "broken", false);
	}
	json_array_foreach(json_object_get(c, "agents"), i, a) {
		const json_t *ex = json_object_get(a, "exit");

		if (json_is_integer(ex) && json_integer_value(ex) != 0) {
			rep_puts(o, "\nagent ");
			rep_esc_key(o, a, "name", false);
			rep_printf(o, " exited with status %" JSON_INTEGER_FORMAT, json_integer_value(ex));
		}
	}
	rep_puts(o, "\n");
}

/* <failure> or <error> with message and the full detail. */
static void problem(struct rep_out *o, const char *tag, const char *type, const json_t *c)
{
	rep_printf(o, "      <%s type=\"%s\" message=\"", tag, type);
	rep_esc_key(o, c, "message", true);
	rep_puts(o, "\">");
	failure_detail(o, c);
	rep_printf(o, "</%s>\n", tag);
}

static void testcase(struct rep_out *o, const json_t *c, const char *scenario)
{
	enum rep_verdict v = rep_verdict(c);

	rep_puts(o, "    <testcase classname=\"");
	rep_esc_str(o, scenario, true);
	rep_puts(o, "\" name=\"");
	rep_esc_key(o, c, "name", true);
	rep_printf(o, "\" time=\"%.3f\"", rep_num(c, "duration_ms", 0) / 1000);
	if (v == REP_PASS) {
		rep_puts(o, "/>\n");
		return;
	}
	rep_puts(o, ">\n");
	if (v == REP_FAIL) {
		problem(o, "failure", "assertion", c);
	} else if (v == REP_ERROR) {
		problem(o, "error", "error", c);
	} else if (v == REP_XPASS) {
		rep_puts(o, "      <failure type=\"xpass\" message=\"expected to fail (");
		rep_esc_key(o, c, "expected_failure", true);
		rep_puts(o, ") but passed\">expected to fail (");
		rep_esc_key(o, c, "expected_failure", false);
		rep_puts(o, ") but passed: every assertion held\n</failure>\n");
	} else if (v == REP_NA) {
		/* Not applicable: skipped, the reason as its message. */
		rep_puts(o, "      <skipped message=\"not applicable: ");
		rep_esc_key(o, c, "message", true);
		rep_puts(o, "\"/>\n");
	} else if (v == REP_XFAIL) {
		rep_puts(o, "      <system-out>expected failure: ");
		rep_esc_key(o, c, "expected_failure", false);
		rep_puts(o, "; failed as expected: ");
		failure_detail(o, c);
		rep_puts(o, "</system-out>\n");
	} else {
		rep_puts(o, "      <error type=\"error\" message=\"unknown verdict &quot;");
		rep_esc_key(o, c, "verdict", true);
		rep_puts(o, "&quot;\"/>\n");
	}
	rep_puts(o, "    </testcase>\n");
}

static void property(struct rep_out *o, const char *name, const json_t *run, const char *key)
{
	if (json_object_get(run, key) == NULL)
		return;
	rep_printf(o, "      <property name=\"%s\" value=\"", name);
	rep_esc_key(o, run, key, true);
	rep_puts(o, "\"/>\n");
}

/* One <testsuite>: the cases of `scenario`, in document order. */
static void testsuite(struct rep_out *o, const json_t *run, const json_t *cases,
		      const char *scenario)
{
	struct counts k = {0};
	char sc[256];
	const json_t *c;
	size_t i;

	json_array_foreach(cases, i, c) {
		rep_scenario(c, sc, sizeof(sc));
		if (strcmp(sc, scenario) == 0)
			count(&k, c);
	}
	rep_puts(o, "  <testsuite name=\"");
	rep_esc_str(o, scenario, true);
	rep_printf(o, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"",
		   k.tests, k.failures, k.errors, k.skipped, k.ms / 1000);
	if (rep_str(run, "started")[0] != '\0') {
		rep_puts(o, " timestamp=\"");
		rep_esc_key(o, run, "started", true);
		rep_puts(o, "\"");
	}
	rep_puts(o, ">\n    <properties>\n");
	property(o, "icelab", run, "icelab");
	property(o, "seed", run, "seed");
	rep_puts(o, "    </properties>\n");
	json_array_foreach(cases, i, c) {
		rep_scenario(c, sc, sizeof(sc));
		if (strcmp(sc, scenario) == 0)
			testcase(o, c, scenario);
	}
	rep_puts(o, "  </testsuite>\n");
}

/* Whether an earlier case than `upto` comes from `scenario`. */
static bool seen_before(const json_t *cases, size_t upto, const char *scenario)
{
	char sc[256];

	for (size_t i = 0; i < upto; i++) {
		rep_scenario(json_array_get(cases, i), sc, sizeof(sc));
		if (strcmp(sc, scenario) == 0)
			return true;
	}
	return false;
}

int rep_write_junit(const char *path, const json_t *run, struct icl_err *err)
{
	const json_t *cases = rep_cases(run, path, err), *c;
	struct counts k = {0};
	struct rep_out o;
	char sc[256];
	size_t i;
	int rc;

	if (cases == NULL)
		return -EINVAL;
	if ((rc = rep_open(&o, path, err)) < 0)
		return rc;
	json_array_foreach(cases, i, c)
		count(&k, c);
	rep_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	rep_printf(&o, "<testsuites name=\"icelab\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		       "skipped=\"%zu\" time=\"%.3f\">\n",
		   k.tests, k.failures, k.errors, k.skipped, rep_num(run, "duration_ms", k.ms) / 1000);
	/* Suites in the order their first case appears. */
	json_array_foreach(cases, i, c) {
		rep_scenario(c, sc, sizeof(sc));
		if (!seen_before(cases, i, sc))
			testsuite(&o, run, cases, sc);
	}
	rep_puts(&o, "</testsuites>\n");
	return rep_close(&o, err);
}
