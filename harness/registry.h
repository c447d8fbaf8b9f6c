/* registry.h - agent implementations by name.
 *
 * A scenario names the program that plays each agent: either a registry
 * name (icelab-lite, icelab-full, and adapters as they are added) or a
 * path (anything containing '/').  A name is looked up next to the icelab
 * executable first (build/ in a checkout, PREFIX/bin once installed), then
 * in PATH, so a checkout always runs its own agents.
 *
 * No state: the table is constant; any thread.
 */
#ifndef HARNESS_REGISTRY_H
#define HARNESS_REGISTRY_H

#include <stddef.h>

#include "../common/err.h"

struct reg_entry {
	const char *name;
	const char *what;          /* one line for `icelab agents` */
};

/* The known names, terminated by an entry with name NULL. */
const struct reg_entry *reg_entries(void);

/* Resolve `impl` to an executable path in `path` (size `cap`).  Errors
 * (ICL_EINPUT): an unknown name (listing the known ones), a path that does
 * not exist or is not executable, a name whose program is not installed. */
int reg_resolve(const char *impl, char *path, size_t cap, struct icl_err *err);

#endif
