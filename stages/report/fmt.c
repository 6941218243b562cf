/* fmt.c: number formatting shared by the report's outputs: fixed decimals
 * with "-" for an undefined value, and steps as "245k". Formatting only. */
#include "report.h"

#include <math.h>
#include <stdio.h>

void fmt_num(char *buf, size_t cap, double v, int decimals)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.*f", decimals, v);
}

void fmt_step(char *buf, size_t cap, int64_t step)
{
    if (step >= 100000 && step % 1000 == 0) /* 245k; a small run's 3000 stays 3000 */
        snprintf(buf, cap, "%lldk", (long long)(step / 1000));
    else
        snprintf(buf, cap, "%lld", (long long)step);
}
