/* opts.h - table-driven command-line options; --help is generated from the
 * same table the parser reads, so the two cannot drift.
 *
 * Long options only ("--name VALUE" or "--name=VALUE"); a flag takes no
 * value.  Values are checked (integers, ranges, choices) and a bad one is
 * an error naming the option.  Positional arguments are left in argv order;
 * "-" and negative numbers ("-3.5") are positional, "--" ends the options.
 * Every value and positional argument must be valid UTF-8: names and
 * values end up in JSON stats, metadata and HDF5 text, which cannot hold
 * other bytes (a usage error naming the first bad byte).
 */
#ifndef RNNPIPE_OPTS_H
#define RNNPIPE_OPTS_H

#include <stddef.h>

enum opt_type {
	OPT_FLAG,   /* int*: set to 1 */
	OPT_STR,    /* const char**: points into argv */
	OPT_LIST,   /* struct opt_list*: repeatable string option */
	OPT_INT,    /* long*: checked against [min, max] */
	OPT_DOUBLE, /* double*: checked against [min, max] */
	OPT_CHOICE, /* const char**: one of the '|'-separated choices */
};

struct opt_list {
	const char **items;
	int n;
	size_t cap;
};

struct opt {
	const char *name;    /* without the leading "--" */
	enum opt_type type;
	void *dst;
	const char *metavar; /* "N", "FILE"... (or the choices for OPT_CHOICE) */
	const char *help;    /* one line; the default is appended from *dst */
	double min, max;     /* OPT_INT/OPT_DOUBLE range; min == max: no range */
};

struct opts_program {
	const char *name;     /* "tokenize" */
	const char *usage;    /* "[OPTIONS] DUMP..." */
	const char *summary;  /* one or a few lines printed under usage */
	const struct opt *opts; /* terminated by an entry with name == NULL */
	int min_args, max_args; /* positional count; max_args < 0: unlimited */
	int args_any_bytes;   /* positional arguments need not be UTF-8 (texts
			       * that say so themselves: predict's reviews) */
};

enum { OPTS_OK = 0, OPTS_HELP = 1, OPTS_ERROR = -1 };

/* Parses argv.  On OPTS_OK, *args and *nargs give the positional arguments.
 * On OPTS_HELP (--help or -h) the help text was printed to stdout.  On
 * OPTS_ERROR a message and a hint to --help were printed to stderr. */
int opts_parse(const struct opts_program *prog, int argc, char **argv,
	       char ***args, int *nargs);

/* Prints the generated help to stdout. */
void opts_help(const struct opts_program *prog);

void opt_list_free(struct opt_list *l);

/* Parses argv or exits: 0 after --help, 2 on a usage error. For stages/. */
void opts_parse_or_exit(const struct opts_program *prog, int argc, char **argv,
			char ***args, int *nargs);

#endif
