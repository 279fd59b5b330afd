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

int tsplot_svg(FILE *out, const struct tsplot_chart *c)
{
	int W = c->width ? c->width : 860, H = c->height ? c->height : 320;
	const double ml = 64, mr = 16, mt = c->title ? 44 : 24, mb = c->xlabel ? 52 : 36;
	double pw = W - ml - mr, ph = H - mt - mb;
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	for (int l = 0; l < c->nlines; l++)
		for (size_t i = 0; i < c->lines[l].n; i++) {
			double x = c->lines[l].x[i], y = c->lines[l].y[i];
			if (!isfinite(x) || !isfinite(y))
				continue;
			x0 = fmin(x0, x);
			x1 = fmax(x1, x);
			y0 = fmin(y0, y);
			y1 = fmax(y1, y);
		}
	fprintf(out, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H, W, H);
	if (c->title) {
		fputs("<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
		tsplot_html(out, c->title);
		fputs("</text>\n", out);
	}
	if (!isfinite(x0)) {
		fprintf(out, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
			"stroke=\"#bbb\"/><text x=\"%g\" y=\"%g\" text-anchor=\"middle\" "
			"fill=\"#666\">no data</text>\n</svg>\n",
			ml, mt, pw, ph, ml + pw / 2, mt + ph / 2);
		return ferror(out) ? -1 : 0;
	}
	for (int b = 0; b < c->nbands; b++) {
		x0 = fmin(x0, c->bands[b].x0);
		x1 = fmax(x1, c->bands[b].x1);
	}
	if (x1 == x0) {
		x0 -= 1;
		x1 += 1;
	}
	double pad = (y1 - y0) * 0.05;
	if (pad == 0)
		pad = fabs(y0) > 0 ? fabs(y0) * 0.1 : 1;
	y0 -= pad;
	y1 += pad;
	double yf, ys, xf, xs;
	int nyt = tsplot_ticks(y0, y1, 6, 0, &yf, &ys);
	int nxt = tsplot_ticks(x0, x1, 8, c->x_whole || c->xlabels, &xf, &xs);
#define PX(x) (ml + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (mt + ph - ((y) - y0) / (y1 - y0) * ph)

	/* bands, frame, grid */
	for (int b = 0; b < c->nbands; b++) {
		const struct tsplot_band *bd = &c->bands[b];
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			PX(bd->x0), mt, PX(bd->x1) - PX(bd->x0), ph, bd->fill ? bd->fill : "#eee");
		if (bd->label) {
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#555\" font-size=\"11\">",
				PX(bd->x0) + 4, mt + 13);
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
			ml, ml + pw, PY(y), PY(y), ml - 5, PY(y) + 4, yd, y);
	}
	for (int i = 0; i < nxt; i++) {
		double x = xf + i * xs;
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" stroke=\"#999\"/>",
			PX(x), PX(x), mt + ph, mt + ph + 4);
		fprintf(out, "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\" fill=\"#333\">",
			PX(x), mt + ph + 17);
		long xi = lround(x);
		if (c->xlabels && xi >= 0 && (size_t)xi < c->nxlabels)
			tsplot_html(out, c->xlabels[xi]);
		else if (!c->xlabels)
			fprintf(out, "%.*f", xd, x);
		fputs("</text>\n", out);
	}
	if (c->zero_line && y0 < 0 && y1 > 0)
		fprintf(out, "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#666\"/>\n",
			ml, ml + pw, PY(0.0), PY(0.0));
	if (c->xlabel) {
		fprintf(out, "<text x=\"%g\" y=\"%d\" text-anchor=\"middle\" fill=\"#333\">",
			ml + pw / 2, H - 10);
		tsplot_html(out, c->xlabel);
		fputs("</text>\n", out);
	}
	if (c->ylabel) {
		fprintf(out, "<text transform=\"translate(14 %g) rotate(-90)\" "
			"text-anchor=\"middle\" fill=\"#333\">", mt + ph / 2);
		tsplot_html(out, c->ylabel);
		fputs("</text>\n", out);
	}

	/* lines, each broken at non-finite values */
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
			fprintf(out, "%s%.1f,%.1f", open ? " " : "<polyline points=\"", PX(x), PY(y));
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
						PX(ln->x[i]), PY(ln->y[i]));
			fputs("</g>\n", out);
		}
	}

	/* legend: one row above the plot, entries left to right */
	double lx = ml + 4;
	for (int l = 0; l < c->nlines; l++) {
		const struct tsplot_line *ln = &c->lines[l];
		if (!ln->name)
			continue;
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" stroke=\"%s\" "
			"stroke-width=\"2.5\"%s/><text x=\"%.1f\" y=\"%g\" fill=\"#333\">",
			lx, lx + 22, mt - 8, mt - 8, ln->color ? ln->color : "#000",
			dash_attr(ln->dash), lx + 27, mt - 4);
		tsplot_html(out, ln->name);
		fputs("</text>\n", out);
		lx += 27 + 7.0 * (double)strlen(ln->name) + 18;
	}
	fputs("</svg>\n", out);
#undef PX
#undef PY
	return ferror(out) ? -1 : 0;
}
