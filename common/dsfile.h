/* dsfile.h - the layout of artifacts/dataset.h5 (docs/dataset-h5.md): what
 * pack-hdf5 writes and what the batch reader (batches.h), evaluate and
 * report read.
 *
 * One group per split ("train", "validation", "test") holding ids
 * (N, max_len) padded with pad_id, lengths, labels, hashes and n_full, all
 * chunked by the same number of rows; root attributes describe the
 * vocabulary, labels and provenance so h5py needs no project code.
 * This module writes and describes the file; it does not stream batches.
 */
#ifndef RNNPIPE_DSFILE_H
#define RNNPIPE_DSFILE_H

#include <hdf5.h>
#include <stdint.h>

#include "tokfile.h"

#define DSFILE_FORMAT "rnnpipe-dataset"
#define DSFILE_VERSION 1

/* Dataset names inside each split group. */
#define DS_IDS "ids"         /* (N, max_len) token ids, pad_id after length */
#define DS_LENGTHS "lengths" /* (N,) int32, ids kept incl. [CLS] [SEP] */
#define DS_LABELS "labels"   /* (N,) int32 class index into label_names */
#define DS_HASHES "hashes"   /* (N,) uint64 review hash (tokfile.h) */
#define DS_NFULL "n_full"    /* (N,) int32 token count before truncation */

/* The root attributes, read back.  meta holds the vocabulary, special ids,
 * labels and sources exactly as the token files said, except meta.max_len,
 * which is the row width of ids (never 0). */
struct dsinfo {
	struct tokmeta meta;
	int64_t format_version;
	uint64_t counts[4];   /* rows per split, indexed by enum tok_split */
	int has_split[4];     /* 1 when the group exists */
	int64_t chunk_rows;   /* rows per chunk of every dataset */
	int64_t bucket_window; /* 0: file order; else rows sorted by length
				  within windows of this many rows */
	char *id_dtype;       /* "int32", "uint32" or "uint16" */
	char *producer;       /* "pack-hdf5 0.1.0" */
};

/* Reads and checks the root attributes of an open dataset file: format name
 * and version, every attribute present and consistent.  path is used in
 * messages, which say how to rebuild the file.  Returns 0 or -1; on success
 * free with dsinfo_free(). */
int dsinfo_read(hid_t file, const char *path, struct dsinfo *info);
void dsinfo_free(struct dsinfo *info);

/* Prints "'path': <why>; re-run 'make <path>'" through error(); returns -1. */
int dsfile_bad(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- writing (pack-hdf5) ---- */

struct dswriter_opts {
	uint32_t chunk_rows;    /* rows per chunk (all datasets) */
	int deflate;            /* zlib level 0-9 (0: none) */
	int shuffle;            /* byte-shuffle filter */
	int fletcher32;         /* per-chunk checksums */
	const char *id_dtype;   /* "auto" (= int32), "int32", "uint32", "uint16" */
	uint32_t bucket_window; /* 0: keep order; else sort rows by length within
				   windows of this many rows (rounded up to
				   whole chunks) */
	const char *producer;   /* "pack-hdf5 0.1.0" */
};
#define DSWRITER_OPTS_DEFAULT {256, 4, 1, 1, "auto", 0, "pack-hdf5"}

struct dswriter;

/* Creates a temporary file next to path (atomic, afile.h) for a dataset
 * described by meta (copied).  meta->max_len == 0 (no truncation) needs
 * width = the longest row over all splits; otherwise width = 0.  Returns
 * NULL after error(). */
struct dswriter *dswriter_open(const char *path, const struct tokmeta *meta,
			       uint32_t width, const struct dswriter_opts *opts);

/* Streams every record of r (rewound first) into group split_name; each
 * record's label must be a class index, its ids at most the row width and
 * at least 1.  r's metadata must be compatible with the writer's (same
 * vocabulary, specials, max_len, truncation and labels).  r_path is used in
 * messages.  Memory: one bucket window (or one chunk) of rows.  Returns 0
 * or -1 (error()). */
int dswriter_add_split(struct dswriter *w, const char *split_name,
		       struct tokreader *r, const char *r_path);

/* Writes the root attributes, closes the file and renames it into place.
 * Frees w.  Returns 0 or -1 (the temporary file is removed). */
int dswriter_commit(struct dswriter *w);
/* Removes the temporary file; frees w. */
void dswriter_abort(struct dswriter *w);

#endif
