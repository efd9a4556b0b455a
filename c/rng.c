// rng.c - xoshiro128** (Blackman & Vigna), seeded with splitmix64. See rng.h.
#include "rng.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed) {
    uint64_t x = seed;
    uint64_t a = splitmix64(&x), b = splitmix64(&x);
    r->s[0] = (uint32_t)a; r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b; r->s[3] = (uint32_t)(b >> 32);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1; // all-zero state is a fixed point
}

static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

uint32_t rng_u32(Rng *r) {
    uint32_t *s = r->s;
    uint32_t result = rotl(s[1] * 5, 7) * 9;
    uint32_t t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

float rng_uniform(Rng *r) { return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

float rng_range(Rng *r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

uint32_t rng_below(Rng *r, uint32_t n) {
    uint32_t limit = (uint32_t)(-n) % n; // reject the low 2^32 mod n values
    for (;;) {
        uint32_t x = rng_u32(r);
        if (x >= limit) return x % n;
    }
}

void rng_shuffle(Rng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint32_t)i + 1);
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}
