/* agent_proc.h - one agent process inside a node, spoken to through the
 * agent protocol (docs/agent-protocol.md).
 *
 * The harness side of the contract: start a program in a node's network
 * namespace with pipes on stdin/stdout/stderr, write commands, read events
 * line by line (each parsed with jansson and stamped with the harness's
 * clock), keep stderr as the agent's log, and notice when it exits.
 *
 * Process group: every agent starts in a session and process group of
 * its own (setsid, as the topology's services do), so that whatever it
 * forks can be found again: when the agent has exited, or been killed,
 * what is left of its group is SIGKILLed at once.  A child that leaves
 * the group itself (setsid, setpgid) is not found here; topo_down() kills
 * it with every process still in a node (netns/topo.h).  Nor does a
 * terminal's Ctrl-C reach the agent: it goes to icelab, whose run then
 * ends, agents and all (docs/agent-protocol.md, "Limits").
 *
 * Lifetime: the struct is owned by the caller and must stay put until
 * aproc_close()'s handles have closed (run the loop once more after it).
 * Callbacks run on the loop's thread; `on_event` gets a borrowed object,
 * valid during the call only.
 */
#ifndef HARNESS_AGENT_PROC_H
#define HARNESS_AGENT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#include "../common/err.h"
#include "../netns/topo.h"

#define APROC_LINE_MAX 65536
/* An agent's output is bounded (docs/agent-protocol.md, "Limits"): past
 * APROC_EVENT_BYTES_MAX bytes or APROC_EVENT_LINES_MAX lines on stdout the
 * harness stops reading it (the agent then blocks on its next write) and
 * reports a flood through on_bad with `flooded` set; past
 * APROC_LOG_BYTES_MAX bytes its stderr is read and dropped.  A real
 * session's events are two orders of magnitude below (the longest case of
 * the suite, both agents together: under 50 KB, a few hundred lines). */
#define APROC_EVENT_BYTES_MAX (4u << 20)
#define APROC_EVENT_LINES_MAX 20000u
#define APROC_LOG_BYTES_MAX (16u << 20)

struct aproc;

typedef void (*aproc_event_cb)(struct aproc *ap, json_t *event, const char *line);
/* The protocol was broken: a line that is not a JSON object with an
 * "event" string, or one too long.  `why` is one line. */
typedef void (*aproc_bad_cb)(struct aproc *ap, const char *why);
typedef void (*aproc_exit_cb)(struct aproc *ap);

struct aproc {
	/* Set by the caller before aproc_spawn. */
	char name[32];            /* "client", "server": used in every message */
	void *user;
	aproc_event_cb on_event;
	aproc_bad_cb on_bad;
	aproc_exit_cb on_exit;
	FILE *log;                /* stderr of the agent goes here (may be NULL) */

	/* Read-only for the caller. */
	bool running, exited;
	int64_t exit_status;
	int term_signal;
	unsigned lines;
	bool flooded;             /* stdout went past the limits above */
	uint64_t out_bytes, log_bytes;

	/* Private. */
	uv_process_t proc;
	uv_pipe_t in, out, err;
	char buf[APROC_LINE_MAX];
	size_t len;
	bool skipping;            /* dropping the rest of an overlong line */
	char errbuf[4096];
	uint64_t t0_ns;
	bool proc_inited;
};

/* Start `argv[0]` (a path, or a name looked up in PATH) inside node `node`
 * of `t`.  `t0_ns` is the harness's time origin (uv_hrtime units) that
 * event stamps count from.  On failure nothing is left running. */
int aproc_spawn(struct aproc *ap, uv_loop_t *loop, const struct topo *t, const char *node,
		char *const argv[], uint64_t t0_ns, struct icl_err *err);

/* Decode one event line (without its newline): a JSON object with an
 * "event" string.  Returns the object, a new reference the caller owns, or
 * NULL with `why` (one line, at most `cap` bytes, naming line `lineno`)
 * saying what is wrong.  Pure: no I/O, no state; the reader uses it. */
json_t *aproc_parse_event(const char *line, unsigned lineno, char *why, size_t cap);

/* The reader's own step, public for its tests: `n` bytes were just
 * written at buf + len (at most sizeof(buf) - 1 - len).  Each complete
 * line goes to on_event or on_bad; an overlong line is one on_bad. */
void aproc__split(struct aproc *ap, size_t n);

/* Write one command line.  Takes ownership of `cmd`. */
int aproc_send(struct aproc *ap, json_t *cmd, struct icl_err *err);

/* The harness's time of the last event read, ms since t0. */
double aproc_now_ms(const struct aproc *ap);

/* Send `sig` to the process if it still runs (0 if it does not); to the
 * agent alone, not its group: it may end its children its own way. */
int aproc_signal(struct aproc *ap, int sig);

/* Whether everything the agent wrote has been read: its stderr (the log)
 * and its stdout (unless flooded) reached their end, which follows its
 * exit once the rest of its group is killed.  True if never spawned. */
bool aproc_drained(const struct aproc *ap);

/* SIGKILL the process if it still runs; close every handle.  The loop
 * must run until the handles are closed (uv_run) before `ap` is freed. */
void aproc_close(struct aproc *ap);

#endif
