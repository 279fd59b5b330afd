/* test_trainloop.c - the training run (trainloop.h) on small packed
 * datasets: it learns a planted cue; the outputs have the documented keys;
 * the same seed gives the same bits; 1 epoch + resume to 3 gives exactly
 * the weights of 3 epochs; a checkpoint of another run is ignored; early
 * stopping keeps the best epoch's weights; the NaN guard stops, keeps the
 * last good checkpoint and writes no model; a vocabulary that is not the
 * dataset's is refused; a run stopped inside epochs (as by SIGTERM) and
 * resumed each time ends with the bits of an uninterrupted run. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "capture.h"
#include "dsfile.h"
#include "hash.h"
#include "modelfile.h"
#include "progress.h"
#include "rng.h"
#include "tokfile.h"
#include "trainloop.h"

#define V 400
#define W 24

/* A split of reviews of random ids; learnable: id 7 (positive) or 8
 * (negative) at two random places, else the label is a coin flip. */
static void write_tok(const char *path, int split, int n, uint64_t seed, int learnable)
{
	struct tokmeta m;
	memset(&m, 0, sizeof(m));
	m.vocab_hash = hash64("test vocabulary", 15);
	m.vocab_size = V;
	m.max_len = W;
	m.pad_id = 0;
	m.unk_id = 1;
	m.cls_id = 2;
	m.sep_id = 3;
	m.truncation = strdup("head");
	m.producer = strdup("test");
	m.labels[m.n_labels++] = strdup("negative");
	m.labels[m.n_labels++] = strdup("positive");
	tokmeta_add_source(&m, "test", 1);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	tokmeta_free(&m);
	struct rng r;
	rng_seed2(&r, seed, (uint64_t)split);
	uint32_t ids[W];
	for (int i = 0; i < n; i++) {
		int label = (int)rng_below(&r, 2);
		uint32_t len = 6 + (uint32_t)rng_below(&r, W - 5);
		ids[0] = 2;
		for (uint32_t t = 1; t + 1 < len; t++)
			ids[t] = 10 + (uint32_t)rng_below(&r, V - 10);
		ids[len - 1] = 3;
		if (learnable)
			for (int k = 0; k < 2; k++)
				ids[1 + rng_below(&r, len - 2)] = label ? 7 : 8;
		struct tokrec rec = {
			.hash = hash64(&i, sizeof(i)) ^ (seed << 8) ^ (uint64_t)split, .label = label,
			.split = (uint8_t)split, .n_full = len, .n_ids = len, .ids = ids,
			.label_raw = label ? "positive" : "negative", .label_raw_len = 8,
			.text = "x", .text_len = 1,
		};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
}

static char *make_dataset(const char *name, int learnable, int n_train, int n_val, uint64_t seed)
{
	char buf[256];
	const char *splits[3] = {"train", "validation", "test"};
	int counts[3] = {n_train, n_val, n_val};
	char *out = test_path_kept(name);
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = 32;
	struct dswriter *w = NULL;
	for (int s = 0; s < 3; s++) {
		snprintf(buf, sizeof(buf), "%s.%s.tok", name, splits[s]);
		char *tok = test_path_kept(buf);
		write_tok(tok, s + 1, counts[s], seed, learnable);
		struct tokreader *r = tokreader_open(tok);
		assert_non_null(r);
		if (!w)
			assert_non_null(w = dswriter_open(out, tokreader_meta(r), 0, &o));
		assert_int_equal(dswriter_add_split(w, splits[s], r, tok), 0);
		tokreader_close(r);
	}
	assert_int_equal(dswriter_commit(w), 0);
	return out;
}

static char *learn_h5, *noise_h5;

static int setup(void **state)
{
	(void)state;
	learn_h5 = make_dataset("learn.h5", 1, 480, 96, 11);
	noise_h5 = make_dataset("noise.h5", 0, 160, 64, 12);
	return 0;
}

/* A configuration writing name.{h5,log,json,ckpt} in the test folder. */
static struct train_cfg cfg_for(const char *data, const char *name)
{
	struct train_cfg c;
	train_cfg_defaults(&c);
	char buf[256];
	c.data = data;
	snprintf(buf, sizeof(buf), "%s.model.h5", name);
	c.model_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.log", name);
	c.log_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.json", name);
	c.summary_out = test_path_kept(buf);
	snprintf(buf, sizeof(buf), "%s.ckpt.h5", name);
	c.checkpoint = test_path_kept(buf);
	c.embed = 8;
	c.hidden = 8;
	c.batch = 16;
	c.epochs = 3;
	c.optim.lr = 0.01;
	c.pool = RNN_POOL_MEAN;
	c.progress = PROGRESS_NONE;
	c.quiet = 1;
	return c;
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		printf("%s: %s\n", path, e.text);
	assert_non_null(j);
	return j;
}

static double jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_non_null(v);
	return json_number_value(v);
}

/* Compares two model files tensor by tensor, bit for bit. */
static void same_model(const char *a, const char *b)
{
	struct model_meta ma, mb;
	float *pa = modelfile_load(a, &ma), *pb = modelfile_load(b, &mb);
	assert_non_null(pa);
	assert_non_null(pb);
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&ma.cfg, &l), 0);
	assert_int_equal(memcmp(&ma.cfg, &mb.cfg, sizeof(ma.cfg)), 0);
	for (int i = 0; i < l.n_tensors; i++)
		if (memcmp(pa + l.tensors[i].offset, pb + l.tensors[i].offset,
			   l.tensors[i].numel * sizeof(float))) {
			printf("tensor '%s' differs between '%s' and '%s'\n", l.tensors[i].name, a, b);
			fail();
		}
	model_meta_free(&ma);
	model_meta_free(&mb);
	free(pa);
	free(pb);
}

static int differ(const char *a, const char *b)
{
	struct model_meta ma, mb;
	float *pa = modelfile_load(a, &ma), *pb = modelfile_load(b, &mb);
	assert_true(pa && pb);
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&ma.cfg, &l), 0);
	int d = memcmp(pa, pb, l.total * sizeof(float)) != 0;
	model_meta_free(&ma);
	model_meta_free(&mb);
	free(pa);
	free(pb);
	return d;
}

static void test_learns(void **state)
{
	(void)state;
	struct train_cfg c = cfg_for(learn_h5, "learns");
	c.epochs = 4;
	assert_int_equal(train_run(&c), TRAIN_OK);
	json_t *s = load_json(c.summary_out);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "epochs");
	assert_int_equal(jnum(s, "epochs_run"), 4);
	assert_int_equal(jnum(s, "train_examples"), 480);
	assert_int_equal(jnum(s, "validation_examples"), 96);
	assert_true(jnum(s, "seq_per_s") > 0);
	json_t *cfg = json_object_get(s, "config");
	assert_string_equal(json_string_value(json_object_get(cfg, "cell")), "gru");
	assert_string_equal(json_string_value(json_object_get(cfg, "pooling")), "mean");
	assert_int_equal(jnum(cfg, "max_len"), W);
	assert_int_equal(json_array_size(json_object_get(cfg, "labels")), 2);
	/* the log: one line per epoch with the documented keys */
	FILE *f = fopen(c.log_out, "r");
	assert_non_null(f);
	char line[4096];
	int n = 0;
	double last_acc = 0;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		assert_non_null(j);
		const char *keys[] = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
				      "val_macro_f1", "seconds", "seq_per_s", "lr", NULL};
		for (int k = 0; keys[k]; k++)
			assert_non_null(json_object_get(j, keys[k]));
		assert_int_equal(jnum(j, "epoch"), ++n);
		last_acc = jnum(j, "val_accuracy");
		json_decref(j);
	}
	fclose(f);
	assert_int_equal(n, 4);
	printf("validation accuracy after 4 epochs: %.3f\n", last_acc);
	assert_true(last_acc > 0.9); /* the cue is learnt */
	json_decref(s);
	/* same seed: same bits; another seed: other bits */
	struct train_cfg c2 = cfg_for(learn_h5, "learns2");
	c2.epochs = 4;
	assert_int_equal(train_run(&c2), TRAIN_OK);
	same_model(c.model_out, c2.model_out);
	struct train_cfg c3 = cfg_for(learn_h5, "learns3");
	c3.epochs = 4;
	c3.seed = 2;
	assert_int_equal(train_run(&c3), TRAIN_OK);
	assert_true(differ(c.model_out, c3.model_out));
}

/* Compares the current weights and Adam state of two checkpoints. */
static void same_ckpt(const char *a, const char *b, int want_same)
{
	struct model_meta ma;
	struct ckpt_state sa;
	assert_int_equal(ckpt_peek(a, &ma, &sa), 0);
	struct rnn_model *x = rnn_model_create(&ma.cfg, 1, 1, 1),
			 *y = rnn_model_create(&ma.cfg, 1, 1, 1);
	assert_int_equal(ckpt_load_tensors(a, x, NULL), 0);
	assert_int_equal(ckpt_load_tensors(b, y, NULL), 0);
	size_t bytes = x->layout.total * sizeof(float);
	int same = !memcmp(x->params, y->params, bytes) && !memcmp(x->adam_m, y->adam_m, bytes) &&
		   !memcmp(x->adam_v, y->adam_v, bytes) && x->adam_step == y->adam_step;
	assert_int_equal(same, want_same);
	rnn_model_free(x);
	rnn_model_free(y);
	model_meta_free(&ma);
	ckpt_state_free(&sa);
}

static void test_resume(void **state)
{
	(void)state;
	enum rnn_cell cells[2] = {RNN_CELL_LSTM, RNN_CELL_RNN};
	for (int k = 0; k < 2; k++) {
		struct train_cfg a = cfg_for(noise_h5, k ? "full-rnn" : "full-lstm");
		a.cell = cells[k];
		a.patience = 0;
		a.bidirectional = k;
		a.pool = k ? RNN_POOL_LAST : RNN_POOL_MAX;
		a.optim.sparse_embedding = k; /* dense, then lazy Adam */
		assert_int_equal(train_run(&a), TRAIN_OK);
		struct train_cfg b = a;
		b.model_out = test_path_kept("part.model.h5");
		b.log_out = test_path_kept("part.log");
		b.summary_out = test_path_kept("part.json");
		b.checkpoint = test_path_kept(k ? "part-rnn.ckpt.h5" : "part-lstm.ckpt.h5");
		b.epochs = 1;
		b.resume = 1;
		assert_int_equal(train_run(&b), TRAIN_OK);
		same_ckpt(a.checkpoint, b.checkpoint, 0);
		b.epochs = 3;
		capture_begin();
		assert_int_equal(train_run(&b), TRAIN_OK);
		const char *txt = capture_end();
		assert_non_null(strstr(txt, "resuming"));
		same_model(a.model_out, b.model_out);
		same_ckpt(a.checkpoint, b.checkpoint, 1);
		json_t *s = load_json(b.summary_out);
		assert_int_equal(jnum(s, "resumed_from_epoch"), 1);
		assert_int_equal(jnum(s, "epochs_run"), 3);
		json_decref(s);
		/* the log has all three epochs, with the same losses */
		json_t *la[3], *lb[3];
		FILE *fa = fopen(a.log_out, "r"), *fb = fopen(b.log_out, "r");
		char line[4096];
		for (int e = 0; e < 3; e++) {
			assert_non_null(fgets(line, sizeof(line), fa));
			la[e] = json_loads(line, 0, NULL);
			assert_non_null(fgets(line, sizeof(line), fb));
			lb[e] = json_loads(line, 0, NULL);
			assert_true(jnum(la[e], "loss") == jnum(lb[e], "loss"));
			assert_true(jnum(la[e], "val_loss") == jnum(lb[e], "val_loss"));
			json_decref(la[e]);
			json_decref(lb[e]);
		}
		assert_null(fgets(line, sizeof(line), fb));
		fclose(fa);
		fclose(fb);
		/* resuming a finished run retrains nothing and writes the same */
		capture_begin();
		assert_int_equal(train_run(&b), TRAIN_OK);
		capture_end();
		same_model(a.model_out, b.model_out);
	}
}

static void test_foreign_checkpoint(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "fp-a");
	a.epochs = 1;
	a.resume = 1;
	assert_int_equal(train_run(&a), TRAIN_OK);
	/* same checkpoint path, other learning rate: ignored with a note */
	struct train_cfg b = a;
	b.optim.lr = 0.003;
	b.epochs = 2;
	b.model_out = test_path_kept("fp-b.model.h5");
	b.quiet = 0;
	capture_begin();
	assert_int_equal(train_run(&b), TRAIN_OK);
	const char *txt = capture_end();
	assert_non_null(strstr(txt, "is of another run"));
	assert_non_null(strstr(txt, "lr=0.01"));
	assert_null(strstr(txt, "resuming"));
	struct train_cfg c = cfg_for(noise_h5, "fp-c");
	c.optim.lr = 0.003;
	c.epochs = 2;
	assert_int_equal(train_run(&c), TRAIN_OK);
	same_model(b.model_out, c.model_out);
	/* an unreadable checkpoint is ignored too */
	write_file(a.checkpoint, "garbage", 7);
	capture_begin();
	assert_int_equal(train_run(&b), TRAIN_OK);
	txt = capture_end();
	assert_non_null(strstr(txt, "ignoring the unreadable checkpoint"));
	same_model(b.model_out, c.model_out);
}

static void test_early_stopping(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "early");
	a.epochs = 30;
	a.patience = 2;
	a.optim.lr = 0.03;
	a.embed = 16;
	a.hidden = 16;
	assert_int_equal(train_run(&a), TRAIN_OK);
	json_t *s = load_json(a.summary_out);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "early-stopping");
	int run = (int)jnum(s, "epochs_run"), best = (int)jnum(s, "best_epoch");
	printf("stopped after %d epochs, best %d\n", run, best);
	assert_true(run < 30);
	assert_int_equal(best, run - 2);
	json_decref(s);
	/* the model holds the best epoch's weights: those of a run of that
	 * many epochs */
	struct train_cfg b = a;
	b.epochs = best;
	b.model_out = test_path_kept("early-best.model.h5");
	b.checkpoint = test_path_kept("early-best.ckpt.h5");
	b.summary_out = test_path_kept("early-best.json");
	b.log_out = NULL;
	assert_int_equal(train_run(&b), TRAIN_OK);
	same_model(a.model_out, b.model_out);
	struct model_meta mm;
	float *p = modelfile_load(a.model_out, &mm);
	assert_int_equal(mm.best_epoch, best);
	free(p);
	model_meta_free(&mm);
	/* resuming the stopped run with more patience goes on from there */
	a.patience = 0;
	a.epochs = run + 1;
	a.resume = 1;
	capture_begin();
	assert_int_equal(train_run(&a), TRAIN_OK);
	assert_non_null(strstr(capture_end(), "resuming"));
	s = load_json(a.summary_out);
	assert_int_equal(jnum(s, "epochs_run"), run + 1);
	json_decref(s);
}

static void test_nan_guard(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "nan");
	a.epochs = 1;
	assert_int_equal(train_run(&a), TRAIN_OK);
	struct stat before, after;
	assert_int_equal(stat(a.checkpoint, &before), 0);
	char *ck = strdup(a.checkpoint);
	FILE *f = fopen(ck, "rb");
	char *orig = malloc(before.st_size);
	assert_int_equal(fread(orig, 1, before.st_size, f), (size_t)before.st_size);
	fclose(f);
	unlink(a.model_out);
	a.optim.lr = 1e38; /* weights overflow to inf within a few steps */
	a.epochs = 3;
	a.quiet = 0;
	capture_begin();
	int rc = train_run(&a);
	const char *txt = capture_end();
	assert_int_equal(rc, TRAIN_DIVERGED);
	assert_non_null(strstr(txt, "non-finite"));
	assert_non_null(strstr(txt, "no model was written"));
	struct stat sb;
	assert_int_equal(stat(a.model_out, &sb), -1);
	/* the earlier good checkpoint is untouched */
	assert_int_equal(stat(ck, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	char *now = malloc(after.st_size);
	f = fopen(ck, "rb");
	assert_int_equal(fread(now, 1, after.st_size, f), (size_t)after.st_size);
	fclose(f);
	assert_memory_equal(orig, now, before.st_size);
	json_t *s = load_json(a.summary_out);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "nan");
	json_decref(s);
	free(orig);
	free(now);
	free(ck);
}

/* Stopped inside epochs (the test hook stops as SIGTERM does, after N
 * optimiser steps of a run: deterministic points), resumed each time:
 * the model, the checkpoint's Adam state and the logged losses are the
 * uninterrupted run's, bit for bit.  10 batches per epoch. */
static void test_stop_mid_epoch(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "stop-full");
	a.patience = 0;
	assert_int_equal(train_run(&a), TRAIN_OK);
	struct train_cfg b = cfg_for(noise_h5, "stop-part");
	b.patience = 0;
	b.resume = 1;
	const long steps[4] = {3, 12, 5, 7};
	const char *want[4] = {"stopped by SIGTERM in epoch 1 after batch 3/10; checkpoint '",
			       "stopped by SIGTERM in epoch 2 after batch 5/10; checkpoint '",
			       "stopped by SIGTERM in epoch 2 after batch 10/10; checkpoint '",
			       "stopped by SIGTERM in epoch 3 after batch 7/10; checkpoint '"};
	const char *resumed[4] = {NULL, "in epoch 1 after batch 3/10", "in epoch 2 after batch 5/10",
				  "in epoch 2 after batch 10/10"};
	struct stat sb;
	for (int k = 0; k < 4; k++) {
		b.stop_after_steps = steps[k];
		b.quiet = k % 2; /* the stop line is printed even when quiet */
		capture_begin();
		int rc = train_run(&b);
		const char *txt = capture_end();
		assert_int_equal(rc, TRAIN_STOPPED);
		assert_non_null(strstr(txt, want[k]));
		assert_non_null(strstr(txt, "written; rerun with --resume to continue"));
		if (resumed[k] && !b.quiet)
			assert_non_null(strstr(txt, resumed[k]));
		assert_int_equal(stat(b.model_out, &sb), -1); /* no model */
		struct model_meta mm;
		struct ckpt_state cs;
		assert_int_equal(ckpt_peek(b.checkpoint, &mm, &cs), 0);
		assert_int_equal(cs.epoch, k == 0 ? 0 : k < 3 ? 1 : 2);
		assert_true(cs.epoch_batches == 10 && cs.epoch_batch == (k == 0 ? 3 : k == 1 ? 5
								       : k == 2 ? 10 : 7));
		ckpt_state_free(&cs);
		model_meta_free(&mm);
	}
	b.stop_after_steps = 0;
	capture_begin();
	assert_int_equal(train_run(&b), TRAIN_OK);
	capture_end();
	same_model(a.model_out, b.model_out);
	same_ckpt(a.checkpoint, b.checkpoint, 1);
	json_t *s = load_json(b.summary_out);
	assert_int_equal(jnum(s, "resumed_from_epoch"), 2);
	assert_int_equal(jnum(s, "epochs_run"), 3);
	json_decref(s);
	FILE *fa = fopen(a.log_out, "r"), *fb = fopen(b.log_out, "r");
	char la[4096], lb[4096];
	for (int e = 0; e < 3; e++) {
		assert_non_null(fgets(la, sizeof(la), fa));
		assert_non_null(fgets(lb, sizeof(lb), fb));
		json_t *ja = json_loads(la, 0, NULL), *jb = json_loads(lb, 0, NULL);
		const char *keys[] = {"loss", "accuracy", "grad_norm", "val_loss", NULL};
		for (int i = 0; keys[i]; i++)
			assert_true(jnum(ja, keys[i]) == jnum(jb, keys[i]));
		json_decref(ja);
		json_decref(jb);
	}
	assert_null(fgets(lb, sizeof(lb), fb));
	fclose(fa);
	fclose(fb);
	/* without a checkpoint there is nothing to resume: said so */
	struct train_cfg c = cfg_for(noise_h5, "stop-none");
	c.checkpoint = NULL;
	c.stop_after_steps = 2;
	capture_begin();
	assert_int_equal(train_run(&c), TRAIN_STOPPED);
	assert_non_null(strstr(capture_end(), "in epoch 1 after batch 2/10; no checkpoint"));
	assert_int_equal(stat(c.model_out, &sb), -1);
}

static void test_wrong_vocab(void **state)
{
	(void)state;
	const char *vocab = test_path("vocab.txt");
	write_file(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n", 24);
	struct train_cfg a = cfg_for(noise_h5, "vocab");
	a.vocab = vocab;
	capture_begin();
	assert_int_equal(train_run(&a), -1);
	assert_non_null(strstr(capture_end(), "is not the vocabulary of"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learns),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_foreign_checkpoint),
		cmocka_unit_test(test_early_stopping),
		cmocka_unit_test(test_nan_guard),
		cmocka_unit_test(test_stop_mid_epoch),
		cmocka_unit_test(test_wrong_vocab),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
