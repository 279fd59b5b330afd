/* test_progress.c - the progress display (progress.h) written to memory:
 * the mode names; the bar, filled in proportion and drawn at once for the
 * last batch, then cleared; the plain lines, one per interval and none
 * for the last batch (the epoch line follows it); nothing in mode none.
 */
#include "testutil.h"

#include <unistd.h>

#include "progress.h"

/* What the updates (done, items) of a display of total batches print. */
static char *shown(int mode, double interval, uint64_t total, const uint64_t *done, int n,
		   int sleep_first)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	assert_non_null(f);
	struct progress p;
	progress_start(&p, f, mode, "ep", total, interval);
	for (int i = 0; i < n; i++) {
		if (sleep_first)
			usleep(120000); /* past the bar's 0.1 s between draws */
		progress_update(&p, done[i], 10 * done[i], "st");
	}
	progress_end(&p);
	fclose(f);
	return s;
}

static void test_modes(void **state)
{
	assert_int_equal(progress_mode_parse("auto"), PROGRESS_AUTO);
	assert_int_equal(progress_mode_parse("bar"), PROGRESS_BAR);
	assert_int_equal(progress_mode_parse("lines"), PROGRESS_LINES);
	assert_int_equal(progress_mode_parse("none"), PROGRESS_NONE);
	assert_int_equal(progress_mode_parse("all"), -1);
}

static void test_bar(void **state)
{
	/* 2 of 4 batches: half the bar; the last: all of it, then cleared */
	uint64_t done[2] = {2, 4};
	char *s = shown(PROGRESS_BAR, 0, 4, done, 2, 1);
	assert_non_null(strstr(s, "\rep [############............] 2/4 st "));
	assert_non_null(strstr(s, "\rep [########################] 4/4 st "));
	char clear[103];
	snprintf(clear, sizeof(clear), "\r%100s\r", "");
	assert_non_null(strstr(s, clear));
	free(s);
	/* the last batch is drawn at once, however soon after the start */
	uint64_t last[1] = {4};
	s = shown(PROGRESS_BAR, 0, 4, last, 1, 0);
	assert_non_null(strstr(s, "4/4 st "));
	free(s);
}

static void test_lines(void **state)
{
	uint64_t done[2] = {1, 4};
	char *s = shown(PROGRESS_LINES, 1e-3, 4, done, 2, 1);
	assert_non_null(strstr(s, " ep batch 1/4 st "));
	assert_null(strstr(s, "4/4")); /* not for the last batch */
	assert_null(strchr(s, '\r'));
	free(s);
	s = shown(PROGRESS_NONE, 1e-3, 4, done, 2, 1);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_bar),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
