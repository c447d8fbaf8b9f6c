/* report.c - results.json, and all three reports of a run at once. */
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

int rep_write_json(const char *path, const json_t *run, struct icl_err *err)
{
	struct rep_out o;
	char *text;
	int rc;

	/* Serialise first: an unserialisable document leaves no file. */
	text = json_dumps(run, JSON_INDENT(2));
	if (text == NULL)
		return icl_err_set(err, -EINVAL, "%s: the run document cannot be serialised", path);
	rc = rep_open(&o, path, err);
	if (rc == 0) {
		rep_puts(&o, text);
		rep_puts(&o, "\n");
		rc = rep_close(&o, err);
	}
	free(text);
	return rc;
}

int rep_write_all(const char *dir, const json_t *run, struct icl_err *err)
{
	static const struct {
		const char *name;
		int (*write)(const char *, const json_t *, struct icl_err *);
	} files[] = {
		{ "results.json", rep_write_json },
		{ "junit.xml", rep_write_junit },
		{ "index.html", rep_write_html },
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int rc;

		if (snprintf(path, sizeof(path), "%s/%s", dir, files[i].name) >= (int)sizeof(path))
			return icl_err_set(err, -ENAMETOOLONG, "%s/%s: %s", dir, files[i].name,
					   strerror(ENAMETOOLONG));
		rc = files[i].write(path, run, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
