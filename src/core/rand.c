/*
 * rand.c - splitmix64 and xoshiro256** (see rand.h). Nothing here allocates.
 */
#include "core/rand.h"

uint64_t tk_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void tk_rand_seed(tk_rand *r, uint64_t seed)
{
    /* splitmix64 never yields four zero words in a row, so the state is never all zero. */
    for (int i = 0; i < 4; i++)
        r->s[i] = tk_splitmix64(&seed);
}

uint64_t tk_rand_u64(tk_rand *r)
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

double tk_rand_unit(tk_rand *r)
{
    return (double)(tk_rand_u64(r) >> 11) * 0x1.0p-53;
}

double tk_rand_uniform(tk_rand *r, double lo, double hi)
{
    double x = lo + (hi - lo) * tk_rand_unit(r);
    /* Rounding can land exactly on hi when the range is wide and lo large. */
    return x < hi ? x : lo;
}

uint64_t tk_rand_below(tk_rand *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Reject the low (2^64 mod n) values so every residue is equally likely. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = tk_rand_u64(r);
        if (x >= threshold)
            return x % n;
    }
}
