/* report_svg.h - the report's plots, drawn as SVG text by our own code.
 *
 * No maintained C plotting library fits (the candidates are unmaintained,
 * GUI-bound, or shell out to gnuplot), and the report must be one offline
 * file, so the few chart kinds it needs are written here: line charts (with
 * optional category x labels and vertical markers), histograms and a
 * confusion-matrix heat map.  Output is an <svg> element without an xmlns
 * attribute, ready to inline into HTML5; svg_standalone() makes a file of it.
 * All data text (titles, labels, legends) is escaped here.
 */
#ifndef RNNPIPE_REPORT_SVG_H
#define RNNPIPE_REPORT_SVG_H

#include "report_buf.h"

struct svg_series {
	const char *name;     /* legend text; NULL: no legend entry */
	const double *x, *y;  /* (n) points; a non-finite y breaks the line */
	int n;
	const char *color;    /* CSS colour, "#0072b2" */
	int dashed;           /* dashed line */
	int markers;          /* a dot on each point, with a tooltip */
	int no_line;          /* only rings around the points (no line, no dots) */
};

struct svg_vline {            /* a vertical marker across the plot area */
	double x;
	const char *label;    /* written next to the top of the line */
	const char *color;
};

struct svg_chart {
	const char *title;
	const char *xlabel, *ylabel;  /* axis titles, units included */
	int width, height;            /* pixels; 0 = 600 x 340 */
	double xmin, xmax, ymin, ymax; /* NAN: from the data, widened to ticks */
	int x_whole;                  /* x ticks only at whole numbers */
	const char *const *xcats;     /* (ncats) tick labels at x = 1..ncats */
	int ncats;
	int y_percent;                /* y tick labels as percent (0.87: 87%) */
	const struct svg_series *series;
	int nseries;
	const struct svg_vline *vlines;
	int nvlines;
};

/* Appends a line chart of c's series. */
void svg_line_chart(struct sbuf *b, const struct svg_chart *c);

/* Appends a histogram: bar i spans [edges[i], edges[i+1]) with height
 * counts[i] (edges: (nbins+1), counts: (nbins)).  c's series are ignored,
 * its vlines drawn.  bar_name names the bars in the legend; with
 * tail_name != NULL the last bar is drawn in a second shade and so named
 * (an open-ended "everything above" bin). */
void svg_histogram(struct sbuf *b, const struct svg_chart *c, const double *edges,
		   const double *counts, int nbins, const char *bar_name,
		   const char *tail_name);

/* Appends a heat map of an (n, n) count matrix, rows = true class, columns
 * = predicted class (row-major).  Each cell is shaded by its share of the
 * row (the recall for the diagonal) and shows the count and that share
 * ("n/a" in a row with no reviews: a class absent from the split). */
void svg_heatmap(struct sbuf *b, const char *title, const char *const *labels, int n,
		 const double *counts);

/* Copies an inline <svg> element into out as a standalone SVG file (adds
 * the XML declaration and the SVG namespace). */
void svg_standalone(struct sbuf *out, const char *svg);

/* Nice axis ticks covering [lo, hi]: *first, *step and the tick count
 * (at most about max_ticks + 1); x_whole forces whole-number steps. */
int svg_ticks(double lo, double hi, int max_ticks, int x_whole, double *first,
	      double *step);

/* Decimals needed to print multiples of step exactly (0..6). */
int svg_step_decimals(double step);

#endif
