/* jsonl.c: JSON Lines token data: one JSON object per non-empty line with a
 * flat "tokens" or "input_ids" array of ids, and optional "id" (string or
 * integer) and "domain" (string); other keys are ignored. Files concatenate;
 * the instance index is the 0-based count of non-empty lines; LZ4 input is
 * decompressed. Lines are indexed up front and parsed (jansson) only when
 * selected. It does not tokenize text. docs/records.md "sample". */
#include "reader.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

typedef struct jsonl_line {
    size_t part;     /* which file */
    size_t offset;   /* byte offset of the line in it */
    size_t len;      /* bytes, without the newline */
    int64_t lineno;  /* 1-based physical line number, for messages */
} jsonl_line;

typedef struct jsonl_source {
    mapped_file *parts;
    size_t n_parts;
    jsonl_line *lines;
    size_t n_lines, cap_lines;
    const char *source_name;
    uint32_t *buf;
    size_t cap_buf;
    char *id, *domain;   /* the current record's, owned */
    char where[512];
    /* ids handed out so far (open addressing; each slot owns its string, with
     * the line it came from), so a repeated id fails instead of breaking joins */
    char **seen;
    int64_t *seen_line;
    size_t seen_n, seen_cap;
} jsonl_source;

/* 0: added; 1: already there (*line: where first seen); -1: out of memory. */
static int seen_add(jsonl_source *s, const char *id, int64_t lineno, int64_t *line)
{
    if (2 * (s->seen_n + 1) > s->seen_cap) {
        size_t cap = s->seen_cap ? s->seen_cap * 2 : 1024;
        char **slots = calloc(cap, sizeof *slots);
        int64_t *lines = calloc(cap, sizeof *lines);
        if (!slots || !lines) {
            free(slots);
            free(lines);
            return -1;
        }
        for (size_t i = 0; i < s->seen_cap; i++) {
            if (!s->seen[i])
                continue;
            size_t j = fnv1a(s->seen[i]) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = s->seen[i];
            lines[j] = s->seen_line[i];
        }
        free(s->seen);
        free(s->seen_line);
        s->seen = slots;
        s->seen_line = lines;
        s->seen_cap = cap;
    }
    size_t j = fnv1a(id) & (s->seen_cap - 1);
    while (s->seen[j]) {
        if (strcmp(s->seen[j], id) == 0) {
            *line = s->seen_line[j];
            return 1;
        }
        j = (j + 1) & (s->seen_cap - 1);
    }
    if (!(s->seen[j] = strdup(id)))
        return -1;
    s->seen_line[j] = lineno;
    s->seen_n++;
    return 0;
}

static void jsonl_source_close(void *impl)
{
    jsonl_source *s = impl;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_parts; i++)
        mapped_file_close(&s->parts[i]);
    free(s->parts);
    free(s->lines);
    free(s->buf);
    free(s->id);
    free(s->domain);
    for (size_t i = 0; i < s->seen_cap; i++)
        free(s->seen[i]);
    free(s->seen);
    free(s->seen_line);
    free(s);
}

static int only_space(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

static int index_lines(jsonl_source *s, size_t part, gm_error *err)
{
    const mapped_file *f = &s->parts[part];
    size_t at = 0;
    int64_t lineno = 0;
    while (at < f->size) {
        const uint8_t *nl = memchr(f->data + at, '\n', f->size - at);
        size_t len = nl ? (size_t)(nl - (f->data + at)) : f->size - at;
        lineno++;
        if (!only_space(f->data + at, len)) {
            if (s->n_lines == s->cap_lines) {
                size_t cap = s->cap_lines ? s->cap_lines * 2 : 1024;
                jsonl_line *grown = realloc(s->lines, cap * sizeof *grown);
                if (!grown)
                    return gm_fail(err, GM_ENOMEM, "%s: out of memory indexing line %" PRId64,
                                   f->path, lineno);
                s->lines = grown;
                s->cap_lines = cap;
            }
            s->lines[s->n_lines++] = (jsonl_line){ part, at, len, lineno };
        }
        at += len + 1;
    }
    return 0;
}

static int copy_str(char **dst, const char *src)
{
    free(*dst);
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

static int jsonl_source_get(void *impl, int64_t index, sample_view *v, gm_error *err)
{
    jsonl_source *s = impl;
    const jsonl_line *ln = &s->lines[index];
    const mapped_file *f = &s->parts[ln->part];
    snprintf(s->where, sizeof s->where, "%s:%" PRId64, f->path, ln->lineno);

    json_error_t jerr;
    json_t *root = json_loadb((const char *)f->data + ln->offset, ln->len, 0, &jerr);
    if (!root)
        return gm_fail(err, GM_EDATA, "%s: invalid JSON at column %d: %s", s->where,
                       jerr.column, jerr.text);
    int rc = -1;
    if (!json_is_object(root)) {
        gm_fail(err, GM_EDATA, "%s: not a JSON object", s->where);
        goto done;
    }
    json_t *toks = json_object_get(root, "tokens");
    json_t *ids = json_object_get(root, "input_ids");
    const char *key = "tokens";
    if (toks && ids) {
        gm_fail(err, GM_EDATA, "%s: has both \"tokens\" and \"input_ids\"; keep one",
                s->where);
        goto done;
    }
    if (!toks) {
        toks = ids;
        key = "input_ids";
    }
    if (!toks) {
        gm_fail(err, GM_EDATA, "%s: no \"tokens\" or \"input_ids\" array", s->where);
        goto done;
    }
    if (!json_is_array(toks)) {
        gm_fail(err, GM_EDATA, "%s: \"%s\" is not an array", s->where, key);
        goto done;
    }
    size_t n = json_array_size(toks);
    if (n == 0) {
        gm_fail(err, GM_EDATA, "%s: \"%s\" is empty", s->where, key);
        goto done;
    }
    if (n > s->cap_buf) {
        uint32_t *grown = realloc(s->buf, n * sizeof *grown);
        if (!grown) {
            gm_fail(err, GM_ENOMEM, "%s: out of memory for %zu tokens", s->where, n);
            goto done;
        }
        s->buf = grown;
        s->cap_buf = n;
    }
    for (size_t t = 0; t < n; t++) {
        json_t *x = json_array_get(toks, t);
        if (!json_is_integer(x)) {
            gm_fail(err, GM_EDATA, "%s: %s[%zu] is not an integer token id%s", s->where, key,
                    t, json_is_array(x) ? " (a nested array: one sequence per line)" : "");
            goto done;
        }
        json_int_t val = json_integer_value(x);
        if (val < 0 || (uint64_t)val > UINT32_MAX) {
            gm_fail(err, GM_EDATA, "%s: %s[%zu] = %" JSON_INTEGER_FORMAT
                    " is not a token id", s->where, key, t, val);
            goto done;
        }
        s->buf[t] = (uint32_t)val;
    }

    v->id = NULL;
    json_t *id = json_object_get(root, "id");
    if (id && !json_is_null(id)) {
        char num[32];
        const char *txt = NULL;
        if (json_is_string(id)) {
            txt = json_string_value(id);
        } else if (json_is_integer(id)) {
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
            txt = num;
        } else {
            gm_fail(err, GM_EDATA, "%s: \"id\" is neither a string nor an integer", s->where);
            goto done;
        }
        if (txt[0] == 0) {
            gm_fail(err, GM_EDATA, "%s: \"id\" is empty", s->where);
            goto done;
        }
        int64_t first_line = 0;
        int dup = seen_add(s, txt, ln->lineno, &first_line);
        if (dup == 1) {
            gm_fail(err, GM_EDATA, "%s: id \"%s\" repeats the id of line %" PRId64
                    " (ids must be unique to join samples across checkpoints)", s->where,
                    txt, first_line);
            goto done;
        }
        if (dup < 0 || copy_str(&s->id, txt) < 0) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        v->id = s->id;
    }
    v->domain = NULL;
    json_t *dom = json_object_get(root, "domain");
    if (dom && !json_is_null(dom)) {
        if (!json_is_string(dom) || json_string_length(dom) == 0) {
            gm_fail(err, GM_EDATA, "%s: \"domain\" is not a non-empty string", s->where);
            goto done;
        }
        if (copy_str(&s->domain, json_string_value(dom)) < 0) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        v->domain = s->domain;
    }
    v->tokens = s->buf;
    v->n_tokens = n;
    v->source = s->source_name ? s->source_name : f->base;
    v->where = s->where;
    rc = 0;
done:
    json_decref(root);
    return rc;
}

int jsonl_source_open(const source_config *cfg, token_source *src, gm_error *err)
{
    memset(src, 0, sizeof *src);
    jsonl_source *s = calloc(1, sizeof *s);
    if (!s || !(s->parts = calloc(cfg->n_paths, sizeof *s->parts))) {
        free(s);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    s->source_name = cfg->source_name;
    for (size_t i = 0; i < cfg->n_paths; i++) {
        if (mapped_file_open_text(&s->parts[i], cfg->paths[i], err) < 0 ||
            (s->n_parts = i + 1, index_lines(s, i, err) < 0)) {
            jsonl_source_close(s);
            return -1;
        }
    }
    src->n_instances = (int64_t)s->n_lines;
    src->impl = s;
    src->get = jsonl_source_get;
    src->close = jsonl_source_close;
    return 0;
}
