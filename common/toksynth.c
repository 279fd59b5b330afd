/* toksynth.c - synthetic token-record files (see toksynth.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"
#include "hash.h"
#include "jsonoom.h"
#include "rng.h"
#include "tokfile.h"
#include "toksynth.h"

uint64_t toksynth_hash(uint64_t seed, int split, uint64_t i)
{
	uint64_t key[3] = {seed, (uint64_t)split, i};
	return hash64(key, sizeof(key));
}

/* Real id sequences (pieces only, [CLS]/[SEP] stripped). */
struct pool {
	uint32_t **seq;
	uint32_t *len;
	size_t n;
};

static void pool_free(struct pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seq[i]);
	free(p->seq);
	free(p->len);
}

static int pool_load(struct pool *p, const char *path, uint32_t vocab_size)
{
	memset(p, 0, sizeof(*p));
	FILE *f = fopen(path, "r");
	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0, cap_seq = 0;
	long lineno = 0;
	int rc = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		json_error_t e;
		unsigned long mark = jsonoom_mark();
		json_t *j = json_loads(line, 0, &e);
		if (jsonoom_since(mark)) { /* even parsed: a byte may be missing */
			json_decref(j);
			rc = jsonoom_error(path);
			break;
		}
		json_t *a = j ? json_object_get(j, "ids_full") : NULL;
		if (!a)
			a = j ? json_object_get(j, "ids") : NULL;
		if (!json_is_array(a)) {
			json_decref(j);
			rc = bad_input(path, lineno, "no \"ids_full\" or \"ids\" array");
			break;
		}
		size_t n = json_array_size(a);
		/* two arrays, one capacity: it moves on once both have grown */
		size_t cap_s = cap_seq, cap_l = cap_seq;
		if (GROW_ARRAY(p->seq, cap_s, p->n + 1, 256) ||
		    GROW_ARRAY(p->len, cap_l, p->n + 1, 256)) {
			json_decref(j);
			rc = -1;
			break;
		}
		cap_seq = cap_s;
		uint32_t *s = malloc((n ? n : 1) * 4), k = 0;
		for (size_t i = 0; s && i < n; i++) {
			json_int_t v = json_integer_value(json_array_get(a, i));
			if (v == TOKSYNTH_CLS || v == TOKSYNTH_SEP)
				continue;
			if (v < 0 || (uint64_t)v >= vocab_size) {
				rc = bad_input(path, lineno, "id %lld outside the vocabulary",
					       (long long)v);
				break;
			}
			s[k++] = (uint32_t)v;
		}
		json_decref(j);
		if (!s || rc) {
			free(s);
			rc = rc ? rc : error("out of memory");
			break;
		}
		p->seq[p->n] = s;
		p->len[p->n++] = k;
	}
	if (!rc)
		rc = getline_end(f, path);
	free(line);
	fclose(f);
	if (!rc && p->n == 0)
		rc = error("'%s': no id sequences", path);
	if (rc)
		pool_free(p);
	return rc;
}

int toksynth_write(const char *path, const struct toksynth_opts *o)
{
	if (o->vocab_size < 2000 || o->n_labels < 2 || o->n_labels > 3)
		return error("toksynth: need a vocabulary of at least 2000 ids and 2-3 labels");
	struct pool pool = {0};
	if (o->ids_from && pool_load(&pool, o->ids_from, o->vocab_size))
		return -1;
	struct tokmeta m;
	memset(&m, 0, sizeof(m));
	m.vocab_hash = hash64("synthetic vocabulary", 20) ^ o->vocab_size;
	m.vocab_size = o->vocab_size;
	m.max_len = o->max_len;
	m.pad_id = TOKSYNTH_PAD;
	m.unk_id = TOKSYNTH_UNK;
	m.cls_id = TOKSYNTH_CLS;
	m.sep_id = TOKSYNTH_SEP;
	m.truncation = strdup("head");
	m.producer = strdup("toksynth");
	int lost = !m.truncation || !m.producer;
	static const char *names3[] = {"negative", "neutral", "positive"};
	static const char *names2[] = {"negative", "positive"};
	const char **names = o->n_labels == 3 ? names3 : names2;
	for (int i = 0; i < o->n_labels; i++)
		lost |= !(m.labels[m.n_labels++] = strdup(names[i]));
	char src[64];
	snprintf(src, sizeof(src), "synthetic-seed-%llu", (unsigned long long)o->seed);
	if (lost) /* not a file whose metadata lacks them */
		error("out of memory");
	struct tokwriter *w = NULL;
	if (!lost && tokmeta_add_source(&m, src, hash64(src, strlen(src))) >= 0)
		w = tokwriter_open(path, &m);
	tokmeta_free(&m);
	if (!w) {
		pool_free(&pool);
		return -1;
	}
	struct rng r;
	rng_seed2(&r, o->seed, 1000 + (uint64_t)o->split);
	uint32_t cap = 0, *ids = NULL;
	int rc = 0;
	/* ranks map to ids past the first 1000 (specials, unused) by a bijection */
	uint32_t span = o->vocab_size - 1000;
	for (uint64_t i = 0; i < o->count && !rc; i++) {
		int label = rng_uniform(&r) < o->pos_fraction
				    ? o->n_labels - 1
				    : (int)rng_below(&r, (uint64_t)o->n_labels - 1);
		uint32_t full;
		const uint32_t *real = NULL;
		uint32_t real_len = 0, shift = 0;
		if (pool.n) {
			size_t k = rng_below(&r, pool.n);
			real = pool.seq[k];
			real_len = pool.len[k];
			shift = real_len ? (uint32_t)rng_below(&r, real_len) : 0;
			full = real_len + 2;
		} else {
			double l = exp(o->len_mu + o->len_sigma * rng_normal(&r));
			full = l < 3 ? 3 : l > 20000 ? 20000 : (uint32_t)l;
		}
		uint32_t n = o->max_len && full > o->max_len ? o->max_len : full;
		if (n > cap) {
			cap = n;
			free(ids);
			if (!(ids = malloc((size_t)cap * 4))) {
				rc = error("out of memory");
				break;
			}
		}
		ids[0] = TOKSYNTH_CLS;
		for (uint32_t t = 1; t + 1 < n; t++) {
			if (real) {
				ids[t] = real[(shift + t - 1) % real_len];
			} else if (rng_uniform(&r) < 0.02) {
				ids[t] = 1000 + 7 * (uint32_t)label; /* a weak sentiment cue */
			} else {
				uint32_t k = rng_zipf(&r, o->zipf_s, span);
				ids[t] = 1000 + (uint32_t)(((uint64_t)k * 2654435761u) % span);
			}
		}
		ids[n - 1] = TOKSYNTH_SEP;
		char text[64];
		snprintf(text, sizeof(text), "synthetic review %llu", (unsigned long long)i);
		struct tokrec rec = {
			.hash = toksynth_hash(o->seed, o->split, i), .label = label,
			.split = (uint8_t)o->split, .source = 0, .line = (uint32_t)(i + 1),
			.n_full = full, .n_ids = n, .ids = ids, .label_raw = names[label],
			.label_raw_len = (uint32_t)strlen(names[label]), .text = text,
			.text_len = (uint32_t)strlen(text)};
		rc = tokwriter_add(w, &rec);
	}
	free(ids);
	pool_free(&pool);
	if (rc) {
		tokwriter_abort(w);
		return -1;
	}
	return tokwriter_commit(w);
}
