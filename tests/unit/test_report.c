/* Unit tests of the report module (filled in by its owner). */
#include <check.h>

#include "suites.h"

Suite *report_suite(void)
{
	return suite_create("report");
}
