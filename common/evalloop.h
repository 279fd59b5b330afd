/* evalloop.h - runs a classifier over one split of artifacts/dataset.h5
 * batch by batch (validation in train, the test split in evaluate):
 * forward pass, mean loss, metrics, and a per-batch callback with the
 * class probabilities (for predictions.tsv).
 *
 * It does not open files itself (the caller opens the batch reader) and
 * does not train.
 */
#ifndef RNNPIPE_EVALLOOP_H
#define RNNPIPE_EVALLOOP_H

#include "batches.h"
#include "devmodel.h"
#include "metrics.h"
#include "progress.h"

/* Called after each batch with its rows, the probabilities (n, C) and the
 * logits (n, C) of the model; returns 0, or -1 to stop (after error()). */
typedef int (*eval_batch_fn)(void *ctx, const struct batch *b, const float *probs,
			     const float *logits, int C);

/* Runs one whole epoch of b (started here as epoch 0, so the order is the
 * reader's: file order without shuffling) through the classifier d on its
 * device (d must hold b's batches), adding every example to acc.
 * fn may be NULL; p may be NULL (no progress display).  Returns 0, 1 when
 * a loss was not finite (the model diverged; acc is then incomplete), or -1
 * after error(). */
int eval_split(struct devmodel *d, struct batches *b, struct metrics_acc *acc,
	       eval_batch_fn fn, void *ctx, struct progress *p);

#endif
