/* proto.c - decode agent-protocol commands, write events. */
#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const setup_names[] = { "actpass", "active", "passive" };

const char *proto_setup_name(enum proto_setup s)
{
	return setup_names[s];
}

/* "setup: reason" -> "dtls.setup: reason": nested fields get dotted paths. */
static int field_prefix(struct icl_err *err, const char *parent)
{
	char old[sizeof(err->msg)];

	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s.%.*s", parent, (int)(sizeof(old) - 64), old);
	return err->code;
}

/* Every key of `obj` must be in the NULL-terminated `allowed`. */
static int check_keys(json_t *obj, const char *const *allowed, struct icl_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], key) != 0; i++)
			;
		if (!allowed[i])
			return icl_err_set(err, ICL_EINPUT, "%s: unknown field", key);
	}
	return 0;
}

static int get_string(json_t *obj, const char *key, char *out, size_t size,
		      bool required, struct icl_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return required ? icl_err_set(err, ICL_EINPUT, "%s: missing", key) : 0;
	if (!json_is_string(v))
		return icl_err_set(err, ICL_EINPUT, "%s: expected a string", key);
	if (json_string_length(v) >= size)
		return icl_err_set(err, ICL_EINPUT, "%s: longer than %zu bytes", key, size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_bool(json_t *obj, const char *key, bool *out, bool *set, struct icl_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return icl_err_set(err, ICL_EINPUT, "%s: expected true or false", key);
	*out = json_is_true(v);
	if (set)
		*set = true;
	return 0;
}

static int get_uint(json_t *obj, const char *key, unsigned *out, struct icl_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 24 * 3600 * 1000)
		return icl_err_set(err, ICL_EINPUT, "%s: expected milliseconds (0..86400000)", key);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* "a, b, c" into `buf`. */
static const char *join_names(const char *const *names, size_t n, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

/* `key` must be one of `names` (n of them); the index goes to *out. */
static int get_enum(json_t *obj, const char *key, const char *const *names, size_t n,
		    int *out, struct icl_err *err)
{
	char s[32], list[128];
	int rc = get_string(obj, key, s, sizeof(s), false, err);

	if (rc < 0 || !json_object_get(obj, key))
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return icl_err_set(err, ICL_EINPUT, "%s: \"%s\" is not one of %s", key, s,
			   join_names(names, n, list, sizeof(list)));
}

static int parse_timers(json_t *t, struct proto_config *c, struct icl_err *err)
{
	static const char *const keys[] = { "ta_ms", "rto_ms", "nominate_after_ms",
		"consent_interval_ms", "consent_timeout_ms", "data_interval_ms", NULL };
	int rc;

	if (!json_is_object(t))
		return icl_err_set(err, ICL_EINPUT, "timers: expected an object");
	if ((rc = check_keys(t, keys, err)) < 0 ||
	    (rc = get_uint(t, "ta_ms", &c->ta_ms, err)) < 0 ||
	    (rc = get_uint(t, "rto_ms", &c->rto_ms, err)) < 0 ||
	    (rc = get_uint(t, "nominate_after_ms", &c->nominate_after_ms, err)) < 0 ||
	    (rc = get_uint(t, "consent_interval_ms", &c->consent_interval_ms, err)) < 0 ||
	    (rc = get_uint(t, "consent_timeout_ms", &c->consent_timeout_ms, err)) < 0 ||
	    (rc = get_uint(t, "data_interval_ms", &c->data_interval_ms, err)) < 0)
		return field_prefix(err, "timers");
	if (c->ta_ms && c->ta_ms < ICE_TA_MIN_MS)
		return icl_err_set(err, ICL_EINPUT, "timers.ta_ms: below the RFC 8445 minimum of %d",
				   ICE_TA_MIN_MS);
	return 0;
}

static int parse_families(json_t *a, struct proto_config *c, struct icl_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return icl_err_set(err, ICL_EINPUT, "families: expected a non-empty array");
	c->ipv4 = c->ipv6 = false;
	json_array_foreach(a, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(s, "ipv4") == 0)
			c->ipv4 = true;
		else if (strcmp(s, "ipv6") == 0)
			c->ipv6 = true;
		else
			return icl_err_set(err, ICL_EINPUT, "families[%zu]: expected \"ipv4\" or \"ipv6\"", i);
	}
	return 0;
}

static int parse_quirks(json_t *a, struct proto_config *c, struct icl_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return icl_err_set(err, ICL_EINPUT, "quirks: expected an array");
	if (json_array_size(a) > PROTO_MAX_QUIRKS)
		return icl_err_set(err, ICL_EINPUT, "quirks: more than %d", PROTO_MAX_QUIRKS);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) >= sizeof(c->quirks[0]))
			return icl_err_set(err, ICL_EINPUT, "quirks[%zu]: expected a short string", i);
		strcpy(c->quirks[i], json_string_value(v));
	}
	c->n_quirks = json_array_size(a);
	return 0;
}

static int parse_dtls(json_t *d, struct proto_config *c, struct icl_err *err)
{
	static const char *const keys[] = { "setup", NULL };
	int setup = PROTO_SETUP_ACTPASS, rc;

	if (!json_is_object(d))
		return icl_err_set(err, ICL_EINPUT, "dtls: expected an object");
	if ((rc = check_keys(d, keys, err)) < 0 ||
	    (rc = get_enum(d, "setup", setup_names, 3, &setup, err)) < 0)
		return field_prefix(err, "dtls");
	c->setup = (enum proto_setup)setup;
	return 0;
}

int proto_parse_endpoint(const char *s, union stun_addr *a, struct icl_err *err)
{
	char ip[INET6_ADDRSTRLEN + 2], *end;
	const char *colon, *start = s;
	size_t n;
	long port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return icl_err_set(err, ICL_EINPUT, "\"%s\": expected [IPv6]:PORT", s);
		start = s + 1;
		colon = close + 1;
		n = (size_t)(close - start);
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return icl_err_set(err, ICL_EINPUT, "\"%s\": expected IP:PORT "
					   "(IPv6 as [IP]:PORT)", s);
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(ip))
		return icl_err_set(err, ICL_EINPUT, "\"%s\": no address before the port", s);
	memcpy(ip, start, n);
	ip[n] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port < 1 || port > 65535)
		return icl_err_set(err, ICL_EINPUT, "\"%s\": port must be 1..65535", s);
	if (stun_addr_parse(ip, (unsigned)port, a, err) < 0 ||
	    (s[0] == '[') != (a->sa.sa_family == AF_INET6))
		return icl_err_set(err, ICL_EINPUT, "\"%s\": \"%s\" is not an IP%s address", s, ip,
				   s[0] == '[' ? "v6" : "v4");
	return 0;
}

static int check_servers(json_t *a, const char *key, struct icl_err *err)
{
	if (!json_is_array(a))
		return icl_err_set(err, ICL_EINPUT, "%s: expected an array", key);
	if (json_array_size(a) > PROTO_MAX_SERVERS)
		return icl_err_set(err, ICL_EINPUT, "%s: more than %d", key, PROTO_MAX_SERVERS);
	return 0;
}

static int parse_stun_servers(json_t *a, struct proto_config *c, struct icl_err *err)
{
	size_t i;
	json_t *v;
	int rc;

	if ((rc = check_servers(a, "stun_servers", err)) < 0)
		return rc;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return icl_err_set(err, ICL_EINPUT, "stun_servers[%zu]: expected \"IP:PORT\"", i);
		if (proto_parse_endpoint(json_string_value(v), &c->stun_servers[i], err) < 0)
			return icl_err_wrap(err, "stun_servers[%zu]", i);
	}
	c->n_stun_servers = json_array_size(a);
	return 0;
}

static int parse_turn_server(json_t *o, struct proto_turn_server *t, struct icl_err *err)
{
	static const char *const keys[] = { "url", "username", "password", "family", NULL };
	static const char *const families[] = { "ipv4", "ipv6" };
	char url[96];
	int rc, fam = -1;

	if ((rc = check_keys(o, keys, err)) < 0 ||
	    (rc = get_string(o, "url", url, sizeof(url), true, err)) < 0 ||
	    (rc = get_string(o, "username", t->username, sizeof(t->username), true, err)) < 0 ||
	    (rc = get_string(o, "password", t->password, sizeof(t->password), true, err)) < 0 ||
	    (rc = get_enum(o, "family", families, 2, &fam, err)) < 0)
		return rc;
	t->family = fam < 0 ? 0 : fam == 0 ? AF_INET : AF_INET6;
	if (proto_parse_endpoint(url, &t->addr, err) < 0)
		return icl_err_wrap(err, "url");
	return 0;
}

static int parse_turn_servers(json_t *a, struct proto_config *c, struct icl_err *err)
{
	size_t i;
	json_t *v;
	int rc;

	if ((rc = check_servers(a, "turn_servers", err)) < 0)
		return rc;
	json_array_foreach(a, i, v) {
		char parent[48];

		if (!json_is_object(v))
			return icl_err_set(err, ICL_EINPUT, "turn_servers[%zu]: expected an object "
					   "{url, username, password}", i);
		snprintf(parent, sizeof(parent), "turn_servers[%zu]", i);
		if (parse_turn_server(v, &c->turn_servers[i], err) < 0)
			return field_prefix(err, parent);
	}
	c->n_turn_servers = json_array_size(a);
	return 0;
}

/* {"resolver":"[IP]:PORT"} or {"prefix":"2001:db8:64::/96"}, one of them. */
static int parse_nat64(json_t *o, struct proto_nat64 *n, struct icl_err *err)
{
	static const char *const keys[] = { "resolver", "prefix", NULL };
	bool r = json_object_get(o, "resolver") != NULL;
	char s[96];
	int rc;

	if (!json_is_object(o))
		return icl_err_set(err, ICL_EINPUT, "nat64: expected an object {\"resolver\": "
				   "\"[IP]:PORT\"} or {\"prefix\": \"PREFIX/LEN\"}");
	if ((rc = check_keys(o, keys, err)) < 0 ||
	    (rc = get_string(o, r ? "resolver" : "prefix", s, sizeof(s), false, err)) < 0)
		return field_prefix(err, "nat64");
	if (r == (json_object_get(o, "prefix") != NULL))
		return icl_err_set(err, ICL_EINPUT, "nat64: give exactly one of resolver and prefix");
	n->set = true;
	n->has_resolver = r;
	if (r && proto_parse_endpoint(s, &n->resolver, err) < 0)
		return icl_err_wrap(err, "nat64.resolver");
	if (!r && pref64_parse(s, &n->prefix, err) < 0)
		return icl_err_wrap(err, "nat64.prefix");
	return 0;
}

static int parse_configure(json_t *o, struct proto_config *c, struct icl_err *err)
{
	static const char *const keys[] = { "cmd", "id", "lite", "role", "nomination", "dtls",
		"families", "ufrag", "pwd", "timers", "stun_servers", "turn_servers", "quirks",
		"nat64", NULL };
	static const char *const roles[] = { "controlled", "controlling" };
	static const char *const noms[] = { "regular", "aggressive" };
	int role = ICE_CONTROLLING, nom = ICE_NOMINATE_REGULAR, rc;
	json_t *v;

	memset(c, 0, sizeof(*c));
	c->ipv4 = c->ipv6 = true;
	if ((rc = check_keys(o, keys, err)) < 0 ||
	    (rc = get_bool(o, "lite", &c->lite, &c->lite_set, err)) < 0 ||
	    (rc = get_enum(o, "role", roles, 2, &role, err)) < 0 ||
	    (rc = get_enum(o, "nomination", noms, 2, &nom, err)) < 0 ||
	    (rc = get_string(o, "ufrag", c->ufrag, sizeof(c->ufrag), false, err)) < 0 ||
	    (rc = get_string(o, "pwd", c->pwd, sizeof(c->pwd), false, err)) < 0)
		return rc;
	c->role_set = json_object_get(o, "role") != NULL;
	c->role = (enum ice_role)role;
	c->nomination = (enum ice_nomination)nom;
	if ((v = json_object_get(o, "dtls")) && (rc = parse_dtls(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "timers")) && (rc = parse_timers(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "families")) && (rc = parse_families(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "quirks")) && (rc = parse_quirks(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "stun_servers")) && (rc = parse_stun_servers(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "turn_servers")) && (rc = parse_turn_servers(v, c, err)) < 0)
		return rc;
	if ((v = json_object_get(o, "nat64")) && (rc = parse_nat64(v, &c->nat64, err)) < 0)
		return rc;
	return 0;
}

/* "sha-256 AB:CD:..." -> "AB:CD:...". */
static int parse_fingerprint(json_t *o, char *out, struct icl_err *err)
{
	char s[PROTO_FP_MAX];
	int rc = get_string(o, "fingerprint", s, sizeof(s), true, err);

	if (rc < 0)
		return rc;
	if (strncasecmp(s, "sha-256 ", 8) != 0)
		return icl_err_set(err, ICL_EINPUT, "fingerprint: expected \"sha-256 XX:XX:...\"");
	if (strlen(s + 8) != DTLS_FP_STRLEN - 1)
		return icl_err_set(err, ICL_EINPUT, "fingerprint: expected 32 hex bytes");
	strcpy(out, s + 8);
	return 0;
}

static int parse_cands(json_t *a, struct proto_remote *r, struct icl_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return icl_err_set(err, ICL_EINPUT, "candidates: expected an array");
	if (json_array_size(a) > ICE_MAX_CANDS)
		return icl_err_set(err, ICL_EINPUT, "candidates: more than %d", ICE_MAX_CANDS);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return icl_err_set(err, ICL_EINPUT, "candidates[%zu]: expected a string", i);
		if (cand_parse(json_string_value(v), &r->cands[i], err) < 0)
			return icl_err_wrap(err, "candidates[%zu]", i);
	}
	r->n_cands = json_array_size(a);
	return 0;
}

static int parse_remote(json_t *o, struct proto_remote *r, struct icl_err *err)
{
	static const char *const keys[] = { "cmd", "id", "ufrag", "pwd", "fingerprint", "setup",
		"lite", "candidates", "end_of_candidates", NULL };
	int setup = PROTO_SETUP_ACTPASS, rc;
	json_t *v;

	memset(r, 0, sizeof(*r));
	if ((rc = check_keys(o, keys, err)) < 0 ||
	    (rc = get_string(o, "ufrag", r->ufrag, sizeof(r->ufrag), true, err)) < 0 ||
	    (rc = get_string(o, "pwd", r->pwd, sizeof(r->pwd), true, err)) < 0 ||
	    (rc = parse_fingerprint(o, r->fingerprint, err)) < 0 ||
	    (rc = get_enum(o, "setup", setup_names, 3, &setup, err)) < 0 ||
	    (rc = get_bool(o, "lite", &r->lite, NULL, err)) < 0 ||
	    (rc = get_bool(o, "end_of_candidates", &r->end_of_candidates, NULL, err)) < 0)
		return rc;
	if (!json_object_get(o, "setup"))
		return icl_err_set(err, ICL_EINPUT, "setup: missing");
	r->setup = (enum proto_setup)setup;
	if ((v = json_object_get(o, "candidates")) && (rc = parse_cands(v, r, err)) < 0)
		return rc;
	return 0;
}

static int parse_add_cand(json_t *o, struct cand *c, struct icl_err *err)
{
	static const char *const keys[] = { "cmd", "id", "candidate", NULL };
	char s[512];
	int rc;

	if ((rc = check_keys(o, keys, err)) < 0 ||
	    (rc = get_string(o, "candidate", s, sizeof(s), true, err)) < 0)
		return rc;
	if (cand_parse(s, c, err) < 0)
		return icl_err_wrap(err, "candidate");
	return 0;
}

static int parse_bare(json_t *o, struct icl_err *err)
{
	static const char *const keys[] = { "cmd", "id", NULL };

	return check_keys(o, keys, err);
}

static const struct {
	const char *name;
	enum proto_cmd_kind kind;
} cmd_names[] = {
	{ "configure", PROTO_CONFIGURE },
	{ "gather", PROTO_GATHER },
	{ "set-remote-description", PROTO_SET_REMOTE },
	{ "add-remote-candidate", PROTO_ADD_REMOTE_CANDIDATE },
	{ "end-of-candidates", PROTO_END_OF_CANDIDATES },
	{ "restart", PROTO_RESTART },
	{ "close", PROTO_CLOSE },
};

static int parse_kind(json_t *o, struct proto_cmd *cmd, struct icl_err *err)
{
	json_t *v = json_object_get(o, "cmd");

	if (!json_is_string(v))
		return icl_err_set(err, ICL_EINPUT, "cmd: missing or not a string");
	for (size_t i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++) {
		if (strcmp(json_string_value(v), cmd_names[i].name) == 0) {
			cmd->kind = cmd_names[i].kind;
			return 0;
		}
	}
	return icl_err_set(err, ICL_EINPUT, "cmd: unknown command \"%s\"", json_string_value(v));
}

static void parse_id(json_t *o, struct proto_cmd *cmd)
{
	json_t *v = json_object_get(o, "id");

	if (json_is_string(v))
		snprintf(cmd->id, sizeof(cmd->id), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(cmd->id, sizeof(cmd->id), "%lld", (long long)json_integer_value(v));
}

static int parse_body(json_t *o, struct proto_cmd *cmd, struct icl_err *err)
{
	switch (cmd->kind) {
	case PROTO_CONFIGURE:
		return parse_configure(o, &cmd->u.config, err);
	case PROTO_SET_REMOTE:
		return parse_remote(o, &cmd->u.remote, err);
	case PROTO_ADD_REMOTE_CANDIDATE:
		return parse_add_cand(o, &cmd->u.cand, err);
	default:
		return parse_bare(o, err);
	}
}

/* Reasons quote field values, and a JSON string can hold any character
 * ("\n" too): keep the reason one line, as err.h promises. */
static int one_line(struct icl_err *err, int rc)
{
	for (char *p = err ? err->msg : ""; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return rc;
}

int proto_parse_cmd(const char *line, struct proto_cmd *cmd, struct icl_err *err)
{
	json_error_t jerr;
	json_t *o;
	int rc;

	memset(cmd, 0, sizeof(cmd->kind) + sizeof(cmd->id));
	o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return one_line(err, icl_err_set(err, ICL_EINPUT, "not JSON: %s (column %d)",
						 jerr.text, jerr.column));
	if (!json_is_object(o)) {
		json_decref(o);
		return icl_err_set(err, ICL_EINPUT, "expected a JSON object");
	}
	parse_id(o, cmd);
	rc = parse_kind(o, cmd, err);
	if (rc == 0 && (rc = parse_body(o, cmd, err)) < 0)
		icl_err_wrap(err, "%s", json_string_value(json_object_get(o, "cmd")));
	json_decref(o);
	return rc < 0 ? one_line(err, rc) : rc;
}

static double ms_since(uint64_t t0_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - t0_ns) / 1e6;
}

void proto_emit(struct proto_out *po, const char *name, json_t *fields)
{
	json_t *o = json_object();
	char *s;

	/* event and ts first, so that a human reading the stream sees them. */
	json_object_set_new(o, "event", json_string(name));
	json_object_set_new(o, "ts", json_real(ms_since(po->t0_ns)));
	if (fields) {
		json_object_update(o, fields);
		json_decref(fields);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fprintf(po->out, "%s\n", s);
		fflush(po->out);
		free(s);
	}
	json_decref(o);
}

void proto_emit_error(struct proto_out *po, const char *id, bool fatal, const char *reason)
{
	json_t *o = json_pack("{s:s, s:b}", "reason", reason, "fatal", fatal);

	if (id && id[0])
		json_object_set_new(o, "id", json_string(id));
	proto_emit(po, "error", o);
}

int proto_dtls_active(enum proto_setup mine, enum proto_setup remote, bool *active,
		      struct icl_err *err)
{
	if (remote == PROTO_SETUP_ACTPASS && mine == PROTO_SETUP_ACTPASS)
		return icl_err_set(err, ICL_EINPUT,
				   "setup: both sides actpass; the answerer must choose active or passive");
	if (remote != PROTO_SETUP_ACTPASS && remote == mine)
		return icl_err_set(err, ICL_EINPUT, "setup: both sides %s", proto_setup_name(mine));
	*active = remote == PROTO_SETUP_ACTPASS ? mine == PROTO_SETUP_ACTIVE
						: remote == PROTO_SETUP_PASSIVE;
	return 0;
}

void proto_lines_feed(struct proto_lines *lb, const char *p, size_t n, struct proto_out *po,
		      void (*on_line)(void *user, char *line), void *user, const bool *stop)
{
	for (size_t i = 0; i < n && !*stop; i++) {
		if (p[i] == '\n') {
			lb->line[lb->len] = '\0';
			if (lb->overflow)
				proto_emit_error(po, NULL, false, "command line longer than 65535 bytes");
			else if (lb->len > 0)
				on_line(user, lb->line);
			lb->len = 0;
			lb->overflow = false;
		} else if (lb->len + 1 < sizeof(lb->line)) {
			lb->line[lb->len++] = p[i];
		} else {
			lb->overflow = true;
		}
	}
}
