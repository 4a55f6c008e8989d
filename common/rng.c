/* rng.c -- splitmix64 seeding a xoshiro256** (Blackman & Vigna).
 *
 * Deterministic from the seed on every platform: runs of the simulator are
 * reproduced from their seed alone. */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void px_rng_seed(px_rng *r, uint64_t seed)
{
    /* splitmix64 spreads any seed (even 0) into a state that is never all
     * zero, which is the one state xoshiro cannot leave. */
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t px_rng_next(px_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t px_rng_range(px_rng *r, uint64_t lo, uint64_t hi)
{
    uint64_t span = hi - lo + 1;

    if (span == 0) return px_rng_next(r); /* the full 64-bit range */

    /* Reject the low 2^64 mod span draws so that every residue is equally
     * likely: a plain modulo would favour the small ones. */
    uint64_t threshold = (0 - span) % span;
    for (;;) {
        uint64_t x = px_rng_next(r);
        if (x >= threshold) return lo + x % span;
    }
}
