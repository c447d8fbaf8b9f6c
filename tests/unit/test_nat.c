/* test_nat.c - structural tests of the NAT and filter ruleset generators.
 *
 * No root here, so nothing is loaded: the tests assert on the text.  What
 * they pin down are the properties docs/nat-design.md relies on (which
 * maps exist and how they are keyed, which drops exist, which SNAT forms
 * may appear), so that a regression in the generator fails here before it
 * fails natdiscovery in a namespace.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../netns/filter.h"
#include "../../netns/nat.h"

Suite *nat_suite(void);
Suite *filter_suite(void);

static const unsigned char ext4[4] = { 203, 0, 113, 1 };
static const unsigned char ext6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

static struct topo_nat mk_nat(enum topo_behaviour m, enum topo_behaviour f, bool hairpin,
			      bool pp, unsigned families)
{
	struct topo_nat n;

	memset(&n, 0, sizeof(n));
	strcpy(n.inside, "lanlink");
	strcpy(n.outside, "wanlink");
	n.mapping = m;
	n.filtering = f;
	n.hairpinning = hairpin;
	n.port_preservation = pp;
	n.families = families;
	return n;
}

static char *render(const struct topo_nat *n)
{
	struct nat_ifaces ifs = { "lan0", "wan0", ext4, ext6 };
	struct icl_err err = { 0, "" };
	char *text = NULL;
	int rc = nat_ruleset(n, &ifs, 0, &text, &err);

	ck_assert_msg(rc == 0, "nat_ruleset failed: %s", err.msg);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* The body of the first chain `name` in `text` (pass a pointer into the
 * text to skip tables), as a new string; empty if the chain is absent. */
static char *chain_body(const char *text, const char *name)
{
	char head[64];
	const char *b, *e;

	snprintf(head, sizeof(head), "\tchain %s {\n", name);
	b = strstr(text, head);
	if (b == NULL)
		return strdup("");
	b += strlen(head);
	e = strstr(b, "\n\t}\n");
	ck_assert_ptr_nonnull(e);
	return strndup(b, (size_t)(e - b) + 1);
}

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* References to set `name` (`@name`, not `@name2`). */
static size_t count_refs(const char *t, const char *name)
{
	size_t n = 0, len = strlen(name);

	for (const char *p = strchr(t, '@'); p != NULL; p = strchr(p + 1, '@'))
		if (strncmp(p + 1, name, len) == 0 && !isalnum((unsigned char)p[1 + len]) &&
		    p[1 + len] != '_')
			n++;
	return n;
}

/* Every dynamic set and map of `t` is both updated and read: state that
 * nothing looks up would cost a hash table at load and an update per
 * packet.  Returns how many there are. */
static size_t assert_state_read_and_written(const char *t)
{
	static const char *const kinds[] = { "\tmap ", "\tset " };
	size_t n = 0;

	for (size_t k = 0; k < 2; k++)
		for (const char *p = strstr(t, kinds[k]); p != NULL; p = strstr(p + 1, kinds[k])) {
			char name[32], upd[48];

			ck_assert_int_eq(sscanf(p + strlen(kinds[k]), "%31[a-z0-9_]", name), 1);
			snprintf(upd, sizeof(upd), "update @%s ", name);
			ck_assert_msg(count(t, upd) > 0, "%s is never updated", name);
			ck_assert_msg(count_refs(t, name) > count(t, upd), "%s is never read", name);
			n++;
		}
	return n;
}

START_TEST(test_all_combinations_render)
{
	/* 3 x 3 x hairpin x port preservation x 3 family sets. */
	static const unsigned fams[] = { TOPO_FAM_V4, TOPO_FAM_V6, TOPO_FAM_ALL };
	int i = _i;
	struct topo_nat n = mk_nat(i % 3, (i / 3) % 3, (i / 9) % 2, (i / 18) % 2, fams[i / 36]);
	char *t = render(&n);

	ck_assert_int_eq(has(t, "table ip icl_nat0 {\n"), (n.families & TOPO_FAM_V4) != 0);
	ck_assert_int_eq(has(t, "table ip6 icl_nat0 {\n"), (n.families & TOPO_FAM_V6) != 0);
	/* Built into a fresh namespace: no delete (a kernel grace period). */
	ck_assert(!has(t, "delete table"));
	/* Every dynamic set is sized: nft's default size is slow to set up. */
	ck_assert_uint_eq(count(t, "flags dynamic"), count(t, "size 1024\n\t\tflags dynamic"));
	/* nft keywords never name a table or chain. */
	ck_assert(!has(t, "chain fwd ") && !has(t, "chain snat ") && !has(t, "chain dnat "));
	/* Lookup and update hash alike only with one fixed seed. */
	ck_assert_uint_eq(count(t, "jhash"), count(t, "mod 4294967295 seed 0x1ce1ab"));
	/* nft 1.0.6 corrupts IPv6 addresses in dynamic keys that carry data:
	 * IPv6 map keys must never hold an address. */
	ck_assert(!has(t, "ipv6_addr . ") && !has(t, "ipv6_addr : "));
	/* Balanced braces: a truncated emitter shows here. */
	ck_assert_uint_eq(count(t, "{"), count(t, "}"));
	assert_state_read_and_written(t);
	/* A DNAT chain exactly when something is let in (EIF, ADF or
	 * hairpinning), and only then replies that carry `ct status dnat`. */
	ck_assert_uint_eq(count(t, "\tchain pre {"), count(t, "\tchain learn_in {"));
	ck_assert_int_eq(has(t, "\tchain pre {"),
			 n.filtering != TOPO_ADDRESS_AND_PORT_DEPENDENT || n.hairpinning);
	free(t);
}
END_TEST

/* The bench topology's NAT (EIM, APDF, no hairpinning, no port
 * preservation) reads one map: emap.  Anything more is load time. */
START_TEST(test_only_read_state_is_kept)
{
	struct topo_nat n = mk_nat(TOPO_ENDPOINT_INDEPENDENT, TOPO_ADDRESS_AND_PORT_DEPENDENT,
				   false, false, TOPO_FAM_V4);
	char *t = render(&n);

	ck_assert_uint_eq(assert_state_read_and_written(t), 1);
	ck_assert(has(t, "\tmap emap {"));
	ck_assert(!has(t, "chain pre {") && !has(t, "chain learn_in {") && !has(t, "dnat"));
	free(t);
	/* APDM as well: conntrack alone is the state, nothing is learnt. */
	n.mapping = TOPO_ADDRESS_AND_PORT_DEPENDENT;
	t = render(&n);
	ck_assert_uint_eq(assert_state_read_and_written(t), 0);
	ck_assert(!has(t, "chain learn") && !has(t, "update @"));
	free(t);
}
END_TEST

START_TEST(test_eif_inbound_keyed_by_port_only)
{
	struct topo_nat n = mk_nat(TOPO_ADDRESS_AND_PORT_DEPENDENT, TOPO_ENDPOINT_INDEPENDENT,
				   false, true, TOPO_FAM_V4);
	char *t = render(&n), *pre = chain_body(t, "pre"), *guard;

	ck_assert(has(t, "map paddr {\n\t\ttype inet_proto . inet_service : ipv4_addr\n"));
	ck_assert(has(pre, "iifname \"wan0\" ip daddr 203.0.113.1 meta l4proto { tcp, udp } "
			   "dnat ip to meta l4proto . th dport map @paddr : "
			   "meta l4proto . th dport map @pport\n"));
	ck_assert(!has(t, "fmap") && !has(t, "faddr"));
	/* Flows the map lets in are the only new inbound ones forwarded. */
	ck_assert(has(t, "ct state new ct status & dnat == 0 drop\n"));
	/* A simultaneous open must not give one of them another source
	 * port (nf_nat's unique tuple): such a packet is dropped instead. */
	guard = chain_body(t, "guard_post");
	ck_assert(has(guard, "type filter hook postrouting priority srcnat + 50;"));
	ck_assert(has(guard, "oifname \"lan0\" ip saddr != 203.0.113.1 ct direction original "
			     "ct status & (dnat | snat) == dnat | snat drop\n"));
	free(guard);
	free(pre);
	free(t);
}
END_TEST

START_TEST(test_adf_inbound_keyed_by_port_and_remote_address)
{
	struct topo_nat n = mk_nat(TOPO_ENDPOINT_INDEPENDENT, TOPO_ADDRESS_DEPENDENT, false,
				   true, TOPO_FAM_V4);
	char *t = render(&n), *pre = chain_body(t, "pre"), *learn = chain_body(t, "learn_out");

	ck_assert(has(t, "map faddr {\n\t\ttype inet_proto . inet_service . ipv4_addr : ipv4_addr\n"));
	ck_assert(has(pre, "dnat ip to meta l4proto . th dport . ip saddr map @faddr : "
			   "meta l4proto . th dport . ip saddr map @fport\n"));
	ck_assert(!has(pre, "map @paddr"));
	/* The remote of the filter key is where the inside host sent to. */
	ck_assert(has(learn, "update @faddr { meta l4proto . th sport . ct original ip daddr : "
			     "ct original ip saddr }"));
	free(learn);
	free(pre);
	free(t);
}
END_TEST

START_TEST(test_apdf_lets_nothing_unsolicited_in)
{
	struct topo_nat n = mk_nat(TOPO_ENDPOINT_INDEPENDENT, TOPO_ADDRESS_AND_PORT_DEPENDENT,
				   false, true, TOPO_FAM_V4);
	char *t = render(&n), *pre = chain_body(t, "pre"), *in = chain_body(t, "guard_in"),
	     *fwd = chain_body(t, "guard_fwd");

	ck_assert(!has(pre, "dnat"));
	ck_assert(has(in, "iifname \"wan0\" ip daddr 203.0.113.1 meta l4proto { tcp, udp } "
			  "ct state new drop\n"));
	/* Nothing is DNATed, so every new inbound flow is dropped. */
	ck_assert(has(fwd, "iifname \"wan0\" oifname \"lan0\" ct state new drop\n"));
	/* Nor is any inbound flow's source ever rewritten. */
	ck_assert(!has(t, "chain guard_post {"));
	free(fwd);
	free(in);
	free(pre);
	free(t);
}
END_TEST

START_TEST(test_mapping_state_per_behaviour)
{
	struct topo_nat eim = mk_nat(TOPO_ENDPOINT_INDEPENDENT, 0, false, true, TOPO_FAM_V4);
	struct topo_nat adm = mk_nat(TOPO_ADDRESS_DEPENDENT, 0, false, true, TOPO_FAM_ALL);
	struct topo_nat apdm = mk_nat(TOPO_ADDRESS_AND_PORT_DEPENDENT, 0, false, true,
				      TOPO_FAM_V4);
	char *t;

	t = render(&eim);
	ck_assert(has(t, "map emap {\n\t\ttype inet_proto . inet_service . ipv4_addr : inet_service\n"));
	ck_assert(has(t, "snat ip to 203.0.113.1 : meta l4proto . th sport . ip saddr map @emap\n"));
	ck_assert(!has(t, "set eps"));
	free(t);

	t = render(&adm);
	/* IPv4 keys the remote address itself, IPv6 a hash of it. */
	ck_assert(has(t, "type inet_proto . inet_service . ipv4_addr . ipv4_addr : inet_service\n"));
	ck_assert(has(t, "th sport . ct original ip daddr . ip saddr map @emap\n"));
	ck_assert(has(t, "type inet_proto . inet_service . mark : inet_service\n"));
	ck_assert(has(t, "meta mark set jhash ip6 saddr . ct original ip6 daddr "
			 "mod 4294967295 seed 0x1ce1ab\n"));
	ck_assert(has(t, "update @emap { meta l4proto . ct original proto-src . jhash "
			 "ct original ip6 saddr . ct original ip6 daddr mod 4294967295 seed 0x1ce1ab : "
			 "th sport }"));
	ck_assert(has(t, "set eps {"));
	free(t);

	t = render(&apdm);
	ck_assert(!has(t, "emap"));
	ck_assert(has(t, "meta l4proto . th sport . ip saddr != @eps meta l4proto . th sport "
			 "!= @used snat ip to 203.0.113.1\n"));
	ck_assert(has(t, "snat ip to 203.0.113.1:1024-65535 random\n"));
	free(t);
}
END_TEST

START_TEST(test_hairpin_off_drops_inside_to_external)
{
	struct topo_nat n = mk_nat(TOPO_ENDPOINT_INDEPENDENT, TOPO_ENDPOINT_INDEPENDENT, false,
				   true, TOPO_FAM_ALL);
	char *t = render(&n), *in = chain_body(t, "guard_in"), *pre = chain_body(t, "pre");

	ck_assert(has(in, "iifname \"lan0\" ip daddr 203.0.113.1 meta l4proto { tcp, udp } "
			  "ct state new drop\n"));
	ck_assert(!has(pre, "iifname \"lan0\""));
	ck_assert(!has(t, "ct label"));
	free(pre);
	free(in);
	free(t);
}
END_TEST

START_TEST(test_hairpin_on_dnats_to_owner_and_snats_sender)
{
	struct topo_nat n = mk_nat(TOPO_ADDRESS_DEPENDENT, TOPO_ADDRESS_AND_PORT_DEPENDENT, true,
				   true, TOPO_FAM_V4);
	char *t = render(&n), *pre = chain_body(t, "pre"), *post = chain_body(t, "post");

	ck_assert(has(pre, "iifname \"lan0\" ip daddr 203.0.113.1 meta l4proto { tcp, udp } "
			   "ct label set 127 dnat ip to meta l4proto . th dport map @paddr : "
			   "meta l4proto . th dport map @pport\n"));
	/* REQ-9: the sender's source becomes its own external mapping. */
	ck_assert(has(post, "oifname \"lan0\" ct label 127 ct original ip daddr 203.0.113.1 "
			    "meta l4proto { tcp, udp } jump out_new\n"));
	free(post);
	free(pre);
	free(t);
}
END_TEST

START_TEST(test_port_preservation_off_never_keeps_port)
{
	struct topo_nat n = mk_nat(_i % 3, TOPO_ENDPOINT_INDEPENDENT, true, false, TOPO_FAM_ALL);
	char *t = render(&n), *o = chain_body(t, "out_new");
	char *o6 = chain_body(strstr(t, "table ip6 icl_nat0 {"), "out_new");

	/* The only fresh-port rules split the port space in two halves that
	 * each map to the other half. */
	ck_assert(has(o, "meta l4proto { tcp, udp } th sport 1-32767 snat ip to "
			 "203.0.113.1:32768-65535 random\n"));
	ck_assert(has(o, "meta l4proto { tcp, udp } snat ip to 203.0.113.1:1024-32767 random\n"));
	ck_assert(has(o6, "th sport 1-32767 snat ip6 to [2001:db8::1]:32768-65535 random\n"));
	ck_assert(has(o6, "snat ip6 to [2001:db8::1]:1024-32767 random\n"));
	ck_assert(!has(o, "snat ip to 203.0.113.1\n") && !has(o6, "snat ip6 to 2001:db8::1\n"));
	ck_assert(!has(o, "1024-65535") && !has(o, "@used snat"));
	ck_assert(!has(o6, "1024-65535") && !has(o6, "@used snat"));
	free(o6);
	free(o);
	free(t);
}
END_TEST

START_TEST(test_port_preservation_on_keeps_first_port)
{
	struct topo_nat n = mk_nat(TOPO_ENDPOINT_INDEPENDENT, 0, false, true, TOPO_FAM_V4);
	char *t = render(&n), *o = chain_body(t, "out_new");

	ck_assert(has(o, "meta l4proto . th sport != @used snat ip to 203.0.113.1\n"));
	ck_assert(!has(o, "32768"));
	free(o);
	free(t);
}
END_TEST

START_TEST(test_lifetime)
{
	struct topo_nat n = mk_nat(0, 0, false, true, TOPO_FAM_V4);
	char *t = render(&n);

	ck_assert(has(t, "timeout 120s\n"));
	ck_assert(has(t, "policy = { unreplied : 120, replied : 120 }"));
	ck_assert(has(t, "ct state new ct timeout set \"udp_life\"\n"));
	free(t);
	n.udp_lifetime_s = 45;
	t = render(&n);
	ck_assert(has(t, "timeout 45s\n") && !has(t, "timeout 120s"));
	ck_assert(has(t, "policy = { unreplied : 45, replied : 45 }"));
	free(t);
	ck_assert_uint_eq(nat_udp_lifetime(&n), 45);
}
END_TEST

/* Every dynamic set of a NAT has the NAT's capacity; 0 means the default. */
START_TEST(test_max_mappings)
{
	struct topo_nat n = mk_nat(1, 1, true, true, TOPO_FAM_ALL);
	char *t = render(&n);
	size_t sets = count(t, "flags dynamic");

	ck_assert_uint_gt(sets, 4);
	ck_assert_uint_eq(count(t, "size 1024\n\t\tflags dynamic"), sets);
	ck_assert_uint_eq(nat_max_mappings(&n), NAT_DEFAULT_MAPPINGS);
	free(t);
	n.max_mappings = 16;
	t = render(&n);
	ck_assert_uint_eq(count(t, "size 16\n\t\tflags dynamic"), sets);
	ck_assert_uint_eq(count(t, "size "), sets);
	free(t);
	n.max_mappings = NAT_MAX_MAPPINGS;
	t = render(&n);
	ck_assert_uint_eq(count(t, "size 65535\n\t\tflags dynamic"), sets);
	free(t);
}
END_TEST

START_TEST(test_deterministic_and_indexed)
{
	struct topo_nat n = mk_nat(1, 1, true, false, TOPO_FAM_ALL);
	struct nat_ifaces ifs = { "lan0", "wan0", ext4, ext6 };
	struct icl_err err;
	char *a = render(&n), *b = render(&n), *c = NULL;

	ck_assert_str_eq(a, b);
	ck_assert_int_eq(nat_ruleset(&n, &ifs, 3, &c, &err), 0);
	ck_assert(has(c, "table ip icl_nat3 {\n") && has(c, "table ip6 icl_nat3 {\n"));
	ck_assert(!has(c, "icl_nat0"));
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Expect failure `code`, *text reset to NULL, and both words in the message. */
static void expect_fail(const struct topo_nat *n, const struct nat_ifaces *ifs, int code,
			const char *w1, const char *w2)
{
	struct icl_err err = { 0, "" };
	char *text = (char *)"sentinel";

	ck_assert_int_eq(nat_ruleset(n, ifs, 0, &text, &err), code);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(err.code, code);
	ck_assert_msg(has(err.msg, w1) && has(err.msg, w2), "message '%s' lacks '%s'/'%s'",
		      err.msg, w1, w2);
}

START_TEST(test_invalid_input)
{
	struct topo_nat n = mk_nat(0, 0, false, true, TOPO_FAM_V4);
	struct nat_ifaces ifs = { "lan0", "wan0", NULL, ext6 };
	struct icl_err err;

	expect_fail(&n, &ifs, ICL_EINPUT, "IPv4", "'wan0'");
	n.families = TOPO_FAM_ALL;
	ifs.ext4 = ext4;
	ifs.ext6 = NULL;
	expect_fail(&n, &ifs, ICL_EINPUT, "IPv6", "has none");
	ifs.ext6 = ext6;
	n.families = 0;
	expect_fail(&n, &ifs, ICL_EINPUT, "families", "lanlink");
	n.families = TOPO_FAM_V4;
	n.mapping = 7;
	expect_fail(&n, &ifs, ICL_EINPUT, "mapping", "7");
	n.mapping = 0;
	n.filtering = -1;
	expect_fail(&n, &ifs, ICL_EINPUT, "filtering", "behaviour");
	n.filtering = 0;
	n.udp_lifetime_s = NAT_MAX_UDP_LIFETIME_S + 1;
	expect_fail(&n, &ifs, ICL_EINPUT, "lifetime", "maximum");
	n.udp_lifetime_s = 0;
	n.max_mappings = NAT_MIN_MAPPINGS - 1;
	expect_fail(&n, &ifs, ICL_EINPUT, "15 mappings", "16..65535");
	n.max_mappings = NAT_MAX_MAPPINGS + 1;
	expect_fail(&n, &ifs, ICL_EINPUT, "65536 mappings", "16..65535");
	n.max_mappings = 0;
	ifs.outside_if = "lan0";
	expect_fail(&n, &ifs, ICL_EINPUT, "same interface", "lan0");
	ifs.outside_if = "wa\"n";
	expect_fail(&n, &ifs, ICL_EINPUT, "outside", "quote");
	ifs.outside_if = "";
	expect_fail(&n, &ifs, ICL_EINPUT, "outside", "empty");
	ifs.outside_if = "averyveryverylongname";
	expect_fail(&n, &ifs, ICL_EINPUT, "outside", "longer");
	ck_assert_int_eq(nat_ruleset(&n, &ifs, 0, NULL, &err), -EINVAL);
}
END_TEST

Suite *nat_suite(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("ruleset");

	tcase_add_loop_test(tc, test_all_combinations_render, 0, 108);
	tcase_add_test(tc, test_only_read_state_is_kept);
	tcase_add_test(tc, test_eif_inbound_keyed_by_port_only);
	tcase_add_test(tc, test_adf_inbound_keyed_by_port_and_remote_address);
	tcase_add_test(tc, test_apdf_lets_nothing_unsolicited_in);
	tcase_add_test(tc, test_mapping_state_per_behaviour);
	tcase_add_test(tc, test_hairpin_off_drops_inside_to_external);
	tcase_add_test(tc, test_hairpin_on_dnats_to_owner_and_snats_sender);
	tcase_add_loop_test(tc, test_port_preservation_off_never_keeps_port, 0, 3);
	tcase_add_test(tc, test_port_preservation_on_keeps_first_port);
	tcase_add_test(tc, test_lifetime);
	tcase_add_test(tc, test_max_mappings);
	tcase_add_test(tc, test_deterministic_and_indexed);
	tcase_add_test(tc, test_invalid_input);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- filter ---- */

static struct topo_filter mk_rule(enum topo_action a, unsigned fam, enum topo_proto p,
				  const char *in, const char *out)
{
	struct topo_filter r;

	memset(&r, 0, sizeof(r));
	r.action = a;
	r.families = fam;
	r.proto = p;
	strcpy(r.in, in);
	strcpy(r.out, out);
	return r;
}

static char *render_filter(const struct topo_filter *r, size_t n, const char *const *in,
			   const char *const *out)
{
	struct icl_err err = { 0, "" };
	char *text = NULL;

	ck_assert_msg(filter_ruleset(r, n, in, out, &text, &err) == 0, "filter_ruleset: %s",
		      err.msg);
	ck_assert_ptr_nonnull(text);
	return text;
}

START_TEST(test_one_way_ipv6_drop)
{
	struct topo_filter r = mk_rule(TOPO_DROP, TOPO_FAM_V6, TOPO_PROTO_ANY, "wanlink", "lanlink");
	const char *in[] = { "wan0" }, *out[] = { "lan0" };
	char *t = render_filter(&r, 1, in, out);
	char *ci = chain_body(t, "in_rules"), *cf = chain_body(t, "fwd_rules"),
	     *co = chain_body(t, "out_rules");
	const char *nd = "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
			 "nd-neighbor-advert, nd-redirect } accept\n";
	const char *rule = "meta nfproto ipv6 iifname \"wan0\" oifname \"lan0\" counter drop";

	ck_assert(has(cf, rule));
	ck_assert(!has(ci, "drop") && !has(co, "drop"));
	/* Neighbour discovery is accepted before any rule in every chain. */
	ck_assert(has(ci, nd) && has(co, nd));
	ck_assert(has(cf, nd) && strstr(cf, nd) < strstr(cf, rule));
	ck_assert(has(t, "table inet icl_filter {\n") && !has(t, "delete table"));
	free(ci);
	free(cf);
	free(co);
	free(t);
}
END_TEST

START_TEST(test_hooks_follow_interfaces)
{
	struct topo_filter r[3] = {
		mk_rule(TOPO_ACCEPT, TOPO_FAM_V4, TOPO_PROTO_UDP, "lanlink", ""),
		mk_rule(TOPO_DROP, TOPO_FAM_ALL, TOPO_PROTO_TCP, "", "wanlink"),
		mk_rule(TOPO_DROP, TOPO_FAM_ALL, TOPO_PROTO_ICMP, "", ""),
	};
	const char *in[] = { "lan0", NULL, "" }, *out[] = { NULL, "wan0", NULL };
	char *t = render_filter(r, 3, in, out);
	char *ci = chain_body(t, "in_rules"), *cf = chain_body(t, "fwd_rules"),
	     *co = chain_body(t, "out_rules");

	ck_assert(has(ci, "rule 1\"") && !has(ci, "rule 2\"") && has(ci, "rule 3\""));
	ck_assert(has(cf, "rule 1\"") && has(cf, "rule 2\"") && has(cf, "rule 3\""));
	ck_assert(!has(co, "rule 1\"") && has(co, "rule 2\"") && has(co, "rule 3\""));
	/* First match wins: the plan's order is the chain's order. */
	ck_assert(strstr(cf, "rule 1\"") < strstr(cf, "rule 2\""));
	ck_assert(strstr(cf, "rule 2\"") < strstr(cf, "rule 3\""));
	ck_assert(has(ci, "meta nfproto ipv4 iifname \"lan0\" meta l4proto udp counter accept"));
	ck_assert(has(co, "oifname \"wan0\" meta l4proto tcp counter drop"));
	ck_assert(has(co, "meta l4proto { icmp, ipv6-icmp } counter drop"));
	free(ci);
	free(cf);
	free(co);
	free(t);
}
END_TEST

START_TEST(test_dports)
{
	struct topo_filter r[2] = {
		mk_rule(TOPO_DROP, TOPO_FAM_ALL, TOPO_PROTO_ANY, "", ""),
		mk_rule(TOPO_ACCEPT, TOPO_FAM_V6, TOPO_PROTO_UDP, "", ""),
	};
	char *t;

	r[0].dports[0] = 53;
	r[0].dports[1] = 3478;
	r[0].n_dports = 2;
	r[1].dports[0] = 9;
	r[1].n_dports = 1;
	r[1].src.line = 12;
	t = render_filter(r, 2, NULL, NULL);
	ck_assert(has(t, "meta l4proto { tcp, udp } th dport { 53, 3478 } counter drop"));
	ck_assert(has(t, "meta nfproto ipv6 meta l4proto udp th dport { 9 } counter accept "
			 "comment \"rule 2 line 12\""));
	free(t);
}
END_TEST

static void expect_filter_fail(const struct topo_filter *r, const char *const *in,
			       const char *const *out, const char *w1, const char *w2)
{
	struct icl_err err = { 0, "" };
	char *text = (char *)"sentinel";

	ck_assert_int_eq(filter_ruleset(r, 1, in, out, &text, &err), ICL_EINPUT);
	ck_assert_ptr_null(text);
	ck_assert_msg(has(err.msg, w1) && has(err.msg, w2), "message '%s' lacks '%s'/'%s'",
		      err.msg, w1, w2);
}

START_TEST(test_filter_invalid)
{
	struct topo_filter r = mk_rule(TOPO_DROP, TOPO_FAM_V4, TOPO_PROTO_ANY, "wanlink", "");
	const char *bad[] = { "wan\"0" }, *ok[] = { "wan0" };
	struct icl_err err;
	char *t;

	r.src.line = 7;
	r.src.col = 5;
	expect_filter_fail(&r, NULL, NULL, "rule 1 (line 7:5)", "'wanlink'");
	expect_filter_fail(&r, bad, NULL, "in interface", "quote");
	expect_filter_fail(&r, ok, ok, "out interface", "without 'out'");
	r.proto = TOPO_PROTO_ICMP;
	r.dports[0] = 1;
	r.n_dports = 1;
	expect_filter_fail(&r, ok, NULL, "ICMP", "ports");
	r.proto = TOPO_PROTO_UDP;
	r.dports[0] = 0;
	expect_filter_fail(&r, ok, NULL, "port 0", "line 7");
	r.dports[0] = 5;
	r.families = 0;
	expect_filter_fail(&r, ok, NULL, "families", "rule 1");
	ck_assert_int_eq(filter_ruleset(NULL, 1, NULL, NULL, &t, &err), -EINVAL);
	t = render_filter(NULL, 0, NULL, NULL);
	ck_assert(has(t, "chain fwd_rules {") && !has(t, "counter"));
	free(t);
}
END_TEST

Suite *filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("ruleset");

	tcase_add_test(tc, test_one_way_ipv6_drop);
	tcase_add_test(tc, test_hooks_follow_interfaces);
	tcase_add_test(tc, test_dports);
	tcase_add_test(tc, test_filter_invalid);
	suite_add_tcase(s, tc);
	return s;
}
