/* evaluate - measures a trained model on held-out data.
 *
 * Reads model.h5 and either one split of artifacts/dataset.h5 (the test
 * split by default) or a raw review dump (--dump: tokenized and relabelled
 * on the fly with the model's vocabulary, max_len, truncation and labels).
 * Writes artifacts/metrics.json (accuracy, per-class P/R/F1, macro F1,
 * confusion matrix, ROC AUC and curve for two classes, loss, n) and
 * artifacts/predictions.tsv (docs/artifacts.md).  A regression model
 * (--task regress) is scored on the time-series dataset's test split
 * against the naive baselines (docs/timeseries.md).  Forward passes run on
 * the CPU or a CUDA GPU (--device).  Never trains.
 * Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdlib.h>
#include <string.h>

#include "blascore.h"
#include "devmodel.h"
#include "error.h"
#include "evaluate.h"
#include "opts.h"
#include "rnn_model.h"
#include "stage.h"

int main(int argc, char **argv)
{
	blascore_exec_better(argv); /* first: see blascore.h */
	const char *model = "artifacts/model.h5", *data = "artifacts/dataset.h5", *split = "test";
	/* --labels was given when it no longer points at its default (the
	 * parser points it into argv) */
	const char *const labels_default = "binary";
	const char *dump = NULL, *vocab = NULL, *labels = labels_default, *task = "classify";
	const char *const pred_default = "artifacts/predictions.tsv"; /* as labels_default */
	const char *metrics_out = "artifacts/metrics.json", *pred_out = pred_default;
	const char *device = "auto";
	long batch = 128, threads = 2, season = -1;
	int quiet = 0, logits = 0;
	const struct opt opts[] = {
		{"model", OPT_STR, &model, "FILE", "the trained model", 0, 0},
		{"task", OPT_CHOICE, &task, "classify|regress",
		 "regress: a time-series model on its dataset's test split", 0, 0},
		{"data", OPT_STR, &data, "FILE", "the dataset file", 0, 0},
		{"split", OPT_CHOICE, &split, "test|validation|train", "the split to evaluate", 0, 0},
		{"dump", OPT_STR, &dump, "FILE",
		 "evaluate a raw review dump instead (tokenized with the model's vocabulary)", 0, 0},
		{"vocab", OPT_STR, &vocab, "FILE",
		 "--dump: vocab.txt to use instead of the model's (its hash must match)", 0, 0},
		{"labels", OPT_STR, &labels, "MAP",
		 "--dump: label map as filter-relabel's --labels", 0, 0},
		{"metrics", OPT_STR, &metrics_out, "FILE", "metrics to write (JSON)", 0, 0},
		{"predictions", OPT_STR, &pred_out, "FILE",
		 "per-review predictions to write (TSV; '' = none)", 0, 0},
		{"logits", OPT_FLAG, &logits, NULL,
		 "add logit_<label> columns (full precision) to the predictions", 0, 0},
		{"batch", OPT_INT, &batch, "N", "reviews per forward pass (--task regress on the CPU: 1 window, as predict)", 1, 1 << 16},
		{"threads", OPT_INT, &threads, "N", "CPU threads", 1, 256},
		{"season", OPT_INT, &season, "S",
		 "--task regress: season of the seasonal naive baseline, 0 = none, -1 = the "
		 "dataset's (its 'season' attribute)", -1, 1000000},
		{"device", OPT_CHOICE, &device, "auto|cpu|cuda",
		 "where the forward passes run (auto: a CUDA GPU when built in and present, else "
		 "the CPU; cuda: fail without one)",
		 0, 0},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"evaluate", "[OPTIONS]",
		"Evaluates the model on a split of the dataset file (or on a raw dump):\n"
		"accuracy, per-class precision/recall/F1, macro F1, confusion matrix, ROC\n"
		"AUC; writes metrics JSON and per-review predictions.",
		opts, 0, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	/* they only shape how a raw dump is read: without one they were
	 * silently ignored */
	if (!dump && (vocab || labels != labels_default))
		die(EXIT_USAGE, "--%s goes with --dump", vocab ? "vocab" : "labels");
	/* a classifier's outputs: a time-series model's forecasts are in its
	 * metrics ("predictions"), and these were silently ignored ('' asks
	 * for no predictions file, which is what regress writes) */
	if (!strcmp(task, "regress") && (logits || (pred_out != pred_default && *pred_out)))
		die(EXIT_USAGE, "--%s does not apply to --task regress (its forecasts are in the "
				"--metrics file, under \"predictions\")",
		    logits ? "logits" : "predictions");
	if (strcmp(task, "regress") && season >= 0)
		die(EXIT_USAGE, "--season goes with --task regress");
	/* an empty path (an unset shell or make variable) is bad usage, not a
	 * failed write after the whole split was scored ('' --predictions
	 * means none) */
	const struct {
		const char *name, *path;
	} paths[] = {
		{"model", model}, {"data", dump ? "-" : data}, {"metrics", metrics_out},
		{"dump", dump ? dump : "-"}, {"vocab", vocab ? vocab : "-"},
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!*paths[i].path)
			die(EXIT_USAGE, "--%s: empty file name", paths[i].name);
	rnn_set_threads((int)threads);
	enum device_kind dev;
	if (device_resolve(device, &dev))
		return EXIT_FAIL;

	if (!strcmp(task, "regress")) {
		if (dump || strcmp(split, "test"))
			die(EXIT_USAGE, "--task regress evaluates the test split of the time-series "
					"dataset (no --dump, no --split)");
		return evaluate_series(model, data, metrics_out, (int)batch, dev, season) ? EXIT_FAIL
									  : EXIT_OK;
	}
	struct evaluate_opts eo = {
		.model = model, .data = data, .split = split, .dump = dump, .vocab = vocab,
		.labels = labels, .metrics_out = metrics_out, .pred_out = pred_out,
		.batch = (int)batch, .threads = (int)threads, .logits = logits, .quiet = quiet,
		.dev = dev,
	};
	return evaluate_classifier(&eo) ? EXIT_FAIL : EXIT_OK;
}
