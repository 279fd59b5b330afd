/* vocab_learn.h - learns a WordPiece vocabulary (vocab.txt) from review
 * texts, for users who bring no BERT vocabulary.
 *
 * Texts are cut into words by the tokenizer's own pre-tokenisation
 * (pretok.c), so the learned vocab.txt meets exactly the words that
 * vocab_load() + wordpiece_encode() will see.  The algorithm is the one of
 * Hugging Face's WordPieceTrainer: BPE-style merges over word counts with the
 * "##" continuation prefix, every character of the alphabet included.  The
 * result is deterministic: it depends only on the multiset of words, never on
 * memory addresses or hash-table order (docs/tokenizer.md has the rules).
 *
 * Typical use (a learn-vocab stage):
 *   struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
 *   struct vocab_learner *l = vocab_learner_new(&o);
 *   for each review: vocab_learner_add(l, text, len, &bad)   (WP_BAD_UTF8: report, skip)
 *   vocab_learner_write(l, "artifacts/vocab.txt");
 *   vocab_learner_free(l);
 */
#ifndef RNNPIPE_VOCAB_LEARN_H
#define RNNPIPE_VOCAB_LEARN_H

#include <stddef.h>
#include <stdint.h>

struct vocab_learn_opts {
	uint32_t vocab_size;    /* lines of vocab.txt, the 5 specials included */
	uint64_t min_frequency; /* a merge needs its pair at least this often */
	uint32_t max_alphabet;  /* keep at most this many characters (the most
				   frequent ones); 0 = every character */
	int max_chars_per_word; /* as wordpiece_opts: longer words are skipped
				   (they always encode as one [UNK]) */
	int nfc;                /* as wordpiece_opts.nfc of the tokenizer */
};
#define VOCAB_LEARN_OPTS_DEFAULT {8000, 2, 0, 100, 0}

/* What the learner saw and made (valid after vocab_learner_write()). */
struct vocab_learn_stats {
	uint64_t texts;        /* texts added (bad UTF-8 ones not counted) */
	uint64_t words;        /* word occurrences counted */
	uint64_t long_words;   /* occurrences skipped: over max_chars_per_word */
	uint64_t unique_words; /* distinct words */
	uint32_t alphabet;     /* single-character tokens ("a" and "##a" forms) */
	uint32_t dropped_alphabet; /* character tokens left out by max_alphabet or
				      vocab_size (their words are not learned) */
	uint32_t merges;       /* tokens added by merging */
	uint32_t size;         /* lines written, specials included */
	uint64_t last_merge_count; /* frequency of the last merged pair */
};

struct vocab_learner;

/* NULL after error() (bad options: vocab_size <= 5, max_chars <= 0;
 * out of memory).  o = NULL means VOCAB_LEARN_OPTS_DEFAULT. */
struct vocab_learner *vocab_learner_new(const struct vocab_learn_opts *o);

/* Counts the words of text[0..len).  Returns 0; WP_BAD_UTF8 (nothing of the
 * text counted; *bad_offset, when not NULL, = byte offset of the first
 * invalid sequence); -1 on out of memory (error()).  Literal special tokens
 * ("[SEP]") are not counted: they are in every learned vocabulary. */
int vocab_learner_add(struct vocab_learner *l, const char *text, size_t len,
		      size_t *bad_offset);

/* Learns (once; later calls reuse the result) and writes vocab.txt to path
 * atomically (afile.h): [PAD] [UNK] [CLS] [SEP] [MASK] at ids 0..4, then the
 * alphabet, then the merged tokens in merge order; LF line ends.  Returns 0
 * or -1 (error()). */
int vocab_learner_write(struct vocab_learner *l, const char *path);

struct afile;
/* vocab_learner_write() into af, opened by afile_open() before the texts
 * were read (so an output that cannot be created fails before the work);
 * commits it, or removes it on failure: the afile is released either way. */
int vocab_learner_save(struct vocab_learner *l, struct afile *af);

/* Counters so far; the learning ones are set by vocab_learner_write(). */
struct vocab_learn_stats vocab_learner_stats(const struct vocab_learner *l);

void vocab_learner_free(struct vocab_learner *l);

#endif
