/* wordpiece_speed.c - single-thread (or N-thread) WordPiece throughput on
 * real review texts: MB of text per second through wordpiece_encode() with
 * the text hash on (as the tokenize stage runs it) and wordpiece_frame().
 * Reads JSONL (plain or gzip) whose lines are objects with a "text" field;
 * writes one result line to stdout.  Not part of the build or the tests.
 *
 * Build (after `make BUILD=build-wordpiece`; flags as `make V=1` shows):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -pthread -Icommon \
 *      bench/wordpiece_speed.c build-wordpiece/lib/librnnpipe.a \
 *      $(pkg-config --cflags --libs libutf8proc zlib jansson) -lm \
 *      -o build-wordpiece/wordpiece_speed
 * Texts of the shared dumps (the CSV one converted to the same JSONL):
 *   /usr/bin/python3 -c 'import csv,glob,gzip,json,sys
 *   for f in sorted(glob.glob(sys.argv[1]+"/"+"*.gz")):
 *     rows = csv.DictReader(gzip.open(f,"rt",newline="")) if ".csv" in f else \
 *            (json.loads(l) for l in gzip.open(f,"rt"))
 *     for r in rows: print(json.dumps({"text": r.get("text", r.get("comment_text"))}))' \
 *     ../shared/data/kinopoisk/dumps > /tmp/kp-texts.jsonl
 * Run:
 *   build-wordpiece/wordpiece_speed VOCAB TEXTS.jsonl[.gz] [PASSES] [THREADS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <zlib.h>

#include "error.h"
#include "grow.h"
#include "vocab.h"
#include "wordpiece.h"

struct text {
	char *s;
	size_t len;
};

static struct text *texts;
static size_t n_texts, total_bytes;
static const struct vocab *voc;
static int passes = 1, threads = 1;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int load_texts(const char *path)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return error("cannot open '%s'", path);
	size_t cap = 0, n = 0, tcap = 0;
	char *line = NULL;
	if (GROW_ARRAY(line, cap, 1 << 16, 1) || GROW_ARRAY(texts, tcap, 1, 1024))
		exit(1);
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
		json_t *t = o ? json_object_get(o, "text") : NULL;
		if (!json_is_string(t)) {
			json_decref(o);
			continue;
		}
		if (GROW_ARRAY(texts, tcap, n_texts + 1, 1024))
			exit(1);
		size_t len = json_string_length(t);
		texts[n_texts].s = malloc(len + 1);
		memcpy(texts[n_texts].s, json_string_value(t), len + 1);
		texts[n_texts++].len = len;
		total_bytes += len;
		json_decref(o);
	}
	free(line);
	gzclose(f);
	return 0;
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
			if (wordpiece_encode(wp, texts[i].s, texts[i].len, &pieces, &h, &bad) != WP_OK) {
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

int main(int argc, char **argv)
{
	error_set_prog(argv[0]);
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s VOCAB TEXTS.jsonl[.gz] [PASSES] [THREADS]\n", argv[0]);
		return 2;
	}
	if (argc > 3)
		passes = atoi(argv[3]);
	if (argc > 4)
		threads = atoi(argv[4]);
	if (passes < 1 || threads < 1 || threads > 64)
		return 2;
	double t0 = now();
	struct vocab *v = vocab_load(argv[1]);
	if (!v)
		return 1;
	voc = v;
	double t1 = now();
	if (load_texts(argv[2]) < 0)
		return 1;

	struct job jobs[64];
	pthread_t tid[64];
	double t2 = now();
	for (int k = 0; k < threads; k++) {
		jobs[k] = (struct job){n_texts * k / threads, n_texts * (k + 1) / threads, 0, 0, 0};
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
	double mb = (double)total_bytes * passes / 1e6, s = t3 - t2;
	printf("{\"texts\": %zu, \"mb\": %.2f, \"passes\": %d, \"threads\": %d, \"seconds\": %.3f, "
	       "\"mb_per_s\": %.2f, \"mb_per_s_per_thread\": %.2f, \"pieces\": %zu, "
	       "\"pieces_per_s\": %.0f, \"bad_utf8\": %d, \"vocab_load_s\": %.3f, "
	       "\"hash_xor\": \"%016llx\"}\n",
	       n_texts, mb, passes, threads, s, mb / s, mb / s / threads, pieces, pieces / s, bad,
	       t1 - t0, (unsigned long long)hx);
	vocab_free(v);
	for (size_t i = 0; i < n_texts; i++)
		free(texts[i].s);
	free(texts);
	return 0;
}
