/* test_wordpiece.c - vocabulary loading and WordPiece tokenization on small
 * hand-made vocabularies: greedy longest match, whole-word [UNK], the word
 * length limit, literal special tokens, NFC option, bad UTF-8 offsets, the
 * text hash, framing and truncation sides, vocab.txt errors and line ends;
 * pre-tokenisation on its own (character classes at every range edge,
 * splitting, NFC after cleaning, the specials and their checks), so that
 * it is tested where the shared golden files are absent.
 * The Hugging Face golden files are checked by test_wordpiece_golden.c.
 */
#include "testutil.h"

#include <fcntl.h>

#include <utf8proc.h>

#include "hash.h"
#include "pretok.h"
#include "vocab.h"
#include "wordpiece.h"
#include "faultinj.h"

/* fread as the library sees it: the real one, then only half of what it
 * read when armed (a file that shrank between its size and its read) */
static struct faultinj short_read = FAULTINJ_OFF;

size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	static size_t (*real)(void *, size_t, size_t, FILE *);
	if (!real)
		real = (size_t (*)(void *, size_t, size_t, FILE *))faultinj_real("fread");
	size_t got = real(buf, size, n, f);
	return faultinj_fires(&short_read) ? got / 2 : got;
}

/* ---- helpers ---- */

/* Runs with stderr sent to a file; returns what was printed (static). */
static int saved_stderr = -1;
static void capture_begin(void)
{
	fflush(stderr);
	saved_stderr = dup(2);
	int fd = open(test_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
}
static const char *capture_end(void)
{
	static char buf[4096];
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	FILE *f = fopen(test_path("stderr.txt"), "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static struct vocab *vocab_from(const char *name, const char *content)
{
	const char *p = test_path(name);
	write_file(p, content, strlen(content));
	return vocab_load(p);
}

/* A small vocabulary: specials at 0..4 then pieces. */
static const char *SMALL =
	"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n" /* 0..4 */
	"un\n##aff\n##able\nа\n##б\n"          /* 5..9 */
	"аб\n.\n,\nb\n##b\n"                   /* 10..14 */
	"й\n!\n##й\n";                         /* 15..17 */

static void encode_ok(struct wordpiece *wp, const char *text, const uint32_t *want, size_t n)
{
	struct idvec out = {0};
	size_t bad = 0;
	assert_int_equal(wordpiece_encode(wp, text, strlen(text), &out, NULL, &bad), WP_OK);
	if (out.n != n || (n && memcmp(out.v, want, n * sizeof(*want)))) {
		printf("text '%s': got", text);
		for (size_t i = 0; i < out.n; i++)
			printf(" %u", out.v[i]);
		printf(", want");
		for (size_t i = 0; i < n; i++)
			printf(" %u", want[i]);
		printf("\n");
		fail();
	}
	idvec_free(&out);
}

static void print_ids(const char *what, const uint32_t *v, size_t n)
{
	printf("  %s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		printf(" %u", v[i]);
	printf("\n");
}

/* ---- small vocabularies ---- */

static void test_greedy_and_unk(void **state)
{
	struct vocab *v = vocab_from("small.txt", SMALL);
	assert_non_null(v);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	assert_non_null(wp);
	encode_ok(wp, "unaffable", (uint32_t[]){5, 6, 7}, 3);
	/* longest first: "аб" (10) rather than "а" "##б" */
	encode_ok(wp, "аб абб", (uint32_t[]){10, 10, 9}, 3);
	/* one unmatched position makes the whole word [UNK], not just a piece */
	encode_ok(wp, "unaffablex b", (uint32_t[]){1, 13}, 2);
	/* punctuation splits, whitespace disappears */
	encode_ok(wp, " b,b.\t\n bb! ", (uint32_t[]){13, 12, 13, 11, 13, 14, 16}, 7);
	/* literal specials, also glued to words */
	encode_ok(wp, "[CLS]b[SEP] [MASK][PAD][UNK] [XYZ]",
		  (uint32_t[]){2, 13, 3, 4, 0, 1, 1, 1, 1}, 9);
	/* a special that ends the text, or is all of it */
	encode_ok(wp, "b [SEP]", (uint32_t[]){13, 3}, 2);
	encode_ok(wp, "[MASK]", (uint32_t[]){4}, 1);
	/* empty and blank */
	encode_ok(wp, "", NULL, 0);
	encode_ok(wp, " \t\r\n\x01", NULL, 0);
	/* out is appended to, not reset */
	struct idvec out = {0};
	assert_int_equal(idvec_push(&out, 777), 0);
	assert_int_equal(wordpiece_encode(wp, "b", 1, &out, NULL, NULL), WP_OK);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0], 777);
	assert_int_equal(out.v[1], 13);
	idvec_free(&out);
	wordpiece_free(wp);
	vocab_free(v);
}

static void test_word_length_limit(void **state)
{
	struct vocab *v = vocab_from("small2.txt", SMALL);
	assert_non_null(v);
	struct wordpiece_opts o = WORDPIECE_OPTS_DEFAULT;
	o.max_chars_per_word = 3;
	struct wordpiece *wp = wordpiece_new(v, &o);
	assert_non_null(wp);
	/* counted in code points (Cyrillic is 2 bytes each): 3 fit, 4 do not */
	encode_ok(wp, "абб", (uint32_t[]){10, 9}, 2);
	encode_ok(wp, "аббб", (uint32_t[]){1}, 1);
	encode_ok(wp, "bbb bbbb", (uint32_t[]){13, 14, 14, 1}, 4);
	wordpiece_free(wp);
	o.max_chars_per_word = 0;
	capture_begin();
	assert_null(wordpiece_new(v, &o));
	assert_non_null(strstr(capture_end(), "positive"));
	vocab_free(v);
}

static void test_nfc_option(void **state)
{
	struct vocab *v = vocab_from("small3.txt", SMALL);
	assert_non_null(v);
	const char *nfd = "\xd0\xb8\xcc\x86"; /* и + combining breve */
	struct wordpiece *fast = wordpiece_new(v, NULL);
	encode_ok(fast, nfd, (uint32_t[]){1}, 1); /* as the fast tokenizer: no NFC */
	encode_ok(fast, "й", (uint32_t[]){15}, 1);
	struct wordpiece_opts o = WORDPIECE_OPTS_DEFAULT;
	o.nfc = 1;
	struct wordpiece *slow = wordpiece_new(v, &o);
	assert_non_null(slow);
	encode_ok(slow, nfd, (uint32_t[]){15}, 1);
	encode_ok(slow, "b \xd0\xb8\xcc\x86\xd0\xb8\xcc\x86, [SEP]\xd0\xb8\xcc\x86",
		  (uint32_t[]){13, 15, 17, 12, 3, 15}, 6);
	size_t bad = 0;
	struct idvec out = {0};
	assert_int_equal(wordpiece_encode(slow, "bb \xd0\xb8\xcc", 7, &out, NULL, &bad),
			 WP_BAD_UTF8);
	assert_int_equal(bad, 5);
	assert_int_equal(out.n, 0);
	idvec_free(&out);
	wordpiece_free(slow);
	wordpiece_free(fast);
	vocab_free(v);
}

static void test_bad_utf8(void **state)
{
	struct vocab *v = vocab_from("small4.txt", SMALL);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	assert_non_null(wp);
	static const struct {
		const char *s;
		size_t len, off;
	} cases[] = {
		{"ab\xff" "cd", 5, 2},            /* stray byte */
		{"b b \xd0", 5, 4},               /* truncated at the end */
		{"\xc0\xaf", 2, 0},               /* overlong '/' */
		{"bb\xed\xa0\x80", 5, 2},         /* surrogate */
		{"b \xf4\x90\x80\x80", 6, 2},     /* above U+10FFFF */
		{"аб\x80", 5, 4},                 /* lone continuation */
		{"[SEP] b \xe2\x82", 10, 8},      /* after a special token */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct idvec out = {0};
		assert_int_equal(idvec_push(&out, 42), 0);
		size_t bad = 999;
		int rc = wordpiece_encode(wp, cases[i].s, cases[i].len, &out, NULL, &bad);
		if (rc != WP_BAD_UTF8 || bad != cases[i].off) {
			printf("case %zu: rc %d offset %zu, want %d offset %zu\n", i, rc, bad,
			       WP_BAD_UTF8, cases[i].off);
			fail();
		}
		assert_int_equal(out.n, 1); /* nothing appended */
		assert_int_equal(out.v[0], 42);
		idvec_free(&out);
	}
	wordpiece_free(wp);
	vocab_free(v);
}

static uint64_t text_hash_of(struct wordpiece *wp, const char *s)
{
	struct idvec out = {0};
	uint64_t h = 0;
	assert_int_equal(wordpiece_encode(wp, s, strlen(s), &out, &h, NULL), WP_OK);
	idvec_free(&out);
	return h;
}

static void test_text_hash(void **state)
{
	struct vocab *v = vocab_from("small5.txt", SMALL);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	const char *norm = "Фильм отстой . Не советую [SEP] 映 画";
	uint64_t h = hash64(norm, strlen(norm));
	assert_int_equal(text_hash_of(wp, "Фильм отстой. Не советую[SEP]映画"), h);
	assert_int_equal(text_hash_of(wp, "  Фильм\t\tотстой .\r\nНе  со\x01ве\xe2\x80\x8bтую "
					  "\xc2\xa0[SEP]映画\n"), h);
	assert_int_equal(text_hash_of(wp, norm), h);
	assert_int_not_equal(text_hash_of(wp, "Фильм отстой. Не советую!"), h);
	assert_int_not_equal(text_hash_of(wp, "Фильм отстой. Не совет ую[SEP]映画"), h);
	assert_int_equal(text_hash_of(wp, ""), hash64("", 0));
	assert_int_equal(text_hash_of(wp, " \x01\t"), hash64("", 0));
	wordpiece_free(wp);
	vocab_free(v);
}

/* ---- character classes (cases the golden files do not reach) ---- */

static void test_char_classes(void **state)
{
	static const struct {
		uint32_t cp;
		int cls;
	} cases[] = {
		{0x0000, PRETOK_DROP},    {0xfffd, PRETOK_DROP},    {0x0001, PRETOK_DROP},
		{0x000b, PRETOK_DROP},    {0x000c, PRETOK_DROP},    {0x0085, PRETOK_DROP},
		{0x00ad, PRETOK_DROP},    {0x200b, PRETOK_DROP},    {0xfeff, PRETOK_DROP},
		{0xe000, PRETOK_DROP},    {0xf0000, PRETOK_DROP},   {0xe0001, PRETOK_DROP},
		{'\t', PRETOK_SPACE},     {'\n', PRETOK_SPACE},     {'\r', PRETOK_SPACE},
		{' ', PRETOK_SPACE},      {0x00a0, PRETOK_SPACE},   {0x1680, PRETOK_SPACE},
		{0x2000, PRETOK_SPACE},   {0x200a, PRETOK_SPACE},   {0x2028, PRETOK_SPACE},
		{0x2029, PRETOK_SPACE},   {0x202f, PRETOK_SPACE},   {0x205f, PRETOK_SPACE},
		{0x3000, PRETOK_SPACE},   {0x001c, PRETOK_DROP},    /* not White_Space */
		{'$', PRETOK_ISOLATE},    {'+', PRETOK_ISOLATE},    {'^', PRETOK_ISOLATE},
		{'`', PRETOK_ISOLATE},    {'_', PRETOK_ISOLATE},    {'~', PRETOK_ISOLATE},
		{0x00ab, PRETOK_ISOLATE}, {0x00bf, PRETOK_ISOLATE}, {0x2014, PRETOK_ISOLATE},
		{0x2026, PRETOK_ISOLATE}, {0x3001, PRETOK_ISOLATE}, {0x4e00, PRETOK_ISOLATE},
		{0x9fff, PRETOK_ISOLATE}, {0x3400, PRETOK_ISOLATE}, {0xf900, PRETOK_ISOLATE},
		{0x20000, PRETOK_ISOLATE}, {0x2b81f, PRETOK_ISOLATE}, {0x2b920, PRETOK_ISOLATE},
		{0x2f800, PRETOK_ISOLATE}, {0x2b820, PRETOK_WORD}, /* the Rust gap */
		{0x2116, PRETOK_WORD},    {0x20ac, PRETOK_WORD},    {0x00a9, PRETOK_WORD},
		{0x1f3ac, PRETOK_WORD},   {0x0306, PRETOK_WORD},    {0x0378, PRETOK_WORD},
		{0x0439, PRETOK_WORD},    {'a', PRETOK_WORD},       {'7', PRETOK_WORD},
		{0x3042, PRETOK_WORD},    {0xac00, PRETOK_WORD},    {0x10ffff, PRETOK_WORD},
		/* the last and first code point of each CJK range, the other
		 * ASCII punctuation, and the punctuation categories beyond
		 * ASCII (the mutation audit: each bound could move, each
		 * category go, without the tests above failing; the golden
		 * files, when there, catch some) */
		{0x4dbf, PRETOK_ISOLATE}, {0x2a6df, PRETOK_ISOLATE}, {0x2a700, PRETOK_ISOLATE},
		{0x2b73f, PRETOK_ISOLATE}, {0x2b740, PRETOK_ISOLATE}, {0x2ceaf, PRETOK_ISOLATE},
		{0xfaff, PRETOK_ISOLATE}, {0x2fa1f, PRETOK_ISOLATE}, {0x33ff, PRETOK_WORD},
		{0x2ceb0, PRETOK_WORD},   {0x2fa20, PRETOK_WORD},   {':', PRETOK_ISOLATE},
		{'<', PRETOK_ISOLATE},    {'=', PRETOK_ISOLATE},    {'>', PRETOK_ISOLATE},
		{'@', PRETOK_ISOLATE},    {'|', PRETOK_ISOLATE},    {'/', PRETOK_ISOLATE},
		{0x203f, PRETOK_ISOLATE}, /* Pc */ {0x3008, PRETOK_ISOLATE}, /* Ps */
		{0x3009, PRETOK_ISOLATE}, /* Pe */ {0x00bb, PRETOK_ISOLATE}, /* Pf */
		{0x2030, PRETOK_ISOLATE}, /* Po */ {0x2010, PRETOK_ISOLATE}, /* Pd */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (pretok_class(cases[i].cp) != cases[i].cls) {
			printf("U+%04X: class %d, want %d\n", cases[i].cp, pretok_class(cases[i].cp),
			       cases[i].cls);
			fail();
		}
}

/* ---- pretok_run itself ---- */

/* Words of pretok_run as text: "w1|w2|<id>|..." (a special as <id>). */
struct words {
	char s[512];
	size_t n;
};
static int word_cb(void *ctx, const uint32_t *cp, size_t n, int32_t special)
{
	struct words *w = ctx;
	if (w->n)
		w->s[w->n++] = '|';
	if (!cp) {
		w->n += (size_t)snprintf(w->s + w->n, sizeof(w->s) - w->n, "<%d>", special);
		return 0;
	}
	if (n == 0)
		w->n += (size_t)snprintf(w->s + w->n, sizeof(w->s) - w->n, "(empty)");
	for (size_t i = 0; i < n; i++)
		w->n += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp[i],
						     (utf8proc_uint8_t *)w->s + w->n);
	w->s[w->n] = 0;
	return 0;
}
static void words_are(struct pretok *p, const char *text, const char *want)
{
	struct words w = {{0}, 0};
	assert_int_equal(pretok_run(p, text, strlen(text), word_cb, &w, NULL, NULL), 0);
	if (strcmp(w.s, want))
		fail_msg("'%s': words '%s', want '%s'", text, w.s, want);
}

/* The word splitting and the special tokens, without a vocabulary: no
 * empty word before punctuation; NFC after cleaning (a dropped character
 * between a letter and its combining mark does not stop them composing);
 * a special after a '[' that is none; the first listed special wins where
 * two match; pretok_init's checks of the specials. */
static void test_pretok_words(void **state)
{
	struct pretok_special sp[3] = {{"[SEP]", 5, 3}, {"[AB]", 4, 7}, {"[AB]X", 5, 8}};
	struct pretok p;
	assert_int_equal(pretok_init(&p, 10, 0, sp, 3), 0);
	words_are(&p, "a..b", "a|.|.|b");
	words_are(&p, ".a. ,", ".|a|.|,");
	words_are(&p, "x[[SEP]", "x|[|<3>");
	words_are(&p, "[AB]X", "<7>|X");
	pretok_free(&p);
	assert_int_equal(pretok_init(&p, 10, 1, NULL, 0), 0);
	words_are(&p, "\xd0\xb8\xe2\x80\x8b\xcc\x86 b", "\xd0\xb9|b"); /* и ZWSP breve: й */
	pretok_free(&p);
	/* specials: at most 15 bytes, starting with '[', at most 8 */
	struct pretok_special bad[1] = {{"[ABCDEFGHIJKLMN", 16, 1}};
	memcpy(bad[0].text, "[ABCDEFGHIJKLMNO", 16); /* 16 bytes, no NUL */
	capture_begin();
	assert_int_equal(pretok_init(&p, 10, 0, bad, 1), -1);
	pretok_free(&p);
	struct pretok_special nob[1] = {{"SEP]", 4, 1}};
	assert_int_equal(pretok_init(&p, 10, 0, nob, 1), -1);
	pretok_free(&p);
	struct pretok_special many[PRETOK_MAX_SPECIALS + 1];
	for (int i = 0; i <= PRETOK_MAX_SPECIALS; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		many[i].len = (uint32_t)snprintf(many[i].text, sizeof(many[i].text), "[S%d]", i);
		many[i].id = i;
	}
	assert_int_equal(pretok_init(&p, 10, 0, many, PRETOK_MAX_SPECIALS + 1), -1);
	pretok_free(&p);
	const char *msg = capture_end();
	assert_non_null(strstr(msg, "must start with '['"));
	assert_non_null(strstr(msg, "too many special tokens"));
	assert_int_equal(pretok_init(&p, 10, 0, many, PRETOK_MAX_SPECIALS), 0);
	words_are(&p, "[S7][S8]", "<7>|[|S8|]");
	pretok_free(&p);
}

/* ---- framing ---- */

static void frame_is(const uint32_t *p, size_t n, uint32_t max_len, int side,
		     const uint32_t *want, size_t wn)
{
	struct idvec out = {0};
	assert_int_equal(idvec_push(&out, 99), 0); /* reset first */
	assert_int_equal(wordpiece_frame(p, n, max_len, side, 101, 102, &out), 0);
	if (out.n != wn || memcmp(out.v, want, wn * sizeof(*want))) {
		printf("max_len %u side %s:\n", max_len, trunc_side_name(side));
		print_ids("got", out.v, out.n);
		print_ids("want", want, wn);
		fail();
	}
	idvec_free(&out);
}

static void test_frame(void **state)
{
	const uint32_t p[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	frame_is(p, 10, 0, TRUNC_HEAD, (uint32_t[]){101, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 102}, 12);
	frame_is(p, 10, 12, TRUNC_TAIL, (uint32_t[]){101, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 102}, 12);
	frame_is(p, 10, 6, TRUNC_HEAD, (uint32_t[]){101, 1, 2, 3, 4, 102}, 6);
	frame_is(p, 10, 6, TRUNC_TAIL, (uint32_t[]){101, 7, 8, 9, 10, 102}, 6);
	frame_is(p, 10, 6, TRUNC_HEAD_TAIL, (uint32_t[]){101, 1, 8, 9, 10, 102}, 6);
	frame_is(p, 10, 11, TRUNC_HEAD_TAIL, (uint32_t[]){101, 1, 2, 4, 5, 6, 7, 8, 9, 10, 102}, 11);
	frame_is(p, 10, 3, TRUNC_HEAD_TAIL, (uint32_t[]){101, 10, 102}, 3);
	frame_is(p, 10, 2, TRUNC_TAIL, (uint32_t[]){101, 102}, 2);
	frame_is(p, 0, 256, TRUNC_HEAD, (uint32_t[]){101, 102}, 2);
	struct idvec out = {0};
	capture_begin();
	assert_int_equal(wordpiece_frame(p, 10, 1, TRUNC_HEAD, 101, 102, &out), -1);
	assert_int_equal(wordpiece_frame(p, 10, 5, TRUNC_HEAD, -1, 102, &out), -1);
	assert_int_equal(wordpiece_frame(p, 10, 5, 7, 101, 102, &out), -1);
	capture_end();
	idvec_free(&out);
}

static void test_trunc_side_names(void **state)
{
	for (int s = TRUNC_HEAD; s <= TRUNC_HEAD_TAIL; s++)
		assert_int_equal(trunc_side_parse(trunc_side_name(s)), s);
	assert_string_equal(trunc_side_name(TRUNC_HEAD_TAIL), "head+tail");
	assert_int_equal(trunc_side_parse("middle"), -1);
	assert_int_equal(trunc_side_parse(""), -1);
	assert_null(trunc_side_name(3));
}

/* ---- vocab.txt ---- */

static void vocab_fails(const char *name, const char *content, const char *want_msg)
{
	capture_begin();
	struct vocab *v = vocab_from(name, content);
	const char *msg = capture_end();
	if (v || !strstr(msg, want_msg)) {
		printf("%s: loaded=%d message '%s', want NULL and '%s'\n", name, v != NULL, msg,
		       want_msg);
		fail();
	}
}

static void test_vocab_errors(void **state)
{
	vocab_fails("dup.txt", "[UNK]\na\nb\na\n", "dup.txt:4: duplicate token 'a' (first on line 2)");
	/* the first line's token (id 0) repeated, as [PAD] twice */
	vocab_fails("dup0.txt", "[PAD]\n[UNK]\n[PAD]\n",
		    "dup0.txt:3: duplicate token '[PAD]' (first on line 1)");
	vocab_fails("empty.txt", "", "empty.txt: empty vocabulary file");
	vocab_fails("blank.txt", "[UNK]\na\n\nb\n", "blank.txt:3: empty token");
	vocab_fails("crlfblank.txt", "[UNK]\r\na\r\n\r\n", "crlfblank.txt:3: empty token");
	/* a file that shrank between its size and its read: refused, not a
	 * vocabulary of what was read */
	write_file(test_path("short.txt"), SMALL, strlen(SMALL));
	capture_begin();
	faultinj_arm(&short_read, 0);
	struct vocab *sv = vocab_load(test_path("short.txt"));
	faultinj_arm(&short_read, -1);
	const char *serr = capture_end();
	assert_null(sv);
	char want[128];
	snprintf(want, sizeof(want), "short.txt': %zu of its %zu bytes (changed while read?)",
		 strlen(SMALL) / 2, strlen(SMALL));
	assert_non_null(strstr(serr, want));
	/* an empty first line: the CR check must not look before the buffer
	 * (ASan builds see that read) */
	vocab_fails("blank1.txt", "\n[UNK]\na\n", "blank1.txt:1: empty token");
	vocab_fails("badutf.txt", "[UNK]\nab\xc3(\n", "badutf.txt:2: invalid UTF-8 at byte 3");
	vocab_fails("nounk.txt", "a\nb\n", "nounk.txt: no [UNK] token");
	/* a bad sequence that ends the token (the check stopped one short) */
	vocab_fails("badend.txt", "[UNK]\nab\xc3\nc\n", "badend.txt:2: invalid UTF-8 at byte 3");
	capture_begin();
	struct vocab *v = vocab_load(test_path("does-not-exist.txt"));
	const char *msg = capture_end();
	assert_null(v);
	assert_non_null(strstr(msg, "cannot open"));
	assert_non_null(strstr(msg, "does-not-exist.txt"));
	/* a folder: said so, not "cannot read" */
	capture_begin();
	v = vocab_load(test_tmpdir());
	msg = capture_end();
	assert_null(v);
	assert_non_null(strstr(msg, "is not a regular file"));
}

/* A larger vocabulary, in which code points repeat under many parents:
 * every three-letter token of 16 letters and its "##" continuation.  Each
 * token is found by vocab_id and by WordPiece as itself (a trie edge taken
 * for another parent's, or a slot of the string table missed, shows here
 * and not in the small vocabularies above); ids past the last have no
 * token; a "#" token without any "##" piece is a plain token. */
static void test_vocab_many(void **state)
{
	enum { L = 16, N = L * L * L };
	size_t cap = 16 + (size_t)N * 14, n = 0;
	char *text = malloc(cap);
	n += (size_t)snprintf(text, cap, "[PAD]\n[UNK]\n#\n");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < N; i++)
			n += (size_t)snprintf(text + n, cap - n, "%s%c%c%c\n", k ? "##" : "",
					      'a' + i / (L * L), 'a' + i / L % L, 'a' + i % L);
	struct vocab *v = vocab_from("many.txt", text);
	assert_non_null(v);
	assert_int_equal(vocab_size(v), 3 + 2 * N);
	assert_null(vocab_token(v, vocab_size(v)));
	struct wordpiece *wp = wordpiece_new(v, NULL);
	assert_non_null(wp);
	for (uint32_t id = 0; id < vocab_size(v); id++) {
		const char *t = vocab_token(v, id);
		assert_int_equal(vocab_id(v, t, strlen(t)), (int32_t)id);
	}
	for (int i = 0; i < N; i++) {
		int j = N - 1 - i;
		char w[8] = {(char)('a' + i / (L * L)), (char)('a' + i / L % L), (char)('a' + i % L),
			     (char)('a' + j / (L * L)), (char)('a' + j / L % L), (char)('a' + j % L), 0};
		uint32_t want[2] = {3 + (uint32_t)i, 3 + N + (uint32_t)j};
		encode_ok(wp, w, want, 2);
	}
	assert_int_equal(vocab_id(v, "##", 2), -1);
	assert_int_equal(vocab_id(v, "ab", 2), -1);
	wordpiece_free(wp);
	vocab_free(v);
	free(text);
	/* "#" and no continuation pieces */
	v = vocab_from("hash.txt", "[UNK]\n#\nb\n");
	assert_non_null(v);
	wp = wordpiece_new(v, NULL);
	assert_non_null(wp);
	encode_ok(wp, "# b#", (uint32_t[]){1, 2, 1}, 3);
	wordpiece_free(wp);
	vocab_free(v);
}

static void test_vocab_line_ends(void **state)
{
	/* CRLF, and a last line without newline */
	const char *content = "[PAD]\r\n[UNK]\r\nпривет\r\n##ик\r\nb";
	struct vocab *v = vocab_from("crlf.txt", content);
	assert_non_null(v);
	assert_int_equal(vocab_size(v), 5);
	assert_int_equal(vocab_hash(v), hash64(content, strlen(content)));
	assert_string_equal(vocab_token(v, 2), "привет");
	assert_string_equal(vocab_token(v, 4), "b");
	assert_int_equal(vocab_id(v, "##ик", strlen("##ик")), 3);
	assert_int_equal(vocab_id(v, "b", 1), 4);
	assert_int_equal(vocab_id(v, "b\r", 2), -1);
	struct vocab_specials sp = vocab_specials(v);
	assert_int_equal(sp.pad, 0);
	assert_int_equal(sp.unk, 1);
	assert_int_equal(sp.cls, -1);
	assert_int_equal(sp.sep, -1);
	assert_int_equal(sp.mask, -1);
	struct wordpiece *wp = wordpiece_new(v, NULL);
	/* no [SEP] in this vocabulary: the literal is ordinary text */
	encode_ok(wp, "приветик [SEP] b", (uint32_t[]){2, 3, 1, 1, 1, 4}, 6);
	wordpiece_free(wp);
	vocab_free(v);

	/* vocab_load_text: the bytes parsed, CRs and all (train embeds them) */
	write_file(test_path("crlf2.txt"), content, strlen(content));
	char *text = NULL;
	size_t len = 0;
	v = vocab_load_text(test_path("crlf2.txt"), &text, &len);
	assert_non_null(v);
	assert_int_equal(len, strlen(content));
	assert_memory_equal(text, content, len + 1);
	assert_int_equal(vocab_hash(v), hash64(text, len));
	free(text);
	vocab_free(v);
	/* refused: no text, nothing held (ASan builds see a leak) */
	write_file(test_path("dup2.txt"), "[UNK]\na\na\n", 10);
	text = NULL;
	capture_begin();
	v = vocab_load_text(test_path("dup2.txt"), &text, &len);
	const char *msg = capture_end();
	assert_null(v);
	assert_null(text);
	assert_non_null(strstr(msg, "dup2.txt:3: duplicate token 'a'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greedy_and_unk),
		cmocka_unit_test(test_word_length_limit),
		cmocka_unit_test(test_nfc_option),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_text_hash),
		cmocka_unit_test(test_char_classes),
		cmocka_unit_test(test_pretok_words),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_trunc_side_names),
		cmocka_unit_test(test_vocab_errors),
		cmocka_unit_test(test_vocab_line_ends),
		cmocka_unit_test(test_vocab_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
