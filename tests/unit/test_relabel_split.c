/* test_relabel_split.c - filter-relabel's merge/relabel/dedup logic and the
 * split stage's logic, on token files written here with tokwriter. */
#include "testutil.h"

#include <sys/stat.h>

#include "hash.h"
#include "labelmap.h"
#include "relabel.h"
#include "splitter.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"

struct r {
	const char *text, *label;
	int split;
};

static void init_meta(struct tokmeta *m, const char *source, uint32_t max_len)
{
	test_tokmeta(m, 0xabcdef, 1000, max_len, 0);
	tokmeta_add_source(m, source, 7);
}

static void make_tok(const char *path, const char *source, const struct r *recs, int n,
		     uint32_t max_len)
{
	struct tokmeta m;
	init_meta(&m, source, max_len);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		uint32_t ids[3] = {2, 10 + (uint32_t)i, 3};
		struct tokrec rec = {
			.hash = hash64(recs[i].text, strlen(recs[i].text)), .label = -1,
			.split = (uint8_t)recs[i].split, .source = 0, .line = (uint32_t)i + 1,
			.n_full = 3, .n_ids = 3, .ids = ids, .label_raw = recs[i].label,
			.label_raw_len = strlen(recs[i].label), .text = recs[i].text,
			.text_len = strlen(recs[i].text)};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static long jint(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);
	if (b)
		v = json_object_get(v, b);
	assert_non_null(v);
	return (long)json_integer_value(v);
}

static void test_relabel_fates(void **state)
{
	const struct r a[] = {
		{"t1", "positive", 0}, {"t2", "negative", 0}, {"t3", "neutral", 0}, {"t4", "bad", 0},
		{"t5", "weird", 0},
	};
	const struct r b[] = {
		{"t1", "Positive", 0}, {"t2", "positive", 0}, {"t6", "2", 0}, {"t3", "1", 0},
		{"t7", "good", 0}, {"t7", "good", 0},
	};
	const char *pa = test_path("a.tok"), *pb = test_path("b.tok");
	make_tok(pa, "dumps/a.jsonl", a, 5, 256);
	make_tok(pb, "dumps/b.csv", b, 6, 256);
	struct labelmap *map = labelmap_parse("binary");
	struct relabel_opts o = {map, 0, -1, "test", NULL};
	const char *in[] = {pa, pb};
	const char *out = test_path("merged.tok");
	json_t *st = NULL;
	assert_int_equal(relabel_run(in, 2, out, &o, &st), 0);
	assert_non_null(st);
	assert_int_equal(jint(st, "in", NULL), 11);
	assert_int_equal(jint(st, "kept", NULL), 4);
	assert_int_equal(jint(st, "dropped", "unknown_label"), 1);
	assert_int_equal(jint(st, "dropped", "label"), 1);
	assert_int_equal(jint(st, "dropped", "duplicate"), 3);
	assert_int_equal(jint(st, "dropped", "conflict"), 2);
	assert_int_equal(jint(st, "conflict_texts", NULL), 1);
	assert_int_equal(jint(st, "classes", "negative"), 1);
	assert_int_equal(jint(st, "classes", "positive"), 3);
	json_t *ex = json_object_get(json_object_get(st, "unknown_labels"), "examples");
	assert_string_equal(json_string_value(json_array_get(ex, 0)),
			    "dumps/a.jsonl:5: unknown label 'weird' (not in --labels "
			    "negative=negative,neutral=drop,positive=positive)");
	json_t *in1 = json_array_get(json_object_get(st, "inputs"), 1);
	assert_int_equal(jint(in1, "in", NULL), 6);
	assert_int_equal(jint(in1, "kept", NULL), 2);
	json_decref(st);

	struct tokreader *r = tokreader_open(out);
	assert_non_null(r);
	const struct tokmeta *m = tokreader_meta(r);
	assert_int_equal(m->n_labels, 2);
	assert_string_equal(m->labels[0], "negative");
	assert_string_equal(m->labels[1], "positive");
	assert_int_equal(m->n_sources, 2);
	assert_string_equal(m->sources[1].name, "dumps/b.csv");
	const struct { const char *text; int label; uint32_t source, line; } want[] = {
		{"t1", 1, 0, 1}, {"t4", 0, 0, 4}, {"t6", 1, 1, 3}, {"t7", 1, 1, 5},
	};
	struct tokrec rec;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(tokreader_next(r, &rec), 1);
		assert_int_equal(rec.text_len, strlen(want[i].text));
		assert_memory_equal(rec.text, want[i].text, rec.text_len);
		assert_int_equal(rec.label, want[i].label);
		assert_int_equal(rec.source, want[i].source);
		assert_int_equal(rec.line, want[i].line);
	}
	assert_int_equal(tokreader_next(r, &rec), 0);
	tokreader_close(r);
	labelmap_free(map);
}

static void test_relabel_fail_on_unknown(void **state)
{
	const struct r a[] = {{"x", "positive", 0}, {"y", "great", 0}};
	const char *pa = test_path("u.tok"), *out = test_path("u-merged.tok");
	make_tok(pa, "u.jsonl", a, 2, 256);
	struct labelmap *map = labelmap_parse("binary");
	struct relabel_opts o = {map, 1, -1, "test", NULL};
	json_t *st = NULL;
	assert_int_equal(relabel_run(&pa, 1, out, &o, &st), -1);
	assert_string_equal(json_string_value(json_object_get(st, "status")), "failed");
	json_decref(st);
	struct stat sb;
	assert_int_equal(stat(out, &sb), -1); /* nothing written */

	/* with skip, the same input works; 3class keeps neutral */
	o.fail_on_unknown = 0;
	assert_int_equal(relabel_run(&pa, 1, out, &o, NULL), 0);
	labelmap_free(map);
}

static void test_relabel_incompatible(void **state)
{
	const struct r a[] = {{"x", "positive", 0}};
	const char *p1 = test_path("i1.tok"), *p2 = test_path("i2.tok");
	make_tok(p1, "i1.jsonl", a, 1, 256);
	make_tok(p2, "i2.jsonl", a, 1, 128);
	struct labelmap *map = labelmap_parse("binary");
	struct relabel_opts o = {map, 0, -1, "test", NULL};
	const char *in[] = {p1, p2};
	assert_int_equal(relabel_run(in, 2, test_path("i-merged.tok"), &o, NULL), -1);
	labelmap_free(map);
}

static void test_relabel_nothing_kept(void **state)
{
	const struct r a[] = {{"x", "neutral", 0}, {"y", "1", 0}};
	const char *p = test_path("n.tok");
	make_tok(p, "n.jsonl", a, 2, 256);
	struct labelmap *map = labelmap_parse("binary");
	struct relabel_opts o = {map, 0, -1, "test", NULL};
	assert_int_equal(relabel_run(&p, 1, test_path("n-merged.tok"), &o, NULL), -1);
	labelmap_free(map);
}

/* A text whose copies disagree several times is one conflicting text;
 * raw_labels counts every raw label read, unknown ones included; a file
 * that names no dump stands for itself as its records' source. */
static void test_relabel_conflict_count_and_sourceless(void **state)
{
	const struct r a[] = {
		{"c1", "positive", 0}, {"c1", "negative", 0}, {"c1", "positive", 0},
		{"c1", "negative", 0}, {"k1", "positive", 0}, {"u1", "weird", 0},
	};
	/* (copies: test_path's buffers are reused) */
	char *pa = strdup(test_path("cc.tok")), *pb = strdup(test_path("nosrc.tok"));
	make_tok(pa, "dumps/cc.jsonl", a, 6, 256);
	struct tokmeta m;
	init_meta(&m, "unused", 256);
	for (int i = 0; i < m.n_sources; i++)
		free(m.sources[i].name);
	m.n_sources = 0; /* a file of no named dump */
	struct tokwriter *w = tokwriter_open(pb, &m);
	assert_non_null(w);
	uint32_t ids[3] = {2, 10, 3};
	struct tokrec rec = {.hash = hash64("s1", 2), .label = -1, .line = 1, .n_full = 3,
			     .n_ids = 3, .ids = ids, .label_raw = "negative", .label_raw_len = 8,
			     .text = "s1", .text_len = 2};
	assert_int_equal(tokwriter_add(w, &rec), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);

	struct labelmap *map = labelmap_parse("binary");
	struct relabel_opts o = {map, 0, -1, "test", NULL};
	const char *in[] = {pa, pb};
	const char *out = test_path("cc-merged.tok");
	json_t *st = NULL;
	assert_int_equal(relabel_run(in, 2, out, &o, &st), 0);
	assert_int_equal(jint(st, "conflict_texts", NULL), 1);
	assert_int_equal(jint(st, "dropped", "conflict"), 4);
	assert_int_equal(jint(st, "kept", NULL), 2);
	assert_int_equal(jint(st, "raw_labels", "positive"), 3);
	assert_int_equal(jint(st, "raw_labels", "negative"), 3);
	assert_int_equal(jint(st, "raw_labels", "weird"), 1);
	json_decref(st);

	struct tokreader *r = tokreader_open(out);
	assert_non_null(r);
	const struct tokmeta *om = tokreader_meta(r);
	assert_int_equal(om->n_sources, 2);
	const char *want_src[2] = {"dumps/cc.jsonl", pb};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(tokreader_next(r, &rec), 1);
		assert_true(rec.source < (uint32_t)om->n_sources);
		assert_string_equal(om->sources[rec.source].name, want_src[i]);
	}
	assert_int_equal(tokreader_next(r, &rec), 0);
	tokreader_close(r);
	labelmap_free(map);
	free(pa);
	free(pb);
}

/* ---- split ---- */

/* n records "<prefix> i" labelled by i % 2, in a relabelled file. */
static void make_labelled(const char *path, const char *prefix, int n, int named_every)
{
	struct tokmeta m;
	init_meta(&m, path, 256);
	m.n_labels = 2;
	m.labels[0] = strdup("negative");
	m.labels[1] = strdup("positive");
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%s %d", prefix, i);
		uint32_t ids[3] = {2, 5, 3};
		struct tokrec rec = {
			.hash = hash64(text, strlen(text)), .label = i % 2,
			.split = (uint8_t)(named_every && i % named_every == 0 ? SPLIT_TEST : SPLIT_NONE),
			.line = (uint32_t)i + 1, .n_full = 3, .n_ids = 3, .ids = ids,
			.label_raw = i % 2 ? "positive" : "negative", .label_raw_len = 8,
			.text = text, .text_len = strlen(text)};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

/* Reads the three split files of prefix; stores each hash's split in the
 * (hash, split) list; returns the record count. */
struct placed {
	uint64_t hash;
	int split;
};

static int read_splits(const char *prefix, struct placed *out, int max, int *named)
{
	int n = 0;
	*named = 0;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		char name[64];
		snprintf(name, sizeof(name), "%s-%s.tok", prefix, tok_split_name(s));
		struct tokreader *r = tokreader_open(test_path(name));
		assert_non_null(r);
		struct tokrec rec;
		while (tokreader_next(r, &rec) == 1) {
			assert_true(n < max);
			assert_int_equal(rec.split, s);
			out[n].hash = rec.hash;
			out[n].split = s;
			n++;
		}
		tokreader_close(r);
	}
	return n;
}

static int run_split(const char *prefix, const char **in, int n, int ignore_named, json_t **st)
{
	static char names[3][64];
	struct splitter_opts o = {.fracs = {0.8, 0.1, 0.1}, .ignore_named = ignore_named};
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		snprintf(names[s - 1], sizeof(names[0]), "%s-%s.tok", prefix, tok_split_name(s));
		o.out[s] = strdup(test_path(names[s - 1]));
	}
	int rc = splitter_run(in, n, &o, st);
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		free((char *)o.out[s]);
	return rc;
}

static int cmp_placed(const void *a, const void *b)
{
	uint64_t x = ((const struct placed *)a)->hash, y = ((const struct placed *)b)->hash;
	return x < y ? -1 : x > y;
}

static void test_split_fractions_and_no_overlap(void **state)
{
	const char *p = test_path("s10k.tok");
	make_labelled(p, "review", 10000, 0);
	json_t *st = NULL;
	assert_int_equal(run_split("s10k", &p, 1, 0, &st), 0);
	long ntr = jint(json_object_get(st, "splits"), "train", "n");
	long nva = jint(json_object_get(st, "splits"), "validation", "n");
	long nte = jint(json_object_get(st, "splits"), "test", "n");
	assert_int_equal(ntr + nva + nte, 10000);
	assert_in_range(ntr, 8000 - 160, 8000 + 160); /* about 4 binomial sd */
	assert_in_range(nva, 1000 - 120, 1000 + 120);
	assert_in_range(nte, 1000 - 120, 1000 + 120);
	json_t *cls = json_object_get(json_object_get(json_object_get(st, "splits"), "train"),
				      "classes");
	assert_int_equal(jint(cls, "negative", NULL) + jint(cls, "positive", NULL), ntr);
	json_decref(st);

	static struct placed pl[10000];
	int named;
	int n = read_splits("s10k", pl, 10000, &named);
	assert_int_equal(n, 10000);
	qsort(pl, n, sizeof(*pl), cmp_placed);
	for (int i = 1; i < n; i++)
		assert_true(pl[i].hash != pl[i - 1].hash); /* no text in two splits */
}

static void test_split_adding_moves_nothing(void **state)
{
	const char *old = test_path("old.tok"), *add = test_path("new.tok");
	make_labelled(old, "old", 3000, 0);
	make_labelled(add, "new", 3000, 0);
	assert_int_equal(run_split("before", &old, 1, 0, NULL), 0);
	const char *both[] = {old, add};
	assert_int_equal(run_split("after", both, 2, 0, NULL), 0);
	static struct placed before[3000], after[6000];
	int named;
	int nb = read_splits("before", before, 3000, &named);
	int na = read_splits("after", after, 6000, &named);
	assert_int_equal(nb, 3000);
	assert_int_equal(na, 6000);
	qsort(after, na, sizeof(*after), cmp_placed);
	for (int i = 0; i < nb; i++) {
		struct placed *f = bsearch(&before[i], after, na, sizeof(*after), cmp_placed);
		assert_non_null(f);
		assert_int_equal(f->split, before[i].split);
	}
}

static void test_split_named_wins(void **state)
{
	const char *p = test_path("named.tok");
	make_labelled(p, "named", 1000, 4); /* every 4th names "test" */
	json_t *st = NULL;
	assert_int_equal(run_split("named", &p, 1, 0, &st), 0);
	assert_true(json_is_true(json_object_get(st, "named_splits_honoured")));
	json_t *test = json_object_get(json_object_get(st, "splits"), "test");
	assert_int_equal(jint(test, "named", NULL), 250);
	assert_true(jint(test, "n", NULL) >= 250);
	json_decref(st);
	/* every named record is in test */
	struct tokreader *r = tokreader_open(test_path("named-test.tok"));
	struct tokrec rec;
	int seen_named = 0;
	while (tokreader_next(r, &rec) == 1)
		seen_named += (rec.line - 1) % 4 == 0;
	tokreader_close(r);
	assert_int_equal(seen_named, 250);

	/* --ignore-named: placed by hash alone */
	assert_int_equal(run_split("ignored", &p, 1, 1, &st), 0);
	assert_true(json_is_false(json_object_get(st, "named_splits_honoured")));
	test = json_object_get(json_object_get(st, "splits"), "test");
	assert_int_equal(jint(test, "named", NULL), 0);
	assert_true(jint(test, "n", NULL) < 200);
	json_decref(st);
}

/* A run that fails says so in its stats ("status": "failed"): an output
 * that cannot be created (under a regular file), and one that cannot be
 * committed (its name is a folder, found only at the rename). */
static void test_split_failed_stats(void **state)
{
	const char *p = strdup(test_path("fs.tok"));
	make_labelled(p, "fs", 100, 0);
	for (int k = 0; k < 2; k++) {
		struct splitter_opts o = {.fracs = {0.8, 0.1, 0.1}};
		char *out[4] = {NULL};
		for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
			char name[64];
			snprintf(name, sizeof(name), "fs%d-%s.tok", k, tok_split_name(s));
			o.out[s] = out[s] = strdup(test_path(name));
		}
		if (k == 0) { /* fs0-test.tok is a file; the output goes under it */
			FILE *f = fopen(out[SPLIT_TEST], "w");
			assert_non_null(f);
			fclose(f);
			size_t n = strlen(out[SPLIT_TEST]) + 8;
			char *under = malloc(n);
			snprintf(under, n, "%s/x.tok", out[SPLIT_TEST]);
			free(out[SPLIT_TEST]);
			o.out[SPLIT_TEST] = out[SPLIT_TEST] = under;
		} else { /* fs1-test.tok is a folder with a file in it */
			assert_int_equal(mkdir(out[SPLIT_TEST], 0755), 0);
			char inner[4200];
			snprintf(inner, sizeof(inner), "%s/keep", out[SPLIT_TEST]);
			FILE *f = fopen(inner, "w");
			assert_non_null(f);
			fclose(f);
		}
		json_t *st = NULL;
		assert_int_equal(splitter_run(&p, 1, &o, &st), -1);
		assert_non_null(st);
		assert_string_equal(json_string_value(json_object_get(st, "status")), "failed");
		json_decref(st);
		for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
			free(out[s]);
	}
	free((char *)p);
}

static void test_split_drops_repeats(void **state)
{
	const char *a = test_path("rep-a.tok"), *b = test_path("rep-b.tok");
	make_labelled(a, "same", 100, 0);
	make_labelled(b, "same", 100, 4); /* same texts, some naming test */
	const char *in[] = {a, b};
	json_t *st = NULL;
	assert_int_equal(run_split("rep", in, 2, 0, &st), 0);
	assert_int_equal(jint(st, "duplicates_dropped", NULL), 100);
	json_decref(st);
	static struct placed pl[200];
	int named;
	assert_int_equal(read_splits("rep", pl, 200, &named), 100);
}

/* Named splits of all three kinds, unlabeled records, two inputs and
 * repeats: "mix" (300 records, record i names split 1 + i % 3, every 5th
 * unlabeled: label -1, or 2 (one past the labels, as a damaged file may
 * carry), else i % 2), "plain" (200, unnamed) and "plain" again (its
 * first 50 texts: repeats, dropped).  Each named record is in the split it
 * named and counted as named; each record keeps its own input as source;
 * the stats' classes and fractions (of the 500 kept) match the files. */
static void test_split_named_all_kinds_and_stats(void **state)
{
	/* (copies: test_path's buffers are reused) */
	char *mix = strdup(test_path("mix.tok")), *plain = strdup(test_path("plain.tok")),
	     *again = strdup(test_path("again.tok"));
	struct tokmeta m;
	init_meta(&m, mix, 256);
	m.n_labels = 2;
	m.labels[0] = strdup("negative");
	m.labels[1] = strdup("positive");
	struct tokwriter *w = tokwriter_open(mix, &m);
	assert_non_null(w);
	for (int i = 0; i < 300; i++) {
		char text[64];
		snprintf(text, sizeof(text), "mix %d", i);
		uint32_t ids[3] = {2, 5, 3};
		int label = i % 5 == 4 ? (i % 10 == 4 ? -1 : 2) : i % 2;
		const char *raw = label < 0 ? "meh" : label ? "positive" : "negative";
		struct tokrec rec = {
			.hash = hash64(text, strlen(text)), .label = label,
			.split = (uint8_t)(SPLIT_TRAIN + i % 3), .line = (uint32_t)i + 1,
			.n_full = 3, .n_ids = 3, .ids = ids, .label_raw = raw,
			.label_raw_len = strlen(raw), .text = text, .text_len = strlen(text)};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
	make_labelled(plain, "plain", 200, 0);
	make_labelled(again, "plain", 50, 0);

	const char *in[] = {mix, plain, again};
	json_t *st = NULL;
	assert_int_equal(run_split("kinds", in, 3, 0, &st), 0);
	assert_int_equal(jint(st, "in", NULL), 550);
	assert_int_equal(jint(st, "duplicates_dropped", NULL), 50);
	json_t *splits = json_object_get(st, "splits");
	long total = 0;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		json_t *o = json_object_get(splits, tok_split_name(s));
		assert_int_equal(jint(o, "named", NULL), 100);
		assert_int_equal(jint(o, "named", NULL) + jint(o, "hashed", NULL), jint(o, "n", NULL));
		total += jint(o, "n", NULL);

		/* read back: splits named, sources, classes */
		char name[64];
		snprintf(name, sizeof(name), "kinds-%s.tok", tok_split_name(s));
		struct tokreader *r = tokreader_open(test_path(name));
		assert_non_null(r);
		const struct tokmeta *rm = tokreader_meta(r);
		struct tokrec rec;
		long n = 0, cls[3] = {0}; /* negative, positive, unlabeled */
		while (tokreader_next(r, &rec) == 1) {
			n++;
			cls[rec.label < 0 || rec.label > 1 ? 2 : rec.label]++;
			assert_true(rec.source < (uint32_t)rm->n_sources);
			const char *src = rm->sources[rec.source].name;
			if (rec.text_len > 4 && !memcmp(rec.text, "mix ", 4)) {
				assert_string_equal(src, mix);
				char num[16] = {0}; /* rec.text is not NUL-terminated */
				memcpy(num, rec.text + 4, rec.text_len - 4 < 15 ? rec.text_len - 4 : 15);
				int i = atoi(num);
				assert_int_equal(rec.split, SPLIT_TRAIN + i % 3);
			} else {
				assert_string_equal(src, plain); /* repeats come from again */
			}
		}
		tokreader_close(r);
		assert_int_equal(n, jint(o, "n", NULL));
		json_t *c = json_object_get(o, "classes");
		assert_int_equal(jint(c, "negative", NULL), cls[0]);
		assert_int_equal(jint(c, "positive", NULL), cls[1]);
		assert_int_equal(jint(c, "(unlabeled)", NULL), cls[2]);
		assert_true(cls[2] > 0);
		/* fraction of the kept records: the same double division as the
		 * stage, so equal but for 1e-15 of slack */
		assert_close(json_real_value(json_object_get(o, "fraction")), n / 500.0, 1e-15);
	}
	assert_int_equal(total, 500);
	json_decref(st);
	free(mix);
	free(plain);
	free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relabel_fates),
		cmocka_unit_test(test_relabel_fail_on_unknown),
		cmocka_unit_test(test_relabel_incompatible),
		cmocka_unit_test(test_relabel_nothing_kept),
		cmocka_unit_test(test_relabel_conflict_count_and_sourceless),
		cmocka_unit_test(test_split_fractions_and_no_overlap),
		cmocka_unit_test(test_split_adding_moves_nothing),
		cmocka_unit_test(test_split_named_wins),
		cmocka_unit_test(test_split_failed_stats),
		cmocka_unit_test(test_split_drops_repeats),
		cmocka_unit_test(test_split_named_all_kinds_and_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
