/* filter.h - nftables text for a node's packet filter rules.
 *
 * filter_ruleset() renders the ordered `struct topo_filter` rules of one
 * node as one table "inet icl_filter", to be loaded once with
 * nft_run_cmd_from_buffer() inside the node's fresh namespace.  Pure text
 * generation, deterministic for equal input.
 *
 * Semantics: rules are evaluated in order, first match wins; no match
 * accepts.  A rule applies to the hooks its interfaces allow:
 *     in  only  -> input, forward        out only -> forward, output
 *     in + out  -> forward               neither  -> input, forward, output
 * Neighbour discovery (ICMPv6 router/neighbour solicitation and
 * advertisement, redirect) is accepted before any rule; ARP never passes
 * through an inet table.  So {drop, ipv6, in: wan, out: lan} breaks
 * exactly one direction.
 *
 * Ordering: the chains hook at priority filter - 10 (-10), i.e. after
 * DNAT (prerouting -100) - forward rules see the translated destination -
 * and before the NAT guard chains of nat.h (priority filter).  An accept
 * here ends only this table's chain: a NAT drop still applies after it.
 */
#ifndef ICL_FILTER_H
#define ICL_FILTER_H

#include "plan.h"

#define FILTER_TABLE "icl_filter"
#define FILTER_PRIORITY "filter - 10"

/* Render rules[0..n).  The plan's `in`/`out` fields name links; the
 * engine resolves them to this node's interface names and passes them
 * index-parallel: in_if[i] / out_if[i] is the interface for rules[i].in /
 * rules[i].out.  Either array may be NULL when no rule names that side;
 * an entry must be non-empty exactly when the rule's field is.
 *
 * On success returns 0 and stores in *text a NUL-terminated string owned
 * by the caller (release with free()); n == 0 yields a table with empty
 * chains.  On failure *text is NULL and `err` names the rule (index and
 * scenario line) and the cause: ICL_EINPUT for bad rules, -EINVAL for
 * NULL arguments, -ENOMEM. */
int filter_ruleset(const struct topo_filter *rules, size_t n, const char *const *in_if,
		   const char *const *out_if, char **text, struct icl_err *err);

#endif
