/* scn_tamper.c - read `signalling.tamper`: what the harness alters in the
 * description one agent announces, on its way to the peer (a wrong ICE
 * password or ufrag, a wrong DTLS fingerprint), for the security
 * scenarios (docs/scenario-format.md).
 *
 * The values must look right (RFC 8839 5.4 ice-chars and lengths, an
 * RFC 8122 fingerprint of the hash's size): a peer that refuses a
 * malformed value at `set-remote-description` proves nothing about
 * authentication.  A value equal to the agent's configured one would
 * change nothing, so it is refused too.
 */
#include "scn_int.h"

#include <stdio.h>
#include <string.h>

static const char *const tamper_keys[] = { "agent", "ufrag", "pwd", "fingerprint", NULL };

#define ICE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/* RFC 8122 5: hash names and the digest sizes they give. */
static const struct {
	const char *name;
	size_t bytes;
} hashes[] = { { "sha-1", 20 }, { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 },
	       { "sha-512", 64 } };

/* "" when `s` is an RFC 8122 fingerprint ("sha-256 AB:CD:..."), else why not. */
static const char *fingerprint_problem(const char *s, char *why, size_t size)
{
	const char *sp = strchr(s, ' '), *h;
	size_t n = 0;

	for (size_t i = 0; sp != NULL && i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		if (strlen(hashes[i].name) != (size_t)(sp - s) || strncmp(s, hashes[i].name, (size_t)(sp - s)))
			continue;
		for (h = sp + 1; strspn(h, "0123456789ABCDEFabcdef") >= 2; h += 3) {
			n++;
			if (h[2] != ':')
				break;
		}
		if (n == hashes[i].bytes && h[2] == '\0')
			return "";
		snprintf(why, size, "a %s fingerprint is %zu hex bytes separated by ':'",
			 hashes[i].name, hashes[i].bytes);
		return why;
	}
	snprintf(why, size, "expected \"HASH HEX:HEX:...\" with HASH one of sha-1, sha-224, "
		 "sha-256, sha-384, sha-512 (RFC 8122 5)");
	return why;
}

/* `key` of `map`, checked; absent leaves `out` empty. */
static int read_value(struct scn_ctx *c, struct fy_node *map, const char *key, char *out,
		      size_t size, size_t min)
{
	struct fy_node_pair *p = scn_pair(c, map, key);
	struct fy_node *v = p ? fy_node_pair_value(p) : NULL;
	char why[160] = "";
	size_t old, len;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, key);
	rc = scn_as_str(c, v, out, size);
	len = strlen(out);
	if (rc == 0 && min == 0 && *fingerprint_problem(out, why, sizeof(why)))
		rc = scn_fail(c, v, "%s", why);
	else if (rc == 0 && min > 0 && (len < min || strspn(out, ICE_CHARS) != len))
		rc = scn_fail(c, v, "a %s is %zu to 256 characters of A-Z, a-z, 0-9, '+' and '/' "
			      "(RFC 8839 5.4), got \"%s\"", key, min, out);
	scn_path_pop(c, old);
	return rc;
}

/* A tampered value the agent would have announced anyway changes nothing. */
static int check_changes(struct scn_ctx *c, struct fy_node *map, const struct scn_case *k,
			 const char *key, const char *value)
{
	const char *own = json_string_value(json_object_get(k->agent[k->tamper.agent].configure, key));
	size_t old;
	int rc;

	if (value[0] == '\0' || own == NULL || strcmp(own, value) != 0)
		return 0;
	old = scn_path_key(c, key);
	rc = scn_fail(c, fy_node_pair_value(scn_pair(c, map, key)), "agent %s is configured with "
		      "this %s already: tampering would change nothing",
		      k->agent[k->tamper.agent].name, key);
	scn_path_pop(c, old);
	return rc;
}

static int read_agent(struct scn_ctx *c, struct fy_node *v, void *arg)
{
	struct scn_case *k = arg;

	return scn_as_agent(c, v, k, "give the agent whose description is altered on its way "
			    "to the other", &k->tamper.agent);
}

int scn_read_tamper(struct scn_ctx *c, struct fy_node *map, struct scn_case *k)
{
	struct scn_tamper *t = &k->tamper;
	int rc;

	if ((rc = scn_want_map(c, map)) < 0 || (rc = scn_check_keys(c, map, tamper_keys)) < 0)
		return rc;
	if (k->n_agents == 0)
		return scn_fail(c, map, "tampering needs agents (a topology-only file has none)");
	t->src = scn_src(c, map);
	if ((rc = scn_at_key(c, map, "agent", SCN_REQUIRED, read_agent, k)) < 0 ||
	    (rc = read_value(c, map, "ufrag", t->ufrag, sizeof(t->ufrag), 4)) < 0 ||
	    (rc = read_value(c, map, "pwd", t->pwd, sizeof(t->pwd), 22)) < 0 ||
	    (rc = read_value(c, map, "fingerprint", t->fingerprint, sizeof(t->fingerprint), 0)) < 0)
		return rc;
	if (!t->ufrag[0] && !t->pwd[0] && !t->fingerprint[0])
		return scn_fail(c, map, "nothing to tamper with: give ufrag, pwd or fingerprint");
	if ((rc = check_changes(c, map, k, "ufrag", t->ufrag)) < 0 ||
	    (rc = check_changes(c, map, k, "pwd", t->pwd)) < 0)
		return rc;
	t->on = true;
	return 0;
}
