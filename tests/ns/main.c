/* Namespace tests: they build real topologies and need root
 * (CAP_NET_ADMIN and CAP_SYS_ADMIN).  Without it they are skipped. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../common/tmpdir.h"
#include "nsutil.h"
#include "suites.h"

int main(void)
{
	char tmp[PATH_MAX];
	struct icl_err err;
	int failed, keep;
	SRunner *sr;

	if (geteuid() != 0) {
		printf("namespace tests: SKIPPED (need root to create network namespaces)\n");
		return 77;
	}
	/* A failed assertion ends its test before the test's own cleanup:
	 * what it left (captures, a topology's service files) goes with this
	 * directory, even if the run itself is killed. */
	if (icl_tmpdir_private("icelab-nstest", tmp, sizeof(tmp), &keep, &err) < 0) {
		fprintf(stderr, "namespace tests: a private TMPDIR: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	sr = srunner_create(topo_ns_suite());
	srunner_add_suite(sr, nat_ns_suite());
	srunner_add_suite(sr, natdiscovery_suite());
	srunner_add_suite(sr, capture_suite());
	srunner_add_suite(sr, agents_ns_suite());
	srunner_add_suite(sr, impair_suite());
	srunner_add_suite(sr, wire_ns_suite());
	srunner_add_suite(sr, svc_suite());
	srunner_add_suite(sr, nat64_suite());
	srunner_add_suite(sr, turn_suite());
	srunner_add_suite(sr, dns64_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	icl_tmpdir_release(tmp, keep);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
