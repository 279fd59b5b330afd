/* tsforecast.h - the next values of a series from its recent values with a
 * trained regression model (train --task regress): what predict does with a
 * time-series model.  The last W values (W: the model's window) are
 * z-scored with the normalisation stored in the model, run through the
 * same forward pass as evaluate --task regress, and the K outputs (K: the
 * horizon) mapped back to original units; beyond K steps the forecasts are
 * fed back as inputs (recursive forecasting).
 *
 * Reads model.h5 only; runs on the CPU; writes nothing.  Shapes: W window,
 * K horizon, S steps asked for.
 */
#ifndef RNNPIPE_TSFORECAST_H
#define RNNPIPE_TSFORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "modelfile.h"
#include "rnn_model.h"

struct ts_forecaster {
	struct model_meta meta;
	struct rnn_model *m;  /* inference only, batch 1 x W */
	int window, horizon;  /* W, K */
	double mean, std;     /* inputs and outputs: x' = (x - mean) / std */
	float *x;             /* (W) the normalised window of the last run */
};

/* Loads the regression model at path.  Refused, with a message naming
 * path: a model of another task (a review classifier), one whose inputs
 * are not the raw value alone (input_size != 1, or more than one
 * normalisation pair), a normalisation other than "zscore", a window or
 * horizon out of range or disagreeing with the "window"/"horizon"
 * attributes.  A model without norm_mean/norm_std reads values as they
 * are (mean 0, std 1).  NULL after error(). */
struct ts_forecaster *ts_forecaster_open(const char *path);
/* The checks ts_forecaster_open makes of a loaded model's metadata mm
 * (path: its file, for messages), for evaluate --task regress too; on 0
 * the window W, horizon K and normalisation (mean 0, std 1 without one).
 * 0, or -1 after error(). */
int ts_model_check(const struct model_meta *mm, const char *path, int *window, int *horizon,
		   double *mean, double *std);
void ts_forecaster_close(struct ts_forecaster *f); /* NULL is fine */

/* The K values that follow recent[0..W) (original units, time order):
 * out (K) in original units, each (double)y * std + mean of the model's
 * float output y, exactly what evaluate --task regress scores.  0, or -1
 * after error(). */
int ts_forecaster_next(struct ts_forecaster *f, const double *recent, double *out);

/* A forecast step for ts_forecast_recursive: the K values that follow
 * window (W values); 0 or -1 after error(). */
typedef int (*ts_next_fn)(void *ctx, const double *window, double *out);

/* Recursive forecasting: out[0..steps) = the steps values that follow
 * recent[0..W).  Each round asks next() for K values after the current
 * window, appends them to out, and shifts them into the window (its W
 * latest values: the oldest drop out; with K >= W only forecasts remain),
 * until steps values are out (the last round's extra values are dropped).
 * So out[0..K) is the direct forecast, and out[K..) are forecasts made
 * from forecasts: their errors compound.  steps >= 1.  0, or -1 after
 * error() (out of memory, or next() failed). */
int ts_forecast_recursive(ts_next_fn next, void *ctx, const double *recent, size_t window,
			  size_t horizon, size_t steps, double *out);

/* The steps values that follow values[0..n) with f's model: its last W
 * values feed ts_forecast_recursive.  n < W is an error saying how many
 * values the model needs.  0, or -1 after error(). */
int ts_forecaster_forecast(struct ts_forecaster *f, const double *values, size_t n,
			   size_t steps, double *out);

#endif
