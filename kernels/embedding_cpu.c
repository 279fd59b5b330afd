/* embedding_cpu.c - embedding gather and scatter-add gradient, and the
 * time-major copy of float sequences (regression input), CPU reference.
 *
 * Legend: T time steps, B batch, E embedding size, I input size, V vocab.
 * Reads ids / inputs batch-major (B, T), writes activations time-major
 * (T, B, .); padding positions become zeros and are never read, so a pad
 * id may be anything.  Does not check ids (the model API does).
 */
#include <string.h>

#include "kernels_cpu.h"

static inline int is_real(const int32_t *len, int b, int t)
{
	return !len || t < len[b];
}

void embedding_forward_cpu(int T, int B, int E, const int32_t *ids, const int32_t *len,
			   const float *emb, float *x)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			float *dst = x + ((size_t)t * B + b) * E;
			if (is_real(len, b, t))
				memcpy(dst, emb + (size_t)ids[(size_t)b * T + t] * E, sizeof(float) * E);
			else
				memset(dst, 0, sizeof(float) * E);
		}
}

void embedding_backward_cpu(int T, int B, int E, const int32_t *ids, const int32_t *len,
			    const float *dx, float *demb)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			if (!is_real(len, b, t))
				continue;
			float *restrict dst = demb + (size_t)ids[(size_t)b * T + t] * E;
			const float *restrict src = dx + ((size_t)t * B + b) * E;
			for (int e = 0; e < E; e++)
				dst[e] += src[e];
		}
}

void sequence_forward_cpu(int T, int B, int In, const float *in, const int32_t *len, float *x)
{
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			float *dst = x + ((size_t)t * B + b) * In;
			if (is_real(len, b, t))
				memcpy(dst, in + ((size_t)b * T + t) * In, sizeof(float) * In);
			else
				memset(dst, 0, sizeof(float) * In);
		}
}
