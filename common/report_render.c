/* report_render.c - the report's HTML and Markdown (see report_render.h).
 *
 * Each section is written once against a tiny document interface (struct
 * doc: headings, paragraphs, tables, figures) with an HTML and a Markdown
 * back end, so the two files always carry the same numbers.  Every string
 * that comes from data is escaped by that interface; raw markup is only
 * ever program text.  Plots come from report_svg.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "report_render.h"
#include "report_svg.h"

/* Okabe-Ito colours: distinguishable with the common colour-vision
 * deficiencies. */
static const char *const PALETTE[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
				      "#56b4e9", "#d55e00", "#f0e442", "#000000"};
#define C_TRAIN "#0072b2"
#define C_VAL "#e69f00"
#define C_F1 "#009e73"
#define C_BAD "#c0392b"

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
	"ul.bad-records{font-size:13px;margin:4px 0 10px}"
	"figure{display:table;margin:8px 0}"
	"figcaption{display:table-caption;caption-side:bottom;color:#555;font-size:13px;"
	"padding-top:4px}"
	"svg.plot{max-width:100%;height:auto;border:1px solid #eceef0}"
	".text{max-width:620px;white-space:pre-wrap;font-size:13px}"
	".bar{display:flex;width:160px;height:14px;border:1px solid #ccc;margin-top:3px}"
	".bar span{display:block;height:100%}"
	"details{margin:6px 0 10px}summary{cursor:pointer;color:#0b5cad}"
	"code{font-size:13px;background:#f3f3f3;padding:0 3px}"
	"footer{color:#666;font-size:13px}";

/* ---- formatting (rotating static buffers: several per printf) ---- */

static char *rbuf(void)
{
	static char bufs[32][96];
	static int k;
	return bufs[k++ % 32];
}

static const char *fnum(double v, int dec)
{
	char *s = rbuf();
	if (!isfinite(v))
		return "n/a";
	snprintf(s, 96, "%.*f", dec, v);
	return s;
}

static const char *fpct(double v, int dec)
{
	char *s = rbuf();
	if (!isfinite(v))
		return "n/a";
	snprintf(s, 96, "%.*f%%", dec, 100 * v);
	return s;
}

/* Whole number with thousands separators ("12,345"). */
static const char *fcount(double v)
{
	char *s = rbuf(), tmp[64];
	if (!isfinite(v))
		return "n/a";
	snprintf(tmp, sizeof(tmp), "%.0f", fabs(v));
	size_t n = strlen(tmp), j = 0;
	if (v < 0 && llround(v) != 0)
		s[j++] = '-';
	for (size_t i = 0; i < n; i++) {
		s[j++] = tmp[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			s[j++] = ',';
	}
	s[j] = 0;
	return s;
}

static const char *fdur(double sec)
{
	char *s = rbuf();
	if (!isfinite(sec))
		return "n/a";
	if (sec < 90)
		snprintf(s, 96, "%.1f s", sec);
	else if (sec < 3600)
		snprintf(s, 96, "%.0f min %02.0f s", floor(sec / 60), fmod(round(sec), 60));
	else
		snprintf(s, 96, "%.0f h %02.0f min", floor(sec / 3600), fmod(floor(sec / 60), 60));
	return s;
}

/* Signed difference in percentage points. */
static const char *fdelta_pp(double d)
{
	char *s = rbuf();
	if (!isfinite(d))
		return "n/a";
	snprintf(s, 96, "%+.2f pp", 100 * d);
	return s;
}

/* ---- the document interface ---- */

struct doc {
	struct sbuf *b;
	int md;
	const struct report_options *opt;
	struct report_output *out;
	const char *align; /* current table: 'l' or 'r' per column */
	int col;
};

static void d_esc(struct doc *o, const char *s, size_t n)
{
	if (o->md)
		sbuf_md(o->b, s, n);
	else
		sbuf_html(o->b, s, n);
}

/* Program text, formatted, then escaped like data (so "max_len" and "%"
 * are safe in both formats). */
static void __attribute__((format(printf, 2, 3))) d_text(struct doc *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d_esc(o, buf, (size_t)-1);
}

/* Raw markup for one format only. */
static void d_html(struct doc *o, const char *s)
{
	if (!o->md)
		sbuf_add(o->b, s);
}

static void d_mdraw(struct doc *o, const char *s)
{
	if (o->md)
		sbuf_add(o->b, s);
}

static void d_section(struct doc *o, const char *id, const char *title)
{
	if (o->md) {
		sbuf_add(o->b, "\n## ");
		d_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "\n\n");
	} else {
		sbuf_printf(o->b, "<section id=\"%s\">\n<h2>", id);
		d_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "</h2>\n");
	}
}

static void d_section_end(struct doc *o) { d_html(o, "</section>\n"); }

static void d_h3(struct doc *o, const char *title)
{
	d_mdraw(o, "### ");
	d_html(o, "<h3>");
	d_esc(o, title, (size_t)-1);
	d_html(o, "</h3>\n");
	d_mdraw(o, "\n\n");
}

static void d_p(struct doc *o) { d_html(o, "<p>"); }
static void d_pend(struct doc *o)
{
	d_html(o, "</p>\n");
	d_mdraw(o, "\n\n");
}

static void __attribute__((format(printf, 2, 3))) d_na(struct doc *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d_html(o, "<p class=\"na\">");
	d_mdraw(o, "*");
	d_esc(o, "Not available: ", (size_t)-1);
	d_esc(o, buf, (size_t)-1);
	d_mdraw(o, "*\n\n");
	d_html(o, "</p>\n");
}

/* Starts a table; align has one 'l' or 'r' per column, then the headers. */
static void d_table(struct doc *o, const char *align, ...)
{
	va_list ap;
	int n = (int)strlen(align);
	o->align = align;
	va_start(ap, align);
	d_html(o, "<div class=\"scroll\"><table>\n<thead><tr>");
	d_mdraw(o, "|");
	for (int i = 0; i < n; i++) {
		const char *h = va_arg(ap, const char *);
		d_html(o, align[i] == 'r' ? "<th class=\"num\">" : "<th>");
		d_mdraw(o, " ");
		d_esc(o, h, (size_t)-1);
		d_html(o, "</th>");
		d_mdraw(o, " |");
	}
	va_end(ap);
	d_html(o, "</tr></thead>\n<tbody>\n");
	if (o->md) {
		sbuf_add(o->b, "\n|");
		for (int i = 0; i < n; i++)
			sbuf_add(o->b, align[i] == 'r' ? "---:|" : "---|");
		sbuf_add(o->b, "\n");
	}
}

static void d_tr(struct doc *o)
{
	o->col = 0;
	d_html(o, "<tr>");
	d_mdraw(o, "|");
}

static void d_tr_end(struct doc *o)
{
	d_html(o, "</tr>\n");
	d_mdraw(o, "\n");
}

static void td_open(struct doc *o, const char *cls)
{
	int num = o->align && o->col < (int)strlen(o->align) && o->align[o->col] == 'r';
	o->col++;
	if (o->md) {
		sbuf_add(o->b, " ");
		return;
	}
	if (num || cls)
		sbuf_printf(o->b, "<td class=\"%s%s%s\">", num ? "num" : "",
			    num && cls ? " " : "", cls ? cls : "");
	else
		sbuf_add(o->b, "<td>");
}

static void td_close(struct doc *o)
{
	d_html(o, "</td>");
	d_mdraw(o, " |");
}

/* A cell of formatted program text; cls: extra HTML class or NULL. */
static void __attribute__((format(printf, 3, 4)))
d_td(struct doc *o, const char *cls, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	td_open(o, cls);
	d_esc(o, buf, (size_t)-1);
	td_close(o);
}

/* A cell of data text (n bytes, or -1 for a C string). */
static void d_tdd(struct doc *o, const char *cls, const char *s, size_t n)
{
	td_open(o, cls);
	d_esc(o, s ? s : "", s ? n : 0);
	td_close(o);
}

static void d_table_end(struct doc *o)
{
	d_html(o, "</tbody></table></div>\n");
	d_mdraw(o, "\n");
	o->align = NULL;
}

/* Places a plot: inline in HTML; in Markdown, a linked SVG file when the
 * options ask for them (the section carries a table either way). */
static void d_figure(struct doc *o, const char *name, const struct sbuf *svg,
		     const char *caption)
{
	if (!o->md) {
		sbuf_add(o->b, "<figure>\n");
		sbuf_add(o->b, sbuf_str(svg));
		if (caption) {
			sbuf_add(o->b, "<figcaption>");
			d_esc(o, caption, (size_t)-1);
			sbuf_add(o->b, "</figcaption>\n");
		}
		sbuf_add(o->b, "</figure>\n");
		return;
	}
	if (!o->opt->md_svg_prefix || o->out->n_files == REPORT_MAX_SVG)
		return;
	struct report_svg_file *f = &o->out->files[o->out->n_files++];
	snprintf(f->name, sizeof(f->name), "%s-%s.svg", o->opt->md_svg_prefix, name);
	sbuf_init(&f->svg);
	svg_standalone(&f->svg, sbuf_str(svg));
	sbuf_add(o->b, "![");
	d_esc(o, caption ? caption : name, (size_t)-1);
	sbuf_add(o->b, "](");
	d_esc(o, f->name, (size_t)-1);
	sbuf_add(o->b, ")\n\n");
}

/* ---- helpers over the data ---- */

/* A dotted stats key: in HTML a line may break after each '.' or '_'. */
static void d_key(struct doc *o, const char *key)
{
	if (o->md) {
		sbuf_md(o->b, key, (size_t)-1);
		return;
	}
	const char *p = key;
	while (*p) {
		size_t n = strcspn(p, "._");
		sbuf_html(o->b, p, n + (p[n] != 0));
		p += n + (p[n] != 0);
		if (*p)
			sbuf_add(o->b, "<wbr>");
	}
}


static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The dump a tokenize stats file describes (its "source"-like key), else
 * the stats file's own path. */
static const char *stats_source(const struct stats_file *st)
{
	static const char *names[] = {"source", "dump", "input", "file", "path", "name", NULL};
	for (int q = 0; names[q]; q++)
		if (jstr(st->json, names[q]))
			return jstr(st->json, names[q]);
	return st->path;
}

/* Any JSON scalar (or a short array of them) as text into buf. */
static const char *jtext(const json_t *v, char *buf, size_t n)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.6g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, n, "yes");
	else if (json_is_false(v))
		snprintf(buf, n, "no");
	else if (json_is_null(v) || !v)
		snprintf(buf, n, "n/a");
	else if (json_is_array(v)) {
		size_t i, len = 0;
		json_t *x;
		buf[0] = 0;
		json_array_foreach(v, i, x) {
			char one[256];
			if (json_is_array(x) || json_is_object(x))
				snprintf(one, sizeof(one), "{...}");
			else
				jtext(x, one, sizeof(one));
			if (len + strlen(one) + 3 >= n || i >= 12) {
				snprintf(buf + len, n - len, "%s...", i ? ", " : "");
				break;
			}
			len += snprintf(buf + len, n - len, "%s%s", i ? ", " : "", one);
		}
	} else
		snprintf(buf, n, "{...}");
	return buf;
}

/* The scalar leaves of a JSON object, with dotted paths ("dropped.neutral");
 * arrays of scalars are one leaf, arrays of objects list their first items. */
struct leaf {
	char path[160];
	json_t *v;
};

static int flatten(json_t *o, const char *prefix, struct leaf *out, int n, int max, int depth)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (n >= max)
			return n;
		char path[160];
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
		int objs = json_is_array(v) && json_array_size(v) &&
			   json_is_object(json_array_get(v, 0));
		if (json_is_object(v) && depth < 4) {
			n = flatten(v, path, out, n, max, depth + 1);
		} else if (objs && depth < 4) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				char p2[160];
				if (i == 5 || n >= max) {
					if (n < max) {
						snprintf(out[n].path, sizeof(out[n].path),
							 "%.120s (%zu items, first 5 shown)", path,
							 json_array_size(v));
						out[n++].v = NULL;
					}
					break;
				}
				snprintf(p2, sizeof(p2), "%.120s[%zu]", path, i);
				if (json_is_object(x))
					n = flatten(x, p2, out, n, max, depth + 1);
			}
		} else {
			snprintf(out[n].path, sizeof(out[n].path), "%s", path);
			out[n++].v = v;
		}
	}
	return n;
}

/* Does a stats key say why reviews were left out? */
static int is_drop_key(const char *path)
{
	static const char *words[] = {"drop", "skip", "bad", "neutral", "dup", "conflict",
				      "invalid", "error", "unmapped", "unknown", "reject",
				      "empty", "missing", "removed", "filtered", "excluded",
				      "malformed", "truncated_gzip", NULL};
	char low[160];
	size_t i;
	/* per-item details ("inputs[0].dropped") and label counts ("labels.bad",
	 * "raw_labels.neutral") are not reasons */
	if (strchr(path, '[') || !strncmp(path, "labels.", 7) || !strncmp(path, "raw_labels.", 11) ||
	    !strncmp(path, "classes.", 8) || strstr(path, ".labels.") || strstr(path, ".classes."))
		return 0;
	for (i = 0; path[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)path[i]);
	low[i] = 0;
	for (int k = 0; words[k]; k++)
		if (strstr(low, words[k]))
			return 1;
	return 0;
}

/* A short label for a run id: "2026-11-30T03:00:12Z" -> "11-30 03:00". */
static void short_run(const char *run, char *out, size_t n)
{
	if (strlen(run) >= 16 && run[4] == '-' && run[7] == '-' && run[10] == 'T')
		snprintf(out, n, "%.5s %.5s", run + 5, run + 11);
	else
		snprintf(out, n, "%.14s", run);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- header and summary ---- */

static void model_line(const struct report_data *d, char *buf, size_t n)
{
	json_t *c = d->train ? json_object_get(d->train, "config") : NULL;
	buf[0] = 0;
	if (!c)
		return;
	const char *cell = jstr(c, "cell");
	char up[16] = "";
	for (int i = 0; cell && cell[i] && i < 15; i++)
		up[i] = (char)toupper((unsigned char)cell[i]), up[i + 1] = 0;
	double L = json_num(c, "layers");
	json_t *bi = json_object_get(c, "bidirectional");
	snprintf(buf, n, "%s%s, embedding %s, hidden %s, %s layer%s, max_len %s, vocabulary %s",
		 json_is_true(bi) ? "bidirectional " : "", *up ? up : "RNN",
		 fcount(json_num(c, "embed")), fcount(json_num(c, "hidden")), fcount(L),
		 L == 1 ? "" : "s", fcount(json_num(c, "max_len")),
		 fcount(json_num(c, "vocab_size")));
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
		d_esc(o, key, (size_t)-1);
		sbuf_add(o->b, ": **");
		d_esc(o, value, (size_t)-1);
		sbuf_add(o->b, "**\n");
		return;
	}
	sbuf_printf(o->b, "<div class=\"card\"><div class=\"v%s%s\">", cls ? " " : "",
		    cls ? cls : "");
	d_esc(o, value, (size_t)-1);
	sbuf_add(o->b, "</div><div class=\"k\">");
	d_esc(o, key, (size_t)-1);
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
		d_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "\n\n*");
		if (*model)
			d_text(o, "%s. ", model);
		d_text(o, "Generated %s by the report stage of rnnpipe.", when);
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
		d_esc(o, title, (size_t)-1);
		sbuf_printf(o->b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<header>\n<h1>",
			    CSS);
		d_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "</h1>\n<p class=\"sub\">");
		if (*model)
			d_text(o, "%s. ", model);
		d_text(o, "Generated %s by the report stage of rnnpipe.", when);
		sbuf_add(o->b, "</p>\n<nav><a href=\"#data\">Data</a><a href=\"#training\">Training</a>"
			 "<a href=\"#evaluation\">Evaluation</a><a href=\"#examples\">Examples</a>"
			 "<a href=\"#history\">Earlier runs</a><a href=\"#inputs\">Inputs</a></nav>\n"
			 "</header>\n");
	}

	/* headline numbers */
	d_html(o, "<div class=\"cards\">\n");
	if (d->metrics) {
		card(o, "test accuracy", fpct(json_num(d->metrics, "accuracy"), 2), NULL);
		card(o, "macro F1", fnum(json_num(d->metrics, "macro_f1"), 4), NULL);
		if (isfinite(json_num(d->metrics, "roc_auc")))
			card(o, "ROC AUC", fnum(json_num(d->metrics, "roc_auc"), 4), NULL);
		card(o, "test reviews", fcount(json_num(d->metrics, "n")), NULL);
	}
	const struct history_row *base = baseline_run(d);
	if (d->metrics && base && isfinite(base->accuracy)) {
		double delta = json_num(d->metrics, "accuracy") - base->accuracy;
		char key[128], sr[32];
		short_run(base->run, sr, sizeof(sr));
		snprintf(key, sizeof(key), "accuracy vs last promoted run (%s)", sr);
		card(o, key, fdelta_pp(delta), delta < -1e-12 ? "worse" : delta > 1e-12 ? "better"
									  : NULL);
	}
	if (d->train) {
		char v[64];
		snprintf(v, sizeof(v), "%s of %s", fcount(json_num(d->train, "best_epoch")),
			 fcount(json_num(d->train, "epochs_run")));
		card(o, "best epoch", v, NULL);
		card(o, "training time", fdur(json_num(d->train, "seconds")), NULL);
		snprintf(v, sizeof(v), "%s seq/s", fnum(json_num(d->train, "seq_per_s"), 1));
		card(o, "training throughput", v, NULL);
		const char *dev = jstr(d->train, "device");
		card(o, "device", dev ? dev : "n/a", NULL);
	}
	if (!d->metrics && !d->train)
		card(o, "model", "not trained yet (no metrics.json, no train.json)", NULL);
	d_html(o, "</div>\n");
	d_mdraw(o, "\n");
}

/* ---- data ---- */

static void class_bar(struct doc *o, const uint64_t *per_class, int k, uint64_t total)
{
	if (o->md || !total)
		return;
	sbuf_add(o->b, "<div class=\"bar\">");
	for (int c = 0; c < k; c++)
		sbuf_printf(o->b, "<span style=\"width:%.2f%%;background:%s\"></span>",
			    100.0 * per_class[c] / total, PALETTE[c % 8]);
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
	d_h3(o, "Split sizes and class balance");
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
	d_html(o, "<div class=\"scroll\"><table>\n<thead><tr><th>split</th><th class=\"num\">reviews"
		  "</th><th class=\"num\">share</th>");
	d_mdraw(o, "| split | reviews | share |");
	for (int c = 0; c < k; c++) {
		d_html(o, "<th class=\"num\">");
		d_mdraw(o, " ");
		if (!o->md)
			sbuf_printf(o->b, "<span style=\"color:%s\">&#9632;</span> ", PALETTE[c % 8]);
		d_esc(o, di->meta.labels[c], (size_t)-1);
		d_html(o, "</th>");
		d_mdraw(o, " |");
	}
	if (unl) {
		d_html(o, "<th class=\"num\">not labelled</th>");
		d_mdraw(o, " not labelled |");
	}
	d_html(o, "<th class=\"num\">truncated</th></tr></thead>\n<tbody>\n");
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
		d_tr(o);
		td_open(o, NULL);
		d_esc(o, s < 3 ? tok_split_name(s + 1) : "total", (size_t)-1);
		if (s < 3 && !st->present)
			d_esc(o, " (file not found)", (size_t)-1);
		else
			class_bar(o, pc, k, n);
		td_close(o);
		d_td(o, NULL, "%s", fcount((double)n));
		d_td(o, NULL, "%s", all ? fpct((double)n / all, 1) : "n/a");
		for (int c = 0; c < k; c++)
			d_td(o, NULL, "%s (%s)", fcount((double)pc[c]),
			     n ? fpct((double)pc[c] / n, 1) : "n/a");
		if (unl)
			d_td(o, NULL, "%s", fcount((double)pc[REPORT_MAX_CLASSES]));
		uint64_t tr = st ? st->truncated : trunc;
		d_td(o, NULL, "%s (%s)", fcount((double)tr), n ? fpct((double)tr / n, 1) : "n/a");
		d_tr_end(o);
	}
	d_table_end(o);
}

/* "k1 n1, k2 n2" for an object of counts (raw labels, reasons). */
static const char *inline_counts(const json_t *obj, char *buf, size_t n)
{
	const char *key;
	json_t *v;
	size_t len = 0;
	buf[0] = 0;
	json_object_foreach((json_t *)obj, key, v) {
		char one[192], val[64];
		snprintf(one, sizeof(one), "%s%.120s %s", len ? ", " : "", key,
			 json_is_number(v) ? fcount(json_number_value(v)) : jtext(v, val, sizeof(val)));
		if (len + strlen(one) + 4 >= n) {
			snprintf(buf + len, n - len, ", ...");
			break;
		}
		len += (size_t)snprintf(buf + len, n - len, "%s", one);
	}
	return len ? buf : "none";
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
					rows[n].name = jstr(v, "path") ? jstr(v, "path") : st->path;
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

static void data_dumps(struct doc *o, const struct report_data *d)
{
	const struct data_info *di = &d->data;
	int k = di->meta.n_labels;
	d_h3(o, "Reviews per dump");

	/* read by tokenize: the documented keys first, else every count found */
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
		d_p(o);
		d_text(o, "Read by tokenize (from its stats files): records in each dump, the "
			  "ones tokenized, the bad ones skipped and why, and those longer than "
			  "max_len.");
		d_pend(o);
		char align[MAXCOL + 2];
		align[0] = 'l';
		for (int c = 0; c < ncol; c++)
			align[c + 1] = json_is_number(json_object_get(rows[0].obj, cols[c])) ? 'r' : 'l';
		align[ncol + 1] = 0;
		o->align = NULL;
		d_html(o, "<div class=\"scroll\"><table class=\"wide\">\n<thead><tr><th>dump</th>");
		d_mdraw(o, "| dump |");
		for (int c = 0; c < ncol; c++) {
			d_html(o, align[c + 1] == 'r' ? "<th class=\"num\">" : "<th>");
			d_mdraw(o, " ");
			d_key(o, heads[c]);
			d_html(o, "</th>");
			d_mdraw(o, " |");
		}
		d_html(o, "</tr></thead>\n<tbody>\n");
		if (o->md) {
			sbuf_add(o->b, "\n|");
			for (int c = 0; c <= ncol; c++)
				sbuf_add(o->b, align[c] == 'r' ? "---:|" : "---|");
			sbuf_add(o->b, "\n");
		}
		o->align = align;
		double sum[MAXCOL] = {0};
		for (int r = 0; r < nrow; r++) {
			d_tr(o);
			d_tdd(o, NULL, rows[r].name, (size_t)-1);
			for (int c = 0; c < ncol; c++) {
				json_t *v = json_object_get(rows[r].obj, cols[c]);
				char buf[512];
				if (json_is_number(v)) {
					double x = json_number_value(v);
					sum[c] += x;
					d_td(o, !strcmp(cols[c], "bad") && x > 0 ? "worse" : NULL, "%s",
					     json_is_integer(v) ? fcount(x) : fnum(x, 1));
				} else if (json_is_object(v)) {
					d_tdd(o, NULL, inline_counts(v, buf, sizeof(buf)), (size_t)-1);
				} else {
					d_tdd(o, NULL, v ? jtext(v, buf, sizeof(buf)) : "", (size_t)-1);
				}
			}
			d_tr_end(o);
		}
		if (nrow > 1) {
			d_tr(o);
			d_td(o, NULL, "total");
			for (int c = 0; c < ncol; c++) {
				int additive = json_is_integer(json_object_get(rows[0].obj, cols[c]));
				d_td(o, NULL, "%s", additive ? fcount(sum[c]) : "");
			}
			d_tr_end(o);
		}
		d_table_end(o);
	} else {
		d_na(o, "no tokenize stats (--tok-stats), so reviews read and rejected per dump "
			"are not shown");
	}
	free(rows);

	/* kept, by dump and class, counted in the split files */
	if (di->present && di->meta.n_sources) {
		d_p(o);
		d_text(o, "Kept after filter-relabel (labels mapped, duplicates and conflicts "
			  "removed), counted in the split files by the dump each review came from.");
		d_pend(o);
		o->align = NULL;
		d_html(o, "<div class=\"scroll\"><table>\n<thead><tr><th>dump</th>"
			  "<th class=\"num\">kept reviews</th>");
		d_mdraw(o, "| dump | kept reviews |");
		for (int c = 0; c < k; c++) {
			d_html(o, "<th class=\"num\">");
			d_mdraw(o, " ");
			d_esc(o, di->meta.labels[c], (size_t)-1);
			d_html(o, "</th>");
			d_mdraw(o, " |");
		}
		d_html(o, "</tr></thead>\n<tbody>\n");
		char align[REPORT_MAX_CLASSES + 3];
		memset(align, 'r', sizeof(align));
		align[0] = 'l';
		align[k + 2] = 0;
		if (o->md) {
			sbuf_add(o->b, "\n|---|");
			for (int c = 0; c <= k; c++)
				sbuf_add(o->b, "---:|");
			sbuf_add(o->b, "\n");
		}
		o->align = align;
		for (int i = 0; i < di->meta.n_sources; i++) {
			const uint64_t *row = di->per_source + (size_t)i * (REPORT_MAX_CLASSES + 1);
			uint64_t n = 0;
			for (int c = 0; c <= REPORT_MAX_CLASSES; c++)
				n += row[c];
			d_tr(o);
			d_tdd(o, NULL, di->meta.sources[i].name, (size_t)-1);
			d_td(o, NULL, "%s", fcount((double)n));
			for (int c = 0; c < k; c++)
				d_td(o, NULL, "%s (%s)", fcount((double)row[c]),
				     n ? fpct((double)row[c] / n, 1) : "n/a");
			d_tr_end(o);
		}
		d_table_end(o);
	} else {
		d_na(o, "no split files to count the kept reviews per dump");
	}
}

/* Arrays of strings under keys like "examples" or "errors": the bad records
 * a stage reported with file:line and reason. */
static int is_message_key(const char *path)
{
	static const char *words[] = {"error", "bad", "reject", "warning", "message", "skipped",
				      "invalid", "conflict", "unknown", "example", NULL};
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
	d_p(o);
	d_text(o, "Per input of filter-relabel (older dumps first, so a duplicate is dropped "
		  "from the newer dump):");
	d_pend(o);
	o->align = NULL;
	d_html(o, "<div class=\"scroll\"><table>\n<thead><tr><th>dump</th><th class=\"num\">in</th>"
		  "<th class=\"num\">kept</th>");
	d_mdraw(o, "| dump | in | kept |");
	for (int r = 0; r < nr; r++) {
		d_html(o, "<th class=\"num\">");
		d_mdraw(o, " ");
		d_text(o, "%s", reasons[r]);
		d_html(o, "</th>");
		d_mdraw(o, " |");
	}
	d_html(o, "</tr></thead>\n<tbody>\n");
	if (o->md) {
		sbuf_add(o->b, "\n|---|");
		for (int r = 0; r < nr + 2; r++)
			sbuf_add(o->b, "---:|");
		sbuf_add(o->b, "\n");
	}
	o->align = align;
	size_t i;
	json_t *x;
	json_array_foreach(in, i, x) {
		char names[512];
		json_t *dumps = json_object_get(x, "dumps");
		const char *file = jstr(x, "file");
		d_tr(o);
		d_tdd(o, NULL, json_array_size(dumps) ? jtext(dumps, names, sizeof(names))
						    : file ? file : "?", (size_t)-1);
		d_td(o, NULL, "%s", fcount(json_num(x, "in")));
		d_td(o, NULL, "%s", fcount(json_num(x, "kept")));
		json_t *dr = json_object_get(x, "dropped");
		for (int r = 0; r < nr; r++) {
			double c = json_num(dr, reasons[r]);
			d_td(o, c > 0 ? "worse" : NULL, "%s", fcount(c));
		}
		d_tr_end(o);
	}
	d_table_end(o);
}

static void data_dropped(struct doc *o, const struct report_data *d)
{
	d_h3(o, "What was left out, and why");
	enum { MAXLEAF = 512, MAXROW = 128 };
	struct leaf *lv = malloc(MAXLEAF * sizeof(*lv));
	struct drop *rows = calloc(MAXROW, sizeof(*rows));
	if (!lv || !rows) {
		free(lv);
		free(rows);
		o->b->oom = 1;
		return;
	}
	/* the text stages' own keys where the format is known; else every count
	 * whose name says "dropped", "skipped", "bad"... (label counts excluded) */
	int nrows = 0, guessed = 0;
	for (int i = 0; i < d->n_stats; i++) {
		if (known_drops(&d->stats[i], rows, &nrows, MAXROW))
			continue;
		int n = flatten(d->stats[i].json, "", lv, 0, MAXLEAF, 0);
		for (int j = 0; j < n; j++) {
			if (lv[j].v && json_is_number(lv[j].v) && is_drop_key(lv[j].path)) {
				drop_add(rows, &nrows, MAXROW, d->stats[i].kind, lv[j].path, "",
					 json_number_value(lv[j].v));
				guessed = 1;
			}
		}
	}
	const struct stats_file *filter = NULL;
	for (int i = 0; i < d->n_stats; i++)
		if (!strcmp(d->stats[i].kind, "filter-relabel"))
			filter = &d->stats[i];
	if (filter && jstr(filter->json, "labels")) {
		d_p(o);
		d_text(o, "Label map of filter-relabel: ");
		d_esc(o, jstr(filter->json, "labels"), (size_t)-1);
		d_text(o, ".");
		d_pend(o);
	}
	if (nrows) {
		d_p(o);
		d_text(o, "Reviews left out by each stage, summed over its stats files%s.",
		       guessed ? " (for stats files in an unknown format: every count whose name "
				 "says dropped, skipped, bad or rejected)" : "");
		d_pend(o);
		d_table(o, "lllrr", "stage", "reason", "meaning", "reviews", "files");
		for (int r = 0; r < nrows; r++) {
			d_tr(o);
			d_tdd(o, NULL, rows[r].kind, (size_t)-1);
			td_open(o, NULL);
			d_key(o, rows[r].key);
			td_close(o);
			d_tdd(o, NULL, rows[r].text, (size_t)-1);
			d_td(o, rows[r].sum > 0 ? "worse" : NULL, "%s", fcount(rows[r].sum));
			d_td(o, NULL, "%d", rows[r].files);
			d_tr_end(o);
		}
		d_table_end(o);
	} else if (d->n_stats) {
		d_na(o, "the stats files hold no count of left-out reviews (see all their "
			"values below)");
	} else {
		d_na(o, "no stats files of tokenize, filter-relabel or split were given "
			"(--tok-stats, --filter-stats, --split-stats)");
	}
	if (filter)
		filter_inputs(o, filter);

	/* the bad records themselves, as the stages reported them */
	int shown_head = 0;
	for (int i = 0; i < d->n_stats; i++) {
		int n = flatten(d->stats[i].json, "", lv, 0, MAXLEAF, 0);
		for (int j = 0; j < n; j++) {
			json_t *a = lv[j].v;
			if (!json_is_array(a) || !json_array_size(a) ||
			    !json_is_string(json_array_get(a, 0)) || !is_message_key(lv[j].path))
				continue;
			if (!shown_head++) {
				d_p(o);
				d_text(o, "Bad records as the stages reported them (the first ones of "
					  "each stats file):");
				d_pend(o);
			}
			d_html(o, "<ul class=\"bad-records\">\n");
			size_t k, total = json_array_size(a);
			json_t *m;
			json_array_foreach(a, k, m) {
				if (k == 10)
					break;
				d_html(o, "<li>");
				d_mdraw(o, "- ");
				d_esc(o, json_is_string(m) ? json_string_value(m) : "?", (size_t)-1);
				d_html(o, "</li>\n");
				d_mdraw(o, "\n");
			}
			if (total > 10) {
				d_html(o, "<li>");
				d_mdraw(o, "- ");
				d_text(o, "... %zu more in '%s' (%s)", total - 10, d->stats[i].path,
				       lv[j].path);
				d_html(o, "</li>\n");
				d_mdraw(o, "\n");
			}
			d_html(o, "</ul>\n");
			d_mdraw(o, "\n");
		}
	}

	/* every value of every stats file, for the record */
	for (int i = 0; i < d->n_stats; i++) {
		int n = flatten(d->stats[i].json, "", lv, 0, MAXLEAF, 0);
		if (o->md) { /* GitHub and most viewers fold <details> in Markdown too */
			sbuf_add(o->b, "<details><summary>All values in ");
			d_esc(o, d->stats[i].kind, (size_t)-1);
			sbuf_add(o->b, " stats ");
			d_esc(o, d->stats[i].path, (size_t)-1);
			sbuf_add(o->b, "</summary>\n\n");
		} else {
			sbuf_add(o->b, "<details><summary>All values in ");
			d_esc(o, d->stats[i].kind, (size_t)-1);
			sbuf_add(o->b, " stats <code>");
			d_esc(o, d->stats[i].path, (size_t)-1);
			sbuf_add(o->b, "</code></summary>\n");
		}
		d_table(o, "ll", "key", "value");
		for (int j = 0; j < n; j++) {
			char buf[512];
			d_tr(o);
			d_tdd(o, NULL, lv[j].path, (size_t)-1);
			d_tdd(o, NULL, lv[j].v ? jtext(lv[j].v, buf, sizeof(buf)) : "", (size_t)-1);
			d_tr_end(o);
		}
		d_table_end(o);
		sbuf_add(o->b, "</details>\n");
		d_mdraw(o, "\n");
	}
	free(rows);
	free(lv);
}

static void data_lengths(struct doc *o, const struct report_data *d)
{
	const struct data_info *di = &d->data;
	d_h3(o, "Review length in tokens");
	if (!di->present || !di->n_lengths) {
		d_na(o, "no split files with reviews to measure");
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

	d_p(o);
	d_text(o, "%s reviews in the split files; length counted in tokens including [CLS] and "
		  "[SEP], before truncation. Median %u, mean %.1f, 90th percentile %u, "
		  "99th percentile %u, longest %u.", fcount((double)n), p50, sum / n, p90, p99,
	       v[n - 1]);
	if (ml > 0)
		d_text(o, " %s reviews (%s) are longer than max_len = %.0f and were truncated "
			  "(%s).", fcount((double)trunc), fpct((double)trunc / n, 1), ml,
		       di->meta.truncation ? di->meta.truncation : "head");
	else
		d_text(o, " max_len is 0: nothing was truncated.");
	d_pend(o);

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
	d_figure(o, "lengths", &svg, cap);
	sbuf_free(&svg);
	if (o->md) {
		/* the histogram as a table, with bars of block characters */
		double mx = 0;
		for (int i = 0; i < nbins; i++)
			mx = fmax(mx, cnt[i]);
		/* group bins so the table stays short (at most ~20 rows) */
		int g = (nbins + 19) / 20;
		d_table(o, "lrrl", "tokens", "reviews", "share", "");
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
			d_tr(o);
			d_td(o, NULL, "%s%s", range, cut_here ? " (max_len)" : "");
			d_td(o, NULL, "%s", fcount(c2));
			d_td(o, NULL, "%s", fpct(c2 / n, 1));
			d_td(o, NULL, "%s", bar);
			d_tr_end(o);
		}
		d_table_end(o);
	}
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
		d_h3(o, "Split sizes and class balance (from the split stats)");
		d_table(o, "lrrl", "split", "reviews", "share", "classes");
		const char *key;
		json_t *v;
		json_object_foreach(sp, key, v) {
			char buf[512];
			d_tr(o);
			d_tdd(o, NULL, key, (size_t)-1);
			d_td(o, NULL, "%s", fcount(json_num(v, "n")));
			d_td(o, NULL, "%s", fpct(json_num(v, "fraction"), 1));
			d_tdd(o, NULL, json_is_object(json_object_get(v, "classes"))
				  ? inline_counts(json_object_get(v, "classes"), buf, sizeof(buf)) : "",
			      (size_t)-1);
			d_tr_end(o);
		}
		d_table_end(o);
	}
	json_t *fr = json_object_get(st->json, "fractions");
	double named = 0, hashed = 0;
	const char *key;
	json_t *v;
	json_object_foreach(sp, key, v) {
		named += isfinite(json_num(v, "named")) ? json_num(v, "named") : 0;
		hashed += isfinite(json_num(v, "hashed")) ? json_num(v, "hashed") : 0;
	}
	d_p(o);
	if (json_is_object(fr))
		d_text(o, "Split fractions asked for: train %s, validation %s, test %s. ",
		       fpct(json_num(fr, "train"), 0), fpct(json_num(fr, "validation"), 0),
		       fpct(json_num(fr, "test"), 0));
	d_text(o, "%s reviews placed by a split their dump named, %s by the hash of their text.",
	       fcount(named), fcount(hashed));
	d_pend(o);
}

static void section_data(struct doc *o, const struct report_data *d)
{
	d_section(o, "data", "Data");
	if (!d->data.present) {
		d_na(o, "no split files (train.tok, validation.tok, test.tok) were found, so split "
			"sizes, class balance and review lengths cannot be shown");
	} else {
		d_p(o);
		d_text(o, "Labels: ");
		for (int c = 0; c < d->data.meta.n_labels; c++) {
			d_text(o, "%s", c ? ", " : "");
			d_esc(o, d->data.meta.labels[c], (size_t)-1);
		}
		d_text(o, ". Vocabulary: %s tokens; max_len %s; produced by ",
		       fcount(d->data.meta.vocab_size),
		       d->data.meta.max_len ? fcount(d->data.meta.max_len) : "0 (no truncation)");
		d_esc(o, d->data.meta.producer ? d->data.meta.producer : "?", (size_t)-1);
		d_text(o, ".");
		d_pend(o);
		data_splits(o, d);
	}
	split_stats_note(o, d);
	data_dumps(o, d);
	data_dropped(o, d);
	data_lengths(o, d);
	d_section_end(o);
}

/* ---- training ---- */

static void section_training(struct doc *o, const struct report_data *d)
{
	d_section(o, "training", "Training");
	if (!d->train && !d->epochs) {
		d_na(o, "neither train.json nor train-log.jsonl was found");
		d_section_end(o);
		return;
	}
	d_html(o, "<div class=\"row\"><div>\n");
	d_h3(o, "Run");
	if (d->train) {
		json_t *t = d->train;
		char buf[256];
		d_table(o, "ll", "item", "value");
		static const char *known[] = {"config", "device", "threads", "epochs_run",
					      "best_epoch", "best_val_loss", "stopped", "seconds",
					      "seq_per_s", "train_examples", "validation_examples", NULL};
		const char *dev = jstr(t, "device");
		d_tr(o); d_td(o, NULL, "device"); d_tdd(o, NULL, dev ? dev : "n/a", (size_t)-1); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "CPU threads"); d_td(o, NULL, "%s", fcount(json_num(t, "threads"))); d_tr_end(o);
		json_t *cfg = json_object_get(t, "config");
		snprintf(buf, sizeof(buf), "%s of %s planned", fcount(json_num(t, "epochs_run")),
			 fcount(json_num(cfg, "epochs")));
		d_tr(o); d_td(o, NULL, "epochs run"); d_td(o, NULL, "%s", buf); d_tr_end(o);
		const char *stopped = jstr(t, "stopped");
		d_tr(o); d_td(o, NULL, "stopped by");
		d_tdd(o, stopped && !strcmp(stopped, "nan") ? "bad" : NULL, stopped ? stopped : "n/a",
		      (size_t)-1);
		d_tr_end(o);
		d_tr(o); d_td(o, NULL, "best epoch"); d_td(o, NULL, "%s", fcount(json_num(t, "best_epoch"))); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "best validation loss"); d_td(o, NULL, "%s", fnum(json_num(t, "best_val_loss"), 4)); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "training time"); d_td(o, NULL, "%s", fdur(json_num(t, "seconds"))); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "throughput"); d_td(o, NULL, "%s sequences/s", fnum(json_num(t, "seq_per_s"), 1)); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "training reviews"); d_td(o, NULL, "%s", fcount(json_num(t, "train_examples"))); d_tr_end(o);
		d_tr(o); d_td(o, NULL, "validation reviews"); d_td(o, NULL, "%s", fcount(json_num(t, "validation_examples"))); d_tr_end(o);
		/* anything else train.json carries */
		const char *key;
		json_t *v;
		json_object_foreach(t, key, v) {
			int k2 = 0;
			while (known[k2] && strcmp(known[k2], key))
				k2++;
			if (known[k2] || json_is_object(v))
				continue;
			d_tr(o);
			d_tdd(o, NULL, key, (size_t)-1);
			d_tdd(o, NULL, jtext(v, buf, sizeof(buf)), (size_t)-1);
			d_tr_end(o);
		}
		d_table_end(o);
	} else {
		d_na(o, "train.json was not found (configuration, time and device unknown)");
	}
	d_html(o, "</div><div>\n");
	d_h3(o, "Configuration");
	json_t *cfg = d->train ? json_object_get(d->train, "config") : NULL;
	if (cfg) {
		const char *key;
		json_t *v;
		d_table(o, "ll", "setting", "value");
		json_object_foreach(cfg, key, v) {
			char buf[512];
			d_tr(o);
			d_tdd(o, NULL, key, (size_t)-1);
			d_tdd(o, NULL, jtext(v, buf, sizeof(buf)), (size_t)-1);
			d_tr_end(o);
		}
		d_table_end(o);
	} else {
		d_na(o, "no configuration in train.json");
	}
	d_html(o, "</div></div>\n");

	d_h3(o, "Learning curves");
	int n = d->n_epochs;
	if (!d->epochs || n == 0) {
		d_na(o, "train-log.jsonl %s", d->epochs ? "holds no finished epoch" : "was not found");
		d_section_end(o);
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
	d_html(o, "<div class=\"row\">\n");
	svg_line_chart(&svg, &lc);
	d_figure(o, "loss", &svg, "Training loss is the mean over the epoch's batches; "
		 "validation loss is measured on the whole validation split after the epoch.");
	svg.len = 0;
	svg_line_chart(&svg, &ac);
	d_figure(o, "accuracy", &svg, "Accuracy on training batches and on the validation split, "
		 "and the validation macro F1.");
	d_html(o, "</div>\n");
	sbuf_free(&svg);
	free(x);

	d_html(o, "<details><summary>Per-epoch numbers</summary>\n");
	d_table(o, "rrrrrrrrr", "epoch", "loss", "accuracy", "val loss", "val accuracy",
		"val macro F1", "time", "seq/s", "learning rate");
	for (int i = 0; i < n; i++) {
		const struct epoch_row *e = &d->epochs[i];
		d_tr(o);
		d_td(o, e->epoch == best ? "better" : NULL, "%.0f", e->epoch);
		d_td(o, NULL, "%s", fnum(e->loss, 4));
		d_td(o, NULL, "%s", fnum(e->accuracy, 4));
		d_td(o, NULL, "%s", fnum(e->val_loss, 4));
		d_td(o, NULL, "%s", fnum(e->val_accuracy, 4));
		d_td(o, NULL, "%s", fnum(e->val_macro_f1, 4));
		d_td(o, NULL, "%s", fdur(e->seconds));
		d_td(o, NULL, "%s", fnum(e->seq_per_s, 1));
		d_td(o, NULL, "%.3g", e->lr);
		d_tr_end(o);
	}
	d_table_end(o);
	d_html(o, "</details>\n");
	d_section_end(o);
}

/* ---- evaluation ---- */

static void section_evaluation(struct doc *o, const struct report_data *d)
{
	json_t *m = d->metrics;
	const char *split = m && jstr(m, "split") ? jstr(m, "split") : "test";
	d_section(o, "evaluation", "Evaluation");
	if (!m) {
		d_na(o, "metrics.json was not found");
		d_section_end(o);
		return;
	}
	d_p(o);
	d_text(o, "On the held-out ");
	d_esc(o, split, (size_t)-1);
	d_text(o, " split, which training never saw.");
	d_pend(o);
	int k = d->n_classes;
	d_html(o, "<div class=\"row\"><div>\n");
	d_table(o, "lr", "metric", "value");
	d_tr(o); d_td(o, NULL, "reviews (n)"); d_td(o, NULL, "%s", fcount(json_num(m, "n"))); d_tr_end(o);
	d_tr(o); d_td(o, NULL, "accuracy"); d_td(o, NULL, "%s (%s)", fnum(json_num(m, "accuracy"), 4), fpct(json_num(m, "accuracy"), 2)); d_tr_end(o);
	d_tr(o); d_td(o, NULL, "macro F1"); d_td(o, NULL, "%s", fnum(json_num(m, "macro_f1"), 4)); d_tr_end(o);
	d_tr(o); d_td(o, NULL, "loss"); d_td(o, NULL, "%s", fnum(json_num(m, "loss"), 4)); d_tr_end(o);
	d_tr(o); d_td(o, NULL, "ROC AUC"); d_td(o, NULL, "%s", fnum(json_num(m, "roc_auc"), 4)); d_tr_end(o);
	d_table_end(o);
	if (jstr(m, "model") || jstr(m, "dataset")) {
		d_p(o);
		d_text(o, "Model ");
		d_esc(o, jstr(m, "model") ? jstr(m, "model") : "?", (size_t)-1);
		d_text(o, ", dataset ");
		d_esc(o, jstr(m, "dataset") ? jstr(m, "dataset") : "?", (size_t)-1);
		d_text(o, ".");
		d_pend(o);
	}
	d_html(o, "</div><div>\n");
	json_t *pc = json_object_get(m, "per_class");
	if (json_is_array(pc) && json_array_size(pc)) {
		size_t i;
		json_t *v;
		d_table(o, "lrrrr", "class", "precision", "recall", "F1", "support");
		json_array_foreach(pc, i, v) {
			const char *l = jstr(v, "label");
			d_tr(o);
			d_tdd(o, NULL, l ? l : (i < (size_t)k ? d->labels[i] : "?"), (size_t)-1);
			d_td(o, NULL, "%s", fnum(json_num(v, "precision"), 4));
			d_td(o, NULL, "%s", fnum(json_num(v, "recall"), 4));
			d_td(o, NULL, "%s", fnum(json_num(v, "f1"), 4));
			d_td(o, NULL, "%s", fcount(json_num(v, "support")));
			d_tr_end(o);
		}
		d_table_end(o);
	} else {
		d_na(o, "no per-class numbers in metrics.json");
	}
	d_html(o, "</div></div>\n");

	/* confusion matrix */
	double cm[REPORT_MAX_CLASSES * REPORT_MAX_CLASSES];
	json_t *rows = json_object_get(m, "confusion_matrix");
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			cm[i * k + j] = json_number_value(json_array_get(json_array_get(rows, i), j));
	struct sbuf svg;
	sbuf_init(&svg);
	d_html(o, "<div class=\"row\">\n");
	svg_heatmap(&svg, "Confusion matrix", d->labels, k, cm);
	d_figure(o, "confusion", &svg, "Rows: true class; columns: predicted class. The shade and "
		 "the percentage are the share of the row, so the diagonal shows each class's "
		 "recall.");
	if (o->md) {
		d_p(o);
		d_text(o, "Confusion matrix (rows: true class, columns: predicted class; share of "
			  "the row in brackets):");
		d_pend(o);
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
			d_tr(o);
			d_tdd(o, NULL, d->labels[i], (size_t)-1);
			for (int j = 0; j < k; j++)
				d_td(o, NULL, "%s (%s)", fcount(cm[i * k + j]),
				     row > 0 ? fpct(cm[i * k + j] / row, 1) : "n/a");
			d_tr_end(o);
		}
		d_table_end(o);
	}

	/* ROC */
	json_t *roc = json_object_get(m, "roc");
	if (k == 2 && json_is_object(roc)) {
		json_t *fa = json_object_get(roc, "fpr"), *ta = json_object_get(roc, "tpr");
		int n = (int)json_array_size(fa);
		double *xy = malloc((2 * (size_t)n + 4) * sizeof(*xy));
		if (!xy) {
			o->b->oom = 1;
			sbuf_free(&svg);
			return;
		}
		for (int i = 0; i < n; i++) {
			xy[i] = json_number_value(json_array_get(fa, i));
			xy[n + i] = json_number_value(json_array_get(ta, i));
		}
		double dx[2] = {0, 1}, dy[2] = {0, 1};
		char name[64];
		snprintf(name, sizeof(name), "model (AUC %s)", fnum(json_num(m, "roc_auc"), 4));
		struct svg_series s[2] = {{name, xy, xy + n, n, C_TRAIN, 0, 0, 0},
					  {"chance", dx, dy, 2, "#999", 1, 0, 0}};
		char ylab[96], xlab[96];
		snprintf(ylab, sizeof(ylab), "true positive rate (recall of %.30s)", d->labels[1]);
		snprintf(xlab, sizeof(xlab), "false positive rate (%.30s taken as %.30s)",
			 d->labels[0], d->labels[1]);
		struct svg_chart c = {.title = "ROC curve", .xlabel = xlab, .ylabel = ylab,
				      .width = 420, .height = 420, .xmin = 0, .xmax = 1, .ymin = 0,
				      .ymax = 1, .series = s, .nseries = 2};
		svg.len = 0;
		svg_line_chart(&svg, &c);
		char cap[160];
		snprintf(cap, sizeof(cap), "Positive class: %.40s. Each point is one decision "
			 "threshold on its probability.", d->labels[1]);
		d_figure(o, "roc", &svg, cap);
		if (o->md) {
			d_p(o);
			d_text(o, "ROC AUC %s (%d points on the curve%s).",
			       fnum(json_num(m, "roc_auc"), 4), n,
			       o->opt->md_svg_prefix ? "" : "; the plot is in report.html");
			d_pend(o);
		}
		free(xy);
	} else {
		d_html(o, "<div>");
		d_na(o, k == 2 ? "ROC curve: metrics.json has no 'roc' points"
			       : "ROC curve: only drawn for two classes");
		d_html(o, "</div>");
	}
	d_html(o, "</div>\n");
	sbuf_free(&svg);
	d_section_end(o);
}

/* ---- examples ---- */

static void section_examples(struct doc *o, const struct report_data *d,
			     const struct report_inputs *in)
{
	d_section(o, "examples", "Example predictions");
	if (!d->preds) {
		d_na(o, "predictions.tsv was not found");
		d_section_end(o);
		return;
	}
	if (!d->n_examples) {
		d_na(o, "predictions.tsv holds no reviews");
		d_section_end(o);
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
	d_p(o);
	d_text(o, "%d of %s %s reviews are misclassified. Shown: the %d most confident "
		  "mistakes and %d confident correct predictions (taken from each class in turn).",
	       nwrong_all, fcount(d->n_preds), d->example_split, wrong, right);
	if (notext)
		d_text(o, " %d review texts were not found (no %s.tok in the split folder, or the "
			  "review is not in it).", notext, d->example_split);
	d_pend(o);
	d_table(o, "rllrrll", "#", "result", "true → predicted", "probability", "tokens", "hash",
		"review (shortened)");
	for (int i = 0; i < d->n_examples; i++) {
		const struct example *e = &d->examples[i];
		int ok = e->p.label == e->p.predicted;
		char h[17];
		d_tr(o);
		d_td(o, NULL, "%d", i + 1);
		d_td(o, ok ? "ok" : "bad", "%s", ok ? "✓ right" : "✗ wrong");
		td_open(o, "nw");
		d_esc(o, d->pred_labels[e->p.label], (size_t)-1);
		d_esc(o, " → ", (size_t)-1);
		d_esc(o, d->pred_labels[e->p.predicted], (size_t)-1);
		td_close(o);
		d_td(o, NULL, "%.3f", e->p.prob[e->p.predicted]);
		d_td(o, NULL, "%s", e->text ? fcount(e->n_full) : "n/a");
		snprintf(h, sizeof(h), "%016llx", (unsigned long long)e->p.hash);
		d_td(o, "hash", "%s", h);
		td_open(o, "text");
		if (e->text) {
			size_t cut = utf8_prefix(e->text, e->text_len, (size_t)in->example_chars);
			d_esc(o, e->text, cut);
			if (cut < e->text_len)
				d_esc(o, " …", (size_t)-1);
		} else {
			d_esc(o, "(text not available)", (size_t)-1);
		}
		td_close(o);
		d_tr_end(o);
	}
	d_table_end(o);
	d_section_end(o);
}

/* ---- history ---- */

static void section_history(struct doc *o, const struct report_data *d)
{
	d_section(o, "history", "Earlier runs");
	if (!d->have_hist) {
		d_na(o, "history.jsonl was not found (it is written by make retrain)");
		d_section_end(o);
		return;
	}
	int inh = this_run_in_history(d);
	int cur = d->metrics && !inh; /* this run is not in the history yet: add it */
	int n = d->n_hist + cur;
	if (n == 0) {
		d_na(o, "history.jsonl holds no run yet");
		d_section_end(o);
		return;
	}
	/* the chart shows the last 30 runs */
	int from = n > 30 ? n - 30 : 0, m = n - from;
	double *v = malloc(4 * (size_t)m * sizeof(*v));
	char (*lab)[32] = malloc((size_t)m * sizeof(*lab));
	const char **cats = malloc((size_t)m * sizeof(*cats));
	if (!v || !lab || !cats) {
		free(v);
		free(lab);
		free(cats);
		o->b->oom = 1;
		return;
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
	struct svg_chart c = {.title = n > 30 ? "Metrics of the last 30 runs" : "Metrics per run",
			      .xlabel = "run (UTC, month-day hour:minute)",
			      .ylabel = "accuracy, macro F1 (%)", .width = 760, .height = 360,
			      .xmin = NAN, .xmax = NAN, .ymin = yf, .ymax = yf + (ny - 1) * ys,
			      .xcats = cats, .ncats = m, .y_percent = 1, .series = s,
			      .nseries = any_np ? 3 : 2};
	if (m >= 2 && isfinite(lo)) {
		struct sbuf svg;
		sbuf_init(&svg);
		svg_line_chart(&svg, &c);
		d_figure(o, "history", &svg, any_np ? "Ringed points: retrains whose model was "
			 "not promoted (worse than the model in service)." : "Every retrain shown "
			 "was promoted.");
		sbuf_free(&svg);
	}

	d_table(o, "lrrrrrrrl", "run", "accuracy", "change", "macro F1", "change", "val loss",
		"test reviews", "dumps", "promoted");
	double pa = NAN, pf = NAN;
	for (int r = 0; r < n; r++) {
		const struct history_row *h = r < d->n_hist ? &d->hist[r] : NULL;
		double a = h ? h->accuracy : json_num(d->metrics, "accuracy");
		double f = h ? h->macro_f1 : json_num(d->metrics, "macro_f1");
		double da = a - pa, df = f - pf;
		d_tr(o);
		if (h)
			d_tdd(o, NULL, h->run, (size_t)-1);
		else
			d_td(o, NULL, "this run (not in history yet)");
		d_td(o, NULL, "%s", fnum(a, 4));
		d_td(o, da < -1e-12 ? "worse" : da > 1e-12 ? "better" : NULL, "%s", fdelta_pp(da));
		d_td(o, NULL, "%s", fnum(f, 4));
		d_td(o, df < -1e-12 ? "worse" : df > 1e-12 ? "better" : NULL, "%s", fdelta_pp(df));
		d_td(o, NULL, "%s", fnum(h ? h->val_loss : NAN, 4));
		d_td(o, NULL, "%s", fcount(h ? h->n : json_num(d->metrics, "n")));
		d_td(o, NULL, "%s", fcount(h ? h->dumps : NAN));
		d_td(o, h && h->promoted == 0 ? "worse" : NULL, "%s",
		     !h ? "n/a" : h->promoted == 1 ? "yes" : h->promoted == 0 ? "no" : "n/a");
		d_tr_end(o);
		if (!h || h->promoted != 0) { /* changes are against the model in service */
			pa = a;
			pf = f;
		}
	}
	d_table_end(o);
	d_p(o);
	d_text(o, "Change: against the previous promoted run, in percentage points.");
	d_pend(o);
	free(v);
	free(lab);
	free(cats);
	d_section_end(o);
}

/* ---- inputs ---- */

static void input_row(struct doc *o, const char *what, const char *path, int read)
{
	d_tr(o);
	d_td(o, NULL, "%s", what);
	d_tdd(o, NULL, path ? path : "(not given)", (size_t)-1);
	d_td(o, read ? "ok" : path ? "bad" : "na", "%s",
	     read ? "read" : path ? "not found" : "not given");
	d_tr_end(o);
}

static void section_inputs(struct doc *o, const struct report_data *d,
			   const struct report_inputs *in)
{
	d_section(o, "inputs", "Inputs");
	d_table(o, "lll", "input", "path", "status");
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
	d_table_end(o);
	d_section_end(o);
}

static void render(struct doc *o, const struct report_data *d, const struct report_inputs *in)
{
	header(o, d);
	section_data(o, d);
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
