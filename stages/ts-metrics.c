/* ts-metrics - scores forecasts for the time-series dataset: RMSE, MAE and
 * MAPE in original units next to the naive and seasonal naive forecasts.
 *
 * Reads artifacts/timeseries/dataset.h5 and a predictions file (one line
 * per example of the split, K numbers each, normalised units by default)
 * and writes artifacts/timeseries/metrics.json atomically.  --baselines
 * prints the naive baselines alone to stdout and writes nothing.  It does
 * not run a model: train/evaluate --task regress produce the forecasts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "opts.h"
#include "stage.h"
#include "ts_metrics.h"
#include "tsfile.h"

int main(int argc, char **argv)
{
	const char *dataset = "artifacts/timeseries/dataset.h5";
	const char *out = "artifacts/timeseries/metrics.json", *preds = NULL;
	const char *units = "normalised", *split = "test";
	long season = -1;
	int baselines = 0, quiet = 0;
	const struct opt opts[] = {
		{"dataset", OPT_STR, &dataset, "FILE", "the dataset written by ts-prepare", 0, 0},
		{"predictions", OPT_STR, &preds, "FILE",
		 "forecasts: one line per example of the split, K numbers each", 0, 0},
		{"units", OPT_CHOICE, &units, "normalised|original",
		 "units of the forecasts (normalised: as the model outputs them)", 0, 0},
		{"split", OPT_CHOICE, &split, "test|validation|train", "the split scored", 0, 0},
		{"out", OPT_STR, &out, "FILE", "the metrics JSON to write", 0, 0},
		{"baselines", OPT_FLAG, &baselines, NULL,
		 "print the naive baselines of the split as JSON to stdout (no forecasts)", 0, 0},
		{"season", OPT_INT, &season, "S",
		 "season of the seasonal naive baseline, 0 = none, -1 = the dataset's "
		 "(its 'season' attribute)", -1, 1000000},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"ts-metrics", "--predictions FILE [OPTIONS] | --baselines [OPTIONS]",
		"Scores time-series forecasts in original units (RMSE, MAE, MAPE) against the\n"
		"naive forecasts 'next = last value' and, with a season, 'next = one season\n"
		"ago'; writes the metrics JSON (docs/timeseries.md).",
		opts, 0, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	if (!preds == !baselines)
		die(EXIT_USAGE, "give --predictions FILE or --baselines (see --help)");

	struct tsdata d;
	if (tsdata_read(dataset, &d))
		exit(EXIT_FAIL);
	if (season >= 0)
		d.season = season;
	int s = ts_split_parse(split);
	size_t rows = d.count[s];
	double *p = NULL;
	if (preds && ts_predictions_read(preds, rows, (size_t)d.horizon, &p)) {
		tsdata_free(&d);
		exit(EXIT_FAIL);
	}
	enum ts_units u = strcmp(units, "original") ? TS_UNITS_NORMALISED : TS_UNITS_ORIGINAL;
	json_t *m = ts_metrics_build(&d, s, p, rows, u);
	free(p);
	if (!m) {
		tsdata_free(&d);
		exit(EXIT_FAIL);
	}
	const char *note = json_string_value(json_object_get(m, "seasonal_note"));
	if (note)
		info("note: %s", note);
	int rc = 0, oom = json_object_set_new(m, "dataset", json_string(dataset));
	if (oom) {
		rc = error("out of memory");
	} else if (baselines) {
		json_object_del(m, "predictions");
		rc = json_dumpf(m, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(8) |
						   JSON_PRESERVE_ORDER) ||
		     fputc('\n', stdout) == EOF || fflush(stdout);
		if (rc)
			error("cannot write to stdout");
	} else {
		oom |= json_object_set_new(m, "predictions_file", json_string(preds));
		oom |= json_object_set_new(m, "predictions_units", json_string(units));
		rc = oom ? error("out of memory") : ts_metrics_write(out, m);
		/* as the JSON says: null (overflowed) is not 0 */
		char b[4][32];
		if (!rc)
			info("'%s': %s n=%zu rmse %s mae %s (naive rmse %s mae %s)", out, split, rows,
			     ts_metrics_str(m, "rmse", b[0], 32), ts_metrics_str(m, "mae", b[1], 32),
			     ts_metrics_str(m, "naive_rmse", b[2], 32),
			     ts_metrics_str(m, "naive_mae", b[3], 32));
	}
	json_decref(m);
	tsdata_free(&d);
	return rc ? EXIT_FAIL : EXIT_OK;
}
