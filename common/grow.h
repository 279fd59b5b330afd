/* grow.h - the one way the library grows an array: by doubling, with an
 * overflow check, from a minimum capacity.  Replaces the local realloc
 * loops each module used to carry.  It only grows (never shrinks or
 * frees); the caller keeps the count and frees the array with free(). */
#ifndef RNNPIPE_GROW_H
#define RNNPIPE_GROW_H

#include <stddef.h>

/* Makes *p (an array of *cap elements of elem bytes; NULL when *cap is 0)
 * hold at least need elements.  Nothing happens when need <= *cap.  Else
 * the capacity becomes *cap (or min when *cap is 0; min 0 counts as 1)
 * doubled until it reaches need, kept to what elem * capacity can count in
 * a size_t, and *p is realloc'ed to it: the first *cap elements are kept,
 * the new ones are not initialised.
 * Returns 0, or -1 after error("out of memory (... bytes)") when the size
 * does not fit a size_t, elem is 0 or realloc fails; then *p and *cap are
 * unchanged (the old array is still valid and still the caller's).
 * p must point to an object pointer (T **, see GROW_ARRAY). */
int grow_array(void **p, size_t *cap, size_t need, size_t elem, size_t min);

/* The same without the message, for callers that report the failure
 * themselves, once, with the file it was reading. */
int grow_array_quiet(void **p, size_t *cap, size_t need, size_t elem, size_t min);

/* Type-safe forms: arr is an lvalue of type T *, cap an lvalue of type
 * size_t; the element size is sizeof(*arr).
 *   if (GROW_ARRAY(v->items, v->cap, v->n + 1, 16)) return -1; */
#define GROW_ARRAY(arr, cap, need, min)                                                    \
	grow_array((void **)&(arr), &(cap), (need), sizeof(*(arr)), (min))
#define GROW_ARRAY_QUIET(arr, cap, need, min)                                              \
	grow_array_quiet((void **)&(arr), &(cap), (need), sizeof(*(arr)), (min))

#endif
