/* ts_metrics.h - forecast errors for the regression task, in original units:
 * RMSE, MAE and MAPE of the model's forecasts next to the naive forecasts
 * ("next = last observed value", and "next = the value one season earlier"
 * when the dataset has a season), and the metrics JSON
 * (artifacts/timeseries/metrics.json, docs/timeseries.md).
 *
 * Reads predictions (arrays or a text file); it does not run a model and
 * does not draw (ts_plot.h).
 */
#ifndef RNNPIPE_TS_METRICS_H
#define RNNPIPE_TS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tsfile.h"

/* Error summary of n forecasts.  mape is in percent over the targets that
 * are not zero (n_mape of them; n - n_mape were skipped); NAN when every
 * target is zero or n == 0 (rmse and mae are NAN too when n == 0). */
struct ts_err {
	double rmse, mae, mape;
	size_t n, n_mape;
};

/* Errors of pred against truth, elements [0, n) taken every stride
 * (stride 1: all; stride k from offset h: step h of (rows, k) arrays). */
void ts_err_compute(const double *truth, const double *pred, size_t n, size_t stride,
		    struct ts_err *e);

/* The truth of each example: out (rows, k) = values[index[r] + h]. */
void ts_truth(const double *values, const int64_t *index, size_t rows, size_t k,
	      double *out);

/* Naive forecast "next = last": every step h of example r is the last
 * input value, values[index[r] - 1].  index[r] >= 1.  out (rows, k). */
void ts_naive(const double *values, const int64_t *index, size_t rows, size_t k,
	      double *out);

/* Seasonal naive forecast: step h (0-based) of example r, target position
 * t = index[r] + h, is values[t - S * (h / S + 1)], the latest value of the
 * same phase of the season observed before the forecast origin index[r].
 * Returns 0, or -1 after error() when some position is before the series
 * (ts-prepare's bounds rule that out for the test split only; for the
 * others, ts_metrics_build leaves the seasonal figures out). */
int ts_seasonal_naive(const double *values, const int64_t *index, size_t rows, size_t k,
		      size_t season, double *out);

enum ts_units { TS_UNITS_NORMALISED = 0, TS_UNITS_ORIGINAL = 1 };

/* Builds the metrics object for one split of d: pred (rows, k) are the
 * model's forecasts for the split's examples in file order, in the given
 * units (normalised ones are mapped back with the file's mean and std);
 * pred == NULL gives the baselines only (the model's keys are null and the
 * "forecast" array is absent).  rows must equal the split's count.  With
 * a season (d->season > 0) whose forecast reaches before the series for
 * some example of the split, the seasonal keys are null, "seasonal" is
 * absent from "predictions" and "seasonal_note" says why.
 * Returns a new object (json_decref) or NULL after error(). */
json_t *ts_metrics_build(const struct tsdata *d, int split, const double *pred, size_t rows,
			 enum ts_units units);

/* The number m holds under key for a message: "%.6g", or "null" when the
 * JSON says null (a metric that overflowed, or one without forecasts) or
 * has no such key.  Written into buf (32 bytes suffice); returns buf. */
const char *ts_metrics_str(const json_t *m, const char *key, char *buf, size_t size);

/* Writes m to path atomically, indented, with a final newline; 0 or -1. */
int ts_metrics_write(const char *path, const json_t *m);

/* One call for evaluate --task regress: reads dataset_path, scores the test
 * split's normalised forecasts pred (rows, k) as the model produced them,
 * mapped back to original units with the model's z-score (pred * std +
 * mean: the model's norm_mean/norm_std, which are the dataset's own when
 * the model was trained on it), adds "dataset": dataset_path and, when
 * loss is finite, "loss" (the model's mean squared error in normalised
 * units as the trainer computes it), and writes out_path.  season is the
 * seasonal naive baseline's (0 = none; < 0: the dataset's season
 * attribute); one that reaches before the series leaves the seasonal
 * figures null (ts_metrics_build) with a warning.  Returns 0 or -1. */
int ts_metrics_write_test(const char *out_path, const char *dataset_path, const float *pred,
			  size_t rows, double mean, double std, double loss, long season);

/* Reads a predictions file: one line per example, k numbers on each,
 * separated by spaces, tabs or commas; blank lines and lines starting with
 * '#' are skipped.  Exactly rows examples are expected.  A malformed line,
 * a wrong count of numbers or lines is reported as "file:line: reason".
 * *out (rows, k) is malloc'd.  Returns 0 or -1. */
int ts_predictions_read(const char *path, size_t rows, size_t k, double **out);

#endif
