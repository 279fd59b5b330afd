/* trainloop.c - the training run (trainloop.h): streams shuffled batches
 * of the training split into the model (on the CPU or a CUDA GPU through
 * devmodel.h: the one place that chooses), evaluates the validation split
 * after every epoch, keeps the best epoch's weights, stops early, guards
 * against NaN/Inf, checkpoints every epoch (atomically) and resumes from a
 * matching checkpoint.  Writes model.h5, train-log.jsonl and train.json.
 * Two data sources behind one "feed": the review dataset (classify,
 * streamed by batches.h) and the windowed time series (regress, tsfile.h,
 * small enough to hold in memory).  On a GPU the host model is a mirror:
 * filled after init or resume, and brought back (parameters and Adam
 * state) after every epoch, before the best-epoch snapshot, the
 * checkpoint and the model file, which stay the CPU's formats.
 *
 * Reproducibility: the initial weights come from the seed, the order of
 * epoch e's batches from (seed, e) alone (batches.h), and nothing else is
 * random, so the checkpoint's (seed, epoch) is the whole RNG state; a
 * checkpoint written when a signal stopped the run inside an epoch adds
 * the batches done of it (skipped on resume) and the epoch's running sums.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "batches.h"
#include "error.h"
#include "evalloop.h"
#include "hash.h"
#include "jsonoom.h"
#include "jsonw.h"
#include "metrics.h"
#include "modelfile.h"
#include "progress.h"
#include "rng.h"
#include "rnn_cuda.h"
#include "trainloop.h"
#include "tsfile.h"
#include "vocab.h"

/* The first stop signal (SIGINT, SIGTERM, SIGHUP), 0 before one came.
 * Lock-free, so the handler may set it from whichever thread it runs on
 * (the batch reader's prefetch thread blocks these signals anyway). */
static atomic_int stop_sig;

static void on_stop_signal(int sig)
{
	int none = 0;
	atomic_compare_exchange_strong(&stop_sig, &none, sig);
}

void train_install_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART; /* reads and writes go on; the loop checks */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int train_stop_signal(void)
{
	return atomic_load(&stop_sig);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM";
}

void train_cfg_defaults(struct train_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->data = "artifacts/dataset.h5";
	c->model_out = "artifacts/model.h5";
	c->log_out = "artifacts/train-log.jsonl";
	c->summary_out = "artifacts/train.json";
	c->checkpoint = "artifacts/checkpoint.h5";
	c->cell = RNN_CELL_GRU;
	c->task = RNN_TASK_CLASSIFY;
	c->embed = 128;
	c->hidden = 128;
	c->layers = 1;
	c->pool = RNN_POOL_MEAN;
	rnn_optim_defaults(&c->optim);
	c->optim.lr = 2e-3;
	c->optim.sparse_embedding = 1;
	c->clip = 1.0;
	c->epochs = 8;
	c->batch = 32;
	c->patience = 2;
	c->seed = 1;
	c->threads = 1;
	c->progress = PROGRESS_AUTO;
	c->progress_interval = 30;
	c->device = DEVICE_CPU;
	c->producer = "train";
}

/* The shortest "%.Ng" that reads back as x exactly (0.003, not
 * 0.0030000000000000001): exact, and readable in the mismatch note. */
static const char *exact(char buf[32], double x)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return buf;
}

void train_fingerprint(const struct train_cfg *c, const struct rnn_config *m,
		       uint64_t dataset_hash, uint64_t vocab_hash, char *buf, size_t size)
{
	char dh[17], vh[17], d[6][32];
	hash64_hex(dataset_hash, dh);
	hash64_hex(vocab_hash, vh);
	const struct rnn_optim *o = &c->optim;
	snprintf(buf, size,
		 "task=%s;cell=%s;vocab=%d;embed=%d;input_size=%d;hidden=%d;layers=%d;"
		 "bidirectional=%d;outputs=%d;pool=%s;dataset_hash=%s;vocab_hash=%s;"
		 "seed=%" PRIu64 ";batch=%d;optimizer=%s;lr=%s;beta1=%s;beta2=%s;"
		 "eps=%s;weight_decay=%s;sparse_embedding=%d;clip=%s;program=%016" PRIx64,
		 rnn_task_name(m->task), rnn_cell_name(m->cell), m->vocab, m->embed, m->input_size,
		 m->hidden, m->layers, m->bidirectional, m->outputs, rnn_pool_name(m->pool), dh, vh,
		 c->seed, c->batch, o->adamw ? "adamw" : "adam", exact(d[0], o->lr),
		 exact(d[1], o->beta1), exact(d[2], o->beta2), exact(d[3], o->eps),
		 exact(d[4], o->weight_decay), o->sparse_embedding, exact(d[5], c->clip),
		 c->program_hash);
}

/* The first key=value of a that b lacks, for the "does not match" note. */
static void first_difference(const char *a, const char *b, char *out, size_t size)
{
	snprintf(out, size, "settings differ");
	const char *p = a;
	while (p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) + 1 : n;
		/* find the same key in b */
		const char *q = b, *hit = NULL;
		size_t hn = 0;
		while (q && *q) {
			const char *qe = strchr(q, ';');
			size_t qn = qe ? (size_t)(qe - q) : strlen(q);
			if (qn >= klen && !strncmp(q, p, klen)) {
				hit = q;
				hn = qn;
				break;
			}
			q = qe ? qe + 1 : NULL;
		}
		if (!hit || hn != n || strncmp(hit, p, n)) {
			snprintf(out, size, "%.*s there, %.*s here", (int)n, p, hit ? (int)hn : 4,
				 hit ? hit : "none");
			return;
		}
		p = end ? end + 1 : NULL;
	}
}

static json_t *jreal(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* The share of the device's time between the first and last train step
 * that it spent waiting (docs/training.md); NaN before any step. */
static double idle_fraction(const struct rnn_cuda_timing *t)
{
	double total = t->busy_s + t->idle_s;
	return total > 0 ? t->idle_s / total : NAN;
}

/* ---- feeds: where batches come from ---- */

struct feed {
	struct batches *b;         /* classify: the streaming reader */
	/* regress: one split in memory */
	float *inputs, *targets;   /* (n, W), (n, K) */
	size_t n;
	int W, K, B, shuffle;
	uint64_t seed;
	uint32_t *order;           /* (n) this epoch's order */
	size_t pos;
	float *bin, *btg;          /* (B, W), (B, K) the current batch */
	int32_t *blen;             /* (B) all W */
};

static void feed_free(struct feed *f)
{
	batches_close(f->b);
	free(f->inputs);
	free(f->targets);
	free(f->order);
	free(f->bin);
	free(f->btg);
	free(f->blen);
	memset(f, 0, sizeof(*f));
}

static int feed_is_open(const struct feed *f)
{
	return f->b || f->inputs;
}

static uint64_t feed_rows(const struct feed *f)
{
	return f->b ? batches_rows(f->b) : f->n;
}

static uint64_t feed_batches(const struct feed *f)
{
	return f->b ? batches_per_epoch(f->b) : (f->n + f->B - 1) / f->B;
}

/* A regression feed over inputs (n, W) and targets (n, K), taken over. */
static int feed_arrays(struct feed *f, float *inputs, float *targets, size_t n, int W, int K,
		       int B, int shuffle, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	f->inputs = inputs;
	f->targets = targets;
	f->n = n;
	f->W = W;
	f->K = K;
	f->B = B;
	f->shuffle = shuffle;
	f->seed = seed;
	f->order = malloc((n + 1) * sizeof(uint32_t));
	f->bin = malloc((size_t)B * W * sizeof(float));
	f->btg = malloc((size_t)B * K * sizeof(float));
	f->blen = malloc((size_t)B * sizeof(int32_t));
	if (!f->order || !f->bin || !f->btg || !f->blen)
		return error("out of memory");
	for (int i = 0; i < B; i++)
		f->blen[i] = W;
	return 0;
}

/* Starts epoch e: the order depends only on (seed, e). */
static int feed_start(struct feed *f, uint64_t e)
{
	if (f->b)
		return batches_start_epoch(f->b, e);
	for (size_t i = 0; i < f->n; i++)
		f->order[i] = (uint32_t)i;
	if (f->shuffle) {
		struct rng r;
		rng_seed2(&r, f->seed, e);
		rng_shuffle_u32(&r, f->order, f->n);
	}
	f->pos = 0;
	return 0;
}

/* Skips the first k batches of the epoch just started (resuming inside
 * it): the order is the uninterrupted run's, so the batches that follow
 * are the ones it took next.  The review reader reads the skipped batches
 * (the pools it shuffles depend on their rows); a series is in memory. */
static int feed_skip(struct feed *f, uint64_t k)
{
	if (!f->b) {
		if (k > (f->n + f->B - 1) / f->B)
			return error("the checkpoint's position (batch %" PRIu64 ") is past the end "
				     "of the epoch",
				     k);
		uint64_t rows = k * (uint64_t)f->B;
		f->pos = rows < f->n ? (size_t)rows : f->n;
		return 0;
	}
	for (uint64_t i = 0; i < k; i++) {
		const struct batch *bt;
		int rc = batches_next(f->b, &bt);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return error("the checkpoint's position (batch %" PRIu64 ") is past the end "
				     "of the epoch (%" PRIu64 " batches)",
				     k, i);
	}
	return 0;
}

/* The next batch as the model takes it: 1, 0 at the end, -1 on error. */
static int feed_next(struct feed *f, struct rnn_batch *rb)
{
	memset(rb, 0, sizeof(*rb));
	if (f->b) {
		const struct batch *bt;
		int rc = batches_next(f->b, &bt);
		if (rc == 1) {
			rb->B = (int)bt->n;
			rb->T = (int)bt->t;
			rb->ids = bt->ids;
			rb->lengths = bt->lengths;
			rb->labels = bt->labels;
		}
		return rc;
	}
	if (f->pos >= f->n)
		return 0;
	size_t m = f->n - f->pos < (size_t)f->B ? f->n - f->pos : (size_t)f->B;
	for (size_t i = 0; i < m; i++) {
		uint32_t r = f->order[f->pos + i];
		memcpy(f->bin + i * f->W, f->inputs + (size_t)r * f->W, sizeof(float) * f->W);
		memcpy(f->btg + i * f->K, f->targets + (size_t)r * f->K, sizeof(float) * f->K);
	}
	f->pos += m;
	rb->B = (int)m;
	rb->T = f->W;
	rb->inputs = f->bin;
	rb->lengths = f->blen;
	rb->targets = f->btg;
	return 1;
}

/* Everything a run holds; freed by run_free. */
struct run {
	const struct train_cfg *c;
	struct feed tr, va;
	const struct dsinfo *info; /* classify */
	struct tsdata ts;          /* regress */
	int ts_open;
	struct rnn_model *m;    /* the host model: init, resume, save */
	struct devmodel dm;     /* where it computes */
	float *best;            /* best weights (with a validation split) */
	struct model_meta meta;
	struct ckpt_state st;
	char fp_text[1024];
	uint64_t dataset_hash;
	int resumed;            /* continued from a checkpoint */
	int resumed_from;       /* epochs finished in that checkpoint */
	long steps;             /* optimiser steps taken by this run */
	int stop_sig;           /* the stop signal seen, 0 = none */
	double train_seconds;   /* this run's pure training time */
	uint64_t run_seqs;
	double t0;
	double prior_seconds;   /* from the checkpoint */
	uint64_t prior_seqs;
	double prior_train_seconds;
};

static void run_free(struct run *r)
{
	feed_free(&r->tr);
	feed_free(&r->va);
	if (r->ts_open)
		tsdata_free(&r->ts);
	devmodel_close(&r->dm);
	rnn_model_free(r->m);
	free(r->best);
	model_meta_free(&r->meta);
	ckpt_state_free(&r->st);
}

static int open_reviews(struct run *r)
{
	const struct train_cfg *c = r->c;
	struct batches_config bc;
	batches_config_init(&bc);
	bc.split = "train";
	bc.batch_size = (uint32_t)c->batch;
	bc.shuffle = 1;
	bc.seed = c->seed;
	/* the notebook's output[:, -1] needs every row max_len wide */
	bc.trim = c->pool != RNN_POOL_LAST_PADDED;
	if (!(r->tr.b = batches_open(c->data, &bc)))
		return -1;
	r->info = batches_info(r->tr.b);
	if (batches_rows(r->tr.b) == 0)
		return error("'%s': the training split is empty", c->data);
	if (r->info->has_split[SPLIT_VALIDATION] && r->info->counts[SPLIT_VALIDATION] > 0) {
		bc.split = "validation";
		bc.shuffle = 0;
		if (!(r->va.b = batches_open(c->data, &bc)))
			return -1;
	} else {
		warning("'%s' has no validation rows: no early stopping, the last epoch's "
			"weights are kept",
			c->data);
	}
	return 0;
}

static int open_series(struct run *r)
{
	const struct train_cfg *c = r->c;
	if (tsdata_read(c->data, &r->ts))
		return -1;
	r->ts_open = 1;
	const int W = (int)r->ts.window, K = (int)r->ts.horizon;
	float *in = NULL, *tg = NULL;
	size_t n;
	if (tsfile_read_split(c->data, &r->ts, TS_TRAIN, &in, &tg, &n))
		return -1;
	if (feed_arrays(&r->tr, in, tg, n, W, K, c->batch, 1, c->seed))
		return -1;
	if (n == 0)
		return error("'%s': the training split is empty", c->data);
	if (r->ts.count[TS_VALIDATION] > 0) {
		if (tsfile_read_split(c->data, &r->ts, TS_VALIDATION, &in, &tg, &n) ||
		    feed_arrays(&r->va, in, tg, n, W, K, c->batch, 0, c->seed))
			return -1;
	} else {
		warning("'%s' has no validation windows: no early stopping, the last epoch's "
			"weights are kept",
			c->data);
	}
	return 0;
}

static int open_data(struct run *r)
{
	return r->c->task == RNN_TASK_REGRESS ? open_series(r) : open_reviews(r);
}

/* Fills r->meta from the dataset, the vocabulary file and the settings. */
static int make_meta_series(struct run *r)
{
	const struct train_cfg *c = r->c;
	const struct tsdata *d = &r->ts;
	struct model_meta *mm = &r->meta;
	if (c->vocab)
		return error("--vocab does not apply to --task regress");
	mm->cfg = (struct rnn_config){
		.cell = c->cell, .task = RNN_TASK_REGRESS, .input_size = 1, .hidden = c->hidden,
		.layers = c->layers, .bidirectional = c->bidirectional,
		.outputs = (int)d->horizon, .pool = c->pool,
	};
	if (rnn_config_check(&mm->cfg))
		return -1;
	mm->max_len = (uint32_t)d->window;
	mm->n_norm = 1;
	mm->norm_mean = malloc(sizeof(double));
	mm->norm_std = malloc(sizeof(double));
	if (!mm->norm_mean || !mm->norm_std || !(mm->truncation = strdup("none")) ||
	    !(mm->producer = strdup(c->producer)) || !(mm->dataset = strdup(c->data)))
		return error("out of memory");
	mm->norm_mean[0] = d->mean;
	mm->norm_std[0] = d->std;
	if (hash64_file(c->data, &r->dataset_hash))
		return -1;
	mm->dataset_hash = r->dataset_hash;
	double w = (double)d->window, k = (double)d->horizon, s = (double)d->season;
	if (model_meta_set_extra(mm, "window", NULL, &w, 1) ||
	    model_meta_set_extra(mm, "horizon", NULL, &k, 1) ||
	    model_meta_set_extra(mm, "season", NULL, &s, 1) ||
	    model_meta_set_extra(mm, "normalization", "zscore", NULL, 0) ||
	    (d->series.source && model_meta_set_extra(mm, "source", d->series.source, NULL, 0)) ||
	    (d->series.column && model_meta_set_extra(mm, "column", d->series.column, NULL, 0)))
		return -1;
	return 0;
}

static int make_meta(struct run *r)
{
	const struct train_cfg *c = r->c;
	if (c->task == RNN_TASK_REGRESS)
		return make_meta_series(r);
	const struct tokmeta *tm = &r->info->meta;
	struct model_meta *mm = &r->meta;
	if (tm->n_labels < 2)
		return error("'%s': %d label names; a classifier needs at least 2 (re-run "
			     "filter-relabel)",
			     c->data, tm->n_labels);
	mm->cfg = (struct rnn_config){
		.cell = c->cell, .task = c->task, .vocab = (int)tm->vocab_size, .embed = c->embed,
		.input_size = c->embed, .hidden = c->hidden, .layers = c->layers,
		.bidirectional = c->bidirectional, .outputs = tm->n_labels, .pool = c->pool,
	};
	if (rnn_config_check(&mm->cfg))
		return -1;
	for (int i = 0; i < tm->n_labels; i++)
		if (!(mm->labels[mm->n_labels++] = strdup(tm->labels[i])))
			return error("out of memory");
	mm->vocab_hash = tm->vocab_hash;
	mm->vocab_size = tm->vocab_size;
	mm->pad_id = tm->pad_id;
	mm->unk_id = tm->unk_id;
	mm->cls_id = tm->cls_id;
	mm->sep_id = tm->sep_id;
	mm->max_len = tm->max_len;
	if (!(mm->truncation = strdup(tm->truncation ? tm->truncation : "head")) ||
	    !(mm->producer = strdup(c->producer)) || !(mm->dataset = strdup(c->data)))
		return error("out of memory");
	if (hash64_file(c->data, &r->dataset_hash))
		return -1;
	mm->dataset_hash = r->dataset_hash;
	if (c->vocab) {
		/* the text embedded is the bytes checked here: one read */
		struct vocab *v = vocab_load_text(c->vocab, &mm->vocab_text, &mm->vocab_len);
		if (!v)
			return -1;
		uint64_t vh = vocab_hash(v);
		uint32_t vs = vocab_size(v);
		vocab_free(v);
		if (vh != tm->vocab_hash || vs != tm->vocab_size) {
			char a[17], b[17];
			hash64_hex(vh, a);
			hash64_hex(tm->vocab_hash, b);
			return error("'%s' (hash %s, %u tokens) is not the vocabulary of '%s' (hash "
				     "%s, %u tokens); pass the vocab.txt the dataset was made with, "
				     "or re-run 'make %s'",
				     c->vocab, a, vs, c->data, b, tm->vocab_size, c->data);
		}
		if (!(mm->vocab_path = strdup(c->vocab)))
			return error("out of memory");
	}
	return 0;
}

static int write_log(const struct run *r)
{
	const char *path = r->c->log_out;
	if (!path)
		return 0;
	size_t n = 0;
	for (int i = 0; i < r->st.n_log; i++)
		n += strlen(r->st.log[i]) + 1;
	char *buf = malloc(n + 1), *p = buf;
	if (!buf)
		return error("out of memory");
	for (int i = 0; i < r->st.n_log; i++) {
		size_t k = strlen(r->st.log[i]);
		memcpy(p, r->st.log[i], k);
		p[k] = '\n';
		p += k + 1;
	}
	/* rewritten after every epoch */
	int rc = afile_write_all_rewrite(path, buf, n);
	free(buf);
	return rc;
}

/* train.json's text (docs/artifacts.md), ending in a newline; *len its
 * length.  NULL after error(). */
static char *summary_text(const struct run *r, int epochs_run, size_t *len)
{
	const struct train_cfg *c = r->c;
	const struct model_meta *mm = &r->meta;
	int bad = 0; /* as for jsonw_unless: no key goes missing */
	json_t *labels = json_array();
	for (int i = 0; i < mm->n_labels; i++)
		bad |= json_array_append_new(labels, json_string(mm->labels[i]));
	json_t *cfg = json_object();
	bad |= json_object_set_new(cfg, "task", json_string(rnn_task_name(mm->cfg.task)));
	bad |= json_object_set_new(cfg, "cell", json_string(rnn_cell_name(mm->cfg.cell)));
	bad |= json_object_set_new(cfg, "embed", json_integer(mm->cfg.embed));
	bad |= json_object_set_new(cfg, "hidden", json_integer(mm->cfg.hidden));
	bad |= json_object_set_new(cfg, "layers", json_integer(mm->cfg.layers));
	bad |= json_object_set_new(cfg, "bidirectional", json_boolean(mm->cfg.bidirectional));
	bad |= json_object_set_new(cfg, "pooling", json_string(rnn_pool_name(mm->cfg.pool)));
	bad |= json_object_set_new(cfg, "batch", json_integer(c->batch));
	bad |= json_object_set_new(cfg, "lr", json_real(c->optim.lr));
	bad |= json_object_set_new(cfg, "optimizer",
				   json_string(c->optim.adamw ? "adamw" : "adam"));
	bad |= json_object_set_new(cfg, "weight_decay", json_real(c->optim.weight_decay));
	bad |= json_object_set_new(cfg, "sparse_embedding",
				   json_boolean(c->optim.sparse_embedding));
	bad |= json_object_set_new(cfg, "clip", c->clip > 0 ? json_real(c->clip) : json_null());
	bad |= json_object_set_new(cfg, "epochs", json_integer(c->epochs));
	bad |= json_object_set_new(cfg, "patience", json_integer(c->patience));
	bad |= json_object_set_new(cfg, "max_len", json_integer(mm->max_len));
	bad |= json_object_set_new(cfg, "seed", json_integer((json_int_t)c->seed));
	if (mm->cfg.task == RNN_TASK_CLASSIFY) {
		bad |= json_object_set_new(cfg, "vocab_size", json_integer(mm->vocab_size));
		bad |= json_object_set_new(cfg, "classes", json_integer(mm->cfg.outputs));
		bad |= json_object_set_new(cfg, "labels", labels);
	} else {
		json_decref(labels);
		bad |= json_object_set_new(cfg, "window", json_integer(mm->max_len));
		bad |= json_object_set_new(cfg, "horizon", json_integer(mm->cfg.outputs));
	}
	bad |= json_object_set_new(cfg, "preset", c->preset ? json_string(c->preset) : json_null());

	double seconds = r->prior_seconds + (progress_now() - r->t0);
	double tsec = r->prior_train_seconds + r->train_seconds;
	uint64_t seqs = r->prior_seqs + r->run_seqs;
	size_t nparams = 0;
	for (int i = 0; i < r->m->layout.n_tensors; i++)
		nparams += r->m->layout.tensors[i].numel;
	json_t *j = json_object();
	bad |= json_object_set_new(j, "config", cfg);
	bad |= json_object_set_new(j, "device", json_string(device_kind_name(c->device)));
	bad |= json_object_set_new(j, "device_description", json_string(r->dm.desc));
	bad |= json_object_set_new(j, "threads", json_integer(c->threads));
	bad |= json_object_set_new(j, "epochs_run", json_integer(epochs_run));
	bad |= json_object_set_new(j, "best_epoch",
				   r->st.best_epoch ? json_integer(r->st.best_epoch) : json_null());
	bad |= json_object_set_new(j, "best_val_loss",
				   r->st.best_epoch ? jreal(r->st.best_metric) : json_null());
	bad |= json_object_set_new(j, "stopped",
				   r->st.stopped ? json_string(r->st.stopped) : json_null());
	bad |= json_object_set_new(j, "seconds", json_real(seconds));
	bad |= json_object_set_new(j, "seq_per_s", jreal(tsec > 0 ? (double)seqs / tsec : NAN));
	bad |= json_object_set_new(j, "train_examples",
				   json_integer((json_int_t)feed_rows(&r->tr)));
	bad |= json_object_set_new(j, "validation_examples",
				   json_integer((json_int_t)feed_rows(&r->va)));
	bad |= json_object_set_new(j, "parameters", json_integer((json_int_t)nparams));
	bad |= json_object_set_new(j, "resumed_from_epoch",
				   r->resumed ? json_integer(r->resumed_from) : json_null());
	bad |= json_object_set_new(j, "model", json_string(c->model_out));
	bad |= json_object_set_new(j, "dataset", json_string(c->data));
	struct rnn_cuda_timing dt;
	if (devmodel_timing(&r->dm, &dt)) {
		/* this process's train steps on the device (docs/training.md) */
		json_t *t = json_object();
		bad |= json_object_set_new(t, "steps", json_integer(dt.steps));
		bad |= json_object_set_new(t, "busy_s", json_real(dt.busy_s));
		bad |= json_object_set_new(t, "idle_s", json_real(dt.idle_s));
		bad |= json_object_set_new(t, "idle_fraction", jreal(idle_fraction(&dt)));
		bad |= json_object_set_new(t, "gaps", json_integer(dt.gaps));
		bad |= json_object_set_new(t, "max_idle_s", json_real(dt.max_idle_s));
		bad |= json_object_set_new(j, "device_timing", t);
	}
	char *s = bad ? NULL
		      : jsonw_dumps(j,
				    JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10),
				    len);
	json_decref(j);
	if (!s) {
		error("out of memory");
		return NULL;
	}
	s[(*len)++] = '\n'; /* the room of the NUL */
	return s;
}

static int write_summary(const struct run *r, int epochs_run)
{
	if (!r->c->summary_out)
		return 0;
	size_t len;
	char *s = summary_text(r, epochs_run, &len);
	int rc = s ? afile_write_all(r->c->summary_out, s, len) : -1;
	free(s);
	return rc;
}

/* Line i of the checkpoint's training log, parsed; NULL after error()
 * (out of memory: the lines are the run's own, sealed in the file). */
static json_t *log_line(const char *ckpt, const struct ckpt_state *cs, int i)
{
	json_error_t e;
	unsigned long mark = jsonoom_mark();
	json_t *j = json_loads(cs->log[i], 0, &e);
	int oom = jsonoom_since(mark); /* even parsed: a digit may be missing */
	if (!j || oom) {
		json_decref(j);
		error("cannot read line %d of the log in checkpoint '%s': %s", i + 1, ckpt,
		      e.text[0] && !oom ? e.text : "out of memory");
		return NULL;
	}
	return j;
}

/* The epoch before the checkpoint's last at which this run's --patience
 * stops, replayed over the validation losses of its log (the rule of
 * validate_epoch and stop_reason); 0 when it does not stop there, -1 after
 * error(). */
static int patience_stop_epoch(const char *ckpt, const struct ckpt_state *cs, int patience)
{
	if (patience <= 0)
		return 0;
	double best = INFINITY;
	int bad = 0;
	for (int i = 0; i < cs->n_log; i++) {
		json_t *j = log_line(ckpt, cs, i);
		if (!j)
			return -1;
		json_t *v = json_object_get(j, "val_loss");
		int e = (int)json_integer_value(json_object_get(j, "epoch"));
		int have = json_is_number(v);
		double loss = have ? json_number_value(v) : 0;
		json_decref(j);
		if (!have || e <= 0) /* no validation: no early stopping */
			return 0;
		if (loss < best) {
			best = loss;
			bad = 0;
		} else if (++bad >= patience) {
			return e < cs->epoch ? e : 0;
		}
	}
	return 0;
}

/* Continues from the checkpoint when it matches; 0 (resumed or not) or -1. */
static int try_resume(struct run *r, const char *fp_hex)
{
	const struct train_cfg *c = r->c;
	if (!c->resume || !c->checkpoint || access(c->checkpoint, F_OK) != 0)
		return 0;
	struct model_meta cm;
	struct ckpt_state cs;
	if (ckpt_peek(c->checkpoint, &cm, &cs)) {
		/* a warning, not a note: errors were printed above, and a cron log
		 * (--quiet) must say why the run went on */
		warning("ignoring the unreadable checkpoint '%s'; starting from scratch",
			c->checkpoint);
		return 0;
	}
	model_meta_free(&cm);
	char why[256];
	if (strcmp(cs.fingerprint, fp_hex)) {
		first_difference(cs.fingerprint_text, r->fp_text, why, sizeof(why));
		info("note: checkpoint '%s' is of another run (%s); starting from scratch",
		     c->checkpoint, why);
		ckpt_state_free(&cs);
		return 0;
	}
	if (cs.epoch > c->epochs) {
		info("note: checkpoint '%s' has %d epochs, more than --epochs %d; starting from "
		     "scratch",
		     c->checkpoint, cs.epoch, c->epochs);
		ckpt_state_free(&cs);
		return 0;
	}
	/* a run of another --patience went on past where this one stops: its
	 * best weights may be of a later epoch than this run may keep */
	int pe = feed_is_open(&r->va) ? patience_stop_epoch(c->checkpoint, &cs, c->patience) : 0;
	if (pe < 0) {
		ckpt_state_free(&cs);
		return -1;
	}
	if (pe) {
		info("note: checkpoint '%s' has %d epochs, but --patience %d stops after epoch "
		     "%d; starting from scratch",
		     c->checkpoint, cs.epoch, c->patience, pe);
		ckpt_state_free(&cs);
		return 0;
	}
	if (cs.epoch_batch && cs.epoch + 1 > c->epochs) {
		info("note: checkpoint '%s' stopped inside epoch %d, past --epochs %d; starting "
		     "from scratch",
		     c->checkpoint, cs.epoch + 1, c->epochs);
		ckpt_state_free(&cs);
		return 0;
	}
	if (cs.epoch_batch && cs.epoch_batches != feed_batches(&r->tr)) {
		/* the fingerprint (dataset hash, batch size) makes this a corruption */
		warning("ignoring the checkpoint '%s': its epoch has %" PRIu64 " batches, this "
			"run's %" PRIu64 "; starting from scratch",
			c->checkpoint, cs.epoch_batches, feed_batches(&r->tr));
		ckpt_state_free(&cs);
		return 0;
	}
	/* the pure training time of earlier runs is not stored: estimate it
	 * from the logged rates so seq_per_s stays meaningful */
	double prior_train_seconds = 0;
	for (int i = 0; i < cs.n_log; i++) {
		json_t *j = log_line(c->checkpoint, &cs, i);
		if (!j) {
			ckpt_state_free(&cs);
			return -1;
		}
		double sps = json_number_value(json_object_get(j, "seq_per_s"));
		if (sps > 0)
			prior_train_seconds += (double)feed_rows(&r->tr) / sps;
		json_decref(j);
	}
	if (ckpt_load_tensors(c->checkpoint, r->m, r->best)) {
		ckpt_state_free(&cs);
		return -1;
	}
	ckpt_state_free(&r->st);
	r->st = cs;
	free(r->st.stopped); /* decided again under this run's settings */
	r->st.stopped = NULL;
	r->resumed = 1;
	r->resumed_from = cs.epoch;
	r->prior_seconds = cs.seconds;
	r->prior_seqs = cs.seqs;
	r->prior_train_seconds = prior_train_seconds;
	if (cs.epoch_batch)
		info("resuming from '%s' in epoch %d after batch %" PRIu64 "/%" PRIu64,
		     c->checkpoint, cs.epoch + 1, cs.epoch_batch, cs.epoch_batches);
	else
		info("resuming from '%s' after epoch %d", c->checkpoint, cs.epoch);
	return 0;
}

/* The running sums of a training epoch (restored when a checkpoint
 * stopped inside it). */
struct epoch_acc {
	uint64_t nb, n, correct; /* batches, sequences, right answers */
	double loss_sum;         /* sum of batch loss x batch rows */
	double norm_sum;         /* sum of gradient norms */
	double secs;             /* training seconds */
};

/* Whether to stop now: a stop signal came, or the test hook's step. */
static int stop_requested(struct run *r)
{
	if (!r->stop_sig)
		r->stop_sig = train_stop_signal();
	if (!r->stop_sig && r->c->stop_after_steps > 0 && r->steps >= r->c->stop_after_steps)
		r->stop_sig = SIGTERM;
	return r->stop_sig != 0;
}

/* One training epoch, continuing from the sums in *a (zero for a fresh
 * epoch): 0 (the epoch is done), TRAIN_DIVERGED, TRAIN_STOPPED (a stop
 * signal after a step: *a holds the position) or -1. */
static int train_epoch(struct run *r, int e, struct progress *pg, struct epoch_acc *a)
{
	const struct train_cfg *c = r->c;
	struct rnn_model *m = r->m;
	const int C = m->layout.cfg.outputs;
	const int classify = m->layout.cfg.task == RNN_TASK_CLASSIFY;
	if (feed_start(&r->tr, (uint64_t)e) || feed_skip(&r->tr, a->nb))
		return -1;
	char label[64];
	snprintf(label, sizeof(label), "epoch %d/%d", e, c->epochs);
	progress_start(pg, stderr, c->quiet ? PROGRESS_NONE : c->progress, label,
		       feed_batches(&r->tr), c->progress_interval);
	double t0 = progress_now();
	struct rnn_batch rb;
	int rc;
	while ((rc = feed_next(&r->tr, &rb)) == 1) {
		float loss;
		double norm;
		int s = devmodel_train_step(&r->dm, &rb, &c->optim, (float)c->clip, &loss, &norm);
		if (s < 0) {
			progress_end(pg);
			return -1;
		}
		if (s == 1) {
			progress_end(pg);
			error("non-finite %s at epoch %d, batch %" PRIu64 " (loss %g, gradient norm "
			      "%g): training stopped",
			      isfinite(loss) ? "gradient" : "loss", e, a->nb + 1, (double)loss, norm);
			return TRAIN_DIVERGED;
		}
		const float *probs = NULL, *logits;
		if (classify)
			devmodel_outputs(&r->dm, &probs, &logits);
		for (int i = 0; classify && i < rb.B; i++) {
			const float *p = probs + (size_t)i * C;
			int k = 0;
			for (int j = 1; j < C; j++)
				if (p[j] > p[k])
					k = j;
			a->correct += k == rb.labels[i];
		}
		a->loss_sum += (double)loss * rb.B;
		a->norm_sum += norm;
		a->n += (uint64_t)rb.B;
		a->nb++;
		r->steps++;
		char status[96];
		if (classify)
			snprintf(status, sizeof(status), "loss %.4f acc %.3f", a->loss_sum / a->n,
				 (double)a->correct / a->n);
		else
			snprintf(status, sizeof(status), "loss %.5f", a->loss_sum / a->n);
		progress_update(pg, a->nb, a->n, status);
		if (stop_requested(r)) {
			progress_end(pg);
			a->secs += progress_now() - t0;
			return TRAIN_STOPPED;
		}
	}
	progress_end(pg);
	if (rc < 0)
		return -1;
	a->secs += progress_now() - t0;
	return 0;
}

/* Writes r's checkpoint (c->checkpoint) with best as the best weights
 * (NULL: the current ones are the best), after bringing the run's totals
 * (time, sequences, best epoch) up to date.  0 or -1 after error(). */
static int save_checkpoint(struct run *r, const float *best)
{
	r->st.seconds = r->prior_seconds + (progress_now() - r->t0);
	r->st.seqs = r->prior_seqs + r->run_seqs;
	r->meta.best_epoch = r->st.best_epoch;
	return ckpt_save(r->c->checkpoint, &r->meta, r->m, best, &r->st);
}

/* Stopped by a signal.  Inside epoch e (a not NULL): the state goes to
 * the checkpoint with the position and sums of a.  At the end of epoch e
 * (a NULL): its checkpoint was just written.  Prints the one line that
 * says so (even when quiet: it is why the run ended) and returns
 * TRAIN_STOPPED, or -1 when the checkpoint cannot be written. */
static int stop_run(struct run *r, int e, const struct epoch_acc *a)
{
	const struct train_cfg *c = r->c;
	char where[96];
	if (a) {
		snprintf(where, sizeof(where), "in epoch %d after batch %" PRIu64 "/%" PRIu64, e,
			 a->nb, feed_batches(&r->tr));
		if (c->checkpoint) {
			/* weights, Adam moments and step back from the device, as at
			 * the end of an epoch */
			if (devmodel_to_host(&r->dm))
				return -1;
			struct ckpt_state *st = &r->st;
			st->epoch_batch = a->nb;
			st->epoch_batches = feed_batches(&r->tr);
			st->epoch_seqs = a->n;
			st->epoch_correct = a->correct;
			st->epoch_loss_sum = a->loss_sum;
			st->epoch_norm_sum = a->norm_sum;
			st->epoch_seconds = a->secs;
			st->adam_step = r->m->adam_step;
			free(st->stopped);
			st->stopped = NULL;
			/* the current weights are never the best ones mid-epoch */
			if (save_checkpoint(r, r->best && st->best_epoch > 0 ? r->best : NULL)) {
				error("stopped by %s %s, but the checkpoint could not be written; "
				      "the previous one is kept",
				      signal_name(r->stop_sig), where);
				return -1;
			}
		}
	} else {
		snprintf(where, sizeof(where), "after epoch %d", e);
	}
	if (c->checkpoint)
		notice("stopped by %s %s; checkpoint '%s' written; rerun with --resume to continue",
		       signal_name(r->stop_sig), where, c->checkpoint);
	else
		notice("stopped by %s %s; no checkpoint (--no-checkpoint), nothing to resume",
		       signal_name(r->stop_sig), where);
	return TRAIN_STOPPED;
}

/* Validation after an epoch: loss (cross-entropy or MSE), and for
 * classification accuracy and macro F1 in *vm.  0, 1 (not finite), -1. */
static int validate(struct run *r, struct metrics *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->accuracy = vm->macro_f1 = NAN;
	struct rnn_model *m = r->m;
	if (r->va.b) {
		struct metrics_acc *acc = metrics_acc_new(m->layout.cfg.outputs, 0);
		if (!acc)
			return -1;
		int v = eval_split(&r->dm, r->va.b, acc, NULL, NULL, NULL);
		if (!v)
			v = metrics_compute(acc, vm);
		metrics_acc_free(acc);
		if (v)
			return v;
		return isfinite(vm->loss) ? 0 : 1;
	}
	/* regression: mean squared error over every (example, step) */
	if (feed_start(&r->va, 0))
		return -1;
	struct rnn_batch rb;
	double sum = 0;
	uint64_t n = 0;
	int rc;
	while ((rc = feed_next(&r->va, &rb)) == 1) {
		float loss;
		if (devmodel_forward(&r->dm, &rb, &loss))
			return -1;
		sum += (double)loss * rb.B;
		n += (uint64_t)rb.B;
	}
	if (rc < 0)
		return -1;
	vm->n = n;
	vm->loss = n ? sum / n : NAN;
	return isfinite(vm->loss) ? 0 : 1;
}

static int add_log(struct run *r, json_t *j)
{
	char *s = jsonw_dumps(j, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10), NULL);
	if (!s)
		return error("out of memory");
	char **log = realloc(r->st.log, sizeof(char *) * (r->st.n_log + 1));
	if (!log) {
		free(s);
		return error("out of memory");
	}
	r->st.log = log;
	r->st.log[r->st.n_log++] = s;
	return 0;
}

/* Marks the dataset and the vocabulary as inputs, then opens every
 * output's temporary file at once and removes them: an output that would
 * replace an input ("--model artifacts/dataset.h5"), two outputs of one
 * name, or a folder that cannot be written fail here, not after the
 * epochs it took to get to them.  0 or -1 after error(). */
static int check_outputs(const struct train_cfg *c)
{
	afile_protect_input(c->data);
	if (c->vocab)
		afile_protect_input(c->vocab);
	const char *paths[] = {c->model_out, c->log_out, c->summary_out};
	struct afile af[4];
	int n = 0, rc = 0;
	for (int i = 0; i < 3 && !rc; i++)
		if (paths[i] && !(rc = afile_open(&af[n], paths[i])))
			n++;
	/* rewritten every epoch, and read back by --resume: not an input */
	if (!rc && c->checkpoint && !(rc = afile_reserve_rewrite(&af[n], c->checkpoint)))
		n++;
	while (n > 0)
		afile_abort(&af[--n]);
	return rc;
}

/* Opens the data, builds or resumes the model and puts it on its device.
 * Returns 0 or -1 after error(). */
static int run_open(struct run *r)
{
	const struct train_cfg *c = r->c;
	rnn_set_threads(c->threads);
	if (check_outputs(c) || open_data(r) || make_meta(r))
		return -1;
	if (c->preset && !strcmp(c->preset, "notebook") && c->task == RNN_TASK_CLASSIFY &&
	    r->meta.max_len != 256)
		info("note: --preset notebook: '%s' has max_len %u, the notebook used 256 (set at "
		     "tokenize: make MAX_LEN=256)",
		     c->data, r->meta.max_len);
	/* on a GPU the host model only holds the state: no activation room */
	const int on_host = c->device == DEVICE_CPU;
	if (!(r->m = rnn_model_create(&r->meta.cfg, on_host ? c->batch : 1,
				      on_host ? (int)r->meta.max_len : 1, 1)))
		return -1;
	rnn_model_init(r->m, c->seed);
	if (feed_is_open(&r->va) && !(r->best = rnn_alloc_floats(r->m->layout.total)))
		return -1;
	if (r->best)
		memcpy(r->best, r->m->params, sizeof(float) * r->m->layout.total);
	train_fingerprint(c, &r->meta.cfg, r->dataset_hash, r->meta.vocab_hash, r->fp_text,
			  sizeof(r->fp_text));
	char fp_hex[17];
	hash64_hex(hash64(r->fp_text, strlen(r->fp_text)), fp_hex);
	r->st.seed = c->seed;
	r->st.best_metric = INFINITY;
	if (try_resume(r, fp_hex))
		return -1;
	memcpy(r->st.fingerprint, fp_hex, 17);
	free(r->st.fingerprint_text);
	if (!(r->st.fingerprint_text = strdup(r->fp_text)))
		return error("out of memory");
	/* the device copy starts from the initialised or resumed host model */
	if (devmodel_open(&r->dm, r->m, c->device, c->batch, (int)r->meta.max_len))
		return -1;
	if (c->device == DEVICE_CUDA)
		info("device: %s", r->dm.desc);
	if (!c->quiet && !r->resumed) {
		size_t np = 0;
		for (int i = 0; i < r->m->layout.n_tensors; i++)
			np += r->m->layout.tensors[i].numel;
		info("%s %s, E %d, H %d, %d layer%s%s, %s pooling, %zu parameters; %" PRIu64
		     " training and %" PRIu64 " validation %s, batch %d, %d thread%s",
		     rnn_task_name(r->meta.cfg.task), rnn_cell_name(r->meta.cfg.cell),
		     r->meta.cfg.embed, c->hidden, c->layers, c->layers > 1 ? "s" : "",
		     c->bidirectional ? ", bidirectional" : "", rnn_pool_name(c->pool), np,
		     feed_rows(&r->tr), feed_rows(&r->va),
		     c->task == RNN_TASK_CLASSIFY ? "reviews" : "windows", c->batch, c->threads,
		     c->threads > 1 ? "s" : "");
	}
	return 0;
}

/* Why the run stops before epoch st.epoch + 1, or NULL to go on. */
static const char *stop_reason(const struct run *r)
{
	const struct train_cfg *c = r->c;
	if (r->st.epoch >= c->epochs)
		return "epochs";
	if (feed_is_open(&r->va) && c->patience > 0 && r->st.bad_epochs >= c->patience)
		return "early-stopping";
	return NULL;
}

/* Validates after epoch e and keeps the best weights.  Returns 0, 1 when
 * the validation loss was not finite, or -1 after error(). */
static int validate_epoch(struct run *r, int e, struct metrics *vm, int *improved)
{
	*improved = 0;
	if (!feed_is_open(&r->va)) {
		r->st.best_epoch = e;
		return 0;
	}
	int v = validate(r, vm);
	if (v)
		return v;
	if (vm->loss < r->st.best_metric) {
		*improved = 1;
		r->st.best_metric = vm->loss;
		r->st.best_epoch = e;
		r->st.bad_epochs = 0;
		memcpy(r->best, r->m->params, sizeof(float) * r->m->layout.total);
	} else {
		r->st.bad_epochs++;
	}
	return 0;
}

/* One finished epoch, as train-log.jsonl and the progress line read it. */
struct epoch_line {
	int epoch;
	double loss, acc, norm;
	double secs;     /* training time */
	double esecs;    /* the whole epoch, validation included */
	uint64_t seqs;
	const struct metrics *vm; /* NULL: no validation split */
	int improved;
	int timed;       /* device timing: dt1 - dt0 is this epoch's */
	struct rnn_cuda_timing dt0, dt1;
};

/* Appends the epoch's line to the training log (docs/artifacts.md). */
static int log_epoch(struct run *r, const struct epoch_line *l)
{
	const struct metrics *vm = l->vm;
	json_t *j = json_object();
	int bad = 0; /* as in summary_text */
	bad |= json_object_set_new(j, "epoch", json_integer(l->epoch));
	bad |= json_object_set_new(j, "loss", jreal(l->loss));
	bad |= json_object_set_new(j, "accuracy", jreal(l->acc));
	bad |= json_object_set_new(j, "val_loss", vm ? jreal(vm->loss) : json_null());
	bad |= json_object_set_new(j, "val_accuracy", vm ? jreal(vm->accuracy) : json_null());
	bad |= json_object_set_new(j, "val_macro_f1", vm ? jreal(vm->macro_f1) : json_null());
	bad |= json_object_set_new(j, "seconds", json_real(l->esecs));
	bad |= json_object_set_new(j, "seq_per_s", jreal(l->secs > 0 ? l->seqs / l->secs : NAN));
	bad |= json_object_set_new(j, "lr", json_real(r->c->optim.lr));
	bad |= json_object_set_new(j, "grad_norm", jreal(l->norm));
	if (l->timed) {
		/* this epoch's train steps on the device (docs/training.md) */
		bad |= json_object_set_new(j, "device_busy_s",
					   json_real(l->dt1.busy_s - l->dt0.busy_s));
		bad |= json_object_set_new(j, "device_idle_s",
					   json_real(l->dt1.idle_s - l->dt0.idle_s));
	}
	int rc = bad ? error("out of memory") : add_log(r, j);
	json_decref(j);
	return rc;
}

static void print_epoch(const struct run *r, struct progress *lg, const struct epoch_line *l)
{
	const struct train_cfg *c = r->c;
	const struct metrics *vm = l->vm;
	const double sps = l->secs > 0 ? l->seqs / l->secs : 0.0;
	if (c->quiet)
		return;
	/* without a validation split there is nothing to print there (it
	 * printed "val loss nan acc nan macro-F1 nan") */
	char val[128];
	if (!vm)
		snprintf(val, sizeof(val), "no validation split");
	else if (c->task == RNN_TASK_CLASSIFY)
		snprintf(val, sizeof(val), "val loss %.4f acc %.4f macro-F1 %.4f", vm->loss,
			 vm->accuracy, vm->macro_f1);
	else
		snprintf(val, sizeof(val), "val mse %.5f", vm->loss);
	if (c->task == RNN_TASK_CLASSIFY)
		progress_log(lg, "epoch %d/%d: loss %.4f acc %.4f | %s | %.1f s, %.0f seq/s%s",
			     l->epoch, c->epochs, l->loss, l->acc, val, l->esecs, sps,
			     l->improved ? " (best)" : "");
	else
		progress_log(lg, "epoch %d/%d: mse %.5f | %s | %.1f s, %.0f seq/s%s", l->epoch,
			     c->epochs, l->loss, val, l->esecs, sps, l->improved ? " (best)" : "");
}

/* After the last epoch: the model file, the log and the summary, or only
 * the summary when training diverged.  Returns TRAIN_OK, TRAIN_DIVERGED or
 * -1 after error(). */
static int finish_run(struct run *r, const char *stopped, struct progress *lg)
{
	const struct train_cfg *c = r->c;
	free(r->st.stopped);
	r->st.stopped = strdup(stopped);
	if (!strcmp(stopped, "nan")) {
		if (c->checkpoint && r->st.epoch > 0)
			error("the checkpoint '%s' of epoch %d is kept; no model was written (try a "
			      "lower --lr, or --clip)",
			      c->checkpoint, r->st.epoch);
		else
			error("no model was written (try a lower --lr, or --clip)");
		write_summary(r, r->st.epoch);
		return TRAIN_DIVERGED;
	}
	const float *final = r->best && r->st.best_epoch > 0 ? r->best : r->m->params;
	r->meta.best_epoch = r->st.best_epoch;
	/* the summary's text first: one that cannot be built (out of memory)
	 * fails the run before any file, not after the model */
	size_t len = 0;
	char *summary = c->summary_out ? summary_text(r, r->st.epoch, &len) : NULL;
	if (c->summary_out && !summary)
		return -1;
	/* train.json leads: the model and the log are renamed only once it
	 * is written, so a run that fails at its end (a full disk) leaves no
	 * new model.h5 beside the previous run's train.json (afile_lead) */
	struct afile lead;
	if (summary && afile_open(&lead, c->summary_out)) {
		free(summary);
		return -1;
	}
	if (summary)
		afile_lead(&lead);
	int rc = modelfile_save(c->model_out, &r->meta, final) || write_log(r);
	if (summary) {
		if (!rc && fwrite(summary, 1, len, lead.fp) != len)
			rc = error("cannot write '%s': %s", c->summary_out, strerror(errno));
		if (rc)
			afile_abort(&lead); /* removes the held model and log too */
		else
			rc = afile_commit(&lead);
	}
	free(summary);
	if (rc)
		return -1;
	if (!c->quiet)
		progress_log(lg, "stopped (%s) after %d epoch%s; best epoch %d%s; wrote '%s'",
			     stopped, r->st.epoch, r->st.epoch > 1 ? "s" : "", r->st.best_epoch,
			     feed_is_open(&r->va) ? "" : " (no validation)", c->model_out);
	struct rnn_cuda_timing dt;
	if (!c->quiet && devmodel_timing(&r->dm, &dt) && dt.steps > 0)
		progress_log(lg,
			     "device: %ld steps, busy %.3f s, idle between steps %.3f s (%.1f%%), "
			     "longest gap %.2f ms",
			     dt.steps, dt.busy_s, dt.idle_s, 100 * idle_fraction(&dt),
			     dt.max_idle_s * 1e3);
	return TRAIN_OK;
}

int train_run(const struct train_cfg *c)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.t0 = progress_now();
	int rc = -1;
	/* pg: the batch progress of an epoch; lg: the epoch summaries, plain
	 * lines even with --progress none (only quiet silences them) */
	struct progress pg, lg;
	progress_start(&pg, stderr, c->quiet ? PROGRESS_NONE : c->progress, "train", 0,
		       c->progress_interval);
	progress_start(&lg, stderr,
		       c->quiet ? PROGRESS_NONE
				: c->progress == PROGRESS_NONE ? PROGRESS_LINES : c->progress,
		       "train", 0, c->progress_interval);

	if (c->epochs < 1 || c->batch < 1 || c->threads < 1)
		return error("epochs, batch and threads must be >= 1");
	if (run_open(&r))
		goto out;
	const char *stopped = stop_reason(&r);
	for (int e = r.st.epoch + 1; !stopped; e++) {
		double t_epoch = progress_now();
		/* a checkpoint stopped inside this epoch: its sums so far */
		struct epoch_acc a = {r.st.epoch_batch, r.st.epoch_seqs, r.st.epoch_correct,
				      r.st.epoch_loss_sum, r.st.epoch_norm_sum, r.st.epoch_seconds};
		r.st.epoch_batch = r.st.epoch_batches = r.st.epoch_seqs = r.st.epoch_correct = 0;
		r.st.epoch_loss_sum = r.st.epoch_norm_sum = r.st.epoch_seconds = 0;
		double restored_secs = a.secs;
		struct epoch_line l = {.epoch = e};
		l.timed = devmodel_timing(&r.dm, &l.dt0);
		int s = train_epoch(&r, e, &pg, &a);
		if (s < 0)
			goto out;
		if (s == TRAIN_DIVERGED) {
			stopped = "nan";
			break;
		}
		if (s == TRAIN_STOPPED) {
			rc = stop_run(&r, e, &a);
			goto out;
		}
		l.loss = a.n ? a.loss_sum / a.n : NAN;
		l.acc = a.n && c->task == RNN_TASK_CLASSIFY ? (double)a.correct / a.n : NAN;
		l.norm = a.nb ? a.norm_sum / a.nb : NAN;
		l.secs = a.secs;
		l.seqs = a.n;
		/* parameters and Adam state back to the host model for the
		 * best-epoch snapshot, the checkpoint and the model file */
		if (devmodel_to_host(&r.dm))
			goto out;
		r.train_seconds += l.secs;
		r.run_seqs += l.seqs;
		if (c->test_hook)
			c->test_hook("validation", e);
		struct metrics vm = {0};
		int v = validate_epoch(&r, e, &vm, &l.improved);
		if (v) {
			metrics_free(&vm);
			if (v < 0)
				goto out;
			error("non-finite validation loss after epoch %d: training stopped", e);
			stopped = "nan";
			break;
		}
		l.vm = feed_is_open(&r.va) ? &vm : NULL;
		r.st.epoch = e;
		r.st.adam_step = r.m->adam_step;
		l.esecs = progress_now() - t_epoch + restored_secs;
		if (l.timed)
			l.timed = devmodel_timing(&r.dm, &l.dt1);
		if (log_epoch(&r, &l)) {
			metrics_free(&vm);
			goto out;
		}
		stopped = stop_reason(&r);
		free(r.st.stopped);
		r.st.stopped = stopped ? strdup(stopped) : NULL;
		if (c->test_hook)
			c->test_hook("checkpoint", e);
		if ((c->checkpoint &&
		     save_checkpoint(&r, r.best && r.st.best_epoch != e ? r.best : NULL)) ||
		    write_log(&r)) {
			metrics_free(&vm);
			goto out;
		}
		print_epoch(&r, &lg, &l);
		metrics_free(&vm);
		/* a signal during validation or the checkpoint: stop here (also
		 * before the model file: the checkpoint has the finished run) */
		if (stop_requested(&r)) {
			rc = stop_run(&r, e, NULL);
			goto out;
		}
	}
	rc = finish_run(&r, stopped, &lg);
out:
	run_free(&r);
	return rc;
}
