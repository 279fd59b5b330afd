/* test_vocab_learn.c - the vocabulary learner on made-up texts: the exact
 * merge order and tie rule, specials at 0..4, size respected, determinism
 * (same bytes for the same texts, in any order), every training word
 * encodes without [UNK], min_frequency, alphabet limits, literal specials,
 * bad UTF-8 and bad options.  Real reviews: test_vocab_learn_real.c.
 */
#include "testutil.h"

#include <fcntl.h>

#include "vocab.h"
#include "vocab_learn.h"
#include "wordpiece.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A made-up corpus: n texts of words drawn from a fixed list by an LCG. */
static const char *WORDS[] = {
	"фильм", "отстой", "не", "советую", "смотреть", "отличный", "актёры", "сюжет",
	"скучный", "режиссёр", "камера", "музыка", "прекрасная", "игра", "ужасно",
	"film", "great", "boring", "plot", "twist", "«кино»", "10/10", "8.5", "№1",
	"😀", "映画", "насмотренный", "переснятый", "ремейк", "героиня", "героев",
};
#define NWORDS (sizeof(WORDS) / sizeof(WORDS[0]))

static char **corpus(size_t n)
{
	char **t = calloc(n, sizeof(*t));
	uint64_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		char buf[1024];
		size_t len = 0;
		size_t words = 3 + i % 17;
		for (size_t k = 0; k < words; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *w = WORDS[(x >> 33) % NWORDS];
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? " " : "", w);
			if ((x >> 20) % 5 == 0)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, ",");
		}
		t[i] = strdup(buf);
	}
	return t;
}

static void corpus_free(char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i]);
	free(t);
}

static char *learn_to(const char *name, char **t, size_t n, int reverse,
		      const struct vocab_learn_opts *o, struct vocab_learn_stats *st)
{
	struct vocab_learner *l = vocab_learner_new(o);
	assert_non_null(l);
	for (size_t i = 0; i < n; i++) {
		const char *s = t[reverse ? n - 1 - i : i];
		assert_int_equal(vocab_learner_add(l, s, strlen(s), NULL), 0);
	}
	char *path = test_path(name);
	assert_int_equal(vocab_learner_write(l, path), 0);
	if (st)
		*st = vocab_learner_stats(l);
	vocab_learner_free(l);
	return path;
}

static void test_merge_order_and_ties(void **state)
{
	/* "abq"x10 "zbc"x9 "abc"x2.  Alphabet by bytes: ##b ##c ##q a z (ids
	 * 0..4).  Pairs: (a,##b)=12 (##b,##c)=11 (##b,##q)=10 (z,##b)=9.
	 * 1: ab (12).  2: abq (10).  3: tie at 9 between (##b,##c) = (0,1) and
	 * (z,##b) = (4,0): the older left token wins, ##bc.  4: zbc (9).
	 * 5: abc (2, = min_frequency). */
	char text[512] = "";
	for (int i = 0; i < 10; i++)
		strcat(text, "abq ");
	for (int i = 0; i < 9; i++)
		strcat(text, "zbc ");
	strcat(text, "abc abc");
	char *t[1] = {text};
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.min_frequency = 2;
	struct vocab_learn_stats st;
	const char *path = learn_to("ties.txt", t, 1, 0, &o, &st);
	size_t len;
	char *got = slurp(path, &len);
	assert_string_equal(got, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
				 "##b\n##c\n##q\na\nz\n"
				 "ab\nabq\n##bc\nzbc\nabc\n");
	free(got);
	assert_int_equal(st.alphabet, 5);
	assert_int_equal(st.merges, 5);
	assert_int_equal(st.size, 15);
	assert_int_equal(st.unique_words, 3);
	assert_int_equal(st.words, 21);
	assert_int_equal(st.last_merge_count, 2);
	/* min_frequency 3 stops before "abc" */
	o.min_frequency = 3;
	path = learn_to("ties3.txt", t, 1, 0, &o, &st);
	got = slurp(path, &len);
	assert_int_equal(count_lines(got), 14);
	assert_null(strstr(got, "\nabc\n"));
	free(got);
}

static void test_size_specials_determinism(void **state)
{
	size_t n = 3000;
	char **t = corpus(n);
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.vocab_size = 150;
	struct vocab_learn_stats st;
	size_t l1, l2, l3;
	char *a = slurp(learn_to("d1.txt", t, n, 0, &o, &st), &l1);
	char *b = slurp(learn_to("d2.txt", t, n, 0, &o, NULL), &l2);
	char *c = slurp(learn_to("d3.txt", t, n, 1, &o, NULL), &l3); /* reversed order */
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	assert_int_equal(l1, l3);
	assert_memory_equal(a, c, l1);
	assert_int_equal(count_lines(a), 150);
	assert_int_equal(st.size, 150);
	assert_true(strncmp(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", 31) == 0);
	assert_int_equal(st.texts, n);
	assert_int_equal(st.dropped_alphabet, 0);

	struct vocab *v = vocab_load(test_path("d1.txt"));
	assert_non_null(v);
	assert_int_equal(vocab_size(v), 150);
	struct vocab_specials sp = vocab_specials(v);
	assert_int_equal(sp.pad, 0);
	assert_int_equal(sp.unk, 1);
	assert_int_equal(sp.cls, 2);
	assert_int_equal(sp.sep, 3);
	assert_int_equal(sp.mask, 4);
	/* every training text (hence every training word) without [UNK], and
	 * merged tokens are used */
	struct wordpiece *wp = wordpiece_new(v, NULL);
	struct idvec ids = {0};
	size_t pieces = 0, chars = 0;
	for (size_t i = 0; i < n; i++) {
		ids.n = 0;
		assert_int_equal(wordpiece_encode(wp, t[i], strlen(t[i]), &ids, NULL, NULL), WP_OK);
		for (size_t k = 0; k < ids.n; k++)
			if (ids.v[k] == (uint32_t)sp.unk) {
				printf("[UNK] in text %zu: '%s'\n", i, t[i]);
				fail();
			}
		pieces += ids.n;
		chars += strlen(t[i]);
	}
	assert_true(pieces < chars / 3);
	idvec_free(&ids);
	wordpiece_free(wp);
	vocab_free(v);
	free(a);
	free(b);
	free(c);
	corpus_free(t, n);
}

static void test_min_frequency_alphabet_only(void **state)
{
	size_t n = 200;
	char **t = corpus(n);
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.vocab_size = 100000;
	o.min_frequency = UINT64_MAX;
	struct vocab_learn_stats st;
	size_t len;
	char *a = slurp(learn_to("alpha.txt", t, n, 0, &o, &st), &len);
	assert_int_equal(st.merges, 0);
	assert_int_equal(st.size, 5 + st.alphabet);
	assert_int_equal(count_lines(a), st.size);
	/* every learned line is one character, plain or "##" */
	char *line = strtok(a + 31, "\n");
	size_t lines = 0;
	while (line) {
		const char *c = strncmp(line, "##", 2) ? line : line + 2;
		size_t cps = 0;
		for (; *c; c++)
			cps += ((unsigned char)*c & 0xc0) != 0x80;
		assert_int_equal(cps, 1);
		line = strtok(NULL, "\n");
		lines++;
	}
	assert_int_equal(lines, st.alphabet);
	free(a);
	corpus_free(t, n);
}

static void test_alphabet_limits(void **state)
{
	/* "aaaa... bbb... c": frequent a, b; rare c.  A vocabulary of 5 + 3
	 * keeps the three most frequent character tokens. */
	const char *text = "aaaaaa aaaa bbbb bbb c";
	char *t[1] = {(char *)text};
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.vocab_size = 8;
	struct vocab_learn_stats st;
	size_t len;
	char *a = slurp(learn_to("lim.txt", t, 1, 0, &o, &st), &len);
	/* tokens: a(2) ##a(8) b(2) ##b(5) c(1) -> keep ##a ##b, then a and b
	 * tie at 2: "a" < "b" by bytes */
	assert_string_equal(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##a\n##b\na\n");
	assert_int_equal(st.dropped_alphabet, 2);
	free(a);
	/* max_alphabet counts characters (both forms): keep a and b */
	o.vocab_size = 100;
	o.max_alphabet = 2;
	o.min_frequency = 1000;
	a = slurp(learn_to("lim2.txt", t, 1, 0, &o, &st), &len);
	assert_string_equal(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##a\n##b\na\nb\n");
	assert_int_equal(st.dropped_alphabet, 1);
	free(a);
}

/* The two tie rules of docs/tokenizer.md that the cases above do not
 * reach: pairs of equal count and the same left token go by the right
 * token's id, and characters of equal frequency at the alphabet limit by
 * code point. */
static void test_documented_tie_breaks(void **state)
{
	(void)state;
	/* "ac" x3 "ab" x3: alphabet ##b ##c a (0..2); (a,##b) and (a,##c)
	 * both 3, left a: ##b (id 0) first */
	const char *text = "ac ac ac ab ab ab";
	char *t[1] = {(char *)text};
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	size_t len;
	char *a = slurp(learn_to("right-tie.txt", t, 1, 0, &o, NULL), &len);
	assert_string_equal(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##b\n##c\na\nab\nac\n");
	free(a);
	/* "ba ab": characters a and b twice each; max_alphabet 1 keeps a */
	const char *text2 = "ba ab";
	t[0] = (char *)text2;
	o.max_alphabet = 1;
	struct vocab_learn_stats st;
	a = slurp(learn_to("char-tie.txt", t, 1, 0, &o, &st), &len);
	assert_string_equal(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##a\na\n");
	assert_int_equal(st.dropped_alphabet, 2);
	free(a);
}

static void test_specials_long_words_bad_utf8(void **state)
{
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.max_chars_per_word = 5;
	o.min_frequency = 1000;
	struct vocab_learner *l = vocab_learner_new(&o);
	assert_non_null(l);
	const char *s = "[SEP]ab [MASK] abcdefgh [UNK]";
	assert_int_equal(vocab_learner_add(l, s, strlen(s), NULL), 0);
	size_t bad = 0;
	assert_int_equal(vocab_learner_add(l, "zz y\xff", 5, &bad), WP_BAD_UTF8);
	assert_int_equal(bad, 4);
	struct vocab_learn_stats st = vocab_learner_stats(l);
	assert_int_equal(st.texts, 1);
	assert_int_equal(st.words, 1);      /* "ab"; the specials are not words */
	assert_int_equal(st.long_words, 1); /* "abcdefgh" */
	assert_int_equal(vocab_learner_write(l, test_path("sp.txt")), 0);
	vocab_learner_free(l);
	size_t len;
	char *a = slurp(test_path("sp.txt"), &len);
	assert_string_equal(a, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##b\na\n");
	free(a);
}

static void test_bad_options(void **state)
{
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.vocab_size = 5;
	fflush(stderr);
	int saved = dup(2);
	int fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	struct vocab_learner *l1 = vocab_learner_new(&o);
	o.vocab_size = 100;
	o.max_chars_per_word = 0;
	struct vocab_learner *l2 = vocab_learner_new(&o);
	/* an unwritable path fails and leaves nothing behind */
	o.max_chars_per_word = 100;
	struct vocab_learner *l3 = vocab_learner_new(&o);
	assert_non_null(l3);
	int rc = vocab_learner_write(l3, "/proc/no/such/dir/vocab.txt");
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_null(l1);
	assert_null(l2);
	assert_int_equal(rc, -1);
	vocab_learner_free(l3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_order_and_ties),
		cmocka_unit_test(test_size_specials_determinism),
		cmocka_unit_test(test_min_frequency_alphabet_only),
		cmocka_unit_test(test_alphabet_limits),
		cmocka_unit_test(test_documented_tie_breaks),
		cmocka_unit_test(test_specials_long_words_bad_utf8),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
