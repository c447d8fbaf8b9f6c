/* wire.h - what really crossed the links of a case, read from its pcap
 * captures (capture.h), so that an agent's own report is not the only
 * witness.
 *
 * wire_load() reads every DIR/<link>-<node>.pcap of the case's topology,
 * classifies each UDP datagram (STUN Binding request / success / error,
 * with USE-CANDIDATE noted; DTLS by record content type, RFC 7983 ranges;
 * anything else "other") and attributes it: a datagram seen on a link end
 * of the node where agent A runs, with a source address of that node, was
 * sent by A; one with a destination address of that node was received by
 * A.  A sent datagram counts as delivered when the same payload was
 * received by the peer agent's node after it was sent (NATs on the way
 * change addresses and ports, not payloads).  A link cut (the scenario's
 * actions, netcut.h) drops at the far end, after that end's capture saw
 * the datagram: what arrived at an end while a cut of that end and family
 * was in force is no receipt.
 *
 * Ownership: struct wire_view is owned by the caller (wire_free).  No
 * global state; any thread.
 */
#ifndef HARNESS_WIRE_H
#define HARNESS_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "../common/err.h"
#include "case.h"

struct wire_view;

/* Read the captures of case `c` from `dir`.  `t0_realtime` is the case's
 * origin (CLOCK_REALTIME seconds: sess_result.t0_realtime), from which
 * wire_check's `within` and wire_flows' times count, as the events' do.
 * `timeline` (borrowed; NULL: no actions ran) is the case's, whose harness
 * `action` events say when each part of a link was cut: a cut counts from
 * its event's time, stamped just before it is applied, so a datagram in
 * the fraction of a ms that takes counts as dropped.  Missing files of
 * link ends are an error naming the file.  On failure *out is NULL. */
int wire_load(const struct scn_case *c, const char *dir, double t0_realtime,
	      const json_t *timeline, struct wire_view **out, struct icl_err *err);
void wire_free(struct wire_view *w);

/* Judge one wire expectation (kind SCN_EXP_WIRE_*) of `c`.  Returns
 * whether it holds; `detail` gets one line with expected vs actual, naming
 * the offending datagram (file, frame number as tshark counts, time,
 * 5-tuple) when it fails.  A `within` counts from the case's origin
 * (wire_load), to the datagram's capture time. */
bool wire_check(const struct wire_view *w, const struct scn_case *c, const struct scn_expect *e,
		char *detail, size_t cap);

/* The agents' STUN and DTLS datagrams for the report's timeline picture,
 * in send order:
 *   [{"t": ms, "from": "client", "to": "server" | null, "src": "IP:PORT",
 *     "dst": "IP:PORT", "family": "ipv4"|"ipv6",
 *     "kind": "binding-request" | "binding-success" | "binding-error" |
 *             "dtls-handshake" | "dtls-ccs" | "dtls-alert" | "dtls-data" | "other",
 *     "use_candidate": bool, "delivered": bool, "t_arrive": ms | null,
 *     "link": LINK, "frame": N}, ...]
 * Times are ms since the case's origin (wire_load).  New reference; NULL
 * on OOM. */
json_t *wire_flows(const struct wire_view *w);

#endif
