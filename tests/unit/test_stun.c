/* Placeholder until the stun tests land (this session). */
#include "suites.h"

Suite *stun_suite(void)
{
	return suite_create("stun");
}
