/* nsutil.h - UDP sockets inside the nodes of a built topology, for tests.
 * Each socket is created in its node and keeps that namespace; the test
 * thread itself stays home. */
#ifndef TESTS_NSUTIL_H
#define TESTS_NSUTIL_H

#include <netinet/in.h>
#include <stdbool.h>

#include "../../common/tmpdir.h"
#include "../../netns/topo.h"

/* The seed case's network (scenarios/topo-ipv6-oneway.yaml): client
 * 10.0.0.2 / 2001:db8:1::2 behind a router that NATs IPv4 (outside
 * 203.0.113.1) and routes IPv6 but drops it from wan to lan; server
 * 203.0.113.10 / 2001:db8:2::10.  A literal, so tests can append to it. */
#define NS_ONEWAY_YAML \
	"topology:\n" \
	"  nodes:\n" \
	"    client:\n" \
	"      routes:\n" \
	"        - { to: default, via: 10.0.0.1 }\n" \
	"        - { to: default, via: '2001:db8:1::1' }\n" \
	"    router:\n" \
	"      router: true\n" \
	"      nat:\n" \
	"        - { inside: lan, outside: wan, family: ipv4 }\n" \
	"      filters:\n" \
	"        - { action: drop, family: ipv6, in: wan, out: lan }\n" \
	"    server:\n" \
	"      routes:\n" \
	"        - { to: default, via: '2001:db8:2::1' }\n" \
	"  links:\n" \
	"    lan:\n" \
	"      a: { node: client, ipv4: 10.0.0.2/24, ipv6: '2001:db8:1::2/64' }\n" \
	"      b: { node: router, ipv4: 10.0.0.1/24, ipv6: '2001:db8:1::1/64' }\n" \
	"    wan:\n" \
	"      a: { node: router, ipv4: 203.0.113.1/24, ipv6: '2001:db8:2::1/64' }\n" \
	"      b: { node: server, ipv4: 203.0.113.10/24, ipv6: '2001:db8:2::10/64' }\n"

/* client --lan-- router --wan-- server, routed, no NAT, with the families
 * asked: client 10.0.1.2 / 2001:db8:1::2, router 10.0.1.1 and
 * 203.0.113.1 / 2001:db8:1::1 and 2001:db8:2::1, server 203.0.113.10 /
 * 2001:db8:2::10. */
void ns_routed_yaml(char *buf, size_t cap, bool ipv4, bool ipv6);

/* "$TMPDIR/prefix-XXXXXX" into `buf`, for mkdtemp(): main.c gives the run
 * a private TMPDIR (icl_tmpdir_private()), removed with whatever a failed
 * test (whose assertion skipped its cleanup) left there, however the run
 * ends. */
void ns_tmp_template(char *buf, size_t cap, const char *prefix);

/* The path of program `name` built next to the running test binary. */
void ns_built_path(const char *name, char *out, size_t cap);

/* Build a topology from YAML text; aborts the test on failure. */
struct topo *ns_topo_from_yaml(const char *yaml, struct topo_plan *plan);
void ns_topo_free(struct topo *t, struct topo_plan *plan);

/* RFC 4787 behaviour names, indexed by enum topo_behaviour. */
extern const char *const ns_behaviours[3];

/* The NAT lab: client 10.0.0.2 --lan-- router (NAT, outside 203.0.113.1)
 * --wan-- server 203.0.113.10 and .11 (two addresses, as RFC 5780 needs). */
void ns_nat_lab_yaml(char *buf, size_t cap, int mapping, int filtering, bool pp, bool hairpin,
		     unsigned lifetime);

/* A UDP socket in `node`, bound to addr:port (addr "" = any, port 0 = any). */
int ns_udp(const struct topo *t, const char *node, const char *addr, unsigned port);

void ns_sendto(int fd, const char *addr, unsigned port, const char *msg);

/* Wait up to `ms` for a datagram; true if one came, with its source in
 * from/from_port (from may be NULL). */
bool ns_recv(int fd, unsigned ms, char *from, size_t cap, unsigned *from_port);

/* How many network namespaces live processes hold. */
int ns_count_live(void);



#include <sys/types.h>

/* Start argv inside `node` with stdout+stderr to a pipe (*out_fd, owned by
 * the caller); the child is SIGKILLed if the test process dies. */
pid_t ns_spawn(const struct topo *t, const char *node, char *const argv[], int *out_fd);

/* Read what `fd` yields within `ms` into buf (NUL-terminated), until EOF or
 * until `until` (if not NULL) appears.  Returns true if `until` was seen or,
 * with until == NULL, if EOF was reached. */
bool ns_read_until(int fd, unsigned ms, char *buf, size_t cap, const char *until);

/* Kill and reap. */
void ns_kill(pid_t pid);
#endif
