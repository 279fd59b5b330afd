/* modelfile.c - writes and reads artifacts/model.h5 and the training
 * checkpoint (modelfile.h, docs/model-file.md) with the checked helpers of
 * h5util.h.
 *
 * Model files keep only tensors at the root (PyTorch state_dict names and
 * shapes, float32 little-endian, contiguous) and describe the model in
 * root attributes; checkpoints keep their tensors in groups.  Every write
 * goes to a temporary name and is renamed into place (afile.h).  Loading
 * checks everything and names the file in its one error message.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "error.h"
#include "h5util.h"
#include "hash.h"
#include "modelfile.h"

/* Root attributes this module owns; anything else is an extra. */
static const char *known_attrs[] = {
	"format", "format_version", "producer", "task", "cell", "vocab", "embed",
	"input_size", "hidden", "layers", "bidirectional", "outputs", "pool",
	"label_names", "vocab_hash", "vocab_size", "pad_id", "unk_id", "cls_id",
	"sep_id", "vocab_path", "vocab_txt", "max_len", "truncation", "norm_mean",
	"norm_std", "dataset", "dataset_hash", "best_epoch",
	/* checkpoint state */
	"fingerprint", "fingerprint_text", "epoch", "adam_step", "seed",
	"best_metric", "bad_epochs", "stopped", "seconds", "seqs", "log",
	"has_best", "epoch_batch", "epoch_batches", "epoch_seqs", "epoch_correct",
	"epoch_loss_sum", "epoch_norm_sum", "epoch_seconds", NULL,
};

static int is_known(const char *name)
{
	for (int i = 0; known_attrs[i]; i++)
		if (!strcmp(known_attrs[i], name))
			return 1;
	return 0;
}

/* ---- model_meta ---- */

static void extra_free(struct model_extra *e)
{
	free(e->str);
	free(e->nums);
	memset(e, 0, sizeof(*e));
}

void model_meta_free(struct model_meta *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n_labels; i++)
		free(m->labels[i]);
	free(m->vocab_path);
	free(m->vocab_text);
	free(m->truncation);
	free(m->norm_mean);
	free(m->norm_std);
	free(m->producer);
	free(m->dataset);
	for (int i = 0; i < m->n_extra; i++)
		extra_free(&m->extra[i]);
	memset(m, 0, sizeof(*m));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return error("out of memory");
	return 0;
}

static int dup_doubles(double **dst, const double *src, size_t n)
{
	*dst = NULL;
	if (!src)
		return 0;
	if (!(*dst = malloc(n ? n * sizeof(double) : 1)))
		return error("out of memory");
	memcpy(*dst, src, n * sizeof(double));
	return 0;
}

int model_meta_copy(struct model_meta *dst, const struct model_meta *src)
{
	*dst = *src;
	/* clear every owned pointer first, so a failure frees only copies */
	for (int i = 0; i < TOKFILE_MAX_LABELS; i++)
		dst->labels[i] = NULL;
	dst->vocab_path = dst->vocab_text = dst->truncation = NULL;
	dst->producer = dst->dataset = NULL;
	dst->norm_mean = dst->norm_std = NULL;
	for (int i = 0; i < MODEL_MAX_EXTRA; i++)
		dst->extra[i].str = NULL, dst->extra[i].nums = NULL;
	int rc = 0;
	for (int i = 0; i < src->n_labels; i++)
		rc |= dup_str(&dst->labels[i], src->labels[i]);
	rc |= dup_str(&dst->vocab_path, src->vocab_path);
	rc |= dup_str(&dst->truncation, src->truncation);
	rc |= dup_str(&dst->producer, src->producer);
	rc |= dup_str(&dst->dataset, src->dataset);
	if (src->vocab_text) {
		if (!(dst->vocab_text = malloc(src->vocab_len + 1)))
			rc = error("out of memory");
		else {
			memcpy(dst->vocab_text, src->vocab_text, src->vocab_len);
			dst->vocab_text[src->vocab_len] = 0;
		}
	}
	rc |= dup_doubles(&dst->norm_mean, src->norm_mean, src->n_norm);
	rc |= dup_doubles(&dst->norm_std, src->norm_std, src->n_norm);
	for (int i = 0; i < src->n_extra; i++) {
		rc |= dup_str(&dst->extra[i].str, src->extra[i].str);
		rc |= dup_doubles(&dst->extra[i].nums, src->extra[i].nums, src->extra[i].n);
	}
	if (rc) {
		model_meta_free(dst);
		return -1;
	}
	return 0;
}

int model_meta_set_extra(struct model_meta *m, const char *name, const char *s,
			 const double *nums, size_t n)
{
	if (!name || !*name || strlen(name) >= sizeof(m->extra[0].name) || strchr(name, '/'))
		return error("model file: bad extra attribute name '%s'", name ? name : "");
	if (is_known(name))
		return error("model file: '%s' is a reserved attribute name", name);
	struct model_extra *e = NULL;
	for (int i = 0; i < m->n_extra; i++)
		if (!strcmp(m->extra[i].name, name))
			e = &m->extra[i];
	if (!e) {
		if (m->n_extra >= MODEL_MAX_EXTRA)
			return error("model file: more than %d extra attributes", MODEL_MAX_EXTRA);
		e = &m->extra[m->n_extra++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
	} else {
		char keep[64];
		snprintf(keep, sizeof(keep), "%s", e->name);
		extra_free(e);
		snprintf(e->name, sizeof(e->name), "%s", keep);
	}
	if (s)
		return dup_str(&e->str, s);
	e->n = n;
	return dup_doubles(&e->nums, nums ? nums : (const double[]){0}, n);
}

const struct model_extra *model_meta_extra(const struct model_meta *m, const char *name)
{
	for (int i = 0; i < m->n_extra; i++)
		if (!strcmp(m->extra[i].name, name))
			return &m->extra[i];
	return NULL;
}

/* ---- attributes ---- */

static int write_meta(hid_t f, const char *format, int version, const struct model_meta *m)
{
	const struct rnn_config *c = &m->cfg;
	char hex[17];
	int rc = 0;
	rc |= h5_attr_write_str(f, "format", format);
	rc |= h5_attr_write_int(f, "format_version", version);
	rc |= h5_attr_write_str(f, "producer", m->producer ? m->producer : "rnnpipe");
	rc |= h5_attr_write_str(f, "task", rnn_task_name(c->task));
	rc |= h5_attr_write_str(f, "cell", rnn_cell_name(c->cell));
	rc |= h5_attr_write_int(f, "vocab", c->vocab);
	rc |= h5_attr_write_int(f, "embed", c->embed);
	rc |= h5_attr_write_int(f, "input_size", c->input_size);
	rc |= h5_attr_write_int(f, "hidden", c->hidden);
	rc |= h5_attr_write_int(f, "layers", c->layers);
	rc |= h5_attr_write_int(f, "bidirectional", c->bidirectional);
	rc |= h5_attr_write_int(f, "outputs", c->outputs);
	rc |= h5_attr_write_str(f, "pool", rnn_pool_name(c->pool));
	rc |= h5_attr_write_strs(f, "label_names", (const char *const *)m->labels,
				 (size_t)m->n_labels);
	rc |= h5_attr_write_int(f, "max_len", m->max_len);
	rc |= h5_attr_write_str(f, "truncation", m->truncation ? m->truncation : "head");
	if (c->task == RNN_TASK_CLASSIFY) {
		hash64_hex(m->vocab_hash, hex);
		rc |= h5_attr_write_str(f, "vocab_hash", hex);
		rc |= h5_attr_write_int(f, "vocab_size", m->vocab_size);
		rc |= h5_attr_write_int(f, "pad_id", m->pad_id);
		rc |= h5_attr_write_int(f, "unk_id", m->unk_id);
		rc |= h5_attr_write_int(f, "cls_id", m->cls_id);
		rc |= h5_attr_write_int(f, "sep_id", m->sep_id);
		if (m->vocab_path)
			rc |= h5_attr_write_str(f, "vocab_path", m->vocab_path);
		if (m->vocab_text)
			rc |= h5_attr_write_str(f, "vocab_txt", m->vocab_text);
	}
	if (m->n_norm > 0) {
		rc |= h5_attr_write_doubles(f, "norm_mean", m->norm_mean, m->n_norm);
		rc |= h5_attr_write_doubles(f, "norm_std", m->norm_std, m->n_norm);
	}
	if (m->dataset) {
		rc |= h5_attr_write_str(f, "dataset", m->dataset);
		hash64_hex(m->dataset_hash, hex);
		rc |= h5_attr_write_str(f, "dataset_hash", hex);
	}
	rc |= h5_attr_write_int(f, "best_epoch", m->best_epoch);
	for (int i = 0; i < m->n_extra; i++) {
		const struct model_extra *e = &m->extra[i];
		if (e->str)
			rc |= h5_attr_write_str(f, e->name, e->str);
		else
			rc |= h5_attr_write_doubles(f, e->name, e->nums, e->n);
	}
	return rc ? -1 : 0;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || strlen(s) != 16)
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 16);
	return errno || *end ? -1 : 0;
}

/* error() messages that said memory ran out, when the public reader
 * began (read_begin): after such a message the reader says nothing more
 * of the file, which may be fine (not "not an rnnpipe model file", nor
 * "re-run train to rebuild it"). */
static _Thread_local unsigned long read_oom;

static void read_begin(void) { read_oom = error_oom_count(); }
static int read_ran_short(void) { return error_oom_count() != read_oom; }

/* error() for the file that obj is in: "'model.h5': <message>", so that
 * each message of a reader names the file (the caller's summary line
 * comes after it). */
static int file_error(hid_t obj, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int file_error(hid_t obj, const char *fmt, ...)
{
	if (read_ran_short())
		return -1;
	char msg[768], name[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (H5Fget_name(obj, name, sizeof(name)) < 0) {
		H5Eclear2(H5E_DEFAULT);
		return error("%s", msg);
	}
	return error("'%s': %s", name, msg);
}

static int read_int_in(hid_t f, const char *name, int64_t lo, int64_t hi, int *out)
{
	int64_t v;
	if (h5_attr_read_int(f, name, &v))
		return -1;
	if (v < lo || v > hi)
		return file_error(f, "attribute '%s' is %" PRId64 ", outside %" PRId64 "..%" PRId64, name,
			     v, lo, hi);
	*out = (int)v;
	return 0;
}

/* A string attribute that names one of an enum's values (parse: its
 * rnn_*_parse, -1 for an unknown name): 0, or -1 after "unknown WHAT
 * 'value'" (after h5util's line too when the attribute cannot be read). */
static int read_name_in(hid_t f, const char *name, int (*parse)(const char *), const char *what,
			int *out)
{
	char *s = NULL;
	int k = -1;
	if (!h5_attr_read_str(f, name, &s))
		k = parse(s);
	if (k < 0 && !read_ran_short())
		error("unknown %s '%s'", what, s ? s : "");
	free(s);
	if (k < 0)
		return -1;
	*out = k;
	return 0;
}

struct extra_ctx {
	struct model_meta *m;
	int rc;
};

static herr_t extra_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
	(void)info;
	struct extra_ctx *x = data;
	if (is_known(name))
		return 0;
	if (x->m->n_extra >= MODEL_MAX_EXTRA) {
		x->rc = file_error(loc, "more than %d unknown attributes", MODEL_MAX_EXTRA);
		return 1;
	}
	hid_t a = H5CALL(H5Aopen(loc, name, H5P_DEFAULT));
	if (a < 0) {
		x->rc = -1;
		return 1;
	}
	hid_t t = H5CALL(H5Aget_type(a));
	H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
	if (t >= 0)
		H5Tclose(t);
	H5Aclose(a);
	struct model_extra *e = &x->m->extra[x->m->n_extra];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (cls == H5T_STRING) {
		if (h5_attr_read_str(loc, name, &e->str))
			x->rc = -1;
	} else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
		if (h5_attr_read_doubles(loc, name, &e->nums, &e->n))
			x->rc = -1;
	} else {
		return 0; /* another kind: not ours to interpret, skipped */
	}
	if (x->rc)
		return 1;
	x->m->n_extra++;
	return 0;
}

/* The readers of write_meta's attributes report each error in one line
 * that names the file (file_error here, h5util's own), then return -1. */
/* The file's format attribute and a version this program reads. */
static int read_format(hid_t f, const char *format, int min_version, int version,
		       int *version_read)
{
	char *s = NULL;
	int64_t v;
	if (h5_attr_exists(f, "format") != 1 || h5_attr_read_str(f, "format", &s) ||
	    strcmp(s, format)) {
		const char *what = !strcmp(format, MODELFILE_FORMAT) ? "model" : "checkpoint";
		if (s && (!strcmp(s, MODELFILE_FORMAT) || !strcmp(s, CKPT_FORMAT))) {
			/* "evaluate --model artifacts/checkpoint.h5" */
			int rc = file_error(f, "not an rnnpipe %s file: it is a %s (format '%s')",
					    what, !strcmp(s, CKPT_FORMAT) ? "training checkpoint"
									  : "model file", s);
			free(s);
			return rc;
		}
		free(s);
		return file_error(f, "not an rnnpipe %s file (no format '%s')", what, format);
	}
	free(s);
	if (h5_attr_read_int(f, "format_version", &v))
		return -1;
	if (v < min_version || v > version) {
		if (min_version == version)
			return file_error(f, "format version %" PRId64 ", this program reads version %d", v,
				     version);
		return file_error(f, "format version %" PRId64 ", this program reads versions %d to %d", v,
			     min_version, version);
	}
	if (version_read)
		*version_read = (int)v;
	return 0;
}

/* The network's shape: task, cell, pooling and sizes, checked. */
static int read_config(hid_t f, struct model_meta *m)
{
	struct rnn_config *c = &m->cfg;
	int task, cell, pool;
	if (read_name_in(f, "task", rnn_task_parse, "task", &task) ||
	    read_name_in(f, "cell", rnn_cell_parse, "cell", &cell) ||
	    read_name_in(f, "pool", rnn_pool_parse, "pooling", &pool))
		return -1;
	c->task = (enum rnn_task)task;
	c->cell = (enum rnn_cell)cell;
	c->pool = (enum rnn_pool)pool;
	if (read_int_in(f, "vocab", 0, INT32_MAX, &c->vocab) ||
	    read_int_in(f, "embed", 0, MODEL_MAX_WIDTH, &c->embed) ||
	    read_int_in(f, "input_size", 0, INT32_MAX, &c->input_size) ||
	    read_int_in(f, "hidden", 1, MODEL_MAX_WIDTH, &c->hidden) ||
	    read_int_in(f, "layers", 1, RNN_MAX_LAYERS, &c->layers) ||
	    read_int_in(f, "bidirectional", 0, 1, &c->bidirectional) ||
	    read_int_in(f, "outputs", 1, INT32_MAX, &c->outputs) ||
	    read_int_in(f, "best_epoch", 0, INT32_MAX, &m->best_epoch))
		return -1;
	return rnn_config_check(c);
}

/* label_names: one per output of a classifier. */
static int read_labels(hid_t f, struct model_meta *m)
{
	char **labels = NULL;
	size_t nl = 0;
	if (h5_attr_read_strs(f, "label_names", &labels, &nl))
		return -1;
	if (nl > TOKFILE_MAX_LABELS ||
	    (m->cfg.task == RNN_TASK_CLASSIFY && nl != (size_t)m->cfg.outputs)) {
		h5_strs_free(labels, nl);
		return file_error(f, "%zu label names for %d outputs", nl, m->cfg.outputs);
	}
	for (size_t i = 0; i < nl; i++)
		m->labels[i] = labels[i];
	free(labels);
	m->n_labels = (int)nl;
	return 0;
}

/* A classifier's vocabulary: its hash, size, special ids, where it was and
 * (when embedded) its text. */
static int read_vocab(hid_t f, struct model_meta *m)
{
	char *s = NULL;
	int vs = 0;
	if (h5_attr_read_str(f, "vocab_hash", &s) || parse_hex64(s, &m->vocab_hash)) {
		free(s);
		return file_error(f, "bad attribute 'vocab_hash'");
	}
	free(s);
	if (read_int_in(f, "vocab_size", 1, INT32_MAX, &vs) ||
	    read_int_in(f, "pad_id", -1, INT32_MAX, &m->pad_id) ||
	    read_int_in(f, "unk_id", -1, INT32_MAX, &m->unk_id) ||
	    read_int_in(f, "cls_id", -1, INT32_MAX, &m->cls_id) ||
	    read_int_in(f, "sep_id", -1, INT32_MAX, &m->sep_id))
		return -1;
	m->vocab_size = (uint32_t)vs;
	if (m->vocab_size != (uint32_t)m->cfg.vocab)
		return file_error(f, "vocab_size %u differs from the embedding's %d rows", m->vocab_size,
			     m->cfg.vocab);
	/* predict frames and pads text with these ids: one past the
	 * embedding failed deep in the forward pass without the file's name */
	const char *sp_names[4] = {"pad_id", "unk_id", "cls_id", "sep_id"};
	const int sp[4] = {m->pad_id, m->unk_id, m->cls_id, m->sep_id};
	for (int i = 0; i < 4; i++)
		if (sp[i] >= vs)
			return file_error(f, "attribute '%s' is %d, outside the vocabulary of %d ids",
					  sp_names[i], sp[i], vs);
	/* optional ones: an attribute HDF5 could not look up is not absent
	 * (a model loaded without its vocabulary, silently, out of memory) */
	int e = h5_attr_exists(f, "vocab_path");
	if (e < 0 || (e && h5_attr_read_str(f, "vocab_path", &m->vocab_path)))
		return -1;
	if ((e = h5_attr_exists(f, "vocab_txt")) < 0)
		return -1;
	if (e) {
		if (h5_attr_read_str(f, "vocab_txt", &m->vocab_text))
			return -1;
		m->vocab_len = strlen(m->vocab_text);
	}
	return 0;
}

/* A regression model's normalisation and the dataset it was trained on
 * (both optional). */
static int read_series_attrs(hid_t f, struct model_meta *m)
{
	int e = h5_attr_exists(f, "norm_mean");
	if (e < 0)
		return -1;
	if (e) {
		size_t n1, n2;
		if (h5_attr_read_doubles(f, "norm_mean", &m->norm_mean, &n1) ||
		    h5_attr_read_doubles(f, "norm_std", &m->norm_std, &n2))
			return -1;
		if (n1 != n2 || n1 < 1)
			return file_error(f, "norm_mean has %zu values, norm_std %zu", n1, n2);
		m->n_norm = (int)n1;
	}
	if ((e = h5_attr_exists(f, "dataset")) < 0)
		return -1;
	if (e) {
		char *s = NULL;
		if (h5_attr_read_str(f, "dataset", &m->dataset) ||
		    h5_attr_read_str(f, "dataset_hash", &s) || parse_hex64(s, &m->dataset_hash)) {
			free(s);
			return file_error(f, "bad attribute 'dataset_hash'");
		}
		free(s);
	}
	return 0;
}

static int read_meta(hid_t f, const char *format, int min_version, int version,
		     struct model_meta *m, int *version_read)
{
	memset(m, 0, sizeof(*m));
	if (read_format(f, format, min_version, version, version_read))
		return -1;
	int ml = 0;
	if (h5_attr_read_str(f, "producer", &m->producer) || read_config(f, m) ||
	    read_labels(f, m) || read_int_in(f, "max_len", 0, MODEL_MAX_LEN, &ml) ||
	    h5_attr_read_str(f, "truncation", &m->truncation))
		goto fail;
	m->max_len = (uint32_t)ml;
	if ((m->cfg.task == RNN_TASK_CLASSIFY && read_vocab(f, m)) || read_series_attrs(f, m))
		goto fail;
	struct extra_ctx x = {m, 0};
	hsize_t idx = 0;
	if (H5CALL(H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, extra_cb, &x)) < 0 || x.rc)
		goto fail;
	return 0;
fail:
	model_meta_free(m);
	return -1;
}

/* ---- tensors ---- */

static int write_tensors(hid_t loc, const struct rnn_layout *l, const float *base)
{
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		hsize_t dims[2] = {(hsize_t)t->rows, (hsize_t)t->cols};
		if (h5_write_array(loc, t->name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t->ndim, dims,
				   base + t->offset))
			return -1;
	}
	return 0;
}

/* Reads the tensors of the layout at loc into base (l->total floats).
 * Precondition: check_tensors(loc, l) passed (every tensor there, in its
 * shape); this only reads them and refuses non-finite values. */
static int read_tensors(hid_t loc, const struct rnn_layout *l, float *base)
{
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		hid_t d = h5_dataset_open(loc, t->name, H5_CACHE_DEFAULT);
		if (d < 0)
			return -1;
		int rc = h5_dataset_read(d, H5T_NATIVE_FLOAT, base + t->offset);
		H5Dclose(d);
		if (rc)
			return -1;
		/* a NaN or infinite weight makes every output NaN (or the
		 * pooled state saturate) while predict and evaluate go on:
		 * refused here, as train never writes one */
		const float *v = base + t->offset;
		for (size_t k = 0; k < t->numel; k++)
			if (!isfinite(v[k]))
				return file_error(loc, "tensor '%s' holds a non-finite value (%g) at "
						  "row %zu, column %zu", t->name, (double)v[k],
						  k / (size_t)t->cols, k % (size_t)t->cols);
	}
	return 0;
}

struct link_ctx {
	const struct rnn_layout *l;
	char bad[256];
};

static herr_t link_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
	(void)g;
	(void)info;
	struct link_ctx *x = data;
	if (rnn_layout_find(x->l, name))
		return 0;
	snprintf(x->bad, sizeof(x->bad), "%s", name);
	return 1;
}

/* The one check of a file's tensors, for model files and each tensor group
 * of a checkpoint alike: every tensor of the layout is at loc with the
 * shape the configuration gives it, and nothing else is.  Run before the
 * parameters are allocated and read, so that attributes that disagree with
 * the stored weights (vocab 2147483647 over a 2975-row embedding, hidden
 * 65536 over tensors of 5) are refused, naming the file, the tensor and
 * the sizes, instead of allocating what they say.  whose: where the
 * layout's configuration came from ("the attributes", "this run's settings"). */
static int check_tensors(hid_t loc, const struct rnn_layout *l, const char *whose)
{
	const struct rnn_config *c = &l->cfg;
	for (int i = 0; i < l->n_tensors; i++) {
		const struct rnn_tensor *t = &l->tensors[i];
		int e = h5_exists(loc, t->name);
		if (e < 0)
			return -1;
		if (!e)
			return file_error(loc, "tensor '%s' %s is missing", t->name,
					  t->ndim == 2 ? "(2-D)" : "(1-D)");
		hid_t d = h5_dataset_open(loc, t->name, H5_CACHE_DEFAULT);
		if (d < 0)
			return -1;
		hsize_t dims[H5S_MAX_RANK];
		int r;
		int rc = h5_dataset_shape(d, &r, dims, H5S_MAX_RANK);
		int shaped = !rc && r == t->ndim && dims[0] == (hsize_t)t->rows &&
			     (r == 1 || dims[1] == (hsize_t)t->cols);
		/* and stored in full, in this file: a file of a few kB
		 * declaring hidden 65536 with tensors never written (or in
		 * /dev/zero) made the loader allocate and zero 16 GiB */
		if (shaped)
			rc = h5_dataset_check_stored(d);
		H5Dclose(d);
		if (rc)
			return -1;
		if (shaped)
			continue;
		char got[64];
		if (r == 1)
			snprintf(got, sizeof(got), "(%llu,)", (unsigned long long)dims[0]);
		else if (r == 2)
			snprintf(got, sizeof(got), "(%llu, %llu)", (unsigned long long)dims[0],
				 (unsigned long long)dims[1]);
		else
			snprintf(got, sizeof(got), "of rank %d", r);
		char want[64];
		if (t->ndim == 1)
			snprintf(want, sizeof(want), "(%d,)", t->rows);
		else
			snprintf(want, sizeof(want), "(%d, %d)", t->rows, t->cols);
		return file_error(loc, "tensor '%s' is %s, but %s (cell %s, vocab %d, "
				  "embed %d, input_size %d, hidden %d, layers %d, bidirectional "
				  "%d, outputs %d) make it %s",
				  t->name, got, whose, rnn_cell_name(c->cell), c->vocab, c->embed,
				  c->input_size, c->hidden, c->layers, c->bidirectional, c->outputs,
				  want);
	}
	/* and no object that is not a tensor of the layout */
	struct link_ctx x = {l, ""};
	hsize_t idx = 0;
	if (H5CALL(H5Literate(loc, H5_INDEX_NAME, H5_ITER_INC, &idx, link_cb, &x)) < 0)
		return -1;
	if (x.bad[0])
		return file_error(loc, "'%s' is not a tensor of this %s model", x.bad,
				  rnn_cell_name(l->cfg.cell));
	return 0;
}

/* Ends writing the HDF5 file f (-1: it was never opened) under af: closes,
 * seals and renames it into place when rc is 0 and all goes well; else
 * removes it.  0, or -1 after "cannot write WHAT 'path'". */
static int finish_file(struct afile *af, hid_t f, int rc, const char *what, const char *path)
{
	if (f >= 0 && h5_close(f))
		rc = -1;
	if (!rc && h5_seal(af->tmp))
		rc = -1;
	if (rc) {
		afile_abort(af);
		return error("cannot write %s '%s'", what, path);
	}
	return afile_commit(af);
}

/* ---- model file ---- */

int modelfile_save(const char *path, const struct model_meta *meta, const float *params)
{
	struct rnn_layout l;
	if (rnn_layout_build(&meta->cfg, &l))
		return -1;
	struct afile af;
	if (afile_reserve(&af, path))
		return -1;
	hid_t f = h5_create(af.tmp);
	int rc = f < 0 ? -1 : 0;
	if (!rc)
		rc = write_meta(f, MODELFILE_FORMAT, MODELFILE_VERSION, meta);
	if (!rc)
		rc = write_tensors(f, &l, params);
	return finish_file(&af, f, rc, "model file", path);
}

/* The summary line of a model file that could not be loaded: the advice
 * to rebuild it only when memory did not run out. */
static int load_failed(const char *path)
{
	if (read_ran_short())
		return error("cannot load model file '%s'", path);
	return error("cannot load model file '%s' (re-run train to rebuild it)", path);
}

/* Opens the model file at path and reads its attributes into *meta (the
 * seal checked first): the open file, or -1 after error() (meta freed). */

static hid_t open_model(const char *path, struct model_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	read_begin();
	if (h5_seal_check(path, 1)) /* corrupted, truncated, or not ours */
		return load_failed(path);
	hid_t f = h5_open(path, 0);
	if (f < 0)
		return -1;
	if (read_meta(f, MODELFILE_FORMAT, MODELFILE_VERSION, MODELFILE_VERSION, meta, NULL)) {
		h5_close(f);
		model_meta_free(meta);
		return load_failed(path);
	}
	return f;
}

float *modelfile_load(const char *path, struct model_meta *meta)
{
	hid_t f = open_model(path, meta);
	if (f < 0)
		return NULL;
	float *params = NULL;
	struct rnn_layout l;
	if (rnn_layout_build(&meta->cfg, &l) || check_tensors(f, &l, "the attributes") ||
	    !(params = rnn_alloc_floats(l.total)) || read_tensors(f, &l, params))
		goto fail;
	h5_close(f);
	return params;
fail:
	h5_close(f);
	free(params);
	model_meta_free(meta);
	load_failed(path);
	return NULL;
}

int modelfile_peek(const char *path, struct model_meta *meta)
{
	hid_t f = open_model(path, meta);
	if (f < 0)
		return -1;
	h5_close(f);
	return 0;
}

/* ---- checkpoint ---- */

void ckpt_state_free(struct ckpt_state *s)
{
	if (!s)
		return;
	free(s->fingerprint_text);
	free(s->stopped);
	for (int i = 0; i < s->n_log; i++)
		free(s->log[i]);
	free(s->log);
	memset(s, 0, sizeof(*s));
}

static int write_group(hid_t f, const char *name, const struct rnn_layout *l, const float *base)
{
	hid_t g = h5_group_create(f, name);
	if (g < 0)
		return -1;
	int rc = write_tensors(g, l, base);
	if (h5_close(g))
		rc = -1;
	return rc;
}

/* The checkpoint's tensor groups: the weights, Adam's two moments and
 * (when kept apart) the best weights. */
static const char *const ckpt_groups[] = {"params", "adam_m", "adam_v", "best"};
#define CKPT_N_GROUPS 4

/* check_tensors() of group name of f; base non-NULL: then reads them into
 * it.  0, or -1 after error(). */
static int check_group(hid_t f, const char *name, const struct rnn_layout *l,
		       const char *whose, float *base)
{
	hid_t g = h5_group_open(f, name);
	if (g < 0)
		return -1;
	int rc = check_tensors(g, l, whose);
	if (!rc && base)
		rc = read_tensors(g, l, base);
	h5_close(g);
	return rc;
}

int ckpt_save(const char *path, const struct model_meta *meta, const struct rnn_model *m,
	      const float *best, const struct ckpt_state *st)
{
	if (!m->training)
		return error("checkpoint: not a training model");
	struct afile af;
	if (afile_reserve_rewrite(&af, path))
		return -1;
	const struct rnn_layout *l = &m->layout;
	hid_t f = h5_create(af.tmp);
	int rc = f < 0 ? -1 : 0;
	if (!rc)
		rc = write_meta(f, CKPT_FORMAT, CKPT_VERSION, meta);
	if (!rc) {
		rc |= h5_attr_write_str(f, "fingerprint", st->fingerprint);
		rc |= h5_attr_write_str(f, "fingerprint_text",
					st->fingerprint_text ? st->fingerprint_text : "");
		rc |= h5_attr_write_int(f, "epoch", st->epoch);
		rc |= h5_attr_write_int(f, "adam_step", m->adam_step);
		char hex[17];
		hash64_hex(st->seed, hex);
		rc |= h5_attr_write_str(f, "seed", hex);
		rc |= h5_attr_write_double(f, "best_metric", st->best_metric);
		rc |= h5_attr_write_int(f, "bad_epochs", st->bad_epochs);
		rc |= h5_attr_write_str(f, "stopped", st->stopped ? st->stopped : "");
		rc |= h5_attr_write_double(f, "seconds", st->seconds);
		rc |= h5_attr_write_int(f, "seqs", (int64_t)st->seqs);
		rc |= h5_attr_write_strs(f, "log", (const char *const *)st->log, (size_t)st->n_log);
		rc |= h5_attr_write_int(f, "has_best", best != NULL);
		rc |= h5_attr_write_int(f, "epoch_batch", (int64_t)st->epoch_batch);
		rc |= h5_attr_write_int(f, "epoch_batches", (int64_t)st->epoch_batches);
		rc |= h5_attr_write_int(f, "epoch_seqs", (int64_t)st->epoch_seqs);
		rc |= h5_attr_write_int(f, "epoch_correct", (int64_t)st->epoch_correct);
		rc |= h5_attr_write_double(f, "epoch_loss_sum", st->epoch_loss_sum);
		rc |= h5_attr_write_double(f, "epoch_norm_sum", st->epoch_norm_sum);
		rc |= h5_attr_write_double(f, "epoch_seconds", st->epoch_seconds);
	}
	if (!rc)
		rc = write_group(f, "params", l, m->params);
	if (!rc)
		rc = write_group(f, "adam_m", l, m->adam_m);
	if (!rc)
		rc = write_group(f, "adam_v", l, m->adam_v);
	if (!rc && best)
		rc = write_group(f, "best", l, best);
	return finish_file(&af, f, rc, "checkpoint", path);
}

/* The position inside an epoch (version 2), checked. */
static int read_position(hid_t f, struct ckpt_state *st)
{
	int64_t v[4];
	const char *names[4] = {"epoch_batch", "epoch_batches", "epoch_seqs", "epoch_correct"};
	for (int i = 0; i < 4; i++) {
		if (h5_attr_read_int(f, names[i], &v[i]))
			return -1;
		if (v[i] < 0)
			return file_error(f, "attribute '%s' is %" PRId64 ", below 0", names[i], v[i]);
	}
	if (h5_attr_read_double(f, "epoch_loss_sum", &st->epoch_loss_sum) ||
	    h5_attr_read_double(f, "epoch_norm_sum", &st->epoch_norm_sum) ||
	    h5_attr_read_double(f, "epoch_seconds", &st->epoch_seconds))
		return -1;
	st->epoch_batch = (uint64_t)v[0];
	st->epoch_batches = (uint64_t)v[1];
	st->epoch_seqs = (uint64_t)v[2];
	st->epoch_correct = (uint64_t)v[3];
	if (st->epoch_batch > st->epoch_batches)
		return file_error(f, "epoch position %" PRIu64 " past the epoch's %" PRIu64 " batches",
			     st->epoch_batch, st->epoch_batches);
	if (st->epoch_correct > st->epoch_seqs || (st->epoch_batch && !st->epoch_seqs) ||
	    (!st->epoch_batch && st->epoch_seqs))
		return file_error(f, "inconsistent epoch position (%" PRIu64 " batches, %" PRIu64
			     " sequences, %" PRIu64 " right)",
			     st->epoch_batch, st->epoch_seqs, st->epoch_correct);
	if (!(isfinite(st->epoch_loss_sum) && st->epoch_loss_sum >= 0 &&
	      isfinite(st->epoch_norm_sum) && st->epoch_norm_sum >= 0 &&
	      isfinite(st->epoch_seconds) && st->epoch_seconds >= 0))
		return file_error(f, "epoch position: a running sum is negative or not finite");
	return 0;
}

int ckpt_peek(const char *path, struct model_meta *meta, struct ckpt_state *st)
{
	memset(st, 0, sizeof(*st));
	memset(meta, 0, sizeof(*meta));
	read_begin();
	if (h5_seal_check(path, 1))
		return error("cannot read checkpoint '%s'", path);
	hid_t f = h5_open(path, 0);
	if (f < 0)
		return -1;
	char *s = NULL;
	char **log = NULL;
	size_t nlog = 0;
	int64_t v;
	int version = 0;
	if (read_meta(f, CKPT_FORMAT, 1, CKPT_VERSION, meta, &version))
		goto fail;
	if (h5_attr_read_str(f, "fingerprint", &s))
		goto fail;
	if (strlen(s) != 16) {
		file_error(f, "bad attribute 'fingerprint' (%zu characters, not 16)", strlen(s));
		goto fail;
	}
	memcpy(st->fingerprint, s, 17);
	free(s);
	s = NULL;
	if (h5_attr_read_str(f, "fingerprint_text", &st->fingerprint_text) ||
	    read_int_in(f, "epoch", 0, INT32_MAX, &st->epoch) ||
	    h5_attr_read_int(f, "adam_step", &v))
		goto fail;
	st->adam_step = (long)v;
	if (h5_attr_read_str(f, "seed", &s))
		goto fail;
	if (parse_hex64(s, &st->seed)) {
		file_error(f, "bad attribute 'seed'");
		goto fail;
	}
	free(s);
	s = NULL;
	if (h5_attr_read_double(f, "best_metric", &st->best_metric) ||
	    read_int_in(f, "bad_epochs", 0, INT32_MAX, &st->bad_epochs) ||
	    h5_attr_read_str(f, "stopped", &s) || h5_attr_read_double(f, "seconds", &st->seconds) ||
	    h5_attr_read_int(f, "seqs", &v) || h5_attr_read_strs(f, "log", &log, &nlog))
		goto fail;
	st->seqs = (uint64_t)v;
	st->best_epoch = meta->best_epoch;
	if (*s)
		st->stopped = s;
	else
		free(s);
	s = NULL;
	st->log = log;
	st->n_log = (int)nlog;
	if (version >= 2 && read_position(f, st))
		goto fail;
	if (st->epoch == 0 && st->epoch_batch == 0) {
		file_error(f, "attribute 'epoch' is 0 at an epoch boundary");
		goto fail;
	}
	/* the tensors as the model file's are checked: the attributes' sizes
	 * against the stored shapes (the ceilings on them are read_meta's) */
	struct rnn_layout l;
	if (rnn_layout_build(&meta->cfg, &l))
		goto fail;
	for (int i = 0; i < CKPT_N_GROUPS; i++) {
		int e = i < 3 ? 1 : h5_exists(f, ckpt_groups[i]); /* "best" is optional */
		if (e < 0 || (e && check_group(f, ckpt_groups[i], &l, "the attributes", NULL)))
			goto fail;
	}
	h5_close(f);
	return 0;
fail:
	free(s);
	h5_close(f);
	model_meta_free(meta);
	ckpt_state_free(st);
	return error("cannot read checkpoint '%s'", path);
}

int ckpt_load_tensors(const char *path, struct rnn_model *m, float *best)
{
	if (!m->training)
		return error("checkpoint: not a training model");
	read_begin();
	if (h5_seal_check(path, 1))
		return error("cannot read checkpoint '%s'", path);
	hid_t f = h5_open(path, 0);
	if (f < 0)
		return -1;
	const struct rnn_layout *l = &m->layout;
	int64_t step = 0, has_best = 0;
	/* into this run's model: its layout, not the file's attributes (which
	 * ckpt_peek checked against the file's tensors) */
	const char *whose = "this run's settings";
	int rc = h5_attr_read_int(f, "adam_step", &step) ||
		 h5_attr_read_int(f, "has_best", &has_best) ||
		 check_group(f, "params", l, whose, m->params) ||
		 check_group(f, "adam_m", l, whose, m->adam_m) ||
		 check_group(f, "adam_v", l, whose, m->adam_v);
	if (!rc && best) {
		if (has_best)
			rc = check_group(f, "best", l, whose, best);
		else
			memcpy(best, m->params, sizeof(float) * l->total);
	}
	h5_close(f);
	if (rc)
		return error("cannot load checkpoint '%s'", path);
	m->adam_step = (long)step;
	return 0;
}
