/* fuzz_model.c - libFuzzer target: the model file and checkpoint loaders
 * (common/modelfile.c modelfile_peek, modelfile_load, ckpt_peek,
 * ckpt_load_tensors) and what opens a model for use (classifier_open with
 * the embedded vocabulary, ts_forecaster_open), on hostile files.  The
 * first byte picks the mode, the rest is the input:
 *   ctl & 3 == 0: a file as it is: the seal must refuse any mutation of a
 *                 sealed file before HDF5 reads it (what predict sees);
 *   ctl & 3 == 1: the file is sealed again first, as if a faulty writer
 *                 had made it (HDF5's checks, then the project's);
 *   ctl & 3 >= 2: a recipe (fuzz_h5edit.h): a small valid model or
 *                 checkpoint made here, picked by ctl >> 2 (model or
 *                 checkpoint, classify or regress, cell, bidirectional,
 *                 layers), edited (attributes, tensors of any shape and
 *                 type, stored or declared only), sealed.  This is what
 *                 reaches the attribute and tensor checks: byte mutation
 *                 breaks the checksums of HDF5's object headers first.
 * Whatever loads must keep the loaders' promises (modelfile.h): sizes in
 * range, the layout's tensors, finite weights. */
#include <math.h>

#include "fuzz_h5edit.h"
#include "classifier.h"
#include "error.h"
#include "modelfile.h"
#include "tsforecast.h"
#include "vocab.h"

static volatile float sink;

static void check_meta(const struct model_meta *m)
{
	struct rnn_config c = m->cfg;
	struct rnn_layout l;
	if (rnn_layout_build(&c, &l))
		abort(); /* a loaded configuration is a valid one */
	if (c.hidden > MODEL_MAX_WIDTH || c.embed > MODEL_MAX_WIDTH || m->max_len > MODEL_MAX_LEN)
		abort();
	if (m->n_labels < 0 || m->n_labels > TOKFILE_MAX_LABELS)
		abort();
	for (int i = 0; i < m->n_labels; i++)
		if (!m->labels[i])
			abort();
	if (c.task == RNN_TASK_CLASSIFY) {
		if (m->n_labels != c.outputs || m->vocab_size != (uint32_t)c.vocab)
			abort();
		const int32_t sp[4] = {m->pad_id, m->unk_id, m->cls_id, m->sep_id};
		for (int i = 0; i < 4; i++)
			if (sp[i] < -1 || sp[i] >= c.vocab)
				abort();
		if (m->vocab_text && strlen(m->vocab_text) != m->vocab_len)
			abort();
	}
	if (m->n_norm < 0 || (m->n_norm && (!m->norm_mean || !m->norm_std)))
		abort();
	if (m->n_extra < 0 || m->n_extra > MODEL_MAX_EXTRA)
		abort();
	for (int i = 0; i < m->n_extra; i++)
		if (m->extra[i].str && m->extra[i].nums)
			abort();
	struct model_meta copy;
	if (model_meta_copy(&copy, m) == 0)
		model_meta_free(&copy);
}

static void use_classifier(const char *path, const struct model_meta *m)
{
	struct classifier *c = classifier_open(path, NULL, m->vocab_text != NULL, 2);
	if (!c)
		return;
	if (m->vocab_text) {
		static const char text[] = "good film, bad plot";
		if (classifier_add_text(c, text, sizeof(text) - 1) == 0 && classifier_run(c) == 0)
			for (int k = 0; k < m->cfg.outputs; k++)
				if (!(c->probs[k] >= 0 && c->probs[k] <= 1))
					abort();
	}
	classifier_close(c);
}

static void use_forecaster(const char *path)
{
	struct ts_forecaster *f = ts_forecaster_open(path);
	if (!f)
		return;
	if (f->window <= 4096) {
		double *recent = calloc((size_t)f->window, sizeof(double));
		double *out = calloc((size_t)f->horizon, sizeof(double));
		if (recent && out && ts_forecaster_next(f, recent, out) == 0)
			for (int h = 0; h < f->horizon; h++)
				if (!isfinite(out[h]))
					abort();
		free(recent);
		free(out);
	}
	ts_forecaster_close(f);
}

static void load_model(const char *path)
{
	struct model_meta m;
	if (modelfile_peek(path, &m) == 0) {
		check_meta(&m);
		model_meta_free(&m);
	}
	float *p = modelfile_load(path, &m);
	if (!p)
		return;
	check_meta(&m);
	struct rnn_layout l;
	if (rnn_layout_build(&m.cfg, &l))
		abort();
	for (int i = 0; i < l.n_tensors; i++)
		for (size_t k = 0; k < l.tensors[i].numel; k++)
			if (!isfinite(p[l.tensors[i].offset + k]))
				abort(); /* refused by the loader */
	free(p);
	if (m.cfg.task == RNN_TASK_CLASSIFY)
		use_classifier(path, &m);
	else
		use_forecaster(path);
	model_meta_free(&m);
}

static void load_checkpoint(const char *path)
{
	struct model_meta m;
	struct ckpt_state st;
	if (ckpt_peek(path, &m, &st))
		return;
	check_meta(&m);
	if (strlen(st.fingerprint) != 16 || !st.fingerprint_text || st.epoch < 0 ||
	    st.epoch_batch > st.epoch_batches || st.epoch_correct > st.epoch_seqs ||
	    (st.n_log && !st.log))
		abort();
	for (int i = 0; i < st.n_log; i++)
		if (!st.log[i])
			abort();
	/* into a model of the checkpoint's own configuration, as --resume
	 * does after comparing the fingerprint */
	struct rnn_model *rm = rnn_model_create(&m.cfg, 1, 1, 1);
	float *best = rm ? rnn_alloc_floats(rm->layout.total) : NULL;
	if (best && ckpt_load_tensors(path, rm, best) == 0) {
		for (size_t k = 0; k < rm->layout.total; k++)
			sink += rm->params[k] + best[k] + rm->adam_m[k] + rm->adam_v[k];
	}
	free(best);
	rnn_model_free(rm);
	ckpt_state_free(&st);
	model_meta_free(&m);
}

/* ---- the recipe's base files ---- */

static const char vocab_txt[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\ngood\nfilm\nbad\nplot\n,\n";

static const char *const attr_names[] = {
	"format", "format_version", "producer", "task", "cell", "vocab", "embed",
	"input_size", "hidden", "layers", "bidirectional", "outputs", "pool",
	"label_names", "vocab_hash", "vocab_size", "pad_id", "unk_id", "cls_id",
	"sep_id", "vocab_path", "vocab_txt", "max_len", "truncation", "norm_mean",
	"norm_std", "dataset", "dataset_hash", "best_epoch", "fingerprint",
	"fingerprint_text", "epoch", "adam_step", "seed", "best_metric", "bad_epochs",
	"stopped", "seconds", "seqs", "log", "has_best", "epoch_batch", "epoch_batches",
	"epoch_seqs", "epoch_correct", "epoch_loss_sum", "epoch_norm_sum", "epoch_seconds",
	"window", "horizon", "season", "normalization", "source", "column", "x",
};

static const char *const group_names[] = {"/", "params", "adam_m", "adam_v", "best"};

struct base {
	struct fz_base fz; /* names.dsets: dsets */
	char *dsets[5 * RNN_MAX_TENSORS + 8];
	int n_dsets;
};

static struct base bases[64];

static void base_fill_meta(struct model_meta *m, int v)
{
	memset(m, 0, sizeof(*m));
	struct rnn_config *c = &m->cfg;
	c->task = (v >> 1) & 1 ? RNN_TASK_REGRESS : RNN_TASK_CLASSIFY;
	c->cell = (enum rnn_cell)(((v >> 2) & 3) % 3);
	c->bidirectional = (v >> 4) & 1;
	c->layers = 1 + ((v >> 5) & 1);
	c->hidden = 2;
	m->producer = strdup("fuzz_model");
	if (c->task == RNN_TASK_CLASSIFY) {
		struct vocab *vb = vocab_load_buffer("fuzz", vocab_txt, sizeof(vocab_txt) - 1);
		if (!vb)
			abort();
		c->vocab = (int)vocab_size(vb);
		c->embed = 3;
		c->outputs = 2;
		c->pool = (enum rnn_pool)((v >> 3) & 3);
		m->n_labels = 2;
		m->labels[0] = strdup("negative");
		m->labels[1] = strdup("positive");
		m->vocab_hash = vocab_hash(vb);
		m->vocab_size = (uint32_t)c->vocab;
		m->pad_id = 0, m->unk_id = 1, m->cls_id = 2, m->sep_id = 3;
		m->vocab_path = strdup("vocab.txt");
		m->vocab_text = strdup(vocab_txt);
		m->vocab_len = strlen(vocab_txt);
		m->max_len = 8;
		m->truncation = strdup("head");
		vocab_free(vb);
	} else {
		c->input_size = 1;
		c->outputs = 2;
		c->pool = RNN_POOL_LAST;
		m->max_len = 4;
		m->truncation = strdup("none");
		m->n_norm = 1;
		m->norm_mean = malloc(sizeof(double));
		m->norm_std = malloc(sizeof(double));
		m->norm_mean[0] = 10;
		m->norm_std[0] = 2;
		m->dataset = strdup("dataset.h5");
		m->dataset_hash = 0x0123456789abcdefULL;
		double w = 4, k = 2, s = 0;
		model_meta_set_extra(m, "window", NULL, &w, 1);
		model_meta_set_extra(m, "horizon", NULL, &k, 1);
		model_meta_set_extra(m, "season", NULL, &s, 1);
		model_meta_set_extra(m, "normalization", "zscore", NULL, 0);
	}
	m->best_epoch = 1;
}

static const struct fz_base *base_get(int v)
{
	struct base *b = &bases[v];
	if (b->fz.bytes)
		return &b->fz;
	struct model_meta m;
	base_fill_meta(&m, v);
	const char *path = fuzz_scratch_path(1, ".h5");
	struct rnn_model *rm = rnn_model_create(&m.cfg, 1, 1, 1);
	if (!rm)
		abort();
	rnn_model_init(rm, 7);
	int ckpt = v & 1;
	if (!ckpt) {
		if (modelfile_save(path, &m, rm->params))
			abort();
	} else {
		struct ckpt_state st = {0};
		snprintf(st.fingerprint, sizeof(st.fingerprint), "%016llx", 0x1234ULL);
		st.fingerprint_text = strdup("data=x;batch=1");
		st.epoch = 1;
		st.seed = 1;
		st.best_epoch = 1;
		st.best_metric = 0.5;
		st.seconds = 1;
		st.seqs = 4;
		st.n_log = 1;
		st.log = malloc(sizeof(char *));
		st.log[0] = strdup("{\"epoch\": 1}");
		if (v & 32) { /* in the middle of epoch 2 */
			st.epoch_batch = 1;
			st.epoch_batches = 2;
			st.epoch_seqs = 1;
			st.epoch_correct = 1;
			st.epoch_loss_sum = 0.5;
		}
		rm->adam_step = 3;
		if (ckpt_save(path, &m, rm, (v & 16) ? rm->params : NULL, &st))
			abort();
		ckpt_state_free(&st);
	}
	fz_slurp(path, &b->fz.bytes, &b->fz.len);
	/* the datasets of the layout, where this kind of file keeps them */
	for (int g = 0; g < (ckpt ? 5 : 1); g++)
		for (int i = 0; i < rm->layout.n_tensors; i++) {
			char name[128];
			snprintf(name, sizeof(name), "%s%s%s", ckpt ? group_names[g] : "",
				 ckpt ? "/" : "", rm->layout.tensors[i].name);
			b->dsets[b->n_dsets++] = strdup(name);
		}
	static const char *const more[] = {"params", "best", "junk", "rnn.weight_ih_l7",
					   "embedding.weight", "fc.weight", "params/x"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		b->dsets[b->n_dsets++] = strdup(more[i]);
	b->fz.names = (struct fz_names){attr_names, sizeof(attr_names) / sizeof(attr_names[0]),
					(const char *const *)b->dsets, b->n_dsets, group_names,
					ckpt ? 5 : 1};
	rnn_model_free(rm);
	model_meta_free(&m);
	return &b->fz;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	h5_init_thread();
	const char *path = fz_input(ctl, data, size, base_get);
	if (!path)
		return 0;
	load_model(path);
	load_checkpoint(path);
	return 0;
}
