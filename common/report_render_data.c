/* report_render_data.c - the report's "Data" section: split sizes and
 * class balance, reviews per dump, what the text stages left out and why,
 * and the review-length histogram.  Reads the split files' counts (from
 * report_data.c) and the text stages' stats JSON; their documented keys are
 * used where present, any other stats file is shown generically. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_doc.h"
#include "report_svg.h"

/* The dump a tokenize stats file describes (its "source"-like key), else
 * the stats file's own path. */
static const char *stats_source(const struct stats_file *st)
{
	static const char *names[] = {"source", "dump", "input", "file", "path", "name", NULL};
	for (int q = 0; names[q]; q++)
		if (rj_str(st->json, names[q]))
			return rj_str(st->json, names[q]);
	return st->path;
}

/* Does path, lower-cased (its first 159 bytes), contain one of words? */
static int has_word(const char *path, const char *const *words)
{
	char low[160];
	size_t i;
	for (i = 0; path[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)path[i]);
	low[i] = 0;
	for (int k = 0; words[k]; k++)
		if (strstr(low, words[k]))
			return 1;
	return 0;
}

/* Does a stats key say why reviews were left out? */
static int is_drop_key(const char *path)
{
	static const char *words[] = {"drop", "skip", "bad", "neutral", "dup", "conflict",
				      "invalid", "error", "unmapped", "unknown", "reject",
				      "empty", "missing", "removed", "filtered", "excluded",
				      "malformed", "truncated_gzip", NULL};
	/* per-item details ("inputs[0].dropped") and label counts ("labels.bad",
	 * "raw_labels.neutral") are not reasons */
	if (strchr(path, '[') || !strncmp(path, "labels.", 7) || !strncmp(path, "raw_labels.", 11) ||
	    !strncmp(path, "classes.", 8) || strstr(path, ".labels.") || strstr(path, ".classes."))
		return 0;
	return has_word(path, words);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- data ---- */

static void class_bar(struct doc *o, const uint64_t *per_class, int k, uint64_t total)
{
	if (o->md || !total)
		return;
	sbuf_add(o->b, "<div class=\"bar\">");
	for (int c = 0; c < k; c++)
		sbuf_printf(o->b, "<span style=\"width:%.2f%%;background:%s\"></span>",
			    100.0 * per_class[c] / total, report_palette[c % 8]);
	sbuf_add(o->b, "</div>");
}

static void data_splits(struct doc *o, const struct report_data *d)
{
	const struct data_info *di = &d->data;
	int k = di->meta.n_labels;
	uint64_t tot[REPORT_MAX_CLASSES + 1] = {0}, all = 0, trunc = 0, unl = 0;
	for (int s = 0; s < 3; s++) {
		all += di->split[s].count;
		trunc += di->split[s].truncated;
		unl += di->split[s].per_class[REPORT_MAX_CLASSES];
		for (int c = 0; c <= REPORT_MAX_CLASSES; c++)
			tot[c] += di->split[s].per_class[c];
	}
	doc_h3(o, "Split sizes and class balance");
	/* columns: split, reviews, share, one per class, [unlabelled], truncated */
	char align[REPORT_MAX_CLASSES + 8];
	int nc = 0;
	align[nc++] = 'l';
	align[nc++] = 'r';
	align[nc++] = 'r';
	for (int c = 0; c < k; c++)
		align[nc++] = 'r';
	if (unl)
		align[nc++] = 'r';
	align[nc++] = 'r';
	align[nc] = 0;
	/* headers vary with the class count: build the table head by hand */
	o->align = align;
	doc_html(o, "<div class=\"scroll\"><table>\n<thead><tr><th>split</th><th class=\"num\">reviews"
		  "</th><th class=\"num\">share</th>");
	doc_md(o, "| split | reviews | share |");
	for (int c = 0; c < k; c++) {
		doc_html(o, "<th class=\"num\">");
		doc_md(o, " ");
		if (!o->md)
			sbuf_printf(o->b, "<span style=\"color:%s\">&#9632;</span> ", report_palette[c % 8]);
		doc_esc(o, di->meta.labels[c], (size_t)-1);
		doc_html(o, "</th>");
		doc_md(o, " |");
	}
	if (unl) {
		doc_html(o, "<th class=\"num\">not labelled</th>");
		doc_md(o, " not labelled |");
	}
	doc_html(o, "<th class=\"num\">truncated</th></tr></thead>\n<tbody>\n");
	if (o->md) {
		sbuf_add(o->b, " truncated |\n|");
		for (int i = 0; i < nc; i++)
			sbuf_add(o->b, align[i] == 'r' ? "---:|" : "---|");
		sbuf_add(o->b, "\n");
	}
	for (int s = 0; s <= 3; s++) {
		const struct split_stats *st = s < 3 ? &di->split[s] : NULL;
		uint64_t n = st ? st->count : all;
		const uint64_t *pc = st ? st->per_class : tot;
		doc_tr(o);
		doc_td_open(o, NULL);
		doc_esc(o, s < 3 ? tok_split_name(s + 1) : "total", (size_t)-1);
		if (s < 3 && !st->present)
			doc_esc(o, " (file not found)", (size_t)-1);
		else
			class_bar(o, pc, k, n);
		doc_td_close(o);
		doc_td(o, NULL, "%s", fmt_count((double)n));
		doc_td(o, NULL, "%s", all ? fmt_pct((double)n / all, 1) : "n/a");
		for (int c = 0; c < k; c++)
			doc_td(o, NULL, "%s (%s)", fmt_count((double)pc[c]),
			     n ? fmt_pct((double)pc[c] / n, 1) : "n/a");
		if (unl)
			doc_td(o, NULL, "%s", fmt_count((double)pc[REPORT_MAX_CLASSES]));
		uint64_t tr = st ? st->truncated : trunc;
		doc_td(o, NULL, "%s (%s)", fmt_count((double)tr), n ? fmt_pct((double)tr / n, 1) : "n/a");
		doc_tr_end(o);
	}
	doc_table_end(o);
}

/* One dump as the tokenize stats describe it: the objects of a "dumps"
 * array, or (another format) the stats file itself. */
struct dump_row {
	const json_t *obj;
	const char *name;
};

static int tok_dump_rows(const struct report_data *d, struct dump_row *rows, int max)
{
	int n = 0;
	for (int i = 0; i < d->n_stats; i++) {
		const struct stats_file *st = &d->stats[i];
		if (strcmp(st->kind, "tokenize"))
			continue;
		json_t *dumps = json_object_get(st->json, "dumps");
		if (json_is_array(dumps)) {
			size_t k;
			json_t *v;
			json_array_foreach(dumps, k, v) {
				if (json_is_object(v) && n < max) {
					rows[n].obj = v;
					rows[n].name = rj_str(v, "path") ? rj_str(v, "path") : st->path;
					n++;
				}
			}
		} else if (n < max) {
			rows[n].obj = st->json;
			rows[n++].name = stats_source(st);
		}
	}
	return n;
}

/* Read by tokenize, a row per dump: the documented keys of its stats
 * first, else every count found. */
static void dumps_read(struct doc *o, const struct report_data *d)
{
	enum { MAXROW = 512, MAXCOL = 16 };
	struct dump_row *rows = malloc(MAXROW * sizeof(*rows));
	if (!rows) {
		o->b->oom = 1;
		return;
	}
	int nrow = tok_dump_rows(d, rows, MAXROW);
	static const char *pref[] = {"format", "records", "ok", "bad", "truncated", "labels",
				     "bad_by_reason", "tokens", "mb_per_s", NULL};
	static const char *pref_head[] = {"format", "records", "tokenized", "bad", "truncated",
					  "raw labels", "bad records by reason", "tokens", "MB/s"};
	const char *cols[MAXCOL], *heads[MAXCOL];
	int ncol = 0;
	for (int p = 0; pref[p]; p++)
		for (int r = 0; r < nrow; r++)
			if (json_object_get(rows[r].obj, pref[p])) {
				heads[ncol] = pref_head[p];
				cols[ncol++] = pref[p];
				break;
			}
	if (ncol < 2) { /* another format: its top-level counts, in file order */
		ncol = 0;
		for (int r = 0; r < nrow; r++) {
			const char *key;
			json_t *v;
			json_object_foreach((json_t *)rows[r].obj, key, v) {
				int have = 0;
				for (int c = 0; c < ncol; c++)
					have |= !strcmp(cols[c], key);
				if (!have && ncol < MAXCOL && (json_is_number(v) || json_is_object(v))) {
					heads[ncol] = key;
					cols[ncol++] = key;
				}
			}
		}
	}
	if (nrow) {
		doc_p(o);
		doc_text(o, "Read by tokenize (from its stats files): records in each dump, the "
			  "ones tokenized, the bad ones skipped and why, and those longer than "
			  "max_len.");
		doc_pend(o);
		char align[MAXCOL + 2];
		align[0] = 'l';
		for (int c = 0; c < ncol; c++)
			align[c + 1] = json_is_number(json_object_get(rows[0].obj, cols[c])) ? 'r' : 'l';
		align[ncol + 1] = 0;
		o->align = NULL;
		doc_html(o, "<div class=\"scroll\"><table class=\"wide\">\n<thead><tr><th>dump</th>");
		doc_md(o, "| dump |");
		for (int c = 0; c < ncol; c++) {
			doc_html(o, align[c + 1] == 'r' ? "<th class=\"num\">" : "<th>");
			doc_md(o, " ");
			doc_key(o, heads[c]);
			doc_html(o, "</th>");
			doc_md(o, " |");
		}
		doc_html(o, "</tr></thead>\n<tbody>\n");
		if (o->md) {
			sbuf_add(o->b, "\n|");
			for (int c = 0; c <= ncol; c++)
				sbuf_add(o->b, align[c] == 'r' ? "---:|" : "---|");
			sbuf_add(o->b, "\n");
		}
		o->align = align;
		double sum[MAXCOL] = {0};
		for (int r = 0; r < nrow; r++) {
			doc_tr(o);
			doc_tdd(o, NULL, rows[r].name, (size_t)-1);
			for (int c = 0; c < ncol; c++) {
				json_t *v = json_object_get(rows[r].obj, cols[c]);
				char buf[512];
				if (json_is_number(v)) {
					double x = json_number_value(v);
					sum[c] += x;
					doc_td(o, !strcmp(cols[c], "bad") && x > 0 ? "worse" : NULL, "%s",
					     json_is_integer(v) ? fmt_count(x) : fmt_num(x, 1));
				} else if (json_is_object(v)) {
					doc_tdd(o, NULL, rj_counts(v, buf, sizeof(buf)), (size_t)-1);
				} else {
					doc_tdd(o, NULL, v ? rj_text(v, buf, sizeof(buf)) : "", (size_t)-1);
				}
			}
			doc_tr_end(o);
		}
		if (nrow > 1) {
			doc_tr(o);
			doc_td(o, NULL, "total");
			for (int c = 0; c < ncol; c++) {
				int additive = json_is_integer(json_object_get(rows[0].obj, cols[c]));
				doc_td(o, NULL, "%s", additive ? fmt_count(sum[c]) : "");
			}
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else {
		doc_na(o, "no tokenize stats (--tok-stats), so reviews read and rejected per dump "
			"are not shown");
	}
	free(rows);
}

/* Kept, by dump and class, counted in the split files. */
static void dumps_kept(struct doc *o, const struct report_data *d)
{
	const struct data_info *di = &d->data;
	int k = di->meta.n_labels;
	if (di->present && di->meta.n_sources) {
		doc_p(o);
		doc_text(o, "Kept after filter-relabel (labels mapped, duplicates and conflicts "
			  "removed), counted in the split files by the dump each review came from.");
		doc_pend(o);
		char align[REPORT_MAX_CLASSES + 3];
		memset(align, 'r', sizeof(align));
		align[0] = 'l';
		align[k + 2] = 0;
		doc_thead(o, align);
		doc_thd(o, "dump");
		doc_thd(o, "kept reviews");
		for (int c = 0; c < k; c++)
			doc_thd(o, di->meta.labels[c]);
		doc_thead_end(o);
		for (int i = 0; i < di->meta.n_sources; i++) {
			const uint64_t *row = di->per_source + (size_t)i * (REPORT_MAX_CLASSES + 1);
			uint64_t n = 0;
			for (int c = 0; c <= REPORT_MAX_CLASSES; c++)
				n += row[c];
			doc_tr(o);
			doc_tdd(o, NULL, di->meta.sources[i].name, (size_t)-1);
			doc_td(o, NULL, "%s", fmt_count((double)n));
			for (int c = 0; c < k; c++)
				doc_td(o, NULL, "%s (%s)", fmt_count((double)row[c]),
				     n ? fmt_pct((double)row[c] / n, 1) : "n/a");
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else {
		doc_na(o, "no split files to count the kept reviews per dump");
	}
}

static void data_dumps(struct doc *o, const struct report_data *d)
{
	doc_h3(o, "Reviews per dump");
	dumps_read(o, d);
	dumps_kept(o, d);
}

/* Arrays of strings under keys like "examples" or "errors": the bad records
 * a stage reported with file:line and reason. */
static int is_message_key(const char *path)
{
	static const char *words[] = {"error", "bad", "reject", "warning", "message", "skipped",
				      "invalid", "conflict", "unknown", "example", NULL};
	return has_word(path, words);
}

/* What a known reason key means. */
static const char *reason_text(const char *kind, const char *key)
{
	static const struct { const char *kind, *key, *text; } known[] = {
		{"filter-relabel", "label", "label mapped to 'drop' (neutral by default)"},
		{"filter-relabel", "neutral", "neutral label"},
		{"filter-relabel", "unknown_label", "label the label map does not know"},
		{"filter-relabel", "unmapped", "label the label map does not know"},
		{"filter-relabel", "duplicate", "same text again (the first copy is kept)"},
		{"filter-relabel", "conflict", "same text with different labels (all copies "
					       "dropped)"},
		{"split", "duplicates_dropped", "same text in two split inputs"},
		{NULL, NULL, NULL},
	};
	for (int i = 0; known[i].kind; i++)
		if (!strcmp(known[i].kind, kind) && !strcmp(known[i].key, key))
			return known[i].text;
	return "";
}

struct drop {
	const char *kind;
	char key[160];
	const char *text;
	double sum;
	int files;
};

static void drop_add(struct drop *rows, int *n, int max, const char *kind, const char *key,
		     const char *text, double v)
{
	int r = 0;
	while (r < *n && (strcmp(rows[r].kind, kind) || strcmp(rows[r].key, key)))
		r++;
	if (r == *n) {
		if (*n == max)
			return;
		rows[r].kind = kind;
		snprintf(rows[r].key, sizeof(rows[r].key), "%s", key);
		rows[r].text = text;
		rows[r].sum = 0;
		rows[r].files = 0;
		(*n)++;
	}
	rows[r].sum += v;
	rows[r].files++;
}

/* Reasons from the documented stats formats (the text stages' own keys);
 * returns 0 when the file is in none of them. */
static int known_drops(const struct stats_file *st, struct drop *rows, int *n, int max)
{
	json_t *j = st->json;
	const char *key;
	json_t *v;
	if (!strcmp(st->kind, "tokenize") && json_is_object(json_object_get(j, "bad_records"))) {
		json_t *br = json_object_get(j, "bad_records");
		json_t *by = json_object_get(br, "by_reason");
		drop_add(rows, n, max, st->kind, "bad records", "records tokenize could not read",
			 json_number_value(json_object_get(br, "total")));
		json_object_foreach(by, key, v) {
			char k2[160];
			snprintf(k2, sizeof(k2), "bad: %.140s", key);
			drop_add(rows, n, max, st->kind, k2, "of which, by the reason tokenize gave",
				 json_number_value(v));
		}
		return 1;
	}
	if (!strcmp(st->kind, "filter-relabel") && json_is_object(json_object_get(j, "dropped"))) {
		json_object_foreach(json_object_get(j, "dropped"), key, v)
			if (json_is_number(v))
				drop_add(rows, n, max, st->kind, key, reason_text(st->kind, key),
					 json_number_value(v));
		return 1;
	}
	if (!strcmp(st->kind, "split") && json_is_object(json_object_get(j, "splits"))) {
		if (json_is_number(json_object_get(j, "duplicates_dropped")))
			drop_add(rows, n, max, st->kind, "duplicates_dropped",
				 reason_text(st->kind, "duplicates_dropped"),
				 json_number_value(json_object_get(j, "duplicates_dropped")));
		return 1;
	}
	return 0;
}

/* filter-relabel per input: what each dump lost, and why. */
static void filter_inputs(struct doc *o, const struct stats_file *st)
{
	json_t *in = json_object_get(st->json, "inputs");
	if (!json_is_array(in) || !json_array_size(in) ||
	    !json_is_object(json_object_get(json_array_get(in, 0), "dropped")))
		return;
	/* columns: the reasons of the first input */
	const char *reasons[16];
	int nr = 0;
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(json_array_get(in, 0), "dropped"), key, v)
		if (nr < 16)
			reasons[nr++] = key;
	char align[24];
	memset(align, 'r', sizeof(align));
	align[0] = 'l';
	align[nr + 3] = 0;
	doc_p(o);
	doc_text(o, "Per input of filter-relabel (older dumps first, so a duplicate is dropped "
		  "from the newer dump):");
	doc_pend(o);
	doc_thead(o, align);
	doc_thd(o, "dump");
	doc_thd(o, "in");
	doc_thd(o, "kept");
	for (int r = 0; r < nr; r++)
		doc_th(o, "%s", reasons[r]);
	doc_thead_end(o);
	size_t i;
	json_t *x;
	json_array_foreach(in, i, x) {
		char names[512];
		json_t *dumps = json_object_get(x, "dumps");
		const char *file = rj_str(x, "file");
		doc_tr(o);
		doc_tdd(o, NULL, json_array_size(dumps) ? rj_text(dumps, names, sizeof(names))
						    : file ? file : "?", (size_t)-1);
		doc_td(o, NULL, "%s", fmt_count(json_num(x, "in")));
		doc_td(o, NULL, "%s", fmt_count(json_num(x, "kept")));
		json_t *dr = json_object_get(x, "dropped");
		for (int r = 0; r < nr; r++) {
			double c = json_num(dr, reasons[r]);
			doc_td(o, c > 0 ? "worse" : NULL, "%s", fmt_count(c));
		}
		doc_tr_end(o);
	}
	doc_table_end(o);
}

/* leaves of a stats file, rows of the left-out table */
enum { DROP_MAXLEAF = 512, DROP_MAXROW = 128 };

/* Reviews left out, by stage and reason, summed over the stats files: the
 * text stages' own keys where the format is known, else every count whose
 * name says so; then filter-relabel's inputs.  lv: room for DROP_MAXLEAF leaves. */
static void dropped_counts(struct doc *o, const struct report_data *d, struct rj_leaf *lv)
{
	struct drop *rows = calloc(DROP_MAXROW, sizeof(*rows));
	if (!rows) {
		o->b->oom = 1;
		return;
	}
	/* an unknown format: counts named dropped, skipped, bad... (not labels) */
	int nrows = 0, guessed = 0;
	for (int i = 0; i < d->n_stats; i++) {
		if (known_drops(&d->stats[i], rows, &nrows, DROP_MAXROW))
			continue;
		int n = rj_flatten(d->stats[i].json, "", lv, 0, DROP_MAXLEAF, 0);
		for (int j = 0; j < n; j++) {
			if (lv[j].v && json_is_number(lv[j].v) && is_drop_key(lv[j].path)) {
				drop_add(rows, &nrows, DROP_MAXROW, d->stats[i].kind, lv[j].path, "",
					 json_number_value(lv[j].v));
				guessed = 1;
			}
		}
	}
	const struct stats_file *filter = NULL;
	for (int i = 0; i < d->n_stats; i++)
		if (!strcmp(d->stats[i].kind, "filter-relabel"))
			filter = &d->stats[i];
	if (filter && rj_str(filter->json, "labels")) {
		doc_p(o);
		doc_text(o, "Label map of filter-relabel: ");
		doc_esc(o, rj_str(filter->json, "labels"), (size_t)-1);
		doc_text(o, ".");
		doc_pend(o);
	}
	if (nrows) {
		doc_p(o);
		doc_text(o, "Reviews left out by each stage, summed over its stats files%s.",
		       guessed ? " (for stats files in an unknown format: every count whose name "
				 "says dropped, skipped, bad or rejected)" : "");
		doc_pend(o);
		doc_table(o, "lllrr", "stage", "reason", "meaning", "reviews", "files");
		for (int r = 0; r < nrows; r++) {
			doc_tr(o);
			doc_tdd(o, NULL, rows[r].kind, (size_t)-1);
			doc_td_open(o, NULL);
			doc_key(o, rows[r].key);
			doc_td_close(o);
			doc_tdd(o, NULL, rows[r].text, (size_t)-1);
			doc_td(o, rows[r].sum > 0 ? "worse" : NULL, "%s", fmt_count(rows[r].sum));
			doc_td(o, NULL, "%d", rows[r].files);
			doc_tr_end(o);
		}
		doc_table_end(o);
	} else if (d->n_stats) {
		doc_na(o, "the stats files hold no count of left-out reviews (see all their "
			"values below)");
	} else {
		doc_na(o, "no stats files of tokenize, filter-relabel or split were given "
			"(--tok-stats, --filter-stats, --split-stats)");
	}
	if (filter)
		filter_inputs(o, filter);

	free(rows);
}

/* The bad records themselves, as the stages reported them (the first 10
 * of each list). */
static void dropped_messages(struct doc *o, const struct report_data *d, struct rj_leaf *lv)
{
	int shown_head = 0;
	for (int i = 0; i < d->n_stats; i++) {
		int n = rj_flatten(d->stats[i].json, "", lv, 0, DROP_MAXLEAF, 0);
		for (int j = 0; j < n; j++) {
			json_t *a = lv[j].v;
			if (!json_is_array(a) || !json_array_size(a) ||
			    !json_is_string(json_array_get(a, 0)) || !is_message_key(lv[j].path))
				continue;
			if (!shown_head++) {
				doc_p(o);
				doc_text(o, "Bad records as the stages reported them (the first ones of "
					  "each stats file):");
				doc_pend(o);
			}
			doc_html(o, "<ul class=\"bad-records\">\n");
			size_t k, total = json_array_size(a);
			json_t *m;
			json_array_foreach(a, k, m) {
				if (k == 10)
					break;
				doc_html(o, "<li>");
				doc_md(o, "- ");
				doc_esc(o, json_is_string(m) ? json_string_value(m) : "?", (size_t)-1);
				doc_html(o, "</li>\n");
				doc_md(o, "\n");
			}
			if (total > 10) {
				doc_html(o, "<li>");
				doc_md(o, "- ");
				doc_text(o, "... %zu more in '%s' (%s)", total - 10, d->stats[i].path,
				       lv[j].path);
				doc_html(o, "</li>\n");
				doc_md(o, "\n");
			}
			doc_html(o, "</ul>\n");
			doc_md(o, "\n");
		}
	}
}

/* Every value of every stats file, for the record, folded. */
static void stats_values(struct doc *o, const struct report_data *d, struct rj_leaf *lv)
{
	for (int i = 0; i < d->n_stats; i++) {
		int n = rj_flatten(d->stats[i].json, "", lv, 0, DROP_MAXLEAF, 0);
		if (o->md) { /* GitHub and most viewers fold <details> in Markdown too */
			/* an HTML block: Markdown's backslash escapes would show
			 * there as written ("tok\_a.json"), so HTML escaping */
			sbuf_add(o->b, "<details><summary>All values in ");
			sbuf_html(o->b, d->stats[i].kind, (size_t)-1);
			sbuf_add(o->b, " stats ");
			sbuf_html(o->b, d->stats[i].path, (size_t)-1);
			sbuf_add(o->b, "</summary>\n\n");
		} else {
			sbuf_add(o->b, "<details><summary>All values in ");
			doc_esc(o, d->stats[i].kind, (size_t)-1);
			sbuf_add(o->b, " stats <code>");
			doc_esc(o, d->stats[i].path, (size_t)-1);
			sbuf_add(o->b, "</code></summary>\n");
		}
		doc_table(o, "ll", "key", "value");
		for (int j = 0; j < n; j++) {
			char buf[512];
			doc_tr(o);
			doc_tdd(o, NULL, lv[j].path, (size_t)-1);
			doc_tdd(o, NULL, lv[j].v ? rj_text(lv[j].v, buf, sizeof(buf)) : "", (size_t)-1);
			doc_tr_end(o);
		}
		doc_table_end(o);
		sbuf_add(o->b, "</details>\n");
		doc_md(o, "\n");
	}
}

static void data_dropped(struct doc *o, const struct report_data *d)
{
	doc_h3(o, "What was left out, and why");
	struct rj_leaf *lv = malloc(DROP_MAXLEAF * sizeof(*lv));
	if (!lv) {
		o->b->oom = 1;
		return;
	}
	dropped_counts(o, d, lv);
	dropped_messages(o, d, lv);
	stats_values(o, d, lv);
	free(lv);
}

/* The length histogram for the Markdown report: a table of at most ~20
 * rows (bins grouped), with bars of block characters.  edges: (nbins + 1);
 * cnt: (nbins) reviews per bin, of n in all; tail: the last bin is open-ended;
 * ml: max_len (0: none). */
static void lengths_table(struct doc *o, const double *edges, const double *cnt, int nbins,
			  int tail, double ml, size_t n)
{
	double mx = 0;
	for (int i = 0; i < nbins; i++)
		mx = fmax(mx, cnt[i]);
	/* group bins so the table stays short (at most ~20 rows) */
	int g = (nbins + 19) / 20;
	doc_table(o, "lrrl", "tokens", "reviews", "share", "");
	for (int i = 0; i < nbins; i += g) {
		double c2 = 0;
		int j2 = i + g < nbins ? i + g : nbins;
		for (int j = i; j < j2; j++)
			c2 += cnt[j];
		char range[64], bar[256] = "";
		int last_tail = tail && j2 == nbins;
		if (last_tail && i == nbins - 1)
			snprintf(range, sizeof(range), "%.0f and more", edges[i]);
		else
			snprintf(range, sizeof(range), "%.0f-%.0f%s", edges[i], edges[j2] - 1,
				 last_tail ? " and more" : "");
		int len = mx > 0 ? (int)lround(30 * c2 / (mx * g)) : 0;
		for (int q = 0; q < len && q < 60; q++)
			strcat(bar, "\xe2\x96\x88");
		int cut_here = ml > 0 && ml >= edges[i] && ml < edges[j2];
		doc_tr(o);
		doc_td(o, NULL, "%s%s", range, cut_here ? " (max_len)" : "");
		doc_td(o, NULL, "%s", fmt_count(c2));
		doc_td(o, NULL, "%s", fmt_pct(c2 / n, 1));
		doc_td(o, NULL, "%s", bar);
		doc_tr_end(o);
	}
	doc_table_end(o);
}

static void data_lengths(struct doc *o, const struct report_data *d)
{
	const struct data_info *di = &d->data;
	doc_h3(o, "Review length in tokens");
	if (!di->present || !di->n_lengths) {
		doc_na(o, "no split files with reviews to measure");
		return;
	}
	size_t n = di->n_lengths;
	uint32_t *v = malloc(n * sizeof(*v));
	if (!v) {
		o->b->oom = 1;
		return;
	}
	memcpy(v, di->lengths, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u32);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	double ml = di->meta.max_len;
	uint32_t p50 = v[n / 2], p90 = v[(size_t)(0.9 * (n - 1))], p99 = v[(size_t)(0.99 * (n - 1))];
	uint32_t p95 = v[(size_t)(0.95 * (n - 1))];
	uint64_t trunc = 0;
	for (size_t i = 0; i < n; i++)
		trunc += ml > 0 && v[i] > ml;
	/* bins: cover the 95th percentile and max_len with room on its right;
	 * the long tail is one open-ended bin */
	double hi = fmax(p95, ml > 0 ? ml * 1.25 : 0);
	if (hi < 8)
		hi = 8;
	double first, w;
	svg_ticks(0, hi, 40, 1, &first, &w);
	int nb = (int)ceil(hi / w);
	if (nb < 1)
		nb = 1;
	int tail = v[n - 1] >= nb * w;
	int nbins = nb + tail;
	double *edges = malloc((nbins + 1) * sizeof(*edges)), *cnt = calloc(nbins, sizeof(*cnt));
	if (!edges || !cnt) {
		free(v);
		free(edges);
		free(cnt);
		o->b->oom = 1;
		return;
	}
	for (int i = 0; i <= nbins; i++)
		edges[i] = i * w;
	for (size_t i = 0; i < n; i++) {
		int b = (int)(v[i] / w);
		cnt[b < nbins ? b : nbins - 1]++;
	}

	doc_p(o);
	doc_text(o, "%s reviews in the split files; length counted in tokens including [CLS] and "
		  "[SEP], before truncation. Median %u, mean %.1f, 90th percentile %u, "
		  "99th percentile %u, longest %u.", fmt_count((double)n), p50, sum / n, p90, p99,
	       v[n - 1]);
	if (ml > 0)
		doc_text(o, " %s reviews (%s) are longer than max_len = %.0f and were truncated "
			  "(%s).", fmt_count((double)trunc), fmt_pct((double)trunc / n, 1), ml,
		       di->meta.truncation ? di->meta.truncation : "head");
	else
		doc_text(o, " max_len is 0: nothing was truncated.");
	doc_pend(o);

	struct sbuf svg;
	sbuf_init(&svg);
	char tail_name[64], cut[64];
	snprintf(tail_name, sizeof(tail_name), "%.0f tokens and more", nb * w);
	snprintf(cut, sizeof(cut), "max_len = %.0f", ml);
	struct svg_vline vl = {ml, cut, C_BAD};
	struct svg_chart c = {.title = "Review length (all splits)",
			      .xlabel = "length (tokens, before truncation)",
			      .ylabel = "reviews", .width = 760, .height = 340,
			      .xmin = 0, .xmax = nbins * w, .ymin = NAN, .ymax = NAN,
			      .vlines = &vl, .nvlines = ml > 0};
	svg_histogram(&svg, &c, edges, cnt, nbins, "reviews per bin", tail ? tail_name : NULL);
	char cap[256];
	snprintf(cap, sizeof(cap), "Bins of %.0f tokens.%s%s", w,
		 ml > 0 ? " The dashed line is the max_len cut: longer reviews were truncated." : "",
		 tail ? " The last, lighter bar holds every longer review." : "");
	doc_figure(o, "lengths", &svg, cap);
	sbuf_free(&svg);
	if (o->md)
		lengths_table(o, edges, cnt, nbins, tail, ml, n);
	free(edges);
	free(cnt);
	free(v);
}

static const struct stats_file *find_stats(const struct report_data *d, const char *kind)
{
	for (int i = 0; i < d->n_stats; i++)
		if (!strcmp(d->stats[i].kind, kind))
			return &d->stats[i];
	return NULL;
}

/* What the split stats add: the fractions asked for, named vs hashed; and
 * the sizes themselves when the split files are absent. */
static void split_stats_note(struct doc *o, const struct report_data *d)
{
	const struct stats_file *st = find_stats(d, "split");
	json_t *sp = st ? json_object_get(st->json, "splits") : NULL;
	if (!json_is_object(sp))
		return;
	if (!d->data.present) {
		doc_h3(o, "Split sizes and class balance (from the split stats)");
		doc_table(o, "lrrl", "split", "reviews", "share", "classes");
		const char *key;
		json_t *v;
		json_object_foreach(sp, key, v) {
			char buf[512];
			doc_tr(o);
			doc_tdd(o, NULL, key, (size_t)-1);
			doc_td(o, NULL, "%s", fmt_count(json_num(v, "n")));
			doc_td(o, NULL, "%s", fmt_pct(json_num(v, "fraction"), 1));
			doc_tdd(o, NULL, json_is_object(json_object_get(v, "classes"))
				  ? rj_counts(json_object_get(v, "classes"), buf, sizeof(buf)) : "",
			      (size_t)-1);
			doc_tr_end(o);
		}
		doc_table_end(o);
	}
	json_t *fr = json_object_get(st->json, "fractions");
	double named = 0, hashed = 0;
	const char *key;
	json_t *v;
	json_object_foreach(sp, key, v) {
		named += isfinite(json_num(v, "named")) ? json_num(v, "named") : 0;
		hashed += isfinite(json_num(v, "hashed")) ? json_num(v, "hashed") : 0;
	}
	doc_p(o);
	if (json_is_object(fr))
		doc_text(o, "Split fractions asked for: train %s, validation %s, test %s. ",
		       fmt_pct(json_num(fr, "train"), 0), fmt_pct(json_num(fr, "validation"), 0),
		       fmt_pct(json_num(fr, "test"), 0));
	doc_text(o, "%s reviews placed by a split their dump named, %s by the hash of their text.",
	       fmt_count(named), fmt_count(hashed));
	doc_pend(o);
}

void report_section_data(struct doc *o, const struct report_data *d)
{
	doc_section(o, "data", "Data");
	if (!d->data.present) {
		doc_na(o, "no split files (train.tok, validation.tok, test.tok) were found, so split "
			"sizes, class balance and review lengths cannot be shown");
	} else {
		doc_p(o);
		doc_text(o, "Labels: ");
		for (int c = 0; c < d->data.meta.n_labels; c++) {
			doc_text(o, "%s", c ? ", " : "");
			doc_esc(o, d->data.meta.labels[c], (size_t)-1);
		}
		doc_text(o, ". Vocabulary: %s tokens; max_len %s; produced by ",
		       fmt_count(d->data.meta.vocab_size),
		       d->data.meta.max_len ? fmt_count(d->data.meta.max_len) : "0 (no truncation)");
		doc_esc(o, d->data.meta.producer ? d->data.meta.producer : "?", (size_t)-1);
		doc_text(o, ".");
		doc_pend(o);
		data_splits(o, d);
	}
	split_stats_note(o, d);
	data_dumps(o, d);
	data_dropped(o, d);
	data_lengths(o, d);
	doc_section_end(o);
}
