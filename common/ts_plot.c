/* ts_plot.c - SVG line charts for the time-series report (see ts_plot.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ts_plot.h"

void tsplot_html(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

int tsplot_ticks(double lo, double hi, int max_ticks, int whole, double *first, double *step)
{
	if (!(hi > lo)) {
		*first = lo;
		*step = 1;
		return 1;
	}
	if (max_ticks < 1)
		max_ticks = 1;
	double raw = (hi - lo) / max_ticks;
	double p = pow(10, floor(log10(raw)));
	double s = raw / p <= 1 ? p : raw / p <= 2 ? 2 * p : raw / p <= 5 ? 5 * p : 10 * p;
	if (whole && s < 1)
		s = 1;
	double f = ceil(lo / s - 1e-9) * s;
	*first = f;
	*step = s;
	return (int)floor((hi - f) / s + 1e-9) + 1;
}

/* Decimals needed to print multiples of step (0..6). */
static int decimals(double step)
{
	int d = 0;
	while (d < 6 && fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-6 * pow(10, d))
		d++;
	return d;
}

static const char *dash_attr(enum tsplot_dash d)
{
	return d == TSPLOT_DASHED ? " stroke-dasharray=\"6 4\"" :
	       d == TSPLOT_DOTTED ? " stroke-dasharray=\"2 3\"" : "";
}

/* The plot area in pixels and the data range it shows. */
struct frame {
	int W, H;
	double ml, mt, pw, ph;  /* left and top margins, plot width and height */
	double x0, x1, y0, y1;
};

static double px(const struct frame *f, double x)
{
	return f->ml + (x - f->x0) / (f->x1 - f->x0) * f->pw;
}

static double py(const struct frame *f, double y)
{
	return f->mt + f->ph - (y - f->y0) / (f->y1 - f->y0) * f->ph;
}

/* Bands, frame, grid with tick labels, the zero line and the axis labels. */
static void draw_axes(FILE *out, const struct tsplot_chart *c, const struct frame *f)
{
	const double ml = f->ml, mt = f->mt, pw = f->pw, ph = f->ph;
	double yf, ys, xf, xs;
	int nyt = tsplot_ticks(f->y0, f->y1, 6, 0, &yf, &ys);
	int nxt = tsplot_ticks(f->x0, f->x1, 8, c->x_whole || c->xlabels, &xf, &xs);
	for (int b = 0; b < c->nbands; b++) {
		const struct tsplot_band *bd = &c->bands[b];
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			px(f, bd->x0), mt, px(f, bd->x1) - px(f, bd->x0), ph,
			bd->fill ? bd->fill : "#eee");
		if (bd->label) {
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" font-size=\"11\">",
				px(f, bd->x0) + 4, mt + 13);
			tsplot_html(out, bd->label);
			fputs("</text>\n", out);
		}
	}
	fprintf(out, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
		"stroke=\"#999\"/>\n", ml, mt, pw, ph);
	int yd = decimals(ys), xd = decimals(xs);
	for (int i = 0; i < nyt; i++) {
		double y = yf + i * ys;
		if (fabs(y) < ys * 1e-9)
			y = 0;
		fprintf(out, "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>"
			"<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333\">%.*f</text>\n",
			ml, ml + pw, py(f, y), py(f, y), ml - 5, py(f, y) + 4, yd, y);
	}
	for (int i = 0; i < nxt; i++) {
		double x = xf + i * xs;
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" stroke=\"#999\"/>",
			px(f, x), px(f, x), mt + ph, mt + ph + 4);
		fprintf(out, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\" fill=\"#333\">",
			px(f, x), mt + ph + 17);
		long xi = lround(x);
		if (c->xlabels && xi >= 0 && (size_t)xi < c->nxlabels)
			tsplot_html(out, c->xlabels[xi]);
		else if (!c->xlabels)
			fprintf(out, "%.*f", xd, x);
		fputs("</text>\n", out);
	}
	if (c->zero_line && f->y0 < 0 && f->y1 > 0)
		fprintf(out, "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#666\"/>\n",
			ml, ml + pw, py(f, 0.0), py(f, 0.0));
	if (c->xlabel) {
		fprintf(out, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">",
			ml + pw / 2, f->H - 10);
		tsplot_html(out, c->xlabel);
		fputs("</text>\n", out);
	}
	if (c->ylabel) {
		fprintf(out, "<text transform=\"translate(14 %g) rotate(-90)\" "
			"text-anchor=\"middle\" fill=\"#333\">", mt + ph / 2);
		tsplot_html(out, c->ylabel);
		fputs("</text>\n", out);
	}
}

/* The lines, each broken at non-finite values, with markers if asked. */
static void draw_lines(FILE *out, const struct tsplot_chart *c, const struct frame *f)
{
	for (int l = 0; l < c->nlines; l++) {
		const struct tsplot_line *ln = &c->lines[l];
		const char *col = ln->color ? ln->color : "#000";
		fprintf(out, "<g fill=\"none\" stroke=\"%s\" stroke-width=\"%g\"%s>", col,
			ln->width > 0 ? ln->width : 1.5, dash_attr(ln->dash));
		if (ln->name) {
			fputs("<title>", out);
			tsplot_html(out, ln->name);
			fputs("</title>", out);
		}
		int open = 0;
		for (size_t i = 0; i < ln->n; i++) {
			double x = ln->x[i], y = ln->y[i];
			if (!isfinite(x) || !isfinite(y)) {
				if (open)
					fputs("\"/>", out);
				open = 0;
				continue;
			}
			fprintf(out, "%s%.1f,%.1f", open ? " " : "<polyline points=\"", px(f, x),
				py(f, y));
			open = 1;
		}
		if (open)
			fputs("\"/>", out);
		fputs("</g>\n", out);
		if (ln->markers) {
			fprintf(out, "<g fill=\"%s\">", col);
			for (size_t i = 0; i < ln->n; i++)
				if (isfinite(ln->x[i]) && isfinite(ln->y[i]))
					fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>",
						px(f, ln->x[i]), py(f, ln->y[i]));
			fputs("</g>\n", out);
		}
	}
}

/* The legend: one row above the plot, entries left to right. */
static void draw_legend(FILE *out, const struct tsplot_chart *c, const struct frame *f)
{
	double lx = f->ml + 4;
	for (int l = 0; l < c->nlines; l++) {
		const struct tsplot_line *ln = &c->lines[l];
		if (!ln->name)
			continue;
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" stroke=\"%s\" "
			"stroke-width=\"2.5\"%s/><text x=\"%.1f\" y=\"%g\" fill=\"#333\">",
			lx, lx + 22, f->mt - 8, f->mt - 8, ln->color ? ln->color : "#000",
			dash_attr(ln->dash), lx + 27, f->mt - 4);
		tsplot_html(out, ln->name);
		fputs("</text>\n", out);
		lx += 27 + 7.0 * (double)strlen(ln->name) + 18;
	}
}

int tsplot_svg(FILE *out, const struct tsplot_chart *c)
{
	struct frame f = {.W = c->width ? c->width : 860, .H = c->height ? c->height : 320,
			  .ml = 64, .mt = c->title ? 44 : 24,
			  .x0 = INFINITY, .x1 = -INFINITY, .y0 = INFINITY, .y1 = -INFINITY};
	const double mr = 16, mb = c->xlabel ? 52 : 36;
	f.pw = f.W - f.ml - mr;
	f.ph = f.H - f.mt - mb;
	for (int l = 0; l < c->nlines; l++)
		for (size_t i = 0; i < c->lines[l].n; i++) {
			double x = c->lines[l].x[i], y = c->lines[l].y[i];
			if (!isfinite(x) || !isfinite(y))
				continue;
			f.x0 = fmin(f.x0, x);
			f.x1 = fmax(f.x1, x);
			f.y0 = fmin(f.y0, y);
			f.y1 = fmax(f.y1, y);
		}
	fprintf(out, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n", f.W, f.H, f.W, f.H);
	if (c->title) {
		fputs("<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
		tsplot_html(out, c->title);
		fputs("</text>\n", out);
	}
	if (!isfinite(f.x0)) {
		fprintf(out, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
			"stroke=\"#bbb\"/><text x=\"%g\" y=\"%g\" text-anchor=\"middle\" "
			"fill=\"#666\">no data</text>\n</svg>\n",
			f.ml, f.mt, f.pw, f.ph, f.ml + f.pw / 2, f.mt + f.ph / 2);
		return ferror(out) ? -1 : 0;
	}
	for (int b = 0; b < c->nbands; b++) {
		f.x0 = fmin(f.x0, c->bands[b].x0);
		f.x1 = fmax(f.x1, c->bands[b].x1);
	}
	if (f.x1 == f.x0) {
		f.x0 -= 1;
		f.x1 += 1;
	}
	double pad = (f.y1 - f.y0) * 0.05;
	if (pad == 0)
		pad = fabs(f.y0) > 0 ? fabs(f.y0) * 0.1 : 1;
	f.y0 -= pad;
	f.y1 += pad;
	draw_axes(out, c, &f);
	draw_lines(out, c, &f);
	draw_legend(out, c, &f);
	fputs("</svg>\n", out);
	return ferror(out) ? -1 : 0;
}
