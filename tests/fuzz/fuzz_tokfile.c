/* fuzz_tokfile.c - libFuzzer target: the token-record reader
 * (common/tokfile.c: header, JSON metadata, records, trailer and checksum)
 * on arbitrary bytes.  Every record handed out is read in full; the file is
 * read twice (rewind) and must give the same records both times. */
#include "fuzz_util.h"
#include "error.h"
#include "tokfile.h"

static volatile unsigned sink;

static void touch(const void *p, size_t n)
{
	const unsigned char *c = p;
	unsigned h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + c[i];
	sink += h;
}

static uint64_t pass(struct tokreader *r, int *rc_end)
{
	struct tokrec rec;
	uint64_t n = 0, acc = 0;
	int rc;
	while ((rc = tokreader_next(r, &rec)) == 1) {
		touch(rec.ids, 4 * (size_t)rec.n_ids);
		touch(rec.label_raw, rec.label_raw_len);
		touch(rec.text, rec.text_len);
		acc = acc * 1000003 + rec.hash + rec.n_ids + rec.text_len;
		if (++n > tokreader_count(r))
			abort(); /* more records than the header says */
	}
	*rc_end = rc;
	return acc ^ n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_scratch(0, ".tok", data, size);
	struct tokreader *r = tokreader_open(path);
	if (!r)
		return 0;
	const struct tokmeta *m = tokreader_meta(r);
	for (int i = 0; i < m->n_labels; i++)
		sink += strlen(m->labels[i]);
	for (int i = 0; i < m->n_sources; i++)
		sink += strlen(m->sources[i].name);
	struct tokmeta copy = {0};
	if (tokmeta_copy(&copy, m) == 0) {
		if (tokmeta_compatible(&copy, "a", m, "b"))
			abort(); /* a copy is compatible with its original */
		tokmeta_free(&copy);
	}
	int rc1, rc2;
	uint64_t a = pass(r, &rc1);
	if (tokreader_rewind(r) == 0) {
		uint64_t b = pass(r, &rc2);
		if (a != b || rc1 != rc2)
			abort(); /* reading is repeatable */
	}
	tokreader_close(r);
	return 0;
}
