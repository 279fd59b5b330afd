/* evaluate.c - the evaluate stage's work (see evaluate.h). */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "badlog.h"
#include "batches.h"
#include "classifier.h"
#include "devmodel.h"
#include "encdump.h"
#include "error.h"
#include "evalloop.h"
#include "evaluate.h"
#include "hash.h"
#include "labelmap.h"
#include "metrics.h"
#include "progress.h"
#include "ts_metrics.h"
#include "tsfile.h"
#include "tsforecast.h"

struct ev {
	struct classifier *cl;
	struct metrics_acc *acc;
	struct afile pred;   /* predictions.tsv, fp NULL when not written */
	struct afile metrics; /* metrics.json, fp NULL once committed */
	int C;
	int logits;          /* add logit columns to predictions.tsv */
	/* --dump */
	struct labelmap *map;
	long dropped, unknown, classified;
	uint64_t *hashes;    /* (max_batch) of the rows in the classifier's batch */
	int32_t *labels;     /* (max_batch) */
	const char *dump;
	struct progress pg;
};

static int write_pred_rows(struct ev *ev, int n, const uint64_t *hashes, const int32_t *labels,
			   const float *probs, const float *logits)
{
	FILE *f = ev->pred.fp;
	if (!f)
		return 0;
	char *const *names = ev->cl->meta.labels;
	for (int i = 0; i < n; i++) {
		const float *p = probs + (size_t)i * ev->C;
		int k = 0;
		for (int j = 1; j < ev->C; j++)
			if (p[j] > p[k])
				k = j;
		char hex[17];
		hash64_hex(hashes[i], hex);
		fprintf(f, "%s\t%s\t%s", hex, names[labels[i]], names[k]);
		for (int j = 0; j < ev->C; j++)
			fprintf(f, "\t%.4f", p[j]);
		for (int j = 0; ev->logits && j < ev->C; j++)
			fprintf(f, "\t%.9g", logits[(size_t)i * ev->C + j]);
		fputc('\n', f);
	}
	return ferror(f) ? error("cannot write '%s'", ev->pred.path) : 0;
}

static int on_batch(void *ctx, const struct batch *b, const float *probs, const float *logits,
		    int C)
{
	(void)C;
	return write_pred_rows(ctx, (int)b->n, b->hashes, b->labels, probs, logits);
}

/* ---- --dump: classify the batch held by the classifier ---- */

static int flush_dump_batch(struct ev *ev)
{
	struct classifier *cl = ev->cl;
	if (!cl->n)
		return 0;
	if (classifier_run(cl))
		return -1;
	/* cross-entropy from the logits, as the model's loss on a split: the
	 * float probability of a confidently wrong answer underflows to 0 */
	double loss = 0;
	for (int i = 0; i < cl->n; i++) {
		const float *l = cl->logits + (size_t)i * ev->C;
		double mx = l[0], sum = 0;
		for (int k = 1; k < ev->C; k++)
			if (l[k] > mx)
				mx = l[k];
		for (int k = 0; k < ev->C; k++)
			sum += exp((double)l[k] - mx);
		loss += mx + log(sum) - (double)l[ev->labels[i]];
	}
	if (metrics_acc_add(ev->acc, cl->n, cl->probs, ev->labels, loss) ||
	    write_pred_rows(ev, cl->n, ev->hashes, ev->labels, cl->probs, cl->logits))
		return -1;
	ev->classified += cl->n;
	classifier_clear(cl);
	return 0;
}

static int on_record(void *ctx, const struct tokrec *rec)
{
	struct ev *ev = ctx;
	int k = labelmap_lookup(ev->map, rec->label_raw, rec->label_raw_len);
	if (k == LABEL_DROP) {
		ev->dropped++;
		return 0;
	}
	if (k < 0) {
		if (ev->unknown++ < 10)
			bad_input(ev->dump, rec->line, "unknown label '%.*s' (skipped)",
				  (int)(rec->label_raw_len > 64 ? 64 : rec->label_raw_len),
				  rec->label_raw);
		return 0;
	}
	ev->hashes[ev->cl->n] = rec->hash;
	ev->labels[ev->cl->n] = k;
	if (classifier_add_ids(ev->cl, rec->ids, rec->n_ids))
		return -1;
	if (ev->cl->n == ev->cl->m->max_batch)
		return flush_dump_batch(ev);
	return 0;
}

/* --task regress: forecasts for the time-series test split, scored in
 * original units against the naive baselines by ts_metrics_write_test. */
int evaluate_series(const char *model, const char *data, const char *out, int batch,
		    enum device_kind device, long season)
{
	struct model_meta mm;
	float *params = modelfile_load(model, &mm), *inputs = NULL, *pred = NULL;
	struct rnn_model *m = NULL;
	struct devmodel dm = {0};
	struct tsdata d;
	int rc = -1, have_d = 0;
	if (!params)
		return -1;
	afile_protect_input(model);
	afile_protect_input(data);
	int W, K;
	double mean, std; /* the model's z-score: 0 and 1 when it has none */
	if (ts_model_check(&mm, model, &W, &K, &mean, &std) || tsdata_read(data, &d))
		goto out;
	have_d = 1;
	if (W != (int)d.window || K != (int)d.horizon) {
		error("'%s' has windows of %d -> %d values, the model '%s' %d -> %d; re-run train",
		      data, (int)d.window, (int)d.horizon, model, W, K);
		goto out;
	}
	float *targets = NULL;
	size_t n;
	if (tsfile_read_split(data, &d, TS_TEST, &inputs, &targets, &n))
		goto out;
	/* The model reads values z-scored as in its training (norm_mean,
	 * norm_std; as they are when it has none), as predict feeds them.  A
	 * dataset normalised otherwise (another series, or the same one split
	 * elsewhere) has its test windows made again from the series with the
	 * model's z-score, so the forecasts are the model's and predict's for
	 * the same values. */
	if (mean != d.mean || std != d.std) {
		info("note: '%s' is normalised with mean %g, std %g, the model '%s' with mean %g, "
		     "std %g (not the dataset it was trained on); its test windows are "
		     "normalised with the model's",
		     data, d.mean, d.std, model, mean, std);
		size_t lo = d.bounds.bound[TS_TEST], hi = d.bounds.bound[TS_TEST + 1];
		if (ts_window_fill(d.series.values, lo, hi, (size_t)W, (size_t)K, mean, std, inputs,
				   targets, NULL) != n) {
			free(targets);
			error("'%s': the test windows do not match the split bounds; re-run "
			      "ts-prepare", data);
			goto out;
		}
	}
	/* On the CPU one window per forward pass, as predict runs it: BLAS
	 * sums a row in another order when it is one of a block of rows, so a
	 * window's forecast in a batch of 128 differed from predict's in the
	 * last float bits (half the test forecasts of make timeseries).  A
	 * series' test split is small; the cost is a few milliseconds. */
	if (device == DEVICE_CPU)
		batch = 1;
	if (!(m = rnn_model_create(&mm.cfg, batch, W, 0)) ||
	    !(pred = malloc((n * K + 1) * sizeof(float)))) {
		free(targets);
		goto out;
	}
	memcpy(m->params, params, sizeof(float) * m->layout.total);
	if (devmodel_open(&dm, m, device, batch, W)) {
		free(targets);
		goto out;
	}
	if (device == DEVICE_CUDA)
		info("device: %s", dm.desc);
	int32_t *len = malloc(sizeof(int32_t) * batch);
	if (!len) {
		free(targets);
		error("out of memory");
		goto out;
	}
	for (int i = 0; i < batch; i++)
		len[i] = W;
	double sum = 0;
	int bad = 0;
	for (size_t r0 = 0; r0 < n && !bad; r0 += (size_t)batch) {
		int B = n - r0 < (size_t)batch ? (int)(n - r0) : batch;
		struct rnn_batch b = {.B = B, .T = W, .inputs = inputs + r0 * W, .lengths = len,
				      .targets = targets + r0 * K};
		float loss;
		const float *y, *logits;
		if (devmodel_forward(&dm, &b, &loss))
			bad = 1;
		else {
			devmodel_outputs(&dm, &y, &logits);
			memcpy(pred + r0 * K, y, sizeof(float) * B * K);
			sum += (double)loss * B;
		}
	}
	free(len);
	free(targets);
	if (bad)
		goto out;
	rc = ts_metrics_write_test(out, data, pred, n, mean, std, n ? sum / n : NAN, season);
	if (!rc)
		info("test: %zu windows, mse %.5f (normalised) -> '%s'", n, n ? sum / n : NAN, out);
out:
	if (have_d)
		tsdata_free(&d);
	model_meta_free(&mm);
	devmodel_close(&dm);
	rnn_model_free(m);
	free(params);
	free(inputs);
	free(pred);
	return rc;
}

/* The label map must name the model's classes in the model's order. */
static int check_map(const struct labelmap *map, const struct model_meta *mm, const char *spec)
{
	int n = labelmap_n_classes(map);
	int ok = n == mm->n_labels;
	for (int i = 0; ok && i < n; i++)
		ok = !strcmp(labelmap_class(map, i), mm->labels[i]);
	if (ok)
		return 0;
	char want[512] = "", *p = want;
	for (int i = 0; i < mm->n_labels && p < want + sizeof(want) - 40; i++)
		p += snprintf(p, 40, "%s%s", i ? ", " : "", mm->labels[i]);
	return error("--labels '%s' gives classes that are not the model's (%s); pass the map "
		     "filter-relabel used",
		     spec, want);
}

static int eval_dump(struct ev *ev, const char *dump, const char *labels_spec, long threads)
{
	struct classifier *cl = ev->cl;
	if (!(ev->map = labelmap_parse(labels_spec)) || check_map(ev->map, &cl->meta, labels_spec))
		return -1;
	ev->dump = dump;
	ev->hashes = malloc(sizeof(uint64_t) * cl->m->max_batch);
	ev->labels = malloc(sizeof(int32_t) * cl->m->max_batch);
	if (!ev->hashes || !ev->labels)
		return error("out of memory");
	struct badlog bad;
	badlog_init(&bad, 10);
	struct encdump_opts eo = {
		.vocab = cl->vocab,
		.wp = WORDPIECE_OPTS_DEFAULT,
		.max_len = cl->meta.max_len,
		.trunc = cl->trunc,
		.threads = (int)threads,
		.bad = &bad,
	};
	struct encdump_stats st;
	int rc = encdump_run(dump, &eo, on_record, ev, &st);
	if (!rc)
		rc = flush_dump_batch(ev);
	if (!rc)
		info("'%s': %ld reviews classified, %ld dropped by the label map, %ld unknown "
		     "labels, %ld bad records",
		     dump, ev->classified, ev->dropped, ev->unknown, st.bad);
	encdump_stats_free(&st);
	badlog_free(&bad);
	if (!rc && ev->classified == 0)
		rc = error("'%s': no review with a label of the model", dump);
	return rc;
}

int evaluate_classifier(const struct evaluate_opts *o)
{
	struct ev ev;
	memset(&ev, 0, sizeof(ev));
	struct batches *bt = NULL;
	json_t *j = NULL;
	int rc = -1;
	/* "--predictions artifacts/model.h5" must not replace the model */
	const char *inputs[] = {o->model, o->dump ? o->dump : o->data, o->vocab};
	for (int i = 0; i < 3; i++)
		if (inputs[i])
			afile_protect_input(inputs[i]);
	if (!(ev.cl = classifier_open(o->model, o->vocab, o->dump != NULL, o->batch)) ||
	    classifier_use_device(ev.cl, o->dev))
		goto out;
	if (o->dev == DEVICE_CUDA)
		info("device: %s", ev.cl->dm.desc);
	const struct model_meta *mm = &ev.cl->meta;
	ev.C = mm->cfg.outputs;
	ev.logits = o->logits;
	if (!(ev.acc = metrics_acc_new(ev.C, 1)))
		goto out;
	/* opened before the work, so a path that cannot be written fails
	 * first, and both files are committed at the end: never new
	 * predictions beside old (or no) metrics */
	if (afile_open(&ev.metrics, o->metrics_out))
		goto out;
	if (o->pred_out && *o->pred_out) {
		if (afile_open(&ev.pred, o->pred_out))
			goto out;
		fprintf(ev.pred.fp, "hash\tlabel\tpredicted");
		for (int i = 0; i < ev.C; i++)
			fprintf(ev.pred.fp, "\tprob_%s", mm->labels[i]);
		for (int i = 0; o->logits && i < ev.C; i++)
			fprintf(ev.pred.fp, "\tlogit_%s", mm->labels[i]);
		fputc('\n', ev.pred.fp);
	}
	if (o->dump) {
		if (eval_dump(&ev, o->dump, o->labels, o->threads))
			goto out;
	} else {
		struct batches_config bc;
		batches_config_init(&bc);
		bc.split = o->split;
		bc.batch_size = (uint32_t)o->batch;
		bc.shuffle = 0;
		bc.trim = mm->cfg.pool != RNN_POOL_LAST_PADDED;
		bc.vocab_hash = mm->vocab_hash;
		if (!(bt = batches_open(o->data, &bc)))
			goto out;
		if (batches_rows(bt) == 0) {
			/* no reviews, no metrics: accuracy 0 of nothing is not a score */
			error("'%s': split '%s' has no reviews; nothing to evaluate (re-run split "
			      "with a share for it, e.g. --fractions 80/10/10)",
			      o->data, o->split);
			goto out;
		}
		const struct tokmeta *tm = &batches_info(bt)->meta;
		/* the same vocabulary hash but another size: one of the two files
		 * was damaged (and resealed); the ids would run past the model's
		 * embedding ("token id N outside the vocabulary", naming no file) */
		if (tm->vocab_size != mm->vocab_size) {
			char h[17];
			hash64_hex(mm->vocab_hash, h);
			error("'%s' has vocab_size %u, but the model '%s' has %u for the same "
			      "vocabulary (hash %s): one of the two files is damaged; re-run "
			      "'make %s', or retrain the model on it",
			      o->data, tm->vocab_size, o->model, mm->vocab_size, h, o->data);
			goto out;
		}
		int same = tm->n_labels == mm->n_labels && tm->max_len == mm->max_len;
		for (int i = 0; same && i < tm->n_labels; i++)
			same = !strcmp(tm->labels[i], mm->labels[i]);
		if (!same) {
			error("'%s' (max_len %u, %d labels) does not match the model '%s' (max_len "
			      "%u, %d labels); re-run train",
			      o->data, tm->max_len, tm->n_labels, o->model, mm->max_len, mm->n_labels);
			goto out;
		}
		progress_start(&ev.pg, stderr, o->quiet ? PROGRESS_NONE : PROGRESS_AUTO, o->split,
			       batches_per_epoch(bt), 30);
		int e = eval_split(&ev.cl->dm, bt, ev.acc, on_batch, &ev, &ev.pg);
		progress_end(&ev.pg);
		if (e < 0)
			goto out;
		if (e == 1)
			warning("the model gives non-finite losses on '%s' (%s)", o->data, o->split);
	}
	struct metrics m;
	if (metrics_compute(ev.acc, &m))
		goto out;
	/* as for jsonw_unless: a key that could not be added fails the run */
	j = json_object();
	int bad = json_object_set_new(j, "split", json_string(o->dump ? "dump" : o->split));
	json_t *mj = metrics_json(&m, mm->labels);
	bad |= !mj || json_object_update(j, mj);
	json_decref(mj);
	bad |= json_object_set_new(j, "model", json_string(o->model));
	bad |= json_object_set_new(j, "dataset", o->dump ? json_null() : json_string(o->data));
	if (o->dump) {
		bad |= json_object_set_new(j, "dump", json_string(o->dump));
		bad |= json_object_set_new(j, "dropped", json_integer(ev.dropped));
		bad |= json_object_set_new(j, "unknown_labels", json_integer(ev.unknown));
	}
	if (bad) {
		metrics_free(&m);
		error("out of memory");
		goto out;
	}
	if (json_write_afile(&ev.metrics, j) || (ev.pred.fp && afile_commit(&ev.pred))) {
		metrics_free(&m);
		goto out;
	}
	info("%s: n %" PRIu64 ", accuracy %.4f, macro F1 %.4f, ROC AUC %.4f, loss %.4f -> '%s'",
	     o->dump ? o->dump : o->split, m.n, m.accuracy, m.macro_f1, m.roc_auc, m.loss,
	     o->metrics_out);
	metrics_free(&m);
	rc = 0;
out:
	if (ev.pred.fp)
		afile_abort(&ev.pred);
	if (ev.metrics.fp)
		afile_abort(&ev.metrics);
	json_decref(j);
	batches_close(bt);
	metrics_acc_free(ev.acc);
	labelmap_free(ev.map);
	free(ev.hashes);
	free(ev.labels);
	classifier_close(ev.cl);
	return rc;
}
