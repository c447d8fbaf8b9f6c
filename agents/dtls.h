/* dtls.h - one DTLS 1.2 association over ICE (OpenSSL), sans I/O.
 *
 * Records go in through dtls_conn_recv and out through the `send`
 * callback, so the owner decides which pair carries each flight (a
 * retransmitted flight follows a change of selected pair).  The peer's
 * certificate is self-signed and accepted only when its SHA-256
 * fingerprint equals the one received in signalling (RFC 8122, RFC 8842).
 * Retransmission: OpenSSL's DTLS timer (DTLSv1_get_timeout, 1 s doubling
 * to 60 s); the owner arms a timer for dtls_conn_timeout_ms() and calls
 * dtls_conn_tick() when it fires.
 *
 * Threading: one thread.  Callbacks run inside the dtls_conn_* call that
 * caused them and must not free the connection.
 */
#ifndef AGENTS_DTLS_H
#define AGENTS_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

/* "AB:CD:..." upper-case hex, 32 bytes: 95 characters plus NUL. */
#define DTLS_FP_STRLEN 96
/* Records must fit in one datagram (RFC 6347 4.1.1). */
#define DTLS_MTU 1200

/* A key pair and self-signed certificate (ECDSA P-256), created once per
 * agent.  Owned by the caller; must outlive every dtls_conn using it. */
struct dtls_cert;
int dtls_cert_new(struct dtls_cert **out, struct icl_err *err);
void dtls_cert_free(struct dtls_cert *c);
/* "sha-256 AB:CD:..." is what signalling carries; this returns the hex
 * part, valid as long as the certificate. */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);

enum dtls_state {
	DTLS_NEW,
	DTLS_CONNECTING,
	DTLS_CONNECTED,
	DTLS_FAILED,      /* handshake error, bad fingerprint, alert */
	DTLS_CLOSED,      /* close_notify received or sent */
};

struct dtls_callbacks {
	void *user;
	/* One whole record (or several coalesced in one datagram). */
	void (*send)(void *user, const uint8_t *buf, size_t len);
	/* `reason` is set for DTLS_FAILED (OpenSSL's error queue, or
	 * "fingerprint mismatch: got X, expected Y"); valid during the call. */
	void (*state)(void *user, enum dtls_state st, const char *reason);
	/* Application data, decrypted. */
	void (*data)(void *user, const uint8_t *buf, size_t len);
};

struct dtls_conn;

/* `active`: this side is the DTLS client (setup:active, RFC 8842); else
 * it waits for a ClientHello.  `remote_fp` is hex "AB:CD:..." (case
 * insensitive).  Nothing is sent until dtls_conn_start. */
struct dtls_conn *dtls_conn_new(const struct dtls_cert *cert, bool active,
				const char *remote_fp, const struct dtls_callbacks *cb,
				struct icl_err *err);
void dtls_conn_free(struct dtls_conn *c);

/* Active: send the ClientHello.  Passive: start accepting one.  Records
 * received before start are processed by start. */
void dtls_conn_start(struct dtls_conn *c);
/* A datagram whose first byte is 20..63 (RFC 7983). */
void dtls_conn_recv(struct dtls_conn *c, const uint8_t *buf, size_t len);
/* Encrypt and send application data; <0 unless connected. */
int dtls_conn_send(struct dtls_conn *c, const uint8_t *buf, size_t len, struct icl_err *err);
/* Send close_notify if connected; the state becomes DTLS_CLOSED. */
void dtls_conn_close(struct dtls_conn *c);
/* Handle a retransmission timeout if one is due. */
void dtls_conn_tick(struct dtls_conn *c);
/* Milliseconds until dtls_conn_tick has work, or -1 for none. */
long dtls_conn_timeout_ms(struct dtls_conn *c);
enum dtls_state dtls_conn_state(const struct dtls_conn *c);
bool dtls_conn_active(const struct dtls_conn *c);

/* RFC 7983 5: 20..63 is DTLS. */
bool dtls_is_dtls(const uint8_t *buf, size_t len);

const char *dtls_state_name(enum dtls_state st);

#endif
