/* scenario.h - load a scenario file.
 *
 * A scenario file is YAML; docs/scenario-format.md describes it.  Unknown
 * keys are refused at every level, so that typos surface instead of being
 * ignored.  Both loaders check the whole file (topology, agents,
 * expectations, matrix, ...) before returning anything.
 */
#ifndef SCN_SCENARIO_H
#define SCN_SCENARIO_H

#include <stddef.h>

#include "../common/err.h"
#include "../netns/plan.h"
#include "case.h"

/* Load the topology: section of the scenario file at `path` into `plan`
 * (zeroed by the caller; owned by the caller afterwards, released with
 * topo_plan_free): with a matrix, the first case's.  Validates it
 * (topo_plan_validate) and the rest of the file as scn_load_cases() does,
 * except that `name` may be absent.  On error, fills
 * err->msg with ONE line "PATH:LINE:COL: FIELD: reason" (FIELD is the
 * dotted path, e.g. links.wan.a.ipv4), frees partial work, leaves `plan`
 * zeroed and returns ICL_EINPUT (or -errno when the file cannot be read:
 * "PATH: No such file or directory"). */
int scn_load_topology(const char *path, struct topo_plan *plan, struct icl_err *err);

/* Same, from a memory buffer (for tests and fuzzing); `name` is used in
 * messages and stored as plan->file. */
int scn_load_topology_buf(const char *name, const char *buf, size_t len, struct topo_plan *plan,
			  struct icl_err *err);

/* Load every case of the scenario file at `path`: its matrix expanded
 * (one case when it has none; first matrix key varies slowest, excluded
 * cells left out), each validated as a whole: topology, agents (exactly
 * two, or none for a topology-only file whose probes are the test),
 * signalling, expectations, expected failures.  `*out` is a heap array of
 * `*n` cases, owned by the caller (scn_cases_free).  On error: one line
 * "FILE:LINE:COL: FIELD: reason" (with " (case NAME)" when only one cell
 * of the matrix is at fault), ICL_EINPUT, nothing returned. */
int scn_load_cases(const char *path, struct scn_case **out, size_t *n, struct icl_err *err);
int scn_load_cases_buf(const char *name, const char *buf, size_t len, struct scn_case **out,
		       size_t *n, struct icl_err *err);
void scn_cases_free(struct scn_case *cases, size_t n);

#endif
