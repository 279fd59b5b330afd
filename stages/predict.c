/* predict - applies a trained model to new input, like the reference
 * notebook's last cell.  A review classifier reads text:
 * `predict --model artifacts/model.h5 "Фильм отстой."` prints
 * "negative 0.9731" (the label and its probability), from the arguments
 * (joined by spaces into one review) or one review per line of stdin.  A
 * time-series model (task "regress") reads the series' recent values -
 * arguments, one per line of stdin, a CSV column (--csv) or a dataset's
 * series (--dataset) - and prints the next value(s) (tsforecast.h).
 * Reads model.h5 (and a classifier's vocabulary: embedded, --vocab, or the
 * recorded path; see common/classifier.h).  Writes nothing to disk.
 * Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdlib.h>

#include "blascore.h"
#include "error.h"
#include "modelfile.h"
#include "opts.h"
#include "predict.h"
#include "rnn_model.h"
#include "stage.h"

int main(int argc, char **argv)
{
	blascore_exec_better(argv); /* first: see blascore.h */
	const char *model = "artifacts/model.h5", *vocab = NULL;
	const char *csv = NULL, *column = NULL, *dataset = NULL;
	int jsonl = 0, logits = 0;
	long batch = 64, threads = 1, steps = 0;
	const struct opt opts[] = {
		{"model", OPT_STR, &model, "FILE",
		 "the trained model: a review classifier or a time-series model", 0, 0},
		{"jsonl", OPT_FLAG, &jsonl, NULL,
		 "reviews: {\"label\", \"prob\", \"probs\"} per review; series: {\"step\", "
		 "\"value\"} per step, full precision (JSON lines)",
		 0, 0},
		{"vocab", OPT_STR, &vocab, "FILE",
		 "reviews: vocab.txt to use instead of the model's (its hash must match)", 0, 0},
		{"logits", OPT_FLAG, &logits, NULL,
		 "reviews, --jsonl: add the logits (full precision), for comparisons", 0, 0},
		{"batch", OPT_INT, &batch, "N", "reviews: reviews per forward pass (stdin)", 1, 4096},
		{"csv", OPT_STR, &csv, "FILE",
		 "series: read the values from a CSV file with a header (as ts-prepare --csv)", 0, 0},
		{"column", OPT_STR, &column, "NAME",
		 "series, --csv: the value column (default: the only column, or the second of two)", 0, 0},
		{"dataset", OPT_STR, &dataset, "FILE",
		 "series: read the values from a time-series dataset.h5 (forecast past its end)", 0,
		 0},
		{"steps", OPT_INT, &steps, "N",
		 "series: values to print (0 = the model's horizon K); beyond K the forecasts are "
		 "fed back as inputs and errors compound",
		 0, 1000000},
		{"threads", OPT_INT, &threads, "N", "CPU threads", 1, 256},
		{NULL},
	};
	const struct opts_program prog = {
		"predict", "[OPTIONS] [TEXT... | VALUE...]",
		"Reviews (a classifier model): prints the predicted label and its probability\n"
		"for the review TEXT (the arguments joined by spaces), or for each line of\n"
		"stdin when no TEXT is given (a line may be plain text, a JSON string, or a\n"
		"JSON object with a \"text\" field).  A line that cannot be read (invalid\n"
		"UTF-8, a bare number, a JSON object without a \"text\", \"review\" or\n"
		"\"comment_text\" string) prints \"error line N\" (or {\"label\": null,\n"
		"\"error\": ...}) and the exit status is 1.\n"
		"Series (a time-series model, train --task regress): reads the series' recent\n"
		"values, oldest first - the VALUE arguments, or --csv FILE [--column NAME],\n"
		"or --dataset FILE, or else one value per line of stdin - takes the last W\n"
		"(the model's window; fewer is an error), normalises them as in training and\n"
		"prints the next K values (the model's horizon), t+1 ... t+K, one per line.\n"
		"A bad value is \"argument N: reason\" or \"file:line: reason\" (exit 1).\n"
		"Runs on the CPU only (no --device: a few reviews do not pay for a GPU's\n"
		"start-up; evaluate --device cuda scores many).",
		opts, 0, -1, 1,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, NULL);
	if (column && !csv)
		die(EXIT_USAGE, "--column goes with --csv");
	/* plain lines have no room for them: asked for, they were left out */
	if (logits && !jsonl)
		die(EXIT_USAGE, "--logits goes with --jsonl");
	if ((csv != NULL) + (dataset != NULL) + (nargs > 0) > 1)
		die(EXIT_USAGE, "give the values one way: arguments, --csv FILE or --dataset FILE");
	struct model_meta mm;
	if (modelfile_peek(model, &mm))
		return EXIT_FAIL;
	enum rnn_task task = mm.cfg.task;
	model_meta_free(&mm);
	if (task == RNN_TASK_REGRESS) {
		if (vocab || logits)
			die(EXIT_FAIL, "'%s' is a time-series model: --%s applies to review "
				       "classifiers",
			    model, vocab ? "vocab" : "logits");
		rnn_set_threads((int)threads);
		struct predict_series_args sa = {model, csv, column, dataset, steps, jsonl, args, nargs};
		return predict_series(&sa) ? EXIT_FAIL : EXIT_OK;
	}
	if (csv || dataset || steps)
		die(EXIT_FAIL, "'%s' is a review classifier: --%s applies to time-series models "
			       "(train --task regress, e.g. artifacts/timeseries/model.h5)",
		    model, csv ? "csv" : dataset ? "dataset" : "steps");
	if (predict_all_numbers(args, nargs))
		die(EXIT_FAIL, "'%s' is a review classifier and reads text, not numbers; a "
			       "series needs a time-series model (e.g. artifacts/timeseries/model.h5)",
		    model);
	rnn_set_threads((int)threads);
	int rc = predict_reviews(model, vocab, jsonl, logits, (int)batch, args, nargs);
	return rc ? EXIT_FAIL : EXIT_OK;
}
