/* dns64.h - DNS64 resolvers (RFC 6147) in the nodes of a topology.
 *
 * For every node whose plan has `dns64`, dns64_start() writes an unbound
 * configuration and zone files (unbound-NODE*) into the topology's
 * private directory (topo_dir()) and starts unbound
 * in the node (netns/svc.h) on the listen address, port 53, UDP and TCP.
 * unbound answers only from its auth-zones: ipv4only.arpa (RFC 7050:
 * A 192.0.0.170 and 192.0.0.171) and one zone per top-level label of the
 * scenario's names; every other name is refused, so nothing is ever asked
 * of the outside.  The dns64 module synthesizes AAAA records from the A
 * records with the node's NAT64 prefix.  A resolver counts as started
 * once its UDP port is bound and it answered one AAAA query for
 * ipv4only.arpa with the synthesized address.
 *
 * Ownership: the set belongs to the caller until dns64_stop(), which stops
 * the resolvers and removes the directory if it made it.  Threads: call dns64_start()
 * from the thread that will outlive the resolvers (see svc.h about
 * PR_SET_PDEATHSIG); the calling thread never changes namespace.  No
 * global state.
 */
#ifndef NETNS_DNS64_H
#define NETNS_DNS64_H

#include <stddef.h>

#include "../common/err.h"
#include "plan.h"

struct topo;
struct dns64_set;

#define DNS64_PREFIX_DEFAULT "2001:db8:64::"
#define DNS64_PLEN_DEFAULT 96u

/* Start a resolver on every node of `t` that has one; *out is NULL when
 * none has.  On failure nothing is left running or on disk. */
int dns64_start(const struct topo *t, struct dns64_set **out, struct icl_err *err);

/* Stop the resolvers and remove their files.  NULL is allowed. */
void dns64_stop(struct dns64_set *s);

/* Whether one of the set's resolvers has ended since it started (it is
 * reaped); `why` (may be NULL) then names it and says how (svc_ended()).
 * NULL is allowed (false).  From the thread that owns the set. */
bool dns64_ended(const struct dns64_set *s, char *why, size_t cap);

/* Check node `n`'s dns64 against the plan (called by topo_plan_validate):
 * listen address on the node, prefix length RFC 6052 allows, names.
 * Fails with "FILE:LINE:COL: FIELD: reason" and ICL_EINPUT. */
int dns64_validate(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err);

/* Why `name` is not a host name dns64 can serve, or NULL when it is: at
 * least two labels of a-z, 0-9 and '-' (no '-' first or last), at most 63
 * characters a label, 253 in all, not under arpa.  Upper case and one
 * trailing dot are allowed (the loader normalizes them away). */
const char *dns64_name_problem(const char *name);

/* One AAAA query for `name`, over the UDP socket `sock` (in a node), to
 * [server]:53; waits up to `ms`.  The AAAA records of the answer go to
 * out[0..cap) and their count to *n (0 with NOERROR: no AAAA).  Errors:
 * no answer in time, a malformed answer or an rcode other than NOERROR. */
int dns64_query_aaaa(int sock, const unsigned char server[16], const char *name, unsigned ms,
		     unsigned char (*out)[16], size_t cap, size_t *n, struct icl_err *err);

#endif
