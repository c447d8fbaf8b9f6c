/* flood.c - hostile traffic from a third node: the seeded generator and
 * the paced sender. */
#include "flood.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../agents/stun.h"
#include "inject.h"

const char *const flood_kind_names[FLOOD_N_KINDS + 1] = {
	[FLOOD_RANDOM] = "random",
	[FLOOD_TRUNCATED_STUN] = "truncated-stun",
	[FLOOD_BAD_INTEGRITY] = "bad-integrity",
	[FLOOD_REPLAYED] = "replayed",
	[FLOOD_OVERSIZED_ATTR] = "oversized-attribute",
	[FLOOD_DTLS_GARBAGE] = "dtls-garbage",
	[FLOOD_N_KINDS] = NULL,
};

#define RESCAN_MS 50              /* new selected pairs become targets this fast */
#define KEY_LEN 20                /* the attacker's guessed ICE password */

/* ---- the generator ------------------------------------------------------ */

/* splitmix64: small, fast, and the same stream for the same seed. */
static uint64_t rnd(struct flood_gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(struct flood_gen *g, unsigned n)
{
	return (unsigned)(rnd(g) % n);
}

static void fill(struct flood_gen *g, uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(g);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void flood_gen_init(struct flood_gen *g, uint64_t seed, const char *username)
{
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	snprintf(g->username, sizeof(g->username), "%s", username);
}

void flood_gen_remember(struct flood_gen *g, const uint8_t *buf, size_t len)
{
	if (g->n_replay == FLOOD_REPLAY_MAX || len == 0 || len > FLOOD_DGRAM_MAX)
		return;
	memcpy(g->replay[g->n_replay], buf, len);
	g->replay_len[g->n_replay++] = len;
}

/* A STUN header (Binding of class `cls`, random transaction ID) whose
 * length field says `len`; the caller writes the attributes. */
static void header(struct flood_gen *g, uint8_t *buf, enum stun_class cls, unsigned len)
{
	unsigned type = STUN_BINDING | (cls & 1u) << 4 | (cls & 2u) << 7;

	put16(buf, type);
	put16(buf + 2, len);
	buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xa4, buf[7] = 0x42;
	fill(g, buf + 8, STUN_TXID_SIZE);
}

static void writer(struct flood_gen *g, struct stun_writer *w, uint8_t *buf,
		   enum stun_class cls)
{
	uint8_t txid[STUN_TXID_SIZE];

	fill(g, txid, sizeof(txid));
	stun_writer_init(w, buf, FLOOD_DGRAM_MAX, STUN_BINDING, cls, txid);
}

/* MESSAGE-INTEGRITY with a key the attacker guessed, then FINGERPRINT:
 * everything is right but the authentication. */
static size_t end_guessed(struct flood_gen *g, struct stun_writer *w)
{
	uint8_t key[KEY_LEN];
	int n;

	fill(g, key, sizeof(key));
	stun_put_integrity(w, key, sizeof(key));
	stun_put_fingerprint(w);
	n = stun_writer_end(w);
	return n > 0 ? (size_t)n : 0;
}

/* A check as the peer would send it, with the USERNAME sniffed from the
 * wire, ICE-CONTROLLING or -CONTROLLED, sometimes USE-CANDIDATE. */
static size_t bad_integrity(struct flood_gen *g, uint8_t *buf)
{
	struct stun_writer w;

	writer(g, &w, buf, STUN_REQUEST);
	stun_put_str(&w, STUN_A_USERNAME, g->username);
	stun_put_u32(&w, STUN_A_PRIORITY, (uint32_t)rnd(g));
	stun_put_u64(&w, below(g, 2) ? STUN_A_ICE_CONTROLLING : STUN_A_ICE_CONTROLLED, rnd(g));
	if (below(g, 2))
		stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	return end_guessed(g, &w);
}

static size_t truncated(struct flood_gen *g, uint8_t *buf)
{
	size_t n = bad_integrity(g, buf);

	return n > 1 ? 1 + below(g, (unsigned)n - 1) : 1;
}

/* A success (or a 487, which would flip a role) for a transaction the
 * target never started. */
static size_t forged_response(struct flood_gen *g, uint8_t *buf)
{
	union stun_addr a = { .in = { .sin_family = AF_INET } };
	struct stun_writer w;

	a.in.sin_addr.s_addr = htonl(0xc6336442u); /* 198.51.100.66 */
	a.in.sin_port = htons((uint16_t)(1024 + below(g, 60000)));
	if (below(g, 4) == 0) {
		writer(g, &w, buf, STUN_ERROR);
		stun_put_error(&w, 487, "Role Conflict");
	} else {
		writer(g, &w, buf, STUN_SUCCESS);
		stun_put_xor_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a);
	}
	return end_guessed(g, &w);
}

static size_t replayed(struct flood_gen *g, uint8_t *buf)
{
	size_t i;

	if (g->n_made++ % 2 == 1 || g->n_replay == 0)
		return forged_response(g, buf);
	i = g->next_replay++ % g->n_replay;
	memcpy(buf, g->replay[i], g->replay_len[i]);
	g->n_replayed++;
	return g->replay_len[i];
}

/* Lengths that lie: a USERNAME beyond RFC 8489's 513 bytes; an attribute
 * running past the message; a message length past the datagram; an
 * address attribute of 65535 bytes; more unknown comprehension-required
 * attributes than anyone keeps. */
static size_t oversized(struct flood_gen *g, uint8_t *buf)
{
	struct stun_writer w;
	char user[1024];
	size_t n;

	switch (below(g, 5)) {
	case 0:
		n = 514 + below(g, 500);
		memset(user, 'u', n);
		user[n] = '\0';
		writer(g, &w, buf, STUN_REQUEST);
		stun_put_str(&w, STUN_A_USERNAME, user);
		return end_guessed(g, &w);
	case 1:
		header(g, buf, STUN_REQUEST, 8);
		put16(buf + 20, STUN_A_USERNAME);
		put16(buf + 22, 0xfff0);
		fill(g, buf + 24, 4);
		return 28;
	case 2:
		n = bad_integrity(g, buf);
		put16(buf + 2, 0x7ffc);
		return n;
	case 3:
		header(g, buf, STUN_SUCCESS, 12);
		put16(buf + 20, STUN_A_XOR_MAPPED_ADDRESS);
		put16(buf + 22, 0xffff);
		fill(g, buf + 24, 8);
		return 32;
	default:
		writer(g, &w, buf, STUN_REQUEST);
		for (unsigned i = 0; i < 40; i++)
			stun_put_u32(&w, (uint16_t)(0x0030 + i), (uint32_t)rnd(g));
		stun_put_str(&w, STUN_A_USERNAME, g->username);
		return end_guessed(g, &w);
	}
}

/* A DTLS record header: type, DTLS 1.2 or 1.0, epoch, sequence, length. */
static void record(struct flood_gen *g, uint8_t *p, unsigned type, unsigned epoch, unsigned len)
{
	p[0] = (uint8_t)type;
	p[1] = 0xfe;
	p[2] = below(g, 2) ? 0xfd : 0xff;
	put16(p + 3, epoch);
	fill(g, p + 5, 6);
	put16(p + 11, len);
}

/* First byte 20..63 and noise; records whose length field lies or whose
 * epoch was never negotiated; well-formed epoch-0 handshake fragments
 * with lying handshake lengths; plaintext fatal alerts; application data
 * under a key nobody has. */
static size_t dtls_garbage(struct flood_gen *g, uint8_t *buf)
{
	size_t body = below(g, 200);
	static const uint8_t alerts[] = { 10, 20, 40, 42, 47, 50, 51, 80 };
	static const uint8_t hs[] = { 1, 2, 3, 11, 12, 14, 16, 20 };

	switch (below(g, 5)) {
	case 0:
		buf[0] = (uint8_t)(20 + below(g, 44));
		fill(g, buf + 1, body);
		return 1 + body;
	case 1:
		record(g, buf, 20 + below(g, 4), below(g, 3) ? below(g, 3) : below(g, 65536),
		       below(g, 2) ? 0xffff : (unsigned)body + 1 + below(g, 500));
		fill(g, buf + 13, body);
		return 13 + body;
	case 2:
		body += 12;
		record(g, buf, 22, 0, (unsigned)body);
		fill(g, buf + 13, body);
		buf[13] = hs[below(g, sizeof(hs))];
		return 13 + body;
	case 3:
		record(g, buf, 21, 0, 2);
		buf[13] = 2;   /* fatal */
		buf[14] = alerts[below(g, sizeof(alerts))];
		return 15;
	default:
		body += 32;
		record(g, buf, 23, 1, (unsigned)body);
		fill(g, buf + 13, body);
		return 13 + body;
	}
}

size_t flood_gen_make(struct flood_gen *g, enum flood_kind k, uint8_t *buf)
{
	size_t n;

	switch (k) {
	case FLOOD_TRUNCATED_STUN:
		n = truncated(g, buf);
		break;
	case FLOOD_BAD_INTEGRITY:
		n = bad_integrity(g, buf);
		break;
	case FLOOD_REPLAYED:
		n = replayed(g, buf);
		break;
	case FLOOD_OVERSIZED_ATTR:
		n = oversized(g, buf);
		break;
	case FLOOD_DTLS_GARBAGE:
		n = dtls_garbage(g, buf);
		break;
	default:
		n = 1 + below(g, 600);
		fill(g, buf, n);
		break;
	}
	if (n == 0) {   /* a writer out of room cannot happen; never send nothing */
		buf[0] = 0;
		n = 1;
	}
	return n;
}

/* ---- the running flood ------------------------------------------------- */

struct flood {
	uv_udp_t udp;
	uv_timer_t tick;
	int open_handles;          /* freed when both are closed */
	struct flood_opts o;
	char agent[64];
	char src[64];              /* the socket's address */
	struct flood_gen gen;
	struct sockaddr_storage to[FLOOD_MAX_TARGETS];
	socklen_t to_len[FLOOD_MAX_TARGETS];
	size_t n_to, scanned, next_to;
	enum flood_kind kinds[FLOOD_N_KINDS];
	size_t n_kinds;
	uint64_t t0_ns, t_end_ns, next_scan_ns;
	unsigned made, sent, per_kind[FLOOD_N_KINDS], send_errors, answers;
	/* A datagram the socket refused for now (EAGAIN): sent again first,
	 * so that the stream stays the seed's. */
	uint8_t pending[FLOOD_DGRAM_MAX];
	size_t pending_len;
	enum flood_kind pending_kind;
	bool done;
	uint8_t rx[2048];
};

static void rescan(struct flood *f)
{
	inject_targets(f->o.timeline, f->agent, f->o.family, &f->scanned, f->to, f->to_len,
		       &f->n_to, FLOOD_MAX_TARGETS);
	f->next_scan_ns = uv_hrtime() + RESCAN_MS * 1000000ull;
}

static void finish(struct flood *f)
{
	f->done = true;
	f->t_end_ns = uv_hrtime();
	uv_timer_stop(&f->tick);
	if (f->o.done)
		f->o.done(f->o.user, f);
}

/* Send one datagram (the pending one first).  False: stop this tick. */
static bool send_one(struct flood *f)
{
	size_t t = f->next_to % f->n_to;
	uv_buf_t b;
	int rc;

	if (f->pending_len == 0) {
		f->pending_kind = f->kinds[f->made++ % f->n_kinds];
		f->pending_len = flood_gen_make(&f->gen, f->pending_kind, f->pending);
	}
	b = uv_buf_init((char *)f->pending, (unsigned)f->pending_len);
	rc = uv_udp_try_send(&f->udp, &b, 1, (const struct sockaddr *)&f->to[t]);
	if (rc == UV_EAGAIN || rc == UV_ENOBUFS) {
		f->send_errors++;
		return false;
	}
	f->next_to++;
	f->pending_len = 0;
	if (rc < 0) {
		f->send_errors++;   /* this one is lost; the next is a new one */
		return true;
	}
	f->sent++;
	f->per_kind[f->pending_kind]++;
	return true;
}

/* What is due at `rate` since the start, FLOOD_TICK_MAX at most: a loop
 * that stalled does not make up for it in one burst. */
static void tick_cb(uv_timer_t *h)
{
	struct flood *f = h->data;
	uint64_t ns, due;

	/* Until the agent announces an address, look every tick: the flood
	 * starts with its first candidate, as the checks do. */
	if (f->n_to == 0 || uv_hrtime() >= f->next_scan_ns)
		rescan(f);
	if (f->n_to == 0)
		return;
	if (f->t0_ns == 0)
		f->t0_ns = uv_hrtime();
	ns = uv_hrtime() - f->t0_ns;
	due = ns / 1000 * f->o.spec.rate / 1000000 + 1;
	if (due > f->o.spec.count)
		due = f->o.spec.count;
	for (unsigned n = 0; f->sent < due && n < FLOOD_TICK_MAX; n++)
		if (!send_one(f))
			break;
	/* Every send failing (no route left): give up rather than spin. */
	if (f->sent == f->o.spec.count || f->send_errors > f->o.spec.count)
		finish(f);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct flood *f = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)f->rx, sizeof(f->rx));
}

/* The target's answers (400s, 401s): counted, the first kept for replays. */
static void recv_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct flood *f = h->data;

	(void)flags;
	if (n <= 0 || !from)
		return;
	f->answers++;
	if (stun_is_stun((const uint8_t *)buf->base, (size_t)n))
		flood_gen_remember(&f->gen, (const uint8_t *)buf->base, (size_t)n);
}

static int start_handles(uv_loop_t *loop, int fd, struct flood *f, struct icl_err *err)
{
	struct sockaddr_storage me;
	int len = sizeof(me), rc;

	uv_timer_init(loop, &f->tick);
	uv_udp_init(loop, &f->udp);
	f->tick.data = f->udp.data = f;
	f->open_handles = 2;
	if ((rc = uv_udp_open(&f->udp, fd)) < 0) {
		close(fd);
		return icl_err_set(err, rc, "flood socket: %s", uv_strerror(rc));
	}
	if (uv_udp_getsockname(&f->udp, (struct sockaddr *)&me, &len) == 0)
		inject_addr_str(&me, f->src, sizeof(f->src));
	if ((rc = uv_udp_recv_start(&f->udp, alloc_cb, recv_cb)) < 0 ||
	    (rc = uv_timer_start(&f->tick, tick_cb, FLOOD_TICK_MS, FLOOD_TICK_MS)) < 0)
		return icl_err_set(err, rc, "flood: %s", uv_strerror(rc));
	return 0;
}

static void init_kinds(struct flood *f)
{
	for (int k = 0; k < FLOOD_N_KINDS; k++)
		if (f->o.spec.kinds & (1u << k))
			f->kinds[f->n_kinds++] = (enum flood_kind)k;
}

int flood_start(uv_loop_t *loop, int fd, const struct flood_opts *o, struct flood **out,
		struct icl_err *err)
{
	struct flood *f = calloc(1, sizeof(*f));
	int rc;

	*out = NULL;
	if (!f) {
		close(fd);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	f->o = *o;
	snprintf(f->agent, sizeof(f->agent), "%s", o->agent);
	f->o.agent = f->agent;
	flood_gen_init(&f->gen, o->seed, o->username);
	init_kinds(f);
	if (f->n_kinds == 0 || o->spec.rate == 0 || o->spec.count == 0) {
		close(fd);
		free(f);
		return icl_err_set(err, -EINVAL, "flood: no kinds, rate or count");
	}
	rescan(f);
	if (f->n_to > 0)
		f->t0_ns = uv_hrtime();
	rc = start_handles(loop, fd, f, err);
	*out = f;   /* even on failure: its handles are initialised, flood_close frees */
	return rc;
}

bool flood_done(const struct flood *f)
{
	return f->done;
}

json_t *flood_event(const struct flood *f, const char *node)
{
	json_t *to = json_array(), *kinds = json_object();
	uint64_t end = f->done ? f->t_end_ns : f->t0_ns ? uv_hrtime() : 0;
	char a[64];

	for (size_t i = 0; i < f->n_to; i++) {
		inject_addr_str(&f->to[i], a, sizeof(a));
		json_array_append_new(to, json_string(a));
	}
	for (size_t i = 0; i < f->n_kinds; i++)
		json_object_set_new(kinds, flood_kind_names[f->kinds[i]],
				    json_integer(f->per_kind[f->kinds[i]]));
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:i, s:i, s:i, s:b, s:o, s:i, s:i, s:i, s:f}",
			 "event", "flood", "node", node, "from", f->src, "to", to, "family",
			 f->o.family == AF_INET ? "ipv4" : "ipv6", "count", (int)f->o.spec.count,
			 "rate", (int)f->o.spec.rate, "sent", (int)f->sent, "complete",
			 f->sent == f->o.spec.count, "kinds", kinds, "send_errors",
			 (int)f->send_errors, "answers", (int)f->answers, "replayed_answers",
			 (int)f->gen.n_replayed, "ms", (double)(end - f->t0_ns) / 1e6);
}

static void closed_cb(uv_handle_t *h)
{
	struct flood *f = h->data;

	if (--f->open_handles == 0)
		free(f);
}

void flood_close(struct flood *f)
{
	if (!f)
		return;
	uv_close((uv_handle_t *)&f->tick, closed_cb);
	uv_close((uv_handle_t *)&f->udp, closed_cb);
}
