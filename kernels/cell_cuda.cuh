/* cell_cuda.cuh - the recurrent cells on CUDA, host side and the reference
 * kernels, shared by rnn_tanh_cuda.cu, lstm_cuda.cu and gru_cuda.cu (each
 * instantiates its own cell); internal to kernels/, the pair of cell_cpu.h.
 * The persistent kernels and the element-wise math are in cell_kernels.cuh.
 *
 * Legend: T steps, B batch, I input size, H hidden, G gates, N = G*H; the
 * persistent geometry (S, CS, U, R, P) is explained in cell_kernels.cuh.
 * Buffers are time-major (T, B, .) as on the CPU.
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
 * Both use the same element-wise device functions, and cuBLAS for
 * the input projection and the weight gradients (cell_weight_grads_cuda).
 */
#ifndef RNNPIPE_CELL_CUDA_CUH
#define RNNPIPE_CELL_CUDA_CUH

#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "cell_kernels.cuh"
#include "cuda_util.cuh"

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

/* ---- choosing and launching a persistent kernel ---- */

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
	rec_kernel_fn k = rec_kernel<CELL>(backward, pl->S, W_CLUSTER);
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
 * fails: REF when nothing persistent fits or can run. */
template <int CELL>
static rec_plan rec_plan_make(int B, int H, int backward)
{
	rec_plan pl, cand[6];
	memset(&pl, 0, sizeof(pl));
	pl.variant = CUDA_REC_REF;
	const int variant = cuda_recurrence();
	if (variant == CUDA_REC_REF || !cuda_device_available())
		return pl;
	int n = rec_plan_candidates(CELL, B, H, backward, variant, cuda_cluster_size_setting(),
				    cuda_sm_count(), cuda_smem_optin(), cuda_device_cc(), cand);
	for (int i = 0; i < n; i++)
		if (cand[i].wmode != W_CLUSTER || rec_cluster_ok<CELL>(&cand[i], backward))
			return cand[i];
	return pl;
}

/* The arguments both directions share; the rest is the caller's, the
 * geometry rec_launch's. */
static inline rec_args rec_args_make(int T, int B, int H, int reverse, int ldy,
				     const int32_t *len, const float *w_hh)
{
	rec_args a;
	memset(&a, 0, sizeof(a));
	a.T = T;
	a.B = B;
	a.H = H;
	a.reverse = reverse;
	a.ldy = ldy;
	a.len = len;
	a.w_hh = w_hh;
	return a;
}

template <int CELL>
static int rec_launch(const rec_plan *pl, int backward, rec_args a, cudaStream_t st)
{
	a.CS = pl->CS;
	a.U = pl->U;
	a.P = pl->P;
	a.wstride = pl->wstride;
	rec_kernel_fn k = rec_kernel<CELL>(backward, pl->S, pl->wmode);
	CUDA_CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize,
					(int)pl->smem));
	cudaLaunchConfig_t cfg;
	cudaLaunchAttribute attr;
	rec_launch_config(pl, st, &cfg, &attr);
	CUDA_CHECK(cudaLaunchKernelEx(&cfg, k, a));
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
	rec_args a = rec_args_make(T, B, H, reverse, ldy, len, w_hh);
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
	rec_args a = rec_args_make(T, B, H, reverse, ldy, len, w_hh);
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
