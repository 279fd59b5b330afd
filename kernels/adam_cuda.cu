/* adam_cuda.cu - torch.optim.Adam and AdamW updates (amsgrad off), dense and
 * on selected rows (lazy Adam for the embedding), on CUDA; pair of
 * adam_cpu.c, bit-identical to it (adam_cuda.cuh says how).
 *
 * Legend: n elements; rows of E floats for the row variant.  Element-wise:
 * one thread per element, no reductions.  The model's step fuses clipping
 * and the NaN guard into the same update (rnn_model_cuda.cu).
 */
#include "adam_cuda.cuh"
#include "cuda_util.cuh"

__global__ void adam_kernel(size_t n, float *__restrict__ p, const float *__restrict__ g,
			    float *__restrict__ m, float *__restrict__ v, adam_coef_d c)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		adam_elem(p + i, g ? g[i] : 0.0f, m + i, v + i, c);
}

extern "C" int adam_cuda(size_t n, float *p, const float *g, float *m, float *v, double lr,
			 double beta1, double beta2, double eps, double weight_decay, int adamw,
			 long step, cudaStream_t stream)
{
	if (!n)
		return 0;
	adam_coef_d c = adam_coef_make(lr, beta1, beta2, eps, weight_decay, adamw, step);
	adam_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(n, p, g, m, v, c);
	CUDA_LAUNCHED("adam_kernel");
	return 0;
}

/* one warp per listed row */
__global__ void adam_rows_kernel(int n_rows, const int32_t *__restrict__ rows, int E,
				 float *__restrict__ p, const float *__restrict__ g,
				 float *__restrict__ m, float *__restrict__ v, adam_coef_d c)
{
	const int w = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5);
	const int lane = threadIdx.x & 31;
	if (w >= n_rows)
		return;
	size_t off = (size_t)rows[w] * E;
	for (int e = lane; e < E; e += 32)
		adam_elem(p + off + e, g ? g[off + e] : 0.0f, m + off + e, v + off + e, c);
}

extern "C" int adam_rows_cuda(int n_rows, const int32_t *rows, int E, float *p, const float *g,
			      float *m, float *v, double lr, double beta1, double beta2,
			      double eps, double weight_decay, int adamw, long step,
			      cudaStream_t stream)
{
	if (n_rows < 1)
		return 0;
	adam_coef_d c = adam_coef_make(lr, beta1, beta2, eps, weight_decay, adamw, step);
	adam_rows_kernel<<<cuda_blocks((size_t)n_rows * 32, 256), 256, 0, stream>>>(
		n_rows, rows, E, p, g, m, v, c);
	CUDA_LAUNCHED("adam_rows_kernel");
	return 0;
}
