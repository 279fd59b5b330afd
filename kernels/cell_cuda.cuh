/* cell_cuda.cuh - the recurrent cells on CUDA, shared by rnn_tanh_cuda.cu,
 * lstm_cuda.cu and gru_cuda.cu (each instantiates its own cell); internal to
 * kernels/, the pair of cell_cpu.h.
 *
 * Legend: T steps, B batch, I input size, H hidden, G gates, N = G*H,
 * S sequences per thread block, CS blocks per cluster, U = H/CS hidden units
 * owned by one block, R rows of the recurrent matrix a block multiplies,
 * P threads (lanes) that share one row's dot product.  Buffers are
 * time-major (T, B, .) as on the CPU.
 *
 * Two shapes of the same math (kernels_cuda.h, enum cuda_recurrence):
 *  - the reference: the CPU's loop, one cuBLAS GEMM and one element-wise
 *    kernel per step;
 *  - persistent kernels: one launch runs all T steps.  Blocks own S
 *    sequences (and, in a cluster, U of the H units); W_hh is read from L2
 *    every step (GLOBAL) or staged once in shared memory (SMEM, CLUSTER);
 *    h (backward: the recurrent gate gradients) lives in shared memory,
 *    double-buffered, so one barrier per step separates writers from
 *    readers; each sequence stops at its own length, padding is zero-filled
 *    at the end.  Sums run in a fixed order: results are deterministic.
 * Both use the same element-wise device functions below, and cuBLAS for
 * the input projection and the weight gradients (cell_weight_grads_cuda).
 */
#ifndef RNNPIPE_CELL_CUDA_CUH
#define RNNPIPE_CELL_CUDA_CUH

#include <cooperative_groups.h>
#include <stdio.h>
#include <string.h>

#include "cuda_util.cuh"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define CELL_HAVE_CLUSTER 1
#else
#define CELL_HAVE_CLUSTER 0
#endif

enum { CELL_RNN = 0, CELL_LSTM = 1, CELL_GRU = 2 }; /* = enum rnn_cell */

__host__ __device__ constexpr int cell_gates(int cell)
{
	return cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
}

/* ---- element-wise math of one unit (the CPU's expressions) ---- */

__device__ __forceinline__ float sigmoid_d(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

struct lstm_fwd_out {
	float i, f, g, o, c, h;
};
/* pre-activations (input side + recurrent side + biases) of unit j */
__device__ __forceinline__ lstm_fwd_out lstm_unit_fwd(float pi, float pf, float pg, float po,
						       float cprev, bool has_prev)
{
	lstm_fwd_out r;
	r.i = sigmoid_d(pi);
	r.f = sigmoid_d(pf);
	r.g = tanhf(pg);
	r.o = sigmoid_d(po);
	r.c = has_prev ? r.f * cprev + r.i * r.g : r.i * r.g;
	r.h = r.o * tanhf(r.c);
	return r;
}

struct gru_fwd_out {
	float r, z, n, h;
};
/* a*: input side (x W_i + b_i); h*: recurrent side (W_h h + b_h) */
__device__ __forceinline__ gru_fwd_out gru_unit_fwd(float ar, float az, float an, float hr, float hz,
						     float hn, float hprev)
{
	gru_fwd_out o;
	o.r = sigmoid_d(ar + hr);
	o.z = sigmoid_d(az + hz);
	o.n = tanhf(an + o.r * hn);
	o.h = (hprev - o.n) * o.z + o.n;
	return o;
}

/* dh: gradient from the step processed before (W_hh path) */
__device__ __forceinline__ float rnn_unit_bwd(float h, float dy, float dh)
{
	return (dy + dh) * (1.0f - h * h);
}

struct lstm_bwd_out {
	float gi, gf, gg, go, dc;
};
__device__ __forceinline__ lstm_bwd_out lstm_unit_bwd(float i, float f, float gg, float o, float c,
						       float cprev, float dy, float dh, float dc_in)
{
	lstm_bwd_out r;
	float tc = tanhf(c);
	float dhh = dy + dh;
	float dc = dhh * o * (1.0f - tc * tc) + dc_in;
	r.gi = dc * gg * i * (1.0f - i);
	r.gf = dc * cprev * f * (1.0f - f);
	r.gg = dc * i * (1.0f - gg * gg);
	r.go = dhh * tc * o * (1.0f - o);
	r.dc = dc * f;
	return r;
}

struct gru_bwd_out {
	float dr, dz, dn, dn_h, direct;
};
__device__ __forceinline__ gru_bwd_out gru_unit_bwd(float r, float z, float n, float hn, float hprev,
						     float dy, float dh)
{
	gru_bwd_out o;
	float dhh = dy + dh;
	o.dn = dhh * (1.0f - z) * (1.0f - n * n);
	o.dz = dhh * (hprev - n) * z * (1.0f - z);
	o.dr = o.dn * hn * r * (1.0f - r);
	o.dn_h = o.dn * r;
	o.direct = dhh * z;
	return o;
}

/* ---- the reference shape: one element-wise kernel per step ---- */

/* Step t of the forward (tp: the step before, -1 none).  act[t] holds the
 * summed pre-activations (RNN, LSTM) or the input side (GRU, with hh the
 * recurrent side (B, N)).  One thread per (b, j). */
template <int CELL>
__global__ void cell_fwd_step_kernel(int B, int H, int t, int tp, const int32_t *__restrict__ len,
				     float *act, float *extra, float *y, int ldy,
				     const float *__restrict__ hh)
{
	constexpr int G = cell_gates(CELL);
	const int N = G * H;
	int idx = blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= B * H)
		return;
	int b = idx / H, j = idx - b * H;
	size_t row = (size_t)t * B + b;
	float *a = act + row * N;
	float *yb = y + row * ldy;
	if (len && t >= len[b]) {
		for (int q = 0; q < G; q++)
			a[q * H + j] = 0.0f;
		if (CELL != CELL_RNN)
			extra[row * H + j] = 0.0f;
		yb[j] = 0.0f;
		return;
	}
	if (CELL == CELL_RNN) {
		float h = tanhf(a[j]);
		a[j] = h;
		yb[j] = h;
	} else if (CELL == CELL_LSTM) {
		float cp = tp >= 0 ? extra[((size_t)tp * B + b) * H + j] : 0.0f;
		lstm_fwd_out r = lstm_unit_fwd(a[j], a[H + j], a[2 * H + j], a[3 * H + j], cp, tp >= 0);
		a[j] = r.i;
		a[H + j] = r.f;
		a[2 * H + j] = r.g;
		a[3 * H + j] = r.o;
		extra[row * H + j] = r.c;
		yb[j] = r.h;
	} else {
		const float *hb = hh + (size_t)b * N;
		float hprev = tp >= 0 ? y[((size_t)tp * B + b) * ldy + j] : 0.0f;
		gru_fwd_out r = gru_unit_fwd(a[j], a[H + j], a[2 * H + j], hb[j], hb[H + j],
					     hb[2 * H + j], hprev);
		a[j] = r.r;
		a[H + j] = r.z;
		a[2 * H + j] = r.n;
		extra[row * H + j] = hb[2 * H + j];
		yb[j] = r.h;
	}
}

/* Step t of the backward: gate gradients of step t from dy[t] and the
 * recurrent gradients (dh_rec, LSTM dc_rec) of the step processed before;
 * GRU also leaves its direct term dh * z in dh_rec (the GEMM adds the rest). */
template <int CELL>
__global__ void cell_bwd_step_kernel(int B, int H, int t, int tp, const int32_t *__restrict__ len,
				     const float *__restrict__ act, const float *__restrict__ extra,
				     const float *__restrict__ y, const float *__restrict__ dy,
				     int ldy, float *dg, float *dgh, float *dh_rec, float *dc_rec)
{
	constexpr int G = cell_gates(CELL);
	const int N = G * H;
	int idx = blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= B * H)
		return;
	int b = idx / H, j = idx - b * H;
	size_t row = (size_t)t * B + b;
	float *g = dg + row * N;
	if (len && t >= len[b]) {
		for (int q = 0; q < G; q++)
			g[q * H + j] = 0.0f;
		if (CELL == CELL_LSTM)
			dc_rec[(size_t)b * H + j] = 0.0f;
		if (CELL == CELL_GRU) {
			for (int q = 0; q < G; q++)
				dgh[row * N + q * H + j] = 0.0f;
			dh_rec[(size_t)b * H + j] = 0.0f;
		}
		return;
	}
	const float *ab = act + row * N;
	float dyv = dy[row * ldy + j];
	float dh = dh_rec[(size_t)b * H + j];
	if (CELL == CELL_RNN) {
		g[j] = rnn_unit_bwd(ab[j], dyv, dh);
	} else if (CELL == CELL_LSTM) {
		float c = extra[row * H + j];
		float cp = tp >= 0 ? extra[((size_t)tp * B + b) * H + j] : 0.0f;
		lstm_bwd_out r = lstm_unit_bwd(ab[j], ab[H + j], ab[2 * H + j], ab[3 * H + j], c, cp,
					       dyv, dh, dc_rec[(size_t)b * H + j]);
		g[j] = r.gi;
		g[H + j] = r.gf;
		g[2 * H + j] = r.gg;
		g[3 * H + j] = r.go;
		dc_rec[(size_t)b * H + j] = r.dc;
	} else {
		float hprev = tp >= 0 ? y[((size_t)tp * B + b) * ldy + j] : 0.0f;
		gru_bwd_out r = gru_unit_bwd(ab[j], ab[H + j], ab[2 * H + j], extra[row * H + j],
					     hprev, dyv, dh);
		float *gh = dgh + row * N;
		g[j] = r.dr;
		g[H + j] = r.dz;
		g[2 * H + j] = r.dn;
		gh[j] = r.dr;
		gh[H + j] = r.dz;
		gh[2 * H + j] = r.dn_h;
		dh_rec[(size_t)b * H + j] = r.direct;
	}
}

/* Step processed before step t in the forward recurrence (-1: none). */
static inline int cell_prev_step_cuda(int T, int t, int reverse)
{
	int tp = reverse ? t + 1 : t - 1;
	return tp >= 0 && tp < T ? tp : -1;
}

/* act (T*B, N) = x w_ih^T + b_ih (+ b_hh for RNN and LSTM). */
template <int CELL>
static int cell_input_projection_cuda(cudaStream_t st, int T, int B, int In, int H,
				      const float *x, const float *w_ih, const float *b_ih,
				      const float *b_hh, float *act)
{
	const int N = cell_gates(CELL) * H;
	if (bias_fill_cuda((size_t)T * B, N, b_ih, CELL == CELL_GRU ? NULL : b_hh, act, st))
		return -1;
	return gemm_rm(st, 0, 1, T * B, N, In, 1.0f, x, In, w_ih, In, 1.0f, act, N);
}

/* The weight and input gradients once the gate gradients of all steps are
 * known (cell_weight_grads of cell_cpu.h): dw_ih += dg^T x; dw_hh +=
 * sum_t dgh[t]^T h_prev[t]; db_ih, db_hh column sums; dx = (or +=) dg w_ih. */
static inline int cell_weight_grads_cuda(cudaStream_t st, int T, int B, int In, int H, int N,
					 int reverse, const float *x, const float *w_ih,
					 const float *y, int ldy, const float *dg, const float *dgh,
					 float *dx, int dx_accumulate, float *dw_ih, float *dw_hh,
					 float *db_ih, float *db_hh)
{
	const int rows = T * B;
	if (gemm_rm(st, 1, 0, N, In, rows, 1.0f, dg, N, x, In, 1.0f, dw_ih, In))
		return -1;
	if (T > 1) {
		const float *g = reverse ? dgh : dgh + (size_t)B * N;
		const float *h = reverse ? y + (size_t)B * ldy : y;
		if (gemm_rm(st, 1, 0, N, H, (T - 1) * B, 1.0f, g, N, h, ldy, 1.0f, dw_hh, H))
			return -1;
	}
	if (colsum_add(st, rows, N, dg, db_ih) || colsum_add(st, rows, N, dgh, db_hh))
		return -1;
	if (dx && gemm_rm(st, 0, 0, rows, In, N, 1.0f, dg, N, w_ih, In,
			  dx_accumulate ? 1.0f : 0.0f, dx, In))
		return -1;
	return 0;
}

template <int CELL>
static int cell_forward_ref(int T, int B, int In, int H, int reverse, const float *x,
			    const int32_t *len, const float *w_ih, const float *w_hh,
			    const float *b_ih, const float *b_hh, float *y, int ldy, float *act,
			    float *extra, float *ws, cudaStream_t st)
{
	const int N = cell_gates(CELL) * H;
	if (cell_input_projection_cuda<CELL>(st, T, B, In, H, x, w_ih, b_ih, b_hh, act))
		return -1;
	const unsigned blocks = cuda_blocks((size_t)B * H, 256);
	for (int s = 0; s < T; s++) {
		int t = reverse ? T - 1 - s : s;
		int tp = cell_prev_step_cuda(T, t, reverse);
		if (CELL == CELL_GRU) {
			/* ws (B, N): W_hh h_prev + b_hh of this step */
			if (bias_fill_cuda(B, N, b_hh, NULL, ws, st))
				return -1;
			if (tp >= 0 && gemm_rm(st, 0, 1, B, N, H, 1.0f, y + (size_t)tp * B * ldy, ldy,
					       w_hh, H, 1.0f, ws, N))
				return -1;
		} else if (tp >= 0 && gemm_rm(st, 0, 1, B, N, H, 1.0f, y + (size_t)tp * B * ldy,
					      ldy, w_hh, H, 1.0f, act + (size_t)t * B * N, N)) {
			return -1;
		}
		cell_fwd_step_kernel<CELL><<<blocks, 256, 0, st>>>(B, H, t, tp, len, act, extra, y,
								    ldy, ws);
		CUDA_LAUNCHED("cell_fwd_step_kernel");
	}
	return 0;
}

template <int CELL>
static int cell_backward_ref(int T, int B, int In, int H, int reverse, const float *x,
			     const int32_t *len, const float *w_ih, const float *w_hh,
			     const float *y, const float *dy, int ldy, const float *act,
			     const float *extra, float *dx, int dx_accumulate, float *dw_ih,
			     float *dw_hh, float *db_ih, float *db_hh, float *ws, cudaStream_t st)
{
	const int N = cell_gates(CELL) * H;
	const size_t TBN = (size_t)T * B * N;
	/* the CPU's workspace layout */
	float *dg = ws;                                     // (T, B, N)
	float *dgh = CELL == CELL_GRU ? ws + TBN : dg;      // (T, B, N)
	float *dh_rec = (CELL == CELL_GRU ? dgh : dg) + TBN; // (B, H)
	float *dc_rec = dh_rec + (size_t)B * H;             // (B, H) LSTM
	CUDA_CHECK(cudaMemsetAsync(dh_rec, 0, sizeof(float) * B * H * (CELL == CELL_LSTM ? 2 : 1),
				   st));
	const unsigned blocks = cuda_blocks((size_t)B * H, 256);
	for (int s = 0; s < T; s++) {
		int t = reverse ? s : T - 1 - s;
		int tp = cell_prev_step_cuda(T, t, reverse);
		cell_bwd_step_kernel<CELL><<<blocks, 256, 0, st>>>(B, H, t, tp, len, act, extra, y,
								    dy, ldy, dg, dgh, dh_rec, dc_rec);
		CUDA_LAUNCHED("cell_bwd_step_kernel");
		if (s < T - 1 && gemm_rm(st, 0, 0, B, H, N, 1.0f, dgh + (size_t)t * B * N, N, w_hh, H,
					 CELL == CELL_GRU ? 1.0f : 0.0f, dh_rec, H))
			return -1;
	}
	return cell_weight_grads_cuda(st, T, B, In, H, N, reverse, x, w_ih, y, ldy, dg, dgh, dx,
				      dx_accumulate, dw_ih, dw_hh, db_ih, db_hh);
}

/* ---- the persistent shape ---- */

enum { W_GLOBAL = 0, W_SMEM = 1, W_CLUSTER = 2 }; /* where W_hh lives */

struct rec_args {
	int T, B, H, reverse, ldy;
	const int32_t *len;  // (B) or NULL
	const float *w_hh;   // (N, H)
	const float *b_hh;   // (N) GRU forward
	float *act;          // (T, B, N) forward: input side in, activations out; backward: in
	float *extra;        // (T, B, H) forward out, backward in
	float *y;            // (T, B, ldy) forward out, backward in (GRU h_prev)
	const float *dy;     // (T, B, ldy) backward
	float *dg, *dgh;     // (T, B, N) backward out
	int CS, U, P, wstride; // geometry (rec_plan)
};

/* Shared memory of one block, offsets in floats, each region a multiple of
 * 4 floats (16 bytes):
 *   w     staged W_hh slice: forward the R = G*U rows of our units, each
 *         row the H weights on h (stride wstride); backward the U columns
 *         of our units, each the N weights on the gate gradients;
 *   v     double buffer: forward h (2, S, H), backward the recurrent gate
 *         gradients of the step before (2, S, N);
 *   r     dot products (S, R);
 *   c     LSTM cell state (forward) or dc (backward) of our units (S, U);
 *   d     GRU backward: the direct term dh * z (S, U);
 *   lens  (S) ints. */
struct rec_layout {
	int w, v, r, c, d, lens, total;
};

__host__ __device__ inline int rec_round4(int n)
{
	return (n + 3) & ~3;
}

__host__ __device__ inline rec_layout rec_layout_of(int cell, int H, int U, int S, int wstride,
						    int w_staged, int backward)
{
	const int G = cell_gates(cell), N = G * H;
	rec_layout L;
	int o = 0;
	L.w = o;
	if (w_staged)
		o += rec_round4((backward ? U : G * U) * wstride);
	L.v = o;
	o += rec_round4(2 * S * (backward ? N : H));
	L.r = o;
	o += rec_round4(S * (backward ? U : G * U));
	L.c = o;
	if (cell == CELL_LSTM)
		o += rec_round4(S * U);
	L.d = o;
	if (cell == CELL_GRU && backward)
		o += rec_round4(S * U);
	L.lens = o;
	o += rec_round4(S);
	L.total = o;
	return L;
}

template <int WMODE>
__device__ __forceinline__ int rec_rank()
{
#if CELL_HAVE_CLUSTER
	if (WMODE == W_CLUSTER)
		return (int)cooperative_groups::this_cluster().block_rank();
#endif
	return 0;
}

/* The per-step barrier: the whole cluster, or the block. */
template <int WMODE>
__device__ __forceinline__ void rec_sync()
{
#if CELL_HAVE_CLUSTER
	if (WMODE == W_CLUSTER) {
		cooperative_groups::this_cluster().sync();
		return;
	}
#endif
	__syncthreads();
}

/* Stores v at p in this block's shared memory and, in a cluster, at the
 * same offset in every block of the cluster. */
template <int WMODE>
__device__ __forceinline__ void rec_store(float *p, float v, int CS)
{
#if CELL_HAVE_CLUSTER
	if (WMODE == W_CLUSTER) {
		cooperative_groups::cluster_group cl = cooperative_groups::this_cluster();
		for (int r = 0; r < CS; r++)
			*cl.map_shared_rank(p, (unsigned)r) = v;
		return;
	}
#endif
	*p = v;
}

/* Sums the partial dot products of the P lanes that share a row (a fixed
 * tree) and lets lane p == 0 store them: out[s * R] for each sequence. */
template <int S>
__device__ __forceinline__ void rec_reduce_store(float (&acc)[S], int P, bool write, float *out,
						 int R)
{
	for (int off = P >> 1; off > 0; off >>= 1)
#pragma unroll
		for (int s = 0; s < S; s++)
			acc[s] += __shfl_down_sync(0xffffffffu, acc[s], off, P);
	if (write)
#pragma unroll
		for (int s = 0; s < S; s++)
			out[s * R] = acc[s];
}

__device__ __forceinline__ float dot4(float4 w, float4 h, float acc)
{
	acc = fmaf(w.x, h.x, acc);
	acc = fmaf(w.y, h.y, acc);
	acc = fmaf(w.z, h.z, acc);
	return fmaf(w.w, h.w, acc);
}

/* Forward over all steps.  Block: S sequences from b0, units [u0, u0+U).
 * Threads: R*P dot-product lanes (looped when more than the block), and
 * S*U element-wise items (thread tid handles sequence tid / U, unit
 * tid % U), whose loads of act[t] are issued before the dot products. */
template <int CELL, int S, int WMODE>
__global__ void __launch_bounds__(1024) rec_fwd_kernel(const rec_args a)
{
	constexpr int G = cell_gates(CELL);
#if !CELL_HAVE_CLUSTER
	if (WMODE == W_CLUSTER)
		__trap(); /* the host launches cluster kernels on sm_90 builds only */
#endif
	extern __shared__ float4 rec_smem[];
	float *sm = reinterpret_cast<float *>(rec_smem);
	const int H = a.H, U = a.U, P = a.P, N = G * H, R = G * U, H4 = H / 4;
	const int tid = threadIdx.x, nthr = blockDim.x;
	const int rank = rec_rank<WMODE>();
	const int b0 = (int)(blockIdx.x / a.CS) * S, u0 = rank * U;
	const rec_layout L = rec_layout_of(CELL, H, U, S, a.wstride, WMODE != W_GLOBAL, 0);
	float *Ws = sm + L.w, *hbuf = sm + L.v, *pre = sm + L.r, *cst = sm + L.c;
	int *lens = reinterpret_cast<int *>(sm + L.lens);

	if (WMODE != W_GLOBAL)
		for (int i = tid; i < R * H; i += nthr) {
			int lr = i / H, k = i - lr * H, q = lr / U, u = lr - q * U;
			Ws[lr * a.wstride + k] = a.w_hh[(size_t)(q * H + u0 + u) * H + k];
		}
	for (int i = tid; i < S * H; i += nthr)
		hbuf[i] = 0.0f; /* h before the first step */
	if (CELL == CELL_LSTM)
		for (int i = tid; i < S * U; i += nthr)
			cst[i] = 0.0f;
	if (tid < S) {
		int b = b0 + tid;
		lens[tid] = b < a.B ? (a.len ? a.len[b] : a.T) : 0;
	}
	__syncthreads();
	rec_sync<WMODE>(); /* cluster: every block runs before remote stores */
	int nsteps = 0;
	for (int s = 0; s < S; s++)
		nsteps = max(nsteps, lens[s]);

	const bool has_item = tid < S * U;
	const int es = has_item ? tid / U : 0, eu = has_item ? tid - es * U : 0;
	const int eb = b0 + es, j = u0 + eu, elen = has_item ? lens[es] : 0;
	float bh[3] = {0.0f, 0.0f, 0.0f};
	if (CELL == CELL_GRU && elen > 0)
		for (int q = 0; q < 3; q++)
			bh[q] = a.b_hh[q * H + j];

	for (int step = 0; step < nsteps; step++) {
		const float *hc = hbuf + (step & 1) * S * H;
		float *hn = hbuf + ((step & 1) ^ 1) * S * H;
		const bool active = step < elen;
		int t = 0;
		float av[G];
		if (active) {
			t = a.reverse ? elen - 1 - step : step;
			const float *ap = a.act + ((size_t)t * a.B + eb) * N + j;
#pragma unroll
			for (int q = 0; q < G; q++)
				av[q] = ap[q * H];
		}
		/* pre[s][lr] = W_hh[row lr] . h_s */
		for (int base = 0; base < R * P; base += nthr) {
			const int item = base + tid;
			const bool ok = item < R * P;
			const int lr = ok ? item / P : 0, p = ok ? item - lr * P : 0;
			float acc[S];
#pragma unroll
			for (int s = 0; s < S; s++)
				acc[s] = 0.0f;
			if (ok) {
				const float4 *w4;
				if (WMODE == W_GLOBAL) {
					int q = lr / U, u = lr - q * U;
					w4 = reinterpret_cast<const float4 *>(
						a.w_hh + (size_t)(q * H + u0 + u) * H);
				} else {
					w4 = reinterpret_cast<const float4 *>(Ws + lr * a.wstride);
				}
				for (int k4 = p; k4 < H4; k4 += P) {
					const float4 w = WMODE == W_GLOBAL ? __ldg(w4 + k4) : w4[k4];
#pragma unroll
					for (int s = 0; s < S; s++)
						acc[s] = dot4(w,
							      reinterpret_cast<const float4 *>(hc + s * H)[k4],
							      acc[s]);
				}
			}
			rec_reduce_store<S>(acc, P, ok && p == 0, pre + lr, R);
		}
		__syncthreads();
		if (active) {
			const size_t row = (size_t)t * a.B + eb;
			float *ap = a.act + row * N + j;
			const float *pr = pre + es * R + eu; /* gate q at pr[q * U] */
			float h;
			if (CELL == CELL_RNN) {
				h = tanhf(av[0] + pr[0]);
				ap[0] = h;
			} else if (CELL == CELL_LSTM) {
				float *cp = cst + es * U + eu;
				lstm_fwd_out r = lstm_unit_fwd(av[0] + pr[0], av[1] + pr[U],
							       av[2] + pr[2 * U], av[3] + pr[3 * U],
							       *cp, step > 0);
				*cp = r.c;
				ap[0] = r.i;
				ap[H] = r.f;
				ap[2 * H] = r.g;
				ap[3 * H] = r.o;
				a.extra[row * H + j] = r.c;
				h = r.h;
			} else {
				float hh2 = bh[2] + pr[2 * U];
				float hprev = step > 0 ? hc[es * H + j] : 0.0f;
				gru_fwd_out r = gru_unit_fwd(av[0], av[1], av[2], bh[0] + pr[0],
							     bh[1] + pr[U], hh2, hprev);
				ap[0] = r.r;
				ap[H] = r.z;
				ap[2 * H] = r.n;
				a.extra[row * H + j] = hh2;
				h = r.h;
			}
			a.y[row * a.ldy + j] = h;
			rec_store<WMODE>(hn + es * H + j, h, a.CS);
		}
		rec_sync<WMODE>();
	}
	/* padding steps t >= len: exact zeros in y, act and extra */
	for (int s = 0; s < S; s++) {
		const int b = b0 + s;
		if (b >= a.B)
			break;
		const int L0 = lens[s], cnt = (a.T - L0) * U;
		for (int i = tid; i < cnt; i += nthr) {
			const int t = L0 + i / U, jj = u0 + i % U;
			const size_t row = (size_t)t * a.B + b;
			a.y[row * a.ldy + jj] = 0.0f;
			for (int q = 0; q < G; q++)
				a.act[row * N + q * H + jj] = 0.0f;
			if (CELL != CELL_RNN)
				a.extra[row * H + jj] = 0.0f;
		}
	}
}

/* Backward over all steps, in the reverse of the forward order; each
 * sequence starts at its last real step (forward direction) or step 0
 * (reverse direction) with zero recurrent gradients.  Rows of the dot
 * products are our U units: dh[s][u] = sum_n v_s[n] W_hh[n][u0 + u], v the
 * recurrent-side gate gradients of the step before (all N of them, from
 * every block of the cluster). */
template <int CELL, int S, int WMODE>
__global__ void __launch_bounds__(1024) rec_bwd_kernel(const rec_args a)
{
	constexpr int G = cell_gates(CELL);
#if !CELL_HAVE_CLUSTER
	if (WMODE == W_CLUSTER)
		__trap();
#endif
	extern __shared__ float4 rec_smem[];
	float *sm = reinterpret_cast<float *>(rec_smem);
	const int H = a.H, U = a.U, P = a.P, N = G * H, N4 = N / 4;
	const int tid = threadIdx.x, nthr = blockDim.x;
	const int rank = rec_rank<WMODE>();
	const int b0 = (int)(blockIdx.x / a.CS) * S, u0 = rank * U;
	const rec_layout L = rec_layout_of(CELL, H, U, S, a.wstride, WMODE != W_GLOBAL, 1);
	float *Wc = sm + L.w, *vbuf = sm + L.v, *dh = sm + L.r, *dcs = sm + L.c, *dd = sm + L.d;
	int *lens = reinterpret_cast<int *>(sm + L.lens);

	if (WMODE != W_GLOBAL)
		for (int i = tid; i < N * U; i += nthr) {
			int n = i / U, u = i - n * U;
			Wc[u * a.wstride + n] = a.w_hh[(size_t)n * H + u0 + u];
		}
	if (CELL == CELL_LSTM)
		for (int i = tid; i < S * U; i += nthr)
			dcs[i] = 0.0f;
	if (CELL == CELL_GRU)
		for (int i = tid; i < S * U; i += nthr)
			dd[i] = 0.0f;
	if (tid < S) {
		int b = b0 + tid;
		lens[tid] = b < a.B ? (a.len ? a.len[b] : a.T) : 0;
	}
	__syncthreads();
	rec_sync<WMODE>();
	int nsteps = 0;
	for (int s = 0; s < S; s++)
		nsteps = max(nsteps, lens[s]);

	const bool has_item = tid < S * U;
	const int es = has_item ? tid / U : 0, eu = has_item ? tid - es * U : 0;
	const int eb = b0 + es, j = u0 + eu, elen = has_item ? lens[es] : 0;

	for (int step = 0; step < nsteps; step++) {
		const float *vc = vbuf + (step & 1) * S * N;
		float *vn = vbuf + ((step & 1) ^ 1) * S * N;
		const bool active = step < elen;
		int t = 0;
		float av[G], dyv = 0.0f, c = 0.0f, prev = 0.0f;
		if (active) {
			t = a.reverse ? step : elen - 1 - step;
			const bool has_prev = a.reverse ? t < elen - 1 : t > 0;
			const int tp = a.reverse ? t + 1 : t - 1;
			const size_t row = (size_t)t * a.B + eb;
			dyv = a.dy[row * a.ldy + j];
#pragma unroll
			for (int q = 0; q < G; q++)
				av[q] = a.act[row * N + q * H + j];
			if (CELL != CELL_RNN)
				c = a.extra[row * H + j]; /* LSTM c, GRU W_hn h + b_hn */
			if (has_prev) {
				const size_t prow = (size_t)tp * a.B + eb;
				if (CELL == CELL_LSTM)
					prev = a.extra[prow * H + j];
				else if (CELL == CELL_GRU)
					prev = a.y[prow * a.ldy + j];
			}
		}
		if (step > 0) {
			for (int base = 0; base < U * P; base += nthr) {
				const int item = base + tid;
				const bool ok = item < U * P;
				const int lr = ok ? item / P : 0, p = ok ? item - lr * P : 0;
				float acc[S];
#pragma unroll
				for (int s = 0; s < S; s++)
					acc[s] = 0.0f;
				if (ok) {
					const float4 *w4 = reinterpret_cast<const float4 *>(
						Wc + lr * a.wstride);
					const float *col = a.w_hh + u0 + lr;
					for (int k4 = p; k4 < N4; k4 += P) {
						float4 w;
						if (WMODE == W_GLOBAL) {
							const size_t n0 = (size_t)4 * k4;
							w.x = __ldg(col + n0 * H);
							w.y = __ldg(col + (n0 + 1) * H);
							w.z = __ldg(col + (n0 + 2) * H);
							w.w = __ldg(col + (n0 + 3) * H);
						} else {
							w = w4[k4];
						}
#pragma unroll
						for (int s = 0; s < S; s++)
							acc[s] = dot4(
								w,
								reinterpret_cast<const float4 *>(vc + s * N)[k4],
								acc[s]);
					}
				}
				rec_reduce_store<S>(acc, P, ok && p == 0, dh + lr, U);
			}
		}
		__syncthreads();
		if (active) {
			const size_t row = (size_t)t * a.B + eb;
			float *g = a.dg + row * N + j;
			float *v = vn + es * N + j;
			float dhr = step > 0 ? dh[es * U + eu] : 0.0f;
			if (CELL == CELL_RNN) {
				float gv = rnn_unit_bwd(av[0], dyv, dhr);
				g[0] = gv;
				rec_store<WMODE>(v, gv, a.CS);
			} else if (CELL == CELL_LSTM) {
				float *dcp = dcs + es * U + eu;
				lstm_bwd_out r = lstm_unit_bwd(av[0], av[1], av[2], av[3], c, prev, dyv,
							       dhr, step > 0 ? *dcp : 0.0f);
				*dcp = r.dc;
				g[0] = r.gi;
				g[H] = r.gf;
				g[2 * H] = r.gg;
				g[3 * H] = r.go;
				rec_store<WMODE>(v, r.gi, a.CS);
				rec_store<WMODE>(v + H, r.gf, a.CS);
				rec_store<WMODE>(v + 2 * H, r.gg, a.CS);
				rec_store<WMODE>(v + 3 * H, r.go, a.CS);
			} else {
				float *ddp = dd + es * U + eu;
				if (step > 0)
					dhr += *ddp;
				gru_bwd_out r = gru_unit_bwd(av[0], av[1], av[2], c, prev, dyv, dhr);
				*ddp = r.direct;
				float *gh = a.dgh + row * N + j;
				g[0] = r.dr;
				g[H] = r.dz;
				g[2 * H] = r.dn;
				gh[0] = r.dr;
				gh[H] = r.dz;
				gh[2 * H] = r.dn_h;
				rec_store<WMODE>(v, r.dr, a.CS);
				rec_store<WMODE>(v + H, r.dz, a.CS);
				rec_store<WMODE>(v + 2 * H, r.dn_h, a.CS);
			}
		}
		rec_sync<WMODE>();
	}
	/* padding steps: zero gate gradients */
	for (int s = 0; s < S; s++) {
		const int b = b0 + s;
		if (b >= a.B)
			break;
		const int L0 = lens[s], cnt = (a.T - L0) * U;
		for (int i = tid; i < cnt; i += nthr) {
			const int t = L0 + i / U, jj = u0 + i % U;
			const size_t row = (size_t)t * a.B + b;
			for (int q = 0; q < G; q++) {
				a.dg[row * N + q * H + jj] = 0.0f;
				if (CELL == CELL_GRU)
					a.dgh[row * N + q * H + jj] = 0.0f;
			}
		}
	}
}

/* ---- choosing and launching a persistent kernel ---- */

struct rec_plan {
	int variant;   /* enum cuda_recurrence actually used (REF: no plan) */
	int wmode, S, CS, U, P, threads, wstride, blocks;
	size_t smem;
};

template <int CELL, int S>
static const void *rec_kernel_s(int backward, int wmode)
{
	if (backward)
		return wmode == W_GLOBAL  ? (const void *)rec_bwd_kernel<CELL, S, W_GLOBAL>
		       : wmode == W_SMEM ? (const void *)rec_bwd_kernel<CELL, S, W_SMEM>
					 : (const void *)rec_bwd_kernel<CELL, S, W_CLUSTER>;
	return wmode == W_GLOBAL  ? (const void *)rec_fwd_kernel<CELL, S, W_GLOBAL>
	       : wmode == W_SMEM ? (const void *)rec_fwd_kernel<CELL, S, W_SMEM>
				 : (const void *)rec_fwd_kernel<CELL, S, W_CLUSTER>;
}

template <int CELL>
static const void *rec_kernel(int backward, int S, int wmode)
{
	switch (S) {
	case 1: return rec_kernel_s<CELL, 1>(backward, wmode);
	case 2: return rec_kernel_s<CELL, 2>(backward, wmode);
	case 4: return rec_kernel_s<CELL, 4>(backward, wmode);
	default: return rec_kernel_s<CELL, 8>(backward, wmode);
	}
}

/* Row stride (floats) of a staged W slice: >= klen, a multiple of 4, and
 * shifted so that the float4 loads of one quarter-warp (8 lanes: 8/P rows,
 * P chunks each) fall in distinct banks. */
static inline int rec_wstride(int klen, int P)
{
	int want = (4 * P) % 32, s = klen;
	while (s % 32 != want)
		s += 4;
	return s;
}

static inline void rec_launch_config(const rec_plan *pl, cudaStream_t st, cudaLaunchConfig_t *cfg,
				     cudaLaunchAttribute *attr)
{
	*cfg = cudaLaunchConfig_t{};
	cfg->gridDim = dim3((unsigned)pl->blocks);
	cfg->blockDim = dim3((unsigned)pl->threads);
	cfg->dynamicSmemBytes = pl->smem;
	cfg->stream = st;
	if (pl->CS > 1) {
		attr->id = cudaLaunchAttributeClusterDimension;
		attr->val.clusterDim.x = (unsigned)pl->CS;
		attr->val.clusterDim.y = 1;
		attr->val.clusterDim.z = 1;
		cfg->attrs = attr;
		cfg->numAttrs = 1;
	}
}

/* Whether the cluster kernel can run here: built for sm_90+, and the
 * device can place at least one such cluster.  Silent: no is a fallback. */
template <int CELL>
static int rec_cluster_ok(const rec_plan *pl, int backward)
{
	const void *k = rec_kernel<CELL>(backward, pl->S, W_CLUSTER);
	cudaFuncAttributes fa;
	if (cudaFuncGetAttributes(&fa, k) != cudaSuccess || fa.binaryVersion < 90) {
		cudaGetLastError();
		return 0;
	}
	if (cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)pl->smem) !=
	    cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	cudaLaunchConfig_t cfg;
	cudaLaunchAttribute attr;
	rec_launch_config(pl, 0, &cfg, &attr);
	int n = 0;
	if (cudaOccupancyMaxActiveClusters(&n, k, &cfg) != cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	return n > 0;
}

/* Picks the variant, W placement, cluster size and sequences per block for
 * a launch of this shape (see kernels_cuda.h for the variants).  Never
 * fails: REF when nothing persistent fits. */
template <int CELL>
static rec_plan rec_plan_make(int B, int H, int backward)
{
	const int G = cell_gates(CELL), N = G * H;
	rec_plan pl;
	memset(&pl, 0, sizeof(pl));
	pl.variant = CUDA_REC_REF;
	const int variant = cuda_recurrence();
	if (variant == CUDA_REC_REF || H % 4 || H > 1024 || !cuda_device_available())
		return pl;
	const int sms = cuda_sm_count() > 0 ? cuda_sm_count() : 1;
	const size_t smax = cuda_smem_optin();
	int modes[6], sizes[6], nc = 0;
#define REC_CAND(m, cs) (modes[nc] = (m), sizes[nc] = (cs), nc++)
	if (variant == CUDA_REC_CLUSTER && cuda_cluster_size_setting()) {
		REC_CAND(W_CLUSTER, cuda_cluster_size_setting());
	} else if (variant != CUDA_REC_GLOBAL) {
		REC_CAND(W_SMEM, 1);
		if (variant == CUDA_REC_CLUSTER) {
			REC_CAND(W_CLUSTER, 2);
			REC_CAND(W_CLUSTER, 4);
			REC_CAND(W_CLUSTER, 8);
		}
	}
	REC_CAND(W_GLOBAL, 1);
#undef REC_CAND
	for (int c = 0; c < nc; c++) {
		const int wmode = modes[c], CS = sizes[c];
		if (wmode == W_CLUSTER && (cuda_device_cc() < 90 || H % CS || (H / CS) % 4))
			continue;
		const int U = H / CS, R = backward ? U : G * U, klen = backward ? N : H;
		int P = 1;
		while (P < 32 && R * P < 256 && 8 * P <= klen)
			P *= 2;
		int threads = (R * P + 31) / 32 * 32;
		if (threads > 1024)
			threads = 1024;
		const int wstride = wmode == W_GLOBAL ? 0 : rec_wstride(klen, P);
		int bestS = 0;
		size_t best_smem = 0;
		for (int S = 1; S <= 8; S *= 2) {
			if (S * U > threads)
				break;
			rec_layout L = rec_layout_of(CELL, H, U, S, wstride, wmode != W_GLOBAL,
						     backward);
			size_t smem = (size_t)L.total * sizeof(float);
			if (smem > smax)
				break;
			bestS = S;
			best_smem = smem;
			if ((B + S - 1) / S * CS <= sms)
				break; /* one wave: fewer sequences per block is faster */
		}
		if (!bestS)
			continue;
		pl.variant = wmode == W_GLOBAL ? CUDA_REC_GLOBAL
			     : wmode == W_SMEM ? CUDA_REC_SMEM
					       : CUDA_REC_CLUSTER;
		pl.wmode = wmode;
		pl.S = bestS;
		pl.CS = CS;
		pl.U = U;
		pl.P = P;
		pl.threads = threads;
		pl.wstride = wstride;
		pl.blocks = (B + bestS - 1) / bestS * CS;
		pl.smem = best_smem;
		if (wmode == W_CLUSTER && !rec_cluster_ok<CELL>(&pl, backward))
			continue;
		return pl;
	}
	memset(&pl, 0, sizeof(pl));
	pl.variant = CUDA_REC_REF;
	return pl;
}

template <int CELL>
static int rec_launch(const rec_plan *pl, int backward, rec_args a, cudaStream_t st)
{
	a.CS = pl->CS;
	a.U = pl->U;
	a.P = pl->P;
	a.wstride = pl->wstride;
	const void *k = rec_kernel<CELL>(backward, pl->S, pl->wmode);
	CUDA_CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize,
					(int)pl->smem));
	cudaLaunchConfig_t cfg;
	cudaLaunchAttribute attr;
	rec_launch_config(pl, st, &cfg, &attr);
	void *args[] = {&a};
	CUDA_CHECK(cudaLaunchKernelExC(&cfg, k, args));
	return 0;
}

template <int CELL>
static const char *rec_describe(int B, int H, int backward, char *buf, size_t size)
{
	rec_plan pl = rec_plan_make<CELL>(B, H, backward);
	if (pl.variant == CUDA_REC_REF)
		snprintf(buf, size, "ref (cuBLAS per step)");
	else
		snprintf(buf, size, "%s cs=%d seqs/block=%d threads=%d lanes/row=%d smem=%zu blocks=%d",
			 cuda_recurrence_name(pl.variant), pl.CS, pl.S, pl.threads, pl.P, pl.smem,
			 pl.blocks);
	return buf;
}

/* ---- the launchers behind <cell>_forward_cuda / <cell>_backward_cuda ---- */

template <int CELL>
static int cell_forward_cuda(int T, int B, int In, int H, int reverse, const float *x,
			     const int32_t *len, const float *w_ih, const float *w_hh,
			     const float *b_ih, const float *b_hh, float *y, int ldy, float *act,
			     float *extra, float *ws, cudaStream_t st)
{
	rec_plan pl = rec_plan_make<CELL>(B, H, 0);
	if (pl.variant == CUDA_REC_REF || ((uintptr_t)w_hh & 15))
		return cell_forward_ref<CELL>(T, B, In, H, reverse, x, len, w_ih, w_hh, b_ih, b_hh,
					      y, ldy, act, extra, ws, st);
	if (cell_input_projection_cuda<CELL>(st, T, B, In, H, x, w_ih, b_ih, b_hh, act))
		return -1;
	rec_args a;
	memset(&a, 0, sizeof(a));
	a.T = T;
	a.B = B;
	a.H = H;
	a.reverse = reverse;
	a.ldy = ldy;
	a.len = len;
	a.w_hh = w_hh;
	a.b_hh = b_hh;
	a.act = act;
	a.extra = extra;
	a.y = y;
	return rec_launch<CELL>(&pl, 0, a, st);
}

template <int CELL>
static int cell_backward_cuda(int T, int B, int In, int H, int reverse, const float *x,
			      const int32_t *len, const float *w_ih, const float *w_hh,
			      const float *y, const float *dy, int ldy, const float *act,
			      const float *extra, float *dx, int dx_accumulate, float *dw_ih,
			      float *dw_hh, float *db_ih, float *db_hh, float *ws, cudaStream_t st)
{
	rec_plan pl = rec_plan_make<CELL>(B, H, 1);
	if (pl.variant == CUDA_REC_REF || ((uintptr_t)w_hh & 15))
		return cell_backward_ref<CELL>(T, B, In, H, reverse, x, len, w_ih, w_hh, y, dy, ldy,
					       act, extra, dx, dx_accumulate, dw_ih, dw_hh, db_ih,
					       db_hh, ws, st);
	const int N = cell_gates(CELL) * H;
	float *dg = ws;
	float *dgh = CELL == CELL_GRU ? ws + (size_t)T * B * N : dg;
	rec_args a;
	memset(&a, 0, sizeof(a));
	a.T = T;
	a.B = B;
	a.H = H;
	a.reverse = reverse;
	a.ldy = ldy;
	a.len = len;
	a.w_hh = w_hh;
	a.act = const_cast<float *>(act);
	a.extra = const_cast<float *>(extra);
	a.y = const_cast<float *>(y);
	a.dy = dy;
	a.dg = dg;
	a.dgh = dgh;
	if (rec_launch<CELL>(&pl, 1, a, st))
		return -1;
	return cell_weight_grads_cuda(st, T, B, In, H, N, reverse, x, w_ih, y, ldy, dg, dgh, dx,
				      dx_accumulate, dw_ih, dw_hh, db_ih, db_hh);
}

#endif
