/* tokhead.c - copies the first N reviews of a token-record file into a new
 * one (same meta), e.g. a 300-review training split for the notebook's small
 * experiment, or a small split to time a stage on.  Written atomically
 * (tokwriter).  A bench helper: not a stage; it never samples, shuffles or
 * relabels: "first" is file order.
 */
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "opts.h"
#include "tokfile.h"

int main(int argc, char **argv)
{
	long n = 0;
	const char *output = NULL;
	const struct opt opts[] = {
		{"n", OPT_INT, &n, "N", "reviews to keep (required, >= 1)", 0, 1e12},
		{"output", OPT_STR, &output, "FILE", "token file to write (required)", 0, 0},
		{0},
	};
	const struct opts_program prog = {
		"tokhead", "--n N --output FILE TOKFILE",
		"Copy the first N reviews of a token-record file (all of them when it has\n"
		"fewer) into a new token-record file with the same meta.",
		opts, 1, 1, 0,
	};
	char **args;
	int nargs;
	error_set_prog(argv[0]);
	opts_parse_or_exit(&prog, argc, argv, &args, &nargs);
	if (n < 1 || !output)
		die(EXIT_USAGE, "give --n N (N >= 1) and --output FILE (see --help)");

	struct tokreader *r = tokreader_open(args[0]);
	if (!r)
		return EXIT_FAIL;
	struct tokwriter *w = tokwriter_open(output, tokreader_meta(r));
	if (!w)
		return EXIT_FAIL;
	struct tokrec rec;
	int got = 0;
	for (long k = 0; k < n && (got = tokreader_next(r, &rec)) == 1; k++)
		if (tokwriter_add(w, &rec)) {
			got = -1;
			break;
		}
	if (got < 0) {
		tokwriter_abort(w);
		return EXIT_FAIL;
	}
	tokreader_close(r);
	return tokwriter_commit(w) ? EXIT_FAIL : EXIT_OK;
}
