/* registry.c - agent implementations by name. */
#include "registry.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct reg_entry entries[] = {
	{"icelab-lite", "reference ICE-Lite agent (RFC 8445 2.5), DTLS 1.2"},
	{"icelab-full", "reference full ICE agent, regular or aggressive nomination, DTLS 1.2"},
	{"libnice", "libnice (GLib ICE library) through its adapter icelab-libnice, DTLS 1.2"},
	{NULL, NULL},
};

/* The program that plays a registry name: adapters are installed as
 * icelab-NAME next to icelab, so that their names stay short. */
static const char *program_of(const char *name)
{
	return strcmp(name, "libnice") == 0 ? "icelab-libnice" : name;
}

const struct reg_entry *reg_entries(void)
{
	return entries;
}

static int check_exec(const char *impl, const char *path, struct icl_err *err)
{
	if (access(path, X_OK) != 0)
		return icl_err_set(err, ICL_EINPUT, "agent '%s': %s: %s", impl, path,
				   strerror(errno));
	return 0;
}

/* `dir`/`name` if it is executable. */
static int try_dir(const char *dir, size_t dlen, const char *name, char *path, size_t cap)
{
	if ((size_t)snprintf(path, cap, "%.*s/%s", (int)dlen, dir, name) >= cap)
		return -1;
	return access(path, X_OK) == 0 ? 0 : -1;
}

static int find_program(const char *name, char *path, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *p = getenv("PATH"), *colon;

	if (n > 0) {
		self[n] = '\0';
		if (strrchr(self, '/') && try_dir(self, (size_t)(strrchr(self, '/') - self), name,
						   path, cap) == 0)
			return 0;
	}
	for (; p && *p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		if (try_dir(p, colon ? (size_t)(colon - p) : strlen(p), name, path, cap) == 0)
			return 0;
		if (!colon)
			break;
	}
	return -1;
}

int reg_resolve(const char *impl, char *path, size_t cap, struct icl_err *err)
{
	char known[256] = "";
	size_t len = 0;

	if (strchr(impl, '/')) {
		if ((size_t)snprintf(path, cap, "%s", impl) >= cap)
			return icl_err_set(err, ICL_EINPUT, "agent '%s': path too long", impl);
		return check_exec(impl, path, err);
	}
	for (const struct reg_entry *e = entries; e->name; e++) {
		if (strcmp(e->name, impl) == 0) {
			if (find_program(program_of(impl), path, cap) == 0)
				return 0;
			return icl_err_set(err, ICL_EINPUT, "agent '%s': not found next to icelab "
					   "nor in PATH (is it built? run make)", impl);
		}
		len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
					len ? ", " : "", e->name);
	}
	return icl_err_set(err, ICL_EINPUT, "unknown agent '%s' (known: %s; or give a path "
			   "containing '/')", impl, known);
}
