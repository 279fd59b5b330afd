/* vocab_learn_speed.c - times vocabulary learning on real review texts and
 * checks the result: counting, learning + writing, then re-tokenising every
 * text with the learned vocab.txt to count [UNK] pieces (expected 0 when the
 * alphabet is complete).  Reads the texts of the dumps given (any dump
 * learn-vocab takes) into memory first; writes vocab.txt to OUT and one
 * result line (JSON) to stdout.  Not part of the tests.
 *
 *   make build/bench/vocab_learn_speed   (or: make bench-tools)
 *   build/bench/vocab_learn_speed [-s SIZE] [-f MIN_FREQ] OUT/vocab.txt DUMP...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "texts.h"
#include "vocab.h"
#include "vocab_learn.h"
#include "wordpiece.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-s SIZE] [-f MIN_FREQ] OUT/vocab.txt DUMP...\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	error_set_prog(argv[0]);
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	for (int c; (c = getopt(argc, argv, "s:f:")) != -1;) {
		if (c == 's')
			o.vocab_size = (uint32_t)atol(optarg);
		else if (c == 'f')
			o.min_frequency = (uint64_t)atoll(optarg);
		else
			return usage(argv[0]);
	}
	if (argc - optind < 2)
		return usage(argv[0]);
	const char *out = argv[optind];
	struct texts texts = {0};
	for (int i = optind + 1; i < argc; i++)
		if (texts_load(&texts, argv[i]) < 0)
			return 1;
	size_t nt = texts.n, bytes = texts.bytes;
	const struct text *t = texts.v;
	double t0 = now();
	struct vocab_learner *l = vocab_learner_new(&o);
	if (!l)
		return 1;
	for (size_t i = 0; i < nt; i++)
		if (vocab_learner_add(l, t[i].s, t[i].len, NULL) < 0)
			return 1;
	double t1 = now();
	if (vocab_learner_write(l, out) < 0)
		return 1;
	double t2 = now();
	struct vocab_learn_stats st = vocab_learner_stats(l);
	vocab_learner_free(l);

	struct vocab *v = vocab_load(out);
	if (!v)
		return 1;
	struct wordpiece *wp = wordpiece_new(v, NULL);
	struct idvec ids = {0};
	size_t unk = 0, pieces = 0;
	uint32_t unk_id = (uint32_t)vocab_specials(v).unk;
	double t3 = now();
	for (size_t i = 0; i < nt; i++) {
		ids.n = 0;
		if (wordpiece_encode(wp, t[i].s, t[i].len, &ids, NULL, NULL) != WP_OK)
			return 1;
		for (size_t k = 0; k < ids.n; k++)
			unk += ids.v[k] == unk_id;
		pieces += ids.n;
	}
	double t4 = now();
	printf("{\"texts\": %zu, \"mb\": %.2f, \"count_s\": %.2f, \"learn_write_s\": %.2f, "
	       "\"words\": %llu, \"long_words\": %llu, \"unique_words\": %llu, "
	       "\"alphabet\": %u, \"dropped_alphabet\": %u, \"merges\": %u, \"size\": %u, "
	       "\"last_merge_count\": %llu, \"encode_s\": %.2f, \"pieces\": %zu, "
	       "\"unk_pieces\": %zu}\n",
	       nt, bytes / 1e6, t1 - t0, t2 - t1, (unsigned long long)st.words,
	       (unsigned long long)st.long_words, (unsigned long long)st.unique_words, st.alphabet,
	       st.dropped_alphabet, st.merges, st.size, (unsigned long long)st.last_merge_count,
	       t4 - t3, pieces, unk);
	idvec_free(&ids);
	wordpiece_free(wp);
	vocab_free(v);
	texts_free(&texts);
	return 0;
}
