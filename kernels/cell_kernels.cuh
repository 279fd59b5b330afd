/* cell_kernels.cuh - the device side of the persistent recurrence kernels
 * and the element-wise cell math, with the pure (no CUDA call) choice of
 * their geometry; included by cell_cuda.cuh, and by the CPU emulator in
 * kernels/dev/cell_emu.cc, which runs these very kernels with one host
 * thread per CUDA thread to check their indexing without a GPU.
 *
 * Legend: T steps, B batch, H hidden, G gates, N = G*H, S sequences per
 * thread block, CS blocks per cluster, U = H/CS hidden units owned by one
 * block, R rows of the recurrent matrix a block multiplies (forward G*U,
 * backward U), P lanes that share one row's dot product.  Buffers are
 * time-major (T, B, .).  Uses only the CUDA language, no runtime calls.
 */
#ifndef RNNPIPE_CELL_KERNELS_CUH
#define RNNPIPE_CELL_KERNELS_CUH

#include <stddef.h>
#include <stdint.h>

#ifndef CELL_EMULATE
#include <cooperative_groups.h>
#endif

#if (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900) || defined(CELL_EMULATE)
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

#ifndef CELL_EMULATE
/* The block's dynamic shared memory (the emulator provides its own). */
__device__ __forceinline__ float *rec_smem_base()
{
	extern __shared__ float4 rec_smem[];
	return reinterpret_cast<float *>(rec_smem);
}
#endif

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
	float *sm = rec_smem_base();
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
	float *sm = rec_smem_base();
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

struct rec_plan {
	int variant;   /* enum cuda_recurrence actually used (REF: no plan) */
	int wmode, S, CS, U, P, threads, wstride, blocks;
	size_t smem;
};

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


/* The launch geometries worth trying for a shape, best first (the caller
 * takes the first that the device accepts; the last is always GLOBAL).
 * variant: enum cuda_recurrence (not REF); cluster_setting: 0 automatic, or
 * the forced cluster size; sms: multiprocessors; smax: shared memory one
 * block may opt into; cc: compute capability (90 for sm_90).  Pure: the
 * emulator calls it with made-up limits.  Returns the count (<= 6). */
static inline int rec_plan_candidates(int cell, int B, int H, int backward, int variant,
				      int cluster_setting, int sms, size_t smax, int cc,
				      rec_plan *out)
{
	const int G = cell_gates(cell), N = G * H;
	int modes[6], sizes[6], nc = 0, n = 0;
	if (H % 4 || H > 1024)
		return 0;
	if (variant == 3 /* CLUSTER */ && cluster_setting) {
		modes[nc] = W_CLUSTER, sizes[nc++] = cluster_setting;
	} else if (variant != 1 /* GLOBAL */) {
		modes[nc] = W_SMEM, sizes[nc++] = 1;
		if (variant == 3)
			for (int cs = 2; cs <= 8; cs *= 2)
				modes[nc] = W_CLUSTER, sizes[nc++] = cs;
	}
	modes[nc] = W_GLOBAL, sizes[nc++] = 1;
	if (sms < 1)
		sms = 1;
	for (int c = 0; c < nc; c++) {
		const int wmode = modes[c], CS = sizes[c];
		if (wmode == W_CLUSTER && (cc < 90 || H % CS || (H / CS) % 4))
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
			rec_layout L = rec_layout_of(cell, H, U, S, wstride, wmode != W_GLOBAL,
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
		rec_plan *pl = &out[n++];
		pl->variant = wmode == W_GLOBAL ? 1 : wmode == W_SMEM ? 2 : 3;
		pl->wmode = wmode;
		pl->S = bestS;
		pl->CS = CS;
		pl->U = U;
		pl->P = P;
		pl->threads = threads;
		pl->wstride = wstride;
		pl->blocks = (B + bestS - 1) / bestS * CS;
		pl->smem = best_smem;
	}
	return n;
}

/* ---- choosing the instance ---- */

/* Every persistent kernel has this type: launched with the typed
 * cudaLaunchKernelEx, which converts the argument as a call would. */
typedef void (*rec_kernel_fn)(const rec_args);

template <int CELL, int S>
static rec_kernel_fn rec_kernel_s(int backward, int wmode)
{
	if (backward)
		return wmode == W_GLOBAL  ? rec_bwd_kernel<CELL, S, W_GLOBAL>
		       : wmode == W_SMEM ? rec_bwd_kernel<CELL, S, W_SMEM>
					 : rec_bwd_kernel<CELL, S, W_CLUSTER>;
	return wmode == W_GLOBAL  ? rec_fwd_kernel<CELL, S, W_GLOBAL>
	       : wmode == W_SMEM ? rec_fwd_kernel<CELL, S, W_SMEM>
				 : rec_fwd_kernel<CELL, S, W_CLUSTER>;
}

template <int CELL>
static rec_kernel_fn rec_kernel(int backward, int S, int wmode)
{
	switch (S) {
	case 1: return rec_kernel_s<CELL, 1>(backward, wmode);
	case 2: return rec_kernel_s<CELL, 2>(backward, wmode);
	case 4: return rec_kernel_s<CELL, 4>(backward, wmode);
	default: return rec_kernel_s<CELL, 8>(backward, wmode);
	}
}

#endif
