/* test_metrics.c - the classification metrics against values computed by
 * hand: confusion matrix, per-class precision/recall/F1, macro F1 and
 * accuracy on a 3-class case; ROC AUC with tied scores (Mann-Whitney with
 * ties as halves) and the ROC points sklearn's roc_curve keeps; argmax
 * ties; a single-class split; a label out of range; the JSON keys. */
#include "testutil.h"

#include <math.h>

#include "metrics.h"

static void near(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12)) { /* NaN fails too */
		printf("got %.15g, want %.15g\n", got, want);
		fail();
	}
}

/* probs with a clear argmax at pred[i] */
static void onehot(float *probs, const int *pred, int n, int C)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < C; k++)
			probs[i * C + k] = k == pred[i] ? 0.8f : 0.2f / (C - 1);
}

static void test_three_classes(void **state)
{
	(void)state;
	const int32_t labels[9] = {0, 0, 1, 1, 1, 2, 2, 2, 2};
	const int pred[9] = {0, 1, 1, 1, 0, 2, 2, 1, 0};
	float probs[27];
	onehot(probs, pred, 9, 3);
	struct metrics_acc *a = metrics_acc_new(3, 1);
	assert_non_null(a);
	/* in two batches, with a loss sum each */
	assert_int_equal(metrics_acc_add(a, 4, probs, labels, 2.0), 0);
	assert_int_equal(metrics_acc_add(a, 5, probs + 12, labels + 4, 2.5), 0);
	struct metrics m;
	assert_int_equal(metrics_compute(a, &m), 0);
	const uint64_t want_cm[9] = {1, 1, 0, 1, 2, 0, 1, 1, 2};
	for (int i = 0; i < 9; i++)
		assert_int_equal(m.confusion[i], want_cm[i]);
	assert_int_equal(m.n, 9);
	near(m.loss, 4.5 / 9);
	near(m.accuracy, 5.0 / 9);
	near(m.precision[0], 1.0 / 3);
	near(m.recall[0], 0.5);
	near(m.f1[0], 0.4);
	near(m.precision[1], 0.5);
	near(m.recall[1], 2.0 / 3);
	near(m.f1[1], 4.0 / 7);
	near(m.precision[2], 1.0);
	near(m.recall[2], 0.5);
	near(m.f1[2], 2.0 / 3);
	near(m.macro_f1, (0.4 + 4.0 / 7 + 2.0 / 3) / 3);
	assert_int_equal(m.support[0], 2);
	assert_int_equal(m.support[2], 4);
	assert_true(isnan(m.roc_auc)); /* not binary */
	assert_int_equal(m.n_roc, 0);
	char *names[3] = {"negative", "neutral", "positive"};
	json_t *j = metrics_json(&m, names);
	assert_non_null(j);
	const char *keys[] = {"n", "loss", "accuracy", "macro_f1", "labels", "confusion_matrix",
			      "per_class", "roc_auc", "roc", NULL};
	for (int i = 0; keys[i]; i++)
		assert_non_null(json_object_get(j, keys[i]));
	assert_true(json_is_null(json_object_get(j, "roc_auc")));
	json_t *row1 = json_array_get(json_object_get(j, "confusion_matrix"), 1);
	assert_int_equal(json_integer_value(json_array_get(row1, 1)), 2);
	json_t *pc = json_array_get(json_object_get(j, "per_class"), 2);
	assert_string_equal(json_string_value(json_object_get(pc, "label")), "positive");
	assert_int_equal(json_integer_value(json_object_get(pc, "support")), 4);
	json_decref(j);
	metrics_free(&m);
	metrics_acc_free(a);
}

/* A class never predicted and a class absent: precision/recall 0, F1 0. */
static void test_zero_division(void **state)
{
	(void)state;
	const int32_t labels[3] = {0, 0, 0};
	const int pred[3] = {0, 0, 0};
	float probs[6];
	onehot(probs, pred, 3, 2);
	struct metrics_acc *a = metrics_acc_new(2, 1);
	assert_int_equal(metrics_acc_add(a, 3, probs, labels, 0), 0);
	struct metrics m;
	assert_int_equal(metrics_compute(a, &m), 0);
	near(m.accuracy, 1.0);
	near(m.f1[0], 1.0);
	near(m.precision[1], 0.0);
	near(m.recall[1], 0.0);
	near(m.f1[1], 0.0);
	near(m.macro_f1, 0.5);
	assert_true(isnan(m.roc_auc)); /* one class only: undefined */
	assert_int_equal(m.n_roc, 0);
	metrics_free(&m);
	metrics_acc_free(a);
}

static void test_roc_ties(void **state)
{
	(void)state;
	/* positives 0.9 0.8 0.7 0.6, negatives 0.8 0.6 0.5 0.3:
	 * pairs won 4 + 3.5 + 3 + 2.5 = 13 of 16 */
	const float s[8] = {0.9f, 0.8f, 0.8f, 0.7f, 0.6f, 0.6f, 0.5f, 0.3f};
	const uint8_t pos[8] = {1, 1, 0, 1, 0, 1, 0, 0};
	double auc, *fpr, *tpr;
	size_t n;
	assert_int_equal(metrics_roc(8, s, pos, &auc, &fpr, &tpr, &n), 0);
	near(auc, 13.0 / 16);
	/* thresholds give (fp, tp) = (0,1) (1,2) (1,3) (2,4) (3,4) (4,4); the
	 * collinear (3,4) is dropped, (0,0) comes first */
	const double wf[6] = {0, 0, 0.25, 0.25, 0.5, 1}, wt[6] = {0, 0.25, 0.5, 0.75, 1, 1};
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++) {
		near(fpr[i], wf[i]);
		near(tpr[i], wt[i]);
	}
	free(fpr);
	free(tpr);
	/* the same through the accumulator: score = prob of class 1, input
	 * order shuffled */
	const int order[8] = {5, 2, 7, 0, 3, 6, 1, 4};
	float probs[16];
	int32_t labels[8];
	for (int i = 0; i < 8; i++) {
		probs[2 * i + 1] = s[order[i]];
		probs[2 * i] = 1 - s[order[i]];
		labels[i] = pos[order[i]];
	}
	struct metrics_acc *a = metrics_acc_new(2, 1);
	assert_int_equal(metrics_acc_add(a, 8, probs, labels, 0), 0);
	struct metrics m;
	assert_int_equal(metrics_compute(a, &m), 0);
	near(m.roc_auc, 13.0 / 16);
	assert_int_equal(m.n_roc, 6);
	/* all scores tied: AUC 0.5, the diagonal */
	const float flat[4] = {0.5f, 0.5f, 0.5f, 0.5f};
	const uint8_t p2[4] = {1, 0, 1, 0};
	assert_int_equal(metrics_roc(4, flat, p2, &auc, &fpr, &tpr, &n), 0);
	near(auc, 0.5);
	assert_int_equal(n, 2);
	near(fpr[1], 1);
	near(tpr[1], 1);
	free(fpr);
	free(tpr);
	/* perfect separation: 1.0 */
	const float sep[4] = {0.1f, 0.9f, 0.2f, 0.8f};
	assert_int_equal(metrics_roc(4, sep, (const uint8_t[]){0, 1, 0, 1}, &auc, NULL, NULL, NULL),
			 0);
	near(auc, 1.0);
	metrics_free(&m);
	metrics_acc_free(a);
}

/* argmax ties go to the lowest class index; labels out of range fail */
static void test_ties_and_bad_labels(void **state)
{
	(void)state;
	const float probs[4] = {0.5f, 0.5f, 0.5f, 0.5f};
	const int32_t labels[2] = {0, 1};
	struct metrics_acc *a = metrics_acc_new(2, 0);
	assert_int_equal(metrics_acc_add(a, 2, probs, labels, 0), 0);
	struct metrics m;
	assert_int_equal(metrics_compute(a, &m), 0);
	assert_int_equal(m.confusion[0], 1); /* true 0 -> 0 */
	assert_int_equal(m.confusion[2], 1); /* true 1 -> 0 */
	assert_true(isnan(m.roc_auc));       /* scores not kept */
	metrics_free(&m);
	const int32_t bad[1] = {2};
	assert_int_equal(metrics_acc_add(a, 1, probs, bad, 0), -1);
	metrics_acc_free(a);
	assert_null(metrics_acc_new(1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_classes),
		cmocka_unit_test(test_zero_division),
		cmocka_unit_test(test_roc_ties),
		cmocka_unit_test(test_ties_and_bad_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
