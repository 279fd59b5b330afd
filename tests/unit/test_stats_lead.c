/* test_stats_lead.c - a stage's --stats file leads its outputs (stats_open,
 * afile_lead): the outputs committed during the run are renamed only after
 * the stats are written in full and renamed, and are never renamed when
 * the stats fail at the end (a full disk: /dev/full stands in for it), so
 * no output is left that make would take for fresh while the stage exits 1.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "afile.h"
#include "badlog.h"
#include "capture.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The file's content (static buffer), or "(absent)". */
static const char *get(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return "(absent)";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Writes text into a new output at path and commits it (held back while
 * a lead is open). */
static int output(const char *path, const char *text)
{
	struct afile af;
	assert_int_equal(afile_open(&af, path), 0);
	fputs(text, af.fp);
	return afile_commit(&af);
}

static json_t *stats(void)
{
	return json_pack("{s:s, s:i}", "status", "ok", "n", 3);
}

/* Commits the stats file sa, which must fail: what it printed. */
static const char *commit_fails(struct afile *sa)
{
	json_t *j = stats();
	capture_begin();
	int rc = stats_commit(sa, j);
	const char *err = capture_end();
	json_decref(j);
	assert_int_equal(rc, -1);
	return err;
}

static void test_outputs_wait_for_the_stats(void **state)
{
	(void)state;
	const char *out = test_path("ok.tok"), *st = test_path("ok.json");
	put(out, "old");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, &out, 1), 0);
	assert_int_equal(output(out, "new"), 0);
	/* committed by the run, but not renamed before the stats are */
	assert_string_equal(get(out), "old");
	json_t *j = stats();
	assert_int_equal(stats_commit(&sa, j), 0);
	json_decref(j);
	assert_string_equal(get(out), "new");
	assert_non_null(strstr(get(st), "\"status\": \"ok\""));
	assert_int_equal(test_count_temps(), 0);
	/* the lead is gone: a later commit renames at once */
	assert_int_equal(output(out, "newer"), 0);
	assert_string_equal(get(out), "newer");
}

static void test_stats_disk_full(void **state)
{
	(void)state;
	const char *outs[2] = {test_path("full-a.tok"), test_path("full-b.tok")};
	const char *st = test_path("full.json");
	put(outs[0], "old a");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, outs, 2), 0);
	assert_int_equal(output(outs[0], "new a"), 0);
	assert_int_equal(output(outs[1], "new b"), 0);
	/* the stats file's disk fills up: its writes fail with ENOSPC */
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	fclose(sa.fp);
	sa.fp = full;
	const char *err = commit_fails(&sa);
	assert_non_null(strstr(err, "cannot write"));
	assert_non_null(strstr(err, st));
	/* neither output was renamed: the old one is still there, the new one absent */
	assert_string_equal(get(outs[0]), "old a");
	assert_string_equal(get(outs[1]), "(absent)");
	assert_string_equal(get(st), "(absent)");
	assert_int_equal(test_count_temps(), 0);
}

static void test_stats_rename_fails(void **state)
{
	(void)state;
	const char *out = test_path("ren.tok"), *st = test_path("ren.json");
	put(out, "old");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, &out, 1), 0);
	assert_int_equal(output(out, "new"), 0);
	/* the stats' folder is gone by the end: the rename fails (ENOENT) */
	free(sa.path);
	sa.path = strdup(test_path("gone/ren.json"));
	const char *err = commit_fails(&sa);
	assert_non_null(strstr(err, "cannot rename"));
	assert_string_equal(get(out), "old");
	assert_int_equal(test_count_temps(), 0);
}

static void test_stats_not_built(void **state)
{
	(void)state;
	const char *out = test_path("nobuild.tok"), *st = test_path("nobuild.json");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, &out, 1), 0);
	assert_int_equal(output(out, "new"), 0);
	capture_begin();
	int rc = stats_commit(&sa, NULL);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot encode the stats"));
	assert_string_equal(get(out), "(absent)");
	assert_int_equal(test_count_temps(), 0);
}

/* An output whose rename fails after the stats were renamed: the outputs
 * renamed before it are removed, none is left to look fresh. */
static void test_output_rename_fails(void **state)
{
	(void)state;
	const char *outs[2] = {test_path("late-a.tok"), test_path("late-b.tok")};
	const char *st = test_path("late.json");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, outs, 2), 0);
	assert_int_equal(output(outs[0], "new a"), 0);
	struct afile b;
	assert_int_equal(afile_open(&b, outs[1]), 0);
	fputs("new b", b.fp);
	char tmp_b[4096];
	snprintf(tmp_b, sizeof(tmp_b), "%s", b.tmp);
	assert_int_equal(afile_commit(&b), 0);
	unlink(tmp_b); /* its rename will fail (ENOENT) */
	const char *err = commit_fails(&sa);
	assert_non_null(strstr(err, "cannot rename"));
	assert_non_null(strstr(err, "removed"));
	assert_string_equal(get(outs[0]), "(absent)");
	assert_string_equal(get(outs[1]), "(absent)");
	assert_int_equal(test_count_temps(), 0);
}

/* A held rename that fails in the middle (the output's name is now a
 * folder): the outputs renamed before it are removed, and the temporary
 * files of it and of those after it too. */
static void test_middle_rename_fails(void **state)
{
	(void)state;
	const char *outs[3] = {test_path("mid-a.tok"), test_path("mid-b.tok"),
			       test_path("mid-c.tok")};
	const char *st = test_path("mid.json");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, outs, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(output(outs[i], "new"), 0);
	assert_int_equal(mkdir(outs[1], 0777), 0); /* rename over it: EISDIR */
	const char *err = commit_fails(&sa);
	assert_non_null(strstr(err, "cannot rename"));
	assert_string_equal(get(outs[0]), "(absent)");
	assert_string_equal(get(outs[2]), "(absent)");
	assert_int_equal(test_count_temps(), 0);
	rmdir(outs[1]);
}

/* More outputs than a fixed table would hold (tokenize --out-dir writes
 * one a dump; 300 dumps failed "too many outputs in one run"): all wait
 * for the stats, then all are renamed. */
static void test_many_outputs(void **state)
{
	(void)state;
	enum { N = 300 };
	const char *first = test_path("many-0.tok"), *st = test_path("many.json");
	struct afile sa;
	assert_int_equal(stats_open(&sa, st, &first, 1), 0);
	char name[32], text[32];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many-%d.tok", i);
		snprintf(text, sizeof(text), "out %d", i);
		assert_int_equal(output(test_path(name), text), 0);
	}
	assert_string_equal(get(test_path("many-299.tok")), "(absent)");
	assert_int_equal(test_count_temps(), N + 1); /* and the stats' own */
	json_t *j = stats();
	assert_int_equal(stats_commit(&sa, j), 0);
	json_decref(j);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "many-%d.tok", i);
		snprintf(text, sizeof(text), "out %d", i);
		assert_string_equal(get(test_path(name)), text);
	}
	assert_int_equal(test_count_temps(), 0);
}

/* A signal while 300 outputs wait for the stats: every temporary file is
 * removed (the handler's table held 64 names, and held files stay under
 * their temporary names until the stats are renamed). */
static void test_signal_removes_held(void **state)
{
	(void)state;
	enum { N = 300 };
	assert_int_equal(test_count_temps(), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		afile_install_signal_cleanup();
		const char *first = test_path("sig-0.tok"), *st = test_path("sig.json");
		struct afile sa;
		if (stats_open(&sa, st, &first, 1))
			_exit(3);
		char name[32];
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "sig-%d.tok", i);
			if (output(test_path(name), "held"))
				_exit(4);
		}
		if (test_count_temps() != N + 1)
			_exit(5);
		raise(SIGTERM);
		_exit(6);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(test_count_temps(), 0);
	assert_string_equal(get(test_path("sig-0.tok")), "(absent)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outputs_wait_for_the_stats),
		cmocka_unit_test(test_stats_disk_full),
		cmocka_unit_test(test_stats_rename_fails),
		cmocka_unit_test(test_stats_not_built),
		cmocka_unit_test(test_output_rename_fails),
		cmocka_unit_test(test_middle_rename_fails),
		cmocka_unit_test(test_many_outputs),
		cmocka_unit_test(test_signal_removes_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
