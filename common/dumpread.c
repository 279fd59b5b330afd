/* dumpread.c - review dump readers (see dumpread.h).
 *
 * Input is read through zlib (gzip or plain) into a 1 MiB buffer and cut
 * into "pieces": up to and including the next '\n' (in CSV/TSV also a lone
 * '\r', old Mac line ends), or to the end of the buffer.  JSON Lines joins pieces into lines and parses each with jansson.
 * CSV/TSV feeds pieces to libcsv in strict RFC 4180 mode; feeding line by
 * line is what gives every record the line it starts on.  A record that
 * grows past the size limit is not fed any further: the reader follows the
 * quote parity (RFC 4180: a record ends at a line break outside quotes) to
 * find its end with bounded memory.  After malformed quoting the reader
 * resynchronises at the next line break.  Refused as a whole: a UTF-16
 * file (named as such), a gzip stream that expands over GZ_MAX_RATIO:1
 * (a gzip bomb: bounds the time, not only the memory), bytes after the
 * last gzip member that are no gzip member (zlib's gzread drops them
 * silently: rows appended to a .gz were lost), a CSV header that names a
 * column it uses twice.
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include "dumpread.h"
#include "error.h"
#include "grow.h"
#include "jsonoom.h"
#include "pretok.h"
#include "tokfile.h"

#define INBUF_SIZE (1 << 20)
/* Gzip bomb guard: past GZ_RATIO_AFTER bytes inflated, a stream that has
 * expanded more than GZ_MAX_RATIO times the compressed bytes read is
 * refused.  Review dumps compress about 3.5:1 (the shared Kinopoisk dumps:
 * 71 % saved); deflate's ceiling is about 1032:1. */
#define GZ_RATIO_AFTER ((uint64_t)64 << 20)
#define GZ_MAX_RATIO 200
#define MAX_LABEL_BYTES 256

static const char *const text_fields[] = {DUMP_TEXT_FIELDS, NULL};
static const char *const label_fields[] = {DUMP_LABEL_FIELDS, NULL};
static const char *const split_fields[] = {DUMP_SPLIT_FIELDS, NULL};

static const char *const bad_names[DUMP_BAD_N] = {
	"none", "invalid_json", "invalid_utf8", "bad_quoting", "field_count",
	"missing_text", "missing_label", "bad_type", "too_long", "unknown_split",
	"bad_label",
};

const char *dump_bad_name(int kind)
{
	return kind >= 0 && kind < DUMP_BAD_N ? bad_names[kind] : "unknown";
}

int dump_format_parse(const char *s)
{
	static const char *const names[] = {"auto", "jsonl", "csv", "tsv"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *dump_format_name(int format)
{
	static const char *const names[] = {"auto", "jsonl", "csv", "tsv"};
	return format >= 0 && format < 4 ? names[format] : "?";
}

/* ---- small helpers ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, const void *d, size_t n)
{
	if (GROW_ARRAY_QUIET(b->p, b->cap, b->n + n + 1, 4096))
		return -1;
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

static size_t count_quotes(const char *p, size_t n)
{
	size_t k = 0;
	const char *e = p + n;
	while ((p = memchr(p, '"', e - p))) {
		k++;
		p++;
	}
	return k;
}

int dump_split_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char word[16];
	for (const char *p = base; *p;) {
		while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9')))
			p++;
		size_t n = 0;
		const char *w = p;
		while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9')))
			p++, n++;
		if (n == 0 || n >= sizeof(word))
			continue;
		for (size_t i = 0; i < n; i++)
			word[i] = (w[i] >= 'A' && w[i] <= 'Z') ? w[i] + 32 : w[i];
		word[n] = '\0';
		int s = tok_split_parse(word);
		if (s != SPLIT_NONE)
			return s;
	}
	return SPLIT_NONE;
}

/* Split value of a record: "" -> SPLIT_NONE, a known name (any case) -> its
 * split, else -1. */
static int parse_split_value(const char *s, size_t n)
{
	char word[16];
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return SPLIT_NONE;
	if (n >= sizeof(word))
		return -1;
	for (size_t i = 0; i < n; i++)
		word[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i];
	word[n] = '\0';
	int sp = tok_split_parse(word);
	return sp == SPLIT_NONE ? -1 : sp;
}

/* ---- gzip or plain input ---- */

/* zlib's gzread, but strict about the end: after the last gzip member only
 * NUL padding may follow (dd and tape blocks); anything else (rows
 * appended to a .gz with >>, a file glued to it) is an error, where gzread
 * ignores it and the rows in it were lost without a word.  A file that
 * does not start with the gzip magic is read as it is. */
#define ZIN_RAW_SIZE (1 << 18)
enum { ZIN_START, ZIN_PLAIN, ZIN_GZIP, ZIN_BETWEEN, ZIN_END };
#define ZIN_TRAILING 100 /* an error code of ours, beside zlib's */

struct zin {
	int fd;
	int state;       /* ZIN_*; ZIN_BETWEEN: after a member's end */
	int raw_eof;     /* read() returned 0 */
	int err;         /* pending: Z_ERRNO, Z_BUF_ERROR (truncated), Z_DATA_ERROR,
			    Z_MEM_ERROR, Z_STREAM_ERROR or ZIN_TRAILING */
	int err_errno;
	const char *msg; /* of err */
	char msgbuf[96];
	unsigned char *raw;
	z_stream zs;
	int zs_live;
	uint64_t raw_read; /* bytes read from the file */
};

static int zin_open(struct zin *z, const char *path)
{
	memset(z, 0, sizeof(*z));
	z->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (z->fd < 0)
		return -1;
	if (!(z->raw = malloc(ZIN_RAW_SIZE))) {
		close(z->fd);
		z->fd = -1;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void zin_close(struct zin *z)
{
	if (z->zs_live)
		inflateEnd(&z->zs);
	if (z->fd >= 0)
		close(z->fd);
	free(z->raw);
	z->fd = -1;
	z->raw = NULL;
	z->zs_live = 0;
}

/* Compressed bytes consumed so far (the bomb guard's denominator). */
static uint64_t zin_used(const struct zin *z)
{
	return z->raw_read - z->zs.avail_in;
}

/* Tops up the raw input (moving what is left to the front).  -1 on a read
 * error (pending in z). */
static int zin_refill(struct zin *z)
{
	if (z->raw_eof)
		return 0;
	size_t have = z->zs.avail_in;
	if (have && z->zs.next_in != z->raw)
		memmove(z->raw, z->zs.next_in, have);
	z->zs.next_in = z->raw;
	while (have < ZIN_RAW_SIZE) {
		ssize_t got = read(z->fd, z->raw + have, ZIN_RAW_SIZE - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			z->err = Z_ERRNO;
			z->err_errno = errno;
			return -1;
		}
		if (got == 0) {
			z->raw_eof = 1;
			break;
		}
		have += (size_t)got;
		z->raw_read += (uint64_t)got;
		if (have >= 2)
			break; /* enough to go on; no need to block on a pipe */
	}
	z->zs.avail_in = (uInt)have;
	return 0;
}

static int zin_fail(struct zin *z, int err, const char *msg)
{
	z->err = err;
	z->msg = msg;
	return -1;
}

/* After a member's end: the next member, the end (nothing more, or only
 * NUL bytes), or an error.  1: a member starts, 0: the end, -1: error. */
static int zin_next_member(struct zin *z)
{
	for (;;) {
		if (z->zs.avail_in < 2 && zin_refill(z))
			return -1;
		if (z->zs.avail_in == 0)
			return 0;
		const unsigned char *p = z->zs.next_in;
		if (p[0] == 0x1f && (z->zs.avail_in < 2 || p[1] == 0x8b)) {
			if (z->zs.avail_in < 2) /* a lone 0x1f at the very end */
				break;
			if (inflateReset(&z->zs) != Z_OK)
				return zin_fail(z, Z_STREAM_ERROR, "inflateReset failed");
			return 1;
		}
		size_t k = 0;
		while (k < z->zs.avail_in && p[k] == 0)
			k++;
		z->zs.next_in += k; /* NUL padding */
		z->zs.avail_in -= (uInt)k;
		if (z->zs.avail_in)
			break;
	}
	snprintf(z->msgbuf, sizeof(z->msgbuf), "data after the end of the gzip stream (byte %llu)",
		 (unsigned long long)zin_used(z));
	return zin_fail(z, ZIN_TRAILING, z->msgbuf);
}

/* Reads up to len bytes (fewer only at the end).  Returns the count, 0 at
 * the end, -1 on error (zin_error() says which); bytes decoded before an
 * error are returned first, the error on the next call. */
static long zin_read(struct zin *z, unsigned char *buf, size_t len)
{
	size_t got = 0;
	if (z->err)
		return -1;
	if (z->state == ZIN_START) {
		if (zin_refill(z))
			return -1;
		const unsigned char *p = z->zs.next_in;
		if (z->zs.avail_in >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
			if (inflateInit2(&z->zs, 15 + 16) != Z_OK)
				return zin_fail(z, Z_MEM_ERROR, "out of memory");
			z->zs_live = 1;
			z->state = ZIN_GZIP;
		} else {
			z->state = ZIN_PLAIN;
		}
	}
	while (got < len && z->state != ZIN_END) {
		if (z->state == ZIN_PLAIN) {
			if (z->zs.avail_in == 0) {
				if (z->raw_eof || zin_refill(z) || z->zs.avail_in == 0) {
					if (z->err)
						break;
					z->state = ZIN_END;
					break;
				}
			}
			size_t k = z->zs.avail_in < len - got ? z->zs.avail_in : len - got;
			memcpy(buf + got, z->zs.next_in, k);
			z->zs.next_in += k;
			z->zs.avail_in -= (uInt)k;
			got += k;
			continue;
		}
		if (z->state == ZIN_BETWEEN) {
			int m = zin_next_member(z);
			if (m < 0)
				break;
			z->state = m ? ZIN_GZIP : ZIN_END;
			continue;
		}
		if (z->zs.avail_in == 0 && zin_refill(z))
			break;
		if (z->zs.avail_in == 0 && z->raw_eof) {
			zin_fail(z, Z_BUF_ERROR, "unexpected end of file");
			break;
		}
		size_t out = len - got;
		z->zs.next_out = buf + got;
		z->zs.avail_out = out > UINT_MAX ? UINT_MAX : (uInt)out;
		uInt before = z->zs.avail_out;
		int rc = inflate(&z->zs, Z_NO_FLUSH);
		got += before - z->zs.avail_out;
		if (rc == Z_STREAM_END) {
			z->state = ZIN_BETWEEN;
		} else if (rc == Z_BUF_ERROR) {
			if (z->raw_eof && z->zs.avail_in == 0) {
				zin_fail(z, Z_BUF_ERROR, "unexpected end of file");
				break;
			}
		} else if (rc != Z_OK) {
			zin_fail(z, rc == Z_MEM_ERROR ? Z_MEM_ERROR : Z_DATA_ERROR,
				 z->zs.msg ? z->zs.msg : "compressed data error");
			break;
		}
	}
	if (got)
		return (long)got;
	return z->err ? -1 : 0;
}

/* The pending error: its zlib code and message. */
static const char *zin_error(const struct zin *z, int *err)
{
	*err = z->err;
	if (z->err == Z_ERRNO)
		return strerror(z->err_errno);
	return z->msg ? z->msg : "";
}

/* ---- the reader ---- */

/* What a decoded record points into: the parsed JSON object (kept until
 * the next record), the reason of a bad one, a label number's digits. */
struct decstate {
	json_t *json;
	char reason[640];
	char num[32];
};

enum { MODE_NORMAL, MODE_SKIP_LONG, MODE_SKIP_LINE };

/* A CSV row parsed and checked, waiting to be handed out. */
struct readyrow {
	long line;
	int bad;      /* enum dump_bad */
	int split;
	size_t text_off, text_len, label_off, label_len; /* into ready; reason
							    at text_off when bad */
};

struct dumpreader {
	char *path;
	struct zin z;
	struct dump_opts o;
	size_t max_rec;
	int format;

	unsigned char *in;
	size_t in_pos, in_len;
	int in_eof, started, saw_data, fatal;
	int cr_end;      /* CSV: the last piece ended with the buffer's last
			    byte, a '\r' */
	long line;       /* line of the next unread byte */
	uint64_t bytes;
	uint64_t inflated; /* bytes out of zlib so far (the bomb guard) */

	char *text_name, *label_name, *split_name; /* chosen field names; fixed
						      once found */
	int split_searched;                       /* split detection done */
	struct decstate d;

	/* JSON Lines */
	struct buf rec;

	/* CSV/TSV */
	struct csv_parser csv;
	int csv_live, header_done, csv_done, oom;
	int ncols, c_text, c_label, c_split;
	struct buf cur;           /* fields of the row being parsed */
	size_t *cur_off, *cur_len;
	int cur_n;
	size_t cur_cap;
	struct buf ready;         /* text and labels of finished rows */
	struct readyrow *rows;
	int n_rows, next_row;
	size_t cap_rows;
	int mode, row_started;
	long start_line, piece_line, rows_ended;
	size_t rec_bytes, rec_quotes;
};

static int gz_fail(struct dumpreader *r, int err, const char *msg)
{
	r->fatal = 1;
	if (err == Z_ERRNO)
		return bad_input(r->path, r->line, "read error: %s", msg);
	if (err == Z_MEM_ERROR)
		return error("out of memory reading '%s'", r->path);
	if (err == ZIN_TRAILING)
		return bad_input(r->path, r->line,
				 "%s: not a gzip member (rows appended to a .gz file?); the dump is "
				 "damaged", msg);
	if (err == Z_BUF_ERROR)
		return bad_input(r->path, r->line,
				 "truncated gzip stream (%s): the dump is incomplete", msg);
	return bad_input(r->path, r->line, "corrupt gzip stream (%s)", msg);
}

/* UTF-16 at the start of a dump: a BOM (FF FE little-endian, FE FF
 * big-endian), or none but ASCII with a NUL byte every other byte (every
 * JSON Lines and CSV dump starts with ASCII: '{"' or a header): at least 4
 * such pairs (or all, in a tiny file) in the first 64 bytes, the first one
 * among them, none of the other order.  0: not UTF-16; 1/2: little/big-
 * endian with a BOM; 3/4: without one. */
static int utf16_kind(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return 1;
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		return 2;
	size_t pairs = (n < 64 ? n : 64) / 2, le = 0, be = 0;
	for (size_t i = 0; i < pairs; i++) {
		le += p[2 * i] && !p[2 * i + 1];
		be += !p[2 * i] && p[2 * i + 1];
	}
	if (pairs < 2 || (le && be))
		return 0;
	if (p[0] && !p[1] && (le >= 4 || le == pairs))
		return 3;
	if (!p[0] && p[1] && (be >= 4 || be == pairs))
		return 4;
	return 0;
}

/* Refills the input buffer when it is used up.  1: data available, 0: end
 * of input, -1: fatal (reported). */
static int fill(struct dumpreader *r)
{
	if (r->in_pos < r->in_len)
		return 1;
	if (r->in_eof)
		return 0;
	long got = zin_read(&r->z, r->in, INBUF_SIZE);
	if (got < 0) {
		int err;
		const char *msg = zin_error(&r->z, &err);
		return gz_fail(r, err, msg);
	}
	if (got == 0) {
		r->in_eof = 1;
		return 0;
	}
	r->in_pos = 0;
	r->in_len = (size_t)got;
	r->inflated += (uint64_t)got;
	if (r->inflated > GZ_RATIO_AFTER && r->z.state != ZIN_PLAIN) {
		/* compressed bytes consumed, not counting the unused buffer */
		uint64_t used = zin_used(&r->z);
		if (used > 0 && r->inflated > used * GZ_MAX_RATIO) {
			r->fatal = 1;
			return bad_input(r->path, 0,
					 "gzip expands over %d:1 (%.0f MB from %.0f kB); refusing it "
					 "as a likely gzip bomb",
					 GZ_MAX_RATIO, r->inflated / 1e6, (double)used / 1e3);
		}
	}
	if (!r->started) {
		r->started = 1;
		int u16 = utf16_kind(r->in, r->in_len);
		if (u16) {
			static const char *const how[] = {"", "UTF-16", "UTF-16", "UTF-16LE",
							  "UTF-16BE"};
			r->fatal = 1;
			return bad_input(r->path, 1,
					 "the file is UTF-16 (%s-endian%s); convert it to UTF-8, e.g. "
					 "iconv -f %s -t UTF-8",
					 u16 % 2 ? "little" : "big", u16 > 2 ? ", no BOM" : "",
					 how[u16]);
		}
		if (r->in_len >= 3 && !memcmp(r->in, "\xef\xbb\xbf", 3)) { /* BOM */
			r->in_pos = 3;
			r->bytes += 3;
		}
	}
	return 1;
}

/* The next piece: up to and including the next line break, or to the end
 * of the buffer.  A line break is '\n' (or "\r\n"); in CSV/TSV also a lone
 * '\r' (old Mac files: libcsv ends rows there, and resynchronising after a
 * bad row, or numbering lines, at '\n' only lost every later row).  *line
 * is the line the piece is on. 1: got one, 0: end, -1 fatal. */
static int next_piece(struct dumpreader *r, const char **p, size_t *n, int *nl, long *line)
{
	int rc = fill(r);
	if (rc <= 0)
		return rc;
	const char *s = (const char *)r->in + r->in_pos;
	size_t avail = r->in_len - r->in_pos;
	int after_cr = r->cr_end;
	r->cr_end = 0;
	if (after_cr && s[0] == '\n') {
		/* the "\n" of a "\r\n" cut at the end of the buffer: the line
		 * break was counted at the '\r' */
		*p = s;
		*n = 1;
		*nl = 1;
		*line = r->line - 1;
		r->in_pos++;
		r->bytes++;
		return 1;
	}
	const char *e = memchr(s, '\n', avail);
	if (r->format != DUMP_JSONL) {
		const char *cr = memchr(s, '\r', e ? (size_t)(e - s) : avail);
		if (cr && cr + 1 != e) { /* a lone '\r' */
			e = cr;
			r->cr_end = cr + 1 == s + avail; /* maybe a "\r\n" cut in two */
		}
	}
	size_t len = e ? (size_t)(e - s) + 1 : avail;
	*p = s;
	*n = len;
	*nl = e != NULL;
	*line = r->line;
	r->in_pos += len;
	r->bytes += len;
	if (e)
		r->line++;
	if (!r->saw_data && !is_blank(s, len))
		r->saw_data = 1;
	return 1;
}

static int set_bad(struct decstate *d, struct dumprec *rec, long line, int kind,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int set_bad(struct decstate *d, struct dumprec *rec, long line, int kind,
		   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	memset(rec, 0, sizeof(*rec));
	rec->line = line;
	rec->bad = kind;
	rec->reason = d->reason;
	return DUMP_BAD;
}

/* Joins a candidate list for messages: "text, comment_text, ...". */
static const char *list_str(const char *const *list, const char *given, char *buf, size_t size)
{
	if (given) {
		snprintf(buf, size, "'%s'", given);
		return buf;
	}
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; list[i] && k + 1 < size; i++)
		k += snprintf(buf + k, size - k, "%s%s", i ? ", " : "", list[i]);
	return buf;
}

/* ---- JSON Lines ---- */

/* Key of object j matching `given` (any case) or the first candidate that is
 * present.  Returns the key as spelled in j, or NULL. */
static const char *json_find_key(json_t *j, const char *given, const char *const *cands)
{
	const char *one[2] = {given, NULL};
	const char *const *list = given ? one : cands;
	for (int i = 0; list[i]; i++) {
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v) {
			if (!strcasecmp(key, list[i]))
				return key;
		}
	}
	return NULL;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Parses one line of path into d->json.  DUMP_REC (an object), DUMP_BAD,
 * or DUMP_FATAL after error() when jansson ran out of memory (that is no
 * fault of the record: it says nothing of the line). */
static int json_parse_line(struct decstate *d, struct dumprec *rec, const char *path,
			   long line, const char *s, size_t len)
{
	json_error_t e;
	json_decref(d->json);
	/* a key given twice is refused, not resolved silently: which "text"
	 * the dump meant cannot be known */
	unsigned long mark = jsonoom_mark();
	d->json = json_loadb(s, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &e);
	/* also after a parse that succeeded: jansson's lexer goes on past a
	 * failed growth of its token buffer, a byte of the text left out */
	if (jsonoom_since(mark)) {
		json_decref(d->json);
		d->json = NULL;
		return error("out of memory reading '%s'", path);
	}
	if (!d->json) {
		enum json_error_code code = json_error_code(&e);
		if (code == json_error_duplicate_key)
			return set_bad(d, rec, line, DUMP_BAD_JSON,
				       "invalid JSON at column %d: %s (a key given twice)",
				       e.column, e.text);
		if (code == json_error_invalid_utf8)
			return set_bad(d, rec, line, DUMP_BAD_UTF8,
				       "invalid UTF-8 at byte %d of the line", e.position);
		if (code == json_error_premature_end_of_input)
			return set_bad(d, rec, line, DUMP_BAD_JSON,
				       "incomplete JSON: the line ends inside a value "
				       "(cut short?)");
		return set_bad(d, rec, line, DUMP_BAD_JSON, "invalid JSON at column %d: %s",
			       e.column, e.text);
	}
	if (!json_is_object(d->json))
		return set_bad(d, rec, line, DUMP_BAD_JSON, "expected a JSON object, found %s",
			       json_type_name(d->json));
	return DUMP_REC;
}

/* Takes text, label and split out of the parsed object d->json by the field
 * names found (split_name may be NULL: with split_auto, this record's own
 * split field, if it has one).  DUMP_REC or DUMP_BAD. */
static int json_extract(struct decstate *d, struct dumprec *rec, long line,
			const char *text_name, const char *label_name, const char *split_name,
			int split_auto)
{
	json_t *j = d->json;
	if (!split_name && split_auto)
		split_name = json_find_key(j, NULL, split_fields);
	json_t *t = json_object_get(j, text_name);
	if (!t || json_is_null(t))
		return set_bad(d, rec, line, DUMP_BAD_NO_TEXT, "no '%s' field", text_name);
	if (!json_is_string(t))
		return set_bad(d, rec, line, DUMP_BAD_TYPE, "'%s' is %s, not a string",
			       text_name, json_type_name(t));

	const char *lab = NULL;
	size_t lab_len = 0;
	if (label_name) { /* NULL: text only */
		json_t *l = json_object_get(j, label_name);
		if (!l || json_is_null(l))
			return set_bad(d, rec, line, DUMP_BAD_NO_LABEL, "no '%s' field", label_name);
		if (json_is_string(l)) {
			lab = json_string_value(l);
			lab_len = json_string_length(l);
		} else if (json_is_integer(l)) {
			snprintf(d->num, sizeof(d->num), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(l));
			lab = d->num;
			lab_len = strlen(d->num);
		} else {
			return set_bad(d, rec, line, DUMP_BAD_TYPE,
				       "'%s' is %s, not a string or an integer", label_name,
				       json_type_name(l));
		}
		if (lab_len == 0 || is_blank(lab, lab_len))
			return set_bad(d, rec, line, DUMP_BAD_LABEL, "empty '%s'", label_name);
		if (lab_len > MAX_LABEL_BYTES)
			return set_bad(d, rec, line, DUMP_BAD_LABEL, "'%s' is %zu bytes long (limit %d)",
				       label_name, lab_len, MAX_LABEL_BYTES);
		/* "positive\u0000": later stages see C strings ('positive'),
		 * the counts the whole bytes */
		if (memchr(lab, '\0', lab_len))
			return set_bad(d, rec, line, DUMP_BAD_LABEL, "'%s' contains a NUL byte",
				       label_name);
	}

	int split = SPLIT_NONE;
	json_t *sp = split_name ? json_object_get(j, split_name) : NULL;
	if (sp && !json_is_null(sp)) {
		if (!json_is_string(sp))
			return set_bad(d, rec, line, DUMP_BAD_TYPE, "'%s' is %s, not a string",
				       split_name, json_type_name(sp));
		if (memchr(json_string_value(sp), '\0', json_string_length(sp)))
			return set_bad(d, rec, line, DUMP_BAD_SPLIT, "'%s' contains a NUL byte",
				       split_name);
		split = parse_split_value(json_string_value(sp), json_string_length(sp));
		if (split < 0)
			return set_bad(d, rec, line, DUMP_BAD_SPLIT,
				       "unknown split '%.40s' (expected train, validation or test)",
				       json_string_value(sp));
	}
	memset(rec, 0, sizeof(*rec));
	rec->line = line;
	rec->text = json_string_value(t);
	rec->text_len = json_string_length(t);
	rec->label = lab;
	rec->label_len = lab_len;
	rec->split = split;
	return DUMP_REC;
}

/* Field names are found on the first records that have them, then fixed.
 * The split field is optional: when the first record has none, each later
 * record is looked at for one (json_extract), so a dump whose first
 * reviews name no split still has its later ones honoured (they were all
 * placed by hash, a dump's test reviews possibly in train). */
static int fields_known(const struct dumpreader *r)
{
	return r->text_name && (r->label_name || r->o.text_only) && r->split_searched;
}

static int jsonl_record(struct dumpreader *r, struct dumprec *rec, long line,
			const char *s, size_t len)
{
	char cands[256];
	struct decstate *d = &r->d;
	int rc = json_parse_line(d, rec, r->path, line, s, len);
	if (rc == DUMP_FATAL)
		r->fatal = 1;
	if (rc != DUMP_REC)
		return rc;
	json_t *j = d->json;
	if (!r->text_name) {
		const char *k = json_find_key(j, r->o.text_field, text_fields);
		if (!k)
			return set_bad(d, rec, line, DUMP_BAD_NO_TEXT, "no text field (looked for %s)",
				       list_str(text_fields, r->o.text_field, cands, sizeof(cands)));
		r->text_name = strdup(k);
	}
	if (!r->label_name && !r->o.text_only) {
		const char *k = json_find_key(j, r->o.label_field, label_fields);
		if (!k)
			return set_bad(d, rec, line, DUMP_BAD_NO_LABEL, "no label field (looked for %s)",
				       list_str(label_fields, r->o.label_field, cands, sizeof(cands)));
		r->label_name = strdup(k);
	}
	if (!r->split_searched) {
		const char *k = NULL;
		if (!r->o.split_field || *r->o.split_field)
			k = json_find_key(j, r->o.split_field, split_fields);
		/* a field named by the user must be there, as a CSV column must
		 * (a misspelt name used to be ignored: no split honoured) */
		if (!k && r->o.split_field && *r->o.split_field)
			return set_bad(d, rec, line, DUMP_BAD_SPLIT, "no split field '%s'",
				       r->o.split_field);
		if (k && !(r->split_name = strdup(k))) {
			r->fatal = 1;
			return error("out of memory reading '%s'", r->path);
		}
		r->split_searched = 1;
	}
	/* field names that could not be kept: the reader cannot go on (it
	 * was a bad record, and the next record tried again) */
	if (!r->text_name || (!r->label_name && !r->o.text_only)) {
		r->fatal = 1;
		return error("out of memory reading '%s'", r->path);
	}
	return json_extract(d, rec, line, r->text_name, r->label_name, r->split_name,
			    !r->o.split_field);
}

static int jsonl_next(struct dumpreader *r, struct dumprec *rec, int raw)
{
	for (;;) {
		const char *p, *line = NULL;
		size_t n, len = 0, total = 0;
		int nl = 0, rc, too_long = 0;
		long l0 = -1, pl;
		r->rec.n = 0;
		while ((rc = next_piece(r, &p, &n, &nl, &pl)) == 1) {
			if (l0 < 0)
				l0 = pl;
			total += n;
			if (!too_long) {
				if (total > r->max_rec) {
					too_long = 1;
					r->rec.n = 0;
				} else if (nl && r->rec.n == 0) {
					line = p; /* the whole line is in the input buffer */
					len = n;
				} else if (buf_add(&r->rec, p, n)) {
					r->fatal = 1;
					return error("out of memory reading '%s'", r->path);
				}
			}
			if (nl)
				break;
		}
		if (rc < 0)
			return DUMP_FATAL;
		if (l0 < 0) { /* end of input */
			if (!r->saw_data) {
				r->fatal = 1;
				bad_input(r->path, 0, "empty file (no records)");
				return DUMP_FATAL;
			}
			return DUMP_END;
		}
		if (too_long)
			return set_bad(&r->d, rec, l0, DUMP_BAD_TOO_LONG,
				       "line of %zu bytes is over the limit of %zu bytes "
				       "(skipped; see --max-record-mb)", total, r->max_rec);
		if (!line) {
			line = r->rec.p;
			len = r->rec.n;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			       line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (is_blank(line, len))
			continue;
		if (raw && fields_known(r)) {
			memset(rec, 0, sizeof(*rec));
			rec->line = l0;
			rec->text = line;
			rec->text_len = len;
			return DUMP_RAW;
		}
		return jsonl_record(r, rec, l0, line, len);
	}
}

/* ---- CSV/TSV ---- */

/* libcsv grows its field buffer by a fixed block; grow geometrically. */
static void *csv_grow(void *p, size_t n)
{
	size_t have = p ? malloc_usable_size(p) : 0;
	if (n <= have)
		return p;
	return realloc(p, have * 2 > n ? have * 2 : n);
}

static void csv_start(struct dumpreader *r)
{
	if (r->csv_live)
		csv_free(&r->csv);
	csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI);
	csv_set_delim(&r->csv, r->format == DUMP_TSV ? CSV_TAB : CSV_COMMA);
	csv_set_realloc_func(&r->csv, csv_grow);
	csv_set_blk_size(&r->csv, 4096);
	r->csv_live = 1;
	r->cur_n = 0;
	r->cur.n = 0;
}

static void csv_cb_field(void *s, size_t len, void *data)
{
	struct dumpreader *r = data;
	/* two arrays, one capacity: it moves on once both have grown */
	size_t cap_off = r->cur_cap, cap_len = r->cur_cap;
	if (GROW_ARRAY_QUIET(r->cur_off, cap_off, (size_t)r->cur_n + 1, 16) ||
	    GROW_ARRAY_QUIET(r->cur_len, cap_len, (size_t)r->cur_n + 1, 16)) {
		r->oom = 1;
		return;
	}
	r->cur_cap = cap_off;
	r->cur_off[r->cur_n] = r->cur.n;
	r->cur_len[r->cur_n] = len;
	r->cur_n++;
	if (buf_add(&r->cur, s, len))
		r->oom = 1;
}

static struct readyrow *push_row(struct dumpreader *r, long line, int bad)
{
	if (GROW_ARRAY_QUIET(r->rows, r->cap_rows, (size_t)r->n_rows + 1, 16)) {
		r->oom = 1;
		return NULL;
	}
	struct readyrow *row = &r->rows[r->n_rows++];
	memset(row, 0, sizeof(*row));
	row->line = line;
	row->bad = bad;
	return row;
}

static void push_bad(struct dumpreader *r, long line, int kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void push_bad(struct dumpreader *r, long line, int kind, const char *fmt, ...)
{
	char msg[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct readyrow *row = push_row(r, line, kind);
	if (!row)
		return;
	row->text_off = r->ready.n;
	if (buf_add(&r->ready, msg, strlen(msg) + 1)) {
		r->n_rows--;
		r->oom = 1;
	}
}

static int find_col(struct dumpreader *r, const char *given, const char *const *cands)
{
	const char *one[2] = {given, NULL};
	const char *const *list = given ? one : cands;
	for (int i = 0; list[i]; i++)
		for (int c = 0; c < r->cur_n; c++)
			if (strlen(list[i]) == r->cur_len[c] &&
			    !strncasecmp(r->cur.p + r->cur_off[c], list[i], r->cur_len[c]))
				return c;
	return -1;
}

static char *col_name(struct dumpreader *r, int c)
{
	return strndup(r->cur.p + r->cur_off[c], r->cur_len[c]);
}

/* A column the reader uses must be named once: with two "text" columns
 * either could be meant.  1 (reported, fatal) when another column has
 * column c's name (compared as find_col does), else 0. */
static int col_twice(struct dumpreader *r, int c)
{
	const char *name = r->cur.p + r->cur_off[c];
	size_t n = r->cur_len[c];
	for (int k = 0; k < r->cur_n; k++)
		if (k != c && r->cur_len[k] == n && !strncasecmp(r->cur.p + r->cur_off[k], name, n)) {
			r->fatal = 1;
			bad_input(r->path, r->start_line, "column \"%.*s\" appears twice in the header",
				  (int)(n > 60 ? 60 : n), name);
			return 1;
		}
	return 0;
}

static void csv_header(struct dumpreader *r)
{
	char cands[256], hdr[512];
	size_t k = 0;
	hdr[0] = '\0';
	for (int c = 0; c < r->cur_n && k + 1 < sizeof(hdr); c++)
		k += snprintf(hdr + k, sizeof(hdr) - k, "%s%.*s", c ? ", " : "",
			      (int)(r->cur_len[c] > 60 ? 60 : r->cur_len[c]), r->cur.p + r->cur_off[c]);
	r->header_done = 1;
	r->ncols = r->cur_n;
	if (utf8_check(r->cur.p, r->cur.n) != r->cur.n) {
		r->fatal = 1;
		bad_input(r->path, r->start_line, "the header is not valid UTF-8");
		return;
	}
	r->c_text = find_col(r, r->o.text_field, text_fields);
	if (r->c_text < 0) {
		r->fatal = 1;
		bad_input(r->path, r->start_line,
			  "no text column (looked for %s; the header has: %s); name it with --text-field",
			  list_str(text_fields, r->o.text_field, cands, sizeof(cands)), hdr);
		return;
	}
	if (col_twice(r, r->c_text))
		return;
	r->c_label = r->o.text_only ? -1 : find_col(r, r->o.label_field, label_fields);
	if (r->c_label < 0 && !r->o.text_only) {
		r->fatal = 1;
		bad_input(r->path, r->start_line,
			  "no label column (looked for %s; the header has: %s); name it with --label-field",
			  list_str(label_fields, r->o.label_field, cands, sizeof(cands)), hdr);
		return;
	}
	if (r->c_label >= 0 && col_twice(r, r->c_label))
		return;
	r->c_split = -1;
	if (!r->o.split_field || *r->o.split_field) {
		r->c_split = find_col(r, r->o.split_field, split_fields);
		if (r->c_split < 0 && r->o.split_field) {
			r->fatal = 1;
			bad_input(r->path, r->start_line,
				  "no split column '%s' (the header has: %s)", r->o.split_field, hdr);
			return;
		}
	}
	if (r->c_split >= 0 && col_twice(r, r->c_split))
		return;
	r->split_searched = 1;
	r->text_name = col_name(r, r->c_text);
	r->label_name = r->c_label >= 0 ? col_name(r, r->c_label) : NULL;
	r->split_name = r->c_split >= 0 ? col_name(r, r->c_split) : NULL;
	if (!r->text_name || (r->c_label >= 0 && !r->label_name) ||
	    (r->c_split >= 0 && !r->split_name))
		r->oom = 1;
}

static void csv_row(struct dumpreader *r)
{
	long line = r->start_line;
	size_t bad_at;
	if (r->cur_n != r->ncols) {
		push_bad(r, line, DUMP_BAD_FIELDS, "expected %d fields as in the header, found %d",
			 r->ncols, r->cur_n);
		return;
	}
	const char *text = r->cur.p + r->cur_off[r->c_text];
	size_t text_len = r->cur_len[r->c_text];
	const char *lab = r->c_label >= 0 ? r->cur.p + r->cur_off[r->c_label] : "";
	size_t lab_len = r->c_label >= 0 ? r->cur_len[r->c_label] : 0;
	if ((bad_at = utf8_check(text, text_len)) != text_len) {
		push_bad(r, line, DUMP_BAD_UTF8, "invalid UTF-8 at byte %zu of field '%s'",
			 bad_at, r->text_name);
		return;
	}
	if (r->c_label >= 0) {
		if ((bad_at = utf8_check(lab, lab_len)) != lab_len) {
			push_bad(r, line, DUMP_BAD_UTF8, "invalid UTF-8 at byte %zu of field '%s'",
				 bad_at, r->label_name);
			return;
		}
		if (lab_len == 0 || is_blank(lab, lab_len)) {
			push_bad(r, line, DUMP_BAD_NO_LABEL, "empty '%s'", r->label_name);
			return;
		}
		if (lab_len > MAX_LABEL_BYTES) {
			push_bad(r, line, DUMP_BAD_LABEL, "'%s' is %zu bytes long (limit %d)",
				 r->label_name, lab_len, MAX_LABEL_BYTES);
			return;
		}
		if (memchr(lab, '\0', lab_len)) {
			push_bad(r, line, DUMP_BAD_LABEL, "'%s' contains a NUL byte", r->label_name);
			return;
		}
	}
	int split = SPLIT_NONE;
	if (r->c_split >= 0) {
		const char *s = r->cur.p + r->cur_off[r->c_split];
		size_t n = r->cur_len[r->c_split];
		if (memchr(s, '\0', n)) {
			push_bad(r, line, DUMP_BAD_SPLIT, "'%s' contains a NUL byte", r->split_name);
			return;
		}
		split = parse_split_value(s, n);
		if (split < 0) {
			push_bad(r, line, DUMP_BAD_SPLIT,
				 "unknown split '%.*s' (expected train, validation or test)",
				 (int)(n > 40 ? 40 : n), s);
			return;
		}
	}
	struct readyrow *row = push_row(r, line, DUMP_BAD_NONE);
	if (!row)
		return;
	row->split = split;
	row->text_off = r->ready.n;
	row->text_len = text_len;
	row->label_off = r->ready.n + text_len;
	row->label_len = lab_len;
	/* a row whose text could not be kept is not handed out */
	if (buf_add(&r->ready, text, text_len) || buf_add(&r->ready, lab, lab_len)) {
		r->n_rows--;
		r->oom = 1;
	}
}

static void csv_cb_row(int c, void *data)
{
	struct dumpreader *r = data;
	r->rows_ended++;
	if (r->oom) /* a field of the row is missing: reported after csv_parse */
		return;
	if (!r->header_done)
		csv_header(r);
	else if (!r->fatal)
		csv_row(r);
	r->cur_n = 0;
	r->cur.n = 0;
	r->row_started = 0;
	r->start_line = r->piece_line;
}

static void record_done(struct dumpreader *r)
{
	r->mode = MODE_NORMAL;
	r->row_started = 0;
	r->rec_bytes = r->rec_quotes = 0;
}

static void csv_header_fail(struct dumpreader *r, const char *why)
{
	r->fatal = 1;
	bad_input(r->path, r->start_line, "cannot read the header: %s", why);
}

/* A piece of a record over the size limit: counted, not kept; at the
 * newline that ends the record (outside quotes) it is reported as bad. */
static void skip_long(struct dumpreader *r, const char *p, size_t n, int nl)
{
	r->rec_quotes += count_quotes(p, n);
	r->rec_bytes += n;
	if (nl && !(r->rec_quotes & 1)) {
		push_bad(r, r->start_line, DUMP_BAD_TOO_LONG,
			 "record of %zu bytes is over the limit of %zu bytes "
			 "(skipped; see --max-record-mb)", r->rec_bytes, r->max_rec);
		record_done(r);
	}
}

static void csv_feed(struct dumpreader *r, const char *p, size_t n, int nl, long pl)
{
	r->piece_line = pl;
	if (r->mode == MODE_SKIP_LINE) {
		if (nl)
			record_done(r);
		return;
	}
	if (r->mode == MODE_SKIP_LONG) {
		skip_long(r, p, n, nl);
		return;
	}
	if (!r->row_started && !is_blank(p, n)) {
		r->row_started = 1;
		r->start_line = pl;
	}
	if (r->rec_bytes + n > r->max_rec) {
		if (!r->header_done)
			return csv_header_fail(r, "header over the record size limit");
		csv_start(r); /* drop the partial row */
		r->mode = MODE_SKIP_LONG;
		skip_long(r, p, n, nl);
		return;
	}
	long ended = r->rows_ended;
	size_t got = csv_parse(&r->csv, p, n, csv_cb_field, csv_cb_row, r);
	if (r->fatal)
		return;
	if (r->oom) {
		r->fatal = 1;
		error("out of memory reading '%s'", r->path);
		return;
	}
	if (got < n) {
		int e = csv_error(&r->csv);
		if (e == CSV_ENOMEM) {
			r->fatal = 1;
			error("out of memory reading '%s'", r->path);
			return;
		}
		if (e != CSV_EPARSE) {
			r->fatal = 1;
			bad_input(r->path, pl, "csv parser failed: %s", csv_strerror(e));
			return;
		}
		if (!r->header_done)
			return csv_header_fail(r, "malformed quoting");
		if (pl != r->start_line)
			push_bad(r, r->start_line, DUMP_BAD_QUOTING,
				 "malformed quoting on line %ld: a quote inside an unquoted "
				 "field, or text after a closing quote", pl);
		else
			push_bad(r, r->start_line, DUMP_BAD_QUOTING,
				 "malformed quoting: a quote inside an unquoted field, or text "
				 "after a closing quote");
		csv_start(r);
		record_done(r);
		if (!nl)
			r->mode = MODE_SKIP_LINE; /* resynchronise at the next line break */
		return;
	}
	if (r->rows_ended != ended) {
		r->rec_bytes = r->rec_quotes = 0;
	} else {
		r->rec_bytes += n;
		r->rec_quotes += count_quotes(p, n);
	}
}

static void csv_eof(struct dumpreader *r)
{
	r->csv_done = 1;
	if (r->mode == MODE_SKIP_LONG) {
		if (r->rec_quotes & 1)
			push_bad(r, r->start_line, DUMP_BAD_QUOTING,
				 "unterminated quoted field: the quote runs to the end of the "
				 "file (%ld lines)", r->line - r->start_line);
		else
			push_bad(r, r->start_line, DUMP_BAD_TOO_LONG,
				 "record of %zu bytes is over the limit of %zu bytes "
				 "(skipped; see --max-record-mb)", r->rec_bytes, r->max_rec);
		return;
	}
	if (r->mode == MODE_SKIP_LINE)
		return;
	r->piece_line = r->line;
	if (csv_fini(&r->csv, csv_cb_field, csv_cb_row, r)) {
		if (!r->header_done)
			return csv_header_fail(r, "unterminated quoted field");
		push_bad(r, r->start_line, DUMP_BAD_QUOTING,
			 "unterminated quoted field: the quote opened in this record runs to "
			 "the end of the file (%ld lines)", r->line - r->start_line);
	}
	if (r->oom) {
		r->fatal = 1;
		error("out of memory reading '%s'", r->path);
	}
}

static int csv_next(struct dumpreader *r, struct dumprec *rec)
{
	for (;;) {
		if (r->next_row < r->n_rows) {
			const struct readyrow *row = &r->rows[r->next_row++];
			if (row->bad) {
				snprintf(r->d.reason, sizeof(r->d.reason), "%s", r->ready.p + row->text_off);
				memset(rec, 0, sizeof(*rec));
				rec->line = row->line;
				rec->bad = row->bad;
				rec->reason = r->d.reason;
				return DUMP_BAD;
			}
			memset(rec, 0, sizeof(*rec));
			rec->line = row->line;
			rec->text = r->ready.p + row->text_off;
			rec->text_len = row->text_len;
			rec->label = r->ready.p + row->label_off;
			rec->label_len = row->label_len;
			rec->split = row->split;
			return DUMP_REC;
		}
		if (r->fatal)
			return DUMP_FATAL;
		if (r->csv_done) {
			if (!r->saw_data) {
				r->fatal = 1;
				bad_input(r->path, 0, "empty file (no records)");
				return DUMP_FATAL;
			}
			if (!r->header_done) {
				r->fatal = 1;
				bad_input(r->path, 0, "no header line");
				return DUMP_FATAL;
			}
			return DUMP_END;
		}
		r->n_rows = r->next_row = 0;
		r->ready.n = 0;
		const char *p;
		size_t n;
		int nl;
		long pl;
		int rc = next_piece(r, &p, &n, &nl, &pl);
		if (rc < 0)
			return DUMP_FATAL;
		if (rc == 0)
			csv_eof(r);
		else
			csv_feed(r, p, n, nl, pl);
	}
}

/* ---- open, next, close ---- */

static int format_from_name(const char *path)
{
	size_t n = strlen(path);
	if (n > 3 && !strcasecmp(path + n - 3, ".gz"))
		n -= 3;
	static const struct { const char *ext; int fmt; } exts[] = {
		{".jsonl", DUMP_JSONL}, {".ndjson", DUMP_JSONL}, {".json", DUMP_JSONL},
		{".csv", DUMP_CSV}, {".tsv", DUMP_TSV}, {".tab", DUMP_TSV},
	};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t k = strlen(exts[i].ext);
		if (n > k && !strncasecmp(path + n - k, exts[i].ext, k))
			return exts[i].fmt;
	}
	return DUMP_AUTO;
}

/* By content: '{' first -> JSON Lines; a tab in the first line and no comma
 * -> TSV; else CSV. */
static int format_from_content(struct dumpreader *r)
{
	const char *s = (const char *)r->in + r->in_pos;
	size_t n = r->in_len - r->in_pos;
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i < n && s[i] == '{')
		return DUMP_JSONL;
	size_t len = 0;
	while (len < n && s[len] != '\n' && s[len] != '\r')
		len++;
	if (memchr(s, '\t', len) && !memchr(s, ',', len))
		return DUMP_TSV;
	return DUMP_CSV;
}

struct dumpreader *dumpreader_open(const char *path, const struct dump_opts *o)
{
	struct dumpreader *r = calloc(1, sizeof(*r));
	if (!r) {
		error("out of memory");
		return NULL;
	}
	r->z.fd = -1;
	r->o = *o;
	r->max_rec = o->max_record_bytes ? o->max_record_bytes : DUMP_DEFAULT_MAX_RECORD;
	r->path = strdup(path);
	r->in = malloc(INBUF_SIZE);
	r->line = 1;
	r->c_split = -1;
	if (!r->path || !r->in) {
		error("out of memory");
		dumpreader_close(r);
		return NULL;
	}
	if (zin_open(&r->z, path)) {
		error("cannot open '%s': %s", path, strerror(errno));
		dumpreader_close(r);
		return NULL;
	}
	r->format = o->format != DUMP_AUTO ? o->format : format_from_name(path);
	if (r->format == DUMP_AUTO) {
		if (fill(r) < 0) {
			dumpreader_close(r);
			return NULL;
		}
		r->format = format_from_content(r);
	}
	if (r->format != DUMP_JSONL)
		csv_start(r);
	return r;
}

int dumpreader_next(struct dumpreader *r, struct dumprec *rec)
{
	if (r->fatal)
		return DUMP_FATAL;
	return r->format == DUMP_JSONL ? jsonl_next(r, rec, 0) : csv_next(r, rec);
}

int dumpreader_next_raw(struct dumpreader *r, struct dumprec *rec)
{
	if (r->fatal)
		return DUMP_FATAL;
	return r->format == DUMP_JSONL ? jsonl_next(r, rec, 1) : csv_next(r, rec);
}

struct dumpdecoder {
	struct decstate d;
	const struct dumpreader *r;
};

struct dumpdecoder *dumpdecoder_new(const struct dumpreader *r)
{
	struct dumpdecoder *dec = calloc(1, sizeof(*dec));
	if (!dec) {
		error("out of memory");
		return NULL;
	}
	dec->r = r;
	return dec;
}

int dumpdecoder_decode(struct dumpdecoder *dec, long line, const char *s, size_t len,
		       struct dumprec *rec)
{
	const struct dumpreader *r = dec->r;
	int rc = json_parse_line(&dec->d, rec, r->path, line, s, len);
	if (rc != DUMP_REC)
		return rc;
	return json_extract(&dec->d, rec, line, r->text_name, r->label_name, r->split_name,
			    !r->o.split_field);
}

void dumpdecoder_free(struct dumpdecoder *dec)
{
	if (!dec)
		return;
	json_decref(dec->d.json);
	free(dec);
}

int dumpreader_format(const struct dumpreader *r) { return r->format; }
const char *dumpreader_text_field(const struct dumpreader *r) { return r->text_name; }
const char *dumpreader_label_field(const struct dumpreader *r) { return r->label_name; }
const char *dumpreader_split_field(const struct dumpreader *r) { return r->split_name; }
uint64_t dumpreader_bytes(const struct dumpreader *r) { return r->bytes; }
long dumpreader_line(const struct dumpreader *r) { return r->line; }

void dumpreader_close(struct dumpreader *r)
{
	if (!r)
		return;
	zin_close(&r->z);
	if (r->csv_live)
		csv_free(&r->csv);
	json_decref(r->d.json);
	free(r->rec.p);
	free(r->cur.p);
	free(r->cur_off);
	free(r->cur_len);
	free(r->ready.p);
	free(r->rows);
	free(r->text_name);
	free(r->label_name);
	free(r->split_name);
	free(r->in);
	free(r->path);
	free(r);
}
