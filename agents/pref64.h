/* pref64.h - NAT64 prefixes for an IPv6-only ICE agent, sans I/O.
 *
 * What an agent needs to pair its IPv6 host candidates with a peer's IPv4
 * candidates through a NAT64 (RFC 6146): the prefix (Pref64::/n), learnt
 * from configuration or discovered with RFC 7050 (an AAAA query for
 * ipv4only.arpa: the DNS64 answers with 192.0.0.170/171 embedded in its
 * prefix), and the IPv4-embedded IPv6 addresses of RFC 6052 section 2.2.
 *
 * The DNS messages are built and parsed here with glibc's libresolv
 * (res_nmkquery, ns_initparse, ns_parserr; link -lresolv); sending them,
 * the retransmissions and the bounded wait are the caller's (agent_nat64.c
 * on the agent's libuv loop).  No socket, no clock, no global state: every
 * function is reentrant and may be called from any thread.
 */
#ifndef AGENTS_PREF64_H
#define AGENTS_PREF64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"

#define PREF64_STRLEN 48            /* "xxxx:...:xxxx/96" fits */
#define PREF64_QUERY_MAX 64         /* an AAAA query for ipv4only.arpa fits */
#define PREF64_DNS_PORT 53

/* A NAT64 prefix: the first plen bits of addr, the rest zero.  plen is
 * one of RFC 6052's 32, 40, 48, 56, 64, 96. */
struct pref64 {
	uint8_t addr[16];
	unsigned plen;
};

/* "2001:db8:64::/96" into `p`.  ICL_EINPUT with the reason (no field
 * name: the caller adds it) for a malformed address, a length RFC 6052
 * does not allow, bits after the length, or bits 64..71 (RFC 6052 2.2's
 * "u" octet) not zero. */
int pref64_parse(const char *s, struct pref64 *p, struct icl_err *err);
/* "2001:db8:64::/96"; `out` has PREF64_STRLEN bytes. */
void pref64_format(const struct pref64 *p, char out[PREF64_STRLEN]);

/* RFC 6052 2.2: the IPv4-embedded IPv6 address of `v4` (network order)
 * under `p`: the prefix, the IPv4 bits around the u octet (bits 64..71,
 * zero), the suffix zero. */
void pref64_synth(const struct pref64 *p, const uint8_t v4[4], uint8_t v6[16]);
/* The reverse: true (and `v4` filled) when `v6` lies in `p` with the u
 * octet zero; false when it is not an address of the prefix. */
bool pref64_extract(const struct pref64 *p, const uint8_t v6[16], uint8_t v4[4]);

/* RFC 6052 3.1: the Well-Known Prefix 64:ff9b::/96 must not embed
 * non-global IPv4 addresses (RFC 1918, shared 100.64/10, loopback, link
 * local, this-network).  True when `p` may embed `v4`. */
bool pref64_may_embed(const struct pref64 *p, const uint8_t v4[4]);

/* RFC 7050 3: the AAAA query for ipv4only.arpa with transaction ID `id`,
 * recursion desired, into buf (room for `cap`); *len gets its size. */
int pref64_query(uint16_t id, uint8_t *buf, size_t cap, size_t *len, struct icl_err *err);

/* RFC 7050 3: the answer to that query.  Finds 192.0.0.170 or
 * 192.0.0.171 embedded in an AAAA record at one of RFC 6052's positions
 * (u octet zero) and gives the prefix.  When a record embeds a WKA at
 * more than one position, the position every AAAA record of the answer
 * agrees on wins (RFC 7050 3: the .171 record disambiguates); else the
 * longest.  Errors (ICL_EINPUT or -EPROTO, the reason in `err`): not a DNS
 * message, truncated, another ID, not a response, TC set, an rcode other
 * than NOERROR (NXDOMAIN named as such), no AAAA record, no WKA in any. */
int pref64_parse_answer(const uint8_t *buf, size_t len, uint16_t id, struct pref64 *p,
			struct icl_err *err);

#endif
