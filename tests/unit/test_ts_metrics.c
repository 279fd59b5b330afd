/* test_ts_metrics.c - forecast errors and baselines on series whose answer
 * is known (a ramp: the naive error is the slope; a pure season: the
 * seasonal naive error is zero), a model's errors per forecast step, MAPE's
 * zero rule and negative targets, the metrics JSON, predictions files with
 * their errors, ts-report's loss chart and its page (parts, error ratio,
 * per-step table, error signs, refused metrics), ts_plot's ticks, escaping
 * and chart parts; the edges of the arguments
 * (season 0, position -1, a bad split), the JSON's counts and times, and
 * season 0 for ts_metrics_write_test. */
#include "testutil.h"

#include <math.h>

#include "capture.h"
#include "ts_metrics.h"
#include "ts_plot.h"
#include "ts_report.h"

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}
#define NEAR near

/* An in-memory dataset over values (copied), as tsdata_read would give. */
static void make_data(struct tsdata *d, const double *v, size_t n, int64_t W, int64_t k,
		      int64_t season)
{
	memset(d, 0, sizeof(*d));
	d->series.values = malloc(n * sizeof(double));
	memcpy(d->series.values, v, n * sizeof(double));
	d->series.n = n;
	d->series.source = strdup("test");
	d->series.column = strdup("value");
	d->window = W;
	d->horizon = k;
	d->season = season;
	assert_int_equal(ts_split_bounds(n, 0.7, 0.15, (size_t)W, (size_t)k, (size_t)season,
					 &d->bounds), 0);
	assert_int_equal(ts_zscore_fit(v, d->bounds.bound[1], &d->mean, &d->std), 0);
	for (int s = 0; s < TS_NSPLITS; s++) {
		size_t lo = d->bounds.bound[s], hi = d->bounds.bound[s + 1];
		d->count[s] = ts_window_count(lo, hi, (size_t)W, (size_t)k);
		d->index[s] = malloc((d->count[s] + 1) * sizeof(int64_t));
		ts_window_fill(v, lo, hi, (size_t)W, (size_t)k, 0, 1, NULL, NULL, d->index[s]);
	}
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	assert_non_null(v);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void test_ramp_naive_error_is_slope(void **state)
{
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 2 + 3 * i;
	struct tsdata d;
	make_data(&d, v, 100, 5, 1, 0);
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, d.count[TS_TEST], TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_true(NEAR(num(m, "naive_rmse"), 3));
	assert_true(NEAR(num(m, "naive_mae"), 3));
	assert_true(json_is_null(json_object_get(m, "rmse")));
	assert_true(json_is_null(json_object_get(m, "mae")));
	assert_null(json_object_get(m, "seasonal_rmse"));
	assert_int_equal(json_integer_value(json_object_get(m, "n")), 15); /* 85..99 */
	/* MAPE: mean of 3 / (2 + 3 i) over the test targets, in percent */
	double ape = 0;
	for (int i = 85; i < 100; i++)
		ape += 3.0 / (2 + 3 * i);
	assert_true(NEAR(num(m, "naive_mape"), 100 * ape / 15));
	json_decref(m);

	/* perfect forecasts, normalised as a model outputs them: zero error */
	size_t rows = d.count[TS_TEST];
	double *p = malloc(rows * sizeof(double));
	for (size_t r = 0; r < rows; r++)
		p[r] = (v[d.index[TS_TEST][r]] - d.mean) / d.std;
	m = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_NORMALISED);
	assert_true(num(m, "rmse") < 1e-9);
	assert_true(num(m, "mae") < 1e-9);
	assert_true(num(m, "mse_normalised") < 1e-18);
	assert_true(NEAR(num(m, "rmse_vs_naive"), num(m, "rmse") / 3));
	json_t *fc = json_object_get(json_object_get(m, "predictions"), "forecast");
	assert_int_equal(json_array_size(fc), rows);
	assert_true(NEAR(json_number_value(json_array_get(json_array_get(fc, 0), 0)), 2 + 3 * 85));
	json_decref(m);

	/* forecasts one too high everywhere, in original units: rmse = mae = 1 */
	for (size_t r = 0; r < rows; r++)
		p[r] = v[d.index[TS_TEST][r]] + 1;
	m = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_ORIGINAL);
	assert_true(NEAR(num(m, "rmse"), 1));
	assert_true(NEAR(num(m, "mae"), 1));
	assert_true(NEAR(num(m, "mse_normalised"), 1 / (d.std * d.std)));
	json_decref(m);

	/* a wrong number of rows, a non-finite forecast */
	capture_begin();
	json_t *m1 = ts_metrics_build(&d, TS_TEST, p, rows - 1, TS_UNITS_ORIGINAL);
	p[3] = NAN;
	json_t *m2 = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_ORIGINAL);
	const char *msg = capture_end();
	assert_null(m1);
	assert_null(m2);
	assert_non_null(strstr(msg, "14 forecasts for the test split, which has 15 examples"));
	assert_non_null(strstr(msg, "not a finite number"));
	free(p);
	tsdata_free(&d);
}

static void test_ramp_horizon(void **state)
{
	/* k = 3: the naive error at step h is 3h (slope 3) */
	double v[200];
	for (int i = 0; i < 200; i++)
		v[i] = 5 - 3 * i;
	struct tsdata d;
	make_data(&d, v, 200, 8, 3, 4);
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, d.count[TS_TEST], TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_true(NEAR(num(m, "naive_rmse"), sqrt((9 + 36 + 81) / 3.0)));
	assert_true(NEAR(num(m, "naive_mae"), 6));
	json_t *ps = json_object_get(m, "per_step");
	assert_int_equal(json_array_size(ps), 3);
	for (int h = 0; h < 3; h++) {
		assert_true(NEAR(num(json_array_get(ps, h), "naive_rmse"), 3 * (h + 1)));
		/* seasonal naive, season 4: steps 1..3 look back 4 values: error 12 */
		assert_true(NEAR(num(json_array_get(ps, h), "seasonal_rmse"), 12));
	}
	assert_true(NEAR(num(m, "seasonal_mae"), 12));
	json_decref(m);
	tsdata_free(&d);
}

static void test_seasonal_naive(void **state)
{
	/* a pure season of 12: the seasonal naive forecast is exact at every
	 * step, also beyond one season (k = 15 looks back two seasons) */
	double v[400];
	for (int i = 0; i < 400; i++)
		v[i] = 10 + sin(2 * M_PI * i / 12.0) + 0.3 * ((i % 12) == 5);
	struct tsdata d;
	make_data(&d, v, 400, 24, 15, 12);
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, d.count[TS_TEST], TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_true(num(m, "seasonal_rmse") < 1e-9);
	assert_true(num(m, "naive_rmse") > 0.5);
	json_decref(m);

	/* positions directly: step h of origin i reads i + h - 12 (h / 12 + 1) */
	int64_t ix[1] = {30};
	double out[15];
	assert_int_equal(ts_seasonal_naive(v, ix, 1, 15, 12, out), 0);
	assert_true(out[0] == v[18]);
	assert_true(out[11] == v[29]);
	assert_true(out[12] == v[18]); /* 42 - 24 */
	assert_true(out[14] == v[20]);
	ix[0] = 5;
	capture_begin();
	int rc = ts_seasonal_naive(v, ix, 1, 1, 12, out);
	capture_end();
	assert_int_equal(rc, -1);
	tsdata_free(&d);
}

static void test_season_before_series_is_null(void **state)
{
	/* 400 values, W 24: train examples from 24, validation from 280,
	 * test from 340.  A season of 300 reaches before the series for the
	 * train and validation examples: those splits have the seasonal keys
	 * null and a note (ts-metrics --split train exited 1, "before the
	 * series starts"); the test split has its figures. */
	double v[400];
	for (int i = 0; i < 400; i++)
		v[i] = 10 + sin(2 * M_PI * i / 12.0) + 0.01 * i;
	struct tsdata d;
	make_data(&d, v, 400, 24, 2, 300);
	for (int s = 0; s < TS_NSPLITS; s++) {
		json_t *m = ts_metrics_build(&d, s, NULL, d.count[s], TS_UNITS_ORIGINAL);
		assert_non_null(m);
		const char *note = json_string_value(json_object_get(m, "seasonal_note"));
		const json_t *p = json_object_get(m, "predictions");
		const json_t *step = json_array_get(json_object_get(m, "per_step"), 1);
		assert_int_equal(json_integer_value(json_object_get(m, "season")), 300);
		assert_true(isfinite(num(m, "naive_rmse")));
		if (s == TS_TEST) {
			assert_null(note);
			assert_true(isfinite(num(m, "seasonal_rmse")));
			assert_true(isfinite(num(step, "seasonal_mae")));
			assert_non_null(json_object_get(p, "seasonal"));
		} else {
			assert_non_null(note);
			assert_non_null(strstr(note, "before the series starts"));
			assert_true(json_is_null(json_object_get(m, "seasonal_rmse")));
			assert_true(json_is_null(json_object_get(m, "seasonal_mae")));
			assert_true(json_is_null(json_object_get(m, "seasonal_mape")));
			assert_true(json_is_null(json_object_get(step, "seasonal_rmse")));
			assert_null(json_object_get(p, "seasonal"));
		}
		json_decref(m);
	}
	/* validation: only its first examples (280 .. 299) lack one; still none */
	d.season = 290;
	json_t *m = ts_metrics_build(&d, TS_VALIDATION, NULL, d.count[TS_VALIDATION],
				     TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_non_null(strstr(json_string_value(json_object_get(m, "seasonal_note")),
			       "for 10 of the 59 validation examples"));
	json_decref(m);
	tsdata_free(&d);
}

/* A model's errors with k = 2, by hand: forecasts 1 too high at step 1
 * and 2 too low at step 2, in original units.  Per step: rmse = mae = 1
 * and 2, MAPE the mean of 1/|y| and 2/|y| over that step's targets;
 * overall rmse sqrt((1 + 4) / 2), mae 1.5; mse_normalised is the mean of
 * the squared errors divided by std^2 over all rows * k values. */
static void test_model_errors_per_step(void **state)
{
	double v[120];
	for (int i = 0; i < 120; i++)
		v[i] = 50 + 20 * sin(i / 7.0) + 0.5 * i;
	struct tsdata d;
	make_data(&d, v, 120, 6, 2, 0);
	size_t rows = d.count[TS_TEST];
	const int64_t *ix = d.index[TS_TEST];
	double *p = malloc(rows * 2 * sizeof(double)), ape[2] = {0, 0};
	for (size_t r = 0; r < rows; r++) {
		p[2 * r] = v[ix[r]] + 1;
		p[2 * r + 1] = v[ix[r] + 1] - 2;
		ape[0] += 1 / fabs(v[ix[r]]);
		ape[1] += 2 / fabs(v[ix[r] + 1]);
	}
	json_t *m = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_true(NEAR(num(m, "rmse"), sqrt(2.5)));
	assert_true(NEAR(num(m, "mae"), 1.5));
	assert_true(NEAR(num(m, "mape"), 100 * (ape[0] + ape[1]) / (2.0 * rows)));
	assert_true(NEAR(num(m, "mse_normalised"), 2.5 / (d.std * d.std)));
	json_t *ps = json_object_get(m, "per_step");
	assert_int_equal(json_array_size(ps), 2);
	for (int h = 0; h < 2; h++) {
		json_t *s = json_array_get(ps, h);
		assert_int_equal(json_integer_value(json_object_get(s, "step")), h + 1);
		assert_true(NEAR(num(s, "rmse"), h + 1));
		assert_true(NEAR(num(s, "mae"), h + 1));
		assert_true(NEAR(num(s, "mape"), 100 * ape[h] / rows));
	}
	json_decref(m);
	free(p);
	tsdata_free(&d);
}

static void test_mape_skips_zero(void **state)
{
	double truth[4] = {0, 2, 0, 4}, pred[4] = {1, 3, -1, 2};
	struct ts_err e;
	ts_err_compute(truth, pred, 4, 1, &e);
	assert_int_equal(e.n, 4);
	assert_int_equal(e.n_mape, 2);
	assert_true(NEAR(e.mape, 100 * (0.5 + 0.5) / 2));
	assert_true(NEAR(e.mae, (1 + 1 + 1 + 2) / 4.0));
	assert_true(NEAR(e.rmse, sqrt((1 + 1 + 1 + 4) / 4.0)));
	double z[2] = {0, 0};
	ts_err_compute(z, pred, 2, 1, &e);
	assert_true(isnan(e.mape));
	/* negative targets: |error / target|, positive (1/2 and 1/4) */
	double tneg[2] = {-2, 4}, pneg[2] = {-3, 5};
	ts_err_compute(tneg, pneg, 2, 1, &e);
	assert_true(NEAR(e.mape, 100 * (0.5 + 0.25) / 2));
	/* strided: step 2 of (2, 2) */
	double t2[4] = {1, 10, 2, 20}, p2[4] = {1, 11, 2, 23};
	ts_err_compute(t2 + 1, p2 + 1, 2, 2, &e);
	assert_true(NEAR(e.mae, 2));

	/* in the JSON: the count of skipped targets, and null (not NaN) when
	 * every target is zero */
	double v[60] = {0};
	for (int i = 0; i < 60; i++)
		v[i] = i < 45 ? i % 3 : 0;
	struct tsdata d;
	make_data(&d, v, 60, 4, 1, 0);
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, d.count[TS_TEST], TS_UNITS_ORIGINAL);
	assert_true(json_is_null(json_object_get(m, "naive_mape")));
	assert_int_equal(json_integer_value(json_object_get(m, "mape_skipped_zero")), 9);
	assert_int_equal(json_integer_value(json_object_get(m, "mape_n")), 0);
	json_decref(m);
	tsdata_free(&d);
}

static void test_write_and_predictions_file(void **state)
{
	double v[120];
	for (int i = 0; i < 120; i++)
		v[i] = 100 + 10 * sin(i / 5.0) + i;
	struct tsdata d;
	make_data(&d, v, 120, 6, 2, 0);
	size_t rows = d.count[TS_TEST];
	assert_int_equal(rows, 17); /* targets in [102, 120), k = 2 */

	/* a predictions file: comments, blank lines, commas and spaces */
	char *text = malloc(4096);
	size_t len = (size_t)sprintf(text, "# step1 step2\n\n");
	for (size_t r = 0; r < rows; r++)
		len += (size_t)sprintf(text + len, "%.17g%s%.17g\n", 0.25 + (double)r,
				       r % 2 ? ", " : "\t", -0.5);
	write_file(test_path("p.txt"), text, len);
	double *p;
	assert_int_equal(ts_predictions_read(test_path("p.txt"), rows, 2, &p), 0);
	assert_true(p[0] == 0.25 && p[1] == -0.5 && p[2 * 16] == 16.25);

	json_t *m = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_NORMALISED);
	assert_non_null(m);
	const char *out = test_path("sub/metrics.json");
	assert_int_equal(ts_metrics_write(out, m), 0);
	json_decref(m);
	json_error_t je;
	json_t *back = json_load_file(out, 0, &je);
	assert_non_null(back);
	const char *keys[] = {"rmse", "mae", "naive_rmse", "naive_mae", "mape", "naive_mape",
			      "n", "per_step", "predictions"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		assert_non_null(json_object_get(back, keys[i]));
	/* forecast in original units: p * std + mean */
	json_t *fc = json_object_get(json_object_get(back, "predictions"), "forecast");
	double f00 = json_number_value(json_array_get(json_array_get(fc, 0), 0));
	assert_true(NEAR(f00, 0.25 * d.std + d.mean));
	json_decref(back);
	free(p);

	/* errors, each with file:line */
	struct {
		const char *text, *want;
	} bad[] = {
		{"1 2\n1\n", ":2: 1 number, expected 2 (the horizon)"},
		{"1 2\n1 x\n", ":2: 'x' is not a number"},
		/* decimal numbers only, as every series reader (0x10 was 16) */
		{"1 2\n0x10 1\n", ":2: '0x10' is not a number"},
		{"1 2\n1 2 3\n", ":2: 3 numbers, expected 2"},
		{"1 2\nnan 1\n", ":2: 'nan' is not a finite number"},
		{"1 2\n", ":1: 1 forecast line, expected 17"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		write_file(test_path("bad.txt"), bad[i].text, strlen(bad[i].text));
		capture_begin();
		int rc = ts_predictions_read(test_path("bad.txt"), rows, 2, &p);
		const char *msg = capture_end();
		assert_int_equal(rc, -1);
		char want[4200];
		snprintf(want, sizeof(want), "%s%s", test_path("bad.txt"), bad[i].want);
		if (!strstr(msg, want)) {
			print_error("expected '%s' in: %s\n", want, msg);
			fail();
		}
	}
	/* one line too many */
	len = 0;
	for (size_t r = 0; r <= rows; r++)
		len += (size_t)sprintf(text + len, "1 2\n");
	write_file(test_path("bad.txt"), text, len);
	capture_begin();
	int rc = ts_predictions_read(test_path("bad.txt"), rows, 2, &p);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(msg, ":18: more than 17 forecast lines"));
	free(text);
	tsdata_free(&d);
}

/* The one-call path evaluate uses: dataset file in, metrics file out. */
static void test_write_test_from_file(void **state)
{
	struct tsdata w;
	memset(&w, 0, sizeof(w));
	struct ts_synth sp = {.n = 400, .waves = 1, .period = {20}, .amp = {3}, .noise = 0.2,
			      .seed = 4};
	assert_int_equal(tseries_synthetic(&sp, &w.series), 0);
	w.window = 20;
	w.horizon = 1;
	w.season = 20;
	w.train_frac = 0.7;
	w.val_frac = 0.15;
	assert_int_equal(ts_split_bounds(400, 0.7, 0.15, 20, 1, 20, &w.bounds), 0);
	assert_int_equal(ts_zscore_fit(w.series.values, w.bounds.bound[1], &w.mean, &w.std), 0);
	const char *ds = test_path("ds.h5");
	assert_int_equal(tsfile_write(ds, &w, NULL), 0);

	/* the normalised targets themselves: zero error */
	struct tsdata d;
	assert_int_equal(tsdata_read(ds, &d), 0);
	float *tg;
	size_t n;
	assert_int_equal(tsfile_read_split(ds, &d, TS_TEST, NULL, &tg, &n), 0);
	const char *out = test_path("m.json");
	assert_int_equal(ts_metrics_write_test(out, ds, tg, n, d.mean, d.std, 0.125, -1), 0);
	json_error_t je;
	json_t *m = json_load_file(out, 0, &je);
	assert_non_null(m);
	/* float32 targets: error within float rounding of the values */
	assert_true(num(m, "rmse") < 1e-5);
	assert_true(NEAR(num(m, "loss"), 0.125));
	assert_true(num(m, "seasonal_rmse") < num(m, "naive_rmse"));
	assert_string_equal(json_string_value(json_object_get(m, "dataset")), ds);
	json_decref(m);
	free(tg);
	tsdata_free(&d);
	tsdata_free(&w);
}

/* The y pixel of each point of the line named name in svg (2 points). */
static void line_ys(const char *svg, const char *name, double y[2])
{
	char key[128];
	snprintf(key, sizeof(key), "<title>%s</title><polyline points=\"", name);
	const char *p = strstr(svg, key);
	double x[2];
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), "%lf,%lf %lf,%lf", &x[0], &y[0], &x[1], &y[1]), 4);
}

/* ts-report's loss chart draws the log's loss as "train loss" and val_loss
 * as "validation loss": losses 0.8, 0.4 (train) and 0.9, 0.6 (validation)
 * put the points, top (small y) to bottom, validation 1, train 1,
 * validation 2, train 2. */
static void test_report_loss_chart(void **state)
{
	(void)state;
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 2 + 3 * i;
	struct tsdata d;
	make_data(&d, v, 100, 5, 1, 0);
	const char *log = test_path("log.jsonl");
	const char *lt = "{\"epoch\": 1, \"loss\": 0.8, \"val_loss\": 0.9}\n"
			 "{\"epoch\": 2, \"loss\": 0.4, \"val_loss\": 0.6}\n";
	write_file(log, lt, strlen(lt));
	char *page;
	size_t len;
	struct ts_report_summary sum;
	assert_int_equal(ts_report_render(&d, NULL, "test.h5", log, 1, &page, &len, &sum), 0);
	assert_int_equal(sum.epochs, 2);
	assert_null(strstr(page, "<th>step</th>")); /* horizon 1: no per-step table */
	const char *chart = strstr(page, "Loss per epoch");
	assert_non_null(chart);
	double tr[2], va[2];
	line_ys(chart, "train loss", tr);
	line_ys(chart, "validation loss", va);
	assert_true(va[0] < tr[0] && tr[0] < va[1] && va[1] < tr[1]);
	free(page);
	tsdata_free(&d);
}

/* Renders the report of d from the metrics object m (written to a file)
 * at forecast step 1; the page (free) or NULL, and the summary. */
static char *render_metrics(const struct tsdata *d, const json_t *m, struct ts_report_summary *sum)
{
	const char *path = test_path("page-metrics.json");
	assert_int_equal(json_dump_file(m, path, 0), 0);
	char *page;
	size_t len;
	memset(sum, 0, sizeof(*sum));
	if (ts_report_render(d, path, "test.h5", NULL, 1, &page, &len, sum))
		return NULL;
	return page;
}

/* The same metrics edited by code, rendered: -1 expected, with err in the
 * message. */
static void refused(const struct tsdata *d, json_t *m, const char *err)
{
	struct ts_report_summary sum;
	capture_begin();
	char *page = render_metrics(d, m, &sum);
	const char *msg = capture_end();
	assert_null(page);
	assert_non_null(strstr(msg, err));
	json_decref(m);
}

/* What the report page says about a model whose forecasts are the truth
 * + 1 on a ramp (step 3): the positions and examples of each part, the
 * ratio of RMSEs, the per-step table (horizon 2), the sign of the errors
 * (model +1 above naive's -3 in the error chart), the summary; metrics
 * of another split or horizon, an index outside the series and no naive
 * forecasts are refused; a model without its rmse counts as none; season
 * 0 draws no seasonal row. */
static void test_report_page(void **state)
{
	(void)state;
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 2 + 3 * i;
	struct tsdata d;
	make_data(&d, v, 100, 5, 2, 0);
	size_t rows = d.count[TS_TEST];
	double *pred = malloc(rows * 2 * sizeof(double));
	for (size_t r = 0; r < rows; r++)
		for (int h = 0; h < 2; h++)
			pred[r * 2 + h] = v[d.index[TS_TEST][r] + h] + 1;
	json_t *m = ts_metrics_build(&d, TS_TEST, pred, rows, TS_UNITS_ORIGINAL);
	assert_non_null(m);
	struct ts_report_summary sum;
	char *page = render_metrics(&d, m, &sum);
	assert_non_null(page);
	assert_int_equal(sum.forecasts, rows);
	assert_int_equal(sum.have_model, 1);
	const size_t *b = d.bounds.bound;
	char want[256];
	for (int s = 0; s < TS_NSPLITS; s++) {
		snprintf(want, sizeof(want),
			 "<tr><td class=\"l\">%s</td><td>%zu&ndash;%zu</td><td class=\"l\">%zu</td>"
			 "<td class=\"l\">%zu</td><td>%zu</td></tr>",
			 ts_split_names[s], b[s], b[s + 1] - 1, b[s], b[s + 1] - 1, d.count[s]);
		assert_non_null(strstr(page, want));
	}
	snprintf(want, sizeof(want), "Model RMSE / naive RMSE = %.3f", 1.0 / sqrt((9 + 36) / 2.0));
	assert_non_null(strstr(page, want));
	assert_non_null(strstr(page, "<th>step</th>"));
	const char *chart = strstr(page, "Error over the test period");
	assert_non_null(chart);
	double ym[2], yn[2];
	line_ys(chart, "model", ym);
	line_ys(chart, "naive", yn);
	assert_true(ym[0] < yn[0] && ym[1] < yn[1]); /* +1 drawn above -3 */
	free(page);

	/* a forecast cell that is not a number (null) is a gap in the model's
	 * lines, not a point at 0: two pieces in each chart of step 1 */
	json_t *e = json_deep_copy(m);
	json_t *fc = json_object_get(json_object_get(e, "predictions"), "forecast");
	assert_int_equal(json_array_set_new(json_array_get(fc, 2), 0, json_null()), 0);
	assert_non_null(page = render_metrics(&d, e, &sum));
	int lines = 0;
	for (const char *at = page; (at = strstr(at, "<title>model</title>")); at++, lines++) {
		const char *end = strstr(at, "</g>");
		int pieces = 0;
		for (const char *q = at; (q = strstr(q, "<polyline")) && q < end; q++)
			pieces++;
		assert_int_equal(pieces, 2);
	}
	assert_int_equal(lines, 2); /* the forecast and its error */
	free(page);
	json_decref(e);

	e = json_deep_copy(m);
	json_object_set_new(e, "rmse", json_null());
	assert_non_null(page = render_metrics(&d, e, &sum));
	assert_int_equal(sum.have_model, 0);
	assert_non_null(strstr(page, "No model forecasts yet"));
	free(page);
	json_decref(e);
	e = json_deep_copy(m);
	json_object_set_new(e, "season", json_integer(0));
	assert_non_null(page = render_metrics(&d, e, &sum));
	assert_null(strstr(page, "seasonal naive: value"));
	free(page);
	json_decref(e);

	e = json_deep_copy(m);
	json_object_set_new(e, "split", json_string("validation"));
	refused(&d, e, "metrics of the validation split");
	e = json_deep_copy(m);
	json_object_set_new(e, "horizon", json_integer(3));
	refused(&d, e, "horizon 3, the dataset's is 2");
	e = json_deep_copy(m);
	json_t *ix = json_object_get(json_object_get(e, "predictions"), "index");
	json_array_set_new(ix, 0, json_integer(0));
	refused(&d, e, "predictions.index[0] is not a position");
	e = json_deep_copy(m);
	ix = json_object_get(json_object_get(e, "predictions"), "index");
	json_array_set_new(ix, rows - 1, json_integer(100 - 2 + 1)); /* its step 2 is past the end */
	refused(&d, e, "is not a position");
	e = json_deep_copy(m);
	json_object_del(json_object_get(e, "predictions"), "naive");
	refused(&d, e, "predictions need 'truth' and 'naive' arrays");

	json_decref(m);
	free(pred);
	tsdata_free(&d);
}

/* Renders chart c into a malloc'd string (free). */
static char *svg_of(const struct tsplot_chart *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	assert_int_equal(tsplot_svg(f, c), 0);
	fclose(f);
	return s;
}

static int count_of(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* ts_plot.h's charts: ticks at 1, 2 or 5 times a power of ten (whole ones
 * when asked, the first at or above lo, the last at or below hi); HTML
 * escaping; a line broken at a NaN with a marker per finite point; the
 * zero rule; bands widen the x range; y is padded by 5%; tick labels
 * with the decimals the step needs; time labels only for 0..nxlabels-1;
 * a legend entry per named line; "no data" when nothing is finite. */
static void test_tsplot(void **state)
{
	(void)state;
	double first, step;
	assert_int_equal(tsplot_ticks(0, 10, 5, 0, &first, &step), 6);
	assert_true(first == 0 && step == 2);
	assert_int_equal(tsplot_ticks(0.5, 3, 10, 1, &first, &step), 3);
	assert_true(first == 1 && step == 1);
	assert_int_equal(tsplot_ticks(0.5, 3, 10, 0, &first, &step), 6);
	assert_true(first == 0.5 && step == 0.5);

	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	tsplot_html(f, "a&b<\"c\">'");
	fclose(f);
	assert_string_equal(s, "a&amp;b&lt;&quot;c&quot;&gt;&#39;");
	free(s);

	double x[4] = {0, 1, 2, 3}, y[4] = {-1, NAN, 1, 2};
	struct tsplot_line l = {"a", x, y, 4, "#123456", TSPLOT_SOLID, 1, 1};
	struct tsplot_band band = {0, 10, "wide", "#eeeeee"};
	char *labels[5] = {"t0", "t1", "t2", "t3", "BAD"};
	struct tsplot_chart c = {"t", "x", "y", 0, 0, &l, 1, &band, 1, NULL, 0, 0, 1};
	s = svg_of(&c);
	assert_int_equal(count_of(s, "<polyline"), 2); /* broken at the NaN */
	assert_int_equal(count_of(s, "<circle"), 3);
	assert_non_null(strstr(s, "stroke=\"#666\"/>")); /* the zero rule */
	assert_non_null(strstr(s, ">10</text>"));       /* x to the band's end */
	assert_non_null(strstr(s, ">-1</text>"));       /* y -1.15..2.15: step 1 */
	assert_null(strstr(s, ">-1.0</text>"));
	assert_non_null(strstr(s, "stroke-width=\"2.5\"")); /* the legend's line */
	free(s);

	c.nbands = 0; /* x 0..3: ticks every 0.5, one decimal */
	s = svg_of(&c);
	assert_non_null(strstr(s, ">0.5</text>"));
	free(s);

	band.x1 = 4; /* a tick at x = 4, past the labels */
	c.nbands = 1;
	c.xlabels = labels;
	c.nxlabels = 4;
	s = svg_of(&c);
	assert_non_null(strstr(s, ">t3</text>"));
	assert_null(strstr(s, "BAD"));
	free(s);

	double none[4] = {NAN, NAN, NAN, NAN};
	l.y = none;
	s = svg_of(&c);
	assert_non_null(strstr(s, ">no data</text>"));
	assert_null(strstr(s, "<polyline"));
	free(s);
}

/* The edges of the arguments and of the JSON: the seasonal forecast that
 * needs position -1 (one before the series), season 0, a split out of
 * range; the skipped-zero count over every (row, step) value; the time of
 * each example when the series has times; "mape_n" without forecasts;
 * season 0 given to ts_metrics_write_test turns the seasonal baseline off;
 * ts_metrics_str; the file's final newline. */
static void test_edges(void **state)
{
	double v[120];
	for (int i = 0; i < 120; i++)
		v[i] = i % 4 ? 10 + i : 0; /* a zero target every 4 values */
	double out[4];
	int64_t ix[1] = {2};
	capture_begin();
	int rc = ts_seasonal_naive(v, ix, 1, 1, 3, out); /* 2 - 3 = -1 */
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "needs the value at -1"));
	assert_int_equal(ts_seasonal_naive(v, ix, 1, 1, 2, out), 0); /* 2 - 2 = 0 */
	assert_true(out[0] == v[0]);
	capture_begin();
	rc = ts_seasonal_naive(v, ix, 1, 1, 0, out);
	err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "at least 1"));

	struct tsdata d;
	make_data(&d, v, 120, 6, 2, 0);
	capture_begin();
	assert_null(ts_metrics_build(&d, TS_NSPLITS, NULL, 0, TS_UNITS_ORIGINAL));
	assert_non_null(strstr(capture_end(), "bad split"));
	/* times: each example's is that of its first target */
	d.series.times = calloc(120, sizeof(char *));
	for (int i = 0; i < 120; i++) {
		char t[16];
		snprintf(t, sizeof(t), "t%03d", i);
		d.series.times[i] = strdup(t);
	}
	size_t rows = d.count[TS_TEST], nv = rows * 2, zeros = 0;
	for (size_t r = 0; r < rows; r++)
		for (int h = 0; h < 2; h++)
			zeros += v[d.index[TS_TEST][r] + h] == 0;
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, rows, TS_UNITS_ORIGINAL);
	assert_non_null(m);
	assert_true(zeros > 0);
	assert_int_equal(json_integer_value(json_object_get(m, "mape_skipped_zero")), zeros);
	assert_int_equal(json_integer_value(json_object_get(m, "mape_n")), nv - zeros);
	const json_t *tm = json_object_get(json_object_get(m, "predictions"), "time");
	assert_int_equal(json_array_size(tm), rows);
	char want[16];
	snprintf(want, sizeof(want), "t%03d", (int)d.index[TS_TEST][rows - 1]);
	assert_string_equal(json_string_value(json_array_get(tm, rows - 1)), want);
	/* ts_metrics_str: 6 significant digits, null for null or absent */
	char buf[32];
	json_object_set_new(m, "x", json_real(1.23456789));
	assert_string_equal(ts_metrics_str(m, "x", buf, sizeof(buf)), "1.23457");
	assert_string_equal(ts_metrics_str(m, "rmse", buf, sizeof(buf)), "null");
	assert_string_equal(ts_metrics_str(m, "no such key", buf, sizeof(buf)), "null");
	/* the file ends with one newline */
	const char *out_path = test_path("edges.json");
	assert_int_equal(ts_metrics_write(out_path, m), 0);
	json_decref(m);
	FILE *f = fopen(out_path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, -2, SEEK_END), 0);
	assert_true(fgetc(f) == '}' && fgetc(f) == '\n');
	fclose(f);
	tsdata_free(&d);
}

/* ts_metrics_write_test with season 0: no seasonal baseline, although the
 * dataset has a season; -1 keeps the dataset's. */
static void test_write_test_season_off(void **state)
{
	struct tsdata w;
	memset(&w, 0, sizeof(w));
	struct ts_synth sp = {.n = 200, .waves = 1, .period = {10}, .amp = {3}, .seed = 5};
	assert_int_equal(tseries_synthetic(&sp, &w.series), 0);
	w.window = 10, w.horizon = 1, w.season = 10, w.train_frac = 0.7, w.val_frac = 0.15;
	assert_int_equal(ts_split_bounds(200, 0.7, 0.15, 10, 1, 10, &w.bounds), 0);
	assert_int_equal(ts_zscore_fit(w.series.values, w.bounds.bound[1], &w.mean, &w.std), 0);
	const char *ds = test_path("season.h5");
	assert_int_equal(tsfile_write(ds, &w, NULL), 0);
	size_t n = ts_window_count(w.bounds.bound[2], w.bounds.bound[3], 10, 1);
	float *p = calloc(n, sizeof(float));
	const char *out = test_path("season.json");
	for (long season = -1; season <= 0; season++) {
		assert_int_equal(ts_metrics_write_test(out, ds, p, n, 0, 1, NAN, season), 0);
		json_error_t je;
		json_t *m = json_load_file(out, 0, &je);
		assert_non_null(m);
		if (season < 0) {
			assert_int_equal(json_integer_value(json_object_get(m, "season")), 10);
			assert_true(json_is_number(json_object_get(m, "seasonal_rmse")));
		} else {
			assert_true(json_is_null(json_object_get(m, "season")));
			assert_null(json_object_get(m, "seasonal_rmse"));
		}
		json_decref(m);
	}
	free(p);
	tsdata_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ramp_naive_error_is_slope),
		cmocka_unit_test(test_ramp_horizon),
		cmocka_unit_test(test_seasonal_naive),
		cmocka_unit_test(test_season_before_series_is_null),
		cmocka_unit_test(test_model_errors_per_step),
		cmocka_unit_test(test_mape_skips_zero),
		cmocka_unit_test(test_write_and_predictions_file),
		cmocka_unit_test(test_write_test_from_file),
		cmocka_unit_test(test_report_loss_chart),
		cmocka_unit_test(test_report_page),
		cmocka_unit_test(test_tsplot),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_write_test_season_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
