/* jsonoom.h - telling a JSON parse that ran out of memory from bad JSON.
 *
 * jansson 2.14 does not say reliably why a parse failed when an allocation
 * failed: a failed string allocation in its lexer comes back as a syntax
 * error ("string or '}' expected"), a failed object as no error at all,
 * and readers reported both as "file:line: not valid JSON".  This module
 * installs allocation functions in jansson (json_set_alloc_funcs, when the
 * program starts) that count, per thread, the allocations jansson asked
 * for and did not get.  A reader takes a mark before a parse and asks
 * whether memory ran out since, whether the parse failed or not: jansson's
 * lexer goes on past a failed growth of its token buffer with a byte left
 * out ('{"text": "abc"}' read as "ac"), so a parse that succeeded may
 * hold a wrong value.  Then it reports jsonoom_error(), not bad input and
 * not the value.  It does not make jansson survive
 * every failed allocation (see docs/reliability.md: a failed growth of the
 * lexer's token buffer can end in one of jansson's assertions).
 */
#ifndef RNNPIPE_JSONOOM_H
#define RNNPIPE_JSONOOM_H

#include <stddef.h>

/* The count of jansson's failed allocations on this thread, as a mark. */
unsigned long jsonoom_mark(void);

/* 1 when an allocation by jansson failed on this thread since mark. */
int jsonoom_since(unsigned long mark);

/* error("cannot read 'name': Cannot allocate memory"); returns -1. */
int jsonoom_error(const char *name);

/* The functions installed in jansson (malloc and free, counting). */
void *jsonoom_malloc(size_t size);
void jsonoom_free(void *p);

#endif
