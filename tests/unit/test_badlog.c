/* test_badlog.c - the bad-input log of the stats files (badlog.h): counts
 * by reason, the examples kept, the messages printed up to --max-print and
 * the summary of the others, the JSON; raw-label counts (strcount); the
 * JSON writers' final newline and key order, and a --stats file that
 * cannot be written or that would replace an output.
 */
#include "testutil.h"


#include "afile.h"
#include "badlog.h"
#include "capture.h"

/* Lines of text that start with "f.jsonl:". */
static int message_lines(const char *text)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, "f.jsonl:")); p++)
		n++;
	return n;
}

static void add_n(struct badlog *b, const char *kind, int n, long first_line)
{
	for (int i = 0; i < n; i++)
		badlog_add(b, kind, "f.jsonl", first_line + i, "%s %d", kind, i);
}

static void test_counts_examples_and_printing(void **state)
{
	(void)state;
	struct badlog b;
	badlog_init(&b, 3);
	capture_begin();
	add_n(&b, "no text", 8, 1);
	add_n(&b, "bad label", 5, 100);
	const char *err = capture_end();
	assert_int_equal(message_lines(err), 3); /* --max-print 3 */
	assert_non_null(strstr(err, "f.jsonl:1: no text 0"));
	assert_int_equal(b.total, 13);
	assert_int_equal(badlog_count(&b, "no text"), 8);
	assert_int_equal(badlog_count(&b, "bad label"), 5);
	assert_int_equal(badlog_count(&b, "never seen"), 0);
	assert_int_equal(b.n_examples, BADLOG_EXAMPLES);
	assert_string_equal(b.example[BADLOG_EXAMPLES - 1], "f.jsonl:101: bad label 1");

	json_t *j = badlog_json(&b);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 13);
	json_t *by = json_object_get(j, "by_reason");
	assert_int_equal(json_integer_value(json_object_get(by, "no text")), 8);
	assert_int_equal(json_integer_value(json_object_get(by, "bad label")), 5);
	json_t *ex = json_object_get(j, "examples");
	assert_int_equal(json_array_size(ex), BADLOG_EXAMPLES);
	assert_string_equal(json_string_value(json_array_get(ex, 0)), "f.jsonl:1: no text 0");
	json_decref(j);

	/* an example cut inside a character (%.N of a Cyrillic label) keeps
	 * what comes before it, rather than being left out */
	struct badlog c;
	badlog_init(&c, 0);
	badlog_add(&c, "bad label", "f.jsonl", 7, "unknown label '%.3s'", "\xd0\xbf\xd0\xbb");
	badlog_add(&c, "bad label", "f.jsonl", 8, "unknown label '%s'", "ok");
	j = badlog_json(&c);
	assert_non_null(j);
	ex = json_object_get(j, "examples");
	assert_int_equal(json_array_size(ex), 2);
	assert_string_equal(json_string_value(json_array_get(ex, 0)),
			    "f.jsonl:7: unknown label '\xd0\xbf");
	assert_string_equal(json_string_value(json_array_get(ex, 1)), "f.jsonl:8: unknown label 'ok'");
	json_decref(j);
	badlog_free(&c);

	/* the summary counts what was not printed, and names the stats file */
	capture_begin();
	badlog_summary(&b, "bad records", "s.json");
	badlog_summary(&b, "bad records", NULL);
	err = capture_end();
	assert_non_null(strstr(err, "10 more bad records not shown (--max-print 3); 's.json' counts them"));
	assert_non_null(strstr(err, "give --stats FILE"));
	badlog_free(&b);

	/* --max-print -1: all printed, and no summary */
	badlog_init(&b, -1);
	capture_begin();
	add_n(&b, "no text", 12, 1);
	badlog_summary(&b, "bad records", "s.json");
	err = capture_end();
	assert_int_equal(message_lines(err), 12);
	assert_null(strstr(err, "not shown"));
	badlog_free(&b);
	/* --max-print 0: none printed; all of them in the summary */
	badlog_init(&b, 0);
	capture_begin();
	add_n(&b, "no text", 2, 1);
	badlog_summary(&b, "bad records", NULL);
	err = capture_end();
	assert_int_equal(message_lines(err), 0);
	assert_non_null(strstr(err, "2 more bad records not shown"));
	badlog_free(&b);
}

/* More reasons than BADLOG_MAX_KINDS: the total counts them all, each of
 * the first BADLOG_MAX_KINDS keeps its count. */
static void test_many_reasons(void **state)
{
	(void)state;
	static char kinds[BADLOG_MAX_KINDS + 2][16];
	struct badlog b;
	badlog_init(&b, 0);
	for (int k = 0; k < BADLOG_MAX_KINDS + 2; k++) {
		snprintf(kinds[k], sizeof(kinds[k]), "reason %d", k);
		add_n(&b, kinds[k], 2, 1);
	}
	assert_int_equal(b.total, 2 * (BADLOG_MAX_KINDS + 2));
	assert_int_equal(b.n_kinds, BADLOG_MAX_KINDS);
	assert_int_equal(badlog_count(&b, kinds[BADLOG_MAX_KINDS - 1]), 2);
	assert_int_equal(badlog_count(&b, kinds[BADLOG_MAX_KINDS]), 0);
	badlog_free(&b);
}

static void test_strcount(void **state)
{
	(void)state;
	struct strcount c;
	memset(&c, 0, sizeof(c));
	strcount_add(&c, "10", 2);
	strcount_add(&c, "1", 1); /* not "10" cut short */
	strcount_add(&c, "1", 1);
	char v[16];
	for (int i = 0; i < STRCOUNT_MAX + 5; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		strcount_add(&c, v, strlen(v));
	}
	json_t *j = strcount_json(&c);
	assert_int_equal(json_integer_value(json_object_get(j, "1")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "10")), 1);
	/* "1" and "10" took 2 of the STRCOUNT_MAX names */
	snprintf(v, sizeof(v), "v%d", STRCOUNT_MAX - 3);
	assert_int_equal(json_integer_value(json_object_get(j, v)), 1);
	snprintf(v, sizeof(v), "v%d", STRCOUNT_MAX - 2);
	assert_null(json_object_get(j, v));
	assert_int_equal(json_integer_value(json_object_get(j, "(other)")), 7);
	json_decref(j);
	strcount_free(&c);
}

/* Raw labels are bytes: one with a NUL or with bytes that are not UTF-8 is
 * counted under its own name, such bytes written as \xNN; names that read
 * the same then are added up. */
static void test_strcount_bytes(void **state)
{
	(void)state;
	struct strcount c;
	memset(&c, 0, sizeof(c));
	strcount_add(&c, "a\0b", 3);
	strcount_add(&c, "a", 1); /* not "a\0b" cut short */
	strcount_add(&c, "a\0b", 3);
	strcount_add(&c, "\xd0\xbf\xd0", 3);  /* "п", then a cut character */
	strcount_add(&c, "x\xff\xfey", 4);
	strcount_add(&c, "x\\xff\xfey", 7); /* reads as the one before */
	strcount_add(&c, "(other)", 7);
	for (int i = 0; i < STRCOUNT_MAX; i++) {
		char v[16];
		snprintf(v, sizeof(v), "v%d", i);
		strcount_add(&c, v, strlen(v));
	}
	json_t *j = strcount_json(&c);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "a\\x00b")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "\xd0\xbf\\xd0")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "x\\xff\\xfey")), 2);
	/* 6 names kept, then 58 of v0..v63; the label "(other)" and the other
	 * 6 share a name, and so do the two x's */
	assert_int_equal(json_integer_value(json_object_get(j, "(other)")), 7);
	assert_int_equal(json_object_size(j), 6 - 1 + STRCOUNT_MAX - 6);
	char *s = json_dumps(j, 0);
	assert_non_null(s);
	json_t *back = json_loads(s, 0, NULL);
	assert_true(json_equal(back, j));
	json_decref(back);
	free(s);
	json_decref(j);
	strcount_free(&c);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Both writers: keys in insertion order, a final newline. */
static void test_json_writers(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:i, s:i}", "zeta", 1, "alpha", 2);
	const char *p1 = test_path("w1.json"), *p2 = test_path("w2.json");
	assert_int_equal(json_write_file(p1, j), 0);
	const char *t = slurp(p1);
	assert_true(strstr(t, "zeta") < strstr(t, "alpha"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	assert_int_equal(t[strlen(t) - 2], '}');
	struct afile af;
	assert_int_equal(afile_open(&af, p2), 0);
	assert_int_equal(json_write_afile(&af, j), 0);
	char *first = strdup(slurp(p1));
	assert_string_equal(slurp(p2), first);
	free(first);
	json_decref(j);
}

/* A stats file that cannot be written: -1, its temporary file removed. */
static void test_stats_write_fails(void **state)
{
	(void)state;
	FILE *full = fopen("/dev/full", "w");
	if (!full)
		skip();
	setvbuf(full, NULL, _IONBF, 0); /* the write itself fails */
	struct afile af;
	assert_int_equal(afile_open(&af, test_path("full.json")), 0);
	fclose(af.fp);
	af.fp = full;
	json_t *j = json_pack("{s:i}", "n", 1);
	capture_begin();
	int rc = json_write_afile(&af, j);
	const char *err = capture_end();
	json_decref(j);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot write"));
	assert_int_equal(test_count_temps(), 0);
	assert_int_equal(access(test_path("full.json"), F_OK), -1);
}

/* stats_open refuses a stats file that is one of the outputs, the last
 * one too, and leaves no temporary file. */
static void test_stats_is_an_output(void **state)
{
	(void)state;
	const char *st = test_path("s.json");
	char same[4200];
	snprintf(same, sizeof(same), "%s/./s.json", test_tmpdir());
	const char *outs[3] = {test_path("a.tok"), NULL, same};
	struct afile af;
	capture_begin();
	int rc = stats_open(&af, st, outs, 3);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "are the same file"));
	assert_int_equal(test_count_temps(), 0);
	/* no lead is left behind: an output commits at once */
	assert_int_equal(afile_write_all(outs[0], "x", 1), 0);
	assert_int_equal(access(outs[0], F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_examples_and_printing),
		cmocka_unit_test(test_many_reasons),
		cmocka_unit_test(test_strcount),
		cmocka_unit_test(test_strcount_bytes),
		cmocka_unit_test(test_json_writers),
		cmocka_unit_test(test_stats_write_fails),
		cmocka_unit_test(test_stats_is_an_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
