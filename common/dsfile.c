/* dsfile.c - writing and describing artifacts/dataset.h5 (see dsfile.h and
 * docs/dataset-h5.md).
 *
 * The writer streams records from token files into fixed-size, chunked
 * datasets, one window of rows at a time (one chunk, or one bucket window
 * when rows are sorted by length), so its memory does not grow with the
 * data.  Root attributes are written last, at commit.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "dsfile.h"
#include "error.h"
#include "h5util.h"
#include "hash.h"
#include "tsfile.h"

#define CK H5CALL

int dsfile_bad(const char *path, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return error("'%s': %s; re-run 'make %s'", path, buf, path);
}

/* ---- reading the description ---- */

void dsinfo_free(struct dsinfo *info)
{
	tokmeta_free(&info->meta);
	free(info->id_dtype);
	free(info->producer);
	memset(info, 0, sizeof(*info));
}

/* "'path': attribute 'name' <why>": the line above dsinfo_read's summary,
 * so each refused value is named (a bad vocab_size, pad_id or label list
 * used to give only "see the message above", with no message above). */
static int attr_bad(const char *path, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int attr_bad(const char *path, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return error("'%s': attribute '%s' %s", path, name, buf);
}

static int read_i32(hid_t f, const char *path, const char *name, int32_t *out)
{
	int64_t v;
	if (h5_attr_read_int(f, name, &v))
		return -1;
	if (v < INT32_MIN || v > INT32_MAX)
		return attr_bad(path, name, "is %lld, out of range", (long long)v);
	*out = (int32_t)v;
	return 0;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	char *end;
	if (strlen(s) != 16)
		return -1;
	*out = strtoull(s, &end, 16);
	return *end ? -1 : 0;
}

int dsinfo_read(hid_t f, const char *path, struct dsinfo *info)
{
	memset(info, 0, sizeof(*info));
	struct tokmeta *m = &info->meta;
	char *fmt = NULL, *vh = NULL;
	char **labels = NULL, **snames = NULL, **shashes = NULL;
	size_t nl = 0, ns = 0, nh = 0;
	int64_t v;
	int32_t i32 = 0;
	unsigned long oom = error_oom_count(); /* no file to blame then */

	if (h5_attr_exists(f, "format") != 1 || h5_attr_read_str(f, "format", &fmt) ||
	    strcmp(fmt, DSFILE_FORMAT)) {
		/* the other kind of dataset: no file to rebuild, a flag to give */
		int series = fmt && !strcmp(fmt, TSFILE_FORMAT);
		free(fmt);
		if (error_oom_count() != oom)
			return -1;
		if (series)
			return error("'%s' is a time-series dataset (ts-prepare's), not a review "
				     "dataset; train and evaluate read it with --task regress", path);
		return dsfile_bad(path, "not an rnnpipe dataset file (no format '%s')",
				  DSFILE_FORMAT);
	}
	free(fmt);
	if (h5_attr_read_int(f, "format_version", &info->format_version))
		goto bad;
	if (info->format_version != DSFILE_VERSION) {
		dsfile_bad(path, "format version %lld, this program reads version %d",
			   (long long)info->format_version, DSFILE_VERSION);
		goto fail;
	}
	if (h5_attr_read_int(f, "vocab_size", &v))
		goto bad;
	if (v <= 0 || v > INT32_MAX) {
		attr_bad(path, "vocab_size", "is %lld, expected 1..%d", (long long)v, INT32_MAX);
		goto bad;
	}
	m->vocab_size = (uint32_t)v;
	if (h5_attr_read_str(f, "vocab_hash", &vh))
		goto bad;
	if (parse_hex64(vh, &m->vocab_hash)) {
		attr_bad(path, "vocab_hash", "is '%.40s', not 16 hex digits", vh);
		goto bad;
	}
	if (read_i32(f, path, "pad_id", &m->pad_id) || read_i32(f, path, "unk_id", &m->unk_id) ||
	    read_i32(f, path, "cls_id", &m->cls_id) || read_i32(f, path, "sep_id", &m->sep_id))
		goto bad;
	if (m->pad_id < 0 || (uint32_t)m->pad_id >= m->vocab_size) {
		attr_bad(path, "pad_id", "is %d, outside the vocabulary of %u ids", m->pad_id,
			 m->vocab_size);
		goto bad;
	}
	if (read_i32(f, path, "max_len", &i32))
		goto bad;
	if (i32 < 1) {
		attr_bad(path, "max_len", "is %d, expected at least 1", i32);
		goto bad;
	}
	m->max_len = (uint32_t)i32;
	if (h5_attr_read_str(f, "truncation", &m->truncation) ||
	    h5_attr_read_str(f, "tokenizer", &m->producer) ||
	    h5_attr_read_str(f, "producer", &info->producer) ||
	    h5_attr_read_str(f, "id_dtype", &info->id_dtype) ||
	    h5_attr_read_int(f, "chunk_rows", &info->chunk_rows) ||
	    h5_attr_read_int(f, "bucket_window", &info->bucket_window))
		goto bad;
	if (h5_attr_read_strs(f, "label_names", &labels, &nl))
		goto bad;
	if (nl < 1 || nl > TOKFILE_MAX_LABELS) {
		attr_bad(path, "label_names", "has %zu names, expected 1..%d", nl, TOKFILE_MAX_LABELS);
		goto bad;
	}
	for (size_t i = 0; i < nl; i++) {
		m->labels[i] = labels[i];
		labels[i] = NULL;
	}
	m->n_labels = (int)nl;
	if (h5_attr_read_strs(f, "source_names", &snames, &ns) ||
	    h5_attr_read_strs(f, "source_hashes", &shashes, &nh))
		goto bad;
	if (ns != nh) {
		attr_bad(path, "source_hashes", "has %zu hashes for %zu source_names", nh, ns);
		goto bad;
	}
	for (size_t i = 0; i < ns; i++) {
		uint64_t h;
		if (parse_hex64(shashes[i], &h)) {
			attr_bad(path, "source_hashes", "holds '%.40s', not 16 hex digits", shashes[i]);
			goto bad;
		}
		if (tokmeta_add_source(m, snames[i], h) < 0)
			goto bad;
	}
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		char name[32];
		snprintf(name, sizeof(name), "n_%s", tok_split_name(s));
		int e = h5_exists(f, tok_split_name(s));
		if (e < 0)
			goto bad;
		info->has_split[s] = e;
		if (!e)
			continue;
		if (h5_attr_read_int(f, name, &v))
			goto bad;
		if (v < 0) {
			attr_bad(path, name, "is %lld, below 0", (long long)v);
			goto bad;
		}
		info->counts[s] = (uint64_t)v;
	}
	h5_strs_free(labels, nl);
	h5_strs_free(snames, ns);
	h5_strs_free(shashes, nh);
	free(vh);
	return 0;
bad:
	if (error_oom_count() == oom)
		dsfile_bad(path, "missing or bad root attributes (see the message above)");
fail:
	h5_strs_free(labels, nl);
	h5_strs_free(snames, ns);
	h5_strs_free(shashes, nh);
	free(vh);
	dsinfo_free(info);
	return -1;
}

/* ---- writing ---- */

struct dswriter {
	struct afile af;
	hid_t f;
	struct tokmeta meta;
	uint32_t width;
	struct dswriter_opts o;
	hid_t id_ftype;
	const char *id_dtype;
	uint64_t counts[4];
	int has[4];
	uint64_t *hashes[4]; /* sorted per split, to refuse overlaps */
};

static void dswriter_free(struct dswriter *w)
{
	if (w->f >= 0)
		H5Fclose(w->f);
	tokmeta_free(&w->meta);
	for (int i = 0; i < 4; i++)
		free(w->hashes[i]);
	free(w);
}

void dswriter_abort(struct dswriter *w)
{
	if (!w)
		return;
	if (w->f >= 0)
		H5Fclose(w->f);
	w->f = -1;
	afile_abort(&w->af);
	dswriter_free(w);
}

struct dswriter *dswriter_open(const char *path, const struct tokmeta *meta,
			       uint32_t width, const struct dswriter_opts *o)
{
	struct dswriter *w = calloc(1, sizeof(*w));
	if (!w) {
		error("out of memory");
		return NULL;
	}
	w->f = -1;
	w->o = *o;
	if (tokmeta_copy(&w->meta, meta)) {
		dswriter_free(w);
		return NULL;
	}
	w->width = meta->max_len ? meta->max_len : width;
	const char *why = NULL;
	if (w->width == 0)
		why = "row width unknown (max_len 0 and no width given)";
	else if (meta->n_labels < 1)
		why = "labels are not mapped (no label names); run filter-relabel first";
	else if (meta->pad_id < 0 || (uint32_t)meta->pad_id >= meta->vocab_size)
		why = "the vocabulary has no [PAD] id";
	else if (o->chunk_rows < 1)
		why = "chunk rows must be at least 1";
	else if (o->deflate < 0 || o->deflate > 9)
		why = "deflate level must be 0-9";
	if (why) {
		error("cannot pack '%s': %s", path, why);
		dswriter_free(w);
		return NULL;
	}
	const char *dt = o->id_dtype ? o->id_dtype : "auto";
	/* auto: int32.  Measured (docs/dataset-h5.md): with the shuffle filter,
	 * uint16 saves 0.4% of the file over int32, while int32 reads straight
	 * into torch.from_numpy and the reader with no conversion. */
	if (!strcmp(dt, "auto"))
		dt = "int32";
	if (!strcmp(dt, "int32")) {
		w->id_ftype = H5T_STD_I32LE;
	} else if (!strcmp(dt, "uint32")) {
		w->id_ftype = H5T_STD_U32LE;
	} else if (!strcmp(dt, "uint16")) {
		if (meta->vocab_size > 65536) {
			error("cannot pack '%s': a vocabulary of %u ids does not fit uint16", path,
			      meta->vocab_size);
			dswriter_free(w);
			return NULL;
		}
		w->id_ftype = H5T_STD_U16LE;
	} else {
		error("unknown id dtype '%s' (int32, uint32, uint16, auto)", dt);
		dswriter_free(w);
		return NULL;
	}
	w->id_dtype = dt;
	if (afile_reserve(&w->af, path)) {
		dswriter_free(w);
		return NULL;
	}
	w->f = h5_create(w->af.tmp);
	if (w->f < 0) {
		dswriter_abort(w);
		return NULL;
	}
	return w;
}

/* One window of rows, filled from the token file, written sorted or not. */
struct window {
	uint32_t cap, n, width;
	int32_t *ids, *lengths, *labels, *nfull;
	uint64_t *hashes;
	uint32_t *order;
	uint64_t *keys;
	/* one chunk gathered in sorted order */
	int32_t *g_ids, *g_len, *g_lab, *g_nfull;
	uint64_t *g_hash;
};

static void window_free(struct window *b)
{
	free(b->ids);
	free(b->lengths);
	free(b->labels);
	free(b->nfull);
	free(b->hashes);
	free(b->order);
	free(b->keys);
	free(b->g_ids);
	free(b->g_len);
	free(b->g_lab);
	free(b->g_nfull);
	free(b->g_hash);
}

static int window_alloc(struct window *b, uint32_t cap, uint32_t chunk, uint32_t width)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
	b->width = width;
	b->ids = malloc((size_t)cap * width * 4);
	b->lengths = malloc((size_t)cap * 4);
	b->labels = malloc((size_t)cap * 4);
	b->nfull = malloc((size_t)cap * 4);
	b->hashes = malloc((size_t)cap * 8);
	b->order = malloc((size_t)cap * 4);
	b->keys = malloc((size_t)cap * 8);
	b->g_ids = malloc((size_t)chunk * width * 4);
	b->g_len = malloc((size_t)chunk * 4);
	b->g_lab = malloc((size_t)chunk * 4);
	b->g_nfull = malloc((size_t)chunk * 4);
	b->g_hash = malloc((size_t)chunk * 8);
	if (!b->ids || !b->lengths || !b->labels || !b->nfull || !b->hashes || !b->order || !b->keys ||
	    !b->g_ids || !b->g_len || !b->g_lab || !b->g_nfull || !b->g_hash) {
		window_free(b);
		return error("out of memory (window of %u rows of %u ids)", cap, width);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct split_ds {
	hid_t ids, lengths, labels, hashes, nfull;
};

/* Writes the window's rows at row0, sorted by length when asked. */
static int window_flush(struct window *b, const struct split_ds *d, uint64_t row0,
			int sorted, uint32_t chunk)
{
	for (uint32_t i = 0; i < b->n; i++)
		b->order[i] = i;
	if (sorted) {
		/* key = length, then position: a stable sort by length */
		for (uint32_t i = 0; i < b->n; i++)
			b->keys[i] = (uint64_t)(uint32_t)b->lengths[i] << 32 | i;
		qsort(b->keys, b->n, sizeof(uint64_t), cmp_u64);
		for (uint32_t i = 0; i < b->n; i++)
			b->order[i] = (uint32_t)b->keys[i];
	}
	for (uint32_t c0 = 0; c0 < b->n; c0 += chunk) {
		uint32_t n = b->n - c0 < chunk ? b->n - c0 : chunk;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t i = b->order[c0 + k];
			memcpy(b->g_ids + (size_t)k * b->width, b->ids + (size_t)i * b->width,
			       (size_t)b->width * 4);
			b->g_len[k] = b->lengths[i];
			b->g_lab[k] = b->labels[i];
			b->g_nfull[k] = b->nfull[i];
			b->g_hash[k] = b->hashes[i];
		}
		uint64_t r = row0 + c0;
		if (h5_dataset_write_rows(d->ids, H5T_NATIVE_INT32, r, n, b->g_ids) ||
		    h5_dataset_write_rows(d->lengths, H5T_NATIVE_INT32, r, n, b->g_len) ||
		    h5_dataset_write_rows(d->labels, H5T_NATIVE_INT32, r, n, b->g_lab) ||
		    h5_dataset_write_rows(d->hashes, H5T_NATIVE_UINT64, r, n, b->g_hash) ||
		    h5_dataset_write_rows(d->nfull, H5T_NATIVE_INT32, r, n, b->g_nfull))
			return -1;
	}
	b->n = 0;
	return 0;
}

/* compress = 0 for random bits (hashes): deflate would only cost time */
static hid_t make_ds(hid_t g, const char *name, hid_t type, int rank, const hsize_t *dims,
		     uint32_t chunk, const struct dswriter_opts *o, int compress,
		     const void *fill, const char *desc)
{
	hsize_t cd[2] = {chunk, rank > 1 ? dims[1] : 0};
	struct h5_layout lay = {cd, compress ? o->deflate : 0, compress && o->shuffle,
				o->fletcher32, fill};
	/* an empty split cannot be chunked (chunk dims must be >= 1 and <= dims) */
	hid_t d = h5_dataset_create(g, name, type, rank, dims, dims[0] ? &lay : NULL);
	if (d >= 0 && h5_attr_write_str(d, "description", desc)) {
		H5Dclose(d);
		return -1;
	}
	return d;
}

/* Creates the five datasets of a split of n rows in group g. */
static int make_split_ds(const struct dswriter *w, hid_t g, uint64_t n, uint32_t chunk,
			 struct split_ds *d)
{
	hsize_t dims2[2] = {n, w->width}, dims1[1] = {n};
	int32_t pad32 = w->meta.pad_id;
	uint16_t pad16 = (uint16_t)w->meta.pad_id;
	const void *pad = w->id_ftype == H5T_STD_U16LE ? (const void *)&pad16 : (const void *)&pad32;
	d->ids = make_ds(g, DS_IDS, w->id_ftype, 2, dims2, chunk, &w->o, 1, pad,
			 "token ids, one review per row, [CLS] ... [SEP] then pad_id up to max_len");
	d->lengths = make_ds(g, DS_LENGTHS, H5T_STD_I32LE, 1, dims1, chunk, &w->o, 1, NULL,
			     "ids per row before padding, [CLS] and [SEP] included");
	d->labels = make_ds(g, DS_LABELS, H5T_STD_I32LE, 1, dims1, chunk, &w->o, 1, NULL,
			    "class index into the root attribute label_names");
	d->hashes = make_ds(g, DS_HASHES, H5T_STD_U64LE, 1, dims1, chunk, &w->o, 0, NULL,
			    "64-bit hash of the normalised review text (dedup and split key)");
	d->nfull = make_ds(g, DS_NFULL, H5T_STD_I32LE, 1, dims1, chunk, &w->o, 1, NULL,
			   "token count with [CLS] [SEP] before truncation to max_len");
	return d->ids < 0 || d->lengths < 0 || d->labels < 0 || d->hashes < 0 || d->nfull < 0
		       ? -1 : 0;
}

/* Closes what make_split_ds created; -1 when a close failed. */
static int close_split_ds(const struct split_ds *d)
{
	const hid_t ids[] = {d->ids, d->lengths, d->labels, d->hashes, d->nfull};
	int rc = 0;
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++)
		if (ids[i] >= 0 && CK(H5Dclose(ids[i])) < 0)
			rc = -1;
	return rc;
}

/* A record of split `split` that the dataset can hold, or an error naming
 * it (row: its index in r_path). */
static int check_record(const struct dswriter *w, const struct tokrec *rec, int split,
			const char *r_path, uint64_t row)
{
	if (rec->label < 0 || rec->label >= w->meta.n_labels)
		return error("'%s': record %llu has label %d, not a class index (0..%d); "
			     "re-run filter-relabel and split", r_path, (unsigned long long)row,
			     rec->label, w->meta.n_labels - 1);
	if (rec->n_ids < 1 || rec->n_ids > w->width)
		return error("'%s': record %llu has %u ids, expected 1..%u; re-run tokenize",
			     r_path, (unsigned long long)row, rec->n_ids, w->width);
	if (rec->split != SPLIT_NONE && rec->split != split)
		return error("'%s': record %llu belongs to split '%s', not '%s'", r_path,
			     (unsigned long long)row, tok_split_name(rec->split),
			     tok_split_name(split));
	for (uint32_t t = 0; t < rec->n_ids; t++)
		if (rec->ids[t] >= w->meta.vocab_size)
			return error("'%s': record %llu has id %u outside the vocabulary "
				     "(%u ids); re-run tokenize", r_path, (unsigned long long)row,
				     rec->ids[t], w->meta.vocab_size);
	return 0;
}

/* The sorted hashes of a new split: warns of repeats inside it and refuses
 * a review that an earlier split holds (the test set must never overlap
 * training). */
static int check_overlap(const struct dswriter *w, const uint64_t *hashes, uint64_t n,
			 int split, const char *r_path)
{
	const char *split_name = tok_split_name(split);
	uint64_t dups = 0;
	for (uint64_t i = 1; i < n; i++)
		dups += hashes[i] == hashes[i - 1];
	if (dups)
		warning("'%s': %llu reviews appear more than once in split '%s'", r_path,
			(unsigned long long)dups, split_name);
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		if (!w->has[s])
			continue;
		const uint64_t *o = w->hashes[s], no = w->counts[s];
		for (uint64_t i = 0, j = 0; i < n && j < no;) {
			if (hashes[i] == o[j]) {
				char hex[17];
				hash64_hex(hashes[i], hex);
				return error("'%s': review %s is in both split '%s' and split '%s'; "
					     "the splits must not overlap (re-run split)", r_path, hex,
					     split_name, tok_split_name(s));
			}
			if (hashes[i] < o[j])
				i++;
			else
				j++;
		}
	}
	return 0;
}

int dswriter_add_split(struct dswriter *w, const char *split_name, struct tokreader *r,
		       const char *r_path)
{
	int split = tok_split_parse(split_name);
	if (split == SPLIT_NONE)
		return error("'%s': unknown split '%s' (train, validation, test)", r_path,
			     split_name);
	split_name = tok_split_name(split);
	if (w->has[split])
		return error("'%s': split '%s' given twice", r_path, split_name);
	const struct tokmeta *m = tokreader_meta(r);
	if (tokmeta_compatible(&w->meta, w->af.path, m, r_path))
		return -1;
	if (!tokmeta_same_labels(&w->meta, m))
		return error("'%s' has other label names than the other splits; re-run "
			     "filter-relabel and split", r_path);
	uint64_t n = tokreader_count(r);
	if (n > UINT32_MAX)
		return error("'%s': too many records (%llu)", r_path, (unsigned long long)n);
	uint32_t chunk = w->o.chunk_rows < n ? w->o.chunk_rows : (uint32_t)(n ? n : 1);
	/* HDF5 refuses a chunk of 4 GiB or more ("chunk size must be < 4GB"),
	 * and the writer holds one in memory */
	uint64_t row_bytes = (uint64_t)w->width * H5Tget_size(w->id_ftype);
	if ((uint64_t)chunk * row_bytes >= (uint64_t)1 << 32)
		return error("'%s': rows of %u ids (max_len) make chunks of %u rows of %.1f GiB, over "
			     "HDF5's 4 GiB limit; use --chunk-rows %" PRIu64 " or less, or a "
			     "smaller tokenize --max-len",
			     r_path, w->width, chunk, (double)chunk * row_bytes / (1 << 30),
			     (((uint64_t)1 << 32) - 1) / row_bytes);
	uint32_t win = chunk;
	if (w->o.bucket_window > chunk)
		win = (w->o.bucket_window + chunk - 1) / chunk * chunk;
	if (win > n && n)
		win = (uint32_t)n;

	int rc = -1;
	struct split_ds d = {-1, -1, -1, -1, -1};
	struct window b;
	uint64_t *hashes = malloc((n ? n : 1) * 8);
	int64_t label_counts[TOKFILE_MAX_LABELS] = {0}, n_truncated = 0;
	if (!hashes)
		return error("out of memory");
	if (window_alloc(&b, win, chunk, w->width)) {
		free(hashes);
		return -1;
	}
	hid_t g = h5_group_create(w->f, split_name);
	if (g < 0 || make_split_ds(w, g, n, chunk, &d) || tokreader_rewind(r))
		goto out;
	struct tokrec rec;
	uint64_t row = 0, row0 = 0;
	int got;
	while ((got = tokreader_next(r, &rec)) == 1) {
		if (check_record(w, &rec, split, r_path, row))
			goto out;
		int32_t *dst = b.ids + (size_t)b.n * w->width;
		for (uint32_t t = 0; t < rec.n_ids; t++)
			dst[t] = (int32_t)rec.ids[t];
		for (uint32_t t = rec.n_ids; t < w->width; t++)
			dst[t] = w->meta.pad_id;
		b.lengths[b.n] = (int32_t)rec.n_ids;
		b.labels[b.n] = rec.label;
		b.nfull[b.n] = (int32_t)(rec.n_full > INT32_MAX ? INT32_MAX : rec.n_full);
		b.hashes[b.n] = rec.hash;
		hashes[row] = rec.hash;
		label_counts[rec.label]++;
		n_truncated += rec.n_full > rec.n_ids;
		b.n++;
		row++;
		if (b.n == b.cap) {
			if (window_flush(&b, &d, row0, w->o.bucket_window > 0, chunk))
				goto out;
			row0 = row;
		}
	}
	if (got < 0)
		goto out;
	if (row != n) {
		error("'%s': %llu records read, header says %llu", r_path,
		      (unsigned long long)row, (unsigned long long)n);
		goto out;
	}
	if (b.n && window_flush(&b, &d, row0, w->o.bucket_window > 0, chunk))
		goto out;
	qsort(hashes, n, 8, cmp_u64);
	if (check_overlap(w, hashes, n, split, r_path))
		goto out;
	if (h5_attr_write_int(g, "count", (int64_t)n) ||
	    h5_attr_write_ints(g, "label_counts", label_counts, (size_t)w->meta.n_labels) ||
	    h5_attr_write_int(g, "n_truncated", n_truncated))
		goto out;
	w->has[split] = 1;
	w->counts[split] = n;
	w->hashes[split] = hashes;
	hashes = NULL;
	rc = 0;
out:
	if (close_split_ds(&d))
		rc = -1;
	if (g >= 0 && CK(H5Gclose(g)) < 0)
		rc = -1;
	window_free(&b);
	free(hashes);
	if (rc)
		error("cannot pack split '%s' from '%s'", split_name, r_path);
	return rc;
}

static int write_root_attrs(struct dswriter *w)
{
	const struct tokmeta *m = &w->meta;
	hid_t f = w->f;
	char hex[17];
	hash64_hex(m->vocab_hash, hex);
	const char *splits[3];
	size_t ns = 0;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (w->has[s])
			splits[ns++] = tok_split_name(s);
	const char **names = calloc(m->n_sources + 1, sizeof(char *));
	char (*hashes)[17] = calloc(m->n_sources + 1, 17);
	const char **hp = calloc(m->n_sources + 1, sizeof(char *));
	if (!names || !hashes || !hp) {
		free(names);
		free(hashes);
		free(hp);
		return error("out of memory");
	}
	for (int i = 0; i < m->n_sources; i++) {
		names[i] = m->sources[i].name;
		hash64_hex(m->sources[i].hash, hashes[i]);
		hp[i] = hashes[i];
	}
	int rc = h5_attr_write_str(f, "format", DSFILE_FORMAT) ||
		 h5_attr_write_int(f, "format_version", DSFILE_VERSION) ||
		 h5_attr_write_str(f, "producer", w->o.producer ? w->o.producer : "pack-hdf5") ||
		 h5_attr_write_str(f, "tokenizer", m->producer ? m->producer : "") ||
		 h5_attr_write_int(f, "vocab_size", m->vocab_size) ||
		 h5_attr_write_str(f, "vocab_hash", hex) ||
		 h5_attr_write_int(f, "pad_id", m->pad_id) ||
		 h5_attr_write_int(f, "unk_id", m->unk_id) ||
		 h5_attr_write_int(f, "cls_id", m->cls_id) ||
		 h5_attr_write_int(f, "sep_id", m->sep_id) ||
		 h5_attr_write_int(f, "max_len", w->width) ||
		 h5_attr_write_int(f, "tokenize_max_len", m->max_len) ||
		 h5_attr_write_str(f, "truncation",
				   m->max_len ? (m->truncation ? m->truncation : "head") : "none") ||
		 h5_attr_write_strs(f, "label_names", (const char *const *)m->labels,
				    (size_t)m->n_labels) ||
		 h5_attr_write_strs(f, "splits", splits, ns) ||
		 h5_attr_write_strs(f, "source_names", names, (size_t)m->n_sources) ||
		 h5_attr_write_strs(f, "source_hashes", hp, (size_t)m->n_sources) ||
		 h5_attr_write_str(f, "id_dtype", w->id_dtype) ||
		 h5_attr_write_int(f, "chunk_rows", w->o.chunk_rows) ||
		 h5_attr_write_int(f, "bucket_window", w->o.bucket_window) ||
		 h5_attr_write_int(f, "deflate", w->o.deflate);
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST && !rc; s++) {
		char name[32];
		snprintf(name, sizeof(name), "n_%s", tok_split_name(s));
		if (w->has[s])
			rc = h5_attr_write_int(f, name, (int64_t)w->counts[s]);
	}
	free(names);
	free(hashes);
	free(hp);
	return rc ? -1 : 0;
}

int dswriter_commit(struct dswriter *w)
{
	int nsplits = w->has[1] + w->has[2] + w->has[3];
	if (!nsplits) {
		error("'%s': no split to pack", w->af.path);
		dswriter_abort(w);
		return -1;
	}
	if (write_root_attrs(w)) {
		dswriter_abort(w);
		return -1;
	}
	hid_t f = w->f;
	w->f = -1;
	if (CK(H5Fclose(f)) < 0) {
		error("cannot write '%s'", w->af.path);
		afile_abort(&w->af);
		dswriter_free(w);
		return -1;
	}
	if (h5_seal(w->af.tmp)) {
		afile_abort(&w->af);
		dswriter_free(w);
		return -1;
	}
	int rc = afile_commit(&w->af);
	dswriter_free(w);
	return rc;
}
