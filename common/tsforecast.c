/* tsforecast.c - next values of a series with a regression model (see
 * tsforecast.h).  The forward pass is rnn_model_forward on one window, the
 * call evaluate --task regress makes (through devmodel) on the CPU. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tsforecast.h"

/* The numeric extra attribute name of mm (file: path) in *out: 1, 0 when
 * it is not there, -1 after error() when it is not one number. */
static int extra_num(const struct model_meta *mm, const char *path, const char *name,
		     double *out)
{
	const struct model_extra *e = model_meta_extra(mm, name);
	if (!e)
		return 0;
	if (!e->nums || e->n != 1)
		return error("model '%s': attribute '%s' is not one number (re-run train)", path,
			     name);
	*out = e->nums[0];
	return 1;
}

int ts_model_check(const struct model_meta *mm, const char *path, int *window, int *horizon,
		   double *mean, double *std)
{
	const struct rnn_config *c = &mm->cfg;
	if (c->task != RNN_TASK_REGRESS)
		return error("model '%s' is a %s model, not a time-series (regression) model",
			     path, rnn_task_name(c->task));
	if (c->input_size != 1)
		return error("model '%s' reads %d features per time step; a series gives its "
			     "value alone (1 feature)",
			     path, c->input_size);
	if (mm->n_norm > 1)
		return error("model '%s' has %d normalisation pairs; a series gives one value "
			     "per step and needs one",
			     path, mm->n_norm);
	const struct model_extra *e = model_meta_extra(mm, "normalization");
	if (e && (!e->str || strcmp(e->str, "zscore")))
		return error("model '%s': normalisation '%s' is not known (zscore is)", path,
			     e->str ? e->str : "(a number)");
	if (mm->max_len < 1 || mm->max_len > (1u << 24) || c->outputs < 1)
		return error("model '%s': window %u, horizon %d", path, mm->max_len, c->outputs);
	*window = (int)mm->max_len;
	*horizon = c->outputs;
	double w = 0, k = 0;
	int hw = extra_num(mm, path, "window", &w);
	int hk = hw < 0 ? -1 : extra_num(mm, path, "horizon", &k);
	if (hk < 0)
		return -1;
	if ((hw && w != *window) || (hk && k != *horizon))
		return error("model '%s': attributes window/horizon disagree with max_len %d and "
			     "outputs %d (re-run train)",
			     path, *window, *horizon);
	*mean = 0;
	*std = 1;
	if (mm->n_norm == 1) {
		*mean = mm->norm_mean[0];
		*std = mm->norm_std[0];
	}
	if (!isfinite(*mean) || !(*std > 0) || !isfinite(*std))
		return error("model '%s': normalisation mean %g, std %g", path, *mean, *std);
	return 0;
}

struct ts_forecaster *ts_forecaster_open(const char *path)
{
	struct ts_forecaster *f = calloc(1, sizeof(*f));
	if (!f)
		return error("out of memory"), NULL;
	float *params = modelfile_load(path, &f->meta);
	if (!params) {
		free(f);
		return NULL;
	}
	if (ts_model_check(&f->meta, path, &f->window, &f->horizon, &f->mean, &f->std) ||
	    !(f->m = rnn_model_create(&f->meta.cfg, 1, f->window, 0)))
		goto fail;
	memcpy(f->m->params, params, sizeof(float) * f->m->layout.total);
	free(params);
	params = NULL;
	if (!(f->x = malloc(sizeof(float) * (size_t)f->window))) {
		error("out of memory");
		goto fail;
	}
	return f;
fail:
	free(params);
	ts_forecaster_close(f);
	return NULL;
}

void ts_forecaster_close(struct ts_forecaster *f)
{
	if (!f)
		return;
	rnn_model_free(f->m);
	model_meta_free(&f->meta);
	free(f->x);
	free(f);
}

int ts_forecaster_next(struct ts_forecaster *f, const double *recent, double *out)
{
	const int W = f->window, K = f->horizon;
	/* as ts_window_fill normalises the dataset's inputs */
	for (int j = 0; j < W; j++)
		f->x[j] = (float)((recent[j] - f->mean) / f->std);
	int32_t len = W;
	struct rnn_batch b = {.B = 1, .T = W, .inputs = f->x, .lengths = &len};
	if (rnn_model_forward(f->m, &b, NULL))
		return -1;
	for (int h = 0; h < K; h++) {
		/* as ts_metrics maps evaluate's float forecasts back */
		out[h] = (double)f->m->out[h] * f->std + f->mean;
		if (!isfinite(out[h]))
			return error("the model's forecast for step %d is not a finite number", h + 1);
	}
	return 0;
}

int ts_forecast_recursive(ts_next_fn next, void *ctx, const double *recent, size_t window,
			  size_t horizon, size_t steps, double *out)
{
	if (window < 1 || horizon < 1 || steps < 1)
		return error("recursive forecast: window %zu, horizon %zu, steps %zu", window,
			     horizon, steps);
	double *win = malloc(sizeof(double) * window), *y = malloc(sizeof(double) * horizon);
	int rc = 0;
	if (!win || !y) {
		rc = error("out of memory");
		goto out;
	}
	memcpy(win, recent, sizeof(double) * window);
	for (size_t done = 0; done < steps;) {
		if (next(ctx, win, y)) {
			rc = -1;
			break;
		}
		size_t take = steps - done < horizon ? steps - done : horizon;
		memcpy(out + done, y, sizeof(double) * take);
		done += take;
		if (done == steps)
			break;
		/* the window's W latest values of (window, y) */
		if (horizon >= window) {
			memcpy(win, y + (horizon - window), sizeof(double) * window);
		} else {
			memmove(win, win + horizon, sizeof(double) * (window - horizon));
			memcpy(win + (window - horizon), y, sizeof(double) * horizon);
		}
	}
out:
	free(win);
	free(y);
	return rc;
}

static int next_model(void *ctx, const double *window, double *out)
{
	return ts_forecaster_next(ctx, window, out);
}

int ts_forecaster_forecast(struct ts_forecaster *f, const double *values, size_t n,
			   size_t steps, double *out)
{
	const size_t W = (size_t)f->window;
	if (n < W)
		return error("%zu value%s given; the model needs the last %zu values of the series "
			     "(its window)",
			     n, n == 1 ? "" : "s", W);
	return ts_forecast_recursive(next_model, f, values + (n - W), W, (size_t)f->horizon, steps,
				     out);
}
