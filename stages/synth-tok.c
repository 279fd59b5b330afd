/* synth-tok - writes a synthetic token-record file (toksynth.h) shaped like
 * tokenized reviews, for tests and benchmarks of the later stages
 * (pack-hdf5, the batch reader, train) without the tokenizer or real data.
 * Deterministic for a seed; the texts are placeholders.
 */
#include <stdlib.h>

#include "error.h"
#include "opts.h"
#include "stage.h"
#include "tokfile.h"
#include "toksynth.h"

int main(int argc, char **argv)
{
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	long count = (long)o.count, seed = 1, max_len = o.max_len, vocab = o.vocab_size,
	     labels = o.n_labels;
	double mu = o.len_mu, sigma = o.len_sigma, zipf = o.zipf_s, pos = o.pos_fraction;
	const char *split = NULL, *ids_from = NULL;
	const struct opt opts[] = {
		{"count", OPT_INT, &count, "N", "records to write", 0, 1e9},
		{"seed", OPT_INT, &seed, "N", "random seed", 0, 9e18},
		{"split", OPT_CHOICE, &split, "train|validation|test",
		 "split stored in each record (default: none)", 0, 0},
		{"max-len", OPT_INT, &max_len, "N", "truncate to N ids (0 = none)", 0, 1 << 20},
		{"vocab-size", OPT_INT, &vocab, "N", "vocabulary size", 2000, 1 << 30},
		{"len-mu", OPT_DOUBLE, &mu, "X", "mean of log(full length)", 0, 20},
		{"len-sigma", OPT_DOUBLE, &sigma, "X", "sd of log(full length)", 0, 5},
		{"zipf", OPT_DOUBLE, &zipf, "S", "Zipf exponent of the ids", 0.1, 5},
		{"labels", OPT_INT, &labels, "N", "2 (negative, positive) or 3 (+ neutral)", 2, 3},
		{"positive", OPT_DOUBLE, &pos, "P", "share of positive reviews", 0, 1},
		{"ids-from", OPT_STR, &ids_from, "JSONL",
		 "draw id sequences from this file (\"ids_full\" or \"ids\" per line)", 0, 0},
		{NULL},
	};
	const struct opts_program prog = {
		"synth-tok", "[OPTIONS] OUT.tok",
		"Writes a synthetic token-record file (log-normal lengths, Zipf ids) for\n"
		"tests and benchmarks.",
		opts, 1, 1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, NULL);
	o.count = (uint64_t)count;
	o.seed = (uint64_t)seed;
	o.split = split ? tok_split_parse(split) : 0;
	o.max_len = (uint32_t)max_len;
	o.vocab_size = (uint32_t)vocab;
	o.len_mu = mu;
	o.len_sigma = sigma;
	o.zipf_s = zipf;
	o.n_labels = (int)labels;
	o.pos_fraction = pos;
	o.ids_from = ids_from;
	return toksynth_write(args[0], &o) ? EXIT_FAIL : EXIT_OK;
}
