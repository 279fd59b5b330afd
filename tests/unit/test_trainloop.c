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
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "batches.h"
#include "capture.h"
#include "dataset_fixture.h"
#include "devmodel.h"
#include "dsfile.h"
#include "error.h"
#include "evalloop.h"
#include "hash.h"
#include "metrics.h"
#include "modelfile.h"
#include "progress.h"
#include "train_fixture.h"
#include "trainloop.h"
#include "tsfile.h"
#define FAULTINJ_FCLOSE /* fclose_fault */
#include "faultinj.h"

/* H5Dread as the library sees it: HDF5's, or a failure when armed (a read
 * error partway through a split, which no file on disk gives on demand) */
static struct faultinj read_fault = FAULTINJ_OFF;

herr_t H5Dread(hid_t dset, hid_t mem_type, hid_t mem_space, hid_t file_space, hid_t plist,
	       void *buf)
{
	static herr_t (*real)(hid_t, hid_t, hid_t, hid_t, hid_t, void *);
	if (!real)
		real = faultinj_real("H5Dread");
	if (faultinj_fires(&read_fault))
		return -1;
	return real(dset, mem_type, mem_space, file_space, plist, buf);
}

#define V 400
#define W 24

/* Reviews of random ids, 6..W long; learnable: id 7 (positive) or 8
 * (negative) at two random places, else the label is a coin flip.  The
 * seed also salts the review hashes. */
static char *make_dataset(const char *name, int learnable, int n_train, int n_val, uint64_t seed)
{
	struct test_dataset d = {
		.counts = {n_train, n_val, n_val}, .chunk_rows = 32, .seed = seed,
		.vocab_hash = hash64("test vocabulary", 15), .vocab_size = V, .max_len = W,
		.min_len = 6, .first_word = 10, .cue = learnable ? 7 : 0, .hash_salt = seed << 8,
	};
	return test_dataset_write(name, &d);
}

static char *learn_h5, *noise_h5;

static int setup(void **state)
{
	(void)state;
	learn_h5 = make_dataset("learn", 1, 480, 96, 11);
	noise_h5 = make_dataset("noise", 0, 160, 64, 12);
	return 0;
}

/* A configuration writing name.{h5,log,json,ckpt} in the test folder. */
static struct train_cfg cfg_for(const char *data, const char *name)
{
	struct train_cfg c = test_train_cfg(data, name);
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
	double last_acc = 0, last_train_acc = 0, best_line_loss = NAN;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		assert_non_null(j);
		const char *keys[] = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
				      "val_macro_f1", "seconds", "seq_per_s", "lr", NULL};
		for (int k = 0; keys[k]; k++)
			assert_non_null(json_object_get(j, keys[k]));
		assert_int_equal(jnum(j, "epoch"), ++n);
		assert_true(jnum(j, "lr") == c.optim.lr);
		last_acc = jnum(j, "val_accuracy");
		last_train_acc = jnum(j, "accuracy");
		if (n == (int)jnum(s, "best_epoch"))
			best_line_loss = jnum(j, "val_loss");
		json_decref(j);
	}
	fclose(f);
	assert_int_equal(n, 4);
	printf("validation accuracy after 4 epochs: %.3f\n", last_acc);
	assert_true(last_acc > 0.9); /* the cue is learnt */
	assert_true(last_train_acc > 0.8); /* on the training batches too */
	/* the summary's best_val_loss is the logged val_loss of best_epoch */
	assert_close(jnum(s, "best_val_loss"), best_line_loss, 1e-9 * best_line_loss);
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

/* Early stopping across a resume: a run with --patience 2 cut short by
 * --epochs and resumed stops where the uninterrupted run stops (the
 * epochs without improvement so far come from the checkpoint), with the
 * same best weights; and a checkpoint of a --patience 0 run that went on
 * past where --patience 2 stops is not continued under --patience 2. */
static void test_early_stopping_resumed(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "esr-full");
	a.epochs = 30;
	a.patience = 2;
	a.optim.lr = 0.03;
	a.embed = 16;
	a.hidden = 16;
	assert_int_equal(train_run(&a), TRAIN_OK);
	json_t *s = load_json(a.summary_out);
	int run = (int)jnum(s, "epochs_run"), best = (int)jnum(s, "best_epoch");
	json_decref(s);
	assert_true(run < 30 && best == run - 2);
	/* cut after epoch run - 1 (one epoch without improvement), resumed */
	struct train_cfg b = a;
	b.model_out = test_path_kept("esr-part.model.h5");
	b.log_out = test_path_kept("esr-part.log");
	b.summary_out = test_path_kept("esr-part.json");
	b.checkpoint = test_path_kept("esr-part.ckpt.h5");
	b.resume = 1;
	b.epochs = run - 1;
	assert_int_equal(train_run(&b), TRAIN_OK);
	b.epochs = 30;
	capture_begin();
	assert_int_equal(train_run(&b), TRAIN_OK);
	assert_non_null(strstr(capture_end(), "resuming"));
	s = load_json(b.summary_out);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "early-stopping");
	assert_int_equal(jnum(s, "epochs_run"), run);
	assert_int_equal(jnum(s, "best_epoch"), best);
	json_decref(s);
	same_model(a.model_out, b.model_out);
	/* a --patience 0 run one epoch past the stop, then --patience 2 */
	struct train_cfg c = b;
	c.model_out = test_path_kept("esr-p0.model.h5");
	c.log_out = test_path_kept("esr-p0.log");
	c.summary_out = test_path_kept("esr-p0.json");
	c.checkpoint = test_path_kept("esr-p0.ckpt.h5");
	c.patience = 0;
	c.epochs = run + 1;
	assert_int_equal(train_run(&c), TRAIN_OK);
	c.patience = 2;
	c.epochs = 30;
	c.quiet = 0;
	capture_begin();
	assert_int_equal(train_run(&c), TRAIN_OK);
	const char *txt = capture_end();
	char want[128];
	snprintf(want, sizeof(want), "--patience 2 stops after epoch %d; starting from scratch", run);
	if (!strstr(txt, want)) {
		printf("want '%s' in:\n%s\n", want, txt);
		fail();
	}
	s = load_json(c.summary_out);
	assert_int_equal(jnum(s, "epochs_run"), run);
	json_decref(s);
	same_model(a.model_out, c.model_out);
	/* ... but one that ended exactly there is continued (and stops at once) */
	c.patience = 0;
	c.epochs = run;
	c.quiet = 1;
	c.checkpoint = test_path_kept("esr-p0b.ckpt.h5");
	assert_int_equal(train_run(&c), TRAIN_OK);
	c.patience = 2;
	c.epochs = 30;
	capture_begin();
	assert_int_equal(train_run(&c), TRAIN_OK);
	capture_end();
	s = load_json(c.summary_out);
	assert_int_equal(jnum(s, "resumed_from_epoch"), run);
	assert_int_equal(jnum(s, "epochs_run"), run);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "early-stopping");
	json_decref(s);
	same_model(a.model_out, c.model_out);
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

/* The NaN guard on the validation loss: one batch per epoch and a huge
 * learning rate make the first step's weights overflow the validation
 * forward pass while the step itself (from the initial weights) was
 * finite.  The run stops at that epoch: no model, no checkpoint of it, no
 * logged epoch. */
static void test_nan_guard_validation(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "nanval");
	a.batch = 160; /* the whole training split */
	a.optim.lr = 1e38;
	a.clip = 0;
	a.epochs = 3;
	a.quiet = 0;
	capture_begin();
	int rc = train_run(&a);
	const char *txt = capture_end();
	assert_int_equal(rc, TRAIN_DIVERGED);
	if (!strstr(txt, "non-finite validation loss after epoch 1")) {
		printf("%s\n", txt);
		fail();
	}
	struct stat sb;
	assert_int_equal(stat(a.model_out, &sb), -1);
	assert_int_equal(stat(a.checkpoint, &sb), -1);
	json_t *s = load_json(a.summary_out);
	assert_string_equal(json_string_value(json_object_get(s, "stopped")), "nan");
	assert_int_equal(jnum(s, "epochs_run"), 0);
	json_decref(s);
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
	/* stopped inside epoch 3, resumed with --epochs 2: that epoch's
	 * weights are past the run asked for, so it starts from scratch */
	struct train_cfg d = cfg_for(noise_h5, "stop-past");
	d.patience = 0;
	d.resume = 1;
	d.stop_after_steps = 25;
	capture_begin();
	assert_int_equal(train_run(&d), TRAIN_STOPPED);
	capture_end();
	d.stop_after_steps = 0;
	d.epochs = 2;
	d.quiet = 0;
	capture_begin();
	assert_int_equal(train_run(&d), TRAIN_OK);
	const char *txt = capture_end();
	if (!strstr(txt, "stopped inside epoch 3, past --epochs 2; starting from scratch")) {
		printf("%s\n", txt);
		fail();
	}
	s = load_json(d.summary_out);
	assert_true(json_is_null(json_object_get(s, "resumed_from_epoch")));
	assert_int_equal(jnum(s, "epochs_run"), 2);
	json_decref(s);
}

/* The test hook of test_stop_after_epoch: SIGTERM at one point of one
 * epoch, delivered to the handlers train_install_stop_signals set. */
static const char *sig_point;
static int sig_epoch;

static void raise_at(const char *point, int e)
{
	if (e == sig_epoch && !strcmp(point, sig_point))
		raise(SIGTERM);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int n = 0, ch;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* A stop signal during an epoch's validation or its checkpoint: the run
 * stops right after that epoch (TRAIN_STOPPED, its checkpoint and log line
 * written, not one step of the next epoch) and writes no model file, not
 * even after the last epoch: make would take one as a finished run.
 * Resumed, the run ends with the uninterrupted run's model.  Each stopped
 * run is a child process: a process notes only its first stop signal. */
static void test_stop_after_epoch(void **state)
{
	(void)state;
	struct train_cfg a = cfg_for(noise_h5, "sig-full");
	a.patience = 0;
	assert_int_equal(train_run(&a), TRAIN_OK);
	const char *points[2] = {"validation", "checkpoint"};
	for (int k = 0; k < 4; k++) {
		char name[64], want[128];
		sig_point = points[k % 2];
		sig_epoch = 2 + k / 2; /* 3: the last */
		snprintf(name, sizeof(name), "sig-%s-%d", sig_point, sig_epoch);
		struct train_cfg b = cfg_for(noise_h5, name);
		b.patience = 0;
		b.resume = 1;
		b.test_hook = raise_at;
		capture_begin();
		fflush(NULL); /* nothing buffered for the child to print again */
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			train_install_stop_signals();
			int rc = train_run(&b);
			fflush(stderr);
			_exit(rc == TRAIN_STOPPED ? 0 : 1);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		const char *txt = capture_end();
		printf("SIGTERM at %s of epoch %d\n", sig_point, sig_epoch);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* TRAIN_STOPPED */
		snprintf(want, sizeof(want), "stopped by SIGTERM after epoch %d; checkpoint '",
			 sig_epoch);
		assert_non_null(strstr(txt, want));
		struct stat sb;
		assert_int_equal(stat(b.model_out, &sb), -1);
		struct model_meta mm;
		struct ckpt_state cs;
		assert_int_equal(ckpt_peek(b.checkpoint, &mm, &cs), 0);
		assert_int_equal(cs.epoch, sig_epoch);
		assert_int_equal(cs.epoch_batch, 0);
		ckpt_state_free(&cs);
		model_meta_free(&mm);
		assert_int_equal(count_lines(b.log_out), sig_epoch);
		/* resumed: the rest of the run, as if never stopped */
		b.test_hook = NULL;
		capture_begin();
		assert_int_equal(train_run(&b), TRAIN_OK);
		capture_end();
		same_model(a.model_out, b.model_out);
	}
}

/* The logged line of epoch e (from 1) of a train-log.jsonl. */
static json_t *log_line(const char *path, int e)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	json_t *j = NULL;
	for (int i = 1; i <= e; i++)
		assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(j = json_loads(line, 0, NULL));
	return j;
}

/* One epoch with lr 0 on noise_h5 under name (batch: 0 for cfg_for's):
 * the model file holds the initial weights.  *c is the run's settings,
 * *mm the file's metadata; returns its parameters. */
static float *initial_model(const char *name, int batch, struct train_cfg *c,
			    struct model_meta *mm)
{
	*c = cfg_for(noise_h5, name);
	c->optim.lr = 0;
	if (batch)
		c->batch = batch;
	c->epochs = 1;
	c->patience = 0;
	assert_int_equal(train_run(c), TRAIN_OK);
	float *params = modelfile_load(c->model_out, mm);
	assert_non_null(params);
	return params;
}

/* What an epoch's log line says, replayed: with --lr 0 the weights stay
 * the initial ones, so the training loss (mean over reviews, batches
 * weighted by their rows: 160 = 3 x 48 + 16), the accuracy and the mean
 * gradient norm over the epoch's batches can be recomputed batch by
 * batch from the model file and the same shuffled batches. */
static void test_epoch_bookkeeping(void **state)
{
	(void)state;
	struct train_cfg c;
	struct model_meta mm;
	float *params = initial_model("book", 48, &c, &mm);
	struct rnn_model *m = rnn_model_create(&mm.cfg, c.batch, W, 1);
	assert_non_null(m);
	memcpy(m->params, params, sizeof(float) * m->layout.total);
	struct batches_config bc;
	batches_config_init(&bc);
	bc.split = "train";
	bc.batch_size = (uint32_t)c.batch;
	bc.shuffle = 1;
	bc.seed = c.seed;
	bc.trim = 1;
	struct batches *b = batches_open(c.data, &bc);
	assert_non_null(b);
	assert_int_equal(batches_start_epoch(b, 1), 0);
	const struct batch *bt;
	double loss_sum = 0, norm_sum = 0;
	uint64_t n = 0, nb = 0, correct = 0;
	while (batches_next(b, &bt) == 1) {
		struct rnn_batch rb = {.B = (int)bt->n, .T = (int)bt->t, .ids = bt->ids,
				       .lengths = bt->lengths, .labels = bt->labels};
		float loss;
		rnn_model_zero_grad(m);
		assert_int_equal(rnn_model_forward(m, &rb, &loss), 0);
		assert_int_equal(rnn_model_backward(m, &rb), 0);
		norm_sum += rnn_model_grad_norm(m);
		for (int i = 0; i < rb.B; i++)
			correct += (m->probs[2 * i + 1] > m->probs[2 * i]) == bt->labels[i];
		loss_sum += (double)loss * rb.B;
		n += bt->n;
		nb++;
	}
	assert_int_equal(n, 160);
	assert_int_equal(nb, 4);
	json_t *j = log_line(c.log_out, 1);
	assert_close(jnum(j, "loss"), loss_sum / n, 1e-6);
	assert_close(jnum(j, "accuracy"), (double)correct / n, 1e-12);
	assert_close(jnum(j, "grad_norm"), norm_sum / nb, 1e-6 * norm_sum / nb);
	assert_true(jnum(j, "lr") == 0);
	/* the validation loss and accuracy: means over the reviews of the
	 * whole validation split (64 = 48 + 16: batches weighted by rows) */
	batches_close(b);
	bc.split = "validation";
	bc.shuffle = 0;
	assert_non_null(b = batches_open(c.data, &bc));
	assert_int_equal(batches_start_epoch(b, 0), 0);
	loss_sum = 0;
	n = correct = 0;
	while (batches_next(b, &bt) == 1) {
		struct rnn_batch rb = {.B = (int)bt->n, .T = (int)bt->t, .ids = bt->ids,
				       .lengths = bt->lengths, .labels = bt->labels};
		float loss;
		assert_int_equal(rnn_model_forward(m, &rb, &loss), 0);
		for (int i = 0; i < rb.B; i++)
			correct += (m->probs[2 * i + 1] > m->probs[2 * i]) == bt->labels[i];
		loss_sum += (double)loss * rb.B;
		n += bt->n;
	}
	assert_int_equal(n, 64);
	assert_close(jnum(j, "val_loss"), loss_sum / n, 1e-6);
	assert_close(jnum(j, "val_accuracy"), (double)correct / n, 1e-12);
	json_decref(j);
	batches_close(b);
	rnn_model_free(m);
	model_meta_free(&mm);
	free(params);
}

/* What eval_split (evalloop.h) hands its callback: per batch, the rows
 * and C; logits whose softmax is probs.  stop_at: the call that returns
 * -1 (0: none). */
struct ev_seen {
	int calls, rows, C, stop_at;
	double worst; /* largest |softmax(logits) - probs| */
};

static int ev_on_batch(void *ctx, const struct batch *b, const float *probs,
		       const float *logits, int C)
{
	struct ev_seen *s = ctx;
	s->calls++;
	s->rows += (int)b->n;
	s->C = C;
	for (uint32_t i = 0; i < b->n; i++) {
		const float *l = logits + (size_t)i * 2, *p = probs + (size_t)i * 2;
		double p1 = 1 / (1 + exp((double)l[0] - l[1]));
		s->worst = fmax(s->worst, fabs(p1 - p[1]));
	}
	return s->calls == s->stop_at ? error("stop at batch %d", s->calls) : 0;
}

/* One pass of eval_split over the 64 validation reviews in batches of 48
 * + 16: the callback sees every row with C = 2 and the logits (not the
 * probabilities twice); the progress counts reviews, not batches; the
 * callback's -1, a batch the model cannot hold and a failed read each
 * make it return -1; NaN weights make it return 1 (diverged). */
static void test_eval_split(void **state)
{
	(void)state;
	struct train_cfg c;
	struct model_meta mm;
	float *params = initial_model("evsplit", 0, &c, &mm);
	struct rnn_model *m = rnn_model_create(&mm.cfg, 48, W, 0);
	struct rnn_model *small = rnn_model_create(&mm.cfg, 16, W, 0);
	assert_true(m && small);
	memcpy(m->params, params, sizeof(float) * m->layout.total);
	memcpy(small->params, params, sizeof(float) * m->layout.total);
	struct devmodel d = {0}, ds = {0};
	assert_int_equal(devmodel_open(&d, m, DEVICE_CPU, 48, W), 0);
	assert_int_equal(devmodel_open(&ds, small, DEVICE_CPU, 16, W), 0);
	struct batches_config bc;
	batches_config_init(&bc);
	bc.split = "validation";
	bc.batch_size = 48;
	bc.shuffle = 0;
	bc.trim = 1;
	struct batches *b = batches_open(c.data, &bc);
	assert_non_null(b);
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	struct progress pg;
	progress_start(&pg, null, PROGRESS_LINES, "validation", 2, 1e9);
	struct metrics_acc *acc = metrics_acc_new(2, 0);
	struct ev_seen s = {0};
	faultinj_arm(&read_fault, -1); /* count the reads of one pass */
	assert_int_equal(eval_split(&d, b, acc, ev_on_batch, &s, &pg), 0);
	int reads = faultinj_calls(&read_fault);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.rows, 64);
	assert_int_equal(s.C, 2);
	assert_true(s.worst < 1e-5); /* float softmax against a double one */
	assert_int_equal(pg.items, 64);
	metrics_acc_free(acc);

	/* the errors: each returns -1 */
	capture_begin();
	acc = metrics_acc_new(2, 0);
	struct ev_seen stop = {.stop_at = 1};
	int rc_stop = eval_split(&d, b, acc, ev_on_batch, &stop, NULL);
	metrics_acc_free(acc);
	acc = metrics_acc_new(2, 0);
	int rc_small = eval_split(&ds, b, acc, NULL, NULL, NULL); /* 48 rows > 16 */
	metrics_acc_free(acc);
	capture_end();
	assert_int_equal(rc_stop, -1);
	assert_int_equal(stop.calls, 1);
	assert_int_equal(rc_small, -1);

	/* the pass's last read fails: -1, naming the file and the rows */
	assert_true(reads >= 2);
	capture_begin();
	acc = metrics_acc_new(2, 0);
	struct ev_seen part = {0};
	faultinj_arm(&read_fault, reads - 1);
	int rc_read = eval_split(&d, b, acc, ev_on_batch, &part, NULL);
	faultinj_arm(&read_fault, -1);
	metrics_acc_free(acc);
	const char *err = capture_end();
	assert_int_equal(rc_read, -1);
	assert_non_null(strstr(err, c.data));
	assert_non_null(strstr(err, "cannot read rows"));

	/* NaN weights: the losses are not finite, the pass says diverged */
	for (size_t i = 0; i < m->layout.total; i++)
		m->params[i] = NAN;
	acc = metrics_acc_new(2, 0);
	assert_int_equal(eval_split(&d, b, acc, NULL, NULL, NULL), 1);
	metrics_acc_free(acc);

	fclose(null);
	batches_close(b);
	devmodel_close(&d);
	devmodel_close(&ds);
	rnn_model_free(m);
	rnn_model_free(small);
	model_meta_free(&mm);
	free(params);
}

/* --device names: cpu is the CPU; an unknown name is refused, naming it. */
/* train.json leads the end of a run: when it cannot be written (its
 * fclose reports a lost write, the run's last fclose), the new model and
 * the final log are not renamed either, so the previous run's model.h5
 * and train.json stay together, and no temporary file is left. */
static void test_end_write_fails(void **state)
{
	(void)state;
	struct train_cfg c = cfg_for(learn_h5, "endfail");
	c.epochs = 1;
	c.checkpoint = NULL;
	faultinj_arm(&fclose_fault, -1); /* count the fcloses of a run */
	assert_int_equal(train_run(&c), TRAIN_OK);
	int closes = faultinj_calls(&fclose_fault);
	assert_true(closes >= 2);
	uint64_t model, summary;
	assert_int_equal(hash64_file(c.model_out, &model), 0);
	assert_int_equal(hash64_file(c.summary_out, &summary), 0);

	c.seed = 99; /* another model */
	capture_begin();
	faultinj_arm(&fclose_fault, closes - 1);
	int rc = train_run(&c);
	faultinj_arm(&fclose_fault, -1);
	const char *err = capture_end();
	assert_int_not_equal(rc, TRAIN_OK);
	assert_non_null(strstr(err, "endfail.json"));
	uint64_t h;
	assert_int_equal(hash64_file(c.model_out, &h), 0);
	assert_true(h == model);
	assert_int_equal(hash64_file(c.summary_out, &h), 0);
	assert_true(h == summary);
	assert_int_equal(test_count_temps(), 0);

	/* the same run without the fault replaces both */
	assert_int_equal(train_run(&c), TRAIN_OK);
	assert_int_equal(hash64_file(c.model_out, &h), 0);
	assert_true(h != model);
}

static void test_device_resolve(void **state)
{
	(void)state;
	enum device_kind k = DEVICE_CUDA;
	assert_int_equal(device_resolve("cpu", &k), 0);
	assert_int_equal(k, DEVICE_CPU);
	capture_begin();
	int rc = device_resolve("gpu", &k);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "unknown device 'gpu' (auto, cpu or cuda)"));
}

/* The same for a series (--task regress): the training and validation
 * losses are the MSE over the split's windows, replayed one window at a
 * time from the unchanged initial weights; the validation windows are
 * used (early stopping and the best epoch need them). */
static void test_regress_bookkeeping(void **state)
{
	(void)state;
	const char *data = test_path_kept("series.h5");
	struct tsdata w;
	memset(&w, 0, sizeof(w));
	w.series.n = 240;
	w.series.values = malloc(w.series.n * sizeof(double));
	w.series.source = strdup("test");
	w.series.column = strdup("value");
	for (size_t i = 0; i < w.series.n; i++)
		w.series.values[i] = 10 + 3 * sin(0.37 * (double)i) + 0.01 * (double)(i % 7);
	assert_int_equal(tsdata_prepare(&w, 8, 2, 0, 0.6, 0.2), 0);
	assert_int_equal(tsfile_write(data, &w, NULL), 0);
	tsdata_free(&w);
	struct train_cfg c = cfg_for(data, "regress");
	c.task = RNN_TASK_REGRESS;
	c.pool = RNN_POOL_LAST;
	c.optim.lr = 0;
	c.epochs = 2;
	c.patience = 0;
	assert_int_equal(train_run(&c), TRAIN_OK);
	json_t *s = load_json(c.summary_out);
	struct tsdata d;
	assert_int_equal(tsdata_read(data, &d), 0);
	assert_true(d.count[TS_VALIDATION] > 0);
	assert_int_equal(jnum(s, "validation_examples"), d.count[TS_VALIDATION]);
	assert_int_equal(jnum(s, "best_epoch"), 1); /* lr 0: no epoch improves on the first */
	json_decref(s);
	struct model_meta mm;
	float *params = modelfile_load(c.model_out, &mm);
	assert_non_null(params);
	struct rnn_model *m = rnn_model_create(&mm.cfg, 1, 8, 0);
	assert_non_null(m);
	memcpy(m->params, params, sizeof(float) * m->layout.total);
	json_t *j = log_line(c.log_out, 2);
	const char *key[2] = {"loss", "val_loss"};
	const int split[2] = {TS_TRAIN, TS_VALIDATION};
	for (int k = 0; k < 2; k++) {
		float *in, *tg;
		size_t n;
		assert_int_equal(tsfile_read_split(data, &d, split[k], &in, &tg, &n), 0);
		int32_t len = 8;
		double sum = 0;
		for (size_t i = 0; i < n; i++) {
			struct rnn_batch rb = {.B = 1, .T = 8, .inputs = in + i * 8, .lengths = &len,
					       .targets = tg + i * 2};
			float loss;
			assert_int_equal(rnn_model_forward(m, &rb, &loss), 0);
			sum += loss;
		}
		assert_close(jnum(j, key[k]), sum / n, 1e-5 * sum / n);
		free(in);
		free(tg);
	}
	json_decref(j);
	tsdata_free(&d);
	rnn_model_free(m);
	model_meta_free(&mm);
	free(params);
}

/* Every setting a resumed run must share with its checkpoint changes the
 * fingerprint: a checkpoint of another --clip, --weight-decay, beta or
 * seed continued under this run's settings gives neither run's weights. */
static void test_fingerprint_fields(void **state)
{
	(void)state;
	struct train_cfg base;
	train_cfg_defaults(&base);
	base.optim.weight_decay = 0.01;
	struct rnn_config m = {.cell = RNN_CELL_GRU, .task = RNN_TASK_CLASSIFY, .vocab = 100,
			       .embed = 8, .input_size = 8, .hidden = 8, .layers = 1,
			       .outputs = 2, .pool = RNN_POOL_MEAN};
	char want[1024], got[1024];
	train_fingerprint(&base, &m, 1, 2, want, sizeof(want));
	train_fingerprint(&base, &m, 1, 2, got, sizeof(got));
	assert_string_equal(got, want);
	for (int k = 0; k < 16; k++) {
		struct train_cfg c = base;
		struct rnn_config mc = m;
		uint64_t dh = 1, vh = 2;
		switch (k) {
		case 0: c.optim.lr *= 2; break;
		case 1: c.optim.beta1 = 0.8; break;
		case 2: c.optim.beta2 = 0.99; break;
		case 3: c.optim.eps = 1e-6; break;
		case 4: c.optim.weight_decay = 0.02; break;
		case 5: c.optim.sparse_embedding = !c.optim.sparse_embedding; break;
		case 6: c.optim.adamw = !c.optim.adamw; break;
		case 7: c.clip = 2.0; break;
		case 8: c.seed = 2; break;
		case 9: c.batch = 64; break;
		case 10: dh = 3; break;
		case 11: vh = 3; break;
		case 12: mc.hidden = 16; break;
		case 13: mc.cell = RNN_CELL_LSTM; break;
		case 14: mc.pool = RNN_POOL_MAX; break;
		case 15: c.program_hash = 5; break;
		}
		train_fingerprint(&c, &mc, dh, vh, got, sizeof(got));
		if (!strcmp(got, want)) {
			printf("change %d leaves the fingerprint as it was: %s\n", k, got);
			fail();
		}
	}
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
		cmocka_unit_test(test_early_stopping_resumed),
		cmocka_unit_test(test_nan_guard),
		cmocka_unit_test(test_nan_guard_validation),
		cmocka_unit_test(test_stop_mid_epoch),
		cmocka_unit_test(test_stop_after_epoch),
		cmocka_unit_test(test_wrong_vocab),
		cmocka_unit_test(test_epoch_bookkeeping),
		cmocka_unit_test(test_eval_split),
		cmocka_unit_test(test_end_write_fails),
		cmocka_unit_test(test_device_resolve),
		cmocka_unit_test(test_regress_bookkeeping),
		cmocka_unit_test(test_fingerprint_fields),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
