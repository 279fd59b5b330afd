/* test_tseries.c - the time-series data side: windowing on a tiny series,
 * the split by time (no future value reaches training or the
 * normalisation), synthetic determinism, the dataset file round trip,
 * index and split bounds edited into a sealed file refused, and CSV errors
 * with file:line. */
#include "testutil.h"

#include <math.h>

#include "capture.h"
#include "h5util.h"
#include "tsfile.h"
#include "tseries.h"

/* ---- windows ---- */

static void test_window_tiny(void **state)
{
	/* values 10, 11, ..., 19; W = 3, k = 2 */
	double v[10];
	for (int i = 0; i < 10; i++)
		v[i] = 10 + i;
	/* whole series: first target positions 3..8 */
	assert_int_equal(ts_window_count(0, 10, 3, 2), 6);
	float in[6 * 3], tg[6 * 2];
	int64_t ix[6];
	assert_int_equal(ts_window_fill(v, 0, 10, 3, 2, 0, 1, in, tg, ix), 6);
	for (int r = 0; r < 6; r++) {
		assert_int_equal(ix[r], 3 + r);
		for (int j = 0; j < 3; j++)
			assert_true(in[r * 3 + j] == (float)(10 + r + j));
		assert_true(tg[r * 2 + 0] == (float)(13 + r));
		assert_true(tg[r * 2 + 1] == (float)(14 + r));
	}
	/* a later part [6, 10): targets must stay inside, inputs reach back */
	assert_int_equal(ts_window_count(6, 10, 3, 2), 3); /* i = 6, 7, 8 */
	assert_int_equal(ts_window_fill(v, 6, 10, 3, 2, 10, 2, in, tg, ix), 3);
	assert_int_equal(ix[0], 6);
	assert_true(in[0] == (float)((13 - 10) / 2.0)); /* values[3], normalised */
	assert_true(tg[2 * 2 + 1] == (float)((19 - 10) / 2.0)); /* i = 8: values[9] */
	/* too short parts */
	assert_int_equal(ts_window_count(0, 4, 3, 2), 0);
	assert_int_equal(ts_window_count(0, 5, 3, 2), 1);
	assert_int_equal(ts_window_count(8, 9, 3, 2), 0);
	assert_int_equal(ts_window_count(0, 1, 3, 2), 0);
	assert_int_equal(ts_window_count(9, 10, 3, 1), 1);
}

static void test_split_bounds(void **state)
{
	struct ts_bounds b;
	assert_int_equal(ts_split_bounds(100, 0.7, 0.15, 10, 1, 0, &b), 0);
	assert_int_equal(b.bound[0], 0);
	assert_int_equal(b.bound[1], 70);
	assert_int_equal(b.bound[2], 85);
	assert_int_equal(b.bound[3], 100);
	assert_int_equal(ts_split_bounds(144, 0.7, 0.15, 12, 1, 12, &b), 0);
	assert_int_equal(b.bound[1], 101); /* 100.8 rounds up */
	assert_int_equal(b.bound[2], 122); /* 122.4 rounds down */
	capture_begin();
	int rc1 = ts_split_bounds(20, 0.7, 0.15, 14, 1, 0, &b); /* train 14 < 15 */
	int rc2 = ts_split_bounds(100, 0.7, 0.15, 10, 16, 0, &b); /* test 15 < 16 */
	int rc3 = ts_split_bounds(100, 0.7, 0.3, 10, 1, 0, &b);  /* no test part */
	int rc4 = ts_split_bounds(100, 0.7, 0.15, 10, 1, 86, &b); /* season > 85 */
	const char *msg = capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, -1);
	assert_int_equal(rc4, -1);
	assert_non_null(strstr(msg, "train part"));
	assert_non_null(strstr(msg, "test part"));
	assert_non_null(strstr(msg, "season"));
}

/* ---- no leakage ---- */

/* A series whose future is unmistakable: the train part holds values in
 * [0, 10); every later value is at least 1e6. */
static void leak_series(struct tsdata *d, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->series.n = n;
	d->series.values = malloc(n * sizeof(double));
	d->series.source = strdup("test");
	d->series.column = strdup("value");
	size_t b1 = (size_t)floor(n * 0.6 + 0.5);
	for (size_t i = 0; i < n; i++)
		d->series.values[i] = i < b1 ? (double)(i % 10) : 1e6 + (double)i;
	assert_int_equal(tsdata_prepare(d, 7, 3, 0, 0.6, 0.2), 0);
	assert_int_equal(d->bounds.bound[1], b1);
}

static void test_no_leak_into_training(void **state)
{
	const char *path = test_path("leak.h5");
	struct tsdata w;
	leak_series(&w, 200);
	size_t b1 = w.bounds.bound[1];
	assert_int_equal(b1, 120);
	assert_int_equal(tsfile_write(path, &w, NULL), 0);

	struct tsdata d;
	assert_int_equal(tsdata_read(path, &d), 0);
	/* mean and std are the train part's, computed here independently */
	double m = 0, ss = 0;
	for (size_t i = 0; i < b1; i++)
		m += w.series.values[i];
	m /= (double)b1;
	for (size_t i = 0; i < b1; i++)
		ss += (w.series.values[i] - m) * (w.series.values[i] - m);
	double sd = sqrt(ss / (double)b1);
	assert_true(fabs(d.mean - m) <= 1e-12 * fabs(m));
	assert_true(fabs(d.std - sd) <= 1e-12 * sd);
	assert_true(d.mean < 10); /* the whole series' mean is about 4e5 */

	/* no train target at or after the first validation position */
	assert_int_equal(d.bounds.bound[1], b1);
	for (size_t r = 0; r < d.count[TS_TRAIN]; r++)
		assert_true(d.index[TS_TRAIN][r] + d.horizon - 1 < (int64_t)b1);
	/* validation and test targets stay inside their parts */
	for (int s = TS_VALIDATION; s <= TS_TEST; s++)
		for (size_t r = 0; r < d.count[s]; r++) {
			assert_true(d.index[s][r] >= (int64_t)d.bounds.bound[s]);
			assert_true(d.index[s][r] + d.horizon <= (int64_t)d.bounds.bound[s + 1]);
		}
	/* and by value: no train input or target comes from the future */
	float *in, *tg;
	size_t n;
	assert_int_equal(tsfile_read_split(path, &d, TS_TRAIN, &in, &tg, &n), 0);
	assert_int_equal(n, ts_window_count(0, b1, 7, 3));
	for (size_t i = 0; i < n * 7; i++)
		assert_true(tsdata_denorm(&d, in[i]) < 10.5);
	for (size_t i = 0; i < n * 3; i++)
		assert_true(tsdata_denorm(&d, tg[i]) < 10.5);
	/* the last train example ends right before the validation part */
	assert_int_equal(d.index[TS_TRAIN][n - 1] + 3, (int64_t)b1);
	free(in);
	free(tg);
	/* validation inputs may look back into the train part (observed) */
	assert_int_equal(tsfile_read_split(path, &d, TS_VALIDATION, &in, NULL, &n), 0);
	assert_true(tsdata_denorm(&d, in[0]) < 10.5);
	free(in);
	tsdata_free(&d);
	tsdata_free(&w);
}

/* ---- the file ---- */

/* A series dataset whose seal is gone (an unsealed file, or its first
 * bytes damaged) is refused, as a review dataset is: nothing vouches for
 * its normalisation constants and windows. */
static void test_unsealed_refused(void **state)
{
	(void)state;
	const char *path = test_path("unsealed.h5");
	struct tsdata w;
	leak_series(&w, 200);
	assert_int_equal(tsfile_write(path, &w, NULL), 0);
	tsdata_free(&w);
	struct tsdata d;
	assert_int_equal(tsdata_read(path, &d), 0);
	tsdata_free(&d);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	char zero[8] = {0};
	assert_int_equal(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
	fclose(f);
	capture_begin();
	int rc = tsdata_read(path, &d);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(msg, "no integrity seal"));
}

/* A valid dataset (leak_series: 200 values, window 7, horizon 3, bounds
 * {0, 120, 160, 200}) written to path, for an edit to follow. */
static void write_valid(const char *path)
{
	struct tsdata w;
	leak_series(&w, 200);
	assert_int_equal(tsfile_write(path, &w, NULL), 0);
	tsdata_free(&w);
}

/* Sets row of dataset name (an index) to v, in place, and seals the file
 * again: the edit reaches the reader's checks, not the seal's. */
static void edit_index(const char *path, const char *name, int row, int64_t v)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
	assert_true(ds >= 0);
	int64_t ix[200];
	hid_t sp = H5Dget_space(ds);
	hssize_t n = H5Sget_simple_extent_npoints(sp);
	H5Sclose(sp);
	assert_true(n > 0 && n <= 200);
	assert_true(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ix) >= 0);
	ix[row < 0 ? n + row : row] = v;
	assert_true(H5Dwrite(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ix) >= 0);
	H5Dclose(ds);
	assert_true(H5Fclose(f) >= 0);
	assert_int_equal(h5_seal(path), 0);
}

/* Sets the root attribute split_bounds and seals the file again. */
static void edit_bounds(const char *path, const int64_t bounds[4])
{
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	assert_int_equal(h5_attr_write_ints(f, "split_bounds", bounds, 4), 0);
	assert_true(H5Fclose(f) >= 0);
	assert_int_equal(h5_seal(path), 0);
}

/* tsdata_read refuses path with a message naming it, the reason want and
 * the fix. */
static void refused(const char *path, const char *want)
{
	struct tsdata d;
	capture_begin();
	int rc = tsdata_read(path, &d);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	char fix[4200];
	snprintf(fix, sizeof(fix), "'%s': %s; re-run 'make %s'", path, want, path);
	if (!strstr(msg, fix)) {
		printf("expected '%s'\n", fix);
		fail();
	}
}

/* A split's index that is not exactly the windows its bounds give, edited
 * into a valid file and sealed again (as a tool that rewrites datasets
 * would): negative, a window starting before the series (inputs from
 * value -1), one whose targets run past the series' end, a window
 * repeated.  Each is refused before a window is read through it. */
static void test_index_edited_refused(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("edited-index.h5"));
	const struct {
		const char *name;
		int row; /* -1: the last */
		int64_t v;
	} edits[] = {
		{"train/index", 0, -1},
		{"train/index", 0, 6},          /* first valid: window 7 */
		{"test/index", -1, 198},        /* last valid: 200 - horizon 3 */
		{"validation/index", 1, 120},   /* = row 0 */
	};
	write_valid(path);
	struct tsdata d;
	assert_int_equal(tsdata_read(path, &d), 0);
	assert_true(d.index[TS_TRAIN][0] == 7 && d.index[TS_VALIDATION][0] == 120 &&
		    d.index[TS_TEST][d.count[TS_TEST] - 1] == 197);
	tsdata_free(&d);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		write_valid(path);
		edit_index(path, edits[i].name, edits[i].row, edits[i].v);
		printf("%s row %d = %lld\n", edits[i].name, edits[i].row, (long long)edits[i].v);
		refused(path, "a split's index does not match the split bounds");
	}
}

/* split_bounds that do not cut the series in order (each bound off by
 * one, and negative ones), edited into a valid file and sealed again:
 * refused as inconsistent attributes, before any split is read by them. */
static void test_bounds_edited_refused(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("edited-bounds.h5"));
	const int64_t bounds[][4] = {
		{1, 120, 160, 200},   /* not from the start (same train windows) */
		{0, 121, 120, 200},   /* train ends after validation starts */
		{0, 120, 201, 200},   /* validation past the end */
		{0, 120, 160, 199},   /* not the series_length 200 */
		{0, -1, 160, 200},    /* negative: the train split ran to 2^64 - 1 */
		{0, -40, -20, 200},
	};
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		write_valid(path);
		edit_bounds(path, bounds[i]);
		printf("split_bounds {%lld, %lld, %lld, %lld}\n", (long long)bounds[i][0],
		       (long long)bounds[i][1], (long long)bounds[i][2], (long long)bounds[i][3]);
		refused(path, "inconsistent attributes (task, window, horizon, mean, std, "
			      "split_bounds)");
	}
}

static void test_file_round_trip(void **state)
{
	const char *path = test_path("round.h5");
	struct tsdata w;
	memset(&w, 0, sizeof(w));
	struct ts_synth p = {.n = 300, .waves = 1, .period = {17}, .amp = {2}, .trend = 0.01,
			     .noise = 0.3, .seed = 9};
	assert_int_equal(tseries_synthetic(&p, &w.series), 0);
	assert_int_equal(tsdata_prepare(&w, 10, 2, 17, 0.7, 0.15), 0);
	struct tsfile_opts o = {64, 4, 1};
	assert_int_equal(tsfile_write(path, &w, &o), 0);

	struct tsdata d;
	assert_int_equal(tsdata_read(path, &d), 0);
	assert_int_equal(d.window, 10);
	assert_int_equal(d.horizon, 2);
	assert_int_equal(d.season, 17);
	assert_int_equal(d.series.n, 300);
	assert_null(d.series.times);
	assert_non_null(d.series.params);
	assert_string_equal(d.series.params, w.series.params);
	assert_int_equal(d.series.source_hash, w.series.source_hash);
	assert_memory_equal(d.series.values, w.series.values, 300 * sizeof(double));
	for (int s = 0; s < TS_NSPLITS; s++) {
		assert_int_equal(d.count[s], w.count[s]);
		float *in, *tg;
		size_t n;
		assert_int_equal(tsfile_read_split(path, &d, s, &in, &tg, &n), 0);
		float *ein = malloc(n * 10 * sizeof(float)), *etg = malloc(n * 2 * sizeof(float));
		int64_t *eix = malloc(n * sizeof(int64_t));
		assert_int_equal(ts_window_fill(w.series.values, w.bounds.bound[s],
						w.bounds.bound[s + 1], 10, 2, w.mean, w.std, ein, etg,
						eix), n);
		assert_memory_equal(in, ein, n * 10 * sizeof(float));
		assert_memory_equal(tg, etg, n * 2 * sizeof(float));
		assert_memory_equal(d.index[s], eix, n * sizeof(int64_t));
		free(in);
		free(tg);
		free(ein);
		free(etg);
		free(eix);
	}
	tsdata_free(&d);
	tsdata_free(&w);

	/* not a time-series file: an error naming the file and the fix */
	write_file(test_path("junk.h5"), "not hdf5", 8);
	capture_begin();
	int rc = tsdata_read(test_path("junk.h5"), &d);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(msg, "junk.h5"));
}

/* ---- synthetic ---- */

static void test_synthetic_deterministic(void **state)
{
	struct ts_synth p = {.n = 5000, .waves = 2, .period = {50, 12}, .amp = {1, 0.5},
			     .level = 1, .trend = 0.002, .noise = 0.1, .seed = 1};
	struct tseries a, b, c;
	assert_int_equal(tseries_synthetic(&p, &a), 0);
	assert_int_equal(tseries_synthetic(&p, &b), 0);
	assert_memory_equal(a.values, b.values, 5000 * sizeof(double));
	assert_int_equal(a.source_hash, b.source_hash);
	p.seed = 2;
	assert_int_equal(tseries_synthetic(&p, &c), 0);
	assert_memory_not_equal(a.values, c.values, 5000 * sizeof(double));
	assert_true(a.source_hash != c.source_hash);
	/* pinned: the generator must not drift (values printed with %.17g
	 * when it was written; 1e-12 leaves room for libm's last bits) */
	static const double pinned[3] = {-0.12196100672365506, -0.19112284560366724,
					 -0.48465358630885969};
	for (int i = 0; i < 3; i++)
		assert_true(fabs(a.values[i] - pinned[i]) < 1e-12);
	tseries_free(&a);
	tseries_free(&b);
	tseries_free(&c);

	/* no waves, no noise: exactly the line */
	struct ts_synth q = {.n = 50, .level = 3, .trend = 0.5, .seed = 7};
	assert_int_equal(tseries_synthetic(&q, &a), 0);
	for (int t = 0; t < 50; t++)
		assert_true(a.values[t] == 3 + 0.5 * t);
	tseries_free(&a);
	/* the noise is standard normal times noise */
	struct ts_synth r = {.n = 40000, .noise = 2, .seed = 3};
	assert_int_equal(tseries_synthetic(&r, &a), 0);
	double m, sd;
	assert_int_equal(ts_zscore_fit(a.values, a.n, &m, &sd), 0);
	assert_true(fabs(m) < 0.05);
	assert_true(fabs(sd - 2) < 0.05);
	tseries_free(&a);

	double per[8];
	assert_int_equal(ts_parse_doubles("24,7.5", "--periods", per, 8), 2);
	assert_true(per[1] == 7.5);
	capture_begin();
	int rc1 = ts_parse_doubles("24,x", "--periods", per, 8);
	struct ts_synth bad = {.n = 10, .waves = 1, .period = {0}, .amp = {1}};
	int rc2 = tseries_synthetic(&bad, &a);
	capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
}

/* Values near DBL_MAX: their squares (or sum) overflow, and the fit used
 * to call the series "constant (every value 0)".  The std is half the
 * range at most, so it is computed in range; the windows are +-1. */
static void test_zscore_huge_values(void **state)
{
	(void)state;
	double v[200];
	for (int i = 0; i < 200; i++)
		v[i] = i % 2 ? -1e308 : 1e308;
	double m = -1, sd = -1;
	assert_int_equal(ts_zscore_fit(v, 200, &m, &sd), 0);
	assert_true(m == 0);
	assert_true(fabs(sd - 1e308) <= 1e308 * 1e-12);
	float in[2 * 8], tg[4]; // 4 windows of 2, then 2 of 8
	assert_int_equal(ts_window_fill(v, 0, 6, 2, 1, m, sd, in, tg, NULL), 4);
	for (int i = 0; i < 8; i++)
		assert_true(fabs(fabs(in[i]) - 1) < 1e-6);
	/* all near DBL_MAX, one far below: the sum overflows, and x - mean
	 * of the low one too */
	for (int i = 0; i < 200; i++)
		v[i] = i == 7 ? -1.7e308 : 1.7e308;
	assert_int_equal(ts_zscore_fit(v, 200, &m, &sd), 0);
	assert_true(isfinite(m) && fabs(m - 1.683e308) < 1e305);
	assert_true(isfinite(sd) && sd > 0);
	assert_int_equal(ts_window_fill(v, 0, 10, 8, 1, m, sd, in, tg, NULL), 2);
	assert_true(isfinite(in[7]) && in[7] < -10);
	/* a constant part still says so, with its value */
	for (int i = 0; i < 200; i++)
		v[i] = 1e308;
	capture_begin();
	int rc = ts_zscore_fit(v, 200, &m, &sd);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "constant (every value 1e+308)"));
}

/* ---- CSV ---- */

static void test_csv_good(void **state)
{
	const char *path = test_path("good.csv");
	const char *text = "\xef\xbb\xbf\"Month\",\"Passengers\"\r\n\"1949-01\",112\r\n"
			   "\"1949-02\", 118 \r\n\r\n\"1949-03\",\"132.5\"";
	write_file(path, text, strlen(text));
	struct tseries s;
	assert_int_equal(tseries_read_csv(path, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.values[0] == 112 && s.values[1] == 118 && s.values[2] == 132.5);
	assert_string_equal(s.times[2], "1949-03");
	assert_string_equal(s.column, "Passengers");
	assert_string_equal(s.time_column, "Month");
	tseries_free(&s);

	/* TSV, named columns, three of them, no time column */
	const char *tsv = "a\tb\tc\n1\t2\t3\n4\t5\t6\n";
	write_file(path, tsv, strlen(tsv));
	assert_int_equal(tseries_read_csv(path, "c", "none", &s), 0);
	assert_int_equal(s.n, 2);
	assert_null(s.times);
	assert_true(s.values[1] == 6);
	tseries_free(&s);
	assert_int_equal(tseries_read_csv(path, "b", "c", &s), 0);
	assert_string_equal(s.times[1], "6");
	tseries_free(&s);

	/* one column, values alone: read without --column (it was refused
	 * with "1 columns: name the value column (columns: 'Value')") */
	const char *one = "Value\r\n1.5\r\n-2\r\n7\r\n";
	write_file(path, one, strlen(one));
	assert_int_equal(tseries_read_csv(path, NULL, NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.values[0] == 1.5 && s.values[1] == -2 && s.values[2] == 7);
	assert_string_equal(s.column, "Value");
	assert_null(s.times);
	tseries_free(&s);
}

/* Writes text, reads it, expects failure with want in the message. */
static void csv_bad(const char *text, const char *column, const char *want)
{
	const char *path = test_path("bad.csv");
	write_file(path, text, strlen(text));
	struct tseries s;
	capture_begin();
	int rc = tseries_read_csv(path, column, NULL, &s);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	if (!strstr(msg, want)) {
		print_error("expected '%s' in: %s\n", want, msg);
		fail();
	}
}

static void test_csv_errors(void **state)
{
	char want[4200];
	snprintf(want, sizeof(want), "%s:3: 'abc' in column 'v' is not a number", test_path("bad.csv"));
	csv_bad("t,v\n2000,1\n2001,abc\n", NULL, want);
	snprintf(want, sizeof(want), "%s:2: 3 fields, the header has 2", test_path("bad.csv"));
	csv_bad("t,v\n2000,1,5\n", NULL, want);
	snprintf(want, sizeof(want), "%s:3: empty value in column 'v'", test_path("bad.csv"));
	csv_bad("t,v\n2000,1\n2001,\n", NULL, want);
	snprintf(want, sizeof(want), "%s:2: 'inf' in column 'v' is not a finite number",
		 test_path("bad.csv"));
	csv_bad("t,v\n2000,inf\n", NULL, want);
	snprintf(want, sizeof(want), "%s:2: broken quoting", test_path("bad.csv"));
	csv_bad("t,v\n\"2000\"x,1\n", NULL, want);
	snprintf(want, sizeof(want), "%s:3: broken quoting: a quoted field is not closed",
		 test_path("bad.csv"));
	csv_bad("t,v\n2000,1\n\"2001,2\n", NULL, want);
	snprintf(want, sizeof(want), "%s: empty file", test_path("bad.csv"));
	csv_bad("", NULL, want);
	snprintf(want, sizeof(want), "%s:1: no values after the header", test_path("bad.csv"));
	csv_bad("t,v\n", NULL, want);
	snprintf(want, sizeof(want), "%s:1: no column 'x' in the header (columns: 't', 'v')",
		 test_path("bad.csv"));
	csv_bad("t,v\n1,2\n", "x", want);
	snprintf(want, sizeof(want), "%s:1: 3 columns: name the value column",
		 test_path("bad.csv"));
	csv_bad("a,b,c\n1,2,3\n", NULL, want);
	snprintf(want, sizeof(want),
		 "%s:4: time '1949-02' is not after '1949-03' (line 3): the rows must be in time order",
		 test_path("bad.csv"));
	csv_bad("m,v\n1949-01,1\n1949-03,2\n1949-02,3\n", NULL, want);
	snprintf(want, sizeof(want), "%s:3: time '1949-01' is not after '1949-01'",
		 test_path("bad.csv"));
	csv_bad("m,v\n1949-01,1\n1949-01,2\n", NULL, want);
	/* a missing file */
	struct tseries s;
	capture_begin();
	int rc = tseries_read_csv(test_path("absent.csv"), NULL, NULL, &s);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(msg, "cannot open"));
	assert_non_null(strstr(msg, "absent.csv"));
}

/* Blank lines are skipped as pandas.read_csv skips them (skip_blank_lines,
 * spaces and tabs only too); the ones between two values are counted and
 * warned about, naming the file and the first line, since they may hide a
 * gap in time.  They used to be skipped (libcsv) without a word. */
static void test_csv_blank_lines(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("blank.csv"));
	/* 1 m,v  2 (blank)  3 ..01  4 ..02  5-6 (blank)  7 ..03  8 spaces
	 * 9 tab  10 ..04  11-12 (blank) */
	const char *text = "m,v\n\n1949-01,1\n1949-02,2\n\n\r\n1949-03,3\n   \n\t\n1949-04,4\n\n\n";
	write_file(path, text, strlen(text));
	struct tseries s;
	capture_begin();
	int rc = tseries_read_csv(path, NULL, NULL, &s);
	const char *msg = capture_end();
	assert_int_equal(rc, 0);
	assert_int_equal(s.n, 4);
	assert_true(s.values[0] == 1 && s.values[3] == 4);
	assert_string_equal(s.times[3], "1949-04");
	assert_int_equal(s.blank_lines, 4); /* not the leading or trailing ones */
	assert_int_equal(s.first_blank_line, 5);
	char want[4200];
	snprintf(want, sizeof(want), "'%s': 4 blank lines between values skipped (the first is line 5), "
		 "as pandas.read_csv does", path);
	assert_non_null(strstr(msg, want));
	tseries_free(&s);
	/* lines are still counted physically: a bad value after a blank line */
	snprintf(want, sizeof(want), "%s:4: 'abc' in column 'v' is not a number",
		 test_path("bad.csv"));
	csv_bad("t,v\n2000,1\n\n2001,abc\n", NULL, want);
	/* only leading and trailing blank lines (and one before the header):
	 * nothing hidden, nothing said */
	const char *edges = "\n\xef\xbb\xbfm,v\n\n1949-01,1\n1949-02,2\n\n";
	write_file(path, edges, strlen(edges));
	capture_begin();
	rc = tseries_read_csv(path, NULL, NULL, &s);
	msg = capture_end();
	assert_int_equal(rc, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.blank_lines, 0);
	assert_null(strstr(msg, "blank"));
	tseries_free(&s);
	/* a blank line inside a quoted field is part of the field */
	const char *quoted = "when,v\n\"Mon\n\nday\",1\nTue,2\n";
	write_file(path, quoted, strlen(quoted));
	assert_int_equal(tseries_read_csv(path, "v", NULL, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.times[0], "Mon\n\nday");
	assert_int_equal(s.blank_lines, 0);
	tseries_free(&s);
	/* in a TSV a line of one tab is two empty fields, not a blank line */
	snprintf(want, sizeof(want), "%s:3: empty value in column 'b'", test_path("bad.csv"));
	csv_bad("a\tb\n1\t2\n\t\n3\t4\n", NULL, want);
	/* values alone: a blank line (pandas' to_csv writes a NaN so) is
	 * skipped and warned about too */
	const char *one = "Value\n1\n\n2\n";
	write_file(path, one, strlen(one));
	capture_begin();
	rc = tseries_read_csv(path, NULL, NULL, &s);
	msg = capture_end();
	assert_int_equal(rc, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.blank_lines, 1);
	assert_non_null(strstr(msg, "1 blank line between values skipped (the first is line 3)"));
	tseries_free(&s);
}

/* Time labels that are not ISO-like are kept as they are, in file order. */
static void test_csv_free_form_times(void **state)
{
	const char *path = test_path("free.csv");
	const char *text = "when,v\nMonday,1\nsunday,2\nAfter lunch,3\n";
	write_file(path, text, strlen(text));
	struct tseries s;
	assert_int_equal(tseries_read_csv(path, "v", NULL, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.times[2], "After lunch");
	tseries_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_tiny),
		cmocka_unit_test(test_split_bounds),
		cmocka_unit_test(test_no_leak_into_training),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_unsealed_refused),
		cmocka_unit_test(test_index_edited_refused),
		cmocka_unit_test(test_bounds_edited_refused),
		cmocka_unit_test(test_synthetic_deterministic),
		cmocka_unit_test(test_zscore_huge_values),
		cmocka_unit_test(test_csv_good),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_free_form_times),
		cmocka_unit_test(test_csv_blank_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
