/* u64map.c - open addressing with linear probing (see u64map.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "u64map.h"

static int alloc_slots(struct u64map *m, size_t cap)
{
	m->keys = malloc(cap * sizeof(*m->keys));
	m->vals = malloc(cap * sizeof(*m->vals));
	m->used = calloc(cap, 1);
	m->cap = cap;
	m->n = 0;
	if (!m->keys || !m->vals || !m->used) {
		u64map_free(m);
		return error("out of memory (hash map of %zu slots)", cap);
	}
	return 0;
}

int u64map_init(struct u64map *m, size_t expect)
{
	size_t cap = 64;
	while (cap < 2 * expect + 2)
		cap *= 2;
	memset(m, 0, sizeof(*m));
	return alloc_slots(m, cap);
}

static size_t slot_of(const struct u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = (size_t)(key ^ (key >> 29)) & mask;
	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;
	if (alloc_slots(m, old.cap * 2)) {
		*m = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.used[i])
			continue;
		size_t j = slot_of(m, old.keys[i]);
		m->used[j] = 1;
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
		m->n++;
	}
	u64map_free(&old);
	return 0;
}

uint32_t *u64map_put(struct u64map *m, uint64_t key, int *found)
{
	if (2 * (m->n + 1) > m->cap && grow(m))
		return NULL;
	size_t i = slot_of(m, key);
	*found = m->used[i];
	if (!m->used[i]) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->vals[i] = 0;
		m->n++;
	}
	return &m->vals[i];
}

uint32_t *u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i = slot_of(m, key);
	return m->used[i] ? &m->vals[i] : NULL;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}
