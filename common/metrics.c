/* metrics.c - accumulates predictions and computes classification metrics
 * (metrics.h).  Counts are integers; rates are computed once at the end in
 * double.  ROC: one sort of the kept scores (O(n log n)), tied scores form
 * one threshold, so the trapezoid area equals the Mann-Whitney statistic
 * with ties counted as halves.  Reads and writes no files.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"
#include "jsonw.h"
#include "metrics.h"

struct metrics_acc {
	int C;
	int keep;
	uint64_t n;
	double loss_sum;
	uint64_t *confusion; /* (C, C) */
	float *scores;       /* (cap) score of class 1 */
	uint8_t *pos;        /* (cap) label == 1 */
	size_t cap;
};

struct metrics_acc *metrics_acc_new(int C, int keep_scores)
{
	if (C < 2)
		return error("metrics: %d classes, need >= 2", C), NULL;
	struct metrics_acc *a = calloc(1, sizeof(*a));
	if (!a || !(a->confusion = calloc((size_t)C * C, sizeof(uint64_t)))) {
		free(a);
		return error("out of memory"), NULL;
	}
	a->C = C;
	a->keep = keep_scores && C == 2;
	return a;
}

void metrics_acc_free(struct metrics_acc *a)
{
	if (!a)
		return;
	free(a->confusion);
	free(a->scores);
	free(a->pos);
	free(a);
}

int metrics_acc_add(struct metrics_acc *a, int B, const float *probs, const int32_t *labels,
		    double loss_sum)
{
	const int C = a->C;
	if (a->keep) {
		/* two arrays, one capacity: it moves on once both have grown */
		size_t cap_s = a->cap, cap_p = a->cap;
		if (GROW_ARRAY(a->scores, cap_s, a->n + (size_t)B, 1024) ||
		    GROW_ARRAY(a->pos, cap_p, a->n + (size_t)B, 1024))
			return -1;
		a->cap = cap_s;
	}
	for (int i = 0; i < B; i++) {
		if (labels[i] < 0 || labels[i] >= C)
			return error("metrics: label %d outside 0..%d", labels[i], C - 1);
		const float *p = probs + (size_t)i * C;
		int best = 0;
		for (int k = 1; k < C; k++)
			if (p[k] > p[best])
				best = k;
		a->confusion[(size_t)labels[i] * C + best]++;
		if (a->keep) {
			a->scores[a->n + i] = p[1];
			a->pos[a->n + i] = labels[i] == 1;
		}
	}
	a->n += (uint64_t)B;
	a->loss_sum += loss_sum;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->confusion);
	free(m->precision);
	free(m->recall);
	free(m->f1);
	free(m->support);
	free(m->fpr);
	free(m->tpr);
	memset(m, 0, sizeof(*m));
}

struct scored {
	float s;
	uint32_t i;
};

static int by_score_desc(const void *pa, const void *pb)
{
	const struct scored *a = pa, *b = pb;
	if (a->s != b->s)
		return a->s > b->s ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

int metrics_roc(size_t n, const float *scores, const uint8_t *positive, double *auc,
		double **fpr, double **tpr, size_t *n_points)
{
	*auc = NAN;
	if (fpr)
		*fpr = NULL;
	if (tpr)
		*tpr = NULL;
	if (n_points)
		*n_points = 0;
	uint64_t P = 0;
	for (size_t i = 0; i < n; i++)
		P += positive[i] != 0;
	uint64_t N = n - P;
	if (P == 0 || N == 0)
		return 0;
	struct scored *o = malloc(n * sizeof(*o));
	double *fps = malloc((n + 1) * sizeof(double)), *tps = malloc((n + 1) * sizeof(double));
	if (!o || !fps || !tps) {
		free(o);
		free(fps);
		free(tps);
		return error("out of memory");
	}
	for (size_t i = 0; i < n; i++)
		o[i] = (struct scored){scores[i], (uint32_t)i};
	qsort(o, n, sizeof(*o), by_score_desc);
	/* cumulative counts at each distinct threshold, highest first */
	size_t m = 0;
	uint64_t tp = 0, fp = 0;
	for (size_t i = 0; i < n; i++) {
		if (positive[o[i].i])
			tp++;
		else
			fp++;
		if (i + 1 == n || o[i + 1].s != o[i].s) {
			fps[m] = (double)fp;
			tps[m] = (double)tp;
			m++;
		}
	}
	/* area: trapezoids from (0, 0) through every threshold */
	double area = 0, px = 0, py = 0;
	for (size_t k = 0; k < m; k++) {
		area += (fps[k] - px) * (tps[k] + py) / 2;
		px = fps[k];
		py = tps[k];
	}
	*auc = area / ((double)P * (double)N);
	if (fpr && tpr) {
		/* sklearn's drop_intermediate: keep the ends and the corners */
		double *fx = malloc((m + 1) * sizeof(double)), *ty = malloc((m + 1) * sizeof(double));
		if (!fx || !ty) {
			free(fx);
			free(ty);
			free(o);
			free(fps);
			free(tps);
			return error("out of memory");
		}
		size_t k = 0;
		fx[k] = 0;
		ty[k++] = 0;
		for (size_t j = 0; j < m; j++) {
			int keep = j == 0 || j + 1 == m ||
				   fps[j - 1] - 2 * fps[j] + fps[j + 1] != 0 ||
				   tps[j - 1] - 2 * tps[j] + tps[j + 1] != 0;
			if (!keep)
				continue;
			fx[k] = fps[j] / (double)N;
			ty[k++] = tps[j] / (double)P;
		}
		*fpr = fx;
		*tpr = ty;
		if (n_points)
			*n_points = k;
	}
	free(o);
	free(fps);
	free(tps);
	return 0;
}

int metrics_compute(const struct metrics_acc *a, struct metrics *out)
{
	memset(out, 0, sizeof(*out));
	const int C = a->C;
	out->C = C;
	out->n = a->n;
	out->loss = a->n ? a->loss_sum / (double)a->n : NAN;
	out->roc_auc = NAN;
	out->confusion = malloc((size_t)C * C * sizeof(uint64_t));
	out->precision = calloc(C, sizeof(double));
	out->recall = calloc(C, sizeof(double));
	out->f1 = calloc(C, sizeof(double));
	out->support = calloc(C, sizeof(uint64_t));
	if (!out->confusion || !out->precision || !out->recall || !out->f1 || !out->support) {
		metrics_free(out);
		return error("out of memory");
	}
	memcpy(out->confusion, a->confusion, (size_t)C * C * sizeof(uint64_t));
	uint64_t correct = 0;
	double f1_sum = 0;
	for (int k = 0; k < C; k++) {
		uint64_t tp = a->confusion[(size_t)k * C + k], row = 0, col = 0;
		for (int j = 0; j < C; j++) {
			row += a->confusion[(size_t)k * C + j];
			col += a->confusion[(size_t)j * C + k];
		}
		correct += tp;
		out->support[k] = row;
		out->precision[k] = col ? (double)tp / (double)col : 0.0;
		out->recall[k] = row ? (double)tp / (double)row : 0.0;
		double pr = out->precision[k] + out->recall[k];
		out->f1[k] = pr > 0 ? 2 * out->precision[k] * out->recall[k] / pr : 0.0;
		f1_sum += out->f1[k];
	}
	out->accuracy = a->n ? (double)correct / (double)a->n : 0.0;
	out->macro_f1 = f1_sum / C;
	if (a->keep && a->n) {
		if (metrics_roc(a->n, a->scores, a->pos, &out->roc_auc, &out->fpr, &out->tpr,
				&out->n_roc)) {
			metrics_free(out);
			return -1;
		}
	}
	return 0;
}

static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

json_t *metrics_json(const struct metrics *m, char *const *labels)
{
	const int C = m->C;
	json_t *j = json_object(), *names = json_array(), *cm = json_array(),
	       *per = json_array();
	int bad = 0; /* jsonw_unless */
	for (int k = 0; k < C; k++) {
		bad |= json_array_append_new(names, json_string(labels[k]));
		json_t *row = json_array();
		for (int p = 0; p < C; p++)
			bad |= json_array_append_new(
				row, json_integer((json_int_t)m->confusion[k * C + p]));
		bad |= json_array_append_new(cm, row);
		bad |= json_array_append_new(
			per, json_pack("{s:s, s:o, s:o, s:o, s:I}", "label", labels[k], "precision",
				       num(m->precision[k]), "recall", num(m->recall[k]), "f1",
				       num(m->f1[k]), "support", (json_int_t)m->support[k]));
	}
	bad |= json_object_set_new(j, "n", json_integer((json_int_t)m->n));
	bad |= json_object_set_new(j, "loss", num(m->loss));
	bad |= json_object_set_new(j, "accuracy", num(m->accuracy));
	bad |= json_object_set_new(j, "macro_f1", num(m->macro_f1));
	bad |= json_object_set_new(j, "labels", names);
	bad |= json_object_set_new(j, "confusion_matrix", cm);
	bad |= json_object_set_new(j, "per_class", per);
	bad |= json_object_set_new(j, "roc_auc", num(m->roc_auc));
	if (m->n_roc) {
		json_t *fpr = json_array(), *tpr = json_array();
		for (size_t i = 0; i < m->n_roc; i++) {
			bad |= json_array_append_new(fpr, json_real(m->fpr[i]));
			bad |= json_array_append_new(tpr, json_real(m->tpr[i]));
		}
		bad |= json_object_set_new(j, "roc",
					   json_pack("{s:o, s:o}", "fpr", fpr, "tpr", tpr));
	} else {
		bad |= json_object_set_new(j, "roc", json_null());
	}
	return jsonw_unless(j, bad);
}
