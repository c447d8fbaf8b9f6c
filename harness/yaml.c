/* yaml.c - typed, position-aware reading of a libfyaml document. */
#include "yaml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"

/* ---- document ------------------------------------------------------------ */

/* First error libfyaml collected, as "NAME:LINE:COL: reason". */
static int syntax_error(struct scn_ctx *c)
{
	struct fy_diag_error *e;
	void *it = NULL;
	char msg[512];
	size_t n;

	while ((e = fy_diag_errors_iterate(c->diag, &it)) != NULL)
		if (e->type >= FYET_ERROR)
			break;
	/* libfyaml builds no document, and says nothing, for an empty stream. */
	if (e == NULL)
		return icl_err_set(c->err, ICL_EINPUT, "%s:1:1: the file is empty; a scenario "
				   "needs a 'topology:' section", c->name);
	snprintf(msg, sizeof(msg), "%s", e->msg ? e->msg : "syntax error");
	n = strcspn(msg, "\r\n");
	msg[n] = '\0';
	if (e->line > 0)
		return icl_err_set(c->err, ICL_EINPUT, "%s:%d:%d: %s", c->name, e->line,
				   e->column > 0 ? e->column : 1, msg);
	return icl_err_set(c->err, ICL_EINPUT, "%s: %s", c->name, msg);
}

#define REF_OPEN "\xee\x80\x80"  /* U+E000, in place of the '{' of "${name}" */
#define REF_CLOSE "\xee\x80\x81" /* U+E001, in place of its '}' */
#define REF_MARK_LEN 3
#define REF_NAME_MAX 64
#define REF_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* Length of the name of a "${name}" at s[i], or 0. */
static size_t ref_at(const char *s, size_t len, size_t i)
{
	size_t n = 0;

	if (i + 2 >= len || s[i] != '$' || s[i + 1] != '{')
		return 0;
	while (i + 2 + n < len && n <= REF_NAME_MAX && strchr(REF_NAME_CHARS, s[i + 2 + n]) &&
	       s[i + 2 + n] != '\0')
		n++;
	return n > 0 && n <= REF_NAME_MAX && i + 2 + n < len && s[i + 2 + n] == '}' ? n : 0;
}

/* A copy of `buf` with every "${name}" marked (see yaml.h). */
static char *mark_refs(const char *buf, size_t len, size_t *out_len)
{
	size_t refs = 0, n, o = 0;
	char *out;

	for (size_t i = 0; i < len; i++)
		refs += ref_at(buf, len, i) > 0;
	out = malloc(len + refs * 2 * (REF_MARK_LEN - 1) + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if ((n = ref_at(buf, len, i)) == 0) {
			out[o++] = buf[i];
			continue;
		}
		out[o++] = '$';
		memcpy(out + o, REF_OPEN, REF_MARK_LEN);
		memcpy(out + o + REF_MARK_LEN, buf + i + 2, n);
		memcpy(out + o + REF_MARK_LEN + n, REF_CLOSE, REF_MARK_LEN);
		o += 2 * REF_MARK_LEN + n;
		i += n + 2;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* Markers back to braces, in place: messages show what the file says. */
static void unmark(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		if (!strncmp(r, REF_OPEN, REF_MARK_LEN) || !strncmp(r, REF_CLOSE, REF_MARK_LEN)) {
			*w++ = r[2] == '\x80' ? '{' : '}';
			r += REF_MARK_LEN;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Offset of the first byte of `s` that does not start a valid UTF-8
 * sequence (RFC 3629: no overlong forms, surrogates or code points above
 * U+10FFFF), or `len`. */
static size_t utf8_bad_at(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		unsigned char b = s[i];

		n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3
		    : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
		if (n == 0 || n > len - i)
			return i;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		if ((b == 0xe0 && s[i + 1] < 0xa0) || (b == 0xed && s[i + 1] > 0x9f) ||
		    (b == 0xf0 && s[i + 1] < 0x90) || (b == 0xf4 && s[i + 1] > 0x8f))
			return i;
		i += n;
	}
	return len;
}

/* libfyaml 0.7 loops forever on some invalid UTF-8 (a byte 0xff in a
 * "%" directive line), and YAML is Unicode text anyway: refuse it first,
 * at its line and column (in characters, as libfyaml counts). */
static int check_utf8(struct scn_ctx *c, const char *buf, size_t len)
{
	size_t bad = utf8_bad_at((const unsigned char *)buf, len);
	unsigned line = 1, col = 1;

	if (bad == len)
		return 0;
	for (size_t i = 0; i < bad; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	return icl_err_set(c->err, ICL_EINPUT, "%s:%u:%u: byte 0x%02x is not UTF-8; a scenario "
			   "file is UTF-8 text", c->name, line, col, (unsigned char)buf[bad]);
}

struct fy_document *scn_yaml_open(struct scn_ctx *c, const char *buf, size_t len)
{
	struct fy_parse_cfg cfg = { 0 };
	struct fy_diag_cfg dcfg;
	struct fy_document *doc;

	if (check_utf8(c, buf, len) < 0)
		return NULL;

	/* Collecting instead of printing keeps stderr clean and lets us put
	 * the first error in the one-line message.  Aliases stay unresolved
	 * (and are then rejected) so that no input can expand exponentially. */
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.colorize = false;
	c->diag = fy_diag_create(&dcfg);
	if (c->diag == NULL) {
		scn_oom(c);
		return NULL;
	}
	fy_diag_set_collect_errors(c->diag, true);
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2;
	cfg.diag = c->diag;
	c->text = mark_refs(buf, len, &len);
	if (c->text == NULL) {
		scn_oom(c);
		return NULL;
	}
	doc = fy_document_build_from_string(&cfg, c->text, len);
	if (doc == NULL || fy_diag_got_error(c->diag)) {
		syntax_error(c);
		fy_document_destroy(doc);
		return NULL;
	}
	return doc;
}

void scn_yaml_close(struct scn_ctx *c, struct fy_document *doc)
{
	fy_document_destroy(doc);
	if (c->diag != NULL)
		fy_diag_destroy(c->diag);
	c->diag = NULL;
	free(c->sub);
	c->sub = NULL;
	c->sub_cap = 0;
	free(c->text);
	c->text = NULL;
}

/* ---- positions and errors ------------------------------------------------ */

static struct topo_src mark_src(const struct fy_mark *m)
{
	struct topo_src s = { 0, 0 };

	if (m != NULL && m->line >= 0 && m->column >= 0)
		s = (struct topo_src){ (unsigned)m->line + 1, (unsigned)m->column + 1 };
	return s;
}

/* libfyaml 0.7 exposes start marks only for scalar tokens.  For mappings
 * and sequences we let it report on the node into the collecting diag and
 * read the position back, which is what its own messages would show. */
static struct topo_src collection_src(struct scn_ctx *c, struct fy_node *n)
{
	struct fy_diag_error *e, *last = NULL;
	struct topo_src s = { 0, 0 };
	void *it = NULL;

	fy_node_report(n, FYET_ERROR, "position");
	while ((e = fy_diag_errors_iterate(c->diag, &it)) != NULL)
		last = e;
	if (last != NULL && last->line > 0 && last->column > 0)
		s = (struct topo_src){ (unsigned)last->line, (unsigned)last->column };
	/* Also frees the collected reports, so positions cost no memory. */
	fy_diag_reset_error(c->diag);
	return s;
}

static bool is_block(struct fy_node *n)
{
	return fy_node_get_style(n) == FYNS_LITERAL || fy_node_get_style(n) == FYNS_FOLDED;
}

/* A block scalar's (| or >) token starts at the beginning of its first
 * line of text, in the indentation: point at the text itself. */
static void skip_indent(const struct scn_ctx *c, const struct fy_mark *m, struct topo_src *s)
{
	if (c->text == NULL || m == NULL || s->line == 0)
		return;
	for (size_t i = m->input_pos; c->text[i] == ' '; i++)
		s->col++;
}

struct topo_src scn_src(struct scn_ctx *c, struct fy_node *n)
{
	struct topo_src s = { 0, 0 };
	struct fy_token *t;

	if (n == NULL)
		return s;
	if (fy_node_is_scalar(n) || fy_node_is_alias(n)) {
		t = fy_node_get_scalar_token(n);
		s = t != NULL ? mark_src(fy_token_start_mark(t)) : s;
		/* The token starts after the opening quote; point at the quote. */
		if ((fy_node_get_style(n) == FYNS_SINGLE_QUOTED ||
		     fy_node_get_style(n) == FYNS_DOUBLE_QUOTED) && s.col > 1)
			s.col--;
		if (t != NULL && is_block(n))
			skip_indent(c, fy_token_start_mark(t), &s);
		return s;
	}
	s = collection_src(c, n);
	if (s.line == 0 && fy_node_is_mapping(n) && fy_node_mapping_item_count(n) > 0)
		s = scn_src(c, fy_node_pair_key(fy_node_mapping_get_by_index(n, 0)));
	return s;
}

int scn_fail(struct scn_ctx *c, struct fy_node *at, const char *fmt, ...)
{
	struct topo_src s = scn_src(c, at);
	char reason[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* Quoted YAML text can hold any character: keep the message one line. */
	for (char *p = reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (s.line == 0)
		s = scn_src(c, c->key);
	if (s.line == 0)
		s = (struct topo_src){ 1, 1 };
	if (c->path[0] == '\0')
		icl_err_set(c->err, ICL_EINPUT, "%s:%u:%u: %s", c->name, s.line, s.col, reason);
	else
		icl_err_set(c->err, ICL_EINPUT, "%s:%u:%u: %s: %s", c->name, s.line, s.col, c->path,
			    reason);
	if (c->err != NULL)
		unmark(c->err->msg);
	return ICL_EINPUT;
}

int scn_oom(struct scn_ctx *c)
{
	return icl_err_set(c->err, -ENOMEM, "%s: out of memory", c->name);
}

/* ---- paths ---------------------------------------------------------------- */

size_t scn_path_key(struct scn_ctx *c, const char *key)
{
	size_t old = strlen(c->path);

	snprintf(c->path + old, sizeof(c->path) - old, "%s%s", old ? "." : "", key);
	return old;
}

size_t scn_path_index(struct scn_ctx *c, size_t i)
{
	size_t old = strlen(c->path);

	snprintf(c->path + old, sizeof(c->path) - old, "[%zu]", i);
	return old;
}

void scn_path_pop(struct scn_ctx *c, size_t len)
{
	if (len < sizeof(c->path))
		c->path[len] = '\0';
}

/* ---- node kinds ------------------------------------------------------------ */

/* The scalar as written in the file. */
static const char *raw_text(struct fy_node *n, size_t *len)
{
	const char *s = fy_node_get_scalar(n, len);

	if (s == NULL) {
		*len = 0;
		return "";
	}
	return s;
}

int scn_ref_find(const char *s, size_t len, size_t from, struct scn_ref *r)
{
	const char *m = from < len ? memmem(s + from, len - from, "$" REF_OPEN, 1 + REF_MARK_LEN)
				   : NULL;
	const char *raw = from < len ? memmem(s + from, len - from, "${", 2) : NULL;
	const char *end;

	/* A "${" left unmarked is not "${name}". */
	if (raw != NULL && (m == NULL || raw < m)) {
		r->start = (size_t)(raw - s);
		return -1;
	}
	if (m == NULL)
		return 0;
	r->start = (size_t)(m - s);
	r->name = r->start + 1 + REF_MARK_LEN;
	end = memmem(s + r->name, len - r->name, REF_CLOSE, REF_MARK_LEN);
	if (end == NULL) /* cannot happen: mark_refs writes both */
		return -1;
	r->name_len = (size_t)(end - (s + r->name));
	r->end = r->name + r->name_len + REF_MARK_LEN;
	return 1;
}

int scn_sub_reserve(struct scn_ctx *c, size_t len)
{
	char *p;

	if (len < c->sub_cap)
		return 0;
	p = realloc(c->sub, len + 1);
	if (p == NULL)
		return scn_oom(c);
	c->sub = p;
	c->sub_cap = len + 1;
	return 0;
}

static int param_index(const struct scn_ctx *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n_params; i++)
		if (strlen(c->params[i].name) == len && !memcmp(c->params[i].name, name, len))
			return (int)i;
	return -1;
}

/* Append s[0..len) to c->sub at *used; the reservation made by the
 * matrix reader fits every cell, truncation is only a safety net. */
static void sub_append(struct scn_ctx *c, size_t *used, const char *s, size_t len)
{
	if (len > c->sub_cap - 1 - *used)
		len = c->sub_cap - 1 - *used;
	memcpy(c->sub + *used, s, len);
	*used += len;
}

const char *scn_scalar(struct scn_ctx *c, struct fy_node *n, size_t *len)
{
	size_t rlen, at = 0, used = 0;
	const char *raw = raw_text(n, &rlen);
	struct scn_ref r;
	int p;

	*len = rlen;
	if (c->n_params == 0 || c->sub == NULL || scn_ref_find(raw, rlen, 0, &r) != 1)
		return raw;
	while (scn_ref_find(raw, rlen, at, &r) == 1) {
		p = param_index(c, raw + r.name, r.name_len);
		sub_append(c, &used, raw + at, r.start - at);
		if (p >= 0)
			sub_append(c, &used, c->params[p].value, strlen(c->params[p].value));
		else
			sub_append(c, &used, raw + r.start, r.end - r.start);
		at = r.end;
	}
	sub_append(c, &used, raw + at, rlen - at);
	c->sub[used] = '\0';
	*len = used;
	return c->sub;
}

/* Plain, after substitution: a whole ${name} is as plain as its value. */
static bool is_plain(struct scn_ctx *c, struct fy_node *n)
{
	size_t len;
	const char *s;
	struct scn_ref r;
	int p;

	if (c->n_params > 0) {
		s = raw_text(n, &len);
		if (scn_ref_find(s, len, 0, &r) == 1 && r.start == 0 && r.end == len &&
		    (p = param_index(c, s + r.name, r.name_len)) >= 0)
			return !(c->quoted & (1u << p));
	}
	return fy_node_get_style(n) == FYNS_PLAIN;
}

bool scn_is_null(struct fy_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	size_t len;
	const char *s;

	if (n == NULL)
		return true;
	if (!fy_node_is_scalar(n) || fy_node_is_alias(n) || fy_node_get_style(n) != FYNS_PLAIN)
		return false;
	s = raw_text(n, &len);
	for (int i = 0; nulls[i]; i++)
		if (len == strlen(nulls[i]) && !memcmp(s, nulls[i], len))
			return true;
	return false;
}

/* `what` and the first 40 bytes of `s` in double quotes, control
 * characters written as escapes (a block scalar ends in a line break):
 * the message stays one line and still shows what the file holds.  "..."
 * marks a cut, by the 40 bytes or by `size` (escapes take 4 bytes). */
static void show_text(char *buf, size_t size, const char *what, const char *s, size_t len)
{
	size_t o = (size_t)snprintf(buf, size, "%s\"", what), i;

	for (i = 0; i < len && i < 40 && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		char e = ch == '\n' ? 'n' : ch == '\t' ? 't' : ch == '\r' ? 'r' : 0;

		if (e != 0)
			o += (size_t)snprintf(buf + o, size - o, "\\%c", e);
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	snprintf(buf + o, size - o, "%s\"", i < len ? "..." : "");
}

const char *scn_describe(struct scn_ctx *c, struct fy_node *n, char *buf, size_t size)
{
	size_t len;
	const char *s;

	if (scn_is_null(n))
		return "nothing (null)";
	if (fy_node_is_alias(n))
		return "an alias";
	if (fy_node_is_mapping(n))
		return "a mapping";
	if (fy_node_is_sequence(n))
		return "a list";
	s = scn_scalar(c, n, &len);
	show_text(buf, size, !is_plain(c, n) ? (is_block(n) ? "the block text " : "the quoted string ")
					     : "", s, len);
	return buf;
}

int scn_type_error(struct scn_ctx *c, struct fy_node *n, const char *want)
{
	char buf[96];

	if (fy_node_is_alias(n))
		return scn_fail(c, n, "aliases (*name) are not supported; write the value out");
	return scn_fail(c, n, "expected %s, got %s", want, scn_describe(c, n, buf, sizeof(buf)));
}

int scn_want_map(struct scn_ctx *c, struct fy_node *n)
{
	return n != NULL && fy_node_is_mapping(n) ? 0 : scn_type_error(c, n, "a mapping");
}

int scn_want_seq(struct scn_ctx *c, struct fy_node *n)
{
	return n != NULL && fy_node_is_sequence(n) ? 0 : scn_type_error(c, n, "a list");
}

/* ---- mappings -------------------------------------------------------------- */

static bool key_is(struct scn_ctx *c, struct fy_node *k, const char *key)
{
	size_t len;
	const char *s;

	if (k == NULL || !fy_node_is_scalar(k) || fy_node_is_alias(k))
		return false;
	s = scn_scalar(c, k, &len);
	return len == strlen(key) && !memcmp(s, key, len);
}

/* "a, b, c" from a NULL-terminated list, for "expected one of" messages. */
static const char *join(const char *const *names, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

static int unknown_key(struct scn_ctx *c, struct fy_node *k, const char *const *known)
{
	char list[256], buf[96];
	const char *t;
	size_t len, old;
	int rc;

	if (!fy_node_is_scalar(k) || fy_node_is_alias(k))
		return scn_fail(c, k, "keys must be plain names, got %s",
				scn_describe(c, k, buf, sizeof(buf)));
	t = scn_scalar(c, k, &len);
	snprintf(buf, sizeof(buf), "%.*s", len > 40 ? 40 : (int)len, t);
	old = scn_path_key(c, buf);
	rc = scn_fail(c, k, "unknown key (expected one of: %s)",
		      join(known, list, sizeof(list)));
	scn_path_pop(c, old);
	return rc;
}

int scn_check_keys(struct scn_ctx *c, struct fy_node *map, const char *const *known)
{
	struct fy_node_pair *p;
	void *it = NULL;

	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(p);
		bool ok = false;

		for (int i = 0; known[i] && !ok; i++)
			ok = key_is(c, k, known[i]);
		if (!ok)
			return unknown_key(c, k, known);
	}
	return 0;
}

struct fy_node_pair *scn_pair(struct scn_ctx *c, struct fy_node *map, const char *key)
{
	struct fy_node_pair *p;
	void *it = NULL;

	while ((p = fy_node_mapping_iterate(map, &it)) != NULL)
		if (key_is(c, fy_node_pair_key(p), key)) {
			c->key = fy_node_pair_key(p);
			return p;
		}
	return NULL;
}

int scn_require(struct scn_ctx *c, struct fy_node *map, const char *key, struct fy_node **out)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	size_t old;
	int rc;

	if (p != NULL) {
		*out = fy_node_pair_value(p);
		return 0;
	}
	old = scn_path_key(c, key);
	rc = scn_fail(c, map, "required key is missing");
	scn_path_pop(c, old);
	return rc;
}

int scn_at_key(struct scn_ctx *c, struct fy_node *map, const char *key, enum scn_need need,
	       scn_reader *reader, void *arg)
{
	struct fy_node_pair *p;
	struct fy_node *v;
	size_t old;
	int rc;

	if (need == SCN_REQUIRED) {
		if ((rc = scn_require(c, map, key, &v)) < 0)
			return rc;
	} else {
		if ((p = scn_pair(c, map, key)) == NULL)
			return 0;
		v = fy_node_pair_value(p);
	}
	old = scn_path_key(c, key);
	rc = reader(c, v, arg);
	scn_path_pop(c, old);
	return rc;
}

/* ---- scalars ----------------------------------------------------------------- */

int scn_as_text(struct scn_ctx *c, struct fy_node *n, const char *want, const char **s,
		size_t *len)
{
	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n) || scn_is_null(n))
		return scn_type_error(c, n, want);
	*s = scn_scalar(c, n, len);
	return 0;
}

int scn_as_str(struct scn_ctx *c, struct fy_node *n, char *buf, size_t size)
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = scn_as_text(c, n, "a string", &s, &len)) < 0)
		return rc;
	if (memchr(s, '\0', len) != NULL)
		return scn_fail(c, n, "must not contain NUL characters");
	if (len >= size)
		return scn_fail(c, n, "\"%.*s...\" is longer than %zu characters",
				(int)(size - 1), s, size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

/* YAML 1.2 core schema booleans only: `yes`/`on` are strings there. */
int scn_as_bool(struct scn_ctx *c, struct fy_node *n, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE", NULL };
	static const char *const f[] = { "false", "False", "FALSE", NULL };
	const char *want = "a boolean (true or false)";
	const char *s;
	size_t len;
	int rc;

	if ((rc = scn_as_text(c, n, want, &s, &len)) < 0)
		return rc;
	for (int i = 0; is_plain(c, n) && t[i]; i++) {
		if (len == strlen(t[i]) && !memcmp(s, t[i], len))
			return (*out = true), 0;
		if (len == strlen(f[i]) && !memcmp(s, f[i], len))
			return (*out = false), 0;
	}
	return scn_type_error(c, n, want);
}

int scn_as_uint(struct scn_ctx *c, struct fy_node *n, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v = 0;
	const char *s;
	size_t len;
	int rc;

	if ((rc = scn_as_text(c, n, "an integer", &s, &len)) < 0)
		return rc;
	if (!is_plain(c, n) || len == 0 || len > 12 || strspn(s, "0123456789") < len)
		return scn_type_error(c, n, "an integer");
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < min || v > max)
		return scn_fail(c, n, "%llu is out of range (%u..%u)", v, min, max);
	*out = (unsigned)v;
	return 0;
}

static int one_of(struct scn_ctx *c, struct fy_node *n, const char *const *names)
{
	char list[256], buf[96];

	return scn_fail(c, n, "expected one of %s, got %s", join(names, list, sizeof(list)),
			scn_describe(c, n, buf, sizeof(buf)));
}

int scn_as_enum(struct scn_ctx *c, struct fy_node *n, const char *const *names, int *out)
{
	const char *s;
	size_t len;

	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n) || scn_is_null(n))
		return one_of(c, n, names);
	s = scn_scalar(c, n, &len);
	for (int i = 0; names[i]; i++)
		if (len == strlen(names[i]) && !memcmp(s, names[i], len))
			return (*out = i), 0;
	return one_of(c, n, names);
}

/* ---- addresses ----------------------------------------------------------------- */

static int bad_addr(struct scn_ctx *c, struct fy_node *n, int family, bool plen)
{
	char buf[96];
	const char *what = family == AF_INET ? "an IPv4 address" :
			   family == AF_INET6 ? "an IPv6 address" : "an IP address";
	const char *eg = family == AF_INET6 ? "2001:db8::1" : "192.0.2.1";

	return scn_fail(c, n, "expected %s%s (like %s%s), got %s", what,
			plen ? " with a prefix length" : "", eg,
			plen ? (family == AF_INET6 ? "/64" : "/24") : "",
			scn_describe(c, n, buf, sizeof(buf)));
}

static int parse_plen(const char *s, unsigned max, unsigned *plen)
{
	size_t len = strlen(s);
	unsigned v = 0;

	if (len == 0 || len > 3 || strspn(s, "0123456789") != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > max)
		return -1;
	*plen = v;
	return 0;
}

int scn_as_addr(struct scn_ctx *c, struct fy_node *n, int *family, unsigned char addr[16],
		unsigned *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int want = *family, fam;

	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n) || scn_is_null(n) ||
	    scn_as_str(c, n, buf, sizeof(buf)) < 0)
		return bad_addr(c, n, want, plen != NULL);
	slash = strchr(buf, '/');
	if ((slash != NULL) != (plen != NULL))
		return bad_addr(c, n, want, plen != NULL);
	if (slash != NULL)
		*slash++ = '\0';
	fam = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	if ((want != AF_UNSPEC && want != fam) || inet_pton(fam, buf, addr) != 1)
		return bad_addr(c, n, want, plen != NULL);
	if (slash != NULL && parse_plen(slash, fam == AF_INET ? 32 : 128, plen) < 0)
		return scn_fail(c, n, "prefix length '%s' is not 0..%d", slash,
				fam == AF_INET ? 32 : 128);
	*family = fam;
	return 0;
}

/* ---- keyed getters --------------------------------------------------------------- */

/* Runs `conv` on the value of `key`, with the path extended by the key. */
#define SCN_GET(c, map, key, call)                                   \
	do {                                                         \
		struct fy_node_pair *p_ = scn_pair((c), (map), (key)); \
		struct fy_node *n;                                   \
		size_t old_;                                         \
		int rc_;                                             \
		if (p_ == NULL)                                      \
			return 0;                                    \
		n = fy_node_pair_value(p_);                          \
		old_ = scn_path_key((c), (key));                     \
		rc_ = (call);                                        \
		scn_path_pop((c), old_);                             \
		return rc_;                                          \
	} while (0)

int scn_get_str(struct scn_ctx *c, struct fy_node *map, const char *key, char *buf, size_t size)
{
	SCN_GET(c, map, key, scn_as_str(c, n, buf, size));
}

int scn_get_bool(struct scn_ctx *c, struct fy_node *map, const char *key, bool *out)
{
	SCN_GET(c, map, key, scn_as_bool(c, n, out));
}

int scn_get_uint(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min,
		 unsigned max, unsigned *out)
{
	SCN_GET(c, map, key, scn_as_uint(c, n, min, max, out));
}

int scn_get_enum(struct scn_ctx *c, struct fy_node *map, const char *key,
		 const char *const *names, int *out)
{
	SCN_GET(c, map, key, scn_as_enum(c, n, names, out));
}

int scn_get_duration(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min_ms,
		     unsigned max_ms, unsigned *out)
{
	SCN_GET(c, map, key, scn_as_duration(c, n, min_ms, max_ms, out));
}
