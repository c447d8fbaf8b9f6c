/* nice_cfg.c - configure -> libnice settings (see nice_cfg.h). */
#include "nice_cfg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void na_set(char *na, size_t size, const char *what)
{
	snprintf(na, size, "%s", what);
}

/* What libnice cannot do, first field first; false when all is doable. */
static bool not_applicable(const struct proto_config *c, char *na, size_t size)
{
	if (c->lite) {
		na_set(na, size, "lite: the libnice adapter runs libnice as a full agent only "
		       "(an ICE-Lite agent, RFC 8445 2.5, is not what it tests)");
		return true;
	}
	if (c->n_quirks > 0) {
		snprintf(na, size, "quirks[0]: \"%s\": libnice does not reproduce the reference "
			 "agents' quirks", c->quirks[0]);
		return true;
	}
	if (c->nat64.set) {
		na_set(na, size, "nat64: libnice has no NAT64 prefix discovery (RFC 7050) nor "
		       "RFC 6052 address synthesis");
		return true;
	}
	for (size_t i = 0; i < c->n_turn_servers; i++) {
		if (c->turn_servers[i].family) {
			snprintf(na, size, "turn_servers[%zu].family: libnice cannot ask for a relay "
				 "family (no REQUESTED-ADDRESS-FAMILY, RFC 8656 7.2)", i);
			return true;
		}
	}
	/* libnice 0.1.21 checks consent on fixed timers: a case that scales
	 * them down would judge libnice by timers it was never given. */
	if (c->consent_interval_ms || c->consent_timeout_ms) {
		snprintf(na, size, "timers.%s: libnice's RFC 7675 consent timers are fixed "
			 "(no property sets them)", c->consent_interval_ms ? "consent_interval_ms"
									  : "consent_timeout_ms");
		return true;
	}
	return false;
}

static int addr_ip(const union stun_addr *a, char ip[NICE_CFG_IP_MAX], unsigned *port)
{
	const void *src = a->sa.sa_family == AF_INET6 ? (const void *)&a->in6.sin6_addr
						       : (const void *)&a->in.sin_addr;

	*port = ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port);
	return inet_ntop(a->sa.sa_family, src, ip, NICE_CFG_IP_MAX) ? 0 : -1;
}

static int map_servers(const struct proto_config *c, struct nice_cfg *n, struct icl_err *err)
{
	if (c->n_stun_servers > 1)
		return icl_err_set(err, ICL_EINPUT, "stun_servers[1]: libnice takes one STUN server "
				   "(its stun-server property); give one");
	if (c->n_stun_servers == 1 && addr_ip(&c->stun_servers[0], n->stun_ip, &n->stun_port) < 0)
		return icl_err_set(err, ICL_EINPUT, "stun_servers[0]: not an IP address");
	for (size_t i = 0; i < c->n_turn_servers; i++) {
		struct nice_cfg_relay *r = &n->relays[i];

		if (addr_ip(&c->turn_servers[i].addr, r->ip, &r->port) < 0)
			return icl_err_set(err, ICL_EINPUT, "turn_servers[%zu].url: not an IP address", i);
		r->username = c->turn_servers[i].username;
		r->password = c->turn_servers[i].password;
	}
	n->n_relays = c->n_turn_servers;
	return 0;
}

int nice_cfg_map(const struct proto_config *c, struct nice_cfg *n, char *na, size_t na_size,
		 struct icl_err *err)
{
	memset(n, 0, sizeof(*n));
	if (not_applicable(c, na, na_size))
		return NICE_CFG_NA;
	if (map_servers(c, n, err) < 0)
		return err->code;
	n->controlling = c->role_set ? c->role == ICE_CONTROLLING : true;
	n->regular_nomination = c->nomination != ICE_NOMINATE_AGGRESSIVE;
	n->consent = true;
	n->ipv4 = c->ipv4;
	n->ipv6 = c->ipv6;
	n->ta_ms = c->ta_ms;
	n->rto_ms = c->rto_ms;
	n->ufrag = c->ufrag[0] ? c->ufrag : NULL;
	n->pwd = c->pwd[0] ? c->pwd : NULL;
	return 0;
}

bool nice_cfg_controlling(const struct nice_cfg *n, bool peer_lite)
{
	return peer_lite || n->controlling;
}
