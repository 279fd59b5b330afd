/* hash.c - FNV-1a + splitmix64 finaliser (see hash.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "hash.h"

uint64_t hash64_update(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t hash64_final(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t hash64(const void *data, size_t len)
{
	return hash64_final(hash64_update(HASH64_SEED, data, len));
}

int hash64_file(const char *path, uint64_t *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	unsigned char buf[1 << 16];
	uint64_t h = HASH64_SEED;
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		h = hash64_update(h, buf, n);
	int bad = ferror(f), e = errno;
	fclose(f);
	if (bad)
		return error("cannot read '%s': %s", path, strerror(e));
	*out = hash64_final(h);
	return 0;
}

void hash64_hex(uint64_t h, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
