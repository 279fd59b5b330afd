/* lstm_cuda.cu - LSTM (torch.nn.LSTM), one direction of one layer over a
 * padded, length-masked batch, on CUDA; pair of lstm_cpu.c.
 *
 * Legend: T time steps, B batch, I input size, H hidden.  Time-major.
 * Gate order i, f, g, o:  c = f c_prev + i g;  h = o tanh(c).
 * The shapes of the computation (reference, persistent) are in
 * cell_cuda.cuh; this file instantiates them for the LSTM cell.
 */
#include "cell_cuda.cuh"

extern "C" int lstm_forward_cuda(int T, int B, int In, int H, int reverse,
			 const float *x,     // (T, B, I)
			 const int32_t *len, // (B) or NULL
			 const float *w_ih,  // (4*H, I)
			 const float *w_hh,  // (4*H, H)
			 const float *b_ih,  // (4*H)
			 const float *b_hh,  // (4*H)
			 float *y, int ldy,  // (T, B, ldy) out, columns [0, H)
			 float *act,         // (T, B, 4*H) out
			 float *extra,       // (T, B, H) cell states
			 float *ws,          // lstm_forward_ws(B, H)
			 cudaStream_t stream)
{
	return cell_forward_cuda<CELL_LSTM>(T, B, In, H, reverse, x, len, w_ih, w_hh, b_ih, b_hh, y,
					ldy, act, extra, ws, stream);
}

extern "C" int lstm_backward_cuda(int T, int B, int In, int H, int reverse,
			  const float *x,     // (T, B, I)
			  const int32_t *len, // (B) or NULL
			  const float *w_ih,  // (4*H, I)
			  const float *w_hh,  // (4*H, H)
			  const float *y,     // (T, B, ldy)
			  const float *dy,    // (T, B, ldy)
			  int ldy,
			  const float *act,   // (T, B, 4*H)
			  const float *extra, // (T, B, H) cell states
			  float *dx,          // (T, B, I) or NULL
			  int dx_accumulate,
			  float *dw_ih,       // (4*H, I) +=
			  float *dw_hh,       // (4*H, H) +=
			  float *db_ih,       // (4*H) +=
			  float *db_hh,       // (4*H) +=
			  float *ws,          // lstm_backward_ws(T, B, H)
			  cudaStream_t stream)
{
	return cell_backward_cuda<CELL_LSTM>(T, B, In, H, reverse, x, len, w_ih, w_hh, y, dy, ldy,
					 act, extra, dx, dx_accumulate, dw_ih, dw_hh, db_ih, db_hh,
					 ws, stream);
}

const char *rec_describe_lstm(int B, int H, int backward, char *buf, size_t size)
{
	return rec_describe<CELL_LSTM>(B, H, backward, buf, size);
}
