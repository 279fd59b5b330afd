/* linear_cpu.c - torch.nn.Linear forward and backward, CPU reference.
 *
 * Legend: B batch, N input features (D, the pooled width), K outputs.
 * y = x w^T + b.  Backward adds into dw and db and overwrites dx.
 * Pair: linear_cuda.cu.
 */
#include <cblas.h>
#include <string.h>

#include "kernels_cpu.h"

void linear_forward_cpu(int B, int N, int K, const float *x, const float *w, const float *b,
			float *y)
{
	for (int i = 0; i < B; i++)
		memcpy(y + (size_t)i * K, b, sizeof(float) * K);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, N, 1.0f, x, N, w, N, 1.0f, y, K);
}

void linear_backward_cpu(int B, int N, int K, const float *x, const float *w, const float *dy,
			 float *dx, float *dw, float *db)
{
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, B, 1.0f, dy, K, x, N, 1.0f, dw, N);
	for (int i = 0; i < B; i++)
		for (int k = 0; k < K; k++)
			db[k] += dy[(size_t)i * K + k];
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, N, K, 1.0f, dy, K, w, N,
			    0.0f, dx, N);
}
