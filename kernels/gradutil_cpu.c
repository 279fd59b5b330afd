/* gradutil_cpu.c - reductions and scaling for gradient clipping and the
 * NaN/Inf guard, CPU reference.
 *
 * Legend: n elements.  Sums run in index order in double, so results do not
 * depend on threads.  Pair: gradutil_cuda.cu.
 */
#include <math.h>

#include "kernels_cpu.h"

void sumsq_cpu(size_t n, const float *x, double *out)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * (double)x[i];
	*out = s;
}

void scale_cpu(size_t n, float *x, float s)
{
	for (size_t i = 0; i < n; i++)
		x[i] *= s;
}

void count_nonfinite_cpu(size_t n, const float *x, size_t *out)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += !isfinite(x[i]);
	*out = bad;
}
