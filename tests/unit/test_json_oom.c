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
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "afile.h"
#include "badlog.h"
#include "capture.h"
#include "dataset_fixture.h"
#include "evaluate.h"
#include "faultinj.h"
#include "jsonw.h"
#include "labelmap.h"
#include "learn_vocab.h"
#include "metrics.h"
#include "predict.h"
#include "progress.h"
#include "relabel.h"
#include "splitter.h"
#include "tokenize_dumps.h"
#include "tokfile.h"
#include "train_fixture.h"
#include "trainloop.h"
#include "ts_metrics.h"
#include "tseries.h"
#include "tsfile.h"
#include "vocab.h"

/* ---- the failing allocator ---- */

static long oom_count;       /* jansson allocations since oom_arm */
static long oom_at;          /* the one that fails (0: none) */
static int oom_spare_loads;  /* json_loads neither counts nor fails */
static int oom_in_loads;

static void *oom_malloc(size_t n)
{
	if (oom_in_loads)
		return malloc(n);
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

/* json_loads, json_unpack and json_unpack_ex as the library sees them (faultinj.h):
 * jansson's, outside the failing allocator's count while oom_spare_loads.
 * For the cases of writers whose runs read token files: out of memory,
 * jansson 2.14's readers go on as if nothing failed in places (load.c:
 * lex_save drops a byte of the text; pack_unpack.c: the strict check's
 * key set), the readers' matter, not the writers'. */
json_t *json_loads(const char *input, size_t flags, json_error_t *error)
{
	static json_t *(*real)(const char *, size_t, json_error_t *);
	if (!real)
		real = faultinj_real("json_loads");
	oom_in_loads = oom_spare_loads;
	json_t *j = real(input, flags, error);
	oom_in_loads = 0;
	return j;
}

int json_unpack(json_t *root, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	oom_in_loads = oom_spare_loads;
	int rc = json_vunpack_ex(root, NULL, 0, fmt, ap);
	oom_in_loads = 0;
	va_end(ap);
	return rc;
}

int json_unpack_ex(json_t *root, json_error_t *error, size_t flags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	oom_in_loads = oom_spare_loads;
	int rc = json_vunpack_ex(root, error, flags, fmt, ap);
	oom_in_loads = 0;
	va_end(ap);
	return rc;
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

/* ---- metrics_json ---- */

static int metrics_json_case(void *arg)
{
	const struct metrics *m = arg;
	char *labels[] = {"negative", "positive"};
	json_t *j = metrics_json(m, labels);
	json_decref(j);
	return j ? 0 : -1;
}

static void test_metrics_json(void **state)
{
	(void)state;
	struct metrics_acc *a = metrics_acc_new(2, 1);
	assert_non_null(a);
	float p[2 * 20];
	int32_t y[20];
	for (int i = 0; i < 20; i++) {
		p[2 * i] = (float)(i % 7) / 7;
		p[2 * i + 1] = 1 - p[2 * i];
		y[i] = i % 2;
	}
	assert_int_equal(metrics_acc_add(a, 20, p, y, 10.0), 0);
	struct metrics m;
	assert_int_equal(metrics_compute(a, &m), 0);
	/* metrics_json prints nothing (its caller does) and writes no file:
	 * each failing allocation must give NULL */
	oom_arm(0);
	assert_int_equal(metrics_json_case(&m), 0);
	long n = oom_disarm();
	for (long at = 1; at <= n; at++) {
		oom_arm(at);
		int rc = metrics_json_case(&m);
		oom_disarm();
		if (rc == 0) {
			printf("metrics_json: allocation %ld of %ld failing: an object\n", at, n);
			fail();
		}
	}
	printf("metrics_json: %ld failure points\n", n);
	metrics_free(&m);
	metrics_acc_free(a);
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

/* ---- a small dataset and vocabulary, a model trained on them ---- */

#define V 40
#define W 12

static char *vocab_txt, *data_h5, *model_h5, *ckpt1_h5;

static void write_vocab(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n", f);
	for (int i = 4; i < V; i++)
		fprintf(f, "w%d\n", i);
	fclose(f);
}

static struct train_cfg train_cfg_for(const char *name, int epochs)
{
	struct train_cfg c = test_train_cfg(data_h5, name);
	c.vocab = vocab_txt;
	c.embed = 4;
	c.hidden = 4;
	c.batch = 8;
	c.epochs = epochs;
	c.patience = 3;
	c.optim.lr = 0.01;
	c.progress = PROGRESS_NONE;
	c.quiet = 1;
	return c;
}

static int setup(void **state)
{
	(void)state;
	vocab_txt = test_path_kept("vocab.txt");
	write_vocab(vocab_txt);
	struct vocab *v = vocab_load(vocab_txt);
	assert_non_null(v);
	uint64_t vhash = vocab_hash(v);
	vocab_free(v);
	struct test_dataset d = {
		.counts = {24, 8, 8}, .chunk_rows = 8, .seed = 5,
		.vocab_hash = vhash, .vocab_size = V, .max_len = W, .min_len = 4, .first_word = 4,
	};
	data_h5 = test_dataset_write("data", &d);
	/* the model evaluate and predict read; a checkpoint of 1 epoch of 2 */
	struct train_cfg c = train_cfg_for("base", 1);
	assert_int_equal(train_run(&c), TRAIN_OK);
	model_h5 = (char *)c.model_out;
	ckpt1_h5 = (char *)c.checkpoint;
	return 0;
}

/* ---- train: log lines, summary; resume from a checkpoint's log ---- */

struct train_case {
	struct train_cfg c;
	const char *ckpt_src; /* copied to c.checkpoint before each run */
};

static void copy_file(const char *from, const char *to)
{
	FILE *f = fopen(from, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	write_file(to, buf, (size_t)n);
	free(buf);
}

static int train_case(void *arg)
{
	struct train_case *t = arg;
	if (t->ckpt_src)
		copy_file(t->ckpt_src, t->c.checkpoint);
	else
		unlink(t->c.checkpoint);
	unlink(t->c.log_out);
	return train_run(&t->c) != TRAIN_OK;
}

static void test_train(void **state)
{
	(void)state;
	struct train_case t = {train_cfg_for("train", 2), NULL};
	const char *art[] = {t.c.model_out, t.c.summary_out, NULL};
	each_failure("train", train_case, &t, art);
}

static void test_train_resume(void **state)
{
	(void)state;
	struct train_case t = {train_cfg_for("resume", 2), ckpt1_h5};
	t.c.resume = 1;
	const char *art[] = {t.c.model_out, t.c.summary_out, NULL};
	/* The checkpoint's log line is read back with json_loads: a failure in
	 * jansson's lexer can end in its own assertion (reliability.md, jansson
	 * notes), and how many tokens the line has depends on the timed seconds
	 * in it. The readers have test_oom's second pass; here, the writers. */
	oom_spare_loads = 1;
	each_failure("train --resume", train_case, &t, art);
	oom_spare_loads = 0;
}

/* ---- evaluate ---- */

static int evaluate_case(void *arg)
{
	return evaluate_classifier(arg) != 0;
}

static void test_evaluate(void **state)
{
	(void)state;
	struct evaluate_opts o = {
		.model = model_h5, .data = data_h5, .split = "test",
		.metrics_out = test_path_kept("eval.json"),
		.pred_out = test_path_kept("eval.tsv"), .batch = 4, .threads = 1, .logits = 1,
		.quiet = 1, .dev = DEVICE_CPU,
	};
	const char *art[] = {o.metrics_out, o.pred_out, NULL};
	each_failure("evaluate", evaluate_case, &o, art);
}

/* ---- predict --jsonl --logits (stdout to a file) ---- */

static int predict_case(void *arg)
{
	(void)arg;
	char *args[] = {"w5", "w6", "w7"};
	int saved = test_stdout_to(test_path("predict.out"));
	int rc = predict_reviews(model_h5, NULL, 1, 1, 4, args, 3);
	test_stdout_back(saved);
	return rc != 0;
}

static void test_predict(void **state)
{
	(void)state;
	const char *none[] = {NULL};
	each_failure("predict", predict_case, NULL, none);
}

/* ---- the time-series metrics file ---- */

struct ts_case {
	const char *out, *ds;
	float *pred;
	size_t n;
};

static int ts_case(void *arg)
{
	struct ts_case *t = arg;
	return ts_metrics_write_test(t->out, t->ds, t->pred, t->n, 0, 1, 0.5, -1) != 0;
}

static void test_ts_metrics(void **state)
{
	(void)state;
	struct tsdata w;
	memset(&w, 0, sizeof(w));
	struct ts_synth sp = {.n = 80, .waves = 1, .period = {5}, .amp = {3}, .seed = 4};
	assert_int_equal(tseries_synthetic(&sp, &w.series), 0);
	w.window = 5, w.horizon = 2, w.season = 5, w.train_frac = 0.7, w.val_frac = 0.15;
	assert_int_equal(ts_split_bounds(80, 0.7, 0.15, 5, 2, 5, &w.bounds), 0);
	assert_int_equal(ts_zscore_fit(w.series.values, w.bounds.bound[1], &w.mean, &w.std), 0);
	struct ts_case t = {test_path_kept("ts.json"), test_path_kept("ts.h5"), NULL, 0};
	assert_int_equal(tsfile_write(t.ds, &w, NULL), 0);
	t.n = ts_window_count(w.bounds.bound[2], w.bounds.bound[3], 5, 2);
	t.pred = calloc(t.n * 2, sizeof(float));
	const char *art[] = {t.out, NULL};
	each_failure("ts_metrics_write_test", ts_case, &t, art);
	free(t.pred);
	tsdata_free(&w);
}

/* ---- the stats files of learn-vocab, tokenize, filter-relabel, split ----
 * As the stages run them: the stats file opened first (stats_open, the
 * lead of the outputs) and committed last.  A run that fails in its work
 * writes the stats of the failure (status "failed"), so only the outputs
 * are artifacts here; stats that cannot be built leave no stats file. */

static const char *stats_path(void)
{
	return test_path("stats.json");
}

/* The stats of a run whose work succeeded but whose stats failed: none
 * (the case removed the file before the run). */
static int stats_end(struct afile *af, int rc, json_t *st)
{
	int c = stats_commit(af, st);
	json_decref(st);
	if (!rc && c)
		assert_false(exists(stats_path()));
	return rc || c;
}

static int relabel_case(void *arg)
{
	(void)arg;
	const char *out = test_path("relabel.tok");
	const char *in[] = {test_path_kept("data.train.tok"), test_path_kept("data.test.tok")};
	struct labelmap *map = labelmap_parse("binary");
	assert_non_null(map);
	struct relabel_opts o = {map, 0, -1, "test", stats_path()};
	struct afile af;
	unlink(stats_path());
	assert_int_equal(stats_open(&af, stats_path(), &out, 1), 0);
	json_t *st = NULL;
	int rc = relabel_run(in, 2, out, &o, &st);
	rc = stats_end(&af, rc, st);
	labelmap_free(map);
	return rc;
}

static void test_relabel_stats(void **state)
{
	(void)state;
	const char *art[] = {test_path_kept("relabel.tok"), NULL};
	oom_spare_loads = 1;
	each_failure("filter-relabel", relabel_case, NULL, art);
	oom_spare_loads = 0;
}

static const char *split_out[4];

static int split_case(void *arg)
{
	(void)arg;
	const char *in[] = {test_path_kept("data.train.tok")};
	struct splitter_opts o = {.fracs = {0.6, 0.2, 0.2}, .producer = "test"};
	memcpy(o.out, split_out, sizeof(o.out));
	struct afile af;
	unlink(stats_path());
	assert_int_equal(stats_open(&af, stats_path(), split_out + 1, 3), 0);
	json_t *st = NULL;
	int rc = splitter_run(in, 1, &o, &st);
	return stats_end(&af, rc, st);
}

static void test_split_stats(void **state)
{
	(void)state;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		char name[64];
		snprintf(name, sizeof(name), "split-%s.tok", tok_split_name(s));
		split_out[s] = test_path_kept(name);
	}
	const char *art[] = {split_out[1], split_out[2], split_out[3], NULL};
	oom_spare_loads = 1;
	each_failure("split", split_case, NULL, art);
	oom_spare_loads = 0;
}

/* A CSV dump (its reader uses no jansson: the failures are the stats') */
static const char *csv_dump(void)
{
	const char *p = test_path("dump.csv");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("text,label\n", f);
	for (int i = 0; i < 12; i++)
		fprintf(f, "w%d w%d w%d,%s\n", 4 + i, 5 + i, 6 + i,
			i % 2 ? "positive" : "negative");
	fputs("\xff bad,positive\n", f); /* a bad record for badlog_json */
	fclose(f);
	return p;
}

static int learn_vocab_case(void *arg)
{
	(void)arg;
	char *dumps[] = {(char *)csv_dump()};
	struct learn_vocab_opts o = {
		.output = test_path("learned.txt"), .stats_path = stats_path(), .size = 60,
		.min_frequency = 1, .format = DUMP_CSV, .max_print = 0,
	};
	return learn_vocab_run(&o, dumps, 1) != 0;
}

static void test_learn_vocab_stats(void **state)
{
	(void)state;
	const char *art[] = {test_path_kept("learned.txt"), NULL};
	each_failure("learn-vocab", learn_vocab_case, NULL, art);
}

static int tokenize_case(void *arg)
{
	(void)arg;
	char *dumps[] = {(char *)csv_dump()}, *outs[] = {test_path("tokenized.tok")};
	struct tokenize_opts o = {
		.vocab_path = vocab_txt, .max_len = 8, .truncation = "head",
		.dump = {.format = DUMP_CSV}, .threads = 1, .max_print = 0,
		.stats_path = stats_path(),
	};
	return tokenize_dumps(&o, dumps, outs, 1) != 0;
}

static void test_tokenize_stats(void **state)
{
	(void)state;
	const char *art[] = {test_path_kept("tokenized.tok"), NULL};
	each_failure("tokenize", tokenize_case, NULL, art);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonw_dumps),
		cmocka_unit_test(test_json_write_file),
		cmocka_unit_test(test_metrics_json),
		cmocka_unit_test(test_train),
		cmocka_unit_test(test_train_resume),
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_predict),
		cmocka_unit_test(test_ts_metrics),
		cmocka_unit_test(test_relabel_stats),
		cmocka_unit_test(test_split_stats),
		cmocka_unit_test(test_learn_vocab_stats),
		cmocka_unit_test(test_tokenize_stats),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
