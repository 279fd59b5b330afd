/* wordpiece.h - BERT tokenization, token for token as Hugging Face's fast
 * BertTokenizer (cased: no lower-casing, no accent stripping; see
 * docs/tokenizer.md for the rules and ../shared/docs/tokenizer-compat.md).
 *
 * Pipeline per text: validate UTF-8 -> clean (drop controls, U+FFFD, U+0000;
 * whitespace to space) -> spaces around CJK -> split on whitespace and
 * punctuation -> greedy longest-match WordPiece per word ("##" pieces; a word
 * with an unmatched position or over max_chars code points is one [UNK]).
 * Literal special tokens in the text ("[SEP]") map to their ids.
 */
#ifndef RNNPIPE_WORDPIECE_H
#define RNNPIPE_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

/* A growable id array. */
struct idvec {
	uint32_t *v;
	size_t n, cap;
};
int idvec_push(struct idvec *a, uint32_t id);
void idvec_free(struct idvec *a);

struct wordpiece_opts {
	int max_chars_per_word; /* 100, as BERT */
	int nfc;                /* 1: NFC-normalise first (the slow Python
				   tokenizer's behaviour); 0: as the fast one */
};
#define WORDPIECE_OPTS_DEFAULT {100, 0}

struct wordpiece;
/* The vocab must outlive the tokenizer.  NULL after error(). */
struct wordpiece *wordpiece_new(const struct vocab *v, const struct wordpiece_opts *o);
void wordpiece_free(struct wordpiece *wp);

enum { WP_OK = 0, WP_BAD_UTF8 = -2 };

/* Encodes text[0..len) and appends its word-piece ids (no [CLS]/[SEP]) to
 * out (out->n is NOT reset).  If text_hash is not NULL it receives hash64 of
 * the pre-tokenized words joined by single spaces: the "normalised text"
 * used for duplicate detection and split assignment (whitespace and control
 * characters do not change it).
 * Returns WP_OK; WP_BAD_UTF8 with *bad_offset = byte offset of the first
 * invalid sequence (nothing appended); -1 on out of memory (error()).
 * Thread-safe for distinct wordpiece objects; one object is not shared. */
int wordpiece_encode(struct wordpiece *wp, const char *text, size_t len,
		     struct idvec *out, uint64_t *text_hash, size_t *bad_offset);

enum trunc_side { TRUNC_HEAD = 0, TRUNC_TAIL = 1, TRUNC_HEAD_TAIL = 2 };
/* "head" | "tail" | "head+tail" -> enum, -1 when unknown. */
int trunc_side_parse(const char *s);
const char *trunc_side_name(int side);

/* Writes [CLS] pieces [SEP] into out (reset first), keeping at most
 * max_len ids including the two specials (max_len 0 = no truncation).
 * TRUNC_HEAD keeps the first pieces (as Hugging Face), TRUNC_TAIL the last,
 * TRUNC_HEAD_TAIL the first quarter and the last three quarters of the room
 * (reviews often end with their verdict).  Returns 0 or -1 (error()). */
int wordpiece_frame(const uint32_t *pieces, size_t n, uint32_t max_len, int side,
		    int32_t cls_id, int32_t sep_id, struct idvec *out);

#endif
