/* inject.h - forged STUN Binding requests from a third node (`inject`
 * actions, docs/scenario-format.md): an attacker who can reach an agent's
 * address but does not know its ICE password tries to nominate a pair of
 * his own (RFC 8445 7.3.1.3 / 7.2.2; RFC 7675 6 on moving media).
 *
 * The pieces are pure except inject_socket(): where to aim, from the
 * session's timeline; what USERNAME to claim; the request's bytes (with
 * agents/stun.h); the answer's code.  The session sends and records.
 */
#ifndef HARNESS_INJECT_H
#define HARNESS_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "../common/err.h"
#include "../netns/plan.h"
#include "../netns/topo.h"
#include "flood.h"

enum inject_integrity {
	INJECT_MI_WRONG,           /* MESSAGE-INTEGRITY keyed with a guessed password */
	INJECT_MI_NONE,            /* no MESSAGE-INTEGRITY at all */
};

/* One forged request, as the scenario gives it. */
struct inject_spec {
	char from[TOPO_NAME_MAX];  /* node the datagram leaves from */
	int to;                    /* index of the agent it is aimed at */
	int family;                /* AF_INET or AF_INET6 */
	bool use_candidate;        /* carry USE-CANDIDATE: try to nominate */
	enum inject_integrity integrity;
	/* USERNAME "TOUFRAG:PEERUFRAG", as any on-path observer reads it in
	 * the checks; false: a made-up one. */
	bool sniffed_username;
	/* count > 0: not one request but a flood of garbage (flood.h); the
	 * fields above but from, to and family do not apply. */
	struct flood_spec flood;
};

/* Where to aim at agent `agent`: its last selected-pair `local` of
 * `family`, else its first host `local-candidate` of that family, read
 * from `timeline` (session.h).  Fills `out` (and `len`); ICL_EINPUT with
 * the reason when the agent has announced no such address yet. */
int inject_target(const json_t *timeline, const char *agent, int family,
		  struct sockaddr_storage *out, socklen_t *len, struct icl_err *err);

/* Every address agent `agent` announced of `family`, read from entry
 * `*from` of `timeline` on (a flood's targets, flood.h): its host
 * candidates and the `local` of its selected pairs, appended to
 * out[*n], lens[*n] unless already there, at most `max` in all.  *from is
 * set past the last entry, so that the next call reads only new ones. */
void inject_targets(const json_t *timeline, const char *agent, int family, size_t *from,
		    struct sockaddr_storage *out, socklen_t *lens, size_t *n, size_t max);

/* The USERNAME to claim: "TOUFRAG:PEERUFRAG" from the agents' last
 * local-description events when `sniffed` (and both are known), else a
 * made-up one.  `out` is NUL-terminated, cut to `size`. */
void inject_username(const json_t *timeline, const char *to, const char *peer, bool sniffed,
		     char *out, size_t size);

/* Encode the Binding request for `s` with `username` into `buf`: a new
 * random transaction ID, PRIORITY, ICE-CONTROLLING (a claim to nominate,
 * with the largest tie-breaker), USE-CANDIDATE when asked, then
 * MESSAGE-INTEGRITY as `s->integrity` says, and FINGERPRINT (so that only
 * the authentication is wrong).  Returns the length or a negative errno. */
int inject_encode(const struct inject_spec *s, const char *username, uint8_t *buf, size_t cap);

/* The STUN code of an answer: 0 success, the error code, or -1 when `buf`
 * is no Binding response. */
int inject_answer_code(const uint8_t *buf, size_t len);

/* "IP:PORT" or "[IP6]:PORT" of `a`, as the agent protocol writes it. */
void inject_addr_str(const struct sockaddr_storage *a, char *out, size_t size);

/* A UDP socket of `family` created inside node `node` of `t` and bound to
 * an ephemeral port; it stays in that node's namespace.  Non-blocking,
 * close-on-exec, owned by the caller.  Call from the harness's home
 * namespace; it is back there on return. */
int inject_socket(const struct topo *t, const char *node, int family, int *fd,
		  struct icl_err *err);

#endif
