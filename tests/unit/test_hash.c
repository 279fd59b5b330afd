/* test_hash.c - hash64, the hash of every artifact's provenance (vocab,
 * dataset and text hashes written into files): FNV-1a 64 against its
 * published test vectors, the splitmix64 finaliser against values
 * computed by an independent implementation (a changed hash would make
 * every existing artifact look stale or foreign), streaming in parts,
 * hash64_file across its 64 KiB reads and its errors, and the 16-digit
 * zero-padded hex that model files store.  Needs no shared material. */
#include "testutil.h"

#include "capture.h"
#include "hash.h"

static void test_vectors(void **state)
{
	(void)state;
	/* FNV-1a 64 (the IETF draft's and Fowler's tables) */
	assert_true(hash64_update(HASH64_SEED, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(hash64_update(HASH64_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(hash64_update(HASH64_SEED, "foobar", 6) == 0x85944171f73967e8ULL);
	/* with the finaliser */
	assert_true(hash64("", 0) == 0xf52a15e9a9b5e89bULL);
	assert_true(hash64("a", 1) == 0x02c0bdbf481420f8ULL);
	assert_true(hash64("foobar", 6) == 0x404da9e3b74078c2ULL);
	/* in parts */
	uint64_t h = hash64_update(HASH64_SEED, "foo", 3);
	assert_true(hash64_final(hash64_update(h, "bar", 3)) == hash64("foobar", 6));
}

static void test_file_and_hex(void **state)
{
	(void)state;
	size_t n = 200000; /* four reads of 64 KiB, the last one short */
	unsigned char *buf = malloc(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 31 + 7);
	const char *path = test_path("big.bin");
	write_file(path, buf, n);
	uint64_t h = 0;
	assert_int_equal(hash64_file(path, &h), 0);
	assert_true(h == 0x674e5fca30819d3eULL);
	assert_true(h == hash64(buf, n));
	free(buf);
	char hex[17];
	hash64_hex(hash64("a", 1), hex);
	assert_string_equal(hex, "02c0bdbf481420f8");
	hash64_hex(0, hex);
	assert_string_equal(hex, "0000000000000000");
	/* errors: no file, and a folder (opens, cannot be read) */
	capture_begin();
	h = 42;
	assert_int_equal(hash64_file(test_path("absent.bin"), &h), -1);
	assert_int_equal(hash64_file(test_tmpdir(), &h), -1);
	const char *txt = capture_end();
	assert_true(h == 42);
	assert_non_null(strstr(txt, "cannot open"));
	assert_non_null(strstr(txt, "cannot read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_file_and_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
