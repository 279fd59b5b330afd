/* test_fuzz_findings.c - regression tests for what fuzzing found in the
 * parsers of outside input (docs/reliability.md, findings table).  Each
 * test rebuilds the failing input by hand from a valid file, so it reads
 * as a description of the bug; the raw inputs are also replayed by
 * `make fuzz-regress` from tests/fuzz/corpus/<target>/regress-*. */
#include "testutil.h"

#include "capture.h"
#include "tokfile.h"
#include "vocab.h"

static void write_tok(const char *path)
{
	struct tokmeta m;
	memset(&m, 0, sizeof(m));
	m.vocab_size = 12;
	m.max_len = 8;
	m.unk_id = 1;
	m.cls_id = 2;
	m.sep_id = 3;
	m.truncation = strdup("head");
	m.producer = strdup("test");
	tokmeta_add_source(&m, "d.jsonl", 1);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	uint32_t ids[3] = {2, 5, 3};
	struct tokrec r = {.hash = 9, .label = -1, .n_full = 3, .n_ids = 3, .ids = ids,
			   .label_raw = "positive", .label_raw_len = 8, .text = "good",
			   .text_len = 4};
	assert_int_equal(tokwriter_add(w, &r), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static void set_u32(const char *path, long off, uint32_t v)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	unsigned char b[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, 4, f), 4);
	fclose(f);
}

/* fuzz_tokfile: the metadata length in the header was trusted: 0xffff00da
 * asked malloc for 4 GiB (out of memory under a limit), and 0xffffffff
 * wrapped mlen + 1 to 0, so fread wrote the file into a 0-byte buffer
 * (heap overflow).  Now a length past the end of the file is corruption. */
static void test_tokfile_meta_length(void **state)
{
	static const uint32_t lens[] = {0xffff00da, 0xffffffff, 0x7fffffff, 100000};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", test_path("meta.tok"));
		write_tok(path);
		set_u32(path, 12, lens[i]);
		capture_begin();
		struct tokreader *r = tokreader_open(path);
		const char *err = capture_end();
		assert_null(r);
		assert_non_null(strstr(err, "its length is past the end of the file"));
		assert_non_null(strstr(err, path));
	}
}

/* fuzz_vocab: a token with a NUL byte loaded, but vocab_token() returned
 * it cut at the NUL (and no text could ever match it).  Now refused. */
static void test_vocab_nul_in_token(void **state)
{
	static const char text[] = "[PAD]\n[UNK]\n[C\x7f\x01\0\0LS\n##a\n";
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("nul-vocab.txt"));
	write_file(path, text, sizeof(text) - 1);
	capture_begin();
	struct vocab *v = vocab_load(path);
	const char *err = capture_end();
	assert_null(v);
	char want[4200];
	snprintf(want, sizeof(want), "%s:3: NUL byte at byte 5 of the token", path);
	assert_non_null(strstr(err, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokfile_meta_length),
		cmocka_unit_test(test_vocab_nul_in_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
