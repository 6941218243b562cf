/* test.h: a minimal unit-test harness. CHECK prints "ok - ..." or
 * "not ok - ..." (tests/run.sh counts them); the test's main returns
 * test_status() so any failure also fails the process. */
#ifndef GM_TEST_H
#define GM_TEST_H

#include <stdio.h>

static int test_failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            printf("ok - ");                                                \
        } else {                                                            \
            test_failures++;                                                \
            printf("not ok - %s:%d: (%s) ", __FILE__, __LINE__, #cond);     \
        }                                                                   \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } while (0)

static inline int test_status(void) { return test_failures ? 1 : 0; }

#endif
