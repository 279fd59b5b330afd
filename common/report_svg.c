/* report_svg.c - line charts, histograms and a heat map as SVG text (see
 * report_svg.h).  Coordinates are pixels in the SVG's own viewBox; the
 * element scales with its container (CSS max-width: 100%).  Fonts are the
 * reader's sans-serif: nothing is embedded or fetched. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_svg.h"

#define FONT "font-family=\"'DejaVu Sans', 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\""
#define C_AXIS "#444"
#define C_GRID "#e3e3e3"
#define C_TEXT "#222"

/* ---- ticks ---- */

static double nice_num(double x, int round_it)
{
	double e = floor(log10(x)), f = x / pow(10, e), nf;
	if (round_it)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

int svg_ticks(double lo, double hi, int max_ticks, int x_whole, double *first,
	      double *step)
{
	if (!(hi > lo))
		hi = lo + 1;
	if (max_ticks < 2)
		max_ticks = 2;
	double st = nice_num(nice_num(hi - lo, 0) / max_ticks, 1);
	if (x_whole)
		st = st < 1 ? 1 : round(st);
	double f = floor(lo / st + 1e-9) * st, l = ceil(hi / st - 1e-9) * st;
	*first = f;
	*step = st;
	return (int)llround((l - f) / st) + 1;
}

int svg_step_decimals(double step)
{
	for (int d = 0; d < 6; d++) {
		double v = step * pow(10, d);
		if (fabs(v - round(v)) < 1e-6 * fmax(1, fabs(v)))
			return d;
	}
	return 6;
}

static void tick_label(char *out, size_t n, double v, double step, int percent)
{
	int d = svg_step_decimals(step);
	if (fabs(v) < step * 1e-6)
		v = 0; /* no "-0" */
	if (percent)
		snprintf(out, n, "%.*f%%", d > 2 ? d - 2 : 0, v * 100);
	else
		snprintf(out, n, "%.*f", d, v);
}

/* ---- frame shared by line charts and histograms ---- */

struct frame {
	double w, h;                  /* whole SVG */
	double left, right, top, bottom; /* plot area */
	double xmin, xmax, ymin, ymax;
};

static double px(const struct frame *f, double x)
{
	return f->left + (x - f->xmin) / (f->xmax - f->xmin) * (f->right - f->left);
}

static double py(const struct frame *f, double y)
{
	return f->bottom - (y - f->ymin) / (f->ymax - f->ymin) * (f->bottom - f->top);
}

/* Rough text width in pixels of a string at font size sz (UTF-8 aware). */
static double text_w(const char *s, double sz)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n * sz * 0.58;
}

struct legend_item {
	const char *name, *color;
	int dashed, box; /* box: 1 a filled square (bars), 2 a dot, 0 a line */
};

/* Lays legend items out in rows under the title; returns the rows used
 * (0 when no item has a name); draws only when draw is set. */
static int legend(struct sbuf *b, const struct legend_item *it, int n, double x0,
		  double xmax, double y0, int draw)
{
	double x = x0;
	int rows = 0;
	for (int i = 0; i < n; i++) {
		if (!it[i].name)
			continue;
		double w = 30 + text_w(it[i].name, 12) + 18;
		if (!rows || x + w > xmax) {
			rows++;
			x = x0;
		}
		double y = y0 + (rows - 1) * 18;
		if (draw) {
			if (it[i].box == 2)
				sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" "
					    "stroke=\"%s\" stroke-width=\"2\"/>", x + 11, y - 4, it[i].color);
			else if (it[i].box)
				sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"10\" "
					    "fill=\"%s\"/>", x, y - 9, it[i].color);
			else
				sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
					    "stroke=\"%s\" stroke-width=\"2.5\"%s/>", x, y - 4, x + 22,
					    y - 4, it[i].color,
					    it[i].dashed ? " stroke-dasharray=\"6 4\"" : "");
			sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" fill=\"" C_TEXT
				    "\">", x + 28, y);
			sbuf_html(b, it[i].name, (size_t)-1);
			sbuf_add(b, "</text>");
		}
		x += w;
	}
	return rows;
}

static void open_svg(struct sbuf *b, double w, double h, const char *title)
{
	sbuf_printf(b, "<svg class=\"plot\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		    "role=\"img\" " FONT ">\n<title>", w, h, w, h);
	sbuf_html(b, title ? title : "plot", (size_t)-1);
	sbuf_printf(b, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", w, h);
	if (title) {
		sbuf_printf(b, "<text x=\"%.1f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" "
			    "font-weight=\"bold\" fill=\"" C_TEXT "\">", w / 2);
		sbuf_html(b, title, (size_t)-1);
		sbuf_add(b, "</text>\n");
	}
}

/* An axis's ticks: n of them, first, first + step, ... */
struct ticks {
	double first, step;
	int n;
};

/* The x range of the frame (c's, else the data's, widened to whole ticks)
 * and its ticks (one per category when c has categories). */
static void frame_x(struct frame *f, const struct svg_chart *c, double dxmin, double dxmax,
		    struct ticks *t)
{
	if (c->xcats) {
		f->xmin = 0.5;
		f->xmax = c->ncats + 0.5;
		t->first = 1;
		t->step = 1;
		t->n = c->ncats;
		return;
	}
	double lo = isfinite(c->xmin) ? c->xmin : dxmin;
	double hi = isfinite(c->xmax) ? c->xmax : dxmax;
	if (!isfinite(lo) || !isfinite(hi))
		lo = 0, hi = 1;
	if (hi <= lo) {
		lo -= c->x_whole ? 1 : 0.5;
		hi += c->x_whole ? 1 : 0.5;
	}
	int maxt = (int)((f->right - f->left) / 60);
	t->n = svg_ticks(lo, hi, maxt, c->x_whole, &t->first, &t->step);
	if (!isfinite(c->xmin))
		lo = t->first;
	if (!isfinite(c->xmax))
		hi = t->first + (t->n - 1) * t->step;
	f->xmin = lo;
	f->xmax = hi;
}

/* The y range of the frame (c's, else the data's, widened to whole ticks)
 * and its ticks. */
static void frame_y(struct frame *f, const struct svg_chart *c, double dymin, double dymax,
		    struct ticks *t)
{
	double lo = isfinite(c->ymin) ? c->ymin : dymin;
	double hi = isfinite(c->ymax) ? c->ymax : dymax;
	if (!isfinite(lo) || !isfinite(hi))
		lo = 0, hi = 1;
	if (hi <= lo) {
		double d = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
		lo -= d;
		hi += d;
	}
	t->n = svg_ticks(lo, hi, (int)((f->bottom - f->top) / 40), 0, &t->first, &t->step);
	if (!isfinite(c->ymin))
		lo = t->first;
	if (!isfinite(c->ymax))
		hi = t->first + (t->n - 1) * t->step;
	f->ymin = lo;
	f->ymax = hi;
}

/* The grid with the y tick labels, the x ticks with their labels, the axes
 * and the axis titles. */
static void draw_grid_axes(struct sbuf *b, const struct frame *f, const struct svg_chart *c,
			   const struct ticks *xt, const struct ticks *yt)
{
	const double xfirst = xt->first, xstep = xt->step, yfirst = yt->first, ystep = yt->step;
	/* grid and y ticks */
	char lab[64];
	for (int i = 0; i < yt->n; i++) {
		double v = yfirst + i * ystep;
		if (v < f->ymin - 1e-9 * ystep || v > f->ymax + 1e-9 * ystep)
			continue;
		double y = py(f, v);
		sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_GRID
			    "\"/>", f->left, y, f->right, y);
		tick_label(lab, sizeof(lab), v, ystep, c->y_percent);
		sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
			    "fill=\"" C_TEXT "\">%s</text>\n", f->left - 7, y + 4, lab);
	}
	/* x ticks */
	for (int i = 0; i < xt->n; i++) {
		double v = xfirst + i * xstep;
		if (v < f->xmin - 1e-9 * xstep || v > f->xmax + 1e-9 * xstep)
			continue;
		double x = px(f, v);
		sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" C_AXIS
			    "\"/>", x, f->bottom, x, f->bottom + 5);
		if (c->xcats) {
			sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" "
				    "fill=\"" C_TEXT "\" transform=\"rotate(-35 %.1f %.1f)\">", x + 4,
				    f->bottom + 18, x + 4, f->bottom + 18);
			sbuf_html(b, c->xcats[i], (size_t)-1);
			sbuf_add(b, "</text>\n");
		} else {
			tick_label(lab, sizeof(lab), v, xstep, 0);
			sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
				    "font-size=\"12\" fill=\"" C_TEXT "\">%s</text>\n", x,
				    f->bottom + 19, lab);
		}
	}
	/* axes */
	sbuf_printf(b, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"" C_AXIS "\"/>\n",
		    f->left, f->top, f->bottom, f->right);
	if (c->xlabel) {
		sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
			    "fill=\"" C_TEXT "\">", (f->left + f->right) / 2, f->h - 10);
		sbuf_html(b, c->xlabel, (size_t)-1);
		sbuf_add(b, "</text>\n");
	}
	if (c->ylabel) {
		double yc = (f->top + f->bottom) / 2;
		sbuf_printf(b, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
			    "fill=\"" C_TEXT "\" transform=\"rotate(-90 18 %.1f)\">", yc, yc);
		sbuf_html(b, c->ylabel, (size_t)-1);
		sbuf_add(b, "</text>\n");
	}
}

/* Sets up the frame (ranges, margins), draws title, legend, grid, ticks and
 * axis titles.  Data ranges come from the caller (already from the data). */
static void draw_frame(struct sbuf *b, struct frame *f, const struct svg_chart *c,
		       double dxmin, double dxmax, double dymin, double dymax,
		       const struct legend_item *leg, int nleg)
{
	f->w = c->width > 0 ? c->width : 600;
	f->h = c->height > 0 ? c->height : 340;
	f->left = 72;
	f->right = f->w - 22;
	int rows = legend(b, leg, nleg, f->left, f->right, 0, 0);
	f->top = 36 + rows * 18 + (rows ? 8 : 0);
	f->bottom = f->h - (c->xcats ? 84 : 52);
	struct ticks xt, yt;
	frame_x(f, c, dxmin, dxmax, &xt);
	frame_y(f, c, dymin, dymax, &yt);

	open_svg(b, f->w, f->h, c->title);
	legend(b, leg, nleg, f->left, f->right, 44, 1);
	sbuf_add(b, "\n");
	draw_grid_axes(b, f, c, &xt, &yt);
}

static void draw_vlines(struct sbuf *b, const struct frame *f, const struct svg_chart *c)
{
	for (int i = 0; i < c->nvlines; i++) {
		const struct svg_vline *v = &c->vlines[i];
		if (!isfinite(v->x) || v->x < f->xmin || v->x > f->xmax)
			continue;
		double x = px(f, v->x);
		const char *col = v->color ? v->color : "#c00";
		sbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			    "stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>", x, f->top, x,
			    f->bottom, col);
		if (v->label) {
			/* label to the right of the line, or to its left near the edge */
			int left_side = x + 8 + text_w(v->label, 12) > f->right;
			sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"12\" "
				    "fill=\"%s\">", left_side ? x - 5 : x + 5, f->top + 13,
				    left_side ? "end" : "start", col);
			sbuf_html(b, v->label, (size_t)-1);
			sbuf_add(b, "</text>");
		}
		sbuf_add(b, "\n");
	}
}

void svg_line_chart(struct sbuf *b, const struct svg_chart *c)
{
	double xmn = INFINITY, xmx = -INFINITY, ymn = INFINITY, ymx = -INFINITY;
	struct legend_item leg[16];
	int nleg = 0;
	for (int s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];
		for (int i = 0; i < se->n; i++) {
			if (!isfinite(se->x[i]) || !isfinite(se->y[i]))
				continue;
			xmn = fmin(xmn, se->x[i]);
			xmx = fmax(xmx, se->x[i]);
			ymn = fmin(ymn, se->y[i]);
			ymx = fmax(ymx, se->y[i]);
		}
		if (nleg < 16)
			leg[nleg++] = (struct legend_item){se->name, se->color, se->dashed,
							   se->no_line ? 2 : 0};
	}
	for (int i = 0; i < c->nvlines; i++)
		if (isfinite(c->vlines[i].x)) {
			xmn = fmin(xmn, c->vlines[i].x);
			xmx = fmax(xmx, c->vlines[i].x);
		}
	struct frame f;
	draw_frame(b, &f, c, xmn, xmx, ymn, ymx, leg, nleg);
	draw_vlines(b, &f, c);
	for (int s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];
		int open = 0;
		for (int i = 0; i < se->n && !se->no_line; i++) {
			int ok = isfinite(se->x[i]) && isfinite(se->y[i]);
			if (!ok) {
				if (open)
					sbuf_add(b, "\"/>\n");
				open = 0;
				continue;
			}
			if (!open)
				sbuf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
					    "stroke-linejoin=\"round\"%s points=\"", se->color,
					    se->dashed ? " stroke-dasharray=\"7 4\"" : "");
			sbuf_printf(b, "%s%.1f,%.1f", open ? " " : "", px(&f, se->x[i]),
				    py(&f, se->y[i]));
			open = 1;
		}
		if (open)
			sbuf_add(b, "\"/>\n");
		if (!se->markers)
			continue;
		for (int i = 0; i < se->n; i++) {
			if (!isfinite(se->x[i]) || !isfinite(se->y[i]))
				continue;
			if (se->no_line) /* a ring around a point of another series */
				sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"none\" "
					    "stroke=\"%s\" stroke-width=\"2\"><title>", px(&f, se->x[i]),
					    py(&f, se->y[i]), se->color);
			else
				sbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\">"
					    "<title>", px(&f, se->x[i]), py(&f, se->y[i]), se->color);
			sbuf_html(b, se->name ? se->name : "", (size_t)-1);
			if (c->xcats && se->x[i] >= 1 && se->x[i] <= c->ncats &&
			    se->x[i] == floor(se->x[i])) {
				sbuf_add(b, " (");
				sbuf_html(b, c->xcats[(int)se->x[i] - 1], (size_t)-1);
				sbuf_printf(b, "): %.4g", se->y[i]);
			} else {
				sbuf_printf(b, " at %g: %.4g", se->x[i], se->y[i]);
			}
			sbuf_add(b, "</title></circle>\n");
		}
	}
	sbuf_add(b, "</svg>\n");
}

void svg_histogram(struct sbuf *b, const struct svg_chart *c, const double *edges,
		   const double *counts, int nbins, const char *bar_name,
		   const char *tail_name)
{
	const char *col = "#4c8fc7", *tail = "#9dbfdc";
	double ymx = 0;
	for (int i = 0; i < nbins; i++)
		ymx = fmax(ymx, counts[i]);
	struct legend_item leg[2] = {{bar_name, col, 0, 1}, {tail_name, tail, 0, 1}};
	struct svg_chart cc = *c;
	if (!isfinite(cc.ymin))
		cc.ymin = 0;
	struct frame f;
	double xmn = nbins > 0 ? edges[0] : 0, xmx = nbins > 0 ? edges[nbins] : 1;
	draw_frame(b, &f, &cc, xmn, xmx, 0, ymx > 0 ? ymx : 1, leg, tail_name ? 2 : 1);
	for (int i = 0; i < nbins; i++) {
		double x0 = px(&f, edges[i]), x1 = px(&f, edges[i + 1]);
		double y = py(&f, counts[i]);
		int is_tail = tail_name && i == nbins - 1;
		sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			    "stroke=\"#fff\" stroke-width=\"0.5\"><title>", x0, y,
			    fmax(x1 - x0, 0.5), f.bottom - y, is_tail ? tail : col);
		if (is_tail)
			sbuf_printf(b, "%g and more: %.0f", edges[i], counts[i]);
		else
			sbuf_printf(b, "%g to %g: %.0f", edges[i], edges[i + 1], counts[i]);
		sbuf_add(b, "</title></rect>\n");
	}
	draw_vlines(b, &f, c);
	sbuf_add(b, "</svg>\n");
}

/* Blue scale from near white (share 0) to dark blue (share 1). */
static void shade(double s, char out[8])
{
	static const double lo[3] = {247, 251, 255}, hi[3] = {8, 48, 107};
	if (!(s >= 0))
		s = 0;
	if (s > 1)
		s = 1;
	int v[3];
	for (int k = 0; k < 3; k++)
		v[k] = (int)lround(lo[k] + (hi[k] - lo[k]) * s);
	snprintf(out, 8, "#%02x%02x%02x", v[0], v[1], v[2]);
}

void svg_heatmap(struct sbuf *b, const char *title, const char *const *labels, int n,
		 const double *counts)
{
	double cell = n <= 2 ? 120 : n <= 4 ? 90 : fmax(36, 420.0 / n);
	double left = 150, top = 84, side = cell * n;
	double w = left + side + 120, h = top + side + 40;
	open_svg(b, w, h, title);
	sbuf_printf(b, "<text x=\"%.1f\" y=\"46\" text-anchor=\"middle\" font-size=\"13\" "
		    "fill=\"" C_TEXT "\">predicted class</text>\n", left + side / 2);
	sbuf_printf(b, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
		    "fill=\"" C_TEXT "\" transform=\"rotate(-90 18 %.1f)\">true class</text>\n",
		    top + side / 2, top + side / 2);
	for (int j = 0; j < n; j++) {
		sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
			    "fill=\"" C_TEXT "\">", left + (j + 0.5) * cell, top - 10);
		sbuf_html(b, labels[j], utf8_prefix(labels[j], strlen(labels[j]), 14));
		sbuf_add(b, "</text>\n");
	}
	for (int i = 0; i < n; i++) {
		double row = 0;
		for (int j = 0; j < n; j++)
			row += counts[i * n + j];
		sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
			    "fill=\"" C_TEXT "\">", left - 8, top + (i + 0.5) * cell + 4);
		sbuf_html(b, labels[i], utf8_prefix(labels[i], strlen(labels[i]), 14));
		sbuf_add(b, "</text>\n");
		for (int j = 0; j < n; j++) {
			double v = counts[i * n + j], s = row > 0 ? v / row : 0;
			char col[8];
			shade(s, col);
			double x = left + j * cell, y = top + i * cell;
			const char *tc = s > 0.5 ? "#fff" : C_TEXT;
			sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"2\"><title>",
				    x, y, cell, cell, col);
			sbuf_add(b, "true ");
			sbuf_html(b, labels[i], (size_t)-1);
			sbuf_add(b, ", predicted ");
			sbuf_html(b, labels[j], (size_t)-1);
			/* a class absent from the split has no share: n/a, as in the
			 * Markdown table, not a recall of 0.0% */
			char pct[32];
			if (row > 0)
				snprintf(pct, sizeof(pct), "%.1f%%", 100 * s);
			else
				snprintf(pct, sizeof(pct), "n/a");
			sbuf_printf(b, ": %.0f (%s%s)</title></rect>\n", v, pct,
				    row > 0 ? " of the row" : ": no reviews of this class");
			if (cell >= 50) {
				sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					    "font-size=\"%d\" font-weight=\"bold\" fill=\"%s\">%.0f</text>",
					    x + cell / 2, y + cell / 2, cell >= 90 ? 17 : 13, tc, v);
				sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					    "font-size=\"12\" fill=\"%s\">%s</text>\n",
					    x + cell / 2, y + cell / 2 + 18, tc, pct);
			} else {
				sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
					    "font-size=\"10\" fill=\"%s\">%.0f</text>\n", x + cell / 2,
					    y + cell / 2 + 4, tc, v);
			}
		}
	}
	/* colour key: share of the row */
	double kx = left + side + 30, ky = top, kh = fmin(side, 160);
	sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"" C_TEXT "\">"
		    "share of row</text>\n", kx - 6, ky - 10);
	for (int k = 0; k <= 4; k++) {
		char col[8];
		shade(1 - k / 4.0, col);
		double y = ky + k * kh / 5;
		sbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"%.1f\" fill=\"%s\" "
			    "stroke=\"#bbb\" stroke-width=\"0.5\"/>"
			    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"" C_TEXT "\">%d%%</text>\n",
			    kx, y, kh / 5, col, kx + 24, y + kh / 10 + 4, 100 - 25 * k);
	}
	sbuf_add(b, "</svg>\n");
}

void svg_standalone(struct sbuf *out, const char *svg)
{
	sbuf_add(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (!strncmp(svg, "<svg", 4)) {
		sbuf_add(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
		sbuf_add(out, svg + 4);
	} else {
		sbuf_add(out, svg);
	}
}
