/*
 * rand.h - small, fast, seeded pseudo-random numbers for demo data and tests.
 *
 * xoshiro256** seeded through splitmix64 (both public-domain reference algorithms by
 * Blackman and Vigna). The same seed gives the same sequence on every platform, which is
 * what reproducible demo grids and tests need. NOT for secrets: tokens come from
 * tk_random_hex (libsodium) in core/id.h. A tk_rand is plain state owned by the caller
 * (no allocation); it is not thread-safe, so keep one per thread.
 */
#ifndef TK_RAND_H
#define TK_RAND_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} tk_rand;

/* One splitmix64 step: advances *state and returns the next output. */
uint64_t tk_splitmix64(uint64_t *state);

void tk_rand_seed(tk_rand *r, uint64_t seed);
uint64_t tk_rand_u64(tk_rand *r);
/* Uniform in [0, 1) with 53 random bits. */
double tk_rand_unit(tk_rand *r);
/* Uniform in [lo, hi). */
double tk_rand_uniform(tk_rand *r, double lo, double hi);
/* Uniform in [0, n) without modulo bias; n = 0 gives 0. */
uint64_t tk_rand_below(tk_rand *r, uint64_t n);

#endif
