/* learn-vocab - learn a WordPiece vocab.txt from the texts of review dumps,
 * for runs without a BERT vocabulary.
 *
 * Reads dumps with the same readers as tokenize (labels are not needed);
 * writes vocab.txt atomically (deterministic: the same texts in any order
 * give the same file; rules in docs/tokenizer.md) and an optional stats JSON
 * file.  With --fractions it learns from the training split only (as the
 * split stage will deal the reviews), so no test text shapes the ids.  It does not decide when to re-learn: the pipeline learns once and
 * keeps the file (docs/stages-text.md).  Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "badlog.h"
#include "dumpread.h"
#include "error.h"
#include "opts.h"
#include "splitassign.h"
#include "stage.h"
#include "tokfile.h"
#include "vocab_learn.h"
#include "wordpiece.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *output = "artifacts/vocab.txt", *stats_path = NULL;
	const char *format = "auto", *text_field = NULL, *on_error = "skip", *fractions = NULL;
	long size = 8000, min_freq = 2, max_alphabet = 0, max_record_mb = 16, max_errors = 0;
	long max_print = 20;
	int nfc = 0, quiet = 0, ignore_named = 0;
	const struct opt opts[] = {
		{"output", OPT_STR, &output, "FILE", "vocab.txt to write", 0, 0},
		{"size", OPT_INT, &size, "N", "lines of vocab.txt, the 5 special tokens included",
		 6, 1e7},
		{"min-frequency", OPT_INT, &min_freq, "N", "merge only pairs seen at least N times",
		 1, 1e12},
		{"max-alphabet", OPT_INT, &max_alphabet, "N",
		 "keep only the N most frequent characters; 0 = all", 0, 1e7},
		{"nfc", OPT_FLAG, &nfc, NULL, "NFC-normalise first (must match tokenize --nfc)", 0, 0},
		{"fractions", OPT_STR, &fractions, "T/V/T",
		 "learn only from the reviews split would put in train (as split --fractions)", 0, 0},
		{"ignore-named", OPT_FLAG, &ignore_named, NULL,
		 "with --fractions: place every review by its hash (as split --ignore-named)", 0, 0},
		{"stats", OPT_STR, &stats_path, "FILE", "write counts and learner figures here (JSON)",
		 0, 0},
		{"format", OPT_CHOICE, &format, "auto|jsonl|csv|tsv",
		 "dump format (auto: by file name, then by content)", 0, 0},
		{"text-field", OPT_STR, &text_field, "NAME",
		 "text field (default: first of text, comment_text, review, ...)", 0, 0},
		{"on-error", OPT_CHOICE, &on_error, "skip|fail",
		 "a bad record: skip, report and count it; or fail (exit 1)", 0, 0},
		{"max-errors", OPT_INT, &max_errors, "N",
		 "fail when a dump has more than N bad records; 0 = no limit", 0, 1e12},
		{"max-record-mb", OPT_INT, &max_record_mb, "N",
		 "skip (as bad) records longer than N MiB", 1, 1024},
		{"max-print", OPT_INT, &max_print, "N", "print at most N bad-record messages", 0, 1e9},
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"learn-vocab", "[OPTIONS] DUMP...",
		"Learn a WordPiece vocabulary (vocab.txt) from the review texts of dumps\n"
		"(JSONL, CSV, TSV; optionally .gz).  Deterministic.",
		opts, 1, -1,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	struct split_fracs fr;
	if (fractions && split_fracs_parse(fractions, &fr))
		return EXIT_USAGE;

	struct vocab_learn_opts lo = VOCAB_LEARN_OPTS_DEFAULT;
	lo.vocab_size = (uint32_t)size;
	lo.min_frequency = (uint64_t)min_freq;
	lo.max_alphabet = (uint32_t)max_alphabet;
	lo.nfc = nfc;
	struct vocab_learner *l = vocab_learner_new(&lo);
	struct texthasher *th = fractions ? texthasher_new(lo.max_chars_per_word, nfc) : NULL;
	if (!l || (fractions && !th))
		return EXIT_FAIL;
	struct dump_opts dopts = {
		.format = dump_format_parse(format), .text_field = text_field,
		.split_field = fractions && !ignore_named ? NULL : "",
		.max_record_bytes = (size_t)max_record_mb << 20, .text_only = 1,
	};
	struct badlog bad;
	badlog_init(&bad, max_print);
	json_t *dumps = json_array();
	double t0 = now();
	int rc = 0;
	for (int i = 0; i < nargs && !rc; i++) {
		struct dumpreader *r = dumpreader_open(args[i], &dopts);
		if (!r) {
			rc = -1;
			break;
		}
		long records = 0, ok = 0, nbad = 0, other_split = 0;
		int file_split = ignore_named ? SPLIT_NONE : dump_split_from_name(args[i]);
		struct dumprec rec;
		int got;
		while ((got = dumpreader_next(r, &rec)) == DUMP_REC || got == DUMP_BAD) {
			records++;
			if (got == DUMP_REC) {
				size_t bad_at = 0;
				int a = 0;
				if (th) { /* train split only */
					int s = ignore_named ? SPLIT_NONE : rec.split ? rec.split : file_split;
					uint64_t h;
					a = texthasher_hash(th, rec.text, rec.text_len, &h, &bad_at);
					if (a == 0 && s == SPLIT_NONE)
						s = split_assign(h, &fr);
					if (a == 0 && s != SPLIT_TRAIN) {
						other_split++;
						continue;
					}
				}
				if (a == 0)
					a = vocab_learner_add(l, rec.text, rec.text_len, &bad_at);
				if (a == 0) {
					ok++;
					continue;
				}
				if (a != WP_BAD_UTF8) {
					rc = -1;
					break;
				}
				rec.bad = DUMP_BAD_UTF8;
				badlog_add(&bad, dump_bad_name(rec.bad), args[i], rec.line,
					   "invalid UTF-8 at byte %zu of the text", bad_at);
			} else {
				badlog_add(&bad, dump_bad_name(rec.bad), args[i], rec.line, "%s",
					   rec.reason);
			}
			nbad++;
			if (!strcmp(on_error, "fail")) {
				rc = error("'%s': stopped at the first bad record (--on-error fail)",
					   args[i]);
				break;
			}
			if (max_errors > 0 && nbad > max_errors) {
				rc = error("'%s': more than %ld bad records (--max-errors)", args[i],
					   max_errors);
				break;
			}
		}
		if (got == DUMP_FATAL)
			rc = -1;
		if (!rc && ok + other_split == 0)
			rc = error("'%s': no usable review (%ld records, %ld bad)", args[i], records, nbad);
		json_array_append_new(dumps, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
			"path", args[i], "status", rc ? "failed" : "ok",
			"format", dump_format_name(dumpreader_format(r)), "records", (json_int_t)records,
			"ok", (json_int_t)ok, "not_train", (json_int_t)other_split,
			"bad", (json_int_t)nbad, "bytes", (json_int_t)dumpreader_bytes(r)));
		dumpreader_close(r);
	}
	double t1 = now();
	if (!rc && vocab_learner_write(l, output))
		rc = -1;
	double t2 = now();
	badlog_summary(&bad, "bad records");
	struct vocab_learn_stats ls = vocab_learner_stats(l);
	if (!rc)
		info("%llu texts, %llu distinct words, %u characters, %u merges -> '%s' "
		     "(%u lines; read %.2f s, learned %.2f s)",
		     (unsigned long long)ls.texts, (unsigned long long)ls.unique_words, ls.alphabet,
		     ls.merges, output, ls.size, t1 - t0, t2 - t1);
	if (stats_path) {
		json_t *j = json_pack(
			"{s:s, s:s, s:{s:I, s:I, s:I, s:b, s:s?, s:b}, s:o, s:o, s:{s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:I, s:I, s:I}, s:f, s:f}",
			"status", rc ? "failed" : "ok", "output", output,
			"options", "size", (json_int_t)size, "min_frequency", (json_int_t)min_freq,
			"max_alphabet", (json_int_t)max_alphabet, "nfc", nfc, "fractions", fractions,
			"ignore_named", ignore_named,
			"dumps", dumps, "bad_records", badlog_json(&bad),
			"learner", "texts", (json_int_t)ls.texts, "words", (json_int_t)ls.words,
			"long_words", (json_int_t)ls.long_words,
			"unique_words", (json_int_t)ls.unique_words, "alphabet", (json_int_t)ls.alphabet,
			"dropped_alphabet", (json_int_t)ls.dropped_alphabet,
			"merges", (json_int_t)ls.merges, "size", (json_int_t)ls.size,
			"last_merge_count", (json_int_t)ls.last_merge_count,
			"read_seconds", t1 - t0, "learn_seconds", t2 - t1);
		dumps = NULL;
		if (!j || json_write_file(stats_path, j))
			rc = -1;
		json_decref(j);
	}
	json_decref(dumps);
	badlog_free(&bad);
	texthasher_free(th);
	vocab_learner_free(l);
	return rc ? EXIT_FAIL : EXIT_OK;
}
