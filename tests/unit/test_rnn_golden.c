/* test_rnn_golden.c - the CPU engine against PyTorch 1.13 (float64 golden
 * files in $SHARED/golden/rnn, see their README): outputs, loss and every
 * gradient from the same initial parameters, then three Adam steps.
 *
 * One test per case (rnn, lstm, gru; plain, -bidir, -2layer, -regress).
 * Prints, per tensor, the max abs / rel error and the worst element.
 * SKIPs when the shared golden files are absent.
 */
#include "testutil.h"

#include "h5golden.h"
#include "rnn_model.h"

/* Tolerances, |ours - torch| <= ATOL + RTOL |torch|:
 * - forward, loss, gradients: our float32 against PyTorch's float64; each
 *   float op adds ~6e-8 relative error and the longest chain here (6 steps,
 *   2 layers, backward through time) stays well below 1e-5 relative; ATOL
 *   covers gradients that are sums of cancelling terms (near zero).
 * - parameters after 3 Adam steps: Adam divides m by sqrt(v), so a gradient
 *   element's relative error moves its update by up to that error times
 *   lr; parameters are O(1) and lr = 0.01, so 1e-5 abs stays meaningful. */
#define FWD_ATOL 1e-6
#define FWD_RTOL 1e-5
#define GRAD_ATOL 1e-6
#define GRAD_RTOL 1e-5
#define ADAM_ATOL 1e-5
#define ADAM_RTOL 1e-5

struct gcase {
	hid_t f;
	struct rnn_config cfg;
	struct rnn_batch b;
	int32_t *ids, *lengths, *labels;
	float *inputs, *targets;
	double lr, beta1, beta2, eps;
};

static void load_case(const char *name, struct gcase *g)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "golden/rnn/%s.h5", name);
	const char *path = shared_path(rel);
	assert_non_null(path);
	memset(g, 0, sizeof(*g));
	g->f = h5g_open(path);
	assert_true(g->f >= 0);
	char s[32];
	assert_int_equal(h5g_attr_s(g->f, "cell", s, sizeof(s)), 0);
	g->cfg.cell = rnn_cell_parse(s);
	assert_int_equal(h5g_attr_s(g->f, "task", s, sizeof(s)), 0);
	g->cfg.task = !strcmp(s, "regress") || !strcmp(s, "regression") ? RNN_TASK_REGRESS
									 : RNN_TASK_CLASSIFY;
	g->cfg.layers = h5g_attr_l(g->f, "layers", -1);
	g->cfg.bidirectional = h5g_attr_l(g->f, "bidirectional", -1);
	g->cfg.hidden = h5g_attr_l(g->f, "hidden", -1);
	g->cfg.outputs = h5g_attr_l(g->f, "outputs", -1);
	g->cfg.pool = RNN_POOL_LAST;
	if (g->cfg.task == RNN_TASK_CLASSIFY) {
		g->cfg.vocab = h5g_attr_l(g->f, "vocab", -1);
		g->cfg.embed = h5g_attr_l(g->f, "embed", -1);
	} else {
		g->cfg.input_size = h5g_attr_l(g->f, "input_size", -1);
	}
	assert_int_equal(h5g_attr_d(g->f, "adam_lr", &g->lr), 0);
	assert_int_equal(h5g_attr_d(g->f, "adam_beta1", &g->beta1), 0);
	assert_int_equal(h5g_attr_d(g->f, "adam_beta2", &g->beta2), 0);
	assert_int_equal(h5g_attr_d(g->f, "adam_eps", &g->eps), 0);

	size_t n;
	g->b.B = h5g_attr_l(g->f, "batch", -1);
	g->b.T = h5g_attr_l(g->f, "steps", -1);
	g->lengths = h5g_read_i32(g->f, "batch/lengths", &n);
	assert_non_null(g->lengths);
	assert_int_equal(n, g->b.B);
	g->b.lengths = g->lengths;
	if (g->cfg.task == RNN_TASK_CLASSIFY) {
		g->ids = h5g_read_i32(g->f, "batch/input_ids", &n);
		assert_non_null(g->ids);
		assert_int_equal(n, (size_t)g->b.B * g->b.T);
		g->labels = h5g_read_i32(g->f, "batch/targets", &n);
		assert_non_null(g->labels);
		g->b.ids = g->ids;
		g->b.labels = g->labels;
	} else {
		g->inputs = h5g_read_f(g->f, "batch/inputs", &n, NULL, NULL);
		assert_non_null(g->inputs);
		assert_int_equal(n, (size_t)g->b.B * g->b.T * g->cfg.input_size);
		g->targets = h5g_read_f(g->f, "batch/targets", &n, NULL, NULL);
		assert_non_null(g->targets);
		assert_int_equal(n, (size_t)g->b.B * g->cfg.outputs);
		g->b.inputs = g->inputs;
		g->b.targets = g->targets;
	}
}

static void free_case(struct gcase *g)
{
	free(g->ids);
	free(g->lengths);
	free(g->labels);
	free(g->inputs);
	free(g->targets);
	H5Fclose(g->f);
}

/* Loads group/<name> for every tensor of the layout into buf; checks that
 * the shapes match and that the group holds no other tensor. */
static void load_params(hid_t f, const char *group, const struct rnn_layout *l, float *buf)
{
	hsize_t count = 0;
	hid_t grp = H5Gopen2(f, group, H5P_DEFAULT);
	assert_true(grp >= 0);
	assert_true(H5Gget_num_objs(grp, &count) >= 0);
	H5Gclose(grp);
	assert_int_equal(count, l->n_tensors);
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		char path[96];
		snprintf(path, sizeof(path), "%s/%s", group, t->name);
		size_t n;
		int nd;
		hsize_t dims[4];
		float *v = h5g_read_f(f, path, &n, &nd, dims);
		if (!v)
			fail_msg("missing %s", path);
		assert_int_equal(nd, t->ndim);
		assert_int_equal(dims[0], t->rows);
		if (nd == 2)
			assert_int_equal(dims[1], t->cols);
		memcpy(buf + t->offset, v, sizeof(float) * n);
		free(v);
	}
}

/* Compares every tensor of buf with group/<name>; returns 1 when all pass. */
static int compare_params(hid_t f, const char *what, const char *group,
			  const struct rnn_layout *l, const float *buf, double atol, double rtol)
{
	int ok = 1;
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		char path[96];
		snprintf(path, sizeof(path), "%s/%s", group, t->name);
		size_t n;
		double *ref = h5g_read_d(f, path, &n);
		if (!ref)
			fail_msg("missing %s", path);
		assert_int_equal(n, t->numel);
		ok &= cmp_report(what, t->name, buf + t->offset, ref, n, atol, rtol);
		free(ref);
	}
	return ok;
}

static void run_case(void **state)
{
	const char *name = *state;
	struct gcase g;
	load_case(name, &g);
	printf("case %s: cell %s, layers %d, bidirectional %d, task %s\n", name,
	       rnn_cell_name(g.cfg.cell), g.cfg.layers, g.cfg.bidirectional,
	       rnn_task_name(g.cfg.task));
	struct rnn_model *m = rnn_model_create(&g.cfg, g.b.B, g.b.T, 1);
	assert_non_null(m);
	load_params(g.f, "init", &m->layout, m->params);

	int ok = 1;
	float loss;
	assert_int_equal(rnn_model_forward(m, &g.b, &loss), 0);
	size_t n;
	double *ref = h5g_read_d(g.f, "outputs", &n);
	assert_non_null(ref);
	assert_int_equal(n, (size_t)g.b.B * g.cfg.outputs);
	ok &= cmp_report("fwd", "outputs", m->out, ref, n, FWD_ATOL, FWD_RTOL);
	free(ref);
	ref = h5g_read_d(g.f, "loss", &n);
	assert_non_null(ref);
	ok &= cmp_report("fwd", "loss", &loss, ref, 1, FWD_ATOL, FWD_RTOL);
	free(ref);

	rnn_model_zero_grad(m);
	assert_int_equal(rnn_model_backward(m, &g.b), 0);
	ok &= compare_params(g.f, "grad", "grad", &m->layout, m->grads, GRAD_ATOL, GRAD_RTOL);

	/* three Adam steps on the same batch from init */
	load_params(g.f, "init", &m->layout, m->params);
	struct rnn_optim o;
	rnn_optim_defaults(&o);
	o.lr = g.lr;
	o.beta1 = g.beta1;
	o.beta2 = g.beta2;
	o.eps = g.eps;
	double *ref_losses = h5g_read_d(g.f, "losses_3_steps", &n);
	assert_non_null(ref_losses);
	assert_int_equal(n, 3);
	float losses[3];
	for (int s = 0; s < 3; s++) {
		double norm;
		assert_int_equal(rnn_model_train_step(m, &g.b, &o, 0.0f, &losses[s], &norm), 0);
	}
	ok &= cmp_report("adam", "losses_3_steps", losses, ref_losses, 3, FWD_ATOL, FWD_RTOL);
	free(ref_losses);
	ok &= compare_params(g.f, "adam", "after_3_adam_steps", &m->layout, m->params, ADAM_ATOL,
			     ADAM_RTOL);
	rnn_model_free(m);
	free_case(&g);
	if (!ok)
		fail_msg("case %s: some values outside tolerance (lines marked FAIL)", name);
}

#define CASE(n) cmocka_unit_test_prestate(run_case, (void *)n)

int main(void)
{
	shared_or_skip("golden/rnn/rnn.h5");
	const struct CMUnitTest tests[] = {
		CASE("rnn"),        CASE("rnn-bidir"),  CASE("rnn-2layer"),  CASE("rnn-regress"),
		CASE("lstm"),       CASE("lstm-bidir"), CASE("lstm-2layer"), CASE("lstm-regress"),
		CASE("gru"),        CASE("gru-bidir"),  CASE("gru-2layer"),  CASE("gru-regress"),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
