/* rnn_model_cuda.cu - the model-level API on the GPU (rnn_cuda.h): device
 * buffers laid out by struct rnn_layout, batch staging through pinned
 * memory on a copy stream, forward, backward, and one fused step that does
 * the gradient norm, clipping, the NaN/Inf guard and Adam/AdamW without a
 * round trip to the host.  The pair of common/model_step.c, call for call.
 *
 * Legend: T steps, B batch, E embedding, I input size, H hidden, D = dirs*H,
 * G gates, V vocabulary, K outputs.  Activations time-major (T, B, .).
 * Reads and writes no files.  Device memory is allocated once in
 * rnn_cuda_create; a train step allocates nothing.  One sync per call:
 * the loss, the norm and the guard's verdict come back together.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam_cuda.cuh"
#include "cuda_util.cuh"
extern "C" {
#include "kernels_cpu.h" /* the *_ws sizes */
#include "rnn_model.h"
}
#include "rnn_cuda.h"

/* What one step leaves for the host and for the fused Adam kernels. */
struct step_status {
	double sumsq; /* sum of squared gradients */
	double norm;  /* sqrt(sumsq) */
	float loss;
	float scale;  /* clipping factor, 1 when not clipping */
	int ok;       /* loss and norm finite: step */
	int clip;     /* scale applies */
};

struct rnn_cuda_model {
	struct rnn_layout layout;
	int max_batch, max_steps, training;
	struct rnn_cuda_options opt;
	long adam_step;
	/* device: one allocation of 4 * layout.total floats (params, grads,
	 * Adam m, Adam v; grads and moments only when training) */
	float *state;
	float *params, *grads, *adam_m, *adam_v;
	struct rnn_view p, g, m, v;
	/* device workspace, carved like model_step.c's */
	void *block;
	float *x0;                       /* (T, B, I0) */
	float *y[RNN_MAX_LAYERS];        /* (T, B, D) */
	float *act[RNN_MAX_LAYERS][2];   /* (T, B, G*H) */
	float *extra[RNN_MAX_LAYERS][2]; /* (T, B, H), NULL for RNN tanh */
	float *fws;                      /* cell forward scratch */
	float *pooled;                   /* (B, D) */
	int32_t *arg;                    /* (B, D) */
	float *out, *probs;              /* (B, K) */
	float *d0, *d1;                  /* (T, B, max(D, I0)) */
	float *bws;                      /* cell backward scratch */
	float *dpooled;                  /* (B, D) */
	float *dout;                     /* (B, K) */
	struct step_status *status;      /* (1) */
	/* the batch on the device and its two pinned staging slots, same
	 * layout: ids or inputs, lengths, labels or targets */
	char *dbatch;
	char *pinned[2];
	size_t off_seq, off_len, off_lab, batch_bytes;
	int32_t *ids, *len, *labels;
	float *inputs, *targets;
	int slot;
	/* results back to the host */
	float *out_host;                 /* pinned (2, B, K): probabilities or
					    predictions, then logits (classify) */
	int out_rows;                    /* rows of out_host the last call filled */
	struct step_status *status_host; /* pinned */
	/* embedding gradient: sorted positions (also the touched rows) */
	void *sort_ws;
	struct embedding_sort sort;
	cudaStream_t compute, copy;
	cudaEvent_t staged[2], consumed;
	/* rnn_cuda_timing: a step's first kernel and its end (two, so the
	 * previous step's end is still there for the gap) */
	cudaEvent_t t_begin, t_end[2];
	int t_cur, t_chain;
	struct rnn_cuda_timing timing;
};

/* ---- lifecycle ---- */

extern "C" void rnn_cuda_options_defaults(struct rnn_cuda_options *o)
{
	memset(o, 0, sizeof(*o));
	o->recurrence = CUDA_REC_DEFAULT;
	o->embed_grad_atomic = 0;
}

static size_t align_bytes(size_t n)
{
	return (n + 255) / 256 * 256;
}

/* Lays the device workspace out from base (NULL: only count); bytes. */
static size_t carve(struct rnn_cuda_model *m, char *base)
{
	const struct rnn_config *c = &m->layout.cfg;
	size_t off = 0;
#define TAKE(ptr, type, n)                                                    \
	do {                                                                  \
		size_t n_ = (size_t)(n) * sizeof(type);                       \
		if (base)                                                     \
			ptr = (type *)(void *)(base + off);                   \
		off += align_bytes(n_ ? n_ : 1);                              \
	} while (0)
	const int B = m->max_batch, T = m->max_steps;
	const size_t TB = (size_t)T * B;
	const int H = c->hidden, D = H * rnn_dirs(c), G = rnn_cell_gates(c->cell);
	const int I0 = c->input_size, K = c->outputs;
	TAKE(m->x0, float, TB * I0);
	for (int l = 0; l < c->layers; l++) {
		TAKE(m->y[l], float, TB * D);
		for (int d = 0; d < rnn_dirs(c); d++) {
			TAKE(m->act[l][d], float, TB * G * H);
			if (c->cell != RNN_CELL_RNN)
				TAKE(m->extra[l][d], float, TB * H);
		}
	}
	TAKE(m->fws, float, rnn_cell_forward_ws(c->cell, B, H));
	TAKE(m->pooled, float, (size_t)B * D);
	TAKE(m->arg, int32_t, (size_t)B * D);
	TAKE(m->out, float, (size_t)B * K);
	TAKE(m->probs, float, (size_t)B * K);
	TAKE(m->status, struct step_status, 1);
	if (m->training) {
		size_t wide = (size_t)(D > I0 ? D : I0);
		TAKE(m->d0, float, TB * wide);
		TAKE(m->d1, float, TB * wide);
		TAKE(m->bws, float, rnn_cell_backward_ws(c->cell, T, B, H));
		TAKE(m->dpooled, float, (size_t)B * D);
		TAKE(m->dout, float, (size_t)B * K);
	}
#undef TAKE
	return off;
}

/* The batch staging layout (device buffer and pinned slots alike). */
static void batch_layout(struct rnn_cuda_model *m)
{
	const struct rnn_config *c = &m->layout.cfg;
	const size_t B = m->max_batch, T = m->max_steps;
	size_t seq = c->task == RNN_TASK_CLASSIFY ? B * T * sizeof(int32_t)
						  : B * T * c->input_size * sizeof(float);
	size_t lab = c->task == RNN_TASK_CLASSIFY ? B * sizeof(int32_t)
						  : B * c->outputs * sizeof(float);
	m->off_seq = 0;
	m->off_len = align_bytes(seq);
	m->off_lab = m->off_len + align_bytes(B * sizeof(int32_t));
	m->batch_bytes = m->off_lab + align_bytes(lab);
}

extern "C" void rnn_cuda_free(struct rnn_cuda_model *m)
{
	if (!m)
		return;
	if (m->compute)
		cudaStreamSynchronize(m->compute);
	if (m->copy)
		cudaStreamSynchronize(m->copy);
	cuda_free(m->state);
	cuda_free(m->block);
	cuda_free(m->dbatch);
	cuda_free(m->sort_ws);
	for (int i = 0; i < 2; i++) {
		if (m->pinned[i])
			cudaFreeHost(m->pinned[i]);
		if (m->staged[i])
			cudaEventDestroy(m->staged[i]);
	}
	if (m->out_host)
		cudaFreeHost(m->out_host);
	if (m->status_host)
		cudaFreeHost(m->status_host);
	if (m->consumed)
		cudaEventDestroy(m->consumed);
	if (m->t_begin)
		cudaEventDestroy(m->t_begin);
	for (int i = 0; i < 2; i++)
		if (m->t_end[i])
			cudaEventDestroy(m->t_end[i]);
	if (m->compute)
		cudaStreamDestroy(m->compute);
	if (m->copy)
		cudaStreamDestroy(m->copy);
	free(m);
}

static int create_buffers(struct rnn_cuda_model *m)
{
	const struct rnn_config *c = &m->layout.cfg;
	const size_t total = m->layout.total;
	const size_t n_state = m->training ? 4 : 1;
	if (!(m->state = (float *)cuda_malloc(sizeof(float) * total * n_state)))
		return -1;
	CUDA_CHECK(cudaMemset(m->state, 0, sizeof(float) * total * n_state));
	m->params = m->state;
	if (m->training) {
		m->grads = m->state + total;
		m->adam_m = m->state + 2 * total;
		m->adam_v = m->state + 3 * total;
	}
	rnn_view_of(&m->layout, m->params, &m->p);
	rnn_view_of(&m->layout, m->grads, &m->g);
	rnn_view_of(&m->layout, m->adam_m, &m->m);
	rnn_view_of(&m->layout, m->adam_v, &m->v);

	size_t ws = carve(m, NULL);
	if (!(m->block = cuda_malloc(ws)))
		return -1;
	CUDA_CHECK(cudaMemset(m->block, 0, ws));
	carve(m, (char *)m->block);

	batch_layout(m);
	if (!(m->dbatch = (char *)cuda_malloc(m->batch_bytes)))
		return -1;
	for (int i = 0; i < 2; i++) {
		CUDA_CHECK(cudaHostAlloc((void **)&m->pinned[i], m->batch_bytes,
					 cudaHostAllocDefault));
		CUDA_CHECK(cudaEventCreateWithFlags(&m->staged[i], cudaEventDisableTiming));
	}
	m->ids = (int32_t *)(void *)(m->dbatch + m->off_seq);
	m->inputs = (float *)(void *)(m->dbatch + m->off_seq);
	m->len = (int32_t *)(void *)(m->dbatch + m->off_len);
	m->labels = (int32_t *)(void *)(m->dbatch + m->off_lab);
	m->targets = (float *)(void *)(m->dbatch + m->off_lab);
	CUDA_CHECK(cudaHostAlloc((void **)&m->out_host,
				 2 * sizeof(float) * m->max_batch * c->outputs, cudaHostAllocDefault));
	CUDA_CHECK(cudaHostAlloc((void **)&m->status_host, sizeof(struct step_status),
				 cudaHostAllocDefault));
	CUDA_CHECK(cudaEventCreateWithFlags(&m->consumed, cudaEventDisableTiming));
	CUDA_CHECK(cudaEventCreate(&m->t_begin));
	for (int i = 0; i < 2; i++)
		CUDA_CHECK(cudaEventCreate(&m->t_end[i]));
	CUDA_CHECK(cudaStreamCreateWithFlags(&m->compute, cudaStreamNonBlocking));
	CUDA_CHECK(cudaStreamCreateWithFlags(&m->copy, cudaStreamNonBlocking));

	if (m->training && c->task == RNN_TASK_CLASSIFY) {
		size_t bytes;
		if (embedding_sort_ws(m->max_steps, m->max_batch, c->vocab, &bytes))
			return -1;
		if (!(m->sort_ws = cuda_malloc(bytes)))
			return -1;
		embedding_sort_carve(m->sort_ws, m->max_steps, m->max_batch, c->vocab, &m->sort);
		if (!m->sort.tmp_bytes)
			return error("cuda: cannot size the embedding sort");
	}
	/* the ones vector for bias gradients, grown once here, not mid-step */
	if (m->training && !cuda_ones((size_t)m->max_batch * m->max_steps))
		return -1;
	if (!cuda_reduce_scratch() || !cuda_blas(m->compute))
		return -1;
	CUDA_CHECK(cudaDeviceSynchronize());
	return 0;
}

extern "C" struct rnn_cuda_model *rnn_cuda_create(const struct rnn_config *cfg, int max_batch,
						  int max_steps, int training,
						  const struct rnn_cuda_options *opt)
{
	if (!cuda_device_available())
		return error("cuda: no usable CUDA device"), (struct rnn_cuda_model *)NULL;
	if (max_batch < 1 || max_steps < 1)
		return error("model: batch %d and steps %d must be >= 1", max_batch, max_steps),
		       (struct rnn_cuda_model *)NULL;
	struct rnn_cuda_model *m = (struct rnn_cuda_model *)calloc(1, sizeof(*m));
	if (!m)
		return error("out of memory"), (struct rnn_cuda_model *)NULL;
	if (opt)
		m->opt = *opt;
	else
		rnn_cuda_options_defaults(&m->opt);
	if (m->opt.recurrence < CUDA_REC_REF || m->opt.recurrence > CUDA_REC_CLUSTER) {
		error("cuda: unknown recurrence variant %d", m->opt.recurrence);
		free(m);
		return NULL;
	}
	m->max_batch = max_batch;
	m->max_steps = max_steps;
	m->training = training ? 1 : 0;
	if (rnn_layout_build(cfg, &m->layout) || create_buffers(m)) {
		rnn_cuda_free(m);
		return NULL;
	}
	return m;
}

extern "C" const struct rnn_layout *rnn_cuda_layout(const struct rnn_cuda_model *m)
{
	return &m->layout;
}

extern "C" const char *rnn_cuda_describe(const struct rnn_cuda_model *m, char *buf, size_t size)
{
	snprintf(buf, size, "cuda (%s; recurrence %s, embedding gradient %s)", cuda_device_name(),
		 cuda_recurrence_name(m->opt.recurrence),
		 m->opt.embed_grad_atomic ? "atomic" : "sorted");
	return buf;
}

/* ---- host <-> device ---- */

static int same_layout(const struct rnn_cuda_model *m, const struct rnn_model *h)
{
	const struct rnn_config *a = &m->layout.cfg, *b = &h->layout.cfg;
	if (h->layout.total != m->layout.total || a->cell != b->cell || a->task != b->task ||
	    a->vocab != b->vocab || a->embed != b->embed || a->input_size != b->input_size ||
	    a->hidden != b->hidden || a->layers != b->layers ||
	    a->bidirectional != b->bidirectional || a->outputs != b->outputs)
		return error("cuda: the host model's configuration differs from the device "
			     "model's");
	return 0;
}

extern "C" int rnn_cuda_upload(struct rnn_cuda_model *m, const struct rnn_model *host)
{
	if (same_layout(m, host))
		return -1;
	const size_t bytes = sizeof(float) * m->layout.total;
	m->t_chain = 0; /* the next step's gap is not the loop's */
	CUDA_CHECK(cudaStreamSynchronize(m->compute));
	CUDA_CHECK(cudaMemcpy(m->params, host->params, bytes, cudaMemcpyHostToDevice));
	if (m->training) {
		CUDA_CHECK(cudaMemset(m->grads, 0, bytes));
		if (host->training) {
			CUDA_CHECK(cudaMemcpy(m->adam_m, host->adam_m, bytes,
					      cudaMemcpyHostToDevice));
			CUDA_CHECK(cudaMemcpy(m->adam_v, host->adam_v, bytes,
					      cudaMemcpyHostToDevice));
			m->adam_step = host->adam_step;
		} else {
			CUDA_CHECK(cudaMemset(m->adam_m, 0, bytes));
			CUDA_CHECK(cudaMemset(m->adam_v, 0, bytes));
			m->adam_step = 0;
		}
		m->sort.n = 0; /* no rows to re-zero */
	}
	/* cudaMemcpy from pageable memory and cudaMemset may return before the
	 * device is done, and they run on the legacy stream, which our
	 * non-blocking streams do not wait for */
	CUDA_CHECK(cudaDeviceSynchronize());
	return 0;
}

extern "C" int rnn_cuda_download(struct rnn_cuda_model *m, struct rnn_model *host)
{
	if (same_layout(m, host))
		return -1;
	const size_t bytes = sizeof(float) * m->layout.total;
	m->t_chain = 0; /* the next step's gap is not the loop's */
	CUDA_CHECK(cudaStreamSynchronize(m->compute));
	CUDA_CHECK(cudaMemcpy(host->params, m->params, bytes, cudaMemcpyDeviceToHost));
	if (m->training && host->training) {
		CUDA_CHECK(cudaMemcpy(host->adam_m, m->adam_m, bytes, cudaMemcpyDeviceToHost));
		CUDA_CHECK(cudaMemcpy(host->adam_v, m->adam_v, bytes, cudaMemcpyDeviceToHost));
		host->adam_step = m->adam_step;
	}
	return 0;
}

extern "C" int rnn_cuda_download_grads(struct rnn_cuda_model *m, float *grads)
{
	if (!m->training)
		return error("cuda: gradients of an inference-only model");
	CUDA_CHECK(cudaStreamSynchronize(m->compute));
	CUDA_CHECK(cudaMemcpy(grads, m->grads, sizeof(float) * m->layout.total,
			      cudaMemcpyDeviceToHost));
	return 0;
}

/* ---- batches ---- */

/* ids and labels must be in range before they index device memory:
 * the CPU model's check (rnn_batch_check, rnn_model.h). */
static int check_batch(const struct rnn_cuda_model *m, const struct rnn_batch *b, int need_targets)
{
	return rnn_batch_check(&m->layout.cfg, m->max_batch, m->max_steps, b, need_targets);
}

/* Copies the batch into a pinned slot, then to the device on the copy
 * stream; the compute stream waits for it.  Padding ids may be anything
 * on the host: they are sent as they are and never read on the device. */
static int stage_batch(struct rnn_cuda_model *m, const struct rnn_batch *b)
{
	const struct rnn_config *c = &m->layout.cfg;
	const int s = m->slot ^= 1;
	const size_t B = b->B, T = b->T;
	/* the copy that last read this slot has finished */
	CUDA_CHECK(cudaEventSynchronize(m->staged[s]));
	char *pin = m->pinned[s];
	size_t seq, lab = 0;
	if (c->task == RNN_TASK_CLASSIFY) {
		seq = B * T * sizeof(int32_t);
		memcpy(pin + m->off_seq, b->ids, seq);
		if (b->labels) {
			lab = B * sizeof(int32_t);
			memcpy(pin + m->off_lab, b->labels, lab);
		}
	} else {
		seq = B * T * c->input_size * sizeof(float);
		memcpy(pin + m->off_seq, b->inputs, seq);
		if (b->targets) {
			lab = B * c->outputs * sizeof(float);
			memcpy(pin + m->off_lab, b->targets, lab);
		}
	}
	memcpy(pin + m->off_len, b->lengths, B * sizeof(int32_t));
	/* the device copy of the previous batch is no longer read */
	CUDA_CHECK(cudaStreamWaitEvent(m->copy, m->consumed, 0));
	CUDA_CHECK(cudaMemcpyAsync(m->dbatch + m->off_seq, pin + m->off_seq, seq,
				   cudaMemcpyHostToDevice, m->copy));
	CUDA_CHECK(cudaMemcpyAsync(m->dbatch + m->off_len, pin + m->off_len, B * sizeof(int32_t),
				   cudaMemcpyHostToDevice, m->copy));
	if (lab)
		CUDA_CHECK(cudaMemcpyAsync(m->dbatch + m->off_lab, pin + m->off_lab, lab,
					   cudaMemcpyHostToDevice, m->copy));
	CUDA_CHECK(cudaEventRecord(m->staged[s], m->copy));
	CUDA_CHECK(cudaStreamWaitEvent(m->compute, m->staged[s], 0));
	return 0;
}

/* ---- forward and backward (model_step.c's, on the device) ---- */

static const int32_t *rec_lengths(const struct rnn_cuda_model *m)
{
	return m->layout.cfg.pool == RNN_POOL_LAST_PADDED ? NULL : m->len;
}

static int cell_forward(const struct rnn_cuda_model *m, int T, int B, int In, int rev,
			const float *x, const struct rnn_dir_params *p, float *y, int ldy,
			float *act, float *extra)
{
	const struct rnn_config *c = &m->layout.cfg;
	const int H = c->hidden;
	const int32_t *len = rec_lengths(m);
	if (c->cell == RNN_CELL_LSTM)
		return lstm_forward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih,
					 p->b_hh, y, ldy, act, extra, m->fws, m->compute);
	if (c->cell == RNN_CELL_GRU)
		return gru_forward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih,
					p->b_hh, y, ldy, act, extra, m->fws, m->compute);
	return rnn_tanh_forward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, p->b_ih, p->b_hh,
				     y, ldy, act, extra, m->fws, m->compute);
}

static int cell_backward(const struct rnn_cuda_model *m, int T, int B, int In, int rev,
			 const float *x, const struct rnn_dir_params *p, const float *y,
			 const float *dy, int ldy, const float *act, const float *extra,
			 float *dx, int acc, const struct rnn_dir_params *g)
{
	const struct rnn_config *c = &m->layout.cfg;
	const int H = c->hidden;
	const int32_t *len = rec_lengths(m);
	if (c->cell == RNN_CELL_LSTM)
		return lstm_backward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy,
					  act, extra, dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh,
					  m->bws, m->compute);
	if (c->cell == RNN_CELL_GRU)
		return gru_backward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy,
					 act, extra, dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh,
					 m->bws, m->compute);
	return rnn_tanh_backward_cuda(T, B, In, H, rev, x, len, p->w_ih, p->w_hh, y, dy, ldy, act,
				      extra, dx, acc, g->w_ih, g->w_hh, g->b_ih, g->b_hh, m->bws,
				      m->compute);
}

/* Forward of the staged batch; with want_loss, the loss into status->loss
 * (else status->loss is NaN). */
static int forward(struct rnn_cuda_model *m, const struct rnn_batch *b, int want_loss)
{
	const struct rnn_config *c = &m->layout.cfg;
	const int B = b->B, T = b->T, H = c->hidden, dirs = rnn_dirs(c), D = H * dirs;
	const int K = c->outputs;
	cudaStream_t st = m->compute;
	cuda_set_recurrence(m->opt.recurrence);
	if (c->task == RNN_TASK_CLASSIFY) {
		if (embedding_forward_cuda(T, B, c->embed, m->ids, rec_lengths(m), m->p.embedding,
					   m->x0, st))
			return -1;
	} else if (sequence_forward_cuda(T, B, c->input_size, m->inputs, rec_lengths(m), m->x0,
					 st)) {
		return -1;
	}
	const float *in = m->x0;
	for (int l = 0; l < c->layers; l++) {
		int In = rnn_layer_input(c, l);
		for (int d = 0; d < dirs; d++)
			if (cell_forward(m, T, B, In, d, in, &m->p.rnn[l][d], m->y[l] + d * H, D,
					 m->act[l][d], m->extra[l][d]))
				return -1;
		in = m->y[l];
	}
	if (pool_forward_cuda(c->pool, T, B, H, dirs, m->len, m->y[c->layers - 1], m->pooled,
			      m->arg, st) ||
	    linear_forward_cuda(B, D, K, m->pooled, m->p.fc_w, m->p.fc_b, m->out, st))
		return -1;
	/* all bits set is a NaN: the loss of a forward without one */
	CUDA_CHECK(cudaMemsetAsync(&m->status->loss, 0xff, sizeof(float), st));
	if (c->task == RNN_TASK_CLASSIFY)
		return softmax_xent_forward_cuda(B, K, m->out, want_loss ? m->labels : NULL,
						 m->probs, want_loss ? &m->status->loss : NULL, st);
	if (want_loss)
		return mse_forward_cuda(B, K, m->out, m->targets, &m->status->loss, st);
	return 0;
}

static int backward(struct rnn_cuda_model *m, const struct rnn_batch *b)
{
	const struct rnn_config *c = &m->layout.cfg;
	const int B = b->B, T = b->T, H = c->hidden, dirs = rnn_dirs(c), D = H * dirs;
	const int K = c->outputs;
	cudaStream_t st = m->compute;
	if (c->task == RNN_TASK_CLASSIFY) {
		if (softmax_xent_backward_cuda(B, K, m->probs, m->labels, m->dout, st))
			return -1;
	} else if (mse_backward_cuda(B, K, m->out, m->targets, m->dout, st)) {
		return -1;
	}
	if (linear_backward_cuda(B, D, K, m->pooled, m->p.fc_w, m->dout, m->dpooled, m->g.fc_w,
				 m->g.fc_b, st))
		return -1;
	float *dy = m->d0, *dx = m->d1;
	if (pool_backward_cuda(c->pool, T, B, H, dirs, m->len, m->arg, m->dpooled, dy, st))
		return -1;
	for (int l = c->layers - 1; l >= 0; l--) {
		int In = rnn_layer_input(c, l);
		const float *in = l ? m->y[l - 1] : m->x0;
		float *dxl = l || c->task == RNN_TASK_CLASSIFY ? dx : NULL;
		for (int d = 0; d < dirs; d++)
			if (cell_backward(m, T, B, In, d, in, &m->p.rnn[l][d], m->y[l] + d * H,
					  dy + d * H, D, m->act[l][d], m->extra[l][d], dxl, d > 0,
					  &m->g.rnn[l][d]))
				return -1;
		float *tmp = dy;
		dy = dx;
		dx = tmp;
	}
	if (c->task == RNN_TASK_CLASSIFY) {
		/* sorted positions: the deterministic gradient, and the rows the
		 * next step zeroes and lazy Adam updates */
		if (embedding_sort_cuda(T, B, m->ids, rec_lengths(m), &m->sort, st))
			return -1;
		if (m->opt.embed_grad_atomic)
			return embedding_backward_cuda(T, B, c->embed, m->ids, rec_lengths(m), dy,
						       m->g.embedding, st);
		return embedding_backward_sorted_cuda(c->embed, &m->sort, dy, m->g.embedding, st);
	}
	return 0;
}

/* ---- the fused step: norm, clipping, guard, Adam ---- */

__global__ void step_finish_kernel(struct step_status *st, float max_norm)
{
	double norm = sqrt(st->sumsq);
	st->norm = norm;
	st->ok = isfinite(st->loss) && isfinite(norm);
	/* torch.nn.utils.clip_grad_norm_, as rnn_model_clip_grad */
	st->clip = max_norm > 0 && norm > (double)max_norm;
	st->scale = st->clip ? (float)((double)max_norm / (norm + 1e-6)) : 1.0f;
}

/* Adam over two spans [0, n0) and [off1, off1 + n1) of the state buffers;
 * nothing when the guard says no. */
__global__ void adam_step_kernel(size_t n0, size_t off1, size_t n1, float *__restrict__ p,
				 const float *__restrict__ g, float *__restrict__ m,
				 float *__restrict__ v, adam_coef_d c,
				 const struct step_status *__restrict__ st)
{
	if (!st->ok)
		return;
	const bool clip = st->clip;
	const float s = st->scale;
	const size_t n = n0 + n1;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x) {
		size_t k = i < n0 ? i : off1 + (i - n0);
		float gi = g[k];
		if (clip)
			gi = __fmul_rn(gi, s);
		adam_elem(p + k, gi, m + k, v + k, c);
	}
}

/* Lazy Adam: the embedding rows the batch touched (one warp per row). */
__global__ void adam_sorted_rows_kernel(int n, uint32_t V, int E, const uint32_t *__restrict__ keys,
					float *__restrict__ p, const float *__restrict__ g,
					float *__restrict__ m, float *__restrict__ v, adam_coef_d c,
					const struct step_status *__restrict__ st)
{
	if (!st->ok)
		return;
	const int w = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5);
	const int lane = threadIdx.x & 31;
	int end;
	if (!emb_run_start(keys, n, V, w, &end))
		return;
	const bool clip = st->clip;
	const float s = st->scale;
	const size_t off = (size_t)keys[w] * E;
	for (int e = lane; e < E; e += 32) {
		float gi = g[off + e];
		if (clip)
			gi = __fmul_rn(gi, s);
		adam_elem(p + off + e, gi, m + off + e, v + off + e, c);
	}
}

static int check_optim(const struct rnn_optim *o)
{
	if (!(o->lr >= 0) || !(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1) ||
	    !(o->eps >= 0) || !(o->weight_decay >= 0))
		return error("model: invalid Adam settings (lr %g, betas %g %g, eps %g, weight "
			     "decay %g)",
			     o->lr, o->beta1, o->beta2, o->eps, o->weight_decay);
	return 0;
}

/* The floats outside the embedding: one span (model_step.c's dense_start). */
static size_t dense_start(const struct rnn_cuda_model *m)
{
	return m->layout.cfg.task == RNN_TASK_CLASSIFY ? m->layout.tensors[1].offset : 0;
}

static int optimizer_step(struct rnn_cuda_model *m, const struct rnn_optim *o, float max_norm)
{
	const struct rnn_config *c = &m->layout.cfg;
	cudaStream_t st = m->compute;
	if (sumsq_cuda(m->layout.total, m->grads, &m->status->sumsq, st))
		return -1;
	step_finish_kernel<<<1, 1, 0, st>>>(m->status, max_norm);
	CUDA_LAUNCHED("step_finish_kernel");
	adam_coef_d k = adam_coef_make(o->lr, o->beta1, o->beta2, o->eps, o->weight_decay,
				       o->adamw, m->adam_step + 1);
	const size_t ds = dense_start(m);
	const int classify = c->task == RNN_TASK_CLASSIFY;
	const size_t n0 = classify && !o->sparse_embedding ? (size_t)c->vocab * c->embed : 0;
	const size_t n1 = m->layout.total - ds;
	adam_step_kernel<<<cuda_blocks(n0 + n1, 256), 256, 0, st>>>(
		n0, ds, n1, m->params, m->grads, m->adam_m, m->adam_v, k, m->status);
	CUDA_LAUNCHED("adam_step_kernel");
	if (classify && o->sparse_embedding && m->sort.n > 0) {
		adam_sorted_rows_kernel<<<cuda_blocks((size_t)m->sort.n * 32, 256), 256, 0, st>>>(
			m->sort.n, (uint32_t)m->sort.V, c->embed, m->sort.keys, m->p.embedding,
			m->g.embedding, m->m.embedding, m->v.embedding, k, m->status);
		CUDA_LAUNCHED("adam_sorted_rows_kernel");
	}
	return 0;
}

/* Zeroes the gradients: the dense span, and the embedding rows the last
 * sorted batch touched (the others are zero already). */
static int zero_grad(struct rnn_cuda_model *m)
{
	const size_t ds = dense_start(m);
	CUDA_CHECK(cudaMemsetAsync(m->grads + ds, 0, sizeof(float) * (m->layout.total - ds),
				   m->compute));
	if (m->layout.cfg.task == RNN_TASK_CLASSIFY && m->sort.n > 0 &&
	    embedding_rows_zero_cuda(m->layout.cfg.embed, &m->sort, m->g.embedding, m->compute))
		return -1;
	return 0;
}

/* Queues the copy of the last forward's outputs into out_host (the
 * probabilities or predictions, then for classify the logits); they are on
 * the host after finish(). */
static int copy_outputs(struct rnn_cuda_model *m, int B)
{
	const struct rnn_config *c = &m->layout.cfg;
	const size_t n = (size_t)B * c->outputs, stride = (size_t)m->max_batch * c->outputs;
	const int classify = c->task == RNN_TASK_CLASSIFY;
	CUDA_CHECK(cudaMemcpyAsync(m->out_host, classify ? m->probs : m->out, sizeof(float) * n,
				   cudaMemcpyDeviceToHost, m->compute));
	if (classify)
		CUDA_CHECK(cudaMemcpyAsync(m->out_host + stride, m->out, sizeof(float) * n,
					   cudaMemcpyDeviceToHost, m->compute));
	return 0;
}

/* The end of a call: the device batch may be overwritten, the status comes
 * back. */
static int finish(struct rnn_cuda_model *m)
{
	CUDA_CHECK(cudaEventRecord(m->consumed, m->compute));
	CUDA_CHECK(cudaMemcpyAsync(m->status_host, m->status, sizeof(struct step_status),
				   cudaMemcpyDeviceToHost, m->compute));
	CUDA_CHECK(cudaStreamSynchronize(m->compute));
	CUDA_CHECK(cudaGetLastError());
	return 0;
}

/* rnn_cuda_timing's events: recorded on the compute stream after the step's
 * wait for its batch, and after its last copy back. */
static int time_begin(struct rnn_cuda_model *m)
{
	CUDA_CHECK(cudaEventRecord(m->t_begin, m->compute));
	return 0;
}

static int time_end(struct rnn_cuda_model *m)
{
	CUDA_CHECK(cudaEventRecord(m->t_end[m->t_cur], m->compute));
	return 0;
}

/* After finish() (the stream is idle, every event recorded so far has
 * completed): adds the step and, when the previous call was a train step
 * too, the gap before it. */
static int time_account(struct rnn_cuda_model *m)
{
	float busy = 0, gap = 0;
	CUDA_CHECK(cudaEventElapsedTime(&busy, m->t_begin, m->t_end[m->t_cur]));
	m->timing.steps++;
	m->timing.busy_s += busy > 0 ? busy * 1e-3 : 0;
	if (m->t_chain) {
		CUDA_CHECK(cudaEventElapsedTime(&gap, m->t_end[m->t_cur ^ 1], m->t_begin));
		double g = gap > 0 ? gap * 1e-3 : 0;
		m->timing.gaps++;
		m->timing.idle_s += g;
		if (g > m->timing.max_idle_s)
			m->timing.max_idle_s = g;
	}
	m->t_cur ^= 1;
	m->t_chain = 1;
	return 0;
}

extern "C" void rnn_cuda_timing(const struct rnn_cuda_model *m, struct rnn_cuda_timing *t)
{
	*t = m->timing;
}

extern "C" int rnn_cuda_train_step(struct rnn_cuda_model *m, const struct rnn_batch *b,
				   const struct rnn_optim *o, float max_norm, float *loss,
				   double *norm)
{
	float l = NAN;
	double n = NAN;
	int rc = -1;
	if (loss)
		*loss = l;
	if (norm)
		*norm = n;
	if (!m->training)
		return error("model: training step on an inference-only model");
	if (check_optim(o) || check_batch(m, b, 1))
		return -1;
	m->out_rows = 0;
	if (stage_batch(m, b) || time_begin(m) || zero_grad(m) || forward(m, b, 1) ||
	    backward(m, b) || optimizer_step(m, o, max_norm) || copy_outputs(m, b->B) ||
	    time_end(m) || finish(m) || time_account(m))
		return -1;
	m->out_rows = b->B;
	const struct step_status *s = m->status_host;
	l = s->loss;
	if (!isfinite(l)) {
		rc = 1; /* the CPU stops before backward: no norm */
	} else {
		n = s->norm;
		rc = s->ok ? 0 : 1;
	}
	if (rc == 0)
		m->adam_step++;
	if (loss)
		*loss = l;
	if (norm)
		*norm = n;
	return rc;
}

extern "C" int rnn_cuda_forward(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out,
				float *loss)
{
	const struct rnn_config *c = &m->layout.cfg;
	m->out_rows = 0;
	m->t_chain = 0;
	if (check_batch(m, b, loss != NULL) || stage_batch(m, b) || forward(m, b, loss != NULL) ||
	    copy_outputs(m, b->B) || finish(m))
		return -1;
	m->out_rows = b->B;
	if (out)
		memcpy(out, m->out_host, sizeof(float) * b->B * c->outputs);
	if (loss)
		*loss = m->status_host->loss;
	return 0;
}

extern "C" int rnn_cuda_outputs(const struct rnn_cuda_model *m, const float **out,
				const float **logits)
{
	const struct rnn_config *c = &m->layout.cfg;
	*out = m->out_rows ? m->out_host : NULL;
	*logits = m->out_rows && c->task == RNN_TASK_CLASSIFY
			  ? m->out_host + (size_t)m->max_batch * c->outputs
			  : NULL;
	return m->out_rows;
}

extern "C" int rnn_cuda_predict(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out)
{
	return rnn_cuda_forward(m, b, out, NULL);
}
