/* adam_cuda.cuh - the Adam/AdamW element update shared by adam_cuda.cu and
 * the model's fused step (rnn_model_cuda.cu); internal to kernels/.
 *
 * Legend: p parameter, g gradient, m, v moments.  The coefficients are
 * derived on the host exactly as adam_cpu.c derives them (double, then
 * float), and every float operation is written with an explicit rounding
 * intrinsic so nvcc cannot fuse a multiply and an add: the update is
 * bit-identical to adam_cpu for the same inputs.
 */
#ifndef RNNPIPE_ADAM_CUDA_CUH
#define RNNPIPE_ADAM_CUDA_CUH

#include <math.h>

struct adam_coef_d {
	float b1, a1, b2, a2, bc2s, eps, ns, wd, decay;
	int l2; /* Adam's weight decay: g += wd * p */
};

static inline adam_coef_d adam_coef_make(double lr, double beta1, double beta2, double eps,
					 double weight_decay, int adamw, long step)
{
	adam_coef_d c;
	double bc1 = 1.0 - pow(beta1, (double)step);
	double bc2 = 1.0 - pow(beta2, (double)step);
	c.b1 = (float)beta1;
	c.a1 = (float)(1.0 - beta1);
	c.b2 = (float)beta2;
	c.a2 = (float)(1.0 - beta2);
	c.bc2s = (float)sqrt(bc2);
	c.eps = (float)eps;
	c.ns = (float)(-(lr / bc1));
	c.wd = (float)weight_decay;
	c.decay = adamw ? (float)(1.0 - lr * weight_decay) : 1.0f;
	c.l2 = !adamw && weight_decay != 0.0;
	return c;
}

/* One element: p, m, v updated in place from gradient g. */
__device__ __forceinline__ void adam_elem(float *p, float g, float *m, float *v,
					  const adam_coef_d &c)
{
	float pi = *p;
	if (c.decay != 1.0f)
		pi = __fmul_rn(pi, c.decay);
	if (c.l2)
		g = __fadd_rn(g, __fmul_rn(c.wd, pi));
	float mi = __fadd_rn(__fmul_rn(*m, c.b1), __fmul_rn(c.a1, g));
	float vi = __fadd_rn(__fmul_rn(*v, c.b2), __fmul_rn(__fmul_rn(c.a2, g), g));
	*m = mi;
	*v = vi;
	float den = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), c.bc2s), c.eps);
	*p = __fadd_rn(pi, __fdiv_rn(__fmul_rn(c.ns, mi), den));
}

#endif
