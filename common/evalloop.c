/* evalloop.c - one pass of a classifier over a split (evalloop.h): batches
 * from the streaming reader, forward with labels for the loss (on the CPU
 * or the GPU: devmodel.h), metrics accumulated, probabilities handed to
 * the caller.  No files are written.
 */
#include <math.h>
#include <stdio.h>

#include "error.h"
#include "evalloop.h"

int eval_split(struct devmodel *d, struct batches *b, struct metrics_acc *acc,
	       eval_batch_fn fn, void *ctx, struct progress *p)
{
	const int C = d->host->layout.cfg.outputs;
	if (batches_start_epoch(b, 0))
		return -1;
	const struct batch *bt;
	int rc, diverged = 0;
	uint64_t done = 0, items = 0;
	while ((rc = batches_next(b, &bt)) == 1) {
		struct rnn_batch rb = {
			.B = (int)bt->n, .T = (int)bt->t, .ids = bt->ids,
			.lengths = bt->lengths, .labels = bt->labels,
		};
		float loss;
		if (devmodel_forward(d, &rb, &loss))
			return -1;
		if (!isfinite(loss))
			diverged = 1;
		const float *probs, *logits;
		devmodel_outputs(d, &probs, &logits);
		if (metrics_acc_add(acc, rb.B, probs, bt->labels, (double)loss * rb.B))
			return -1;
		if (fn && fn(ctx, bt, probs, logits, C))
			return -1;
		done++;
		items += bt->n;
		if (p) {
			char status[64];
			snprintf(status, sizeof(status), "loss %.4f", loss);
			progress_update(p, done, items, status);
		}
	}
	if (rc < 0)
		return -1;
	return diverged;
}
