/* filter.c - nftables text for a node's ordered filter rules.
 *
 * One inet table so that a rule without a family covers IPv4 and IPv6
 * alike.  Each rule is emitted into every hook chain its interfaces allow
 * (see filter.h); within a chain, nft's own first-match order gives the
 * plan's "first match wins".
 */
#include "filter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum filter_hook { FILTER_INPUT, FILTER_FORWARD, FILTER_OUTPUT };

/* A rule with its interfaces resolved; "" means any. */
struct filter_item {
	const struct topo_filter *r;
	const char *in;
	const char *out;
};

static const char *const filter_chain_name[] = { "in_rules", "fwd_rules", "out_rules" };
static const char *const filter_hook_name[] = { "input", "forward", "output" };

/* Names the rule in messages: its index and, if known, its scenario line. */
static int filter_fail(struct icl_err *err, size_t i, const struct topo_filter *r,
		       const char *why)
{
	if (r->src.line != 0)
		return icl_err_set(err, ICL_EINPUT, "filter rule %zu (line %u:%u): %s", i + 1,
				   r->src.line, r->src.col, why);
	return icl_err_set(err, ICL_EINPUT, "filter rule %zu: %s", i + 1, why);
}

/* nft takes interface names as quoted strings; refuse what could break
 * out of the quotes rather than escaping it. */
static bool filter_ifname_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n >= TOPO_IFNAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '/')
			return false;
	}
	return true;
}

/* The interface for one side of rule i, checked against the link field. */
static int filter_side(const char *link, const char *const *ifs, size_t i,
		       const struct topo_filter *r, const char *what, const char **out,
		       struct icl_err *err)
{
	const char *name = ifs != NULL ? ifs[i] : NULL;
	char why[160];

	if (name == NULL)
		name = "";
	if (link[0] == '\0' && name[0] != '\0') {
		snprintf(why, sizeof(why), "%s interface '%s' given for a rule without '%s'",
			 what, name, what);
		return filter_fail(err, i, r, why);
	}
	if (link[0] != '\0' && name[0] == '\0') {
		snprintf(why, sizeof(why), "%s link '%.32s' has no interface on this node",
			 what, link);
		return filter_fail(err, i, r, why);
	}
	if (!filter_ifname_ok(name)) {
		snprintf(why, sizeof(why), "%s interface name '%.40s' is too long or has a "
			 "character nft cannot quote", what, name);
		return filter_fail(err, i, r, why);
	}
	*out = name;
	return 0;
}

static int filter_check(const struct topo_filter *r, size_t i, struct icl_err *err)
{
	size_t k;

	if (r->action != TOPO_DROP && r->action != TOPO_ACCEPT)
		return filter_fail(err, i, r, "unknown action");
	if (r->families == 0 || (r->families & ~TOPO_FAM_ALL) != 0)
		return filter_fail(err, i, r, "families must be IPv4, IPv6 or both");
	if (r->proto != TOPO_PROTO_ANY && r->proto != TOPO_PROTO_UDP &&
	    r->proto != TOPO_PROTO_TCP && r->proto != TOPO_PROTO_ICMP)
		return filter_fail(err, i, r, "unknown protocol");
	if (r->n_dports > TOPO_PORTS_MAX)
		return filter_fail(err, i, r, "too many destination ports");
	if (r->n_dports > 0 && r->proto == TOPO_PROTO_ICMP)
		return filter_fail(err, i, r, "ICMP has no destination ports");
	for (k = 0; k < r->n_dports; k++)
		if (r->dports[k] == 0)
			return filter_fail(err, i, r, "destination port 0 is not a port");
	return 0;
}

static bool filter_applies(const struct filter_item *it, enum filter_hook h)
{
	if (h == FILTER_INPUT)
		return it->out[0] == '\0';
	if (h == FILTER_OUTPUT)
		return it->in[0] == '\0';
	return true;
}

/* Appends " text" pieces to a rule line; the line never exceeds a few
 * hundred bytes (16 ports at most), so a fixed buffer suffices. */
struct filter_line {
	char buf[512];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void filter_put(struct filter_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : 0;
}

static void filter_put_proto(struct filter_line *l, const struct topo_filter *r)
{
	if (r->proto == TOPO_PROTO_UDP || r->proto == TOPO_PROTO_TCP) {
		filter_put(l, " meta l4proto %s", r->proto == TOPO_PROTO_UDP ? "udp" : "tcp");
	} else if (r->proto == TOPO_PROTO_ICMP) {
		if (r->families == TOPO_FAM_V4)
			filter_put(l, " meta l4proto icmp");
		else if (r->families == TOPO_FAM_V6)
			filter_put(l, " meta l4proto ipv6-icmp");
		else
			filter_put(l, " meta l4proto { icmp, ipv6-icmp }");
	} else if (r->n_dports > 0) {
		/* th dport reads bytes 2-3 of any transport header: only
		 * meaningful for the protocols that have ports. */
		filter_put(l, " meta l4proto { tcp, udp }");
	}
}

static void filter_emit_rule(FILE *f, const struct filter_item *it, size_t i)
{
	const struct topo_filter *r = it->r;
	struct filter_line l = { "", 0 };
	size_t k;

	if (r->families == TOPO_FAM_V4)
		filter_put(&l, " meta nfproto ipv4");
	else if (r->families == TOPO_FAM_V6)
		filter_put(&l, " meta nfproto ipv6");
	if (it->in[0] != '\0')
		filter_put(&l, " iifname \"%s\"", it->in);
	if (it->out[0] != '\0')
		filter_put(&l, " oifname \"%s\"", it->out);
	filter_put_proto(&l, r);
	if (r->n_dports > 0) {
		filter_put(&l, " th dport {");
		for (k = 0; k < r->n_dports; k++)
			filter_put(&l, "%s %u", k ? "," : "", (unsigned)r->dports[k]);
		filter_put(&l, " }");
	}
	filter_put(&l, " counter %s comment \"rule %zu", r->action == TOPO_ACCEPT ? "accept" : "drop",
		   i + 1);
	if (r->src.line != 0)
		filter_put(&l, " line %u", r->src.line);
	fprintf(f, "\t\t%s\"\n", l.buf + 1);
}

static void filter_emit_chain(FILE *f, enum filter_hook h, const struct filter_item *items,
			      size_t n)
{
	size_t i;

	fprintf(f, "\tchain %s {\n\t\ttype filter hook %s priority %s; policy accept;\n",
		filter_chain_name[h], filter_hook_name[h], FILTER_PRIORITY);
	/* Never filter neighbour discovery: a one-way drop must stay one-way. */
	fprintf(f, "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, "
		"nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } accept\n");
	for (i = 0; i < n; i++)
		if (filter_applies(&items[i], h))
			filter_emit_rule(f, &items[i], i);
	fprintf(f, "\t}\n");
}

static int filter_render(const struct filter_item *items, size_t n, char **text,
			 struct icl_err *err)
{
	size_t len = 0;
	FILE *f;

	f = open_memstream(text, &len);
	if (f == NULL)
		return icl_err_set(err, -errno, "filter_ruleset: open_memstream: %s",
				   strerror(errno));
	fprintf(f, "# %zu filter rule(s), first match wins\ntable inet %s {\n", n, FILTER_TABLE);
	filter_emit_chain(f, FILTER_INPUT, items, n);
	filter_emit_chain(f, FILTER_FORWARD, items, n);
	filter_emit_chain(f, FILTER_OUTPUT, items, n);
	fprintf(f, "}\n");
	if (ferror(f) || fclose(f) != 0) {
		free(*text);
		*text = NULL;
		return icl_err_set(err, -ENOMEM, "filter_ruleset: out of memory");
	}
	return 0;
}

int filter_ruleset(const struct topo_filter *rules, size_t n, const char *const *in_if,
		   const char *const *out_if, char **text, struct icl_err *err)
{
	struct filter_item *items;
	size_t i;
	int rc = 0;

	if (text == NULL || (rules == NULL && n > 0))
		return icl_err_set(err, -EINVAL, "filter_ruleset: NULL argument");
	*text = NULL;
	items = calloc(n ? n : 1, sizeof(*items));
	if (items == NULL)
		return icl_err_set(err, -ENOMEM, "filter_ruleset: out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		items[i].r = &rules[i];
		rc = filter_check(&rules[i], i, err);
		if (rc == 0)
			rc = filter_side(rules[i].in, in_if, i, &rules[i], "in", &items[i].in, err);
		if (rc == 0)
			rc = filter_side(rules[i].out, out_if, i, &rules[i], "out", &items[i].out,
					 err);
	}
	if (rc == 0)
		rc = filter_render(items, n, text, err);
	free(items);
	return rc;
}
