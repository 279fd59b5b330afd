/* test_tseries_real.c - the real series of the shared material (airline
 * passengers, sunspots, daily minimum temperatures): each reads whole with
 * its time labels, and the naive baseline of its test period equals a
 * direct computation on the raw CSV numbers.  SKIPs when ../shared is
 * absent. */
#include "testutil.h"

#include <math.h>

#include "ts_metrics.h"

static void check(const char *rel, const char *col, size_t n, double first, double last,
		  size_t window)
{
	const char *path = shared_or_skip(rel);
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	assert_int_equal(tseries_read_csv(path, NULL, NULL, &d.series), 0);
	assert_int_equal(d.series.n, n);
	assert_string_equal(d.series.column, col);
	assert_true(d.series.values[0] == first);
	assert_true(d.series.values[n - 1] == last);
	assert_non_null(d.series.times);

	d.window = (int64_t)window;
	d.horizon = 1;
	assert_int_equal(ts_split_bounds(n, 0.7, 0.15, window, 1, 0, &d.bounds), 0);
	assert_int_equal(ts_zscore_fit(d.series.values, d.bounds.bound[1], &d.mean, &d.std), 0);
	size_t b2 = d.bounds.bound[2];
	for (int s = 0; s < TS_NSPLITS; s++) {
		size_t lo = d.bounds.bound[s], hi = d.bounds.bound[s + 1];
		d.count[s] = ts_window_count(lo, hi, window, 1);
		d.index[s] = malloc((d.count[s] + 1) * sizeof(int64_t));
		ts_window_fill(d.series.values, lo, hi, window, 1, 0, 1, NULL, NULL, d.index[s]);
	}
	assert_int_equal(d.count[TS_TEST], n - b2);
	json_t *m = ts_metrics_build(&d, TS_TEST, NULL, d.count[TS_TEST], TS_UNITS_ORIGINAL);
	assert_non_null(m);
	double se = 0, ae = 0;
	for (size_t t = b2; t < n; t++) {
		double e = d.series.values[t] - d.series.values[t - 1];
		se += e * e;
		ae += fabs(e);
	}
	double rmse = sqrt(se / (double)(n - b2)), mae = ae / (double)(n - b2);
	double got_rmse = json_real_value(json_object_get(m, "naive_rmse"));
	double got_mae = json_real_value(json_object_get(m, "naive_mae"));
	printf("%s: n %zu, test %zu, naive rmse %.6g mae %.6g\n", rel, n, n - b2, got_rmse, got_mae);
	assert_true(fabs(got_rmse - rmse) < 1e-9 * rmse);
	assert_true(fabs(got_mae - mae) < 1e-9 * mae);
	json_decref(m);
	tsdata_free(&d);
}

static void test_airline(void **state)
{
	check("data/timeseries/airline-passengers.csv", "Passengers", 144, 112, 432, 12);
}

static void test_sunspots(void **state)
{
	check("data/timeseries/monthly-sunspots.csv", "Sunspots", 2820, 58.0, 33.4, 24);
}

static void test_temperatures(void **state)
{
	check("data/timeseries/daily-min-temperatures.csv", "Temp", 3650, 20.7, 13.0, 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_airline),
		cmocka_unit_test(test_sunspots),
		cmocka_unit_test(test_temperatures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
