/* ts_report.c - the time-series report page (see ts_report.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "error.h"
#include "report_data.h"
#include "ts_metrics.h"
#include "ts_plot.h"
#include "ts_report.h"
#include "tsfile.h"

#define C_TRUTH "#222222"
#define C_MODEL "#d55e00"
#define C_NAIVE "#0072b2"
#define C_SEASON "#009e73"
#define C_VAL "#e69f00"

/* predictions[key] as (rows, k) doubles, or NULL when absent (*bad set on a
 * malformed array). */
static double *matrix_of(const json_t *p, const char *key, size_t rows, size_t k, int *bad)
{
	const json_t *a = json_object_get(p, key);
	if (!a)
		return NULL;
	if (!json_is_array(a) || json_array_size(a) != rows) {
		*bad = 1;
		return NULL;
	}
	double *m = malloc((rows * k + 1) * sizeof(double));
	if (!m) {
		*bad = 1;
		return NULL;
	}
	for (size_t r = 0; r < rows; r++) {
		const json_t *row = json_array_get(a, r);
		if (!json_is_array(row) || json_array_size(row) != k) {
			*bad = 1;
			free(m);
			return NULL;
		}
		for (size_t h = 0; h < k; h++) {
			const json_t *v = json_array_get(row, h);
			m[r * k + h] = json_is_number(v) ? json_number_value(v) : NAN;
		}
	}
	return m;
}

/* Everything the page needs from the metrics object. */
struct fc {
	size_t rows, k;
	int64_t *index;
	double *truth, *model, *naive, *seasonal; /* (rows, k); model/seasonal may be NULL */
};

static void fc_free(struct fc *f)
{
	free(f->index);
	free(f->truth);
	free(f->model);
	free(f->naive);
	free(f->seasonal);
}

static int fc_from_json(const json_t *m, const struct tsdata *d, const char *path, struct fc *f)
{
	memset(f, 0, sizeof(*f));
	const json_t *sp = json_object_get(m, "split");
	if (json_is_string(sp) && strcmp(json_string_value(sp), "test"))
		return error("'%s': metrics of the %s split; the report shows the test period "
			     "(ts-metrics --split test)", path, json_string_value(sp));
	const json_t *p = json_object_get(m, "predictions");
	const json_t *ix = json_object_get(p, "index");
	if (!json_is_object(p) || !json_is_array(ix))
		return error("'%s': no 'predictions' object with an 'index' array", path);
	f->rows = json_array_size(ix);
	f->k = (size_t)d->horizon;
	const json_t *hz = json_object_get(m, "horizon");
	if (json_is_integer(hz) && json_integer_value(hz) != d->horizon)
		return error("'%s': horizon %lld, the dataset's is %lld; re-run the evaluation",
			     path, (long long)json_integer_value(hz), (long long)d->horizon);
	f->index = malloc((f->rows ? f->rows : 1) * sizeof(int64_t));
	if (!f->index)
		return error("out of memory");
	for (size_t r = 0; r < f->rows; r++) {
		const json_t *v = json_array_get(ix, r);
		json_int_t i = json_is_integer(v) ? json_integer_value(v) : -1;
		if (i < 1 || (size_t)i + f->k > d->series.n)
			return error("'%s': predictions.index[%zu] is not a position of the "
				     "dataset's series; re-run the evaluation", path, r);
		f->index[r] = i;
	}
	int bad = 0;
	f->truth = matrix_of(p, "truth", f->rows, f->k, &bad);
	f->model = matrix_of(p, "forecast", f->rows, f->k, &bad);
	f->naive = matrix_of(p, "naive", f->rows, f->k, &bad);
	f->seasonal = matrix_of(p, "seasonal", f->rows, f->k, &bad);
	if (bad || !f->truth || !f->naive)
		return error("'%s': predictions need 'truth' and 'naive' arrays of %zu rows of %zu",
			     path, f->rows, f->k);
	/* The forecasts must belong to this dataset's series. */
	for (size_t r = 0; r < f->rows; r++)
		for (size_t h = 0; h < f->k; h++) {
			double t = d->series.values[f->index[r] + (int64_t)h], x = f->truth[r * f->k + h];
			if (!(fabs(t - x) <= 1e-9 * fmax(1, fabs(t))))
				return error("'%s': truth at position %lld is %g, the dataset says %g: "
					     "the metrics are not of this dataset; re-run the evaluation",
					     path, (long long)(f->index[r] + (int64_t)h), x, t);
		}
	return 0;
}

static void cell(FILE *o, double x)
{
	if (isfinite(x))
		fprintf(o, "<td>%.4g</td>", x);
	else
		fputs("<td>&mdash;</td>", o);
}

static void err_row(FILE *o, const json_t *m, const char *name, const char *prefix)
{
	char k1[64], k2[64], k3[64];
	snprintf(k1, sizeof(k1), "%srmse", prefix);
	snprintf(k2, sizeof(k2), "%smae", prefix);
	snprintf(k3, sizeof(k3), "%smape", prefix);
	fputs("<tr><th class=\"l\">", o);
	tsplot_html(o, name);
	fputs("</th>", o);
	cell(o, json_num(m, k1));
	cell(o, json_num(m, k2));
	cell(o, json_num(m, k3));
	fputs("</tr>\n", o);
}

static const char *time_at(const struct tsdata *d, size_t i, char *buf, size_t size)
{
	if (d->series.times && i < d->series.n)
		return d->series.times[i];
	snprintf(buf, size, "%zu", i);
	return buf;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The <head>, the title, what the series is, and its split by time. */
static void page_head(FILE *o, const struct tsdata *d)
{
	const struct tseries *se = &d->series;
	const size_t *b = d->bounds.bound;
	size_t n = se->n;
	char t0[32], t1[32];
	const char *title_src = se->params ? "synthetic series" : basename_of(se->source);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", o);
	tsplot_html(o, "Time series forecast: ");
	tsplot_html(o, title_src);
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;max-width:900px;margin:1.5em auto;padding:0 1em;"
	      "color:#222}\n"
	      "table{border-collapse:collapse;margin:.5em 0 1em}\n"
	      "th,td{border:1px solid #ccc;padding:3px 9px;text-align:right}\n"
	      "th{background:#f4f4f4}\ntd.l,th.l{text-align:left}\n"
	      "svg.chart{display:block;margin:.5em 0 1.5em}\n"
	      ".note{color:#555;font-size:90%}\ncode{background:#f4f4f4;padding:0 3px}\n"
	      "</style>\n</head>\n<body>\n<h1>Time series forecast: ", o);
	tsplot_html(o, title_src);
	fputs("</h1>\n<p>", o);
	fprintf(o, "%zu values of <code>", n);
	tsplot_html(o, se->column);
	fputs("</code>", o);
	if (se->times) {
		fputs(" from ", o);
		tsplot_html(o, se->times[0]);
		fputs(" to ", o);
		tsplot_html(o, se->times[n - 1]);
	}
	fputs(" (source <code>", o);
	tsplot_html(o, se->params ? se->params : se->source);
	fprintf(o, "</code>). Each example is the last %lld values; the model predicts the "
		"next %lld. The series is z-scored with the train part's mean %.6g and standard "
		"deviation %.6g; every error below is in original units.</p>\n",
		(long long)d->window, (long long)d->horizon, d->mean, d->std);

	fputs("<table>\n<tr><th class=\"l\">part</th><th>positions</th><th>from</th>"
	      "<th>to</th><th>examples</th></tr>\n", o);
	for (int s = 0; s < TS_NSPLITS; s++) {
		fprintf(o, "<tr><td class=\"l\">%s</td><td>%zu&ndash;%zu</td><td class=\"l\">",
			ts_split_names[s], b[s], b[s + 1] - 1);
		tsplot_html(o, time_at(d, b[s], t0, sizeof(t0)));
		fputs("</td><td class=\"l\">", o);
		tsplot_html(o, time_at(d, b[s + 1] - 1, t1, sizeof(t1)));
		fprintf(o, "</td><td>%zu</td></tr>\n", d->count[s]);
	}
	fputs("</table>\n", o);
}

/* The error tables: model and baselines, then per forecast step. */
static void section_errors(FILE *o, const struct tsdata *d, const json_t *m, size_t k,
			   int have_model)
{
	fputs("<h2>Errors on the test period</h2>\n", o);
	fputs("<table>\n<tr><th class=\"l\">forecast</th><th>RMSE</th><th>MAE</th>"
	      "<th>MAPE %</th></tr>\n", o);
	if (have_model)
		err_row(o, m, "model", "");
	err_row(o, m, "naive: next = last value", "naive_");
	/* the metrics' season (evaluate --season), which need not be the
	 * dataset's */
	const json_t *season = json_object_get(m, "season");
	if (json_is_integer(season) && json_integer_value(season) > 0) {
		char name[96];
		snprintf(name, sizeof(name), "seasonal naive: value %lld steps earlier",
			 (long long)json_integer_value(season));
		err_row(o, m, name, "seasonal_");
	}
	fputs("</table>\n<p class=\"note\">", o);
	fprintf(o, "%lld forecast values. MAPE leaves out targets equal to zero (%lld here).",
		(long long)json_integer_value(json_object_get(m, "values")),
		(long long)json_integer_value(json_object_get(m, "mape_skipped_zero")));
	if (!have_model)
		fputs(" No model forecasts yet: only the naive baselines are shown.", o);
	else if (isfinite(json_num(m, "rmse_vs_naive")))
		fprintf(o, " Model RMSE / naive RMSE = %.3f (below 1: better than naive).",
			json_num(m, "rmse_vs_naive"));
	const char *note = json_string_value(json_object_get(m, "seasonal_note"));
	if (note) {
		fputs(" Note: ", o);
		tsplot_html(o, note);
		fputc('.', o);
	}
	fputs("</p>\n", o);
	const json_t *ps = json_object_get(m, "per_step");
	if (k > 1 && json_is_array(ps)) {
		fputs("<table>\n<tr><th>step</th><th>model RMSE</th><th>model MAE</th>"
		      "<th>naive RMSE</th><th>naive MAE</th></tr>\n", o);
		for (size_t i = 0; i < json_array_size(ps); i++) {
			const json_t *e = json_array_get(ps, i);
			fprintf(o, "<tr><td>%zu</td>", i + 1);
			cell(o, json_num(e, "rmse"));
			cell(o, json_num(e, "mae"));
			cell(o, json_num(e, "naive_rmse"));
			cell(o, json_num(e, "naive_mae"));
			fputs("</tr>\n", o);
		}
		fputs("</table>\n", o);
	}
}

/* What the three charts of the series plot: x positions of the series and
 * of step h's targets, the forecasts at step h and their errors. */
struct chart_data {
	size_t rows;
	double *xs;     /* (n) 0, 1, ... */
	double *tx;     /* (rows) position of each target */
	double *col[4]; /* (rows) truth, model, naive, seasonal */
	double *err[3]; /* (rows) model, naive, seasonal minus truth */
};

static void chart_data_free(struct chart_data *c)
{
	free(c->xs);
	free(c->tx);
	for (int i = 0; i < 4; i++)
		free(c->col[i]);
	for (int i = 0; i < 3; i++)
		free(c->err[i]);
}

static int chart_data_make(struct chart_data *c, const struct tsdata *d, const struct fc *f,
			   size_t h)
{
	size_t n = d->series.n, k = f->k, rows = f->rows;
	memset(c, 0, sizeof(*c));
	c->rows = rows;
	c->xs = malloc((n + 1) * sizeof(double));
	c->tx = malloc((rows + 1) * sizeof(double));
	int bad = !c->xs || !c->tx;
	for (int i = 0; i < 4; i++)
		bad |= !(c->col[i] = malloc((rows + 1) * sizeof(double)));
	for (int i = 0; i < 3; i++)
		bad |= !(c->err[i] = malloc((rows + 1) * sizeof(double)));
	if (bad)
		return error("out of memory");
	for (size_t i = 0; i < n; i++)
		c->xs[i] = (double)i;
	for (size_t r = 0; r < rows; r++) {
		c->tx[r] = (double)(f->index[r] + (int64_t)h);
		c->col[0][r] = f->truth[r * k + h];
		c->col[1][r] = f->model ? f->model[r * k + h] : NAN;
		c->col[2][r] = f->naive[r * k + h];
		c->col[3][r] = f->seasonal ? f->seasonal[r * k + h] : NAN;
		for (int i = 0; i < 3; i++)
			c->err[i][r] = c->col[i + 1][r] - c->col[0][r];
	}
	return 0;
}

/* The series with its split; the test period's forecast at step h over the
 * truth; the error over time.  Returns 0 or -1 (a write failed). */
static int section_charts(FILE *o, const struct tsdata *d, const struct fc *f,
			  const struct chart_data *c, int have_model, size_t h)
{
	const struct tseries *se = &d->series;
	const size_t *b = d->bounds.bound;
	size_t n = se->n, rows = c->rows;
	double *const *col = c->col, *const *err = c->err;
	char *const *xl = se->times;
	const char *xlabel = se->time_column ? se->time_column : "position in the series";
	char ylabel[256];
	snprintf(ylabel, sizeof(ylabel), "%s", se->column);

	/* 1: the whole series */
	struct tsplot_band bands[3] = {
		{(double)b[0], (double)b[1] - 0.5, "train", "#f2f2f2"},
		{(double)b[1] - 0.5, (double)b[2] - 0.5, "validation", "#fdf1dc"},
		{(double)b[2] - 0.5, (double)n - 1, "test", "#e3eef8"},
	};
	struct tsplot_line l1[2] = {
		{"series", c->xs, se->values, n, C_TRUTH, TSPLOT_SOLID, 1.2, 0},
		{"model forecast", c->tx, col[1], rows, C_MODEL, TSPLOT_SOLID, 1.2, 0},
	};
	struct tsplot_chart c1 = {"The series and its split by time", xlabel, ylabel, 0, 0,
				  l1, have_model ? 2 : 1, bands, 3, xl, xl ? n : 0, 1, 0};
	fputs("<h2>Series</h2>\n", o);
	if (tsplot_svg(o, &c1))
		return -1;

	/* 2: the test period, forecast over truth.  Dashes turn to noise on
	 * hundreds of points: dense baselines are thin solid lines instead. */
	int dense = rows > 150;
	enum tsplot_dash dash_n = dense ? TSPLOT_SOLID : TSPLOT_DASHED;
	enum tsplot_dash dash_s = dense ? TSPLOT_SOLID : TSPLOT_DOTTED;
	size_t from = b[2] > (size_t)d->window ? b[2] - (size_t)d->window : 0;
	struct tsplot_line l2[4];
	int n2 = 0;
	l2[n2++] = (struct tsplot_line){"truth", c->xs + from, se->values + from, n - from,
					C_TRUTH, TSPLOT_SOLID, 1.6, rows <= 80};
	if (have_model)
		l2[n2++] = (struct tsplot_line){"model", c->tx, col[1], rows, C_MODEL, TSPLOT_SOLID,
						1.6, rows <= 80};
	l2[n2++] = (struct tsplot_line){"naive (last value)", c->tx, col[2], rows, C_NAIVE,
					dash_n, dense ? 0.8 : 1.2, 0};
	if (f->seasonal)
		l2[n2++] = (struct tsplot_line){"seasonal naive", c->tx, col[3], rows, C_SEASON,
						dash_s, dense ? 0.8 : 1.4, 0};
	char t2[160];
	snprintf(t2, sizeof(t2), "Test period: forecast %zu step%s ahead over the truth",
		 h + 1, h ? "s" : "");
	struct tsplot_band vb = {(double)from, (double)b[2] - 0.5, "end of validation", "#fdf1dc"};
	struct tsplot_chart c2 = {t2, xlabel, ylabel, 0, 340, l2, n2, &vb, from < b[2] ? 1 : 0,
				  xl, xl ? n : 0, 1, 0};
	fputs("<h2>Forecast</h2>\n", o);
	if (tsplot_svg(o, &c2))
		return -1;

	/* 3: error over time */
	struct tsplot_line l3[3];
	int n3 = 0;
	if (have_model)
		l3[n3++] = (struct tsplot_line){"model", c->tx, err[0], rows, C_MODEL, TSPLOT_SOLID,
						1.4, 0};
	l3[n3++] = (struct tsplot_line){"naive", c->tx, err[1], rows, C_NAIVE, dash_n,
					dense ? 0.8 : 1.1, 0};
	if (f->seasonal)
		l3[n3++] = (struct tsplot_line){"seasonal naive", c->tx, err[2], rows, C_SEASON,
						dash_s, dense ? 0.8 : 1.2, 0};
	char yl3[300];
	snprintf(yl3, sizeof(yl3), "forecast - truth (%s)", se->column);
	char t3[160]; /* which step: with horizon > 1 it is not obvious */
	snprintf(t3, sizeof(t3), "Error over the test period: forecast %zu step%s ahead", h + 1,
		 h ? "s" : "");
	struct tsplot_chart c3 = {t3, xlabel, yl3, 0, 260, l3, n3,
				  NULL, 0, xl, xl ? n : 0, 1, 1};
	fputs("<h2>Error over time</h2>\n", o);
	return tsplot_svg(o, &c3) ? -1 : 0;
}

/* Loss per epoch from the training log.  Returns 0, 1 out of memory (after
 * error()), or -1 (a write failed). */
static int section_learning(FILE *o, const struct epoch_row *ep, size_t nep,
			    const char *log_path)
{
	fputs("<h2>Learning curves</h2>\n", o);
	if (!nep) {
		fputs("<p class=\"note\">No training log", o);
		if (log_path) {
			fputs(" in <code>", o);
			tsplot_html(o, log_path);
			fputs("</code> (empty)", o);
		}
		fputs(".</p>\n", o);
		return 0;
	}
	double *ex = malloc(nep * sizeof(double)), *lo = malloc(nep * sizeof(double)),
	       *vl = malloc(nep * sizeof(double));
	int rc = 0;
	if (!ex || !lo || !vl) {
		error("out of memory");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < nep; i++) {
		ex[i] = ep[i].epoch;
		lo[i] = ep[i].loss;
		vl[i] = ep[i].val_loss;
	}
	struct tsplot_line l4[2] = {
		{"train loss", ex, lo, nep, C_NAIVE, TSPLOT_SOLID, 1.6, nep <= 60},
		{"validation loss", ex, vl, nep, C_VAL, TSPLOT_SOLID, 1.6, nep <= 60},
	};
	struct tsplot_chart c4 = {"Loss per epoch (mean squared error, normalised units)",
				  "epoch", "loss", 0, 280, l4, 2, NULL, 0, NULL, 0, 1, 0};
	rc = tsplot_svg(o, &c4) ? -1 : 0;
out:
	free(ex);
	free(lo);
	free(vl);
	return rc;
}

static int write_page(FILE *o, const struct tsdata *d, const json_t *m, const struct fc *f,
		      int have_model, const struct epoch_row *ep, size_t nep, const char *log_path,
		      long step)
{
	const size_t h = (size_t)step - 1;
	page_head(o, d);
	section_errors(o, d, m, f->k, have_model);
	struct chart_data c;
	if (chart_data_make(&c, d, f, h)) {
		chart_data_free(&c);
		return -1;
	}
	int rc = section_charts(o, d, f, &c, have_model, h);
	chart_data_free(&c);
	if (!rc) {
		rc = section_learning(o, ep, nep, log_path);
		if (rc > 0)
			return -1;
	}
	if (rc)
		return error("cannot format the report");
	fprintf(o, "<p class=\"note\">Written by ts-report from a %s dataset (format %d).</p>\n"
		"</body>\n</html>\n", TSFILE_FORMAT, TSFILE_VERSION);
	return 0;
}

int ts_report_render(const struct tsdata *d, const char *metrics, const char *source,
		     const char *train_log, long step, char **page, size_t *len,
		     struct ts_report_summary *sum)
{
	*page = NULL;
	*len = 0;
	json_t *m;
	if (metrics) {
		if (!(m = report_read_json(metrics)))
			return -1;
	} else if (!(m = ts_metrics_build(d, TS_TEST, NULL, d->count[TS_TEST], TS_UNITS_ORIGINAL))) {
		return -1;
	}
	struct fc f;
	struct epoch_row *ep = NULL;
	int nep = 0, rc = -1;
	if (fc_from_json(m, d, metrics ? metrics : source, &f))
		goto out;
	const int have_model = f.model != NULL && json_is_number(json_object_get(m, "rmse"));
	if (train_log && report_read_train_log(train_log, &ep, &nep))
		goto out;
	FILE *o;
	o = open_memstream(page, len);
	if (!o) {
		error("out of memory");
		goto out;
	}
	rc = write_page(o, d, m, &f, have_model, ep, (size_t)nep, train_log, step);
	if (fclose(o) && !rc)
		rc = error("cannot format the report");
	if (rc) {
		free(*page);
		*page = NULL;
		*len = 0;
	}
	sum->values = d->series.n;
	sum->forecasts = f.rows;
	sum->have_model = have_model;
	sum->epochs = nep;
out:
	free(ep);
	fc_free(&f);
	json_decref(m);
	return rc;
}
