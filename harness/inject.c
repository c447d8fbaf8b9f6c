/* inject.c - forged STUN Binding requests from a third node. */
#include "inject.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../agents/stun.h"

/* What the attacker guesses for the password, and claims when he has not
 * seen the checks. */
#define INJECT_GUESSED_PWD "attackerguessedpassword0"
#define INJECT_MADE_UP_USERNAME "attk:icelab"
/* A peer-reflexive priority as a full agent sends it (RFC 8445 5.1.2.1,
 * type preference 110, local preference 65535, component 1). */
#define INJECT_PRIORITY 1862270975u
#define INJECT_TIEBREAKER 0xffffffffffffffffull /* wins every role conflict */

static const char *tl_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* `host` (no brackets) and `port` as a socket address of `family`. */
static bool to_sockaddr(const char *host, unsigned port, int family, struct sockaddr_storage *out,
			socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return true;
	}
	if (family == AF_INET6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

/* "IP:PORT" or "[IP6]:PORT" of `family` into `out`. */
static bool parse_endpoint(const char *s, int family, struct sockaddr_storage *out,
			   socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : 0;
	unsigned port;

	if (!colon || n == 0 || n >= sizeof(host) || sscanf(colon + 1, "%5u", &port) != 1 ||
	    port == 0 || port > 65535)
		return false;
	if (s[0] == '[' && s[n - 1] == ']')
		memcpy(host, s + 1, n - 2), host[n - 2] = '\0';
	else
		memcpy(host, s, n), host[n] = '\0';
	return to_sockaddr(host, port, family, out, len);
}

/* A host candidate's address: "candidate:F 1 udp PRIO ADDR PORT typ host". */
static bool parse_host_candidate(const char *c, int family, struct sockaddr_storage *out,
				 socklen_t *len)
{
	char addr[64], type[16];
	unsigned port;

	return sscanf(c, "candidate:%*s %*u %*s %*u %63s %5u typ %15s", addr, &port, type) == 3 &&
	       strcmp(type, "host") == 0 && port > 0 && port <= 65535 &&
	       to_sockaddr(addr, port, family, out, len);
}

int inject_target(const json_t *timeline, const char *agent, int family,
		  struct sockaddr_storage *out, socklen_t *len, struct icl_err *err)
{
	bool found = false;
	const json_t *e;
	size_t i;

	json_array_foreach(timeline, i, e) {
		const json_t *ev = json_object_get(e, "event");

		if (strcmp(tl_str(e, "agent"), agent) == 0 &&
		    strcmp(tl_str(ev, "event"), "selected-pair") == 0 &&
		    parse_endpoint(tl_str(ev, "local"), family, out, len))
			found = true;   /* the last one counts */
	}
	json_array_foreach(timeline, i, e) {
		const json_t *ev = json_object_get(e, "event");

		if (found)
			break;
		found = strcmp(tl_str(e, "agent"), agent) == 0 &&
			strcmp(tl_str(ev, "event"), "local-candidate") == 0 &&
			parse_host_candidate(tl_str(ev, "candidate"), family, out, len);
	}
	if (found)
		return 0;
	return icl_err_set(err, ICL_EINPUT, "agent %s has announced no %s address to aim at (no "
			   "selected pair, no host candidate of that family)", agent,
			   family == AF_INET ? "IPv4" : "IPv6");
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* The address `ev` of `agent` announces, of `family`: a host candidate or
 * a selected pair's local. */
static bool announced(const json_t *ev, int family, struct sockaddr_storage *a, socklen_t *len)
{
	const char *name = tl_str(ev, "event");

	if (strcmp(name, "selected-pair") == 0)
		return parse_endpoint(tl_str(ev, "local"), family, a, len);
	return strcmp(name, "local-candidate") == 0 &&
	       parse_host_candidate(tl_str(ev, "candidate"), family, a, len);
}

void inject_targets(const json_t *timeline, const char *agent, int family, size_t *from,
		    struct sockaddr_storage *out, socklen_t *lens, size_t *n, size_t max)
{
	size_t end = json_array_size(timeline);

	for (size_t i = *from; i < end; i++) {
		const json_t *e = json_array_get(timeline, i);
		struct sockaddr_storage a;
		socklen_t len;
		size_t j = 0;

		if (strcmp(tl_str(e, "agent"), agent) != 0 ||
		    !announced(json_object_get(e, "event"), family, &a, &len))
			continue;
		while (j < *n && !same_addr(&out[j], &a))
			j++;
		if (j == *n && *n < max) {
			out[*n] = a;
			lens[(*n)++] = len;
		}
	}
	*from = end;
}

/* The ufrag of `agent`'s last local-description, or NULL. */
static const char *last_ufrag(const json_t *timeline, const char *agent)
{
	const char *ufrag = NULL;
	const json_t *e;
	size_t i;

	json_array_foreach(timeline, i, e) {
		const json_t *ev = json_object_get(e, "event");

		if (strcmp(tl_str(e, "agent"), agent) == 0 &&
		    strcmp(tl_str(ev, "event"), "local-description") == 0 && tl_str(ev, "ufrag")[0])
			ufrag = tl_str(ev, "ufrag");
	}
	return ufrag;
}

void inject_username(const json_t *timeline, const char *to, const char *peer, bool sniffed,
		     char *out, size_t size)
{
	const char *a = last_ufrag(timeline, to), *b = last_ufrag(timeline, peer);

	if (sniffed && a && b)
		snprintf(out, size, "%s:%s", a, b);
	else
		snprintf(out, size, "%s", INJECT_MADE_UP_USERNAME);
}

int inject_encode(const struct inject_spec *s, const char *username, uint8_t *buf, size_t cap)
{
	uint8_t txid[STUN_TXID_SIZE];
	struct stun_writer w;

	if (stun_random_txid(txid) < 0)
		return -EIO;

	stun_writer_init(&w, buf, cap, STUN_BINDING, STUN_REQUEST, txid);
	stun_put_str(&w, STUN_A_USERNAME, username);
	stun_put_u32(&w, STUN_A_PRIORITY, INJECT_PRIORITY);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLING, INJECT_TIEBREAKER);
	if (s->use_candidate)
		stun_put_flag(&w, STUN_A_USE_CANDIDATE);
	if (s->integrity == INJECT_MI_WRONG)
		stun_put_integrity(&w, (const uint8_t *)INJECT_GUESSED_PWD,
				   strlen(INJECT_GUESSED_PWD));
	stun_put_fingerprint(&w);
	return stun_writer_end(&w);
}

int inject_answer_code(const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	struct icl_err err;

	if (stun_decode(buf, len, &m, &err) < 0 || m.method != STUN_BINDING)
		return -1;
	if (m.cls == STUN_SUCCESS)
		return 0;
	return m.cls == STUN_ERROR ? m.error_code : -1;
}

void inject_addr_str(const struct sockaddr_storage *a, char *out, size_t size)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(in->sin_port));
	}
}

static int open_bound(int family, int *fd, struct icl_err *err)
{
	struct sockaddr_storage any = { .ss_family = (sa_family_t)family };
	int one = 1;

	*fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return icl_err_set(err, -errno, "socket: %s", strerror(errno));
	if (family == AF_INET6)
		setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(*fd, (struct sockaddr *)&any, family == AF_INET ? sizeof(struct sockaddr_in)
								 : sizeof(struct sockaddr_in6)) < 0) {
		int e = errno;

		close(*fd);
		*fd = -1;
		return icl_err_set(err, -e, "bind: %s", strerror(e));
	}
	return 0;
}

int inject_socket(const struct topo *t, const char *node, int family, int *fd,
		  struct icl_err *err)
{
	struct icl_err leave;
	int rc = topo_enter(t, node, err);

	*fd = -1;
	if (rc < 0)
		return rc;
	rc = open_bound(family, fd, &leave);
	if (rc < 0)
		icl_err_set(err, rc, "inject from node %s: %s", node, leave.msg);
	if (topo_leave(t, &leave) < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return rc < 0 ? rc : icl_err_set(err, leave.code, "%s", leave.msg);
	}
	return rc;
}
