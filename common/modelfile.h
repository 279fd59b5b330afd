/* modelfile.h - the trained-model file (artifacts/model.h5) and the training
 * checkpoint (artifacts/checkpoint.h5), both HDF5 (docs/model-file.md).
 *
 * model.h5 holds, at the root and nothing else, one float32 dataset per
 * tensor of the parameter layout (rnn_model.h) under PyTorch's state_dict
 * names and shapes, so h5py + torch load it with no project code; the
 * configuration, labels, vocabulary (hash, size, special ids, the vocab.txt
 * text itself), max_len, truncation and provenance are root attributes.
 * The checkpoint adds the Adam state, the best weights and the loop state.
 * Both are written atomically.  Nothing here trains or evaluates.
 */
#ifndef RNNPIPE_MODELFILE_H
#define RNNPIPE_MODELFILE_H

#include <stddef.h>
#include <stdint.h>

#include "rnn_model.h"
#include "tokfile.h"

#define MODELFILE_FORMAT "rnnpipe-model"
#define MODELFILE_VERSION 1
#define CKPT_FORMAT "rnnpipe-checkpoint"
/* checkpoint format 2 added the position inside an epoch (train stopped by
 * a signal); version 1 files (always at an epoch boundary) still read */
#define CKPT_VERSION 2
#define MODEL_MAX_EXTRA 16
/* Ceilings a loaded model's attributes are checked against before anything
 * is allocated from them: embed and hidden as train's --embed/--hidden
 * accept, max_len as tokenize's --max-len (a larger value is a damaged
 * file, and the inference buffers grow with it). */
#define MODEL_MAX_WIDTH (1 << 16)
#define MODEL_MAX_LEN (1 << 20)

/* An attribute this module does not know: written as given, and every
 * unknown root attribute of a loaded file lands here (strings as str,
 * numbers as nums).  How other tasks (time series) add their own. */
struct model_extra {
	char name[64];
	char *str;    /* a string attribute, or NULL */
	double *nums; /* a numeric attribute (n values), or NULL */
	size_t n;
};

/* Everything about a model but its weights.  Strings and arrays are owned
 * (model_meta_free). */
struct model_meta {
	struct rnn_config cfg;
	int n_labels;                      /* classify: == cfg.outputs */
	char *labels[TOKFILE_MAX_LABELS];  /* class names in index order */
	/* the vocabulary the ids come from (classify) */
	uint64_t vocab_hash;
	uint32_t vocab_size;               /* == cfg.vocab */
	int32_t pad_id, unk_id, cls_id, sep_id;
	char *vocab_path;                  /* as given to train; may be NULL */
	char *vocab_text;                  /* vocab.txt bytes; may be NULL */
	size_t vocab_len;
	uint32_t max_len;                  /* ids per review incl. [CLS] [SEP] */
	char *truncation;                  /* "head", "tail", "head+tail" */
	/* regression: normalisation of the series (x - mean) / std, one value
	 * per input feature (or one for all); n_norm 0 = none */
	int n_norm;
	double *norm_mean, *norm_std;
	/* provenance */
	char *producer;                    /* "train 0.1.0" */
	char *dataset;                     /* dataset file name as given */
	uint64_t dataset_hash;             /* hash64 of its bytes */
	int best_epoch;
	int n_extra;
	struct model_extra extra[MODEL_MAX_EXTRA];
};

void model_meta_free(struct model_meta *m);
/* Deep copy; 0 or -1 after error(). */
int model_meta_copy(struct model_meta *dst, const struct model_meta *src);
/* Adds (or replaces) an extra attribute: a string (s != NULL) or n numbers.
 * 0 or -1 after error() (too many, a known name, bad name). */
int model_meta_set_extra(struct model_meta *m, const char *name, const char *s,
			 const double *nums, size_t n);
/* The extra attribute named name, or NULL. */
const struct model_extra *model_meta_extra(const struct model_meta *m, const char *name);

/* Writes path atomically (temporary file, fsync, rename): the tensors of
 * meta->cfg's layout from params (laid out by rnn_layout_build) and the
 * attributes.  Returns 0, or -1 after error() (nothing left at path). */
int modelfile_save(const char *path, const struct model_meta *meta, const float *params);

/* Loads path: checks the format name and version, every attribute, and
 * that each tensor of the configuration's layout is there with its exact
 * shape (and nothing else at the root), the sizes against the MODEL_MAX_*
 * ceilings and the tensors' shapes before allocating.  Fills *meta and returns the
 * parameters in one rnn_alloc_floats() allocation laid out like
 * rnn_layout_build(&meta->cfg) (free() it).  NULL after one error() that
 * names the file and what is wrong. */
float *modelfile_load(const char *path, struct model_meta *meta);

/* Reads only the attributes of path into *meta (no tensors; the seal is
 * checked first), e.g. to learn a model's task before loading it for that
 * task.  0 (free with model_meta_free), or -1 after error() naming path. */
int modelfile_peek(const char *path, struct model_meta *meta);

/* ---- checkpoint ---- */

/* The state of a training run: after a finished epoch, or (stopped by a
 * signal) after some batches of the next one. */
struct ckpt_state {
	char fingerprint[17];  /* hex hash64 of fingerprint_text */
	char *fingerprint_text; /* "key=value;..." of what must match to resume */
	int epoch;             /* epochs finished (>= 1, or >= 0 with
				  epoch_batch > 0) */
	long adam_step;
	uint64_t seed;         /* the run's seed: with the next epoch number it
				  fixes every later batch order (batches.h) */
	int best_epoch;        /* 0 = none yet */
	double best_metric;    /* best validation loss so far */
	int bad_epochs;        /* epochs since the best (early stopping) */
	char *stopped;         /* NULL while running; "early-stopping", "epochs" */
	double seconds;        /* training time so far, all runs */
	uint64_t seqs;         /* training sequences processed so far */
	int n_log;             /* train-log.jsonl lines so far */
	char **log;            /* (n_log) one JSON object each */
	/* An epoch in progress (epoch + 1), all 0 at an epoch boundary (and
	 * in version 1 files): the batches done of it, its batches in all
	 * (checked on resume), and its running sums so far: sequences, right
	 * answers (classify), sum of loss x batch rows, sum of gradient
	 * norms, training seconds.  The batch order is not stored: it comes
	 * from (seed, epoch + 1) alone (batches.h), so the reader skips
	 * epoch_batch batches of that order. */
	uint64_t epoch_batch, epoch_batches, epoch_seqs, epoch_correct;
	double epoch_loss_sum, epoch_norm_sum, epoch_seconds;
};
void ckpt_state_free(struct ckpt_state *s);

/* Writes the checkpoint atomically: meta, the current parameters and Adam
 * moments of m, the best weights (best may be NULL: none kept apart, i.e.
 * the current ones are the best), and st.  0 or -1 after error(). */
int ckpt_save(const char *path, const struct model_meta *meta, const struct rnn_model *m,
	      const float *best, const struct ckpt_state *st);

/* Reads only the state and metadata of a checkpoint (cheap: no tensors);
 * for deciding whether it matches.  Reads format versions 1 (no epoch
 * position: epoch_* are 0) and 2; checks the position (epoch_batch <=
 * epoch_batches, finite non-negative sums, correct <= seqs).  0, or -1
 * after error() naming path. */
int ckpt_peek(const char *path, struct model_meta *meta, struct ckpt_state *st);

/* Loads the tensors of a checkpoint into the training model m (same
 * layout required: parameters, Adam moments, adam_step) and, when best is
 * not NULL, the best weights into best (the current parameters when the
 * file keeps none apart).  0 or -1 after error() naming path. */
int ckpt_load_tensors(const char *path, struct rnn_model *m, float *best);

#endif
