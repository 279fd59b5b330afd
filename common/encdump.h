/* encdump.h - tokenize one review dump: read it (dumpread.h), encode every
 * review with WordPiece on a pool of threads, and hand the token records to
 * a callback in input order.
 *
 * The calling thread reads and parses the dump and fills batches of
 * reviews; worker threads (one wordpiece object each) encode whole batches;
 * the calling thread then passes finished batches to the callback strictly
 * in input order, so output never depends on the thread count.  Memory is
 * bounded by a fixed number of batches in flight.  Bad records are counted
 * and reported (file:line: reason) through a badlog in input order, and the
 * policy (skip or fail) is applied.  It does not write files itself.
 */
#ifndef RNNPIPE_ENCDUMP_H
#define RNNPIPE_ENCDUMP_H

#include <stdint.h>

#include "badlog.h"
#include "dumpread.h"
#include "tokfile.h"
#include "vocab.h"
#include "wordpiece.h"

struct encdump_opts {
	const struct vocab *vocab;
	struct wordpiece_opts wp;
	uint32_t max_len;      /* 0: no truncation, else >= 2 */
	int trunc;             /* enum trunc_side */
	int threads;           /* encoding threads; 1: encode on the calling thread */
	int batch_records;     /* reviews per batch; 0: 256 (tests make it small,
				  to have many batches in flight) */
	struct dump_opts dump;
	int fail_on_error;     /* the first bad record fails the dump */
	long max_errors;       /* more bad records than this fails the dump; 0: no limit */
	struct badlog *bad;    /* shared by all dumps of a run (examples, printing) */
};

/* Called once per good review, in input order.  rec->source is 0 and
 * rec->label is -1 (labels are mapped later).  Returns 0, or -1 to stop
 * (after error()). */
typedef int (*encdump_fn)(void *ctx, const struct tokrec *rec);

/* What happened to one dump (filled by encdump_run, also on failure). */
struct encdump_stats {
	long records;          /* records seen, good and bad */
	long ok;               /* handed to the callback */
	long bad_by_kind[DUMP_BAD_N];
	long bad;
	long truncated;        /* ok records with n_full > max_len */
	long empty;            /* ok records with no word piece ([CLS] [SEP]
				  only, as Hugging Face encodes "") */
	int file_split;        /* split named by the file name (SPLIT_NONE if not) */
	long named_split[4];   /* ok records per split named by the dump */
	struct strcount labels; /* raw labels of ok records */
	uint64_t bytes;        /* input bytes read (after gzip) */
	uint64_t text_bytes, tokens; /* of ok records; tokens = ids kept */
	double seconds;
	int format;            /* enum dump_format used */
	char *text_field, *label_field, *split_field; /* as found; NULL if none */
	int fatal;             /* the file itself failed (see dumpread.h) */
};

/* Tokenizes the dump at path.  Returns 0, or -1 after error(): the file
 * failed (unreadable, truncated gzip, empty...), a bad record under
 * fail_on_error, more than max_errors bad records, no good record at all,
 * or the callback stopped.  st is always filled; free it with
 * encdump_stats_free(). */
int encdump_run(const char *path, const struct encdump_opts *o, encdump_fn fn, void *ctx,
		struct encdump_stats *st);
void encdump_stats_free(struct encdump_stats *st);

/* Default thread count: online CPUs, at least 1, at most 16. */
int encdump_default_threads(void);

#endif
