/* pack-hdf5 - packs the split token files into artifacts/dataset.h5.
 *
 * Reads artifacts/split/{train,validation,test}.tok (the split is named by
 * each file's base name) and writes one HDF5 file with a group per split:
 * ids padded to max_len, lengths, labels, hashes, n_full; chunked, shuffled
 * and deflated for streaming (layout: docs/dataset-h5.md, code: dsfile.c).
 * Written to a temporary name and renamed; it never trains or reads batches.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "afile.h"
#include "dsfile.h"
#include "error.h"
#include "opts.h"
#include "progress.h"
#include "stage.h"
#include "tokfile.h"

#define PACK_VERSION "0.1.0"

/* "artifacts/split/train.tok" -> SPLIT_TRAIN */
static int split_of_path(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	char *base = basename(buf), *dot = strrchr(base, '.');
	if (dot)
		*dot = '\0';
	return tok_split_parse(base);
}

int main(int argc, char **argv)
{
	const char *out = "artifacts/dataset.h5", *dtype = "auto";
	long chunk = 256, deflate = 4, window = 0;
	int no_shuffle = 0, no_checksum = 0, quiet = 0;
	const struct opt opts[] = {
		{"out", OPT_STR, &out, "FILE", "the HDF5 file to write", 0, 0},
		{"chunk-rows", OPT_INT, &chunk, "N", "rows per HDF5 chunk (a few batches)", 1, 1 << 20},
		{"deflate", OPT_INT, &deflate, "N", "zlib level, 0 = no compression", 0, 9},
		{"dtype", OPT_CHOICE, &dtype, "auto|int32|uint32|uint16",
		 "storage type of ids (auto = int32; uint16 only for vocabularies <= 65536)", 0, 0},
		{"bucket-window", OPT_INT, &window, "N",
		 "sort rows by length within windows of N rows (0 = keep order)", 0, 1 << 24},
		{"no-shuffle-filter", OPT_FLAG, &no_shuffle, NULL,
		 "do not byte-shuffle before deflate", 0, 0},
		{"no-checksum", OPT_FLAG, &no_checksum, NULL, "do not add fletcher32 checksums", 0, 0},
		OPT_QUIET(&quiet),
		{NULL},
	};
	const struct opts_program prog = {
		"pack-hdf5", "[OPTIONS] SPLIT.tok...",
		"Packs token-record files named train.tok, validation.tok, test.tok (the\n"
		"output of split) into one chunked, compressed HDF5 file for training.",
		opts, 1, 3, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	stage_reject_empty(opts); /* --out '': exit 1 only after reading the inputs */
	double t0 = progress_now();

	struct tokreader *r[3] = {NULL, NULL, NULL};
	int split[3];
	for (int i = 0; i < nargs; i++) {
		split[i] = split_of_path(args[i]);
		if (split[i] == SPLIT_NONE)
			die(EXIT_USAGE, "'%s': the file name must say its split "
			    "(train.tok, validation.tok, test.tok)", args[i]);
		for (int j = 0; j < i; j++)
			if (split[j] == split[i])
				die(EXIT_USAGE, "'%s' and '%s' are the same split", args[j], args[i]);
	}
	for (int i = 0; i < nargs; i++) {
		if (!(r[i] = tokreader_open(args[i])))
			exit(EXIT_FAIL);
		afile_protect_input(args[i]);
	}

	/* max_len 0 (no truncation): the row width is the longest row */
	uint32_t width = 0;
	if (tokreader_meta(r[0])->max_len == 0) {
		for (int i = 0; i < nargs; i++) {
			struct tokrec rec;
			int got;
			while ((got = tokreader_next(r[i], &rec)) == 1)
				if (rec.n_ids > width)
					width = rec.n_ids;
			if (got < 0)
				exit(EXIT_FAIL);
		}
		if (width == 0)
			width = 2;
	}

	char producer[64];
	snprintf(producer, sizeof(producer), "pack-hdf5 %s", PACK_VERSION);
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = (uint32_t)chunk;
	o.deflate = (int)deflate;
	o.shuffle = !no_shuffle;
	o.fletcher32 = !no_checksum;
	o.id_dtype = dtype;
	o.bucket_window = (uint32_t)window;
	o.producer = producer;
	struct dswriter *w = dswriter_open(out, tokreader_meta(r[0]), width, &o);
	if (!w)
		exit(EXIT_FAIL);
	/* train first, then validation, then test, whatever the argument order */
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		for (int i = 0; i < nargs; i++)
			if (split[i] == s && dswriter_add_split(w, tok_split_name(s), r[i], args[i])) {
				dswriter_abort(w);
				exit(EXIT_FAIL);
			}
	if (dswriter_commit(w))
		exit(EXIT_FAIL);
	struct stat st;
	long long size = stat(out, &st) ? -1 : (long long)st.st_size;
	for (int i = 0; i < nargs; i++) {
		info("%s: %llu reviews from '%s'", tok_split_name(split[i]),
		     (unsigned long long)tokreader_count(r[i]), args[i]);
		tokreader_close(r[i]);
	}
	info("wrote '%s' (%lld bytes) in %.2f s", out, size, progress_now() - t0);
	return EXIT_OK;
}
