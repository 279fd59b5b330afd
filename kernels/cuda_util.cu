/* cuda_util.cu - the CUDA side's shared machinery: device detection, checked
 * calls, device memory helpers for tests, event timers, the process-wide
 * cuBLAS handle, the ones vector, the reduction scratch, the recurrence
 * setting, and the row-major GEMM wrapper (see cuda_util.cuh and
 * kernels_cuda.h).
 *
 * Legend: M, N, K GEMM sizes.  Reads and writes no files.  Never exits;
 * nothing here prints unless a CUDA call fails (cuda_device_available()
 * is silent by design).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_util.cuh"

int cuda_check_(cudaError_t e, const char *what, const char *file, int line)
{
	if (e == cudaSuccess)
		return 0;
	return error("cuda: %s at %s:%d: %s", what, file, line, cudaGetErrorString(e));
}

static const char *cublas_status_name(cublasStatus_t s)
{
	switch (s) {
	case CUBLAS_STATUS_NOT_INITIALIZED: return "not initialized";
	case CUBLAS_STATUS_ALLOC_FAILED: return "allocation failed";
	case CUBLAS_STATUS_INVALID_VALUE: return "invalid value";
	case CUBLAS_STATUS_ARCH_MISMATCH: return "architecture mismatch";
	case CUBLAS_STATUS_MAPPING_ERROR: return "mapping error";
	case CUBLAS_STATUS_EXECUTION_FAILED: return "execution failed";
	case CUBLAS_STATUS_INTERNAL_ERROR: return "internal error";
	case CUBLAS_STATUS_NOT_SUPPORTED: return "not supported";
	default: return "unknown status";
	}
}

int cublas_check_(cublasStatus_t s, const char *what, const char *file, int line)
{
	if (s == CUBLAS_STATUS_SUCCESS)
		return 0;
	return error("cublas: %s at %s:%d: %s (%d)", what, file, line, cublas_status_name(s),
		     (int)s);
}

/* ---- the device ---- */

static int dev_state = -1; /* -1 unknown, 0 none, 1 present */
static char dev_name[320];
static int dev_cc, dev_sms;
static size_t dev_smem_optin;

extern "C" int cuda_device_available(void)
{
	if (dev_state >= 0)
		return dev_state;
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || n < 1) {
		cudaGetLastError(); /* clear the sticky "no driver / no device" state */
		dev_state = 0;
		return 0;
	}
	int dev = 0;
	cudaDeviceProp p;
	if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
		cudaGetLastError();
		dev_state = 0;
		return 0;
	}
	int optin = 0;
	if (cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) !=
	    cudaSuccess)
		optin = (int)p.sharedMemPerBlock;
	dev_cc = p.major * 10 + p.minor;
	dev_sms = p.multiProcessorCount;
	dev_smem_optin = (size_t)optin;
	snprintf(dev_name, sizeof(dev_name), "%s, sm_%d%d, %d SMs", p.name, p.major, p.minor,
		 p.multiProcessorCount);
	dev_state = 1;
	return 1;
}

extern "C" const char *cuda_device_name(void)
{
	return cuda_device_available() ? dev_name : "";
}

extern "C" int cuda_device_cc(void)
{
	return cuda_device_available() ? dev_cc : 0;
}

int cuda_sm_count(void)
{
	return cuda_device_available() ? dev_sms : 0;
}

size_t cuda_smem_optin(void)
{
	return cuda_device_available() ? dev_smem_optin : 0;
}

/* ---- memory helpers ---- */

extern "C" void *cuda_malloc(size_t bytes)
{
	void *p = NULL;
	if (cuda_check_(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc", __FILE__, __LINE__)) {
		error("cuda: cannot allocate %zu MiB of device memory", bytes >> 20);
		return NULL;
	}
	return p;
}

extern "C" void cuda_free(void *dev)
{
	if (dev)
		cuda_check_(cudaFree(dev), "cudaFree", __FILE__, __LINE__);
}

extern "C" int cuda_memset(void *dev, int byte, size_t bytes)
{
	CUDA_CHECK(cudaMemset(dev, byte, bytes));
	return 0;
}

extern "C" int cuda_upload(void *dev, const void *host, size_t bytes)
{
	CUDA_CHECK(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice));
	return 0;
}

extern "C" int cuda_download(void *host, const void *dev, size_t bytes)
{
	CUDA_CHECK(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost));
	return 0;
}

extern "C" int cuda_sync(void)
{
	CUDA_CHECK(cudaDeviceSynchronize());
	CUDA_CHECK(cudaGetLastError());
	return 0;
}

/* ---- timers ---- */

struct cuda_timer {
	cudaEvent_t start, stop;
};

extern "C" struct cuda_timer *cuda_timer_create(void)
{
	struct cuda_timer *t = (struct cuda_timer *)calloc(1, sizeof(*t));
	if (!t)
		return error("out of memory"), (struct cuda_timer *)NULL;
	if (cuda_check_(cudaEventCreate(&t->start), "cudaEventCreate", __FILE__, __LINE__) ||
	    cuda_check_(cudaEventCreate(&t->stop), "cudaEventCreate", __FILE__, __LINE__)) {
		free(t);
		return NULL;
	}
	return t;
}

extern "C" void cuda_timer_free(struct cuda_timer *t)
{
	if (!t)
		return;
	cudaEventDestroy(t->start);
	cudaEventDestroy(t->stop);
	free(t);
}

extern "C" int cuda_timer_start(struct cuda_timer *t, cudaStream_t s)
{
	CUDA_CHECK(cudaEventRecord(t->start, s));
	return 0;
}

extern "C" double cuda_timer_stop(struct cuda_timer *t, cudaStream_t s)
{
	float ms = 0;
	CUDA_CHECK(cudaEventRecord(t->stop, s));
	CUDA_CHECK(cudaEventSynchronize(t->stop));
	CUDA_CHECK(cudaEventElapsedTime(&ms, t->start, t->stop));
	return ms;
}

/* ---- process-wide context ---- */

static cublasHandle_t blas;
static float *ones;
static size_t ones_n;
static double *reduce_scratch;

cublasHandle_t cuda_blas(cudaStream_t s)
{
	if (!blas) {
		if (cublas_check_(cublasCreate(&blas), "cublasCreate", __FILE__, __LINE__)) {
			blas = NULL;
			return NULL;
		}
		/* plain FP32 (no TF32 tensor cores), no atomics: deterministic */
		if (cublas_check_(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH),
				  "cublasSetMathMode", __FILE__, __LINE__) ||
		    cublas_check_(cublasSetAtomicsMode(blas, CUBLAS_ATOMICS_NOT_ALLOWED),
				  "cublasSetAtomicsMode", __FILE__, __LINE__) ||
		    cublas_check_(cublasSetPointerMode(blas, CUBLAS_POINTER_MODE_HOST),
				  "cublasSetPointerMode", __FILE__, __LINE__)) {
			cublasDestroy(blas);
			blas = NULL;
			return NULL;
		}
	}
	if (cublas_check_(cublasSetStream(blas, s), "cublasSetStream", __FILE__, __LINE__))
		return NULL;
	return blas;
}

__global__ void fill_kernel(float *x, size_t n, float v)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		x[i] = v;
}

const float *cuda_ones(size_t n)
{
	if (n <= ones_n && ones)
		return ones;
	if (ones) {
		/* the old vector may still be read by queued work */
		if (cuda_check_(cudaDeviceSynchronize(), "cudaDeviceSynchronize", __FILE__,
				__LINE__))
			return NULL;
		cudaFree(ones);
		ones = NULL;
		ones_n = 0;
	}
	size_t want = n < 4096 ? 4096 : n;
	float *p = (float *)cuda_malloc(want * sizeof(float));
	if (!p)
		return NULL;
	fill_kernel<<<cuda_blocks(want, 256), 256>>>(p, want, 1.0f);
	if (cuda_check_(cudaGetLastError(), "launch of fill_kernel", __FILE__, __LINE__) ||
	    cuda_check_(cudaDeviceSynchronize(), "cudaDeviceSynchronize", __FILE__, __LINE__)) {
		cudaFree(p);
		return NULL;
	}
	ones = p;
	ones_n = want;
	return ones;
}

double *cuda_reduce_scratch(void)
{
	if (!reduce_scratch)
		reduce_scratch = (double *)cuda_malloc(CUDA_REDUCE_BLOCKS * sizeof(double));
	return reduce_scratch;
}

/* ---- the recurrence setting ---- */

static int rec_variant = CUDA_REC_DEFAULT;
static int rec_cluster = 0;
static const char *rec_names[] = {"ref", "global", "smem", "cluster"};

extern "C" void cuda_set_recurrence(int variant)
{
	rec_variant = variant >= CUDA_REC_REF && variant <= CUDA_REC_CLUSTER ? variant
									      : CUDA_REC_DEFAULT;
}

extern "C" int cuda_recurrence(void)
{
	return rec_variant;
}

extern "C" const char *cuda_recurrence_name(int variant)
{
	return variant >= 0 && variant <= 3 ? rec_names[variant] : "?";
}

extern "C" int cuda_recurrence_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, rec_names[i]))
			return i;
	return -1;
}

extern "C" void cuda_set_cluster_size(int cs)
{
	rec_cluster = cs == 2 || cs == 4 || cs == 8 ? cs : 0;
}

int cuda_cluster_size_setting(void)
{
	return rec_cluster;
}

extern "C" const char *cuda_recurrence_describe(int cell, int B, int H, int backward, char *buf,
						size_t size)
{
	if (!cuda_device_available()) {
		snprintf(buf, size, "no CUDA device");
		return buf;
	}
	return cell == 1 ? rec_describe_lstm(B, H, backward, buf, size)
	       : cell == 2 ? rec_describe_gru(B, H, backward, buf, size)
			   : rec_describe_rnn(B, H, backward, buf, size);
}

/* ---- BLAS helpers ---- */

int gemm_rm(cudaStream_t s, int trans_a, int trans_b, int M, int N, int K, float alpha,
	    const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return 0;
	cublasHandle_t h = cuda_blas(s);
	if (!h)
		return -1;
	/* row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap
	 * the operands, keep each one's transpose flag */
	CUBLAS_CHECK(cublasSgemm(h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
				 trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, A,
				 lda, &beta, C, ldc));
	return 0;
}

int colsum_add(cudaStream_t s, int rows, int N, const float *a, float *db)
{
	if (rows <= 0 || N <= 0)
		return 0;
	const float *one_v = cuda_ones((size_t)rows);
	cublasHandle_t h = cuda_blas(s);
	if (!one_v || !h)
		return -1;
	const float one = 1.0f;
	/* a (rows, N) row-major is the column-major (N, rows) matrix a^T */
	CUBLAS_CHECK(cublasSgemv(h, CUBLAS_OP_N, N, rows, &one, a, N, one_v, 1, &one, db, 1));
	return 0;
}

__global__ void bias_fill_kernel(size_t rows, int N, const float *__restrict__ b1,
				 const float *__restrict__ b2, float *__restrict__ out)
{
	size_t total = rows * (size_t)N;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
	     i += (size_t)gridDim.x * blockDim.x) {
		int j = (int)(i % (size_t)N);
		out[i] = b2 ? b1[j] + b2[j] : b1[j];
	}
}

int bias_fill_cuda(size_t rows, int N, const float *b1, const float *b2, float *out,
		   cudaStream_t s)
{
	size_t total = rows * (size_t)N;
	if (!total)
		return 0;
	bias_fill_kernel<<<cuda_blocks(total, 256), 256, 0, s>>>(rows, N, b1, b2, out);
	CUDA_LAUNCHED("bias_fill_kernel");
	return 0;
}
