/* The libnice adapter's configure mapping (agents/adapters/libnice/nice_cfg.c):
 * what each configure line becomes for libnice, and what libnice cannot do. */
#include <stdio.h>
#include <string.h>

#include "../../agents/adapters/libnice/nice_cfg.h"
#include "suites.h"

static struct proto_cmd cmd;
static struct nice_cfg ncfg;
static struct icl_err err;
static char na[256];

/* Parse a configure line and map it; returns nice_cfg_map's result. */
static int map(const char *line)
{
	icl_err_clear(&err);
	na[0] = '\0';
	ck_assert_msg(proto_parse_cmd(line, &cmd, &err) == 0, "%s: %s", line, err.msg);
	return nice_cfg_map(&cmd.u.config, &ncfg, na, sizeof(na), &err);
}

static void not_applicable(const char *line, const char *what)
{
	ck_assert_int_eq(map(line), NICE_CFG_NA);
	ck_assert_msg(strncmp(na, what, strlen(what)) == 0, "\"%s\" does not start with \"%s\"",
		      na, what);
}

START_TEST(defaults)
{
	ck_assert_int_eq(map("{\"cmd\":\"configure\"}"), 0);
	ck_assert(ncfg.controlling);
	ck_assert(ncfg.regular_nomination);   /* the protocol's default, not libnice's */
	ck_assert(ncfg.consent);
	ck_assert(ncfg.ipv4 && ncfg.ipv6);
	ck_assert_uint_eq(ncfg.ta_ms, 0);
	ck_assert_str_eq(ncfg.stun_ip, "");
	ck_assert_uint_eq(ncfg.n_relays, 0);
	ck_assert_ptr_null(ncfg.ufrag);
	ck_assert_ptr_null(ncfg.pwd);
}
END_TEST

START_TEST(settings)
{
	ck_assert_int_eq(map("{\"cmd\":\"configure\",\"role\":\"controlled\",\"nomination\":"
			     "\"aggressive\",\"families\":[\"ipv6\"],\"ufrag\":\"abcd\","
			     "\"timers\":{\"ta_ms\":20,\"rto_ms\":300,\"nominate_after_ms\":300,"
			     "\"data_interval_ms\":100},\"stun_servers\":[\"[2001:db8::5]:3478\"],"
			     "\"turn_servers\":[{\"url\":\"192.0.2.5:3478\",\"username\":\"u\","
			     "\"password\":\"p\"}]}"), 0);
	ck_assert(!ncfg.controlling);
	ck_assert(!ncfg.regular_nomination);  /* libnice's own aggressive mode */
	ck_assert(!ncfg.ipv4 && ncfg.ipv6);
	ck_assert_uint_eq(ncfg.ta_ms, 20);
	ck_assert_uint_eq(ncfg.rto_ms, 300);
	ck_assert_str_eq(ncfg.stun_ip, "2001:db8::5");
	ck_assert_uint_eq(ncfg.stun_port, 3478);
	ck_assert_uint_eq(ncfg.n_relays, 1);
	ck_assert_str_eq(ncfg.relays[0].ip, "192.0.2.5");
	ck_assert_uint_eq(ncfg.relays[0].port, 3478);
	ck_assert_str_eq(ncfg.relays[0].username, "u");
	ck_assert_str_eq(ncfg.relays[0].password, "p");
	ck_assert_str_eq(ncfg.ufrag, "abcd");
	ck_assert_ptr_null(ncfg.pwd);
}
END_TEST

START_TEST(lite_peer_makes_controlling)
{
	ck_assert_int_eq(map("{\"cmd\":\"configure\",\"role\":\"controlled\"}"), 0);
	ck_assert(!nice_cfg_controlling(&ncfg, false));
	ck_assert(nice_cfg_controlling(&ncfg, true));
}
END_TEST

START_TEST(two_stun_servers_refused)
{
	ck_assert_int_eq(map("{\"cmd\":\"configure\",\"stun_servers\":[\"192.0.2.5:3478\","
			     "\"192.0.2.6:3478\"]}"), ICL_EINPUT);
	ck_assert_msg(strncmp(err.msg, "stun_servers[1]: ", 17) == 0, "%s", err.msg);
}
END_TEST

START_TEST(not_applicable_fields)
{
	not_applicable("{\"cmd\":\"configure\",\"lite\":true}", "lite: ");
	not_applicable("{\"cmd\":\"configure\",\"quirks\":[\"aggressive-vs-lite\"]}",
		       "quirks[0]: \"aggressive-vs-lite\": ");
	not_applicable("{\"cmd\":\"configure\",\"nat64\":{\"prefix\":\"64:ff9b::/96\"}}",
		       "nat64: ");
	not_applicable("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"192.0.2.5:3478\","
		       "\"username\":\"u\",\"password\":\"p\"},{\"url\":\"192.0.2.6:3478\","
		       "\"username\":\"u\",\"password\":\"p\",\"family\":\"ipv6\"}]}",
		       "turn_servers[1].family: ");
	not_applicable("{\"cmd\":\"configure\",\"timers\":{\"consent_timeout_ms\":1500}}",
		       "timers.consent_timeout_ms: ");
	not_applicable("{\"cmd\":\"configure\",\"timers\":{\"consent_interval_ms\":500,"
		       "\"consent_timeout_ms\":1500}}", "timers.consent_interval_ms: ");
	/* lite: false is what a full agent is: applicable. */
	ck_assert_int_eq(map("{\"cmd\":\"configure\",\"lite\":false}"), 0);
}
END_TEST

Suite *nice_cfg_suite(void)
{
	Suite *s = suite_create("nice_cfg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, settings);
	tcase_add_test(tc, lite_peer_makes_controlling);
	tcase_add_test(tc, two_stun_servers_refused);
	tcase_add_test(tc, not_applicable_fields);
	suite_add_tcase(s, tc);
	return s;
}
