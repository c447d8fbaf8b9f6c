/* rep_out.c - report files, escaping, and tolerant readers of the run
 * document (rep_int.h). */
#include "rep_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

int rep_open(struct rep_out *o, const char *path, struct icl_err *err)
{
	o->path = path;
	o->errnum = 0;
	o->f = fopen(path, "w");
	if (o->f == NULL)
		return icl_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int rep_close(struct rep_out *o, struct icl_err *err)
{
	int e = o->errnum;

	if (fflush(o->f) != 0 && e == 0)
		e = errno;
	if (fclose(o->f) != 0 && e == 0)
		e = errno;
	o->f = NULL;
	/* The partial file stays: `path` may be anything the user named, a
	 * device or a pipe included, and is not ours to remove. */
	if (e == 0)
		return 0;
	return icl_err_set(err, -e, "%s: %s", o->path, strerror(e));
}

void rep_write(struct rep_out *o, const char *s, size_t n)
{
	if (o->errnum != 0 || n == 0)
		return;
	if (fwrite(s, 1, n, o->f) != n)
		o->errnum = errno ? errno : EIO;
}

void rep_puts(struct rep_out *o, const char *s)
{
	rep_write(o, s, strlen(s));
}

void rep_printf(struct rep_out *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (o->errnum != 0)
		return;
	va_start(ap, fmt);
	rc = vfprintf(o->f, fmt, ap);
	va_end(ap);
	if (rc < 0)
		o->errnum = errno ? errno : EIO;
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 when it is not valid (overlong, surrogate, > U+10FFFF,
 * cut short). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len = b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0;
	unsigned char lo = 0x80, hi = 0xbf;

	if (len == 0 || len > n)
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	*cp = b & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* The entity or visible stand-in for one ASCII byte, or NULL to copy it. */
static const char *esc_ascii(unsigned char c, bool attr, char *buf, size_t cap)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\n': return attr ? "&#10;" : NULL;
	case '\t': return attr ? "&#9;" : NULL;
	case '\r': return attr ? "&#13;" : NULL;
	default: break;
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, cap, "\\x%02x", c);
		return buf;
	}
	return NULL;
}

void rep_esc(struct rep_out *o, const char *s, size_t n, bool attr)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;   /* u[run..i) is copied as it is */
	char buf[16];

	while (i < n) {
		const char *rep = NULL;
		size_t len = 1;
		uint32_t cp;

		if (u[i] < 0x80) {
			rep = esc_ascii(u[i], attr, buf, sizeof(buf));
		} else if ((len = utf8_seq(u + i, n - i, &cp)) == 0) {
			snprintf(buf, sizeof(buf), "\\x%02x", u[i]);
			rep = buf;
			len = 1;
		} else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
			snprintf(buf, sizeof(buf), "\\u%04x", (unsigned)cp);
			rep = buf;
		}
		if (rep != NULL) {
			rep_write(o, s + run, i - run);
			rep_puts(o, rep);
			run = i + len;
		}
		i += len;
	}
	rep_write(o, s + run, n - run);
}

void rep_esc_str(struct rep_out *o, const char *s, bool attr)
{
	rep_esc(o, s, strlen(s), attr);
}

void rep_esc_key(struct rep_out *o, const json_t *obj, const char *key, bool attr)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		rep_esc(o, json_string_value(v), json_string_length(v), attr);
	else if (json_is_integer(v))
		rep_printf(o, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		rep_printf(o, "%g", json_real_value(v));
}

static void href_part(struct rep_out *o, const char *s)
{
	static const char keep[] = "-._~/";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(keep, c))
			rep_write(o, s, 1);
		else
			rep_printf(o, "%%%02X", c);
	}
}

void rep_href(struct rep_out *o, const char *dir, const char *file)
{
	if (dir[0] != '\0' && strcmp(dir, ".") != 0) {
		href_part(o, dir);
		if (dir[strlen(dir) - 1] != '/')
			rep_puts(o, "/");
	}
	href_part(o, file);
}

const char *rep_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

double rep_num(const json_t *obj, const char *key, double dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

bool rep_bool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

const json_t *rep_cases(const json_t *run, const char *path, struct icl_err *err)
{
	const json_t *cases = json_object_get(run, "cases");

	if (!json_is_array(cases)) {
		icl_err_set(err, -EINVAL, "%s: the run document has no \"cases\" array", path);
		return NULL;
	}
	return cases;
}

static const char *const verdict_names[] = { "pass", "fail", "xfail", "xpass", "error", "n/a" };

enum rep_verdict rep_verdict(const json_t *c)
{
	const char *v = rep_str(c, "verdict");

	for (size_t i = 0; i < sizeof(verdict_names) / sizeof(verdict_names[0]); i++) {
		if (strcmp(v, verdict_names[i]) == 0)
			return (enum rep_verdict)i;
	}
	return REP_UNKNOWN;
}

const char *rep_verdict_name(enum rep_verdict v)
{
	return v < REP_UNKNOWN ? verdict_names[v] : "unknown";
}

const char *rep_verdict_class(enum rep_verdict v)
{
	return v == REP_NA ? "na" : rep_verdict_name(v);
}

void rep_scenario(const json_t *c, char *buf, size_t cap)
{
	const char *name = rep_str(c, "name"), *file = rep_str(c, "file");
	const char *base = strrchr(file, '/'), *dot;
	size_t n = strcspn(name, "[");

	if (n > 0) {
		snprintf(buf, cap, "%.*s", (int)n, name);
		return;
	}
	base = base ? base + 1 : file;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n == 0)
		snprintf(buf, cap, "icelab");
	else
		snprintf(buf, cap, "%.*s", (int)n, base);
}

void rep_duration(double ms, char *buf, size_t cap)
{
	if (ms < 1000)
		snprintf(buf, cap, "%.0f ms", ms);
	else
		snprintf(buf, cap, "%.3f s", ms / 1000);
}
