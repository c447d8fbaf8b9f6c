/* svc.h - helper daemons inside the nodes of a topology (TAYGA, unbound,
 * turnserver, ...).
 *
 * svc_start() forks a child that enters the node's network namespace,
 * sends stdout and stderr to a log file, and execs the program.  The child
 * is killed by the kernel when the thread that started it dies
 * (PR_SET_PDEATHSIG; start services from the process's main thread), and
 * it lives in icelab's sandbox (netns/sandbox.h), so a SIGKILL of icelab
 * takes it down too.  It starts in its own process group, so stopping it
 * also stops whatever it forked.
 *
 * Readiness is observed, never slept on: svc_start() returns once the
 * condition in `ready` holds (a UDP or TCP port bound in the node, a
 * network interface present in the node, or a file created), or fails
 * with the program's last log lines when it exits or the deadline passes.
 *
 * Ownership: `*out` belongs to the caller until svc_stop().  No global
 * state; any thread, but see PR_SET_PDEATHSIG above.
 */
#ifndef NETNS_SVC_H
#define NETNS_SVC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"

enum svc_ready_kind {
	SVC_READY_NONE = 0,    /* started is ready (exec succeeded) */
	SVC_READY_UDP,         /* a UDP socket bound to `port` in the node (any address) */
	SVC_READY_TCP,         /* a TCP socket listening on `port` in the node */
	SVC_READY_IFACE,       /* interface `name` exists in the node */
	SVC_READY_FILE,        /* file `name` exists (in the caller's mount namespace) */
};

struct svc_ready {
	enum svc_ready_kind kind;
	uint16_t port;
	char name[64];
	unsigned timeout_ms;   /* 0: 5000 */
};

struct svc {
	char name[64];         /* for messages: "tayga on router" */
	pid_t pid;
	char log[4096];        /* the log file's path */
};

/* Start argv[0] (a path or a name looked up in PATH) in the namespace whose
 * fd is `netns_fd`, with stdout and stderr appended to the file `log`
 * (created, truncated).  `name` is used in messages.  Waits for `ready`.
 * On failure nothing is left running, and err says why, quoting the last
 * lines of the log. */
int svc_start(const char *name, int netns_fd, char *const argv[], const char *log,
	      const struct svc_ready *ready, struct svc **out, struct icl_err *err);

/* SIGTERM the service's process group, SIGKILL it after `grace_ms`, reap
 * it and free `s`.  NULL is allowed. */
void svc_stop(struct svc *s, unsigned grace_ms);

/* Whether the service still runs (it is reaped if it exited). */
bool svc_alive(struct svc *s);

/* Whether the service has ended (it is reaped if so; it does not run
 * again); if it has, `why` (may be NULL) says how, naming the service,
 * with the last lines of its log: "service tayga (nat64) on nat64 ended:
 * it was killed by signal 9 (Killed); log ... ends: ...".  For watching a
 * service that must run as long as its topology. */
bool svc_ended(struct svc *s, char *why, size_t cap);

/* The last `lines` lines of the service's log, into buf. */
void svc_log_tail(const struct svc *s, char *buf, size_t cap, int lines);

#endif
