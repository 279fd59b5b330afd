/* fuzz_jsonl.c - libFuzzer target: the JSON Lines dump reader
 * (common/dumpread.c) on arbitrary bytes.  The first byte picks the reader
 * options (fuzz_dump.h), the rest is the dump. */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	const char *path = fuzz_write_scratch(0, ".jsonl", data, size);
	fuzz_dump_file(path, (ctl & 32) ? DUMP_AUTO : DUMP_JSONL, ctl);
	return 0;
}
