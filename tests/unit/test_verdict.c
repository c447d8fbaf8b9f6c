/* Unit tests of the verdict module (filled in by its owner). */
#include <check.h>

#include "suites.h"

Suite *verdict_suite(void)
{
	return suite_create("verdict");
}
