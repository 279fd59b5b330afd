/* ts-report - the time-series report: reports/timeseries.html, one
 * self-contained file (inline SVG and CSS, no scripts, nothing fetched).
 *
 * Reads artifacts/timeseries/dataset.h5, optionally the metrics JSON of
 * ts-metrics or evaluate (forecasts and errors) and a train-log.jsonl
 * (learning curves, docs/artifacts.md).  Without metrics it shows the series
 * and the naive baselines only.  Separate from the review report (report.c)
 * on purpose.  It computes no forecast of its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "afile.h"
#include "error.h"
#include "opts.h"
#include "stage.h"
#include "ts_report.h"
#include "tsfile.h"

int main(int argc, char **argv)
{
	const char *dataset = "artifacts/timeseries/dataset.h5", *metrics = NULL, *log = NULL;
	const char *out = "reports/timeseries.html";
	long step = 1, season = -1;
	int quiet = 0;
	const struct opt opts[] = {
		{"dataset", OPT_STR, &dataset, "FILE", "the dataset written by ts-prepare", 0, 0},
		{"metrics", OPT_STR, &metrics, "FILE",
		 "metrics JSON with the model's forecasts (ts-metrics, evaluate); "
		 "none: baselines only", 0, 0},
		{"train-log", OPT_STR, &log, "FILE", "train-log.jsonl for the learning curves", 0, 0},
		{"step", OPT_INT, &step, "H", "which forecast step to plot (1 = next value)", 1, 10000},
		{"out", OPT_STR, &out, "FILE", "the HTML file to write", 0, 0},
		{"season", OPT_INT, &season, "S",
		 "without --metrics: season of the seasonal naive baseline, 0 = none, -1 = the "
		 "dataset's (with --metrics: the metrics' season)", -1, 1000000},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"ts-report", "[OPTIONS]",
		"Writes the time-series report: the series and its split, the test-period\n"
		"forecast over the truth, the error over time, errors against the naive\n"
		"baselines and the learning curves; one self-contained HTML file.",
		opts, 0, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);

	struct tsdata d;
	if (metrics && season >= 0)
		die(EXIT_USAGE, "--season goes without --metrics (the report shows the metrics' "
				"season: give --season to evaluate or ts-metrics)");
	if (tsdata_read(dataset, &d))
		exit(EXIT_FAIL);
	if (season >= 0)
		d.season = season;
	if (step > d.horizon)
		die(EXIT_USAGE, "--step %ld: the dataset's horizon is %lld", step,
		    (long long)d.horizon);
	char *page;
	size_t len;
	struct ts_report_summary sum;
	int rc = ts_report_render(&d, metrics, dataset, log, step, &page, &len, &sum);
	if (!rc)
		rc = afile_write_all(out, page, len);
	if (!rc)
		info("'%s': %zu values, %zu test forecasts%s%s", out, sum.values, sum.forecasts,
		     sum.have_model ? "" : " (baselines only)", sum.epochs ? ", learning curves" : "");
	free(page);
	tsdata_free(&d);
	return rc ? EXIT_FAIL : EXIT_OK;
}
