/* scn_impair.c - read links.NAME.impair: what each direction of a link
 * does to the packets that cross it (netns/impair.h), and its seed.
 *
 *   impair:
 *     a: { delay: 50ms, jitter: 5ms, loss: 5%, reorder: 1%, duplicate: 1%, rate: 2mbit }
 *     b: { delay: 50ms }
 *     seed: 42
 *
 * `a` is what end a sends, `b` what end b sends.  Percentages are written
 * with their sign ("5%", "0.5%"), rates with tc's units (bit, kbit, mbit,
 * gbit: powers of 1000), sizes with tc's (b, kb, mb: powers of 1024), so
 * that a bare number is never silently read in the wrong unit.
 */
#include "scn_topo.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../netns/impair.h"

static const char *const impair_keys[] = { "a", "b", "seed", NULL };
static const char *const dir_keys[] = { "delay", "jitter", "loss", "reorder", "duplicate",
					"rate", "queue", "burst", NULL };

#define RATE_MIN 1000ull             /* 1kbit */
#define RATE_MAX 100000000000ull     /* 100gbit */
#define SIZE_MAX_BYTES (1024u * 1024u * 1024u) /* 1024mb */
#define PERCENT_DECIMALS 4

/* ---- scalars ------------------------------------------------------------------ */

/* Leading decimal digits of s[0..len) (at most `max`), as v; how many. */
static size_t digits(const char *s, size_t len, size_t max, unsigned long long *v)
{
	size_t i = 0;

	*v = 0;
	while (i < len && i < max && s[i] >= '0' && s[i] <= '9')
		*v = *v * 10 + (unsigned)(s[i++] - '0');
	return i;
}

/* "<int>[.<frac>]" at the start of s: the number scaled by 10^places in
 * *v; the length read, or 0 when it is not a number (or has too many
 * decimals). */
static size_t decimal(const char *s, size_t len, unsigned places, unsigned long long *v)
{
	unsigned long long frac = 0;
	size_t i = digits(s, len, 12, v), f = 0;

	if (i == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
		return 0;
	if (i < len && s[i] == '.') {
		f = digits(s + i + 1, len - i - 1, places, &frac);
		if (f == 0 || (i + 1 + f < len && s[i + 1 + f] >= '0' && s[i + 1 + f] <= '9'))
			return 0;
		i += 1 + f;
	}
	for (; f < places; f++)
		frac *= 10;
	for (unsigned k = 0; k < places; k++)
		*v *= 10;
	*v += frac;
	return i;
}

static bool all_number(const char *s, size_t len)
{
	return len > 0 && len < 20 && strspn(s, "0123456789.") == len;
}

/* "5%", "0.5%" -> [0, 1]. */
static int as_percent(struct scn_ctx *c, struct fy_node *n, double *out)
{
	const char *want = "a percentage (like 5% or 0.5%)";
	unsigned long long v;
	const char *s;
	size_t len, i;
	int rc;

	if ((rc = scn_as_text(c, n, want, &s, &len)) < 0)
		return rc;
	i = decimal(s, len, PERCENT_DECIMALS, &v);
	if (i == len && v <= 10000 && memchr(s, '.', len) != NULL)
		return scn_fail(c, n, "expected a percentage, got %.*s; write %g%% (or %.*s%%)",
				(int)len, s, (double)v / 100, (int)len, s);
	if (i == len && all_number(s, len))
		return scn_fail(c, n, "expected a percentage, got %.*s; write %.*s%%", (int)len, s,
				(int)len, s);
	if (i == 0 || i + 1 != len || s[i] != '%')
		return scn_type_error(c, n, want);
	if (v > 100ull * 10000)
		return scn_fail(c, n, "%.*s is out of range (0%%..100%%)", (int)len, s);
	*out = (double)v / (100.0 * 10000);
	return 0;
}

/* "64kbit", "2mbit", "1.5gbit" -> bits per second. */
static int as_rate(struct scn_ctx *c, struct fy_node *n, uint64_t *out)
{
	static const struct {
		const char *unit;
		unsigned long long mult;
	} units[] = { { "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 } };
	const char *want = "a rate (like 64kbit, 2mbit or 1gbit)";
	unsigned long long v;
	const char *s;
	size_t len, i;
	int rc;

	if ((rc = scn_as_text(c, n, want, &s, &len)) < 0)
		return rc;
	i = decimal(s, len, 3, &v); /* v in thousandths */
	if (i == len && all_number(s, len))
		return scn_fail(c, n, "expected a rate, got %.*s; add a unit: bit, kbit, mbit or "
				"gbit (per second)", (int)len, s);
	for (size_t u = 0; i > 0 && u < sizeof(units) / sizeof(units[0]); u++) {
		if (len - i != strlen(units[u].unit) || memcmp(s + i, units[u].unit, len - i) != 0)
			continue;
		if ((v * units[u].mult) % 1000 != 0)
			return scn_fail(c, n, "%.*s is not a whole number of bits per second",
					(int)len, s);
		v = v * units[u].mult / 1000;
		if (v < RATE_MIN || v > RATE_MAX)
			return scn_fail(c, n, "%.*s is out of range (1kbit..100gbit)", (int)len, s);
		*out = v;
		return 0;
	}
	return scn_type_error(c, n, want);
}

/* "1500b", "64kb", "1mb" -> bytes (powers of 1024, as tc). */
static int as_size(struct scn_ctx *c, struct fy_node *n, unsigned min, uint32_t *out)
{
	static const struct {
		const char *unit;
		unsigned long long mult;
	} units[] = { { "b", 1 }, { "kb", 1024 }, { "mb", 1024 * 1024 } };
	const char *want = "a size (like 1500b, 64kb or 1mb)";
	unsigned long long v;
	const char *s;
	size_t len, i;
	int rc;

	if ((rc = scn_as_text(c, n, want, &s, &len)) < 0)
		return rc;
	i = digits(s, len, 10, &v);
	if (i == len && all_number(s, len))
		return scn_fail(c, n, "expected a size, got %.*s; add a unit: b, kb or mb (bytes)",
				(int)len, s);
	for (size_t u = 0; i > 0 && u < sizeof(units) / sizeof(units[0]); u++) {
		if (len - i != strlen(units[u].unit) || memcmp(s + i, units[u].unit, len - i) != 0)
			continue;
		v *= units[u].mult;
		if (v < min || v > SIZE_MAX_BYTES)
			return scn_fail(c, n, "%.*s is out of range (%ub..1024mb)", (int)len, s, min);
		*out = (uint32_t)v;
		return 0;
	}
	return scn_type_error(c, n, want);
}

/* ---- one direction ------------------------------------------------------------------ */

/* Whether `key` is in `map`; if so, its value (NULL when written without
 * one) in *v, with the path extended (restore it to *old). */
static bool enter(struct scn_ctx *c, struct fy_node *map, const char *key, struct fy_node **v,
		  size_t *old)
{
	struct fy_node_pair *p = scn_pair(c, map, key);

	*v = NULL;
	*old = 0;
	if (p == NULL)
		return false;
	*old = scn_path_key(c, key);
	*v = fy_node_pair_value(p);
	return true;
}

static int get_percent(struct scn_ctx *c, struct fy_node *map, const char *key, double *out)
{
	struct fy_node *v;
	size_t old;
	int rc;

	if (!enter(c, map, key, &v, &old))
		return 0;
	rc = as_percent(c, v, out);
	scn_path_pop(c, old);
	return rc;
}

static int get_rate(struct scn_ctx *c, struct fy_node *map, struct topo_impair *im)
{
	struct fy_node *v;
	size_t old;
	int rc;

	if (!enter(c, map, "rate", &v, &old))
		return 0;
	rc = as_rate(c, v, &im->rate_bps);
	scn_path_pop(c, old);
	return rc;
}

/* queue and burst: sizes that only mean something with a rate. */
static int get_size(struct scn_ctx *c, struct fy_node *map, const char *key, unsigned min,
		    const struct topo_impair *im, uint32_t *out)
{
	struct fy_node *v;
	size_t old;
	int rc;

	if (!enter(c, map, key, &v, &old))
		return 0;
	rc = as_size(c, v, min, out);
	if (rc == 0 && im->rate_bps == 0)
		rc = scn_fail(c, v, "needs a rate; set rate or remove %s", key);
	scn_path_pop(c, old);
	return rc;
}

static int check_delay(struct scn_ctx *c, struct fy_node *map, const struct topo_impair *im)
{
	char a[24], b[24], m[24];
	struct fy_node_pair *p;
	size_t old;
	int rc;

	if ((uint64_t)im->delay_ms + im->jitter_ms <= IMPAIR_DELAY_MAX_MS)
		return 0;
	p = scn_pair(c, map, "jitter");
	old = scn_path_key(c, "jitter");
	rc = scn_fail(c, fy_node_pair_value(p), "delay %s + jitter %s is above %s",
		      scn_fmt_ms(im->delay_ms, a, sizeof(a)), scn_fmt_ms(im->jitter_ms, b, sizeof(b)),
		      scn_fmt_ms(IMPAIR_DELAY_MAX_MS, m, sizeof(m)));
	scn_path_pop(c, old);
	return rc;
}

static int read_dir(struct scn_ctx *c, struct fy_node *map, struct topo_impair *im)
{
	int rc;

	im->src = scn_src(c, map);
	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, dir_keys)) < 0)
		return rc;
	if (fy_node_mapping_item_count(map) == 0)
		return scn_fail(c, map, "no impairment given; set delay, jitter, loss, reorder, "
				"duplicate or rate");
	if ((rc = scn_get_duration(c, map, "delay", 0, IMPAIR_DELAY_MAX_MS, &im->delay_ms)) < 0 ||
	    (rc = scn_get_duration(c, map, "jitter", 0, IMPAIR_DELAY_MAX_MS, &im->jitter_ms)) < 0 ||
	    (rc = check_delay(c, map, im)) < 0 ||
	    (rc = get_percent(c, map, "loss", &im->loss)) < 0 ||
	    (rc = get_percent(c, map, "reorder", &im->reorder)) < 0 ||
	    (rc = get_percent(c, map, "duplicate", &im->duplicate)) < 0 ||
	    (rc = get_rate(c, map, im)) < 0 ||
	    (rc = get_size(c, map, "queue", 1, im, &im->queue_bytes)) < 0 ||
	    (rc = get_size(c, map, "burst", 0, im, &im->burst_bytes)) < 0)
		return rc;
	im->set = true;
	return 0;
}

/* ---- links.NAME.impair ------------------------------------------------------------- */

static int read_impair(struct scn_ctx *c, struct fy_node *map, struct topo_link *l)
{
	static const char *const ends[2] = { "a", "b" };
	unsigned seed = 0;
	int rc = 0;

	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, impair_keys)) < 0)
		return rc;
	if (scn_pair(c, map, "a") == NULL && scn_pair(c, map, "b") == NULL)
		return scn_fail(c, map, "give a, b or both: what end a and end b send");
	for (int k = 0; rc == 0 && k < 2; k++) {
		struct fy_node *v;
		size_t old;

		if (!enter(c, map, ends[k], &v, &old))
			continue;
		rc = read_dir(c, v, &l->impair[k]);
		scn_path_pop(c, old);
	}
	if (rc == 0 && scn_pair(c, map, "seed") != NULL) {
		rc = scn_get_uint(c, map, "seed", 0, UINT_MAX, &seed);
		l->has_impair_seed = rc == 0;
		l->impair_seed = seed;
	}
	return rc;
}

int scn_read_impair(struct scn_ctx *c, struct fy_node *link, struct topo_link *l)
{
	struct fy_node *v;
	size_t old;
	int rc;

	if (!enter(c, link, "impair", &v, &old))
		return 0;
	rc = read_impair(c, v, l);
	scn_path_pop(c, old);
	return rc;
}
