/* tsfile.c - writes and reads artifacts/timeseries/dataset.h5 (see
 * tsfile.h and docs/timeseries.md).  The whole series and its windows fit
 * in memory (a few MB for the largest real series we use), so every
 * dataset is written and read in one call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "afile.h"
#include "dsfile.h"
#include "error.h"
#include "h5util.h"
#include "hash.h"
#include "tsfile.h"

#define CK H5CALL

void tsdata_free(struct tsdata *d)
{
	tseries_free(&d->series);
	for (int s = 0; s < TS_NSPLITS; s++)
		free(d->index[s]);
	free(d->producer);
	memset(d, 0, sizeof(*d));
}

int tsdata_prepare(struct tsdata *d, size_t window, size_t horizon, size_t season,
		   double train_frac, double val_frac)
{
	d->window = (int64_t)window;
	d->horizon = (int64_t)horizon;
	d->season = (int64_t)season;
	d->train_frac = train_frac;
	d->val_frac = val_frac;
	if (ts_split_bounds(d->series.n, train_frac, val_frac, window, horizon, season, &d->bounds))
		return -1;
	return ts_zscore_fit(d->series.values, d->bounds.bound[1], &d->mean, &d->std);
}

/* Hash of the values as little-endian IEEE doubles (same on every machine). */
static uint64_t values_hash(const double *v, size_t n)
{
	uint64_t h = HASH64_SEED;
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;
		unsigned char b[8];
		memcpy(&bits, &v[i], 8);
		for (int k = 0; k < 8; k++)
			b[k] = (unsigned char)(bits >> (8 * k));
		h = hash64_update(h, b, 8);
	}
	return hash64_final(h);
}

static int describe(hid_t d, const char *text)
{
	return h5_attr_write_str(d, "description", text);
}

/* Creates, writes, describes and closes one dataset. */
static int write_ds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
		    const hsize_t *dims, const void *data, const struct tsfile_opts *o,
		    const char *desc)
{
	hsize_t chunk[3];
	struct h5_layout lay = {0};
	if (o && o->chunk_rows) {
		for (int i = 0; i < rank; i++)
			chunk[i] = dims[i];
		chunk[0] = dims[0] < o->chunk_rows ? dims[0] : o->chunk_rows;
		lay.chunk = chunk;
		lay.deflate = o->deflate;
		lay.shuffle = o->deflate > 0;
		lay.fletcher32 = o->fletcher32;
	}
	hid_t d = h5_dataset_create(loc, name, ftype, rank, dims, o ? &lay : NULL);
	if (d < 0)
		return -1;
	int rc = h5_dataset_write(d, mtype, data) || describe(d, desc);
	if (h5_close(d))
		rc = -1;
	return rc ? -1 : 0;
}

static int write_split(hid_t f, struct tsdata *d, int s, const struct tsfile_opts *o)
{
	size_t lo = d->bounds.bound[s], hi = d->bounds.bound[s + 1];
	size_t W = (size_t)d->window, k = (size_t)d->horizon;
	size_t n = ts_window_count(lo, hi, W, k);
	if (n == 0)
		return error("split '%s' has no example (values %zu..%zu, window %zu, horizon %zu)",
			     ts_split_names[s], lo, hi, W, k);
	float *in = malloc(n * W * sizeof(float));
	float *tg = malloc(n * k * sizeof(float));
	int64_t *ix = malloc(n * sizeof(int64_t));
	int32_t *len = malloc(n * sizeof(int32_t));
	hid_t g = -1;
	int rc = -1;
	if (!in || !tg || !ix || !len) {
		error("out of memory");
		goto out;
	}
	ts_window_fill(d->series.values, lo, hi, W, k, d->mean, d->std, in, tg, ix);
	for (size_t i = 0; i < n; i++)
		len[i] = (int32_t)W;
	g = h5_group_create(f, ts_split_names[s]);
	if (g < 0)
		goto out;
	hsize_t din[3] = {n, W, 1}, dtg[2] = {n, k}, d1[1] = {n};
	char desc[256];
	snprintf(desc, sizeof(desc),
		 "last %zu values before each example's first target, z-scored with the "
		 "train part's mean and std", W);
	if (write_ds(g, TS_DS_INPUTS, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, din, in, o, desc))
		goto out;
	snprintf(desc, sizeof(desc),
		 "the next %zu value%s (index .. index+%zu), z-scored like inputs", k,
		 k == 1 ? "" : "s", k - 1);
	if (write_ds(g, TS_DS_TARGETS, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dtg, tg, o, desc) ||
	    write_ds(g, TS_DS_LENGTHS, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, d1, len, o,
		     "steps per example (all equal to the window)") ||
	    write_ds(g, TS_DS_INDEX, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, d1, ix, o,
		     "position in series/values of each example's first target"))
		goto out;
	if (h5_attr_write_int(g, "count", (int64_t)n) ||
	    h5_attr_write_int(g, "first", (int64_t)lo) || h5_attr_write_int(g, "end", (int64_t)hi))
		goto out;
	d->count[s] = n;
	rc = 0;
out:
	if (g >= 0 && h5_close(g))
		rc = -1;
	free(in);
	free(tg);
	free(ix);
	free(len);
	if (rc)
		error("cannot write split '%s'", ts_split_names[s]);
	return rc;
}

static int write_series(hid_t f, const struct tsdata *d)
{
	const struct tseries *se = &d->series;
	hid_t g = h5_group_create(f, "series");
	if (g < 0)
		return -1;
	hsize_t dims[1] = {se->n};
	int rc = write_ds(g, "values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, se->values,
			  NULL, "the whole series in original units, in time order");
	if (!rc && se->times) {
		hid_t t = h5_str_type(), ds = -1;
		rc = -1;
		if (t >= 0)
			ds = h5_dataset_create(g, "time", t, 1, dims, NULL);
		if (ds >= 0 && h5_dataset_write(ds, t, se->times) == 0 &&
		    describe(ds, "time label of each value, as read from the source") == 0)
			rc = 0;
		if (h5_close(ds) || h5_close(t))
			rc = -1;
	}
	if (h5_close(g))
		rc = -1;
	return rc;
}

static int write_root(hid_t f, const struct tsdata *d, const struct tsfile_opts *o)
{
	const struct tseries *se = &d->series;
	char src_hex[17], val_hex[17];
	hash64_hex(se->source_hash, src_hex);
	hash64_hex(values_hash(se->values, se->n), val_hex);
	int64_t bounds[4];
	for (int i = 0; i < 4; i++)
		bounds[i] = (int64_t)d->bounds.bound[i];
	int rc = h5_attr_write_str(f, "format", TSFILE_FORMAT) ||
		 h5_attr_write_int(f, "format_version", TSFILE_VERSION) ||
		 h5_attr_write_str(f, "producer", d->producer ? d->producer : "ts-prepare") ||
		 h5_attr_write_str(f, "task", "regress") ||
		 h5_attr_write_int(f, "window", d->window) ||
		 h5_attr_write_int(f, "horizon", d->horizon) ||
		 h5_attr_write_int(f, "input_size", 1) ||
		 h5_attr_write_str(f, "normalization", "zscore") ||
		 h5_attr_write_double(f, "mean", d->mean) ||
		 h5_attr_write_double(f, "std", d->std) ||
		 h5_attr_write_str(f, "source", se->source) ||
		 h5_attr_write_str(f, "source_hash", src_hex) ||
		 h5_attr_write_str(f, "column", se->column) ||
		 h5_attr_write_int(f, "series_length", (int64_t)se->n) ||
		 h5_attr_write_str(f, "series_hash", val_hex) ||
		 h5_attr_write_ints(f, "split_bounds", bounds, 4) ||
		 h5_attr_write_double(f, "train_fraction", d->train_frac) ||
		 h5_attr_write_double(f, "validation_fraction", d->val_frac) ||
		 h5_attr_write_strs(f, "splits", ts_split_names, TS_NSPLITS) ||
		 h5_attr_write_int(f, "chunk_rows", o->chunk_rows) ||
		 h5_attr_write_int(f, "deflate", o->deflate);
	for (int s = 0; s < TS_NSPLITS && !rc; s++) {
		char name[32];
		snprintf(name, sizeof(name), "n_%s", ts_split_names[s]);
		rc = h5_attr_write_int(f, name, (int64_t)d->count[s]);
	}
	if (!rc && d->season > 0)
		rc = h5_attr_write_int(f, "season", d->season);
	if (!rc && se->time_column)
		rc = h5_attr_write_str(f, "time_column", se->time_column);
	if (!rc && se->params)
		rc = h5_attr_write_str(f, "synthetic_params", se->params);
	return rc ? -1 : 0;
}

int tsfile_write(const char *path, struct tsdata *d, const struct tsfile_opts *o)
{
	struct tsfile_opts def = TSFILE_OPTS_DEFAULT;
	if (!o)
		o = &def;
	if (d->bounds.bound[3] != d->series.n || d->window < 1 || d->horizon < 1)
		return error("'%s': inconsistent dataset description", path);
	struct afile af;
	if (afile_reserve(&af, path))
		return -1;
	hid_t f = h5_create(af.tmp);
	if (f < 0) {
		afile_abort(&af);
		return -1;
	}
	int rc = 0;
	for (int s = 0; s < TS_NSPLITS && !rc; s++)
		rc = write_split(f, d, s, o);
	if (!rc)
		rc = write_series(f, d);
	if (!rc)
		rc = write_root(f, d, o);
	if (h5_close(f))
		rc = -1;
	if (!rc && h5_seal(af.tmp))
		rc = -1;
	if (rc) {
		error("cannot write '%s'", path);
		afile_abort(&af);
		return -1;
	}
	return afile_commit(&af);
}

/* ---- reading ---- */

/* error() messages that said memory ran out, when tsdata_read began: a
 * read that ran short of memory has said so, and the file may be fine */
static _Thread_local unsigned long read_oom;

static int bad(const char *path, const char *why)
{
	if (error_oom_count() != read_oom)
		return -1;
	return error("'%s': %s; re-run 'make %s'", path, why, path);
}

static int read_series(hid_t f, const char *path, struct tsdata *d, int64_t n)
{
	struct tseries *se = &d->series;
	int64_t want[1] = {n};
	/* n comes from an attribute: checked against the dataset before any
	 * allocation (a file of a few kB with series_length 2^31 made the
	 * reader allocate 16 GiB) */
	if (h5_read_array_alloc(f, TS_DS_VALUES, H5T_NATIVE_DOUBLE, 1, want,
				(void **)&se->values))
		return bad(path, "cannot read the series");
	se->n = (size_t)n;
	int e = h5_exists(f, TS_DS_TIME);
	if (e < 0)
		return -1;
	if (!e)
		return 0;
	hid_t ds = h5_dataset_open(f, TS_DS_TIME, H5_CACHE_DEFAULT);
	if (ds < 0)
		return bad(path, "cannot read the time labels");
	hid_t t = -1, space = -1;
	char **raw = NULL;
	int rc = -1;
	if (h5_dataset_check_shape(ds, 1, want) || h5_dataset_check_stored(ds))
		goto out;
	t = h5_str_type();
	raw = calloc((size_t)n, sizeof(char *));
	if (t < 0)
		goto out;
	if (!raw) {
		error("out of memory");
		goto out;
	}
	space = CK(H5Dget_space(ds));
	if (space < 0 || CK(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw)) < 0)
		goto out;
	se->times = calloc((size_t)n, sizeof(char *));
	if (!se->times) {
		error("out of memory");
		goto reclaim;
	}
	rc = 0;
	for (int64_t i = 0; i < n; i++)
		if (!(se->times[i] = strdup(raw[i] ? raw[i] : "")))
			rc = error("out of memory");
reclaim:
	H5Dvlen_reclaim(t, space, H5P_DEFAULT, raw);
out:
	free(raw);
	h5_close(space);
	h5_close(t);
	h5_close(ds);
	if (rc)
		bad(path, "cannot read the time labels");
	return rc;
}

int tsdata_read(const char *path, struct tsdata *d)
{
	memset(d, 0, sizeof(*d));
	read_oom = error_oom_count();
	if (h5_seal_check(path, 1)) {
		/* a missing file is not a damaged one */
		if (error_oom_count() != read_oom)
			return -1;
		return error("'%s' %s; re-run the stage that made it", path,
			     access(path, F_OK) ? "is missing" : "failed its integrity check");
	}
	hid_t f = h5_open(path, 0);
	if (f < 0)
		return -1;
	char *fmt = NULL, *hex = NULL, *task = NULL;
	int64_t ver = 0, n = 0, *bounds = NULL;
	size_t nb = 0;
	int rc = -1;
	if (h5_attr_read_str(f, "format", &fmt)) {
		bad(path, "not a time-series dataset (no 'format' attribute)");
		goto out;
	}
	if (!strcmp(fmt, DSFILE_FORMAT)) {
		/* the other kind of dataset: no file to rebuild, a flag to give */
		error("'%s' is a review dataset (pack-hdf5's), not a time-series dataset; train "
		      "and evaluate read it with --task classify (the default)", path);
		goto out;
	}
	if (strcmp(fmt, TSFILE_FORMAT)) {
		char why[256];
		snprintf(why, sizeof(why), "format is '%s', expected '%s'", fmt, TSFILE_FORMAT);
		bad(path, why);
		goto out;
	}
	if (h5_attr_read_int(f, "format_version", &ver))
		goto bad_attrs;
	if (ver != TSFILE_VERSION) {
		char why[128];
		snprintf(why, sizeof(why), "format version %lld, this program reads %d",
			 (long long)ver, TSFILE_VERSION);
		bad(path, why);
		goto out;
	}
	if (h5_attr_read_str(f, "task", &task) || h5_attr_read_int(f, "window", &d->window) ||
	    h5_attr_read_int(f, "horizon", &d->horizon) ||
	    h5_attr_read_double(f, "mean", &d->mean) || h5_attr_read_double(f, "std", &d->std) ||
	    h5_attr_read_str(f, "source", &d->series.source) ||
	    h5_attr_read_str(f, "source_hash", &hex) ||
	    h5_attr_read_str(f, "column", &d->series.column) ||
	    h5_attr_read_int(f, "series_length", &n) ||
	    h5_attr_read_ints(f, "split_bounds", &bounds, &nb) ||
	    h5_attr_read_double(f, "train_fraction", &d->train_frac) ||
	    h5_attr_read_double(f, "validation_fraction", &d->val_frac) ||
	    h5_attr_read_str(f, "producer", &d->producer))
		goto bad_attrs;
	d->series.source_hash = strtoull(hex, NULL, 16);
	int has;
	if ((has = h5_attr_exists(f, "season")) < 0 ||
	    (has && h5_attr_read_int(f, "season", &d->season)))
		goto bad_attrs;
	if ((has = h5_attr_exists(f, "time_column")) < 0 ||
	    (has && h5_attr_read_str(f, "time_column", &d->series.time_column)))
		goto bad_attrs;
	if ((has = h5_attr_exists(f, "synthetic_params")) < 0 ||
	    (has && h5_attr_read_str(f, "synthetic_params", &d->series.params)))
		goto bad_attrs;
	/* bounds: 0 <= train_end <= validation_end <= n; a negative one made a
	 * split of 2^64 windows (size_t) */
	if (strcmp(task, "regress") || d->window < 1 || d->horizon < 1 || !(d->std > 0) ||
	    !isfinite(d->std) || !isfinite(d->mean) || n < 1 || nb != 4 || bounds[0] != 0 ||
	    bounds[1] < 0 || bounds[1] > bounds[2] || bounds[2] > bounds[3] || bounds[3] != n ||
	    d->season < 0) {
		bad(path, "inconsistent attributes (task, window, horizon, mean, std, split_bounds)");
		goto out;
	}
	for (int i = 0; i < 4; i++)
		d->bounds.bound[i] = (size_t)bounds[i];
	if (read_series(f, path, d, n))
		goto out;
	for (int s = 0; s < TS_NSPLITS; s++) {
		size_t lo = d->bounds.bound[s], hi = d->bounds.bound[s + 1];
		size_t cnt = ts_window_count(lo, hi, (size_t)d->window, (size_t)d->horizon);
		char name[64];
		snprintf(name, sizeof(name), "%s/%s", ts_split_names[s], TS_DS_INDEX);
		int64_t want[1] = {(int64_t)cnt};
		if (h5_read_array_alloc(f, name, H5T_NATIVE_INT64, 1, want,
					(void **)&d->index[s])) {
			bad(path, "a split's index does not match the split bounds");
			goto out;
		}
		size_t first = lo > (size_t)d->window ? lo : (size_t)d->window;
		for (size_t i = 0; i < cnt; i++)
			if (d->index[s][i] != (int64_t)(first + i)) {
				bad(path, "a split's index does not match the split bounds");
				goto out;
			}
		d->count[s] = cnt;
	}
	rc = 0;
	goto out;
bad_attrs:
	bad(path, "missing or malformed attributes");
out:
	free(fmt);
	free(hex);
	free(task);
	free(bounds);
	h5_close(f);
	if (rc)
		tsdata_free(d);
	return rc;
}

int tsfile_read_split(const char *path, const struct tsdata *d, int split, float **inputs,
		      float **targets, size_t *n)
{
	if (split < 0 || split >= TS_NSPLITS)
		return error("tsfile_read_split: bad split %d", split);
	hid_t f = h5_open(path, 0);
	if (f < 0)
		return -1;
	size_t cnt = d->count[split], W = (size_t)d->window, k = (size_t)d->horizon;
	float *in = NULL, *tg = NULL;
	int rc = -1;
	char name[64];
	if (inputs) {
		int64_t want[3] = {(int64_t)cnt, (int64_t)W, 1};
		snprintf(name, sizeof(name), "%s/%s", ts_split_names[split], TS_DS_INPUTS);
		if (h5_read_array_alloc(f, name, H5T_NATIVE_FLOAT, 3, want, (void **)&in))
			goto out;
	}
	if (targets) {
		int64_t want[2] = {(int64_t)cnt, (int64_t)k};
		snprintf(name, sizeof(name), "%s/%s", ts_split_names[split], TS_DS_TARGETS);
		if (h5_read_array_alloc(f, name, H5T_NATIVE_FLOAT, 2, want, (void **)&tg))
			goto out;
	}
	rc = 0;
out:
	h5_close(f);
	if (rc) {
		free(in);
		free(tg);
		return bad(path, "cannot read a split");
	}
	if (inputs)
		*inputs = in;
	if (targets)
		*targets = tg;
	*n = cnt;
	return 0;
}
