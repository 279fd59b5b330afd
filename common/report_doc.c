/* report_doc.c - the document interface the report's sections write to
 * (see report_doc.h): one set of calls, an HTML and a Markdown back end, and
 * the number formats and JSON helpers the sections share. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_doc.h"
#include "report_svg.h"

/* Okabe-Ito colours: distinguishable with the common colour-vision
 * deficiencies. */
const char *const report_palette[8] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
				       "#56b4e9", "#d55e00", "#f0e442", "#000000"};

/* ---- formatting (rotating static buffers: several per printf) ---- */

static char *rbuf(void)
{
	static char bufs[32][96];
	static int k;
	return bufs[k++ % 32];
}

const char *fmt_num(double v, int dec)
{
	char *s = rbuf();
	if (!isfinite(v))
		return "n/a";
	snprintf(s, 96, "%.*f", dec, v);
	return s;
}

const char *fmt_pct(double v, int dec)
{
	char *s = rbuf();
	if (!isfinite(v))
		return "n/a";
	snprintf(s, 96, "%.*f%%", dec, 100 * v);
	return s;
}

/* Whole number with thousands separators ("12,345"). */
const char *fmt_count(double v)
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

const char *fmt_dur(double sec)
{
	char *s = rbuf();
	if (!isfinite(sec))
		return "n/a";
	if (sec < 90) {
		snprintf(s, 96, "%.1f s", sec);
		return s;
	}
	/* rounded once, so that the carry reaches the minutes and the hours
	 * (119.6 s was "1 min 00 s", 3599.6 s "59 min 00 s") */
	double r = round(sec);
	if (r < 3600)
		snprintf(s, 96, "%.0f min %02.0f s", floor(r / 60), fmod(r, 60));
	else
		snprintf(s, 96, "%.0f h %02.0f min", floor(r / 3600), fmod(floor(r / 60), 60));
	return s;
}

/* Signed difference in percentage points. */
const char *fmt_delta_pp(double d)
{
	char *s = rbuf();
	if (!isfinite(d))
		return "n/a";
	snprintf(s, 96, "%+.2f pp", 100 * d);
	return s;
}

/* ---- the document interface ---- */

void doc_esc(struct doc *o, const char *s, size_t n)
{
	if (o->md)
		sbuf_md(o->b, s, n);
	else
		sbuf_html(o->b, s, n);
}

/* Program text, formatted, then escaped like data (so "max_len" and "%"
 * are safe in both formats). */
void doc_text(struct doc *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	doc_esc(o, buf, (size_t)-1);
}

/* Raw markup for one format only. */
void doc_html(struct doc *o, const char *s)
{
	if (!o->md)
		sbuf_add(o->b, s);
}

void doc_md(struct doc *o, const char *s)
{
	if (o->md)
		sbuf_add(o->b, s);
}

void doc_section(struct doc *o, const char *id, const char *title)
{
	if (o->md) {
		sbuf_add(o->b, "\n## ");
		doc_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "\n\n");
	} else {
		sbuf_printf(o->b, "<section id=\"%s\">\n<h2>", id);
		doc_esc(o, title, (size_t)-1);
		sbuf_add(o->b, "</h2>\n");
	}
}

void doc_section_end(struct doc *o) { doc_html(o, "</section>\n"); }

void doc_h3(struct doc *o, const char *title)
{
	doc_md(o, "### ");
	doc_html(o, "<h3>");
	doc_esc(o, title, (size_t)-1);
	doc_html(o, "</h3>\n");
	doc_md(o, "\n\n");
}

void doc_p(struct doc *o) { doc_html(o, "<p>"); }
void doc_pend(struct doc *o)
{
	doc_html(o, "</p>\n");
	doc_md(o, "\n\n");
}

void doc_na(struct doc *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	doc_html(o, "<p class=\"na\">");
	doc_md(o, "*");
	doc_esc(o, "Not available: ", (size_t)-1);
	doc_esc(o, buf, (size_t)-1);
	doc_md(o, "*\n\n");
	doc_html(o, "</p>\n");
}

/* Opens a table's head; align has one 'l' or 'r' per column. */
void doc_thead(struct doc *o, const char *align)
{
	o->align = align;
	o->col = 0;
	doc_html(o, "<div class=\"scroll\"><table>\n<thead><tr>");
	doc_md(o, "|");
}

/* A heading cell, right-aligned over an 'r' column. */
static void th_open(struct doc *o)
{
	int num = o->col < (int)strlen(o->align) && o->align[o->col] == 'r';
	o->col++;
	doc_html(o, num ? "<th class=\"num\">" : "<th>");
	doc_md(o, " ");
}

static void th_close(struct doc *o)
{
	doc_html(o, "</th>");
	doc_md(o, " |");
}

void doc_th(struct doc *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	th_open(o);
	doc_esc(o, buf, (size_t)-1);
	th_close(o);
}

void doc_thd(struct doc *o, const char *s)
{
	th_open(o);
	doc_esc(o, s, (size_t)-1);
	th_close(o);
}

void doc_thead_end(struct doc *o)
{
	int n = (int)strlen(o->align);
	doc_html(o, "</tr></thead>\n<tbody>\n");
	if (o->md) {
		sbuf_add(o->b, "\n|");
		for (int i = 0; i < n; i++)
			sbuf_add(o->b, o->align[i] == 'r' ? "---:|" : "---|");
		sbuf_add(o->b, "\n");
	}
}

/* Starts a table; align has one 'l' or 'r' per column, then the headers. */
void doc_table(struct doc *o, const char *align, ...)
{
	va_list ap;
	int n = (int)strlen(align);
	doc_thead(o, align);
	va_start(ap, align);
	for (int i = 0; i < n; i++)
		doc_thd(o, va_arg(ap, const char *));
	va_end(ap);
	doc_thead_end(o);
}

void doc_tr(struct doc *o)
{
	o->col = 0;
	doc_html(o, "<tr>");
	doc_md(o, "|");
}

void doc_tr_end(struct doc *o)
{
	doc_html(o, "</tr>\n");
	doc_md(o, "\n");
}

void doc_td_open(struct doc *o, const char *cls)
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

void doc_td_close(struct doc *o)
{
	doc_html(o, "</td>");
	doc_md(o, " |");
}

/* A cell of formatted program text; cls: extra HTML class or NULL. */
void doc_td(struct doc *o, const char *cls, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	doc_td_open(o, cls);
	doc_esc(o, buf, (size_t)-1);
	doc_td_close(o);
}

/* A cell of data text (n bytes, or -1 for a C string). */
void doc_tdd(struct doc *o, const char *cls, const char *s, size_t n)
{
	doc_td_open(o, cls);
	doc_esc(o, s ? s : "", s ? n : 0);
	doc_td_close(o);
}

void doc_table_end(struct doc *o)
{
	doc_html(o, "</tbody></table></div>\n");
	doc_md(o, "\n");
	o->align = NULL;
}

/* Places a plot: inline in HTML; in Markdown, a linked SVG file when the
 * options ask for them (the section carries a table either way). */
void doc_figure(struct doc *o, const char *name, const struct sbuf *svg,
		     const char *caption)
{
	if (!o->md) {
		sbuf_add(o->b, "<figure>\n");
		sbuf_add(o->b, sbuf_str(svg));
		if (caption) {
			sbuf_add(o->b, "<figcaption>");
			doc_esc(o, caption, (size_t)-1);
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
	doc_esc(o, caption ? caption : name, (size_t)-1);
	/* the link's destination: a URL, so percent-encoded (a space or a
	 * parenthesis in the Markdown file's name would end it); letters,
	 * digits, "-._~" and UTF-8 stay as they are */
	sbuf_add(o->b, "](");
	for (const unsigned char *p = (const unsigned char *)f->name; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p) || *p >= 0x80)
			sbuf_addn(o->b, (const char *)p, 1);
		else
			sbuf_printf(o->b, "%%%02X", *p);
	}
	sbuf_add(o->b, ")\n\n");
}

/* ---- JSON helpers ---- */

/* A dotted stats key: in HTML a line may break after each '.' or '_'. */
void doc_key(struct doc *o, const char *key)
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

const char *rj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Any JSON scalar (or a short array of them) as text into buf. */
const char *rj_text(const json_t *v, char *buf, size_t n)
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
				rj_text(x, one, sizeof(one));
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

int rj_flatten(json_t *o, const char *prefix, struct rj_leaf *out, int n, int max, int depth)
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
			n = rj_flatten(v, path, out, n, max, depth + 1);
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
					n = rj_flatten(x, p2, out, n, max, depth + 1);
			}
		} else {
			snprintf(out[n].path, sizeof(out[n].path), "%s", path);
			out[n++].v = v;
		}
	}
	return n;
}

/* "k1 n1, k2 n2" for an object of counts (raw labels, reasons). */
const char *rj_counts(const json_t *obj, char *buf, size_t n)
{
	const char *key;
	json_t *v;
	size_t len = 0;
	buf[0] = 0;
	json_object_foreach((json_t *)obj, key, v) {
		char one[192], val[64];
		snprintf(one, sizeof(one), "%s%.120s %s", len ? ", " : "", key,
			 json_is_number(v) ? fmt_count(json_number_value(v)) : rj_text(v, val, sizeof(val)));
		if (len + strlen(one) + 4 >= n) {
			snprintf(buf + len, n - len, ", ...");
			break;
		}
		len += (size_t)snprintf(buf + len, n - len, "%s", one);
	}
	return len ? buf : "none";
}
