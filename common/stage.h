/* stage.h - the start every program in stages/ shares.
 *
 *	const struct opt opts[] = { ..., OPT_QUIET(&quiet), {0} };
 *	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
 */
#ifndef RNNPIPE_STAGE_H
#define RNNPIPE_STAGE_H

#include "opts.h"

/* The --quiet entry of an option table (int *dst). */
#define OPT_QUIET(dst) {"quiet", OPT_FLAG, (dst), NULL, "print only errors", 0, 0}

/* Names the program in messages (argv[0]), parses argv or exits (0 after
 * --help, 2 on a usage error), applies --quiet when quiet is not NULL,
 * installs the signal cleanup that removes unfinished artifacts and starts
 * the check that no output replaces another of the run (afile.h).
 * Checks of option values that need more than the table come after it. */
void stage_start(const struct opts_program *prog, int argc, char **argv,
		 char ***args, int *nargs, const int *quiet);

/* Exits with 2 when an option of the table that names a file, folder or
 * field (OPT_STR or OPT_LIST with metavar FILE, DIR or NAME) was given an
 * empty value (an unset shell or make variable): "--NAME: empty file name",
 * "empty folder name" or "empty field name".  Other values have parsers
 * that say what they expect.  For stages where no such option means
 * anything when empty; call after stage_start(). */
void stage_reject_empty(const struct opt *opts);

#endif
