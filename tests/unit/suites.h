/* The unit test suites; each is defined in its tests/unit/test_*.c. */
#ifndef TESTS_UNIT_SUITES_H
#define TESTS_UNIT_SUITES_H

#include <check.h>

/* main.c gives the run a private TMPDIR (common/tmpdir.h): a failed
 * assertion ends its test before the test's own cleanup, and what the test
 * left there goes with the run, however it ends.  Tests make their files
 * in it with icl_tmp_path(), in PATH_MAX buffers as the harness does. */

Suite *scenario_suite(void);
Suite *nat_suite(void);
Suite *filter_suite(void);
Suite *stun_suite(void);
Suite *cand_suite(void);
Suite *ice_suite(void);
Suite *dtls_suite(void);
Suite *proto_suite(void);
Suite *cases_suite(void);
Suite *verdict_suite(void);
Suite *wire_suite(void);
Suite *report_suite(void);
Suite *impair_yaml_suite(void);
Suite *dns64_yaml_suite(void);
Suite *turn_yaml_suite(void);
Suite *turnc_suite(void);
Suite *pref64_suite(void);
Suite *inject_suite(void);
Suite *flood_suite(void);
Suite *catalogue_suite(void);
Suite *nice_cfg_suite(void);
Suite *demux_suite(void);

#endif
