/* rng.c - xoshiro256** and splitmix64 (see rng.h). */
#include <math.h>

#include "rng.h"

uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

void rng_seed2(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = stream;
	rng_seed(r, seed ^ splitmix64(&x));
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double rng_uniform(struct rng *r) { return (rng_next(r) >> 11) * 0x1.0p-53; }

uint32_t rng_zipf(struct rng *r, double s, uint32_t n)
{
	double u = rng_uniform(r);
	double x = s == 1.0 ? exp(u * log((double)n))
			    : pow((pow((double)n, 1.0 - s) - 1.0) * u + 1.0, 1.0 / (1.0 - s));
	uint32_t k = (uint32_t)x;
	return k < 1 ? 1 : k > n ? n : k;
}

double rng_normal(struct rng *r)
{
	double u = 1.0 - rng_uniform(r), v = rng_uniform(r); /* u in (0, 1] */
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

void rng_shuffle_u32(struct rng *r, uint32_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, i);
		uint32_t t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}
