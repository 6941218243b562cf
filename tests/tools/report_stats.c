/* report_stats: drives the report stage's correlation code (stages/report/
 * stats.c, compiled in here since test tools link only libgrokmon) for
 * tests/reference/stats_ref.py to compare with scipy.stats. Each input line:
 * n x_1..x_n y_1..y_n; each output line: pearson spearman (%.17g, or
 * "undefined"). It checks nothing itself. */
#include <stdio.h>
#include <stdlib.h>

#include "../../stages/report/stats.c"

int main(void)
{
    size_t n;
    while (scanf("%zu", &n) == 1) {
        double *x = malloc((2 * n + 1) * sizeof *x);
        if (!x)
            return 1;
        for (size_t i = 0; i < 2 * n; i++)
            if (scanf("%lf", &x[i]) != 1) {
                fprintf(stderr, "report_stats: short line\n");
                free(x);
                return 1;
            }
        double p, s;
        int pok = stats_pearson(x, x + n, n, &p);
        int sok = stats_spearman(x, x + n, n, &s);
        if (sok < 0) {
            free(x);
            return 1;
        }
        if (pok)
            printf("%.17g ", p);
        else
            printf("undefined ");
        if (sok)
            printf("%.17g\n", s);
        else
            printf("undefined\n");
        free(x);
    }
    return 0;
}
