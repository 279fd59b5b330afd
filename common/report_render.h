/* report_render.h - turns loaded report data into HTML and Markdown text.
 *
 * The HTML is one self-contained page: inline CSS, inline SVG plots (see
 * report_svg.h), no scripts, no external fonts, images or links.  The
 * Markdown carries the same sections with the plots as tables; on request
 * the plots also become small SVG files next to it, linked from it.  Both
 * are built in memory; writing them to disk is the caller's job.
 */
#ifndef RNNPIPE_REPORT_RENDER_H
#define RNNPIPE_REPORT_RENDER_H

#include "report_buf.h"
#include "report_data.h"

#define REPORT_MAX_SVG 16

struct report_svg_file {
	char name[64];                 /* "report-loss.svg", relative to the .md */
	struct sbuf svg;               /* standalone SVG text */
};

struct report_output {
	struct sbuf html, md;
	struct report_svg_file files[REPORT_MAX_SVG];
	int n_files;
};

struct report_options {
	const char *title;             /* page title */
	const char *md_svg_prefix;     /* non-NULL: write plots as <prefix>-<name>.svg
					  files and link them from the Markdown */
	long long generated;           /* Unix time printed as "generated at" */
};

/* Renders both documents (and the SVG files when asked).  Returns 0, or -1
 * after error() (only for lack of memory).  Free out with
 * report_output_free even on failure. */
int report_render(const struct report_data *d, const struct report_inputs *in,
		  const struct report_options *opt, struct report_output *out);
void report_output_free(struct report_output *out);

#endif
