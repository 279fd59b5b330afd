/* lstm_cpu.c - LSTM (torch.nn.LSTM), one direction of one layer over a
 * padded, length-masked batch; CPU reference.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 * Gate order i, f, g, o (PyTorch):  [i f g o] = W_ih x + b_ih + W_hh h + b_hh
 *   i, f, o = sigmoid;  g = tanh;  c = f c_prev + i g;  h = o tanh(c)
 * Padding steps give h = c = 0 and get no gradient.  Pair: lstm_cuda.cu.
 */
#include "cell_cpu.h"
#include "kernels_cpu.h"

size_t lstm_forward_ws(int B, int H)
{
	return 0;
}

size_t lstm_backward_ws(int T, int B, int H)
{
	return (size_t)T * B * 4 * H + 2 * (size_t)B * H;
}

/* What the step loops of one call need (rows are split across threads). */
struct lstm_steps {
	int T, B, H, reverse, ldy;
	const int32_t *len;
	const float *w_hh, *dy, *act_in, *extra_in;
	float *y, *act, *extra, *dg, *dh_rec, *dc_rec;
};

static void forward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct lstm_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, N = 4 * H, ldy = k->ldy, rows = b1 - b0;
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? T - 1 - s : s;
		int tp = cell_prev_step(T, t, k->reverse);
		float *a = k->act + (size_t)t * B * N;
		if (tp >= 0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, N, H, 1.0f,
				    k->y + ((size_t)tp * B + b0) * ldy, ldy, k->w_hh, H, 1.0f,
				    a + (size_t)b0 * N, N);
		for (int b = b0; b < b1; b++) {
			float *restrict ab = a + (size_t)b * N;
			float *restrict cb = k->extra + ((size_t)t * B + b) * H;
			float *restrict yb = k->y + ((size_t)t * B + b) * ldy;
			if (!cell_real(k->len, b, t)) {
				memset(ab, 0, sizeof(float) * N);
				memset(cb, 0, sizeof(float) * H);
				memset(yb, 0, sizeof(float) * H);
				continue;
			}
			const float *cp = tp >= 0 ? k->extra + ((size_t)tp * B + b) * H : NULL;
			cell_sigmoid(ab, ab, 2 * H); // i, f
			cell_tanh(ab + 2 * H, ab + 2 * H, H); // g
			cell_sigmoid(ab + 3 * H, ab + 3 * H, H); // o
			for (int j = 0; j < H; j++) {
				float i = ab[j], f = ab[H + j], g = ab[2 * H + j];
				cb[j] = cp ? f * cp[j] + i * g : i * g;
			}
			cell_tanh(yb, cb, H);
			for (int j = 0; j < H; j++)
				yb[j] *= ab[3 * H + j];
		}
	}
}

void lstm_forward_cpu(int T, int B, int In, int H, int reverse, const float *x,
		      const int32_t *len, const float *w_ih, const float *w_hh, const float *b_ih,
		      const float *b_hh, float *y, int ldy, float *act, float *extra, float *ws)
{
	const int N = 4 * H;
	cell_input_projection(T, B, In, N, x, w_ih, b_ih, b_hh, act);
	struct lstm_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
			       .len = len, .w_hh = w_hh, .y = y, .act = act, .extra = extra};
	cpu_parallel((size_t)B, cell_parts(B), forward_rows, &k);
}

static void backward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct lstm_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, N = 4 * H, ldy = k->ldy, rows = b1 - b0;
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? s : T - 1 - s;
		int tp = cell_prev_step(T, t, k->reverse);
		float *g = k->dg + (size_t)t * B * N;
		for (int b = b0; b < b1; b++) {
			float *restrict gb = g + (size_t)b * N;
			float *restrict dcb = k->dc_rec + (size_t)b * H;
			if (!cell_real(k->len, b, t)) {
				memset(gb, 0, sizeof(float) * N);
				memset(dcb, 0, sizeof(float) * H);
				continue;
			}
			const float *restrict ab = k->act_in + ((size_t)t * B + b) * N;
			const float *restrict cb = k->extra_in + ((size_t)t * B + b) * H;
			const float *restrict cp =
				tp >= 0 ? k->extra_in + ((size_t)tp * B + b) * H : NULL;
			const float *restrict dyb = k->dy + ((size_t)t * B + b) * ldy;
			const float *restrict dhb = k->dh_rec + (size_t)b * H;
			const float *tcb = gb + 3 * H; // tanh(c), until overwritten below
			cell_tanh(gb + 3 * H, cb, H);
			for (int j = 0; j < H; j++) {
				float i = ab[j], f = ab[H + j], gg = ab[2 * H + j], o = ab[3 * H + j];
				float tc = tcb[j];
				float dh = dyb[j] + dhb[j];
				float dc = dh * o * (1.0f - tc * tc) + dcb[j];
				float cprev = cp ? cp[j] : 0.0f;
				gb[j] = dc * gg * i * (1.0f - i);
				gb[H + j] = dc * cprev * f * (1.0f - f);
				gb[2 * H + j] = dc * i * (1.0f - gg * gg);
				gb[3 * H + j] = dh * tc * o * (1.0f - o);
				dcb[j] = dc * f;
			}
		}
		if (s < T - 1)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, N, 1.0f,
				    g + (size_t)b0 * N, N, k->w_hh, H, 0.0f,
				    k->dh_rec + (size_t)b0 * H, H);
	}
}

void lstm_backward_cpu(int T, int B, int In, int H, int reverse, const float *x,
		       const int32_t *len, const float *w_ih, const float *w_hh, const float *y,
		       const float *dy, int ldy, const float *act, const float *extra, float *dx,
		       int dx_accumulate, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
		       float *ws)
{
	const int N = 4 * H;
	float *dg = ws;                              // (T, B, 4H)
	float *dh_rec = dg + (size_t)T * B * N;      // (B, H)
	float *dc_rec = dh_rec + (size_t)B * H;      // (B, H)
	memset(dh_rec, 0, sizeof(float) * 2 * B * H);
	struct lstm_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
			       .len = len, .w_hh = w_hh, .dy = dy, .act_in = act,
			       .extra_in = extra, .dg = dg, .dh_rec = dh_rec, .dc_rec = dc_rec};
	cpu_parallel((size_t)B, cell_parts(B), backward_rows, &k);
	cell_weight_grads(T, B, In, H, N, reverse, x, w_ih, y, ldy, dg, dg, dx, dx_accumulate,
			  dw_ih, dw_hh, db_ih, db_hh);
}
