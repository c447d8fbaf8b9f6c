#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter.h"
#include "nat.h"
#include "nat64.h"

static const char *ifname_of(const struct topo_plan *p, const struct topo_node *n,
			     const char *link)
{
	const struct topo_link *l = link[0] ? topo_plan_link(p, link) : NULL;
	const struct topo_end *e = l ? topo_link_end_on(l, n->name) : NULL;

	return e ? e->ifname : NULL;
}

static int append(char **acc, char *more, struct icl_err *err)
{
	size_t a = *acc ? strlen(*acc) : 0, b = strlen(more);
	char *r = realloc(*acc, a + b + 1);

	if (r == NULL) {
		free(more);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(r + a, more, b + 1);
	free(more);
	*acc = r;
	return 0;
}

static int nat_text(const struct topo_plan *p, const struct topo_node *n, size_t i, char **acc,
		    struct icl_err *err)
{
	const struct topo_nat *nat = &n->nat[i];
	const struct topo_prefix *e4 = topo_plan_addr(p, n->name, nat->outside, AF_INET);
	const struct topo_prefix *e6 = topo_plan_addr(p, n->name, nat->outside, AF_INET6);
	struct nat_ifaces ifs = {
		.inside_if = ifname_of(p, n, nat->inside),
		.outside_if = ifname_of(p, n, nat->outside),
		.ext4 = e4 ? e4->addr : NULL,
		.ext6 = e6 ? e6->addr : NULL,
	};
	char *t = NULL;
	int rc = nat_ruleset(nat, &ifs, (unsigned)i, &t, err);

	return rc < 0 ? icl_err_wrap(err, "nat %zu", i + 1) : append(acc, t, err);
}

/* The NAT44 half of a NAT64: from TAYGA's pool, arriving on its tun. */
static int nat64_text(const struct topo_plan *p, const struct topo_node *n, char **acc,
		      struct icl_err *err)
{
	const struct topo_prefix *e4 = topo_plan_addr(p, n->name, n->nat64->outside, AF_INET);
	struct nat_ifaces ifs = {
		.inside_if = TOPO_NAT64_TUN,
		.outside_if = ifname_of(p, n, n->nat64->outside),
		.ext4 = e4 ? e4->addr : NULL,
	};
	struct topo_nat nat;
	char *t = NULL;
	int rc;

	nat64_nat44(n->nat64, &nat);
	rc = nat_ruleset(&nat, &ifs, (unsigned)n->n_nat, &t, err);
	return rc < 0 ? icl_err_wrap(err, "nat64") : append(acc, t, err);
}

/* TAYGA 0.9.2 (Debian 12's) writes a UDP checksum that computes to zero
 * as 0x0000 when it translates to IPv6, where it must be 0xffff (RFC 768,
 * RFC 8200 8.1) and a receiver drops it.  That is one datagram in 65536,
 * but every retransmission of it has the same bytes: the check, or the
 * DTLS flight, is lost for good.  Fixed as it leaves TAYGA's tun, before
 * conntrack (which also counts such a datagram invalid). */
static int tayga_csum_text(const char *tun, char **acc, struct icl_err *err)
{
	char *t = NULL;

	if (asprintf(&t, "table ip6 icl_tayga_%s {\n"
		     "\tchain fix {\n"
		     "\t\ttype filter hook prerouting priority raw; policy accept;\n"
		     "\t\tiifname \"%s\" udp checksum 0 udp checksum set 65535\n"
		     "\t}\n}\n", tun, tun) < 0)
		return icl_err_set(err, -ENOMEM, "out of memory");
	return append(acc, t, err);
}

static int filter_text(const struct topo_plan *p, const struct topo_node *n, char **acc,
		       struct icl_err *err)
{
	const char **in = calloc(n->n_filters, sizeof(*in));
	const char **out = calloc(n->n_filters, sizeof(*out));
	char *t = NULL;
	int rc;

	if (in == NULL || out == NULL) {
		free(in);
		free(out);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n->n_filters; i++) {
		in[i] = ifname_of(p, n, n->filters[i].in);
		out[i] = ifname_of(p, n, n->filters[i].out);
	}
	rc = filter_ruleset(n->filters, n->n_filters, in, out, &t, err);
	free(in);
	free(out);
	return rc < 0 ? icl_err_wrap(err, "filters") : append(acc, t, err);
}

int topo_rules_text(const struct topo_plan *p, const struct topo_node *n, char **text,
		    struct icl_err *err)
{
	int rc = 0;

	*text = NULL;
	if (n->n_filters > 0)
		rc = filter_text(p, n, text, err);
	for (size_t i = 0; rc == 0 && i < n->n_nat; i++)
		rc = nat_text(p, n, i, text, err);
	if (rc == 0 && n->nat64 != NULL)
		rc = nat64_text(p, n, text, err);
	if (rc == 0 && n->nat64 != NULL)
		rc = tayga_csum_text(TOPO_NAT64_TUN, text, err);
	if (rc == 0 && n->clat != NULL)
		rc = tayga_csum_text(TOPO_CLAT_TUN, text, err);
	if (rc < 0) {
		free(*text);
		*text = NULL;
	}
	return rc;
}
