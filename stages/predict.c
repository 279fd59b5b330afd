/* predict - classifies reviews with a trained model, like the reference
 * notebook's last cell: `predict --model artifacts/model.h5 "Фильм отстой."`
 * prints "negative 0.9731" (the label and its probability).
 *
 * Reads model.h5 (and its vocabulary: embedded, --vocab, or the recorded
 * path; see common/classifier.h) and the text from the arguments (joined
 * by spaces into one review) or, without arguments, one review per line of
 * stdin.  --jsonl prints {"label", "prob", "probs"} per review.  Writes
 * nothing to disk.  Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier.h"
#include "error.h"
#include "opts.h"
#include "rnn_model.h"

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
			json_t *probs = json_array();
			for (int j = 0; j < C; j++)
				json_array_append_new(probs, json_real(p[j]));
			json_t *j = json_pack("{s:s, s:f, s:o}", "label", c->meta.labels[k], "prob",
					      (double)p[k], "probs", probs);
			if (j && o->logits) {
				json_t *lg = json_array();
				for (int q = 0; q < C; q++)
					json_array_append_new(
						lg, json_real(c->logits[(size_t)i * C + q]));
				json_object_set_new(j, "logits", lg);
			}
			char *s = j ? json_dumps(j, JSON_PRESERVE_ORDER |
							    JSON_REAL_PRECISION(o->logits ? 9 : 6))
				    : NULL;
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
 * "review", "comment_text") field, or else the line as it is. */
static const char *line_text(char *line, size_t len, size_t *out_len, json_t **hold)
{
	*hold = NULL;
	*out_len = len;
	if (len && (line[0] == '{' || line[0] == '"')) {
		json_t *j = json_loadb(line, len, JSON_DECODE_ANY, NULL);
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
		}
		json_decref(j);
	}
	return line;
}

int main(int argc, char **argv)
{
	const char *model = "artifacts/model.h5", *vocab = NULL;
	int jsonl = 0, logits = 0;
	long batch = 64, threads = 1;
	const struct opt opts[] = {
		{"model", OPT_STR, &model, "FILE", "the trained model", 0, 0},
		{"vocab", OPT_STR, &vocab, "FILE",
		 "vocab.txt to use instead of the model's (its hash must match)", 0, 0},
		{"jsonl", OPT_FLAG, &jsonl, NULL,
		 "print {\"label\", \"prob\", \"probs\"} per review (JSON lines)", 0, 0},
		{"logits", OPT_FLAG, &logits, NULL,
		 "--jsonl: add the logits (full precision), for comparisons", 0, 0},
		{"batch", OPT_INT, &batch, "N", "reviews per forward pass (stdin)", 1, 4096},
		{"threads", OPT_INT, &threads, "N", "CPU threads", 1, 256},
		{NULL},
	};
	const struct opts_program prog = {
		"predict", "[OPTIONS] [TEXT...]",
		"Prints the predicted label and its probability for the review TEXT (the\n"
		"arguments joined by spaces), or for each line of stdin when no TEXT is\n"
		"given (a line may be plain text, a JSON string, or a JSON object with a\n"
		"\"text\" field).  A line that cannot be read (invalid UTF-8) prints\n"
		"\"error line N\" (or {\"label\": null, \"error\": ...}) and the exit status is 1.\n"
		"Runs on the CPU only (no --device: a few reviews do not pay for a GPU's\n"
		"start-up; evaluate --device cuda scores many).",
		opts, 0, -1,
	};
	char **args;
	int nargs;
	error_set_prog(argv[0]);
	opts_parse_or_exit(&prog, argc, argv, &args, &nargs);
	rnn_set_threads((int)threads);
	/* one review at a time on a terminal, so each answer comes at once */
	int B = nargs > 0 || isatty(STDIN_FILENO) ? 1 : (int)batch;
	struct classifier *c = classifier_open(model, vocab, 1, B);
	if (!c)
		return EXIT_FAIL;
	struct out o = {jsonl, logits, c};
	int rc = 0, failed = 0;
	if (nargs > 0) {
		size_t n = 0;
		for (int i = 0; i < nargs; i++)
			n += strlen(args[i]) + 1;
		char *text = malloc(n + 1), *p = text;
		if (!text)
			die(EXIT_FAIL, "out of memory");
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
			const char *t = line_text(line, (size_t)len, &tl, &hold);
			if (classifier_add_text(c, t, tl)) {
				/* keep the output aligned with the input: the reviews
				 * before it, then a line that says it failed */
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
		if (!rc && ferror(stdin))
			rc = error("cannot read stdin");
		free(line);
	}
	classifier_close(c);
	return rc || failed ? EXIT_FAIL : EXIT_OK;
}
