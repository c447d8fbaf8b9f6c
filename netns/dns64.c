/* dns64.c - DNS64 resolvers: unbound in the nodes; see dns64.h.
 *
 * Traps this file works around: unbound's local-data answers before the
 * dns64 module sees the query, so the names live in auth-zone zone files
 * used for upstream only (for-downstream: no), which the iterator reads
 * and dns64 then synthesizes from; `test.` and friends are default local
 * zones that would shadow the auth-zones, so each served zone is declared
 * transparent, which replaces the default.  `local-zone: "." refuse` makes
 * every other name fail at once instead of sending the iterator to the
 * root servers, which the nodes cannot reach.
 */
#include "dns64.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "svc.h"
#include "topo.h"

#define DNS64_PORT 53
#define DNS64_READY_MS 5000u
#define DNS64_CHECK_MS 2000u
#define DNS64_STOP_GRACE_MS 1000u
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28

struct dns64_set {
	char dir[256];     /* configs, zones, logs: the topology's topo_dir() */
	struct svc **svcs; /* one per resolver, NULL until started */
	size_t n;
};

/* ---- names and validation ---------------------------------------------- */

static const char *label_problem(const char *s, size_t len)
{
	if (len == 0)
		return "has an empty label";
	if (len > 63)
		return "has a label longer than 63 characters";
	if (s[0] == '-' || s[len - 1] == '-')
		return "has a label that starts or ends with '-'";
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return "may only contain letters, digits, '-' and '.'";
	}
	return NULL;
}

const char *dns64_name_problem(const char *name)
{
	size_t len = strlen(name), labels = 0;
	const char *s = name, *why;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return "is empty";
	if (len > 253)
		return "is longer than 253 characters";
	while (s < name + len) {
		const char *dot = memchr(s, '.', (size_t)(name + len - s));
		size_t l = dot != NULL ? (size_t)(dot - s) : (size_t)(name + len - s);

		if ((why = label_problem(s, l)) != NULL)
			return why;
		labels++;
		s += l + (dot != NULL);
		if (dot != NULL && s == name + len)
			return "has an empty label";
	}
	if (labels < 2)
		return "needs at least two labels (e.g. server.test)";
	if (len >= 4 && strncasecmp(name + len - 4, "arpa", 4) == 0 &&
	    (len == 4 || name[len - 5] == '.'))
		return "is under arpa., which is reserved";
	return NULL;
}


/* The first IPv6 address of node `node` (equal to `want` when not NULL). */
static const unsigned char *node_v6(const struct topo_plan *p, const char *node,
				    const unsigned char *want)
{
	for (size_t k = 0; k < p->n_links; k++) {
		const struct topo_end *e = topo_link_end_on(&p->links[k], node);

		for (size_t a = 0; e != NULL && a < e->n_addr; a++)
			if (e->addr[a].family == AF_INET6 &&
			    (want == NULL || !memcmp(e->addr[a].addr, want, 16)))
				return e->addr[a].addr;
	}
	return NULL;
}

static int check_prefix(const struct topo_plan *p, const struct topo_node *n,
			const struct topo_prefix *pf, struct icl_err *err)
{
	char field[96];

	snprintf(field, sizeof(field), "nodes.%s.dns64.prefix", n->name);
	if (pf->family != AF_INET6)
		return topo_plan_fail(p, &pf->src, field, err, "the NAT64 prefix must be IPv6");
	if (pf->plen != 32 && pf->plen != 40 && pf->plen != 48 && pf->plen != 56 &&
	    pf->plen != 64 && pf->plen != 96)
		return topo_plan_fail(p, &pf->src, field, err,
			     "prefix length %u is not one RFC 6052 allows (32, 40, 48, 56, 64, 96)",
			     pf->plen);
	for (unsigned i = pf->plen / 8; i < 16; i++)
		if (pf->addr[i] != 0)
			return topo_plan_fail(p, &pf->src, field, err, "address bits after /%u must be zero",
				     pf->plen);
	return 0;
}

static int check_names(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	const struct topo_dns64 *d = n->dns64;
	char field[TOPO_DNS_NAME_MAX + 80];
	const char *why;

	for (size_t i = 0; i < d->n_names; i++) {
		snprintf(field, sizeof(field), "nodes.%s.dns64.names.%s", n->name, d->names[i].name);
		if ((why = dns64_name_problem(d->names[i].name)) != NULL)
			return topo_plan_fail(p, &d->names[i].src, field, err, "name %s", why);
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(d->names[i].name, d->names[j].name))
				return topo_plan_fail(p, &d->names[i].src, field, err, "duplicate name");
	}
	return 0;
}

int dns64_validate(const struct topo_plan *p, const struct topo_node *n, struct icl_err *err)
{
	const struct topo_dns64 *d = n->dns64;
	char field[96], buf[INET6_ADDRSTRLEN];
	int rc;

	snprintf(field, sizeof(field), "nodes.%s.dns64.listen", n->name);
	if (d->has_listen && node_v6(p, n->name, d->listen) == NULL)
		return topo_plan_fail(p, &d->listen_src, field, err, "%s is not an address of node '%s'",
			     inet_ntop(AF_INET6, d->listen, buf, sizeof(buf)), n->name);
	snprintf(field, sizeof(field), "nodes.%s.dns64", n->name);
	if (!d->has_listen && node_v6(p, n->name, NULL) == NULL)
		return topo_plan_fail(p, &d->src, field, err,
			     "node '%s' has no IPv6 address to serve DNS64 on", n->name);
	if ((rc = check_prefix(p, n, &d->prefix, err)) < 0)
		return rc;
	return check_names(p, n, err);
}

/* ---- configuration ------------------------------------------------------- */

/* RFC 6052 section 2.2: the IPv4 address follows the prefix, skipping
 * bits 64..71. */
static void embed_v4(const struct topo_prefix *pf, const unsigned char v4[4], unsigned char out[16])
{
	unsigned pos = pf->plen / 8;

	memcpy(out, pf->addr, 16);
	for (int i = 0; i < 4; i++, pos++) {
		if (pos == 8)
			pos++;
		out[pos] = v4[i];
	}
}

static const char *tld_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL ? dot + 1 : name;
}

/* Whether names[i] is the first with its top-level label. */
static bool first_of_tld(const struct topo_dns64 *d, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(tld_of(d->names[j].name), tld_of(d->names[i].name)))
			return false;
	return true;
}

static int write_file(const char *path, const char *text, struct icl_err *err)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (f == NULL)
		return icl_err_set(err, -errno, "creating %s: %s", path, strerror(errno));
	ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok)
		return icl_err_set(err, -EIO, "writing %s: %s", path, strerror(errno));
	return 0;
}

/* Zone `zone` (no trailing dot) with the A records of names under it. */
static int write_zone(const char *path, const char *zone, const struct topo_dns64 *d,
		      struct icl_err *err)
{
	char *text = NULL, buf[INET_ADDRSTRLEN];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc;

	if (m == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	fprintf(m, "$ORIGIN %s.\n$TTL 60\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n"
		   "@ IN NS ns.%s.\n", zone, zone, zone, zone);
	if (d == NULL) /* ipv4only.arpa, RFC 7050 section 2.2 */
		fputs("@ IN A 192.0.0.170\n@ IN A 192.0.0.171\n", m);
	for (size_t i = 0; d != NULL && i < d->n_names; i++)
		if (!strcmp(tld_of(d->names[i].name), zone))
			fprintf(m, "%s. IN A %s\n", d->names[i].name,
				inet_ntop(AF_INET, d->names[i].addr, buf, sizeof(buf)));
	if (fclose(m) != 0) {
		free(text);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	rc = write_file(path, text, err);
	free(text);
	return rc;
}

static void conf_zone(FILE *m, const char *dir, const char *node, const char *zone)
{
	fprintf(m, "\tlocal-zone: \"%s.\" transparent\n", zone);
	fprintf(m, "auth-zone:\n\tname: \"%s.\"\n\tzonefile: \"%s/unbound-%s-%s.zone\"\n"
		   "\tfor-downstream: no\n\tfor-upstream: yes\n\tfallback-enabled: no\nserver:\n",
		zone, dir, node, zone);
}

/* access-control for every prefix of the topology (masked to the network). */
static void conf_access(FILE *m, const struct topo_plan *p)
{
	char buf[INET6_ADDRSTRLEN];

	fputs("\taccess-control: 127.0.0.0/8 allow\n\taccess-control: ::1/128 allow\n", m);
	for (size_t k = 0; k < p->n_links; k++)
		for (int e = 0; e < 2; e++)
			for (size_t a = 0; a < p->links[k].end[e].n_addr; a++) {
				struct topo_prefix x = p->links[k].end[e].addr[a];

				for (unsigned b = x.plen; b < 128; b++)
					x.addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
				fprintf(m, "\taccess-control: %s/%u allow\n",
					inet_ntop(x.family, x.addr, buf, sizeof(buf)), x.plen);
			}
}

static void conf_server(FILE *m, const struct topo_plan *p, const struct topo_node *n,
			const char *dir, const unsigned char *listen)
{
	char la[INET6_ADDRSTRLEN], pa[INET6_ADDRSTRLEN];
	const struct topo_dns64 *d = n->dns64;

	fprintf(m, "server:\n\tdirectory: \"%s\"\n\tchroot: \"\"\n\tusername: \"\"\n"
		   "\tpidfile: \"\"\n\tdo-daemonize: no\n\tuse-syslog: no\n\tlogfile: \"\"\n"
		   "\tverbosity: 1\n\tnum-threads: 1\n\tso-reuseport: no\n"
		   "\tinterface-automatic: no\n\tinterface: %s@%d\n\tport: %d\n"
		   "\tdo-udp: yes\n\tdo-tcp: yes\n\tdo-not-query-localhost: no\n"
		   "\tmodule-config: \"dns64 iterator\"\n\tdns64-prefix: %s/%u\n"
		   "\tlocal-zone: \".\" refuse\n",
		dir, inet_ntop(AF_INET6, listen, la, sizeof(la)), DNS64_PORT, DNS64_PORT,
		inet_ntop(AF_INET6, d->prefix.addr, pa, sizeof(pa)), d->prefix.plen);
	conf_access(m, p);
}

/* Write NODE.conf and the zone files of node `n` into `dir`. */
static int write_config(const struct topo_plan *p, const struct topo_node *n, const char *dir,
			const unsigned char *listen, const char *conf, struct icl_err *err)
{
	const struct topo_dns64 *d = n->dns64;
	char *text = NULL, zpath[PATH_MAX + 320];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc = 0;

	if (m == NULL)
		return icl_err_set(err, -ENOMEM, "out of memory");
	conf_server(m, p, n, dir, listen);
	conf_zone(m, dir, n->name, "ipv4only.arpa");
	snprintf(zpath, sizeof(zpath), "%s/unbound-%s-ipv4only.arpa.zone", dir, n->name);
	rc = write_zone(zpath, "ipv4only.arpa", NULL, err);
	for (size_t i = 0; rc == 0 && i < d->n_names; i++) {
		if (!first_of_tld(d, i))
			continue;
		conf_zone(m, dir, n->name, tld_of(d->names[i].name));
		snprintf(zpath, sizeof(zpath), "%s/unbound-%s-%s.zone", dir, n->name,
			 tld_of(d->names[i].name));
		rc = write_zone(zpath, tld_of(d->names[i].name), d, err);
	}
	fputs("remote-control:\n\tcontrol-enable: no\n", m);
	if (fclose(m) != 0 && rc == 0)
		rc = icl_err_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = write_file(conf, text, err);
	free(text);
	return rc;
}

/* ---- queries ----------------------------------------------------------------- */

static size_t put_query(unsigned char *q, uint16_t id, const char *name)
{
	size_t off = 12;
	const char *s = name;

	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (*s) {
		size_t l = strcspn(s, ".");

		q[off++] = (unsigned char)l;
		memcpy(q + off, s, l);
		off += l;
		s += l + (s[l] == '.');
	}
	q[off++] = 0;
	q[off++] = 0;
	q[off++] = DNS_TYPE_AAAA;
	q[off++] = 0;
	q[off++] = 1; /* IN */
	return off;
}

/* Skip a (possibly compressed) name; false if it runs off the end. */
static bool skip_name(const unsigned char *b, size_t len, size_t *off)
{
	while (*off < len) {
		unsigned c = b[*off];

		if ((c & 0xC0) == 0xC0) {
			*off += 2;
			return *off <= len;
		}
		if (c & 0xC0)
			return false;
		*off += 1 + c;
		if (c == 0)
			return true;
	}
	return false;
}

static int parse_answer(const unsigned char *b, size_t len, unsigned char (*out)[16], size_t cap,
			size_t *n, struct icl_err *err)
{
	unsigned qd = (unsigned)b[4] << 8 | b[5], an = (unsigned)b[6] << 8 | b[7];
	size_t off = 12;

	if ((b[3] & 0x0F) != 0)
		return icl_err_set(err, -EPROTO, "DNS rcode %u", b[3] & 0x0Fu);
	for (unsigned i = 0; i < qd; i++, off += 4)
		if (!skip_name(b, len, &off))
			return icl_err_set(err, -EPROTO, "malformed DNS answer (question)");
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdlen;

		if (!skip_name(b, len, &off) || off + 10 > len)
			return icl_err_set(err, -EPROTO, "malformed DNS answer (record %u)", i + 1);
		type = (unsigned)b[off] << 8 | b[off + 1];
		rdlen = (unsigned)b[off + 8] << 8 | b[off + 9];
		off += 10;
		if (off + rdlen > len)
			return icl_err_set(err, -EPROTO, "malformed DNS answer (record %u)", i + 1);
		if (type == DNS_TYPE_AAAA && rdlen == 16 && *n < cap)
			memcpy(out[(*n)++], b + off, 16);
		off += rdlen;
	}
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for the reply with `id`; other datagrams are ignored. */
static ssize_t recv_reply(int sock, uint16_t id, unsigned char *b, size_t cap, unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	for (;;) {
		uint64_t now = mono_ms();
		struct pollfd pfd = {sock, POLLIN, 0};
		ssize_t r;

		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0)
			return -ETIMEDOUT;
		r = recv(sock, b, cap, MSG_DONTWAIT);
		if (r >= 12 && b[0] == (id >> 8) && b[1] == (id & 0xff) && (b[2] & 0x80))
			return r;
	}
}

int dns64_query_aaaa(int sock, const unsigned char server[16], const char *name, unsigned ms,
		     unsigned char (*out)[16], size_t cap, size_t *n, struct icl_err *err)
{
	unsigned char q[300], b[4096];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(DNS64_PORT)};
	uint16_t id = (uint16_t)(mono_ms() ^ (uint64_t)getpid());
	char sa[INET6_ADDRSTRLEN];
	ssize_t r;

	*n = 0;
	if (strlen(name) > 253)
		return icl_err_set(err, -EINVAL, "name too long");
	memcpy(&to.sin6_addr, server, 16);
	inet_ntop(AF_INET6, server, sa, sizeof(sa));
	if (sendto(sock, q, put_query(q, id, name), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return icl_err_set(err, -errno, "AAAA %s to [%s]:53: %s", name, sa, strerror(errno));
	r = recv_reply(sock, id, b, sizeof(b), ms);
	if (r < 0)
		return icl_err_set(err, (int)r, "AAAA %s to [%s]:53: no answer within %u ms", name,
				   sa, ms);
	if (parse_answer(b, (size_t)r, out, cap, n, err) < 0)
		return icl_err_wrap(err, "AAAA %s to [%s]:53", name, sa);
	return 0;
}

/* ---- start and stop ----------------------------------------------------------- */

/* A UDP socket created inside node `node`; it stays in that namespace. */
static int node_udp(const struct topo *t, const char *node, int *fd, struct icl_err *err)
{
	int rc = topo_enter(t, node, err);

	if (rc < 0)
		return rc;
	*fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		rc = icl_err_set(err, -errno, "socket in node %s: %s", node, strerror(errno));
	if (topo_leave(t, err) < 0 && rc == 0)
		rc = err->code;
	return rc;
}

/* One AAAA query for ipv4only.arpa must come back synthesized. */
static int check_resolver(const struct topo *t, const struct topo_node *n,
			  const unsigned char *listen, struct icl_err *err)
{
	static const unsigned char wka[4] = {192, 0, 0, 170};
	unsigned char got[4][16], want[16];
	size_t cnt = 0;
	int fd = -1, rc = node_udp(t, n->name, &fd, err);

	if (rc == 0)
		rc = dns64_query_aaaa(fd, listen, "ipv4only.arpa", DNS64_CHECK_MS, got, 4, &cnt, err);
	if (fd >= 0)
		close(fd);
	embed_v4(&n->dns64->prefix, wka, want);
	for (size_t i = 0; rc == 0 && i < cnt; i++)
		if (!memcmp(got[i], want, 16))
			return 0;
	if (rc == 0)
		rc = icl_err_set(err, -EPROTO, "AAAA ipv4only.arpa: no synthesized address in %zu "
					       "records", cnt);
	return rc;
}

static int start_one(const struct topo *t, struct dns64_set *s, const struct topo_node *n,
		     struct svc **out, struct icl_err *err)
{
	const struct topo_plan *p = topo_plan(t);
	const unsigned char *listen = n->dns64->has_listen ? n->dns64->listen
							     : node_v6(p, n->name, NULL);
	struct svc_ready ready = {SVC_READY_UDP, DNS64_PORT, "", DNS64_READY_MS};
	char conf[320], log[320], what[96];
	char *argv[] = {"unbound", "-d", "-c", conf, NULL};
	int rc;

	snprintf(conf, sizeof(conf), "%s/unbound-%s.conf", s->dir, n->name);
	snprintf(log, sizeof(log), "%s/unbound-%s.log", s->dir, n->name);
	snprintf(what, sizeof(what), "unbound on %s", n->name);
	rc = write_config(p, n, s->dir, listen, conf, err);
	if (rc == 0)
		rc = svc_start(what, topo_node_fd(t, n->name), argv, log, &ready, out, err);
	if (rc == 0 && (rc = check_resolver(t, n, listen, err)) < 0) {
		char tail[512];

		svc_log_tail(*out, tail, sizeof(tail), 3);
		icl_err_wrap(err, "%s (log: %s)", what, tail);
	}
	if (rc < 0)
		icl_err_wrap(err, "node %s: dns64", n->name);
	return rc;
}

int dns64_start(const struct topo *t, struct dns64_set **out, struct icl_err *err)
{
	const struct topo_plan *p = topo_plan(t);
	struct dns64_set *s;
	bool any = false;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < p->n_nodes; i++)
		any = any || p->nodes[i].dns64 != NULL;
	if (!any)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->svcs = calloc(p->n_nodes, sizeof(*s->svcs))) == NULL) {
		free(s);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	if (topo_dir(t) == NULL || strlen(topo_dir(t)) >= sizeof(s->dir))
		rc = icl_err_set(err, -EINVAL, "dns64: the topology has no usable private directory");
	else
		snprintf(s->dir, sizeof(s->dir), "%s", topo_dir(t));
	for (size_t i = 0; rc == 0 && i < p->n_nodes; i++, s->n++)
		if (p->nodes[i].dns64 != NULL)
			rc = start_one(t, s, &p->nodes[i], &s->svcs[i], err);
	if (rc < 0) {
		dns64_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

bool dns64_ended(const struct dns64_set *s, char *why, size_t cap)
{
	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (svc_ended(s->svcs[i], why, cap))
			return true;
	return false;
}

void dns64_stop(struct dns64_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		svc_stop(s->svcs[i], DNS64_STOP_GRACE_MS);
	free(s->svcs);
	free(s);
}
