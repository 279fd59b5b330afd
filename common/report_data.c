/* report_data.c - loading and checking the report's inputs (see
 * report_data.h).  JSON goes through jansson; predictions.tsv is split on
 * tabs by hand because its format (docs/artifacts.md) has no quoting, which
 * a CSV parser would add (a '"' in a label would change meaning). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "grow.h"
#include "hash.h"
#include "jsonoom.h"
#include "report_data.h"

/* 1 when path exists, 0 when it does not (announced), -1 on another error. */
static int exists(const char *path, const char *what)
{
	if (!path)
		return 0;
	if (access(path, F_OK) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR) {
		info("%s '%s' not found; its section says \"not available\"", what, path);
		return 0;
	}
	return error("cannot access '%s': %s", path, strerror(errno));
}

double json_num(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A key that must be a number, or null/absent when optional. */
static int want_num(const char *path, long line, json_t *o, const char *key, int required,
		    double lo, double hi)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required)
			return bad_input(path, line, "'%s' is missing", key);
		return 0;
	}
	if (!json_is_number(v))
		return bad_input(path, line, "'%s' is not a number", key);
	double x = json_number_value(v);
	if (!isfinite(x) || x < lo || x > hi)
		return bad_input(path, line, "'%s' is %g, outside [%g, %g]", key, x, lo, hi);
	return 0;
}

json_t *report_read_json(const char *path)
{
	json_error_t e;
	unsigned long mark = jsonoom_mark();
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	if (jsonoom_since(mark)) { /* even parsed: jansson's lexer may have left a byte out */
		json_decref(j);
		jsonoom_error(path);
		return NULL;
	}
	if (!j) {
		if (e.line > 0)
			bad_input(path, e.line, "not valid JSON: %s", e.text);
		else
			error("cannot read '%s': %s", path, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		bad_input(path, 0, "not a JSON object");
		return NULL;
	}
	return j;
}

/* ---- JSON lines ---- */

typedef int (*jsonl_fn)(const char *path, long line, json_t *obj, void *ctx);

static int read_jsonl(const char *path, jsonl_fn fn, void *ctx)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	long line = 0;
	int rc = 0;
	while (!rc && (len = getline(&buf, &cap, f)) >= 0) {
		line++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = 0;
		size_t sp = strspn(buf, " \t");
		if (buf[sp] == 0)
			continue;
		json_error_t e;
		unsigned long mark = jsonoom_mark();
		json_t *j = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &e);
		if (jsonoom_since(mark)) { /* even parsed: a byte may be missing */
			json_decref(j);
			rc = jsonoom_error(path);
			break;
		}
		if (!j) {
			rc = bad_input(path, line, "not valid JSON: %s", e.text);
			break;
		}
		if (!json_is_object(j))
			rc = bad_input(path, line, "not a JSON object");
		else
			rc = fn(path, line, j, ctx);
		json_decref(j);
	}
	if (!rc)
		rc = getline_end(f, path);
	free(buf);
	fclose(f);
	return rc;
}

struct grow {
	void **items;
	int *n;
	size_t size;
	size_t cap;
};

/* A new zeroed row at the end of *g->items, or NULL (the caller reports). */
static void *grow_one(struct grow *g)
{
	if (grow_array_quiet(g->items, &g->cap, (size_t)*g->n + 1, g->size, 32))
		return NULL;
	char *slot = (char *)*g->items + (size_t)(*g->n)++ * g->size;
	memset(slot, 0, g->size);
	return slot;
}

static int epoch_line(const char *path, long line, json_t *o, void *ctx)
{
	static const char *keys[] = {"loss", "accuracy", "val_loss", "val_accuracy",
				     "val_macro_f1", "seconds", "seq_per_s", "lr"};
	static const double hi[] = {INFINITY, 1, INFINITY, 1, 1, INFINITY, INFINITY, INFINITY};
	json_t *ep = json_object_get(o, "epoch");
	if (!json_is_integer(ep) || json_integer_value(ep) < 0)
		return bad_input(path, line, "'epoch' is missing or not a whole number");
	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
		/* loss may be NaN-guarded to null; a present value must be sane */
		if (want_num(path, line, o, keys[k], 0, 0, hi[k]))
			return -1;
	}
	struct epoch_row *r = grow_one(ctx);
	if (!r)
		return error("out of memory");
	r->epoch = (double)json_integer_value(ep);
	double *dst[] = {&r->loss, &r->accuracy, &r->val_loss, &r->val_accuracy,
			 &r->val_macro_f1, &r->seconds, &r->seq_per_s, &r->lr};
	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		*dst[k] = json_num(o, keys[k]);
	return 0;
}

int report_load_train_log(const char *path, struct epoch_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	int e = exists(path, "training log");
	if (e <= 0)
		return e < 0 ? -1 : 1;
	return report_read_train_log(path, rows, n);
}

int report_read_train_log(const char *path, struct epoch_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	struct grow g = {(void **)rows, n, sizeof(**rows), 0};
	if (read_jsonl(path, epoch_line, &g)) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	if (!*rows) /* an empty log: present but no epoch finished */
		*rows = calloc(1, sizeof(**rows));
	return *rows ? 0 : error("out of memory");
}

/* the promotion metrics scripts/retrain writes (PROMOTE_METRIC), in the
 * order a line is searched for its own */
static const char *const PROMOTE_METRICS[] = {"val_macro_f1", "val_accuracy", "best_val_loss",
					      "val_loss", NULL};

static int history_line(const char *path, long line, json_t *o, void *ctx)
{
	json_t *run = json_object_get(o, "run");
	if (!json_is_string(run))
		return bad_input(path, line, "'run' is missing or not a string");
	if (want_num(path, line, o, "accuracy", 0, 0, 1) ||
	    want_num(path, line, o, "macro_f1", 0, 0, 1) ||
	    want_num(path, line, o, "n", 0, 0, INFINITY) ||
	    want_num(path, line, o, "dumps", 0, 0, INFINITY))
		return -1;
	const char *metric = NULL;
	for (int i = 0; PROMOTE_METRICS[i]; i++) {
		if (want_num(path, line, o, PROMOTE_METRICS[i], 0, 0, INFINITY))
			return -1;
		if (!metric && isfinite(json_num(o, PROMOTE_METRICS[i])))
			metric = PROMOTE_METRICS[i];
	}
	json_t *p = json_object_get(o, "promoted");
	if (p && !json_is_boolean(p) && !json_is_null(p))
		return bad_input(path, line, "'promoted' is not true, false or null");
	struct history_row *r = grow_one(ctx);
	if (!r || !(r->run = strdup(json_string_value(run))))
		return error("out of memory");
	r->accuracy = json_num(o, "accuracy");
	r->macro_f1 = json_num(o, "macro_f1");
	r->metric = metric;
	r->metric_value = metric ? json_num(o, metric) : NAN;
	r->n = json_num(o, "n");
	r->dumps = json_num(o, "dumps");
	r->promoted = json_is_boolean(p) ? json_is_true(p) : -1;
	return 0;
}

int report_load_history(const char *path, struct history_row **rows, int *n)
{
	*rows = NULL;
	*n = 0;
	int e = exists(path, "run history");
	if (e <= 0)
		return e < 0 ? -1 : 1;
	struct grow g = {(void **)rows, n, sizeof(**rows), 0};
	if (read_jsonl(path, history_line, &g)) {
		for (int i = 0; i < *n; i++)
			free((*rows)[i].run);
		free(*rows);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* ---- metrics.json ---- */

static int check_num_array(const char *path, json_t *a, const char *what, size_t want,
			   double lo, double hi)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || (want && json_array_size(a) != want))
		return bad_input(path, 0, "'%s' is not an array of %zu numbers", what, want);
	json_array_foreach(a, i, v) {
		double x = json_is_number(v) ? json_number_value(v) : NAN;
		if (!isfinite(x) || x < lo || x > hi)
			return bad_input(path, 0, "'%s'[%zu] is not a number in [%g, %g]", what, i,
					 lo, hi);
	}
	return 0;
}

static int check_metrics(const char *path, json_t *m)
{
	if (want_num(path, 0, m, "accuracy", 1, 0, 1) || want_num(path, 0, m, "macro_f1", 1, 0, 1) ||
	    want_num(path, 0, m, "n", 1, 0, INFINITY) || want_num(path, 0, m, "loss", 0, 0, INFINITY) ||
	    want_num(path, 0, m, "roc_auc", 0, 0, 1))
		return -1;
	json_t *cm = json_object_get(m, "confusion_matrix");
	size_t k = json_array_size(cm);
	if (!json_is_array(cm) || k < 1 || k > REPORT_MAX_CLASSES)
		return bad_input(path, 0, "'confusion_matrix' is missing or not a square array "
				 "of 1 to %d rows", REPORT_MAX_CLASSES);
	size_t i;
	json_t *v;
	json_array_foreach(cm, i, v) {
		char what[48];
		snprintf(what, sizeof(what), "confusion_matrix[%zu]", i);
		if (check_num_array(path, v, what, k, 0, INFINITY))
			return -1;
	}
	json_t *labels = json_object_get(m, "labels");
	if (labels && !json_is_null(labels)) {
		if (!json_is_array(labels) || json_array_size(labels) != k)
			return bad_input(path, 0, "'labels' is not an array of %zu strings "
					 "(one per confusion-matrix row)", k);
		json_array_foreach(labels, i, v)
			if (!json_is_string(v))
				return bad_input(path, 0, "'labels'[%zu] is not a string", i);
	}
	json_t *pc = json_object_get(m, "per_class");
	if (pc && !json_is_null(pc)) {
		if (!json_is_array(pc))
			return bad_input(path, 0, "'per_class' is not an array");
		json_array_foreach(pc, i, v) {
			if (!json_is_object(v))
				return bad_input(path, 0, "'per_class'[%zu] is not an object", i);
			if (want_num(path, 0, v, "precision", 0, 0, 1) ||
			    want_num(path, 0, v, "recall", 0, 0, 1) ||
			    want_num(path, 0, v, "f1", 0, 0, 1) ||
			    want_num(path, 0, v, "support", 0, 0, INFINITY))
				return -1;
		}
	}
	json_t *roc = json_object_get(m, "roc");
	if (roc && !json_is_null(roc)) {
		json_t *fpr = json_object_get(roc, "fpr"), *tpr = json_object_get(roc, "tpr");
		if (!json_is_object(roc) || check_num_array(path, fpr, "roc.fpr", 0, 0, 1) ||
		    check_num_array(path, tpr, "roc.tpr", json_array_size(fpr), 0, 1))
			return json_is_object(roc) ? -1
				: bad_input(path, 0, "'roc' is not an object with 'fpr' and 'tpr'");
	}
	return 0;
}

int report_load_metrics(const char *path, json_t **out)
{
	*out = NULL;
	int e = exists(path, "metrics");
	if (e <= 0)
		return e < 0 ? -1 : 1;
	json_t *m = report_read_json(path);
	if (!m)
		return -1;
	if (check_metrics(path, m)) {
		json_decref(m);
		return -1;
	}
	*out = m;
	return 0;
}

/* ---- predictions.tsv ---- */

static int split_tabs(char *s, char **f, int max)
{
	int n = 0;
	for (;;) {
		char *t = strchr(s, '\t');
		if (n < max)
			f[n] = s;
		n++;
		if (!t)
			return n;
		*t = 0;
		s = t + 1;
	}
}

static int parse_hash(const char *s, uint64_t *out)
{
	if (strlen(s) != 16)
		return -1;
	for (int i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	*out = strtoull(s, NULL, 16);
	return 0;
}

int report_load_predictions(const char *path, struct pred_row **rows, int *n,
			    char *labels[REPORT_MAX_CLASSES], int *n_labels)
{
	*rows = NULL;
	*n = 0;
	*n_labels = 0;
	int e = exists(path, "predictions");
	if (e <= 0)
		return e < 0 ? -1 : 1;
	FILE *fp = fopen(path, "r");
	if (!fp)
		return error("cannot open '%s': %s", path, strerror(errno));
	struct grow g = {(void **)rows, n, sizeof(**rows), 0};
	char *buf = NULL, *f[3 + REPORT_MAX_CLASSES + 1];
	size_t cap = 0;
	ssize_t len;
	long line = 0;
	int rc = 0, ncols = 0;
	while (!rc && (len = getline(&buf, &cap, fp)) >= 0) {
		line++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = 0;
		if (line > 1 && len == 0)
			continue;
		int nf = split_tabs(buf, f, 3 + REPORT_MAX_CLASSES + 1);
		if (line == 1) {
			if (nf < 5 || strcmp(f[0], "hash") || strcmp(f[1], "label") ||
			    strcmp(f[2], "predicted")) {
				rc = bad_input(path, 1, "header is not 'hash, label, predicted, "
					       "prob_<label>...' (tab-separated)");
				break;
			}
			if (nf > 3 + REPORT_MAX_CLASSES) {
				rc = bad_input(path, 1, "more than %d classes", REPORT_MAX_CLASSES);
				break;
			}
			for (int i = 3; i < nf && !rc; i++) {
				if (strncmp(f[i], "prob_", 5) || !f[i][5])
					rc = bad_input(path, 1, "column %d is '%s', not prob_<label>",
						       i + 1, f[i]);
				else if (!(labels[(*n_labels)++] = strdup(f[i] + 5)))
					rc = error("out of memory");
			}
			ncols = nf;
			continue;
		}
		if (nf != ncols) {
			rc = bad_input(path, line, "%d fields, the header has %d", nf, ncols);
			break;
		}
		struct pred_row *r = grow_one(&g);
		if (!r) {
			rc = error("out of memory");
			break;
		}
		if (parse_hash(f[0], &r->hash)) {
			rc = bad_input(path, line, "hash '%s' is not 16 hex digits", f[0]);
			break;
		}
		r->label = r->predicted = -1;
		for (int k = 0; k < *n_labels; k++) {
			if (!strcmp(f[1], labels[k]))
				r->label = k;
			if (!strcmp(f[2], labels[k]))
				r->predicted = k;
		}
		if (r->label < 0 || r->predicted < 0) {
			rc = bad_input(path, line, "label '%s' is not one of the prob_ columns",
				       r->label < 0 ? f[1] : f[2]);
			break;
		}
		for (int k = 0; k < *n_labels; k++) {
			char *end;
			r->prob[k] = strtod(f[3 + k], &end);
			if (end == f[3 + k] || *end || !(r->prob[k] >= 0 && r->prob[k] <= 1)) {
				rc = bad_input(path, line, "'%s' is not a probability", f[3 + k]);
				break;
			}
		}
	}
	if (!rc)
		rc = getline_end(fp, path);
	if (!rc && line == 0)
		rc = bad_input(path, 0, "empty file (no header)");
	free(buf);
	fclose(fp);
	if (rc) {
		free(*rows);
		*rows = NULL;
		*n = 0;
		for (int k = 0; k < *n_labels; k++)
			free(labels[k]);
		*n_labels = 0;
		return -1;
	}
	return 0;
}

/* ---- split token-record files ---- */

/* Index of a source name in d->meta, added when new (per_source grows). */
static int source_index(struct data_info *d, const char *name, uint64_t hash)
{
	for (int i = 0; i < d->meta.n_sources; i++)
		if (!strcmp(d->meta.sources[i].name, name))
			return i;
	int k = tokmeta_add_source(&d->meta, name, hash);
	if (k < 0)
		return -1;
	uint64_t *p = realloc(d->per_source, (size_t)(k + 1) * (REPORT_MAX_CLASSES + 1) *
			      sizeof(*p));
	if (!p)
		return error("out of memory");
	memset(p + (size_t)k * (REPORT_MAX_CLASSES + 1), 0,
	       (REPORT_MAX_CLASSES + 1) * sizeof(*p));
	d->per_source = p;
	return k;
}

static int read_split(struct report_data *rd, int s, const char *path)
{
	struct data_info *d = &rd->data;
	struct tokreader *r = tokreader_open(path);
	if (!r)
		return -1;
	const struct tokmeta *m = tokreader_meta(r);
	int rc = 0, *remap = NULL;
	if (!d->present) {
		struct tokmeta copy;
		if (tokmeta_copy(&copy, m)) {
			tokreader_close(r);
			return -1;
		}
		/* sources are re-added one by one so per_source stays in step */
		for (int i = 0; i < copy.n_sources; i++)
			free(copy.sources[i].name);
		free(copy.sources);
		copy.sources = NULL;
		copy.n_sources = 0;
		d->meta = copy;
		d->present = 1;
	} else if (!tokmeta_same_labels(&d->meta, m) || d->meta.max_len != m->max_len) {
		tokreader_close(r);
		return error("'%s' has other labels or max_len than the other split files; "
			     "re-run 'make' from split", path);
	}
	remap = malloc(((size_t)m->n_sources + 1) * sizeof(*remap));
	if (!remap)
		rc = error("out of memory");
	for (int i = 0; !rc && i < m->n_sources; i++)
		if ((remap[i] = source_index(d, m->sources[i].name, m->sources[i].hash)) < 0)
			rc = -1;
	struct split_stats *st = &d->split[s];
	st->present = 1;
	st->path = strdup(path);
	struct tokrec rec;
	int got;
	while (!rc && (got = tokreader_next(r, &rec)) == 1) {
		st->count++;
		int cls = rec.label >= 0 && rec.label < d->meta.n_labels ? rec.label
									: REPORT_MAX_CLASSES;
		st->per_class[cls]++;
		if (d->meta.max_len && rec.n_full > d->meta.max_len)
			st->truncated++;
		if (m->n_sources && rec.source < (uint32_t)m->n_sources)
			d->per_source[(size_t)remap[rec.source] * (REPORT_MAX_CLASSES + 1) + cls]++;
		if (GROW_ARRAY(d->lengths, d->cap_lengths, d->n_lengths + 1, 4096)) {
			rc = -1;
			break;
		}
		d->lengths[d->n_lengths++] = rec.n_full;
		if (rd->example_split && !strcmp(rd->example_split, tok_split_name(s + 1))) {
			for (int i = 0; i < rd->n_examples; i++) {
				struct example *ex = &rd->examples[i];
				if (ex->p.hash != rec.hash || ex->text)
					continue;
				ex->text = malloc(rec.text_len + 1);
				if (!ex->text) {
					rc = error("out of memory");
					break;
				}
				memcpy(ex->text, rec.text, rec.text_len);
				ex->text[rec.text_len] = 0;
				ex->text_len = rec.text_len;
				ex->n_full = rec.n_full;
			}
		}
	}
	if (!rc && got < 0)
		rc = -1;
	free(remap);
	tokreader_close(r);
	return rc;
}

/* ---- example predictions ---- */

static double confidence(const struct pred_row *p) { return p->prob[p->predicted]; }

static int by_confidence(const void *a, const void *b)
{
	const struct pred_row *x = *(const struct pred_row *const *)a;
	const struct pred_row *y = *(const struct pred_row *const *)b;
	double cx = confidence(x), cy = confidence(y);
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Picks up to want examples: half the most confident mistakes, the rest the
 * most confident correct predictions taken from each true class in turn.
 * Deterministic (ties broken by hash). */
static int choose_examples(struct report_data *d, int want)
{
	if (!d->preds || want <= 0 || d->n_preds == 0)
		return 0;
	const struct pred_row **wrong = malloc(d->n_preds * sizeof(*wrong));
	const struct pred_row **right = malloc(d->n_preds * sizeof(*right));
	d->examples = calloc(want, sizeof(*d->examples));
	if (!wrong || !right || !d->examples) {
		free(wrong);
		free(right);
		return error("out of memory");
	}
	int nw = 0, nr = 0;
	for (int i = 0; i < d->n_preds; i++) {
		if (d->preds[i].label == d->preds[i].predicted)
			right[nr++] = &d->preds[i];
		else
			wrong[nw++] = &d->preds[i];
	}
	qsort(wrong, nw, sizeof(*wrong), by_confidence);
	qsort(right, nr, sizeof(*right), by_confidence);
	int take_wrong = nw < want / 2 ? nw : want / 2;
	int take_right = nr < want - take_wrong ? nr : want - take_wrong;
	if (take_wrong + take_right < want)
		take_wrong = nw < want - take_right ? nw : want - take_right;
	/* correct ones: round robin over true classes, most confident first */
	int used = 0;
	char *taken = calloc(nr ? nr : 1, 1);
	if (!taken) {
		free(wrong);
		free(right);
		return error("out of memory");
	}
	while (used < take_right) {
		int progress = 0;
		for (int c = 0; c < d->pred_classes && used < take_right; c++) {
			for (int i = 0; i < nr; i++) {
				if (taken[i] || right[i]->label != c)
					continue;
				taken[i] = 1;
				d->examples[d->n_examples++].p = *right[i];
				used++;
				progress = 1;
				break;
			}
		}
		if (!progress)
			break;
	}
	for (int i = 0; i < take_wrong; i++)
		d->examples[d->n_examples++].p = *wrong[i];
	free(taken);
	free(wrong);
	free(right);
	return 0;
}

/* ---- everything ---- */

static int add_stats(struct report_data *d, const char *path, const char *kind)
{
	int e = exists(path, kind);
	if (e <= 0)
		return e;
	if (d->n_stats == REPORT_MAX_STATS)
		return error("more than %d stats files", REPORT_MAX_STATS);
	json_t *j = report_read_json(path);
	if (!j)
		return -1;
	struct stats_file *s = &d->stats[d->n_stats++];
	s->path = strdup(path);
	s->kind = kind;
	s->json = j;
	return s->path ? 0 : error("out of memory");
}

int report_load(struct report_data *d, const struct report_inputs *in)
{
	memset(d, 0, sizeof(*d));
	if (report_load_train_log(in->train_log, &d->epochs, &d->n_epochs) < 0)
		return -1;
	if (in->train_json) {
		int e = exists(in->train_json, "training summary");
		if (e < 0 || (e && !(d->train = report_read_json(in->train_json))))
			return -1;
		if (d->train) {
			json_t *cfg = json_object_get(d->train, "config");
			if (cfg && !json_is_object(cfg))
				return bad_input(in->train_json, 0, "'config' is not an object");
		}
	}
	if (report_load_metrics(in->metrics, &d->metrics) < 0)
		return -1;
	if (report_load_predictions(in->predictions, &d->preds, &d->n_preds, d->pred_labels,
				    &d->pred_classes) < 0)
		return -1;
	int h = report_load_history(in->history, &d->hist, &d->n_hist);
	if (h < 0)
		return -1;
	d->have_hist = h == 0;
	d->example_split = "test";
	if (d->metrics && json_is_string(json_object_get(d->metrics, "split")))
		d->example_split = json_string_value(json_object_get(d->metrics, "split"));
	if (choose_examples(d, in->n_examples))
		return -1;
	if (in->split_dir) {
		for (int s = 0; s < 3; s++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s.tok", in->split_dir, tok_split_name(s + 1));
			int e = exists(path, "split file");
			if (e < 0 || (e && read_split(d, s, path)))
				return -1;
		}
	}
	for (int i = 0; i < in->n_tok_stats; i++)
		if (add_stats(d, in->tok_stats[i], "tokenize") < 0)
			return -1;
	if (add_stats(d, in->filter_stats, "filter-relabel") < 0 ||
	    add_stats(d, in->split_stats, "split") < 0)
		return -1;

	/* class names: metrics, else predictions, else the split files */
	if (d->metrics) {
		json_t *cm = json_object_get(d->metrics, "confusion_matrix");
		json_t *labels = json_object_get(d->metrics, "labels");
		d->n_classes = (int)json_array_size(cm);
		for (int k = 0; k < d->n_classes; k++) {
			const char *l = json_string_value(json_array_get(labels, k));
			if (!l && k < d->pred_classes)
				l = d->pred_labels[k];
			if (!l && k < d->data.meta.n_labels)
				l = d->data.meta.labels[k];
			d->labels[k] = l ? l : "?";
		}
	} else if (d->pred_classes) {
		d->n_classes = d->pred_classes;
		for (int k = 0; k < d->n_classes; k++)
			d->labels[k] = d->pred_labels[k];
	} else {
		d->n_classes = d->data.meta.n_labels;
		for (int k = 0; k < d->n_classes; k++)
			d->labels[k] = d->data.meta.labels[k];
	}
	return 0;
}

void report_data_free(struct report_data *d)
{
	free(d->epochs);
	json_decref(d->train);
	json_decref(d->metrics);
	free(d->preds);
	for (int k = 0; k < d->pred_classes; k++)
		free(d->pred_labels[k]);
	for (int i = 0; i < d->n_hist; i++)
		free(d->hist[i].run);
	free(d->hist);
	for (int s = 0; s < 3; s++)
		free(d->data.split[s].path);
	tokmeta_free(&d->data.meta);
	free(d->data.lengths);
	free(d->data.per_source);
	for (int i = 0; i < d->n_stats; i++) {
		free(d->stats[i].path);
		json_decref(d->stats[i].json);
	}
	for (int i = 0; i < d->n_examples; i++)
		free(d->examples[i].text);
	free(d->examples);
	memset(d, 0, sizeof(*d));
}
