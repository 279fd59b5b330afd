/* test_report.c - the report's library code: escaping, axis ticks, SVG
 * output (percent ticks, vertical markers, the histogram tail, the heat
 * map text colours), the number formats and a table in both formats,
 * input checks, a full render of a small in-memory data set, the
 * review-length percentiles, the learning curves' series and the Data
 * section's tables on a hand-made report.
 *
 * Also the fixture writer for tests/e2e/report.sh, which needs token-record
 * files and may only make them with tokwriter:
 *   test_report --write-tok TEXTS.TSV OUTDIR NSYNTH [MAX_LEN]
 * writes OUTDIR/{train,validation,test}.tok from the fixture TSV (hash,
 * split, label, n_full, source, text) plus NSYNTH synthetic train and
 * validation reviews (deterministic lengths, a long tail past max_len 64);
 * MAX_LEN (64) is the files' max_len, 0 for split files never truncated.
 */
#include "testutil.h"

#include <math.h>
#include <sys/stat.h>

#include "capture.h"
#include "report_buf.h"
#include "report_data.h"
#include "report_doc.h"
#include "report_render.h"
#include "report_svg.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"

/* ---- fixture writer ---- */

static void fixture_meta(struct tokmeta *m, uint32_t max_len)
{
	test_tokmeta(m, 0x5eed5eed5eed5eedULL, 8000, max_len, 1);
	free(m->producer);
	m->producer = strdup("test_report --write-tok");
	tokmeta_add_source(m, "data/reviews-a.jsonl", 1);
	tokmeta_add_source(m, "data/reviews-b.csv", 2);
}

static int add_rec(struct tokwriter *w, uint64_t hash, int label, int split, uint32_t source,
		   uint32_t line, uint32_t n_full, const char *text)
{
	static uint32_t ids[64];
	uint32_t n = n_full < 64 ? n_full : 64;
	for (uint32_t i = 0; i < n; i++)
		ids[i] = i == 0 ? 2 : i == n - 1 ? 3 : 10 + i;
	const char *raw = label ? "positive" : "negative";
	struct tokrec r = {.hash = hash, .label = label, .split = (uint8_t)split,
			   .source = source, .line = line, .n_full = n_full, .n_ids = n,
			   .ids = ids, .label_raw = raw, .label_raw_len = (uint32_t)strlen(raw),
			   .text = text, .text_len = (uint32_t)strlen(text)};
	return tokwriter_add(w, &r);
}

static int write_tok(const char *tsv, const char *dir, int nsynth, uint32_t max_len)
{
	struct tokmeta m;
	fixture_meta(&m, max_len);
	struct tokwriter *w[3];
	for (int s = 0; s < 3; s++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.tok", dir, tok_split_name(s + 1));
		if (!(w[s] = tokwriter_open(path, &m)))
			return 1;
	}
	FILE *f = fopen(tsv, "r");
	if (!f) {
		perror(tsv);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	long ln = 0;
	while (getline(&line, &cap, f) > 0) {
		if (++ln == 1)
			continue; /* header */
		line[strcspn(line, "\n")] = 0;
		char *fld[6], *p = line;
		for (int i = 0; i < 6; i++) {
			fld[i] = p;
			p = i < 5 ? strchr(p, '\t') : NULL;
			if (i < 5 && !p) {
				fprintf(stderr, "%s:%ld: expected 6 fields\n", tsv, ln);
				return 1;
			}
			if (p)
				*p++ = 0;
		}
		int s = tok_split_parse(fld[1]);
		if (s == SPLIT_NONE ||
		    add_rec(w[s - 1], strtoull(fld[0], NULL, 16), !strcmp(fld[2], "positive"), s,
			    (uint32_t)atoi(fld[4]), (uint32_t)ln, (uint32_t)atoi(fld[3]), fld[5]))
			return 1;
	}
	free(line);
	fclose(f);
	/* synthetic train (i % 5 != 0) and validation reviews: label negative
	 * when i % 3 == 0; lengths 8 + exponential (mean 30) from a fixed LCG */
	uint64_t x = 12345;
	for (int i = 0; i < nsynth; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double u = (double)(x >> 11) / 9007199254740992.0;
		uint32_t len = 8 + (uint32_t)(-30 * log(1 - u));
		char text[64];
		snprintf(text, sizeof(text), "synthetic review %d", i);
		int s = i % 5 ? SPLIT_TRAIN : SPLIT_VALIDATION;
		if (add_rec(w[s - 1], 0xabc0000000000000ULL + (uint64_t)i, i % 3 != 0, s,
			    (uint32_t)(i % 2), (uint32_t)i + 1, len, text))
			return 1;
	}
	for (int s = 0; s < 3; s++)
		if (tokwriter_commit(w[s]))
			return 1;
	tokmeta_free(&m);
	return 0;
}

/* ---- escaping ---- */

static void test_html_escape(void **state)
{
	struct sbuf b;
	sbuf_init(&b);
	sbuf_html(&b, "<script>alert('x')</script> & \"q\"", (size_t)-1);
	assert_string_equal(sbuf_str(&b),
			    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	b.len = 0;
	/* invalid UTF-8 becomes U+FFFD, control characters spaces, Cyrillic stays */
	sbuf_html(&b, "ok\xff\x01 фильм", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "ok\xef\xbf\xbd  фильм");
	b.len = 0;
	sbuf_html(&b, "abc<", 3); /* only n bytes */
	assert_string_equal(sbuf_str(&b), "abc");
	b.len = 0;
	/* U+0000-U+001F, DEL and the C1 controls U+0080-U+009F become spaces;
	 * U+00A0 (no-break space), the first character after them, stays */
	sbuf_html(&b, "a\x1f" "b\x7f" "c\xc2\x9f" "d\xc2\xa0" "e", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "a b c d\xc2\xa0" "e");
	sbuf_free(&b);
}

static void test_md_escape(void **state)
{
	struct sbuf b;
	sbuf_init(&b);
	sbuf_md(&b, "a|b *c* _d_ <e>\nf [g](h) #1", (size_t)-1);
	assert_string_equal(sbuf_str(&b),
			    "a\\|b \\*c\\* \\_d\\_ &lt;e&gt; f \\[g\\](h) \\#1");
	b.len = 0;
	/* review text is shown as written: "~~x~~" is no strikethrough, "`" no code */
	sbuf_md(&b, "~~not struck~~ `x`", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "\\~\\~not struck\\~\\~ \\`x\\`");
	b.len = 0;
	/* URLs and e-mail addresses are quoted text, not GFM autolinks */
	sbuf_md(&b, "see http://x.io, WWW.y.org or me@z.com: ok. 10:30", (size_t)-1);
	assert_string_equal(sbuf_str(&b),
			    "see http\\://x.io, WWW\\.y.org or me\\@z.com: ok. 10:30");
	b.len = 0;
	/* also "www." as the first bytes of a text, and "://" as its last;
	 * ":/" is no link; a tab is a space in a table cell */
	sbuf_md(&b, "www.x.io and ftp://", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "www\\.x.io and ftp\\://");
	b.len = 0;
	sbuf_md(&b, "a:/x:/\tb", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "a:/x:/ b");
	b.len = 0;
	sbuf_html(&b, "http://x.io www.y.org a@b.c", (size_t)-1); /* HTML: as is */
	assert_string_equal(sbuf_str(&b), "http://x.io www.y.org a@b.c");
	b.len = 0;
	/* bidi controls (RLO U+202E, RLI U+2066, PDI U+2069) are shown, not
	 * obeyed, in the Markdown; HTML keeps them (a cell contains them) */
	sbuf_md(&b, "a\u202Eb\u2066c\u2069d\u202Ae\u200Ff", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "a\\<U+202E\\>b\\<U+2066\\>c\\<U+2069\\>d\\<U+202A\\>e\u200Ff");
	b.len = 0;
	sbuf_html(&b, "a\u202Eb", (size_t)-1);
	assert_string_equal(sbuf_str(&b), "a\u202Eb");
	sbuf_free(&b);
}

static void test_utf8_prefix(void **state)
{
	const char *s = "фильм отстой";
	assert_int_equal(utf8_prefix(s, strlen(s), 5), 10); /* 5 two-byte letters */
	assert_int_equal(utf8_prefix(s, strlen(s), 100), strlen(s));
	assert_int_equal(utf8_prefix("ab\xff" "c", 4, 3), 3);
}

/* ---- ticks and SVG ---- */

static void test_ticks(void **state)
{
	double first, step;
	int n = svg_ticks(0, 1, 5, 0, &first, &step);
	assert_true(fabs(step - 0.2) < 1e-12 && first == 0 && n == 6);
	n = svg_ticks(0.68, 0.87, 6, 0, &first, &step);
	assert_true(fabs(step - 0.05) < 1e-12);
	assert_true(fabs(first - 0.65) < 1e-9);
	assert_int_equal(n, 6); /* 0.65 .. 0.90 */
	n = svg_ticks(1, 3, 10, 1, &first, &step);
	assert_true(step == 1 && first == 1 && n == 3); /* epochs: whole numbers */
	n = svg_ticks(0, 4, 1, 0, &first, &step); /* 4 -> 5 / 2 ticks -> 2 */
	assert_true(step == 2 && first == 0 && n == 3);
	assert_int_equal(svg_step_decimals(0.25), 2);
	assert_int_equal(svg_step_decimals(0.2), 1);
	assert_int_equal(svg_step_decimals(50), 0);
}

static void test_line_chart(void **state)
{
	double x[3] = {1, 2, 3}, y[3] = {0.5, NAN, 0.7};
	struct svg_series s = {"a <b>", x, y, 3, "#000", 0, 1, 0};
	struct svg_chart c = {.title = "t & u", .xlabel = "epoch", .ylabel = "loss",
			      .xmin = NAN, .xmax = NAN, .ymin = NAN, .ymax = NAN, .x_whole = 1,
			      .series = &s, .nseries = 1};
	struct sbuf b;
	sbuf_init(&b);
	svg_line_chart(&b, &c);
	const char *o = sbuf_str(&b);
	assert_non_null(strstr(o, "t &amp; u"));
	assert_non_null(strstr(o, "a &lt;b&gt;"));
	assert_null(strstr(o, "<b>"));
	assert_null(strstr(o, "nan"));
	assert_null(strstr(o, "inf"));
	/* the NaN splits the line: two polylines of one point each */
	int polys = 0;
	for (const char *p = o; (p = strstr(p, "<polyline")); p++)
		polys++;
	assert_int_equal(polys, 2);
	assert_true(!strncmp(o, "<svg", 4) && strstr(o, "</svg>"));
	sbuf_free(&b);
}

/* A percent axis, a tick at zero that is not "-0", a marker outside the x
 * range left out, a histogram's tail bar in its own shade and its x range
 * to the last edge. */
static void test_svg_parts(void **state)
{
	double x[2] = {1, 3}, y[2] = {-0.3, 0.7};
	struct svg_series s = {"a", x, y, 2, "#000", 0, 0, 0};
	struct svg_vline vl[2] = {{2, "inside", NULL}, {10, "outside", NULL}};
	struct svg_chart c = {.title = "t", .xmin = 0, .xmax = 4, .ymin = -0.6, .ymax = 0.6,
			      .series = &s, .nseries = 1, .vlines = vl, .nvlines = 2};
	struct sbuf b;
	sbuf_init(&b);
	svg_line_chart(&b, &c);
	const char *o = sbuf_str(&b);
	assert_non_null(strstr(o, ">0.0</text>"));
	assert_null(strstr(o, ">-0.0</text>"));
	assert_non_null(strstr(o, ">inside</text>"));
	assert_null(strstr(o, "outside"));
	assert_non_null(strstr(o, ">a</text>")); /* the legend entry */
	b.len = 0;
	c.y_percent = 1;
	c.ymin = 0.85;
	c.ymax = 0.87;
	svg_line_chart(&b, &c);
	o = sbuf_str(&b);
	assert_non_null(strstr(o, ">86%</text>")); /* step 0.01: no decimals */
	/* a flat series gets a y range around its value, not 0 wide */
	double flat[2] = {0.5, 0.5};
	s.y = flat;
	c.ymin = c.ymax = NAN;
	c.y_percent = 0;
	b.len = 0;
	svg_line_chart(&b, &c);
	o = sbuf_str(&b);
	assert_null(strstr(o, "nan"));
	assert_non_null(strstr(o, ">0.50</text>"));
	double edges[4] = {0, 10, 20, 30}, counts[3] = {5, 3, 1};
	struct svg_chart h = {.title = "h", .xmin = NAN, .xmax = NAN, .ymin = NAN, .ymax = NAN};
	b.len = 0;
	svg_histogram(&b, &h, edges, counts, 3, "reviews", "30 and more");
	o = sbuf_str(&b);
	assert_non_null(strstr(o, "fill=\"#9dbfdc\" stroke=\"#fff\" stroke-width=\"0.5\"><title>20 and more: 1"));
	assert_non_null(strstr(o, ">30</text>")); /* x to the last edge */
	sbuf_free(&b);
}

/* The report's number formats: thousands separators (no "-0", no
 * trailing comma), durations in s / min s / h min with the rounding
 * carried (119.6 s is 2 min 00 s, not 1 min 00 s), signed points. */
static void test_formats(void **state)
{
	assert_string_equal(fmt_count(1234567), "1,234,567");
	assert_string_equal(fmt_count(123), "123");
	assert_string_equal(fmt_count(-1234), "-1,234");
	assert_string_equal(fmt_count(-0.4), "0");
	assert_string_equal(fmt_count(NAN), "n/a");
	assert_string_equal(fmt_dur(41.25), "41.2 s");
	assert_string_equal(fmt_dur(89.9), "89.9 s");
	assert_string_equal(fmt_dur(263), "4 min 23 s");
	assert_string_equal(fmt_dur(119.6), "2 min 00 s");
	assert_string_equal(fmt_dur(3599.6), "1 h 00 min");
	assert_string_equal(fmt_dur(3 * 3600 + 125), "3 h 02 min");
	assert_string_equal(fmt_delta_pp(0.006), "+0.60 pp");
	assert_string_equal(fmt_delta_pp(-0.006), "-0.60 pp");
	assert_string_equal(fmt_pct(0.875, 2), "87.50%");
	assert_string_equal(fmt_num(1.0 / 3, 3), "0.333");
	assert_string_equal(fmt_num(INFINITY, 3), "n/a");
}

/* One table of two columns (left, right) and one row, in both formats:
 * the HTML marks the number column (heading and cell) "num", the
 * Markdown has its header, a separator line aligned per column, the row. */
static void test_doc_table(void **state)
{
	struct sbuf b;
	sbuf_init(&b);
	for (int md = 0; md < 2; md++) {
		b.len = 0;
		struct doc d = {.b = &b, .md = md};
		doc_table(&d, "lr", "name", "n");
		doc_tr(&d);
		doc_td(&d, NULL, "a");
		doc_td(&d, NULL, "%d", 7);
		doc_tr_end(&d);
		doc_table_end(&d);
		const char *o = sbuf_str(&b);
		if (md)
			assert_non_null(strstr(o, "| name | n |\n|---|---:|\n| a | 7 |\n"));
		else
			assert_non_null(strstr(o, "<th>name</th><th class=\"num\">n</th>"
						  "</tr></thead>\n<tbody>\n"
						  "<tr><td>a</td><td class=\"num\">7</td></tr>"));
	}
	sbuf_free(&b);
}

static void test_heatmap(void **state)
{
	const char *labels[2] = {"neg", "pos"};
	double cm[4] = {17, 3, 2, 18};
	struct sbuf b;
	sbuf_init(&b);
	svg_heatmap(&b, "cm", labels, 2, cm);
	assert_non_null(strstr(sbuf_str(&b), ">17</text>"));
	assert_non_null(strstr(sbuf_str(&b), "85.0%"));
	assert_non_null(strstr(sbuf_str(&b), "90.0%"));
	/* counts in white on the dark cells (85%), dark on the light ones */
	assert_non_null(strstr(sbuf_str(&b), "fill=\"#fff\">17</text>"));
	assert_non_null(strstr(sbuf_str(&b), "fill=\"#222\">3</text>"));
	struct sbuf f;
	sbuf_init(&f);
	svg_standalone(&f, sbuf_str(&b));
	assert_non_null(strstr(sbuf_str(&f), "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	/* a class absent from the split (a tiny test split): its row has no
	 * share, n/a as in the Markdown table, not a recall of 0.0% */
	double empty[4] = {0, 0, 0, 1};
	b.len = 0;
	svg_heatmap(&b, "cm", labels, 2, empty);
	assert_non_null(strstr(sbuf_str(&b), ">n/a</text>"));
	assert_non_null(strstr(sbuf_str(&b), "predicted pos: 0 (n/a: no reviews of this class)"));
	const char *na = strstr(sbuf_str(&b), ">n/a</text>");
	assert_non_null(na && strstr(na + 1, ">n/a</text>")); /* both cells of the row */
	assert_non_null(strstr(sbuf_str(&b), "predicted neg: 0 (0.0% of the row)"));
	assert_non_null(strstr(sbuf_str(&b), ">100.0%</text>"));
	sbuf_free(&b);
	sbuf_free(&f);
}

/* ---- inputs ---- */

static void test_metrics_checks(void **state)
{
	json_t *m;
	const char *p = test_path("metrics.json");
	assert_int_equal(report_load_metrics(test_path("absent.json"), &m), 1);
	/* a path through a regular file (ENOTDIR) is absent too, not an error */
	write_file(p, "{}", 2);
	assert_int_equal(report_load_metrics(test_path("metrics.json/m.json"), &m), 1);
	/* the ends of a range are in it: accuracy and macro F1 of 1 */
	const char *perfect = "{\"n\": 2, \"accuracy\": 1, \"macro_f1\": 1.0, \"roc_auc\": 1, "
			      "\"confusion_matrix\": [[1, 0], [0, 1]]}";
	write_file(p, perfect, strlen(perfect));
	assert_int_equal(report_load_metrics(p, &m), 0);
	json_decref(m);
	const char *good = "{\"n\": 4, \"accuracy\": 0.5, \"macro_f1\": 0.5, "
			   "\"confusion_matrix\": [[1, 1], [1, 1]]}";
	write_file(p, good, strlen(good));
	assert_int_equal(report_load_metrics(p, &m), 0);
	json_decref(m);
	const char *bad[] = {
		"{\"n\": 4, \"accuracy\": 1.5, \"macro_f1\": 0.5, \"confusion_matrix\": [[4]]}",
		"{\"n\": 4, \"accuracy\": 0.5, \"confusion_matrix\": [[4]]}",
		"{\"n\": 4, \"accuracy\": 0.5, \"macro_f1\": 0.5, \"confusion_matrix\": [[1, 1], [1]]}",
		"{\"n\": 4, \"accuracy\": 0.5, \"macro_f1\": 0.5, \"confusion_matrix\": [[4]], "
		"\"labels\": [\"a\", \"b\"]}",
		"{\"n\": 4, \"accuracy\": 0.5, \"macro_f1\": 0.5, \"confusion_matrix\": [[4]], "
		"\"roc\": {\"fpr\": [0, 1], \"tpr\": [0]}}",
		"{\"n\": 4, \"accuracy\": 0.5,",
		"[1, 2]",
		"{\"n\": 0, \"accuracy\": 0.5, \"macro_f1\": 0.5, \"confusion_matrix\": []}",
		"{\"n\": 4, \"accuracy\": -0.1, \"macro_f1\": 0.5, \"confusion_matrix\": [[4]]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		write_file(p, bad[i], strlen(bad[i]));
		assert_int_equal(report_load_metrics(p, &m), -1);
		assert_null(m);
	}
	/* what report_read_json (also ts-report's metrics) says of each */
	static const struct {
		const char *text, *says;
	} why[] = {
		{"{\"n\": 4,\n \"n\": 5}", "metrics.json:2: not valid JSON: duplicate object key"},
		{"{\"n\": 4,", "metrics.json:1: not valid JSON: "},
		{"[1, 2]", "metrics.json: not a JSON object"},
	};
	for (size_t i = 0; i < sizeof(why) / sizeof(*why); i++) {
		write_file(p, why[i].text, strlen(why[i].text));
		capture_begin();
		assert_null(report_read_json(p));
		assert_non_null(strstr(capture_end(), why[i].says));
	}
	capture_begin();
	assert_null(report_read_json(test_path("absent.json")));
	assert_non_null(strstr(capture_end(), "cannot read '"));
}

static void test_jsonl_and_tsv_checks(void **state)
{
	struct epoch_row *e;
	int n;
	const char *p = test_path("log.jsonl");
	const char *good = "{\"epoch\": 1, \"loss\": 0.6, \"val_loss\": null}\n\n"
			   "{\"epoch\": 2, \"loss\": 0.5}\n";
	write_file(p, good, strlen(good));
	assert_int_equal(report_load_train_log(p, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_true(isnan(e[0].val_loss) && e[1].loss == 0.5);
	free(e);
	/* CRLF line ends, a blank CRLF line among them */
	const char *crlf = "{\"epoch\": 1}\r\n\r\n{\"epoch\": 2}\r\n";
	write_file(p, crlf, strlen(crlf));
	assert_int_equal(report_load_train_log(p, &e, &n), 0);
	assert_int_equal(n, 2);
	free(e);
	/* epoch 0 is a whole number too */
	const char *zero = "{\"epoch\": 0, \"accuracy\": 1}\n";
	write_file(p, zero, strlen(zero));
	assert_int_equal(report_load_train_log(p, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_true(e[0].epoch == 0 && e[0].accuracy == 1);
	free(e);
	const char *bad = "{\"epoch\": 1}\n{\"epoch\": \"two\"}\n";
	write_file(p, bad, strlen(bad));
	assert_int_equal(report_load_train_log(p, &e, &n), -1);
	/* the checks reach the last key (lr) and val_macro_f1's upper end */
	const char *badv[] = {"{\"epoch\": 1, \"lr\": -0.001}\n",
			      "{\"epoch\": 1, \"val_macro_f1\": 1.5}\n"};
	for (size_t i = 0; i < sizeof(badv) / sizeof(*badv); i++) {
		write_file(p, badv[i], strlen(badv[i]));
		assert_int_equal(report_load_train_log(p, &e, &n), -1);
	}

	struct pred_row *r;
	char *labels[REPORT_MAX_CLASSES];
	int k;
	const char *tsv = test_path("pred.tsv");
	const char *ok = "hash\tlabel\tpredicted\tprob_neg\tprob_pos\n"
			 "00000000000000ff\tpos\tneg\t0.6\t0.4\n"
			 "00000000000000fe\tneg\tneg\t1\t0\n"; /* both ends of [0, 1] */
	write_file(tsv, ok, strlen(ok));
	assert_int_equal(report_load_predictions(tsv, &r, &n, labels, &k), 0);
	assert_int_equal(n, 2);
	assert_int_equal(k, 2);
	assert_true(r[0].hash == 0xff && r[0].label == 1 && r[0].predicted == 0);
	assert_true(r[1].prob[0] == 1 && r[1].prob[1] == 0);
	free(r);
	for (int i = 0; i < k; i++)
		free(labels[i]);
	const char *bads[] = {
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00ff\tpos\tneg\t0.6\t0.4\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tmaybe\tneg\t0.6\t0.4\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tpos\tneg\t1.6\t0.4\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tpos\tneg\t0.6\n",
		"id\tlabel\tpredicted\tprob_neg\tprob_pos\n",
		"",
		/* 17 hex digits; a blank line before the header; one prob_
		 * column; a row with more fields than the header; a file of
		 * one blank line; a probability with a tail */
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n000000000000000ff\tpos\tneg\t0.6\t0.4\n",
		"\nhash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tpos\tneg\t0.6\t0.4\n",
		"hash\tlabel\tpredicted\tprob_pos\n00000000000000ff\tpos\tpos\t0.6\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tpos\tneg\t0.6\t0.4\t0\n",
		"\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n00000000000000ff\tpos\tneg\t0.6x\t0.4\n",
		/* a hash with a non-hex digit; a "prob_" column without a label */
		"hash\tlabel\tpredicted\tprob_neg\tprob_pos\n000000000000000g\tpos\tneg\t0.6\t0.4\n",
		"hash\tlabel\tpredicted\tprob_neg\tprob_\n00000000000000ff\tneg\tneg\t0.6\t0.4\n",
	};
	for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
		write_file(tsv, bads[i], strlen(bads[i]));
		assert_int_equal(report_load_predictions(tsv, &r, &n, labels, &k), -1);
		free(r);
		for (int j = 0; j < k; j++)
			free(labels[j]);
	}
}

/* The promotion metric of a history line is the first it has of
 * val_macro_f1, val_accuracy, best_val_loss, val_loss (scripts/retrain's
 * PROMOTE_METRIC), not the last. */
static void test_history_metric(void **state)
{
	struct history_row *h;
	int n;
	const char *p = test_path("history.jsonl");
	const char *text = "{\"run\": \"r1\", \"val_loss\": 0.3, \"val_accuracy\": 0.9}\n";
	write_file(p, text, strlen(text));
	assert_int_equal(report_load_history(p, &h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].metric, "val_accuracy");
	assert_close(h[0].metric_value, 0.9, 0);
	free(h[0].run);
	free(h);
}

/* report_load's choices: class names from predictions.tsv when there is
 * no metrics.json; examples topped up with mistakes when too few reviews
 * are right; train.json's "config" must be an object; split files must
 * agree on max_len. */
static void test_load_choices(void **state)
{
	const char *pred = test_path("choices.tsv");
	/* 3 wrong, 1 right: 4 examples asked, 2 mistakes + 1 right, then a
	 * third mistake in the place no right one could take */
	const char *pt = "hash\tlabel\tpredicted\tprob_neg\tprob_pos\n"
			 "0000000000000001\tneg\tpos\t0.1\t0.9\n"
			 "0000000000000002\tneg\tpos\t0.2\t0.8\n"
			 "0000000000000003\tpos\tneg\t0.7\t0.3\n"
			 "0000000000000004\tpos\tpos\t0.4\t0.6\n";
	write_file(pred, pt, strlen(pt));
	struct report_inputs in = {.predictions = pred, .n_examples = 4, .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	assert_int_equal(d.n_classes, 2);
	assert_string_equal(d.labels[0], "neg");
	assert_string_equal(d.labels[1], "pos");
	assert_int_equal(d.n_examples, 4);
	int wrong = 0;
	for (int i = 0; i < d.n_examples; i++)
		wrong += d.examples[i].p.label != d.examples[i].p.predicted;
	assert_int_equal(wrong, 3);
	report_data_free(&d);

	/* metrics.json without "labels": the class names of predictions.tsv */
	const char *mp = test_path("choices-metrics.json");
	const char *mt = "{\"n\": 4, \"accuracy\": 0.25, \"macro_f1\": 0.2, "
			 "\"confusion_matrix\": [[0, 2], [1, 1]]}";
	write_file(mp, mt, strlen(mt));
	in.metrics = mp;
	assert_int_equal(report_load(&d, &in), 0);
	assert_int_equal(d.n_classes, 2);
	assert_string_equal(d.labels[0], "neg");
	assert_string_equal(d.labels[1], "pos");
	report_data_free(&d);

	const char *tj = test_path("choices-train.json");
	write_file(tj, "{\"config\": 5}", strlen("{\"config\": 5}"));
	struct report_inputs in2 = {.train_json = tj, .n_examples = 4, .example_chars = 100};
	assert_int_equal(report_load(&d, &in2), -1);
	report_data_free(&d);

	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_path_kept("choices-ml"));
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int s = 0; s < 2; s++) {
		struct tokmeta m;
		fixture_meta(&m, s ? 20 : 10); /* train max_len 10, validation 20 */
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s.tok", dir, tok_split_name(s + 1));
		struct tokwriter *w = tokwriter_open(path, &m);
		assert_non_null(w);
		assert_int_equal(add_rec(w, 7 + (uint64_t)s, 1, s + 1, 0, 1, 5, "x"), 0);
		assert_int_equal(tokwriter_commit(w), 0);
		tokmeta_free(&m);
	}
	struct report_inputs in3 = {.split_dir = dir, .n_examples = 4, .example_chars = 100};
	assert_int_equal(report_load(&d, &in3), -1);
	report_data_free(&d);

	/* metrics.json without "labels" and no predictions: the class names
	 * of the split files */
	snprintf(dir, sizeof(dir), "%s", test_path_kept("choices-sd"));
	assert_int_equal(mkdir(dir, 0755), 0);
	struct tokmeta m;
	fixture_meta(&m, 10);
	char path[4200];
	snprintf(path, sizeof(path), "%s/train.tok", dir);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	assert_int_equal(add_rec(w, 9, 1, 1, 0, 1, 5, "x"), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	struct report_inputs in4 = {.metrics = mp, .split_dir = dir, .n_examples = 4,
				    .example_chars = 100};
	assert_int_equal(report_load(&d, &in4), 0);
	assert_int_equal(d.n_classes, 2);
	assert_string_equal(d.labels[0], m.labels[0]);
	assert_string_equal(d.labels[1], m.labels[1]);
	report_data_free(&d);
	tokmeta_free(&m);
}

/* The HTML report of metrics.json text m, history.jsonl text h and
 * train.json text t (NULL: none); the caller frees it. */
static char *render_with(const char *m, const char *h, const char *t)
{
	const char *mp = test_path("rw-metrics.json"), *hp = test_path("rw-history.jsonl");
	const char *tp = test_path("rw-train.json");
	write_file(mp, m, strlen(m));
	write_file(hp, h, strlen(h));
	if (t)
		write_file(tp, t, strlen(t));
	struct report_inputs in = {.metrics = mp, .history = hp, .train_json = t ? tp : NULL,
				   .n_examples = 4, .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	struct report_options opt = {.title = "t", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, &in, &opt, &out), 0);
	char *html = strdup(sbuf_str(&out.html));
	report_output_free(&out);
	report_data_free(&d);
	return html;
}

/* Which history run is this one, and which is the model in service: a
 * line is this run only when its numbers equal metrics.json's; a line
 * with "promoted": null counts as promoted; a run id that is not of the
 * retrain form is cut, not read as a date; the model line spells the
 * cell in capitals, layers and direction. */
static void test_render_history_baseline(void **state)
{
	const char *m = "{\"n\": 40, \"accuracy\": 0.9, \"macro_f1\": 0.9, "
			"\"confusion_matrix\": [[18, 2], [2, 18]]}";
	/* the last line's accuracy is 0.05 below this run's (its macro F1 and
	 * n are this run's): another run, not this one */
	char *h = render_with(m,
			      "{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			      "\"promoted\": true}\n"
			      "{\"run\": \"20261130T030012Q\", \"accuracy\": 0.85, \"macro_f1\": 0.9, "
			      "\"n\": 40, \"promoted\": null}\n",
			      "{\"config\": {\"cell\": \"lstm\", \"embed\": 8, \"hidden\": 4, "
			      "\"layers\": 2, \"bidirectional\": true, \"max_len\": 16, "
			      "\"vocab_size\": 100}}");
	assert_null(strstr(h, "Not promoted"));
	/* the baseline is the null-promoted line, its id cut to 14 characters */
	assert_non_null(strstr(h, "accuracy vs last promoted run (20261130T03001)"));
	assert_non_null(strstr(h, "+5.00 pp"));
	assert_non_null(strstr(h, "bidirectional LSTM, embedding 8, hidden 4, 2 layers, max_len 16"));
	/* every run promoted: no ringed (not promoted) points */
	assert_null(strstr(h, "Ringed points"));
	free(h);
	/* the last line is this run (same numbers), promoted: the baseline is
	 * the run before it */
	h = render_with(m,
			"{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			"\"promoted\": true}\n"
			"{\"run\": \"b\", \"accuracy\": 0.9, \"macro_f1\": 0.9, \"n\": 40, "
			"\"promoted\": true}\n",
			NULL);
	assert_non_null(strstr(h, "accuracy vs last promoted run (a)"));
	assert_non_null(strstr(h, "+10.00 pp"));
	free(h);
	/* a run worse than the one in service: its card says so; no roc_auc,
	 * no ROC AUC card; the ROC curve's axes name the second class the
	 * positive one */
	const char *m2 = "{\"n\": 40, \"accuracy\": 0.9, \"macro_f1\": 0.9, "
			 "\"confusion_matrix\": [[18, 2], [2, 18]], \"labels\": [\"neg\", \"pos\"], "
			 "\"roc\": {\"fpr\": [0, 0.1, 1], \"tpr\": [0, 0.9, 1]}}";
	h = render_with(m2,
			"{\"run\": \"a\", \"accuracy\": 0.95, \"macro_f1\": 0.95, \"n\": 40, "
			"\"promoted\": true}\n",
			NULL);
	assert_non_null(strstr(h, "<div class=\"v worse\">-5.00 pp</div>"));
	assert_null(strstr(h, "<div class=\"k\">ROC AUC</div>"));
	assert_non_null(strstr(h, "true positive rate (recall of pos)"));
	free(h);
	/* same accuracy and macro F1 as this run but another n: another run,
	 * and the baseline */
	h = render_with(m,
			"{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			"\"promoted\": true}\n"
			"{\"run\": \"b\", \"accuracy\": 0.9, \"macro_f1\": 0.9, \"n\": 39, "
			"\"promoted\": true}\n",
			NULL);
	assert_non_null(strstr(h, "accuracy vs last promoted run (b)"));
	free(h);
	/* three classes: no ROC curve, though metrics.json has points; a run
	 * stopped by a NaN is marked bad */
	const char *m3 = "{\"n\": 3, \"accuracy\": 1, \"macro_f1\": 1, "
			 "\"confusion_matrix\": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "
			 "\"roc\": {\"fpr\": [0, 1], \"tpr\": [0, 1]}}";
	h = render_with(m3, "", "{\"stopped\": \"nan\"}");
	assert_non_null(strstr(h, "ROC curve: only drawn for two classes"));
	assert_non_null(strstr(h, "<td class=\"bad\">nan</td>"));
	free(h);
	/* this run, "promoted": null (not known): no "Not promoted" banner */
	h = render_with(m,
			"{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			"\"promoted\": true}\n"
			"{\"run\": \"b\", \"accuracy\": 0.9, \"macro_f1\": 0.9, \"n\": 40, "
			"\"promoted\": null}\n",
			NULL);
	assert_null(strstr(h, "Not promoted"));
	free(h);
}

/* A report with nothing at all still renders, saying what is missing. */
static void test_render_empty(void **state)
{
	struct report_inputs in = {.metrics = test_path("none.json"), .n_examples = 4,
				   .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	struct report_options opt = {.title = "t <x>", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, &in, &opt, &out), 0);
	const char *h = sbuf_str(&out.html);
	assert_non_null(strstr(h, "<title>t &lt;x&gt;</title>"));
	assert_non_null(strstr(h, "Not available: metrics.json was not found"));
	assert_non_null(strstr(h, "1970-01-01 00:00 UTC"));
	assert_non_null(strstr(h, "</html>"));
	assert_non_null(strstr(sbuf_str(&out.md), "## Evaluation"));
	report_output_free(&out);
	report_data_free(&d);
}

/* The numbers report_load gathers for the report, on inputs small enough
 * to count by hand: class balance and truncation per split (a review of
 * exactly max_len ids is not truncated), lengths before truncation (the
 * histogram is drawn against max_len), the train log's columns, and the
 * example predictions (half the most confident mistakes, the rest the most
 * confident right answers, by class in turn). */
static void test_load_numbers(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_path_kept("numbers"));
	assert_int_equal(mkdir(dir, 0755), 0);
	struct tokmeta m;
	fixture_meta(&m, 10);
	/* train: negative 5, positive 10 (= max_len), positive 13 (cut);
	 * validation: negative 12 (cut); test: positive 3 */
	const uint32_t n_full[3][3] = {{5, 10, 13}, {12}, {3}};
	const int labels[3][3] = {{0, 1, 1}, {0}, {1}}, count[3] = {3, 1, 1};
	for (int s = 0; s < 3; s++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s.tok", dir, tok_split_name(s + 1));
		struct tokwriter *w = tokwriter_open(path, &m);
		assert_non_null(w);
		for (int i = 0; i < count[s]; i++) {
			uint32_t ids[10], n = n_full[s][i] < 10 ? n_full[s][i] : 10;
			for (uint32_t t = 0; t < n; t++)
				ids[t] = t == 0 ? 2 : t == n - 1 ? 3 : 10 + t;
			const char *raw = labels[s][i] ? "positive" : "negative";
			struct tokrec r = {.hash = 100 * (uint64_t)s + (uint64_t)i, .label = labels[s][i],
					   .split = (uint8_t)(s + 1), .n_full = n_full[s][i], .n_ids = n,
					   .ids = ids, .label_raw = raw, .label_raw_len = 8,
					   .text = "x", .text_len = 1};
			assert_int_equal(tokwriter_add(w, &r), 0);
		}
		assert_int_equal(tokwriter_commit(w), 0);
	}
	tokmeta_free(&m);
	const char *log = test_path("numbers.jsonl");
	const char *lt = "{\"epoch\": 1, \"loss\": 0.7, \"accuracy\": 0.5, \"val_loss\": 0.65, "
			 "\"val_accuracy\": 0.55, \"val_macro_f1\": 0.45, \"seconds\": 2, "
			 "\"seq_per_s\": 300, \"lr\": 0.002}\n";
	write_file(log, lt, strlen(lt));
	/* rows: right 0.9 (neg), right 0.8 (pos), right 0.95 (pos), wrong 0.7,
	 * wrong 0.99, wrong 0.6 */
	const char *pred = test_path("numbers.tsv");
	const char *pt = "hash\tlabel\tpredicted\tprob_negative\tprob_positive\n"
			 "0000000000000001\tnegative\tnegative\t0.9\t0.1\n"
			 "0000000000000002\tpositive\tpositive\t0.2\t0.8\n"
			 "0000000000000003\tpositive\tpositive\t0.05\t0.95\n"
			 "0000000000000004\tnegative\tpositive\t0.3\t0.7\n"
			 "0000000000000005\tpositive\tnegative\t0.99\t0.01\n"
			 "0000000000000006\tnegative\tpositive\t0.4\t0.6\n";
	write_file(pred, pt, strlen(pt));
	struct report_inputs in = {.train_log = log, .predictions = pred, .split_dir = dir,
				   .metrics = test_path("none.json"), .n_examples = 4,
				   .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	const struct data_info *di = &d.data;
	assert_true(di->present);
	for (int s = 0; s < 3; s++)
		assert_int_equal(di->split[s].count, count[s]);
	assert_true(di->split[0].per_class[0] == 1 && di->split[0].per_class[1] == 2);
	assert_true(di->split[1].per_class[0] == 1 && di->split[1].per_class[1] == 0);
	assert_true(di->split[2].per_class[0] == 0 && di->split[2].per_class[1] == 1);
	assert_int_equal(di->split[0].truncated, 1);
	assert_int_equal(di->split[1].truncated, 1);
	assert_int_equal(di->split[2].truncated, 0);
	assert_int_equal(di->n_lengths, 5);
	const uint32_t want_len[5] = {5, 10, 13, 12, 3};
	for (int i = 0; i < 5; i++)
		assert_int_equal(di->lengths[i], want_len[i]);
	assert_int_equal(d.n_epochs, 1);
	const struct epoch_row *e = &d.epochs[0];
	assert_true(e->epoch == 1 && e->loss == 0.7 && e->accuracy == 0.5 && e->val_loss == 0.65 &&
		    e->val_accuracy == 0.55 && e->val_macro_f1 == 0.45 && e->seconds == 2 &&
		    e->seq_per_s == 300 && e->lr == 0.002);
	/* 4 examples: right answers by class in turn (negative 0.9, then the
	 * most confident positive 0.95), then the two surest mistakes */
	assert_int_equal(d.n_examples, 4);
	const uint64_t want_hash[4] = {1, 3, 5, 4};
	for (int i = 0; i < 4; i++)
		assert_int_equal(d.examples[i].p.hash, want_hash[i]);
	struct report_options opt = {.title = "t", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, &in, &opt, &out), 0);
	/* and the report shows them (the Markdown; the HTML is built by the
	 * same calls) */
	const char *md = sbuf_str(&out.md);
	const char *want_md[] = {
		"| train | 3 | 60.0% | 1 (33.3%) | 2 (66.7%) | 1 (33.3%) |",
		"| validation | 1 | 20.0% | 1 (100.0%) | 0 (0.0%) | 1 (100.0%) |",
		"| test | 1 | 20.0% | 0 (0.0%) | 1 (100.0%) | 0 (0.0%) |",
		"| total | 5 | 100.0% | 2 (40.0%) | 3 (60.0%) | 2 (40.0%) |",
		"Median 10, mean 8.6, 90th percentile 12, 99th percentile 12, longest 13. 2 reviews "
		"(40.0%) are longer than max\\_len = 10",
		"| 10-10 (max\\_len) | 1 | 20.0% |",
		"| 12-12 | 1 | 20.0% |",
		"| 13 and more | 1 | 20.0% |", /* the longest, 13, is the first past the bins */
		"| 1 | 0.7000 | 0.5000 | 0.6500 | 0.5500 | 0.4500 | 2.0 s | 300.0 | 0.002 |",
		"3 of 6 test reviews are misclassified. Shown: the 2 most confident mistakes and 2",
		"| 3 | ✗ wrong | positive → negative | 0.990 |",
		NULL};
	for (int i = 0; want_md[i]; i++)
		if (!strstr(md, want_md[i])) {
			printf("the report lacks '%s':\n%s\n", want_md[i], md);
			fail();
		}
	report_output_free(&out);
	report_data_free(&d);
}

/* The Data section's length percentiles, on 100 train reviews of 11..110
 * tokens (max_len 0: none cut): sorted v, the median is v[50] = 61, the
 * 90th percentile v[89] = 100, the 99th v[98] = 109 (the 95th, v[94] =
 * 105, only sizes the histogram). */
static void test_length_percentiles(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_path_kept("percentiles"));
	assert_int_equal(mkdir(dir, 0755), 0);
	struct tokmeta m;
	fixture_meta(&m, 0);
	char path[4200];
	snprintf(path, sizeof(path), "%s/train.tok", dir);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	tokmeta_free(&m);
	uint32_t ids[110];
	for (uint32_t t = 0; t < 110; t++)
		ids[t] = 10 + t;
	ids[0] = 2;
	for (uint32_t i = 0; i < 100; i++) {
		uint32_t n = 110 - (i * 37 % 100); /* 11..110, shuffled */
		ids[n - 1] = 3;
		struct tokrec r = {.hash = i, .label = (int)(i % 2), .split = SPLIT_TRAIN,
				   .n_full = n, .n_ids = n, .ids = ids, .label_raw = "x",
				   .label_raw_len = 1, .text = "x", .text_len = 1};
		assert_int_equal(tokwriter_add(w, &r), 0);
		ids[n - 1] = 10 + n - 1;
	}
	assert_int_equal(tokwriter_commit(w), 0);
	struct report_inputs in = {.split_dir = dir, .metrics = test_path("none.json"),
				   .n_examples = 4, .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	assert_int_equal(d.data.n_lengths, 100);
	struct report_options opt = {.title = "t", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, &in, &opt, &out), 0);
	const char *want = "Median 61, mean 60.5, 90th percentile 100, 99th percentile 109, "
			   "longest 110. max\\_len is 0: nothing was truncated.";
	if (!strstr(sbuf_str(&out.md), want)) {
		printf("the report lacks '%s':\n%s\n", want, sbuf_str(&out.md));
		fail();
	}
	report_output_free(&out);
	report_data_free(&d);
}

/* The SVG of one figure of the report's HTML: from the chart's title to
 * its </svg> (a static copy), or fails. */
static const char *figure_svg(const char *html, const char *title)
{
	static char buf[65536];
	const char *a = strstr(html, title), *b = a ? strstr(a, "</svg>") : NULL;
	assert_true(a && b && (size_t)(b - a) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%.*s", (int)(b - a), a);
	return buf;
}

/* The learning curves plot each column of train-log.jsonl as its own
 * series: two epochs whose training and validation values all differ, and
 * each point's tooltip names its series and the value logged for it. */
static void test_learning_curves(void **state)
{
	(void)state;
	const char *log = test_path("curves.jsonl");
	const char *lt =
		"{\"epoch\": 1, \"loss\": 0.9, \"accuracy\": 0.51, \"val_loss\": 0.8, "
		"\"val_accuracy\": 0.52, \"val_macro_f1\": 0.41}\n"
		"{\"epoch\": 2, \"loss\": 0.6, \"accuracy\": 0.71, \"val_loss\": 0.7, "
		"\"val_accuracy\": 0.62, \"val_macro_f1\": 0.61}\n";
	write_file(log, lt, strlen(lt));
	struct report_inputs in = {.train_log = log, .metrics = test_path("none.json"),
				   .n_examples = 4, .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	struct report_options opt = {.title = "t", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, &in, &opt, &out), 0);
	const char *h = sbuf_str(&out.html);
	const char *loss = figure_svg(h, "Loss per epoch");
	const char *want_loss[] = {"<title>training loss at 1: 0.9</title>",
				   "<title>training loss at 2: 0.6</title>",
				   "<title>validation loss at 1: 0.8</title>",
				   "<title>validation loss at 2: 0.7</title>", NULL};
	for (int i = 0; want_loss[i]; i++)
		if (!strstr(loss, want_loss[i])) {
			printf("the loss chart lacks '%s':\n%s\n", want_loss[i], loss);
			fail();
		}
	const char *acc = figure_svg(h, "Accuracy per epoch");
	const char *want_acc[] = {"<title>training accuracy at 2: 0.71</title>",
				  "<title>validation accuracy at 2: 0.62</title>",
				  "<title>validation macro F1 at 2: 0.61</title>", NULL};
	for (int i = 0; want_acc[i]; i++)
		if (!strstr(acc, want_acc[i])) {
			printf("the accuracy chart lacks '%s':\n%s\n", want_acc[i], acc);
			fail();
		}
	report_output_free(&out);
	report_data_free(&d);
}

/* ---- the Data section on a hand-made report ---- */

/* Renders report_section_data of d in both formats; the caller frees
 * html and md. */
static void render_data(const struct report_data *d, char **html, char **md)
{
	struct sbuf b;
	for (int m = 0; m < 2; m++) {
		sbuf_init(&b);
		struct report_options opt = {.title = "t"};
		struct report_output out;
		memset(&out, 0, sizeof(out));
		struct doc o = {.b = &b, .md = m, .opt = &opt, .out = &out};
		report_section_data(&o, d);
		*(m ? md : html) = strdup(sbuf_str(&b));
		sbuf_free(&b);
		report_output_free(&out);
	}
}

/* Adds a stats file of kind with JSON text js to d. */
static void data_stats(struct report_data *d, const char *path, const char *kind, const char *js)
{
	json_error_t err;
	struct stats_file *s = &d->stats[d->n_stats++];
	s->path = strdup(path);
	s->kind = kind;
	s->json = json_loads(js, 0, &err);
	assert_non_null(s->json);
}

static void data_free(struct report_data *d)
{
	for (int i = 0; i < d->n_stats; i++) {
		free(d->stats[i].path);
		json_decref(d->stats[i].json);
	}
	free(d->data.lengths);
	free(d->data.per_source);
	free(d->data.meta.sources);
}

/* Fails, printing doc, unless every string of want is in it (have 1) or
 * none is (have 0). */
static void expect_in(const char *doc, const char *const *want, int have)
{
	for (int i = 0; want[i]; i++)
		if (!strstr(doc, want[i]) != !have) {
			printf("the section %s '%s':\n%s\n", have ? "lacks" : "has", want[i], doc);
			fail();
		}
}

/* The Data section's numbers on a hand-made report: the not-labelled
 * column, kept reviews per dump (the unlabelled counted), tokenize's
 * table per dump (named by "path", a count of 0 bad not marked, totals of
 * counts only) and its fallback to every top-level count, the reasons
 * left out (summed over files; an unknown format's per-item details,
 * label counts and other counts are no reasons), the first 10 bad
 * records and how many more, and the length table's groups, max_len row
 * and open-ended last group; a split with no reviews has no class bar. */
static void test_data_section(void **state)
{
	(void)state;
	struct report_data d;
	memset(&d, 0, sizeof(d));
	struct data_info *di = &d.data;
	di->present = 1;
	di->meta.n_labels = 2;
	di->meta.labels[0] = "neg";
	di->meta.labels[1] = "pos";
	di->meta.max_len = 10;
	di->meta.vocab_size = 100;
	di->meta.n_sources = 1;
	di->meta.sources = calloc(1, sizeof(*di->meta.sources));
	di->meta.sources[0].name = "dump-a";
	di->per_source = calloc(REPORT_MAX_CLASSES + 1, sizeof(uint64_t));
	di->per_source[0] = 1;
	di->per_source[1] = 1;
	di->per_source[REPORT_MAX_CLASSES] = 1;
	di->split[0] = (struct split_stats){.present = 1, .count = 3, .truncated = 1};
	di->split[0].per_class[0] = 1;
	di->split[0].per_class[1] = 1;
	di->split[0].per_class[REPORT_MAX_CLASSES] = 1;
	di->split[1].present = 1;
	di->n_lengths = 41;
	di->lengths = malloc(41 * sizeof(uint32_t));
	for (int i = 0; i < 40; i++)
		di->lengths[i] = (uint32_t)i + 1;
	di->lengths[40] = 200;
	data_stats(&d, "tok1.json", "tokenize",
		   "{\"dumps\": [{\"path\": \"dump-a.jsonl\", \"records\": 5, \"ok\": 4, \"bad\": 1, "
		   "\"mb_per_s\": 1.5}, {\"path\": \"dump-b.csv\", \"records\": 3, \"ok\": 3, "
		   "\"bad\": 0, \"mb_per_s\": 2.5}], "
		   "\"bad_records\": {\"total\": 1, \"by_reason\": {\"bad_json\": 1}}}");
	data_stats(&d, "tok2.json", "tokenize",
		   "{\"bad_records\": {\"total\": 2, \"by_reason\": {}}}");
	data_stats(&d, "tok3.json", "tokenize",
		   "{\"records\": 2, \"skipped\": 3, \"inputs\": [{\"dropped\": 5}], "
		   "\"labels\": {\"bad\": 6}, \"raw_labels\": {\"neutral\": 7}}");
	data_stats(&d, "filter.json", "filter-relabel",
		   "{\"dropped\": {\"neutral\": 2}, \"inputs\": [{\"file\": \"a\", \"in\": 5, "
		   "\"kept\": 4, \"dropped\": {\"neutral\": 1, \"dup\": 0}}], "
		   "\"errors\": [\"e1\", \"e2\", \"e3\", \"e4\", \"e5\", \"e6\", \"e7\", \"e8\", "
		   "\"e9\", \"e10\", \"e11\"]}");
	data_stats(&d, "split.json", "split",
		   "{\"splits\": {\"train\": {\"n\": 3}}, \"duplicates_dropped\": 4}");
	char *html, *md;
	render_data(&d, &html, &md);
	const char *want_md[] = {
		/* a column for reviews whose label is not mapped */
		"| split | reviews | share | neg | pos | not labelled | truncated |",
		/* a dump's name from its "path" */
		"| dump-a.jsonl | 5 | 4 | 1 |",
		/* counts summed, MB/s (not a count) not */
		"| total | 10 | 7 | 1 |  |  |",
		/* kept reviews include the unlabelled one */
		"| dump-a | 3 | 1 (33.3%) | 1 (33.3%) |",
		/* one reason in two files: summed */
		"| tokenize | bad records | records tokenize could not read | 3 | 2 |",
		"| tokenize | skipped |  | 3 | 1 |",
		"| split | duplicates\\_dropped | same text in two split inputs | 4 | 1 |",
		/* the first 10 messages, then how many more */
		"- e9\n- e10\n- ... 1 more in 'filter.json' (errors)\n",
		/* bins of 1 token grouped by 2; max_len 10 in the group 10-11 only;
		 * the last group open-ended from 38 */
		"| 8-9 | 2 | 4.9% |",
		"| 10-11 (max\\_len) | 2 | 4.9% |",
		"| 38-39 and more | 4 | 9.8% |",
		NULL};
	expect_in(md, want_md, 1);
	/* counts of an unknown format that are per item, label counts or
	 * not about left-out reviews are no reasons */
	const char *not_md[] = {"| tokenize | inputs", "| tokenize | labels",
				"| tokenize | raw", "| tokenize | records", NULL};
	expect_in(md, not_md, 0);
	/* no bar for a split with no reviews; a count of 0 is not marked */
	const char *not_html[] = {"nan%", "<td class=\"num worse\">0</td>", NULL};
	expect_in(html, not_html, 0);
	free(html);
	free(md);
	data_free(&d);

	/* no sources in the split files; tokenize stats of another format
	 * (one documented key only: every top-level count); reviews of 1-6
	 * tokens */
	memset(&d, 0, sizeof(d));
	di->present = 1;
	di->meta.n_labels = 2;
	di->meta.labels[0] = "neg";
	di->meta.labels[1] = "pos";
	di->split[0] = (struct split_stats){.present = 1, .count = 3};
	di->split[0].per_class[0] = 3;
	di->n_lengths = 6;
	di->lengths = malloc(6 * sizeof(uint32_t));
	for (int i = 0; i < 6; i++)
		di->lengths[i] = (uint32_t)i + 1;
	data_stats(&d, "tok.json", "tokenize", "{\"records\": 7, \"lines\": 9}");
	render_data(&d, &html, &md);
	/* the histogram spans at least 8 tokens (the 95th percentile is 5) */
	const char *want_b[] = {"| dump | records | lines |\n|---|---:|---:|\n| tok.json | 7 | 9 |",
				"*Not available: no split files to count the kept reviews per dump*",
				"| 6-6 | 1 | 16.7% |", "| 7-7 | 0 | 0.0% |", NULL};
	expect_in(md, want_b, 1);
	free(html);
	free(md);
	data_free(&d);
}

/* The HTML report of in (and its Markdown in *md when md is not NULL);
 * the caller frees them. */
static char *render_inputs(const struct report_inputs *in, char **md)
{
	struct report_data d;
	assert_int_equal(report_load(&d, in), 0);
	struct report_options opt = {.title = "t", .generated = 0};
	struct report_output out;
	assert_int_equal(report_render(&d, in, &opt, &out), 0);
	char *html = strdup(sbuf_str(&out.html));
	if (md)
		*md = strdup(sbuf_str(&out.md));
	report_output_free(&out);
	report_data_free(&d);
	return html;
}

/* Details of the header, training and history sections: a run id almost
 * of the extended form is cut, not read; train.json's plain extras are
 * listed, its objects not; the not-promoted banner compares metrics only
 * when both runs name the same one; "promoted": null reads n/a; one run
 * draws no chart; the chart's y axis spans at least 5 points; with 31
 * runs the chart shows the last 30 and the table folds the first; a model
 * max_len of 0 is not the longest review. */
static void test_render_details(void **state)
{
	(void)state;
	const char *m = "{\"n\": 40, \"accuracy\": 0.9, \"macro_f1\": 0.9, "
			"\"confusion_matrix\": [[18, 2], [2, 18]]}";
	char *h = render_with(m,
			      "{\"run\": \"2026-11-30X03:00:12Z\", \"accuracy\": 0.8, "
			      "\"macro_f1\": 0.8, \"n\": 40, \"promoted\": true}\n",
			      "{\"note\": \"x\", \"extra\": {\"a\": 1}}");
	/* a run id like the extended form but without its 'T': cut, not read */
	assert_non_null(strstr(h, "accuracy vs last promoted run (2026-11-30X03:)"));
	/* train.json's other plain values listed, objects not */
	assert_non_null(strstr(h, "<tr><td>note</td><td>x</td></tr>"));
	assert_null(strstr(h, "<td>extra</td>"));
	free(h);

	/* not promoted, and promoted on another metric than the run in
	 * service: no "vs" between the two */
	h = render_with(m,
			"{\"run\": \"a\", \"accuracy\": 0.95, \"macro_f1\": 0.95, \"n\": 40, "
			"\"promoted\": true, \"val_accuracy\": 0.8}\n"
			"{\"run\": \"b\", \"accuracy\": 0.9, \"macro_f1\": 0.9, \"n\": 40, "
			"\"promoted\": false, \"val_macro_f1\": 0.7}\n",
			NULL);
	assert_non_null(strstr(h, "did worse than the model in service (val_macro_f1 0.7000), "
				  "which stays in use: run a"));
	free(h);

	/* this run in the history with "promoted": null: "n/a", not "yes" */
	const char *m0 = "{\"n\": 2, \"accuracy\": 0.5, \"macro_f1\": 0.33, "
			 "\"confusion_matrix\": [[0, 0], [1, 1]], \"labels\": [\"neg\", \"pos\"]}";
	const char *hp = test_path("details-history.jsonl"), *mp = test_path("details-metrics.json");
	const char *ht = "{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			 "\"promoted\": true}\n"
			 "{\"run\": \"b\", \"accuracy\": 0.5, \"macro_f1\": 0.33, \"n\": 2, "
			 "\"promoted\": null}\n";
	write_file(hp, ht, strlen(ht));
	write_file(mp, m0, strlen(m0));
	struct report_inputs in = {.metrics = mp, .history = hp, .n_examples = 4,
				   .example_chars = 100};
	char *md;
	h = render_inputs(&in, &md);
	assert_non_null(strstr(h, "<td class=\"num\">n/a</td><td>n/a</td></tr>"));
	free(h);
	free(md);

	/* one run only (this one, in the history): no chart */
	h = render_with(m, "{\"run\": \"a\", \"accuracy\": 0.9, \"macro_f1\": 0.9, \"n\": 40}\n",
			NULL);
	assert_null(strstr(h, "Metrics per run"));
	free(h);

	/* accuracy and macro F1 within 3 points: the y axis spans at least 5
	 * (ticks 78% to 84%) */
	const char *m83 = "{\"n\": 40, \"accuracy\": 0.83, \"macro_f1\": 0.83, "
			  "\"confusion_matrix\": [[17, 3], [4, 16]]}";
	h = render_with(m83,
			"{\"run\": \"a\", \"accuracy\": 0.8, \"macro_f1\": 0.8, \"n\": 40, "
			"\"promoted\": true}\n",
			NULL);
	const char *chart = figure_svg(h, "Metrics per run");
	assert_non_null(strstr(chart, ">78%</text>"));
	assert_non_null(strstr(chart, ">84%</text>"));
	free(h);

	/* 30 history runs and this one: the chart shows the last 30 (not the
	 * first run, r01), the table folds the one before them */
	char hist[30 * 128];
	size_t hl = 0;
	for (int i = 1; i <= 30; i++)
		hl += (size_t)snprintf(hist + hl, sizeof(hist) - hl,
				       "{\"run\": \"r%02d\", \"accuracy\": 0.8, \"macro_f1\": 0.8, "
				       "\"n\": 40, \"promoted\": true}\n", i);
	h = render_with(m, hist, NULL);
	chart = figure_svg(h, "Metrics of the last 30 runs");
	assert_null(strstr(chart, "r01"));
	assert_non_null(strstr(chart, "r02"));
	assert_non_null(strstr(h, "The 1 earlier run</summary>"));
	free(h);

	/* split files never truncated, and a model whose max_len is 0 as well:
	 * not the longest review */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_path_kept("details-sd"));
	assert_int_equal(mkdir(dir, 0755), 0);
	struct tokmeta tm;
	fixture_meta(&tm, 0);
	char path[4200];
	snprintf(path, sizeof(path), "%s/train.tok", dir);
	struct tokwriter *w = tokwriter_open(path, &tm);
	assert_non_null(w);
	assert_int_equal(add_rec(w, 9, 1, 1, 0, 1, 5, "x"), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&tm);
	const char *tp = test_path("details-train.json");
	const char *tt = "{\"config\": {\"cell\": \"gru\", \"max_len\": 0}}";
	write_file(tp, tt, strlen(tt));
	struct report_inputs in2 = {.split_dir = dir, .train_json = tp,
				    .metrics = test_path("none.json"), .n_examples = 4,
				    .example_chars = 100};
	h = render_inputs(&in2, NULL);
	assert_non_null(strstr(h, "GRU, embedding n/a"));
	assert_non_null(strstr(h, "max_len 0, vocabulary"));
	free(h);
}

/* report_load at its limits: a confusion matrix of REPORT_MAX_CLASSES
 * classes is fine, predictions of one class more are not; a split record
 * whose label is one past the names counts as not labelled; examples
 * come from the split metrics.json names, their equally confident
 * mistakes taken by hash, their text whole without an ellipsis when it
 * fits; REPORT_MAX_STATS stats files are fine, one more is not. */
static void test_load_limits(void **state)
{
	(void)state;
	enum { K = REPORT_MAX_CLASSES };
	char text[8192];
	size_t tl = (size_t)snprintf(text, sizeof(text), "{\"n\": %d, \"accuracy\": 1, "
				     "\"macro_f1\": 1, \"confusion_matrix\": [", K);
	for (int i = 0; i < K; i++) {
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s[", i ? ", " : "");
		for (int j = 0; j < K; j++)
			tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s%d", j ? ", " : "",
					       i == j);
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "]");
	}
	snprintf(text + tl, sizeof(text) - tl, "]}");
	const char *mp = test_path("limits-metrics.json");
	write_file(mp, text, strlen(text));
	json_t *mj = NULL;
	assert_int_equal(report_load_metrics(mp, &mj), 0);
	json_decref(mj);

	/* K + 1 prob_ columns */
	tl = (size_t)snprintf(text, sizeof(text), "hash\tlabel\tpredicted");
	for (int i = 0; i <= K; i++)
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "\tprob_c%d", i);
	snprintf(text + tl, sizeof(text) - tl, "\n");
	const char *pp = test_path("limits-pred.tsv");
	write_file(pp, text, strlen(text));
	struct pred_row *rows = NULL;
	char *labels[REPORT_MAX_CLASSES + 4] = {0};
	int n = 0, nl = 0;
	assert_int_equal(report_load_predictions(pp, &rows, &n, labels, &nl), -1);

	/* train: labels 0, 1 and 2 (of 2 names); validation: two reviews */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_path_kept("limits-sd"));
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int s = 0; s < 2; s++) {
		struct tokmeta m;
		fixture_meta(&m, 10);
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s.tok", dir, tok_split_name(s + 1));
		struct tokwriter *w = tokwriter_open(path, &m);
		assert_non_null(w);
		if (s == 0)
			for (int l = 0; l < 3; l++)
				assert_int_equal(add_rec(w, 1 + (uint64_t)l, l, 1, 0, 1, 5, "t"), 0);
		else
			assert_int_equal(add_rec(w, 0x11, 1, 2, 0, 1, 4, "val text") ||
					 add_rec(w, 0x12, 1, 2, 0, 2, 3, "other"), 0);
		assert_int_equal(tokwriter_commit(w), 0);
		tokmeta_free(&m);
	}
	const char *mt = "{\"n\": 2, \"accuracy\": 0, \"macro_f1\": 0, \"split\": \"validation\", "
			 "\"confusion_matrix\": [[0, 0], [2, 0]]}";
	write_file(mp, mt, strlen(mt));
	const char *pt = "hash\tlabel\tpredicted\tprob_negative\tprob_positive\n"
			 "0000000000000012\tpositive\tnegative\t0.8\t0.2\n"
			 "0000000000000011\tpositive\tnegative\t0.8\t0.2\n";
	write_file(pp, pt, strlen(pt));
	struct report_inputs in = {.metrics = mp, .predictions = pp, .split_dir = dir,
				   .n_examples = 1, .example_chars = 100};
	struct report_data d;
	assert_int_equal(report_load(&d, &in), 0);
	const struct split_stats *st = &d.data.split[0];
	assert_true(st->per_class[0] == 1 && st->per_class[1] == 1 && st->per_class[2] == 0 &&
		    st->per_class[REPORT_MAX_CLASSES] == 1);
	assert_int_equal(d.n_examples, 1);
	assert_int_equal(d.examples[0].p.hash, 0x11);
	assert_non_null(d.examples[0].text);
	assert_string_equal(d.examples[0].text, "val text");
	report_data_free(&d);
	char *md;
	free(render_inputs(&in, &md));
	assert_non_null(strstr(md, "| 0000000000000011 | val text |\n"));
	free(md);

	const char *sp = test_path("limits-stats.json");
	write_file(sp, "{\"records\": 1}", strlen("{\"records\": 1}"));
	const char *stats[REPORT_MAX_STATS + 1];
	for (int i = 0; i <= REPORT_MAX_STATS; i++)
		stats[i] = sp;
	struct report_inputs in2 = {.tok_stats = stats, .n_tok_stats = REPORT_MAX_STATS,
				    .n_examples = 1, .example_chars = 100};
	assert_int_equal(report_load(&d, &in2), 0);
	assert_int_equal(d.n_stats, REPORT_MAX_STATS);
	report_data_free(&d);
	in2.n_tok_stats++;
	assert_int_equal(report_load(&d, &in2), -1);
	report_data_free(&d);
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--write-tok"))
		return write_tok(argv[2], argv[3], atoi(argv[4]),
				 argc == 6 ? (uint32_t)atoi(argv[5]) : 64);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_md_escape),
		cmocka_unit_test(test_utf8_prefix),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_line_chart),
		cmocka_unit_test(test_heatmap),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_doc_table),
		cmocka_unit_test(test_svg_parts),
		cmocka_unit_test(test_metrics_checks),
		cmocka_unit_test(test_jsonl_and_tsv_checks),
		cmocka_unit_test(test_history_metric),
		cmocka_unit_test(test_load_choices),
		cmocka_unit_test(test_render_history_baseline),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_load_numbers),
		cmocka_unit_test(test_length_percentiles),
		cmocka_unit_test(test_learning_curves),
		cmocka_unit_test(test_data_section),
		cmocka_unit_test(test_render_details),
		cmocka_unit_test(test_load_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
