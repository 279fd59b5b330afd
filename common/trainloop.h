/* trainloop.h - the training run behind stages/train: epochs over the
 * training split of artifacts/dataset.h5 (batches.h), validation after
 * each epoch, early stopping, the NaN guard, a checkpoint every epoch and
 * resuming from it, and the outputs (model.h5, train-log.jsonl,
 * train.json; formats in docs/artifacts.md and docs/model-file.md).
 *
 * On the CPU or a CUDA GPU (devmodel.h); model files and checkpoints are
 * the same either way, so a run resumes on the other device.  Reproducible
 * on the CPU: the same data, settings, seed and thread count give
 * bit-identical weights, and a resumed run gives the weights of an
 * uninterrupted one (on a GPU: within docs/cuda.md's tolerances).
 * Stopping: after train_install_stop_signals(), SIGINT, SIGTERM or SIGHUP
 * make the run finish its current optimiser step, write the checkpoint
 * with the position inside the epoch, and return TRAIN_STOPPED; resuming
 * from it gives the bits of an uninterrupted run.
 * It parses no command line and never exits (stages/train.c does).
 */
#ifndef RNNPIPE_TRAINLOOP_H
#define RNNPIPE_TRAINLOOP_H

#include <stdint.h>

#include "devmodel.h"
#include "rnn_model.h"

struct train_cfg {
	const char *data;        /* artifacts/dataset.h5 */
	const char *model_out;   /* artifacts/model.h5 */
	const char *log_out;     /* artifacts/train-log.jsonl, or NULL */
	const char *summary_out; /* artifacts/train.json, or NULL */
	const char *checkpoint;  /* artifacts/checkpoint.h5, or NULL: none */
	const char *vocab;       /* vocab.txt to check and embed, or NULL */
	int resume;              /* continue from a matching checkpoint */
	/* the model: vocab and outputs come from the dataset */
	enum rnn_cell cell;
	enum rnn_task task;
	int embed, hidden, layers, bidirectional;
	enum rnn_pool pool;
	/* optimisation */
	struct rnn_optim optim;
	double clip;             /* global gradient-norm limit; <= 0: none */
	int epochs;              /* >= 1 */
	int batch;               /* >= 1 */
	int patience;            /* epochs without a better validation loss
				    before stopping; 0: never stop early */
	uint64_t seed;
	int threads;             /* >= 1 (CPU) */
	enum device_kind device; /* where to compute, resolved by device_resolve;
				    default DEVICE_CPU */
	/* display */
	int progress;            /* enum progress_mode */
	double progress_interval; /* seconds between plain progress lines */
	int quiet;               /* no epoch summaries on stderr */
	/* recorded in train.json */
	const char *preset;      /* NULL or "notebook" */
	const char *producer;    /* "train 0.1.0" */
	uint64_t program_hash;   /* hash of the training program's bytes, part of
				    the fingerprint (0: not checked): a rebuilt
				    trainer does not continue an old run */
	/* tests: stop as SIGTERM would, after this many optimiser steps of
	   this run (0: never) */
	long stop_after_steps;
	/* tests: called with "validation" before epoch e's validation and
	   "checkpoint" before its checkpoint is written, where a test raises
	   a stop signal (NULL: none) */
	void (*test_hook)(const char *point, int e);
};

/* Sets the defaults of stages/train (docs/model-file.md says why). */
void train_cfg_defaults(struct train_cfg *c);

enum { TRAIN_OK = 0, TRAIN_DIVERGED = 1, TRAIN_STOPPED = 2 };

/* Runs training as configured.  Returns TRAIN_OK (model and summaries
 * written), TRAIN_DIVERGED (a loss or gradient was not finite: stopped
 * with a message, the last good checkpoint kept, train.json says
 * "stopped": "nan", no model written), TRAIN_STOPPED (a stop signal, see
 * train_install_stop_signals: the checkpoint written, one line "prog:
 * stopped by SIGTERM in epoch 3 after batch 120/371; checkpoint '...'
 * written; rerun with --resume to continue" printed even when quiet; no
 * model, log or summary written by this call after the last finished
 * epoch's), or -1 after error(). */
int train_run(const struct train_cfg *c);

/* Installs handlers for SIGINT, SIGTERM and SIGHUP that only note the
 * first signal (SA_RESTART; later ones are ignored, so a second signal
 * cannot interrupt the checkpoint being written; SIGKILL still stops the
 * process, and the checkpoint is written atomically).  train_run checks
 * after every optimiser step, and after every finished epoch. */
void train_install_stop_signals(void);

/* The first stop signal received (SIGINT, SIGTERM, SIGHUP), or 0. */
int train_stop_signal(void);

/* The fingerprint text of a run: "key=value;..." of everything a resumed
 * run must share with the checkpoint (model, data and vocabulary hashes,
 * seed, batch, optimiser).  Written into buf (size bytes). */
void train_fingerprint(const struct train_cfg *c, const struct rnn_config *model,
		       uint64_t dataset_hash, uint64_t vocab_hash, char *buf, size_t size);

#endif
