/* edit-distance: all pairwise edit distances of the lines of a text file, for
 * the independent Python check (tests/reference/edit_distance.py) of
 * common/edit_distance.c (method.md, "Pathway distance"). Prints "i j d" for
 * every pair i < j (edit_pairs_list), then "sum S" (edit_pairs_sum) and
 * "cross S" (first half against second half, edit_cross_sum). With --experts
 * a line "3,15-7" becomes the symbols {3, 15, 65535, 7} (ids, separator kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "edit_distance.h"

#define PROG "edit-distance"

static size_t line_symbols(const char *t, size_t n, int experts, uint16_t *s)
{
    size_t m = 0;
    for (size_t k = 0; k < n;) {
        if (!experts)
            s[m++] = (uint16_t)(unsigned char)t[k++];
        else if (t[k] == '-')
            s[m++] = 65535, k++;
        else if (t[k] == ',')
            k++;
        else {
            unsigned id = 0;
            while (k < n && t[k] >= '0' && t[k] <= '9')
                id = (id * 10 + (unsigned)(t[k++] - '0')) & 0xffff;
            if (k < n && t[k] != ',' && t[k] != '-')
                k++; /* not a pathway character: skipped */
            s[m++] = (uint16_t)id;
        }
    }
    return m;
}

int main(int argc, char **argv)
{
    int experts = 0;
    int64_t threads = 1;
    cli_option options[] = {
        {"experts", 0, CLI_FLAG, &experts, NULL, "compare expert-id symbols, not characters", 0, 0, 0},
        {"threads", 0, CLI_INT, &threads, "N", "worker threads (0: online processors)", 0, 1024, 0},
        CLI_OPT_END,
    };
    cli_program prog = {
        .name = PROG,
        .usage = PROG " [--experts] [--threads N] FILE",
        .summary = "All pairwise edit distances of the lines of FILE, then their sum.",
        .example = PROG " --threads 2 paths.txt",
        .options = options,
    };
    int first = cli_parse(&prog, argc, argv);
    if (argc - first != 1)
        cli_usage_error(PROG, "expected one FILE");
    FILE *f = fopen(argv[first], "r");
    if (!f) {
        fprintf(stderr, PROG ": error: %s: cannot open\n", argv[first]);
        return GM_EXIT_FAIL;
    }
    size_t n = 0, cap = 0;
    uint16_t **s = NULL;
    size_t *len = NULL;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t got;
    int rc = GM_EXIT_OK;
    while ((got = getline(&line, &lcap, f)) >= 0) {
        size_t l = (size_t)got;
        if (l && line[l - 1] == '\n')
            l--;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            uint16_t **ns = realloc(s, cap * sizeof *ns);
            size_t *nl = ns ? realloc(len, cap * sizeof *nl) : NULL;
            if (ns)
                s = ns;
            if (nl)
                len = nl;
            if (!ns || !nl) {
                fprintf(stderr, PROG ": error: out of memory at line %zu\n", n + 1);
                rc = GM_EXIT_FAIL;
                break;
            }
        }
        s[n] = malloc((l ? l : 1) * sizeof **s);
        if (!s[n]) {
            fprintf(stderr, PROG ": error: out of memory at line %zu\n", n + 1);
            rc = GM_EXIT_FAIL;
            break;
        }
        len[n] = line_symbols(line, l, experts, s[n]);
        n++;
    }
    free(line);
    fclose(f);
    size_t np = n > 1 ? n * (n - 1) / 2 : 0;
    size_t *pi = malloc((np ? np : 1) * sizeof *pi), *pj = malloc((np ? np : 1) * sizeof *pj),
           *d = malloc((np ? np : 1) * sizeof *d);
    if (rc == GM_EXIT_OK && (!pi || !pj || !d)) {
        fprintf(stderr, PROG ": error: out of memory for %zu pairs\n", np);
        rc = GM_EXIT_FAIL;
    }
    if (rc == GM_EXIT_OK) {
        for (size_t i = 0, k = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++, k++)
                pi[k] = i, pj[k] = j;
        gm_error err = {0};
        double sum = 0, cross = 0;
        const uint16_t *const *cs = (const uint16_t *const *)s;
        if (edit_pairs_list(cs, len, pi, pj, np, (int)threads, d, &err) != 0 ||
            edit_pairs_sum(cs, len, n, (int)threads, &sum, &err) != 0 ||
            edit_cross_sum(cs, len, n / 2, cs + n / 2, len + n / 2, n - n / 2, (int)threads, &cross, &err) != 0) {
            fprintf(stderr, PROG ": error: %s\n", err.msg);
            rc = GM_EXIT_FAIL;
        } else {
            for (size_t k = 0; k < np; k++)
                printf("%zu %zu %zu\n", pi[k], pj[k], d[k]);
            printf("sum %.0f\ncross %.0f\n", sum, cross);
            if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, PROG ": error: writing the distances failed\n");
                rc = GM_EXIT_FAIL;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
    free(len);
    free(pi);
    free(pj);
    free(d);
    return rc;
}
