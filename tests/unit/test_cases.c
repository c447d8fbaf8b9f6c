/* Unit tests of the cases module (filled in by its owner). */
#include <check.h>

#include "suites.h"

Suite *cases_suite(void)
{
	return suite_create("cases");
}
