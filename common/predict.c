/* predict.c - the predict stage's work (see predict.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier.h"
#include "error.h"
#include "grow.h"
#include "hash.h"
#include "jsonoom.h"
#include "jsonw.h"
#include "predict.h"
#include "pretok.h"
#include "tsfile.h"
#include "tseries.h"
#include "tsforecast.h"

/* How predicted reviews are printed. */
struct out {
	int jsonl, logits;
	const struct classifier *c;
};

static int print_rows(const struct out *o)
{
	const struct classifier *c = o->c;
	const int C = c->meta.cfg.outputs;
	for (int i = 0; i < c->n; i++) {
		const float *p = c->probs + (size_t)i * C;
		int k = 0;
		for (int j = 1; j < C; j++)
			if (p[j] > p[k])
				k = j;
		if (o->jsonl) {
			int bad = 0; /* as for jsonw_unless: no value goes missing */
			json_t *probs = json_array();
			for (int j = 0; j < C; j++)
				bad |= json_array_append_new(probs, json_real(p[j]));
			json_t *j = json_pack("{s:s, s:f, s:o}", "label", c->meta.labels[k], "prob",
					      (double)p[k], "probs", probs);
			if (j && o->logits) {
				json_t *lg = json_array();
				for (int q = 0; q < C; q++)
					bad |= json_array_append_new(
						lg, json_real(c->logits[(size_t)i * C + q]));
				bad |= json_object_set_new(j, "logits", lg);
			}
			int flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(o->logits ? 9 : 6);
			char *s = j && !bad ? jsonw_dumps(j, flags, NULL) : NULL;
			json_decref(j);
			if (!s)
				return error("out of memory");
			printf("%s\n", s);
			free(s);
		} else {
			printf("%s %.4f\n", c->meta.labels[k], p[k]);
		}
	}
	if (fflush(stdout) || ferror(stdout))
		return error("cannot write to stdout");
	return 0;
}

/* The review of one input line: a JSON string, a JSON object's "text" (or
 * "review", "comment_text") field, or else the line as it is.  NULL for a
 * JSON object without such a string field: it holds no review to classify
 * (a JSONL file whose field has another name), and its source is none.
 * NULL with *oom set when jansson ran out of memory: the line was not
 * read, and is neither text nor a review-less object. */
static const char *line_text(char *line, size_t len, size_t *out_len, json_t **hold, int *oom)
{
	*hold = NULL;
	*out_len = len;
	*oom = 0;
	if (len && (line[0] == '{' || line[0] == '"')) {
		json_error_t e;
		unsigned long mark = jsonoom_mark();
		json_t *j = json_loadb(line, len, JSON_DECODE_ANY, &e);
		if (jsonoom_since(mark)) { /* even parsed: a byte may be missing */
			json_decref(j);
			*oom = 1;
			return NULL;
		}
		if (j && json_is_string(j)) {
			*hold = j;
			*out_len = json_string_length(j);
			return json_string_value(j);
		}
		if (j && json_is_object(j)) {
			static const char *fields[] = {"text", "review", "comment_text", NULL};
			for (int i = 0; fields[i]; i++) {
				json_t *t = json_object_get(j, fields[i]);
				if (json_is_string(t)) {
					*hold = j;
					*out_len = json_string_length(t);
					return json_string_value(t);
				}
			}
			json_decref(j);
			return NULL;
		}
		json_decref(j);
	}
	return line;
}

/* ---- time-series models: recent values in, next values out ---- */

/* Why text is not a value, for messages. */
static const char *value_problem(int why)
{
	return why == TS_VALUE_EMPTY	    ? "is empty"
	       : why == TS_VALUE_NOT_FINITE ? "is not a finite number"
					    : "is not a number";
}

/* Appends x to the growing array *v (n values, capacity *cap). */
static int push_value(double **v, size_t *n, size_t *cap, double x)
{
	if (GROW_ARRAY(*v, *cap, *n + 1, 256))
		return -1;
	(*v)[(*n)++] = x;
	return 0;
}

/* The values on the command line: "argument N: reason" for a bad one. */
static int values_from_args(char **args, int nargs, const char *model, double **v, size_t *n)
{
	size_t cap = 0;
	for (int i = 0; i < nargs; i++) {
		double x;
		int why = ts_parse_value(args[i], &x);
		if (why)
			return error("argument %d: '%s' %s ('%s' is a time-series model: give the "
				     "series' recent values, oldest first)",
				     i + 1, args[i], value_problem(why), model);
		if (push_value(v, n, &cap, x))
			return -1;
	}
	return 0;
}

/* One value per line of stdin: "<stdin>:N: reason" for a bad line. */
static int values_from_stdin(const char *model, double **v, size_t *n)
{
	char *line = NULL;
	size_t lcap = 0, cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0;
	while (!rc && (len = getline(&line, &lcap, stdin)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		double x;
		int why = ts_parse_value(line, &x);
		if (why == TS_VALUE_EMPTY)
			rc = bad_input("<stdin>", lineno, "empty line (one value per line; a gap in a "
					       "series is not skipped)");
		else if (why)
			rc = bad_input("<stdin>", lineno, "'%.64s' %s ('%s' is a time-series model: "
					       "one value per line, oldest first)",
				       line, value_problem(why), model);
		else
			rc = push_value(v, n, &cap, x);
	}
	if (!rc)
		rc = getline_end(stdin, "stdin");
	free(line);
	return rc;
}

/* The series of a dataset.h5 (ts-prepare's), with a note when it is not
 * the file the model was trained on. */
static int values_from_dataset(const char *path, const struct ts_forecaster *f, double **v,
			       size_t *n)
{
	struct tsdata d;
	if (tsdata_read(path, &d))
		return -1;
	uint64_t h;
	if (!hash64_file(path, &h) && h != f->meta.dataset_hash)
		info("note: '%s' is not the dataset the model was trained on ('%s')", path,
		     f->meta.dataset ? f->meta.dataset : "?");
	*v = d.series.values;
	*n = d.series.n;
	d.series.values = NULL; /* the times go with the rest */
	tsdata_free(&d);
	return 0;
}

int predict_series(const struct predict_series_args *a)
{
	struct ts_forecaster *f = ts_forecaster_open(a->model);
	if (!f)
		return -1;
	double *v = NULL, *out = NULL;
	size_t n = 0;
	struct tseries s = {0};
	int rc = -1;
	if (a->nargs > 0)
		rc = values_from_args(a->args, a->nargs, a->model, &v, &n);
	else if (a->csv) {
		if (!(rc = tseries_read_csv(a->csv, a->column, NULL, &s))) {
			v = s.values;
			n = s.n;
			s.values = NULL;
		}
	} else if (a->dataset)
		rc = values_from_dataset(a->dataset, f, &v, &n);
	else
		rc = values_from_stdin(a->model, &v, &n);
	tseries_free(&s);
	size_t steps = a->steps > 0 ? (size_t)a->steps : (size_t)f->horizon;
	if (!rc && !(out = malloc(sizeof(double) * steps)))
		rc = error("out of memory");
	if (!rc)
		rc = ts_forecaster_forecast(f, v, n, steps, out);
	for (size_t i = 0; !rc && i < steps; i++) {
		if (a->jsonl) {
			char num[32];
			ts_format_double(num, sizeof(num), out[i]);
			printf("{\"step\": %zu, \"value\": %s}\n", i + 1, num);
		} else {
			printf("%.7g\n", out[i]);
		}
	}
	if (!rc && (fflush(stdout) || ferror(stdout)))
		rc = error("cannot write to stdout");
	free(v);
	free(out);
	ts_forecaster_close(f);
	return rc;
}

int predict_all_numbers(char **args, int nargs)
{
	double x;
	for (int i = 0; i < nargs; i++)
		if (ts_parse_value(args[i], &x))
			return 0;
	return nargs > 0;
}

int predict_reviews(const char *model, const char *vocab, int jsonl, int logits, int batch,
		    char **args, int nargs)
{
	/* one review at a time on a terminal, so each answer comes at once */
	int B = nargs > 0 || isatty(STDIN_FILENO) ? 1 : batch;
	struct classifier *c = classifier_open(model, vocab, 1, B);
	if (!c)
		return -1;
	struct out o = {jsonl, logits, c};
	int rc = 0, failed = 0;
	if (nargs > 0) {
		size_t n = 0;
		for (int i = 0; i < nargs; i++)
			n += strlen(args[i]) + 1;
		char *text = malloc(n + 1), *p = text;
		if (!text) {
			classifier_close(c);
			return error("out of memory");
		}
		for (int i = 0; i < nargs; i++)
			p += sprintf(p, "%s%s", i ? " " : "", args[i]);
		rc = classifier_add_text(c, text, strlen(text)) || classifier_run(c) ||
		     print_rows(&o);
		free(text);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		long lineno = 0;
		while (!rc && (len = getline(&line, &cap, stdin)) >= 0) {
			lineno++;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = 0;
			json_t *hold;
			size_t tl;
			int oom;
			const char *t = line_text(line, (size_t)len, &tl, &hold, &oom);
			if (oom) {
				rc = jsonoom_error("stdin");
				break;
			}
			double num;
			/* the reasons a line is not a review, as "<stdin>:N: reason"
			 * (the classifier knows no line: its error() and a
			 * "cannot classify" made two lines); a JSON string is
			 * valid UTF-8 (jansson checks), so a bad one is the line's */
			size_t bad = t ? utf8_check(t, tl) : 0;
			int unreadable = 1;
			if (!t)
				bad_input("<stdin>", lineno, "a JSON object without a string field "
							     "'text', 'review' or 'comment_text'");
			else if (bad != tl)
				bad_input("<stdin>", lineno, "invalid UTF-8 at byte %zu of the %s",
					  bad + 1, t == line ? "line" : "text");
			else if (!ts_parse_value(t, &num))
				bad_input("<stdin>", lineno, "'%.64s' is a number; '%s' is a review "
							     "classifier and reads text",
					  t, model);
			else
				unreadable = 0;
			if (unreadable || classifier_add_text(c, t, tl)) {
				/* keep the output aligned with the input: the reviews
				 * before it, then a line that says it failed */
				if (!unreadable)
					bad_input("<stdin>", lineno, "cannot classify this review");
				failed = 1;
				rc = classifier_run(c) || print_rows(&o);
				classifier_clear(c);
				printf(jsonl ? "{\"label\": null, \"error\": \"line %ld\"}\n"
					     : "error line %ld\n",
				       lineno);
			}
			json_decref(hold);
			if (!rc && c->n == B) {
				rc = classifier_run(c) || print_rows(&o);
				classifier_clear(c);
			}
		}
		if (!rc && c->n) {
			rc = classifier_run(c) || print_rows(&o);
			classifier_clear(c);
		}
		if (!rc)
			rc = getline_end(stdin, "stdin");
		free(line);
	}
	classifier_close(c);
	return rc ? -1 : failed;
}
