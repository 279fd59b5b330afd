/* splitter.h - the split stage: deal the reviews of token-record files into
 * train, validation and test files.
 *
 * A review keeps the split its dump named (unless ignore_named); otherwise
 * split_assign() places it by its text hash, so a review never moves when
 * dumps are added.  A text hash seen twice (inputs not deduplicated by
 * filter-relabel) keeps its first copy only, so no text is in two splits.
 * Records are written in input order.  It does not relabel or shuffle.
 */
#ifndef RNNPIPE_SPLITTER_H
#define RNNPIPE_SPLITTER_H

#include <jansson.h>

#include "splitassign.h"

struct splitter_opts {
	struct split_fracs fracs;
	const char *out[4];   /* indexed by SPLIT_TRAIN, SPLIT_VALIDATION, SPLIT_TEST */
	int ignore_named;     /* place every review by its hash */
	const char *producer;
};

/* Reads inputs[0..n) (compatible, with the same label names) and writes the
 * three split files atomically.  Returns 0, or -1 after error().  *stats
 * (may be NULL) receives a new JSON object describing the run. */
int splitter_run(const char *const *inputs, int n, const struct splitter_opts *o,
		 json_t **stats);

#endif
