/* Placeholder until the dtls tests land (this session). */
#include "suites.h"

Suite *dtls_suite(void)
{
	return suite_create("dtls");
}
