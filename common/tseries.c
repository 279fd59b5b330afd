/* tseries.c - synthetic and CSV series, split by time, z-score, windows
 * (see tseries.h).  The CSV side uses libcsv, fed one physical line at a
 * time so every message can name the line a record ends on. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "error.h"
#include "grow.h"
#include "hash.h"
#include "rng.h"
#include "tseries.h"

const char *const ts_split_names[TS_NSPLITS] = {"train", "validation", "test"};

int ts_split_parse(const char *name)
{
	for (int i = 0; i < TS_NSPLITS; i++)
		if (!strcmp(name, ts_split_names[i]))
			return i;
	return -1;
}

void tseries_free(struct tseries *s)
{
	if (s->times)
		for (size_t i = 0; i < s->n; i++)
			free(s->times[i]);
	free(s->times);
	free(s->values);
	free(s->source);
	free(s->column);
	free(s->time_column);
	free(s->params);
	memset(s, 0, sizeof(*s));
}

/* ---- values ---- */

int ts_parse_value(const char *s, double *out)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return TS_VALUE_EMPTY;
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	const char *num_end = end;
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end || errno == ERANGE)
		return TS_VALUE_NOT_NUMBER;
	if (!isfinite(x))
		return TS_VALUE_NOT_FINITE;
	/* decimal only: strtod also reads C's hexadecimal floats, and a cell
	 * "0x10" became 16 */
	if (strspn(s, "0123456789+-.eE") < (size_t)(num_end - s))
		return TS_VALUE_NOT_NUMBER;
	*out = x;
	return TS_VALUE_OK;
}

/* ---- synthetic ---- */

int ts_parse_doubles(const char *s, const char *what, double *out, int max)
{
	int n = 0;
	const char *p = s;
	if (!*p)
		return 0;
	for (;;) {
		char *end;
		errno = 0;
		double x = strtod(p, &end);
		if (end == p || errno || !isfinite(x) || (*end && *end != ','))
			return error("%s: '%s' is not a comma-separated list of numbers", what, s);
		if (n == max)
			return error("%s: at most %d values", what, max);
		out[n++] = x;
		if (!*end)
			return n;
		p = end + 1;
	}
}

int ts_format_double(char *buf, size_t size, double x)
{
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return n;
}

int tseries_synthetic(const struct ts_synth *p, struct tseries *out)
{
	memset(out, 0, sizeof(*out));
	if (p->n < 1)
		return error("synthetic series: length must be at least 1");
	if (p->waves < 0 || p->waves > TS_SYNTH_MAX_WAVES)
		return error("synthetic series: at most %d sine waves", TS_SYNTH_MAX_WAVES);
	if (!(p->noise >= 0) || !isfinite(p->noise) || !isfinite(p->level) || !isfinite(p->trend))
		return error("synthetic series: level, trend and noise must be finite, noise >= 0");
	for (int j = 0; j < p->waves; j++)
		if (!(p->period[j] > 0) || !isfinite(p->period[j]) || !isfinite(p->amp[j]))
			return error("synthetic series: periods must be > 0 and amplitudes finite");

	/* The canonical parameter line: stored in the file, hashed as the
	 * source hash.  Every number is written so that it reads back exactly. */
	char line[2048], num[4][40];
	ts_format_double(num[0], sizeof(num[0]), p->level);
	ts_format_double(num[1], sizeof(num[1]), p->trend);
	ts_format_double(num[2], sizeof(num[2]), p->noise);
	int len = snprintf(line, sizeof(line),
			   "synthetic n=%zu level=%s trend=%s noise=%s seed=%llu periods=", p->n,
			   num[0], num[1], num[2], (unsigned long long)p->seed);
	for (int j = 0; j < p->waves; j++) {
		ts_format_double(num[3], sizeof(num[3]), p->period[j]);
		len += snprintf(line + len, sizeof(line) - len, "%s%s", j ? "," : "", num[3]);
	}
	len += snprintf(line + len, sizeof(line) - len, " amplitudes=");
	for (int j = 0; j < p->waves; j++) {
		ts_format_double(num[3], sizeof(num[3]), p->amp[j]);
		len += snprintf(line + len, sizeof(line) - len, "%s%s", j ? "," : "", num[3]);
	}

	out->values = malloc(p->n * sizeof(double));
	out->source = strdup("synthetic");
	out->column = strdup("value");
	out->params = strdup(line);
	if (!out->values || !out->source || !out->column || !out->params) {
		tseries_free(out);
		return error("out of memory");
	}
	out->n = p->n;
	out->source_hash = hash64(line, strlen(line));

	struct rng r;
	rng_seed(&r, p->seed);
	double phase[TS_SYNTH_MAX_WAVES];
	for (int j = 0; j < p->waves; j++)
		phase[j] = 2 * M_PI * rng_uniform(&r);
	for (size_t t = 0; t < p->n; t++) {
		double y = p->level + p->trend * (double)t;
		for (int j = 0; j < p->waves; j++)
			y += p->amp[j] * sin(2 * M_PI * (double)t / p->period[j] + phase[j]);
		out->values[t] = y + p->noise * rng_normal(&r);
	}
	return 0;
}

/* ---- CSV ---- */

struct csvread {
	const char *path;
	long line;        /* physical line being parsed (1-based) */
	int failed;       /* a message was printed: ignore the rest */
	/* the record being assembled */
	char **fields;
	size_t nfields, capfields;
	/* header */
	int have_header;
	size_t ncols;
	long vcol, tcol;  /* column indices; tcol -1: none */
	const char *want_col, *want_time;
	/* output */
	double *values;
	char **times;
	long *lines;
	size_t n, cap;
	char *col_name, *time_name;
	/* blank lines (skipped, as pandas does): the run since the last row,
	 * and those between two rows of values */
	long last_row_line;      /* physical line the last record ended on */
	size_t blank_run;
	long blank_run_first;
	size_t blank_inside;
	long blank_first;
};

static void field_cb(void *s, size_t len, void *data)
{
	struct csvread *c = data;
	if (c->failed)
		return;
	if (GROW_ARRAY(c->fields, c->capfields, c->nfields + 1, 8)) {
		c->failed = 1;
		return;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		c->failed = 1;
		error("out of memory");
		return;
	}
	memcpy(copy, s ? s : "", len);
	copy[len] = '\0';
	c->fields[c->nfields++] = copy;
}

static void clear_fields(struct csvread *c)
{
	for (size_t i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	c->nfields = 0;
}

/* "a, b, c" for messages */
static void list_columns(struct csvread *c, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->nfields && len + 1 < size; i++)
		len += snprintf(buf + len, size - len, "%s'%s'", i ? ", " : "", c->fields[i]);
}

static long find_column(struct csvread *c, const char *name)
{
	for (size_t i = 0; i < c->nfields; i++)
		if (!strcmp(c->fields[i], name))
			return (long)i;
	return -1;
}

static int take_header(struct csvread *c)
{
	char cols[1024];
	c->ncols = c->nfields;
	if (c->want_col) {
		c->vcol = find_column(c, c->want_col);
		if (c->vcol < 0) {
			list_columns(c, cols, sizeof(cols));
			return bad_input(c->path, c->line, "no column '%s' in the header (columns: %s)",
					 c->want_col, cols);
		}
	} else if (c->ncols == 2) {
		c->vcol = 1;
	} else if (c->ncols == 1) {
		c->vcol = 0; /* values alone, no time column */
	} else {
		list_columns(c, cols, sizeof(cols));
		return bad_input(c->path, c->line,
				 "%zu columns: name the value column (columns: %s)", c->ncols, cols);
	}
	if (c->want_time && (!*c->want_time || !strcmp(c->want_time, "none"))) {
		c->tcol = -1;
	} else if (c->want_time) {
		c->tcol = find_column(c, c->want_time);
		if (c->tcol < 0) {
			list_columns(c, cols, sizeof(cols));
			return bad_input(c->path, c->line,
					 "no time column '%s' in the header (columns: %s)",
					 c->want_time, cols);
		}
		if (c->tcol == c->vcol)
			return bad_input(c->path, c->line,
					 "'%s' cannot be both the value and the time column",
					 c->want_time);
	} else {
		c->tcol = c->vcol == 0 ? -1 : 0;
	}
	c->col_name = strdup(c->fields[c->vcol]);
	c->time_name = c->tcol >= 0 ? strdup(c->fields[c->tcol]) : NULL;
	if (!c->col_name || (c->tcol >= 0 && !c->time_name))
		return error("out of memory");
	c->have_header = 1;
	return 0;
}

static int take_row(struct csvread *c)
{
	if (c->nfields != c->ncols)
		return bad_input(c->path, c->line, "%zu field%s, the header has %zu", c->nfields,
				 c->nfields == 1 ? "" : "s", c->ncols);
	/* three arrays, one capacity: it moves on once all have grown */
	size_t cap_v = c->cap, cap_t = c->cap, cap_l = c->cap;
	if (GROW_ARRAY(c->values, cap_v, c->n + 1, 1024) ||
	    GROW_ARRAY(c->times, cap_t, c->n + 1, 1024) ||
	    GROW_ARRAY(c->lines, cap_l, c->n + 1, 1024))
		return -1;
	c->cap = cap_v;
	const char *f = c->fields[c->vcol];
	while (isspace((unsigned char)*f))
		f++;
	double x;
	switch (ts_parse_value(f, &x)) {
	case TS_VALUE_OK:
		break;
	case TS_VALUE_EMPTY:
		return bad_input(c->path, c->line, "empty value in column '%s'", c->col_name);
	case TS_VALUE_NOT_FINITE:
		return bad_input(c->path, c->line, "'%s' in column '%s' is not a finite number", f,
				 c->col_name);
	default:
		return bad_input(c->path, c->line, "'%s' in column '%s' is not a number", f,
				 c->col_name);
	}
	c->values[c->n] = x;
	c->lines[c->n] = c->line;
	c->times[c->n] = NULL;
	if (c->tcol >= 0) {
		c->times[c->n] = c->fields[c->tcol]; /* take ownership */
		c->fields[c->tcol] = NULL;
		if (!*c->times[c->n]) {
			c->n++; /* freed with the rest */
			return bad_input(c->path, c->line, "empty time in column '%s'", c->time_name);
		}
	}
	c->n++;
	return 0;
}

static void row_cb(int term, void *data)
{
	struct csvread *c = data;
	c->last_row_line = c->line;
	if (c->failed)
		return;
	if (c->have_header) {
		/* blank lines between two rows of values: counted (the ones
		 * before the first and after the last hide nothing) */
		if (c->blank_run && c->n > 0) {
			if (!c->blank_inside)
				c->blank_first = c->blank_run_first;
			c->blank_inside += c->blank_run;
		}
		c->blank_run = 0;
	}
	int rc = c->have_header ? take_row(c) : take_header(c);
	clear_fields(c);
	if (rc)
		c->failed = 1;
}

/* ISO-like labels: all the same length, only digits and - : . T Z space. */
static int iso_like(char **t, size_t n)
{
	size_t len = strlen(t[0]);
	for (size_t i = 0; i < n; i++) {
		if (strlen(t[i]) != len)
			return 0;
		for (const char *p = t[i]; *p; p++)
			if (!isdigit((unsigned char)*p) && !strchr("-:.TZ ", *p))
				return 0;
	}
	return 1;
}

/* A blank line, as pandas.read_csv skips it (skip_blank_lines=True):
 * nothing but spaces, and tabs unless they are the delimiter, before the
 * line end. */
static int blank_line(const char *s, size_t len, unsigned char delim)
{
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == ' ' || s[i] == '\r' || s[i] == '\n' || (s[i] == '\t' && delim != '\t')))
			return 0;
	return 1;
}

static unsigned char sniff_delim(const char *line)
{
	int quoted = 0;
	for (const char *p = line; *p && *p != '\n' && *p != '\r'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ',' || *p == '\t' || *p == ';'))
			return (unsigned char)*p;
	}
	return ',';
}

int tseries_read_csv(const char *path, const char *column, const char *time_column,
		     struct tseries *out)
{
	memset(out, 0, sizeof(*out));
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return error("cannot open '%s': %s", path, strerror(errno));
	struct csv_parser p;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
		fclose(fp);
		return error("out of memory");
	}
	struct csvread c = {.path = path, .want_col = column, .want_time = time_column, .tcol = -1};
	char *buf = NULL;
	size_t bufcap = 0;
	ssize_t len;
	int rc = 0;
	unsigned char delim = 0; /* sniffed from the first line that is not blank */
	while (!c.failed && (len = getline(&buf, &bufcap, fp)) > 0) {
		c.line++;
		const char *s = buf;
		if (c.line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) { /* UTF-8 BOM */
			s += 3;
			len -= 3;
		}
		/* a blank line between records (not inside a quoted field that
		 * spans lines) is skipped, as pandas.read_csv does by default */
		if ((c.line == 1 || c.last_row_line == c.line - 1) &&
		    blank_line(s, (size_t)len, delim ? delim : ',')) {
			c.last_row_line = c.line; /* still between records */
			if (c.have_header && !c.blank_run++)
				c.blank_run_first = c.line;
			continue;
		}
		if (!delim) {
			delim = sniff_delim(s);
			csv_set_delim(&p, delim);
		}
		if (csv_parse(&p, s, (size_t)len, field_cb, row_cb, &c) != (size_t)len) {
			if (csv_error(&p) == CSV_ENOMEM) /* libcsv's field buffer */
				rc = error("out of memory reading '%s'", path);
			else
				rc = bad_input(path, c.line, "broken quoting (%s)",
					       csv_strerror(csv_error(&p)));
			break;
		}
	}
	if (!rc && !c.failed)
		rc = getline_end(fp, path);
	if (!rc && !c.failed && csv_fini(&p, field_cb, row_cb, &c))
		rc = bad_input(path, c.line, "broken quoting: a quoted field is not closed (%s)",
			       csv_strerror(csv_error(&p)));
	if (c.failed)
		rc = -1;
	if (!rc && c.line == 0)
		rc = bad_input(path, 0, "empty file");
	else if (!rc && !c.have_header)
		rc = bad_input(path, c.line, "no header row");
	else if (!rc && c.n == 0)
		rc = bad_input(path, c.line, "no values after the header");
	if (!rc && c.tcol >= 0 && iso_like(c.times, c.n)) {
		for (size_t i = 1; i < c.n && !rc; i++)
			if (strcmp(c.times[i - 1], c.times[i]) >= 0)
				rc = bad_input(path, c.lines[i],
					       "time '%s' is not after '%s' (line %ld): the rows "
					       "must be in time order",
					       c.times[i], c.times[i - 1], c.lines[i - 1]);
	}
	csv_free(&p);
	free(buf);
	fclose(fp);
	clear_fields(&c);
	free(c.fields);
	free(c.lines);

	out->values = c.values;
	out->times = c.tcol >= 0 ? c.times : NULL;
	out->n = c.n;
	out->blank_lines = c.blank_inside;
	out->first_blank_line = c.blank_first;
	if (!rc && c.blank_inside)
		warning("'%s': %zu blank line%s between values skipped (the first is line %ld), "
			"as pandas.read_csv does; the values on either side are taken as "
			"consecutive time steps (if a blank line stands for a missing value, "
			"fill that value in)",
			path, c.blank_inside, c.blank_inside == 1 ? "" : "s", c.blank_first);
	if (c.tcol < 0)
		free(c.times);
	out->column = c.col_name;
	out->time_column = c.time_name;
	if (!rc) {
		out->source = strdup(path);
		if (!out->source)
			rc = error("out of memory");
	}
	if (!rc && hash64_file(path, &out->source_hash))
		rc = -1;
	if (rc) {
		tseries_free(out);
		return -1;
	}
	return 0;
}

/* ---- split, normalisation, windows ---- */

int ts_split_bounds(size_t n, double train_frac, double val_frac, size_t window,
		    size_t horizon, size_t season, struct ts_bounds *out)
{
	if (!(train_frac > 0 && val_frac > 0 && train_frac + val_frac < 1))
		return error("split fractions: need train > 0, validation > 0 and "
			     "train + validation < 1 (got %g and %g)", train_frac, val_frac);
	if (window < 1 || horizon < 1)
		return error("window and horizon must be at least 1");
	size_t b1 = (size_t)floor((double)n * train_frac + 0.5);
	size_t b2 = (size_t)floor((double)n * (train_frac + val_frac) + 0.5);
	out->bound[0] = 0;
	out->bound[1] = b1;
	out->bound[2] = b2;
	out->bound[3] = n;
	if (b1 < window + horizon)
		return error("the train part (%zu of %zu values) is shorter than window + horizon "
			     "(%zu): use a longer series, a smaller window or a larger train "
			     "fraction", b1, n, window + horizon);
	if (b2 - b1 < horizon)
		return error("the validation part (%zu values) is shorter than the horizon (%zu)",
			     b2 - b1, horizon);
	if (n - b2 < horizon)
		return error("the test part (%zu values) is shorter than the horizon (%zu)",
			     n - b2, horizon);
	if (season > b2)
		return error("the season (%zu) is longer than the train and validation parts "
			     "(%zu values): no seasonal naive forecast for the test part",
			     season, b2);
	return 0;
}

int ts_zscore_fit(const double *v, size_t n, double *mean, double *std)
{
	if (n == 0)
		return error("cannot normalise an empty train part");
	double m = 0;
	for (size_t i = 0; i < n; i++)
		m += v[i];
	m /= (double)n;
	if (!isfinite(m)) {
		/* the sum overflowed (values near DBL_MAX): a running mean,
		 * each step a convex combination, stays in range */
		m = 0;
		for (size_t i = 0; i < n; i++)
			m += v[i] / (double)(i + 1) - m / (double)(i + 1);
	}
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - m) * (v[i] - m);
	double s = sqrt(ss / (double)n);
	if (!isfinite(s)) {
		/* the squares overflowed ("1e308, -1e308, ..." used to be called
		 * constant): halves of the deviations (never overflow), scaled by
		 * the largest; the std itself is at most half the range, in range */
		double big = 0;
		for (size_t i = 0; i < n; i++)
			big = fmax(big, fabs(v[i] / 2 - m / 2));
		ss = 0;
		for (size_t i = 0; i < n; i++) {
			double d = (v[i] / 2 - m / 2) / big;
			ss += d * d;
		}
		s = big * (2 * sqrt(ss / (double)n)); /* not (2 * big): it may overflow */
	}
	if (!isfinite(s))
		return error("the spread of the train part is too large for a double: cannot "
			     "normalise; scale the series down");
	if (!(s > 0))
		return error("the train part is constant (every value %g): cannot normalise", m);
	*mean = m;
	*std = s;
	return 0;
}

size_t ts_window_count(size_t lo, size_t hi, size_t window, size_t horizon)
{
	size_t first = lo > window ? lo : window;
	if (hi < horizon || hi - horizon + 1 <= first)
		return 0;
	return hi - horizon + 1 - first;
}

/* (x - mean) / std, without overflow when x and mean are near DBL_MAX of
 * opposite signs: halving is exact, so the result is the same bits. */
static double z_score(double x, double mean, double std)
{
	double d = x - mean;
	if (isfinite(d))
		return d / std;
	return (x / 2 - mean / 2) / (std / 2);
}

size_t ts_window_fill(const double *values, size_t lo, size_t hi, size_t window,
		      size_t horizon, double mean, double std, float *inputs,
		      float *targets, int64_t *index)
{
	size_t n = ts_window_count(lo, hi, window, horizon);
	size_t first = lo > window ? lo : window;
	for (size_t r = 0; r < n; r++) {
		size_t i = first + r;
		if (inputs)
			for (size_t j = 0; j < window; j++)
				inputs[r * window + j] = (float)z_score(values[i - window + j], mean, std);
		if (targets)
			for (size_t h = 0; h < horizon; h++)
				targets[r * horizon + h] = (float)z_score(values[i + h], mean, std);
		if (index)
			index[r] = (int64_t)i;
	}
	return n;
}
