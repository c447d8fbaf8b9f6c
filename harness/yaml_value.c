/* yaml_value.c - scalars with a syntax of their own: durations ("1.5s")
 * and endpoints ("192.0.2.1:3478", "[2001:db8::1]:*"), as the scenario
 * file writes them.  Part of the typed reader of yaml.h. */
#include "yaml.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- durations ------------------------------------------------------------------ */

const char *scn_fmt_ms(unsigned ms, char *buf, size_t size)
{
	if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, size, "%us", ms / 1000);
	else
		snprintf(buf, size, "%ums", ms);
	return buf;
}

/* "<digits>[.<1-3 digits>](ms|s)" -> ms; -1 when it is not that. */
static long long parse_duration(const char *s, size_t len)
{
	size_t i = 0, frac_len = 0;
	unsigned long long v = 0, frac = 0;

	while (i < len && i < 10 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (unsigned)(s[i++] - '0');
	if (i == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
		return -1;
	if (i < len && s[i] == '.') {
		for (i++; i < len && frac_len < 3 && s[i] >= '0' && s[i] <= '9'; i++, frac_len++)
			frac = frac * 10 + (unsigned)(s[i] - '0');
		if (frac_len == 0)
			return -1;
		while (frac_len++ < 3)
			frac *= 10;
	}
	if (len - i == 2 && !memcmp(s + i, "ms", 2) && frac_len == 0)
		return (long long)v;
	if (len - i == 1 && s[i] == 's')
		return (long long)(v * 1000 + frac);
	return -1;
}

int scn_as_duration(struct scn_ctx *c, struct fy_node *n, unsigned min_ms, unsigned max_ms,
		    unsigned *out)
{
	const char *want = "a duration (like 500ms or 1.5s)";
	char buf[96], a[24], b[24];
	const char *s;
	size_t len;
	long long v;
	int rc;

	if ((rc = scn_as_text(c, n, want, &s, &len)) < 0)
		return rc;
	v = parse_duration(s, len);
	if (v < 0 && len > 0 && len <= 9 && strspn(s, "0123456789") == len)
		return scn_fail(c, n, "expected a duration, got %s; write %.*ss or %.*s000ms",
				scn_describe(c, n, buf, sizeof(buf)), (int)len, s, (int)len, s);
	if (v < 0)
		return scn_type_error(c, n, want);
	if (v < (long long)min_ms || v > (long long)max_ms)
		return scn_fail(c, n, "%.*s is out of range (%s..%s)", (int)len, s,
				scn_fmt_ms(min_ms, a, sizeof(a)), scn_fmt_ms(max_ms, b, sizeof(b)));
	*out = (unsigned)v;
	return 0;
}

/* ---- endpoints ------------------------------------------------------------------ */

static int bad_endpoint(struct scn_ctx *c, struct fy_node *n, unsigned flags)
{
	char buf[96];

	return scn_fail(c, n, "expected %s, got %s",
			(flags & SCN_EP_BARE) ? "an address, with or without a port (192.0.2.1, "
						"192.0.2.1:3478, 2001:db8::1, [2001:db8::1]:3478)"
					      : "an address and port (192.0.2.1:3478 or "
						"[2001:db8::1]:3478)",
			scn_describe(c, n, buf, sizeof(buf)));
}

/* Split "IP", "IP:PORT", "V6" or "[V6]:PORT" in place; *port NULL: none. */
static int split_endpoint(char *s, char **addr, char **port, int *family)
{
	char *colon = strrchr(s, ':');

	*addr = s;
	*port = NULL;
	if (s[0] == '[') {
		char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		*close = '\0';
		*addr = s + 1;
		*port = close + 2;
		*family = AF_INET6;
		return strchr(*addr, ':') != NULL ? 0 : -1;
	}
	if (colon != NULL && strchr(s, ':') == colon) { /* one colon: IPv4:PORT */
		*colon = '\0';
		*port = colon + 1;
	}
	*family = strchr(*addr, ':') != NULL ? AF_INET6 : AF_INET;
	return 0;
}

int scn_as_endpoint(struct scn_ctx *c, struct fy_node *n, unsigned flags, char *buf, size_t size,
		    int *family)
{
	char text_[INET6_ADDRSTRLEN + 16], canon[INET6_ADDRSTRLEN], *addr, *port;
	unsigned char bin[16];
	unsigned long p = 0;
	int fam;

	if (n == NULL || !fy_node_is_scalar(n) || fy_node_is_alias(n) || scn_is_null(n) ||
	    scn_as_str(c, n, text_, sizeof(text_)) < 0 ||
	    split_endpoint(text_, &addr, &port, &fam) < 0 || inet_pton(fam, addr, bin) != 1 ||
	    inet_ntop(fam, bin, canon, sizeof(canon)) == NULL)
		return bad_endpoint(c, n, flags);
	if (port == NULL && !(flags & SCN_EP_BARE))
		return bad_endpoint(c, n, flags);
	if (port != NULL && strcmp(port, "*") == 0 && (flags & SCN_EP_WILD)) {
		port = NULL; /* any port: the bare address says the same */
	} else if (port != NULL) {
		if (port[0] == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
		    (p = strtoul(port, NULL, 10)) < 1 || p > 65535)
			return scn_fail(c, n, "port '%s' is not 1..65535%s", port,
					(flags & SCN_EP_WILD) ? " or *" : "");
	}
	if (port == NULL)
		snprintf(buf, size, "%s", canon);
	else
		snprintf(buf, size, fam == AF_INET6 ? "[%s]:%lu" : "%s:%lu", canon, p);
	*family = fam;
	return 0;
}
