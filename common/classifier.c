/* classifier.c - model.h5 + its vocabulary + WordPiece = text in, class
 * probabilities out (classifier.h).  Batches are padded with the model's
 * pad id to the longest row (to max_len for last-padded pooling, which
 * reads step max_len - 1 as the reference notebook did).  The forward pass
 * runs on the CPU, or on a CUDA GPU after classifier_use_device.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classifier.h"
#include "error.h"
#include "hash.h"

static int vocab_matches(const struct classifier *c, const struct vocab *v, const char *what,
			 const char *path)
{
	if (vocab_hash(v) == c->meta.vocab_hash && vocab_size(v) == c->meta.vocab_size)
		return 1;
	char a[17], b[17];
	hash64_hex(vocab_hash(v), a);
	hash64_hex(c->meta.vocab_hash, b);
	error("%s (hash %s, %u tokens) is not the vocabulary of the model '%s' (hash %s, %u "
	      "tokens); pass the vocab.txt it was trained with (--vocab FILE), or retrain the "
	      "model with this one",
	      what, a, vocab_size(v), path, b, c->meta.vocab_size);
	return 0;
}

static int find_vocab(struct classifier *c, const char *path, const char *vocab_file)
{
	char what[4200];
	if (vocab_file) {
		snprintf(what, sizeof(what), "'%s'", vocab_file);
		if (!(c->vocab = vocab_load(vocab_file)))
			return -1;
		snprintf(c->vocab_from, sizeof(c->vocab_from), "--vocab");
	} else if (c->meta.vocab_text) {
		snprintf(what, sizeof(what), "the vocabulary embedded in '%s'", path);
		if (!(c->vocab = vocab_load_buffer(what, c->meta.vocab_text, c->meta.vocab_len)))
			return -1;
		snprintf(c->vocab_from, sizeof(c->vocab_from), "embedded");
	} else if (c->meta.vocab_path && access(c->meta.vocab_path, R_OK) == 0) {
		snprintf(what, sizeof(what), "'%s' (recorded in '%s')", c->meta.vocab_path, path);
		if (!(c->vocab = vocab_load(c->meta.vocab_path)))
			return -1;
		snprintf(c->vocab_from, sizeof(c->vocab_from), "vocab_path");
	} else {
		return error("model '%s' holds no vocabulary%s%s%s; pass --vocab FILE", path,
			     c->meta.vocab_path ? " and its recorded '" : "",
			     c->meta.vocab_path ? c->meta.vocab_path : "",
			     c->meta.vocab_path ? "' cannot be read" : "");
	}
	if (!vocab_matches(c, c->vocab, what, path))
		return -1;
	/* text is framed and padded with the model's ids: ones that are not
	 * the vocabulary's [PAD] [UNK] [CLS] [SEP] (cls_id 7) gave other
	 * probabilities, silently */
	struct vocab_specials vs = vocab_specials(c->vocab);
	const char *sp_names[4] = {"pad_id", "unk_id", "cls_id", "sep_id"};
	const char *sp_tokens[4] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
	const int32_t in_model[4] = {c->meta.pad_id, c->meta.unk_id, c->meta.cls_id, c->meta.sep_id};
	const int32_t in_vocab[4] = {vs.pad, vs.unk, vs.cls, vs.sep};
	for (int i = 0; i < 4; i++)
		if (in_model[i] != in_vocab[i])
			return error("model '%s': attribute '%s' is %d, but %s is id %d in %s", path,
				     sp_names[i], in_model[i], sp_tokens[i], in_vocab[i], what);
	struct wordpiece_opts o = WORDPIECE_OPTS_DEFAULT;
	if (!(c->wp = wordpiece_new(c->vocab, &o)))
		return -1;
	/* "none": trained on reviews never truncated (MAX_LEN=0); max_len is
	 * then the longest of them, and a longer review keeps its first
	 * max_len ids, as Hugging Face's truncation does */
	if (!strcmp(c->meta.truncation, "none"))
		c->trunc = TRUNC_HEAD;
	else if ((c->trunc = trunc_side_parse(c->meta.truncation)) < 0)
		return error("model '%s': unknown truncation '%s'", path, c->meta.truncation);
	if (c->meta.cls_id < 0 || c->meta.sep_id < 0)
		return error("model '%s': the vocabulary has no [CLS] or [SEP]", path);
	return 0;
}

struct classifier *classifier_open(const char *path, const char *vocab_file, int need_vocab,
				   int max_batch)
{
	struct classifier *c = calloc(1, sizeof(*c));
	if (!c)
		return error("out of memory"), NULL;
	float *params = modelfile_load(path, &c->meta);
	if (!params) {
		free(c);
		return NULL;
	}
	if (c->meta.cfg.task != RNN_TASK_CLASSIFY) {
		error("model '%s' is a %s model, not a classifier (evaluate --task regress)", path,
		      rnn_task_name(c->meta.cfg.task));
		goto fail;
	}
	if (c->meta.max_len < 2) {
		error("model '%s': max_len %u", path, c->meta.max_len);
		goto fail;
	}
	/* the buffers grow with max_len (<= MODEL_MAX_LEN) times the batch
	 * and the network's width: more than the machine's memory is refused,
	 * naming the file, before an allocation that cannot be served ("out
	 * of memory allocating N MiB" named no file; a sanitizer build
	 * aborted) */
	double gib = ((double)rnn_workspace_floats(&c->meta.cfg, max_batch, (int)c->meta.max_len, 0) *
			      sizeof(float) +
		      (double)max_batch * c->meta.max_len * sizeof(int32_t)) /
		     (1 << 30);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	double limit = pages > 0 && page > 0 ? (double)pages * page / (1 << 30) : CLASSIFIER_MAX_GIB;
	if (limit > CLASSIFIER_MAX_GIB)
		limit = CLASSIFIER_MAX_GIB;
	if (gib > limit) {
		error("model '%s': batches of %d reviews of max_len %u ids need %.0f GiB of working "
		      "memory, more than the %.0f GiB here (a smaller --batch, or a damaged max_len)",
		      path, max_batch, c->meta.max_len, gib, limit);
		goto fail;
	}
	if (!(c->m = rnn_model_create(&c->meta.cfg, max_batch, (int)c->meta.max_len, 0)))
		goto fail;
	memcpy(c->m->params, params, sizeof(float) * c->m->layout.total);
	free(params);
	params = NULL;
	if (devmodel_open(&c->dm, c->m, DEVICE_CPU, max_batch, (int)c->meta.max_len))
		goto fail;
	size_t cells = (size_t)max_batch * c->meta.max_len;
	c->ids = malloc(cells * sizeof(int32_t));
	c->lengths = malloc((size_t)max_batch * sizeof(int32_t));
	c->probs = malloc((size_t)max_batch * c->meta.cfg.outputs * sizeof(float));
	c->logits = malloc((size_t)max_batch * c->meta.cfg.outputs * sizeof(float));
	if (!c->ids || !c->lengths || !c->probs || !c->logits) {
		error("out of memory");
		goto fail;
	}
	if (need_vocab && find_vocab(c, path, vocab_file))
		goto fail;
	return c;
fail:
	free(params);
	classifier_close(c);
	return NULL;
}

void classifier_close(struct classifier *c)
{
	if (!c)
		return;
	model_meta_free(&c->meta);
	devmodel_close(&c->dm);
	rnn_model_free(c->m);
	wordpiece_free(c->wp);
	vocab_free(c->vocab);
	free(c->ids);
	free(c->lengths);
	free(c->probs);
	free(c->logits);
	idvec_free(&c->pieces);
	idvec_free(&c->framed);
	free(c);
}

int classifier_add_ids(struct classifier *c, const uint32_t *ids, uint32_t n_ids)
{
	const uint32_t T = c->meta.max_len;
	if (c->n >= c->m->max_batch)
		return error("classifier: batch full");
	if (n_ids < 1 || n_ids > T)
		return error("classifier: %u ids, the model takes 1..%u", n_ids, T);
	int32_t *row = c->ids + (size_t)c->n * T;
	for (uint32_t i = 0; i < n_ids; i++) {
		if (ids[i] >= c->meta.vocab_size)
			return error("classifier: id %u outside the vocabulary", ids[i]);
		row[i] = (int32_t)ids[i];
	}
	c->lengths[c->n++] = (int32_t)n_ids;
	return 0;
}

int classifier_add_text(struct classifier *c, const char *text, size_t len)
{
	if (!c->wp)
		return error("classifier: opened without a vocabulary");
	size_t bad = 0;
	c->pieces.n = 0;
	int rc = wordpiece_encode(c->wp, text, len, &c->pieces, NULL, &bad);
	if (rc == WP_BAD_UTF8)
		return error("invalid UTF-8 at byte %zu of the text", bad + 1);
	if (rc)
		return -1;
	if (wordpiece_frame(c->pieces.v, c->pieces.n, c->meta.max_len, c->trunc, c->meta.cls_id,
			    c->meta.sep_id, &c->framed))
		return -1;
	return classifier_add_ids(c, c->framed.v, (uint32_t)c->framed.n);
}

int classifier_run(struct classifier *c)
{
	if (c->n == 0)
		return 0;
	const uint32_t W = c->meta.max_len;
	int T = 1;
	if (c->meta.cfg.pool == RNN_POOL_LAST_PADDED)
		T = (int)W;
	else
		for (int i = 0; i < c->n; i++)
			if (c->lengths[i] > T)
				T = c->lengths[i];
	/* compact the rows to width T, padding with pad_id */
	int32_t pad = c->meta.pad_id >= 0 ? c->meta.pad_id : 0;
	size_t cells = (size_t)(unsigned)c->n * (unsigned)T;
	int32_t *packed = malloc(cells * sizeof(int32_t));
	if (!packed)
		return error("out of memory");
	for (int i = 0; i < c->n; i++)
		for (int t = 0; t < T; t++)
			packed[(size_t)i * T + t] = t < c->lengths[i] ? c->ids[(size_t)i * W + t] : pad;
	struct rnn_batch b = {.B = c->n, .T = T, .ids = packed, .lengths = c->lengths};
	int rc = devmodel_forward(&c->dm, &b, NULL);
	if (!rc) {
		const float *probs, *logits;
		devmodel_outputs(&c->dm, &probs, &logits);
		memcpy(c->probs, probs, sizeof(float) * c->n * c->meta.cfg.outputs);
		memcpy(c->logits, logits, sizeof(float) * c->n * c->meta.cfg.outputs);
	}
	free(packed);
	return rc;
}

int classifier_use_device(struct classifier *c, enum device_kind kind)
{
	devmodel_close(&c->dm);
	return devmodel_open(&c->dm, c->m, kind, c->m->max_batch, (int)c->meta.max_len);
}

void classifier_clear(struct classifier *c)
{
	c->n = 0;
}
