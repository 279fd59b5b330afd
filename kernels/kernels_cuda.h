/* kernels_cuda.h - the RNN math contract on CUDA: the functions of
 * kernels_cpu.h with _cuda instead of _cpu, the same arguments in the same
 * order plus a trailing cudaStream_t, and a few device helpers for tests and
 * benchmarks.  Plain C, callable from C files built with RNNPIPE_CUDA=1.
 *
 * Legend: T time steps, B batch, E embedding size, I input size of a layer,
 * H hidden, G gates (1 RNN tanh, 4 LSTM i,f,g,o, 3 GRU r,z,n), V vocab,
 * C classes, K outputs, D = dirs * H, N = G * H.  Every pointer passed to a
 * _cuda function is DEVICE memory unless its comment says "host"; layouts,
 * semantics and workspace sizes (the *_ws functions of kernels_cpu.h) are
 * those of the CPU reference.  Differences from the CPU side, all because a
 * GPU launch can fail: the launchers return 0, or -1 after error() naming the
 * failed CUDA/cuBLAS call and its source line; scalar outputs (losses, sums)
 * are device pointers.  Launches are asynchronous on the stream; an error of
 * the kernel itself may surface at a later call.  One host thread drives
 * CUDA: the cuBLAS handle and the reduction scratch are process-wide.
 * Not provided: a CUDA path without a GPU (tests SKIP), multi-GPU.
 */
#ifndef RNNPIPE_KERNELS_CUDA_H
#define RNNPIPE_KERNELS_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#include <cuda_runtime.h>
#else
/* The runtime's own definition (driver_types.h), so C files need no CUDA
 * include path. */
typedef struct CUstream_st *cudaStream_t;
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device helpers (cuda_util.cu) ---- */

/* 1 when a CUDA device can be used, else 0; prints nothing (no driver, no
 * device, or a driver older than the runtime all give 0).  Cached. */
int cuda_device_available(void);
/* "NVIDIA H200, sm_90, 132 SMs" or "" when there is none. */
const char *cuda_device_name(void);
/* Compute capability as major*10 + minor (90 for Hopper), 0 without device. */
int cuda_device_cc(void);

/* Device memory: NULL (allocation) or -1 (copies) after error().  Copies
 * are synchronous (cudaMemcpy); *_async run on the stream and need pinned
 * host memory to be truly asynchronous. */
void *cuda_malloc(size_t bytes);
void cuda_free(void *dev);
int cuda_memset(void *dev, int byte, size_t bytes);
int cuda_upload(void *dev, const void *host, size_t bytes);
int cuda_download(void *host, const void *dev, size_t bytes);
/* Waits for all work on the device; reports a pending kernel error. */
int cuda_sync(void);

/* Event timer for benchmarks: start/stop on a stream, milliseconds. */
struct cuda_timer;
struct cuda_timer *cuda_timer_create(void);
void cuda_timer_free(struct cuda_timer *t);
int cuda_timer_start(struct cuda_timer *t, cudaStream_t s);
/* Records the stop event, waits for it, returns the elapsed ms or -1. */
double cuda_timer_stop(struct cuda_timer *t, cudaStream_t s);

/* ---- the recurrence variant (rnn_tanh/lstm/gru_*_cuda) ----
 * Process-wide, like rnn_set_threads().  Every variant computes the same
 * math; they differ in speed and in where W_hh lives during the T steps:
 *   REF      per step one cuBLAS GEMM (B, H) x (H, N) and one element-wise
 *            kernel (the shape of the CPU code; 2 launches per step);
 *   GLOBAL   one persistent kernel for all T steps, a block owns a few
 *            sequences, W_hh read from L2 (__ldg) at every step;
 *   SMEM     persistent, W_hh kept in one block's shared memory for all
 *            steps when it fits (G*H*H*4 bytes + padding <= the opt-in limit,
 *            ~227 KiB on Hopper), else GLOBAL;
 *   CLUSTER  persistent, W_hh split over the shared memory of a thread-block
 *            cluster (sm_90, 2..8 blocks), new h (backward: new gate
 *            gradients) exchanged through distributed shared memory each
 *            step; where no cluster is needed or possible, as SMEM.
 * The persistent variants need H % 4 == 0 and H <= 1024, and fall back to
 * REF otherwise.  Default: CUDA_REC_DEFAULT. */
enum cuda_recurrence {
	CUDA_REC_REF = 0,
	CUDA_REC_GLOBAL = 1,
	CUDA_REC_SMEM = 2,
	CUDA_REC_CLUSTER = 3,
};
/* The default of the setting and of struct rnn_cuda_options (one place to
 * change once the GPU measurements are in: docs/cuda.md). */
#define CUDA_REC_DEFAULT CUDA_REC_SMEM
void cuda_set_recurrence(int variant);
int cuda_recurrence(void);
const char *cuda_recurrence_name(int variant); /* "ref" "global" "smem" "cluster" */
int cuda_recurrence_parse(const char *s);      /* -1 for an unknown name */
/* CLUSTER only: blocks per cluster (2, 4 or 8), 0 = the smallest that
 * fits (default). */
void cuda_set_cluster_size(int cs);
/* What a recurrence launch of this shape would use, in words, e.g.
 * "cluster cs=2 seqs/block=1 threads=256 smem=135168": for benchmarks.
 * backward = 0 forward, 1 backward.  Returns buf. */
const char *cuda_recurrence_describe(int cell, int B, int H, int backward, char *buf,
				     size_t size);

/* ---- embedding_cuda.cu ---- */

int embedding_forward_cuda(int T, int B, int E,
			   const int32_t *ids, // (B, T)
			   const int32_t *len, // (B) or NULL
			   const float *emb,   // (V, E)
			   float *x,           // (T, B, E) out
			   cudaStream_t stream);
/* Same contract as the CPU, accumulated with atomicAdd: the order of the
 * additions, and so the last bits, vary from run to run (the fast mode). */
int embedding_backward_cuda(int T, int B, int E,
			    const int32_t *ids, // (B, T)
			    const int32_t *len, // (B) or NULL
			    const float *dx,    // (T, B, E)
			    float *demb,        // (V, E) accumulated
			    cudaStream_t stream);
int sequence_forward_cuda(int T, int B, int In,
			  const float *in,    // (B, T, I)
			  const int32_t *len, // (B) or NULL
			  float *x,           // (T, B, I) out
			  cudaStream_t stream);

/* The deterministic embedding gradient: the real positions p = t * B + b
 * are sorted by token id (a stable radix sort, so positions of one id stay
 * in increasing p), then each distinct id's row is owned by one warp that
 * adds its positions in that order - the CPU's order, so the result is
 * bit-identical to embedding_backward_cpu.  The sorted ids also give the
 * rows touched by the batch (lazy Adam, zeroing).  Buffers live in one
 * device workspace of embedding_sort_ws() bytes. */
struct embedding_sort {
	int P;             /* capacity: T * B positions of the carve */
	int n;             /* positions sorted by the last embedding_sort_cuda, 0 none */
	int V;             /* vocabulary: padding positions get key V */
	uint32_t *keys;    /* (P) sorted ids, padding (key V) last */
	int32_t *pos;      /* (P) positions in the order of keys */
	uint32_t *keys_in; /* (P) scratch */
	int32_t *pos_in;   /* (P) scratch */
	void *tmp;         /* CUB scratch */
	size_t tmp_bytes;
};
/* Bytes of workspace for T * B positions and ids in [0, V]; -1 after error()
 * (it asks CUB, which needs a device). */
int embedding_sort_ws(int T, int B, int V, size_t *bytes);
/* Lays the workspace out. */
void embedding_sort_carve(void *ws, int T, int B, int V, struct embedding_sort *s);
int embedding_sort_cuda(int T, int B,
			const int32_t *ids, // (B, T)
			const int32_t *len, // (B) or NULL
			struct embedding_sort *s, cudaStream_t stream);
/* demb[row] += dx[p] for the positions of each row, in increasing p. */
int embedding_backward_sorted_cuda(int E, const struct embedding_sort *s,
				   const float *dx, // (T, B, E)
				   float *demb,     // (V, E) accumulated
				   cudaStream_t stream);
/* Zeroes the rows of t (V, E) that the sorted batch touched. */
int embedding_rows_zero_cuda(int E, const struct embedding_sort *s, float *t,
			     cudaStream_t stream);

/* ---- rnn_tanh_cuda.cu, lstm_cuda.cu, gru_cuda.cu ---- same contract as
 * kernels_cpu.h, ws sized by the same *_ws functions; the variant is
 * cuda_recurrence().  w_hh must be 16-byte aligned for the persistent
 * variants (every tensor of an rnn_layout in a cudaMalloc'd buffer is). */

int rnn_tanh_forward_cuda(int T, int B, int In, int H, int reverse,
			  const float *x,     // (T, B, I)
			  const int32_t *len, // (B) or NULL
			  const float *w_ih,  // (H, I)
			  const float *w_hh,  // (H, H)
			  const float *b_ih,  // (H)
			  const float *b_hh,  // (H)
			  float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
			  float *act,         // (T, B, H) out
			  float *extra,       // unused
			  float *ws,          // rnn_tanh_forward_ws(B, H)
			  cudaStream_t stream);
int rnn_tanh_backward_cuda(int T, int B, int In, int H, int reverse,
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
			   float *ws,          // rnn_tanh_backward_ws(T, B, H)
			   cudaStream_t stream);

int lstm_forward_cuda(int T, int B, int In, int H, int reverse,
		      const float *x,     // (T, B, I)
		      const int32_t *len, // (B) or NULL
		      const float *w_ih,  // (4*H, I)
		      const float *w_hh,  // (4*H, H)
		      const float *b_ih,  // (4*H)
		      const float *b_hh,  // (4*H)
		      float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
		      float *act,         // (T, B, 4*H) out
		      float *extra,       // (T, B, H) out: cell states
		      float *ws,          // lstm_forward_ws(B, H)
		      cudaStream_t stream);
int lstm_backward_cuda(int T, int B, int In, int H, int reverse,
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
		       float *ws,          // lstm_backward_ws(T, B, H)
		       cudaStream_t stream);

int gru_forward_cuda(int T, int B, int In, int H, int reverse,
		     const float *x,     // (T, B, I)
		     const int32_t *len, // (B) or NULL
		     const float *w_ih,  // (3*H, I)
		     const float *w_hh,  // (3*H, H)
		     const float *b_ih,  // (3*H)
		     const float *b_hh,  // (3*H)
		     float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
		     float *act,         // (T, B, 3*H) out
		     float *extra,       // (T, B, H) out: W_hn h_prev + b_hn
		     float *ws,          // gru_forward_ws(B, H)
		     cudaStream_t stream);
int gru_backward_cuda(int T, int B, int In, int H, int reverse,
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
		      float *ws,          // gru_backward_ws(T, B, H)
		      cudaStream_t stream);

/* ---- pool_cuda.cu ---- mode is an enum rnn_pool (rnn_model.h) */

int pool_forward_cuda(int mode, int T, int B, int H, int dirs,
		      const int32_t *len, // (B); ignored by RNN_POOL_LAST_PADDED
		      const float *y,     // (T, B, dirs*H)
		      float *out,         // (B, dirs*H) out
		      int32_t *arg,       // (B, dirs*H) out (MAX only; else may be NULL)
		      cudaStream_t stream);
int pool_backward_cuda(int mode, int T, int B, int H, int dirs,
		       const int32_t *len, // (B)
		       const int32_t *arg, // (B, dirs*H) (MAX only)
		       const float *dout,  // (B, dirs*H)
		       float *dy,          // (T, B, dirs*H) overwritten
		       cudaStream_t stream);

/* ---- linear_cuda.cu ---- */

int linear_forward_cuda(int B, int N, int K,
			const float *x, // (B, N)
			const float *w, // (K, N)
			const float *b, // (K)
			float *y,       // (B, K) out
			cudaStream_t stream);
int linear_backward_cuda(int B, int N, int K,
			 const float *x,  // (B, N)
			 const float *w,  // (K, N)
			 const float *dy, // (B, K)
			 float *dx,       // (B, N) overwritten, or NULL
			 float *dw,       // (K, N) +=
			 float *db,       // (K) +=
			 cudaStream_t stream);

/* ---- loss_cuda.cu ---- loss: ONE float in device memory */

int softmax_xent_forward_cuda(int B, int C,
			      const float *logits,   // (B, C)
			      const int32_t *labels, // (B) or NULL
			      float *probs,          // (B, C) out
			      float *loss,           // (1) out, device, or NULL
			      cudaStream_t stream);
int softmax_xent_backward_cuda(int B, int C,
			       const float *probs,    // (B, C)
			       const int32_t *labels, // (B)
			       float *dlogits,        // (B, C) out
			       cudaStream_t stream);
int mse_forward_cuda(int B, int K,
		     const float *pred,   // (B, K)
		     const float *target, // (B, K)
		     float *loss,         // (1) out, device
		     cudaStream_t stream);
int mse_backward_cuda(int B, int K,
		      const float *pred,   // (B, K)
		      const float *target, // (B, K)
		      float *dpred,        // (B, K) out
		      cudaStream_t stream);

/* ---- adam_cuda.cu ---- the update of adam_cpu, operation for operation
 * (no fused multiply-add), so equal inputs give equal bits.  rows: device. */

int adam_cuda(size_t n, float *p, const float *g, float *m, float *v, double lr, double beta1,
	      double beta2, double eps, double weight_decay, int adamw, long step,
	      cudaStream_t stream);
int adam_rows_cuda(int n_rows, const int32_t *rows, int E, float *p, const float *g, float *m,
		   float *v, double lr, double beta1, double beta2, double eps,
		   double weight_decay, int adamw, long step, cudaStream_t stream);

/* ---- gradutil_cuda.cu ---- out: device.  sumsq accumulates in double in
 * a fixed order (fixed grid, tree reductions): deterministic run to run,
 * but not the CPU's order. */

int sumsq_cuda(size_t n, const float *x, double *out, cudaStream_t stream);
int scale_cuda(size_t n, float *x, float s, cudaStream_t stream);
int count_nonfinite_cuda(size_t n, const float *x, size_t *out, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
