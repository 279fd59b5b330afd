/* kernels_cpu.h - the RNN math contract, CPU reference (the test oracle and
 * the fallback).  kernels/<op>_cuda.cu implements the same functions with
 * _cuda instead of _cpu, same arguments in the same order (plus a stream).
 *
 * Legend: T time steps, B batch, E embedding size, I input size of a layer
 * (In in code: complex.h, pulled in by cblas.h, defines I), H hidden, G gates (1 RNN tanh, 4 LSTM i,f,g,o, 3 GRU r,z,n), V vocab,
 * C classes, K outputs, D = dirs * H.  Activations are time-major: element
 * (t, b, j) of a (T, B, N) buffer is at [(t * B + b) * N + j]; batches given
 * by callers (ids, float inputs) are batch-major (B, T).  len (B) holds real
 * lengths in [1, T]; len == NULL means every step is real.  Padding steps
 * (t >= len[b]) produce exact zeros in y and the cell state and receive no
 * gradient, so a reverse direction starts at len[b]-1 from a zero state.
 * Kernels never allocate and never fail: shapes are checked by the caller
 * (common/model_step.c); scratch comes in as ws, sized by the _ws functions.
 */
#ifndef RNNPIPE_KERNELS_CPU_H
#define RNNPIPE_KERNELS_CPU_H

#include <stddef.h>
#include <stdint.h>

/* ---- embedding_cpu.c ---- */

/* x[t, b] = emb[ids[b, t]] at real positions, 0 at padding (ids there are
 * not read, so they may hold anything). */
void embedding_forward_cpu(int T, int B, int E,
			   const int32_t *ids, // (B, T)
			   const int32_t *len, // (B) or NULL
			   const float *emb,   // (V, E)
			   float *x);          // (T, B, E) out

/* demb[ids[b, t]] += dx[t, b] at real positions, in order t = 0.., b = 0.. */
void embedding_backward_cpu(int T, int B, int E,
			    const int32_t *ids, // (B, T)
			    const int32_t *len, // (B) or NULL
			    const float *dx,    // (T, B, E)
			    float *demb);       // (V, E) accumulated

/* Float sequences to time-major: x[t, b] = in[b, t] at real positions, 0 at
 * padding (regression input). */
void sequence_forward_cpu(int T, int B, int In,
			  const float *in,    // (B, T, I)
			  const int32_t *len, // (B) or NULL
			  float *x);          // (T, B, I) out

/* ---- rnn_tanh_cpu.c, lstm_cpu.c, gru_cpu.c: one direction of one layer ----
 *
 * Forward over all T steps (reverse = 1 runs t = T-1 .. 0).  The input
 * projection of all steps is one GEMM, then the recurrence runs one
 * (B, H) x (H, G*H) GEMM per step.  y is written in columns [0, H) of rows
 * of width ldy, so both directions of a bidirectional layer write one
 * (T, B, 2H) buffer (the reverse one at y + H).  Saved for backward:
 *   act   (T, B, G*H) gate activations: RNN h (pre-copy of y), LSTM
 *         sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), GRU r, z, n;
 *   extra (T, B, H)   LSTM cell states c, GRU W_hn h + b_hn, RNN unused
 *         (NULL allowed).
 * Backward ADDS into dw_ih, dw_hh, db_ih, db_hh; dx (may be NULL) is
 * overwritten (dx_accumulate = 0) or added to (1).  dy has the layout of y
 * (same ldy) and is the loss gradient w.r.t. the outputs of this direction
 * (from pooling or the layer above); it is not modified. */

size_t rnn_tanh_forward_ws(int B, int H);
size_t rnn_tanh_backward_ws(int T, int B, int H);
void rnn_tanh_forward_cpu(int T, int B, int In, int H, int reverse,
			  const float *x,     // (T, B, I)
			  const int32_t *len, // (B) or NULL
			  const float *w_ih,  // (H, I)
			  const float *w_hh,  // (H, H)
			  const float *b_ih,  // (H)
			  const float *b_hh,  // (H)
			  float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
			  float *act,         // (T, B, H) out
			  float *extra,       // unused
			  float *ws);         // rnn_tanh_forward_ws(B, H)
void rnn_tanh_backward_cpu(int T, int B, int In, int H, int reverse,
			   const float *x,     // (T, B, I)
			   const int32_t *len, // (B) or NULL
			   const float *w_ih,  // (H, I)
			   const float *w_hh,  // (H, H)
			   const float *y,     // (T, B, ldy)
			   const float *dy,    // (T, B, ldy)
			   int ldy,
			   const float *act,   // (T, B, H)
			   const float *extra, // unused
			   float *dx,          // (T, B, I) or NULL
			   int dx_accumulate,
			   float *dw_ih,       // (H, I) +=
			   float *dw_hh,       // (H, H) +=
			   float *db_ih,       // (H) +=
			   float *db_hh,       // (H) +=
			   float *ws);         // rnn_tanh_backward_ws(T, B, H)

size_t lstm_forward_ws(int B, int H);
size_t lstm_backward_ws(int T, int B, int H);
void lstm_forward_cpu(int T, int B, int In, int H, int reverse,
		      const float *x,     // (T, B, I)
		      const int32_t *len, // (B) or NULL
		      const float *w_ih,  // (4*H, I)
		      const float *w_hh,  // (4*H, H)
		      const float *b_ih,  // (4*H)
		      const float *b_hh,  // (4*H)
		      float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
		      float *act,         // (T, B, 4*H) out
		      float *extra,       // (T, B, H) out: cell states
		      float *ws);         // lstm_forward_ws(B, H)
void lstm_backward_cpu(int T, int B, int In, int H, int reverse,
		       const float *x,     // (T, B, I)
		       const int32_t *len, // (B) or NULL
		       const float *w_ih,  // (4*H, I)
		       const float *w_hh,  // (4*H, H)
		       const float *y,     // (T, B, ldy)
		       const float *dy,    // (T, B, ldy)
		       int ldy,
		       const float *act,   // (T, B, 4*H)
		       const float *extra, // (T, B, H) cell states
		       float *dx,          // (T, B, I) or NULL
		       int dx_accumulate,
		       float *dw_ih,       // (4*H, I) +=
		       float *dw_hh,       // (4*H, H) +=
		       float *db_ih,       // (4*H) +=
		       float *db_hh,       // (4*H) +=
		       float *ws);         // lstm_backward_ws(T, B, H)

size_t gru_forward_ws(int B, int H);
size_t gru_backward_ws(int T, int B, int H);
void gru_forward_cpu(int T, int B, int In, int H, int reverse,
		     const float *x,     // (T, B, I)
		     const int32_t *len, // (B) or NULL
		     const float *w_ih,  // (3*H, I)
		     const float *w_hh,  // (3*H, H)
		     const float *b_ih,  // (3*H)
		     const float *b_hh,  // (3*H)
		     float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
		     float *act,         // (T, B, 3*H) out
		     float *extra,       // (T, B, H) out: W_hn h_prev + b_hn
		     float *ws);         // gru_forward_ws(B, H)
void gru_backward_cpu(int T, int B, int In, int H, int reverse,
		      const float *x,     // (T, B, I)
		      const int32_t *len, // (B) or NULL
		      const float *w_ih,  // (3*H, I)
		      const float *w_hh,  // (3*H, H)
		      const float *y,     // (T, B, ldy)
		      const float *dy,    // (T, B, ldy)
		      int ldy,
		      const float *act,   // (T, B, 3*H)
		      const float *extra, // (T, B, H)
		      float *dx,          // (T, B, I) or NULL
		      int dx_accumulate,
		      float *dw_ih,       // (3*H, I) +=
		      float *dw_hh,       // (3*H, H) +=
		      float *db_ih,       // (3*H) +=
		      float *db_hh,       // (3*H) +=
		      float *ws);         // gru_backward_ws(T, B, H)

/* ---- pool_cpu.c ----  mode is an enum rnn_pool (rnn_model.h). */

void pool_forward_cpu(int mode, int T, int B, int H, int dirs,
		      const int32_t *len, // (B); ignored by RNN_POOL_LAST_PADDED
		      const float *y,     // (T, B, dirs*H) last layer outputs
		      float *out,         // (B, dirs*H) out
		      int32_t *arg);      // (B, dirs*H) out: argmax step (MAX only; else may be NULL)
void pool_backward_cpu(int mode, int T, int B, int H, int dirs,
		       const int32_t *len, // (B)
		       const int32_t *arg, // (B, dirs*H) from forward (MAX only)
		       const float *dout,  // (B, dirs*H)
		       float *dy);         // (T, B, dirs*H) overwritten

/* ---- linear_cpu.c ---- y = x w^T + b (torch.nn.Linear) */

void linear_forward_cpu(int B, int N, int K,
			const float *x, // (B, N)
			const float *w, // (K, N)
			const float *b, // (K)
			float *y);      // (B, K) out
void linear_backward_cpu(int B, int N, int K,
			 const float *x,  // (B, N)
			 const float *w,  // (K, N)
			 const float *dy, // (B, K)
			 float *dx,       // (B, N) overwritten, or NULL
			 float *dw,       // (K, N) +=
			 float *db);      // (K) +=

/* ---- loss_cpu.c ---- losses accumulate in double, reported as float */

/* probs = softmax(logits); *loss = mean_b -log probs[b, labels[b]] when
 * labels and loss are not NULL. */
void softmax_xent_forward_cpu(int B, int C,
			      const float *logits,   // (B, C)
			      const int32_t *labels, // (B) or NULL
			      float *probs,          // (B, C) out
			      float *loss);          // (1) out or NULL
/* dlogits = (probs - onehot(labels)) / B */
void softmax_xent_backward_cpu(int B, int C,
			       const float *probs,    // (B, C)
			       const int32_t *labels, // (B)
			       float *dlogits);       // (B, C) out
/* *loss = mean over B*K of (pred - target)^2 (torch.nn.MSELoss) */
void mse_forward_cpu(int B, int K,
		     const float *pred,   // (B, K)
		     const float *target, // (B, K)
		     float *loss);        // (1) out
/* dpred = 2 (pred - target) / (B*K) */
void mse_backward_cpu(int B, int K,
		      const float *pred,   // (B, K)
		      const float *target, // (B, K)
		      float *dpred);       // (B, K) out

/* ---- adam_cpu.c ---- torch.optim.Adam / AdamW (amsgrad off), float32
 * state, one step numbered step >= 1 (already incremented):
 *   AdamW:  p *= 1 - lr * wd               Adam:  g += wd * p
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 * g == NULL means a zero gradient (same result as passing zeros). */

void adam_cpu(size_t n, float *p, const float *g, float *m, float *v, double lr, double beta1,
	      double beta2, double eps, double weight_decay, int adamw, long step);

/* The same update on the listed rows of (V, E) tensors only (lazy Adam for
 * the embedding); rows must be distinct. */
void adam_rows_cpu(int n_rows, const int32_t *rows, int E, float *p, const float *g, float *m,
		   float *v, double lr, double beta1, double beta2, double eps, double weight_decay,
		   int adamw, long step);

/* ---- gradutil_cpu.c ---- */

void sumsq_cpu(size_t n, const float *x, double *out); /* *out = sum x^2 (double) */
void scale_cpu(size_t n, float *x, float s);           /* x *= s */
void count_nonfinite_cpu(size_t n, const float *x, size_t *out); /* NaN and Inf */

/* ---- threads_cpu.c ---- the threads of the recurrences and products
 * (process-wide; OpenBLAS itself stays single-threaded).  Work is split by
 * rows (cell_cpu.h); the same n always gives the same bits. */
void cpu_set_threads(int n);
int cpu_threads(void);

/* Runs fn(ctx, lo, hi) over [0, n) cut into `parts` contiguous ranges (at
 * most 16), one thread each: the calling thread runs the first, and a
 * range whose thread cannot start runs here after it.  parts < 2: one call
 * here.  The caller picks parts (cpu_threads() or fewer for small n). */
typedef void (*cpu_range_fn)(void *ctx, size_t lo, size_t hi);
void cpu_parallel(size_t n, int parts, cpu_range_fn fn, void *ctx);

/* The floating-point mode of the model's calls (rnn_model.h): subnormal
 * floats (below 1.18e-38) are flushed to zero, as operands and as results
 * (x86's DAZ and FTZ), from cpu_fp_enter() to cpu_fp_leave(), on the
 * calling thread and on cpu_parallel's threads.  An Intel core takes
 * about a hundred cycles for an operation on a subnormal, and the
 * gradients that flow back through 256 steps become subnormal: a GRU's
 * training step was 5x slower for it.  Elsewhere than x86 (or in a build
 * without SSE) the mode stays as it is. */
unsigned cpu_fp_enter(void); /* returns the caller's mode, for cpu_fp_leave */
void cpu_fp_leave(unsigned saved);

#endif
