/* labelmap.h - maps raw labels from the dumps to class indices.
 *
 * A map is a preset name or a list "KEY=CLASS,KEY=CLASS,...", where CLASS
 * is a class name or "drop".  Classes are numbered in the order they first
 * appear ("negative=negative,neutral=drop,positive=positive": negative 0,
 * positive 1, the reference notebook's mapping).  A raw label is looked up
 * (trimmed, case-insensitive) first as a KEY itself, then through its
 * sentiment synonym: negative = neg, bad, 0; neutral = neu, 1;
 * positive = pos, good, 2.  Anything else is unknown: never guessed.
 * Presets: "binary" (the default above) and "3class" (neutral kept as 1).
 */
#ifndef RNNPIPE_LABELMAP_H
#define RNNPIPE_LABELMAP_H

#include <stddef.h>

#define LABELMAP_BINARY "negative=negative,neutral=drop,positive=positive"
#define LABELMAP_3CLASS "negative=negative,neutral=neutral,positive=positive"

enum { LABEL_UNKNOWN = -1, LABEL_DROP = -2 };

struct labelmap;

/* Parses a preset name or a map; NULL after error() naming the bad part.
 * At most TOKFILE_MAX_LABELS classes. */
struct labelmap *labelmap_parse(const char *spec);
void labelmap_free(struct labelmap *m);

/* Class index of raw[0..len), LABEL_DROP, or LABEL_UNKNOWN. */
int labelmap_lookup(const struct labelmap *m, const char *raw, size_t len);

int labelmap_n_classes(const struct labelmap *m);
const char *labelmap_class(const struct labelmap *m, int i);
/* The map written out in full ("negative=negative,..."), for stats files. */
const char *labelmap_spec(const struct labelmap *m);

/* "negative", "neutral" or "positive" for a raw label spelled as one of the
 * synonyms above (trimmed, any case), else NULL. */
const char *label_sentiment(const char *raw, size_t len);

#endif
