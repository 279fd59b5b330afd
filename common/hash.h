/* hash.h - 64-bit hashes for review texts, vocabularies and files.
 *
 * FNV-1a over the bytes, then the murmur3/splitmix64 finaliser so every
 * output bit depends on every input bit (split assignment uses the low bits).
 * Not cryptographic; used to tell texts apart and to place them in splits.
 * Hand-written because it is ten lines and must never change: the split of
 * every review depends on it.  Stable across machines (byte order free).
 */
#ifndef RNNPIPE_HASH_H
#define RNNPIPE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH64_SEED 0xcbf29ce484222325ULL

/* Continue a hash over more bytes: h = hash64_update(HASH64_SEED, ...). */
uint64_t hash64_update(uint64_t h, const void *data, size_t len);
/* Final mixing step; apply once at the end. */
uint64_t hash64_final(uint64_t h);
/* hash64_final(hash64_update(HASH64_SEED, data, len)) */
uint64_t hash64(const void *data, size_t len);

/* Hash of a whole file's bytes; returns 0 and sets *out, or -1 (error()). */
int hash64_file(const char *path, uint64_t *out);

/* 16 lower-case hex digits + NUL. */
void hash64_hex(uint64_t h, char out[17]);

#endif
