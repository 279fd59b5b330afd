/* jsonw.c - jsonw_dumps (see jsonw.h): json_dump_callback into a growing
 * buffer with a sticky failure, since jansson goes on past a failed
 * append of an object key.  Allocates only the text it hands back.  And
 * jsonw_unless, the end of a checked build. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "jsonw.h"

struct text {
	char *s;
	size_t len, cap;
	int failed; /* an append failed: every later one fails too */
};

static int append(const char *p, size_t n, void *data)
{
	struct text *t = data;
	if (t->failed || n > (size_t)-1 - t->len - 1 ||
	    GROW_ARRAY_QUIET(t->s, t->cap, t->len + n + 1, 256)) {
		t->failed = 1;
		return -1;
	}
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
	return 0;
}

char *jsonw_dumps(const json_t *j, size_t flags, size_t *len)
{
	struct text t = {0};
	if (json_dump_callback(j, append, &t, flags) || t.failed || !t.s) {
		free(t.s);
		return NULL;
	}
	if (len)
		*len = t.len;
	return t.s;
}

json_t *jsonw_unless(json_t *o, int bad)
{
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
