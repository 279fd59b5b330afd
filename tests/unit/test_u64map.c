/* test_u64map.c - the duplicate-detection map of filter-relabel and split:
 * a new key gets the value 0 and *found 0, a known one its value and
 * *found 1; values and keys survive every growth; the map is sized for
 * the keys announced and never more than half full; absent keys (0 and
 * UINT64_MAX among them) are absent.  Needs no shared material. */
#include "testutil.h"

#include "hash.h"
#include "u64map.h"

/* Key i: well mixed like a review hash, or plain (i) for the odd ones. */
static uint64_t key_of(uint32_t i)
{
	return i & 1 ? (uint64_t)i : hash64(&i, sizeof(i));
}

static void test_put_get_grow(void **state)
{
	(void)state;
	struct u64map m;
	assert_int_equal(u64map_init(&m, 0), 0);
	const uint32_t N = 5000;
	for (uint32_t i = 0; i < N; i++) {
		int found = -1;
		uint32_t *v = u64map_put(&m, key_of(i), &found);
		assert_non_null(v);
		assert_int_equal(found, 0);
		assert_int_equal(*v, 0);
		*v = i * 7 + 1;
		assert_int_equal(m.n, i + 1);
		assert_true(2 * m.n <= m.cap); /* at most half full */
	}
	for (uint32_t i = 0; i < N; i++) {
		int found = -1;
		uint32_t *v = u64map_put(&m, key_of(i), &found);
		assert_non_null(v);
		assert_int_equal(found, 1);
		assert_int_equal(*v, i * 7 + 1);
		assert_ptr_equal(u64map_get(&m, key_of(i)), v);
	}
	assert_int_equal(m.n, N);
	for (uint32_t i = N; i < 2 * N; i++)
		assert_null(u64map_get(&m, key_of(i)));
	assert_null(u64map_get(&m, UINT64_MAX));
	u64map_free(&m);
	assert_null(m.keys);
	assert_int_equal(m.n, 0);
}

/* Keys 0 and UINT64_MAX are keys like the others; a map sized for 1000
 * keys takes them without growing. */
static void test_sizing_and_edge_keys(void **state)
{
	(void)state;
	struct u64map m;
	assert_int_equal(u64map_init(&m, 1000), 0);
	size_t cap = m.cap;
	assert_true(cap >= 2 * 1000 + 2);
	int found;
	*u64map_put(&m, 0, &found) = 5;
	assert_int_equal(found, 0);
	*u64map_put(&m, UINT64_MAX, &found) = 6;
	assert_int_equal(found, 0);
	for (uint32_t i = 2; i < 1000; i++)
		assert_non_null(u64map_put(&m, key_of(i) | 2, &found));
	assert_int_equal(m.cap, cap);
	assert_int_equal(*u64map_get(&m, 0), 5);
	assert_int_equal(*u64map_get(&m, UINT64_MAX), 6);
	assert_null(u64map_get(&m, 1));
	u64map_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_grow),
		cmocka_unit_test(test_sizing_and_edge_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
