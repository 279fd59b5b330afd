/* predict.h - what the predict stage does, for a main that only parses:
 * a trained model applied to new input, printed on stdout.
 */
#ifndef RNNPIPE_PREDICT_H
#define RNNPIPE_PREDICT_H

/* A review classifier: the review is args joined by spaces (nargs > 0) or
 * each line of stdin (plain text, a JSON string, or a JSON object with a
 * "text", "review" or "comment_text" field), classified batch reviews at a
 * time (one at a time on a terminal).  Prints "label prob" per review, or
 * with jsonl {"label", "prob", "probs"[, "logits"]}.  A line that cannot be
 * classified prints "error line N" ({"label": null, "error": ...}) in its
 * place and "<stdin>:N: reason" on stderr.  Returns 0, 1 when some line failed, or -1 after error(). */
int predict_reviews(const char *model, const char *vocab, int jsonl, int logits, int batch,
		    char **args, int nargs);

/* A time-series model: the series' recent values, oldest first, come from
 * args, a CSV column, a dataset's series or one value per line of stdin;
 * prints steps forecasts (0: the model's horizon), one per line or as
 * {"step", "value"} JSON lines.  Returns 0, or -1 after error() ("argument
 * N: reason" or "file:line: reason" for a bad value). */
struct predict_series_args {
	const char *model, *csv, *column, *dataset;
	long steps;
	int jsonl;
	char **args;
	int nargs;
};
int predict_series(const struct predict_series_args *a);

/* 1 when every argument is a number (a series given to a classifier). */
int predict_all_numbers(char **args, int nargs);

#endif
