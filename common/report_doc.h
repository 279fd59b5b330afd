/* report_doc.h - internal to the report: the document interface its
 * sections write to, with an HTML and a Markdown back end.
 *
 * A section calls doc_section/doc_h3/doc_p/doc_table/doc_td/doc_figure once;
 * the struct doc says which format comes out.  doc_text and doc_td format
 * program text and escape it; doc_esc and doc_tdd take data text (reviews,
 * labels, file names) and escape it; doc_html and doc_md are the only raw
 * outputs and take markup the program wrote.  Used by report_render.c and
 * report_render_data.c only; nothing here touches files.
 */
#ifndef RNNPIPE_REPORT_DOC_H
#define RNNPIPE_REPORT_DOC_H

#include <jansson.h>
#include <stddef.h>

#include "report_buf.h"
#include "report_data.h"
#include "report_render.h"

/* Okabe-Ito colours (safe with the common colour-vision deficiencies): the
 * classes in order; the series of the charts. */
extern const char *const report_palette[8];
#define C_TRAIN "#0072b2"
#define C_VAL "#e69f00"
#define C_F1 "#009e73"
#define C_BAD "#c0392b"

struct doc {
	struct sbuf *b;                   /* output */
	int md;                           /* 0 HTML, 1 Markdown */
	const struct report_options *opt;
	struct report_output *out;        /* where doc_figure puts SVG files */
	const char *align;                /* current table: 'l' or 'r' per column */
	int col;                          /* current column */
};

/* ---- text ---- */
void doc_esc(struct doc *o, const char *s, size_t n); /* data; n = -1: strlen */
void doc_text(struct doc *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void doc_html(struct doc *o, const char *markup);    /* HTML output only */
void doc_md(struct doc *o, const char *markup);      /* Markdown output only */
/* A dotted stats key; HTML may break the line after '.' and '_'. */
void doc_key(struct doc *o, const char *key);

/* ---- blocks ---- */
void doc_section(struct doc *o, const char *id, const char *title);
void doc_section_end(struct doc *o);
void doc_h3(struct doc *o, const char *title);
void doc_p(struct doc *o);
void doc_pend(struct doc *o);
/* A paragraph "Not available: <why>". */
void doc_na(struct doc *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- tables: doc_table(o, "lrr", "h1", "h2", "h3"); then per row doc_tr,
 * one doc_td/doc_tdd (or doc_td_open ... doc_td_close) per column,
 * doc_tr_end; then doc_table_end.  'r' columns are right-aligned numbers;
 * cls adds an HTML class ("worse", "better", "ok", "bad", "na"...). ---- */
void doc_table(struct doc *o, const char *align, ...);
/* doc_table in pieces, for columns counted at run time: doc_thead, then
 * per column doc_th (formatted program text) or doc_thd (data text), then
 * doc_thead_end.  align must outlive the table. */
void doc_thead(struct doc *o, const char *align);
void doc_th(struct doc *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void doc_thd(struct doc *o, const char *s);
void doc_thead_end(struct doc *o);
void doc_tr(struct doc *o);
void doc_tr_end(struct doc *o);
void doc_td_open(struct doc *o, const char *cls);
void doc_td_close(struct doc *o);
void doc_td(struct doc *o, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void doc_tdd(struct doc *o, const char *cls, const char *s, size_t n);
void doc_table_end(struct doc *o);

/* A plot (an inline <svg> from report_svg.c): inline in HTML with its
 * caption; in Markdown a link to <prefix>-<name>.svg, added to o->out,
 * when opt->md_svg_prefix is set, else nothing. */
void doc_figure(struct doc *o, const char *name, const struct sbuf *svg, const char *caption);

/* ---- numbers as text: static buffers, 32 in rotation, so several can be
 * used in one printf; "n/a" for NaN ---- */
const char *fmt_num(double v, int decimals);
const char *fmt_pct(double v, int decimals);   /* 0.875 -> "87.50%" */
const char *fmt_count(double v);               /* 12345 -> "12,345" */
const char *fmt_dur(double seconds);           /* "41.2 s", "4 min 23 s" */
const char *fmt_delta_pp(double d);            /* -0.006 -> "-0.60 pp" */

/* ---- JSON helpers ---- */
const char *rj_str(const json_t *obj, const char *key); /* NULL unless a string */
/* A scalar (or a short array of them) as text into buf; returns buf. */
const char *rj_text(const json_t *v, char *buf, size_t n);
/* "k1 n1, k2 n2" for an object of counts; "none" when empty. */
const char *rj_counts(const json_t *obj, char *buf, size_t n);

/* The scalar leaves of a JSON object with dotted paths ("dropped.label");
 * an array of scalars is one leaf; arrays of objects list their first five
 * items ("inputs[0].kept") and a leaf with v == NULL saying how many. */
struct rj_leaf {
	char path[160];
	json_t *v;
};
/* Appends the leaves of o (at most max in all) to out[n...]; returns the
 * new count.  Call with prefix "" and n = depth = 0. */
int rj_flatten(json_t *o, const char *prefix, struct rj_leaf *out, int n, int max, int depth);

/* The "Data" section (report_render_data.c). */
void report_section_data(struct doc *o, const struct report_data *d);

#endif
