/* cuda_compare.h - comparing a CUDA result with the CPU reference, for the
 * CUDA tests and the kernel sandbox: element i passes when
 *     |got[i] - ref[i]| <= atol + rtol * |ref[i]|
 * (NaN or Inf anywhere fails unless both sides hold the same value).  The
 * worst element (largest excess over its bound), its index and both values
 * are printed, so a failure log says where and by how much.  Host arrays
 * only; reads and writes no files.
 */
#ifndef RNNPIPE_CUDA_COMPARE_H
#define RNNPIPE_CUDA_COMPARE_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmp_stats {
	size_t n, bad;    /* elements, elements outside the bound */
	size_t worst;     /* index of the largest |d| / bound */
	double worst_ratio;
	double max_abs_diff, max_abs_ref;
};

static inline double cmp_max_abs(const float *x, size_t n)
{
	double m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs((double)x[i]) > m)
			m = fabs((double)x[i]);
	return m;
}

/* Compares and prints one line: "ok" or "FAIL", the worst element and the
 * count outside the bound.  Returns 0 when every element passes. */
static inline int cmp_floats(const char *what, const float *got, const float *ref, size_t n,
			     double atol, double rtol, struct cmp_stats *out)
{
	struct cmp_stats s = {0};
	s.n = n;
	s.max_abs_ref = cmp_max_abs(ref, n);
	for (size_t i = 0; i < n; i++) {
		double g = got[i], r = ref[i];
		double d = fabs(g - r), bound = atol + rtol * fabs(r), ratio;
		if (isnan(g) || isnan(r) || isinf(g) || isinf(r))
			ratio = (g == r) ? 0.0 : INFINITY;
		else
			ratio = bound > 0 ? d / bound : (d > 0 ? INFINITY : 0.0);
		if (!(isnan(d)) && d > s.max_abs_diff)
			s.max_abs_diff = d;
		if (ratio > 1.0)
			s.bad++;
		if (ratio > s.worst_ratio) {
			s.worst_ratio = ratio;
			s.worst = i;
		}
	}
	if (n)
		printf("%-4s %-44s worst [%zu] got %.9g ref %.9g (|d| %.3g, bound %.3g; max|d| %.3g, "
		       "max|ref| %.3g); %zu of %zu outside\n",
		       s.bad ? "FAIL" : "ok", what, s.worst, (double)got[s.worst],
		       (double)ref[s.worst], fabs((double)got[s.worst] - (double)ref[s.worst]),
		       atol + rtol * fabs((double)ref[s.worst]), s.max_abs_diff, s.max_abs_ref,
		       s.bad, n);
	if (out)
		*out = s;
	return s.bad ? -1 : 0;
}

/* Exact equality (bit-identical paths); prints like cmp_floats. */
static inline int cmp_exact(const char *what, const float *got, const float *ref, size_t n)
{
	return cmp_floats(what, got, ref, n, 0.0, 0.0, NULL);
}

/* Whether the recurrence variant named name ("ref", "smem", "cluster4"...)
 * is to be tested: $CUDA_TEST_VARIANTS, a comma-separated list, unset or
 * empty = all.  Lets a GPU session leave out a variant that hangs. */
static inline int variant_enabled(const char *name)
{
	const char *list = getenv("CUDA_TEST_VARIANTS");
	if (!list || !*list)
		return 1;
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (e ? 1 : 0);
	}
	return 0;
}

#endif
