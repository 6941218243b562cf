/* clock.h: seconds on the monotonic clock, for timings and progress (never
 * for anything that reaches a record). */
#ifndef GM_CLOCK_H
#define GM_CLOCK_H

/* Seconds since an arbitrary start; only differences mean anything. */
double clock_now(void);

#endif
