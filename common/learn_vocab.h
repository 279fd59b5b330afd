/* learn_vocab.h - what the learn-vocab stage does, for a main that only
 * parses: the review texts of dumps (dumpread.h) fed to the WordPiece
 * learner (vocab_learn.h), vocab.txt written atomically, and a stats JSON.
 * Deterministic: the same texts in any order give the same file.
 */
#ifndef RNNPIPE_LEARN_VOCAB_H
#define RNNPIPE_LEARN_VOCAB_H

#include "splitassign.h"

struct learn_vocab_opts {
	const char *output;        /* vocab.txt */
	const char *stats_path;    /* counts and learner figures (JSON); NULL: none */
	long size;                 /* lines of vocab.txt, special tokens included */
	long min_frequency;        /* merge only pairs seen this often */
	long max_alphabet;         /* most frequent characters kept; 0: all */
	int nfc;                   /* NFC-normalise first (as tokenize --nfc) */
	const char *fractions;     /* as given, for the stats; NULL: every review */
	const struct split_fracs *fracs; /* learn from the train split only; NULL: all */
	int ignore_named;          /* with fracs: place every review by its hash */
	int format;                /* enum dump_format */
	const char *text_field;    /* NULL: the first of the usual names */
	long max_record_mb;        /* longer records are bad */
	int fail_on_error;         /* the first bad record fails */
	long max_errors;           /* more bad records in a dump fail; 0: no limit */
	long max_print;            /* bad-record messages printed at most */
};

/* Learns from dumps[0..n) in order, stopping at the first that fails; the
 * stats file is written either way.  Both files are opened before the first
 * dump is read: one that cannot be created fails the run before any work,
 * with nothing written.  Returns 0, or -1 after error(). */
int learn_vocab_run(const struct learn_vocab_opts *o, char *const *dumps, int n);

#endif
