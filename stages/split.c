/* split - deal reviews into train, validation and test token files.
 *
 * Reads merged token files (filter-relabel's output); writes the three
 * split files and a stats JSON file.  A split named by the dump wins, the
 * rest go by text hash, so reviews never move when dumps are added (work in
 * common/splitter.c; options in docs/stages-text.md).
 * Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "afile.h"
#include "badlog.h"
#include "error.h"
#include "opts.h"
#include "splitter.h"
#include "stage.h"
#include "tokfile.h"

int main(int argc, char **argv)
{
	const char *train = "artifacts/split/train.tok";
	const char *validation = "artifacts/split/validation.tok";
	const char *test = "artifacts/split/test.tok";
	const char *fractions = "80/10/10", *stats_path = NULL;
	int ignore_named = 0, quiet = 0;
	const struct opt opts[] = {
		{"train", OPT_STR, &train, "FILE", "training split to write", 0, 0},
		{"validation", OPT_STR, &validation, "FILE", "validation split to write", 0, 0},
		{"test", OPT_STR, &test, "FILE", "test split to write", 0, 0},
		{"fractions", OPT_STR, &fractions, "T/V/T",
		 "train/validation/test shares, percent or fractions", 0, 0},
		{"ignore-named", OPT_FLAG, &ignore_named, NULL,
		 "place every review by its hash, even where its dump names a split", 0, 0},
		{"stats", OPT_STR, &stats_path, "FILE", "write split sizes and class balance here (JSON)", 0, 0},
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"split", "[OPTIONS] TOKFILE...",
		"Split reviews into train/validation/test by a hash of their text (a split\n"
		"named by the dump wins), so no review ever moves when dumps are added.",
		opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	stage_reject_empty(opts); /* an empty path failed only after the work */
	struct splitter_opts so = {.ignore_named = ignore_named, .producer = "split"};
	if (split_fracs_parse(fractions, &so.fracs))
		return EXIT_USAGE;
	so.out[SPLIT_TRAIN] = train;
	so.out[SPLIT_VALIDATION] = validation;
	so.out[SPLIT_TEST] = test;
	if (!strcmp(train, validation) || !strcmp(train, test) || !strcmp(validation, test))
		die(EXIT_USAGE, "--train, --validation and --test must be three different files");

	/* the stats file: opened before the work, written last */
	struct afile stats_af = {0};
	for (int i = 0; i < nargs; i++)
		afile_protect_input(args[i]);
	if (stats_path && stats_open(&stats_af, stats_path, so.out + SPLIT_TRAIN, 3))
		return EXIT_FAIL;
	json_t *stats = NULL;
	int rc = splitter_run((const char *const *)args, nargs, &so, &stats);
	if (stats_path && stats_commit(&stats_af, stats))
		rc = -1;
	if (!rc) {
		json_t *s = json_object_get(stats, "splits");
		info("train %lld, validation %lld, test %lld",
		     (long long)json_integer_value(json_object_get(json_object_get(s, "train"), "n")),
		     (long long)json_integer_value(json_object_get(json_object_get(s, "validation"), "n")),
		     (long long)json_integer_value(json_object_get(json_object_get(s, "test"), "n")));
	}
	json_decref(stats);
	return rc ? EXIT_FAIL : EXIT_OK;
}
