/* ts_plot.h - line charts as inline SVG for the time-series report
 * (reports/timeseries.html), drawn by our own code: the report must be one
 * offline file and no maintained C plotting library fits.
 *
 * Writes an <svg> element (no xmlns: for inlining in HTML5) to a stdio
 * stream.  Knows nothing of the dataset or metrics files (ts-report does).
 * Kept apart from the review report's SVG code (branch report) on purpose:
 * names are tsplot_*; merging the two is for later.
 */
#ifndef RNNPIPE_TS_PLOT_H
#define RNNPIPE_TS_PLOT_H

#include <stddef.h>
#include <stdio.h>

enum tsplot_dash { TSPLOT_SOLID = 0, TSPLOT_DASHED = 1, TSPLOT_DOTTED = 2 };

struct tsplot_line {
	const char *name;      /* legend text (escaped here); NULL: no legend entry */
	const double *x, *y;   /* (n) points, x increasing; a non-finite y breaks the line */
	size_t n;
	const char *color;     /* CSS colour, e.g. "#0072b2" */
	enum tsplot_dash dash;
	double width;          /* stroke width in pixels; 0 = 1.5 */
	int markers;           /* a dot on each point (for short series) */
};

struct tsplot_band {           /* a shaded x range with a label at its top */
	double x0, x1;
	const char *label;
	const char *fill;      /* CSS colour */
};

struct tsplot_chart {
	const char *title;
	const char *xlabel, *ylabel;
	int width, height;     /* pixels; 0 = 860 x 320 */
	const struct tsplot_line *lines;
	int nlines;
	const struct tsplot_band *bands;
	int nbands;
	/* Tick labels for whole x values: xlabels[i] is written at x = i
	 * (0 <= i < nxlabels), e.g. the series' time labels.  NULL: numbers. */
	char *const *xlabels;
	size_t nxlabels;
	int x_whole;           /* x ticks only at whole numbers */
	int zero_line;         /* a horizontal rule at y = 0 when in range */
};

/* Writes the chart.  With no finite point at all it writes a small box
 * saying "no data".  Returns 0, or -1 when out writes fail (no message). */
int tsplot_svg(FILE *out, const struct tsplot_chart *c);

/* Writes s escaped for HTML text and attribute values (& < > " ').
 * s == NULL writes nothing. */
void tsplot_html(FILE *out, const char *s);

/* Nice tick spacing covering [lo, hi] with about max_ticks ticks: sets
 * *first (the first multiple of *step >= lo) and *step (1, 2 or 5 times a
 * power of ten; whole numbers >= 1 when whole).  Returns the tick count. */
int tsplot_ticks(double lo, double hi, int max_ticks, int whole, double *first,
		 double *step);

#endif
