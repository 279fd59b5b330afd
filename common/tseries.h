/* tseries.h - univariate time series for the regression task: a seeded
 * synthetic generator, a CSV column reader, the split by time, the z-score
 * normalisation fitted on the past, and windowing into (last W values ->
 * next k values) examples.
 *
 * Everything here works on one series held in memory (doubles, in time
 * order).  It does not write files (tsfile.h) or score forecasts
 * (ts_metrics.h).  docs/timeseries.md describes the rules in words.
 */
#ifndef RNNPIPE_TSERIES_H
#define RNNPIPE_TSERIES_H

#include <stddef.h>
#include <stdint.h>

/* One series.  times is NULL when the source has no time column. */
struct tseries {
	double *values;      /* (n) in time order, finite */
	char **times;        /* (n) time labels as read ("1949-01"), or NULL */
	size_t n;
	char *source;        /* "synthetic" or the CSV path as given */
	char *column;        /* CSV value column name, or "value" (synthetic) */
	char *time_column;   /* CSV time column name, or NULL */
	char *params;        /* synthetic: the canonical parameter line; else NULL */
	uint64_t source_hash; /* CSV: hash64 of the file's bytes; synthetic: of params */
	size_t blank_lines;     /* CSV: blank lines skipped between two values */
	long first_blank_line;  /* CSV: the first of them (0: none) */
};

void tseries_free(struct tseries *s);

/* ---- values ----
 *
 * One value of a series as text, the rule of every reader (CSV, predict's
 * arguments and lines): a decimal number, spaces around it allowed.
 * Returns TS_VALUE_OK with *out set, or why not (nothing printed, so each
 * caller names its own place: "file:line", "argument N"). */
enum { TS_VALUE_OK = 0, TS_VALUE_EMPTY, TS_VALUE_NOT_NUMBER, TS_VALUE_NOT_FINITE };
int ts_parse_value(const char *s, double *out);

/* Writes the shortest "%.Ng" (N 15..17) that reads back as exactly x (0.1,
 * not 0.10000000000000001) into buf; returns snprintf's count. */
int ts_format_double(char *buf, size_t size, double x);

/* ---- synthetic series ----
 *
 * y[t] = level + trend * t + sum_j amp[j] * sin(2 pi t / period[j] + phase[j])
 *        + noise * e[t],   t = 0 .. n-1
 * with phase[j] uniform in [0, 2 pi) and e[t] standard normal, both drawn
 * from rng.h seeded with seed (phases first, then e[0..n)), so a seed gives
 * the same series on every machine. */
#define TS_SYNTH_MAX_WAVES 8
struct ts_synth {
	size_t n;              /* length >= 1 */
	int waves;             /* 0 .. TS_SYNTH_MAX_WAVES */
	double period[TS_SYNTH_MAX_WAVES]; /* in steps, > 0 */
	double amp[TS_SYNTH_MAX_WAVES];
	double level, trend, noise; /* noise: standard deviation, >= 0 */
	uint64_t seed;
};

/* Generates the series described by p into *out (source "synthetic", no
 * times).  Returns 0, or -1 after error() (bad parameters, out of memory). */
int tseries_synthetic(const struct ts_synth *p, struct tseries *out);

/* Parses "24,7.5" into up to max doubles; returns the count or -1 after
 * error() naming what (e.g. "--periods"). */
int ts_parse_doubles(const char *s, const char *what, double *out, int max);

/* ---- CSV ----
 *
 * Reads a CSV (or TSV / semicolon-separated: the delimiter is the first of
 * ',' '\t' ';' found in the header line) with a header row.  column names
 * the value column; NULL picks the only column of a one-column file (no
 * time column then) or the second column of a two-column file.
 * time_column names the time column; NULL picks the first column when it is
 * not the value column, "" (or "none") means no time column.  Values are
 * decimal numbers (surrounding spaces allowed); an empty, non-numeric or
 * non-finite value, a row with a different number of fields than the
 * header, broken quoting, an empty file or one with no values is reported
 * as "file:line: reason" through bad_input().  When every time label has
 * the same length and only digits, '-', ':', '.', 'T', 'Z' and spaces (ISO
 * dates and times), labels must increase strictly: a repeated or earlier
 * time is an error (a shuffled file would break the split by time).
 * Blank lines (only spaces, or tabs when the delimiter is not a tab) are
 * skipped, as pandas.read_csv does by default (skip_blank_lines=True);
 * the ones between two values are counted in out->blank_lines (the first
 * in out->first_blank_line) and a warning names the file, their number
 * and the first line: the values around them are taken as consecutive.
 * Returns 0, or -1. */
int tseries_read_csv(const char *path, const char *column, const char *time_column,
		     struct tseries *out);

/* ---- split by time ----
 *
 * bound = {0, train_end, validation_end, n}: the train part is values
 * [0, train_end), validation [train_end, validation_end), test
 * [validation_end, n); train_end = round(n * train_frac), validation_end =
 * round(n * (train_frac + val_frac)).  An example belongs to the part that
 * holds all its targets; its inputs may reach back into earlier parts (they
 * are observed by then), never forward.  */
enum { TS_TRAIN = 0, TS_VALIDATION = 1, TS_TEST = 2, TS_NSPLITS = 3 };
extern const char *const ts_split_names[TS_NSPLITS]; /* "train" "validation" "test" */
/* Index of a split name, or -1. */
int ts_split_parse(const char *name);

struct ts_bounds {
	size_t bound[4];
};

/* Computes the bounds and checks that every part gets at least one
 * example: train_end >= window + horizon, each later part >= horizon values,
 * and season <= validation_end (so a seasonal naive forecast exists for
 * every test target; season 0 = none).  Fractions are in (0, 1) with
 * train_frac + val_frac < 1.  Returns 0, or -1 after error() saying what
 * to change. */
int ts_split_bounds(size_t n, double train_frac, double val_frac, size_t window,
		    size_t horizon, size_t season, struct ts_bounds *out);

/* Mean and population standard deviation (divide by n) of v[0..n); the
 * caller passes only the train part.  Values near DBL_MAX (whose sum or
 * squares overflow) are handled with scaled sums.  A constant part
 * (std == 0, or n == 0) is an error().  Returns 0 or -1. */
int ts_zscore_fit(const double *v, size_t n, double *mean, double *std);

/* ---- windows ----
 *
 * The example with first target at position i has inputs values[i-W .. i)
 * and targets values[i .. i+k).  The examples of the part [lo, hi) are all
 * i with i >= W, i >= lo and i + k <= hi, in increasing order. */

/* Number of examples of the part [lo, hi). */
size_t ts_window_count(size_t lo, size_t hi, size_t window, size_t horizon);

/* Fills the examples of [lo, hi), normalised as (v - mean) / std:
 * inputs (N, W) row-major, targets (N, k), index (N) = i.  Any output may
 * be NULL.  Returns N. */
size_t ts_window_fill(const double *values, size_t lo, size_t hi, size_t window,
		      size_t horizon, double mean, double std, float *inputs,
		      float *targets, int64_t *index);

#endif
