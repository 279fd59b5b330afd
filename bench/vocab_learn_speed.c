/* vocab_learn_speed.c - times vocabulary learning on real review texts and
 * checks the result: counting, learning + writing, then re-tokenising every
 * text with the learned vocab.txt to count [UNK] pieces (expected 0 when the
 * alphabet is complete).  Reads JSONL (plain or gzip) lines with a "text"
 * field (see wordpiece_speed.c for making one from the shared dumps);
 * writes vocab.txt to OUT and one JSON result line to stdout.  Not part of
 * the build or the tests.
 *
 * Build (after `make BUILD=build-wordpiece`):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -pthread -Icommon \
 *      bench/vocab_learn_speed.c build-wordpiece/lib/librnnpipe.a \
 *      $(pkg-config --cflags --libs libutf8proc zlib jansson) -lm \
 *      -o build-wordpiece/vocab_learn_speed
 * Run:
 *   build-wordpiece/vocab_learn_speed TEXTS.jsonl[.gz] OUT/vocab.txt [SIZE] [MIN_FREQ]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <zlib.h>

#include "error.h"
#include "grow.h"
#include "vocab.h"
#include "vocab_learn.h"
#include "wordpiece.h"

struct text {
	char *s;
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct text *load_texts(const char *path, size_t *count, size_t *bytes)
{
	gzFile f = gzopen(path, "rb");
	if (!f) {
		error("cannot open '%s'", path);
		return NULL;
	}
	size_t cap = 0, n = 0, tcap = 0, nt = 0;
	char *line = NULL;
	struct text *t = NULL;
	if (GROW_ARRAY(line, cap, 1 << 16, 1) || GROW_ARRAY(t, tcap, 1, 1024))
		exit(1);
	*bytes = 0;
	for (;;) {
		if (!gzgets(f, line + n, (int)(cap - n))) {
			if (!n)
				break;
		} else {
			n += strlen(line + n);
			if (n == cap - 1 && line[n - 1] != '\n') {
				if (GROW_ARRAY(line, cap, cap + 1, 1)) /* doubles */
					exit(1);
				continue;
			}
		}
		json_error_t e;
		json_t *o = json_loadb(line, n, JSON_ALLOW_NUL, &e);
		n = 0;
		json_t *js = o ? json_object_get(o, "text") : NULL;
		if (json_is_string(js)) {
			if (GROW_ARRAY(t, tcap, nt + 1, 1024))
				exit(1);
			size_t len = json_string_length(js);
			t[nt].s = malloc(len + 1);
			memcpy(t[nt].s, json_string_value(js), len + 1);
			t[nt++].len = len;
			*bytes += len;
		}
		json_decref(o);
	}
	free(line);
	gzclose(f);
	*count = nt;
	return t;
}

int main(int argc, char **argv)
{
	error_set_prog(argv[0]);
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s TEXTS.jsonl[.gz] OUT/vocab.txt [SIZE] [MIN_FREQ]\n",
			argv[0]);
		return 2;
	}
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	if (argc > 3)
		o.vocab_size = (uint32_t)atol(argv[3]);
	if (argc > 4)
		o.min_frequency = (uint64_t)atoll(argv[4]);
	size_t nt, bytes;
	struct text *t = load_texts(argv[1], &nt, &bytes);
	if (!t)
		return 1;
	double t0 = now();
	struct vocab_learner *l = vocab_learner_new(&o);
	if (!l)
		return 1;
	for (size_t i = 0; i < nt; i++)
		if (vocab_learner_add(l, t[i].s, t[i].len, NULL) < 0)
			return 1;
	double t1 = now();
	if (vocab_learner_write(l, argv[2]) < 0)
		return 1;
	double t2 = now();
	struct vocab_learn_stats st = vocab_learner_stats(l);
	vocab_learner_free(l);

	struct vocab *v = vocab_load(argv[2]);
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
	for (size_t i = 0; i < nt; i++)
		free(t[i].s);
	free(t);
	return 0;
}
