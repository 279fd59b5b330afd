/* pretok.c - BERT cleaning and pre-tokenisation (see pretok.h and
 * docs/tokenizer.md).  One pass over the bytes: decode (ASCII and 2-byte
 * sequences inline, longer ones through utf8proc_iterate), classify through
 * a 64 Ki table built once from utf8proc categories, append to the current
 * word or cut it.  Reads text only; knows nothing of vocabularies.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "error.h"
#include "grow.h"
#include "hash.h"
#include "pretok.h"
#include "wordpiece.h"

/* ---- character classes ---- */

/* Rust's char::is_whitespace (the White_Space property). */
static int is_rust_whitespace(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/* The CJK ranges of the Rust tokenizers' BertNormalizer (its extension range
 * starts at U+2B920, not U+2B820 as in the Python tokenizer). */
static int is_cjk(uint32_t c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2b73f) ||
	       (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b920 && c <= 0x2ceaf) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

static int class_compute(uint32_t c)
{
	/* Cleaning filters first (U+0000, U+FFFD, "other" = Cc Cf Co except
	 * \t \n \r), then maps whitespace to a space. */
	if (c == 0 || c == 0xfffd)
		return PRETOK_DROP;
	if (c == '\t' || c == '\n' || c == '\r')
		return PRETOK_SPACE;
	utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)c);
	if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
	    cat == UTF8PROC_CATEGORY_CO)
		return PRETOK_DROP;
	if (is_rust_whitespace(c))
		return PRETOK_SPACE;
	if (is_cjk(c))
		return PRETOK_ISOLATE;
	if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
	    (c >= 123 && c <= 126))
		return PRETOK_ISOLATE;
	switch (cat) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
		return PRETOK_ISOLATE;
	default:
		return PRETOK_WORD;
	}
}

static uint8_t bmp_class[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_init(void)
{
	for (uint32_t c = 0; c < 0x10000; c++)
		bmp_class[c] = (uint8_t)class_compute(c);
}

int pretok_class(uint32_t cp)
{
	pthread_once(&bmp_once, bmp_init);
	return cp < 0x10000 ? bmp_class[cp] : class_compute(cp);
}

/* ---- UTF-8 ---- */

/* Decodes one sequence at s[0..avail) (s[0] >= 0x80); returns its length, or
 * 0 when invalid (overlong, surrogate, above U+10FFFF, truncated). */
static inline size_t decode_multi(const unsigned char *s, size_t avail, uint32_t *cp)
{
	if (s[0] >= 0xc2 && s[0] <= 0xdf && avail >= 2 && (s[1] & 0xc0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)avail, &c);
	if (k <= 0)
		return 0;
	*cp = (uint32_t)c;
	return (size_t)k;
}

size_t utf8_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = decode_multi(s + i, len - i, &cp);
		if (!k)
			return i;
		i += k;
	}
	return len;
}

/* ---- the word loop ---- */

/* FNV-1a step, identical to hash64_update() (hash.c), inlined for speed. */
static inline uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct hstate {
	uint64_t h;
	int on;  /* a hash was asked for */
	int any; /* a word was hashed already (next one needs a space) */
};

static inline void hash_word_start(struct hstate *hs)
{
	if (hs->any)
		hs->h = fnv(hs->h, (const unsigned char *)" ", 1);
	hs->any = 1;
}

/* Words of one segment (text without special tokens).  base = offset of s
 * in the caller's text, for *bad_offset. */
static int run_segment(struct pretok *p, const char *str, size_t len, size_t base,
		       pretok_word_fn fn, void *ctx, struct hstate *hs, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)str;
	const size_t cap = (size_t)p->max_chars + 1;
	uint32_t *w = p->cp;
	size_t nw = 0, i = 0;
	while (i < len) {
		uint32_t cp = s[i];
		size_t k = 1;
		int cls;
		if (cp < 0x80) {
			cls = bmp_class[cp];
		} else {
			k = decode_multi(s + i, len - i, &cp);
			if (!k) {
				if (bad_offset)
					*bad_offset = base + i;
				return WP_BAD_UTF8;
			}
			cls = cp < 0x10000 ? bmp_class[cp] : class_compute(cp);
		}
		switch (cls) {
		case PRETOK_WORD:
			if (hs->on) {
				if (!nw)
					hash_word_start(hs);
				hs->h = fnv(hs->h, s + i, k);
			}
			if (nw < cap)
				w[nw] = cp;
			nw++;
			break;
		case PRETOK_SPACE:
			if (nw) {
				if (fn(ctx, w, nw, -1) < 0)
					return -1;
				nw = 0;
			}
			break;
		case PRETOK_DROP:
			break;
		default: /* PRETOK_ISOLATE: punctuation or CJK, a word of its own */
			if (nw && fn(ctx, w, nw, -1) < 0)
				return -1;
			if (hs->on) {
				hash_word_start(hs);
				hs->h = fnv(hs->h, s + i, k);
			}
			w[0] = cp;
			nw = 0;
			if (fn(ctx, w, 1, -1) < 0)
				return -1;
			break;
		}
		i += k;
	}
	if (nw && fn(ctx, w, nw, -1) < 0)
		return -1;
	return 0;
}

/* NFC path: clean s (drop, whitespace to space) into p->nbuf, compose, then
 * split the result. */
static int run_segment_nfc(struct pretok *p, const char *str, size_t len, size_t base,
			   pretok_word_fn fn, void *ctx, struct hstate *hs, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)str;
	if (GROW_ARRAY(p->nbuf, p->ncap, len + 1, 256))
		return -1;
	size_t n = 0, i = 0;
	while (i < len) {
		uint32_t cp = s[i];
		size_t k = 1;
		if (cp >= 0x80) {
			k = decode_multi(s + i, len - i, &cp);
			if (!k) {
				if (bad_offset)
					*bad_offset = base + i;
				return WP_BAD_UTF8;
			}
		}
		int cls = pretok_class(cp);
		if (cls == PRETOK_SPACE)
			p->nbuf[n++] = ' ';
		else if (cls != PRETOK_DROP) {
			memcpy(p->nbuf + n, s + i, k);
			n += k;
		}
		i += k;
	}
	if (!n)
		return 0;
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)p->nbuf, (utf8proc_ssize_t)n,
					  &dst, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (m == UTF8PROC_ERROR_NOMEM)
		return error("out of memory (NFC normalisation)");
	if (m < 0)
		return error("NFC normalisation failed: %s", utf8proc_errmsg(m));
	int rc = run_segment(p, (const char *)dst, (size_t)m, base, fn, ctx, hs, bad_offset);
	free(dst);
	return rc;
}

int pretok_run(struct pretok *p, const char *text, size_t len, pretok_word_fn fn, void *ctx,
	       uint64_t *text_hash, size_t *bad_offset)
{
	struct hstate hs = {HASH64_SEED, text_hash != NULL, 0};
	int (*seg)(struct pretok *, const char *, size_t, size_t, pretok_word_fn, void *,
		   struct hstate *, size_t *) = p->nfc ? run_segment_nfc : run_segment;
	size_t start = 0, at = 0;
	int rc = 0;
	while (p->n_special && at < len) {
		const char *br = memchr(text + at, '[', len - at);
		if (!br)
			break;
		size_t j = (size_t)(br - text);
		const struct pretok_special *hit = NULL;
		for (int k = 0; k < p->n_special && !hit; k++) {
			const struct pretok_special *sp = &p->special[k];
			if (sp->len <= len - j && !memcmp(text + j, sp->text, sp->len))
				hit = sp;
		}
		if (!hit) {
			at = j + 1;
			continue;
		}
		if (j > start && (rc = seg(p, text + start, j - start, start, fn, ctx, &hs,
					   bad_offset)) != 0)
			return rc;
		if (hs.on) {
			hash_word_start(&hs);
			hs.h = fnv(hs.h, (const unsigned char *)hit->text, hit->len);
		}
		if (fn(ctx, NULL, 0, hit->id) < 0)
			return -1;
		start = at = j + hit->len;
	}
	if (start < len && (rc = seg(p, text + start, len - start, start, fn, ctx, &hs,
				     bad_offset)) != 0)
		return rc;
	if (text_hash)
		*text_hash = hash64_final(hs.h);
	return 0;
}

/* ---- set-up ---- */

int pretok_init(struct pretok *p, int max_chars, int nfc,
		const struct pretok_special *specials, int n_special)
{
	memset(p, 0, sizeof(*p));
	pthread_once(&bmp_once, bmp_init);
	if (max_chars <= 0)
		return error("max characters per word must be positive (got %d)", max_chars);
	p->max_chars = max_chars;
	p->nfc = nfc;
	for (int k = 0; k < n_special; k++) {
		if (specials[k].id < 0)
			continue;
		if (specials[k].len == 0 || specials[k].len >= sizeof(specials[k].text) ||
		    specials[k].text[0] != '[')
			return error("special token '%.16s' must start with '[' (at most 15 bytes)",
				     specials[k].text);
		if (p->n_special == PRETOK_MAX_SPECIALS)
			return error("too many special tokens (at most %d)", PRETOK_MAX_SPECIALS);
		p->special[p->n_special++] = specials[k];
	}
	p->cp = malloc(((size_t)max_chars + 1) * sizeof(*p->cp));
	if (!p->cp)
		return error("out of memory (word buffer of %d characters)", max_chars);
	return 0;
}

void pretok_free(struct pretok *p)
{
	free(p->cp);
	free(p->nbuf);
	memset(p, 0, sizeof(*p));
}
