/* wordpiece_speed.c - single-thread (or N-thread) WordPiece throughput on
 * real review texts: MB of text per second through wordpiece_encode() with
 * the text hash on (as the tokenize stage runs it) and wordpiece_frame().
 * Reads the texts of the dumps given (any dump tokenize takes) into memory
 * first; writes one result line (JSON) to stdout.  Not part of the tests.
 *
 *   make build/bench/wordpiece_speed   (or: make bench-tools)
 *   build/bench/wordpiece_speed [-p PASSES] [-t THREADS] VOCAB DUMP...
 *
 * e.g. the shared dumps: VOCAB ../shared/data/kinopoisk/dumps/reviews-*
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "texts.h"
#include "vocab.h"
#include "wordpiece.h"

static struct texts texts;
static const struct vocab *voc;
static int passes = 1, threads = 1;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct job {
	size_t from, to;
	size_t pieces;
	uint64_t hash_xor;
	int bad;
};

static void *run(void *arg)
{
	struct job *j = arg;
	struct wordpiece *wp = wordpiece_new(voc, NULL);
	struct vocab_specials sp = vocab_specials(voc);
	struct idvec pieces = {0}, ids = {0};
	for (int p = 0; p < passes; p++) {
		for (size_t i = j->from; i < j->to; i++) {
			uint64_t h;
			size_t bad;
			pieces.n = 0;
			if (wordpiece_encode(wp, texts.v[i].s, texts.v[i].len, &pieces, &h, &bad) != WP_OK) {
				j->bad++;
				continue;
			}
			wordpiece_frame(pieces.v, pieces.n, 256, TRUNC_HEAD, sp.cls, sp.sep, &ids);
			j->pieces += pieces.n;
			j->hash_xor ^= h;
		}
	}
	idvec_free(&pieces);
	idvec_free(&ids);
	wordpiece_free(wp);
	return NULL;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-p PASSES] [-t THREADS] VOCAB DUMP...\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	error_set_prog(argv[0]);
	for (int c; (c = getopt(argc, argv, "p:t:")) != -1;) {
		if (c == 'p')
			passes = atoi(optarg);
		else if (c == 't')
			threads = atoi(optarg);
		else
			return usage(argv[0]);
	}
	if (argc - optind < 2 || passes < 1 || threads < 1 || threads > 64)
		return usage(argv[0]);
	double t0 = now();
	struct vocab *v = vocab_load(argv[optind]);
	if (!v)
		return 1;
	voc = v;
	double t1 = now();
	for (int i = optind + 1; i < argc; i++)
		if (texts_load(&texts, argv[i]) < 0)
			return 1;

	struct job jobs[64];
	pthread_t tid[64];
	double t2 = now();
	for (int k = 0; k < threads; k++) {
		jobs[k] = (struct job){texts.n * k / threads, texts.n * (k + 1) / threads, 0, 0, 0};
		pthread_create(&tid[k], NULL, run, &jobs[k]);
	}
	size_t pieces = 0;
	int bad = 0;
	uint64_t hx = 0;
	for (int k = 0; k < threads; k++) {
		pthread_join(tid[k], NULL);
		pieces += jobs[k].pieces;
		bad += jobs[k].bad;
		hx ^= jobs[k].hash_xor;
	}
	double t3 = now();
	double mb = (double)texts.bytes * passes / 1e6, s = t3 - t2;
	printf("{\"texts\": %zu, \"mb\": %.2f, \"passes\": %d, \"threads\": %d, \"seconds\": %.3f, "
	       "\"mb_per_s\": %.2f, \"mb_per_s_per_thread\": %.2f, \"pieces\": %zu, "
	       "\"pieces_per_s\": %.0f, \"bad_utf8\": %d, \"vocab_load_s\": %.3f, "
	       "\"hash_xor\": \"%016llx\"}\n",
	       texts.n, mb, passes, threads, s, mb / s, mb / s / threads, pieces, pieces / s, bad,
	       t1 - t0, (unsigned long long)hx);
	vocab_free(v);
	texts_free(&texts);
	return 0;
}
