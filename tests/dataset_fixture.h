/* dataset_fixture.h - a packed review dataset for the unit tests: token
 * files name.train.tok, name.validation.tok and name.test.tok in the test
 * folder, packed (dswriter) into name.h5 there.  The rows are random ids
 * drawn here, or toksynth's; the same description gives the same bits.
 * Paths are test_path_kept (freed at exit).  Neither a width nor length
 * buckets: every row fits max_len and the rows keep their order. */
#ifndef RNNPIPE_DATASET_FIXTURE_H
#define RNNPIPE_DATASET_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "dsfile.h"
#include "hash.h"
#include "rng.h"
#include "testutil.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"
#include "toksynth.h"

/* What differs between the tests' datasets.  The random rows are [CLS],
 * word ids, [SEP], under test_tokmeta()'s metadata with one source
 * "test". */
struct test_dataset {
	int counts[3];        /* rows of train, validation, test */
	uint32_t chunk_rows;  /* dswriter's rows per chunk */
	uint64_t seed;        /* split s's rows: rng_seed2(seed, s), or toksynth's seed */
	/* non-NULL: toksynth's rows, its seed, count and split set from the
	 * description; the fields below are then unused */
	const struct toksynth_opts *synth;
	uint64_t vocab_hash;
	uint32_t vocab_size, max_len;
	uint32_t min_len;     /* full lengths min_len..max_len, [CLS] and [SEP] included */
	uint32_t first_word;  /* word ids first_word..vocab_size-1 */
	/* 0: the label is a coin flip the ids do not tell; else id cue
	 * (positive) or cue + 1 (negative) at two random places, below
	 * first_word so that nothing else tells it */
	uint32_t cue;
	/* xored into each review hash (hash64 of the row index ^ split):
	 * datasets whose reviews must not share hashes take different salts */
	uint64_t hash_salt;
};

/* Writes split's (enum tok_split) random rows to path. */
static inline void test_dataset_tok(const char *path, int split, int n,
				    const struct test_dataset *d)
{
	struct tokmeta m;
	test_tokmeta(&m, d->vocab_hash, d->vocab_size, d->max_len, 1);
	tokmeta_add_source(&m, "test", 1);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	tokmeta_free(&m);
	struct rng r;
	rng_seed2(&r, d->seed, (uint64_t)split);
	uint32_t *ids = malloc(d->max_len * sizeof(*ids));
	assert_non_null(ids);
	for (int i = 0; i < n; i++) { /* int: its bytes are the hash's */
		int label = (int)rng_below(&r, 2);
		uint32_t len = d->min_len + (uint32_t)rng_below(&r, d->max_len - d->min_len + 1);
		ids[0] = 2;
		for (uint32_t t = 1; t + 1 < len; t++)
			ids[t] = d->first_word + (uint32_t)rng_below(&r, d->vocab_size - d->first_word);
		ids[len - 1] = 3;
		if (d->cue)
			for (int k = 0; k < 2; k++)
				ids[1 + rng_below(&r, len - 2)] = label ? d->cue : d->cue + 1;
		struct tokrec rec = {
			.hash = hash64(&i, sizeof(i)) ^ d->hash_salt ^ (uint64_t)split, .label = label,
			.split = (uint8_t)split, .n_full = len, .n_ids = len, .ids = ids,
			.label_raw = label ? "positive" : "negative", .label_raw_len = 8,
			.text = "x", .text_len = 1,
		};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	free(ids);
	assert_int_equal(tokwriter_commit(w), 0);
}

/* Writes the three token files and packs them into name.h5; returns its
 * path. */
static inline char *test_dataset_write(const char *name, const struct test_dataset *d)
{
	static const char *splits[3] = {"train", "validation", "test"};
	char buf[256];
	snprintf(buf, sizeof(buf), "%s.h5", name);
	char *out = test_path_kept(buf);
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = d->chunk_rows;
	struct dswriter *w = NULL;
	for (int s = 0; s < 3; s++) {
		snprintf(buf, sizeof(buf), "%s.%s.tok", name, splits[s]);
		char *tok = test_path_kept(buf);
		if (d->synth) {
			struct toksynth_opts t = *d->synth;
			t.seed = d->seed;
			t.count = (uint64_t)d->counts[s];
			t.split = s + 1;
			assert_int_equal(toksynth_write(tok, &t), 0);
		} else {
			test_dataset_tok(tok, s + 1, d->counts[s], d);
		}
		struct tokreader *r = tokreader_open(tok);
		assert_non_null(r);
		if (!w) /* the first split's metadata: the others must match it */
			assert_non_null(w = dswriter_open(out, tokreader_meta(r), 0, &o));
		assert_int_equal(dswriter_add_split(w, splits[s], r, tok), 0);
		tokreader_close(r);
	}
	assert_int_equal(dswriter_commit(w), 0);
	return out;
}

#endif
