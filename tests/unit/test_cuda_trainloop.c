/* test_cuda_trainloop.c - the training run (trainloop.h) and evaluation
 * (evalloop.h) with --device cuda against --device cpu on tiny datasets:
 * two epochs of a GRU review classifier and of a time-series regressor
 * give per-epoch losses within 1e-4 (relative) and checkpoints (weights,
 * Adam moments and step) within docs/cuda.md's ten-step tolerances; a
 * checkpoint written on one device resumes on the other; a run stopped
 * inside an epoch on the GPU (as by SIGTERM) checkpoints the device's state
 * (the CPU's stopped checkpoint, within the tolerances) and resumes on
 * either device to the CPU's two-epoch result; the forward pass of
 * evaluate gives the CPU's probabilities; --device auto picks the GPU;
 * train.json's device_timing counts every step and a gap between
 * consecutive steps only.
 *
 * SKIP (exit 77) without a CUDA device (or in a build without CUDA).
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>

#include "cuda_compare.h"
#include "dataset_fixture.h"
#include "devmodel.h"
#include "error.h"
#include "evalloop.h"
#include "classifier.h"
#include "modelfile.h"
#include "progress.h"
#include "rnn_cuda.h"
#include "toksynth.h"
#include "train_fixture.h"
#include "trainloop.h"
#include "tsfile.h"

/* docs/cuda.md, "Tolerances against the CPU": losses over ten Adam steps
 * 1e-4 relative; weights all within steps*2*3.2*lr (Adam moves a weight by
 * ~lr whatever its gradient, so a gradient that is zero up to rounding may
 * move the two sides apart by up to 2*3.2*lr a step) and 99.9% within
 * 1e-5; Adam moments all within 0.2 max|ref|, 99.9% within 1e-3 max|ref|.
 * The datasets are sized for ten (classify) and twelve (regress) steps.
 * Forward probabilities: the cell forward's 3e-5 / 1e-4 (other summation
 * order, the device's tanhf/expf), which the softmax does not widen. */
#define LOSS_RTOL 1e-4
#define W_TYPICAL_ATOL 1e-5
#define TYPICAL_FRACTION 0.999
#define PROB_ATOL 3e-5
#define PROB_RTOL 1e-4

#define LR 0.01

static char *reviews_h5, *series_h5;

static char *tpath(const char *name)
{
	return strdup(test_path(name));
}

/* 80 train reviews (5 batches of 16), 32 validation, 32 test, max_len 24. */
static char *make_reviews(void)
{
	struct toksynth_opts t = TOKSYNTH_OPTS_DEFAULT;
	t.max_len = 24;
	t.vocab_size = 2000;
	t.len_mu = 2.7; /* ~15 ids: rows of several lengths under max_len */
	struct test_dataset d = {.counts = {80, 32, 32}, .chunk_rows = 32, .seed = 21, .synth = &t};
	return test_dataset_write("reviews", &d);
}

/* A noisy sine, window 16: 96 train windows (6 batches of 16). */
static char *make_series(void)
{
	char *out = tpath("series.h5");
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	struct ts_synth sp = {.n = 160, .waves = 1, .period = {12}, .amp = {2}, .noise = 0.1,
			      .seed = 5};
	assert_int_equal(tseries_synthetic(&sp, &d.series), 0);
	assert_int_equal(tsdata_prepare(&d, 16, 1, 0, 0.7, 0.15), 0);
	assert_int_equal(tsfile_write(out, &d, NULL), 0);
	tsdata_free(&d);
	return out;
}

static int setup(void **state)
{
	reviews_h5 = make_reviews();
	series_h5 = make_series();
	return 0;
}

/* Two epochs writing name.{model.h5,log,json,ckpt.h5} in the test folder. */
static struct train_cfg cfg_for(const char *data, enum rnn_task task, const char *name,
				enum device_kind dev)
{
	struct train_cfg c = test_train_cfg(data, name);
	c.task = task;
	c.cell = RNN_CELL_GRU;
	c.embed = 8;
	c.hidden = 16;
	c.batch = 16;
	c.epochs = 2;
	c.patience = 0;
	c.optim.lr = LR;
	c.pool = task == RNN_TASK_REGRESS ? RNN_POOL_LAST : RNN_POOL_MEAN;
	c.progress = PROGRESS_NONE;
	c.quiet = 1;
	c.device = dev;
	return c;
}

/* The per-epoch "loss", "val_loss" and "accuracy" (0 when null) of a
 * train-log.jsonl. */
static int read_losses(const char *path, double loss[][3], int max)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	int n = 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		assert_non_null(j);
		loss[n][0] = json_number_value(json_object_get(j, "loss"));
		loss[n][1] = json_number_value(json_object_get(j, "val_loss"));
		loss[n][2] = json_number_value(json_object_get(j, "accuracy"));
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

static int cmp_losses(const char *tag, const char *got_log, const char *ref_log)
{
	double g[8][3], r[8][3];
	int ng = read_losses(got_log, g, 8), nr = read_losses(ref_log, r, 8), fails = 0;
	if (ng != nr) {
		printf("FAIL %s: %d epochs logged on the GPU, %d on the CPU\n", tag, ng, nr);
		return 1;
	}
	for (int e = 0; e < nr; e++)
		for (int k = 0; k < 2; k++) {
			int ok = fabs(g[e][k] - r[e][k]) <= LOSS_RTOL * fabs(r[e][k]);
			printf("%-4s %s epoch %d %s: cuda %.9g cpu %.9g\n", ok ? "ok" : "FAIL", tag,
			       e + 1, k ? "val_loss" : "loss", g[e][k], r[e][k]);
			fails += !ok;
		}
	/* training accuracy from the step's outputs (rnn_cuda_outputs): a
	 * probability near 0.5 may flip; 4 of 80 reviews is far below what a
	 * wrong buffer would give */
	for (int e = 0; e < nr; e++) {
		int ok = fabs(g[e][2] - r[e][2]) <= 0.05;
		printf("%-4s %s epoch %d accuracy: cuda %.4f cpu %.4f\n", ok ? "ok" : "FAIL", tag,
		       e + 1, g[e][2], r[e][2]);
		fails += !ok;
	}
	return fails;
}

/* The two-bound check of docs/cuda.md: all within hard, most within typical. */
static int cmp_two_bounds(const char *what, const float *got, const float *ref, size_t n,
			  double hard, double typical)
{
	struct cmp_stats s;
	int fail = cmp_floats(what, got, ref, n, hard, 0, &s) != 0;
	size_t close = 0;
	for (size_t i = 0; i < n; i++)
		close += fabs((double)got[i] - (double)ref[i]) <= typical;
	double frac = n ? (double)close / n : 1.0;
	printf("%-4s %-44s %.5f of %zu within %.3g (need %.3f)\n",
	       frac >= TYPICAL_FRACTION ? "ok" : "FAIL", what, frac, n, typical, TYPICAL_FRACTION);
	return fail + (frac < TYPICAL_FRACTION);
}

/* Loads a checkpoint's tensors into a fresh training model. */
static struct rnn_model *load_ckpt(const char *path)
{
	struct model_meta mm;
	struct ckpt_state st;
	assert_int_equal(ckpt_peek(path, &mm, &st), 0);
	struct rnn_model *m = rnn_model_create(&mm.cfg, 1, 1, 1);
	assert_non_null(m);
	assert_int_equal(ckpt_load_tensors(path, m, NULL), 0);
	model_meta_free(&mm);
	ckpt_state_free(&st);
	return m;
}

/* The GPU checkpoint against the CPU one: weights and Adam state. */
static int cmp_ckpt(const char *tag, const char *got_path, const char *ref_path)
{
	struct rnn_model *g = load_ckpt(got_path), *r = load_ckpt(ref_path);
	int fails = 0;
	if (g->adam_step != r->adam_step) {
		printf("FAIL %s: adam_step cuda %ld cpu %ld\n", tag, g->adam_step, r->adam_step);
		fails++;
	}
	const size_t n = r->layout.total;
	char what[128];
	snprintf(what, sizeof(what), "%s weights (%ld steps)", tag, r->adam_step);
	fails += cmp_two_bounds(what, g->params, r->params, n, r->adam_step * 2 * 3.2 * LR,
				W_TYPICAL_ATOL);
	double ms = cmp_max_abs(r->adam_m, n), vs = cmp_max_abs(r->adam_v, n);
	snprintf(what, sizeof(what), "%s adam m", tag);
	fails += cmp_two_bounds(what, g->adam_m, r->adam_m, n, 0.2 * ms, 1e-3 * ms);
	snprintf(what, sizeof(what), "%s adam v", tag);
	fails += cmp_two_bounds(what, g->adam_v, r->adam_v, n, 0.2 * vs, 1e-3 * vs);
	rnn_model_free(g);
	rnn_model_free(r);
	return fails;
}

static const char *summary_device(const char *summary)
{
	static char buf[64];
	json_t *j = json_load_file(summary, 0, NULL);
	assert_non_null(j);
	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(j, "device")));
	json_decref(j);
	return buf;
}

/* train.json's device_timing (rnn_cuda_timing) for two epochs of nb
 * batches each: every step timed, a gap counted between consecutive steps
 * only (the download after each epoch breaks the chain), busy time spent,
 * the per-epoch busy times of the log adding up to the total; none on the
 * CPU. */
static void check_timing(const char *summary, const char *log, int on_device)
{
	json_t *j = json_load_file(summary, 0, NULL);
	assert_non_null(j);
	json_t *t = json_object_get(j, "device_timing");
	if (!on_device) {
		assert_null(t);
		json_decref(j);
		return;
	}
	assert_non_null(t);
	long n = (long)json_integer_value(json_object_get(j, "train_examples"));
	long B = (long)json_integer_value(
		json_object_get(json_object_get(j, "config"), "batch"));
	assert_true(n > 0 && B > 0);
	long nb = (n + B - 1) / B;
	long steps = (long)json_integer_value(json_object_get(t, "steps"));
	long gaps = (long)json_integer_value(json_object_get(t, "gaps"));
	double busy = json_real_value(json_object_get(t, "busy_s"));
	double idle = json_real_value(json_object_get(t, "idle_s"));
	double max_idle = json_real_value(json_object_get(t, "max_idle_s"));
	printf("  device timing: %ld steps (%ld gaps), busy %.6f s, idle %.6f s, longest gap "
	       "%.6f s\n",
	       steps, gaps, busy, idle, max_idle);
	assert_int_equal(steps, 2 * nb);
	assert_int_equal(gaps, 2 * (nb - 1));
	assert_true(busy > 0 && idle >= 0 && max_idle >= 0 && max_idle <= idle + 1e-12);
	json_decref(j);
	FILE *f = fopen(log, "r");
	assert_non_null(f);
	char line[4096];
	double sum = 0;
	int epochs = 0;
	while (fgets(line, sizeof(line), f)) {
		json_t *e = json_loads(line, 0, NULL);
		json_t *b = e ? json_object_get(e, "device_busy_s") : NULL;
		if (b) {
			sum += json_real_value(b);
			epochs++;
		}
		json_decref(e);
	}
	fclose(f);
	assert_int_equal(epochs, 2);
	assert_true(fabs(sum - busy) <= 1e-9 * (1 + busy));
}

/* Two epochs on each device: losses, checkpoints, the device recorded. */
static void train_both(const char *data, enum rnn_task task, const char *name)
{
	char n_cpu[64], n_gpu[64];
	snprintf(n_cpu, sizeof(n_cpu), "%s-cpu", name);
	snprintf(n_gpu, sizeof(n_gpu), "%s-cuda", name);
	struct train_cfg cpu = cfg_for(data, task, n_cpu, DEVICE_CPU);
	struct train_cfg gpu = cfg_for(data, task, n_gpu, DEVICE_CUDA);
	assert_int_equal(train_run(&cpu), TRAIN_OK);
	assert_int_equal(train_run(&gpu), TRAIN_OK);
	assert_string_equal(summary_device(cpu.summary_out), "cpu");
	assert_string_equal(summary_device(gpu.summary_out), "cuda");
	check_timing(cpu.summary_out, cpu.log_out, 0);
	check_timing(gpu.summary_out, gpu.log_out, 1);
	int fails = cmp_losses(name, gpu.log_out, cpu.log_out);
	fails += cmp_ckpt(name, gpu.checkpoint, cpu.checkpoint);
	assert_int_equal(fails, 0);
}

static void test_classify_two_epochs(void **state)
{
	train_both(reviews_h5, RNN_TASK_CLASSIFY, "cls");
}

static void test_regress_two_epochs(void **state)
{
	train_both(series_h5, RNN_TASK_REGRESS, "reg");
}

/* Epoch 1 on one device, resumed to epoch 2 on the other: the checkpoint
 * carries the Adam state across, so the result is the two-epoch CPU run's
 * (within the tolerances). */
static void test_resume_across_devices(void **state)
{
	struct train_cfg ref = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, "x-ref", DEVICE_CPU);
	assert_int_equal(train_run(&ref), TRAIN_OK);
	int fails = 0;
	for (int first = 0; first < 2; first++) {
		enum device_kind a = first ? DEVICE_CPU : DEVICE_CUDA;
		enum device_kind b = first ? DEVICE_CUDA : DEVICE_CPU;
		char name[64];
		snprintf(name, sizeof(name), "x-%s-%s", device_kind_name(a), device_kind_name(b));
		struct train_cfg c = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, name, a);
		c.epochs = 1;
		assert_int_equal(train_run(&c), TRAIN_OK);
		c.epochs = 2;
		c.device = b;
		c.resume = 1;
		assert_int_equal(train_run(&c), TRAIN_OK);
		json_t *j = json_load_file(c.summary_out, 0, NULL);
		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "resumed_from_epoch")), 1);
		json_decref(j);
		fails += cmp_losses(name, c.log_out, ref.log_out);
		fails += cmp_ckpt(name, c.checkpoint, ref.checkpoint);
	}
	assert_int_equal(fails, 0);
}

/* Stopped after 3 steps (inside epoch 1) on the GPU, as SIGTERM stops it:
 * the checkpoint must hold the device's weights, Adam moments and step
 * (brought back before it is written), i.e. the CPU's stopped checkpoint
 * within the tolerances; resumed on the GPU and on the CPU, the two-epoch
 * CPU run's losses and state. */
static void test_stop_mid_epoch(void **state)
{
	struct train_cfg ref = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, "s-ref", DEVICE_CPU);
	assert_int_equal(train_run(&ref), TRAIN_OK);
	struct train_cfg ref_stop = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, "s-ref-stop", DEVICE_CPU);
	ref_stop.stop_after_steps = 3;
	assert_int_equal(train_run(&ref_stop), TRAIN_STOPPED);
	int fails = 0;
	for (int k = 0; k < 2; k++) {
		char name[64];
		snprintf(name, sizeof(name), "s-cuda-%s", k ? "cpu" : "cuda");
		struct train_cfg c = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, name, DEVICE_CUDA);
		c.stop_after_steps = 3;
		c.resume = 1;
		assert_int_equal(train_run(&c), TRAIN_STOPPED);
		struct model_meta mm;
		struct ckpt_state cs;
		assert_int_equal(ckpt_peek(c.checkpoint, &mm, &cs), 0);
		assert_true(cs.epoch == 0 && cs.epoch_batch == 3);
		ckpt_state_free(&cs);
		model_meta_free(&mm);
		fails += cmp_ckpt("stopped on cuda", c.checkpoint, ref_stop.checkpoint);
		c.stop_after_steps = 0;
		c.device = k ? DEVICE_CPU : DEVICE_CUDA;
		assert_int_equal(train_run(&c), TRAIN_OK);
		fails += cmp_losses(name, c.log_out, ref.log_out);
		fails += cmp_ckpt(name, c.checkpoint, ref.checkpoint);
	}
	assert_int_equal(fails, 0);
}

/* evaluate's forward passes: the test split through eval_split on each
 * device, probabilities and logits collected and compared. */
struct collect {
	float *probs, *logits;
	size_t n, cap;
	int C;
};

static int on_batch(void *ctx, const struct batch *b, const float *probs, const float *logits,
		    int C)
{
	struct collect *c = ctx;
	assert_true(c->n + b->n <= c->cap);
	memcpy(c->probs + c->n * C, probs, sizeof(float) * b->n * C);
	memcpy(c->logits + c->n * C, logits, sizeof(float) * b->n * C);
	c->n += b->n;
	c->C = C;
	return 0;
}

static void eval_on(const char *model, enum device_kind dev, struct collect *out,
		    struct metrics *m)
{
	struct classifier *cl = classifier_open(model, NULL, 0, 8);
	assert_non_null(cl);
	assert_int_equal(classifier_use_device(cl, dev), 0);
	struct batches_config bc;
	batches_config_init(&bc);
	bc.split = "test";
	bc.batch_size = 8;
	struct batches *b = batches_open(reviews_h5, &bc);
	assert_non_null(b);
	struct metrics_acc *acc = metrics_acc_new(cl->meta.cfg.outputs, 1);
	out->cap = 64;
	out->probs = calloc(out->cap * cl->meta.cfg.outputs, sizeof(float));
	out->logits = calloc(out->cap * cl->meta.cfg.outputs, sizeof(float));
	assert_true(out->probs && out->logits);
	assert_int_equal(eval_split(&cl->dm, b, acc, on_batch, out, NULL), 0);
	assert_int_equal(metrics_compute(acc, m), 0);
	metrics_acc_free(acc);
	batches_close(b);
	classifier_close(cl);
}

static void test_evaluate_forward(void **state)
{
	struct train_cfg c = cfg_for(reviews_h5, RNN_TASK_CLASSIFY, "ev", DEVICE_CPU);
	assert_int_equal(train_run(&c), TRAIN_OK);
	struct collect a = {0}, g = {0};
	struct metrics ma, mg;
	eval_on(c.model_out, DEVICE_CPU, &a, &ma);
	eval_on(c.model_out, DEVICE_CUDA, &g, &mg);
	assert_int_equal(a.n, 32);
	assert_int_equal(g.n, a.n);
	int fails = cmp_floats("evaluate probabilities", g.probs, a.probs, a.n * a.C, PROB_ATOL,
			       PROB_RTOL, NULL) != 0;
	double scale = cmp_max_abs(a.logits, a.n * a.C);
	fails += cmp_floats("evaluate logits", g.logits, a.logits, a.n * a.C,
			    PROB_ATOL * (1 + scale), PROB_RTOL, NULL) != 0;
	int loss_ok = fabs(mg.loss - ma.loss) <= LOSS_RTOL * fabs(ma.loss);
	printf("%-4s evaluate loss: cuda %.9g cpu %.9g\n", loss_ok ? "ok" : "FAIL", mg.loss,
	       ma.loss);
	fails += !loss_ok;
	metrics_free(&ma);
	metrics_free(&mg);
	free(a.probs);
	free(a.logits);
	free(g.probs);
	free(g.logits);
	assert_int_equal(fails, 0);
}

/* With a device, auto and cuda both resolve to it. */
static void test_resolve(void **state)
{
	enum device_kind k = DEVICE_CPU;
	assert_int_equal(device_resolve("auto", &k), 0);
	assert_int_equal(k, DEVICE_CUDA);
	assert_int_equal(device_resolve("cuda", &k), 0);
	assert_int_equal(k, DEVICE_CUDA);
	assert_int_equal(device_resolve("cpu", &k), 0);
	assert_int_equal(k, DEVICE_CPU);
}

int main(void)
{
	if (!cuda_device_available()) {
		printf("SKIP: no CUDA device\n");
		return TEST_SKIP_EXIT;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* a killed run keeps its lines */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_classify_two_epochs),
		cmocka_unit_test(test_regress_two_epochs),
		cmocka_unit_test(test_resume_across_devices),
		cmocka_unit_test(test_stop_mid_epoch),
		cmocka_unit_test(test_evaluate_forward),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
