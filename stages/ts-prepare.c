/* ts-prepare - builds the regression dataset artifacts/timeseries/dataset.h5
 * from a synthetic series (--synthetic N) or a CSV column (--csv FILE).
 *
 * Splits the series by time (train on the past, validate and test on the
 * future), z-scores it with the train part's mean and std, windows it into
 * (last W values -> next k values) examples and writes the HDF5 file
 * atomically (layout: docs/timeseries.md, code: tsfile.c).  It does not
 * train and does not score forecasts (ts-metrics).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "opts.h"
#include "stage.h"
#include "ts_metrics.h"
#include "tsfile.h"
#include "tseries.h"

#define TS_PREPARE_VERSION "0.1.0"

int main(int argc, char **argv)
{
	const char *out = "artifacts/timeseries/dataset.h5", *csv = NULL, *column = NULL;
	const char *time_column = NULL, *periods = "48,12", *amps = "1,0.5";
	long synthetic = 0, window = 24, horizon = 1, season = 0, seed = 1, chunk = 256,
	     deflate = 4;
	double trend = 0.002, noise = 0.1, level = 5, train = 0.70, validation = 0.15;
	int quiet = 0;
	const struct opt opts[] = {
		{"synthetic", OPT_INT, &synthetic, "N",
		 "generate N values: level + trend*t + sum of sines + gaussian noise", 0, 100000000},
		{"periods", OPT_STR, &periods, "P,...", "synthetic: sine periods in steps", 0, 0},
		{"amplitudes", OPT_STR, &amps, "A,...", "synthetic: sine amplitudes, one per period", 0, 0},
		{"trend", OPT_DOUBLE, &trend, "X", "synthetic: added per step", 0, 0},
		{"level", OPT_DOUBLE, &level, "X", "synthetic: value at t = 0 before sines and noise", 0, 0},
		{"noise", OPT_DOUBLE, &noise, "SD", "synthetic: standard deviation of the noise", 0, 1e300},
		{"seed", OPT_INT, &seed, "N", "synthetic: seed of the phases and the noise", 0, 9e18},
		{"csv", OPT_STR, &csv, "FILE",
		 "read the series from a CSV file with a header (blank lines are skipped, as "
		 "pandas.read_csv does; those between values are counted and warned about)", 0, 0},
		{"column", OPT_STR, &column, "NAME",
		 "CSV value column (default: the only column, or the second of two)", 0, 0},
		{"time-column", OPT_STR, &time_column, "NAME",
		 "CSV time column, 'none' for none (default: the first column, unless it is the "
		 "value column)", 0, 0},
		{"window", OPT_INT, &window, "W", "values per input window", 1, 100000},
		{"horizon", OPT_INT, &horizon, "K", "values to predict after each window", 1, 10000},
		{"season", OPT_INT, &season, "S",
		 "season length for the seasonal naive baseline (0 = none)", 0, 1000000},
		{"train", OPT_DOUBLE, &train, "F", "fraction of the series for training (the past)", 0, 1},
		{"validation", OPT_DOUBLE, &validation, "F",
		 "fraction after it for validation; the rest is the test period", 0, 1},
		{"out", OPT_STR, &out, "FILE", "the HDF5 file to write", 0, 0},
		{"chunk-rows", OPT_INT, &chunk, "N", "rows per HDF5 chunk", 1, 1 << 20},
		{"deflate", OPT_INT, &deflate, "N", "zlib level, 0 = no compression", 0, 9},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"ts-prepare", "(--synthetic N | --csv FILE) [OPTIONS]",
		"Builds the time-series regression dataset: a synthetic or CSV series, split\n"
		"by time, z-scored on the train part, windowed into (last W values -> next K\n"
		"values) examples, packed into HDF5 (docs/timeseries.md).",
		opts, 0, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	if (!synthetic == !csv)
		die(EXIT_USAGE, "give exactly one of --synthetic N and --csv FILE (see --help)");
	if (!csv && (column || time_column))
		die(EXIT_USAGE, "--column and --time-column go with --csv");
	/* the option table allows [0, 1] each; the three parts must all be
	 * there (ts_split_bounds checks again, for library callers) */
	if (!(train > 0 && validation > 0 && train + validation < 1))
		die(EXIT_USAGE, "--train %g and --validation %g: each must be > 0 and their sum "
		    "< 1 (the rest is the test period)", train, validation);

	struct tsdata d;
	memset(&d, 0, sizeof(d));
	if (synthetic) {
		struct ts_synth p = {.n = (size_t)synthetic, .level = level, .trend = trend,
				     .noise = noise, .seed = (uint64_t)seed};
		int np = ts_parse_doubles(periods, "--periods", p.period, TS_SYNTH_MAX_WAVES);
		int na = ts_parse_doubles(amps, "--amplitudes", p.amp, TS_SYNTH_MAX_WAVES);
		if (np < 0 || na < 0)
			exit(EXIT_USAGE);
		if (np != na)
			die(EXIT_USAGE, "--periods has %d values, --amplitudes %d: give one amplitude "
			    "per period", np, na);
		p.waves = np;
		if (tseries_synthetic(&p, &d.series))
			exit(EXIT_USAGE);
	} else if (tseries_read_csv(csv, column, time_column, &d.series)) {
		exit(EXIT_FAIL);
	}
	d.producer = strdup("ts-prepare " TS_PREPARE_VERSION);
	if (tsdata_prepare(&d, (size_t)window, (size_t)horizon, (size_t)season, train, validation)) {
		error("cannot prepare '%s'", d.series.source);
		tsdata_free(&d);
		exit(EXIT_FAIL);
	}
	struct tsfile_opts fo = {(unsigned)chunk, (int)deflate, 1};
	if (tsfile_write(out, &d, &fo)) {
		tsdata_free(&d);
		exit(EXIT_FAIL);
	}
	const size_t *b = d.bounds.bound;
	char blanks[96] = "";
	if (d.series.blank_lines)
		snprintf(blanks, sizeof(blanks), ", %zu blank line%s between values skipped",
			 d.series.blank_lines, d.series.blank_lines == 1 ? "" : "s");
	info("'%s': %zu values (%s%s), examples train %zu, validation %zu, test %zu; window %ld, "
	     "horizon %ld; train mean %.6g, std %.6g; split at %zu, %zu",
	     out, d.series.n, d.series.source, blanks, d.count[0], d.count[1], d.count[2], window,
	     horizon, d.mean, d.std, b[1], b[2]);
	tsdata_free(&d);

	/* The baselines the model has to beat, read back from the file. */
	struct tsdata r;
	if (tsdata_read(out, &r))
		exit(EXIT_FAIL);
	json_t *m = ts_metrics_build(&r, TS_TEST, NULL, r.count[TS_TEST], TS_UNITS_ORIGINAL);
	if (!m) {
		tsdata_free(&r);
		exit(EXIT_FAIL);
	}
	/* as the JSON says: null (overflowed) is not 0 */
	char nr[32], na[32], sr[32], sa[32];
	ts_metrics_str(m, "naive_rmse", nr, sizeof(nr));
	ts_metrics_str(m, "naive_mae", na, sizeof(na));
	if (r.season > 0)
		info("test period: naive rmse %s, mae %s; seasonal naive (season %lld) rmse "
		     "%s, mae %s", nr, na, (long long)r.season,
		     ts_metrics_str(m, "seasonal_rmse", sr, sizeof(sr)),
		     ts_metrics_str(m, "seasonal_mae", sa, sizeof(sa)));
	else
		info("test period: naive rmse %s, mae %s", nr, na);
	json_decref(m);
	tsdata_free(&r);
	return EXIT_OK;
}
