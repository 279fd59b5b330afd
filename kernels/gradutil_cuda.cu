/* gradutil_cuda.cu - reductions and scaling for gradient clipping and the
 * NaN/Inf guard, on CUDA; pair of gradutil_cpu.c.
 *
 * Legend: n elements.  sumsq: each of a fixed number of blocks
 * (CUDA_REDUCE_BLOCKS) sums a fixed strided share in double, a fixed tree
 * reduces the block, one more block reduces the partial sums: the same
 * order every run (deterministic), not the CPU's order (last bits of the
 * double differ).  The non-finite count adds integers (exact).
 */
#include "cuda_util.cuh"

/* Tree sum of one value per thread; result in thread 0.  blockDim.x must be
 * CUDA_REDUCE_THREADS or CUDA_REDUCE_BLOCKS (powers of two). */
static __device__ double block_sum(double v, double *sh)
{
	sh[threadIdx.x] = v;
	__syncthreads();
	for (int off = blockDim.x / 2; off > 0; off >>= 1) {
		if ((int)threadIdx.x < off)
			sh[threadIdx.x] += sh[threadIdx.x + off];
		__syncthreads();
	}
	return sh[0];
}

__global__ void __launch_bounds__(CUDA_REDUCE_THREADS)
	sumsq_partial_kernel(size_t n, const float *__restrict__ x, double *__restrict__ part)
{
	__shared__ double sh[CUDA_REDUCE_THREADS];
	double s = 0.0;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		s += (double)x[i] * (double)x[i];
	s = block_sum(s, sh);
	if (threadIdx.x == 0)
		part[blockIdx.x] = s;
}

__global__ void __launch_bounds__(CUDA_REDUCE_BLOCKS)
	sum_partials_kernel(const double *__restrict__ part, double *__restrict__ out)
{
	__shared__ double sh[CUDA_REDUCE_BLOCKS];
	double s = block_sum(part[threadIdx.x], sh);
	if (threadIdx.x == 0)
		*out = s;
}

extern "C" int sumsq_cuda(size_t n, const float *x, double *out, cudaStream_t stream)
{
	double *part = cuda_reduce_scratch();
	if (!part)
		return -1;
	sumsq_partial_kernel<<<CUDA_REDUCE_BLOCKS, CUDA_REDUCE_THREADS, 0, stream>>>(n, x, part);
	CUDA_LAUNCHED("sumsq_partial_kernel");
	sum_partials_kernel<<<1, CUDA_REDUCE_BLOCKS, 0, stream>>>(part, out);
	CUDA_LAUNCHED("sum_partials_kernel");
	return 0;
}

__global__ void scale_kernel(size_t n, float *__restrict__ x, float s)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		x[i] *= s;
}

extern "C" int scale_cuda(size_t n, float *x, float s, cudaStream_t stream)
{
	if (!n)
		return 0;
	scale_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(n, x, s);
	CUDA_LAUNCHED("scale_kernel");
	return 0;
}

__global__ void count_nonfinite_kernel(size_t n, const float *__restrict__ x,
				       unsigned long long *out)
{
	unsigned long long bad = 0;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		bad += !isfinite(x[i]);
	/* warp sum, then one atomic per warp */
	for (int off = 16; off > 0; off >>= 1)
		bad += __shfl_down_sync(0xffffffffu, bad, off);
	if ((threadIdx.x & 31) == 0 && bad)
		atomicAdd(out, bad);
}

extern "C" int count_nonfinite_cuda(size_t n, const float *x, size_t *out, cudaStream_t stream)
{
	static_assert(sizeof(size_t) == sizeof(unsigned long long), "size_t is 64-bit");
	CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(*out), stream));
	if (!n)
		return 0;
	count_nonfinite_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(
		n, x, (unsigned long long *)out);
	CUDA_LAUNCHED("count_nonfinite_kernel");
	return 0;
}
