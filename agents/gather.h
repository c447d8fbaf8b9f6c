/* gather.h - the host addresses an agent may use as candidates.
 *
 * Reads the interfaces of the calling process's network namespace
 * (getifaddrs) and keeps the usable ones (cand_addr_usable: no loopback,
 * mapped, compatible, site-local or link-local address), once each.
 */
#ifndef AGENTS_GATHER_H
#define AGENTS_GATHER_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/err.h"
#include "stun.h"

/* Fill `out` (room for `max`, owned by the caller) with the usable host
 * addresses of the families asked for, port 0; *n gets the count.  Fails
 * only when the interfaces cannot be read; zero addresses is not an error. */
int gather_host_addrs(bool ipv4, bool ipv6, union stun_addr *out, size_t max, size_t *n,
		      struct icl_err *err);

#endif
