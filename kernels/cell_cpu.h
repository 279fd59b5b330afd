/* cell_cpu.h - helpers shared by the CPU recurrent cells (rnn_tanh_cpu.c,
 * lstm_cpu.c, gru_cpu.c); internal to kernels/, not part of the contract.
 *
 * Legend: T steps, B batch, I input size, H hidden, G gates.  Buffers are
 * time-major (T, B, .).  Everything here is deterministic: fixed loop
 * order, OpenBLAS GEMMs only.
 */
#ifndef RNNPIPE_CELL_CPU_H
#define RNNPIPE_CELL_CPU_H

#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels_cpu.h"

/* Threads (cpu_threads(), threads_cpu.c).  OpenBLAS stays single-threaded
 * (its calls are thread-safe): its own threads cost more than they gain on
 * the per-step (B, H) x (H, G*H) products (17 us with 1 thread against 30
 * us with 2 for 32 x 128 x 128), and after each multi-threaded product
 * they spin for a while on the core the next step needs.  Instead the rows
 * are split: those of a product (cell_sgemm), and those of the batch in
 * the recurrence, since rows are independent sequences (each range runs
 * all steps with its own (rows, H) x (H, G*H) products).  A split divides
 * rows, never a sum, and the same count always gives the same bits; but
 * OpenBLAS may take another kernel for a block of rows than for all of
 * them, so 1 thread and 2 can differ in the last bits (docs/model.md).
 * Ranges of at least 2 rows (cpu_parallel runs them). */
static inline int cell_parts(int rows)
{
	int nt = cpu_threads();
	return nt < rows / 2 ? nt : rows / 2;
}

/* C (M, N) = alpha op(A) op(B) + beta C, row-major, its rows split across
 * the threads (single-threaded OpenBLAS products over row blocks). */
struct cell_gemm {
	CBLAS_TRANSPOSE ta, tb;
	int N, K;
	float alpha, beta;
	const float *A, *B;
	int lda, ldb;
	float *C;
	int ldc;
};

static inline void cell_gemm_rows(void *p, size_t m0, size_t m1)
{
	const struct cell_gemm *g = p;
	const float *A = g->ta == CblasNoTrans ? g->A + (size_t)m0 * g->lda : g->A + m0;
	cblas_sgemm(CblasRowMajor, g->ta, g->tb, (int)(m1 - m0), g->N, g->K, g->alpha, A, g->lda,
		    g->B, g->ldb, g->beta, g->C + (size_t)m0 * g->ldc, g->ldc);
}

static inline void cell_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K,
			      float alpha, const float *A, int lda, const float *B, int ldb,
			      float beta, float *C, int ldc)
{
	struct cell_gemm g = {ta, tb, N, K, alpha, beta, A, B, lda, ldb, C, ldc};
	cpu_parallel((size_t)M, cell_parts(M), cell_gemm_rows, &g);
}

/* y[i] = tanh(x[i]), y[i] = 1 / (1 + exp(-x[i])) for i < n; y may be x
 * (cell_act_cpu.c: SLEEF, 1.0 ulp). */
void cell_tanh(float *y, const float *x, int n);
void cell_sigmoid(float *y, const float *x, int n);

static inline int cell_real(const int32_t *len, int b, int t)
{
	return !len || t < len[b];
}

/* Step processed before step t in the forward recurrence (-1: none). */
static inline int cell_prev_step(int T, int t, int reverse)
{
	int tp = reverse ? t + 1 : t - 1;
	return tp >= 0 && tp < T ? tp : -1;
}

/* act (T*B, N) = x (T*B, I) w^T + b1 (+ b2 when not NULL); N = G*H. */
static inline void cell_input_projection(int T, int B, int In, int N, const float *x,
					 const float *w, const float *b1, const float *b2,
					 float *act)
{
	size_t rows = (size_t)T * B;
	for (size_t r = 0; r < rows; r++) {
		float *restrict a = act + r * N;
		if (b2)
			for (int j = 0; j < N; j++)
				a[j] = b1[j] + b2[j];
		else
			memcpy(a, b1, sizeof(float) * N);
	}
	cell_sgemm(CblasNoTrans, CblasTrans, (int)rows, N, In, 1.0f, x, In, w, In, 1.0f, act, N);
}

/* db (N) += column sums of dg (rows, N), rows in order. */
static inline void cell_colsum_add(size_t rows, int N, const float *dg, float *restrict db)
{
	for (size_t r = 0; r < rows; r++) {
		const float *restrict g = dg + r * N;
		for (int j = 0; j < N; j++)
			db[j] += g[j];
	}
}

/* The weight and input gradients once the gate gradients of all steps are
 * known: dg (T, B, N) for the input side, dgh (T, B, N) for the recurrent
 * side (the same buffer for RNN and LSTM).
 *   dw_ih += dg^T x;  dw_hh += sum_t dgh[t]^T h_prev[t];  db_ih, db_hh;
 *   dx = (or +=) dg w_ih.
 * h_prev[t] is y[t-1] (forward) or y[t+1] (reverse), zero at the start. */
static inline void cell_weight_grads(int T, int B, int In, int H, int N, int reverse,
				     const float *x, const float *w_ih, const float *y, int ldy,
				     const float *dg, const float *dgh, float *dx,
				     int dx_accumulate, float *dw_ih, float *dw_hh, float *db_ih,
				     float *db_hh)
{
	size_t rows = (size_t)T * B;
	cell_sgemm(CblasTrans, CblasNoTrans, N, In, (int)rows, 1.0f, dg, N, x, In, 1.0f, dw_ih, In);
	if (T > 1) {
		const float *g = reverse ? dgh : dgh + (size_t)B * N;
		const float *h = reverse ? y + (size_t)B * ldy : y;
		cell_sgemm(CblasTrans, CblasNoTrans, N, H, (T - 1) * B, 1.0f, g, N, h, ldy, 1.0f,
			   dw_hh, H);
	}
	cell_colsum_add(rows, N, dg, db_ih);
	cell_colsum_add(rows, N, dgh, db_hh);
	if (dx)
		cell_sgemm(CblasNoTrans, CblasNoTrans, (int)rows, In, N, 1.0f, dg, N, w_ih, In,
			   dx_accumulate ? 1.0f : 0.0f, dx, In);
}

#endif
