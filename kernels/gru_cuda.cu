/* gru_cuda.cu - GRU (torch.nn.GRU), one direction of one layer over a padded,
 * length-masked batch, on CUDA; pair of gru_cpu.c.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 * Gate order r, z, n:  n = tanh(W_in x + b_in + r (W_hn h + b_hn));
 * h' = (h - n) z + n.  The shapes of the computation (reference,
 * persistent) are in cell_cuda.cuh; this file instantiates them for the GRU.
 */
#include "cell_cuda.cuh"

extern "C" int gru_forward_cuda(int T, int B, int In, int H, int reverse,
			 const float *x,     // (T, B, I)
			 const int32_t *len, // (B) or NULL
			 const float *w_ih,  // (3*H, I)
			 const float *w_hh,  // (3*H, H)
			 const float *b_ih,  // (3*H)
			 const float *b_hh,  // (3*H)
			 float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
			 float *act,         // (T, B, 3*H) out
			 float *extra,       // (T, B, H) W_hn h_prev + b_hn
			 float *ws,          // gru_forward_ws(B, H)
			 cudaStream_t stream)
{
	return cell_forward_cuda<CELL_GRU>(T, B, In, H, reverse, x, len, w_ih, w_hh, b_ih, b_hh, y,
					ldy, act, extra, ws, stream);
}

extern "C" int gru_backward_cuda(int T, int B, int In, int H, int reverse,
			  const float *x,     // (T, B, I)
			  const int32_t *len, // (B) or NULL
			  const float *w_ih,  // (3*H, I)
			  const float *w_hh,  // (3*H, H)
			  const float *y,     // (T, B, ldy)
			  const float *dy,    // (T, B, ldy)
			  int ldy,
			  const float *act,   // (T, B, 3*H)
			  const float *extra, // (T, B, H)
			  float *dx,          // (T, B, I) or NULL
			  int dx_accumulate,
			  float *dw_ih,       // (3*H, I) +=
			  float *dw_hh,       // (3*H, H) +=
			  float *db_ih,       // (3*H) +=
			  float *db_hh,       // (3*H) +=
			  float *ws,          // gru_backward_ws(T, B, H)
			  cudaStream_t stream)
{
	return cell_backward_cuda<CELL_GRU>(T, B, In, H, reverse, x, len, w_ih, w_hh, y, dy, ldy,
					 act, extra, dx, dx_accumulate, dw_ih, dw_hh, db_ih, db_hh,
					 ws, stream);
}

const char *rec_describe_gru(int B, int H, int backward, char *buf, size_t size)
{
	return rec_describe<CELL_GRU>(B, H, backward, buf, size);
}
