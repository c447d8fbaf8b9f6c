/* html.c - index.html: one self-contained page (inline CSS and SVG, no
 * script, no external URL) with the run's summary, a table of cases and a
 * section per case; the timeline picture itself is svg.c's. */
#include "report.h"

#include <errno.h>
#include <string.h>

#include "rep_int.h"

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 20px 60px;"
	"color:#222;background:#fff}\n"
	"h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:0 0 6px}"
	"h3{font-size:15px;margin:14px 0 4px}\n"
	"header{border-bottom:3px solid #444;padding-bottom:10px}\n"
	"header .meta{color:#555}\n"
	".verdict{display:inline-block;min-width:3.2em;text-align:center;padding:0 6px;"
	"border-radius:3px;color:#fff;font-weight:600}\n"
	".verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}"
	".verdict.xfail{background:#8d6e63}.verdict.xpass{background:#ef6c00}"
	".verdict.error{background:#6a1b9a}.verdict.unknown{background:#555}"
	".verdict.na{background:#fff;color:#546e7a;border:1px dashed #546e7a}\n"
	"table{border-collapse:collapse;margin:6px 0}\n"
	"th,td{border-bottom:1px solid #ddd;padding:3px 10px 3px 0;text-align:left;"
	"vertical-align:top}\n"
	"th{color:#555;font-weight:600}\n"
	".mono,td.msg,td.detail,td.where{font-family:ui-monospace,Menlo,Consolas,monospace;"
	"font-size:12.5px;white-space:pre-wrap;word-break:break-word}\n"
	"td.num{text-align:right;white-space:nowrap}\n"
	"td.where{white-space:nowrap;word-break:normal}table.cases td:first-child{white-space:nowrap}\n"
	"section.case{border-top:2px solid #999;margin-top:28px;padding-top:10px}\n"
	"section.case:target{background:#fffbe8}\n"
	".ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:700}\n"
	".broken,.message{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;"
	"white-space:pre-wrap;word-break:break-word;border-left:4px solid #c62828;"
	"padding:2px 8px;background:#fdf0f0}\n"
	".message.na{border-left-color:#546e7a;background:#eef2f4}\n"
	"dl.meta{display:grid;grid-template-columns:max-content auto;gap:0 12px;margin:4px 0}\n"
	"dl.meta dt{color:#555}dl.meta dd{margin:0}\n"
	"svg.timeline{display:block;max-width:100%;height:auto;border:1px solid #ddd;"
	"background:#fcfcfc}\n"
	"svg.legend{display:block;max-width:100%;height:auto}\n"
	"svg text{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
	"font-size:10.5px}\n"
	"svg .lbl,svg .ev{paint-order:stroke;stroke:#fcfcfc;stroke-width:3px;"
	"stroke-linejoin:round}\n"
	"svg .lanename{font:700 14px system-ui,sans-serif}svg .lanesub{font-size:11px}\n"
	"svg .grid{stroke:#eef0f2;stroke-width:1}svg .gaplbl{font-style:italic}\n";

/* A stable, unique anchor for a case name: letters, digits and '-' kept,
 * every other byte as _XX ("a[b=1]" -> "case-a_5bb_3d1_5d"). */
static void anchor(struct rep_out *o, const char *name)
{
	rep_puts(o, "case-");
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-')
			rep_write(o, name, 1);
		else
			rep_printf(o, "_%02x", c);
	}
}

static void verdict_badge(struct rep_out *o, const json_t *c)
{
	enum rep_verdict v = rep_verdict(c);

	rep_printf(o, "<span class=\"verdict %s\">%s</span>", rep_verdict_class(v),
		   rep_verdict_name(v));
}

static void header(struct rep_out *o, const json_t *run, const json_t *cases)
{
	static const char *const keys[] = { "passed", "failed", "xfailed", "xpassed", "errors",
					    "not_applicable" };
	static const char *const cls[] = { "pass", "fail", "xfail", "xpass", "error", "na" };
	static const char *const label[] = { "passed", "failed", "xfailed", "xpassed", "errors",
					     "not applicable" };
	const json_t *sum = json_object_get(run, "summary");
	char dur[32];

	rep_duration(rep_num(run, "duration_ms", 0), dur, sizeof(dur));
	rep_printf(o, "<header>\n<h1>icelab: %.0f cases</h1>\n<p class=\"summary\">",
		   rep_num(sum, "total", (double)json_array_size(cases)));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (i < 5 || rep_num(sum, keys[i], 0) > 0)
			rep_printf(o, "<span class=\"verdict %s\">%.0f %s</span> ", cls[i],
				   rep_num(sum, keys[i], 0), label[i]);
	rep_puts(o, "</p>\n<p class=\"meta\">started ");
	rep_esc_key(o, run, "started", false);
	rep_printf(o, " &middot; took %s &middot; seed ", dur);
	rep_esc_key(o, run, "seed", false);
	rep_puts(o, " &middot; icelab ");
	rep_esc_key(o, run, "icelab", false);
	rep_puts(o, "</p>\n</header>\n");
}

static void case_table(struct rep_out *o, const json_t *cases)
{
	const json_t *c;
	size_t i;
	char dur[32];

	rep_puts(o, "<table class=\"cases\">\n<tr><th>case</th><th>verdict</th><th>duration</th>"
		    "<th>message</th></tr>\n");
	json_array_foreach(cases, i, c) {
		rep_duration(rep_num(c, "duration_ms", 0), dur, sizeof(dur));
		rep_puts(o, "<tr><td><a href=\"#");
		anchor(o, rep_str(c, "name"));
		rep_puts(o, "\">");
		rep_esc_key(o, c, "name", false);
		rep_puts(o, "</a></td><td>");
		verdict_badge(o, c);
		rep_printf(o, "</td><td class=\"num\">%s</td><td class=\"msg\">", dur);
		if (rep_verdict(c) == REP_XPASS) {
			rep_puts(o, "expected to fail (");
			rep_esc_key(o, c, "expected_failure", false);
			rep_puts(o, ") but passed");
		} else {
			rep_esc_key(o, c, "message", false);
		}
		rep_puts(o, "</td></tr>\n");
	}
	rep_puts(o, "</table>\n");
}

static void dl_item(struct rep_out *o, const char *term, const json_t *obj, const char *key)
{
	if (rep_str(obj, key)[0] == '\0')
		return;
	rep_printf(o, "<dt>%s</dt><dd class=\"mono\">", term);
	rep_esc_key(o, obj, key, false);
	rep_puts(o, "</dd>");
}

static void case_meta(struct rep_out *o, const json_t *c)
{
	const json_t *params = json_object_get(c, "params"), *v;
	const char *k;
	char dur[32];
	bool first = true;

	rep_duration(rep_num(c, "duration_ms", 0), dur, sizeof(dur));
	rep_puts(o, "<dl class=\"meta\">");
	dl_item(o, "file", c, "file");
	if (json_object_size(params) > 0) {
		rep_puts(o, "<dt>params</dt><dd class=\"mono\">");
		json_object_foreach((json_t *)params, k, v) {
			rep_puts(o, first ? "" : ", ");
			rep_esc_str(o, k, false);
			rep_puts(o, "=");
			rep_esc_key(o, params, k, false);
			first = false;
		}
		rep_puts(o, "</dd>");
	}
	dl_item(o, "expected failure", c, "expected_failure");
	rep_printf(o, "<dt>duration</dt><dd>%s</dd>", dur);
	rep_puts(o, "</dl>\n");
}

static void assertions(struct rep_out *o, const json_t *c)
{
	const json_t *as = json_object_get(c, "assertions"), *a;
	size_t i;

	if (json_array_size(as) == 0)
		return;
	rep_puts(o, "<h3>assertions</h3>\n<table class=\"assertions\">\n<tr><th></th>"
		    "<th>assertion</th><th>where</th><th>detail</th></tr>\n");
	json_array_foreach(as, i, a) {
		bool ok = rep_bool(a, "ok");

		rep_printf(o, "<tr class=\"assertion %s\"><td class=\"%s\">%s</td><td>",
			   ok ? "held" : "failed", ok ? "ok" : "bad", ok ? "ok" : "FAILED");
		rep_esc_key(o, a, "what", false);
		rep_puts(o, "</td><td class=\"where\">");
		rep_esc_key(o, a, "where", false);
		rep_puts(o, "</td><td class=\"detail\">");
		rep_esc_key(o, a, "detail", false);
		rep_puts(o, "</td></tr>\n");
	}
	rep_puts(o, "</table>\n");
}

static void link(struct rep_out *o, const char *dir, const char *file)
{
	rep_puts(o, "<a href=\"");
	rep_href(o, dir, file);
	rep_puts(o, "\">");
	rep_esc_str(o, file, false);
	rep_puts(o, "</a>");
}

static void agents(struct rep_out *o, const json_t *c)
{
	const json_t *as = json_object_get(c, "agents"), *a;
	const char *dir = rep_str(c, "dir");
	size_t i;

	if (json_array_size(as) == 0)
		return;
	rep_puts(o, "<h3>agents</h3>\n<table class=\"agents\">\n<tr><th>agent</th><th>node</th>"
		    "<th>implementation</th><th>exit</th><th>log</th></tr>\n");
	json_array_foreach(as, i, a) {
		rep_puts(o, "<tr><td>");
		rep_esc_key(o, a, "name", false);
		rep_puts(o, "</td><td>");
		rep_esc_key(o, a, "node", false);
		rep_puts(o, "</td><td class=\"mono\">");
		rep_esc_key(o, a, "impl", false);
		if (rep_str(a, "path")[0] != '\0' && strcmp(rep_str(a, "path"), rep_str(a, "impl"))) {
			rep_puts(o, " (");
			rep_esc_key(o, a, "path", false);
			rep_puts(o, ")");
		}
		rep_puts(o, "</td><td class=\"num\">");
		rep_esc_key(o, a, "exit", false);
		rep_puts(o, "</td><td>");
		if (rep_str(a, "log")[0] != '\0')
			link(o, dir, rep_str(a, "log"));
		rep_puts(o, "</td></tr>\n");
	}
	rep_puts(o, "</table>\n");
}

static void captures(struct rep_out *o, const json_t *c)
{
	const json_t *pcaps = json_object_get(c, "pcaps"), *p;
	size_t i;

	if (json_array_size(pcaps) == 0)
		return;
	rep_puts(o, "<p class=\"files\">captures:");
	json_array_foreach(pcaps, i, p) {
		if (!json_is_string(p))
			continue;
		rep_puts(o, " ");
		link(o, rep_str(c, "dir"), json_string_value(p));
	}
	rep_puts(o, "</p>\n");
}

/* "N datagrams; M never arrived: K x kind over family, ..." - the line
 * that says at once whether anything was lost, and what. */
#define WIRE_GROUPS_MAX 32   /* kinds x families; more are not counted */

static void wire_summary(struct rep_out *o, const json_t *c)
{
	const json_t *wire = json_object_get(c, "wire"), *w, *first[WIRE_GROUPS_MAX];
	size_t i, lost = 0, groups = 0, count[WIRE_GROUPS_MAX] = { 0 };

	json_array_foreach(wire, i, w)
		lost += !rep_bool(w, "delivered");
	rep_printf(o, "<p class=\"wire-summary\">%zu datagrams between the agents", json_array_size(wire));
	if (lost == 0) {
		rep_puts(o, ", all arrived.</p>\n");
		return;
	}
	rep_printf(o, "; <span class=\"bad\">%zu never arrived</span>:", lost);
	/* Group by kind and family, in order of first appearance: one pass,
	 * for a flood leaves tens of thousands of them (tests/hostile-test). */
	json_array_foreach(wire, i, w) {
		size_t g = 0;

		if (rep_bool(w, "delivered"))
			continue;
		while (g < groups && (strcmp(rep_str(first[g], "kind"), rep_str(w, "kind")) != 0 ||
				      strcmp(rep_str(first[g], "family"), rep_str(w, "family")) != 0))
			g++;
		if (g == groups && groups < WIRE_GROUPS_MAX)
			first[groups++] = w;
		if (g < groups)
			count[g]++;
	}
	for (size_t g = 0; g < groups; g++) {
		rep_printf(o, "%s %zu &times; ", g ? "," : "", count[g]);
		rep_esc_key(o, first[g], "kind", false);
		rep_puts(o, " over ");
		rep_esc_key(o, first[g], "family", false);
	}
	rep_puts(o, ".</p>\n");
}

static void case_section(struct rep_out *o, const json_t *c)
{
	rep_puts(o, "<section class=\"case\" id=\"");
	anchor(o, rep_str(c, "name"));
	rep_puts(o, "\">\n<h2>");
	verdict_badge(o, c);
	rep_puts(o, " ");
	rep_esc_key(o, c, "name", false);
	rep_puts(o, "</h2>\n");
	if (rep_str(c, "description")[0] != '\0') {
		rep_puts(o, "<p class=\"description\">");
		rep_esc_key(o, c, "description", false);
		rep_puts(o, "</p>\n");
	}
	case_meta(o, c);
	if (rep_str(c, "message")[0] != '\0') {
		rep_puts(o, rep_verdict(c) == REP_NA ? "<p class=\"message na\">not applicable: "
						      : "<p class=\"message\">");
		rep_esc_key(o, c, "message", false);
		rep_puts(o, "</p>\n");
	}
	if (rep_str(c, "broken")[0] != '\0') {
		rep_puts(o, "<p class=\"broken\">session broke: ");
		rep_esc_key(o, c, "broken", false);
		rep_puts(o, "</p>\n");
	}
	assertions(o, c);
	agents(o, c);
	captures(o, c);
	rep_puts(o, "<h3>timeline</h3>\n");
	wire_summary(o, c);
	rep_svg_legend(o);
	rep_svg_timeline(o, c);
	rep_puts(o, "</section>\n");
}

int rep_write_html(const char *path, const json_t *run, struct icl_err *err)
{
	const json_t *cases = rep_cases(run, path, err), *c;
	struct rep_out o;
	size_t i;
	int rc;

	if (cases == NULL)
		return -EINVAL;
	if ((rc = rep_open(&o, path, err)) < 0)
		return rc;
	rep_printf(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width\">\n"
		       "<title>icelab report</title>\n<style>\n%s</style>\n</head>\n<body>\n",
		   css);
	header(&o, run, cases);
	case_table(&o, cases);
	json_array_foreach(cases, i, c)
		case_section(&o, c);
	rep_puts(&o, "</body>\n</html>\n");
	return rep_close(&o, err);
}
