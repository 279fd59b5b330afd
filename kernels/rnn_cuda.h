/* rnn_cuda.h - the recurrent model on a CUDA GPU: the model-level API of
 * rnn_model.h (train step, forward, predict) with parameters, gradients and
 * Adam state in device memory, laid out by the same struct rnn_layout.
 *
 * Legend: B batch, T steps, K outputs; see rnn_model.h.  Batches are host
 * arrays (struct rnn_batch), copied through pinned buffers on a copy
 * stream; results come back as host values.  Model files and checkpoints
 * stay the CPU's business: upload a host struct rnn_model after init or
 * load, download into it before saving.  Plain C API; without CUDA at build
 * time (HAVE_CUDA=0) the same functions exist and report that CUDA is not
 * built in (rnn_cuda_absent.c), so callers need no #ifdef.
 * Not thread-safe: one host thread drives the GPU.  docs/cuda.md has the
 * design, the variants and the tolerances against the CPU.
 */
#ifndef RNNPIPE_RNN_CUDA_H
#define RNNPIPE_RNN_CUDA_H

#include <stddef.h>

#include "rnn_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a CUDA device can be used, else 0; silent (for --device auto).
 * Always 0 in a build without CUDA. */
int cuda_device_available(void);

struct rnn_cuda_options {
	int recurrence;        /* enum cuda_recurrence (kernels_cuda.h): 0 ref,
				  1 global, 2 smem, 3 cluster; default
				  CUDA_REC_DEFAULT (smem) */
	int embed_grad_atomic; /* 0: deterministic embedding gradient (sorted,
				  bit-identical to the CPU; default);
				  1: atomicAdd (faster, last bits vary) */
};
void rnn_cuda_options_defaults(struct rnn_cuda_options *o);

struct rnn_cuda_model; /* private to rnn_model_cuda.cu */

/* A device model for batches up to max_batch x max_steps (like
 * rnn_model_create), on the current CUDA device.  Parameters, gradients and
 * Adam moments start at zero: upload a host model next.  training = 0: no
 * gradients, Adam state or backward buffers.  opt NULL = defaults.  NULL
 * after error() (no device, out of device memory, bad config).  Free with
 * rnn_cuda_free (NULL is fine). */
struct rnn_cuda_model *rnn_cuda_create(const struct rnn_config *cfg, int max_batch,
				       int max_steps, int training,
				       const struct rnn_cuda_options *opt);
void rnn_cuda_free(struct rnn_cuda_model *m);

/* The layout the device buffers follow (a copy of the config's). */
const struct rnn_layout *rnn_cuda_layout(const struct rnn_cuda_model *m);

/* "cuda (NVIDIA H200, sm_90, 132 SMs; recurrence smem, embedding grad
 * sorted)": for log lines.  Returns buf. */
const char *rnn_cuda_describe(const struct rnn_cuda_model *m, char *buf, size_t size);

/* Host -> device: parameters; and when both are training models, the Adam
 * moments and step count.  Zeroes the device gradients.  The host model
 * must have the same layout (same config).  0, or -1 after error(). */
int rnn_cuda_upload(struct rnn_cuda_model *m, const struct rnn_model *host);

/* Device -> host: parameters; and when both are training models, the Adam
 * moments and host->adam_step (what a checkpoint needs).  The host's
 * gradients are not touched.  0, or -1 after error(). */
int rnn_cuda_download(struct rnn_cuda_model *m, struct rnn_model *host);

/* rnn_model_train_step on the GPU: zero_grad, forward, backward, clipping
 * (max_norm <= 0: none), NaN/Inf guard, Adam/AdamW step (o->sparse_embedding
 * as on the CPU).  Same return values: 0 stepped, 1 non-finite loss or
 * gradient (parameters and Adam state untouched), -1 after error() (a bad
 * batch or a CUDA failure).  *loss (may be NULL) gets the loss before the
 * step, *norm (may be NULL) the gradient norm before clipping (NaN when
 * the loss was not finite, as on the CPU).  Waits for the GPU before it
 * returns. */
int rnn_cuda_train_step(struct rnn_cuda_model *m, const struct rnn_batch *b,
			const struct rnn_optim *o, float max_norm, float *loss, double *norm);

/* Forward only (evaluation, prediction).  out (B, K), may be NULL: class
 * probabilities (classify) or predictions (regress).  *loss (may be NULL)
 * gets the mean loss, which needs labels or targets in the batch.  Works on
 * inference-only models.  0, or -1 after error(). */
int rnn_cuda_forward(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out,
		     float *loss);

/* The outputs of the last rnn_cuda_train_step or rnn_cuda_forward, on the
 * host (what m->probs and m->out are on the CPU): *out (B, K) class
 * probabilities or predictions, *logits (B, K) the classifier's outputs
 * before the softmax (NULL for regression).  Buffers owned by m, valid
 * until its next call.  Returns B, or 0 (both NULL) when the last call
 * failed or there was none. */
int rnn_cuda_outputs(const struct rnn_cuda_model *m, const float **out, const float **logits);

/* rnn_model_predict on the GPU: out (B, K) probabilities or predictions. */
int rnn_cuda_predict(struct rnn_cuda_model *m, const struct rnn_batch *b, float *out);

/* Diagnostics and tests: the device gradients of the last train step
 * (before clipping) into grads (layout total floats, host).  -1 after
 * error() or on an inference-only model. */
int rnn_cuda_download_grads(struct rnn_cuda_model *m, float *grads);

/* Where the device's time goes in training, timed with CUDA events on the
 * compute stream: busy_s sums, over the train steps, the time from the
 * step's first kernel (after its batch has arrived on the device) to its
 * last copy back; idle_s sums the gaps between one step's end and the
 * next step's first kernel, when the device has nothing of ours to do
 * (the host's turn-around: the batch reader, the loop, staging, the batch
 * copy).  A gap is counted only between consecutive train steps: a
 * forward, upload or download in between (validation, checkpoints) breaks
 * the chain.  Totals since rnn_cuda_create; zero in builds without CUDA. */
struct rnn_cuda_timing {
	long steps;        /* train steps timed */
	long gaps;         /* gaps counted (consecutive steps) */
	double busy_s;     /* device time inside steps */
	double idle_s;     /* device time between consecutive steps */
	double max_idle_s; /* the longest single gap */
};
void rnn_cuda_timing(const struct rnn_cuda_model *m, struct rnn_cuda_timing *t);

#ifdef __cplusplus
}
#endif

#endif
