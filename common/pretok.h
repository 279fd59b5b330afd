/* pretok.h - BERT text cleaning and pre-tokenisation, as Hugging Face's fast
 * BertTokenizer does it (BertNormalizer without lower-casing or accent
 * stripping, then BertPreTokenizer), streamed word by word to a callback.
 *
 * Shared by wordpiece.c (which turns each word into pieces) and
 * vocab_learn.c (which counts the words), so a learned vocabulary always
 * sees the same words the tokenizer will.  No allocation per character or
 * per word; the word buffer is reused.  Rules: docs/tokenizer.md.
 */
#ifndef RNNPIPE_PRETOK_H
#define RNNPIPE_PRETOK_H

#include <stddef.h>
#include <stdint.h>

#define PRETOK_MAX_SPECIALS 8

/* A literal special token to cut out of raw text before cleaning ("[SEP]"):
 * Hugging Face matches registered special tokens on the raw input. */
struct pretok_special {
	char text[16];
	uint32_t len;
	int32_t id;
};

struct pretok {
	int max_chars; /* words longer than this are reported, not stored */
	int nfc;       /* 1: NFC after cleaning (the slow Python tokenizer) */
	int n_special;
	struct pretok_special special[PRETOK_MAX_SPECIALS];
	uint32_t *cp; /* (max_chars + 1) code points of the current word */
	char *nbuf;   /* cleaned segment, NFC path only */
	size_t ncap;
};

/* Called once per word in text order.  For a plain word: cp holds its first
 * min(n, max_chars + 1) code points, n is its length in code points (n >
 * max_chars means "too long", and cp is then incomplete), special = -1.  For
 * a literal special token: cp = NULL, n = 0, special = its id.  Returns 0 to
 * go on, -1 to stop (pretok_run then returns -1). */
typedef int (*pretok_word_fn)(void *ctx, const uint32_t *cp, size_t n, int32_t special);

/* Sets up p (max_chars > 0).  specials may be NULL when n_special is 0;
 * entries with id < 0 are ignored; each text must start with '[' (the scan
 * for them is a memchr for '[') and be at most 15 bytes.  Matching is
 * leftmost, first listed wins.  Returns 0 or -1 (error()). */
int pretok_init(struct pretok *p, int max_chars, int nfc,
		const struct pretok_special *specials, int n_special);
void pretok_free(struct pretok *p);

/* Splits text[0..len) into words and calls fn for each.  If text_hash is not
 * NULL it receives hash64 of the words joined by single spaces (special
 * tokens by their text).  Returns 0; WP_BAD_UTF8 (wordpiece.h) with
 * *bad_offset set to the byte offset of the first invalid sequence, after
 * fn may already have seen the words before it; -1 when fn stopped or on
 * out of memory.  Thread-safe for distinct pretok objects. */
int pretok_run(struct pretok *p, const char *text, size_t len, pretok_word_fn fn, void *ctx,
	       uint64_t *text_hash, size_t *bad_offset);

/* Byte offset of the first invalid UTF-8 sequence of s[0..len), or len. */
size_t utf8_check(const char *s, size_t len);

/* Character classes of the cleaning and splitting rules. */
enum { PRETOK_WORD = 0, PRETOK_SPACE = 1, PRETOK_DROP = 2, PRETOK_ISOLATE = 3 };
/* Class of one code point (what pretok_run does with it). */
int pretok_class(uint32_t cp);

#endif
