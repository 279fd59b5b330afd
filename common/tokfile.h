/* tokfile.h - token-record files: what tokenize, filter-relabel and split
 * write and read (artifacts/tok/<dump>.tok, artifacts/merged.tok,
 * artifacts/split/<split>.tok).
 *
 * Layout (all integers little-endian):
 *   header   "RNNTOK\0\0" | u32 version | u32 meta_len | u64 count
 *   meta     meta_len bytes of JSON (struct tokmeta, see tokmeta_to_json)
 *   records  count x { u32 body_len | body }, body described in tokfile.c
 *   trailer  "RNNTEND\0" | u64 count | u64 hash of the meta bytes and
 *            every record body (version 1: of the record bodies only)
 * The trailer lets a reader tell a complete file from a truncated one, and
 * a pass over the records from a corrupted file (the hash is compared at
 * the end of each pass: consumers stream every record and fail before they
 * commit their own output).  Readers accept versions 1 and 2.
 * Records keep the raw text so later stages (report examples, benchmarks
 * against text-based tools) need not go back to the dumps.
 */
#ifndef RNNPIPE_TOKFILE_H
#define RNNPIPE_TOKFILE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define TOKFILE_VERSION 2
#define TOKFILE_MAX_LABELS 16

enum tok_split { SPLIT_NONE = 0, SPLIT_TRAIN = 1, SPLIT_VALIDATION = 2, SPLIT_TEST = 3 };

/* "train", "validation", "test", or "" for SPLIT_NONE */
const char *tok_split_name(int split);
/* Parses a split name ("train", "validation"/"valid"/"val"/"dev", "test");
 * returns SPLIT_NONE when not one of them. */
int tok_split_parse(const char *s);

/* One review. Pointers belong to the reader/writer, valid until the next
 * call on it. */
struct tokrec {
	uint64_t hash;        /* hash64 of the normalised text: dedup and split */
	int32_t label;        /* class index into tokmeta.labels, -1 = not mapped */
	uint8_t split;        /* enum tok_split: named by the dump, or assigned */
	uint32_t source;      /* index into tokmeta.sources */
	uint32_t line;        /* line (JSONL) or record start line (CSV) in source */
	uint32_t n_full;      /* token count with specials, before truncation */
	uint32_t n_ids;       /* ids stored (after truncation) */
	const uint32_t *ids;  /* (n_ids) with [CLS] ... [SEP] */
	const char *label_raw; /* label as the dump wrote it, not NUL-terminated */
	uint32_t label_raw_len;
	const char *text;     /* raw review text, not NUL-terminated */
	uint32_t text_len;
};

struct toksource {
	char *name;           /* path as given */
	uint64_t hash;        /* hash64 of the file's bytes */
};

/* Describes the records of a file. Strings are owned (tokmeta_free). */
struct tokmeta {
	uint64_t vocab_hash;
	uint32_t vocab_size;
	uint32_t max_len;     /* 0: not truncated */
	int32_t pad_id, unk_id, cls_id, sep_id;
	char *truncation;     /* "head", "tail" or "head+tail" */
	int nfc;              /* tokenize --nfc: texts NFC-normalised first
				 (in the JSON only when set) */
	int n_labels;         /* 0 until filter-relabel maps labels */
	char *labels[TOKFILE_MAX_LABELS];
	int n_sources;
	struct toksource *sources;
	char *producer;       /* "tokenize 0.1.0" */
};

void tokmeta_free(struct tokmeta *m);
/* Deep copy; returns 0, or -1 after error() with dst left empty. */
int tokmeta_copy(struct tokmeta *dst, const struct tokmeta *src);
/* The start of a merged file's metadata: a deep copy of src without its
 * sources, and without its labels unless with_labels.  Returns 0 or -1. */
int tokmeta_copy_settings(struct tokmeta *dst, const struct tokmeta *src, int with_labels);
/* Appends a source; returns its index or -1. */
int tokmeta_add_source(struct tokmeta *m, const char *name, uint64_t hash);
/* Appends all of src's sources; returns the index of the first or -1. */
int tokmeta_add_sources(struct tokmeta *dst, const struct tokmeta *src);
/* Two files can be merged when vocab hash, max_len, truncation (unless
 * max_len is 0: nothing was cut), special ids and nfc agree. Returns 0, or
 * -1 after error() naming both files. */
int tokmeta_compatible(const struct tokmeta *a, const char *path_a,
		       const struct tokmeta *b, const char *path_b);
/* 1 when a and b have the same class labels in the same order, else 0. */
int tokmeta_same_labels(const struct tokmeta *a, const struct tokmeta *b);
/* The metadata as the file's JSON header stores it (a new reference, or
 * NULL when out of memory). */
json_t *tokmeta_to_json(const struct tokmeta *m);

struct tokwriter;
/* Opens path's temporary file (atomic, see afile.h). meta is copied. */
struct tokwriter *tokwriter_open(const char *path, const struct tokmeta *meta);
int tokwriter_add(struct tokwriter *w, const struct tokrec *rec);
uint64_t tokwriter_count(const struct tokwriter *w);
/* Writes the trailer, fixes the header, renames into place; frees w. */
int tokwriter_commit(struct tokwriter *w);
/* Removes the temporary file; frees w. */
void tokwriter_abort(struct tokwriter *w);

struct tokreader;
/* Opens and checks header, meta and trailer (a truncated or foreign file is
 * an error naming the file and saying how to rebuild it). */
struct tokreader *tokreader_open(const char *path);
const struct tokmeta *tokreader_meta(const struct tokreader *r);
uint64_t tokreader_count(const struct tokreader *r);
/* Reads the next record: 1 = got one, 0 = end, -1 = error (reported). */
int tokreader_next(struct tokreader *r, struct tokrec *rec);
/* Back to the first record. */
int tokreader_rewind(struct tokreader *r);
void tokreader_close(struct tokreader *r);

/* One input of a merge of token-record files (filter-relabel, split):
 * opens path into *r, protects it from being overwritten (afile.h) and adds
 * it to meta, the merged output's metadata.  The first input (first == NULL)
 * gives meta its settings, and its labels when with_labels; a later one must
 * be compatible with first, read from first_path, and with with_labels have
 * its labels.  The input's dumps are appended to meta's sources, from
 * *first_source on.  Returns 0, or -1 after error(); *r, once opened, stays
 * open for the caller to close (and to name in its stats). */
int tokmerge_add(struct tokmeta *meta, const struct tokreader *first, const char *first_path,
		 const char *path, int with_labels, struct tokreader **r, uint32_t *first_source);

#endif
