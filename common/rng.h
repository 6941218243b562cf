/* rng.h: the one pseudo-random generator every program shares: splitmix64
 * (Steele, Lea, Flood 2014), so a seed gives the same numbers on every
 * machine. Reader's --sample, metric-reduce's --pairs and report's
 * permutation and bootstrap draws all step it; how each turns the 64 bits
 * into its own range stays beside its use. */
#ifndef GM_RNG_H
#define GM_RNG_H

#include <stdint.h>

/* state += golden gamma, then mix; returns 64 uniform bits. */
uint64_t splitmix64_next(uint64_t *state);

#endif
