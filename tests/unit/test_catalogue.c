/* test_catalogue.c - the scenario catalogue (harness/catalogue.h) and the
 * tutorial's whole files (docs/writing-scenarios.md against
 * tests/data/tutorial/).  Paths are relative to the repository root, where
 * the runner starts.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/err.h"
#include "../../common/tmpdir.h"
#include "../../harness/catalogue.h"
#include "suites.h"

#define TUT "tests/data/tutorial/"

/* cat_write() into two strings; returns its result. */
static int run_cat(char *const *files, size_t n, char **out, char **diag)
{
	size_t olen = 0, dlen = 0;
	FILE *o = open_memstream(out, &olen), *d = open_memstream(diag, &dlen);
	int rc;

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(d);
	rc = cat_write(o, d, files, n);
	fclose(o);
	fclose(d);
	return rc;
}

/* One row per file, by file name whatever the order given; the folded
 * description on one line; the references joined. */
START_TEST(test_rows)
{
	char *files[] = { "scenarios/topo-nat44.yaml", TUT "my-home.yaml" };
	char *out = NULL, *diag = NULL, *a, *b;

	ck_assert_int_eq(run_cat(files, 2, &out, &diag), 0);
	ck_assert_str_eq(diag, "");
	ck_assert(strncmp(out, "# Scenario catalogue\n", 21) == 0);
	ck_assert_ptr_nonnull(strstr(out, "2 files, 5 cases.\n"));
	a = strstr(out, "| [`my-home.yaml`](../tests/data/tutorial/my-home.yaml) | `my-home` | 4 | "
		   "IPv4-only client behind a symmetric NAT44 against an ICE-Lite server: ICE, "
		   "DTLS and data get through on a peer-reflexive local candidate, and consent "
		   "holds; the server quirk ignore-consent-checks loses it. | RFC 8445 7.2.5.3.1; "
		   "RFC 7675 5.1; elixir-webrtc/ex_ice #110 |\n");
	b = strstr(out, "| [`topo-nat44.yaml`](../scenarios/topo-nat44.yaml) | `topo-nat44` | 1 | ");
	ck_assert_msg(a != NULL && b != NULL && a < b, "%s", out);
	free(out);
	free(diag);
}
END_TEST

/* A file without references: every such file named on diag, and nothing
 * on out, so that a redirected page is never half written. */
START_TEST(test_no_references)
{
	char *files[] = { TUT "my-home.yaml", TUT "step2-agents.yaml", TUT "step1-topology.yaml",
			  "tests/data/nonexistent.yaml" };
	char *out = NULL, *diag = NULL;

	ck_assert_int_eq(run_cat(files, 4, &out, &diag), ICL_EINPUT);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(diag, "icelab: " TUT "step2-agents.yaml: no 'references:'") != NULL &&
			      strstr(diag, "icelab: " TUT "step1-topology.yaml: no 'references:'") &&
			      strstr(diag, "icelab: tests/data/nonexistent.yaml: No such file"),
		      "%s", diag);
	ck_assert_ptr_null(strstr(diag, "my-home.yaml"));
	free(out);
	free(diag);
}
END_TEST

/* What would end a table cell or start HTML is escaped. */
START_TEST(test_escape)
{
	static const char yaml[] =
		"name: esc\n"
		"description: \"a | b  <c>\"\n"
		"references: [\"x|y\"]\n"
		"topology:\n"
		"  nodes: { a: {}, b: {} }\n"
		"  links: { l: { a: { node: a, ipv4: 10.0.0.1/24 }, b: { node: b, ipv4: 10.0.0.2/24 } } }\n";
	char path[PATH_MAX], *files[] = { path };
	char *out = NULL, *diag = NULL;
	int fd;

	ck_assert_int_eq(icl_tmp_path(path, sizeof(path), "icelab-cat-XXXXXX.yaml"), 0);
	fd = mkstemps(path, 5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, yaml, sizeof(yaml) - 1), (ssize_t)(sizeof(yaml) - 1));
	close(fd);
	ck_assert_int_eq(run_cat(files, 1, &out, &diag), 0);
	unlink(path);
	ck_assert_msg(strstr(out, "` | `esc` | 1 | a \\| b &lt;c> | x\\|y |\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "| `icelab-cat-") != NULL, "absolute paths are not linked: %s", out);
	free(out);
	free(diag);
}
END_TEST

/* The whole file `path`, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch;

	if (f == NULL)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Each ```yaml block of the tutorial whose caption (the last non-blank
 * line before it) names a file of tests/data/tutorial/ is that file, byte for byte: the
 * files are what tests/tutorial-test runs. */
START_TEST(test_tutorial_files)
{
	FILE *f = fopen("docs/writing-scenarios.md", "r");
	char line[1024], prev[1024] = "", name[256] = "", *want, *got = NULL;
	size_t len = 0, blocks = 0;
	FILE *m = NULL;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *t = strstr(prev, "`" TUT);

		if (m == NULL && !strncmp(line, "```yaml", 7) && t != NULL) {
			sscanf(t + 1, "%255[^`]", name);
			m = open_memstream(&got, &len);
		} else if (m != NULL && !strncmp(line, "```", 3)) {
			fclose(m);
			m = NULL;
			want = slurp(name);
			ck_assert_msg(want != NULL, "%s: cannot read", name);
			ck_assert_msg(strcmp(got, want) == 0, "the block captioned %s differs from "
				      "the file:\n%s", name, got);
			free(want);
			free(got);
			got = NULL;
			blocks++;
		} else if (m != NULL) {
			fputs(line, m);
		}
		if (line[0] != '\n')
			snprintf(prev, sizeof(prev), "%s", line);
	}
	fclose(f);
	ck_assert_uint_eq(blocks, 3);
}
END_TEST

Suite *catalogue_suite(void)
{
	Suite *s = suite_create("catalogue");
	TCase *t = tcase_create("catalogue");

	tcase_add_test(t, test_rows);
	tcase_add_test(t, test_no_references);
	tcase_add_test(t, test_escape);
	tcase_add_test(t, test_tutorial_files);
	suite_add_tcase(s, t);
	return s;
}
