/* tokfile.c - token-record files (see tokfile.h for the layout).
 *
 * Record body (little-endian):
 *   u64 hash | i32 label | u8 split | u8 0 | u16 label_raw_len |
 *   u32 source | u32 line | u32 n_full | u32 n_ids | u32 text_len |
 *   u32 ids[n_ids] | label_raw bytes | text bytes
 * This file assumes a little-endian host (x86-64, arm64) and says so on
 * load elsewhere rather than byte-swapping.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afile.h"
#include "error.h"
#include "grow.h"
#include "hash.h"
#include "jsonoom.h"
#include "jsonw.h"
#include "tokfile.h"

#define HEADER_SIZE 24
#define TRAILER_SIZE 24
#define BODY_FIXED 40
static const char MAGIC[8] = "RNNTOK\0";
static const char TMAGIC[8] = "RNNTEND";

static const char *split_names[] = {"", "train", "validation", "test"};

const char *tok_split_name(int split)
{
	return split >= 0 && split <= 3 ? split_names[split] : "";
}

int tok_split_parse(const char *s)
{
	if (!strcmp(s, "train"))
		return SPLIT_TRAIN;
	if (!strcmp(s, "validation") || !strcmp(s, "valid") || !strcmp(s, "val") ||
	    !strcmp(s, "dev"))
		return SPLIT_VALIDATION;
	if (!strcmp(s, "test"))
		return SPLIT_TEST;
	return SPLIT_NONE;
}

static int host_is_little_endian(void)
{
	uint16_t x = 1;
	return *(uint8_t *)&x == 1;
}

/* ---- meta ---- */

void tokmeta_free(struct tokmeta *m)
{
	free(m->truncation);
	for (int i = 0; i < m->n_labels; i++)
		free(m->labels[i]);
	for (int i = 0; i < m->n_sources; i++)
		free(m->sources[i].name);
	free(m->sources);
	free(m->producer);
	memset(m, 0, sizeof(*m));
}

static char *xstrdup0(const char *s) { return s ? strdup(s) : NULL; }

int tokmeta_add_source(struct tokmeta *m, const char *name, uint64_t hash)
{
	struct toksource *s = realloc(m->sources, (m->n_sources + 1) * sizeof(*s));
	if (!s)
		return error("out of memory");
	m->sources = s;
	s[m->n_sources].name = strdup(name);
	s[m->n_sources].hash = hash;
	if (!s[m->n_sources].name)
		return error("out of memory");
	return m->n_sources++;
}

int tokmeta_add_sources(struct tokmeta *d, const struct tokmeta *s)
{
	int first = d->n_sources;
	for (int i = 0; i < s->n_sources; i++)
		if (tokmeta_add_source(d, s->sources[i].name, s->sources[i].hash) < 0)
			return -1;
	return first;
}

int tokmeta_copy_settings(struct tokmeta *d, const struct tokmeta *s, int with_labels)
{
	*d = *s;
	d->truncation = xstrdup0(s->truncation);
	d->producer = xstrdup0(s->producer);
	d->n_labels = with_labels ? s->n_labels : 0;
	memset(d->labels, 0, sizeof(d->labels));
	int lost = (s->truncation && !d->truncation) || (s->producer && !d->producer);
	for (int i = 0; i < d->n_labels; i++)
		lost |= !(d->labels[i] = xstrdup0(s->labels[i]));
	d->sources = NULL;
	d->n_sources = 0;
	if (lost) { /* a copy without them would pass for the real thing */
		tokmeta_free(d);
		return error("out of memory");
	}
	return 0;
}

int tokmeta_copy(struct tokmeta *d, const struct tokmeta *s)
{
	if (tokmeta_copy_settings(d, s, 1))
		return -1;
	if (tokmeta_add_sources(d, s) < 0) {
		tokmeta_free(d);
		return -1;
	}
	return 0;
}

int tokmeta_same_labels(const struct tokmeta *a, const struct tokmeta *b)
{
	if (a->n_labels != b->n_labels)
		return 0;
	for (int i = 0; i < a->n_labels; i++)
		if (strcmp(a->labels[i], b->labels[i]))
			return 0;
	return 1;
}

int tokmeta_compatible(const struct tokmeta *a, const char *pa,
		       const struct tokmeta *b, const char *pb)
{
	const char *what = NULL;
	if (a->vocab_hash != b->vocab_hash || a->vocab_size != b->vocab_size)
		what = "vocabularies";
	else if (a->max_len != b->max_len)
		what = "max_len";
	/* at max_len 0 nothing is cut, so the side changed no id (pack-hdf5
	 * records "none" for such files whatever the side) */
	else if (a->max_len &&
		 strcmp(a->truncation ? a->truncation : "", b->truncation ? b->truncation : ""))
		what = "truncation sides";
	else if (a->pad_id != b->pad_id || a->unk_id != b->unk_id ||
		 a->cls_id != b->cls_id || a->sep_id != b->sep_id)
		what = "special token ids";
	else if (!a->nfc != !b->nfc)
		what = "normalisations (one with --nfc, one without)";
	if (what)
		return error("'%s' and '%s' were tokenized with different %s; "
			     "re-run tokenize on both with the same settings", pa, pb, what);
	return 0;
}

json_t *tokmeta_to_json(const struct tokmeta *m)
{
	char hex[17];
	hash64_hex(m->vocab_hash, hex);
	json_t *labels = json_array(), *sources = json_array();
	int bad = 0; /* jsonw_unless */
	for (int i = 0; i < m->n_labels; i++)
		bad |= json_array_append_new(labels, json_string(m->labels[i]));
	for (int i = 0; i < m->n_sources; i++) {
		char h[17];
		hash64_hex(m->sources[i].hash, h);
		bad |= json_array_append_new(sources, json_pack("{s:s, s:s}", "name",
							       m->sources[i].name, "hash", h));
	}
	json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s}",
			      "vocab_hash", hex, "vocab_size", (json_int_t)m->vocab_size,
			      "max_len", (json_int_t)m->max_len, "pad_id", (json_int_t)m->pad_id,
			      "unk_id", (json_int_t)m->unk_id, "cls_id", (json_int_t)m->cls_id,
			      "sep_id", (json_int_t)m->sep_id,
			      "truncation", m->truncation ? m->truncation : "head",
			      "labels", labels, "sources", sources,
			      "producer", m->producer ? m->producer : "");
	/* only when set: files tokenized without --nfc keep their bytes */
	if (m->nfc)
		bad |= json_object_set_new(j, "nfc", json_true());
	return jsonw_unless(j, bad);
}

static int meta_from_json(struct tokmeta *m, json_t *j, const char *path)
{
	const char *vh, *trunc, *producer;
	json_int_t vs, ml, pad, unk, cls, sep;
	json_t *labels, *sources;
	json_error_t e;
	memset(m, 0, sizeof(*m));
	if (json_unpack_ex(j, &e, 0, "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s}",
			   "vocab_hash", &vh, "vocab_size", &vs, "max_len", &ml,
			   "pad_id", &pad, "unk_id", &unk, "cls_id", &cls, "sep_id", &sep,
			   "truncation", &trunc, "labels", &labels, "sources", &sources,
			   "producer", &producer))
		return json_error_code(&e) == json_error_out_of_memory
			       ? jsonoom_error(path)
			       : error("'%s': bad metadata (%s)", path, e.text);
	m->vocab_hash = strtoull(vh, NULL, 16);
	m->vocab_size = vs;
	m->max_len = ml;
	m->pad_id = pad;
	m->unk_id = unk;
	m->cls_id = cls;
	m->sep_id = sep;
	m->truncation = strdup(trunc);
	m->producer = strdup(producer);
	if (!m->truncation || !m->producer)
		return error("out of memory");
	m->nfc = json_is_true(json_object_get(j, "nfc"));
	size_t i;
	json_t *v;
	if (!json_is_array(labels) || json_array_size(labels) > TOKFILE_MAX_LABELS)
		return error("'%s': bad label list", path);
	json_array_foreach(labels, i, v) {
		if (!json_is_string(v))
			return error("'%s': bad label list", path);
		if (!(m->labels[m->n_labels] = strdup(json_string_value(v))))
			return error("out of memory");
		m->n_labels++;
	}
	json_array_foreach(sources, i, v) {
		const char *name, *h;
		if (json_unpack_ex(v, &e, 0, "{s:s, s:s}", "name", &name, "hash", &h))
			return json_error_code(&e) == json_error_out_of_memory
				       ? jsonoom_error(path)
				       : error("'%s': bad source list", path);
		if (tokmeta_add_source(m, name, strtoull(h, NULL, 16)) < 0)
			return -1;
	}
	return 0;
}

/* ---- little-endian helpers ---- */

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ---- writer ---- */

struct tokwriter {
	struct afile af;
	uint64_t count, sum;
	unsigned char *buf;
	size_t cap;
	uint32_t meta_len;
};

struct tokwriter *tokwriter_open(const char *path, const struct tokmeta *meta)
{
	if (!host_is_little_endian()) {
		error("token-record files need a little-endian host");
		return NULL;
	}
	struct tokwriter *w = calloc(1, sizeof(*w));
	if (!w) {
		error("out of memory");
		return NULL;
	}
	unsigned long mark = jsonoom_mark();
	json_t *j = tokmeta_to_json(meta);
	char *js = j ? jsonw_dumps(j, JSON_COMPACT | JSON_SORT_KEYS, NULL) : NULL;
	int oom = j || jsonoom_since(mark); /* (jsonw_dumps fails only for memory) */
	json_decref(j);
	if (!js) {
		error("cannot encode metadata for '%s'%s", path, oom ? ": out of memory" : "");
		free(w);
		return NULL;
	}
	if (afile_open(&w->af, path)) {
		free(js);
		free(w);
		return NULL;
	}
	unsigned char hdr[HEADER_SIZE];
	w->meta_len = strlen(js);
	memcpy(hdr, MAGIC, 8);
	put32(hdr + 8, TOKFILE_VERSION);
	put32(hdr + 12, w->meta_len);
	put64(hdr + 16, 0);
	if (fwrite(hdr, 1, HEADER_SIZE, w->af.fp) != HEADER_SIZE ||
	    fwrite(js, 1, w->meta_len, w->af.fp) != w->meta_len) {
		error("cannot write '%s': %s", path, strerror(errno));
		free(js);
		tokwriter_abort(w);
		return NULL;
	}
	/* version 2: the trailer's hash covers the metadata too */
	w->sum = hash64_update(HASH64_SEED, js, w->meta_len);
	free(js);
	return w;
}

int tokwriter_add(struct tokwriter *w, const struct tokrec *r)
{
	if (r->label_raw_len > 0xffff)
		return error("label too long (%u bytes)", r->label_raw_len);
	size_t n = BODY_FIXED + 4 * (size_t)r->n_ids + r->label_raw_len + r->text_len;
	if (n > 0xffffffffu - 4)
		return error("record too large (%zu bytes)", n);
	if (GROW_ARRAY(w->buf, w->cap, n + 4, 4096))
		return -1;
	unsigned char *p = w->buf;
	put32(p, (uint32_t)n);
	unsigned char *b = p + 4;
	put64(b, r->hash);
	put32(b + 8, (uint32_t)r->label);
	b[12] = r->split;
	b[13] = 0;
	uint16_t ll = r->label_raw_len;
	memcpy(b + 14, &ll, 2);
	put32(b + 16, r->source);
	put32(b + 20, r->line);
	put32(b + 24, r->n_full);
	put32(b + 28, r->n_ids);
	put32(b + 32, r->text_len);
	put32(b + 36, 0);
	memcpy(b + BODY_FIXED, r->ids, 4 * (size_t)r->n_ids);
	memcpy(b + BODY_FIXED + 4 * (size_t)r->n_ids, r->label_raw, r->label_raw_len);
	memcpy(b + BODY_FIXED + 4 * (size_t)r->n_ids + r->label_raw_len, r->text, r->text_len);
	if (fwrite(p, 1, n + 4, w->af.fp) != n + 4)
		return error("cannot write '%s': %s", w->af.path, strerror(errno));
	w->sum = hash64_update(w->sum, b, n);
	w->count++;
	return 0;
}

uint64_t tokwriter_count(const struct tokwriter *w) { return w->count; }

static void tokwriter_free(struct tokwriter *w)
{
	free(w->buf);
	free(w);
}

int tokwriter_commit(struct tokwriter *w)
{
	unsigned char t[TRAILER_SIZE], c[8];
	memcpy(t, TMAGIC, 8);
	put64(t + 8, w->count);
	put64(t + 16, hash64_final(w->sum));
	put64(c, w->count);
	if (fwrite(t, 1, TRAILER_SIZE, w->af.fp) != TRAILER_SIZE ||
	    fseek(w->af.fp, 16, SEEK_SET) || fwrite(c, 1, 8, w->af.fp) != 8) {
		error("cannot write '%s': %s", w->af.path, strerror(errno));
		tokwriter_abort(w);
		return -1;
	}
	int rc = afile_commit(&w->af);
	tokwriter_free(w);
	return rc;
}

void tokwriter_abort(struct tokwriter *w)
{
	if (!w)
		return;
	afile_abort(&w->af);
	tokwriter_free(w);
}

/* ---- reader ---- */

struct tokreader {
	char *path;
	FILE *fp;
	struct tokmeta meta;
	uint64_t count, seen, sum, want_sum;
	uint64_t sum_seed; /* HASH64_SEED (version 1) or it continued over the
			      metadata bytes (version 2) */
	int checked; /* checksum compared at the end of this pass */
	long data_start, data_end;
	unsigned char *buf;
	size_t cap;
};

static struct tokreader *reader_fail(struct tokreader *r, const char *why)
{
	error("'%s': %s; re-run the stage that made it (make removes it on failure)",
	      r->path, why);
	tokreader_close(r);
	return NULL;
}

struct tokreader *tokreader_open(const char *path)
{
	struct tokreader *r = calloc(1, sizeof(*r));
	if (!r) {
		error("out of memory");
		return NULL;
	}
	r->path = strdup(path);
	if (!r->path) {
		error("out of memory");
		tokreader_close(r);
		return NULL;
	}
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		error("cannot open '%s': %s", path, strerror(errno));
		tokreader_close(r);
		return NULL;
	}
	unsigned char hdr[HEADER_SIZE], t[TRAILER_SIZE];
	if (fread(hdr, 1, HEADER_SIZE, r->fp) != HEADER_SIZE || memcmp(hdr, MAGIC, 8))
		return reader_fail(r, "not a token-record file");
	if (!host_is_little_endian())
		return reader_fail(r, "token-record files need a little-endian host");
	uint32_t version = get32(hdr + 8);
	if (version != 1 && version != TOKFILE_VERSION)
		return reader_fail(r, "unsupported token-record version");
	uint32_t mlen = get32(hdr + 12);
	r->count = get64(hdr + 16);
	/* the header is not trusted until the trailer checks out: a length
	 * past the end of the file is corruption, not an allocation to try
	 * (4 GiB for a flipped bit; and mlen + 1 wrapped to 0 for 0xffffffff) */
	struct stat st;
	if (fstat(fileno(r->fp), &st) || (uint64_t)mlen + HEADER_SIZE + TRAILER_SIZE >
						 (uint64_t)st.st_size)
		return reader_fail(r, "truncated or corrupted metadata (its length is past the "
				      "end of the file)");
	char *js = malloc((size_t)mlen + 1);
	if (!js) {
		error("out of memory reading '%s'", path);
		tokreader_close(r);
		return NULL;
	}
	if (fread(js, 1, mlen, r->fp) != mlen) {
		free(js);
		return reader_fail(r, "truncated metadata");
	}
	js[mlen] = 0;
	r->sum_seed = version >= 2 ? hash64_update(HASH64_SEED, js, mlen) : HASH64_SEED;
	json_error_t e;
	unsigned long mark = jsonoom_mark();
	json_t *j = json_loads(js, 0, &e);
	free(js);
	if (jsonoom_since(mark)) { /* even parsed: a byte may be missing */
		json_decref(j);
		jsonoom_error(path);
		tokreader_close(r);
		return NULL;
	}
	if (!j)
		return reader_fail(r, "metadata is not JSON");
	int bad = meta_from_json(&r->meta, j, path);
	json_decref(j);
	/* json_unpack's strict check goes on past a key set it could not grow */
	if (!bad && jsonoom_since(mark))
		bad = jsonoom_error(path);
	if (bad) {
		tokreader_close(r);
		return NULL;
	}
	r->data_start = HEADER_SIZE + (long)mlen;
	if (fseek(r->fp, -TRAILER_SIZE, SEEK_END) || (r->data_end = ftell(r->fp)) < r->data_start ||
	    fread(t, 1, TRAILER_SIZE, r->fp) != TRAILER_SIZE || memcmp(t, TMAGIC, 8) ||
	    get64(t + 8) != r->count)
		return reader_fail(r, "truncated or incomplete (no valid trailer)");
	r->want_sum = get64(t + 16);
	if (tokreader_rewind(r)) {
		tokreader_close(r);
		return NULL;
	}
	return r;
}

const struct tokmeta *tokreader_meta(const struct tokreader *r) { return &r->meta; }
uint64_t tokreader_count(const struct tokreader *r) { return r->count; }

int tokreader_rewind(struct tokreader *r)
{
	if (fseek(r->fp, r->data_start, SEEK_SET))
		return error("cannot seek in '%s': %s", r->path, strerror(errno));
	r->seen = 0;
	r->checked = 0;
	r->sum = r->sum_seed;
	return 0;
}

int tokreader_next(struct tokreader *r, struct tokrec *rec)
{
	if (r->seen == r->count) {
		if (!r->checked && hash64_final(r->sum) != r->want_sum) {
			r->checked = 1;
			return error("'%s': record checksum mismatch (corrupted); "
				     "re-run the stage that made it", r->path);
		}
		r->checked = 1;
		return 0;
	}
	unsigned char lb[4];
	if (fread(lb, 1, 4, r->fp) != 4)
		return error("'%s': truncated record %llu", r->path,
			     (unsigned long long)r->seen);
	uint32_t n = get32(lb);
	long pos = ftell(r->fp);
	if (n < BODY_FIXED || pos < 0 || (long)n > r->data_end - pos)
		return error("'%s': corrupted record %llu (bad length %u)", r->path,
			     (unsigned long long)r->seen, n);
	if (GROW_ARRAY(r->buf, r->cap, n, 4096))
		return -1;
	if (fread(r->buf, 1, n, r->fp) != n)
		return error("'%s': truncated record %llu", r->path,
			     (unsigned long long)r->seen);
	const unsigned char *b = r->buf;
	uint16_t ll;
	memcpy(&ll, b + 14, 2);
	rec->hash = get64(b);
	rec->label = (int32_t)get32(b + 8);
	rec->split = b[12];
	rec->label_raw_len = ll;
	rec->source = get32(b + 16);
	rec->line = get32(b + 20);
	rec->n_full = get32(b + 24);
	rec->n_ids = get32(b + 28);
	rec->text_len = get32(b + 32);
	if ((uint64_t)BODY_FIXED + 4ull * rec->n_ids + ll + rec->text_len != n ||
	    (r->meta.n_sources && rec->source >= (uint32_t)r->meta.n_sources))
		return error("'%s': corrupted record %llu", r->path,
			     (unsigned long long)r->seen);
	/* ids are 4-byte aligned: BODY_FIXED is a multiple of 4 and malloc aligns */
	rec->ids = (const uint32_t *)(b + BODY_FIXED);
	rec->label_raw = (const char *)b + BODY_FIXED + 4 * (size_t)rec->n_ids;
	rec->text = rec->label_raw + ll;
	r->sum = hash64_update(r->sum, b, n);
	r->seen++;
	return 1;
}

void tokreader_close(struct tokreader *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	tokmeta_free(&r->meta);
	free(r->buf);
	free(r->path);
	free(r);
}

int tokmerge_add(struct tokmeta *meta, const struct tokreader *first, const char *first_path,
		 const char *path, int with_labels, struct tokreader **r, uint32_t *first_source)
{
	if (!(*r = tokreader_open(path)))
		return -1;
	afile_protect_input(path);
	const struct tokmeta *m = tokreader_meta(*r);
	if (!first) {
		if (tokmeta_copy_settings(meta, m, with_labels))
			return -1;
	} else {
		const struct tokmeta *m0 = tokreader_meta(first);
		if (tokmeta_compatible(m0, first_path, m, path))
			return -1;
		if (with_labels && !tokmeta_same_labels(m0, m))
			return error("'%s' and '%s' have different label names; re-run "
				     "filter-relabel on both with the same --labels", first_path, path);
	}
	int first_index = tokmeta_add_sources(meta, m);
	if (first_index < 0)
		return -1;
	*first_source = (uint32_t)first_index;
	return 0;
}
