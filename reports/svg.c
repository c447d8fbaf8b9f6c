/* svg.c - a case's timeline as an inline SVG sequence diagram: one
 * vertical lane per agent (client left, server right), time downwards,
 * an arrow per datagram of "wire" and a labelled mark per agent event.
 *
 * Layout: every datagram sent, every datagram arrived and every event is
 * a row at its time.  The space between two rows grows with the log of
 * the time between them (a 2 ms DTLS flight and 100 ms consent checks
 * both stay readable in one picture), rows are at least a few pixels
 * apart (a burst of 300 datagrams in 2 ms stays countable), and an idle
 * gap longer than 250 ms collapses into a band that says how long it
 * was.  The axis at the left gives the real times.  A label takes room
 * only where it is drawn, and a datagram's label is left out when the
 * same label was drawn just above (retransmissions, consent checks); every
 * arrow keeps its full description in a <title>.  What the harness itself
 * did to the network or an agent (a link cut or restored, an ICE restart:
 * "action" events of agent "harness") is a dashed band across every lane,
 * since it is no agent's doing.
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "rep_int.h"

enum {
	WIDTH = 1160,
	AXIS_X = 54,           /* right edge of the time labels */
	LANE_L = 360,          /* first and last lane */
	LANE_R = 860,
	TOP = 70,              /* first row, below the lane headers */
	MIN_ROW = 4,           /* px between two rows */
	LINE_H = 14,           /* px a line of label needs */
	BREAK_PX = 40,         /* height of a collapsed idle gap */
	REPEAT_PX = 240,       /* a label repeated within this is left out */
	MAX_LANES = 8,
	MAX_CP = 48,           /* code points of an event label line */
	RECENT = 24,           /* datagram labels remembered for thinning */
};
#define CHAR_W 6.35     /* advance of a 10.5 px monospace character */
#define GAP_PX 4.5      /* px per doubling of the gap between two rows */
#define GAP_MS 250.0    /* longer gaps collapse into a band */
#define ACTION_COLOUR "#ef6c00"

enum row_kind { ROW_SEND, ROW_ARRIVE, ROW_EVENT };

struct row {
	double t, y;
	const json_t *item;    /* a "wire" element or a "timeline" entry */
	size_t seq;            /* document order, to keep sorting stable */
	size_t wire;           /* index in "wire" (send and arrive rows) */
	enum row_kind kind;
	bool label;
	int lines;             /* label lines: 1, or 2 (selected pair, reasons) */
};

struct brk {
	double y, ms;
};

struct tl {
	const char *lane[MAX_LANES];
	double x[MAX_LANES];
	size_t n_lanes;
	struct row *rows;
	size_t n_rows;
	struct brk *brk;
	size_t n_brk;
	double *arrive_y;      /* per datagram: y of its arrival */
	double height;
};

/* The command links without libm; these few helpers do not need it. */
static double dmax(double a, double b)
{
	return a > b ? a : b;
}

/* log2(x) for x >= 1, linear within each octave: monotonic, which is
 * all the vertical scale needs. */
static double dlog2(double x)
{
	double n = 0;

	for (; x >= 2; x /= 2)
		n++;
	return n + (x > 1 ? x - 1 : 0);
}

/* Newton's square root, for arrowheads (|v| up to ~1e8 converges). */
static double droot(double v)
{
	double x = v > 1 ? v : 1;

	if (v <= 0)
		return 0;
	for (int i = 0; i < 48; i++)
		x = 0.5 * (x + v / x);
	return x;
}

/* ---- lanes -------------------------------------------------------------- */

static int lane_of(const struct tl *l, const char *name)
{
	for (size_t i = 0; i < l->n_lanes; i++) {
		if (strcmp(l->lane[i], name) == 0)
			return (int)i;
	}
	return -1;
}

static void lane_add(struct tl *l, const char *name)
{
	if (name[0] != '\0' && lane_of(l, name) < 0 && l->n_lanes < MAX_LANES)
		l->lane[l->n_lanes++] = name;
}

/* A harness action (harness/session.c): drawn across the lanes. */
static bool is_action(const json_t *entry)
{
	return strcmp(rep_str(entry, "agent"), "harness") == 0 &&
	       strcmp(rep_str(json_object_get(entry, "event"), "event"), "action") == 0;
}

static int lane_rank(const char *name)
{
	return strcmp(name, "client") == 0 ? 0 : strcmp(name, "server") == 0 ? 2 : 1;
}

/* The agents of the case, then anyone else the timeline or the wire
 * names; "client" first and "server" last, the rest in between in order. */
static void lanes(struct tl *l, const json_t *c)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(c, "agents"), i, e)
		lane_add(l, rep_str(e, "name"));
	json_array_foreach(json_object_get(c, "timeline"), i, e) {
		if (!is_action(e))
			lane_add(l, rep_str(e, "agent"));
	}
	json_array_foreach(json_object_get(c, "wire"), i, e) {
		lane_add(l, rep_str(e, "from"));
		lane_add(l, rep_str(e, "to"));
	}
	for (i = 1; i < l->n_lanes; i++) {
		for (size_t j = i; j > 0 && lane_rank(l->lane[j - 1]) > lane_rank(l->lane[j]); j--) {
			const char *t = l->lane[j];

			l->lane[j] = l->lane[j - 1];
			l->lane[j - 1] = t;
		}
	}
	for (i = 0; i < l->n_lanes; i++)
		l->x[i] = l->n_lanes == 1 ? (LANE_L + LANE_R) / 2.0
					  : LANE_L + (double)i * (LANE_R - LANE_L) / (double)(l->n_lanes - 1);
}

/* The lane a datagram goes to: its receiver's, or (unknown receiver) the
 * nearest other lane, so that it still points somewhere. */
static int dest_lane(const struct tl *l, const json_t *w, int from)
{
	int to = lane_of(l, rep_str(w, "to"));

	if (to >= 0 && to != from)
		return to;
	if (l->n_lanes < 2)
		return -1;
	return from + 1 < (int)l->n_lanes ? from + 1 : from - 1;
}

/* ---- labels ------------------------------------------------------------- */

static const char *const shown_events[] = { "ice-state", "dtls-state", "selected-pair",
					    "data-echoed", "error" };

static bool shown(const json_t *entry)
{
	const char *ev = rep_str(json_object_get(entry, "event"), "event");

	if (is_action(entry))
		return true;
	for (size_t i = 0; i < sizeof(shown_events) / sizeof(shown_events[0]); i++) {
		if (strcmp(ev, shown_events[i]) == 0)
			return true;
	}
	return false;
}

static const char *kind_label(const json_t *w)
{
	static const char *const names[][2] = {
		{ "binding-request", "Binding req" }, { "binding-success", "Binding success" },
		{ "binding-error", "Binding error" }, { "dtls-handshake", "DTLS handshake" },
		{ "dtls-ccs", "DTLS CCS" }, { "dtls-alert", "DTLS alert" },
		{ "dtls-data", "DTLS data" },
	};
	const char *k = rep_str(w, "kind");

	if (strcmp(k, "binding-request") == 0 && rep_bool(w, "use_candidate"))
		return "Binding req USE-CANDIDATE";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(k, names[i][0]) == 0)
			return names[i][1];
	}
	return "other";
}

static void wire_label(const json_t *w, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s  %s \xe2\x86\x92 %s", kind_label(w), rep_str(w, "src"),
		 rep_str(w, "dst"));
}

/* Cut `s` after `max` code points, ending it with an ellipsis. */
static void clip(char *s, size_t max)
{
	size_t cps = 0;

	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (++cps > max) {
			strcpy(p, "\xe2\x80\xa6");
			return;
		}
	}
}

/* The label of an agent event, in one or two lines (l2 may stay empty),
 * each clipped; `full` gets everything for the tooltip. */
/* "link wan cut" / "ipv6 only, b-to-a"; "ICE restart of client". */
static void action_label(const json_t *ev, char *l1, char *l2, size_t cap)
{
	const char *act = rep_str(ev, "action"), *fam = rep_str(ev, "family");
	const char *dir = rep_str(ev, "direction");
	bool all_fam = !fam[0] || strcmp(fam, "both") == 0;
	bool all_dir = !dir[0] || strcmp(dir, "both") == 0;

	l2[0] = '\0';
	if (strcmp(act, "restart") == 0) {
		snprintf(l1, cap, "ICE restart of %s", rep_str(ev, "agent"));
		return;
	}
	snprintf(l1, cap, "link %s %s", rep_str(ev, "link"),
		 strcmp(act, "cut") == 0 ? "cut" : strcmp(act, "restore") == 0 ? "restored" : act);
	if (!all_fam || !all_dir)
		snprintf(l2, cap, "%s%s%s", all_fam ? "" : fam, !all_fam && !all_dir ? ", " : "",
			 all_dir ? "" : dir);
}

static void event_label(const json_t *ev, char *l1, char *l2, size_t cap, char *full,
			size_t fcap)
{
	const char *name = rep_str(ev, "event"), *st = rep_str(ev, "state");

	l2[0] = '\0';
	if (strcmp(name, "ice-state") == 0) {
		snprintf(l1, cap, "ICE %s", st);
	} else if (strcmp(name, "dtls-state") == 0) {
		snprintf(l1, cap, "DTLS %s%s%s%s", st, rep_str(ev, "role")[0] ? " as " : "",
			 rep_str(ev, "role"), rep_str(ev, "reason")[0] ? ":" : "");
		snprintf(l2, cap, "%s", rep_str(ev, "reason"));
	} else if (strcmp(name, "selected-pair") == 0) {
		snprintf(l1, cap, "selected %s %s/%s", rep_str(ev, "family"),
			 rep_str(ev, "local_type"), rep_str(ev, "remote_type"));
		snprintf(l2, cap, "%s \xe2\x86\x92 %s", rep_str(ev, "local"), rep_str(ev, "remote"));
	} else if (strcmp(name, "data-echoed") == 0) {
		snprintf(l1, cap, "data echoed, rtt %.1f ms", rep_num(ev, "rtt_ms", 0));
	} else if (strcmp(name, "action") == 0) {
		action_label(ev, l1, l2, cap);
	} else {
		snprintf(l1, cap, "%s:", rep_bool(ev, "fatal") ? "fatal error" : "error");
		snprintf(l2, cap, "%s", rep_str(ev, "reason"));
	}
	snprintf(full, fcap, "%s %s", l1, l2);
	clip(l1, MAX_CP);
	clip(l2, MAX_CP);
}

/* ---- layout ------------------------------------------------------------- */

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A row per datagram sent, one per datagram arrived (so that arrivals
 * fall in time order among the other rows), one per event shown. */
static int collect_rows(struct tl *l, const json_t *c)
{
	const json_t *wire = json_object_get(c, "wire"), *tline = json_object_get(c, "timeline");
	const json_t *e;
	size_t i, nw = json_array_size(wire), n = 2 * nw + json_array_size(tline);

	l->rows = calloc(n + 1, sizeof(*l->rows));
	l->brk = calloc(n + 1, sizeof(*l->brk));
	l->arrive_y = calloc(nw + 1, sizeof(*l->arrive_y));
	if (l->rows == NULL || l->brk == NULL || l->arrive_y == NULL)
		return -ENOMEM;
	json_array_foreach(wire, i, e) {
		double t = rep_num(e, "t", 0), ta = rep_num(e, "t_arrive", t);

		l->rows[l->n_rows++] = (struct row){ .t = t, .item = e, .seq = 2 * i, .wire = i,
						     .kind = ROW_SEND, .lines = 1 };
		if (rep_bool(e, "delivered"))
			l->rows[l->n_rows++] = (struct row){ .t = dmax(t, ta), .item = e,
							     .seq = 2 * i + 1, .wire = i,
							     .kind = ROW_ARRIVE };
	}
	json_array_foreach(tline, i, e) {
		if (shown(e))
			l->rows[l->n_rows++] = (struct row){ .t = rep_num(e, "t", 0), .item = e,
							     .seq = 2 * nw + i, .kind = ROW_EVENT,
							     .lines = 1 };
	}
	qsort(l->rows, l->n_rows, sizeof(*l->rows), row_cmp);
	return 0;
}

/* The label column a row writes into: 0 for datagrams, 1 + lane. */
static int row_column(const struct tl *l, const struct row *r)
{
	int lane = lane_of(l, rep_str(r->item, "agent"));

	return r->kind != ROW_EVENT ? 0 : 1 + (lane < 0 ? 0 : lane);
}

struct recent {
	char text[RECENT][256];
	double y[RECENT];
	size_t next;
};

/* Whether the datagram label `text` was drawn less than REPEAT_PX above y. */
static bool repeated(const struct recent *rc, const char *text, double y)
{
	for (size_t i = 0; i < RECENT; i++) {
		if (rc->text[i][0] && strcmp(rc->text[i], text) == 0 && y - rc->y[i] < REPEAT_PX)
			return true;
	}
	return false;
}

/* Room above a row for what it draws: arrows need a few pixels, a
 * label a line; the label columns (0: datagrams, 1 + lane: that lane's
 * events) keep their lowest used pixel in `bottom`. */
static double make_room(const struct row *r, double y, int col, const double *bottom)
{
	if (r->kind == ROW_ARRIVE)
		return y;
	if (!r->label)
		return dmax(y, bottom[col] + MIN_ROW);
	return dmax(y, bottom[col] + LINE_H);
}

static double lowest(const double *bottom)
{
	double b = bottom[0];

	for (size_t i = 1; i <= MAX_LANES; i++)
		b = dmax(b, bottom[i]);
	return b;
}

/* Whether row r gets a label; remembers datagram labels drawn. */
static void decide_label(struct row *r, double y, struct recent *rc)
{
	char text[256], l2[256], full[600];

	if (r->kind == ROW_EVENT) {
		event_label(json_object_get(r->item, "event"), text, l2, sizeof(text), full,
			    sizeof(full));
		r->label = true;
		r->lines = l2[0] ? 2 : 1;
		return;
	}
	if (r->kind != ROW_SEND)
		return;
	wire_label(r->item, text, sizeof(text));
	/* Without the memory of recent labels, label every datagram. */
	r->label = rc == NULL || !repeated(rc, text, y);
	if (r->label && rc != NULL) {
		snprintf(rc->text[rc->next], sizeof(rc->text[0]), "%s", text);
		rc->y[rc->next] = y;
		rc->next = (rc->next + 1) % RECENT;
	}
}

/* Give each row its y: time-proportional where there is room, spaced
 * where there is not, collapsed across long idle gaps. */
static void place_rows(struct tl *l)
{
	double bottom[MAX_LANES + 1];
	struct recent *rc = calloc(1, sizeof(*rc));
	double y = TOP;

	for (size_t i = 0; i <= MAX_LANES; i++)
		bottom[i] = TOP - LINE_H;
	for (size_t i = 0; i < l->n_rows; i++) {
		struct row *r = &l->rows[i];
		int col = row_column(l, r);
		double dt = i > 0 ? r->t - l->rows[i - 1].t : 0;

		if (dt > GAP_MS) {
			/* Below everything drawn so far, a band saying how long. */
			y = dmax(y, lowest(bottom));
			l->brk[l->n_brk++] = (struct brk){ y + 18, dt };
			y += BREAK_PX;
		} else if (i > 0) {
			y += dmax(r->kind == ROW_ARRIVE ? 2 : MIN_ROW, GAP_PX * dlog2(1 + dt / 2));
		}
		decide_label(r, y, rc);
		y = make_room(r, y, col, bottom);
		r->y = y;
		if (r->kind == ROW_EVENT) {
			bottom[col] = y + (r->lines - 1) * LINE_H;
		} else if (r->kind == ROW_ARRIVE) {
			l->arrive_y[r->wire] = y;
			bottom[0] = dmax(bottom[0], y);
		} else {
			bottom[0] = dmax(bottom[0], y + (rep_bool(r->item, "delivered") ? 0 : 8));
		}
	}
	free(rc);
	l->height = dmax(y, lowest(bottom)) + 40;
}

/* ---- drawing ------------------------------------------------------------ */

static const char *kind_colour(const json_t *w)
{
	static const char *const colours[][2] = {
		{ "binding-request", "#1565c0" }, { "binding-success", "#2e7d32" },
		{ "binding-error", "#e65100" }, { "dtls-handshake", "#a67c00" },
		{ "dtls-ccs", "#a67c00" }, { "dtls-alert", "#c2185b" }, { "dtls-data", "#00838f" },
	};
	const char *k = rep_str(w, "kind");

	if (strcmp(k, "binding-request") == 0 && rep_bool(w, "use_candidate"))
		return "#8e24aa";
	for (size_t i = 0; i < sizeof(colours) / sizeof(colours[0]); i++) {
		if (strcmp(k, colours[i][0]) == 0)
			return colours[i][1];
	}
	return "#757575";
}

/* A CSS class token from a document value: [a-z0-9-] only. */
static void class_token(struct rep_out *o, const char *s, const char *dflt)
{
	if (s[0] == '\0')
		s = dflt;
	for (; *s; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		rep_write(o, (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? &c : "-", 1);
	}
}

static void text(struct rep_out *o, double x, double y, const char *anchor, const char *cls,
		 const char *fill, const char *s)
{
	rep_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\" fill=\"%s\">", x,
		   y, anchor, cls, fill);
	rep_esc_str(o, s, false);
	rep_puts(o, "</text>");
}

static void flow_title(struct rep_out *o, const json_t *w)
{
	rep_puts(o, "<title>");
	rep_esc_str(o, kind_label(w), false);
	rep_puts(o, " ");
	rep_esc_key(o, w, "src", false);
	rep_puts(o, " \xe2\x86\x92 ");
	rep_esc_key(o, w, "dst", false);
	rep_printf(o, " (%s), %s at %.3f ms", rep_str(w, "family"), rep_str(w, "from"),
		   rep_num(w, "t", 0));
	if (rep_bool(w, "delivered"))
		rep_printf(o, ", arrived at %.3f ms", rep_num(w, "t_arrive", 0));
	else
		rep_puts(o, ", never arrived");
	rep_puts(o, "; ");
	rep_esc_key(o, w, "link", false);
	rep_puts(o, " frame ");
	rep_esc_key(o, w, "frame", false);
	rep_puts(o, "</title>");
}

static void arrowhead(struct rep_out *o, double x1, double y1, double x2, double y2,
		      const char *colour)
{
	double dx = x2 - x1, dy = y2 - y1, len = droot(dx * dx + dy * dy);
	double ux = len > 0 ? dx / len : 1, uy = len > 0 ? dy / len : 0;
	double bx = x2 - 9 * ux, by = y2 - 9 * uy;

	rep_printf(o, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>", x2, y2,
		   bx - 3.5 * uy, by + 3.5 * ux, bx + 3.5 * uy, by - 3.5 * ux, colour);
}

/* Where a datagram's arrow goes: from its sender's lane at its send row
 * to its receiver's lane at its arrival row, or half-way if it never
 * arrived. */
struct arrow {
	double x1, y1, x2, y2;
	bool delivered;
};

static struct arrow arrow_of(const struct tl *l, const struct row *r)
{
	const json_t *w = r->item;
	int from = lane_of(l, rep_str(w, "from")), to;
	struct arrow a = { .y1 = r->y, .delivered = rep_bool(w, "delivered") };

	from = from < 0 ? 0 : from;
	to = dest_lane(l, w, from);
	a.x1 = l->n_lanes ? l->x[from] : LANE_L;
	a.x2 = to >= 0 ? l->x[to] : a.x1 + 120;
	if (a.delivered) {
		a.y2 = dmax(r->y, l->arrive_y[r->wire]);
	} else {
		a.x2 = (a.x1 + a.x2) / 2;
		a.y2 = r->y + 6;
	}
	return a;
}

static void flow(struct rep_out *o, const struct tl *l, const struct row *r)
{
	const json_t *w = r->item;
	struct arrow a = arrow_of(l, r);
	bool v6 = strcmp(rep_str(w, "family"), "ipv6") == 0;
	const char *colour = kind_colour(w);

	rep_puts(o, "<g class=\"flow ");
	class_token(o, rep_str(w, "kind"), "other");
	rep_puts(o, " ");
	class_token(o, rep_str(w, "family"), "unknown");
	rep_printf(o, "%s %s\" data-kind=\"", rep_bool(w, "use_candidate") ? " use-candidate" : "",
		   a.delivered ? "delivered" : "undelivered");
	rep_esc_key(o, w, "kind", true);
	rep_printf(o, "\" data-t=\"%.3f\" data-frame=\"", r->t);
	rep_esc_key(o, w, "frame", true);
	rep_puts(o, "\">");
	flow_title(o, w);
	rep_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
		      "stroke-width=\"1.6\"%s/>",
		   a.x1, a.y1, a.x2, a.y2, colour, v6 ? " stroke-dasharray=\"7 4\"" : "");
	if (a.delivered)
		arrowhead(o, a.x1, a.y1, a.x2, a.y2, colour);
	else
		rep_printf(o, "<path d=\"M%.1f %.1fl10 10m0 -10l-10 10\" stroke=\"#e00\" "
			      "stroke-width=\"2.6\" class=\"cross\"/>",
			   a.x2 - 5, a.y2 - 5);
	rep_puts(o, "</g>\n");
}

/* A datagram's label, above its arrow: centred, or next to the sender
 * when the arrow stops half-way.  Drawn after every arrow, on a backing
 * that hides the lines crossing it. */
static void flow_label(struct rep_out *o, const struct tl *l, const struct row *r)
{
	struct arrow a = arrow_of(l, r);
	char label[256];
	size_t cps = 0;
	double x, w;
	const char *anchor;

	wire_label(r->item, label, sizeof(label));
	for (const char *p = label; *p; p++)
		cps += ((unsigned char)*p & 0xc0) != 0x80;
	w = (double)cps * CHAR_W + 4;
	if (a.delivered) {
		x = (a.x1 + a.x2) / 2;
		anchor = "middle";
	} else {
		x = a.x1 < a.x2 ? a.x1 + 12 : a.x1 - 12;
		anchor = a.x1 < a.x2 ? "start" : "end";
	}
	rep_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"#fcfcfc\" "
		      "opacity=\"0.85\"/>",
		   anchor[0] == 'm' ? x - w / 2 : anchor[0] == 's' ? x - 2 : x - w + 2, r->y - 14, w);
	text(o, x, r->y - 4, anchor, "lbl", kind_colour(r->item), label);
	rep_puts(o, "\n");
}

static const char *event_colour(const json_t *ev)
{
	const char *name = rep_str(ev, "event"), *st = rep_str(ev, "state");

	if (strcmp(name, "error") == 0 || strcmp(st, "failed") == 0)
		return "#d50000";
	if (strcmp(name, "selected-pair") == 0)
		return "#6a1b9a";
	if (strcmp(name, "data-echoed") == 0 || strcmp(st, "connected") == 0 ||
	    strcmp(st, "completed") == 0)
		return "#1b5e20";
	return "#37474f";
}

static void event_mark(struct rep_out *o, const struct tl *l, const struct row *r)
{
	const json_t *ev = json_object_get(r->item, "event");
	int lane = lane_of(l, rep_str(r->item, "agent"));
	const char *colour = event_colour(ev);
	char l1[256], l2[256], full[600];
	double x, tx;
	bool left;

	lane = lane < 0 ? 0 : lane;
	x = l->x[lane];
	left = lane == 0 && l->n_lanes > 1;
	tx = left ? x - 12 : x + 12;
	event_label(ev, l1, l2, sizeof(l1), full, sizeof(full));
	rep_puts(o, "<g class=\"event ");
	class_token(o, rep_str(ev, "event"), "event");
	rep_puts(o, "\" data-agent=\"");
	rep_esc_key(o, r->item, "agent", true);
	rep_printf(o, "\" data-t=\"%.3f\"><title>", r->t);
	rep_esc_key(o, r->item, "agent", false);
	rep_printf(o, " at %.3f ms: ", r->t);
	rep_esc_str(o, full, false);
	rep_printf(o, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
		      "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"%s\" "
		      "transform=\"rotate(45 %.1f %.1f)\"/>",
		   x, r->y, left ? x - 9 : x + 9, r->y, colour, x - 4.5, r->y - 4.5, colour, x,
		   r->y);
	text(o, tx, r->y + 4, left ? "end" : "start", "ev", colour, l1);
	if (l2[0])
		text(o, tx, r->y + 4 + LINE_H, left ? "end" : "start", "ev sub", colour, l2);
	rep_puts(o, "</g>\n");
}

/* A dashed band across the picture, labelled left of the first lane
 * (where that lane's own events are labelled, so they do not overlap). */
static void action_mark(struct rep_out *o, const struct tl *l, const struct row *r)
{
	const json_t *ev = json_object_get(r->item, "event");
	char l1[256], l2[256], full[600];
	double tx = l->x[0] - 12;

	event_label(ev, l1, l2, sizeof(l1), full, sizeof(full));
	rep_printf(o, "<g class=\"action\" data-t=\"%.3f\"><title>harness at %.3f ms: ", r->t, r->t);
	rep_esc_str(o, full, false);
	rep_printf(o, "</title><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		      "stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>",
		   AXIS_X + 4, r->y, WIDTH - 4, r->y, ACTION_COLOUR);
	text(o, tx, r->y + 4, "end", "ev", ACTION_COLOUR, l1);
	if (l2[0])
		text(o, tx, r->y + 4 + LINE_H, "end", "ev sub", ACTION_COLOUR, l2);
	rep_puts(o, "</g>\n");
}

/* Time labels at the left, where they fit, with a faint line across. */
static void axis(struct rep_out *o, const struct tl *l)
{
	double last = -1e9;
	char buf[32];

	text(o, AXIS_X, TOP - 24, "end", "axis", "#555", "ms");
	for (size_t i = 0; i < l->n_rows; i++) {
		const struct row *r = &l->rows[i];

		if (r->y - last < 16)
			continue;
		last = r->y;
		snprintf(buf, sizeof(buf), "%.1f", r->t);
		rep_printf(o, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>",
			   AXIS_X + 4, r->y, WIDTH - 4, r->y);
		text(o, AXIS_X, r->y + 4, "end", "axis", "#555", buf);
	}
	rep_puts(o, "\n");
}

static void breaks(struct rep_out *o, const struct tl *l)
{
	char buf[64];

	for (size_t i = 0; i < l->n_brk; i++) {
		const struct brk *b = &l->brk[i];

		snprintf(buf, sizeof(buf), "\xe2\x8b\xaf %.0f ms idle \xe2\x8b\xaf", b->ms);
		rep_printf(o, "<g class=\"gap\"><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"14\" "
			      "fill=\"#eceff1\"/>",
			   AXIS_X + 4, b->y - 7, WIDTH - AXIS_X - 8);
		text(o, (LANE_L + LANE_R) / 2.0, b->y + 4, "middle", "gaplbl", "#607d8b", buf);
		rep_puts(o, "</g>\n");
	}
}

static void lane_header(struct rep_out *o, const struct tl *l, const json_t *c, size_t i)
{
	const json_t *a, *agent = NULL;
	char sub[300];
	size_t k;

	json_array_foreach(json_object_get(c, "agents"), k, a) {
		if (strcmp(rep_str(a, "name"), l->lane[i]) == 0)
			agent = a;
	}
	snprintf(sub, sizeof(sub), "%s%s%s", agent ? "node " : "", agent ? rep_str(agent, "node") : "",
		 agent && rep_str(agent, "impl")[0] ? " \xc2\xb7 " : "");
	if (agent != NULL)
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "%s", rep_str(agent, "impl"));
	clip(sub, 40);
	rep_puts(o, "<g class=\"lane\" data-agent=\"");
	rep_esc_str(o, l->lane[i], true);
	rep_printf(o, "\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#90a4ae\" "
		      "stroke-width=\"2\"/>",
		   l->x[i], TOP - 22, l->x[i], l->height - 8);
	text(o, l->x[i], 18, "middle", "lanename", "#263238", l->lane[i]);
	text(o, l->x[i], 34, "middle", "lanesub", "#546e7a", sub);
	rep_puts(o, "</g>\n");
}

static void draw(struct rep_out *o, const struct tl *l, const json_t *c)
{
	rep_printf(o, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		      "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\" aria-label=\"timeline of ",
		   WIDTH, l->height, WIDTH, l->height);
	rep_esc_key(o, c, "name", true);
	rep_printf(o, "\" data-lanes=\"%zu\" data-flows=\"%zu\">\n", l->n_lanes,
		   json_array_size(json_object_get(c, "wire")));
	axis(o, l);
	for (size_t i = 0; i < l->n_lanes; i++)
		lane_header(o, l, c, i);
	breaks(o, l);
	for (size_t i = 0; i < l->n_rows; i++) {
		if (l->rows[i].kind == ROW_SEND)
			flow(o, l, &l->rows[i]);
	}
	rep_puts(o, "<g class=\"labels\">\n");
	for (size_t i = 0; i < l->n_rows; i++) {
		if (l->rows[i].kind == ROW_SEND && l->rows[i].label)
			flow_label(o, l, &l->rows[i]);
	}
	rep_puts(o, "</g>\n");
	for (size_t i = 0; i < l->n_rows; i++) {
		if (l->rows[i].kind == ROW_EVENT && is_action(l->rows[i].item))
			action_mark(o, l, &l->rows[i]);
		else if (l->rows[i].kind == ROW_EVENT)
			event_mark(o, l, &l->rows[i]);
	}
	if (l->n_rows == 0)
		text(o, (LANE_L + LANE_R) / 2.0, TOP + 10, "middle", "lbl", "#555",
		     "no datagrams or events recorded");
	rep_puts(o, "</svg>\n");
}

void rep_svg_timeline(struct rep_out *o, const json_t *c)
{
	struct tl l = {0};

	lanes(&l, c);
	if (collect_rows(&l, c) < 0) {
		/* Out of memory: the report as a whole fails, naming its file. */
		if (o->errnum == 0)
			o->errnum = ENOMEM;
	} else {
		place_rows(&l);
		draw(o, &l, c);
	}
	free(l.rows);
	free(l.brk);
	free(l.arrive_y);
}

void rep_svg_legend(struct rep_out *o)
{
	static const struct {
		const char *name, *colour;
	} kinds[] = {
		{ "Binding request", "#1565c0" }, { "USE-CANDIDATE", "#8e24aa" },
		{ "Binding success", "#2e7d32" }, { "Binding error", "#e65100" },
		{ "DTLS handshake", "#a67c00" }, { "DTLS alert", "#c2185b" },
		{ "DTLS data", "#00838f" },       { "other", "#757575" },
	};
	double x = 4;

	rep_puts(o, "<svg class=\"legend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"1160\" "
		    "height=\"62\" viewBox=\"0 0 1160 62\">");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		rep_printf(o, "<line x1=\"%.0f\" y1=\"12\" x2=\"%.0f\" y2=\"12\" stroke=\"%s\" "
			      "stroke-width=\"3\"/>",
			   x, x + 22, kinds[i].colour);
		text(o, x + 27, 16, "start", "lbl", "#333", kinds[i].name);
		x += 36 + 7.2 * (double)strlen(kinds[i].name);
	}
	rep_puts(o, "<line x1=\"4\" y1=\"34\" x2=\"40\" y2=\"34\" stroke=\"#333\" stroke-width=\"1.6\"/>");
	text(o, 46, 38, "start", "lbl", "#333", "IPv4");
	rep_puts(o, "<line x1=\"100\" y1=\"34\" x2=\"136\" y2=\"34\" stroke=\"#333\" "
		    "stroke-width=\"1.6\" stroke-dasharray=\"7 4\"/>");
	text(o, 142, 38, "start", "lbl", "#333", "IPv6");
	rep_puts(o, "<path d=\"M200 29l10 10m0 -10l-10 10\" stroke=\"#e00\" stroke-width=\"2.6\"/>");
	text(o, 216, 38, "start", "lbl", "#333", "never arrived (ends half-way)");
	rep_puts(o, "<rect x=\"440\" y=\"29.5\" width=\"9\" height=\"9\" fill=\"#37474f\" "
		    "transform=\"rotate(45 444.5 34)\"/>");
	text(o, 456, 38, "start", "lbl", "#333",
	     "agent event (red: failure or error, green: connected, purple: selected pair)");
	rep_printf(o, "<line x1=\"4\" y1=\"52\" x2=\"40\" y2=\"52\" stroke=\"%s\" "
		      "stroke-width=\"1.5\" stroke-dasharray=\"3 3\"/>", ACTION_COLOUR);
	text(o, 46, 56, "start", "lbl", "#333",
	     "the scenario's action (a link cut or restored, an ICE restart), across every lane");
	rep_puts(o, "</svg>\n");
}
