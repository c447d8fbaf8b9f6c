/* test_dtls.c - two dtls_conn in one process, wired together in memory.
 *
 * Each side's `send` callback appends to a queue; pump() delivers the
 * queues to the other side until both are empty, so a handshake runs
 * without sockets or threads.  Every datagram sent anywhere is checked
 * against the wire rules (at most DTLS_MTU bytes, first byte 20..63).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../agents/dtls.h"
#include "suites.h"

#define QCAP      64
#define DGRAM_MAX 2048
#define PUMP_MAX  1000

struct queue {
	size_t head, n;
	size_t len[QCAP];
	uint8_t buf[QCAP][DGRAM_MAX];
};

struct side {
	const char *name;
	struct dtls_conn *c;
	struct side *peer;
	struct queue out;       /* sent by this side, not yet delivered */
	/* What the callbacks saw. */
	enum dtls_state st;
	int changes, n_connected, n_failed, n_closed;
	char reason[1024];
	uint8_t got[DGRAM_MAX];
	size_t got_len;
	int n_data;
	bool echo;
	bool sync;              /* deliver from inside the send callback */
	const char *hello;      /* sent from the CONNECTED callback */
	/* Wire checks. */
	int n_sent, n_bad_first;
	size_t max_sent;
};

struct pair {
	struct dtls_cert *cert[3];      /* A's, B's, a stranger's */
	struct side s[2];
};

/* ---- plumbing ------------------------------------------------------------- */

static void on_send(void *user, const uint8_t *buf, size_t len)
{
	struct side *s = user;
	struct queue *q = &s->out;
	size_t tail;

	s->n_sent++;
	if (len > s->max_sent)
		s->max_sent = len;
	if (len == 0 || buf[0] < 20 || buf[0] > 63)
		s->n_bad_first++;
	if (s->sync) {
		dtls_conn_recv(s->peer->c, buf, len);
		return;
	}
	ck_assert_msg(len <= DGRAM_MAX && q->n < QCAP, "%s: datagram %zu bytes, queue %zu",
		      s->name, len, q->n);
	tail = (q->head + q->n) % QCAP;
	memcpy(q->buf[tail], buf, len);
	q->len[tail] = len;
	q->n++;
}

static void on_state(void *user, enum dtls_state st, const char *reason)
{
	struct side *s = user;

	ck_assert_int_ne(st, s->st);    /* real changes only */
	s->st = st;
	s->changes++;
	s->n_connected += st == DTLS_CONNECTED;
	s->n_failed += st == DTLS_FAILED;
	s->n_closed += st == DTLS_CLOSED;
	if (st == DTLS_FAILED)
		ck_assert_ptr_nonnull(reason);
	snprintf(s->reason, sizeof(s->reason), "%s", reason != NULL ? reason : "");
	if (st == DTLS_CONNECTED && s->hello != NULL) {
		struct icl_err e = { 0 };

		ck_assert_int_eq(dtls_conn_send(s->c, (const uint8_t *)s->hello,
						strlen(s->hello), &e), 0);
	}
}

static void on_data(void *user, const uint8_t *buf, size_t len)
{
	struct side *s = user;
	struct icl_err e = { 0 };

	ck_assert_uint_le(len, sizeof(s->got));
	memcpy(s->got, buf, len);
	s->got_len = len;
	s->n_data++;
	if (s->echo)
		ck_assert_int_eq(dtls_conn_send(s->c, buf, len, &e), 0);
}

static void queue_clear(struct queue *q)
{
	q->head = q->n = 0;
}

/* Deliver the oldest datagram `s` sent to its peer; false if none. */
static bool deliver_one(struct side *s)
{
	struct queue *q = &s->out;
	uint8_t tmp[DGRAM_MAX];
	size_t len;

	if (q->n == 0)
		return false;
	len = q->len[q->head];
	memcpy(tmp, q->buf[q->head], len);
	q->head = (q->head + 1) % QCAP;
	q->n--;
	dtls_conn_recv(s->peer->c, tmp, len);
	return true;
}

/* Deliver both ways until nothing moves or `stop` holds; returns the
 * number of datagrams delivered. */
static int pump_until(struct pair *p, bool (*stop)(const struct pair *))
{
	int moved = 0;

	while (moved < PUMP_MAX) {
		bool any = false;

		if (stop != NULL && stop(p))
			return moved;
		for (int i = 0; i < 2; i++) {
			if (deliver_one(&p->s[i])) {
				any = true;
				moved++;
				if (stop != NULL && stop(p))
					return moved;
			}
		}
		if (!any)
			return moved;
	}
	ck_abort_msg("pump did not settle");
	return moved;
}

static int pump(struct pair *p)
{
	return pump_until(p, NULL);
}

static struct dtls_conn *side_conn(struct side *s, const struct dtls_cert *cert, bool active,
				   const char *remote_fp)
{
	struct dtls_callbacks cb = { .user = s, .send = on_send, .state = on_state,
				     .data = on_data };
	struct icl_err e = { 0 };
	struct dtls_conn *c = dtls_conn_new(cert, active, remote_fp, &cb, &e);

	ck_assert_msg(c != NULL, "dtls_conn_new: %s", e.msg);
	return c;
}

/* A and B; A is active when `a_active`.  Each expects the other's
 * fingerprint unless `fp_a` / `fp_b` says otherwise. */
static struct pair *pair_new_fp(bool a_active, const char *fp_a, const char *fp_b)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct icl_err e = { 0 };

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(dtls_cert_new(&p->cert[i], &e) == 0, "dtls_cert_new: %s", e.msg);
	p->s[0].name = "A";
	p->s[1].name = "B";
	p->s[0].peer = &p->s[1];
	p->s[1].peer = &p->s[0];
	p->s[0].c = side_conn(&p->s[0], p->cert[0], a_active,
			      fp_a != NULL ? fp_a : dtls_cert_fingerprint(p->cert[1]));
	p->s[1].c = side_conn(&p->s[1], p->cert[1], !a_active,
			      fp_b != NULL ? fp_b : dtls_cert_fingerprint(p->cert[0]));
	return p;
}

static struct pair *pair_new(bool a_active)
{
	return pair_new_fp(a_active, NULL, NULL);
}

static void pair_free(struct pair *p)
{
	dtls_conn_free(p->s[0].c);
	dtls_conn_free(p->s[1].c);
	for (int i = 0; i < 3; i++)
		dtls_cert_free(p->cert[i]);
	free(p);
}

static void check_wire(const struct side *s)
{
	ck_assert_msg(s->max_sent <= DTLS_MTU, "%s sent a %zu-byte datagram", s->name, s->max_sent);
	ck_assert_msg(s->n_bad_first == 0, "%s sent %d datagrams not starting with 20..63",
		      s->name, s->n_bad_first);
}

static bool both_connected(const struct pair *p)
{
	return p->s[0].st == DTLS_CONNECTED && p->s[1].st == DTLS_CONNECTED;
}

static void handshake(struct pair *p)
{
	dtls_conn_start(p->s[1].c);
	dtls_conn_start(p->s[0].c);
	pump(p);
	ck_assert_msg(both_connected(p), "A %s (%s), B %s (%s)",
		      dtls_state_name(p->s[0].st), p->s[0].reason,
		      dtls_state_name(p->s[1].st), p->s[1].reason);
}

/* A sends "ping", B echoes it, A gets it back. */
static void ping(struct pair *p)
{
	struct icl_err e = { 0 };
	int a_data = p->s[0].n_data, b_data = p->s[1].n_data;

	p->s[1].echo = true;
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, (const uint8_t *)"ping", 4, &e), 0);
	pump(p);
	p->s[1].echo = false;
	ck_assert_int_eq(p->s[1].n_data, b_data + 1);
	ck_assert_int_eq(p->s[0].n_data, a_data + 1);
	ck_assert_mem_eq(p->s[1].got, "ping", 4);
	ck_assert_uint_eq(p->s[1].got_len, 4);
	ck_assert_mem_eq(p->s[0].got, "ping", 4);
	ck_assert_uint_eq(p->s[0].got_len, 4);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- tests ----------------------------------------------------------------- */

START_TEST(test_cert_fingerprint)
{
	struct dtls_cert *a, *b;
	struct icl_err e = { 0 };
	const char *fa;

	ck_assert_int_eq(dtls_cert_new(&a, &e), 0);
	ck_assert_int_eq(dtls_cert_new(&b, &e), 0);
	fa = dtls_cert_fingerprint(a);
	ck_assert_uint_eq(strlen(fa), DTLS_FP_STRLEN - 1);
	for (size_t i = 0; i < DTLS_FP_STRLEN - 1; i++) {
		if (i % 3 == 2)
			ck_assert_msg(fa[i] == ':', "'%s' at %zu", fa, i);
		else
			ck_assert_msg(strchr("0123456789ABCDEF", fa[i]) != NULL, "'%s' at %zu", fa, i);
	}
	ck_assert_str_ne(fa, dtls_cert_fingerprint(b));
	ck_assert_ptr_eq(fa, dtls_cert_fingerprint(a));
	dtls_cert_free(a);
	dtls_cert_free(b);
	dtls_cert_free(NULL);
}
END_TEST

START_TEST(test_demux_and_names)
{
	const uint8_t b19 = 19, b20 = 20, b22 = 22, b63 = 63, b64 = 64, b0 = 0;

	ck_assert(!dtls_is_dtls(&b19, 1));
	ck_assert(dtls_is_dtls(&b20, 1));
	ck_assert(dtls_is_dtls(&b22, 1));
	ck_assert(dtls_is_dtls(&b63, 1));
	ck_assert(!dtls_is_dtls(&b64, 1));
	ck_assert(!dtls_is_dtls(&b0, 1));
	ck_assert(!dtls_is_dtls(&b22, 0));
	ck_assert_str_eq(dtls_state_name(DTLS_NEW), "new");
	ck_assert_str_eq(dtls_state_name(DTLS_CONNECTING), "connecting");
	ck_assert_str_eq(dtls_state_name(DTLS_CONNECTED), "connected");
	ck_assert_str_eq(dtls_state_name(DTLS_FAILED), "failed");
	ck_assert_str_eq(dtls_state_name(DTLS_CLOSED), "closed");
}
END_TEST

START_TEST(test_bad_remote_fingerprint)
{
	struct dtls_cert *cert;
	struct icl_err e = { 0 };
	struct side s = { .name = "X" };
	struct dtls_callbacks cb = { .user = &s, .send = on_send };
	char fp[DTLS_FP_STRLEN];
	const char *bad[] = { "", "AB:CD", NULL, fp };

	ck_assert_int_eq(dtls_cert_new(&cert, &e), 0);
	/* Right length, one byte not hex. */
	snprintf(fp, sizeof(fp), "%s", dtls_cert_fingerprint(cert));
	fp[30] = 'G';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		icl_err_clear(&e);
		ck_assert_ptr_null(dtls_conn_new(cert, true, bad[i], &cb, &e));
		ck_assert_int_eq(e.code, -EINVAL);
		ck_assert_msg(strstr(e.msg, "fingerprint") != NULL, "%s", e.msg);
	}
	icl_err_clear(&e);
	ck_assert_ptr_null(dtls_conn_new(cert, true, dtls_cert_fingerprint(cert), NULL, &e));
	ck_assert_int_eq(e.code, -EINVAL);
	dtls_cert_free(cert);
}
END_TEST

/* _i: 0 = A active, 1 = B active. */
START_TEST(test_handshake_and_data)
{
	struct pair *p = pair_new(_i == 0);
	struct icl_err e = { 0 };

	ck_assert(dtls_conn_active(p->s[0].c) == (_i == 0));
	ck_assert(dtls_conn_active(p->s[1].c) == (_i != 0));
	ck_assert_int_eq(dtls_conn_state(p->s[0].c), DTLS_NEW);
	ck_assert_int_eq(dtls_conn_timeout_ms(p->s[0].c), -1);
	/* Nothing is sent before start. */
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, (const uint8_t *)"x", 1, &e), -ENOTCONN);
	ck_assert_int_eq(p->s[0].n_sent + p->s[1].n_sent, 0);
	handshake(p);
	for (int i = 0; i < 2; i++) {
		/* NEW -> CONNECTING -> CONNECTED, each reported once. */
		ck_assert_int_eq(p->s[i].changes, 2);
		ck_assert_int_eq(p->s[i].n_connected, 1);
		ck_assert_int_eq(dtls_conn_state(p->s[i].c), DTLS_CONNECTED);
		ck_assert_int_gt(p->s[i].n_sent, 0);
		check_wire(&p->s[i]);
	}
	ping(p);
	/* And the other way round. */
	p->s[0].echo = true;
	ck_assert_int_eq(dtls_conn_send(p->s[1].c, (const uint8_t *)"pong!", 5, &e), 0);
	pump(p);
	ck_assert_uint_eq(p->s[0].got_len, 5);
	ck_assert_mem_eq(p->s[0].got, "pong!", 5);
	ck_assert_uint_eq(p->s[1].got_len, 5);
	ck_assert_mem_eq(p->s[1].got, "pong!", 5);
	check_wire(&p->s[0]);
	check_wire(&p->s[1]);
	pair_free(p);
}
END_TEST

START_TEST(test_fingerprint_case_insensitive)
{
	struct pair *p;
	char lower[DTLS_FP_STRLEN];
	struct dtls_cert *b;

	/* A is remade to expect B's fingerprint in lower case. */
	p = pair_new(true);
	b = p->cert[1];
	snprintf(lower, sizeof(lower), "%s", dtls_cert_fingerprint(b));
	for (char *q = lower; *q; q++)
		if (*q >= 'A' && *q <= 'F')
			*q = (char)(*q - 'A' + 'a');
	ck_assert_str_ne(lower, dtls_cert_fingerprint(b));
	dtls_conn_free(p->s[0].c);
	p->s[0].c = side_conn(&p->s[0], p->cert[0], true, lower);
	handshake(p);
	ping(p);
	pair_free(p);
}
END_TEST

/* _i bit 0: which side expects the wrong fingerprint (0 A, 1 B);
 * bit 1: 0 A active, 1 B active. */
START_TEST(test_wrong_fingerprint)
{
	int wrong = _i & 1;
	bool a_active = !(_i & 2);
	struct pair *p = pair_new(a_active);
	struct side *bad = &p->s[wrong], *other = &p->s[!wrong];
	const char *stranger = dtls_cert_fingerprint(p->cert[2]);
	const char *real = dtls_cert_fingerprint(p->cert[!wrong]);
	char want[400];
	struct icl_err e = { 0 };

	dtls_conn_free(bad->c);
	bad->c = side_conn(bad, p->cert[wrong], wrong == 0 ? a_active : !a_active, stranger);
	dtls_conn_start(p->s[1].c);
	dtls_conn_start(p->s[0].c);
	pump(p);
	snprintf(want, sizeof(want), "fingerprint mismatch: got %s, expected %s", real, stranger);
	ck_assert_int_eq(bad->st, DTLS_FAILED);
	ck_assert_str_eq(bad->reason, want);
	/* The peer learns through the bad_certificate alert. */
	ck_assert_msg(other->st == DTLS_FAILED, "%s is %s", other->name, dtls_state_name(other->st));
	ck_assert_msg(strstr(other->reason, "bad certificate") != NULL, "%s", other->reason);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(p->s[i].n_connected, 0);
		ck_assert_int_eq(p->s[i].n_failed, 1);
		ck_assert_int_eq(dtls_conn_state(p->s[i].c), DTLS_FAILED);
		ck_assert_int_eq(dtls_conn_timeout_ms(p->s[i].c), -1);
		ck_assert_int_eq(dtls_conn_send(p->s[i].c, (const uint8_t *)"x", 1, &e), -ENOTCONN);
		check_wire(&p->s[i]);
	}
	/* A failed connection ignores the rest. */
	dtls_conn_tick(bad->c);
	dtls_conn_start(bad->c);
	ck_assert_int_eq(bad->n_failed, 1);
	pair_free(p);
}
END_TEST

START_TEST(test_record_sizes)
{
	struct pair *p = pair_new(true);
	struct icl_err e = { 0 };
	uint8_t big[DTLS_MTU];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	handshake(p);
	/* The largest message that fits one record still fits one datagram. */
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, big, 1100, &e), 0);
	pump(p);
	ck_assert_uint_eq(p->s[1].got_len, 1100);
	ck_assert_mem_eq(p->s[1].got, big, 1100);
	/* A message that would need two datagrams is refused, not split. */
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, big, sizeof(big), &e), -EMSGSIZE);
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, big, 0, &e), 0);
	ck_assert_int_eq(dtls_conn_state(p->s[0].c), DTLS_CONNECTED);
	check_wire(&p->s[0]);
	check_wire(&p->s[1]);
	ck_assert_uint_gt(p->s[0].max_sent, 1100);
	pair_free(p);
}
END_TEST

/* The active side's first flight is lost: the timer brings it back. */
START_TEST(test_retransmit_client_hello)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0];
	long t, t2;

	dtls_conn_start(p->s[1].c);
	dtls_conn_start(a->c);
	ck_assert_uint_eq(a->out.n, 1);
	/* Handshake record, ClientHello (RFC 6347 4.1, 4.2.2). */
	ck_assert_uint_eq(a->out.buf[0][0], 22);
	ck_assert_uint_eq(a->out.buf[0][13], 1);
	queue_clear(&a->out);
	t = dtls_conn_timeout_ms(a->c);
	ck_assert_msg(t > 0 && t <= 1000, "timeout %ld", t);
	ck_assert_int_eq(dtls_conn_timeout_ms(p->s[1].c), -1);   /* waits, no timer */
	dtls_conn_tick(a->c);           /* not due yet */
	ck_assert_uint_eq(a->out.n, 0);
	sleep_ms(t);
	dtls_conn_tick(a->c);
	ck_assert_uint_eq(a->out.n, 1);
	ck_assert_uint_eq(a->out.buf[0][0], 22);
	ck_assert_uint_eq(a->out.buf[0][13], 1);
	/* The timer doubled. */
	t2 = dtls_conn_timeout_ms(a->c);
	ck_assert_msg(t2 > 1000 && t2 <= 2000, "timeout %ld", t2);
	pump(p);
	ck_assert(both_connected(p));
	ping(p);
	check_wire(a);
	pair_free(p);
}
END_TEST

static bool b_connected(const struct pair *p)
{
	return p->s[1].st == DTLS_CONNECTED;
}

/* The passive side's last flight is lost after it considers itself
 * connected: the active side's retransmission makes it resend. */
START_TEST(test_retransmit_last_flight)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0], *b = &p->s[1];
	long t;

	dtls_conn_start(b->c);
	dtls_conn_start(a->c);
	pump_until(p, b_connected);
	ck_assert_int_eq(b->st, DTLS_CONNECTED);
	ck_assert_int_eq(a->st, DTLS_CONNECTING);
	ck_assert_uint_gt(b->out.n, 0);
	queue_clear(&b->out);
	pump(p);
	ck_assert_int_eq(a->st, DTLS_CONNECTING);
	t = dtls_conn_timeout_ms(a->c);
	ck_assert_msg(t > 0 && t <= 1000, "timeout %ld", t);
	sleep_ms(t);
	dtls_conn_tick(a->c);
	ck_assert_uint_gt(a->out.n, 0);
	pump(p);
	ck_assert(both_connected(p));
	ck_assert_int_eq(b->n_connected, 1);
	ping(p);
	pair_free(p);
}
END_TEST

/* The passive side starts late: the ClientHello waits for it. */
START_TEST(test_records_before_start)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0], *b = &p->s[1];
	struct icl_err e = { 0 };
	uint8_t junk[40] = { 22, 0x12, 0x34 };

	dtls_conn_start(a->c);
	pump(p);        /* the ClientHello reaches a side that has not started */
	ck_assert_int_eq(b->st, DTLS_NEW);
	ck_assert_int_eq(b->changes, 0);
	ck_assert_int_eq(b->n_sent, 0);
	ck_assert_int_eq(dtls_conn_timeout_ms(b->c), -1);
	ck_assert_int_eq(dtls_conn_send(b->c, (const uint8_t *)"x", 1, &e), -ENOTCONN);
	/* More than the buffer holds: the excess is dropped, nothing breaks. */
	for (int i = 0; i < 40; i++)
		dtls_conn_recv(b->c, junk, sizeof(junk));
	dtls_conn_start(b->c);
	/* The buffered ClientHello was answered at once, before any pump. */
	ck_assert_uint_gt(b->out.n, 0);
	ck_assert_uint_eq(b->out.buf[b->out.head][0], 22);
	ck_assert_uint_eq(b->out.buf[b->out.head][13], 2);      /* ServerHello */
	pump(p);
	ck_assert(both_connected(p));
	ping(p);
	check_wire(a);
	check_wire(b);
	pair_free(p);
}
END_TEST

/* The active side starts late; the passive side says nothing before a
 * ClientHello, so all it can have received early is junk. */
START_TEST(test_junk_before_active_start)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0];
	uint8_t junk[40] = { 22, 0x12, 0x34 };

	dtls_conn_start(p->s[1].c);
	for (int i = 0; i < 40; i++)
		dtls_conn_recv(a->c, junk, sizeof(junk));
	ck_assert_int_eq(a->st, DTLS_NEW);
	ck_assert_int_eq(a->n_sent, 0);
	dtls_conn_start(a->c);
	ck_assert_uint_eq(a->out.n, 1);                          /* ClientHello */
	pump(p);
	ck_assert(both_connected(p));
	pair_free(p);
}
END_TEST

/* `n` datagrams of random bytes starting with 22 (handshake); when
 * `epoch` >= 0 they carry a well-formed DTLS 1.2 record header for that
 * epoch, so OpenSSL looks inside. */
static void send_garbage(struct dtls_conn *c, unsigned seed, int n, int epoch)
{
	uint8_t buf[DTLS_MTU];

	for (int i = 0; i < n; i++) {
		size_t len = 14 + (size_t)rand_r(&seed) % (sizeof(buf) - 14);

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		buf[0] = 22;
		if (epoch >= 0) {
			buf[1] = 0xfe;
			buf[2] = 0xfd;
			buf[3] = (uint8_t)(epoch >> 8);
			buf[4] = (uint8_t)epoch;
			buf[11] = (uint8_t)((len - 13) >> 8);
			buf[12] = (uint8_t)(len - 13);
		}
		dtls_conn_recv(c, buf, len);
	}
}

/* Random bytes are not records: a listening side drops them (RFC 6347
 * 4.1.2.7) and a real handshake still works afterwards. */
START_TEST(test_garbage_listening)
{
	struct pair *p = pair_new(true);
	struct side *b = &p->s[1];

	dtls_conn_start(b->c);
	send_garbage(b->c, 1, 300, -1);
	ck_assert_int_eq(b->st, DTLS_CONNECTING);
	ck_assert_int_eq(b->changes, 1);
	ck_assert_int_eq(b->n_sent, 0);
	dtls_conn_start(p->s[0].c);
	pump(p);
	ck_assert(both_connected(p));
	ping(p);
	pair_free(p);
}
END_TEST

/* A well-formed epoch-0 record holding a malformed handshake message is
 * fatal in OpenSSL (the record is valid, its content is not): the side
 * fails once, with OpenSSL's reason, after sending one alert, and
 * ignores what follows. */
START_TEST(test_garbage_handshake_message)
{
	struct pair *p = pair_new(true);
	struct side *b = &p->s[1];

	dtls_conn_start(b->c);
	send_garbage(b->c, 1, 1, 0);
	ck_assert_int_eq(b->st, DTLS_FAILED);
	ck_assert_int_eq(b->n_failed, 1);
	ck_assert_msg(strncmp(b->reason, "error:", 6) == 0, "%s", b->reason);
	ck_assert_int_eq(b->n_sent, 1);
	ck_assert_uint_eq(b->out.buf[0][0], 21);        /* alert */
	send_garbage(b->c, 2, 50, 0);
	ck_assert_int_eq(b->n_failed, 1);
	ck_assert_int_eq(b->n_sent, 1);
	check_wire(b);
	pair_free(p);
}
END_TEST

/* Once connected, bad records of any epoch fail their MAC or epoch
 * check and are dropped; the association keeps working. */
START_TEST(test_garbage_connected)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0], *b = &p->s[1];

	handshake(p);
	send_garbage(a->c, 2, 100, 1);
	send_garbage(b->c, 3, 100, 1);
	send_garbage(a->c, 4, 100, 0);
	send_garbage(b->c, 5, 100, 0);
	send_garbage(b->c, 6, 100, -1);
	pump(p);
	ck_assert(both_connected(p));
	ck_assert_int_eq(a->changes, 2);
	ck_assert_int_eq(b->changes, 2);
	ping(p);
	check_wire(a);
	check_wire(b);
	pair_free(p);
}
END_TEST

/* Both send callbacks deliver at once, so each side's OpenSSL call sends
 * into a peer that answers into it before the call returns: the answer
 * is deferred, not fed to OpenSSL re-entrantly.  The whole handshake
 * runs inside the active side's start. */
START_TEST(test_synchronous_delivery)
{
	struct pair *p = pair_new(true);
	struct side *a = &p->s[0], *b = &p->s[1];
	struct icl_err e = { 0 };

	a->sync = b->sync = true;
	a->hello = "hello from A";
	dtls_conn_start(b->c);
	dtls_conn_start(a->c);
	ck_assert(both_connected(p));
	ck_assert_int_eq(b->n_data, 1);
	ck_assert_uint_eq(b->got_len, 12);
	ck_assert_mem_eq(b->got, "hello from A", 12);
	b->echo = true;
	ck_assert_int_eq(dtls_conn_send(a->c, (const uint8_t *)"ping", 4, &e), 0);
	/* B's echo came back during A's send and was fed before it returned. */
	ck_assert_int_eq(a->n_data, 1);
	ck_assert_uint_eq(a->got_len, 4);
	ck_assert_mem_eq(a->got, "ping", 4);
	check_wire(a);
	check_wire(b);
	pair_free(p);
}
END_TEST

START_TEST(test_close)
{
	struct pair *p = pair_new(true);
	struct icl_err e = { 0 };

	handshake(p);
	dtls_conn_close(p->s[0].c);
	ck_assert_int_eq(p->s[0].st, DTLS_CLOSED);
	ck_assert_uint_eq(p->s[0].out.n, 1);
	ck_assert_uint_eq(p->s[0].out.buf[p->s[0].out.head][0], 21);      /* alert */
	pump(p);
	ck_assert_int_eq(p->s[1].st, DTLS_CLOSED);
	ck_assert_int_eq(p->s[1].n_failed, 0);
	ck_assert_int_eq(dtls_conn_send(p->s[0].c, (const uint8_t *)"x", 1, &e), -ENOTCONN);
	ck_assert_int_eq(dtls_conn_send(p->s[1].c, (const uint8_t *)"x", 1, &e), -ENOTCONN);
	dtls_conn_close(p->s[1].c);     /* already closed: no change */
	ck_assert_int_eq(p->s[1].n_closed, 1);
	ck_assert_int_eq(dtls_conn_timeout_ms(p->s[0].c), -1);
	pair_free(p);
}
END_TEST

Suite *dtls_suite(void)
{
	Suite *s = suite_create("dtls");
	TCase *tc = tcase_create("core");

	/* Two tests sleep through one 1 s retransmission timer. */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_cert_fingerprint);
	tcase_add_test(tc, test_demux_and_names);
	tcase_add_test(tc, test_bad_remote_fingerprint);
	tcase_add_loop_test(tc, test_handshake_and_data, 0, 2);
	tcase_add_test(tc, test_fingerprint_case_insensitive);
	tcase_add_loop_test(tc, test_wrong_fingerprint, 0, 4);
	tcase_add_test(tc, test_record_sizes);
	tcase_add_test(tc, test_retransmit_client_hello);
	tcase_add_test(tc, test_retransmit_last_flight);
	tcase_add_test(tc, test_records_before_start);
	tcase_add_test(tc, test_junk_before_active_start);
	tcase_add_test(tc, test_garbage_listening);
	tcase_add_test(tc, test_garbage_handshake_message);
	tcase_add_test(tc, test_garbage_connected);
	tcase_add_test(tc, test_synchronous_delivery);
	tcase_add_test(tc, test_close);
	suite_add_tcase(s, tc);
	return s;
}
