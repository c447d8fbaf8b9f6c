/* dtls.c - DTLS 1.2 over OpenSSL 3, sans I/O (see dtls.h).
 *
 * One custom BIO is both the read and the write side of each SSL: a read
 * hands OpenSSL exactly the one datagram being fed by dtls_conn_recv
 * (datagram boundaries matter: DTLS drops the rest of a datagram after a
 * bad record), a write is one datagram for the `send` callback.  During
 * the handshake OpenSSL stacks its own buffering BIO on top and flushes
 * it before a record would overflow the MTU, so a flight's records are
 * coalesced into datagrams of at most DTLS_MTU bytes.
 *
 * Callbacks from inside OpenSSL (BIO, verify, info) only record what they
 * saw; state changes happen after the SSL call returns, in set_state().
 * OpenSSL is not re-entrant, so a dtls_conn_recv made from inside the
 * send callback is deferred until the SSL call in progress returns.
 */
#include "dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define FP_LEN          32          /* SHA-256 */
#define DEFER_MAX       16          /* datagrams kept for later */
#define REASON_MAX      512
#define TIMER_FIRST_US  1000000u    /* RFC 6347 4.2.4.1: 1 s ... */
#define TIMER_MAX_US    60000000u   /* ... doubling up to 60 s */
#define CERT_BEFORE_S   (-86400L)   /* tolerate a peer clock a day behind */
#define CERT_AFTER_S    (30L * 86400L)
#define NO_ALERT        (-1)

struct dtls_cert {
	EVP_PKEY *key;
	X509 *x509;
	char fp[DTLS_FP_STRLEN];
};

struct dgram {
	uint8_t *buf;
	size_t len;
};

struct dtls_conn {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO_METHOD *meth;
	struct dtls_callbacks cb;
	enum dtls_state st;
	bool active;
	uint8_t remote_fp[FP_LEN];
	char remote_hex[DTLS_FP_STRLEN];
	/* The datagram being fed to OpenSSL; the BIO hands it out once. */
	const uint8_t *in;
	size_t in_len;
	/* Datagrams received before start, or from inside an OpenSSL call
	 * (a send callback that delivers synchronously to a peer that
	 * answers at once): processed, oldest first, once we are free. */
	struct dgram defer[DEFER_MAX];
	size_t ndefer;
	bool in_ssl;    /* inside an SSL call: our BIO may be running */
	/* Why we failed; the verify callback fills it first when it can. */
	char why[REASON_MAX];
	int alert_in;   /* last fatal alert received (SSL info value) */
	int alert_out;  /* last fatal alert sent */
	uint8_t rx[SSL3_RT_MAX_PLAIN_LENGTH];
};

/* ---- helpers ------------------------------------------------------------- */

const char *dtls_state_name(enum dtls_state st)
{
	switch (st) {
	case DTLS_NEW:        return "new";
	case DTLS_CONNECTING: return "connecting";
	case DTLS_CONNECTED:  return "connected";
	case DTLS_FAILED:     return "failed";
	case DTLS_CLOSED:     return "closed";
	}
	return "?";
}

bool dtls_is_dtls(const uint8_t *buf, size_t len)
{
	return len > 0 && buf[0] >= 20 && buf[0] <= 63;
}

/* Drain OpenSSL's (thread-wide) error queue into `buf`, so that one
 * connection's errors never show up in another's reason. */
static void ossl_errors(char *buf, size_t cap)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];
		int n;

		ERR_error_string_n(e, one, sizeof(one));
		if (used >= cap)
			continue;
		n = snprintf(buf + used, cap - used, "%s%s", used ? "; " : "", one);
		used += n > 0 ? (size_t)n : 0;
	}
}

static int ossl_err(struct icl_err *err, int code, const char *what)
{
	char q[REASON_MAX];

	ossl_errors(q, sizeof(q));
	return icl_err_set(err, code, "%s: %s", what, q[0] ? q : "no OpenSSL error");
}

static void fp_hex(const uint8_t md[FP_LEN], char out[DTLS_FP_STRLEN])
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < FP_LEN; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 15];
		out[3 * i + 2] = i + 1 < FP_LEN ? ':' : '\0';
	}
}

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Strict "AB:CD:..." with either case: comparing bytes makes the
 * fingerprint check case-insensitive for free. */
static bool fp_parse(const char *s, uint8_t out[FP_LEN])
{
	if (s == NULL || strlen(s) != DTLS_FP_STRLEN - 1)
		return false;
	for (size_t i = 0; i < FP_LEN; i++) {
		int hi = hex_val(s[3 * i]), lo = hex_val(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i + 1 < FP_LEN && s[3 * i + 2] != ':'))
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool cert_digest(const X509 *x, uint8_t md[FP_LEN])
{
	uint8_t buf[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (X509_digest(x, EVP_sha256(), buf, &n) != 1 || n != FP_LEN)
		return false;
	memcpy(md, buf, FP_LEN);
	return true;
}

/* ---- certificate --------------------------------------------------------- */

static int cert_sign(struct dtls_cert *c, struct icl_err *err)
{
	X509 *x = c->x509;
	X509_NAME *name = X509_get_subject_name(x);
	uint64_t serial;

	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		return ossl_err(err, -EIO, "certificate serial");
	/* RFC 5280 4.1.2.2: positive, at most 20 octets. */
	serial = (serial >> 1) | 1;
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), CERT_BEFORE_S) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), CERT_AFTER_S) == NULL ||
	    name == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"icelab", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, c->key) != 1 ||
	    X509_sign(x, c->key, EVP_sha256()) <= 0)
		return ossl_err(err, -EIO, "making the certificate");
	return 0;
}

int dtls_cert_new(struct dtls_cert **out, struct icl_err *err)
{
	struct dtls_cert *c = calloc(1, sizeof(*c));
	uint8_t md[FP_LEN];
	int rc;

	*out = NULL;
	if (c == NULL)
		return icl_err_set(err, -ENOMEM, "DTLS certificate: out of memory");
	ERR_clear_error();
	c->key = EVP_EC_gen("P-256");
	if (c->key == NULL)
		rc = ossl_err(err, -EIO, "generating the P-256 key");
	else if ((c->x509 = X509_new()) == NULL)
		rc = ossl_err(err, -ENOMEM, "allocating the certificate");
	else
		rc = cert_sign(c, err);
	if (rc == 0 && !cert_digest(c->x509, md))
		rc = ossl_err(err, -EIO, "certificate fingerprint");
	if (rc < 0) {
		dtls_cert_free(c);
		return rc;
	}
	fp_hex(md, c->fp);
	*out = c;
	return 0;
}

void dtls_cert_free(struct dtls_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c)
{
	return c->fp;
}

/* ---- state --------------------------------------------------------------- */

/* The one door for state changes: the callback sees real changes only. */
static void set_state(struct dtls_conn *c, enum dtls_state st, const char *reason)
{
	if (c->st == st)
		return;
	c->st = st;
	if (c->cb.state != NULL)
		c->cb.state(c->cb.user, st, reason);
}

static bool live(const struct dtls_conn *c)
{
	return c->st == DTLS_CONNECTING || c->st == DTLS_CONNECTED;
}

/* Fail with the most specific cause known: our fingerprint check, the
 * peer's alert, OpenSSL's error queue, the alert we sent. */
static void fail(struct dtls_conn *c)
{
	char q[REASON_MAX];
	size_t cap = sizeof(c->why);

	ossl_errors(q, sizeof(q));
	if (c->why[0] != '\0')
		;               /* the fingerprint check said why */
	else if (c->alert_in != NO_ALERT)
		snprintf(c->why, cap, "peer sent fatal alert: %s",
			 SSL_alert_desc_string_long(c->alert_in));
	else if (q[0] != '\0')
		memcpy(c->why, q, cap);
	else if (c->alert_out != NO_ALERT)
		snprintf(c->why, cap, "sent fatal alert: %s",
			 SSL_alert_desc_string_long(c->alert_out));
	else
		snprintf(c->why, cap, "DTLS failed without an OpenSSL error");
	set_state(c, DTLS_FAILED, c->why);
}

/* After an SSL call returned `r` <= 0: wait, close or fail. */
static void after_error(struct dtls_conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return;
	case SSL_ERROR_ZERO_RETURN:
		set_state(c, DTLS_CLOSED, "peer sent close_notify");
		return;
	default:
		fail(c);
	}
}

/* ---- OpenSSL callbacks ----------------------------------------------------- */

static int bio_write(BIO *b, const char *buf, int len)
{
	struct dtls_conn *c = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	c->cb.send(c->cb.user, (const uint8_t *)buf, (size_t)len);
	return len;
}

static int bio_read(BIO *b, char *buf, int len)
{
	struct dtls_conn *c = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (c->in == NULL || len <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	/* A datagram longer than the buffer is truncated, as recvfrom would. */
	n = c->in_len < (size_t)len ? c->in_len : (size_t)len;
	memcpy(buf, c->in, n);
	c->in = NULL;
	c->in_len = 0;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_conn *c = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;       /* every write already left as a datagram */
	case BIO_CTRL_PENDING:
		return c->in != NULL ? (long)c->in_len : 0;
	case BIO_CTRL_WPENDING:
		return 0;
	case BIO_CTRL_DGRAM_QUERY_MTU:
		return DTLS_MTU;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0;       /* DTLS_MTU already counts only the UDP payload */
	default:
		return 0;
	}
}

/* RFC 6347 4.2.4.1 timer, stated here so it does not depend on the
 * OpenSSL version's default. */
static unsigned int next_timer(SSL *ssl, unsigned int us)
{
	(void)ssl;
	if (us == 0)
		return TIMER_FIRST_US;
	return us >= TIMER_MAX_US / 2 ? TIMER_MAX_US : us * 2;
}

/* Remember fatal alerts: they name the cause better than the error queue. */
static void on_info(const SSL *ssl, int where, int ret)
{
	struct dtls_conn *c;

	if (!(where & SSL_CB_ALERT) || (ret >> 8) != SSL3_AL_FATAL)
		return;
	c = SSL_get_app_data(ssl);
	if (where & SSL_CB_READ)
		c->alert_in = ret;
	else
		c->alert_out = ret;
}

/* Compare the peer's certificate with the signalled fingerprint; on a
 * mismatch leave the reason in c->why. */
static bool peer_matches(struct dtls_conn *c, const X509 *peer)
{
	uint8_t md[FP_LEN];
	char got[DTLS_FP_STRLEN];

	if (peer == NULL) {
		snprintf(c->why, sizeof(c->why), "peer sent no certificate");
		return false;
	}
	if (!cert_digest(peer, md)) {
		snprintf(c->why, sizeof(c->why), "cannot hash the peer certificate");
		return false;
	}
	if (memcmp(md, c->remote_fp, FP_LEN) == 0)
		return true;
	fp_hex(md, got);
	snprintf(c->why, sizeof(c->why), "fingerprint mismatch: got %s, expected %s",
		 got, c->remote_hex);
	return false;
}

/* Replaces chain verification: the certificate is self-signed and is
 * trusted only through the fingerprint.  Returning 0 with
 * X509_V_ERR_CERT_REJECTED makes OpenSSL send bad_certificate. */
static int verify_fp(X509_STORE_CTX *x, void *arg)
{
	struct dtls_conn *c = arg;

	if (peer_matches(c, X509_STORE_CTX_get0_cert(x))) {
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* ---- connection ---------------------------------------------------------- */

static int conn_ctx(struct dtls_conn *c, const struct dtls_cert *cert, struct icl_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_method());

	c->ctx = ctx;
	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, cert->key) != 1)
		return ossl_err(err, -EIO, "DTLS context");
	/* No resumption (fresh certificates every run), so no tickets; the
	 * MTU is ours to state, not to probe. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Both sides demand a certificate (mutual, as in WebRTC). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_fp, c);
	return 0;
}

static int conn_bio_method(struct dtls_conn *c, struct icl_err *err)
{
	/* A fixed type: BIO_get_new_index has only ~127 values per process. */
	c->meth = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "icelab-dtls");
	if (c->meth == NULL ||
	    BIO_meth_set_write(c->meth, bio_write) != 1 ||
	    BIO_meth_set_read(c->meth, bio_read) != 1 ||
	    BIO_meth_set_ctrl(c->meth, bio_ctrl) != 1)
		return ossl_err(err, -ENOMEM, "DTLS BIO method");
	return 0;
}

static int conn_ssl(struct dtls_conn *c, struct icl_err *err)
{
	BIO *b;

	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL)
		return ossl_err(err, -ENOMEM, "DTLS session");
	b = BIO_new(c->meth);
	if (b == NULL)
		return ossl_err(err, -ENOMEM, "DTLS BIO");
	BIO_set_data(b, c);
	BIO_set_init(b, 1);
	SSL_set_bio(c->ssl, b, b);      /* one reference, owned by the SSL */
	SSL_set_app_data(c->ssl, c);
	SSL_set_info_callback(c->ssl, on_info);
	DTLS_set_timer_cb(c->ssl, next_timer);
	if (SSL_set_mtu(c->ssl, DTLS_MTU) <= 0)
		return ossl_err(err, -EIO, "DTLS MTU");
	return 0;
}

struct dtls_conn *dtls_conn_new(const struct dtls_cert *cert, bool active,
				const char *remote_fp, const struct dtls_callbacks *cb,
				struct icl_err *err)
{
	struct dtls_conn *c;

	if (cert == NULL || cb == NULL || cb->send == NULL) {
		icl_err_set(err, -EINVAL, "DTLS: certificate and send callback are required");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		icl_err_set(err, -ENOMEM, "DTLS: out of memory");
		return NULL;
	}
	if (!fp_parse(remote_fp, c->remote_fp)) {
		icl_err_set(err, -EINVAL, "DTLS: bad remote fingerprint '%s' (want 32 hex bytes AB:CD:...)",
			    remote_fp != NULL ? remote_fp : "(null)");
		free(c);
		return NULL;
	}
	fp_hex(c->remote_fp, c->remote_hex);
	c->cb = *cb;
	c->active = active;
	c->st = DTLS_NEW;
	c->alert_in = c->alert_out = NO_ALERT;
	ERR_clear_error();
	if (conn_ctx(c, cert, err) < 0 || conn_bio_method(c, err) < 0 ||
	    conn_ssl(c, err) < 0) {
		dtls_conn_free(c);
		return NULL;
	}
	return c;
}

static void defer_clear(struct dtls_conn *c)
{
	for (size_t i = 0; i < c->ndefer; i++)
		free(c->defer[i].buf);
	c->ndefer = 0;
}

void dtls_conn_free(struct dtls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);               /* frees the BIO, sends nothing */
	SSL_CTX_free(c->ctx);
	BIO_meth_free(c->meth);         /* after the BIO that uses it */
	defer_clear(c);
	free(c);
}

static void read_all(struct dtls_conn *c)
{
	for (;;) {
		int n;

		ERR_clear_error();
		c->in_ssl = true;
		n = SSL_read(c->ssl, c->rx, sizeof(c->rx));
		c->in_ssl = false;
		if (n <= 0) {
			after_error(c, n);
			return;
		}
		if (c->cb.data != NULL)
			c->cb.data(c->cb.user, c->rx, (size_t)n);
		if (c->st != DTLS_CONNECTED)
			return;
	}
}

/* Run OpenSSL on the input in hand: the handshake while connecting,
 * reads (and the peer's retransmissions) once connected. */
static void drive(struct dtls_conn *c)
{
	if (c->st == DTLS_CONNECTING) {
		int r;

		ERR_clear_error();
		c->in_ssl = true;
		r = SSL_do_handshake(c->ssl);
		c->in_ssl = false;
		if (r != 1) {
			after_error(c, r);
			return;
		}
		/* The verify callback already checked; this guards against a
		 * handshake that somehow skipped the certificate. */
		if (!peer_matches(c, SSL_get0_peer_certificate(c->ssl))) {
			fail(c);
			return;
		}
		set_state(c, DTLS_CONNECTED, NULL);
	}
	if (c->st == DTLS_CONNECTED)
		read_all(c);
}

static void feed(struct dtls_conn *c, const uint8_t *buf, size_t len)
{
	c->in = buf;
	c->in_len = len;
	drive(c);
	c->in = NULL;
	c->in_len = 0;
}

/* Keep a copy for later; DTLS is lossy, so an overflow just drops. */
static void defer(struct dtls_conn *c, const uint8_t *buf, size_t len)
{
	struct dgram *d = &c->defer[c->ndefer];

	if (c->ndefer == DEFER_MAX || (d->buf = malloc(len)) == NULL)
		return;
	memcpy(d->buf, buf, len);
	d->len = len;
	c->ndefer++;
}

/* Feed what was deferred, oldest first (feeding may defer more); once
 * failed or closed, just discard it. */
static void drain(struct dtls_conn *c)
{
	while (c->ndefer > 0 && !c->in_ssl && c->st != DTLS_NEW) {
		struct dgram d = c->defer[0];

		c->ndefer--;
		memmove(&c->defer[0], &c->defer[1], c->ndefer * sizeof(d));
		if (live(c))
			feed(c, d.buf, d.len);
		free(d.buf);
	}
}

void dtls_conn_start(struct dtls_conn *c)
{
	if (c->st != DTLS_NEW)
		return;
	if (c->active)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	set_state(c, DTLS_CONNECTING, NULL);
	drive(c);                       /* active: the ClientHello leaves */
	drain(c);                       /* what the peer sent before start */
}

void dtls_conn_recv(struct dtls_conn *c, const uint8_t *buf, size_t len)
{
	if (!dtls_is_dtls(buf, len))
		return;
	if (c->st == DTLS_NEW || c->in_ssl) {
		defer(c, buf, len);
		return;
	}
	if (live(c))
		feed(c, buf, len);
	drain(c);
}

int dtls_conn_send(struct dtls_conn *c, const uint8_t *buf, size_t len, struct icl_err *err)
{
	size_t max;
	int n, rc = 0;

	if (c->st != DTLS_CONNECTED)
		return icl_err_set(err, -ENOTCONN, "DTLS send: connection is %s",
				   dtls_state_name(c->st));
	if (c->in_ssl)
		return icl_err_set(err, -EAGAIN, "DTLS send: called from inside the send callback");
	if (len == 0)
		return 0;
	/* One message, one record, one datagram: no splitting. */
	max = DTLS_get_data_mtu(c->ssl);
	if (len > max)
		return icl_err_set(err, -EMSGSIZE, "DTLS send: %zu bytes exceed one record (%zu)",
				   len, max);
	ERR_clear_error();
	c->in_ssl = true;
	n = SSL_write(c->ssl, buf, (int)len);
	c->in_ssl = false;
	if (n != (int)len) {
		after_error(c, n);
		rc = icl_err_set(err, -EIO, "DTLS send: %s",
				 c->st == DTLS_FAILED ? c->why : "record not written");
	}
	drain(c);
	return rc;
}

void dtls_conn_close(struct dtls_conn *c)
{
	if (c->st == DTLS_CLOSED || c->st == DTLS_FAILED)
		return;
	/* OpenSSL refuses close_notify mid-handshake; the peer then times
	 * out.  From inside the send callback we cannot re-enter OpenSSL. */
	if (c->st == DTLS_CONNECTED && !c->in_ssl) {
		ERR_clear_error();
		c->in_ssl = true;
		SSL_shutdown(c->ssl);
		c->in_ssl = false;
		ERR_clear_error();
	}
	set_state(c, DTLS_CLOSED, "closed locally");
	drain(c);
}

void dtls_conn_tick(struct dtls_conn *c)
{
	int r;

	if (!live(c) || c->in_ssl)
		return;
	ERR_clear_error();
	/* Retransmits the last flight if its timer expired; <0 once the
	 * retransmissions are exhausted. */
	c->in_ssl = true;
	r = DTLSv1_handle_timeout(c->ssl);
	c->in_ssl = false;
	if (r < 0)
		fail(c);
	drain(c);
}

long dtls_conn_timeout_ms(struct dtls_conn *c)
{
	struct timeval tv;

	if (!live(c) || DTLSv1_get_timeout(c->ssl, &tv) <= 0)
		return -1;
	/* Round up so a timer armed for this long finds the work due. */
	return (long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

enum dtls_state dtls_conn_state(const struct dtls_conn *c)
{
	return c->st;
}

bool dtls_conn_active(const struct dtls_conn *c)
{
	return c->active;
}
