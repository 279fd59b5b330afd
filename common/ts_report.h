/* ts_report.h - the time-series report: one self-contained HTML page
 * (inline SVG and CSS, no scripts, nothing fetched) with the series and its
 * split, the test-period forecast over the truth, the error over time,
 * errors against the naive baselines and the learning curves.  It computes
 * no forecast of its own: the forecasts come from a metrics JSON
 * (ts-metrics, evaluate), or only the baselines are shown.
 */
#ifndef RNNPIPE_TS_REPORT_H
#define RNNPIPE_TS_REPORT_H

#include <stddef.h>

#include "tsfile.h"

/* What a rendered page shows, for the stage's closing message. */
struct ts_report_summary {
	size_t values;    /* of the series */
	size_t forecasts; /* test-period forecast rows */
	int have_model;   /* 0: baselines only */
	int epochs;       /* learning-curve points; 0: none */
};

/* Renders the page for dataset d (read from source, named in messages)
 * into a malloc'd *page of *len bytes.  metrics: the metrics JSON of the
 * test split, or NULL for the baselines only; train_log: a train-log.jsonl
 * (docs/artifacts.md) or NULL; step: the forecast step to plot, 1 to
 * d->horizon.  Returns 0, or -1 after error() naming the bad input
 * (*page NULL). */
int ts_report_render(const struct tsdata *d, const char *metrics, const char *source,
		     const char *train_log, long step, char **page, size_t *len,
		     struct ts_report_summary *sum);

#endif
