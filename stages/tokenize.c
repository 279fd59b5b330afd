/* tokenize - turn review dumps into token-record files (or print the ids).
 *
 * Reads dumps (JSON Lines, CSV, TSV; gzip or plain; see common/dumpread.h)
 * and a BERT vocab.txt; writes one token file per dump (--output for one
 * dump, --out-dir for several: <dir>/<dump name>.tok), a stats JSON file,
 * and with --print-ids one {"ids":[...]} line per review on stdout (with
 * --print-ids alone, labels are not read).  Labels stay raw (filter-relabel
 * maps them).  The work is in common/tokenize_dumps.c and encdump.c.
 * Exit: 0 ok, 1 failure (see --on-error), 2 bad usage.
 */
#include <stdlib.h>
#include <string.h>

#include "dumpread.h"
#include "error.h"
#include "opts.h"
#include "stage.h"
#include "tokenize_dumps.h"

int main(int argc, char **argv)
{
	const char *vocab_path = NULL, *output = NULL, *out_dir = NULL, *stats_path = NULL;
	const char *truncation = "head", *label_field = NULL, *split_field = NULL;
	struct dump_cli dc = DUMP_CLI_DEFAULTS;
	long max_len = 256, threads = 0;
	int print = 0, nfc = 0, quiet = 0;
	const struct opt opts[] = {
		{"vocab", OPT_STR, &vocab_path, "FILE", "BERT vocab.txt (required)", 0, 0},
		/* at most 2^20 (as synth-tok): a row of dataset.h5 is max_len ids,
		 * and pack-hdf5 and train hold chunks and batches of rows */
		{"max-len", OPT_INT, &max_len, "N",
		 "keep at most N ids per review, [CLS] and [SEP] included; 0 = no limit", 0, 1 << 20},
		{"truncation", OPT_CHOICE, &truncation, "head|tail|head+tail",
		 "which pieces a long review keeps (head+tail: first quarter, last three)", 0, 0},
		{"output", OPT_STR, &output, "FILE", "token file to write (one dump)", 0, 0},
		{"out-dir", OPT_STR, &out_dir, "DIR", "write DIR/<dump name>.tok for each dump", 0, 0},
		{"stats", OPT_STR, &stats_path, "FILE", "write counts, bad records, speed here (JSON)", 0, 0},
		{"print-ids", OPT_FLAG, &print, NULL, "print {\"ids\":[...]} per review on stdout", 0, 0},
		DUMP_CLI_FIELD_OPTS(dc),
		{"label-field", OPT_STR, &label_field, "NAME",
		 "label field (default: first of label_text, label, comment_kind, sentiment, ...)", 0, 0},
		{"split-field", OPT_STR, &split_field, "NAME",
		 "split field (default: split, when present; 'none' to ignore)", 0, 0},
		DUMP_CLI_ERROR_OPTS(dc),
		{"threads", OPT_INT, &threads, "N", "encoding threads; 0 = one per CPU", 0, 64},
		{"nfc", OPT_FLAG, &nfc, NULL, "NFC-normalise first (the slow Python tokenizer)", 0, 0},
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"tokenize", "--vocab FILE [OPTIONS] DUMP...",
		"Tokenize review dumps (JSONL, CSV, TSV; optionally .gz) with a WordPiece\n"
		"vocabulary into token files, one per dump; labels are kept raw.",
		opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	/* '' made every record bad (no field ''), or silently ignored the
	 * split field, and --out-dir '' wrote /<dump>.tok */
	if (split_field && !*split_field)
		die(EXIT_USAGE, "--split-field: empty field name ('none' ignores a split field)");
	stage_reject_empty(opts);
	if (!vocab_path)
		die(EXIT_USAGE, "--vocab is required (see --help)");
	if (max_len == 1)
		die(EXIT_USAGE, "--max-len 1 cannot hold [CLS] and [SEP]; use 0 or at least 2");
	if (output && out_dir)
		die(EXIT_USAGE, "give --output or --out-dir, not both");
	if (output && nargs != 1)
		die(EXIT_USAGE, "--output takes one dump; use --out-dir for %d", nargs);
	if (!output && !out_dir && !print)
		die(EXIT_USAGE, "nothing to do: give --output, --out-dir or --print-ids");
	if (split_field && !strcmp(split_field, "none"))
		split_field = "";
	/* Only printing ids: labels and splits are not needed (a dump of bare
	 * texts works), unless a field is named explicitly. */
	int text_only = !output && !out_dir && !label_field;
	if (!output && !out_dir && !split_field)
		split_field = "";

	/* static: the check below dies with the names still held, and
	 * LeakSanitizer counts memory that only a dead local points to as
	 * leaked (the compiler need not keep it past a noreturn call) */
	static char **outs;
	outs = calloc(nargs, sizeof(*outs));
	if (!outs)
		die(EXIT_FAIL, "out of memory");
	for (int i = 0; i < nargs; i++) {
		if (output)
			outs[i] = strdup(output);
		else if (out_dir && !(outs[i] = tokenize_out_name(out_dir, args[i])))
			die(EXIT_FAIL, "out of memory");
		for (int j = 0; outs[i] && j < i; j++)
			if (!strcmp(outs[i], outs[j]))
				die(EXIT_USAGE, "'%s' and '%s' would both write '%s'", args[j], args[i],
				    outs[i]);
	}

	struct tokenize_opts to = {
		.vocab_path = vocab_path, .max_len = (uint32_t)max_len, .truncation = truncation,
		.dump = {.format = dump_format_parse(dc.format), .text_field = dc.text_field,
			 .label_field = label_field, .split_field = split_field,
			 .max_record_bytes = (size_t)dc.max_record_mb << 20, .text_only = text_only},
		.threads = (int)threads, .nfc = nfc, .fail_on_error = !strcmp(dc.on_error, "fail"),
		.max_errors = dc.max_errors, .max_print = dc.max_print, .print_ids = print,
		.stats_path = stats_path,
	};
	int rc = tokenize_dumps(&to, args, outs, nargs);
	for (int i = 0; i < nargs; i++)
		free(outs[i]);
	free(outs);
	return rc ? EXIT_FAIL : EXIT_OK;
}
