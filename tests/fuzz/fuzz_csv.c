/* fuzz_csv.c - libFuzzer target: the CSV and TSV dump readers
 * (common/dumpread.c, libcsv in strict mode) on arbitrary bytes.  The first
 * byte picks CSV or TSV and the reader options (fuzz_dump.h). */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	int tsv = (ctl & 32) != 0;
	const char *path = fuzz_write_scratch(0, tsv ? ".tsv" : ".csv", data, size);
	fuzz_dump_file(path, (ctl & 64) ? DUMP_AUTO : tsv ? DUMP_TSV : DUMP_CSV, ctl);
	return 0;
}
