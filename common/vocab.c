/* vocab.c - loads a BERT vocab.txt (see vocab.h): one token per line, id =
 * 0-based line, LF or CRLF line ends, last line with or without newline.
 * Builds two read-only indexes: an open-addressing string table for
 * vocab_id() and the code-point trie of vocab_trie.h for WordPiece.
 * Reads the file once; writes nothing; does not learn vocabularies
 * (vocab_learn.c does).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <utf8proc.h>

#include "error.h"
#include "hash.h"
#include "vocab.h"
#include "vocab_trie.h"

struct vslot {
	uint32_t tag; /* low 32 bits of the token's hash */
	uint32_t id1; /* id + 1; 0 = free */
};

struct vocab {
	uint32_t n;
	char *text;   /* tokens, each NUL-terminated */
	uint32_t *off; /* (n) offset of token i in text */
	uint32_t *len; /* (n) byte length of token i */
	uint64_t hash;
	struct vocab_specials sp;
	struct vslot *slots; /* (smask + 1) */
	uint32_t smask;
	uint32_t sshift;
	struct vtrie trie;
};

static uint32_t log2_pow2(uint64_t x)
{
	uint32_t k = 0;
	while ((1ULL << k) < x)
		k++;
	return k;
}

/* ---- string table ---- */

static inline size_t slot_of(const struct vocab *v, uint64_t h)
{
	return (size_t)((h * 0x9e3779b97f4a7c15ULL) >> v->sshift);
}

int32_t vocab_id(const struct vocab *v, const char *s, size_t len)
{
	uint64_t h = hash64(s, len);
	uint32_t tag = (uint32_t)h;
	for (size_t i = slot_of(v, h);; i = (i + 1) & v->smask) {
		const struct vslot *e = &v->slots[i];
		if (!e->id1)
			return -1;
		uint32_t id = e->id1 - 1;
		if (e->tag == tag && v->len[id] == len && !memcmp(v->text + v->off[id], s, len))
			return (int32_t)id;
	}
}

/* Inserts id; returns the id already holding the same text, or -1. */
static int32_t table_insert(struct vocab *v, uint32_t id)
{
	const char *s = v->text + v->off[id];
	size_t len = v->len[id];
	uint64_t h = hash64(s, len);
	for (size_t i = slot_of(v, h);; i = (i + 1) & v->smask) {
		struct vslot *e = &v->slots[i];
		if (!e->id1) {
			e->tag = (uint32_t)h;
			e->id1 = id + 1;
			return -1;
		}
		uint32_t o = e->id1 - 1;
		if (e->tag == (uint32_t)h && v->len[o] == len && !memcmp(v->text + v->off[o], s, len))
			return (int32_t)o;
	}
}

/* ---- trie ---- */

static int trie_grow(struct vtrie *t)
{
	uint32_t old_size = t->e ? t->mask + 1 : 0;
	uint32_t size = old_size ? old_size * 2 : 1u << 12;
	struct vtrie_edge *e = malloc((size_t)size * sizeof(*e));
	if (!e)
		return error("out of memory (vocabulary trie, %u slots)", size);
	memset(e, 0xff, (size_t)size * sizeof(*e));
	struct vtrie_edge *old = t->e;
	t->e = e;
	t->mask = size - 1;
	t->shift = 64 - log2_pow2(size);
	for (uint32_t i = 0; i < old_size; i++) {
		if (old[i].cp == VTRIE_EMPTY)
			continue;
		size_t j = vtrie_slot(t, old[i].parent, old[i].cp);
		while (e[j].cp != VTRIE_EMPTY)
			j = (j + 1) & t->mask;
		e[j] = old[i];
	}
	free(old);
	return 0;
}

/* The child of node by cp, created when missing; VTRIE_NONE on error. */
static uint32_t trie_child(struct vtrie *t, uint32_t node, uint32_t cp)
{
	if (2 * (uint64_t)(t->n_edges + 1) > (uint64_t)t->mask + 1 && trie_grow(t) < 0)
		return VTRIE_NONE;
	size_t i = vtrie_slot(t, node, cp);
	for (;; i = (i + 1) & t->mask) {
		struct vtrie_edge *e = &t->e[i];
		if (e->cp == cp && e->parent == node)
			return e->child;
		if (e->cp == VTRIE_EMPTY)
			break;
	}
	struct vtrie_edge *e = &t->e[i];
	e->parent = node;
	e->cp = cp;
	e->child = t->n_nodes++;
	e->tok = -1;
	t->n_edges++;
	return e->child;
}

/* Sets the token id on the edge that leads to child (found from parent). */
static void trie_mark(struct vtrie *t, uint32_t parent, uint32_t cp, int32_t id)
{
	size_t i = vtrie_slot(t, parent, cp);
	while (!(t->e[i].cp == cp && t->e[i].parent == parent))
		i = (i + 1) & t->mask;
	t->e[i].tok = id;
}

static int trie_add(struct vtrie *t, const char *s, size_t len, int32_t id)
{
	uint32_t node = 0, parent = 0, cp = 0;
	size_t i = 0;
	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0)
			return error("internal: invalid UTF-8 in a validated token");
		parent = node;
		cp = (uint32_t)c;
		node = trie_child(t, node, cp);
		if (node == VTRIE_NONE)
			return -1;
		i += (size_t)k;
	}
	if (len)
		trie_mark(t, parent, cp, id);
	return 0;
}

const struct vtrie *vocab_trie(const struct vocab *v) { return &v->trie; }

/* ---- loading ---- */

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		error("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		error("'%s' is not a regular file", path);
		fclose(f);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	char *buf = malloc(n + 1);
	if (!buf) {
		error("out of memory reading '%s'", path);
		fclose(f);
		return NULL;
	}
	size_t got = fread(buf, 1, n, f);
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err || got != n) {
		if (err)
			error("cannot read '%s': %s", path, strerror(err));
		else
			error("cannot read '%s': %zu of its %zu bytes (changed while read?)", path,
			      got, n);
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Byte offset of the first invalid UTF-8 sequence in s[0..len), or len. */
static size_t utf8_bad_at(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);
		if (k <= 0)
			return i;
		i += (size_t)k;
	}
	return len;
}

void vocab_free(struct vocab *v)
{
	if (!v)
		return;
	free(v->text);
	free(v->off);
	free(v->len);
	free(v->slots);
	free(v->trie.e);
	free(v);
}

/* Builds a vocabulary from buf[0..size) (malloc'd, size + 1 bytes, NUL at
 * buf[size]), which it takes over; path names it in messages. */
static struct vocab *vocab_parse(const char *path, char *buf, size_t size);

struct vocab *vocab_load(const char *path)
{
	size_t size;
	char *buf = read_whole(path, &size);
	if (!buf)
		return NULL;
	return vocab_parse(path, buf, size);
}

struct vocab *vocab_load_text(const char *path, char **text, size_t *len)
{
	size_t size;
	char *buf = read_whole(path, &size);
	if (!buf)
		return NULL;
	char *copy = malloc(size + 1); /* vocab_parse cuts buf's lines in place */
	if (!copy) {
		free(buf);
		error("out of memory reading '%s'", path);
		return NULL;
	}
	memcpy(copy, buf, size + 1);
	struct vocab *v = vocab_parse(path, buf, size);
	if (!v) {
		free(copy);
		return NULL;
	}
	*text = copy;
	*len = size;
	return v;
}

struct vocab *vocab_load_buffer(const char *name, const char *data, size_t len)
{
	char *buf = malloc(len + 1);
	if (!buf) {
		error("out of memory loading '%s'", name);
		return NULL;
	}
	memcpy(buf, data, len);
	buf[len] = 0;
	return vocab_parse(name, buf, len);
}

static struct vocab *vocab_parse(const char *path, char *buf, size_t size)
{
	struct vocab *v = calloc(1, sizeof(*v));
	if (!v) {
		free(buf);
		error("out of memory");
		return NULL;
	}
	v->text = buf; /* lines are cut in place: '\n' (and '\r') become NUL */
	v->hash = hash64(buf, size);
	if (size == 0) {
		bad_input(path, 0, "empty vocabulary file");
		goto fail;
	}

	uint32_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += buf[i] == '\n';
	if (buf[size - 1] != '\n')
		lines++;
	v->off = malloc((size_t)lines * sizeof(*v->off));
	v->len = malloc((size_t)lines * sizeof(*v->len));
	uint32_t slots = 1u << log2_pow2(2 * (uint64_t)lines + 2);
	v->slots = calloc(slots, sizeof(*v->slots));
	if (!v->off || !v->len || !v->slots) {
		error("out of memory loading '%s' (%u lines)", path, lines);
		goto fail;
	}
	v->smask = slots - 1;
	v->sshift = 64 - log2_pow2(slots);

	size_t pos = 0;
	for (uint32_t id = 0; id < lines; id++) {
		char *nl = memchr(buf + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - buf) : size;
		size_t len = end - pos;
		if (len && buf[pos + len - 1] == '\r')
			len--;
		long line = (long)id + 1;
		if (len == 0) {
			bad_input(path, line, "empty token");
			goto fail;
		}
		size_t bad = utf8_bad_at(buf + pos, len);
		if (bad < len) {
			bad_input(path, line, "invalid UTF-8 at byte %zu of the token", bad + 1);
			goto fail;
		}
		/* tokens are NUL-terminated strings (vocab_token); a NUL inside one
		 * cut it short (and text cleaning drops NUL, so such a token could
		 * never match): a damaged file (fuzz_vocab) */
		const char *nul = memchr(buf + pos, '\0', len);
		if (nul) {
			bad_input(path, line, "NUL byte at byte %zu of the token",
				  (size_t)(nul - (buf + pos)) + 1);
			goto fail;
		}
		if (len > UINT32_MAX || pos > UINT32_MAX) {
			bad_input(path, line, "vocabulary too large");
			goto fail;
		}
		buf[pos + len] = 0; /* replaces '\r' or '\n' (buf[size] is NUL) */
		v->off[id] = (uint32_t)pos;
		v->len[id] = (uint32_t)len;
		int32_t dup = table_insert(v, id);
		if (dup >= 0) {
			bad_input(path, line, "duplicate token '%s' (first on line %d)",
				  buf + pos, dup + 1);
			goto fail;
		}
		pos = end + 1;
	}
	v->n = lines;

	v->sp.pad = vocab_id(v, "[PAD]", 5);
	v->sp.unk = vocab_id(v, "[UNK]", 5);
	v->sp.cls = vocab_id(v, "[CLS]", 5);
	v->sp.sep = vocab_id(v, "[SEP]", 5);
	v->sp.mask = vocab_id(v, "[MASK]", 6);
	if (v->sp.unk < 0) {
		bad_input(path, 0, "no [UNK] token in the vocabulary");
		goto fail;
	}

	v->trie.cont_root = VTRIE_NONE;
	v->trie.n_nodes = 1; /* the root */
	if (trie_grow(&v->trie) < 0)
		goto fail;
	for (uint32_t id = 0; id < v->n; id++)
		if (trie_add(&v->trie, v->text + v->off[id], v->len[id], (int32_t)id) < 0)
			goto fail;
	const struct vtrie_edge *h1 = vtrie_step(&v->trie, 0, '#');
	const struct vtrie_edge *h2 = h1 ? vtrie_step(&v->trie, h1->child, '#') : NULL;
	if (h2)
		v->trie.cont_root = h2->child;
	return v;
fail:
	vocab_free(v);
	return NULL;
}

uint32_t vocab_size(const struct vocab *v) { return v->n; }
uint64_t vocab_hash(const struct vocab *v) { return v->hash; }
struct vocab_specials vocab_specials(const struct vocab *v) { return v->sp; }

const char *vocab_token(const struct vocab *v, uint32_t id)
{
	return id < v->n ? v->text + v->off[id] : NULL;
}
