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

#include <stddef.h>
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

/* The text hash wordpiece_encode() reports, computed without a vocabulary,
 * for texts that will be tokenized with one holding the five BERT special
 * tokens (every learned vocabulary does): learn-vocab uses it to learn from
 * the training split only, before any token file exists. */
struct texthasher;
/* max_chars and nfc as in wordpiece_opts.  NULL after error(). */
struct texthasher *texthasher_new(int max_chars, int nfc);
/* 0 and *hash set; WP_BAD_UTF8 (*bad_at set); -1 after error(). */
int texthasher_hash(struct texthasher *t, const char *text, size_t len, uint64_t *hash,
		    size_t *bad_at);
void texthasher_free(struct texthasher *t);

#endif
