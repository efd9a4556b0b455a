// rng.h - the one seeded random generator of excite (xoshiro128**, seeded by splitmix64).
// Its whole state is a plain struct, so it can be saved in a checkpoint and restored:
// initialisation, shuffling, augmentation and dropout all draw from an Rng passed explicitly.
#ifndef EXCITE_RNG_H
#define EXCITE_RNG_H
#include <stdint.h>

typedef struct { uint32_t s[4]; } Rng;

void     rng_seed(Rng *r, uint64_t seed);
uint32_t rng_u32(Rng *r);
float    rng_uniform(Rng *r);              // [0, 1), 24 random bits
float    rng_range(Rng *r, float lo, float hi); // [lo, hi)
uint32_t rng_below(Rng *r, uint32_t n);    // [0, n), unbiased; n > 0
void     rng_shuffle(Rng *r, int *a, int n); // Fisher-Yates

#endif
