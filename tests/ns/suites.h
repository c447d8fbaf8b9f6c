/* Namespace test suites (need root); each is defined in tests/ns/test_*.c. */
#ifndef TESTS_NS_SUITES_H
#define TESTS_NS_SUITES_H

#include <check.h>

Suite *topo_ns_suite(void);
Suite *nat_ns_suite(void);
Suite *natdiscovery_suite(void);
Suite *capture_suite(void);
Suite *agents_ns_suite(void);
Suite *impair_suite(void);
Suite *wire_ns_suite(void);
Suite *svc_suite(void);
Suite *nat64_suite(void);

Suite *turn_suite(void);
Suite *dns64_suite(void);
#endif
