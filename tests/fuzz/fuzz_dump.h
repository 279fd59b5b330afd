/* fuzz_dump.h - drives a dump reader (common/dumpread.c) over one fuzz
 * input, shared by fuzz_jsonl.c, fuzz_csv.c and fuzz_gzip.c.
 *
 * A control byte picks the options (text only, a small record limit, given
 * field names, the raw-line path with a decoder as tokenize uses it); every
 * record handed out is read byte by byte so the sanitizers see any read
 * outside what the reader owns.  Nothing is written.
 */
#ifndef RNNPIPE_FUZZ_DUMP_H
#define RNNPIPE_FUZZ_DUMP_H

#include <string.h>

#include "dumpread.h"
#include "error.h"
#include "fuzz_util.h"
#include "tokfile.h"

static volatile unsigned fuzz_sink;

static void touch(const char *p, size_t n)
{
	unsigned h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + (unsigned char)p[i];
	fuzz_sink += h;
}

static void check_rec(int rc, const struct dumprec *rec, int text_only)
{
	if (rc == DUMP_REC || rc == DUMP_RAW) {
		if (!rec->text && rec->text_len)
			abort();
		touch(rec->text, rec->text_len);
		if (rc == DUMP_REC && !text_only && !rec->label)
			abort(); /* a usable record always has a label */
		if (rec->label)
			touch(rec->label, rec->label_len);
		if (rec->split < SPLIT_NONE || rec->split > SPLIT_TEST)
			abort();
	} else if (rc == DUMP_BAD) {
		if (!rec->reason || rec->bad <= DUMP_BAD_NONE || rec->bad >= DUMP_BAD_N)
			abort();
		fuzz_sink += strlen(rec->reason);
	}
	if (rec->line < 1 && rc != DUMP_END && rc != DUMP_FATAL)
		abort();
}

/* Reads the whole file at path with options chosen by ctl. */
static void fuzz_dump_file(const char *path, int format, uint8_t ctl)
{
	struct dump_opts o = {0};
	o.format = format;
	o.text_only = ctl & 1;
	o.max_record_bytes = (ctl & 2) ? 48 : 0;
	if (ctl & 4) {
		o.text_field = "review";
		o.label_field = "sentiment";
	}
	if (ctl & 8)
		o.split_field = ""; /* never */
	int raw = (ctl & 16) != 0;

	struct dumpreader *r = dumpreader_open(path, &o);
	if (!r)
		return;
	struct dumpdecoder *dec = raw ? dumpdecoder_new(r) : NULL;
	struct dumprec rec;
	int rc;
	long n = 0;
	for (;;) {
		rc = raw ? dumpreader_next_raw(r, &rec) : dumpreader_next(r, &rec);
		if (rc == DUMP_END || rc == DUMP_FATAL)
			break;
		check_rec(rc, &rec, o.text_only);
		if (rc == DUMP_RAW) {
			/* the decoder reads the fields fixed by then */
			if (!dumpreader_text_field(r))
				abort();
			struct dumprec d;
			int drc = dumpdecoder_decode(dec, rec.line, rec.text, rec.text_len, &d);
			if (drc != DUMP_REC && drc != DUMP_BAD)
				abort();
			check_rec(drc, &d, o.text_only);
		}
		if (++n > 10000000)
			abort(); /* a reader that never ends */
	}
	/* after the end, the reader stays at its end */
	rc = dumpreader_next(r, &rec);
	if (rc != DUMP_END && rc != DUMP_FATAL)
		abort();
	const char *f = dumpreader_text_field(r);
	if (f)
		fuzz_sink += strlen(f);
	fuzz_sink += (unsigned)dumpreader_bytes(r) + (unsigned)dumpreader_line(r);
	dumpdecoder_free(dec);
	dumpreader_close(r);
}

#endif
