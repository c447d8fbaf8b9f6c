/* err.h - an error record that carries its cause up to the user.
 *
 * Every fallible function in icelab takes a `struct icl_err *` as its last
 * argument and returns 0 on success or a negative errno (or ICL_EINVAL_INPUT
 * for bad user input) on failure, after filling the record.  The record is
 * owned by the caller; it is plain memory, never allocated by the callee.
 * Only harness/main turns a record into an exit status.
 */
#ifndef ICL_ERR_H
#define ICL_ERR_H

#include <stddef.h>

/* Bad user input (scenario file, command line): exit status 2. */
#define ICL_EINPUT (-10000)

struct icl_err {
	int code;        /* 0, -errno, or ICL_EINPUT */
	char msg[1024];  /* one line, no trailing newline */
};

/* Fill `e` (may be NULL) and return `code`.  `code` must be negative. */
int icl_err_set(struct icl_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context ("building node x: ...").
 * Returns e->code so that callers can write `return icl_err_wrap(e, ...)`. */
int icl_err_wrap(struct icl_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void icl_err_clear(struct icl_err *e);

#endif
