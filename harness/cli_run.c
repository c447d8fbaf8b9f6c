/* cli_run.c - `icelab run`, `icelab list`, `icelab check`. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/fs.h"
#include "../common/tmpdir.h"
#include "../netns/sandbox.h"
#include "../reports/report.h"
#include "cli.h"
#include "registry.h"
#include "runnable.h"
#include "runner.h"
#include "scenario.h"
#include "sched.h"

#define ICELAB_VERSION "0.1.0"
#define MAX_FILTERS 16
#define MAX_OVERRIDES 8

struct run_args {
	unsigned jobs, repeat, shard_i, shard_n;
	const char *filter[MAX_FILTERS];
	size_t n_filter;
	char agent_name[MAX_OVERRIDES][TOPO_NAME_MAX];
	const char *agent_impl[MAX_OVERRIDES];
	size_t n_agent;
	const char *report;
	bool keep_on_fail, seed_set;
	uint64_t seed;
	char **paths;
	int n_paths;
};

/* Every case of every file, in file order then matrix order. */
struct case_set {
	struct scn_case **file_cases;
	size_t *file_n;
	size_t n_files;
	const struct scn_case **sel;   /* the selected ones, borrowed */
	size_t n_sel;
};

static const char run_usage[] =
	"usage: icelab run [OPTIONS] [FILE|DIR...]     (default: scenarios/)\n"
	"       icelab list [OPTIONS] [FILE|DIR...]\n"
	"       icelab check FILE|DIR...\n"
	"  -j, --jobs N            run N cases at once, each in its own namespaces\n"
	"  -f, --filter GLOB       only cases whose name matches GLOB (repeatable)\n"
	"      --repeat N          run each case N times\n"
	"      --shard I/N         run the I-th of N equal slices of the cases (1-based)\n"
	"      --agent NAME=IMPL   play agent NAME with IMPL (a registry name or a path)\n"
	"      --keep-on-fail      keep the topology of failed cases until Ctrl-C\n"
	"      --seed N            seed for everything random in the run\n"
	"      --report DIR        write junit.xml, results.json, index.html, pcaps, logs\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "icelab: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", run_usage);
	return 2;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_agent(struct run_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= TOPO_NAME_MAX ||
	    a->n_agent == MAX_OVERRIDES)
		return -1;
	snprintf(a->agent_name[a->n_agent], TOPO_NAME_MAX, "%.*s", (int)(eq - arg), arg);
	a->agent_impl[a->n_agent++] = eq + 1;
	return 0;
}

static int parse_shard(struct run_args *a, const char *arg)
{
	char extra;

	if (sscanf(arg, "%u/%u%c", &a->shard_i, &a->shard_n, &extra) != 2 || a->shard_n == 0 ||
	    a->shard_i == 0 || a->shard_i > a->shard_n)
		return -1;
	return 0;
}

/* One option; 0 or an exit status. */
static int parse_opt(struct run_args *a, int c, const char *arg)
{
	unsigned v;

	switch (c) {
	case 'j':
		return parse_uint(arg, 1, 64, &a->jobs) < 0 ? usage_error("-j %s: want 1..64", arg) : 0;
	case 'f':
		if (a->n_filter == MAX_FILTERS)
			return usage_error("%s: too many filters", arg);
		a->filter[a->n_filter++] = arg;
		return 0;
	case 'r':
		return parse_uint(arg, 1, 1000, &a->repeat) < 0
			       ? usage_error("--repeat %s: want 1..1000", arg) : 0;
	case 's':
		return parse_shard(a, arg) < 0
			       ? usage_error("--shard %s: want I/N with 1 <= I <= N", arg) : 0;
	case 'a':
		return parse_agent(a, arg) < 0 ? usage_error("--agent %s: want NAME=IMPL", arg) : 0;
	case 'k':
		a->keep_on_fail = true;
		return 0;
	case 'S':
		if (parse_uint(arg, 0, 4294967295u, &v) < 0)
			return usage_error("--seed %s: want 0..4294967295", arg);
		a->seed = v;
		a->seed_set = true;
		return 0;
	case 'R':
		a->report = arg;
		return 0;
	}
	return usage_error("%s", "unknown option");
}

/* 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{"jobs", required_argument, NULL, 'j'},   {"filter", required_argument, NULL, 'f'},
		{"repeat", required_argument, NULL, 'r'}, {"shard", required_argument, NULL, 's'},
		{"agent", required_argument, NULL, 'a'},  {"keep-on-fail", no_argument, NULL, 'k'},
		{"seed", required_argument, NULL, 'S'},   {"report", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	int c, rc;

	*a = (struct run_args){.jobs = 1, .repeat = 1, .shard_i = 1, .shard_n = 1};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+j:f:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(run_usage, stdout);
			return 1;
		}
		if (c == '?')
			return usage_error("%s: unknown option or missing value", argv[optind - 1]);
		if ((rc = parse_opt(a, c, optarg)) != 0)
			return rc;
	}
	a->paths = argv + optind;
	a->n_paths = argc - optind;
	return 0;
}

/* ---- loading and selecting cases ---- */

static void set_free(struct case_set *s)
{
	for (size_t i = 0; i < s->n_files; i++)
		scn_cases_free(s->file_cases[i], s->file_n[i]);
	free(s->file_cases);
	free(s->file_n);
	free(s->sel);
	memset(s, 0, sizeof(*s));
}

/* Load every file; report every invalid one (not only the first).
 * Returns 0, or 2 when any file is invalid or none was found. */
static int load_all(const struct run_args *a, struct case_set *s, bool verbose)
{
	char *dflt[] = {"scenarios"};
	char **files;
	size_t n;
	int bad = 0;
	struct icl_err err;

	cli_collect_files(a->n_paths ? a->n_paths : 1, a->n_paths ? a->paths : dflt, &files, &n);
	if (n == 0) {
		fprintf(stderr, "icelab: no scenario files found\n");
		cli_free_files(files, n);
		return 2;
	}
	s->file_cases = calloc(n, sizeof(*s->file_cases));
	s->file_n = calloc(n, sizeof(*s->file_n));
	s->n_files = n;
	for (size_t i = 0; i < n; i++) {
		if (scn_load_cases(files[i], &s->file_cases[i], &s->file_n[i], &err) < 0) {
			fprintf(stderr, "icelab: %s\n", err.msg);
			bad = 1;
		} else if (verbose) {
			printf("ok   %s: %zu case%s\n", files[i], s->file_n[i],
			       s->file_n[i] == 1 ? "" : "s");
		}
	}
	cli_free_files(files, n);
	return bad ? 2 : 0;
}

/* --agent NAME=IMPL: every case with an agent NAME gets IMPL; a NAME that
 * no case has is a mistake, and so is an IMPL that does not resolve. */
static int apply_agents(const struct run_args *a, struct case_set *s)
{
	char path[PATH_MAX];
	struct icl_err err;

	for (size_t k = 0; k < a->n_agent; k++) {
		size_t hits = 0;

		if (reg_resolve(a->agent_impl[k], path, sizeof(path), &err) < 0) {
			fprintf(stderr, "icelab: --agent %s: %s\n", a->agent_name[k], err.msg);
			return 2;
		}
		for (size_t f = 0; f < s->n_files; f++)
			for (size_t i = 0; i < s->file_n[f]; i++) {
				struct scn_case *c = &s->file_cases[f][i];
				int idx = scn_case_agent(c, a->agent_name[k]);

				if (idx < 0)
					continue;
				snprintf(c->agent[idx].impl, sizeof(c->agent[idx].impl), "%s",
					 a->agent_impl[k]);
				c->agent[idx].impl_override = true;
				hits++;
			}
		if (hits == 0) {
			fprintf(stderr, "icelab: --agent %s: no selected scenario has an agent "
				"named '%s'\n", a->agent_name[k], a->agent_name[k]);
			return 2;
		}
	}
	return 0;
}

/* A filter matches a case by its whole name, literally or as a glob, or
 * by its scenario's name (every cell of a matrix). */
static bool matches(const struct run_args *a, const char *name)
{
	char base[SCN_NAME_MAX];

	if (a->n_filter == 0)
		return true;
	snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, "["), name);
	for (size_t i = 0; i < a->n_filter; i++)
		if (strcmp(a->filter[i], name) == 0 || fnmatch(a->filter[i], name, 0) == 0 ||
		    fnmatch(a->filter[i], base, 0) == 0)
			return true;
	return false;
}

/* Filter, then take this shard: every shard_n-th case of the filtered
 * list, so shards stay balanced whatever the filter. */
static void select_cases(const struct run_args *a, struct case_set *s)
{
	size_t total = 0, k = 0;

	for (size_t f = 0; f < s->n_files; f++)
		total += s->file_n[f];
	s->sel = calloc(total + 1, sizeof(*s->sel));
	for (size_t f = 0; f < s->n_files; f++)
		for (size_t i = 0; i < s->file_n[f]; i++) {
			const struct scn_case *c = &s->file_cases[f][i];

			if (!matches(a, c->name))
				continue;
			if (k++ % a->shard_n == a->shard_i - 1)
				s->sel[s->n_sel++] = c;
		}
}

static int prepare(int argc, char **argv, struct run_args *a, struct case_set *s, bool verbose)
{
	int rc = parse_args(argc, argv, a);

	if (rc != 0)
		return rc == 1 ? -1 : rc;
	if ((rc = load_all(a, s, verbose)) != 0 || (rc = apply_agents(a, s)) != 0)
		return rc;
	select_cases(a, s);
	return 0;
}

/* ---- the report directory ---- */

static void safe_name(const char *name, char *out, size_t cap)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < cap; i++) {
		char ch = name[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				 (ch >= '0' && ch <= '9') || strchr("._=,-", ch)
			 ? ch : '_';
	}
	out[i] = '\0';
}

static int mkdir_p(const char *path, char *errbuf, size_t cap)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
				goto fail;
			*p = '/';
		}
	if (mkdir(tmp, 0755) == 0 || errno == EEXIST)
		return 0;
fail:
	snprintf(errbuf, cap, "%s: %s", tmp, strerror(errno));
	return -1;
}

/* One sched_case per selected case and repetition, each with its dir. */
static struct sched_case *expand(const struct run_args *a, const struct case_set *s,
				 const char *root, size_t *n)
{
	struct sched_case *v = calloc(s->n_sel * a->repeat + 1, sizeof(*v));
	char safe[SCN_NAME_MAX], errbuf[PATH_MAX + 64];

	*n = 0;
	for (size_t i = 0; v && i < s->n_sel; i++)
		for (unsigned r = 1; r <= a->repeat; r++) {
			struct sched_case *sc = &v[(*n)++];

			sc->c = s->sel[i];
			if (a->repeat > 1)
				snprintf(sc->name, sizeof(sc->name), "%s#%u", sc->c->name, r);
			else
				snprintf(sc->name, sizeof(sc->name), "%s", sc->c->name);
			safe_name(sc->name, safe, sizeof(safe));
			snprintf(sc->rel, sizeof(sc->rel), "cases/%s", safe);
			if ((size_t)snprintf(sc->dir, sizeof(sc->dir), "%s/%s", root, sc->rel) >=
			    sizeof(sc->dir)) {
				fprintf(stderr, "icelab: %s: report path too long\n", root);
				free(v);
				return NULL;
			}
			if (mkdir_p(sc->dir, errbuf, sizeof(errbuf)) < 0) {
				fprintf(stderr, "icelab: %s\n", errbuf);
				free(v);
				return NULL;
			}
		}
	return v;
}

/* ---- run ---- */

struct tally {
	size_t pass, fail, xfail, xpass, error, na;
};

static json_t *run_doc(const struct run_args *a, struct sched_case *v, size_t n,
		       struct tally *t, const char *started, double ms)
{
	json_t *cases = json_array();

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		const char *verdict = json_string_value(json_object_get(v[i].result, "verdict"));

		if (!verdict)
			verdict = "error";
		t->pass += strcmp(verdict, "pass") == 0;
		t->fail += strcmp(verdict, "fail") == 0;
		t->xfail += strcmp(verdict, "xfail") == 0;
		t->xpass += strcmp(verdict, "xpass") == 0;
		t->error += strcmp(verdict, "error") == 0;
		t->na += strcmp(verdict, "n/a") == 0;
		json_array_append(cases, v[i].result);
	}
	return json_pack("{s:s, s:s, s:f, s:I, s:i, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
			 "icelab", ICELAB_VERSION, "started", started, "duration_ms", ms,
			 "seed", (json_int_t)a->seed, "jobs", (int)a->jobs, "summary",
			 "total", (json_int_t)n, "passed", (json_int_t)t->pass,
			 "failed", (json_int_t)t->fail, "xfailed", (json_int_t)t->xfail,
			 "xpassed", (json_int_t)t->xpass, "errors", (json_int_t)t->error,
			 "not_applicable", (json_int_t)t->na, "cases", cases);
}

static void iso_now(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int finish_run(const struct run_args *a, struct sched_case *v, size_t n,
		      const char *root, const char *started, double ms)
{
	struct tally t;
	json_t *doc = run_doc(a, v, n, &t, started, ms);
	struct icl_err err;
	int rc = 0;

	if (a->report && rep_write_all(root, doc, &err) < 0) {
		fprintf(stderr, "icelab: report: %s\n", err.msg);
		rc = 1;
	}
	/* Scripts read the first nine fields (awk $1 $3 $5 $7 $9): the n/a
	 * count comes after them, and only when there is one. */
	printf("%zu passed, %zu failed, %zu xfailed, %zu xpassed, %zu errors", t.pass, t.fail,
	       t.xfail, t.xpass, t.error);
	if (t.na)
		printf(", %zu not applicable", t.na);
	printf(" in %.1f s\n", ms / 1e3);
	if (a->report)
		printf("icelab: report in %s/index.html\n", root);
	json_decref(doc);
	return rc || t.fail || t.xpass || t.error ? 1 : 0;
}

static int report_root(const struct run_args *a, char *root, size_t cap)
{
	char errbuf[PATH_MAX + 64];

	if (a->report) {
		if (mkdir_p(a->report, errbuf, sizeof(errbuf)) < 0 ||
		    !realpath(a->report, root)) {
			fprintf(stderr, "icelab: --report: %s\n", errbuf);
			return -1;
		}
		return 0;
	}
	if (icl_tmp_path(root, cap, "icelab-run.XXXXXX") < 0) {
		fprintf(stderr, "icelab: TMPDIR is too long: %s\n", icl_tmpdir());
		return -1;
	}
	if (!mkdtemp(root)) {
		fprintf(stderr, "icelab: %s: %s\n", root, strerror(errno));
		return -1;
	}
	return 0;
}

static int run_selected(const struct run_args *a, const struct case_set *s)
{
	struct sched_opts so = {.jobs = a->jobs, .keep_on_fail = a->keep_on_fail,
				.progress = isatty(STDOUT_FILENO), .out = stdout, .seed = a->seed};
	char root[PATH_MAX], started[32];
	struct sched_case *v;
	struct icl_err err;
	size_t n;
	double t0 = cli_now_ms();
	int rc;

	if (report_root(a, root, sizeof(root)) < 0)
		return 3;
	if (!(v = expand(a, s, root, &n)))
		return 3;
	iso_now(started, sizeof(started));
	printf("icelab run: %zu case%s, -j %u, seed %llu\n", n, n == 1 ? "" : "s", a->jobs,
	       (unsigned long long)a->seed);
	fflush(stdout);
	/* Cases needing what this machine does not permit (rootless: a tun
	 * device) get "n/a" with the reason; the rest go to the scheduler. */
	if ((rc = runnable_sched_run(v, n, &so, &err)) < 0)
		rc = cli_fail(&err);
	else
		rc = finish_run(a, v, n, root, started, cli_now_ms() - t0);
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].result);
	free(v);
	if (!a->report)
		icl_rm_tree(root);
	return rc;
}

static int run_cmd(int argc, char **argv)
{
	struct run_args a;
	struct case_set s = {0};
	struct icl_err err;
	int rc = prepare(argc, argv, &a, &s, false);

	if (rc == 0 && s.n_sel == 0) {
		fprintf(stderr, "icelab: no case matches\n");
		rc = 2;
	}
	if (rc == 0 && !a.seed_set)
		a.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	if (rc == 0 && sandbox_enter(&err) < 0)
		rc = cli_fail(&err);
	else if (rc == 0)
		rc = run_selected(&a, &s);
	set_free(&s);
	return rc < 0 ? 0 : rc;
}

static int list_cmd(int argc, char **argv)
{
	struct run_args a;
	struct case_set s = {0};
	int rc = prepare(argc, argv, &a, &s, false);

	for (size_t i = 0; rc == 0 && i < s.n_sel; i++)
		printf("%s\n", s.sel[i]->name);
	set_free(&s);
	return rc < 0 ? 0 : rc;
}

static int check_cmd(int argc, char **argv)
{
	struct run_args a;
	struct case_set s = {0};
	int rc;

	if (argc < 2) {
		fputs(run_usage, stderr);
		return 2;
	}
	rc = prepare(argc, argv, &a, &s, true);
	set_free(&s);
	return rc < 0 ? 0 : rc;
}

int cli_run(int argc, char **argv)
{
	if (strcmp(argv[0], "list") == 0)
		return list_cmd(argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return check_cmd(argc, argv);
	return run_cmd(argc, argv);
}
