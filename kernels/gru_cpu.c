/* gru_cpu.c - GRU (torch.nn.GRU), one direction of one layer over a padded,
 * length-masked batch; CPU reference.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 * Gate order r, z, n (PyTorch):
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) n + z h   (computed as (h - n) z + n, as ATen does)
 * Padding steps give h = 0 and get no gradient.  Pair: gru_cuda.cu.
 */
#include "cell_cpu.h"
#include "kernels_cpu.h"

size_t gru_forward_ws(int B, int H)
{
	return (size_t)B * 3 * H;
}

size_t gru_backward_ws(int T, int B, int H)
{
	return 2 * (size_t)T * B * 3 * H + (size_t)B * H;
}

/* What the step loops of one call need (rows are split across threads). */
struct gru_steps {
	int T, B, H, reverse, ldy;
	const int32_t *len;
	const float *w_hh, *b_hh, *dy, *y_in, *act_in, *extra_in;
	float *y, *act, *extra, *hh, *dg, *dgh, *dh_rec;
};

static void forward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct gru_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, N = 3 * H, ldy = k->ldy, rows = b1 - b0;
	float *hh = k->hh; // (B, 3H): W_hh h_prev + b_hh for the current step
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? T - 1 - s : s;
		int tp = cell_prev_step(T, t, k->reverse);
		float *a = k->act + (size_t)t * B * N;
		for (int b = b0; b < b1; b++)
			memcpy(hh + (size_t)b * N, k->b_hh, sizeof(float) * N);
		if (tp >= 0)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, N, H, 1.0f,
				    k->y + ((size_t)tp * B + b0) * ldy, ldy, k->w_hh, H, 1.0f,
				    hh + (size_t)b0 * N, N);
		for (int b = b0; b < b1; b++) {
			float *restrict ab = a + (size_t)b * N;
			float *restrict eb = k->extra + ((size_t)t * B + b) * H;
			float *restrict yb = k->y + ((size_t)t * B + b) * ldy;
			if (!cell_real(k->len, b, t)) {
				memset(ab, 0, sizeof(float) * N);
				memset(eb, 0, sizeof(float) * H);
				memset(yb, 0, sizeof(float) * H);
				continue;
			}
			const float *restrict hb = hh + (size_t)b * N;
			const float *hp = tp >= 0 ? k->y + ((size_t)tp * B + b) * ldy : NULL;
			for (int j = 0; j < 2 * H; j++)
				ab[j] += hb[j];
			cell_sigmoid(ab, ab, 2 * H); // r, z
			for (int j = 0; j < H; j++) {
				float hn = hb[2 * H + j];
				ab[2 * H + j] += ab[j] * hn;
				eb[j] = hn;
			}
			cell_tanh(ab + 2 * H, ab + 2 * H, H); // n
			for (int j = 0; j < H; j++) {
				float z = ab[H + j], n = ab[2 * H + j];
				float hprev = hp ? hp[j] : 0.0f;
				yb[j] = (hprev - n) * z + n;
			}
		}
	}
}

void gru_forward_cpu(int T, int B, int In, int H, int reverse, const float *x,
		     const int32_t *len, const float *w_ih, const float *w_hh, const float *b_ih,
		     const float *b_hh, float *y, int ldy, float *act, float *extra, float *ws)
{
	const int N = 3 * H;
	cell_input_projection(T, B, In, N, x, w_ih, b_ih, NULL, act);
	struct gru_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
			      .len = len, .w_hh = w_hh, .b_hh = b_hh, .y = y, .act = act,
			      .extra = extra, .hh = ws};
	cpu_parallel((size_t)B, cell_parts(B), forward_rows, &k);
}

static void backward_rows(void *p, size_t lo, size_t hi)
{
	const int b0 = (int)lo, b1 = (int)hi;
	const struct gru_steps *k = p;
	const int T = k->T, B = k->B, H = k->H, N = 3 * H, ldy = k->ldy, rows = b1 - b0;
	float *dh_rec = k->dh_rec;
	for (int s = 0; s < T; s++) {
		int t = k->reverse ? s : T - 1 - s;
		int tp = cell_prev_step(T, t, k->reverse);
		float *g = k->dg + (size_t)t * B * N;
		float *gh = k->dgh + (size_t)t * B * N;
		for (int b = b0; b < b1; b++) {
			float *restrict gb = g + (size_t)b * N;
			float *restrict ghb = gh + (size_t)b * N;
			float *restrict dhb = dh_rec + (size_t)b * H;
			if (!cell_real(k->len, b, t)) {
				memset(gb, 0, sizeof(float) * N);
				memset(ghb, 0, sizeof(float) * N);
				memset(dhb, 0, sizeof(float) * H);
				continue;
			}
			const float *restrict ab = k->act_in + ((size_t)t * B + b) * N;
			const float *restrict eb = k->extra_in + ((size_t)t * B + b) * H;
			const float *restrict dyb = k->dy + ((size_t)t * B + b) * ldy;
			const float *hp = tp >= 0 ? k->y_in + ((size_t)tp * B + b) * ldy : NULL;
			for (int j = 0; j < H; j++) {
				float r = ab[j], z = ab[H + j], n = ab[2 * H + j], hn = eb[j];
				float hprev = hp ? hp[j] : 0.0f;
				float dh = dyb[j] + dhb[j];
				float dnp = dh * (1.0f - z) * (1.0f - n * n);
				float dzp = dh * (hprev - n) * z * (1.0f - z);
				float drp = dnp * hn * r * (1.0f - r);
				gb[j] = drp;
				gb[H + j] = dzp;
				gb[2 * H + j] = dnp;
				ghb[j] = drp;
				ghb[H + j] = dzp;
				ghb[2 * H + j] = dnp * r;
				dhb[j] = dh * z; // direct path; the GEMM below adds W_hh's
			}
		}
		if (s < T - 1)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, H, N, 1.0f,
				    gh + (size_t)b0 * N, N, k->w_hh, H, 1.0f, dh_rec + (size_t)b0 * H,
				    H);
	}
}

void gru_backward_cpu(int T, int B, int In, int H, int reverse, const float *x,
		      const int32_t *len, const float *w_ih, const float *w_hh, const float *y,
		      const float *dy, int ldy, const float *act, const float *extra, float *dx,
		      int dx_accumulate, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
		      float *ws)
{
	const int N = 3 * H;
	float *dg = ws;                          // (T, B, 3H) input side
	float *dgh = dg + (size_t)T * B * N;     // (T, B, 3H) recurrent side
	float *dh_rec = dgh + (size_t)T * B * N; // (B, H)
	memset(dh_rec, 0, sizeof(float) * B * H);
	struct gru_steps k = {.T = T, .B = B, .H = H, .reverse = reverse, .ldy = ldy,
			      .len = len, .w_hh = w_hh, .dy = dy, .y_in = y, .act_in = act,
			      .extra_in = extra, .dg = dg, .dgh = dgh, .dh_rec = dh_rec};
	cpu_parallel((size_t)B, cell_parts(B), backward_rows, &k);
	cell_weight_grads(T, B, In, H, N, reverse, x, w_ih, y, ldy, dg, dgh, dx, dx_accumulate,
			  dw_ih, dw_hh, db_ih, db_hh);
}
