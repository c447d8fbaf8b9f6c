/* cand.c - ICE candidates: priorities, foundations, RFC 8839 syntax. */
#include "cand.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- Priorities ------------------------------------------------------ */

static unsigned type_pref(enum cand_type type)
{
	switch (type) {
	case CAND_HOST:
		return CAND_PREF_HOST;
	case CAND_SRFLX:
		return CAND_PREF_SRFLX;
	case CAND_PRFLX:
		return CAND_PREF_PRFLX;
	case CAND_RELAY:
		return CAND_PREF_RELAY;
	}
	return 0;
}

uint32_t cand_priority(enum cand_type type, uint16_t local_pref, unsigned component)
{
	/* Components are 1..256, so (256 - component) fits the low byte. */
	return (uint32_t)type_pref(type) << 24 | (uint32_t)local_pref << 8 |
	       (uint32_t)((256 - component) & 0xff);
}

uint64_t cand_pair_priority(uint32_t g, uint32_t d)
{
	uint64_t lo = g < d ? g : d, hi = g < d ? d : g;

	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

/* ---- Addresses ------------------------------------------------------- */

static const uint8_t *ip6(const union stun_addr *a)
{
	return a->in6.sin6_addr.s6_addr;
}

static uint32_t ip4(const union stun_addr *a)
{
	return ntohl(a->in.sin_addr.s_addr);
}

/* Whether the first `bits` bits of `a` equal those of `prefix`. */
static bool v6_prefix(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, prefix, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ prefix[full]) & (0xff << (8 - rest))) == 0;
}

static bool v6_is_loopback(const uint8_t *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	return memcmp(a, one, 16) == 0;
}

static const uint8_t pfx_mapped[16] = { [10] = 0xff, [11] = 0xff };
static const uint8_t pfx_zero[16];
static const uint8_t pfx_6to4[16] = { 0x20, 0x02 };
static const uint8_t pfx_teredo[16] = { 0x20, 0x01 };
static const uint8_t pfx_ula[16] = { 0xfc };
static const uint8_t pfx_sitelocal[16] = { 0xfe, 0xc0 };
static const uint8_t pfx_6bone[16] = { 0x3f, 0xfe };
static const uint8_t pfx_linklocal[16] = { 0xfe, 0x80 };
static const uint8_t pfx_multicast[16] = { 0xff };

unsigned cand_precedence(const union stun_addr *a)
{
	const uint8_t *p;

	if (a->sa.sa_family == AF_INET)
		return 35;   /* as ::ffff:0:0/96 */
	if (a->sa.sa_family != AF_INET6)
		return 0;
	p = ip6(a);
	/* Longest match first: ::1/128 lies inside ::/96. */
	if (v6_is_loopback(p))
		return 50;
	if (v6_prefix(p, pfx_mapped, 96))
		return 35;
	if (v6_prefix(p, pfx_zero, 96))
		return 1;
	if (v6_prefix(p, pfx_6to4, 16))
		return 30;
	if (v6_prefix(p, pfx_teredo, 32))
		return 5;
	if (v6_prefix(p, pfx_ula, 7))
		return 3;
	if (v6_prefix(p, pfx_sitelocal, 10) || v6_prefix(p, pfx_6bone, 16))
		return 1;
	return 40;
}

static bool is_ip(const union stun_addr *a)
{
	return a->sa.sa_family == AF_INET || a->sa.sa_family == AF_INET6;
}

/* Whether address j ranks before address i within i's family: higher
 * precedence, or equal precedence and earlier in the input. */
static bool ranks_before(const union stun_addr *addrs, size_t j, size_t i)
{
	unsigned pj = cand_precedence(&addrs[j]), pi = cand_precedence(&addrs[i]);

	return addrs[j].sa.sa_family == addrs[i].sa.sa_family && (pj > pi || (pj == pi && j < i));
}

/* Position of address i in the interleaved order: with `lead` addresses
 * in the leading family and `other` in the other one, the k-th of the
 * leading family comes after k of each (while the other lasts), the k-th
 * of the other after k + 1 of the leading one. */
static size_t interleaved_pos(size_t k, bool leads, size_t lead, size_t other)
{
	if (leads)
		return k <= other ? 2 * k : k + other;
	return k + 1 <= lead ? 2 * k + 1 : lead + k;
}

/* The best address of a family (n when there is none) and how many. */
static size_t family_best(const union stun_addr *addrs, size_t n, int family, size_t *count)
{
	size_t best = n;

	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].sa.sa_family != family)
			continue;
		(*count)++;
		if (best == n || ranks_before(addrs, i, best))
			best = i;
	}
	return best;
}

void cand_local_prefs(const union stun_addr *addrs, size_t n, uint16_t *pref)
{
	size_t n6, n4, best6 = family_best(addrs, n, AF_INET6, &n6);
	size_t best4 = family_best(addrs, n, AF_INET, &n4), stray = 0;
	/* The family of the best address leads, then they alternate so that a
	 * broken family cannot delay every check of the other (RFC 8421 4). */
	bool six_leads = n6 > 0 && (n4 == 0 || cand_precedence(&addrs[best6]) >=
						       cand_precedence(&addrs[best4]));

	for (size_t i = 0; i < n; i++) {
		bool v6 = addrs[i].sa.sa_family == AF_INET6;
		size_t mine = v6 ? n6 : n4, theirs = v6 ? n4 : n6, k = 0, pos;

		for (size_t j = 0; j < n; j++)
			k += ranks_before(addrs, j, i);
		if (!is_ip(&addrs[i]))
			pos = n6 + n4 + stray++;
		else if (v6 == six_leads)
			pos = interleaved_pos(k, true, mine, theirs);
		else
			pos = interleaved_pos(k, false, theirs, mine);
		pref[i] = (uint16_t)(pos < 65535 ? 65535 - pos : 0);
	}
}

static bool v4_unusable(uint32_t a)
{
	return a == 0 || (a >> 24) == 127 || (a >> 16) == 0xa9fe ||   /* 169.254/16 */
	       (a >> 28) == 0xe || a == 0xffffffffu;                   /* multicast, broadcast */
}

bool cand_addr_usable(const union stun_addr *a)
{
	const uint8_t *p;

	if (a->sa.sa_family == AF_INET)
		return !v4_unusable(ip4(a));
	if (a->sa.sa_family != AF_INET6)
		return false;
	p = ip6(a);
	/* ::/96 covers :: itself, ::1 and the IPv4-compatible addresses. */
	return !(v6_prefix(p, pfx_zero, 96) || v6_prefix(p, pfx_mapped, 96) ||
		 v6_prefix(p, pfx_sitelocal, 10) || v6_prefix(p, pfx_linklocal, 10) ||
		 v6_prefix(p, pfx_multicast, 8));
}

static bool is_link_local(const union stun_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return (ip4(a) >> 16) == 0xa9fe;
	return a->sa.sa_family == AF_INET6 && v6_prefix(ip6(a), pfx_linklocal, 10);
}

bool cand_pairable(const union stun_addr *local, const union stun_addr *remote)
{
	if (local->sa.sa_family != remote->sa.sa_family)
		return false;
	if (local->sa.sa_family != AF_INET && local->sa.sa_family != AF_INET6)
		return false;
	return is_link_local(local) == is_link_local(remote);
}

bool stun_addr_same_ip(const union stun_addr *a, const union stun_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return memcmp(ip6(a), ip6(b), 16) == 0;
	return a->sa.sa_family == AF_UNSPEC;
}

static uint16_t addr_port(const union stun_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return ntohs(a->in.sin_port);
	if (a->sa.sa_family == AF_INET6)
		return ntohs(a->in6.sin6_port);
	return 0;
}

bool stun_addr_equal(const union stun_addr *a, const union stun_addr *b)
{
	return stun_addr_same_ip(a, b) && addr_port(a) == addr_port(b);
}

static void ip_str(const union stun_addr *a, char *out, size_t size)
{
	const void *src = a->sa.sa_family == AF_INET ? (const void *)&a->in.sin_addr
						     : (const void *)&a->in6.sin6_addr;

	if ((a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6) ||
	    inet_ntop(a->sa.sa_family, src, out, (socklen_t)size) == NULL)
		snprintf(out, size, "-");
}

void stun_addr_str(const union stun_addr *a, char out[CAND_ADDR_STRLEN])
{
	char ip[INET6_ADDRSTRLEN];

	ip_str(a, ip, sizeof(ip));
	if (a->sa.sa_family == AF_INET6)
		snprintf(out, CAND_ADDR_STRLEN, "[%s]:%u", ip, addr_port(a));
	else if (a->sa.sa_family == AF_INET)
		snprintf(out, CAND_ADDR_STRLEN, "%s:%u", ip, addr_port(a));
	else
		snprintf(out, CAND_ADDR_STRLEN, "-");
}

int stun_addr_parse(const char *ip, unsigned port, union stun_addr *a, struct icl_err *err)
{
	memset(a, 0, sizeof(*a));
	if (port > 65535)
		return icl_err_set(err, ICL_EINPUT, "port %u out of range 0..65535", port);
	if (inet_pton(AF_INET, ip, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return icl_err_set(err, ICL_EINPUT, "'%s' is not an IPv4 or IPv6 address", ip);
}

const char *cand_type_name(enum cand_type t)
{
	switch (t) {
	case CAND_HOST:
		return "host";
	case CAND_SRFLX:
		return "srflx";
	case CAND_PRFLX:
		return "prflx";
	case CAND_RELAY:
		return "relay";
	}
	return "?";
}

/* ---- Foundations ----------------------------------------------------- */

static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Append the address family and IP bytes of `a` (nothing when unset). */
static size_t put_ip(uint8_t *buf, size_t len, const union stun_addr *a)
{
	if (a == NULL || (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)) {
		buf[len] = 0;
		return len + 1;
	}
	buf[len++] = a->sa.sa_family == AF_INET ? 4 : 6;
	if (a->sa.sa_family == AF_INET) {
		memcpy(buf + len, &a->in.sin_addr, 4);
		return len + 4;
	}
	memcpy(buf + len, ip6(a), 16);
	return len + 16;
}

/* 6 bits per ice-char; `bits` of `buf` become ceil(bits/6) characters. */
static void encode64(const uint8_t *buf, size_t n, char *out)
{
	size_t bits = n * 8, k = 0;

	for (size_t b = 0; b < bits; b += 6) {
		unsigned v = 0;

		for (size_t i = b; i < b + 6; i++)
			v = v << 1 | (i < bits ? (buf[i / 8] >> (7 - i % 8)) & 1 : 0);
		out[k++] = ice_chars[v];
	}
	out[k] = '\0';
}

static void fnv_encode(const uint8_t *buf, size_t n, char *out)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t hb[8];

	for (size_t i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		hb[i] = (uint8_t)(h >> (56 - 8 * i));
	encode64(hb, sizeof(hb), out);
}

void cand_foundation(enum cand_type type, const union stun_addr *base,
		     const union stun_addr *server, char out[CAND_FOUNDATION_MAX])
{
	uint8_t buf[1 + 17 + 17];
	size_t n = 0;

	buf[n++] = (uint8_t)type;
	n = put_ip(buf, n, base);
	n = put_ip(buf, n, server);
	/* The inputs themselves, when they fit, so that equal means equal;
	 * otherwise (a v6 base with a v6 server) a 64-bit FNV-1a of them. */
	if ((n * 8 + 5) / 6 < CAND_FOUNDATION_MAX)
		encode64(buf, n, out);
	else
		fnv_encode(buf, n, out);
}

/* ---- RFC 8839 syntax ------------------------------------------------- */

#define CAND_MAX_TOKENS 64

struct tokens {
	char buf[1024];
	char *tok[CAND_MAX_TOKENS];
	size_t n;
};

static int tokenize(const char *s, struct tokens *t, struct icl_err *err)
{
	char *save = NULL, *p;

	if (strlen(s) >= sizeof(t->buf))
		return icl_err_set(err, ICL_EINPUT, "candidate: longer than %zu bytes",
				   sizeof(t->buf) - 1);
	strcpy(t->buf, s);
	t->n = 0;
	for (p = strtok_r(t->buf, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
		if (t->n == CAND_MAX_TOKENS)
			return icl_err_set(err, ICL_EINPUT, "candidate: more than %d fields",
					   CAND_MAX_TOKENS);
		t->tok[t->n++] = p;
	}
	return 0;
}

/* A decimal number of at most `max_digits` digits, <= max. */
static bool parse_num(const char *s, unsigned max_digits, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > max_digits)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

static bool is_ice_chars(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr(ice_chars, s[i]) == NULL)
			return false;
	return true;
}

static int parse_type(const char *s, enum cand_type *t)
{
	static const enum cand_type all[] = { CAND_HOST, CAND_SRFLX, CAND_PRFLX, CAND_RELAY };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, cand_type_name(all[i])) == 0) {
			*t = all[i];
			return 0;
		}
	return -1;
}

static int field_err(struct icl_err *err, const char *field, const char *why, const char *val)
{
	return icl_err_set(err, ICL_EINPUT, "candidate: %s: %s: '%s'", field, why, val);
}

static int parse_port(const char *field, const char *s, bool allow_zero, unsigned *port,
		      struct icl_err *err)
{
	uint64_t v;

	if (!parse_num(s, 5, 65535, &v))
		return field_err(err, field, "not a port number (1..65535)", s);
	if (v == 0 && !allow_zero)
		return field_err(err, field, "port 0 is not a usable port", s);
	*port = (unsigned)v;
	return 0;
}

static int parse_addr(const char *field, const char *ip, unsigned port, union stun_addr *a,
		      struct icl_err *err)
{
	struct icl_err e2;

	if (stun_addr_parse(ip, port, a, &e2) < 0)
		return field_err(err, field, "not an IP address (FQDNs are not supported)", ip);
	return 0;
}

/* raddr/rport and the extensions: name-value pairs after "typ X". */
static int parse_tail(struct tokens *t, size_t i, struct cand *c, struct icl_err *err)
{
	const char *raddr = NULL, *rport = NULL;
	unsigned rp = 0;

	for (; i < t->n; i += 2) {
		if (i + 1 >= t->n)
			return field_err(err, t->tok[i], "has no value", t->tok[i]);
		if (strcmp(t->tok[i], "raddr") == 0)
			raddr = t->tok[i + 1];
		else if (strcmp(t->tok[i], "rport") == 0)
			rport = t->tok[i + 1];
	}
	if ((raddr == NULL) != (rport == NULL))
		return icl_err_set(err, ICL_EINPUT, "candidate: %s: missing (%s given)",
				   raddr ? "rport" : "raddr", raddr ? "raddr" : "rport");
	if (raddr == NULL)
		return 0;
	/* Browsers signal "raddr 0.0.0.0 rport 0" to hide the base. */
	if (parse_port("rport", rport, true, &rp, err) < 0)
		return err ? err->code : ICL_EINPUT;
	return parse_addr("raddr", raddr, rp, &c->related, err);
}

static const char *const field_names[] = {
	"foundation", "component-id", "transport", "priority",
	"connection-address", "port", "typ", "cand-type",
};

static int parse_fields(struct tokens *t, size_t i, struct cand *c, struct icl_err *err)
{
	char **f = t->tok + i;
	uint64_t v;
	unsigned port;

	if (t->n - i < 8)
		return icl_err_set(err, ICL_EINPUT, "candidate: %s: missing",
				   field_names[t->n - i]);
	if (!is_ice_chars(f[0], CAND_FOUNDATION_MAX - 1))
		return field_err(err, "foundation", "not 1 to 32 ice-chars", f[0]);
	snprintf(c->foundation, sizeof(c->foundation), "%s", f[0]);
	if (!parse_num(f[1], 3, 256, &v) || v == 0)
		return field_err(err, "component-id", "not a number 1..256", f[1]);
	c->component = (unsigned)v;
	if (strcasecmp(f[2], "udp") != 0)
		return field_err(err, "transport", "only UDP is supported", f[2]);
	/* RFC 8445 5.1.2: a positive integer up to 2^31 - 1. */
	if (!parse_num(f[3], 10, 0x7fffffff, &v) || v == 0)
		return field_err(err, "priority", "not a number 1..2147483647", f[3]);
	c->priority = (uint32_t)v;
	if (parse_port("port", f[5], false, &port, err) < 0)
		return err ? err->code : ICL_EINPUT;
	if (parse_addr("connection-address", f[4], port, &c->addr, err) < 0)
		return err ? err->code : ICL_EINPUT;
	if (strcmp(f[6], "typ") != 0)
		return field_err(err, "typ", "expected \"typ\"", f[6]);
	if (parse_type(f[7], &c->type) < 0)
		return field_err(err, "cand-type", "not host, srflx, prflx or relay", f[7]);
	return parse_tail(t, i + 8, c, err);
}

int cand_parse(const char *s, struct cand *c, struct icl_err *err)
{
	struct tokens t;
	int rc;

	memset(c, 0, sizeof(*c));
	if (strncmp(s, "a=", 2) == 0)
		s += 2;
	if (strncasecmp(s, "candidate:", 10) == 0)
		s += 10;
	rc = tokenize(s, &t, err);
	if (rc == 0)
		rc = parse_fields(&t, 0, c, err);
	if (rc < 0)
		memset(c, 0, sizeof(*c));
	return rc;
}

int cand_format(const struct cand *c, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN], rip[INET6_ADDRSTRLEN];
	int n;

	ip_str(&c->addr, ip, sizeof(ip));
	n = snprintf(out, size, "candidate:%s %u udp %u %s %u typ %s", c->foundation,
		     c->component, c->priority, ip, addr_port(&c->addr), cand_type_name(c->type));
	if (n >= 0 && (size_t)n < size && c->related.sa.sa_family != AF_UNSPEC) {
		ip_str(&c->related, rip, sizeof(rip));
		n += snprintf(out + n, size - (size_t)n, " raddr %s rport %u", rip,
			      addr_port(&c->related));
	}
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}
