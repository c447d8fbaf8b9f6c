/* scn_int.h - internal: the readers behind scn_load_cases() besides the
 * topology (scn_topo.h).
 *
 * The matrix is read once per file; every other reader runs once per cell
 * with c->params set to that cell, so that ${name} references are read
 * substituted.  Readers fill one part of a struct scn_case and leave
 * partial work in it on error (scn_case_free() releases it).
 */
#ifndef SCN_INT_H
#define SCN_INT_H

#include "case.h"
#include "yaml.h"

#define SCN_MAX_CELLS 256       /* cells of one file's matrix */
#define SCN_TIMEOUT_DEFAULT_MS 10000u
#define SCN_TIMEOUT_MAX_MS 600000u

/* One parameter of the matrix: its values as written, in file order. */
struct scn_mvalue {
	char text[64];
	bool quoted;               /* "30" is a string where 30 is an integer */
};

struct scn_mparam {
	char name[32];
	struct fy_node *key;
	struct scn_mvalue *values;
	size_t n_values;
};

/* The matrix of a file (scn_matrix.c); zeroed when the file has none. */
struct scn_matrix {
	struct scn_mparam param[SCN_MAX_PARAMS];
	size_t n_params;
	/* Cells left after `exclude`, in order (first parameter varies
	 * slowest): value index of each parameter.  One empty cell when the
	 * file has no matrix. */
	unsigned (*cells)[SCN_MAX_PARAMS];
	size_t n_cells;
};

/* Read `matrix:` of `root` (absent: one cell, no parameters), then check
 * every ${name} of the document: unknown names, parameters used nowhere.
 * Reserves c->sub for the substituted scalars. */
int scn_matrix_read(struct scn_ctx *c, struct fy_node *root, struct scn_matrix *m);
void scn_matrix_free(struct scn_matrix *m);

/* Cell `i` into k->param/n_params and k->name ("NAME[p=v,...]"), and
 * point c at it, so that scalars are read substituted for that cell
 * (the caller resets c->params and c->n_params afterwards). */
int scn_matrix_cell(struct scn_ctx *c, struct fy_node *name_node, const struct scn_matrix *m,
		    size_t i, const char *name, struct scn_case *k);

/* expected-failure: of `root`, for the cell in k->param. */
int scn_read_xfail(struct scn_ctx *c, struct fy_node *root, const struct scn_matrix *m,
		   struct scn_case *k);

/* agents: of `root` into k->agent (needs k->plan, read and validated). */
int scn_read_agents(struct scn_ctx *c, struct fy_node *root, struct scn_case *k);

/* The scalar `n` as the name of one of k's agents into *idx; otherwise an
 * error naming the agents, followed by ": why" when `why` is given. */
int scn_as_agent(struct scn_ctx *c, struct fy_node *n, const struct scn_case *k,
		 const char *why, int *idx);

/* expect: of `root` into k->expect (needs the agents and k->timeout_ms). */
int scn_read_expect(struct scn_ctx *c, struct fy_node *root, struct scn_case *k);

/* signalling.tamper: (the mapping `map`) into k->tamper (scn_tamper.c;
 * needs the agents). */
int scn_read_tamper(struct scn_ctx *c, struct fy_node *map, struct scn_case *k);

/* The `inject` action of actions item `item` into `a` (scn_inject.c;
 * needs the agents and the plan). */
int scn_read_inject(struct scn_ctx *c, struct fy_node *item, const struct scn_case *k,
		    struct scn_action *a);

/* references: of `root` into k->references (scn_refs.c); released by
 * scn_free_references(), which scn_case_free() calls. */
int scn_read_references(struct scn_ctx *c, struct fy_node *root, struct scn_case *k);
void scn_free_references(struct scn_case *k);

/* actions: and hold: of `root` into k->actions, k->hold_ms (scn_actions.c;
 * needs the agents, the plan and k->timeout_ms). */
int scn_read_actions(struct scn_ctx *c, struct fy_node *root, struct scn_case *k);

#endif
