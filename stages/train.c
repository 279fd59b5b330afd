/* train - trains the review classifier on artifacts/dataset.h5 (or the
 * time-series model on artifacts/timeseries/dataset.h5, --task regress).
 *
 * Reads the dataset (and the vocabulary file, to check and embed it);
 * writes artifacts/model.h5, train-log.jsonl, train.json and a checkpoint
 * every epoch (formats: docs/artifacts.md, docs/model-file.md).  The work
 * is in common/trainloop.c; this file parses options, applies the preset
 * and picks the device.  Exit: 0 ok, 1 failure or divergence (NaN), 2 bad
 * usage, 75 stopped by SIGINT/SIGTERM/SIGHUP (checkpoint written inside
 * the epoch; --resume continues it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blascore.h"
#include "devmodel.h"
#include "error.h"
#include "hash.h"
#include "opts.h"
#include "progress.h"
#include "rnn_model.h"
#include "stage.h"
#include "trainloop.h"

#define TRAIN_VERSION "0.1.0"

/* 1 when --name (or --name=...) is on the command line. */
static int given(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, name, n) &&
		    (argv[i][2 + n] == 0 || argv[i][2 + n] == '='))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	blascore_exec_better(argv); /* first: see blascore.h */
	struct train_cfg c;
	train_cfg_defaults(&c);
	const char *cell = "gru", *task = "classify", *pool = "mean", *optimizer = "adam";
	const char *device = "auto", *preset = "none", *progress = "auto";
	const char *checkpoint = c.checkpoint;
	long embed = c.embed, hidden = c.hidden, layers = c.layers, epochs = c.epochs;
	long batch = c.batch, patience = c.patience, threads = 1, seed = (long)c.seed;
	double lr = c.optim.lr, wd = 0, clip = c.clip, interval = c.progress_interval;
	int bidir = 0, sparse = 0, dense = 0, resume = 0, quiet = 0, no_ckpt = 0;
	const struct opt opts[] = {
		{"data", OPT_STR, &c.data, "FILE",
		 "the dataset (pack-hdf5's output; ts-prepare's with --task regress)", 0, 0},
		{"vocab", OPT_STR, &c.vocab, "FILE",
		 "vocab.txt of the dataset: checked and embedded in the model (predict needs it)",
		 0, 0},
		{"model", OPT_STR, &c.model_out, "FILE", "the model to write", 0, 0},
		{"log", OPT_STR, &c.log_out, "FILE", "per-epoch log (JSON lines)", 0, 0},
		{"summary", OPT_STR, &c.summary_out, "FILE", "run summary (JSON)", 0, 0},
		{"checkpoint", OPT_STR, &checkpoint, "FILE", "checkpoint written every epoch", 0, 0},
		{"no-checkpoint", OPT_FLAG, &no_ckpt, NULL, "write no checkpoint", 0, 0},
		{"resume", OPT_FLAG, &resume, NULL,
		 "continue from the checkpoint when it is of the same run (else start over)", 0, 0},
		{"preset", OPT_CHOICE, &preset, "none|notebook",
		 "notebook: the reference notebook (rnn, E 256, H 128, batch 32, lr 1e-3, 5 "
		 "epochs, last pooling); explicit options win",
		 0, 0},
		{"task", OPT_CHOICE, &task, "classify|regress", "what the model predicts", 0, 0},
		{"cell", OPT_CHOICE, &cell, "rnn|lstm|gru", "recurrent cell", 0, 0},
		{"embed", OPT_INT, &embed, "N", "embedding size", 1, 1 << 16},
		{"hidden", OPT_INT, &hidden, "N", "hidden size", 1, 1 << 16},
		{"layers", OPT_INT, &layers, "N", "stacked recurrent layers", 1, RNN_MAX_LAYERS},
		{"bidirectional", OPT_FLAG, &bidir, NULL, "add a backward direction", 0, 0},
		{"pool", OPT_CHOICE, &pool, "last|mean|max|last-padded",
		 "what the classifier sees (last-padded: the notebook's output[:, -1]; "
		 "--task regress: last)",
		 0, 0},
		{"epochs", OPT_INT, &epochs, "N", "epochs at most", 1, 100000},
		{"batch", OPT_INT, &batch, "N", "batch size", 1, 1 << 16},
		{"lr", OPT_DOUBLE, &lr, "X", "learning rate", 0, 1e38},
		{"optimizer", OPT_CHOICE, &optimizer, "adam|adamw",
		 "torch.optim.Adam or AdamW (decoupled weight decay)", 0, 0},
		{"weight-decay", OPT_DOUBLE, &wd, "X", "weight decay", 0, 1e6},
		{"clip", OPT_DOUBLE, &clip, "X", "clip the global gradient norm to X (0 = no clipping)",
		 0, 1e30},
		{"sparse-embedding", OPT_FLAG, &sparse, NULL,
		 "lazy Adam on the embedding: only rows in the batch move (the default)", 0, 0},
		{"dense-embedding", OPT_FLAG, &dense, NULL,
		 "dense Adam on the embedding (every row moves every step, as PyTorch)", 0, 0},
		{"patience", OPT_INT, &patience, "N",
		 "stop after N epochs without a better validation loss (0 = never)", 0, 100000},
		{"seed", OPT_INT, &seed, "N", "seed of the weights and the batch order", 0, 9e18},
		{"threads", OPT_INT, &threads, "N", "CPU threads (0 = all); results depend on it", 0,
		 256},
		{"device", OPT_CHOICE, &device, "auto|cpu|cuda",
		 "where to train (auto: a CUDA GPU when built in and present, else the CPU; cuda: "
		 "fail without one)",
		 0, 0},
		{"progress", OPT_CHOICE, &progress, "auto|bar|lines|none",
		 "progress display (auto: a bar on a terminal, else plain lines)", 0, 0},
		{"progress-interval", OPT_DOUBLE, &interval, "S", "seconds between progress lines", 0.1,
		 86400},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"train", "[OPTIONS]",
		"Trains an RNN/LSTM/GRU review classifier on the dataset file (or, with\n"
		"--task regress, a next-value model on the time-series dataset); writes the\n"
		"model (weights under PyTorch's names), a per-epoch log, a summary and a\n"
		"checkpoint every epoch.\n"
		"SIGINT, SIGTERM or SIGHUP: the current step is finished, the checkpoint is\n"
		"written with the position inside the epoch, and train exits 75; --resume\n"
		"continues it and ends with the weights of an uninterrupted run.\n"
		"Exit status: 0 done, 1 failure or divergence (NaN), 2 bad usage, 75 stopped\n"
		"by a signal (resumable).",
		opts, 0, 0, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	/* after stage_start's cleanup handlers: INT, TERM and HUP stop
	 * training cleanly at the next step instead of killing it */
	train_install_stop_signals();

	if (!strcmp(preset, "notebook")) {
		/* the reference notebook; explicit options win */
		if (!given(argc, argv, "cell"))
			cell = "rnn";
		if (!given(argc, argv, "embed"))
			embed = 256;
		if (!given(argc, argv, "hidden"))
			hidden = 128;
		if (!given(argc, argv, "layers"))
			layers = 1;
		if (!given(argc, argv, "batch"))
			batch = 32;
		if (!given(argc, argv, "lr"))
			lr = 1e-3;
		if (!given(argc, argv, "epochs"))
			epochs = 5;
		/* the notebook's fc reads a final state; ours at the last real
		 * token (--pool last-padded reads the padding as it did) */
		if (!given(argc, argv, "pool"))
			pool = "last";
		c.preset = "notebook";
	}
	/* a forecast reads the end of its window: last, unless asked */
	if (!strcmp(task, "regress") && !given(argc, argv, "pool"))
		pool = "last";
	if (sparse && dense)
		die(EXIT_USAGE, "--sparse-embedding and --dense-embedding exclude each other");
	/* a usage error, found before the dataset is read */
	if (!strcmp(task, "regress") && c.vocab)
		die(EXIT_USAGE, "--vocab does not apply to --task regress");
	/* an empty path (an unset shell or make variable) would fail only when
	 * the file is written, after the epochs it took to get there */
	const struct {
		const char *name, *path;
	} paths[] = {
		{"data", c.data},
		{"model", c.model_out},
		{"log", c.log_out},
		{"summary", c.summary_out},
		{"checkpoint", no_ckpt ? "-" : checkpoint},
		{"vocab", c.vocab ? c.vocab : "-"},
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!*paths[i].path)
			die(EXIT_USAGE, "--%s: empty file name", paths[i].name);
	if (device_resolve(device, &c.device))
		return EXIT_FAIL;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? n : 1;
	}
	c.cell = (enum rnn_cell)rnn_cell_parse(cell);
	c.task = (enum rnn_task)rnn_task_parse(task);
	c.pool = (enum rnn_pool)rnn_pool_parse(pool);
	c.embed = (int)embed;
	c.hidden = (int)hidden;
	c.layers = (int)layers;
	c.bidirectional = bidir;
	c.epochs = (int)epochs;
	c.batch = (int)batch;
	c.patience = (int)patience;
	c.seed = (uint64_t)seed;
	c.threads = (int)threads;
	c.optim.lr = lr;
	c.optim.adamw = !strcmp(optimizer, "adamw");
	c.optim.weight_decay = wd;
	c.optim.sparse_embedding = !dense;
	c.clip = clip;
	c.checkpoint = no_ckpt ? NULL : checkpoint;
	c.resume = resume;
	c.quiet = quiet;
	c.progress = progress_mode_parse(progress);
	c.progress_interval = interval;
	c.producer = "train " TRAIN_VERSION;
	/* a rebuilt trainer starts over rather than continue an old run */
	if (hash64_file("/proc/self/exe", &c.program_hash))
		c.program_hash = 0;
	int rc = train_run(&c);
	return rc == TRAIN_OK ? EXIT_OK : rc == TRAIN_STOPPED ? EXIT_STOPPED : EXIT_FAIL;
}
