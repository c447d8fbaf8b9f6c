/* tmpdir.h - temporary directories that go however their owner ends.
 *
 * icl_tmpdir() is where temporary files go: $TMPDIR, or /tmp when it is
 * unset or empty; icl_tmp_path() names a file or a mkdtemp() template
 * there.
 *
 * icl_tmpdir_private() gives a process a directory of its own under it,
 * "PREFIX-XXXXXX", and makes it the process's TMPDIR, so that what the
 * process and everything it starts put under TMPDIR goes with it.  A
 * janitor process makes the directory and removes it once the last holder
 * of *keep_fd is gone: the caller and the children it forks (the fd is
 * close-on-exec: a program it execs does not hold it).  The janitor lives
 * in a session of its own and ignores the terminal's signals, so a SIGKILL
 * of the caller at any moment finds the directory either not yet made or
 * in the janitor's care.  icl_tmpdir_release() removes it at once and
 * closes *keep_fd, for an owner that ends normally and wants it gone
 * before its exit status is seen.
 */
#ifndef ICL_TMPDIR_H
#define ICL_TMPDIR_H

#include <stddef.h>

#include "err.h"

const char *icl_tmpdir(void);

/* "TMPDIR/name" into `buf`: 0, or -ENAMETOOLONG when it does not fit. */
int icl_tmp_path(char *buf, size_t cap, const char *name);

/* 0 with the directory's path in `dir` and TMPDIR set to it; negative
 * errno with `err` set (nothing made, nothing left). */
int icl_tmpdir_private(const char *prefix, char *dir, size_t cap, int *keep_fd,
		       struct icl_err *err);

void icl_tmpdir_release(const char *dir, int keep_fd);

#endif
