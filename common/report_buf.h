/* report_buf.h - a growable text buffer and the escaping the report needs.
 *
 * The report builds its HTML, Markdown and SVG text in memory (a few hundred
 * KiB) and writes each file at once through afile.  Every text taken from
 * data (review texts, labels, file names, JSON strings) goes through
 * sbuf_html() or sbuf_md(); raw sbuf_add()/sbuf_printf() are only for markup
 * the program itself wrote.  Allocation failure is sticky: the buffer stops
 * growing, sets oom, and the caller checks once at the end.
 */
#ifndef RNNPIPE_REPORT_BUF_H
#define RNNPIPE_REPORT_BUF_H

#include <stddef.h>

struct sbuf {
	char *s;    /* NUL-terminated; NULL until the first append */
	size_t len, cap;
	int oom;    /* an append failed for lack of memory: contents incomplete */
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
/* The text so far ("" when empty); owned by b. */
const char *sbuf_str(const struct sbuf *b);

/* Raw appends: for markup written by the program, never for data. */
void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends n bytes of data text escaped for HTML element content and quoted
 * attribute values: & < > " ' become entities, invalid UTF-8 becomes U+FFFD,
 * control characters other than tab and newline become spaces.  With
 * n == (size_t)-1 the length is strlen(s); s == NULL appends nothing. */
void sbuf_html(struct sbuf *b, const char *s, size_t n);

/* Appends data text for a Markdown table cell or line: like sbuf_html for
 * & < > (Markdown viewers render raw HTML), newlines become spaces, and the
 * Markdown specials \ ` * _ [ ] | # ~ are backslash-escaped, and so are
 * '@', the ':' of "://" and the '.' of "www." so that URLs and e-mail
 * addresses in the data stay text (no GFM autolinks).  The bidi controls
 * U+202A..U+202E and U+2066..U+2069 become the visible "\\<U+202E\\>" (shown
 * as "<U+202E>"): in a plain-text view they could reverse the rest of the
 * line. */
void sbuf_md(struct sbuf *b, const char *s, size_t n);

/* Byte length of the longest prefix of s[0..n) holding at most max_chars
 * UTF-8 characters, ending on a character boundary.  Counts an invalid byte
 * as one character. */
size_t utf8_prefix(const char *s, size_t n, size_t max_chars);

#endif
