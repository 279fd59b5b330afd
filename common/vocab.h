/* vocab.h - a WordPiece vocabulary (BERT vocab.txt: one token per line, the
 * id is the 0-based line number).
 *
 * Loading validates UTF-8 and reports duplicates as "file:line: reason".
 * The vocabulary hash (hash64 of the file's bytes) travels with every
 * artifact made from it, so a model never meets ids of another vocabulary.
 */
#ifndef RNNPIPE_VOCAB_H
#define RNNPIPE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

struct vocab;

/* Special token ids, -1 where the vocabulary lacks the token.  Found by
 * name: [PAD] [UNK] [CLS] [SEP] [MASK]. */
struct vocab_specials {
	int32_t pad, unk, cls, sep, mask;
};

/* Loads path; NULL after error() (missing file, bad UTF-8, empty, no [UNK],
 * duplicates). Free with vocab_free(). */
struct vocab *vocab_load(const char *path);
/* vocab_load(), and *text (malloc'd, NUL at [*len]) the bytes it parsed:
 * one read, so the text is the vocabulary that was checked (train embeds
 * it in the model).  The bytes hold no NUL (a token with one is refused). */
struct vocab *vocab_load_text(const char *path, char **text, size_t *len);
/* The same from a copy of data[0..len), the bytes of a vocab.txt (e.g.
 * embedded in a model file); name is used in messages.  The hash is that
 * of the bytes, as for a file. */
struct vocab *vocab_load_buffer(const char *name, const char *data, size_t len);
void vocab_free(struct vocab *v);

uint32_t vocab_size(const struct vocab *v);
uint64_t vocab_hash(const struct vocab *v);
struct vocab_specials vocab_specials(const struct vocab *v);

/* Id of the token spelled by s[0..len), or -1. */
int32_t vocab_id(const struct vocab *v, const char *s, size_t len);
/* Token text of id (NUL-terminated, owned by v), or NULL when out of range. */
const char *vocab_token(const struct vocab *v, uint32_t id);

#endif
