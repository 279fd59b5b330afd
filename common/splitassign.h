/* splitassign.h - which split a review belongs to.
 *
 * A review's split is a pure function of its text hash and the fractions:
 * u = hash / 2^64 falls in [0, train) -> train, [train, train+validation)
 * -> validation, else test.  So adding dumps never moves a review, and the
 * same text can never land in two splits.  A split named by the dump wins
 * (the caller checks that first).  Changing the fractions does move reviews.
 */
#ifndef RNNPIPE_SPLITASSIGN_H
#define RNNPIPE_SPLITASSIGN_H

#include <stdint.h>

struct split_fracs {
	double train, validation, test; /* each in [0, 1], summing to 1 */
};

/* Parses "80/10/10" (percent) or "0.8/0.1/0.1" (fractions; ',' or ':' also
 * separate).  The three must sum to 100 or 1 (within 1e-6).  Returns 0, or
 * -1 after error(). */
int split_fracs_parse(const char *s, struct split_fracs *f);

/* SPLIT_TRAIN, SPLIT_VALIDATION or SPLIT_TEST for this text hash. */
int split_assign(uint64_t hash, const struct split_fracs *f);

#endif
