/* test_oom.c - running out of memory in the input readers and the text
 * stages' library code: every allocation of a call made to fail in turn
 * (tests/oom_harness.h: how, and what a run must do).
 *
 * Covered (32 targets): vocabulary load (file, buffer, with its text), the
 * WordPiece tokenizer, labelmap_parse, u64map, the dump reader over JSON
 * Lines (decoded, and raw lines through a dumpdecoder), CSV, TSV and gzip
 * (JSON Lines and CSV), token files (write, read, toksynth with real id
 * sequences), the vocabulary learner, badlog and strcount with their JSON
 * and json_write_file, opts_parse, relabel_run, splitter_run,
 * tokenize_dumps (one thread and three, stats file), learn_vocab_run
 * (stats file), the report readers (train log, metrics, predictions, history, one JSON
 * file, report_load with split files and stats), tseries_read_csv,
 * tseries_synthetic, ts_predictions_read and getline_end: each run until
 * a run reaches no n-th allocation, in both modes, in this process (glibc's
 * stdio and qsort do without the memory; output files hashed, stats files
 * without their times).
 * Left out here: HDF5, which does not survive every failed allocation
 * (test_oom_hdf5), the threads' own start (glibc reuses a finished
 * thread's stack and TLS, so pthread_create allocates nothing after the
 * warm-up run), writers of JSON outputs other than the stats files
 * (trainloop, metrics, evaluate, predict's output), and jansson's allocations of a
 * power of two from 32 bytes (its lexer's token buffer, and hash-table
 * buckets of the same sizes): jansson 2.14 ignores a failed growth of the
 * token buffer and then aborts on an assertion (docs/reliability.md),
 * which no caller can prevent.  Those are failed one at a time in a
 * second pass over the readers that parse JSON (test_jansson_lexer), each
 * run in a child process: a run may end in jansson's assertion, or crash
 * inside jansson (counted, and allowed), and must otherwise fail saying
 * memory ran out or give the result of the run without faults, never a
 * value with a byte left out.
 */
#include "oom_harness.h"

#include <malloc.h>
#include <zlib.h>

#include "afile.h"
#include "badlog.h"
#include "dumpread.h"
#include "labelmap.h"
#include "learn_vocab.h"
#include "opts.h"
#include "relabel.h"
#include "report_data.h"
#include "splitter.h"
#include "tokenize_dumps.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"
#include "toksynth.h"
#include "ts_metrics.h"
#include "tseries.h"
#include "u64map.h"
#include "vocab.h"
#include "vocab_learn.h"
#include "wordpiece.h"

#ifndef OOM_UNDER_ASAN

/* The in-process pass (see the top and oom_harness.h) */

static long total_runs, total_injected;

static void run_target(const char *name, target_fn fn)
{
	const char *only = getenv("OOM_TARGET");
	if (only && *only && strcmp(only, name))
		return;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int saved = stderr_to_file();
	bt_fd = saved;

	static struct run r;
	int bad = 0;
	long runs = 0, inj = 0;
	fn(&r.digest); /* warm-up: lazily made buffers and tables */
	run_once(fn, 0, 0, &r);
	uint64_t want = r.digest;
	long n_alloc = r.calls;
	if (r.rc || r.leaked) {
		dprintf(saved, "%s: the run without faults failed (rc %d, %ld left):\n%s\n", name,
			r.rc, r.leaked, r.text);
		bad++;
	}
	for (int mode = 1; mode <= 2; mode++)
		for (long at = 1;; at++) {
			run_once(fn, at, mode, &r);
			runs++;
			inj += r.injected;
			const char *why = judge(&r, want);
			if (why) {
				if (bad < 3)
					dprintf(saved, "%s: allocation %ld failing (mode %d): %s (rc %d); "
						"it printed:\n%s\n", name, at, mode, why, r.rc, r.text);
				bad++;
			}
			if (!r.injected)
				break;
			if (at > n_alloc + 1000) {
				dprintf(saved, "%s: allocation counts do not settle\n", name);
				bad++;
				break;
			}
		}
	stderr_back(saved);
	bt_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("%-22s %5ld allocations, %5ld runs, %6ld failures injected, %7.1f ms%s\n", name,
	       n_alloc, runs, inj, ms, bad ? "  FAILED" : "");
	fflush(stdout);
	total_runs += runs;
	total_injected += inj;
	failures += bad;
}

/* The readers' pass over jansson's token buffers (see the top): each of
 * those allocations (and only those) failed in turn, each run in a child process
 * (jansson's lexer may abort on an assertion there: counted, not a
 * failure); a run that succeeds must give the result of the run without
 * faults, one that fails must say memory ran out. */
static void run_target_lexer(const char *name, target_fn fn)
{
	const char *only = getenv("OOM_TARGET");
	if (only && *only && strcmp(only, name))
		return;
	fflush(stdout);
	int saved = stderr_to_file();
	lexer_pass = 1;
	static struct run r;
	fn(&r.digest);
	run_once(fn, 0, 0, &r);
	uint64_t want = r.digest;
	long n_alloc = r.calls, runs = 0, aborts = 0, errors = 0;
	int bad = r.rc != 0;
	for (long at = 1; at <= n_alloc && !bad; at++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			/* the lexer may also read past what it could not grow */
			death_fd = saved;
			death_lib = "/libjansson";
			signal(SIGSEGV, child_on_signal);
			signal(SIGBUS, child_on_signal);
			run_once(fn, at, 1, &r);
			const char *why = judge(&r, want);
			if (why)
				dprintf(saved, "%s (jansson's buffers): allocation %ld failing: %s "
					"(rc %d); it printed:\n%s\n", name, at, why, r.rc, r.text);
			_exit(why ? 2 : r.rc ? 1 : 0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		runs++;
		if ((WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) ||
		    (WIFEXITED(st) && WEXITSTATUS(st) == 3))
			aborts++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
				dprintf(saved, "%s (jansson's buffers): allocation %ld failing: %s %d\n",
					name, at, WIFSIGNALED(st) ? "signal" : "exit status",
					WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			bad++;
		}
		else
			errors += WEXITSTATUS(st);
	}
	lexer_pass = 0;
	stderr_back(saved);
	printf("%-22s %5ld allocations, %5ld runs: %ld failed saying so, %ld ended in "
	       "jansson's assertion or crash%s\n", name, n_alloc, runs, errors, aborts,
	       bad ? "  FAILED" : "");
	fflush(stdout);
	failures += bad;
}

/* ---- fixtures ---- */

static const char vocab_text[] =
	"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n,\n.\na\nb\nc\nd\ne\nf\ng\nh\ni\nl\nm\nn\no\n"
	"r\ns\nt\nu\nw\n##a\n##d\n##e\n##i\n##l\n##m\n##n\n##o\n##r\n##s\n##t\nthe\nfilm\n"
	"good\nbad\nmovie\n##ing\nwas\nnot\n";

static const char jsonl_text[] =
	"{\"text\": \"The film was good!\", \"label\": \"positive\", \"split\": \"train\"}\n"
	"{\"text\": \"a bad movie\", \"label\": \"negative\"}\n"
	"{\"text\": \"\\u00e9t\\u00e9, not good\", \"label\": 2, \"split\": \"test\"}\n"
	"{\"text\": \"broken\", \"label\": \n"
	"{\"text\": 5, \"label\": \"negative\"}\n"
	"\n"
	"{\"text\": \"the movie was bad, bad, bad\", \"label\": \"negative\", \"split\": \"validation\"}\n";

static const char csv_text[] =
	"text,label,split\n"
	"\"The film, was good\",positive,train\n"
	"\"multi\nline review\",negative,\n"
	"a bad movie,neutral,test\n"
	"bad \"quoting,positive,train\n"
	"too,many,fields,here\n"
	"the end,good,validation\n";

static const char tsv_text[] = "review\tsentiment\nthe film\tgood\nnot good\tbad\n";

static char *p_vocab, *p_jsonl, *p_csv, *p_tsv, *p_jsonl_gz, *p_csv_gz, *p_ids, *p_tok_a,
	*p_tok_b, *p_split_dir, *p_series, *p_pred, *p_split_out[3];
static struct vocab *fx_vocab;

static void put_gz(const char *path, const char *data)
{
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)strlen(data)), (int)strlen(data));
	assert_int_equal(gzclose(gz), Z_OK);
}

static void put(const char *path, const char *text) { write_file(path, text, strlen(text)); }

/* A token file of n labelled reviews (split named for every third). */
static void make_tok(const char *path, const char *source, int n, int labelled, int seed)
{
	struct tokmeta m;
	test_tokmeta(&m, 0xabcdef, 1000, 8, labelled);
	tokmeta_add_source(&m, source, 7);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		char text[64];
		snprintf(text, sizeof(text), "review %d of %d", i % 29 + seed, seed);
		const char *lab[] = {"positive", "negative", "neutral", "odd"};
		uint32_t ids[4] = {2, 10 + (uint32_t)i, 11, 3};
		struct tokrec rec = {
			.hash = hash64(text, strlen(text)), .label = labelled ? i % 2 : -1,
			.split = (uint8_t)(i % 3 == 0 ? i % 4 : 0), .source = 0,
			.line = (uint32_t)i + 1, .n_full = 4 + (uint32_t)i % 9, .n_ids = 4,
			.ids = ids, .label_raw = lab[i % 4], .label_raw_len = strlen(lab[i % 4]),
			.text = text, .text_len = strlen(text)};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static void setup_fixtures(void)
{
	p_vocab = test_path_kept("vocab.txt");
	put(p_vocab, vocab_text);
	p_jsonl = test_path_kept("reviews-train.jsonl");
	put(p_jsonl, jsonl_text);
	p_csv = test_path_kept("reviews.csv");
	put(p_csv, csv_text);
	p_tsv = test_path_kept("reviews.tsv");
	put(p_tsv, tsv_text);
	p_jsonl_gz = test_path_kept("reviews.jsonl.gz");
	put_gz(p_jsonl_gz, jsonl_text);
	p_csv_gz = test_path_kept("reviews.csv.gz");
	put_gz(p_csv_gz, csv_text);
	p_ids = test_path_kept("ids.jsonl");
	put(p_ids, "{\"ids\": [101, 5, 6, 7, 102]}\n{\"ids_full\": [101, 9, 9, 102]}\n"
		   "{\"ids\": [101, 1, 2, 3, 4, 5, 6, 7, 8, 102]}\n");
	p_tok_a = test_path_kept("a.tok");
	make_tok(p_tok_a, "dumps/a.jsonl", 40, 0, 1);
	p_tok_b = test_path_kept("b.tok");
	make_tok(p_tok_b, "dumps/b.csv", 30, 0, 4);
	p_split_dir = test_path_kept("split");
	mkdir(p_split_dir, 0755);
	const char *names[] = {"split/train.tok", "split/validation.tok", "split/test.tok"};
	for (int s = 0; s < 3; s++)
		make_tok(test_path(names[s]), "dumps/a.jsonl", 12 + s, 1, 10 * s);
	p_split_out[0] = test_path_kept("s-train.tok");
	p_split_out[1] = test_path_kept("s-validation.tok");
	p_split_out[2] = test_path_kept("s-test.tok");
	p_series = test_path_kept("series.csv");
	put(p_series, "month,passengers\n1949-01,112\n1949-02,118\n\n1949-03,132\n"
		      "1949-04,129\n1949-05,121\n1949-06,135\n");
	p_pred = test_path_kept("pred.txt");
	put(p_pred, "# forecasts\n1.5 2.5\n3,4\n\n5\t6e1\n");
	fx_vocab = vocab_load(p_vocab);
	assert_non_null(fx_vocab);
}


/* ---- targets ---- */

static int t_vocab_load(uint64_t *dg)
{
	struct vocab *v = vocab_load(p_vocab);
	if (!v)
		return -1;
	*dg = mix(vocab_size(v), vocab_hash(v));
	*dg = mix(*dg, (uint64_t)vocab_id(v, "##ing", 5));
	vocab_free(v);
	return 0;
}

static int t_vocab_buffer(uint64_t *dg)
{
	struct vocab *v = vocab_load_buffer("model.h5:vocab", vocab_text, strlen(vocab_text));
	if (!v)
		return -1;
	*dg = mix(vocab_size(v), vocab_hash(v));
	vocab_free(v);
	return 0;
}

static int t_vocab_text(uint64_t *dg)
{
	char *text;
	size_t len;
	struct vocab *v = vocab_load_text(p_vocab, &text, &len);
	if (!v)
		return -1;
	*dg = mix_mem(vocab_hash(v), text, len);
	free(text);
	vocab_free(v);
	return 0;
}

static int t_wordpiece(uint64_t *dg)
{
	struct wordpiece_opts o = WORDPIECE_OPTS_DEFAULT;
	o.nfc = 1;
	struct wordpiece *wp = wordpiece_new(fx_vocab, &o);
	if (!wp)
		return -1;
	static const char text[] = "The filming was not good!  \xc3\xa9t\xc3\xa9, [SEP] bad\tmovies";
	struct idvec ids = {0}, framed = {0};
	uint64_t th = 0;
	size_t bad = 0;
	int rc = wordpiece_encode(wp, text, strlen(text), &ids, &th, &bad);
	if (!rc)
		rc = wordpiece_frame(ids.v, ids.n, 6, TRUNC_HEAD_TAIL, 2, 3, &framed);
	if (!rc)
		*dg = mix(mix_mem(th, ids.v, ids.n * 4), hash64(framed.v, framed.n * 4));
	idvec_free(&ids);
	idvec_free(&framed);
	wordpiece_free(wp);
	return rc ? -1 : 0;
}

static int t_labelmap(uint64_t *dg)
{
	struct labelmap *m = labelmap_parse("negative=neg,neutral=drop,positive=pos,5=pos,1=neg");
	if (!m)
		return -1;
	*dg = mix_mem((uint64_t)labelmap_n_classes(m), labelmap_spec(m), strlen(labelmap_spec(m)));
	*dg = mix(*dg, (uint64_t)labelmap_lookup(m, " Good ", 6));
	labelmap_free(m);
	struct labelmap *p = labelmap_parse("3class");
	if (!p)
		return -1;
	*dg = mix(*dg, (uint64_t)labelmap_n_classes(p));
	labelmap_free(p);
	return 0;
}

static int t_u64map(uint64_t *dg)
{
	struct u64map m;
	if (u64map_init(&m, 4))
		return -1;
	int rc = 0;
	for (uint64_t k = 1; k <= 300 && !rc; k++) {
		int found;
		uint32_t *v = u64map_put(&m, k * 0x9e3779b97f4a7c15ULL, &found);
		if (!v)
			rc = -1;
		else
			*v = (uint32_t)k;
	}
	if (!rc)
		*dg = mix(m.n, *u64map_get(&m, 77 * 0x9e3779b97f4a7c15ULL));
	u64map_free(&m);
	return rc;
}

/* Reads a dump to its end; the digest covers every record and reason. */
static int read_dump(const char *path, int format, int raw, uint64_t *dg)
{
	struct dump_opts o = {.format = format};
	struct dumpreader *r = dumpreader_open(path, &o);
	if (!r)
		return -1;
	struct dumpdecoder *dec = NULL;
	struct dumprec rec;
	int k, rc = 0;
	uint64_t h = 0;
	while ((k = raw ? dumpreader_next_raw(r, &rec) : dumpreader_next(r, &rec)) != DUMP_END) {
		if (k == DUMP_FATAL) {
			rc = -1;
			break;
		}
		if (k == DUMP_RAW) {
			if (!dec && !(dec = dumpdecoder_new(r))) {
				rc = -1;
				break;
			}
			k = dumpdecoder_decode(dec, rec.line, rec.text, rec.text_len, &rec);
			if (k == DUMP_FATAL) {
				rc = -1;
				break;
			}
		}
		h = mix(h, (uint64_t)k * 1000 + (uint64_t)rec.line);
		if (k == DUMP_REC)
			h = mix(mix_mem(mix_mem(h, rec.text, rec.text_len), rec.label, rec.label_len),
				(uint64_t)rec.split);
		else
			h = mix_mem(mix(h, (uint64_t)rec.bad), rec.reason, strlen(rec.reason));
	}
	if (!rc) {
		const char *t = dumpreader_text_field(r), *l = dumpreader_label_field(r);
		h = mix_mem(h, t ? t : "", t ? strlen(t) : 0);
		h = mix_mem(h, l ? l : "", l ? strlen(l) : 0);
		h = mix(h, dumpreader_bytes(r));
	}
	dumpdecoder_free(dec);
	dumpreader_close(r);
	*dg = h;
	return rc;
}

static int t_dump_jsonl(uint64_t *dg) { return read_dump(p_jsonl, DUMP_AUTO, 0, dg); }
static int t_dump_jsonl_raw(uint64_t *dg) { return read_dump(p_jsonl, DUMP_JSONL, 1, dg); }
static int t_dump_csv(uint64_t *dg) { return read_dump(p_csv, DUMP_AUTO, 0, dg); }
static int t_dump_tsv(uint64_t *dg) { return read_dump(p_tsv, DUMP_TSV, 0, dg); }
static int t_dump_jsonl_gz(uint64_t *dg) { return read_dump(p_jsonl_gz, DUMP_AUTO, 0, dg); }
static int t_dump_csv_gz(uint64_t *dg) { return read_dump(p_csv_gz, DUMP_CSV, 0, dg); }

static int t_tokfile_write(uint64_t *dg)
{
	struct tokmeta m;
	memset(&m, 0, sizeof(m));
	m.vocab_hash = 5;
	m.vocab_size = 1000;
	m.max_len = 8;
	m.pad_id = 0, m.unk_id = 1, m.cls_id = 2, m.sep_id = 3;
	m.truncation = (char *)"head";
	m.producer = (char *)"test_oom";
	m.labels[0] = (char *)"negative";
	m.labels[1] = (char *)"positive";
	m.n_labels = 2;
	struct toksource src[2] = {{(char *)"a.jsonl", 1}, {(char *)"b.csv", 2}};
	m.sources = src;
	m.n_sources = 2;
	const char *out = test_path("w.tok");
	struct tokwriter *w = tokwriter_open(out, &m);
	if (!w)
		return -1;
	for (uint32_t i = 0; i < 50; i++) {
		uint32_t ids[5] = {2, i, i + 1, i + 2, 3};
		struct tokrec rec = {.hash = i * 77, .label = (int32_t)(i % 2), .split = 1,
				     .source = i % 2, .line = i + 1, .n_full = 5, .n_ids = 5,
				     .ids = ids, .label_raw = "pos", .label_raw_len = 3,
				     .text = "some text", .text_len = 9};
		if (tokwriter_add(w, &rec)) {
			tokwriter_abort(w);
			return -1;
		}
	}
	if (tokwriter_commit(w))
		return -1;
	*dg = file_digest(out);
	return 0;
}

static int t_tokfile_read(uint64_t *dg)
{
	struct tokreader *r = tokreader_open(p_tok_a);
	if (!r)
		return -1;
	const struct tokmeta *m = tokreader_meta(r);
	uint64_t h = mix(m->vocab_hash, (uint64_t)m->n_sources);
	struct tokrec rec;
	int k, rc = 0;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		while ((k = tokreader_next(r, &rec)) == 1)
			h = mix_mem(mix_mem(h, rec.ids, rec.n_ids * 4), rec.text, rec.text_len);
		if (k < 0 || (pass == 0 && tokreader_rewind(r)))
			rc = -1;
	}
	struct tokmeta copy;
	if (!rc && tokmeta_copy(&copy, m))
		rc = -1;
	else if (!rc) {
		json_t *j = tokmeta_to_json(&copy);
		if (!j)
			rc = error("out of memory");
		json_decref(j);
		tokmeta_free(&copy);
	}
	tokreader_close(r);
	*dg = h;
	return rc;
}

static int t_toksynth(uint64_t *dg)
{
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	o.count = 20;
	o.ids_from = p_ids;
	o.max_len = 16;
	const char *out = test_path("synth.tok");
	if (toksynth_write(out, &o))
		return -1;
	*dg = file_digest(out);
	return 0;
}

static int t_vocab_learner(uint64_t *dg)
{
	struct vocab_learn_opts o = VOCAB_LEARN_OPTS_DEFAULT;
	o.vocab_size = 60;
	o.min_frequency = 1;
	struct vocab_learner *l = vocab_learner_new(&o);
	if (!l)
		return -1;
	static const char *texts[] = {"the film was good, the filming was better",
				      "a bad movie; bad acting [SEP] and badly filmed",
				      "\xc3\xa9t\xc3\xa9 \xd1\x84\xd0\xb8\xd0\xbb\xd1\x8c\xd0\xbc", "bad \xff utf-8"};
	int rc = 0;
	for (size_t i = 0; i < 4 && !rc; i++) {
		size_t bad;
		int k = vocab_learner_add(l, texts[i], strlen(texts[i]), &bad);
		if (k < 0 && k != WP_BAD_UTF8)
			rc = -1;
	}
	const char *out = test_path("learned.txt");
	if (!rc)
		rc = vocab_learner_write(l, out);
	if (!rc)
		*dg = mix(file_digest(out), vocab_learner_stats(l).merges);
	vocab_learner_free(l);
	return rc;
}

static int t_badlog(uint64_t *dg)
{
	struct badlog b;
	badlog_init(&b, 2);
	for (int i = 0; i < 14; i++)
		badlog_add(&b, i % 3 ? "invalid_json" : "too_long", "d.jsonl", i + 1, "reason %d", i);
	struct strcount c = {0};
	for (int i = 0; i < 70; i++) {
		char s[8];
		snprintf(s, sizeof(s), i % 7 ? "l%d" : "l\xff%d", i % 66); /* \xNN names */
		strcount_add(&c, s, strlen(s));
	}
	json_t *j = json_pack("{s:o, s:o}", "bad", badlog_json(&b), "labels", strcount_json(&c));
	int rc = -1;
	if (!j)
		error("cannot build the stats: out of memory");
	else if (!(rc = json_write_file(test_path("badlog.json"), j)))
		*dg = file_digest(test_path("badlog.json"));
	json_decref(j);
	strcount_free(&c);
	badlog_free(&b);
	return rc;
}

static int t_opts(uint64_t *dg)
{
	long n = 3;
	double x = 0;
	const char *fmt = "auto", *s = NULL;
	int flag = 0;
	struct opt_list list = {0};
	const struct opt opts[] = {
		{"count", OPT_INT, &n, "N", "a count", 1, 100},
		{"rate", OPT_DOUBLE, &x, "X", "a rate", 0, 1},
		{"format", OPT_CHOICE, &fmt, "auto|jsonl|csv", "format", 0, 0},
		{"name", OPT_STR, &s, "NAME", "a name", 0, 0},
		{"input", OPT_LIST, &list, "FILE", "inputs", 0, 0},
		{"flag", OPT_FLAG, &flag, NULL, "a flag", 0, 0},
		{0},
	};
	const struct opts_program prog = {"oom", "[OPTIONS] X...", "a test", opts, 1, -1, 0};
	char *argv[] = {"oom", "--count", "7", "--input", "a", "--input=b", "x", "--rate=0.5",
			"--input", "c", "--input", "d", "--input", "e", "--format", "csv", "-",
			"--flag", "--", "--name", NULL};
	char **args;
	int nargs;
	int rc = opts_parse(&prog, 20, argv, &args, &nargs);
	if (rc == OPTS_OK)
		*dg = mix(mix((uint64_t)list.n, (uint64_t)nargs), (uint64_t)n);
	opt_list_free(&list);
	return rc == OPTS_OK ? 0 : -1;
}

/* The stats file's content without its times (seconds, speeds): what a
 * run without faults also writes. */
static uint64_t strip_times(json_t *j)
{
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach_safe(j, tmp, k, v) {
			if (strstr(k, "seconds") || strstr(k, "per_s"))
				json_object_del(j, k);
			else
				strip_times(v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			strip_times(v);
	}
	return 0;
}

static uint64_t stats_digest(const char *path)
{
	pause_counting(1);
	uint64_t h = 1;
	json_t *j = json_load_file(path, 0, NULL);
	if (j) {
		strip_times(j);
		char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
		if (s)
			h = hash64(s, strlen(s));
		free(s);
		json_decref(j);
	}
	pause_counting(0);
	return h;
}

/* relabel_run as filter-relabel runs it: its stats file opened first and
 * committed with the stats it returned. */
static int t_relabel(uint64_t *dg)
{
	struct labelmap *map = labelmap_parse("binary");
	if (!map)
		return -1;
	const char *out = test_path("merged.tok"), *sp = test_path("relabel.stats.json");
	struct relabel_opts o = {map, 0, 3, "test", sp};
	const char *in[] = {p_tok_a, p_tok_b};
	struct afile af;
	json_t *st = NULL;
	int rc = stats_open(&af, sp, &out, 1);
	if (!rc) {
		rc = relabel_run(in, 2, out, &o, &st);
		if (stats_commit(&af, st))
			rc = -1;
	}
	if (!rc)
		*dg = mix(file_digest(out), stats_digest(sp));
	json_decref(st);
	labelmap_free(map);
	return rc;
}

static int t_splitter(uint64_t *dg)
{
	struct splitter_opts o = {.fracs = {0.8, 0.1, 0.1}, .producer = "test"};
	for (int s = 0; s < 3; s++)
		o.out[s + 1] = p_split_out[s];
	const char *in[] = {p_tok_a, p_tok_b}, *sp = test_path("split.stats.json");
	struct afile af;
	json_t *st = NULL;
	int rc = stats_open(&af, sp, o.out + 1, 3);
	if (!rc) {
		rc = splitter_run(in, 2, &o, &st);
		if (stats_commit(&af, st))
			rc = -1;
	}
	if (!rc) {
		for (int s = 0; s < 3; s++)
			*dg = mix(*dg, file_digest(o.out[s + 1]));
		*dg = mix(*dg, stats_digest(sp));
	}
	json_decref(st);
	return rc;
}

static int tokenize_on(uint64_t *dg, int threads, int batch_records)
{
	struct tokenize_opts o = {
		.vocab_path = p_vocab, .max_len = 8, .truncation = "head+tail",
		.dump = {.format = DUMP_AUTO}, .threads = threads, .batch_records = batch_records,
		.max_print = 2, .stats_path = test_path("tokenize.stats.json"),
	};
	char *dumps[] = {p_jsonl, p_csv_gz};
	char *outs[] = {test_path("t1.tok"), test_path("t2.tok")};
	int rc = tokenize_dumps(&o, dumps, outs, 2);
	if (!rc)
		*dg = mix(mix(file_digest(outs[0]), file_digest(outs[1])),
			  stats_digest(o.stats_path));
	return rc;
}

static int t_tokenize(uint64_t *dg) { return tokenize_on(dg, 1, 0); }

/* The same on three worker threads, two reviews a batch (so that several
 * batches are in flight when an allocation fails): which thread meets the
 * n-th allocation need not be fixed, so each n fails some allocation of
 * the run; every run must still fail saying so, or give the result of the
 * run without faults. */
static int t_tokenize_threads(uint64_t *dg) { return tokenize_on(dg, 3, 2); }

static int t_learn_vocab(uint64_t *dg)
{
	struct split_fracs fr = {0.8, 0.1, 0.1};
	struct learn_vocab_opts o = {
		.output = test_path("lv-vocab.txt"), .stats_path = test_path("lv.stats.json"),
		.size = 50, .min_frequency = 1, .fractions = "0.8,0.1,0.1", .fracs = &fr,
		.format = DUMP_AUTO, .max_record_mb = 1, .max_print = 1,
	};
	char *dumps[] = {p_jsonl, p_tsv};
	int rc = learn_vocab_run(&o, dumps, 2);
	if (!rc)
		*dg = mix(file_digest(o.output), stats_digest(o.stats_path));
	return rc;
}

#define FIXTURE(name) "tests/fixtures/report/" name

static int t_report_train_log(uint64_t *dg)
{
	struct epoch_row *rows;
	int n;
	if (report_load_train_log(FIXTURE("train-log.jsonl"), &rows, &n))
		return -1;
	*dg = mix_mem((uint64_t)n, rows, n * sizeof(*rows));
	free(rows);
	return 0;
}

static int t_report_metrics(uint64_t *dg)
{
	json_t *m;
	if (report_load_metrics(FIXTURE("metrics.json"), &m))
		return -1;
	*dg = json_object_size(m);
	json_decref(m);
	json_t *t = report_read_json(FIXTURE("train.json"));
	if (!t)
		return -1;
	*dg = mix(*dg, json_object_size(t));
	json_decref(t);
	return 0;
}

static int t_report_predictions(uint64_t *dg)
{
	struct pred_row *rows;
	int n, nl;
	char *labels[REPORT_MAX_CLASSES];
	if (report_load_predictions(FIXTURE("predictions.tsv"), &rows, &n, labels, &nl))
		return -1;
	*dg = mix_mem((uint64_t)nl, rows, n * sizeof(*rows));
	for (int i = 0; i < nl; i++)
		free(labels[i]);
	free(rows);
	return 0;
}

static int t_report_history(uint64_t *dg)
{
	struct history_row *rows;
	int n;
	if (report_load_history(FIXTURE("history.jsonl"), &rows, &n))
		return -1;
	*dg = (uint64_t)n;
	for (int i = 0; i < n; i++) {
		*dg = mix_mem(*dg, rows[i].run, strlen(rows[i].run));
		*dg = mix(*dg, (uint64_t)(rows[i].accuracy * 1e6));
		free(rows[i].run);
	}
	free(rows);
	return 0;
}

static int t_report_load(uint64_t *dg)
{
	const char *tok[] = {FIXTURE("tok-a.stats.json"), FIXTURE("tok-b.stats.json")};
	struct report_inputs in = {
		.train_log = FIXTURE("train-log.jsonl"), .train_json = FIXTURE("train.json"),
		.metrics = FIXTURE("metrics.json"), .predictions = FIXTURE("predictions.tsv"),
		.history = FIXTURE("history.jsonl"), .split_dir = p_split_dir,
		.tok_stats = tok, .n_tok_stats = 2, .filter_stats = FIXTURE("filter.stats.json"),
		.split_stats = FIXTURE("split.stats.json"), .n_examples = 4, .example_chars = 40,
	};
	struct report_data d;
	int rc = report_load(&d, &in);
	if (!rc) {
		*dg = mix(mix((uint64_t)d.n_epochs, (uint64_t)d.n_preds), (uint64_t)d.n_stats);
		*dg = mix(mix(*dg, d.data.n_lengths), (uint64_t)d.n_examples);
		*dg = mix(*dg, d.data.split[1].count);
	}
	report_data_free(&d);
	return rc;
}

static int t_tseries_csv(uint64_t *dg)
{
	struct tseries s;
	if (tseries_read_csv(p_series, NULL, NULL, &s))
		return -1;
	*dg = mix_mem(mix(s.n, s.blank_lines), s.values, s.n * sizeof(double));
	*dg = mix_mem(*dg, s.times[s.n - 1], strlen(s.times[s.n - 1]));
	tseries_free(&s);
	return 0;
}

static int t_tseries_synthetic(uint64_t *dg)
{
	struct ts_synth p = {.n = 50, .waves = 2, .period = {12, 5}, .amp = {1, 0.5},
			     .level = 10, .trend = 0.1, .noise = 0.2, .seed = 3};
	struct tseries s;
	if (tseries_synthetic(&p, &s))
		return -1;
	*dg = mix_mem(s.n, s.values, s.n * sizeof(double));
	tseries_free(&s);
	return 0;
}

static int t_ts_predictions(uint64_t *dg)
{
	double *v;
	if (ts_predictions_read(p_pred, 3, 2, &v))
		return -1;
	*dg = hash64(v, 6 * sizeof(double));
	free(v);
	return 0;
}

/* The helper itself: getline's ENOMEM is an error, not the end of file. */
static int t_getline_end(uint64_t *dg)
{
	FILE *f = fopen(p_csv, "r");
	if (!f)
		return error("cannot open '%s': %s", p_csv, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t h = 0;
	while ((len = getline(&line, &cap, f)) >= 0)
		h = mix_mem(h, line, (size_t)len);
	int rc = getline_end(f, p_csv);
	free(line);
	fclose(f);
	*dg = h;
	return rc;
}

static void test_oom(void **state)
{
	(void)state;
	/* big blocks from the heap, not mmap: each run would otherwise map,
	 * fault in and unmap the vocabulary learner's tables again */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	setup_fixtures();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
#define T(fn) run_target(#fn + 2, fn)
	T(t_vocab_load);
	T(t_vocab_buffer);
	T(t_vocab_text);
	T(t_wordpiece);
	T(t_labelmap);
	T(t_u64map);
	T(t_dump_jsonl);
	T(t_dump_jsonl_raw);
	T(t_dump_csv);
	T(t_dump_tsv);
	T(t_dump_jsonl_gz);
	T(t_dump_csv_gz);
	T(t_tokfile_write);
	T(t_tokfile_read);
	T(t_toksynth);
	T(t_vocab_learner);
	T(t_badlog);
	T(t_opts);
	T(t_relabel);
	T(t_splitter);
	T(t_tokenize);
	T(t_tokenize_threads);
	T(t_learn_vocab);
	T(t_report_train_log);
	T(t_report_metrics);
	T(t_report_predictions);
	T(t_report_history);
	T(t_report_load);
	T(t_tseries_csv);
	T(t_tseries_synthetic);
	T(t_ts_predictions);
	T(t_getline_end);
#undef T
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("total: %ld runs, %ld failures injected, %.2f s\n", total_runs, total_injected,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	vocab_free(fx_vocab);
	if (failures)
		fail_msg("%d runs went wrong (above)", failures);
}

/* After test_oom (its fixtures): the JSON readers with jansson's token
 * buffers failed too, one run per child process. */
static void test_jansson_lexer(void **state)
{
	(void)state;
	failures = 0;
#define T(fn) run_target_lexer(#fn + 2, fn)
	T(t_dump_jsonl);
	T(t_dump_jsonl_gz);
	T(t_tokfile_read);
	T(t_toksynth);
	T(t_report_train_log);
	T(t_report_metrics);
	T(t_report_history);
#undef T
	if (failures)
		fail_msg("%d targets went wrong (above)", failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_jansson_lexer),
	};
	return cmocka_run_group_tests(tests, oom_group_setup, NULL);
}

#else /* OOM_UNDER_ASAN */

int main(void)
{
	printf("SKIP: AddressSanitizer owns malloc; the out-of-memory test needs its own\n");
	return TEST_SKIP_EXIT;
}

#endif
