/* Placeholder until the proto tests land (this session). */
#include "suites.h"

Suite *proto_suite(void)
{
	return suite_create("proto");
}
