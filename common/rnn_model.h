/* rnn_model.h - the recurrent model: configuration, the parameter layout under
 * PyTorch's state_dict names, PyTorch's default initialisation, and the
 * model-level API (forward, backward, clipping, Adam/AdamW) on the CPU kernels.
 *
 * Legend used in shape comments: T time steps, B batch, E embedding size,
 * I input size of a layer, H hidden, D = H * dirs, G gates (1 RNN, 4 LSTM,
 * 3 GRU), V vocabulary, C classes, K outputs (C, or regression outputs).
 * Activations are time-major (T, B, .); batches arrive batch-major (B, T).
 * Does not read or write model files and does not run epochs (stages/train).
 * docs/model.md has the equations, pooling semantics and tolerances.
 */
#ifndef RNNPIPE_RNN_MODEL_H
#define RNNPIPE_RNN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

enum rnn_cell { RNN_CELL_RNN = 0, RNN_CELL_LSTM = 1, RNN_CELL_GRU = 2 };
enum rnn_task { RNN_TASK_CLASSIFY = 0, RNN_TASK_REGRESS = 1 };
/* What the classifier sees (docs/model.md):
 *  LAST        state at each sequence's last real token, last layer;
 *              bidirectional: [forward at len-1, backward at step 0], exactly
 *              pack_padded_sequence + h_n;
 *  MEAN, MAX   over the real tokens of the last layer's outputs;
 *  LAST_PADDED the reference notebook's output[:, -1]: the RNN runs over the
 *              padding too (lengths ignored) and reads step T-1 (backward
 *              direction: its first step, started at the padded end). */
enum rnn_pool { RNN_POOL_LAST = 0, RNN_POOL_MEAN = 1, RNN_POOL_MAX = 2, RNN_POOL_LAST_PADDED = 3 };

#define RNN_MAX_LAYERS 8
#define RNN_MAX_TENSORS (1 + RNN_MAX_LAYERS * 2 * 4 + 2)
#define RNN_ALIGN_FLOATS 16 /* every tensor starts on a 64-byte boundary */

struct rnn_config {
	enum rnn_cell cell;
	enum rnn_task task;
	int vocab;         /* V: embedding rows (classify); 0 for regress */
	int embed;         /* E: embedding width (classify); 0 for regress */
	int input_size;    /* floats per step (regress); classify: set to embed */
	int hidden;        /* H >= 1 */
	int layers;        /* 1 .. RNN_MAX_LAYERS */
	int bidirectional; /* 0 or 1 */
	int outputs;       /* K: classes (classify, >= 2) or regression outputs (>= 1) */
	enum rnn_pool pool;
};

/* Names as used on command lines and in model files: "rnn" "lstm" "gru";
 * "classify" "regress"; "last" "mean" "max" "last-padded".  The parsers
 * return -1 (no message) for an unknown name. */
const char *rnn_cell_name(enum rnn_cell c);
const char *rnn_task_name(enum rnn_task t);
const char *rnn_pool_name(enum rnn_pool p);
int rnn_cell_parse(const char *s);
int rnn_task_parse(const char *s);
int rnn_pool_parse(const char *s);

/* Gates per cell: 1 (RNN tanh), 4 (LSTM i,f,g,o), 3 (GRU r,z,n). */
int rnn_cell_gates(enum rnn_cell c);
/* Floats of scratch one layer-direction of cell c needs (the *_ws sizes of
 * kernels_cpu.h, which the CUDA cells share): forward over B sequences,
 * backward over T steps of B. */
size_t rnn_cell_forward_ws(enum rnn_cell c, int B, int H);
size_t rnn_cell_backward_ws(enum rnn_cell c, int T, int B, int H);
static inline int rnn_dirs(const struct rnn_config *c) { return c->bidirectional ? 2 : 1; }
/* Input size of layer l: embed/input_size for l = 0, else H * dirs. */
int rnn_layer_input(const struct rnn_config *c, int l);

/* Checks ranges and consistency; 0, or -1 after error(). Sets input_size =
 * embed for classification. */
int rnn_config_check(struct rnn_config *c);

/* ---- parameter layout ---- */

struct rnn_tensor {
	char name[48];  /* state_dict name, e.g. "rnn.weight_hh_l1_reverse" */
	int ndim;       /* 2 for weights, 1 for biases */
	int rows, cols; /* PyTorch shape (rows, cols); 1-D tensors have cols = 1 */
	size_t offset;  /* in floats from the allocation start, multiple of 16 */
	size_t numel;   /* rows * cols */
};

/* Tensors in state_dict order: embedding.weight (classify only), then per
 * layer l, per direction (forward, then _reverse): rnn.weight_ih_l{l}
 * (G*H, I), rnn.weight_hh_l{l} (G*H, H), rnn.bias_ih_l{l} (G*H),
 * rnn.bias_hh_l{l} (G*H); then fc.weight (K, D), fc.bias (K). */
struct rnn_layout {
	struct rnn_config cfg;
	int n_tensors;
	struct rnn_tensor tensors[RNN_MAX_TENSORS];
	size_t total;   /* floats in one allocation, alignment padding included */
};

/* Builds the layout of a checked config (calls rnn_config_check); 0 or -1. */
int rnn_layout_build(const struct rnn_config *cfg, struct rnn_layout *out);
/* The tensor named name, or NULL. */
const struct rnn_tensor *rnn_layout_find(const struct rnn_layout *l, const char *name);

struct rnn_dir_params {
	float *w_ih; /* (G*H, I) */
	float *w_hh; /* (G*H, H) */
	float *b_ih; /* (G*H) */
	float *b_hh; /* (G*H) */
};

/* Named pointers into one allocation laid out by an rnn_layout: works for
 * parameters, gradients and Adam moments alike. */
struct rnn_view {
	float *embedding; /* (V, E); NULL for regress */
	struct rnn_dir_params rnn[RNN_MAX_LAYERS][2];
	float *fc_w;      /* (K, D) */
	float *fc_b;      /* (K) */
};
void rnn_view_of(const struct rnn_layout *l, float *base, struct rnn_view *out);

/* 64-byte aligned, zeroed floats; NULL after error(). Free with free(). */
float *rnn_alloc_floats(size_t n);

/* Random numbers: the project's one generator, struct rng (rng.h). */

/* PyTorch's default initialisation from our PRNG (same distributions, not
 * the same numbers as torch.manual_seed): embedding N(0, 1); every rnn.*
 * tensor U(-1/sqrt(H), 1/sqrt(H)); fc.weight kaiming_uniform(a=sqrt(5)),
 * i.e. U(-1/sqrt(D), 1/sqrt(D)); fc.bias U(-1/sqrt(D), 1/sqrt(D)).  Tensors
 * are filled in layout order from one stream seeded with seed. */
void rnn_params_init(const struct rnn_layout *l, float *params, uint64_t seed);

/* ---- threads ---- */

/* Threads of the CPU engine: its products and recurrences (split by rows,
 * cpu_set_threads in kernels_cpu.h; OpenBLAS itself stays single-threaded)
 * and its element-wise loops (Adam, clipping).  Process-wide.  Results are
 * bit-identical run to run; docs/model.md says what changes with the
 * count.  Default 1 until set. */
void rnn_set_threads(int n);
int rnn_threads(void);

/* ---- the model ---- */

/* A batch.  ids or inputs by task; labels or targets may be NULL (forward
 * then computes outputs only). */
struct rnn_batch {
	int B, T;
	const int32_t *ids;     /* (B, T) token ids in [0, V) at real positions (classify) */
	const float *inputs;    /* (B, T, input_size) (regress) */
	const int32_t *lengths; /* (B) real lengths in [1, T]; positions >= length are padding */
	const int32_t *labels;  /* (B) classes in [0, C) (classify) */
	const float *targets;   /* (B, K) (regress) */
};

struct rnn_optim {
	int adamw;          /* 0: torch.optim.Adam (weight decay added to the
			       gradient), 1: torch.optim.AdamW (decoupled) */
	double lr, beta1, beta2, eps, weight_decay;
	int sparse_embedding; /* 1: lazy Adam on the embedding: only rows seen
				 at real positions since the last zero_grad are
				 updated (docs/model.md); other tensors dense */
};
/* torch.optim.Adam defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no
 * weight decay, dense. */
void rnn_optim_defaults(struct rnn_optim *o);

struct rnn_work; /* private to model_step.c */

struct rnn_model {
	struct rnn_layout layout;
	int max_batch, max_steps;
	int training;        /* grads, Adam state and backward buffers exist */
	float *params;       /* layout.total floats */
	float *grads;        /* same layout; NULL unless training */
	float *adam_m;       /* same layout; NULL unless training */
	float *adam_v;       /* same layout; NULL unless training */
	long adam_step;      /* Adam steps taken (PyTorch's state['step']) */
	struct rnn_view p, g, m, v; /* named views of the four buffers */
	float *out;          /* (max_batch, K) last forward: logits or predictions */
	float *probs;        /* (max_batch, K) softmax of out (classify) */
	struct rnn_work *work;
};

/* Floats of activation workspace for a batch of B x T (what
 * rnn_model_create allocates for max_batch x max_steps), without or with
 * the backward buffers. */
size_t rnn_workspace_floats(const struct rnn_config *cfg, int B, int T, int training);

/* Allocates a model for batches up to max_batch x max_steps, parameters
 * zeroed (call rnn_model_init or fill params).  training = 0 makes an
 * inference-only model (no grads, no Adam state).  NULL after error().
 * Free with rnn_model_free (NULL is fine). */
struct rnn_model *rnn_model_create(const struct rnn_config *cfg, int max_batch, int max_steps,
				   int training);
void rnn_model_free(struct rnn_model *m);

/* rnn_params_init(seed) and reset of grads and Adam state. */
void rnn_model_init(struct rnn_model *m, uint64_t seed);

/* Checks a batch against a model's config and capacity: sizes, lengths in
 * 1..T, ids inside the vocabulary at the positions the model reads, labels
 * inside 0..C-1, and labels/targets present when need_targets.  Shared by
 * the CPU and CUDA models.  0, or -1 after error(). */
int rnn_batch_check(const struct rnn_config *c, int max_batch, int max_steps,
		    const struct rnn_batch *b, int need_targets);

/* Forward pass; keeps what backward needs.  Writes m->out (B, K) and, for
 * classification, m->probs; when labels/targets are given and loss is not
 * NULL, *loss = mean cross-entropy over the batch, or MSE (mean over B*K).
 * Checks the batch (sizes, lengths, ids, labels): -1 after error(). */
int rnn_model_forward(struct rnn_model *m, const struct rnn_batch *b, float *loss);

/* Backward pass for the batch of the last forward (same struct, labels or
 * targets required).  ADDS the gradients of the loss into m->grads, like
 * PyTorch's .backward(); call rnn_model_zero_grad first.  -1 after error(). */
int rnn_model_backward(struct rnn_model *m, const struct rnn_batch *b);

/* Zeroes the gradients.  Cheap for the embedding: only rows touched since
 * the last zero_grad are non-zero, and only they are cleared. */
void rnn_model_zero_grad(struct rnn_model *m);

/* Global L2 norm of all gradients (double accumulation). */
double rnn_model_grad_norm(struct rnn_model *m);

/* torch.nn.utils.clip_grad_norm_: when the norm exceeds max_norm (> 0),
 * scales every gradient by max_norm / (norm + 1e-6).  Returns the norm
 * before clipping. */
double rnn_model_clip_grad(struct rnn_model *m, float max_norm);

/* 1 when every gradient is finite, else 0. */
int rnn_model_grads_finite(struct rnn_model *m);

/* One Adam/AdamW step from m->grads (increments m->adam_step first, like
 * PyTorch).  -1 after error() (not a training model, bad settings). */
int rnn_model_step(struct rnn_model *m, const struct rnn_optim *o);

/* zero_grad, forward, backward, clipping (max_norm <= 0: none), finiteness
 * check, step.  A non-finite loss or gradient makes it return 1 with the
 * parameters untouched (the NaN guard), -1 after error(), 0 when stepped.
 * *loss (may be NULL) gets the loss before the step, *norm (may be NULL)
 * the gradient norm before clipping. */
int rnn_model_train_step(struct rnn_model *m, const struct rnn_batch *b, const struct rnn_optim *o,
			 float max_norm, float *loss, double *norm);

/* The argmax step of each pooled element in the last forward, (B, D), for
 * max pooling; NULL for the other poolings.  For tests and diagnostics. */
const int32_t *rnn_model_pool_argmax(const struct rnn_model *m);

/* Inference: out (B, K) gets class probabilities (softmax) or regression
 * predictions.  Works on inference-only models.  -1 after error(). */
int rnn_model_predict(struct rnn_model *m, const struct rnn_batch *b, float *out);

#endif
