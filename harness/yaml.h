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
 *
 * Matrix substitution: every scalar is read through scn_scalar(), which
 * replaces each ${name} by the value of the current cell's parameter
 * (c->params).  The node keeps its position, so a file is read as if it
 * had the substituted text: types are checked afterwards, and errors point
 * at the scalar as written.  A scalar that is one whole ${name} takes the
 * type of the value as the matrix writes it (30 an integer, "30" a string)
 * whatever its own quotes; any other scalar keeps its own style.
 *
 * `{` and `}` end plain scalars inside flow collections ({ a: b }), so
 * scn_yaml_open() first rewrites each ${name} to "$" U+E000 name U+E001:
 * libfyaml counts columns in characters, so no position moves, and the
 * markers are turned back into braces in every message.
 */
#ifndef SCN_YAML_H
#define SCN_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

#include "../common/err.h"
#include "../netns/plan.h"

struct scn_param;

struct scn_ctx {
	const char *name;       /* file name used in messages */
	struct fy_diag *diag;   /* collects libfyaml reports; never prints */
	struct icl_err *err;
	struct fy_node *key;    /* last key entered: position of null values */
	char path[256];         /* FIELD of what is being read */
	/* The cell being read (borrowed); none: scalars are read as written. */
	const struct scn_param *params;
	size_t n_params;
	unsigned quoted;        /* bit i: params[i] was a quoted value */
	char *text;             /* the parsed text, references marked; owned */
	/* Scratch for one substituted scalar, sized by scn_sub_reserve()
	 * before any substitution; scn_yaml_close() frees it. */
	char *sub;
	size_t sub_cap;
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

/* The text of scalar `n` with this cell's ${name} references replaced
 * (unknown names are left as written: scn_matrix.c reports them before
 * any cell is read).  Valid until the next call; never NULL. */
const char *scn_scalar(struct scn_ctx *c, struct fy_node *n, size_t *len);

/* A reference in the raw text of a scalar: s[start..end) is the whole
 * reference, s[name..name+name_len) its parameter name. */
struct scn_ref {
	size_t start, name, name_len, end;
};
/* The next reference at or after `from` in s[0..len).  1 found, 0 none,
 * -1 a "${" that is not "${name}" (r->start says where). */
int scn_ref_find(const char *s, size_t len, size_t from, struct scn_ref *r);
/* Make room for substituted scalars of up to `len` bytes. */
int scn_sub_reserve(struct scn_ctx *c, size_t len);

/* Node checks.  scn_is_null() is true for an empty value, ~ and null (a
 * scalar with a ${} reference never is: parameter values are not null). */
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

/* Reads the value `v` of a key, with the path already extended by the
 * key, so that its errors name the field; `arg` is the caller's. */
typedef int scn_reader(struct scn_ctx *c, struct fy_node *v, void *arg);
enum scn_need { SCN_OPTIONAL, SCN_REQUIRED };
/* Runs `reader` on the value of `key` of `map` with the path extended by
 * `key`, and restores the path.  Absent: SCN_REQUIRED is scn_require's
 * error, SCN_OPTIONAL returns 0 without calling `reader`. */
int scn_at_key(struct scn_ctx *c, struct fy_node *map, const char *key, enum scn_need need,
	       scn_reader *reader, void *arg);

/* How a value looks in a message: "\"x\"", "the quoted string \"x\"",
 * "a list", ... */
const char *scn_describe(struct scn_ctx *c, struct fy_node *n, char *buf, size_t size);

/* Scalar conversions of `n`; errors name the current path.  scn_as_text
 * gives the (substituted) text of a non-null scalar, or "expected WANT". */
int scn_as_text(struct scn_ctx *c, struct fy_node *n, const char *want, const char **s,
		size_t *len);
int scn_as_str(struct scn_ctx *c, struct fy_node *n, char *buf, size_t size);
int scn_as_bool(struct scn_ctx *c, struct fy_node *n, bool *out);
int scn_as_uint(struct scn_ctx *c, struct fy_node *n, unsigned min, unsigned max, unsigned *out);
int scn_as_enum(struct scn_ctx *c, struct fy_node *n, const char *const *names, int *out);
/* An address, with "/plen" when `plen` is non-NULL.  `family` AF_INET or
 * AF_INET6 restricts it; AF_UNSPEC accepts both and stores the family. */
int scn_as_addr(struct scn_ctx *c, struct fy_node *n, int *family, unsigned char addr[16],
		unsigned *plen);

/* (yaml_value.c) A duration: "<n>ms", "<n>s" or "<n.nnn>s", plain or
 * quoted, in ms within min_ms..max_ms.  A bare integer is refused with a
 * hint. */
int scn_as_duration(struct scn_ctx *c, struct fy_node *n, unsigned min_ms, unsigned max_ms,
		    unsigned *out);
/* An endpoint as the agent protocol writes it, "IP:PORT" or "[IPv6]:PORT",
 * stored in canonical form.  SCN_EP_BARE: a bare address is fine too;
 * SCN_EP_WILD: the port may be "*" (stored as the bare address: any
 * port).  `family` gets AF_INET or AF_INET6. */
#define SCN_EP_BARE 1u
#define SCN_EP_WILD 2u
int scn_as_endpoint(struct scn_ctx *c, struct fy_node *n, unsigned flags, char *buf, size_t size,
		    int *family);

/* The same for `key` of `map`: absent leaves *out untouched and returns 0,
 * so callers preset defaults. */
int scn_get_str(struct scn_ctx *c, struct fy_node *map, const char *key, char *buf, size_t size);
int scn_get_bool(struct scn_ctx *c, struct fy_node *map, const char *key, bool *out);
int scn_get_uint(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min,
		 unsigned max, unsigned *out);
int scn_get_enum(struct scn_ctx *c, struct fy_node *map, const char *key,
		 const char *const *names, int *out);
int scn_get_duration(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min_ms,
		     unsigned max_ms, unsigned *out);

/* "1500ms" or "2s": a duration as a user writes it. */
const char *scn_fmt_ms(unsigned ms, char *buf, size_t size);

#endif
