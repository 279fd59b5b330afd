/* cell_act_cpu.c - the recurrent cells' activations over a row of values:
 * tanh and the logistic sigmoid 1 / (1 + exp(-x)), internal to kernels/
 * (declared in cell_cpu.h).
 *
 * They take SLEEF's vector functions (tanhf and expf, 1.0 ulp), four lanes
 * at a time on x86-64: the library PyTorch's own CPU kernels vectorise
 * these with, and about 2.5x faster than glibc's scalar tanhf here, which
 * goes through expm1f (docs/model.md has the measurement).  A row's last
 * values (fewer than four) go through the same vector call, padded, so a
 * value's result never depends on where it stands in the row.  Elsewhere
 * SLEEF's scalar functions give the same 1.0-ulp bound.
 */
#include <sleef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "cell_cpu.h"

#ifdef __SSE2__
static inline __m128 tanh4(__m128 x)
{
	return Sleef_tanhf4_u10(x);
}

static inline __m128 sigmoid4(__m128 x)
{
	const __m128 one = _mm_set1_ps(1.0f);
	__m128 e = Sleef_expf4_u10(_mm_sub_ps(_mm_setzero_ps(), x));
	return _mm_div_ps(one, _mm_add_ps(one, e));
}

/* y[i] = f4(x[i]) for i < n, four lanes at a time; y may be x. */
static inline void act_row(float *y, const float *x, int n, __m128 (*f4)(__m128))
{
	int i = 0;
	for (; i + 4 <= n; i += 4)
		_mm_storeu_ps(y + i, f4(_mm_loadu_ps(x + i)));
	if (i < n) {
		float tail[4] = {0};
		memcpy(tail, x + i, sizeof(float) * (n - i));
		_mm_storeu_ps(tail, f4(_mm_loadu_ps(tail)));
		memcpy(y + i, tail, sizeof(float) * (n - i));
	}
}

void cell_tanh(float *y, const float *x, int n)
{
	act_row(y, x, n, tanh4);
}

void cell_sigmoid(float *y, const float *x, int n)
{
	act_row(y, x, n, sigmoid4);
}
#else
void cell_tanh(float *y, const float *x, int n)
{
	for (int i = 0; i < n; i++)
		y[i] = Sleef_tanhf_u10(x[i]);
}

void cell_sigmoid(float *y, const float *x, int n)
{
	for (int i = 0; i < n; i++)
		y[i] = 1.0f / (1.0f + Sleef_expf_u10(-x[i]));
}
#endif
