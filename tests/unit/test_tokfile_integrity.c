/* test_tokfile_integrity.c - token files detect corruption of their
 * metadata as well as of their records (version 2: the trailer's hash
 * covers the metadata bytes; a changed vocab_size or label name used to
 * pass silently into dataset.h5), and version 1 files still read. */
#include "testutil.h"

#include "capture.h"
#include "hash.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"

static void write_tok(const char *path)
{
	struct tokmeta m;
	test_tokmeta(&m, 0xabcdef, 12, 8, 1);
	tokmeta_add_source(&m, "d.jsonl", 1);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	for (int i = 0; i < 5; i++) {
		uint32_t ids[3] = {2, 5 + i, 3};
		struct tokrec r = {.hash = 9 + i, .label = i % 2, .n_full = 3, .n_ids = 3,
				   .ids = ids, .label_raw = "positive", .label_raw_len = 8,
				   .text = "good", .text_len = 4};
		assert_int_equal(tokwriter_add(w, &r), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(*n);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

/* Reads every record; returns tokreader_next's last result (0 = clean end,
 * -1 = error) or -2 when the file did not open. */
static int read_all(const char *path, const char **err)
{
	capture_begin();
	struct tokreader *r = tokreader_open(path);
	int rc = -2;
	if (r) {
		struct tokrec rec;
		while ((rc = tokreader_next(r, &rec)) == 1)
			;
		tokreader_close(r);
	}
	*err = capture_end();
	return rc;
}

static void test_metadata_change_is_detected(void **state)
{
	char path[4096], bad[4096];
	snprintf(path, sizeof(path), "%s", test_path("meta.tok"));
	snprintf(bad, sizeof(bad), "%s", test_path("meta-bad.tok"));
	write_tok(path);
	size_t n;
	unsigned char *b = slurp(path, &n);
	const char *err;
	assert_int_equal(read_all(path, &err), 0);
	/* changes that leave valid JSON: a digit, a letter of a label name */
	static const char *const finds[] = {"\"vocab_size\":12", "negative", "\"max_len\":8"};
	static const int at[] = {14, 2, 10};
	for (int k = 0; k < 3; k++) {
		unsigned char *p = memmem(b, n, finds[k], strlen(finds[k]));
		assert_non_null(p);
		unsigned char old = p[at[k]];
		p[at[k]] = old == '9' ? '7' : (old >= '0' && old <= '8') ? old + 1 : 'x';
		write_file(bad, b, n);
		p[at[k]] = old;
		int rc = read_all(bad, &err);
		if (rc == 0)
			fail_msg("a change of '%s' went unnoticed", finds[k]);
		assert_non_null(strstr(err, "checksum mismatch"));
	}
	free(b);
}

static void test_version_1_still_reads(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("v1.tok"));
	write_tok(path);
	size_t n;
	unsigned char *b = slurp(path, &n);
	/* rewrite as version 1: trailer hash over the record bodies only */
	uint32_t mlen;
	memcpy(&mlen, b + 12, 4);
	b[8] = 1;
	uint64_t h = HASH64_SEED;
	size_t pos = 24 + mlen;
	while (pos + 24 < n) {
		uint32_t len;
		memcpy(&len, b + pos, 4);
		h = hash64_update(h, b + pos + 4, len);
		pos += 4 + len;
	}
	uint64_t sum = hash64_final(h);
	memcpy(b + n - 8, &sum, 8);
	write_file(path, b, n);
	free(b);
	const char *err;
	assert_int_equal(read_all(path, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_change_is_detected),
		cmocka_unit_test(test_version_1_still_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
