/* jsonw.h - JSON text that is whole or absent.
 *
 * jansson 2.14's json_dumps() ignores a failed append of an object's key
 * (dump.c: dump_string's result is not checked; akheron/jansson#655): out
 * of memory, it returns a broken text, '{"a": 1, ": 2}', instead of NULL.
 * jsonw_dumps() writes through json_dump_callback() into a buffer of its
 * own whose first failed append fails every later one and the whole text.  jsonw_unless() ends a build
 * whose every step was checked.
 */
#ifndef RNNPIPE_JSONW_H
#define RNNPIPE_JSONW_H

#include <jansson.h>
#include <stddef.h>

/* json_dumps(j, flags) that is NULL whenever any part of the text could
 * not be written: for an object or array without cycles (every tree the
 * project builds; jansson refuses a NaN or bad UTF-8 when the value is
 * made), only out of memory.  Prints nothing: the caller reports, once,
 * naming what it was writing.  The
 * text is malloc'd (free()); when len is not NULL, *len is its length
 * (s[*len] is its NUL, room for a final newline). */
char *jsonw_dumps(const json_t *j, size_t flags, size_t *len);

/* o, or NULL (o released) when bad: the end of a build that collects the
 * results of json_object_set_new() and json_array_append_new() in one
 * flag, bad |= ... (they take the value, also when they fail, and fail on
 * a NULL value, a constructor out of memory), so that a key or element
 * that could not be added fails the whole object instead of going
 * missing from it. */
json_t *jsonw_unless(json_t *o, int bad);

#endif
