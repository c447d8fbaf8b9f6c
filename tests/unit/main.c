/* Unit tests: no root, no namespaces.  Each suite is listed once here. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../common/tmpdir.h"
#include "suites.h"

int main(void)
{
	char tmp[PATH_MAX];
	struct icl_err err;
	int failed, keep;
	SRunner *sr;

	if (icl_tmpdir_private("icelab-unittest", tmp, sizeof(tmp), &keep, &err) < 0) {
		fprintf(stderr, "unit tests: a private TMPDIR: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	sr = srunner_create(scenario_suite());
	srunner_add_suite(sr, nat_suite());
	srunner_add_suite(sr, filter_suite());
	srunner_add_suite(sr, stun_suite());
	srunner_add_suite(sr, cand_suite());
	srunner_add_suite(sr, ice_suite());
	srunner_add_suite(sr, dtls_suite());
	srunner_add_suite(sr, proto_suite());
	srunner_add_suite(sr, cases_suite());
	srunner_add_suite(sr, verdict_suite());
	srunner_add_suite(sr, wire_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, impair_yaml_suite());
	srunner_add_suite(sr, dns64_yaml_suite());
	srunner_add_suite(sr, turn_yaml_suite());
	srunner_add_suite(sr, turnc_suite());
	srunner_add_suite(sr, pref64_suite());
	srunner_add_suite(sr, inject_suite());
	srunner_add_suite(sr, flood_suite());
	srunner_add_suite(sr, catalogue_suite());
	srunner_add_suite(sr, nice_cfg_suite());
	srunner_add_suite(sr, demux_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	icl_tmpdir_release(tmp, keep);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
