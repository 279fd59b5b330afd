/* test_h5seal.c - the integrity seal of HDF5 files made by h5_create
 * (h5util.h): sealed files check out, any flipped byte, truncation or
 * growth is refused with a message naming the file, an unsealed file is
 * refused only when a seal is required, a seal whose write is lost at
 * close is an error; and the case that made the seal
 * necessary: a string attribute changed in HDF5's global heap reads back
 * changed with no error from HDF5 (fuzz_dataset found such files that make
 * HDF5 loop forever), while the seal refuses the file. */
#include "testutil.h"

#include <errno.h>

#include "capture.h"
#define FAULTINJ_FCLOSE
#include "faultinj.h"
#include "h5util.h"

static void make_file(const char *path)
{
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	assert_int_equal(h5_attr_write_str(f, "label", "positive-label-name"), 0);
	int64_t v[64];
	for (int i = 0; i < 64; i++)
		v[i] = i * 7;
	assert_int_equal(h5_attr_write_ints(f, "numbers", v, 64), 0);
	assert_int_equal(h5_close(f), 0);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(*n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

static void expect_refused(const char *path, int required, const char *want)
{
	capture_begin();
	int rc = h5_seal_check(path, required);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, want));
}

static void test_sealed_file_checks_out(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("sealed.h5"));
	make_file(path);
	assert_int_equal(h5_seal_check(path, 0), 0); /* not sealed yet: allowed */
	expect_refused(path, 1, "no integrity seal");
	assert_int_equal(h5_seal(path), 0);
	assert_int_equal(h5_seal_check(path, 1), 0);
	size_t n;
	unsigned char *b = slurp(path, &n);
	assert_memory_equal(b, "rnnpipe-h5seal 1 size=", 22);
	free(b);
	/* HDF5 still opens it (the seal lives in the user block) */
	hid_t f = h5_open(path, 0);
	assert_true(f >= 0);
	char *s;
	assert_int_equal(h5_attr_read_str(f, "label", &s), 0);
	assert_string_equal(s, "positive-label-name");
	free(s);
	h5_close(f);
}

static void test_every_flip_is_refused(void **state)
{
	/* own copies: test_path() recycles its buffers (capture uses it) */
	char *path = strdup(test_path("flip.h5")), *bad = strdup(test_path("flip-bad.h5"));
	make_file(path);
	assert_int_equal(h5_seal(path), 0);
	size_t n;
	unsigned char *b = slurp(path, &n);
	/* one flipped bit at many offsets: the seal line, its padding, HDF5's
	 * superblock and everything after; bit 5 is the case of a hex digit
	 * ("b5" -> "B5": the same number, still a changed file) */
	for (size_t off = 0; off < n; off += (off < 600 ? 1 : 97)) {
		for (int bit = 4; bit <= 5; bit++) {
			b[off] ^= 1 << bit;
			write_file(bad, b, n);
			b[off] ^= 1 << bit;
			capture_begin();
			int rc = h5_seal_check(bad, 1);
			capture_end();
			if (rc != -1)
				fail_msg("bit %d flipped at offset %zu went unnoticed", bit, off);
		}
	}
	/* truncated and grown */
	write_file(bad, b, n - 1);
	expect_refused(bad, 1, "truncated");
	write_file(bad, b, n / 2);
	expect_refused(bad, 0, "truncated");
	unsigned char *g = calloc(1, n + 10);
	memcpy(g, b, n);
	write_file(bad, g, n + 10);
	expect_refused(bad, 1, "has grown");
	free(g);
	free(b);
	free(path);
	free(bad);
}

/* The global heap holds variable-length strings and has no checksum. */
static void test_global_heap_corruption(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("heap.h5"));
	make_file(path);
	assert_int_equal(h5_seal(path), 0);
	size_t n;
	unsigned char *b = slurp(path, &n);
	unsigned char *p = memmem(b, n, "positive-label-name", 19);
	assert_non_null(p);
	memcpy(p, "negative", 8);
	write_file(path, b, n);
	free(b);
	hid_t f = h5_open(path, 0);
	assert_true(f >= 0);
	char *s = NULL;
	assert_int_equal(h5_attr_read_str(f, "label", &s), 0); /* HDF5 sees nothing */
	assert_string_equal(s, "negative-label-name");
	free(s);
	h5_close(f);
	expect_refused(path, 1, "corrupted: the CRC-32 of its bytes is");
}

static void test_damaged_seal_line(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("line.h5"));
	make_file(path);
	assert_int_equal(h5_seal(path), 0);
	size_t n;
	unsigned char *b = slurp(path, &n);
	unsigned char *eq = memchr(b, '=', 40);
	assert_non_null(eq);
	eq[1] = 'x'; /* size=x... */
	write_file(path, b, n);
	expect_refused(path, 0, "damaged integrity seal");
	free(b);
	expect_refused(test_path("missing.h5"), 0, "cannot open");
}

/* The seal written, then fclose reports it lost (EIO): h5_seal fails
 * naming the file and the error, where a file sealed for certain would
 * have been committed. */
static void test_seal_lost_at_close(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("lost.h5"));
	make_file(path);
	capture_begin();
	faultinj_arm(&fclose_fault, 0);
	int rc = h5_seal(path);
	faultinj_arm(&fclose_fault, -1);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot write"));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(EIO)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sealed_file_checks_out),
		cmocka_unit_test(test_every_flip_is_refused),
		cmocka_unit_test(test_global_heap_corruption),
		cmocka_unit_test(test_damaged_seal_line),
		cmocka_unit_test(test_seal_lost_at_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
