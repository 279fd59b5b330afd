/* learn-vocab - learn a WordPiece vocab.txt from the texts of review dumps,
 * for runs without a BERT vocabulary.
 *
 * Reads dumps with the same readers as tokenize (labels are not needed);
 * writes vocab.txt atomically (deterministic: the same texts in any order
 * give the same file; rules in docs/tokenizer.md) and an optional stats JSON
 * file.  With --fractions it learns from the training split only (as the
 * split stage will deal the reviews), so no test text shapes the ids.  It
 * does not decide when to re-learn: the pipeline learns once and keeps the
 * file (docs/stages-text.md).  The work is in common/learn_vocab.c.
 * Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <string.h>

#include "dumpread.h"
#include "error.h"
#include "learn_vocab.h"
#include "opts.h"
#include "splitassign.h"
#include "stage.h"

int main(int argc, char **argv)
{
	const char *output = "artifacts/vocab.txt", *stats_path = NULL, *fractions = NULL;
	struct dump_cli dc = DUMP_CLI_DEFAULTS;
	long size = 8000, min_freq = 2, max_alphabet = 0;
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
		DUMP_CLI_FIELD_OPTS(dc),
		DUMP_CLI_ERROR_OPTS(dc),
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"learn-vocab", "[OPTIONS] DUMP...",
		"Learn a WordPiece vocabulary (vocab.txt) from the review texts of dumps\n"
		"(JSONL, CSV, TSV; optionally .gz).  Deterministic.",
		opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	stage_reject_empty(opts); /* '' would fail only after the work, or make records bad */
	/* alone it would change nothing: every review is learned from */
	if (ignore_named && !fractions)
		die(EXIT_USAGE, "--ignore-named needs --fractions (it says how reviews are placed "
		    "in train)");
	struct split_fracs fr;
	if (fractions && split_fracs_parse(fractions, &fr))
		return EXIT_USAGE;

	struct learn_vocab_opts lo = {
		.output = output, .stats_path = stats_path, .size = size,
		.min_frequency = min_freq, .max_alphabet = max_alphabet, .nfc = nfc,
		.fractions = fractions, .fracs = fractions ? &fr : NULL,
		.ignore_named = ignore_named, .format = dump_format_parse(dc.format),
		.text_field = dc.text_field, .max_record_mb = dc.max_record_mb,
		.fail_on_error = !strcmp(dc.on_error, "fail"), .max_errors = dc.max_errors,
		.max_print = dc.max_print,
	};
	return learn_vocab_run(&lo, args, nargs) ? EXIT_FAIL : EXIT_OK;
}
