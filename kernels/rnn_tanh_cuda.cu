/* rnn_tanh_cuda.cu - Elman RNN (torch.nn.RNN, tanh), one direction of one
 * layer over a padded, length-masked batch, on CUDA; pair of rnn_tanh_cpu.c.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 *   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  h_{-1} = 0
 * The shapes of the computation (reference, persistent) are in
 * cell_cuda.cuh; this file instantiates them for the tanh cell.
 */
#include "cell_cuda.cuh"

extern "C" int rnn_tanh_forward_cuda(int T, int B, int In, int H, int reverse,
			 const float *x,     // (T, B, I)
			 const int32_t *len, // (B) or NULL
			 const float *w_ih,  // (H, I)
			 const float *w_hh,  // (H, H)
			 const float *b_ih,  // (H)
			 const float *b_hh,  // (H)
			 float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
			 float *act,         // (T, B, H) out
			 float *extra,       // unused
			 float *ws,          // rnn_tanh_forward_ws(B, H)
			 cudaStream_t stream)
{
	return cell_forward_cuda<CELL_RNN>(T, B, In, H, reverse, x, len, w_ih, w_hh, b_ih, b_hh, y,
					ldy, act, extra, ws, stream);
}

extern "C" int rnn_tanh_backward_cuda(int T, int B, int In, int H, int reverse,
			  const float *x,     // (T, B, I)
			  const int32_t *len, // (B) or NULL
			  const float *w_ih,  // (H, I)
			  const float *w_hh,  // (H, H)
			  const float *y,     // (T, B, ldy)
			  const float *dy,    // (T, B, ldy)
			  int ldy,
			  const float *act,   // (T, B, H)
			  const float *extra, // unused
			  float *dx,          // (T, B, I) or NULL
			  int dx_accumulate,
			  float *dw_ih,       // (H, I) +=
			  float *dw_hh,       // (H, H) +=
			  float *db_ih,       // (H) +=
			  float *db_hh,       // (H) +=
			  float *ws,          // rnn_tanh_backward_ws(T, B, H)
			  cudaStream_t stream)
{
	return cell_backward_cuda<CELL_RNN>(T, B, In, H, reverse, x, len, w_ih, w_hh, y, dy, ldy,
					 act, extra, dx, dx_accumulate, dw_ih, dw_hh, db_ih, db_hh,
					 ws, stream);
}

const char *rec_describe_rnn(int B, int H, int backward, char *buf, size_t size)
{
	return rec_describe<CELL_RNN>(B, H, backward, buf, size);
}
