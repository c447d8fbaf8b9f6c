/* gather.c - host addresses from getifaddrs. */
#include "gather.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "cand.h"

static bool seen(const union stun_addr *out, size_t n, const union stun_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (stun_addr_same_ip(&out[i], a))
			return true;
	return false;
}

static bool wanted(const struct ifaddrs *ifa, bool ipv4, bool ipv6)
{
	if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
		return false;
	return (ifa->ifa_addr->sa_family == AF_INET && ipv4) ||
	       (ifa->ifa_addr->sa_family == AF_INET6 && ipv6);
}

int gather_host_addrs(bool ipv4, bool ipv6, union stun_addr *out, size_t max, size_t *n,
		      struct icl_err *err)
{
	struct ifaddrs *list, *ifa;

	*n = 0;
	if (getifaddrs(&list) < 0)
		return icl_err_set(err, -errno, "reading interface addresses: %s", strerror(errno));
	for (ifa = list; ifa && *n < max; ifa = ifa->ifa_next) {
		union stun_addr a;

		if (!wanted(ifa, ipv4, ipv6))
			continue;
		memset(&a, 0, sizeof(a));
		if (ifa->ifa_addr->sa_family == AF_INET)
			a.in = *(const struct sockaddr_in *)(const void *)ifa->ifa_addr;
		else
			a.in6 = *(const struct sockaddr_in6 *)(const void *)ifa->ifa_addr;
		a.in.sin_port = 0;   /* same offset in both families */
		if (cand_addr_usable(&a) && !seen(out, *n, &a))
			out[(*n)++] = a;
	}
	freeifaddrs(list);
	return 0;
}
