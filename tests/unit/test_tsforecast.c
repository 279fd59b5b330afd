/* test_tsforecast.c - predict's time-series side (tsforecast.h, and the
 * value rules of tseries.h it shares with the CSV reader): the recursive
 * window shift (a fake model that continues a line, K < W, K = W, K > W,
 * fewer steps than K, a failing step), one value's parsing and shortest
 * formatting, and a saved regression model: the forecast is the forward
 * pass on the z-scored window mapped back with the stored mean and std;
 * beyond the horizon it is the same as feeding the forecasts back by hand;
 * too few values, a classifier and a multi-feature model are refused with
 * a message; ts_model_check's other refusals (normalisation, window and
 * horizon, their attributes) on metadata made in memory; a forecast that
 * is not finite. */
#include "testutil.h"

#include <math.h>

#include "capture.h"
#include "evaluate.h"
#include "modelfile.h"
#include "tseries.h"
#include "tsfile.h"
#include "tsforecast.h"

/* ---- the recursive shift, with a fake model ---- */

struct fake {
	size_t W, K;
	int calls, fail_at;
	double seen[8][8]; /* the windows it was given */
};

/* continues the line: step h after the window is last + h + 1 */
static int fake_next(void *ctx, const double *win, double *out)
{
	struct fake *f = ctx;
	if (f->calls == f->fail_at)
		return -1;
	memcpy(f->seen[f->calls++], win, sizeof(double) * f->W);
	for (size_t h = 0; h < f->K; h++)
		out[h] = win[f->W - 1] + (double)(h + 1);
	return 0;
}

static void check_run(size_t W, size_t K, size_t steps, const double *recent, int calls,
		      const double *want_windows /* (calls, W) */)
{
	struct fake f = {.W = W, .K = K, .fail_at = -1};
	double out[32];
	assert_int_equal(ts_forecast_recursive(fake_next, &f, recent, W, K, steps, out), 0);
	assert_int_equal(f.calls, calls);
	for (size_t i = 0; i < steps; i++)
		assert_true(out[i] == recent[W - 1] + (double)(i + 1));
	for (int c = 0; c < calls; c++)
		for (size_t j = 0; j < W; j++)
			assert_true(f.seen[c][j] == want_windows[c * W + j]);
}

static void test_recursive_shift(void **state)
{
	(void)state;
	const double r3[3] = {1, 2, 3};
	/* K = 1: one new value per round */
	const double w1[] = {1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7};
	check_run(3, 1, 5, r3, 5, w1);
	/* K = 2 < W: two per round, the last round's extra value dropped */
	const double w2[] = {1, 2, 3, 3, 4, 5, 5, 6, 7};
	check_run(3, 2, 5, r3, 3, w2);
	/* K = W: the window is the last round's forecasts */
	const double w3[] = {1, 2, 3, 4, 5, 6};
	check_run(3, 3, 6, r3, 2, w3);
	/* K > W: only the latest forecasts stay */
	const double r2[2] = {10, 20};
	const double w4[] = {10, 20, 22, 23, 25, 26};
	check_run(2, 3, 7, r2, 3, w4);
	/* fewer steps than the horizon: one round, cut */
	check_run(2, 3, 1, r2, 1, w4);
	/* the caller's values are not touched */
	assert_true(r3[0] == 1 && r3[1] == 2 && r3[2] == 3);
	/* a failing step fails the whole forecast */
	struct fake f = {.W = 3, .K = 1, .fail_at = 2};
	double out[8];
	assert_int_equal(ts_forecast_recursive(fake_next, &f, r3, 3, 1, 5, out), -1);
	capture_begin();
	assert_int_equal(ts_forecast_recursive(fake_next, &f, r3, 3, 1, 0, out), -1);
	assert_non_null(strstr(capture_end(), "steps 0"));
}

/* ---- one value ---- */

static void test_parse_and_format(void **state)
{
	(void)state;
	double x = 0;
	assert_int_equal(ts_parse_value(" 12.5 ", &x), TS_VALUE_OK);
	assert_true(x == 12.5);
	assert_int_equal(ts_parse_value("-3e2", &x), TS_VALUE_OK);
	assert_true(x == -300);
	assert_int_equal(ts_parse_value("112\r", &x), TS_VALUE_OK); /* CRLF line ends */
	assert_int_equal(ts_parse_value("", &x), TS_VALUE_EMPTY);
	assert_int_equal(ts_parse_value("  \t", &x), TS_VALUE_EMPTY);
	assert_int_equal(ts_parse_value("abc", &x), TS_VALUE_NOT_NUMBER);
	assert_int_equal(ts_parse_value("12x", &x), TS_VALUE_NOT_NUMBER);
	assert_int_equal(ts_parse_value("1 2", &x), TS_VALUE_NOT_NUMBER);
	/* decimal numbers only: strtod's hexadecimal floats were read (0x10 as 16) */
	assert_int_equal(ts_parse_value("0x10", &x), TS_VALUE_NOT_NUMBER);
	assert_int_equal(ts_parse_value(" -0X1p3 ", &x), TS_VALUE_NOT_NUMBER);
	assert_int_equal(ts_parse_value("+.5E-1", &x), TS_VALUE_OK);
	assert_true(x == 0.05);
	assert_int_equal(ts_parse_value("1e400", &x), TS_VALUE_NOT_NUMBER); /* overflow */
	assert_int_equal(ts_parse_value("inf", &x), TS_VALUE_NOT_FINITE);
	assert_int_equal(ts_parse_value("NaN", &x), TS_VALUE_NOT_FINITE);
	char buf[32];
	ts_format_double(buf, sizeof(buf), 0.1);
	assert_string_equal(buf, "0.1");
	ts_format_double(buf, sizeof(buf), 432.0);
	assert_string_equal(buf, "432");
	const double hard[] = {1.0 / 3, 2.0 / 3 * 1e-7, 406.00000000000006, -0.0, 1e300};
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
		ts_format_double(buf, sizeof(buf), hard[i]);
		assert_true(strtod(buf, NULL) == hard[i]);
	}
}

/* ---- a saved regression model ---- */

enum { W = 5, K = 2, H = 4 };
static const double MEAN = 100, STD = 10;

static void save_model(const char *path, struct rnn_config c, int n_norm, float **params)
{
	struct model_meta m;
	memset(&m, 0, sizeof(m));
	m.cfg = c;
	m.max_len = W;
	m.truncation = strdup("none");
	m.producer = strdup("test");
	m.dataset = strdup("ts.h5");
	if (c.task == RNN_TASK_CLASSIFY) {
		m.labels[m.n_labels++] = strdup("negative");
		m.labels[m.n_labels++] = strdup("positive");
		m.vocab_size = (uint32_t)c.vocab;
	}
	m.n_norm = n_norm;
	if (n_norm) {
		m.norm_mean = malloc(sizeof(double) * n_norm);
		m.norm_std = malloc(sizeof(double) * n_norm);
		for (int i = 0; i < n_norm; i++) {
			m.norm_mean[i] = MEAN;
			m.norm_std[i] = STD;
		}
	}
	struct rnn_layout l;
	assert_int_equal(rnn_config_check(&m.cfg), 0);
	assert_int_equal(rnn_layout_build(&m.cfg, &l), 0);
	float *p = rnn_alloc_floats(l.total);
	rnn_params_init(&l, p, 7);
	assert_int_equal(modelfile_save(path, &m, p), 0);
	model_meta_free(&m);
	if (params)
		*params = p;
	else
		free(p);
}

static struct rnn_config regress_cfg(void)
{
	return (struct rnn_config){.cell = RNN_CELL_GRU, .task = RNN_TASK_REGRESS,
				   .input_size = 1, .hidden = H, .layers = 1, .outputs = K,
				   .pool = RNN_POOL_LAST};
}

static void test_model_forecast(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("reg.h5"));
	float *params;
	save_model(path, regress_cfg(), 1, &params);
	struct ts_forecaster *f = ts_forecaster_open(path);
	assert_non_null(f);
	assert_int_equal(f->window, W);
	assert_int_equal(f->horizon, K);
	assert_true(f->mean == MEAN && f->std == STD);

	/* the forward pass by hand, on a model of its own */
	const double series[7] = {95, 104, 111, 99, 87, 93, 120};
	struct rnn_config c = regress_cfg();
	assert_int_equal(rnn_config_check(&c), 0);
	struct rnn_model *m = rnn_model_create(&c, 1, W, 0);
	assert_non_null(m);
	memcpy(m->params, params, sizeof(float) * m->layout.total);
	float x[W];
	for (int j = 0; j < W; j++)
		x[j] = (float)((series[2 + j] - MEAN) / STD);
	int32_t len = W;
	struct rnn_batch b = {.B = 1, .T = W, .inputs = x, .lengths = &len};
	assert_int_equal(rnn_model_forward(m, &b, NULL), 0);
	double want[K];
	for (int h = 0; h < K; h++)
		want[h] = (double)m->out[h] * STD + MEAN;

	double out[6];
	assert_int_equal(ts_forecaster_next(f, series + 2, out), 0);
	for (int h = 0; h < K; h++)
		assert_true(out[h] == want[h]);
	/* forecast() takes the last W of all 7 values */
	assert_int_equal(ts_forecaster_forecast(f, series, 7, K, out), 0);
	for (int h = 0; h < K; h++)
		assert_true(out[h] == want[h]);
	/* 5 steps: the direct 2, then the forecasts fed back by hand */
	double out5[5], win[W], again[K];
	assert_int_equal(ts_forecaster_forecast(f, series, 7, 5, out5), 0);
	assert_true(out5[0] == want[0] && out5[1] == want[1]);
	win[0] = series[4], win[1] = series[5], win[2] = series[6], win[3] = want[0],
	win[4] = want[1];
	assert_int_equal(ts_forecaster_next(f, win, again), 0);
	assert_true(out5[2] == again[0] && out5[3] == again[1]);
	/* too few values */
	capture_begin();
	assert_int_equal(ts_forecaster_forecast(f, series, 4, 1, out), -1);
	assert_non_null(strstr(capture_end(), "4 values given; the model needs the last 5"));
	ts_forecaster_close(f);
	rnn_model_free(m);
	free(params);
}

static void test_model_refused(void **state)
{
	(void)state;
	char path[4096];
	/* a review classifier */
	snprintf(path, sizeof(path), "%s", test_path("cls.h5"));
	save_model(path, (struct rnn_config){.cell = RNN_CELL_RNN, .task = RNN_TASK_CLASSIFY,
					     .vocab = 20, .embed = 3, .hidden = 3, .layers = 1,
					     .outputs = 2, .pool = RNN_POOL_MEAN},
		   0, NULL);
	capture_begin();
	assert_null(ts_forecaster_open(path));
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "cls.h5"));
	assert_non_null(strstr(txt, "not a time-series (regression) model"));
	/* two input features */
	struct rnn_config c = regress_cfg();
	c.input_size = 2;
	snprintf(path, sizeof(path), "%s", test_path("two.h5"));
	save_model(path, c, 2, NULL);
	capture_begin();
	assert_null(ts_forecaster_open(path));
	assert_non_null(strstr(capture_end(), "reads 2 features per time step"));
	/* evaluate --task regress checks the model as predict does: it fed
	 * such a model W floats per window where it reads 2 W */
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	struct ts_synth sp = {.n = 200, .waves = 1, .period = {10}, .amp = {3}, .seed = 2};
	assert_int_equal(tseries_synthetic(&sp, &d.series), 0);
	d.window = W, d.horizon = K, d.season = 10, d.train_frac = 0.7, d.val_frac = 0.15;
	assert_int_equal(ts_split_bounds(200, 0.7, 0.15, W, K, 10, &d.bounds), 0);
	d.mean = MEAN, d.std = STD;
	char ds[4096];
	snprintf(ds, sizeof(ds), "%s", test_path("ts.h5"));
	assert_int_equal(tsfile_write(ds, &d, NULL), 0);
	tsdata_free(&d);
	const char *out = test_path_kept("metrics.json");
	capture_begin();
	assert_int_equal(evaluate_series(path, ds, out, 4, DEVICE_CPU, 0), -1);
	assert_non_null(strstr(capture_end(), "reads 2 features per time step"));
	assert_int_equal(access(out, F_OK), -1);
	/* no normalisation stored: values go in as they are */
	snprintf(path, sizeof(path), "%s", test_path("raw.h5"));
	save_model(path, regress_cfg(), 0, NULL);
	struct ts_forecaster *f = ts_forecaster_open(path);
	assert_non_null(f);
	assert_true(f->mean == 0 && f->std == 1);
	ts_forecaster_close(f);
}

/* ts_model_check on metadata made here: each refusal names the model and
 * what is wrong; std, mean and the window/horizon attributes are checked. */
static const char *check_msg(const struct model_meta *mm, int want_rc)
{
	int w = 0, k = 0;
	double mean = 0, std = 0;
	capture_begin();
	int rc = ts_model_check(mm, "m.h5", &w, &k, &mean, &std);
	const char *err = capture_end();
	assert_int_equal(rc, want_rc);
	if (!rc)
		assert_true(w == W && k == K && mean == MEAN && std == STD);
	return err;
}

static void test_model_check(void **state)
{
	(void)state;
	double norm_mean[2] = {MEAN, MEAN}, norm_std[2] = {STD, STD};
	struct model_meta mm;
	memset(&mm, 0, sizeof(mm));
	mm.cfg = regress_cfg();
	mm.max_len = W;
	mm.n_norm = 1;
	mm.norm_mean = norm_mean;
	mm.norm_std = norm_std;
	check_msg(&mm, 0);
	const double five = W, two = K, six = W + 1, three = K + 1;
	mm.extra[0] = (struct model_extra){.name = "window", .nums = (double *)&five, .n = 1};
	mm.extra[1] = (struct model_extra){.name = "horizon", .nums = (double *)&two, .n = 1};
	mm.extra[2] = (struct model_extra){.name = "normalization", .str = "zscore"};
	mm.n_extra = 3;
	check_msg(&mm, 0);

	struct model_meta bad = mm;
	bad.n_norm = 2;
	assert_non_null(strstr(check_msg(&bad, -1), "has 2 normalisation pairs"));
	bad = mm;
	bad.extra[2].str = "minmax";
	assert_non_null(strstr(check_msg(&bad, -1), "normalisation 'minmax' is not known"));
	bad.extra[2].str = NULL;
	bad.extra[2].nums = (double *)&five;
	bad.extra[2].n = 1;
	assert_non_null(strstr(check_msg(&bad, -1), "normalisation '(a number)'"));
	bad = mm;
	bad.max_len = 0;
	assert_non_null(strstr(check_msg(&bad, -1), "window 0"));
	bad = mm;
	bad.cfg.outputs = 0;
	assert_non_null(strstr(check_msg(&bad, -1), "horizon 0"));
	bad = mm;
	bad.extra[0].nums = (double *)&six;
	assert_non_null(strstr(check_msg(&bad, -1), "disagree"));
	bad = mm;
	bad.extra[1].nums = (double *)&three;
	assert_non_null(strstr(check_msg(&bad, -1), "disagree"));
	/* a list, or a string, where one number belongs */
	const double pair[2] = {W, W};
	bad = mm;
	bad.extra[0].nums = (double *)pair;
	bad.extra[0].n = 2;
	assert_non_null(strstr(check_msg(&bad, -1), "attribute 'window' is not one number"));
	bad = mm;
	bad.extra[1] = (struct model_extra){.name = "horizon", .str = "2"};
	assert_non_null(strstr(check_msg(&bad, -1), "attribute 'horizon' is not one number"));
	const double bad_std[] = {0, -1, INFINITY, NAN};
	for (size_t i = 0; i < sizeof(bad_std) / sizeof(*bad_std); i++) {
		bad = mm;
		norm_std[0] = bad_std[i];
		assert_non_null(strstr(check_msg(&bad, -1), "normalisation mean"));
	}
	norm_std[0] = STD;
	const double bad_mean[] = {INFINITY, -INFINITY, NAN};
	for (size_t i = 0; i < sizeof(bad_mean) / sizeof(*bad_mean); i++) {
		bad = mm;
		norm_mean[0] = bad_mean[i];
		assert_non_null(strstr(check_msg(&bad, -1), "normalisation mean"));
	}
}

/* A forecast that is not a finite number (here: an infinite mean put in
 * by hand) is an error, not a value handed to predict. */
static void test_forecast_not_finite(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("inf.h5"));
	save_model(path, regress_cfg(), 1, NULL);
	struct ts_forecaster *f = ts_forecaster_open(path);
	assert_non_null(f);
	f->mean = INFINITY;
	const double series[W] = {95, 104, 111, 99, 87};
	double out[K];
	capture_begin();
	assert_int_equal(ts_forecaster_next(f, series, out), -1);
	assert_non_null(strstr(capture_end(), "is not a finite number"));
	ts_forecaster_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursive_shift),
		cmocka_unit_test(test_parse_and_format),
		cmocka_unit_test(test_model_forecast),
		cmocka_unit_test(test_model_refused),
		cmocka_unit_test(test_model_check),
		cmocka_unit_test(test_forecast_not_finite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
