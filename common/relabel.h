/* relabel.h - the filter-relabel stage: merge token-record files, map raw
 * labels to classes, drop duplicates.
 *
 * Reads every input twice (first to find duplicates and conflicts, then to
 * write), so memory is one small hash-map entry per review.  Each input
 * record meets exactly one fate:
 *   kept          its label maps to a class and it is the first copy
 *   unknown_label its raw label is not in the map (reported as file:line
 *                 of the dump it came from, never guessed)
 *   label         the map drops its label (neutral in the default map)
 *   duplicate     the same text hash was seen before, with the same outcome
 *   conflict      copies of this text map to different outcomes (a class
 *                 vs another class or vs "drop"): every copy is dropped
 * Unknown labels take no part in duplicate detection.  The first copy is the
 * first in input order: pass older dumps first so new ones never displace
 * old reviews.  It does not tokenize and does not assign splits.
 */
#ifndef RNNPIPE_RELABEL_H
#define RNNPIPE_RELABEL_H

#include <jansson.h>

#include "labelmap.h"

struct relabel_opts {
	const struct labelmap *map;
	int fail_on_unknown; /* an unknown label fails the run */
	long max_print;      /* bad-label messages printed to stderr (<0: all) */
	const char *producer; /* written into the output's metadata */
	const char *stats_path; /* the stage's stats file, named in messages; NULL: none */
};

/* Merges inputs[0..n) into output (written atomically).  Returns 0, or -1
 * after error() (incompatible inputs, unreadable files, an unknown label
 * with fail_on_unknown, no record kept).  *stats (may be NULL) receives a
 * new JSON object describing the run, also on failure when one was built. */
int relabel_run(const char *const *inputs, int n, const char *output,
		const struct relabel_opts *o, json_t **stats);

#endif
