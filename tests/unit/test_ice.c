/* Placeholder until the ice tests land (this session). */
#include "suites.h"

Suite *ice_suite(void)
{
	return suite_create("ice");
}
