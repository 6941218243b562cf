/* tokenize: the tokenizer (common/tokenizer.h) alone, for
 * tests/reference/tokenize_check.sh and scripts/bench-tokenize.sh:
 *   tokenize TOKENIZER TEXTS.jsonl        one JSON array of ids per line
 *   tokenize --count TOKENIZER FILE       the whole file as one text; prints
 *                                         tokens, bytes and seconds
 * TEXTS.jsonl: one {"text": "..."} per line. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int count(tokenizer *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        fprintf(stderr, "tokenize: cannot read %s\n", path);
        return 1;
    }
    fclose(f);
    gm_error err = {0};
    tok_ids ids = {0};
    double t0 = now();
    /* line by line, as documents, so the added-token scan and the regex see
     * realistic lengths */
    for (char *p = buf, *end = buf + n; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        ids.n = 0;
        if (tokenizer_encode(t, p, len, &ids, &err)) {
            fprintf(stderr, "tokenize: %s\n", err.msg);
            return 1;
        }
        static size_t total;
        total += ids.n;
        p += len;
        if (p >= end)
            printf("%zu tokens %ld bytes %.3f s\n", total, n, now() - t0);
    }
    tok_ids_free(&ids);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int counting = argc == 4 && strcmp(argv[1], "--count") == 0;
    if (argc != 3 && !counting) {
        fprintf(stderr, "usage: tokenize [--count] TOKENIZER TEXTS\n");
        return 2;
    }
    gm_error err = {0};
    tokenizer *t = tokenizer_load(argv[1 + counting], &err);
    if (!t) {
        fprintf(stderr, "tokenize: %s\n", err.msg);
        return 1;
    }
    if (counting) {
        int rc = count(t, argv[3]);
        tokenizer_free(t);
        return rc;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    tok_ids ids = {0};
    while ((len = getline(&line, &cap, f)) > 0) {
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
        json_t *text = json_object_get(o, "text");
        if (!json_is_string(text)) {
            fprintf(stderr, "tokenize: a line without a \"text\" string\n");
            rc = 1;
            break;
        }
        ids.n = 0;
        if (tokenizer_encode(t, json_string_value(text), json_string_length(text), &ids, &err)) {
            printf("{\"error\": \"%s\"}\n", err.msg);
        } else {
            putchar('[');
            for (size_t i = 0; i < ids.n; i++)
                printf(i ? ", %u" : "%u", ids.v[i]);
            puts("]");
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    tok_ids_free(&ids);
    tokenizer_free(t);
    return rc;
}
