/* texts.c - see texts.h */
#include "texts.h"

#include <stdlib.h>
#include <string.h>

#include "dumpread.h"
#include "error.h"
#include "grow.h"

int texts_load(struct texts *t, const char *path)
{
	struct dump_opts o = {.text_only = 1};
	struct dumpreader *r = dumpreader_open(path, &o);
	if (!r)
		return -1;
	struct dumprec rec;
	int k;
	while ((k = dumpreader_next(r, &rec)) != DUMP_END) {
		if (k == DUMP_FATAL)
			break;
		if (k != DUMP_REC)
			continue;
		if (GROW_ARRAY(t->v, t->cap, t->n + 1, 1024)) {
			k = DUMP_FATAL;
			break;
		}
		char *s = malloc(rec.text_len + 1);
		if (!s) {
			error("out of memory");
			k = DUMP_FATAL;
			break;
		}
		memcpy(s, rec.text, rec.text_len);
		s[rec.text_len] = 0;
		t->v[t->n++] = (struct text){s, rec.text_len};
		t->bytes += rec.text_len;
	}
	dumpreader_close(r);
	return k == DUMP_FATAL ? -1 : 0;
}

void texts_free(struct texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
	*t = (struct texts){0};
}
