/* test_tokfile.c - token-record files: round trip, truncation, corruption. */
#include "testutil.h"

#include <sys/stat.h>

#include "capture.h"
#include "tokfile.h"

static void fill_meta(struct tokmeta *m)
{
	memset(m, 0, sizeof(*m));
	m->vocab_hash = 0x1234abcd5678ef00ULL;
	m->vocab_size = 119547;
	m->max_len = 256;
	m->pad_id = 0;
	m->unk_id = 100;
	m->cls_id = 101;
	m->sep_id = 102;
	m->truncation = strdup("head");
	m->producer = strdup("test");
	m->n_labels = 2;
	m->labels[0] = strdup("negative");
	m->labels[1] = strdup("positive");
	tokmeta_add_source(m, "data/a.jsonl", 42);
}

static void write_three(const char *path)
{
	struct tokmeta m;
	fill_meta(&m);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t ids[4] = {101, 1000 + i, 2000 + i, 102};
		char text[32];
		snprintf(text, sizeof(text), "отзыв номер %u", i);
		struct tokrec r = {.hash = 7 + i, .label = (int32_t)i % 2, .split = SPLIT_TRAIN,
				   .source = 0, .line = i + 1, .n_full = 4 + i, .n_ids = 4,
				   .ids = ids, .label_raw = "positive", .label_raw_len = 8,
				   .text = text, .text_len = strlen(text)};
		assert_int_equal(tokwriter_add(w, &r), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static void test_round_trip(void **state)
{
	const char *path = test_path("a.tok");
	write_three(path);
	struct tokreader *r = tokreader_open(path);
	assert_non_null(r);
	assert_int_equal(tokreader_count(r), 3);
	const struct tokmeta *m = tokreader_meta(r);
	assert_int_equal(m->vocab_size, 119547);
	assert_int_equal(m->vocab_hash, 0x1234abcd5678ef00ULL);
	assert_string_equal(m->labels[1], "positive");
	assert_string_equal(m->sources[0].name, "data/a.jsonl");
	struct tokrec rec;
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(tokreader_next(r, &rec), 1);
		assert_int_equal(rec.hash, 7 + i);
		assert_int_equal(rec.line, i + 1);
		assert_int_equal(rec.n_ids, 4);
		assert_int_equal(rec.ids[1], 1000 + i);
		char text[32];
		snprintf(text, sizeof(text), "отзыв номер %u", i);
		assert_int_equal(rec.text_len, strlen(text));
		assert_memory_equal(rec.text, text, rec.text_len);
	}
	assert_int_equal(tokreader_next(r, &rec), 0);
	assert_int_equal(tokreader_rewind(r), 0);
	assert_int_equal(tokreader_next(r, &rec), 1);
	tokreader_close(r);
}

static void test_truncated_is_rejected(void **state)
{
	const char *path = test_path("b.tok");
	write_three(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 30), 0);
	assert_null(tokreader_open(path));
}

static void test_flipped_byte_is_rejected(void **state)
{
	const char *path = test_path("c.tok");
	write_three(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	FILE *f = fopen(path, "r+b");
	fseek(f, st.st_size - 40, SEEK_SET); /* inside the last record's text */
	int c = fgetc(f);
	fseek(f, st.st_size - 40, SEEK_SET);
	fputc(c ^ 0x20, f);
	fclose(f);
	struct tokreader *r = tokreader_open(path);
	assert_non_null(r);
	struct tokrec rec;
	int rc;
	while ((rc = tokreader_next(r, &rec)) == 1)
		;
	assert_int_equal(rc, -1);
	tokreader_close(r);
}

static void test_not_a_tokfile(void **state)
{
	const char *path = test_path("d.tok");
	write_file(path, "{\"text\":\"x\"}\n", 13);
	assert_null(tokreader_open(path));
}

static void test_abort_leaves_nothing(void **state)
{
	const char *path = test_path("e.tok");
	struct tokmeta m;
	fill_meta(&m);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	tokwriter_abort(w);
	tokmeta_free(&m);
	assert_int_not_equal(access(path, F_OK), 0);
}

/* Files tokenized with other settings are not merged or packed together:
 * each setting that changes the ids (or the labels' meaning) is named. */
static void test_compatible_and_same_labels(void **state)
{
	(void)state;
	struct tokmeta a, b;
	fill_meta(&a);
	for (int k = 0; k < 8; k++) {
		fill_meta(&b);
		const char *want = NULL;
		switch (k) {
		case 0: break;
		case 1: b.vocab_size++; want = "vocabularies"; break;
		case 2: b.max_len = 128; want = "max_len"; break;
		case 3: free(b.truncation); b.truncation = strdup("tail"); want = "truncation"; break;
		case 4: b.pad_id = 7; want = "special token ids"; break;
		case 5: b.sep_id = 3; want = "special token ids"; break;
		case 6: b.nfc = 1; want = "normalisations"; break;
		case 7: b.vocab_hash ^= 1; want = "vocabularies"; break;
		}
		capture_begin();
		int rc = tokmeta_compatible(&a, "a.tok", &b, "b.tok");
		const char *txt = capture_end();
		if (!want) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(txt, want));
		}
		tokmeta_free(&b);
	}
	/* label lists: same names in the same order, and as many */
	fill_meta(&b);
	assert_true(tokmeta_same_labels(&a, &b));
	b.labels[b.n_labels++] = strdup("neutral");
	assert_false(tokmeta_same_labels(&a, &b));
	assert_false(tokmeta_same_labels(&b, &a));
	tokmeta_free(&b);
	fill_meta(&b);
	char *t = b.labels[0];
	b.labels[0] = b.labels[1];
	b.labels[1] = t;
	assert_false(tokmeta_same_labels(&a, &b));
	tokmeta_free(&b);
	tokmeta_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_is_rejected),
		cmocka_unit_test(test_flipped_byte_is_rejected),
		cmocka_unit_test(test_not_a_tokfile),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_compatible_and_same_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
