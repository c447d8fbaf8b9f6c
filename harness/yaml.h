/* yaml.h - typed, position-aware reading of a libfyaml document.
 *
 * The scenario loader reads YAML through these helpers so that every
 * mistake in a file ends up as one line "FILE:LINE:COL: FIELD: reason".
 * FIELD is the dotted path kept in the context (e.g. links.wan.a.ipv4);
 * callers extend it with scn_path_key()/scn_path_index() while they
 * descend and restore it with scn_path_pop().
 *
 * YAML typing is strict on purpose: a boolean is a plain true/false, an
 * integer is a plain run of digits, so that "120" (quoted) or `yes` are
 * reported instead of silently meaning something else.
 */
#ifndef SCN_YAML_H
#define SCN_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

#include "../common/err.h"
#include "../netns/plan.h"

struct scn_ctx {
	const char *name;       /* file name used in messages */
	struct fy_diag *diag;   /* collects libfyaml reports; never prints */
	struct icl_err *err;
	struct fy_node *key;    /* last key entered: position of null values */
	char path[256];         /* FIELD of what is being read */
};

/* Parse `buf` into a document; on a YAML error fill c->err with
 * "NAME:LINE:COL: reason" and return NULL.  c->diag must be NULL on entry;
 * scn_yaml_close() releases both. */
struct fy_document *scn_yaml_open(struct scn_ctx *c, const char *buf, size_t len);
void scn_yaml_close(struct scn_ctx *c, struct fy_document *doc);

/* Fill "NAME:LINE:COL: PATH: reason" and return ICL_EINPUT.  `at` gives
 * the position; when it has none, the last key entered is used. */
int scn_fail(struct scn_ctx *c, struct fy_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int scn_oom(struct scn_ctx *c);

/* 1-based position of `n` (0:0 when unknown). */
struct topo_src scn_src(struct scn_ctx *c, struct fy_node *n);

/* Path handling; the push functions return the length to restore. */
size_t scn_path_key(struct scn_ctx *c, const char *key);
size_t scn_path_index(struct scn_ctx *c, size_t i);
void scn_path_pop(struct scn_ctx *c, size_t len);

/* Node checks.  scn_is_null() is true for an empty value, ~ and null. */
bool scn_is_null(struct fy_node *n);
/* "expected WANT, got ..." at `n`. */
int scn_type_error(struct scn_ctx *c, struct fy_node *n, const char *want);
int scn_want_map(struct scn_ctx *c, struct fy_node *n);
int scn_want_seq(struct scn_ctx *c, struct fy_node *n);

/* Every key of `map` must be a plain string listed in `known` (NULL
 * terminated); the first other key is an error at its position. */
int scn_check_keys(struct scn_ctx *c, struct fy_node *map, const char *const *known);

/* The pair of `key` in `map` or NULL when absent; sets c->key.  A key
 * written with no value is present, with a NULL or null value. */
struct fy_node_pair *scn_pair(struct scn_ctx *c, struct fy_node *map, const char *key);
/* The value of `key`; absence is an error at `map`. */
int scn_require(struct scn_ctx *c, struct fy_node *map, const char *key, struct fy_node **out);

/* Scalar conversions of `n`; errors name the current path. */
int scn_as_str(struct scn_ctx *c, struct fy_node *n, char *buf, size_t size);
int scn_as_bool(struct scn_ctx *c, struct fy_node *n, bool *out);
int scn_as_uint(struct scn_ctx *c, struct fy_node *n, unsigned min, unsigned max, unsigned *out);
int scn_as_enum(struct scn_ctx *c, struct fy_node *n, const char *const *names, int *out);
/* An address, with "/plen" when `plen` is non-NULL.  `family` AF_INET or
 * AF_INET6 restricts it; AF_UNSPEC accepts both and stores the family. */
int scn_as_addr(struct scn_ctx *c, struct fy_node *n, int *family, unsigned char addr[16],
		unsigned *plen);

/* The same for `key` of `map`: absent leaves *out untouched and returns 0,
 * so callers preset defaults. */
int scn_get_str(struct scn_ctx *c, struct fy_node *map, const char *key, char *buf, size_t size);
int scn_get_bool(struct scn_ctx *c, struct fy_node *map, const char *key, bool *out);
int scn_get_uint(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min,
		 unsigned max, unsigned *out);
int scn_get_enum(struct scn_ctx *c, struct fy_node *map, const char *key,
		 const char *const *names, int *out);

#endif
