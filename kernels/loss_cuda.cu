/* loss_cuda.cu - softmax cross-entropy and mean squared error, forward and
 * backward, on CUDA; pair of loss_cpu.c.
 *
 * Legend: B batch, C classes, K regression outputs.  Losses are means
 * accumulated in double and written as one float to device memory.  The
 * forward kernels run as ONE block: threads compute rows (in double, like
 * the CPU), thread 0 adds them in row order, so the sum is the CPU's sum
 * (up to the last bit of the device's exp/log).  Batches are small (B rows),
 * so one block is no bottleneck.
 */
#include "cuda_util.cuh"

enum { LOSS_THREADS = 256 };

__global__ void __launch_bounds__(LOSS_THREADS)
	softmax_xent_forward_kernel(int B, int C, const float *__restrict__ logits,
				    const int32_t *__restrict__ labels, float *__restrict__ probs,
				    float *__restrict__ loss)
{
	__shared__ double rowloss[LOSS_THREADS];
	double total = 0.0;
	for (int base = 0; base < B; base += LOSS_THREADS) {
		int b = base + threadIdx.x;
		double lb = 0.0;
		if (b < B) {
			const float *l = logits + (size_t)b * C;
			float *p = probs + (size_t)b * C;
			double mx = l[0];
			for (int c = 1; c < C; c++)
				if (l[c] > mx)
					mx = l[c];
			double sum = 0.0;
			for (int c = 0; c < C; c++)
				sum += exp((double)l[c] - mx);
			for (int c = 0; c < C; c++)
				p[c] = (float)(exp((double)l[c] - mx) / sum);
			if (labels)
				lb = mx + log(sum) - (double)l[labels[b]];
		}
		rowloss[threadIdx.x] = lb;
		__syncthreads();
		if (threadIdx.x == 0)
			for (int i = 0; i < LOSS_THREADS && base + i < B; i++)
				total += rowloss[i];
		__syncthreads();
	}
	if (threadIdx.x == 0 && loss && labels)
		*loss = (float)(total / B);
}

extern "C" int softmax_xent_forward_cuda(int B, int C, const float *logits,
					 const int32_t *labels, float *probs, float *loss,
					 cudaStream_t stream)
{
	softmax_xent_forward_kernel<<<1, LOSS_THREADS, 0, stream>>>(B, C, logits, labels, probs,
								    loss);
	CUDA_LAUNCHED("softmax_xent_forward_kernel");
	return 0;
}

__global__ void softmax_xent_backward_kernel(int B, int C, const float *__restrict__ probs,
					     const int32_t *__restrict__ labels,
					     float *__restrict__ dlogits)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= B * C)
		return;
	int b = i / C, c = i - b * C;
	float inv = 1.0f / (float)B;
	dlogits[i] = (probs[i] - (c == labels[b] ? 1.0f : 0.0f)) * inv;
}

extern "C" int softmax_xent_backward_cuda(int B, int C, const float *probs,
					  const int32_t *labels, float *dlogits,
					  cudaStream_t stream)
{
	softmax_xent_backward_kernel<<<cuda_blocks((size_t)B * C, 256), 256, 0, stream>>>(
		B, C, probs, labels, dlogits);
	CUDA_LAUNCHED("softmax_xent_backward_kernel");
	return 0;
}

__global__ void __launch_bounds__(LOSS_THREADS)
	mse_forward_kernel(int B, int K, const float *__restrict__ pred,
			   const float *__restrict__ target, float *__restrict__ loss)
{
	__shared__ double part[LOSS_THREADS];
	const size_t n = (size_t)B * K;
	double total = 0.0;
	for (size_t base = 0; base < n; base += LOSS_THREADS) {
		size_t i = base + threadIdx.x;
		double d = i < n ? (double)pred[i] - (double)target[i] : 0.0;
		part[threadIdx.x] = d * d;
		__syncthreads();
		if (threadIdx.x == 0)
			for (size_t k = 0; k < LOSS_THREADS && base + k < n; k++)
				total += part[k];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		*loss = (float)(total / (double)n);
}

extern "C" int mse_forward_cuda(int B, int K, const float *pred, const float *target,
				float *loss, cudaStream_t stream)
{
	mse_forward_kernel<<<1, LOSS_THREADS, 0, stream>>>(B, K, pred, target, loss);
	CUDA_LAUNCHED("mse_forward_kernel");
	return 0;
}

__global__ void mse_backward_kernel(size_t n, const float *__restrict__ pred,
				    const float *__restrict__ target, float *__restrict__ dpred)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	float scale = 2.0f / (float)n;
	dpred[i] = (pred[i] - target[i]) * scale;
}

extern "C" int mse_backward_cuda(int B, int K, const float *pred, const float *target,
				 float *dpred, cudaStream_t stream)
{
	size_t n = (size_t)B * K;
	mse_backward_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(n, pred, target, dpred);
	CUDA_LAUNCHED("mse_backward_kernel");
	return 0;
}
