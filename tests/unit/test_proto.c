/* Agent protocol: command decoding and event lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/probe.h"
#include "../../agents/proto.h"
#include "../../agents/quirk.h"
#include "../../harness/agent_proc.h"
#include "suites.h"

#define FP "sha-256 4F:1A:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"

static struct proto_cmd cmd;
static struct icl_err err;

static int parse(const char *line)
{
	icl_err_clear(&err);
	return proto_parse_cmd(line, &cmd, &err);
}

/* The command is refused and the message contains `what`. */
static void refused(const char *line, const char *what)
{
	ck_assert_int_eq(parse(line), ICL_EINPUT);
	ck_assert_msg(strstr(err.msg, what), "\"%s\" not in \"%s\"", what, err.msg);
}

START_TEST(configure_full)
{
	ck_assert_int_eq(parse("{\"cmd\":\"configure\",\"id\":7,\"role\":\"controlled\","
			       "\"nomination\":\"aggressive\",\"dtls\":{\"setup\":\"passive\"},"
			       "\"families\":[\"ipv6\"],\"ufrag\":\"abcd\",\"pwd\":\"p\","
			       "\"timers\":{\"ta_ms\":20,\"rto_ms\":600,\"nominate_after_ms\":300}}"), 0);
	ck_assert_int_eq(cmd.kind, PROTO_CONFIGURE);
	ck_assert_str_eq(cmd.id, "7");
	ck_assert(cmd.u.config.role_set);
	ck_assert_int_eq(cmd.u.config.role, ICE_CONTROLLED);
	ck_assert_int_eq(cmd.u.config.nomination, ICE_NOMINATE_AGGRESSIVE);
	ck_assert_int_eq(cmd.u.config.setup, PROTO_SETUP_PASSIVE);
	ck_assert(!cmd.u.config.ipv4 && cmd.u.config.ipv6);
	ck_assert_str_eq(cmd.u.config.ufrag, "abcd");
	ck_assert_uint_eq(cmd.u.config.ta_ms, 20);
	ck_assert_uint_eq(cmd.u.config.rto_ms, 600);
	ck_assert_uint_eq(cmd.u.config.nominate_after_ms, 300);
}
END_TEST

START_TEST(configure_defaults)
{
	ck_assert_int_eq(parse("{\"cmd\":\"configure\"}"), 0);
	ck_assert(!cmd.u.config.role_set && !cmd.u.config.lite_set);
	ck_assert(cmd.u.config.ipv4 && cmd.u.config.ipv6);
	ck_assert_int_eq(cmd.u.config.setup, PROTO_SETUP_ACTPASS);
	ck_assert_str_eq(cmd.id, "");
}
END_TEST

START_TEST(configure_errors)
{
	refused("{\"cmd\":\"configure\",\"rol\":\"controlled\"}", "rol: unknown field");
	refused("{\"cmd\":\"configure\",\"role\":\"boss\"}", "role: \"boss\" is not one of");
	refused("{\"cmd\":\"configure\",\"lite\":\"yes\"}", "lite: expected true or false");
	refused("{\"cmd\":\"configure\",\"dtls\":{\"setup\":\"client\"}}", "dtls.setup");
	refused("{\"cmd\":\"configure\",\"dtls\":{\"role\":\"active\"}}", "dtls.role: unknown field");
	refused("{\"cmd\":\"configure\",\"timers\":{\"ta_ms\":1}}", "timers.ta_ms: below");
	refused("{\"cmd\":\"configure\",\"timers\":{\"rto_ms\":-5}}", "timers.rto_ms");
	refused("{\"cmd\":\"configure\",\"families\":[\"ipv5\"]}", "families[0]");
	refused("{\"cmd\":\"configure\",\"families\":[]}", "families: expected a non-empty");
	/* Every error names the command too. */
	ck_assert(strncmp(err.msg, "configure: ", 11) == 0);
}
END_TEST

START_TEST(remote_description)
{
	ck_assert_int_eq(parse("{\"cmd\":\"set-remote-description\",\"ufrag\":\"uf\",\"pwd\":\"pw\","
			       "\"fingerprint\":\"" FP "\",\"setup\":\"actpass\",\"lite\":true,"
			       "\"candidates\":[\"candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\","
			       "\"candidate:2 1 UDP 2130706175 2001:db8::1 5001 typ host\"],"
			       "\"end_of_candidates\":true}"), 0);
	ck_assert_int_eq(cmd.kind, PROTO_SET_REMOTE);
	ck_assert_str_eq(cmd.u.remote.ufrag, "uf");
	ck_assert_str_eq(cmd.u.remote.fingerprint, &FP[8]);
	ck_assert(cmd.u.remote.lite && cmd.u.remote.end_of_candidates);
	ck_assert_uint_eq(cmd.u.remote.n_cands, 2);
	ck_assert_uint_eq(cmd.u.remote.cands[0].priority, 2130706431u);
	ck_assert_int_eq(cmd.u.remote.cands[1].addr.sa.sa_family, AF_INET6);
	ck_assert_uint_eq(ntohs(cmd.u.remote.cands[1].addr.in6.sin6_port), 5001);
}
END_TEST

START_TEST(remote_errors)
{
	refused("{\"cmd\":\"set-remote-description\",\"ufrag\":\"u\",\"fingerprint\":\"" FP
		"\",\"setup\":\"active\"}", "pwd: missing");
	refused("{\"cmd\":\"set-remote-description\",\"ufrag\":\"u\",\"pwd\":\"p\","
		"\"fingerprint\":\"sha-1 AA:BB\",\"setup\":\"active\"}", "fingerprint: expected \"sha-256");
	refused("{\"cmd\":\"set-remote-description\",\"ufrag\":\"u\",\"pwd\":\"p\","
		"\"fingerprint\":\"" FP "\"}", "setup: missing");
	refused("{\"cmd\":\"set-remote-description\",\"ufrag\":\"u\",\"pwd\":\"p\","
		"\"fingerprint\":\"" FP "\",\"setup\":\"active\","
		"\"candidates\":[\"candidate:1 1 udp 1 192.0.2.1 5000 typ host\","
		"\"candidate:1 1 udp 1 192.0.2.1 70000 typ host\"]}", "candidates[1]: ");
	refused("{\"cmd\":\"add-remote-candidate\",\"candidate\":\"candidate:1 1 tcp 1 192.0.2.1 9 typ host\"}",
		"candidate: ");
}
END_TEST

START_TEST(framing_errors)
{
	refused("{\"cmd\":\"configure\"", "not JSON");
	refused("[1,2]", "expected a JSON object");
	refused("{\"cmd\":\"dance\",\"id\":\"x1\"}", "unknown command \"dance\"");
	ck_assert_str_eq(cmd.id, "x1");
	refused("{\"id\":3}", "cmd: missing");
	refused("{\"cmd\":\"gather\",\"cmd\":\"close\"}", "not JSON");   /* duplicate key */
	refused("{\"cmd\":\"close\",\"now\":true}", "close: now: unknown field");
	ck_assert_int_eq(parse("{\"cmd\":\"end-of-candidates\"}"), 0);
	ck_assert_int_eq(cmd.kind, PROTO_END_OF_CANDIDATES);
}
END_TEST

/* Found by fuzzing (tests/fuzz/fuzz_proto.c): a reason quotes the value it
 * refuses, and a JSON string may hold a newline; the reason must stay one
 * line (err.h), control characters shown as '?'. */
START_TEST(reasons_one_line)
{
	refused("{\"cmd\":\"add-remote-c\\ndidate\"}", "unknown command \"add-remote-c?didate\"");
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	refused("{\"cmd\":\"configure\",\"role\":\"a\\r\\nb\\u007f\"}",
		"role: \"a??b?\" is not one of controlled, controlling");
	refused("{\"cmd\":\"configure\",\"stun_servers\":[\"1.2.3.4\\n:5\"]}",
		"stun_servers[0]: \"1.2.3.4?:5\"");
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

START_TEST(event_lines)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct proto_out po = { .out = f, .t0_ns = 0 };
	json_error_t jerr;
	json_t *o;

	proto_emit(&po, "ice-state", json_pack("{s:s}", "state", "checking"));
	proto_emit_error(&po, "c9", true, "it broke");
	fclose(f);
	ck_assert_ptr_nonnull(strchr(buf, '\n'));
	/* "event" comes first on the line, for people reading the stream. */
	ck_assert(strncmp(buf, "{\"event\":\"ice-state\",\"ts\":", 26) == 0);
	o = json_loadb(buf, (size_t)(strchr(buf, '\n') - buf), 0, &jerr);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "checking");
	ck_assert(json_real_value(json_object_get(o, "ts")) > 0);
	json_decref(o);
	o = json_loads(strchr(buf, '\n') + 1, JSON_DISABLE_EOF_CHECK, &jerr);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), "error");
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), "c9");
	ck_assert(json_is_true(json_object_get(o, "fatal")));
	json_decref(o);
	free(buf);
}
END_TEST

/* The harness's side: aproc_parse_event takes an object with an "event"
 * string and refuses anything else with a reason naming the line. */
START_TEST(harness_event_lines)
{
	char why[256] = "";
	json_t *o = aproc_parse_event("{\"event\":\"closed\",\"ts\":1}", 1, why, sizeof(why));

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), "closed");
	json_decref(o);
	ck_assert_ptr_null(aproc_parse_event("{\"ts\":1}", 2, why, sizeof(why)));
	ck_assert_str_eq(why, "line 2 is not an event object");
	ck_assert_ptr_null(aproc_parse_event("{\"event\":7}", 3, why, sizeof(why)));
	ck_assert_str_eq(why, "line 3 is not an event object");
	ck_assert_ptr_null(aproc_parse_event("[\"event\"]", 4, why, sizeof(why)));
	ck_assert_str_eq(why, "line 4 is not an event object");
	ck_assert_ptr_null(aproc_parse_event("{\"event\":", 5, why, sizeof(why)));
	ck_assert_msg(strncmp(why, "line 5 is not an event object: ", 31) == 0 && why[31],
		      "%s", why);
}
END_TEST

/* What the reader handed on, for harness_overlong_line. */
struct seen {
	unsigned events, bad;
	char last_event[32], first_bad[128];
};

static void seen_event(struct aproc *ap, json_t *ev, const char *line)
{
	struct seen *s = ap->user;

	(void)line;
	s->events++;
	snprintf(s->last_event, sizeof(s->last_event), "%s",
		 json_string_value(json_object_get(ev, "event")));
}

static void seen_bad(struct aproc *ap, const char *why)
{
	struct seen *s = ap->user;

	if (s->bad++ == 0)
		snprintf(s->first_bad, sizeof(s->first_bad), "%s", why);
}

/* Write `text` into the reader as the pipe would: in reads no larger than
 * the room the reader offers. */
static void feed(struct aproc *ap, const char *text, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(ap->buf) - 1 - ap->len, k = n < room ? n : room;

		memcpy(ap->buf + ap->len, text, k);
		aproc__split(ap, k);
		text += k;
		n -= k;
	}
}

/* An event line longer than the reader's buffer is refused whole, once:
 * its tail, however valid it looks, is not taken as an event, and the
 * next line is read as usual. */
START_TEST(harness_overlong_line)
{
	static struct aproc ap;
	const char *first = "{\"event\":\"first\"}\n", *tail = "{\"event\":\"tail\"}\n",
		   *next = "{\"event\":\"next\"}\n";
	size_t fill = sizeof(ap.buf) - 1, n = fill + strlen(tail) + _i * 70000;
	struct seen s = { 0 };
	static char big[APROC_LINE_MAX + 70100];

	memset(&ap, 0, sizeof(ap));
	ap.user = &s;
	ap.on_event = seen_event;
	ap.on_bad = seen_bad;
	/* _i = 0: the tail starts right where the buffer is full; _i = 1:
	 * the line fills the buffer more than twice. */
	memset(big, 'x', n - strlen(tail));
	memcpy(big + n - strlen(tail), tail, strlen(tail));
	feed(&ap, first, strlen(first));
	feed(&ap, big, n);
	feed(&ap, next, strlen(next));
	ck_assert_uint_eq(s.bad, 1);
	ck_assert_str_eq(s.first_bad, "an event line longer than 65535 bytes");
	ck_assert_uint_eq(s.events, 2);
	ck_assert_str_eq(s.last_event, "next");
}
END_TEST

/* Lines of a quirk table: "| `NAME` | icelab-..." */
static size_t quirk_rows(const char *doc)
{
	size_t k = 0;

	for (const char *p = strstr(doc, "\n| `"); p; p = strstr(p + 1, "\n| `")) {
		const char *end = strchr(p + 1, '\n'), *agent = strstr(p, "` | icelab-");

		k += agent && (!end || agent < end);
	}
	return k;
}

/* docs/agent-protocol.md's quirk table is agents/quirk.c's: the row
 * "| `NAME` | AGENT | REPORT | BEHAVIOUR |" of every quirk, and no other
 * (run from the repository root, like every unit test). */
START_TEST(quirks_documented)
{
	FILE *f = fopen("docs/agent-protocol.md", "r");
	static char doc[131072];
	char row[2048];
	size_t len, n;
	const struct quirk_info *q = quirk_table(&n);

	ck_assert_msg(f != NULL, "docs/agent-protocol.md: cannot open it");
	len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	ck_assert_uint_lt(len, sizeof(doc) - 1);
	doc[len] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(row, sizeof(row), "\n| `%s` | %s | %s | %s |\n", q[i].name,
			 q[i].lite ? "icelab-lite" : "icelab-full", q[i].reproduces, q[i].behaviour);
		ck_assert_msg(strstr(doc, row), "docs/agent-protocol.md lacks the row%s", row);
	}
	ck_assert_uint_eq(quirk_rows(doc), n);
}
END_TEST

START_TEST(configure_servers)
{
	char a[CAND_ADDR_STRLEN];

	ck_assert_int_eq(parse("{\"cmd\":\"configure\",\"stun_servers\":[\"192.0.2.5:3478\","
			       "\"[2001:db8::5]:3479\"],\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
			       "\"username\":\"alice\",\"password\":\"secret\"}]}"), 0);
	ck_assert_uint_eq(cmd.u.config.n_stun_servers, 2);
	stun_addr_str(&cmd.u.config.stun_servers[0], a);
	ck_assert_str_eq(a, "192.0.2.5:3478");
	stun_addr_str(&cmd.u.config.stun_servers[1], a);
	ck_assert_str_eq(a, "[2001:db8::5]:3479");
	ck_assert_uint_eq(cmd.u.config.n_turn_servers, 1);
	stun_addr_str(&cmd.u.config.turn_servers[0].addr, a);
	ck_assert_str_eq(a, "203.0.113.5:3478");
	ck_assert_str_eq(cmd.u.config.turn_servers[0].username, "alice");
	ck_assert_str_eq(cmd.u.config.turn_servers[0].password, "secret");

	refused("{\"cmd\":\"configure\",\"stun_servers\":\"192.0.2.5:3478\"}",
		"stun_servers: expected an array");
	refused("{\"cmd\":\"configure\",\"stun_servers\":[\"192.0.2.5\"]}",
		"stun_servers[0]: \"192.0.2.5\": expected IP:PORT");
	refused("{\"cmd\":\"configure\",\"stun_servers\":[\"192.0.2.5:3478\",\"2001:db8::5:3478\"]}",
		"stun_servers[1]: \"2001:db8::5:3478\": expected IP:PORT (IPv6 as [IP]:PORT)");
	refused("{\"cmd\":\"configure\",\"stun_servers\":[\"192.0.2.5:0\"]}",
		"stun_servers[0]: \"192.0.2.5:0\": port must be 1..65535");
	refused("{\"cmd\":\"configure\",\"stun_servers\":[\"[192.0.2.5]:3478\"]}",
		"is not an IPv6 address");
	refused("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
		"\"username\":\"alice\"}]}", "turn_servers[0].password: missing");
	refused("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"host:3478\","
		"\"username\":\"a\",\"password\":\"b\"}]}", "turn_servers[0].url: \"host:3478\"");
	refused("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
		"\"username\":\"a\",\"password\":\"b\",\"realm\":\"r\"}]}",
		"turn_servers[0].realm: unknown field");
	refused("{\"cmd\":\"configure\",\"turn_servers\":[\"203.0.113.5:3478\"]}",
		"turn_servers[0]: expected an object");
}
END_TEST

/* turn_servers[i].family: the relay family to ask for, and no other. */
START_TEST(configure_turn_family)
{
	ck_assert_int_eq(parse("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
			       "\"username\":\"a\",\"password\":\"b\"},{\"url\":\"203.0.113.5:3478\","
			       "\"username\":\"a\",\"password\":\"b\",\"family\":\"ipv6\"},"
			       "{\"url\":\"[2001:db8::5]:3478\",\"username\":\"a\",\"password\":\"b\","
			       "\"family\":\"ipv4\"}]}"), 0);
	ck_assert_uint_eq(cmd.u.config.n_turn_servers, 3);
	ck_assert_int_eq(cmd.u.config.turn_servers[0].family, 0);
	ck_assert_int_eq(cmd.u.config.turn_servers[1].family, AF_INET6);
	ck_assert_int_eq(cmd.u.config.turn_servers[2].family, AF_INET);
	refused("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
		"\"username\":\"a\",\"password\":\"b\",\"family\":\"ipv5\"}]}",
		"turn_servers[0].family: \"ipv5\" is not one of");
	refused("{\"cmd\":\"configure\",\"turn_servers\":[{\"url\":\"203.0.113.5:3478\","
		"\"username\":\"a\",\"password\":\"b\",\"family\":6}]}",
		"turn_servers[0].family: expected a string");
}
END_TEST

START_TEST(configure_nat64)
{
	char a[CAND_ADDR_STRLEN], pf[PREF64_STRLEN];

	ck_assert_int_eq(parse("{\"cmd\":\"configure\"}"), 0);
	ck_assert(!cmd.u.config.nat64.set);
	ck_assert_int_eq(parse("{\"cmd\":\"configure\",\"nat64\":{\"resolver\":"
			       "\"[2001:db8:c::53]:53\"}}"), 0);
	ck_assert(cmd.u.config.nat64.set && cmd.u.config.nat64.has_resolver);
	stun_addr_str(&cmd.u.config.nat64.resolver, a);
	ck_assert_str_eq(a, "[2001:db8:c::53]:53");
	ck_assert_int_eq(parse("{\"cmd\":\"configure\",\"nat64\":{\"prefix\":"
			       "\"2001:db8:122::/48\"}}"), 0);
	ck_assert(cmd.u.config.nat64.set && !cmd.u.config.nat64.has_resolver);
	pref64_format(&cmd.u.config.nat64.prefix, pf);
	ck_assert_str_eq(pf, "2001:db8:122::/48");

	refused("{\"cmd\":\"configure\",\"nat64\":\"2001:db8:64::/96\"}",
		"configure: nat64: expected an object");
	refused("{\"cmd\":\"configure\",\"nat64\":{}}",
		"nat64: give exactly one of resolver and prefix");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"prefix\":\"2001:db8:64::/96\","
		"\"resolver\":\"[2001:db8::53]:53\"}}", "nat64: give exactly one");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"dns\":\"x\"}}",
		"nat64.dns: unknown field");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"resolver\":53}}",
		"nat64.resolver: expected a string");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"resolver\":\"2001:db8::53\"}}",
		"nat64.resolver: \"2001:db8::53\": expected IP:PORT");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"prefix\":\"2001:db8:64::/80\"}}",
		"nat64.prefix: \"2001:db8:64::/80\": the length must be 32, 40, 48, 56, 64 or 96");
	refused("{\"cmd\":\"configure\",\"nat64\":{\"prefix\":\"2001:db8:64::1/96\"}}",
		"nat64.prefix: \"2001:db8:64::1/96\": bits after /96 must be zero");
}
END_TEST

START_TEST(dtls_roles)
{
	bool active = false;

	ck_assert_int_eq(proto_dtls_active(PROTO_SETUP_ACTPASS, PROTO_SETUP_PASSIVE, &active,
					   &err), 0);
	ck_assert(active);
	ck_assert_int_eq(proto_dtls_active(PROTO_SETUP_ACTPASS, PROTO_SETUP_ACTIVE, &active,
					   &err), 0);
	ck_assert(!active);
	ck_assert_int_eq(proto_dtls_active(PROTO_SETUP_ACTIVE, PROTO_SETUP_ACTPASS, &active,
					   &err), 0);
	ck_assert(active);
	ck_assert_int_eq(proto_dtls_active(PROTO_SETUP_ACTPASS, PROTO_SETUP_ACTPASS, &active,
					   &err), ICL_EINPUT);
	ck_assert_int_eq(proto_dtls_active(PROTO_SETUP_PASSIVE, PROTO_SETUP_PASSIVE, &active,
					   &err), ICL_EINPUT);
	ck_assert_msg(strstr(err.msg, "both sides passive"), "%s", err.msg);
}
END_TEST

#define MS 1000000ull

START_TEST(probe_schedule)
{
	struct probe p;
	char text[PROBE_TEXT_MAX];
	uint64_t t = 5 * MS, gap = 250 * MS;

	probe_init(&p);
	ck_assert(!probe_started(&p));
	ck_assert_uint_eq(probe_next(&p, t, text, sizeof(text)), 0);
	ck_assert(probe_deadline(&p) == UINT64_MAX);
	probe_start(&p, "uf1", t);
	ck_assert_uint_eq(probe_next(&p, t, text, sizeof(text)), strlen("icelab-probe 1 uf1"));
	ck_assert_str_eq(text, "icelab-probe 1 uf1");
	/* Backoff 250 ms doubling, PROBE_TRIES attempts, then nothing. */
	for (unsigned k = 2; k <= PROBE_TRIES; k++, gap *= 2) {
		ck_assert(probe_deadline(&p) == t + gap);
		ck_assert_uint_eq(probe_next(&p, t + gap - 1, text, sizeof(text)), 0);
		t += gap;
		ck_assert_uint_gt(probe_next(&p, t, text, sizeof(text)), 0);
		ck_assert_uint_eq(strtoul(text + strlen("icelab-probe "), NULL, 10), k);
	}
	ck_assert(probe_deadline(&p) == UINT64_MAX);
	ck_assert_uint_eq(probe_next(&p, t + 3600000 * MS, text, sizeof(text)), 0);
	/* A second start (DTLS connects once) changes nothing. */
	probe_start(&p, "other", t);
	ck_assert_str_eq(p.ufrag, "uf1");
}
END_TEST

static enum probe_rx rx(struct probe *p, const char *s, uint64_t now, unsigned *k, double *rtt)
{
	return probe_recv(p, (const uint8_t *)s, strlen(s), now, k, rtt);
}

START_TEST(probe_echoes)
{
	struct probe p;
	char text[PROBE_TEXT_MAX];
	uint8_t echo[64];
	unsigned k = 0;
	double rtt = 0;

	probe_init(&p);
	probe_start(&p, "uf1", 0);
	probe_next(&p, 0, text, sizeof(text));
	probe_next(&p, 250 * MS, text, sizeof(text));
	/* The peer's probe is answered, byte for byte behind "echo ". */
	ck_assert_int_eq(rx(&p, "icelab-probe 3 peer", 0, &k, &rtt), PROBE_RX_REQUEST);
	ck_assert_uint_eq(probe_echo((const uint8_t *)"icelab-probe 3 peer", 19, echo, sizeof(echo)),
			  24);
	ck_assert(memcmp(echo, "echo icelab-probe 3 peer", 24) == 0);
	ck_assert_uint_eq(probe_echo((const uint8_t *)"icelab-probe 3 peer", 19, echo, 23), 0);
	/* Echoes of attempts we never sent, or of someone else's, are not ours. */
	ck_assert_int_eq(rx(&p, "echo icelab-probe 3 uf1", MS, &k, &rtt), PROBE_RX_IGNORED);
	ck_assert_int_eq(rx(&p, "echo icelab-probe 1 uf2", MS, &k, &rtt), PROBE_RX_IGNORED);
	ck_assert_int_eq(rx(&p, "echo icelab-probe 0 uf1", MS, &k, &rtt), PROBE_RX_IGNORED);
	ck_assert_int_eq(rx(&p, "icelab-data 4", MS, &k, &rtt), PROBE_RX_OTHER);
	/* Attempt 2's echo: its round trip is from attempt 2, once. */
	ck_assert_int_eq(rx(&p, "echo icelab-probe 2 uf1", 262 * MS, &k, &rtt), PROBE_RX_ECHOED);
	ck_assert_uint_eq(k, 2);
	ck_assert_double_eq_tol(rtt, 12.0, 1e-9);
	ck_assert_int_eq(rx(&p, "echo icelab-probe 1 uf1", 300 * MS, &k, &rtt), PROBE_RX_IGNORED);
	ck_assert(probe_deadline(&p) == UINT64_MAX);
	ck_assert_uint_eq(probe_next(&p, 10000 * MS, text, sizeof(text)), 0);
}
END_TEST

Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("commands");

	tcase_add_test(tc, configure_full);
	tcase_add_test(tc, configure_defaults);
	tcase_add_test(tc, configure_errors);
	tcase_add_test(tc, configure_servers);
	tcase_add_test(tc, configure_turn_family);
	tcase_add_test(tc, configure_nat64);
	tcase_add_test(tc, remote_description);
	tcase_add_test(tc, remote_errors);
	tcase_add_test(tc, framing_errors);
	tcase_add_test(tc, reasons_one_line);
	tcase_add_test(tc, event_lines);
	tcase_add_test(tc, harness_event_lines);
	tcase_add_loop_test(tc, harness_overlong_line, 0, 2);
	tcase_add_test(tc, quirks_documented);
	tcase_add_test(tc, dtls_roles);
	tcase_add_test(tc, probe_schedule);
	tcase_add_test(tc, probe_echoes);
	suite_add_tcase(s, tc);
	return s;
}
