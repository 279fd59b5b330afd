/* cuda_util.cuh - what every CUDA file of kernels/ shares: checked CUDA
 * and cuBLAS calls that report through error() with the call site, the
 * process-wide cuBLAS handle, a ones vector for column sums, a reduction
 * scratch, device limits, and a row-major GEMM with cblas_sgemm's argument
 * order.  C++ (nvcc) only; internal to kernels/, not part of the contract.
 *
 * Legend: M, N, K the GEMM sizes (C is M x N); "rm" means row-major.
 */
#ifndef RNNPIPE_CUDA_UTIL_CUH
#define RNNPIPE_CUDA_UTIL_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "error.h"
}
#include "kernels_cuda.h"

/* Report a failed call ("cuda: cudaMalloc(...) at kernels/x.cu:12: out of
 * memory") and return -1; 0 when the call succeeded. */
int cuda_check_(cudaError_t e, const char *what, const char *file, int line);
int cublas_check_(cublasStatus_t s, const char *what, const char *file, int line);

#define CUDA_CHECK(call)                                                          \
	do {                                                                      \
		if (cuda_check_((call), #call, __FILE__, __LINE__))               \
			return -1;                                                \
	} while (0)
#define CUBLAS_CHECK(call)                                                        \
	do {                                                                      \
		if (cublas_check_((call), #call, __FILE__, __LINE__))             \
			return -1;                                                \
	} while (0)
/* After a <<<...>>> launch: configuration errors show up here, errors of the
 * running kernel at a later synchronising call. */
#define CUDA_LAUNCHED(name)                                                       \
	do {                                                                      \
		if (cuda_check_(cudaGetLastError(), "launch of " name, __FILE__,  \
				__LINE__))                                        \
			return -1;                                                \
	} while (0)

/* The cuBLAS handle bound to stream s; NULL after error(). */
cublasHandle_t cuda_blas(cudaStream_t s);
/* A device vector of at least n ones (grown on demand; growing waits for
 * the device); NULL after error(). */
const float *cuda_ones(size_t n);

/* Reductions with a fixed grid, so sums are deterministic (gradutil_cuda.cu). */
enum { CUDA_REDUCE_BLOCKS = 512, CUDA_REDUCE_THREADS = 256 };
/* CUDA_REDUCE_BLOCKS doubles of device scratch; NULL after error(). */
double *cuda_reduce_scratch(void);

/* Device limits of the current device (0 when unknown). */
int cuda_sm_count(void);
size_t cuda_smem_optin(void); /* bytes of shared memory one block may opt into */
/* cuda_set_cluster_size()'s value (0 = automatic). */
int cuda_cluster_size_setting(void);

/* cuda_recurrence_describe() of each cell (rnn_tanh_cuda.cu, lstm_cuda.cu,
 * gru_cuda.cu). */
const char *rec_describe_rnn(int B, int H, int backward, char *buf, size_t size);
const char *rec_describe_lstm(int B, int H, int backward, char *buf, size_t size);
const char *rec_describe_gru(int B, int H, int backward, char *buf, size_t size);

/* C (M, N) = alpha op(A) op(B) + beta C, all row-major, like cblas_sgemm
 * (CblasRowMajor).  FP32 arithmetic (no TF32).  0 or -1 after error(). */
int gemm_rm(cudaStream_t s, int trans_a, int trans_b, int M, int N, int K, float alpha,
	    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* db (N) += column sums of the row-major (rows, N) matrix a (cuBLAS gemv
 * with the ones vector; deterministic). */
int colsum_add(cudaStream_t s, int rows, int N, const float *a, float *db);

static inline unsigned cuda_blocks(size_t n, int threads)
{
	size_t b = (n + (size_t)threads - 1) / (size_t)threads;
	return (unsigned)(b < 1 ? 1 : b > 65535u * 32u ? 65535u * 32u : b);
}

/* Sorted embedding keys (struct embedding_sort): whether sorted index w
 * starts the run of a real id (key < V); if so *end is one past the run. */
static __device__ __forceinline__ bool emb_run_start(const uint32_t *keys, int n, uint32_t V, int w,
						     int *end)
{
	if (w >= n)
		return false;
	uint32_t k = keys[w];
	if (k >= V || (w > 0 && keys[w - 1] == k))
		return false;
	int e = w + 1;
	while (e < n && keys[e] == k)
		e++;
	*end = e;
	return true;
}

/* out[r, :] = b1 (+ b2) for rows r of a (rows, N) matrix. */
int bias_fill_cuda(size_t rows, int N, const float *b1, const float *b2, float *out,
		   cudaStream_t s);

#endif
