/* test_dumpread.c - the dump readers: JSON Lines, CSV (quotes, commas,
 * newlines), TSV, gzip, field detection, and every kind of bad input with
 * the line it is reported on. */
#include "testutil.h"

#include <sys/stat.h>
#include <zlib.h>

#include "dumpread.h"
#include "tokfile.h"

/* One record as the reader handed it out. */
struct got {
	int rc;
	long line;
	int bad;
	char text[256];
	char label[64];
	int split;
	char reason[640];
};

/* Reads path to the end; returns the number of results (the last one is
 * DUMP_END or DUMP_FATAL). */
static int read_all(const char *path, const struct dump_opts *o, struct got *g, int max)
{
	struct dumpreader *r = dumpreader_open(path, o);
	assert_non_null(r);
	int n = 0;
	for (;;) {
		assert_true(n < max);
		struct dumprec rec;
		int rc = dumpreader_next(r, &rec);
		memset(&g[n], 0, sizeof(g[n]));
		g[n].rc = rc;
		if (rc == DUMP_REC) {
			g[n].line = rec.line;
			snprintf(g[n].text, sizeof(g[n].text), "%.*s", (int)rec.text_len, rec.text);
			snprintf(g[n].label, sizeof(g[n].label), "%.*s", (int)rec.label_len, rec.label);
			g[n].split = rec.split;
		} else if (rc == DUMP_BAD) {
			g[n].line = rec.line;
			g[n].bad = rec.bad;
			snprintf(g[n].reason, sizeof(g[n].reason), "%s", rec.reason);
		}
		n++;
		if (rc == DUMP_END || rc == DUMP_FATAL)
			break;
	}
	dumpreader_close(r);
	return n;
}

static const char *put(const char *name, const char *data)
{
	const char *p = test_path(name);
	write_file(p, data, strlen(data));
	return p;
}

static void put_gz(const char *path, const char *data, size_t n)
{
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, n), (int)n);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void expect_rec(const struct got *g, long line, const char *text, const char *label)
{
	if (g->rc != DUMP_REC)
		fail_msg("expected a record on line %ld, got rc %d (%s)", line, g->rc, g->reason);
	assert_int_equal(g->line, line);
	assert_string_equal(g->text, text);
	assert_string_equal(g->label, label);
}

static void expect_bad(const struct got *g, long line, int kind, const char *needle)
{
	if (g->rc != DUMP_BAD)
		fail_msg("expected a bad record on line %ld, got rc %d", line, g->rc);
	assert_int_equal(g->line, line);
	if (g->bad != kind)
		fail_msg("line %ld: expected %s, got %s (%s)", line, dump_bad_name(kind),
			 dump_bad_name(g->bad), g->reason);
	if (!strstr(g->reason, needle))
		fail_msg("reason '%s' lacks '%s'", g->reason, needle);
}

static const struct dump_opts defaults = {0};

static void test_jsonl_basic(void **state)
{
	const char *p = put("a.jsonl",
			    "{\"text\": \"Хороший фильм\", \"label\": 2, \"label_text\": \"positive\"}\n"
			    "\n"
			    "   \r\n"
			    "{\"text\": \"a \\\"quoted\\\" word\\nnext\", \"label\": 0, \"label_text\": \"negative\"}\r\n"
			    "{\"label_text\": \"neutral\", \"text\": \"last, no newline\"}");
	struct got g[8];
	int n = read_all(p, &defaults, g, 8);
	assert_int_equal(n, 4);
	expect_rec(&g[0], 1, "Хороший фильм", "positive");
	expect_rec(&g[1], 4, "a \"quoted\" word\nnext", "negative");
	expect_rec(&g[2], 5, "last, no newline", "neutral");
	assert_int_equal(g[0].split, SPLIT_NONE);
	assert_int_equal(g[3].rc, DUMP_END);
}

static void test_jsonl_numeric_label_and_split(void **state)
{
	const char *p = put("b.jsonl",
			    "{\"review\": \"one\", \"label\": 2, \"split\": \"train\"}\n"
			    "{\"review\": \"two\", \"label\": 0, \"split\": \"Validation\"}\n"
			    "{\"review\": \"three\", \"label\": 1, \"split\": null}\n"
			    "{\"review\": \"four\", \"label\": 1, \"split\": \"holdout\"}\n");
	struct dump_opts o = {0};
	struct dumpreader *r = dumpreader_open(p, &o);
	assert_non_null(r);
	struct dumprec rec;
	assert_int_equal(dumpreader_next(r, &rec), DUMP_REC);
	assert_int_equal(rec.split, SPLIT_TRAIN);
	assert_int_equal(rec.label_len, 1);
	assert_memory_equal(rec.label, "2", 1);
	assert_string_equal(dumpreader_text_field(r), "review");
	assert_string_equal(dumpreader_label_field(r), "label");
	assert_string_equal(dumpreader_split_field(r), "split");
	assert_int_equal(dumpreader_format(r), DUMP_JSONL);
	assert_int_equal(dumpreader_next(r, &rec), DUMP_REC);
	assert_int_equal(rec.split, SPLIT_VALIDATION);
	assert_int_equal(dumpreader_next(r, &rec), DUMP_REC);
	assert_int_equal(rec.split, SPLIT_NONE);
	assert_int_equal(dumpreader_next(r, &rec), DUMP_BAD);
	assert_int_equal(rec.bad, DUMP_BAD_SPLIT);
	assert_non_null(strstr(rec.reason, "holdout"));
	assert_int_equal(dumpreader_next(r, &rec), DUMP_END);
	dumpreader_close(r);
}

static void test_jsonl_bad_records(void **state)
{
	const char *p = put("bad.jsonl",
			    "{\"text\": \"ok one\", \"label_text\": \"positive\"}\n"       /* 1 */
			    "{\"text\": \"bad \xff\xfe utf\", \"label_text\": \"positive\"}\n" /* 2 */
			    "{\"text\": \"cut in ha\n"                                    /* 3 */
			    "{\"label_text\": \"negative\"}\n"                            /* 4 */
			    "{\"text\": 42, \"label_text\": \"negative\"}\n"               /* 5 */
			    "{\"text\": \"no label\"}\n"                                  /* 6 */
			    "[1, 2, 3]\n"                                                 /* 7 */
			    "{\"text\": \"x\", \"label_text\": \"negative\"} trailing\n"   /* 8 */
			    "{\"text\": \"x\", \"label_text\": 1.5}\n"                     /* 9 */
			    "{\"text\": \"x\", \"label_text\": \"   \"}\n"                 /* 10 */
			    "{\"text\": \"ok two\", \"label_text\": \"negative\"}\n");     /* 11 */
	struct got g[16];
	int n = read_all(p, &defaults, g, 16);
	assert_int_equal(n, 12);
	expect_rec(&g[0], 1, "ok one", "positive");
	expect_bad(&g[1], 2, DUMP_BAD_UTF8, "invalid UTF-8 at byte");
	expect_bad(&g[2], 3, DUMP_BAD_JSON, "incomplete JSON");
	expect_bad(&g[3], 4, DUMP_BAD_NO_TEXT, "no 'text' field");
	expect_bad(&g[4], 5, DUMP_BAD_TYPE, "'text' is an integer, not a string");
	expect_bad(&g[5], 6, DUMP_BAD_NO_LABEL, "no 'label_text' field");
	expect_bad(&g[6], 7, DUMP_BAD_JSON, "expected a JSON object, found an array");
	expect_bad(&g[7], 8, DUMP_BAD_JSON, "invalid JSON at column");
	expect_bad(&g[8], 9, DUMP_BAD_TYPE, "not a string or an integer");
	expect_bad(&g[9], 10, DUMP_BAD_LABEL, "empty 'label_text'");
	expect_rec(&g[10], 11, "ok two", "negative");
	assert_int_equal(g[11].rc, DUMP_END);
}

static void test_jsonl_field_detection_waits(void **state)
{
	/* the first record has no text field: detection waits for the next */
	const char *p = put("detect.jsonl",
			    "{\"foo\": 1}\n"
			    "{\"comment_text\": \"hello\", \"sentiment\": \"good\"}\n");
	struct got g[4];
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 3);
	expect_bad(&g[0], 1, DUMP_BAD_NO_TEXT, "looked for text, comment_text");
	expect_rec(&g[1], 2, "hello", "good");

	/* the split field too: a first record without one does not hide it */
	p = put("latesplit.jsonl", "{\"text\": \"a\", \"label\": 1}\n"
				   "{\"text\": \"b\", \"label\": 1, \"Split\": \"test\"}\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 3);
	expect_rec(&g[0], 1, "a", "1");
	assert_int_equal(g[0].split, SPLIT_NONE);
	expect_rec(&g[1], 2, "b", "1");
	assert_int_equal(g[1].split, SPLIT_TEST);
}

static void test_explicit_fields(void **state)
{
	const char *p = put("explicit.jsonl",
			    "{\"text\": \"wrong\", \"body2\": \"right\", \"stars\": \"5\"}\n");
	struct dump_opts o = {.text_field = "body2", .label_field = "STARS"};
	struct got g[4];
	int n = read_all(p, &o, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 1, "right", "5");
	struct dump_opts o2 = {.text_field = "nope"};
	n = read_all(p, &o2, g, 4);
	expect_bad(&g[0], 1, DUMP_BAD_NO_TEXT, "looked for 'nope'");
}

static void test_csv_quotes_commas_newlines(void **state)
{
	const char *p = put("a.csv",
			    "comment_id,comment_kind,comment_text,movie_title\r\n"   /* 1 */
			    "1,positive,\"Hello, world\",Film\r\n"                   /* 2 */
			    "2,bad,\"He said \"\"no\"\"\",Film\r\n"                  /* 3 */
			    "3,neutral,\"line one\n"                                 /* 4 */
			    "line two, with comma\n"                                 /* 5 */
			    "\",\"Title, The\"\n"                                    /* 6 */
			    "\n"                                                     /* 7 */
			    "4,positive,plain text,Film\n"                           /* 8 */
			    "5,positive,\"\",Film\n"                                 /* 9 */
			    "6,positive,no newline at end,Film");                    /* 10 */
	struct got g[10];
	int n = read_all(p, &defaults, g, 10);
	assert_int_equal(n, 7);
	expect_rec(&g[0], 2, "Hello, world", "positive");
	expect_rec(&g[1], 3, "He said \"no\"", "bad");
	expect_rec(&g[2], 4, "line one\nline two, with comma\n", "neutral");
	expect_rec(&g[3], 8, "plain text", "positive");
	expect_rec(&g[4], 9, "", "positive");
	expect_rec(&g[5], 10, "no newline at end", "positive");
	assert_int_equal(g[6].rc, DUMP_END);

	struct dumpreader *r = dumpreader_open(p, &defaults);
	struct dumprec rec;
	assert_int_equal(dumpreader_next(r, &rec), DUMP_REC);
	assert_int_equal(dumpreader_format(r), DUMP_CSV);
	assert_string_equal(dumpreader_text_field(r), "comment_text");
	assert_string_equal(dumpreader_label_field(r), "comment_kind");
	assert_null(dumpreader_split_field(r));
	dumpreader_close(r);
}

static void test_csv_bad_records(void **state)
{
	const char *p = put("bad.csv",
			    "text,label,split\n"                   /* 1 */
			    "good one,positive,train\n"            /* 2 */
			    "too,many,fields,here\n"               /* 3 */
			    "he said \"hi\" there,positive,\n"     /* 4 stray quote */
			    "\"closed\"junk,negative,\n"           /* 5 text after quote */
			    "bad \xc3\x28 utf,negative,\n"         /* 6 */
			    "no label,,\n"                         /* 7 */
			    "x,positive,holdout\n"                 /* 8 */
			    "\"multi\n"                            /* 9 */
			    "line\"x,positive,\n"                  /* 10 malformed on line 10 */
			    "good two,negative,test\n"             /* 11 */
			    "\"never closed,positive,\n"           /* 12 */
			    "swallowed,negative,\n");              /* 13 */
	struct got g[16];
	int n = read_all(p, &defaults, g, 16);
	assert_int_equal(n, 11);
	expect_rec(&g[0], 2, "good one", "positive");
	assert_int_equal(g[0].split, SPLIT_TRAIN);
	expect_bad(&g[1], 3, DUMP_BAD_FIELDS, "expected 3 fields as in the header, found 4");
	expect_bad(&g[2], 4, DUMP_BAD_QUOTING, "malformed quoting");
	expect_bad(&g[3], 5, DUMP_BAD_QUOTING, "malformed quoting");
	expect_bad(&g[4], 6, DUMP_BAD_UTF8, "invalid UTF-8 at byte 4 of field 'text'");
	expect_bad(&g[5], 7, DUMP_BAD_NO_LABEL, "empty 'label'");
	expect_bad(&g[6], 8, DUMP_BAD_SPLIT, "unknown split 'holdout'");
	expect_bad(&g[7], 9, DUMP_BAD_QUOTING, "malformed quoting on line 10");
	expect_rec(&g[8], 11, "good two", "negative");
	assert_int_equal(g[8].split, SPLIT_TEST);
	expect_bad(&g[9], 12, DUMP_BAD_QUOTING, "unterminated quoted field");
	assert_int_equal(g[10].rc, DUMP_END);
}

static void test_csv_header_problems(void **state)
{
	struct got g[4];
	const char *p = put("nocol.csv", "id,words,label\n1,hello,good\n");
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].rc, DUMP_FATAL);

	p = put("nolabel.csv", "id,text\n1,hello\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(g[0].rc, DUMP_FATAL);

	p = put("headeronly.csv", "text,label\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].rc, DUMP_END);

	/* a BOM before the header is not part of the first column's name */
	p = put("bom.csv", "\xef\xbb\xbftext,label\nhi,good\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "hi", "good");
}

static void test_tsv(void **state)
{
	const char *p = put("a.tsv",
			    "sentiment\ttext\n"
			    "positive\tword, with comma\n"
			    "negative\t\"quoted\ttab\"\n");
	struct got g[4];
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 3);
	expect_rec(&g[0], 2, "word, with comma", "positive");
	expect_rec(&g[1], 3, "quoted\ttab", "negative");
}

static void test_format_by_content(void **state)
{
	struct got g[4];
	const char *p = put("noext1", "{\"text\": \"j\", \"label\": 1}\n");
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 1, "j", "1");
	p = put("noext2", "label\ttext\n2\tt\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "t", "2");
	p = put("noext3", "label,text\n2,c\n");
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "c", "2");
	/* the format option overrides the name */
	p = put("really-csv.jsonl", "label,text\n2,c\n");
	struct dump_opts o = {.format = DUMP_CSV};
	n = read_all(p, &o, g, 4);
	expect_rec(&g[0], 2, "c", "2");
}

static void test_gzip(void **state)
{
	const char *data = "{\"text\": \"сжатый\", \"label_text\": \"positive\"}\n"
			   "{\"text\": \"второй\", \"label_text\": \"negative\"}\n";
	const char *p = test_path("z.jsonl.gz");
	put_gz(p, data, strlen(data));
	struct got g[4];
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 3);
	expect_rec(&g[0], 1, "сжатый", "positive");
	expect_rec(&g[1], 2, "второй", "negative");

	const char *csv = "text,label\n\"a,b\",good\n";
	p = test_path("z.csv.gz");
	put_gz(p, csv, strlen(csv));
	n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "a,b", "good");
}

static void test_gzip_truncated(void **state)
{
	/* enough incompressible-ish records that truncation lands mid-stream */
	size_t cap = 1 << 20, len = 0;
	char *data = malloc(cap);
	unsigned x = 12345;
	for (int i = 0; len < cap - 200; i++) {
		char word[64];
		x = x * 1103515245 + 12345;
		snprintf(word, sizeof(word), "%08x%08x", x, x * 7);
		len += snprintf(data + len, cap - len,
				"{\"text\": \"review %d %s\", \"label\": %d}\n", i, word, i % 3);
	}
	const char *p = test_path("t.jsonl.gz");
	put_gz(p, data, len);
	free(data);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(truncate(p, st.st_size / 2), 0);

	struct dumpreader *r = dumpreader_open(p, &defaults);
	assert_non_null(r);
	struct dumprec rec;
	int rc, good = 0;
	while ((rc = dumpreader_next(r, &rec)) == DUMP_REC || rc == DUMP_BAD)
		good += rc == DUMP_REC;
	assert_int_equal(rc, DUMP_FATAL); /* never a quiet DUMP_END */
	assert_true(good > 100);
	dumpreader_close(r);
}

/* After the last gzip member: more members and NUL padding are read;
 * anything else (rows appended to the .gz) fails the dump, where gzread
 * ignored it and the dump ended quietly without those rows. */
static void test_gzip_trailing_data(void **state)
{
	const char *p = test_path("app.csv.gz");
	put_gz(p, "text,label\na,good\n", 18);
	FILE *f = fopen(p, "ab");
	assert_non_null(f);
	fputs("b,bad\n", f);
	fclose(f);
	struct got g[4];
	int n = read_all(p, &defaults, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "a", "good");
	assert_int_equal(g[1].rc, DUMP_FATAL);

	const char *q = test_path("two.csv.gz");
	put_gz(q, "text,label\na,good\n", 18);
	const char *m2 = test_path("m2.gz");
	put_gz(m2, "b,bad\n", 6);
	char buf[256];
	size_t k;
	FILE *in = fopen(m2, "rb"), *out = fopen(q, "ab");
	assert_non_null(in);
	assert_non_null(out);
	while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, k, out);
	memset(buf, 0, sizeof(buf)); /* NUL padding */
	fwrite(buf, 1, sizeof(buf), out);
	fclose(in);
	fclose(out);
	n = read_all(q, &defaults, g, 4);
	assert_int_equal(n, 3);
	expect_rec(&g[0], 2, "a", "good");
	expect_rec(&g[1], 3, "b", "bad");
	assert_int_equal(g[2].rc, DUMP_END);
}

static void test_empty_file(void **state)
{
	struct got g[2];
	const char *p = put("empty.jsonl", "");
	assert_int_equal(read_all(p, &defaults, g, 2), 1);
	assert_int_equal(g[0].rc, DUMP_FATAL);
	p = put("blank.jsonl", "\n  \n\n");
	assert_int_equal(read_all(p, &defaults, g, 2), 1);
	assert_int_equal(g[0].rc, DUMP_FATAL);
	p = put("empty.csv", "");
	assert_int_equal(read_all(p, &defaults, g, 2), 1);
	assert_int_equal(g[0].rc, DUMP_FATAL);
	p = test_path("empty.jsonl.gz");
	put_gz(p, "", 0);
	assert_int_equal(read_all(p, &defaults, g, 2), 1);
	assert_int_equal(g[0].rc, DUMP_FATAL);
}

static void test_missing_file(void **state)
{
	assert_null(dumpreader_open(test_path("does-not-exist.jsonl"), &defaults));
}

static char *long_text(size_t n, char c)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Old Mac line ends (a lone CR): rows and line numbers as with LF, and a
 * row with bad quoting costs only itself.  The reader used to resync at
 * '\n' only: every row after the bad one was lost, uncounted, and every
 * message said line 1. */
static void test_csv_cr_line_ends(void **state)
{
	const char *p = put("cr.csv",
			    "text,label\r"                /* 1 */
			    "good film,positive\r"        /* 2 */
			    "bad \"plot,negative\r"       /* 3 stray quote */
			    "film,positive\r"             /* 4 */
			    "\"two\rlines\",negative\r"    /* 5-6 */
			    "last,positive\r");           /* 7 */
	struct got g[8];
	int n = read_all(p, &defaults, g, 8);
	assert_int_equal(n, 6);
	expect_rec(&g[0], 2, "good film", "positive");
	expect_bad(&g[1], 3, DUMP_BAD_QUOTING, "malformed quoting");
	expect_rec(&g[2], 4, "film", "positive");
	expect_rec(&g[3], 5, "two\rlines", "negative");
	expect_rec(&g[4], 7, "last", "positive");
	assert_int_equal(g[5].rc, DUMP_END);

	/* a line end at the edge of the 1 MiB input buffer: "\r\n" cut in
	 * two is one line end, a lone '\r' there is one too */
	for (int crlf = 0; crlf < 2; crlf++) {
		const char *eol = crlf ? "\r\n" : "\r";
		size_t head = strlen("text,label") + strlen(eol);
		size_t tlen = (1u << 20) - 1 - head - strlen(",good");
		char *big = long_text(tlen, 'z');
		size_t cap = tlen + 64;
		char *data = malloc(cap);
		snprintf(data, cap, "text,label%s%s,good%safter,bad%s", eol, big, eol, eol);
		assert_int_equal(data[(1u << 20) - 1], '\r');
		p = put("edge.csv", data);
		n = read_all(p, &defaults, g, 8);
		assert_int_equal(n, 3);
		assert_int_equal(g[0].rc, DUMP_REC);
		assert_int_equal(g[0].line, 2);
		expect_rec(&g[1], 3, "after", "bad");
		assert_int_equal(g[2].rc, DUMP_END);
		free(big);
		free(data);
	}
}

static void test_too_long_jsonl(void **state)
{
	char *big = long_text(5000, 'x');
	size_t cap = 6000;
	char *data = malloc(cap);
	snprintf(data, cap,
		 "{\"text\": \"short\", \"label\": 1}\n"
		 "{\"text\": \"%s\", \"label\": 1}\n"
		 "{\"text\": \"after\", \"label\": 2}\n", big);
	const char *p = put("long.jsonl", data);
	struct dump_opts o = {.max_record_bytes = 1000};
	struct got g[5];
	int n = read_all(p, &o, g, 5);
	assert_int_equal(n, 4);
	expect_rec(&g[0], 1, "short", "1");
	expect_bad(&g[1], 2, DUMP_BAD_TOO_LONG, "over the limit of 1000 bytes");
	expect_rec(&g[2], 3, "after", "2");
	free(big);
	free(data);
}

static void test_too_long_csv(void **state)
{
	char *big = long_text(3000, 'y');
	size_t cap = 16000;
	char *data = malloc(cap);
	/* a long quoted record with quotes, commas and newlines inside, then
	 * a long unquoted one: both skipped, the records after them read */
	snprintf(data, cap,
		 "text,label\n"                       /* 1 */
		 "short,good\n"                        /* 2 */
		 "\"%s\n"                              /* 3 */
		 "\"\"q\"\", more\n"                   /* 4 */
		 "%s\",bad\n"                          /* 5 */
		 "after,good\n"                        /* 6 */
		 "%s,good\n"                           /* 7 */
		 "last,bad\n",                         /* 8 */
		 big, big, big);
	const char *p = put("long.csv", data);
	struct dump_opts o = {.max_record_bytes = 1000};
	struct got g[8];
	int n = read_all(p, &o, g, 8);
	assert_int_equal(n, 6);
	expect_rec(&g[0], 2, "short", "good");
	expect_bad(&g[1], 3, DUMP_BAD_TOO_LONG, "over the limit of 1000 bytes");
	expect_rec(&g[2], 6, "after", "good");
	expect_bad(&g[3], 7, DUMP_BAD_TOO_LONG, "over the limit");
	expect_rec(&g[4], 8, "last", "bad");
	free(big);
	free(data);
}

static void test_split_from_name(void **state)
{
	assert_int_equal(dump_split_from_name("data/imdb-test.jsonl.gz"), SPLIT_TEST);
	assert_int_equal(dump_split_from_name("train.csv"), SPLIT_TRAIN);
	assert_int_equal(dump_split_from_name("/x/test/reviews_Validation.tsv"), SPLIT_VALIDATION);
	assert_int_equal(dump_split_from_name("/x/y/dev.jsonl"), SPLIT_VALIDATION);
	assert_int_equal(dump_split_from_name("reviews-2026-08-01.jsonl.gz"), SPLIT_NONE);
	assert_int_equal(dump_split_from_name("contest.jsonl"), SPLIT_NONE);
	assert_int_equal(dump_split_from_name("trainer.jsonl"), SPLIT_NONE);
}

static void test_text_only(void **state)
{
	struct dump_opts o = {.text_only = 1};
	struct got g[4];
	const char *p = put("nolabels.jsonl", "{\"text\": \"one\"}\n{\"text\": \"two\", \"label\": 3.5}\n");
	int n = read_all(p, &o, g, 4);
	assert_int_equal(n, 3);
	expect_rec(&g[0], 1, "one", "");
	expect_rec(&g[1], 2, "two", "");
	p = put("nolabels.csv", "id,text\n1,hello\n");
	n = read_all(p, &o, g, 4);
	assert_int_equal(n, 2);
	expect_rec(&g[0], 2, "hello", "");
}

/* Raw lines decoded by a dumpdecoder give exactly what dumpreader_next()
 * gives, bad records included. */
static void test_raw_and_decoder(void **state)
{
	const char *p = put("raw.jsonl",
			    "{\"foo\": 1}\n"
			    "{\"text\": \"a\", \"label\": 2, \"split\": \"test\"}\n"
			    "{\"text\": \"b\", \"label\": \"neg\"}\n"
			    "{\"text\": \"c\"\n"
			    "{\"text\": \"d\", \"label\": 0, \"split\": \"x\"}\n"
			    "\n"
			    "{\"text\": \"e\", \"label\": 1}\n");
	struct got want[10];
	int n = read_all(p, &defaults, want, 10);
	assert_int_equal(n, 7);
	struct dumpreader *r = dumpreader_open(p, &defaults);
	struct dumpdecoder *dec = dumpdecoder_new(r);
	assert_non_null(dec);
	int raws = 0;
	for (int i = 0; i < n; i++) {
		struct dumprec rec;
		int rc = dumpreader_next_raw(r, &rec);
		if (rc == DUMP_RAW) {
			raws++;
			char line[256];
			snprintf(line, sizeof(line), "%.*s", (int)rec.text_len, rec.text);
			rc = dumpdecoder_decode(dec, rec.line, line, strlen(line), &rec);
		}
		assert_int_equal(rc, want[i].rc);
		if (rc == DUMP_END)
			break;
		assert_int_equal(rec.line, want[i].line);
		if (rc == DUMP_BAD) {
			assert_int_equal(rec.bad, want[i].bad);
			assert_string_equal(rec.reason, want[i].reason);
		} else {
			assert_int_equal(rec.text_len, strlen(want[i].text));
			assert_memory_equal(rec.text, want[i].text, rec.text_len);
			assert_int_equal(rec.label_len, strlen(want[i].label));
			assert_memory_equal(rec.label, want[i].label, rec.label_len);
			assert_int_equal(rec.split, want[i].split);
		}
	}
	assert_int_equal(raws, 4); /* all after the line that fixed the fields */
	dumpdecoder_free(dec);
	dumpreader_close(r);
}

/* A label of 256 bytes is read; one of 257 is a bad record (JSON Lines and
 * CSV alike), the records around it kept. */
static void test_label_length_limit(void **state)
{
	(void)state;
	char *ok = long_text(256, 'a'), *over = long_text(257, 'b');
	char data[2048];
	struct got g[6];
	struct dump_opts o = {0};
	snprintf(data, sizeof(data),
		 "{\"text\": \"one\", \"label\": \"%s\"}\n"
		 "{\"text\": \"two\", \"label\": \"%s\"}\n"
		 "{\"text\": \"three\", \"label\": \"x\"}\n", ok, over);
	int n = read_all(put("labels.jsonl", data), &o, g, 6);
	assert_int_equal(n, 4);
	assert_int_equal(g[0].rc, DUMP_REC);
	assert_string_equal(g[0].text, "one");
	expect_bad(&g[1], 2, DUMP_BAD_LABEL, "is 257 bytes long (limit 256)");
	expect_rec(&g[2], 3, "three", "x");
	snprintf(data, sizeof(data), "text,label\none,%s\ntwo,%s\nthree,x\n", ok, over);
	n = read_all(put("labels.csv", data), &o, g, 6);
	assert_int_equal(n, 4);
	assert_int_equal(g[0].rc, DUMP_REC);
	assert_string_equal(g[0].text, "one");
	expect_bad(&g[1], 3, DUMP_BAD_LABEL, "is 257 bytes long (limit 256)");
	expect_rec(&g[2], 4, "three", "x");
	free(ok);
	free(over);
}

/* --max-record-mb's limit is on the line's bytes, newline included: a line
 * of exactly the limit is read, one byte more is too long. */
static void test_too_long_edge(void **state)
{
	(void)state;
	const char *head = "{\"text\": \"", *tail = "\", \"label\": 1}\n";
	size_t fixed = strlen(head) + strlen(tail);
	char *a = long_text(1000 - fixed, 'a'), *b = long_text(1001 - fixed, 'b');
	char *data = malloc(4096);
	snprintf(data, 4096, "%s%s%s%s%s%s", head, a, tail, head, b, tail);
	struct dump_opts o = {.max_record_bytes = 1000};
	struct got g[4];
	int n = read_all(put("edge.jsonl", data), &o, g, 4);
	assert_int_equal(n, 3);
	assert_int_equal(g[0].rc, DUMP_REC);
	assert_int_equal(g[0].line, 1);
	expect_bad(&g[1], 2, DUMP_BAD_TOO_LONG, "line of 1001 bytes is over the limit of 1000 bytes");
	free(a);
	free(b);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonl_basic),
		cmocka_unit_test(test_jsonl_numeric_label_and_split),
		cmocka_unit_test(test_jsonl_bad_records),
		cmocka_unit_test(test_jsonl_field_detection_waits),
		cmocka_unit_test(test_explicit_fields),
		cmocka_unit_test(test_csv_quotes_commas_newlines),
		cmocka_unit_test(test_csv_bad_records),
		cmocka_unit_test(test_csv_header_problems),
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_format_by_content),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_trailing_data),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_long_jsonl),
		cmocka_unit_test(test_label_length_limit),
		cmocka_unit_test(test_too_long_edge),
		cmocka_unit_test(test_too_long_csv),
		cmocka_unit_test(test_csv_cr_line_ends),
		cmocka_unit_test(test_split_from_name),
		cmocka_unit_test(test_text_only),
		cmocka_unit_test(test_raw_and_decoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
