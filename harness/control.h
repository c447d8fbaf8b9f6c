/* control.h - reach the nodes of a topology kept by `icelab topo up` or by
 * `icelab run --keep-on-fail`.
 *
 * The keeper listens on an abstract unix socket named after the scenario
 * file's real path, or, for a case kept by `run`, after "case:NAME" (a
 * name that is not an existing file means the case of that name).  Abstract sockets vanish with their owner, so nothing
 * is left in the file system if the keeper is killed.  A client sends a
 * node name and receives the node's namespace fd (SCM_RIGHTS); it keeps
 * the connection open and sees it hang up when the topology goes away.
 */
#ifndef HARNESS_CONTROL_H
#define HARNESS_CONTROL_H

#include "../common/err.h"

struct topo;

/* Listening socket for the topology built from `file`; `*fd` is owned by
 * the caller.  Fails with -EADDRINUSE if that file is already kept. */
int ctl_listen(const char *file, int *fd, struct icl_err *err);

/* Answer one client on the accepted connection `conn` (blocking, 1 s
 * budget).  The connection stays open; the caller closes it later. */
void ctl_serve(int conn, const struct topo *t);

/* Ask the keeper of `file` for node `node`.  On success `*ns_fd` is the
 * node's namespace and `*conn` the connection to watch; both are owned by
 * the caller. */
int ctl_request(const char *file, const char *node, int *ns_fd, int *conn, struct icl_err *err);

#endif
