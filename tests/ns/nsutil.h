/* nsutil.h - UDP sockets inside the nodes of a built topology, for tests.
 * Each socket is created in its node and keeps that namespace; the test
 * thread itself stays home. */
#ifndef TESTS_NSUTIL_H
#define TESTS_NSUTIL_H

#include <netinet/in.h>
#include <stdbool.h>

#include "../../netns/topo.h"

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
