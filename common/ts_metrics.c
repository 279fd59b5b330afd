/* ts_metrics.c - forecast errors, naive baselines and the metrics JSON for
 * the regression task (see ts_metrics.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "error.h"
#include "jsonw.h"
#include "ts_metrics.h"
#include "tseries.h"

void ts_err_compute(const double *truth, const double *pred, size_t n, size_t stride,
		    struct ts_err *e)
{
	double se = 0, ae = 0, ape = 0;
	size_t nm = 0;
	for (size_t i = 0; i < n; i++) {
		double t = truth[i * stride], d = pred[i * stride] - t;
		se += d * d;
		ae += fabs(d);
		if (t != 0) {
			ape += fabs(d / t);
			nm++;
		}
	}
	e->n = n;
	e->n_mape = nm;
	e->rmse = n ? sqrt(se / (double)n) : NAN;
	e->mae = n ? ae / (double)n : NAN;
	e->mape = nm ? 100.0 * ape / (double)nm : NAN;
}

void ts_truth(const double *values, const int64_t *index, size_t rows, size_t k, double *out)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t h = 0; h < k; h++)
			out[r * k + h] = values[index[r] + (int64_t)h];
}

void ts_naive(const double *values, const int64_t *index, size_t rows, size_t k, double *out)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t h = 0; h < k; h++)
			out[r * k + h] = values[index[r] - 1];
}

int ts_seasonal_naive(const double *values, const int64_t *index, size_t rows, size_t k,
		      size_t season, double *out)
{
	if (season < 1)
		return error("seasonal naive forecast: the season must be at least 1");
	for (size_t r = 0; r < rows; r++)
		for (size_t h = 0; h < k; h++) {
			int64_t t = index[r] + (int64_t)h;
			int64_t src = t - (int64_t)(season * (h / season + 1));
			if (src < 0)
				return error("seasonal naive forecast: position %lld needs the value "
					     "at %lld, before the series starts",
					     (long long)t, (long long)src);
			out[r * k + h] = values[src];
		}
	return 0;
}

/* ---- JSON ----
 * Each builder collects the results of its json_object_set_new and
 * json_array_append_new calls in one flag and gives NULL (jsonw_unless)
 * or -1 when any failed, so no key or number goes missing from a file
 * that is still written. */

/* A finite number, or null (JSON has no NaN). */
static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* (rows, k) as a list of rows */
static json_t *matrix(const double *a, size_t rows, size_t k)
{
	json_t *m = json_array();
	int bad = 0;
	for (size_t r = 0; r < rows; r++) {
		json_t *row = json_array();
		for (size_t h = 0; h < k; h++)
			bad |= json_array_append_new(row, num(a[r * k + h]));
		bad |= json_array_append_new(m, row);
	}
	return jsonw_unless(m, bad);
}

/* Sets prefix "rmse", "mae", "mape" (prefix "" for the model); 0 or -1. */
static int set_err(json_t *o, const char *prefix, const struct ts_err *e, int present)
{
	char key[64];
	int bad = 0;
	snprintf(key, sizeof(key), "%srmse", prefix);
	bad |= json_object_set_new(o, key, present ? num(e->rmse) : json_null());
	snprintf(key, sizeof(key), "%smae", prefix);
	bad |= json_object_set_new(o, key, present ? num(e->mae) : json_null());
	snprintf(key, sizeof(key), "%smape", prefix);
	bad |= json_object_set_new(o, key, present ? num(e->mape) : json_null());
	return bad;
}

/* The errors of each forecast step h (column h of the (rows, k) arrays);
 * fc and seas may be NULL; with_seas: the seasonal keys are there (null
 * without seas). */
static json_t *per_step_json(const double *truth, const double *fc, const double *naive,
			     const double *seas, int with_seas, size_t rows, size_t k)
{
	json_t *ph = json_array();
	int bad = 0;
	for (size_t h = 0; h < k; h++) {
		struct ts_err a = {0}, b, c = {0};
		if (fc)
			ts_err_compute(truth + h, fc + h, rows, k, &a);
		ts_err_compute(truth + h, naive + h, rows, k, &b);
		json_t *o = json_object();
		bad |= json_object_set_new(o, "step", json_integer((json_int_t)h + 1));
		bad |= set_err(o, "", &a, fc != NULL);
		bad |= set_err(o, "naive_", &b, 1);
		if (seas)
			ts_err_compute(truth + h, seas + h, rows, k, &c);
		if (with_seas)
			bad |= set_err(o, "seasonal_", &c, seas != NULL);
		bad |= json_array_append_new(ph, o);
	}
	return jsonw_unless(ph, bad);
}

/* The "predictions" object: each row's series position (index), its time
 * when the series has times, and the (rows, k) truth and forecasts; fc and
 * seas may be NULL. */
static json_t *predictions_json(const struct tsdata *d, const int64_t *index,
				const double *truth, const double *fc, const double *naive,
				const double *seas, size_t rows, size_t k)
{
	json_t *p = json_object();
	json_t *ix = json_array();
	int bad = 0;
	for (size_t r = 0; r < rows; r++)
		bad |= json_array_append_new(ix, json_integer(index[r]));
	bad |= json_object_set_new(p, "index", ix);
	if (d->series.times) {
		json_t *tm = json_array();
		for (size_t r = 0; r < rows; r++)
			bad |= json_array_append_new(tm, json_string(d->series.times[index[r]]));
		bad |= json_object_set_new(p, "time", tm);
	}
	bad |= json_object_set_new(p, "truth", matrix(truth, rows, k));
	if (fc)
		bad |= json_object_set_new(p, "forecast", matrix(fc, rows, k));
	bad |= json_object_set_new(p, "naive", matrix(naive, rows, k));
	if (seas)
		bad |= json_object_set_new(p, "seasonal", matrix(seas, rows, k));
	return jsonw_unless(p, bad);
}

json_t *ts_metrics_build(const struct tsdata *d, int split, const double *pred, size_t rows,
			 enum ts_units units)
{
	if (split < 0 || split >= TS_NSPLITS) {
		error("ts_metrics_build: bad split %d", split);
		return NULL;
	}
	if (rows != d->count[split]) {
		error("%zu forecasts for the %s split, which has %zu examples", rows,
		      ts_split_names[split], d->count[split]);
		return NULL;
	}
	size_t k = (size_t)d->horizon, nv = rows * k;
	const int64_t *index = d->index[split];
	const double *values = d->series.values;
	/* The seasonal naive forecast of the example at i reads values[i - S]
	 * first (step 1, the earliest value it needs): the examples less than
	 * S values into the series have none.  Then the split has no seasonal
	 * figures (null, and a note), not figures over part of its examples
	 * that would not compare with the others. */
	const int with_seas = d->season > 0;
	size_t before = 0; /* examples whose season reaches before the series */
	for (size_t r = 0; with_seas && r < rows; r++)
		before += index[r] < d->season;
	double *truth = malloc((nv ? nv : 1) * sizeof(double));
	double *naive = malloc((nv ? nv : 1) * sizeof(double));
	double *seas = with_seas && !before ? malloc((nv ? nv : 1) * sizeof(double)) : NULL;
	double *fc = pred ? malloc((nv ? nv : 1) * sizeof(double)) : NULL;
	json_t *m = NULL;
	if (!truth || !naive || (with_seas && !before && !seas) || (pred && !fc)) {
		error("out of memory");
		goto out;
	}
	ts_truth(values, index, rows, k, truth);
	ts_naive(values, index, rows, k, naive);
	if (seas && ts_seasonal_naive(values, index, rows, k, (size_t)d->season, seas))
		goto out;
	double loss = NAN;
	if (pred) {
		double se = 0;
		for (size_t i = 0; i < nv; i++) {
			if (!isfinite(pred[i])) {
				error("forecast %zu (example %zu, step %zu) is not a finite number",
				      i, i / k, i % k + 1);
				goto out;
			}
			fc[i] = units == TS_UNITS_NORMALISED ? tsdata_denorm(d, pred[i]) : pred[i];
			double zn = (fc[i] - d->mean) / d->std - (truth[i] - d->mean) / d->std;
			se += zn * zn;
		}
		loss = nv ? se / (double)nv : NAN;
	}
	struct ts_err em = {0}, en, es = {0};
	if (fc)
		ts_err_compute(truth, fc, nv, 1, &em);
	ts_err_compute(truth, naive, nv, 1, &en);
	if (seas)
		ts_err_compute(truth, seas, nv, 1, &es);

	m = json_object();
	int bad = 0;
	bad |= json_object_set_new(m, "task", json_string("regress"));
	bad |= json_object_set_new(m, "split", json_string(ts_split_names[split]));
	bad |= json_object_set_new(m, "units", json_string("original"));
	bad |= json_object_set_new(m, "n", json_integer((json_int_t)rows));
	bad |= json_object_set_new(m, "values", json_integer((json_int_t)nv));
	bad |= json_object_set_new(m, "window", json_integer(d->window));
	bad |= json_object_set_new(m, "horizon", json_integer(d->horizon));
	bad |= json_object_set_new(m, "season",
				   d->season > 0 ? json_integer(d->season) : json_null());
	bad |= set_err(m, "", &em, fc != NULL);
	bad |= json_object_set_new(m, "mse_normalised", num(loss));
	bad |= set_err(m, "naive_", &en, 1);
	if (with_seas)
		bad |= set_err(m, "seasonal_", &es, seas != NULL);
	if (before) {
		char note[320];
		snprintf(note, sizeof(note),
			 "no seasonal naive forecast: the season (%lld) reaches before the series "
			 "starts for %zu of the %zu %s examples (the first, at position %lld, "
			 "needs the value at %lld)",
			 (long long)d->season, before, rows, ts_split_names[split],
			 (long long)index[0], (long long)(index[0] - d->season));
		bad |= json_object_set_new(m, "seasonal_note", json_string(note));
	}
	bad |= json_object_set_new(m, "rmse_vs_naive",
				   fc && en.rmse > 0 ? num(em.rmse / en.rmse) : json_null());
	bad |= json_object_set_new(m, "mape_n", json_integer((json_int_t)en.n_mape));
	bad |= json_object_set_new(m, "mape_skipped_zero",
				   json_integer((json_int_t)(nv - en.n_mape)));
	bad |= json_object_set_new(
		m, "mape_note",
		json_string("MAPE is in percent over targets that are not zero; "
			    "mape_skipped_zero targets equal to zero are left out"));

	bad |= json_object_set_new(m, "per_step",
				   per_step_json(truth, fc, naive, seas, with_seas, rows, k));
	bad |= json_object_set_new(m, "predictions",
				   predictions_json(d, index, truth, fc, naive, seas, rows, k));
	bad |= json_object_set_new(m, "source", json_string(d->series.source));
	bad |= json_object_set_new(m, "column", json_string(d->series.column));
	if (bad) {
		error("out of memory");
		json_decref(m);
		m = NULL;
	}
out:
	free(truth);
	free(naive);
	free(seas);
	free(fc);
	return m;
}

const char *ts_metrics_str(const json_t *m, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(m, key);
	if (json_is_number(v))
		snprintf(buf, size, "%.6g", json_number_value(v));
	else
		snprintf(buf, size, "null");
	return buf;
}

int ts_metrics_write(const char *path, const json_t *m)
{
	size_t len;
	char *s = jsonw_dumps(m, JSON_INDENT(1) | JSON_REAL_PRECISION(12) | JSON_PRESERVE_ORDER,
			      &len);
	if (!s)
		return error("cannot format the metrics of '%s': out of memory", path);
	s[len] = '\n'; /* the room of the NUL */
	int rc = afile_write_all(path, s, len + 1);
	free(s);
	return rc;
}

int ts_metrics_write_test(const char *out_path, const char *dataset_path, const float *pred,
			  size_t rows, double mean, double std, double loss, long season)
{
	struct tsdata d;
	if (tsdata_read(dataset_path, &d))
		return -1;
	if (season >= 0)
		d.season = season;
	size_t nv = rows * (size_t)d.horizon;
	double *p = malloc((nv ? nv : 1) * sizeof(double));
	if (!p) {
		tsdata_free(&d);
		return error("out of memory");
	}
	/* as tsdata_denorm, with the model's z-score */
	for (size_t i = 0; i < nv; i++)
		p[i] = (double)pred[i] * std + mean;
	json_t *m = ts_metrics_build(&d, TS_TEST, p, rows, TS_UNITS_ORIGINAL);
	free(p);
	tsdata_free(&d);
	if (!m)
		return -1;
	const char *note = json_string_value(json_object_get(m, "seasonal_note"));
	if (note)
		warning("%s", note);
	int bad = json_object_set_new(m, "dataset", json_string(dataset_path));
	if (isfinite(loss))
		bad |= json_object_set_new(m, "loss", json_real(loss));
	int rc = bad ? error("out of memory") : ts_metrics_write(out_path, m);
	json_decref(m);
	return rc;
}

int ts_predictions_read(const char *path, size_t rows, size_t k, double **out)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return error("cannot open '%s': %s", path, strerror(errno));
	double *v = malloc((rows * k + 1) * sizeof(double));
	if (!v) {
		fclose(fp);
		return error("out of memory");
	}
	char *line = NULL;
	size_t cap = 0, r = 0;
	long ln = 0;
	int rc = 0;
	while (getline(&line, &cap, fp) > 0) {
		ln++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (r == rows) {
			rc = bad_input(path, ln, "more than %zu forecast lines (one per example "
				       "of the split)", rows);
			break;
		}
		size_t h = 0;
		for (;;) {
			while (isspace((unsigned char)*p) || *p == ',')
				p++;
			if (!*p)
				break;
			/* one number, by the rule of every series reader */
			char *end = p;
			while (*end && !isspace((unsigned char)*end) && *end != ',')
				end++;
			char sep = *end;
			*end = '\0';
			double x;
			int why = ts_parse_value(p, &x);
			if (why != TS_VALUE_OK) {
				rc = bad_input(path, ln, "'%s' is not a %snumber", p,
					       why == TS_VALUE_NOT_FINITE ? "finite " : "");
				break;
			}
			*end = sep;
			if (h < k)
				v[r * k + h] = x;
			h++;
			p = end;
		}
		if (rc)
			break;
		if (h != k) {
			rc = bad_input(path, ln, "%zu number%s, expected %zu (the horizon)", h,
				       h == 1 ? "" : "s", k);
			break;
		}
		r++;
	}
	if (!rc)
		rc = getline_end(fp, path);
	if (!rc && r != rows)
		rc = bad_input(path, ln, "%zu forecast line%s, expected %zu (one per example "
			       "of the split)", r, r == 1 ? "" : "s", rows);
	free(line);
	fclose(fp);
	if (rc) {
		free(v);
		return -1;
	}
	*out = v;
	return 0;
}
