/* testutil.h - small helpers shared by the cmocka unit tests.
 * Tests that need ../shared (real reviews, golden files) call
 * shared_path() and skip with a reason when it is absent. */
#ifndef RNNPIPE_TESTUTIL_H
#define RNNPIPE_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define TEST_SKIP_EXIT 77

/* Path under the shared material, or NULL when it does not exist.
 * Uses $SHARED (set by tests/run.sh), else ../shared. */
static inline const char *shared_path(const char *rel)
{
	static char buf[8][4096];
	static int k;
	const char *root = getenv("SHARED");
	char *out = buf[k++ % 8];
	snprintf(out, 4096, "%s/%s", root && *root ? root : "../shared", rel);
	return access(out, R_OK) == 0 ? out : NULL;
}

/* Exits 77 after printing "SKIP: why" when the shared file is missing. */
static inline const char *shared_or_skip(const char *rel)
{
	const char *p = shared_path(rel);
	if (!p) {
		printf("SKIP: %s not found (the shared material is absent)\n", rel);
		exit(TEST_SKIP_EXIT);
	}
	return p;
}

/* |got - want| <= tol, compared in double; NaN or Inf in either fails.
 * (cmocka 1.1.5's assert_float_equal casts to float and passes whenever
 * the difference is NaN or Inf, so a NaN result matched any expectation.) */
#define assert_close(got, want, tol) \
	_assert_close((double)(got), (double)(want), (double)(tol), #got, __FILE__, __LINE__)
static inline void _assert_close(double got, double want, double tol, const char *expr,
				 const char *file, int line)
{
	double d = got - want;
	if (d < 0)
		d = -d;
	if (!(d <= tol)) {
		print_error("%s = %.17g, want %.17g within %.3g\n", expr, got, want, tol);
		_fail(file, line);
	}
}

/* A fresh temporary folder for this test process; removed by the OS's tmp
 * cleaning, not by the test (so a failure can be inspected). */
static inline const char *test_tmpdir(void)
{
	static char dir[256];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/rnnpipe-test-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

static inline char *test_path(const char *name)
{
	static char buf[8][4096];
	static int k;
	char *out = buf[k++ % 8];
	snprintf(out, 4096, "%s/%s", test_tmpdir(), name);
	return out;
}

/* test_path() recycles 8 buffers; a test that holds more paths keeps its
 * own copies with test_path_kept(), freed at exit (so LeakSanitizer
 * reports only the library's leaks). */
static char **test_kept_paths;
static size_t test_n_kept_paths;
static inline void test_free_kept_paths(void)
{
	for (size_t i = 0; i < test_n_kept_paths; i++)
		free(test_kept_paths[i]);
	free(test_kept_paths);
}
static inline char *test_path_kept(const char *name)
{
	if (!test_kept_paths)
		atexit(test_free_kept_paths);
	char **k = realloc(test_kept_paths, (test_n_kept_paths + 1) * sizeof(*k));
	assert_non_null(k);
	test_kept_paths = k;
	return test_kept_paths[test_n_kept_paths++] = strdup(test_path(name));
}

static inline void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* stdout into the file path (truncated) until test_stdout_back(saved):
 * what a program prints there (predict) read back by the test. */
static inline int test_stdout_to(const char *path)
{
	fflush(stdout);
	int saved = dup(1), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	return saved;
}

static inline void test_stdout_back(int saved)
{
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
}

/* Number of temporary files (afile's *.tmp.*) in the test folder. */
static inline int test_count_temps(void)
{
	DIR *d = opendir(test_tmpdir());
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strstr(e->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

#endif
