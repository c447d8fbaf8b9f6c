/* Placeholder until the cand tests land (this session). */
#include "suites.h"

Suite *cand_suite(void)
{
	return suite_create("cand");
}
