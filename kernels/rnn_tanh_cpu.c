/* rnn_tanh_cpu.c - Elman RNN (torch.nn.RNN, nonlinearity tanh), one
 * direction of one layer over a padded, length-masked batch; CPU reference.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 *   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  h_{-1} = 0
 * Padding steps give h = 0 and get no gradient (see kernels_cpu.h).
 * Pair: rnn_tanh_cuda.cu.
 */
#include "cell_cpu.h"
#include "kernels_cpu.h"

size_t rnn_tanh_forward_ws(int B, int H)
{
	return 0;
}

size_t rnn_tanh_backward_ws(int T, int B, int H)
{
	return (size_t)T * B * H + (size_t)B * H;
}

void rnn_tanh_forward_cpu(int T, int B, int In, int H, int reverse, const float *x,
			  const int32_t *len, const float *w_ih, const float *w_hh,
			  const float *b_ih, const float *b_hh, float *y, int ldy, float *act,
			  float *extra, float *ws)
{
	cell_input_projection(T, B, In, H, x, w_ih, b_ih, b_hh, act);
	int nt = cell_blas_single();
	for (int s = 0; s < T; s++) {
		int t = reverse ? T - 1 - s : s;
		int tp = cell_prev_step(T, t, reverse);
		float *a = act + (size_t)t * B * H;
		if (tp >= 0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, H, 1.0f,
				    y + (size_t)tp * B * ldy, ldy, w_hh, H, 1.0f, a, H);
		for (int b = 0; b < B; b++) {
			float *restrict ab = a + (size_t)b * H;
			float *restrict yb = y + ((size_t)t * B + b) * ldy;
			if (!cell_real(len, b, t)) {
				memset(ab, 0, sizeof(float) * H);
				memset(yb, 0, sizeof(float) * H);
				continue;
			}
			for (int j = 0; j < H; j++) {
				float h = tanhf(ab[j]);
				ab[j] = h;
				yb[j] = h;
			}
		}
	}
	cell_blas_restore(nt);
}

void rnn_tanh_backward_cpu(int T, int B, int In, int H, int reverse, const float *x,
			   const int32_t *len, const float *w_ih, const float *w_hh,
			   const float *y, const float *dy, int ldy, const float *act,
			   const float *extra, float *dx, int dx_accumulate, float *dw_ih,
			   float *dw_hh, float *db_ih, float *db_hh, float *ws)
{
	float *dg = ws;                         // (T, B, H)
	float *dh_rec = ws + (size_t)T * B * H; // (B, H) from the step processed before
	memset(dh_rec, 0, sizeof(float) * B * H);
	int nt = cell_blas_single();
	for (int s = 0; s < T; s++) {
		int t = reverse ? s : T - 1 - s; // backward order
		float *g = dg + (size_t)t * B * H;
		for (int b = 0; b < B; b++) {
			float *restrict gb = g + (size_t)b * H;
			if (!cell_real(len, b, t)) {
				memset(gb, 0, sizeof(float) * H);
				continue;
			}
			const float *restrict hb = act + ((size_t)t * B + b) * H;
			const float *restrict db = dy + ((size_t)t * B + b) * ldy;
			const float *restrict rb = dh_rec + (size_t)b * H;
			for (int j = 0; j < H; j++)
				gb[j] = (db[j] + rb[j]) * (1.0f - hb[j] * hb[j]);
		}
		if (s < T - 1)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0f, g, H,
				    w_hh, H, 0.0f, dh_rec, H);
	}
	cell_blas_restore(nt);
	cell_weight_grads(T, B, In, H, H, reverse, x, w_ih, y, ldy, dg, dg, dx, dx_accumulate,
			  dw_ih, dw_hh, db_ih, db_hh);
}
