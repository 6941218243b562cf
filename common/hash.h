/* hash.h: FNV-1a, 64-bit: string hashing for hash tables and for seeds
 * derived from names (pair_seed), where the value must never change. */
#ifndef GM_HASH_H
#define GM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET 0xcbf29ce484222325ULL
#define FNV1A_PRIME 0x100000001b3ULL

static inline uint64_t fnv1a_byte(uint64_t h, unsigned char c)
{
    return (h ^ c) * FNV1A_PRIME;
}

/* Go on hashing the bytes of s after h. */
static inline uint64_t fnv1a_more(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = fnv1a_byte(h, (unsigned char)*s);
    return h;
}

static inline uint64_t fnv1a(const char *s) { return fnv1a_more(FNV1A_OFFSET, s); }

/* n bytes of s (which may hold NUL bytes). */
static inline uint64_t fnv1a_n(const char *s, size_t n)
{
    uint64_t h = FNV1A_OFFSET;
    for (size_t i = 0; i < n; i++)
        h = fnv1a_byte(h, (unsigned char)s[i]);
    return h;
}

#endif
