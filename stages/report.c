/* report.c - the report stage: reports/report.html and reports/report.md.
 *
 * Reads the training log, training summary, metrics, predictions and run
 * history (docs/artifacts.md), the split token-record files and the stats
 * files of the text stages; writes one self-contained HTML page (inline CSS
 * and SVG, no scripts, nothing fetched) and a Markdown twin.  Absent inputs
 * make their section say "not available"; a malformed one fails the stage
 * naming the file.  It does not compute metrics (evaluate does).
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "afile.h"
#include "error.h"
#include "opts.h"
#include "report_data.h"
#include "report_render.h"
#include "stage.h"

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

static long long generated_time(void)
{
	/* reproducible builds convention: a fixed time when asked for */
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char *end;
	if (e && *e) {
		long long t = strtoll(e, &end, 10);
		if (!*end && t >= 0)
			return t;
		warning("SOURCE_DATE_EPOCH '%s' is not a number; using the current time", e);
	}
	return (long long)time(NULL);
}

/* "reports/report.md" -> dir "reports", stem "report". */
static void split_md_path(const char *md, char *dir, size_t nd, char *stem, size_t ns)
{
	char a[4096], b[4096];
	snprintf(a, sizeof(a), "%s", md);
	snprintf(b, sizeof(b), "%s", md);
	snprintf(dir, nd, "%s", dirname(a));
	const char *base = basename(b);
	size_t n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".md"))
		n -= 3;
	snprintf(stem, ns, "%.*s", (int)n, base);
}

int main(int argc, char **argv)
{
	const char *train_log = "artifacts/train-log.jsonl", *train_json = "artifacts/train.json";
	const char *metrics = "artifacts/metrics.json", *predictions = "artifacts/predictions.tsv";
	const char *history = "artifacts/history.jsonl", *split_dir = "artifacts/split";
	const char *filter_stats = NULL, *split_stats = NULL;
	const char *html = "reports/report.html", *md = "reports/report.md";
	const char *title = "rnnpipe: review sentiment report";
	struct opt_list tok_stats = {0};
	long examples = 8, example_chars = 300;
	int md_svg = 0, quiet = 0;
	const struct opt opts[] = {
		{"train-log", OPT_STR, &train_log, "FILE", "per-epoch training log (JSON lines)", 0, 0},
		{"train-json", OPT_STR, &train_json, "FILE", "training summary and configuration", 0, 0},
		{"metrics", OPT_STR, &metrics, "FILE", "evaluation metrics", 0, 0},
		{"predictions", OPT_STR, &predictions, "FILE", "per-review predictions (TSV)", 0, 0},
		{"history", OPT_STR, &history, "FILE", "metrics of earlier runs (JSON lines)", 0, 0},
		{"split-dir", OPT_STR, &split_dir, "DIR",
		 "folder of train.tok, validation.tok, test.tok", 0, 0},
		{"tok-stats", OPT_LIST, &tok_stats, "FILE",
		 "stats JSON of tokenize, one per dump (repeatable)", 0, 0},
		{"filter-stats", OPT_STR, &filter_stats, "FILE", "stats JSON of filter-relabel", 0, 0},
		{"split-stats", OPT_STR, &split_stats, "FILE", "stats JSON of split", 0, 0},
		{"html", OPT_STR, &html, "FILE", "HTML report to write ('' = none)", 0, 0},
		{"md", OPT_STR, &md, "FILE", "Markdown report to write ('' = none)", 0, 0},
		{"md-svg", OPT_FLAG, &md_svg, NULL,
		 "also write the plots as <md-name>-*.svg next to the Markdown and link them", 0, 0},
		{"examples", OPT_INT, &examples, "N", "example predictions to show", 0, 200},
		{"example-chars", OPT_INT, &example_chars, "N",
		 "shorten example reviews to N characters", 20, 20000},
		{"title", OPT_STR, &title, "TEXT", "page title", 0, 0},
		{"quiet", OPT_FLAG, &quiet, NULL, "no messages about inputs that are absent", 0, 0},
		{NULL, 0, NULL, NULL, NULL, 0, 0},
	};
	const struct opts_program prog = {
		"report", "[OPTIONS]",
		"Writes the HTML report (one self-contained file: inline CSS and SVG plots,\n"
		"no scripts, nothing fetched) and its Markdown twin from the pipeline's\n"
		"artifacts.  Every input is optional: an absent one ('' or a missing file)\n"
		"makes its section say \"not available\"; a malformed one is an error.\n"
		"Exit status: 0 written, 1 bad input or I/O failure, 2 bad usage.",
		opts, 0, 0, 0};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	html = nonempty(html);
	md = nonempty(md);
	if (!html && !md) {
		error("nothing to write: both --html and --md are empty (see --help)");
		return EXIT_USAGE;
	}

	struct report_inputs in = {
		.train_log = nonempty(train_log), .train_json = nonempty(train_json),
		.metrics = nonempty(metrics), .predictions = nonempty(predictions),
		.history = nonempty(history), .split_dir = nonempty(split_dir),
		.tok_stats = tok_stats.items, .n_tok_stats = tok_stats.n,
		.filter_stats = nonempty(filter_stats), .split_stats = nonempty(split_stats),
		.n_examples = (int)examples, .example_chars = (int)example_chars,
	};
	char md_dir[4096] = ".", md_stem[256] = "report";
	if (md)
		split_md_path(md, md_dir, sizeof(md_dir), md_stem, sizeof(md_stem));
	struct report_options ro = {.title = title, .md_svg_prefix = md && md_svg ? md_stem : NULL,
				    .generated = generated_time()};
	struct report_data d;
	struct report_output out;
	int rc = report_load(&d, &in);
	if (!rc)
		rc = report_render(&d, &in, &ro, &out);
	else
		memset(&out, 0, sizeof(out));
	if (!rc && html)
		rc = afile_write_all(html, out.html.s, out.html.len);
	for (int i = 0; !rc && i < out.n_files; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", md_dir, out.files[i].name);
		rc = afile_write_all(path, out.files[i].svg.s, out.files[i].svg.len);
	}
	if (!rc && md)
		rc = afile_write_all(md, out.md.s, out.md.len);
	if (!rc)
		info("wrote %s%s%s", html ? html : "", html && md ? " and " : "", md ? md : "");
	report_output_free(&out);
	report_data_free(&d);
	opt_list_free(&tok_stats);
	return rc ? EXIT_FAIL : EXIT_OK;
}
