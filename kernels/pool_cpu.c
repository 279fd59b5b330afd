/* pool_cpu.c - what the classifier sees of the last layer's outputs:
 * last real state, mean, max, or the notebook's output[:, -1]; CPU reference.
 *
 * Legend: T time steps, B batch, H hidden, D = dirs * H.  y is (T, B, D),
 * forward direction in columns [0, H), reverse in [H, 2H).  Semantics of each
 * mode: rnn_model.h (enum rnn_pool) and docs/model.md.  Pair: pool_cuda.cu.
 */
#include <string.h>

#include "kernels_cpu.h"
#include "rnn_model.h"

/* The step pooled for row b, direction dir, in the LAST modes. */
static inline int last_step(int mode, int T, const int32_t *len, int b, int dir)
{
	if (mode == RNN_POOL_LAST_PADDED)
		return T - 1;
	return dir == 0 ? len[b] - 1 : 0;
}

void pool_forward_cpu(int mode, int T, int B, int H, int dirs, const int32_t *len,
		      const float *y, float *out, int32_t *arg)
{
	const int D = dirs * H;
	for (int b = 0; b < B; b++) {
		float *restrict o = out + (size_t)b * D;
		if (mode == RNN_POOL_LAST || mode == RNN_POOL_LAST_PADDED) {
			for (int dir = 0; dir < dirs; dir++) {
				int t = last_step(mode, T, len, b, dir);
				memcpy(o + dir * H, y + ((size_t)t * B + b) * D + dir * H,
				       sizeof(float) * H);
			}
		} else if (mode == RNN_POOL_MEAN) {
			int n = len[b];
			memset(o, 0, sizeof(float) * D);
			for (int t = 0; t < n; t++) {
				const float *restrict yt = y + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					o[j] += yt[j];
			}
			for (int j = 0; j < D; j++)
				o[j] /= (float)n;
		} else { /* MAX: first step holding the maximum */
			int32_t *restrict a = arg + (size_t)b * D;
			memcpy(o, y + (size_t)b * D, sizeof(float) * D);
			memset(a, 0, sizeof(int32_t) * D);
			for (int t = 1; t < len[b]; t++) {
				const float *restrict yt = y + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					if (yt[j] > o[j]) {
						o[j] = yt[j];
						a[j] = t;
					}
			}
		}
	}
}

void pool_backward_cpu(int mode, int T, int B, int H, int dirs, const int32_t *len,
		       const int32_t *arg, const float *dout, float *dy)
{
	const int D = dirs * H;
	memset(dy, 0, sizeof(float) * T * B * D);
	for (int b = 0; b < B; b++) {
		const float *restrict g = dout + (size_t)b * D;
		if (mode == RNN_POOL_LAST || mode == RNN_POOL_LAST_PADDED) {
			for (int dir = 0; dir < dirs; dir++) {
				int t = last_step(mode, T, len, b, dir);
				memcpy(dy + ((size_t)t * B + b) * D + dir * H, g + dir * H,
				       sizeof(float) * H);
			}
		} else if (mode == RNN_POOL_MEAN) {
			float inv = 1.0f / (float)len[b];
			for (int t = 0; t < len[b]; t++) {
				float *restrict dt = dy + ((size_t)t * B + b) * D;
				for (int j = 0; j < D; j++)
					dt[j] = g[j] * inv;
			}
		} else {
			const int32_t *a = arg + (size_t)b * D;
			for (int j = 0; j < D; j++)
				dy[((size_t)a[j] * B + b) * D + j] = g[j];
		}
	}
}
