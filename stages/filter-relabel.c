/* filter-relabel - merge token-record files, map raw labels to classes,
 * drop duplicate reviews.
 *
 * Reads the per-dump token files tokenize wrote; writes one merged token
 * file whose metadata lists the class names, and a stats JSON file.  The
 * work is in common/relabel.c; see docs/stages-text.md for the options and
 * the stats file.  Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "afile.h"
#include "badlog.h"
#include "error.h"
#include "labelmap.h"
#include "opts.h"
#include "relabel.h"
#include "stage.h"

int main(int argc, char **argv)
{
	const char *output = "artifacts/merged.tok", *stats_path = NULL;
	const char *labels = "binary", *on_error = "skip";
	long max_print = 20;
	int quiet = 0;
	const struct opt opts[] = {
		{"output", OPT_STR, &output, "FILE", "merged token file to write", 0, 0},
		{"stats", OPT_STR, &stats_path, "FILE", "write counts and dropped reviews here (JSON)", 0, 0},
		{"labels", OPT_STR, &labels, "MAP",
		 "label map: 'binary', '3class' or KEY=CLASS,... (CLASS 'drop' drops)", 0, 0},
		{"on-error", OPT_CHOICE, &on_error, "skip|fail",
		 "an unknown label: skip and count it, or fail (exit 1)", 0, 0},
		{"max-print", OPT_INT, &max_print, "N", "print at most N unknown-label messages", 0, 1e9},
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"filter-relabel", "[OPTIONS] TOKFILE...",
		"Merge token files (older dumps first), map raw labels to classes and drop\n"
		"duplicate reviews (a text whose copies disagree is dropped entirely).",
		opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	stage_reject_empty(opts); /* an empty path failed only after the work */
	struct labelmap *map = labelmap_parse(labels);
	if (!map)
		return EXIT_USAGE;

	struct relabel_opts ro = {map, !strcmp(on_error, "fail"), max_print, "filter-relabel",
				  stats_path};
	/* the stats file: opened before the work, written last */
	struct afile stats_af = {0};
	for (int i = 0; i < nargs; i++)
		afile_protect_input(args[i]);
	if (stats_path && stats_open(&stats_af, stats_path, &output, 1)) {
		labelmap_free(map);
		return EXIT_FAIL;
	}
	json_t *stats = NULL;
	int rc = relabel_run((const char *const *)args, nargs, output, &ro, &stats);
	if (stats_path && stats_commit(&stats_af, stats))
		rc = -1;
	if (!rc) {
		json_t *d = json_object_get(stats, "dropped");
		info("%lld in, %lld kept -> '%s' (dropped: %lld label, %lld duplicate, "
		     "%lld conflict, %lld unknown label)",
		     (long long)json_integer_value(json_object_get(stats, "in")),
		     (long long)json_integer_value(json_object_get(stats, "kept")), output,
		     (long long)json_integer_value(json_object_get(d, "label")),
		     (long long)json_integer_value(json_object_get(d, "duplicate")),
		     (long long)json_integer_value(json_object_get(d, "conflict")),
		     (long long)json_integer_value(json_object_get(d, "unknown_label")));
	}
	json_decref(stats);
	labelmap_free(map);
	return rc ? EXIT_FAIL : EXIT_OK;
}
