/* fuzz_util.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * The readers under test take file names, so each target writes its input
 * to one scratch file per process (under $FUZZ_TMPDIR, else /dev/shm when
 * it exists, else /tmp) and reads that.  The scratch file is removed at
 * exit.  Nothing here is linked into the programs.
 */
#ifndef RNNPIPE_FUZZ_UTIL_H
#define RNNPIPE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_MAX_SCRATCH 8

static char fuzz_scratch_paths[FUZZ_MAX_SCRATCH][512];

static void fuzz_scratch_cleanup(void)
{
	for (int i = 0; i < FUZZ_MAX_SCRATCH; i++)
		if (fuzz_scratch_paths[i][0])
			unlink(fuzz_scratch_paths[i]);
}

/* Path of scratch file number slot (0..7) with the given name suffix
 * (".jsonl", ".gz"...): the same path for the whole process. */
static inline const char *fuzz_scratch_path(int slot, const char *suffix)
{
	char *p = fuzz_scratch_paths[slot];
	if (!p[0]) {
		const char *dir = getenv("FUZZ_TMPDIR");
		if (!dir || !*dir)
			dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(p, sizeof(fuzz_scratch_paths[0]), "%s/rnnpipe-fuzz-%ld-%d%s", dir,
			 (long)getpid(), slot, suffix);
		static int registered;
		if (!registered) {
			atexit(fuzz_scratch_cleanup);
			registered = 1;
		}
	}
	return p;
}

/* Writes data to scratch file slot and returns its path (aborts when the
 * scratch file cannot be written: that is the harness failing, not the
 * code under test). */
static inline const char *fuzz_write_scratch(int slot, const char *suffix, const void *data,
					     size_t size)
{
	const char *path = fuzz_scratch_path(slot, suffix);
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		perror(path);
		abort();
	}
	return path;
}

/* Takes one control byte off the front of the input (0 when empty). */
static inline uint8_t fuzz_take_byte(const uint8_t **data, size_t *size)
{
	if (!*size)
		return 0;
	uint8_t b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
