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

/* What the step loops of one call need (rows are split across threads). */
struct rnn_tanh_steps {
	int T, B, H, reverse, ldy;
	const int32_t *len;
	const float *w_hh, *dy, *act_in;
	float *y, *act, *dg, *dh_rec;
};

static void forward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct rnn_tanh_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, ldy = k->ldy, rows = b1 - b0;
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? T - 1 - s : s;
		int tp = cell_prev_step(T, t, k->reverse);
		float *a = k->act + (size_t)t * B * H;
		if (tp >= 0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, H, H, 1.0f,
				    k->y + ((size_t)tp * B + b0) * ldy, ldy, k->w_hh, H, 1.0f,
				    a + (size_t)b0 * H, H);
		for (int b = b0; b < b1; b++) {
			float *restrict ab = a + (size_t)b * H;
			float *restrict yb = k->y + ((size_t)t * B + b) * ldy;
			if (!cell_real(k->len, b, t)) {
				memset(ab, 0, sizeof(float) * H);
				memset(yb, 0, sizeof(float) * H);
				continue;
			}
			cell_tanh(ab, ab, H);
			memcpy(yb, ab, sizeof(float) * H);
		}
	}
}

void rnn_tanh_forward_cpu(int T, int B, int In, int H, int reverse, const float *x,
			  const int32_t *len, const float *w_ih, const float *w_hh,
			  const float *b_ih, const float *b_hh, float *y, int ldy, float *act,
			  float *extra, float *ws)
{
	cell_input_projection(T, B, In, H, x, w_ih, b_ih, b_hh, act);
	struct rnn_tanh_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
				   .len = len, .w_hh = w_hh, .y = y, .act = act};
	cpu_parallel((size_t)B, cell_parts(B), forward_rows, &k);
}

static void backward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct rnn_tanh_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, ldy = k->ldy, rows = b1 - b0;
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? s : T - 1 - s; // backward order
		float *g = k->dg + (size_t)t * B * H;
		for (int b = b0; b < b1; b++) {
			float *restrict gb = g + (size_t)b * H;
			if (!cell_real(k->len, b, t)) {
				memset(gb, 0, sizeof(float) * H);
				continue;
			}
			const float *restrict hb = k->act_in + ((size_t)t * B + b) * H;
			const float *restrict db = k->dy + ((size_t)t * B + b) * ldy;
			const float *restrict rb = k->dh_rec + (size_t)b * H;
			for (int j = 0; j < H; j++)
				gb[j] = (db[j] + rb[j]) * (1.0f - hb[j] * hb[j]);
		}
		if (s < T - 1)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, H, 1.0f,
				    g + (size_t)b0 * H, H, k->w_hh, H, 0.0f,
				    k->dh_rec + (size_t)b0 * H, H);
	}
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
	struct rnn_tanh_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
				   .len = len, .w_hh = w_hh, .dy = dy, .act_in = act, .dg = dg,
				   .dh_rec = dh_rec};
	cpu_parallel((size_t)B, cell_parts(B), backward_rows, &k);
	cell_weight_grads(T, B, In, H, H, reverse, x, w_ih, y, ldy, dg, dg, dx, dx_accumulate,
			  dw_ih, dw_hh, db_ih, db_hh);
}
