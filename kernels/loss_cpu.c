/* loss_cpu.c - softmax cross-entropy and mean squared error, forward and
 * backward, CPU reference.
 *
 * Legend: B batch, C classes, K regression outputs.  Losses are means
 * (torch.nn.CrossEntropyLoss / MSELoss defaults), accumulated in double and
 * reported as float.  Labels are not range-checked here (the model API
 * does).  Pair: loss_cuda.cu.
 */
#include <math.h>

#include "kernels_cpu.h"

void softmax_xent_forward_cpu(int B, int C, const float *logits, const int32_t *labels,
			      float *probs, float *loss)
{
	double total = 0.0;
	for (int b = 0; b < B; b++) {
		const float *l = logits + (size_t)b * C;
		float *p = probs + (size_t)b * C;
		double mx = l[0];
		for (int c = 1; c < C; c++)
			if (l[c] > mx)
				mx = l[c];
		double sum = 0.0;
		for (int c = 0; c < C; c++)
			sum += exp((double)l[c] - mx);
		for (int c = 0; c < C; c++)
			p[c] = (float)(exp((double)l[c] - mx) / sum);
		if (labels)
			total += mx + log(sum) - (double)l[labels[b]];
	}
	if (loss && labels)
		*loss = (float)(total / B);
}

void softmax_xent_backward_cpu(int B, int C, const float *probs, const int32_t *labels,
			       float *dlogits)
{
	float inv = 1.0f / (float)B;
	for (int b = 0; b < B; b++)
		for (int c = 0; c < C; c++) {
			float p = probs[(size_t)b * C + c];
			dlogits[(size_t)b * C + c] = (p - (c == labels[b] ? 1.0f : 0.0f)) * inv;
		}
}

void mse_forward_cpu(int B, int K, const float *pred, const float *target, float *loss)
{
	double total = 0.0;
	size_t n = (size_t)B * K;
	for (size_t i = 0; i < n; i++) {
		double d = (double)pred[i] - (double)target[i];
		total += d * d;
	}
	*loss = (float)(total / (double)n);
}

void mse_backward_cpu(int B, int K, const float *pred, const float *target, float *dpred)
{
	size_t n = (size_t)B * K;
	float scale = 2.0f / (float)n;
	for (size_t i = 0; i < n; i++)
		dpred[i] = (pred[i] - target[i]) * scale;
}
