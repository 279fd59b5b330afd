/* fuzz_tseries.c - libFuzzer target: the time-series CSV/TSV column reader
 * (common/tseries.c tseries_read_csv, as ts-prepare and predict --csv use
 * it: delimiter sniffing, BOM, blank lines, quoting, values, time order) on
 * arbitrary bytes.  Two control bytes pick the value and the time column,
 * each one of:
 *   c % 4 == 0  NULL: the reader's default (the only column, the second of
 *               two; the first column as time);
 *   c % 4 == 1  by index: the name of header field (c >> 2) % 8, split here
 *               naively on the first ',', '\t' or ';' (quotes dropped), so
 *               the fuzzer reaches the rows of many-column files;
 *   c % 4 == 2  a fixed name: "value" / "time";
 *   c % 4 == 3  "" (value) / "none" (time: no time column).
 * The rest is the file.  A series handed out must keep the reader's
 * promises (tseries.h), and a second read must give the same series. */
#include <math.h>

#include "fuzz_util.h"
#include "error.h"
#include "tseries.h"

/* Name of header field k of data (the first line that is not blank), or
 * NULL when there is none; a static buffer. */
static const char *header_field(const uint8_t *data, size_t size, unsigned k)
{
	static char name[256];
	const char *p = (const char *)data, *end = p + size;
	if (size >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' '))
		p++;
	const char *eol = p;
	while (eol < end && *eol != '\n' && *eol != '\r')
		eol++;
	char delim = ',';
	for (const char *q = p; q < eol; q++)
		if (*q == ',' || *q == '\t' || *q == ';') {
			delim = *q;
			break;
		}
	for (unsigned i = 0; p <= eol; i++) {
		const char *f = p;
		while (p < eol && *p != delim)
			p++;
		if (i == k) {
			size_t n = 0;
			for (const char *q = f; q < p && n + 1 < sizeof(name); q++)
				if (*q != '"')
					name[n++] = *q;
			name[n] = '\0';
			return strlen(name) == n ? name : NULL; /* no NUL inside */
		}
		p++;
	}
	return NULL;
}

static const char *pick(uint8_t c, const uint8_t *data, size_t size, const char *fixed,
			const char *special, char *buf, size_t bufsize)
{
	switch (c % 4) {
	case 0:
		return NULL;
	case 1: {
		const char *h = header_field(data, size, (c >> 2) % 8);
		if (!h)
			return fixed;
		snprintf(buf, bufsize, "%s", h);
		return buf;
	}
	case 2:
		return fixed;
	default:
		return special;
	}
}

/* ISO-like labels as the reader defines them (all the same length, digits
 * and "-:.TZ " only) */
static int iso_like(char **t, size_t n)
{
	size_t len = strlen(t[0]);
	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i]) != len)
			return 0;
		for (const char *p = t[i]; *p; p++)
			if (!strchr("0123456789-:.TZ ", *p))
				return 0;
	}
	return 1;
}

static void check(const struct tseries *s, const char *path, const char *col, const char *tcol)
{
	if (s->n < 1 || !s->values || !s->column || !s->source || strcmp(s->source, path))
		abort();
	for (size_t i = 0; i < s->n; i++)
		if (!isfinite(s->values[i]))
			abort();
	if (col && strcmp(s->column, col))
		abort(); /* the named column, not another */
	int no_time = tcol && (!*tcol || !strcmp(tcol, "none"));
	if (!s->times != !s->time_column || (no_time && s->times))
		abort();
	if (s->time_column && tcol && !no_time && strcmp(s->time_column, tcol))
		abort();
	if (s->time_column && !strcmp(s->time_column, s->column) && col && tcol)
		abort(); /* one column cannot be both */
	if (s->times) {
		for (size_t i = 0; i < s->n; i++)
			if (!s->times[i] || !*s->times[i])
				abort();
		if (iso_like(s->times, s->n))
			for (size_t i = 1; i < s->n; i++)
				if (strcmp(s->times[i - 1], s->times[i]) >= 0)
					abort(); /* time order is checked */
	}
	/* a blank line between values comes after the header and a value (both
	 * may be on line 1: libcsv also ends records at a bare CR) */
	if (!s->blank_lines != !s->first_blank_line || (s->blank_lines && s->first_blank_line < 2))
		abort();
	if (s->params)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t cv = fuzz_take_byte(&data, &size);
	uint8_t ct = fuzz_take_byte(&data, &size);
	char vbuf[256], tbuf[256];
	const char *col = pick(cv, data, size, "value", "", vbuf, sizeof(vbuf));
	const char *tcol = pick(ct, data, size, "time", "none", tbuf, sizeof(tbuf));
	const char *path = fuzz_write_scratch(0, (cv & 128) ? ".tsv" : ".csv", data, size);
	struct tseries s, again;
	int rc = tseries_read_csv(path, col, tcol, &s);
	if (rc) {
		if (rc != -1 || s.values || s.times || s.n || s.column || s.source)
			abort(); /* a failed read leaves nothing behind */
		return 0;
	}
	check(&s, path, col, tcol);
	if (tseries_read_csv(path, col, tcol, &again) || again.n != s.n ||
	    memcmp(again.values, s.values, s.n * sizeof(double)) ||
	    again.source_hash != s.source_hash || again.blank_lines != s.blank_lines)
		abort(); /* reading is repeatable */
	tseries_free(&again);
	tseries_free(&s);
	return 0;
}
