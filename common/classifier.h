/* classifier.h - a trained model ready to classify raw review text, for
 * predict and evaluate --dump: model.h5 loaded for inference, its
 * vocabulary found and checked, text tokenized exactly as tokenize did
 * (WordPiece, [CLS] ... [SEP], the model's max_len and truncation).
 *
 * Where the vocabulary comes from, first match wins (docs/model-file.md):
 * an explicit file (its hash must equal the model's vocab_hash), the copy
 * embedded in the model (attribute vocab_txt), the file recorded in the
 * model (vocab_path, hash checked).  Reads model.h5 and vocab.txt only.
 */
#ifndef RNNPIPE_CLASSIFIER_H
#define RNNPIPE_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "devmodel.h"
#include "modelfile.h"
#include "rnn_model.h"
#include "vocab.h"
#include "wordpiece.h"

/* Working memory classifier_open allows itself (inference buffers for
 * max_batch x max_len): the machine's memory, at most this (below the
 * 1 TiB a sanitizer build refuses to allocate). */
#define CLASSIFIER_MAX_GIB 256

struct classifier {
	struct model_meta meta;
	struct rnn_model *m;      /* inference-only, max_batch x meta.max_len */
	struct devmodel dm;       /* where m computes: the CPU unless
				     classifier_use_device */
	struct vocab *vocab;      /* NULL unless opened with need_vocab */
	struct wordpiece *wp;
	int trunc;                /* enum trunc_side */
	char vocab_from[64];      /* "--vocab", "embedded", "vocab_path" */
	/* a batch being filled by classifier_add */
	int n;                    /* rows */
	int32_t *ids;             /* (max_batch, max_len), pad_id filled */
	int32_t *lengths;         /* (max_batch) */
	float *probs;             /* (max_batch, C) after classifier_run */
	float *logits;            /* (max_batch, C) after classifier_run */
	struct idvec pieces, framed;
};

/* Loads the model at path for batches of up to max_batch reviews.  With
 * need_vocab, finds the vocabulary (vocab_file may be NULL) and sets up
 * the tokenizer.  NULL after error() (also when the buffers for max_batch
 * x max_len would pass the machine's memory or CLASSIFIER_MAX_GIB). */
struct classifier *classifier_open(const char *path, const char *vocab_file, int need_vocab,
				   int max_batch);
void classifier_close(struct classifier *c);

/* Runs the forward passes (classifier_run, and eval_split over c->dm) on
 * kind from now on; DEVICE_CUDA copies the model to the GPU.  0, or -1
 * after error(). */
int classifier_use_device(struct classifier *c, enum device_kind kind);

/* Tokenizes text[0..len) and appends it as the next row of the batch
 * (c->n < max_batch).  Invalid UTF-8 is an error naming the byte offset.
 * Returns 0 or -1 after error(). */
int classifier_add_text(struct classifier *c, const char *text, size_t len);
/* Appends ready ids (already framed, n_ids <= max_len) as the next row. */
int classifier_add_ids(struct classifier *c, const uint32_t *ids, uint32_t n_ids);

/* Runs the model on the batch: c->probs (c->n, C) gets the class
 * probabilities, c->logits the classifier's outputs before the softmax.  Returns 0 or -1 after error().  The batch is kept until
 * classifier_clear. */
int classifier_run(struct classifier *c);
void classifier_clear(struct classifier *c);

#endif
