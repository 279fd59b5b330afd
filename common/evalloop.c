/* evalloop.c - one pass of a classifier over a split (evalloop.h): batches
 * from the streaming reader, forward with labels for the loss, metrics
 * accumulated, probabilities handed to the caller.  No files are written.
 */
#include <math.h>
#include <stdio.h>

#include "error.h"
#include "evalloop.h"

int eval_split(struct rnn_model *m, struct batches *b, struct metrics_acc *acc,
	       eval_batch_fn fn, void *ctx, struct progress *p)
{
	const int C = m->layout.cfg.outputs;
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
		if (rnn_model_forward(m, &rb, &loss))
			return -1;
		if (!isfinite(loss))
			diverged = 1;
		if (metrics_acc_add(acc, rb.B, m->probs, bt->labels, (double)loss * rb.B))
			return -1;
		if (fn && fn(ctx, bt, m->probs, m->out, C))
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
