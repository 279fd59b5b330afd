/* dumpread.h - streaming readers for review dumps: JSON Lines (the Hugging
 * Face `datasets` export shape) and CSV/TSV with a header (RFC 4180 quoting),
 * each optionally gzip-compressed (zlib reads plain files unchanged).
 *
 * A reader hands out one review at a time: text, raw label, split name and
 * the line it starts on.  A bad record (broken JSON, bad quoting, invalid
 * UTF-8, a missing field...) is returned as DUMP_BAD with a reason, and the
 * reader carries on with the next record: the caller owns the policy.
 * Problems with the whole file (cannot open, truncated gzip stream, empty
 * file, no text column, UTF-16, a gzip bomb) are reported through
 * error()/bad_input() and end it.
 * Memory is bounded: a record longer than max_record_bytes is skipped
 * (DUMP_BAD_TOO_LONG) while the reader streams past it.
 * It does not tokenize, map labels or deduplicate.
 */
#ifndef RNNPIPE_DUMPREAD_H
#define RNNPIPE_DUMPREAD_H

#include <stddef.h>
#include <stdint.h>

enum dump_format { DUMP_AUTO = 0, DUMP_JSONL, DUMP_CSV, DUMP_TSV };

/* "auto" | "jsonl" | "csv" | "tsv" -> enum, -1 when unknown. */
int dump_format_parse(const char *s);
const char *dump_format_name(int format);

/* Field names tried, in order, when none is given (case-insensitive). */
#define DUMP_TEXT_FIELDS "text", "comment_text", "review", "review_text", "content", "body", "comment", "sentence"
#define DUMP_LABEL_FIELDS "label_text", "label", "comment_kind", "sentiment", "sentiment_label", "polarity", "class"
#define DUMP_SPLIT_FIELDS "split"

struct dump_opts {
	int format;              /* enum dump_format; DUMP_AUTO: by name, then content */
	const char *text_field;  /* NULL: first of DUMP_TEXT_FIELDS present */
	const char *label_field; /* NULL: first of DUMP_LABEL_FIELDS present */
	const char *split_field; /* NULL: "split" when present; "" = never */
	size_t max_record_bytes; /* 0: DUMP_DEFAULT_MAX_RECORD */
	int text_only;           /* labels are neither needed nor read
				    (rec->label NULL): vocabulary learning */
};
#define DUMP_DEFAULT_MAX_RECORD ((size_t)16 << 20)

/* The dump-reading options tokenize and learn-vocab both take (opts.h
 * tables): the same names, defaults and help in both.  Declare
 *   struct dump_cli c = DUMP_CLI_DEFAULTS;
 * and put DUMP_CLI_FIELD_OPTS(c) (--format, --text-field) and
 * DUMP_CLI_ERROR_OPTS(c) (--on-error, --max-errors, --max-record-mb,
 * --max-print) in the program's table. */
struct dump_cli {
	const char *format, *text_field, *on_error;
	long max_errors, max_record_mb, max_print;
};
#define DUMP_CLI_DEFAULTS {"auto", NULL, "skip", 0, 16, 20}
#define DUMP_CLI_FIELD_OPTS(c)                                                              \
	{"format", OPT_CHOICE, &(c).format, "auto|jsonl|csv|tsv",                           \
	 "dump format (auto: by file name, then by content)", 0, 0},                         \
	{"text-field", OPT_STR, &(c).text_field, "NAME",                                     \
	 "text field (default: first of text, comment_text, review, ...)", 0, 0}
#define DUMP_CLI_ERROR_OPTS(c)                                                              \
	{"on-error", OPT_CHOICE, &(c).on_error, "skip|fail",                                 \
	 "a bad record: skip, report and count it; or fail (exit 1)", 0, 0},                 \
	{"max-errors", OPT_INT, &(c).max_errors, "N",                                        \
	 "fail when a dump has more than N bad records; 0 = no limit", 0, 1e12},             \
	{"max-record-mb", OPT_INT, &(c).max_record_mb, "N",                                  \
	 "skip (as bad) records longer than N MiB; bounds memory", 1, 1024},                 \
	{"max-print", OPT_INT, &(c).max_print, "N", "print at most N bad-record messages", 0, 1e9}

/* Why a record was refused.  The names (dump_bad_name) are the keys of the
 * "bad" counts in the stats files. */
enum dump_bad {
	DUMP_BAD_NONE = 0,
	DUMP_BAD_JSON,       /* "invalid_json": not JSON, or not an object */
	DUMP_BAD_UTF8,       /* "invalid_utf8" */
	DUMP_BAD_QUOTING,    /* "bad_quoting": malformed or unterminated quotes */
	DUMP_BAD_FIELDS,     /* "field_count": CSV row with the wrong field count */
	DUMP_BAD_NO_TEXT,    /* "missing_text" */
	DUMP_BAD_NO_LABEL,   /* "missing_label" */
	DUMP_BAD_TYPE,       /* "bad_type": e.g. a number where text belongs */
	DUMP_BAD_TOO_LONG,   /* "too_long": over max_record_bytes */
	DUMP_BAD_SPLIT,      /* "unknown_split": a split value that is not
				train/validation/test */
	DUMP_BAD_LABEL,      /* "bad_label": empty or over 256 bytes */
	DUMP_BAD_N
};
const char *dump_bad_name(int kind);

enum { DUMP_END = 0, DUMP_REC = 1, DUMP_BAD = 2, DUMP_RAW = 3, DUMP_FATAL = -1 };

/* One review.  Pointers belong to the reader and stay valid until the next
 * dumpreader_next() call.  Strings are NOT NUL-terminated. */
struct dumprec {
	long line;             /* line the record starts on (1-based) */
	const char *text;
	size_t text_len;
	const char *label;     /* raw label as written (a JSON number as its
				  decimal digits) */
	size_t label_len;
	int split;             /* enum tok_split from the split field, else
				  SPLIT_NONE (the caller applies the file name) */
	int bad;               /* enum dump_bad when DUMP_BAD was returned */
	const char *reason;    /* DUMP_BAD: human-readable reason (NUL-terminated) */
};

struct dumpreader;

/* Opens path (gzip or plain).  NULL after error() when the file cannot be
 * opened.  The options are copied; field names must outlive the reader. */
struct dumpreader *dumpreader_open(const char *path, const struct dump_opts *o);

/* Next record: DUMP_REC (a usable record), DUMP_BAD (rec->line, rec->bad
 * and rec->reason are set; reading may continue), DUMP_END, or DUMP_FATAL
 * (reported already: truncated or corrupt gzip stream, read error, empty
 * file, no usable header or a used column named twice in it, a UTF-16
 * file, a gzip stream expanding over 200:1 past 64 MiB (a bomb); do not
 * call again). */
int dumpreader_next(struct dumpreader *r, struct dumprec *rec);

/* Like dumpreader_next(), but for JSON Lines it may return DUMP_RAW: the
 * undecoded line in rec->text/text_len (rec->line set), to be decoded by a
 * dumpdecoder on another thread.  JSON parsing is most of a reader's work,
 * so this is what lets it run in parallel.  Lines come raw only once the
 * field names are known (found on the first records, decoded here); CSV
 * and TSV records always come decoded. */
int dumpreader_next_raw(struct dumpreader *r, struct dumprec *rec);

/* A decoder for DUMP_RAW lines of reader r, one per thread.  It reads only
 * r's field names, fixed before the first DUMP_RAW, so it may run while the
 * reader reads on; r must outlive it.  NULL after error(). */
struct dumpdecoder;
struct dumpdecoder *dumpdecoder_new(const struct dumpreader *r);
/* Decodes a raw line exactly as dumpreader_next() would have: DUMP_REC or
 * DUMP_BAD, or DUMP_FATAL after error() when out of memory (the reader's
 * dump cannot be read on).  rec's pointers are valid until the next call
 * on dec. */
int dumpdecoder_decode(struct dumpdecoder *dec, long line, const char *s, size_t len,
		       struct dumprec *rec);
void dumpdecoder_free(struct dumpdecoder *dec);

/* What the reader found: the format used and the field names chosen (NULL
 * while not yet known or absent).  Valid until dumpreader_close(). */
int dumpreader_format(const struct dumpreader *r);
const char *dumpreader_text_field(const struct dumpreader *r);
const char *dumpreader_label_field(const struct dumpreader *r);
const char *dumpreader_split_field(const struct dumpreader *r);
/* Bytes of the (decompressed) input consumed so far. */
uint64_t dumpreader_bytes(const struct dumpreader *r);
/* Line number of the next unread byte. */
long dumpreader_line(const struct dumpreader *r);

void dumpreader_close(struct dumpreader *r);

/* The split a file name names: a "train", "validation"/"valid"/"val"/"dev"
 * or "test" word in the base name ("imdb-test.jsonl.gz"), else SPLIT_NONE. */
int dump_split_from_name(const char *path);

#endif
