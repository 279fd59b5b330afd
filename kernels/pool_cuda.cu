/* pool_cuda.cu - what the classifier sees of the last layer's outputs (last
 * real state, mean, max, or the notebook's output[:, -1]), on CUDA; pair of
 * pool_cpu.c.
 *
 * Legend: T time steps, B batch, H hidden, D = dirs * H.  y is (T, B, D),
 * forward direction in columns [0, H), reverse in [H, 2H).  Forward: one
 * thread per (b, j), looping over t in the CPU's order (same sums, same
 * first maximum).  Backward: one thread per element of dy, which it
 * overwrites (no memset, no scatter).
 */
#include "cuda_util.cuh"

enum { POOL_LAST = 0, POOL_MEAN = 1, POOL_MAX = 2, POOL_LAST_PADDED = 3 }; /* enum rnn_pool */

static __device__ __forceinline__ int last_step(int mode, int T, const int32_t *len, int b, int dir)
{
	if (mode == POOL_LAST_PADDED)
		return T - 1;
	return dir == 0 ? len[b] - 1 : 0;
}

__global__ void pool_forward_kernel(int mode, int T, int B, int H, int dirs,
				    const int32_t *__restrict__ len, const float *__restrict__ y,
				    float *__restrict__ out, int32_t *__restrict__ arg)
{
	const int D = dirs * H;
	int idx = blockIdx.x * blockDim.x + threadIdx.x;
	if (idx >= B * D)
		return;
	int b = idx / D, j = idx - b * D;
	if (mode == POOL_LAST || mode == POOL_LAST_PADDED) {
		int t = last_step(mode, T, len, b, j / H);
		out[idx] = y[((size_t)t * B + b) * D + j];
	} else if (mode == POOL_MEAN) {
		int n = len[b];
		float o = 0.0f;
		for (int t = 0; t < n; t++)
			o += y[((size_t)t * B + b) * D + j];
		out[idx] = o / (float)n;
	} else {
		float o = y[(size_t)b * D + j];
		int a = 0;
		for (int t = 1; t < len[b]; t++) {
			float v = y[((size_t)t * B + b) * D + j];
			if (v > o) {
				o = v;
				a = t;
			}
		}
		out[idx] = o;
		arg[idx] = a;
	}
}

extern "C" int pool_forward_cuda(int mode, int T, int B, int H, int dirs,
				 const int32_t *len, // (B); ignored by RNN_POOL_LAST_PADDED
				 const float *y,     // (T, B, dirs*H)
				 float *out,         // (B, dirs*H) out
				 int32_t *arg,       // (B, dirs*H) out (MAX only)
				 cudaStream_t stream)
{
	size_t n = (size_t)B * dirs * H;
	pool_forward_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(mode, T, B, H, dirs, len, y,
								      out, arg);
	CUDA_LAUNCHED("pool_forward_kernel");
	return 0;
}

__global__ void pool_backward_kernel(int mode, int T, int B, int H, int dirs,
				     const int32_t *__restrict__ len,
				     const int32_t *__restrict__ arg,
				     const float *__restrict__ dout, float *__restrict__ dy)
{
	const int D = dirs * H;
	const size_t total = (size_t)T * B * D;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
	     i += (size_t)gridDim.x * blockDim.x) {
		size_t row = i / D;
		int j = (int)(i - row * D), t = (int)(row / B), b = (int)(row - (size_t)t * B);
		float g = dout[(size_t)b * D + j], v = 0.0f;
		if (mode == POOL_LAST || mode == POOL_LAST_PADDED)
			v = t == last_step(mode, T, len, b, j / H) ? g : 0.0f;
		else if (mode == POOL_MEAN)
			v = t < len[b] ? g * (1.0f / (float)len[b]) : 0.0f;
		else
			v = t == arg[(size_t)b * D + j] ? g : 0.0f;
		dy[i] = v;
	}
}

extern "C" int pool_backward_cuda(int mode, int T, int B, int H, int dirs,
				  const int32_t *len, // (B)
				  const int32_t *arg, // (B, dirs*H) (MAX only)
				  const float *dout,  // (B, dirs*H)
				  float *dy,          // (T, B, dirs*H) overwritten
				  cudaStream_t stream)
{
	size_t n = (size_t)T * B * dirs * H;
	pool_backward_kernel<<<cuda_blocks(n, 256), 256, 0, stream>>>(mode, T, B, H, dirs, len,
								       arg, dout, dy);
	CUDA_LAUNCHED("pool_backward_kernel");
	return 0;
}
