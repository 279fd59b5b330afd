/* tsfile.h - the layout of artifacts/timeseries/dataset.h5, the windowed
 * series for the regression task (docs/timeseries.md): what ts-prepare
 * writes and what train/evaluate (--task regress), ts-metrics and ts-report
 * read.
 *
 * One group per split ("train", "validation", "test") holding inputs
 * (N, W, 1) and targets (N, k) z-scored with the train part's mean and std,
 * lengths (N) = W and index (N), the position of the first target in the
 * series; the raw series under "series/"; root attributes say everything a
 * reader needs to undo the normalisation and rebuild the windows.  Parallel
 * to the review dataset (dsfile.h): same split names, format/version and
 * provenance attributes, chunked and checksummed datasets.
 */
#ifndef RNNPIPE_TSFILE_H
#define RNNPIPE_TSFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tseries.h"

#define TSFILE_FORMAT "rnnpipe-timeseries"
#define TSFILE_VERSION 1

/* Dataset names inside each split group. */
#define TS_DS_INPUTS "inputs"   /* (N, W, 1) float32, normalised */
#define TS_DS_TARGETS "targets" /* (N, k) float32, normalised */
#define TS_DS_LENGTHS "lengths" /* (N,) int32, all W */
#define TS_DS_INDEX "index"     /* (N,) int64, position of targets[:, 0] */
/* The raw series. */
#define TS_DS_VALUES "series/values" /* (n,) float64, original units */
#define TS_DS_TIME "series/time"     /* (n,) UTF-8 strings; only with a time column */

/* Everything in the file but the windows themselves.  Filled by the caller
 * before tsfile_write(), by tsdata_read() when reading. */
struct tsdata {
	struct tseries series;   /* values, times, source, column, params, hash */
	int64_t window;          /* W >= 1 */
	int64_t horizon;         /* k >= 1 */
	int64_t season;          /* S for the seasonal naive forecast; 0 = none */
	double mean, std;        /* z-score of the train part: x' = (x - mean) / std */
	struct ts_bounds bounds; /* {0, train_end, validation_end, n} */
	double train_frac, val_frac;
	/* Per split: example count and the index dataset (read back by
	 * tsdata_read; computed by tsfile_write). */
	size_t count[TS_NSPLITS];
	int64_t *index[TS_NSPLITS]; /* (count) malloc'd, or NULL */
	char *producer;          /* "ts-prepare 0.1.0" */
};

/* Frees what tsdata_read() allocated (and the series). */
void tsdata_free(struct tsdata *d);

/* Sets d's window, horizon, season and fractions, computes the split by
 * time (ts_split_bounds) and fits the z-score on the train part of
 * d->series alone (ts_zscore_fit over values [0, train_end)): the one place
 * where the no-leak rule is applied, for ts-prepare and the tests.
 * Returns 0, or -1 after error(). */
int tsdata_prepare(struct tsdata *d, size_t window, size_t horizon, size_t season,
		   double train_frac, double val_frac);

struct tsfile_opts {
	unsigned chunk_rows; /* rows per chunk of the split datasets */
	int deflate;         /* zlib level 0-9 */
	int fletcher32;      /* per-chunk checksums */
};
#define TSFILE_OPTS_DEFAULT {256, 4, 1}

/* Windows d->series by d->window/horizon over d->bounds, normalised with
 * d->mean/std, and writes the whole file atomically (afile.h) to path.
 * Fills d->count (d->index is left alone).  Returns 0, or -1 after error()
 * (the temporary file is removed). */
int tsfile_write(const char *path, struct tsdata *d, const struct tsfile_opts *o);

/* Reads the root attributes, the series and every split's index, and checks
 * them: format name and version, attributes present, bounds consistent with
 * the series length, each index exactly the windows the bounds give.  A
 * message names path and says how to rebuild it.  Returns 0 (free with
 * tsdata_free) or -1. */
int tsdata_read(const char *path, struct tsdata *d);

/* Reads one split's inputs (N, W) and targets (N, k) (either may be NULL)
 * into malloc'd arrays; *n receives N.  Shapes are checked against the
 * attributes.  For train/evaluate --task regress.  Returns 0 or -1. */
int tsfile_read_split(const char *path, const struct tsdata *d, int split,
		      float **inputs, float **targets, size_t *n);

/* Original units of a normalised value: x * std + mean. */
static inline double tsdata_denorm(const struct tsdata *d, double x)
{
	return x * d->std + d->mean;
}

#endif
