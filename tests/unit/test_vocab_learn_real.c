/* test_vocab_learn_real.c - the vocabulary learner on the 500 real reviews
 * of ../shared/data/kinopoisk/sample-500.jsonl: the default 8000-token
 * vocabulary is full, has the specials at 0..4, is the same bytes when the
 * reviews come in reverse order, and encodes every review without [UNK].
 * SKIPs (exit 77) without ../shared.
 */
#include "testutil.h"

#include <jansson.h>

#include "hash.h"
#include "vocab.h"
#include "vocab_learn.h"
#include "wordpiece.h"

struct text {
	char *s;
	size_t len;
};
static struct text texts[600];
static size_t n_texts;

static void load_sample(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t e;
		json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &e);
		assert_non_null(o);
		json_t *t = json_object_get(o, "text");
		assert_true(json_is_string(t));
		assert_true(n_texts < 600);
		texts[n_texts].len = json_string_length(t);
		texts[n_texts].s = malloc(texts[n_texts].len + 1);
		memcpy(texts[n_texts].s, json_string_value(t), texts[n_texts].len + 1);
		n_texts++;
		json_decref(o);
	}
	free(line);
	fclose(f);
}

static char *learn(const char *name, int reverse, struct vocab_learn_stats *st)
{
	struct vocab_learner *l = vocab_learner_new(NULL);
	assert_non_null(l);
	for (size_t i = 0; i < n_texts; i++) {
		const struct text *t = &texts[reverse ? n_texts - 1 - i : i];
		assert_int_equal(vocab_learner_add(l, t->s, t->len, NULL), 0);
	}
	char *path = test_path(name);
	assert_int_equal(vocab_learner_write(l, path), 0);
	*st = vocab_learner_stats(l);
	vocab_learner_free(l);
	return path;
}

static void test_learn_sample(void **state)
{
	load_sample(shared_or_skip("data/kinopoisk/sample-500.jsonl"));
	assert_int_equal(n_texts, 500);
	struct vocab_learn_stats st, st2;
	const char *p1 = learn("v1.txt", 0, &st);
	const char *p2 = learn("v2.txt", 1, &st2);
	printf("alphabet %u, merges %u, size %u, unique words %llu, last merge count %llu\n",
	       st.alphabet, st.merges, st.size, (unsigned long long)st.unique_words,
	       (unsigned long long)st.last_merge_count);
	assert_int_equal(st.size, 8000);
	assert_int_equal(st.texts, 500);
	uint64_t h1, h2;
	assert_int_equal(hash64_file(p1, &h1), 0);
	assert_int_equal(hash64_file(p2, &h2), 0);
	assert_int_equal(h1, h2);

	struct vocab *v = vocab_load(p1);
	assert_non_null(v);
	assert_int_equal(vocab_size(v), 8000);
	assert_int_equal(vocab_hash(v), h1);
	struct vocab_specials sp = vocab_specials(v);
	assert_int_equal(sp.pad, 0);
	assert_int_equal(sp.unk, 1);
	assert_int_equal(sp.cls, 2);
	assert_int_equal(sp.sep, 3);
	assert_int_equal(sp.mask, 4);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	struct idvec ids = {0};
	size_t pieces = 0;
	for (size_t i = 0; i < n_texts; i++) {
		ids.n = 0;
		assert_int_equal(wordpiece_encode(wp, texts[i].s, texts[i].len, &ids, NULL, NULL),
				 WP_OK);
		for (size_t k = 0; k < ids.n; k++)
			if (ids.v[k] == (uint32_t)sp.unk) {
				printf("[UNK] at piece %zu of review %zu\n", k, i + 1);
				fail();
			}
		pieces += ids.n;
	}
	/* 220965 words in these reviews: a learned vocabulary keeps most whole */
	printf("pieces: %zu\n", pieces);
	assert_true(pieces < 400000);
	idvec_free(&ids);
	wordpiece_free(wp);
	vocab_free(v);
	for (size_t i = 0; i < n_texts; i++)
		free(texts[i].s);
}

int main(void)
{
	shared_or_skip("data/kinopoisk/sample-500.jsonl");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
