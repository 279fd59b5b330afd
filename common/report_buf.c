/* report_buf.c - growable text buffer and HTML/Markdown escaping (see
 * report_buf.h).  UTF-8 is decoded with utf8proc so that invalid bytes in
 * scraped reviews can never produce broken markup. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "grow.h"
#include "report_buf.h"

void sbuf_init(struct sbuf *b) { memset(b, 0, sizeof(*b)); }

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

const char *sbuf_str(const struct sbuf *b) { return b->s ? b->s : ""; }

static int grow(struct sbuf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (GROW_ARRAY_QUIET(b->s, b->cap, b->len + extra + 1, 4096)) {
		b->oom = 1; /* reported once, by whoever renders */
		return -1;
	}
	return 0;
}

void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	if (grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sbuf_add(struct sbuf *b, const char *s) { sbuf_addn(b, s, strlen(s)); }

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Appends s[0..n) escaped for HTML (md == 0) or Markdown (md == 1); invalid
 * UTF-8 becomes U+FFFD and control characters a space. */
static void escape(struct sbuf *b, const char *s, size_t n, int md)
{
	if (!s)
		return;
	if (n == (size_t)-1)
		n = strlen(s);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;
	while (i < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
		if (k <= 0) {
			sbuf_add(b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			continue;
		}
		switch (c) {
		case '&': sbuf_add(b, "&amp;"); break;
		case '<': sbuf_add(b, "&lt;"); break;
		case '>': sbuf_add(b, "&gt;"); break;
		case '"': sbuf_add(b, md ? "\"" : "&quot;"); break;
		case '\'': sbuf_add(b, md ? "'" : "&#39;"); break;
		case '\n':
		case '\r':
			sbuf_add(b, md ? " " : "\n");
			break;
		case '\t': sbuf_add(b, md ? " " : "\t"); break;
		/* Bare links (GFM autolinks: "http://", "www.", "a@b.c") would
		 * be clickable in a Markdown viewer though they are quoted data:
		 * a backslash before ':' of "://", the '.' of "www." and '@'
		 * breaks the pattern and renders as nothing. */
		case ':':
			if (md && n - i >= 3 && p[i + 1] == '/' && p[i + 2] == '/')
				sbuf_addn(b, "\\", 1);
			sbuf_addn(b, ":", 1);
			break;
		case '.':
			if (md && i >= 3 && tolower(p[i - 3]) == 'w' && tolower(p[i - 2]) == 'w' &&
			    tolower(p[i - 1]) == 'w')
				sbuf_addn(b, "\\", 1);
			sbuf_addn(b, ".", 1);
			break;
		case '@':
		case '\\': case '`': case '*': case '_': case '[': case ']':
		case '|': case '#': case '~': /* ~~x~~: GFM strikethrough */
			if (md)
				sbuf_addn(b, "\\", 1);
			sbuf_addn(b, (const char *)p + i, 1);
			break;
		default:
			if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
				sbuf_add(b, " ");
			else if (md && ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)))
				/* bidi embedding/override/isolate: in a plain-text
				 * view it can reverse the rest of the table line;
				 * HTML keeps it inside its cell */
				sbuf_printf(b, "\\<U+%04X\\>", (unsigned)c);
			else
				sbuf_addn(b, (const char *)p + i, (size_t)k);
		}
		i += (size_t)k;
	}
}

void sbuf_html(struct sbuf *b, const char *s, size_t n) { escape(b, s, n, 0); }
void sbuf_md(struct sbuf *b, const char *s, size_t n) { escape(b, s, n, 1); }

size_t utf8_prefix(const char *s, size_t n, size_t max_chars)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0, chars = 0;
	while (i < n && chars < max_chars) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
		i += k > 0 ? (size_t)k : 1;
		chars++;
	}
	return i;
}
