/* report_trend: drives the report stage's trend code (stages/report/trend.c,
 * compiled in here since test tools link only libgrokmon) for
 * tests/reference/trend_check.py, which judges it on generated series of many
 * shapes. Each input line: n y_1..y_n (all checkpoints, the loss taken as flat
 * throughout); each output line: "fall FOUND A B NOISE" (A, B the trimmed
 * range's indices, -1 when not found) and the same for the largest rise on the
 * next line, then "const C" (1 when constant within numerical noise). */
#include <stdio.h>
#include <stdlib.h>

#include "../../stages/report/trend.c"

int main(void)
{
    size_t n;
    while (scanf("%zu", &n) == 1) {
        double *y = malloc((n + 1) * sizeof *y);
        if (!y)
            return 1;
        for (size_t i = 0; i < n; i++)
            if (scanf("%lf", &y[i]) != 1) {
                fprintf(stderr, "report_trend: short line\n");
                return 1;
            }
        double noise = trend_noise(y, NULL, n), range;
        for (int sign = -1; sign <= 1; sign += 2) {
            trend_move mv;
            trend_largest_move(y, 0, n ? n - 1 : 0, noise, sign, &mv);
            printf("%s %d %ld %ld %.17g\n", sign < 0 ? "fall" : "rise", mv.found,
                   mv.found ? (long)mv.a : -1L, mv.found ? (long)mv.b : -1L, noise);
        }
        printf("const %d\n", trend_is_constant(y, n, &range));
        free(y);
    }
    return 0;
}
