/* toksynth.h - synthetic token-record files for tests and benchmarks, shaped
 * like tokenized Kinopoisk reviews (tokfile.h format).
 *
 * Full lengths are log-normal (defaults measured on the 500-review sample:
 * median 646 tokens, 94% over 256), ids follow a Zipf law over a
 * mBERT-sized vocabulary, or are drawn from real id sequences (a JSONL file
 * with an "ids_full" or "ids" array per line).  Deterministic for a seed.
 * Not a tokenizer: the text of each record is a short placeholder.
 */
#ifndef RNNPIPE_TOKSYNTH_H
#define RNNPIPE_TOKSYNTH_H

#include <stdint.h>

struct toksynth_opts {
	uint64_t seed;
	uint64_t count;       /* records */
	int split;            /* enum tok_split stored in each record */
	uint32_t max_len;     /* truncation (head), 0 = none */
	uint32_t vocab_size;  /* ids in [0, vocab_size) */
	double len_mu, len_sigma; /* log-normal of the full token count */
	double zipf_s;        /* Zipf exponent of the piece ids */
	int n_labels;         /* 2: negative/positive, 3: adds neutral */
	double pos_fraction;  /* share of the last label ("positive") */
	const char *ids_from; /* NULL, or JSONL of real id sequences */
};
/* seed 1, 1000 records, no split, max_len 256, vocab 119547, lengths
 * exp(N(6.47, 0.59)), Zipf 1.1, 2 labels, 72% positive (as the dumps) */
#define TOKSYNTH_OPTS_DEFAULT {1, 1000, 0, 256, 119547, 6.47, 0.59, 1.1, 2, 0.72, NULL}

/* The special ids written to the metadata ([PAD] 0, [UNK] 100, [CLS] 101,
 * [SEP] 102, as mBERT). */
enum { TOKSYNTH_PAD = 0, TOKSYNTH_UNK = 100, TOKSYNTH_CLS = 101, TOKSYNTH_SEP = 102 };

/* The review hash of record i (unique over seeds, splits and i). */
uint64_t toksynth_hash(uint64_t seed, int split, uint64_t i);

/* Writes path atomically (tokwriter).  Returns 0 or -1 after error(). */
int toksynth_write(const char *path, const struct toksynth_opts *o);

#endif
