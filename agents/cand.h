/* cand.h - ICE candidates: priorities, foundations, RFC 8839 syntax.
 *
 * Pure functions over plain structs; nothing allocates, nothing blocks.
 */
#ifndef AGENTS_CAND_H
#define AGENTS_CAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "stun.h"

enum cand_type {
	CAND_HOST,
	CAND_SRFLX,
	CAND_PRFLX,
	CAND_RELAY,
};

/* Type preferences, RFC 8445 5.1.2.2. */
#define CAND_PREF_HOST   126
#define CAND_PREF_PRFLX  110
#define CAND_PREF_SRFLX  100
#define CAND_PREF_RELAY  0

#define CAND_FOUNDATION_MAX 33   /* 1*32 ice-char, plus NUL */
#define CAND_ADDR_STRLEN    64   /* "[v6]:port" fits */

struct cand {
	enum cand_type type;
	char foundation[CAND_FOUNDATION_MAX];
	unsigned component;          /* 1 (RTP/data); icelab uses one component */
	uint32_t priority;
	union stun_addr addr;        /* the transport address signalled */
	union stun_addr related;     /* raddr/rport; AF_UNSPEC when absent */
};

/* RFC 8445 5.1.2.1. */
uint32_t cand_priority(enum cand_type type, uint16_t local_pref, unsigned component);

/* RFC 8445 6.1.2.3: pair priority from the controlling (G) and controlled
 * (D) candidates' priorities. */
uint64_t cand_pair_priority(uint32_t g, uint32_t d);

/* RFC 6724 2.1 default policy table precedence of an address (IPv6 ::1 50,
 * ::/0 40, ::ffff:0:0/96 (IPv4) 35, 2002::/16 30, 2001::/32 5, fc00::/7 3,
 * ...).  Used for local preferences on dual-stack hosts (RFC 8421). */
unsigned cand_precedence(const union stun_addr *a);

/* Local preferences for `n` host addresses, RFC 8421 4: order by RFC 6724
 * precedence, then interleave the families (IPv6, IPv4, IPv6, ...) so that
 * neither family's checks all come first; the first gets 65535, each next
 * one less.  With one family only, 65535 for the first.  `pref` receives
 * one value per address, in the input order. */
void cand_local_prefs(const union stun_addr *addrs, size_t n, uint16_t *pref);

/* Whether a host address may be gathered (RFC 8445 5.1.1.1): not
 * loopback, unspecified, IPv4-mapped, IPv4-compatible, site-local
 * (fec0::/10) or link-local (fe80::/10, 169.254/16: icelab does not
 * gather link-local; see docs/agent-protocol.md). */
bool cand_addr_usable(const union stun_addr *a);

/* Whether a local and a remote candidate may form a pair: same family,
 * and link-local only with link-local (RFC 8445 6.1.2.2). */
bool cand_pairable(const union stun_addr *local, const union stun_addr *remote);

/* A foundation for a host candidate: the same for the same (type, base
 * IP, server) and different otherwise (5.1.1.3).  Writes a short ice-char
 * string. */
void cand_foundation(enum cand_type type, const union stun_addr *base,
		     const union stun_addr *server, char out[CAND_FOUNDATION_MAX]);

/* Parse an RFC 8839 5.1 candidate attribute, with or without the leading
 * "a=" and "candidate:":  "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ
 * host [raddr A rport P] [extensions...]".  Only UDP is accepted.
 * Extensions are skipped.  Returns 0 or ICL_EINPUT naming the field. */
int cand_parse(const char *s, struct cand *c, struct icl_err *err);

/* Format as "candidate:F C udp PRIO ADDR PORT typ TYPE [raddr A rport P]".
 * Returns the length written, or -ENOSPC. */
int cand_format(const struct cand *c, char *out, size_t size);

/* Helpers for addresses. */
bool stun_addr_equal(const union stun_addr *a, const union stun_addr *b);  /* family, ip, port */
bool stun_addr_same_ip(const union stun_addr *a, const union stun_addr *b);
/* "192.0.2.1:5000" or "[2001:db8::1]:5000". */
void stun_addr_str(const union stun_addr *a, char out[CAND_ADDR_STRLEN]);
/* Parse an IP literal and a port into `a`; 0 or ICL_EINPUT. */
int stun_addr_parse(const char *ip, unsigned port, union stun_addr *a, struct icl_err *err);

const char *cand_type_name(enum cand_type t);   /* "host", "srflx", ... */

#endif
