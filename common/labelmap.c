/* labelmap.c - raw label -> class index (see labelmap.h).  Maps are small
 * (a handful of keys): lookups are linear scans with no allocation. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "labelmap.h"
#include "tokfile.h"

#define MAX_KEYS 64

struct labelmap {
	int n_keys;
	char *key[MAX_KEYS];
	int target[MAX_KEYS]; /* class index or LABEL_DROP */
	int n_classes;
	char *cls[TOKFILE_MAX_LABELS];
	char *spec;
};

static const struct {
	const char *word, *sentiment;
} synonyms[] = {
	{"negative", "negative"}, {"neg", "negative"}, {"bad", "negative"}, {"0", "negative"},
	{"neutral", "neutral"},   {"neu", "neutral"},  {"1", "neutral"},
	{"positive", "positive"}, {"pos", "positive"}, {"good", "positive"}, {"2", "positive"},
};

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
		      (*s)[*n - 1] == '\n'))
		(*n)--;
}

static int same(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && !strncasecmp(a, b, n);
}

const char *label_sentiment(const char *raw, size_t len)
{
	trim(&raw, &len);
	for (size_t i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
		if (same(raw, len, synonyms[i].word))
			return synonyms[i].sentiment;
	return NULL;
}

void labelmap_free(struct labelmap *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n_keys; i++)
		free(m->key[i]);
	for (int i = 0; i < m->n_classes; i++)
		free(m->cls[i]);
	free(m->spec);
	free(m);
}

static struct labelmap *fail(struct labelmap *m, const char *spec, const char *why,
			     const char *part, size_t n)
{
	error("--labels '%s': %s '%.*s' (expected KEY=CLASS,... with CLASS a name or "
	      "'drop', or a preset: binary, 3class)", spec, why, (int)n, part);
	labelmap_free(m);
	return NULL;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

struct labelmap *labelmap_parse(const char *spec)
{
	const char *given = spec;
	if (!strcmp(spec, "binary"))
		spec = LABELMAP_BINARY;
	else if (!strcmp(spec, "3class"))
		spec = LABELMAP_3CLASS;
	struct labelmap *m = calloc(1, sizeof(*m));
	if (!m) {
		error("out of memory");
		return NULL;
	}
	size_t spec_len = 0, spec_cap = strlen(spec) + 1;
	m->spec = malloc(spec_cap);
	if (!m->spec) {
		labelmap_free(m);
		error("out of memory");
		return NULL;
	}
	for (const char *p = spec; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		/* a comma too many: after the last entry ("a=b,"), or before an
		 * empty or blank one ("a=b,,c=d", ",a=b"); the map is shown up
		 * to that comma */
		if (end && !end[1])
			return fail(m, given, "empty entry (a comma too many) after", spec,
				    (size_t)(end + 1 - spec));
		if (strspn(p, " \t\r\n") >= n)
			return fail(m, given, "empty entry (a comma too many) after", spec,
				    (size_t)(p - spec));
		const char *eq = memchr(p, '=', n);
		if (!eq)
			return fail(m, given, "no '=' in", p, n);
		const char *k = p, *v = eq + 1;
		size_t kn = eq - p, vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		if (!valid_name(k, kn) || !valid_name(v, vn) || memchr(v, '=', vn))
			return fail(m, given, "bad entry", p, n);
		for (int i = 0; i < m->n_keys; i++)
			if (same(k, kn, m->key[i]))
				return fail(m, given, "key given twice:", k, kn);
		if (m->n_keys == MAX_KEYS)
			return fail(m, given, "too many keys at", k, kn);
		int t = LABEL_DROP;
		if (!same(v, vn, "drop")) {
			for (t = 0; t < m->n_classes; t++)
				if (strlen(m->cls[t]) == vn && !strncmp(m->cls[t], v, vn))
					break;
			if (t == m->n_classes) {
				if (m->n_classes == TOKFILE_MAX_LABELS)
					return fail(m, given, "too many classes at", v, vn);
				m->cls[m->n_classes] = strndup(v, vn);
				if (!m->cls[m->n_classes])
					return fail(m, given, "out of memory at", v, vn);
				m->n_classes++;
			}
		}
		m->key[m->n_keys] = strndup(k, kn);
		if (!m->key[m->n_keys])
			return fail(m, given, "out of memory at", k, kn);
		m->target[m->n_keys++] = t;
		spec_len += (size_t)snprintf(m->spec + spec_len, spec_cap - spec_len, "%s%.*s=%.*s",
					     spec_len ? "," : "", (int)kn, k, (int)vn, v);
		p = end ? end + 1 : p + n;
	}
	if (m->n_classes == 0)
		return fail(m, given, "no class to keep in", spec, strlen(spec));
	return m;
}

int labelmap_lookup(const struct labelmap *m, const char *raw, size_t len)
{
	trim(&raw, &len);
	for (int i = 0; i < m->n_keys; i++)
		if (same(raw, len, m->key[i]))
			return m->target[i];
	const char *s = label_sentiment(raw, len);
	if (s)
		for (int i = 0; i < m->n_keys; i++)
			if (!strcasecmp(m->key[i], s))
				return m->target[i];
	return LABEL_UNKNOWN;
}

int labelmap_n_classes(const struct labelmap *m) { return m->n_classes; }
const char *labelmap_class(const struct labelmap *m, int i)
{
	return i >= 0 && i < m->n_classes ? m->cls[i] : NULL;
}
const char *labelmap_spec(const struct labelmap *m) { return m->spec; }
