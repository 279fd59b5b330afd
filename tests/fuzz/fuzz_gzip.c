/* fuzz_gzip.c - libFuzzer target: the dump readers on gzip input
 * (common/dumpread.c, its own inflate loop over zlib).  The first byte picks the
 * format and reader options (fuzz_dump.h); with bit 7 set the rest is
 * compressed here first (valid streams of mutated dumps), otherwise it is
 * the gzip file itself (mutated, truncated and corrupt streams, concatenated
 * members, plain bytes). */
#include <zlib.h>

#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	static const int formats[4] = {DUMP_AUTO, DUMP_JSONL, DUMP_CSV, DUMP_TSV};
	int format = formats[(ctl >> 5) & 3];
	const char *path;
	if (ctl & 128) {
		path = fuzz_scratch_path(0, ".gz");
		gzFile gz = gzopen(path, "wb1");
		if (!gz || (size && gzwrite(gz, data, (unsigned)size) != (int)size) ||
		    gzclose(gz) != Z_OK)
			abort();
	} else {
		path = fuzz_write_scratch(0, ".gz", data, size);
	}
	fuzz_dump_file(path, format, ctl);
	return 0;
}
