/* vocab_learn.c - learns a WordPiece vocabulary (see vocab_learn.h and
 * docs/tokenizer.md): counts the pre-tokenised words of the texts, starts
 * from their characters ("a" for a word's first character, "##a" for the
 * others), then repeatedly merges the most frequent adjacent pair of tokens
 * (BPE over word counts, as Hugging Face's WordPieceTrainer) until the
 * vocabulary is full or no pair is frequent enough.  Writes vocab.txt
 * through afile.h; reads nothing but the texts it is given.
 *
 * Ties are broken by token ids (older first), and ids are given in a fixed
 * order (alphabet by UTF-8 bytes, then merges in merge order), so the output
 * depends only on the multiset of words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "error.h"
#include "grow.h"
#include "hash.h"
#include "pretok.h"
#include "vocab_learn.h"
#include "wordpiece.h"

#define NSPECIAL 5
static const char *const SPECIALS[NSPECIAL] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

/* ---- small containers ---- */

static uint32_t log2_ceil(uint64_t x)
{
	uint32_t k = 0;
	while ((1ULL << k) < x)
		k++;
	return k;
}

static inline uint64_t mix64(uint64_t x)
{
	return hash64_final(x + 0x9e3779b97f4a7c15ULL);
}

/* Open-addressing map from a 64-bit key to a 32-bit value. */
struct u64slot {
	uint64_t key;
	uint32_t val; /* UINT32_MAX = free */
	uint32_t pad;
};
struct u64map {
	struct u64slot *s;
	size_t mask, n;
};

static int u64map_init(struct u64map *m, size_t expect)
{
	size_t size = (size_t)1 << log2_ceil(2 * expect + 16);
	m->s = malloc(size * sizeof(*m->s));
	if (!m->s)
		return error("out of memory (map of %zu slots)", size);
	memset(m->s, 0xff, size * sizeof(*m->s));
	m->mask = size - 1;
	m->n = 0;
	return 0;
}

static void u64map_free(struct u64map *m)
{
	free(m->s);
	m->s = NULL;
}

/* Slot of key: the one holding it, or the free one where it would go. */
static inline struct u64slot *u64map_slot(const struct u64map *m, uint64_t key)
{
	size_t i = (size_t)mix64(key) & m->mask;
	while (m->s[i].val != UINT32_MAX && m->s[i].key != key)
		i = (i + 1) & m->mask;
	return &m->s[i];
}

static inline uint32_t u64map_get(const struct u64map *m, uint64_t key)
{
	return u64map_slot(m, key)->val;
}

/* Inserts key -> val (key must be absent). */
static int u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	if (2 * (m->n + 1) > m->mask + 1) {
		struct u64map bigger;
		if (u64map_init(&bigger, m->mask + 1) < 0)
			return -1;
		for (size_t i = 0; i <= m->mask; i++)
			if (m->s[i].val != UINT32_MAX)
				*u64map_slot(&bigger, m->s[i].key) = m->s[i];
		bigger.n = m->n;
		free(m->s);
		*m = bigger;
	}
	struct u64slot *s = u64map_slot(m, key);
	s->key = key;
	s->val = val;
	m->n++;
	return 0;
}

/* ---- the learner ---- */

struct word {
	uint64_t off;   /* bytes in l->arena */
	uint64_t count;
	uint32_t len;
};

struct vocab_learner {
	struct vocab_learn_opts o;
	struct pretok pt;
	struct vocab_learn_stats st;
	/* word counts */
	char *arena;
	size_t alen, acap;
	struct word *words;
	size_t nwords, wcap;
	struct u64map wmap; /* hash64 of the word -> index; collisions chained
			       by linear probing on the text (see find_word) */
	char *wbuf;         /* UTF-8 of the current word */
	int failed;         /* out of memory inside the callback */
	/* result */
	char **tokens; /* learned tokens after the specials, in id order */
	size_t ntokens;
	int learned;
};

struct vocab_learner *vocab_learner_new(const struct vocab_learn_opts *o)
{
	struct vocab_learn_opts def = VOCAB_LEARN_OPTS_DEFAULT;
	struct vocab_learner *l = calloc(1, sizeof(*l));
	if (!l) {
		error("out of memory");
		return NULL;
	}
	l->o = o ? *o : def;
	if (l->o.vocab_size <= NSPECIAL) {
		error("vocabulary size must exceed %d (the special tokens), got %u", NSPECIAL,
		      l->o.vocab_size);
		goto fail;
	}
	if (pretok_init(&l->pt, l->o.max_chars_per_word, l->o.nfc, NULL, 0) < 0)
		goto fail;
	/* literal specials are cut out like the tokenizer does, then ignored */
	for (int k = 0; k < NSPECIAL; k++) {
		struct pretok_special *sp = &l->pt.special[k];
		snprintf(sp->text, sizeof(sp->text), "%s", SPECIALS[k]);
		sp->len = (uint32_t)strlen(SPECIALS[k]);
		sp->id = k;
	}
	l->pt.n_special = NSPECIAL;
	l->wbuf = malloc((size_t)l->o.max_chars_per_word * 4);
	if (!l->wbuf || u64map_init(&l->wmap, 1 << 16) < 0) {
		error("out of memory");
		goto fail;
	}
	return l;
fail:
	vocab_learner_free(l);
	return NULL;
}

void vocab_learner_free(struct vocab_learner *l)
{
	if (!l)
		return;
	pretok_free(&l->pt);
	free(l->arena);
	free(l->words);
	u64map_free(&l->wmap);
	free(l->wbuf);
	for (size_t i = 0; i < l->ntokens; i++)
		free(l->tokens[i]);
	free(l->tokens);
	free(l);
}

struct vocab_learn_stats vocab_learner_stats(const struct vocab_learner *l) { return l->st; }

static size_t utf8_put(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Word map keys are hash64 of the text; two texts with one hash (never seen
 * in practice, but possible) get keys h, h+1, ... so the map stays exact. */
static int count_word(struct vocab_learner *l, const char *s, size_t len)
{
	uint64_t key = hash64(s, len);
	for (;; key++) {
		struct u64slot *slot = u64map_slot(&l->wmap, key);
		if (slot->val == UINT32_MAX)
			break;
		struct word *w = &l->words[slot->val];
		if (w->len == len && !memcmp(l->arena + w->off, s, len)) {
			w->count++;
			return 0;
		}
	}
	if (GROW_ARRAY(l->words, l->wcap, l->nwords + 1, 16) ||
	    GROW_ARRAY(l->arena, l->acap, l->alen + len, 16))
		return -1;
	memcpy(l->arena + l->alen, s, len);
	l->words[l->nwords] = (struct word){l->alen, 1, (uint32_t)len};
	l->alen += len;
	if (u64map_put(&l->wmap, key, (uint32_t)l->nwords) < 0)
		return -1;
	l->nwords++;
	return 0;
}

static int on_word(void *ctx, const uint32_t *cp, size_t n, int32_t special)
{
	struct vocab_learner *l = ctx;
	if (special >= 0)
		return 0;
	if (n > (size_t)l->o.max_chars_per_word) {
		l->st.long_words++;
		return 0;
	}
	size_t len = 0;
	for (size_t k = 0; k < n; k++)
		len += utf8_put(l->wbuf + len, cp[k]);
	l->st.words++;
	if (count_word(l, l->wbuf, len) < 0) {
		l->failed = 1;
		return -1;
	}
	return 0;
}

int vocab_learner_add(struct vocab_learner *l, const char *text, size_t len, size_t *bad_offset)
{
	if (l->learned)
		return error("internal: vocab_learner_add() after vocab_learner_write()");
	size_t bad = utf8_check(text, len);
	if (bad < len) {
		if (bad_offset)
			*bad_offset = bad;
		return WP_BAD_UTF8;
	}
	int rc = pretok_run(&l->pt, text, len, on_word, l, NULL, NULL);
	if (rc != 0)
		return -1;
	l->st.texts++;
	return 0;
}

/* ---- learning ---- */

struct sym {
	char *text; /* NUL-terminated token ("a", "##a", "ab", "##ab") */
	uint32_t len;
	uint64_t freq; /* alphabet only: occurrences */
};

struct pair {
	uint32_t a, b;
	int64_t count;
	uint32_t *where; /* words that have (had) the pair; may repeat */
	size_t nwhere, cwhere;
	uint64_t pushed; /* merge step of the last heap push */
};

struct heap_item {
	int64_t count;
	uint32_t a, b;
};

struct learn {
	struct vocab_learner *l;
	struct sym *sym;
	size_t nsym, csym;
	struct u64map smap; /* hash64 of symbol text (+k on collision) -> id */
	/* words as symbol ids */
	uint32_t *ws;   /* all words' symbols */
	uint64_t *woff; /* (nw) */
	uint32_t *wlen; /* (nw) current length */
	uint64_t *wcnt; /* (nw) */
	uint64_t *wstamp;
	size_t nw;
	/* pairs */
	struct pair *pairs;
	size_t npairs, cpairs;
	struct u64map pmap; /* a << 32 | b -> pair index */
	struct heap_item *heap;
	size_t nheap, cheap;
	uint32_t *touched;
	size_t ntouched, ctouched;
};

/* Heap order: higher count first, then older left token, then older right. */
static inline int heap_before(const struct heap_item *x, const struct heap_item *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	if (x->a != y->a)
		return x->a < y->a;
	return x->b < y->b;
}

static int heap_push(struct learn *L, int64_t count, uint32_t a, uint32_t b)
{
	if (GROW_ARRAY(L->heap, L->cheap, L->nheap + 1, 16))
		return -1;
	struct heap_item *h = L->heap;
	size_t i = L->nheap++;
	struct heap_item it = {count, a, b};
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!heap_before(&it, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = it;
	return 0;
}

static struct heap_item heap_pop(struct learn *L)
{
	struct heap_item *h = L->heap, top = h[0], last = h[--L->nheap];
	size_t i = 0, n = L->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_before(&h[c + 1], &h[c]))
			c++;
		if (!heap_before(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	if (n)
		h[i] = last;
	return top;
}

/* Id of the symbol spelled s, or UINT32_MAX; *key_out = its map key. */
static uint32_t sym_find(const struct learn *L, const char *s, size_t len, uint64_t *key_out)
{
	uint64_t key = hash64(s, len);
	for (;; key++) {
		uint32_t id = u64map_get(&L->smap, key);
		if (id == UINT32_MAX)
			break;
		if (L->sym[id].len == len && !memcmp(L->sym[id].text, s, len))
			return id;
	}
	*key_out = key;
	return UINT32_MAX;
}

/* Appends a symbol (text copied) and indexes it; returns its id or -1. */
static int64_t sym_add(struct learn *L, const char *s, size_t len, uint64_t freq)
{
	uint64_t key;
	if (sym_find(L, s, len, &key) != UINT32_MAX)
		return error("internal: duplicate token");
	if (GROW_ARRAY(L->sym, L->csym, L->nsym + 1, 16))
		return -1;
	char *t = malloc(len + 1);
	if (!t)
		return error("out of memory");
	memcpy(t, s, len);
	t[len] = 0;
	L->sym[L->nsym] = (struct sym){t, (uint32_t)len, freq};
	if (u64map_put(&L->smap, key, (uint32_t)L->nsym) < 0)
		return -1;
	return (int64_t)L->nsym++;
}

/* Pair index of (a, b), created (count 0) when missing; UINT32_MAX on error. */
static uint32_t pair_of(struct learn *L, uint32_t a, uint32_t b)
{
	uint64_t key = (uint64_t)a << 32 | b;
	struct u64slot *s = u64map_slot(&L->pmap, key);
	if (s->val != UINT32_MAX)
		return s->val;
	if (GROW_ARRAY(L->pairs, L->cpairs, L->npairs + 1, 16))
		return UINT32_MAX;
	L->pairs[L->npairs] = (struct pair){a, b, 0, NULL, 0, 0, UINT64_MAX};
	if (u64map_put(&L->pmap, key, (uint32_t)L->npairs) < 0)
		return UINT32_MAX;
	return (uint32_t)L->npairs++;
}

static int pair_note_word(struct pair *p, uint32_t w)
{
	if (p->nwhere && p->where[p->nwhere - 1] == w)
		return 0;
	if (GROW_ARRAY(p->where, p->cwhere, p->nwhere + 1, 16))
		return -1;
	p->where[p->nwhere++] = w;
	return 0;
}

static void learn_free(struct learn *L)
{
	for (size_t i = 0; i < L->nsym; i++)
		free(L->sym[i].text);
	free(L->sym);
	u64map_free(&L->smap);
	free(L->ws);
	free(L->woff);
	free(L->wlen);
	free(L->wcnt);
	free(L->wstamp);
	for (size_t i = 0; i < L->npairs; i++)
		free(L->pairs[i].where);
	free(L->pairs);
	u64map_free(&L->pmap);
	free(L->heap);
	free(L->touched);
}

/* Decodes UTF-8 s[0..len) (valid) into code points; returns the count. */
static size_t decode_word(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;
	for (size_t i = 0; i < len; n++) {
		uint32_t c = u[i];
		size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (k == 2)
			c &= 0x1f;
		else if (k == 3)
			c &= 0x0f;
		else if (k == 4)
			c &= 0x07;
		for (size_t j = 1; j < k; j++)
			c = c << 6 | (u[i + j] & 0x3f);
		cp[n] = c;
		i += k;
	}
	return n;
}

/* Character token key: code point and whether it continues a word. */
static inline uint64_t char_key(uint32_t cp, int cont) { return (uint64_t)cp << 1 | (uint64_t)cont; }

static int cmp_str(const void *x, const void *y)
{
	const struct sym *a = x, *b = y;
	return strcmp(a->text, b->text);
}

static int cmp_freq_then_str(const void *x, const void *y)
{
	const struct sym *a = x, *b = y;
	if (a->freq != b->freq)
		return a->freq > b->freq ? -1 : 1;
	return strcmp(a->text, b->text);
}

struct charfreq {
	uint32_t cp;
	uint64_t freq;
};

static int cmp_charfreq(const void *x, const void *y)
{
	const struct charfreq *a = x, *b = y;
	if (a->freq != b->freq)
		return a->freq > b->freq ? -1 : 1;
	return a->cp < b->cp ? -1 : a->cp > b->cp;
}

/* Builds the alphabet (ids 0..A-1, by UTF-8 bytes) and the words as symbol
 * ids.  Words with a character left out of the alphabet are not learned. */
/* The token of character c: "c" at the start of a word, else "##c" (at
 * most 6 bytes and a NUL in t). Returns its length. */
static size_t char_token(char *t, uint32_t c, int cont)
{
	size_t len = 0;
	if (cont) {
		t[0] = t[1] = '#';
		len = 2;
	}
	len += utf8_put(t + len, c);
	t[len] = 0;
	return len;
}

/* The code point of a character token ("c" or "##c"). */
static uint32_t token_char(const struct sym *s)
{
	uint32_t c;
	const char *t = s->text[0] == '#' && s->len > 2 ? s->text + 2 : s->text;
	decode_word(t, strlen(t), &c);
	return c;
}

/* Every character token of the words with its frequency, into *cs (*ncs,
 * malloc'd texts).  cp: room for a word's code points. */
static int count_chars(struct learn *L, uint32_t *cp, struct sym **cs, size_t *ncs)
{
	struct vocab_learner *l = L->l;
	struct u64map cmap; /* char_key -> index into cs */
	size_t ccs = 0;
	if (u64map_init(&cmap, 4096) < 0)
		return -1;
	int rc = 0;
	for (size_t w = 0; w < l->nwords && !rc; w++) {
		const struct word *wd = &l->words[w];
		size_t n = decode_word(l->arena + wd->off, wd->len, cp);
		for (size_t k = 0; k < n; k++) {
			uint64_t key = char_key(cp[k], k > 0);
			uint32_t idx = u64map_get(&cmap, key);
			if (idx == UINT32_MAX) {
				if (GROW_ARRAY(*cs, ccs, *ncs + 1, 16)) { /* it says why */
					rc = -1;
					break;
				}
				char *t = malloc(7);
				if (!t) {
					rc = error("out of memory");
					break;
				}
				size_t len = char_token(t, cp[k], k > 0);
				(*cs)[*ncs] = (struct sym){t, (uint32_t)len, 0};
				if (u64map_put(&cmap, key, (uint32_t)*ncs) < 0) {
					free(t);
					rc = -1;
					break;
				}
				idx = (uint32_t)(*ncs)++;
			}
			(*cs)[idx].freq += wd->count;
		}
	}
	u64map_free(&cmap);
	return rc;
}

/* Keeps the tokens of the max_alphabet most frequent characters (both
 * forms of each; freeing the others' texts).  Returns how many are kept
 * (moved to the front of cs), or -1 after error(). */
static int64_t limit_alphabet(const struct vocab_learner *l, struct sym *cs, size_t ncs)
{
	struct u64map cf;
	struct charfreq *f = malloc((ncs + 1) * sizeof(*f));
	size_t nf = 0, keep = ncs;
	if (!f || u64map_init(&cf, ncs) < 0) {
		free(f);
		return error("out of memory");
	}
	int64_t rc = 0;
	for (size_t i = 0; i < ncs; i++) {
		uint32_t c = token_char(&cs[i]);
		uint32_t j = u64map_get(&cf, c);
		if (j == UINT32_MAX) {
			f[nf] = (struct charfreq){c, 0};
			if (u64map_put(&cf, c, (uint32_t)nf) < 0) {
				rc = -1;
				goto out;
			}
			j = (uint32_t)nf++;
		}
		f[j].freq += cs[i].freq;
	}
	if (nf > l->o.max_alphabet) {
		qsort(f, nf, sizeof(*f), cmp_charfreq);
		for (size_t j = l->o.max_alphabet; j < nf; j++)
			u64map_slot(&cf, f[j].cp)->val = UINT32_MAX - 1; /* mark dropped */
		size_t o = 0;
		for (size_t i = 0; i < ncs; i++) {
			if (u64map_get(&cf, token_char(&cs[i])) == UINT32_MAX - 1)
				free(cs[i].text);
			else
				cs[o++] = cs[i];
		}
		keep = o;
	}
	rc = (int64_t)keep;
out:
	free(f);
	u64map_free(&cf);
	return rc;
}

/* The words as symbol ids (L->ws, woff, wlen, wcnt); single-symbol words
 * cannot merge and are skipped.  cp: room for a word's code points. */
static int words_as_symbols(struct learn *L, uint32_t *cp)
{
	struct vocab_learner *l = L->l;
	size_t total = 0, cws = 0;
	L->woff = malloc((l->nwords + 1) * sizeof(*L->woff));
	L->wlen = malloc((l->nwords + 1) * sizeof(*L->wlen));
	L->wcnt = malloc((l->nwords + 1) * sizeof(*L->wcnt));
	if (!L->woff || !L->wlen || !L->wcnt)
		return error("out of memory");
	for (size_t w = 0; w < l->nwords; w++) {
		const struct word *wd = &l->words[w];
		size_t n = decode_word(l->arena + wd->off, wd->len, cp);
		if (n < 2)
			continue;
		if (GROW_ARRAY(L->ws, cws, total + n, 16))
			return -1;
		int ok = 1;
		for (size_t k = 0; k < n && ok; k++) {
			char t[7];
			size_t len = char_token(t, cp[k], k > 0);
			uint64_t key;
			uint32_t id = sym_find(L, t, len, &key);
			if (id == UINT32_MAX)
				ok = 0;
			L->ws[total + k] = id;
		}
		if (!ok)
			continue;
		L->woff[L->nw] = total;
		L->wlen[L->nw] = (uint32_t)n;
		L->wcnt[L->nw] = wd->count;
		L->nw++;
		total += n;
	}
	L->wstamp = malloc((L->nw + 1) * sizeof(*L->wstamp));
	if (!L->wstamp)
		return error("out of memory");
	memset(L->wstamp, 0xff, (L->nw + 1) * sizeof(*L->wstamp));
	return 0;
}

/* The alphabet (character tokens, at most max_alphabet characters and the
 * room the vocabulary leaves, in text order) as the first symbols; then
 * the words as symbol ids. */
static int build_alphabet(struct learn *L)
{
	struct vocab_learner *l = L->l;
	uint32_t *cp = malloc(((size_t)l->o.max_chars_per_word + 1) * sizeof(*cp));
	struct sym *cs = NULL; /* candidate character tokens */
	size_t ncs = 0;
	int rc = -1;
	if (!cp) {
		error("out of memory");
		goto out;
	}
	if (count_chars(L, cp, &cs, &ncs))
		goto out;
	size_t keep = ncs;
	if (l->o.max_alphabet) {
		/* on success the kept tokens are cs[0..k), the others freed */
		int64_t k = limit_alphabet(l, cs, ncs);
		if (k < 0)
			goto out;
		keep = (size_t)k;
	}
	size_t room = l->o.vocab_size - NSPECIAL;
	if (keep > room) {
		qsort(cs, keep, sizeof(*cs), cmp_freq_then_str);
		for (size_t i = room; i < keep; i++)
			free(cs[i].text);
		keep = room;
	}
	l->st.dropped_alphabet = (uint32_t)(ncs - keep);
	ncs = keep;
	if (ncs) /* cs is NULL for an empty learner: qsort(NULL, 0) is undefined */
		qsort(cs, ncs, sizeof(*cs), cmp_str);
	for (size_t i = 0; i < ncs; i++) {
		if (sym_add(L, cs[i].text, cs[i].len, cs[i].freq) < 0)
			goto out;
		free(cs[i].text);
		cs[i].text = NULL;
	}
	ncs = 0;
	l->st.alphabet = (uint32_t)L->nsym;
	rc = words_as_symbols(L, cp);
out:
	for (size_t i = 0; i < ncs; i++)
		free(cs[i].text);
	free(cs);
	free(cp);
	return rc;
}

static int count_pairs(struct learn *L)
{
	if (u64map_init(&L->pmap, 1 << 16) < 0)
		return -1;
	for (size_t w = 0; w < L->nw; w++) {
		const uint32_t *s = L->ws + L->woff[w];
		for (uint32_t k = 0; k + 1 < L->wlen[w]; k++) {
			uint32_t p = pair_of(L, s[k], s[k + 1]);
			if (p == UINT32_MAX)
				return -1;
			L->pairs[p].count += (int64_t)L->wcnt[w];
			if (pair_note_word(&L->pairs[p], (uint32_t)w) < 0)
				return -1;
		}
	}
	for (size_t p = 0; p < L->npairs; p++)
		if (heap_push(L, L->pairs[p].count, L->pairs[p].a, L->pairs[p].b) < 0)
			return -1;
	return 0;
}

/* Replaces every (a, b) in word w by x; keeps pair counts and lists right. */
static int merge_word(struct learn *L, uint32_t w, uint32_t a, uint32_t b, uint32_t x,
		      uint64_t step)
{
	uint32_t *s = L->ws + L->woff[w];
	uint32_t n = L->wlen[w];
	int64_t c = (int64_t)L->wcnt[w];
	int found = 0;
	for (uint32_t k = 0; k + 1 < n && !found; k++)
		found = s[k] == a && s[k + 1] == b;
	if (!found)
		return 0;
	for (uint32_t k = 0; k + 1 < n; k++)
		L->pairs[u64map_get(&L->pmap, (uint64_t)s[k] << 32 | s[k + 1])].count -= c;
	uint32_t j = 0;
	for (uint32_t k = 0; k < n;) {
		if (k + 1 < n && s[k] == a && s[k + 1] == b) {
			s[j++] = x;
			k += 2;
		} else {
			s[j++] = s[k++];
		}
	}
	L->wlen[w] = j;
	for (uint32_t k = 0; k + 1 < j; k++) {
		uint32_t p = pair_of(L, s[k], s[k + 1]);
		if (p == UINT32_MAX)
			return -1;
		struct pair *pp = &L->pairs[p];
		pp->count += c;
		if (s[k] != x && s[k + 1] != x)
			continue;
		if (pair_note_word(pp, w) < 0)
			return -1;
		if (pp->pushed != step) {
			pp->pushed = step;
			if (GROW_ARRAY(L->touched, L->ctouched, L->ntouched + 1, 16))
				return -1;
			L->touched[L->ntouched++] = p;
		}
	}
	return 0;
}

static int learn(struct vocab_learner *l)
{
	struct learn L = {.l = l};
	int rc = -1;
	l->st.unique_words = l->nwords;
	if (u64map_init(&L.smap, 1 << 14) < 0)
		goto out;
	if (build_alphabet(&L) < 0 || count_pairs(&L) < 0)
		goto out;
	/* the word map and counts are no longer needed */
	u64map_free(&l->wmap);
	size_t room = l->o.vocab_size - NSPECIAL;
	uint32_t first_merged = (uint32_t)L.nsym;
	char *buf = NULL;
	size_t cbuf = 0;
	for (uint64_t step = 0; L.nsym < room && L.nheap;) {
		struct heap_item top = heap_pop(&L);
		uint32_t p = u64map_get(&L.pmap, (uint64_t)top.a << 32 | top.b);
		int64_t cur = L.pairs[p].count;
		if (cur != top.count) {
			if (cur > 0 && cur < top.count && heap_push(&L, cur, top.a, top.b) < 0)
				goto out_buf;
			continue;
		}
		if (cur <= 0 || (uint64_t)cur < l->o.min_frequency)
			break;
		/* the new token: left text + right text without its "##" */
		const struct sym *sa = &L.sym[top.a], *sb = &L.sym[top.b];
		size_t len = sa->len + sb->len - 2;
		if (GROW_ARRAY(buf, cbuf, len + 1, 16))
			goto out_buf;
		memcpy(buf, sa->text, sa->len);
		memcpy(buf + sa->len, sb->text + 2, sb->len - 2);
		uint64_t key;
		uint32_t x = sym_find(&L, buf, len, &key);
		if (x == UINT32_MAX) {
			int64_t id = sym_add(&L, buf, len, 0);
			if (id < 0)
				goto out_buf;
			x = (uint32_t)id;
		}
		step++;
		l->st.last_merge_count = (uint64_t)cur;
		/* the list may not grow while we walk it: new pairs all hold x */
		struct pair *pp = &L.pairs[p];
		uint32_t *where = pp->where;
		size_t nwhere = pp->nwhere;
		pp->where = NULL;
		pp->nwhere = pp->cwhere = 0;
		L.ntouched = 0;
		for (size_t i = 0; i < nwhere; i++) {
			uint32_t w = where[i];
			if (L.wstamp[w] == step)
				continue;
			L.wstamp[w] = step;
			if (merge_word(&L, w, top.a, top.b, x, step) < 0) {
				free(where);
				goto out_buf;
			}
		}
		free(where);
		for (size_t i = 0; i < L.ntouched; i++) {
			const struct pair *q = &L.pairs[L.touched[i]];
			if (q->count > 0 && heap_push(&L, q->count, q->a, q->b) < 0)
				goto out_buf;
		}
	}
	l->st.merges = (uint32_t)(L.nsym - first_merged);
	l->tokens = malloc((L.nsym + 1) * sizeof(*l->tokens));
	if (!l->tokens) {
		error("out of memory");
		goto out_buf;
	}
	for (size_t i = 0; i < L.nsym; i++) {
		l->tokens[i] = L.sym[i].text; /* ownership moves to l */
		L.sym[i].text = NULL;
	}
	l->ntokens = L.nsym;
	l->st.size = (uint32_t)(NSPECIAL + L.nsym);
	rc = 0;
out_buf:
	free(buf);
out:
	learn_free(&L);
	return rc;
}

int vocab_learner_save(struct vocab_learner *l, struct afile *af)
{
	if (l->failed) {
		error("cannot write '%s': learning failed earlier", af->path);
		afile_abort(af);
		return -1;
	}
	if (!l->learned) {
		if (learn(l) < 0) {
			l->failed = 1;
			afile_abort(af);
			return -1;
		}
		l->learned = 1;
	}
	for (int k = 0; k < NSPECIAL; k++)
		fprintf(af->fp, "%s\n", SPECIALS[k]);
	for (size_t i = 0; i < l->ntokens; i++)
		fprintf(af->fp, "%s\n", l->tokens[i]);
	if (ferror(af->fp)) {
		error("cannot write '%s'", af->path);
		afile_abort(af);
		return -1;
	}
	return afile_commit(af);
}

int vocab_learner_write(struct vocab_learner *l, const char *path)
{
	if (l->failed)
		return error("cannot write '%s': learning failed earlier", path);
	struct afile af;
	if (afile_open(&af, path) < 0)
		return -1;
	return vocab_learner_save(l, &af);
}
