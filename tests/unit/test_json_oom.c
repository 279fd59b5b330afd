/* test_json_oom.c - the JSON writers under a jansson allocator that fails
 * once (json_set_alloc_funcs).  Each writer runs once with no failure,
 * counting N allocations, then N times with allocation n = 1..N failing:
 * each such run must fail, print one error, and leave no artifact and no
 * temporary file (a value dropped by an unchecked json_object_set_new or
 * json_array_append_new gave a file with the key missing, and success).
 * Leaks of the failing runs: LeakSanitizer in the sanitizer build
 * (tests/run.sh).  OOM_TRACE=1 prints the stack of each failing
 * allocation, for a case that does not fail. */
#include "testutil.h"

#include <execinfo.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "capture.h"
#include "badlog.h"
#include "dsfile.h"
#include "evaluate.h"
#include "hash.h"
#include "jsonw.h"
#include "metrics.h"
#include "predict.h"
#include "progress.h"
#include "rng.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"
#include "trainloop.h"
#include "ts_metrics.h"
#include "tseries.h"
#include "tsfile.h"
#include "vocab.h"

/* ---- the failing allocator ---- */

static long oom_count; /* jansson allocations since oom_arm */
static long oom_at;    /* the one that fails (0: none) */

static void *oom_malloc(size_t n)
{
	if (++oom_count == oom_at) {
		if (getenv("OOM_TRACE")) { /* where it fails, when a case does not */
			void *b[40];
			backtrace_symbols_fd(b, backtrace(b, 40), 2);
		}
		return NULL;
	}
	return malloc(n);
}

static void oom_arm(long at)
{
	oom_count = 0;
	oom_at = at;
	json_set_alloc_funcs(oom_malloc, free);
}

/* The default allocator back; returns the allocations counted. */
static long oom_disarm(void)
{
	json_set_alloc_funcs(malloc, free);
	return oom_count;
}

static int exists(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0;
}

/* Lines of s that contain "error: ". */
static int error_lines(const char *s)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, "error: ")); p++)
		n++;
	return n;
}

/* A writer under test: 0 on success; arg is its case. */
typedef int (*writer_fn)(void *arg);

/* Runs w once with no failure (it must succeed), then with each of its N
 * jansson allocations failing in turn: w must return nonzero, print exactly
 * one error, and leave none of the artifacts (NULL-terminated; removed
 * before each run) and no temporary file.  Returns N. */
static long each_failure(const char *what, writer_fn w, void *arg, const char *const *artifacts)
{
	for (int i = 0; artifacts[i]; i++)
		unlink(artifacts[i]);
	oom_arm(0);
	int rc = w(arg);
	long n = oom_disarm();
	assert_int_equal(rc, 0);
	for (int i = 0; artifacts[i]; i++)
		assert_true(exists(artifacts[i]));
	assert_true(n > 0);
	for (long at = 1; at <= n; at++) {
		for (int i = 0; artifacts[i]; i++)
			unlink(artifacts[i]);
		capture_begin();
		oom_arm(at);
		rc = w(arg);
		oom_disarm();
		const char *msg = capture_end();
		if (rc == 0 || error_lines(msg) != 1) {
			printf("%s: allocation %ld of %ld failing: returned %d, printed %d errors\n",
			       what, at, n, rc, error_lines(msg));
			fail();
		}
		for (int i = 0; artifacts[i]; i++)
			if (exists(artifacts[i])) {
				printf("%s: allocation %ld of %ld failing: '%s' was written\n", what,
				       at, n, artifacts[i]);
				fail();
			}
		assert_int_equal(test_count_temps(), 0);
	}
	printf("%s: %ld failure points\n", what, n);
	return n;
}

/* ---- jsonw_dumps ---- */

/* An object of 12 keys: its text, and with each jansson allocation of the
 * dump failing, NULL (json_dumps gave '{"key0": 0.0, ": 0.1, ...' there). */
static void test_jsonw_dumps(void **state)
{
	(void)state;
	json_t *j = json_object();
	for (int i = 0; i < 12; i++) {
		char k[16];
		snprintf(k, sizeof(k), "key%d", i);
		assert_int_equal(json_object_set_new(j, k, json_real(i * 0.1)), 0);
	}
	const size_t flags[] = {JSON_PRESERVE_ORDER, JSON_SORT_KEYS | JSON_INDENT(2), JSON_COMPACT};
	for (int f = 0; f < 3; f++) {
		char *want = json_dumps(j, flags[f]);
		assert_non_null(want);
		size_t len;
		oom_arm(0);
		char *s = jsonw_dumps(j, flags[f], &len);
		long n = oom_disarm();
		assert_non_null(s);
		assert_string_equal(s, want);
		assert_int_equal(len, strlen(want));
		free(s);
		for (long at = 1; at <= n; at++) {
			oom_arm(at);
			s = jsonw_dumps(j, flags[f], NULL);
			oom_disarm();
			if (s) {
				printf("jsonw_dumps: allocation %ld of %ld failing: '%s'\n", at, n, s);
				fail();
			}
		}
		/* json_dumps's texts that are neither NULL nor right, for the log */
		oom_arm(0);
		free(json_dumps(j, flags[f]));
		long n2 = oom_disarm();
		int broken = 0;
		for (long at = 1; at <= n2; at++) {
			oom_arm(at);
			s = json_dumps(j, flags[f]);
			oom_disarm();
			broken += s && strcmp(s, want);
			free(s);
		}
		printf("jsonw_dumps: %ld failure points (json_dumps: %d broken texts of %ld)\n", n,
		       broken, n2);
		free(want);
	}
	json_decref(j);
}

/* json_write_file (badlog.h), the pretty JSON file writer, on a built
 * object: its dump's failures */
struct write_file_case {
	const char *path;
	const json_t *j;
};

static int write_file_case(void *arg)
{
	const struct write_file_case *w = arg;
	return json_write_file(w->path, w->j) != 0;
}

static void test_json_write_file(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:i, s:{s:[f, f], s:s}}", "a", 1, "b", "c", 0.5, 0.25, "d", "e");
	assert_non_null(j);
	struct write_file_case w = {test_path_kept("write_file.json"), j};
	const char *art[] = {w.path, NULL};
	each_failure("json_write_file", write_file_case, &w, art);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_dumps),
		cmocka_unit_test(test_json_write_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
