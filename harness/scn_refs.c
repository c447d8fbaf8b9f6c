/* scn_refs.c - read `references:`: where the scenario comes from (RFC
 * sections, bug reports, forum threads), as a list of one-line strings.
 *
 * The harness does not interpret them; `icelab catalogue` prints them
 * (catalogue.h) and refuses a file without any, so that every scenario
 * names its source.  They are kept one line each because the catalogue
 * prints them in a table row, and an empty entry would cite nothing.
 */
#include "scn_int.h"

#include <stdlib.h>
#include <string.h>

#define REFS_MAX 32        /* entries of one file */
#define REF_LEN_MAX 512    /* characters of one entry: a long URL fits */

/* "" when s[0..len) is a usable reference, else why not. */
static const char *ref_problem(const char *s, size_t len)
{
	size_t blank = 0;

	if (memchr(s, '\0', len) != NULL)
		return "must not contain NUL characters";
	if (memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL)
		return "must be one line (a folded '>-' block or a plain string, not '|' "
		       "or '>' with a line break)";
	while (blank < len && (s[blank] == ' ' || s[blank] == '\t'))
		blank++;
	if (blank == len)
		return "must not be empty; cite an RFC section, a bug report or a URL";
	if (len > REF_LEN_MAX)
		return "is longer than 512 characters";
	return "";
}

static int read_one(struct scn_ctx *c, struct fy_node *item, size_t i, struct scn_case *k)
{
	const char *s, *why;
	size_t len;
	int rc;

	if ((rc = scn_as_text(c, item, "a string (a URL or a citation)", &s, &len)) < 0)
		return rc;
	if (*(why = ref_problem(s, len)) != '\0')
		return scn_fail(c, item, "%s", why);
	if ((k->references[i] = strndup(s, len)) == NULL)
		return scn_oom(c);
	k->n_references = i + 1;
	return 0;
}

static int read_list(struct scn_ctx *c, struct fy_node *list, struct scn_case *k)
{
	struct fy_node *item;
	void *it = NULL;
	size_t n, i = 0, old;
	int rc;

	if ((rc = scn_want_seq(c, list)) < 0)
		return rc;
	if ((n = (size_t)fy_node_sequence_item_count(list)) == 0)
		return scn_fail(c, list, "the list is empty; give at least one reference, or "
				"leave the key out");
	if (n > REFS_MAX)
		return scn_fail(c, list, "%zu references; at most %d", n, REFS_MAX);
	if ((k->references = calloc(n, sizeof(*k->references))) == NULL)
		return scn_oom(c);
	while (rc == 0 && (item = fy_node_sequence_iterate(list, &it)) != NULL) {
		old = scn_path_index(c, i);
		rc = read_one(c, item, i, k);
		scn_path_pop(c, old);
		i++;
	}
	return rc;
}

int scn_read_references(struct scn_ctx *c, struct fy_node *root, struct scn_case *k)
{
	struct fy_node_pair *p = scn_pair(c, root, "references");
	size_t old;
	int rc;

	if (p == NULL)
		return 0;
	old = scn_path_key(c, "references");
	rc = read_list(c, fy_node_pair_value(p), k);
	scn_path_pop(c, old);
	return rc;
}

void scn_free_references(struct scn_case *k)
{
	for (size_t i = 0; i < k->n_references; i++)
		free(k->references[i]);
	free(k->references);
	k->references = NULL;
	k->n_references = 0;
}
