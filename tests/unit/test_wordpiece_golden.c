/* test_wordpiece_golden.c - WordPiece ids against Hugging Face's Rust
 * tokenizer: every line of ../shared/golden/tokenize/sample-500-mbert.jsonl
 * and torture-mbert.jsonl must match exactly, both "ids" (framed, head
 * truncation at max_len 256) and "ids_full" (max_len 0); the first mismatch
 * is printed with both id lists.  SKIPs (exit 77) without ../shared.
 */
#include "testutil.h"

#include <jansson.h>

#include "hash.h"
#include "vocab.h"
#include "wordpiece.h"

static void print_ids(const char *what, const uint32_t *v, size_t n)
{
	printf("  %s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		printf(" %u", v[i]);
	printf("\n");
}

/* ---- golden files ---- */

static int ids_equal(json_t *arr, const struct idvec *got)
{
	if (!json_is_array(arr) || json_array_size(arr) != got->n)
		return 0;
	for (size_t i = 0; i < got->n; i++)
		if ((json_int_t)got->v[i] != json_integer_value(json_array_get(arr, i)))
			return 0;
	return 1;
}

static void report_mismatch(const char *file, long line, const char *key, const char *text,
			    json_t *want, const struct idvec *got)
{
	printf("first mismatch: %s:%ld %s, text: %.200s\n", file, line, key, text);
	printf("  want (%zu):", json_array_size(want));
	for (size_t i = 0; i < json_array_size(want); i++)
		printf(" %lld", (long long)json_integer_value(json_array_get(want, i)));
	printf("\n");
	print_ids("got", got->v, got->n);
}

static void check_golden(const char *rel, long want_lines)
{
	const char *vpath = shared_or_skip("vocab/bert-base-multilingual-cased/vocab.txt");
	const char *gpath = shared_or_skip(rel);
	struct vocab *v = vocab_load(vpath);
	assert_non_null(v);
	struct vocab_specials sp = vocab_specials(v);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	assert_non_null(wp);
	FILE *f = fopen(gpath, "rb");
	assert_non_null(f);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0, ok_ids = 0, ok_full = 0, reported = 0;
	struct idvec pieces = {0}, ids = {0};
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		json_error_t jerr;
		json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &jerr);
		if (!o) {
			printf("%s:%ld: bad JSON: %s\n", gpath, lineno, jerr.text);
			fail();
		}
		json_t *jt = json_object_get(o, "text");
		assert_true(json_is_string(jt));
		const char *text = json_string_value(jt);
		pieces.n = 0;
		size_t bad = 0;
		assert_int_equal(wordpiece_encode(wp, text, json_string_length(jt), &pieces, NULL,
						  &bad), WP_OK);
		assert_int_equal(wordpiece_frame(pieces.v, pieces.n, 256, TRUNC_HEAD, sp.cls, sp.sep,
						 &ids), 0);
		if (ids_equal(json_object_get(o, "ids"), &ids))
			ok_ids++;
		else if (!reported++)
			report_mismatch(rel, lineno, "ids", text, json_object_get(o, "ids"), &ids);
		assert_int_equal(wordpiece_frame(pieces.v, pieces.n, 0, TRUNC_HEAD, sp.cls, sp.sep,
						 &ids), 0);
		if (ids_equal(json_object_get(o, "ids_full"), &ids))
			ok_full++;
		else if (!reported++)
			report_mismatch(rel, lineno, "ids_full", text, json_object_get(o, "ids_full"),
					&ids);
		json_decref(o);
	}
	free(line);
	fclose(f);
	printf("%s: ids %ld/%ld, ids_full %ld/%ld\n", rel, ok_ids, lineno, ok_full, lineno);
	assert_int_equal(lineno, want_lines);
	assert_int_equal(ok_ids, lineno);
	assert_int_equal(ok_full, lineno);
	idvec_free(&pieces);
	idvec_free(&ids);
	wordpiece_free(wp);
	vocab_free(v);
}

static void test_golden_sample(void **state)
{
	check_golden("golden/tokenize/sample-500-mbert.jsonl", 500);
}

static void test_golden_torture(void **state)
{
	check_golden("golden/tokenize/torture-mbert.jsonl", 28);
}

/* ---- the mBERT vocabulary itself ---- */

static void test_mbert_vocab(void **state)
{
	const char *vpath = shared_or_skip("vocab/bert-base-multilingual-cased/vocab.txt");
	struct vocab *v = vocab_load(vpath);
	assert_non_null(v);
	assert_int_equal(vocab_size(v), 119547);
	struct vocab_specials sp = vocab_specials(v);
	assert_int_equal(sp.pad, 0);
	assert_int_equal(sp.unk, 100);
	assert_int_equal(sp.cls, 101);
	assert_int_equal(sp.sep, 102);
	assert_int_equal(sp.mask, 103);
	uint64_t h;
	assert_int_equal(hash64_file(vpath, &h), 0);
	assert_int_equal(vocab_hash(v), h);
	/* every token finds itself */
	for (uint32_t id = 0; id < vocab_size(v); id++) {
		const char *t = vocab_token(v, id);
		assert_int_equal(vocab_id(v, t, strlen(t)), (int32_t)id);
	}
	assert_null(vocab_token(v, vocab_size(v)));
	assert_int_equal(vocab_id(v, "нетактогослова", strlen("нетактогослова")), -1);
	vocab_free(v);
}

int main(void)
{
	shared_or_skip("vocab/bert-base-multilingual-cased/vocab.txt");
	shared_or_skip("golden/tokenize/sample-500-mbert.jsonl");
	shared_or_skip("golden/tokenize/torture-mbert.jsonl");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbert_vocab),
		cmocka_unit_test(test_golden_torture),
		cmocka_unit_test(test_golden_sample),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
