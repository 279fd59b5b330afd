/* model_step.c - the model-level API on the CPU kernels: allocation of a
 * model and its workspace, forward, backward, gradient norm and clipping,
 * the NaN/Inf guard, and Adam/AdamW (dense, or lazy on the embedding).
 *
 * Reads and writes no files.  All buffers are allocated once in
 * rnn_model_create for max_batch x max_steps; nothing allocates per step
 * except the short-lived threads of the element-wise optimiser loops.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernels_cpu.h"
#include "rnn_model.h"

struct rnn_work {
	/* forward, (T, B, .) time-major */
	float *x0;                         /* (T, B, I0) layer-0 input */
	float *y[RNN_MAX_LAYERS];          /* (T, B, D) outputs per layer */
	float *act[RNN_MAX_LAYERS][2];     /* (T, B, G*H) */
	float *extra[RNN_MAX_LAYERS][2];   /* (T, B, H), NULL for RNN tanh */
	float *fws;                        /* cell forward scratch */
	float *pooled;                     /* (B, D) */
	int32_t *arg;                      /* (B, D) max-pooling argmax */
	/* backward */
	float *d0, *d1;                    /* (T, B, max(D, I0)) ping-pong */
	float *bws;                        /* cell backward scratch */
	float *dpooled;                    /* (B, D) */
	float *dout;                       /* (B, K) */
	/* embedding rows with a possibly non-zero gradient */
	int32_t *rows;                     /* (V) in order of first touch */
	int n_rows;
	uint8_t *mark;                     /* (V) 1 when listed in rows */
	/* the last forward */
	int fwd_B, fwd_T;
	float *block;                      /* the one workspace allocation */
};

/* ---- workspace ---- */

static size_t align_up(size_t n)
{
	return (n + RNN_ALIGN_FLOATS - 1) / RNN_ALIGN_FLOATS * RNN_ALIGN_FLOATS;
}

/* Lays the workspace out at base (NULL: only count); returns its floats. */
static size_t carve(const struct rnn_config *c, int B, int T, int training, float *base,
		    struct rnn_work *w)
{
	size_t off = 0;
#define TAKE(ptr, type, n)                                                   \
	do {                                                                 \
		size_t n_ = (n);                                             \
		if (base)                                                    \
			ptr = (type *)(void *)(base + off);                  \
		off += align_up(n_);                                         \
	} while (0)
	const size_t TB = (size_t)T * B;
	const int H = c->hidden, D = H * rnn_dirs(c), G = rnn_cell_gates(c->cell);
	const int I0 = c->input_size, K = c->outputs;
	struct rnn_work scratch;
	if (!w)
		w = &scratch;
	TAKE(w->x0, float, TB * I0);
	for (int l = 0; l < c->layers; l++) {
		TAKE(w->y[l], float, TB * D);
		for (int d = 0; d < rnn_dirs(c); d++) {
			TAKE(w->act[l][d], float, TB * G * H);
			if (c->cell != RNN_CELL_RNN)
				TAKE(w->extra[l][d], float, TB * H);
		}
	}
	TAKE(w->fws, float, rnn_cell_forward_ws(c->cell, B, H));
	TAKE(w->pooled, float, (size_t)B * D);
	TAKE(w->arg, int32_t, (size_t)B * D);
	if (training) {
		size_t wide = (size_t)(D > I0 ? D : I0);
		TAKE(w->d0, float, TB * wide);
		TAKE(w->d1, float, TB * wide);
		TAKE(w->bws, float, rnn_cell_backward_ws(c->cell, T, B, H));
		TAKE(w->dpooled, float, (size_t)B * D);
		TAKE(w->dout, float, (size_t)B * K);
	}
#undef TAKE
	return off;
}

size_t rnn_workspace_floats(const struct rnn_config *cfg, int B, int T, int training)
{
	struct rnn_config c = *cfg;
	if (c.task == RNN_TASK_CLASSIFY)
		c.input_size = c.embed;
	return carve(&c, B, T, training, NULL, NULL);
}

/* ---- lifecycle ---- */

struct rnn_model *rnn_model_create(const struct rnn_config *cfg, int max_batch, int max_steps,
				   int training)
{
	if (max_batch < 1 || max_steps < 1) {
		error("model: batch %d and steps %d must be >= 1", max_batch, max_steps);
		return NULL;
	}
	struct rnn_model *m = calloc(1, sizeof(*m));
	struct rnn_work *w = calloc(1, sizeof(*w));
	if (!m || !w) {
		free(m);
		free(w);
		error("out of memory");
		return NULL;
	}
	m->work = w;
	if (rnn_layout_build(cfg, &m->layout))
		goto fail;
	rnn_threads(); /* pins OpenBLAS to our setting (1 unless set) */
	const struct rnn_config *c = &m->layout.cfg;
	m->max_batch = max_batch;
	m->max_steps = max_steps;
	m->training = training ? 1 : 0;
	size_t total = m->layout.total;
	if (!(m->params = rnn_alloc_floats(total)))
		goto fail;
	if (m->training) {
		if (!(m->grads = rnn_alloc_floats(total)) || !(m->adam_m = rnn_alloc_floats(total)) ||
		    !(m->adam_v = rnn_alloc_floats(total)))
			goto fail;
		if (c->task == RNN_TASK_CLASSIFY) {
			w->rows = malloc(sizeof(int32_t) * c->vocab);
			w->mark = calloc(c->vocab, 1);
			if (!w->rows || !w->mark) {
				error("out of memory");
				goto fail;
			}
		}
	}
	size_t n = carve(c, max_batch, max_steps, m->training, NULL, NULL);
	if (!(w->block = rnn_alloc_floats(n)))
		goto fail;
	carve(c, max_batch, max_steps, m->training, w->block, w);
	if (!(m->out = rnn_alloc_floats((size_t)max_batch * c->outputs)) ||
	    !(m->probs = rnn_alloc_floats((size_t)max_batch * c->outputs)))
		goto fail;
	rnn_view_of(&m->layout, m->params, &m->p);
	rnn_view_of(&m->layout, m->grads, &m->g);
	rnn_view_of(&m->layout, m->adam_m, &m->m);
	rnn_view_of(&m->layout, m->adam_v, &m->v);
	return m;
fail:
	rnn_model_free(m);
	return NULL;
}

void rnn_model_free(struct rnn_model *m)
{
	if (!m)
		return;
	if (m->work) {
		free(m->work->block);
		free(m->work->rows);
		free(m->work->mark);
		free(m->work);
	}
	free(m->params);
	free(m->grads);
	free(m->adam_m);
	free(m->adam_v);
	free(m->out);
	free(m->probs);
	free(m);
}

void rnn_model_init(struct rnn_model *m, uint64_t seed)
{
	rnn_params_init(&m->layout, m->params, seed);
	if (m->training) {
		size_t bytes = sizeof(float) * m->layout.total;
		memset(m->grads, 0, bytes);
		memset(m->adam_m, 0, bytes);
		memset(m->adam_v, 0, bytes);
		if (m->work->mark)
			memset(m->work->mark, 0, m->layout.cfg.vocab);
		m->work->n_rows = 0;
	}
	m->adam_step = 0;
}

/* ---- forward ---- */

int rnn_batch_check(const struct rnn_config *c, int max_batch, int max_steps,
		    const struct rnn_batch *b, int need_targets)
{
	if (b->B < 1 || b->B > max_batch || b->T < 1 || b->T > max_steps)
		return error("model: batch of %d x %d steps outside the model's %d x %d", b->B,
			     b->T, max_batch, max_steps);
	if (!b->lengths)
		return error("model: batch without lengths");
	for (int i = 0; i < b->B; i++)
		if (b->lengths[i] < 1 || b->lengths[i] > b->T)
			return error("model: batch row %d has length %d, outside 1..%d", i,
				     b->lengths[i], b->T);
	if (c->task == RNN_TASK_CLASSIFY) {
		if (!b->ids)
			return error("model: classification batch without token ids");
		for (int i = 0; i < b->B; i++) {
			int n = c->pool == RNN_POOL_LAST_PADDED ? b->T : b->lengths[i];
			for (int t = 0; t < n; t++) {
				int32_t id = b->ids[(size_t)i * b->T + t];
				if (id < 0 || id >= c->vocab)
					return error("model: batch row %d step %d: token id %d "
						     "outside the vocabulary 0..%d",
						     i, t, id, c->vocab - 1);
			}
		}
		if (b->labels)
			for (int i = 0; i < b->B; i++)
				if (b->labels[i] < 0 || b->labels[i] >= c->outputs)
					return error("model: batch row %d: label %d outside 0..%d",
						     i, b->labels[i], c->outputs - 1);
		if (need_targets && !b->labels)
			return error("model: batch without labels");
	} else {
		if (!b->inputs)
			return error("model: regression batch without inputs");
		if (need_targets && !b->targets)
			return error("model: batch without targets");
	}
	return 0;
}

/* Lengths the recurrence sees: none (all steps real) for last-padded. */
static const int32_t *rec_lengths(const struct rnn_model *m, const struct rnn_batch *b)
{
	return m->layout.cfg.pool == RNN_POOL_LAST_PADDED ? NULL : b->lengths;
}

static void cell_forward(enum rnn_cell cell, int T, int B, int In, int H, int rev,
			 const float *x, const int32_t *len, const struct rnn_dir_params *p,
			 float *y, int ldy, float *act, float *extra, float *ws)
{
	if (cell == RNN_CELL_LSTM)
		lstm_forward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih, p->b_hh, y,
				 ldy, act, extra, ws);
	else if (cell == RNN_CELL_GRU)
		gru_forward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih, p->b_hh, y, ldy,
				act, extra, ws);
	else
		rnn_tanh_forward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih, p->b_hh,
				     y, ldy, act, extra, ws);
}

static void cell_backward(enum rnn_cell cell, int T, int B, int In, int H, int rev,
			  const float *x, const int32_t *len, const struct rnn_dir_params *p,
			  const float *y, const float *dy, int ldy, const float *act,
			  const float *extra, float *dx, int acc, const struct rnn_dir_params *g,
			  float *ws)
{
	if (cell == RNN_CELL_LSTM)
		lstm_backward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy, act, extra,
				  dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh, ws);
	else if (cell == RNN_CELL_GRU)
		gru_backward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy, act, extra,
				 dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh, ws);
	else
		rnn_tanh_backward_cpu(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy, act,
				      extra, dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh, ws);
}

static int model_forward(struct rnn_model *m, const struct rnn_batch *b, float *loss)
{
	const struct rnn_config *c = &m->layout.cfg;
	struct rnn_work *w = m->work;
	w->fwd_B = w->fwd_T = 0;
	if (rnn_batch_check(&m->layout.cfg, m->max_batch, m->max_steps, b, loss != NULL))
		return -1;
	const int B = b->B, T = b->T, H = c->hidden, dirs = rnn_dirs(c), D = H * dirs;
	const int K = c->outputs;
	const int32_t *len = rec_lengths(m, b);
	if (c->task == RNN_TASK_CLASSIFY)
		embedding_forward_cpu(T, B, c->embed, b->ids, len, m->p.embedding, w->x0);
	else
		sequence_forward_cpu(T, B, c->input_size, b->inputs, len, w->x0);
	const float *in = w->x0;
	for (int l = 0; l < c->layers; l++) {
		int In = rnn_layer_input(c, l);
		for (int d = 0; d < dirs; d++)
			cell_forward(c->cell, T, B, In, H, d, in, len, &m->p.rnn[l][d],
				     w->y[l] + d * H, D, w->act[l][d], w->extra[l][d], w->fws);
		in = w->y[l];
	}
	pool_forward_cpu(c->pool, T, B, H, dirs, b->lengths, w->y[c->layers - 1], w->pooled,
			 w->arg);
	linear_forward_cpu(B, D, K, w->pooled, m->p.fc_w, m->p.fc_b, m->out);
	if (c->task == RNN_TASK_CLASSIFY)
		softmax_xent_forward_cpu(B, K, m->out, b->labels, m->probs, loss);
	else if (loss)
		mse_forward_cpu(B, K, m->out, b->targets, loss);
	w->fwd_B = B;
	w->fwd_T = T;
	return 0;
}

/* ---- backward ---- */

static void mark_rows(struct rnn_model *m, const struct rnn_batch *b)
{
	struct rnn_work *w = m->work;
	const int32_t *len = rec_lengths(m, b);
	for (int t = 0; t < b->T; t++)
		for (int i = 0; i < b->B; i++) {
			if (len && t >= len[i])
				continue;
			int32_t id = b->ids[(size_t)i * b->T + t];
			if (!w->mark[id]) {
				w->mark[id] = 1;
				w->rows[w->n_rows++] = id;
			}
		}
}

static int model_backward(struct rnn_model *m, const struct rnn_batch *b)
{
	const struct rnn_config *c = &m->layout.cfg;
	struct rnn_work *w = m->work;
	if (!m->training)
		return error("model: backward on an inference-only model");
	if (w->fwd_B != b->B || w->fwd_T != b->T)
		return error("model: backward without a matching forward");
	if (c->task == RNN_TASK_CLASSIFY ? !b->labels : !b->targets)
		return error("model: backward needs labels or targets");
	const int B = b->B, T = b->T, H = c->hidden, dirs = rnn_dirs(c), D = H * dirs;
	const int K = c->outputs;
	const int32_t *len = rec_lengths(m, b);
	if (c->task == RNN_TASK_CLASSIFY)
		softmax_xent_backward_cpu(B, K, m->probs, b->labels, w->dout);
	else
		mse_backward_cpu(B, K, m->out, b->targets, w->dout);
	linear_backward_cpu(B, D, K, w->pooled, m->p.fc_w, w->dout, w->dpooled, m->g.fc_w,
			    m->g.fc_b);
	float *dy = w->d0, *dx = w->d1;
	pool_backward_cpu(c->pool, T, B, H, dirs, b->lengths, w->arg, w->dpooled, dy);
	for (int l = c->layers - 1; l >= 0; l--) {
		int In = rnn_layer_input(c, l);
		const float *in = l ? w->y[l - 1] : w->x0;
		float *dxl = l || c->task == RNN_TASK_CLASSIFY ? dx : NULL;
		for (int d = 0; d < dirs; d++)
			cell_backward(c->cell, T, B, In, H, d, in, len, &m->p.rnn[l][d],
				      w->y[l] + d * H, dy + d * H, D, w->act[l][d], w->extra[l][d],
				      dxl, d > 0, &m->g.rnn[l][d], w->bws);
		float *tmp = dy;
		dy = dx;
		dx = tmp;
	}
	if (c->task == RNN_TASK_CLASSIFY) {
		embedding_backward_cpu(T, B, c->embed, b->ids, len, dy, m->g.embedding);
		mark_rows(m, b);
	}
	return 0;
}

/* ---- gradients ---- */

/* The gradient floats outside the embedding: one contiguous span. */
static size_t dense_start(const struct rnn_model *m)
{
	return m->layout.cfg.task == RNN_TASK_CLASSIFY ? m->layout.tensors[1].offset : 0;
}

void rnn_model_zero_grad(struct rnn_model *m)
{
	if (!m->training)
		return;
	size_t s = dense_start(m);
	memset(m->grads + s, 0, sizeof(float) * (m->layout.total - s));
	struct rnn_work *w = m->work;
	if (m->layout.cfg.task == RNN_TASK_CLASSIFY) {
		int E = m->layout.cfg.embed;
		for (int r = 0; r < w->n_rows; r++) {
			memset(m->g.embedding + (size_t)w->rows[r] * E, 0, sizeof(float) * E);
			w->mark[w->rows[r]] = 0;
		}
		w->n_rows = 0;
	}
}

double rnn_model_grad_norm(struct rnn_model *m)
{
	if (!m->training)
		return 0.0;
	size_t s = dense_start(m);
	double total, part;
	sumsq_cpu(m->layout.total - s, m->grads + s, &total);
	struct rnn_work *w = m->work;
	int E = m->layout.cfg.embed;
	for (int r = 0; r < w->n_rows; r++) {
		sumsq_cpu(E, m->g.embedding + (size_t)w->rows[r] * E, &part);
		total += part;
	}
	return sqrt(total);
}

double rnn_model_clip_grad(struct rnn_model *m, float max_norm)
{
	double norm = rnn_model_grad_norm(m);
	if (max_norm > 0 && norm > max_norm) {
		float s = (float)(max_norm / (norm + 1e-6));
		size_t st = dense_start(m);
		scale_cpu(m->layout.total - st, m->grads + st, s);
		struct rnn_work *w = m->work;
		int E = m->layout.cfg.embed;
		for (int r = 0; r < w->n_rows; r++)
			scale_cpu(E, m->g.embedding + (size_t)w->rows[r] * E, s);
	}
	return norm;
}

int rnn_model_grads_finite(struct rnn_model *m)
{
	if (!m->training)
		return 1;
	size_t s = dense_start(m), bad, part;
	count_nonfinite_cpu(m->layout.total - s, m->grads + s, &bad);
	struct rnn_work *w = m->work;
	int E = m->layout.cfg.embed;
	for (int r = 0; r < w->n_rows; r++) {
		count_nonfinite_cpu(E, m->g.embedding + (size_t)w->rows[r] * E, &part);
		bad += part;
	}
	return bad == 0;
}

/* ---- optimiser ---- */

void rnn_optim_defaults(struct rnn_optim *o)
{
	memset(o, 0, sizeof(*o));
	o->lr = 1e-3;
	o->beta1 = 0.9;
	o->beta2 = 0.999;
	o->eps = 1e-8;
}

/* One kind of Adam work over a range that cpu_parallel splits: the dense
 * span from base, or the embedding rows (dense: runs of touched rows with
 * their gradient, runs of untouched rows with a zero one; sparse: listed
 * rows only). */
struct adam_job {
	struct rnn_model *m;
	const struct rnn_optim *o;
	int what; /* 0 dense span, 1 embedding dense, 2 embedding rows */
	size_t base;
};

static void adam_range(struct rnn_model *m, const struct rnn_optim *o, size_t off, size_t n,
		       const float *g)
{
	adam_cpu(n, m->params + off, g ? m->grads + off : NULL, m->adam_m + off,
		 m->adam_v + off, o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->adamw,
		 m->adam_step);
}

/* One thread's share: [base + lo, base + hi). */
static void adam_job_run(void *arg, size_t lo, size_t hi)
{
	const struct adam_job *j = arg;
	struct rnn_model *m = j->m;
	const struct rnn_optim *o = j->o;
	lo += j->base;
	hi += j->base;
	if (j->what == 0) {
		adam_range(m, o, lo, hi - lo, m->grads);
	} else if (j->what == 1) {
		size_t E = m->layout.cfg.embed, base = m->layout.tensors[0].offset;
		const uint8_t *mark = m->work->mark;
		size_t r = lo;
		while (r < hi) {
			size_t e = r + 1;
			while (e < hi && mark[e] == mark[r])
				e++;
			adam_range(m, o, base + r * E, (e - r) * E, mark[r] ? m->grads : NULL);
			r = e;
		}
	} else {
		adam_rows_cpu((int)(hi - lo), m->work->rows + lo, m->layout.cfg.embed,
			      m->p.embedding, m->g.embedding, m->m.embedding, m->v.embedding,
			      o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->adamw,
			      m->adam_step);
	}
}

/* Splits [lo, lo + n) of one job kind across the threads (spans under
 * 1024 elements a part are not worth a thread); element-wise work, so the
 * split does not change any result. */
static void adam_parallel(struct rnn_model *m, const struct rnn_optim *o, int what, size_t lo,
			  size_t n)
{
	int nt = rnn_threads();
	if ((size_t)nt > n / 1024 + 1)
		nt = (int)(n / 1024 + 1);
	struct adam_job job = {m, o, what, lo};
	cpu_parallel(n, nt, adam_job_run, &job);
}

static int model_step(struct rnn_model *m, const struct rnn_optim *o)
{
	if (!m->training)
		return error("model: optimiser step on an inference-only model");
	if (!(o->lr >= 0) || !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
	    !(o->eps >= 0) || !(o->weight_decay >= 0))
		return error("model: invalid Adam settings (lr %g, betas %g %g, eps %g, weight "
			     "decay %g)",
			     o->lr, o->beta1, o->beta2, o->eps, o->weight_decay);
	m->adam_step++;
	size_t s = dense_start(m);
	adam_parallel(m, o, 0, s, m->layout.total - s);
	if (m->layout.cfg.task == RNN_TASK_CLASSIFY) {
		if (o->sparse_embedding)
			adam_parallel(m, o, 2, 0, m->work->n_rows);
		else
			adam_parallel(m, o, 1, 0, m->layout.cfg.vocab);
	}
	return 0;
}

/* The model's calls in its floating-point mode (cpu_fp_enter: subnormals
 * flushed to zero), which the caller gets back after. */
int rnn_model_forward(struct rnn_model *m, const struct rnn_batch *b, float *loss)
{
	unsigned fp = cpu_fp_enter();
	int rc = model_forward(m, b, loss);
	cpu_fp_leave(fp);
	return rc;
}

int rnn_model_backward(struct rnn_model *m, const struct rnn_batch *b)
{
	unsigned fp = cpu_fp_enter();
	int rc = model_backward(m, b);
	cpu_fp_leave(fp);
	return rc;
}

int rnn_model_step(struct rnn_model *m, const struct rnn_optim *o)
{
	unsigned fp = cpu_fp_enter();
	int rc = model_step(m, o);
	cpu_fp_leave(fp);
	return rc;
}

int rnn_model_train_step(struct rnn_model *m, const struct rnn_batch *b, const struct rnn_optim *o,
			 float max_norm, float *loss, double *norm)
{
	float l = NAN;
	double n = NAN;
	rnn_model_zero_grad(m);
	int rc = rnn_model_forward(m, b, &l);
	if (!rc && isfinite(l)) {
		rc = rnn_model_backward(m, b);
		if (!rc) {
			/* float squares cannot overflow a double: a finite norm
			 * means every gradient is finite */
			n = max_norm > 0 ? rnn_model_clip_grad(m, max_norm) : rnn_model_grad_norm(m);
			if (isfinite(n))
				rc = rnn_model_step(m, o);
			else
				rc = 1;
		}
	} else if (!rc) {
		rc = 1;
	}
	if (loss)
		*loss = l;
	if (norm)
		*norm = n;
	return rc;
}

int rnn_model_predict(struct rnn_model *m, const struct rnn_batch *b, float *out)
{
	if (rnn_model_forward(m, b, NULL))
		return -1;
	const struct rnn_config *c = &m->layout.cfg;
	const float *src = c->task == RNN_TASK_CLASSIFY ? m->probs : m->out;
	memcpy(out, src, sizeof(float) * b->B * c->outputs);
	return 0;
}

const int32_t *rnn_model_pool_argmax(const struct rnn_model *m)
{
	return m->layout.cfg.pool == RNN_POOL_MAX ? m->work->arg : NULL;
}
