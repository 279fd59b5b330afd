/* adam_cpu.c - torch.optim.Adam and AdamW updates (amsgrad off), dense and
 * on selected rows (lazy Adam for the embedding); CPU reference.
 *
 * Legend: n elements; V rows of E floats for the row variant.  Scalars are
 * derived in double and rounded to float where PyTorch 1.13's single-tensor
 * implementation hands a Python float to a float32 tensor op, and the
 * element-wise operations keep PyTorch's order, so results match PyTorch's
 * float32 Adam to rounding.  Element-wise, so any split across threads gives
 * the same bits.  Pair: adam_cuda.cu.
 */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels_cpu.h"

struct adam_coef {
	float b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size, wd, decay;
	int l2; /* Adam's weight decay: g += wd * p */
};

static struct adam_coef adam_coef(double lr, double beta1, double beta2, double eps,
				  double weight_decay, int adamw, long step)
{
	struct adam_coef c;
	double bc1 = 1.0 - pow(beta1, (double)step);
	double bc2 = 1.0 - pow(beta2, (double)step);
	c.b1 = (float)beta1;
	c.one_minus_b1 = (float)(1.0 - beta1);
	c.b2 = (float)beta2;
	c.one_minus_b2 = (float)(1.0 - beta2);
	c.bc2_sqrt = (float)sqrt(bc2);
	c.eps = (float)eps;
	c.neg_step_size = (float)(-(lr / bc1));
	c.wd = (float)weight_decay;
	c.decay = adamw ? (float)(1.0 - lr * weight_decay) : 1.0f;
	c.l2 = !adamw && weight_decay != 0.0;
	return c;
}

#if defined(__SSE2__)
/* Four elements at a time with SSE2 (baseline on x86-64).  The same
 * IEEE operations in the same order as the scalar loop (sqrt and division
 * are correctly rounded, no fused multiply-add), so the same bits. */
static size_t adam_sse2(size_t n, float *p, const float *g, float *m, float *v,
			const struct adam_coef *c)
{
	const __m128 b1 = _mm_set1_ps(c->b1), a1 = _mm_set1_ps(c->one_minus_b1);
	const __m128 b2 = _mm_set1_ps(c->b2), a2 = _mm_set1_ps(c->one_minus_b2);
	const __m128 bc2s = _mm_set1_ps(c->bc2_sqrt), eps = _mm_set1_ps(c->eps);
	const __m128 ns = _mm_set1_ps(c->neg_step_size), wd = _mm_set1_ps(c->wd);
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m128 pi = _mm_loadu_ps(p + i);
		__m128 mi = _mm_mul_ps(_mm_loadu_ps(m + i), b1);
		__m128 vi = _mm_mul_ps(_mm_loadu_ps(v + i), b2);
		if (g || c->l2) {
			__m128 gi = g ? _mm_loadu_ps(g + i) : _mm_setzero_ps();
			if (c->l2)
				gi = _mm_add_ps(gi, _mm_mul_ps(wd, pi));
			mi = _mm_add_ps(mi, _mm_mul_ps(a1, gi));
			vi = _mm_add_ps(vi, _mm_mul_ps(_mm_mul_ps(a2, gi), gi));
		}
		__m128 den = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vi), bc2s), eps);
		pi = _mm_add_ps(pi, _mm_div_ps(_mm_mul_ps(ns, mi), den));
		_mm_storeu_ps(m + i, mi);
		_mm_storeu_ps(v + i, vi);
		_mm_storeu_ps(p + i, pi);
	}
	return i;
}
#endif

/* The update of n consecutive elements. */
static void adam_span(size_t n, float *restrict p, const float *restrict g, float *restrict m,
		      float *restrict v, const struct adam_coef *c)
{
	const float b1 = c->b1, a1 = c->one_minus_b1, b2 = c->b2, a2 = c->one_minus_b2;
	const float bc2s = c->bc2_sqrt, eps = c->eps, ns = c->neg_step_size;
	if (c->decay != 1.0f)
		for (size_t i = 0; i < n; i++)
			p[i] *= c->decay;
	size_t i = 0;
#if defined(__SSE2__)
	i = adam_sse2(n, p, g, m, v, c);
#endif
	for (; i < n; i++) {
		float mi = m[i] * b1, vi = v[i] * b2;
		if (g || c->l2) {
			/* a zero gradient adds exact zeros: skipping it is the same */
			float gi = g ? g[i] : 0.0f;
			if (c->l2)
				gi += c->wd * p[i];
			mi += a1 * gi;
			vi += a2 * gi * gi;
		}
		m[i] = mi;
		v[i] = vi;
		p[i] += ns * mi / (sqrtf(vi) / bc2s + eps);
	}
}

void adam_cpu(size_t n, float *p, const float *g, float *m, float *v, double lr, double beta1,
	      double beta2, double eps, double weight_decay, int adamw, long step)
{
	struct adam_coef c = adam_coef(lr, beta1, beta2, eps, weight_decay, adamw, step);
	adam_span(n, p, g, m, v, &c);
}

void adam_rows_cpu(int n_rows, const int32_t *rows, int E, float *p, const float *g, float *m,
		   float *v, double lr, double beta1, double beta2, double eps,
		   double weight_decay, int adamw, long step)
{
	struct adam_coef c = adam_coef(lr, beta1, beta2, eps, weight_decay, adamw, step);
	for (int r = 0; r < n_rows; r++) {
		size_t off = (size_t)rows[r] * E;
		adam_span(E, p + off, g ? g + off : NULL, m + off, v + off, &c);
	}
}
