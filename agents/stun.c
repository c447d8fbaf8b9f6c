/* stun.c - the STUN codec of stun.h (RFC 8489, with the ICE and TURN
 * attributes of RFC 8445 and RFC 8656).
 *
 * The decoder walks the attributes once.  Every read is preceded by a
 * check against the end of the datagram, so a hostile length can only
 * produce a rejection.  Sizes of known attributes are checked from one
 * table so that the rules are visible in one place.
 */
#include "stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <zlib.h>

#define ATTR_HDR        4
#define MI_SIZE         20          /* HMAC-SHA1 */
#define FP_SIZE         4
#define MAX_TEXT        763         /* RFC 8489 14.9, 14.10, 14.14: decoding limit */
#define MAX_USERNAME    513         /* RFC 5389 15.3; RFC 8489 says < 509 to send */
#define COOKIE_PORT_XOR (STUN_MAGIC_COOKIE >> 16)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* ---- Message type (RFC 8489 5): the class bits sit inside the method. */

static uint16_t type_encode(uint16_t method, enum stun_class cls)
{
	unsigned m = method & 0xfff, c = (unsigned)cls & 3;

	return (uint16_t)((m & 0x00f) | (m & 0x070) << 1 | (m & 0xf80) << 2 |
			  (c & 1) << 4 | (c & 2) << 7);
}

static void type_decode(uint16_t t, uint16_t *method, enum stun_class *cls)
{
	*method = (uint16_t)((t & 0x000f) | (t & 0x00e0) >> 1 | (t & 0x3e00) >> 2);
	*cls = (enum stun_class)((t >> 4 & 1) | (t >> 7 & 2));
}

/* ---- HMAC-SHA1 ---------------------------------------------------------
 * The MAC covers a header whose length field differs from the one in the
 * buffer, so it is fed in two pieces rather than patched in place (the
 * decoder's buffer is const, and a copy of a 64 KiB message is wasteful).
 */
static int hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t hdr[STUN_HEADER_SIZE],
		     const uint8_t *body, size_t body_len, uint8_t out[MI_SIZE])
{
	static const uint8_t empty;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t out_len = 0;
	int ok;

	/* A NULL key would mean "keep the previous key" to OpenSSL. */
	ok = ctx && EVP_MAC_init(ctx, key ? key : &empty, key_len, params) &&
	     EVP_MAC_update(ctx, hdr, STUN_HEADER_SIZE) &&
	     EVP_MAC_update(ctx, body, body_len) &&
	     EVP_MAC_final(ctx, out, &out_len, MI_SIZE) && out_len == MI_SIZE;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -EIO;
}

/* HMAC of msg[0..mi_off) with the header length set as if the 24-byte
 * MESSAGE-INTEGRITY attribute at mi_off ended the message (RFC 8489 14.5). */
static int integrity_of(const uint8_t *msg, size_t mi_off, const uint8_t *key,
			size_t key_len, uint8_t out[MI_SIZE])
{
	uint8_t hdr[STUN_HEADER_SIZE];

	memcpy(hdr, msg, sizeof(hdr));
	put16(hdr + 2, (uint16_t)(mi_off + ATTR_HDR + MI_SIZE - STUN_HEADER_SIZE));
	return hmac_sha1(key, key_len, hdr, msg + STUN_HEADER_SIZE,
			 mi_off - STUN_HEADER_SIZE, out);
}

/* CRC of msg[0..fp_off); the header length must already count FINGERPRINT. */
static uint32_t fingerprint_of(const uint8_t *msg, size_t fp_off)
{
	return (uint32_t)crc32(0, msg, (uInt)fp_off) ^ STUN_FP_XOR;
}

/* ---- Decoding: one parser per attribute kind --------------------------- */

/* Which address field of the message an address attribute fills. */
static union stun_addr *addr_slot(struct stun_msg *msg, uint16_t type)
{
	switch (type) {
	case STUN_A_MAPPED_ADDRESS:      return &msg->mapped;
	case STUN_A_XOR_PEER_ADDRESS:    return &msg->xor_peer;
	case STUN_A_XOR_RELAYED_ADDRESS: return &msg->xor_relayed;
	default:                         return &msg->xor_mapped;
	}
}

/* Family and size must agree; the XOR key is the cookie for the port and
 * IPv4, cookie||transaction ID for IPv6 (RFC 8489 14.2). */
static int parse_addr(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		      size_t n, struct icl_err *err)
{
	union stun_addr *a = addr_slot(msg, type);
	uint8_t key[16] = { 0 };
	uint16_t port = get16(v + 2);
	size_t i;

	if (type != STUN_A_MAPPED_ADDRESS) {
		put32(key, STUN_MAGIC_COOKIE);
		memcpy(key + 4, msg->txid, STUN_TXID_SIZE);
		port ^= COOKIE_PORT_XOR;
	}
	memset(a, 0, sizeof(*a));
	if (v[1] != 0x01 && v[1] != 0x02)
		return icl_err_set(err, ICL_EINPUT, "address attribute 0x%04x: unknown address family 0x%02x",
				   type, v[1]);
	if (n != (v[1] == 0x01 ? 8u : 20u))
		return icl_err_set(err, ICL_EINPUT, "address attribute 0x%04x: family %u with length %zu",
				   type, v[1], n);
	if (v[1] == 0x01) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		for (i = 0; i < 4; i++)
			((uint8_t *)&a->in.sin_addr)[i] = v[4 + i] ^ key[i];
	} else {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons(port);
		for (i = 0; i < 16; i++)
			a->in6.sin6_addr.s6_addr[i] = v[4 + i] ^ key[i];
	}
	return 0;
}

static struct stun_str *str_slot(struct stun_msg *msg, uint16_t type)
{
	switch (type) {
	case STUN_A_USERNAME: return &msg->username;
	case STUN_A_SOFTWARE: return &msg->software;
	case STUN_A_REALM:    return &msg->realm;
	case STUN_A_NONCE:    return &msg->nonce;
	default:              return &msg->data;
	}
}

static int parse_str(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		     size_t n, struct icl_err *err)
{
	struct stun_str *s = str_slot(msg, type);

	(void)err;
	s->ptr = v;
	s->len = n;
	return 0;
}

/* Fixed-size numbers; the table has already checked the size. */
static int parse_num(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		     size_t n, struct icl_err *err)
{
	(void)n;
	(void)err;
	switch (type) {
	case STUN_A_PRIORITY:            msg->priority = get32(v); break;
	case STUN_A_LIFETIME:            msg->lifetime = get32(v); break;
	case STUN_A_CHANNEL_NUMBER:      msg->channel = get16(v); break;
	case STUN_A_REQUESTED_FAMILY:    msg->requested_family = v[0]; break;
	case STUN_A_REQUESTED_TRANSPORT: msg->requested_transport = v[0]; break;
	default:
		/* ICE-CONTROLLING/-CONTROLLED: one tiebreaker, the first wins
		 * like any duplicate would. */
		if (!(msg->has & (STUN_HAS_CONTROLLING | STUN_HAS_CONTROLLED)))
			msg->tiebreaker = (uint64_t)get32(v) << 32 | get32(v + 4);
		break;
	}
	return 0;
}

static int parse_flag(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		      size_t n, struct icl_err *err)
{
	(void)msg;
	(void)type;
	(void)v;
	(void)n;
	(void)err;
	return 0;
}

/* RFC 8489 14.8: 21 reserved bits, a 3-bit class and a number below 100. */
static int parse_error(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		       size_t n, struct icl_err *err)
{
	unsigned cls = v[2] & 7, num = v[3];

	(void)type;
	if (cls < 3 || cls > 6)
		return icl_err_set(err, ICL_EINPUT, "ERROR-CODE class %u out of 3..6", cls);
	if (num > 99)
		return icl_err_set(err, ICL_EINPUT, "ERROR-CODE number %u above 99", num);
	msg->error_code = (int)(cls * 100 + num);
	msg->error_reason.ptr = v + 4;
	msg->error_reason.len = n - 4;
	return 0;
}

static int parse_unknown(struct stun_msg *msg, uint16_t type, const uint8_t *v,
			 size_t n, struct icl_err *err)
{
	size_t i;

	(void)type;
	if (n % 2)
		return icl_err_set(err, ICL_EINPUT, "UNKNOWN-ATTRIBUTES length %zu is odd", n);
	for (i = 0; i < n / 2 && i < STUN_MAX_UNKNOWN; i++)
		msg->unknown_attrs[i] = get16(v + 2 * i);
	msg->n_unknown_attrs = i;
	return 0;
}

/* FINGERPRINT must end the message; say so rather than report the CRC
 * mismatch that a later attribute would also cause. */
static int parse_fingerprint(struct stun_msg *msg, uint16_t type, const uint8_t *v,
			     size_t n, struct icl_err *err)
{
	size_t off = (size_t)(v - ATTR_HDR - msg->raw), end = off + ATTR_HDR + FP_SIZE;
	uint32_t want = fingerprint_of(msg->raw, off);

	(void)type;
	(void)n;
	/* Bodies are multiples of 4, so a next attribute's type is there. */
	if (end < msg->raw_len)
		return icl_err_set(err, ICL_EINPUT, "attribute 0x%04x after FINGERPRINT",
				   get16(msg->raw + end));
	if (get32(v) != want)
		return icl_err_set(err, ICL_EINPUT, "FINGERPRINT mismatch: 0x%08x, computed 0x%08x",
				   get32(v), want);
	return 0;
}

/* Only remember where it is: the key depends on USERNAME and realm. */
static int parse_integrity(struct stun_msg *msg, uint16_t type, const uint8_t *v,
			   size_t n, struct icl_err *err)
{
	(void)type;
	(void)n;
	(void)err;
	msg->integrity_off = (size_t)(v - ATTR_HDR - msg->raw);
	return 0;
}

typedef int (*attr_parser)(struct stun_msg *msg, uint16_t type, const uint8_t *v,
			   size_t n, struct icl_err *err);

struct attr_rule {
	uint16_t type;
	const char *name;
	uint32_t bit;
	uint16_t min, max;      /* value size, bytes */
	attr_parser parse;
};

static const struct attr_rule rules[] = {
	{ STUN_A_MAPPED_ADDRESS, "MAPPED-ADDRESS", STUN_HAS_MAPPED, 8, 20, parse_addr },
	{ STUN_A_USERNAME, "USERNAME", STUN_HAS_USERNAME, 0, MAX_USERNAME, parse_str },
	{ STUN_A_MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY", STUN_HAS_INTEGRITY, MI_SIZE, MI_SIZE, parse_integrity },
	{ STUN_A_ERROR_CODE, "ERROR-CODE", STUN_HAS_ERROR, 4, 4 + MAX_TEXT, parse_error },
	{ STUN_A_UNKNOWN_ATTRIBUTES, "UNKNOWN-ATTRIBUTES", STUN_HAS_UNKNOWN_ATTRS, 0, 0xffff, parse_unknown },
	{ STUN_A_CHANNEL_NUMBER, "CHANNEL-NUMBER", STUN_HAS_CHANNEL, 4, 4, parse_num },
	{ STUN_A_LIFETIME, "LIFETIME", STUN_HAS_LIFETIME, 4, 4, parse_num },
	{ STUN_A_XOR_PEER_ADDRESS, "XOR-PEER-ADDRESS", STUN_HAS_XOR_PEER, 8, 20, parse_addr },
	{ STUN_A_DATA, "DATA", STUN_HAS_DATA, 0, 0xffff, parse_str },
	{ STUN_A_REALM, "REALM", STUN_HAS_REALM, 0, MAX_TEXT, parse_str },
	{ STUN_A_NONCE, "NONCE", STUN_HAS_NONCE, 0, MAX_TEXT, parse_str },
	{ STUN_A_XOR_RELAYED_ADDRESS, "XOR-RELAYED-ADDRESS", STUN_HAS_XOR_RELAYED, 8, 20, parse_addr },
	{ STUN_A_REQUESTED_FAMILY, "REQUESTED-ADDRESS-FAMILY", STUN_HAS_REQ_FAMILY, 4, 4, parse_num },
	{ STUN_A_REQUESTED_TRANSPORT, "REQUESTED-TRANSPORT", STUN_HAS_REQ_TRANSPORT, 4, 4, parse_num },
	{ STUN_A_XOR_MAPPED_ADDRESS, "XOR-MAPPED-ADDRESS", STUN_HAS_XOR_MAPPED, 8, 20, parse_addr },
	{ STUN_A_PRIORITY, "PRIORITY", STUN_HAS_PRIORITY, 4, 4, parse_num },
	{ STUN_A_USE_CANDIDATE, "USE-CANDIDATE", STUN_HAS_USE_CANDIDATE, 0, 0, parse_flag },
	{ STUN_A_SOFTWARE, "SOFTWARE", STUN_HAS_SOFTWARE, 0, MAX_TEXT, parse_str },
	{ STUN_A_FINGERPRINT, "FINGERPRINT", STUN_HAS_FINGERPRINT, FP_SIZE, FP_SIZE, parse_fingerprint },
	{ STUN_A_ICE_CONTROLLED, "ICE-CONTROLLED", STUN_HAS_CONTROLLED, 8, 8, parse_num },
	{ STUN_A_ICE_CONTROLLING, "ICE-CONTROLLING", STUN_HAS_CONTROLLING, 8, 8, parse_num },
};

static const struct attr_rule *rule_for(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

/* An address is 8 (IPv4) or 20 (IPv6) bytes, nothing in between. */
static bool size_ok(const struct attr_rule *r, size_t n)
{
	if (n < r->min || n > r->max)
		return false;
	return r->parse != parse_addr || n == 8 || n == 20;
}

static int size_error(const struct attr_rule *r, size_t n, struct icl_err *err)
{
	if (r->parse == parse_addr)
		return icl_err_set(err, ICL_EINPUT, "%s with length %zu (want 8 or 20)", r->name, n);
	if (r->min == r->max)
		return icl_err_set(err, ICL_EINPUT, "%s with length %zu (want %u)", r->name, n, r->min);
	return icl_err_set(err, ICL_EINPUT, "%s with length %zu (want %u..%u)",
			   r->name, n, r->min, r->max);
}

/* The attribute this codec does not know: a comprehension-required one is
 * remembered for a 420 (once, however often it appears), the rest skipped. */
static void note_unknown(struct stun_msg *msg, uint16_t type)
{
	size_t i;

	if (type >= 0x8000 || msg->n_unknown_required >= STUN_MAX_UNKNOWN)
		return;
	for (i = 0; i < msg->n_unknown_required; i++)
		if (msg->unknown_required[i] == type)
			return;
	msg->unknown_required[msg->n_unknown_required++] = type;
}

static int decode_attr(struct stun_msg *msg, uint16_t type, const uint8_t *v,
		       size_t n, struct icl_err *err)
{
	const struct attr_rule *r = rule_for(type);
	int rc;

	/* RFC 8489 14.5: integrity covers what comes before it, so anything
	 * later but FINGERPRINT is unprotected and MUST be ignored (not
	 * rejected: MESSAGE-INTEGRITY-SHA256 may legally follow).  The outer
	 * loop has already bounds-checked it. */
	if ((msg->has & STUN_HAS_INTEGRITY) && type != STUN_A_FINGERPRINT)
		return 0;
	if (r == NULL) {
		note_unknown(msg, type);
		return 0;
	}
	if (!size_ok(r, n))
		return size_error(r, n, err);
	/* RFC 8489 14: a repeated attribute is ignored, the first one counts. */
	if (msg->has & r->bit)
		return 0;
	rc = r->parse(msg, type, v, n, err);
	if (rc == 0)
		msg->has |= r->bit;
	return rc;
}

static int check_header(const uint8_t *buf, size_t len, struct icl_err *err)
{
	size_t body;

	if (len < STUN_HEADER_SIZE)
		return icl_err_set(err, ICL_EINPUT, "message too short: %zu bytes, header needs %d",
				   len, STUN_HEADER_SIZE);
	body = get16(buf + 2);
	if (buf[0] & 0xc0)
		return icl_err_set(err, ICL_EINPUT, "top two bits of the message type not zero (0x%02x)",
				   buf[0]);
	if (body % 4)
		return icl_err_set(err, ICL_EINPUT, "message length %zu not a multiple of 4", body);
	if (body != len - STUN_HEADER_SIZE)
		return icl_err_set(err, ICL_EINPUT, "message length field %zu does not match datagram body %zu",
				   body, len - STUN_HEADER_SIZE);
	if (get32(buf + 4) != STUN_MAGIC_COOKIE)
		return icl_err_set(err, ICL_EINPUT, "bad magic cookie 0x%08x", get32(buf + 4));
	return 0;
}

bool stun_is_stun(const uint8_t *buf, size_t len)
{
	return len >= STUN_HEADER_SIZE && buf[0] <= 3 &&
	       get32(buf + 4) == STUN_MAGIC_COOKIE;
}

int stun_decode(const uint8_t *buf, size_t len, struct stun_msg *msg,
		struct icl_err *err)
{
	size_t off = STUN_HEADER_SIZE;
	int rc;

	memset(msg, 0, sizeof(*msg));
	rc = check_header(buf, len, err);
	if (rc)
		return rc;
	type_decode(get16(buf), &msg->method, &msg->cls);
	memcpy(msg->txid, buf + 8, STUN_TXID_SIZE);
	msg->raw = buf;
	msg->raw_len = len;
	while (off < len) {
		uint16_t type, alen;

		/* Unreachable while the body is a multiple of 4; kept so the
		 * loop is safe without relying on check_header. */
		if (len - off < ATTR_HDR)
			return icl_err_set(err, ICL_EINPUT, "attribute header truncated at offset %zu", off);
		type = get16(buf + off);
		alen = get16(buf + off + 2);
		/* pad4: the padding must fit too, not only the value. */
		if (pad4(alen) > len - off - ATTR_HDR)
			return icl_err_set(err, ICL_EINPUT, "attribute 0x%04x length %u runs past the end (%zu left)",
					   type, alen, len - off - ATTR_HDR);
		rc = decode_attr(msg, type, buf + off + ATTR_HDR, alen, err);
		if (rc)
			return rc;
		off += ATTR_HDR + pad4(alen);
	}
	return 0;
}

size_t stun_xor_addrs(const struct stun_msg *msg, uint16_t type, union stun_addr *out,
		      size_t max)
{
	struct stun_msg tmp;
	struct icl_err err;
	size_t off = STUN_HEADER_SIZE, n = 0;

	if (msg->raw == NULL || type == STUN_A_MAPPED_ADDRESS)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.txid, msg->txid, STUN_TXID_SIZE);
	/* The layout was checked by stun_decode; stop where it stopped
	 * reading (MESSAGE-INTEGRITY) as it does. */
	while (off + ATTR_HDR <= msg->raw_len) {
		uint16_t t = get16(msg->raw + off), alen = get16(msg->raw + off + 2);

		if (t == STUN_A_MESSAGE_INTEGRITY || pad4(alen) > msg->raw_len - off - ATTR_HDR)
			break;
		if (t == type && parse_addr(&tmp, t, msg->raw + off + ATTR_HDR, alen, &err) == 0) {
			if (n < max)
				out[n] = *addr_slot(&tmp, t);
			n++;
		}
		off += ATTR_HDR + pad4(alen);
	}
	return n;
}

int stun_check_integrity(const struct stun_msg *msg, const uint8_t *key,
			 size_t key_len, struct icl_err *err)
{
	uint8_t mac[MI_SIZE];
	size_t off = msg->integrity_off;

	if (!(msg->has & STUN_HAS_INTEGRITY))
		return icl_err_set(err, ICL_EINPUT, "no MESSAGE-INTEGRITY");
	/* The decoder guarantees this; a hand-filled msg may not. */
	if (msg->raw == NULL || off < STUN_HEADER_SIZE || off + ATTR_HDR + MI_SIZE > msg->raw_len)
		return icl_err_set(err, ICL_EINPUT, "MESSAGE-INTEGRITY offset %zu out of the message", off);
	if (integrity_of(msg->raw, off, key, key_len, mac))
		return icl_err_set(err, -EIO, "HMAC-SHA1 failed in OpenSSL");
	if (CRYPTO_memcmp(mac, msg->raw + off + ATTR_HDR, MI_SIZE) != 0)
		return icl_err_set(err, ICL_EINPUT, "MESSAGE-INTEGRITY mismatch (wrong key or altered message)");
	return 0;
}

void stun_long_term_key(const char *username, const char *realm,
			const char *password, uint8_t key[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	/* Fed piecewise: no buffer to size for the joined string. */
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, username, strlen(username)) &&
	     EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, realm, strlen(realm)) &&
	     EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) &&
	     EVP_DigestFinal_ex(ctx, key, &n) && n == 16;
	EVP_MD_CTX_free(ctx);
	/* No error channel in the contract: a zero key then fails integrity
	 * checks loudly rather than leaving stack garbage as a key. */
	if (!ok)
		memset(key, 0, 16);
}

void stun_str_copy(struct stun_str s, char *out, size_t out_size)
{
	size_t n = s.len;

	if (out_size == 0)
		return;
	if (n > out_size - 1)
		n = out_size - 1;
	if (n)
		memcpy(out, s.ptr, n);
	out[n] = '\0';
}

/* ---- Encoding ----------------------------------------------------------
 * The header length is kept current after every attribute, because
 * MESSAGE-INTEGRITY and FINGERPRINT are computed over the header.
 */

static void set_error(struct stun_writer *w, int error)
{
	if (w->error == 0)
		w->error = error;
}

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap,
		      uint16_t method, enum stun_class cls,
		      const uint8_t txid[STUN_TXID_SIZE])
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->pad = 0;
	w->error = 0;
	if (buf == NULL || cap < STUN_HEADER_SIZE) {
		w->error = -ENOSPC;
		return;
	}
	put16(buf, type_encode(method, cls));
	put16(buf + 2, 0);
	put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_SIZE);
	w->len = STUN_HEADER_SIZE;
}

/* Room for an attribute with an n-byte value: writes its header and the
 * padding, returns where the value goes, or NULL (error recorded). */
static uint8_t *reserve(struct stun_writer *w, uint16_t type, size_t n)
{
	size_t total = ATTR_HDR + pad4(n);
	uint8_t *p;

	if (w->error)
		return NULL;
	/* The 16-bit length fields bound the message whatever the buffer. */
	if (n > 0xffff || total > w->cap - w->len ||
	    w->len + total - STUN_HEADER_SIZE > 0xffff) {
		set_error(w, -ENOSPC);
		return NULL;
	}
	p = w->buf + w->len;
	put16(p, type);
	put16(p + 2, (uint16_t)n);
	memset(p + ATTR_HDR + n, w->pad, pad4(n) - n);
	w->len += total;
	put16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_SIZE));
	return p + ATTR_HDR;
}

void stun_put_bytes(struct stun_writer *w, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = reserve(w, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void stun_put_str(struct stun_writer *w, uint16_t type, const char *s)
{
	stun_put_bytes(w, type, s, strlen(s));
}

void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
	uint8_t *p = reserve(w, type, 4);

	if (p)
		put32(p, v);
}

void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v)
{
	uint8_t *p = reserve(w, type, 8);

	if (p) {
		put32(p, (uint32_t)(v >> 32));
		put32(p + 4, (uint32_t)v);
	}
}

void stun_put_flag(struct stun_writer *w, uint16_t type)
{
	reserve(w, type, 0);
}

void stun_put_xor_addr(struct stun_writer *w, uint16_t type, const union stun_addr *a)
{
	bool v6 = a->sa.sa_family == AF_INET6;
	const uint8_t *ip;
	uint8_t *p;
	size_t i;

	if (!v6 && a->sa.sa_family != AF_INET) {
		set_error(w, -EAFNOSUPPORT);
		return;
	}
	p = reserve(w, type, v6 ? 20 : 8);
	if (p == NULL)
		return;
	ip = v6 ? a->in6.sin6_addr.s6_addr : (const uint8_t *)&a->in.sin_addr;
	p[0] = 0;
	p[1] = v6 ? 0x02 : 0x01;
	put16(p + 2, ntohs(v6 ? a->in6.sin6_port : a->in.sin_port) ^ COOKIE_PORT_XOR);
	/* Bytes 4..19 of the header are cookie || transaction ID: the key. */
	for (i = 0; i < (v6 ? 16u : 4u); i++)
		p[4 + i] = ip[i] ^ w->buf[4 + i];
}

void stun_put_error(struct stun_writer *w, int code, const char *reason)
{
	size_t n = strlen(reason);
	uint8_t *p;

	if (code < 300 || code > 699) {
		set_error(w, -EINVAL);
		return;
	}
	p = reserve(w, STUN_A_ERROR_CODE, 4 + n);
	if (p == NULL)
		return;
	p[0] = p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, n);
}

void stun_put_unknown(struct stun_writer *w, const uint16_t *types, size_t n)
{
	uint8_t *p;
	size_t i;

	if (n > 0xffff / 2) {
		set_error(w, -ENOSPC);
		return;
	}
	p = reserve(w, STUN_A_UNKNOWN_ATTRIBUTES, 2 * n);
	for (i = 0; p && i < n; i++)
		put16(p + 2 * i, types[i]);
}

void stun_put_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len)
{
	size_t off = w->len;
	uint8_t *p = reserve(w, STUN_A_MESSAGE_INTEGRITY, MI_SIZE);

	/* reserve() already set the length the HMAC must see. */
	if (p && hmac_sha1(key, key_len, w->buf, w->buf + STUN_HEADER_SIZE,
			   off - STUN_HEADER_SIZE, p))
		set_error(w, -EIO);
}

void stun_put_fingerprint(struct stun_writer *w)
{
	size_t off = w->len;
	uint8_t *p = reserve(w, STUN_A_FINGERPRINT, FP_SIZE);

	if (p)
		put32(p, fingerprint_of(w->buf, off));
}

int stun_writer_end(struct stun_writer *w)
{
	return w->error ? w->error : (int)w->len;
}

int stun_random_txid(uint8_t txid[STUN_TXID_SIZE])
{
	return RAND_bytes(txid, STUN_TXID_SIZE) == 1 ? 0 : -EIO;
}

const char *stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_BINDING:           return "Binding";
	case STUN_ALLOCATE:          return "Allocate";
	case STUN_REFRESH:           return "Refresh";
	case STUN_SEND:              return "Send";
	case STUN_DATA:              return "Data";
	case STUN_CREATE_PERMISSION: return "CreatePermission";
	case STUN_CHANNEL_BIND:      return "ChannelBind";
	default:                     return "unknown method";
	}
}

const char *stun_class_name(enum stun_class cls)
{
	switch (cls) {
	case STUN_REQUEST:    return "request";
	case STUN_INDICATION: return "indication";
	case STUN_SUCCESS:    return "success response";
	case STUN_ERROR:      return "error response";
	default:              return "unknown class";
	}
}
