/* rng.h - the project's seeded pseudo-random numbers: xoshiro256** seeded
 * through splitmix64 (Blackman & Vigna), so runs are reproducible across
 * machines and C libraries (no rand()).
 *
 * Not cryptographic.  One struct rng per stream; nothing global, so a
 * prefetch thread and the training loop never share state.
 */
#ifndef RNNPIPE_RNG_H
#define RNNPIPE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* One splitmix64 step: advances *x and returns the next output. */
uint64_t splitmix64(uint64_t *x);

/* Seeds from one 64-bit value (any value, 0 included). */
void rng_seed(struct rng *r, uint64_t seed);
/* Seeds a sub-stream: the same (seed, stream) always gives the same
 * sequence, different streams give unrelated ones (e.g. stream = epoch). */
void rng_seed2(struct rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's method); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* Standard normal (Box-Muller; one value per call). */
double rng_normal(struct rng *r);
/* Zipf-like rank in [1, n]: the continuous power law x^-s on [1, n]
 * inverted and floored (one uniform draw, no table); s >= 0, n >= 1. */
uint32_t rng_zipf(struct rng *r, double s, uint32_t n);
/* Fisher-Yates shuffle of a[0..n). */
void rng_shuffle_u32(struct rng *r, uint32_t *a, size_t n);

#endif
