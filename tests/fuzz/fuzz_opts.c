/* fuzz_opts.c - libFuzzer target: command-line parsing (common/opts.c)
 * with a table holding every option type, as the stages use them.  The
 * input is split at NUL bytes into argv[1..]; positional arguments must come
 * back as a subset of argv in order, and values must respect their ranges. */
#include <math.h>

#include "fuzz_util.h"
#include "error.h"
#include "opts.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int quiet = 0, verbose = 0;
	const char *out = NULL, *trunc = "head";
	struct opt_list tok = {0};
	long max_len = 256, seed = 1;
	double lr = 0.002, frac = 0.5;
	const struct opt table[] = {
		{"quiet", OPT_FLAG, &quiet, NULL, "no progress", 0, 0},
		{"verbose", OPT_FLAG, &verbose, NULL, "more", 0, 0},
		{"output", OPT_STR, &out, "FILE", "output file", 0, 0},
		{"tok", OPT_LIST, &tok, "FILE", "token file (repeatable)", 0, 0},
		{"max-len", OPT_INT, &max_len, "N", "ids per review", 0, 1 << 20},
		{"seed", OPT_INT, &seed, "N", "seed (any)", 0, 0},
		{"lr", OPT_DOUBLE, &lr, "X", "learning rate", 1e-9, 10},
		{"frac", OPT_DOUBLE, &frac, "X", "fraction (any)", 0, 0},
		{"truncation", OPT_CHOICE, &trunc, "head|tail|head+tail", "side", 0, 0},
		{NULL, 0, NULL, NULL, NULL, 0, 0},
	};
	uint8_t ctl = fuzz_take_byte(&data, &size);
	const struct opts_program prog = {"fuzz", "[OPTIONS] FILE...", "a fuzz target", table,
					  ctl & 3, (ctl & 4) ? -1 : (ctl >> 3) & 7, 0};

	/* argv: NUL-separated strings (copied, so each is its own allocation) */
	char *argv[MAX_ARGS + 2], *orig[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = strdup("fuzz");
	const char *p = (const char *)data, *end = p + size;
	while (p < end && argc < MAX_ARGS + 1) {
		const char *z = memchr(p, 0, end - p);
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
		argv[argc++] = strndup(p, n);
		p += n + 1;
	}
	argv[argc] = NULL;
	memcpy(orig, argv, sizeof(argv));

	char **args = NULL;
	int nargs = -1;
	int rc = opts_parse(&prog, argc, argv, &args, &nargs);
	if (rc == OPTS_OK) {
		if (nargs < prog.min_args || (prog.max_args >= 0 && nargs > prog.max_args))
			abort();
		if (max_len < 0 || max_len > (1 << 20) || !(lr >= 1e-9 && lr <= 10) ||
		    !isfinite(frac))
			abort();
		if (strcmp(trunc, "head") && strcmp(trunc, "tail") && strcmp(trunc, "head+tail"))
			abort();
		/* positionals: argv strings, in their original order */
		int j = 1;
		for (int i = 0; i < nargs; i++) {
			while (j < argc && orig[j] != args[i])
				j++;
			if (j == argc)
				abort();
			j++;
		}
		for (int i = 0; i < tok.n; i++)
			if (!tok.items[i])
				abort();
	} else if (rc != OPTS_HELP && rc != OPTS_ERROR) {
		abort();
	}
	opt_list_free(&tok);
	for (int i = 0; i < argc; i++)
		free(orig[i]);
	return 0;
}
