/* metrics.h - classification metrics for train (validation) and evaluate:
 * accuracy, confusion matrix, per-class precision/recall/F1, macro F1,
 * mean loss, and for two classes ROC AUC (ties counted as halves, i.e. the
 * Mann-Whitney statistic, as sklearn.metrics.roc_auc_score) with the ROC
 * curve points (as sklearn.metrics.roc_curve, drop_intermediate=True).
 *
 * Feed predictions batch by batch, then compute.  Precision (recall) of a
 * class never predicted (absent) is 0, as sklearn's zero_division=0.
 * It reads and writes no files.
 */
#ifndef RNNPIPE_METRICS_H
#define RNNPIPE_METRICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct metrics_acc;

/* An accumulator for C >= 2 classes; keep_scores = 1 keeps the score of
 * class 1 for every example (needed for ROC AUC; ignored unless C == 2).
 * NULL after error().  Free with metrics_acc_free. */
struct metrics_acc *metrics_acc_new(int C, int keep_scores);
void metrics_acc_free(struct metrics_acc *a);

/* Adds B examples: probs (B, C) class probabilities, labels (B) true
 * classes in [0, C); loss_sum is the summed loss of the B examples (pass 0
 * when unknown).  The prediction is the argmax (lowest index on ties).
 * Returns 0, or -1 after error() (out of memory, a label out of range). */
int metrics_acc_add(struct metrics_acc *a, int B, const float *probs, const int32_t *labels,
		    double loss_sum);

struct metrics {
	int C;
	uint64_t n;
	double loss;          /* mean loss (loss_sum / n) */
	double accuracy;
	double macro_f1;
	uint64_t *confusion;  /* (C, C): rows true class, columns predicted */
	double *precision, *recall, *f1; /* (C) */
	uint64_t *support;    /* (C) true examples per class */
	double roc_auc;       /* NaN unless C == 2 and both classes present */
	size_t n_roc;         /* ROC points (0 when roc_auc is NaN) */
	double *fpr, *tpr;    /* (n_roc), from (0, 0) to (1, 1) */
};

/* Computes the metrics of everything added so far.  n == 0 gives zeros
 * and NaN loss.  Returns 0 or -1 after error(); free with metrics_free. */
int metrics_compute(const struct metrics_acc *a, struct metrics *out);
void metrics_free(struct metrics *m);

/* The metrics as docs/artifacts.md's metrics.json keys: n, loss, accuracy,
 * macro_f1, labels, confusion_matrix, per_class, roc_auc, roc (null where
 * not binary); labels has m->C names.  New reference, NULL on out of
 * memory. */
json_t *metrics_json(const struct metrics *m, char *const *labels);

/* ROC AUC and curve of scores (n) for binary labels (n; 1 = positive).
 * *auc is NaN when one class is absent (then no points).  fpr/tpr are
 * malloc'd (free()); may be NULL when not wanted.  0 or -1 (error()). */
int metrics_roc(size_t n, const float *scores, const uint8_t *positive, double *auc,
		double **fpr, double **tpr, size_t *n_points);

#endif
