/* jsonoom.c - counting jansson's failed allocations (see jsonoom.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonoom.h"

static _Thread_local unsigned long failed;

void *jsonoom_malloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		failed++;
	return p;
}

void jsonoom_free(void *p) { free(p); }

/* Before main, so that nothing jansson allocated with the default
 * functions is freed with these (the two are the same malloc and free
 * anyway). */
__attribute__((constructor)) static void jsonoom_install(void)
{
	json_set_alloc_funcs(jsonoom_malloc, jsonoom_free);
}

unsigned long jsonoom_mark(void) { return failed; }

int jsonoom_since(unsigned long mark) { return failed != mark; }

int jsonoom_error(const char *name)
{
	return error("cannot read '%s': %s", name, strerror(ENOMEM));
}
