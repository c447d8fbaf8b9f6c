/* turnc.c - the TURN client of turnc.h: transactions, long-term
 * credentials, the allocation, permissions and channels. */
#include "turnc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cand.h"
#include "stun_tx.h"

#define MAX_TX        (2 * TURNC_MAX_PEERS + 2)
#define MSG_MAX       (TURNC_DATA_MAX + 512)
#define AUTH_RETRIES  3        /* 401 then 438s: more means a broken server */
#define CHANDATA_HDR  4

enum tx_kind { TX_ALLOCATE, TX_REFRESH, TX_PERMISSION, TX_CHANNEL };

static const char *const tx_names[] = { "Allocate", "Refresh", "CreatePermission",
					"ChannelBind" };
static const uint16_t tx_methods[] = { STUN_ALLOCATE, STUN_REFRESH, STUN_CREATE_PERMISSION,
				       STUN_CHANNEL_BIND };

struct tx {
	bool used;
	enum tx_kind kind;
	int idx;                  /* PERMISSION, CHANNEL: the entry */
	uint32_t lifetime;        /* REFRESH: LIFETIME asked for */
	unsigned auth_retries;
	bool authed;              /* sent with credentials */
	struct stun_tx sched;
};

enum entry_state { E_PENDING, E_OK, E_FAILED };

/* A permission (per peer IP, port ignored) or a channel (per address). */
struct entry {
	union stun_addr addr;
	uint16_t number;          /* channel number */
	enum entry_state st;
	bool busy;                /* a request for it is out */
	uint64_t refresh_ms;
};

struct queued {
	union stun_addr peer;
	size_t len;
	uint8_t buf[TURNC_DATA_MAX];
};

struct turnc {
	struct turnc_config cfg;
	struct turnc_callbacks cb;
	enum turnc_state state;
	char why[320];
	int why_code;             /* the STUN error code of the failure, 0 for none */
	char realm[256], nonce[256];
	uint8_t key[16];
	bool have_auth;
	union stun_addr relayed, mapped;
	uint32_t lifetime_s;
	uint64_t refresh_ms;
	bool refreshing;
	struct tx tx[MAX_TX];
	struct entry perms[TURNC_MAX_PEERS], chans[TURNC_MAX_PEERS];
	size_t n_perms, n_chans;
	struct queued q[TURNC_MAX_QUEUED];
	size_t n_q;
};

/* ---- Small helpers ---------------------------------------------------- */

static uint64_t refresh_after_ms(uint32_t lifetime_s)
{
	uint32_t early = lifetime_s > 2 * TURNC_REFRESH_EARLY_S ? TURNC_REFRESH_EARLY_S
							       : lifetime_s / 2;

	return (uint64_t)(lifetime_s - early) * 1000u;
}

static void note(struct turnc *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct turnc *tc, const char *fmt, ...)
{
	char text[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (tc->cb.note)
		tc->cb.note(tc->cb.user, tc, text);
}

static void set_why(struct turnc *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_why(struct turnc *tc, const char *fmt, ...)
{
	char srv[CAND_ADDR_STRLEN];
	size_t n;
	va_list ap;

	stun_addr_str(&tc->cfg.server, srv);
	n = (size_t)snprintf(tc->why, sizeof(tc->why), "TURN server %s: ", srv);
	va_start(ap, fmt);
	if (n < sizeof(tc->why))
		vsnprintf(tc->why + n, sizeof(tc->why) - n, fmt, ap);
	va_end(ap);
}

static void alloc_failed(struct turnc *tc)
{
	tc->state = TURNC_FAILED;
	for (size_t i = 0; i < MAX_TX; i++)
		tc->tx[i].used = false;
	tc->n_q = 0;
	if (tc->cb.allocated)
		tc->cb.allocated(tc->cb.user, tc);
}

static int find_entry(const struct entry *e, size_t n, const union stun_addr *a, bool ip_only)
{
	for (size_t i = 0; i < n; i++)
		if (ip_only ? stun_addr_same_ip(&e[i].addr, a) : stun_addr_equal(&e[i].addr, a))
			return (int)i;
	return -1;
}

static struct entry *tx_entry(struct turnc *tc, const struct tx *t)
{
	if (t->kind == TX_PERMISSION)
		return &tc->perms[t->idx];
	if (t->kind == TX_CHANNEL)
		return &tc->chans[t->idx];
	return NULL;
}

/* ---- Requests --------------------------------------------------------- */

static void put_kind_attrs(struct turnc *tc, struct stun_writer *w, const struct tx *t)
{
	const struct entry *e = tx_entry(tc, t);
	uint8_t v[4] = { 0 };

	switch (t->kind) {
	case TX_ALLOCATE:
		v[0] = 17;   /* REQUESTED-TRANSPORT: UDP */
		stun_put_bytes(w, STUN_A_REQUESTED_TRANSPORT, v, 4);
		v[0] = tc->cfg.family == AF_INET6 ? 0x02 : 0x01;
		stun_put_bytes(w, STUN_A_REQUESTED_FAMILY, v, 4);
		stun_put_u32(w, STUN_A_LIFETIME, tc->cfg.lifetime_s);
		break;
	case TX_REFRESH:
		stun_put_u32(w, STUN_A_LIFETIME, t->lifetime);
		break;
	case TX_CHANNEL:
		v[0] = (uint8_t)(e->number >> 8);
		v[1] = (uint8_t)(e->number & 0xff);
		stun_put_bytes(w, STUN_A_CHANNEL_NUMBER, v, 4);
		stun_put_xor_addr(w, STUN_A_XOR_PEER_ADDRESS, &e->addr);
		break;
	case TX_PERMISSION:
		stun_put_xor_addr(w, STUN_A_XOR_PEER_ADDRESS, &e->addr);
		break;
	}
}

static void send_tx(struct turnc *tc, struct tx *t)
{
	uint8_t buf[MSG_MAX];
	struct stun_writer w;
	int len;

	stun_writer_init(&w, buf, sizeof(buf), tx_methods[t->kind], STUN_REQUEST, t->sched.txid);
	put_kind_attrs(tc, &w, t);
	t->authed = tc->have_auth;
	if (tc->have_auth) {
		stun_put_str(&w, STUN_A_USERNAME, tc->cfg.username);
		stun_put_str(&w, STUN_A_REALM, tc->realm);
		stun_put_str(&w, STUN_A_NONCE, tc->nonce);
		stun_put_integrity(&w, tc->key, sizeof(tc->key));
	}
	stun_put_fingerprint(&w);
	len = stun_writer_end(&w);
	if (len > 0)
		tc->cb.send(tc->cb.user, tc->cfg.sock, &tc->cfg.server, buf, (size_t)len);
}

static struct tx *start_tx(struct turnc *tc, enum tx_kind kind, int idx, uint32_t lifetime,
			   unsigned retries, uint64_t now_ms)
{
	uint8_t txid[STUN_TXID_SIZE];
	struct tx *t = NULL;

	for (size_t i = 0; i < MAX_TX && !t; i++)
		if (!tc->tx[i].used)
			t = &tc->tx[i];
	if (!t || stun_random_txid(txid) < 0)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->kind = kind;
	t->idx = idx;
	t->lifetime = lifetime;
	t->auth_retries = retries;
	stun_tx_start(&t->sched, txid, now_ms, TURNC_RTO_MS, TURNC_RC, TURNC_RM);
	if (tx_entry(tc, t))
		tx_entry(tc, t)->busy = true;
	if (kind == TX_REFRESH)
		tc->refreshing = true;
	send_tx(tc, t);
	return t;
}

/* The transaction is over, whatever its outcome. */
static void end_tx(struct turnc *tc, struct tx *t)
{
	struct entry *e = tx_entry(tc, t);

	if (e)
		e->busy = false;
	if (t->kind == TX_REFRESH)
		tc->refreshing = false;
	t->used = false;
}

/* ---- Data to peers ---------------------------------------------------- */

static void send_indication(struct turnc *tc, const union stun_addr *peer,
			    const uint8_t *buf, size_t len)
{
	uint8_t out[MSG_MAX], txid[STUN_TXID_SIZE];
	struct stun_writer w;
	int n;

	if (stun_random_txid(txid) < 0)
		return;
	/* Indications carry no credentials (RFC 8656 11.1): the permission
	 * is what authorises them. */
	stun_writer_init(&w, out, sizeof(out), STUN_SEND, STUN_INDICATION, txid);
	stun_put_xor_addr(&w, STUN_A_XOR_PEER_ADDRESS, peer);
	stun_put_bytes(&w, STUN_A_DATA, buf, len);
	n = stun_writer_end(&w);
	if (n > 0)
		tc->cb.send(tc->cb.user, tc->cfg.sock, &tc->cfg.server, out, (size_t)n);
}

/* 12.4: channel number, length, data; over UDP no padding is needed. */
static void send_channel_data(struct turnc *tc, uint16_t number, const uint8_t *buf, size_t len)
{
	uint8_t out[CHANDATA_HDR + TURNC_DATA_MAX];

	out[0] = (uint8_t)(number >> 8);
	out[1] = (uint8_t)(number & 0xff);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)(len & 0xff);
	memcpy(out + CHANDATA_HDR, buf, len);
	tc->cb.send(tc->cb.user, tc->cfg.sock, &tc->cfg.server, out, CHANDATA_HDR + len);
}

/* With the permission in place: ChannelData once the channel is bound,
 * a Send indication (and a ChannelBind) before. */
static void relay_out(struct turnc *tc, uint64_t now_ms, const union stun_addr *peer,
		      const uint8_t *buf, size_t len)
{
	int c = find_entry(tc->chans, tc->n_chans, peer, false);

	if (c >= 0 && tc->chans[c].st == E_OK) {
		send_channel_data(tc, tc->chans[c].number, buf, len);
		return;
	}
	if (c < 0 && tc->n_chans < TURNC_MAX_PEERS) {
		struct entry *e = &tc->chans[tc->n_chans];

		memset(e, 0, sizeof(*e));
		e->addr = *peer;
		e->number = (uint16_t)(TURNC_CHAN_FIRST + tc->n_chans);
		e->st = E_PENDING;
		c = (int)tc->n_chans++;
		start_tx(tc, TX_CHANNEL, c, 0, 0, now_ms);
	}
	send_indication(tc, peer, buf, len);
}

static void flush_queue(struct turnc *tc, uint64_t now_ms, const union stun_addr *ip, bool ok)
{
	size_t n = 0;

	for (size_t i = 0; i < tc->n_q; i++) {
		if (!stun_addr_same_ip(&tc->q[i].peer, ip)) {
			if (n != i)
				tc->q[n] = tc->q[i];
			n++;
		} else if (ok) {
			relay_out(tc, now_ms, &tc->q[i].peer, tc->q[i].buf, tc->q[i].len);
		}
	}
	tc->n_q = n;
}

int turnc_send(struct turnc *tc, uint64_t now_ms, const union stun_addr *peer,
	       const uint8_t *buf, size_t len)
{
	int p;

	if (tc->state != TURNC_READY)
		return -ENOTCONN;
	if (len > TURNC_DATA_MAX)
		return -EMSGSIZE;
	p = find_entry(tc->perms, tc->n_perms, peer, true);
	if (p >= 0 && tc->perms[p].st == E_OK) {
		relay_out(tc, now_ms, peer, buf, len);
		return 0;
	}
	if (p >= 0 && tc->perms[p].st == E_FAILED)
		return -EACCES;
	if (tc->n_q >= TURNC_MAX_QUEUED || (p < 0 && tc->n_perms >= TURNC_MAX_PEERS))
		return -ENOBUFS;
	if (p < 0) {
		/* RFC 8445 7.2.1 (and 8656 9): the permission comes first. */
		memset(&tc->perms[tc->n_perms], 0, sizeof(tc->perms[0]));
		tc->perms[tc->n_perms].addr = *peer;
		tc->perms[tc->n_perms].st = E_PENDING;
		p = (int)tc->n_perms++;
		start_tx(tc, TX_PERMISSION, p, 0, 0, now_ms);
	}
	tc->q[tc->n_q].peer = *peer;
	tc->q[tc->n_q].len = len;
	memcpy(tc->q[tc->n_q].buf, buf, len);
	tc->n_q++;
	return 0;
}

/* ---- Responses -------------------------------------------------------- */

static void entry_failed(struct turnc *tc, uint64_t now_ms, struct tx *t, const char *cause)
{
	struct entry *e = tx_entry(tc, t);
	char peer[CAND_ADDR_STRLEN];

	stun_addr_str(&e->addr, peer);
	note(tc, "%s for %s failed: %s", tx_names[t->kind], peer, cause);
	/* A refresh that fails leaves the old lifetime running out; a first
	 * request that fails means the peer is unreachable through us. */
	if (e->st == E_PENDING)
		e->st = E_FAILED;
	if (t->kind == TX_PERMISSION)
		flush_queue(tc, now_ms, &e->addr, false);
}

static void request_failed(struct turnc *tc, uint64_t now_ms, struct tx *t, const char *cause)
{
	end_tx(tc, t);
	switch (t->kind) {
	case TX_ALLOCATE:
		set_why(tc, "Allocate failed: %s", cause);
		alloc_failed(tc);
		break;
	case TX_REFRESH:
		if (t->lifetime > 0)
			note(tc, "Refresh failed: %s", cause);
		break;
	case TX_PERMISSION:
	case TX_CHANNEL:
		entry_failed(tc, now_ms, t, cause);
		break;
	}
}

/* 401 (first request, or a realm change) and 438 (stale nonce): take the
 * server's REALM and NONCE and send the request again (RFC 8489 9.2.4).
 * False when this error is final. */
static bool retry_auth(struct turnc *tc, uint64_t now_ms, struct tx *t, const struct stun_msg *m)
{
	struct tx old = *t;

	if ((m->error_code != 401 && m->error_code != 438) || !(m->has & STUN_HAS_NONCE) ||
	    t->auth_retries >= AUTH_RETRIES)
		return false;
	/* A 401 to a request that already had credentials: they are wrong. */
	if (m->error_code == 401 && t->authed)
		return false;
	if (m->has & STUN_HAS_REALM)
		stun_str_copy(m->realm, tc->realm, sizeof(tc->realm));
	stun_str_copy(m->nonce, tc->nonce, sizeof(tc->nonce));
	if (!tc->realm[0])
		return false;
	stun_long_term_key(tc->cfg.username, tc->realm, tc->cfg.password, tc->key);
	tc->have_auth = true;
	end_tx(tc, t);
	return start_tx(tc, old.kind, old.idx, old.lifetime, old.auth_retries + 1, now_ms) != NULL;
}

static void error_response(struct turnc *tc, uint64_t now_ms, struct tx *t,
			   const struct stun_msg *m)
{
	char reason[128], cause[320];

	if (retry_auth(tc, now_ms, t, m))
		return;
	stun_str_copy(m->error_reason, reason, sizeof(reason));
	if (m->error_code == 401)
		snprintf(cause, sizeof(cause), "401 %.64s (username \"%.64s\" in realm \"%.64s\": wrong "
			 "username or password?)", reason, tc->cfg.username, tc->realm);
	else
		snprintf(cause, sizeof(cause), "%d %s", m->error_code, reason);
	if (t->kind == TX_ALLOCATE && m->error_code == 440 && tc->cfg.fallback_family &&
	    tc->cfg.fallback_family != tc->cfg.family) {
		/* RFC 8656 7.2: the server does not relay this family. */
		tc->cfg.family = tc->cfg.fallback_family;
		tc->cfg.fallback_family = 0;
		end_tx(tc, t);
		if (start_tx(tc, TX_ALLOCATE, -1, 0, 0, now_ms))
			return;
	}
	if (t->kind == TX_ALLOCATE || t->kind == TX_REFRESH)
		tc->why_code = m->error_code;
	if (t->kind == TX_REFRESH && m->error_code == 437) {
		/* 437 Allocation Mismatch: the allocation is gone. */
		end_tx(tc, t);
		set_why(tc, "Refresh failed: %s", cause);
		alloc_failed(tc);
		return;
	}
	request_failed(tc, now_ms, t, cause);
}

/* The XOR-RELAYED-ADDRESS of the family asked for: a server may send one
 * per family, and a 0.0.0.0:0 one for a family it could not give. */
static bool pick_relayed(struct turnc *tc, const struct stun_msg *m)
{
	union stun_addr a[4];
	size_t n = stun_xor_addrs(m, STUN_A_XOR_RELAYED_ADDRESS, a, 4);

	for (size_t i = 0; i < n && i < 4; i++)
		if (a[i].sa.sa_family == tc->cfg.family && a[i].in.sin_port != 0) {
			tc->relayed = a[i];
			return true;
		}
	return false;
}

static void allocate_ok(struct turnc *tc, uint64_t now_ms, const struct stun_msg *m)
{
	if (!pick_relayed(tc, m)) {
		set_why(tc, "Allocate success response without an XOR-RELAYED-ADDRESS of the "
			"family asked for (%s)", tc->cfg.family == AF_INET6 ? "IPv6" : "IPv4");
		alloc_failed(tc);
		return;
	}
	if (m->has & STUN_HAS_XOR_MAPPED)
		tc->mapped = m->xor_mapped;
	tc->lifetime_s = (m->has & STUN_HAS_LIFETIME) ? m->lifetime : tc->cfg.lifetime_s;
	tc->refresh_ms = now_ms + refresh_after_ms(tc->lifetime_s);
	tc->state = TURNC_READY;
	if (tc->cb.allocated)
		tc->cb.allocated(tc->cb.user, tc);
}

static void success_response(struct turnc *tc, uint64_t now_ms, struct tx *t,
			     const struct stun_msg *m)
{
	struct tx done = *t;
	struct entry *e = tx_entry(tc, t);

	end_tx(tc, t);
	switch (done.kind) {
	case TX_ALLOCATE:
		allocate_ok(tc, now_ms, m);
		break;
	case TX_REFRESH:
		if (done.lifetime == 0)
			break;
		tc->lifetime_s = (m->has & STUN_HAS_LIFETIME) ? m->lifetime : done.lifetime;
		tc->refresh_ms = now_ms + refresh_after_ms(tc->lifetime_s);
		break;
	case TX_PERMISSION:
		e->st = E_OK;
		e->refresh_ms = now_ms + refresh_after_ms(TURNC_PERM_LIFETIME_S);
		flush_queue(tc, now_ms, &e->addr, true);
		break;
	case TX_CHANNEL:
		e->st = E_OK;
		e->refresh_ms = now_ms + refresh_after_ms(TURNC_CHAN_LIFETIME_S);
		break;
	}
}

static struct tx *find_tx(struct turnc *tc, const uint8_t *txid)
{
	for (size_t i = 0; i < MAX_TX; i++)
		if (tc->tx[i].used && memcmp(tc->tx[i].sched.txid, txid, STUN_TXID_SIZE) == 0)
			return &tc->tx[i];
	return NULL;
}

static bool response_in(struct turnc *tc, uint64_t now_ms, const struct stun_msg *m)
{
	struct tx *t = find_tx(tc, m->txid);
	struct icl_err err;

	if (!t || m->method != tx_methods[t->kind])
		return false;
	/* RFC 8489 9.2.4: a response that fails integrity is discarded as if
	 * never received; the retransmissions go on.  A 401 or 438 cannot be
	 * signed with a key the server does not share, so those carry their
	 * cause unchecked. */
	if (t->authed && (m->has & STUN_HAS_INTEGRITY) && m->error_code != 401 &&
	    m->error_code != 438 &&
	    stun_check_integrity(m, tc->key, sizeof(tc->key), &err) < 0)
		return true;
	if (m->cls == STUN_ERROR)
		error_response(tc, now_ms, t, m);
	else
		success_response(tc, now_ms, t, m);
	return true;
}

/* ---- Data from peers -------------------------------------------------- */

static bool channel_data_in(struct turnc *tc, const uint8_t *buf, size_t len)
{
	uint16_t number = (uint16_t)(buf[0] << 8 | buf[1]);
	size_t n = (size_t)(buf[2] << 8 | buf[3]);

	if (len < CHANDATA_HDR + n)
		return true;   /* truncated: the server's, and garbage */
	for (size_t i = 0; i < tc->n_chans; i++)
		if (tc->chans[i].number == number && tc->chans[i].st == E_OK) {
			tc->cb.data(tc->cb.user, tc, &tc->chans[i].addr, buf + CHANDATA_HDR, n);
			break;
		}
	return true;
}

bool turnc_recv(struct turnc *tc, uint64_t now_ms, const union stun_addr *from,
		const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	struct icl_err err;

	if (!stun_addr_equal(from, &tc->cfg.server) || len < CHANDATA_HDR ||
	    tc->state == TURNC_IDLE)
		return false;
	/* RFC 7983: 64-79 is ChannelData. */
	if (buf[0] >= 0x40 && buf[0] <= 0x4f)
		return tc->state == TURNC_READY ? channel_data_in(tc, buf, len) : false;
	if (!stun_is_stun(buf, len) || stun_decode(buf, len, &m, &err) < 0)
		return false;
	if (m.cls == STUN_INDICATION && m.method == STUN_DATA) {
		if (tc->state == TURNC_READY && (m.has & STUN_HAS_XOR_PEER) && (m.has & STUN_HAS_DATA))
			tc->cb.data(tc->cb.user, tc, &m.xor_peer, m.data.ptr, m.data.len);
		return true;
	}
	if (m.cls == STUN_SUCCESS || m.cls == STUN_ERROR)
		return response_in(tc, now_ms, &m);
	return false;
}

/* ---- Time ------------------------------------------------------------- */

static void refresh_entries(struct turnc *tc, uint64_t now_ms, struct entry *e, size_t n,
			    enum tx_kind kind)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].st == E_OK && !e[i].busy && now_ms >= e[i].refresh_ms)
			start_tx(tc, kind, (int)i, 0, 0, now_ms);
}

void turnc_tick(struct turnc *tc, uint64_t now_ms)
{
	for (size_t i = 0; i < MAX_TX; i++) {
		struct tx *t = &tc->tx[i];
		char cause[64];

		if (!t->used)
			continue;
		switch (stun_tx_poll(&t->sched, now_ms)) {
		case STUN_TX_RESEND:
			send_tx(tc, t);
			break;
		case STUN_TX_TIMEOUT:
			snprintf(cause, sizeof(cause), "no answer in %d ms", TURNC_RTO_MS *
				 ((1 << (TURNC_RC - 1)) - 1 + TURNC_RM));
			request_failed(tc, now_ms, t, cause);
			break;
		case STUN_TX_WAIT:
			break;
		}
	}
	if (tc->state != TURNC_READY)
		return;
	if (!tc->refreshing && now_ms >= tc->refresh_ms)
		start_tx(tc, TX_REFRESH, -1, tc->cfg.lifetime_s, 0, now_ms);
	refresh_entries(tc, now_ms, tc->perms, tc->n_perms, TX_PERMISSION);
	refresh_entries(tc, now_ms, tc->chans, tc->n_chans, TX_CHANNEL);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t turnc_deadline(const struct turnc *tc)
{
	uint64_t due = UINT64_MAX;

	for (size_t i = 0; i < MAX_TX; i++)
		if (tc->tx[i].used)
			due = min_u64(due, stun_tx_deadline(&tc->tx[i].sched));
	if (tc->state != TURNC_READY)
		return due;
	if (!tc->refreshing)
		due = min_u64(due, tc->refresh_ms);
	for (size_t i = 0; i < tc->n_perms; i++)
		if (tc->perms[i].st == E_OK && !tc->perms[i].busy)
			due = min_u64(due, tc->perms[i].refresh_ms);
	for (size_t i = 0; i < tc->n_chans; i++)
		if (tc->chans[i].st == E_OK && !tc->chans[i].busy)
			due = min_u64(due, tc->chans[i].refresh_ms);
	return due;
}

/* ---- Life cycle ------------------------------------------------------- */

struct turnc *turnc_new(const struct turnc_config *cfg, const struct turnc_callbacks *cb,
			struct icl_err *err)
{
	struct turnc *tc;
	int fam = cfg->server.sa.sa_family;

	if (!cb->send || !cb->data || (fam != AF_INET && fam != AF_INET6)) {
		icl_err_set(err, -EINVAL, "turn: a server address and send and data callbacks are needed");
		return NULL;
	}
	tc = calloc(1, sizeof(*tc));
	if (!tc) {
		icl_err_set(err, -ENOMEM, "turn: out of memory");
		return NULL;
	}
	tc->cfg = *cfg;
	tc->cb = *cb;
	if (!tc->cfg.family)
		tc->cfg.family = fam;
	if (!tc->cfg.lifetime_s)
		tc->cfg.lifetime_s = TURNC_LIFETIME_S;
	return tc;
}

void turnc_free(struct turnc *tc)
{
	free(tc);
}

int turnc_start(struct turnc *tc, uint64_t now_ms, struct icl_err *err)
{
	if (tc->state != TURNC_IDLE)
		return icl_err_set(err, -EALREADY, "turn: already started");
	tc->state = TURNC_ALLOCATING;
	if (!start_tx(tc, TX_ALLOCATE, -1, 0, 0, now_ms)) {
		tc->state = TURNC_FAILED;
		set_why(tc, "cannot start an Allocate transaction");
		return icl_err_set(err, -EIO, "%s", tc->why);
	}
	return 0;
}

void turnc_close(struct turnc *tc, uint64_t now_ms)
{
	bool ready = tc->state == TURNC_READY;

	for (size_t i = 0; i < MAX_TX; i++)
		end_tx(tc, &tc->tx[i]);
	tc->n_q = 0;
	/* 7.3: LIFETIME 0 deletes the allocation now instead of after its
	 * lifetime; sent once, the answer is not waited for. */
	if (ready) {
		struct tx *t = start_tx(tc, TX_REFRESH, -1, 0, 0, now_ms);

		if (t)
			end_tx(tc, t);
	}
	tc->state = TURNC_CLOSED;
}

enum turnc_state turnc_state(const struct turnc *tc)
{
	return tc->state;
}

const char *turnc_why(const struct turnc *tc)
{
	return tc->why;
}

int turnc_why_code(const struct turnc *tc)
{
	return tc->why_code;
}

const union stun_addr *turnc_relayed(const struct turnc *tc)
{
	return &tc->relayed;
}

const union stun_addr *turnc_mapped(const struct turnc *tc)
{
	return &tc->mapped;
}

const struct turnc_config *turnc_config(const struct turnc *tc)
{
	return &tc->cfg;
}

uint32_t turnc_lifetime(const struct turnc *tc)
{
	return tc->lifetime_s;
}
