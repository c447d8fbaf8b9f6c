/* stun.h - STUN messages (RFC 8489) as ICE (RFC 8445) and TURN use them.
 *
 * A codec and nothing else: no sockets, no clock.  Decoding never reads
 * outside the buffer it is given and rejects a malformed message with a
 * one-line reason in the error record.  Encoding writes into a buffer the
 * caller owns and fails with -ENOSPC instead of overrunning it.
 *
 * Ownership: a decoded `struct stun_msg` points into the caller's buffer
 * (`raw`, `username`, `software`, `realm`, `nonce`, `data`); it is valid only
 * as long as that buffer is.  Nothing here allocates.
 */
#ifndef AGENTS_STUN_H
#define AGENTS_STUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/err.h"

#define STUN_HEADER_SIZE   20
#define STUN_MAGIC_COOKIE  0x2112A442u
#define STUN_TXID_SIZE     12
#define STUN_FP_XOR        0x5354554eu   /* RFC 8489 14.7 */
#define STUN_MAX_UNKNOWN   16            /* unknown attributes remembered */

enum stun_class {
	STUN_REQUEST    = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS    = 2,
	STUN_ERROR      = 3,
};

enum stun_method {
	STUN_BINDING           = 0x001,
	STUN_ALLOCATE          = 0x003,   /* RFC 8656 */
	STUN_REFRESH           = 0x004,
	STUN_SEND              = 0x006,
	STUN_DATA              = 0x007,
	STUN_CREATE_PERMISSION = 0x008,
	STUN_CHANNEL_BIND      = 0x009,
};

enum stun_attr_type {
	STUN_A_MAPPED_ADDRESS      = 0x0001,
	STUN_A_USERNAME            = 0x0006,
	STUN_A_MESSAGE_INTEGRITY   = 0x0008,
	STUN_A_ERROR_CODE          = 0x0009,
	STUN_A_UNKNOWN_ATTRIBUTES  = 0x000A,
	STUN_A_CHANNEL_NUMBER      = 0x000C,
	STUN_A_LIFETIME            = 0x000D,
	STUN_A_XOR_PEER_ADDRESS    = 0x0012,
	STUN_A_DATA                = 0x0013,
	STUN_A_REALM               = 0x0014,
	STUN_A_NONCE               = 0x0015,
	STUN_A_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_A_REQUESTED_FAMILY    = 0x0017,
	STUN_A_REQUESTED_TRANSPORT = 0x0019,
	STUN_A_XOR_MAPPED_ADDRESS  = 0x0020,
	STUN_A_PRIORITY            = 0x0024,
	STUN_A_USE_CANDIDATE       = 0x0025,
	STUN_A_SOFTWARE            = 0x8022,
	STUN_A_FINGERPRINT         = 0x8028,
	STUN_A_ICE_CONTROLLED      = 0x8029,
	STUN_A_ICE_CONTROLLING     = 0x802A,
};

/* An IPv4 or IPv6 transport address, the form sockets use. */
union stun_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* A string attribute: points into the decoded buffer, not NUL-terminated. */
struct stun_str {
	const uint8_t *ptr;
	size_t len;
};

/* A decoded message.  `has` is a bit per attribute below (STUN_HAS_*). */
struct stun_msg {
	uint16_t method;
	enum stun_class cls;
	uint8_t txid[STUN_TXID_SIZE];
	uint32_t has;

	union stun_addr xor_mapped, mapped, xor_peer, xor_relayed;
	struct stun_str username, software, realm, nonce, data;
	uint32_t priority;
	uint64_t tiebreaker;           /* ICE-CONTROLLING or ICE-CONTROLLED */
	uint32_t lifetime;
	uint16_t channel;
	uint8_t requested_family;      /* 0x01 IPv4, 0x02 IPv6 */
	uint8_t requested_transport;   /* protocol number, 17 = UDP */
	int error_code;                /* 300..699 */
	struct stun_str error_reason;

	/* UNKNOWN-ATTRIBUTES carried by the message (in a 420 response). */
	uint16_t unknown_attrs[STUN_MAX_UNKNOWN];
	size_t n_unknown_attrs;
	/* Comprehension-required attributes (type < 0x8000) this codec does
	 * not know; a request with any deserves a 420 (RFC 8489 6.3.1). */
	uint16_t unknown_required[STUN_MAX_UNKNOWN];
	size_t n_unknown_required;

	/* The whole message and where MESSAGE-INTEGRITY starts in it
	 * (offset of its attribute header), for stun_check_integrity. */
	const uint8_t *raw;
	size_t raw_len;
	size_t integrity_off;
};

#define STUN_HAS_XOR_MAPPED      (1u << 0)
#define STUN_HAS_MAPPED          (1u << 1)
#define STUN_HAS_USERNAME        (1u << 2)
#define STUN_HAS_INTEGRITY       (1u << 3)
#define STUN_HAS_FINGERPRINT     (1u << 4)
#define STUN_HAS_ERROR           (1u << 5)
#define STUN_HAS_PRIORITY        (1u << 6)
#define STUN_HAS_USE_CANDIDATE   (1u << 7)
#define STUN_HAS_CONTROLLING     (1u << 8)
#define STUN_HAS_CONTROLLED      (1u << 9)
#define STUN_HAS_SOFTWARE        (1u << 10)
#define STUN_HAS_REALM           (1u << 11)
#define STUN_HAS_NONCE           (1u << 12)
#define STUN_HAS_UNKNOWN_ATTRS   (1u << 13)
#define STUN_HAS_XOR_PEER        (1u << 14)
#define STUN_HAS_XOR_RELAYED     (1u << 15)
#define STUN_HAS_LIFETIME        (1u << 16)
#define STUN_HAS_DATA            (1u << 17)
#define STUN_HAS_CHANNEL         (1u << 18)
#define STUN_HAS_REQ_FAMILY      (1u << 19)
#define STUN_HAS_REQ_TRANSPORT   (1u << 20)

/* RFC 7983 demultiplexing: first byte 0..3 and the magic cookie.  Cheap;
 * says nothing about whether the message is well formed. */
bool stun_is_stun(const uint8_t *buf, size_t len);

/* Decode `buf`.  Checks the header (zero top bits, length a multiple of 4
 * and equal to len - 20, magic cookie), every attribute's bounds and the
 * size each known attribute must have, and that FINGERPRINT, when
 * present, is last and correct.  Attributes after MESSAGE-INTEGRITY other
 * than FINGERPRINT are ignored, as RFC 8489 14.5 requires.  Returns 0, or ICL_EINPUT with the reason in `err`.
 * Integrity is not checked here: the key depends on USERNAME. */
int stun_decode(const uint8_t *buf, size_t len, struct stun_msg *msg,
		struct icl_err *err);

/* Verify MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to the
 * attribute, length adjusted as RFC 8489 14.5 says) with `key`.
 * Returns 0, or ICL_EINPUT when absent or wrong. */
int stun_check_integrity(const struct stun_msg *msg, const uint8_t *key,
			 size_t key_len, struct icl_err *err);

/* Every valid XOR-*-ADDRESS attribute of `type` in a decoded message, in
 * message order (the struct keeps the first only, as RFC 8489 14 says;
 * RFC 8656 7.3 lets an Allocate response carry one XOR-RELAYED-ADDRESS
 * per family, coturn a 0.0.0.0:0 one for a family it refused).  Writes at
 * most `max` into `out`; returns how many there are. */
size_t stun_xor_addrs(const struct stun_msg *msg, uint16_t type, union stun_addr *out,
		      size_t max);

/* Long-term credential key, RFC 8489 9.2.2: MD5(username:realm:password).
 * `password` is used as given (no SASLprep; RFC 5769 2.4's is already
 * prepared).  `key` receives 16 bytes. */
void stun_long_term_key(const char *username, const char *realm,
			const char *password, uint8_t key[16]);

/* Copy a string attribute into a NUL-terminated buffer; truncates. */
void stun_str_copy(struct stun_str s, char *out, size_t out_size);

/* ---- Encoding ---------------------------------------------------------
 * stun_writer_init, then attributes in the order they should appear, then
 * stun_put_integrity and stun_put_fingerprint last, then stun_writer_end.
 * An error (no room) sticks in the writer and stun_writer_end returns it.
 */
struct stun_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint8_t pad;     /* padding byte value; 0 unless a test needs RFC 5769's 0x20 */
	int error;       /* first failure, sticky */
};

void stun_writer_init(struct stun_writer *w, uint8_t *buf, size_t cap,
		      uint16_t method, enum stun_class cls,
		      const uint8_t txid[STUN_TXID_SIZE]);
void stun_put_bytes(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_put_str(struct stun_writer *w, uint16_t type, const char *s);
void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v);
void stun_put_flag(struct stun_writer *w, uint16_t type);   /* zero-length */
/* XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS. */
void stun_put_xor_addr(struct stun_writer *w, uint16_t type, const union stun_addr *a);
void stun_put_error(struct stun_writer *w, int code, const char *reason);
void stun_put_unknown(struct stun_writer *w, const uint16_t *types, size_t n);
void stun_put_integrity(struct stun_writer *w, const uint8_t *key, size_t key_len);
void stun_put_fingerprint(struct stun_writer *w);
/* Returns the message length, or a negative errno: -ENOSPC when out of
 * room, -EINVAL for an error code outside 300..699, -EAFNOSUPPORT for an
 * address that is neither IPv4 nor IPv6, -EIO when OpenSSL fails. */
int stun_writer_end(struct stun_writer *w);

/* Fill a transaction ID from a CSPRNG (OpenSSL RAND_bytes). */
int stun_random_txid(uint8_t txid[STUN_TXID_SIZE]);

/* Names for logs and errors: "Binding request", "ERROR-CODE", ... */
const char *stun_method_name(uint16_t method);
const char *stun_class_name(enum stun_class cls);

#endif
