/* evaluate.h - what the evaluate stage does, for a main that only parses.
 *
 * A classifier is scored on one split of artifacts/dataset.h5, or on a raw
 * review dump tokenized and relabelled on the fly with the model's
 * vocabulary, max_len, truncation and labels; a regression model on the
 * test split of its time-series dataset, against the naive baselines
 * (docs/timeseries.md).  Files are written atomically (afile.h).
 */
#ifndef RNNPIPE_EVALUATE_H
#define RNNPIPE_EVALUATE_H

#include "devmodel.h"

struct evaluate_opts {
	const char *model;       /* model.h5 */
	const char *data;        /* dataset.h5 */
	const char *split;       /* "test", "validation" or "train" */
	const char *dump;        /* a raw dump instead of data, or NULL */
	const char *vocab;       /* --dump: vocab.txt instead of the model's, or NULL */
	const char *labels;      /* --dump: label map (labelmap.h) */
	const char *metrics_out; /* metrics JSON (docs/artifacts.md) */
	const char *pred_out;    /* predictions.tsv; NULL or "": none */
	int batch;               /* reviews per forward pass */
	int threads;             /* --dump: encoding threads */
	int logits;              /* add logit_<label> columns to the predictions */
	int quiet;               /* no progress display */
	enum device_kind dev;
};

/* Scores the classifier o->model; writes o->metrics_out (accuracy,
 * per-class P/R/F1, macro F1, confusion matrix, ROC AUC, loss, n) and the
 * per-review predictions.  Returns 0, or -1 after error(). */
int evaluate_classifier(const struct evaluate_opts *o);

/* Scores the regression model on the time-series dataset's test split and
 * writes the metrics JSON out (ts_metrics_write_test).  batch applies on
 * CUDA; the CPU runs one window at a time, so each forecast is the one
 * predict (ts_forecaster_next) gives for the same values, bit for bit.
 * season: the seasonal naive baseline's (0 = none, < 0 = the dataset's).
 * Returns 0 or -1. */
int evaluate_series(const char *model, const char *data, const char *out, int batch,
		    enum device_kind device, long season);

#endif
