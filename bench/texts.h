/* texts.h - every review text of a dump, in memory, for the library-level
 * speed tools (wordpiece_speed, vocab_learn_speed): read with the stages'
 * own dump reader, so any dump tokenize takes (JSON Lines, CSV, TSV, plain
 * or gzip; the text field found as tokenize finds it) will do.
 */
#ifndef RNNPIPE_BENCH_TEXTS_H
#define RNNPIPE_BENCH_TEXTS_H

#include <stddef.h>

struct text {
	char *s;    /* NUL-terminated */
	size_t len; /* bytes, without the NUL */
};

struct texts {
	struct text *v; /* (n) */
	size_t n, cap, bytes;
};

/* Appends the texts of the dump at path (bad records skipped, as tokenize
 * skips them).  Returns 0, or -1 after error(). */
int texts_load(struct texts *t, const char *path);
void texts_free(struct texts *t);

#endif
