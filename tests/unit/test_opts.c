/* test_opts.c - the option parser and its generated help (opts.h): exact
 * names and choices, integer and number values with their ranges, the
 * arguments that are positional ("-", "-3.5", "-.5", after "--"), flags,
 * repeated options, the positional counts, values and arguments that are
 * not UTF-8, --help and -h, and the exit statuses of opts_parse_or_exit (0 after --help, 2 on bad usage).
 */
#include "testutil.h"

#include <sys/wait.h>

#include "capture.h"
#include "opts.h"

static int flag;
static const char *str, *mode;
static long count;
static double rate;
static struct opt_list inputs;

static const struct opt table[] = {
	{"verbose", OPT_FLAG, &flag, NULL, "say more", 0, 0},
	{"output", OPT_STR, &str, "FILE", "where", 0, 0},
	{"mode", OPT_CHOICE, &mode, "fast|exact|slow", "how", 0, 0},
	{"count", OPT_INT, &count, "N", "how many", 1, 100},
	{"offset", OPT_INT, &count, "N", "any integer", 0, 0},
	{"rate", OPT_DOUBLE, &rate, "R", "a fraction", 0, 1},
	{"input", OPT_LIST, &inputs, "FILE", "repeatable", 0, 0},
	{0},
};

static const struct opts_program prog = {"prog", "[OPTIONS] A [B]", "A test program.", table,
					  1, 2, 0};
static const struct opts_program none = {"none", "[OPTIONS]", "No arguments.", table, 0, 0, 0};
static const struct opts_program many = {"many", "[OPTIONS] X...", "Many.", table, 1, -1, 0};

static char *argv_buf[32];
static char **args;
static int nargs;

/* Parses "prog" + the words (NULL-terminated) with p; stderr in *err. */
static int parse_with(const struct opts_program *p, const char **err, const char *const *words)
{
	flag = 0, str = NULL, mode = "exact", count = 10, rate = 0.5;
	opt_list_free(&inputs);
	int argc = 0;
	argv_buf[argc++] = "prog";
	for (; *words; words++)
		argv_buf[argc++] = (char *)*words;
	argv_buf[argc] = NULL;
	capture_begin();
	int rc = opts_parse(p, argc, argv_buf, &args, &nargs);
	const char *e = capture_end();
	if (err)
		*err = e;
	return rc;
}
#define PARSE(p, err, ...) parse_with((p), (err), (const char *const[]){__VA_ARGS__, NULL})

/* The words are refused (OPTS_ERROR) with a message holding want. */
#define REFUSED(want, ...)                                                  \
	do {                                                                \
		const char *e_;                                             \
		assert_int_equal(PARSE(&prog, &e_, __VA_ARGS__), OPTS_ERROR); \
		if (!strstr(e_, want)) {                                    \
			print_error("expected '%s' in: %s\n", want, e_);    \
			fail();                                             \
		}                                                           \
	} while (0)

static void test_names_and_choices(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&prog, NULL, "--output", "o.tok", "--mode=slow", "a"), OPTS_OK);
	assert_string_equal(str, "o.tok");
	assert_string_equal(mode, "slow");
	assert_int_equal(PARSE(&prog, NULL, "--mode", "fast", "a"), OPTS_OK);
	assert_string_equal(mode, "fast");
	REFUSED("unknown option '--out'", "--out", "o.tok", "a");
	REFUSED("unknown option '--outputs'", "--outputs", "o.tok", "a");
	REFUSED("--mode: 'fas' is not one of fast|exact|slow", "--mode", "fas", "a");
	REFUSED("--mode: 'fastest' is not one of", "--mode", "fastest", "a");
	REFUSED("--mode: '' is not one of", "--mode=", "a");
	REFUSED("unknown option '-x'", "-x", "a");
	REFUSED("unknown option '-output'", "-output", "o", "a");
	REFUSED("unknown option '-xverbose'", "-xverbose", "a"); /* not --verbose */
	REFUSED("--verbose takes no value", "--verbose=1", "a");
	REFUSED("--output needs a value (FILE)", "a", "--output");
	assert_int_equal(PARSE(&prog, NULL, "--verbose", "a"), OPTS_OK);
	assert_int_equal(flag, 1);
	/* repeated: every value, in order */
	assert_int_equal(PARSE(&prog, NULL, "--input", "x", "a", "--input=y", "--input", "z"),
			 OPTS_OK);
	assert_int_equal(inputs.n, 3);
	assert_string_equal(inputs.items[0], "x");
	assert_string_equal(inputs.items[2], "z");
	opt_list_free(&inputs);
}

/* Names and values end up in JSON and HDF5 text: bytes that are not UTF-8
 * are refused where they come in, naming the option or argument and the
 * byte (a dump named so had failed its stats late with no reason). */
static void test_utf8(void **state)
{
	(void)state;
	REFUSED("--output: 'o' then byte 0xff is not valid UTF-8", "--output", "o\xff.tok", "a");
	REFUSED("--input: '' then byte 0xc3 is not valid UTF-8", "--input=\xc3(", "a");
	REFUSED("argument 2: 'b' then byte 0xe9 is not valid UTF-8", "a", "b\xe9t\xe9");
	REFUSED("argument 1: 'x' then byte 0xed", "x\xed\xa0\x80"); /* a surrogate */
	assert_int_equal(PARSE(&prog, NULL, "--output", "\xd0\xbe.tok", "\xd1\x8f"), OPTS_OK);
	/* a program whose arguments are texts that say themselves what is wrong */
	static const struct opts_program texts = {"texts", "[TEXT...]", "Texts.", table,
						  0, -1, 1};
	assert_int_equal(PARSE(&texts, NULL, "a\xff", "b"), OPTS_OK);
	assert_int_equal(nargs, 2);
	const char *e;
	assert_int_equal(PARSE(&texts, &e, "--output", "\xff", "a"), OPTS_ERROR);
	assert_non_null(strstr(e, "--output: '' then byte 0xff"));
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&prog, NULL, "--count", "1", "a"), OPTS_OK);
	assert_int_equal(count, 1);
	assert_int_equal(PARSE(&prog, NULL, "--count=100", "a"), OPTS_OK);
	assert_int_equal(count, 100);
	REFUSED("--count: 0 is out of range [1, 100]", "--count", "0", "a");
	REFUSED("--count: 101 is out of range [1, 100]", "--count", "101", "a");
	REFUSED("--count: '' is not an integer", "--count=", "a");
	REFUSED("--count: '5x' is not an integer", "--count", "5x", "a");
	REFUSED("--count: '2.0' is not an integer", "--count", "2.0", "a");
	REFUSED("--offset: '99999999999999999999' is not an integer", "--offset",
		"99999999999999999999", "a");
	/* no range (min == max): any integer */
	assert_int_equal(PARSE(&prog, NULL, "--offset", "-7", "a"), OPTS_OK);
	assert_int_equal(count, -7);
	assert_int_equal(PARSE(&prog, NULL, "--rate", "0", "a"), OPTS_OK);
	assert_true(rate == 0);
	assert_int_equal(PARSE(&prog, NULL, "--rate=1", "a"), OPTS_OK);
	assert_true(rate == 1);
	assert_int_equal(PARSE(&prog, NULL, "--rate", "2.5e-1", "a"), OPTS_OK);
	assert_true(rate == 0.25);
	REFUSED("--rate: -0.01 is out of range [0, 1]", "--rate", "-0.01", "a");
	REFUSED("--rate: 1.01 is out of range [0, 1]", "--rate", "1.01", "a");
	REFUSED("--rate: '0.5x' is not a number", "--rate", "0.5x", "a");
	REFUSED("--rate: 'nan' is not a number", "--rate", "nan", "a");
	REFUSED("--rate: 'inf' is not a number", "--rate", "inf", "a");
	REFUSED("--rate: '' is not a number", "--rate=", "a");
}

static void test_positionals(void **state)
{
	(void)state;
	/* "-", negative numbers and everything after "--" are positional */
	assert_int_equal(PARSE(&many, NULL, "-", "-3.5", "-.5", "--", "--verbose", "-x"), OPTS_OK);
	assert_int_equal(nargs, 5);
	assert_string_equal(args[0], "-");
	assert_string_equal(args[1], "-3.5");
	assert_string_equal(args[2], "-.5");
	assert_string_equal(args[3], "--verbose");
	assert_string_equal(args[4], "-x");
	assert_int_equal(flag, 0);
	/* options and positionals mixed: positionals kept in order */
	assert_int_equal(PARSE(&prog, NULL, "a", "--verbose", "b"), OPTS_OK);
	assert_int_equal(nargs, 2);
	assert_string_equal(args[1], "b");
	const char *err;
	assert_int_equal(PARSE(&prog, &err, "--verbose"), OPTS_ERROR);
	assert_non_null(strstr(err, "expected 1 argument, got 0"));
	assert_int_equal(PARSE(&prog, &err, "a", "b", "c"), OPTS_ERROR);
	assert_non_null(strstr(err, "got 3"));
	assert_int_equal(PARSE(&none, &err, "x"), OPTS_ERROR);
	assert_non_null(strstr(err, "unexpected argument 'x'"));
	assert_int_equal(PARSE(&none, NULL, "--verbose"), OPTS_OK);
	assert_int_equal(PARSE(&many, &err, "--verbose"), OPTS_ERROR);
	assert_non_null(strstr(err, "expected at least 1 argument, got 0"));
}

/* --help and -h print the help to stdout and stop the parse. */
static void test_help(void **state)
{
	(void)state;
	const char *out = test_path("help.txt");
	for (int i = 0; i < 2; i++) {
		int saved = test_stdout_to(out);
		int rc = PARSE(&prog, NULL, "a", i ? "-h" : "--help", "--bogus");
		test_stdout_back(saved);
		assert_int_equal(rc, OPTS_HELP);
	}
	char text[4096];
	FILE *f = fopen(out, "r");
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *want[] = {
		"usage: prog [OPTIONS] A [B]\n\nA test program.\n\noptions:\n",
		"  --verbose                    say more\n",
		"  --output FILE                where\n",
		"  --mode fast|exact|slow       how (default: exact)\n",
		"  --count N                    how many (default: 10)\n",
		"  --rate R                     a fraction (default: 0.5)\n",
		"  --help                       print this help and exit\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		if (!strstr(text, want[i])) {
			print_error("help lacks '%s':\n%s", want[i], text);
			fail();
		}
}

/* opts_parse_or_exit: exit 0 after --help, 2 on bad usage, returns when
 * the parse succeeds. */
static int exit_status(const char *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		char *argv[] = {"prog", (char *)arg, NULL};
		opts_parse_or_exit(&prog, 2, argv, &args, &nargs);
		_exit(42);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_parse_or_exit(void **state)
{
	(void)state;
	assert_int_equal(exit_status("--help"), 0);
	assert_int_equal(exit_status("--bogus"), 2);
	assert_int_equal(exit_status("a"), 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_choices),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_positionals),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_parse_or_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
