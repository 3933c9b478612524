/*
 * Shared helpers for the differential guests. Everything printed must be a pure
 * function of the architecture: never ID registers, counters, or addresses that could
 * differ between emulators (the image is linked at a fixed address, so symbol
 * addresses are the same everywhere, but prefer printing offsets anyway).
 */
#ifndef PMUEMU_DIFF_H
#define PMUEMU_DIFF_H

#include "sdk.h"

/* Operand values that hit the carry/overflow/sign boundaries of both widths. */
static const uint64_t diff_vals[] = {
    0x0000000000000000ull, 0x0000000000000001ull, 0x000000007fffffffull,
    0x0000000080000000ull, 0x00000000ffffffffull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0x123456789abcdef0ull,
    0xfedcba9876543210ull,
};
#define DIFF_NVALS (sizeof diff_vals / sizeof diff_vals[0])

/* NZCV as a 4-bit number (N=8, Z=4, C=2, V=1). */
static inline uint64_t diff_nzcv(void) { return sdk_read_sysreg(nzcv) >> 28; }

/* Deterministic pseudo-random numbers (64-bit LCG, Knuth's MMIX constants). */
static uint64_t diff_rng = 0x853c49e6748fea9bull;
static inline uint64_t diff_rand(void)
{
    diff_rng = diff_rng * 6364136223846793005ull + 1442695040888963407ull;
    return diff_rng ^ (diff_rng >> 29);
}

/* FNV-1a over 64-bit words, to fold long result streams into one printed value. */
static uint64_t diff_hash = 0xcbf29ce484222325ull;
static inline void diff_mix(uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        diff_hash ^= (v >> (8 * i)) & 0xff;
        diff_hash *= 0x100000001b3ull;
    }
}

#define DIFF_OUT(...) sdk_printf(__VA_ARGS__)

#endif
