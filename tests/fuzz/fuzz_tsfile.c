/* fuzz_tsfile.c - libFuzzer target: the time-series dataset reader
 * (common/tsfile.c tsdata_read and tsfile_read_split of every split, as
 * train, evaluate, predict --dataset, ts-metrics and ts-report read
 * artifacts/timeseries/dataset.h5) on hostile files.  The first byte picks
 * the mode, as in fuzz_model.c:
 *   ctl & 3 == 0: the file as it is (the seal refuses mutations);
 *   ctl & 3 == 1: the file sealed again first (HDF5's checks, then ours);
 *   ctl & 3 >= 2: a recipe (fuzz_h5edit.h) applied to a small valid file
 *                 made here (ctl >> 2 picks: with or without time labels,
 *                 a season, window and horizon), then sealed.
 * A dataset that reads must keep tsdata_read's promises (tsfile.h): bounds
 * that fit the series, finite values, each index the windows the bounds
 * give; each split then reads with the counts and shapes it says. */
#include <math.h>

#include "fuzz_h5edit.h"
#include "error.h"
#include "tsfile.h"

static volatile float sink;

static void check(const char *path, const struct tsdata *d)
{
	const struct tseries *s = &d->series;
	if (d->window < 1 || d->horizon < 1 || d->season < 0 || !(d->std > 0) ||
	    !isfinite(d->std) || !isfinite(d->mean) || s->n < 1 || !s->values)
		abort();
	if (d->bounds.bound[0] != 0 || d->bounds.bound[1] > d->bounds.bound[2] ||
	    d->bounds.bound[2] > d->bounds.bound[3] || d->bounds.bound[3] != s->n)
		abort();
	for (int sp = 0; sp < TS_NSPLITS; sp++) {
		size_t lo = d->bounds.bound[sp], hi = d->bounds.bound[sp + 1];
		if (d->count[sp] != ts_window_count(lo, hi, (size_t)d->window, (size_t)d->horizon))
			abort();
		for (size_t i = 0; i < d->count[sp]; i++) {
			int64_t ix = d->index[sp][i];
			/* an example's inputs and targets lie inside the series */
			if (ix < d->window || (uint64_t)ix + (uint64_t)d->horizon > s->n)
				abort();
		}
	}
	for (size_t i = 0; i < s->n; i++)
		sink += (float)s->values[i];
	if (s->times)
		for (size_t i = 0; i < s->n; i++)
			if (!s->times[i])
				abort();
	for (int sp = 0; sp < TS_NSPLITS; sp++) {
		float *in = NULL, *tg = NULL;
		size_t n = 0;
		if (tsfile_read_split(path, d, sp, &in, &tg, &n))
			continue;
		if (n != d->count[sp])
			abort();
		for (size_t i = 0; i < n * (size_t)d->window; i++)
			sink += in[i];
		for (size_t i = 0; i < n * (size_t)d->horizon; i++)
			sink += tg[i];
		free(in);
		free(tg);
	}
}

/* ---- the recipe's base files ---- */

static const char *const attr_names[] = {
	"format", "format_version", "producer", "task", "window", "horizon", "input_size",
	"normalization", "mean", "std", "source", "source_hash", "column", "series_length",
	"series_hash", "split_bounds", "train_fraction", "validation_fraction", "splits",
	"chunk_rows", "deflate", "n_train", "n_validation", "n_test", "season",
	"time_column", "synthetic_params", "count", "first", "end", "x",
};

static const char *const group_names[] = {"/", "train", "validation", "test", "series"};

static const char *const dset_names[] = {
	"series/values", "series/time", "train/index", "validation/index", "test/index",
	"train/inputs", "train/targets", "validation/inputs", "validation/targets",
	"test/inputs", "test/targets", "train/lengths", "series", "train", "test", "x",
};

static struct fz_base bases[64];

static const struct fz_base *base_get(int v)
{
	struct fz_base *b = &bases[v];
	if (b->bytes)
		return b;
	b->names = FZ_NAMES(attr_names, dset_names, group_names);
	struct ts_synth p = {.n = 24 + (size_t)(v & 7), .waves = 1, .period = {6}, .amp = {1},
			     .level = 5, .trend = 0.1, .noise = 0.2, .seed = (uint64_t)v};
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	if (tseries_synthetic(&p, &d.series))
		abort();
	if (v & 8) { /* time labels, as from a CSV */
		d.series.times = calloc(d.series.n, sizeof(char *));
		for (size_t i = 0; i < d.series.n; i++) {
			char t[32];
			snprintf(t, sizeof(t), "2020-%02zu-%02zu", 1 + i / 28, 1 + i % 28);
			d.series.times[i] = strdup(t);
		}
		d.series.time_column = strdup("date");
	}
	d.producer = strdup("fuzz_tsfile");
	size_t window = 2 + ((v >> 4) & 1), horizon = 1 + ((v >> 5) & 1);
	if (tsdata_prepare(&d, window, horizon, (v & 16) ? 4 : 0, 0.6, 0.2))
		abort();
	struct tsfile_opts o = {4, 0, 1};
	const char *path = fuzz_scratch_path(1, ".h5");
	if (tsfile_write(path, &d, &o))
		abort();
	tsdata_free(&d);
	fz_slurp(path, &b->bytes, &b->len);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	h5_init_thread();
	const char *path = fz_input(ctl, data, size, base_get);
	if (!path)
		return 0;
	struct tsdata d;
	if (tsdata_read(path, &d))
		return 0;
	check(path, &d);
	tsdata_free(&d);
	return 0;
}
