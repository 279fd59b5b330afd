/* test_cuda_train.c - the CUDA model (rnn_cuda.h) against the CPU model
 * (rnn_model.h) from the same initialisation and batches: gradients of one
 * step, ten training steps (losses, weights, Adam moments), forward and
 * prediction, the NaN guard, upload/download, determinism, and agreement
 * of the recurrence variants.  Configurations cover RNN, LSTM, GRU, two
 * layers, bidirectional, every pooling, lazy Adam, AdamW, the atomic
 * embedding gradient, regression, and an H = 128 LSTM; lazy Adam under
 * clipping and the NaN guard.
 *
 * SKIP (exit 77) in a build without CUDA or on a machine without a device.
 */
#include "testutil.h"

#ifndef RNNPIPE_CUDA

int main(void)
{
	printf("SKIP: built without CUDA (HAVE_CUDA=0)\n");
	return TEST_SKIP_EXIT;
}

#else

#include <math.h>

#include "cuda_compare.h"
#include "kernels_cuda.h"
#include "rnn_cuda.h"
#include "rnn_model.h"

struct tcase {
	const char *name;
	struct rnn_config cfg;
	int B, T;
	int sparse, adamw, atomic;
	float max_norm;
};

#define CLS(cell_, H_, L_, bi_, pool_)                                                       \
	{.cell = cell_, .task = RNN_TASK_CLASSIFY, .vocab = 300, .embed = 16, .hidden = H_,     \
	 .layers = L_, .bidirectional = bi_, .outputs = 2, .pool = pool_}

static const struct tcase cases[] = {
	{"rnn last", CLS(RNN_CELL_RNN, 32, 1, 0, RNN_POOL_LAST), 13, 20, 0, 0, 0, 1.0f},
	{"lstm bi 2-layer mean", CLS(RNN_CELL_LSTM, 32, 2, 1, RNN_POOL_MEAN), 13, 20, 0, 0, 0, 1.0f},
	{"gru max lazy-adam", CLS(RNN_CELL_GRU, 32, 1, 0, RNN_POOL_MAX), 13, 20, 1, 0, 0, 1.0f},
	{"lstm last-padded adamw", CLS(RNN_CELL_LSTM, 32, 1, 0, RNN_POOL_LAST_PADDED), 13, 20, 0, 1,
	 0, 0.0f},
	{"rnn bi atomic clip0.05", CLS(RNN_CELL_RNN, 32, 1, 1, RNN_POOL_LAST), 13, 20, 0, 0, 1, 0.05f},
	{"gru 2-layer h8", CLS(RNN_CELL_GRU, 8, 2, 0, RNN_POOL_LAST), 5, 7, 0, 0, 0, 1.0f},
	{"gru regress", {.cell = RNN_CELL_GRU, .task = RNN_TASK_REGRESS, .input_size = 3,
			 .hidden = 32, .layers = 1, .outputs = 2, .pool = RNN_POOL_LAST},
	 13, 20, 0, 0, 0, 1.0f},
	{"lstm h128 b32", CLS(RNN_CELL_LSTM, 128, 1, 0, RNN_POOL_LAST), 32, 48, 0, 0, 0, 1.0f},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

/* A batch with random lengths (one of length 1 and one of length T when B
 * allows) and padding ids that are out of range (never read), except for
 * last-padded pooling, where every position is real. */
struct tbatch {
	struct rnn_batch b;
	int32_t *ids, *len, *lab;
	float *in, *tgt;
};

static void batch_make(struct tbatch *t, const struct rnn_config *c, int B, int T, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	t->ids = malloc(sizeof(int32_t) * B * T);
	t->len = malloc(sizeof(int32_t) * B);
	t->lab = malloc(sizeof(int32_t) * B);
	t->in = malloc(sizeof(float) * B * T * (c->input_size > 0 ? c->input_size : 1));
	t->tgt = malloc(sizeof(float) * B * c->outputs);
	for (int i = 0; i < B; i++) {
		t->len[i] = i == 0 ? T : i == 1 ? 1 : 1 + (int32_t)(rng_next(&r) % (uint64_t)T);
		t->lab[i] = (int32_t)(rng_next(&r) % (uint64_t)c->outputs);
		for (int k = 0; k < c->outputs; k++)
			t->tgt[i * c->outputs + k] = (float)rng_normal(&r);
		for (int s = 0; s < T; s++) {
			int real = s < t->len[i] || c->pool == RNN_POOL_LAST_PADDED;
			/* a skewed id distribution: repeated rows in the
			 * embedding gradient */
			uint64_t u = rng_next(&r);
			t->ids[i * T + s] = real ? (int32_t)((u % 7 == 0) ? u % 5 : u % (uint64_t)(c->vocab > 0 ? c->vocab : 1))
						 : -3;
			for (int k = 0; k < c->input_size; k++)
				t->in[(i * T + s) * c->input_size + k] =
					real ? (float)rng_normal(&r) : NAN; /* never read */
		}
	}
	t->b = (struct rnn_batch){.B = B, .T = T, .lengths = t->len};
	if (c->task == RNN_TASK_CLASSIFY) {
		t->b.ids = t->ids;
		t->b.labels = t->lab;
	} else {
		t->b.inputs = t->in;
		t->b.targets = t->tgt;
	}
}

static void batch_free(struct tbatch *t)
{
	free(t->ids);
	free(t->len);
	free(t->lab);
	free(t->in);
	free(t->tgt);
}

static void optim_of(const struct tcase *tc, struct rnn_optim *o)
{
	rnn_optim_defaults(o);
	o->sparse_embedding = tc->sparse;
	if (tc->adamw) {
		o->adamw = 1;
		o->weight_decay = 0.01;
	}
}

static struct rnn_cuda_model *cuda_model(const struct tcase *tc, int rec, int training,
					 const struct rnn_model *host)
{
	struct rnn_cuda_options opt;
	rnn_cuda_options_defaults(&opt);
	opt.recurrence = rec;
	opt.embed_grad_atomic = tc->atomic;
	/* each device model says its variant first: a kernel that hangs leaves
	 * it as the log's last "-- " line (bench/gpu.sh then leaves the variant
	 * out of the later stages) */
	printf("-- %s [%s]%s\n", cuda_recurrence_name(rec), tc->name, training ? "" : " inference");
	struct rnn_cuda_model *d = rnn_cuda_create(&tc->cfg, tc->B, tc->T, training, &opt);
	assert_non_null(d);
	assert_int_equal(rnn_cuda_upload(d, host), 0);
	return d;
}

/* Tolerances against the CPU (docs/cuda.md):
 * - loss of one forward: 1e-5 relative (sums of the same products in
 *   another order, ~1e-6 apart in practice);
 * - gradients of one step, per tensor: atol 1e-4 of the tensor's largest
 *   |element| plus rtol 1e-3: sums over B*T terms of either sign, through
 *   up to two layers and both directions (see test_cuda_kernels.c for the
 *   single-cell bounds, tighter by 3x);
 * - after ten Adam steps: losses 1e-4 relative at every step (the bar the
 *   issue sets); weights: Adam moves every weight by ~lr per step whatever
 *   its gradient's size, so a gradient that is zero up to rounding can
 *   take opposite signs on the two sides and part them by up to 2*lr per
 *   step.  Hence two bounds: every element within 10 steps * 2 * 3.2 * lr
 *   (3.2 = Adam's largest |m_hat| / sqrt(v_hat) with betas 0.9, 0.999),
 *   which catches divergence and NaNs, and 99.9% of the elements within
 *   1e-5 (a weight whose gradient is well above rounding moves by lr times
 *   the relative gradient difference, ~1e-9), which catches any systematic
 *   error; the Adam moments likewise, relative to each buffer's scale. */
#define LOSS_RTOL 1e-5
#define GRAD_ATOL_REL 1e-4
#define GRAD_RTOL 1e-3
#define STEPS 10
#define STEP_LOSS_RTOL 1e-4
#define W_TYPICAL_ATOL 1e-5
#define W_TYPICAL_FRACTION 0.999

static int cmp_tensors(const char *tag, const struct rnn_layout *l, const float *got,
		       const float *ref)
{
	int fails = 0;
	char what[128];
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		snprintf(what, sizeof(what), "%s %s", tag, t->name);
		fails += cmp_floats(what, got + t->offset, ref + t->offset, t->numel,
				    GRAD_ATOL_REL * cmp_max_abs(ref + t->offset, t->numel), GRAD_RTOL,
				    NULL) != 0;
	}
	return fails;
}

/* The two-bound check of weights (or moments, scale = their largest |ref|)
 * after STEPS steps. */
static int cmp_after_steps(const char *what, const float *got, const float *ref, size_t n,
			   double hard, double typical)
{
	struct cmp_stats s;
	int fail = cmp_floats(what, got, ref, n, hard, 0, &s) != 0;
	size_t close = 0;
	for (size_t i = 0; i < n; i++)
		close += fabs((double)got[i] - (double)ref[i]) <= typical;
	double frac = n ? (double)close / n : 1.0;
	printf("%-4s %-44s %.5f of %zu within %.3g (need %.3f)\n",
	       frac >= W_TYPICAL_FRACTION ? "ok" : "FAIL", what, frac, n, typical,
	       W_TYPICAL_FRACTION);
	return fail + (frac < W_TYPICAL_FRACTION);
}

/* One step's gradients, losses and norms, every case, every variant. */
static void test_one_step_gradients(void **state)
{
	int fails = 0;
	for (int k = 0; k < N_CASES; k++) {
		const struct tcase *tc = &cases[k];
		struct rnn_model *cpu = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
		assert_non_null(cpu);
		rnn_model_init(cpu, 1000 + k);
		struct rnn_model *init = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
		rnn_model_init(init, 1000 + k);
		struct tbatch tb;
		batch_make(&tb, &cpu->layout.cfg, tc->B, tc->T, 77 + k);
		float loss_ref;
		rnn_model_zero_grad(cpu);
		assert_int_equal(rnn_model_forward(cpu, &tb.b, &loss_ref), 0);
		assert_int_equal(rnn_model_backward(cpu, &tb.b), 0);
		double norm_ref = rnn_model_grad_norm(cpu);
		float *grads = malloc(sizeof(float) * cpu->layout.total);
		for (int rec = 0; rec <= CUDA_REC_CLUSTER; rec++) {
			if (!variant_enabled(cuda_recurrence_name(rec)))
				continue;
			struct rnn_cuda_model *d = cuda_model(tc, rec, 1, init);
			struct rnn_optim o;
			optim_of(tc, &o);
			float loss;
			double norm;
			assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 0.0f, &loss, &norm), 0);
			assert_int_equal(rnn_cuda_download_grads(d, grads), 0);
			char tag[96];
			snprintf(tag, sizeof(tag), "[%s %s]", tc->name, cuda_recurrence_name(rec));
			printf("%s loss cuda %.8g cpu %.8g, norm cuda %.8g cpu %.8g\n", tag, loss,
			       loss_ref, norm, norm_ref);
			if (!(fabs(loss - loss_ref) <= LOSS_RTOL * fabs(loss_ref)) ||
			    !(fabs(norm - norm_ref) <= GRAD_RTOL * norm_ref)) {
				printf("FAIL %s loss or norm\n", tag);
				fails++;
			}
			fails += cmp_tensors(tag, &cpu->layout, grads, cpu->grads);
			rnn_cuda_free(d);
		}
		free(grads);
		batch_free(&tb);
		rnn_model_free(cpu);
		rnn_model_free(init);
	}
	assert_int_equal(fails, 0);
}

/* Ten steps of case tc (seeds from k) on both sides (new batch each step),
 * default variant; returns the failed comparisons. */
static int ten_steps(const struct tcase *tc, int k)
{
	int fails = 0;
	struct rnn_model *cpu = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	struct rnn_model *back = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	assert_non_null(cpu);
	assert_non_null(back);
	rnn_model_init(cpu, 2000 + k);
	struct rnn_cuda_options opt;
	rnn_cuda_options_defaults(&opt);
	struct rnn_cuda_model *d = cuda_model(tc, opt.recurrence, 1, cpu);
	struct rnn_optim o;
	optim_of(tc, &o);
	char tag[96];
	snprintf(tag, sizeof(tag), "[%s, %d steps]", tc->name, STEPS);
	for (int s = 0; s < STEPS; s++) {
		struct tbatch tb;
		batch_make(&tb, &cpu->layout.cfg, tc->B, tc->T, 500 + 31 * k + s);
		float lc, lg;
		double nc, ng;
		int rc = rnn_model_train_step(cpu, &tb.b, &o, tc->max_norm, &lc, &nc);
		int rg = rnn_cuda_train_step(d, &tb.b, &o, tc->max_norm, &lg, &ng);
		printf("%s step %d: loss cuda %.8g cpu %.8g, norm cuda %.6g cpu %.6g\n", tag, s,
		       lg, lc, ng, nc);
		if (rc != 0 || rg != 0 || !(fabs(lg - lc) <= STEP_LOSS_RTOL * fabs(lc))) {
			printf("FAIL %s step %d: rc cpu %d cuda %d\n", tag, s, rc, rg);
			fails++;
		}
		batch_free(&tb);
	}
	assert_int_equal(rnn_cuda_download(d, back), 0);
	assert_int_equal(back->adam_step, cpu->adam_step);
	const size_t n = cpu->layout.total;
	const double lr = o.lr, hard = STEPS * 2 * 3.2 * lr;
	char what[128];
	snprintf(what, sizeof(what), "%s weights", tag);
	fails += cmp_after_steps(what, back->params, cpu->params, n, hard, W_TYPICAL_ATOL);
	/* moments: first moment ~ gradient size, second ~ its square */
	double ms = cmp_max_abs(cpu->adam_m, n), vs = cmp_max_abs(cpu->adam_v, n);
	snprintf(what, sizeof(what), "%s adam m", tag);
	fails += cmp_after_steps(what, back->adam_m, cpu->adam_m, n, 0.2 * ms, 1e-3 * ms);
	snprintf(what, sizeof(what), "%s adam v", tag);
	fails += cmp_after_steps(what, back->adam_v, cpu->adam_v, n, 0.2 * vs, 1e-3 * vs);
	rnn_cuda_free(d);
	rnn_model_free(cpu);
	rnn_model_free(back);
	return fails;
}

static void test_ten_steps(void **state)
{
	int fails = 0;
	for (int k = 0; k < N_CASES; k++)
		fails += ten_steps(&cases[k], k);
	assert_int_equal(fails, 0);
}

/* Lazy Adam: the embedding rows the batch touched have their own kernel
 * in the fused step (adam_sorted_rows_kernel), which must apply the
 * step's clipping factor and NaN guard as the dense span's does: ten
 * steps clipped hard (every step, by a different factor) against the CPU,
 * then a NaN parameter leaves every weight and moment where it was, the
 * touched rows included. */
static void test_lazy_adam_clip_guard(void **state)
{
	struct tcase tc = cases[2]; /* gru max lazy-adam */
	assert_true(tc.sparse);
	tc.name = "gru max lazy-adam clip0.01";
	tc.max_norm = 0.01f;
	int fails = ten_steps(&tc, N_CASES);

	struct rnn_model *h = rnn_model_create(&tc.cfg, tc.B, tc.T, 1);
	struct rnn_model *back = rnn_model_create(&tc.cfg, tc.B, tc.T, 1);
	rnn_model_init(h, 7);
	h->p.fc_b[0] = NAN;
	struct rnn_cuda_model *d = cuda_model(&tc, CUDA_REC_DEFAULT, 1, h);
	struct tbatch tb;
	batch_make(&tb, &h->layout.cfg, tc.B, tc.T, 8);
	struct rnn_optim o;
	optim_of(&tc, &o);
	float loss;
	double norm;
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, tc.max_norm, &loss, &norm), 1);
	assert_int_equal(rnn_cuda_download(d, back), 0);
	assert_int_equal(back->adam_step, 0);
	const size_t n = h->layout.total;
	size_t moved = 0;
	for (size_t i = 0; i < n; i++)
		moved += !(back->params[i] == h->params[i] ||
			   (isnan(back->params[i]) && isnan(h->params[i]))) ||
			 back->adam_m[i] != 0.0f || back->adam_v[i] != 0.0f;
	printf("%-4s [%s] NaN parameter: %zu of %zu weights or moments moved\n",
	       moved ? "FAIL" : "ok", tc.name, moved, n);
	fails += moved != 0;
	rnn_cuda_free(d);
	batch_free(&tb);
	rnn_model_free(h);
	rnn_model_free(back);
	assert_int_equal(fails, 0);
}

/* The fused step (norm, clipping, guard, Adam/AdamW, lazy rows) is, bit for
 * bit, the CPU's clipping and rnn_model_step applied to the device's own
 * raw gradients: the comparisons with the CPU model above leave 1e-3 of
 * room for the gradients' summation order, in which a clipping factor off
 * by 1e-6 or a wrong bias-correction step hides (Adam's update hardly
 * depends on its gradient's scale).  Two steps from the same state: the
 * CPU model runs forward and backward on the batch (for its touched rows),
 * then takes the device's gradients (rnn_cuda_download_grads: unclipped),
 * scales them by the factor step_finish_kernel derives from the device's
 * norm, and steps; parameters and both moments must then be the device's
 * exactly.  The norm is checked against the downloaded gradients' sum of
 * squares (double sums in two orders: 1e-12). */
static void test_fused_step_exact(void **state)
{
	static const struct {
		int k;
		float max_norm;
		double wd;
	} picks[] = {
		{2, 0.01f, 0.0},  /* gru lazy Adam, clipped */
		{3, 0.0f, 0.01},  /* lstm last-padded AdamW, no clipping */
		{4, 0.05f, 0.01}, /* rnn bi, atomic embedding gradient, Adam's L2 decay */
		{6, 0.02f, 0.0},  /* gru regression */
	};
	int fails = 0;
	for (size_t q = 0; q < sizeof(picks) / sizeof(picks[0]); q++) {
		const struct tcase *tc = &cases[picks[q].k];
		struct rnn_model *cpu = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
		struct rnn_model *back = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
		assert_non_null(cpu);
		assert_non_null(back);
		rnn_model_init(cpu, 6000 + q);
		struct rnn_cuda_model *d = cuda_model(tc, CUDA_REC_DEFAULT, 1, cpu);
		struct rnn_optim o;
		optim_of(tc, &o);
		o.lr = 0.01;
		if (picks[q].wd > 0)
			o.weight_decay = picks[q].wd;
		const size_t n = cpu->layout.total, bytes = sizeof(float) * n;
		float *g = malloc(bytes);
		assert_non_null(g);
		for (int s = 0; s < 2; s++) {
			struct tbatch tb;
			batch_make(&tb, &cpu->layout.cfg, tc->B, tc->T, 7000 + 10 * q + s);
			float loss, lc;
			double norm;
			assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, picks[q].max_norm, &loss,
							     &norm),
					 0);
			assert_int_equal(rnn_cuda_download_grads(d, g), 0);
			rnn_model_zero_grad(cpu);
			assert_int_equal(rnn_model_forward(cpu, &tb.b, &lc), 0);
			assert_int_equal(rnn_model_backward(cpu, &tb.b), 0);
			memcpy(cpu->grads, g, bytes);
			double sq = 0.0;
			for (size_t i = 0; i < n; i++)
				sq += (double)g[i] * g[i];
			const int clip = picks[q].max_norm > 0 && norm > picks[q].max_norm;
			if (clip) {
				float f = (float)(picks[q].max_norm / (norm + 1e-6));
				for (size_t i = 0; i < n; i++)
					cpu->grads[i] *= f;
			}
			assert_int_equal(rnn_model_step(cpu, &o), 0);
			assert_int_equal(rnn_cuda_download(d, back), 0);
			char what[128];
			snprintf(what, sizeof(what), "[%s] fused step %d (clip %d", tc->name, s + 1,
				 clip);
			int bad = !(fabs(norm - sqrt(sq)) <= 1e-12 * sqrt(sq)) ||
				  back->adam_step != cpu->adam_step;
			printf("%-4s %s): norm %.17g, of the gradients %.17g, adam step %ld %ld\n",
			       bad ? "FAIL" : "ok", what, norm, sqrt(sq), back->adam_step,
			       cpu->adam_step);
			fails += bad;
			size_t len = strlen(what);
			snprintf(what + len, sizeof(what) - len, ") weights");
			fails += cmp_exact(what, back->params, cpu->params, n) != 0;
			snprintf(what + len, sizeof(what) - len, ") adam m");
			fails += cmp_exact(what, back->adam_m, cpu->adam_m, n) != 0;
			snprintf(what + len, sizeof(what) - len, ") adam v");
			fails += cmp_exact(what, back->adam_v, cpu->adam_v, n) != 0;
			batch_free(&tb);
		}
		free(g);
		rnn_cuda_free(d);
		rnn_model_free(cpu);
		rnn_model_free(back);
	}
	assert_int_equal(fails, 0);
}

/* Forward and predict, on training and inference-only device models. */
static void test_forward_predict(void **state)
{
	int fails = 0;
	for (int k = 0; k < N_CASES; k++) {
		const struct tcase *tc = &cases[k];
		struct rnn_model *cpu = rnn_model_create(&tc->cfg, tc->B, tc->T, 0);
		rnn_model_init(cpu, 3000 + k);
		struct tbatch tb;
		batch_make(&tb, &cpu->layout.cfg, tc->B, tc->T, 900 + k);
		const int K = tc->cfg.outputs;
		float *ref = malloc(sizeof(float) * tc->B * K), *got = malloc(sizeof(float) * tc->B * K);
		float loss_ref, loss;
		assert_int_equal(rnn_model_forward(cpu, &tb.b, &loss_ref), 0);
		assert_int_equal(rnn_model_predict(cpu, &tb.b, ref), 0);
		for (int training = 0; training < 2; training++) {
			struct rnn_cuda_model *d = cuda_model(tc, CUDA_REC_SMEM, training, cpu);
			char what[128];
			assert_int_equal(rnn_cuda_forward(d, &tb.b, got, &loss), 0);
			snprintf(what, sizeof(what), "[%s training %d] forward out", tc->name, training);
			/* probabilities / predictions of size <= ~1 after the
			 * recurrence and one linear layer: the forward bound of
			 * test_cuda_kernels.c */
			fails += cmp_floats(what, got, ref, (size_t)tc->B * K, 3e-5, 1e-4, NULL) != 0;
			if (!(fabs(loss - loss_ref) <= LOSS_RTOL * fabs(loss_ref))) {
				printf("FAIL %s loss cuda %.8g cpu %.8g\n", what, loss, loss_ref);
				fails++;
			}
			memset(got, 0, sizeof(float) * tc->B * K);
			assert_int_equal(rnn_cuda_predict(d, &tb.b, got), 0);
			snprintf(what, sizeof(what), "[%s training %d] predict", tc->name, training);
			fails += cmp_floats(what, got, ref, (size_t)tc->B * K, 3e-5, 1e-4, NULL) != 0;
			rnn_cuda_free(d);
		}
		free(ref);
		free(got);
		batch_free(&tb);
		rnn_model_free(cpu);
	}
	assert_int_equal(fails, 0);
}

/* A NaN parameter: step returns 1, nothing moves; batches with bad ids or
 * lengths are refused before they reach the device. */
static void test_guard_and_checks(void **state)
{
	const struct tcase *tc = &cases[0];
	struct rnn_model *h = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	struct rnn_model *back = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	rnn_model_init(h, 5);
	h->p.fc_b[0] = NAN;
	struct rnn_cuda_model *d = cuda_model(tc, CUDA_REC_SMEM, 1, h);
	struct tbatch tb;
	batch_make(&tb, &h->layout.cfg, tc->B, tc->T, 6);
	struct rnn_optim o;
	rnn_optim_defaults(&o);
	float loss;
	double norm;
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), 1);
	assert_true(isnan(loss));
	assert_true(isnan(norm));
	assert_int_equal(rnn_cuda_download(d, back), 0);
	assert_int_equal(back->adam_step, 0);
	assert_memory_equal(back->adam_m, h->adam_m, sizeof(float) * h->layout.total);
	for (size_t i = 0; i < h->layout.total; i++)
		assert_true(back->params[i] == h->params[i] ||
			    (isnan(back->params[i]) && isnan(h->params[i])));
	/* fixed: steps again */
	h->p.fc_b[0] = 0.0f;
	assert_int_equal(rnn_cuda_upload(d, h), 0);
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), 0);
	assert_true(isfinite(loss) && isfinite(norm));
	assert_int_equal(rnn_cuda_download(d, back), 0);
	assert_int_equal(back->adam_step, 1);

	/* refused batches */
	tb.ids[3] = tc->cfg.vocab; /* row 0 has length T: a real position */
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), -1);
	tb.ids[3] = 0;
	tb.len[2] = tc->T + 1;
	assert_int_equal(rnn_cuda_forward(d, &tb.b, NULL, NULL), -1);
	tb.len[2] = 1;
	struct rnn_batch big = tb.b;
	big.B = tc->B + 1;
	assert_int_equal(rnn_cuda_forward(d, &big, NULL, NULL), -1);
	o.lr = -1;
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), -1);
	/* betas of 1 (no bias correction possible: 1 - beta^t is 0) */
	rnn_optim_defaults(&o);
	o.beta1 = 1.0;
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), -1);
	rnn_optim_defaults(&o);
	o.beta2 = 1.0;
	assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, &loss, &norm), -1);
	/* an inference-only model does not train */
	struct rnn_cuda_model *inf = cuda_model(tc, CUDA_REC_SMEM, 0, h);
	rnn_optim_defaults(&o);
	assert_int_equal(rnn_cuda_train_step(inf, &tb.b, &o, 1.0f, &loss, &norm), -1);
	assert_int_equal(rnn_cuda_forward(inf, &tb.b, NULL, &loss), 0);
	assert_true(isfinite(loss));
	/* a host model of another shape is refused */
	struct rnn_config other = tc->cfg;
	other.hidden = 16;
	struct rnn_model *wrong = rnn_model_create(&other, 2, 2, 0);
	assert_int_equal(rnn_cuda_upload(d, wrong), -1);
	rnn_model_free(wrong);
	rnn_cuda_free(inf);
	rnn_cuda_free(d);
	batch_free(&tb);
	rnn_model_free(h);
	rnn_model_free(back);
}

/* upload then download gives the same bytes (params, moments, step). */
static void test_roundtrip(void **state)
{
	const struct tcase *tc = &cases[1];
	struct rnn_model *h = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	struct rnn_model *back = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
	rnn_model_init(h, 9);
	struct rng r;
	rng_seed(&r, 10);
	for (size_t i = 0; i < h->layout.total; i++) {
		h->adam_m[i] = (float)rng_normal(&r);
		h->adam_v[i] = (float)rng_uniform(&r);
	}
	h->adam_step = 17;
	struct rnn_cuda_model *d = cuda_model(tc, CUDA_REC_SMEM, 1, h);
	assert_int_equal(rnn_cuda_download(d, back), 0);
	size_t bytes = sizeof(float) * h->layout.total;
	assert_memory_equal(back->params, h->params, bytes);
	assert_memory_equal(back->adam_m, h->adam_m, bytes);
	assert_memory_equal(back->adam_v, h->adam_v, bytes);
	assert_int_equal(back->adam_step, 17);
	/* an inference-only host model has no Adam state: uploading it
	 * starts the device's afresh (zero moments, step 0) */
	struct rnn_model *plain = rnn_model_create(&tc->cfg, tc->B, tc->T, 0);
	assert_non_null(plain);
	rnn_model_init(plain, 11);
	assert_int_equal(rnn_cuda_upload(d, plain), 0);
	assert_int_equal(rnn_cuda_download(d, back), 0);
	assert_memory_equal(back->params, plain->params, bytes);
	assert_int_equal(back->adam_step, 0);
	size_t moved = 0;
	for (size_t i = 0; i < h->layout.total; i++)
		moved += back->adam_m[i] != 0.0f || back->adam_v[i] != 0.0f;
	assert_int_equal(moved, 0);
	rnn_model_free(plain);
	char buf[256];
	printf("%s\n", rnn_cuda_describe(d, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "cuda"));
	rnn_cuda_free(d);
	rnn_model_free(h);
	rnn_model_free(back);
}

/* Deterministic mode: two runs give the same bits; the variants agree with
 * each other as closely as with the CPU. */
static void test_determinism(void **state)
{
	int fails = 0;
	const int picks[] = {1, 2, 7}; /* lstm bi 2-layer, gru lazy, lstm h128 */
	for (size_t q = 0; q < sizeof(picks) / sizeof(picks[0]); q++) {
		const struct tcase *tc = &cases[picks[q]];
		struct rnn_model *h = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
		rnn_model_init(h, 4000 + q);
		struct rnn_model *out[2 * (CUDA_REC_CLUSTER + 1)];
		struct rnn_optim o;
		optim_of(tc, &o);
		for (int run = 0; run < 2 * (CUDA_REC_CLUSTER + 1); run++) {
			int rec = run / 2;
			out[run] = rnn_model_create(&tc->cfg, tc->B, tc->T, 1);
			if (!variant_enabled(cuda_recurrence_name(rec)))
				continue;
			struct rnn_cuda_model *d = cuda_model(tc, rec, 1, h);
			for (int s = 0; s < 3; s++) {
				struct tbatch tb;
				batch_make(&tb, &h->layout.cfg, tc->B, tc->T, 60 + s);
				assert_int_equal(rnn_cuda_train_step(d, &tb.b, &o, 1.0f, NULL, NULL), 0);
				batch_free(&tb);
			}
			assert_int_equal(rnn_cuda_download(d, out[run]), 0);
			rnn_cuda_free(d);
		}
		const size_t n = h->layout.total;
		for (int rec = 0; rec <= CUDA_REC_CLUSTER; rec++) {
			if (!variant_enabled(cuda_recurrence_name(rec)) ||
			    !variant_enabled(cuda_recurrence_name(CUDA_REC_REF)))
				continue;
			if (memcmp(out[2 * rec]->params, out[2 * rec + 1]->params, sizeof(float) * n)) {
				printf("FAIL [%s %s] two runs differ\n", tc->name,
				       cuda_recurrence_name(rec));
				fails++;
			} else {
				printf("ok   [%s %s] two runs bit-identical\n", tc->name,
				       cuda_recurrence_name(rec));
			}
			char what[128];
			snprintf(what, sizeof(what), "[%s %s vs ref, 3 steps] weights", tc->name,
				 cuda_recurrence_name(rec));
			fails += cmp_after_steps(what, out[2 * rec]->params, out[0]->params, n,
						 3 * 2 * 3.2 * o.lr, W_TYPICAL_ATOL);
		}
		for (int run = 0; run < 2 * (CUDA_REC_CLUSTER + 1); run++)
			rnn_model_free(out[run]);
		rnn_model_free(h);
	}
	assert_int_equal(fails, 0);
}

int main(void)
{
	if (!cuda_device_available()) {
		printf("SKIP: no CUDA device\n");
		return TEST_SKIP_EXIT;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* a killed run keeps its lines */
	printf("device: %s\n", cuda_device_name());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),       cmocka_unit_test(test_guard_and_checks),
		cmocka_unit_test(test_forward_predict), cmocka_unit_test(test_one_step_gradients),
		cmocka_unit_test(test_ten_steps),       cmocka_unit_test(test_lazy_adam_clip_guard),
		cmocka_unit_test(test_determinism),     cmocka_unit_test(test_fused_step_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
