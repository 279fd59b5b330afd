/* batches.h - streams mini-batches of one split of artifacts/dataset.h5
 * (dsfile.h, docs/dataset-h5.md) for train and evaluate.
 *
 * Memory is bounded and does not grow with the data: a pool of a few HDF5
 * chunks, a bounded chunk cache per dataset and a few batch buffers.  A
 * prefetch thread fills the next batches while the caller works on the
 * current one.  Shuffling is seeded and reproducible: chunk order is
 * permuted per epoch, then rows are permuted within a pool of chunks.
 * Not here: anything about the model; the file is never written.
 */
#ifndef RNNPIPE_BATCHES_H
#define RNNPIPE_BATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "dsfile.h"

struct batches_config {
	const char *split;     /* "train", "validation" or "test" */
	uint32_t batch_size;   /* B >= 1 */
	int shuffle;           /* 1: seeded random order; 0: file order */
	uint64_t seed;         /* with the epoch number, fixes the order */
	uint32_t shuffle_rows; /* rows pooled and permuted together, rounded up to
				  whole chunks (shuffle only) */
	int bucket;            /* sort each pool by length and shuffle whole
				  batches: 1 on, 0 off, -1 auto (on when
				  shuffling a file packed with --bucket-window) */
	int drop_last;         /* 1: drop the last, partial batch */
	int trim;              /* 1: a batch is as wide as its longest row;
				  0: always max_len wide */
	size_t cache_bytes;    /* chunk cache per dataset (H5Pset_chunk_cache);
				  0: one chunk (chunks are read whole, once
				  per epoch, so more buys nothing) */
	int prefetch;          /* batches read ahead by a thread; 0: read in
				  batches_next (no thread) */
	uint64_t vocab_hash;   /* expected vocabulary hash, 0 = do not check */
};

/* Defaults: split "train", B 32, shuffle on, seed 1, shuffle_rows 2048,
 * bucket auto, keep the last batch, trim on, one-chunk cache, prefetch 4,
 * no vocabulary check. */
void batches_config_init(struct batches_config *c);

/* One batch.  Pointers belong to the reader and stay valid until the next
 * batches_next/batches_start_epoch/batches_close on it.
 *
 * ids is row-major (n, t): row i is ids[i * t .. i * t + t).  Positions
 * lengths[i] .. t-1 of a row hold pad_id.  With trim on, t is the longest
 * length in this batch (so short batches carry less padding); with trim
 * off, t is max_len.  lengths count [CLS] and [SEP]; 1 <= lengths[i] <= t. */
struct batch {
	uint32_t n;              /* rows: batch_size, or fewer for the last */
	uint32_t t;              /* columns */
	const int32_t *ids;      /* (n, t) */
	const int32_t *lengths;  /* (n) */
	const int32_t *labels;   /* (n) class index into label names */
	const uint64_t *hashes;  /* (n) review hashes */
	const uint64_t *rows;    /* (n) row numbers in the split */
	uint64_t index;          /* batch number within the epoch, from 0 */
	uint64_t epoch;
};

struct batches;

/* Opens split cfg->split of the dataset file at path and checks it: format
 * and version, attributes, the split's datasets, their shapes and types,
 * and the vocabulary hash when cfg->vocab_hash is set.  Any problem is one
 * error() naming the file and saying how to rebuild it.  Returns NULL on
 * error.  Free with batches_close(). */
struct batches *batches_open(const char *path, const struct batches_config *cfg);

/* The file's description (vocabulary, special ids, max_len, label names,
 * counts); valid until batches_close. */
const struct dsinfo *batches_info(const struct batches *b);
/* Rows in the split, and batches per epoch (ceil, or floor with drop_last). */
uint64_t batches_rows(const struct batches *b);
uint64_t batches_per_epoch(const struct batches *b);

/* Starts (or restarts) epoch number epoch: the order depends only on seed,
 * epoch and the file, so a resumed run replays the same epoch.  Stops an
 * epoch still in flight.  Returns 0 or -1. */
int batches_start_epoch(struct batches *b, uint64_t epoch);

/* Gets the next batch of the current epoch: 1 and *out set, 0 when the
 * epoch is over (every row delivered once, the partial batch last), -1 on
 * error (reported: corrupted data names the file, the split and the rows).
 * The previous batch's buffers are recycled by this call. */
int batches_next(struct batches *b, const struct batch **out);

/* Stops the prefetch thread and frees everything.  NULL is ignored. */
void batches_close(struct batches *b);

#endif
