/* test_labelmap.c - label maps (presets, custom maps, synonyms, unknowns),
 * the hash -> split assignment (stability, fractions), and the text hash
 * computed without a vocabulary (learn-vocab --fractions). */
#include "testutil.h"

#include "capture.h"

#include "hash.h"
#include "labelmap.h"
#include "splitassign.h"
#include "tokfile.h"
#include "vocab.h"
#include "wordpiece.h"

static int look(const struct labelmap *m, const char *s)
{
	return labelmap_lookup(m, s, strlen(s));
}

static void test_binary_default(void **state)
{
	struct labelmap *m = labelmap_parse("binary");
	assert_non_null(m);
	assert_int_equal(labelmap_n_classes(m), 2);
	assert_string_equal(labelmap_class(m, 0), "negative");
	assert_string_equal(labelmap_class(m, 1), "positive");
	assert_string_equal(labelmap_spec(m), LABELMAP_BINARY);
	const char *neg[] = {"negative", "NEGATIVE", " Negative ", "neg", "bad", "Bad", "0"};
	const char *neu[] = {"neutral", "Neutral", "neu", "1"};
	const char *pos[] = {"positive", "pos", "good", "GOOD", "2", "positive\r\n"};
	for (size_t i = 0; i < sizeof(neg) / sizeof(*neg); i++)
		assert_int_equal(look(m, neg[i]), 0);
	for (size_t i = 0; i < sizeof(neu) / sizeof(*neu); i++)
		assert_int_equal(look(m, neu[i]), LABEL_DROP);
	for (size_t i = 0; i < sizeof(pos) / sizeof(*pos); i++)
		assert_int_equal(look(m, pos[i]), 1);
	const char *unk[] = {"", "3", "-1", "negatives", "excellent", "posi tive", "02"};
	for (size_t i = 0; i < sizeof(unk) / sizeof(*unk); i++)
		assert_int_equal(look(m, unk[i]), LABEL_UNKNOWN);
	labelmap_free(m);
}

static void test_3class(void **state)
{
	struct labelmap *m = labelmap_parse("3class");
	assert_non_null(m);
	assert_int_equal(labelmap_n_classes(m), 3);
	assert_int_equal(look(m, "bad"), 0);
	assert_int_equal(look(m, "neutral"), 1);
	assert_int_equal(look(m, "2"), 2);
	labelmap_free(m);
}

static void test_custom_map(void **state)
{
	/* literal keys win over synonyms; class order = first appearance */
	struct labelmap *m = labelmap_parse("positive=good, 1=bad ,negative=bad,5=good,spam=drop");
	assert_non_null(m);
	assert_int_equal(labelmap_n_classes(m), 2);
	assert_string_equal(labelmap_class(m, 0), "good");
	assert_string_equal(labelmap_class(m, 1), "bad");
	assert_string_equal(labelmap_spec(m), "positive=good,1=bad,negative=bad,5=good,spam=drop");
	assert_int_equal(look(m, "pos"), 0);
	assert_int_equal(look(m, "1"), 1);      /* the literal key, not "neutral" */
	assert_int_equal(look(m, "neutral"), LABEL_UNKNOWN);
	assert_int_equal(look(m, "0"), 1);      /* synonym of negative */
	assert_int_equal(look(m, "5"), 0);
	assert_int_equal(look(m, "SPAM"), LABEL_DROP);
	labelmap_free(m);
}

static void test_bad_maps(void **state)
{
	const char *bad[] = {"", "positive", "a=b,a=c", "a=", "=b", "a=b=c", "a=drop",
			     "a=b,,c=d", "x=\"q\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct labelmap *m = labelmap_parse(bad[i]);
		if (m)
			fail_msg("map '%s' was accepted", bad[i]);
	}
}

/* A comma too many is refused wherever it is (between two entries, first,
 * last, or around blanks), saying so and showing the map up to it. */
static void test_empty_entries(void **state)
{
	(void)state;
	const struct {
		const char *spec, *after;
	} cases[] = {
		{"a=b,,c=d", "after 'a=b,'"},
		{"a=b,", "after 'a=b,'"},
		{",a=b", "after ''"},
		{"a=b, ,c=d", "after 'a=b,'"},
		{"a=b,c=d,", "after 'a=b,c=d,'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		capture_begin();
		struct labelmap *m = labelmap_parse(cases[i].spec);
		const char *err = capture_end();
		if (m)
			fail_msg("map '%s' was accepted", cases[i].spec);
		assert_non_null(strstr(err, "empty entry (a comma too many)"));
		assert_non_null(strstr(err, cases[i].after));
	}
	struct labelmap *m = labelmap_parse(" a = b , c = d ");
	assert_non_null(m);
	assert_string_equal(labelmap_spec(m), "a=b,c=d");
	labelmap_free(m);
}

static void test_sentiment(void **state)
{
	assert_string_equal(label_sentiment(" Good", 5), "positive");
	assert_string_equal(label_sentiment("neu", 3), "neutral");
	assert_null(label_sentiment("great", 5));
}

static void test_fracs_parse(void **state)
{
	struct split_fracs f;
	assert_int_equal(split_fracs_parse("80/10/10", &f), 0);
	assert_true(f.train == 0.8 && f.validation == 0.1 && f.test == 0.1);
	assert_int_equal(split_fracs_parse("0.7,0.15,0.15", &f), 0);
	assert_true(f.validation == 0.15);
	assert_int_equal(split_fracs_parse("70:20:10", &f), 0); /* ':' separates too */
	assert_true(f.train == 0.7 && f.validation == 0.2 && f.test == 0.1);
	assert_int_equal(split_fracs_parse("100/0/0", &f), 0);
	assert_true(f.train == 1 && f.validation == 0 && f.test == 0);
	assert_int_equal(split_fracs_parse("80;10;10", &f), -1);
	assert_int_equal(split_fracs_parse("80/10/5", &f), -1);
	assert_int_equal(split_fracs_parse("80/10", &f), -1);
	assert_int_equal(split_fracs_parse("80/-10/30", &f), -1);
	assert_int_equal(split_fracs_parse("80/10/10x", &f), -1);
}

static void test_split_fractions(void **state)
{
	struct split_fracs f = {0.8, 0.1, 0.1};
	int count[4] = {0};
	const int n = 10000;
	for (int i = 0; i < n; i++) {
		char text[32];
		snprintf(text, sizeof(text), "review %d", i);
		count[split_assign(hash64(text, strlen(text)), &f)]++;
	}
	/* binomial sd at n=10000: 40 for 0.8, 30 for 0.1; allow about 4 sd */
	assert_int_equal(count[SPLIT_NONE], 0);
	assert_in_range(count[SPLIT_TRAIN], 8000 - 160, 8000 + 160);
	assert_in_range(count[SPLIT_VALIDATION], 1000 - 120, 1000 + 120);
	assert_in_range(count[SPLIT_TEST], 1000 - 120, 1000 + 120);
}

static void test_split_edges(void **state)
{
	struct split_fracs all_train = {1, 0, 0}, all_test = {0, 0, 1};
	uint64_t h[] = {0, 1, UINT64_MAX, 0x8000000000000000ULL, 0xcccccccccccccccdULL};
	for (size_t i = 0; i < sizeof(h) / sizeof(*h); i++) {
		assert_int_equal(split_assign(h[i], &all_train), SPLIT_TRAIN);
		assert_int_equal(split_assign(h[i], &all_test), SPLIT_TEST);
	}
	struct split_fracs f = {0.8, 0.1, 0.1};
	assert_int_equal(split_assign(0, &f), SPLIT_TRAIN);
	assert_int_equal(split_assign(UINT64_MAX, &f), SPLIT_TEST);
	/* the same hash always lands in the same split: the function is pure */
	assert_int_equal(split_assign(0xce00000000000000ULL, &f), SPLIT_VALIDATION); /* 0.805 */
	assert_int_equal(split_assign(0xe800000000000000ULL, &f), SPLIT_TEST); /* 0.906 */
}

/* texthasher gives the very hash wordpiece_encode() reports, on text that
 * exercises every cleaning and splitting rule. */
static void test_texthasher_matches_wordpiece(void **state)
{
	const char *vocab_txt = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhi\n##s\n";
	const char *vp = test_path("hash-vocab.txt");
	write_file(vp, vocab_txt, strlen(vocab_txt));
	struct vocab *v = vocab_load(vp);
	assert_non_null(v);
	char longword[160];
	memset(longword, 'a', sizeof(longword) - 1);
	longword[sizeof(longword) - 1] = '\0';
	const char *texts[] = {
		"Привет, мир!", "a  b\tc\r\nd", "[SEP] x [CLS]", "x[SEP]y[MASK]", "日本語のテキスト",
		longword, "\xc2\xa0nbsp\xe2\x80\xa8sep", "\x01\x02 hi\x7f", "", "   ",
		"emoji 😀 ok №5", "e\xcc\x81 и\xcc\x86", "_x000D_ <br> hi!!!", "bad \xff utf",
	};
	for (int nfc = 0; nfc <= 1; nfc++) {
		struct wordpiece_opts o = WORDPIECE_OPTS_DEFAULT;
		o.nfc = nfc;
		struct wordpiece *wp = wordpiece_new(v, &o);
		struct texthasher *th = texthasher_new(o.max_chars_per_word, nfc);
		assert_non_null(wp);
		assert_non_null(th);
		struct idvec ids = {0};
		for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
			uint64_t h1 = 1, h2 = 2;
			size_t b1 = 0, b2 = 0;
			ids.n = 0;
			int r1 = wordpiece_encode(wp, texts[i], strlen(texts[i]), &ids, &h1, &b1);
			int r2 = texthasher_hash(th, texts[i], strlen(texts[i]), &h2, &b2);
			assert_int_equal(r1, r2);
			if (r1 == WP_OK) {
				if (h1 != h2)
					fail_msg("text %zu (nfc %d): hash %016llx != %016llx", i, nfc,
						 (unsigned long long)h1, (unsigned long long)h2);
			} else {
				assert_int_equal(b1, b2);
			}
		}
		idvec_free(&ids);
		texthasher_free(th);
		wordpiece_free(wp);
	}
	vocab_free(v);
}

/* The limits and rules of a map: names of 1..64 bytes without control
 * characters, at most 64 keys and TOKFILE_MAX_LABELS classes; a class is
 * named exactly (no prefix, case kept); keys are trimmed of tabs too; a
 * key spelled in capitals still catches the synonyms of its sentiment. */
static void test_map_limits_and_rules(void **state)
{
	(void)state;
	char spec[4096], name[80];
	/* 64 bytes is a name, 65 is not */
	memset(name, 'k', 65);
	name[65] = '\0';
	snprintf(spec, sizeof(spec), "%.64s=c", name);
	struct labelmap *m = labelmap_parse(spec);
	assert_non_null(m);
	labelmap_free(m);
	snprintf(spec, sizeof(spec), "%s=c", name);
	assert_null(labelmap_parse(spec));
	/* control characters: 0x1f (unit separator) and 0x01 */
	assert_null(labelmap_parse("a\x1f=c"));
	assert_null(labelmap_parse("a=c\x01"));
	/* 64 keys, not 65 */
	int n = 0;
	for (int i = 0; i < 64; i++)
		n += snprintf(spec + n, sizeof(spec) - n, "%sk%d=c", i ? "," : "", i);
	m = labelmap_parse(spec);
	assert_non_null(m);
	labelmap_free(m);
	snprintf(spec + n, sizeof(spec) - n, ",k64=c");
	capture_begin();
	assert_null(labelmap_parse(spec));
	assert_non_null(strstr(capture_end(), "too many keys at 'k64'"));
	/* TOKFILE_MAX_LABELS classes, not one more */
	n = 0;
	for (int i = 0; i < TOKFILE_MAX_LABELS; i++)
		n += snprintf(spec + n, sizeof(spec) - n, "%sk%d=c%d", i ? "," : "", i, i);
	m = labelmap_parse(spec);
	assert_non_null(m);
	assert_int_equal(labelmap_n_classes(m), TOKFILE_MAX_LABELS);
	labelmap_free(m);
	snprintf(spec + n, sizeof(spec) - n, ",extra=more");
	capture_begin();
	assert_null(labelmap_parse(spec));
	assert_non_null(strstr(capture_end(), "too many classes at 'more'"));
	/* an entry without '=' is named as such */
	capture_begin();
	assert_null(labelmap_parse("a=b,positive"));
	assert_non_null(strstr(capture_end(), "no '=' in 'positive'"));
	/* classes are told apart exactly: "goodish" and "good", "Bad" and "bad" */
	m = labelmap_parse("a=goodish,b=good,c=Bad,d=bad");
	assert_non_null(m);
	assert_int_equal(labelmap_n_classes(m), 4);
	assert_int_equal(look(m, "b"), 1);
	assert_int_equal(look(m, "d"), 3);
	assert_null(labelmap_class(m, 4));
	assert_null(labelmap_class(m, -1));
	labelmap_free(m);
	/* tabs around a raw label, a key with spaces around it */
	m = labelmap_parse("Negative=neg, 5 =five");
	assert_non_null(m);
	assert_int_equal(look(m, "\tnegative\t"), 0);
	assert_int_equal(look(m, "neg"), 0); /* synonym of the key "Negative" */
	assert_int_equal(look(m, "\t5 "), 1);
	labelmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_default),
		cmocka_unit_test(test_3class),
		cmocka_unit_test(test_custom_map),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_empty_entries),
		cmocka_unit_test(test_map_limits_and_rules),
		cmocka_unit_test(test_sentiment),
		cmocka_unit_test(test_fracs_parse),
		cmocka_unit_test(test_split_fractions),
		cmocka_unit_test(test_split_edges),
		cmocka_unit_test(test_texthasher_matches_wordpiece),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
