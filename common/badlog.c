/* badlog.c - counting and reporting bad input (see badlog.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "badlog.h"
#include "error.h"
#include "jsonoom.h"
#include "jsonw.h"
#include "pretok.h"

void badlog_init(struct badlog *b, long max_print)
{
	memset(b, 0, sizeof(*b));
	b->max_print = max_print;
}

void badlog_add(struct badlog *b, const char *kind, const char *file, long line,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	bad_input_fmt(msg, sizeof(msg), file, line, fmt, ap);
	va_end(ap);
	b->total++;
	int k;
	for (k = 0; k < b->n_kinds; k++)
		if (!strcmp(b->kind[k], kind))
			break;
	if (k == b->n_kinds && k < BADLOG_MAX_KINDS)
		b->kind[b->n_kinds++] = kind;
	if (k < BADLOG_MAX_KINDS)
		b->count[k]++;
	if (b->n_examples < BADLOG_EXAMPLES) {
		char *e = strdup(msg);
		if (e)
			b->example[b->n_examples++] = e;
		else
			b->lost = 1;
	}
	if (b->max_print < 0 || b->printed < b->max_print) {
		fprintf(stderr, "%s\n", msg);
		b->printed++;
	}
}

long badlog_count(const struct badlog *b, const char *kind)
{
	for (int k = 0; k < b->n_kinds; k++)
		if (!strcmp(b->kind[k], kind))
			return b->count[k];
	return 0;
}

void badlog_summary(const struct badlog *b, const char *what, const char *stats_path)
{
	if (b->total <= b->printed)
		return;
	if (stats_path)
		warning("%ld more %s not shown (--max-print %ld); '%s' counts them by reason",
			b->total - b->printed, what, b->max_print, stats_path);
	else
		warning("%ld more %s not shown (--max-print %ld); raise it to print them, or "
			"give --stats FILE to count them by reason", b->total - b->printed, what,
			b->max_print);
}

json_t *badlog_json(const struct badlog *b)
{
	if (b->lost) { /* an example could not be kept: the stats would show fewer */
		error("out of memory (bad-record examples)");
		return NULL;
	}
	json_t *by = json_object(), *ex = json_array();
	int bad = 0; /* jsonw_unless */
	for (int k = 0; k < b->n_kinds; k++)
		bad |= json_object_set_new(by, b->kind[k], json_integer(b->count[k]));
	/* an example keeps its text up to its first byte that is not UTF-8
	 * (a label or value quoted with %.64s, or the message cut at 1024
	 * bytes, inside a character): JSON cannot hold the rest */
	for (int i = 0; i < b->n_examples; i++) {
		const char *e = b->example[i];
		bad |= json_array_append_new(ex, json_stringn(e, utf8_check(e, strlen(e))));
	}
	json_t *j = json_pack("{s:I, s:o, s:o}", "total", (json_int_t)b->total, "by_reason", by,
			      "examples", ex);
	return jsonw_unless(j, bad);
}

void badlog_free(struct badlog *b)
{
	for (int i = 0; i < b->n_examples; i++)
		free(b->example[i]);
	memset(b, 0, sizeof(*b));
}

void strcount_add(struct strcount *c, const char *s, size_t n)
{
	for (int i = 0; i < c->n; i++)
		if (c->len[i] == n && !memcmp(c->s[i], s, n)) {
			c->count[i]++;
			return;
		}
	if (c->n < STRCOUNT_MAX) {
		if ((c->s[c->n] = malloc(n + 1))) {
			memcpy(c->s[c->n], s, n);
			c->s[c->n][n] = '\0';
			c->len[c->n] = n;
			c->count[c->n++] = 1;
			return;
		}
		c->lost = 1;
	}
	c->other++;
}

/* s[0..n) as a JSON key: s itself, or, when s holds a NUL byte or bytes
 * that are not UTF-8, a copy in *esc (to free) with each such byte as the
 * text \xNN. NULL when out of memory. */
static const char *key_text(const char *s, size_t n, char **esc)
{
	*esc = NULL;
	if (utf8_check(s, n) == n && !memchr(s, '\0', n))
		return s;
	char *o = *esc = malloc(4 * n + 1);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t good = utf8_check(s + i, n - i);
		const char *nul = memchr(s + i, '\0', good);
		if (nul)
			good = (size_t)(nul - (s + i));
		memcpy(o, s + i, good);
		o += good;
		i += good;
		if (i < n)
			o += sprintf(o, "\\x%02x", (unsigned char)s[i++]);
	}
	*o = '\0';
	return *esc;
}

static int count_set(json_t *j, const char *key, long count)
{
	json_t *had = json_object_get(j, key);
	return json_object_set_new(j, key, json_integer(count + json_integer_value(had)));
}

json_t *strcount_json(const struct strcount *c)
{
	if (c->lost) { /* a value strcount_add could not keep went to "(other)" */
		error("out of memory (label counts)");
		return NULL;
	}
	json_t *j = json_object();
	int bad = 0; /* jsonw_unless */
	for (int i = 0; i < c->n; i++) {
		char *esc;
		const char *key = key_text(c->s[i], c->len[i], &esc);
		bad |= !key || count_set(j, key, c->count[i]);
		free(esc);
	}
	if (c->other)
		bad |= count_set(j, "(other)", c->other);
	return jsonw_unless(j, bad);
}

void strcount_free(struct strcount *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->s[i]);
	memset(c, 0, sizeof(*c));
}

int json_write_file(const char *path, const json_t *j)
{
	size_t n;
	char *s = jsonw_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10),
			      &n);
	if (!s)
		return error("cannot encode JSON for '%s': out of memory", path);
	s[n] = '\n'; /* the room of the NUL */
	int rc = afile_write_all(path, s, n + 1);
	free(s);
	return rc;
}

int json_write_afile(struct afile *af, const json_t *j)
{
	if (json_dumpf(j, af->fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				       JSON_REAL_PRECISION(10)) ||
	    fputc('\n', af->fp) == EOF) {
		/* json_dumpf fails on a write error or out of memory */
		error("cannot write '%s': %s", af->path,
		      ferror(af->fp) ? strerror(errno) : "out of memory");
		afile_abort(af);
		return -1;
	}
	return afile_commit(af);
}

/* jansson's failed allocations when the stats file was opened: stats that
 * cannot be built after more failed, did for lack of memory (stats_commit) */
static _Thread_local unsigned long stats_mark;

int stats_open(struct afile *af, const char *path, const char *const *outputs, int n)
{
	stats_mark = jsonoom_mark();
	if (afile_open(af, path))
		return -1;
	for (int i = 0; i < n; i++)
		if (outputs[i] && afile_check(outputs[i])) {
			afile_abort(af);
			return -1;
		}
	afile_lead(af); /* the outputs are renamed only once the stats are */
	return 0;
}

int stats_commit(struct afile *af, const json_t *j)
{
	/* jansson short of memory since the stats file was opened: the
	 * stats may lack what an unchecked json_object_set_new or
	 * json_array_append_new dropped, so they are not written */
	int oom = jsonoom_since(stats_mark);
	if (!j || oom) {
		error("cannot encode the stats for '%s'%s", af->path, oom ? ": out of memory" : "");
		afile_abort(af);
		return -1;
	}
	return json_write_afile(af, j);
}
