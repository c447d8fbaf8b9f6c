/* fuzz_proto.c - libFuzzer target for the agent protocol's line parsers,
 * both sides: the agent's command decoder (agents/proto.c,
 * proto_parse_cmd) and the harness's event-line decoder
 * (harness/agent_proc.c, aproc_parse_event).
 *
 * The input is a stream as a pipe carries it: split at '\n' like the
 * readers do, and every non-empty line goes to both decoders.  Besides "no
 * crash, no leak", what the contracts promise is checked:
 *   - a refusal is ICL_EINPUT with a one-line, non-empty reason (it goes
 *     into an `error` event) and an id that fits;
 *   - an accepted command holds only what its validation allows (enums in
 *     range, counts within their arrays, timers within 0..86400000, Ta not
 *     under the RFC minimum, a 95-character fingerprint, addresses with a
 *     family and a port);
 *   - an accepted candidate formats back to a line that parses to the same
 *     candidate;
 *   - an accepted event is an object with an "event" string; a refused one
 *     comes with a one-line reason.
 * Each line is copied into a block of exactly its size (plus the NUL), so
 * that ASan catches a read past its end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../agents/proto.h"
#include "../../harness/agent_proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

static void check_one_line(const char *what, const char *msg)
{
	if (msg[0] == '\0' || strchr(msg, '\n'))
		FAIL("%s: empty or multi-line message \"%s\"\n", what, msg);
}

static void check_addr(const union stun_addr *a, const char *what)
{
	if (a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6)
		FAIL("%s: accepted an address of family %d\n", what, a->sa.sa_family);
	if ((a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port) == 0)
		FAIL("%s: accepted port 0\n", what);
}

/* A candidate, formatted and parsed again, is the same candidate. */
static void check_cand(const struct cand *c)
{
	char line[512];
	struct icl_err err;
	struct cand again;

	if (cand_format(c, line, sizeof(line)) < 0)
		FAIL("an accepted candidate does not format\n");
	if (cand_parse(line, &again, &err) < 0)
		FAIL("candidate \"%s\" (formatted) refused: %s\n", line, err.msg);
	if (again.type != c->type || again.priority != c->priority ||
	    again.component != c->component || strcmp(again.foundation, c->foundation) != 0 ||
	    !stun_addr_equal(&again.addr, &c->addr) ||
	    again.related.sa.sa_family != c->related.sa.sa_family ||
	    (c->related.sa.sa_family != AF_UNSPEC && !stun_addr_equal(&again.related, &c->related)))
		FAIL("candidate \"%s\" parses to another candidate\n", line);
}

static void check_timer(unsigned ms, const char *what)
{
	if (ms > 24u * 3600 * 1000)
		FAIL("timers.%s: accepted %u ms\n", what, ms);
}

static void check_config(const struct proto_config *c)
{
	if ((unsigned)c->role > ICE_CONTROLLING || (unsigned)c->nomination > ICE_NOMINATE_AGGRESSIVE ||
	    (unsigned)c->setup > PROTO_SETUP_PASSIVE)
		FAIL("configure: an enum out of range\n");
	if (!c->ipv4 && !c->ipv6)
		FAIL("configure: no family to gather\n");
	if (c->ta_ms && c->ta_ms < ICE_TA_MIN_MS)
		FAIL("configure: Ta %u under the minimum\n", c->ta_ms);
	check_timer(c->ta_ms, "ta_ms");
	check_timer(c->rto_ms, "rto_ms");
	check_timer(c->nominate_after_ms, "nominate_after_ms");
	check_timer(c->consent_interval_ms, "consent_interval_ms");
	check_timer(c->consent_timeout_ms, "consent_timeout_ms");
	check_timer(c->data_interval_ms, "data_interval_ms");
	if (c->n_quirks > PROTO_MAX_QUIRKS || c->n_stun_servers > PROTO_MAX_SERVERS ||
	    c->n_turn_servers > PROTO_MAX_SERVERS)
		FAIL("configure: a count beyond its array\n");
	for (size_t i = 0; i < c->n_quirks; i++)
		if (memchr(c->quirks[i], '\0', sizeof(c->quirks[i])) == NULL)
			FAIL("configure: quirks[%zu] not terminated\n", i);
	for (size_t i = 0; i < c->n_stun_servers; i++)
		check_addr(&c->stun_servers[i], "stun_servers");
	for (size_t i = 0; i < c->n_turn_servers; i++) {
		int fam = c->turn_servers[i].family;

		check_addr(&c->turn_servers[i].addr, "turn_servers");
		if (fam != 0 && fam != AF_INET && fam != AF_INET6)
			FAIL("configure: turn_servers[%zu].family %d\n", i, fam);
	}
	if (c->nat64.set && c->nat64.has_resolver)
		check_addr(&c->nat64.resolver, "nat64.resolver");
}

static void check_remote(const struct proto_remote *r)
{
	if ((unsigned)r->setup > PROTO_SETUP_PASSIVE)
		FAIL("set-remote-description: setup out of range\n");
	if (strlen(r->fingerprint) != DTLS_FP_STRLEN - 1)
		FAIL("set-remote-description: fingerprint of %zu characters\n", strlen(r->fingerprint));
	if (r->n_cands > ICE_MAX_CANDS)
		FAIL("set-remote-description: %zu candidates\n", r->n_cands);
	for (size_t i = 0; i < r->n_cands; i++)
		check_cand(&r->cands[i]);
}

static void agent_side(const char *line, struct proto_cmd *cmd)
{
	struct icl_err err = { 0, "" };
	int rc = proto_parse_cmd(line, cmd, &err);

	if (memchr(cmd->id, '\0', sizeof(cmd->id)) == NULL)
		FAIL("id not terminated\n");
	if (rc < 0) {
		if (rc != ICL_EINPUT)
			FAIL("refused with %d, not ICL_EINPUT\n", rc);
		check_one_line("command refusal", err.msg);
		return;
	}
	if (rc != 0)
		FAIL("proto_parse_cmd returned %d\n", rc);
	if (cmd->kind == PROTO_CONFIGURE)
		check_config(&cmd->u.config);
	else if (cmd->kind == PROTO_SET_REMOTE)
		check_remote(&cmd->u.remote);
	else if (cmd->kind == PROTO_ADD_REMOTE_CANDIDATE)
		check_cand(&cmd->u.cand);
}

static void harness_side(const char *line, unsigned lineno)
{
	char why[256] = "";
	json_t *ev = aproc_parse_event(line, lineno, why, sizeof(why));

	if (ev == NULL) {
		check_one_line("event refusal", why);
		return;
	}
	if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "event")))
		FAIL("accepted an event line without an \"event\" string\n");
	json_decref(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_cmd *cmd = malloc(sizeof(*cmd));   /* ~40 KB: not on the stack */
	const uint8_t *end = data + size, *p = data;
	unsigned lineno = 0;

	if (cmd == NULL)
		return 0;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		char *line = malloc(len + 1);

		if (line == NULL)
			break;
		memcpy(line, p, len);
		line[len] = '\0';
		lineno++;
		if (len > 0) {
			agent_side(line, cmd);
			harness_side(line, lineno);
		}
		free(line);
		p += len + 1;
	}
	free(cmd);
	return 0;
}
