/* test_grow.c - grow_array: doubling from the minimum, contents kept, no
 * change when there is room, refusal (with *p and *cap untouched) when the
 * size does not fit a size_t or realloc fails, and the quiet form's silence. */
#include "testutil.h"

#include <stdint.h>

#include "capture.h"
#include "grow.h"

/* AddressSanitizer reports every allocation it refuses (and run.sh fails
 * a test whose run left a report), so the checks that need realloc itself
 * to fail are skipped in ASan builds; the refusals made before realloc run
 * everywhere. */
#if defined(__SANITIZE_ADDRESS__)
#define REALLOC_CAN_FAIL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REALLOC_CAN_FAIL 0
#endif
#endif
#ifndef REALLOC_CAN_FAIL
#define REALLOC_CAN_FAIL 1
#endif
#define NEED_REALLOC_FAILURE()                                                             \
	do {                                                                               \
		if (!REALLOC_CAN_FAIL)                                                     \
			skip();                                                            \
	} while (0)

static void test_first_growth_uses_min(void **state)
{
	(void)state;
	int *a = NULL;
	size_t cap = 0;
	assert_int_equal(GROW_ARRAY(a, cap, 1, 16), 0);
	assert_non_null(a);
	assert_int_equal(cap, 16);
	/* a need above min doubles min until it fits */
	long *b = NULL;
	size_t bcap = 0;
	assert_int_equal(GROW_ARRAY(b, bcap, 100, 16), 0);
	assert_int_equal(bcap, 128);
	b[99] = 7; /* the whole capacity is there (ASan would see otherwise) */
	/* min 0 counts as 1 */
	char *c = NULL;
	size_t ccap = 0;
	assert_int_equal(GROW_ARRAY(c, ccap, 1, 0), 0);
	assert_int_equal(ccap, 1);
	free(a);
	free(b);
	free(c);
}

static void test_doubles_and_keeps_contents(void **state)
{
	(void)state;
	uint32_t *a = NULL;
	size_t cap = 0, n = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		if (n == cap) {
			size_t before = cap;
			assert_int_equal(GROW_ARRAY(a, cap, n + 1, 8), 0);
			assert_int_equal(cap, before ? 2 * before : 8);
		}
		a[n++] = i * 3;
	}
	assert_int_equal(cap, 1024);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(a[i], i * 3);
	/* a jump: from 1024 straight to the first power of two above need */
	assert_int_equal(GROW_ARRAY(a, cap, 5000, 8), 0);
	assert_int_equal(cap, 8192);
	assert_int_equal(a[999], 2997);
	free(a);
}

static void test_room_enough_changes_nothing(void **state)
{
	(void)state;
	double *a = NULL;
	size_t cap = 0;
	assert_int_equal(GROW_ARRAY(a, cap, 10, 32), 0);
	double *was = a;
	for (size_t need = 0; need <= 32; need++) {
		assert_int_equal(GROW_ARRAY(a, cap, need, 1 << 20), 0);
		assert_ptr_equal(a, was);
		assert_int_equal(cap, 32);
	}
	free(a);
	/* need 0 on an empty array allocates nothing */
	char *e = NULL;
	size_t ecap = 0;
	assert_int_equal(GROW_ARRAY(e, ecap, 0, 64), 0);
	assert_null(e);
	assert_int_equal(ecap, 0);
}

static void test_refuses_size_overflow(void **state)
{
	(void)state;
	uint64_t *a = NULL;
	size_t cap = 0;
	assert_int_equal(GROW_ARRAY(a, cap, 4, 4), 0);
	uint64_t *was = a;
	a[3] = 42;
	capture_begin();
	int rc = GROW_ARRAY(a, cap, SIZE_MAX / sizeof(*a) + 1, 4);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_ptr_equal(a, was); /* untouched, still the caller's */
	assert_int_equal(cap, 4);
	assert_int_equal(a[3], 42);
	assert_non_null(strstr(msg, "out of memory"));
	assert_non_null(strstr(msg, "do not fit a size_t"));
	free(a);
}

/* SIZE_MAX elements of one byte fit a size_t; no allocator gives them. */
static void test_realloc_failure_keeps_array(void **state)
{
	(void)state;
	NEED_REALLOC_FAILURE();
	char *c = NULL;
	size_t cap = 0;
	assert_int_equal(GROW_ARRAY(c, cap, 100, 16), 0);
	char *was = c;
	c[99] = 'x';
	capture_begin();
	int rc = GROW_ARRAY(c, cap, SIZE_MAX, 16);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_ptr_equal(c, was);
	assert_int_equal(cap, 128);
	assert_int_equal(c[99], 'x');
	char want[64];
	snprintf(want, sizeof(want), "out of memory (%zu bytes)", (size_t)SIZE_MAX);
	assert_non_null(strstr(msg, want));
	free(c);
}

/* Doubling past what a size_t can count stops at the most that fits,
 * instead of wrapping round to a small size that realloc would grant. */
static void test_doubling_is_clamped(void **state)
{
	(void)state;
	NEED_REALLOC_FAILURE();
	size_t elem = SIZE_MAX / 5; /* exactly: 2^64-1 and 2^32-1 are multiples of 5 */
	void *p = NULL;
	size_t cap = 0;
	capture_begin();
	int rc = grow_array(&p, &cap, 5, elem, 1); /* 1, 2, 4, then 5, not 8 */
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_null(p);
	assert_int_equal(cap, 0);
	char want[64];
	snprintf(want, sizeof(want), "(%zu bytes)", (size_t)5 * elem);
	assert_non_null(strstr(msg, want));
	/* a min above what fits is clamped the same way */
	capture_begin();
	rc = grow_array(&p, &cap, 1, elem, SIZE_MAX);
	msg = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(msg, want));
}

static void test_zero_elem_refused(void **state)
{
	(void)state;
	void *p = NULL;
	size_t cap = 0;
	capture_begin();
	int rc = grow_array(&p, &cap, 1, 0, 16);
	const char *msg = capture_end();
	assert_int_equal(rc, -1);
	assert_null(p);
	assert_int_equal(cap, 0);
	assert_non_null(strstr(msg, "out of memory"));
}

static void test_quiet_says_nothing(void **state)
{
	(void)state;
	char *c = NULL;
	size_t cap = 0;
	capture_begin();
	/* refused before realloc, and (where it can be tried) by realloc */
	int rc1 = grow_array_quiet((void **)&c, &cap, SIZE_MAX / 2 + 1, 2, 1);
	int rc2 = REALLOC_CAN_FAIL ? GROW_ARRAY_QUIET(c, cap, SIZE_MAX, 1) : -1;
	const char *msg = capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_string_equal(msg, "");
	assert_null(c);
	assert_int_equal(cap, 0);
	assert_int_equal(GROW_ARRAY_QUIET(c, cap, 3, 2), 0);
	assert_int_equal(cap, 4);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_growth_uses_min),
		cmocka_unit_test(test_doubles_and_keeps_contents),
		cmocka_unit_test(test_room_enough_changes_nothing),
		cmocka_unit_test(test_refuses_size_overflow),
		cmocka_unit_test(test_realloc_failure_keeps_array),
		cmocka_unit_test(test_doubling_is_clamped),
		cmocka_unit_test(test_zero_elem_refused),
		cmocka_unit_test(test_quiet_says_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
