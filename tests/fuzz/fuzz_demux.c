/* fuzz_demux.c - libFuzzer target for a reference agent's datagram entry
 * point: agents/demux.c's demux_datagram, which agents/agent_net.c's
 * agent__deliver calls for every datagram (ICE first, ice_agent_recv; if
 * that says "not STUN" and it is DTLS from a source ICE knows,
 * ice_agent_data_received then dtls_conn_recv; else dropped).
 *
 * agent__deliver itself needs a whole struct agent on a libuv loop with
 * real sockets and the real clock, so this target calls demux_datagram
 * on a sans-I/O ICE agent (agents/ice.h) and DTLS connection
 * (agents/dtls.h) set up as a session sets them up (agents/agent.c): host
 * candidates on two sockets (IPv4, IPv6), known local and remote
 * credentials, two remote host candidates, DTLS started (passive at once,
 * active once ICE nominates), with a fake clock.  No socket is opened.
 *
 * Input: byte 0 picks the agent (bit 0 full, else lite; bit 1 aggressive
 * nomination; bit 2 DTLS active; bit 3 end-of-candidates), byte 1 its
 * quirks (bit i: entry i of quirk_table, when this kind knows it).  Then
 * records: a header byte (bits 0-1 the source address, bit 2 "recipe",
 * bits 3-7 k: the clock advances k*k ms first, ticking the agent at each
 * deadline on the way), a 2-byte big-endian length (cut to what is left),
 * the datagram.  A recipe is not sent as is: it describes a Binding
 * message that is built, signed with the right key and sent (a fuzzer
 * cannot compute HMACs; see build_recipe), so that authenticated checks,
 * nominations, role conflicts and answers to the agent's own checks are
 * reached.
 *
 * Checked besides "no crash, no leak": the agent's deadline moves past
 * `now` after a tick (else the agent's timer would spin).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/demux.h"
#include "../../agents/dtls.h"
#include "../../agents/ice.h"
#include "../../agents/quirk.h"
#include "../../agents/stun.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

#define LOCAL_UFRAG  "fzUfrag1"
#define LOCAL_PWD    "fuzzLocalPassword0123456789"
#define REMOTE_UFRAG "peer"
#define REMOTE_PWD   "peerPassword0123456789ab"
#define MAX_TICKS    1000   /* per record: more means the deadline is stuck */

/* One certificate per process: creating a key pair per input would cost
 * more than everything else (LLVMFuzzerInitialize). */
static struct dtls_cert *fuzz_cert;

static const char *const source_str[4][2] = {
	{ "198.51.100.2", "5001" },    /* remote host candidate */
	{ "198.51.100.3", "5002" },    /* unknown: peer-reflexive */
	{ "2001:db8:c::1", "5000" },   /* remote host candidate, IPv6 */
	{ "203.0.113.99", "4000" },    /* unknown, another host */
};

struct session {
	struct ice_agent *ice;
	struct dtls_conn *dtls;
	bool dtls_active, dtls_started;
	uint64_t now;
	uint8_t last_txid[STUN_TXID_SIZE];   /* of the agent's last request */
	union stun_addr src[4], local[2];
};

static union stun_addr addr(const char *ip, const char *port)
{
	struct icl_err err;
	union stun_addr a;

	if (stun_addr_parse(ip, (unsigned)atoi(port), &a, &err) < 0)
		FAIL("%s: %s\n", ip, err.msg);
	return a;
}

/* ---- callbacks: what the agent sends goes nowhere, as on a dead path ---- */

static void ice_send(void *user, int sock, const union stun_addr *to, const uint8_t *buf,
		     size_t len)
{
	struct session *s = user;

	(void)sock;
	(void)to;
	if (len >= STUN_HEADER_SIZE && stun_is_stun(buf, len) && (buf[0] & 0x01) == 0 &&
	    (buf[1] & 0x10) == 0)
		memcpy(s->last_txid, buf + 8, STUN_TXID_SIZE);
}

static void ice_state(void *user, enum ice_state st)
{
	(void)user;
	(void)st;
}

static void ice_selected(void *user, const struct ice_pair_info *p)
{
	(void)user;
	(void)p;
}

static void dtls_send(void *user, const uint8_t *buf, size_t len)
{
	struct session *s = user;

	(void)buf;
	(void)len;
	/* As agent_net.c: records leave on the selected pair and count as data. */
	if (ice_agent_selected(s->ice))
		ice_agent_data_sent(s->ice, s->now);
}

static void dtls_state(void *user, enum dtls_state st, const char *reason)
{
	(void)user;
	if (st == DTLS_FAILED && reason == NULL)
		FAIL("DTLS failed without a reason\n");
}

static void dtls_data(void *user, const uint8_t *buf, size_t len)
{
	(void)user;
	(void)buf;
	(void)len;
}

/* ---- the session ---------------------------------------------------------- */

static unsigned pick_quirks(uint8_t bits, bool lite)
{
	size_t n;
	const struct quirk_info *q = quirk_table(&n);
	unsigned mask = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		if ((bits >> i & 1) && (lite ? q[i].lite : q[i].full))
			mask |= q[i].bit;
	return mask;
}

static void add_remote(struct session *s, int src)
{
	struct icl_err err;
	struct cand c;

	memset(&c, 0, sizeof(c));
	snprintf(c.foundation, sizeof(c.foundation), "r%d", src);
	c.type = CAND_HOST;
	c.component = 1;
	c.priority = cand_priority(CAND_HOST, (uint16_t)(65535 - src), 1);
	c.addr = s->src[src];
	if (ice_agent_add_remote(s->ice, &c, s->now, &err) < 0)
		FAIL("add_remote: %s\n", err.msg);
}

static void session_open(struct session *s, uint8_t mode, uint8_t quirks)
{
	struct ice_callbacks icb = { s, ice_send, ice_state, ice_selected, NULL };
	struct dtls_callbacks dcb = { s, dtls_send, dtls_state, dtls_data };
	struct ice_config cfg;
	struct icl_err err;
	uint16_t prefs[2];

	memset(s, 0, sizeof(*s));
	s->now = 1000;
	for (int i = 0; i < 4; i++)
		s->src[i] = addr(source_str[i][0], source_str[i][1]);
	s->local[0] = addr("203.0.113.10", "3478");
	s->local[1] = addr("2001:db8:5::1", "3478");
	memset(&cfg, 0, sizeof(cfg));
	cfg.lite = !(mode & 1);
	cfg.role = cfg.lite ? ICE_CONTROLLED : ICE_CONTROLLING;
	cfg.nomination = mode & 2 ? ICE_NOMINATE_AGGRESSIVE : ICE_NOMINATE_REGULAR;
	/* Short timers, as the scenarios use, so that a few records reach
	 * retransmission, nomination and consent expiry. */
	cfg.ta_ms = 20;
	cfg.rto_ms = 100;
	cfg.nominate_after_ms = 200;
	cfg.consent_interval_ms = 500;
	cfg.consent_timeout_ms = 2000;
	cfg.quirks = pick_quirks(quirks, cfg.lite);
	snprintf(cfg.ufrag, sizeof(cfg.ufrag), "%s", LOCAL_UFRAG);
	snprintf(cfg.pwd, sizeof(cfg.pwd), "%s", LOCAL_PWD);
	s->ice = ice_agent_new(&cfg, &icb, &err);
	if (s->ice == NULL)
		FAIL("ice_agent_new: %s\n", err.msg);
	cand_local_prefs(s->local, 2, prefs);
	for (int i = 0; i < 2; i++)
		if (ice_agent_add_host(s->ice, i, &s->local[i], prefs[i], &err) < 0)
			FAIL("add_host: %s\n", err.msg);
	s->dtls_active = mode & 4;
	s->dtls = dtls_conn_new(fuzz_cert, s->dtls_active, dtls_cert_fingerprint(fuzz_cert),
				&dcb, &err);
	if (s->dtls == NULL)
		FAIL("dtls_conn_new: %s\n", err.msg);
	if (!s->dtls_active) {
		s->dtls_started = true;
		dtls_conn_start(s->dtls);
	}
	if (ice_agent_set_remote(s->ice, REMOTE_UFRAG, REMOTE_PWD, false, s->now, &err) < 0)
		FAIL("set_remote: %s\n", err.msg);
	add_remote(s, 0);
	add_remote(s, 2);
	if (mode & 8)
		ice_agent_end_of_candidates(s->ice, s->now);
}

static void session_close(struct session *s)
{
	dtls_conn_free(s->dtls);
	ice_agent_free(s->ice);
}

/* agent_net.c's timer and rearm: tick at each deadline up to `to`; start
 * an active DTLS side once ICE nominates or selects. */
static void advance(struct session *s, uint64_t to)
{
	unsigned ticks = 0;
	uint64_t due;

	while ((due = ice_agent_deadline(s->ice)) <= to) {
		if (due > s->now)
			s->now = due;
		ice_agent_tick(s->ice, s->now);
		if (ice_agent_deadline(s->ice) <= s->now && ++ticks > MAX_TICKS)
			FAIL("the deadline stays at %llu ms after a tick\n", (unsigned long long)s->now);
	}
	s->now = to;
	if (s->dtls_active && !s->dtls_started &&
	    (ice_agent_nominating(s->ice) || ice_agent_selected(s->ice))) {
		s->dtls_started = true;
		dtls_conn_start(s->dtls);
	}
	if (s->dtls_started && dtls_conn_timeout_ms(s->dtls) == 0)
		dtls_conn_tick(s->dtls);
}

/* agent__deliver, without the agent: the same demux_datagram. */
static void deliver(struct session *s, int sock, const union stun_addr *from,
		    const uint8_t *p, size_t len)
{
	(void)demux_datagram(s->ice, s->dtls, s->now, sock, from, p, len);
}

/* ---- recipes -------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A Binding message from a recipe r[0..31] (missing bytes are 0):
 *   r[0]  bits 0-1 class; bit 2 USE-CANDIDATE; bit 3 ICE-CONTROLLING;
 *         bit 4 ICE-CONTROLLED; bit 5 the other txid (responses default to
 *         the agent's last request's, requests to r[16..27]); bit 6 the
 *         wrong key; bit 7 no FINGERPRINT
 *   r[1]  bits 0-1 USERNAME: ours:theirs, theirs:ours, ours alone, none;
 *         bit 2 no MESSAGE-INTEGRITY; bit 3 XOR-MAPPED-ADDRESS of the
 *         source (else of our host); bit 4 PRIORITY left out
 *   r[2..5] PRIORITY, r[6..13] tiebreaker, r[14..15] error code (bit 7
 *   of r[14]: 487, else 300 + r[14..15] % 400), r[16..27] txid. */
static int build_recipe(const struct session *s, const union stun_addr *from, int sock,
			const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	static const char *const users[] = { LOCAL_UFRAG ":" REMOTE_UFRAG,
		REMOTE_UFRAG ":" LOCAL_UFRAG, LOCAL_UFRAG, NULL };
	uint8_t r[32] = { 0 };
	enum stun_class cls;
	struct stun_writer w;
	const char *key;
	bool response;

	memcpy(r, in, len < sizeof(r) ? len : sizeof(r));
	cls = (enum stun_class)(r[0] & 3);
	response = cls == STUN_SUCCESS || cls == STUN_ERROR;
	stun_writer_init(&w, out, cap, STUN_BINDING, cls,
			 (response != !!(r[0] & 0x20)) ? s->last_txid : r + 16);
	if (!response && users[r[1] & 3])
		stun_put_str(&w, STUN_A_USERNAME, users[r[1] & 3]);
	if (!response && !(r[1] & 0x10))
		stun_put_u32(&w, STUN_A_PRIORITY, be32(r + 2));
	if (r[0] & 0x04)
		stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	if (r[0] & 0x08)
		stun_put_u64(&w, STUN_A_ICE_CONTROLLING, (uint64_t)be32(r + 6) << 32 | be32(r + 10));
	if (r[0] & 0x10)
		stun_put_u64(&w, STUN_A_ICE_CONTROLLED, (uint64_t)be32(r + 6) << 32 | be32(r + 10));
	if (cls == STUN_SUCCESS)
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, r[1] & 0x08 ? from : &s->local[sock]);
	if (cls == STUN_ERROR)
		stun_put_error(&w, r[14] & 0x80 ? 487 : 300 + ((r[14] << 8 | r[15]) % 400), "fuzz");
	/* Requests to the agent are signed with its password, answers to its
	 * checks with the peer's (RFC 8445 7.2.2, 7.3). */
	key = (response != !!(r[0] & 0x40)) ? REMOTE_PWD : LOCAL_PWD;
	if (!(r[1] & 0x04))
		stun_put_integrity(&w, (const uint8_t *)key, strlen(key));
	if (!(r[0] & 0x80))
		stun_put_fingerprint(&w);
	return stun_writer_end(&w);
}

/* ---- the entry points ----------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct icl_err err;

	(void)argc;
	(void)argv;
	if (dtls_cert_new(&fuzz_cert, &err) < 0)
		FAIL("dtls_cert_new: %s\n", err.msg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t built[1024];
	const uint8_t *p = data + 2, *end = data + size;
	struct session s;

	if (size < 2)
		return 0;
	session_open(&s, data[0], data[1]);
	while (end - p >= 3) {
		unsigned h = p[0], k = h >> 3, src = h & 3, sock;
		size_t len = (size_t)(p[1] << 8 | p[2]);
		uint8_t *dgram;
		int n;

		p += 3;
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		advance(&s, s.now + k * k);
		sock = s.src[src].sa.sa_family == AF_INET6;
		if (h & 4) {
			n = build_recipe(&s, &s.src[src], (int)sock, p, len, built, sizeof(built));
			if (n < 0)
				FAIL("a recipe does not build: %d\n", n);
			deliver(&s, (int)sock, &s.src[src], built, (size_t)n);
		} else if ((dgram = malloc(len ? len : 1)) != NULL) {
			/* A block of exactly the datagram's size, for ASan. */
			memcpy(dgram, p, len);
			deliver(&s, (int)sock, &s.src[src], dgram, len);
			free(dgram);
		}
		p += len;
	}
	advance(&s, s.now + 5000);
	session_close(&s);
	return 0;
}
