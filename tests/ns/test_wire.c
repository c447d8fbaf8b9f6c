/* Namespace tests of the wire checks (filled in by its owner). */
#include <check.h>

#include "suites.h"

Suite *wire_ns_suite(void)
{
	return suite_create("wire_ns");
}
