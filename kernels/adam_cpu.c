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

/* The update of n consecutive elements. */
static void adam_span(size_t n, float *restrict p, const float *restrict g, float *restrict m,
		      float *restrict v, const struct adam_coef *c)
{
	const float b1 = c->b1, a1 = c->one_minus_b1, b2 = c->b2, a2 = c->one_minus_b2;
	const float bc2s = c->bc2_sqrt, eps = c->eps, ns = c->neg_step_size;
	if (c->decay != 1.0f)
		for (size_t i = 0; i < n; i++)
			p[i] *= c->decay;
	if (!g && !c->l2) {
		/* zero gradient: m * b1 + a1 * 0 == m * b1 exactly (likewise v) */
		for (size_t i = 0; i < n; i++) {
			float mi = m[i] * b1;
			float vi = v[i] * b2;
			m[i] = mi;
			v[i] = vi;
			p[i] += ns * mi / (sqrtf(vi) / bc2s + eps);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		float gi = g ? g[i] : 0.0f;
		if (c->l2)
			gi += c->wd * p[i];
		float mi = m[i] * b1 + a1 * gi;
		float vi = v[i] * b2 + a2 * gi * gi;
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
