/* test_stage.c - stage_reject_empty(): an option that names a file, folder
 * or field (metavar FILE, DIR, NAME) given '' (an unset variable) ends the
 * program with exit 2 and a message naming the option; other options, and
 * options left unset, pass.  Each case runs in a child, as the function
 * exits.  (The OPT_LIST case has no stage that uses it yet: report reads an
 * empty --tok-stats as absent.)
 */
#include "testutil.h"

#include <sys/wait.h>

#include "capture.h"
#include "error.h"
#include "stage.h"

static const char *s_path, *s_dir, *s_field, *s_text;
static struct opt_list s_list;

static const struct opt table[] = {
	{"output", OPT_STR, &s_path, "FILE", "the output", 0, 0},
	{"out-dir", OPT_STR, &s_dir, "DIR", "the folder", 0, 0},
	{"text-field", OPT_STR, &s_field, "NAME", "the field", 0, 0},
	{"title", OPT_STR, &s_text, "TEXT", "may be empty", 0, 0},
	{"input", OPT_LIST, &s_list, "FILE", "the inputs", 0, 0},
	{0},
};

/* Runs stage_reject_empty(table) in a child: its exit status (0 when it
 * returned), its stderr in *err. */
static int run(const char **err)
{
	capture_begin();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		stage_reject_empty(table);
		fflush(stderr);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*err = capture_end();
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void reset(void)
{
	s_path = "out.tok";
	s_dir = "dir";
	s_field = "text";
	s_text = "";
	s_list.items = NULL;
	s_list.n = 0;
}

static void test_set_and_unset_pass(void **state)
{
	(void)state;
	const char *err;
	reset();
	assert_int_equal(run(&err), 0); /* --title '' is allowed */
	s_path = s_dir = s_field = NULL;
	assert_int_equal(run(&err), 0);
}

static void test_empty_path_dir_field(void **state)
{
	(void)state;
	const char *err;
	reset();
	s_path = "";
	assert_int_equal(run(&err), EXIT_USAGE);
	assert_non_null(strstr(err, "--output: empty file name"));
	reset();
	s_dir = "";
	assert_int_equal(run(&err), EXIT_USAGE);
	assert_non_null(strstr(err, "--out-dir: empty folder name"));
	reset();
	s_field = "";
	assert_int_equal(run(&err), EXIT_USAGE);
	assert_non_null(strstr(err, "--text-field: empty field name"));
}

static void test_empty_list_item(void **state)
{
	(void)state;
	const char *err;
	const char *first[] = {"", "b.jsonl", "c.jsonl"}, *last[] = {"a.jsonl", "b.jsonl", ""};
	const char *none[] = {"a.jsonl", "b.jsonl"};
	reset();
	s_list.items = none;
	s_list.n = 2;
	assert_int_equal(run(&err), 0);
	s_list.items = first;
	s_list.n = 3;
	assert_int_equal(run(&err), EXIT_USAGE);
	assert_non_null(strstr(err, "--input: empty file name"));
	s_list.items = last;
	assert_int_equal(run(&err), EXIT_USAGE);
	assert_non_null(strstr(err, "--input: empty file name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_unset_pass),
		cmocka_unit_test(test_empty_path_dir_field),
		cmocka_unit_test(test_empty_list_item),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
