/* pref64.c - NAT64 prefixes: RFC 6052 addresses, RFC 7050 discovery. */
#include "pref64.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6052 2.2: the prefix lengths, longest first (the order in which an
 * ambiguous answer is resolved). */
static const unsigned pref64_lens[] = { 96, 64, 56, 48, 40, 32 };
#define PREF64_N_LENS (sizeof(pref64_lens) / sizeof(pref64_lens[0]))
#define PREF64_U_OCTET 8           /* bits 64..71 */

static bool valid_len(unsigned plen)
{
	for (size_t i = 0; i < PREF64_N_LENS; i++)
		if (pref64_lens[i] == plen)
			return true;
	return false;
}

int pref64_parse(const char *s, struct pref64 *p, struct icl_err *err)
{
	char ip[INET6_ADDRSTRLEN + 1], *end;
	const char *slash = strchr(s, '/');
	unsigned long plen;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return icl_err_set(err, ICL_EINPUT, "\"%s\": expected an IPv6 prefix like "
				   "2001:db8:64::/96", s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET6, ip, p->addr) != 1)
		return icl_err_set(err, ICL_EINPUT, "\"%s\": \"%s\" is not an IPv6 address", s, ip);
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end || errno || !valid_len((unsigned)plen))
		return icl_err_set(err, ICL_EINPUT, "\"%s\": the length must be 32, 40, 48, 56, 64 "
				   "or 96 (RFC 6052 2.2)", s);
	p->plen = (unsigned)plen;
	for (unsigned i = p->plen / 8; i < 16; i++)
		if (p->addr[i])
			return icl_err_set(err, ICL_EINPUT, "\"%s\": bits after /%u must be zero", s,
					   p->plen);
	if (p->addr[PREF64_U_OCTET])
		return icl_err_set(err, ICL_EINPUT, "\"%s\": bits 64..71 must be zero (RFC 6052 2.2)",
				   s);
	return 0;
}

void pref64_format(const struct pref64 *p, char out[PREF64_STRLEN])
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, p->addr, ip, sizeof(ip));
	snprintf(out, PREF64_STRLEN, "%s/%u", ip, p->plen);
}

/* The byte of the IPv6 address that holds IPv4 byte `i` under a /plen
 * prefix: after the prefix, skipping the u octet (RFC 6052 2.2 figure). */
static unsigned v4_pos(unsigned plen, unsigned i)
{
	unsigned pos = plen / 8 + i;

	return plen < 96 && pos >= PREF64_U_OCTET ? pos + 1 : pos;
}

void pref64_synth(const struct pref64 *p, const uint8_t v4[4], uint8_t v6[16])
{
	memset(v6, 0, 16);
	memcpy(v6, p->addr, p->plen / 8);
	for (unsigned i = 0; i < 4; i++)
		v6[v4_pos(p->plen, i)] = v4[i];
}

bool pref64_extract(const struct pref64 *p, const uint8_t v6[16], uint8_t v4[4])
{
	if (memcmp(v6, p->addr, p->plen / 8) != 0 || (p->plen < 96 && v6[PREF64_U_OCTET]))
		return false;
	for (unsigned i = 0; i < 4; i++)
		v4[i] = v6[v4_pos(p->plen, i)];
	return true;
}

/* RFC 6052 3.1 names RFC 1918; RFC 6598's shared space and the special
 * blocks that never leave a host or link are no more global. */
static bool v4_global(const uint8_t a[4])
{
	return !(a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
		 (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		 (a[0] == 100 && (a[1] & 0xc0) == 64));
}

bool pref64_may_embed(const struct pref64 *p, const uint8_t v4[4])
{
	static const uint8_t wkp[16] = { 0x00, 0x64, 0xff, 0x9b };

	return p->plen != 96 || memcmp(p->addr, wkp, 16) != 0 || v4_global(v4);
}

int pref64_query(uint16_t id, uint8_t *buf, size_t cap, size_t *len, struct icl_err *err)
{
	struct __res_state st;
	int n;

	/* A zeroed state with the defaults is all res_nmkquery reads (RD
	 * from RES_RECURSE); no resolv.conf is involved. */
	memset(&st, 0, sizeof(st));
	st.options = RES_DEFAULT;
	n = res_nmkquery(&st, ns_o_query, "ipv4only.arpa", ns_c_in, ns_t_aaaa, NULL, 0, NULL, buf,
			 cap > INT32_MAX ? INT32_MAX : (int)cap);
	if (n < NS_HFIXEDSZ)
		return icl_err_set(err, -EMSGSIZE, "building the AAAA query for ipv4only.arpa failed "
				   "(%zu bytes of room)", cap);
	ns_put16(id, buf);   /* our ID, not the one res_nmkquery drew */
	*len = (size_t)n;
	return 0;
}

/* ---- the answer -------------------------------------------------------- */

static bool is_wka(const uint8_t v4[4])
{
	return v4[0] == 192 && v4[1] == 0 && v4[2] == 0 && (v4[3] == 170 || v4[3] == 171);
}

/* Whether the AAAA `v6` embeds a WKA under a /plen prefix; its prefix
 * goes to `p`. */
static bool wka_at(const uint8_t v6[16], unsigned plen, struct pref64 *p)
{
	uint8_t v4[4];

	memset(p, 0, sizeof(*p));
	memcpy(p->addr, v6, plen / 8);
	p->plen = plen;
	return pref64_extract(p, v6, v4) && is_wka(v4);
}

/* Every record embeds a WKA under the same /plen prefix as `p`. */
static bool all_agree(const uint8_t (*aaaa)[16], size_t n, const struct pref64 *p)
{
	struct pref64 q;

	for (size_t i = 0; i < n; i++)
		if (!wka_at(aaaa[i], p->plen, &q) || memcmp(q.addr, p->addr, 16) != 0)
			return false;
	return true;
}

/* RFC 7050 3: the first record that embeds a WKA decides; among its
 * positions the one all records agree on, else the longest. */
static int find_prefix(const uint8_t (*aaaa)[16], size_t n, struct pref64 *p,
		       struct icl_err *err)
{
	for (size_t r = 0; r < n; r++) {
		struct pref64 first, cand;
		bool found = false;

		for (size_t k = 0; k < PREF64_N_LENS; k++) {
			if (!wka_at(aaaa[r], pref64_lens[k], &cand))
				continue;
			if (all_agree(aaaa, n, &cand)) {
				*p = cand;
				return 0;
			}
			if (!found)
				first = cand;
			found = true;
		}
		if (found) {
			*p = first;
			return 0;
		}
	}
	return icl_err_set(err, -EPROTO, "no AAAA record embeds 192.0.0.170 or 192.0.0.171 "
			   "(%zu records; RFC 7050 3): the resolver does no DNS64", n);
}

static int check_header(ns_msg *m, uint16_t id, struct icl_err *err)
{
	int rcode = ns_msg_getflag(*m, ns_f_rcode);

	if (ns_msg_id(*m) != id)
		return icl_err_set(err, -EPROTO, "answer with ID %u, expected %u", ns_msg_id(*m), id);
	if (!ns_msg_getflag(*m, ns_f_qr))
		return icl_err_set(err, -EPROTO, "a query, not a response");
	if (ns_msg_getflag(*m, ns_f_tc))
		return icl_err_set(err, -EPROTO, "truncated (TC set)");
	if (rcode == ns_r_nxdomain)
		return icl_err_set(err, -EPROTO, "NXDOMAIN: the resolver does not know "
				   "ipv4only.arpa (no DNS64, RFC 7050 3)");
	if (rcode != ns_r_noerror)
		return icl_err_set(err, -EPROTO, "rcode %d (%s)", rcode,
				   rcode == ns_r_refused ? "REFUSED" :
				   rcode == ns_r_servfail ? "SERVFAIL" : "not NOERROR");
	return 0;
}

int pref64_parse_answer(const uint8_t *buf, size_t len, uint16_t id, struct pref64 *p,
			struct icl_err *err)
{
	uint8_t aaaa[16][16];
	size_t n = 0;
	ns_msg m;
	ns_rr rr;
	int rc;

	if (len > 65535 || ns_initparse(buf, (int)len, &m) < 0)
		return icl_err_set(err, -EPROTO, "not a DNS message, or truncated (%zu bytes)", len);
	if ((rc = check_header(&m, id, err)) < 0)
		return rc;
	for (int i = 0; i < ns_msg_count(m, ns_s_an) && n < 16; i++) {
		if (ns_parserr(&m, ns_s_an, i, &rr) < 0)
			return icl_err_set(err, -EPROTO, "answer record %d is malformed", i);
		if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_class(rr) == ns_c_in &&
		    ns_rr_rdlen(rr) == 16)
			memcpy(aaaa[n++], ns_rr_rdata(rr), 16);
	}
	if (n == 0)
		return icl_err_set(err, -EPROTO, "no AAAA record in the answer (%d records): "
				   "the resolver does no DNS64", ns_msg_count(m, ns_s_an));
	return find_prefix((const uint8_t (*)[16])aaaa, n, p, err);
}
