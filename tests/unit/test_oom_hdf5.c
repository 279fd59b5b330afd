/* test_oom_hdf5.c - running out of memory in the HDF5 files' code: every
 * allocation of a call made to fail in turn (tests/oom_harness.h: how,
 * and what a run must do), each run in a child process.
 *
 * Targets (11): pack-hdf5's writer (three splits), the batch reader (one
 * epoch, no prefetch thread), a model file saved and loaded, a checkpoint
 * saved and read as --resume reads it, the time-series dataset written
 * and read, and the stages that read and write them: train (one epoch:
 * the checkpoint, the model, the log and train.json), evaluate (metrics
 * and predictions) and predict (the model's vocabulary, three reviews):
 * 19 730 runs, 80 s here; every failure point alone, every fourth with
 * all later ones failing too (each run costs a fork and HDF5's work).  HDF5 1.10 itself crashes on some failed
 * allocations (H5AC_create) and calls exit() from inside H5Fopen and
 * H5Fcreate on others: a child that dies so inside HDF5 (by its stack)
 * is counted and allowed when nothing is left at the output's name.  A
 * failure must also not blame the file ("corrupted", "re-run make"), and
 * a failed writer leaves no output.  Leaks are not counted (HDF5 keeps
 * what it allocated).  The test links the model API of a build without
 * CUDA (the Makefile): the CUDA libraries' written pages (130 MB) made
 * each fork 3 ms dearer.
 */
#include "oom_harness.h"

#include <signal.h>

#include "batches.h"
#include "dataset_fixture.h"
#include "dsfile.h"
#include "evaluate.h"
#include "modelfile.h"
#include "predict.h"
#include "progress.h"
#include "tokfile.h"
#include "train_fixture.h"
#include "trainloop.h"
#include "tseries.h"
#include "tsfile.h"
#include "vocab.h"

#ifndef OOM_UNDER_ASAN

static char *p_h5_out, *p_h5_data, *p_h5_model, *p_h5_ts, *p_h5_ckpt;

static int t_h5_pack(uint64_t *dg)
{
	const char *names[] = {"h5-train.tok", "h5-validation.tok", "h5-test.tok"};
	const char *splits[] = {"train", "validation", "test"};
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = 4;
	struct dswriter *w = NULL;
	int rc = 0;
	for (int s = 0; s < 3 && !rc; s++) {
		const char *tok = test_path(names[s]);
		struct tokreader *r = tokreader_open(tok);
		if (!r) {
			rc = -1;
			break;
		}
		if (!w && !(w = dswriter_open(p_h5_out, tokreader_meta(r), 0, &o)))
			rc = -1;
		else
			rc = dswriter_add_split(w, splits[s], r, tok);
		tokreader_close(r);
	}
	if (rc) {
		if (w)
			dswriter_abort(w);
		return -1;
	}
	if (dswriter_commit(w))
		return -1;
	*dg = file_digest(p_h5_out);
	return 0;
}

static int t_h5_batches(uint64_t *dg)
{
	struct batches_config c;
	batches_config_init(&c);
	c.batch_size = 5;
	c.prefetch = 0;
	struct batches *b = batches_open(p_h5_data, &c);
	if (!b)
		return -1;
	int rc = batches_start_epoch(b, 1);
	const struct batch *bt;
	uint64_t h = 0;
	while (!rc && (rc = batches_next(b, &bt)) == 1) {
		h = mix_mem(h, bt->ids, (size_t)bt->n * bt->t * sizeof(int32_t));
		h = mix_mem(h, bt->labels, bt->n * sizeof(int32_t));
		rc = 0;
	}
	batches_close(b);
	*dg = h;
	return rc;
}

static void model_fixture(struct model_meta *m, float **params)
{
	memset(m, 0, sizeof(*m));
	m->cfg = (struct rnn_config){.cell = RNN_CELL_LSTM, .task = RNN_TASK_CLASSIFY, .vocab = 50,
				     .embed = 6, .input_size = 6, .hidden = 5, .layers = 2,
				     .bidirectional = 1, .outputs = 2, .pool = RNN_POOL_MEAN};
	m->labels[m->n_labels++] = strdup("negative");
	m->labels[m->n_labels++] = strdup("positive");
	m->vocab_hash = 0x0123456789abcdefULL;
	m->vocab_size = 50;
	m->pad_id = 0;
	m->unk_id = 1;
	m->cls_id = 2;
	m->sep_id = 3;
	m->max_len = 64;
	m->truncation = strdup("head");
	m->producer = strdup("test");
	m->dataset = strdup("dataset.h5");
	m->vocab_text = strdup("[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
	m->vocab_len = strlen(m->vocab_text);
	m->vocab_path = strdup("vocab.txt");
	/* optional attributes, each read only when present: a lookup that
	 * fails must not read as absent (#48) */
	m->n_norm = 1;
	m->norm_mean = malloc(sizeof(double));
	m->norm_std = malloc(sizeof(double));
	assert_true(m->norm_mean && m->norm_std);
	m->norm_mean[0] = 2.5;
	m->norm_std[0] = 0.5;
	m->dataset_hash = 0x1122334455667788ULL;
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&m->cfg, &l), 0);
	*params = rnn_alloc_floats(l.total);
	rnn_params_init(&l, *params, 7);
}

static struct model_meta fx_meta;
static float *fx_params;

static int t_h5_model_save(uint64_t *dg)
{
	if (modelfile_save(p_h5_out, &fx_meta, fx_params))
		return -1;
	*dg = file_digest(p_h5_out);
	return 0;
}

static int t_h5_model_load(uint64_t *dg)
{
	struct model_meta m;
	float *p = modelfile_load(p_h5_model, &m);
	if (!p)
		return -1;
	struct rnn_layout l;
	rnn_layout_build(&m.cfg, &l);
	*dg = mix_mem(mix_mem(m.vocab_hash, p, l.total * sizeof(float)), m.labels[1],
		      strlen(m.labels[1]));
	*dg = mix_mem(*dg, m.vocab_text, m.vocab_len);
	*dg = mix_mem(mix(*dg, m.dataset_hash), m.vocab_path, strlen(m.vocab_path));
	*dg = mix_mem(*dg, m.norm_mean, m.n_norm * sizeof(double));
	*dg = mix_mem(mix_mem(*dg, m.norm_std, m.n_norm * sizeof(double)), m.dataset,
		      strlen(m.dataset));
	free(p);
	model_meta_free(&m);
	return 0;
}

/* A training model with Adam's moments, best weights and a state with a
 * log, as train writes at an epoch's end (and its restart reads). */
static struct rnn_model *fx_train;
static float *fx_best;
static struct ckpt_state fx_state;

static struct model_meta fx_ckpt_meta;

static void ckpt_fixture(void)
{
	/* one layer, one direction: each tensor is read four times (the
	 * parameters, Adam's two moments, the best weights) */
	float *p;
	model_fixture(&fx_ckpt_meta, &p);
	free(p);
	fx_ckpt_meta.cfg.layers = 1;
	fx_ckpt_meta.cfg.bidirectional = 0;
	fx_train = rnn_model_create(&fx_ckpt_meta.cfg, 4, 8, 1);
	assert_non_null(fx_train);
	rnn_model_init(fx_train, 3);
	for (size_t i = 0; i < fx_train->layout.total; i++) {
		fx_train->adam_m[i] = (float)i * 0.5f;
		fx_train->adam_v[i] = (float)i * 0.25f;
	}
	fx_train->adam_step = 12;
	fx_best = rnn_alloc_floats(fx_train->layout.total);
	rnn_params_init(&fx_train->layout, fx_best, 9);
	static char *log[] = {"{\"epoch\": 1, \"loss\": 0.5}", "{\"epoch\": 2, \"loss\": 0.25}"};
	fx_state = (struct ckpt_state){.epoch = 2, .adam_step = 12, .seed = 77, .best_epoch = 2,
				       .best_metric = 0.25, .seconds = 1.5, .seqs = 99,
				       .n_log = 2, .log = log};
	snprintf(fx_state.fingerprint, sizeof(fx_state.fingerprint), "00112233aabbccdd");
	fx_state.fingerprint_text = "cell=lstm;lr=0.001";
}

static int t_h5_ckpt_save(uint64_t *dg)
{
	if (ckpt_save(p_h5_out, &fx_ckpt_meta, fx_train, fx_best, &fx_state))
		return -1;
	*dg = file_digest(p_h5_out);
	return 0;
}

/* what train --resume reads: the state, then the tensors */
static int t_h5_ckpt_load(uint64_t *dg)
{
	struct model_meta m;
	struct ckpt_state st;
	if (ckpt_peek(p_h5_ckpt, &m, &st))
		return -1;
	struct rnn_model *t = rnn_model_create(&m.cfg, 4, 8, 1);
	float *best = t ? rnn_alloc_floats(t->layout.total) : NULL;
	int rc = !best || ckpt_load_tensors(p_h5_ckpt, t, best) ? -1 : 0;
	if (!rc) {
		size_t n = t->layout.total * sizeof(float);
		uint64_t h = mix_mem(mix_mem(mix_mem(mix(st.seed, (uint64_t)t->adam_step), t->params,
						     n), t->adam_v, n), best, n);
		h = mix_mem(h, st.fingerprint_text, strlen(st.fingerprint_text));
		for (int i = 0; i < st.n_log; i++)
			h = mix_mem(h, st.log[i], strlen(st.log[i]));
		*dg = mix_mem(h, m.labels[1], strlen(m.labels[1]));
	}
	free(best);
	rnn_model_free(t);
	ckpt_state_free(&st);
	model_meta_free(&m);
	return rc;
}

static int t_h5_ts_write(uint64_t *dg)
{
	struct tsdata d = {0};
	struct ts_synth sp = {.n = 60, .waves = 1, .period = {12}, .amp = {1}, .level = 5,
			      .seed = 2};
	int rc = tseries_synthetic(&sp, &d.series);
	if (!rc)
		rc = tsdata_prepare(&d, 6, 1, 12, 0.6, 0.2);
	if (!rc)
		rc = tsfile_write(p_h5_out, &d, NULL);
	tsdata_free(&d);
	if (!rc)
		*dg = file_digest(p_h5_out);
	return rc;
}

static int t_h5_ts_read(uint64_t *dg)
{
	struct tsdata d = {0};
	if (tsdata_read(p_h5_ts, &d))
		return -1;
	*dg = mix_mem(mix((uint64_t)d.count[0], (uint64_t)d.count[2]), d.series.values,
		      d.series.n * sizeof(double));
	for (int s = 0; s < TS_NSPLITS; s++)
		if (d.index[s])
			*dg = mix_mem(*dg, d.index[s], d.count[s] * sizeof(int64_t));
	tsdata_free(&d);
	return 0;
}

/* ---- the stages' library code over a small dataset and model ---- */

#define FX_VOCAB 40

static char *p_fx_vocab, *p_fx_data, *p_fx_model;
static struct train_cfg fx_cfg; /* made here: its paths are allocated */

/* vocab.txt, a dataset of its words and a model trained on it */
static void stage_fixtures(void)
{
	p_fx_vocab = test_path_kept("fx-vocab.txt");
	FILE *f = fopen(p_fx_vocab, "w");
	assert_non_null(f);
	fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n", f);
	for (int i = 4; i < FX_VOCAB; i++)
		fprintf(f, "w%d\n", i);
	assert_int_equal(fclose(f), 0);
	struct vocab *v = vocab_load(p_fx_vocab);
	assert_non_null(v);
	const struct test_dataset d = {
		.counts = {16, 6, 6}, .chunk_rows = 4, .seed = 5, .vocab_hash = vocab_hash(v),
		.vocab_size = FX_VOCAB, .max_len = 10, .min_len = 3, .first_word = 4,
	};
	vocab_free(v);
	p_fx_data = test_dataset_write("fx-data", &d);
	p_fx_model = test_path_kept("fx-model.h5");
	fx_cfg = test_train_cfg(p_fx_data, "fx-train");
	fx_cfg.model_out = p_h5_out;
	fx_cfg.vocab = p_fx_vocab;
	fx_cfg.cell = RNN_CELL_GRU;
	fx_cfg.embed = 4;
	fx_cfg.hidden = 4;
	fx_cfg.batch = 8;
	fx_cfg.epochs = 1;
	fx_cfg.threads = 1;
	fx_cfg.progress = PROGRESS_NONE;
	fx_cfg.quiet = 1;
}

/* The model file's tensors and labels (the file itself holds the time of
 * training, train.json and the log hold seconds) */
static uint64_t model_digest(const char *path)
{
	pause_counting(1);
	struct model_meta m;
	float *p = modelfile_load(path, &m);
	uint64_t h = 1;
	if (p) {
		struct rnn_layout l;
		rnn_layout_build(&m.cfg, &l);
		h = mix_mem(mix_mem(m.vocab_hash, p, l.total * sizeof(float)), m.labels[1],
			    strlen(m.labels[1]));
		free(p);
		model_meta_free(&m);
	}
	pause_counting(0);
	return h;
}

/* train: one epoch, the model and its checkpoint written */
static int t_h5_train(uint64_t *dg)
{
	unlink(fx_cfg.checkpoint);
	if (train_run(&fx_cfg) != TRAIN_OK)
		return -1;
	*dg = model_digest(p_h5_out);
	return 0;
}

/* evaluate on the test split: metrics and predictions */
static int t_h5_evaluate(uint64_t *dg)
{
	struct evaluate_opts o = {
		.model = p_fx_model, .data = p_fx_data, .split = "test", .metrics_out = p_h5_out,
		.pred_out = test_path("fx-eval.tsv"), .batch = 4, .threads = 1, .logits = 1, .quiet = 1,
		.dev = DEVICE_CPU,
	};
	if (evaluate_classifier(&o))
		return -1;
	*dg = mix(file_digest(o.metrics_out), file_digest(o.pred_out));
	return 0;
}

/* predict --jsonl --logits on three reviews */
static int t_h5_predict(uint64_t *dg)
{
	char *args[] = {"w5 w6", "w7", "w9 w9 w12"};
	const char *out = test_path("fx-predict.out");
	int saved = test_stdout_to(out);
	int rc = predict_reviews(p_fx_model, NULL, 1, 1, 4, args, 3);
	test_stdout_back(saved);
	if (!rc)
		*dg = file_digest(out);
	return rc;
}

/* A message that takes the file for bad (to be rebuilt) */
static int blames_file(const char *text)
{
	static const char *const words[] = {"corrupt", "re-run", "rebuild", "not an HDF5",
					    "not a ", "truncated", "no attribute", "missing"};
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strstr(text, words[i]))
			return 1;
	return 0;
}

static void child_at_exit(void)
{
	fail_at = 0;
	/* frames: this handler, the C library's exit handlers and exit() */
	_exit(died_in_lib("exit()") ? 3 : 4);
}

/* Each failure point in a child process: HDF5 1.10 does not survive
 * every failed allocation (see the top), and a child that dies inside it
 * (died_in_lib) is counted and allowed when it left nothing at the
 * output's name (a killed run's leftovers are the temporary file's). */
static void run_target_h5(const char *name, target_fn fn)
{
	const char *only = getenv("OOM_TARGET");
	if (only && *only && strcmp(only, name))
		return;
	fflush(stdout);
	int saved = stderr_to_file();
	static struct run r;
	fn(&r.digest);
	run_once(fn, 0, 0, &r);
	uint64_t want = r.digest;
	long n_alloc = r.calls, runs = 0, died = 0, errors = 0, bad = r.rc != 0;
	/* mode 2 (every allocation from the n-th on fails) at every fourth n:
	 * each run costs a fork and HDF5's work, about 3 ms here */
	for (int mode = 1; mode <= 2; mode++)
	for (long at = 1; at <= n_alloc && bad < 5; at += mode == 1 ? 1 : 4) {
		unlink(p_h5_out);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			death_fd = saved;
			death_lib = "/libhdf5";
			/* cmocka's handlers would report the crash as a test's */
			static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
			for (size_t k = 0; k < sizeof(sigs) / sizeof(*sigs); k++)
				signal(sigs[k], child_on_signal);
			atexit(child_at_exit);
			/* no leak count: what HDF5 holds is not freed until it
			 * closes (and the table's pages are not copied) */
			tracking = 0;
			run_once(fn, at, mode, &r);
			r.leaked = 0;
			const char *why = judge(&r, want);
			if (!why && r.rc && blames_file(r.text))
				why = "failed blaming the file for memory running out";
			if (!why && r.rc && !access(p_h5_out, F_OK))
				why = "failed, leaving its output";
			if (why)
				dprintf(saved, "%s: allocation %ld failing (mode %d): %s; it printed:\n%s\n",
					name, at, mode, why, r.text);
			_exit(why ? 2 : r.rc ? 1 : 0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		runs++;
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (code == 0 || code == 1) {
			errors += code;
			continue;
		}
		if (code == 3 && access(p_h5_out, F_OK)) {
			died++;
			continue;
		}
		if (code == 3)
			dprintf(saved, "%s: allocation %ld failing (mode %d): died in HDF5, leaving "
				"its output\n", name, at, mode);
		else if (code != 2)
			dprintf(saved, "%s: allocation %ld failing (mode %d): %s %d\n", name, at,
				mode, WIFSIGNALED(st) ? "signal" : "exit status",
				WIFSIGNALED(st) ? WTERMSIG(st) : code);
		bad++;
	}
	stderr_back(saved);
	printf("%-22s %5ld allocations, %5ld runs: %ld failed saying so, %ld died in "
	       "HDF5%s\n", name, n_alloc, runs, errors, died, bad ? "  FAILED" : "");
	fflush(stdout);
	failures += bad;
}

static void test_hdf5(void **state)
{
	(void)state;
	failures = 0;
	p_h5_out = test_path_kept("h5-out.h5");
	p_h5_data = test_path_kept("h5-data.h5");
	p_h5_model = test_path_kept("h5-model.h5");
	p_h5_ts = test_path_kept("h5-ts.h5");
	p_h5_ckpt = test_path_kept("h5-ckpt.h5");
	model_fixture(&fx_meta, &fx_params);
	ckpt_fixture();
	/* t_h5_pack's token files, with dataset_fixture.h's rows */
	const struct test_dataset ds = {.seed = 3, .vocab_hash = 0xabcdef, .vocab_size = 1000,
					.max_len = 8, .min_len = 3, .first_word = 10};
	test_dataset_tok(test_path("h5-train.tok"), SPLIT_TRAIN, 23, &ds);
	test_dataset_tok(test_path("h5-validation.tok"), SPLIT_VALIDATION, 6, &ds);
	test_dataset_tok(test_path("h5-test.tok"), SPLIT_TEST, 7, &ds);
	uint64_t dg;
	assert_int_equal(t_h5_pack(&dg), 0);
	assert_int_equal(rename(p_h5_out, p_h5_data), 0);
	assert_int_equal(t_h5_model_save(&dg), 0);
	assert_int_equal(rename(p_h5_out, p_h5_model), 0);
	assert_int_equal(t_h5_ts_write(&dg), 0);
	assert_int_equal(rename(p_h5_out, p_h5_ts), 0);
	assert_int_equal(t_h5_ckpt_save(&dg), 0);
	assert_int_equal(rename(p_h5_out, p_h5_ckpt), 0);
	stage_fixtures();
	assert_int_equal(t_h5_train(&dg), 0);
	assert_int_equal(rename(p_h5_out, p_fx_model), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
#define T(fn) run_target_h5(#fn + 2, fn)
	T(t_h5_pack);
	T(t_h5_batches);
	T(t_h5_model_save);
	T(t_h5_model_load);
	T(t_h5_ckpt_save);
	T(t_h5_ckpt_load);
	T(t_h5_ts_write);
	T(t_h5_ts_read);
	T(t_h5_train);
	T(t_h5_evaluate);
	T(t_h5_predict);
#undef T
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("HDF5 pass: %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) +
					(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	model_meta_free(&fx_meta);
	free(fx_params);
	model_meta_free(&fx_ckpt_meta);
	rnn_model_free(fx_train);
	free(fx_best);
	if (failures)
		fail_msg("%d targets went wrong (above)", failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdf5),
	};
	return cmocka_run_group_tests(tests, oom_group_setup, NULL);
}

#else /* OOM_UNDER_ASAN */

int main(void)
{
	printf("SKIP: AddressSanitizer owns malloc; the out-of-memory test needs its own\n");
	return TEST_SKIP_EXIT;
}

#endif
