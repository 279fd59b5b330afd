/* linear_cuda.cu - torch.nn.Linear forward and backward on CUDA; pair of
 * linear_cpu.c.
 *
 * Legend: B batch, N input features (D, the pooled width), K outputs.
 * y = x w^T + b (bias copied, then a cuBLAS GEMM adds, as on the CPU).
 * Backward adds into dw (GEMM) and db (one thread per output, rows in
 * order: the CPU's sums) and overwrites dx.
 */
#include "cuda_util.cuh"

extern "C" int linear_forward_cuda(int B, int N, int K,
				   const float *x, // (B, N)
				   const float *w, // (K, N)
				   const float *b, // (K)
				   float *y,       // (B, K) out
				   cudaStream_t stream)
{
	if (bias_fill_cuda(B, K, b, NULL, y, stream))
		return -1;
	return gemm_rm(stream, 0, 1, B, K, N, 1.0f, x, N, w, N, 1.0f, y, K);
}

__global__ void bias_grad_kernel(int B, int K, const float *__restrict__ dy, float *__restrict__ db)
{
	int k = blockIdx.x * blockDim.x + threadIdx.x;
	if (k >= K)
		return;
	float s = db[k];
	for (int i = 0; i < B; i++)
		s += dy[(size_t)i * K + k];
	db[k] = s;
}

extern "C" int linear_backward_cuda(int B, int N, int K,
				    const float *x,  // (B, N)
				    const float *w,  // (K, N)
				    const float *dy, // (B, K)
				    float *dx,       // (B, N) overwritten, or NULL
				    float *dw,       // (K, N) +=
				    float *db,       // (K) +=
				    cudaStream_t stream)
{
	if (gemm_rm(stream, 1, 0, K, N, B, 1.0f, dy, K, x, N, 1.0f, dw, N))
		return -1;
	bias_grad_kernel<<<cuda_blocks((size_t)K, 128), 128, 0, stream>>>(B, K, dy, db);
	CUDA_LAUNCHED("bias_grad_kernel");
	if (dx && gemm_rm(stream, 0, 0, B, N, K, 1.0f, dy, K, w, N, 0.0f, dx, N))
		return -1;
	return 0;
}
