/* embedding_cuda.cu - embedding gather, its gradient (atomic, or sorted and
 * deterministic), and the time-major copy of float sequences, on CUDA; pair
 * of embedding_cpu.c.
 *
 * Legend: T time steps, B batch, E embedding size, I input size, V vocab,
 * P = T * B positions, p = t * B + b.  ids / inputs are batch-major (B, T),
 * activations time-major (T, B, .); padding positions give zeros and their
 * ids are never read.  The sorted gradient (a stable CUB radix sort of the
 * positions by id, then one warp per distinct id adding its positions in
 * increasing p) reproduces the CPU's additions one for one.
 * Does not check ids (the model API does).
 */
#include <cub/device/device_radix_sort.cuh>

#include "cuda_util.cuh"

static __device__ __forceinline__ bool is_real(const int32_t *len, int b, int t)
{
	return !len || t < len[b];
}

__global__ void embedding_forward_kernel(int T, int B, int E, const int32_t *__restrict__ ids,
					 const int32_t *__restrict__ len,
					 const float *__restrict__ emb, float *__restrict__ x)
{
	const size_t total = (size_t)T * B * E;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
	     i += (size_t)gridDim.x * blockDim.x) {
		size_t row = i / E;
		int e = (int)(i - row * E), t = (int)(row / B), b = (int)(row - (size_t)t * B);
		x[i] = is_real(len, b, t) ? emb[(size_t)ids[(size_t)b * T + t] * E + e] : 0.0f;
	}
}

extern "C" int embedding_forward_cuda(int T, int B, int E,
				      const int32_t *ids, // (B, T)
				      const int32_t *len, // (B) or NULL
				      const float *emb,   // (V, E)
				      float *x,           // (T, B, E) out
				      cudaStream_t stream)
{
	size_t total = (size_t)T * B * E;
	embedding_forward_kernel<<<cuda_blocks(total, 256), 256, 0, stream>>>(T, B, E, ids, len,
									       emb, x);
	CUDA_LAUNCHED("embedding_forward_kernel");
	return 0;
}

__global__ void embedding_backward_atomic_kernel(int T, int B, int E,
						 const int32_t *__restrict__ ids,
						 const int32_t *__restrict__ len,
						 const float *__restrict__ dx, float *demb)
{
	const size_t total = (size_t)T * B * E;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
	     i += (size_t)gridDim.x * blockDim.x) {
		size_t row = i / E;
		int e = (int)(i - row * E), t = (int)(row / B), b = (int)(row - (size_t)t * B);
		if (is_real(len, b, t))
			atomicAdd(demb + (size_t)ids[(size_t)b * T + t] * E + e, dx[i]);
	}
}

extern "C" int embedding_backward_cuda(int T, int B, int E,
				       const int32_t *ids, // (B, T)
				       const int32_t *len, // (B) or NULL
				       const float *dx,    // (T, B, E)
				       float *demb,        // (V, E) accumulated
				       cudaStream_t stream)
{
	size_t total = (size_t)T * B * E;
	embedding_backward_atomic_kernel<<<cuda_blocks(total, 256), 256, 0, stream>>>(
		T, B, E, ids, len, dx, demb);
	CUDA_LAUNCHED("embedding_backward_atomic_kernel");
	return 0;
}

__global__ void sequence_forward_kernel(int T, int B, int In, const float *__restrict__ in,
					const int32_t *__restrict__ len, float *__restrict__ x)
{
	const size_t total = (size_t)T * B * In;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total;
	     i += (size_t)gridDim.x * blockDim.x) {
		size_t row = i / In;
		int k = (int)(i - row * In), t = (int)(row / B), b = (int)(row - (size_t)t * B);
		x[i] = is_real(len, b, t) ? in[((size_t)b * T + t) * In + k] : 0.0f;
	}
}

extern "C" int sequence_forward_cuda(int T, int B, int In,
				     const float *in,    // (B, T, I)
				     const int32_t *len, // (B) or NULL
				     float *x,           // (T, B, I) out
				     cudaStream_t stream)
{
	size_t total = (size_t)T * B * In;
	sequence_forward_kernel<<<cuda_blocks(total, 256), 256, 0, stream>>>(T, B, In, in, len,
									      x);
	CUDA_LAUNCHED("sequence_forward_kernel");
	return 0;
}

/* ---- the sorted (deterministic) gradient ---- */

static int key_bits(int V)
{
	int bits = 1;
	while (bits < 32 && (1u << bits) <= (unsigned)V)
		bits++;
	return bits; /* V < 2^bits: the padding key V sorts last */
}

static size_t align256(size_t n)
{
	return (n + 255) / 256 * 256;
}

static int cub_tmp_bytes(int P, int V, size_t *bytes)
{
	*bytes = 0;
	CUDA_CHECK(cub::DeviceRadixSort::SortPairs(NULL, *bytes, (const uint32_t *)NULL,
						   (uint32_t *)NULL, (const int32_t *)NULL,
						   (int32_t *)NULL, P, 0, key_bits(V)));
	return 0;
}

extern "C" int embedding_sort_ws(int T, int B, int V, size_t *bytes)
{
	size_t P = (size_t)T * B, tmp;
	if (cub_tmp_bytes((int)P, V, &tmp))
		return -1;
	*bytes = 4 * align256(P * 4) + align256(tmp);
	return 0;
}

extern "C" void embedding_sort_carve(void *ws, int T, int B, int V, struct embedding_sort *s)
{
	size_t P = (size_t)T * B, chunk = align256(P * 4);
	char *base = (char *)ws;
	memset(s, 0, sizeof(*s));
	s->P = (int)P;
	s->V = V;
	s->keys = (uint32_t *)(void *)base;
	s->pos = (int32_t *)(void *)(base + chunk);
	s->keys_in = (uint32_t *)(void *)(base + 2 * chunk);
	s->pos_in = (int32_t *)(void *)(base + 3 * chunk);
	s->tmp = base + 4 * chunk;
	if (cub_tmp_bytes((int)P, V, &s->tmp_bytes))
		s->tmp_bytes = 0;
}

__global__ void embedding_keys_kernel(int T, int B, int V, const int32_t *__restrict__ ids,
				      const int32_t *__restrict__ len, uint32_t *__restrict__ keys,
				      int32_t *__restrict__ pos)
{
	const int P = T * B;
	for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < P; p += gridDim.x * blockDim.x) {
		int t = p / B, b = p - t * B;
		keys[p] = is_real(len, b, t) ? (uint32_t)ids[(size_t)b * T + t] : (uint32_t)V;
		pos[p] = p;
	}
}

extern "C" int embedding_sort_cuda(int T, int B,
				   const int32_t *ids, // (B, T)
				   const int32_t *len, // (B) or NULL
				   struct embedding_sort *s, cudaStream_t stream)
{
	/* the workspace was carved for s->P positions; a smaller batch uses
	 * fewer (p = t * B + b with this batch's B) */
	const int P = T * B;
	size_t need;
	if (P > s->P)
		return error("embedding: %d positions exceed the sort workspace of %d", P, s->P);
	if (cub_tmp_bytes(P, s->V, &need))
		return -1;
	if (need > s->tmp_bytes)
		return error("embedding: sort needs %zu bytes of scratch, has %zu", need,
			     s->tmp_bytes);
	embedding_keys_kernel<<<cuda_blocks((size_t)P, 256), 256, 0, stream>>>(
		T, B, s->V, ids, len, s->keys_in, s->pos_in);
	CUDA_LAUNCHED("embedding_keys_kernel");
	size_t tmp = s->tmp_bytes;
	CUDA_CHECK(cub::DeviceRadixSort::SortPairs(s->tmp, tmp, s->keys_in, s->keys, s->pos_in,
						   s->pos, P, 0, key_bits(s->V), stream));
	s->n = P;
	return 0;
}

/* One warp per (position w, 32 columns of E): the warps of a run's first
 * position add its positions' rows of dx into the run's id row, each
 * column in increasing p (the CPU's order).  Splitting E over warps keeps
 * that order and shortens the longest run's serial chain E/32 times: real
 * batches have runs of ~400 positions (the commonest tokens), which one
 * warp per run walked 8 times at E 256. */
__global__ void embedding_segsum_kernel(int n, uint32_t V, int E, const uint32_t *__restrict__ keys,
					const int32_t *__restrict__ pos,
					const float *__restrict__ dx, float *__restrict__ demb)
{
	const size_t chunks = (E + 31) / 32, warps = (size_t)n * chunks;
	const size_t stride = ((size_t)gridDim.x * blockDim.x) >> 5;
	for (size_t gw = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5; gw < warps;
	     gw += stride) {
		const int w = (int)(gw / chunks);
		const int e = (int)(gw % chunks) * 32 + (threadIdx.x & 31);
		int end;
		if (e >= E || !emb_run_start(keys, n, V, w, &end))
			continue;
		float *row = demb + (size_t)keys[w] * E;
		float acc = row[e];
#pragma unroll 4
		for (int i = w; i < end; i++)
			acc += dx[(size_t)pos[i] * E + e];
		row[e] = acc;
	}
}

extern "C" int embedding_backward_sorted_cuda(int E, const struct embedding_sort *s,
					      const float *dx, // (T, B, E)
					      float *demb,     // (V, E) accumulated
					      cudaStream_t stream)
{
	if (s->n < 1)
		return 0;
	const size_t warps = (size_t)s->n * ((E + 31) / 32);
	embedding_segsum_kernel<<<cuda_blocks(warps * 32, 256), 256, 0, stream>>>(
		s->n, (uint32_t)s->V, E, s->keys, s->pos, dx, demb);
	CUDA_LAUNCHED("embedding_segsum_kernel");
	return 0;
}

__global__ void embedding_rows_zero_kernel(int n, uint32_t V, int E,
					   const uint32_t *__restrict__ keys, float *__restrict__ t)
{
	const int w = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5);
	const int lane = threadIdx.x & 31;
	int end;
	if (!emb_run_start(keys, n, V, w, &end))
		return;
	float *row = t + (size_t)keys[w] * E;
	for (int e = lane; e < E; e += 32)
		row[e] = 0.0f;
}

extern "C" int embedding_rows_zero_cuda(int E, const struct embedding_sort *s, float *t,
					cudaStream_t stream)
{
	if (s->n < 1)
		return 0;
	embedding_rows_zero_kernel<<<cuda_blocks((size_t)s->n * 32, 256), 256, 0, stream>>>(
		s->n, (uint32_t)s->V, E, s->keys, t);
	CUDA_LAUNCHED("embedding_rows_zero_kernel");
	return 0;
}
