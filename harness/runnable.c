/* runnable.c - cases this machine cannot run, found before any starts. */
#include "runnable.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "../netns/caps.h"
#include "../netns/sandbox.h"
#include "runner.h"

/* The first node of `c` that runs TAYGA (nat64 or clat), or NULL. */
static const char *tun_node(const struct scn_case *c)
{
	for (size_t i = 0; i < c->plan.n_nodes; i++)
		if (c->plan.nodes[i].nat64 != NULL || c->plan.nodes[i].clat != NULL)
			return c->plan.nodes[i].name;
	return NULL;
}

/* The case's n/a result and its line, in sched's format. */
static void not_runnable(struct sched_case *sc, const char *node, const struct icl_err *why,
			 const struct sched_opts *o)
{
	struct run_env env = {.case_dir = sc->dir, .case_rel = sc->rel};
	char reason[1280];

	snprintf(reason, sizeof(reason), "not runnable %s: node %s needs a tun device for TAYGA: %s",
		 sandbox_rootless() ? "without root" : "here", node, why->msg);
	sc->result = run_case_na(sc->c, &env, reason);
	if (sc->result)
		json_object_set_new(sc->result, "name", json_string(sc->name));
	fprintf(o->out, "%s %6.2f s  %s\n             %s\n", "n/a  ", 0.0, sc->name, reason);
	fflush(o->out);
}

int runnable_sched_run(struct sched_case *cases, size_t n, const struct sched_opts *o,
		       struct icl_err *err)
{
	struct sched_case *run = calloc(n + 1, sizeof(*run));
	size_t *from = calloc(n + 1, sizeof(*from)), k = 0;
	struct icl_err tun = {0};
	bool probed = false;
	int rc = 0;

	if (run == NULL || from == NULL) {
		free(run);
		free(from);
		return icl_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *node = tun_node(cases[i].c);

		/* Probed once, and only when some case needs it. */
		if (node != NULL && !probed) {
			caps_tun(&tun);
			probed = true;
		}
		if (node != NULL && tun.code < 0) {
			not_runnable(&cases[i], node, &tun, o);
			continue;
		}
		from[k] = i;
		run[k++] = cases[i];
	}
	if (k > 0)
		rc = sched_run(run, k, o, err);
	for (size_t j = 0; j < k; j++)
		cases[from[j]].result = run[j].result;
	free(run);
	free(from);
	return rc;
}
