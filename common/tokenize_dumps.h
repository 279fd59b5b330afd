/* tokenize_dumps.h - what the tokenize stage does, for a main that only
 * parses: each review dump encoded with a WordPiece vocabulary
 * (encdump.h) into its own token file (tokfile.h), optionally printed as
 * {"ids":[...]} lines on stdout, with one stats JSON for the run.
 */
#ifndef RNNPIPE_TOKENIZE_DUMPS_H
#define RNNPIPE_TOKENIZE_DUMPS_H

#include <stdint.h>

#include "dumpread.h"

struct tokenize_opts {
	const char *vocab_path;  /* BERT vocab.txt */
	uint32_t max_len;        /* ids kept per review; 0: all; else >= 2 */
	const char *truncation;  /* head|tail|head+tail (trunc_side_parse) */
	struct dump_opts dump;   /* format, fields, record limit */
	int threads;             /* encoding threads; 0: encdump_default_threads() */
	int batch_records;       /* encdump_opts.batch_records (0: its default) */
	int nfc;                 /* NFC-normalise first */
	int fail_on_error;       /* the first bad record fails its dump */
	long max_errors;         /* more bad records fail a dump; 0: no limit */
	long max_print;          /* bad-record messages printed at most */
	int print_ids;           /* {"ids":[...]} per review on stdout */
	const char *stats_path;  /* counts, bad records, speed (JSON); NULL: none */
};

/* Tokenizes dumps[0..n) in order into outs[i] (NULL: not written), stopping
 * at the first dump that fails (the token files of the dumps before it stay:
 * each is complete, and the stats file names them); the stats file is
 * opened before the first dump is read (one that cannot be created fails
 * the run before any work) and written either way.  Returns 0, or -1 after
 * error(). */
int tokenize_dumps(const struct tokenize_opts *o, char *const *dumps, char *const *outs, int n);

/* "<dir>/<dump's base name without .gz and the format extension>.tok",
 * malloc'd (NULL when out of memory). */
char *tokenize_out_name(const char *dir, const char *dump);

#endif
