/* rng.h -- a small seeded PRNG (splitmix64 seeding a xoshiro256**).  Cores
 * take their randomness from one of these, seeded by the host, so a run is
 * reproducible from its seed. */
#ifndef PX_RNG_H
#define PX_RNG_H

#include <stdint.h>

typedef struct px_rng {
    uint64_t s[4];
} px_rng;

void px_rng_seed(px_rng *r, uint64_t seed);
uint64_t px_rng_next(px_rng *r);
/* Uniform in [lo, hi] (inclusive); lo <= hi. */
uint64_t px_rng_range(px_rng *r, uint64_t lo, uint64_t hi);

#endif
