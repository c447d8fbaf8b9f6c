/* Unit tests of the wire module (filled in by its owner). */
#include <check.h>

#include "suites.h"

Suite *wire_suite(void)
{
	return suite_create("wire");
}
