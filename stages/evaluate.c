/* evaluate - measures a trained model on held-out data.
 *
 * Reads model.h5 and either one split of artifacts/dataset.h5 (the test
 * split by default) or a raw review dump (--dump: tokenized and relabelled
 * on the fly with the model's vocabulary, max_len, truncation and labels).
 * Writes artifacts/metrics.json (accuracy, per-class P/R/F1, macro F1,
 * confusion matrix, ROC AUC and curve for two classes, loss, n) and
 * artifacts/predictions.tsv (docs/artifacts.md).  A regression model
 * (--task regress) is scored on the time-series dataset's test split
 * against the naive baselines (docs/timeseries.md).  Forward passes run on
 * the CPU or a CUDA GPU (--device).  Never trains.
 * Exit: 0 ok, 1 failure, 2 bad usage.
 */
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
#include "hash.h"
#include "labelmap.h"
#include "metrics.h"
#include "opts.h"
#include "progress.h"
#include "stage.h"
#include "ts_metrics.h"
#include "tsfile.h"

struct ev {
	struct classifier *cl;
	struct metrics_acc *acc;
	struct afile pred;   /* predictions.tsv, fp NULL when not written */
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
	double loss = 0;
	for (int i = 0; i < cl->n; i++) {
		float p = cl->probs[(size_t)i * ev->C + ev->labels[i]];
		loss -= log(p > 1e-30f ? (double)p : 1e-30);
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
static int eval_series(const char *model, const char *data, const char *out, int batch,
		       enum device_kind device)
{
	struct model_meta mm;
	float *params = modelfile_load(model, &mm), *inputs = NULL, *pred = NULL;
	struct rnn_model *m = NULL;
	struct devmodel dm = {0};
	struct tsdata d;
	int rc = -1, have_d = 0;
	if (!params)
		return -1;
	if (mm.cfg.task != RNN_TASK_REGRESS) {
		error("model '%s' is a %s model; --task regress needs a regression model", model,
		      rnn_task_name(mm.cfg.task));
		goto out;
	}
	if (tsdata_read(data, &d))
		goto out;
	have_d = 1;
	const int W = (int)d.window, K = (int)d.horizon;
	if (W != (int)mm.max_len || K != mm.cfg.outputs) {
		error("'%s' has windows of %d -> %d values, the model '%s' %u -> %d; re-run train",
		      data, W, K, model, mm.max_len, mm.cfg.outputs);
		goto out;
	}
	float *targets = NULL;
	size_t n;
	if (tsfile_read_split(data, &d, TS_TEST, &inputs, &targets, &n))
		goto out;
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
	rc = ts_metrics_write_test(out, data, pred, n, n ? sum / n : NAN);
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

int main(int argc, char **argv)
{
	const char *model = "artifacts/model.h5", *data = "artifacts/dataset.h5", *split = "test";
	const char *dump = NULL, *vocab = NULL, *labels = "binary", *task = "classify";
	const char *metrics_out = "artifacts/metrics.json", *pred_out = "artifacts/predictions.tsv";
	const char *device = "auto";
	long batch = 128, threads = 2;
	int quiet = 0, logits = 0;
	const struct opt opts[] = {
		{"model", OPT_STR, &model, "FILE", "the trained model", 0, 0},
		{"task", OPT_CHOICE, &task, "classify|regress",
		 "regress: a time-series model on its dataset's test split", 0, 0},
		{"data", OPT_STR, &data, "FILE", "the dataset file", 0, 0},
		{"split", OPT_CHOICE, &split, "test|validation|train", "the split to evaluate", 0, 0},
		{"dump", OPT_STR, &dump, "FILE",
		 "evaluate a raw review dump instead (tokenized with the model's vocabulary)", 0, 0},
		{"vocab", OPT_STR, &vocab, "FILE",
		 "--dump: vocab.txt to use instead of the model's (its hash must match)", 0, 0},
		{"labels", OPT_STR, &labels, "MAP",
		 "--dump: label map as filter-relabel's --labels", 0, 0},
		{"metrics", OPT_STR, &metrics_out, "FILE", "metrics to write (JSON)", 0, 0},
		{"predictions", OPT_STR, &pred_out, "FILE",
		 "per-review predictions to write (TSV; '' = none)", 0, 0},
		{"logits", OPT_FLAG, &logits, NULL,
		 "add logit_<label> columns (full precision) to the predictions", 0, 0},
		{"batch", OPT_INT, &batch, "N", "reviews per forward pass", 1, 1 << 16},
		{"threads", OPT_INT, &threads, "N", "CPU threads", 1, 256},
		{"device", OPT_CHOICE, &device, "auto|cpu|cuda",
		 "where the forward passes run (auto: a CUDA GPU when built in and present, else "
		 "the CPU; cuda: fail without one)",
		 0, 0},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"evaluate", "[OPTIONS]",
		"Evaluates the model on a split of the dataset file (or on a raw dump):\n"
		"accuracy, per-class precision/recall/F1, macro F1, confusion matrix, ROC\n"
		"AUC; writes metrics JSON and per-review predictions.",
		opts, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	rnn_set_threads((int)threads);
	enum device_kind dev;
	if (device_resolve(device, &dev))
		return EXIT_FAIL;

	if (!strcmp(task, "regress")) {
		if (dump || strcmp(split, "test"))
			die(EXIT_USAGE, "--task regress evaluates the test split of the time-series "
					"dataset (no --dump, no --split)");
		return eval_series(model, data, metrics_out, (int)batch, dev) ? EXIT_FAIL : EXIT_OK;
	}
	struct ev ev;
	memset(&ev, 0, sizeof(ev));
	struct batches *bt = NULL;
	json_t *j = NULL;
	int rc = -1;
	if (!(ev.cl = classifier_open(model, vocab, dump != NULL, (int)batch)) ||
	    classifier_use_device(ev.cl, dev))
		goto out;
	if (dev == DEVICE_CUDA)
		info("device: %s", ev.cl->dm.desc);
	const struct model_meta *mm = &ev.cl->meta;
	ev.C = mm->cfg.outputs;
	ev.logits = logits;
	if (!(ev.acc = metrics_acc_new(ev.C, 1)))
		goto out;
	if (pred_out && *pred_out) {
		if (afile_open(&ev.pred, pred_out))
			goto out;
		fprintf(ev.pred.fp, "hash\tlabel\tpredicted");
		for (int i = 0; i < ev.C; i++)
			fprintf(ev.pred.fp, "\tprob_%s", mm->labels[i]);
		for (int i = 0; logits && i < ev.C; i++)
			fprintf(ev.pred.fp, "\tlogit_%s", mm->labels[i]);
		fputc('\n', ev.pred.fp);
	}
	if (dump) {
		if (eval_dump(&ev, dump, labels, threads))
			goto out;
	} else {
		struct batches_config bc;
		batches_config_init(&bc);
		bc.split = split;
		bc.batch_size = (uint32_t)batch;
		bc.shuffle = 0;
		bc.trim = mm->cfg.pool != RNN_POOL_LAST_PADDED;
		bc.vocab_hash = mm->vocab_hash;
		if (!(bt = batches_open(data, &bc)))
			goto out;
		const struct tokmeta *tm = &batches_info(bt)->meta;
		int same = tm->n_labels == mm->n_labels && tm->max_len == mm->max_len;
		for (int i = 0; same && i < tm->n_labels; i++)
			same = !strcmp(tm->labels[i], mm->labels[i]);
		if (!same) {
			error("'%s' (max_len %u, %d labels) does not match the model '%s' (max_len "
			      "%u, %d labels); re-run train",
			      data, tm->max_len, tm->n_labels, model, mm->max_len, mm->n_labels);
			goto out;
		}
		progress_start(&ev.pg, stderr, quiet ? PROGRESS_NONE : PROGRESS_AUTO, split,
			       batches_per_epoch(bt), 30);
		int e = eval_split(&ev.cl->dm, bt, ev.acc, on_batch, &ev, &ev.pg);
		progress_end(&ev.pg);
		if (e < 0)
			goto out;
		if (e == 1)
			warning("the model gives non-finite losses on '%s' (%s)", data, split);
	}
	struct metrics m;
	if (metrics_compute(ev.acc, &m))
		goto out;
	j = json_object();
	json_object_set_new(j, "split", json_string(dump ? "dump" : split));
	json_t *mj = metrics_json(&m, mm->labels);
	if (!mj) {
		metrics_free(&m);
		error("out of memory");
		goto out;
	}
	json_object_update(j, mj);
	json_decref(mj);
	json_object_set_new(j, "model", json_string(model));
	json_object_set_new(j, "dataset", dump ? json_null() : json_string(data));
	if (dump) {
		json_object_set_new(j, "dump", json_string(dump));
		json_object_set_new(j, "dropped", json_integer(ev.dropped));
		json_object_set_new(j, "unknown_labels", json_integer(ev.unknown));
	}
	if (ev.pred.fp) {
		if (afile_commit(&ev.pred)) {
			metrics_free(&m);
			goto out;
		}
		ev.pred.fp = NULL;
	}
	if (json_write_file(metrics_out, j)) {
		metrics_free(&m);
		goto out;
	}
	info("%s: n %" PRIu64 ", accuracy %.4f, macro F1 %.4f, ROC AUC %.4f, loss %.4f -> '%s'",
	     dump ? dump : split, m.n, m.accuracy, m.macro_f1, m.roc_auc, m.loss, metrics_out);
	metrics_free(&m);
	rc = 0;
out:
	if (ev.pred.fp)
		afile_abort(&ev.pred);
	json_decref(j);
	batches_close(bt);
	metrics_acc_free(ev.acc);
	labelmap_free(ev.map);
	free(ev.hashes);
	free(ev.labels);
	classifier_close(ev.cl);
	return rc ? EXIT_FAIL : EXIT_OK;
}
