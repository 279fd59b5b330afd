/* tok2fasttext.c - writes the reviews of token-record files (the split files
 * artifacts/split/<split>.tok) as fastText lines, "__label__NAME text", so
 * `fasttext supervised` trains and tests on exactly the reviews rnnpipe does.
 * Label names come from the file's meta (filter-relabel's map); a review
 * whose label is not mapped is counted and left out.  Line breaks, tabs and
 * other ASCII control characters in the text become spaces (fastText reads
 * one example per line); nothing else is changed: no lower-casing, no
 * tokenisation (bench/run does fastText's own preprocessing).  A bench helper:
 * not a stage, not part of the tests' data path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "opts.h"
#include "tokfile.h"

/* Writes one label name with spaces made underscores (fastText splits labels
 * at whitespace). */
static void put_label(FILE *out, const char *name)
{
	fputs("__label__", out);
	for (const char *p = name; *p; p++)
		fputc((unsigned char)*p <= ' ' ? '_' : *p, out);
}

int main(int argc, char **argv)
{
	const char *output = NULL;
	long limit = 0;
	int quiet = 0;
	const struct opt opts[] = {
		{"output", OPT_STR, &output, "FILE", "write here instead of stdout", 0, 0},
		{"limit", OPT_INT, &limit, "N", "write at most N reviews per file; 0 = all", 0, 1e12},
		{"quiet", OPT_FLAG, &quiet, NULL, "no summary line", 0, 0},
		{0},
	};
	const struct opts_program prog = {
		"tok2fasttext", "[OPTIONS] TOKFILE...",
		"Write the labelled reviews of token-record files as fastText training\n"
		"lines: __label__NAME text, one review per line, in file order.",
		opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	error_set_prog(argv[0]);
	opts_parse_or_exit(&prog, argc, argv, &args, &nargs);

	FILE *out = output ? fopen(output, "w") : stdout;
	if (!out)
		die(EXIT_FAIL, "cannot write '%s'", output);
	long written = 0, unmapped = 0;
	for (int i = 0; i < nargs; i++) {
		struct tokreader *r = tokreader_open(args[i]);
		if (!r)
			return EXIT_FAIL;
		const struct tokmeta *m = tokreader_meta(r);
		if (m->n_labels == 0)
			die(EXIT_FAIL, "'%s' has no label names: give a file written by "
				       "filter-relabel or split", args[i]);
		struct tokrec rec;
		long n = 0;
		int got = 0;
		while ((limit == 0 || n < limit) && (got = tokreader_next(r, &rec)) == 1) {
			if (rec.label < 0 || rec.label >= m->n_labels) {
				unmapped++;
				continue;
			}
			put_label(out, m->labels[rec.label]);
			fputc(' ', out);
			for (uint32_t k = 0; k < rec.text_len; k++) {
				unsigned char c = (unsigned char)rec.text[k];
				fputc(c < ' ' || c == 0x7f ? ' ' : c, out);
			}
			fputc('\n', out);
			n++;
		}
		if (limit == 0 && got < 0)
			return EXIT_FAIL;
		written += n;
		tokreader_close(r);
	}
	if (fflush(out) || ferror(out) || (output && fclose(out)))
		die(EXIT_FAIL, "cannot write '%s'", output ? output : "stdout");
	if (!quiet)
		fprintf(stderr, "tok2fasttext: %ld reviews written, %ld without a label left out\n",
			written, unmapped);
	return EXIT_OK;
}
