/* fuzz_scenario.c - libFuzzer target for the scenario loader
 * (harness/scenario.h), from a memory buffer, both entry points.
 *
 * Checked besides "no crash, no leak" (LeakSanitizer is on, so every
 * result is freed here):
 *   - scn_load_cases_buf returns 0 with at least one case, or ICL_EINPUT
 *     with nothing returned and ONE line "NAME:LINE:COL: ..." (the
 *     project's error format, scenario.h and docs/scenario-format.md), or
 *     -ENOMEM with "NAME: out of memory";
 *   - scn_load_topology_buf follows the same rule, leaves the plan zeroed
 *     on error, and is the more lenient of the two (it only lets `name`
 *     go): what loads as cases loads as a topology.
 * The buffer is a block of exactly the input's size, not NUL-terminated,
 * so that ASan catches a read past its end.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

static const char fuzz_name[] = "fuzz.yaml";

/* "1:2: " after the name: a positive number, ':', a positive number. */
static const char *number(const char *p)
{
	if (*p < '1' || *p > '9')
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static void check_error(const char *entry, int rc, const struct icl_err *err)
{
	size_t n = strlen(fuzz_name);
	const char *p = err->msg + n;

	if (strchr(err->msg, '\n'))
		FAIL("%s: message of several lines: %s\n", entry, err->msg);
	if (strncmp(err->msg, fuzz_name, n) != 0 || *p++ != ':')
		FAIL("%s: message without the file name: %s\n", entry, err->msg);
	if (rc == -ENOMEM && strcmp(p, " out of memory") == 0)
		return;
	if (rc != ICL_EINPUT)
		FAIL("%s: returned %d (%s)\n", entry, rc, err->msg);
	if ((p = number(p)) == NULL || *p++ != ':' || (p = number(p)) == NULL ||
	    strncmp(p, ": ", 2) != 0 || p[2] == '\0')
		FAIL("%s: message without LINE:COL: reason: %s\n", entry, err->msg);
}

static int load_cases(const char *buf, size_t size)
{
	static struct scn_case sentinel;   /* must be replaced by NULL on error */
	struct icl_err err = { 0, "" };
	struct scn_case *cases = &sentinel;
	size_t n = 99;
	int rc = scn_load_cases_buf(fuzz_name, buf, size, &cases, &n, &err);

	if (rc == 0) {
		if (cases == NULL || n == 0)
			FAIL("scn_load_cases_buf: success with no case\n");
		scn_cases_free(cases, n);
		return 0;
	}
	if (cases != NULL || n != 0)
		FAIL("scn_load_cases_buf: error %d but cases returned\n", rc);
	check_error("scn_load_cases_buf", rc, &err);
	return rc;
}

static int load_topology(const char *buf, size_t size)
{
	static const struct topo_plan zero;
	struct icl_err err = { 0, "" };
	struct topo_plan plan;
	int rc;

	memset(&plan, 0, sizeof(plan));
	rc = scn_load_topology_buf(fuzz_name, buf, size, &plan, &err);
	if (rc == 0) {
		topo_plan_free(&plan);
		return 0;
	}
	if (memcmp(&plan, &zero, sizeof(plan)) != 0)
		FAIL("scn_load_topology_buf: error %d but the plan is not zeroed\n", rc);
	check_error("scn_load_topology_buf", rc, &err);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	int cases_rc, topo_rc;

	if (buf == NULL)
		return 0;
	if (size)
		memcpy(buf, data, size);
	cases_rc = load_cases(buf, size);
	topo_rc = load_topology(buf, size);
	if (cases_rc == 0 && topo_rc != 0)
		FAIL("loads as cases but not as a topology\n");
	free(buf);
	return 0;
}
