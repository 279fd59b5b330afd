/* report_render.c - the report's HTML and Markdown (see report_render.h):
 * the page frame and headline numbers, and the training, evaluation,
 * example, history and inputs sections (the data section is in
 * report_render_data.c).  Each section is written once against the document
 * interface of report_doc.h, so the two files carry the same numbers and
 * every string from data is escaped there.  Plots come from report_svg.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "report_doc.h"
#include "report_render.h"
#include "report_svg.h"

static const char CSS[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#f4f5f7;color:#222;font:15px/1.45 'DejaVu Sans','Segoe UI',"
	"Roboto,Helvetica,Arial,sans-serif}"
	"main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}"
	"header h1{margin:8px 0 4px;font-size:26px}"
	".sub{color:#555;margin:0 0 10px}"
	"nav{margin:8px 0 4px}nav a{margin-right:16px;color:#0b5cad;text-decoration:none}"
	"section{background:#fff;border:1px solid #dcdfe3;border-radius:6px;"
	"padding:8px 22px 16px;margin:16px 0}"
	"h2{font-size:21px;border-bottom:2px solid #e6e8eb;padding-bottom:4px}"
	"h3{font-size:16px;margin:18px 0 6px}"
	"table{border-collapse:collapse;margin:6px 0 12px;font-size:14px}"
	"th,td{border:1px solid #dcdfe3;padding:4px 9px;text-align:left;vertical-align:top}"
	"th{background:#f0f2f4;font-weight:600}"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".scroll{overflow-x:auto;max-width:100%}"
	".row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0}"
	".card{background:#fff;border:1px solid #dcdfe3;border-radius:6px;padding:8px 16px;"
	"min-width:150px}"
	".card .v{font-size:24px;font-weight:600}.card .k{color:#555;font-size:13px}"
	".na{color:#777;font-style:italic}"
	".worse{color:#b3261e;font-weight:600}.better{color:#1b7a36}"
	".ok{color:#1b7a36;font-weight:600}.bad{color:#b3261e;font-weight:600}"
	"td.ok,td.bad,td.nw{white-space:nowrap}"
	"td.hash{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px}"
	"table.wide{font-size:13px}"
	"ul.bad-records{font-size:13px;margin:4px 0 10px;overflow-wrap:anywhere}"
	"figure{display:table;margin:8px 0}"
	"figcaption{display:table-caption;caption-side:bottom;color:#555;font-size:13px;"
	"padding-top:4px}"
	"svg.plot{max-width:100%;height:auto;border:1px solid #eceef0}"
	/* newlines fold to spaces: compact rows; a word longer than the column
	 * (a URL, "аааа...") breaks anywhere instead of widening the table */
	".text{max-width:620px;font-size:13px;overflow-wrap:anywhere}"
	".bar{display:flex;width:160px;height:14px;border:1px solid #ccc;margin-top:3px}"
	".bar span{display:block;height:100%}"
	"details{margin:6px 0 10px}summary{cursor:pointer;color:#0b5cad}"
	"code{font-size:13px;background:#f3f3f3;padding:0 3px}"
	"footer{color:#666;font-size:13px}";

static int all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A short label for a run id, month-day hour:minute: scripts/retrain's
 * folder names "20261130T030012Z" -> "11-30 03:00" ("20261130T030012Z-2",
 * a second run in that second, -> "11-30 03:00-2"), and the extended form
 * "2026-11-30T03:00:12Z" -> "11-30 03:00"; any other id is cut to 14
 * characters. */
static void short_run(const char *run, char *out, size_t n)
{
	size_t len = strlen(run);
	if (len >= 16 && run[4] == '-' && run[7] == '-' && run[10] == 'T')
		snprintf(out, n, "%.5s %.5s", run + 5, run + 11);
	else if (len >= 16 && all_digits(run, 8) && run[8] == 'T' && all_digits(run + 9, 6) &&
		 run[15] == 'Z')
		snprintf(out, n, "%.2s-%.2s %.2s:%.2s%.4s", run + 4, run + 6, run + 9, run + 11,
			 run + 16);
	else
		snprintf(out, n, "%.14s", run);
}

/* ---- header and summary ---- */

static void model_line(const struct report_data *d, char *buf, size_t n)
{
	json_t *c = d->train ? json_object_get(d->train, "config") : NULL;
	buf[0] = 0;
	if (!c)
		return;
	const char *cell = rj_str(c, "cell");
	char up[16] = "";
	for (int i = 0; cell && cell[i] && i < 15; i++)
		up[i] = (char)toupper((unsigned char)cell[i]), up[i + 1] = 0;
	double L = json_num(c, "layers");
	json_t *bi = json_object_get(c, "bidirectional");
	/* split files tokenized with max_len 0 (no truncation) are packed as
	 * wide as their longest row, and that width is the model's max_len: the
	 * Data section's "max_len 0" and this number are both true */
	double ml = json_num(c, "max_len");
	int untruncated = d->data.present && d->data.meta.max_len == 0 && ml > 0;
	snprintf(buf, n, "%s%s, embedding %s, hidden %s, %s layer%s, max_len %s%s, vocabulary %s",
		 json_is_true(bi) ? "bidirectional " : "", *up ? up : "RNN",
		 fmt_count(json_num(c, "embed")), fmt_count(json_num(c, "hidden")), fmt_count(L),
		 L == 1 ? "" : "s", fmt_count(ml),
		 untruncated ? " (the longest review; tokenized without truncation)" : "",
		 fmt_count(json_num(c, "vocab_size")));
}

/* The history row this run is compared with: the last promoted run that is
 * not this run (a history line equal in accuracy, macro F1 and n to
 * metrics.json is taken to be this run, appended by retrain already). */
static int this_run_in_history(const struct report_data *d)
{
	if (!d->metrics || !d->n_hist)
		return 0;
	const struct history_row *h = &d->hist[d->n_hist - 1];
	return fabs(h->accuracy - json_num(d->metrics, "accuracy")) < 1e-9 &&
	       fabs(h->macro_f1 - json_num(d->metrics, "macro_f1")) < 1e-9 &&
	       h->n == json_num(d->metrics, "n");
}

static const struct history_row *baseline_run(const struct report_data *d)
{
	int end = d->n_hist - this_run_in_history(d);
	for (int i = end - 1; i >= 0; i--)
		if (d->hist[i].promoted != 0)
			return &d->hist[i];
	return NULL;
}

static void card(struct doc *o, const char *key, const char *value, const char *cls)
{
	if (o->md) {
		sbuf_add(o->b, "- ");
		doc_esc(o, key, (size_t)-1);
		sbuf_add(o->b, ": **");
		doc_esc(o, value, (size_t)-1);
		sbuf_add(o->b, "**\n");
		return;
	}
	sbuf_printf(o->b, "<div class=\"card\"><div class=\"v%s%s\">", cls ? " " : "",
		    cls ? cls : "");
	doc_esc(o, value, (size_t)-1);
	sbuf_add(o->b, "</div><div class=\"k\">");
	doc_esc(o, key, (size_t)-1);
	sbuf_add(o->b, "</div></div>\n");
}

static void header(struct doc *o, const struct report_data *d)
{
	const char *title = o->opt->title;
	char when[64], model[256];
	time_t t = (time_t)o->opt->generated;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	model_line(d, model, sizeof(model));
	if (o->md) {
		sbuf_add(o->b, "# ");
		doc_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "\n\n*");
		if (*model)
			doc_text(o, "%s. ", model);
		doc_text(o, "Generated %s by the report stage of rnnpipe.", when);
		sbuf_add(o->b, "*\n\nSections: [Data](#data), [Training](#training), "
			 "[Evaluation](#evaluation), [Example predictions](#example-predictions), "
			 "[Earlier runs](#earlier-runs).\n\n");
	} else {
		sbuf_add(o->b, "<!DOCTYPE html>\n"
			 "<!-- rnnpipe report: one self-contained page that opens offline.  Inline\n"
			 "     CSS; plots are inline SVG drawn by rnnpipe's own C code\n"
			 "     (common/report_svg.c), as no maintained C plotting library fits; no\n"
			 "     scripts, fonts, images or links to anything outside this file.  Every\n"
			 "     text taken from the data is HTML-escaped. -->\n"
			 "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<meta name=\"generator\" content=\"rnnpipe report\">\n<title>");
		doc_esc(o, title, (size_t)-1);
		sbuf_printf(o->b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<header>\n<h1>",
			    CSS);
		doc_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "</h1>\n<p class=\"sub\">");
		if (*model)
			doc_text(o, "%s. ", model);
		doc_text(o, "Generated %s by the report stage of rnnpipe.", when);
		sbuf_add(o->b, "</p>\n<nav><a href=\"#data\">Data</a><a href=\"#training\">Training</a>"
			 "<a href=\"#evaluation\">Evaluation</a><a href=\"#examples\">Examples</a>"
			 "<a href=\"#history\">Earlier runs</a><a href=\"#inputs\">Inputs</a></nav>\n"
			 "</header>\n");
	}

	/* a night's model that retrain did not promote is in artifacts/ and in
	 * this report, but not in service: say so first, and name the run that
	 * is (the last promoted one, which retrain made runs/current) */
	if (this_run_in_history(d) && d->hist[d->n_hist - 1].promoted == 0) {
		const struct history_row *h = &d->hist[d->n_hist - 1], *cur = baseline_run(d);
		doc_html(o, "<p class=\"bad\">");
		doc_md(o, "**");
		doc_text(o, "Not promoted:");
		doc_md(o, "**");
		doc_text(o, " this run (%s) did worse than the model in service", h->run);
		int same = cur && h->metric && cur->metric && !strcmp(cur->metric, h->metric) &&
			   isfinite(cur->metric_value);
		if (h->metric && isfinite(h->metric_value))
			doc_text(o, " (%s %s%s%s)", h->metric, fmt_num(h->metric_value, 4),
				 same ? " vs " : "", same ? fmt_num(cur->metric_value, 4) : "");
		if (cur)
			doc_text(o, ", which stays in use: run %s (runs/current).", cur->run);
		else
			doc_text(o, "; the history names no promoted run.");
		const char *mpath = rj_str(d->metrics, "model");
		if (mpath)
			doc_text(o, " The numbers below, and the model in %s, are this run's.", mpath);
		else
			doc_text(o, " The numbers below are this run's.");
		doc_pend(o);
	}

	/* headline numbers */
	doc_html(o, "<div class=\"cards\">\n");
	if (d->metrics) {
		card(o, "test accuracy", fmt_pct(json_num(d->metrics, "accuracy"), 2), NULL);
		card(o, "macro F1", fmt_num(json_num(d->metrics, "macro_f1"), 4), NULL);
		if (isfinite(json_num(d->metrics, "roc_auc")))
			card(o, "ROC AUC", fmt_num(json_num(d->metrics, "roc_auc"), 4), NULL);
		card(o, "test reviews", fmt_count(json_num(d->metrics, "n")), NULL);
	}
	const struct history_row *base = baseline_run(d);
	if (d->metrics && base && isfinite(base->accuracy)) {
		double delta = json_num(d->metrics, "accuracy") - base->accuracy;
		char key[128], sr[32];
		short_run(base->run, sr, sizeof(sr));
		snprintf(key, sizeof(key), "accuracy vs last promoted run (%s)", sr);
		card(o, key, fmt_delta_pp(delta), delta < -1e-12 ? "worse" : delta > 1e-12 ? "better"
									  : NULL);
	}
	if (d->train) {
		char v[64];
		snprintf(v, sizeof(v), "%s of %s", fmt_count(json_num(d->train, "best_epoch")),
			 fmt_count(json_num(d->train, "epochs_run")));
		card(o, "best epoch", v, NULL);
		card(o, "training time", fmt_dur(json_num(d->train, "seconds")), NULL);
		snprintf(v, sizeof(v), "%s seq/s", fmt_num(json_num(d->train, "seq_per_s"), 1));
		card(o, "training throughput", v, NULL);
		const char *dev = rj_str(d->train, "device");
		card(o, "device", dev ? dev : "n/a", NULL);
	}
	if (!d->metrics && !d->train)
		card(o, "model", "not trained yet (no metrics.json, no train.json)", NULL);
	doc_html(o, "</div>\n");
	doc_md(o, "\n");
}

/* ---- training ---- */

/* train.json's run: device, epochs, why it stopped, time, and any other
 * plain value it carries. */
static void training_run(struct doc *o, const struct report_data *d)
{
	doc_h3(o, "Run");
	if (d->train) {
		json_t *t = d->train;
		char buf[256];
		doc_table(o, "ll", "item", "value");
		static const char *known[] = {"config", "device", "threads", "epochs_run",
					      "best_epoch", "best_val_loss", "stopped", "seconds",
					      "seq_per_s", "train_examples", "validation_examples", NULL};
		const char *dev = rj_str(t, "device");
		doc_tr(o); doc_td(o, NULL, "device"); doc_tdd(o, NULL, dev ? dev : "n/a", (size_t)-1); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "CPU threads"); doc_td(o, NULL, "%s", fmt_count(json_num(t, "threads"))); doc_tr_end(o);
		json_t *cfg = json_object_get(t, "config");
		snprintf(buf, sizeof(buf), "%s of %s planned", fmt_count(json_num(t, "epochs_run")),
			 fmt_count(json_num(cfg, "epochs")));
		doc_tr(o); doc_td(o, NULL, "epochs run"); doc_td(o, NULL, "%s", buf); doc_tr_end(o);
		const char *stopped = rj_str(t, "stopped");
		doc_tr(o); doc_td(o, NULL, "stopped by");
		doc_tdd(o, stopped && !strcmp(stopped, "nan") ? "bad" : NULL, stopped ? stopped : "n/a",
		      (size_t)-1);
		doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "best epoch"); doc_td(o, NULL, "%s", fmt_count(json_num(t, "best_epoch"))); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "best validation loss"); doc_td(o, NULL, "%s", fmt_num(json_num(t, "best_val_loss"), 4)); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "training time"); doc_td(o, NULL, "%s", fmt_dur(json_num(t, "seconds"))); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "throughput"); doc_td(o, NULL, "%s sequences/s", fmt_num(json_num(t, "seq_per_s"), 1)); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "training reviews"); doc_td(o, NULL, "%s", fmt_count(json_num(t, "train_examples"))); doc_tr_end(o);
		doc_tr(o); doc_td(o, NULL, "validation reviews"); doc_td(o, NULL, "%s", fmt_count(json_num(t, "validation_examples"))); doc_tr_end(o);
		/* anything else train.json carries */
		const char *key;
		json_t *v;
		json_object_foreach(t, key, v) {
			int k2 = 0;
			while (known[k2] && strcmp(known[k2], key))
				k2++;
			if (known[k2] || json_is_object(v))
				continue;
			doc_tr(o);
			doc_tdd(o, NULL, key, (size_t)-1);
			doc_tdd(o, NULL, rj_text(v, buf, sizeof(buf)), (size_t)-1);
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else {
		doc_na(o, "train.json was not found (configuration, time and device unknown)");
	}
}

/* train.json's "config", key by key. */
static void training_config(struct doc *o, const struct report_data *d)
{
	doc_h3(o, "Configuration");
	json_t *cfg = d->train ? json_object_get(d->train, "config") : NULL;
	if (cfg) {
		const char *key;
		json_t *v;
		doc_table(o, "ll", "setting", "value");
		json_object_foreach(cfg, key, v) {
			char buf[512];
			doc_tr(o);
			doc_tdd(o, NULL, key, (size_t)-1);
			doc_tdd(o, NULL, rj_text(v, buf, sizeof(buf)), (size_t)-1);
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else {
		doc_na(o, "no configuration in train.json");
	}
}

/* The epoch numbers of train-log.jsonl (n rows); best: the best epoch. */
static void training_epochs_table(struct doc *o, const struct report_data *d, int n,
				  double best)
{
	doc_html(o, "<details><summary>Per-epoch numbers</summary>\n");
	doc_table(o, "rrrrrrrrr", "epoch", "loss", "accuracy", "val loss", "val accuracy",
		"val macro F1", "time", "seq/s", "learning rate");
	for (int i = 0; i < n; i++) {
		const struct epoch_row *e = &d->epochs[i];
		doc_tr(o);
		doc_td(o, e->epoch == best ? "better" : NULL, "%.0f", e->epoch);
		doc_td(o, NULL, "%s", fmt_num(e->loss, 4));
		doc_td(o, NULL, "%s", fmt_num(e->accuracy, 4));
		doc_td(o, NULL, "%s", fmt_num(e->val_loss, 4));
		doc_td(o, NULL, "%s", fmt_num(e->val_accuracy, 4));
		doc_td(o, NULL, "%s", fmt_num(e->val_macro_f1, 4));
		doc_td(o, NULL, "%s", fmt_dur(e->seconds));
		doc_td(o, NULL, "%s", fmt_num(e->seq_per_s, 1));
		doc_td(o, NULL, "%.3g", e->lr);
		doc_tr_end(o);
	}
	doc_table_end(o);
	doc_html(o, "</details>\n");
}

/* Loss and accuracy per epoch from train-log.jsonl, then its numbers. */
static void training_curves(struct doc *o, const struct report_data *d)
{
	doc_h3(o, "Learning curves");
	int n = d->n_epochs;
	if (!d->epochs || n == 0) {
		doc_na(o, "train-log.jsonl %s", d->epochs ? "holds no finished epoch" : "was not found");
		return;
	}
	double *x = malloc(9 * n * sizeof(*x));
	if (!x) {
		o->b->oom = 1;
		return;
	}
	double *loss = x + n, *vloss = x + 2 * n, *acc = x + 3 * n, *vacc = x + 4 * n,
	       *vf1 = x + 5 * n;
	for (int i = 0; i < n; i++) {
		x[i] = d->epochs[i].epoch;
		loss[i] = d->epochs[i].loss;
		vloss[i] = d->epochs[i].val_loss;
		acc[i] = d->epochs[i].accuracy;
		vacc[i] = d->epochs[i].val_accuracy;
		vf1[i] = d->epochs[i].val_macro_f1;
	}
	double best = d->train ? json_num(d->train, "best_epoch") : NAN;
	char bl[64];
	snprintf(bl, sizeof(bl), "best epoch %.0f", best);
	struct svg_vline vl = {best, bl, "#666"};
	struct svg_series ls[2] = {
		{"training loss", x, loss, n, C_TRAIN, 0, 1, 0},
		{"validation loss", x, vloss, n, C_VAL, 1, 1, 0},
	};
	struct svg_chart lc = {.title = "Loss per epoch", .xlabel = "epoch",
			       .ylabel = "cross-entropy loss (nats)", .width = 500, .height = 340,
			       .xmin = NAN, .xmax = NAN, .ymin = NAN, .ymax = NAN, .x_whole = 1,
			       .series = ls, .nseries = 2, .vlines = &vl,
			       .nvlines = isfinite(best)};
	struct svg_series as[3] = {
		{"training accuracy", x, acc, n, C_TRAIN, 0, 1, 0},
		{"validation accuracy", x, vacc, n, C_VAL, 1, 1, 0},
		{"validation macro F1", x, vf1, n, C_F1, 0, 1, 0},
	};
	struct svg_chart ac = lc;
	ac.title = "Accuracy per epoch";
	ac.ylabel = "accuracy, macro F1 (%)";
	ac.y_percent = 1;
	ac.series = as;
	ac.nseries = 3;
	struct sbuf svg;
	sbuf_init(&svg);
	doc_html(o, "<div class=\"row\">\n");
	svg_line_chart(&svg, &lc);
	doc_figure(o, "loss", &svg, "Training loss is the mean over the epoch's batches; "
		 "validation loss is measured on the whole validation split after the epoch.");
	svg.len = 0;
	svg_line_chart(&svg, &ac);
	doc_figure(o, "accuracy", &svg, "Accuracy on training batches and on the validation split, "
		 "and the validation macro F1.");
	doc_html(o, "</div>\n");
	sbuf_free(&svg);
	free(x);

	training_epochs_table(o, d, n, best);
}

static void section_training(struct doc *o, const struct report_data *d)
{
	doc_section(o, "training", "Training");
	if (!d->train && !d->epochs) {
		doc_na(o, "neither train.json nor train-log.jsonl was found");
		doc_section_end(o);
		return;
	}
	doc_html(o, "<div class=\"row\"><div>\n");
	training_run(o, d);
	doc_html(o, "</div><div>\n");
	training_config(o, d);
	doc_html(o, "</div></div>\n");
	training_curves(o, d);
	doc_section_end(o);
}

/* ---- evaluation ---- */

/* The headline metrics and the per-class table of metrics.json m. */
static void eval_tables(struct doc *o, const struct report_data *d, json_t *m,
			const char *split)
{
	int k = d->n_classes;
	doc_p(o);
	doc_text(o, "On the held-out ");
	doc_esc(o, split, (size_t)-1);
	doc_text(o, " split, which training never saw.");
	doc_pend(o);
	doc_html(o, "<div class=\"row\"><div>\n");
	doc_table(o, "lr", "metric", "value");
	doc_tr(o); doc_td(o, NULL, "reviews (n)"); doc_td(o, NULL, "%s", fmt_count(json_num(m, "n"))); doc_tr_end(o);
	doc_tr(o); doc_td(o, NULL, "accuracy"); doc_td(o, NULL, "%s (%s)", fmt_num(json_num(m, "accuracy"), 4), fmt_pct(json_num(m, "accuracy"), 2)); doc_tr_end(o);
	doc_tr(o); doc_td(o, NULL, "macro F1"); doc_td(o, NULL, "%s", fmt_num(json_num(m, "macro_f1"), 4)); doc_tr_end(o);
	doc_tr(o); doc_td(o, NULL, "loss"); doc_td(o, NULL, "%s", fmt_num(json_num(m, "loss"), 4)); doc_tr_end(o);
	doc_tr(o); doc_td(o, NULL, "ROC AUC"); doc_td(o, NULL, "%s", fmt_num(json_num(m, "roc_auc"), 4)); doc_tr_end(o);
	doc_table_end(o);
	if (rj_str(m, "model") || rj_str(m, "dataset")) {
		doc_p(o);
		doc_text(o, "Model ");
		doc_esc(o, rj_str(m, "model") ? rj_str(m, "model") : "?", (size_t)-1);
		doc_text(o, ", dataset ");
		doc_esc(o, rj_str(m, "dataset") ? rj_str(m, "dataset") : "?", (size_t)-1);
		doc_text(o, ".");
		doc_pend(o);
	}
	doc_html(o, "</div><div>\n");
	json_t *pc = json_object_get(m, "per_class");
	if (json_is_array(pc) && json_array_size(pc)) {
		size_t i;
		json_t *v;
		doc_table(o, "lrrrr", "class", "precision", "recall", "F1", "support");
		json_array_foreach(pc, i, v) {
			const char *l = rj_str(v, "label");
			doc_tr(o);
			doc_tdd(o, NULL, l ? l : (i < (size_t)k ? d->labels[i] : "?"), (size_t)-1);
			doc_td(o, NULL, "%s", fmt_num(json_num(v, "precision"), 4));
			doc_td(o, NULL, "%s", fmt_num(json_num(v, "recall"), 4));
			doc_td(o, NULL, "%s", fmt_num(json_num(v, "f1"), 4));
			doc_td(o, NULL, "%s", fmt_count(json_num(v, "support")));
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else {
		doc_na(o, "no per-class numbers in metrics.json");
	}
	doc_html(o, "</div></div>\n");

}

/* The confusion matrix: a heat map (HTML) or a table (Markdown). */
static void eval_confusion(struct doc *o, const struct report_data *d, json_t *m,
			   struct sbuf *svg)
{
	int k = d->n_classes;
	double cm[REPORT_MAX_CLASSES * REPORT_MAX_CLASSES];
	json_t *rows = json_object_get(m, "confusion_matrix");
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			cm[i * k + j] = json_number_value(json_array_get(json_array_get(rows, i), j));
	svg_heatmap(svg, "Confusion matrix", d->labels, k, cm);
	doc_figure(o, "confusion", svg, "Rows: true class; columns: predicted class. The shade and "
		 "the percentage are the share of the row, so the diagonal shows each class's "
		 "recall.");
	if (o->md) {
		doc_p(o);
		doc_text(o, "Confusion matrix (rows: true class, columns: predicted class; share of "
			  "the row in brackets):");
		doc_pend(o);
		sbuf_add(o->b, "| true / predicted |");
		for (int j = 0; j < k; j++) {
			sbuf_add(o->b, " ");
			sbuf_md(o->b, d->labels[j], (size_t)-1);
			sbuf_add(o->b, " |");
		}
		sbuf_add(o->b, "\n|---|");
		for (int j = 0; j < k; j++)
			sbuf_add(o->b, "---:|");
		sbuf_add(o->b, "\n");
		char align[REPORT_MAX_CLASSES + 2];
		memset(align, 'r', sizeof(align));
		align[0] = 'l';
		align[k + 1] = 0;
		o->align = align;
		for (int i = 0; i < k; i++) {
			double row = 0;
			for (int j = 0; j < k; j++)
				row += cm[i * k + j];
			doc_tr(o);
			doc_tdd(o, NULL, d->labels[i], (size_t)-1);
			for (int j = 0; j < k; j++)
				doc_td(o, NULL, "%s (%s)", fmt_count(cm[i * k + j]),
				     row > 0 ? fmt_pct(cm[i * k + j] / row, 1) : "n/a");
			doc_tr_end(o);
		}
		doc_table_end(o);
	}

}

/* The ROC curve of a two-class model, from metrics.json's "roc" points. */
static void eval_roc(struct doc *o, const struct report_data *d, json_t *m, struct sbuf *svg)
{
	int k = d->n_classes;
	json_t *roc = json_object_get(m, "roc");
	if (k == 2 && json_is_object(roc)) {
		json_t *fa = json_object_get(roc, "fpr"), *ta = json_object_get(roc, "tpr");
		int n = (int)json_array_size(fa);
		double *xy = malloc((2 * (size_t)n + 4) * sizeof(*xy));
		if (!xy) {
			o->b->oom = 1;
			return;
		}
		for (int i = 0; i < n; i++) {
			xy[i] = json_number_value(json_array_get(fa, i));
			xy[n + i] = json_number_value(json_array_get(ta, i));
		}
		double dx[2] = {0, 1}, dy[2] = {0, 1};
		char name[64];
		snprintf(name, sizeof(name), "model (AUC %s)", fmt_num(json_num(m, "roc_auc"), 4));
		struct svg_series s[2] = {{name, xy, xy + n, n, C_TRAIN, 0, 0, 0},
					  {"chance", dx, dy, 2, "#999", 1, 0, 0}};
		char ylab[96], xlab[96];
		snprintf(ylab, sizeof(ylab), "true positive rate (recall of %.30s)", d->labels[1]);
		snprintf(xlab, sizeof(xlab), "false positive rate (%.30s taken as %.30s)",
			 d->labels[0], d->labels[1]);
		struct svg_chart c = {.title = "ROC curve", .xlabel = xlab, .ylabel = ylab,
				      .width = 420, .height = 420, .xmin = 0, .xmax = 1, .ymin = 0,
				      .ymax = 1, .series = s, .nseries = 2};
		svg->len = 0;
		svg_line_chart(svg, &c);
		char cap[160];
		snprintf(cap, sizeof(cap), "Positive class: %.40s. Each point is one decision "
			 "threshold on its probability.", d->labels[1]);
		doc_figure(o, "roc", svg, cap);
		if (o->md) {
			doc_p(o);
			doc_text(o, "ROC AUC %s (%d points on the curve%s).",
			       fmt_num(json_num(m, "roc_auc"), 4), n,
			       o->opt->md_svg_prefix ? "" : "; the plot is in report.html");
			doc_pend(o);
		}
		free(xy);
	} else {
		doc_html(o, "<div>");
		doc_na(o, k == 2 ? "ROC curve: metrics.json has no 'roc' points"
			       : "ROC curve: only drawn for two classes");
		doc_html(o, "</div>");
	}
}

static void section_evaluation(struct doc *o, const struct report_data *d)
{
	json_t *m = d->metrics;
	const char *split = m && rj_str(m, "split") ? rj_str(m, "split") : "test";
	doc_section(o, "evaluation", "Evaluation");
	if (!m) {
		doc_na(o, "metrics.json was not found");
		doc_section_end(o);
		return;
	}
	eval_tables(o, d, m, split);
	struct sbuf svg;
	sbuf_init(&svg);
	doc_html(o, "<div class=\"row\">\n");
	eval_confusion(o, d, m, &svg);
	eval_roc(o, d, m, &svg);
	doc_html(o, "</div>\n");
	sbuf_free(&svg);
	doc_section_end(o);
}

/* ---- examples ---- */

static void section_examples(struct doc *o, const struct report_data *d,
			     const struct report_inputs *in)
{
	doc_section(o, "examples", "Example predictions");
	if (!d->preds) {
		doc_na(o, "predictions.tsv was not found");
		doc_section_end(o);
		return;
	}
	if (!d->n_examples) {
		doc_na(o, "predictions.tsv holds no reviews");
		doc_section_end(o);
		return;
	}
	int wrong = 0, notext = 0, right = 0;
	for (int i = 0; i < d->n_examples; i++) {
		wrong += d->examples[i].p.label != d->examples[i].p.predicted;
		notext += !d->examples[i].text;
	}
	right = d->n_examples - wrong;
	int nwrong_all = 0;
	for (int i = 0; i < d->n_preds; i++)
		nwrong_all += d->preds[i].label != d->preds[i].predicted;
	doc_p(o);
	doc_text(o, "%d of %s %s reviews are misclassified. Shown: the %d most confident "
		  "mistakes and %d confident correct predictions (taken from each class in turn).",
	       nwrong_all, fmt_count(d->n_preds), d->example_split, wrong, right);
	if (notext)
		doc_text(o, " %d review texts were not found (no %s.tok in the split folder, or the "
			  "review is not in it).", notext, d->example_split);
	doc_pend(o);
	doc_table(o, "rllrrll", "#", "result", "true → predicted", "probability", "tokens", "hash",
		"review (shortened)");
	for (int i = 0; i < d->n_examples; i++) {
		const struct example *e = &d->examples[i];
		int ok = e->p.label == e->p.predicted;
		char h[17];
		doc_tr(o);
		doc_td(o, NULL, "%d", i + 1);
		doc_td(o, ok ? "ok" : "bad", "%s", ok ? "✓ right" : "✗ wrong");
		doc_td_open(o, "nw");
		doc_esc(o, d->pred_labels[e->p.label], (size_t)-1);
		doc_esc(o, " → ", (size_t)-1);
		doc_esc(o, d->pred_labels[e->p.predicted], (size_t)-1);
		doc_td_close(o);
		doc_td(o, NULL, "%.3f", e->p.prob[e->p.predicted]);
		doc_td(o, NULL, "%s", e->text ? fmt_count(e->n_full) : "n/a");
		snprintf(h, sizeof(h), "%016llx", (unsigned long long)e->p.hash);
		doc_td(o, "hash", "%s", h);
		doc_td_open(o, "text");
		if (e->text) {
			size_t cut = utf8_prefix(e->text, e->text_len, (size_t)in->example_chars);
			doc_esc(o, e->text, cut);
			if (cut < e->text_len)
				doc_esc(o, " …", (size_t)-1);
		} else {
			doc_esc(o, "(text not available)", (size_t)-1);
		}
		doc_td_close(o);
		doc_tr_end(o);
	}
	doc_table_end(o);
	doc_section_end(o);
}

/* ---- history ---- */

/* The history's chart and table show the last HISTORY_SHOWN runs. */
#define HISTORY_SHOWN 30
#define STR_(x) #x
#define STR(x) STR_(x)

/* The chart of the last HISTORY_SHOWN of the n runs (the history's, then
 * this run's when it is not in the history yet).  Returns -1 when out of memory. */
static int history_chart(struct doc *o, const struct report_data *d, int n)
{
	int from = n > HISTORY_SHOWN ? n - HISTORY_SHOWN : 0, m = n - from;
	double *v = malloc(4 * (size_t)m * sizeof(*v));
	char (*lab)[32] = malloc((size_t)m * sizeof(*lab));
	const char **cats = malloc((size_t)m * sizeof(*cats));
	if (!v || !lab || !cats) {
		free(v);
		free(lab);
		free(cats);
		o->b->oom = 1;
		return -1;
	}
	double *x = v, *acc = v + m, *f1 = v + 2 * m, *np = v + 3 * m;
	for (int i = 0; i < m; i++) {
		int r = from + i;
		x[i] = i + 1;
		if (r < d->n_hist) {
			acc[i] = d->hist[r].accuracy;
			f1[i] = d->hist[r].macro_f1;
			np[i] = d->hist[r].promoted == 0 ? acc[i] : NAN;
			short_run(d->hist[r].run, lab[i], sizeof(lab[i]));
		} else {
			acc[i] = json_num(d->metrics, "accuracy");
			f1[i] = json_num(d->metrics, "macro_f1");
			np[i] = NAN;
			snprintf(lab[i], sizeof(lab[i]), "this run");
		}
		cats[i] = lab[i];
	}
	/* the y axis spans at least 5 percentage points, so that noise-sized
	 * changes do not look like cliffs */
	double lo = INFINITY, hi = -INFINITY;
	int any_np = 0;
	for (int i = 0; i < m; i++) {
		if (isfinite(acc[i]))
			lo = fmin(lo, acc[i]), hi = fmax(hi, acc[i]);
		if (isfinite(f1[i]))
			lo = fmin(lo, f1[i]), hi = fmax(hi, f1[i]);
		any_np |= isfinite(np[i]);
	}
	if (hi - lo < 0.05) {
		double mid = (lo + hi) / 2;
		lo = fmax(0, mid - 0.025);
		hi = fmin(1, lo + 0.05);
	}
	double yf, ys;
	int ny = svg_ticks(lo, hi, 6, 0, &yf, &ys);
	struct svg_series s[3] = {{"test accuracy", x, acc, m, C_TRAIN, 0, 1, 0},
				  {"macro F1", x, f1, m, C_F1, 1, 1, 0},
				  {"not promoted", x, np, m, C_BAD, 0, 1, 1}};
	struct svg_chart c = {.title = n > HISTORY_SHOWN
						       ? "Metrics of the last " STR(HISTORY_SHOWN) " runs"
						       : "Metrics per run",
			      .xlabel = "run (UTC, month-day hour:minute)",
			      .ylabel = "accuracy, macro F1 (%)", .width = 760, .height = 360,
			      .xmin = NAN, .xmax = NAN, .ymin = yf, .ymax = yf + (ny - 1) * ys,
			      .xcats = cats, .ncats = m, .y_percent = 1, .series = s,
			      .nseries = any_np ? 3 : 2};
	if (m >= 2 && isfinite(lo)) {
		struct sbuf svg;
		sbuf_init(&svg);
		svg_line_chart(&svg, &c);
		doc_figure(o, "history", &svg, any_np ? "Ringed points: retrains whose model was "
			 "not promoted (worse than the model in service)." : "Every retrain shown "
			 "was promoted.");
		sbuf_free(&svg);
	}
	free(v);
	free(lab);
	free(cats);
	return 0;
}

/* Rows [from, to) of the n runs, as one table when emit is set; *pa and *pf
 * carry the accuracy and macro F1 of the last promoted run before from (a
 * run's change is against it), updated as the rows are walked either way. */
static void history_rows(struct doc *o, const struct report_data *d, int from, int to, int emit,
			 const char *metric, int mixed, double *pa, double *pf)
{
	if (emit)
		doc_table(o, "lrrrrrrrl", "run", "accuracy", "change", "macro F1", "change",
			  metric && !mixed ? metric : "promotion metric", "test reviews", "dumps",
			  "promoted");
	for (int r = from; r < to; r++) {
		const struct history_row *h = r < d->n_hist ? &d->hist[r] : NULL;
		double a = h ? h->accuracy : json_num(d->metrics, "accuracy");
		double f = h ? h->macro_f1 : json_num(d->metrics, "macro_f1");
		double da = a - *pa, df = f - *pf;
		if (emit) {
			doc_tr(o);
			if (h)
				doc_tdd(o, NULL, h->run, (size_t)-1);
			else
				doc_td(o, NULL, "this run (not in history yet)");
			doc_td(o, NULL, "%s", fmt_num(a, 4));
			doc_td(o, da < -1e-12 ? "worse" : da > 1e-12 ? "better" : NULL, "%s",
			       fmt_delta_pp(da));
			doc_td(o, NULL, "%s", fmt_num(f, 4));
			doc_td(o, df < -1e-12 ? "worse" : df > 1e-12 ? "better" : NULL, "%s",
			       fmt_delta_pp(df));
			if (h && h->metric && mixed)
				doc_td(o, NULL, "%s %s", h->metric, fmt_num(h->metric_value, 4));
			else
				doc_td(o, NULL, "%s", fmt_num(h ? h->metric_value : NAN, 4));
			doc_td(o, NULL, "%s", fmt_count(h ? h->n : json_num(d->metrics, "n")));
			doc_td(o, NULL, "%s", fmt_count(h ? h->dumps : NAN));
			doc_td(o, h && h->promoted == 0 ? "worse" : NULL, "%s",
			       !h ? "n/a" : h->promoted == 1 ? "yes" : h->promoted == 0 ? "no" : "n/a");
			doc_tr_end(o);
		}
		if (!h || h->promoted != 0) { /* changes are against the model in service */
			*pa = a;
			*pf = f;
		}
	}
	if (emit)
		doc_table_end(o);
}

/* The table of the n runs, each with its change against the previous
 * promoted run and the validation metric it was promoted on (or not): a
 * column named after it when every run has the same one, else each cell
 * names its own.  The last HISTORY_SHOWN runs are listed; the earlier ones
 * are folded in the HTML (hundreds of rows made a page of a long table) and
 * only counted in the Markdown. */
static void history_table(struct doc *o, const struct report_data *d, int n)
{
	const char *metric = NULL;
	int mixed = 0;
	for (int r = 0; r < d->n_hist; r++) {
		const char *m = d->hist[r].metric;
		if (m && metric && strcmp(m, metric))
			mixed = 1;
		if (m && !metric)
			metric = m;
	}
	double pa = NAN, pf = NAN;
	int first = n > HISTORY_SHOWN ? n - HISTORY_SHOWN : 0;
	if (first) {
		if (!o->md) {
			doc_html(o, "<details><summary>");
			doc_text(o, "The %s earlier run%s", fmt_count(first), first == 1 ? "" : "s");
			doc_html(o, "</summary>\n");
		}
		history_rows(o, d, 0, first, !o->md, metric, mixed, &pa, &pf);
		doc_html(o, "</details>\n");
		doc_p(o);
		doc_text(o, "The last %d runs of %s%s", HISTORY_SHOWN, fmt_count(n),
			 o->md ? "; the earlier ones are in history.jsonl and, folded, in the HTML "
				 "report." : ":");
		doc_pend(o);
	}
	history_rows(o, d, first, n, 1, metric, mixed, &pa, &pf);
	doc_p(o);
	doc_text(o, "Change: against the previous promoted run, in percentage points. "
		 "%s: the validation metric retrain compares with the model in service to "
		 "promote a run (PROMOTE_METRIC).", metric && !mixed ? metric : "Promotion metric");
	doc_pend(o);
}

static void section_history(struct doc *o, const struct report_data *d)
{
	doc_section(o, "history", "Earlier runs");
	if (!d->have_hist) {
		doc_na(o, "history.jsonl was not found (it is written by make retrain)");
		doc_section_end(o);
		return;
	}
	int inh = this_run_in_history(d);
	int cur = d->metrics && !inh; /* this run is not in the history yet: add it */
	int n = d->n_hist + cur;
	if (n == 0) {
		doc_na(o, "history.jsonl holds no run yet");
		doc_section_end(o);
		return;
	}
	if (history_chart(o, d, n))
		return;
	history_table(o, d, n);
	doc_section_end(o);
}

/* ---- inputs ---- */

static void input_row(struct doc *o, const char *what, const char *path, int read)
{
	doc_tr(o);
	doc_td(o, NULL, "%s", what);
	doc_tdd(o, NULL, path ? path : "(not given)", (size_t)-1);
	doc_td(o, read ? "ok" : path ? "bad" : "na", "%s",
	     read ? "read" : path ? "not found" : "not given");
	doc_tr_end(o);
}

static void section_inputs(struct doc *o, const struct report_data *d,
			   const struct report_inputs *in)
{
	doc_section(o, "inputs", "Inputs");
	doc_table(o, "lll", "input", "path", "status");
	input_row(o, "training log", in->train_log, d->epochs != NULL);
	input_row(o, "training summary", in->train_json, d->train != NULL);
	input_row(o, "metrics", in->metrics, d->metrics != NULL);
	input_row(o, "predictions", in->predictions, d->preds != NULL);
	input_row(o, "run history", in->history, d->have_hist);
	for (int s = 0; s < 3; s++) {
		char what[64], path[4096];
		snprintf(what, sizeof(what), "%s split", tok_split_name(s + 1));
		if (in->split_dir)
			snprintf(path, sizeof(path), "%s/%s.tok", in->split_dir, tok_split_name(s + 1));
		input_row(o, what, in->split_dir ? path : NULL, d->data.split[s].present);
	}
	for (int i = 0; i < in->n_tok_stats; i++) {
		int read = 0;
		for (int j = 0; j < d->n_stats; j++)
			read |= !strcmp(d->stats[j].path, in->tok_stats[i]);
		input_row(o, "tokenize stats", in->tok_stats[i], read);
	}
	const char *other[2] = {in->filter_stats, in->split_stats};
	const char *names[2] = {"filter-relabel stats", "split stats"};
	for (int k = 0; k < 2; k++) {
		int read = 0;
		for (int j = 0; j < d->n_stats && other[k]; j++)
			read |= !strcmp(d->stats[j].path, other[k]) &&
				!strcmp(d->stats[j].kind, k ? "split" : "filter-relabel");
		input_row(o, names[k], other[k], read);
	}
	doc_table_end(o);
	doc_section_end(o);
}

static void render(struct doc *o, const struct report_data *d, const struct report_inputs *in)
{
	header(o, d);
	report_section_data(o, d);
	section_training(o, d);
	section_evaluation(o, d);
	section_examples(o, d, in);
	section_history(o, d);
	section_inputs(o, d, in);
	if (o->md) {
		sbuf_add(o->b, "\n---\nPlots: ");
		sbuf_add(o->b, o->opt->md_svg_prefix ? "linked SVG files next to this file; the "
			 "same numbers are in the tables." : "shown as tables here; drawn in "
			 "report.html.");
		sbuf_add(o->b, "\n");
	} else {
		sbuf_add(o->b, "<footer><p>Self-contained page: inline CSS, plots drawn as inline "
			 "SVG by rnnpipe's own C code; no scripts, no external files.</p></footer>\n"
			 "</main>\n</body>\n</html>\n");
	}
}

int report_render(const struct report_data *d, const struct report_inputs *in,
		  const struct report_options *opt, struct report_output *out)
{
	memset(out, 0, sizeof(*out));
	struct doc h = {.b = &out->html, .md = 0, .opt = opt, .out = out};
	struct doc m = {.b = &out->md, .md = 1, .opt = opt, .out = out};
	render(&h, d, in);
	render(&m, d, in);
	int oom = out->html.oom || out->md.oom;
	for (int i = 0; i < out->n_files; i++)
		oom |= out->files[i].svg.oom;
	return oom ? error("out of memory while rendering the report") : 0;
}

void report_output_free(struct report_output *out)
{
	sbuf_free(&out->html);
	sbuf_free(&out->md);
	for (int i = 0; i < out->n_files; i++)
		sbuf_free(&out->files[i].svg);
	out->n_files = 0;
}
