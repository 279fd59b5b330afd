/* grow.c - grow_array (see grow.h): doubling growth of a realloc'ed array
 * with the size_t overflow checks in one place.  Reads and writes the
 * caller's pointer with memcpy, so that T ** passed as void ** stays
 * within the aliasing rules.  Allocates nothing it does not hand back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t min, int quiet)
{
	if (need <= *cap)
		return 0;
	size_t most = elem ? SIZE_MAX / elem : 0; /* elements a size_t can count */
	if (need > most) {
		if (quiet)
			return -1;
		if (!elem)
			return error("out of memory (array of 0-byte elements)");
		return error("out of memory (%zu elements of %zu bytes do not fit a size_t)",
			     need, elem);
	}
	size_t c = *cap ? *cap : min ? min : 1;
	if (c > most)
		c = most;
	while (c < need)
		c = c > most / 2 ? most : 2 * c;
	void *old;
	memcpy(&old, p, sizeof(old));
	void *q = realloc(old, c * elem);
	if (!q)
		return quiet ? -1 : error("out of memory (%zu bytes)", c * elem);
	memcpy(p, &q, sizeof(q));
	*cap = c;
	return 0;
}

int grow_array(void **p, size_t *cap, size_t need, size_t elem, size_t min)
{
	return grow(p, cap, need, elem, min, 0);
}

int grow_array_quiet(void **p, size_t *cap, size_t need, size_t elem, size_t min)
{
	return grow(p, cap, need, elem, min, 1);
}
