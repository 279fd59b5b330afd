/* u64map.h - an open-addressing hash map from 64-bit keys (review text
 * hashes, already well mixed) to 32-bit values.  Used for duplicate
 * detection in filter-relabel and split.  Memory: 13 bytes a slot, at most
 * half full.  Not thread-safe. */
#ifndef RNNPIPE_U64MAP_H
#define RNNPIPE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	uint8_t *used;
	size_t cap, n;
};

/* Sizes the map for about `expect` keys (it grows past that).  0 or -1
 * after error(). */
int u64map_init(struct u64map *m, size_t expect);
/* The value slot of key, inserted with value 0 when absent (*found = 0).
 * NULL after error() when out of memory.  Valid until the next put. */
uint32_t *u64map_put(struct u64map *m, uint64_t key, int *found);
/* The value slot of key, or NULL when absent. */
uint32_t *u64map_get(const struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);

#endif
