/* Namespace tests: they build real topologies and need root
 * (CAP_NET_ADMIN and CAP_SYS_ADMIN).  Without it they are skipped. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../common/fs.h"
#include "nsutil.h"
#include "suites.h"

/* A private TMPDIR for the run (nsutil.h, ns_tmp_template): a failed
 * assertion ends its test before the test's own cleanup, and what it left
 * (captures, a topology's service files) goes with this directory. */
static int private_tmp(char *dir, size_t cap)
{
	snprintf(dir, cap, "%s/icelab-nstest-XXXXXX", ns_tmpdir());
	if (mkdtemp(dir) == NULL || setenv("TMPDIR", dir, 1) != 0) {
		perror("namespace tests: a private TMPDIR");
		return -1;
	}
	return 0;
}

int main(void)
{
	char tmp[PATH_MAX];
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("namespace tests: SKIPPED (need root to create network namespaces)\n");
		return 77;
	}
	if (private_tmp(tmp, sizeof(tmp)) < 0)
		return EXIT_FAILURE;
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
	icl_rm_tree(tmp);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
