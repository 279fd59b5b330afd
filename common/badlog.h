/* badlog.h - counting and reporting bad input for the stats files.
 *
 * A stage that meets a bad record calls badlog_add(): the message
 * ("file:line: reason") goes to stderr for the first max_print records, the
 * count per reason and the first BADLOG_EXAMPLES messages are kept for the
 * stats JSON (badlog_json).  Nothing here decides whether to go on: that is
 * the stage's --on-error policy.  Also writes JSON stats files atomically.
 */
#ifndef RNNPIPE_BADLOG_H
#define RNNPIPE_BADLOG_H

#include <jansson.h>

#define BADLOG_EXAMPLES 10
#define BADLOG_MAX_KINDS 32

struct badlog {
	long total;
	int n_kinds;
	const char *kind[BADLOG_MAX_KINDS]; /* static strings */
	long count[BADLOG_MAX_KINDS];
	char *example[BADLOG_EXAMPLES];
	int n_examples;
	long max_print;  /* messages printed to stderr (<0: all) */
	long printed;
	int lost;        /* an example could not be kept (out of memory):
			    badlog_json() fails rather than leave it out */
};

void badlog_init(struct badlog *b, long max_print);
/* Counts one bad record of reason `kind` (a string that outlives b) and
 * prints "file:line: message" unless max_print were printed already. */
void badlog_add(struct badlog *b, const char *kind, const char *file, long line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Count of one reason (0 when never seen). */
long badlog_count(const struct badlog *b, const char *kind);
/* Prints "N more <what> not shown" when some were not printed, pointing
 * to the stats file at stats_path that counts them, or, with NULL (no
 * stats file), to --max-print and --stats. */
void badlog_summary(const struct badlog *b, const char *what, const char *stats_path);
/* {"total": n, "by_reason": {kind: n...}, "examples": ["file:line: ..."]}
 * (each example up to its first byte that is not UTF-8); new reference, or NULL when out
 * of memory (after error() when an example could not be kept: the stats
 * would show fewer). */
json_t *badlog_json(const struct badlog *b);
void badlog_free(struct badlog *b);

/* Counts of distinct short strings (raw labels) for the stats files: the
 * first STRCOUNT_MAX distinct values by name, the rest as "(other)".
 * Values are bytes: NUL and bytes that are not UTF-8 are kept. */
#define STRCOUNT_MAX 64
struct strcount {
	int n;
	char *s[STRCOUNT_MAX];
	size_t len[STRCOUNT_MAX];
	long count[STRCOUNT_MAX];
	long other;
	int lost;  /* a value could not be kept (out of memory) */
};
void strcount_add(struct strcount *c, const char *s, size_t n);
/* {"value": n, ..., "(other)": n}: a value's NUL bytes and bytes that are
 * not UTF-8 are written as the four characters \xNN (the counts of values
 * that read the same then, or of a value "(other)", are added up):
 * new reference, or NULL when out of memory (after error() when
 * strcount_add could not keep a value: it was counted as "(other)"). */
json_t *strcount_json(const struct strcount *c);
void strcount_free(struct strcount *c);

/* Writes j (pretty, keys in insertion order) atomically to path.
 * Returns 0 or -1 after error(). Does not steal the reference. */
int json_write_file(const char *path, const json_t *j);

struct afile;
/* Writes j as json_write_file() does into af, opened by afile_open() before
 * the work (so a stats file that cannot be created fails the run first), and
 * commits it.  The afile is released either way.  Returns 0 or -1 after
 * error(). */
int json_write_afile(struct afile *af, const json_t *j);

/* A stage's --stats file, opened before the work (after its inputs are
 * protected: it may not replace one) so that a path that cannot be
 * written fails before any output is committed, and checked against the
 * n outputs (NULLs skipped: afile_check) so that it is never committed
 * over one.  It is made the lead of the run's outputs (afile_lead): their
 * commits are held back until stats_commit() has written the stats in full
 * and renamed them, and are undone if it fails, so a stats write that fails
 * at the end (a full disk) leaves no output that make would take for fresh.
 * Returns 0, or -1 after error() with nothing left open. */
int stats_open(struct afile *af, const char *path, const char *const *outputs, int n);
/* Commits the stats j into af (json_write_afile), then the outputs the run
 * committed meanwhile; j NULL (it could not be built), or a jansson
 * allocation that failed on this thread since stats_open() (j may lack a
 * part), aborts af and says so.  On failure none of those outputs is renamed into place.  Returns 0
 * or -1 after error(). */
int stats_commit(struct afile *af, const json_t *j);

#endif
